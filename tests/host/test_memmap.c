/* SPDX-License-Identifier: MIT */
/*
 * Host tests for mm/memmap.c: loading, normalising (order, overlaps, merging, clipping,
 * overflow), reservations, placement, totals and printing. Every test compares the
 * exact resulting table.
 *
 * Each test opens with a diagram of the map it builds (addresses in hex without 0x, to scale
 * only roughly; RAM = available, RS = reserved, a number = that type, KIMG etc. = the kernel's
 * reservations) and a sentence of what it expects.
 */
#include "support.h"

#include "capture.h"
#include "mb2_builder.h"
#include "mm/memmap.h"
#include "mm/multiboot2.h"

#define AV MB2_MEM_AVAILABLE
#define RS MB2_MEM_RESERVED
#define ACPI MB2_MEM_ACPI_RECLAIMABLE
#define NVS MB2_MEM_NVS
#define BAD MB2_MEM_BADRAM
#define TOP UINT64_MAX
/* reservation kinds */
#define NONE MEMMAP_RESV_NONE
#define LOW1M MEMMAP_RESV_LOW_1M
#define KIMG MEMMAP_RESV_KERNEL_IMAGE
#define TABLES MEMMAP_RESV_BOOT_TABLES
#define MB2INFO MEMMAP_RESV_MB2_INFO
#define MODULE MEMMAP_RESV_BOOT_MODULE
#define PMMMETA MEMMAP_RESV_PMM_METADATA

static void load(struct memmap *m, const struct mbb_ent *e, size_t n)
{
    memmap_init(m);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(memmap_add(m, e[i].base, e[i].len, e[i].type), E_OK);
}

/* Compares m (all of it, or only its first n ranges when prefix) with the expected
 * ranges {start, end, type, resv}. */
static void expect_map(const struct memmap *m, const struct memmap_range *exp, size_t n,
                       bool prefix)
{
    for (size_t i = 0; i < m->n && i < n; i++) {
        const struct memmap_range *r = &m->r[i];
        if (r->start != exp[i].start || r->end != exp[i].end || r->type != exp[i].type ||
            r->resv != exp[i].resv)
            fail_msg("range %zu: got [%#llx, %#llx) type %u %s, expected [%#llx, %#llx) type %u "
                     "%s",
                     i, (unsigned long long)r->start, (unsigned long long)r->end, r->type,
                     memmap_resv_name(r->resv), (unsigned long long)exp[i].start,
                     (unsigned long long)exp[i].end, exp[i].type, memmap_resv_name(exp[i].resv));
    }
    if (prefix)
        assert_true(m->n >= n);
    else
        assert_int_equal(m->n, n);
}

/* Field-wise equality (struct padding makes memcmp unreliable). */
static void expect_same(const struct memmap *a, const struct memmap *b)
{
    expect_map(a, b->r, b->n, false);
}

#define EXPECT_MAP(m, ...)                                                                         \
    do {                                                                                           \
        const struct memmap_range exp_[] = {__VA_ARGS__};                                          \
        expect_map(m, exp_, ARRAY_SIZE(exp_), false);                                              \
    } while (0)

#define EXPECT_PREFIX(m, ...)                                                                      \
    do {                                                                                           \
        const struct memmap_range exp_[] = {__VA_ARGS__};                                          \
        expect_map(m, exp_, ARRAY_SIZE(exp_), true);                                               \
    } while (0)

/* ---- memmap_add ------------------------------------------------------------------ */

/*
 *   1000 2000    100000000                fffffffffffff000  ffffffffffffffff
 *   |20  |       |RAM ......................................|
 *                                         |RS ..............|
 * added as RS, RAM, type 20 and kept in that order (nothing normalises), each clamped to end
 * at 2^64 - 1; the zero-length entry at 1000 and the one at 2^64 - 1 (empty once clamped) are
 * dropped.
 */
static void test_add_clamps_and_drops(void **state)
{
    (void)state;
    struct memmap m;
    memmap_init(&m);
    assert_int_equal(memmap_add(&m, 0x1000, 0, AV), E_OK); /* zero length: dropped */
    assert_int_equal(memmap_add(&m, TOP, 5, AV), E_OK);    /* nothing left after clamping */
    assert_int_equal(memmap_add(&m, 0xfffffffffffff000, 0x2000, RS), E_OK);
    assert_int_equal(memmap_add(&m, 0x100000000, TOP, AV), E_OK);
    assert_int_equal(memmap_add(&m, 0x1000, 0x1000, 20), E_OK);
    EXPECT_MAP(&m, {0xfffffffffffff000, TOP, RS, NONE}, {0x100000000, TOP, AV, NONE},
               {0x1000, 0x2000, 20, NONE});
}

/*
 *   0    1000 2000 3000  fe000 ff000 10000000    10001000
 *   |RAM |    |RAM | ... |RAM  | ... |RAM, 129th |
 * MEMMAP_MAX (128) one-page ranges fill the table: a 129th is refused with E_NOSPC, a
 * zero-length one still succeeds (nothing to add), and the 128 stay as they were.
 */
