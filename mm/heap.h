/* SPDX-License-Identifier: MIT */
/*
 * mm/heap.h - the heap core: an address-ordered first-fit linked-list allocator over a
 * caller-provided region, with an index that finds the same first fit in O(log n).
 *
 * Owns block layout, the free list, splitting/merging, alignment, growth through a
 * callback, integrity checks and statistics. It must not lock, map memory or know the
 * kernel: all state is in a caller-provided struct heap (no globals), so several heaps
 * can coexist and the same files build for host tests, fuzzing and benchmarks. The
 * kernel glue (kernel/kheap.c) wraps every call in an IRQ-saving spinlock and runs the
 * alloc-failure handler after unlocking. How it works: the comment at the top of heap.c;
 * the index: mm/heap_index.h.
 *
 * Contract summary
 *  - Placement is exact address-ordered first fit: an allocation takes the free block of
 *    lowest address that can hold it, with or without the index (HEAP_F_NO_INDEX).
 *  - Every returned pointer is aligned to max(align, HEAP_ALIGN) (16) and is the start
 *    of a block only this heap returned; heap_usable_size() bytes may be used.
 *  - Size 0 is treated as size 1: heap_alloc(h, 0, a) returns a unique, freeable
 *    minimum-size block, heap_realloc(h, p, 0, a) shrinks p to a minimum-size block and
 *    returns it (it does not free p).
 *  - align must be a power of two in [1, HEAP_MAX_ALIGN]; anything else returns NULL.
 *  - Requests whose size plus overhead and alignment padding would exceed
 *    HEAP_MAX_REQUEST return NULL (no arithmetic wraps).
 *  - Misuse panics with "func: what (values)": double free, a pointer the heap never
 *    returned (outside the heap, misaligned, or not a block start), a block header whose
 *    canary was overwritten, free-list links that do not point back (a write into a
 *    freed block), and (HEAP_F_DEBUG) any write to freed memory.
 *
 * Context: no function here locks or may sleep; the caller serialises all calls on one
 * struct heap (kernel/kheap.c: an IRQ-saving spinlock, so interrupt handlers may allocate).
 */
#ifndef MBHEAP_MM_HEAP_H
#define MBHEAP_MM_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

/* Natural alignment of every block (and the granule of block sizes). */
#define HEAP_ALIGN 16u
/* Largest supported alignment; larger ones return NULL. */
#define HEAP_MAX_ALIGN ((size_t)2 << 20)
/* Requests above this many bytes return NULL (keeps all size arithmetic far from wrap). */
#define HEAP_MAX_REQUEST (((size_t)1 << 39) - 1)
/* Smallest region heap_init accepts (one minimum block plus the end sentinel). */
#define HEAP_MIN_SIZE 64u
/* Largest heap (region size, and growth cap): 1 TiB. */
#define HEAP_MAX_SIZE ((size_t)1 << 40)
/* Growth requests are rounded up to this. */
#define HEAP_GROW_GRANULE 4096u

/* heap_init flags */
#define HEAP_F_DEBUG 1u    /* poison freed memory (check on reuse), record callers */
#define HEAP_F_NO_INDEX 2u /* find first fits by walking the list (same choices, O(n)) */
#define HEAP_F_GOOD_FIT 4u /* the second placement policy: good fit over size classes */

/*
 * Called when no free block fits: map/provide at least min_bytes of new memory starting
 * exactly at `end` (the current heap end); returns the number of bytes added
 * (>= min_bytes; the core uses the largest multiple of 16 of it that stays within
 * max_size and merges it with a free tail block), or 0 on failure (then the allocation
 * returns NULL). min_bytes is a non-zero multiple of HEAP_GROW_GRANULE. Runs inside the
 * allocation call (with the caller's lock held): it must not call back into the heap.
 */
typedef size_t (*heap_grow_fn)(void *ctx, uintptr_t end, size_t min_bytes);

/*
 * Called before the index first touches [start, start + bytes) of its memory: make that
 * range readable and writable (its contents do not matter: the core clears it). Return
 * false when it cannot; the heap then does not grow (the allocation returns NULL). Same
 * context rules as heap_grow_fn.
 */
