/* SPDX-License-Identifier: MIT */
/*
 * lib/alloc.h - the allocator interface: the C analogue of Rust's GlobalAlloc and
 * alloc::alloc, plus kmalloc/kfree with C conventions on top.
 *
 * Four layers, each built on the one above it:
 *
 *   struct layout      { size, align }, made by a checked constructor.
 *   struct allocator   a small vtable (alloc, dealloc, optional alloc_zeroed and
 *                      realloc). allocator_*() dispatch to it and supply the defaults.
 *   the global         one installed allocator (the kernel heap; the Dummy until then);
 *                      galloc/gdealloc/galloc_zeroed/grealloc go through it.
 *   kmalloc & co.      size-only C API: NULL on failure, 16-byte alignment, kfree(p)
 *                      without a size.
 *
 * Fallible calls return NULL and leave everything as it was. Code that cannot handle
 * failure (the collections in lib/) calls handle_alloc_error(layout), which runs the
 * installed alloc-failure handler and never returns.
 *
 * Pure C: no arch/ code, no libc. The same file builds into the kernel and host tests.
 *
 * Context lines: "allocating" means it may run anywhere, interrupt handlers included, and
 * takes the locks of the allocator it reaches: the kernel heap takes "kheap", and when it
 * maps or unmaps pages (it grows, gives free pages back or takes them back), "vmm" then
 * "pmm" under it (kernel/kheap.h, kernel/kmem.h); the Dummy takes none. It must not be
 * called with one of those locks held (so not from a heap hook).
 */
#ifndef MBHEAP_LIB_ALLOC_H
#define MBHEAP_LIB_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "lib/error.h"

/* ---- layouts ------------------------------------------------------------------------- */

/* The size and alignment of a block. A valid layout has align a power of two and
 * size <= SIZE_MAX - (align - 1) (rounding size up to align cannot overflow). */
struct layout {
    size_t size;
    size_t align;
};

/**
 * layout_new() - a checked layout { @size, @align }, like Rust's Layout::from_size_align.
 * @size: the size in bytes; 0 is a valid layout (allocating it is not: see below).
 * @align: the alignment: a power of two.
 * @out: where the layout goes; written only on E_OK.
 *
 * Context: any; pure, takes no lock.
 * Return: E_OK; E_INVAL when @align is not a power of two; E_RANGE when @size rounded up
 * to @align overflows.
 */
err_t layout_new(size_t size, size_t align, struct layout *out);

/**
 * layout_array() - the layout of an array of @n elements of @elem_size bytes.
 * @elem_size: the size of one element.
 * @n: the number of elements.
 * @align: the alignment: a power of two.
 * @out: where the layout goes; written only on E_OK.
 *
 * layout_new(@elem_size * @n, @align) with the multiplication overflow-checked.
 *
 * Context: any; pure, takes no lock.
 * Return: E_OK; E_INVAL when @align is not a power of two; E_RANGE when @elem_size * @n
 * overflows, or the product rounded up to @align does.
 */
err_t layout_array(size_t elem_size, size_t n, size_t align, struct layout *out);

/* The layout of one object of a complete type; always valid. */
#define LAYOUT_OF(type) ((struct layout){sizeof(type), _Alignof(type)})

/* ---- allocators ---------------------------------------------------------------------- */

/*
 * An allocator. Every op receives `self` as its first argument. The contract, as for
 * GlobalAlloc:
 *  - alloc(l): a block of at least l.size bytes aligned to l.align, or NULL. Never
 *    called with l.size == 0.
 *  - dealloc(p, l): p came from this allocator with exactly layout l (for a realloc'ed
 *    block: l.align and the new size). Never called with NULL.
 *  - alloc_zeroed(l, caller): optional (NULL: alloc_at or alloc, then memset); caller is
 *    as alloc_at's (an allocator that records no callers ignores it).
 *  - realloc(p, old, new_size): optional (NULL: alloc new, copy min(old, new) bytes,
 *    dealloc old). Returns a block of new_size bytes aligned to old.align holding the
 *    first min(old.size, new_size) bytes of p, or NULL with p untouched and still
 *    owned by the caller. Never called with new_size == 0.
 * An allocator does its own locking.
 */
struct allocator {
    const char *name;
    void *(*alloc)(void *self, struct layout l);
    void (*dealloc)(void *self, void *p, struct layout l);
    void *(*alloc_zeroed)(void *self, struct layout l, const void *caller);
    void *(*realloc)(void *self, void *p, struct layout old, size_t new_size);
    void *self;
    /* Optional: alloc that also records `caller`, the code that asked (a return address,
     * shown by leak reports). NULL: alloc is used and the caller is not recorded. */
    void *(*alloc_at)(void *self, struct layout l, const void *caller);
    /* Optional: the bytes usable at p, a live block of this allocator (misuse panics);
     * dealloc then accepts the layout { usable_size(p), its alignment }. kmalloc uses it
     * to need no header of its own. NULL: the allocator does not know block sizes. */
    size_t (*usable_size)(void *self, const void *p);
};

