/* SPDX-License-Identifier: MIT */
/*
 * tests/host/test_heap.c - unit tests of the heap core (mm/heap.c).
 *
 * Each test builds its own heap over a static buffer: the blog_os scenarios, splitting
 * and merging, alignment, realloc in place, growth through the callback, every misuse
 * panic, debug poisoning, overflow-safe sizes, statistics and the leak report.
 *
 * Each test opens with a diagram of the blocks it builds, lowest address left, and what it
 * expects. |a A 128| is the allocated block of variable a, 128 bytes, |F 96| a free block;
 * sizes include the 16-byte header (mm/heap.c: sizes in 16-byte granules, 48 at least, plus
 * a 16-byte trailer in debug mode); |sentinel| is the 16-byte end sentinel.
 */
#include "support.h"

#include <stdint.h>
#include <stdlib.h>

#include "lib/kprintf.h"
#include "lib/types.h"
#include "mm/heap.h"
#include "tests/common/heap_index_mem.h"

#define ARENA_SIZE (8u << 20)
static _Alignas(4096) unsigned char arena[ARENA_SIZE];

/* Growth over the static arena: hands out exactly what is asked, records the calls. */
struct grow_ctx {
    uintptr_t limit;
    size_t calls, last_min;
    uintptr_t last_end;
};

static size_t grow_cb(void *ctx, uintptr_t end, size_t min_bytes)
{
    struct grow_ctx *g = ctx;
    g->calls++;
    g->last_end = end;
    g->last_min = min_bytes;
    if (end + min_bytes > g->limit)
        return 0;
    return min_bytes;
}

static struct heap H;

static void init_plain(size_t size)
{
    assert_int_equal(test_heap_init(&H, arena, size, NULL, NULL, size, 0, test_heap_index(size)),
                     E_OK);
}

static struct heap_stats stats(void)
{
    struct heap_stats st;
    heap_get_stats(&H, &st);
    return st;
}

/* The heap is one free block covering everything but the end sentinel. */
static void assert_one_free_block(void)
{
    heap_check(&H);
    struct heap_stats st = stats();
    assert_int_equal(st.free_blocks, 1);
    assert_int_equal(st.live_allocs, 0);
    assert_int_equal(st.bytes_used, 0);
    assert_int_equal(st.largest_free, st.heap_size - HEAP_ALIGN);
}

static void fill(void *p, size_t n, unsigned seed)
{
    unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        c[i] = (unsigned char)(seed * 31u + i * 7u);
}

static int check_fill(const void *p, size_t n, unsigned seed)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i] != (unsigned char)(seed * 31u + i * 7u))
            return 0;
    return 1;
}

/* ---------------------------------------------------------------------------------- */
/* blog_os tests/heap_allocation.rs                                                    */
/* ---------------------------------------------------------------------------------- */

#define BLOGOS_HEAP (100u * 1024u)

/*
 *   base                                               base + 100 KiB
 *   |a A 48|b A 48|F 102288 ...                            |sentinel|
 * two 4-byte ints get two minimum blocks that keep their values; freeing both leaves one free
 * block.
 */
static void test_simple_allocation(void **state)
{
    (void)state;
    init_plain(BLOGOS_HEAP);
    int *a = heap_alloc(&H, sizeof(int), _Alignof(int));
    int *b = heap_alloc(&H, sizeof(int), _Alignof(int));
    assert_non_null(a);
    assert_non_null(b);
    *a = 41;
    *b = 13;
    assert_int_equal(*a, 41);
    assert_int_equal(*b, 13);
    heap_free(&H, b);
    heap_free(&H, a);
    assert_one_free_block();
}

/*
 *   base                                               base + 100 KiB
 *   |v A 48|F 102336 ...                                   |sentinel|  capacity 4
 *   |v A 80|F 102304 ...                                   |sentinel|  8, then 16, 32 ...
 *   |v A 8208                 |F 94176 ...                 |sentinel|  1024
 * a vector of 1000 u64 whose capacity realloc doubles from 4 grows in place every time
 * (nothing follows it) and keeps its values (sum 499500); freed, it leaves one free block.
 */
static void test_large_vec(void **state)
{
    (void)state;
    init_plain(BLOGOS_HEAP);
    uint64_t *v = NULL;
    size_t cap = 0;
    for (uint64_t n = 0; n < 1000; n++) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            uint64_t *nv = heap_realloc(&H, v, cap * sizeof(*v), _Alignof(uint64_t));
            assert_non_null(nv);
            if (v)
                assert_ptr_equal(nv, v); /* grows in place: nothing follows it */
            v = nv;
        }
        v[n] = n;
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < 1000; i++)
        sum += v[i];
    assert_int_equal(sum, 499500);
    heap_check(&H);
    heap_free(&H, v);
    assert_one_free_block();
}

/*
 *   base                                               base + 100 KiB
 *   |x A 48|F 102336 ...                                   |sentinel|  every round
 * 100 Ki rounds of allocating and freeing an 8-byte box in a 100 KiB heap never run out: each
 * freed box merges back, and the heap ends as one free block.
 */
static void test_many_boxes(void **state)
{
    (void)state;
    init_plain(BLOGOS_HEAP);
    for (size_t i = 0; i < BLOGOS_HEAP; i++) {
        size_t *x = heap_alloc(&H, sizeof(size_t), _Alignof(size_t));
        assert_non_null(x);
        *x = i;
        assert_int_equal(*x, i);
        heap_free(&H, x);
    }
    assert_one_free_block();
}

/*
 *   base                            base + 100 KiB, growable to 8 MiB
 *   |ll A 48|x A 48|F 102288 ...                           |sentinel|  every round
 * with a long-lived box in front, 100 Ki short-lived boxes all take the same block: the heap
 * never grows (no grow call), and ll keeps its value.
 */
static void test_many_boxes_long_lived(void **state)
{
    (void)state;
    struct grow_ctx g = {.limit = (uintptr_t)arena + ARENA_SIZE};
    assert_int_equal(test_heap_init(&H, arena, BLOGOS_HEAP, grow_cb, &g, ARENA_SIZE, 0,
                                    test_heap_index(ARENA_SIZE)),
                     E_OK);
    int *ll = heap_alloc(&H, sizeof(int), _Alignof(int));
    assert_non_null(ll);
    *ll = 1;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (size_t i = 0; i < BLOGOS_HEAP; i++) {
        size_t *x = heap_alloc(&H, sizeof(size_t), _Alignof(size_t));
        assert_non_null(x);
        *x = i;
        lo = (uintptr_t)x < lo ? (uintptr_t)x : lo;
        hi = (uintptr_t)x > hi ? (uintptr_t)x : hi;
        heap_free(&H, x);
    }
    assert_int_equal(*ll, 1);
    assert_int_equal(lo, hi); /* every box reused the same block */
    assert_int_equal(stats().grow_events, 0);
    assert_int_equal(g.calls, 0);
    heap_free(&H, ll);
    assert_one_free_block();
}

/* ---------------------------------------------------------------------------------- */
/* Splitting, merging, alignment                                                      */
/* ---------------------------------------------------------------------------------- */

/*
 *   base                                                 base + 1 MiB
 *   |p0 A|p1 A|p2 A| ... |p298 A|p299 A|F ...              |sentinel|
 *   |p0 F|p1 A|p2 F| ... |p298 F|p299 A|F ...              |sentinel|  the even ones freed
 * 300 blocks of random sizes (0 to 1999 bytes) are carved low to high; freeing the even ones
 * leaves no two free neighbours (150 free blocks at least), and freeing the rest, then 300
 * new ones in random order, leaves one free block each time.
 */
