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

/**
 * vmm_is_canonical() - whether @v is canonical for 4-level paging.
 * @v: any virtual address.
 *
 * Context: any; pure, takes no lock.
 * Return: true when bits 63..47 of @v are all equal; false otherwise.
 */
bool vmm_is_canonical(vaddr_t v);

/**
 * vmm_space_init() - initialise @s with an empty address space.
 * @s: the space; written only on success.
 * @ops: where @s gets and returns table frames and how it flushes; must outlive @s.
 * @ctx: passed to every @ops call.
 *
 * Its PML4 is one frame from ops->alloc_frame, zeroed.
 *
 * Context: before any other call on @s; takes no lock; calls ops->alloc_frame once.
 * Return: E_OK; the error ops->alloc_frame returned (E_NOMEM when it has no frame).
 */
err_t vmm_space_init(struct vmm_space *s, const struct vmm_ops *ops, void *ctx);

/**
 * vmm_space_destroy() - give every table frame of @s back through ops->free_frame.
 * @s: the address space; it must not be loaded in CR3.
 *
 * The PML4 included; the frames the leaves map are the caller's and are not freed. No
 * flush. @s must be initialised again (vmm_space_init) before further use. This kernel has
 * one address space and never calls it; it is kept for users with more than one (a
 * process's address space ends).
 *
 * Context: serialised by the caller; takes no lock (see the top of this file).
 */
void vmm_space_destroy(struct vmm_space *s);

/**
 * vmm_map() - map the 4 KiB page at @page to @frame.
 * @s: the address space.
 * @page: canonical, 4 KiB-aligned virtual address.
 * @frame: 4 KiB-aligned physical address below 2^52.
 * @flags: from VMM_LEAF_FLAGS (PRESENT implied; VMM_HUGE is refused).
 *
 * Missing tables (up to three) are allocated through ops->alloc_frame, zeroed and linked
 * PRESENT|WRITABLE (|USER when @flags has USER); an existing parent gains WRITABLE/USER if
 * it lacks them, with a flush. Otherwise there is no flush: a page that was not present
 * needs none (the TLB caches no not-present entries). All checks and allocations come
 * before the first change to @s's tables, so a failure changes nothing.
 *
 * Context: serialised by the caller; takes no lock (see the top of this file); calls
 * ops->alloc_frame, ops->free_frame (on E_NOMEM) and ops->flush inside the call.
 * Return: E_OK; E_INVAL for a bad @page, @frame or @flags (see the top of this file);
 * E_HUGEPAGE when a 2 MiB/1 GiB page covers @page; E_EXISTS when @page is already mapped;
 * E_NOMEM when a table frame could not be allocated (the ones already taken are given
 * back: nothing is leaked).
 */
err_t vmm_map(struct vmm_space *s, vaddr_t page, paddr_t frame, uint64_t flags);

/**
 * vmm_map_2m() - map the 2 MiB page at @page to @frame, as vmm_map() does a 4 KiB one.
 * @s: the address space.
 * @page: canonical, 2 MiB-aligned virtual address.
 * @frame: 2 MiB-aligned physical address below 2^52.
 * @flags: from VMM_LEAF_FLAGS, VMM_HUGE also accepted (it is implied).
 *
 * Up to two tables are allocated (PML4 -> PDPT -> PD); the leaf is a PD entry with VMM_HUGE.
 *
 * Context: serialised by the caller; takes no lock (see the top of this file); calls
 * ops->alloc_frame, ops->free_frame (on E_NOMEM) and ops->flush inside the call.
 * Return: as vmm_map(): E_OK, E_INVAL, E_HUGEPAGE (inside a 1 GiB page), E_NOMEM; E_EXISTS
 * when a 2 MiB page is mapped there, and also when a page table (4 KiB mappings, even
 * none) already occupies the slot.
 */
err_t vmm_map_2m(struct vmm_space *s, vaddr_t page, paddr_t frame, uint64_t flags);

/**
 * vmm_unmap() - unmap the 4 KiB page at @page.
 * @s: the address space.
 * @page: canonical, 4 KiB-aligned virtual address.
 * @frame_out: the frame it mapped, on success (may be NULL); it stays the caller's.
 *
 * Clears the leaf, unlinks every table (never the PML4) that became empty, flushes the page
 * (invlpg also drops the paging-structure caches), and only then gives those tables back
 * through ops->free_frame, so no CPU walks a freed table.
 *
 * Context: serialised by the caller; takes no lock (see the top of this file); calls
 * ops->flush and ops->free_frame inside the call.
 * Return: E_OK; E_INVAL for a non-canonical or unaligned @page; E_NOENT when @page is not
 * mapped; E_HUGEPAGE when a 2 MiB/1 GiB page covers it.
 */
