/* SPDX-License-Identifier: MIT */
/*
 * tests/kernel/test_heap.c - the kernel heap in QEMU: blog_os's heap tests through the
 * global allocator and the collections, then what blog_os does not test: the set-once
 * alloc-failure handler, out of memory at heap_max, growth, in-place realloc, alignment,
 * misuse panics, a long random workload, allocation from a timer interrupt, and a heap
 * that cannot be mapped at boot. Each test is one QEMU boot (tests/qemu/heap.cmake
 * gives the command line: heap_max=, allocator=dummy, pmm_fail_after=).
 *
 * The tests run right after boot, when nothing else has allocated: several start by
 * checking that (heap_pristine) so that "everything freed" can mean exactly one free
 * block spanning the heap. Block sizes are computed from heap.c's documented layout:
 * a 16-byte header, sizes in 16-byte granules, 48 bytes at least, plus a 16-byte
 * trailer in debug builds.
 *
 * The heap-layout tests open with a diagram of the blocks they build, lowest address left,
 * and what they expect: |a A 80| is the allocated block of variable a, 80 bytes with its
 * header, |F 48| a free block, |sentinel| the 16-byte end sentinel; the other tests with a
 * sentence of what they expect.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/pic.h"
#include "arch/x86_64/timer.h"
#include "kernel/kheap.h"
#include "kernel/kmem.h"
#include "kernel/ktest.h"
#include "lib/alloc.h"
#include "lib/collections/kbox.h"
#include "lib/collections/krc.h"
#include "lib/collections/kstring.h"
#include "lib/collections/kvec.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/heap.h"

#define BLOCK_HDR 16u /* heap.c: every block starts with { size_flags, canary } */
#define BLOCK_OVERHEAD (BLOCK_HDR + (MBHEAP_DEBUG_BUILD ? 16u : 0u)) /* + debug trailer */
#define BLOCK_MIN 48u
#define SENTINEL 16u /* the end sentinel block, part of heap_size */

/* The size of the block that an aligned-to-16 request of `size` bytes occupies. */
static size_t block_size_for(size_t size)
{
    size_t n = (size + BLOCK_OVERHEAD + 15u) & ~(size_t)15u;
    return n < BLOCK_MIN ? BLOCK_MIN : n;
}

static struct heap_stats stats(void)
{
    struct heap_stats s;
    kheap_stats(&s);
    return s;
}

static bool in_heap(const void *p)
{
    return (uintptr_t)p >= kheap_start() && (uintptr_t)p < kheap_end();
}

/* The heap as the boot leaves it for a test: the global allocator, nothing live, one
 * free block. */
static void heap_pristine(void)
{
    KT_ASSERT(alloc_global() == kheap_allocator());
    struct heap_stats s = stats();
    KT_ASSERT_EQ(s.live_allocs, 0);
    KT_ASSERT_EQ(s.free_blocks, 1);
    KT_ASSERT_EQ(s.largest_free, s.heap_size - SENTINEL);
}

/* Everything was freed: heap_check is clean and the whole heap is one free block. */
static void heap_all_free(void)
{
    kheap_check();
    struct heap_stats s = stats();
    KT_ASSERT_EQ(s.live_allocs, 0);
    KT_ASSERT_EQ(s.bytes_used, 0);
    KT_ASSERT_EQ(s.free_blocks, 1);
    KT_ASSERT_EQ(s.bytes_free, s.heap_size - SENTINEL);
    KT_ASSERT_EQ(s.largest_free, s.heap_size - SENTINEL);
}

/* ---- a PRNG and fill patterns ------------------------------------------------------ */

/* xorshift64* (Vigna): good enough for workloads, deterministic per seed. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

typedef uint64_t __attribute__((may_alias)) word_t;

/* Byte i of a block filled with `seed`: the little-endian bytes of word i / 8. */
static inline uint64_t pat_word(uint64_t seed, size_t k)
{
    return (seed + k) * 0x9E3779B97F4A7C15ull ^ (seed >> 29);
}
static inline uint8_t pat_byte(uint64_t seed, size_t i)
{
    return (uint8_t)(pat_word(seed, i >> 3) >> ((i & 7) * 8));
}

/* Writes the pattern into bytes [from, to) of p. */
static void pat_fill(void *p, size_t from, size_t to, uint64_t seed)
{
    uint8_t *b = p;
    size_t i = from;
    if (((uintptr_t)b & 7) == 0) {
        for (; i < to && (i & 7); i++)
            b[i] = pat_byte(seed, i);
        for (; i + 8 <= to; i += 8)
            *(word_t *)(b + i) = pat_word(seed, i >> 3);
    }
    for (; i < to; i++)
        b[i] = pat_byte(seed, i);
}

/* Fails the test unless bytes [from, to) of p hold the pattern. */
#define PAT_CHECK(p, from, to, seed) pat_check(__FILE__, __LINE__, (p), (from), (to), (seed))
static void pat_check(const char *file, int line, const void *p, size_t from, size_t to,
                      uint64_t seed)
{
    const uint8_t *b = p;
    size_t i = from;
    if (((uintptr_t)b & 7) == 0) {
        for (; i < to && (i & 7); i++)
            if (b[i] != pat_byte(seed, i))
                goto bad;
        for (; i + 8 <= to; i += 8)
            if (*(const word_t *)(b + i) != pat_word(seed, i >> 3))
                break; /* the byte loop below finds the exact offset */
    }
    for (; i < to; i++)
        if (b[i] != pat_byte(seed, i))
            goto bad;
    return;
bad:
    ktest_fail(file, line,
               "block %p corrupted at offset %zu of [%zu, %zu): 0x%02x, expected 0x%02x", p, i,
               from, to, b[i], pat_byte(seed, i));
}

/* ---- blog_os's heap tests ---------------------------------------------------------- */

/*
 * Two boxed ints through the global allocator get distinct, aligned blocks in the heap that
 * keep their values; dropping them gives back exactly what they took.
 */
KTEST(heap, simple_allocation)
{
    struct heap_stats before = stats();
    int *a = KBOX_NEW(int, 41);
    int *b = KBOX_NEW(int, 13);
    KT_ASSERT_EQ(*a, 41);
    KT_ASSERT_EQ(*b, 13);
    KT_ASSERT_NE(a, b);
    KT_ASSERT(in_heap(a) && in_heap(b));
    KT_ASSERT_EQ((uintptr_t)a % _Alignof(int), 0);
    KT_ASSERT_EQ(stats().live_allocs, before.live_allocs + 2);
    KBOX_DROP(a);
    KBOX_DROP(b);
    KT_ASSERT_EQ(stats().live_allocs, before.live_allocs);
    KT_ASSERT_EQ(stats().bytes_used, before.bytes_used);
    kheap_check();
}

/*
 * A kvec of 1000 u64 pushed one by one (one live block however often it grew) keeps its
 * values (sum 499500); dropping it frees that block.
 */