static void test_add_nospc(void **state)
{
    (void)state;
    struct memmap m;
    memmap_init(&m);
    for (size_t i = 0; i < MEMMAP_MAX; i++)
        assert_int_equal(memmap_add(&m, i * 0x2000, 0x1000, AV), E_OK);
    assert_int_equal(memmap_add(&m, 0x10000000, 0x1000, AV), E_NOSPC);
    assert_int_equal(memmap_add(&m, 0x10000000, 0, AV), E_OK); /* nothing to add */
    assert_int_equal(m.n, MEMMAP_MAX);
    assert_int_equal(m.r[MEMMAP_MAX - 1].start, (MEMMAP_MAX - 1) * 0x2000);
}

/* ---- memmap_normalize ------------------------------------------------------------ */

static const struct mbb_ent bios_map[] = {
    {0x0, 0x9fc00, AV},        {0x9fc00, 0x400, RS},     {0xf0000, 0x10000, RS},
    {0x100000, 0x7ee0000, AV}, {0x7fe0000, 0x20000, RS}, {0xfffc0000, 0x40000, RS},
};

/*
 *   0        9fc00 a0000   f0000 100000              7fe0000 8000000      fffc0000   4G
 *   |RAM     |RS   |       |RS   |RAM                |RS     |     ...    |RS        |
 * given in another order: sorted, and the RAM's partial last page (9f000-9fc00) clipped off.
 */
static void test_normalize_bios_unsorted(void **state)
{
    (void)state;
    struct memmap m;
    memmap_init(&m);
    for (size_t i = ARRAY_SIZE(bios_map); i-- > 0;)
        memmap_add(&m, bios_map[i].base, bios_map[i].len, bios_map[i].type);
    assert_int_equal(memmap_normalize(&m), E_OK);
    EXPECT_MAP(&m, {0x0, 0x9f000, AV, NONE}, /* 0x9fc00 clipped down to a page */
               {0x9fc00, 0xa0000, RS, NONE}, /* reserved ranges are not clipped */
               {0xf0000, 0x100000, RS, NONE}, {0x100000, 0x7fe0000, AV, NONE},
               {0x7fe0000, 0x8000000, RS, NONE}, {0xfffc0000, 0x100000000, RS, NONE});
}

/*
 *   0                                              10000000
 *   |RAM.........[RS 5000-7000]....................|
 *   0                                              10000
 *   |RAM.........[NVS 5800-5900]...................|
 * a reserved hole inside RAM: three ranges, the hole winning where they overlap; an unaligned
 * hole (the second map) also takes the partial pages around it (5000-5800, 5900-6000) from RAM.
 */
static void test_normalize_reserved_hole_splits_ram(void **state)
{
    (void)state;
    struct memmap m;
    const struct mbb_ent e[] = {{0x0, 0x10000000, AV}, {0x5000, 0x2000, RS}};
    load(&m, e, 2);
    assert_int_equal(memmap_normalize(&m), E_OK);
    EXPECT_MAP(&m, {0x0, 0x5000, AV, NONE}, {0x5000, 0x7000, RS, NONE},
               {0x7000, 0x10000000, AV, NONE});

    /* an unaligned hole: the RAM around it loses the partial pages */
    const struct mbb_ent f[] = {{0x5800, 0x100, 4}, {0x0, 0x10000, AV}};
    load(&m, f, 2);
    assert_int_equal(memmap_normalize(&m), E_OK);
    EXPECT_MAP(&m, {0x0, 0x5000, AV, NONE}, {0x5800, 0x5900, NVS, NONE},
               {0x6000, 0x10000, AV, NONE});
}

/*
 *   100000                 200000
 *   |RS[AV 150000-160000]RS|
 *            [AV 180000 .........................380000]
 * RAM inside or across a reserved range: the reserved range stays whole, RAM keeps the rest.
 */
static void test_normalize_available_inside_reserved(void **state)
{
    (void)state;
    struct memmap m;
    const struct mbb_ent e[] = {
        {0x150000, 0x10000, AV}, {0x100000, 0x100000, RS}, {0x180000, 0x200000, AV}};
    load(&m, e, 3);
    assert_int_equal(memmap_normalize(&m), E_OK);
    EXPECT_MAP(&m, {0x100000, 0x200000, RS, NONE}, {0x200000, 0x380000, AV, NONE});
}

/*
 *   0       x0000   x2000   x4000   x6000        100000
 *   |RAM ........................................|
 *           |A .............|
 *                   |B .............|
 *   (x, A, B) = (1, ACPI, NVS), (2, NVS, RS), (3, RS, 20), (4, 20, 7), (5, BAD, 99); and
 *   type 0 and RAM both at 60000-64000
 * the overlap rule: where ranges overlap the more restrictive wins (available < ACPI
 * reclaimable < NVS < reserved/unknown, type 0 too < bad RAM; between two undefined types the
 * higher number), in either input order.
 */
