/* SPDX-License-Identifier: MIT */
/*
 * tests/host/test_heap_attacks.c - the two attacks of issue 12, item 7, on the release heap
 * (no HEAP_F_DEBUG), each with the index on and off: both must end in the heap's own panic
 * naming the block, before the heap hands out memory that overlaps a live block or writes
 * through a forged pointer.
 *
 * (a) A one-byte overflow of block X sets only the PREV_FREE bit of the next header N
 *     (the canary does not cover that bit), and X's last word -- where a free X would
 *     keep its footer -- is forged to lead to a stale header: one of a block that was
 *     merged away, which still lies in memory (here inside X itself). free(N) must not
 *     merge N into that stale block ("heap_free: corrupted free block before <N>").
 * (b) A use after free writes the list links of a freed block F (next and prev pointing
 *     at a target: outside the heap, or inside another live block). The next allocation
 *     that takes F must panic ("use after free detected in block <F> (free-list links
 *     overwritten") and the target must be untouched.
 * The layouts are drawn above each test, lowest address left, in the block format of heap.h
 * (16-byte header { size_flags, canary }, free blocks: links after the header, footer in the
 * last word; sizes multiples of 16, 48 at least): |p A 96| is the allocated block of variable
 * p, 96 bytes with its header, |f F 208| a free one, |sentinel| the 16-byte end sentinel.
 */
#include "support.h"

#include <stdint.h>
#include <stdlib.h>

#include "lib/kprintf.h"
#include "mm/heap.h"
#include "tests/common/heap_index_mem.h"

#define ARENA_SIZE (1u << 20)
static _Alignas(4096) unsigned char arena[ARENA_SIZE];
static struct heap H;

#define PREV_FREE_BIT 2u /* size_flags bit 1: the block before this one is free */

/* A release heap over the arena; mode 0: first fit, indexed, 1: first fit, index off
 * (HEAP_F_NO_INDEX), 2: good fit (HEAP_F_GOOD_FIT). */
#define MODES 3
static void init_heap(int mode)
{
    static const unsigned flags[MODES] = {0, HEAP_F_NO_INDEX, HEAP_F_GOOD_FIT};
    const struct heap_index_mem *ix = test_heap_index_on(ARENA_SIZE, 0);
    assert_int_equal(heap_init(&H, arena, ARENA_SIZE, NULL, NULL, ARENA_SIZE, flags[mode], ix),
                     E_OK);
    assert_int_equal(H.indexed, mode == 0);
}

static void *xalloc(size_t n)
{
    void *p = heap_alloc(&H, n, 16);
    assert_non_null(p);
    return p;
}

/* The heap's text for pointer p ("%p" as the heap's kprintf prints it). */
static const char *ptr_text(const char *fmt, const void *p)
{
    static char buf[160];
    ksnprintf(buf, sizeof(buf), fmt, p);
    return buf;
}

/* No free block of the heap overlaps [p, p + n): nothing live can be handed out. */
static void assert_no_free_overlap(const void *p, size_t n)
{
    uintptr_t lo = (uintptr_t)p - 16, hi = (uintptr_t)p + n;
    for (const struct heap_block *x = H.list.next; x != &H.list; x = x->next) {
        uintptr_t a = (uintptr_t)x, e = a + (x->sf & ~(size_t)15);
        if (a < hi && lo < e)
            fail_msg("free block [%p, %p) overlaps live block [%p, %p)", (void *)a, (void *)e,
                     (void *)lo, (void *)hi);
    }
}

/* The one-byte overflow: X's payload runs up to N's header, whose first byte is the low
 * byte of size_flags. */
static void overflow_prev_free(unsigned char *x_end)
{
    x_end[0] |= PREV_FREE_BIT;
}

static void forge_footer(unsigned char *x_end, size_t value)
{
    memcpy(x_end - 8, &value, 8);
}

/*
 * (a), the stale header of a block merged away when its predecessor was freed (the layout
 * is drawn above test_overflow_merged_away): P and S freed make one free block with S's
 * header stale inside, allocated again as X, whose last word is forged to lead to S's header;
 * N's PREV_FREE set, free(N). free_p_first: S merges into free P, else P absorbs free S.
 * `links`: also forge S's stale links into a self-loop (they lie in X too), which a test
 * of the links alone would accept.
 */
