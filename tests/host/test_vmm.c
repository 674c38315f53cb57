/* SPDX-License-Identifier: MIT */
/*
 * Host tests for mm/vmm.c: round trips at many addresses, huge pages, argument checks,
 * table reclamation, E_NOMEM at every level leaving the tree unchanged, flush on every
 * live change, protect, walk, destroy, a random model check, and the pmm as frame source.
 *
 * Physical memory is simulated by a MAP_NORESERVE mapping (tests/host/sim_phys.h:
 * phys_to_virt(p) = sim_phys + p).
 * Table frames come from a test pool that tracks which frames are in use, can fail on
 * demand, and checks that the vmm frees only frames it got and only empty tables.
 * Leaf frames are just numbers: the vmm never touches them.
 *
 * Each test opens with a diagram of the mappings or tables it builds (addresses in hex
 * without 0x; "4K -> f": a 4 KiB page mapping frame f, likewise 2M and 1G) and a sentence of
 * what it expects.
 */
#include "support.h"

#include <stdlib.h>

#include "lib/phys.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "sim_phys.h"

#define SIM_SIZE (2 * GiB)
#define POOL_BASE (1 * GiB)
#define POOL_FRAMES 4096

/* ---- the test's frame pool and flush recorder (the vmm_ops context) ---- */

struct pool {
    bool used[POOL_FRAMES];
    size_t in_use;
    size_t next;       /* round-robin start, so freed frames are not reused at once */
    long fail_in;      /* allocations left before one fails; -1 = never */
    bool expect_empty; /* freed frames must be all-zero tables */
    size_t flush_mark; /* a free needs a flush recorded after this many; SIZE_MAX = off */
    uint64_t flushes[64];
    size_t nflush;
};

static err_t pool_alloc(void *ctx, paddr_t *out)
{
    struct pool *p = ctx;
    if (p->fail_in == 0)
        return E_NOMEM;
    if (p->fail_in > 0)
        p->fail_in--;
    for (size_t k = 0; k < POOL_FRAMES; k++) {
        size_t i = (p->next + k) % POOL_FRAMES;
        if (!p->used[i]) {
            p->used[i] = true;
            p->in_use++;
            p->next = i + 1;
            /* Dirty it: the vmm must zero the tables it gets. */
            memset(sim_phys + POOL_BASE + i * PAGE_SIZE, 0xa5, PAGE_SIZE);
            *out = pa(POOL_BASE + i * PAGE_SIZE);
            return E_OK;
        }
    }
    return E_NOMEM;
}

static void pool_free(void *ctx, paddr_t f)
{
    struct pool *p = ctx;
    uint64_t a = pa_val(f);
    assert_true(a >= POOL_BASE && a < POOL_BASE + POOL_FRAMES * PAGE_SIZE);
    assert_true(is_aligned(a, PAGE_SIZE));
    size_t i = (a - POOL_BASE) / PAGE_SIZE;
    assert_true(p->used[i]); /* the vmm frees only what it got, once */
    if (p->expect_empty) {
        const uint64_t *t = phys_to_virt(f);
        for (int k = 0; k < 512; k++)
            assert_int_equal(t[k], 0);
    }
    if (p->flush_mark != SIZE_MAX)
        assert_true(p->nflush > p->flush_mark); /* the table was flushed before its free */
    p->used[i] = false;
    p->in_use--;
}

static void pool_flush(void *ctx, vaddr_t page)
{
    struct pool *p = ctx;
    assert_true(p->nflush < ARRAY_SIZE(p->flushes));
    p->flushes[p->nflush++] = va_val(page);
}

static const struct vmm_ops pool_ops = {pool_alloc, pool_free, pool_flush};

static struct pool pool;
static struct vmm_space sp;

static int sim_setup(void **state)
{
    (void)state;
    return sim_phys_map(SIM_SIZE);
}

/* Fresh pool and a fresh space for every test. */
static int space_setup(void **state)
{
    (void)state;
    sim_phys_clear();
    memset(&pool, 0, sizeof(pool));
    pool.fail_in = -1;
    pool.expect_empty = true;
    pool.flush_mark = SIZE_MAX;
    return vmm_space_init(&sp, &pool_ops, &pool) == E_OK ? 0 : -1;
}

/* The entry at `level` (4..1) that the walk for v uses; NULL when a table is missing. */
static uint64_t *entry_of(uint64_t v, int level)
{
    uint64_t *t = phys_to_virt(sp.pml4);
    for (int l = 4;; l--) {
        uint64_t *e = &t[(v >> (12 + 9 * (l - 1))) & 511];
        if (l == level)
            return e;
        if (!(*e & VMM_PRESENT) || (*e & VMM_HUGE))
            return NULL;
        t = phys_to_virt(pa(*e & 0x000ffffffffff000ull));
    }
}

static void expect_translate(uint64_t v, uint64_t phys, uint64_t flags)
{
    paddr_t p;
    uint64_t fl;
    assert_int_equal(vmm_translate(&sp, va(v), &p, &fl), E_OK);
    assert_int_equal(pa_val(p), phys);
    assert_int_equal(fl, flags);
}

