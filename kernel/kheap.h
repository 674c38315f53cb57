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

/*
 * Maps the initial heap region and sets up the heap core over it, with the first-fit
 * index's memory in its own range after the heap's cap (mapped as the index grows).
 * heap_max (0: the default) caps growth; it is rounded up to pages and at least
 * HEAP_SIZE. flags: HEAP_F_DEBUG (poisoning, caller tracking), HEAP_F_NO_INDEX (first
 * fits by walking the list), HEAP_F_GOOD_FIT (the good-fit policy). On failure everything mapped so
 * far is unmapped and its frames given back, and the error is returned: E_NOMEM (no frame),
 * E_EXISTS (a page of the region was already mapped), E_HUGEPAGE, E_INVAL (flags
 * heap_init refuses, e.g. HEAP_F_NO_INDEX with HEAP_F_GOOD_FIT).
 * Context: boot (kmain), once, interrupts off; takes no lock (nothing else runs yet).
 */
err_t kheap_init(uint64_t heap_max, unsigned flags);

/* Whether the heap gives whole free pages back to the frame allocator (kheap_init turns
 * it on; heap_trim=off turns it off right after). Return: E_OK, or E_INVAL when pages are
 * released at the time of the call. Context: takes kheap's lock. */
err_t kheap_set_trim(bool on);

/* The kernel heap as a struct allocator (installed as the global one by kmain), named
 * after its placement policy. Return: the first-fit one unless kheap_init was given
 * HEAP_F_GOOD_FIT. Context: any; takes no lock. */
const struct allocator *kheap_allocator(void);

/* Locked wrappers around the core's inspection functions. Context: not in an interrupt handler (it
 * walks the whole heap with interrupts off); takes "kheap". */
void kheap_check(void);
/* Context: any; takes "kheap". */
void kheap_stats(struct heap_stats *out);
/* Context: not in an interrupt handler (prints); takes "kheap". */
size_t kheap_leak_report(void);

/* The heap's current region [start, end) and its growth cap. Context: any; takes no lock. */
uintptr_t kheap_start(void);
/* Context: any; takes no lock (a snapshot: the heap may grow). */
uintptr_t kheap_end(void);
/* Context: any; takes no lock. */
size_t kheap_max(void);
/* Pages mapped for the first-fit index (beside the heap's own region, after its cap).
 * Context: any; takes "kheap". */
size_t kheap_index_pages(void);

#endif
