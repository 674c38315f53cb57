/* SPDX-License-Identifier: MIT */
/*
 * Host tests for lib/kprintf.c: every conversion, flag, width/precision (also '*'),
 * length modifier, %p, "(null)", the extremes of each integer type, ksnprintf
 * truncation and its return value, unknown conversions printed verbatim, the console
 * sink, and the log ring (klog_copy) across wrap-around. Where C defines the output,
 * it is also cross-checked against the host libc's snprintf.
 */
#include "support.h"

#include <limits.h>
#include <stdio.h>

#include "lib/fmt_size.h"
#include "lib/kprintf.h"
#include "lib/types.h"

/* The tests pass legal but odd formats on purpose ("%+ d", "%-05d", "%09.5d", "", a NULL
 * %s), which the compilers' format checks flag. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-overflow"
#endif

static char buf[1024];

/* ksnprintf must produce exactly `want` and return its length. */
#define F(want, ...)                                                                               \
    do {                                                                                           \
        int n_ = ksnprintf(buf, sizeof(buf), __VA_ARGS__);                                         \
        assert_string_equal(buf, want);                                                            \
        assert_int_equal(n_, (int)strlen(want));                                                   \
    } while (0)

/* ksnprintf must agree with the host's snprintf. */
#define SAME(...)                                                                                  \
    do {                                                                                           \
        char libc_[512];                                                                           \
        int l_ = snprintf(libc_, sizeof(libc_), __VA_ARGS__);                                      \
        int n_ = ksnprintf(buf, sizeof(buf), __VA_ARGS__);                                         \
        assert_string_equal(buf, libc_);                                                           \
        assert_int_equal(n_, l_);                                                                  \
    } while (0)

static void test_conversions(void **state)
{
    (void)state;
    F("", "%s", "");
    F("plain text", "plain text");
    F("42 -42 42", "%d %i %u", 42, -42, 42u);
    F("ff FF 17", "%x %X %o", 255u, 255u, 15u);
    F("A", "%c", 'A');
    F("hi there", "%s %s", "hi", "there");
    F("100%", "100%%");
    F("0x00000000deadbeef", "%p", (void *)0xdeadbeef);
    F("0x0000000000000000", "%p", (void *)0);
    F("0xffffffffffffffff", "%p", (void *)UINTPTR_MAX);
    F("(null)", "%s", (char *)NULL);
    F("[  (null)]", "[%8s]", (char *)NULL);
    F("0 0 0", "%d %x %o", 0, 0u, 0u);
    SAME("%d|%i|%u|%x|%X|%o|%c|%s|%%", -7, 8, 9u, 0xabcu, 0xabcu, 8u, 'q', "str");
}

static void test_flags_width_precision(void **state)
{
    (void)state;
    F("[   42]", "[%5d]", 42);
    F("[42   ]", "[%-5d]", 42);
    F("[00042]", "[%05d]", 42);
    F("[-0042]", "[%05d]", -42);
    F("[+42]", "[%+d]", 42);
    F("[ 42]", "[% d]", 42);
    F("[+42]", "[%+ d]", 42); /* '+' wins over ' ' */
    F("[-42]", "[%+d]", -42);
    F("[0x2a]", "[%#x]", 42u);
    F("[0X2A]", "[%#X]", 42u);
    F("[052]", "[%#o]", 42u);
    F("[0]", "[%#x]", 0u); /* no prefix for 0 */
    F("[0x002a]", "[%#06x]", 42u);
    F("[00042]", "[%.5d]", 42);
    F("[   00042]", "[%8.5d]", 42);
    F("[    00042]", "[%09.5d]", 42); /* a precision disables '0' */
    F("[-00042]", "[%.5d]", -42);
    F("[]", "[%.0d]", 0); /* precision 0, value 0: no digits */
    F("[  ]", "[%2.0d]", 0);
    F("[abc]", "[%.3s]", "abcdef");
    F("[  abc]", "[%5.3s]", "abcdef");
    F("[abc  ]", "[%-5.3s]", "abcdef");
    F("[abcdef]", "[%2s]", "abcdef"); /* width is a minimum */
    F("[    x]", "[%5c]", 'x');
    F("[x    ]", "[%-5c]", 'x');
    F("[42   ]", "[%-05d]", 42); /* '-' wins over '0' */
    /* '*' width and precision, negative values */
    F("[   42]", "[%*d]", 5, 42);
    F("[42   ]", "[%*d]", -5, 42);
    F("[00042]", "[%.*d]", 5, 42);
    F("[42]", "[%.*d]", -1, 42); /* a negative precision is none */
    F("[  abc]", "[%*.*s]", 5, 3, "abcdef");
    F("[abcdef]", "[%.*s]", -3, "abcdef");
    F("[  0x0000000000000010]", "[%20p]", (void *)0x10);
    F("[0x0000000000000010   ]", "[%-21p]", (void *)0x10);
}

