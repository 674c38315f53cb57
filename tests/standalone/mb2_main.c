/* SPDX-License-Identifier: MIT */
/*
 * tests/standalone/mb2_main.c - the multiboot2 parser and memory map lifted alone: a host
 * program that provides only kprintf, ksnprintf and the C library's string functions parses a
 * hand-built boot information structure and normalises its memory map.
 */
#include <string.h>

#include "mm/memmap.h"
#include "mm/multiboot2.h"

#define HOOK_KPRINTF
#define HOOK_KSNPRINTF
#include "hooks.h"

static _Alignas(8) uint32_t mbi[64];

int main(void)
{
    /* header, a memory map tag (entry size 24, version 0) with three entries, an end tag */
    static const uint64_t entries[][3] = {
        {0x100000, 0x7f00000, MB2_MEM_AVAILABLE}, /* listed first: the map is unsorted */
        {0x0, 0x9fc00, MB2_MEM_AVAILABLE},
        {0x9fc00, 0x400, MB2_MEM_RESERVED},
    };
    uint32_t *t = mbi + 2;
    t[0] = MB2_TAG_MMAP;
    t[1] = 16 + 3 * 24;
    t[2] = 24;
    t[3] = 0;
    for (int i = 0; i < 3; i++) {
        uint8_t *e = (uint8_t *)(t + 4) + 24 * i;
        uint32_t type = (uint32_t)entries[i][2], zero = 0;
        memcpy(e, &entries[i][0], 8);
        memcpy(e + 8, &entries[i][1], 8);
        memcpy(e + 16, &type, 4);
        memcpy(e + 20, &zero, 4);
    }
    uint32_t *end = t + (16 + 3 * 24) / 4;
    end[0] = MB2_TAG_END;
    end[1] = 8;
    mbi[0] = (uint32_t)((uint8_t *)(end + 2) - (uint8_t *)mbi);
    mbi[1] = 0;

    struct mb2_info info;
    struct mb2_error err;
    CHECK(mb2_parse(mbi, sizeof(mbi), &info, &err) == E_OK);
    CHECK(info.mmap_count == 3);
    struct memmap m;
    CHECK(memmap_from_mb2(&m, &info) == E_OK);
    CHECK(memmap_normalize(&m) == E_OK);
    /* sorted, the partial page at 0x9f000 clipped off the usable range */
    CHECK(m.n == 3 && m.r[0].start == 0 && m.r[0].end == 0x9f000);
    CHECK(m.r[1].type == MB2_MEM_RESERVED && m.r[2].start == 0x100000);
    CHECK(memmap_reserve(&m, 0x100000, 0x180000, MEMMAP_RESV_KERNEL_IMAGE) == E_OK);
    struct memmap_totals tot;
    memmap_totals(&m, &tot);
    CHECK(tot.kernel_reserved == 0x80000 && tot.usable == 0x9f000 + 0x7f00000 - 0x80000);
    memmap_print(&m);
    printf("standalone multiboot2+memmap: ok (%zu ranges)\n", m.n);
    return 0;
}
