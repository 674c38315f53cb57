/* SPDX-License-Identifier: MIT */
/*
 * mm/heap.c - the heap core: an address-ordered first-fit linked-list allocator with
 * boundary tags, as in blog_os's LinkedListAllocator, plus an index that finds the same
 * first fit without walking the list.
 *
 * Owns everything inside a struct heap's region; knows nothing about locks, paging or
 * the kernel (growth is a callback). Includes lib/ headers only: the same files build
 * into the kernel, the host tests, the fuzz target and the benchmarks. The index is in
 * mm/heap_index.h/.c; heap_check, the dump, the leak report and the misuse messages are
 * in mm/heap_check.c.
 *
 * Theory of operation
 *
 * Blocks. The region [base, end) is tiled by blocks whose sizes are multiples of 16,
 * followed by a 16-byte end sentinel (a permanently allocated block of size 0). Every
 * block starts with a 16-byte header { size_flags, canary }; the payload follows, so
 * payloads are 16-byte aligned. size_flags is the block size (header included) with
 * FREE (bit 0) and PREV_FREE (bit 1: the block before this one is free). The canary is
 * secret ^ address ^ (size|FREE), with a per-heap secret: a header that was overwritten,
 * or a pointer that is not a block start, does not match. A free block also holds its
 * list links after the header and a copy of its size in its last word (the footer),
 * which is what the next block finds through its PREV_FREE bit. Allocated blocks carry
 * no footer; the minimum block is 48 bytes (header, two links, footer). In HEAP_F_DEBUG
 * mode every allocated block also ends with a 16-byte trailer { caller, size }.
 *
 * The free list. Every free block is on one doubly linked list kept in address order,
 * circular through struct heap's `list` node (list.next is the lowest free block,
 * list.prev the highest). Two free blocks are never adjacent: free merges at once.
 *
 * Allocation is first fit: the lowest-addressed free block that holds the request. For
 * a request of alignment > 16 "holds" means: the payload goes to the first aligned
 * address whose leading gap is 0 or at least the minimum block (the gap stays a free
 * block of its own, never leaked), and the block still holds the rest. The block is
 * carved from its low end (after the gap); the remainder goes back to the list at the
 * block's place when it is at least the minimum block, else it stays in the allocation.
 * walk_fit() is that rule as a walk of the list; with the index (the default),
 * index_fit() finds the same block in O(log n) -- see mm/heap_index.h -- and the tests
 * prove, operation by operation, that both pick the same address.
 *
 * Free merges with the following block (its header tells if it is free) and the
 * preceding one (PREV_FREE + footer) in O(1), then the result takes the list place of
 * the block it merged with; a block with no free neighbour is inserted before the next
 * free block above it (found through the index, or by walking the list without it).
 *
 * realloc shrinks in place (the tail becomes free, merged with a free successor), grows
 * in place into a free successor, and, when the block is the last one, grows the heap
 * under it; otherwise it allocates (first fit), copies and frees.
 *
 * Growth. When nothing fits, grow(ctx, end, n) is asked for n >= what is missing
 * (rounded up to HEAP_GROW_GRANULE, capped by max_size) at the current end; the new
 * bytes, the old sentinel and a free tail block merge into one free block and a new
 * sentinel is written at the new end.
 *
 * Hardening (release builds too). Pointers handed back are checked: inside the heap,
 * 16-aligned, a header whose canary matches, not free (a double free says so). Before a
 * block leaves the list or another takes its place, its neighbours must point back at
 * it (safe unlinking: a use-after-free write into a freed block's links is caught
 * instead of turning into a write through forged pointers). A merge with the
 * predecessor happens only when the header the footer leads to is exactly a free
 * header of that size with a valid canary and consistent links. A header that a merge
 * swallows is marked ABSORBED, so it can never pass for a free block later, while a
 * second free of its pointer is still reported as a double free.
 *
 * Giving memory back (heap_set_trim; mm/heap_trim.c). A free block may have released
 * whole pages [lo, hi) through the release hook: flag RELEASED (bit 3) in its header and
 * the range in the two words after its links; its header page (header, links, range
 * words) and its footer's page stay resident, so a free block is "resident head, released
 * middle, resident tail" and the per-block state is two words whatever its size. The core
 * never reads or writes a released page: a merge carries the neighbours' ranges over (two
 * released ranges become one by releasing what lies between them), a carve (alloc, or
 * realloc growing into a free successor) first calls the reuse hook for exactly the
 * released pages it hands out or writes a header into, and the gap block and the remainder
 * keep what is still released on their side. A refused reuse fails the allocation with the
 * heap unchanged. Placement never looks at the released state: first fit stays exact
 * (host.heap_equal runs with release on). Policy: after a free, a block's resident pages
 * between its range words and footer are released once they reach the threshold (128 KiB
 * at first); a reuse raises the threshold to twice what it took back (at most 32 MiB),
 * glibc's dynamic trim threshold in spirit, so that an alloc/free loop at the heap's end or
 * in a hole settles after one release and one reuse (host.heap_trim measures 1 + 1 for
 * 1000 rounds). Debug mode checks a range's poison before releasing it and poisons reused
 * pages again. Zero once: with struct heap_trim's zeroed, [fresh, sentinel - 8) is known to
 * be zero (memory from the grow hook that nothing has touched yet, extended over a free
 * tail's released pages); a carve that reaches it or reuses released pages tells
 * heap_alloc_zeroed which of its bytes are zero, and only the rest is cleared.
 *
 * Debug mode (HEAP_F_DEBUG): freed payloads, and the headers and links that merging
 * absorbs, are filled with HEAP_POISON and checked when handed out again (including
 * the bytes a split is about to turn into a header) and by heap_check; list walks
 * verify every block they visit. Allocations record their caller and requested size.
 *
 * Shortcomings and trade-offs
 *  - First fit keeps the low addresses busy and the large blocks high: very good for
 *    fragmentation (and Robson's worst case is far better than best fit's), but each
 *    free of a block with no free neighbour must find its place in address order. The
 *    index makes that and the search O(log n); it costs about 0.4% of max_size in
 *    memory outside the heap and a few dozen instructions per operation.
 *  - An aligned request (align > 16) may have to look past blocks that are large
 *    enough but misplaced for the alignment: its search is bounded by the number of
 *    such segments, not by a constant (see heap_index.h).
 *  - Headers are 16 bytes and the minimum block 48: an 8-byte allocation takes 48.
 *  - Memory goes back page by page inside free blocks (heap_set_trim), never by shrinking
 *    the region: the address space stays reserved. A free block keeps up to one threshold
 *    of resident free pages (hysteresis), and the threshold only rises. A double free or
 *    use of a pointer whose header page was released cannot be told by its header: in
 *    the kernel it faults (the page-fault panic names the released heap page), in the
 *    shim it reads zeros (a zero header is reported as an invalid pointer).
 *  - One heap, one lock (in the glue): no per-CPU caches.
 */