static void expect_unmapped(uint64_t v)
{
    paddr_t p;
    assert_int_equal(vmm_translate(&sp, va(v), &p, NULL), E_NOENT);
}

static const uint64_t addrs[] = {
    0x1000,
    0x200000,
    0x0000444444440000, /* heap start */
    0x0000123456789000,
    0x00007ffffffff000, /* top of the lower half */
    0xffff800000000000, /* direct map base */
    0xffff800123456000,
    0xffffffff80000000, /* kernel image */
    0xffffffff80201000,
    0xfffffffffffff000, /* the very last page */
};

/*
 *   addrs[i] - 1000 addrs[i]       addrs[i] + 1000
 *   |unmapped       |4K -> frame i |unmapped
 *   addrs = 1000, 200000, 444444440000, 123456789000, 7ffffffff000, ffff800000000000,
 *           ffff800123456000, ffffffff80000000, ffffffff80201000, fffffffffffff000;
 *   frame i = 10000000 + i * 3000, flags WRITABLE and NX
 * each page translates at +0, +123 and +fff and its canonical neighbours do not; mapping
 * flushes nothing, each unmap returns the frame and flushes its page, and only the PML4 is
 * left.
 */
static void test_roundtrip_many(void **state)
{
    (void)state;
    uint64_t flags = VMM_WRITABLE | VMM_NX;
    for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
        uint64_t frame = 0x10000000 + i * 0x3000;
        assert_int_equal(vmm_map(&sp, va(addrs[i]), pa(frame), flags), E_OK);
    }
    assert_int_equal(pool.nflush, 0); /* new mappings need no flush */
    for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
        uint64_t frame = 0x10000000 + i * 0x3000;
        expect_translate(addrs[i], frame, flags | VMM_PRESENT);
        expect_translate(addrs[i] + 0x123, frame + 0x123, flags | VMM_PRESENT);
        expect_translate(addrs[i] + 0xfff, frame + 0xfff, flags | VMM_PRESENT);
        if (vmm_is_canonical(va(addrs[i] + PAGE_SIZE)) && addrs[i] + PAGE_SIZE != 0)
            expect_unmapped(addrs[i] + PAGE_SIZE);
        if (vmm_is_canonical(va(addrs[i] - PAGE_SIZE)))
            expect_unmapped(addrs[i] - PAGE_SIZE);
    }
    for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
        paddr_t f;
        assert_int_equal(vmm_unmap(&sp, va(addrs[i]), &f), E_OK);
        assert_int_equal(pa_val(f), 0x10000000 + i * 0x3000);
        expect_unmapped(addrs[i]);
        assert_int_equal(pool.flushes[pool.nflush - 1], addrs[i]);
    }
    assert_int_equal(pool.nflush, ARRAY_SIZE(addrs));
    assert_int_equal(pool.in_use, 1); /* only the PML4 is left */
}

/*
 *   444444400000 444444440000 444444441000 444444600000
 *   |PT ...      |4K -> 5000  |  ...       |
 * a second map of the page, to another frame or the same, is E_EXISTS and keeps 5000, and so
 * is a 2 MiB page over the 2 MiB slot its PT fills; no table is allocated, nothing flushed.
 */
static void test_already_mapped(void **state)
{
    (void)state;
    uint64_t v = 0x0000444444440000;
    assert_int_equal(vmm_map(&sp, va(v), pa(0x5000), VMM_WRITABLE), E_OK);
    size_t used = pool.in_use;
    assert_int_equal(vmm_map(&sp, va(v), pa(0x6000), VMM_WRITABLE), E_EXISTS);
    assert_int_equal(vmm_map(&sp, va(v), pa(0x5000), VMM_WRITABLE), E_EXISTS);
    expect_translate(v, 0x5000, VMM_WRITABLE | VMM_PRESENT);
    /* A page table occupies the 2 MiB slot: E_EXISTS for a 2 MiB page there. */
    assert_int_equal(vmm_map_2m(&sp, va(align_down(v, LARGE_PAGE_SIZE)), pa(0x200000), 0),
                     E_EXISTS);
    assert_int_equal(pool.in_use, used);
    assert_int_equal(pool.nflush, 0);
}

/*
 *   ffff800040000000 ffff800040200000 ffff800040400000
 *   |2M -> 40000000  |PT: 4K -> 1000  |none
 * 4 KiB operations inside the 2 MiB page meet E_HUGEPAGE and a second 2 MiB map E_EXISTS; a
 * 2 MiB slot holding a PT (the 4 KiB page at +200000, mapped for a while) or nothing is no
 * 2 MiB page (E_NOENT); both unmapped, both pages are flushed and only the PML4 is left.
 */
