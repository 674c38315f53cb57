/* SPDX-License-Identifier: MIT */
/*
 * tests/kernel/test_bench.c - in-kernel benchmarks (ctest label bench, not in the default
 * run): rdtsc cycles for the frame allocator, the page mapper and the heap, printed as
 * tables. Each figure is the median of several runs; QEMU's TCG makes absolute cycle
 * counts meaningless across machines, so the tables also print a reference measured in
 * the same run (an empty loop of the same shape, and a memcpy of the same bytes).
 */
#include "arch/x86_64/cpu.h"
#include "kernel/kheap.h"
#include "kernel/kmem.h"
#include "kernel/ktest.h"
#include "lib/alloc.h"
#include "lib/kprintf.h"
#include "lib/string.h"

#define RUNS 7
#define OPS 2048

static void sort_u64(uint64_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Median over RUNS of the cycles per operation of fn(ctx) doing OPS operations. */
static uint64_t median_cycles(void (*fn)(void *ctx), void *ctx)
{
    uint64_t per_op[RUNS];
    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = rdtsc();
        fn(ctx);
        per_op[r] = (rdtsc() - t0) / OPS;
    }
    sort_u64(per_op, RUNS);
    return per_op[RUNS / 2];
}

static volatile uint64_t sink;

static void empty_loop(void *ctx)
{
    (void)ctx;
    for (int i = 0; i < OPS; i++)
        sink += (uint64_t)i;
}

static paddr_t frames[OPS];

static void pmm_pairs(void *ctx)
{
    (void)ctx;
    for (int i = 0; i < OPS; i++) {
        paddr_t f;
        if (kmem_frame_alloc(&f) != E_OK)
            ktest_fail(__FILE__, __LINE__, "pmm_alloc failed");
        kmem_frame_free(f);
    }
}

static void pmm_batch(void *ctx)
{
    (void)ctx;
    for (int i = 0; i < OPS; i++) {
        if (kmem_frame_alloc(&frames[i]) != E_OK)
            ktest_fail(__FILE__, __LINE__, "pmm_alloc failed");
    }
    for (int i = OPS - 1; i >= 0; i--)
        kmem_frame_free(frames[i]);
}

#define BENCH_VA ((uint64_t)0x0000200000000000)

static void vmm_pairs(void *ctx)
{
    paddr_t f = *(paddr_t *)ctx;
    for (int i = 0; i < OPS; i++) {
        vaddr_t v = va(BENCH_VA + (uint64_t)(i % 64) * PAGE_SIZE);
        if (kmem_map_page(v, f, VMM_WRITABLE | VMM_NX) != E_OK || kmem_unmap_page(v, NULL) != E_OK)
            ktest_fail(__FILE__, __LINE__, "vmm map/unmap failed");
    }
}

KTEST(bench, pmm_vmm)
{
    paddr_t keep, f;
    /* Keep one mapping in the benchmark's page table so map+unmap pairs do not free and
     * re-make the intermediate tables each time (that cost is reported separately). */
    KT_ASSERT_EQ(kmem_frame_alloc(&keep), E_OK);
    KT_ASSERT_EQ(kmem_frame_alloc(&f), E_OK);
    uint64_t base = median_cycles(empty_loop, NULL);
    uint64_t pairs = median_cycles(pmm_pairs, NULL);
    uint64_t batch = median_cycles(pmm_batch, NULL);
    uint64_t vmm_cold = median_cycles(vmm_pairs, &f);
    KT_ASSERT_EQ(kmem_map_page(va(BENCH_VA + 511 * PAGE_SIZE), keep, VMM_NX), E_OK);
    uint64_t vmm_warm = median_cycles(vmm_pairs, &f);
    KT_ASSERT_EQ(kmem_unmap_page(va(BENCH_VA + 511 * PAGE_SIZE), NULL), E_OK);
    kmem_frame_free(f);
    kmem_frame_free(keep);
    kprintf("bench.pmm_vmm: rdtsc cycles per operation, median of %d runs of %d (QEMU TCG: "
            "compare rows, not machines)\n",
            RUNS, OPS);
    kprintf("  %-44s %8s\n", "operation", "cycles");
    kprintf("  %-44s %8lu\n", "empty loop (reference)", base);
    kprintf("  %-44s %8lu\n", "pmm alloc+free, pairs", pairs);
    kprintf("  %-44s %8lu\n", "pmm alloc+free, batch of 2048", batch);
    kprintf("  %-44s %8lu\n", "vmm map+unmap, page table kept", vmm_warm);
    kprintf("  %-44s %8lu\n", "vmm map+unmap, tables freed and re-made", vmm_cold);
    KT_ASSERT_GT(pairs, 0);
}

