/* SPDX-License-Identifier: MIT */
/*
 * mm/heap_goodfit.c - the good-fit policy's slow search, its part of heap_check and its
 * statistics (the theory and the fast operations: mm/heap_goodfit.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/panic.h"
#include "mm/heap_goodfit.h"

/* x is a sound free block header of h: inside the region, 16-aligned, valid canary, free. */
static bool sound(const struct heap *h, const blk_t *x)
{
    return A(x) - h->base < h->end - h->base && !(A(x) & 15) && canary_ok(h, x) &&
           (x->sf & F_MASK & ~F_RELEASED) == F_FREE;
}

/* Free block x's links agree with its neighbours' (its prev link, or its class's head). */
static bool consistent(const struct heap *h, const blk_t *x)
{
    const blk_t *p = x->prev, *n = x->next;
    bool pok = p ? sound(h, p) && p->next == x : h->gf.lists[gf_class_of(bsize(x))] == x;
    return pok && (!n || (sound(h, n) && n->prev == x));
}

__attribute__((cold)) void gf_bad_links(const struct heap *h, const blk_t *b, const char *fn)
{
    const blk_t *n = b->next, *p = b->prev;
    if (n && sound(h, n) && n->prev != b && !consistent(h, n))
        heap_bad_links(h, n, fn);
    if (p && sound(h, p) && p->next != b && !consistent(h, p))
        heap_bad_links(h, p, fn);
    heap_bad_links(h, b, fn);
}

/* Debug mode: every block a walk visits must be a sound free entry of class c. */
static void walk_verify(const struct heap *h, const blk_t *b, unsigned c)
{
    if (!canary_ok(h, b) || (b->sf & (F_FREE | F_ABSORBED)) != F_FREE)
        heap_bad_free_block(h, b, "heap_alloc");
    if (!gf_links_ok(h, b, c))
        gf_bad_links(h, b, "heap_alloc");
}

/* Last non-empty class <= c, or -1. */
static int find_class_down(const struct heap_goodfit *g, unsigned c)
{
    unsigned w = c >> 6;
    uint64_t m = g->map[w] & ((2ull << (c & 63)) - 1);
    if (!m) {
        uint64_t t = g->top & ((1ull << w) - 1);
        if (!t)
            return -1;
        w = gf_ilog2(t);
        m = g->map[w];
    }
    return (int)((w << 6) + gf_ilog2(m));
}

/* The first block of list c, in list order, that holds the request; *budget (if not NULL)
 * bounds the blocks examined. */
static ALWAYS_INLINE blk_t *scan_list(const struct heap *h, unsigned c, size_t need, size_t align,
                                      size_t *gap, unsigned *budget, bool dbg)
{
    for (blk_t *b = h->gf.lists[c]; b; b = gf_step(h, b, "heap_alloc")) {
        if (budget && !(*budget)--)
            return NULL;
        if (dbg)
            walk_verify(h, b, c);
        size_t g = align > HDR ? heap_align_gap(A(b), align) : 0;
        if (g + need <= bsize(b)) {
            *gap = g;
            return b;
        }
    }
    return NULL;
}

blk_t *gf_fit(const struct heap *h, size_t need, size_t align, size_t *gap, bool dbg)
{
    const struct heap_goodfit *g = &h->gf;
    size_t slack = align > HDR ? align + 32 : 0; /* the worst-case leading gap */
    size_t search = need + slack;
    unsigned own = gf_class_of(need), fit = gf_class_fit(search);
    blk_t *b;
    if (slack) {
        /* the classes below the guaranteed one, largest first */
        unsigned budget = GF_ALIGNED_SCAN;
        for (int c = fit ? find_class_down(g, MIN(fit, HEAP_GF_CLASSES) - 1) : -1;
             c >= (int)own && budget; c = c ? find_class_down(g, (unsigned)c - 1) : -1)
            if ((b = scan_list(h, (unsigned)c, need, align, gap, &budget, dbg)))
                return b;
    } else if (need > GF_SMALL_LIMIT) {
        /* first fit in the request's own class: its blocks are the closest fits */
        unsigned budget = GF_OWN_SCAN, oc = gf_class_of(need - 1u);
        if ((b = scan_list(h, oc, need, 0, gap, &budget, dbg)))
            return b;
    }
    int c = gf_find_class(g, fit);
    if (c >= 0) {
        b = g->lists[c];
        *gap = slack ? heap_align_gap(A(b), align) : 0;
        return b;
    }
    /* no class guarantees a fit: first fit over the classes in between, smallest first */
    for (c = gf_find_class(g, own); c >= 0 && (unsigned)c < fit;
         c = gf_find_class(g, (unsigned)c + 1))
        if ((b = scan_list(h, (unsigned)c, need, align, gap, NULL, dbg)))
            return b;
    return NULL;
}

