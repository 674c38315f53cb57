/* SPDX-License-Identifier: MIT */
/*
 * tests/kernel/test_mm.c - the frame allocator and the page mapper in the running kernel:
 * every frame of RAM, RAM above 4 GiB, mappings written through and read back via the
 * direct map, and the faults the kernel's own page tables must raise (NULL, unmapped,
 * write to text, execute from NX data, the stack guard page); and both used with interrupts
 * on while a timer interrupt makes the heap grow (mm.irq_race).
 *
 * Each test opens with a diagram of the frames, pages or mappings it uses (addresses in hex
 * without 0x), where it sets any up, and a sentence of what it expects.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/timer.h"
#include "kernel/direct_map.h"
#include "kernel/kheap.h"
#include "kernel/kmem.h"
#include "kernel/ktest.h"
#include "lib/alloc.h"
#include "lib/irq.h"
#include "lib/kprintf.h"
#include "lib/string.h"

/* What pmm.exhaust writes at the start of every frame it holds: the frames form a list
 * through the direct map, newest first, each tagged with its allocation index. */
struct frame_tag {
    uint64_t magic;
    uint64_t index;
    uint64_t next; /* physical address of the previously allocated frame, 0 = none */
};
#define FRAME_TAG_MAGIC ((uint64_t)0x6d6268656170f4a3)

static bool frame_is_usable(uint64_t a)
{
    const struct memmap_range *r = memmap_range_of(kmem_map(), a);
    return r && memmap_is_usable(r) && r->end - a >= PAGE_SIZE;
}

/* Allocates until E_NOMEM or until stop(frame) says so; returns the list head and count. */
static uint64_t grab_frames(uint64_t *count, uint64_t *highest, bool (*stop)(uint64_t))
{
    uint64_t head = 0, n = 0, hi = 0;
    paddr_t f;
    while (kmem_frame_alloc(&f) == E_OK) {
        uint64_t a = pa_val(f);
        KT_ASSERT_EQ(a & PAGE_MASK, 0);
        if (!frame_is_usable(a))
            ktest_fail(__FILE__, __LINE__, "frame 0x%lx is not in usable RAM", a);
        struct frame_tag *t = phys_to_virt(f);
        *t = (struct frame_tag){FRAME_TAG_MAGIC, n, head};
        head = a;
        hi = MAX(hi, a);
        n++;
        if (stop && stop(a))
            break;
    }
    *count = n;
    *highest = hi;
    return head;
}

/* Walks the list newest first: every tag intact and indexes consecutive, which proves
 * no frame was handed out twice (a second owner would have overwritten the first's
 * tag). Frees each frame when release is set. Returns the number of frames walked. */
static uint64_t check_frames(uint64_t head, uint64_t count, bool release)
{
    uint64_t n = 0;
    for (uint64_t a = head; a; n++) {
        KT_ASSERT_LT(n, count);
        const struct frame_tag *t = phys_to_virt(pa(a));
        if (t->magic != FRAME_TAG_MAGIC || t->index != count - 1 - n)
            ktest_fail(__FILE__, __LINE__,
                       "frame 0x%lx: tag {0x%lx, %lu}, expected {0x%lx, %lu}: handed out twice?", a,
                       t->magic, t->index, FRAME_TAG_MAGIC, count - 1 - n);
        uint64_t next = t->next;
        if (release)
            kmem_frame_free(pa(a));
        a = next;
    }
    return n;
}

/*
 *   head -> |FRAME_TAG_MAGIC, n - 1, next| -> ... -> |FRAME_TAG_MAGIC, 0, 0|
 *            the newest frame                          the first frame allocated
 * every frame the stats call free can be allocated (n of them), each in usable RAM and handed
 * out once (its tag intact); all freed, the stats are as before and a frame can be allocated
 * again.
 */
