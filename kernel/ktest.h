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

/* Ends the current test with a pass (never returns), for a test whose last step cannot
 * return to its body: e.g. an alloc-failure handler, which must not return, checks what
 * it was called with and then calls ktest_pass("why"). In a should-panic test it is a
 * failure (the expected panic did not happen). */
_Noreturn void ktest_pass(const char *why);

/* Reports a failed assertion and ends the test (never returns). */
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

/*
 * A stop for the GDB tests (tests/gdb/): prints "ktest: checkpoint <what>" and calls a
 * function that does nothing, so that `hbreak ktest_checkpoint` stops the kernel at a
 * known point; without a debugger it returns at once.
 */
void ktest_checkpoint(const char *what);

/* Prints "fact: <key> = <value>" (hex): a value the kernel computed that a GDB test
 * compares with what the GDB helpers read from outside at the next checkpoint. */
void ktest_fact(const char *key, uint64_t value);

/* Finds a test by its full name; NULL if there is none. */
const struct ktest *ktest_find(const char *name);

/* Makes t the current test before the boot sequence sets up memory: from here on a panic
 * is judged as t's verdict (so a should-panic test can expect a boot-stage panic, e.g.
 * heap.init_fails). Prints "ktest: running <name>". */
void ktest_arm(const struct ktest *t);

/* Runs one test (arming it first unless ktest_arm(t) was called), printing "ktest:
 * started <name>" just before its body, and exits QEMU with its verdict (never
 * returns). The caller has set up everything the test may use. */
_Noreturn void ktest_run(const struct ktest *t);

/* Lists every registered test on the console. */
void ktest_list(void);

#endif
