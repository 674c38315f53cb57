/* SPDX-License-Identifier: MIT */
/*
 * tests/host/sim_phys.h - simulated physical memory for host tests and benchmarks of the
 * pmm and vmm, and the phys_to_virt() that lib/phys.h asks every build to provide.
 *
 * The simulated RAM is one MAP_NORESERVE anonymous mapping: phys_to_virt(p) is
 * sim_phys + p, and a page costs real memory only once touched. phys_to_virt of an
 * address at or above the mapped size fails the running cmocka test (outside a test, as in
 * the benchmark, cmocka ends the process).
 */
#ifndef MBHEAP_TESTS_HOST_SIM_PHYS_H
#define MBHEAP_TESTS_HOST_SIM_PHYS_H

#include <stdint.h>

/* Host address of physical address 0; NULL while nothing is mapped. */
extern uint8_t *sim_phys;

/* Maps size bytes of all-zero simulated RAM. Returns 0, or -1 with errno from mmap. */
int sim_phys_map(uint64_t size);

/* Makes all simulated RAM zero and non-resident again. Returns madvise's result. */
int sim_phys_clear(void);

/* Unmaps the simulated RAM. Returns munmap's result. */
int sim_phys_unmap(void);

/* cmocka-shaped sim_phys_clear (a per-test setup) and sim_phys_unmap (a group teardown). */
int sim_phys_reset(void **state);
int sim_phys_teardown(void **state);

#endif
