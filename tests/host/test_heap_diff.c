/* SPDX-License-Identifier: MIT */
/*
 * tests/host/test_heap_diff.c - randomized differential test of the heap core.
 *
 * A reference model (a table of live blocks with their size, alignment and content
 * seed) runs beside the heap for 10^6 random operations: alloc with random sizes and
 * alignments, free, realloc (growing and shrinking). Every block is filled with a pattern
 * derived from its seed and verified on free and on realloc (the kept prefix), blocks
 * must be aligned, inside the heap and no smaller than asked; the heap's statistics must
 * agree with the model; heap_check() runs every CHECK_EVERY operations and at the end,
 * and freeing everything must leave one free block. A small-cap run checks that failed
 * allocations and reallocs leave everything intact.
 */
#include "support.h"

#include <stdint.h>
#include <stdlib.h>

#include "mm/heap.h"
#include "tests/common/heap_index_mem.h"
#include "tests/common/splitmix64.h"

#define ARENA_SIZE (48u << 20)
#define SLOTS 1024
#define CHECK_EVERY 1000

static _Alignas(4096) unsigned char arena[ARENA_SIZE];

struct slot {
    unsigned char *p;
    size_t size, align;
    uint64_t seed;
};

static struct slot slots[SLOTS];
static uint64_t rng;

static uint64_t next64(void)
{
    return splitmix64_next(&rng);
}

static size_t below(size_t n)
{
    return (size_t)(next64() % n);
}

static size_t rand_size(void)
{
    size_t u = below(100);
    if (u < 70)
        return below(257);
    if (u < 97)
        return 257 + below(4096 - 257);
    return 4096 + below(28u * 1024u);
}

static size_t rand_align(void)
{
    size_t u = below(100);
    if (u < 80)
        return (size_t)1 << below(5); /* 1..16 */
    if (u < 95)
        return (size_t)32 << below(4); /* 32..256 */
    return (size_t)512 << below(4);    /* 512..4096 */
}

static inline uint64_t pat_word(uint64_t seed, size_t i)
{
    return seed + i * 0x9E3779B97F4A7C15ull;
}

static void pat_fill(unsigned char *p, size_t from, size_t to, uint64_t seed)
{
    for (size_t i = from; i < to;) {
        if ((i & 7) == 0 && i + 8 <= to) {
            uint64_t w = pat_word(seed, i >> 3);
            memcpy(p + i, &w, 8);
            i += 8;
        } else {
            p[i] = (unsigned char)(pat_word(seed, i >> 3) >> ((i & 7) * 8));
            i++;
        }
    }
}

static void pat_check(const unsigned char *p, size_t n, uint64_t seed, const char *when)
{
    for (size_t i = 0; i < n;) {
        if ((i & 7) == 0 && i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w != pat_word(seed, i >> 3))
                fail_msg("contents of block %p (size %zu) corrupted at %zu (%s)", (void *)p, n, i,
                         when);
            i += 8;
        } else {
            if (p[i] != (unsigned char)(pat_word(seed, i >> 3) >> ((i & 7) * 8)))
                fail_msg("contents of block %p (size %zu) corrupted at %zu (%s)", (void *)p, n, i,
                         when);
            i++;
        }
    }
}

struct grow_ctx {
    uintptr_t limit;
};

static size_t grow_cb(void *ctx, uintptr_t end, size_t min_bytes)
{
    struct grow_ctx *g = ctx;
    size_t want = min_bytes < 65536 ? 65536 : min_bytes;
    if (end + want > g->limit)
        want = min_bytes;
    return end + want <= g->limit ? want : 0;
}

static void check_block(const struct heap *h, const struct slot *s)
{
    assert_true(((uintptr_t)s->p & (s->align - 1)) == 0);
    assert_true(heap_contains(h, s->p));
    assert_true(heap_contains(h, s->p + (s->size ? s->size - 1 : 0)));
    assert_true(heap_usable_size(h, s->p) >= s->size);
}

