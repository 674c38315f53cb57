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
 *  - Requests above HEAP_MAX_REQUEST bytes return NULL: with the overhead and alignment
 *    padding added, no size arithmetic wraps.
 *  - Misuse panics with "func: what (values)": double free, a pointer the heap never
 *    returned (outside the heap, misaligned, or not a block start), a block header whose
 *    canary was overwritten, free-list links that do not point back (a write into a
 *    freed block), and (HEAP_F_DEBUG) any write to freed memory.
 *
 * Context: no function here locks or may sleep; the caller serialises all calls on one
 * struct heap (kernel/kheap.c: an IRQ-saving spinlock, so interrupt handlers may allocate).
 * Below, "serialised by the caller" means that; the hooks a Context: line names run inside
 * the call, with the caller's lock held, so no function here may be called from a hook.
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
 * returns NULL). min_bytes is a non-zero multiple of HEAP_GROW_GRANULE, or, when less than
 * that is left below max_size, all that is left (a multiple of 16). Runs inside
 * heap_alloc, heap_alloc_from, heap_alloc_zeroed and heap_realloc (with the caller's lock
 * held): it must not call back into the heap.
 */
typedef size_t (*heap_grow_fn)(void *ctx, uintptr_t end, size_t min_bytes);

/*
 * Called before the index first touches [start, start + bytes) of its memory: make that
 * range readable and writable (its contents do not matter: the core clears it, unless
 * struct heap_index_mem's zeroed says it reads as zero). Return false when it cannot; the
 * heap then does not grow: the core keeps the memory the grow hook just added aside (the
 * allocation returns NULL; the next growth tries the commit again for that memory before
 * it asks the grow hook for more, so the hook is never asked twice for the same end), or
 * heap_init returns E_NOMEM. Runs inside heap_init and the calls that grow the heap;
 * same context rules as heap_grow_fn.
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
 * zero on the next touch). release runs inside heap_free, heap_dealloc and heap_realloc;
 * reuse inside the allocation calls and heap_realloc. Same context rules as heap_grow_fn;
 * neither hook may call back into the heap.
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

/**
 * heap_index_bytes() - the bytes of index memory a heap capped at @max_size needs.
 * @max_size: the heap's growth cap, as given to heap_init (above HEAP_MAX_SIZE counts as
 *            HEAP_MAX_SIZE).
 *
 * About 0.4% of @max_size. Only the part that covers the heap's current size, and a step
 * ahead of it (an eighth more, at least what covers 1 MiB of heap, within the cap), is
 * ever committed and touched.
 *
 * Context: any; pure arithmetic, takes no lock.
 * Return: the size struct heap_index_mem's mem must have, in bytes.
 */
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
    size_t grown_unused; /* bytes the grow hook added after end that the index could not
                          * cover yet: the next growth uses them first */
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

/**
 * heap_init() - make [@base, @base + @size) one free block plus an end sentinel.
 * @h: the heap to set up (its old contents do not matter: all of it is written).
 * @base: the region's start: non-NULL, 16-byte aligned.
 * @size: the region's size: a multiple of 16, at least HEAP_MIN_SIZE, at most HEAP_MAX_SIZE.
 * @grow: the grow hook (heap_grow_fn), or NULL: no growth.
 * @grow_ctx: passed to @grow.
 * @max_size: the growth cap, >= @size; at most HEAP_MAX_SIZE of it is used (and no more
 *            than keeps the region's end below the top of the address space).
 * @flags: HEAP_F_* (HEAP_F_GOOD_FIT and HEAP_F_NO_INDEX exclude each other).
 * @index: memory for the first-fit index, or NULL (the heap then walks the list, as with
 *         HEAP_F_NO_INDEX); not used under HEAP_F_NO_INDEX or HEAP_F_GOOD_FIT.
 *
 * The canary secret mixes in @h's address, @base and what the region's first 16 bytes
 * held, so that headers a previous heap left there do not pass for this heap's. In
 * HEAP_F_DEBUG mode the free block is poisoned. Giving memory back is off until
 * heap_set_trim. After a failure @h must not be used (heap_init it again).
 *
 * Context: serialised by the caller: @h must not be in use; takes no lock; calls the
 * index's commit hook for the entries that cover @size and a step ahead (heap_index_bytes).
 * Return: E_OK; E_INVAL when @h or @base is NULL, @base is misaligned, @size is not a
 * multiple of 16, below HEAP_MIN_SIZE or above HEAP_MAX_SIZE, @max_size < @size, the region
 * wraps around the address space, @flags holds an unknown flag or both HEAP_F_NO_INDEX and
 * HEAP_F_GOOD_FIT, or @index's mem is NULL (or, when the index is used, not 8-aligned);
 * E_NOMEM when the index's commit hook refused.
 */
