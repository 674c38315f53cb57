/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/bench_pmm_vmm.c - host benchmark of mm/pmm.c and mm/vmm.c.
 *
 * Prints ns per pmm alloc+free pair and per vmm map+unmap pair beside a floor measured in
 * the same run: a plain array push+pop of the same count through non-inlined functions
 * (the cheapest allocator imaginable, with the same call overhead). Both RAM sizes use one
 * 64 GiB MAP_NORESERVE mapping as simulated physical memory (tests/host/sim_phys.h, like the
 * host tests); only touched pages cost.
 * Every figure is the best of several rounds after a warm-up round (which takes the page
 * faults of first touch; a real kernel has none).
 * Target: pmm alloc+free within 3x of the floor, the same for 128 MiB and 64 GiB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/types.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "sim_phys.h"

#define SIM_SIZE (64 * GiB)
#define N 16384
#define ROUNDS 7
#define HEAP_BASE 0x0000444444440000ull

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- the floor: a plain array stack ---- */

static uint64_t stack[N];
static size_t top;
static uint64_t sink;

__attribute__((noinline)) static void floor_push(uint64_t v)
{
    stack[top++] = v;
}
__attribute__((noinline)) static uint64_t floor_pop(void)
{
    return stack[--top];
}

static double floor_batch(void)
{
    double t = now_ns();
    for (int i = 0; i < N; i++)
        floor_push((uint64_t)i << PAGE_SHIFT);
    for (int i = 0; i < N; i++)
        sink += floor_pop();
    return (now_ns() - t) / N;
}

static double floor_pairs(void)
{
    double t = now_ns();
    for (int i = 0; i < N; i++) {
        floor_push((uint64_t)i << PAGE_SHIFT);
        sink += floor_pop();
    }
    return (now_ns() - t) / N;
}

/* ---- pmm ---- */

static struct pmm pm;
static paddr_t held[N];

static double pmm_batch(void)
{
    double t = now_ns();
    for (int i = 0; i < N; i++)
        if (pmm_alloc(&pm, &held[i]) != E_OK)
            abort();
    for (int i = N - 1; i >= 0; i--)
        pmm_free(&pm, held[i]);
    return (now_ns() - t) / N;
}

static double pmm_pairs(void)
{
    double t = now_ns();
    for (int i = 0; i < N; i++) {
        paddr_t f;
        if (pmm_alloc(&pm, &f) != E_OK)
            abort();
        pmm_free(&pm, f);
    }
    return (now_ns() - t) / N;
}

/* ---- vmm, with table frames from the pmm (the kernel's wiring) ---- */

static err_t ops_alloc(void *ctx, paddr_t *out)
{
    return pmm_alloc(ctx, out);
}
static void ops_free(void *ctx, paddr_t f)
{
    pmm_free(ctx, f);
}
static void ops_flush(void *ctx, vaddr_t page)
{
    (void)ctx, (void)page;
}
static const struct vmm_ops ops = {ops_alloc, ops_free, ops_flush};
static struct vmm_space vs;

static void must(err_t e)
{
    if (e != E_OK)
        abort();
}

static double vmm_batch(void)
{
    double t = now_ns();
    for (uint64_t i = 0; i < N; i++)
        must(vmm_map(&vs, va(HEAP_BASE + i * PAGE_SIZE), pa(0x40000000 + i * PAGE_SIZE),
                     VMM_WRITABLE | VMM_NX));
    for (uint64_t i = 0; i < N; i++)
        must(vmm_unmap(&vs, va(HEAP_BASE + i * PAGE_SIZE), NULL));
    return (now_ns() - t) / N;
}

/* One page mapped and unmapped N times; with `anchor` a neighbour keeps its page table
 * alive, without it every unmap gives back three tables and every map takes them again. */
static double vmm_pairs(bool anchor)
{
    uint64_t v = HEAP_BASE + 0x1000;
    if (anchor)
        must(vmm_map(&vs, va(HEAP_BASE), pa(0x1000), VMM_WRITABLE));
    double t = now_ns();
    for (int i = 0; i < N; i++) {
        must(vmm_map(&vs, va(v), pa(0x2000), VMM_WRITABLE | VMM_NX));
        must(vmm_unmap(&vs, va(v), NULL));
    }
    t = (now_ns() - t) / N;
    if (anchor)
        must(vmm_unmap(&vs, va(HEAP_BASE), NULL));
    return t;
}