static void test_split_merge_free_all(void **state)
{
    (void)state;
    init_plain(1u << 20);
    enum { N = 300 };
    void *p[N];
    srand(7);
    for (int i = 0; i < N; i++) {
        p[i] = heap_alloc(&H, (size_t)(rand() % 2000), 16);
        assert_non_null(p[i]);
    }
    heap_check(&H);
    assert_int_equal(stats().live_allocs, N);
    /* free every other block: no two free neighbours may stay unmerged */
    for (int i = 0; i < N; i += 2)
        heap_free(&H, p[i]);
    heap_check(&H);
    assert_true(stats().free_blocks >= N / 2);
    for (int i = 1; i < N; i += 2)
        heap_free(&H, p[i]);
    assert_one_free_block();
    /* again, freeing in random order */
    for (int i = 0; i < N; i++)
        p[i] = heap_alloc(&H, (size_t)(rand() % 3000) + 1, 16);
    for (int i = N - 1; i > 0; i--) {
        int j = rand() % (i + 1);
        void *t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
    for (int i = 0; i < N; i++) {
        heap_free(&H, p[i]);
        if (i % 37 == 0)
            heap_check(&H);
    }
    assert_one_free_block();
}

/*
 *   base                                                base + 64 KiB
 *   |a A 128|b A 128|c A 128|d A 128|F 65008 ...           |sentinel|
 *   |a F 128|b A 128|c F 128|d A 128|F 65008 ...           |sentinel|  a, c freed
 *   |F 384                  |d A 128|F 65008 ...           |sentinel|  b freed
 * a and c freed make 3 free blocks; freeing b merges it with both neighbours (2 left), and
 * freeing d merges everything into one.
 */
static void test_neighbour_merges(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    void *a = heap_alloc(&H, 100, 16), *b = heap_alloc(&H, 100, 16), *c = heap_alloc(&H, 100, 16),
         *d = heap_alloc(&H, 100, 16);
    assert_true((uintptr_t)a < (uintptr_t)b && (uintptr_t)b < (uintptr_t)c &&
                (uintptr_t)c < (uintptr_t)d); /* carved from the low end */
    heap_free(&H, a);
    heap_free(&H, c);
    heap_check(&H);
    assert_int_equal(stats().free_blocks, 3); /* a, c, tail */
    heap_free(&H, b);                         /* merges with both a and c */
    heap_check(&H);
    assert_int_equal(stats().free_blocks, 2);
    heap_free(&H, d); /* merges with a..c and the tail */
    assert_one_free_block();
}

static const size_t sweep_sizes[] = {0, 1, 7, 8, 15, 16, 17, 31, 33, 100, 1000, 4095, 5000};

/*
 *   base                base + 4080    base + 8176                           base + 4 MiB
 *   |13 x k A 48|F 3456 |p0 A 48|F 4048|p1 A 48|F 4048 ... |p12 A 5024|F ...   |sentinel|
 * at each alignment from 1 to 4096 (drawn: 4096, first fit), 13 blocks p of 0 to 5000 bytes,
 * each followed by a 24-byte k (a 48-byte block wherever the policy finds room: at 4096
 * first fit puts all 13 in the lowest gap) so that the next p needs padding: every p is
 * aligned, holds its size and keeps its contents, and freeing all leaves one free block.
 */
static void test_alignment_sweep(void **state)
{
    (void)state;
    init_plain(4u << 20);
    void *keep[64];
    for (size_t align = 1; align <= 4096; align <<= 1) {
        int k = 0;
        for (size_t i = 0; i < ARRAY_SIZE(sweep_sizes); i++) {
            size_t sz = sweep_sizes[i];
            void *p = heap_alloc(&H, sz, align);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % align, 0);
            assert_int_equal((uintptr_t)p % HEAP_ALIGN, 0);
            assert_true(heap_usable_size(&H, p) >= sz);
            fill(p, sz, (unsigned)i);
            keep[k++] = p;
            /* an unaligned neighbour in between makes the next one need padding */
            keep[k++] = heap_alloc(&H, 24, 8);
        }
        heap_check(&H);
        for (int j = 0; j < k; j += 2)
            assert_true(check_fill(keep[j], sweep_sizes[j / 2], (unsigned)(j / 2)));
        for (int j = 0; j < k; j++)
            heap_free(&H, keep[j]);
        assert_one_free_block();
    }
}

/*
 *   base                                                 base + 8 MiB
 *   |pad A 64|F gap ...         |p A 128|F ...             |sentinel|  p: 8 KiB .. 2 MiB aligned
 * a 100-byte p at each alignment from 8 KiB to HEAP_MAX_ALIGN (2 MiB), one at a time, is
 * aligned (the gap in front stays a free block); align 4 MiB, 0, 3 and 48 return NULL.
 */
static void test_large_alignments(void **state)
{
    (void)state;
    init_plain(8u << 20);
    void *pad = heap_alloc(&H, 40, 16);
    for (size_t align = 8192; align <= HEAP_MAX_ALIGN; align <<= 1) {
        void *p = heap_alloc(&H, 100, align);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % align, 0);
        heap_check(&H);
        heap_free(&H, p);
    }
    assert_null(heap_alloc(&H, 100, HEAP_MAX_ALIGN * 2));
    assert_null(heap_alloc(&H, 100, 0));
    assert_null(heap_alloc(&H, 100, 3));
    assert_null(heap_alloc(&H, 100, 48));
    heap_free(&H, pad);
    assert_one_free_block();
}

/*
 *   base        base + 48                    base + 4080        base + 64 KiB
 *   |small A 48|F 4032                      |al A 80|F 61360 ...   |sentinel|  al: align 4096
 *   |small A 48|again A 128|F 3904          |al A 80|F 61360 ...   |sentinel|  alloc(100)
 * the padding in front of the 4096-aligned al becomes a free block of its own (one more free
 * block, under 256 bytes more in use), and the next small allocation lands in it, below al.
 */
static void test_padding_not_leaked(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    void *small = heap_alloc(&H, 16, 16);
    struct heap_stats before = stats();
    void *al = heap_alloc(&H, 64, 4096);
    assert_non_null(al);
    assert_int_equal((uintptr_t)al % 4096, 0);
    heap_check(&H); /* tiling is exact: padding is accounted for */
    struct heap_stats after = stats();
    /* the padding in front became a free block of its own, not part of the allocation */
    assert_int_equal(after.free_blocks, before.free_blocks + 1);
    assert_true(after.bytes_used - before.bytes_used < 256);
    /* and it is reused: a small allocation lands below the aligned block */
    void *again = heap_alloc(&H, 100, 16);
    assert_true((uintptr_t)again < (uintptr_t)al);
    heap_free(&H, again);
    heap_free(&H, al);
    heap_free(&H, small);
    assert_one_free_block();
}

/* ---------------------------------------------------------------------------------- */
/* realloc                                                                            */
/* ---------------------------------------------------------------------------------- */

/*
 *   base                                                base + 64 KiB
 *   |a A 128|b A 128|c A 128|F 65136 ...                   |sentinel|
 *   |a A 256        |c A 128|F 65136 ...                   |sentinel|  b freed, a -> 200
 *   |a A 64|F 192   |c A 128|F 65136 ...                   |sentinel|  a -> 40
 *   |F 256          |c A 128|a A 1024|F 64112 ...          |sentinel|  a -> 1000
 * growing into the free successor (all of it: the 32 bytes left stay in a) and shrinking
 * keep the pointer and the contents; growing past the allocated c moves a, its first 40
 * bytes kept; the same size is a no-op, and realloc(NULL) allocates.
 */
static void test_realloc_in_place(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    char *a = heap_alloc(&H, 100, 16);
    char *b = heap_alloc(&H, 100, 16);
    char *c = heap_alloc(&H, 100, 16);
    fill(a, 100, 1);
    heap_free(&H, b); /* a is now followed by a free block */
    char *a2 = heap_realloc(&H, a, 200, 16);
    assert_ptr_equal(a2, a); /* grew into the free successor */
    assert_true(check_fill(a2, 100, 1));
    heap_check(&H);

    /* shrink in place returns the tail */
    size_t free_before = stats().bytes_free;
    char *a3 = heap_realloc(&H, a2, 40, 16);
    assert_ptr_equal(a3, a2);
    assert_true(check_fill(a3, 40, 1));
    assert_true(stats().bytes_free > free_before);
    heap_check(&H);

    /* growing past the successor (c is allocated) must move, keeping the contents */
    char *a4 = heap_realloc(&H, a3, 1000, 16);
    assert_non_null(a4);
    assert_ptr_not_equal(a4, a3);
    assert_true(check_fill(a4, 40, 1));
    heap_check(&H);

    /* the same size is a no-op */
    assert_ptr_equal(heap_realloc(&H, a4, 1000, 16), a4);
    /* realloc(NULL) allocates */
    char *d = heap_realloc(&H, NULL, 10, 16);
    assert_non_null(d);
    heap_free(&H, d);
    heap_free(&H, a4);
    heap_free(&H, c);
    assert_one_free_block();
}

/*
 *   base                                     base + 16 KiB, no growth
 *   |a A 1024|b A 1024|F 14320 ...                         |sentinel|
 * realloc of a to 64 KiB (no room), to SIZE_MAX or with align 3 returns NULL and leaves a,
 * its contents and the bytes in use as they were.
 */
static void test_realloc_failure_keeps_old(void **state)
{
    (void)state;
    init_plain(16u * 1024u);
    char *a = heap_alloc(&H, 1000, 16);
    char *b = heap_alloc(&H, 1000, 16); /* blocks in-place growth */
    fill(a, 1000, 9);
    struct heap_stats st = stats();
    assert_null(heap_realloc(&H, a, 64u * 1024u, 16)); /* no room, no growth */
    assert_null(heap_realloc(&H, a, SIZE_MAX, 16));
    assert_null(heap_realloc(&H, a, 100, 3));
    assert_true(check_fill(a, 1000, 9));
    assert_int_equal(stats().bytes_used, st.bytes_used);
    heap_check(&H);
    heap_free(&H, b);
    heap_free(&H, a);
    assert_one_free_block();
}

