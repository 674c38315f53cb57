/* SPDX-License-Identifier: MIT */
/*
 * mm/memmap.c - the normalised physical memory map.
 *
 * Owns: turning the firmware's memory map (any order, overlaps, zero lengths, odd
 * alignment, ranges that run off the top of the address space) into the sorted table
 * of mm/memmap.h, carving kernel reservations out of it, and answering questions about
 * it. Must not allocate, touch physical memory, or know about frames (mm/pmm does).
 *
 * How it works. A range covers [start, end) with end <= 2^64 - 1. The meaning of a raw
 * table is pointwise: each address belongs to the most restrictive range covering it
 * (rank(), rule in memmap.h) or to no range (a hole). resolve() computes that function
 * as a list of maximal runs with a sweep: from the lowest start, the next boundary is
 * the smallest start or end above the cursor (O(n) scan, no sorted boundary array);
 * between two boundaries the set of covering ranges is constant, so one O(n) scan picks
 * the winner. Runs go into a MEMMAP_MAX-entry scratch table, extending the previous run
 * when contiguous and of the same kind; with `clip` an available run is clipped inward
 * to pages when it is closed (after merging, so two sub-page halves of one page
 * still make the page usable), and dropped if nothing is left. The sweep's output is
 * sorted and non-overlapping by construction, so there is no separate sort. 2n
 * boundaries times O(n) is 2 * 128^2 steps at most; n is small and this runs once.
 *
 * memmap_reserve() works on the normal form in place: it counts how many extra entries
 * the split needs first, so it either succeeds or leaves the map untouched.
 */
#include "mm/memmap.h"

#include "lib/fmt_size.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/multiboot2.h"

static bool same_kind(const struct memmap_range *a, const struct memmap_range *b)
{
    return a->type == b->type && a->resv == b->resv;
}

/* Restrictiveness of a range; see the rule in memmap.h. */
static int rank(const struct memmap_range *r)
{
    switch (r->type) {
    case MB2_MEM_AVAILABLE: return r->resv != MEMMAP_RESV_NONE ? 1 : 0;
    case MB2_MEM_ACPI_RECLAIMABLE: return 2;
    case MB2_MEM_NVS: return 3;
    case MB2_MEM_BADRAM: return 5;
    default: return 4; /* MB2_MEM_RESERVED and every undefined type */
    }
}

/* True when a wins over b where they overlap. A total order: the result does not
 * depend on the order of the input. */
static bool beats(const struct memmap_range *a, const struct memmap_range *b)
{
    int ra = rank(a), rb = rank(b);
    if (ra != rb)
        return ra > rb;
    if (a->type != b->type)
        return a->type > b->type;
    return a->resv > b->resv;
}

void memmap_init(struct memmap *m)
{
    m->n = 0;
}

err_t memmap_add(struct memmap *m, uint64_t base, uint64_t length, uint32_t type)
{
    uint64_t end;
    if (__builtin_add_overflow(base, length, &end))
        end = UINT64_MAX;
    if (end == base)
        return E_OK; /* zero length, or nothing left below 2^64 - 1 after clamping */
    if (m->n >= MEMMAP_MAX)
        return E_NOSPC;
    m->r[m->n++] =
        (struct memmap_range){.start = base, .end = end, .type = type, .resv = MEMMAP_RESV_NONE};
    return E_OK;
}

/* Clips the available run out[*n - 1] inward to pages, dropping it if empty. */
static void close_run(struct memmap_range *out, size_t *n)
{
    if (*n == 0 || !memmap_is_usable(&out[*n - 1]))
        return;
    struct memmap_range *r = &out[*n - 1];
    uint64_t start;
    uint64_t end = align_down(r->end, PAGE_SIZE);
    if (!align_up_checked(r->start, PAGE_SIZE, &start) || start >= end) {
        (*n)--;
        return;
    }
    r->start = start;
    r->end = end;
}

/* Rewrites m as the maximal runs of its pointwise meaning (see the top comment). */
static err_t resolve(struct memmap *m, bool clip)
{
    struct memmap_range out[MEMMAP_MAX];
    size_t n_out = 0;
    bool any = false;
    uint64_t cur = 0;

    for (size_t i = 0; i < m->n; i++) {
        if (m->r[i].start < m->r[i].end && (!any || m->r[i].start < cur)) {
            cur = m->r[i].start;
            any = true;
        }
    }
    while (any) {
        /* The next boundary above cur, and the winner over [cur, next). */
        uint64_t next = 0;
        bool have_next = false;
        const struct memmap_range *w = NULL;
        for (size_t i = 0; i < m->n; i++) {
            const struct memmap_range *r = &m->r[i];
            if (r->start >= r->end)
                continue;
            if (r->start > cur && (!have_next || r->start < next)) {
                next = r->start;
                have_next = true;
            }
            if (r->end > cur && (!have_next || r->end < next)) {
                next = r->end;
                have_next = true;
            }
            if (r->start <= cur && cur < r->end && (w == NULL || beats(r, w)))
                w = r;
        }
        if (!have_next)
            break;
        if (w != NULL) {
            struct memmap_range *last = n_out ? &out[n_out - 1] : NULL;
            if (last && last->end == cur && same_kind(last, w)) {
                last->end = next;
            } else {
                if (clip)
                    close_run(out, &n_out);
                if (n_out == MEMMAP_MAX)
                    return E_NOSPC;
                out[n_out++] = (struct memmap_range){
                    .start = cur, .end = next, .type = w->type, .resv = w->resv};
            }
        }
        cur = next;
    }
    if (clip)
        close_run(out, &n_out);
    memcpy(m->r, out, n_out * sizeof(out[0]));
    m->n = n_out;
    return E_OK;
}

