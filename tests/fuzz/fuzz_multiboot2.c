/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_multiboot2.c - libFuzzer target for mm/multiboot2.c and mm/memmap.c.
 *
 * Each input is copied into an exactly sized heap block (8-byte aligned, so ASan sees any
 * read past it) and parsed with avail = input size. On success every accessor is run,
 * the memory map is loaded, normalised and carved by reservations, and after each step
 * the map's invariants are checked; a violation abort()s. Beyond the shape of the map
 * (sorted, non-overlapping, no empties, usable ranges page-aligned, neighbours of the
 * same kind merged) the map is checked against the raw entries at sample addresses:
 * an address the normalised map calls usable must be available in every raw entry
 * covering it (never hand out reserved memory), a firmware-reserved address keeps the
 * most restrictive covering type, and reservations only take usable memory away.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/kprintf.h"
#include "lib/panic.h"
#include "mm/memmap.h"
#include "mm/multiboot2.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static volatile size_t sink; /* keeps reads from being optimised away */

static void check_shape(const struct memmap *m)
{
    CHECK(m->n <= MEMMAP_MAX);
    for (size_t i = 0; i < m->n; i++) {
        const struct memmap_range *r = &m->r[i];
        CHECK(r->start < r->end);
        if (memmap_is_usable(r))
            CHECK(r->start % PAGE_SIZE == 0 && r->end % PAGE_SIZE == 0);
        if (i > 0) {
            const struct memmap_range *p = &m->r[i - 1];
            CHECK(p->end <= r->start);
            bool same = p->type == r->type && p->resv == r->resv;
            CHECK(!(p->end == r->start && same));
        }
    }
}

/* Field-wise equality (struct padding makes memcmp unreliable). */
static bool same_map(const struct memmap *a, const struct memmap *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const struct memmap_range *x = &a->r[i], *y = &b->r[i];
        if (x->start != y->start || x->end != y->end || x->type != y->type || x->resv != y->resv)
            return false;
    }
    return true;
}

/* The range of m containing x, or NULL. */
static const struct memmap_range *lookup(const struct memmap *m, uint64_t x)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->r[i].start <= x && x < m->r[i].end)
            return &m->r[i];
    return NULL;
}

static int rank(uint32_t type)
{
    switch (type) {
    case 1: return 0;
    case 3: return 2;
    case 4: return 3;
    case 5: return 5;
    default: return 4;
    }
}

/* The most restrictive raw type covering x (0 ranks as reserved, so use found). */
static bool raw_winner(const struct mb2_info *info, uint64_t x, uint32_t *type)
{
    bool found = false;
    for (size_t i = 0; i < info->mmap_count; i++) {
        struct mb2_mmap_entry e;
        CHECK(mb2_mmap_entry(info, i, &e));
        uint64_t end;
        if (__builtin_add_overflow(e.base, e.length, &end))
            end = UINT64_MAX;
        if (e.base <= x && x < end) {
            if (!found || rank(e.type) > rank(*type) ||
                (rank(e.type) == rank(*type) && e.type > *type))
                *type = e.type;
            found = true;
        }
    }
    return found;
}

#define MAX_POINTS 512
static uint64_t points[MAX_POINTS];
static size_t npoints;

static void add_point(uint64_t x)
{
    if (npoints < MAX_POINTS)
        points[npoints++] = x;
}

static void collect_points(const struct mb2_info *info)
{
    npoints = 0;
    add_point(0);
    add_point(UINT64_MAX - 1);
    for (size_t i = 0; i < info->mmap_count && npoints + 6 <= MAX_POINTS; i++) {
        struct mb2_mmap_entry e;
        mb2_mmap_entry(info, i, &e);
        uint64_t end;
        if (__builtin_add_overflow(e.base, e.length, &end))
            end = UINT64_MAX;
        add_point(e.base);
        add_point(e.base - 1);
        add_point(e.base + e.length / 2);
        add_point(end);
        add_point(end - 1);
        add_point((e.base & ~PAGE_MASK) + PAGE_SIZE);
    }
}

