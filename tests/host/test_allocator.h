/* SPDX-License-Identifier: MIT */
/*
 * tests/host/test_allocator.h - the malloc-backed test allocator that host tests of
 * lib/alloc.c and the lib/ collections install as the global allocator.
 *
 * It checks every dealloc/realloc against the layout the block was allocated with, fills
 * new blocks with junk (so "zeroed" is really tested), can be told to fail after N
 * allocations, can keep freed blocks in quarantine so that a double free reads valid
 * memory, and can call a hook as each block is freed. ta_teardown is the leak check.
 * It never panics: misuse (a wrong layout, an unknown pointer) fails the running test.
 */
#ifndef MBHEAP_TESTS_HOST_TEST_ALLOCATOR_H
#define MBHEAP_TESTS_HOST_TEST_ALLOCATOR_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/alloc.h"

#define TA_MAX_BLOCKS 1024

struct ta_block {
    void *p;
    struct layout l;
};

struct test_alloc {
    long fail_after; /* allocations that still succeed; < 0: never fail */
    bool quarantine; /* keep freed blocks until teardown instead of free() */
    size_t live_bytes, live_blocks;
    unsigned allocs, deallocs, reallocs, zeroed;
    const void *last_caller; /* what the last alloc_zeroed was told */
    struct ta_block blocks[TA_MAX_BLOCKS];
    void *freed[TA_MAX_BLOCKS];
    size_t nfreed;
    void (*on_release)(void *p, struct layout l); /* called as each block is freed */
};

/* The test allocator's state and counters; tests read and set its fields directly. */
extern struct test_alloc ta;

/* Only alloc and dealloc: dispatch supplies alloc_zeroed and realloc. */
extern const struct allocator ta_basic;
/* Every op. */
extern const struct allocator ta_full;

/* cmocka setups: reset ta (no failure, no quarantine, no hook) and install ta_basic or
 * ta_full as the global allocator. Return 0. */
int ta_setup_basic(void **state);
int ta_setup_full(void **state);

/* cmocka teardown: uninstalls the global allocator and frees the quarantine. Returns -1,
 * with a line on stderr, if any block is still live; 0 otherwise. */
int ta_teardown(void **state);

#endif
