/* SPDX-License-Identifier: MIT */
/*
 * mm/pmm.c - the physical frame allocator (see mm/pmm.h for the contracts).
 *
 * How it works
 *  - Frames are 4 KiB. pmm_init copies the usable ranges of the normalised memory map
 *    (type available, not reserved) into p->usable[], ascending, and keeps a
 *    copy of the whole map to explain misuse.
 *  - The span [base, limit) runs from the lowest to the highest end of RAM the pmm may
 *    ever hand out: usable ranges and kernel reservations (type available with an enum memmap_resv;
 *    pmm_release can turn their frames usable, e.g. the boot page tables). A bitmap with
 *    one bit per frame of the span lives in the metadata the caller reserved: 1 = handed
 *    out, 0 = anything else (free, never used, reserved, a hole). It costs 32 KiB per GiB
 *    of span and is the only memory init clears. Frames are never touched by init, so
 *    booting with many GiB stays fast: the allocator is lazy.
 *  - pmm_alloc is O(1): pop the LIFO stack of frames freed earlier; when it is empty,
 *    take the frame at the cursor, which walks the usable ranges in ascending address
 *    order and never goes back. Every frame handed out therefore lies below the cursor,
 *    and the k-th distinct frame ever returned is the k-th lowest usable frame: early
 *    kernel allocations come from below 4 GiB, inside the boot direct map.
 *  - The free stack is an array in the metadata, after the bitmap: one uint32_t per
 *    frame of RAM (usable or kernel-reserved; the entry is the frame's index from base,
 *    so 2^32 frames = 16 TiB of span), so it can hold every frame that can ever be free.
 *    Why not a list linked through the free frames themselves: that list costs no
 *    metadata, but each free writes into, and each alloc reads from, a different frame,
 *    i.e. a cache (and TLB) miss per operation (the measurement is in
 *    tests/bench/RESULTS.md, "Frame allocator: free stack vs free list"). The stack costs
 *    4 bytes per 4 KiB frame (0.1% of RAM; Linux's struct page costs 1.6%) and buys: the
 *    pmm never touches frame memory (no phys_to_virt() of a frame, so frames beyond the
 *    early direct map can be freed), and a stray write into a freed frame cannot corrupt
 *    the allocator. The stack needs no initialisation.
 *  - pmm_free checks cheaply on the fast path (alignment, inside [base, limit), bit set).
 *    Only when the bit is clear does it search the map copy to say why the frame cannot
 *    be freed: outside RAM (a hole), reserved (with the reservation's name), or already free.
 *  - pmm_release (boot-time, rare) checks the map copy and the stack (O(free frames)) so
 *    that releasing a frame twice, or a firmware or metadata frame, panics.
 */
#include "mm/pmm.h"

#include "lib/panic.h"
#include "lib/phys.h"
#include "lib/string.h"

#define PMM_MAX_FRAMES ((uint64_t)1 << 32) /* stack entries are uint32_t */

typedef unsigned long long ull; /* for printf's %llx */

/* Usable, or a kernel reservation of usable RAM that pmm_release may give back. */
static bool range_ram(const struct memmap_range *r)
{
    return r->type == MB2_MEM_AVAILABLE && r->end > r->start;
}

/* Frame-aligned bounds of a RAM range (kernel reservations are page-aligned by contract;
 * rounding outward keeps the arithmetic safe if one is not). */
static uint64_t ram_start(const struct memmap_range *r)
{
    return align_down(r->start, PAGE_SIZE);
}
static uint64_t ram_end(const struct memmap_range *r)
{
    uint64_t e;
    return align_up_checked(r->end, PAGE_SIZE, &e) ? e : align_down(r->end, PAGE_SIZE);
}

/* The span [*base, *limit) of RAM in m; false when m has no usable range at all. */
static bool ram_span(const struct memmap *m, uint64_t *base, uint64_t *limit)
{
    bool any = false, usable = false;
    size_t n = MIN(m->n, (size_t)MEMMAP_MAX);
    for (size_t i = 0; i < n; i++) {
        const struct memmap_range *r = &m->r[i];
        if (!range_ram(r))
            continue;
        if (!any || ram_start(r) < *base)
            *base = ram_start(r);
        if (!any || ram_end(r) > *limit)
            *limit = ram_end(r);
        any = true;
        usable |= memmap_is_usable(r);
    }
    return usable;
}

static uint64_t bitmap_words(uint64_t base, uint64_t limit)
{
    uint64_t frames = (limit - base) >> PAGE_SHIFT;
    return (frames + 63) / 64;
}

