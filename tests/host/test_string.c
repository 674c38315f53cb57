/* SPDX-License-Identifier: MIT */
/*
 * Host tests for lib/string.c, compared with the host libc.
 *
 * lib.cmake forces tests/host/string_rename.h into every file of this test, so
 * lib/string.c defines kstr_memcpy & co. Here the header is included once more to get
 * those declarations from lib/string.h, then the renames are undone so that the libc
 * functions keep their own names. Each function runs on many lengths, source and
 * destination alignments and (memmove) overlaps in both directions, inside buffers
 * with guard bytes, and its result is compared byte for byte with libc's.
 */
#include "string_rename.h"

#include "lib/string.h" /* our functions, as kstr_* */

#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strstr

#include "support.h" /* cmocka, and libc's <string.h> under the usual names */

#define BUF 4200

static unsigned char a_ours[BUF], a_libc[BUF], src[BUF];

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static unsigned char rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned char)rng_state;
}

static void randomise(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = rnd();
}

static int sgn(int x)
{
    return (x > 0) - (x < 0);
}

/* Lengths around every word-loop boundary, and a few large ones. */
static const size_t lens[] = {0,   1,   2,   3,   4,   5,    6,    7,    8,    9,    10,  15,  16,
                              17,  23,  24,  25,  31,  32,   33,   63,   64,   65,   100, 127, 128,
                              129, 255, 256, 257, 511, 1000, 1023, 1024, 1025, 4000, 4095};

#define NLENS (sizeof(lens) / sizeof(lens[0]))

static void test_memcpy(void **state)
{
    (void)state;
    for (size_t li = 0; li < NLENS; li++)
        for (size_t so = 0; so < 16; so++)
            for (size_t doff = 0; doff < 16; doff++) {
                size_t n = lens[li];
                if (n + 16 + 16 > BUF)
                    continue;
                randomise(src, BUF);
                randomise(a_ours, BUF);
                memcpy(a_libc, a_ours, BUF);
                void *r = kstr_memcpy(a_ours + doff, src + so, n);
                memcpy(a_libc + doff, src + so, n);
                assert_ptr_equal(r, a_ours + doff);
                if (memcmp(a_ours, a_libc, BUF) != 0)
                    fail_msg("memcpy differs: n %zu, src off %zu, dst off %zu", n, so, doff);
            }
}

static void test_memmove_overlap(void **state)
{
    (void)state;
    /* dst = src + d for d in -(n+2) .. n+2: forward and backward overlaps, disjoint */
    for (size_t li = 0; li < NLENS; li++) {
        size_t n = lens[li];
        if (n > 1100)
            continue;
        for (long d = -(long)n - 2; d <= (long)n + 2; d += (n > 64 ? 7 : 1))
            for (size_t base = 1200; base < 1204; base++) {
                randomise(a_ours, BUF);
                memcpy(a_libc, a_ours, BUF);
                size_t s = base, t = (size_t)((long)base + d);
                void *r = kstr_memmove(a_ours + t, a_ours + s, n);
                memmove(a_libc + t, a_libc + s, n);
                assert_ptr_equal(r, a_ours + t);
                if (memcmp(a_ours, a_libc, BUF) != 0)
                    fail_msg("memmove differs: n %zu, src %zu, dst %zu", n, s, t);
            }
    }
    /* the same pointer, and n = 0 */
    unsigned char x[4] = {1, 2, 3, 4};
    assert_ptr_equal(kstr_memmove(x, x, 4), x);
    assert_ptr_equal(kstr_memmove(x + 1, x, 0), x + 1);
    assert_int_equal(x[1], 2);
}

