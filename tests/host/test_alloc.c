/* SPDX-License-Identifier: MIT */
/*
 * Host tests for lib/alloc.c: layouts, dispatch and its defaults, the Dummy allocator,
 * the alloc-failure handler (default text, set-once), and kmalloc & co.
 *
 * Each test case installs the malloc-backed test allocator (tests/host/test_allocator.h)
 * as the global one. It checks every dealloc/realloc against the layout the block was
 * allocated with, fills new blocks with junk (so "zeroed" is really tested), can be told
 * to fail after N allocations, and can keep freed blocks in quarantine so that a double
 * free reads valid memory. The teardown fails the test if any block is still live.
 *
 * The set-once handler state cannot be reset (on purpose: no test-only code in
 * lib/alloc.c), so the test that installs a handler runs in its own group, after every
 * test that expects the default handler's panic text.
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/alloc.h"
#include "lib/collections/kbox.h"
#include "test_allocator.h"

#define FILL(p, n, seed)                                                                           \
    do {                                                                                           \
        for (size_t i_ = 0; i_ < (n); i_++)                                                        \
            ((unsigned char *)(p))[i_] = (unsigned char)(i_ * 7 + (seed));                         \
    } while (0)

static void check_fill(const void *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(((const unsigned char *)p)[i], (unsigned char)(i * 7 + seed));
}

static bool all_zero(const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (((const unsigned char *)p)[i])
            return false;
    return true;
}

/* ---- layouts ------------------------------------------------------------------------- */

static void test_layout_new(void **state)
{
    (void)state;
    struct layout l = {123, 456};
    assert_int_equal(layout_new(4, 4, &l), E_OK);
    assert_int_equal(l.size, 4);
    assert_int_equal(l.align, 4);
    assert_int_equal(layout_new(0, 1, &l), E_OK);
    assert_int_equal(l.size, 0);
    assert_int_equal(layout_new(SIZE_MAX, 1, &l), E_OK);
    assert_int_equal(layout_new(SIZE_MAX - 7, 8, &l), E_OK);
    assert_int_equal(l.size, SIZE_MAX - 7);
    assert_int_equal(layout_new(0, (size_t)1 << 63, &l), E_OK);

    l = (struct layout){123, 456};
    assert_int_equal(layout_new(SIZE_MAX - 6, 8, &l), E_RANGE);
    assert_int_equal(layout_new(SIZE_MAX, 2, &l), E_RANGE);
    assert_int_equal(layout_new(((size_t)1 << 63) + 1, (size_t)1 << 63, &l), E_RANGE);
    assert_int_equal(layout_new(4, 0, &l), E_INVAL);
    assert_int_equal(layout_new(4, 3, &l), E_INVAL);
    assert_int_equal(layout_new(4, 12, &l), E_INVAL);
    assert_int_equal(layout_new(SIZE_MAX, SIZE_MAX, &l), E_INVAL);
    /* out is untouched on error */
    assert_int_equal(l.size, 123);
    assert_int_equal(l.align, 456);
}

static void test_layout_array(void **state)
{
    (void)state;
    struct layout l = {123, 456};
    assert_int_equal(layout_array(4, 10, 4, &l), E_OK);
    assert_int_equal(l.size, 40);
    assert_int_equal(l.align, 4);
    assert_int_equal(layout_array(8, 0, 8, &l), E_OK);
    assert_int_equal(l.size, 0);
    l = (struct layout){123, 456};
    assert_int_equal(layout_array(SIZE_MAX / 2, 3, 1, &l), E_RANGE);
    assert_int_equal(layout_array(SIZE_MAX / 8, 8, 16, &l), E_RANGE); /* product ok, rounding not */
    assert_int_equal(layout_array(4, 4, 6, &l), E_INVAL);
    assert_int_equal(l.size, 123);

    struct layout i = LAYOUT_OF(int);
    assert_int_equal(i.size, 4);
    assert_int_equal(i.align, 4);
    struct cd {
        char c;
        double d;
    };
    struct layout s = LAYOUT_OF(struct cd);
    assert_int_equal(s.size, 16);
    assert_int_equal(s.align, 8);
}

