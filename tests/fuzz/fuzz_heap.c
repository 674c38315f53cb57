/*
 * tests/fuzz/fuzz_heap.c - libFuzzer target for the heap core (mm/heap.c).
 *
 * The input is an operation sequence over a fixed 1 MiB arena (the heap starts with
 * 8 KiB and grows through a callback, up to a cap taken from the first byte): each op
 * is one command byte followed by its operands. alloc (size, align), free slot k,
 * realloc slot k (new size), and "toggle debug" on the first byte. Every live block
 * carries a pattern derived from its slot and generation, verified before free and
 * realloc; heap_check() runs after every operation, and at the end everything is freed
 * and the heap must be one free block again. panic_at() aborts, so any panic (a heap
 * bug: the input never misuses the API) is a crash libFuzzer reports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/kprintf.h"
#include "lib/panic.h"
#include "mm/heap.h"
#include "tests/common/heap_index_mem.h"

#define ARENA (1u << 20)
#define SLOTS 64

static _Alignas(4096) unsigned char arena[ARENA];

static size_t grow(void *ctx, uintptr_t end, size_t min_bytes)
{
    (void)ctx;
    return end + min_bytes <= (uintptr_t)arena + ARENA ? min_bytes : 0;
}

struct slot {
    unsigned char *p;
    size_t size, align;
    uint8_t tag;
};

static unsigned char pat(uint8_t tag, size_t i)
{
    return (unsigned char)(tag * 17u + i * 13u);
}

static void fill(struct slot *s, size_t from)
{
    for (size_t i = from; i < s->size; i++)
        s->p[i] = pat(s->tag, i);
}

static void verify(const struct slot *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s->p[i] != pat(s->tag, i)) {
            fprintf(stderr, "fuzz_heap: block %p (size %zu) corrupted at %zu\n", (void *)s->p,
                    s->size, i);
            abort();
        }
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
    static struct heap h;
    static struct slot slots[SLOTS];
    unsigned first = rd8(&r);
    size_t cap = first & 0x80 ? ARENA : ((size_t)(first & 0x3f) + 3) * 4096;
    if (heap_init(&h, arena, 8192, grow, NULL, cap, (first & 0x40) ? HEAP_F_DEBUG : 0, test_heap_index(cap)) != E_OK)
        abort();
    memset(slots, 0, sizeof(slots));
    uint8_t gen = 0;
    while (r.i < r.n) {
        unsigned cmd = rd8(&r);
        struct slot *s = &slots[(cmd >> 2) % SLOTS];
        switch (cmd & 3) {
        case 0:
        case 1: { /* alloc (into an empty slot) */
            size_t sz = rd_size(&r);
            size_t align = (size_t)1 << (rd8(&r) % 23); /* up to 4 MiB: > 2 MiB must fail */
            if (s->p)
                break;
            unsigned char *p = heap_alloc(&h, sz, align);
            if (!p)
                break;
            if (((uintptr_t)p & (align - 1)) || heap_usable_size(&h, p) < sz)
                abort();
            *s = (struct slot){p, sz, align, ++gen};
            fill(s, 0);
            break;
        }
        case 2: /* free */
            if (s->p) {
                verify(s, s->size);
                heap_free(&h, s->p);
                s->p = NULL;
            }
            break;
        case 3: { /* realloc */
            size_t ns = rd_size(&r);
            if (!s->p)
                break;
            verify(s, s->size);
            unsigned char *q = heap_realloc(&h, s->p, ns, s->align);
            if (!q) {
                verify(s, s->size);
                break;
            }
            size_t keep = ns < s->size ? ns : s->size;
            s->p = q;
            verify(s, keep);
            s->size = ns;
            if (((uintptr_t)q & (s->align - 1)) || heap_usable_size(&h, q) < ns)
                abort();
            fill(s, keep);
            break;
        }
        }
        heap_check(&h);
    }
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].p) {
            verify(&slots[i], slots[i].size);
            heap_free(&h, slots[i].p);
        }
    heap_check(&h);
    struct heap_stats st;
    heap_get_stats(&h, &st);
    if (st.free_blocks != 1 || st.live_allocs != 0 || st.heap_size > cap)
        abort();
    return 0;
}
