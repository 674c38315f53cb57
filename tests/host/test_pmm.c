/* SPDX-License-Identifier: MIT */
/*
 * Host tests for mm/pmm.c: allocation over maps with holes and reservations, RAM above
 * 4 GiB, exhaustion, LIFO reuse, lazy init, every misuse panic, fault injection, stats.
 *
 * Physical memory is simulated (tests/host/sim_phys.h) by one 64 GiB MAP_NORESERVE
 * mapping: phys_to_virt(p) is sim_phys + p, and a page costs real memory only once touched.
 *
 * Each test opens with a diagram of the map it builds (physical addresses in hex without 0x,
 * to scale only roughly; RAM = usable, RS = reserved, 20 = type 20, META = the pmm's metadata,
 * LOW1M, KIMG, TABLES = the first MiB, the kernel image, the boot page tables reserved) and a
 * sentence of what it expects.
 */
#include "support.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/phys.h"
#include "mm/pmm.h"
#include "sim_phys.h"

#define SIM_SIZE (64 * GiB)

static int sim_setup(void **state)
{
    (void)state;
    return sim_phys_map(SIM_SIZE);
}

/* ---- building normalised maps by hand (mm/memmap.c is not used here) ---- */

static void add(struct memmap *m, uint64_t start, uint64_t end, uint32_t type, enum memmap_resv why)
{
    assert_true(m->n < MEMMAP_MAX);
    m->r[m->n++] = (struct memmap_range){start, end, type, why};
}

static void usable(struct memmap *m, uint64_t start, uint64_t end)
{
    add(m, start, end, MB2_MEM_AVAILABLE, MEMMAP_RESV_NONE);
}

/* Carves [start, end) out of the usable range containing it, labelled why. */
static void reserve(struct memmap *m, uint64_t start, uint64_t end, enum memmap_resv why)
{
    for (size_t i = 0; i < m->n; i++) {
        struct memmap_range r = m->r[i];
        if (r.type != MB2_MEM_AVAILABLE || r.resv != MEMMAP_RESV_NONE || start < r.start ||
            end > r.end)
            continue;
        struct memmap_range parts[3];
        size_t k = 0;
        if (r.start < start)
            parts[k++] = (struct memmap_range){r.start, start, r.type, MEMMAP_RESV_NONE};
        parts[k++] = (struct memmap_range){start, end, r.type, why};
        if (end < r.end)
            parts[k++] = (struct memmap_range){end, r.end, r.type, MEMMAP_RESV_NONE};
        assert_true(m->n + k - 1 <= MEMMAP_MAX);
        memmove(&m->r[i + k], &m->r[i + 1], (m->n - i - 1) * sizeof(m->r[0]));
        memcpy(&m->r[i], parts, k * sizeof(parts[0]));
        m->n += k - 1;
        return;
    }
    fail_msg("reserve: [0x%llx, 0x%llx) is not inside a usable range", (unsigned long long)start,
             (unsigned long long)end);
}

/* Reserves the metadata at meta (inside usable RAM) and initialises p. */
static void init_at(struct pmm *p, struct memmap *m, uint64_t meta)
{
    uint64_t size = pmm_metadata_size(m);
    assert_true(size > 0 && size % PAGE_SIZE == 0);
    reserve(m, meta, meta + size, MEMMAP_RESV_PMM_METADATA);
    assert_true(pmm_metadata_size(m) <= size);
    assert_int_equal(pmm_init(p, m, pa(meta)), E_OK);
}

static bool is_usable(const struct memmap *m, uint64_t f)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct memmap_range *r = &m->r[i];
        if (f >= r->start && f + PAGE_SIZE <= r->end)
            return r->type == MB2_MEM_AVAILABLE && r->resv == MEMMAP_RESV_NONE;
    }
    return false;
}

static uint64_t usable_frames(const struct memmap *m)
{
    uint64_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->r[i].type == MB2_MEM_AVAILABLE && m->r[i].resv == MEMMAP_RESV_NONE)
            n += (m->r[i].end - m->r[i].start) / PAGE_SIZE;
    return n;
}

static void check_stats(const struct pmm *p, uint64_t total, uint64_t used, uint64_t reserved)
{
    struct pmm_stats s;
    pmm_stats(p, &s);
    assert_int_equal(s.total, total);
    assert_int_equal(s.used, used);
    assert_int_equal(s.free, total - used);
    assert_int_equal(s.reserved, reserved);
}

/* p over a BIOS-like map m (low memory, reservations, ACPI, a hole, NVS), with its
 * metadata at 0x500000. */
