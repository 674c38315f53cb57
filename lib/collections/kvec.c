/* SPDX-License-Identifier: MIT */
/*
 * lib/collections/kvec.c - the growable array (see kvec.h).
 *
 * The buffer holds cap elements with layout { cap * elem_size, elem_align } and is
 * allocated only while cap > 0: the first growth uses galloc, later ones grealloc, a
 * shrink to 0 gdealloc. resize() is the one place the capacity changes; it computes
 * the new layout with overflow checks (E_RANGE when cap * elem_size does not fit in
 * PTRDIFF_MAX, as Rust's "capacity overflow"), and on failure reports the layout it
 * asked for so the infallible wrappers can pass it to handle_alloc_error().
 *
 * Capacity policy, copied from Rust's RawVec::grow_amortized:
 *   new_cap = max(min_non_zero_cap, max(2 * cap, len + additional))
 * with min_non_zero_cap 8 for 1-byte elements, 4 up to 1024 bytes, else 1.
 */
#include "lib/collections/kvec.h"

#include <stdint.h>

#include "lib/alloc.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "lib/types.h"

void kvec_init(struct kvec *v, size_t elem_size, size_t elem_align)
{
    if (elem_size == 0 || !is_pow2(elem_align) || elem_size % elem_align != 0)
        panic("kvec_init: invalid element layout (size %zu, align %zu)", elem_size, elem_align);
    *v = (struct kvec){NULL, 0, 0, elem_size, elem_align};
}

static void check_init(const char *func, const struct kvec *v)
{
    if (v->elem_size == 0)
        panic("%s: vec %p not initialised (elem size 0)", func, (const void *)v);
}

static char *elem_at(const struct kvec *v, size_t i)
{
    return (char *)v->data + i * v->elem_size;
}

/* The layout of the current buffer (cap elements). */
static struct layout buf_layout(const struct kvec *v)
{
    return (struct layout){v->cap * v->elem_size, v->elem_align};
}

/* Sets the capacity to new_cap (>= len). On failure the vec is unchanged and *failed
 * holds the layout that could not be allocated (E_NOMEM). */
static err_t resize(struct kvec *v, size_t new_cap, struct layout *failed)
{
    struct layout nl;
    if (layout_array(v->elem_size, new_cap, v->elem_align, &nl) != E_OK ||
        nl.size > (size_t)PTRDIFF_MAX)
        return E_RANGE;
    if (new_cap == v->cap)
        return E_OK;
    void *p;
    if (new_cap == 0) {
        gdealloc(v->data, buf_layout(v));
        p = NULL;
    } else if (v->cap == 0) {
        p = galloc(nl);
    } else {
        p = grealloc(v->data, buf_layout(v), nl.size);
    }
    if (new_cap != 0 && !p) {
        *failed = nl;
        return E_NOMEM;
    }
    v->data = p;
    v->cap = new_cap;
    return E_OK;
}

static size_t min_non_zero_cap(size_t elem_size)
{
    if (elem_size == 1)
        return 8;
    return elem_size <= 1024 ? 4 : 1;
}

/* Makes room for additional more elements: amortised (Rust's reserve) or exact. */
static err_t grow(struct kvec *v, size_t additional, bool exact, struct layout *failed)
{
    size_t needed, cap;
    if (v->cap - v->len >= additional)
        return E_OK;
    if (__builtin_add_overflow(v->len, additional, &needed))
        return E_RANGE;
    cap = needed;
    if (!exact) {
        size_t twice = v->cap > SIZE_MAX / 2 ? SIZE_MAX : v->cap * 2;
        cap = MAX(twice, needed);
        cap = MAX(cap, min_non_zero_cap(v->elem_size));
    }
    return resize(v, cap, failed);
}

