/* SPDX-License-Identifier: MIT */
/*
 * lib/alloc.c - layouts, allocator dispatch, the global allocator, the alloc-failure
 * handler and kmalloc.
 *
 * Dispatch: allocator_*() check the layout (misuse panics), then call the op, or build
 * the missing optional op from alloc/dealloc: alloc_zeroed = alloc + memset; realloc =
 * alloc(new) + memcpy(min) + dealloc(old), which fails with the old block intact.
 *
 * kmalloc: over an allocator with usable_size, a block is the allocator's own; otherwise
 * it is [struct kmalloc_hdr (16 bytes)][size bytes], allocated with
 * layout { 16 + size, 16 }, so the user pointer is 16-aligned when the block is. The
 * header records size and check = size ^ address ^ KMALLOC_MAGIC; kfree() verifies
 * it, then inverts check (a later kfree of the same block panics unless the allocator
 * has reused the memory meanwhile) and deallocates with the rebuilt layout.
 *
 * State: the global allocator pointer and the set-once handler. The kernel is
 * single-CPU and installs both during boot, before interrupts are enabled, so they are
 * plain variables. Nothing here touches arch/ or libc.
 */
#include "lib/alloc.h"

#include "lib/panic.h"
#include "lib/string.h"
#include "lib/types.h"

/* ---- layouts ------------------------------------------------------------------------- */

err_t layout_new(size_t size, size_t align, struct layout *out)
{
    if (!is_pow2(align))
        return E_INVAL;
    if (size > SIZE_MAX - (align - 1))
        return E_RANGE;
    *out = (struct layout){size, align};
    return E_OK;
}

err_t layout_array(size_t elem_size, size_t n, size_t align, struct layout *out)
{
    size_t size;
    if (!is_pow2(align))
        return E_INVAL;
    if (__builtin_mul_overflow(elem_size, n, &size))
        return E_RANGE;
    return layout_new(size, align, out);
}

/* Panics unless l is a valid layout for an allocation (non-zero size). */
static void check_layout(const char *func, struct layout l)
{
    struct layout tmp;
    if (l.size == 0)
        panic("%s: zero-size layout (align %zu)", func, l.align);
    if (layout_new(l.size, l.align, &tmp) != E_OK)
        panic("%s: invalid layout (size %zu, align %zu)", func, l.size, l.align);
}

/* ---- dispatch ------------------------------------------------------------------------ */

void *allocator_alloc(const struct allocator *a, struct layout l)
{
    check_layout(__func__, l);
    return a->alloc(a->self, l);
}

void *allocator_alloc_at(const struct allocator *a, struct layout l, const void *caller)
{
    check_layout("allocator_alloc", l); /* the same operation, the same message */
    return a->alloc_at ? a->alloc_at(a->self, l, caller) : a->alloc(a->self, l);
}

void allocator_dealloc(const struct allocator *a, void *p, struct layout l)
{
    if (!p)
        panic("allocator_dealloc: NULL pointer (size %zu, align %zu)", l.size, l.align);
    check_layout(__func__, l);
    a->dealloc(a->self, p, l);
}

/* allocator_alloc_zeroed's work, telling the allocator who asked. */
static void *alloc_zeroed_at(const struct allocator *a, struct layout l, const void *caller)
{
    check_layout("allocator_alloc_zeroed", l);
    if (a->alloc_zeroed)
        return a->alloc_zeroed(a->self, l, caller);
    void *p = a->alloc_at ? a->alloc_at(a->self, l, caller) : a->alloc(a->self, l);
    if (p)
        memset(p, 0, l.size);
    return p;
}

void *allocator_alloc_zeroed(const struct allocator *a, struct layout l)
{
    return alloc_zeroed_at(a, l, __builtin_return_address(0));
}

void *allocator_realloc(const struct allocator *a, void *p, struct layout old, size_t new_size)
{
    struct layout nl;
    if (!p)
        panic("allocator_realloc: NULL pointer (size %zu, align %zu)", old.size, old.align);
    check_layout(__func__, old);
    if (new_size == 0)
        panic("allocator_realloc: zero new size (old size %zu, align %zu)", old.size, old.align);
    if (layout_new(new_size, old.align, &nl) != E_OK)
        return NULL;
    if (a->realloc)
        return a->realloc(a->self, p, old, new_size);
    void *q = a->alloc(a->self, nl);
    if (!q)
        return NULL;
    memcpy(q, p, MIN(old.size, new_size));
    a->dealloc(a->self, p, old);
    return q;
}

/* ---- the Dummy allocator ------------------------------------------------------------- */

static void *dummy_alloc(void *self, struct layout l)
{
    (void)self;
    (void)l;
    return NULL;
}

static void dummy_dealloc(void *self, void *p, struct layout l)
{
    (void)self;
    panic("dummy_dealloc: dealloc should never be called (ptr %p, size %zu, align %zu)", p, l.size,
          l.align);
}

const struct allocator dummy_allocator = {
    .name = "dummy",
    .alloc = dummy_alloc,
    .dealloc = dummy_dealloc,
};

/* ---- the global allocator ------------------------------------------------------------ */

static const struct allocator *global_allocator = &dummy_allocator;

void alloc_set_global(const struct allocator *a)
{
    global_allocator = a ? a : &dummy_allocator;
}

const struct allocator *alloc_global(void)
{
    return global_allocator;
}

void *galloc(struct layout l)
{
    return allocator_alloc_at(global_allocator, l, __builtin_return_address(0));
}

void *galloc_at(struct layout l, const void *caller)
{
    return allocator_alloc_at(global_allocator, l, caller);
}

void gdealloc(void *p, struct layout l)
{
    allocator_dealloc(global_allocator, p, l);
}

