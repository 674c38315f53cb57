/* SPDX-License-Identifier: MIT */
/*
 * lib/collections/krc.h - a reference-counted box over the global allocator (Rust's Rc<T>).
 *
 * krc_new() allocates one object with a hidden header holding the count (1) and a
 * drop callback; krc_clone() adds a reference, krc_drop() removes one and, when it
 * removes the last, runs the callback on the object and then frees the block. Handles
 * are plain pointers to the object. Single-threaded (Rc, not Arc): counts are not
 * atomic. Misuse panics: dropping or cloning an rc whose count is already 0 (a
 * use-after-free, detected while the freed header is still intact), count overflow.
 *
 * Context lines: "allocating" is lib/alloc.h's word: the call allocates or frees through the
 * global allocator, so it may run anywhere, interrupt handlers included, takes that
 * allocator's locks (in the kernel the heap's "kheap", then "vmm" and "pmm" when the heap maps
 * or unmaps pages) and must not be called with one of them held. Nothing locks an rc itself:
 * the calls on all the handles of one rc are serialised by their users (an interrupt handler
 * may touch an rc only if the code it interrupts cannot be touching it).
 */
#ifndef MBHEAP_LIB_COLLECTIONS_KRC_H
#define MBHEAP_LIB_COLLECTIONS_KRC_H

#include <stddef.h>

#include "lib/error.h"

/* Called with the object when its last reference is dropped, before the memory is
 * freed; it must release what the object owns, not the object itself. */
typedef void (*krc_drop_fn)(void *obj);

/**
 * krc_new() - a new rc of @size bytes aligned to @align, count 1.
 * @size: the object's size in bytes; > 0.
 * @align: the object's alignment; a power of two.
 * @init: @size bytes copied into the object, or NULL to zero-fill it.
 * @drop: run on the object when the last reference goes (see krc_drop_fn), or NULL.
 *
 * One block holds the hidden header and the object. An invalid @size/@align panics
 * "krc_new: invalid layout (size N, align A): E_..." (E_INVAL, or E_RANGE when the block, @size
 * plus the header's room, exceeds PTRDIFF_MAX). Out of memory calls handle_alloc_error() with the
 * whole block's layout (header room included: a 4-byte int asks for { size: 36, align: 8 }), which
 * does not return.
 *
 * Context: allocating (see the top of this file); the alloc-failure handler runs with no
 * allocator lock held.
 * Return: the object (never NULL), the rc's handle.
 */
void *krc_new(size_t size, size_t align, const void *init, krc_drop_fn drop);
/**
 * krc_try_new() - krc_new() that returns an error instead of panicking.
 * @size: the object's size in bytes; > 0.
 * @align: the object's alignment; a power of two.
 * @init: @size bytes copied into the object, or NULL to zero-fill it.
 * @drop: run on the object when the last reference goes, or NULL.
 * @out: where the handle goes; written only on E_OK.
 *
 * Nothing is allocated unless the call succeeds.
 *
 * Context: allocating (see the top of this file).
 * Return: E_OK with the object (count 1) in *@out; E_INVAL when @size is 0 or @align is not
 * a power of two; E_RANGE when the block (@size plus the header's room) exceeds PTRDIFF_MAX
 * (no C object is larger); E_NOMEM when the allocator fails.
 */
err_t krc_try_new(size_t size, size_t align, const void *init, krc_drop_fn drop, void **out);

/**
 * krc_clone() - add a reference to the rc @obj.
 * @obj: a live rc's handle (from krc_new()/krc_try_new()).
 *
 * Panics "krc_clone: clone of a dropped rc at 0x... (count 0)" when the count is already 0 (a
 * use-after-free, caught while the freed header is intact), and "krc_clone: refcount
 * overflow at 0x..." when it is SIZE_MAX.
 *
 * Context: any; no allocation, takes no lock (the count is not atomic: see the top of
 * this file).
 * Return: @obj.
 */
void *krc_clone(void *obj);
/**
 * krc_drop() - remove a reference to the rc @obj; the last one destroys it.
 * @obj: a live rc's handle; not used by this reference afterwards.
 *
 * When the count reaches 0, runs the drop callback (if any) on the object, then frees the
 * block. Panics "krc_drop: refcount underflow at 0x..." when the count is already 0 (a drop
 * after the last one, caught while the freed header is intact).
 *
 * Context: any; no allocation and no lock unless this is the last reference, which runs the
 * drop callback (krc_drop holds no lock meanwhile; the callback's own rules apply) and then
 * frees (allocating, see the top of this file).
 */
void krc_drop(void *obj);
/**
 * krc_count() - the number of references to the rc @obj.
 * @obj: a live rc's handle.
 *
 * A plain read of the count, with no check: on a dropped rc the result is meaningless.
 *
 * Context: any; pure, takes no lock.
 * Return: the count, at least 1 for a live rc.
 */
size_t krc_count(const void *obj);

/* KRC_NEW(struct foo, drop_fn, .a = 1, .b = 2): a new rc of one initialised object, typed;
 * krc_new() underneath (never NULL: out of memory calls handle_alloc_error()). */
#define KRC_NEW(type, drop, ...)                                                                   \
    ((type *)krc_new(sizeof(type), _Alignof(type), &(type){__VA_ARGS__}, (drop)))

#endif