/*
 *   base              base + 240                                base + 256 KiB
 *   |blocker A 48|F 192|a A 128|F 261760 ...                        |sentinel|  a: align 256
 *   |blocker A 48|F 192|a A 5024         |F 256864 ...              |sentinel|  a -> 5000
 *   |blocker A 48|F 8128                   |c A 5024|F 248928 ...   |sentinel|  -> align 4096
 * a 256-aligned block keeps its alignment and contents through a realloc to 5000 bytes (in
 * place: blocker went into the gap below a) and through one to align 4096, which moves it
 * (c's payload at base + 8192).
 */
static void test_realloc_alignment_kept(void **state)
{
    (void)state;
    init_plain(256u * 1024u);
    char *a = heap_alloc(&H, 100, 256);
    char *blocker = heap_alloc(&H, 10, 16);
    fill(a, 100, 3);
    char *b = heap_realloc(&H, a, 5000, 256); /* in place: blocker took the gap below a */
    assert_non_null(b);
    assert_int_equal((uintptr_t)b % 256, 0);
    assert_true(check_fill(b, 100, 3));
    /* a stricter alignment than the block has also moves */
    char *c = heap_realloc(&H, b, 5000, 4096);
    assert_int_equal((uintptr_t)c % 4096, 0);
    assert_true(check_fill(c, 100, 3));
    heap_free(&H, c);
    heap_free(&H, blocker);
    assert_one_free_block();
}

/* ---------------------------------------------------------------------------------- */
/* Growth                                                                             */
/* ---------------------------------------------------------------------------------- */

/*
 *   base                                            cap: base + 1 MiB
 *   |a A 3024|F 1056                                       |sentinel|  4 KiB
 *   |a A 3024|b A 10016  |F 3328                           |sentinel|  16 KiB: b
 *   |a A 3024|b A 50016         |F 192                     |sentinel|  52 KiB: b -> 50000
 *   |a A 3024|b A 50016         |big A 921616     |F 176   |sentinel|  952 KiB: big
 * a request that does not fit calls grow once at the old end (a multiple of the granule, at
 * least what is missing); the last block grows in place with the heap; growth stops at the
 * cap (2 MiB, then 200 KiB more return NULL); freed, the grown memory is one free block.
 */
static void test_growth(void **state)
{
    (void)state;
    struct grow_ctx g = {.limit = (uintptr_t)arena + ARENA_SIZE};
    assert_int_equal(
        test_heap_init(&H, arena, 4096, grow_cb, &g, 1u << 20, 0, test_heap_index(1u << 20)), E_OK);
    void *a = heap_alloc(&H, 3000, 16);
    assert_non_null(a);
    assert_int_equal(g.calls, 0);
    void *b = heap_alloc(&H, 10000, 16); /* does not fit: grows */
    assert_non_null(b);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.last_end, (uintptr_t)arena + 4096);
    assert_int_equal(g.last_min % HEAP_GROW_GRANULE, 0);
    assert_true(g.last_min >= 10000 - 1000);
    struct heap_stats st = stats();
    assert_int_equal(st.grow_events, 1);
    assert_int_equal(st.heap_size, 4096 + g.last_min);
    heap_check(&H);

    /* the last block grows in place together with the heap */
    void *b2 = heap_realloc(&H, b, 50000, 16);
    assert_ptr_equal(b2, b);
    assert_int_equal(stats().grow_events, 2);
    heap_check(&H);

    /* the cap: never beyond max_size (1 MiB) */
    assert_null(heap_alloc(&H, 2u << 20, 16));
    void *big = heap_alloc(&H, 900u * 1024u, 16);
    assert_non_null(big);
    assert_true(stats().heap_size <= (1u << 20));
    assert_null(heap_alloc(&H, 200u * 1024u, 16));
    heap_check(&H);
    heap_free(&H, big);
    heap_free(&H, b2);
    heap_free(&H, a);
    assert_one_free_block(); /* grown memory merged into one block */
}

/*
 *   base                                           up to base + 8 KiB
 *   |F 4080                                                |sentinel|  4 KiB
 *   |a A 5024            |F 3152                           |sentinel|  alloc(5000): grown by 4 KiB
 * 20000 bytes need more than the grow hook grants: NULL, the heap intact; 5000 bytes then
 * fit after one granule of growth.
 */
static void test_growth_refused(void **state)
{
    (void)state;
    struct grow_ctx g = {.limit = (uintptr_t)arena + 8192}; /* callback refuses beyond */
    assert_int_equal(
        test_heap_init(&H, arena, 4096, grow_cb, &g, 1u << 20, 0, test_heap_index(1u << 20)), E_OK);
    assert_null(heap_alloc(&H, 20000, 16));
    assert_true(g.calls >= 1);
    heap_check(&H);
    void *a = heap_alloc(&H, 5000, 16); /* 4 KiB more is granted */
    assert_non_null(a);
    heap_free(&H, a);
    assert_one_free_block();
}

/* Index memory whose commit hook refuses while `refuse` is set (frames running short). */
struct commit_ctx {
    bool refuse;
    size_t calls, refused;
};

static bool commit_cb(void *ctx, void *start, size_t bytes)
{
    struct commit_ctx *c = ctx;
    (void)start;
    (void)bytes;
    c->calls++;
    if (c->refuse)
        c->refused++;
    return !c->refuse;
}

/* A 1 MiB first-fit heap with an 8 MiB cap whose index memory commits through commit_cb. */
struct refusing_heap {
    struct grow_ctx g;
    struct commit_ctx c;
    struct heap_index_mem m;
};

static void refusing_heap_init(struct refusing_heap *r)
{
    const size_t max = 8u << 20;
    *r = (struct refusing_heap){.g = {.limit = (uintptr_t)arena + ARENA_SIZE}};
    void *ix = calloc(1, heap_index_bytes(max));
    assert_non_null(ix);
    r->m = (struct heap_index_mem){ix, commit_cb, &r->c, true};
    assert_int_equal(heap_init(&H, arena, 1u << 20, grow_cb, &r->g, max, 0, &r->m), E_OK);
}

/*
 *   base                       base + 1 MiB                           cap: base + 8 MiB
 *   |F 1 MiB              |sentinel|                             index covers 1 MiB
 *   |F 1 MiB              |sentinel|grown 2 MiB: aside|          alloc(2 MiB) refused
 *   |a A 2 MiB+16                            |F ...   |sentinel|  commit allowed
 *   |a A 2 MiB+16                 |b A 2 MiB+16  ...  |F |sentinel|  grown again
 * the grow hook's memory is kept aside while the index cannot cover it: retries use it
 * without asking the hook again, and the next growth asks for the end after it (asking
 * twice for one end would find the memory there already: the kernel's hook then fails for
 * good).
 */
static void test_growth_index_commit_refused(void **state)
{
    (void)state;
    struct refusing_heap rh;
    refusing_heap_init(&rh);
    struct grow_ctx *g = &rh.g;
    struct commit_ctx *c = &rh.c;
    assert_true(c->calls >= 1); /* heap_init commits what covers the first MiB */

    c->refuse = true;
    assert_null(heap_alloc(&H, 2u << 20, 16));
    assert_int_equal(g->calls, 1);
    assert_int_equal(g->last_end, (uintptr_t)arena + (1u << 20));
    size_t got = g->last_min; /* grow_cb hands out exactly what is asked */
    assert_true(got >= (1u << 20));
    assert_int_equal(stats().heap_size, 1u << 20); /* not grown: the memory is aside */
    assert_true(c->refused >= 1);
    heap_check(&H);
    assert_null(heap_alloc(&H, 2u << 20, 16)); /* still refused: the hook is not asked again */
    assert_int_equal(g->calls, 1);

    c->refuse = false;
    void *a = heap_alloc(&H, 2u << 20, 16); /* the memory aside is used */
    assert_non_null(a);
    assert_int_equal(g->calls, 1);
    assert_int_equal(stats().heap_size, (1u << 20) + got);
    assert_int_equal(stats().grow_events, 1);
    heap_check(&H);
    void *b = heap_alloc(&H, 2u << 20, 16); /* grows again, after the memory aside */
    assert_non_null(b);
    assert_int_equal(g->calls, 2);
    assert_int_equal(g->last_end, (uintptr_t)arena + (1u << 20) + got);
    heap_check(&H);
    heap_free(&H, a);
    heap_free(&H, b);
    assert_one_free_block();
    free(rh.m.mem);
}