/* ---- dispatch ------------------------------------------------------------------------ */

static void test_dispatch_misuse_panics(void **state)
{
    (void)state;
    EXPECT_PANIC(galloc((struct layout){0, 8}), "allocator_alloc: zero-size layout (align 8)");
    EXPECT_PANIC(galloc((struct layout){8, 3}),
                 "allocator_alloc: invalid layout (size 8, align 3)");
    EXPECT_PANIC(galloc_zeroed((struct layout){0, 1}), "allocator_alloc_zeroed: zero-size");
    EXPECT_PANIC(gdealloc(NULL, LAYOUT_OF(int)),
                 "allocator_dealloc: NULL pointer (size 4, align 4)");
    void *p = galloc(LAYOUT_OF(int));
    EXPECT_PANIC(grealloc(p, LAYOUT_OF(int), 0), "allocator_realloc: zero new size");
    EXPECT_PANIC(grealloc(NULL, LAYOUT_OF(int), 8), "allocator_realloc: NULL pointer");
    assert_int_equal(ta.allocs, 1);
    gdealloc(p, LAYOUT_OF(int));
}

/* An allocator with alloc_at learns who asked: kmalloc's and galloc's callers. */
static const void *seen_caller;
static int at_calls;

static void *at_alloc_at(void *self, struct layout l, const void *caller)
{
    (void)self;
    seen_caller = caller;
    at_calls++;
    return aligned_alloc(l.align < sizeof(void *) ? sizeof(void *) : l.align,
                         (l.size + l.align - 1) & ~(l.align - 1));
}

static void *at_alloc(void *self, struct layout l)
{
    return at_alloc_at(self, l, NULL);
}

static void at_dealloc(void *self, void *p, struct layout l)
{
    (void)self, (void)l;
    free(p);
}

static __attribute__((noinline)) void *call_kmalloc(size_t n)
{
    void *p = kmalloc(n);
    __asm__ volatile("" ::: "memory"); /* no tail call: kmalloc returns here */
    return p;
}

static __attribute__((noinline)) void *call_kzalloc(size_t n)
{
    void *p = kzalloc(n);
    __asm__ volatile("" ::: "memory");
    return p;
}

static __attribute__((noinline)) void *call_galloc_zeroed(struct layout l)
{
    void *p = galloc_zeroed(l);
    __asm__ volatile("" ::: "memory");
    return p;
}

static bool within(const void *caller, uintptr_t fn)
{
    return (uintptr_t)caller > fn && (uintptr_t)caller < fn + 256;
}

static void test_alloc_at_records_caller(void **state)
{
    (void)state;
    static const struct allocator at = {
        .name = "at", .alloc = at_alloc, .dealloc = at_dealloc, .alloc_at = at_alloc_at};
    alloc_set_global(&at);
    void *p = call_kmalloc(40);
    assert_non_null(p);
    assert_int_equal(at_calls, 1);
    /* The recorded return address lies inside call_kmalloc, not in lib/alloc.c. */
    assert_true((uintptr_t)seen_caller > (uintptr_t)call_kmalloc);
    assert_true((uintptr_t)seen_caller < (uintptr_t)call_kmalloc + 256);
    kfree(p);
    /* zeroed, without an alloc_zeroed op: alloc_at is told the caller of kzalloc */
    p = call_kzalloc(40);
    assert_non_null(p);
    assert_int_equal(at_calls, 2);
    assert_true(within(seen_caller, (uintptr_t)call_kzalloc));
    kfree(p);
    struct layout l = {24, 8};
    void *q = allocator_alloc_at(&at, l, (const void *)0x1234);
    assert_ptr_equal(seen_caller, (const void *)0x1234);
    allocator_dealloc(&at, q, l);
    EXPECT_PANIC(allocator_alloc_at(&at, (struct layout){0, 8}, NULL),
                 "allocator_alloc: zero-size layout (align 8)");
    alloc_set_global(NULL);
}