static void test_huge_pages(void **state)
{
    (void)state;
    uint64_t v = 0xffff800040000000;
    uint64_t fl = VMM_WRITABLE | VMM_NX | VMM_GLOBAL;
    assert_int_equal(vmm_map_2m(&sp, va(v), pa(0x40000000), fl), E_OK);
    assert_int_equal(pool.in_use, 3); /* PML4, PDPT, PD */
    expect_translate(v, 0x40000000, fl | VMM_PRESENT | VMM_HUGE);
    expect_translate(v + 0x1ff123, 0x401ff123, fl | VMM_PRESENT | VMM_HUGE);
    expect_unmapped(v + LARGE_PAGE_SIZE);

    /* Inside it, 4 KiB operations meet a huge parent. */
    assert_int_equal(vmm_map(&sp, va(v + 0x5000), pa(0x1000), 0), E_HUGEPAGE);
    assert_int_equal(vmm_map(&sp, va(v), pa(0x1000), 0), E_HUGEPAGE);
    assert_int_equal(vmm_unmap(&sp, va(v + 0x5000), NULL), E_HUGEPAGE);
    assert_int_equal(vmm_protect(&sp, va(v), 0), E_HUGEPAGE);
    assert_int_equal(vmm_map_2m(&sp, va(v), pa(0x400000), fl), E_EXISTS);
    assert_int_equal(pool.in_use, 3);

    /* A 2 MiB slot holding a page table is not a 2 MiB page. */
    assert_int_equal(vmm_map(&sp, va(v + LARGE_PAGE_SIZE), pa(0x1000), 0), E_OK);
    assert_int_equal(vmm_unmap_2m(&sp, va(v + LARGE_PAGE_SIZE), NULL), E_NOENT);
    assert_int_equal(vmm_unmap_2m(&sp, va(v + 2 * LARGE_PAGE_SIZE), NULL), E_NOENT);
    assert_int_equal(vmm_unmap(&sp, va(v + LARGE_PAGE_SIZE), NULL), E_OK);

    paddr_t f;
    assert_int_equal(vmm_unmap_2m(&sp, va(v), &f), E_OK);
    assert_int_equal(pa_val(f), 0x40000000);
    expect_unmapped(v);
    assert_int_equal(pool.in_use, 1);
    assert_int_equal(pool.nflush, 2); /* unmap of the 4 KiB page, unmap_2m */
    assert_int_equal(pool.flushes[0], v + LARGE_PAGE_SIZE);
    assert_int_equal(pool.flushes[1], v);
}

static void walk_count(void *arg, vaddr_t page, paddr_t frame, uint64_t size, uint64_t flags)
{
    (void)frame;
    (void)flags;
    uint64_t *c = arg;
    c[0]++;
    c[1] = va_val(page);
    c[2] = size;
}

/*
 *   1000        2000  40000000                         80000000
 *   |4K -> 1000 | ... |1G -> 80000000, written by hand |
 * the 1 GiB leaf translates anywhere in it (40123456 to 80123456, 7fffffff to bfffffff), 4 KiB
 * and 2 MiB operations inside it meet E_HUGEPAGE, and the walk reports both leaves, the 1 GiB
 * one last.
 */
static void test_1g_page(void **state)
{
    (void)state;
    /* vmm has no map_1g; write a 1 GiB leaf by hand beside a 4 KiB mapping. */
    assert_int_equal(vmm_map(&sp, va(0x1000), pa(0x1000), 0), E_OK);
    uint64_t *pdpte = entry_of(0x40000000, 3);
    assert_non_null(pdpte);
    *pdpte = 0x80000000 | VMM_PRESENT | VMM_WRITABLE | VMM_HUGE;
    expect_translate(0x40000000, 0x80000000, VMM_PRESENT | VMM_WRITABLE | VMM_HUGE);
    expect_translate(0x7fffffff, 0xbfffffff, VMM_PRESENT | VMM_WRITABLE | VMM_HUGE);
    expect_translate(0x40123456, 0x80123456, VMM_PRESENT | VMM_WRITABLE | VMM_HUGE);
    assert_int_equal(vmm_map(&sp, va(0x40201000), pa(0x1000), 0), E_HUGEPAGE);
    assert_int_equal(vmm_map_2m(&sp, va(0x40200000), pa(0x200000), 0), E_HUGEPAGE);
    assert_int_equal(vmm_unmap_2m(&sp, va(0x40200000), NULL), E_HUGEPAGE);
    assert_int_equal(vmm_unmap(&sp, va(0x40200000), NULL), E_HUGEPAGE);
    uint64_t c[3] = {0};
    vmm_walk(&sp, walk_count, c);
    assert_int_equal(c[0], 2);
    assert_int_equal(c[1], 0x40000000);
    assert_int_equal(c[2], VMM_PAGE_SIZE_1G);
    *pdpte = 0;
}

/*
 *   0           800000000000                          ffff800000000000  2^64
 *   |canonical  |non-canonical: E_INVAL ..............|canonical        |
 * non-canonical addresses (four of them) are E_INVAL for every call, and so are an unaligned
 * address or frame, a frame of 52 bits or more, flags the call may not set (HUGE, bit 9,
 * bit 52) and unaligned 2 MiB arguments; nothing is allocated; the highest frame below 2^52
 * maps.
 */