/* Frames of RAM in m: an upper bound of how many can be free at once. */
static uint64_t ram_frames(const struct memmap *m)
{
    uint64_t n = 0;
    size_t nr = MIN(m->n, (size_t)MEMMAP_MAX);
    for (size_t i = 0; i < nr; i++)
        if (range_ram(&m->r[i]))
            n += (ram_end(&m->r[i]) - ram_start(&m->r[i])) >> PAGE_SHIFT;
    return n;
}

uint64_t pmm_metadata_size(const struct memmap *m)
{
    uint64_t base, limit;
    if (!ram_span(m, &base, &limit))
        return 0;
    /* At most 2^52 frames: 2^49 + 2^54 bytes, no overflow in the sum or the rounding. */
    uint64_t bytes = bitmap_words(base, limit) * 8 + ram_frames(m) * sizeof(uint32_t);
    return (bytes + PAGE_MASK) & ~PAGE_MASK;
}

static bool map_normalised(const struct memmap *m)
{
    if (m->n > MEMMAP_MAX)
        return false;
    for (size_t i = 0; i < m->n; i++) {
        const struct memmap_range *r = &m->r[i];
        if (r->end <= r->start)
            return false;
        if (i > 0 && m->r[i - 1].end > r->start)
            return false;
        if (memmap_is_usable(r) &&
            (!is_aligned(r->start, PAGE_SIZE) || !is_aligned(r->end, PAGE_SIZE)))
            return false;
    }
    return true;
}

err_t pmm_init(struct pmm *p, const struct memmap *m, paddr_t metadata)
{
    if (!map_normalised(m))
        return E_INVAL;
    uint64_t base, limit;
    if (!ram_span(m, &base, &limit))
        return E_NOMEM;
    if ((limit - base) >> PAGE_SHIFT > PMM_MAX_FRAMES)
        return E_RANGE;
    uint64_t meta = pa_val(metadata);
    uint64_t size = pmm_metadata_size(m), words = bitmap_words(base, limit);
    uint64_t meta_end;
    if (!is_aligned(meta, 8) || __builtin_add_overflow(meta, size, &meta_end))
        return E_INVAL;
    for (size_t i = 0; i < m->n; i++) {
        const struct memmap_range *r = &m->r[i];
        if (memmap_is_usable(r) && meta < r->end && r->start < meta_end)
            return E_INVAL; /* the metadata was not reserved */
    }

    memset(p, 0, sizeof(*p));
    p->map = *m;
    for (size_t i = 0; i < m->n; i++) {
        if (!memmap_is_usable(&m->r[i]))
            continue;
        p->usable[p->nusable++] = (struct pmm_range){m->r[i].start, m->r[i].end};
        p->total += (m->r[i].end - m->r[i].start) >> PAGE_SHIFT;
    }
    p->base = base;
    p->limit = limit;
    p->meta = meta;
    p->meta_end = meta_end;
    p->bitmap = phys_to_virt(metadata);
    memset(p->bitmap, 0, words * 8);
    p->stack = (uint32_t *)(p->bitmap + words);
    p->stack_cap = ram_frames(m);
    p->cursor = p->usable[0].start;
    p->fail_after = UINT64_MAX;
    return E_OK;
}

static uint64_t frame_index(const struct pmm *p, uint64_t f)
{
    return (f - p->base) >> PAGE_SHIFT;
}

static bool bit_test(const struct pmm *p, uint64_t f)
{
    uint64_t i = frame_index(p, f);
    return (p->bitmap[i / 64] >> (i % 64)) & 1;
}

static void bit_set(struct pmm *p, uint64_t f)
{
    uint64_t i = frame_index(p, f);
    p->bitmap[i / 64] |= (uint64_t)1 << (i % 64);
}

static void bit_clear(struct pmm *p, uint64_t f)
{
    uint64_t i = frame_index(p, f);
    p->bitmap[i / 64] &= ~((uint64_t)1 << (i % 64));
}

/* The frame stack entry i stands for; panics when the entry is not a free usable frame. */
static uint64_t stack_frame(const struct pmm *p, uint64_t i, const char *func)
{
    uint64_t f = p->base + ((uint64_t)p->stack[i] << PAGE_SHIFT);
    if (f >= p->limit || bit_test(p, f))
        panic("%s: free stack entry %llu (frame 0x%llx) is corrupted", func, (ull)i, (ull)f);
    return f;
}

static bool fits_below(uint64_t f, uint64_t limit)
{
    return f < limit && limit - f >= PAGE_SIZE;
}

/* Takes the never-used frame at the cursor if it lies entirely below limit. */
static bool cursor_take(struct pmm *p, uint64_t limit, uint64_t *f)
{
    while (p->cursor_range < p->nusable) {
        if (p->cursor < p->usable[p->cursor_range].end) {
            if (!fits_below(p->cursor, limit))
                return false;
            *f = p->cursor;
            p->cursor += PAGE_SIZE;
            return true;
        }
        if (++p->cursor_range < p->nusable)
            p->cursor = p->usable[p->cursor_range].start;
    }
    return false;
}