void *galloc_zeroed(struct layout l)
{
    return alloc_zeroed_at(global_allocator, l, __builtin_return_address(0));
}

void *grealloc(void *p, struct layout old, size_t new_size)
{
    return allocator_realloc(global_allocator, p, old, new_size);
}

/* ---- allocation failure -------------------------------------------------------------- */

static alloc_error_handler_fn error_handler;

err_t alloc_set_error_handler(alloc_error_handler_fn h)
{
    if (!h)
        return E_INVAL;
    if (error_handler)
        return E_EXISTS;
    error_handler = h;
    return E_OK;
}

bool alloc_error_handler_installed(void)
{
    return error_handler != NULL;
}

noreturn void alloc_default_error_handler(struct layout l)
{
    panic("allocation error: Layout { size: %zu, align: %zu }", l.size, l.align);
}

noreturn void handle_alloc_error(struct layout l)
{
    alloc_error_handler_fn h = error_handler;
    if (!h)
        alloc_default_error_handler(l);
    h(l);
    panic("handle_alloc_error: alloc error handler returned (Layout { size: %zu, align: %zu })",
          l.size, l.align);
}

void *alloc_or_die(struct layout l)
{
    void *p = galloc_at(l, __builtin_return_address(0));
    if (!p)
        handle_alloc_error(l);
    return p;
}

/* ---- kmalloc ------------------------------------------------------------------------- */

#define KMALLOC_MAGIC ((size_t)0x6b6d616c6c6f6321ull) /* "kmalloc!" */

struct kmalloc_hdr {
    size_t size;
    size_t check;
};

_Static_assert(sizeof(struct kmalloc_hdr) == KMALLOC_ALIGN, "kmalloc header keeps the alignment");
_Static_assert(KMALLOC_ALIGN >= _Alignof(max_align_t), "kmalloc aligns for any object");

static size_t hdr_check(const struct kmalloc_hdr *h, size_t size)
{
    return size ^ (size_t)(uintptr_t)h ^ KMALLOC_MAGIC;
}

/* The layout of a kmalloc block holding size bytes; false when it would overflow. */
static bool kmalloc_layout(size_t size, struct layout *out)
{
    size_t total;
    if (__builtin_add_overflow(size, sizeof(struct kmalloc_hdr), &total))
        return false;
    return layout_new(total, KMALLOC_ALIGN, out) == E_OK;
}

static void *hdr_init(struct kmalloc_hdr *h, size_t size)
{
    if (!h)
        return NULL;
    h->size = size;
    h->check = hdr_check(h, size);
    return h + 1;
}

/* The header of a kmalloc'ed pointer; panics (as func) when it does not verify. */
static struct kmalloc_hdr *hdr_of(const char *func, const void *p)
{
    if ((uintptr_t)p % KMALLOC_ALIGN != 0)
        panic("%s: pointer %p is not %d-aligned: not from kmalloc", func, p, KMALLOC_ALIGN);
    struct kmalloc_hdr *h = (struct kmalloc_hdr *)p - 1;
    if (h->check != hdr_check(h, h->size))
        panic("%s: bad block header at %p (size %zu, check 0x%zx): not from kmalloc, "
              "corrupted or freed",
              func, p, h->size, h->check);
    return h;
}

/* The global allocator knows its blocks' sizes: kmalloc keeps no header of its own. */
static bool sized(void)
{
    return global_allocator->usable_size != NULL;
}

static size_t usable(const void *p)
{
    return global_allocator->usable_size(global_allocator->self, p);
}

/* kmalloc's work, recording caller (the return address of the kmalloc-family call). */
static void *kmalloc_at(size_t size, bool zero, const void *caller)
{
    struct layout l;
    if (sized() ? layout_new(size ? size : 1, KMALLOC_ALIGN, &l) != E_OK
                : !kmalloc_layout(size, &l))
        return NULL;
    /* the allocator's alloc_zeroed may know the memory is zero already */
    void *p = zero ? alloc_zeroed_at(global_allocator, l, caller) : galloc_at(l, caller);
    return sized() ? p : hdr_init(p, size);
}

void *kmalloc(size_t size)
{
    return kmalloc_at(size, false, __builtin_return_address(0));
}

void *kzalloc(size_t size)
{
    return kmalloc_at(size, true, __builtin_return_address(0));
}

void *kcalloc(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        return NULL;
    return kmalloc_at(total, true, __builtin_return_address(0));
}

void *krealloc(void *p, size_t new_size)
{
    struct layout old, nl;
    if (!p)
        return kmalloc_at(new_size, false, __builtin_return_address(0));
    if (sized()) {
        old = (struct layout){usable(p), KMALLOC_ALIGN}; /* (panics for a foreign p) */
        if (layout_new(new_size ? new_size : 1, KMALLOC_ALIGN, &nl) != E_OK)
            return NULL;
        return grealloc(p, old, nl.size);
    }
    struct kmalloc_hdr *h = hdr_of(__func__, p);
    if (!kmalloc_layout(new_size, &nl))
        return NULL;
    kmalloc_layout(h->size, &old);
    return hdr_init(grealloc(h, old, nl.size), new_size);
}

void kfree(void *p)
{
    struct layout l;
    if (!p)
        return;
    if (sized()) {
        gdealloc(p, (struct layout){usable(p), KMALLOC_ALIGN});
        return;
    }
    struct kmalloc_hdr *h = hdr_of(__func__, p);
    kmalloc_layout(h->size, &l);
    h->check = ~h->check;
    gdealloc(h, l);
}

size_t kmalloc_size(const void *p)
{
    return sized() ? usable(p) : hdr_of(__func__, p)->size;
}
