/* SPDX-License-Identifier: MIT */
/*
 * mm/heap_goodfit.h - the good-fit placement policy (HEAP_F_GOOD_FIT): the heap's second
 * way of organising its free blocks, kept beside first fit so that the two can be
 * measured side by side ("Allocator Designs": tests/bench/RESULTS.md).
 *
 * Private to the heap core. heap.c owns the blocks (layout, boundary tags, splitting,
 * merging, growth, hardening, debug mode, statistics); this policy only decides where a
 * free block is kept and which one an allocation takes. heap.c tells it what happened to
 * a free block through gf_insert / gf_remove / gf_replace (gf_relink when it has just
 * checked the block's links itself) and asks gf_fit_fast / gf_fit for a block.
 *
 * Theory of operation
 *
 * Free blocks are kept by size class: 64 exact classes of 16 bytes below 1 KiB (size /
 * 16), then 32 classes per power of two (TLSF-like: log2 and the next five bits), 1024
 * classes for blocks below 2^40 bytes. Each class is a doubly linked, NULL-terminated
 * list; a two-level bitmap (struct heap_goodfit's top and map) says which are not empty.
 * The exact classes are LIFO (every block of such a class fits, so order only affects
 * locality); from 1 KiB up a class is kept in address order, lowest first, by an
 * insertion walk bounded to GF_SORTED_WALK steps (past that the block goes where the walk
 * stopped: a very long list is only roughly ordered). Address order makes the search in a
 * class prefer low addresses, which measurably cuts fragmentation.
 *
 * Allocation of n bytes takes the first block of the smallest non-empty class whose every
 * block holds n (n's own exact class below 1 KiB, the next class up above it): two
 * find-first-set operations. A request above 1 KiB first looks for a first fit among at
 * most GF_OWN_SCAN blocks of its own class (the closest fits: using them keeps larger
 * blocks whole; T3's fragmentation 0.247 -> 0.234). Only when no class guarantees a fit
 * does it scan the classes between its own and the guaranteed one, then grow the heap.
 * So: first fit within each list, good fit across lists. An aligned request (align > 16)
 * first tries the classes below its guaranteed one, largest first, examining at most
 * GF_ALIGNED_SCAN blocks: a block smaller than n + align often holds it, and using it
 * keeps aligned requests from carving up large blocks (halves T3's fragmentation).
 *
 * Cost: O(1) per operation but for the bounded walks (at most 10 steps per insertion in
 * a large class, 16 per large allocation, 128 per aligned one) and the scan of the
 * classes between a request's own class and its guaranteed one when no class guarantees
 * a fit (that scan is bounded by the free blocks of those classes). Memory: 8 KiB of list
 * heads and 136 bytes of bitmap in struct heap; no index memory.
 *
 * Hardening as in first fit: every unlink and every relink checks that the block's
 * neighbours point back at it (the first block of a list must be its class's head), and
 * every walk checks each link before it follows it.
 *
 * Shortcomings: the placement is not first fit (a reader of blog_os expects first fit;
 * this policy exists to be compared with it), its worst-case fragmentation is best fit's
 * rather than first fit's (Robson: M(n - 2) against M(1 + log2 n)), and the bounded
 * walks make its placement depend on the history of each class, not only on the
 * addresses.
 */
#ifndef MBHEAP_MM_HEAP_GOODFIT_H
#define MBHEAP_MM_HEAP_GOODFIT_H

#include "mm/heap_internal.h"

enum heap_gf_policy {
    GF_SMALL_LIMIT = 1024, /* exact 16-byte classes below this block size */
    GF_SL_BITS = 5,        /* 2^GF_SL_BITS classes per power of two above it */
    GF_SORTED_FROM = 64,   /* classes from here on (>= 1 KiB) are address-ordered */
    GF_SORTED_WALK = 10,   /* longest insertion walk into an address-ordered class */
    GF_OWN_SCAN = 16,      /* blocks a large request examines in its own class */
    GF_ALIGNED_SCAN = 128, /* blocks an aligned request examines below its class */
};
STATIC_ASSERT(HEAP_GF_CLASSES == 64 + (40 - 10) * (1 << GF_SL_BITS),
              "1024 classes cover blocks below 2^40 bytes (HEAP_MAX_SIZE)");

static inline unsigned gf_ilog2(size_t x)
{
    return 63u - (unsigned)__builtin_clzll(x);
}

/* The class holding blocks of size s (16 <= s < 2^40): s / 16 below 1 KiB; above, with
 * fl = log2(s), s >> (fl - 5) is 32 + the five bits below the leading one, and
 * (fl - 9) * 32 is where fl's classes start minus 32. */