KTEST(heap, large_vec)
{
    const uint64_t n = 1000;
    struct heap_stats before = stats();
    struct kvec v = KVEC_INIT(uint64_t);
    for (uint64_t i = 0; i < n; i++)
        kvec_push(&v, &i);
    KT_ASSERT_EQ(kvec_len(&v), n);
    KT_ASSERT_GE(kvec_capacity(&v), n);
    KT_ASSERT(in_heap(kvec_data(&v)));
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        KT_ASSERT_EQ(KVEC_AT(&v, uint64_t, i), i);
        sum += KVEC_AT(&v, uint64_t, i);
    }
    KT_ASSERT_EQ(sum, (n - 1) * n / 2);
    KT_ASSERT_EQ(sum, 499500);
    KT_ASSERT_EQ(stats().live_allocs, before.live_allocs + 1);
    kvec_drop(&v);
    KT_ASSERT_EQ(stats().live_allocs, before.live_allocs);
    kheap_check();
}

/*
 * HEAP_SIZE rounds of boxing and dropping a u64 never run out and never grow the heap.
 */
KTEST(heap, many_boxes)
{
    struct heap_stats before = stats();
    for (uint64_t i = 0; i < HEAP_SIZE; i++) {
        uint64_t *x = KBOX_NEW(uint64_t, i);
        KT_ASSERT_EQ(*x, i);
        KBOX_DROP(x);
    }
    struct heap_stats after = stats();
    KT_ASSERT_EQ(after.total_allocs - before.total_allocs, HEAP_SIZE);
    KT_ASSERT_EQ(after.live_allocs, before.live_allocs);
    KT_ASSERT_EQ(after.heap_size, before.heap_size);
    kheap_check();
}

/*
 *   HEAP_START                                   HEAP_START + 100 KiB
 *   |long_lived A 48|x A 48|F ...                          |sentinel|  every round
 * blog_os's test that fails without merging: a block that stays live across the loop must
 * not stop the freed ones from being reused, so the heap never grows.
 */
KTEST(heap, many_boxes_long_lived)
{
    struct heap_stats before = stats();
    uint64_t *long_lived = KBOX_NEW(uint64_t, 1);
    for (uint64_t i = 0; i < HEAP_SIZE; i++) {
        uint64_t *x = KBOX_NEW(uint64_t, i);
        KT_ASSERT_EQ(*x, i);
        KBOX_DROP(x);
    }
    KT_ASSERT_EQ(*long_lived, 1);
    struct heap_stats after = stats();
    KT_ASSERT_EQ(after.grow_events, before.grow_events);
    KT_ASSERT_EQ(after.heap_size, before.heap_size);
    KT_ASSERT_EQ(after.total_allocs - before.total_allocs, HEAP_SIZE + 1);
    KT_ASSERT_EQ(after.live_allocs, before.live_allocs + 1);
    KBOX_DROP(long_lived);
    kheap_check();
}

/* ---- the Dummy allocator and the alloc-failure handler ----------------------------- */

/*
 * Booted with allocator=dummy: every allocation fails, and the infallible box ends in the
 * default handler's panic.
 */
KTEST_SHOULD_PANIC(heap, dummy_allocator, "allocation error: Layout { size: 4, align: 4 }")
{
    KT_ASSERT(alloc_global() == &dummy_allocator);
    KT_ASSERT(!alloc_error_handler_installed());
    KT_ASSERT_EQ(galloc((struct layout){4, 4}), NULL);
    KT_ASSERT_EQ(kmalloc(16), NULL);
    int *x = NULL;
    KT_ASSERT_EQ(KBOX_TRY_NEW(int, &x, 42), E_NOMEM);
    KT_ASSERT_EQ(x, NULL);
    x = KBOX_NEW(int, 42);
    ktest_fail(__FILE__, __LINE__, "KBOX_NEW returned %p under the Dummy allocator", (void *)x);
}

#define HUGE_REQUEST ((size_t)1 << 48) /* above HEAP_MAX_REQUEST: the heap refuses it */

static struct heap_stats handler_before;
static int first_calls, second_calls;

static void second_handler(struct layout l)
{
    second_calls++;
    ktest_fail(__FILE__, __LINE__,
               "the second alloc-failure handler ran (Layout { size: %zu, "
               "align: %zu }): the set-once rule was broken",
               l.size, l.align);
}

/* Ends the test: the handler must not return, so the checks happen here. */
static void first_handler(struct layout l)
{
    first_calls++;
    KT_ASSERT_EQ(first_calls, 1);
    KT_ASSERT_EQ(second_calls, 0);
    KT_ASSERT_EQ(l.size, HUGE_REQUEST);
    KT_ASSERT_EQ(l.align, 32);
    /* the failed request changed nothing */
    struct heap_stats s = stats();
    KT_ASSERT_EQ(s.live_allocs, handler_before.live_allocs);
    KT_ASSERT_EQ(s.grow_events, handler_before.grow_events);
    KT_ASSERT_EQ(s.heap_size, handler_before.heap_size);
    kheap_check();
    kprintf("failure_handler_set_once: the first handler ran with Layout { size: %zu, align: "
            "%zu }\n",
            l.size, l.align);
    ktest_pass("the first handler stayed in place");
}

/*
 * The alloc-failure handler is set once: NULL is refused, a second one (even the same) gets
 * E_EXISTS, and a real failure (2^48 bytes through alloc_or_die) runs the first handler with
 * that layout and the heap unchanged.
 */
KTEST(heap, failure_handler_set_once)
{
    KT_ASSERT(!alloc_error_handler_installed());
    KT_ASSERT_EQ(alloc_set_error_handler(NULL), E_INVAL);
    KT_ASSERT(!alloc_error_handler_installed());
    KT_ASSERT_EQ(alloc_set_error_handler(first_handler), E_OK);
    KT_ASSERT(alloc_error_handler_installed());
    KT_ASSERT_EQ(alloc_set_error_handler(second_handler), E_EXISTS);
    KT_ASSERT_EQ(alloc_set_error_handler(first_handler), E_EXISTS); /* even the same one */
    KT_ASSERT_EQ(alloc_set_error_handler(NULL), E_INVAL);
    handler_before = stats();
    /* A real failure through the infallible layer: the heap returns NULL for it. */
    void *p = alloc_or_die((struct layout){HUGE_REQUEST, 32});
    ktest_fail(__FILE__, __LINE__, "alloc_or_die returned %p for %zu bytes", p, HUGE_REQUEST);
}

/* ---- out of memory at heap_max ----------------------------------------------------- */

#define OOM_SIZE 3000u /* distinctive, so the handler can tell it is the failing request */
#define OOM_ALIGN 64u
#define OOM_HEAP_MAX (1024 * 1024u) /* heap.cmake boots this test with heap_max=1M */

struct oom_block {
    struct oom_block *next;
    uint64_t index;
};

static struct oom_block *oom_list;
static uint64_t oom_count;
static struct heap_stats oom_before;