#include "mm/heap.h"

#include <stddef.h>
#include <stdint.h>

#include "lib/panic.h"
#include "lib/string.h"
#include "lib/types.h"
#include "mm/heap_goodfit.h"
#include "mm/heap_index.h"

/* ---------------------------------------------------------------------------------- */
/* Small helpers                                                                      */
/* ---------------------------------------------------------------------------------- */

/* Writes a free block's header and footer (its predecessor is never free). */
static inline void set_free(const struct heap *h, blk_t *b, size_t size)
{
    set_hdr(h, b, size | F_FREE);
    *footer(A(b), size) = size;
}

/* Block size for a request of `size` bytes (size <= HEAP_MAX_REQUEST). */
static ALWAYS_INLINE size_t need_of(size_t size, bool dbg)
{
    size_t n = (size + HDR + 15u) & ~(size_t)15u;
    if (dbg)
        n += DEBUG_TRAILER;
    return n < MIN_BLOCK ? MIN_BLOCK : n;
}

static inline bool align_ok(size_t align)
{
    return is_pow2(align) && align <= HEAP_MAX_ALIGN;
}

static void poison(uintptr_t from, uintptr_t to)
{
    if (to > from)
        memset((void *)from, HEAP_POISON, to - from);
}

/* Debug mode: an allocated block ends with { caller, requested size }, and the bytes
 * between the requested size and that trailer hold poison, so that a write past the
 * request is found when the block is freed or checked (heap_verify_trailer). */
static inline void debug_trailer(uintptr_t a, size_t size, const void *caller, size_t req)
{
    uintptr_t *t = (uintptr_t *)(a + size - DEBUG_TRAILER);
    poison(a + HDR + req, (uintptr_t)t);
    t[0] = (uintptr_t)caller;
    t[1] = req;
}

/* ---------------------------------------------------------------------------------- */
/* The free list                                                                      */
/* ---------------------------------------------------------------------------------- */

/* x may be followed: the list's head node, or an address inside the region (a forged
 * link elsewhere is caught here, before it is dereferenced). */
static ALWAYS_INLINE bool link_in(const struct heap *h, const blk_t *x)
{
    return x == list_end(h) || A(x) - h->base < h->end - h->base;
}

/* b's links lead to neighbours that point back at it (safe unlinking). */
static ALWAYS_INLINE bool links_ok(const struct heap *h, const blk_t *b)
{
    const blk_t *n = b->next, *p = b->prev;
    return link_in(h, n) && link_in(h, p) && n->prev == b && p->next == b;
}

/* b is about to leave the list or be replaced: its neighbours must point back at it. */
static ALWAYS_INLINE void links_check(const struct heap *h, const blk_t *b, const char *fn)
{
    if (UNLIKELY(!links_ok(h, b)))
        heap_bad_links(h, b, fn);
}

/* b (bs bytes) is a sound entry of the policy's free lists (gf: good fit's, else the
 * address-ordered list). */
static ALWAYS_INLINE void free_links_check(const struct heap *h, const blk_t *b, size_t bs, bool gf,
                                           const char *fn)
{
    if (gf)
        gf_links_check(h, b, gf_class_of(bs), fn);
    else
        links_check(h, b, fn);
}

static ALWAYS_INLINE void list_unlink(struct heap *h, blk_t *b, const char *fn)
{
    links_check(h, b, fn);
    blk_t *n = b->next, *p = b->prev;
    p->next = n;
    n->prev = p;
    h->free_blocks--;
}

/* Inserts b in front of nx (a list entry or the list's end). */
static ALWAYS_INLINE void list_insert_before(struct heap *h, blk_t *nx, blk_t *b, const char *fn)
{
    blk_t *p = nx->prev;
    if (UNLIKELY(p->next != nx))
        heap_bad_links(h, nx, fn);
    b->next = nx;
    b->prev = p;
    p->next = b;
    nx->prev = b;
    h->free_blocks++;
}

/* n takes o's place in the list. o's links are read before n's are written, so n may
 * start 16 bytes into o (its header then covers o's links). */
static ALWAYS_INLINE void list_replace(const struct heap *h, blk_t *o, blk_t *n, const char *fn)
{
    links_check(h, o, fn);
    blk_t *nx = o->next, *pv = o->prev;
    n->next = nx;
    n->prev = pv;
    pv->next = n;
    nx->prev = n;
}

/* The tail block (free, in front of the sentinel), or NULL. */
static inline blk_t *tail_block(const struct heap *h)
{
    blk_t *t = h->list.prev;
    return t != list_end(h) && is_tail(h, t, bsize(t)) ? t : NULL;
}

/* Debug mode: every block a list walk visits must be a free block whose links point
 * back at it, checked before the walk follows its next link. */
static inline void walk_verify(const struct heap *h, const blk_t *b)
{
    heap_verify_walk(h, b, "heap_alloc");
}

/* The next link of free block x, for a walk to follow: it must lead into the region (or
 * to the list's end) and point back at x, or a use after free that forged it would send
 * the walk through memory that is no block (the panic names x). */
static ALWAYS_INLINE blk_t *step(const struct heap *h, const blk_t *x, const char *fn)
{
    blk_t *n = x->next;
    if (UNLIKELY(!link_in(h, n) || n->prev != x))
        heap_bad_step(h, x, fn);
    return n;
}

/* The free block that follows b's address in the list (b is not on the list): where a
 * freed block with no free neighbour goes. */
static ALWAYS_INLINE blk_t *next_free_after(const struct heap *h, const blk_t *b, bool dbg,
                                            const char *fn)
{
    const blk_t *end = list_end(h);
    if (!h->indexed) {
        blk_t *x = h->list.next;
        for (; x != end && A(x) < A(b); x = step(h, x, fn))
            if (UNLIKELY(dbg))
                walk_verify(h, x);
        return x;
    }
    size_t s = ix_seg(h, A(b));
    if (h->index.level[0][s]) {
        blk_t *x = ix_first(h, s);
        if (A(x) > A(b))
            return x;
        for (blk_t *n = step(h, x, fn);; n = step(h, x, fn)) {
            if (n == end || A(n) > A(b))
                return n;
            if (UNLIKELY(dbg))
                walk_verify(h, n);
            x = n;
        }
    }
    size_t t = ix_find_from(&h->index, s + 1, 1);
    if (t != IX_NONE)
        return ix_first(h, t);
    blk_t *tail = tail_block(h);
    return tail ? tail : list_end(h);
}