static void test_normalize_overlap_rule(void **state)
{
    (void)state;
    struct memmap m;
    const struct mbb_ent e[] = {
        {0x10000, 0x4000, ACPI}, {0x12000, 0x4000, NVS}, /* NVS wins over ACPI */
        {0x20000, 0x4000, NVS},  {0x22000, 0x4000, RS},  /* reserved wins over NVS */
        {0x30000, 0x4000, RS},   {0x32000, 0x4000, 20},  /* tie: 20 > 2 */
        {0x40000, 0x4000, 20},   {0x42000, 0x4000, 7},   /* tie: 20 > 7 */
        {0x50000, 0x4000, BAD},  {0x52000, 0x4000, 99},  /* bad RAM wins over everything */
        {0x60000, 0x4000, 0},    {0x60000, 0x4000, AV},  /* type 0 is reserved too */
        {0x0, 0x100000, AV},                             /* RAM under all of it */
    };
    load(&m, e, ARRAY_SIZE(e));
    assert_int_equal(memmap_normalize(&m), E_OK);
    EXPECT_MAP(
        &m, {0x0, 0x10000, AV, NONE}, {0x10000, 0x12000, ACPI, NONE}, {0x12000, 0x16000, NVS, NONE},
        {0x16000, 0x20000, AV, NONE}, {0x20000, 0x22000, NVS, NONE}, {0x22000, 0x26000, RS, NONE},
        {0x26000, 0x30000, AV, NONE}, {0x30000, 0x32000, RS, NONE}, {0x32000, 0x36000, 20, NONE},
        {0x36000, 0x40000, AV, NONE}, {0x40000, 0x44000, 20, NONE}, {0x44000, 0x46000, 7, NONE},
        {0x46000, 0x50000, AV, NONE}, {0x50000, 0x54000, BAD, NONE}, {0x54000, 0x56000, 99, NONE},
        {0x56000, 0x60000, AV, NONE}, {0x60000, 0x64000, 0, NONE}, {0x64000, 0x100000, AV, NONE});

    /* the same entries in the opposite order give the same map */
    struct memmap m2;
    memmap_init(&m2);
    for (size_t i = ARRAY_SIZE(e); i-- > 0;)
        memmap_add(&m2, e[i].base, e[i].len, e[i].type);
    assert_int_equal(memmap_normalize(&m2), E_OK);
    expect_same(&m2, &m);
}

/*
 *   1000 2000 4000 5800 6000 7800 10000 10800 11000 12000 20000 21000 22000
 *   |RAM |RAM |    |RAM |RAM |    |RS   |RS   |3    |     |RAM  |RAM  |
 *   |RAM |                                                      |RS, empty
 * touching ranges of one type merge (a duplicate and an empty range between them change
 * nothing), RAM is clipped to whole pages (5800-7800 becomes 6000-7000), and RS beside type 3
 * (ACPI) stays two ranges.
 */
static void test_normalize_merges(void **state)
{
    (void)state;
    struct memmap m;
    const struct mbb_ent e[] = {
        {0x1000, 0x1000, AV},  {0x2000, 0x2000, AV}, {0x1000, 0x1000, AV}, /* dup */
        {0x5800, 0x800, AV},   {0x6000, 0x1800, AV}, /* [0x5800, 0x7800) -> page 0x6000 */
        {0x10000, 0x800, RS},  {0x10800, 0x800, RS}, {0x11000, 0x1000, 3}, /* no merge */
        {0x20000, 0x1000, AV}, {0x21000, 0, RS},     {0x21000, 0x1000, AV},
    };
    load(&m, e, ARRAY_SIZE(e));
    assert_int_equal(memmap_normalize(&m), E_OK);
    EXPECT_MAP(&m, {0x1000, 0x4000, AV, NONE}, {0x6000, 0x7000, AV, NONE},
               {0x10000, 0x11000, RS, NONE}, {0x11000, 0x12000, ACPI, NONE},
               {0x20000, 0x22000, AV, NONE});
}

/*
 *   1001 2fff 10800 13800 20000 20fff 30001 30008
 *   |RAM |    |RAM  |     |RAM  |     |20   |
 * RAM is clipped inward to whole pages (10800-13800 becomes 11000-13000) and vanishes where
 * no whole page is left (1001-2fff, 20000-20fff); a reserved type (20) is kept to the byte.
 */
static void test_normalize_clipping(void **state)
{
    (void)state;
    struct memmap m;
    const struct mbb_ent e[] = {
        {0x1001, 0x1ffe, AV},  /* [0x1001, 0x2fff): no whole page -> dropped */
        {0x10800, 0x3000, AV}, /* [0x10800, 0x13800) -> [0x11000, 0x13000) */
        {0x20000, 0xfff, AV},  /* less than a page */
        {0x30001, 0x7, 20},    /* reserved: kept exact */
    };
    load(&m, e, ARRAY_SIZE(e));
    assert_int_equal(memmap_normalize(&m), E_OK);
    EXPECT_MAP(&m, {0x11000, 0x13000, AV, NONE}, {0x30001, 0x30008, 20, NONE});
}

/*
 *   0         100000000  200000000 200001000  ffffffff00000000  ffffffffffffffff
 *   |RAM .....|RAM .............................................|
 *                        |BAD      |          |RS ..............|
 *   fffffffffff00000                           ffffffffffffffff
 *   |RAM ......................................|  (the second map)
 * lengths running past 2^64 are clamped to end at 2^64 - 1: the RAM merges, splits around the
 * bad page and ends where the reserved top begins; alone, RAM up to 2^64 - 1 loses its partial
 * last page (it ends at fffffffffffff000).
 */