typedef bool (*heap_commit_fn)(void *ctx, void *start, size_t bytes);

/*
 * Giving memory back (heap_set_trim). The core calls release(ctx, start, bytes) for whole
 * pages inside a free block that it no longer needs (start and bytes multiples of
 * HEAP_PAGE, inside the heap region, never a block's header, links or footer); it then
 * neither reads nor writes them until it hands them out again, and first calls
 * reuse(ctx, start, bytes) for exactly the released pages it is about to use. reuse
 * returns false when it cannot make them usable: the allocation (or in-place realloc)
 * that needed them then returns NULL and the heap is unchanged. reuse may be NULL when a
 * released page is usable again without a call (madvise(MADV_DONTNEED): it reads as
 * zero on the next touch). Same context rules as heap_grow_fn; neither hook may call back
 * into the heap.
 */
#define HEAP_PAGE 4096u
typedef void (*heap_release_fn)(void *ctx, uintptr_t start, size_t bytes);
typedef bool (*heap_reuse_fn)(void *ctx, uintptr_t start, size_t bytes);

struct heap_trim {
    heap_release_fn release; /* NULL: never give pages back */
    heap_reuse_fn reuse;     /* NULL: released pages are usable again as they are */
    void *ctx;
    /* the grow hook's new memory and the pages reuse hands back read as zero: the core
     * then remembers which free bytes are zero and heap_alloc_zeroed does not clear them
     * again (ignored in HEAP_F_DEBUG mode, which poisons free memory) */
    bool zeroed;
};

/* Memory for the first-fit index, outside the heap region (see heap_index_bytes). */
struct heap_index_mem {
    void *mem;             /* heap_index_bytes(max_size) bytes of address space, 8-aligned */
    heap_commit_fn commit; /* NULL: all of it is usable already */
    void *ctx;
    bool zeroed; /* it reads as zero (fresh anonymous memory): the core need not clear it,
                  * so that its pages stay untouched until the index writes them */
};

/* Bytes of index memory a heap capped at max_size needs (about 0.4% of max_size). Only
 * the part that covers the heap's current size is ever touched. Context: any; pure arithmetic. */
size_t heap_index_bytes(size_t max_size);

struct heap_stats {
    size_t heap_size;      /* bytes managed: [base, end), including the 16-byte end sentinel */
    size_t bytes_used;     /* sum of allocated block sizes (headers and padding included) */
    size_t bytes_free;     /* sum of free block sizes */
    size_t largest_free;   /* largest free block (bytes, header included; 0 if none) */
    size_t free_blocks;    /* number of free blocks */
    size_t live_allocs;    /* allocated blocks */
    size_t high_water;     /* maximum bytes_used ever */
    size_t grow_events;    /* successful calls of the grow callback */
    size_t total_allocs;   /* blocks handed out (a moving realloc counts one alloc + one free) */
    size_t total_frees;    /* blocks taken back */
    size_t bytes_released; /* free bytes given back through the release hook (not resident) */
    size_t release_events; /* calls of the release hook */
    size_t reuse_events;   /* released ranges taken back into use (calls of reuse, if set) */
};

/*
 * The first 32 bytes of every block: a 16-byte header, then -- in a free block only --
 * the free list's links (in an allocated block those bytes are payload). struct heap's
 * `list` is one too: the list's head node, which no region block is.
 */
struct heap_block {
    size_t sf;                      /* size | flags (heap_internal.h: F_FREE, F_PREV_FREE...) */
    uint64_t canary;                /* secret ^ address ^ (size | F_FREE) */
    struct heap_block *next, *prev; /* free blocks: neighbours in address order */
};