static void test_length_modifiers(void **state)
{
    (void)state;
    F("44 -56", "%hhd %hhd", 300, 200);
    F("5 255", "%hhu %hhu", 261u, 255u);
    F("4464 -1", "%hd %hd", 70000, 65535);
    F("65535 ffff", "%hu %hx", 65535u, 0xffffu);
    F("-9223372036854775808", "%ld", LONG_MIN);
    F("9223372036854775807", "%ld", LONG_MAX);
    F("18446744073709551615", "%lu", ULONG_MAX);
    F("-9223372036854775808", "%lld", LLONG_MIN);
    F("-9223372036854775808", "%lli", (long long)INT64_MIN);
    F("ffffffffffffffff", "%llx", ULLONG_MAX);
    F("1777777777777777777777", "%llo", ULLONG_MAX);
    F("18446744073709551615", "%zu", SIZE_MAX);
    F("ffffffffffffffff", "%zx", SIZE_MAX);
    F("-5", "%td", (ptrdiff_t)-5);
    F("-9223372036854775808", "%jd", INTMAX_MIN);
    F("18446744073709551615", "%ju", UINTMAX_MAX);
    F("-2147483648 2147483647 4294967295", "%d %d %u", INT_MIN, INT_MAX, UINT_MAX);
    F("[-9223372036854775808]", "[%5lld]", (long long)INT64_MIN);
    F("[-009223372036854775808]", "[%022lld]", (long long)INT64_MIN);
    SAME("%hhd|%hd|%ld|%lld|%zd|%jd|%td", (signed char)-128, (short)-32768, LONG_MIN, LLONG_MIN,
         (ptrdiff_t)PTRDIFF_MIN, INTMAX_MIN, (ptrdiff_t)-1);
}

/* Cross-checks every combination of the flags with widths and precisions against libc,
 * for the conversions where C defines the result and kprintf follows it. */
/* Absurd widths and precisions saturate (at 4096) instead of overflowing an int. */
static void test_huge_fields(void **state)
{
    (void)state;
    char small[8];
    assert_int_equal(ksnprintf(small, sizeof(small), "%99999999999d", 1), 4096);
    assert_string_equal(small, "       ");
    assert_int_equal(ksnprintf(small, sizeof(small), "%.99999999999d", 1), 4096);
    assert_string_equal(small, "0000000");
    assert_int_equal(ksnprintf(small, sizeof(small), "%*d|", INT_MIN, 7), 4097);
    assert_string_equal(small, "7      ");
    assert_int_equal(ksnprintf(small, sizeof(small), "%.*d", INT_MAX, 7), 4096);
}

