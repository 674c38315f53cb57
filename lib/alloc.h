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
 * grows, "vmm" then "pmm" (kernel/kheap.h, kernel/kmem.h); the Dummy takes none. It must not be
 * called with one of those locks held.
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

/* Checked constructor, like Rust's Layout::from_size_align. E_INVAL when align is not
 * a power of two, E_RANGE when size rounded up to align overflows. *out is written
 * only on E_OK. A size of 0 is a valid layout (allocating it is not: see below). Context: any;
 * pure. */
err_t layout_new(size_t size, size_t align, struct layout *out);

/* The layout of an array of n elements of elem_size bytes: layout_new(elem_size * n,
 * align) with the multiplication overflow-checked (E_RANGE). Context: any; pure. */
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
 *  - alloc_zeroed(l): optional (NULL: alloc + memset).
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
    void *(*alloc_zeroed)(void *self, struct layout l);
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

/* Dispatch to a's ops, filling in the defaults for missing optional ops. Misuse
 * panics: a zero-size layout ("allocator_alloc: zero-size layout ..."), an invalid
 * layout, dealloc of NULL. allocator_realloc returns NULL (p intact) when new_size
 * rounded up to old.align overflows. Context: allocating, as a's functions (see the top of this
 * file). */
void *allocator_alloc(const struct allocator *a, struct layout l);
/* allocator_alloc recording `caller` (through alloc_at when a has it). Context: allocating, as a's
 * functions (see the top of this file). */
void *allocator_alloc_at(const struct allocator *a, struct layout l, const void *caller);
/* Context: allocating, as a's functions (see the top of this file). */
void allocator_dealloc(const struct allocator *a, void *p, struct layout l);
/* Context: allocating, as a's functions (see the top of this file). */
void *allocator_alloc_zeroed(const struct allocator *a, struct layout l);
/* Context: allocating, as a's functions (see the top of this file). */
void *allocator_realloc(const struct allocator *a, void *p, struct layout old, size_t new_size);

/* blog_os's Dummy: alloc (and so alloc_zeroed and realloc) always returns NULL; dealloc
 * panics "dummy_dealloc: dealloc should never be called (ptr 0x..., size N, align A)". */
extern const struct allocator dummy_allocator;

/* ---- the global allocator ------------------------------------------------------------ */

/* Installs the global allocator (NULL: back to dummy_allocator, the initial one). It
 * may be replaced, but blocks must go back to the allocator they came from: replace it
 * only while nothing allocated from the old one is live (boot: Dummy -> kernel heap;
 * host tests: one per test case). Context: boot, before interrupts are enabled; takes no lock. */
void alloc_set_global(const struct allocator *a);
/* The installed global allocator; never NULL. Context: any; takes no lock. */
const struct allocator *alloc_global(void);

/* allocator_*() on the global allocator; same contracts and panics. Context: allocating (see the
 * top of this file). */
void *galloc(struct layout l); /* records its own caller */
/* Context: allocating (see the top of this file). */
void *galloc_at(struct layout l, const void *caller);
/* Context: allocating (see the top of this file). */
void gdealloc(void *p, struct layout l);
/* Context: allocating (see the top of this file). */
void *galloc_zeroed(struct layout l);
/* Context: allocating (see the top of this file). */
void *grealloc(void *p, struct layout old, size_t new_size);

/* ---- allocation failure -------------------------------------------------------------- */

/* An alloc-failure handler. It should not return (panic, or halt after reporting);
 * if it does, handle_alloc_error panics. */
typedef void (*alloc_error_handler_fn)(struct layout l);

/*
 * Installs the alloc-failure handler. Set once: the first handler installed is kept;
 * a later call returns E_EXISTS and changes nothing. E_INVAL for NULL.
 * Context: boot; takes no lock.
 */
err_t alloc_set_error_handler(alloc_error_handler_fn h);
/* True once a handler has been installed. Context: any; takes no lock. */
bool alloc_error_handler_installed(void);

/* The handler used while none is installed: panics with exactly
 * "allocation error: Layout { size: 4, align: 4 }" (the layout's values). Context: any (it panics);
 * takes no lock. */
noreturn void alloc_default_error_handler(struct layout l);

/* Reports that allocating l failed where failure cannot be handled: runs the installed
 * handler (or the default). If the installed handler returns, panics with
 * "handle_alloc_error: alloc error handler returned (Layout { size: N, align: A })". Context: any,
 * but not with an allocator's lock held (the handler runs as is). */
noreturn void handle_alloc_error(struct layout l);

/* The infallible allocation: galloc(l), or handle_alloc_error(l) when it fails. Context: allocating
 * (see the top of this file). */
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

/* A block of size bytes, uninitialised; NULL when out of memory or size is too large. Context:
 * allocating (see the top of this file). */
void *kmalloc(size_t size);
/* kmalloc, zero-filled. Context: allocating (see the top of this file). */
void *kzalloc(size_t size);
/* A zero-filled array of n elements of size bytes; NULL (the allocator not called)
 * when n * size overflows. Context: allocating (see the top of this file). */
void *kcalloc(size_t n, size_t size);
/*
 * Resizes p (from kmalloc & co.) to new_size bytes, keeping the first
 * min(old, new_size) bytes. krealloc(NULL, n) is kmalloc(n); krealloc(p, 0) resizes to
 * zero usable bytes, like kmalloc(0) (p is not freed). On failure returns NULL and p is
 * untouched and still valid.
 * Context: allocating (see the top of this file).
 */
void *krealloc(void *p, size_t new_size);
/* Frees p (from kmalloc & co.); kfree(NULL) does nothing. Panics for a pointer kmalloc
 * did not return: the allocator's own message (the heap: "heap_dealloc: invalid pointer
 * ..." or "double free ..."), or without usable_size "kfree: bad block header at 0x..."
 * (best effort: a corrupted or already freed header is usually caught). Context:
 * allocating (see the top of this file). */
void kfree(void *p);
/**
 * kmalloc_size() - the bytes usable at @p, as malloc_usable_size() says for C's malloc.
 * @p: a pointer kmalloc/kzalloc/kcalloc/krealloc returned, not yet freed.
 *
 * Kept for users of kmalloc: a caller growing a buffer can use the slack before calling
 * krealloc.
 *
 * Return: at least the size @p was allocated (or last krealloc'ed) with: the allocator's
 * usable size when it tells it (the heap does), else exactly that size.
 * Context: allocating (see the top of this file).
 */
size_t kmalloc_size(const void *p);

#endif