static void holey_pmm(struct pmm *p, struct memmap *m)
{
    memset(m, 0, sizeof(*m));
    add(m, 0x0, 0x9f000, MB2_MEM_AVAILABLE, MEMMAP_RESV_LOW_1M);
    add(m, 0x9f000, 0x100000, MB2_MEM_RESERVED, MEMMAP_RESV_NONE);
    usable(m, 0x100000, 0x400000);
    add(m, 0x400000, 0x410000, MB2_MEM_ACPI_RECLAIMABLE, MEMMAP_RESV_NONE);
    /* hole [0x410000, 0x500000) */
    usable(m, 0x500000, 0x800000);
    add(m, 0x800000, 0x801000, MB2_MEM_NVS, MEMMAP_RESV_NONE);
    usable(m, 0x801000, 0x900000);
    add(m, 0x900000, 0x902000, 20, MEMMAP_RESV_NONE); /* a type the firmware made up */
    usable(m, 0x902000, 0xa00000);
    reserve(m, 0x100000, 0x140000, MEMMAP_RESV_KERNEL_IMAGE);
    init_at(p, m, 0x500000);
}

/* holey_pmm, then one frame allocated from p (the lowest usable, 0x140000): returns it. */
static paddr_t holey_pmm_one_frame(struct pmm *p, struct memmap *m)
{
    holey_pmm(p, m);
    paddr_t a;
    assert_int_equal(pmm_alloc(p, &a), E_OK);
    return a;
}

/* p over one usable MiB at 1 MiB, its first frame holding the metadata: 255 frames. */
static void one_mib_pmm(struct pmm *p, struct memmap *m)
{
    memset(m, 0, sizeof(*m));
    usable(m, 0x100000, 0x200000);
    init_at(p, m, 0x100000); /* metadata: the first frame */
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Allocates until E_NOMEM; checks every frame; returns how many (frames in out[]). */
static size_t drain(struct pmm *p, const struct memmap *m, uint64_t *out, size_t cap)
{
    size_t n = 0;
    paddr_t f;
    while (pmm_alloc(p, &f) == E_OK) {
        assert_true(n < cap);
        assert_true(is_aligned(pa_val(f), PAGE_SIZE));
        assert_true(is_usable(m, pa_val(f)));
        assert_true(pmm_is_allocated(p, f));
        out[n++] = pa_val(f);
    }
    assert_int_equal(pmm_alloc(p, &f), E_NOMEM);
    uint64_t *sorted = malloc(n * sizeof(*sorted));
    memcpy(sorted, out, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_u64);
    for (size_t i = 1; i < n; i++)
        assert_true(sorted[i - 1] < sorted[i]); /* unique */
    free(sorted);
    return n;
}

/*
 *   0      9f000 100000 140000 400000 410000 500000 503000 800000 801000 900000 902000 a00000
 *   |LOW1M |RS   |KIMG  |RAM   |ACPI  |      |META  |RAM   |NVS   |RAM   |20    |RAM   |
 * all 1978 usable frames come out lowest first, from 140000, each usable and none twice;
 * freed, they all come back, most recently freed first; the stats count the other 582 frames
 * of the span (from 0) as reserved.
 */
static void test_holes_exhaust_and_refill(void **state)
{
    (void)state;
    struct memmap m;
    struct pmm p;
    holey_pmm(&p, &m);
    uint64_t total = usable_frames(&m);
    uint64_t span = 0xa00000 / PAGE_SIZE; /* from 0: "first 1 MiB" is reserved RAM */
    check_stats(&p, total, 0, span - total);

    uint64_t frames[4096];
    size_t n = drain(&p, &m, frames, ARRAY_SIZE(frames));
    assert_int_equal(n, total);
    for (size_t i = 1; i < n; i++)
        assert_true(frames[i - 1] < frames[i]); /* lowest first while the cursor runs */
    assert_int_equal(frames[0], 0x140000);
    check_stats(&p, total, total, span - total);

    for (size_t i = 0; i < n; i++) {
        pmm_free(&p, pa(frames[i]));
        assert_false(pmm_is_allocated(&p, pa(frames[i])));
    }
    check_stats(&p, total, 0, span - total);

    /* Everything comes back again, most recently freed first. */
    uint64_t again[4096];
    assert_int_equal(drain(&p, &m, again, ARRAY_SIZE(again)), total);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(again[i], frames[n - 1 - i]);
    check_stats(&p, total, total, span - total);
}

/*
 *   0   100000 200000 3e3000 800000 c0000000 100000000 100400000 f00000000 f00100000
 *   |RS |RAM   |META  |RAM   | ...  |RS      |RAM      | ...     |RAM      |
 * the span runs from 100000 to 60 GiB + 1 MiB (a bitmap just under 2 MiB); every frame below
 * 4 GiB comes out before the 1280 above it, which are written and read back, the last at
 * f000ff000.
 */
static void test_above_4g(void **state)
{
    (void)state;
    struct memmap m = {0};
    add(&m, 0, 0x100000, MB2_MEM_RESERVED, MEMMAP_RESV_NONE);
    usable(&m, 0x100000, 0x800000);
    add(&m, 0xc0000000, 0x100000000, MB2_MEM_RESERVED, MEMMAP_RESV_NONE); /* PCI hole */
    usable(&m, 0x100000000, 0x100400000);
    usable(&m, 60 * GiB, 60 * GiB + 0x100000);
    struct pmm p;
    /* The bitmap for a 60 GiB span is just under 2 MiB. */
    uint64_t bitmap = 60 * GiB / PAGE_SIZE / 8, stack = usable_frames(&m) * 4;
    assert_int_equal(pmm_metadata_size(&m), align_down(bitmap + stack + PAGE_MASK, PAGE_SIZE));
    init_at(&p, &m, 0x200000);
    uint64_t total = usable_frames(&m);

    static uint64_t frames[8192];
    size_t n = drain(&p, &m, frames, ARRAY_SIZE(frames));
    assert_int_equal(n, total);
    size_t high = 0;
    for (size_t i = 0; i < n; i++) {
        if (frames[i] >= 4 * GiB) {
            high++;
            /* usable: write and read back through phys_to_virt */
            uint64_t *w = phys_to_virt(pa(frames[i]));
            w[511] = frames[i];
            assert_int_equal(w[511], frames[i]);
        } else {
            assert_int_equal(high, 0); /* every frame below 4 GiB comes first */
        }
    }
    assert_int_equal(high, (0x400000 + 0x100000) / PAGE_SIZE);
    assert_int_equal(frames[n - 1], 60 * GiB + 0x100000 - PAGE_SIZE);
    for (size_t i = 0; i < n; i++)
        pmm_free(&p, pa(frames[i]));
    check_stats(&p, total, 0, (60 * GiB + 0x100000 - 0x100000) / PAGE_SIZE - total);
}

/* Pages of [start, end) of the simulated RAM that are resident. */
static size_t resident_pages(uint64_t start, uint64_t end)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t n = (end - start) / pg;
    unsigned char *vec = malloc(n);
    assert_non_null(vec);
    assert_int_equal(mincore(sim_phys + start, end - start, vec), 0);
    size_t r = 0;
    for (size_t i = 0; i < n; i++)
        r += vec[i] & 1;
    free(vec);
    return r;
}

