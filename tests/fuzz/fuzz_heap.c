/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_heap.c - libFuzzer target for the heap core (mm/heap.c).
 *
 * The input is an operation sequence run on three heaps side by side, each over its own
 * 1 MiB arena (starting with 8 KiB and growing through a callback, up to a cap taken
 * from the first byte): one with the first-fit index, one with the index off
 * (HEAP_F_NO_INDEX, or no index memory: bit 0 of the first byte), and one under the
 * good-fit policy (HEAP_F_GOOD_FIT). Each op is one command byte followed by its
 * operands: alloc (size, align), free slot k, realloc slot k (new size); debug mode (all
 * three heaps) is bit 6 of the first byte.
 *
 * The two first-fit heaps must make the same decision every time: the same offset from
 * their base (or both fail), the same usable size, the same in-place/move choice for
 * realloc, the same grow calls, and the same free list (offsets and sizes) after every
 * operation. Good fit places blocks elsewhere, so its heap is not compared by address:
 * it keeps its own slots (an allocation may succeed there and fail in first fit, or the
 * other way round), and it must return blocks aligned as asked with a usable size of at
 * least the request, keep every block's contents through realloc, and refuse exactly the
 * requests that are invalid (an alignment above HEAP_MAX_ALIGN, a size above
 * HEAP_MAX_REQUEST: first fit must refuse them too; a request larger than the cap fails
 * in all three).
 *
 * Every live block carries a pattern derived from its slot and generation, verified
 * before free and realloc; heap_check() runs on all three after every operation, and at
 * the end everything is freed and each heap must be one free block again. panic_at()
 * aborts, and so does a difference, so any panic (a heap bug: the input never misuses
 * the API) or divergence is a crash libFuzzer reports.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/kprintf.h"
#include "lib/panic.h"
#include "mm/heap.h"
#include "tests/common/heap_index_mem.h"

#define ARENA (1u << 20) /* each heap's cap */
#define SLOTS 64

/* [0]: the indexed heap, [1]: the heap without index, [2] (GF): the good-fit heap. The
 * arenas start 2 MiB-aligned (HEAP_MAX_ALIGN), so that an offset from the base decides
 * alignment alike in the first two. */
enum { GF = 2, NHEAPS = 3 };
static unsigned char *arena[NHEAPS];
static struct heap heaps[NHEAPS];

