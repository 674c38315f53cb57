/* SPDX-License-Identifier: MIT */
/*
 * tests/realworld/misuse.c - one deliberate misuse of the malloc API per run, so that the
 * runner can check that the shim dies with SIGABRT and the heap's own message naming the
 * pointer. Usage: misuse double-free|invalid-free|interior-free|foreign-free|canary|
 * use-after-free|overflow-merge|uaf-links|abort-handler|exit-in-handler (use-after-free
 * needs MBHEAP_DEBUG=1: the heap poisons freed memory). overflow-merge and uaf-links are
 * issue 12's two attacks on the release heap (tests/host/test_heap_attacks.c has them in
 * detail): a one-byte overflow that sets the next header's PREV_FREE bit plus a forged
 * footer leading to a stale free header, then free of the next block; forged free-list
 * links in a freed block, then the malloc that takes it. They rely on the heap's block
 * format (16-byte headers, sizes rounded up to 16). abort-handler is a double free in a program
 * whose SIGABRT handler allocates: it must still die by SIGABRT, not hang on the allocator's lock.
 * exit-in-handler is not a misuse the heap can see: a SIGALRM handler calls exit() while
 * the program allocates in a loop; the process must exit 0 (not hang in the shim's exit
 * report, which runs inside exit()).
 *
 * Before the misuse it prints "pointer 0x<16 hex digits>" (the format of the heap's %p)
 * on stdout, flushed, so the runner knows which pointer the message must name. Exit status
 * 0 means the misuse went unnoticed (a failure for the runner).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

/* Hides where a pointer came from, so that the compiler neither warns nor optimises. */
static void *opaque(void *p)
{
    __asm__ volatile("" : "+r"(p));
    return p;
}

static void announce(const void *p)
{
    printf("pointer 0x%016llx\n", (unsigned long long)(uintptr_t)p);
    fflush(stdout);
}

/* Four blocks of these sizes, each right after the other (first fit: once the holes the
 * program's start left are filled, blocks follow each other; the misfits are leaked). */
static void adjacent(char **b, const size_t *sizes, int n)
{
    for (int tries = 0; tries < 10000; tries++) {
        int ok = 1;
        for (int i = 0; i < n; i++) {
            b[i] = malloc(sizes[i]);
            if (!b[i])
                exit(3);
            /* block size: payload rounded up to 16, plus the 16-byte header */
            ok = ok && (i == 0 || b[i] == b[i - 1] + ((sizes[i - 1] + 15) & ~(size_t)15) + 16);
        }
        if (ok)
            return;
    }
    fprintf(stderr, "misuse: no adjacent blocks\n");
    exit(3);
}

static void abort_handler(int sig)
{
    (void)sig;
    free(malloc(32)); /* an allocating handler, as real programs' crash reporters are */
    _exit(3);
}

static void alarm_handler(int sig)
{
    (void)sig;
    exit(0); /* not async-signal-safe, but common; glibc's malloc survives it */
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr,
                "usage: %s double-free|invalid-free|interior-free|foreign-free|canary|"
                "use-after-free|overflow-merge|uaf-links|abort-handler|exit-in-handler\n",
                argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    char *keep = malloc(64); /* a live neighbour */
    char *p = malloc(100);
    memset(p, 1, 100);
    if (strcmp(mode, "double-free") == 0) {
        announce(p);
        free(p);
        free(opaque(p));
    } else if (strcmp(mode, "invalid-free") == 0) { /* a stack address */
        char local[64];
        announce(local);
        free(opaque(local));
    } else if (strcmp(mode, "interior-free") == 0) { /* inside a live block */
        announce(p + 48);
        free(opaque(p + 48));
    } else if (strcmp(mode, "foreign-free") == 0) { /* memory the heap never owned */
        void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return 3;
        announce((char *)m + 64);
        free(opaque((char *)m + 64));
    } else if (strcmp(mode, "canary") == 0) { /* overwrite the block header, then free */
        announce(p);
        memset(opaque(p - 16), 0x41, 16);
        free(p);
    } else if (strcmp(mode, "use-after-free") == 0) { /* write to freed memory, reuse it */
        announce(p);
        free(p);
        ((volatile char *)opaque(p))[20] = 7;
        char *q = malloc(100); /* the same block again: its poison is checked */
        printf("got %p back\n", (void *)q);
    } else if (strcmp(mode, "overflow-merge") == 0) {
        /* X | F | N | G: free F, realloc X in place into all of F (F's header now lies in
         * X), then forge: F's links a self-loop, X's last word F's size (a footer leading
         * from N to F's header), and one byte past X: N's PREV_FREE bit. free(N) must not
         * merge N into F. */
        char *b[4];
        adjacent(b, (const size_t[]){96, 192, 96, 96}, 4);
        char *x = b[0], *f = b[1], *n = b[2];
        announce(n);
        free(f);
        if (realloc(x, 304) != x)
            return 3;
        uintptr_t self = (uintptr_t)(f - 16);
        size_t fsize = 208;
        memcpy(f, &self, 8);
        memcpy(f + 8, &self, 8);
        memcpy(x + 304 - 8, &fsize, 8);
        ((volatile char *)opaque(x))[304] |= 2; /* the one-byte overflow */
        free(n);
    } else if (strcmp(mode, "uaf-links") == 0) {
        /* X1 | F | X2: free F (large: no hole the program's start left comes before it),
         * overwrite its list links with a target's address, malloc F's size again. */
        static char target[64];
        char *b[3];
        adjacent(b, (const size_t[]){64, 200000, 64}, 3);
        char *f = b[1];
        announce(f);
        free(f);
        uintptr_t forged = (uintptr_t)target;
        memcpy(opaque(f), &forged, 8);
        memcpy((char *)opaque(f) + 8, &forged, 8);
        char *q = malloc(200000);
        printf("got %p back\n", (void *)q);
    } else if (strcmp(mode, "abort-handler") == 0) {
        signal(SIGABRT, abort_handler);
        announce(p);
        free(p);
        free(opaque(p));
    } else if (strcmp(mode, "exit-in-handler") == 0) {
        signal(SIGALRM, alarm_handler);
        struct itimerval every_ms = {{0, 1000}, {0, 1000}};
        setitimer(ITIMER_REAL, &every_ms, NULL);
        for (unsigned long i = 0;; i++) /* until a signal lands, most likely inside malloc */
            free(opaque(malloc(16 + i % 2000)));
    } else {
        fprintf(stderr, "misuse: unknown mode %s\n", mode);
        return 2;
    }
    printf("misuse %s went unnoticed\n", mode);
    free(keep);
    return 0;
}