static void test_invalid_arguments(void **state)
{
    (void)state;
    const uint64_t noncanon[] = {0x0000800000000000, 0xffff7ffffffff000, 0x8000000000000000,
                                 0x7ffffffffffff000};
    for (size_t i = 0; i < ARRAY_SIZE(noncanon); i++) {
        assert_false(vmm_is_canonical(va(noncanon[i])));
        assert_int_equal(vmm_map(&sp, va(noncanon[i]), pa(0x1000), 0), E_INVAL);
        assert_int_equal(vmm_unmap(&sp, va(noncanon[i]), NULL), E_INVAL);
        assert_int_equal(vmm_protect(&sp, va(noncanon[i]), 0), E_INVAL);
        assert_int_equal(vmm_translate(&sp, va(noncanon[i]), NULL, NULL), E_INVAL);
    }
    assert_true(vmm_is_canonical(va(0x00007fffffffffff)));
    assert_true(vmm_is_canonical(va(0xffff800000000000)));
    assert_int_equal(vmm_map(&sp, va(0x1001), pa(0x1000), 0), E_INVAL);     /* vaddr */
    assert_int_equal(vmm_map(&sp, va(0x1000), pa(0x1800), 0), E_INVAL);     /* paddr */
    assert_int_equal(vmm_map(&sp, va(0x1000), pa(1ull << 52), 0), E_INVAL); /* > 52 bits */
    assert_int_equal(vmm_map(&sp, va(0x1000), pa(0x1000), VMM_HUGE), E_INVAL);
    assert_int_equal(vmm_map(&sp, va(0x1000), pa(0x1000), 1ull << 9), E_INVAL);
    assert_int_equal(vmm_map(&sp, va(0x1000), pa(0x1000), 1ull << 52), E_INVAL);
    assert_int_equal(vmm_map_2m(&sp, va(0x1000), pa(0x200000), 0), E_INVAL);
    assert_int_equal(vmm_map_2m(&sp, va(0x200000), pa(0x201000), 0), E_INVAL);
    assert_int_equal(vmm_unmap(&sp, va(0x1001), NULL), E_INVAL);
    assert_int_equal(vmm_unmap_2m(&sp, va(0x201000), NULL), E_INVAL);
    assert_int_equal(vmm_protect(&sp, va(0x1000), VMM_HUGE), E_INVAL);
    assert_int_equal(pool.in_use, 1);
    /* The highest frame below 2^52 is fine. */
    assert_int_equal(vmm_map(&sp, va(0x1000), pa((1ull << 52) - PAGE_SIZE), VMM_PRESENT), E_OK);
    expect_translate(0x1fff, (1ull << 52) - 1, VMM_PRESENT);
}

/*
 *   PML4[0] -> PDPT[0] -> PD[0] -> PT[1] -> 1000          (once 1000 is mapped: 4 tables)
 *   PML4[1] empty: 8000000000   PDPT[1] empty: 40000000   PT[2] empty: 2000
 * with nothing mapped, then where the PDPT, the PD or just the PT entry is missing, unmap,
 * unmap_2m and protect are E_NOENT, leave the frame argument as it was, and flush and free
 * nothing.
 */
static void test_unmap_not_mapped(void **state)
{
    (void)state;
    paddr_t f = pa(0x1234);
    assert_int_equal(vmm_unmap(&sp, va(0x1000), &f), E_NOENT);
    assert_int_equal(pa_val(f), 0x1234); /* untouched on failure */
    assert_int_equal(vmm_unmap_2m(&sp, va(0x200000), NULL), E_NOENT);
    assert_int_equal(vmm_protect(&sp, va(0x1000), 0), E_NOENT);
    assert_int_equal(vmm_map(&sp, va(0x1000), pa(0x1000), 0), E_OK);
    assert_int_equal(vmm_unmap(&sp, va(0x2000), NULL), E_NOENT);       /* PT exists, entry not */
    assert_int_equal(vmm_unmap(&sp, va(0x40000000), NULL), E_NOENT);   /* PD missing */
    assert_int_equal(vmm_unmap(&sp, va(0x8000000000), NULL), E_NOENT); /* PDPT missing */
    assert_int_equal(pool.nflush, 0);
    assert_int_equal(pool.in_use, 4);
}

/* vmm_unmap, checking that every table it frees is freed after the flush. */
static err_t unmap_flush_first(uint64_t v)
{
    pool.flush_mark = pool.nflush;
    err_t e = vmm_unmap(&sp, va(v), NULL);
    pool.flush_mark = SIZE_MAX;
    return e;
}

/*
 *   PML4 -> PDPT -+-> PD a -+-> PT a: v -> 1000, v + 1000 -> 2000
 *                 |         +-> PT b: v + 200000 -> 3000
 *                 +-> PD c ---> PT c: v + 40000000 -> 4000        (v = 444444440000)
 * unmapping in the order v, v + 1000, v + 40000000, v + 200000 frees each table when its last
 * entry goes, after the flush, and its emptied parents with it, never the PML4: 7, 6, 4 and
 * then 1 table left.
 */
