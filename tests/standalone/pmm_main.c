/* SPDX-License-Identifier: MIT */
/*
 * tests/standalone/pmm_main.c - the frame allocator lifted alone: a host program that
 * provides only phys_to_virt, panic_at and memset hands out the frames of a 4 MiB simulated RAM
 * described by a normalised memory map built by hand (mm/memmap.h's types, no mm/memmap.c).
 */
#include "mm/pmm.h"

#define HOOK_PANIC_AT
#define HOOK_PHYS_TO_VIRT
#include "hooks.h"

int main(void)
{
    /* [0, 1 MiB) reserved by the firmware, then RAM with the metadata at its start */
    struct memmap m = {.n = 0};
    m.r[m.n++] = (struct memmap_range){0, 0x100000, MB2_MEM_RESERVED, MEMMAP_RESV_NONE};
    m.r[m.n++] =
        (struct memmap_range){0x100000, 0x101000, MB2_MEM_AVAILABLE, MEMMAP_RESV_PMM_METADATA};
    m.r[m.n++] =
        (struct memmap_range){0x101000, HOOK_RAM_SIZE, MB2_MEM_AVAILABLE, MEMMAP_RESV_NONE};
    CHECK(pmm_metadata_size(&m) == 0x1000);
    struct pmm p;
    CHECK(pmm_init(&p, &m, pa(0x100000)) == E_OK);
    struct pmm_stats s;
    pmm_stats(&p, &s);
    uint64_t frames = (HOOK_RAM_SIZE - 0x101000) / 0x1000;
    CHECK(s.total == frames && s.free == frames && s.used == 0);
    /* the lowest never-used frame first; the last one freed comes back first */
    paddr_t a, b, c;
    CHECK(pmm_alloc(&p, &a) == E_OK && pa_val(a) == 0x101000);
    CHECK(pmm_alloc(&p, &b) == E_OK && pa_val(b) == 0x102000);
    pmm_free(&p, a);
    CHECK(pmm_alloc(&p, &c) == E_OK && pa_val(c) == 0x101000);
    uint64_t n = 2;
    while (pmm_alloc(&p, &c) == E_OK)
        n++;
    CHECK(n == frames);
    pmm_check(&p);
    printf("standalone pmm: ok (%llu frames)\n", (unsigned long long)n);
    return 0;
}