static inline unsigned gf_class_of(size_t s)
{
    if (s < GF_SMALL_LIMIT)
        return (unsigned)(s >> 4);
    unsigned fl = gf_ilog2(s);
    return (unsigned)(s >> (fl - GF_SL_BITS)) + ((fl - 9u) << GF_SL_BITS);
}

/* The smallest class whose every block is >= s (s a multiple of 16): s's own class if s
 * starts it, else the next one (class_of(s - 1) + 1 in both cases). HEAP_GF_CLASSES when
 * no class guarantees it. */
static inline unsigned gf_class_fit(size_t s)
{
    if (s <= GF_SMALL_LIMIT)
        return (unsigned)(s >> 4);
    return s - 1u < ((size_t)1 << 40) ? gf_class_of(s - 1u) + 1u : HEAP_GF_CLASSES;
}

/* b's links are not sound: panic naming the block whose links were overwritten (b, or the
 * neighbour a link of b leads to, when that neighbour's own links disagree with the rest
 * of its list). heap_goodfit.c. */
noreturn void gf_bad_links(const struct heap *h, const blk_t *b, const char *fn);

/* x may be followed from a list entry: NULL (the list's end) or inside the region. */
static ALWAYS_INLINE bool gf_link_in(const struct heap *h, const blk_t *x)
{
    return !x || A(x) - h->base < h->end - h->base;
}

/* b (of class c) is on its list: its neighbours point back at it, and when it is the
 * first, its class's head is b (safe unlinking). */
static ALWAYS_INLINE bool gf_links_ok(const struct heap *h, const blk_t *b, unsigned c)
{
    const blk_t *n = b->next, *p = b->prev;
    if (UNLIKELY(!gf_link_in(h, n) || !gf_link_in(h, p)))
        return false;
    return (!n || n->prev == b) && (p ? p->next == b : h->gf.lists[c] == b);
}

/* b (of class c) is about to leave its list or be replaced: its links must be sound. */
static ALWAYS_INLINE void gf_links_check(const struct heap *h, const blk_t *b, unsigned c,
                                         const char *fn)
{
    if (UNLIKELY(!gf_links_ok(h, b, c)))
        gf_bad_links(h, b, fn);
}

/* The next entry after x in its list, checked before a walk follows it. */
static ALWAYS_INLINE blk_t *gf_step(const struct heap *h, const blk_t *x, const char *fn)
{
    blk_t *n = x->next;
    if (UNLIKELY(!gf_link_in(h, n) || (n && n->prev != x)))
        gf_bad_links(h, x, fn);
    return n;
}

static inline void gf_map_set(struct heap_goodfit *g, unsigned c)
{
    g->map[c >> 6] |= 1ull << (c & 63);
    g->top |= 1ull << (c >> 6);
}

static inline void gf_map_clear(struct heap_goodfit *g, unsigned c)
{
    uint64_t w = g->map[c >> 6] & ~(1ull << (c & 63));
    g->map[c >> 6] = w;
    if (!w)
        g->top &= ~(1ull << (c >> 6));
}

/* Free block b (bs bytes; not on a list) joins its class. */
static ALWAYS_INLINE void gf_insert(struct heap *h, blk_t *b, size_t bs, const char *fn)
{
    struct heap_goodfit *g = &h->gf;
    unsigned c = gf_class_of(bs);
    blk_t *head = g->lists[c];
    h->free_blocks++;
    if (c >= GF_SORTED_FROM && head && A(head) < A(b)) {
        /* a large class keeps address order: its first fits are the lowest blocks */
        blk_t *e = head, *nx;
        unsigned k = GF_SORTED_WALK;
        /* A(nx) - 1 < A(b) - 1: nx is not NULL and below b, in one compare */
        while ((nx = gf_step(h, e, fn), A(nx) - 1 < A(b) - 1) && --k)
            e = nx;
        nx = e->next;
        b->next = nx;
        b->prev = e;
        if (nx)
            nx->prev = b;
        e->next = b;
        return;
    }
    if (UNLIKELY(head && head->prev))
        gf_bad_links(h, head, fn);
    b->next = head;
    b->prev = NULL;
    if (head)
        head->prev = b;
    else
        gf_map_set(g, c);
    g->lists[c] = b;
}

/* Free block b (class c) leaves its list: what unlinking writes, once its links are known
 * to be sound (gf_links_check). */