/*
 * allocator_*() dispatch to a's ops, filling in the defaults for missing optional ops.
 * Misuse panics, naming the function: a zero-size layout ("allocator_alloc: zero-size
 * layout (align A)"), an invalid layout ("allocator_alloc: invalid layout (size N, align
 * A)"), a NULL pointer to dealloc or realloc.
 */

/**
 * allocator_alloc() - a block of layout @l from @a.
 * @a: the allocator.
 * @l: a valid layout of non-zero size (else it panics, see above).
 *
 * Context: allocating, as @a's functions (see the top of this file).
 * Return: a block of at least @l.size bytes aligned to @l.align, or NULL when @a has none.
 */
void *allocator_alloc(const struct allocator *a, struct layout l);
/**
 * allocator_alloc_at() - allocator_alloc(), recording @caller.
 * @a: the allocator.
 * @l: as allocator_alloc (its panics say "allocator_alloc: ...": the same operation).
 * @caller: the code that asked (a return address); passed to @a's alloc_at when it has one
 *          (leak reports show it), else @a's alloc is used and it is not recorded.
 *
 * Context: allocating, as @a's functions (see the top of this file).
 * Return: as allocator_alloc.
 */
void *allocator_alloc_at(const struct allocator *a, struct layout l, const void *caller);
/**
 * allocator_dealloc() - give @p back to @a.
 * @a: the allocator @p came from.
 * @p: the block; NULL panics ("allocator_dealloc: NULL pointer (size N, align A)").
 * @l: exactly the layout @p was allocated with (for a realloc'ed block: its alignment and
 *     the new size); a zero-size or invalid one panics (see above).
 *
 * The allocator checks the rest itself (the kernel heap: "heap_dealloc: ..." for a pointer
 * that is no live block, then heap_free's own checks, named heap_free).
 *
 * Context: allocating, as @a's functions (see the top of this file).
 */
void allocator_dealloc(const struct allocator *a, void *p, struct layout l);
/**
 * allocator_alloc_zeroed() - allocator_alloc(), zero-filled.
 * @a: the allocator.
 * @l: as allocator_alloc.
 *
 * @a's alloc_zeroed when it has one, else its alloc_at (or alloc) and a memset of @l.size
 * bytes; alloc_zeroed and alloc_at are told the caller of allocator_alloc_zeroed (its
 * return address), plain alloc records none.
 *
 * Context: allocating, as @a's functions (see the top of this file).
 * Return: a block as allocator_alloc's whose first @l.size bytes read as zero, or NULL.
 */
void *allocator_alloc_zeroed(const struct allocator *a, struct layout l);
/**
 * allocator_realloc() - resize @p, a block of layout @old, to @new_size bytes.
 * @a: the allocator @p came from.
 * @p: the block; NULL panics ("allocator_realloc: NULL pointer (size N, align A)").
 * @old: exactly the layout @p has; a zero-size or invalid one panics (see above).
 * @new_size: the new size; 0 panics ("allocator_realloc: zero new size (old size N, align
 *            A)").
 *
 * @a's realloc when it has one, else alloc of { @new_size, @old.align }, a copy of
 * min(@old.size, @new_size) bytes and dealloc of @p.
 *
 * Context: allocating, as @a's functions (see the top of this file).
 * Return: a block of @new_size bytes aligned to @old.align holding the first
 * min(@old.size, @new_size) bytes of @p (which the caller then no longer owns, unless it is
 * the same pointer); or NULL, with @p untouched and still owned by the caller, when
 * @new_size rounded up to @old.align overflows or @a has no memory.
 */
void *allocator_realloc(const struct allocator *a, void *p, struct layout old, size_t new_size);

/* blog_os's Dummy: alloc (and so alloc_zeroed and realloc) always returns NULL; dealloc
 * panics "dummy_dealloc: dealloc should never be called (ptr 0x..., size N, align A)". */
extern const struct allocator dummy_allocator;

/* ---- the global allocator ------------------------------------------------------------ */

/**
 * alloc_set_global() - install the global allocator.
 * @a: the allocator, or NULL: back to dummy_allocator, the initial one.
 *
 * It may be replaced, but blocks must go back to the allocator they came from: replace it
 * only while nothing allocated from the old one is live (boot: Dummy -> kernel heap; host
 * tests: one per test case).
 *
 * Context: boot, before interrupts are enabled (host tests: between cases); takes no lock
 * (a plain variable: nothing may allocate meanwhile).
 */