KTEST(pmm, exhaust)
{
    struct pmm_stats before, empty, after;
    kmem_frame_stats(&before);
    uint64_t n, hi;
    uint64_t head = grab_frames(&n, &hi, NULL);
    kmem_frame_stats(&empty);
    kprintf("pmm.exhaust: %lu frames allocated (%lu MiB), highest 0x%lx\n", n, n * PAGE_SIZE / MiB,
            hi);
    KT_ASSERT_EQ(n, before.free);
    KT_ASSERT_EQ(empty.free, 0);
    KT_ASSERT_EQ(empty.used, before.used + n);
    KT_ASSERT_EQ(check_frames(head, n, false), n);
    KT_ASSERT_EQ(check_frames(head, n, true), n);
    kmem_frame_stats(&after);
    KT_ASSERT_EQ(after.free, before.free);
    KT_ASSERT_EQ(after.used, before.used);
    KT_ASSERT_EQ(after.total, before.total);
    /* Freed frames are reusable. */
    paddr_t f;
    KT_ASSERT_EQ(kmem_frame_alloc(&f), E_OK);
    kmem_frame_free(f);
}

static bool above_4g(uint64_t a)
{
    return a >= 4 * GiB;
}

/*
 *   0                                  100000000 (4 GiB)
 *   |frames allocated, each tagged ... |... hi, the first at or above it
 * booted with -m 5G: RAM above 4 GiB is handed out (hi ends the allocation and heads the list)
 * and usable through the direct map, a page of it written and read back; all freed, the free
 * count is as before.
 */
KTEST(pmm, high_memory)
{
    struct pmm_stats st;
    kmem_frame_stats(&st);
    KT_ASSERT_GT(st.total * PAGE_SIZE, 4 * GiB + 512 * MiB);
    uint64_t n, hi;
    uint64_t head = grab_frames(&n, &hi, above_4g);
    KT_ASSERT_GE(hi, 4 * GiB);
    KT_ASSERT_EQ(head, hi);
    uint64_t *p = phys_to_virt(pa(hi));
    for (size_t i = 3; i < PAGE_SIZE / 8; i++)
        p[i] = hi ^ (i * 0x9e3779b97f4a7c15ull);
    for (size_t i = 3; i < PAGE_SIZE / 8; i++)
        KT_ASSERT_EQ(p[i], hi ^ (i * 0x9e3779b97f4a7c15ull));
    kprintf("pmm.high_memory: frame 0x%lx (above 4 GiB) written and read back after %lu "
            "allocations\n",
            hi, n);
    KT_ASSERT_EQ(check_frames(head, n, true), n);
    struct pmm_stats after;
    kmem_frame_stats(&after);
    KT_ASSERT_EQ(after.free, st.free);
}

/* A frame freed twice panics: "pmm_free: double free of frame" and its address. */
KTEST_SHOULD_PANIC(pmm, double_free, "pmm_free: double free of frame")
{
    paddr_t f;
    KT_ASSERT_EQ(kmem_frame_alloc(&f), E_OK);
    kmem_frame_free(f);
    kmem_frame_free(f);
}

/* Freeing the frame of the kernel's .text panics: it is reserved (the kernel image). */
KTEST_SHOULD_PANIC(pmm, free_reserved, "is reserved")
{
    extern char kernel_text_start[];
    kmem_frame_free(pa((uint64_t)(uintptr_t)kernel_text_start - KERNEL_VMA));
}

#define TEST_PAGE ((uint64_t)0x0000123456789000)

/*
 *   123456789000 (TEST_PAGE) --> frame f <-- ffff800000000000 + f (the direct map)
 * bytes written through the new mapping (W, NX) read back through the direct map and the
 * other way round; both addresses translate to f, and once unmapped (giving back f) TEST_PAGE
 * no longer does.
 */
