/* SPDX-License-Identifier: MIT */
/*
 * mm/heap_index.c - the first-fit index's cold parts: layout of its memory, covering
 * new segments as the heap grows, the upward search, and the consistency check.
 * How the index works: the comment at the top of mm/heap_index.h.
 */
#include "mm/heap_index.h"

#include "lib/panic.h"
#include "lib/string.h"

/* Entries of level k (k >= 0) for n segments: ceil(n / 8^k) rounded up to whole nodes of
 * 8, plus one spare node of zeros (the upward search may read one node past the last). */
static size_t level_entries(size_t n, unsigned k)
{
    size_t per = (size_t)1 << (FAN_SHIFT * k);
    size_t e = (n + per - 1) >> (FAN_SHIFT * k);
    return ((e + IX_FAN - 1) & ~(size_t)(IX_FAN - 1)) + IX_FAN;
}

/* The level whose single node covers n segments. */
static unsigned top_for(size_t n)
{
    unsigned k = 0;
    while (k + 1 < HEAP_INDEX_LEVELS && ((size_t)1 << (FAN_SHIFT * k)) < n)
        k++;
    return k;
}

/* Words of the nonempty bitmap's level k for n segments (level k has a bit per 64^k
 * segments), plus one spare word of zeros (the upward search may read one past the last). */
static size_t bm_words(size_t n, unsigned k)
{
    unsigned sh = 6 * (k + 1);
    return ((n + ((size_t)1 << sh) - 1) >> sh) + 1;
}

/* The bitmap level made of a single word for n segments. */
static unsigned bm_top_for(size_t n)
{
    unsigned k = 0;
    while (((size_t)1 << (6 * (k + 1))) < n)
        k++;
    return k;
}

static size_t segments_for(size_t bytes)
{
    return (bytes + IX_SEG - 1) >> SEG_SHIFT;
}

static size_t capped(size_t max_size)
{
    return max_size > HEAP_MAX_SIZE ? HEAP_MAX_SIZE : max_size;
}

size_t heap_index_bytes(size_t max_size)
{
    size_t cap = segments_for(capped(max_size));
    size_t bytes = level_entries(cap, 0) * sizeof(blk_t *);
    for (unsigned k = 0; k <= top_for(cap); k++)
        bytes += level_entries(cap, k) * sizeof(size_t);
    for (unsigned k = 0; k <= bm_top_for(cap); k++)
        bytes += bm_words(cap, k) * sizeof(uint64_t);
    return bytes;
}

/* Makes the entries for n segments usable: commits and clears what lies beyond the
 * entries for x->ncommitted segments, in each array. */
static bool commit_to(struct heap_index *x, size_t n)
{
    size_t old = x->ncommitted;
    struct {
        void *at;
        size_t from, to;
    } r[HEAP_INDEX_LEVELS + 1 + HEAP_INDEX_BM_LEVELS];
    unsigned nr = 0, top = top_for(x->cap);
    r[nr++] = (typeof(r[0])){x->first, old ? level_entries(old, 0) * sizeof(blk_t *) : 0,
                             level_entries(n, 0) * sizeof(blk_t *)};
    for (unsigned k = 0; k <= top; k++)
        r[nr++] = (typeof(r[0])){x->level[k], old ? level_entries(old, k) * sizeof(size_t) : 0,
                                 level_entries(n, k) * sizeof(size_t)};
    for (unsigned k = 0; k <= x->bm_top; k++)
        r[nr++] = (typeof(r[0])){x->nonempty[k], old ? bm_words(old, k) * sizeof(uint64_t) : 0,
                                 bm_words(n, k) * sizeof(uint64_t)};
    for (unsigned i = 0; i < nr; i++)
        if (r[i].to > r[i].from && x->commit &&
            !x->commit(x->commit_ctx, (char *)r[i].at + r[i].from, r[i].to - r[i].from))
            return false;
    for (unsigned i = 0; i < nr && !x->zeroed; i++)
        if (r[i].to > r[i].from)
            memset((char *)r[i].at + r[i].from, 0, r[i].to - r[i].from);
    x->ncommitted = n;
    return true;
}

err_t ix_init(struct heap *h, const struct heap_index_mem *m)
{
    struct heap_index *x = &h->index;
    memset(x, 0, sizeof(*x));
    if (((uintptr_t)m->mem & 7) != 0)
        return E_INVAL;
    x->cap = segments_for(h->max_size);
    x->commit = m->commit;
    x->commit_ctx = m->ctx;
    x->zeroed = m->zeroed;
    char *at = m->mem;
    x->first = (blk_t **)at;
    at += level_entries(x->cap, 0) * sizeof(blk_t *);
    for (unsigned k = 0; k <= top_for(x->cap); k++) {
        x->level[k] = (size_t *)at;
        at += level_entries(x->cap, k) * sizeof(size_t);
    }
    x->bm_top = bm_top_for(x->cap);
    for (unsigned k = 0; k <= x->bm_top; k++) {
        x->nonempty[k] = (uint64_t *)at;
        at += bm_words(x->cap, k) * sizeof(uint64_t);
    }
    return ix_cover(h, h->end) ? E_OK : E_NOMEM;
}