/* The infallible wrappers: capacity overflow panics, out of memory is an alloc error. */
static void or_die(const char *func, const struct kvec *v, err_t e, struct layout failed,
                   size_t additional)
{
    if (e == E_RANGE)
        panic("%s: capacity overflow (len %zu, additional %zu, elem size %zu)", func, v->len,
              additional, v->elem_size);
    if (e != E_OK)
        handle_alloc_error(failed);
}

static err_t reserve(const char *func, struct kvec *v, size_t additional, bool exact, bool die)
{
    struct layout failed = {0, 0};
    check_init(func, v);
    err_t e = grow(v, additional, exact, &failed);
    if (die)
        or_die(func, v, e, failed, additional);
    return e;
}

void kvec_reserve(struct kvec *v, size_t additional)
{
    reserve(__func__, v, additional, false, true);
}

err_t kvec_try_reserve(struct kvec *v, size_t additional)
{
    return reserve(__func__, v, additional, false, false);
}

void kvec_reserve_exact(struct kvec *v, size_t additional)
{
    reserve(__func__, v, additional, true, true);
}

err_t kvec_try_reserve_exact(struct kvec *v, size_t additional)
{
    return reserve(__func__, v, additional, true, false);
}

static err_t push(const char *func, struct kvec *v, const void *elem, bool die)
{
    check_init(func, v);
    /* elem may point into the buffer that growing moves: keep its offset. */
    const char *src = elem;
    const char *base = v->data;
    bool inside = base && src >= base && src < base + v->len * v->elem_size;
    size_t off = inside ? (size_t)(src - base) : 0;
    if (v->len == v->cap) {
        err_t e = reserve(func, v, 1, false, die);
        if (e != E_OK)
            return e;
        if (inside)
            src = (const char *)v->data + off;
    }
    memcpy(elem_at(v, v->len), src, v->elem_size);
    v->len++;
    return E_OK;
}

void kvec_push(struct kvec *v, const void *elem)
{
    push(__func__, v, elem, true);
}

err_t kvec_try_push(struct kvec *v, const void *elem)
{
    return push(__func__, v, elem, false);
}

bool kvec_pop(struct kvec *v, void *out)
{
    if (v->len == 0)
        return false;
    v->len--;
    if (out)
        memcpy(out, elem_at(v, v->len), v->elem_size);
    return true;
}

void *kvec_get(const struct kvec *v, size_t i)
{
    if (i >= v->len)
        panic("kvec_get: index %zu out of bounds (len %zu)", i, v->len);
    return elem_at(v, i);
}

void kvec_set(struct kvec *v, size_t i, const void *elem)
{
    if (i >= v->len)
        panic("kvec_set: index %zu out of bounds (len %zu)", i, v->len);
    memmove(elem_at(v, i), elem, v->elem_size);
}

static err_t shrink(const char *func, struct kvec *v, bool die)
{
    struct layout failed = {0, 0};
    check_init(func, v);
    err_t e = v->cap > v->len ? resize(v, v->len, &failed) : E_OK;
    if (die)
        or_die(func, v, e, failed, 0);
    return e;
}

void kvec_shrink_to_fit(struct kvec *v)
{
    shrink(__func__, v, true);
}

err_t kvec_try_shrink_to_fit(struct kvec *v)
{
    return shrink(__func__, v, false);
}

void kvec_clear(struct kvec *v)
{
    v->len = 0;
}

void kvec_drop(struct kvec *v)
{
    if (v->cap)
        gdealloc(v->data, buf_layout(v));
    v->data = NULL;
    v->len = v->cap = 0;
}

static void check_size(const char *func, const struct kvec *v, size_t elem_size)
{
    if (elem_size != v->elem_size)
        panic("%s: element size %zu does not match the vec's (%zu)", func, elem_size, v->elem_size);
}

void kvec_push_sized(struct kvec *v, const void *elem, size_t elem_size)
{
    check_size(__func__, v, elem_size);
    push(__func__, v, elem, true);
}

void *kvec_get_sized(const struct kvec *v, size_t i, size_t elem_size)
{
    check_size(__func__, v, elem_size);
    return kvec_get(v, i);
}
