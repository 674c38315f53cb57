/* SPDX-License-Identifier: MIT */
/*
 * kernel/direct_map.c - phys_to_virt() for the kernel: the direct map.
 *
 * All physical RAM is mapped at DIRECT_MAP_BASE + physical address (the boot tables map
 * the first 4 GiB there; the kernel's own tables map everything the memory map reports).
 */
#include "kernel/direct_map.h"

void *phys_to_virt(paddr_t p)
{
    return (void *)(uintptr_t)(DIRECT_MAP_BASE + pa_val(p));
}