static void test_tables_freed_when_empty(void **state)
{
    (void)state;
    uint64_t v = 0x0000444444440000;
    assert_int_equal(vmm_map(&sp, va(v), pa(0x1000), 0), E_OK);
    assert_int_equal(pool.in_use, 4);
    assert_int_equal(vmm_map(&sp, va(v + PAGE_SIZE), pa(0x2000), 0), E_OK);
    assert_int_equal(pool.in_use, 4);
    assert_int_equal(vmm_map(&sp, va(v + LARGE_PAGE_SIZE), pa(0x3000), 0), E_OK); /* new PT */
    assert_int_equal(pool.in_use, 5);
    assert_int_equal(vmm_map(&sp, va(v + VMM_PAGE_SIZE_1G), pa(0x4000), 0), E_OK); /* PD+PT */
    assert_int_equal(pool.in_use, 7);

    assert_int_equal(unmap_flush_first(v), E_OK);
    assert_int_equal(pool.in_use, 7); /* the PT still maps v + 4 KiB */
    assert_int_equal(unmap_flush_first(v + PAGE_SIZE), E_OK);
    assert_int_equal(pool.in_use, 6); /* that PT went */
    assert_int_equal(unmap_flush_first(v + VMM_PAGE_SIZE_1G), E_OK);
    assert_int_equal(pool.in_use, 4); /* PT and PD went */
    assert_int_equal(unmap_flush_first(v + LARGE_PAGE_SIZE), E_OK);
    assert_int_equal(pool.in_use, 1); /* PT, PD, PDPT went; the PML4 stays */
    for (int i = 0; i < 512; i++)
        assert_int_equal(((uint64_t *)phys_to_virt(sp.pml4))[i], 0);
}

/* Copy of every table frame in use, to compare the whole tree before and after. */
struct snapshot {
    bool used[POOL_FRAMES];
    size_t in_use;
    uint8_t *mem;
};

static void snap(struct snapshot *s)
{
    memcpy(s->used, pool.used, sizeof(s->used));
    s->in_use = pool.in_use;
    s->mem = malloc(POOL_FRAMES * PAGE_SIZE);
    for (size_t i = 0; i < POOL_FRAMES; i++)
        if (pool.used[i])
            memcpy(s->mem + i * PAGE_SIZE, sim_phys + POOL_BASE + i * PAGE_SIZE, PAGE_SIZE);
}

static void expect_same(struct snapshot *s)
{
    assert_int_equal(pool.in_use, s->in_use);
    assert_memory_equal(pool.used, s->used, sizeof(s->used));
    for (size_t i = 0; i < POOL_FRAMES; i++)
        if (pool.used[i])
            assert_memory_equal(s->mem + i * PAGE_SIZE, sim_phys + POOL_BASE + i * PAGE_SIZE,
                                PAGE_SIZE);
    free(s->mem);
}

/*
 *   mapped: 1000 (USER) and 444444440000 (not USER), with their PDPT, PD and PT each;
 *   the cases, v: the tables missing
 *     2000: none                         200000: PT
 *     40000000: PD, PT                   8000000000: PDPT, PD, PT
 *     ffff800000000000: PDPT, PD, PT
 *     40000000, a 2 MiB page: PD         10000000000, a 2 MiB page: PDPT, PD
 *     444444640000: PT, under parents without USER
 * for a map needing k new tables, failing its 1st, ..., k-th table allocation gives E_NOMEM
 * with every table byte for byte as before, nothing flushed and v unmapped; then it maps with
 * exactly k new tables, which its unmap frees; vmm_space_init fails cleanly too.
 */
static void test_nomem_each_level(void **state)
{
    (void)state;
    /* Existing mappings so that some levels exist: a user page and a kernel page (whose
     * parents a user map would upgrade to USER). */
    assert_int_equal(vmm_map(&sp, va(0x1000), pa(0x1000), VMM_USER), E_OK);
    assert_int_equal(vmm_map(&sp, va(0x0000444444440000), pa(0x1000), 0), E_OK);
    struct {
        uint64_t v;
        int need; /* tables a successful map allocates */
        bool huge;
    } cases[] = {
        {0x2000, 0, false},             /* everything exists */
        {0x200000, 1, false},           /* PT missing */
        {0x40000000, 2, false},         /* PD and PT missing */
        {0x0000008000000000, 3, false}, /* PDPT, PD, PT missing */
        {0xffff800000000000, 3, false}, /* same, upper half */
        {0x40000000, 1, true},          /* 2 MiB page: PD missing */
        {0x0000010000000000, 2, true},  /* 2 MiB page: PDPT, PD missing */
        {0x0000444444640000, 1, false}, /* PT missing, parents lack USER */
    };
    for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
        for (int k = 0; k < cases[c].need; k++) {
            struct snapshot s;
            snap(&s);
            pool.fail_in = k; /* the (k+1)-th table allocation fails */
            size_t nflush = pool.nflush;
            err_t e = cases[c].huge ? vmm_map_2m(&sp, va(cases[c].v), pa(0x200000), VMM_USER)
                                    : vmm_map(&sp, va(cases[c].v), pa(0x3000), VMM_USER);
            assert_int_equal(e, E_NOMEM);
            assert_int_equal(pool.nflush, nflush);
            expect_same(&s);
            expect_unmapped(cases[c].v);
        }
        pool.fail_in = -1;
        size_t before = pool.in_use;
        err_t e = cases[c].huge ? vmm_map_2m(&sp, va(cases[c].v), pa(0x200000), VMM_USER)
                                : vmm_map(&sp, va(cases[c].v), pa(0x3000), VMM_USER);
        assert_int_equal(e, E_OK);
        assert_int_equal(pool.in_use, before + (size_t)cases[c].need);
        e = cases[c].huge ? vmm_unmap_2m(&sp, va(cases[c].v), NULL)
                          : vmm_unmap(&sp, va(cases[c].v), NULL);
        assert_int_equal(e, E_OK);
        assert_int_equal(pool.in_use, before);
    }
    /* vmm_space_init itself. */
    struct vmm_space s2;
    pool.fail_in = 0;
    assert_int_equal(vmm_space_init(&s2, &pool_ops, &pool), E_NOMEM);
    pool.fail_in = -1;
}