/* ---------------------------------------------------------------------------------- */
/* First fit                                                                          */
/* ---------------------------------------------------------------------------------- */

static inline blk_t *checked_block(const struct heap *h, blk_t *b)
{
    if (UNLIKELY(!canary_ok(h, b) || (b->sf & (F_FREE | F_ABSORBED)) != F_FREE))
        heap_bad_free_block(h, b, "heap_alloc");
    return b;
}

/* Block b (bs bytes) holds a request of `need` bytes at this alignment: the gap, or -1. */
static ALWAYS_INLINE size_t fit_gap(const blk_t *b, size_t bs, size_t need, size_t align)
{
    size_t gap = align > HDR ? heap_align_gap(A(b), align) : 0;
    return gap + need <= bs ? gap : SIZE_MAX;
}

/* First fit by walking the list from its lowest block: the rule itself. */
static blk_t *walk_fit(const struct heap *h, size_t need, size_t align, size_t *gap, bool dbg)
{
    for (blk_t *x = h->list.next; x != list_end(h); x = step(h, x, "heap_alloc")) {
        if (UNLIKELY(dbg))
            walk_verify(h, x);
        size_t g = fit_gap(x, bsize(x), need, align);
        if (g != SIZE_MAX) {
            *gap = g;
            return x;
        }
    }
    return NULL;
}

/* The same block as walk_fit, through the index: the lowest segment whose largest block
 * is large enough, then its blocks in order; for an aligned request that finds nothing
 * there, the next such segment (the list's next block when it starts one: no search of
 * the tree); the tail last. */