void alloc_set_global(const struct allocator *a);
/**
 * alloc_global() - the installed global allocator.
 *
 * Context: any; takes no lock.
 * Return: the allocator alloc_set_global installed last, dummy_allocator before; never NULL.
 */
const struct allocator *alloc_global(void);

/*
 * g*(): allocator_*() on the global allocator; the same contracts and panics (the
 * messages name allocator_*).
 */

/**
 * galloc() - allocator_alloc() on the global allocator, recording its own caller.
 * @l: a valid layout of non-zero size.
 *
 * As galloc_at(@l, galloc's return address): leak reports name the code that called galloc.
 *
 * Context: allocating (see the top of this file).
 * Return: as allocator_alloc: the block, or NULL.
 */
void *galloc(struct layout l);
/**
 * galloc_at() - allocator_alloc_at() on the global allocator.
 * @l: a valid layout of non-zero size.
 * @caller: the code that asked (a return address), recorded when the allocator can.
 *
 * Context: allocating (see the top of this file).
 * Return: as allocator_alloc: the block, or NULL.
 */
void *galloc_at(struct layout l, const void *caller);
/**
 * gdealloc() - allocator_dealloc() on the global allocator.
 * @p: a block from the global allocator (non-NULL).
 * @l: exactly its layout.
 *
 * Context: allocating (see the top of this file).
 */
void gdealloc(void *p, struct layout l);
/**
 * galloc_zeroed() - allocator_alloc_zeroed() on the global allocator.
 * @l: a valid layout of non-zero size.
 *
 * The allocator is told the caller of galloc_zeroed (its return address), as galloc does.
 *
 * Context: allocating (see the top of this file).
 * Return: as allocator_alloc_zeroed: a zero-filled block, or NULL.
 */
void *galloc_zeroed(struct layout l);
/**
 * grealloc() - allocator_realloc() on the global allocator.
 * @p: a block from the global allocator (non-NULL).
 * @old: exactly its layout.
 * @new_size: the new size, non-zero.
 *
 * Context: allocating (see the top of this file).
 * Return: as allocator_realloc: the resized block, or NULL with @p untouched.
 */
void *grealloc(void *p, struct layout old, size_t new_size);

/* ---- allocation failure -------------------------------------------------------------- */

/* An alloc-failure handler. It should not return (panic, or halt after reporting);
 * if it does, handle_alloc_error panics. */
typedef void (*alloc_error_handler_fn)(struct layout l);

/**
 * alloc_set_error_handler() - install the alloc-failure handler, once.
 * @h: the handler (non-NULL).
 *
 * Set once: the first handler installed is kept; a later call (even with the same
 * handler) changes nothing.
 *
 * Context: boot; takes no lock (a plain variable).
 * Return: E_OK when installed; E_EXISTS when a handler is installed already; E_INVAL for
 * a NULL @h.
 */
err_t alloc_set_error_handler(alloc_error_handler_fn h);
/**
 * alloc_error_handler_installed() - whether a handler has been installed.
 *
 * Context: any; takes no lock.
 * Return: true once alloc_set_error_handler succeeded (it stays installed), else false.
 */
bool alloc_error_handler_installed(void);

/**
 * alloc_default_error_handler() - the handler used while none is installed: panic.
 * @l: the layout whose allocation failed.
 *
 * Panics "allocation error: Layout { size: N, align: A }" with @l's values (e.g. "Layout {
 * size: 4, align: 4 }", as Rust's handle_alloc_error prints it); never returns.
 *
 * Context: any (it panics); takes no lock.
 */
noreturn void alloc_default_error_handler(struct layout l);

/**
 * handle_alloc_error() - report that allocating @l failed where failure cannot be handled.
 * @l: the layout whose allocation failed.
 *
 * Runs the installed handler (or the default). If the installed handler returns, panics
 * with "handle_alloc_error: alloc error handler returned (Layout { size: N, align: A })".
 * Never returns.
 *
 * Context: any, but not with an allocator's lock held (the handler runs as is; the kernel
 * heap returns NULL only after it unlocked, so a failed galloc may be followed by this).
 */
noreturn void handle_alloc_error(struct layout l);

/**
 * alloc_or_die() - the infallible allocation: galloc(@l), or handle_alloc_error(@l).
 * @l: a valid layout of non-zero size (else it panics as galloc).
 *
 * Records its own caller, as galloc does. The handler runs after the allocator returned,
 * outside its lock.
 *
 * Context: allocating (see the top of this file).
 * Return: the block; never NULL.
 */
