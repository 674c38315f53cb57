/* SPDX-License-Identifier: MIT */
/*
 * tests/host/test_heap_trim.c - the heap core gives memory back (heap_set_trim) and clears
 * only what is not known zero (heap_alloc_zeroed).
 *
 * The heap lives in a fresh anonymous mapping that grows page by page. The release hook
 * really takes the pages away (madvise(MADV_DONTNEED), then mprotect(PROT_NONE)): a read or
 * write of a released page by the core faults and kills the test. The hooks keep a
 * per-page map and fail the test when the core releases a page twice or reuses one that is
 * not released: the core's bookkeeping must be exact. mincore() shows that a calloc of fresh
 * or released memory leaves its pages untouched.
 *
 * The tests that build a layout draw it, lowest address left: |p A n| is the allocated block
 * of variable p, n bytes with its 16-byte header, |F n| a free block, |sentinel| the 16-byte
 * end sentinel (the heap starts at 64 KiB and grows page by page).
 */
#define _GNU_SOURCE
#include "support.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mm/heap.h"
#include "tests/common/heap_index_mem.h"
#include "tests/common/splitmix64.h"

#define PAGE 4096u
#define MAX_HEAP ((size_t)512 << 20)

static struct world {
    struct heap h;
    unsigned char *base;
    unsigned char *state; /* per page: 1 = released */
    size_t released, releases, reuses;
    bool refuse; /* reuse says no */
} W;

static size_t grow_cb(void *ctx, uintptr_t end, size_t min_bytes)
{
    (void)ctx;
    return end + min_bytes <= (uintptr_t)W.base + MAX_HEAP ? min_bytes : 0;
}

static void release_cb(void *ctx, uintptr_t start, size_t bytes)
{
    assert_ptr_equal(ctx, &W);
    assert_true(start % PAGE == 0 && bytes % PAGE == 0 && bytes > 0);
    assert_true(start >= W.h.base && start + bytes <= W.h.end);
    for (size_t i = (start - (uintptr_t)W.base) / PAGE, k = 0; k < bytes / PAGE; i++, k++) {
        if (W.state[i])
            fail_msg("page %#zx released twice", i * PAGE);
        W.state[i] = 1;
    }
    assert_int_equal(madvise((void *)start, bytes, MADV_DONTNEED), 0);
    assert_int_equal(mprotect((void *)start, bytes, PROT_NONE), 0);
    W.released += bytes;
    W.releases++;
}

static bool reuse_cb(void *ctx, uintptr_t start, size_t bytes)
{
    assert_ptr_equal(ctx, &W);
    assert_true(start % PAGE == 0 && bytes % PAGE == 0 && bytes > 0);
    if (W.refuse)
        return false;
    for (size_t i = (start - (uintptr_t)W.base) / PAGE, k = 0; k < bytes / PAGE; i++, k++) {
        if (!W.state[i])
            fail_msg("page %#zx reused but not released", i * PAGE);
        W.state[i] = 0;
    }
    assert_int_equal(mprotect((void *)start, bytes, PROT_READ | PROT_WRITE), 0);
    W.released -= bytes;
    W.reuses++;
    return true;
}

static void world_init(unsigned flags, size_t init)
{
    static unsigned char *map;
    if (map)
        munmap(map, MAX_HEAP);
    free(W.state);
    memset(&W, 0, sizeof(W));
    map = mmap(NULL, MAX_HEAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
               -1, 0);
    assert_true(map != MAP_FAILED);
    W.base = map;
    W.state = calloc(MAX_HEAP / PAGE, 1);
    assert_int_equal(
        test_heap_init(&W.h, map, init, grow_cb, NULL, MAX_HEAP, flags, test_heap_index(MAX_HEAP)),
        E_OK);
    struct heap_trim t = {release_cb, reuse_cb, &W, true};
    assert_int_equal(heap_set_trim(&W.h, &t), E_OK);
}

static struct heap_stats stats(void)
{
    struct heap_stats st;
    heap_get_stats(&W.h, &st);
    return st;
}