static void test_normalize_huge_lengths(void **state)
{
    (void)state;
    struct memmap m;
    const struct mbb_ent e[] = {
        {0x100000000, TOP, AV},                /* to the top: clamped, then clipped */
        {0xffffffff00000000, 0x200000000, RS}, /* overflows too */
        {0x200000000, 0x1000, BAD},
        {0x0, 0x100000000, AV},
    };
    load(&m, e, ARRAY_SIZE(e));
    assert_int_equal(memmap_normalize(&m), E_OK);
    EXPECT_MAP(&m, {0x0, 0x200000000, AV, NONE}, {0x200000000, 0x200001000, BAD, NONE},
               {0x200001000, 0xffffffff00000000, AV, NONE}, {0xffffffff00000000, TOP, RS, NONE});

    /* available up to 2^64 - 1: its last partial page is clipped */
    const struct mbb_ent f[] = {{0xfffffffffff00000, TOP, AV}};
    load(&m, f, 1);
    assert_int_equal(memmap_normalize(&m), E_OK);
    EXPECT_MAP(&m, {0xfffffffffff00000, 0xfffffffffffff000, AV, NONE});
}

/*
 *   0    9f000 a1000 100000 120000 180000 181000 200000
 *   |RAM |NVS  |     |KIMG  |RAM   |20    |RAM   |
 * an empty map normalises to no ranges; this one (NVS over the end of RAM, a type-20 page in
 * RAM, the kernel image reserved), normalised and reserved, is not changed by normalising again.
 */
static void test_normalize_idempotent_and_empty(void **state)
{
    (void)state;
    struct memmap m;
    memmap_init(&m);
    assert_int_equal(memmap_normalize(&m), E_OK);
    assert_int_equal(m.n, 0);

    const struct mbb_ent e[] = {{0x0, 0x9fc00, AV},
                                {0x9f000, 0x2000, NVS},
                                {0x100000, 0x100000, AV},
                                {0x180000, 0x1000, 20}};
    load(&m, e, ARRAY_SIZE(e));
    assert_int_equal(memmap_normalize(&m), E_OK);
    assert_int_equal(memmap_reserve(&m, 0x100000, 0x120000, KIMG), E_OK);
    struct memmap again = m;
    assert_int_equal(memmap_normalize(&again), E_OK);
    expect_same(&again, &m);
}

/*
 *   0    100000 101000 110000 111000   4e0000 4e1000 10000000
 *   |RAM |RS    |RAM   |RS    |RAM ... |RS    |RAM   |
 * one RAM range with k reserved holes needs 2k + 1 entries: 63 holes (the last at 4e0000) fit
 * in 127, 64 do not fit in MEMMAP_MAX (128): E_NOSPC, and the map is left unchanged.
 */
static void test_normalize_nospc(void **state)
{
    (void)state;
    struct memmap m;
    memmap_init(&m);
    memmap_add(&m, 0, 0x10000000, AV);
    for (uint64_t k = 0; k < 63; k++)
        memmap_add(&m, 0x100000 + k * 0x10000, 0x1000, RS);
    assert_int_equal(memmap_normalize(&m), E_OK);
    assert_int_equal(m.n, 127);
    assert_int_equal(m.r[126].start, 0x100000 + 62 * 0x10000 + 0x1000);
    assert_int_equal(m.r[126].end, 0x10000000);

    memmap_init(&m);
    memmap_add(&m, 0, 0x10000000, AV);
    for (uint64_t k = 0; k < 64; k++)
        memmap_add(&m, 0x100000 + k * 0x10000, 0x1000, RS);
    struct memmap before = m;
    assert_int_equal(memmap_normalize(&m), E_NOSPC);
    expect_same(&m, &before);
}

/* ---- memmap_from_mb2 ------------------------------------------------------------- */

/* Builds an MBI holding only a memory map tag with the given entries (or none). */
static void build_mbi(struct mbb *b, const struct mbb_ent *e, size_t n, bool with_mmap)
{
    mbb_init(b);
    if (with_mmap)
        mbb_mmap(b, e, n);
    mbb_end(b);
}

/*
 *   0    a0000 100000 800000 808000 810000 900000 7400000 7420000 7e20000 7e21000 8000000
 *   |RAM |     |RAM   |NVS   |RAM   |NVS   |RAM   |ACPI   |RAM    |20     |RS     |
 *   8000000 ffc00000 100000000 140000000
 *   | ...   |RS      |RAM      |
 * a UEFI-like map, out of order, with an empty entry at 900000 (dropped when loading: 12 of 13
 * entries), normalises into these ranges.
 */