/*
 *   0   100000 1000000 5100000  c0000000 100000000 1000000000 (64 GiB)
 *   |RS |RAM   |META   |RAM ... |RS      |RAM ...  |
 * init clears only the bitmap, and 1000 frames allocated (from 100000), freed, allocated and
 * freed again are not touched either: outside the metadata no page of the 64 GiB becomes
 * resident.
 */
static void test_lazy_init_64g(void **state)
{
    (void)state;
    struct memmap m = {0};
    add(&m, 0, 0x100000, MB2_MEM_RESERVED, MEMMAP_RESV_NONE);
    usable(&m, 0x100000, 0xc0000000);
    add(&m, 0xc0000000, 0x100000000, MB2_MEM_RESERVED, MEMMAP_RESV_NONE);
    usable(&m, 0x100000000, SIM_SIZE);
    struct pmm p;
    uint64_t meta = 0x1000000, size = pmm_metadata_size(&m);
    init_at(&p, &m, meta);
    /* Init touched the bitmap only: nothing else of the 64 GiB is resident. */
    assert_int_equal(resident_pages(0, meta), 0);
    assert_int_equal(resident_pages(meta + size, SIM_SIZE), 0);

    uint64_t total = usable_frames(&m);
    check_stats(&p, total, 0, (0x100000000 - 0xc0000000) / PAGE_SIZE + size / PAGE_SIZE);
    paddr_t f[1000];
    for (size_t i = 0; i < ARRAY_SIZE(f); i++)
        assert_int_equal(pmm_alloc(&p, &f[i]), E_OK);
    assert_int_equal(pa_val(f[0]), 0x100000);
    for (size_t i = 0; i < ARRAY_SIZE(f); i++)
        pmm_free(&p, f[i]);
    for (size_t i = 0; i < ARRAY_SIZE(f); i++)
        assert_int_equal(pmm_alloc(&p, &f[i]), E_OK);
    for (size_t i = 0; i < ARRAY_SIZE(f); i++)
        pmm_free(&p, f[i]);
    check_stats(&p, total, 0, (0x100000000 - 0xc0000000) / PAGE_SIZE + size / PAGE_SIZE);
    /* Allocating and freeing never touched a frame either. */
    assert_int_equal(resident_pages(0, meta), 0);
    assert_int_equal(resident_pages(meta + size, SIM_SIZE), 0);
}