static blk_t *index_fit(const struct heap *h, size_t need, size_t align, size_t *gap, bool dbg)
{
    const struct heap_index *ix = &h->index;
    size_t s = ix_find(ix, need);
    blk_t *x = s != IX_NONE ? ix_first(h, s) : NULL;
    while (s != IX_NONE) {
        uintptr_t start = ix_seg_start(h, s), span = ix_span(h, s);
        for (; A(x) - start < span; x = step(h, x, "heap_alloc")) {
            if (UNLIKELY(dbg))
                walk_verify(h, x);
            size_t bs = bsize(x);
            if (bs < need) /* too small whatever the gap */
                continue;
            size_t g = fit_gap(x, bs, need, align);
            if (g != SIZE_MAX) {
                *gap = g;
                return x;
            }
        }
        /* x is the first free block past segment s's: the first of its own segment t */
        if (x == list_end(h))
            break;
        size_t t = ix_seg(h, A(x));
        if (t != s && ix->level[0][t] >= need) {
            s = t;
            continue;
        }
        s = ix_find_from(ix, t + 1, need);
        if (s != IX_NONE)
            x = ix_first(h, s);
    }
    blk_t *t = tail_block(h);
    if (t) {
        size_t g = fit_gap(t, bsize(t), need, align);
        if (g != SIZE_MAX) {
            *gap = g;
            return t;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------- */
/* Index upkeep shared by alloc, free and realloc                                     */
/* ---------------------------------------------------------------------------------- */

/* Indexed block o (os bytes) was replaced in the list by r (rs < os bytes, higher up
 * inside o's old span): the remainder of a carve. */
static ALWAYS_INLINE void ix_carved(struct heap *h, const blk_t *o, size_t os, blk_t *r, size_t rs)
{
    size_t s = ix_seg(h, A(o));
    if (LIKELY(ix_seg(h, A(r)) == s)) {
        if (ix_first(h, s) == o)
            ix_set_first(h, s, r);
        ix_shrunk(h, r, os); /* r is on the list with its new size */
        return;
    }
    ix_del(h, o, os, r);
    ix_add(h, r, rs);
}

/* Free block b (now bs bytes, not the tail) took the list place of indexed block n (ns
 * bytes) that it swallowed; b lies below n and nothing free lies between them. */
static __attribute__((noinline)) void ix_merged_down(struct heap *h, blk_t *b, size_t bs,
                                                     const blk_t *n, size_t ns)
{
    size_t s = ix_seg(h, A(b));
    if (LIKELY(ix_seg(h, A(n)) == s)) {
        if (ix_first(h, s) == n)
            ix_set_first(h, s, b);
        ix_raise(&h->index, s, bs);
        return;
    }
    ix_del(h, n, ns, b->next);
    ix_add(h, b, bs);
}

/* ---------------------------------------------------------------------------------- */
/* Init                                                                               */
/* ---------------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void write_sentinel(struct heap *h, bool prev_free)
{
    set_hdr(h, B(sentinel_addr(h)), prev_free ? F_PREV_FREE : 0);
}

err_t heap_init(struct heap *h, void *base, size_t size, heap_grow_fn grow, void *grow_ctx,
                size_t max_size, unsigned flags, const struct heap_index_mem *index)
{
    uintptr_t b = (uintptr_t)base;
    if (!h || !base || (b & 15) || (size & 15) || size < HEAP_MIN_SIZE || max_size < size ||
        (flags & ~(HEAP_F_DEBUG | HEAP_F_NO_INDEX | HEAP_F_GOOD_FIT)) ||
        (flags & HEAP_F_GOOD_FIT && flags & HEAP_F_NO_INDEX) || size > HEAP_MAX_SIZE ||
        b + size < b || (index && !index->mem))
        return E_INVAL;
    /* the secret also mixes in what the region held before: headers a previous heap left
     * there must not pass for this heap's */
    uint64_t old = ((const uint64_t *)base)[0] ^ (((const uint64_t *)base)[1] << 1);
    memset(h, 0, sizeof(*h));
    h->base = b;
    h->end = b + size;
    h->max_size = MIN(max_size, HEAP_MAX_SIZE);
    if (h->max_size > UINTPTR_MAX - b)
        h->max_size = (UINTPTR_MAX - b) & ~(size_t)4095;
    h->grow = grow;
    h->grow_ctx = grow_ctx;
    h->flags = flags;
    bool gf = flags & HEAP_F_GOOD_FIT;
    h->indexed = index && !(flags & (HEAP_F_NO_INDEX | HEAP_F_GOOD_FIT));
    /* the fast paths: no debug flag, and first fit with its index, or good fit */
    h->fast_lim = h->indexed && !(flags & HEAP_F_DEBUG) ? HEAP_MAX_REQUEST + 1 : 0;
    h->gf_fast_lim = gf && !(flags & HEAP_F_DEBUG) ? HEAP_MAX_REQUEST + 1 : 0;
    h->secret =
        mix64((uint64_t)(uintptr_t)h ^ ((uint64_t)b << 17) ^ 0x6d62686561700000ull ^ mix64(old)) &
        ~(uint64_t)15;
    h->list.next = h->list.prev = list_end(h);
    h->trim_gate = SIZE_MAX; /* giving back is off until heap_set_trim */
    h->fresh = UINTPTR_MAX;
    if (h->indexed) {
        err_t e = ix_init(h, index);
        if (e != E_OK)
            return e;
    }
    size_t fsz = size - HDR;
    if (flags & HEAP_F_DEBUG)
        poison(b, b + fsz);
    set_free(h, B(b), fsz);
    if (gf)
        gf_insert(h, B(b), fsz, "heap_init");
    else
        list_insert_before(h, list_end(h), B(b), "heap_init"); /* the tail: not indexed */
    write_sentinel(h, true);
    return E_OK;
}

bool heap_contains(const struct heap *h, const void *p)
{
    return (uintptr_t)p >= h->base && (uintptr_t)p < h->end;
}

/* ---------------------------------------------------------------------------------- */
/* Allocation                                                                         */
/* ---------------------------------------------------------------------------------- */

/*
 * Hands out `need` bytes (at offset gap) of free block b (bs bytes; `tail`: b is the
 * tail, which the index does not hold; gf: b is on good fit's list c), which the caller
 * checked to be large enough. Splits off the leading gap and the tail remainder.
 */
static void *take_trim(struct heap *h, blk_t *b, size_t bs, unsigned c, size_t need, size_t gap,
                       bool tail, const void *caller, size_t req, bool gf);

static ALWAYS_INLINE void *take(struct heap *h, blk_t *b, size_t bs, unsigned c, size_t need,
                                size_t gap, bool tail, const void *caller, size_t req, bool dbg,
                                bool gf, bool trim)
{
    uintptr_t a = A(b);
    size_t need0 = need, rem = bs - gap - need;
    if (rem < MIN_BLOCK) {
        need += rem;
        rem = 0;
    }
    uintptr_t u = a + gap, w_hi = u + need + (rem ? REL_WORDS : 0);
    /* released pages it hands out come back first, and the fresh zone's bookkeeping: both
     * in take_trim's copy (trim), so that the common carve makes no call it must come back
     * from (RESULTS.md: the cost of giving memory back). The fresh zone lies in the tail
     * block: first fit's carve of an indexed block (tail false) need not look at it; good
     * fit's fast path does not know whether b is the tail. */
    bool rel = trim && (b->sf & F_RELEASED);
    if (!trim) {
        if (UNLIKELY((b->sf & F_RELEASED) || ((tail || gf) && w_hi > h->fresh)))
            return take_trim(h, b, bs, c, need0, gap, tail, caller, req, gf);
    } else if (!trim_take(h, b, u, gap, w_hi)) {
        return NULL;
    }
    /* the bytes handed out, and those a remainder's header and links will cover, must
     * still be poison */
    if (dbg)
        heap_poison_verify_free(b, bs, a + gap + HDR, a + gap + need + (rem ? sizeof(blk_t) : 0),
                                "heap_alloc");
    bool ix = !gf && h->indexed && !tail;
    if (LIKELY(gap == 0)) {
        if (rem) {
            blk_t *r = B(u + need);
            if (gf)
                gf_replace(h, b, c, r, rem, "heap_alloc");
            else
                list_replace(h, b, r, "heap_alloc");
            set_free(h, r, rem);
            if (ix)
                ix_carved(h, b, bs, r, rem);
        } else {
            blk_t *nx = b->next;
            if (gf)
                gf_remove(h, b, c, "heap_alloc");
            else
                list_unlink(h, b, "heap_alloc");
            if (ix)
                ix_del(h, b, bs, nx);
            B(u + need)->sf &= ~(size_t)F_PREV_FREE;
        }
        set_hdr(h, B(u), need);
    } else {
        /* the leading gap stays a free block at a, in b's list place */
        set_free(h, b, gap);
        if (gf)
            gf_replace(h, b, c, b, gap, "heap_alloc");
        else if (h->indexed) {
            if (tail)
                ix_add(h, b, gap); /* no longer the tail: the allocation follows it */
            else
                ix_shrunk(h, b, bs);
        }
        if (rem) {
            blk_t *r = B(u + need);
            set_free(h, r, rem);
            if (gf)
                gf_insert(h, r, rem, "heap_alloc");
            else
                list_insert_before(h, b->next, r, "heap_alloc");
            if (ix)
                ix_add(h, r, rem);
        } else {
            B(u + need)->sf &= ~(size_t)F_PREV_FREE;
        }
        set_hdr(h, B(u), need | F_PREV_FREE);
    }
    if (rel)
        trim_taken(h, gap ? b : NULL, gap, rem ? B(u + need) : NULL, rem);
    size_t used = h->bytes_used + need;
    h->bytes_used = used;
    if (used > h->high_water)
        h->high_water = used;
    h->total_allocs++;
    if (dbg)
        debug_trailer(u, need, caller, req);
    return (void *)(u + HDR);
}

/* Size of the free block in front of the sentinel (0 if the last block is allocated), as
 * its footer says (extend() checks the block before it uses it). */
static inline size_t tail_free(const struct heap *h)
{
    uintptr_t s = sentinel_addr(h);
    return (B(s)->sf & F_PREV_FREE) ? *(const size_t *)(s - 8) : 0;
}

/*
 * Grows the heap by at least add_min bytes (rounded up to the growth granule, within
 * max_size) and merges the new memory with a free tail block. Returns false if the
 * callback is missing, refuses, or the cap is reached. Memory a refused index commit set
 * aside (grown_unused) is used first, whatever its size: then the heap may have grown by
 * less than add_min, and the caller, which looks again, calls it again.
 */
static bool extend(struct heap *h, size_t add_min)
{
    if (!h->grow || add_min == 0)
        return false;
    size_t cur = h->end - h->base;
    if (cur >= h->max_size || add_min > h->max_size - cur)
        return false;
    size_t room = h->max_size - cur;
    size_t add = (add_min + HEAP_GROW_GRANULE - 1) & ~(size_t)(HEAP_GROW_GRANULE - 1);
    if (add > room)
        add = room & ~(size_t)15;
    if (add < add_min)
        return false;
    size_t got = h->grown_unused;
    if (!got) {
        got = h->grow(h->grow_ctx, h->end, add);
        if (got > room) /* more than the cap allows: the excess is not used */
            got = room;
        got &= ~(size_t)15;
        if (!got)
            return false;
        h->grow_events++;
    }
    /* the index covers the new segments only once they exist (a refused growth must not
     * commit index memory); when it cannot, the new bytes are kept aside, and the next
     * growth takes them before the hook is asked again (asking it for the same end again
     * would find that memory there already) */
    if (h->indexed && !ix_cover(h, h->end + got)) {
        h->grown_unused = got;
        return false;
    }
    h->grown_unused = 0;
    uintptr_t s = sentinel_addr(h);
    bool dbg = h->flags & HEAP_F_DEBUG, gf = h->flags & HEAP_F_GOOD_FIT;
    blk_t *t = NULL;
    if (B(s)->sf & F_PREV_FREE) {
        size_t ts = *(size_t *)(s - 8);
        t = B(s - ts);
        if (UNLIKELY(ts > s - h->base || (ts & F_MASK) ||
                     (t->sf & ~(size_t)F_RELEASED) != (ts | F_FREE) || !canary_ok(h, t) ||
                     (gf ? !gf_links_ok(h, t, gf_class_of(ts)) : t != h->list.prev)))
            panic("heap_grow: corrupted free block before the end sentinel %p (footer %zu)",
                  (void *)s, ts);
    }
    uintptr_t old_end = h->end;
    size_t tsf = t ? t->sf : 0;
    h->end += got;
    if (dbg)
        poison(t ? s - 8 : s, sentinel_addr(h));
    if (t) {
        size_t ts = bsize(t);
        set_free(h, t, ts + got); /* the tail grows in place (it is last on the list) */
        if (gf)
            gf_relink(h, t, gf_class_of(ts), t, ts + got, "heap_grow"); /* checked above */
    } else {
        set_free(h, B(s), got);
        if (gf)
            gf_insert(h, B(s), got, "heap_grow");
        else
            list_insert_before(h, list_end(h), B(s), "heap_grow");
    }
    write_sentinel(h, true);
    trim_grown(h, old_end, t, tsf);
    return true;
}

static __attribute__((noinline)) void *take_slow(struct heap *h, blk_t *b, size_t need, size_t gap,
                                                 const void *caller, size_t req)
{
    size_t bs = bsize(b);
    bool tail = is_tail(h, b, bs), gf = h->flags & HEAP_F_GOOD_FIT;
    unsigned c = gf ? gf_class_of(bs) : 0;
    if (h->flags & HEAP_F_DEBUG)
        return take(h, b, bs, c, need, gap, tail, caller, req, true, gf, false);
    return take(h, b, bs, c, need, gap, tail, caller, req, false, gf, false);
}

/* take() for a block with released pages, or one that reaches the fresh zone. */
static __attribute__((noinline)) void *take_trim(struct heap *h, blk_t *b, size_t bs, unsigned c,
                                                 size_t need, size_t gap, bool tail,
                                                 const void *caller, size_t req, bool gf)
{
    if (h->flags & HEAP_F_DEBUG)
        return take(h, b, bs, c, need, gap, tail, caller, req, true, gf, true);
    return take(h, b, bs, c, need, gap, tail, caller, req, false, gf, true);
}

static __attribute__((noinline)) void *alloc_slow(struct heap *h, size_t size, size_t align,
                                                  const void *caller)
{
    if (!align_ok(align) || size > HEAP_MAX_REQUEST)
        return NULL;
    bool dbg = h->flags & HEAP_F_DEBUG;
    size_t need = need_of(size, dbg);
    size_t search = need + (align > HDR ? align + 32 : 0); /* with the worst-case gap */
    for (;;) {
        size_t gap = 0;
        blk_t *b = (h->flags & HEAP_F_GOOD_FIT) ? gf_fit(h, need, align, &gap, dbg)
                   : h->indexed                 ? index_fit(h, need, align, &gap, dbg)
                                                : walk_fit(h, need, align, &gap, dbg);
        if (b)
            return take_slow(h, checked_block(h, b), need, gap, caller, size);
        size_t t = tail_free(h);
        if (!extend(h, search > t ? search - t : HEAP_GROW_GRANULE))
            return NULL;
    }
}

/* The fast path's two carves (no gap, no debug mode), out of line: the search before
 * them then needs few registers, and each is reached by a tail call. */
static __attribute__((noinline)) void *take_indexed(struct heap *h, blk_t *b, size_t need)
{
    return take(h, b, bsize(b), 0, need, 0, false, NULL, 0, false, false, false);
}

static __attribute__((noinline)) void *take_tail(struct heap *h, blk_t *b, size_t need)
{
    return take(h, b, bsize(b), 0, need, 0, true, NULL, 0, false, false, false);
}

/* Good fit's fast path (align <= 16, no debug mode), out of line so that first fit's
 * stays as small as it is. */
static __attribute__((noinline)) void *alloc_gf(struct heap *h, size_t size, const void *caller)
{
    size_t need = need_of(size, false);
    unsigned c;
    blk_t *b = gf_fit_fast(h, need, &c);
    if (LIKELY(b != NULL))
        return take(h, checked_block(h, b), bsize(b), c, need, 0, false, NULL, 0, false, true,
                    false);
    return alloc_slow(h, size, 16, caller);
}

static ALWAYS_INLINE void *alloc_impl(struct heap *h, size_t size, size_t align, const void *caller)
{
    /* fast path: align <= 16, first fit, indexed, no debug flag and a size below fast_lim
     * (one compare: fast_lim is 0 otherwise); good fit's the same with gf_fast_lim */
    if (LIKELY(align - 1 < HDR && !(align & (align - 1)) && size < h->fast_lim)) {
        size_t need = need_of(size, false);
        size_t s = ix_find(&h->index, need);
        blk_t *b;
        if (LIKELY(s != IX_NONE)) {
            /* the segment holds a block this large: the first of them is the first fit */
            b = ix_first(h, s);
            while (bsize(b) < need)
                b = step(h, b, "heap_alloc");
            return take_indexed(h, checked_block(h, b), need);
        }
        b = h->list.prev; /* only the tail can still hold it */
        if (b != list_end(h) && bsize(b) >= need && is_tail(h, b, bsize(b)))
            return take_tail(h, checked_block(h, b), need);
    } else if (LIKELY(align - 1 < HDR && !(align & (align - 1)) && size < h->gf_fast_lim)) {
        return alloc_gf(h, size, caller);
    }
    return alloc_slow(h, size, align, caller);
}

void *heap_alloc(struct heap *h, size_t size, size_t align)
{
    return alloc_impl(h, size, align, __builtin_return_address(0));
}

void *heap_alloc_from(struct heap *h, size_t size, size_t align, const void *caller)
{
    return alloc_impl(h, size, align, caller);
}

void *heap_alloc_zeroed(struct heap *h, size_t size, size_t align, const void *caller)
{
    h->zlo = h->zhi = 0; /* the take below says what it knows to be zero */
    void *p = alloc_impl(h, size, align, caller);
    if (!p)
        return NULL;
    uintptr_t a = (uintptr_t)p, e = a + heap_usable_size(h, p);
    uintptr_t zl = MAX(h->zlo, a), zh = MIN(h->zhi, e);
    if (zh > zl) {
        memset(p, 0, zl - a);
        memset((void *)zh, 0, e - zh);
    } else {
        memset(p, 0, e - a);
    }
    return p;
}

/* ---------------------------------------------------------------------------------- */
/* Free                                                                               */
/* ---------------------------------------------------------------------------------- */

/* Validates a pointer handed back by the caller and returns its (allocated) block:
 * inside the heap, 16-aligned, a header whose canary matches, not free. */
static ALWAYS_INLINE blk_t *block_of(const struct heap *h, const void *p, const char *fn)
{
    uintptr_t a = (uintptr_t)p - HDR;
    /* a in [base, sentinel - 16) and 16-aligned, in one unsigned compare: rotating the
     * offset right by 4 moves misaligned low bits to the top */
    uintptr_t off = a - h->base;
    off = (off >> 4) | (off << 60);
    blk_t *b = B(a);
    if (UNLIKELY(off >= (h->end - h->base - 2 * HDR) >> 4 || b->canary != canary_of(h, a, b->sf) ||
                 (b->sf & F_FREE)))
        heap_bad_pointer(h, p, fn);
    return b;
}

/* The block after p's block (at a + size), checked before it is read or merged. */
static ALWAYS_INLINE blk_t *checked_next(const struct heap *h, uintptr_t a, size_t size,
                                         const void *p, const char *fn)
{
    blk_t *n = B(a + size);
    if (UNLIKELY(n->canary != canary_of(h, A(n), n->sf)))
        heap_bad_neighbour(h, n, p, fn);
    return n;
}

/* n's header now lies inside the free block whose header and links end at keep_to:
 * mark it ABSORBED (debug mode: poison it), so that it never passes for a free block's
 * header again, while a free of its pointer still says double free. */
static ALWAYS_INLINE void absorb(blk_t *n, uintptr_t keep_to, bool dbg)
{
    if (dbg) {
        poison(MAX(A(n), keep_to), A(n) + sizeof(blk_t));
    } else if (A(n) >= keep_to) {
        n->sf |= F_ABSORBED; /* the canary covers the bit: flip it there too */
        n->canary ^= F_ABSORBED;
    }
}

/* The predecessor a footer leads to is the free block it claims to be: exactly a free
 * header of that size, a valid canary, and list links that point back at it. */
static ALWAYS_INLINE blk_t *checked_prev(const struct heap *h, uintptr_t a, const void *p, bool gf,
                                         const char *fn)
{
    size_t ps = *(size_t *)(a - 8);
    blk_t *pb = B(a - ps);
    /* the range and granule tests keep a corrupted footer from sending us outside the
     * heap or to a misaligned header */
    if (UNLIKELY(ps > a - h->base || (ps & F_MASK) || ps < MIN_BLOCK ||
                 (pb->sf & ~(size_t)F_RELEASED) != (ps | F_FREE) || !canary_ok(h, pb)))
        panic("%s: corrupted free block before %p (footer %zu)", fn, p, ps);
    free_links_check(h, pb, ps, gf, fn);
    return pb;
}

/* Freeing block b (sf) whose successor n (nsf) and predecessor are allocated: into the
 * list in front of the next free block up. */
static ALWAYS_INLINE void free_alone(struct heap *h, blk_t *b, size_t size, blk_t *n, size_t nsf,
                                     bool dbg, bool gf, const char *fn)
{
    set_free(h, b, size);
    if (gf)
        gf_insert(h, b, size, fn);
    else
        list_insert_before(h, next_free_after(h, b, dbg, fn), b, fn);
    if (!gf && h->indexed && A(n) != sentinel_addr(h)) /* (before the sentinel: the new tail) */
        ix_add(h, b, size);
    n->sf = nsf | F_PREV_FREE;
    if (UNLIKELY(size >= h->trim_gate))
        trim_merged(h, b, size, NULL, 0, NULL, 0);
}

/* ... with a free successor n and an allocated predecessor: b takes n's list place. */
static ALWAYS_INLINE void free_into_next(struct heap *h, blk_t *b, size_t size, blk_t *n,
                                         size_t nsf, bool dbg, bool gf, const char *fn)
{
    size_t ns = nsf & ~(size_t)F_MASK, msize = size + ns;
    bool tail = is_tail(h, n, ns);
    if (gf)
        gf_replace(h, n, gf_class_of(ns), b, msize, fn);
    else
        list_replace(h, n, b, fn);
    set_free(h, b, msize);
    absorb(n, A(b) + sizeof(blk_t), dbg);
    if (!gf && h->indexed && !tail)
        ix_merged_down(h, b, msize, n, ns);
    if (UNLIKELY(msize >= h->trim_gate || (nsf & F_RELEASED)))
        trim_merged(h, b, msize, NULL, 0, n, nsf);
}

/* ... with a free predecessor (and maybe a free successor): the predecessor keeps its list
 * place and grows over b (and n). */
static ALWAYS_INLINE void free_into_prev(struct heap *h, blk_t *b, size_t sf, blk_t *n, size_t nsf,
                                         bool dbg, bool gf)
{
    uintptr_t a = A(b);
    bool ix = !gf && h->indexed;
    blk_t *pb = checked_prev(h, a, (void *)(a + HDR), gf, "heap_free");
    size_t ps = bsize(pb), msize = ps + (sf & ~(size_t)F_MASK), psf = pb->sf;
    if (nsf & F_FREE) {
        size_t ns = nsf & ~(size_t)F_MASK;
        bool tail = is_tail(h, n, ns);
        blk_t *nx = n->next;
        if (gf)
            gf_remove(h, n, gf_class_of(ns), "heap_free");
        else
            list_unlink(h, n, "heap_free");
        absorb(n, a, dbg);
        msize += ns;
        set_free(h, pb, msize);
        if (gf) /* checked_prev checked pb's links */
            gf_relink(h, pb, gf_class_of(ps), pb, msize, "heap_free");
        if (ix) {
            if (tail) {
                ix_del(h, pb, ps, nx); /* pb is the tail now */
            } else {
                ix_raise(&h->index, ix_seg(h, A(pb)), msize);
                ix_del(h, n, ns, nx);
            }
        }
    } else {
        n->sf = nsf | F_PREV_FREE;
        set_free(h, pb, msize);
        if (gf) /* checked_prev checked pb's links */
            gf_relink(h, pb, gf_class_of(ps), pb, msize, "heap_free");
        if (ix) {
            if (A(n) == sentinel_addr(h))
                ix_del(h, pb, ps, pb->next); /* pb is the tail now */
            else
                ix_raise(&h->index, ix_seg(h, A(pb)), msize);
        }
    }
    if (dbg) {
        /* the predecessor's old footer and b's header become poisoned payload */
        poison(a - 8, a + HDR);
    } else {
        b->sf = sf | F_FREE | F_ABSORBED; /* a second free is still a double free */
        b->canary ^= F_FREE | F_ABSORBED;
    }
    size_t mnsf = nsf & F_FREE ? nsf : 0; /* n merged too */
    if (UNLIKELY(msize >= h->trim_gate || ((psf | mnsf) & F_RELEASED)))
        trim_merged(h, pb, msize, pb, psf, mnsf ? n : NULL, mnsf);
}

/* The three cases of a release-mode free, out of line, one set per policy (GF: good fit):
 * heap_free itself then needs few registers, and reaches each by a tail call, with the
 * policy a constant inside. */
#define HEAP_FREE_CASES(sfx, GF)                                                                   \
    static __attribute__((noinline)) void free_alone_##sfx(struct heap *h, blk_t *b, size_t size,  \
                                                           blk_t *n, size_t nsf)                   \
    {                                                                                              \
        free_alone(h, b, size, n, nsf, false, GF, "heap_free");                                    \
    }                                                                                              \
    static __attribute__((noinline)) void free_into_next_##sfx(struct heap *h, blk_t *b,           \
                                                               size_t size, blk_t *n, size_t nsf)  \
    {                                                                                              \
        free_into_next(h, b, size, n, nsf, false, GF, "heap_free");                                \
    }                                                                                              \
    static __attribute__((noinline)) void free_into_prev_##sfx(struct heap *h, blk_t *b,           \
                                                               size_t sf, blk_t *n, size_t nsf)    \
    {                                                                                              \
        free_into_prev(h, b, sf, n, nsf, false, GF);                                               \
    }
