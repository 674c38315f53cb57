/* SPDX-License-Identifier: MIT */
/*
 * kernel/kmem.h - the kernel's physical and virtual memory, set up once at boot.
 *
 * kmem_init() turns the multiboot2 memory map into the normalised map with the kernel's
 * reservations, starts the frame allocator, builds the kernel's own page tables (direct
 * map of RAM, W^X kernel sections, unmapped stack guard page, no identity map), switches
 * CR3 to them and gives the boot page tables back to the frame allocator.
 * Kernel glue: uses arch/ (CR3, invlpg) and the mm/ cores.
 */
#ifndef MBHEAP_KERNEL_KMEM_H
#define MBHEAP_KERNEL_KMEM_H

#include "mm/memmap.h"
#include "mm/multiboot2.h"
#include "mm/pmm.h"
#include "mm/vmm.h"

/* Sets everything up; panics with the reason on failure. fail_after is the
 * fault-injection budget applied once the kernel's tables are built (UINT64_MAX: none).
 * Context: boot, once, interrupts off. */
void kmem_init(const struct mb2_info *mb2, uint32_t mbi_pa, uint64_t fail_after);

/* The normalised memory map with the kernel's reservations (read-only after boot).
 * Context: any; takes no lock (the map does not change after kmem_init). */
const struct memmap *kmem_map(void);

/* The physical address of the kernel's PML4 (what CR3 holds after kmem_init).
 * Context: any; takes no lock (fixed after boot). */
paddr_t kmem_pml4(void);

/*
 * The kernel's frame allocator and page mapper. The mm/ cores take no lock; the kernel's
 * instances of them live here, each behind an IRQ-saving spinlock, and are reached only
 * through these functions, so that an interrupt handler (the kernel heap growing from a
 * timer tick) can never run into a caller it interrupted. Lock order: "vmm", then "pmm"
 * (the mapper takes table frames with its lock held); the kernel heap's "kheap" lock comes
 * before both. Each function says what the core function it wraps says (mm/pmm.h,
 * mm/vmm.h) about its arguments, results and panics.
 */

/* pmm_alloc on the kernel's frames. Context: any, interrupt handlers included; takes
 * "pmm" (interrupts off while it is held). */
err_t kmem_frame_alloc(paddr_t *out);

/* pmm_free on the kernel's frames. Context: any; takes "pmm". */
void kmem_frame_free(paddr_t frame);

/* pmm_stats of the kernel's frames. Context: any; takes "pmm". */
void kmem_frame_stats(struct pmm_stats *out);

/* vmm_map on the kernel's address space (table frames from kmem_frame_alloc).
 * Context: any, interrupt handlers included; takes "vmm", then "pmm". */
err_t kmem_map_page(vaddr_t page, paddr_t frame, uint64_t flags);

/* vmm_unmap on the kernel's address space (emptied tables go back to the frame allocator).
 * Context: any; takes "vmm", then "pmm". */
err_t kmem_unmap_page(vaddr_t page, paddr_t *frame_out);

/* vmm_translate on the kernel's address space. Context: any; takes "vmm". */
err_t kmem_translate(vaddr_t addr, paddr_t *out, uint64_t *flags_out);

/* What kmem_census counts. */
struct kmem_census {
    uint64_t tables; /* page-table frames of the kernel's address space, the PML4 included */
    uint64_t mapped; /* 4 KiB pages mapped below the direct map (the heap, tests' pages) */
    uint64_t used;   /* frames the frame allocator has handed out */
};

/*
 * An integrity check of the frame allocator and the kernel's page tables, with both locks
 * held: pmm_check(), then every page table and every page mapped below the direct map must
 * be a frame the pmm handed out (panics "kmem_census: ..." naming the first that is not).
 * The counts let a caller check that nothing leaked or was handed out twice: used ==
 * tables + mapped + the frames held unmapped. Context: not in an interrupt handler (it
 * walks every table with interrupts off); takes "vmm", then "pmm".
 */
void kmem_census(struct kmem_census *out);

#endif