static void test_from_mb2_uefi(void **state)
{
    (void)state;
    const struct mbb_ent e[] = {
        {0x100000000, 0x40000000, AV}, {0x0, 0xa0000, AV},        {0x7e20000, 0x1000, 20},
        {0x100000, 0x700000, AV},      {0x800000, 0x8000, NVS},   {0x808000, 0x8000, AV},
        {0x810000, 0xf0000, NVS},      {0x900000, 0x0, RS},       {0x900000, 0x6b00000, AV},
        {0x7400000, 0x20000, ACPI},    {0x7420000, 0xa00000, AV}, {0x7e21000, 0x1df000, RS},
        {0xffc00000, 0x400000, RS},
    };
    struct mbb b;
    build_mbi(&b, e, ARRAY_SIZE(e), true);
    struct mb2_info info;
    assert_int_equal(mb2_parse(b.buf, b.len, &info, NULL), E_OK);
    struct memmap m;
    assert_int_equal(memmap_from_mb2(&m, &info), E_OK);
    assert_int_equal(m.n, ARRAY_SIZE(e) - 1); /* the zero-length entry is gone */
    assert_int_equal(memmap_normalize(&m), E_OK);
    EXPECT_MAP(&m, {0x0, 0xa0000, AV, NONE}, {0x100000, 0x800000, AV, NONE},
               {0x800000, 0x808000, NVS, NONE}, {0x808000, 0x810000, AV, NONE},
               {0x810000, 0x900000, NVS, NONE}, {0x900000, 0x7400000, AV, NONE},
               {0x7400000, 0x7420000, ACPI, NONE}, {0x7420000, 0x7e20000, AV, NONE},
               {0x7e20000, 0x7e21000, 20, NONE}, {0x7e21000, 0x8000000, RS, NONE},
               {0xffc00000, 0x100000000, RS, NONE}, {0x100000000, 0x140000000, AV, NONE});
}

/*
 *   0       8    16
 *   |header |end |
 *   0       8                 24   32
 *   |header |mmap, no entries |end |
 * without a memory map tag (byte offsets, decimal) loading fails with E_NOENT and leaves the map
 * empty (it held 5); a tag with no entries gives an empty map.
 */
static void test_from_mb2_no_mmap(void **state)
{
    (void)state;
    struct mbb b;
    build_mbi(&b, NULL, 0, false);
    struct mb2_info info;
    assert_int_equal(mb2_parse(b.buf, b.len, &info, NULL), E_OK);
    struct memmap m;
    m.n = 5;
    assert_int_equal(memmap_from_mb2(&m, &info), E_NOENT);
    assert_int_equal(m.n, 0);

    build_mbi(&b, NULL, 0, true); /* a tag with no entries: an empty map */
    assert_int_equal(mb2_parse(b.buf, b.len, &info, NULL), E_OK);
    assert_int_equal(memmap_from_mb2(&m, &info), E_OK);
    assert_int_equal(m.n, 0);
}

/*
 *   100000 101800 103000   1e1000 1e2800   2c0800 2c2000
 *   |RAM   |RAM   |RAM ... |NVS   |RAM ... |RAM   |   (300 entries)
 *   0    1000 2000 3000 4000     256000 257000
 *   |RAM |    |RS  |    |RAM ... |RS    |             (300 again)
 * more entries than MEMMAP_MAX: 300 adjacent ones are compacted while loading and normalise to
 * three ranges (RAM resumes at the page after the NVS entry, 1e3000); 300 disjoint ones do not
 * fit: E_NOSPC.
 */
static void test_from_mb2_many_entries(void **state)
{
    (void)state;
    static struct mbb_ent e[300];
    for (size_t i = 0; i < 300; i++)
        e[i] = (struct mbb_ent){0x100000 + i * 0x1800, 0x1800, AV}; /* unaligned, adjacent */
    e[150].type = NVS;
    struct mbb b;
    build_mbi(&b, e, 300, true);
    struct mb2_info info;
    assert_int_equal(mb2_parse(b.buf, b.len, &info, NULL), E_OK);
    struct memmap m;
    assert_int_equal(memmap_from_mb2(&m, &info), E_OK);
    assert_int_equal(memmap_normalize(&m), E_OK);
    /* NVS at [0x100000 + 150 * 0x1800, +0x1800) = [0x1e1000, 0x1e2800) */
    EXPECT_MAP(&m, {0x100000, 0x1e1000, AV, NONE}, {0x1e1000, 0x1e2800, NVS, NONE},
               {0x1e3000, 0x100000 + 300 * 0x1800, AV, NONE});

    for (size_t i = 0; i < 300; i++)
        e[i] = (struct mbb_ent){i * 0x2000, 0x1000, i % 2 ? RS : AV}; /* disjoint */
    build_mbi(&b, e, 300, true);
    assert_int_equal(mb2_parse(b.buf, b.len, &info, NULL), E_OK);
    assert_int_equal(memmap_from_mb2(&m, &info), E_NOSPC);
}

/* ---- memmap_reserve -------------------------------------------------------------- */

static void bios(struct memmap *m)
{
    load(m, bios_map, ARRAY_SIZE(bios_map));
    assert_int_equal(memmap_normalize(m), E_OK);
}

/*
 *   100000   106000     200000 201000                7fdf000 7fe0000
 *   |KIMG....|RAM.......|MODULE|RAM..................|TABLES |RS ...
 * reservations at a range's start (rounded outward to pages), in its middle and at its top
 * edge each split the RAM range they lie in; a whole range reserved keeps the entry count.
 */
