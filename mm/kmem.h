/*
 * mm/kmem.h - the kernel's physical and virtual memory, set up once at boot.
 *
 * kmem_init() turns the multiboot2 memory map into the normalised map with the kernel's
 * reservations, starts the frame allocator, builds the kernel's own page tables (direct
 * map of RAM, W^X kernel sections, unmapped stack guard page, no identity map), switches
 * CR3 to them and gives the boot page tables back to the frame allocator.
 * Kernel glue: uses arch/ (CR3, invlpg) and the mm/ cores.
 */
#ifndef MBHEAP_MM_KMEM_H
#define MBHEAP_MM_KMEM_H

#include "mm/memmap.h"
#include "mm/multiboot2.h"
#include "mm/pmm.h"
#include "mm/vmm.h"

/* Sets everything up; panics with the reason on failure. fail_after is the
 * fault-injection budget applied once the kernel's tables are built (UINT64_MAX: none). */
void kmem_init(const struct mb2_info *mb2, uint32_t mbi_pa, uint64_t fail_after);

/* The kernel's frame allocator, address space and normalised memory map. Callers
 * serialise: the kernel is single-CPU and none of these is used from interrupts. */
struct pmm *kmem_pmm(void);
struct vmm_space *kmem_space(void);
const struct memmap *kmem_map(void);

#endif