struct heap_bench {
    size_t size;
    void *ptrs[64];
};

static void heap_pairs(void *ctx)
{
    struct heap_bench *b = ctx;
    struct layout l = {b->size, 8};
    for (int i = 0; i < OPS; i++) {
        void *p = galloc(l);
        if (!p)
            ktest_fail(__FILE__, __LINE__, "galloc(%zu) failed", b->size);
        gdealloc(p, l);
    }
}

/* 64 live blocks, freed in a scrambled order: exercises splitting and merging. */
static void heap_batch(void *ctx)
{
    struct heap_bench *b = ctx;
    struct layout l = {b->size, 8};
    for (int round = 0; round < OPS / 64; round++) {
        for (int i = 0; i < 64; i++) {
            b->ptrs[i] = galloc(l);
            if (!b->ptrs[i])
                ktest_fail(__FILE__, __LINE__, "galloc(%zu) failed", b->size);
        }
        for (int i = 0; i < 64; i++)
            gdealloc(b->ptrs[(i * 37) % 64], l);
    }
}

static void memcpy_ref(void *ctx)
{
    struct heap_bench *b = ctx;
    static uint8_t src[4096], dst[4096];
    for (int i = 0; i < OPS; i++) {
        memcpy(dst, src, b->size);
        sink += dst[0];
    }
}

/* A vector of u64 growing 4 -> 8 -> ... -> 4096 elements through realloc. */
static void realloc_growth(void *ctx)
{
    (void)ctx;
    for (int i = 0; i < OPS / 11; i++) {
        struct layout l = {4 * sizeof(uint64_t), 8};
        void *p = galloc(l);
        for (size_t cap = 8; cap <= 4096 && p; cap *= 2) {
            p = grealloc(p, l, cap * sizeof(uint64_t));
            l.size = cap * sizeof(uint64_t);
        }
        if (!p)
            ktest_fail(__FILE__, __LINE__, "realloc growth failed");
        gdealloc(p, l);
    }
}

KTEST(bench, heap)
{
    kprintf("bench.heap: rdtsc cycles per operation through the global allocator (%s), median "
            "of %d runs of %d\n",
            alloc_global()->name, RUNS, OPS);
    kprintf("  %6s %14s %14s %16s\n", "size", "alloc+free", "64 live, mixed", "memcpy (ref)");
    for (size_t size = 8; size <= 4096; size *= 2) {
        struct heap_bench b = {.size = size};
        uint64_t pairs = median_cycles(heap_pairs, &b);
        uint64_t batch = median_cycles(heap_batch, &b);
        uint64_t ref = median_cycles(memcpy_ref, &b);
        kprintf("  %6zu %14lu %14lu %16lu\n", size, pairs, batch, ref);
        KT_ASSERT_GT(pairs, 0);
    }
    uint64_t growth = median_cycles(realloc_growth, NULL);
    /* realloc_growth does OPS/11 vectors of 10 reallocs (plus one alloc and one free). */
    kprintf("  realloc growth step (4 -> 4096 u64, in place when the next block is free): "
            "%lu cycles\n",
            growth * OPS / ((OPS / 11) * 10));
    kheap_check();
    struct heap_stats hs;
    kheap_stats(&hs);
    KT_ASSERT_EQ(hs.live_allocs, 0);
}
