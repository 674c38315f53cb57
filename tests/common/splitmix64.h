/* SPDX-License-Identifier: MIT */
/*
 * tests/common/splitmix64.h - the splitmix64 generator the test programs share (the one
 * allocbench's abtrace.py uses, so that traces generated in C are identical to its own).
 */
#ifndef MBHEAP_TESTS_COMMON_SPLITMIX64_H
#define MBHEAP_TESTS_COMMON_SPLITMIX64_H

#include <stdint.h>

/* Advances *state and returns the next 64-bit value. */
static inline uint64_t splitmix64_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#endif