/*
 *   base                                  base + 1 MiB
 *   |p A 900K+16             |F ~124K     |sentinel|                      index covers 1 MiB
 *   |p A 900K+16             |F ~124K     |sentinel|grown ~80K: aside|   alloc(200K) refused
 *   |p A 1.5M+16 (in place)                                   |F ...     |sentinel|
 * memory set aside by a refused commit is smaller than what a later in-place realloc of
 * the last block needs: the heap uses it and grows again under the block, which stays in
 * place (it used to move: one growth was all realloc tried).
 */
static void test_growth_aside_then_realloc_in_place(void **state)
{
    (void)state;
    struct refusing_heap rh;
    refusing_heap_init(&rh);
    struct grow_ctx *g = &rh.g;
    struct commit_ctx *c = &rh.c;
    unsigned char *p = heap_alloc(&H, 900u << 10, 16);
    assert_non_null(p);
    memset(p, 0x5a, 900u << 10);

    c->refuse = true;
    assert_null(heap_alloc(&H, 200u << 10, 16));
    assert_int_equal(g->calls, 1);
    size_t aside = g->last_min;
    assert_true(aside < (600u << 10)); /* less than the realloc below needs */

    c->refuse = false;
    unsigned char *r = heap_realloc(&H, p, 1536u << 10, 16);
    assert_ptr_equal(r, p); /* grown in place: the aside memory, then more */
    assert_int_equal(g->calls, 2);
    assert_int_equal(g->last_end, (uintptr_t)arena + (1u << 20) + aside);
    for (size_t i = 0; i < (900u << 10); i += 4093)
        assert_int_equal(r[i], 0x5a);
    heap_check(&H);
    heap_free(&H, r);
    assert_one_free_block();
    free(rh.m.mem);
}

/*
 *   base    base + 4080       base + 8176                    grown to base + 88 KiB
 *   |F 4080 |p0 A 3024|F 1072 |p1 A 3024|F 1072 ... |p19 A 3024|F 5168   |sentinel|
 * 20 page-aligned 3000-byte blocks grow a 4 KiB heap as needed: each payload lies on a page
 * boundary (base + 4096, + 8192, ...), the gaps stay free blocks, and freeing them all
 * leaves one free block.
 */
static void test_growth_aligned(void **state)
{
    (void)state;
    struct grow_ctx g = {.limit = (uintptr_t)arena + ARENA_SIZE};
    assert_int_equal(
        test_heap_init(&H, arena, 4096, grow_cb, &g, 4u << 20, 0, test_heap_index(4u << 20)), E_OK);
    void *p[20];
    for (int i = 0; i < 20; i++) {
        p[i] = heap_alloc(&H, 3000, 4096);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % 4096, 0);
    }
    heap_check(&H);
    for (int i = 0; i < 20; i++)
        heap_free(&H, p[i]);
    assert_one_free_block();
}

/* ---------------------------------------------------------------------------------- */
/* Misuse                                                                             */
/* ---------------------------------------------------------------------------------- */

/*
 *   base                                                base + 64 KiB
 *   |a F 128, footer forged|b A 128|A 128|F 65136 ...      |sentinel|  free(b)
 *   base                                       base + 4 KiB, growable
 *   |t A 1024|F 3056, footer 4088                          |sentinel|  alloc(8000)
 * a free block's footer overwritten by a stray write (8, 24, 1000008, 4, 0): freeing its
 * successor, or growing the heap over it, panics naming the footer value and never follows
 * it to a misaligned or out-of-heap header (the .asan build would report a misaligned load).
 * A panic is the end of a heap: each case starts afresh.
 */
static void test_corrupted_footer(void **state)
{
    (void)state;
    static const size_t bad[] = {8, 24, 1000008, 4, 0};
    for (volatile size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        init_plain(64u * 1024u);
        char *a = heap_alloc(&H, 100, 16);
        char *b = heap_alloc(&H, 100, 16);
        assert_non_null(heap_alloc(&H, 100, 16));
        heap_free(&H, a); /* a free block in front of b: b's PREV_FREE leads to its footer */
        size_t *foot = (size_t *)(b - 16 - 8);
        *foot = bad[i];
        EXPECT_PANIC(heap_free(&H, b), "heap_free: corrupted free block before 0x");
    }

    /* The free tail block in front of the end sentinel, when the heap grows. */
    struct grow_ctx g = {.limit = (uintptr_t)arena + ARENA_SIZE};
    assert_int_equal(
        test_heap_init(&H, arena, 4096, grow_cb, &g, 1u << 20, 0, test_heap_index(1u << 20)), E_OK);
    char *t = heap_alloc(&H, 1000, 16);
    assert_non_null(t);
    size_t *tail_foot = (size_t *)(H.end - 16 - 8);
    *tail_foot = 4088; /* not a multiple of 16 */
    EXPECT_PANIC(heap_alloc(&H, 8000, 16),
                 "heap_grow: corrupted free block before the end sentinel 0x");
}

/*
 *   base                                                base + 64 KiB
 *   |a F 1104|A 48|b F 1520|A 48|F 62800 ...               |sentinel|  debug mode
 * a use after free that overwrites a's next link is caught when alloc(1184) (need 1216)
 * walks the list and visits a, before the walk follows the link: first fit looks at a
 * first (too small), then would follow a's next link to b.
 */
static void test_debug_walk_checks_links(void **state)
{
    (void)state;
    assert_int_equal(heap_init(&H, arena, 64u * 1024u, NULL, NULL, 64u * 1024u, HEAP_F_DEBUG,
                               test_heap_index(64u * 1024u)),
                     E_OK);
    uintptr_t *a = heap_alloc(&H, 1072, 16); /* block 16 + 1072 + 16 (trailer) = 1104 */
    assert_non_null(heap_alloc(&H, 16, 16)); /* keeps A and B apart */
    uintptr_t *b = heap_alloc(&H, 1488, 16); /* block 1520 */
    assert_non_null(heap_alloc(&H, 16, 16)); /* keeps B from merging with the tail */
    assert_true(a && b);
    heap_free(&H, a);
    heap_free(&H, b);
    a[0] = 0x10; /* the freed payload's first word is A's next link */
    EXPECT_PANIC(heap_alloc(&H, 1184, 16), "heap_alloc: use after free detected in block 0x");
}

/*
 *   base                                                base + 64 KiB
 *   |a F 1104|A 48|b F 1120|A 48|F 63200 ...               |sentinel|  debug mode, good fit
 * good fit's walks check links too: alloc(1080) needs 1120 in debug mode, and its search
 * looks at its own class first (66, which holds a; b is in 67), finds a too small and
 * would then follow a's forged next link: the use after free is reported instead.
 */
static void test_debug_walk_checks_links_goodfit(void **state)
{
    (void)state;
    assert_int_equal(heap_init(&H, arena, 64u * 1024u, NULL, NULL, 64u * 1024u,
                               HEAP_F_DEBUG | HEAP_F_GOOD_FIT, NULL),
                     E_OK);
    uintptr_t *a = heap_alloc(&H, 1072, 16); /* block 16 + 1072 + 16 (trailer) = 1104 */
    assert_non_null(heap_alloc(&H, 16, 16));
    uintptr_t *b = heap_alloc(&H, 1080, 16); /* block 16 + 1088 + 16 (trailer) = 1120 */
    assert_non_null(heap_alloc(&H, 16, 16));
    assert_true(a && b);
    heap_free(&H, a);
    heap_free(&H, b);
    heap_check(&H);
    a[0] = 0x10;
    char want[128];
    ksnprintf(want, sizeof(want), "heap_alloc: use after free detected in block %p", (void *)a);
    EXPECT_PANIC(heap_alloc(&H, 1080, 16), want);
}

/*
 *   base                                                base + 64 KiB
 *   |a F 128|b A 128|c F 128|d A 128|F 65008 ...           |sentinel|
 * heap_check walks the tiling and the address-ordered list side by side: a's next link made
 * to skip c (good fit: c's link made to skip a, in class 8) names the free block the list
 * lost.
 */