KTEST(vmm, map_translate)
{
    paddr_t f, got;
    uint64_t flags;
    KT_ASSERT_EQ(kmem_frame_alloc(&f), E_OK);
    KT_ASSERT_EQ(kmem_translate(va(TEST_PAGE), &got, NULL), E_NOENT);
    KT_ASSERT_EQ(kmem_map_page(va(TEST_PAGE), f, VMM_WRITABLE | VMM_NX), E_OK);
    KT_ASSERT_EQ(kmem_translate(va(TEST_PAGE + 0x123), &got, &flags), E_OK);
    KT_ASSERT_EQ(pa_val(got), pa_val(f) + 0x123);
    KT_ASSERT(flags & VMM_WRITABLE);
    KT_ASSERT(flags & VMM_NX);
    volatile uint8_t *page = (volatile uint8_t *)TEST_PAGE;
    for (size_t i = 0; i < PAGE_SIZE; i++)
        page[i] = (uint8_t)(i * 7 + 3);
    const uint8_t *direct = phys_to_virt(f);
    for (size_t i = 0; i < PAGE_SIZE; i++)
        KT_ASSERT_EQ(direct[i], (uint8_t)(i * 7 + 3));
    /* And the other way round. */
    ((uint8_t *)phys_to_virt(f))[100] = 0xa5;
    KT_ASSERT_EQ(page[100], 0xa5);
    /* The kernel's own addresses translate too. */
    KT_ASSERT_EQ(kmem_translate(va_from_ptr(direct), &got, NULL), E_OK);
    KT_ASSERT_EQ(pa_val(got), pa_val(f));
    paddr_t back;
    KT_ASSERT_EQ(kmem_unmap_page(va(TEST_PAGE), &back), E_OK);
    KT_ASSERT_EQ(pa_val(back), pa_val(f));
    KT_ASSERT_EQ(kmem_translate(va(TEST_PAGE), &got, NULL), E_NOENT);
    kmem_frame_free(f);
}

/*
 *   123456789000 (TEST_PAGE): 4K -> f, not g     ffff800000200000: inside a 2M page
 * mapping a mapped page is E_EXISTS and keeps f; a 4 KiB page inside the direct map's 2 MiB
 * pages is E_HUGEPAGE, a second unmap E_NOENT and a non-canonical address E_INVAL.
 */
KTEST(vmm, already_mapped)
{
    paddr_t f, g;
    KT_ASSERT_EQ(kmem_frame_alloc(&f), E_OK);
    KT_ASSERT_EQ(kmem_frame_alloc(&g), E_OK);
    KT_ASSERT_EQ(kmem_map_page(va(TEST_PAGE), f, VMM_NX), E_OK);
    KT_ASSERT_EQ(kmem_map_page(va(TEST_PAGE), g, VMM_NX), E_EXISTS);
    paddr_t got;
    KT_ASSERT_EQ(kmem_translate(va(TEST_PAGE), &got, NULL), E_OK);
    KT_ASSERT_EQ(pa_val(got), pa_val(f)); /* the first mapping is untouched */
    /* The direct map uses 2 MiB pages: a 4 KiB page inside one is refused. */
    KT_ASSERT_EQ(kmem_map_page(va(DIRECT_MAP_BASE + 2 * MiB), g, VMM_NX), E_HUGEPAGE);
    KT_ASSERT_EQ(kmem_unmap_page(va(TEST_PAGE), NULL), E_OK);
    KT_ASSERT_EQ(kmem_unmap_page(va(TEST_PAGE), NULL), E_NOENT);
    KT_ASSERT_EQ(kmem_map_page(va(0x0000800000000000ull), g, VMM_NX), E_INVAL); /* non-canonical */
    kmem_frame_free(f);
    kmem_frame_free(g);
}

/*
 *   123456789000 (TEST_PAGE): 4K -> f, W NX; 42 written and read; unmapped; read again
 * the read after the unmap faults: page not present, read.
 */
KTEST_SHOULD_PANIC(vmm, unmap_faults,
                   "page fault: address 0x0000123456789000 (page not present, read")
{
    paddr_t f;
    KT_ASSERT_EQ(kmem_frame_alloc(&f), E_OK);
    KT_ASSERT_EQ(kmem_map_page(va(TEST_PAGE), f, VMM_WRITABLE | VMM_NX), E_OK);
    volatile uint64_t *p = (volatile uint64_t *)TEST_PAGE;
    *p = 42;
    KT_ASSERT_EQ(*p, 42);
    KT_ASSERT_EQ(kmem_unmap_page(va(TEST_PAGE), NULL), E_OK);
    kprintf("vmm.unmap_faults: reading 0x%lx after unmap\n", TEST_PAGE);
    (void)*p;
}