/*
 *   100000 101000 102000 103000 104000   200000
 *   |META  |a     |b     |c     |RAM ... |
 * frames come from the cursor in address order (a, b, c); b and a freed come back last freed
 * first (a, then b), and then the cursor goes on at 104000.
 */
static void test_lifo_reuse(void **state)
{
    (void)state;
    struct memmap m;
    struct pmm p;
    one_mib_pmm(&p, &m);
    paddr_t a, b, c, x;
    assert_int_equal(pmm_alloc(&p, &a), E_OK);
    assert_int_equal(pmm_alloc(&p, &b), E_OK);
    assert_int_equal(pmm_alloc(&p, &c), E_OK);
    assert_int_equal(pa_val(a), 0x101000);
    assert_int_equal(pa_val(b), 0x102000);
    assert_int_equal(pa_val(c), 0x103000);
    pmm_free(&p, b);
    pmm_free(&p, a);
    assert_int_equal(pmm_alloc(&p, &x), E_OK);
    assert_int_equal(pa_val(x), pa_val(a));
    assert_int_equal(pmm_alloc(&p, &x), E_OK);
    assert_int_equal(pa_val(x), pa_val(b));
    assert_int_equal(pmm_alloc(&p, &x), E_OK);
    assert_int_equal(pa_val(x), 0x104000); /* list empty: back to the cursor */
    check_stats(&p, 255, 4, 1);            /* the metadata frame */
}

/*
 *   0      9f000 100000 140000 400000 410000 500000 503000 800000 801000 900000 902000 a00000
 *   |LOW1M |RS   |KIMG  |RAM   |ACPI  |      |META  |RAM   |NVS   |RAM   |20    |RAM   |
 *                       ^ a, allocated
 * freeing anything but an allocated frame panics with the address and why: unaligned
 * (140008), reserved and by what (1000, 100000, 400000, 800000, 901000, 500000), outside RAM
 * (a00000, 420000), double free (9ff000, never handed out; a freed twice); scribbling on a
 * freed frame is harmless, and pmm_alloc catches a corrupted free-stack entry.
 */
static void test_misuse_panics(void **state)
{
    (void)state;
    struct memmap m;
    struct pmm p;
    paddr_t a = holey_pmm_one_frame(&p, &m);

    EXPECT_PANIC(pmm_free(&p, pa(pa_val(a) + 8)), "pmm_free: 0x140008 is not page-aligned");
    EXPECT_PANIC(pmm_free(&p, pa(0x1000)),
                 "pmm_free: 0x1000 is reserved (first 1 MiB (BIOS, real mode))");
    EXPECT_PANIC(pmm_free(&p, pa(0x100000)), "pmm_free: 0x100000 is reserved (kernel image)");
    EXPECT_PANIC(pmm_free(&p, pa(0xa00000)), "pmm_free: 0xa00000 is outside RAM"); /* above */
    EXPECT_PANIC(pmm_free(&p, pa(0x420000)), "pmm_free: 0x420000 is outside RAM"); /* hole */
    EXPECT_PANIC(pmm_free(&p, pa(0x400000)), "pmm_free: 0x400000 is reserved (ACPI reclaimable)");
    EXPECT_PANIC(pmm_free(&p, pa(0x800000)), "pmm_free: 0x800000 is reserved (ACPI NVS)");
    EXPECT_PANIC(pmm_free(&p, pa(0x901000)), "pmm_free: 0x901000 is reserved (firmware type 20)");
    EXPECT_PANIC(pmm_free(&p, pa(0x500000)),
                 "pmm_free: 0x500000 is reserved (frame allocator metadata)");
    EXPECT_PANIC(pmm_free(&p, pa(0x9ff000)), "pmm_free: double free of frame 0x9ff000");
    pmm_free(&p, a);
    EXPECT_PANIC(pmm_free(&p, a), "pmm_free: double free of frame 0x140000");
    check_stats(&p, usable_frames(&m), 0, 0xa00000 / PAGE_SIZE - usable_frames(&m));

    /* The pmm keeps nothing in free frames: scribbling on a freed frame is harmless. */
    memset(phys_to_virt(a), 0xff, PAGE_SIZE);
    paddr_t b;
    assert_int_equal(pmm_alloc(&p, &b), E_OK);
    assert_int_equal(pa_val(b), pa_val(a));

    /* Damaged metadata (a free-stack entry naming an allocated frame) is caught. */
    pmm_free(&p, b);
    assert_int_equal(pmm_alloc(&p, &a), E_OK); /* a is 0x140000 again */
    assert_int_equal(pmm_alloc(&p, &b), E_OK);
    pmm_free(&p, b);
    p.stack[p.stack_top - 1] = 0x140; /* frame 0x140000 (base is 0), which is allocated */
    EXPECT_PANIC(pmm_alloc(&p, &b), "pmm_alloc: free stack entry 0 (frame 0x140000) is corrupted");
}