err_t heap_init(struct heap *h, void *base, size_t size, heap_grow_fn grow, void *grow_ctx,
                size_t max_size, unsigned flags, const struct heap_index_mem *index);

/**
 * heap_set_trim() - turn giving memory back on or off; say whether new memory reads as 0.
 * @h: the heap (heap_init'ed).
 * @t: the hooks and the zeroed flag (struct heap_trim); NULL or @t->release NULL: giving
 *     back is off.
 *
 * The policy is in heap.c's theory comment: a free block's resident free pages are released
 * once they reach the threshold, which every call resets to 128 KiB and a reuse raises.
 * @t->zeroed counts even with giving back off (it is ignored in HEAP_F_DEBUG mode); what the
 * heap knows to be zero starts again with its next growth. Call it right after heap_init,
 * before the first allocation (kernel/kheap.c does, and heap_trim=off calls it again right
 * after); a later call is refused only while pages are released.
 *
 * Context: serialised by the caller; takes no lock; calls no hook.
 * Return: E_OK; E_INVAL, changing nothing, when @h is NULL or pages are released at the time
 * of the call (a switch then could leave them unusable or change how they are used again).
 */
err_t heap_set_trim(struct heap *h, const struct heap_trim *t);

/**
 * heap_alloc() - allocate @size bytes aligned to @align from @h, first fit.
 * @h: the heap (heap_init'ed).
 * @size: bytes wanted, at most HEAP_MAX_REQUEST; 0 is treated as 1.
 * @align: a power of two in [1, HEAP_MAX_ALIGN]; the result is aligned to at least 16.
 *
 * Takes the free block of lowest address that holds the request (under HEAP_F_GOOD_FIT:
 * good fit over size classes); when none does, grows the heap through the grow hook and
 * looks again. Records its own caller (shown by heap_leak_report in HEAP_F_DEBUG mode).
 * Panics on corruption it meets, naming heap_alloc: a free block's header
 * ("heap_alloc: corrupted free block header at 0x... (size_flags ..., canary ...)"),
 * free-list links that do not point back ("heap_alloc: use after free detected in block
 * 0x... (free-list links overwritten: ...)"), in HEAP_F_DEBUG mode a free byte that is no
 * longer poison ("heap_alloc: use after free detected in block 0x... (offset N)"); and,
 * naming heap_grow, "heap_grow: corrupted free block before the end sentinel 0x... (footer
 * N)" when growth finds the tail block broken, or "heap_grow: use after free detected ..."
 * when the links next to where the new memory joins the list do not point back.
 *
 * Context: serialised by the caller; takes no lock (callable from an interrupt handler
 * when the caller's lock masks interrupts); may call the grow and commit hooks (growth)
 * and the reuse hook (released pages it hands out).
 * Return: the payload (heap_usable_size() bytes), or NULL, with nothing allocated, when
 * nothing fits even after growth, the reuse hook refused, @align is not a power of two in
 * [1, HEAP_MAX_ALIGN] or @size is above HEAP_MAX_REQUEST.
 */
void *heap_alloc(struct heap *h, size_t size, size_t align);

/**
 * heap_alloc_from() - heap_alloc(), recording @caller instead of its own caller.
 * @h: as heap_alloc.
 * @size: as heap_alloc.
 * @align: as heap_alloc.
 * @caller: the code that asked (a return address), shown by heap_leak_report in
 *          HEAP_F_DEBUG mode (other modes record no caller).
 *
 * For wrappers (kernel/kheap.c's alloc_at), so that leak reports name the wrapper's caller.
 *
 * Context: as heap_alloc.
 * Return: as heap_alloc.
 */
void *heap_alloc_from(struct heap *h, size_t size, size_t align, const void *caller);

/**
 * heap_alloc_zeroed() - heap_alloc_from(), then clear the payload.
 * @h: as heap_alloc.
 * @size: as heap_alloc.
 * @align: as heap_alloc.
 * @caller: as heap_alloc_from.
 *
 * Clears heap_usable_size() bytes (in HEAP_F_DEBUG mode the requested size: the poison
 * after it stays) except the bytes the heap knows to be zero (fresh from the grow hook or
 * from reuse: see struct heap_trim's zeroed).
 *
 * Context: as heap_alloc; the clearing runs inside the call, under the caller's lock.
 * Return: as heap_alloc; a block returned reads as zero over heap_usable_size() bytes.
 */
