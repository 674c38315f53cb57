/* SPDX-License-Identifier: MIT */
/*
 * kernel/direct_map.h - where the kernel image and the direct map of physical memory lie.
 * Kernel-only (host tests provide their own phys_to_virt()). Constants only; the kernel's
 * phys_to_virt() (kernel/direct_map.c, declared in lib/phys.h) may run in any context and
 * takes no lock: the direct map never changes after boot. The heap's range is in
 * kernel/kheap.h.
 */
#ifndef MBHEAP_KERNEL_DIRECT_MAP_H
#define MBHEAP_KERNEL_DIRECT_MAP_H

#include "lib/phys.h"
#include "mbheap_layout.h" /* generated from cmake/layout.cmake */

#define DIRECT_MAP_BASE 0xffff800000000000ull
#define KERNEL_VMA MBHEAP_KERNEL_VMA

#endif
