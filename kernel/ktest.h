/* SPDX-License-Identifier: MIT */
/*
 * kernel/ktest.h - the in-kernel test registry and assertions.
 *
 * A test is a function registered with KTEST(suite, name); the linker collects the
 * descriptors in the `ktests` section (arch/x86_64/linker.ld). `test=suite.name` on the
 * command line runs exactly one, after the whole boot sequence (memory map, frame
 * allocator, page tables, heap) has run, and reports to the QEMU harness through the
 * isa-debug-exit device: 0x10 success, 0x11 failure.
 *
 * KTEST_SHOULD_PANIC(suite, name, text) passes only if the test panics with a message
 * containing `text`; returning normally, or panicking with another message, fails.
 *
 * Assertions print the expression, file:line and the values, then fail the test.
 */
#ifndef MBHEAP_KERNEL_KTEST_H
#define MBHEAP_KERNEL_KTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/kprintf.h"

struct ktest {
    const char *name; /* "suite.name" */
    void (*fn)(void);
    const char *should_panic; /* NULL, or the text the panic message must contain */
};

#define KTEST_REGISTER(suite, name, panic_text)                                                    \
    static void ktest_fn_##suite##_##name(void);                                                   \
    __attribute__((used, section("ktests"),                                                        \
                   aligned(8))) static const struct ktest ktest_desc_##suite##_##name = {          \
        #suite "." #name, ktest_fn_##suite##_##name, panic_text};                                  \
    static void ktest_fn_##suite##_##name(void)

#define KTEST(suite, name) KTEST_REGISTER(suite, name, NULL)
#define KTEST_SHOULD_PANIC(suite, name, text) KTEST_REGISTER(suite, name, text)

/**
 * ktest_pass() - end the current test with a pass, without returning to its body.
 * @why: the reason, printed in the verdict line; NULL for none.
 *
 * For a test whose last step cannot return to its body: e.g. an alloc-failure handler,
 * which must not return, checks what it was called with and then calls ktest_pass("why").
 * Interrupts go off, "ktest: PASS <name>: <why>" is printed (without ": <why>" for NULL),
 * QEMU exits with QEMU_EXIT_SUCCESS and the CPU halts (it halts too without the exit
 * device). In a should-panic test it is a failure instead (the expected panic did not
 * happen): it prints "ktest: ktest_pass("<why>") in a test that should panic with
 * "<text>"" and "ktest: FAIL <name>: passed without the expected panic", and QEMU exits
 * with QEMU_EXIT_FAILURE.
 *
 * Context: kernel only; from the test's body or anything it runs, handlers included: it
 * takes no lock (kprintf takes none) and never returns, so locks held stay held.
 */
_Noreturn void ktest_pass(const char *why);

/**
 * ktest_fail() - report a failed assertion and end the test with a failure.
 * @file: the source file of the assertion (__FILE__).
 * @line: its line (__LINE__).
 * @fmt: what failed, a kprintf format.
 * @...: the format's arguments.
 *
 * What the KT_ASSERT macros call. Prints "ktest: <message>" and "    at <file>:<line>",
 * then, with interrupts off, "ktest: FAIL <name>: assertion failed"; QEMU exits with
 * QEMU_EXIT_FAILURE and the CPU halts. A failure in a should-panic test too.
 *
 * Context: kernel only; as ktest_pass(): any, takes no lock, never returns.
 */
_Noreturn void ktest_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define KT_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ktest_fail(__FILE__, __LINE__, "assertion failed: %s", #cond);                         \
    } while (0)

