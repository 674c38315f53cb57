/* SPDX-License-Identifier: MIT */
/*
 * mm/pmm.h - the physical frame allocator: 4 KiB frames over all usable RAM.
 *
 * Owns which physical frames are free. It must not know how frames are mapped (it
 * reaches frame and bitmap memory only through phys_to_virt()), and it takes no lock:
 * the caller serialises calls on one struct pmm ("Context: serialised by the caller").
 * There is no global instance; the kernel keeps one in its glue, kernel/kmem.c, behind an
 * IRQ-saving lock ("pmm"): kernel code allocates frames through kernel/kmem.h
 * (kmem_frame_alloc and co.), which may run in interrupt handlers. (The lock is not in
 * this core so that host tests run it as it is, panics included, over simulated memory.)
 * See mm/pmm.c for how it works.
 *
 * Ordering promise: a frame never handed out before is always the lowest usable frame
 * not yet handed out, and a freed (or released) frame is reused before any new one. So,
 * released frames aside, the k-th distinct frame ever returned is the k-th lowest usable
 * frame: the kernel's early allocations stay below 4 GiB (inside the boot page tables'
 * direct map) until 4 GiB worth of usable frames have been handed out.
 */
#ifndef MBHEAP_MM_PMM_H
#define MBHEAP_MM_PMM_H

#include "lib/error.h"
#include "lib/types.h"
#include "mm/memmap.h"

/* One usable range, copied out of the memory map. */
struct pmm_range {
    uint64_t start, end; /* [start, end), page-aligned */
};

/* Allocator state. Fields are private to mm/pmm.c; read them through pmm_stats(). */
struct pmm {
    struct memmap map;                   /* copy of the map given to pmm_init */
    struct pmm_range usable[MEMMAP_MAX]; /* usable ranges, ascending */
    size_t nusable;                      /* entries in usable[] */
    uint64_t base, limit;                /* the span of RAM: the bitmap covers it */
    uint64_t meta, meta_end;             /* the metadata: never released */
    uint64_t *bitmap;                    /* 1 bit per frame: 1 = handed out */
    uint32_t *stack;                     /* free frames, (frame - base) >> 12, LIFO */
    uint64_t stack_top;                  /* entries on the stack */
    uint64_t stack_cap;                  /* room on the stack: frames of RAM */
    size_t cursor_range;                 /* usable[] index of the cursor */
    uint64_t cursor;                     /* next never-used frame in that range */
    uint64_t total;                      /* usable frames */
    uint64_t used;                       /* frames handed out and not freed */
    uint64_t fail_after;                 /* allocations left before injected E_NOMEM */
};

struct pmm_stats {
    uint64_t total;    /* usable frames (those released by pmm_release included) */
    uint64_t free;     /* usable frames not handed out (freed + never used) */
    uint64_t used;     /* frames handed out and not yet freed */
    uint64_t reserved; /* frames of the span that are not usable (holes, firmware, kernel) */
};

/**
 * pmm_metadata_size() - the bytes of metadata pmm_init() needs for map @m.
 * @m: the memory map the pmm will run over.
 *
 * A bit per frame of the span plus 4 bytes per frame of RAM (the free stack): about 0.1%
 * of RAM. The span runs from the lowest to the highest end of a type-available range,
 * reserved by the kernel or not, and RAM is every such range, so carving the metadata out
 * of @m (memmap_reserve) does not change the size.
 *
 * Context: any; takes no lock, reads only @m.
 * Return: the size, a multiple of PAGE_SIZE; 0 when @m has no usable RAM.
 */
uint64_t pmm_metadata_size(const struct memmap *m);

/**
 * pmm_init() - set up @p over the usable RAM of map @m.
 * @p: the allocator; written only on success.
 * @m: a normalised map (sorted, non-overlapping, no empty range, usable ranges page-aligned)
 *     that already contains the reservation of [@metadata, @metadata +
 *     pmm_metadata_size(@m)). It is copied: it need not outlive @p.
 * @metadata: where the bitmap and the free stack go; 8-byte aligned, reachable through
 *            phys_to_virt() for @p's whole life.
 *
 * Clears only the bitmap part of the metadata and never touches a frame. Every usable frame
 * starts free, never used; kernel reservations stay out until pmm_release().
 *
 * Context: boot (kmem_init) or a test, before any other call on @p; takes no lock.
 * Return: E_OK; E_INVAL for a map that is not normalised, or a @metadata address not
 * 8-byte aligned, whose end overflows, or whose range overlaps usable RAM (not reserved);
 * E_NOMEM when @m has no usable RAM; E_RANGE when the span of RAM (usable and
 * kernel-reserved) is more than 16 TiB (2^32 frames: stack entries are 32-bit).
 */
err_t pmm_init(struct pmm *p, const struct memmap *m, paddr_t metadata);

/**
 * pmm_alloc() - hand out one free frame.
 * @p: the allocator.
 * @out: the frame's physical address, on success.
 *
 * The last frame freed (or released), else the lowest never used. O(1); never touches the
 * frame (its contents are whatever it held). Panics when it finds its metadata corrupted:
 * "pmm_alloc: free stack entry N (frame 0x...) is corrupted".
 *
 * Context: serialised by the caller; takes no lock (see the top of this file); callable
 * from an interrupt handler when the caller's lock masks interrupts (kmem_frame_alloc).
 * Return: E_OK; E_NOMEM when no frame is left, or when the pmm_fail_after() budget is spent.
 */
