/* SPDX-License-Identifier: MIT */
/*
 * tests/common/heap_index_mem.h - index memory for heaps built by host programs (unit
 * tests, fuzz target, benchmarks), and the switch that runs a test with the index off.
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

#endif
