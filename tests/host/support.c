/* SPDX-License-Identifier: MIT */
/* tests/host/support.c - panic_at() for host unit tests; see support.h. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/kprintf.h"
#include "lib/panic.h"

jmp_buf host_panic_jmp;
volatile int host_panic_armed;
char host_panic_msg[512];

noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(host_panic_msg, sizeof(host_panic_msg), fmt, ap);
    va_end(ap);
    if (host_panic_armed)
        longjmp(host_panic_jmp, 1);
    fprintf(stderr, "unexpected panic at %s:%d: %s\n", file, line, host_panic_msg);
    fail_msg("unexpected panic at %s:%d: %s", file, line, host_panic_msg);
    abort(); /* not reached: fail_msg leaves the test */
}