/*
 *   100000 101000 200000 240000 400000
 *   |META  |RAM   |KIMG  |RAM   |
 * freeing a frame of the kernel image, a reservation inside the span, panics naming it.
 */
static void test_reserved_reason_in_span(void **state)
{
    (void)state;
    /* "kernel image" lies inside the span here: the panic names it. */
    struct memmap m = {0};
    usable(&m, 0x100000, 0x400000);
    reserve(&m, 0x200000, 0x240000, MEMMAP_RESV_KERNEL_IMAGE);
    struct pmm p;
    init_at(&p, &m, 0x100000);
    EXPECT_PANIC(pmm_free(&p, pa(0x201000)), "pmm_free: 0x201000 is reserved (kernel image)");
}

/*
 *   100000 101000 102000 103000 104000   200000
 *   |META  |f0    |f1    |f2    |RAM ... |
 * with a budget of 3 allocations (f0 to f2) the next ones fail with E_NOMEM, pmm_alloc_below
 * too, even after f0 is freed; a budget of 0 fails at once, UINT64_MAX lifts the limit.
 */
static void test_fail_after(void **state)
{
    (void)state;
    struct memmap m;
    struct pmm p;
    one_mib_pmm(&p, &m);
    paddr_t f[4];
    pmm_fail_after(&p, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pmm_alloc(&p, &f[i]), E_OK);
    assert_int_equal(pmm_alloc(&p, &f[3]), E_NOMEM);
    assert_int_equal(pmm_alloc(&p, &f[3]), E_NOMEM);
    assert_int_equal(pmm_alloc_below(&p, 4 * GiB, &f[3]), E_NOMEM);
    pmm_free(&p, f[0]); /* freeing does not refill the budget */
    assert_int_equal(pmm_alloc(&p, &f[0]), E_NOMEM);
    check_stats(&p, 255, 2, 1);
    pmm_fail_after(&p, 0);
    assert_int_equal(pmm_alloc(&p, &f[0]), E_NOMEM);
    pmm_fail_after(&p, UINT64_MAX);
    assert_int_equal(pmm_alloc(&p, &f[0]), E_OK);
    assert_int_equal(pmm_alloc(&p, &f[3]), E_OK);
    check_stats(&p, 255, 4, 1);
}

/*
 *   100000                     121000    131000 100000000  100010000
 *   |META (132 KiB, 33 frames) |low (16) | ...  |high (16) |
 * a frame is below a limit only if it ends at or below it (121000 for 122000, none for
 * 121fff); with low[3], low[7] and high freed in that order, below 4 GiB digs past high
 * (low[7], then low[3]), then fails, while pmm_alloc still gets high, and below no limit the
 * cursor gives 100001000.
 */
static void test_alloc_below(void **state)
{
    (void)state;
    struct memmap m = {0};
    usable(&m, 0x100000, 0x131000); /* the metadata (132 KiB) takes the first 33 frames */
    usable(&m, 4 * GiB, 4 * GiB + 0x10000);
    assert_int_equal(pmm_metadata_size(&m), 0x21000);
    struct pmm p;
    init_at(&p, &m, 0x100000);
    const uint64_t lo = 0x121000;
    paddr_t f, low[16], high;
    assert_int_equal(pmm_alloc_below(&p, lo + 0xfff, &f), E_NOMEM); /* frame would cross it */
    assert_int_equal(pmm_alloc_below(&p, lo + PAGE_SIZE, &f), E_OK);
    assert_int_equal(pa_val(f), lo);
    low[0] = f;
    for (int i = 1; i < 16; i++)
        assert_int_equal(pmm_alloc(&p, &low[i]), E_OK);
    assert_int_equal(pmm_alloc_below(&p, 4 * GiB, &f), E_NOMEM);
    assert_int_equal(pmm_alloc(&p, &high), E_OK);
    assert_int_equal(pa_val(high), 4 * GiB);
    /* Free stack: low[3], low[7], high (top); below 4 GiB must dig past high. */
    pmm_free(&p, low[3]);
    pmm_free(&p, low[7]);
    pmm_free(&p, high);
    assert_int_equal(pmm_alloc_below(&p, 4 * GiB, &f), E_OK);
    assert_int_equal(pa_val(f), pa_val(low[7]));
    assert_int_equal(pmm_alloc_below(&p, 4 * GiB, &f), E_OK);
    assert_int_equal(pa_val(f), pa_val(low[3]));
    assert_int_equal(pmm_alloc_below(&p, 4 * GiB, &f), E_NOMEM);
    assert_int_equal(pmm_alloc(&p, &f), E_OK); /* the stack still holds high */
    assert_int_equal(pa_val(f), 4 * GiB);
    assert_int_equal(pmm_alloc_below(&p, UINT64_MAX, &f), E_OK); /* the cursor */
    assert_int_equal(pa_val(f), 4 * GiB + PAGE_SIZE);
    check_stats(&p, 32, 18, (4 * GiB + 0x10000 - 0x100000) / PAGE_SIZE - 32);
}