/* A free block that heap_check's tiling walk found is on its class's list (error path:
 * linear in that list). */
static bool listed(const struct heap *h, const blk_t *b, size_t limit)
{
    for (const blk_t *e = h->gf.lists[gf_class_of(bsize(b))]; e && limit--; e = e->next)
        if (e == b)
            return true;
    return false;
}

/* Walks list c (at most `limit` entries) checking each entry and each link before it is
 * followed; returns the entries seen and adds their bytes to *bytes. */
static size_t check_list(const struct heap *h, unsigned c, size_t limit, size_t *bytes)
{
    size_t n = 0;
    const blk_t *prev = NULL;
    for (const blk_t *b = h->gf.lists[c]; b; prev = b, b = b->next) {
        if (n++ == limit)
            panic("heap_check: good-fit class %u's list holds more entries than there are free "
                  "blocks (%zu): a cycle",
                  c, limit);
        if (A(b) < h->base || A(b) >= sentinel_addr(h) || (A(b) & 15)) {
            if (prev)
                panic("heap_check: list link outside the heap at %p (next %p)", (const void *)prev,
                      (const void *)b);
            panic("heap_check: good-fit class %u's head lies outside the heap (%p)", c,
                  (const void *)b);
        }
        size_t size = bsize(b);
        if (!canary_ok(h, b) || (b->sf & F_MASK & ~F_RELEASED) != F_FREE || size < MIN_BLOCK ||
            size > sentinel_addr(h) - A(b) || *footer(A(b), size) != size)
            panic("heap_check: good-fit class %u holds %p, which is not a free block (size_flags "
                  "%#zx)",
                  c, (const void *)b, b->sf);
        if (gf_class_of(size) != c)
            panic("heap_check: free block %p (size %zu) is in good-fit class %u, not %u",
                  (const void *)b, size, c, gf_class_of(size));
        if (b->prev != prev)
            panic("heap_check: broken back link at %p (prev %p, expected %p)", (const void *)b,
                  (const void *)b->prev, (const void *)prev);
        *bytes += size;
    }
    return n;
}

void gf_check(const struct heap *h, size_t nfree, size_t free_bytes)
{
    const struct heap_goodfit *g = &h->gf;
    size_t n = 0, bytes = 0;
    for (unsigned c = 0; c < HEAP_GF_CLASSES; c++) {
        bool bit = (g->map[c >> 6] >> (c & 63)) & 1;
        if (bit != (g->lists[c] != NULL))
            panic("heap_check: good-fit bitmap says class %u is %s, its list is %s", c,
                  bit ? "not empty" : "empty", g->lists[c] ? "not empty" : "empty");
        if ((c & 63) == 0 && !!((g->top >> (c >> 6)) & 1) != (g->map[c >> 6] != 0))
            panic("heap_check: good-fit top bitmap wrong for word %u (top %#llx, word %#llx)",
                  c >> 6, (unsigned long long)g->top, (unsigned long long)g->map[c >> 6]);
        n += check_list(h, c, nfree + 1 - n, &bytes);
    }
    /* every listed block is a sound free block of the tiling's kind (a stale header is
     * marked ABSORBED or poisoned); as many as the tiling has, of the same total size:
     * the lists hold exactly the free blocks. Otherwise name a block they lost. */
    if (n == nfree && bytes == free_bytes)
        return;
    for (uintptr_t x = h->base; x < sentinel_addr(h); x += bsize(B(x)))
        if ((B(x)->sf & F_FREE) && !listed(h, B(x), nfree))
            panic("heap_check: free block not on its good-fit list at %p (size %zu, class %u)",
                  (void *)x, bsize(B(x)), gf_class_of(bsize(B(x))));
    panic("heap_check: the good-fit lists hold %zu blocks of %zu bytes, the heap has %zu of %zu", n,
          bytes, nfree, free_bytes);
}

size_t gf_largest(const struct heap *h)
{
    int c = find_class_down(&h->gf, HEAP_GF_CLASSES - 1);
    size_t m = 0;
    if (c >= 0)
        for (const blk_t *b = h->gf.lists[c]; b; b = b->next)
            m = MAX(m, bsize(b));
    return m;
}