static void test_check_list_membership(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    uintptr_t *a = heap_alloc(&H, 100, 16), *b = heap_alloc(&H, 100, 16);
    uintptr_t *c = heap_alloc(&H, 100, 16), *d = heap_alloc(&H, 100, 16);
    assert_true(a && b && c && d);
    heap_free(&H, a);
    heap_free(&H, c); /* address order: a, c, the tail; good fit's class 8: c, a */
    heap_check(&H);
    char want[128];
    if (test_heap_policy() == HEAP_F_GOOD_FIT) {
        assert_int_equal(c[0], (uintptr_t)a - 16); /* c's next link: a's header */
        c[0] = 0;                                  /* a drops off its class's list */
        ksnprintf(want, sizeof(want), "heap_check: free block not on its good-fit list at %p",
                  (void *)((uintptr_t)a - 16));
        EXPECT_PANIC(heap_check(&H), want);
        return;
    }
    assert_int_equal(a[0], (uintptr_t)c - 16); /* a's next link: c's header */
    a[0] = c[0];                               /* c drops off the list */
    ksnprintf(want, sizeof(want), "heap_check: free block not on the list in address order at %p",
              (void *)((uintptr_t)c - 16));
    EXPECT_PANIC(heap_check(&H), want);
}

/*
 *   base                                                            base + 64 KiB
 *   |a F 256 (b's header absorbed)|c A 128|d F 128|A 128|F 64880 ...   |sentinel|
 * the list made to point at b's stale header instead of at d: heap_check names d, the free
 * block the list lost (good fit: a's class list made to go on to b names b as not free).
 */
static void test_check_stale_list_entry(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    uintptr_t *a = heap_alloc(&H, 100, 16), *b = heap_alloc(&H, 100, 16);
    uintptr_t *c = heap_alloc(&H, 100, 16), *d = heap_alloc(&H, 100, 16);
    assert_true(a && b && c && d && heap_alloc(&H, 100, 16));
    heap_free(&H, b);
    heap_free(&H, d);
    heap_free(&H, a); /* merges with b: b's header stays behind, marked absorbed */
    heap_check(&H);
    char want[128];
    if (test_heap_policy() == HEAP_F_GOOD_FIT) {
        /* good fit: a+b is alone in its class; its list is made to go on to stale b */
        assert_int_equal(a[0], 0);
        a[0] = (uintptr_t)b - 16;
        ksnprintf(want, sizeof(want), "holds %p, which is not a free block",
                  (void *)((uintptr_t)b - 16));
        EXPECT_PANIC(heap_check(&H), want);
        return;
    }
    assert_int_equal(a[0], (uintptr_t)d - 16);
    a[0] = (uintptr_t)b - 16; /* the list holds stale b instead of d */
    ksnprintf(want, sizeof(want), "heap_check: free block not on the list in address order at %p",
              (void *)((uintptr_t)d - 16));
    EXPECT_PANIC(heap_check(&H), want);
}

/*
 *   base                                                base + 64 KiB
 *   |a A 128|b F 128|c A 128|F 65136 ...                   |sentinel|  b freed
 *   |a A 128|F 65392 (b, c's stale header, the tail) ...   |sentinel|  c freed
 * a second free of b panics "double free" with its size (112 usable); once c has merged
 * into b's free block, freeing c again, reallocating it or asking its size panics too.
 */
static void test_double_free(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    char *a = heap_alloc(&H, 100, 16);
    char *b = heap_alloc(&H, 100, 16);
    char *c = heap_alloc(&H, 100, 16);
    heap_free(&H, b);
    EXPECT_PANIC(heap_free(&H, b), "heap_free: double free of 0x");
    EXPECT_PANIC(heap_free(&H, b), "(size 112)");
    heap_free(&H, c); /* c merges into b's free block: its header goes stale */
    EXPECT_PANIC(heap_free(&H, c), "heap_free: double free of");
    EXPECT_PANIC(heap_realloc(&H, c, 10, 16), "heap_realloc: use after free of");
    EXPECT_PANIC(heap_usable_size(&H, c), "heap_usable_size: use after free of");
    heap_free(&H, a);
    assert_one_free_block();
}

/*
 *   base                                                                              base + 64 KiB
 *   |a F 2096|s1 A 48|t F 1072   |s2 A 48|u F 2064          |s3 A 48|F 60144 ...         |sentinel|
 *   |p A 2096|s1 A 48|q A 1024|F 48|s2 A 48|r A 1520|w A 416|F 128|s3 A 48|F 60144 ...   |sentinel|
 * first fit is the lowest address that holds the request, not the best fit: 2048 bytes
 * (need 2064) go to a although u fits exactly (a's 32-byte rest stays in p); then 1000
 * (need 1024) to t, the lowest block left that holds them; 1500 to u, and 400 to u's
 * remainder (544), which lies below the tail.
 */
static void test_first_fit_lowest_address(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    char *a = heap_alloc(&H, 2080, 16); /* block 2096 */
    char *s1 = heap_alloc(&H, 16, 16);
    char *t = heap_alloc(&H, 1056, 16); /* block 1072 */
    char *s2 = heap_alloc(&H, 16, 16);
    char *u = heap_alloc(&H, 2048, 16); /* block 2064 */
    char *s3 = heap_alloc(&H, 16, 16);
    assert_non_null(s3);
    heap_free(&H, u);
    heap_free(&H, t);
    heap_free(&H, a);
    char *p = heap_alloc(&H, 2048, 16); /* need 2064: A (2096) is first, U a better fit */
    assert_ptr_equal(p, a);
    char *q = heap_alloc(&H, 1000, 16); /* need 1024: T (A's 32-byte rest stayed in p) */
    assert_ptr_equal(q, t);
    char *r = heap_alloc(&H, 1500, 16); /* need 1520: U */
    assert_ptr_equal(r, u);
    char *w = heap_alloc(&H, 400, 16); /* need 416: U's remainder (544), before the tail */
    assert_ptr_equal(w, u + 1520);
    heap_check(&H);
    heap_free(&H, p);
    heap_free(&H, q);
    heap_free(&H, r);
    heap_free(&H, w);
    heap_free(&H, s1);
    heap_free(&H, s2);
    heap_free(&H, s3);
    assert_one_free_block();
}

/*
 *   base    base + 48                                   base + 64 KiB
 *   |F 48   |a A 128|b A 128|F 65216 ...                   |sentinel|  a: align 64
 * heap_dealloc checks the layout against the block: a size above a's usable size, an
 * interior pointer or an alignment b lacks (4096) panic; the right layouts free.
 */
static void test_dealloc_layout(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    char *a = heap_alloc(&H, 100, 64);
    char *b = heap_alloc(&H, 100, 16);
    assert_non_null(a);
    assert_non_null(b);
    size_t usable = heap_usable_size(&H, a);
    EXPECT_PANIC(heap_dealloc(&H, a, usable + 1, 64), "heap_dealloc: layout { size: ");
    EXPECT_PANIC(heap_dealloc(&H, a + 16, 16, 16), "heap_dealloc: invalid pointer");
    if (((uintptr_t)b & 4095) != 0)
        EXPECT_PANIC(heap_dealloc(&H, b, 100, 4096), "does not match the block");
    heap_check(&H);
    heap_dealloc(&H, a, 100, 64);
    heap_dealloc(&H, NULL, 100, 64); /* no-op, like heap_free(NULL) */
    EXPECT_PANIC(heap_dealloc(&H, a, 100, 64), "heap_dealloc: double free of 0x");
    heap_dealloc(&H, b, heap_usable_size(&H, b), 16);
    assert_one_free_block();
}

/*
 *   base                                                     base + 64 KiB
 *   |a A 64 = header 16, 32 requested, trailer 16|F 65456 ...   |sentinel|  debug mode
 * in debug mode the block also holds the 16-byte trailer: a layout larger than the usable
 * size is still a mismatch, even when it fits in the block minus its header.
 */
static void test_dealloc_layout_debug(void **state)
{
    (void)state;
    assert_int_equal(test_heap_init(&H, arena, 64u * 1024u, NULL, NULL, 64u * 1024u, HEAP_F_DEBUG,
                                    test_heap_index(64u * 1024u)),
                     E_OK);
    char *a = heap_alloc(&H, 32, 16);
    size_t usable = heap_usable_size(&H, a);
    EXPECT_PANIC(heap_dealloc(&H, a, usable + 1, 16), "does not match the block");
    EXPECT_PANIC(heap_dealloc(&H, a, usable + 16, 16), "does not match the block");
    heap_check(&H);
    heap_dealloc(&H, a, usable, 16);
    assert_one_free_block();
}

/*
 *   base                                                 base + 64 KiB
 *   |a A 224|F 65296 (its first 1024 bytes: b, freed) ...   |sentinel|
 * pointers outside the heap, into a (+1, +8, +16, +32, +48, +160) or into the free block b
 * was panic "invalid pointer" ("outside the heap", "not a block start").
 */