/* The index's state (mm/heap_index.h). Levels: 0 = one entry per segment. */
#define HEAP_INDEX_LEVELS 16
#define HEAP_INDEX_BM_LEVELS 6
struct heap_index {
    size_t *level[HEAP_INDEX_LEVELS]; /* each entry: the largest free block below it */
    struct heap_block **first;        /* per segment: its first free block */
    size_t nseg;                      /* segments covering [base, end) */
    size_t ncommitted;                /* segments whose entries are usable (>= nseg) */
    size_t cap;                       /* segments covering max_size */
    unsigned top;                     /* level holding the root for nseg segments */
    heap_commit_fn commit;
    void *commit_ctx;
    bool zeroed; /* the memory reads as zero already (struct heap_index_mem) */
    /* bit s of level 0: segment s holds an indexed block; each level above: a bit per
     * word below; level bm_top is a single word */
    uint64_t *nonempty[HEAP_INDEX_BM_LEVELS];
    unsigned bm_top;
};

/* The good-fit policy's state (mm/heap_goodfit.h): a free list per size class, and a
 * two-level bitmap of the classes whose list is not empty. */
#define HEAP_GF_CLASSES 1024
struct heap_goodfit {
    uint64_t top;                              /* bit w: map[w] != 0 */
    uint64_t map[HEAP_GF_CLASSES / 64];        /* bit c: lists[c] is not empty */
    struct heap_block *lists[HEAP_GF_CLASSES]; /* NULL-terminated; the first's prev is NULL */
};

/* Full definition so that the kernel can have a static one; treat as opaque. */
struct heap {
    uintptr_t base;  /* first block */
    uintptr_t end;   /* one past the end sentinel: heap size = end - base */
    size_t max_size; /* growth cap (end - base never exceeds it through growth) */
    heap_grow_fn grow;
    void *grow_ctx;
    unsigned flags;
    bool indexed;           /* the index is in use (first fit, memory given, no HEAP_F_NO_INDEX) */
    size_t fast_lim;        /* first fit: requests below this take the fast path (0: never) */
    size_t gf_fast_lim;     /* good fit: the same */
    uint64_t secret;        /* per-heap canary key */
    struct heap_block list; /* the free list's head node: list.next is the lowest block */
    struct heap_index index;
    struct heap_goodfit gf; /* HEAP_F_GOOD_FIT only */
    /* statistics (the rest is derived, see heap_get_stats) */
    size_t bytes_used, high_water, free_blocks, grow_events, total_allocs, total_frees;
    /* giving back (mm/heap_trim.c): hooks, policy, bookkeeping */
    heap_release_fn release;
    heap_reuse_fn reuse;
    void *trim_ctx;
    size_t trim_gate;      /* free blocks of at least this size are looked at (SIZE_MAX: off) */
    size_t trim_threshold; /* resident free pages of a block released once they reach this */
    size_t released, release_events, reuse_events;
    uintptr_t fresh;    /* [fresh, sentinel - 8) reads as zero (UINTPTR_MAX: nothing known) */
    uintptr_t zlo, zhi; /* the last allocation's bytes known to be zero ([zlo, zhi)) */
    uintptr_t take_lo, take_hi; /* the released range of the block being taken */
    bool zeroed;                /* struct heap_trim's zeroed, and not debug mode */
};

/*
 * Makes [base, base + size) one free block plus an end sentinel. base must be 16-byte
 * aligned and size a multiple of 16 of at least HEAP_MIN_SIZE, max_size >= size (the
 * growth cap, at most HEAP_MAX_SIZE is used; grow may be NULL: no growth). flags:
 * HEAP_F_*. index: memory for the first-fit index, or NULL (the heap then walks the list,
 * as with HEAP_F_NO_INDEX).
 * Return: E_OK, or E_INVAL (misaligned or too small region, max_size < size, unknown
 * flag, region larger than HEAP_MAX_SIZE), E_NOMEM (the index's commit hook refused).
 * Context: any; h must not be in use.
 */
err_t heap_init(struct heap *h, void *base, size_t size, heap_grow_fn grow, void *grow_ctx,
                size_t max_size, unsigned flags, const struct heap_index_mem *index);

/*
 * Turns giving memory back on (t->release set) or off (t NULL or t->release NULL), and
 * says whether new memory reads as zero (struct heap_trim). The policy is in heap.c's
 * theory comment. Call it right after heap_init, before the first allocation.
 * Return: E_OK, or E_INVAL when pages are released at the time of the call (a switch
 * then could leave them unusable or change how they are used again).
 * Context: as heap_init.
 */