static void test_default_alloc_zeroed(void **state)
{
    (void)state;
    struct layout l = {100, 32};
    unsigned char *p = galloc(l); /* junk-filled */
    assert_false(all_zero(p, l.size));
    gdealloc(p, l);
    p = galloc_zeroed(l);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 32, 0);
    assert_true(all_zero(p, l.size));
    assert_int_equal(ta.zeroed, 0); /* the basic allocator has no op: alloc + memset */
    gdealloc(p, l);

    alloc_set_global(&ta_full);
    p = call_galloc_zeroed(l);
    assert_true(all_zero(p, l.size));
    assert_int_equal(ta.zeroed, 1);
    /* the allocator's alloc_zeroed is told who asked, as alloc_at is */
    assert_true(within(ta.last_caller, (uintptr_t)call_galloc_zeroed));
    gdealloc(p, l);
    void *z = call_kzalloc(100);
    assert_true(z && all_zero(z, 100));
    assert_int_equal(ta.zeroed, 2);
    assert_true(within(ta.last_caller, (uintptr_t)call_kzalloc));
    kfree(z);

    ta.fail_after = 0;
    assert_null(galloc_zeroed(l));
    alloc_set_global(&ta_basic);
    assert_null(galloc_zeroed(l));
}

static void realloc_checks(void)
{
    struct layout l = {40, 64};
    unsigned char *p = galloc(l);
    FILL(p, 40, 3);
    /* grow: contents kept, alignment kept */
    unsigned char *q = grealloc(p, l, 1000);
    assert_non_null(q);
    assert_int_equal((uintptr_t)q % 64, 0);
    check_fill(q, 40, 3);
    /* shrink: the prefix is kept */
    FILL(q, 1000, 5);
    p = grealloc(q, (struct layout){1000, 64}, 10);
    assert_non_null(p);
    check_fill(p, 10, 5);
    /* failure: NULL, the old block intact and still owned */
    ta.fail_after = 0;
    assert_null(grealloc(p, (struct layout){10, 64}, 5000));
    check_fill(p, 10, 5);
    ta.fail_after = -1;
    /* a new size that cannot be a layout: NULL without asking the allocator */
    unsigned allocs = ta.allocs, reallocs = ta.reallocs;
    assert_null(grealloc(p, (struct layout){10, 64}, SIZE_MAX - 10));
    assert_int_equal(ta.allocs, allocs);
    assert_int_equal(ta.reallocs, reallocs);
    check_fill(p, 10, 5);
    gdealloc(p, (struct layout){10, 64});
}

static void test_default_realloc(void **state)
{
    (void)state;
    realloc_checks();
    assert_int_equal(ta.reallocs, 0);
    assert_int_equal(ta.allocs, 4); /* first, grow, shrink, the failed grow */
}

static void test_custom_realloc(void **state)
{
    (void)state;
    alloc_set_global(&ta_full);
    realloc_checks();
    assert_int_equal(ta.reallocs, 3);
    assert_int_equal(ta.allocs, 1);
}

static void test_global_default_is_dummy(void **state)
{
    (void)state;
    /* the teardown of the previous case set NULL, which means the Dummy */
    assert_ptr_equal(alloc_global(), &dummy_allocator);
    alloc_set_global(&ta_basic);
    assert_ptr_equal(alloc_global(), &ta_basic);
    alloc_set_global(NULL);
    assert_ptr_equal(alloc_global(), &dummy_allocator);
    assert_string_equal(alloc_global()->name, "dummy");
}

/* ---- the Dummy and the default alloc error handler ------------------------------------ */

