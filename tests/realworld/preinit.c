/* SPDX-License-Identifier: MIT */
/*
 * tests/realworld/preinit.c - a program whose first malloc runs from .preinit_array, before
 * libc has set `environ` and before any shared library's constructor: the shim then starts
 * its heap with every option unset and reads the options once, in its constructor
 * (realworld.log checks what it says then).
 */
#define _GNU_SOURCE /* environ */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int early_env_null = -1;

static void early(int argc, char **argv, char **envp)
{
    (void)argc;
    (void)argv;
    (void)envp;
    early_env_null = environ == NULL;
    void *p = malloc(32);
    if (!p)
        abort();
    free(p);
}

__attribute__((section(".preinit_array"), used)) static void (*const preinit)(int, char **,
                                                                              char **) = early;

int main(void)
{
    printf("preinit: environ was %s at the first malloc\n", early_env_null == 1 ? "NULL"
                                                            : early_env_null == 0
                                                                ? "set"
                                                                : "never looked at");
    return 0;
}
