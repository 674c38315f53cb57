/* SPDX-License-Identifier: MIT */
/*
 * mm/vmm.h - the x86_64 4-level page-table walker (PML4 -> PDPT -> PD -> PT).
 *
 * Owns the contents of one address space's page tables. It reaches table memory only
 * through phys_to_virt(), gets table frames from the space's ops (the kernel passes the
 * pmm), and never executes a privileged instruction: TLB invalidation is ops->flush (the
 * kernel passes invlpg). It takes no lock: the caller serialises calls on one space
 * ("Context: serialised by the caller"); ops->alloc_frame and ops->free_frame run inside
 * those calls. The kernel's space lives in kernel/kmem.c behind an IRQ-saving lock ("vmm",
 * taken before the frame allocator's "pmm"): kernel code maps pages through kernel/kmem.h
 * (kmem_map_page and co.), which may run in interrupt handlers.
 * See mm/vmm.c for how it works.
 *
 * Addresses: a vaddr must be canonical (bits 63..47 equal) and aligned to the page size
 * of the call; a paddr must be aligned and below 2^52. Otherwise E_INVAL.
 * Errors mirror x86_64's MapToError: E_NOMEM (table frame allocation failed), E_EXISTS
 * (page already mapped), E_HUGEPAGE (a parent entry is a huge page).
 */
#ifndef MBHEAP_MM_VMM_H
#define MBHEAP_MM_VMM_H

#include "lib/error.h"
#include "lib/types.h"

/* Page-table entry bits (Intel SDM vol. 3, 4.5). */
#define VMM_PRESENT ((uint64_t)1 << 0)
#define VMM_WRITABLE ((uint64_t)1 << 1)
#define VMM_USER ((uint64_t)1 << 2)
#define VMM_WRITE_THROUGH ((uint64_t)1 << 3)
#define VMM_NO_CACHE ((uint64_t)1 << 4)
#define VMM_ACCESSED ((uint64_t)1 << 5) /* set by the CPU */
#define VMM_DIRTY ((uint64_t)1 << 6)    /* set by the CPU, leaves only */
#define VMM_HUGE ((uint64_t)1 << 7)     /* PS: a 2 MiB (PD) or 1 GiB (PDPT) leaf */
#define VMM_GLOBAL ((uint64_t)1 << 8)
#define VMM_NX ((uint64_t)1 << 63)

/* The flags a caller may pass to vmm_map/vmm_protect (PRESENT is implied); vmm_map_2m also
 * accepts VMM_HUGE (implied there). Anything else is E_INVAL. */
#define VMM_LEAF_FLAGS                                                                             \
    (VMM_PRESENT | VMM_WRITABLE | VMM_USER | VMM_WRITE_THROUGH | VMM_NO_CACHE | VMM_GLOBAL | VMM_NX)

#define VMM_PAGE_SIZE_1G ((uint64_t)1 << 30)

/* Where a space gets and returns table frames and how it invalidates a TLB entry. */
struct vmm_ops {
    /* One frame for a page table, reachable through phys_to_virt(); E_NOMEM when none. */
    err_t (*alloc_frame)(void *ctx, paddr_t *out);
    /* Gives back a frame alloc_frame returned. */
    void (*free_frame)(void *ctx, paddr_t frame);
    /* Invalidates the TLB entry for page and the paging-structure caches (invlpg).
     * May be NULL for a space that is not loaded in CR3. */
    void (*flush)(void *ctx, vaddr_t page);
};

struct vmm_space {
    paddr_t pml4;
    const struct vmm_ops *ops;
    void *ctx;
};

/* True when v is canonical for 4-level paging (bits 63..47 all equal). Context: any; pure. */
bool vmm_is_canonical(vaddr_t v);

/* Initialises s with a zeroed PML4 from ops->alloc_frame; E_NOMEM when that fails.
 * ops must outlive s. Context: before any other call on s; takes no lock. */
err_t vmm_space_init(struct vmm_space *s, const struct vmm_ops *ops, void *ctx);

/**
 * vmm_space_destroy() - give every table frame of @s back through ops->free_frame.
 * @s: the address space; it must not be loaded in CR3.
 *
 * The PML4 included; the frames the leaves map are the caller's and are not freed. This
 * kernel has one address space and never calls it; it is kept for users with more than one
 * (a process's address space ends).
 *
 * Return: nothing; @s must be initialised again before further use.
 * Context: serialised by the caller; takes no lock (see the top of this file).
 */
void vmm_space_destroy(struct vmm_space *s);

