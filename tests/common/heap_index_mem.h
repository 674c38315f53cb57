/* SPDX-License-Identifier: MIT */
/*
 * tests/common/heap_index_mem.h - index memory for heaps built by host programs (unit
 * tests, fuzz target, benchmarks), and the switches that run a test with the index off
 * (MBHEAP_HEAP_INDEX=off) or under the good-fit policy (MBHEAP_POLICY=good_fit).
 */
#ifndef MBHEAP_TESTS_COMMON_HEAP_INDEX_MEM_H
#define MBHEAP_TESTS_COMMON_HEAP_INDEX_MEM_H

#include <stdbool.h>
#include <stddef.h>

#include "mm/heap.h"

/*
 * Index memory for one heap capped at max_size: a fresh reservation (untouched pages cost
 * nothing), released by the next call with the same slot. slot tells apart heaps that
 * live at the same time (0..3). Returns NULL, so that heap_init walks the list, when the
 * environment says MBHEAP_HEAP_INDEX=off: ctest runs the heap tests both ways.
 */
const struct heap_index_mem *test_heap_index_slot(size_t max_size, unsigned slot);

/* Like test_heap_index_slot, whatever MBHEAP_HEAP_INDEX says: for tests that run the
 * index on and off side by side. */
const struct heap_index_mem *test_heap_index_on(size_t max_size, unsigned slot);

/* test_heap_index_slot(max_size, 0). */
const struct heap_index_mem *test_heap_index(size_t max_size);

/* True unless MBHEAP_HEAP_INDEX=off. */
bool test_heap_indexed(void);

/* The placement policy the environment asks for: HEAP_F_GOOD_FIT when it says
 * MBHEAP_POLICY=good_fit, 0 (first fit) when it says first_fit or nothing; any other value
 * aborts with a message. ctest runs every heap test under both policies. */
unsigned test_heap_policy(void);

/* heap_init with test_heap_policy() added to flags: what the heap tests call. */
err_t test_heap_init(struct heap *h, void *base, size_t size, heap_grow_fn grow, void *grow_ctx,
                     size_t max_size, unsigned flags, const struct heap_index_mem *index);

#endif