static void test_memmove_disjoint(void **state)
{
    (void)state;
    for (size_t li = 0; li < NLENS; li++)
        for (size_t so = 0; so < 9; so++)
            for (size_t doff = 0; doff < 9; doff++) {
                size_t n = lens[li];
                randomise(src, BUF);
                randomise(a_ours, BUF);
                memcpy(a_libc, a_ours, BUF);
                kstr_memmove(a_ours + doff, src + so, n);
                memmove(a_libc + doff, src + so, n);
                if (memcmp(a_ours, a_libc, BUF) != 0)
                    fail_msg("memmove differs: n %zu, src off %zu, dst off %zu", n, so, doff);
            }
}

static void test_memset(void **state)
{
    (void)state;
    static const int vals[] = {0, 1, 0x5a, 0x7f, 0x80, 0xff, -1, 0x1ab, -129};
    for (size_t li = 0; li < NLENS; li++)
        for (size_t off = 0; off < 16; off++)
            for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
                size_t n = lens[li];
                randomise(a_ours, BUF);
                memcpy(a_libc, a_ours, BUF);
                void *r = kstr_memset(a_ours + off, vals[v], n);
                memset(a_libc + off, vals[v], n);
                assert_ptr_equal(r, a_ours + off);
                if (memcmp(a_ours, a_libc, BUF) != 0)
                    fail_msg("memset differs: n %zu, off %zu, c %d", n, off, vals[v]);
            }
}

static void test_memcmp(void **state)
{
    (void)state;
    for (size_t li = 0; li < NLENS; li++) {
        size_t n = lens[li];
        randomise(src, n);
        memcpy(a_ours, src, n);
        assert_int_equal(kstr_memcmp(src, a_ours, n), 0);
        if (n == 0)
            continue;
        /* a difference at the start, the middle, the end; in both directions and with
         * bytes above 0x7f (the comparison is unsigned) */
        size_t where[] = {0, n / 2, n - 1};
        for (size_t w = 0; w < 3; w++) {
            memcpy(a_ours, src, n);
            a_ours[where[w]] = (unsigned char)(src[where[w]] ^ 0x80);
            int ours = kstr_memcmp(src, a_ours, n), libc = memcmp(src, a_ours, n);
            assert_int_equal(sgn(ours), sgn(libc));
            assert_int_not_equal(ours, 0);
            assert_int_equal(sgn(kstr_memcmp(a_ours, src, n)), -sgn(ours));
            /* a difference beyond n does not count */
            assert_int_equal(kstr_memcmp(src, a_ours, where[w]), 0);
        }
    }
    assert_true(kstr_memcmp("\x80", "\x7f", 1) > 0);
    assert_int_equal(kstr_memcmp(NULL, NULL, 0), 0);
}

static void test_strlen_strnlen(void **state)
{
    (void)state;
    for (size_t li = 0; li < NLENS; li++)
        for (size_t off = 0; off < 8; off++) {
            size_t n = lens[li];
            char *s = (char *)a_ours + off;
            memset(s, 'a', n);
            s[n] = '\0';
            assert_int_equal(kstr_strlen(s), strlen(s));
            assert_int_equal(kstr_strnlen(s, n), n);
            assert_int_equal(kstr_strnlen(s, n + 5), n);
            assert_int_equal(kstr_strnlen(s, n / 2), n / 2);
            assert_int_equal(kstr_strnlen(s, SIZE_MAX), n);
        }
    assert_int_equal(kstr_strlen(""), 0);
    assert_int_equal(kstr_strnlen("abc", 0), 0);
    assert_int_equal(kstr_strnlen(NULL, 0), 0); /* max 0 reads nothing */
}