static void oom_handler(struct layout l)
{
    KT_ASSERT_EQ(l.size, OOM_SIZE);
    KT_ASSERT_EQ(l.align, OOM_ALIGN);
    struct heap_stats s = stats();
    kprintf("oom: handler ran after %lu blocks: heap %zu of %zu bytes, grew %zu times, %zu "
            "used, largest free %zu\n",
            oom_count, s.heap_size, kheap_max(), s.grow_events, s.bytes_used, s.largest_free);
    /* The heap grew from HEAP_SIZE up to (nearly) heap_max before giving up. */
    KT_ASSERT_EQ(kheap_max(), OOM_HEAP_MAX);
    KT_ASSERT_GT(s.grow_events, oom_before.grow_events);
    KT_ASSERT_LE(s.heap_size, OOM_HEAP_MAX);
    KT_ASSERT_LT(OOM_HEAP_MAX - s.heap_size, PAGE_SIZE);
    KT_ASSERT_EQ(s.live_allocs, oom_before.live_allocs + oom_count);
    KT_ASSERT_GE(oom_count * block_size_for(OOM_SIZE), OOM_HEAP_MAX - HEAP_SIZE);
    KT_ASSERT_LE(oom_count * block_size_for(OOM_SIZE), s.heap_size);
    /* Every block is intact; nothing lost its contents when the heap grew. */
    uint64_t n = oom_count;
    for (struct oom_block *b = oom_list; b; b = b->next) {
        KT_ASSERT_EQ(b->index, --n);
        KT_ASSERT_EQ((uintptr_t)b % OOM_ALIGN, 0);
        PAT_CHECK(b, sizeof(*b), OOM_SIZE, b->index);
    }
    KT_ASSERT_EQ(n, 0);
    kheap_check();
    ktest_pass("the handler saw Layout { size: 3000, align: 64 } at heap_max");
}

/*
 *   HEAP_START                      HEAP_START + heap size, near heap_max = 1M
 *   |F 48|b0 A 3024|F 48|b1 A 3024| ... grown ... |bn A 3024| ...   |sentinel|
 * 3000-byte blocks at align 64 (3024 bytes each, a 48-byte gap before each; 3040 and 96 in a
 * debug build) fill the heap, which grows until it is within a page of heap_max; then the
 * failing request reaches the handler with its layout, every block intact.
 */
KTEST(heap, oom)
{
    KT_ASSERT_EQ(alloc_set_error_handler(oom_handler), E_OK);
    oom_before = stats();
    KT_ASSERT_EQ(oom_before.heap_size, HEAP_SIZE);
    for (;;) {
        struct oom_block *b = alloc_or_die((struct layout){OOM_SIZE, OOM_ALIGN});
        KT_ASSERT_EQ((uintptr_t)b % OOM_ALIGN, 0);
        b->next = oom_list;
        b->index = oom_count++;
        pat_fill(b, sizeof(*b), OOM_SIZE, b->index);
        oom_list = b;
        KT_ASSERT_LT(oom_count, 2 * OOM_HEAP_MAX / OOM_SIZE); /* the cap must bite */
    }
}

/* ---- whole heap, growth, realloc, alignment ---------------------------------------- */

static void krc_noop(void *obj)
{
    (void)obj;
}

/*
 *   HEAP_START                                    HEAP_START + heap size
 *   |7 blocks in use: box, vec, string, rc, km, kz, g|F ...   |sentinel|
 *   |F heap size - 16 .............................           |sentinel|  all freed
 *   |p A heap size - 16 ...........................           |sentinel|  galloc(whole)
 * every allocation given back leaves one free block of the whole heap: a request of exactly
 * its usable size gets it without growth (no free block left), one byte more makes the heap
 * grow.
 */
KTEST(heap, free_all_then_whole)
{
    heap_pristine();
    struct heap_stats before = stats();
    /* a mix through every layer: boxes, a vec, a string, an rc, kmalloc, galloc */
    uint64_t *box = KBOX_NEW(uint64_t, 7);
    struct kvec v = KVEC_INIT(uint32_t);
    for (uint32_t i = 0; i < 3000; i++)
        kvec_push(&v, &i);
    struct kstring str = KSTRING_INIT;
    for (int i = 0; i < 50; i++)
        kstring_appendf(&str, "%d,", i);
    int *rc = KRC_NEW(int, krc_noop, 5);
    void *km = kmalloc(777);
    char *kz = kzalloc(100);
    km = krealloc(km, 5000);
    void *g = galloc((struct layout){300, 256});
    KT_ASSERT(box && km && kz && g && rc);
    KT_ASSERT_EQ(kz[99], 0);
    KT_ASSERT_EQ(KVEC_AT(&v, uint32_t, 2999), 2999);
    KT_ASSERT_EQ(krc_count(rc), 1);
    KT_ASSERT_EQ(stats().live_allocs, before.live_allocs + 7);
    /* free in an order unlike the allocation order */
    kfree(kz);
    KBOX_DROP(box);
    gdealloc(g, (struct layout){300, 256});
    kstring_drop(&str);
    krc_drop(rc);
    kvec_drop(&v);
    kfree(km);
    heap_all_free();

    struct heap_stats s = stats();
    KT_ASSERT_EQ(s.grow_events, before.grow_events);
    size_t whole = s.largest_free - BLOCK_OVERHEAD;
    uint8_t *p = galloc((struct layout){whole, 16});
    KT_ASSERT_NE(p, NULL);
    KT_ASSERT_EQ(p, (uint8_t *)kheap_start() + BLOCK_HDR);
    p[0] = 1;
    p[whole - 1] = 2;
    struct heap_stats t = stats();
    KT_ASSERT_EQ(t.grow_events, s.grow_events);
    KT_ASSERT_EQ(t.heap_size, s.heap_size);
    KT_ASSERT_EQ(t.free_blocks, 0);
    KT_ASSERT_EQ(t.bytes_free, 0);
    KT_ASSERT_EQ(t.bytes_used, s.heap_size - SENTINEL);
    kheap_check();
    gdealloc(p, (struct layout){whole, 16});
    heap_all_free();

    /* The overhead was exact: one byte more does not fit and makes the heap grow. */
    p = galloc((struct layout){whole + 1, 16});
    KT_ASSERT_NE(p, NULL);
    KT_ASSERT_EQ(stats().grow_events, s.grow_events + 1);
    gdealloc(p, (struct layout){whole + 1, 16});
    heap_all_free();
}

#define GROW_LIVE (512 * 1024u)
#define GROW_MAX_BLOCKS 1024

static const size_t grow_sizes[] = {24, 100, 512, 1000, 4000, 16000, 3, 64000, 700, 2048, 48, 9000};
static const size_t grow_aligns[] = {16, 8, 64, 16, 4096, 32};
static struct {
    void *p;
    size_t size, align;
} grow_blocks[GROW_MAX_BLOCKS];

/*
 *   HEAP_START       + 100 KiB, mapped at init   + heap size (grown), <= heap_max
 *   |blocks ........|blocks in pages mapped by growth ...|F ...        |sentinel|
 * allocations beyond the initial region make the heap map more pages at its end; every
 * block keeps its alignment and contents, and the heap keeps what it grew once all are
 * freed.
 */