HEAP_FREE_CASES(rel, false) /* first fit */
HEAP_FREE_CASES(gf, true)   /* good fit */
#undef HEAP_FREE_CASES

/* Debug mode: the checks on p, its neighbours and their links come before the poison, so
 * that a panic there leaves the heap as it was (for a post-mortem heap_check or mb-heap);
 * a broken block met later, while finding p's place in the list, panics after p's block
 * was written free. */
static __attribute__((noinline)) void free_debug(struct heap *h, void *p)
{
    bool gf = h->flags & HEAP_F_GOOD_FIT;
    blk_t *b = block_of(h, p, "heap_free");
    size_t sf = b->sf, size = sf & ~(size_t)F_MASK;
    blk_t *n = checked_next(h, A(b), size, p, "heap_free");
    size_t nsf = n->sf;
    heap_verify_trailer(h, b, "heap_free");
    if (nsf & F_FREE)
        free_links_check(h, n, nsf & ~(size_t)F_MASK, gf, "heap_free");
    if (sf & F_PREV_FREE)
        checked_prev(h, A(b), p, gf, "heap_free");
    poison(A(b) + HDR, A(b) + size);
    h->bytes_used -= size;
    h->total_frees++;
    if (sf & F_PREV_FREE)
        free_into_prev(h, b, sf, n, nsf, true, gf);
    else if (nsf & F_FREE)
        free_into_next(h, b, size, n, nsf, true, gf, "heap_free");
    else
        free_alone(h, b, size, n, nsf, true, gf, "heap_free");
}

