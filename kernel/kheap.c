/* SPDX-License-Identifier: MIT */
/*
 * kernel/kheap.c - the kernel heap region and the linked-list heap as an allocator.
 *
 * Every call into the heap core takes kheap_lock, which disables interrupts first (an
 * interrupt handler may allocate). The core never calls out with the lock held except
 * through the grow hook and the release/reuse hooks below (the heap gives whole free pages
 * back to the frame allocator, unless heap_trim=off), which map and unmap pages through
 * kernel/kmem.h (whose frame allocator
 * and page mapper have IRQ-saving locks of their own, taken after this one). The
 * alloc-failure handler is never run here: a failing alloc returns NULL after unlocking,
 * and the infallible callers (lib/alloc.c's alloc_or_die) run handle_alloc_error outside
 * the lock.
 */
#include "kernel/kheap.h"

#include "kernel/kmem.h"
#include "lib/kprintf.h"
#include "lib/panic.h"
#include "lib/spinlock.h"
#include "lib/string.h"

static struct heap kheap;
static struct spinlock kheap_lock = SPINLOCK_INIT("kheap");
static uintptr_t kheap_cap_end; /* HEAP_START + heap_max */
/* The first-fit index's memory: its own range after the heap's cap and a guard page,
 * mapped page by page as the index asks for it (kheap_commit). */
static struct heap_index_mem kheap_index;
static uintptr_t kheap_index_top; /* end of the highest index page mapped */
static size_t kheap_index_mapped; /* pages mapped for the index */

#define KHEAP_PAGE_FLAGS (VMM_WRITABLE | VMM_NX)
#define KHEAP_GROW_MIN (64 * KiB)

/* Unmaps [start, end) (pages mapped by map_range) and frees their frames. */
static void unmap_range(uintptr_t start, uintptr_t end)
{
    for (uintptr_t v = start; v < end; v += PAGE_SIZE) {
        paddr_t frame;
        if (kmem_unmap_page(va(v), &frame) == E_OK)
            kmem_frame_free(frame);
    }
}

/* Maps fresh frames at [start, end), cleared (the frame allocator hands out frames as
 * their last user left them, and the heap core relies on new heap memory reading as
 * zero: struct heap_trim's zeroed); on failure undoes its own work and returns why. */
static err_t map_range(uintptr_t start, uintptr_t end)
{
    for (uintptr_t v = start; v < end; v += PAGE_SIZE) {
        paddr_t frame;
        err_t e = kmem_frame_alloc(&frame);
        if (e == E_OK) {
            e = kmem_map_page(va(v), frame, KHEAP_PAGE_FLAGS);
            if (e != E_OK)
                kmem_frame_free(frame);
        }
        if (e != E_OK) {
            unmap_range(start, v);
            return e;
        }
        memset((void *)v, 0, PAGE_SIZE);
    }
    return E_OK;
}

/* The heap core's release hook: the pages of a free block it no longer needs go back to
 * the frame allocator (unmapped: a stray access faults instead of reading stale data). */
static void kheap_release(void *ctx, uintptr_t start, size_t bytes)
{
    (void)ctx;
    unmap_range(start, start + bytes);
}

/* ... and its reuse hook: fresh, cleared frames for released pages about to be used again;
 * false when the frame allocator runs short (the allocation then fails). */
static bool kheap_reuse(void *ctx, uintptr_t start, size_t bytes)
{
    (void)ctx;
    return map_range(start, start + bytes) == E_OK;
}

/*
 * The heap core's grow hook: maps at least min_bytes at end, within heap_max. It grows by
 * max(64 KiB, an eighth of the heap) when that is more -- the rule the heap benchmarks
 * measure (tests/bench/RESULTS.md) -- so that reaching heap_max takes a logarithmic number
 * of growth events, not one per page; when frames are too short for that, it falls back
 * to exactly what was asked for.
 */
