/*
 * tests/bench/allocbench/adapter.c - the mm/heap.c core as an allocbench plugin.
 *
 * Built by build.sh with ../shared/allocbench/mkadapter.sh from the same mm/heap.c and
 * lib/ sources the kernel uses. The struct heap is static, outside the arena, so the
 * arena holds nothing but blocks (allocbench's footprint counts from the arena start).
 * init() puts the heap at the arena start with HEAP_INIT bytes; the grow hook carves
 * further bytes from the arena, max(HEAP_GROW_STEP, heap size / GROW_DIV) at a time. Provides what
 * the core needs from the kernel: panic_at() (prints and aborts) and the lib/ sources.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "allocbench.h"
#include "lib/kprintf.h"
#include "lib/panic.h"
#include "mm/heap.h"

#ifndef HEAP_INIT
#define HEAP_INIT (64u * 1024u)
#endif
#ifndef GROW_DIV
#define GROW_DIV 8
#endif
#ifndef HEAP_GROW_STEP
#define HEAP_GROW_STEP (64u * 1024u)
#endif

static struct heap ab_heap;
static uintptr_t arena_end;

noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "mbheap adapter: panic at %s:%d: %s\n", file, line, msg);
    abort();
}

static size_t ab_grow(void *ctx, uintptr_t end, size_t min_bytes)
{
    (void)ctx;
    size_t room = arena_end - end;
    size_t step = (end - ab_heap.base) / GROW_DIV; /* geometric: few growth events */
    step = step > HEAP_GROW_STEP ? step & ~(size_t)4095 : HEAP_GROW_STEP;
    size_t want = min_bytes > step ? min_bytes : step;
    if (want > room)
        want = room & ~(size_t)4095;
    return want >= min_bytes ? want : 0;
}

static int ab_init(void *arena, size_t size)
{
    arena_end = (uintptr_t)arena + size;
    size_t first = size < HEAP_INIT ? size : HEAP_INIT;
    if (heap_init(&ab_heap, arena, first, ab_grow, NULL, size, 0) != E_OK)
        return -1;
    return AB_INIT_ARENA;
}

static void *ab_alloc(size_t size, size_t align)
{
    return heap_alloc(&ab_heap, size, align);
}

static void ab_free(void *p, size_t size, size_t align)
{
    (void)size;
    (void)align;
    heap_free(&ab_heap, p);
}

static void *ab_realloc(void *p, size_t old, size_t new_size, size_t align)
{
    (void)old;
    return heap_realloc(&ab_heap, p, new_size, align);
}

AB_EXPORT const struct ab_alloc ab_adapter = {
    .name = "mbheap",
    .init = ab_init,
    .alloc = ab_alloc,
    .free = ab_free,
    .realloc = ab_realloc,
};