/* The normalised firmware map against the raw entries (before any reservation). */
static void check_against_raw(const struct mb2_info *info, const struct memmap *m)
{
    for (size_t i = 0; i < npoints; i++) {
        uint64_t x = points[i];
        uint32_t w = 0;
        bool covered = raw_winner(info, x, &w);
        const struct memmap_range *r = lookup(m, x);
        if (!covered) {
            CHECK(r == NULL);
        } else if (w == MB2_MEM_AVAILABLE) {
            CHECK(r == NULL || memmap_is_usable(r)); /* usable, or clipped away */
        } else {
            CHECK(r != NULL && r->type == w && r->resv == MEMMAP_RESV_NONE);
        }
    }
}

/* After a reservation: only usable memory inside [s, e) may have changed. */
static void check_reserve(const struct memmap *before, const struct memmap *after, uint64_t s,
                          uint64_t e, enum memmap_resv kind)
{
    uint64_t lo = s & ~PAGE_MASK;
    uint64_t hi = e > UINT64_MAX - PAGE_MASK ? UINT64_MAX : (e + PAGE_MASK) & ~PAGE_MASK;
    for (size_t i = 0; i < npoints; i++) {
        uint64_t x = points[i];
        const struct memmap_range *b = lookup(before, x), *a = lookup(after, x);
        if (b == NULL) {
            CHECK(a == NULL);
        } else if (memmap_is_usable(b) && x >= lo && x < hi) {
            CHECK(a != NULL && a->type == b->type && a->resv == kind);
        } else {
            CHECK(a != NULL && a->type == b->type && a->resv == b->resv);
        }
    }
}

static void check_totals(const struct memmap *m)
{
    struct memmap_totals t;
    memmap_totals(m, &t);
    uint64_t usable = 0, top = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (memmap_is_usable(&m->r[i])) {
            usable += m->r[i].end - m->r[i].start;
            top = m->r[i].end;
        }
    }
    CHECK(t.usable == usable && t.usable_top == top);
}

static void check_find_free(const struct memmap *m, uint64_t size, uint64_t align, uint64_t below)
{
    uint64_t a;
    if (!memmap_find_free(m, size, align, below, &a))
        return;
    CHECK(a % align == 0);
    CHECK(a + size > a && a + size <= below);
    const struct memmap_range *r = lookup(m, a);
    CHECK(r != NULL && memmap_is_usable(r) && a + size <= r->end);
}