static void attack_merged_away(int mode, bool free_p_first, bool links)
{
    init_heap(mode);
    unsigned char *p = xalloc(80), *s = xalloc(192), *n = xalloc(100), *g = xalloc(100);
    (void)g;
    if (free_p_first) { /* S merges into free P: S's header is what free(S) left */
        heap_free(&H, p);
        heap_free(&H, s);
    } else { /* P absorbs free S */
        heap_free(&H, s);
        heap_free(&H, p);
    }
    unsigned char *x = xalloc(288); /* the merged 304-byte block, at P */
    assert_ptr_equal(x, p);
    assert_int_equal(heap_usable_size(&H, x), 288);
    unsigned char *x_end = x + 288; /* N's header */
    assert_ptr_equal(x_end + 16, n);
    if (links) {
        uintptr_t self = (uintptr_t)(s - 16);
        memcpy(s, &self, 8);
        memcpy(s + 8, &self, 8);
    }
    forge_footer(x_end, 208);
    overflow_prev_free(x_end);
    EXPECT_PANIC(heap_free(&H, n), ptr_text("heap_free: corrupted free block before %p", n));
    assert_no_free_overlap(x, 288);
}

/*
 *   base                                                         base + 1 MiB
 *   |p A 96|s A 208               |n A 128|g A 128|F 1048000 ...   |sentinel|
 *   |F 304, s's header stale in it|n A 128|g A 128|F 1048000 ...   |sentinel|  p and s freed
 *   |x A 304, at p                |n A 128|g A 128|F 1048000 ...   |sentinel|  x = alloc(288)
 *    x's last word forged to 208 (s's size: from s's stale header to n), n's PREV_FREE set
 * (a) with s merged away: free(n) panics "corrupted free block before n" and no free block
 * overlaps x, in every mode, whichever of p and s was freed first, and with s's stale links
 * left as they were or forged into a self-loop.
 */
static void test_overflow_merged_away(void **state)
{
    (void)state;
    for (int mode = 0; mode < MODES; mode++)
        for (int v = 0; v < 4; v++)
            attack_merged_away(mode, v & 1, v & 2);
}

/*
 * (a), the stale header of a free block that realloc grew X into (drawn above
 * test_overflow_swallowed_by_realloc): F freed, X grown in place into all of it, X's last
 * word forged to lead to F's header, F's links a self-loop, N's PREV_FREE set, free(N).
 */
static void attack_swallowed(int mode)
{
    init_heap(mode);
    unsigned char *x = xalloc(96), *f = xalloc(192), *n = xalloc(100), *g = xalloc(100);
    (void)g;
    heap_free(&H, f);
    assert_ptr_equal(heap_realloc(&H, x, 304, 16), x); /* in place, all of F */
    assert_int_equal(heap_usable_size(&H, x), 304);
    unsigned char *x_end = x + 304;
    assert_ptr_equal(x_end + 16, n);
    uintptr_t self = (uintptr_t)(f - 16);
    memcpy(f, &self, 8);
    memcpy(f + 8, &self, 8);
    forge_footer(x_end, 208);
    overflow_prev_free(x_end);
    EXPECT_PANIC(heap_free(&H, n), ptr_text("heap_free: corrupted free block before %p", n));
    assert_no_free_overlap(x, 304);
}

/*
 *   base                                                         base + 1 MiB
 *   |x A 112|f F 208              |n A 128|g A 128|F 1047984 ...   |sentinel|  f freed
 *   |x A 320, f's header in it    |n A 128|g A 128|F 1047984 ...   |sentinel|  realloc(x, 304)
 *    x's last word forged to 208 (from f's header to n), f's links a self-loop, n's
 *    PREV_FREE set
 * (a) with f swallowed by an in-place realloc: free(n) panics "corrupted free block before
 * n" and no free block overlaps x, in every mode.
 */
static void test_overflow_swallowed_by_realloc(void **state)
{
    (void)state;
    for (int mode = 0; mode < MODES; mode++)
        attack_swallowed(mode);
}

/* A target the forged links point at; its contents must survive. */
static _Alignas(64) unsigned char target[64];