/* Reading address 0 (page 0 is never mapped) panics as a NULL pointer dereference. */
KTEST_SHOULD_PANIC(vmm, null_deref,
                   "page fault: NULL pointer dereference, address 0x0000000000000000")
{
    volatile uint64_t *p = NULL;
    __asm__ volatile("" : "+r"(p)); /* hide the NULL from the optimiser */
    (void)*p;
}

/* A write to the kernel's .text, mapped read-only, faults: a protection violation, write, in
 * kernel mode. */
KTEST_SHOULD_PANIC(vmm, write_text, "(protection violation, write, kernel)")
{
    extern char kernel_text_start[];
    volatile uint8_t *text = (volatile uint8_t *)kernel_text_start;
    __asm__ volatile("" : "+r"(text));
    kprintf("vmm.write_text: writing to .text at %p\n", (void *)text);
    *text = 0xcc;
}

/* Calling code in a kmalloc block faults: heap pages are NX (an instruction fetch). */
KTEST_SHOULD_PANIC(vmm, exec_heap_nx, "instruction fetch (NX)")
{
    uint8_t *code = kmalloc(16);
    KT_ASSERT(code != NULL);
    code[0] = 0xc3; /* ret */
    void (*fn)(void) = (void (*)(void))(uintptr_t)code;
    __asm__ volatile("" : "+r"(fn));
    kprintf("vmm.exec_heap_nx: calling heap memory at %p\n", (void *)code);
    fn();
}

/*
 *   text_start rodata_start data_start stack_guard stack_bottom            (kernel_*)
 *   |R X       |R NX        |W NX ...  |unmapped   |W NX ...
 *   and 0 unmapped, 100000 (the boot identity map) unmapped, ffff8000000b8000 (VGA) NX
 * the kernel's tables: nothing both writable and executable, text read-only, rodata and data
 * non-executable, page 0 and the boot identity map gone, the guard page unmapped, the direct
 * map NX, and CR3 holding the kernel's PML4.
 */
KTEST(vmm, kernel_tables)
{
    extern char kernel_text_start[], kernel_rodata_start[], kernel_data_start[];
    extern char kernel_stack_guard[], kernel_stack_bottom[];
    uint64_t flags;
    KT_ASSERT_EQ(kmem_translate(va_from_ptr(kernel_text_start), NULL, &flags), E_OK);
    KT_ASSERT(!(flags & VMM_WRITABLE) && !(flags & VMM_NX));
    KT_ASSERT_EQ(kmem_translate(va_from_ptr(kernel_rodata_start), NULL, &flags), E_OK);
    KT_ASSERT(!(flags & VMM_WRITABLE) && (flags & VMM_NX));
    KT_ASSERT_EQ(kmem_translate(va_from_ptr(kernel_data_start), NULL, &flags), E_OK);
    KT_ASSERT((flags & VMM_WRITABLE) && (flags & VMM_NX));
    KT_ASSERT_EQ(kmem_translate(va(0), NULL, NULL), E_NOENT);
    KT_ASSERT_EQ(kmem_translate(va(0x100000), NULL, NULL), E_NOENT); /* identity map gone */
    KT_ASSERT_EQ(kmem_translate(va_from_ptr(kernel_stack_guard), NULL, NULL), E_NOENT);
    KT_ASSERT_EQ(kmem_translate(va_from_ptr(kernel_stack_bottom), NULL, &flags), E_OK);
    KT_ASSERT((flags & VMM_WRITABLE) && (flags & VMM_NX));
    KT_ASSERT_EQ(kmem_translate(va(DIRECT_MAP_BASE + 0xb8000), NULL, &flags), E_OK);
    KT_ASSERT(flags & VMM_NX);
    KT_ASSERT_EQ(read_cr3() & ~PAGE_MASK, pa_val(kmem_pml4()));
}

/* Unbounded recursion runs into the unmapped guard page below the kernel stack. */
static __attribute__((noinline)) uint64_t dig(volatile uint64_t depth)
{
    volatile uint8_t pad[512];
    pad[0] = (uint8_t)depth;
    if (depth == UINT64_MAX)
        return 0;
    return dig(depth + 1) + pad[0];
}

/*
 *   kernel_stack_guard kernel_stack_bottom                kernel_stack_top
 *   |unmapped          |the stack, 64 KiB, grows down <-- |
 * unbounded recursion runs off the bottom of the stack into the guard page: a double fault,
 * reported as a kernel stack overflow.
 */