static void map_arenas(void)
{
    const size_t big = HEAP_MAX_ALIGN;
    unsigned char *m =
        mmap(NULL, (NHEAPS + 1) * big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        abort();
    arena[0] = (unsigned char *)(((uintptr_t)m + big - 1) & ~(uintptr_t)(big - 1));
    for (int k = 1; k < NHEAPS; k++)
        arena[k] = arena[k - 1] + big;
}

/* Each heap's grow calls since the last comparison (the end as an offset). */
static struct grow_log {
    uintptr_t base;
    size_t n;
    size_t end[8], bytes[8];
} glog[NHEAPS];

static noreturn void diverged(const char *what, size_t a, size_t b)
{
    fprintf(stderr, "fuzz_heap: the heaps differ: %s (indexed %zu, without index %zu)\n", what, a,
            b);
    abort();
}

static size_t grow(void *ctx, uintptr_t end, size_t min_bytes)
{
    struct grow_log *g = ctx;
    if (g->n < 8) {
        g->end[g->n] = end - g->base;
        g->bytes[g->n] = min_bytes;
    }
    g->n++;
    return end + min_bytes <= g->base + ARENA ? min_bytes : 0;
}

/* Every heap gives memory back (madvise: a released page reads as zero when touched); the
 * two first-fit heaps' release calls, as offsets from their arenas, must be the same. */
static size_t trim_sum[3];
static void trim_release(void *ctx, uintptr_t start, size_t bytes)
{
    size_t k = (size_t)((size_t *)ctx - trim_sum);
    trim_sum[k] = trim_sum[k] * 31 + (start - (uintptr_t)arena[k]) + bytes;
    if (madvise((void *)start, bytes, MADV_DONTNEED) != 0)
        abort();
}

/* Both first-fit heaps made the same grow calls and have the same free list; heap_check
 * all three. */
static void compare_heaps(void)
{
    if (trim_sum[0] != trim_sum[1])
        diverged("release calls", trim_sum[0], trim_sum[1]);
    if (glog[0].n != glog[1].n)
        diverged("number of grow calls", glog[0].n, glog[1].n);
    for (size_t i = 0; i < glog[0].n && i < 8; i++) {
        if (glog[0].end[i] != glog[1].end[i])
            diverged("grow call: end", glog[0].end[i], glog[1].end[i]);
        if (glog[0].bytes[i] != glog[1].bytes[i])
            diverged("grow call: bytes", glog[0].bytes[i], glog[1].bytes[i]);
    }
    glog[0].n = glog[1].n = glog[GF].n = 0;
    const struct heap_block *x = heaps[0].list.next, *y = heaps[1].list.next;
    for (; x != &heaps[0].list && y != &heaps[1].list; x = x->next, y = y->next) {
        if ((uintptr_t)x - heaps[0].base != (uintptr_t)y - heaps[1].base)
            diverged("free block offset", (uintptr_t)x - heaps[0].base,
                     (uintptr_t)y - heaps[1].base);
        if (x->sf != y->sf)
            diverged("free block size_flags", x->sf, y->sf);
    }
    if (x != &heaps[0].list || y != &heaps[1].list)
        diverged("free list length (one ends first)", x == &heaps[0].list, y == &heaps[1].list);
    if (heaps[0].end - heaps[0].base != heaps[1].end - heaps[1].base)
        diverged("heap size", heaps[0].end - heaps[0].base, heaps[1].end - heaps[1].base);
    for (int k = 0; k < NHEAPS; k++)
        heap_check(&heaps[k]);
}

/* Both heaps answered alike: both NULL, or the same offset and usable size. */
static void compare_results(unsigned char *const p[2])
{
    if (!p[0] != !p[1])
        diverged("allocation failed in one heap only", !p[0], !p[1]);
    if (!p[0])
        return;
    size_t o0 = (uintptr_t)p[0] - heaps[0].base, o1 = (uintptr_t)p[1] - heaps[1].base;
    if (o0 != o1)
        diverged("offset of the block", o0, o1);
    if (heap_usable_size(&heaps[0], p[0]) != heap_usable_size(&heaps[1], p[1]))
        diverged("usable size", heap_usable_size(&heaps[0], p[0]),
                 heap_usable_size(&heaps[1], p[1]));
}

/* A slot of the first-fit pair (p[0], p[1]: the same block in both heaps). */
struct slot {
    unsigned char *p[2];
    size_t size, align;
    uint8_t tag;
};

/* The good-fit heap's slot k: its own block, which may exist when the pair's does not. */
struct gf_slot {
    unsigned char *p;
    size_t size, align;
    uint8_t tag;
};

static unsigned char pat(uint8_t tag, size_t i)
{
    return (unsigned char)(tag * 17u + i * 13u);
}

static void fill_block(unsigned char *p, uint8_t tag, size_t from, size_t size)
{
    for (size_t i = from; i < size; i++)
        p[i] = pat(tag, i);
}

static void verify_block(const unsigned char *p, uint8_t tag, size_t n, size_t size)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != pat(tag, i)) {
            fprintf(stderr, "fuzz_heap: block %p (size %zu) corrupted at %zu\n", (const void *)p,
                    size, i);
            abort();
        }
}

static void fill(struct slot *s, size_t from)
{
    for (int k = 0; k < 2; k++)
        fill_block(s->p[k], s->tag, from, s->size);
}

static void verify(const struct slot *s, size_t n)
{
    for (int k = 0; k < 2; k++)
        verify_block(s->p[k], s->tag, n, s->size);
}

/* What every heap must refuse (heap.h's contract), whatever its policy and state. */
static bool invalid_request(size_t size, size_t align)
{
    return align > HEAP_MAX_ALIGN || size > HEAP_MAX_REQUEST;
}

static noreturn void wrong(const char *heap, const char *what, size_t size, size_t align)
{
    fprintf(stderr, "fuzz_heap: %s: %s (size %zu, align %zu)\n", heap, what, size, align);
    abort();
}