/*
 *   444444440000       ... ffff800000123000 ffff800000124000    ffff800000125000
 *   |w -> 9000, USER W |   |v -> 7000, W NX |u -> 8000, USER NX |
 * protecting v flushes it unless nothing changes, and keeps ACCESSED and DIRTY; a user page
 * (u) under kernel parents gives them USER and flushes, one in fresh tables (w) flushes
 * nothing; every unmap flushes its page.
 */
static void test_flush_and_protect(void **state)
{
    (void)state;
    uint64_t v = 0xffff800000123000;
    assert_int_equal(vmm_map(&sp, va(v), pa(0x7000), VMM_WRITABLE | VMM_NX), E_OK);
    assert_int_equal(pool.nflush, 0);

    assert_int_equal(vmm_protect(&sp, va(v), VMM_NX), E_OK); /* read-only */
    assert_int_equal(pool.nflush, 1);
    assert_int_equal(pool.flushes[0], v);
    expect_translate(v + 8, 0x7008, VMM_PRESENT | VMM_NX);

    assert_int_equal(vmm_protect(&sp, va(v), VMM_NX | VMM_PRESENT), E_OK); /* no change */
    assert_int_equal(pool.nflush, 1);

    /* ACCESSED and DIRTY, set by the CPU, survive a protect. */
    *entry_of(v, 1) |= VMM_ACCESSED | VMM_DIRTY;
    assert_int_equal(vmm_protect(&sp, va(v), VMM_WRITABLE | VMM_GLOBAL), E_OK);
    assert_int_equal(pool.nflush, 2);
    expect_translate(v, 0x7000, VMM_PRESENT | VMM_WRITABLE | VMM_GLOBAL | VMM_ACCESSED | VMM_DIRTY);

    /* Parents: PRESENT|WRITABLE, no USER yet, never NX. */
    for (int l = 4; l >= 2; l--) {
        uint64_t e = *entry_of(v, l);
        assert_int_equal(e & (VMM_PRESENT | VMM_WRITABLE | VMM_USER | VMM_NX),
                         VMM_PRESENT | VMM_WRITABLE);
    }
    /* A user page under those parents: they gain USER, and that change is flushed. */
    uint64_t u = v + PAGE_SIZE;
    assert_int_equal(vmm_map(&sp, va(u), pa(0x8000), VMM_USER | VMM_NX), E_OK);
    assert_int_equal(pool.nflush, 3);
    assert_int_equal(pool.flushes[2], u);
    for (int l = 4; l >= 2; l--)
        assert_true(*entry_of(v, l) & VMM_USER);
    /* A user page in fresh tables: created with USER, nothing live changed, no flush. */
    uint64_t w = 0x0000444444440000;
    assert_int_equal(vmm_map(&sp, va(w), pa(0x9000), VMM_USER | VMM_WRITABLE), E_OK);
    assert_int_equal(pool.nflush, 3);
    for (int l = 4; l >= 2; l--)
        assert_int_equal(*entry_of(w, l) & (VMM_PRESENT | VMM_WRITABLE | VMM_USER | VMM_NX),
                         VMM_PRESENT | VMM_WRITABLE | VMM_USER);

    assert_int_equal(vmm_unmap(&sp, va(v), NULL), E_OK);
    assert_int_equal(pool.nflush, 4);
    assert_int_equal(pool.flushes[3], v);
    assert_int_equal(vmm_unmap(&sp, va(u), NULL), E_OK);
    assert_int_equal(pool.flushes[4], u);
    assert_int_equal(vmm_unmap(&sp, va(w), NULL), E_OK);
    assert_int_equal(pool.flushes[5], w);
    assert_int_equal(pool.nflush, 6);
    assert_int_equal(pool.in_use, 1);
}

struct walk_log {
    uint64_t v[16], p[16], size[16], flags[16];
    size_t n;
};

static void walk_record(void *arg, vaddr_t page, paddr_t frame, uint64_t size, uint64_t flags)
{
    struct walk_log *l = arg;
    assert_true(l->n < 16);
    l->v[l->n] = va_val(page);
    l->p[l->n] = pa_val(frame);
    l->size[l->n] = size;
    l->flags[l->n++] = flags;
}

struct table_log {
    size_t n;
    uint64_t frame[16];
    int level[16];
};

static void table_record(void *arg, paddr_t table, int level)
{
    struct table_log *t = arg;
    assert_true(t->n < ARRAY_SIZE(t->frame));
    t->frame[t->n] = pa_val(table);
    t->level[t->n++] = level;
}

