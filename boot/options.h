/*
 * boot/options.h - the kernel command line options.
 *
 * The command line comes from the multiboot2 cmdline tag, followed by QEMU's fw_cfg file
 * "opt/mbheap/cmdline" when present (the test harness uses it, so one ISO serves every
 * test). Known options:
 *   test=<suite>.<name>   run one in-kernel test instead of the demo
 *   heap_max=<size>       the most the kernel heap may grow to (K/M/G suffixes)
 *   allocator=heap|dummy  the global allocator (dummy: every allocation fails)
 *   heap_debug            poison freed heap memory and check it on reuse, record callers
 *                         (always on in Debug builds)
 *   heap_index=on|off     off: the heap finds first fits by walking its free list (the
 *                         same choices as with its index, in O(n): for demonstration and
 *                         benchmarks)
 *   pmm_fail_after=<n>    fault injection: the frame allocator fails after n more frames
 * An unknown option, or a malformed value, is reported on the console and ignored.
 */
#ifndef MBHEAP_BOOT_OPTIONS_H
#define MBHEAP_BOOT_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#define OPTIONS_TEST_NAME_MAX 64

struct boot_options {
    char test[OPTIONS_TEST_NAME_MAX]; /* "" = the demo */
    uint64_t heap_max;                /* 0 = default */
    bool dummy_allocator;
    bool heap_debug;
    bool heap_no_index; /* heap_index=off */
    uint64_t pmm_fail_after; /* UINT64_MAX = never */
};

/* Parses the words of `cmdline` (may be NULL) into *o, which must have been set up
 * with options_defaults(). Reports each unknown or malformed word with kprintf. */
void options_parse(struct boot_options *o, const char *cmdline);
void options_defaults(struct boot_options *o);

#endif