KTEST(heap, grow)
{
    heap_pristine();
    struct heap_stats before = stats();
    size_t n = 0, live = 0;
    while (live < GROW_LIVE) {
        KT_ASSERT_LT(n, GROW_MAX_BLOCKS);
        size_t size = grow_sizes[n % ARRAY_SIZE(grow_sizes)];
        size_t align = grow_aligns[n % ARRAY_SIZE(grow_aligns)];
        void *p = galloc((struct layout){size, align});
        KT_ASSERT_NE(p, NULL);
        KT_ASSERT_EQ((uintptr_t)p % align, 0);
        KT_ASSERT(in_heap(p));
        pat_fill(p, 0, size, n);
        grow_blocks[n].p = p;
        grow_blocks[n].size = size;
        grow_blocks[n].align = align;
        n++;
        live += size;
    }
    struct heap_stats s = stats();
    kprintf("grow: %zu blocks, %zu bytes live; heap %zu bytes after %zu grow events\n", n, live,
            s.heap_size, s.grow_events);
    KT_ASSERT_GT(s.grow_events, before.grow_events);
    KT_ASSERT_GT(s.heap_size, (size_t)GROW_LIVE);
    KT_ASSERT_EQ(kheap_end() - kheap_start(), s.heap_size);
    KT_ASSERT_EQ(s.live_allocs, before.live_allocs + n);
    KT_ASSERT_GE(s.bytes_used, live);
    kheap_check();
    for (size_t i = 0; i < n; i++)
        PAT_CHECK(grow_blocks[i].p, 0, grow_blocks[i].size, i);
    /* free the even blocks, check the odd ones survived, then free those */
    for (size_t i = 0; i < n; i += 2)
        gdealloc(grow_blocks[i].p, (struct layout){grow_blocks[i].size, grow_blocks[i].align});
    kheap_check();
    for (size_t i = 1; i < n; i += 2) {
        PAT_CHECK(grow_blocks[i].p, 0, grow_blocks[i].size, i);
        gdealloc(grow_blocks[i].p, (struct layout){grow_blocks[i].size, grow_blocks[i].align});
    }
    heap_all_free();
    KT_ASSERT_EQ(stats().heap_size, s.heap_size); /* the heap keeps what it grew */
}

/*
 *   HEAP_START                                 HEAP_START + heap size
 *   |a A 80|b A 272       |c A 80|F ...                    |sentinel|
 *   |a A 80|F 272         |c A 80|F ...                    |sentinel|  b freed
 *   |a A 96|F 256         |c A 80|F ...                    |sentinel|  a -> 80
 *   |a A 224      |F 128  |c A 80|F ...                    |sentinel|  a -> 200
 *   |a A 352              |c A 80|F ...                    |sentinel|  a -> all
 *   |a A 128|F 224        |c A 80|F ...                    |sentinel|  a -> 100
 *   |F 48|x A 128|wall A (the rest)                        |sentinel|  x: align 64
 *   |F 176       |wall A ...           |y A 5024|F ...     |sentinel|  x -> 5000
 * growing into the free block that follows (by a granule, further, into all of it) and
 * shrinking keep the pointer, the contents and the allocation count; walled in, x moves to
 * memory grown at the end, and y, the last block, then grows in place with the heap. (Sizes
 * of a release build: a debug build's trailer adds 16 to each allocated block.)
 */
KTEST(heap, realloc_in_place)
{
    heap_pristine();
    const struct layout l16 = {64, 16};
    /* From a pristine heap, blocks are carved from the low end: a, b, c are adjacent. */
    uint8_t *a = galloc(l16);
    uint8_t *b = galloc((struct layout){256, 16});
    uint8_t *c = galloc(l16);
    KT_ASSERT_EQ(a, (uint8_t *)kheap_start() + BLOCK_HDR);
    KT_ASSERT_EQ(b, a + block_size_for(64));
    KT_ASSERT_EQ(c, b + block_size_for(256));
    pat_fill(a, 0, 64, 1);
    gdealloc(b, (struct layout){256, 16});
    struct heap_stats s0 = stats();
    KT_ASSERT_EQ(s0.free_blocks, 2); /* b's block and the tail */

    /* grow by one granule into the free block that follows: same pointer, the rest
     * (a new free block whose header lies inside the old one's links) stays free */
    uint8_t *a2 = grealloc(a, l16, 80);
    KT_ASSERT_EQ(a2, a);
    PAT_CHECK(a, 0, 64, 1);
    struct heap_stats s1 = stats();
    KT_ASSERT_EQ(block_size_for(80), block_size_for(64) + 16);
    KT_ASSERT_EQ(s1.free_blocks, 2);
    KT_ASSERT_EQ(s1.bytes_used, s0.bytes_used + 16);
    KT_ASSERT_EQ(s1.total_allocs, s0.total_allocs);
    kheap_check();
    pat_fill(a, 64, 80, 1);
    /* grow further into it */
    a2 = grealloc(a, (struct layout){80, 16}, 200);
    KT_ASSERT_EQ(a2, a);
    PAT_CHECK(a, 0, 80, 1);
    s1 = stats();
    KT_ASSERT_EQ(s1.free_blocks, 2);
    KT_ASSERT_EQ(s1.bytes_used, s0.bytes_used + block_size_for(200) - block_size_for(64));
    KT_ASSERT_EQ(s1.total_allocs, s0.total_allocs);
    kheap_check();
    pat_fill(a, 80, 200, 1);
    /* grow into all of it: the free block disappears */
    size_t all = block_size_for(64) + block_size_for(256) - BLOCK_OVERHEAD;
    a2 = grealloc(a, (struct layout){200, 16}, all);
    KT_ASSERT_EQ(a2, a);
    KT_ASSERT_EQ(stats().free_blocks, 1);
    PAT_CHECK(a, 0, 200, 1);
    kheap_check();

    /* shrink: same pointer, the tail becomes a free block of its own (c follows) */
    struct heap_stats s2 = stats();
    a2 = grealloc(a, (struct layout){all, 16}, 100);
    KT_ASSERT_EQ(a2, a);
    PAT_CHECK(a, 0, 100, 1);
    struct heap_stats s3 = stats();
    KT_ASSERT_EQ(s3.free_blocks, s2.free_blocks + 1);
    KT_ASSERT_EQ(s3.bytes_used, s2.bytes_used - (block_size_for(all) - block_size_for(100)));
    KT_ASSERT_EQ(s3.bytes_free, s2.bytes_free + (block_size_for(all) - block_size_for(100)));
    kheap_check();
    gdealloc(a, (struct layout){100, 16});
    gdealloc(c, l16);
    heap_all_free();

    /* forced move: x is followed by an allocated block that takes the rest of the heap,
     * so growing x must allocate elsewhere (new memory), copy, and free x */
    struct heap_stats s4 = stats();
    uint8_t *x = galloc((struct layout){100, 64});
    KT_ASSERT_EQ((uintptr_t)x % 64, 0);
    pat_fill(x, 0, 100, 2);
    size_t rest = stats().largest_free - BLOCK_OVERHEAD;
    uint8_t *wall = galloc((struct layout){rest, 16});
    KT_ASSERT_NE(wall, NULL);
    KT_ASSERT_EQ(stats().grow_events, s4.grow_events);
    uint8_t *y = grealloc(x, (struct layout){100, 64}, 5000);
    KT_ASSERT_NE(y, NULL);
    KT_ASSERT_NE(y, x);
    KT_ASSERT_EQ((uintptr_t)y % 64, 0);
    PAT_CHECK(y, 0, 100, 2);
    struct heap_stats s5 = stats();
    KT_ASSERT_EQ(s5.grow_events, s4.grow_events + 1);
    KT_ASSERT_EQ(s5.live_allocs, s4.live_allocs + 2);
    KT_ASSERT_EQ(s5.total_frees, s4.total_frees + 1);
    pat_fill(y, 100, 5000, 3);

    /* y is the last block: growing it grows the heap under it, in place */
    uint8_t *z = grealloc(y, (struct layout){5000, 64}, 200000);
    KT_ASSERT_EQ(z, y);
    PAT_CHECK(y, 0, 100, 2);
    PAT_CHECK(y, 100, 5000, 3);
    struct heap_stats s6 = stats();
    KT_ASSERT_EQ(s6.grow_events, s5.grow_events + 1);
    KT_ASSERT_EQ(s6.total_allocs, s5.total_allocs);
    kheap_check();
    gdealloc(z, (struct layout){200000, 64});
    gdealloc(wall, (struct layout){rest, 16});
    heap_all_free();
}