static size_t kheap_grow(void *ctx, uintptr_t end, size_t min_bytes)
{
    (void)ctx;
    uint64_t need;
    if (!align_up_checked(min_bytes, PAGE_SIZE, &need) || end > kheap_cap_end)
        return 0;
    uint64_t room = kheap_cap_end - end;
    if (need > room)
        return 0;
    uint64_t step = MAX(KHEAP_GROW_MIN, align_down((end - HEAP_START) / 8, PAGE_SIZE));
    uint64_t want = MIN(MAX(need, step), room);
    if (want > need && map_range(end, end + want) == E_OK)
        return (size_t)want;
    return map_range(end, end + need) == E_OK ? (size_t)need : 0;
}

/* The index's commit hook: maps the pages of [start, start + bytes) that are not mapped
 * yet (ranges of neighbouring index arrays may share a page). */
static bool kheap_commit(void *ctx, void *start, size_t bytes)
{
    (void)ctx;
    uintptr_t v = align_down((uintptr_t)start, PAGE_SIZE), end = (uintptr_t)start + bytes;
    for (; v < end; v += PAGE_SIZE) {
        paddr_t frame;
        if (kmem_translate(va(v), &frame, NULL) == E_OK)
            continue;
        if (map_range(v, v + PAGE_SIZE) != E_OK)
            return false;
        kheap_index_top = MAX(kheap_index_top, v + PAGE_SIZE);
        kheap_index_mapped++;
    }
    return true;
}

err_t kheap_init(uint64_t heap_max, unsigned flags)
{
    if (heap_max == 0)
        heap_max = KHEAP_MAX_DEFAULT;
    if (!align_up_checked(heap_max, PAGE_SIZE, &heap_max) || heap_max > (1ull << 40))
        return E_RANGE;
    heap_max = MAX(heap_max, HEAP_SIZE);
    err_t e = map_range(HEAP_START, HEAP_START + HEAP_SIZE);
    if (e != E_OK)
        return e;
    kheap_cap_end = HEAP_START + heap_max;
    /* zeroed: map_range clears each page it maps, and a page kheap_commit finds mapped
     * already was cleared when a neighbouring range on it was committed (the index writes
     * only inside ranges it has committed), so the core need not clear them again. */
    kheap_index =
        (struct heap_index_mem){(void *)(kheap_cap_end + PAGE_SIZE), kheap_commit, NULL, true};
    e = heap_init(&kheap, (void *)HEAP_START, HEAP_SIZE, kheap_grow, NULL, heap_max, flags,
                  &kheap_index);
    if (e != E_OK) {
        unmap_range(HEAP_START, HEAP_START + HEAP_SIZE);
        unmap_range((uintptr_t)kheap_index.mem, kheap_index_top);
        return e;
    }
    return kheap_set_trim(true);
}

err_t kheap_set_trim(bool on)
{
    struct heap_trim t = {on ? kheap_release : NULL, kheap_reuse, NULL, true};
    irq_flags_t f = spin_lock_irqsave(&kheap_lock);
    err_t e = heap_set_trim(&kheap, &t);
    spin_unlock_irqrestore(&kheap_lock, f);
    return e;
}

static void *kheap_alloc_at(void *self, struct layout l, const void *caller)
{
    (void)self;
    irq_flags_t f = spin_lock_irqsave(&kheap_lock);
    void *p = heap_alloc_from(&kheap, l.size, l.align, caller);
    spin_unlock_irqrestore(&kheap_lock, f);
    return p;
}

static void *kheap_alloc(void *self, struct layout l)
{
    return kheap_alloc_at(self, l, __builtin_return_address(0));
}

/* Zeroed memory through the core, which clears only what is not known to be zero (memory
 * fresh from the grow or reuse hook is): inside the lock, so a large calloc of used memory
 * keeps interrupts off while it clears. */
static void *kheap_alloc_zeroed(void *self, struct layout l, const void *caller)
{
    (void)self;
    irq_flags_t f = spin_lock_irqsave(&kheap_lock);
    void *p = heap_alloc_zeroed(&kheap, l.size, l.align, caller);
    spin_unlock_irqrestore(&kheap_lock, f);
    return p;
}

