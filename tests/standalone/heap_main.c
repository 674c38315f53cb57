/* SPDX-License-Identifier: MIT */
/*
 * tests/standalone/heap_main.c - the heap core lifted alone (README.md, "Using mbheap's
 * parts in your own kernel"): a host program that provides only kprintf, panic_at, memset and
 * strcmp (the last two from the C library) runs one heap over a static array, with growth.
 */
#include "mm/heap.h"

#define HOOK_KPRINTF
#define HOOK_PANIC_AT
#include "hooks.h"

static _Alignas(4096) unsigned char arena[1 << 20];
static _Alignas(8) unsigned char index_mem[1 << 14];
static size_t grown;

/* The heap asks for at least min bytes at end; this host hands out the array's next bytes. */
static size_t grow(void *ctx, uintptr_t end, size_t min)
{
    (void)ctx;
    if (end + min > (uintptr_t)arena + sizeof(arena))
        return 0;
    grown += min;
    return min;
}

int main(void)
{
    struct heap h;
    CHECK(heap_index_bytes(sizeof(arena)) <= sizeof(index_mem));
    struct heap_index_mem ix = {index_mem, NULL, NULL, false};
    CHECK(heap_init(&h, arena, 64 * 1024, grow, NULL, sizeof(arena), 0, &ix) == E_OK);
    /* First fit in address order: two blocks side by side, the lower one reused after free. */
    unsigned char *a = heap_alloc(&h, 100, 16), *b = heap_alloc(&h, 100, 16);
    CHECK(a && b && a < b);
    CHECK(heap_usable_size(&h, a) >= 100);
    heap_free(&h, a);
    unsigned char *c = heap_alloc(&h, 50, 16);
    CHECK(c == a);
    /* An aligned request and a realloc that keeps the contents. */
    unsigned char *d = heap_alloc(&h, 256, 4096);
    CHECK(d && (uintptr_t)d % 4096 == 0);
    for (int i = 0; i < 256; i++)
        d[i] = (unsigned char)i;
    d = heap_realloc(&h, d, 4000, 4096);
    CHECK(d && (uintptr_t)d % 4096 == 0 && d[255] == 255 && d[7] == 7);
    /* More than the initial 64 KiB: the grow hook runs. */
    void *big = heap_alloc(&h, 200 * 1024, 16);
    CHECK(big != NULL && grown >= 200 * 1024 - 64 * 1024);
    heap_check(&h);
    struct heap_stats s;
    heap_get_stats(&h, &s);
    CHECK(s.live_allocs == 4 && s.grow_events >= 1);
    heap_free(&h, big);
    heap_free(&h, b);
    heap_free(&h, c);
    heap_free(&h, d);
    heap_get_stats(&h, &s);
    CHECK(s.live_allocs == 0 && s.free_blocks == 1);
    heap_check(&h);
    printf("standalone heap: ok (%zu bytes, grew %zu times)\n", s.heap_size, s.grow_events);
    return 0;
}