#define SWEEP_ALIGNS 13 /* 1 .. 4096 */
static const size_t sweep_sizes[] = {1, 7, 16, 33, 100, 1000, 5000};
static void *sweep_blocks[SWEEP_ALIGNS][ARRAY_SIZE(sweep_sizes)];

/*
 *   HEAP_START                                                   HEAP_START + heap size
 *   |A 48|A 48|A 48|A 64|A 128|A 1024|A 5024|A 48| ... |F gap|A 5024|F ...   |sentinel|
 *    align 1: 1, 7, 16, 33, 100, 1000, 5000 bytes; align 2 ...             align 4096
 * 7 sizes at each of 13 alignments (1 to 4096) are aligned, inside the heap and keep their
 * contents; freed interleaving alignments, so that neighbours merge in every order, they
 * leave one free block. (Sizes of a release build.)
 */
KTEST(heap, align_sweep)
{
    heap_pristine();
    size_t n = 0;
    for (size_t ai = 0; ai < SWEEP_ALIGNS; ai++) {
        size_t align = (size_t)1 << ai;
        for (size_t si = 0; si < ARRAY_SIZE(sweep_sizes); si++) {
            size_t size = sweep_sizes[si];
            uint8_t *p = galloc((struct layout){size, align});
            KT_ASSERT_NE(p, NULL);
            if ((uintptr_t)p % align != 0)
                ktest_fail(__FILE__, __LINE__, "galloc(size %zu, align %zu) returned %p", size,
                           align, (void *)p);
            KT_ASSERT(in_heap(p) && in_heap(p + size - 1));
            pat_fill(p, 0, size, ai * 100 + si);
            sweep_blocks[ai][si] = p;
            n++;
        }
    }
    KT_ASSERT_EQ(stats().live_allocs, n);
    kheap_check();
    /* verify and free, interleaving alignments so that neighbours merge in all orders */
    for (size_t si = 0; si < ARRAY_SIZE(sweep_sizes); si++) {
        for (size_t k = 0; k < SWEEP_ALIGNS; k++) {
            size_t ai = (k * 5 + si) % SWEEP_ALIGNS; /* 5 is coprime with 13 */
            PAT_CHECK(sweep_blocks[ai][si], 0, sweep_sizes[si], ai * 100 + si);
            gdealloc(sweep_blocks[ai][si], (struct layout){sweep_sizes[si], (size_t)1 << ai});
            sweep_blocks[ai][si] = NULL;
        }
        kheap_check();
    }
    heap_all_free();
}

/* ---- misuse ------------------------------------------------------------------------ */

/*
 *   HEAP_START                                 HEAP_START + heap size
 *   |a F 80|b A 80|c A 80|F ...                            |sentinel|  a freed
 *   |F 160, b's header stale|c A 80|F ...                  |sentinel|  b freed
 * b's free merges it into the free block before it (a's), leaving a stale header at b that
 * must still be recognised: the second free of b panics "double free of". (Sizes of a
 * release build.)
 */
KTEST_SHOULD_PANIC(heap, double_free, "double free of")
{
    const struct layout l = {64, 16};
    void *a = galloc(l), *b = galloc(l), *c = galloc(l);
    KT_ASSERT(a && b && c);
    gdealloc(a, l);
    gdealloc(b, l);
    kheap_check();
    kprintf("double_free: freeing %p a second time\n", b);
    gdealloc(b, l);
    ktest_fail(__FILE__, __LINE__, "the second free of %p returned", b);
}

/*
 *   HEAP_START                                                  HEAP_START + heap size
 *   |...|a A 512K      |b A 512K      |c A 512K      |g A 64|F ...            |sentinel|
 *   |...|F 1.5M: header page | released pages (b's header among them) | footer page|g|...
 * a, b and c freed merge into one free block whose middle pages go back to the frame
 * allocator (giving back is on by default); b's header page is one of them. A second free
 * of b then faults reading that header: the page-fault panic names the released heap page
 * instead of printing a bare address.
 */
KTEST_SHOULD_PANIC(heap, double_free_released,
                   "page fault: a released page inside a free kernel-heap block (a use after "
                   "free, or a free of a pointer already freed), address 0x")
{
    const struct layout l = {512 * 1024, 16}, small = {64, 16};
    char *a = galloc(l), *b = galloc(l), *c = galloc(l);
    void *g = galloc(small);
    KT_ASSERT(a && b && c && g);
    KT_ASSERT(b > a && c > b && (char *)g > c);
    gdealloc(a, l);
    gdealloc(b, l);
    gdealloc(c, l);
    kheap_check();
    uintptr_t hdr_page = align_down((uintptr_t)b - 16, PAGE_SIZE);
    paddr_t frame;
    KT_ASSERT_EQ(kmem_translate(va(hdr_page), &frame, NULL), E_NOENT);
    KT_ASSERT(stats().bytes_released >= 3 * l.size - 2 * PAGE_SIZE - 2 * 16);
    kprintf("double_free_released: freeing %p a second time (its header 0x%016lx is on a "
            "released page)\n",
            (void *)b, (uint64_t)(uintptr_t)(b - 16));
    gdealloc(b, l);
    ktest_fail(__FILE__, __LINE__, "the second free of %p returned", (void *)b);
}

/*
 * realloc's old layout must describe the block, as dealloc's must: a size larger than the
 * block is caught before anything is copied.
 */