err_t vmm_unmap(struct vmm_space *s, vaddr_t page, paddr_t *frame_out);

/**
 * vmm_unmap_2m() - unmap the 2 MiB page at @page, like vmm_unmap.
 * @s: the address space.
 * @page: 2 MiB-aligned canonical virtual address.
 * @frame_out: the frame it mapped (may be NULL).
 *
 * The undo of vmm_map_2m: this kernel's direct map is never unmapped, but a user who maps
 * 2 MiB pages must be able to take them down. Empty tables are given back after the flush,
 * as vmm_unmap() does.
 *
 * Context: serialised by the caller; takes no lock (see the top of this file); calls
 * ops->flush and ops->free_frame inside the call.
 * Return: E_OK; E_INVAL for a non-canonical or not 2 MiB-aligned @page; E_NOENT when no
 * 2 MiB page is mapped there (nothing, or a page table); E_HUGEPAGE inside a 1 GiB page.
 */
err_t vmm_unmap_2m(struct vmm_space *s, vaddr_t page, paddr_t *frame_out);

/**
 * vmm_protect() - replace the flags of the 4 KiB page mapped at @page.
 * @s: the address space.
 * @page: canonical, 4 KiB-aligned virtual address.
 * @flags: from VMM_LEAF_FLAGS (PRESENT implied; VMM_HUGE is refused).
 *
 * The frame and ACCESSED/DIRTY are kept. The parents gain WRITABLE/USER as for vmm_map().
 * The page is flushed when its entry or a parent entry changed.
 *
 * Context: serialised by the caller; takes no lock (see the top of this file); calls
 * ops->flush inside the call.
 * Return: E_OK; E_INVAL for a bad @page or @flags; E_NOENT, E_HUGEPAGE as for vmm_unmap().
 */
err_t vmm_protect(struct vmm_space *s, vaddr_t page, uint64_t flags);

/**
 * vmm_translate() - translate any byte address of @s.
 * @s: the address space.
 * @addr: any virtual address, not necessarily aligned.
 * @out: the physical address of @addr, offset included (may be NULL).
 * @flags_out: the leaf entry's flag bits (may be NULL): VMM_HUGE set for 2 MiB and 1 GiB
 *             leaves only, ACCESSED/DIRTY as the CPU left them.
 *
 * Handles 4 KiB, 2 MiB and 1 GiB leaves. Changes nothing; the out pointers are written
 * only on success.
 *
 * Context: serialised by the caller; takes no lock (see the top of this file).
 * Return: E_OK; E_INVAL for a non-canonical @addr; E_NOENT when @addr is not mapped.
 */
err_t vmm_translate(const struct vmm_space *s, vaddr_t addr, paddr_t *out, uint64_t *flags_out);

/* Called by vmm_walk for each leaf: size is 4 KiB, 2 MiB or 1 GiB; flags as vmm_translate. */
typedef void (*vmm_walk_fn)(void *arg, vaddr_t page, paddr_t frame, uint64_t size, uint64_t flags);

/**
 * vmm_walk() - call @fn for every leaf mapping of @s.
 * @s: the address space.
 * @fn: called with @arg, the page's (canonical) address, its frame, its size (4 KiB, 2 MiB
 *      or 1 GiB) and its flags as vmm_translate() reports them; it must not change @s.
 * @arg: passed to @fn.
 *
 * In ascending (canonical) address order. For debugging dumps, checks (kmem_init's W^X
 * check, kmem_census) and tests.
 *
 * Context: serialised by the caller; takes no lock (see the top of this file); @fn runs
 * inside the call.
 */
void vmm_walk(const struct vmm_space *s, vmm_walk_fn fn, void *arg);

/* Called by vmm_walk_tables for each page table: level 4 (the PML4) down to 1 (a PT). */
typedef void (*vmm_table_fn)(void *arg, paddr_t table, int level);

/**
 * vmm_walk_tables() - call @fn for every table frame of @s.
 * @s: the address space.
 * @fn: called with @arg, the table's physical address and its level (4: the PML4, down to
 *      1: a PT); it must not change @s.
 * @arg: passed to @fn.
 *
 * The PML4 first, each parent before its children. For integrity checks (every table
 * frame allocated, counted: kmem_census).
 *
 * Context: serialised by the caller; takes no lock (see the top of this file); @fn runs
 * inside the call.
 */
void vmm_walk_tables(const struct vmm_space *s, vmm_table_fn fn, void *arg);

#endif
