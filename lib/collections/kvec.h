/* SPDX-License-Identifier: MIT */
/*
 * lib/collections/kvec.h - a growable array of fixed-size elements over the global allocator
 * (Rust's Vec<T>, with T described at run time by its size and alignment).
 *
 * Elements are plain bytes: they are copied in and out with memcpy and nothing runs
 * when they are removed or the vec is dropped. Capacity grows like Rust's RawVec: to
 * max(2 * capacity, needed), and at least 8 elements for 1-byte elements, 4 up to 1 KiB,
 * 1 above (0 -> 4 -> 8 -> 16 ... for an int). Growth and shrinking go through the
 * allocator's realloc. An empty vec (capacity 0) owns no memory.
 *
 * Every growing operation comes in two kinds: kvec_try_*() returns E_NOMEM (allocation
 * failed) or E_RANGE (capacity overflow) and leaves the vec untouched; the plain one
 * calls handle_alloc_error() with the layout that failed (and panics on capacity
 * overflow). Misuse (index out of bounds, uninitialised vec) panics.
 *
 * Not thread-safe: a vec has one owner.
 */
#ifndef MBHEAP_LIB_COLLECTIONS_KVEC_H
#define MBHEAP_LIB_COLLECTIONS_KVEC_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

struct kvec {
    void *data; /* NULL while cap == 0 */
    size_t len, cap;
    size_t elem_size, elem_align;
};

/* A static initialiser for an empty vec of `type`. */
#define KVEC_INIT(type)                                                                            \
    {                                                                                              \
        NULL, 0, 0, sizeof(type), _Alignof(type)                                                   \
    }

/* Makes v an empty vec of elements of elem_size bytes aligned to elem_align. Panics
 * unless elem_size > 0, elem_align is a power of two and divides elem_size. */
void kvec_init(struct kvec *v, size_t elem_size, size_t elem_align);

static inline size_t kvec_len(const struct kvec *v)
{
    return v->len;
}
static inline size_t kvec_capacity(const struct kvec *v)
{
    return v->cap;
}
static inline bool kvec_is_empty(const struct kvec *v)
{
    return v->len == 0;
}
/* The elements, contiguous; NULL when the capacity is 0. Valid until the next growing
 * or shrinking call. */
static inline void *kvec_data(const struct kvec *v)
{
    return v->data;
}

/* Appends a copy of the element at elem (which may point into v itself). Amortised
 * O(1). */
void kvec_push(struct kvec *v, const void *elem);
err_t kvec_try_push(struct kvec *v, const void *elem);

/* Removes the last element, copying it to out unless out is NULL. False when empty. */
bool kvec_pop(struct kvec *v, void *out);

/* The address of element i; panics "kvec_get: index N out of bounds (len L)". */
void *kvec_get(const struct kvec *v, size_t i);
/* Overwrites element i with a copy of elem; panics like kvec_get ("kvec_set: ..."). */
void kvec_set(struct kvec *v, size_t i, const void *elem);

/* Ensures room for at least `additional` more elements, growing amortised like push. */
void kvec_reserve(struct kvec *v, size_t additional);
err_t kvec_try_reserve(struct kvec *v, size_t additional);
/* Ensures room for exactly len + additional elements if it has to grow. */
void kvec_reserve_exact(struct kvec *v, size_t additional);
err_t kvec_try_reserve_exact(struct kvec *v, size_t additional);

/* Shrinks the capacity to the length (to 0, freeing the buffer, when empty). */
void kvec_shrink_to_fit(struct kvec *v);
err_t kvec_try_shrink_to_fit(struct kvec *v);

/* Removes every element; keeps the capacity. */
void kvec_clear(struct kvec *v);
/* Frees the buffer; v is left an empty vec of the same element type, reusable. */
void kvec_drop(struct kvec *v);

/* kvec_push/kvec_get that also panic when elem_size is not the vec's (for the macros). */
void kvec_push_sized(struct kvec *v, const void *elem, size_t elem_size);
void *kvec_get_sized(const struct kvec *v, size_t i, size_t elem_size);

/* Typed helpers: KVEC_PUSH(&v, int, 42); int x = KVEC_AT(&v, int, 0); KVEC_AT(&v, int, 0) = 7; */
#define KVEC_PUSH(v, type, ...) kvec_push_sized((v), &(type){__VA_ARGS__}, sizeof(type))
#define KVEC_AT(v, type, i) (*(type *)kvec_get_sized((v), (i), sizeof(type)))

#endif