/*
 *   1000        444444440000 ffff800000200000 ffffffff80000000
 *   |4K -> 6000 |4K -> 5000  |2M -> 200000    |4K -> 100000
 *    USER        WRITABLE     NX               (no flags)
 * the walk reports the four leaves in address order with frame, size and flags; the table
 * walk visits 12 tables, parents first: 1 PML4, a PDPT and a PD for each of four PML4 slots,
 * a PT for each 4 KiB page; destroy frees them all.
 */
static void test_walk_and_destroy(void **state)
{
    (void)state;
    assert_int_equal(vmm_map(&sp, va(0xffffffff80000000), pa(0x100000), 0), E_OK);
    assert_int_equal(vmm_map_2m(&sp, va(0xffff800000200000), pa(0x200000), VMM_NX), E_OK);
    assert_int_equal(vmm_map(&sp, va(0x0000444444440000), pa(0x5000), VMM_WRITABLE), E_OK);
    assert_int_equal(vmm_map(&sp, va(0x1000), pa(0x6000), VMM_USER), E_OK);
    struct walk_log l = {0};
    vmm_walk(&sp, walk_record, &l);
    assert_int_equal(l.n, 4);
    const uint64_t ev[] = {0x1000, 0x0000444444440000, 0xffff800000200000, 0xffffffff80000000};
    const uint64_t ep[] = {0x6000, 0x5000, 0x200000, 0x100000};
    const uint64_t es[] = {PAGE_SIZE, PAGE_SIZE, LARGE_PAGE_SIZE, PAGE_SIZE};
    const uint64_t ef[] = {VMM_USER, VMM_WRITABLE, VMM_NX | VMM_HUGE, 0};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(l.v[i], ev[i]);
        assert_int_equal(l.p[i], ep[i]);
        assert_int_equal(l.size[i], es[i]);
        assert_int_equal(l.flags[i], ef[i] | VMM_PRESENT);
    }

    /* The tables: one PML4, then per mapping a PDPT and a PD each (four PML4 slots), and
     * a PT for each 4 KiB page (not for the 2 MiB one): 1 + 4 + 4 + 3, every one of them
     * a pool frame, each parent before its children. */
    struct table_log t = {0};
    vmm_walk_tables(&sp, table_record, &t);
    assert_int_equal(t.n, 12);
    assert_int_equal(t.n, pool.in_use);
    size_t per_level[5] = {0};
    for (size_t i = 0; i < t.n; i++) {
        per_level[t.level[i]]++;
        assert_true(t.frame[i] >= POOL_BASE && t.frame[i] < POOL_BASE + POOL_FRAMES * PAGE_SIZE);
        assert_true(pool.used[(t.frame[i] - POOL_BASE) / PAGE_SIZE]);
        if (i > 0)
            assert_true(t.level[i] < 4 && t.level[i] >= t.level[i - 1] - 1);
    }
    assert_int_equal(t.frame[0], pa_val(sp.pml4));
    assert_int_equal(t.level[0], 4);
    assert_int_equal(per_level[4], 1);
    assert_int_equal(per_level[3], 4);
    assert_int_equal(per_level[2], 4);
    assert_int_equal(per_level[1], 3);

    pool.expect_empty = false; /* destroy frees tables that still hold entries */
    vmm_space_destroy(&sp);
    assert_int_equal(pool.in_use, 0);
}

/*
 *   base[k]                  base[k] + 80000
 *   |128 pages ..............|
 *   base[] = 0, 8040000000, 7f8000200000, ffff800000000000, ffff8000c0000000,
 *            ffffff8000000000, ffffff8040200000, 444444400000;
 *   page i at base[i % 8] + (i / 8) * 1000
 * 50000 random maps, unmaps and protects of these 1024 pages (windows in different PML4, PDPT
 * and PD slots) return what a model predicts, every page then translates as the model says,
 * and unmapping them all leaves only the PML4.
 */
