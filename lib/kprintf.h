/* SPDX-License-Identifier: MIT */
/*
 * lib/kprintf.h - formatted output without libc.
 *
 * Conversions: %d %i %u %x %X %o %c %s %p %%, length modifiers hh h l ll z t j,
 * flags '-' '0' '+' ' ' '#', field width and precision (both may be '*').
 * %p prints 0x followed by 16 hex digits. A NULL %s prints "(null)".
 *
 * kprintf() writes to the registered sink (the kernel console) and to the log ring
 * buffer; without a sink it writes only to the ring buffer.
 */
#ifndef MBHEAP_LIB_KPRINTF_H
#define MBHEAP_LIB_KPRINTF_H

#include <stdarg.h>
#include <stddef.h>

/* Receives n bytes of output (not NUL-terminated). */
typedef void (*kprintf_sink_fn)(const char *s, size_t n, void *ctx);

/* Formats into out(); returns the number of characters produced. */
int kvformat(kprintf_sink_fn out, void *ctx, const char *fmt, va_list ap);

/* snprintf semantics: always NUL-terminates when size > 0, returns the length the
 * full output would have had. */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

/* Sets the console sink used by kprintf (NULL: none). */
void kprintf_set_sink(kprintf_sink_fn sink, void *ctx);

/*
 * The kernel log: the last KLOG_SIZE bytes kprintf produced, kept in a ring buffer for
 * post-mortem debugging (GDB's mb-log reads it). klog_copy() copies the retained text,
 * oldest first, and returns its length.
 */
#define KLOG_SIZE 16384
size_t klog_copy(char *dst, size_t cap);

#endif
