/*
 * mm/memmap.h - the normalised physical memory map.
 *
 * A fixed-capacity table (no allocation: it exists before any allocator does) of
 * half-open ranges [start, end). After memmap_normalize() the ranges are sorted, do not
 * overlap, usable ranges are page-aligned (clipped inward), overlaps were resolved in
 * favour of the reserved type, and empty ranges are gone. memmap_reserve() then carves
 * named reservations (kernel image, multiboot2 info, ...) out of usable ranges, keeping
 * all of these properties.
 */
#ifndef MBHEAP_MM_MEMMAP_H
#define MBHEAP_MM_MEMMAP_H

#include "lib/error.h"
#include "lib/types.h"

#define MEMMAP_MAX 128

/* Multiboot2 memory map entry types (spec 3.6.8). Anything else is reserved. */
enum {
    MB2_MEM_AVAILABLE = 1,
    MB2_MEM_RESERVED = 2,
    MB2_MEM_ACPI_RECLAIMABLE = 3,
    MB2_MEM_NVS = 4,
    MB2_MEM_BADRAM = 5,
};

struct memmap_range {
    uint64_t start; /* inclusive */
    uint64_t end;   /* exclusive; may be 2^64 - 1 rounded, never wraps */
    uint32_t type;  /* multiboot2 type of the firmware entry it came from */
    /* NULL for firmware ranges; for a reservation carved out of usable RAM, why
     * ("kernel image", "multiboot2 info", "first 1 MiB", ...). */
    const char *reason;
};

struct memmap {
    struct memmap_range r[MEMMAP_MAX];
    size_t n;
};

#endif
