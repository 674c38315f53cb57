/* SPDX-License-Identifier: MIT */
/*
 * mm/heap_trim.c - the heap core gives memory back: the release policy, the bookkeeping of
 * released pages, and the zero-once bookkeeping behind heap_alloc_zeroed (the theory: the
 * comment at the top of heap.c, "Giving memory back").
 *
 * heap.c calls in here only off its fast paths: when a free made a block of at least
 * trim_gate bytes or merged with a block that has released pages (trim_merged), when an
 * allocation or an in-place realloc takes memory from a block with released pages or from
 * the fresh zone (trim_take, trim_taken), and when the heap grew (trim_grown).
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/string.h"
#include "mm/heap_internal.h"

/* The release threshold: a free block's resident releasable pages are given back once
 * they reach it. It starts at TRIM_MIN and rises to twice what a reuse took back
 * (hysteresis), capped at TRIM_MAX. */
#define TRIM_MIN ((size_t)128 << 10)
#define TRIM_MAX ((size_t)32 << 20)

static inline uintptr_t page_down(uintptr_t a)
{
    return a & ~(uintptr_t)(HEAP_PAGE - 1);
}
static inline uintptr_t page_up(uintptr_t a)
{
    return page_down(a + HEAP_PAGE - 1);
}

err_t heap_set_trim(struct heap *h, const struct heap_trim *t)
{
    if (!h || h->released)
        return E_INVAL;
    bool on = t && t->release;
    h->release = on ? t->release : NULL;
    h->reuse = on ? t->reuse : NULL;
    h->trim_ctx = on ? t->ctx : NULL;
    h->trim_threshold = TRIM_MIN;
    h->trim_gate = on ? TRIM_MIN : SIZE_MAX;
    h->zeroed = t && t->zeroed && !(h->flags & HEAP_F_DEBUG);
    h->fresh = UINTPTR_MAX; /* known from the next growth on */
    return E_OK;
}

/* Writes b's header (free, with released pages [lo, hi)) and its range words. */
static void mark(const struct heap *h, blk_t *b, size_t size, uintptr_t lo, uintptr_t hi)
{
    set_hdr(h, b, size | F_FREE | F_RELEASED);
    *rel_range(b) = (struct rel_range){lo, hi};
}

/* Gives [lo, hi) of free block m back (debug mode: after checking that it still holds
 * poison, so a write after free into it is reported rather than thrown away). */
static void give_back(struct heap *h, const blk_t *m, size_t size, uintptr_t lo, uintptr_t hi)
{
    if (hi <= lo)
        return;
    if (h->flags & HEAP_F_DEBUG)
        heap_poison_verify(A(m), size, lo, hi, "heap_free");
    h->release(h->trim_ctx, lo, hi - lo);
    h->released += hi - lo;
    h->release_events++;
}

void trim_merged(struct heap *h, blk_t *m, size_t size, const blk_t *p, size_t psf, const blk_t *n,
                 size_t nsf)
{
    bool dbg = h->flags & HEAP_F_DEBUG;
    struct rel_range r = {0, 0};
    if (p && (psf & F_RELEASED))
        r = *rel_range(p);
    if (n && (nsf & F_RELEASED)) {
        struct rel_range rn = *rel_range(n);
        if (dbg) /* n's range words are inside m now: free memory, poisoned */
            memset(rel_range(n), HEAP_POISON, sizeof(rn));
        if (r.hi) { /* two released ranges: one, by giving back what lies between them */
            give_back(h, m, size, r.hi, rn.lo);
            r.hi = rn.hi;
        } else {
            r = rn;
        }
    }
    uintptr_t clo = page_up(A(m) + REL_WORDS), chi = page_down(A(m) + size - 8);
    if (h->release && chi > clo && (chi - clo) - (r.hi - r.lo) >= h->trim_threshold) {
        if (r.hi) {
            give_back(h, m, size, clo, r.lo);
            give_back(h, m, size, r.hi, chi);
        } else {
            give_back(h, m, size, clo, chi);
        }
        r = (struct rel_range){clo, chi};
    }
    if (r.hi) {
        mark(h, m, size, r.lo, r.hi);
        /* a released tail below a zero fresh zone: its released pages come back zero */
        if (h->fresh <= r.hi && A(m) + size == sentinel_addr(h) && r.lo < h->fresh)
            h->fresh = r.lo;
    }
}

bool trim_take(struct heap *h, blk_t *b, uintptr_t u, size_t gap, uintptr_t w_hi)
{
    h->zlo = h->zhi = 0;
    if (b->sf & F_RELEASED) {
        struct rel_range r = *rel_range(b);
        h->take_lo = r.lo, h->take_hi = r.hi;
        uintptr_t lo = MAX(r.lo, page_down(gap ? u - 8 : u)), hi = MIN(r.hi, page_up(w_hi));
        if (hi > lo) {
            if (h->reuse && !h->reuse(h->trim_ctx, lo, hi - lo))
                return false;
            h->released -= hi - lo;
            h->reuse_events++;
            /* hysteresis: memory that is used again soon after it was given back raises
             * the threshold, so that an alloc/free loop settles instead of releasing and
             * reusing the same pages every time */
            if (2 * (hi - lo) > h->trim_threshold)
                h->trim_threshold = h->trim_gate = MIN(2 * (hi - lo), TRIM_MAX);
            if (h->flags & HEAP_F_DEBUG)
                memset((void *)lo, HEAP_POISON, hi - lo); /* free memory again, as it was */
            else if (h->zeroed)
                h->zlo = lo, h->zhi = hi;
        }
    }
    if (w_hi > h->fresh) {
        /* the zero fresh zone [fresh, sentinel - 8) joins the reused pages when they touch */
        if (!h->zhi || h->fresh <= h->zhi) {
            h->zlo = h->zhi ? MIN(h->zlo, h->fresh) : h->fresh;
            h->zhi = MAX(h->zhi, MIN(w_hi, sentinel_addr(h) - 8)); /* not the footer */
        }
        h->fresh = w_hi < sentinel_addr(h) - 8 ? w_hi : UINTPTR_MAX;
    }
    return true;
}

void trim_taken(struct heap *h, blk_t *g, size_t gap, blk_t *r, size_t rem)
{
    uintptr_t lo = h->take_lo, hi = h->take_hi;
    if (g) { /* the gap block keeps what lies below its footer */
        uintptr_t ghi = MIN(hi, page_down(A(g) + gap - 8));
        if (ghi > lo)
            mark(h, g, gap, lo, ghi);
        else if (h->flags & HEAP_F_DEBUG) /* its old range words are free memory again */
            memset(rel_range(g), HEAP_POISON, MIN(sizeof(struct rel_range), gap - 40));
    }
    if (r) { /* the remainder keeps what lies above its range words */
        uintptr_t rlo = MAX(lo, page_up(A(r) + REL_WORDS));
        if (hi > rlo)
            mark(h, r, rem, rlo, hi);
    }
}

void trim_grown(struct heap *h, uintptr_t old_end, blk_t *t, size_t tsf)
{
    if (t && (tsf & F_RELEASED)) /* the tail grew: its released pages stay released */
        set_hdr(h, t, bsize(t) | F_FREE | F_RELEASED);
    if (!h->zeroed)
        return;
    uintptr_t s = old_end - HDR;
    if (h->fresh != UINTPTR_MAX) /* the zone goes on: clear the old footer and sentinel */
        memset((void *)(s - 8), 0, 8 + HDR);
    else /* the new memory, above a free tail's or the new tail block's own words */
        h->fresh = t ? old_end : s + REL_WORDS;
}