/*
 * (b) use after free of F's links, then an allocation (drawn above test_uaf_links and
 * test_uaf_links_passed_by_search): free A, F, C, forge F.next = F.prev = target (outside
 * the heap, or inside live block X2, filled with `fill`), then malloc.
 * First fit (the list is A, F, C, ...): F and C are 208 bytes and malloc(192) takes F,
 * unlinking it; `wide`: C is 400 bytes and malloc(384) takes C, passing F on its way (so
 * the search must not follow F's next link unchecked).
 * Good fit: F is freed last, so that it heads its class (LIFO) and malloc(192) takes it;
 * `wide`: F is 1104 bytes, in the own class of malloc(1104) (which needs 1120), whose
 * search looks at F first (too small) and must not follow its next link unchecked.
 */
static void attack_uaf_links(int mode, bool in_heap, bool wide, unsigned char fill)
{
    init_heap(mode);
    bool gf = mode == 2;
    size_t fsz = gf && wide ? 1088 : 192, csz = gf && wide ? 1104 : wide ? 384 : 192;
    unsigned char *a = xalloc(16), *x1 = xalloc(64), *f = xalloc(fsz), *x2 = xalloc(192);
    unsigned char *c = xalloc(csz), *x3 = xalloc(64);
    (void)x1;
    (void)x3;
    heap_free(&H, a);
    if (gf) {
        heap_free(&H, c);
        heap_free(&H, f);
    } else {
        heap_free(&H, f);
        heap_free(&H, c);
    }
    unsigned char *t = in_heap ? x2 + 64 : target;
    memset(t, fill, 64);
    uintptr_t forged = (uintptr_t)t;
    memcpy(f, &forged, 8);     /* next */
    memcpy(f + 8, &forged, 8); /* prev */
    EXPECT_PANIC(heap_alloc(&H, csz, 16),
                 ptr_text("heap_alloc: use after free detected in block %p (free-list links "
                          "overwritten",
                          f));
    for (int i = 0; i < 64; i++)
        if (t[i] != fill)
            fail_msg("mode %d: target byte %d written (%#x)", mode, i, t[i]);
}

/*
 *   base                                                           base + 1 MiB
 *   |a F 48|x1 A 80|f F 208|x2 A 208|c F 208|x3 A 80|F 1047728 ...   |sentinel|
 *    f's next and prev links forged to a target: outside the heap, or 64 bytes into live x2
 * (b) as issue 12 states it: malloc(192) takes f (first fit: the list is a, f, c; good fit:
 * f, freed last, heads its class), so it must panic "use after free detected in block f
 * (free-list links overwritten" before unlinking f: the target is untouched, in every mode.
 */
static void test_uaf_links(void **state)
{
    (void)state;
    for (int mode = 0; mode < MODES; mode++)
        for (int v = 0; v < 4; v++)
            attack_uaf_links(mode, v & 1, false, v & 2 ? 0 : 0x5a);
}

/*
 *   base                                                             base + 1 MiB
 *   |a F 48|x1 A 80|f F 208 |x2 A 208|c F 400 |x3 A 80|F 1047536 ...   |sentinel|  first fit
 *   |a F 48|x1 A 80|f F 1104|x2 A 208|c F 1120|x3 A 80|F 1045920 ...   |sentinel|  good fit
 *    f's next and prev links forged to a target, as in test_uaf_links
 * (b) with an allocation whose search passes f: first fit's malloc(384) looks at f on its
 * way to c, good fit's malloc(1104) (need 1120) looks first at f in its own class (66: too
 * small). Every step of a search checks the link it follows (it leads into the heap and
 * points back), so the walk stops at f with the same panic instead of reading the target as
 * a block.
 */
static void test_uaf_links_passed_by_search(void **state)
{
    (void)state;
    for (int mode = 0; mode < MODES; mode++)
        for (int v = 0; v < 4; v++)
            attack_uaf_links(mode, v & 1, true, v & 2 ? 0 : 0x5a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overflow_merged_away),
        cmocka_unit_test(test_overflow_swallowed_by_realloc),
        cmocka_unit_test(test_uaf_links),
        cmocka_unit_test(test_uaf_links_passed_by_search),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