/* The heap's count of released bytes is the hooks'. */
static void check(void)
{
    heap_check(&W.h);
    struct heap_stats st = stats();
    assert_int_equal(st.bytes_released, W.released);
    assert_int_equal(st.release_events, W.releases);
    assert_int_equal(st.reuse_events, W.reuses);
}

/* Pages of [p, p + n) resident in memory. */
static size_t resident_pages(const void *p, size_t n)
{
    uintptr_t lo = (uintptr_t)p & ~(uintptr_t)(PAGE - 1),
              hi = ((uintptr_t)p + n + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    size_t np = (hi - lo) / PAGE, r = 0;
    unsigned char *v = malloc(np);
    assert_int_equal(mincore((void *)lo, hi - lo, v), 0);
    for (size_t i = 0; i < np; i++)
        r += v[i] & 1;
    free(v);
    return r;
}

static void fill(unsigned char *p, size_t n, unsigned char c)
{
    memset(p, c, n);
}

static void expect(const unsigned char *p, size_t n, unsigned char c)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            fail_msg("byte %zu of %p is %#x, expected %#x", i, (const void *)p, p[i], c);
}

/* Random allocations, reallocs, callocs and frees up to 1 MiB, every block's contents
 * checked before it goes: the heap gives back and reuses pages without ever touching a
 * released one (mprotect) or a live block, and its counts agree with the hooks'. */
static void random_run(unsigned flags, unsigned long long seed)
{
    world_init(flags, 64u << 10);
    enum { N = 256 };
    unsigned char *p[N] = {0};
    size_t sz[N] = {0};
    uint64_t s = seed;
    for (int op = 0; op < 6000; op++) {
        unsigned i = (unsigned)(splitmix64_next(&s) % N);
        uint64_t r = splitmix64_next(&s);
        if (p[i]) {
            expect(p[i], sz[i], (unsigned char)i);
            if (r % 4 == 0) {
                size_t ns = (size_t)(splitmix64_next(&s) % (1u << 20));
                unsigned char *q = heap_realloc(&W.h, p[i], ns, 16);
                assert_non_null(q);
                p[i] = q;
                if (ns > sz[i])
                    fill(q + sz[i], ns - sz[i], (unsigned char)i);
                sz[i] = ns;
            } else {
                heap_free(&W.h, p[i]);
                p[i] = NULL;
            }
        } else {
            size_t n = (size_t)(r % 8 == 0 ? splitmix64_next(&s) % (1u << 20)
                                           : splitmix64_next(&s) % 4096u);
            size_t align = (size_t)1 << (splitmix64_next(&s) % 13);
            if (r % 3 == 0) {
                p[i] = heap_alloc_zeroed(&W.h, n, align, NULL);
                assert_non_null(p[i]);
                expect(p[i], n, 0);
            } else {
                p[i] = heap_alloc(&W.h, n, align);
                assert_non_null(p[i]);
            }
            assert_true((uintptr_t)p[i] % align == 0);
            fill(p[i], n, (unsigned char)i);
            sz[i] = n;
        }
        if (op % 16 == 0)
            check();
    }
    for (unsigned i = 0; i < N; i++)
        heap_free(&W.h, p[i]);
    check();
    assert_true(W.releases > 0 && W.reuses > 0);
    /* all free: one block, released but its first and last pages and what stays under the
     * threshold (raised by the reuses: the hysteresis) */
    struct heap_stats st = stats();
    assert_int_equal(st.free_blocks, 1);
    assert_true(st.heap_size - st.bytes_released < W.h.trim_threshold + 3 * PAGE);
    print_message("random run (flags %#x): %zu releases, %zu reuses, %zu of %zu bytes released\n",
                  flags, W.releases, W.reuses, st.bytes_released, st.heap_size);
}

/*
 * Two random runs without debug mode (seeds 1 and 2): pages are given back and reused
 * without the core ever touching a released page or a live block, and the hooks' counts
 * agree with the heap's.
 */
static void test_random_release(void **state)
{
    (void)state;
    random_run(0, 1);
    random_run(0, 2);
}