static void test_strcmp_strncmp(void **state)
{
    (void)state;
    static const char *strs[] = {"",    "a",    "b",    "ab",    "abc",   "abd",  "abcd",
                                 "ABC", "\x80", "\x7f", "a\x80", "a\x01", "zzzz", "abc\0hidden"};
    static const size_t ns[] = {0, 1, 2, 3, 4, 5, 100, SIZE_MAX};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        for (size_t j = 0; j < sizeof(strs) / sizeof(strs[0]); j++) {
            const char *x = strs[i], *y = strs[j];
            if (sgn(kstr_strcmp(x, y)) != sgn(strcmp(x, y)))
                fail_msg("strcmp(\"%s\", \"%s\"): ours %d, libc %d", x, y, kstr_strcmp(x, y),
                         strcmp(x, y));
            for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
                if (sgn(kstr_strncmp(x, y, ns[k])) != sgn(strncmp(x, y, ns[k])))
                    fail_msg("strncmp(\"%s\", \"%s\", %zu): ours %d, libc %d", x, y, ns[k],
                             kstr_strncmp(x, y, ns[k]), strncmp(x, y, ns[k]));
        }
    assert_int_equal(kstr_strncmp("abc", "abd", 2), 0);
    assert_true(kstr_strncmp("abc", "abd", 3) < 0);
    assert_int_equal(kstr_strncmp("abc", "xyz", 0), 0);
    assert_int_equal(kstr_strncmp("abc\0x", "abc\0y", 6), 0); /* stops at the NUL */
    assert_int_equal(kstr_strcmp("abc\0x", "abc\0y"), 0);
    assert_true(kstr_strcmp("\xff", "a") > 0);
}

static void test_strchr(void **state)
{
    (void)state;
    const char *s = "hello, world\x80!";
    for (int c = 0; c < 256; c++)
        assert_ptr_equal(kstr_strchr(s, c), strchr(s, c));
    assert_ptr_equal(kstr_strchr(s, 'o'), s + 4); /* the first one */
    assert_ptr_equal(kstr_strchr(s, '\0'), s + strlen(s));
    assert_null(kstr_strchr(s, 'z'));
    assert_ptr_equal(kstr_strchr(s, 0x100 + 'w'), s + 7); /* c converts to char */
    assert_ptr_equal(kstr_strchr(s, -128), strchr(s, -128));
    assert_ptr_equal(kstr_strchr("", '\0'), strchr("", '\0'));
    assert_null(kstr_strchr("", 'a'));
}

static void test_strstr(void **state)
{
    (void)state;
    static const char *hay[] = {
        "", "a", "aaaab", "hello world", "abcabcabd", "mississippi", "aaa", "ab\200cd", "needle"};
    static const char *needles[] = {"",       "a",      "b",      "aaab",    "world",
                                    "worlds", "abcabd", "ssi",    "ssip",    "ppi",
                                    "aaaa",   "\x80",   "needle", "needles", "d"};
    for (size_t i = 0; i < sizeof(hay) / sizeof(hay[0]); i++)
        for (size_t j = 0; j < sizeof(needles) / sizeof(needles[0]); j++)
            if (kstr_strstr(hay[i], needles[j]) != strstr(hay[i], needles[j]))
                fail_msg("strstr(\"%s\", \"%s\") differs", hay[i], needles[j]);
    const char *h = "aaaab";
    assert_ptr_equal(kstr_strstr(h, ""), h);         /* an empty needle: the haystack */
    assert_ptr_equal(kstr_strstr(h, "aaab"), h + 1); /* a partial match, then restart */
    assert_ptr_equal(kstr_strstr(h, "b"), h + 4);    /* at the very end */
    assert_null(kstr_strstr(h, "aaaabb"));           /* longer than the haystack */
    assert_null(kstr_strstr("", "a"));
    const char *e = "";
    assert_ptr_equal(kstr_strstr(e, ""), e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memcpy),           cmocka_unit_test(test_memmove_overlap),
        cmocka_unit_test(test_memmove_disjoint), cmocka_unit_test(test_memset),
        cmocka_unit_test(test_memcmp),           cmocka_unit_test(test_strlen_strnlen),
        cmocka_unit_test(test_strcmp_strncmp),   cmocka_unit_test(test_strchr),
        cmocka_unit_test(test_strstr),
    };
    return cmocka_run_group_tests_name("string", tests, NULL, NULL);
}
