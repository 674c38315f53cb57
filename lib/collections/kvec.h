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
 *
 * Context lines: "allocating" is lib/alloc.h's word: the call may allocate or free through
 * the global allocator, so it may run anywhere, interrupt handlers included, takes that
 * allocator's locks (in the kernel the heap's "kheap", then "vmm" and "pmm" when the heap maps
 * or unmaps pages) and must not be called with one of them held. Nothing locks a vec itself:
 * its owner serialises the calls on it (an interrupt handler may use only a vec the code it
 * interrupts cannot be using).
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

/**
 * kvec_init() - make @v an empty vec of elements of @elem_size bytes aligned to @elem_align.
 * @v: the vec; what it held is not freed (kvec_drop() it first).
 * @elem_size: the element size; > 0.
 * @elem_align: the element alignment; a power of two that divides @elem_size.
 *
 * The same as initialising it with KVEC_INIT(type). Panics "kvec_init: invalid element
 * layout (size N, align A)" unless @elem_size > 0, @elem_align is a power of two and divides
 * @elem_size. A zero-filled struct kvec is not initialised: pushing, reserving or shrinking
 * it panics ("kvec_push: vec 0x... not initialised (elem size 0)").
 *
 * Context: any; no allocation, takes no lock.
 */
void kvec_init(struct kvec *v, size_t elem_size, size_t elem_align);

/**
 * kvec_len() - the number of elements in @v.
 * @v: the vec.
 *
 * Context: any; pure, takes no lock.
 * Return: the length.
 */
static inline size_t kvec_len(const struct kvec *v)
{
    return v->len;
}

/**
 * kvec_capacity() - the number of elements @v has room for without growing.
 * @v: the vec.
 *
 * Context: any; pure, takes no lock.
 * Return: the capacity (>= the length); 0 when @v owns no memory.
 */
static inline size_t kvec_capacity(const struct kvec *v)
{
    return v->cap;
}

/**
 * kvec_is_empty() - whether @v has no elements.
 * @v: the vec.
 *
 * Context: any; pure, takes no lock.
 * Return: true when the length is 0 (it may still own memory), else false.
 */
static inline bool kvec_is_empty(const struct kvec *v)
{
    return v->len == 0;
}

/**
 * kvec_data() - the elements of @v, contiguous.
 * @v: the vec.
 *
 * Context: any; pure, takes no lock.
 * Return: the buffer (kvec_len() elements in use), or NULL when the capacity is 0. Valid
 * until the next growing or shrinking call, or kvec_drop().
 */
static inline void *kvec_data(const struct kvec *v)
{
    return v->data;
}

/**
 * kvec_push() - append a copy of the element at @elem to @v.
 * @v: the vec (initialised).
 * @elem: elem_size bytes; may point into @v itself (its offset is kept across the move).
 *
 * Amortised O(1): when full, grows like kvec_reserve(@v, 1). Panics "kvec_push: vec 0x...
 * not initialised (elem size 0)" and, on capacity overflow, "kvec_push: capacity overflow
 * (len L, additional 1, elem size S)"; out of memory calls handle_alloc_error() with the
 * layout of the buffer it asked for, which does not return.
 *
 * Context: allocating (see the top of this file); the alloc-failure handler runs with no
 * allocator lock held.
 */
void kvec_push(struct kvec *v, const void *elem);
/**
 * kvec_try_push() - kvec_push() that returns an error instead of growing failures.
 * @v: the vec (initialised: an uninitialised one still panics, as for kvec_push()).
 * @elem: elem_size bytes; may point into @v itself.
 *
 * Context: allocating (see the top of this file).
 * Return: E_OK; E_RANGE on capacity overflow (the grown buffer would exceed PTRDIFF_MAX
 * bytes); E_NOMEM when the allocator fails. On an error @v is unchanged.
 */
err_t kvec_try_push(struct kvec *v, const void *elem);

/**
 * kvec_pop() - remove the last element of @v.
 * @v: the vec.
 * @out: where the element is copied (elem_size bytes), or NULL to discard it.
 *
 * The capacity is kept.
 *
 * Context: any; no allocation, takes no lock.
 * Return: true when an element was removed; false when @v was empty (@out not written).
 */
bool kvec_pop(struct kvec *v, void *out);

/**
 * kvec_get() - the address of element @i of @v.
 * @v: the vec.
 * @i: the index; < kvec_len(@v).
 *
 * Panics "kvec_get: index N out of bounds (len L)" otherwise.
 *
 * Context: any; no allocation, takes no lock.
 * Return: the element's address, writable; valid until the next growing or shrinking call.
 */
void *kvec_get(const struct kvec *v, size_t i);
/**
 * kvec_set() - overwrite element @i of @v with a copy of @elem.
 * @v: the vec.
 * @i: the index; < kvec_len(@v).
 * @elem: elem_size bytes; may overlap the vec's buffer (copied with memmove).
 *
 * Panics like kvec_get(): "kvec_set: index N out of bounds (len L)".
 *
 * Context: any; no allocation, takes no lock.
 */
void kvec_set(struct kvec *v, size_t i, const void *elem);

/**
 * kvec_reserve() - ensure room in @v for at least @additional more elements.
 * @v: the vec (initialised).
 * @additional: elements wanted beyond the length.
 *
 * Nothing happens when the spare capacity suffices. Otherwise grows amortised, like push:
 * to max(2 * capacity, len + @additional, the minimum non-zero capacity). Panics
 * "kvec_reserve: vec 0x... not initialised (elem size 0)" and, on capacity overflow,
 * "kvec_reserve: capacity overflow (len L, additional N, elem size S)"; out of memory calls
 * handle_alloc_error() with the layout of the buffer it asked for, which does not return.
 *
 * Context: allocating (see the top of this file); the alloc-failure handler runs with no
 * allocator lock held.
 */
