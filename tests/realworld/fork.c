/* SPDX-License-Identifier: MIT */
/*
 * tests/realworld/fork.c - fork while other threads are inside malloc.
 *
 * Two threads allocate and free without pause while the main thread forks CHILDREN times.
 * Without the allocator's pthread_atfork handlers a child is sometimes born with the heap's
 * lock held by a thread that does not exist in it (a hang) or with the heap half-updated.
 * Each child allocates, writes, checks and frees a few hundred blocks, then exits normally
 * (so the shim's exit check runs in the child too); an alarm turns a hang into a failure.
 * The parent requires every child to exit 0 and stops at the first that does not. Prints
 * one deterministic line.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILDREN 60
#define HAMMERS 2

static atomic_int stop;

static void *hammer(void *arg)
{
    unsigned x = (unsigned)(uintptr_t)arg * 2654435761u + 1;
    void *keep[64] = {0};
    while (!atomic_load(&stop)) {
        x = x * 1103515245u + 12345u;
        unsigned i = (x >> 8) % 64;
        free(keep[i]);
        keep[i] = malloc(16 + (x >> 16) % 2000);
        if (keep[i])
            memset(keep[i], (int)i, 16);
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    return NULL;
}

static int child(int n)
{
    alarm(5); /* a child that hangs (a lock held by a thread it does not have) is killed */
    char *blocks[300];
    for (int i = 0; i < 300; i++) {
        size_t size = 1 + (size_t)((i * 37 + n) % 3000);
        blocks[i] = malloc(size);
        if (!blocks[i])
            return 2;
        memset(blocks[i], i & 0xff, size);
    }
    for (int i = 0; i < 300; i++) {
        if ((unsigned char)blocks[i][0] != (i & 0xff))
            return 3;
        free(blocks[i]);
    }
    return 0;
}

int main(void)
{
    pthread_t t[HAMMERS];
    for (long i = 0; i < HAMMERS; i++)
        if (pthread_create(&t[i], NULL, hammer, (void *)i) != 0)
            return 1;
    int bad = 0;
    for (int n = 0; n < CHILDREN; n++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            bad++;
            continue;
        }
        if (pid == 0)
            exit(child(n)); /* exit, not _exit: the allocator's exit check runs here too */
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            printf("child %d failed (status %#x)\n", n, status);
            bad++;
            break; /* one is enough: do not wait out the alarm of every child */
        }
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < HAMMERS; i++)
        pthread_join(t[i], NULL);
    printf("fork: %d children forked while %d threads allocated: %s\n", CHILDREN, HAMMERS,
           bad ? "FAILED" : "all exited 0");
    return bad ? 1 : 0;
}
