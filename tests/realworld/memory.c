/* SPDX-License-Identifier: MIT */
/*
 * tests/realworld/memory.c - how a malloc uses the system's memory, for run_realworld.py.
 * Usage:
 *   memory huge <bytes>  malloc, calloc (both forms), realloc and posix_memalign of <bytes>
 *                        (the runner asks for more than the machine's RAM + swap): prints
 *                        what each returned, never touching a block it got, then allocates,
 *                        writes and checks 10000 small blocks: the program must go on
 *                        working after a refusal. Output identical on any malloc that
 *                        refuses (or grants) the same requests.
 *   memory fill          under a finite RLIMIT_AS: allocates 1 MiB blocks (untouched) until
 *                        malloc returns NULL, prints how many it got and errno, frees them
 *                        and allocates 1 MiB again: how much of the limit a malloc can use.
 *   memory loop <n>      n times: malloc(1 GiB), write every page, free it; prints VmRSS
 *                        after each free and VmHWM at the end (what a malloc keeps).
 *   memory calloc        VmRSS before and right after calloc(1, 1 GiB), before the program
 *                        touches the block (fresh memory is zero already: nothing needs to
 *                        be resident); then checks a few of its bytes are zero.
 * Exit status 0, or 1 with a message on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "proc_status.h"

#define MIB ((size_t)1 << 20)
#define GIB ((size_t)1 << 30)
#define FILL_MAX 65536 /* 64 GiB of 1 MiB blocks: far beyond any limit the runner sets */

static int fail(const char *what)
{
    fprintf(stderr, "memory: %s\n", what);
    return 1;
}

/* Prints what an allocation returned (and frees it untouched). */
static void outcome(const char *call, void *p, int err)
{
    if (p)
        printf("%s: a block\n", call);
    else
        printf("%s: NULL, errno %s\n", call, strerrorname_np(err));
    free(p);
}

/* 10000 blocks of 1 to 4096 bytes, written and checked: 0 if all is well. */
static int small_blocks(void)
{
    static unsigned char *b[10000];
    for (int i = 0; i < 10000; i++) {
        size_t n = 1 + (size_t)(i * 7919) % 4096;
        if (!(b[i] = malloc(n)))
            return fail("a small malloc failed after the huge requests");
        memset(b[i], i & 0xff, n);
    }
    for (int i = 0; i < 10000; i++) {
        size_t n = 1 + (size_t)(i * 7919) % 4096;
        if (b[i][0] != (i & 0xff) || b[i][n - 1] != (i & 0xff))
            return fail("a small block lost its contents");
        free(b[i]);
    }
    printf("then 10000 small blocks allocated, written, checked and freed: ok\n");
    return 0;
}

static int huge(size_t n)
{
    char call[96];
    errno = 0;
    snprintf(call, sizeof(call), "malloc(%zu)", n);
    void *p = malloc(n);
    outcome(call, p, errno);

    errno = 0;
    snprintf(call, sizeof(call), "calloc(1, %zu)", n);
    p = calloc(1, n);
    outcome(call, p, errno);

    errno = 0;
    snprintf(call, sizeof(call), "calloc(%zu, 4096)", n / 4096);
    p = calloc(n / 4096, 4096);
    outcome(call, p, errno);

    char *small = malloc(64);
    if (!small)
        return fail("malloc(64) failed");
    memset(small, 0x5a, 64);
    errno = 0;
    snprintf(call, sizeof(call), "realloc(a 64-byte block, %zu)", n);
    void *q = realloc(small, n);
    int err = errno;
    if (!q && (small[0] != 0x5a || small[63] != 0x5a))
        return fail("a failed realloc changed the block");
    outcome(call, q, err);
    if (!q)
        free(small);

    p = NULL;
    snprintf(call, sizeof(call), "posix_memalign(64, %zu)", n);
    int rc = posix_memalign(&p, 64, n);
    printf("%s: %s\n", call, rc == 0 ? "a block" : strerrorname_np(rc));
    free(p);
    return small_blocks();
}

static int fill(void)
{
    static void *b[FILL_MAX];
    struct rlimit as;
    if (getrlimit(RLIMIT_AS, &as) != 0 || as.rlim_cur == RLIM_INFINITY)
        return fail("fill needs a finite RLIMIT_AS (ulimit -v)");
    size_t n = 0;
    errno = 0;
    while (n < FILL_MAX && (b[n] = malloc(MIB)))
        n++;
    int err = errno;
    printf("fill: %zu blocks of 1 MiB under RLIMIT_AS %llu kB, then %s\n", n,
           (unsigned long long)as.rlim_cur / 1024, n < FILL_MAX ? strerrorname_np(err) : "stop");
    while (n)
        free(b[--n]);
    void *p = malloc(MIB);
    if (!p)
        return fail("malloc(1 MiB) failed after everything was freed");
    memset(p, 1, MIB);
    free(p);
    printf("fill: after freeing them all, malloc(1 MiB) works\n");
    return 0;
}

static int loop(int times)
{
    for (int i = 0; i < times; i++) {
        unsigned char *p = malloc(GIB);
        if (!p)
            return fail("malloc(1 GiB) failed");
        memset(p, i + 1, GIB);
        if (p[GIB / 2] != i + 1)
            return fail("the block does not hold what was written");
        free(p);
        printf("loop %d: after free, VmRSS %ld kB\n", i + 1, proc_status_kb("VmRSS"));
    }
    printf("loop: VmHWM %ld kB\n", proc_status_kb("VmHWM"));
    return 0;
}

static int calloc_rss(void)
{
    long before = proc_status_kb("VmRSS");
    unsigned char *p = calloc(1, GIB);
    long after = proc_status_kb("VmRSS");
    if (!p)
        return fail("calloc(1, 1 GiB) failed");
    if (before < 0 || after < 0)
        return fail("cannot read VmRSS from /proc/self/status");
    printf("calloc(1, 1 GiB): VmRSS %+ld kB before the program touches it (%ld -> %ld)\n",
           after - before, before, after);
    for (size_t at = 0; at < GIB; at += GIB / 8)
        if (p[at] || p[at + GIB / 8 - 1])
            return fail("calloc's block is not zero");
    free(p);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "huge") == 0)
        return huge(strtoull(argv[2], NULL, 10));
    if (argc == 2 && strcmp(argv[1], "fill") == 0)
        return fill();
    if (argc == 3 && strcmp(argv[1], "loop") == 0)
        return loop(atoi(argv[2]));
    if (argc == 2 && strcmp(argv[1], "calloc") == 0)
        return calloc_rss();
    fprintf(stderr, "usage: memory huge <bytes> | fill | loop <n> | calloc\n");
    return 2;
}
