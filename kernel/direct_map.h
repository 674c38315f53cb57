/*
 * mm/kphys.h - the kernel's virtual memory layout constants and the direct map.
 * Kernel-only (host tests provide their own phys_to_virt()). Constants only; the kernel's
 * phys_to_virt() (mm/kphys.c, declared in mm/phys.h) may run in any context and takes no
 * lock: the direct map never changes after boot.
 */
#ifndef MBHEAP_MM_KPHYS_H
#define MBHEAP_MM_KPHYS_H

#include "mbheap_layout.h" /* generated from cmake/layout.cmake */
#include "mm/phys.h"

#define DIRECT_MAP_BASE 0xffff800000000000ull
#define KERNEL_VMA MBHEAP_KERNEL_VMA
#define HEAP_START 0x0000444444440000ull
#define HEAP_SIZE (100 * 1024ull)

#endif