/*
 * Maps the 4 KiB page at page to frame with flags (from VMM_LEAF_FLAGS; PRESENT implied).
 * Missing tables are allocated, zeroed and linked PRESENT|WRITABLE (|USER when flags has
 * USER; an existing parent gains WRITABLE/USER if it lacks them, with a flush). Errors:
 * E_INVAL, E_EXISTS (already mapped), E_HUGEPAGE (a 2 MiB/1 GiB page covers it), E_NOMEM
 * (a table frame could not be allocated: nothing was changed and nothing is leaked).
 * Mapping a page that was not present needs no flush and gets none.
 * Context: serialised by the caller; takes no lock (see the top of this file).
 */
err_t vmm_map(struct vmm_space *s, vaddr_t page, paddr_t frame, uint64_t flags);

/* Maps a 2 MiB page (page and frame 2 MiB-aligned). Same errors as vmm_map; E_EXISTS also
 * when a page table (4 KiB mappings, even none) already occupies the slot. Context: serialised by
 * the caller; takes no lock (see the top of this file). */
err_t vmm_map_2m(struct vmm_space *s, vaddr_t page, paddr_t frame, uint64_t flags);

/*
 * Unmaps the 4 KiB page at page, stores the frame it mapped in *frame_out (may be NULL),
 * flushes it, and gives back through ops->free_frame every table (never the PML4) that
 * became empty. E_NOENT when page is not mapped, E_HUGEPAGE when a huge page covers it.
 * Context: serialised by the caller; takes no lock (see the top of this file).
 */
err_t vmm_unmap(struct vmm_space *s, vaddr_t page, paddr_t *frame_out);

/**
 * vmm_unmap_2m() - unmap the 2 MiB page at @page, like vmm_unmap.
 * @s: the address space.
 * @page: 2 MiB-aligned virtual address.
 * @frame_out: the frame it mapped (may be NULL).
 *
 * The undo of vmm_map_2m: this kernel's direct map is never unmapped, but a user who maps
 * 2 MiB pages must be able to take them down.
 *
 * Return: E_OK; E_NOENT when no 2 MiB page is mapped there (nothing, or a page table),
 * E_HUGEPAGE inside a 1 GiB page.
 * Context: serialised by the caller; takes no lock (see the top of this file).
 */
err_t vmm_unmap_2m(struct vmm_space *s, vaddr_t page, paddr_t *frame_out);

/* Replaces the flags of the 4 KiB page mapped at page (PRESENT implied; ACCESSED/DIRTY
 * kept) and flushes it when the entry changed. E_NOENT, E_HUGEPAGE as for vmm_unmap. Context:
 * serialised by the caller; takes no lock (see the top of this file). */
err_t vmm_protect(struct vmm_space *s, vaddr_t page, uint64_t flags);

/*
 * Translates any byte address: *out = physical address of addr (offset included), and
 * *flags_out = the leaf entry's flag bits (VMM_HUGE set for 2 MiB and 1 GiB leaves only;
 * ACCESSED/DIRTY as the CPU left them). Either out pointer may be NULL. Handles 4 KiB,
 * 2 MiB and 1 GiB leaves. E_INVAL for a non-canonical addr, E_NOENT when not mapped.
 * Context: serialised by the caller; takes no lock (see the top of this file).
 */
err_t vmm_translate(const struct vmm_space *s, vaddr_t addr, paddr_t *out, uint64_t *flags_out);

/* Called by vmm_walk for each leaf: size is 4 KiB, 2 MiB or 1 GiB; flags as vmm_translate. */
typedef void (*vmm_walk_fn)(void *arg, vaddr_t page, paddr_t frame, uint64_t size, uint64_t flags);

/* Calls fn for every leaf mapping of s in ascending (canonical) address order. fn must
 * not change s. For debugging dumps and tests. Context: serialised by the caller; takes no lock
 * (see the top of this file). */
void vmm_walk(const struct vmm_space *s, vmm_walk_fn fn, void *arg);

/* Called by vmm_walk_tables for each page table: level 4 (the PML4) down to 1 (a PT). */
typedef void (*vmm_table_fn)(void *arg, paddr_t table, int level);

/* Calls fn for every table frame of s, the PML4 first, each parent before its children.
 * fn must not change s. For integrity checks (every table frame allocated, counted). Context:
 * serialised by the caller; takes no lock (see the top of this file). */
void vmm_walk_tables(const struct vmm_space *s, vmm_table_fn fn, void *arg);

#endif
