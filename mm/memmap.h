/* SPDX-License-Identifier: MIT */
/*
 * mm/memmap.h - the normalised physical memory map.
 *
 * A fixed-capacity table (no allocation: it exists before any allocator does) of
 * half-open ranges [start, end). After memmap_normalize() the ranges are sorted, do not
 * overlap, usable ranges are page-aligned (clipped inward), overlaps were resolved in
 * favour of the reserved type, and empty ranges are gone. memmap_reserve() then carves
 * the kernel's reservations (enum memmap_resv: kernel image, multiboot2 info, ...) out of
 * usable ranges, keeping all of these properties.
 */
#ifndef MBHEAP_MM_MEMMAP_H
#define MBHEAP_MM_MEMMAP_H

#include "lib/error.h"
#include "lib/types.h"
#include "mm/multiboot2.h" /* MB2_MEM_* */

#define MEMMAP_MAX 128

/*
 * Why the kernel took a range of usable RAM out of the frame allocator's reach
 * (memmap_reserve). Each kind's printed name, and why it exists, is in memmap_resv_name()
 * below. The order is the tie-break of the overlap rule below (a greater kind wins).
 */
enum memmap_resv {
    MEMMAP_RESV_NONE = 0,     /* not reserved by the kernel (a firmware range) */
    MEMMAP_RESV_LOW_1M,       /* the first 1 MiB: BIOS data, real-mode memory */
    MEMMAP_RESV_KERNEL_IMAGE, /* the kernel's loaded image (.text to .bss) */
    MEMMAP_RESV_BOOT_TABLES,  /* the trampoline's page tables, given back after CR3 switches */
    MEMMAP_RESV_MB2_INFO,     /* the multiboot2 information structure */
    MEMMAP_RESV_BOOT_MODULE,  /* a module GRUB loaded */
    MEMMAP_RESV_PMM_METADATA, /* the frame allocator's bitmap and stack */
    MEMMAP_RESV_COUNT,
};

/**
 * memmap_resv_name() - the printed name of a reservation kind ("kernel image", ...).
 * @kind: any value.
 *
 * The table below is the one list of names; beside each, why the kernel reserves it.
 * Inline, so that mm/pmm.c names reservations in its panics without linking mm/memmap.c
 * (scripts/gdb/mbheap.py has the same names for mb-mmap and mb-frames).
 *
 * Return: the name; "none" for MEMMAP_RESV_NONE, "unknown" for a value outside the enum (so
 * a corrupted range still prints).
 * Context: any; pure.
 */
static inline const char *memmap_resv_name(enum memmap_resv kind)
{
    static const char *const names[MEMMAP_RESV_COUNT] = {
        [MEMMAP_RESV_NONE] = "none",
        /* The real-mode IVT and BIOS data area, the EBDA, VGA memory and the BIOS ROMs lie
         * here, and firmware often reports parts of it as available although SMM code or
         * the BIOS itself still writes there: Linux reserves the whole first 1 MiB for that
         * reason (arch/x86/kernel/setup.c, "Always reserve the first 1M of RAM", 5.13). */
        [MEMMAP_RESV_LOW_1M] = "first 1 MiB (BIOS, real mode)",
        /* Code and data the kernel runs from. */
        [MEMMAP_RESV_KERNEL_IMAGE] = "kernel image",
        /* In use until CR3 points at the kernel's own tables; released then (kmem_init). */
        [MEMMAP_RESV_BOOT_TABLES] = "boot page tables",
        /* Parsed in place: the command line and the module strings point into it. */
        [MEMMAP_RESV_MB2_INFO] = "multiboot2 info",
        /* Loaded by GRUB for the kernel to use; nothing else may overwrite them. */
        [MEMMAP_RESV_BOOT_MODULE] = "boot module",
        /* The frame allocator's own bitmap and free stack: handing it out corrupts it. */
        [MEMMAP_RESV_PMM_METADATA] = "frame allocator metadata",
    };
    if ((unsigned)kind >= MEMMAP_RESV_COUNT)
        return "unknown";
    return names[kind];
}

struct memmap_range {
    uint64_t start; /* inclusive */
    uint64_t end;   /* exclusive; may be 2^64 - 1 rounded, never wraps */
    uint32_t type;  /* multiboot2 type of the firmware entry it came from */
    /* MEMMAP_RESV_NONE for firmware ranges; for a reservation carved out of usable RAM,
     * why (memmap_reserve). */
    enum memmap_resv resv;
};

struct memmap {
    struct memmap_range r[MEMMAP_MAX];
    size_t n;
};

struct mb2_info;

struct memmap_totals {
    uint64_t usable;            /* bytes in usable ranges (type 1, not reserved) */
    uint64_t firmware_reserved; /* bytes the firmware did not call available */
    uint64_t kernel_reserved;   /* bytes carved out by memmap_reserve() */
    uint64_t usable_top;        /* exclusive end of the highest usable range; 0 if none */
};

