/* SPDX-License-Identifier: MIT */
/*
 * mm/heap_index.h - the first-fit index: finds the lowest-addressed free block that holds
 * a request without walking the free list, and the place in the list of a freed block.
 *
 * Private to the heap core (heap.c and heap_check.c include it). It never decides
 * anything: heap.c asks it for the block that a walk of the address-ordered list would
 * find first, and the equality tests (tests/host/test_heap_equal.c) prove that the
 * answer is the same with the index on and off.
 *
 * Theory of operation (after R. P. Brent, "Efficient implementation of the first-fit
 * strategy for dynamic storage allocation", TOPLAS 1989)
 *
 * The region is cut into segments of 2^SEG_SHIFT (4 KiB) bytes. For each segment s the
 * index keeps
 *   level[0][s]  the size of the largest free block that *starts* in s (0: none), and
 *   first[s]     the first free block starting in s (meaningful while level[0][s] != 0).
 * Above the segments is a tree of fan-out 8 stored level by level: level[k][i] is the
 * largest of level[k-1][8i .. 8i+7], and level[top][0] is the largest free block of all.
 * Only the levels the heap's current size needs are in use (top grows with the heap),
 * and only the memory that covers the current size is touched.
 *
 * The free block in front of the end sentinel (the tail, where growth happens) is not in
 * the index: first fit takes it only when no other block fits, so heap.c tries it after
 * the index says "none". That keeps the common "carve from the tail, give back to the
 * tail" pattern free of index work.
 *
 * First fit for n bytes: from the root, go down to the leftmost child whose value is at
 * least n, to the segment s; walk the list from first[s]: the first block of at least n
 * bytes is the answer (it is in s, because level[0][s] >= n, and no earlier segment
 * has a block that large). Cost: top levels of at most 8 compares each, plus a walk
 * within one segment, which holds at most 4096 / 96 = 42 free blocks (free blocks are
 * never adjacent and at least 48 bytes). An aligned request may find that no block of
 * the chosen segment fits once the alignment gap is counted: the search then continues
 * from the next segment (ix_find_from), so it is bounded by the number of segments whose
 * largest block is big enough but misplaced for the alignment.
 *
 * The place of a freed block with no free neighbour is in front of the next free block
 * above it: in its own segment (a walk from first[]), or the first block of the next
 * segment that holds any. That segment comes from a bitmap beside the tree (nonempty:
 * a bit per segment whose level[0] is non-zero, and above it a bit per non-zero word, up
 * to a single word): up while the word has no bit past the position, down by the lowest
 * bit, a few instructions per level of 64 instead of a walk up and down the max tree.
 *
 * Updates: a block that appears or grows raises its segment's value and the ancestors
 * below the new value (stops at the first ancestor already as large); a block that
 * disappears or shrinks and was its segment's largest makes the segment rescan its blocks
 * (at most 42) and the ancestors recompute from their 8 children while the value changes.
 * A segment's level[0] going from 0 to non-zero or back sets or clears its bitmap bit.
 *
 * Memory: per segment 8 bytes (first) + 8 bytes (level 0) + 8/7 bytes above + 1/8 byte
 * of bitmap: about 17 bytes per 4 KiB, 0.42% of max_size, laid out as first[], level[0],
 * level[1], ... (each padded to 8 entries, plus 8 spare zero entries for the upward
 * search), then the bitmap's levels (each with a spare zero word), touched only as
 * far as the current heap size needs. (Full-width entries cost memory but no shifts,
 * clamps or offset arithmetic on every update: tests/bench/RESULTS.md.)
 */
#ifndef MBHEAP_MM_HEAP_INDEX_H
#define MBHEAP_MM_HEAP_INDEX_H

#include "mm/heap_internal.h"

#define IX_NONE SIZE_MAX
#define IX_SEG ((uintptr_t)1 << SEG_SHIFT)
#define IX_FAN (1u << FAN_SHIFT)

static inline size_t ix_seg(const struct heap *h, uintptr_t a)
{
    return (a - h->base) >> SEG_SHIFT;
}

static inline uintptr_t ix_seg_start(const struct heap *h, size_t s)
{
    return h->base + (s << SEG_SHIFT);
}