/* Marks f handed out and accounts for it. */
static void hand_out(struct pmm *p, uint64_t f, paddr_t *out)
{
    bit_set(p, f);
    p->used++;
    if (p->fail_after != UINT64_MAX)
        p->fail_after--;
    *out = pa(f);
}

err_t pmm_alloc(struct pmm *p, paddr_t *out)
{
    uint64_t f;
    if (p->fail_after == 0)
        return E_NOMEM;
    if (p->stack_top > 0) {
        f = stack_frame(p, p->stack_top - 1, __func__);
        p->stack_top--;
    } else if (!cursor_take(p, UINT64_MAX, &f)) {
        return E_NOMEM;
    }
    hand_out(p, f, out);
    return E_OK;
}

err_t pmm_alloc_below(struct pmm *p, uint64_t limit, paddr_t *out)
{
    uint64_t f;
    if (p->fail_after == 0)
        return E_NOMEM;
    /* The top of the stack in O(1), then the cursor, then a search down the stack. */
    if (p->stack_top > 0 && fits_below(f = stack_frame(p, p->stack_top - 1, __func__), limit)) {
        p->stack_top--;
        hand_out(p, f, out);
        return E_OK;
    }
    if (cursor_take(p, limit, &f)) {
        hand_out(p, f, out);
        return E_OK;
    }
    for (uint64_t i = p->stack_top; i-- > 0;) {
        f = stack_frame(p, i, __func__);
        if (fits_below(f, limit)) {
            p->stack[i] = p->stack[--p->stack_top]; /* the top entry fills the hole */
            hand_out(p, f, out);
            return E_OK;
        }
    }
    return E_NOMEM;
}

static const char *type_name(uint32_t type)
{
    switch (type) {
    case MB2_MEM_AVAILABLE: return "available";
    case MB2_MEM_RESERVED: return "firmware reserved";
    case MB2_MEM_ACPI_RECLAIMABLE: return "ACPI reclaimable";
    case MB2_MEM_NVS: return "ACPI NVS";
    case MB2_MEM_BADRAM: return "bad RAM";
    default: return NULL;
    }
}

static bool on_stack(const struct pmm *p, uint64_t f)
{
    uint32_t idx = (uint32_t)frame_index(p, f);
    for (uint64_t i = 0; i < p->stack_top; i++)
        if (p->stack[i] == idx)
            return true;
    return false;
}

/* Explains why frame f (inside the span, bit clear) cannot be freed. */
static noreturn void free_misuse(const struct pmm *p, uint64_t f)
{
    const struct memmap_range *r = memmap_range_of(&p->map, f);
    if (r) {
        if (memmap_is_usable(r) || (r->type == MB2_MEM_AVAILABLE && on_stack(p, f)))
            panic("pmm_free: double free of frame 0x%llx", (ull)f);
        if (r->resv != MEMMAP_RESV_NONE)
            panic("pmm_free: 0x%llx is reserved (%s)", (ull)f, memmap_resv_name(r->resv));
        if (type_name(r->type))
            panic("pmm_free: 0x%llx is reserved (%s)", (ull)f, type_name(r->type));
        panic("pmm_free: 0x%llx is reserved (firmware type %u)", (ull)f, (unsigned)r->type);
    }
    panic("pmm_free: 0x%llx is outside RAM", (ull)f);
}

void pmm_release(struct pmm *p, paddr_t frame)
{
    uint64_t f = pa_val(frame);
    if (!is_aligned(f, PAGE_SIZE))
        panic("pmm_release: 0x%llx is not page-aligned", (ull)f);
    const struct memmap_range *r = memmap_range_of(&p->map, f);
    if (!r)
        panic("pmm_release: 0x%llx is outside RAM", (ull)f);
    if (r->type != MB2_MEM_AVAILABLE) {
        const char *t = type_name(r->type);
        panic("pmm_release: 0x%llx is reserved by the firmware (%s)", (ull)f,
              t ? t : "unknown type");
    }
    if (r->resv == MEMMAP_RESV_NONE)
        panic("pmm_release: 0x%llx is not reserved (usable RAM)", (ull)f);
    if (r->end - f < PAGE_SIZE)
        panic("pmm_release: frame 0x%llx is not entirely inside \"%s\"", (ull)f,
              memmap_resv_name(r->resv));
    if (f < p->meta_end && p->meta < f + PAGE_SIZE)
        panic("pmm_release: 0x%llx holds the frame allocator's own metadata", (ull)f);
    if (bit_test(p, f) || on_stack(p, f))
        panic("pmm_release: 0x%llx was already released", (ull)f);
    KASSERT(p->stack_top < p->stack_cap);
    p->stack[p->stack_top++] = (uint32_t)frame_index(p, f);
    p->total++;
}

