/* SPDX-License-Identifier: MIT */
/*
 * boot/options.c - parses the kernel command line into struct boot_options.
 *
 * Every option is parsed into a local value first and stored only when it is valid, so
 * that a word reported as ignored changes nothing. Words are printed escaped
 * (cmdline_escape): the command line may hold control bytes, which must not reach the
 * console raw.
 */
#include "boot/options.h"

#include "lib/cmdline.h"
#include "lib/kprintf.h"
#include "lib/string.h"

static const char *const option_names[OPTION_COUNT] = {
    [OPTION_TEST] = "test",
    [OPTION_HEAP_MAX] = "heap_max",
    [OPTION_ALLOCATOR] = "allocator",
    [OPTION_HEAP_DEBUG] = "heap_debug",
    [OPTION_HEAP_INDEX] = "heap_index",
    [OPTION_HEAP_POLICY] = "heap_policy",
    [OPTION_PMM_FAIL_AFTER] = "pmm_fail_after",
};

void options_defaults(struct boot_options *o)
{
    memset(o, 0, sizeof(*o));
    o->pmm_fail_after = UINT64_MAX;
}

void options_print_escaped(const char *s, size_t n)
{
    char buf[64];
    while (n > 0) {
        size_t used = cmdline_escape(s, n, buf, sizeof(buf));
        kprintf("%s", buf);
        s += used;
        n -= used;
    }
}

/* The length of the whole word, "key" or "key=value". */
static size_t word_len(const struct cmdline_opt *w)
{
    return w->key_len + (w->val ? w->val_len + 1 : 0);
}

/* Prints prefix, the word quoted and escaped, then suffix and a newline. */
static void report(const char *prefix, const struct cmdline_opt *w, const char *suffix)
{
    kprintf("%s'", prefix);
    options_print_escaped(w->key, word_len(w));
    kprintf("'%s\n", suffix);
}

static bool parse_size(const struct cmdline_opt *w, uint64_t *out)
{
    return w->val && cmdline_parse_u64(w->val, w->val_len, out) == E_OK;
}

/* Stores w's value for option k in o; false (o unchanged) when the value is malformed. */
static bool apply(struct boot_options *o, enum option_id k, const struct cmdline_opt *w)
{
    uint64_t v;
    char name[OPTIONS_TEST_NAME_MAX];
    switch (k) {
    case OPTION_TEST:
        if (cmdline_val_copy(w, name, sizeof(name)) != E_OK || !name[0])
            return false;
        for (const char *c = name; *c; c++) {
            if (*c < 0x21 || *c > 0x7e)
                return false; /* the name is printed as it is (ktest, panics) */
        }
        memcpy(o->test, name, sizeof(name));
        return true;
    case OPTION_HEAP_MAX:
    case OPTION_PMM_FAIL_AFTER:
        if (!parse_size(w, &v))
            return false;
        *(k == OPTION_HEAP_MAX ? &o->heap_max : &o->pmm_fail_after) = v;
        return true;
    case OPTION_HEAP_DEBUG:
        if (w->val)
            return false; /* a bare word: heap_debug=0 would read as "off" */
        o->heap_debug = true;
        return true;
    case OPTION_HEAP_INDEX:
        if (cmdline_val_copy(w, name, sizeof(name)) != E_OK ||
            (strcmp(name, "on") != 0 && strcmp(name, "off") != 0))
            return false;
        o->heap_no_index = strcmp(name, "off") == 0;
        return true;
    case OPTION_HEAP_POLICY:
        if (cmdline_val_copy(w, name, sizeof(name)) != E_OK ||
            (strcmp(name, "first_fit") != 0 && strcmp(name, "good_fit") != 0))
            return false;
        o->heap_good_fit = strcmp(name, "good_fit") == 0;
        return true;
    case OPTION_ALLOCATOR:
        if (cmdline_val_copy(w, name, sizeof(name)) != E_OK)
            return false;
        if (strcmp(name, "dummy") == 0)
            o->dummy_allocator = true;
        else if (strcmp(name, "heap") == 0)
            o->dummy_allocator = false;
        else
            return false;
        return true;
    case OPTION_COUNT: break;
    }
    return false;
}

static const char *const malformed_why[OPTION_COUNT] = {
    [OPTION_TEST] = " (test=<suite>.<name>, at most 63 printable bytes)",
    [OPTION_HEAP_MAX] = " (a number, K/M/G/T suffix allowed)",
    [OPTION_ALLOCATOR] = " (allocator=heap or allocator=dummy)",
    [OPTION_HEAP_DEBUG] = " (heap_debug takes no value)",
    [OPTION_HEAP_INDEX] = " (heap_index=on or heap_index=off)",
    [OPTION_HEAP_POLICY] = " (heap_policy=first_fit or heap_policy=good_fit)",
    [OPTION_PMM_FAIL_AFTER] = " (a number, K/M/G/T suffix allowed)",
};

void options_parse(struct boot_options *o, const char *cmdline)
{
    const char *cur = cmdline;
    struct cmdline_opt w;
    while (cmdline_next(&cur, &w)) {
        enum option_id k = 0;
        while (k < OPTION_COUNT && !cmdline_key_is(&w, option_names[k]))
            k++;
        if (k == OPTION_COUNT) {
            report("options: unknown option ", &w,
                   " (known: test= heap_max= allocator= heap_debug heap_index= "
                   "heap_policy= pmm_fail_after=)");
            continue;
        }
        if (!apply(o, k, &w)) {
            report("options: ignoring malformed option ", &w, malformed_why[k]);
            continue;
        }
        const struct cmdline_opt *prev = &o->given[k];
        if (prev->key) {
            kprintf("options: %s given again: '", option_names[k]);
            options_print_escaped(w.key, word_len(&w));
            kprintf("' replaces '");
            options_print_escaped(prev->key, word_len(prev));
            kprintf("' (the last valid one wins)\n");
        }
        o->given[k] = w;
    }
}