/* The first free block starting in segment s (valid while level[0][s] != 0). */
static inline blk_t *ix_first(const struct heap *h, size_t s)
{
    return h->index.first[s];
}

static inline void ix_set_first(struct heap *h, size_t s, blk_t *b)
{
    h->index.first[s] = b;
}

/*
 * A walk over segment s's indexed blocks goes on while A(x) - ix_seg_start(s) is below
 * this: the segment's size, or less when the tail (not indexed) starts inside s. The
 * list's head node lies outside the region, so it ends a walk too.
 */
static inline uintptr_t ix_span(const struct heap *h, size_t s)
{
    uintptr_t start = ix_seg_start(h, s);
    const blk_t *t = h->list.prev;
    if (LIKELY(A(t) - start >= IX_SEG))
        return IX_SEG;
    return A(t) - start + !is_tail(h, t, bsize(t));
}

/* The largest of a node's IX_FAN children, as a tree of pairwise maxima (no loop). */
STATIC_ASSERT(FAN_SHIFT == 3, "ix_max_of_node and ix_first_child are written for 8 children");
static inline size_t ix_max_of_node(const size_t *c)
{
    size_t a = MAX(c[0], c[1]), b = MAX(c[2], c[3]), d = MAX(c[4], c[5]), e = MAX(c[6], c[7]);
    a = MAX(a, b);
    d = MAX(d, e);
    return MAX(a, d);
}

/* Segment s's value went up to v: raise the ancestors that are below v. */
static ALWAYS_INLINE void ix_raise(struct heap_index *x, size_t s, size_t v)
{
    size_t *l = x->level[0];
    if (l[s] >= v)
        return;
    l[s] = v;
    for (unsigned k = 1; k <= x->top; k++) {
        s >>= FAN_SHIFT;
        size_t *n = &x->level[k][s];
        if (*n >= v)
            return;
        *n = v;
    }
}

/* Segment s's value went down from old: recompute the ancestors that held old (an
 * ancestor above old has it from another child and stays). */
static inline void ix_lowered(struct heap_index *x, size_t s, size_t old)
{
    for (unsigned k = 1; k <= x->top; k++) {
        size_t p = s >> FAN_SHIFT;
        if (x->level[k][p] != old)
            return;
        size_t m = ix_max_of_node(&x->level[k - 1][p << FAN_SHIFT]);
        if (m == old)
            return;
        x->level[k][p] = m;
        s = p;
    }
}

/* The largest indexed block of segment s, from the list (first[s] must be valid). */
static inline size_t ix_scan(const struct heap *h, size_t s)
{
    uintptr_t start = ix_seg_start(h, s), span = ix_span(h, s);
    size_t m = 0;
    for (const blk_t *x = ix_first(h, s); A(x) - start < span; x = x->next)
        m = MAX(m, bsize(x));
    return m;
}

/* Segment s's largest block may have gone from old: rescan, and lower if so. */
static ALWAYS_INLINE void ix_rescan(struct heap *h, size_t s, size_t old)
{
    size_t m = ix_scan(h, s);
    if (m != old) {
        h->index.level[0][s] = m;
        ix_lowered(&h->index, s, old);
    }
}

/* Segment s got its first indexed block: set its bit in the nonempty bitmap, and the bits
 * above while the word was empty. */
static inline void ix_mark(struct heap_index *x, size_t s)
{
    for (unsigned k = 0;; k++) {
        uint64_t *w = &x->nonempty[k][s >> 6], old = *w;
        *w = old | (uint64_t)1 << (s & 63);
        if (old || k == x->bm_top)
            return;
        s >>= 6;
    }
}

/* Segment s lost its last indexed block: clear its bit, and the bits above while the word
 * becomes empty. */
static inline void ix_unmark(struct heap_index *x, size_t s)
{
    for (unsigned k = 0;; k++) {
        uint64_t *w = &x->nonempty[k][s >> 6], now = *w & ~((uint64_t)1 << (s & 63));
        *w = now;
        if (now || k == x->bm_top)
            return;
        s >>= 6;
    }
}