/* An invalid request, or one larger than the cap, must fail: p must be NULL. The same
 * rule for every heap, so that first fit and good fit refuse the same requests. */
static void refusal_ok(const char *heap, const void *p, size_t size, size_t align, size_t cap)
{
    if (p && (invalid_request(size, align) || size >= cap))
        wrong(heap, "an invalid or impossible request succeeded", size, align);
}

/* A block p of the good-fit heap answering a request of size bytes aligned to align. */
static void gf_result_ok(const unsigned char *p, size_t size, size_t align)
{
    size_t a = align > HEAP_ALIGN ? align : HEAP_ALIGN;
    if ((uintptr_t)p & (a - 1))
        wrong("good fit", "misaligned block", size, align);
    if (heap_usable_size(&heaps[GF], p) < size)
        wrong("good fit", "usable size below the request", size, align);
}

/* Good fit's side of an alloc into its empty slot g. */
static void gf_alloc(struct gf_slot *g, uint8_t tag, size_t size, size_t align, size_t cap)
{
    unsigned char *p = heap_alloc(&heaps[GF], size, align);
    refusal_ok("good fit", p, size, align, cap);
    if (!p)
        return;
    gf_result_ok(p, size, align);
    *g = (struct gf_slot){p, size, align, tag};
    fill_block(p, tag, 0, size);
}

/* Good fit's side of a free (of its own block in slot g, if any). */
static void gf_free(struct gf_slot *g)
{
    if (!g->p)
        return;
    verify_block(g->p, g->tag, g->size, g->size);
    heap_free(&heaps[GF], g->p);
    g->p = NULL;
}

/* Good fit's side of a realloc of slot g's block (if any) to ns bytes. */
static void gf_realloc(struct gf_slot *g, size_t ns, size_t cap)
{
    if (!g->p)
        return;
    verify_block(g->p, g->tag, g->size, g->size);
    unsigned char *q = heap_realloc(&heaps[GF], g->p, ns, g->align);
    refusal_ok("good fit", q, ns, g->align, cap);
    if (!q) {
        verify_block(g->p, g->tag, g->size, g->size); /* a failed realloc leaves p alone */
        return;
    }
    size_t keep = ns < g->size ? ns : g->size;
    verify_block(q, g->tag, keep, ns);
    gf_result_ok(q, ns, g->align);
    g->p = q;
    g->size = ns;
    fill_block(q, g->tag, keep, ns);
}

struct reader {
    const uint8_t *d;
    size_t n, i;
};

static unsigned rd8(struct reader *r)
{
    return r->i < r->n ? r->d[r->i++] : 0;
}
static unsigned rd16(struct reader *r)
{
    return rd8(r) | rd8(r) << 8;
}