static void test_against_libc(void **state)
{
    (void)state;
    /* Signed conversions take every flag. */
    static const char *flags[] = {"", "-", "0", "+", " ", "#", "-+", "0 ", "+0", "-0 +"};
    static const char *widths[] = {"", "1", "6", "25"};
    static const char *precs[] = {"", ".0", ".1", ".4", ".20"};
    static const long long ivals[] = {0, 1, -1, 42, -42, 123456789, LLONG_MIN, LLONG_MAX};
    static const unsigned long long uvals[] = {0, 1, 8, 255, 0xdeadbeef, ULLONG_MAX};
    char fmt[32], libc[128];
    int checked = 0;
    for (size_t f = 0; f < ARRAY_SIZE(flags); f++)
        for (size_t w = 0; w < ARRAY_SIZE(widths); w++)
            for (size_t p = 0; p < ARRAY_SIZE(precs); p++) {
                snprintf(fmt, sizeof(fmt), "[%%%s%s%slld]", flags[f], widths[w], precs[p]);
                if (strchr(flags[f], '#'))
                    continue; /* '#' is undefined for d */
                for (size_t v = 0; v < ARRAY_SIZE(ivals); v++) {
                    int l = snprintf(libc, sizeof(libc), fmt, ivals[v]);
                    int n = ksnprintf(buf, sizeof(buf), fmt, ivals[v]);
                    if (strcmp(buf, libc) != 0 || n != l)
                        fail_msg("%s with %lld: kprintf \"%s\", libc \"%s\"", fmt, ivals[v], buf,
                                 libc);
                    checked++;
                }
            }
    /* Unsigned conversions, with every flag: C ignores '+' and ' ' for them, and '#' with
     * 'o' adds a 0 only when the digits do not already start with one. */
    static const char *uflags[] = {"", "-", "0", "#", "-#", "0#", "+", " ", "+#0"};
    static const char convs[] = {'u', 'x', 'X', 'o'};
    for (size_t c = 0; c < ARRAY_SIZE(convs); c++)
        for (size_t f = 0; f < ARRAY_SIZE(uflags); f++)
            for (size_t w = 0; w < ARRAY_SIZE(widths); w++)
                for (size_t p = 0; p < ARRAY_SIZE(precs); p++)
                    for (size_t v = 0; v < ARRAY_SIZE(uvals); v++) {
                        snprintf(fmt, sizeof(fmt), "[%%%s%s%sll%c]", uflags[f], widths[w], precs[p],
                                 convs[c]);
                        int l = snprintf(libc, sizeof(libc), fmt, uvals[v]);
                        int n = ksnprintf(buf, sizeof(buf), fmt, uvals[v]);
                        if (strcmp(buf, libc) != 0 || n != l)
                            fail_msg("%s with %llu: kprintf \"%s\", libc \"%s\"", fmt, uvals[v],
                                     buf, libc);
                        checked++;
                    }
    /* Strings and characters: '-' and widths/precisions. */
    static const char *sflags[] = {"", "-"};
    static const char *strs[] = {"", "a", "hello", "a longer string of text"};
    for (size_t f = 0; f < ARRAY_SIZE(sflags); f++)
        for (size_t w = 0; w < ARRAY_SIZE(widths); w++)
            for (size_t p = 0; p < ARRAY_SIZE(precs); p++) {
                snprintf(fmt, sizeof(fmt), "[%%%s%s%ss]", sflags[f], widths[w], precs[p]);
                for (size_t v = 0; v < ARRAY_SIZE(strs); v++) {
                    int l = snprintf(libc, sizeof(libc), fmt, strs[v]);
                    int n = ksnprintf(buf, sizeof(buf), fmt, strs[v]);
                    if (strcmp(buf, libc) != 0 || n != l)
                        fail_msg("%s with \"%s\": kprintf \"%s\", libc \"%s\"", fmt, strs[v], buf,
                                 libc);
                    checked++;
                }
                snprintf(fmt, sizeof(fmt), "[%%%s%sc]", sflags[f], widths[w]);
                SAME(fmt, 'z');
            }
    assert_true(checked > 2000);
}

static void test_unknown_conversion(void **state)
{
    (void)state;
    /* printed verbatim, including flags and width, so the mistake is visible; it
     * consumes no argument */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#if defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-invalid-specifier"
#endif
    F("a%yb", "a%yb");
    F("[%-5k] 7", "[%-5k] %d", 7);
    F("%lq", "%lq");
    F("abc%", "abc%");
    F("%", "%");
#pragma GCC diagnostic pop
}

static void test_snprintf_truncation(void **state)
{
    (void)state;
    char small[8];
    memset(small, 'X', sizeof(small));
    assert_int_equal(ksnprintf(small, 5, "hello world"), 11);
    assert_string_equal(small, "hell");
    assert_int_equal(small[5], 'X'); /* nothing written past size */
    assert_int_equal(ksnprintf(small, sizeof(small), "%d", -1234567), 8);
    assert_string_equal(small, "-123456");
    assert_int_equal(ksnprintf(small, sizeof(small), "%s", "1234567"), 7);
    assert_string_equal(small, "1234567");
    memset(small, 'X', sizeof(small));
    assert_int_equal(ksnprintf(small, 1, "abc"), 3);
    assert_int_equal(small[0], '\0');
    assert_int_equal(small[1], 'X');
    memset(small, 'X', sizeof(small));
    assert_int_equal(ksnprintf(small, 0, "abc"), 3);
    assert_int_equal(small[0], 'X');
    assert_int_equal(ksnprintf(NULL, 0, "%0100d", 1), 100); /* measuring */
    assert_int_equal(ksnprintf(small, sizeof(small), ""), 0);
    assert_string_equal(small, "");
    /* truncation inside padding and inside a number */
    assert_int_equal(ksnprintf(small, 4, "%10d", 5), 10);
    assert_string_equal(small, "   ");
    assert_int_equal(ksnprintf(small, 4, "%x", 0xabcdefu), 6);
    assert_string_equal(small, "abc");
}

static void vcall(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(out, n, fmt, ap);
    va_end(ap);
}

