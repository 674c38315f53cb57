/* SPDX-License-Identifier: MIT */
/*
 * tests/standalone/vmm_main.c - the page mapper lifted alone: a host program that provides
 * only phys_to_virt and memset (table frames come from its own ops) maps, translates and unmaps
 * pages in a 4 MiB simulated RAM.
 */
#include "mm/vmm.h"

#define HOOK_PHYS_TO_VIRT
#include "hooks.h"

static uint64_t next_frame = 0x1000, freed;

static err_t alloc_frame(void *ctx, paddr_t *out)
{
    (void)ctx;
    if (next_frame >= HOOK_RAM_SIZE)
        return E_NOMEM;
    *out = pa(next_frame);
    next_frame += 0x1000;
    return E_OK;
}

static void free_frame(void *ctx, paddr_t frame)
{
    (void)ctx;
    (void)frame;
    freed++;
}

static const struct vmm_ops ops = {alloc_frame, free_frame, NULL};

int main(void)
{
    struct vmm_space s;
    CHECK(vmm_space_init(&s, &ops, NULL) == E_OK);
    vaddr_t page = va(0x0000400000000000ull);
    CHECK(vmm_map(&s, page, pa(0x200000), VMM_WRITABLE | VMM_NX) == E_OK);
    CHECK(vmm_map(&s, page, pa(0x201000), 0) == E_EXISTS);
    paddr_t got;
    uint64_t flags;
    CHECK(vmm_translate(&s, va(va_val(page) + 0x123), &got, &flags) == E_OK);
    CHECK(pa_val(got) == 0x200123 && (flags & VMM_WRITABLE) && (flags & VMM_NX));
    CHECK(next_frame == 0x1000 + 4 * 0x1000); /* PML4, PDPT, PD, PT */
    paddr_t old;
    CHECK(vmm_unmap(&s, page, &old) == E_OK && pa_val(old) == 0x200000);
    CHECK(vmm_translate(&s, page, &got, NULL) == E_NOENT);
    vmm_space_destroy(&s);
    CHECK(freed == (next_frame - 0x1000) / 0x1000);
    printf("standalone vmm: ok (%llu table frames)\n", (unsigned long long)freed);
    return 0;
}
