/* SPDX-License-Identifier: MIT */
/*
 * lib/collections/kstring.h - a growable NUL-terminated string over the global allocator (Rust's
 * String, kept C-friendly: kstring_c_str() is always a valid C string).
 *
 * Built on a kvec of bytes, so it grows like a Vec<u8> (capacity 8, 16, 32 ...). Each
 * appending call has a kstring_try_*() variant returning E_NOMEM or E_RANGE with the
 * string unchanged; the plain one calls handle_alloc_error() on allocation failure.
 * An empty string owns no memory. Not thread-safe.
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

/* Makes s an empty string. */
void kstring_init(struct kstring *s);

/* The contents as a C string ("" when empty); valid until the next modifying call. */
const char *kstring_c_str(const struct kstring *s);
/* The length in bytes, without the terminating NUL. */
size_t kstring_len(const struct kstring *s);

/* Appends the C string str (which may point into s itself). */
void kstring_append(struct kstring *s, const char *str);
err_t kstring_try_append(struct kstring *s, const char *str);

/* Appends the n bytes at str (which need not be NUL-terminated; may point into s). */
void kstring_append_n(struct kstring *s, const char *str, size_t n);
err_t kstring_try_append_n(struct kstring *s, const char *str, size_t n);

/* Appends printf-style formatted text (lib/kprintf.h conversions). Arguments must not
 * point into s. */
void kstring_appendf(struct kstring *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
err_t kstring_try_appendf(struct kstring *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Makes s empty; keeps the capacity. */
void kstring_clear(struct kstring *s);
/* Frees the memory; s is left an empty string, reusable. */
void kstring_drop(struct kstring *s);

#endif