static ALWAYS_INLINE void gf_unlink(struct heap *h, blk_t *b, unsigned c)
{
    blk_t *n = b->next, *p = b->prev;
    if (p) {
        p->next = n;
    } else {
        h->gf.lists[c] = n;
        if (!n)
            gf_map_clear(&h->gf, c);
    }
    if (n)
        n->prev = p;
    h->free_blocks--;
}

/* Free block b (class c: its callers know it, from the list they found b in or from its
 * size) leaves the free blocks (handed out, or swallowed by a merge). */
static ALWAYS_INLINE void gf_remove(struct heap *h, blk_t *b, unsigned c, const char *fn)
{
    gf_links_check(h, b, c, fn);
    gf_unlink(h, b, c);
}

/*
 * Free block o (class oc) is replaced by free block n (ns bytes): a carve's remainder, a
 * merge, a block that grew or shrank in place (then n == o); o's links were checked
 * (gf_links_check) and nothing changed them since but list operations, which keep them
 * sound. o's links are read before n's are written, so n may start 16 bytes into o. When
 * the class stays, n takes o's place in its list: that keeps an address-ordered list
 * ordered, since n lies inside o's span or o's span plus an adjacent allocated range,
 * which no other free block overlaps.
 */
static ALWAYS_INLINE void gf_relink(struct heap *h, blk_t *o, unsigned oc, blk_t *n, size_t ns,
                                    const char *fn)
{
    unsigned nc = gf_class_of(ns);
    if (oc != nc) {
        gf_unlink(h, o, oc);
        gf_insert(h, n, ns, fn);
        return;
    }
    if (o == n)
        return;
    blk_t *nx = o->next, *pv = o->prev;
    n->next = nx;
    n->prev = pv;
    if (pv)
        pv->next = n;
    else
        h->gf.lists[oc] = n;
    if (nx)
        nx->prev = n;
}

/* gf_relink after checking o's links. */
static ALWAYS_INLINE void gf_replace(struct heap *h, blk_t *o, unsigned oc, blk_t *n, size_t ns,
                                     const char *fn)
{
    gf_links_check(h, o, oc, fn);
    gf_relink(h, o, oc, n, ns, fn);
}

/* First non-empty class >= c, or -1. */
static ALWAYS_INLINE int gf_find_class(const struct heap_goodfit *g, unsigned c)
{
    if (c >= HEAP_GF_CLASSES)
        return -1;
    unsigned w = c >> 6;
    uint64_t m = g->map[w] & (~0ull << (c & 63));
    if (!m) {
        uint64_t t = g->top & (~1ull << w);
        if (!t)
            return -1;
        w = (unsigned)__builtin_ctzll(t);
        m = g->map[w];
    }
    return (int)((w << 6) + (unsigned)__builtin_ctzll(m));
}

/*
 * The fast path's search (align <= 16, no debug mode): a block of at least `need` bytes
 * (its class in *cls), or NULL when none is found without the slow search (gf_fit) or
 * growth. A large request looks at the first GF_OWN_SCAN blocks of its own class, then
 * takes the first block of the smallest class that guarantees a fit.
 */
static ALWAYS_INLINE blk_t *gf_fit_fast(const struct heap *h, size_t need, unsigned *cls)
{
    const struct heap_goodfit *g = &h->gf;
    unsigned fc;
    if (LIKELY(need <= GF_SMALL_LIMIT)) {
        fc = (unsigned)(need >> 4); /* an exact class: every block fits */
    } else {
        unsigned oc = gf_class_of(need - 1u);
        fc = oc + 1u;
        if ((g->map[oc >> 6] >> (oc & 63)) & 1) {
            unsigned budget = GF_OWN_SCAN;
            for (blk_t *e = g->lists[oc]; e && budget--; e = gf_step(h, e, "heap_alloc"))
                if (bsize(e) >= need) {
                    *cls = oc;
                    return e;
                }
        }
    }
    int c = gf_find_class(g, fc);
    if (c < 0)
        return NULL;
    *cls = (unsigned)c;
    return g->lists[c];
}

/* The full search (any alignment, debug mode): the block, with the leading gap an aligned
 * payload needs in it, or NULL (grow). heap_goodfit.c. */
blk_t *gf_fit(const struct heap *h, size_t need, size_t align, size_t *gap, bool dbg);

/* heap_check's part for good fit: every class list is sound, holds only free blocks of its
 * class, and the lists hold nfree blocks of free_bytes bytes in all; the bitmap matches.
 * heap_goodfit.c. */
void gf_check(const struct heap *h, size_t nfree, size_t free_bytes);

/* The largest free block (0 if none), for heap_get_stats. heap_goodfit.c. */
size_t gf_largest(const struct heap *h);

#endif
