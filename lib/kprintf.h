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

/**
 * kvformat() - format @fmt with @ap, handing the output to @out piece by piece.
 * @out: the sink; called with maximal runs of literal text and each converted field.
 * @ctx: passed to every @out call.
 * @fmt: the format (the conversions at the top of this file).
 * @ap: the arguments.
 *
 * The engine of every function here. Widths and precisions saturate at 4096. An unknown
 * conversion (e.g. %f, %n, or a '%' ending @fmt) is printed verbatim and consumes no
 * argument, so the mistake is visible. Nothing is allocated and no state is kept.
 *
 * Context: any; takes no lock, so it is as safe as @out is.
 * Return: the number of characters produced (the total @out was given).
 */
int kvformat(kprintf_sink_fn out, void *ctx, const char *fmt, va_list ap);

/**
 * kvsnprintf() - format @fmt with @ap into @buf, with snprintf's semantics.
 * @buf: where the text goes; always NUL-terminated when @size > 0.
 * @size: the size of @buf; 0 writes nothing (@buf may then be NULL).
 * @fmt: the format (the conversions at the top of this file).
 * @ap: the arguments.
 *
 * Output past @size - 1 characters is cut.
 *
 * Context: any; takes no lock, keeps no state.
 * Return: the length the full output would have had (a return >= @size means it was cut).
 */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
/**
 * ksnprintf() - kvsnprintf() with the arguments in the call.
 * @buf: where the text goes; always NUL-terminated when @size > 0.
 * @size: the size of @buf; 0 writes nothing (@buf may then be NULL).
 * @fmt: the format (the conversions at the top of this file).
 * @...: the format's arguments.
 *
 * Context: any; takes no lock, keeps no state.
 * Return: the length the full output would have had (a return >= @size means it was cut).
 */
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/**
 * kprintf() - format @fmt to the log ring and the registered sink (the kernel console).
 * @fmt: the format (the conversions at the top of this file).
 * @...: the format's arguments.
 *
 * Each piece goes to the ring buffer first, then to the sink (kprintf_set_sink()); without
 * a sink, to the ring only. In the kernel the sink is the console (arch/x86_64/console.c):
 * COM1 with polled writes (a bounded wait per byte, so a wedged UART cannot hang it), and
 * the VGA text screen once kmain has found one.
 *
 * Context: any, interrupt handlers and the panic path included: it takes no lock, and
 * neither does the console. Nothing serialises callers either: a kprintf interrupting
 * another mixes its text into the interrupted one's, between two of its pieces, on the
 * console and in the ring; no byte is lost (each piece reserves its bytes in the ring
 * atomically before it copies them).
 * Return: the number of characters produced.
 */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/**
 * kvprintf() - kprintf() with a va_list.
 * @fmt: the format (the conversions at the top of this file).
 * @ap: the arguments.
 *
 * Context: as kprintf(): any; takes no lock, serialises nothing.
 * Return: the number of characters produced.
 */
int kvprintf(const char *fmt, va_list ap);

/**
 * kprintf_set_sink() - set the console sink kprintf() writes to (besides the log ring).
 * @sink: the sink; NULL for none (kprintf then writes to the log ring only).
 * @ctx: passed to every @sink call.
 *
 * There is one sink: this replaces the previous one. The kernel sets it once, in
 * console_init(); host tests set it to capture output and clear it after.
 *
 * Context: boot or single-threaded set-up: takes no lock, and @sink and @ctx are two
 * separate stores, so a kprintf() running meanwhile (an interrupt handler) may see the new
 * sink with the old context.
 */
void kprintf_set_sink(kprintf_sink_fn sink, void *ctx);

/*
 * The kernel log: the last KLOG_SIZE bytes kprintf produced, kept in a ring buffer for
 * post-mortem debugging (GDB's mb-log reads it).
 */
#define KLOG_SIZE 16384
/**
 * klog_copy() - copy the text the log ring retains into @dst, oldest first.
 * @dst: where the text goes; not NUL-terminated.
 * @cap: the room in @dst, in bytes.
 *
 * The ring retains the last KLOG_SIZE bytes kprintf() produced (all of them until that
 * many were printed). When @cap is smaller, the newest @cap bytes are copied. The kernel
 * uses it to show the log so far on the VGA screen once it starts.
 *
 * Context: any; takes no lock: a kprintf() running meanwhile (an interrupt handler) may
 * leave a mix of older and newer bytes in @dst.
 * Return: the number of bytes copied: min(retained, @cap), 0 when @cap is 0.
 */
size_t klog_copy(char *dst, size_t cap);

#endif
