/* SPDX-License-Identifier: MIT */
/*
 * Host tests for boot/options.c: what each option does, that an option reported as
 * ignored changes nothing, what a repeated option means, long lines, and that words are
 * printed escaped.
 */
#include "support.h"

#include "boot/options.h"
#include "capture.h"

static const char *parse(struct boot_options *o, const char *line)
{
    capture_begin();
    options_parse(o, line);
    return capture_end();
}

static void test_each_option(void **state)
{
    (void)state;
    struct boot_options o;
    options_defaults(&o);
    assert_string_equal(parse(&o, "test=heap.grow heap_max=4M allocator=dummy heap_debug "
                                  "pmm_fail_after=0x10"),
                        "");
    assert_string_equal(o.test, "heap.grow");
    assert_int_equal(o.heap_max, 4 << 20);
    assert_true(o.dummy_allocator);
    assert_true(o.heap_debug);
    assert_int_equal(o.pmm_fail_after, 16);
    assert_string_equal(parse(&o, "heap_max=1T"),
                        "options: heap_max given again: 'heap_max=1T' replaces 'heap_max=4M' "
                        "(the last valid one wins)\n");
    assert_int_equal(o.heap_max, 1ull << 40);
}

/* heap_index= and heap_policy= take exactly their words; a bad one changes nothing. */
static void test_heap_policy_and_index(void **state)
{
    (void)state;
    struct boot_options o;
    options_defaults(&o);
    assert_false(o.heap_good_fit);
    assert_false(o.heap_no_index);
    assert_string_equal(parse(&o, "heap_policy=good_fit heap_index=off"), "");
    assert_true(o.heap_good_fit);
    assert_true(o.heap_no_index);
    assert_string_equal(parse(&o, "heap_policy=best_fit heap_policy= heap_index=maybe"),
                        "options: ignoring malformed option 'heap_policy=best_fit' "
                        "(heap_policy=first_fit or heap_policy=good_fit)\n"
                        "options: ignoring malformed option 'heap_policy=' "
                        "(heap_policy=first_fit or heap_policy=good_fit)\n"
                        "options: ignoring malformed option 'heap_index=maybe' (heap_index=on "
                        "or heap_index=off)\n");
    assert_true(o.heap_good_fit);
    assert_true(o.heap_no_index);
    assert_string_equal(parse(&o, "heap_policy=first_fit heap_index=on"),
                        "options: heap_policy given again: 'heap_policy=first_fit' replaces "
                        "'heap_policy=good_fit' (the last valid one wins)\n"
                        "options: heap_index given again: 'heap_index=on' replaces "
                        "'heap_index=off' (the last valid one wins)\n");
    assert_false(o.heap_good_fit);
    assert_false(o.heap_no_index);
}

/* Every malformed word is reported and leaves *o exactly as it was. */
static void test_ignored_changes_nothing(void **state)
{
    (void)state;
    struct boot_options o;
    options_defaults(&o);
    parse(&o, "test=heap.grow heap_max=4M");
    const char *out = parse(&o, "test= heap_debug=0 heap_debug= heap_max=16 heap_max=4Q "
                                "heap_max= allocator=slab pmm_fail_after=x "
                                "test=a_name_that_is_far_too_long_for_the_buffer_of_64_bytes_"
                                "it_must_fit_in");
    assert_string_equal(
        out, "options: ignoring malformed option 'test=' (test=<suite>.<name>, at most 63 "
             "printable bytes)\n"
             "options: ignoring malformed option 'heap_debug=0' (heap_debug takes no value)\n"
             "options: ignoring malformed option 'heap_debug=' (heap_debug takes no value)\n"
             "options: heap_max given again: 'heap_max=16' replaces 'heap_max=4M' (the last valid "
             "one wins)\n"
             "options: ignoring malformed option 'heap_max=4Q' (a number, K/M/G/T suffix "
             "allowed)\n"
             "options: ignoring malformed option 'heap_max=' (a number, K/M/G/T suffix allowed)\n"
             "options: ignoring malformed option 'allocator=slab' (allocator=heap or "
             "allocator=dummy)\n"
             "options: ignoring malformed option 'pmm_fail_after=x' (a number, K/M/G/T suffix "
             "allowed)\n"
             "options: ignoring malformed option "
             "'test=a_name_that_is_far_too_long_for_the_buffer_of_64_bytes_it_must_fit_in' "
             "(test=<suite>.<name>, at most 63 printable bytes)\n");
    assert_string_equal(o.test, "heap.grow");
    assert_false(o.heap_debug);
    assert_false(o.dummy_allocator);
    assert_int_equal(o.pmm_fail_after, UINT64_MAX);
    assert_int_equal(o.heap_max, 16); /* the one valid word above, with its warning */
    /* ... and a repeat of a valid value still warns, naming the words. */
    assert_string_equal(parse(&o, "heap_max=16"),
                        "options: heap_max given again: 'heap_max=16' replaces 'heap_max=16' (the "
                        "last valid one wins)\n");
}

/* A line of any length is read whole: its last word still counts. */
static void test_long_line(void **state)
{
    (void)state;
    static char line[8192];
    memset(line, 'x', 7000);
    strcpy(line + 7000, " heap_max=16M");
    struct boot_options o;
    options_defaults(&o);
    const char *out = parse(&o, line);
    assert_int_equal(o.heap_max, 16 << 20);
    assert_non_null(strstr(out, "options: unknown option 'xxxxxxxx"));
    assert_int_equal(
        strlen(out),
        strlen("options: unknown option '' (known: test= heap_max= "
               "allocator= heap_debug heap_index= heap_policy= heap_trim= pmm_fail_after=)\n") +
            7000);
}

/* Control bytes in words are printed escaped. */
static void test_escaped(void **state)
{
    (void)state;
    struct boot_options o;
    options_defaults(&o);
    assert_string_equal(
        parse(&o, "fr\x1b"
                  "c\x7f=\x01 heap_max=\x1b"),
        "options: unknown option 'fr\\x1bc\\x7f=\\x01' (known: test= heap_max= "
        "allocator= heap_debug heap_index= heap_policy= heap_trim= pmm_fail_after=)\n"
        "options: ignoring malformed option 'heap_max=\\x1b' (a number, K/M/G/T "
        "suffix allowed)\n");
    assert_int_equal(o.heap_max, 0);
    /* A test name is printed raw later (ktest, panics): a control byte makes it malformed. */
    assert_string_equal(parse(&o, "test=heap.\x1bgrow"),
                        "options: ignoring malformed option 'test=heap.\\x1bgrow' "
                        "(test=<suite>.<name>, at most 63 printable bytes)\n");
    assert_string_equal(o.test, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_option),
        cmocka_unit_test(test_heap_policy_and_index),
        cmocka_unit_test(test_ignored_changes_nothing),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
