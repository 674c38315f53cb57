/* SPDX-License-Identifier: MIT */
/*
 * boot/options.h - the kernel command line options.
 *
 * The command line comes from the multiboot2 cmdline tag (GRUB's, any length: it is
 * parsed where the boot loader left it), then from QEMU's fw_cfg file
 * "opt/mbheap/cmdline" when present (the test harness uses it, so one ISO serves every
 * test). Known options:
 *   test=<suite>.<name>   run one in-kernel test instead of the demo
 *   heap_max=<size>       the most the kernel heap may grow to (K/M/G/T suffixes; 0 or
 *                         absent: the default, 64M)
 *   allocator=heap|dummy  the global allocator (dummy: every allocation fails)
 *   heap_debug            poison freed heap memory and check it on reuse, record callers
 *                         (always on in Debug builds); takes no value
 *   heap_index=on|off     off: the heap finds first fits by walking its free list (the
 *                         same choices as with its index, in O(n): for demonstration and
 *                         benchmarks); ignored, and said so, under heap_policy=good_fit
 *   heap_policy=first_fit|good_fit  the heap's placement policy (default first_fit;
 *                         good_fit: segregated size classes, mm/heap_goodfit.h)
 *   heap_trim=on|off      off: the heap never gives free pages back to the frame
 *                         allocator (default on)
 *   pmm_fail_after=<n>    fault injection: the frame allocator fails after n more frames
 * An unknown option, or a malformed value, is reported on the console and changes
 * nothing. An option given more than once: the last valid one wins, and a warning names
 * it and the one it replaces (the fw_cfg part comes last, so it overrides GRUB's).
 */
#ifndef MBHEAP_BOOT_OPTIONS_H
#define MBHEAP_BOOT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cmdline.h"

#define OPTIONS_TEST_NAME_MAX 64

enum option_id {
    OPTION_TEST,
    OPTION_HEAP_MAX,
    OPTION_ALLOCATOR,
    OPTION_HEAP_DEBUG,
    OPTION_HEAP_INDEX,
    OPTION_HEAP_POLICY,
    OPTION_HEAP_TRIM,
    OPTION_PMM_FAIL_AFTER,
    OPTION_COUNT
};

struct boot_options {
    char test[OPTIONS_TEST_NAME_MAX]; /* "" = the demo */
    uint64_t heap_max;                /* 0 = default */
    bool dummy_allocator;
    bool heap_debug;
    bool heap_no_index;      /* heap_index=off */
    bool heap_good_fit;      /* heap_policy=good_fit */
    bool heap_no_trim;       /* heap_trim=off */
    uint64_t pmm_fail_after; /* UINT64_MAX = never */
    /* The word that set each option (key NULL: not given), to name it when it repeats;
     * it points into the command line, which must outlive *o. */
    struct cmdline_opt given[OPTION_COUNT];
};

/* Parses the words of `cmdline` (may be NULL) into *o, which must have been set up
 * with options_defaults() (and may hold an earlier part of the command line). Reports
 * each unknown, malformed or repeated word with kprintf. */
void options_parse(struct boot_options *o, const char *cmdline);
void options_defaults(struct boot_options *o);

/* Prints s[0, n) with cmdline_escape (control bytes as \xNN). */
void options_print_escaped(const char *s, size_t n);

#endif