void *heap_alloc_zeroed(struct heap *h, size_t size, size_t align, const void *caller);

/**
 * heap_free() - return @p's block to @h, merging it with free neighbours.
 * @h: the heap @p came from.
 * @p: a live block of @h (from heap_alloc*() or heap_realloc()), or NULL: a no-op.
 *
 * Panics on misuse and corruption (see the top of this file), naming heap_free:
 * "heap_free: invalid pointer 0x... (outside the heap [0x..., 0x...))" or "(not a block
 * start)", "heap_free: double free of 0x... (size N)" (a header a merge swallowed still
 * says so), "heap_free: corrupted block header at 0x... (canary overwritten: ...)" for @p's
 * or its successor's, "heap_free: corrupted free block before 0x... (footer N)", "heap_free:
 * use after free detected in block 0x... (free-list links overwritten: ...)", and in
 * HEAP_F_DEBUG mode a write past the requested size ("heap_free: buffer overflow detected
 * in block 0x... (byte N written, M requested)", "... debug trailer overwritten ...") or
 * into free memory it is about to release; "heap_free: heap corrupted: block header at 0x...
 * overwritten (...), reached while checking 0x..." for a broken block met on the way. The
 * checks on @p, its neighbours and their links come before anything changes; a corrupted
 * free block met while finding @p's place in the list, or (HEAP_F_DEBUG) poison found in
 * pages about to be released, panics after @p's block was already written free. Once a merge has
 * put a freed block's header into released pages, a second free of it may fault (kernel: the page
 * is unmapped) or be reported as an invalid pointer rather than a double free.
 *
 * Context: serialised by the caller; takes no lock (callable from an interrupt handler
 * when the caller's lock masks interrupts); calls the release hook when giving back is on
 * and the merged block's resident free pages reach the threshold, or the free joins two
 * released ranges (the pages between them are released too); no other hook.
 */
void heap_free(struct heap *h, void *p);

/**
 * heap_dealloc() - GlobalAlloc-style free: heap_free(), after checking the layout.
 * @h: the heap @p came from.
 * @p: a live block of @h, or NULL: a no-op (nothing is checked).
 * @size: the size @p was allocated (or last reallocated) with.
 * @align: the alignment @p was allocated with.
 *
 * Panics "heap_dealloc: layout { size: N, align: A } does not match the block at 0x...
 * (U usable bytes)" when the block could not have been allocated with that layout (size
 * larger than the block, @align not a power of two, @p not aligned to @align); a pointer that
 * is no live block panics naming heap_dealloc ("heap_dealloc: invalid pointer ...",
 * "heap_dealloc: double free of 0x..."); then it is heap_free, whose own checks (corruption
 * around the block, in HEAP_F_DEBUG mode an overflow) name heap_free.
 *
 * Context: as heap_free.
 */
void heap_dealloc(struct heap *h, void *p, size_t size, size_t align);

/**
 * heap_layout_check() - panic unless @p is a live block that fits layout { @size, @align }.
 * @h: the heap.
 * @p: the pointer to check (NULL panics as a pointer outside the heap).
 * @size: the layout's size: at most the block's payload room (heap_usable_size() outside
 *        HEAP_F_DEBUG mode; in debug mode the room, not the requested size, is checked).
 * @align: the layout's alignment: a power of two that @p is aligned to.
 * @fn: the function the panic messages name (the caller).
 *
 * Could @p have been allocated with that layout? The check heap_dealloc makes, for callers
 * that take a layout elsewhere (a GlobalAlloc realloc: kernel/kheap.c's). Panics "<fn>: layout {
 * size: N, align: A } does not match the block at 0x... (U usable bytes)"; a pointer that is no
 * live block panics as in heap_free, named @fn ("<fn>: invalid pointer ...", "<fn>: use after free
 * of ..." -- "double free of" when @fn is heap_free or heap_dealloc).
 *
 * Context: serialised by the caller; takes no lock; reads only, calls no hook.
 */
void heap_layout_check(const struct heap *h, const void *p, size_t size, size_t align,
                       const char *fn);