/* Runs n random operations; returns the number of failed allocations/reallocs. */
static size_t run(struct heap *h, size_t n, uint64_t seed, bool expect_no_failure)
{
    rng = seed;
    memset(slots, 0, sizeof(slots));
    size_t live = 0, failures = 0, gen = 0;
    for (size_t op = 1; op <= n; op++) {
        struct slot *s = &slots[below(SLOTS)];
        if (!s->p) {
            size_t size = rand_size(), align = rand_align();
            unsigned char *p = heap_alloc(h, size, align);
            if (!p) {
                failures++;
                continue;
            }
            *s = (struct slot){p, size, align, ++gen * 0x2545F4914F6CDD1Dull};
            check_block(h, s);
            pat_fill(p, 0, size, s->seed);
            live++;
        } else if (below(2) == 0) {
            pat_check(s->p, s->size, s->seed, "before free");
            heap_free(h, s->p);
            s->p = NULL;
            live--;
        } else {
            size_t ns = below(4) == 0 ? below(s->size + 1) : rand_size();
            pat_check(s->p, s->size, s->seed, "before realloc");
            unsigned char *q = heap_realloc(h, s->p, ns, s->align);
            if (!q) {
                failures++;
                pat_check(s->p, s->size, s->seed, "after failed realloc");
                continue;
            }
            size_t keep = ns < s->size ? ns : s->size;
            pat_check(q, keep, s->seed, "after realloc");
            s->p = q;
            s->size = ns;
            check_block(h, s);
            pat_fill(q, keep, ns, s->seed);
        }
        if (op % CHECK_EVERY == 0) {
            heap_check(h);
            struct heap_stats st;
            heap_get_stats(h, &st);
            assert_int_equal(st.live_allocs, live);
            assert_int_equal(st.bytes_used + st.bytes_free + HEAP_ALIGN, st.heap_size);
        }
    }
    heap_check(h);
    for (size_t i = 0; i < SLOTS; i++) {
        if (slots[i].p) {
            pat_check(slots[i].p, slots[i].size, slots[i].seed, "final free");
            heap_free(h, slots[i].p);
        }
    }
    heap_check(h);
    struct heap_stats st;
    heap_get_stats(h, &st);
    assert_int_equal(st.live_allocs, 0);
    assert_int_equal(st.free_blocks, 1);
    assert_int_equal(st.largest_free, st.heap_size - HEAP_ALIGN);
    if (expect_no_failure)
        assert_int_equal(failures, 0);
    return failures;
}

/* 10^6 random operations on a 64 KiB heap that grows up to 48 MiB: every block keeps its
 * pattern, alignment and size, the statistics agree with the model, and freeing all leaves
 * one free block. */
static void test_diff_million(void **state)
{
    (void)state;
    struct heap h;
    struct grow_ctx g = {(uintptr_t)arena + ARENA_SIZE};
    assert_int_equal(test_heap_init(&h, arena, 64u * 1024u, grow_cb, &g, ARENA_SIZE, 0,
                                    test_heap_index(ARENA_SIZE)),
                     E_OK);
    run(&h, 1000000, 42, true);
}

/* The same model in debug mode (free memory poisoned and checked when handed out again, a
 * trailer on every block) from a 4 KiB heap: 10^5 operations, with the same checks. */
static void test_diff_debug(void **state)
{
    (void)state;
    struct heap h;
    struct grow_ctx g = {(uintptr_t)arena + ARENA_SIZE};
    assert_int_equal(test_heap_init(&h, arena, 4096, grow_cb, &g, ARENA_SIZE, HEAP_F_DEBUG,
                                    test_heap_index(ARENA_SIZE)),
                     E_OK);
    run(&h, 100000, 7, true);
}

/* A 512 KiB cap the live set often does not fit: some allocations and reallocs fail, and
 * each failure leaves every block and the statistics as they were; the heap never passes
 * the cap. */
static void test_diff_small_cap(void **state)
{
    (void)state;
    struct heap h;
    struct grow_ctx g = {(uintptr_t)arena + ARENA_SIZE};
    /* 512 KiB cap: the live set (~512 blocks of ~1.6 KiB on average) often does not fit */
    assert_int_equal(
        test_heap_init(&h, arena, 4096, grow_cb, &g, 512u << 10, 0, test_heap_index(512u << 10)),
        E_OK);
    size_t failures = run(&h, 200000, 99, false);
    assert_true(failures > 0);
    struct heap_stats st;
    heap_get_stats(&h, &st);
    assert_true(st.heap_size <= (512u << 10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff_million),
        cmocka_unit_test(test_diff_debug),
        cmocka_unit_test(test_diff_small_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
