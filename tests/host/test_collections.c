/* SPDX-License-Identifier: MIT */
/*
 * Host tests for the collections in lib/: kvec, kstring, krc (kbox is in test_alloc.c).
 *
 * Every test case runs over the malloc-backed test allocator (tests/host/test_allocator.h,
 * as in test_alloc.c) installed as the global one: it checks every dealloc/realloc against
 * the layout the block was allocated with, junk-fills new blocks, can fail after N
 * allocations and can keep freed blocks readable (quarantine). The teardown is the leak
 * check: it fails the case if any byte is still live. No alloc error handler is installed here, so
 * allocation failure in the infallible calls ends in the default handler's panic.
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/alloc.h"
#include "lib/collections/krc.h"
#include "lib/collections/kstring.h"
#include "lib/collections/kvec.h"
#include "test_allocator.h"

/* ---- kvec ---------------------------------------------------------------------------- */

static void test_kvec_push_sum_and_growth(void **state)
{
    (void)state;
    struct kvec v = KVEC_INIT(int);
    size_t caps[32], ncaps = 0;
    caps[ncaps++] = kvec_capacity(&v);
    for (int i = 0; i < 1000; i++) {
        kvec_push(&v, &i);
        if (kvec_capacity(&v) != caps[ncaps - 1])
            caps[ncaps++] = kvec_capacity(&v);
    }
    const size_t want[] = {0, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
    assert_int_equal(ncaps, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < ncaps; i++)
        assert_int_equal(caps[i], want[i]);
    long sum = 0;
    for (size_t i = 0; i < kvec_len(&v); i++)
        sum += *(int *)kvec_get(&v, i);
    assert_int_equal(sum, 499500);
    assert_int_equal(kvec_len(&v), 1000);
    /* one alloc, then every growth through the allocator's realloc */
    assert_int_equal(ta.allocs, 1);
    assert_int_equal(ta.reallocs, 8);
    assert_int_equal(ta.live_bytes, 1024 * sizeof(int));
    kvec_drop(&v);
    assert_int_equal(ta.live_bytes, 0);
    assert_int_equal(kvec_capacity(&v), 0);
    assert_null(kvec_data(&v));
    /* a dropped vec is reusable */
    KVEC_PUSH(&v, int, 7);
    assert_int_equal(KVEC_AT(&v, int, 0), 7);
    kvec_drop(&v);
}

static void test_kvec_growth_by_elem_size(void **state)
{
    (void)state;
    /* Rust's min_non_zero_cap: 8 for 1-byte elements, 4 up to 1 KiB, 1 above */
    struct kvec b = KVEC_INIT(char);
    kvec_push(&b, "x");
    assert_int_equal(kvec_capacity(&b), 8);
    for (int i = 0; i < 8; i++)
        kvec_push(&b, "y");
    assert_int_equal(kvec_capacity(&b), 16);
    kvec_drop(&b);

    struct big {
        char bytes[2000];
    };
    struct kvec g = KVEC_INIT(struct big);
    static struct big one;
    size_t caps[4];
    for (int i = 0; i < 4; i++) {
        kvec_push(&g, &one);
        caps[i] = kvec_capacity(&g);
    }
    assert_int_equal(caps[0], 1);
    assert_int_equal(caps[1], 2);
    assert_int_equal(caps[2], 4);
    assert_int_equal(caps[3], 4);
    kvec_drop(&g);

    /* alignment of the buffer follows the element's */
    struct kvec a;
    kvec_init(&a, 64, 64);
    static _Alignas(64) char elem[64];
    kvec_push(&a, elem);
    assert_int_equal((uintptr_t)kvec_data(&a) % 64, 0);
    kvec_drop(&a);
}

static void test_kvec_default_realloc(void **state)
{
    (void)state;
    alloc_set_global(&ta_basic); /* realloc = alloc + copy + dealloc */
    struct kvec v = KVEC_INIT(long);
    for (long i = 0; i < 100; i++)
        kvec_push(&v, &i);
    for (long i = 0; i < 100; i++)
        assert_int_equal(KVEC_AT(&v, long, (size_t)i), i);
    assert_int_equal(ta.reallocs, 0);
    assert_int_equal(ta.live_blocks, 1);
    kvec_drop(&v);
}

static void test_kvec_pop_get_set(void **state)
{
    (void)state;
    struct kvec v;
    kvec_init(&v, sizeof(int), _Alignof(int));
    int x = 0;
    assert_false(kvec_pop(&v, &x));
    for (int i = 10; i < 13; i++)
        KVEC_PUSH(&v, int, i);
    assert_int_equal(*(int *)kvec_get(&v, 2), 12);
    EXPECT_PANIC(kvec_get(&v, 3), "kvec_get: index 3 out of bounds (len 3)");
    EXPECT_PANIC(kvec_get(&v, SIZE_MAX), "kvec_get: index 18446744073709551615 out of bounds");
    EXPECT_PANIC((void)KVEC_AT(&v, int, 5), "kvec_get: index 5 out of bounds (len 3)");
    x = 99;
    kvec_set(&v, 1, &x);
    assert_int_equal(KVEC_AT(&v, int, 1), 99);
    KVEC_AT(&v, int, 1) = 11;
    EXPECT_PANIC(kvec_set(&v, 3, &x), "kvec_set: index 3 out of bounds (len 3)");
    EXPECT_PANIC((void)KVEC_AT(&v, long, 0), "kvec_get_sized: element size 8 does not match");
    EXPECT_PANIC(KVEC_PUSH(&v, char, 1), "kvec_push_sized: element size 1 does not match");
    for (int i = 12; i >= 10; i--) {
        assert_true(kvec_pop(&v, &x));
        assert_int_equal(x, i);
    }
    assert_false(kvec_pop(&v, &x));
    assert_true(kvec_is_empty(&v));
    KVEC_PUSH(&v, int, 5);
    assert_true(kvec_pop(&v, NULL));
    EXPECT_PANIC(kvec_get(&v, 0), "kvec_get: index 0 out of bounds (len 0)");
    kvec_drop(&v);
}

static void test_kvec_misuse(void **state)
{
    (void)state;
    struct kvec z = {0};
    int x = 1;
    EXPECT_PANIC(kvec_push(&z, &x), "kvec_push: vec");
    EXPECT_PANIC(kvec_reserve(&z, 1), "not initialised");
    EXPECT_PANIC(kvec_init(&z, 0, 1), "kvec_init: invalid element layout (size 0, align 1)");
    EXPECT_PANIC(kvec_init(&z, 8, 3), "kvec_init: invalid element layout (size 8, align 3)");
    EXPECT_PANIC(kvec_init(&z, 4, 8), "kvec_init: invalid element layout (size 4, align 8)");
    assert_int_equal(ta.allocs, 0);
}

static void test_kvec_reserve_shrink(void **state)
{
    (void)state;
    struct kvec v = KVEC_INIT(int);
    kvec_reserve(&v, 10);
    assert_int_equal(kvec_capacity(&v), 10);
    assert_int_equal(kvec_len(&v), 0);
    kvec_reserve(&v, 10); /* already room: nothing happens */
    assert_int_equal(kvec_capacity(&v), 10);
    assert_int_equal(ta.allocs + ta.reallocs, 1);
    for (int i = 0; i < 3; i++)
        kvec_push(&v, &i);
    kvec_shrink_to_fit(&v);
    assert_int_equal(kvec_capacity(&v), 3);
    assert_int_equal(ta.live_bytes, 3 * sizeof(int));
    for (int i = 0; i < 3; i++)
        assert_int_equal(KVEC_AT(&v, int, (size_t)i), i);
    kvec_reserve(&v, 1); /* amortised: max(2 * 3, 4) */
    assert_int_equal(kvec_capacity(&v), 6);
    kvec_reserve_exact(&v, 10); /* exact: len + 10 */
    assert_int_equal(kvec_capacity(&v), 13);
    assert_int_equal(kvec_try_reserve_exact(&v, 2), E_OK);
    assert_int_equal(kvec_capacity(&v), 13);
    kvec_clear(&v);
    assert_int_equal(kvec_len(&v), 0);
    assert_int_equal(kvec_capacity(&v), 13);
    kvec_shrink_to_fit(&v); /* empty: the buffer is freed */
    assert_int_equal(kvec_capacity(&v), 0);
    assert_null(kvec_data(&v));
    assert_int_equal(ta.live_bytes, 0);
    assert_int_equal(kvec_try_shrink_to_fit(&v), E_OK);

    /* capacity overflow: E_RANGE, or a panic for the infallible call */
    assert_int_equal(kvec_try_reserve(&v, SIZE_MAX), E_RANGE);
    assert_int_equal(kvec_try_reserve(&v, SIZE_MAX / 4), E_RANGE); /* > PTRDIFF_MAX bytes */
    assert_int_equal(kvec_try_reserve_exact(&v, SIZE_MAX / 2), E_RANGE);
    KVEC_PUSH(&v, int, 1);
    assert_int_equal(kvec_try_reserve(&v, SIZE_MAX), E_RANGE);
    EXPECT_PANIC(kvec_reserve(&v, SIZE_MAX),
                 "kvec_reserve: capacity overflow (len 1, additional 18446744073709551615, "
                 "elem size 4)");
    assert_int_equal(kvec_len(&v), 1);
    assert_int_equal(kvec_capacity(&v), 4);
    kvec_drop(&v);
}

static void test_kvec_push_self_alias(void **state)
{
    (void)state;
    struct kvec v = KVEC_INIT(long);
    long x = 42;
    kvec_push(&v, &x);
    /* pushing an element of the vec itself while growth moves the buffer */
    for (int i = 0; i < 40; i++)
        kvec_push(&v, kvec_get(&v, 0));
    for (size_t i = 0; i < kvec_len(&v); i++)
        assert_int_equal(KVEC_AT(&v, long, i), 42);
    kvec_drop(&v);
}

static void test_kvec_try_under_failure(void **state)
{
    (void)state;
    struct kvec v = KVEC_INIT(int);
    ta.fail_after = 0;
    int x = 5;
    assert_int_equal(kvec_try_push(&v, &x), E_NOMEM);
    assert_int_equal(kvec_len(&v), 0);
    assert_int_equal(kvec_capacity(&v), 0);
    assert_null(kvec_data(&v));
    ta.fail_after = -1;
    for (int i = 0; i < 4; i++)
        assert_int_equal(kvec_try_push(&v, &i), E_OK);
    void *data = kvec_data(&v);
    ta.fail_after = 0;
    assert_int_equal(kvec_try_push(&v, &x), E_NOMEM);
    assert_int_equal(kvec_try_reserve(&v, 100), E_NOMEM);
    assert_int_equal(kvec_try_reserve_exact(&v, 1), E_NOMEM);
    kvec_pop(&v, NULL);
    assert_int_equal(kvec_try_shrink_to_fit(&v), E_NOMEM);
    /* the vec is intact */
    assert_ptr_equal(kvec_data(&v), data);
    assert_int_equal(kvec_len(&v), 3);
    assert_int_equal(kvec_capacity(&v), 4);
    for (int i = 0; i < 3; i++)
        assert_int_equal(KVEC_AT(&v, int, (size_t)i), i);
    assert_int_equal(kvec_try_push(&v, &x), E_OK); /* room left: no allocation needed */
    assert_int_equal(KVEC_AT(&v, int, 3), 5);
    kvec_drop(&v);
}

static void test_kvec_infallible_under_failure(void **state)
{
    (void)state;
    struct kvec v = KVEC_INIT(int);
    ta.fail_after = 0;
    int x = 1;
    EXPECT_PANIC(kvec_push(&v, &x), "allocation error");
    assert_string_equal(host_panic_msg, "allocation error: Layout { size: 16, align: 4 }");
    ta.fail_after = -1;
    for (int i = 0; i < 4; i++)
        kvec_push(&v, &i);
    ta.fail_after = 0;
    EXPECT_PANIC(kvec_push(&v, &x), "allocation error");
    assert_string_equal(host_panic_msg, "allocation error: Layout { size: 32, align: 4 }");
    EXPECT_PANIC(kvec_reserve(&v, 100), "allocation error: Layout { size: 416, align: 4 }");
    kvec_pop(&v, NULL);
    EXPECT_PANIC(kvec_shrink_to_fit(&v), "allocation error: Layout { size: 12, align: 4 }");
    assert_int_equal(kvec_len(&v), 3);
    assert_int_equal(kvec_capacity(&v), 4);
    ta.fail_after = -1;
    kvec_drop(&v);
}

/* ---- kstring ------------------------------------------------------------------------- */

static void test_kstring_basic(void **state)
{
    (void)state;
    struct kstring s = KSTRING_INIT;
    assert_string_equal(kstring_c_str(&s), "");
    assert_int_equal(kstring_len(&s), 0);
    kstring_append(&s, "");
    kstring_append_n(&s, "abc", 0);
    assert_int_equal(ta.allocs, 0); /* nothing appended, nothing allocated */
    kstring_append(&s, "hello");
    assert_string_equal(kstring_c_str(&s), "hello");
    assert_int_equal(kstring_len(&s), 5);
    assert_int_equal(kvec_capacity(&s.bytes), 8);
    kstring_append_n(&s, ", world!!!", 7);
    assert_string_equal(kstring_c_str(&s), "hello, world");
    assert_int_equal(kstring_len(&s), 12);
    kstring_clear(&s);
    assert_string_equal(kstring_c_str(&s), "");
    assert_int_equal(kstring_len(&s), 0);
    assert_int_equal(kvec_capacity(&s.bytes), 16);
    kstring_append(&s, "x");
    assert_string_equal(kstring_c_str(&s), "x");
    kstring_drop(&s);
    assert_string_equal(kstring_c_str(&s), "");
    kstring_init(&s);
    kstring_append(&s, "again");
    assert_string_equal(kstring_c_str(&s), "again");
    kstring_drop(&s);
}

static void test_kstring_appendf(void **state)
{
    (void)state;
    struct kstring s = KSTRING_INIT;
    kstring_appendf(&s, "%d-%s-%04x", -42, "ab", 0xbeef);
    assert_string_equal(kstring_c_str(&s), "-42-ab-beef");
    kstring_appendf(&s, "|%-5s|%5zu|%%|%c", "l", (size_t)77, 'Z');
    assert_string_equal(kstring_c_str(&s), "-42-ab-beef|l    |   77|%|Z");
    kstring_appendf(&s, "%s", "");
    assert_int_equal(kstring_len(&s), 27);
    /* a long field: one growth to fit */
    kstring_clear(&s);
    kstring_appendf(&s, "%0300d", 7);
    assert_int_equal(kstring_len(&s), 300);
    assert_int_equal(kstring_c_str(&s)[0], '0');
    assert_int_equal(kstring_c_str(&s)[299], '7');
    assert_int_equal(kstring_c_str(&s)[300], '\0');
    assert_int_equal(kstring_try_appendf(&s, "%p", (void *)0x10), E_OK);
    assert_string_equal(kstring_c_str(&s) + 300, "0x0000000000000010");
    kstring_drop(&s);

    /* build a string from many pieces */
    for (int i = 0; i < 100; i++)
        kstring_appendf(&s, "%d,", i);
    assert_int_equal(kstring_len(&s), 10 * 2 + 90 * 3);
    assert_memory_equal(kstring_c_str(&s), "0,1,2,", 6);
    assert_string_equal(kstring_c_str(&s) + kstring_len(&s) - 3, "99,");
    kstring_drop(&s);
}

static void test_kstring_self_append(void **state)
{
    (void)state;
    struct kstring s = KSTRING_INIT;
    kstring_append(&s, "ab");
    for (int i = 0; i < 6; i++)
        kstring_append(&s, kstring_c_str(&s)); /* doubling, moving the buffer */
    assert_int_equal(kstring_len(&s), 128);
    for (size_t i = 0; i < 128; i++)
        assert_int_equal(kstring_c_str(&s)[i], i % 2 ? 'b' : 'a');
    kstring_append_n(&s, kstring_c_str(&s) + 1, 3);
    assert_string_equal(kstring_c_str(&s) + 128, "bab");
    kstring_drop(&s);
}

static void test_kstring_under_failure(void **state)
{
    (void)state;
    struct kstring s = KSTRING_INIT;
    ta.fail_after = 0;
    assert_int_equal(kstring_try_append(&s, "abc"), E_NOMEM);
    assert_string_equal(kstring_c_str(&s), "");
    ta.fail_after = -1;
    assert_int_equal(kstring_try_append(&s, "abcdefg"), E_OK); /* 8 bytes: the first cap */
    ta.fail_after = 0;
    assert_int_equal(kstring_try_append(&s, "h"), E_NOMEM);
    assert_int_equal(kstring_try_append_n(&s, "hij", 2), E_NOMEM);
    assert_int_equal(kstring_try_appendf(&s, "%d", 12345), E_NOMEM);
    assert_string_equal(kstring_c_str(&s), "abcdefg");
    assert_int_equal(kstring_len(&s), 7);
    assert_int_equal(kstring_try_append(&s, ""), E_OK);
    EXPECT_PANIC(kstring_append(&s, "h"), "allocation error");
    assert_string_equal(host_panic_msg, "allocation error: Layout { size: 16, align: 1 }");
    EXPECT_PANIC(kstring_appendf(&s, "%s", "xyz"),
                 "allocation error: Layout { size: 16, align: 1 }");
    assert_string_equal(kstring_c_str(&s), "abcdefg");
    ta.fail_after = -1;
    kstring_append(&s, "h");
    assert_string_equal(kstring_c_str(&s), "abcdefgh");
    kstring_drop(&s);
}

/* ---- krc ----------------------------------------------------------------------------- */

static char events[256];

static void event(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = strlen(events);
    vsnprintf(events + n, sizeof(events) - n, fmt, ap);
    va_end(ap);
}

static void log_release(void *p, struct layout l)
{
    (void)p;
    event("free%zu ", l.size);
}

struct node {
    int id;
    struct node *child; /* an rc, or NULL */
};

static void node_drop(void *obj)
{
    struct node *n = obj;
    event("drop%d ", n->id); /* the object is still valid here */
    if (n->child)
        krc_drop(n->child);
}

static void test_krc_counts_and_drop(void **state)
{
    (void)state;
    ta.on_release = log_release;
    struct node *a = KRC_NEW(struct node, node_drop, .id = 1);
    assert_int_equal(krc_count(a), 1);
    assert_ptr_equal(krc_clone(a), a);
    krc_clone(a);
    assert_int_equal(krc_count(a), 3);
    krc_drop(a);
    krc_drop(a);
    assert_int_equal(krc_count(a), 1);
    assert_string_equal(events, "");
    assert_int_equal(a->id, 1);
    krc_drop(a);
    /* the callback ran once, before the memory was freed */
    assert_string_equal(events, "drop1 free48 ");
    assert_int_equal(ta.live_bytes, 0);
}

static void test_krc_nested_drop_order(void **state)
{
    (void)state;
    ta.on_release = log_release;
    struct node *inner = KRC_NEW(struct node, node_drop, .id = 2);
    struct node *outer = KRC_NEW(struct node, node_drop, .id = 1, .child = krc_clone(inner));
    krc_drop(inner); /* outer keeps it alive */
    assert_int_equal(krc_count(inner), 1);
    assert_string_equal(events, "");
    krc_drop(outer);
    assert_string_equal(events, "drop1 drop2 free48 free48 ");
    assert_int_equal(ta.live_bytes, 0);
}

static void test_krc_layout_and_init(void **state)
{
    (void)state;
    unsigned char *z = krc_new(100, 64, NULL, NULL);
    assert_int_equal((uintptr_t)z % 64, 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(z[i], 0);
    assert_int_equal(ta.live_bytes, 64 + 100); /* header room rounded to the alignment */
    krc_drop(z);
    char *c = krc_new(3, 1, "hi", NULL);
    assert_string_equal(c, "hi");
    krc_drop(c);
    void *out = NULL;
    assert_int_equal(krc_try_new(0, 8, NULL, NULL, &out), E_INVAL);
    assert_int_equal(krc_try_new(8, 12, NULL, NULL, &out), E_INVAL);
    assert_int_equal(krc_try_new(SIZE_MAX - 8, 8, NULL, NULL, &out), E_RANGE);
    /* larger than any C object, though the block's size would not overflow: as kbox */
    assert_int_equal(krc_try_new((size_t)PTRDIFF_MAX + 1, 8, NULL, NULL, &out), E_RANGE);
    assert_null(out);
    EXPECT_PANIC(krc_new(0, 8, NULL, NULL), "krc_new: invalid layout (size 0, align 8): E_INVAL");
    assert_int_equal(krc_try_new(sizeof(long), _Alignof(long), &(long){9}, NULL, &out), E_OK);
    assert_int_equal(*(long *)out, 9);
    krc_drop(out);
    assert_int_equal(ta.live_bytes, 0);
}

static void test_krc_under_failure(void **state)
{
    (void)state;
    ta.fail_after = 0;
    void *out = NULL;
    assert_int_equal(krc_try_new(sizeof(int), _Alignof(int), NULL, NULL, &out), E_NOMEM);
    assert_null(out);
    EXPECT_PANIC((void)KRC_NEW(int, NULL, 5), "allocation error");
    assert_string_equal(host_panic_msg, "allocation error: Layout { size: 36, align: 8 }");
}

static void test_krc_underflow(void **state)
{
    (void)state;
    ta.quarantine = true; /* freed memory stays readable, as a heap's would */
    long *p = KRC_NEW(long, NULL, 1);
    krc_drop(p);
    EXPECT_PANIC(krc_drop(p), "krc_drop: refcount underflow at 0x");
    EXPECT_PANIC(krc_clone(p), "krc_clone: clone of a dropped rc at 0x");
    assert_int_equal(ta.deallocs, 1);
}

/* ---- everything together: nothing leaks ---------------------------------------------- */

static void test_no_leak_mix(void **state)
{
    (void)state;
    struct kvec strings = KVEC_INIT(struct kstring);
    for (int i = 0; i < 50; i++) {
        struct kstring s = KSTRING_INIT;
        kstring_appendf(&s, "string number %d", i);
        kvec_push(&strings, &s);
    }
    struct node *shared = KRC_NEW(struct node, node_drop, .id = 3);
    struct kvec rcs = KVEC_INIT(struct node *);
    for (int i = 0; i < 20; i++) {
        struct node *c = krc_clone(shared);
        kvec_push(&rcs, &c);
    }
    krc_drop(shared);
    assert_true(ta.live_bytes > 0);
    assert_string_equal(kstring_c_str(kvec_get(&strings, 49)), "string number 49");
    for (size_t i = 0; i < kvec_len(&strings); i++)
        kstring_drop(kvec_get(&strings, i));
    kvec_drop(&strings);
    struct node *c;
    while (kvec_pop(&rcs, &c))
        krc_drop(c);
    kvec_drop(&rcs);
    assert_string_equal(events, "drop3 ");
    assert_int_equal(ta.live_bytes, 0);
    assert_int_equal(ta.live_blocks, 0);
}

static int reset_events(void **state)
{
    events[0] = '\0';
    return ta_setup_full(state); /* collections grow through realloc */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, reset_events, ta_teardown)
    const struct CMUnitTest tests[] = {
        T(test_kvec_push_sum_and_growth),
        T(test_kvec_growth_by_elem_size),
        T(test_kvec_default_realloc),
        T(test_kvec_pop_get_set),
        T(test_kvec_misuse),
        T(test_kvec_reserve_shrink),
        T(test_kvec_push_self_alias),
        T(test_kvec_try_under_failure),
        T(test_kvec_infallible_under_failure),
        T(test_kstring_basic),
        T(test_kstring_appendf),
        T(test_kstring_self_append),
        T(test_kstring_under_failure),
        T(test_krc_counts_and_drop),
        T(test_krc_nested_drop_order),
        T(test_krc_layout_and_init),
        T(test_krc_under_failure),
        T(test_krc_underflow),
        T(test_no_leak_mix),
    };
    return cmocka_run_group_tests_name("collections", tests, NULL, NULL);
}
