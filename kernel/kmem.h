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

/**
 * kmem_init() - set up the kernel's memory map, frame allocator and page tables.
 * @mb2: the boot information mb2_parse() filled; its MBI is read through the direct map
 *       (phys_to_virt), which the boot tables and the kernel's tables both map.
 * @mbi_pa: the MBI's physical address: its total_size bytes are reserved.
 * @fail_after: the frame allocator's fault-injection budget (pmm_fail_after), applied once
 *              the kernel's tables are built and the boot tables given back (UINT64_MAX:
 *              none).
 *
 * Everything the top of this file says, in that order. Prints the normalised map
 * (memmap_print, under a heading) and two "[ok]" lines. Panics with the reason on failure
 * ("kmem_init: ..."), among them: an unusable memory map or one without usable RAM, a
 * reservation that does not fit, no room below 4 GiB for the frame allocator's metadata,
 * a failed mapping, no ELF-sections tag or no higher-half section in it, a writable and
 * executable section or leaf, kernel sections sharing a page with different permissions.
 *
 * Context: boot only, once, before interrupts are enabled; single CPU. Calls the mm/ cores
 * directly, without the locks (nothing else runs), except for the page mapper's table
 * frames (kmem_frame_alloc/free) and pmm_fail_after, which take "pmm".
 */
void kmem_init(const struct mb2_info *mb2, uint32_t mbi_pa, uint64_t fail_after);

/**
 * kmem_map() - the normalised memory map with the kernel's reservations.
 *
 * Read-only after boot. The boot page tables' reservation is gone from it once kmem_init
 * has given them back.
 *
 * Context: any; takes no lock (the map does not change after kmem_init).
 * Return: the kernel's map, never NULL; empty before kmem_init.
 */
const struct memmap *kmem_map(void);

/**
 * kmem_pml4() - the physical address of the kernel's PML4.
 *
 * Context: any; takes no lock (fixed after boot).
 * Return: what CR3 holds after kmem_init; 0 before kmem_init built the tables.
 */
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

/**
 * kmem_frame_alloc() - pmm_alloc() on the kernel's frames.
 * @out: the frame's physical address, on success.
 *
 * Context: any, interrupt handlers included; takes "pmm" (interrupts off while it is
 * held); must not be called with "pmm" held (the lock panics: recursive lock).
 * Return: as pmm_alloc(): E_OK; E_NOMEM when no frame is left or the fault-injection
 * budget (kmem_init's @fail_after) is spent.
 */
err_t kmem_frame_alloc(paddr_t *out);

/**
 * kmem_frame_free() - pmm_free() on the kernel's frames.
 * @frame: a frame kmem_frame_alloc() returned; the caller must not touch it afterwards.
 *
 * Panics as pmm_free() does ("pmm_free: ..." with the address) for a frame that is not
 * page-aligned or not handed out.
 *
 * Context: any, interrupt handlers included; takes "pmm" (interrupts off while it is
 * held); must not be called with "pmm" held.
 */
void kmem_frame_free(paddr_t frame);

/**
 * kmem_frame_stats() - pmm_stats() of the kernel's frames.
 * @out: the counts; free + used == total.
 *
 * Context: any, interrupt handlers included; takes "pmm" (interrupts off while it is
 * held); must not be called with "pmm" held.
 */
void kmem_frame_stats(struct pmm_stats *out);

/**
 * kmem_map_page() - vmm_map() on the kernel's address space.
 * @page: canonical, 4 KiB-aligned virtual address.
 * @frame: 4 KiB-aligned physical address below 2^52; it stays the caller's.
 * @flags: from VMM_LEAF_FLAGS.
 *
 * Table frames come from kmem_frame_alloc (so the fault-injection budget covers them);
 * changes to live entries are flushed with invlpg.
 *
 * Context: any, interrupt handlers included; takes "vmm", then "pmm" (interrupts off while
 * they are held); must not be called with either held.
 * Return: as vmm_map(): E_OK; E_INVAL; E_HUGEPAGE (e.g. inside the direct map's 2 MiB
 * pages); E_EXISTS; E_NOMEM when a table frame could not be had (nothing changed).
 */
err_t kmem_map_page(vaddr_t page, paddr_t frame, uint64_t flags);

/**
 * kmem_unmap_page() - vmm_unmap() on the kernel's address space.
 * @page: canonical, 4 KiB-aligned virtual address.
 * @frame_out: the frame it mapped, on success (may be NULL); not freed: it stays the
 *             caller's.
 *
 * The page is flushed with invlpg; emptied tables go back to the frame allocator
 * (kmem_frame_free).
 *
 * Context: any, interrupt handlers included; takes "vmm", then "pmm" (interrupts off while
 * they are held); must not be called with either held.
 * Return: as vmm_unmap(): E_OK; E_INVAL; E_NOENT when @page is not mapped; E_HUGEPAGE when
 * a 2 MiB/1 GiB page covers it.
 */
err_t kmem_unmap_page(vaddr_t page, paddr_t *frame_out);

/**
 * kmem_translate() - vmm_translate() on the kernel's address space.
 * @addr: any virtual address.
 * @out: the physical address of @addr (may be NULL).
 * @flags_out: the leaf entry's flag bits (may be NULL).
 *
 * Context: any, interrupt handlers included; takes "vmm" (interrupts off while it is
 * held); must not be called with "vmm" held.
 * Return: as vmm_translate(): E_OK; E_INVAL for a non-canonical @addr; E_NOENT when @addr
 * is not mapped.
 */
err_t kmem_translate(vaddr_t addr, paddr_t *out, uint64_t *flags_out);

/* What kmem_census counts. */
struct kmem_census {
    uint64_t tables; /* page-table frames of the kernel's address space, the PML4 included */
    uint64_t mapped; /* 4 KiB pages mapped below the direct map (the heap, tests' pages) */
    uint64_t used;   /* frames the frame allocator has handed out */
};

/**
 * kmem_census() - check the frame allocator and the kernel's page tables, and count them.
 * @out: the counts (struct kmem_census).
 *
 * With both locks held: pmm_check() (panics "pmm_check: ..."), then every page table and
 * every page mapped below the direct map must be a 4 KiB frame the pmm handed out (panics
 * "kmem_census: ..." naming the first that is not). The counts let a caller check that
 * nothing leaked or was handed out twice: used == tables + mapped + the frames held
 * unmapped.
 *
 * Context: not in an interrupt handler (it walks every table and the whole bitmap with
 * interrupts off); takes "vmm", then "pmm"; must not be called with either held.
 */
void kmem_census(struct kmem_census *out);

#endif
