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

/* Returns a pointer through which the byte at physical address p can be accessed. Context: any;
 * takes no lock (the kernel's direct map never changes after boot). */
void *phys_to_virt(paddr_t p);

#endif