KTEST_SHOULD_PANIC(heap, realloc_wrong_layout,
                   "kheap_realloc: layout { size: 4096, align: 16 } "
                   "does not match the block")
{
    const struct layout l = {64, 16}, wrong = {4096, 16};
    void *a = galloc(l);
    KT_ASSERT(a);
    void *b = grealloc(a, l, 128); /* the right layout: fine */
    KT_ASSERT(b);
    kprintf("realloc_wrong_layout: realloc of %p with a 4096-byte layout\n", b);
    grealloc(b, wrong, 8192);
    ktest_fail(__FILE__, __LINE__, "realloc with a wrong layout returned");
}

/*
 * A pointer 16 bytes into a live 256-byte block: 16-aligned and inside the heap, so only the
 * header check (and the walk of the tiling on the error path) can tell.
 */
KTEST_SHOULD_PANIC(heap, invalid_free, "invalid pointer")
{
    const struct layout l = {256, 16};
    uint8_t *p = galloc(l);
    KT_ASSERT_NE(p, NULL);
    memset(p, 0x5a, l.size);
    kprintf("invalid_free: freeing %p, 16 bytes into the block at %p\n", (void *)(p + 16),
            (void *)p);
    gdealloc(p + 16, (struct layout){64, 16});
    ktest_fail(__FILE__, __LINE__, "freeing the interior pointer %p returned", (void *)(p + 16));
}

/* ---- random workloads -------------------------------------------------------------- */

#define RANDOM_SLOTS 512
#define RANDOM_MAX_SIZE 2048
#define RANDOM_MAX_ALIGN_LOG2 8 /* 256 */

struct slot {
    uint8_t *p;
    size_t size, align;
    uint64_t seed;
};

struct workload {
    struct slot slots[RANDOM_SLOTS];
    uint64_t rng, live, allocs, frees, reallocs, checks;
};

/* Set around every heap call of the workload (irq_stress's tick reads it). */
static volatile bool wl_in_heap;

/* One random operation on a random slot: alloc into an empty slot; free or realloc a
 * full one, verifying its contents first (and what realloc kept, after). */
static void workload_step(struct workload *w)
{
    uint64_t r = rng_next(&w->rng);
    struct slot *s = &w->slots[r % RANDOM_SLOTS];
    r /= RANDOM_SLOTS;
    if (!s->p) {
        size_t size = 1 + (r % RANDOM_MAX_SIZE);
        size_t align = (size_t)1 << ((r / RANDOM_MAX_SIZE) % (RANDOM_MAX_ALIGN_LOG2 + 1));
        wl_in_heap = true;
        uint8_t *p = galloc((struct layout){size, align});
        wl_in_heap = false;
        KT_ASSERT_NE(p, NULL);
        KT_ASSERT_EQ((uintptr_t)p % align, 0);
        s->p = p;
        s->size = size;
        s->align = align;
        s->seed = rng_next(&w->rng);
        pat_fill(p, 0, size, s->seed);
        w->live++;
        w->allocs++;
        return;
    }
    PAT_CHECK(s->p, 0, s->size, s->seed);
    if (r & 1) {
        wl_in_heap = true;
        gdealloc(s->p, (struct layout){s->size, s->align});
        wl_in_heap = false;
        s->p = NULL;
        w->live--;
        w->frees++;
        return;
    }
    size_t new_size = 1 + ((r >> 1) % RANDOM_MAX_SIZE);
    wl_in_heap = true;
    uint8_t *q = grealloc(s->p, (struct layout){s->size, s->align}, new_size);
    wl_in_heap = false;
    KT_ASSERT_NE(q, NULL);
    KT_ASSERT_EQ((uintptr_t)q % s->align, 0);
    PAT_CHECK(q, 0, MIN(s->size, new_size), s->seed);
    if (new_size > s->size)
        pat_fill(q, s->size, new_size, s->seed);
    s->p = q;
    s->size = new_size;
    w->reallocs++;
}

static void workload_check(struct workload *w, const struct heap_stats *before)
{
    kheap_check();
    KT_ASSERT_EQ(stats().live_allocs, before->live_allocs + w->live);
    w->checks++;
}

/* Checks and frees every live block of slots[0, n); returns how many there were. */
static uint64_t slots_free(struct slot *slots, size_t n)
{
    uint64_t freed = 0;
    for (size_t i = 0; i < n; i++) {
        struct slot *s = &slots[i];
        if (!s->p)
            continue;
        PAT_CHECK(s->p, 0, s->size, s->seed);
        gdealloc(s->p, (struct layout){s->size, s->align});
        s->p = NULL;
        freed++;
    }
    return freed;
}

static void workload_free_all(struct workload *w)
{
    KT_ASSERT_EQ(slots_free(w->slots, RANDOM_SLOTS), w->live);
    w->live = 0;
}

static struct workload random_wl = {.rng = 0x6d6268656170ull};

/*
 * 100000 random allocations (1 to 2048 bytes, aligned up to 256), frees and reallocs over
 * 512 slots keep every block's contents, with heap_check every 1000 operations; all freed,
 * the heap is one free block.
 */
KTEST(heap, random_100k)
{
    heap_pristine();
    struct workload *w = &random_wl;
    struct heap_stats before = stats();
    for (uint64_t op = 1; op <= 100000; op++) {
        workload_step(w);
        if (op % 1000 == 0)
            workload_check(w, &before);
    }
    struct heap_stats s = stats();
    kprintf("random_100k: %lu allocs, %lu frees, %lu reallocs, %lu live; %lu checks; heap %zu "
            "bytes, high water %zu, grew %zu times\n",
            w->allocs, w->frees, w->reallocs, w->live, w->checks, s.heap_size, s.high_water,
            s.grow_events);
    KT_ASSERT_EQ(w->checks, 100);
    KT_ASSERT_EQ(w->allocs + w->frees + w->reallocs, 100000);
    KT_ASSERT_GT(w->allocs, 20000);
    KT_ASSERT_GT(w->frees, 20000);
    KT_ASSERT_GT(w->reallocs, 20000);
    workload_free_all(w);
    heap_all_free();
}

/* ---- allocation from a timer interrupt --------------------------------------------- */

#define IRQ_RING 16
#define IRQ_HZ 4000
#define IRQ_MIN_TICKS 200

static struct {
    struct slot ring[IRQ_RING];
    uint64_t runs, in_heap_calls, pos;
} irq_state;

/* The tick: frees the oldest block of the ring (checking it) and allocates a new one.
 * It enters the heap on every tick, so a tick arriving while the main loop holds the
 * heap lock would panic "spin_lock_irqsave: kheap already held (recursive lock)". */
static void stress_tick(void *ctx)
{
    KT_ASSERT(ctx == &irq_state);
    KT_ASSERT(!(read_rflags() & RFLAGS_IF));
    irq_state.runs++;
    if (wl_in_heap)
        irq_state.in_heap_calls++;
    struct slot *s = &irq_state.ring[irq_state.pos++ % IRQ_RING];
    if (s->p) {
        PAT_CHECK(s->p, 0, s->size, s->seed);
        gdealloc(s->p, (struct layout){s->size, s->align});
    }
    s->size = 16 + (irq_state.runs * 37) % 500;
    s->align = (size_t)1 << (irq_state.runs % 7);
    s->seed = irq_state.runs * 0x1234567ull;
    s->p = galloc((struct layout){s->size, s->align});
    KT_ASSERT_NE(s->p, NULL);
    KT_ASSERT_EQ((uintptr_t)s->p % s->align, 0);
    pat_fill(s->p, 0, s->size, s->seed);
}