static size_t rd_size(struct reader *r)
{
    unsigned k = rd8(r);
    switch (k >> 6) {
    case 0: return k & 63;                     /* tiny */
    case 1: return rd8(r) + ((k & 63) << 8);   /* up to 16 KiB */
    case 2: return rd16(r) + ((k & 7u) << 16); /* up to 512 KiB */
    default:                                   /* edge cases */
        switch (k & 7) {
        case 0: return SIZE_MAX;
        case 1: return SIZE_MAX - 15;
        case 2: return HEAP_MAX_REQUEST;
        case 3: return HEAP_MAX_REQUEST + 1;
        case 4: return ARENA;
        default: return (size_t)rd16(r) * 16;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reader r = {data, size, 0};
    static struct slot slots[SLOTS];
    static struct gf_slot gslots[SLOTS];
    unsigned first = rd8(&r);
    size_t cap = first & 0x80 ? ARENA : ((size_t)(first & 0x3f) + 3) * 4096;
    unsigned flags = (first & 0x40) ? HEAP_F_DEBUG : 0;
    bool no_index_flag = first & 1;
    if (!arena[0])
        map_arenas();
    for (int k = 0; k < 2; k++) {
        glog[k] = (struct grow_log){.base = (uintptr_t)arena[k]};
        const struct heap_index_mem *ix =
            k == 0 || no_index_flag ? test_heap_index_on(cap, (unsigned)k) : NULL;
        unsigned f = flags | (k == 1 && no_index_flag ? HEAP_F_NO_INDEX : 0);
        if (heap_init(&heaps[k], arena[k], 8192, grow, &glog[k], cap, f, ix) != E_OK)
            abort();
        trim_sum[k] = 0;
        struct heap_trim t = {trim_release, NULL, &trim_sum[k], false}; /* (arenas are reused) */
        if (heap_set_trim(&heaps[k], &t) != E_OK)
            abort();
    }
    glog[GF] = (struct grow_log){.base = (uintptr_t)arena[GF]};
    if (heap_init(&heaps[GF], arena[GF], 8192, grow, &glog[GF], cap, flags | HEAP_F_GOOD_FIT,
                  NULL) != E_OK)
        abort();
    trim_sum[GF] = 0;
    struct heap_trim gt = {trim_release, NULL, &trim_sum[GF], false};
    if (heap_set_trim(&heaps[GF], &gt) != E_OK)
        abort();
    if (!heaps[0].indexed || heaps[1].indexed || heaps[GF].indexed)
        abort();
    memset(slots, 0, sizeof(slots));
    memset(gslots, 0, sizeof(gslots));
    uint8_t gen = 0, gf_gen = 0;
    while (r.i < r.n) {
        unsigned cmd = rd8(&r);
        struct slot *s = &slots[(cmd >> 2) % SLOTS];
        struct gf_slot *g = &gslots[(cmd >> 2) % SLOTS];
        switch (cmd & 3) {
        case 0:
        case 1: { /* alloc (into an empty slot) */
            size_t sz = rd_size(&r);
            size_t align = (size_t)1 << (rd8(&r) % 23); /* up to 4 MiB: > 2 MiB must fail */
            if (!g->p)
                gf_alloc(g, ++gf_gen, sz, align, cap);
            if (s->p[0])
                break;
            unsigned char *p[2];
            for (int k = 0; k < 2; k++)
                p[k] = heap_alloc(&heaps[k], sz, align);
            compare_results(p);
            refusal_ok("first fit", p[0], sz, align, cap);
            if (!p[0])
                break;
            if (((uintptr_t)p[0] & (align - 1)) || heap_usable_size(&heaps[0], p[0]) < sz)
                abort();
            *s = (struct slot){{p[0], p[1]}, sz, align, ++gen};
            fill(s, 0);
            break;
        }
        case 2: /* free */
            gf_free(g);
            if (s->p[0]) {
                verify(s, s->size);
                for (int k = 0; k < 2; k++)
                    heap_free(&heaps[k], s->p[k]);
                s->p[0] = s->p[1] = NULL;
            }
            break;
        case 3: { /* realloc */
            size_t ns = rd_size(&r);
            gf_realloc(g, ns, cap);
            if (!s->p[0])
                break;
            verify(s, s->size);
            unsigned char *q[2];
            for (int k = 0; k < 2; k++)
                q[k] = heap_realloc(&heaps[k], s->p[k], ns, s->align);
            compare_results(q);
            refusal_ok("first fit", q[0], ns, s->align, cap);
            if ((q[0] == s->p[0]) != (q[1] == s->p[1]))
                diverged("realloc in place", q[0] == s->p[0], q[1] == s->p[1]);
            if (!q[0]) {
                verify(s, s->size);
                break;
            }
            size_t keep = ns < s->size ? ns : s->size;
            s->p[0] = q[0];
            s->p[1] = q[1];
            verify(s, keep);
            s->size = ns;
            if (((uintptr_t)q[0] & (s->align - 1)) || heap_usable_size(&heaps[0], q[0]) < ns)
                abort();
            fill(s, keep);
            break;
        }
        }
        compare_heaps();
    }
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].p[0]) {
            verify(&slots[i], slots[i].size);
            for (int k = 0; k < 2; k++)
                heap_free(&heaps[k], slots[i].p[k]);
        }
        gf_free(&gslots[i]);
    }
    compare_heaps();
    for (int k = 0; k < NHEAPS; k++) {
        struct heap_stats st;
        heap_get_stats(&heaps[k], &st);
        if (st.free_blocks != 1 || st.live_allocs != 0 || st.heap_size > cap)
            abort();
    }
    return 0;
}