static void test_reserve_inside_and_edges(void **state)
{
    (void)state;
    struct memmap m;
    bios(&m);
    /* unaligned both ends: rounded outward */
    assert_int_equal(memmap_reserve(&m, 0x100010, 0x105123, KIMG), E_OK);
    /* at the top edge of a range */
    assert_int_equal(memmap_reserve(&m, 0x7fdf000, 0x7fe0000, TABLES), E_OK);
    /* in the middle */
    assert_int_equal(memmap_reserve(&m, 0x200000, 0x201000, MODULE), E_OK);
    EXPECT_MAP(&m, {0x0, 0x9f000, AV, NONE}, {0x9fc00, 0xa0000, RS, NONE},
               {0xf0000, 0x100000, RS, NONE}, {0x100000, 0x106000, AV, KIMG},
               {0x106000, 0x200000, AV, NONE}, {0x200000, 0x201000, AV, MODULE},
               {0x201000, 0x7fdf000, AV, NONE}, {0x7fdf000, 0x7fe0000, AV, TABLES},
               {0x7fe0000, 0x8000000, RS, NONE}, {0xfffc0000, 0x100000000, RS, NONE});

    /* a whole range */
    bios(&m);
    assert_int_equal(memmap_reserve(&m, 0x0, 0x9f000, LOW1M), E_OK);
    assert_int_equal(m.r[0].end, 0x9f000);
    assert_int_equal(m.r[0].resv, LOW1M);
    assert_int_equal(m.n, 6);
}

/*
 *   0        9f000 9fc00 a0000   f0000  100000 102000
 *   |LOW1M   |     |RS   |       |RS    |LOW1M |RAM ...
 * one reservation across RAM, a hole and firmware ranges marks only the RAM in it; reserving
 * outside RAM or over an earlier reservation changes nothing; reserving everything leaves no
 * range usable.
 */
static void test_reserve_spanning_and_outside(void **state)
{
    (void)state;
    struct memmap m;
    bios(&m);
    /* spans RAM, a firmware hole, reserved ranges and the start of the next RAM range */
    assert_int_equal(memmap_reserve(&m, 0x0, 0x102000, LOW1M), E_OK);
    EXPECT_MAP(&m, {0x0, 0x9f000, AV, LOW1M}, {0x9fc00, 0xa0000, RS, NONE},
               {0xf0000, 0x100000, RS, NONE}, {0x100000, 0x102000, AV, LOW1M},
               {0x102000, 0x7fe0000, AV, NONE}, {0x7fe0000, 0x8000000, RS, NONE},
               {0xfffc0000, 0x100000000, RS, NONE});
    struct memmap before = m;

    /* outside RAM (MMIO, a hole, firmware-reserved): nothing changes */
    assert_int_equal(memmap_reserve(&m, 0xfee00000, 0xfee01000, MODULE), E_OK);
    assert_int_equal(memmap_reserve(&m, 0xfffc0000, 0x100000000, MODULE), E_OK);
    assert_int_equal(memmap_reserve(&m, 0x200000000, TOP, MODULE), E_OK);
    /* already reserved by the kernel: the first reservation stays */
    assert_int_equal(memmap_reserve(&m, 0x100000, 0x101000, MODULE), E_OK);
    expect_same(&m, &before);

    /* the whole address space */
    assert_int_equal(memmap_reserve(&m, 0, TOP, PMMMETA), E_OK);
    for (size_t i = 0; i < m.n; i++)
        assert_false(memmap_is_usable(&m.r[i]));
    assert_int_equal(m.r[4].resv, PMMMETA);
}

/*
 *   100000           300000 301000 302000   303000
 *   |RAM ............|TABLES|TABLES|MB2INFO |RAM ...
 * two adjacent reservations of one kind merge into one range, a different kind does not; bad
 * arguments change nothing.
 */
static void test_reserve_merges_and_args(void **state)
{
    (void)state;
    struct memmap m;
    bios(&m);
    const enum memmap_resv a = TABLES;
    assert_int_equal(memmap_reserve(&m, 0x300000, 0x301000, a), E_OK);
    assert_int_equal(memmap_reserve(&m, 0x301000, 0x302000, a), E_OK);
    assert_int_equal(memmap_reserve(&m, 0x302000, 0x303000, MB2INFO), E_OK);
    EXPECT_MAP(&m, {0x0, 0x9f000, AV, NONE}, {0x9fc00, 0xa0000, RS, NONE},
               {0xf0000, 0x100000, RS, NONE}, {0x100000, 0x300000, AV, NONE},
               {0x300000, 0x302000, AV, a}, {0x302000, 0x303000, AV, MB2INFO},
               {0x303000, 0x7fe0000, AV, NONE}, {0x7fe0000, 0x8000000, RS, NONE},
               {0xfffc0000, 0x100000000, RS, NONE});

    struct memmap before = m;
    assert_int_equal(memmap_reserve(&m, 0x2000, 0x1000, KIMG), E_INVAL);
    assert_int_equal(memmap_reserve(&m, 0x1000, 0x2000, NONE), E_INVAL);
    assert_int_equal(memmap_reserve(&m, 0x1000, 0x2000, MEMMAP_RESV_COUNT), E_INVAL);
    assert_int_equal(memmap_reserve(&m, 0x1000, 0x1000, KIMG), E_OK);
    expect_same(&m, &before);
}

