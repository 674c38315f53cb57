/* SPDX-License-Identifier: MIT */
/*
 * lib/collections/kstring.c - the growable string (see kstring.h).
 *
 * The bytes live in a kvec of char whose length is 0 (nothing allocated: c_str
 * returns a static "") or strlen + 1 (the contents and their NUL). Every append first
 * reserves room through the kvec, which does the growth policy, the overflow checks
 * and the alloc-error reporting, and only then copies, so a failed try_ leaves the
 * string as it was. appendf formats twice: once to measure, once into the reserved
 * room.
 */
#include "lib/collections/kstring.h"

#include <stdbool.h>
#include <stdint.h>

#include "lib/kprintf.h"
#include "lib/panic.h"
#include "lib/string.h"

void kstring_init(struct kstring *s)
{
    kvec_init(&s->bytes, 1, 1);
}

const char *kstring_c_str(const struct kstring *s)
{
    return s->bytes.len ? (const char *)s->bytes.data : "";
}

size_t kstring_len(const struct kstring *s)
{
    return s->bytes.len ? s->bytes.len - 1 : 0;
}

/* Reserves room for n more bytes (and the NUL when still empty). */
static err_t reserve(const char *func, struct kstring *s, size_t n, bool die)
{
    size_t extra = n;
    if (s->bytes.len == 0 && __builtin_add_overflow(n, 1, &extra)) {
        if (die)
            panic("%s: length overflow (adding %zu bytes)", func, n);
        return E_RANGE;
    }
    if (die) {
        kvec_reserve(&s->bytes, extra);
        return E_OK;
    }
    return kvec_try_reserve(&s->bytes, extra);
}

static err_t append_n(const char *func, struct kstring *s, const char *str, size_t n, bool die)
{
    if (n == 0)
        return E_OK;
    /* str may point into our own buffer, which reserving can move: keep its offset. */
    const char *base = s->bytes.data;
    bool inside = base && str >= base && str < base + s->bytes.cap;
    size_t off = inside ? (size_t)(str - base) : 0;
    err_t e = reserve(func, s, n, die);
    if (e != E_OK)
        return e;
    if (inside)
        str = (const char *)s->bytes.data + off;
    char *d = s->bytes.data;
    size_t len = kstring_len(s);
    memmove(d + len, str, n);
    d[len + n] = '\0';
    s->bytes.len = len + n + 1;
    return E_OK;
}

void kstring_append_n(struct kstring *s, const char *str, size_t n)
{
    append_n(__func__, s, str, n, true);
}

err_t kstring_try_append_n(struct kstring *s, const char *str, size_t n)
{
    return append_n(__func__, s, str, n, false);
}

void kstring_append(struct kstring *s, const char *str)
{
    append_n(__func__, s, str, strlen(str), true);
}

err_t kstring_try_append(struct kstring *s, const char *str)
{
    return append_n(__func__, s, str, strlen(str), false);
}

static err_t vappendf(const char *func, struct kstring *s, bool die, const char *fmt, va_list ap)
{
    va_list measure;
    va_copy(measure, ap);
    int n = kvsnprintf(NULL, 0, fmt, measure);
    va_end(measure);
    if (n <= 0)
        return E_OK;
    err_t e = reserve(func, s, (size_t)n, die);
    if (e != E_OK)
        return e;
    size_t len = kstring_len(s);
    kvsnprintf((char *)s->bytes.data + len, (size_t)n + 1, fmt, ap);
    s->bytes.len = len + (size_t)n + 1;
    return E_OK;
}

void kstring_appendf(struct kstring *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vappendf(__func__, s, true, fmt, ap);
    va_end(ap);
}

err_t kstring_try_appendf(struct kstring *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_t e = vappendf(__func__, s, false, fmt, ap);
    va_end(ap);
    return e;
}

void kstring_clear(struct kstring *s)
{
    if (s->bytes.len) {
        ((char *)s->bytes.data)[0] = '\0';
        s->bytes.len = 0;
    }
}

void kstring_drop(struct kstring *s)
{
    kvec_drop(&s->bytes);
}