KTEST_SHOULD_PANIC(vmm, guard_page, "double fault: kernel stack overflow: the guard page at")
{
    extern char kernel_stack_guard[];
    KT_ASSERT_EQ(kmem_translate(va_from_ptr(kernel_stack_guard), NULL, NULL), E_NOENT);
    kprintf("vmm.guard_page: guard page at %p is unmapped; recursing\n",
            (void *)kernel_stack_guard);
    dig(0);
}

/*
 * mm.irq_race: the frame allocator and the page mapper used with interrupts on while a
 * timer interrupt allocates enough to make the kernel heap grow again and again (each
 * growth takes frames and maps pages from interrupt context). The main loop takes frames,
 * maps each in its own 2 MiB region next to the heap (so page tables are created and freed
 * every round, in the heap's PDPT), writes and reads them back, unmaps and frees them; each
 * tick does the same with a page of its own in the main loop's PD, then allocates.
 * Afterwards the frame allocator and the page tables must be intact and must account for
 * every frame: the heap's pages and the tables, nothing else.
 */
#define RACE_HZ 2000
#define RACE_BLOCK (48 * KiB)
#define RACE_BLOCKS 600                  /* 28 MiB kept by the tick: dozens of growth events */
#define RACE_VA (HEAP_START + 4 * GiB)   /* the heap's PML4 entry and PDPT, its own PD */
#define RACE_PAGES 8                     /* at RACE_VA + i * 2 MiB */
#define RACE_IRQ_VA (RACE_VA + 32 * MiB) /* the tick's own page, in the same PD */
#define RACE_MAX_ROUNDS 2000000          /* a dead timer ends the test as a failure, not a hang */

struct race_state {
    void *blocks[RACE_BLOCKS];
    size_t n;
    uint64_t runs, in_mm, failed;
};
static struct race_state race;
static volatile bool race_in_mm; /* the main loop is between its first and last kmem call */

static void race_tick(void *ctx)
{
    struct race_state *r = ctx;
    r->runs++;
    if (race_in_mm)
        r->in_mm++;
    /* A page of its own in the main loop's PD: both sides create and free tables there. */
    paddr_t f, back;
    if (kmem_frame_alloc(&f) != E_OK ||
        kmem_map_page(va(RACE_IRQ_VA), f, VMM_WRITABLE | VMM_NX) != E_OK) {
        r->failed++;
        return;
    }
    *(volatile uint64_t *)RACE_IRQ_VA = r->runs;
    if (*(volatile uint64_t *)phys_to_virt(f) != r->runs ||
        kmem_unmap_page(va(RACE_IRQ_VA), &back) != E_OK || pa_val(back) != pa_val(f)) {
        r->failed++;
        return;
    }
    kmem_frame_free(f);
    if (r->n == RACE_BLOCKS)
        return;
    uint8_t *p = kmalloc(RACE_BLOCK);
    if (!p) {
        r->failed++;
        return;
    }
    p[0] = p[RACE_BLOCK - 1] = (uint8_t)r->n;
    r->blocks[r->n++] = p;
}

/* Page tables (PTs) a kernel heap of [start, end) needs: one per 2 MiB region it touches. */
static uint64_t heap_pts(uintptr_t start, uintptr_t end)
{
    return (align_down(end + LARGE_PAGE_SIZE - 1, LARGE_PAGE_SIZE) -
            align_down(start, LARGE_PAGE_SIZE)) /
           LARGE_PAGE_SIZE;
}

