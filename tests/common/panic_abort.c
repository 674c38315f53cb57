/* SPDX-License-Identifier: MIT */
/*
 * tests/common/panic_abort.c - panic_at() for the programs that are not cmocka tests: the
 * fuzz targets, the benchmarks and the allocbench plugin. It prints the message and
 * aborts, so that libFuzzer records a crash with its input and a benchmark stops loudly.
 * (cmocka tests use tests/host/support.c, which lets a test expect a panic.)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/kprintf.h"
#include "lib/panic.h"

noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "panic at %s:%d: %s\n", file, line, msg);
    abort();
}
