/*
 * mm/heap.c - the heap core: segregated first-fit free lists with boundary tags.
 *
 * Owns everything inside a struct heap's region; knows nothing about locks, paging or
 * the kernel (growth is a callback). Includes lib/ headers only: the same file builds
 * into the kernel, the host tests, the fuzz target and the benchmarks.
 *
 * Theory of operation
 *
 * Block layout. The region [base, end) is tiled by blocks whose sizes are multiples of
 * 16, followed by a 16-byte end sentinel (a permanently allocated block of size 0). Every
 * block starts with a 16-byte header { size_flags, canary }; the payload follows, so
 * payloads are 16-byte aligned. size_flags is the block size (header included) with
 * FREE (bit 0) and PREV_FREE (bit 1: the block before this one is free). The canary is
 * secret ^ address ^ (size|FREE), with a per-heap secret: a header that was
 * overwritten, or a pointer that is not a block start, does not match (interior
 * pointers are told apart from corrupted headers by walking the tiling on the error
 * path only). A free block also holds its list links after the header and a copy of
 * its size in its last word (the footer), which is what the next block finds through
 * its PREV_FREE bit: merging with either neighbour is O(1). Allocated blocks carry no
 * footer; the minimum block is 48 bytes (header, two links, footer). In HEAP_F_DEBUG
 * mode every allocated block also ends with a 16-byte trailer { caller, size }.
 *
 * Free lists. Free blocks are indexed by size class: 64 exact classes of 16 bytes below
 * 1 KiB (size / 16), then 32 classes per power of two (TLSF-like: log2 and the next
 * five bits). Each class is a doubly linked list; a two-level bitmap records which
 * lists are non-empty. List order: the exact classes are LIFO (newest first; every
 * block in them fits, so order only affects locality); the classes from 1 KiB up are
 * kept in address order, lowest first, by an insertion walk bounded to SORTED_WALK
 * steps (past that the block goes where the walk stopped, so a very long list is only
 * roughly ordered). Address order makes first fit there prefer low addresses, which
 * measurably cuts fragmentation. Allocation computes the smallest class
 * whose every block is guaranteed to hold the request (for a 16-byte aligned request of
 * block size n: n's exact class below 1 KiB, the next class boundary above; an aligned
 * request adds align + 32 bytes of worst-case padding), finds the first non-empty list
 * at or above it with two find-first-set operations, and takes that list's first
 * block. A request above 1 KiB first looks for a first fit in its own class (the class
 * below the guaranteed one; at most OWN_SCAN_BUDGET blocks): those blocks are the
 * closest fits, and using them keeps the larger free blocks whole (T3: frag 0.247 ->
 * 0.234, and 0.252 -> 0.236 averaged over a dozen growth rules). Only when no such list exists does
 * it fall back to a first-fit scan, in list order, of the classes between the request's own class
 * and the guaranteed one, then to growing the heap. So: first fit within each list, good fit across
 * lists. Aligned requests (align > 16) first try the classes below the guaranteed one, largest
 * first, examining at most ALIGNED_SCAN_BUDGET blocks: a block smaller than need + align often
 * holds the aligned request, and using it keeps aligned blocks from carving up large
 * free blocks (this halves T3's fragmentation).
 *
 * Splitting. The allocated block is carved from the low end of the chosen free block
 * (keeps the heap compact at low addresses); the high-end remainder goes back to the
 * free lists if it is at least the minimum block, otherwise it stays in the allocated
 * block. When the remainder stays in the same class it takes the old block's place in
 * its list (no bitmap work). Alignment: the payload goes to the first aligned address
 * whose leading gap is 0 or at least the minimum block; that gap becomes a free block
 * of its own (never leaked, and it still tiles the heap).
 *
 * Merging. heap_free merges with the following block (its header tells if it is free)
 * and the preceding one (PREV_FREE + footer), so two free blocks are never adjacent and
 * freeing everything leaves one free block. The freed header is rewritten as a free
 * header even when it gets absorbed into its predecessor, so a second free of the same
 * pointer is recognised as a double free (the canary covers the FREE bit, so that is
 * one OR and one XOR). The release build's free is one inlined path split by which
 * neighbours are free; debug mode runs the same code out of line.
 *
 * realloc shrinks in place (the tail becomes free, merged with a free successor), grows
 * in place into a free successor, and, when the block is the last one, grows the heap
 * under it; otherwise it allocates, copies and frees.
 *
 * Growth. When nothing fits, grow(ctx, end, n) is asked for n >= what is missing
 * (rounded up to HEAP_GROW_GRANULE, capped by max_size) at the current end; the new
 * bytes, the old sentinel and a free tail block merge into one free block and a new
 * sentinel is written at the new end.
 *
 * Debug mode (HEAP_F_DEBUG): freed payloads, and the headers and links that merging
 * absorbs, are filled with HEAP_POISON and checked when handed out again (and by
 * heap_check); a free of a pointer whose header is poison is reported as a double free.
 * Allocations record their caller and requested size.
 */
#include "mm/heap.h"

#include <stddef.h>
#include <stdint.h>

#include "lib/kprintf.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "lib/types.h"

/*
 * Build-time knobs for measurement only; the kernel and all tests use the defaults.
 * HEAP_HARDENED 0 drops the canary checks of headers (the double-free check stays: it
 * is a flag test the free path needs anyway). HEAP_OWN_COPY 0 copies with memcpy().
 */
#ifndef HEAP_HARDENED
#define HEAP_HARDENED 1
#endif
#ifndef HEAP_OWN_COPY
#define HEAP_OWN_COPY 1
#endif

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
    F_MASK = 15,        /* size_flags: the flag bits (the size is a multiple of 16) */
    HEAP_POISON = 0xdd, /* debug mode: byte pattern of freed memory */
    SMALL_LIMIT = 1024, /* exact 16-byte classes below this block size */
    DEBUG_TRAILER = 16, /* debug mode: { caller, requested size } at an allocated block's end */
    SL_BITS = HEAP_SL_BITS,
    FLAG_DEBUG = HEAP_F_DEBUG, /* struct heap's flags: debug mode */
};
#define POISON64 0xddddddddddddddddull
#ifndef SORTED_FROM
#define SORTED_FROM 64u /* classes from here on (>= 1 KiB) are address-ordered */
#endif
#ifndef SORTED_WALK
#define SORTED_WALK 10u /* longest insertion walk into an address-ordered list */
#endif
#ifndef OWN_SCAN_BUDGET
#define OWN_SCAN_BUDGET 16u /* blocks a large request examines in its own class */
#endif
#ifndef ALIGNED_SCAN_BUDGET
#define ALIGNED_SCAN_BUDGET 128u
#endif /* blocks an aligned request examines below its class */