static void race_round(uint64_t round)
{
    paddr_t f[RACE_PAGES];
    race_in_mm = true;
    for (int i = 0; i < RACE_PAGES; i++)
        KT_ASSERT_EQ(kmem_frame_alloc(&f[i]), E_OK);
    for (int i = 0; i < RACE_PAGES; i++) {
        uint64_t v = RACE_VA + (uint64_t)i * LARGE_PAGE_SIZE;
        KT_ASSERT_EQ(kmem_map_page(va(v), f[i], VMM_WRITABLE | VMM_NX), E_OK);
        *(volatile uint64_t *)v = round << 8 | (uint64_t)i;
    }
    for (int i = 0; i < RACE_PAGES; i++) {
        uint64_t v = RACE_VA + (uint64_t)i * LARGE_PAGE_SIZE;
        paddr_t got, back;
        KT_ASSERT_EQ(kmem_translate(va(v), &got, NULL), E_OK);
        KT_ASSERT_EQ(pa_val(got), pa_val(f[i]));
        KT_ASSERT_EQ(*(volatile uint64_t *)phys_to_virt(f[i]), round << 8 | (uint64_t)i);
        KT_ASSERT_EQ(kmem_unmap_page(va(v), &back), E_OK);
        KT_ASSERT_EQ(pa_val(back), pa_val(f[i]));
        kmem_frame_free(f[i]);
    }
    race_in_mm = false;
}

/*
 *   444444440000 kheap_end() 444544440000 444544640000 444545240000 444545440000 444546440000
 *   |heap        | ...       |page 0      |...         |page 7      | ...        |the tick's page
 *   (HEAP_START)             (RACE_VA: a page per 2 MiB, one PD)                 (RACE_IRQ_VA)
 * while the tick grows the heap and the main loop maps and unmaps these pages, no call fails,
 * the heap grows at least 20 times, and afterwards the frames in use are the heap's pages and
 * tables and nothing else (the description above).
 */
KTEST(mm, irq_race)
{
    KT_ASSERT(!irq_enabled()); /* the boot leaves interrupts off */
    struct heap_stats h0, h1;
    kheap_stats(&h0);
    uintptr_t end0 = kheap_end();
    struct kmem_census c0, c1;
    kmem_census(&c0);
    KT_ASSERT_EQ(c0.used,
                 c0.tables + c0.mapped); /* at boot: tables, the heap's and its index's pages */

    timer_start(RACE_HZ, race_tick, &race);
    irq_enable();
    uint64_t rounds = 0;
    while (race.n < RACE_BLOCKS && race.failed == 0 && rounds < RACE_MAX_ROUNDS)
        race_round(rounds++);
    irq_disable();
    timer_stop();
    kheap_stats(&h1);
    kprintf("irq_race: %lu rounds of %d pages mapped and unmapped; %lu ticks, %lu of them "
            "during the main loop's kmem calls; the ticks allocated %zu blocks of %u KiB, the "
            "heap grew %zu times to %zu KiB\n",
            rounds, RACE_PAGES, race.runs, race.in_mm, race.n, (unsigned)(RACE_BLOCK / KiB),
            h1.grow_events - h0.grow_events, h1.heap_size / 1024);
    KT_ASSERT_EQ(race.failed, 0);
    KT_ASSERT_EQ(race.n, RACE_BLOCKS);
    KT_ASSERT_GT(race.in_mm, 0);
    KT_ASSERT_GE(h1.grow_events, h0.grow_events + 20);

    /* Integrity: pmm_check and every table and heap page an allocated frame (census), the
     * main loop's pages and tables gone, the heap's pages and tables all there is. */
    kmem_census(&c1);
    for (int i = 0; i < RACE_PAGES; i++)
        KT_ASSERT_EQ(kmem_translate(va(RACE_VA + (uint64_t)i * LARGE_PAGE_SIZE), NULL, NULL),
                     E_NOENT);
    KT_ASSERT_EQ(kmem_translate(va(RACE_IRQ_VA), NULL, NULL), E_NOENT);
    KT_ASSERT_EQ(c1.mapped, (kheap_end() - kheap_start()) / PAGE_SIZE + kheap_index_pages());
    KT_ASSERT_EQ(c1.tables - heap_pts(kheap_start(), kheap_end()),
                 c0.tables - heap_pts(kheap_start(), end0));
    KT_ASSERT_EQ(c1.used, c1.tables + c1.mapped);
    kheap_check();
    for (size_t i = 0; i < race.n; i++) {
        uint8_t *p = race.blocks[i];
        KT_ASSERT_EQ(p[0], (uint8_t)i);
        KT_ASSERT_EQ(p[RACE_BLOCK - 1], (uint8_t)i);
        kfree(p);
    }
    kheap_check();
}
