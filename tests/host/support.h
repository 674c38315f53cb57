/* SPDX-License-Identifier: MIT */
/*
 * tests/host/support.h - what host unit tests share: cmocka, and catching panics.
 *
 * The mm/ and lib/ cores call panic() on misuse. In host tests panic_at() (support.c)
 * records the message and, when a test armed EXPECT_PANIC, jumps back into the test so
 * it can check the text; an unexpected panic fails the test with the message.
 */
#ifndef MBHEAP_TESTS_HOST_SUPPORT_H
#define MBHEAP_TESTS_HOST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

extern jmp_buf host_panic_jmp;
extern volatile int host_panic_armed;
extern char host_panic_msg[512];

/* Runs stmt and requires that it panics with a message containing text. */
#define EXPECT_PANIC(stmt, text)                                                                   \
    do {                                                                                           \
        host_panic_msg[0] = '\0';                                                                  \
        if (setjmp(host_panic_jmp) == 0) {                                                         \
            host_panic_armed = 1;                                                                  \
            stmt;                                                                                  \
            host_panic_armed = 0;                                                                  \
            fail_msg("expected a panic containing \"%s\", none happened", text);                   \
        } else {                                                                                   \
            host_panic_armed = 0;                                                                  \
            if (!strstr(host_panic_msg, text))                                                     \
                fail_msg("panic text \"%s\" does not contain \"%s\"", host_panic_msg, text);       \
        }                                                                                          \
    } while (0)

#endif