static void test_default_handler_text(void **state)
{
    (void)state;
    assert_false(alloc_error_handler_installed());
    EXPECT_PANIC(handle_alloc_error(LAYOUT_OF(int)), "allocation error");
    assert_string_equal(host_panic_msg, "allocation error: Layout { size: 4, align: 4 }");
    EXPECT_PANIC(handle_alloc_error((struct layout){4096, 4096}), "allocation error");
    assert_string_equal(host_panic_msg, "allocation error: Layout { size: 4096, align: 4096 }");
    EXPECT_PANIC(alloc_default_error_handler((struct layout){1, 1}), "allocation error");
    assert_string_equal(host_panic_msg, "allocation error: Layout { size: 1, align: 1 }");
}

static void test_alloc_or_die(void **state)
{
    (void)state;
    int *p = alloc_or_die(LAYOUT_OF(int));
    assert_non_null(p);
    gdealloc(p, LAYOUT_OF(int));
    ta.fail_after = 0;
    EXPECT_PANIC(alloc_or_die((struct layout){24, 8}),
                 "allocation error: Layout { size: 24, align: 8 }");
}

static void test_dummy(void **state)
{
    (void)state;
    alloc_set_global(&dummy_allocator);
    assert_null(galloc(LAYOUT_OF(int)));
    assert_null(galloc_zeroed((struct layout){4096, 4096}));
    assert_null(allocator_alloc(&dummy_allocator, (struct layout){1, 1}));
    long x = 0;
    assert_null(grealloc(&x, LAYOUT_OF(long), 16));
    assert_null(kmalloc(0));
    assert_null(kmalloc(16));
    assert_null(kzalloc(16));
    assert_null(kcalloc(2, 2));
    EXPECT_PANIC(gdealloc((void *)0x1000, (struct layout){8, 8}), "dummy_dealloc");
    assert_string_equal(host_panic_msg, "dummy_dealloc: dealloc should never be called "
                                        "(ptr 0x0000000000001000, size 8, align 8)");
}

static void test_kbox_under_dummy(void **state)
{
    (void)state;
    /* blog_os: Box::new(41) with the Dummy ends in the alloc error handler */
    alloc_set_global(&dummy_allocator);
    EXPECT_PANIC((void)KBOX_NEW(int, 41), "allocation error");
    assert_string_equal(host_panic_msg, "allocation error: Layout { size: 4, align: 4 }");
    int *out = NULL;
    assert_int_equal(KBOX_TRY_NEW(int, &out, 41), E_NOMEM);
    assert_null(out);
}

static void test_kbox(void **state)
{
    (void)state;
    struct point {
        long x, y;
    };
    struct point *p = KBOX_NEW(struct point, .x = 1, .y = -2);
    assert_int_equal(p->x, 1);
    assert_int_equal(p->y, -2);
    assert_int_equal(ta.live_bytes, sizeof(struct point));
    KBOX_DROP(p);
    _Alignas(64) char big[128] = {1, 2, 3};
    char *b = kbox_new(sizeof(big), 64, NULL);
    assert_int_equal((uintptr_t)b % 64, 0);
    assert_true(all_zero(b, sizeof(big)));
    kbox_drop(b, sizeof(big), 64);
    void *out = NULL;
    assert_int_equal(kbox_try_new(sizeof(big), 64, big, &out), E_OK);
    assert_memory_equal(out, big, sizeof(big));
    kbox_drop(out, sizeof(big), 64);
    assert_int_equal(kbox_try_new(0, 8, NULL, &out), E_INVAL);
    assert_int_equal(kbox_try_new(8, 6, NULL, &out), E_INVAL);
    assert_int_equal(kbox_try_new(SIZE_MAX, 8, NULL, &out), E_RANGE);
    EXPECT_PANIC((void)kbox_new(0, 8, NULL), "kbox_new: invalid layout (size 0, align 8): E_INVAL");
}

/* ---- kmalloc ------------------------------------------------------------------------- */

