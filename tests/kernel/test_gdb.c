/* SPDX-License-Identifier: MIT */
/*
 * tests/kernel/test_gdb.c - kernels for the GDB tests (tests/gdb/CMakeLists.txt).
 *
 * Each test leaves the memory stack in a known, non-trivial state, prints what the
 * kernel itself computes about it as "fact:" lines (heap_stats(), vmm_translate(),
 * pmm_stats(), chosen addresses), and stops at ktest_checkpoint(). The GDB test breaks
 * there, runs the helpers of scripts/gdb/mbheap.py and compares their output with the
 * facts in the serial log. Without a debugger the tests simply run to the end and pass
 * (they are also plain QEMU tests), except gdb.corrupt_index, where GDB makes the
 * corruption that the kernel's heap_check() must then report.
 */
#include <stdint.h>

#include "kernel/kheap.h"
#include "kernel/kmem.h"
#include "kernel/ktest.h"
#include "lib/alloc.h"
#include "lib/collections/kvec.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "lib/types.h"
#include "mm/heap.h"
#include "mm/pmm.h"
#include "mm/vmm.h"

#define NBLOCKS 48

/* Live blocks of many sizes (through the global allocator, so that a pointer is a heap
 * payload), a grown vector (reallocs) and a page-aligned block; then every third of the
 * blocks is freed (free blocks between used ones, so they cannot merge), and nothing is
 * allocated after that: the last one freed is a free block no merge touched (the
 * statistics prove it), whose header and size the tests know. */
struct heap_scene {
    void *p[NBLOCKS];
    struct layout l[NBLOCKS];
    void *aligned;
    struct layout aligned_layout;
    struct kvec vec;
    uintptr_t free_block; /* header of that free block */
    size_t free_size;     /* its size */
};

static void scene_build(struct heap_scene *s)
{
    for (int i = 0; i < NBLOCKS; i++) {
        size_t size = 8 + (size_t)((i * 7919) % 1500); /* 8 .. 1507 bytes, scattered */
        KT_ASSERT_EQ(layout_new(size, 8, &s->l[i]), E_OK);
        s->p[i] = galloc(s->l[i]);
        KT_ASSERT(s->p[i] != NULL);
        memset(s->p[i], i, size);
    }
    kvec_init(&s->vec, sizeof(uint64_t), _Alignof(uint64_t));
    for (uint64_t v = 0; v < 700; v++)
        kvec_push(&s->vec, &v);
    KT_ASSERT_EQ(layout_new(3000, 4096, &s->aligned_layout), E_OK);
    s->aligned = galloc(s->aligned_layout);
    KT_ASSERT(s->aligned != NULL);
    KT_ASSERT_EQ((uintptr_t)s->aligned % 4096, 0);
    struct heap_stats before, after;
    for (int i = 0; i < NBLOCKS; i += 3) {
        kheap_stats(&before);
        gdealloc(s->p[i], s->l[i]);
        kheap_stats(&after);
        s->free_block = (uintptr_t)s->p[i] - HEAP_ALIGN;
        s->p[i] = NULL;
    }
    /* the last free merged with neither neighbour: one more free block, of its size */
    KT_ASSERT_EQ(after.free_blocks, before.free_blocks + 1);
    s->free_size = before.bytes_used - after.bytes_used;
    KT_ASSERT(s->free_block + s->free_size < kheap_end() - HEAP_ALIGN); /* not the tail */
    kheap_check();
}

static void scene_drop(struct heap_scene *s)
{
    for (int i = 0; i < NBLOCKS; i++)
        if (s->p[i])
            gdealloc(s->p[i], s->l[i]);
    kvec_drop(&s->vec);
    gdealloc(s->aligned, s->aligned_layout);
    kheap_check();
    struct heap_stats st;
    kheap_stats(&st);
    KT_ASSERT_EQ(st.live_allocs, 0);
    KT_ASSERT_EQ(st.free_blocks, 1);
}

static void heap_facts(void)
{
    struct heap_stats st;
    kheap_stats(&st);
    ktest_fact("heap.heap_size", st.heap_size);
    ktest_fact("heap.bytes_used", st.bytes_used);
    ktest_fact("heap.bytes_free", st.bytes_free);
    ktest_fact("heap.free_blocks", st.free_blocks);
    ktest_fact("heap.live_allocs", st.live_allocs);
    ktest_fact("heap.blocks", st.free_blocks + st.live_allocs);
    ktest_fact("heap.largest_free", st.largest_free);
    ktest_fact("heap.total_allocs", st.total_allocs);
}

