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
 * Context: any; pure, takes no lock.
 * Return: the name, a static string; "none" for MEMMAP_RESV_NONE, "unknown" for a value
 * outside the enum (so a corrupted range still prints).
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

/**
 * memmap_init() - empty the map.
 * @m: the map; its previous contents are dropped.
 *
 * Context: boot (kernel/kmem.c) or a test; takes no lock: the caller serialises calls on @m.
 */
void memmap_init(struct memmap *m);

/**
 * memmap_add() - append the firmware range [@base, @base + @length) of type @type.
 * @m: the map.
 * @base: the range's first address.
 * @length: its size in bytes; 0 adds nothing.
 * @type: its multiboot2 type (MB2_MEM_*), stored as given, any value accepted.
 *
 * The range is a firmware range (resv MEMMAP_RESV_NONE). @base + @length beyond 2^64 - 1 is
 * clamped to end at 2^64 - 1 (never wraps). The map is not normalised: call
 * memmap_normalize() after the last add.
 *
 * Context: boot (kernel/kmem.c) or a test; takes no lock: the caller serialises calls on @m.
 * Return: E_OK when added, and for zero length (also after clamping: @base 2^64 - 1), where
 * nothing is added; E_NOSPC (nothing added) when the table already holds MEMMAP_MAX ranges.
 */
err_t memmap_add(struct memmap *m, uint64_t base, uint64_t length, uint32_t type);

/**
 * memmap_from_mb2() - replace *@m with the entries of @info's memory map tag.
 * @m: the map; emptied first.
 * @info: a struct mb2_info mb2_parse() filled successfully (its MBI still mapped).
 *
 * Each entry is added as memmap_add() does (zero-length entries skipped, ends clamped
 * below 2^64). The result is raw: call memmap_normalize() next. When the table fills up
 * it is compacted (overlaps resolved, neighbours merged, nothing clipped; MEMMAP_MAX ranges
 * of stack scratch) and loading continues.
 *
 * Context: boot (kernel/kmem.c) or a test; takes no lock: the caller serialises calls on @m.
 * Return: E_OK; E_NOENT when @info has no memory map tag (@m is left empty); E_NOSPC when
 * even the compacted map does not fit (@m then holds only part of the map).
 */
err_t memmap_from_mb2(struct memmap *m, const struct mb2_info *info);

/**
 * memmap_normalize() - bring @m into normal form.
 * @m: the map, raw (memmap_add, memmap_from_mb2) or already normalised.
 *
 * Normal form: sorted, non-overlapping, overlaps resolved by the rule above, adjacent
 * ranges of the same type and reservation merged, usable ranges (available, not reserved)
 * clipped inward to page boundaries (after merging, so two sub-page halves of one page
 * still make the page usable), empty ranges dropped. Resolving overlaps can split a range
 * (a reserved hole in the middle of RAM makes three ranges of two). Idempotent. Uses
 * MEMMAP_MAX ranges of stack scratch, O(n^2) time.
 *
 * Context: boot (kernel/kmem.c) or a test; takes no lock: the caller serialises calls on @m.
 * Return: E_OK; E_NOSPC, with *@m unchanged, when the result would not fit in MEMMAP_MAX
 * entries.
 */
err_t memmap_normalize(struct memmap *m);

/**
 * memmap_reserve() - reserve [@start, @end), rounded outward to pages, for the kernel.
 * @m: a normalised map; it stays normalised.
 * @start: first address of the reservation.
 * @end: its exclusive end; @start == @end is a no-op.
 * @kind: why (enum memmap_resv), not MEMMAP_RESV_NONE.
 *
 * Every usable part of the range becomes a range of the same type reserved as @kind.
 * Parts that are not usable RAM (holes, firmware-reserved, earlier reservations) are left
 * as they are, so reserving a range with no usable RAM in it changes nothing. The extra
 * entries the split needs are counted first: it either succeeds or leaves @m untouched.
 *
 * Context: boot (kernel/kmem.c) or a test; takes no lock: the caller serialises calls on @m.
 * Return: E_OK (also for @start == @end); E_INVAL for @start > @end or a @kind that is
 * MEMMAP_RESV_NONE or outside the enum (checked first, even when @start == @end); E_NOSPC
 * (map unchanged) when the split ranges would not fit.
 */
err_t memmap_reserve(struct memmap *m, uint64_t start, uint64_t end, enum memmap_resv kind);

/**
 * memmap_is_usable() - whether the frame allocator may hand out range @r.
 * @r: a range of a map.
 *
 * Inline, like memmap_range_of(), so that mm/pmm.c uses it without linking this module.
 *
 * Context: any; pure, takes no lock.
 * Return: true when @r is type available (MB2_MEM_AVAILABLE) and not reserved
 * (MEMMAP_RESV_NONE); false otherwise.
 */
static inline bool memmap_is_usable(const struct memmap_range *r)
{
    return r->type == MB2_MEM_AVAILABLE && r->resv == MEMMAP_RESV_NONE;
}

/**
 * memmap_range_of() - the range of @m that contains address @a.
 * @m: the map (normalised: then at most one range contains @a).
 * @a: any physical address.
 *
 * A linear scan, O(n); in a raw map the first range containing @a is returned. mm/pmm.c
 * uses it to say why a frame cannot be freed or released.
 *
 * Context: any; takes no lock, reads only @m (the kernel's map is fixed after boot).
 * Return: a pointer into @m->r; NULL when no range contains @a (a hole).
 */
static inline const struct memmap_range *memmap_range_of(const struct memmap *m, uint64_t a)
{
    for (size_t i = 0; i < m->n; i++)
        if (a >= m->r[i].start && a < m->r[i].end)
            return &m->r[i];
    return NULL;
}

/**
 * memmap_find_free() - find the lowest aligned place for @size bytes of usable RAM below @below.
 * @m: a normalised map (sorted: the first fit is the lowest).
 * @size: bytes wanted, not 0.
 * @align: a power of two.
 * @below: the place must end at or below this address.
 * @out: the address found, written only on success.
 *
 * The place is the lowest address a, a multiple of @align, such that [a, a + @size) lies
 * inside one usable range and a + @size <= @below. Nothing is reserved: the caller reserves
 * it (memmap_reserve) if it keeps it.
 *
 * Context: any; takes no lock, reads only @m.
 * Return: true, with *@out set, when a place exists; false when @size is 0, @align is not a
 * power of two, or nothing fits.
 */
bool memmap_find_free(const struct memmap *m, uint64_t size, uint64_t align, uint64_t below,
                      uint64_t *out);

/**
 * memmap_totals() - sum the bytes of @m by kind.
 * @m: the map.
 * @t: filled with the sums (struct memmap_totals says what each counts).
 *
 * Holes count nowhere; a range reserved by the kernel counts as kernel_reserved whatever
 * its type; every other range that is not usable counts as firmware_reserved.
 *
 * Context: any; takes no lock, reads only @m.
 */
void memmap_totals(const struct memmap *m, struct memmap_totals *t);

/**
 * memmap_print() - print @m via kprintf as a table.
 * @m: the map.
 *
 * A header line with the number of ranges and the column headings, one aligned line per
 * range (start, end exclusive, human size, then the type's name, "type N (reserved)" for a
 * type the specification does not define, or "reserved: " and the reservation's name),
 * then the totals (memmap_totals).
 *
 * Context: not in an interrupt handler (kprintf and its log ring take no lock: output would
 * interleave with the interrupted code's); takes no lock, reads only @m.
 */
void memmap_print(const struct memmap *m);

#endif