static void test_kmalloc_alignment_and_layout(void **state)
{
    (void)state;
    void *ps[100];
    for (size_t n = 0; n < 100; n++) {
        ps[n] = kmalloc(n + 1);
        assert_non_null(ps[n]);
        assert_int_equal((uintptr_t)ps[n] % KMALLOC_ALIGN, 0);
        assert_int_equal(kmalloc_size(ps[n]), n + 1);
        memset(ps[n], (int)n, n + 1);
    }
    /* the allocator sees { 16 + size, 16 } */
    assert_int_equal(ta.live_bytes, 100 * 16 + 100 * 101 / 2);
    for (size_t n = 0; n < 100; n++)
        kfree(ps[n]);
    assert_int_equal(ta.deallocs, 100);
}

static void test_kmalloc_zero(void **state)
{
    (void)state;
    /* kmalloc(0): a unique non-NULL pointer to zero bytes, freed with kfree */
    void *a = kmalloc(0), *b = kmalloc(0);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_int_equal((uintptr_t)a % KMALLOC_ALIGN, 0);
    assert_int_equal(kmalloc_size(a), 0);
    void *c = kzalloc(0);
    assert_non_null(c);
    void *d = kcalloc(0, 8);
    assert_non_null(d);
    kfree(a);
    kfree(b);
    kfree(c);
    kfree(d);
    assert_int_equal(ta.live_blocks, 0);
}

static void test_kmalloc_huge(void **state)
{
    (void)state;
    assert_null(kmalloc(SIZE_MAX));
    assert_null(kmalloc(SIZE_MAX - 16));
    assert_null(kmalloc(SIZE_MAX - 30)); /* 16 + size rounded up to 16 overflows */
    assert_null(kzalloc(SIZE_MAX));
    assert_int_equal(ta.allocs, 0);
    ta.fail_after = 0;
    assert_null(kmalloc(64));
    assert_int_equal(ta.allocs, 1);
}

static void test_kzalloc_kcalloc(void **state)
{
    (void)state;
    unsigned char *p = kzalloc(333);
    assert_non_null(p);
    assert_true(all_zero(p, 333));
    kfree(p);
    long *q = kcalloc(10, sizeof(long));
    assert_true(all_zero(q, 10 * sizeof(long)));
    assert_int_equal(kmalloc_size(q), 80);
    kfree(q);
    alloc_set_global(&ta_full);
    p = kzalloc(100);
    assert_int_equal(ta.zeroed, 1);
    assert_true(all_zero(p, 100));
    kfree(p);
    /* overflow: NULL, and the allocator is not even asked */
    unsigned calls = ta.allocs + ta.zeroed;
    assert_null(kcalloc(SIZE_MAX / 2, 3));
    assert_null(kcalloc(3, SIZE_MAX / 2));
    assert_null(kcalloc(SIZE_MAX, SIZE_MAX));
    assert_int_equal(ta.allocs + ta.zeroed, calls);
}

static void krealloc_checks(void)
{
    unsigned char *p = krealloc(NULL, 24);
    assert_non_null(p);
    assert_int_equal(kmalloc_size(p), 24);
    FILL(p, 24, 9);
    unsigned char *q = krealloc(p, 5000);
    assert_non_null(q);
    assert_int_equal((uintptr_t)q % 16, 0);
    assert_int_equal(kmalloc_size(q), 5000);
    check_fill(q, 24, 9);
    FILL(q, 5000, 1);
    p = krealloc(q, 7);
    check_fill(p, 7, 1);
    /* failure leaves the old block intact and usable */
    ta.fail_after = 0;
    assert_null(krealloc(p, 100000));
    assert_null(krealloc(p, SIZE_MAX));
    ta.fail_after = -1;
    assert_int_equal(kmalloc_size(p), 7);
    check_fill(p, 7, 1);
    /* to zero bytes: still a block, freed with kfree */
    q = krealloc(p, 0);
    assert_non_null(q);
    assert_int_equal(kmalloc_size(q), 0);
    kfree(q);
}