/*
 *   0      100000 110000  113000 120000 121000 200000 201000 300000 400000
 *   |LOW1M |KIMG  |TABLES |KIMG  |META  |RAM   |NVS   |      |RAM   |
 * the three boot-table frames, released, are handed out first, last released first, then the
 * cursor (121000); releasing one twice, an unaligned address, metadata, usable, firmware or
 * hole frames panics; with page 0 released too, every frame comes out exactly once.
 */
static void test_release(void **state)
{
    (void)state;
    struct memmap m = {0};
    add(&m, 0, 0x100000, MB2_MEM_AVAILABLE, MEMMAP_RESV_LOW_1M);
    add(&m, 0x100000, 0x110000, MB2_MEM_AVAILABLE, MEMMAP_RESV_KERNEL_IMAGE);
    add(&m, 0x110000, 0x113000, MB2_MEM_AVAILABLE, MEMMAP_RESV_BOOT_TABLES);
    add(&m, 0x113000, 0x120000, MB2_MEM_AVAILABLE, MEMMAP_RESV_KERNEL_IMAGE);
    usable(&m, 0x120000, 0x200000);
    add(&m, 0x200000, 0x201000, MB2_MEM_NVS, MEMMAP_RESV_NONE);
    usable(&m, 0x300000, 0x400000);
    struct pmm p;
    init_at(&p, &m, 0x120000);
    uint64_t total = usable_frames(&m), span = 0x400000 / PAGE_SIZE;
    check_stats(&p, total, 0, span - total);

    for (uint64_t a = 0x110000; a < 0x113000; a += PAGE_SIZE)
        pmm_release(&p, pa(a));
    check_stats(&p, total + 3, 0, span - total - 3);
    paddr_t f[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pmm_alloc(&p, &f[i]), E_OK);
    assert_int_equal(pa_val(f[0]), 0x112000); /* released frames come first, LIFO */
    assert_int_equal(pa_val(f[1]), 0x111000);
    assert_int_equal(pa_val(f[2]), 0x110000);
    assert_int_equal(pa_val(f[3]), 0x121000); /* then the cursor */
    check_stats(&p, total + 3, 4, span - total - 3);

    EXPECT_PANIC(pmm_release(&p, pa(0x111000)), "pmm_release: 0x111000 was already released");
    pmm_free(&p, f[0]);
    EXPECT_PANIC(pmm_release(&p, pa(0x112000)), "pmm_release: 0x112000 was already released");
    EXPECT_PANIC(pmm_free(&p, f[0]), "pmm_free: double free of frame 0x112000");
    EXPECT_PANIC(pmm_release(&p, pa(0x112800)), "pmm_release: 0x112800 is not page-aligned");
    EXPECT_PANIC(pmm_release(&p, pa(0x120000)),
                 "pmm_release: 0x120000 holds the frame allocator's own metadata");
    EXPECT_PANIC(pmm_release(&p, pa(0x150000)), "pmm_release: 0x150000 is not reserved");
    EXPECT_PANIC(pmm_release(&p, pa(0x200000)),
                 "pmm_release: 0x200000 is reserved by the firmware (ACPI NVS)");
    EXPECT_PANIC(pmm_release(&p, pa(0x280000)), "pmm_release: 0x280000 is outside RAM");
    EXPECT_PANIC(pmm_free(&p, pa(0x100000)), "pmm_free: 0x100000 is reserved (kernel image)");

    /* Every frame, released ones included, comes out exactly once. */
    pmm_free(&p, f[1]);
    pmm_free(&p, f[2]);
    pmm_free(&p, f[3]);
    pmm_release(&p, pa(0x0)); /* page 0 too, if the kernel wanted */
    static uint64_t all[1024];
    size_t n = 0;
    paddr_t x;
    while (pmm_alloc(&p, &x) == E_OK)
        all[n++] = pa_val(x);
    assert_int_equal(n, total + 4);
    qsort(all, n, sizeof(all[0]), cmp_u64);
    for (size_t i = 1; i < n; i++)
        assert_true(all[i - 1] < all[i]);
    assert_int_equal(all[0], 0);
    check_stats(&p, total + 4, total + 4, span - total - 4);
}