static void test_random_model(void **state)
{
    (void)state;
    enum { N = 1024 };
    static uint64_t model[N]; /* frame | flags, 0 = unmapped */
    memset(model, 0, sizeof(model));
    /* 1024 pages: 8 windows of 128 pages in different PML4, PDPT and PD slots. */
    uint64_t base[8] = {0x0000000000000000, 0x0000008040000000, 0x00007f8000200000,
                        0xffff800000000000, 0xffff8000c0000000, 0xffffff8000000000,
                        0xffffff8040200000, 0x0000444444400000};
#define PAGE_OF(i) (base[(i) % 8] + (uint64_t)((i) / 8) * PAGE_SIZE)
    srand(42);
    for (int step = 0; step < 50000; step++) {
        unsigned i = (unsigned)rand() % N;
        uint64_t v = PAGE_OF(i);
        int op = rand() % 3;
        if (op == 0) {
            uint64_t f = ((uint64_t)(rand() % 100000) + 1) * PAGE_SIZE;
            uint64_t fl = (rand() & 1 ? VMM_WRITABLE : 0) | (rand() & 1 ? VMM_NX : 0);
            err_t e = vmm_map(&sp, va(v), pa(f), fl);
            assert_int_equal(e, model[i] ? E_EXISTS : E_OK);
            if (!model[i])
                model[i] = f | fl | VMM_PRESENT;
        } else if (op == 1) {
            paddr_t f;
            err_t e = vmm_unmap(&sp, va(v), &f);
            assert_int_equal(e, model[i] ? E_OK : E_NOENT);
            if (model[i]) {
                assert_int_equal(pa_val(f), model[i] & 0x000ffffffffff000ull);
                model[i] = 0;
            }
        } else {
            err_t e = vmm_protect(&sp, va(v), VMM_WRITABLE);
            assert_int_equal(e, model[i] ? E_OK : E_NOENT);
            if (model[i])
                model[i] = (model[i] & 0x000ffffffffff000ull) | VMM_WRITABLE | VMM_PRESENT;
        }
        pool.nflush = 0;
    }
    for (unsigned i = 0; i < N; i++) {
        paddr_t p;
        uint64_t fl;
        err_t e = vmm_translate(&sp, va(PAGE_OF(i) + 0x10), &p, &fl);
        if (!model[i]) {
            assert_int_equal(e, E_NOENT);
            continue;
        }
        assert_int_equal(e, E_OK);
        assert_int_equal(pa_val(p), (model[i] & 0x000ffffffffff000ull) + 0x10);
        assert_int_equal(fl, model[i] & ~0x000ffffffffff000ull);
        assert_int_equal(vmm_unmap(&sp, va(PAGE_OF(i)), NULL), E_OK);
        pool.nflush = 0;
    }
#undef PAGE_OF
    assert_int_equal(pool.in_use, 1);
}

/* The kernel's wiring: table frames from the pmm. */
static struct pmm pm;

static err_t pmm_ops_alloc(void *ctx, paddr_t *out)
{
    return pmm_alloc(ctx, out);
}
static void pmm_ops_free(void *ctx, paddr_t f)
{
    pmm_free(ctx, f);
}
static const struct vmm_ops pmm_ops = {pmm_ops_alloc, pmm_ops_free, NULL};

/*
 *   100000 101000                 200000
 *   |META  |RAM: the table frames |                          (physical)
 *   444444440000      444444600000      444444698000
 *   |448 pages (PT 1) |152 pages (PT 2) |                    (virtual)
 *   page i -> 40000000 + i * 1000
 * table frames come from the pmm and go back to it: 600 pages take 5 (PML4, PDPT, PD, two
 * PTs), a failed allocation leaves 5 used, unmapping all leaves the PML4, destroy frees it.
 */
static void test_with_pmm(void **state)
{
    (void)state;
    struct memmap m = {0};
    m.r[m.n++] =
        (struct memmap_range){0x100000, 0x101000, MB2_MEM_AVAILABLE, MEMMAP_RESV_PMM_METADATA};
    m.r[m.n++] = (struct memmap_range){0x101000, 0x200000, MB2_MEM_AVAILABLE, MEMMAP_RESV_NONE};
    assert_int_equal(pmm_init(&pm, &m, pa(0x100000)), E_OK);
    struct pmm_stats st;
    struct vmm_space s;
    assert_int_equal(vmm_space_init(&s, &pmm_ops, &pm), E_OK);
    for (uint64_t i = 0; i < 600; i++) /* crosses a PT boundary */
        assert_int_equal(vmm_map(&s, va(0x0000444444440000 + i * PAGE_SIZE),
                                 pa(0x40000000 + i * PAGE_SIZE), VMM_WRITABLE),
                         E_OK);
    pmm_stats(&pm, &st);
    assert_int_equal(st.used, 1 + 1 + 1 + 2); /* PML4, PDPT, PD, 2 PTs */
    pmm_fail_after(&pm, 0);
    assert_int_equal(vmm_map(&s, va(0x1000), pa(0x1000), 0), E_NOMEM);
    pmm_fail_after(&pm, UINT64_MAX);
    pmm_stats(&pm, &st);
    assert_int_equal(st.used, 5);
    for (uint64_t i = 0; i < 600; i++)
        assert_int_equal(vmm_unmap(&s, va(0x0000444444440000 + i * PAGE_SIZE), NULL), E_OK);
    pmm_stats(&pm, &st);
    assert_int_equal(st.used, 1);
    vmm_space_destroy(&s);
    pmm_stats(&pm, &st);
    assert_int_equal(st.used, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_roundtrip_many, space_setup),
        cmocka_unit_test_setup(test_already_mapped, space_setup),
        cmocka_unit_test_setup(test_huge_pages, space_setup),
        cmocka_unit_test_setup(test_1g_page, space_setup),
        cmocka_unit_test_setup(test_invalid_arguments, space_setup),
        cmocka_unit_test_setup(test_unmap_not_mapped, space_setup),
        cmocka_unit_test_setup(test_tables_freed_when_empty, space_setup),
        cmocka_unit_test_setup(test_nomem_each_level, space_setup),
        cmocka_unit_test_setup(test_flush_and_protect, space_setup),
        cmocka_unit_test_setup(test_walk_and_destroy, space_setup),
        cmocka_unit_test_setup(test_random_model, space_setup),
        cmocka_unit_test_setup(test_with_pmm, space_setup),
    };
    return cmocka_run_group_tests(tests, sim_setup, sim_phys_teardown);
}