static void test_krealloc(void **state)
{
    (void)state;
    krealloc_checks();
    assert_int_equal(ta.reallocs, 0);
    alloc_set_global(&ta_full);
    krealloc_checks();
    assert_true(ta.reallocs >= 3);
}

static void test_kfree(void **state)
{
    (void)state;
    kfree(NULL);
    assert_int_equal(ta.deallocs, 0);
    char *p = kmalloc(64);
    /* a pointer kmalloc did not return */
    EXPECT_PANIC(kfree(p + 32), "kfree: bad block header at");
    EXPECT_PANIC(kfree(p + 8), "kfree: pointer");
    EXPECT_PANIC(krealloc(p + 32, 8), "krealloc: bad block header");
    /* a corrupted header */
    ((size_t *)p)[-2] ^= 1;
    EXPECT_PANIC(kfree(p), "kfree: bad block header");
    ((size_t *)p)[-2] ^= 1;
    kfree(p);
    assert_int_equal(ta.deallocs, 1);
    /* a double free, while the freed memory is still readable */
    ta.quarantine = true;
    p = kmalloc(8);
    kfree(p);
    EXPECT_PANIC(kfree(p), "kfree: bad block header");
    assert_int_equal(ta.deallocs, 2);
}

/* ---- the set-once alloc error handler (its own group, last) -------------------------- */

static int h1_calls, h2_calls;
static struct layout h1_layout;

static void handler1(struct layout l)
{
    h1_calls++;
    h1_layout = l;
}

static void handler2(struct layout l)
{
    (void)l;
    h2_calls++;
}

static void test_error_handler_set_once(void **state)
{
    (void)state;
    assert_false(alloc_error_handler_installed());
    assert_int_equal(alloc_set_error_handler(NULL), E_INVAL);
    assert_false(alloc_error_handler_installed());
    assert_int_equal(alloc_set_error_handler(handler1), E_OK);
    assert_true(alloc_error_handler_installed());
    assert_int_equal(alloc_set_error_handler(handler2), E_EXISTS);
    assert_int_equal(alloc_set_error_handler(handler1), E_EXISTS);
    assert_true(alloc_error_handler_installed());

    /* the first handler runs; it returns, so handle_alloc_error panics saying so */
    EXPECT_PANIC(handle_alloc_error((struct layout){24, 8}),
                 "handle_alloc_error: alloc error handler returned "
                 "(Layout { size: 24, align: 8 })");
    assert_int_equal(h1_calls, 1);
    assert_int_equal(h2_calls, 0);
    assert_int_equal(h1_layout.size, 24);
    assert_int_equal(h1_layout.align, 8);

    /* the infallible layer goes through it too */
    alloc_set_global(&dummy_allocator);
    EXPECT_PANIC((void)KBOX_NEW(short, 1),
                 "alloc error handler returned (Layout { size: 2, align: 2 })");
    assert_int_equal(h1_calls, 2);
    assert_int_equal(h2_calls, 0);
    alloc_set_global(NULL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, ta_setup_basic, ta_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_new),
        cmocka_unit_test(test_layout_array),
        T(test_dispatch_misuse_panics),
        cmocka_unit_test(test_alloc_at_records_caller),
        T(test_default_alloc_zeroed),
        T(test_default_realloc),
        T(test_custom_realloc),
        cmocka_unit_test(test_global_default_is_dummy),
        cmocka_unit_test(test_default_handler_text),
        T(test_alloc_or_die),
        T(test_dummy),
        T(test_kbox_under_dummy),
        T(test_kbox),
        T(test_kmalloc_alignment_and_layout),
        T(test_kmalloc_zero),
        T(test_kmalloc_huge),
        T(test_kzalloc_kcalloc),
        T(test_krealloc),
        T(test_kfree),
    };
    const struct CMUnitTest once[] = {
        cmocka_unit_test(test_error_handler_set_once),
    };
    int failed = cmocka_run_group_tests_name("alloc", tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("alloc_error_handler", once, NULL, NULL);
    return failed;
}