static struct workload irq_wl = {.rng = 0x697271ull};

/*
 * A 4 kHz timer tick frees and allocates a block on every tick while the main loop runs
 * the random workload: ticks land during the main loop's heap calls without a recursive
 * lock or a lost block, the lock restores the interrupt flag, and a stopped timer ticks no
 * more (spurious IRQ7 and IRQ15, raised first, are only counted).
 */
KTEST(heap, irq_stress)
{
    heap_pristine();
    KT_ASSERT(!(read_rflags() & RFLAGS_IF)); /* the boot leaves interrupts off */

    /* IRQ7's and IRQ15's vectors with nothing in service are spurious: counted, no
     * handler, no EOI (IRQ15: the master's only). */
    struct irq_counters c0, c1;
    irq_get_counters(&c0);
    pic_soft_irq7();
    pic_soft_irq15();
    irq_get_counters(&c1);
    KT_ASSERT_EQ(c1.spurious_irq7, c0.spurious_irq7 + 1);
    KT_ASSERT_EQ(c1.spurious_irq15, c0.spurious_irq15 + 1);
    KT_ASSERT_EQ(c1.handled, c0.handled);

    struct workload *w = &irq_wl;
    struct heap_stats before = stats();
    uint64_t ticks0 = timer_ticks();
    timer_start(IRQ_HZ, stress_tick, &irq_state);
    irq_enable();
    uint64_t op = 0;
    /* 10^5 operations, and more if the ticks were too few to mean anything (the cap
     * turns a dead timer into a failure below rather than a hang) */
    while (op < 100000 || (irq_state.runs < IRQ_MIN_TICKS && op < 3000000)) {
        workload_step(w);
        if (++op % 1000 == 0) {
            kheap_check();
            KT_ASSERT(read_rflags() & RFLAGS_IF); /* the lock restored the flag */
        }
    }
    irq_disable();
    timer_stop();
    uint64_t runs = irq_state.runs, ticks = timer_ticks() - ticks0;
    irq_get_counters(&c1);
    kprintf("irq_stress: %lu ops (%lu allocs, %lu frees, %lu reallocs); %lu ticks, %lu of them "
            "during a heap call of the main loop; spurious IRQ7 %lu, IRQ15 %lu\n",
            op, w->allocs, w->frees, w->reallocs, runs, irq_state.in_heap_calls, c1.spurious_irq7,
            c1.spurious_irq15);
    KT_ASSERT_GE(runs, IRQ_MIN_TICKS);
    KT_ASSERT_EQ(ticks, runs);
    KT_ASSERT_GT(irq_state.in_heap_calls, 0);

    /* stopped means stopped: with interrupts on again, no tick arrives */
    irq_enable();
    for (volatile uint64_t i = 0; i < 2000000; i++)
        cpu_pause();
    irq_disable();
    KT_ASSERT_EQ(irq_state.runs, runs);
    KT_ASSERT_EQ(timer_ticks() - ticks0, ticks);

    kheap_check();
    KT_ASSERT_EQ(stats().live_allocs, before.live_allocs + w->live + MIN(runs, IRQ_RING));
    slots_free(irq_state.ring, IRQ_RING);
    workload_free_all(w);
    heap_all_free();
}

/* ---- the heap cannot be mapped at boot --------------------------------------------- */

/*
 * Booted with pmm_fail_after=5: the frame allocator runs dry a few pages into the 100 KiB
 * heap mapping, kheap_init unmaps and gives back what it mapped, and kmain panics. The test
 * is armed before memory setup (ktest_arm), so the panic is its verdict; the body runs only
 * if the boot got through.
 */
KTEST_SHOULD_PANIC(heap, init_fails, "heap initialization failed: E_NOMEM")
{
    ktest_fail(__FILE__, __LINE__,
               "the heap was set up despite pmm_fail_after= (global allocator: %s)",
               alloc_global()->name);
}

/* ---- debug mode (heap_debug on the command line, or a Debug build) ------------------ */

/*
 * A write into freed memory (p[50] of a freed 200-byte block) is caught when the block is
 * handed out again.
 */
KTEST_SHOULD_PANIC(heap, use_after_free, "use after free detected in block")
{
    struct layout l = {200, 16};
    volatile uint8_t *p = galloc(l);
    KT_ASSERT(p != NULL);
    gdealloc((void *)p, l);
    p[50] = 0x42; /* the bug: a write through a dangling pointer */
    kprintf("use_after_free: wrote into freed block %p; allocating again\n", (void *)p);
    void *q = galloc(l);
    ktest_fail(__FILE__, __LINE__, "reallocated %p without noticing the write", q);
}

static __attribute__((noinline)) void *leaky_alloc(size_t size)
{
    void *p = kmalloc(size);
    __asm__ volatile("" ::: "memory"); /* no tail call: kmalloc returns into leaky_alloc */
    return p;
}

static __attribute__((noinline)) void *leaky_zalloc(size_t size)
{
    void *p = kzalloc(size); /* through the heap's alloc_zeroed: the caller is passed on */
    __asm__ volatile("" ::: "memory");
    return p;
}

/* Counts the "from 0x..." callers in the newest `len` bytes of the kernel log that lie
 * within [lo, hi). */
