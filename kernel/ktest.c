/* SPDX-License-Identifier: MIT */
/*
 * kernel/ktest.c - runs one in-kernel test and reports its verdict to QEMU.
 *
 * The verdict goes out twice: as a line on the console ("ktest: PASS boot.println" /
 * "ktest: FAIL ...") that the harness requires in the serial log, and as the exit code
 * through isa-debug-exit. A should-panic test installs a panic hook that compares the
 * panic message with the expected text before the panic path exits QEMU.
 */
#include "kernel/ktest.h"

#include <stdarg.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/qemu.h"
#include "lib/panic.h"
#include "lib/string.h"

extern const struct ktest ktests_start[], ktests_end[];

static const struct ktest *current;

const struct ktest *ktest_find(const char *name)
{
    for (const struct ktest *t = ktests_start; t < ktests_end; t++) {
        if (strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

void ktest_list(void)
{
    kprintf("ktest: %lu tests:", (unsigned long)(ktests_end - ktests_start));
    for (const struct ktest *t = ktests_start; t < ktests_end; t++)
        kprintf(" %s", t->name);
    kprintf("\n");
}

static _Noreturn void verdict(bool pass, const char *why)
{
    irq_disable();
    kprintf("ktest: %s %s%s%s\n", pass ? "PASS" : "FAIL", current ? current->name : "?",
            why ? ": " : "", why ? why : "");
    qemu_exit(pass ? QEMU_EXIT_SUCCESS : QEMU_EXIT_FAILURE);
    cpu_halt_forever();
}

/* Runs inside panic_at(), after the message and backtrace were printed. */
static void panic_hook(const char *msg)
{
    if (!current)
        return;
    if (!current->should_panic)
        verdict(false, "unexpected panic");
    if (strstr(msg, current->should_panic))
        verdict(true, "panicked as expected");
    kprintf("ktest: expected a panic containing \"%s\"\n", current->should_panic);
    verdict(false, "panic message does not match");
}

void ktest_pass(const char *why)
{
    if (current && current->should_panic) {
        kprintf("ktest: ktest_pass(\"%s\") in a test that should panic with \"%s\"\n",
                why ? why : "", current->should_panic);
        verdict(false, "passed without the expected panic");
    }
    verdict(true, why);
}

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kprintf("ktest: ");
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n    at %s:%d\n", file, line);
    verdict(false, "assertion failed");
}

/* noinline, and an empty asm that the compiler must keep: the call and the function
 * both exist in every build, so that the breakpoint has somewhere to stop. */
__attribute__((noinline)) void ktest_checkpoint(const char *what)
{
    kprintf("ktest: checkpoint %s\n", what);
    __asm__ volatile("" ::"r"(what) : "memory");
}

void ktest_fact(const char *key, uint64_t value)
{
    kprintf("fact: %s = 0x%llx\n", key, (unsigned long long)value); /* 0x even for 0 */
}

void ktest_arm(const struct ktest *t)
{
    current = t;
    panic_set_hook(panic_hook);
    kprintf("ktest: running %s%s%s%s\n", t->name, t->should_panic ? " (should panic with \"" : "",
            t->should_panic ? t->should_panic : "", t->should_panic ? "\")" : "");
}

void ktest_run(const struct ktest *t)
{
    if (current != t)
        ktest_arm(t);
    /* The harness requires this line (unless the test expects a boot-stage panic), so
     * that a should-panic test cannot pass on a panic of the boot sequence it never
     * reached: tests/qemu/run_qemu.py --boot-panic. */
    kprintf("ktest: started %s\n", t->name);
    t->fn();
    if (t->should_panic)
        verdict(false, "returned without the expected panic");
    verdict(true, NULL);
}