/**
 * heap_realloc() - C realloc: resize @p's block to @new_size bytes aligned to @align.
 * @h: the heap @p came from.
 * @p: a live block of @h, or NULL: heap_alloc(@h, @new_size, @align).
 * @new_size: bytes wanted, at most HEAP_MAX_REQUEST; 0 shrinks @p to a minimum-size block
 *            (it does not free @p).
 * @align: a power of two in [1, HEAP_MAX_ALIGN]: the result's alignment.
 *
 * The pointer checks come first and panic whatever @new_size and @align are
 * ("heap_realloc: invalid pointer ...", "heap_realloc: use after free of 0x..."); in
 * HEAP_F_DEBUG mode a write past the requested size panics too, unless the call already
 * returned NULL for a bad @align or an oversized @new_size. A move panics as heap_alloc and
 * heap_free do, under their names. When @p is aligned to @align, shrinks in place returning the
 * tail (when it can form or join a free block), or grows in place into a following free block (or
 * into new memory when @p's block is the last one); it moves (first-fit allocate, copy the old
 * contents up to @new_size, free @p) only when it must. In HEAP_F_DEBUG mode the block keeps
 * the caller recorded when it was first allocated.
 *
 * Context: as heap_alloc; may also call the release hook (a shrink's tail, or @p's block
 * freed after a move).
 * Return: the block (@p when resized in place; when moved, @p is freed), or NULL on
 * failure (bad align, oversized request, no memory, the reuse hook refused), and then @p
 * is untouched and still valid.
 */
void *heap_realloc(struct heap *h, void *p, size_t new_size, size_t align);

/**
 * heap_usable_size() - the bytes the caller may use at @p.
 * @h: the heap @p came from.
 * @p: a live block of @h.
 *
 * Panics if @p is not a live block ("heap_usable_size: invalid pointer ...",
 * "heap_usable_size: use after free of 0x... (size N)").
 *
 * Context: serialised by the caller; takes no lock; reads only.
 * Return: at least the size requested (the block's payload); exactly that in HEAP_F_DEBUG
 * mode (0 for a request of 0; a write past it is reported when the block is freed,
 * reallocated or checked).
 */
size_t heap_usable_size(const struct heap *h, const void *p);

/**
 * heap_check() - verify every invariant of @h, or panic naming the first violation.
 * @h: the heap.
 *
 * Checks the tiling, merging, the address-ordered list (under HEAP_F_GOOD_FIT: the class
 * lists and their bitmaps), the index against the list, canaries, released ranges, the
 * zero fresh zone, statistics, and poison in debug mode; panics "heap_check: <what>
 * (values)", naming the block's address where there is one, on a violation. Reads only (never a
 * released page). Linear in the blocks (in HEAP_F_DEBUG mode, in the free bytes too: it reads all
 * the poison).
 *
 * Context: serialised by the caller; takes no lock; calls no hook; linear time (not for an
 * interrupt handler on a big heap).
 */
void heap_check(const struct heap *h);

/**
 * heap_get_stats() - fill in @out with @h's statistics (struct heap_stats).
 * @h: the heap.
 * @out: every field is written.
 *
 * The counters are kept as the heap runs; largest_free is the index's root and the tail
 * block (O(1)), a walk of the free list without the index, a walk of the largest size
 * class's list under HEAP_F_GOOD_FIT.
 *
 * Context: serialised by the caller; takes no lock; reads only.
 */
void heap_get_stats(const struct heap *h, struct heap_stats *out);

/**
 * heap_dump() - kprintf a summary line, then one line per block (address, size, state).
 * @h: the heap.
 *
 * A free block's line also shows its released range. A block whose canary does not match
 * is shown as BAD-CANARY and ends the dump (so does a size below the minimum block): it
 * never panics, for use on a heap that is already corrupted.
 *
 * Context: serialised by the caller; takes no lock; prints through kprintf (linear in the
 * blocks).
 */
void heap_dump(const struct heap *h);

/**
 * heap_leak_report() - kprintf each live block, then the count.
 * @h: the heap.
 *
 * One line per live block ("heap: live block 0x... size N", the usable size; in debug mode
 * also the requested size and the caller), then "heap: N live blocks". Stops, saying so, at
 * a corrupted header instead of panicking.
 *
 * Context: as heap_dump.
 * Return: the number of live blocks (those before a corrupted header, if it met one).
 */
size_t heap_leak_report(const struct heap *h);

/**
 * heap_contains() - whether @p lies inside @h's current region.
 * @h: the heap.
 * @p: any pointer.
 *
 * Says nothing about block starts: for a host that runs several heaps and must hand a
 * pointer back to the one it came from.
 *
 * Context: any; takes no lock; reads two words.
 * Return: true if base <= @p < end (the end sentinel included), else false.
 */
bool heap_contains(const struct heap *h, const void *p);

#endif