/* Integer comparisons print both values (as unsigned 64-bit hex and decimal). */
#define KT_ASSERT_OP(a, op, b)                                                                     \
    do {                                                                                           \
        uint64_t ka_ = (uint64_t)(a), kb_ = (uint64_t)(b);                                         \
        if (!(ka_ op kb_))                                                                         \
            ktest_fail(                                                                            \
                __FILE__, __LINE__,                                                                \
                "assertion failed: %s %s %s\n    left:  0x%lx (%lu)\n    right: 0x%lx (%lu)", #a,  \
                #op, #b, ka_, ka_, kb_, kb_);                                                      \
    } while (0)
#define KT_ASSERT_EQ(a, b) KT_ASSERT_OP(a, ==, b)
#define KT_ASSERT_NE(a, b) KT_ASSERT_OP(a, !=, b)
#define KT_ASSERT_LT(a, b) KT_ASSERT_OP(a, <, b)
#define KT_ASSERT_LE(a, b) KT_ASSERT_OP(a, <=, b)
#define KT_ASSERT_GE(a, b) KT_ASSERT_OP(a, >=, b)
#define KT_ASSERT_GT(a, b) KT_ASSERT_OP(a, >, b)

/**
 * ktest_checkpoint() - a stop for the GDB tests (tests/gdb/) at a known point.
 * @what: the checkpoint's name, printed.
 *
 * Prints "ktest: checkpoint <what>" and returns. It is noinline, and an empty asm the
 * compiler must keep holds the call and the body in every build, so that `hbreak
 * ktest_checkpoint` stops the kernel there (on entry, before the line is printed);
 * without a debugger it returns at once.
 *
 * Context: kernel only; any (it only prints), takes no lock.
 */
void ktest_checkpoint(const char *what);

/**
 * ktest_fact() - print a value for a GDB test to compare with what its helpers read.
 * @key: the fact's name.
 * @value: the value the kernel computed.
 *
 * Prints "fact: <key> = 0x<value in hex>" (the 0x even for 0): a GDB test compares it with
 * what the GDB helpers read from outside at the next checkpoint.
 *
 * Context: kernel only; any (it only prints), takes no lock.
 */
void ktest_fact(const char *key, uint64_t value);

/**
 * ktest_find() - find a registered test by its full name.
 * @name: "suite.name", compared exactly.
 *
 * Context: kernel only; any; pure (reads the ktests section), takes no lock.
 * Return: the test's descriptor; NULL if there is none.
 */
const struct ktest *ktest_find(const char *name);

/**
 * ktest_arm() - make @t the current test; from then on a panic is judged as its verdict.
 * @t: a test ktest_find() returned.
 *
 * Called before the boot sequence sets up memory, so that a should-panic test can expect a
 * boot-stage panic (e.g. heap.init_fails). It installs the panic hook (panic_set_hook()):
 * a panic in a should-panic test whose message contains the expected text passes ("ktest:
 * PASS <name>: panicked as expected"); any other panic fails ("ktest: FAIL <name>:
 * unexpected panic", or "...: panic message does not match" after a line naming the
 * expected text). Prints "ktest: running <name>", followed by " (should panic with
 * "<text>")" for a should-panic test.
 *
 * Context: kernel only; boot (kmain), before interrupts are enabled; takes no lock.
 */
void ktest_arm(const struct ktest *t);

/**
 * ktest_run() - run one test and exit QEMU with its verdict.
 * @t: a test ktest_find() returned.
 *
 * Arms @t first unless ktest_arm(@t) was called, prints "ktest: started <name>" just
 * before its body (the harness requires that line unless the test expects a boot-stage
 * panic, so that a should-panic test cannot pass on a panic of the boot sequence it never
 * reached), and runs the body. A body that
 * returns passes, or fails in a should-panic test ("returned without the expected
 * panic"); a body may also end the test itself (ktest_pass(), ktest_fail(), a panic).
 * The verdict line is printed, QEMU exits with it and the CPU halts.
 *
 * Context: kernel only; boot (kmain), once the caller has set up everything the test may
 * use; interrupts as the boot left them (off); takes no lock.
 */
_Noreturn void ktest_run(const struct ktest *t);

/**
 * ktest_list() - list every registered test on the console.
 *
 * Prints "ktest: <count> tests: <name> <name> ..." on one line (kmain does, before it
 * panics on an unknown test= name).
 *
 * Context: kernel only; any (it only prints), takes no lock.
 */
void ktest_list(void);

#endif
