/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/panic.c - the kernel's panic(): report, backtrace, tell the harness, halt.
 *
 * The message goes to the console (and the log ring). The backtrace follows saved
 * frame pointers (the kernel is built with -fno-omit-frame-pointer) but only while
 * they point into a known kernel stack, so a corrupted or overflowed stack cannot
 * fault the panic path itself. Then the panic hook runs (the in-kernel test runner's),
 * QEMU is asked to exit with the failure code (if the debug-exit device exists), and
 * the CPU halts with interrupts off. A panic inside a panic stops at once.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/qemu.h"
#include "lib/kprintf.h"
#include "lib/panic.h"

#define BACKTRACE_MAX 24

static panic_hook_fn panic_hook;
static int panic_depth;
static char panic_msg[512];

void panic_set_hook(panic_hook_fn hook)
{
    panic_hook = hook;
}

static void backtrace_print(uint64_t rbp)
{
    kprintf("  backtrace (addr2line -e build/mbheap.elf -f -i ADDR):\n");
    for (int depth = 0; depth < BACKTRACE_MAX && rbp; depth++) {
        if ((rbp & 7) || !arch_on_kernel_stack(rbp, 16)) {
            kprintf("    (frame pointer 0x%016lx is off the kernel stacks: stop)\n", rbp);
            return;
        }
        const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
        uint64_t ret = frame[1];
        if (ret == 0)
            return;
        kprintf("    #%-2d 0x%016lx\n", depth, ret);
        /* Frames get older towards higher addresses on one stack; an exception handler
         * on an IST stack links back to the interrupted stack, which may lie anywhere. */
        if (frame[0] != 0 && frame[0] <= rbp && arch_stack_name(frame[0]) == arch_stack_name(rbp)) {
            kprintf("    (frame chain goes backwards: stop)\n");
            return;
        }
        rbp = frame[0];
    }
}

noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    irq_disable();
    if (panic_depth++) {
        /* Say so once; if that very print faults again, stop without printing. */
        if (panic_depth == 2)
            kprintf("\nPANIC while panicking (%s:%d): giving up\n", file, line);
        qemu_exit(QEMU_EXIT_FAILURE);
        cpu_halt_forever();
    }
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(panic_msg, sizeof(panic_msg), fmt, ap);
    va_end(ap);

    kprintf("\nPANIC: %s\n  at %s:%d\n", panic_msg, file, line);
    backtrace_print(read_rbp());
    if (panic_hook)
        panic_hook(panic_msg);
    kprintf("mbheap: halted after panic\n");
    qemu_exit(QEMU_EXIT_FAILURE);
    cpu_halt_forever();
}