/*
 * A random run in debug mode (seed 3): reused pages are poisoned again, and frees check the
 * poison.
 */
static void test_random_release_debug(void **state)
{
    (void)state;
    random_run(HEAP_F_DEBUG, 3); /* reused pages are poisoned again; frees check it */
}

/*
 *   base                                              base + 1 MiB + 4 KiB
 *   |p A 1 MiB + 16                                 |F 4064     |sentinel|  alloc(1 MiB): grown
 *   |F 1 MiB + 4080, the middle released the first time         |sentinel|  free(p)
 *   base                                              base + 3 MiB + 4 KiB
 *   |a A 3 MiB + 16                       |fence A 128|F 3936   |sentinel|
 *   |F 3 MiB + 16, released the first time|fence A 128|F 3936   |sentinel|  p = a each round
 * hysteresis: an alloc/free loop of 1 MiB at the heap's end, and one of 3 MiB in the hole in
 * front of fence, each settle after the first reuse (the threshold rises to twice what was
 * reused) instead of releasing and reusing every time: at most 2 releases and 2 reuses in
 * 1000 rounds at the end, at most 3 and 3 in the hole.
 */
static void test_hysteresis(void **state)
{
    (void)state;
    world_init(0, 64u << 10);
    for (int i = 0; i < 1000; i++) {
        void *p = heap_alloc(&W.h, 1u << 20, 16);
        assert_non_null(p);
        memset(p, 1, 1u << 20);
        heap_free(&W.h, p);
    }
    check();
    print_message("1000 x alloc/free 1 MiB at the end: %zu releases, %zu reuses\n", W.releases,
                  W.reuses);
    assert_true(W.releases <= 2 && W.reuses <= 2);
    size_t rel0 = W.releases, reu0 = W.reuses;
    void *a = heap_alloc(&W.h, 3u << 20, 16), *fence = heap_alloc(&W.h, 100, 16);
    assert_non_null(a);
    assert_non_null(fence);
    heap_free(&W.h, a); /* a hole of 3 MiB in front of the fence */
    for (int i = 0; i < 1000; i++) {
        void *p = heap_alloc(&W.h, 3u << 20, 16);
        assert_ptr_equal(p, a); /* first fit: the hole */
        memset(p, 2, 3u << 20);
        heap_free(&W.h, p);
    }
    check();
    print_message("1000 x alloc/free 3 MiB in a hole: %zu releases, %zu reuses\n",
                  W.releases - rel0, W.reuses - reu0);
    assert_true(W.releases - rel0 <= 3 && W.reuses - reu0 <= 3);
    heap_free(&W.h, fence);
    check();
}

/*
 *   base                                                      base + 8 MiB + 4 KiB
 *   |F 8 MiB + 16, released but its first and last page|b A 80|F 3984   |sentinel|  a freed
 *   |c A 1 MiB + 16|F 7 MiB, released                  |b A 80|F 3984   |sentinel|  c: 1 MiB at a
 * a reuse that fails fails the allocation (alloc and calloc of 1 MiB) or the in-place
 * realloc (c to 6 MiB) and changes nothing: the statistics compare equal and c keeps its
 * bytes; once reuse works the same calls take the same blocks. Switching trimming off while
 * pages are released is refused.
 */