static void test_kvsnprintf(void **state)
{
    (void)state;
    vcall(buf, sizeof(buf), "%s=%d", "x", 3);
    assert_string_equal(buf, "x=3");
}

/* ---- the console sink and the log ring ----------------------------------------------- */

static char sink_out[256];
static size_t sink_len, sink_calls;

static void sink(const char *s, size_t n, void *ctx)
{
    assert_ptr_equal(ctx, &sink_len);
    if (sink_len + n < sizeof(sink_out)) {
        memcpy(sink_out + sink_len, s, n);
        sink_len += n;
        sink_out[sink_len] = '\0';
    }
    sink_calls++;
}

static void test_kprintf_sink(void **state)
{
    (void)state;
    kprintf_set_sink(sink, &sink_len);
    assert_int_equal(kprintf("x=%d, %s\n", 5, "ok"), 8);
    assert_string_equal(sink_out, "x=5, ok\n");
    assert_true(sink_calls < 8); /* runs of text and fields, not characters */
    kprintf_set_sink(NULL, NULL);
    kprintf("not to the sink");
    assert_string_equal(sink_out, "x=5, ok\n");
    /* but to the log */
    char tail[16];
    assert_int_equal(klog_copy(tail, 15), 15);
    assert_memory_equal(tail, "not to the sink", 15);
}

static void test_klog_newest(void **state)
{
    (void)state;
    kprintf("marker-%d", 12345);
    char tail[8];
    assert_int_equal(klog_copy(tail, 5), 5); /* the newest bytes when cap is small */
    assert_memory_equal(tail, "12345", 5);
    assert_int_equal(klog_copy(tail, 0), 0);
    static char all[KLOG_SIZE];
    size_t n = klog_copy(all, sizeof(all));
    assert_true(n >= 12 && n <= KLOG_SIZE);
    assert_memory_equal(all + n - 12, "marker-12345", 12);
}

static void test_klog_wraparound(void **state)
{
    (void)state;
    /* write 2.5 times the ring, line by line, and keep our own copy of the text */
    enum { TOTAL = KLOG_SIZE * 5 / 2 };
    static char text[TOTAL + 64];
    size_t len = 0;
    for (int i = 0; len < TOTAL; i++) {
        int k = kprintf("line %06d: %s\n", i, i % 3 ? "abc" : "xyzzy");
        int l =
            snprintf(text + len, sizeof(text) - len, "line %06d: %s\n", i, i % 3 ? "abc" : "xyzzy");
        assert_int_equal(k, l);
        len += (size_t)l;
    }
    static char ring[KLOG_SIZE + 100];
    memset(ring, 0, sizeof(ring));
    assert_int_equal(klog_copy(ring, sizeof(ring)), KLOG_SIZE); /* only the ring is kept */
    assert_memory_equal(ring, text + len - KLOG_SIZE, KLOG_SIZE);
    assert_int_equal(ring[KLOG_SIZE], 0);
    /* a partial copy across the wrap point */
    size_t part = KLOG_SIZE / 2 + 17;
    assert_int_equal(klog_copy(ring, part), part);
    assert_memory_equal(ring, text + len - part, part);
}

/* lib/fmt_size.c: binary units, one decimal, rounded down; the tables the kernel prints use it. */
static void test_fmt_size(void **state)
{
    (void)state;
    char b[32];
    const struct {
        uint64_t v;
        const char *s;
    } cases[] = {
        {0, "0 B"},
        {1023, "1023 B"},
        {1024, "1.0 KiB"},
        {0x9f000, "636.0 KiB"},
        {0x7ee0000, "126.8 MiB"},
        {3 * GiB / 2, "1.5 GiB"},
        {0x40000000000, "4.0 TiB"},
        {UINT64_MAX, "15.9 EiB"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        /* the return is the full length, as snprintf's */
        assert_int_equal(fmt_size(cases[i].v, b, sizeof(b)), (int)strlen(cases[i].s));
        assert_string_equal(b, cases[i].s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conversions),         cmocka_unit_test(test_flags_width_precision),
        cmocka_unit_test(test_length_modifiers),    cmocka_unit_test(test_against_libc),
        cmocka_unit_test(test_huge_fields),         cmocka_unit_test(test_unknown_conversion),
        cmocka_unit_test(test_snprintf_truncation), cmocka_unit_test(test_kvsnprintf),
        cmocka_unit_test(test_kprintf_sink),        cmocka_unit_test(test_klog_newest),
        cmocka_unit_test(test_klog_wraparound),     cmocka_unit_test(test_fmt_size),
    };
    return cmocka_run_group_tests_name("kprintf", tests, NULL, NULL);
}