bool ix_cover(struct heap *h, uintptr_t end)
{
    struct heap_index *x = &h->index;
    size_t n = segments_for(end - h->base);
    if (n <= x->nseg)
        return true;
    if (n > x->ncommitted) {
        /* commit ahead in steps of 1/8 of what is covered (at least 256 segments, 1 MiB of
         * heap), so that growing page by page does not call the hook every time */
        size_t want = MAX(n, x->ncommitted + MAX(x->ncommitted / 8, (size_t)256));
        if (!commit_to(x, MIN(want, x->cap)) && !commit_to(x, n))
            return false;
    }
    unsigned top = top_for(n);
    /* new segments hold no indexed block (new memory joins the tail): their entries are
     * zero already; a taller tree needs its new upper nodes, each the largest of its
     * children */
    for (unsigned k = x->top + 1; k <= top; k++) {
        size_t m = 0;
        for (unsigned j = 0; j < IX_FAN; j++)
            m = MAX(m, x->level[k - 1][j]);
        x->level[k][0] = m;
    }
    x->top = top;
    x->nseg = n;
    return true;
}

/* The lowest segment >= s that holds an indexed block (s < nseg), from the bitmap: up
 * while the words hold no bit at or after the position, then down by the lowest bit. */
static size_t next_nonempty(const struct heap_index *x, size_t s)
{
    unsigned k = 0;
    size_t i = s;
    for (;;) {
        uint64_t w = x->nonempty[k][i >> 6] & (~(uint64_t)0 << (i & 63));
        if (w) {
            i = (i & ~(size_t)63) | (size_t)__builtin_ctzll(w);
            break;
        }
        if (k == x->bm_top)
            return IX_NONE;
        i = (i >> 6) + 1;
        k++;
    }
    while (k--)
        i = (i << 6) | (size_t)__builtin_ctzll(x->nonempty[k][i]);
    return i < x->nseg ? i : IX_NONE;
}

size_t ix_find_from(const struct heap_index *x, size_t s, size_t v)
{
    if (s >= x->nseg)
        return IX_NONE;
    if (v <= MIN_BLOCK) /* any indexed block will do */
        return next_nonempty(x, s);
    unsigned k = 0;
    size_t i = s;
    for (;;) {
        const size_t *lv = x->level[k];
        size_t lim = (i | (IX_FAN - 1)) + 1;
        for (; i < lim; i++)
            if (lv[i] >= v)
                return ix_descend(x, k, i, v);
        if (k == x->top)
            return IX_NONE;
        i = lim >> FAN_SHIFT;
        k++;
    }
}

void ix_check(const struct heap *h)
{
    const struct heap_index *x = &h->index;
    const blk_t *end = list_end(h);
    size_t next_seg = 0; /* segments below this are verified */
    for (const blk_t *e = end->next; e != end && !is_tail(h, e, bsize(e));) {
        size_t s = ix_seg(h, A(e));
        for (; next_seg < s; next_seg++)
            if (x->level[0][next_seg] != 0)
                panic("heap_check: index entry of segment %zu is %zu, but no free block starts "
                      "there",
                      next_seg, x->level[0][next_seg]);
        if (x->level[0][s] == 0 || ix_first(h, s) != e)
            panic("heap_check: index names %p as segment %zu's first free block, the list %p",
                  x->level[0][s] ? (void *)ix_first(h, s) : NULL, s, (const void *)e);
        size_t m = 0;
        uintptr_t start = ix_seg_start(h, s), span = ix_span(h, s);
        for (; A(e) - start < span; e = e->next)
            m = MAX(m, bsize(e));
        if (x->level[0][s] != m)
            panic("heap_check: index entry of segment %zu is %zu, its largest free block %zu "
                  "bytes",
                  s, x->level[0][s], m);
        next_seg = s + 1;
    }
    for (; next_seg < level_entries(x->nseg, 0); next_seg++)
        if (x->level[0][next_seg] != 0)
            panic("heap_check: index entry of segment %zu is %zu, but no free block starts there",
                  next_seg, x->level[0][next_seg]);
    for (unsigned k = 1; k <= x->top; k++) {
        /* nodes over real segments are the largest of their children, the rest are 0 */
        size_t real = (x->nseg + ((size_t)1 << (FAN_SHIFT * k)) - 1) >> (FAN_SHIFT * k);
        for (size_t i = 0; i < level_entries(x->nseg, k); i++) {
            size_t m = 0;
            if (i < real)
                for (unsigned j = 0; j < IX_FAN; j++)
                    m = MAX(m, x->level[k - 1][(i << FAN_SHIFT) + j]);
            if (x->level[k][i] != m)
                panic("heap_check: index node %zu of level %u is %zu, its children's largest "
                      "%zu",
                      i, k, x->level[k][i], m);
        }
    }
    /* the nonempty bitmap: a bit per segment with a non-zero entry, a bit per non-zero word */
    for (unsigned k = 0; k <= x->bm_top; k++) {
        size_t bits = k == 0 ? level_entries(x->nseg, 0) : (bm_words(x->nseg, k - 1) - 1);
        for (size_t i = 0; i < bm_words(x->nseg, k) * 64; i++) {
            bool want = i < bits && (k == 0 ? x->level[0][i] != 0 : x->nonempty[k - 1][i] != 0);
            if (((x->nonempty[k][i >> 6] >> (i & 63)) & 1) != want)
                panic("heap_check: bit %zu of the index's nonempty bitmap level %u is %d, "
                      "should be %d",
                      i, k, !want, want);
        }
    }
    if (x->nseg != segments_for(h->end - h->base) || x->top != top_for(x->nseg))
        panic("heap_check: index covers %zu segments (top %u), the heap %zu", x->nseg, x->top,
              segments_for(h->end - h->base));
}
