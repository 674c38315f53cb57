/* SPDX-License-Identifier: MIT */
/*
 * lib/panic.h - panic and assertions.
 *
 * panic() never returns. Messages follow "func: what (values)". The implementation is
 * not in lib/: the kernel provides panic_at() in arch/x86_64/panic.c (console, backtrace,
 * test harness report, halt); host unit tests provide their own (tests/host/support.c)
 * so that a test can expect a panic and check its text.
 */
#ifndef MBHEAP_LIB_PANIC_H
#define MBHEAP_LIB_PANIC_H

#include <stdnoreturn.h>

/**
 * panic_at() - report a fatal error and stop; what panic() expands to.
 * @file: the source file of the call (__FILE__).
 * @line: its line (__LINE__).
 * @fmt: the message, a kprintf format (lib/kprintf.h's conversions), "func: what (values)".
 * @...: the format's arguments.
 *
 * The kernel's (arch/x86_64/panic.c): interrupts off first; the message is formatted into
 * a 512-byte static buffer (cut to 511 bytes); then "PANIC: <message>" and "  at
 * <file>:<line>" go to the console and the log ring (kprintf), a backtrace follows (saved
 * frame pointers, at most 24 frames, only while they point into a known kernel stack),
 * the panic hook runs (panic_set_hook()), "mbheap: halted after panic" is printed, QEMU is
 * asked to exit with QEMU_EXIT_FAILURE (when the isa-debug-exit device exists) and the CPU
 * halts with interrupts off. A panic inside the panic path prints "PANIC while panicking
 * (<file>:<line>): giving up" once (nothing on a deeper one), then exits and halts.
 *
 * Host programs link their own: tests/host/support.c (cmocka tests: the message is kept,
 * and a test that expects the panic gets control back; otherwise the test fails),
 * tests/common/panic_abort.c (fuzz targets, benchmarks: message on stderr, abort()) and
 * ports/posix/mbheap_malloc.c (the malloc shim: report, abort()).
 *
 * Context: any: thread code, interrupt and exception handlers (arch/x86_64/idt.c panics
 * from them), with any lock held. It takes no lock (kprintf takes none) and never returns:
 * a lock held stays held. Called with interrupts on, it turns them off for good.
 */
noreturn void panic_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* A panic hook: gets the formatted message; it should not return (see panic_set_hook). */
typedef void (*panic_hook_fn)(const char *msg);

/**
 * panic_set_hook() - set the function the kernel's panic_at() calls with the message.
 * @hook: the hook; NULL for none. It replaces the previous one (there is one hook).
 *
 * The hook is called with the formatted message after it and the backtrace have been
 * printed, with interrupts off (the in-kernel test runner uses it to report to the QEMU
 * harness: kernel/ktest.c). A hook should not return; if it does, the kernel halts. A
 * panic inside the hook stops at once ("PANIC while panicking"). Kernel only: host
 * programs neither define it nor call a hook.
 *
 * Context: any; a plain store, takes no lock. It takes effect for the panics after it:
 * kernel/ktest.c sets it when a test is armed, at boot.
 */
void panic_set_hook(panic_hook_fn hook);

/* Invariant check that stays on in every build: a false cond panics with
 * "<function>: assertion failed: <cond>". */
#define KASSERT(cond)                                                                              \
    do {                                                                                           \
        if (__builtin_expect(!(cond), 0))                                                          \
            panic("%s: assertion failed: %s", __func__, #cond);                                    \
    } while (0)

#endif