#define ALWAYS_INLINE inline __attribute__((always_inline))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* A block header; next/prev (list links) are meaningful only while the block is free. */
struct heap_free_block {
    size_t sf;       /* size | FREE | PREV_FREE */
    uint64_t canary; /* secret ^ address ^ (sf & ~PREV_FREE) */
    struct heap_free_block *next, *prev;
};

typedef struct heap_free_block blk_t;

STATIC_ASSERT(sizeof(blk_t) == 32, "free block header is 32 bytes");
STATIC_ASSERT(MIN_BLOCK >= sizeof(blk_t) + sizeof(size_t), "min block holds links and footer");

/* ---------------------------------------------------------------------------------- */
/* Small helpers                                                                      */
/* ---------------------------------------------------------------------------------- */

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
    return b->sf & ~F_MASK;
}

static inline uint64_t canary_of(const struct heap *h, uintptr_t a, size_t sf)
{
    return h->secret ^ a ^ (uint64_t)(sf & ~F_PREV_FREE);
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

/* Writes a free block's header and footer (its predecessor is never free). */
static inline void set_free(const struct heap *h, blk_t *b, size_t size)
{
    set_hdr(h, b, size | F_FREE);
    *footer(A(b), size) = size;
}

static inline unsigned ilog2(size_t x)
{
    return 63u - (unsigned)__builtin_clzll(x);
}

/* The class holding blocks of size s (>= 16, < 2^HEAP_FL_MAX; any s, not only multiples
 * of 16): s / 16 below 1 KiB; above, with fl = log2(s), s >> (fl - 5) is 32 + the five
 * bits below the leading one, and (fl - 9) * 32 is where fl's classes start minus 32. */
static inline unsigned class_of(size_t s)
{
    if (s < SMALL_LIMIT)
        return (unsigned)(s >> 4);
    unsigned fl = ilog2(s);
    return (unsigned)(s >> (fl - HEAP_SL_BITS)) + ((fl - 9u) << HEAP_SL_BITS);
}

/* The smallest class whose every block is >= s (s a multiple of 16): s's own class if s
 * starts it, else the next one, which is class_of(s - 1) + 1 in both cases. */
static inline unsigned class_fit(size_t s)
{
    if (s <= SMALL_LIMIT)
        return (unsigned)(s >> 4);
    return class_of(s - 1u) + 1u;
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

static inline size_t payload_room(const struct heap *h, size_t size)
{
    return size - HDR - ((h->flags & HEAP_F_DEBUG) ? DEBUG_TRAILER : 0);
}

/* ---------------------------------------------------------------------------------- */
/* Free lists and bitmap                                                              */
/* ---------------------------------------------------------------------------------- */

static inline void map_set(struct heap *h, unsigned c)
{
    h->class_map[c >> 6] |= 1ull << (c & 63);
    h->top_map |= 1ull << (c >> 6);
}

static inline void map_clear(struct heap *h, unsigned c)
{
    uint64_t w = h->class_map[c >> 6] & ~(1ull << (c & 63));
    h->class_map[c >> 6] = w;
    if (!w)
        h->top_map &= ~(1ull << (c >> 6));
}

static inline void list_insert(struct heap *h, blk_t *b, unsigned c)
{
    blk_t *head = h->lists[c];
    if (c >= SORTED_FROM && head && A(head) < A(b)) {
        /* large classes keep address order: first fit there means lowest address */
        blk_t *e = head, *nx;
        unsigned k = SORTED_WALK;
        /* (uintptr_t)nx - 1 < A(b) - 1: nx is not NULL and below b, in one compare */
        while ((nx = e->next, A(nx) - 1 < A(b) - 1) && --k)
            e = nx;
        b->next = e->next;
        b->prev = e;
        if (e->next)
            e->next->prev = b;
        e->next = b;
        h->free_blocks++;
        return;
    }
    b->next = head;
    b->prev = NULL;
    if (head)
        head->prev = b;
    else
        map_set(h, c);
    h->lists[c] = b;
    h->free_blocks++;
}

static inline void list_remove(struct heap *h, blk_t *b, unsigned c)
{
    blk_t *n = b->next, *p = b->prev;
    if (p) {
        p->next = n;
    } else {
        h->lists[c] = n;
        if (!n)
            map_clear(h, c);
    }
    if (n)
        n->prev = p;
    h->free_blocks--;
}

/* Free block `o` (class oc) is replaced by free block `n` (class nc): same list slot
 * when the class is unchanged (o and n may be the same block). n's header is set.
 * Taking o's slot keeps an address-ordered list ordered: n always lies inside the span
 * that o covered or o's span plus an adjacent allocated range, which no other free
 * block overlaps. */
static inline void list_relink(struct heap *h, blk_t *o, unsigned oc, blk_t *n, unsigned nc)
{
    if (oc == nc) {
        if (o != n) {
            blk_t *nx = o->next, *pv = o->prev;
            n->next = nx;
            n->prev = pv;
            if (pv)
                pv->next = n;
            else
                h->lists[oc] = n;
            if (nx)
                nx->prev = n;
        }
        return;
    }
    list_remove(h, o, oc);
    list_insert(h, n, nc);
}

/* First non-empty class >= c, or -1. */
static inline int find_class(const struct heap *h, unsigned c)
{
    unsigned w = c >> 6;
    uint64_t m = h->class_map[w] & (~0ull << (c & 63));
    if (!m) {
        uint64_t t = h->top_map & (~1ull << w);
        if (!t)
            return -1;
        w = (unsigned)__builtin_ctzll(t);
        m = h->class_map[w];
    }
    return (int)((w << 6) + (unsigned)__builtin_ctzll(m));
}

/* ---------------------------------------------------------------------------------- */
/* Debug poisoning                                                                    */
/* ---------------------------------------------------------------------------------- */

static void poison(uintptr_t from, uintptr_t to)
{
    if (to > from)
        memset((void *)from, HEAP_POISON, to - from);
}

/* Bytes [from, to) of free block fb (size fbsize) are about to be handed out: they must
 * still hold poison, except fb's own header, links and footer. */
static void poison_verify(uintptr_t fb, size_t fbsize, uintptr_t from, uintptr_t to, const char *fn)
{
    uintptr_t lo = MAX(from, fb + sizeof(blk_t)), hi = MIN(to, fb + fbsize - 8);
    for (uintptr_t x = lo; x < hi; x += 8) {
        uint64_t w = *(const uint64_t *)x;
        if (w == POISON64)
            continue;
        size_t k = 0;
        while (((const unsigned char *)x)[k] == HEAP_POISON)
            k++;
        panic("%s: use after free detected in block %p (offset %zu)", fn, (void *)(fb + HDR),
              (size_t)(x + k - (fb + HDR)));
    }
}

static inline void debug_trailer(uintptr_t a, size_t size, const void *caller, size_t req)
{
    uintptr_t *t = (uintptr_t *)(a + size - DEBUG_TRAILER);
    t[0] = (uintptr_t)caller;
    t[1] = req;
}

/* x could be a block of h: inside [base, sentinel) and 16-aligned. */
static inline bool link_ok(const struct heap *h, const blk_t *x)
{
    return A(x) >= h->base && A(x) < h->end - HDR && !(A(x) & 15);
}

/* Free block b (class c) is about to be unlinked or reused: its links, the first 16
 * bytes of the freed payload (the one part poisoning cannot cover), must still be a
 * consistent list entry, or unlinking it would write through whatever a use after free
 * left there. Debug mode only. */
static void links_verify(const struct heap *h, const blk_t *b, unsigned c, const char *fn)
{
    const blk_t *n = b->next, *p = b->prev;
    bool ok = p ? link_ok(h, p) && p->next == b : h->lists[c] == b;
    if (!ok || (n && (!link_ok(h, n) || n->prev != b)))
        panic("%s: use after free detected in block %p (free-list links overwritten: next %p, "
              "prev %p)",
              fn, (void *)(A(b) + HDR), (const void *)n, (const void *)p);
}

/* ---------------------------------------------------------------------------------- */
/* Diagnostics for bad pointers and corrupted headers (error paths only)              */
/* ---------------------------------------------------------------------------------- */

static inline uintptr_t sentinel_addr(const struct heap *h)
{
    return h->end - HDR;
}

/* p failed the canary test: find out (by walking the tiling) whether p is an interior
 * pointer or the start of a block whose header was overwritten, and panic. */
/* What handing back an already freed block p is: a double free for the functions that
 * free, a use after free for the others (realloc, usable_size). */
static const char *freed_block_misuse(const char *fn)
{
    return !strcmp(fn, "heap_free") || !strcmp(fn, "heap_dealloc") ? "double free of"
                                                                   : "use after free of";
}

static noreturn void bad_block(const struct heap *h, const void *p, const char *fn)
{
    uintptr_t target = (uintptr_t)p - HDR, x = h->base, s = sentinel_addr(h);
    if ((h->flags & HEAP_F_DEBUG) && B(target)->sf == POISON64 && B(target)->canary == POISON64)
        panic("%s: %s %p (its header lies in poisoned free memory)", fn, freed_block_misuse(fn), p);
    while (x < s) {
        const blk_t *b = B(x);
        size_t size = bsize(b);
        if (!canary_ok(h, b) || size < MIN_BLOCK || size > s - x) {
            if (x == target)
                panic("%s: corrupted block header at %p (canary overwritten: size_flags %#zx, "
                      "canary %#llx)",
                      fn, p, b->sf, (unsigned long long)b->canary);
            panic("%s: heap corrupted: block header at %p overwritten (size_flags %#zx), "
                  "reached while checking %p",
                  fn, (void *)x, b->sf, p);
        }
        if (target < x + size)
            break;
        x += size;
    }
    panic("%s: invalid pointer %p (not a block start)", fn, p);
}

/* p failed block_of's quick test: say why (cold path; every message as before). */
static noreturn __attribute__((noinline, cold)) void bad_pointer(const struct heap *h,
                                                                 const void *p, const char *fn)
{
    uintptr_t a = (uintptr_t)p - HDR;
    if ((uintptr_t)p < h->base + HDR || (uintptr_t)p >= sentinel_addr(h))
        panic("%s: invalid pointer %p (outside the heap [%p, %p))", fn, p, (void *)h->base,
              (void *)h->end);
    if (a & 15)
        panic("%s: invalid pointer %p (not a block start)", fn, p);
    const blk_t *b = B(a);
    if (!canary_ok(h, b))
        bad_block(h, p, fn);
    panic("%s: %s %p (size %zu)", fn, freed_block_misuse(fn), p, bsize(b) - HDR);
}

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
        bad_pointer(h, p, fn);
    return b;
}

static noreturn void bad_neighbour(const struct heap *h, const blk_t *nb, const void *p,
                                   const char *fn)
{
    (void)h;
    panic("%s: corrupted block header at %p (canary overwritten: size_flags %#zx), next to "
          "block %p",
          fn, (const void *)(A(nb) + HDR), nb->sf, p);
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
                size_t max_size, unsigned flags)
{
    uintptr_t b = (uintptr_t)base;
    if (!h || !base || (b & 15) || (size & 15) || size < HEAP_MIN_SIZE || max_size < size ||
        (flags & ~HEAP_F_DEBUG) || size >= ((size_t)1 << HEAP_FL_MAX) || b + size < b)
        return E_INVAL;
    /* the secret also mixes in what the region held before: headers a previous heap left
     * there must not pass for this heap's */
    uint64_t old = ((const uint64_t *)base)[0] ^ (((const uint64_t *)base)[1] << 1);
    memset(h, 0, sizeof(*h));
    h->base = b;
    h->end = b + size;
    h->max_size =
        max_size >= ((size_t)1 << HEAP_FL_MAX) ? ((size_t)1 << HEAP_FL_MAX) - 4096 : max_size;
    if (h->max_size > UINTPTR_MAX - b)
        h->max_size = (UINTPTR_MAX - b) & ~(size_t)4095;
    h->grow = grow;
    h->grow_ctx = grow_ctx;
    h->flags = flags;
    h->fast_lim = flags ? 0 : HEAP_MAX_REQUEST + 1;
    h->secret =
        mix64((uint64_t)(uintptr_t)h ^ ((uint64_t)b << 17) ^ 0x6d62686561700000ull ^ mix64(old)) &
        ~(uint64_t)15;
    size_t fsz = size - HDR;
    if (flags & HEAP_F_DEBUG)
        poison(b, b + fsz);
    set_free(h, B(b), fsz);
    list_insert(h, B(b), class_of(fsz));
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

/* Leading gap in front of an aligned payload placed in free block at a: 0 or >= MIN. */
static inline size_t align_gap(uintptr_t a, size_t align)
{
    uintptr_t pl = (a + HDR + align - 1) & ~(uintptr_t)(align - 1);
    size_t gap = pl - HDR - a;
    if (gap && gap < MIN_BLOCK)
        gap += align;
    return gap;
}

/*
 * Hands out `need` bytes (at offset gap) of free block b (class c, size bs), which the
 * caller checked to be large enough. Splits off the leading gap and the tail remainder.
 */
static ALWAYS_INLINE void *take(struct heap *h, blk_t *b, unsigned c, size_t bs, size_t need,
                                size_t gap, const void *caller, size_t req, bool dbg)
{
    uintptr_t a = A(b);
    size_t rem = bs - gap - need;
    if (rem < MIN_BLOCK) {
        need += rem;
        rem = 0;
    }
    if (dbg) {
        links_verify(h, b, c, "heap_alloc");
        poison_verify(a, bs, a + gap + HDR, a + gap + need, "heap_alloc");
    }
    uintptr_t u = a + gap;
    if (LIKELY(gap == 0)) {
        if (rem) {
            blk_t *r = B(u + need);
            set_free(h, r, rem);
            list_relink(h, b, c, r, class_of(rem));
        } else {
            list_remove(h, b, c);
            B(u + need)->sf &= ~F_PREV_FREE;
        }
        set_hdr(h, B(u), need);
    } else {
        /* the leading gap stays a free block at a */
        unsigned gc = class_of(gap);
        set_free(h, b, gap);
        if (gc != c) {
            list_remove(h, b, c);
            list_insert(h, b, gc);
        }
        if (rem) {
            blk_t *r = B(u + need);
            set_free(h, r, rem);
            list_insert(h, r, class_of(rem));
        } else {
            B(u + need)->sf &= ~F_PREV_FREE;
        }
        set_hdr(h, B(u), need | F_PREV_FREE);
    }
    size_t used = h->bytes_used + need;
    h->bytes_used = used;
    if (used > h->high_water)
        h->high_water = used;
    h->total_allocs++;
    if (dbg)
        debug_trailer(u, need, caller, req);
    return (void *)(u + HDR);
}

static inline blk_t *checked_block(const struct heap *h, blk_t *b)
{
    if (HEAP_HARDENED && UNLIKELY(!canary_ok(h, b) || !(b->sf & F_FREE)))
        panic("heap_alloc: corrupted free block header at %p (size_flags %#zx, canary %#llx)",
              (void *)b, b->sf, (unsigned long long)b->canary);
    return b;
}

static inline blk_t *checked_head(const struct heap *h, unsigned c)
{
    return checked_block(h, h->lists[c]);
}

/* Debug mode: every block a list walk visits must be a free block with intact links,
 * checked before the walk follows its next link (a use after free that overwrote them
 * would otherwise send the walk anywhere). */
static __attribute__((noinline, cold)) void walk_verify(const struct heap *h, blk_t *b, unsigned c)
{
    checked_block(h, b);
    links_verify(h, b, c, "heap_alloc");
}

/* Size of the free block in front of the sentinel (0 if the last block is allocated). */
static inline size_t tail_free(const struct heap *h)
{
    uintptr_t s = sentinel_addr(h);
    return (B(s)->sf & F_PREV_FREE) ? *(size_t *)(s - 8) : 0;
}

/*
 * Grows the heap by at least add_min bytes (rounded up to the growth granule, within
 * max_size) and merges the new memory with a free tail block. Returns false if the
 * callback is missing, refuses, or the cap is reached.
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
    size_t got = h->grow(h->grow_ctx, h->end, add);
    if (got > room) /* more than the cap allows: the excess is not used */
        got = room;
    got &= ~(size_t)15;
    if (!got)
        return false;
    if (got > ((size_t)1 << HEAP_FL_MAX) - 4096 - cur)
        panic("heap_grow: callback returned %zu bytes, beyond what the index covers", got);
    h->grow_events++;
    uintptr_t s = sentinel_addr(h);
    uintptr_t fb = s;
    size_t fsz = got;
    bool dbg = h->flags & HEAP_F_DEBUG;
    if (B(s)->sf & F_PREV_FREE) {
        size_t t = *(size_t *)(s - 8);
        fb = s - t;
        if (UNLIKELY(t > s - h->base || (t & F_MASK) || B(fb)->sf != (t | F_FREE) ||
                     B(fb)->canary != canary_of(h, fb, t | F_FREE)))
            panic("heap_grow: corrupted free block before the end sentinel %p (footer %zu)",
                  (void *)s, t);
        if (dbg)
            links_verify(h, B(fb), class_of(t), "heap_alloc");
        list_remove(h, B(fb), class_of(t));
        if (dbg)
            poison(s - 8, s);
        fsz += t;
    }
    h->end += got;
    if (dbg)
        poison(s, sentinel_addr(h));
    set_free(h, B(fb), fsz);
    list_insert(h, B(fb), class_of(fsz));
    write_sentinel(h, true);
    return true;
}

static __attribute__((noinline)) void *alloc_slow(struct heap *h, size_t size, size_t align,
                                                  const void *caller);

static ALWAYS_INLINE void *alloc_impl(struct heap *h, size_t size, size_t align, const void *caller)
{
    /* fast path: align <= 16, size <= HEAP_MAX_REQUEST and no debug flag (one compare:
     * fast_lim is 0 when a flag is set) */
    if (LIKELY(align - 1 < HDR && !(align & (align - 1)) && size < h->fast_lim)) {
        size_t need = need_of(size, false);
        unsigned fc;
        blk_t *b = NULL;
        int c;
        if (LIKELY(need <= SMALL_LIMIT)) {
            fc = (unsigned)(need >> 4); /* exact class: every block fits */
        } else {
            /* a large request first tries its own class, whose blocks are the closest
             * fits (first fit, at most OWN_SCAN_BUDGET blocks), then the guaranteed one */
            unsigned oc = class_of(need - 1u);
            fc = oc + 1u;
            if ((h->class_map[oc >> 6] >> (oc & 63)) & 1) {
                size_t budget = OWN_SCAN_BUDGET;
                for (blk_t *e = h->lists[oc]; e && budget--; e = e->next)
                    if (bsize(e) >= need) {
                        b = checked_block(h, e);
                        c = (int)oc;
                        break;
                    }
            }
        }
        if (!b) {
            c = find_class(h, fc);
            if (UNLIKELY(c < 0))
                return alloc_slow(h, size, align, caller);
            b = checked_head(h, (unsigned)c);
        }
        return take(h, b, (unsigned)c, bsize(b), need, 0, caller, size, false);
    }
    return alloc_slow(h, size, align, caller);
}

/* Last non-empty class <= c, or -1. */
static inline int find_class_down(const struct heap *h, unsigned c)
{
    unsigned w = c >> 6;
    uint64_t m = h->class_map[w] & ((2ull << (c & 63)) - 1);
    if (!m) {
        uint64_t t = h->top_map & ((1ull << w) - 1);
        if (!t)
            return -1;
        w = ilog2(t);
        m = h->class_map[w];
    }
    return (int)((w << 6) + ilog2(m));
}

/* First fit in list order over classes [lo, hi), largest class first, for an aligned
 * request; examines at most ALIGNED_SCAN_BUDGET blocks. */
static ALWAYS_INLINE blk_t *scan_fit_down(const struct heap *h, unsigned lo, unsigned hi,
                                          size_t need, size_t align, size_t *gap_out,
                                          unsigned *class_out, bool dbg)
{
    size_t budget = ALIGNED_SCAN_BUDGET;
    int c = hi ? find_class_down(h, hi - 1) : -1;
    for (; c >= (int)lo; c = c ? find_class_down(h, (unsigned)c - 1) : -1) {
        for (blk_t *b = h->lists[c]; b; b = b->next) {
            if (!budget--)
                return NULL;
            if (UNLIKELY(dbg))
                walk_verify(h, b, (unsigned)c);
            size_t gap = align_gap(A(b), align);
            if (gap + need <= bsize(b)) {
                *gap_out = gap;
                *class_out = (unsigned)c;
                return b;
            }
        }
    }
    return NULL;
}

/* First fit in list order over classes [lo, hi), smallest class first; returns the
 * block, its gap and class. */
static ALWAYS_INLINE blk_t *scan_fit(const struct heap *h, unsigned lo, unsigned hi, size_t need,
                                     size_t align, size_t *gap_out, unsigned *class_out, bool dbg)
{
    for (int c = find_class(h, lo); c >= 0 && (unsigned)c < hi;
         c = find_class(h, (unsigned)c + 1)) {
        for (blk_t *b = h->lists[c]; b; b = b->next) {
            if (UNLIKELY(dbg))
                walk_verify(h, b, (unsigned)c);
            size_t gap = align > HDR ? align_gap(A(b), align) : 0;
            if (gap + need <= bsize(b)) {
                *gap_out = gap;
                *class_out = (unsigned)c;
                return b;
            }
        }
        if ((unsigned)c + 1 >= HEAP_NUM_CLASSES)
            break;
    }
    return NULL;
}

static __attribute__((noinline)) void *take_slow(struct heap *h, blk_t *b, unsigned c, size_t need,
                                                 size_t gap, const void *caller, size_t req)
{
    if (h->flags & HEAP_F_DEBUG)
        return take(h, b, c, bsize(b), need, gap, caller, req, true);
    return take(h, b, c, bsize(b), need, gap, caller, req, false);
}

static __attribute__((noinline)) void *alloc_slow(struct heap *h, size_t size, size_t align,
                                                  const void *caller)
{
    if (!align_ok(align) || size > HEAP_MAX_REQUEST)
        return NULL;
    bool dbg = h->flags & HEAP_F_DEBUG;
    size_t need = need_of(size, dbg);
    size_t slack = align > HDR ? align + 32 : 0; /* worst-case leading gap */
    size_t search = need + slack;
    size_t gap;
    unsigned fc;
    if (slack) {
        /* (two calls with constant dbg: the release walk carries no debug test) */
        blk_t *b =
            dbg ? scan_fit_down(h, class_of(need), class_fit(search), need, align, &gap, &fc, true)
                : scan_fit_down(h, class_of(need), class_fit(search), need, align, &gap, &fc,
                                false);
        if (b)
            return take_slow(h, b, fc, need, gap, caller, size);
    } else if (need > SMALL_LIMIT) {
        /* first fit in the request's own class: its blocks are the closest fits */
        unsigned oc = class_of(need - 1u);
        size_t budget = OWN_SCAN_BUDGET;
        for (blk_t *b = h->lists[oc]; b && budget--; b = b->next) {
            if (UNLIKELY(dbg))
                walk_verify(h, b, oc);
            if (bsize(b) >= need)
                return take_slow(h, checked_block(h, b), oc, need, 0, caller, size);
        }
    }
    int c = find_class(h, class_fit(search));
    if (c >= 0) {
        blk_t *b = checked_head(h, (unsigned)c);
        gap = slack ? align_gap(A(b), align) : 0;
        return take_slow(h, b, (unsigned)c, need, gap, caller, size);
    }
    for (;;) {
        blk_t *b =
            dbg ? scan_fit(h, class_of(need), class_fit(search), need, align, &gap, &fc, true)
                : scan_fit(h, class_of(need), class_fit(search), need, align, &gap, &fc, false);
        if (b)
            return take_slow(h, b, fc, need, gap, caller, size);
        size_t t = tail_free(h);
        if (!extend(h, search > t ? search - t : HEAP_GROW_GRANULE))
            return NULL;
        /* the tail block is now the only candidate that changed */
        uintptr_t s = sentinel_addr(h);
        size_t tsz = *(size_t *)(s - 8);
        blk_t *tb = B(s - tsz);
        gap = slack ? align_gap(A(tb), align) : 0;
        if (gap + need <= tsz)
            return take_slow(h, tb, class_of(tsz), need, gap, caller, size);
    }
}

void *heap_alloc(struct heap *h, size_t size, size_t align)
{
    return alloc_impl(h, size, align, __builtin_return_address(0));
}

void *heap_alloc_from(struct heap *h, size_t size, size_t align, const void *caller)
{
    return alloc_impl(h, size, align, caller);
}

/* ---------------------------------------------------------------------------------- */
/* Free                                                                               */
/* ---------------------------------------------------------------------------------- */

/* Puts the free range [a, a + size) back (a's predecessor is allocated, its successor
 * is at a + size), merging with a free successor. */
static void release_tail(struct heap *h, uintptr_t a, size_t size, bool dbg)
{
    blk_t *n = B(a + size);
    size_t nsf = n->sf;
    if (nsf & F_FREE) {
        size_t ns = nsf & ~F_MASK;
        set_free(h, B(a), size + ns);
        list_relink(h, n, class_of(ns), B(a), class_of(size + ns));
        if (dbg) /* n's header and links are payload now (the tail may be only 16 bytes:
                  * keep clear of the merged block's own header and links) */
            poison(MAX(A(n), a + sizeof(blk_t)), A(n) + sizeof(blk_t));
        /* the following block already has PREV_FREE set */
    } else {
        set_free(h, B(a), size);
        list_insert(h, B(a), class_of(size));
        n->sf = nsf | F_PREV_FREE;
    }
}

/* The block after p's block (at a + size), checked before it is read or merged: its
 * canary (release builds too) and, in debug mode, a free neighbour's list links. */
static ALWAYS_INLINE blk_t *checked_next(const struct heap *h, uintptr_t a, size_t size,
                                         const void *p, bool dbg, const char *fn)
{
    blk_t *n = B(a + size);
    size_t nsf = n->sf;
    if (HEAP_HARDENED && UNLIKELY(n->canary != canary_of(h, A(n), nsf)))
        bad_neighbour(h, n, p, fn);
    if (dbg && (nsf & F_FREE))
        links_verify(h, n, class_of(nsf & ~F_MASK), fn);
    return n;
}

static ALWAYS_INLINE void free_impl(struct heap *h, void *p, bool dbg)
{
    blk_t *b = block_of(h, p, "heap_free");
    size_t sf = b->sf, size = sf & ~F_MASK;
    uintptr_t a = A(b);
    blk_t *n = checked_next(h, a, size, p, dbg, "heap_free");
    size_t nsf = n->sf;
    h->bytes_used -= size;
    h->total_frees++;
    if (dbg)
        poison(a + HDR, a + size);

    if (LIKELY(!(sf & F_PREV_FREE))) {
        if (!(nsf & F_FREE)) {
            /* no free neighbour */
            set_free(h, b, size);
            list_insert(h, b, class_of(size));
            n->sf = nsf | F_PREV_FREE;
            return;
        }
        /* merge with the successor: b takes its list slot when the class stays */
        size_t ns = nsf & ~F_MASK, msize = size + ns;
        set_free(h, b, msize);
        list_relink(h, n, class_of(ns), b, class_of(msize));
        if (dbg) /* n's header and links are payload of the merged block now */
            poison(A(n), A(n) + sizeof(blk_t));
        return;
    }

    /* merge with the predecessor (and the successor, if free) */
    size_t ps = *(size_t *)(a - 8);
    blk_t *pb = B(a - ps);
    /* the range and granule tests keep a corrupted footer from sending us outside the
     * heap or to a misaligned header; a valid canary and the exact size then prove pb is
     * the free predecessor */
    if (UNLIKELY(ps > a - h->base || (ps & F_MASK) || pb->sf != (ps | F_FREE) ||
                 (HEAP_HARDENED && pb->canary != canary_of(h, A(pb), ps | F_FREE))))
        panic("heap_free: corrupted free block before %p (footer %zu)", p, ps);
    if (dbg)
        links_verify(h, pb, class_of(ps), "heap_free");
    size_t msize = ps + size;
    if (nsf & F_FREE) {
        size_t ns = nsf & ~F_MASK;
        list_remove(h, n, class_of(ns));
        msize += ns;
        if (dbg)
            poison(A(n), A(n) + sizeof(blk_t));
    } else {
        n->sf = nsf | F_PREV_FREE;
    }
    if (dbg) {
        /* the predecessor's footer and b's header become poisoned payload */
        poison(a - 8, a + HDR);
    } else {
        /* stale header: a second free is recognised as a double free (the canary
         * covers the FREE bit: flip it in both words) */
        b->sf = sf | F_FREE;
        b->canary ^= F_FREE;
    }
    set_free(h, pb, msize);
    unsigned pc = class_of(ps), mc = class_of(msize);
    if (pc != mc) {
        list_remove(h, pb, pc);
        list_insert(h, pb, mc);
    }
}

static __attribute__((noinline)) void free_debug(struct heap *h, void *p)
{
    free_impl(h, p, true);
}

void heap_free(struct heap *h, void *p)
{
    if (!p)
        return;
    if (UNLIKELY(h->flags & HEAP_F_DEBUG))
        free_debug(h, p);
    else
        free_impl(h, p, false);
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

/* Copies n bytes (a multiple of 16) between 16-aligned, non-overlapping payloads. */
static void copy_payload(void *dst, const void *src, size_t n)
{
    if (!HEAP_OWN_COPY) {
        memcpy(dst, src, n);
        return;
    }
    uint64_t *d = dst;
    const uint64_t *s = src;
    size_t w = n / 8, i = 0;
    for (; i + 8 <= w; i += 8) {
        uint64_t t0 = s[i], t1 = s[i + 1], t2 = s[i + 2], t3 = s[i + 3];
        uint64_t t4 = s[i + 4], t5 = s[i + 5], t6 = s[i + 6], t7 = s[i + 7];
        __asm__("" : "+r"(t0), "+r"(t1), "+r"(t2), "+r"(t3)); /* keep it a loop, not memcpy */
        d[i] = t0, d[i + 1] = t1, d[i + 2] = t2, d[i + 3] = t3;
        d[i + 4] = t4, d[i + 5] = t5, d[i + 6] = t6, d[i + 7] = t7;
    }
    for (; i < w; i++)
        d[i] = s[i];
}

void *heap_realloc(struct heap *h, void *p, size_t new_size, size_t align)
{
    if (!p)
        return alloc_impl(h, new_size, align, __builtin_return_address(0));
    if (!align_ok(align) || new_size > HEAP_MAX_REQUEST)
        return NULL;
    blk_t *b = block_of(h, p, "heap_realloc");
    uintptr_t a = A(b);
    size_t sf = b->sf, size = sf & ~F_MASK;
    bool dbg = h->flags & HEAP_F_DEBUG;
    size_t need = need_of(new_size, dbg);
    const void *caller = dbg ? *(const void *const *)(a + size - DEBUG_TRAILER) : NULL;

    if (LIKELY(!((uintptr_t)p & (align - 1)))) {
        blk_t *n = checked_next(h, a, size, p, dbg, "heap_realloc");
        size_t nsf = n->sf;
        if (need <= size) {
            /* shrink: give the tail back when it can form or join a free block */
            size_t rem = size - need;
            if (rem >= MIN_BLOCK || (rem && (nsf & F_FREE))) {
                if (dbg)
                    poison(a + need, a + size);
                set_hdr(h, b, need | (sf & F_PREV_FREE));
                release_tail(h, a + need, rem, dbg);
                h->bytes_used -= rem;
                size = need;
            }
            if (dbg)
                debug_trailer(a, size, caller, new_size);
            return p;
        }
        size_t ns = (nsf & F_FREE) ? nsf & ~F_MASK : 0;
        if (size + ns < need && A(n) + ns == sentinel_addr(h)) {
            /* last block (maybe followed by a free tail): grow the heap under it */
            if (extend(h, need - size - ns)) {
                n = B(a + size);
                nsf = n->sf;
                ns = nsf & ~F_MASK;
            }
        }
        if (size + ns >= need) {
            /* grow in place into the free successor */
            size_t total = size + ns, rem = total - need;
            if (dbg)
                poison_verify(A(n), ns, A(n), a + need, "heap_realloc");
            if (rem >= MIN_BLOCK) {
                /* r may start 16 bytes into n: unlink n before r's header hides its links */
                blk_t *r = B(a + need);
                list_relink(h, n, class_of(ns), r, class_of(rem));
                set_free(h, r, rem);
            } else {
                need = total;
                list_remove(h, n, class_of(ns));
                B(a + total)->sf &= ~F_PREV_FREE;
            }
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
    heap_free(h, p);
    return q;
}

size_t heap_usable_size(const struct heap *h, const void *p)
{
    const blk_t *b = block_of(h, p, "heap_usable_size");
    return payload_room(h, bsize(b));
}

/* ---------------------------------------------------------------------------------- */
/* Checking, statistics, reports                                                      */
/* ---------------------------------------------------------------------------------- */

/* heap_check found that the free lists do not hold exactly the free blocks of the tiling:
 * name the first free block that is not on its list (a walk of its list per free block:
 * quadratic, but only on this error path; heap_check's list walk proved that no list is
 * longer than `listed` entries, whatever the counters say). */
static noreturn __attribute__((noinline, cold)) void bad_membership(const struct heap *h,
                                                                    size_t listed, size_t nfree)
{
    for (uintptr_t x = h->base; x < sentinel_addr(h); x += bsize(B(x))) {
        if (!(B(x)->sf & F_FREE))
            continue;
        unsigned c = class_of(bsize(B(x)));
        const blk_t *e = h->lists[c];
        for (size_t steps = 0; e && e != B(x) && steps <= listed; steps++) /* (proved bound) */
            e = e->next;
        if (e != B(x))
            panic("heap_check: free block not on its list at %p (size %zu, class %u)", (void *)x,
                  bsize(B(x)), c);
    }
    panic("heap_check: list entries do not match free blocks at %p (%zu listed, %zu free)",
          (const void *)h, listed, nfree);
}

/*
 * Linear in the heap's blocks: the walk of the tiling checks every block, the walk of the
 * lists every list entry, and the two meet through a count and a checksum: the sum of
 * mix64(address) over the free blocks of the tiling must equal the same sum over the list
 * entries (distinct, free, of the right class, as the list walk checks). Equal sums with
 * equal counts mean the same set of blocks, barring a 64-bit collision; a mismatch is then
 * located precisely, slowly, by bad_membership().
 */
void heap_check(const struct heap *h)
{
    uintptr_t x = h->base, s = sentinel_addr(h);
    size_t used = 0, freeb = 0, nfree = 0, nused = 0;
    uint64_t tiled_sum = 0, listed_sum = 0;
    bool prev_free = false;
    while (x < s) {
        const blk_t *b = B(x);
        size_t sf = b->sf, size = sf & ~F_MASK;
        if (!canary_ok(h, b))
            panic("heap_check: bad canary at %p (size_flags %#zx, canary %#llx)", (void *)x, sf,
                  (unsigned long long)b->canary);
        if (size < MIN_BLOCK || size > s - x || (sf & 12))
            panic("heap_check: bad block size at %p (size_flags %#zx, %zu bytes to the sentinel)",
                  (void *)x, sf, (size_t)(s - x));
        if (!!(sf & F_PREV_FREE) != prev_free)
            panic("heap_check: PREV_FREE bit wrong at %p (size_flags %#zx, previous block %s)",
                  (void *)x, sf, prev_free ? "free" : "allocated");
        if (sf & F_FREE) {
            if (prev_free)
                panic("heap_check: unmerged free neighbours at %p (size %zu)", (void *)x, size);
            if (*footer(x, size) != size)
                panic("heap_check: bad footer at %p (footer %zu, size %zu)", (void *)x,
                      *footer(x, size), size);
            tiled_sum += mix64(x); /* list membership: compared with the lists below */
            if (h->flags & HEAP_F_DEBUG)
                poison_verify(x, size, x + HDR, x + size, "heap_check");
            freeb += size;
            nfree++;
        } else {
            if (h->flags & HEAP_F_DEBUG) {
                const uintptr_t *t = (const uintptr_t *)(x + size - DEBUG_TRAILER);
                if (t[1] > payload_room(h, size))
                    panic("heap_check: bad debug trailer at %p (requested %zu, room %zu)",
                          (void *)x, (size_t)t[1], payload_room(h, size));
            }
            used += size;
            nused++;
        }
        prev_free = sf & F_FREE;
        x += size;
    }
    if (x != s)
        panic("heap_check: blocks do not tile the heap at %p (sentinel at %p)", (void *)x,
              (void *)s);
    const blk_t *sb = B(s);
    if (!canary_ok(h, sb) || bsize(sb) != 0 || (sb->sf & F_FREE) ||
        !!(sb->sf & F_PREV_FREE) != prev_free)
        panic("heap_check: bad end sentinel at %p (size_flags %#zx)", (void *)s, sb->sf);

    /* lists and bitmap */
    size_t listed = 0;
    uint64_t top = 0;
    for (unsigned c = 0; c < HEAP_NUM_CLASSES; c++) {
        const blk_t *e = h->lists[c], *pv = NULL;
        bool bit = (h->class_map[c >> 6] >> (c & 63)) & 1;
        if (bit != (e != NULL))
            panic("heap_check: bitmap disagrees with list at %p (class %u, bit %d)", (void *)e, c,
                  (int)bit);
        for (; e; pv = e, e = e->next) {
            if (!link_ok(h, e))
                panic("heap_check: list link outside the heap at %p (class %u)", (void *)e, c);
            if (!canary_ok(h, e) || !(e->sf & F_FREE) || class_of(bsize(e)) != c)
                panic("heap_check: bad list entry at %p (class %u, size_flags %#zx)", (void *)e, c,
                      e->sf);
            if (e->prev != pv)
                panic("heap_check: broken back link at %p (prev %p, expected %p)", (void *)e,
                      (void *)e->prev, (void *)pv);
            listed_sum += mix64(A(e));
            if (++listed > nfree)
                panic("heap_check: more list entries than free blocks at %p (class %u, %zu "
                      "free blocks)",
                      (void *)e, c, nfree);
        }
    }
    for (unsigned w = 0; w < HEAP_MAP_WORDS; w++)
        if (h->class_map[w])
            top |= 1ull << w;
    if (top != h->top_map)
        panic("heap_check: top bitmap wrong at %p (%#llx, expected %#llx)", (void *)h,
              (unsigned long long)h->top_map, (unsigned long long)top);
    if (listed != nfree || listed_sum != tiled_sum) /* (the list walk stops at nfree + 1) */
        bad_membership(h, listed, nfree);

    /* statistics */
    if (used != h->bytes_used || nfree != h->free_blocks ||
        nused != h->total_allocs - h->total_frees || h->high_water < used ||
        used + freeb + HDR != h->end - h->base)
        panic("heap_check: statistics disagree at %p (used %zu/%zu, free blocks %zu/%zu, live "
              "%zu/%zu, high water %zu, size %zu)",
              (void *)h, used, h->bytes_used, nfree, h->free_blocks, nused,
              h->total_allocs - h->total_frees, h->high_water, (size_t)(h->end - h->base));
}

void heap_get_stats(const struct heap *h, struct heap_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->heap_size = h->end - h->base;
    out->bytes_used = h->bytes_used;
    out->bytes_free = out->heap_size - HDR - h->bytes_used;
    out->free_blocks = h->free_blocks;
    out->live_allocs = h->total_allocs - h->total_frees;
    out->high_water = h->high_water;
    out->grow_events = h->grow_events;
    out->total_allocs = h->total_allocs;
    out->total_frees = h->total_frees;
    if (h->top_map) {
        unsigned w = ilog2(h->top_map);
        unsigned c = (w << 6) + ilog2(h->class_map[w]);
        for (const blk_t *e = h->lists[c]; e; e = e->next)
            if (bsize(e) > out->largest_free)
                out->largest_free = bsize(e);
    }
}

void heap_dump(const struct heap *h)
{
    struct heap_stats st;
    heap_get_stats(h, &st);
    kprintf("heap %p: [%p, %p) %zu bytes, %zu used, %zu free in %zu blocks (largest %zu)\n",
            (const void *)h, (void *)h->base, (void *)h->end, st.heap_size, st.bytes_used,
            st.bytes_free, st.free_blocks, st.largest_free);
    for (uintptr_t x = h->base; x < sentinel_addr(h);) {
        const blk_t *b = B(x);
        size_t size = bsize(b);
        kprintf("  %p %10zu %s%s\n", (void *)(x + HDR), size, (b->sf & F_FREE) ? "free" : "used",
                canary_ok(h, b) ? "" : " BAD-CANARY");
        if (size < MIN_BLOCK || !canary_ok(h, b))
            break;
        x += size;
    }
}

size_t heap_leak_report(const struct heap *h)
{
    size_t n = 0;
    bool dbg = h->flags & HEAP_F_DEBUG;
    for (uintptr_t x = h->base; x < sentinel_addr(h);) {
        const blk_t *b = B(x);
        size_t size = bsize(b);
        if (size < MIN_BLOCK || !canary_ok(h, b)) {
            kprintf("heap: leak report stopped at corrupted header %p\n", (void *)x);
            break;
        }
        if (!(b->sf & F_FREE)) {
            n++;
            if (dbg) {
                const uintptr_t *t = (const uintptr_t *)(x + size - DEBUG_TRAILER);
                kprintf("heap: live block %p size %zu (requested %zu) from %p\n", (void *)(x + HDR),
                        payload_room(h, size), (size_t)t[1], (void *)t[0]);
            } else {
                kprintf("heap: live block %p size %zu\n", (void *)(x + HDR), payload_room(h, size));
            }
        }
        x += size;
    }
    kprintf("heap: %zu live block%s\n", n, n == 1 ? "" : "s");
    return n;
}