/*
 * Overlap rule used by memmap_normalize(): where ranges overlap, the more restrictive
 * one wins, from least to most restrictive:
 *   available < available reserved by the kernel (resv set) < ACPI reclaimable
 *   < ACPI NVS < reserved (2, and every type the spec does not define) < bad RAM.
 * Reclaimable tables must survive until parsed, NVS must survive forever, "reserved"
 * may be MMIO, bad RAM must never be touched. Ties (two undefined types, two reservations)
 * go to the higher type number, then the greater enum memmap_resv, so the result does not
 * depend on input order.
 */

/* Empties the map. Context: boot (kernel/kmem.c) or a test; takes no lock. */
void memmap_init(struct memmap *m);

/*
 * Appends the firmware range [base, base + length) of the given type (MEMMAP_RESV_NONE).
 * base + length beyond 2^64 - 1 is clamped to end at 2^64 - 1 (never wraps). Zero
 * length (also after clamping): nothing is added, E_OK. E_NOSPC when the table is full. The map is
 * not normalised: call memmap_normalize() after the last add.
 * Context: boot (kernel/kmem.c) or a test; takes no lock.
 */
err_t memmap_add(struct memmap *m, uint64_t base, uint64_t length, uint32_t type);

/*
 * Replaces *m with the entries of info's memory map tag (raw: call memmap_normalize()
 * next). When the table fills up it is compacted (overlaps resolved, neighbours merged,
 * nothing clipped) and loading continues. E_NOENT when info has no memory map tag (m is
 * left empty), E_NOSPC when even the compacted map does not fit.
 * Context: boot (kernel/kmem.c) or a test; takes no lock.
 */
err_t memmap_from_mb2(struct memmap *m, const struct mb2_info *info);

/*
 * Brings the map into normal form: sorted, non-overlapping, overlaps resolved by the
 * rule above, adjacent ranges of the same type and reservation merged, available ranges
 * clipped inward to page boundaries, empty ranges dropped. Resolving overlaps can split
 * a range (a reserved hole in the middle of RAM makes three ranges of two); when the
 * result would not fit in MEMMAP_MAX entries returns E_NOSPC and leaves *m unchanged.
 * Idempotent. Uses MEMMAP_MAX ranges of stack scratch, O(n^2) time.
 * Context: boot (kernel/kmem.c) or a test; takes no lock.
 */
err_t memmap_normalize(struct memmap *m);

/*
 * Reserves [start, end), rounded outward to pages, for the kernel: every usable part of
 * it becomes a range of the same type reserved as kind. Parts that are not usable RAM
 * (holes, firmware-reserved, earlier reservations) are left as they are. Requires a
 * normalised map and keeps it normalised. start == end is a no-op.
 * Return: E_OK; E_INVAL for start > end or a kind that is MEMMAP_RESV_NONE or outside the
 * enum; E_NOSPC (map unchanged) when the split ranges would not fit.
 * Context: boot (kernel/kmem.c) or a test; takes no lock.
 */
err_t memmap_reserve(struct memmap *m, uint64_t start, uint64_t end, enum memmap_resv kind);

/* True for a range the frame allocator may hand out: type available and not reserved.
 * Inline, like the helpers below, so that mm/pmm.c uses it without linking this module. Context:
 * any; pure. */
static inline bool memmap_is_usable(const struct memmap_range *r)
{
    return r->type == MB2_MEM_AVAILABLE && r->resv == MEMMAP_RESV_NONE;
}

/* The range of m containing address a, or NULL (a hole). Context: any; reads only m (the kernel's
 * map is fixed after boot). */
static inline const struct memmap_range *memmap_range_of(const struct memmap *m, uint64_t a)
{
    for (size_t i = 0; i < m->n; i++)
        if (a >= m->r[i].start && a < m->r[i].end)
            return &m->r[i];
    return NULL;
}

/*
 * Finds the lowest address a, a multiple of align (a power of two), such that
 * [a, a + size) lies inside one usable range and a + size <= below. Requires a
 * normalised map. False when size is 0, align is not a power of two, or nothing fits.
 * Context: any; reads only m.
 */
bool memmap_find_free(const struct memmap *m, uint64_t size, uint64_t align, uint64_t below,
                      uint64_t *out);

/* Sums the map by kind (holes count nowhere). Context: any; reads only m. */
void memmap_totals(const struct memmap *m, struct memmap_totals *t);

/*
 * Prints the map via kprintf: a header line, one aligned line per range (start, end
 * exclusive, human size, type name or "reserved: " and the reservation's name), then the totals.
 * Context: not in an interrupt handler (prints); takes no lock.
 */
void memmap_print(const struct memmap *m);

#endif