static void exercise(const struct mb2_info *info)
{
    size_t acc = 0;
    if (info->cmdline)
        acc += strlen(info->cmdline);
    if (info->bootloader_name)
        acc += strlen(info->bootloader_name);
    for (size_t i = 0; i <= info->mmap_count; i++) {
        struct mb2_mmap_entry e;
        CHECK(mb2_mmap_entry(info, i, &e) == (i < info->mmap_count));
    }
    for (size_t i = 0; i <= info->module_count; i++) {
        struct mb2_module mod;
        bool ok = mb2_module(info, i, &mod);
        CHECK(ok == (i < info->module_count));
        if (ok) {
            CHECK(mod.start <= mod.end);
            acc += strlen(mod.string);
        }
    }
    for (size_t i = 0; i <= info->elf_num; i++) {
        struct mb2_elf_section s;
        bool ok = mb2_elf_section(info, i, &s);
        CHECK(ok == (info->has_elf_sections && i < info->elf_num));
        if (ok)
            acc += s.size + s.name;
    }
    for (size_t i = 0; i < info->rsdp_v1_len; i++)
        acc += info->rsdp_v1[i];
    for (size_t i = 0; i < info->rsdp_v2_len; i++)
        acc += info->rsdp_v2[i];
    sink = acc;
    mb2_print_mmap(info); /* no sink: goes to the log ring buffer only */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1); /* malloc: 16-byte aligned, exact size */
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);

    struct mb2_info info;
    struct mb2_error err;
    err_t e = mb2_parse(buf, size, &info, &err);
    if (e != E_OK) {
        char line[256];
        CHECK(err.what != NULL);
        CHECK(info.base == NULL && info.mmap == NULL);
        mb2_error_format(&err, e, line, sizeof(line));
        free(buf);
        return 0;
    }
    CHECK(info.total_size <= size);
    exercise(&info);

    static struct memmap m, before;
    e = memmap_from_mb2(&m, &info);
    if (e == E_NOENT)
        CHECK(info.mmap == NULL && m.n == 0);
    if (e == E_OK) {
        collect_points(&info);
        before = m;
        if (memmap_normalize(&m) == E_OK) {
            check_shape(&m);
            check_against_raw(&info, &m);
            check_totals(&m);
            before = m;
            CHECK(memmap_normalize(&before) == E_OK); /* idempotent */
            CHECK(same_map(&before, &m));

            /* reservations the kernel makes: the first MiB, the MBI, each module */
            static const enum memmap_resv reasons[] = {MEMMAP_RESV_LOW_1M, MEMMAP_RESV_MB2_INFO,
                                                       MEMMAP_RESV_BOOT_MODULE};
            uint64_t rs[3][2] = {
                {0, 0x100000}, {0x10000 + info.total_size / 3, 0x10000 + info.total_size}, {0, 0}};
            struct mb2_module mod;
            if (mb2_module(&info, 0, &mod)) {
                rs[2][0] = mod.start;
                rs[2][1] = mod.end;
            }
            if (info.mmap_count > 0) {
                struct mb2_mmap_entry me;
                mb2_mmap_entry(&info, 0, &me);
                rs[1][0] = me.base + 0x123;
                rs[1][1] = me.base + me.length / 2;
                if (rs[1][1] < rs[1][0])
                    rs[1][1] = rs[1][0];
            }
            for (size_t i = 0; i < 3; i++) {
                before = m;
                err_t re = memmap_reserve(&m, rs[i][0], rs[i][1], reasons[i]);
                CHECK(re == E_OK || re == E_NOSPC);
                if (re == E_NOSPC) {
                    CHECK(same_map(&before, &m));
                    continue;
                }
                check_shape(&m);
                if (rs[i][0] < rs[i][1])
                    check_reserve(&before, &m, rs[i][0], rs[i][1], reasons[i]);
            }
            /* Split usable ranges in the middle until the table is full: E_NOSPC must
             * come before an overflow and leave the map as it was. */
            for (size_t k = 0, i = 0; k < MEMMAP_MAX && m.n > 0; k++, i = (i + 1) % m.n) {
                const struct memmap_range *r = &m.r[i];
                if (!memmap_is_usable(r) || r->end - r->start < 3 * PAGE_SIZE)
                    continue;
                uint64_t mid = r->start + ((r->end - r->start) / 2 & ~PAGE_MASK);
                before = m;
                err_t re = memmap_reserve(&m, mid, mid + 1, MEMMAP_RESV_BOOT_TABLES);
                CHECK(re == E_OK || re == E_NOSPC);
                if (re == E_NOSPC) {
                    CHECK(same_map(&before, &m) && m.n + 2 > MEMMAP_MAX);
                    break;
                }
                check_shape(&m);
                const struct memmap_range *got = lookup(&m, mid);
                CHECK(got != NULL && got->start == mid && got->end == mid + PAGE_SIZE);
                CHECK(m.n == before.n + 2);
            }
            check_totals(&m);
            check_find_free(&m, PAGE_SIZE, PAGE_SIZE, UINT64_MAX);
            check_find_free(&m, 3 * PAGE_SIZE + 5, LARGE_PAGE_SIZE, 0x100000000);
            check_find_free(&m, 1, 1, 0x2000);
            memmap_print(&m);
        } else {
            CHECK(same_map(&before, &m)); /* E_NOSPC leaves m unchanged */
        }
    }
    free(buf);
    return 0;
}
