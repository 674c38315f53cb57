/*
 * tests/realworld/misuse.c - one deliberate misuse of the malloc API per run, so that the
 * runner can check that the shim dies with SIGABRT and the heap's own message naming the
 * pointer. Usage: misuse double-free|invalid-free|interior-free|foreign-free|canary|
 * use-after-free|abort-handler|exit-in-handler (use-after-free needs MBHEAP_DEBUG=1: the
 * heap poisons freed memory). abort-handler is a double free in a program whose SIGABRT
 * handler allocates: it must still die by SIGABRT, not hang on the allocator's lock.
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
                "use-after-free|abort-handler|exit-in-handler\n",
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