/* Free block b (bs bytes, not the tail) joins the index. */
static ALWAYS_INLINE void ix_add(struct heap *h, blk_t *b, size_t bs)
{
    size_t s = ix_seg(h, A(b));
    if (h->index.level[0][s] == 0) {
        ix_set_first(h, s, b);
        ix_mark(&h->index, s);
    } else if (A(b) < A(ix_first(h, s))) {
        ix_set_first(h, s, b);
    }
    ix_raise(&h->index, s, bs);
}

/*
 * Free block b (bs bytes) has left the index; it is already off the list (or replaced
 * there), and nx is the free block that now follows b's place in the list.
 */
static ALWAYS_INLINE void ix_del(struct heap *h, const blk_t *b, size_t bs, blk_t *nx)
{
    struct heap_index *x = &h->index;
    size_t s = ix_seg(h, A(b));
    size_t old = x->level[0][s];
    if (ix_first(h, s) == b) {
        if (A(nx) - ix_seg_start(h, s) >= ix_span(h, s)) {
            x->level[0][s] = 0; /* b was the segment's only block */
            ix_unmark(x, s);
            ix_lowered(x, s, old);
            return;
        }
        ix_set_first(h, s, nx);
    }
    if (bs == old)
        ix_rescan(h, s, old);
}

/* Indexed free block b shrank in place from old bytes (it is on the list, new size set). */
static ALWAYS_INLINE void ix_shrunk(struct heap *h, const blk_t *b, size_t old)
{
    size_t s = ix_seg(h, A(b));
    if (old == h->index.level[0][s])
        ix_rescan(h, s, old);
}

/* The first of a node's children whose value is >= v (one of them is): a chain of
 * compares rather than a loop (no counter to keep). */
static ALWAYS_INLINE unsigned ix_first_child(const size_t *c, size_t v)
{
    return c[0] >= v   ? 0
           : c[1] >= v ? 1
           : c[2] >= v ? 2
           : c[3] >= v ? 3
           : c[4] >= v ? 4
           : c[5] >= v ? 5
           : c[6] >= v ? 6
                       : 7;
}

/* One step down: from node i of level k + 1 to its first child >= v, on level k. */
static ALWAYS_INLINE size_t ix_step_down(const struct heap_index *x, unsigned k, size_t i, size_t v)
{
    return (i << FAN_SHIFT) + ix_first_child(&x->level[k][i << FAN_SHIFT], v);
}

/* Down from node i of level k (whose value is >= v) to the leftmost segment >= v; the
 * common heights unrolled (the level arrays then come from fixed offsets). */
static ALWAYS_INLINE size_t ix_descend(const struct heap_index *x, unsigned k, size_t i, size_t v)
{
    switch (k) {
    case 5:
        i = ix_step_down(x, 4, i, v);
        /* fallthrough */
    case 4:
        i = ix_step_down(x, 3, i, v);
        /* fallthrough */
    case 3:
        i = ix_step_down(x, 2, i, v);
        /* fallthrough */
    case 2:
        i = ix_step_down(x, 1, i, v);
        /* fallthrough */
    case 1: return ix_step_down(x, 0, i, v);
    case 0: return i;
    }
    while (k--)
        i = ix_step_down(x, k, i, v);
    return i;
}

/* The lowest segment holding an indexed block of at least v bytes, or IX_NONE. */
static ALWAYS_INLINE size_t ix_find(const struct heap_index *x, size_t v)
{
    if (x->level[x->top][0] < v)
        return IX_NONE;
    return ix_descend(x, x->top, 0, v);
}

/* The lowest segment >= s holding an indexed block of at least v bytes, or IX_NONE. */
size_t ix_find_from(const struct heap_index *x, size_t s, size_t v);

/* heap_init: set up the index over index memory for a heap capped at max_size. */
err_t ix_init(struct heap *h, const struct heap_index_mem *m);

/* The heap now ends at `end`: cover (and commit) its segments. Return: false when the
 * commit hook refused (nothing changed then). */
bool ix_cover(struct heap *h, uintptr_t end);

/* heap_check: the index agrees with the list (panics otherwise). */
void ix_check(const struct heap *h);

#endif