/* The scene's free block (not the tail: the index holds it). */
static void free_block_facts(const struct heap_scene *s)
{
    ktest_fact("heap.free_block", s->free_block);
    ktest_fact("heap.free_payload", s->free_block + HEAP_ALIGN);
    ktest_fact("heap.free_size", s->free_size);
}

static paddr_t translate(const void *p)
{
    paddr_t out;
    uint64_t flags;
    KT_ASSERT_EQ(kmem_translate(va_from_ptr(p), &out, &flags), E_OK);
    return out;
}

/* The heap, the page tables and the frame allocator with some traffic behind them. */
KTEST(gdb, heap_state)
{
    struct heap_scene s;
    scene_build(&s);

    heap_facts();
    free_block_facts(&s);
    /* A payload inside the heap, 100 bytes into a live block, and where the CPU finds it. */
    const char *inside = (const char *)s.p[NBLOCKS - 1] + 100;
    ktest_fact("heap.inside", (uintptr_t)inside);
    ktest_fact("heap.inside_block", (uintptr_t)s.p[NBLOCKS - 1]);
    ktest_fact("heap.inside_phys", pa_val(translate(inside)));
    ktest_fact("heap.aligned", (uintptr_t)s.aligned);
    ktest_fact("heap.aligned_phys", pa_val(translate(s.aligned)));

    /* Frames: one handed out, one handed out and given back, and the totals. */
    paddr_t used, freed;
    KT_ASSERT_EQ(kmem_frame_alloc(&used), E_OK);
    KT_ASSERT_EQ(kmem_frame_alloc(&freed), E_OK);
    kmem_frame_free(freed);
    struct pmm_stats ps;
    kmem_frame_stats(&ps);
    ktest_fact("pmm.total", ps.total);
    ktest_fact("pmm.free", ps.free);
    ktest_fact("pmm.used", ps.used);
    ktest_fact("pmm.reserved", ps.reserved);
    ktest_fact("pmm.used_frame", pa_val(used));
    ktest_fact("pmm.freed_frame", pa_val(freed));

    ktest_checkpoint("heap_state");

    kmem_frame_free(used);
    scene_drop(&s);
}

/* One block header overwritten (its canary), as a stray write would: the GDB test's
 * `mb-heap check` must name that block. The header is restored before the heap is used
 * again, so the test ends with a clean heap_check(). */
KTEST(gdb, corrupt_block)
{
    struct heap_scene s;
    scene_build(&s);
    heap_facts();

    uint64_t *hdr = (uint64_t *)((uintptr_t)s.p[NBLOCKS / 2 + 1] - HEAP_ALIGN);
    uint64_t saved = hdr[1];
    hdr[1] ^= 0x5a5a;
    ktest_fact("corrupt.block", (uintptr_t)hdr);
    ktest_fact("corrupt.payload", (uintptr_t)s.p[NBLOCKS / 2 + 1]);

    ktest_checkpoint("corrupt_block");

    hdr[1] = saved;
    kheap_check();
    scene_drop(&s);
}

/* A free block's footer overwritten: `mb-heap check` and the kernel's own heap_check(),
 * run after the checkpoint, must name the same block and values (the test passes when the
 * kernel panics with "heap_check: bad footer at"). */
KTEST_SHOULD_PANIC(gdb, corrupt_footer, "heap_check: bad footer at")
{
    struct heap_scene s;
    scene_build(&s);

    uint64_t *footer = (uint64_t *)(s.free_block + s.free_size - 8);
    KT_ASSERT_EQ(*footer, s.free_size);
    *footer = s.free_size ^ 0x40;
    ktest_fact("footer.block", s.free_block);
    ktest_fact("footer.size", s.free_size);
    ktest_fact("footer.value", s.free_size ^ 0x40);

    ktest_checkpoint("corrupt_footer");

    kheap_check();
    ktest_fail(__FILE__, __LINE__, "heap_check did not notice the footer");
}

/* The first-fit index corrupted by GDB at the checkpoint (the entry of the segment that
 * holds the scene's free block): `mb-heap check` names it, then the kernel's own
 * heap_check() must panic naming the same segment and values. Without GDB's write
 * nothing is corrupted and this test fails. */
KTEST_SHOULD_PANIC(gdb, corrupt_index, "heap_check: index entry of segment")
{
    struct heap_scene s;
    scene_build(&s);
    free_block_facts(&s);

    ktest_checkpoint("corrupt_index");

    kheap_check();
    ktest_fail(__FILE__, __LINE__, "heap_check found the index intact (did GDB change it?)");
}
