/* SPDX-License-Identifier: MIT */
/*
 * tests/host/test_allocator.c - the malloc-backed test allocator; see test_allocator.h.
 *
 * Live blocks sit in a fixed table of TA_MAX_BLOCKS (pointer, layout) pairs; a free slot
 * has p == NULL. Every op asserts with cmocka, so a wrong layout or an unknown pointer
 * fails the running test at once.
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>

#include "test_allocator.h"

struct test_alloc ta;

static struct ta_block *ta_find(void *p)
{
    for (size_t i = 0; i < TA_MAX_BLOCKS; i++)
        if (ta.blocks[i].p == p)
            return &ta.blocks[i];
    return NULL;
}

static void *ta_raw(struct layout l)
{
    assert_true(l.size > 0);
    assert_true(l.align && (l.align & (l.align - 1)) == 0);
    if (ta.fail_after == 0)
        return NULL;
    if (ta.fail_after > 0)
        ta.fail_after--;
    void *p = NULL;
    size_t a = l.align < sizeof(void *) ? sizeof(void *) : l.align;
    if (posix_memalign(&p, a, l.size) != 0)
        return NULL;
    memset(p, 0xa5, l.size);
    struct ta_block *b = ta_find(NULL);
    assert_non_null(b);
    *b = (struct ta_block){p, l};
    ta.live_bytes += l.size;
    ta.live_blocks++;
    return p;
}

static void ta_release(void *p, struct layout l)
{
    struct ta_block *b = ta_find(p);
    if (!b)
        fail_msg("test allocator: dealloc of unknown pointer %p", p);
    assert_int_equal(b->l.size, l.size);
    assert_int_equal(b->l.align, l.align);
    b->p = NULL;
    ta.live_bytes -= l.size;
    ta.live_blocks--;
    if (ta.on_release)
        ta.on_release(p, l);
    if (ta.quarantine && ta.nfreed < TA_MAX_BLOCKS)
        ta.freed[ta.nfreed++] = p;
    else
        free(p);
}

static void *ta_alloc(void *self, struct layout l)
{
    (void)self;
    ta.allocs++;
    return ta_raw(l);
}

static void ta_dealloc(void *self, void *p, struct layout l)
{
    (void)self;
    ta.deallocs++;
    ta_release(p, l);
}

static void *ta_alloc_zeroed(void *self, struct layout l, const void *caller)
{
    (void)self;
    ta.last_caller = caller;
    ta.zeroed++;
    void *p = ta_raw(l);
    if (p)
        memset(p, 0, l.size);
    return p;
}

static void *ta_realloc(void *self, void *p, struct layout old, size_t new_size)
{
    (void)self;
    ta.reallocs++;
    void *q = ta_raw((struct layout){new_size, old.align});
    if (!q)
        return NULL;
    memcpy(q, p, old.size < new_size ? old.size : new_size);
    ta_release(p, old);
    return q;
}

const struct allocator ta_basic = {"test-basic", ta_alloc, ta_dealloc, NULL,
                                   NULL,         NULL,     NULL,       NULL};
const struct allocator ta_full = {"test-full", ta_alloc, ta_dealloc, ta_alloc_zeroed,
                                  ta_realloc,  NULL,     NULL,       NULL};

static int ta_setup(const struct allocator *global)
{
    memset(&ta, 0, sizeof(ta));
    ta.fail_after = -1;
    alloc_set_global(global);
    return 0;
}

int ta_setup_basic(void **state)
{
    (void)state;
    return ta_setup(&ta_basic);
}

int ta_setup_full(void **state)
{
    (void)state;
    return ta_setup(&ta_full);
}

int ta_teardown(void **state)
{
    (void)state;
    alloc_set_global(NULL);
    for (size_t i = 0; i < ta.nfreed; i++)
        free(ta.freed[i]);
    ta.nfreed = 0;
    if (ta.live_blocks) {
        fprintf(stderr, "leak: %zu blocks, %zu bytes live\n", ta.live_blocks, ta.live_bytes);
        return -1;
    }
    return 0;
}
