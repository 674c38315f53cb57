/* SPDX-License-Identifier: MIT */
/*
 * kernel/kheap.h - the kernel heap: the heap core (mm/heap.c) in a mapped region, behind an
 * IRQ-saving spinlock, as the global allocator.
 *
 * The region starts at HEAP_START (0x0000_4444_4444_0000) with HEAP_SIZE (100 KiB) mapped
 * PRESENT | WRITABLE | NX at init, and grows on demand (more pages mapped at its end) up
 * to heap_max. Kernel glue: uses the kernel's frame allocator and page tables.
 */
#ifndef MBHEAP_KERNEL_KHEAP_H
#define MBHEAP_KERNEL_KHEAP_H

#include "lib/alloc.h"
#include "lib/error.h"
#include "mm/heap.h"

/* The heap region's start and the bytes mapped there at init (DESIGN.md, memory layout). */
#define HEAP_START 0x0000444444440000ull
#define HEAP_SIZE (100 * 1024ull)
#define KHEAP_MAX_DEFAULT (64 * 1024 * 1024ull) /* heap_max when the command line says none */

/**
 * kheap_init() - map the kernel heap and start it, giving memory back on.
 * @heap_max: the growth cap in bytes; 0: KHEAP_MAX_DEFAULT. Rounded up to pages and raised
 *            to at least HEAP_SIZE; at most 1 TiB.
 * @flags: HEAP_F_DEBUG (poisoning, caller tracking), HEAP_F_NO_INDEX (first fits by walking
 *         the list), HEAP_F_GOOD_FIT (the good-fit policy).
 *
 * Maps the initial region, HEAP_SIZE at HEAP_START (fresh frames, cleared), and runs
 * heap_init over it with the
 * first-fit index's memory in its own range after the heap's cap and a guard page (mapped
 * as the index grows), then kheap_set_trim(true). On failure everything mapped so far is
 * unmapped and its frames given back, and the error is returned; a call while the heap's
 * first page is mapped already (a second call) returns E_EXISTS and keeps no frame (it
 * takes one for the mapping attempt and gives it back; E_NOMEM when none is free).
 *
 * Context: boot (kmain), once, interrupts off; nothing else runs yet. Takes "vmm" and "pmm"
 * (mapping), then "kheap" (kheap_set_trim).
 * Return: E_OK; E_RANGE when @heap_max rounded up to pages overflows or exceeds 1 TiB;
 * E_NOMEM (no frame, for a page or a page table); E_EXISTS (a page of the region was
 * already mapped); E_HUGEPAGE (a huge page covers part of it); E_INVAL (flags heap_init
 * refuses: an unknown one, or HEAP_F_NO_INDEX with HEAP_F_GOOD_FIT).
 */
err_t kheap_init(uint64_t heap_max, unsigned flags);

/**
 * kheap_set_trim() - whether the heap gives whole free pages back to the frame allocator.
 * @on: true: such pages are unmapped and their frames freed (fresh, cleared frames are
 *      mapped when they are used again); false: the heap keeps every page it maps.
 *
 * kheap_init turns it on; heap_trim=off turns it off right after. Either way the heap
 * knows new memory reads as zero (the kernel clears the frames it maps), except in
 * HEAP_F_DEBUG mode, which poisons free memory.
 *
 * Context: takes "kheap" (IRQ-saving); calls no hook; not with "kheap", "vmm" or "pmm"
 * held.
 * Return: E_OK; E_INVAL, changing nothing, when pages are released at the time of the call.
 */
err_t kheap_set_trim(bool on);

/**
 * kheap_allocator() - the kernel heap as a struct allocator, named after its policy.
 *
 * kmain installs it as the global allocator.
 * Its ops take "kheap" (an IRQ-saving spinlock: interrupt handlers may allocate); growth,
 * giving pages back and taking them back map or unmap pages under it ("vmm", then "pmm").
 * A failing alloc returns NULL after unlocking (the alloc-failure handler never runs under
 * the lock). It has alloc_at (leak reports show who allocated), alloc_zeroed (clears only
 * what is not known zero), realloc (the old layout is checked as dealloc's: panics
 * "kheap_realloc: layout { ... } does not match the block ...") and usable_size (kmalloc
 * needs no header of its own).
 *
 * Context: any; takes no lock (reads the flags kheap_init set).
 * Return: the first-fit one ("first-fit linked-list heap") unless kheap_init was given
 * HEAP_F_GOOD_FIT ("good-fit size-class heap").
 */
const struct allocator *kheap_allocator(void);

/*
 * Locked wrappers around the core's inspection functions (mm/heap.h says what each
 * does and panics on).
 */

/**
 * kheap_check() - heap_check() on the kernel heap, under its lock.
 *
 * Panics "heap_check: ..." on a violated invariant.
 *
 * Context: not in an interrupt handler (it walks the whole heap with interrupts off);
 * takes "kheap".
 */
void kheap_check(void);
/**
 * kheap_stats() - heap_get_stats() on the kernel heap, under its lock.
 * @out: filled in.
 *
 * Context: any; takes "kheap".
 */
void kheap_stats(struct heap_stats *out);
/**
 * kheap_leak_report() - heap_leak_report() on the kernel heap, under its lock.
 *
 * Context: not in an interrupt handler (prints with interrupts off); takes "kheap".
 * Return: the number of live blocks.
 */
size_t kheap_leak_report(void);

/* The heap's current region [start, end) and its growth cap (0 before kheap_init). */

/**
 * kheap_start() - the start of the heap's region.
 *
 * Context: any; takes no lock.
 * Return: HEAP_START once kheap_init has run.
 */
uintptr_t kheap_start(void);
/**
 * kheap_end() - the end of the heap's current region (its end sentinel included).
 *
 * Context: any; takes no lock (a snapshot: the heap may grow).
 * Return: one past the region's last byte.
 */
uintptr_t kheap_end(void);
/**
 * kheap_max() - the heap's growth cap.
 *
 * Context: any; takes no lock.
 * Return: the most bytes the region may span: heap_max as kheap_init rounded it.
 */
size_t kheap_max(void);
/**
 * kheap_index_pages() - the pages mapped for the first-fit index.
 *
 * The index has its own range, after the heap's cap and a guard page.
 * Context: any; takes "kheap".
 * Return: that count; 0 when the heap has no index (HEAP_F_NO_INDEX, HEAP_F_GOOD_FIT).
 */
size_t kheap_index_pages(void);
/**
 * kheap_describe_fault() - name a faulting address in the heap's range for the fault panic.
 * @addr: the faulting address (CR2).
 * @present: the page was present (a protection violation).
 *
 * kmain gives it to idt_set_fault_describer. Three cases: a page absent below the heap's
 * end is one the heap gave back ("a released page inside a free kernel-heap block ...": it
 * lies inside a free block, so whoever touched it used freed memory -- a use after free, or
 * a free of a pointer already freed whose header was on that page; the heap cannot say
 * "double free" there, reading the header is what faulted); an address between the end and
 * the cap ("the kernel heap beyond its end (not grown that far)"); the guard page after the
 * cap. Before kheap_init it names nothing.
 *
 * Context: the page-fault handler, perhaps inside a heap call: takes no lock (reads the
 * heap's end unlocked), never allocates.
 * Return: the description, or NULL when @addr is not the heap's, the page was present, or
 * kheap_init has not run.
 */
const char *kheap_describe_fault(uint64_t addr, bool present);

#endif