/*
 *   0      9f000 100000 140000 400000 410000 500000 503000 800000 801000 900000 902000 a00000
 *   |LOW1M |RS   |KIMG  |RAM   |ACPI  |      |META  |RAM   |NVS   |RAM   |20    |RAM   |
 *                       ^ a, allocated
 * true for every address in an allocated frame (140000 to 140fff), false for the next frame,
 * for 0 and 400000 (reserved), for 2^64 - 1, and for a once freed.
 */
static void test_is_allocated(void **state)
{
    (void)state;
    struct memmap m;
    struct pmm p;
    paddr_t a = holey_pmm_one_frame(&p, &m);
    assert_true(pmm_is_allocated(&p, a));
    assert_true(pmm_is_allocated(&p, pa(pa_val(a) + 0xfff)));
    assert_false(pmm_is_allocated(&p, pa(pa_val(a) + PAGE_SIZE)));
    assert_false(pmm_is_allocated(&p, pa(0)));
    assert_false(pmm_is_allocated(&p, pa(0x400000)));
    assert_false(pmm_is_allocated(&p, pa(UINT64_MAX)));
    pmm_free(&p, a);
    assert_false(pmm_is_allocated(&p, a));
}

/*
 *   0       100000
 *   |RS     |                                    (empty, or only RS: E_NOMEM)
 *   100000    180000 200000    300000
 *   |RAM, 2nd |      |RAM, 1st |                 (unsorted: E_INVAL)
 *   100000        200000        300000        400000
 *   |RAM .......................|
 *                 |RS ........................|  (overlapping: E_INVAL)
 *   100800 300000
 *   |RAM   |                                     (not page-aligned: E_INVAL)
 *   100000 101000 300000
 *   |META  |RAM   |
 * no RAM, or no usable RAM, is E_NOMEM; an unsorted, overlapping or unaligned map, or metadata
 * not reserved, misaligned or wrapping, is E_INVAL; the last map, its metadata reserved,
 * initialises with 1ff frames.
 */
static void test_init_errors(void **state)
{
    (void)state;
    struct pmm p;
    struct memmap m = {0};
    assert_int_equal(pmm_metadata_size(&m), 0);
    assert_int_equal(pmm_init(&p, &m, pa(0)), E_NOMEM); /* no RAM */
    add(&m, 0, 0x100000, MB2_MEM_RESERVED, MEMMAP_RESV_NONE);
    assert_int_equal(pmm_init(&p, &m, pa(0)), E_NOMEM);

    memset(&m, 0, sizeof(m));
    usable(&m, 0x200000, 0x300000);
    usable(&m, 0x100000, 0x180000); /* unsorted */
    assert_int_equal(pmm_init(&p, &m, pa(0x1000)), E_INVAL);

    memset(&m, 0, sizeof(m));
    usable(&m, 0x100000, 0x300000);
    add(&m, 0x200000, 0x400000, MB2_MEM_RESERVED, MEMMAP_RESV_NONE); /* overlapping */
    assert_int_equal(pmm_init(&p, &m, pa(0x1000)), E_INVAL);

    memset(&m, 0, sizeof(m));
    usable(&m, 0x100800, 0x300000); /* usable but not page-aligned */
    assert_int_equal(pmm_init(&p, &m, pa(0x1000)), E_INVAL);

    memset(&m, 0, sizeof(m));
    usable(&m, 0x100000, 0x300000);
    assert_int_equal(pmm_metadata_size(&m), PAGE_SIZE);
    assert_int_equal(pmm_init(&p, &m, pa(0x100000)), E_INVAL); /* metadata not reserved */
    assert_int_equal(pmm_init(&p, &m, pa(0x2ff000)), E_INVAL);
    reserve(&m, 0x100000, 0x101000, MEMMAP_RESV_PMM_METADATA);
    assert_int_equal(pmm_init(&p, &m, pa(0x100004)), E_INVAL);           /* misaligned */
    assert_int_equal(pmm_init(&p, &m, pa(UINT64_MAX & ~7ull)), E_INVAL); /* wraps */
    assert_int_equal(pmm_init(&p, &m, pa(0x100000)), E_OK);
    check_stats(&p, 0x1ff, 0, 1);
}

/*
 *   0      9f000 100000 140000 400000 410000 500000 503000 800000 801000 900000 902000 a00000
 *   |LOW1M |RS   |KIMG  |RAM   |ACPI  |      |META  |RAM   |NVS   |RAM   |20    |RAM   |
 * 200000 random allocations and frees (seed 1234) hand out only usable frames, none twice,
 * with pmm_check and the stats agreeing every 1000 steps; all freed, the stats are as at init.
 */