static void kheap_dealloc(void *self, void *p, struct layout l)
{
    (void)self;
    irq_flags_t f = spin_lock_irqsave(&kheap_lock);
    heap_dealloc(&kheap, p, l.size, l.align); /* misuse panics, naming heap_dealloc */
    spin_unlock_irqrestore(&kheap_lock, f);
}

static void *kheap_realloc(void *self, void *p, struct layout old, size_t new_size)
{
    (void)self;
    irq_flags_t f = spin_lock_irqsave(&kheap_lock);
    if (p) /* the old layout must describe p's block, as for dealloc */
        heap_layout_check(&kheap, p, old.size, old.align, "kheap_realloc");
    void *q = heap_realloc(&kheap, p, new_size, old.align);
    spin_unlock_irqrestore(&kheap_lock, f);
    return q;
}

static size_t kheap_usable_size(void *self, const void *p)
{
    (void)self;
    irq_flags_t f = spin_lock_irqsave(&kheap_lock);
    size_t n = heap_usable_size(&kheap, p); /* misuse panics, naming heap_usable_size */
    spin_unlock_irqrestore(&kheap_lock, f);
    return n;
}

/* One per placement policy: the same operations, the name says which policy runs. */
#define KHEAP_ALLOCATOR(policy_name)                                                               \
    {                                                                                              \
        .name = policy_name, .alloc = kheap_alloc, .dealloc = kheap_dealloc,                       \
        .alloc_zeroed = kheap_alloc_zeroed, /* clears only what is not known zero */               \
            .realloc = kheap_realloc, .self = NULL,                                                \
        .alloc_at = kheap_alloc_at,           /* leak reports show who allocated */                \
            .usable_size = kheap_usable_size, /* kmalloc needs no header of its own */             \
    }
static const struct allocator kheap_first_fit = KHEAP_ALLOCATOR("first-fit linked-list heap");
static const struct allocator kheap_good_fit = KHEAP_ALLOCATOR("good-fit size-class heap");

const struct allocator *kheap_allocator(void)
{
    return (kheap.flags & HEAP_F_GOOD_FIT) ? &kheap_good_fit : &kheap_first_fit;
}

void kheap_check(void)
{
    irq_flags_t f = spin_lock_irqsave(&kheap_lock);
    heap_check(&kheap);
    spin_unlock_irqrestore(&kheap_lock, f);
}

void kheap_stats(struct heap_stats *out)
{
    irq_flags_t f = spin_lock_irqsave(&kheap_lock);
    heap_get_stats(&kheap, out);
    spin_unlock_irqrestore(&kheap_lock, f);
}

size_t kheap_leak_report(void)
{
    irq_flags_t f = spin_lock_irqsave(&kheap_lock);
    size_t n = heap_leak_report(&kheap);
    spin_unlock_irqrestore(&kheap_lock, f);
    return n;
}

uintptr_t kheap_start(void)
{
    return kheap.base;
}
uintptr_t kheap_end(void)
{
    return kheap.end;
}
size_t kheap_max(void)
{
    return kheap.max_size;
}

size_t kheap_index_pages(void)
{
    irq_flags_t f = spin_lock_irqsave(&kheap_lock);
    size_t n = kheap_index_mapped;
    spin_unlock_irqrestore(&kheap_lock, f);
    return n;
}

/* Lock-free: the page-fault handler calls it, perhaps from inside a heap call that holds
 * kheap_lock (a free reading the header of a block whose page was released). Every page
 * of [base, end) is mapped but the released ones, so an absent page below the end is one;
 * kheap.end is read without the lock, which at worst misnames a fault during growth. */
const char *kheap_describe_fault(uint64_t addr, bool present)
{
    if (present || kheap_cap_end == 0 || addr < HEAP_START || addr >= kheap_cap_end + PAGE_SIZE)
        return NULL;
    if (addr >= kheap_cap_end)
        return "the guard page after the kernel heap's cap";
    if (addr >= kheap.end)
        return "the kernel heap beyond its end (not grown that far)";
    return "a released page inside a free kernel-heap block (a use after free, or a free of a "
           "pointer already freed)";
}