/* A release-mode free under policy gf: the pointer's checks, then one of the three cases,
 * each reached by a tail call (first fit's in heap_free itself, good fit's in free_gf). */
static ALWAYS_INLINE void free_release(struct heap *h, void *p, bool gf)
{
    blk_t *b = block_of(h, p, "heap_free");
    size_t sf = b->sf, size = sf & ~(size_t)F_MASK;
    blk_t *n = checked_next(h, A(b), size, p, "heap_free");
    size_t nsf = n->sf;
    h->bytes_used -= size;
    h->total_frees++;
    if (UNLIKELY(sf & F_PREV_FREE))
        (gf ? free_into_prev_gf : free_into_prev_rel)(h, b, sf, n, nsf);
    else if (nsf & F_FREE)
        (gf ? free_into_next_gf : free_into_next_rel)(h, b, size, n, nsf);
    else
        (gf ? free_alone_gf : free_alone_rel)(h, b, size, n, nsf);
}

static __attribute__((noinline)) void free_gf(struct heap *h, void *p)
{
    free_release(h, p, true);
}

/* Puts the free range [a, a + size) back (a's predecessor is allocated, its successor
 * n is at a + size): what a shrinking realloc gives back, with a free as its model. */
static void release_range(struct heap *h, uintptr_t a, size_t size, blk_t *n, bool dbg, bool gf)
{
    if (n->sf & F_FREE)
        free_into_next(h, B(a), size, n, n->sf, dbg, gf, "heap_realloc");
    else
        free_alone(h, B(a), size, n, n->sf, dbg, gf, "heap_realloc");
}

