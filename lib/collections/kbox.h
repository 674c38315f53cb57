/* SPDX-License-Identifier: MIT */
/*
 * lib/collections/kbox.h - one heap object with a single owner over the global allocator (Rust's
 * Box<T>). Header-only: each function is a few lines over lib/alloc.h.
 *
 * A box is a plain pointer; its owner frees it with kbox_drop() and the same size and
 * alignment (KBOX_DROP(p) computes them from p's type). Nothing runs on drop: an
 * object that owns memory releases it before being dropped.
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

/* Allocates size bytes aligned to align and copies size bytes from init into them
 * (zero-fills when init is NULL). E_INVAL for size 0 or align not a power of two,
 * E_RANGE for a size that cannot be a layout or exceeds PTRDIFF_MAX, E_NOMEM when the allocator
 * fails; *out is written only on E_OK. */
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

/* kbox_try_new that cannot fail: an invalid size/align panics, out of memory calls
 * handle_alloc_error() with the box's layout (under the Dummy allocator, a box of an
 * int ends in "allocation error: Layout { size: 4, align: 4 }"). */
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

/* Frees a box made with this size and align. */
static inline void kbox_drop(void *p, size_t size, size_t align)
{
    gdealloc(p, (struct layout){size, align});
}

/* A box of one `type` initialised from the initialiser list: KBOX_NEW(int, 42). */
#define KBOX_NEW(type, ...) ((type *)kbox_new(sizeof(type), _Alignof(type), &(type){__VA_ARGS__}))
/* kbox_try_new for one `type`: err_t e = KBOX_TRY_NEW(int, &p, 42); */
#define KBOX_TRY_NEW(type, out, ...)                                                               \
    kbox_try_new(sizeof(type), _Alignof(type), &(type){__VA_ARGS__}, (void **)(out))
/* Frees the box p, taking size and alignment from its type. */
#define KBOX_DROP(p) kbox_drop((p), sizeof(*(p)), _Alignof(__typeof__(*(p))))

#endif
