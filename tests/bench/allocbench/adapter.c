/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/allocbench/adapter.c - the mm/heap.c core as an allocbench plugin.
 *
 * Built by build.sh with ../shared/allocbench/mkadapter.sh from the same mm/heap.c and
 * lib/ sources the kernel uses. The heap and its growth rule are tests/bench/arena_heap.c
 * (shared with the project's own heap_bench): init() puts a fresh heap at the arena start
 * and the grow hook carves further bytes from the arena. panic_at() prints and aborts
 * (tests/common/panic_abort.c). The placement policy is first fit, or good fit when the
 * environment says MBHEAP_POLICY=good_fit (as for the heap tests).
 */
#include "allocbench.h"
#include "tests/bench/arena_heap.h"
#include "tests/common/heap_index_mem.h"

static int ab_init(void *arena, size_t size)
{
    return arena_heap_init(arena, size, test_heap_policy()) == 0 ? AB_INIT_ARENA : -1;
}

AB_EXPORT const struct ab_alloc ab_adapter = {
    .name = "mbheap",
    .init = ab_init,
    .alloc = arena_heap_alloc,
    .free = arena_heap_free,
    .realloc = arena_heap_realloc,
};