void heap_free(struct heap *h, void *p)
{
    if (!p)
        return;
    /* (one test for both: first fit in release mode is the common case) */
    if (UNLIKELY(h->flags & (HEAP_F_DEBUG | HEAP_F_GOOD_FIT))) {
        if (h->flags & HEAP_F_DEBUG)
            free_debug(h, p);
        else
            free_gf(h, p);
        return;
    }
    free_release(h, p, false);
}

void heap_layout_check(const struct heap *h, const void *p, size_t size, size_t align,
                       const char *fn)
{
    const blk_t *b = block_of(h, p, fn);
    size_t usable = payload_room(h, bsize(b));
    if (UNLIKELY(size > usable || !is_pow2(align) || ((uintptr_t)p & (align - 1))))
        panic("%s: layout { size: %zu, align: %zu } does not match the block at %p "
              "(%zu usable bytes)",
              fn, size, align, p, usable);
}

void heap_dealloc(struct heap *h, void *p, size_t size, size_t align)
{
    if (!p)
        return;
    heap_layout_check(h, p, size, align, "heap_dealloc");
    heap_free(h, p);
}

/* ---------------------------------------------------------------------------------- */
/* Realloc                                                                            */
/* ---------------------------------------------------------------------------------- */

/* Copies n bytes (a multiple of 16) between 16-aligned, non-overlapping payloads; an
 * unrolled loop rather than memcpy (tests/bench/RESULTS.md: T5). */