static void test_mixed_random(void **state)
{
    (void)state;
    struct memmap m;
    struct pmm p;
    holey_pmm(&p, &m);
    uint64_t total = usable_frames(&m);
    static uint64_t held[4096];
    size_t n = 0;
    srand(1234);
    for (int step = 0; step < 200000; step++) {
        if (n > 0 && (rand() % 100 < 45 || n == total)) {
            size_t i = (size_t)rand() % n;
            pmm_free(&p, pa(held[i]));
            held[i] = held[--n];
        } else {
            paddr_t f;
            assert_int_equal(pmm_alloc(&p, &f), E_OK);
            assert_true(is_usable(&m, pa_val(f)));
            held[n++] = pa_val(f);
        }
        if (step % 1000 == 0) {
            pmm_check(&p);
            struct pmm_stats s;
            pmm_stats(&p, &s);
            assert_int_equal(s.used, n);
            assert_int_equal(s.free + s.used, total);
        }
    }
    qsort(held, n, sizeof(held[0]), cmp_u64);
    for (size_t i = 1; i < n; i++)
        assert_true(held[i - 1] < held[i]);
    for (size_t i = 0; i < n; i++)
        pmm_free(&p, pa(held[i]));
    check_stats(&p, total, 0, 0xa00000 / PAGE_SIZE - total);
}

/*
 *   100000 101000 102000 103000 104000          200000
 *   |META  |a     |b     |c     |never used ... |
 *   free stack: [a, b]; c handed out; the cursor at 104000
 * pmm_check passes (twice: it leaves p as it was), then names each corruption: a frame on
 * the free stack twice, an entry never handed out, one handed out, a used count one too high,
 * a frame lost.
 */
static void test_check_finds_corruption(void **state)
{
    (void)state;
    struct memmap m;
    struct pmm p;
    one_mib_pmm(&p, &m);
    paddr_t a, b, c;
    assert_int_equal(pmm_alloc(&p, &a), E_OK);
    assert_int_equal(pmm_alloc(&p, &b), E_OK);
    assert_int_equal(pmm_alloc(&p, &c), E_OK);
    pmm_free(&p, a);
    pmm_free(&p, b);
    pmm_check(&p);
    pmm_check(&p); /* and it leaves p as it was */
    check_stats(&p, 255, 1, 1);

    p.stack[1] = p.stack[0]; /* a twice, b lost */
    EXPECT_PANIC(pmm_check(&p), "pmm_check: frame 0x101000 is on the free stack twice (entry 1)");
    p.stack[1] = (uint32_t)((pa_val(b) - p.base) >> PAGE_SHIFT);
    pmm_check(&p); /* the marks were cleared on the way out */

    p.stack[1] = (uint32_t)((pa_val(c) + PAGE_SIZE - p.base) >> PAGE_SHIFT); /* never used */
    EXPECT_PANIC(pmm_check(&p),
                 "pmm_check: free stack entry 1 (frame 0x104000) was never handed out");
    p.stack[1] = (uint32_t)((pa_val(c) - p.base) >> PAGE_SHIFT); /* handed out */
    EXPECT_PANIC(pmm_check(&p), "pmm_check: free stack entry 1 (frame 0x103000) is corrupted");
    p.stack[1] = (uint32_t)((pa_val(b) - p.base) >> PAGE_SHIFT);

    p.used++;
    EXPECT_PANIC(pmm_check(&p), "pmm_check: 1 frames marked handed out, 2 counted as used");
    p.used--;
    p.stack_top--; /* b neither free nor handed out: lost */
    EXPECT_PANIC(pmm_check(&p), "pmm_check: 253 free frames counted (1 freed + 252 never used), "
                                "254 expected");
    p.stack_top++;
    pmm_check(&p);
}

int main(void)
{
    /* Each test starts with all-zero, non-resident simulated RAM. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_holes_exhaust_and_refill, sim_phys_reset),
        cmocka_unit_test_setup(test_above_4g, sim_phys_reset),
        cmocka_unit_test_setup(test_lazy_init_64g, sim_phys_reset),
        cmocka_unit_test_setup(test_lifo_reuse, sim_phys_reset),
        cmocka_unit_test_setup(test_misuse_panics, sim_phys_reset),
        cmocka_unit_test_setup(test_reserved_reason_in_span, sim_phys_reset),
        cmocka_unit_test_setup(test_fail_after, sim_phys_reset),
        cmocka_unit_test_setup(test_alloc_below, sim_phys_reset),
        cmocka_unit_test_setup(test_release, sim_phys_reset),
        cmocka_unit_test_setup(test_is_allocated, sim_phys_reset),
        cmocka_unit_test_setup(test_init_errors, sim_phys_reset),
        cmocka_unit_test_setup(test_mixed_random, sim_phys_reset),
        cmocka_unit_test_setup(test_check_finds_corruption, sim_phys_reset),
    };
    return cmocka_run_group_tests(tests, sim_setup, sim_phys_teardown);
}