static void test_invalid_pointers(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    char *a = heap_alloc(&H, 200, 16);
    static char outside[64];
    EXPECT_PANIC(heap_free(&H, outside), "heap_free: invalid pointer 0x");
    EXPECT_PANIC(heap_free(&H, outside), "(outside the heap");
    EXPECT_PANIC(heap_free(&H, arena + (1u << 20)), "(outside the heap");
    EXPECT_PANIC(heap_free(&H, a + 16), "heap_free: invalid pointer");
    EXPECT_PANIC(heap_free(&H, a + 16), "(not a block start)");
    EXPECT_PANIC(heap_free(&H, a + 8), "(not a block start)");
    EXPECT_PANIC(heap_free(&H, a + 1), "(not a block start)");
    EXPECT_PANIC(heap_free(&H, a + 160), "(not a block start)");
    EXPECT_PANIC(heap_usable_size(&H, a + 32), "heap_usable_size: invalid pointer");
    EXPECT_PANIC(heap_realloc(&H, a + 48, 10, 16), "heap_realloc: invalid pointer");
    /* an interior pointer into a free block */
    char *b = heap_alloc(&H, 1000, 16);
    heap_free(&H, b);
    EXPECT_PANIC(heap_free(&H, b + 512), "(not a block start)");
    heap_check(&H);
    heap_free(&H, a);
    assert_one_free_block();
}

/*
 *   base                                                        base + 64 KiB
 *   |a A 128|b A 128, size_flags overwritten|c A 128|F 65136 ...   |sentinel|  a overflows 8 bytes
 * heap_check reports b's bad canary; freeing b, or a (b's predecessor), panics "corrupted
 * block header", and an interior pointer of c is reported when the walk reaches b.
 */
static void test_canary_overwrite(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    char *a = heap_alloc(&H, 100, 16);
    char *b = heap_alloc(&H, 100, 16);
    char *c = heap_alloc(&H, 100, 16);
    size_t room = heap_usable_size(&H, a);
    /* a overflows into b's header */
    memset(a, 0x41, room + 8);
    EXPECT_PANIC(heap_check(&H), "heap_check: bad canary at 0x");
    EXPECT_PANIC(heap_free(&H, b), "heap_free: corrupted block header at 0x");
    EXPECT_PANIC(heap_free(&H, b), "canary overwritten");
    EXPECT_PANIC(heap_free(&H, a), "heap_free: corrupted block header"); /* a's successor */
    /* an interior pointer of c: the walk that classifies it runs into b's header */
    EXPECT_PANIC(heap_free(&H, c + 32), "heap_free: heap corrupted: block header at 0x");
}

/*
 *   base                                                base + 64 KiB
 *   |a A 128|b A 128|F 65264 ...                           |sentinel|
 * one flipped size bit of b's header (heap_check) or canary bit (heap_realloc) is caught;
 * flipped back, the heap is clean again.
 */
static void test_canary_overwrite_one_bit(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    char *a = heap_alloc(&H, 100, 16);
    char *b = heap_alloc(&H, 100, 16);
    ((unsigned char *)b)[-16] ^= 0x20; /* flip a size bit in b's header */
    EXPECT_PANIC(heap_check(&H), "heap_check: bad canary");
    ((unsigned char *)b)[-16] ^= 0x20;
    heap_check(&H);
    ((unsigned char *)b)[-1] ^= 0x01; /* the canary itself */
    EXPECT_PANIC(heap_realloc(&H, b, 10, 16), "heap_realloc: corrupted block header");
    ((unsigned char *)b)[-1] ^= 0x01;
    heap_free(&H, b);
    heap_free(&H, a);
    assert_one_free_block();
}

/* ---------------------------------------------------------------------------------- */
/* Debug mode                                                                         */
/* ---------------------------------------------------------------------------------- */

/*
 *   base                                                base + 64 KiB
 *   |a F 240, poisoned|b A 240|F 65040 ...                 |sentinel|  debug mode
 * a's freed payload past the list links reads 0xdd; a write into it (a[100]) is reported by
 * heap_check and by the allocation that would hand the block out again (offset 100).
 */
static void test_debug_poison(void **state)
{
    (void)state;
    assert_int_equal(test_heap_init(&H, arena, 64u * 1024u, NULL, NULL, 64u * 1024u, HEAP_F_DEBUG,
                                    test_heap_index(64u * 1024u)),
                     E_OK);
    char *a = heap_alloc(&H, 200, 16);
    char *b = heap_alloc(&H, 200, 16);
    memset(a, 1, 200);
    heap_free(&H, a);
    for (size_t i = 32; i < 200; i++) /* freed memory is poisoned (past the list links) */
        assert_int_equal((unsigned char)a[i], 0xdd);
    heap_check(&H);
    a[100] = 'x'; /* use after free */
    EXPECT_PANIC(heap_check(&H), "use after free detected in block 0x");
    char *again = NULL;
    EXPECT_PANIC(again = heap_alloc(&H, 200, 16), "heap_alloc: use after free detected in block");
    EXPECT_PANIC(again = heap_alloc(&H, 200, 16), "(offset 100)");
    (void)again;
    (void)b;
}

/*
 *   base                                                base + 64 KiB
 *   |a F 144|b A 144|c A 144|F 65088 ...                   |sentinel|  debug mode, a freed
 *   |F 288, b's header poisoned|c A 144|F 65088 ...        |sentinel|  b freed
 * a second free of a, and of b once it merged into a's block, panics "double free"; freeing
 * c then leaves one free block.
 */
static void test_debug_double_free(void **state)
{
    (void)state;
    assert_int_equal(test_heap_init(&H, arena, 64u * 1024u, NULL, NULL, 64u * 1024u, HEAP_F_DEBUG,
                                    test_heap_index(64u * 1024u)),
                     E_OK);
    char *a = heap_alloc(&H, 100, 16);
    char *b = heap_alloc(&H, 100, 16);
    char *c = heap_alloc(&H, 100, 16);
    heap_free(&H, a);
    EXPECT_PANIC(heap_free(&H, a), "heap_free: double free of");
    heap_free(&H, b); /* merged into a's block: its header is poisoned */
    EXPECT_PANIC(heap_free(&H, b), "heap_free: double free of");
    heap_free(&H, c);
    assert_one_free_block();
}

/*
 *   base                                                base + 64 KiB
 *   |a A 144|A 48|F 65328 ...                              |sentinel|  debug mode
 *    a: |header 16|100 requested|12 slack, poison|trailer 16 { caller, 100 }|
 * a write past the requested size, into the block's slack or its debug trailer, is reported
 * when the block is freed or checked; after an in-place shrink (40) and a move (300) the new
 * slack is poison again.
 */
static void test_debug_overflow_and_split(void **state)
{
    (void)state;
    assert_int_equal(test_heap_init(&H, arena, 64u * 1024u, NULL, NULL, 64u * 1024u, HEAP_F_DEBUG,
                                    test_heap_index(64u * 1024u)),
                     E_OK);
    unsigned char *a = heap_alloc(&H, 100, 16); /* block 16 + 112 + 16 = 144: 12 bytes slack */
    assert_non_null(heap_alloc(&H, 16, 16));
    heap_check(&H);
    a[100] = 1; /* one byte past the request */
    EXPECT_PANIC(heap_check(&H), "heap_check: buffer overflow detected in block");
    EXPECT_PANIC(heap_free(&H, a), "heap_free: buffer overflow detected in block");
    EXPECT_PANIC(heap_realloc(&H, a, 50, 16), "heap_realloc: buffer overflow detected");
    a[100] = 0xdd;                         /* the slack's poison back */
    size_t *req = (size_t *)(a + 112 + 8); /* the trailer's requested size */
    *req = 4096;
    EXPECT_PANIC(heap_free(&H, a), "heap_free: debug trailer overwritten in block");
    *req = 100;
    unsigned char *b = heap_realloc(&H, a, 40, 16); /* in place: the new slack is poison */
    assert_ptr_equal(b, a);
    heap_check(&H);
    b = heap_realloc(&H, b, 300, 16); /* moves: the copy's last granule is poisoned again */
    assert_non_null(b);
    heap_check(&H);
    heap_free(&H, b);
    heap_check(&H);
}

/*
 *   base                                                base + 64 KiB
 *   |c F 416|A 48|F 65056 ...                              |sentinel|  debug mode
 * alloc(100) needs 144, so a split of c would write the remainder's header at c's payload
 * offset 128: a use-after-free write there is reported before the split writes over it.
 */
static void test_debug_uaf_under_split(void **state)
{
    (void)state;
    assert_int_equal(test_heap_init(&H, arena, 64u * 1024u, NULL, NULL, 64u * 1024u, HEAP_F_DEBUG,
                                    test_heap_index(64u * 1024u)),
                     E_OK);
    unsigned char *c = heap_alloc(&H, 384, 16); /* block 16 + 384 + 16 = 416 */
    assert_ptr_equal(c, arena + 16);
    assert_non_null(heap_alloc(&H, 16, 16));
    heap_free(&H, c);
    c[128 + 4] = 0x41; /* payload offset 128: the future remainder's header */
    EXPECT_PANIC(heap_alloc(&H, 100, 16), "heap_alloc: use after free detected in block");
}