static void copy_payload(void *dst, const void *src, size_t n)
{
    uint64_t *d = dst;
    const uint64_t *s = src;
    size_t w = n / 8, i = 0;
    for (; i + 16 <= w; i += 16) { /* 128 bytes a turn: half the loop overhead of 64 */
        uint64_t t0 = s[i], t1 = s[i + 1], t2 = s[i + 2], t3 = s[i + 3];
        uint64_t t4 = s[i + 4], t5 = s[i + 5], t6 = s[i + 6], t7 = s[i + 7];
        __asm__("" : "+r"(t0), "+r"(t1), "+r"(t2), "+r"(t3)); /* a loop, not memcpy */
        d[i] = t0, d[i + 1] = t1, d[i + 2] = t2, d[i + 3] = t3;
        d[i + 4] = t4, d[i + 5] = t5, d[i + 6] = t6, d[i + 7] = t7;
        t0 = s[i + 8], t1 = s[i + 9], t2 = s[i + 10], t3 = s[i + 11];
        t4 = s[i + 12], t5 = s[i + 13], t6 = s[i + 14], t7 = s[i + 15];
        __asm__("" : "+r"(t0), "+r"(t1), "+r"(t2), "+r"(t3));
        d[i + 8] = t0, d[i + 9] = t1, d[i + 10] = t2, d[i + 11] = t3;
        d[i + 12] = t4, d[i + 13] = t5, d[i + 14] = t6, d[i + 15] = t7;
    }
    for (; i < w; i++)
        d[i] = s[i];
}

void *heap_realloc(struct heap *h, void *p, size_t new_size, size_t align)
{
    if (!p)
        return alloc_impl(h, new_size, align, __builtin_return_address(0));
    blk_t *b = block_of(h, p, "heap_realloc"); /* a foreign pointer is misuse, whatever else */
    if (!align_ok(align) || new_size > HEAP_MAX_REQUEST)
        return NULL;
    uintptr_t a = A(b);
    size_t sf = b->sf, size = sf & ~(size_t)F_MASK;
    bool dbg = h->flags & HEAP_F_DEBUG, gf = h->flags & HEAP_F_GOOD_FIT;
    size_t need = need_of(new_size, dbg);
    const void *caller = NULL;
    if (dbg) {
        heap_verify_trailer(h, b, "heap_realloc");
        caller = *(const void *const *)(a + size - DEBUG_TRAILER);
    }

    if (LIKELY(!((uintptr_t)p & (align - 1)))) {
        blk_t *n = checked_next(h, a, size, p, "heap_realloc");
        size_t nsf = n->sf;
        if (need <= size) {
            /* shrink: give the tail back when it can form or join a free block */
            size_t rem = size - need;
            if (rem >= MIN_BLOCK || (rem && (nsf & F_FREE))) {
                if (nsf & F_FREE) /* before anything changes */
                    free_links_check(h, n, nsf & ~(size_t)F_MASK, gf, "heap_realloc");
                if (dbg)
                    poison(a + need, a + size);
                set_hdr(h, b, need | (sf & F_PREV_FREE));
                release_range(h, a + need, rem, n, dbg, gf);
                h->bytes_used -= rem;
                size = need;
            }
            if (dbg)
                debug_trailer(a, size, caller, new_size);
            return p;
        }
        size_t ns = (nsf & F_FREE) ? nsf & ~(size_t)F_MASK : 0;
        /* last block (maybe followed by a free tail): grow the heap under it, until it is
         * enough or growth fails (extend may add less than asked, see there); the grown
         * tail stays the block's successor */
        if (size + ns < need && A(n) + ns == sentinel_addr(h)) {
            do {
                if (!extend(h, need - size - ns))
                    break;
                n = B(a + size);
                nsf = n->sf;
                ns = nsf & ~(size_t)F_MASK;
            } while (size + ns < need);
        }
        if (size + ns >= need) {
            /* grow in place into the free successor */
            size_t total = size + ns, rem = total - need;
            bool ix = !gf && h->indexed && !is_tail(h, n, ns);
            uintptr_t w_hi = rem >= MIN_BLOCK ? a + need + REL_WORDS : a + total;
            if (UNLIKELY((nsf & F_RELEASED) || w_hi > h->fresh) && !trim_take(h, n, A(n), 0, w_hi))
                return NULL;
            if (dbg)
                heap_poison_verify_free(
                    n, ns, A(n), a + need + (rem >= MIN_BLOCK ? sizeof(blk_t) : 0), "heap_realloc");
            /* n's header now lies inside b, where an overflow's forged footer could
             * lead free() to it: absorb() it (after its links were read) so that it
             * never passes for a free block's header again */
            if (rem >= MIN_BLOCK) {
                /* r may start 16 bytes into n: list_replace reads n's links first */
                blk_t *r = B(a + need);
                if (gf)
                    gf_replace(h, n, gf_class_of(ns), r, rem, "heap_realloc");
                else
                    list_replace(h, n, r, "heap_realloc");
                absorb(n, A(n), dbg);
                set_free(h, r, rem);
                if (ix)
                    ix_carved(h, n, ns, r, rem);
            } else {
                need = total;
                blk_t *nx = n->next;
                if (gf)
                    gf_remove(h, n, gf_class_of(ns), "heap_realloc");
                else
                    list_unlink(h, n, "heap_realloc");
                absorb(n, A(n), dbg);
                if (ix)
                    ix_del(h, n, ns, nx);
                B(a + total)->sf &= ~(size_t)F_PREV_FREE;
            }
            if (UNLIKELY(nsf & F_RELEASED))
                trim_taken(h, NULL, 0, rem >= MIN_BLOCK ? B(a + need) : NULL, rem);
            set_hdr(h, b, need | (sf & F_PREV_FREE));
            size_t used = h->bytes_used + (need - size);
            h->bytes_used = used;
            if (used > h->high_water)
                h->high_water = used;
            if (dbg)
                debug_trailer(a, need, caller, new_size);
            return p;
        }
    }
    /* move */
    void *q = alloc_impl(h, new_size, align, caller);
    if (!q)
        return NULL;
    size_t old = payload_room(h, size);
    size_t keep = old < new_size ? old : ((new_size + 15) & ~(size_t)15);
    keep = MIN(keep, payload_room(h, bsize(B((uintptr_t)q - HDR))));
    copy_payload(q, p, keep);
    if (dbg) /* the copy's last granule may reach past new_size: poison it again */
        debug_trailer((uintptr_t)q - HDR, bsize(B((uintptr_t)q - HDR)), caller, new_size);
    heap_free(h, p);
    return q;
}

size_t heap_usable_size(const struct heap *h, const void *p)
{
    const blk_t *b = block_of(h, p, "heap_usable_size");
    if (h->flags & HEAP_F_DEBUG) /* the bytes past the request are checked poison */
        return ((const size_t *)(A(b) + bsize(b) - DEBUG_TRAILER))[1];
    return payload_room(h, bsize(b));
}