static void test_reuse_refused(void **state)
{
    (void)state;
    world_init(0, 64u << 10);
    void *a = heap_alloc(&W.h, 8u << 20, 16), *b = heap_alloc(&W.h, 64, 16);
    assert_non_null(a);
    assert_non_null(b);
    heap_free(&W.h, a);
    check();
    assert_true(W.released >= (8u << 20) - 2 * PAGE);
    struct heap_stats before = stats();
    W.refuse = true;
    assert_null(heap_alloc(&W.h, 1u << 20, 16));
    assert_null(heap_alloc_zeroed(&W.h, 1u << 20, 4096, NULL));
    check();
    struct heap_stats after = stats();
    assert_memory_equal(&before, &after, sizeof(before));
    W.refuse = false;
    void *c = heap_alloc(&W.h, 1u << 20, 16);
    assert_ptr_equal(c, a); /* the same first fit once reuse works */
    memset(c, 3, 1u << 20);
    check();
    /* an in-place growth into released pages: refused, c stays as it is */
    W.refuse = true;
    assert_null(heap_realloc(&W.h, c, 6u << 20, 16));
    expect(c, 1u << 20, 3);
    W.refuse = false;
    assert_ptr_equal(heap_realloc(&W.h, c, 6u << 20, 16), c);
    memset(c, 4, 6u << 20);
    check();
    /* switching off while pages are released is refused */
    assert_int_equal(heap_set_trim(&W.h, NULL), E_INVAL);
    heap_free(&W.h, c);
    heap_free(&W.h, b);
    check();
}

/*
 *   base                                           base + 256 MiB + 4 KiB
 *   |p A 256 MiB + 16, fresh from the grow hook      |F 4064   |sentinel|  calloc
 *   |F 256 MiB + 4080, released but its first and last page    |sentinel|  free(p)
 *   |q A 256 MiB + 16, at p: reused released pages   |F 4064   |sentinel|  calloc
 * zero once: a calloc of fresh memory at the heap's end, and one of released pages, touch
 * none of its pages (mincore), and read as zero; memory that was used (1 MiB of q, written)
 * is cleared by the next calloc.
 */
static void test_calloc_touches_nothing(void **state)
{
    (void)state;
    world_init(0, 64u << 10);
    size_t n = (size_t)256 << 20;
    unsigned char *p = heap_alloc_zeroed(&W.h, n, 16, NULL);
    assert_non_null(p);
    size_t res = resident_pages(p, n);
    print_message("calloc(256 MiB) of fresh memory: %zu pages resident\n", res);
    assert_true(res <= (64u << 10) / PAGE + 1); /* the initial region's pages: not known zero */
    heap_free(&W.h, p);
    check();
    assert_true(W.released >= n - 2 * PAGE);
    /* reused released pages come back zero: still nothing to clear */
    W.h.trim_threshold = SIZE_MAX / 4; /* (keep the hysteresis out of this test) */
    unsigned char *q = heap_alloc_zeroed(&W.h, n, 16, NULL);
    assert_ptr_equal(q, p);
    res = resident_pages(q, n);
    print_message("calloc(256 MiB) of released memory: %zu pages resident\n", res);
    assert_true(res <= 4);
    for (size_t i = 0; i < n; i += PAGE / 4)
        assert_int_equal(q[i], 0);
    /* used memory is cleared */
    memset(q, 0x77, 1u << 20);
    heap_free(&W.h, q);
    unsigned char *z = heap_alloc_zeroed(&W.h, 1u << 20, 16, NULL);
    expect(z, 1u << 20, 0);
    heap_free(&W.h, z);
    check();
}

/*
 *   base                                             base + 16 MiB + 4 KiB
 *   |p A 16 MiB + 16                                  |F 4064   |sentinel|  then q, the same block
 * without heap_set_trim nothing is released when p is freed, and a calloc of the same block
 * clears everything (the grow hook's memory is not known to be zero).
 */
static void test_off_by_default(void **state)
{
    (void)state;
    world_init(0, 64u << 10);
    assert_int_equal(heap_set_trim(&W.h, NULL), E_OK);
    void *p = heap_alloc(&W.h, 16u << 20, 16);
    memset(p, 9, 16u << 20);
    heap_free(&W.h, p);
    unsigned char *q = heap_alloc_zeroed(&W.h, 16u << 20, 16, NULL);
    expect(q, 16u << 20, 0);
    heap_free(&W.h, q);
    check();
    assert_int_equal(W.releases, 0);
    assert_int_equal(stats().bytes_released, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_release),
        cmocka_unit_test(test_random_release_debug),
        cmocka_unit_test(test_hysteresis),
        cmocka_unit_test(test_reuse_refused),
        cmocka_unit_test(test_calloc_touches_nothing),
        cmocka_unit_test(test_off_by_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
