/* SPDX-License-Identifier: MIT */
/* tests/common/heap_index_mem.c - see heap_index_mem.h. */
#define _GNU_SOURCE
#include "tests/common/heap_index_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SLOTS 4

static struct slot {
    struct heap_index_mem mem;
    size_t bytes;
} slots[SLOTS];

bool test_heap_indexed(void)
{
    const char *e = getenv("MBHEAP_HEAP_INDEX");
    return !(e && !strcmp(e, "off"));
}

unsigned test_heap_policy(void)
{
    const char *e = getenv("MBHEAP_POLICY");
    if (!e || !strcmp(e, "first_fit"))
        return 0;
    if (!strcmp(e, "good_fit"))
        return HEAP_F_GOOD_FIT;
    fprintf(stderr, "MBHEAP_POLICY=%s: unknown policy (first_fit or good_fit)\n", e);
    abort();
}

err_t test_heap_init(struct heap *h, void *base, size_t size, heap_grow_fn grow, void *grow_ctx,
                     size_t max_size, unsigned flags, const struct heap_index_mem *index)
{
    return heap_init(h, base, size, grow, grow_ctx, max_size, flags | test_heap_policy(), index);
}

const struct heap_index_mem *test_heap_index_slot(size_t max_size, unsigned slot)
{
    return test_heap_indexed() ? test_heap_index_on(max_size, slot) : NULL;
}

const struct heap_index_mem *test_heap_index_on(size_t max_size, unsigned slot)
{
    if (slot >= SLOTS)
        abort();
    struct slot *s = &slots[slot];
    if (s->bytes)
        munmap(s->mem.mem, s->bytes);
    s->bytes = heap_index_bytes(max_size);
    s->mem.mem = mmap(NULL, s->bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (s->mem.mem == MAP_FAILED) {
        fprintf(stderr, "test_heap_index: cannot reserve %zu bytes\n", s->bytes);
        abort();
    }
    /* dirty the first page: the core must clear what it uses, not trust fresh memory */
    memset(s->mem.mem, 0xa5, s->bytes < 4096 ? s->bytes : 4096);
    return &s->mem;
}

const struct heap_index_mem *test_heap_index(size_t max_size)
{
    return test_heap_index_slot(max_size, 0);
}
