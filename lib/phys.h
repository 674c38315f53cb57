/* SPDX-License-Identifier: MIT */
/*
 * lib/phys.h - how the mm/ cores reach physical memory.
 *
 * Page tables and free frames are touched only through phys_to_virt(). The function is
 * provided at link time: by the kernel (kernel/direct_map.c: the direct map at
 * 0xffff_8000_0000_0000) and by each host test (a simulated physical memory array).
 * That is what lets the same core files build for the kernel and for host tests.
 */
#ifndef MBHEAP_LIB_PHYS_H
#define MBHEAP_LIB_PHYS_H

#include "lib/types.h"

/**
 * phys_to_virt() - a pointer through which the byte at physical address @p can be accessed.
 * @p: a physical address.
 *
 * The kernel's (kernel/direct_map.c) is DIRECT_MAP_BASE + @p, unchecked: the kernel's
 * tables (kernel/kmem.c) map the first 1 MiB and the memory map's RAM ranges there (the
 * boot tables, before them, the first 4 GiB); for any other address the pointer may be
 * unmapped and fault when used. The host tests' (tests/host/sim_phys.c) fails the test
 * for an address outside the simulated RAM.
 *
 * Context: any; takes no lock (the kernel's direct map never changes after boot).
 * Return: the pointer to the byte at @p.
 */
void *phys_to_virt(paddr_t p);

#endif
