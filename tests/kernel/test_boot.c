/* SPDX-License-Identifier: MIT */
/*
 * tests/kernel/test_boot.c - the skeleton's own tests: console output, exceptions,
 * panics and the stack guard. (boot.demo, boot.uefi_demo and boot.no_long_mode are
 * harness tests of the demo boot itself: see tests/qemu/CMakeLists.txt.)
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "kernel/ktest.h"
#include "lib/kprintf.h"
#include "lib/panic.h"
#include "lib/string.h"

/* Many lines, long lines (wider than the 80-column VGA screen, so it wraps and
 * scrolls), and every conversion the boot output uses. The harness checks the last
 * line appears in the serial log (tests/qemu/CMakeLists.txt). */
KTEST(boot, println)
{
    for (int i = 0; i < 200; i++)
        kprintf("println %3d: %-8s|%08x|%+d|%p\n", i, "left", (unsigned)i * 0x1111u, i - 100,
                (void *)(uintptr_t)(0xffffffff80000000ull + (uint64_t)i));
    char line[301];
    for (int i = 0; i < 300; i++)
        line[i] = (char)('a' + i % 26);
    line[300] = '\0';
    kprintf("%s\n", line);
    char buf[32];
    int n = ksnprintf(buf, sizeof(buf), "%5d|%-5d|%05d|%x", 42, 42, 42, 0xbeefu);
    KT_ASSERT_EQ(n, 22);
    KT_ASSERT(strcmp(buf, "   42|42   |00042|beef") == 0);
    kprintf("println: last line\n");
}

/* int3 goes through the IDT's breakpoint handler and comes back. */
KTEST(boot, breakpoint)
{
    uint64_t before = idt_breakpoint_count();
    cpu_breakpoint();
    cpu_breakpoint();
    KT_ASSERT_EQ(idt_breakpoint_count(), before + 2);
    kprintf("breakpoint: execution continued after int3\n");
}

KTEST_SHOULD_PANIC(boot, should_panic, "boot.should_panic: deliberate panic (value 42)")
{
    panic("boot.should_panic: deliberate panic (value %d)", 42);
}

/* Recurses until the kernel stack runs into its unmapped guard page. Pushing the page
 * fault's frame onto the overflowed stack faults again, so the CPU raises a double fault,
 * whose handler runs on its own IST stack and reports the overflow. */
static __attribute__((noinline)) uint64_t recurse(volatile uint64_t depth)
{
    volatile uint8_t pad[256];
    pad[0] = (uint8_t)depth;
    if (depth == UINT64_MAX) /* never: the guard page is hit long before */
        return 0;
    return recurse(depth + 1) + pad[0];
}

KTEST_SHOULD_PANIC(boot, stack_overflow, "double fault: kernel stack overflow")
{
    kprintf("stack_overflow: recursing without bound\n");
    recurse(0);
}
