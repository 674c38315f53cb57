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

/* Bytes of metadata pmm_init needs for map m (a bit per frame of the span plus 4 bytes
 * per frame of RAM: about 0.1% of RAM), a multiple of PAGE_SIZE; 0 when m has no usable
 * RAM. The span runs from the lowest to the highest end of a type-available range,
 * reserved by the kernel or not, so carving the metadata out of m does not change it. Context: any;
 * reads only m. */
uint64_t pmm_metadata_size(const struct memmap *m);

/*
 * Sets up p over map m, which must be normalised (sorted, non-overlapping, usable ranges
 * page-aligned) and must already contain the reservation of [metadata, metadata +
 * pmm_metadata_size(m)), which phys_to_virt() must reach for p's whole life. Clears only
 * the bitmap part of the metadata and never touches a frame. Returns E_INVAL for a map
 * that is not normalised, a metadata address not 8-byte aligned or overlapping usable
 * RAM; E_RANGE when usable RAM spans 16 TiB or more; E_NOMEM when m has no usable RAM.
 * m is copied; it need not outlive p.
 * Context: boot (kmem_init) or a test, before any other call on p; takes no lock.
 */
err_t pmm_init(struct pmm *p, const struct memmap *m, paddr_t metadata);

/* Hands out one free frame in *out: the last one freed, else the lowest never used.
 * E_NOMEM when no frame is left (or the pmm_fail_after budget is spent). O(1); never
 * touches the frame. Panics when it finds its metadata corrupted. Context: serialised by the
 * caller; takes no lock (see the top of this file). */
err_t pmm_alloc(struct pmm *p, paddr_t *out);

/**
 * pmm_alloc_below() - hand out one free frame that lies entirely below @limit.
 * @p: the frame allocator.
 * @limit: physical address the frame must end at or below.
 * @out: the frame, on success.
 *
 * O(1) while the never-used cursor is below @limit, else it searches the freed frames (the
 * slow path). This kernel does not call it; it is kept for users of the frame allocator, who
 * need it for devices that reach only low memory (ISA DMA below 16 MiB, 32-bit DMA below
 * 4 GiB) and for real-mode trampolines below 1 MiB.
 *
 * Return: E_OK; E_NOMEM when no frame below @limit is free.
 * Context: serialised by the caller; takes no lock (see the top of this file).
 */
err_t pmm_alloc_below(struct pmm *p, uint64_t limit, paddr_t *out);

/* Gives frame back; the caller must not touch it afterwards. Panics with the address
 * when frame is not page-aligned, is outside RAM, is reserved, or is already free. O(1);
 * never touches the frame. Context: serialised by the caller; takes no lock (see the top of this
 * file). */
void pmm_free(struct pmm *p, paddr_t frame);

/* Turns frame, inside a kernel reservation of the map (type available with a reason,
 * e.g. the boot page tables once unused), into a free usable frame: total grows by one.
 * Panics when frame is not page-aligned, not in such a reservation (outside RAM, usable,
 * firmware-reserved), holds the pmm's metadata, or was already released. O(free frames):
 * meant for boot. The caller must no longer use the frame. Context: boot (kmem_init); serialised by
 * the caller; takes no lock (see the top of this file). */
void pmm_release(struct pmm *p, paddr_t frame);

/**
 * pmm_is_allocated() - whether the frame containing @addr is handed out.
 * @p: the frame allocator.
 * @addr: any physical address.
 *
 * Kept for integrity checks: kmem_census (kernel/kmem.c) asks it of every page-table frame
 * and mapped page, and a user's own checks can do the same.
 *
 * Return: true when the frame is allocated and not yet freed; false otherwise (free, never
 * used, reserved, outside RAM).
 * Context: serialised by the caller; takes no lock (see the top of this file).
 */
bool pmm_is_allocated(const struct pmm *p, paddr_t addr);

/* Fills *out with frame counts; free + used == total always. Context: serialised by the caller;
 * takes no lock (see the top of this file). */
void pmm_stats(const struct pmm *p, struct pmm_stats *out);

/* Checks p's metadata against itself and panics naming the first inconsistency ("pmm_check:
 * ..."): the frames marked handed out must number `used`; every free-stack entry must be a
 * frame of RAM, not handed out, handed out before, and on the stack once; freed plus
 * never-used frames must make total - used. O(span / 64 + free frames); p is unchanged
 * when it returns. For tests and debugging. Context: serialised by the caller; takes no lock (see
 * the top of this file). */
void pmm_check(struct pmm *p);

/* Fault injection: after n more successful allocations every allocation fails with
 * E_NOMEM until this is called again. UINT64_MAX (the default) never fails. Context: serialised by
 * the caller; takes no lock (see the top of this file). */
void pmm_fail_after(struct pmm *p, uint64_t n);

#endif