void *alloc_or_die(struct layout l);

/* ---- kmalloc: the C convention -------------------------------------------------------- */

/*
 * kmalloc & co. take a size only and return NULL on failure; results are aligned to
 * KMALLOC_ALIGN (16: max_align_t).
 *
 * Design: kfree() must rebuild the layout dealloc needs. When the global allocator
 * answers a block's size (its usable_size op: the kernel heap does, from its own block
 * header), kmalloc asks it and adds nothing: kmalloc(40) takes the heap's 64-byte block
 * (16-byte header + 40, rounded), and the heap's own checks catch a kfree of a pointer
 * it never returned. Over an allocator that cannot tell (usable_size NULL), each block
 * carries a 16-byte header recording the requested size and a check word derived from
 * it and its address, which turns such a kfree into a panic too.
 *
 * kmalloc(0) returns a unique, non-NULL pointer to zero usable bytes (NULL only when
 * out of memory), which must be kfree'd like any other block: NULL always means failure.
 */
#define KMALLOC_ALIGN 16

/**
 * kmalloc() - a block of @size bytes, uninitialised.
 * @size: bytes wanted; 0 gives a unique pointer to zero usable bytes.
 *
 * Records its own caller (leak reports name the code that called kmalloc).
 *
 * Context: allocating (see the top of this file).
 * Return: the block, KMALLOC_ALIGN-aligned; NULL when out of memory or @size is too large
 * (its layout overflows, or the allocator refuses it: the kernel heap above
 * HEAP_MAX_REQUEST).
 */
void *kmalloc(size_t size);
/**
 * kzalloc() - kmalloc(), zero-filled.
 * @size: as kmalloc.
 *
 * Through the global allocator's alloc_zeroed when it has one (the kernel heap clears only
 * what it does not know to be zero), else kmalloc and a memset; either way the allocator
 * records the caller of kzalloc, as kmalloc's.
 *
 * Context: allocating (see the top of this file).
 * Return: as kmalloc; the block reads as zero.
 */
void *kzalloc(size_t size);
/**
 * kcalloc() - a zero-filled array of @n elements of @size bytes.
 * @n: the number of elements.
 * @size: the size of one element.
 *
 * kzalloc(@n * @size) with the multiplication overflow-checked.
 *
 * Context: allocating (see the top of this file).
 * Return: as kzalloc; NULL (the allocator not called) when @n * @size overflows.
 */
void *kcalloc(size_t n, size_t size);
/**
 * krealloc() - resize @p to @new_size bytes, keeping the first min(old, @new_size) bytes.
 * @p: a block from kmalloc & co., or NULL: kmalloc(@new_size).
 * @new_size: the new size; 0 resizes to zero usable bytes, like kmalloc(0) (@p is not
 *            freed).
 *
 * A pointer kmalloc did not return panics as in kfree (named krealloc when the header
 * check catches it).
 *
 * Context: allocating (see the top of this file).
 * Return: the block (@p, or a new one and @p freed), or NULL on failure (out of memory,
 * @new_size too large), and then @p is untouched and still valid.
 */
void *krealloc(void *p, size_t new_size);
/**
 * kfree() - free @p, a block from kmalloc & co.
 * @p: the block, or NULL: nothing happens.
 *
 * Panics for a pointer kmalloc did not return: the allocator's own message (the kernel
 * heap asks its usable size first: "heap_usable_size: invalid pointer ..." or, for a block
 * already freed, "heap_usable_size: use after free of ..."), or without usable_size
 * "kfree: pointer 0x... is not 16-aligned: not from kmalloc" / "kfree: bad block header at
 * 0x... (...): not from kmalloc, corrupted or freed" (best effort: a corrupted or already
 * freed header is usually caught).
 *
 * Context: allocating (see the top of this file).
 */
void kfree(void *p);
/**
 * kmalloc_size() - the bytes usable at @p, as malloc_usable_size() says for C's malloc.
 * @p: a pointer kmalloc/kzalloc/kcalloc/krealloc returned, not yet freed.
 *
 * Kept for users of kmalloc: a caller growing a buffer can use the slack before calling
 * krealloc.
 *
 * Context: any, interrupt handlers included: it never allocates; over an allocator with
 * usable_size it takes that allocator's lock for the lookup (the kernel heap: "kheap"),
 * else none (kmalloc's own header is read).
 * Return: at least the size @p was allocated (or last krealloc'ed) with: the allocator's
 * usable size when it tells it (the heap does), else exactly that size.
 */
size_t kmalloc_size(const void *p);

#endif