/*
 *   base                                                      base + 64 KiB
 *   |a A 240|b F 240, links forged|c A 240|d A 240|F 64560 ...   |sentinel|  debug mode
 *   |a F 240, prev link forged|b A 240|c A 240|F 64800 ...       |sentinel|  all freed, again
 * a use after free that overwrites the first 16 bytes of a freed payload (the free-list
 * links, which poisoning cannot cover) is reported when the block is reused or merged,
 * before anything is written through them: by alloc, free(a) and realloc(a) for b's links
 * (repaired, the heap is untouched), and by free(b), which merges with a, for a's.
 */
static void test_debug_uaf_links(void **state)
{
    (void)state;
    assert_int_equal(test_heap_init(&H, arena, 64u * 1024u, NULL, NULL, 64u * 1024u, HEAP_F_DEBUG,
                                    test_heap_index(64u * 1024u)),
                     E_OK);
    char *a = heap_alloc(&H, 200, 16);
    char *b = heap_alloc(&H, 200, 16);
    char *c = heap_alloc(&H, 200, 16);
    char *d = heap_alloc(&H, 200, 16);
    heap_free(&H, b);
    uint64_t saved[2];
    memcpy(saved, b, sizeof(saved));
    memset(b, 0x41, 8); /* use after free: b's next link */
    EXPECT_PANIC(heap_alloc(&H, 200, 16), "heap_alloc: use after free detected in block");
    EXPECT_PANIC(heap_free(&H, a), "heap_free: use after free detected in block");
    EXPECT_PANIC(heap_realloc(&H, a, 300, 16), "heap_realloc: use after free detected");
    EXPECT_PANIC(heap_realloc(&H, a, 150, 16), "heap_realloc: use after free detected");
    memset(b + 8, 0x42, 8); /* and its prev link */
    memcpy(b, saved, 8);
    EXPECT_PANIC(heap_alloc(&H, 200, 16), "(free-list links overwritten");
    memcpy(b, saved, sizeof(saved)); /* repaired: the heap was left untouched */
    heap_check(&H);
    heap_free(&H, a);
    heap_free(&H, c);
    heap_free(&H, d);
    assert_one_free_block();
    /* merging with a free predecessor whose links were overwritten (the last check: this
     * panic comes after c's own free has begun) */
    a = heap_alloc(&H, 200, 16);
    b = heap_alloc(&H, 200, 16);
    c = heap_alloc(&H, 200, 16);
    heap_free(&H, a);
    memset(a + 8, 0x43, 8);
    EXPECT_PANIC(heap_free(&H, b), "heap_free: use after free detected in block");
}

/*
 *   base                                                base + 64 KiB
 *   |a F 224|b A 224|c F 224|d A 224|F 64624 ...           |sentinel|
 * a's next link (good fit: c's) pointed at 0x1000, past the heap's end or into live b is
 * reported by heap_check, which does not follow it; repaired, the heap is clean.
 */
static void test_check_wild_link(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    char *a = heap_alloc(&H, 200, 16);
    char *b = heap_alloc(&H, 200, 16);
    char *c = heap_alloc(&H, 200, 16);
    char *d = heap_alloc(&H, 200, 16);
    heap_free(&H, a);
    heap_free(&H, c); /* address order: a links to c (good fit, LIFO: c links to a) */
    char *l = test_heap_policy() == HEAP_F_GOOD_FIT ? c : a; /* the block whose link goes wild */
    uintptr_t saved;
    memcpy(&saved, l, sizeof(saved));
    const uintptr_t wild[] = {0x1000, (uintptr_t)arena + 128u * 1024u, (uintptr_t)b + 8};
    for (size_t i = 0; i < ARRAY_SIZE(wild); i++) {
        memcpy(l, &wild[i], sizeof(wild[i]));
        EXPECT_PANIC(heap_check(&H), "heap_check: list link outside the heap at 0x");
    }
    memcpy(l, &saved, sizeof(saved));
    heap_check(&H);
    heap_free(&H, b);
    heap_free(&H, d);
    assert_one_free_block();
}

/*
 * a 4 KiB growable debug heap survives 20 rounds of 50 random allocations (up to 700 bytes,
 * aligned up to 256), reallocs and frees: heap_check passes, it grew, and it ends as one
 * free block.
 */
static void test_debug_mode_works(void **state)
{
    (void)state;
    struct grow_ctx g = {.limit = (uintptr_t)arena + ARENA_SIZE};
    assert_int_equal(test_heap_init(&H, arena, 4096, grow_cb, &g, 1u << 20, HEAP_F_DEBUG,
                                    test_heap_index(1u << 20)),
                     E_OK);
    void *p[50];
    srand(3);
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 50; i++) {
            size_t n = (size_t)(rand() % 700);
            p[i] = heap_alloc(&H, n, (size_t)1 << (rand() % 9));
            assert_non_null(p[i]);
            fill(p[i], MIN(n, 16), (unsigned)i); /* (no more than asked: debug mode checks) */
        }
        for (int i = 0; i < 50; i += 3)
            p[i] = heap_realloc(&H, p[i], (size_t)(rand() % 1500), 1);
        heap_check(&H);
        for (int i = 0; i < 50; i++)
            heap_free(&H, p[i]);
        heap_check(&H);
    }
    assert_true(stats().grow_events > 0);
    assert_one_free_block();
}

/*
 *   base                                                base + 64 KiB
 *   |a A 48|b A 64|F 65408 ...                             |sentinel|  debug mode
 * the leak report counts both live blocks and shows a's caller (0x1234) and requested size
 * (10); once both are freed it counts none.
 */
static void test_debug_callers_and_leaks(void **state)
{
    (void)state;
    assert_int_equal(test_heap_init(&H, arena, 64u * 1024u, NULL, NULL, 64u * 1024u, HEAP_F_DEBUG,
                                    test_heap_index(64u * 1024u)),
                     E_OK);
    void *a = heap_alloc_from(&H, 10, 16, (void *)0x1234);
    void *b = heap_alloc(&H, 20, 16);
    assert_int_equal(heap_leak_report(&H), 2);
    char buf[KLOG_SIZE];
    size_t n = klog_copy(buf, sizeof(buf) - 1);
    buf[n] = 0;
    assert_non_null(strstr(buf, "from 0x0000000000001234"));
    assert_non_null(strstr(buf, "(requested 10)"));
    heap_free(&H, a);
    heap_free(&H, b);
    assert_int_equal(heap_leak_report(&H), 0);
}

/* ---------------------------------------------------------------------------------- */
/* Sizes, statistics, reports, init                                                   */
/* ---------------------------------------------------------------------------------- */

/*
 * sizes near SIZE_MAX or above HEAP_MAX_REQUEST, and allowed ones far beyond the memory
 * there is, return NULL at every alignment from heap_alloc and heap_realloc (no arithmetic
 * wraps) and leave the heap intact.
 */
static void test_size_overflow(void **state)
{
    (void)state;
    struct grow_ctx g = {.limit = (uintptr_t)arena + ARENA_SIZE};
    assert_int_equal(
        test_heap_init(&H, arena, 4096, grow_cb, &g, SIZE_MAX, 0, test_heap_index(SIZE_MAX)), E_OK);
    const size_t bad[] = {
        SIZE_MAX,        SIZE_MAX - 1, SIZE_MAX - 15,    SIZE_MAX - 16,        SIZE_MAX - 31,
        SIZE_MAX - 4096, SIZE_MAX / 2, SIZE_MAX / 2 + 1, HEAP_MAX_REQUEST + 1, (size_t)1 << 62};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_null(heap_alloc(&H, bad[i], 16));
        assert_null(heap_alloc(&H, bad[i], 1));
        assert_null(heap_alloc(&H, bad[i], 4096));
        assert_null(heap_alloc(&H, bad[i], HEAP_MAX_ALIGN));
    }
    /* allowed by the size limit but far beyond the memory there is */
    assert_null(heap_alloc(&H, HEAP_MAX_REQUEST, 16));
    assert_null(heap_alloc(&H, HEAP_MAX_REQUEST - 4096, 4096));
    void *p = heap_alloc(&H, 10, 16);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        assert_null(heap_realloc(&H, p, bad[i], 16));
    heap_check(&H);
    heap_free(&H, p);
    assert_one_free_block();
}

