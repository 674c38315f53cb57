/* SPDX-License-Identifier: MIT */
/*
 * mm/heap_internal.h - what the heap core's files share and nobody else may use: the
 * block layout constants, header and footer accessors, and the canary.
 *
 * heap.c (list, first fit, alloc/free/realloc, growth), heap_index.h/.c (the first-fit
 * index), heap_goodfit.h/.c (the good-fit policy) and heap_check.c (heap_check, dump, leak
 * report, misuse messages) include it.
 */
#ifndef MBHEAP_MM_HEAP_INTERNAL_H
#define MBHEAP_MM_HEAP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/panic.h"
#include "lib/types.h"
#include "mm/heap.h"

/*
 * The block layout. An enum rather than macros so that the constants are in the debug
 * information: the GDB helpers (scripts/gdb/mbheap.py) read them by name from the type
 * `enum heap_layout` instead of copying numbers.
 */
enum heap_layout {
    HDR = 16,           /* block header: size_flags, canary */
    MIN_BLOCK = 48,     /* header, two list links, footer */
    F_FREE = 1,         /* size_flags: this block is free */
    F_PREV_FREE = 2,    /* size_flags: the block before this one is free */
    F_ABSORBED = 4,     /* size_flags: a header a merge swallowed (inside a free block) */
    F_RELEASED = 8,     /* size_flags: a free block with released pages (rel_range) */
    REL_WORDS = 48,     /* a released block's range words end here: no page below is released */
    F_MASK = 15,        /* size_flags: the flag bits (the size is a multiple of 16) */
    HEAP_POISON = 0xdd, /* debug mode: byte pattern of freed memory */
    DEBUG_TRAILER = 16, /* debug mode: { caller, requested size } at an allocated block's end */
    SEG_SHIFT = 12,     /* index: the region is cut into segments of 2^SEG_SHIFT bytes */
    FAN_SHIFT = 3,      /* index: each node above the segments covers 2^FAN_SHIFT below */
    FLAG_DEBUG = HEAP_F_DEBUG,       /* struct heap's flags: debug mode */
    FLAG_GOOD_FIT = HEAP_F_GOOD_FIT, /* struct heap's flags: the good-fit policy */
};
#define POISON64 0xddddddddddddddddull

#define ALWAYS_INLINE inline __attribute__((always_inline))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

typedef struct heap_block blk_t;

STATIC_ASSERT(sizeof(blk_t) == 32, "a block's header and links are 32 bytes");
STATIC_ASSERT(MIN_BLOCK >= sizeof(blk_t) + sizeof(size_t), "min block holds links and footer");

static inline blk_t *B(uintptr_t a)
{
    return (blk_t *)a;
}
static inline uintptr_t A(const blk_t *b)
{
    return (uintptr_t)b;
}
static inline size_t bsize(const blk_t *b)
{
    return b->sf & ~(size_t)F_MASK;
}

static inline uint64_t canary_of(const struct heap *h, uintptr_t a, size_t sf)
{
    return h->secret ^ a ^ (uint64_t)(sf & ~(size_t)F_PREV_FREE);
}

static inline bool canary_ok(const struct heap *h, const blk_t *b)
{
    return b->canary == canary_of(h, A(b), b->sf);
}

static inline void set_hdr(const struct heap *h, blk_t *b, size_t sf)
{
    b->sf = sf;
    b->canary = canary_of(h, A(b), sf);
}

static inline size_t *footer(uintptr_t a, size_t size)
{
    return (size_t *)(a + size - 8);
}

static inline uintptr_t sentinel_addr(const struct heap *h)
{
    return h->end - HDR;
}

/* The list's head node: not a block of the region. */
static inline blk_t *list_end(const struct heap *h)
{
    return (blk_t *)&h->list;
}

/* A free block of `size` bytes at x is the tail: the last block before the sentinel. */
static inline bool is_tail(const struct heap *h, const blk_t *x, size_t size)
{
    return A(x) + size == sentinel_addr(h);
}

/* Leading gap in front of an aligned payload placed in a free block at a: 0 or at least
 * MIN_BLOCK (the gap stays a free block). */
static inline size_t heap_align_gap(uintptr_t a, size_t align)
{
    uintptr_t pl = (a + HDR + align - 1) & ~(uintptr_t)(align - 1);
    size_t gap = pl - HDR - a;
    if (gap && gap < MIN_BLOCK)
        gap += align;
    return gap;
}

static inline size_t payload_room(const struct heap *h, size_t size)
{
    return size - HDR - ((h->flags & HEAP_F_DEBUG) ? DEBUG_TRAILER : 0);
}

/*
 * Giving memory back (heap_trim.c). A free block with F_RELEASED has released the pages
 * [lo, hi) that the two words after its links hold: page-aligned, A + REL_WORDS <= lo <
 * hi <= page_down(A + size - 8) (its header, links, range words and footer stay resident).
 */
struct rel_range {
    uintptr_t lo, hi;
};
static inline struct rel_range *rel_range(const blk_t *b)
{
    return (struct rel_range *)(A(b) + sizeof(blk_t));
}
/* take: block b about to hand out [u, w_hi) (u - 8 too when gap) is released or touches the
 * fresh zone: reuse what is released there, update the zero bookkeeping. False: reuse refused. */
bool trim_take(struct heap *h, blk_t *b, uintptr_t u, size_t gap, uintptr_t w_hi);
/* ... and after take wrote its headers: the gap block g (gap bytes, or NULL) and the
 * remainder r (or NULL) keep what is still released of b's range (saved by trim_take). */
void trim_taken(struct heap *h, blk_t *g, size_t gap, blk_t *r, size_t rem);
/* A merge made free block m (size bytes) out of free blocks whose header values were psf
 * (at p, below) and nsf (at n, above; 0: none): carry their released ranges over to m and
 * apply the release policy. */
void trim_merged(struct heap *h, blk_t *m, size_t size, const blk_t *p, size_t psf, const blk_t *n,
                 size_t nsf);
/* extend(): the heap grew from old_end; tsf is the old tail's header value (0: no free tail). */
void trim_grown(struct heap *h, uintptr_t old_end, blk_t *t, size_t tsf);
/* Debug mode: heap_poison_verify for free block fb, skipping its range words and released pages. */
void heap_poison_verify_free(const blk_t *fb, size_t fbsize, uintptr_t from, uintptr_t to,
                             const char *fn);

/* Error paths and diagnostics (heap_check.c). */
noreturn void heap_bad_pointer(const struct heap *h, const void *p, const char *fn);
noreturn void heap_bad_neighbour(const struct heap *h, const blk_t *nb, const void *p,
                                 const char *fn);
noreturn void heap_bad_links(const struct heap *h, const blk_t *b, const char *fn);
noreturn void heap_bad_step(const struct heap *h, const blk_t *x, const char *fn);
noreturn void heap_bad_free_block(const struct heap *h, const blk_t *b, const char *fn);
void heap_verify_walk(const struct heap *h, const blk_t *b, const char *fn);
void heap_verify_trailer(const struct heap *h, const blk_t *b, const char *fn);
void heap_poison_verify(uintptr_t fb, size_t fbsize, uintptr_t from, uintptr_t to, const char *fn);

#endif