err_t memmap_normalize(struct memmap *m)
{
    return resolve(m, true);
}

err_t memmap_from_mb2(struct memmap *m, const struct mb2_info *info)
{
    m->n = 0;
    if (info->mmap == NULL)
        return E_NOENT;
    for (size_t i = 0; i < info->mmap_count; i++) {
        struct mb2_mmap_entry e;
        if (!mb2_mmap_entry(info, i, &e))
            return E_INVAL; /* not reached: i < mmap_count */
        if (e.length == 0)
            continue;
        if (m->n == MEMMAP_MAX) {
            /* Many firmware maps list RAM as runs of adjacent entries: merge them
             * (without clipping, which must wait for the whole map) and go on. */
            if (resolve(m, false) != E_OK || m->n == MEMMAP_MAX)
                return E_NOSPC;
        }
        err_t err = memmap_add(m, e.base, e.length, e.type);
        if (err != E_OK)
            return err;
    }
    return E_OK;
}

/* Merges neighbours of the same kind that touch (never increases n). */
static void merge_adjacent(struct memmap *m)
{
    size_t w = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (w > 0 && m->r[w - 1].end == m->r[i].start && same_kind(&m->r[w - 1], &m->r[i]))
            m->r[w - 1].end = m->r[i].end;
        else
            m->r[w++] = m->r[i];
    }
    m->n = w;
}

err_t memmap_reserve(struct memmap *m, uint64_t start, uint64_t end, enum memmap_resv kind)
{
    if (start > end || kind == MEMMAP_RESV_NONE || (unsigned)kind >= MEMMAP_RESV_COUNT)
        return E_INVAL;
    if (start == end)
        return E_OK;
    start = align_down(start, PAGE_SIZE);
    if (!align_up_checked(end, PAGE_SIZE, &end))
        end = UINT64_MAX; /* usable ranges end at or below align_down(UINT64_MAX) */

    /* Pass 1: how many entries does the split add? */
    size_t extra = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct memmap_range *r = &m->r[i];
        if (!memmap_is_usable(r) || r->end <= start || r->start >= end)
            continue;
        extra += (r->start < start) + (end < r->end);
    }
    if (m->n + extra > MEMMAP_MAX)
        return E_NOSPC;

    /* Pass 2: split each overlapped usable range into [before][reserved][after]. */
    for (size_t i = 0; i < m->n; i++) {
        struct memmap_range r = m->r[i];
        if (!memmap_is_usable(&r) || r.end <= start || r.start >= end)
            continue;
        struct memmap_range parts[3];
        size_t k = 0;
        if (r.start < start)
            parts[k++] = (struct memmap_range){r.start, start, r.type, MEMMAP_RESV_NONE};
        parts[k++] = (struct memmap_range){MAX(r.start, start), MIN(r.end, end), r.type, kind};
        if (end < r.end)
            parts[k++] = (struct memmap_range){end, r.end, r.type, MEMMAP_RESV_NONE};
        memmove(&m->r[i + k], &m->r[i + 1], (m->n - i - 1) * sizeof(m->r[0]));
        memcpy(&m->r[i], parts, k * sizeof(parts[0]));
        m->n += k - 1;
        i += k - 1;
    }
    merge_adjacent(m);
    return E_OK;
}

bool memmap_find_free(const struct memmap *m, uint64_t size, uint64_t align, uint64_t below,
                      uint64_t *out)
{
    if (size == 0 || !is_pow2(align))
        return false;
    for (size_t i = 0; i < m->n; i++) {
        const struct memmap_range *r = &m->r[i];
        if (!memmap_is_usable(r))
            continue;
        uint64_t a;
        if (!align_up_checked(r->start, align, &a))
            continue;
        uint64_t lim = MIN(r->end, below);
        if (a < lim && lim - a >= size) {
            *out = a;
            return true;
        }
    }
    return false;
}

void memmap_totals(const struct memmap *m, struct memmap_totals *t)
{
    *t = (struct memmap_totals){0};
    for (size_t i = 0; i < m->n; i++) {
        const struct memmap_range *r = &m->r[i];
        uint64_t len = r->end > r->start ? r->end - r->start : 0;
        if (memmap_is_usable(r)) {
            t->usable += len;
            t->usable_top = MAX(t->usable_top, r->end);
        } else if (r->resv != MEMMAP_RESV_NONE) {
            t->kernel_reserved += len;
        } else {
            t->firmware_reserved += len;
        }
    }
}

void memmap_print(const struct memmap *m)
{
    kprintf("memory map: %zu ranges (end exclusive)\n", m->n);
    kprintf("  %-18s  %-18s  %10s  %s\n", "start", "end", "size", "type");
    for (size_t i = 0; i < m->n; i++) {
        const struct memmap_range *r = &m->r[i];
        char size[24];
        fmt_size(r->end - r->start, size, sizeof(size));
        kprintf("  0x%016llx  0x%016llx  %10s  ", (unsigned long long)r->start,
                (unsigned long long)r->end, size);
        const char *name = mb2_mem_type_name(r->type);
        if (r->resv != MEMMAP_RESV_NONE)
            kprintf("reserved: %s\n", memmap_resv_name(r->resv));
        else if (name != NULL)
            kprintf("%s\n", name);
        else
            kprintf("type %u (reserved)\n", r->type);
    }
    struct memmap_totals t;
    memmap_totals(m, &t);
    char u[24], f[24], k[24];
    fmt_size(t.usable, u, sizeof(u));
    fmt_size(t.firmware_reserved, f, sizeof(f));
    fmt_size(t.kernel_reserved, k, sizeof(k));
    kprintf("  usable %s, firmware-reserved %s, kernel-reserved %s, usable top 0x%llx\n", u, f, k,
            (unsigned long long)t.usable_top);
}