/*
 *   0    1000 2000  8000  10000 18000 20000 28000     7e0000 7e8000
 *   |RAM ...........|     |RS   |     |RAM  |     ... |RAM   |
 *   |KIMG|                   (fits: one entry more)
 *        |KIMG|              (refused: two more)
 * 127 alternating RAM and RS ranges in a table of 128: reserving 1000-2000, inside a range,
 * needs two more entries and is refused with E_NOSPC, the map unchanged; 0-1000, at its edge,
 * needs one and fits.
 */
static void test_reserve_nospc(void **state)
{
    (void)state;
    struct memmap m;
    memmap_init(&m);
    for (uint64_t i = 0; i < MEMMAP_MAX - 1; i++)
        memmap_add(&m, i * 0x10000, 0x8000, i % 2 ? RS : AV);
    assert_int_equal(memmap_normalize(&m), E_OK);
    assert_int_equal(m.n, MEMMAP_MAX - 1);
    struct memmap before = m;
    /* the middle of a range needs two more entries: refused, nothing changed */
    assert_int_equal(memmap_reserve(&m, 0x1000, 0x2000, KIMG), E_NOSPC);
    expect_same(&m, &before);
    /* an edge needs one */
    assert_int_equal(memmap_reserve(&m, 0x0, 0x1000, KIMG), E_OK);
    assert_int_equal(m.n, MEMMAP_MAX);
    EXPECT_PREFIX(&m, {0x0, 0x1000, AV, KIMG}, {0x1000, 0x8000, AV, NONE},
                  {0x10000, 0x18000, RS, NONE}, {0x20000, 0x28000, AV, NONE});
}

/* ---- queries --------------------------------------------------------------------- */

/*
 *   1000 4000 10000 11000 110000 200000 201000 100000000 140000000
 *   |RAM |    |KIMG |RAM  |      |RS    | ...  |RAM      |
 * the lowest multiple of the alignment where the size fits in one usable range ending at or
 * below the limit: 1000 (up to 3000 bytes), 11000 past the kernel image, 14000 aligned to 4000,
 * 100000000 for 2 MiB; false when nothing fits, for size 0, and for a bad or huge alignment.
 */
static void test_find_free(void **state)
{
    (void)state;
    struct memmap m;
    const struct mbb_ent e[] = {{0x1000, 0x3000, AV},
                                {0x10000, 0x100000, AV},
                                {0x200000, 0x1000, RS},
                                {0x100000000, 0x40000000, AV}};
    load(&m, e, ARRAY_SIZE(e));
    assert_int_equal(memmap_normalize(&m), E_OK);
    assert_int_equal(memmap_reserve(&m, 0x10000, 0x11000, KIMG), E_OK);
    uint64_t a = 0;
    assert_true(memmap_find_free(&m, 0x1000, 0x1000, TOP, &a));
    assert_int_equal(a, 0x1000);
    assert_true(memmap_find_free(&m, 0x3000, 0x1000, TOP, &a)); /* fits exactly */
    assert_int_equal(a, 0x1000);
    assert_true(memmap_find_free(&m, 0x3001, 0x1000, TOP, &a)); /* skips the reservation */
    assert_int_equal(a, 0x11000);
    assert_true(memmap_find_free(&m, 0x1000, 0x4000, TOP, &a)); /* alignment */
    assert_int_equal(a, 0x4000 * 5);
    assert_true(memmap_find_free(&m, 0x200000, 0x200000, TOP, &a)); /* above 4 GiB */
    assert_int_equal(a, 0x100000000);
    assert_false(memmap_find_free(&m, 0x200000, 0x1000, 0x100000000, &a)); /* below 4 GiB */
    assert_true(memmap_find_free(&m, 0x1000, 0x1000, 0x12000, &a));
    assert_int_equal(a, 0x1000);
    assert_true(memmap_find_free(&m, 0x4000, 0x1000, 0x15000, &a)); /* ends exactly at below */
    assert_int_equal(a, 0x11000);
    assert_false(memmap_find_free(&m, 0x4000, 0x1000, 0x14fff, &a));
    assert_false(memmap_find_free(&m, 0x40000001, 1, TOP, &a));
    assert_false(memmap_find_free(&m, 0, 0x1000, TOP, &a));
    assert_false(memmap_find_free(&m, 0x1000, 0x3000, TOP, &a)); /* not a power of two */
    assert_false(memmap_find_free(&m, 0x1000, 0, TOP, &a));
    assert_false(memmap_find_free(&m, 0x1000, 1ull << 63, TOP, &a)); /* huge alignment */
}

/*
 *   0    9f000 9fc00 a0000 f0000 100000 180000 7fe0000 8000000 fffc0000 100000000
 *   |RAM |     |RS   |     |RS   |KIMG  |RAM   |RS     | ...   |RS      |
 * the map summed by kind, holes counting nowhere: usable 9f000 + (7fe0000 - 180000),
 * kernel-reserved 80000, firmware-reserved the four RS ranges, usable top 7fe0000; an empty map
 * sums to 0, and only available, unreserved RAM is usable.
 */