/* ---- driver ---- */

static double best(double (*fn)(void))
{
    fn(); /* warm-up: first touch of the frames */
    double b = 1e300;
    for (int r = 0; r < ROUNDS; r++) {
        double x = fn();
        if (x < b)
            b = x;
    }
    return b;
}

static double pairs_anchor(void)
{
    return vmm_pairs(true);
}
static double pairs_bare(void)
{
    return vmm_pairs(false);
}

static void row(const char *ram, const char *what, double ns, double floor)
{
    printf("%-8s  %-40s %8.1f %8.1f %7.2fx\n", ram, what, ns, floor, ns / floor);
}

static double run(const char *ram, uint64_t size)
{
    struct memmap m = {0};
    m.r[m.n++] = (struct memmap_range){0, 0x100000, MB2_MEM_RESERVED, MEMMAP_RESV_NONE};
    uint64_t low_end = size < 3 * GiB ? size : 3 * GiB;
    m.r[m.n++] = (struct memmap_range){0x100000, low_end, MB2_MEM_AVAILABLE, MEMMAP_RESV_NONE};
    if (size > 4 * GiB) {
        m.r[m.n++] = (struct memmap_range){3 * GiB, 4 * GiB, MB2_MEM_RESERVED, MEMMAP_RESV_NONE};
        m.r[m.n++] = (struct memmap_range){4 * GiB, size, MB2_MEM_AVAILABLE, MEMMAP_RESV_NONE};
    }
    uint64_t meta = pmm_metadata_size(&m);
    /* Reserve the bitmap at 1 MiB: split the first usable range. */
    memmove(&m.r[2], &m.r[1], (m.n - 1) * sizeof(m.r[0]));
    m.n++;
    m.r[1] = (struct memmap_range){0x100000, 0x100000 + meta, MB2_MEM_AVAILABLE,
                                   MEMMAP_RESV_PMM_METADATA};
    m.r[2].start = 0x100000 + meta;

    sim_phys_clear();
    double t = now_ns();
    if (pmm_init(&pm, &m, pa(0x100000)) != E_OK)
        abort();
    double init_us = (now_ns() - t) / 1e3;
    struct pmm_stats st;
    pmm_stats(&pm, &st);
    printf("%-8s  pmm_init: %.1f us for %llu frames (metadata %llu KiB)\n", ram, init_us,
           (unsigned long long)st.total, (unsigned long long)meta / 1024);

    double fb = best(floor_batch), fp = best(floor_pairs);
    double pb = best(pmm_batch), pp = best(pmm_pairs);
    row(ram, "pmm alloc+free, batch of 16384", pb, fb);
    row(ram, "pmm alloc+free, pairs", pp, fp);

    must(vmm_space_init(&vs, &ops, &pm));
    double vb = best(vmm_batch);
    double va_ = best(pairs_anchor);
    double vp = best(pairs_bare);
    row(ram, "vmm map+unmap 4 KiB, batch of 16384", vb, fb);
    row(ram, "vmm map+unmap 4 KiB, pairs (PT kept)", va_, fp);
    row(ram, "vmm map+unmap 4 KiB, pairs (3 tables)", vp, fp);
    vmm_space_destroy(&vs);
    pmm_stats(&pm, &st);
    if (st.used != 0)
        abort();
    return pb / fb > pp / fp ? pb / fb : pp / fp;
}

int main(void)
{
    if (sim_phys_map(SIM_SIZE) != 0) {
        perror("mmap");
        return 1;
    }
    printf("mbheap pmm/vmm benchmark: ns per operation pair, best of %d rounds of %d\n", ROUNDS, N);
    printf("floor = plain array push+pop of the same count, same run\n\n");
    printf("%-8s  %-40s %8s %8s %8s\n", "RAM", "operation", "ns/op", "floor", "ratio");
    double r1 = run("128 MiB", 128 * MiB);
    double r2 = run("64 GiB", 64 * GiB);
    double worst = r1 > r2 ? r1 : r2;
    printf("\npmm alloc+free worst ratio to floor: %.2fx (target <= 3x): %s\n", worst,
           worst <= 3.0 ? "met" : "NOT met");
    sim_phys_unmap();
    return 0;
}
