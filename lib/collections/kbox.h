/* SPDX-License-Identifier: MIT */
/*
 * lib/collections/kbox.h - one heap object with a single owner over the global allocator (Rust's
 * Box<T>). Header-only: each function is a few lines over lib/alloc.h.
 *
 * A box is a plain pointer; its owner frees it with kbox_drop() and the same size and
 * alignment (KBOX_DROP(p) computes them from p's type). Nothing runs on drop: an
 * object that owns memory releases it before being dropped.
 *
 * Context lines: "allocating" is lib/alloc.h's word: the call allocates or frees through the
 * global allocator, so it may run anywhere, interrupt handlers included, takes that
 * allocator's locks (in the kernel the heap's "kheap", then "vmm" and "pmm" when the heap maps
 * or unmaps pages) and must not be called with one of them held.
 *
 *   struct point *p = KBOX_NEW(struct point, .x = 1, .y = 2);
 *   int *n = KBOX_NEW(int, 42);
 *   KBOX_DROP(p);
 */
#ifndef MBHEAP_LIB_COLLECTIONS_KBOX_H
#define MBHEAP_LIB_COLLECTIONS_KBOX_H

#include <stddef.h>
#include <stdint.h>

#include "lib/alloc.h"
#include "lib/error.h"
#include "lib/panic.h"
#include "lib/string.h"

/**
 * kbox_try_new() - allocate a box of @size bytes aligned to @align, initialised from @init.
 * @size: the object's size in bytes; > 0 and at most PTRDIFF_MAX.
 * @align: the object's alignment; a power of two.
 * @init: @size bytes copied into the box, or NULL to zero-fill it.
 * @out: where the box goes; written only on E_OK.
 *
 * The fallible form: bad arguments return an error instead of panicking, and nothing is
 * allocated unless the call succeeds. The box comes from galloc(); free it with
 * kbox_drop(@size, @align).
 *
 * Context: allocating (see the top of this file).
 * Return: E_OK with the box in *@out; E_INVAL when @align is not a power of two or @size is
 * 0; E_RANGE when @size rounded up to @align overflows or @size exceeds PTRDIFF_MAX (no C
 * object is larger); E_NOMEM when the allocator fails.
 */
static inline err_t kbox_try_new(size_t size, size_t align, const void *init, void **out)
{
    struct layout l;
    err_t e = layout_new(size, align, &l);
    if (e != E_OK)
        return e;
    if (size == 0)
        return E_INVAL;
    if (size > PTRDIFF_MAX) /* no C object is larger */
        return E_RANGE;
    void *p = galloc(l);
    if (!p)
        return E_NOMEM;
    if (init)
        memcpy(p, init, size);
    else
        memset(p, 0, size);
    *out = p;
    return E_OK;
}

/**
 * kbox_new() - kbox_try_new() that cannot fail.
 * @size: the object's size in bytes; > 0 and at most PTRDIFF_MAX.
 * @align: the object's alignment; a power of two.
 * @init: @size bytes copied into the box, or NULL to zero-fill it.
 *
 * An invalid @size/@align panics "kbox_new: invalid layout (size N, align A): E_..." (the
 * error kbox_try_new() returned). Out of memory calls handle_alloc_error() with the box's
 * layout { @size, @align }, which does not return: under the Dummy allocator with no handler
 * installed, a box of an int ends in "allocation error: Layout { size: 4, align: 4 }".
 *
 * Context: allocating (see the top of this file); the alloc-failure handler runs with no
 * allocator lock held.
 * Return: the box (never NULL); free it with kbox_drop(@size, @align).
 */
static inline void *kbox_new(size_t size, size_t align, const void *init)
{
    void *p = NULL;
    err_t e = kbox_try_new(size, align, init, &p);
    if (e == E_NOMEM)
        handle_alloc_error((struct layout){size, align});
    if (e != E_OK)
        panic("kbox_new: invalid layout (size %zu, align %zu): %s", size, align, err_name(e));
    return p;
}

/**
 * kbox_drop() - free the box @p, made with this @size and @align.
 * @p: a box from kbox_new()/kbox_try_new(), not yet dropped; not NULL.
 * @size: the size it was made with.
 * @align: the alignment it was made with.
 *
 * gdealloc() with the layout { @size, @align }: nothing runs on the object first. Misuse
 * panics in the allocator: a NULL @p ("allocator_dealloc: NULL pointer (size N, align A)",
 * unlike kfree(NULL)), a zero or invalid layout; the kernel heap's own checks also panic on a
 * pointer it did not hand out or a double free (best effort), and on a layout the block could
 * not have been allocated with.
 *
 * Context: allocating (see the top of this file).
 */
static inline void kbox_drop(void *p, size_t size, size_t align)
{
    gdealloc(p, (struct layout){size, align});
}

/* A box of one `type` initialised from the initialiser list: KBOX_NEW(int, 42). kbox_new()
 * underneath: out of memory calls handle_alloc_error(); the result is never NULL. */
#define KBOX_NEW(type, ...) ((type *)kbox_new(sizeof(type), _Alignof(type), &(type){__VA_ARGS__}))
/* kbox_try_new for one `type`: err_t e = KBOX_TRY_NEW(int, &p, 42); (*out only on E_OK) */
#define KBOX_TRY_NEW(type, out, ...)                                                               \
    kbox_try_new(sizeof(type), _Alignof(type), &(type){__VA_ARGS__}, (void **)(out))
/* Frees the box p with kbox_drop(), taking size and alignment from its type (p must have
 * the type the box was made with). */
#define KBOX_DROP(p) kbox_drop((p), sizeof(*(p)), _Alignof(__typeof__(*(p))))

#endif