void pmm_free(struct pmm *p, paddr_t frame)
{
    uint64_t f = pa_val(frame);
    if (!is_aligned(f, PAGE_SIZE))
        panic("pmm_free: 0x%llx is not page-aligned", (ull)f);
    if (f < p->base || f >= p->limit)
        panic("pmm_free: 0x%llx is outside RAM", (ull)f);
    if (!bit_test(p, f))
        free_misuse(p, f);
    bit_clear(p, f);
    p->used--;
    p->stack[p->stack_top++] = (uint32_t)frame_index(p, f);
}

bool pmm_is_allocated(const struct pmm *p, paddr_t addr)
{
    uint64_t f = align_down(pa_val(addr), PAGE_SIZE);
    return f >= p->base && f < p->limit && bit_test(p, f);
}

void pmm_stats(const struct pmm *p, struct pmm_stats *out)
{
    out->total = p->total;
    out->used = p->used;
    out->free = p->total - p->used;
    out->reserved = ((p->limit - p->base) >> PAGE_SHIFT) - p->total;
}

void pmm_fail_after(struct pmm *p, uint64_t n)
{
    p->fail_after = n;
}

/* Frames of the usable ranges at or above the cursor: never handed out yet. */
static uint64_t never_used(const struct pmm *p)
{
    uint64_t n = 0;
    for (size_t i = p->cursor_range; i < p->nusable; i++) {
        uint64_t from =
            i == p->cursor_range ? MAX(p->cursor, p->usable[i].start) : p->usable[i].start;
        if (from < p->usable[i].end)
            n += (p->usable[i].end - from) >> PAGE_SHIFT;
    }
    return n;
}

/* True when usable frame f lies below the cursor (was handed out at least once). */
static bool below_cursor(const struct pmm *p, uint64_t f)
{
    for (size_t i = 0; i < p->nusable; i++) {
        if (f >= p->usable[i].start && f < p->usable[i].end)
            return i < p->cursor_range || (i == p->cursor_range && f < p->cursor);
    }
    return true; /* not usable: a released reservation, checked by pmm_release */
}

void pmm_check(struct pmm *p)
{
    uint64_t words = bitmap_words(p->base, p->limit), set = 0;
    for (uint64_t i = 0; i < words; i++)
        set += (uint64_t)__builtin_popcountll(p->bitmap[i]);
    if (set != p->used)
        panic("pmm_check: %llu frames marked handed out, %llu counted as used", (ull)set,
              (ull)p->used);
    if (p->used > p->total || p->stack_top > p->stack_cap)
        panic("pmm_check: counts out of range (used %llu of %llu, stack %llu of %llu)",
              (ull)p->used, (ull)p->total, (ull)p->stack_top, (ull)p->stack_cap);
    /* Every free-stack entry: a frame of the span, not handed out (stack_frame), handed
     * out before (a never-used frame there would be handed out twice), and on the stack
     * once: the entries' bits are set one by one (a bit found set is a duplicate), then
     * all cleared again. */
    for (uint64_t i = 0; i < p->stack_top; i++) {
        uint64_t f = stack_frame(p, i, "pmm_check");
        if (!below_cursor(p, f))
            panic("pmm_check: free stack entry %llu (frame 0x%llx) was never handed out", (ull)i,
                  (ull)f);
    }
    uint64_t dup = UINT64_MAX, marked;
    for (marked = 0; marked < p->stack_top; marked++) {
        uint64_t f = p->base + ((uint64_t)p->stack[marked] << PAGE_SHIFT);
        if (bit_test(p, f)) {
            dup = f;
            break;
        }
        bit_set(p, f);
    }
    for (uint64_t j = 0; j < marked; j++)
        bit_clear(p, p->base + ((uint64_t)p->stack[j] << PAGE_SHIFT));
    if (dup != UINT64_MAX)
        panic("pmm_check: frame 0x%llx is on the free stack twice (entry %llu)", (ull)dup,
              (ull)marked);
    uint64_t fresh = never_used(p);
    if (p->stack_top + fresh != p->total - p->used)
        panic("pmm_check: %llu free frames counted (%llu freed + %llu never used), %llu expected "
              "(%llu total - %llu used)",
              (ull)(p->stack_top + fresh), (ull)p->stack_top, (ull)fresh, (ull)(p->total - p->used),
              (ull)p->total, (ull)p->used);
}
