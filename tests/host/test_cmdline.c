/* SPDX-License-Identifier: MIT */
/* Host tests for lib/cmdline.c: words, keys, values and numbers. */
#include "support.h"

#include "lib/cmdline.h"

static void test_words(void **state)
{
    (void)state;
    const char *cur = "  test=boot.println  heap_max=4M\tverbose ";
    struct cmdline_opt o;
    assert_true(cmdline_next(&cur, &o));
    assert_true(cmdline_key_is(&o, "test"));
    assert_false(cmdline_key_is(&o, "tes"));
    assert_int_equal(o.val_len, 12);
    assert_memory_equal(o.val, "boot.println", 12);
    assert_true(cmdline_next(&cur, &o));
    assert_true(cmdline_key_is(&o, "heap_max"));
    uint64_t v = 0;
    assert_int_equal(cmdline_parse_u64(o.val, o.val_len, &v), E_OK);
    assert_int_equal(v, 4 * 1024 * 1024);
    assert_true(cmdline_next(&cur, &o));
    assert_true(cmdline_key_is(&o, "verbose"));
    assert_null(o.val);
    assert_false(cmdline_next(&cur, &o));
    assert_false(cmdline_next(&cur, &o));
}

static void test_empty_and_null(void **state)
{
    (void)state;
    struct cmdline_opt o;
    const char *cur = "";
    assert_false(cmdline_next(&cur, &o));
    cur = "   \t ";
    assert_false(cmdline_next(&cur, &o));
    cur = NULL;
    assert_false(cmdline_next(&cur, &o));
}

static void test_empty_value(void **state)
{
    (void)state;
    const char *cur = "a= b";
    struct cmdline_opt o;
    assert_true(cmdline_next(&cur, &o));
    assert_non_null(o.val);
    assert_int_equal(o.val_len, 0);
    char buf[4];
    assert_int_equal(cmdline_val_copy(&o, buf, sizeof(buf)), E_OK);
    assert_string_equal(buf, "");
    assert_true(cmdline_next(&cur, &o));
    assert_int_equal(cmdline_val_copy(&o, buf, sizeof(buf)), E_INVAL);
}

static void test_val_copy_bounds(void **state)
{
    (void)state;
    const char *cur = "k=abcd";
    struct cmdline_opt o;
    assert_true(cmdline_next(&cur, &o));
    char small[4], fit[5];
    assert_int_equal(cmdline_val_copy(&o, small, sizeof(small)), E_RANGE);
    assert_int_equal(cmdline_val_copy(&o, fit, sizeof(fit)), E_OK);
    assert_string_equal(fit, "abcd");
}

static void test_numbers(void **state)
{
    (void)state;
    uint64_t v;
#define NUM(s) cmdline_parse_u64(s, strlen(s), &v)
    assert_int_equal(NUM("0"), E_OK);
    assert_int_equal(v, 0);
    assert_int_equal(NUM("123"), E_OK);
    assert_int_equal(v, 123);
    assert_int_equal(NUM("0x1F"), E_OK);
    assert_int_equal(v, 31);
    assert_int_equal(NUM("16K"), E_OK);
    assert_int_equal(v, 16384);
    assert_int_equal(NUM("2g"), E_OK);
    assert_int_equal(v, 2ull << 30);
    assert_int_equal(NUM("1T"), E_OK);
    assert_int_equal(v, 1ull << 40);
    assert_int_equal(NUM("3t"), E_OK);
    assert_int_equal(v, 3ull << 40);
    assert_int_equal(NUM("16777216T"), E_RANGE);
    assert_int_equal(NUM("18446744073709551615"), E_OK);
    assert_int_equal(v, UINT64_MAX);
    assert_int_equal(NUM("18446744073709551616"), E_RANGE);
    assert_int_equal(NUM("17179869184G"), E_RANGE);
    assert_int_equal(NUM(""), E_INVAL);
    assert_int_equal(NUM("0x"), E_INVAL);
    assert_int_equal(NUM("12Q"), E_INVAL);
    assert_int_equal(NUM("12KB"), E_INVAL);
    assert_int_equal(NUM("abc"), E_INVAL);
#undef NUM
}

static void test_escape(void **state)
{
    (void)state;
    char out[64];
    const char raw[] = "a\x1b[2J\x07\\b\x7f\xff\tz";
    size_t n = sizeof(raw) - 1;
    assert_int_equal(cmdline_escape(raw, n, out, sizeof(out)), n);
    assert_string_equal(out, "a\\x1b[2J\\x07\\\\b\\x7f\\xff\\x09z");
    for (const char *c = out; *c; c++)
        assert_true(*c >= 0x20 && *c < 0x7f);
    /* Too small: stops before the first escape that does not fit, NUL-terminated. */
    char small[6];
    assert_int_equal(cmdline_escape(raw, n, small, 5), 1); /* "a", then \x1b needs 4 + NUL */
    assert_string_equal(small, "a");
    assert_int_equal(cmdline_escape(raw, n, small, 6), 2);
    assert_string_equal(small, "a\\x1b");
    assert_int_equal(cmdline_escape("abcdefgh", 8, small, sizeof(small)), 5);
    assert_string_equal(small, "abcde");
    assert_int_equal(cmdline_escape("x", 1, small, 0), 0);
}

static void test_check_bytes(void **state)
{
    (void)state;
    size_t n, at = 99;
    n = 12;
    assert_int_equal(cmdline_check_bytes("heap_max=16M", &n, &at), E_OK);
    assert_int_equal(n, 12);
    n = 14; /* a file written with its C string's NUL, and one more */
    assert_int_equal(cmdline_check_bytes("heap_max=16M\0\0", &n, &at), E_OK);
    assert_int_equal(n, 12);
    n = 16;
    assert_int_equal(cmdline_check_bytes("heap_max=16M\0a=b", &n, &at), E_INVAL);
    assert_int_equal(at, 12);
    n = 3;
    assert_int_equal(cmdline_check_bytes("\0\0\0", &n, &at), E_OK);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),       cmocka_unit_test(test_empty_and_null),
        cmocka_unit_test(test_empty_value), cmocka_unit_test(test_val_copy_bounds),
        cmocka_unit_test(test_numbers),     cmocka_unit_test(test_escape),
        cmocka_unit_test(test_check_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
