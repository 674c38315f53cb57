/* SPDX-License-Identifier: MIT */
/*
 * tests/realworld/threads.c - a multithreaded malloc workload whose every byte is checked.
 *
 * THREADS threads each run OPS random operations on their own table of blocks: malloc,
 * calloc (checked zero), memalign / posix_memalign / aligned_alloc (checked aligned),
 * realloc (grow or shrink, the kept prefix checked), free, and swaps with a shared mailbox,
 * so that blocks are freed and reallocated by threads other than the one that allocated
 * them. Every block is filled with a pattern derived from its own tag and verified before it
 * is freed, after every realloc, and when it changes hands. The decisions depend only on
 * each thread's seed, so the summary printed is the same on any correct malloc; any
 * mismatch prints what and where and exits 1.
 * Usage: threads [seed]
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define OPS 150000
#define SLOTS 1024
#define MAILBOX 64

struct blk {
    unsigned char *p;
    size_t size;
    uint64_t tag;
};

enum {
    OP_MALLOC,
    OP_CALLOC,
    OP_MEMALIGN,
    OP_POSIX_MEMALIGN,
    OP_ALIGNED_ALLOC,
    OP_REALLOC,
    OP_FREE,
    OP_SWAP,
    OP_COUNT
};
static const char *const op_names[OP_COUNT] = {
    "malloc", "calloc", "memalign", "posix_memalign", "aligned_alloc", "realloc", "free", "swap"};

static struct blk mailbox[MAILBOX];
static pthread_mutex_t mailbox_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int failed;

struct worker {
    int id;
    uint64_t rng;
    uint64_t next_tag;
    unsigned long count[OP_COUNT];
    struct blk slots[SLOTS];
};

static uint64_t next(uint64_t *s) /* xorshift64* */
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static uint64_t pattern(uint64_t tag, size_t word)
{
    return (tag + word) * 0x9E3779B97F4A7C15ull ^ ((uint64_t)word << 29);
}

/* Writes the tag's pattern over bytes [from, to) of p (the pattern depends on the offset). */
static void fill(unsigned char *p, size_t from, size_t to, uint64_t tag)
{
    size_t i = from;
    while (i < to) {
        uint64_t v = pattern(tag, i / 8);
        size_t off = i % 8, n = 8 - off < to - i ? 8 - off : to - i;
        memcpy(p + i, (unsigned char *)&v + off, n);
        i += n;
    }
}

static void fail(const struct worker *w, const char *what, const struct blk *b, size_t at)
{
    printf("thread %d: %s: block %p size %zu tag %" PRIu64 " wrong at byte %zu\n", w->id, what,
           (void *)b->p, b->size, b->tag, at);
    failed = 1;
}

/* Checks bytes [0, n) of b against its pattern. */
static int verify(const struct worker *w, const struct blk *b, size_t n, const char *what)
{
    size_t i = 0;
    while (i < n) {
        uint64_t v = pattern(b->tag, i / 8);
        size_t off = i % 8, k = 8 - off < n - i ? 8 - off : n - i;
        if (memcmp(b->p + i, (unsigned char *)&v + off, k) != 0) {
            fail(w, what, b, i);
            return 0;
        }
        i += k;
    }
    return 1;
}

static size_t random_size(uint64_t *rng)
{
    uint64_t r = next(rng);
    unsigned kind = (unsigned)(r % 20);
    if (kind == 0) /* 5%: large */
        return 4096 + (size_t)((r >> 8) % 61440);
    if (kind <= 4) /* 20%: medium */
        return 256 + (size_t)((r >> 8) % 3840);
    return (size_t)((r >> 8) % 257); /* 75%: small, 0 included */
}