static void test_totals_and_usable(void **state)
{
    (void)state;
    struct memmap m;
    bios(&m);
    assert_int_equal(memmap_reserve(&m, 0x100000, 0x180000, KIMG), E_OK);
    struct memmap_totals t;
    memmap_totals(&m, &t);
    assert_int_equal(t.usable, 0x9f000 + (0x7fe0000 - 0x180000));
    assert_int_equal(t.kernel_reserved, 0x80000);
    assert_int_equal(t.firmware_reserved, 0x400 + 0x10000 + 0x20000 + 0x40000);
    assert_int_equal(t.usable_top, 0x7fe0000);

    memmap_init(&m);
    memmap_totals(&m, &t);
    assert_int_equal(t.usable + t.kernel_reserved + t.firmware_reserved + t.usable_top, 0);

    struct memmap_range r = {0, 0x1000, AV, NONE};
    assert_true(memmap_is_usable(&r));
    r.resv = KIMG;
    assert_false(memmap_is_usable(&r));
    r = (struct memmap_range){0, 0x1000, ACPI, NONE};
    assert_false(memmap_is_usable(&r));
}

/* Every kind has its printed name, and a value outside the enum prints as "unknown"; the boot
 * output and pmm's panics use these. */
static void test_resv_names(void **state)
{
    (void)state;
    assert_string_equal(memmap_resv_name(NONE), "none");
    assert_string_equal(memmap_resv_name(LOW1M), "first 1 MiB (BIOS, real mode)");
    assert_string_equal(memmap_resv_name(KIMG), "kernel image");
    assert_string_equal(memmap_resv_name(TABLES), "boot page tables");
    assert_string_equal(memmap_resv_name(MB2INFO), "multiboot2 info");
    assert_string_equal(memmap_resv_name(MODULE), "boot module");
    assert_string_equal(memmap_resv_name(PMMMETA), "frame allocator metadata");
    assert_string_equal(memmap_resv_name(MEMMAP_RESV_COUNT), "unknown");
    assert_string_equal(memmap_resv_name((enum memmap_resv) - 1), "unknown");
}

/*
 *   0    9f000 9fc00 a0000 100000 180000 7fe0000 7fe1000 7fe2000 8000000 8001000
 *   |RAM |     |NVS  |     |KIMG  |RAM   |20     |ACPI   |       |BAD    |
 * printed as a header, one line per range (start, end exclusive, size, the type's name or the
 * reservation's), then the totals.
 */
static void test_print(void **state)
{
    (void)state;
    struct memmap m;
    const struct mbb_ent e[] = {{0x0, 0x9fc00, AV},        {0x9fc00, 0x400, NVS},
                                {0x100000, 0x7ee0000, AV}, {0x7fe0000, 0x1000, 20},
                                {0x7fe1000, 0x1000, ACPI}, {0x8000000, 0x1000, BAD}};
    load(&m, e, ARRAY_SIZE(e));
    assert_int_equal(memmap_normalize(&m), E_OK);
    assert_int_equal(memmap_reserve(&m, 0x100000, 0x180000, KIMG), E_OK);
    capture_begin();
    memmap_print(&m);
    const char *out = capture_end();
    const char *expect =
        "memory map: 7 ranges (end exclusive)\n"
        "  start               end                       size  type\n"
        "  0x0000000000000000  0x000000000009f000   636.0 KiB  available\n"
        "  0x000000000009fc00  0x00000000000a0000     1.0 KiB  ACPI NVS\n"
        "  0x0000000000100000  0x0000000000180000   512.0 KiB  reserved: kernel image\n"
        "  0x0000000000180000  0x0000000007fe0000   126.3 MiB  available\n"
        "  0x0000000007fe0000  0x0000000007fe1000     4.0 KiB  type 20 (reserved)\n"
        "  0x0000000007fe1000  0x0000000007fe2000     4.0 KiB  ACPI reclaimable\n"
        "  0x0000000008000000  0x0000000008001000     4.0 KiB  bad RAM\n"
        "  usable 126.9 MiB, firmware-reserved 13.0 KiB, kernel-reserved 512.0 KiB, usable "
        "top 0x7fe0000\n";
    assert_string_equal(out, expect);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_clamps_and_drops),
        cmocka_unit_test(test_add_nospc),
        cmocka_unit_test(test_normalize_bios_unsorted),
        cmocka_unit_test(test_normalize_reserved_hole_splits_ram),
        cmocka_unit_test(test_normalize_available_inside_reserved),
        cmocka_unit_test(test_normalize_overlap_rule),
        cmocka_unit_test(test_normalize_merges),
        cmocka_unit_test(test_normalize_clipping),
        cmocka_unit_test(test_normalize_huge_lengths),
        cmocka_unit_test(test_normalize_idempotent_and_empty),
        cmocka_unit_test(test_normalize_nospc),
        cmocka_unit_test(test_from_mb2_uefi),
        cmocka_unit_test(test_from_mb2_no_mmap),
        cmocka_unit_test(test_from_mb2_many_entries),
        cmocka_unit_test(test_reserve_inside_and_edges),
        cmocka_unit_test(test_reserve_spanning_and_outside),
        cmocka_unit_test(test_reserve_merges_and_args),
        cmocka_unit_test(test_reserve_nospc),
        cmocka_unit_test(test_find_free),
        cmocka_unit_test(test_totals_and_usable),
        cmocka_unit_test(test_resv_names),
        cmocka_unit_test(test_print),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
