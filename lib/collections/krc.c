/* SPDX-License-Identifier: MIT */
/*
 * lib/collections/krc.c - the reference-counted box (see krc.h).
 *
 * Block layout, allocated with align max(align, alignof(header)):
 *
 *   base                       base + off = obj
 *   [padding][struct krc_hdr  ][object: size bytes]
 *
 * off = sizeof(header) rounded up to align, and the header always sits right before
 * the object, so obj - 1 header finds it and obj - off finds the block. The count is
 * the header's last field, next to the object: a free-list allocator that writes its
 * node at the start of a freed block (the linked-list heap does) leaves it readable,
 * so a krc_drop after the last one sees 0 and panics instead of freeing twice.
 */
#include "lib/collections/krc.h"

#include <stdbool.h>
#include <stdint.h>

#include "lib/alloc.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "lib/types.h"

struct krc_hdr {
    size_t size;
    size_t align;
    krc_drop_fn drop;
    size_t count;
};

/* The header's offset from the block start for objects aligned to align. */
static size_t hdr_room(size_t align)
{
    return MAX(align, sizeof(struct krc_hdr));
}

static err_t block_layout(size_t size, size_t align, struct layout *out)
{
    size_t total;
    if (size == 0 || !is_pow2(align))
        return E_INVAL;
    /* no C object is larger than PTRDIFF_MAX (as kbox_try_new), the block included */
    if (__builtin_add_overflow(hdr_room(align), size, &total) || total > PTRDIFF_MAX)
        return E_RANGE;
    return layout_new(total, MAX(align, _Alignof(struct krc_hdr)), out);
}

STATIC_ASSERT(sizeof(struct krc_hdr) % _Alignof(struct krc_hdr) == 0, "header packs");

static void *init_block(char *base, size_t size, size_t align, const void *init, krc_drop_fn drop)
{
    char *obj = base + hdr_room(align);
    struct krc_hdr *h = (struct krc_hdr *)obj - 1;
    *h = (struct krc_hdr){size, align, drop, 1};
    if (init)
        memcpy(obj, init, size);
    else
        memset(obj, 0, size);
    return obj;
}

err_t krc_try_new(size_t size, size_t align, const void *init, krc_drop_fn drop, void **out)
{
    struct layout l;
    err_t e = block_layout(size, align, &l);
    if (e != E_OK)
        return e;
    char *base = galloc(l);
    if (!base)
        return E_NOMEM;
    *out = init_block(base, size, align, init, drop);
    return E_OK;
}

void *krc_new(size_t size, size_t align, const void *init, krc_drop_fn drop)
{
    struct layout l;
    err_t e = block_layout(size, align, &l);
    if (e != E_OK)
        panic("krc_new: invalid layout (size %zu, align %zu): %s", size, align, err_name(e));
    return init_block(alloc_or_die(l), size, align, init, drop);
}

static struct krc_hdr *hdr_of(const void *obj)
{
    return (struct krc_hdr *)obj - 1;
}

void *krc_clone(void *obj)
{
    struct krc_hdr *h = hdr_of(obj);
    if (h->count == 0)
        panic("krc_clone: clone of a dropped rc at %p (count 0)", obj);
    if (h->count == SIZE_MAX)
        panic("krc_clone: refcount overflow at %p", obj);
    h->count++;
    return obj;
}

void krc_drop(void *obj)
{
    struct krc_hdr *h = hdr_of(obj);
    if (h->count == 0)
        panic("krc_drop: refcount underflow at %p", obj);
    if (--h->count > 0)
        return;
    size_t size = h->size, align = h->align;
    if (h->drop)
        h->drop(obj);
    struct layout l;
    block_layout(size, align, &l);
    gdealloc((char *)obj - hdr_room(align), l);
}

size_t krc_count(const void *obj)
{
    return hdr_of(obj)->count;
}
