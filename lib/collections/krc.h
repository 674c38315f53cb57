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
 */
#ifndef MBHEAP_LIB_COLLECTIONS_KRC_H
#define MBHEAP_LIB_COLLECTIONS_KRC_H

#include <stddef.h>

#include "lib/error.h"

/* Called with the object when its last reference is dropped, before the memory is
 * freed; it must release what the object owns, not the object itself. */
typedef void (*krc_drop_fn)(void *obj);

/* A new rc of size bytes aligned to align (a power of two; size > 0), count 1,
 * initialised from init (size bytes) or zero-filled when init is NULL; drop may be
 * NULL. Invalid size/align panic; out of memory calls handle_alloc_error(). */
void *krc_new(size_t size, size_t align, const void *init, krc_drop_fn drop);
/* krc_new returning E_INVAL (bad size or align), E_RANGE (too large) or E_NOMEM
 * instead; *out is written only on E_OK. */
err_t krc_try_new(size_t size, size_t align, const void *init, krc_drop_fn drop, void **out);

/* Adds a reference; returns obj. */
void *krc_clone(void *obj);
/* Removes a reference; the last one runs the drop callback, then frees the block.
 * Panics "krc_drop: refcount underflow at 0x..." when the count is already 0. */
void krc_drop(void *obj);
/* The number of references. */
size_t krc_count(const void *obj);

/* KRC_NEW(struct foo, drop_fn, .a = 1, .b = 2): a new rc of one initialised object. */
#define KRC_NEW(type, drop, ...)                                                                   \
    ((type *)krc_new(sizeof(type), _Alignof(type), &(type){__VA_ARGS__}, (drop)))

#endif