static unsigned callers_within(uintptr_t lo, uintptr_t hi, size_t len)
{
    static char log[4096];
    size_t n = klog_copy(log, MIN(len, sizeof(log) - 1));
    log[n] = '\0';
    unsigned hits = 0;
    for (const char *p = log; (p = strstr(p, "from 0x")) != NULL;) {
        uint64_t a = 0;
        for (p += 7; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
            a = a * 16 + (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
        if (a >= lo && a < hi)
            hits++;
    }
    return hits;
}

/*
 *   |header 16|40 requested + 8 to the granule|  one 64-byte block (80 with the trailer)
 * kmalloc adds no header over the heap's own: kmalloc(40) takes one heap block of 16 + 40
 * bytes rounded to 16 (64; 80 with the debug trailer), and kmalloc_size() is that block's
 * usable size.
 */
KTEST(heap, kmalloc_one_header)
{
    struct heap_stats before, during, after;
    kheap_stats(&before);
    void *p = kmalloc(40);
    KT_ASSERT(p != NULL);
    kheap_stats(&during);
    size_t block = during.bytes_used - before.bytes_used, usable = kmalloc_size(p);
    kprintf("kmalloc_one_header: kmalloc(40) took a %zu-byte block, %zu usable\n", block, usable);
    KT_ASSERT(block == 64 || block == 80);
    KT_ASSERT(usable >= 40 && usable < 40 + HEAP_ALIGN);
    KT_ASSERT(block - HEAP_ALIGN - usable == 0 || block - HEAP_ALIGN - usable == 16);
    p = krealloc(p, 100); /* grows in place or moves: still one heap block */
    KT_ASSERT(p != NULL && kmalloc_size(p) >= 100);
    kfree(p);
    kheap_stats(&after);
    KT_ASSERT_EQ(after.bytes_used, before.bytes_used);
    kheap_check();
}

/*
 * The leak report lists each live block with its size and, in debug mode, the code that
 * allocated it (here: the return address of kmalloc's call inside leaky_alloc, and of
 * kzalloc's inside leaky_zalloc: the zeroed path tells the heap its caller too).
 */
KTEST(heap, leak_report)
{
    struct heap_stats before;
    kheap_stats(&before);
    void *a = leaky_alloc(100), *b = leaky_alloc(2000), *c = leaky_alloc(24);
    void *z = leaky_zalloc(300);
    KT_ASSERT(a && b && c && z);
    kprintf("leak_report: leaky_alloc is at %p, leaky_zalloc at %p\n", (void *)leaky_alloc,
            (void *)leaky_zalloc);
    KT_ASSERT_EQ(kheap_leak_report(), before.live_allocs + 4);
    /* each function's code: up to the other one when it follows (the compilers place them
     * side by side, in either order), else 256 bytes */
    uintptr_t la = (uintptr_t)leaky_alloc, lz = (uintptr_t)leaky_zalloc;
    KT_ASSERT_EQ(callers_within(la, lz > la ? MIN(lz, la + 256) : la + 256, 600), 3);
    KT_ASSERT_EQ(callers_within(lz, la > lz ? MIN(la, lz + 256) : lz + 256, 600), 1);
    kfree(z);
    kfree(b);
    KT_ASSERT_EQ(kheap_leak_report(), before.live_allocs + 2);
    kfree(a);
    kfree(c);
    KT_ASSERT_EQ(kheap_leak_report(), before.live_allocs);
    kheap_check();
}

/*
 * kheap_init over a region that is already mapped (the live heap) refuses with E_EXISTS and
 * leaves the mappings, the frames and the heap as they were.
 */
KTEST(heap, init_already_mapped)
{
    void *p = kmalloc(1000);
    KT_ASSERT(p != NULL);
    memset(p, 0x5a, 1000);
    struct pmm_stats before, after;
    kmem_frame_stats(&before);
    KT_ASSERT_EQ(kheap_init(0, 0), E_EXISTS);
    kmem_frame_stats(&after);
    KT_ASSERT_EQ(after.used, before.used);
    KT_ASSERT_EQ(kmem_translate(va(HEAP_START), NULL, NULL), E_OK);
    for (size_t i = 0; i < 1000; i++)
        KT_ASSERT_EQ(((uint8_t *)p)[i], 0x5a);
    kfree(p);
    kheap_check();
}

/* heap.give_back's blocks: most of RAM in 1 MiB blocks (drawn above KTEST(heap, give_back)). */
#define GIVE_BACK_BLOCK ((size_t)1 << 20)
#define GIVE_BACK_KEEP 1024u /* frames left to the rest of the kernel */
static void *give_back_blocks[1024];

static size_t give_back_fill(bool zeroed, size_t most)
{
    size_t n = 0;
    struct pmm_stats ps;
    for (kmem_frame_stats(&ps);
         ps.free > GIVE_BACK_KEEP + GIVE_BACK_BLOCK / PAGE_SIZE * 2 && n < most;
         kmem_frame_stats(&ps)) {
        struct layout l = {GIVE_BACK_BLOCK, 16};
        uint8_t *p = zeroed ? galloc_zeroed(l) : galloc(l);
        KT_ASSERT_NE(p, NULL);
        if (zeroed)
            for (size_t i = 0; i < GIVE_BACK_BLOCK; i += 512)
                KT_ASSERT_EQ(p[i], 0);
        memset(p, (int)(n & 0xff) | 1, GIVE_BACK_BLOCK);
        give_back_blocks[n++] = p;
    }
    return n;
}

static void give_back_free(size_t n)
{
    for (size_t i = 0; i < n; i++)
        gdealloc(give_back_blocks[i], (struct layout){GIVE_BACK_BLOCK, 16});
}

/*
 *   HEAP_START                                                  heap_max = 1G
 *   |b0 A|b1 A|b2 A| ... |bn A|F ...                               |sentinel|  most of RAM
 *   |F: all of it, released but its first and last page ........   |sentinel|  all freed
 * the heap gives whole free pages back to the frame allocator. Most of RAM goes into the
 * heap in 1 MiB blocks, all of it is freed, and the frame allocator's free count comes back
 * to within a few pages of where it started (the first and last page of the one free block
 * stay, and the first-fit index's pages for the larger heap, counted apart); then it is all
 * allocated again (the released pages come back as fresh frames, and calloc'd blocks read as
 * zero). Under heap_trim=off nothing comes back.
 */
KTEST(heap, give_back)
{
    heap_pristine();
    struct pmm_stats before, full, after;
    kmem_frame_stats(&before);
    size_t ix_before = kheap_index_pages();
    size_t n = give_back_fill(false, ARRAY_SIZE(give_back_blocks));
    kmem_frame_stats(&full);
    KT_ASSERT_GT(n * GIVE_BACK_BLOCK, (size_t)(before.free * PAGE_SIZE) / 2); /* most of RAM */
    give_back_free(n);
    kheap_check();
    kmem_frame_stats(&after);
    struct heap_stats s = stats();
    size_t ix = kheap_index_pages() - ix_before;
    kprintf("give_back: %zu MiB in the heap took %lu frames; after freeing: %lu of %lu free "
            "frames back (%zu index pages), %zu bytes released in %zu calls\n",
            n, before.free - full.free, after.free, before.free, ix, s.bytes_released,
            s.release_events);
    if (s.release_events == 0) { /* heap_trim=off */
        KT_ASSERT_EQ(s.bytes_released, 0);
        KT_ASSERT_LT(after.free + n * GIVE_BACK_BLOCK / PAGE_SIZE / 2, before.free);
        kprintf("give_back: heap_trim=off: nothing given back\n");
    } else {
        KT_ASSERT_GE(after.free + ix + 8, before.free);
        KT_ASSERT_GE(s.bytes_released, (n - 1) * GIVE_BACK_BLOCK);
    }
    /* all of it again, zeroed (with heap_trim=off: from the pages the heap kept) */
    size_t m = s.release_events ? give_back_fill(true, n) : 0;
    while (m < n) {
        give_back_blocks[m] = galloc_zeroed((struct layout){GIVE_BACK_BLOCK, 16});
        KT_ASSERT_NE(give_back_blocks[m], NULL);
        KT_ASSERT_EQ(((uint8_t *)give_back_blocks[m])[GIVE_BACK_BLOCK / 2], 0);
        m++;
    }
    KT_ASSERT_GE(m + 1, n);
    kheap_check();
    give_back_free(m);
    heap_all_free();
    kprintf("give_back: %zu MiB allocated again (%zu reuses)\n", m, stats().reuse_events);
}