/*
 *   base                                                base + 64 KiB
 *   |a A 48|b A 48|c A 528|F 64896 ...                     |sentinel|
 *   |a A 48|b A 48|c A 48|F 65376 ...                      |sentinel|  realloc(c, 0)
 * size 0 is size 1: two allocations of 0 bytes get distinct minimum blocks, and
 * realloc(c, 0) shrinks c in place to one and keeps it.
 */
static void test_size_zero(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    void *a = heap_alloc(&H, 0, 1);
    void *b = heap_alloc(&H, 0, 16);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_true(heap_usable_size(&H, a) >= 1);
    char *c = heap_alloc(&H, 500, 16);
    char *c0 = heap_realloc(&H, c, 0, 16); /* shrinks to a minimum block, keeps it */
    assert_ptr_equal(c0, c);
    heap_check(&H);
    heap_free(&H, c0);
    heap_free(&H, a);
    heap_free(&H, b);
    heap_free(&H, NULL); /* no-op */
    assert_one_free_block();
}

/*
 *   base                                                base + 64 KiB
 *   |a A 128|b A 48|F 65344 ...                            |sentinel|
 *   |F 128  |b A 48|F 65344 ...                            |sentinel|  a freed
 * the statistics follow exactly: bytes used 176 (128 + 48), usable sizes 112 and 32, high
 * water kept at 176 after the free, two free blocks, the largest 65344.
 */
static void test_stats(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    struct heap_stats st = stats();
    assert_int_equal(st.heap_size, 64u * 1024u);
    assert_int_equal(st.bytes_free, 64u * 1024u - 16);
    assert_int_equal(st.free_blocks, 1);
    void *a = heap_alloc(&H, 100, 16); /* 100 + 16 header -> 128-byte block */
    void *b = heap_alloc(&H, 1, 16);   /* minimum block: 48 */
    st = stats();
    assert_int_equal(st.bytes_used, 128 + 48);
    assert_int_equal(st.live_allocs, 2);
    assert_int_equal(st.total_allocs, 2);
    assert_int_equal(st.high_water, 176);
    assert_int_equal(st.bytes_free + st.bytes_used + 16, st.heap_size);
    assert_int_equal(heap_usable_size(&H, a), 112);
    assert_int_equal(heap_usable_size(&H, b), 32);
    heap_free(&H, a);
    st = stats();
    assert_int_equal(st.bytes_used, 48);
    assert_int_equal(st.high_water, 176);
    assert_int_equal(st.free_blocks, 2);
    assert_int_equal(st.largest_free, 64u * 1024u - 16 - 176);
    assert_int_equal(st.total_frees, 1);
    assert_int_equal(st.grow_events, 0);
    heap_free(&H, b);
    assert_one_free_block();
    assert_int_equal(stats().total_allocs, 2);
}

/*
 *   base                                                base + 64 KiB
 *   |p0 A 48|p1 A 48|p2 A 48|F 65376 ...                   |sentinel|
 * the leak report counts the live blocks: 3, then 2 with p1 freed, then none.
 */
static void test_leak_report_and_dump(void **state)
{
    (void)state;
    init_plain(64u * 1024u);
    assert_int_equal(heap_leak_report(&H), 0);
    void *p[3];
    for (int i = 0; i < 3; i++)
        p[i] = heap_alloc(&H, 10u * (unsigned)(i + 1), 16);
    assert_int_equal(heap_leak_report(&H), 3);
    heap_dump(&H);
    heap_free(&H, p[1]);
    assert_int_equal(heap_leak_report(&H), 2);
    heap_free(&H, p[0]);
    heap_free(&H, p[2]);
    assert_int_equal(heap_leak_report(&H), 0);
}

/*
 *   base                                                    base + 64
 *   |p A 48                                                |sentinel|  HEAP_MIN_SIZE
 * heap_init refuses a misaligned, too small, uneven or NULL region, max_size below size and
 * an unknown flag (E_INVAL); a heap of HEAP_MIN_SIZE holds exactly one minimum block.
 */
static void test_init_errors(void **state)
{
    (void)state;
    assert_int_equal(
        test_heap_init(&H, arena + 8, 4096, NULL, NULL, 4096, 0, test_heap_index(4096)), E_INVAL);
    assert_int_equal(test_heap_init(&H, arena, 4095, NULL, NULL, 4096, 0, test_heap_index(4096)),
                     E_INVAL);
    assert_int_equal(test_heap_init(&H, arena, 32, NULL, NULL, 32, 0, test_heap_index(32)),
                     E_INVAL);
    assert_int_equal(test_heap_init(&H, arena, 8192, NULL, NULL, 4096, 0, test_heap_index(4096)),
                     E_INVAL);
    assert_int_equal(test_heap_init(&H, arena, 4096, NULL, NULL, 4096, 0x80, test_heap_index(4096)),
                     E_INVAL);
    assert_int_equal(test_heap_init(&H, NULL, 4096, NULL, NULL, 4096, 0, test_heap_index(4096)),
                     E_INVAL);
    assert_int_equal(test_heap_init(&H, arena, HEAP_MIN_SIZE, NULL, NULL, HEAP_MIN_SIZE, 0,
                                    test_heap_index(HEAP_MIN_SIZE)),
                     E_OK);
    void *p = heap_alloc(&H, 1, 1);
    assert_non_null(p);
    assert_null(heap_alloc(&H, 1, 1));
    heap_free(&H, p);
    assert_one_free_block();
}

/*
 *   H: base                                             base + 64 KiB
 *   |a A 128|F 65392 ...                                   |sentinel|
 *   h2: base + 1 MiB                            base + 1 MiB + 64 KiB
 *   |b A 128|F 65392 ...                                   |sentinel|
 * heap_contains tells the two heaps apart, and freeing a through h2 panics "invalid
 * pointer".
 */
static void test_two_heaps(void **state)
{
    (void)state;
    struct heap h2;
    init_plain(64u * 1024u);
    assert_int_equal(test_heap_init(&h2, arena + (1u << 20), 64u * 1024u, NULL, NULL, 64u * 1024u,
                                    0, test_heap_index_slot(64u * 1024u, 1)),
                     E_OK);
    void *a = heap_alloc(&H, 100, 16), *b = heap_alloc(&h2, 100, 16);
    assert_true(heap_contains(&H, a) && !heap_contains(&H, b));
    assert_true(heap_contains(&h2, b) && !heap_contains(&h2, a));
    EXPECT_PANIC(heap_free(&h2, a), "heap_free: invalid pointer");
    heap_free(&H, a);
    heap_free(&h2, b);
    heap_check(&h2);
    assert_one_free_block();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_allocation),
        cmocka_unit_test(test_large_vec),
        cmocka_unit_test(test_many_boxes),
        cmocka_unit_test(test_many_boxes_long_lived),
        cmocka_unit_test(test_split_merge_free_all),
        cmocka_unit_test(test_neighbour_merges),
        cmocka_unit_test(test_alignment_sweep),
        cmocka_unit_test(test_large_alignments),
        cmocka_unit_test(test_padding_not_leaked),
        cmocka_unit_test(test_realloc_in_place),
        cmocka_unit_test(test_realloc_failure_keeps_old),
        cmocka_unit_test(test_realloc_alignment_kept),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_growth_refused),
        cmocka_unit_test(test_growth_index_commit_refused),
        cmocka_unit_test(test_growth_aside_then_realloc_in_place),
        cmocka_unit_test(test_growth_aligned),
        cmocka_unit_test(test_double_free),
        cmocka_unit_test(test_corrupted_footer),
        cmocka_unit_test(test_check_list_membership),
        cmocka_unit_test(test_check_stale_list_entry),
        cmocka_unit_test(test_debug_walk_checks_links),
        cmocka_unit_test(test_debug_walk_checks_links_goodfit),
        cmocka_unit_test(test_dealloc_layout),
        cmocka_unit_test(test_invalid_pointers),
        cmocka_unit_test(test_canary_overwrite),
        cmocka_unit_test(test_canary_overwrite_one_bit),
        cmocka_unit_test(test_debug_poison),
        cmocka_unit_test(test_debug_double_free),
        cmocka_unit_test(test_debug_uaf_links),
        cmocka_unit_test(test_debug_overflow_and_split),
        cmocka_unit_test(test_debug_uaf_under_split),
        cmocka_unit_test(test_check_wild_link),
        cmocka_unit_test(test_dealloc_layout_debug),
        cmocka_unit_test(test_debug_mode_works),
        cmocka_unit_test(test_debug_callers_and_leaks),
        cmocka_unit_test(test_size_overflow),
        cmocka_unit_test(test_size_zero),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_leak_report_and_dump),
        cmocka_unit_test(test_init_errors),
        cmocka_unit_test(test_two_heaps),
        cmocka_unit_test(test_first_fit_lowest_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