err_t pmm_alloc(struct pmm *p, paddr_t *out);

/**
 * pmm_alloc_below() - hand out one free frame that lies entirely below @limit.
 * @p: the frame allocator.
 * @limit: physical address the frame must end at or below.
 * @out: the frame, on success.
 *
 * It tries, in order: the last frame freed, the never-used frame at the cursor (both O(1)),
 * then the freed frames further down the stack (the slow path). So, unlike pmm_alloc(), it
 * may hand out a never-used frame while a freed one below @limit waits deeper in the stack;
 * the cursor still only moves up. Never touches the frame. Panics like pmm_alloc() (with
 * "pmm_alloc_below: ") when a stack entry is corrupted.
 *
 * This kernel does not call it; it is kept for users of the frame allocator, who need it
 * for devices that reach only low memory (ISA DMA below 16 MiB, 32-bit DMA below 4 GiB) and
 * for real-mode trampolines below 1 MiB.
 *
 * Context: serialised by the caller; takes no lock (see the top of this file).
 * Return: E_OK; E_NOMEM when no frame below @limit is free, or when the pmm_fail_after()
 * budget is spent.
 */
err_t pmm_alloc_below(struct pmm *p, uint64_t limit, paddr_t *out);

/**
 * pmm_free() - give back a frame pmm_alloc() or pmm_alloc_below() handed out.
 * @p: the allocator.
 * @frame: the frame; the caller must not touch it afterwards.
 *
 * It goes on the free stack: the next allocation returns it. O(1) when @frame is handed
 * out; never touches the frame. Otherwise panics with the address: "pmm_free: 0x... is not
 * page-aligned"; "pmm_free: 0x... is outside RAM" (outside the span, or a hole);
 * "pmm_free: 0x... is reserved (NAME)" with the reservation's name ("kernel image"), the
 * firmware type's ("ACPI NVS") or "firmware type N"; "pmm_free: double free of frame 0x..."
 * (also for a usable frame never handed out). Only that path searches the map copy and,
 * for a frame of a kernel reservation, the free stack.
 *
 * Context: serialised by the caller; takes no lock (see the top of this file); callable
 * from an interrupt handler when the caller's lock masks interrupts (kmem_frame_free).
 */
void pmm_free(struct pmm *p, paddr_t frame);

/**
 * pmm_release() - turn a frame of a kernel reservation into a free usable frame.
 * @p: the allocator.
 * @frame: a frame inside a kernel reservation of the map (type available with a reason,
 *         e.g. the boot page tables once unused); the caller must no longer use it.
 *
 * The frame goes on the free stack (the next allocation returns it) and the total grows by
 * one. Panics ("pmm_release: ...", with the address) when @frame is not page-aligned, not
 * entirely in such a reservation (outside RAM, usable, firmware-reserved), holds the pmm's
 * metadata, or was already released. O(free frames): meant for boot.
 *
 * Context: boot (kmem_init); serialised by the caller; takes no lock (see the top of this
 * file).
 */
void pmm_release(struct pmm *p, paddr_t frame);

/**
 * pmm_is_allocated() - whether the frame containing @addr is handed out.
 * @p: the frame allocator.
 * @addr: any physical address.
 *
 * Kept for integrity checks: kmem_census (kernel/kmem.c) asks it of every page-table frame
 * and mapped page, and a user's own checks can do the same.
 *
 * Context: serialised by the caller; takes no lock (see the top of this file).
 * Return: true when the frame is allocated and not yet freed; false otherwise (free, never
 * used, reserved, outside RAM).
 */
bool pmm_is_allocated(const struct pmm *p, paddr_t addr);

/**
 * pmm_stats() - fill *@out with @p's frame counts.
 * @p: the allocator.
 * @out: the counts (struct pmm_stats says what each is); free + used == total always.
 *
 * Context: serialised by the caller; takes no lock (see the top of this file).
 */
void pmm_stats(const struct pmm *p, struct pmm_stats *out);

/**
 * pmm_check() - check @p's metadata against itself.
 * @p: the allocator; its bitmap is written during the check and restored.
 *
 * Panics naming the first inconsistency ("pmm_check: ..."): the frames marked handed out
 * must number `used`; every free-stack entry must be a frame inside the span (below its
 * limit; a frame released by pmm_release may lie outside the usable ranges), not handed
 * out, handed out before, and on the stack once; freed plus never-used frames must make
 * total - used. O(span / 64 + free frames x usable ranges); @p is unchanged when it
 * returns. For tests and debugging
 * (kmem_census).
 *
 * Context: serialised by the caller; takes no lock (see the top of this file).
 */
void pmm_check(struct pmm *p);

/**
 * pmm_fail_after() - fault injection: let only @n more allocations succeed.
 * @p: the allocator.
 * @n: successful allocations (pmm_alloc, pmm_alloc_below) left before every allocation fails
 *     with E_NOMEM, until this is called again; UINT64_MAX (the default) never fails.
 *
 * Context: serialised by the caller; takes no lock (see the top of this file).
 */
void pmm_fail_after(struct pmm *p, uint64_t n);

#endif
