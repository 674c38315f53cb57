/* SPDX-License-Identifier: MIT */
/* tests/bench/arena_heap.c - the heap core over a benchmark's arena; see arena_heap.h. */
#include "arena_heap.h"

#include <stdint.h>

#include "mm/heap.h"
#include "tests/common/heap_index_mem.h"

/* Experiment knobs (-DARENA_HEAP_INIT=..., see tests/bench/RESULTS.md). */
#ifndef ARENA_HEAP_INIT
#define ARENA_HEAP_INIT (64u * 1024u)
#endif
#ifndef ARENA_HEAP_GROW_STEP
#define ARENA_HEAP_GROW_STEP (64u * 1024u)
#endif
#ifndef ARENA_HEAP_GROW_DIV
#define ARENA_HEAP_GROW_DIV 8
#endif

static struct heap heap;
static uintptr_t arena_end;

static size_t grow(void *ctx, uintptr_t end, size_t min_bytes)
{
    (void)ctx;
    size_t room = arena_end - end;
    size_t step = (end - heap.base) / ARENA_HEAP_GROW_DIV; /* geometric: few growth events */
    step = step > ARENA_HEAP_GROW_STEP ? step & ~(size_t)4095 : ARENA_HEAP_GROW_STEP;
    size_t want = min_bytes > step ? min_bytes : step;
    if (want > room)
        want = room & ~(size_t)4095;
    return want >= min_bytes ? want : 0;
}

int arena_heap_init(void *arena, size_t size, unsigned flags)
{
    arena_end = (uintptr_t)arena + size;
    size_t first = size < ARENA_HEAP_INIT ? size : ARENA_HEAP_INIT;
    return heap_init(&heap, arena, first, grow, NULL, size, flags, test_heap_index(size)) == E_OK
               ? 0
               : -1;
}

void *arena_heap_alloc(size_t size, size_t align)
{
    return heap_alloc(&heap, size, align);
}

void arena_heap_free(void *p, size_t size, size_t align)
{
    (void)size;
    (void)align;
    heap_free(&heap, p);
}

void *arena_heap_realloc(void *p, size_t old_size, size_t new_size, size_t align)
{
    (void)old_size;
    return heap_realloc(&heap, p, new_size, align);
}

void arena_heap_check(void)
{
    heap_check(&heap);
}