void kvec_reserve(struct kvec *v, size_t additional);
/**
 * kvec_try_reserve() - kvec_reserve() that returns an error instead of growing failures.
 * @v: the vec (initialised: an uninitialised one still panics).
 * @additional: elements wanted beyond the length.
 *
 * Context: allocating (see the top of this file).
 * Return: E_OK (also when no growth was needed); E_RANGE on capacity overflow: len +
 * @additional overflows, or the new capacity's bytes exceed PTRDIFF_MAX -- the doubled
 * capacity counts, so this can fail where kvec_try_reserve_exact() would not, as Rust's
 * reserve does; E_NOMEM when the allocator fails. On an error @v is unchanged.
 */
err_t kvec_try_reserve(struct kvec *v, size_t additional);
/**
 * kvec_reserve_exact() - ensure room in @v for @additional more elements, growing exactly.
 * @v: the vec (initialised).
 * @additional: elements wanted beyond the length.
 *
 * Nothing happens when the spare capacity suffices; otherwise the capacity becomes exactly
 * len + @additional. Panics as kvec_reserve() does (naming kvec_reserve_exact); out of
 * memory calls handle_alloc_error() with the layout of the buffer it asked for.
 *
 * Context: allocating (see the top of this file); the alloc-failure handler runs with no
 * allocator lock held.
 */
void kvec_reserve_exact(struct kvec *v, size_t additional);
/**
 * kvec_try_reserve_exact() - kvec_reserve_exact() that returns an error instead.
 * @v: the vec (initialised: an uninitialised one still panics).
 * @additional: elements wanted beyond the length.
 *
 * Context: allocating (see the top of this file).
 * Return: E_OK (also when no growth was needed); E_RANGE when len + @additional overflows
 * or its bytes exceed PTRDIFF_MAX; E_NOMEM when the allocator fails. On an error @v is
 * unchanged.
 */
err_t kvec_try_reserve_exact(struct kvec *v, size_t additional);

/**
 * kvec_shrink_to_fit() - shrink the capacity of @v to its length.
 * @v: the vec (initialised).
 *
 * To 0, freeing the buffer, when empty; otherwise through the allocator's realloc, which may
 * move the buffer. Nothing happens when there is no spare capacity. Panics "kvec_shrink_to_fit:
 * vec 0x... not initialised (elem size 0)"; a failed realloc calls handle_alloc_error() with
 * the smaller layout, which does not return.
 *
 * Context: allocating (see the top of this file); the alloc-failure handler runs with no
 * allocator lock held.
 */
void kvec_shrink_to_fit(struct kvec *v);
/**
 * kvec_try_shrink_to_fit() - kvec_shrink_to_fit() that returns an error instead.
 * @v: the vec (initialised: an uninitialised one still panics).
 *
 * Context: allocating (see the top of this file).
 * Return: E_OK (also when there was nothing to shrink, and always when @v is empty);
 * E_NOMEM when the allocator's realloc fails, and then @v is unchanged.
 */
err_t kvec_try_shrink_to_fit(struct kvec *v);

/**
 * kvec_clear() - remove every element of @v, keeping the capacity.
 * @v: the vec.
 *
 * Nothing runs on the elements; the buffer stays allocated until kvec_drop() or
 * kvec_shrink_to_fit().
 *
 * Context: any; no allocation, takes no lock.
 */
void kvec_clear(struct kvec *v);
/**
 * kvec_drop() - free the buffer of @v.
 * @v: the vec; left an empty vec of the same element type, reusable.
 *
 * Nothing runs on the elements: an element that owns memory is released before.
 *
 * Context: allocating when @v has capacity (it frees through the global allocator; see the
 * top of this file); otherwise takes no lock.
 */
void kvec_drop(struct kvec *v);

/**
 * kvec_push_sized() - kvec_push() that also checks the element size (KVEC_PUSH's).
 * @v: the vec (initialised).
 * @elem: @elem_size bytes; may point into @v itself.
 * @elem_size: the size of the caller's element type; must be the vec's.
 *
 * Panics "kvec_push_sized: element size N does not match the vec's (S)" first, then as
 * kvec_push() (naming kvec_push_sized).
 *
 * Context: allocating (see the top of this file); the alloc-failure handler runs with no
 * allocator lock held.
 */
void kvec_push_sized(struct kvec *v, const void *elem, size_t elem_size);
/**
 * kvec_get_sized() - kvec_get() that also checks the element size (KVEC_AT's).
 * @v: the vec.
 * @i: the index; < kvec_len(@v).
 * @elem_size: the size of the caller's element type; must be the vec's.
 *
 * Panics "kvec_get_sized: element size N does not match the vec's (S)" first, then as
 * kvec_get() ("kvec_get: index N out of bounds (len L)").
 *
 * Context: any; no allocation, takes no lock.
 * Return: the element's address; valid until the next growing or shrinking call.
 */
void *kvec_get_sized(const struct kvec *v, size_t i, size_t elem_size);

/* Typed helpers: KVEC_PUSH(&v, int, 42); int x = KVEC_AT(&v, int, 0); KVEC_AT(&v, int, 0) = 7;
 *
 * KVEC_PUSH appends one `type` built from the initialiser list: kvec_push_sized(), so a type
 * of another size than the vec's panics; growth failure as kvec_push(). */
#define KVEC_PUSH(v, type, ...) kvec_push_sized((v), &(type){__VA_ARGS__}, sizeof(type))
/* Element i as an lvalue of `type`: kvec_get_sized(), so an index out of bounds or a type of
 * another size panics (only the size is checked). */
#define KVEC_AT(v, type, i) (*(type *)kvec_get_sized((v), (i), sizeof(type)))

#endif