err_t heap_set_trim(struct heap *h, const struct heap_trim *t);

/* Allocates size bytes aligned to align (power of two <= HEAP_MAX_ALIGN).
 * Return: the payload, or NULL when nothing fits even after growth, or on a bad align or
 * oversized request. Context: the caller serialises calls on h (no lock here); may call the grow
 * and commit hooks. */
void *heap_alloc(struct heap *h, size_t size, size_t align);

/* heap_alloc recording `caller` (shown by heap_leak_report in HEAP_F_DEBUG mode). Context: as
 * heap_alloc. */
void *heap_alloc_from(struct heap *h, size_t size, size_t align, const void *caller);

/* heap_alloc_from, then clears the payload (heap_usable_size bytes) except the bytes the
 * heap knows to be zero (fresh from the grow hook or from reuse: see struct heap_trim).
 * Return: as heap_alloc. Context: as heap_alloc. */
void *heap_alloc_zeroed(struct heap *h, size_t size, size_t align, const void *caller);

/* Returns p's block to the heap; NULL is a no-op. Panics on misuse (see above). Context: the caller
 * serialises calls on h; never calls a hook. */
void heap_free(struct heap *h, void *p);

/* GlobalAlloc-style free: like heap_free, and also panics ("heap_dealloc: layout { size:
 * N, align: A } does not match the block ...") when the block could not have been
 * allocated with that layout (size larger than the block, p not aligned to align). Context: as
 * heap_free. */
void heap_dealloc(struct heap *h, void *p, size_t size, size_t align);

/* The check heap_dealloc makes, for callers that take a layout elsewhere (a GlobalAlloc
 * realloc): panics ("<fn>: layout { size: N, align: A } does not match the block ...")
 * unless p is a live block of h that could have been allocated with that layout. Context: the
 * caller serialises calls on h. */
void heap_layout_check(const struct heap *h, const void *p, size_t size, size_t align,
                       const char *fn);

/*
 * C realloc: p NULL -> heap_alloc. p must be a live block (checked first: misuse panics
 * whatever the new size). Grows in place into a following free block (or into new memory
 * when p's block is the last one), shrinks in place returning the tail; moves (first-fit
 * allocate, copy, free) only when it must. The result is aligned to `align`.
 * Return: the block, or NULL on failure (bad align, oversized request, no memory), and
 * then p is untouched and still valid.
 * Context: as heap_alloc.
 */
void *heap_realloc(struct heap *h, void *p, size_t new_size, size_t align);

/* Return: the bytes the caller may use at p: at least the size requested, exactly that
 * in HEAP_F_DEBUG mode (a write past it is reported when the block is freed or checked).
 * Panics if p is not a live block. Context: the caller serialises calls on h. */
size_t heap_usable_size(const struct heap *h, const void *p);

/* Verifies every invariant (tiling, merging, the address-ordered list, the index against
 * the list, canaries, statistics, and poison in debug mode); panics
 * "heap_check: <what> at 0x... (values)" on a violation. Linear in the blocks. Context: the caller
 * serialises calls on h; linear time (not for an interrupt handler on a big heap). Context: the
 * caller serialises calls on h. */
void heap_check(const struct heap *h);

void heap_get_stats(const struct heap *h, struct heap_stats *out);

/* kprintf one line per block (address, size, state) and a summary. Context: the caller serialises
 * calls on h; prints through kprintf. */
void heap_dump(const struct heap *h);

/* kprintf each live block (address, usable size; requested size and caller in debug
 * mode). Return: the number of live blocks. Context: as heap_dump. */
size_t heap_leak_report(const struct heap *h);

/* Whether p lies inside the heap's current region (says nothing about block starts): for a
 * host that runs several heaps and must hand a pointer back to the one it came from.
 * Return: true if base <= p < end. Context: any; reads two words. */
bool heap_contains(const struct heap *h, const void *p);

#endif
