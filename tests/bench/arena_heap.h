/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/arena_heap.h - the heap core over a caller's arena, as the benchmarks run it.
 *
 * One heap, whose struct heap is static (outside the arena, so the arena holds nothing but
 * blocks and a footprint measured from the arena start counts blocks only). It starts with
 * ARENA_HEAP_INIT bytes at the arena start and grows by max(64 KiB, heap / 8) carved from
 * the arena: the growth rule the kernel uses (kernel/kheap.c). Shared by heap_bench and the
 * allocbench plugin, so both measure the same configuration.
 */
#ifndef MBHEAP_TESTS_BENCH_ARENA_HEAP_H
#define MBHEAP_TESTS_BENCH_ARENA_HEAP_H

#include <stdbool.h>
#include <stddef.h>

/* Puts the heap in a fresh state at the start of [arena, arena + size) (page-aligned),
 * with the heap_init flags given: 0 (first fit with its index), HEAP_F_NO_INDEX (first fit
 * walking its list) or HEAP_F_GOOD_FIT. Its index memory lies outside the arena. Returns
 * 0, or -1 when the arena is too small. */
int arena_heap_init(void *arena, size_t size, unsigned flags);
void *arena_heap_alloc(size_t size, size_t align);
void arena_heap_free(void *p, size_t size, size_t align);
void *arena_heap_realloc(void *p, size_t old_size, size_t new_size, size_t align);
/* heap_check() on the heap: panics on any broken invariant. */
void arena_heap_check(void);

#endif