static void new_block(struct worker *w, struct blk *b)
{
    size_t size = random_size(&w->rng);
    uint64_t r = next(&w->rng);
    size_t align = (size_t)32 << (r % 8); /* 32 .. 4096 */
    int op = (int)((r >> 8) % 10);
    unsigned char *p;
    if (op < 5) {
        w->count[OP_MALLOC]++;
        p = malloc(size);
    } else if (op < 7) {
        w->count[OP_CALLOC]++;
        p = calloc(1 + size / 8, 8);
        size = 8 * (1 + size / 8);
        for (size_t i = 0; p && i < size; i++)
            if (p[i]) {
                struct blk z = {p, size, 0};
                fail(w, "calloc memory not zero", &z, i);
                break;
            }
    } else if (op == 7) {
        w->count[OP_MEMALIGN]++;
        p = memalign(align, size);
    } else if (op == 8) {
        w->count[OP_POSIX_MEMALIGN]++;
        void *q = NULL;
        p = posix_memalign(&q, align, size) == 0 ? q : NULL;
    } else {
        w->count[OP_ALIGNED_ALLOC]++;
        p = aligned_alloc(align, size);
    }
    if (!p) {
        printf("thread %d: allocation of %zu bytes failed\n", w->id, size);
        failed = 1;
        return;
    }
    if (op >= 7 && ((uintptr_t)p & (align - 1))) {
        printf("thread %d: %p not aligned to %zu\n", w->id, (void *)p, align);
        failed = 1;
    }
    if ((uintptr_t)p & 15) {
        printf("thread %d: %p not aligned to 16\n", w->id, (void *)p);
        failed = 1;
    }
    if (malloc_usable_size(p) < size) {
        printf("thread %d: usable size of %p below %zu\n", w->id, (void *)p, size);
        failed = 1;
    }
    b->p = p;
    b->size = size;
    b->tag = ((uint64_t)w->id << 56) | w->next_tag++;
    fill(p, 0, size, b->tag);
}

static void *run(void *arg)
{
    struct worker *w = arg;
    for (long i = 0; i < OPS && !failed; i++) {
        uint64_t r = next(&w->rng);
        struct blk *b = &w->slots[r % SLOTS];
        if (!b->p) {
            new_block(w, b);
            continue;
        }
        unsigned what = (unsigned)((r >> 32) % 100);
        if (what < 45) {
            w->count[OP_FREE]++;
            verify(w, b, b->size, "before free");
            free(b->p);
            b->p = NULL;
        } else if (what < 95) {
            w->count[OP_REALLOC]++;
            size_t n = random_size(&w->rng);
            verify(w, b, b->size, "before realloc");
            unsigned char *q = realloc(b->p, n ? n : 1);
            if (!q) {
                printf("thread %d: realloc to %zu failed\n", w->id, n);
                failed = 1;
                break;
            }
            size_t kept = b->size < n ? b->size : n;
            b->p = q;
            verify(w, b, kept, "after realloc");
            fill(q, kept, n, b->tag);
            b->size = n;
        } else {
            w->count[OP_SWAP]++;
            struct blk *m = &mailbox[(r >> 40) % MAILBOX];
            pthread_mutex_lock(&mailbox_lock);
            struct blk t = *m;
            *m = *b;
            *b = t;
            pthread_mutex_unlock(&mailbox_lock);
            verify(w, b, b->size, "received from another thread");
        }
    }
    for (int s = 0; s < SLOTS; s++) {
        struct blk *b = &w->slots[s];
        if (b->p) {
            verify(w, b, b->size, "at the end");
            free(b->p);
            b->p = NULL;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 42;
    static struct worker workers[THREADS];
    struct worker boot = {.id = THREADS, .rng = seed ^ 0xabcdef, .next_tag = 1};
    for (int m = 0; m < MAILBOX; m++) /* the mailbox is always full: swaps are 1 for 1 */
        new_block(&boot, &mailbox[m]);
    pthread_t tid[THREADS];
    for (int t = 0; t < THREADS; t++) {
        workers[t].id = t;
        workers[t].rng = seed * 0x9E3779B97F4A7C15ull + (uint64_t)t * 7919 + 1;
        workers[t].next_tag = 1;
        if (pthread_create(&tid[t], NULL, run, &workers[t]) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(tid[t], NULL);
    for (int m = 0; m < MAILBOX; m++) {
        verify(&boot, &mailbox[m], mailbox[m].size, "mailbox at the end");
        free(mailbox[m].p);
    }
    for (int t = 0; t < THREADS; t++) {
        printf("thread %d:", t);
        for (int o = 0; o < OP_COUNT; o++)
            printf(" %s %lu", op_names[o], workers[t].count[o]);
        printf("\n");
    }
    printf("threads: %d x %d operations, seed %" PRIu64 ": %s\n", THREADS, OPS, seed,
           failed ? "FAILED" : "every block verified");
    return failed ? 1 : 0;
}
