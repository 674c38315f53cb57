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

noreturn void panic_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

/*
 * Called by the kernel's panic_at() with the formatted message after it has been
 * printed (the in-kernel test runner uses it to report to the QEMU harness). A hook
 * should not return; if it does, the kernel halts.
 */
typedef void (*panic_hook_fn)(const char *msg);
void panic_set_hook(panic_hook_fn hook);

/* Invariant check that stays on in every build. */
#define KASSERT(cond)                                                                              \
    do {                                                                                           \
        if (__builtin_expect(!(cond), 0))                                                          \
            panic("%s: assertion failed: %s", __func__, #cond);                                    \
    } while (0)

#endif
