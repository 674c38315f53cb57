/* SPDX-License-Identifier: MIT */
/*
 * lib/collections/kstring.h - a growable NUL-terminated string over the global allocator (Rust's
 * String, kept C-friendly: kstring_c_str() is always a valid C string).
 *
 * Built on a kvec of bytes, so it grows like a Vec<u8> (capacity 8, 16, 32 ...). Each
 * appending call has a kstring_try_*() variant returning E_NOMEM or E_RANGE with the
 * string unchanged; the plain one calls handle_alloc_error() on allocation failure.
 * An empty string owns no memory. Not thread-safe.
 *
 * Context lines: "allocating" is lib/alloc.h's word: the call may allocate or free through
 * the global allocator, so it may run anywhere, interrupt handlers included, takes that
 * allocator's locks (in the kernel the heap's "kheap", then "vmm" and "pmm" when the heap maps
 * or unmaps pages) and must not be called with one of them held. Nothing locks a string
 * itself: its owner serialises the calls on it (an interrupt handler may use only a string
 * the code it interrupts cannot be using).
 */
#ifndef MBHEAP_LIB_COLLECTIONS_KSTRING_H
#define MBHEAP_LIB_COLLECTIONS_KSTRING_H

#include <stddef.h>

#include "lib/collections/kvec.h"
#include "lib/error.h"

struct kstring {
    /* Either empty (nothing allocated) or len + 1 bytes, the last one '\0'. */
    struct kvec bytes;
};

/* A static initialiser for an empty string. */
#define KSTRING_INIT                                                                               \
    {                                                                                              \
        KVEC_INIT(char)                                                                            \
    }

/**
 * kstring_init() - make @s an empty string.
 * @s: the string; what it held is not freed (kstring_drop() it first).
 *
 * The same as initialising it with KSTRING_INIT. A zero-filled struct kstring is not an
 * empty string: appending to one panics "kvec_reserve: vec 0x... not initialised" (or
 * kvec_try_reserve, from a try_ variant).
 *
 * Context: any; no allocation, takes no lock.
 */
void kstring_init(struct kstring *s);

/**
 * kstring_c_str() - the contents of @s as a C string.
 * @s: the string.
 *
 * Context: any; pure, takes no lock.
 * Return: the NUL-terminated contents, or a static "" when @s is empty; valid until the next
 * modifying call on @s. Bytes appended with kstring_append_n() may hold a NUL: C functions
 * then see the contents up to it.
 */
const char *kstring_c_str(const struct kstring *s);
/**
 * kstring_len() - the length of @s in bytes.
 * @s: the string.
 *
 * Context: any; pure, takes no lock.
 * Return: the bytes appended since it was last empty, without the terminating NUL (NULs
 * appended by kstring_append_n() count).
 */
size_t kstring_len(const struct kstring *s);

/**
 * kstring_append() - append the C string @str to @s.
 * @s: the string.
 * @str: a NUL-terminated string; it may point into @s itself.
 *
 * kstring_append_n(@s, @str, strlen(@str)): an empty @str changes nothing and allocates
 * nothing. Growing is kvec_reserve()'s, so capacity overflow panics "kvec_reserve: capacity
 * overflow (...)" and out of memory calls handle_alloc_error() with the buffer's layout, which
 * does not return.
 *
 * Context: allocating (see the top of this file); the alloc-failure handler runs with no
 * allocator lock held.
 */
void kstring_append(struct kstring *s, const char *str);
/**
 * kstring_try_append() - kstring_append() that returns an error instead.
 * @s: the string.
 * @str: a NUL-terminated string; it may point into @s itself.
 *
 * Context: allocating (see the top of this file).
 * Return: E_OK (also for an empty @str); E_RANGE when the length would overflow or the grown
 * buffer (amortised, as kvec_try_reserve()) would exceed PTRDIFF_MAX bytes; E_NOMEM when the
 * allocator fails. On an error @s is unchanged.
 */
err_t kstring_try_append(struct kstring *s, const char *str);

/**
 * kstring_append_n() - append the @n bytes at @str to @s.
 * @s: the string.
 * @str: the bytes; they need not be NUL-terminated and may point into @s itself (its
 *       offset is kept across the buffer's move). Not read when @n is 0.
 * @n: how many bytes; 0 changes nothing and allocates nothing.
 *
 * The bytes are copied as they are (a NUL among them included) and a NUL is written after
 * them. Panics "kstring_append_n: length overflow (adding N bytes)" when @s is empty and @n
 * is SIZE_MAX (no room for the NUL); growing is kvec_reserve()'s, so capacity overflow
 * panics "kvec_reserve: capacity overflow (...)" and out of memory calls handle_alloc_error()
 * with the buffer's layout, which does not return.
 *
 * Context: allocating (see the top of this file); the alloc-failure handler runs with no
 * allocator lock held.
 */
void kstring_append_n(struct kstring *s, const char *str, size_t n);
/**
 * kstring_try_append_n() - kstring_append_n() that returns an error instead.
 * @s: the string.
 * @str: the bytes (as for kstring_append_n()).
 * @n: how many bytes; 0 changes nothing and allocates nothing.
 *
 * Context: allocating (see the top of this file).
 * Return: E_OK (also for @n 0); E_RANGE when the length would overflow or the grown buffer
 * (amortised, as kvec_try_reserve()) would exceed PTRDIFF_MAX bytes; E_NOMEM when the
 * allocator fails. On an error @s is unchanged.
 */
err_t kstring_try_append_n(struct kstring *s, const char *str, size_t n);

/**
 * kstring_appendf() - append printf-style formatted text to @s.
 * @s: the string.
 * @fmt: the format, with lib/kprintf.h's conversions.
 * @...: its arguments; they must not point into @s (the buffer may move, and is written).
 *
 * Formats twice: once to measure, once into the room reserved. Empty output changes nothing
 * and allocates nothing. Growing is kvec_reserve()'s, so capacity overflow panics
 * "kvec_reserve: capacity overflow (...)" and out of memory calls handle_alloc_error() with
 * the buffer's layout, which does not return.
 *
 * Context: allocating (see the top of this file); the alloc-failure handler runs with no
 * allocator lock held. Formatting takes no lock.
 */
void kstring_appendf(struct kstring *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/**
 * kstring_try_appendf() - kstring_appendf() that returns an error instead.
 * @s: the string.
 * @fmt: the format, with lib/kprintf.h's conversions.
 * @...: its arguments; they must not point into @s.
 *
 * Context: allocating (see the top of this file). Formatting takes no lock.
 * Return: E_OK (also for empty output); E_RANGE when the grown buffer (amortised, as
 * kvec_try_reserve()) would exceed PTRDIFF_MAX bytes; E_NOMEM when the allocator fails. On
 * an error @s is unchanged.
 */
err_t kstring_try_appendf(struct kstring *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * kstring_clear() - make @s empty, keeping its capacity.
 * @s: the string.
 *
 * The buffer stays allocated for later appends; kstring_drop() frees it.
 *
 * Context: any; no allocation, takes no lock.
 */
void kstring_clear(struct kstring *s);
/**
 * kstring_drop() - free the memory of @s.
 * @s: the string; left an empty string, reusable.
 *
 * Context: allocating when @s holds memory (it frees through the global allocator; see the
 * top of this file); otherwise takes no lock.
 */
void kstring_drop(struct kstring *s);

#endif
