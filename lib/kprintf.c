/* SPDX-License-Identifier: MIT */
/*
 * lib/kprintf.c - a small printf engine and the kernel log ring buffer.
 *
 * kvformat() walks the format string once and hands maximal runs of literal text
 * and each converted field to the sink, so a sink sees few calls. Numbers are
 * converted into a local buffer right to left; nothing here allocates.
 */
#include "lib/kprintf.h"

#include <stdbool.h>
#include <stdint.h>

#include "lib/string.h"
#include "lib/types.h"

/* Widths and precisions saturate here: a runaway "%99999999999d" must not overflow int. */
#define FIELD_MAX 4096

/* n * 10 + digit, saturated at FIELD_MAX. */
static int saturating_digit(int n, char digit)
{
    int v = n * 10 + (digit - '0'); /* n <= FIELD_MAX: no overflow */
    return v < FIELD_MAX ? v : FIELD_MAX;
}

struct fmt_spec {
    bool left, zero, plus, space, alt;
    int width;
    int prec; /* -1: none */
};

static void emit_pad(kprintf_sink_fn out, void *ctx, char c, int n, int *count)
{
    char pad[16];
    memset(pad, c, sizeof(pad));
    while (n > 0) {
        int k = MIN(n, (int)sizeof(pad));
        out(pad, (size_t)k, ctx);
        *count += k;
        n -= k;
    }
}

/* Emits body (with its sign/prefix) padded to the field width. */
static void emit_field(kprintf_sink_fn out, void *ctx, const struct fmt_spec *sp,
                       const char *prefix, size_t prefix_len, const char *body, size_t body_len,
                       int zeros, int *count)
{
    int len = (int)(prefix_len + body_len) + zeros;
    int pad = sp->width > len ? sp->width - len : 0;
    if (!sp->left && !sp->zero)
        emit_pad(out, ctx, ' ', pad, count);
    if (prefix_len) {
        out(prefix, prefix_len, ctx);
        *count += (int)prefix_len;
    }
    if (!sp->left && sp->zero)
        emit_pad(out, ctx, '0', pad, count);
    emit_pad(out, ctx, '0', zeros, count);
    if (body_len) {
        out(body, body_len, ctx);
        *count += (int)body_len;
    }
    if (sp->left)
        emit_pad(out, ctx, ' ', pad, count);
}

static void emit_number(kprintf_sink_fn out, void *ctx, struct fmt_spec sp, uint64_t v,
                        bool negative, unsigned base, bool upper, const char *alt_prefix,
                        int *count)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24];
    size_t i = sizeof(buf);
    if (!(v == 0 && sp.prec == 0)) {
        do {
            buf[--i] = digits[v % base];
            v /= base;
        } while (v);
    }
    size_t body_len = sizeof(buf) - i;
    char prefix[3];
    size_t plen = 0;
    if (negative)
        prefix[plen++] = '-';
    else if (sp.plus)
        prefix[plen++] = '+';
    else if (sp.space)
        prefix[plen++] = ' ';
    if (alt_prefix) {
        for (const char *p = alt_prefix; *p; p++)
            prefix[plen++] = *p;
    }
    int zeros = 0;
    if (sp.prec >= 0) {
        sp.zero = false; /* C: a precision disables the 0 flag */
        if ((size_t)sp.prec > body_len)
            zeros = sp.prec - (int)body_len;
    }
    emit_field(out, ctx, &sp, prefix, plen, buf + i, body_len, zeros, count);
}

int kvformat(kprintf_sink_fn out, void *ctx, const char *fmt, va_list ap)
{
    int count = 0;
    va_list args;
    va_copy(args, ap);
    while (*fmt) {
        const char *lit = fmt;
        while (*fmt && *fmt != '%')
            fmt++;
        if (fmt != lit) {
            out(lit, (size_t)(fmt - lit), ctx);
            count += (int)(fmt - lit);
        }
        if (!*fmt)
            break;
        const char *conv_start = fmt++; /* skip '%' */

        struct fmt_spec sp = {.prec = -1};
        for (;; fmt++) {
            if (*fmt == '-')
                sp.left = true;
            else if (*fmt == '0')
                sp.zero = true;
            else if (*fmt == '+')
                sp.plus = true;
            else if (*fmt == ' ')
                sp.space = true;
            else if (*fmt == '#')
                sp.alt = true;
            else
                break;
        }
        if (*fmt == '*') {
            int w = va_arg(args, int);
            if (w < 0) {
                sp.left = true;
                w = w < -FIELD_MAX ? FIELD_MAX : -w; /* -INT_MIN would overflow */
            }
            sp.width = MIN(w, FIELD_MAX);
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                sp.width = saturating_digit(sp.width, *fmt++);
        }
        if (*fmt == '.') {
            fmt++;
            sp.prec = 0;
            if (*fmt == '*') {
                sp.prec = va_arg(args, int);
                if (sp.prec < 0)
                    sp.prec = -1;
                sp.prec = MIN(sp.prec, FIELD_MAX);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    sp.prec = saturating_digit(sp.prec, *fmt++);
            }
        }
        /* length: 0 int, 1 char, 2 short, 3 long, 4 long long, 5 size_t/ptrdiff/intmax */
        int len = 0;
        if (*fmt == 'h') {
            len = 2;
            if (*++fmt == 'h') {
                len = 1;
                fmt++;
            }
        } else if (*fmt == 'l') {
            len = 3;
            if (*++fmt == 'l') {
                len = 4;
                fmt++;
            }
        } else if (*fmt == 'z' || *fmt == 't' || *fmt == 'j') {
            len = 5;
            fmt++;
        }
        if (sp.left)
            sp.zero = false;

        char c = *fmt;
        if (c)
            fmt++;
        switch (c) {
        case 'd':
        case 'i': {
            int64_t v;
            switch (len) {
            case 1: v = (signed char)va_arg(args, int); break;
            case 2: v = (short)va_arg(args, int); break;
            case 3: v = va_arg(args, long); break;
            case 4: v = va_arg(args, long long); break;
            case 5: v = va_arg(args, intmax_t); break;
            default: v = va_arg(args, int); break;
            }
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            emit_number(out, ctx, sp, mag, v < 0, 10, false, NULL, &count);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v;
            switch (len) {
            case 1: v = (unsigned char)va_arg(args, unsigned); break;
            case 2: v = (unsigned short)va_arg(args, unsigned); break;
            case 3: v = va_arg(args, unsigned long); break;
            case 4: v = va_arg(args, unsigned long long); break;
            case 5: v = va_arg(args, uintmax_t); break;
            default: v = va_arg(args, unsigned); break;
            }
            unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
            const char *alt = NULL;
            sp.plus = sp.space = false; /* C: signs are for signed conversions only */
            if (sp.alt && v != 0 && base == 16)
                alt = c == 'x' ? "0x" : "0X";
            if (sp.alt && base == 8) {
                /* C: '#' makes the first digit a 0, adding one only if there is none. */
                int digits = 0;
                for (uint64_t t = v; t; t /= 8)
                    digits++;
                if (v ? sp.prec <= digits : sp.prec == 0)
                    alt = "0";
            }
            emit_number(out, ctx, sp, v, false, base, c == 'X', alt, &count);
            break;
        }
        case 'p': {
            uint64_t v = (uint64_t)(uintptr_t)va_arg(args, void *);
            sp.prec = 16;
            emit_number(out, ctx, sp, v, false, 16, false, "0x", &count);
            break;
        }
        case 'c': {
            char ch = (char)va_arg(args, int);
            emit_field(out, ctx, &sp, NULL, 0, &ch, 1, 0, &count);
            break;
        }
        case 's': {
            const char *s = va_arg(args, const char *);
            if (!s)
                s = "(null)";
            size_t n = sp.prec >= 0 ? strnlen(s, (size_t)sp.prec) : strlen(s);
            sp.zero = false;
            emit_field(out, ctx, &sp, NULL, 0, s, n, 0, &count);
            break;
        }
        case '%':
            out("%", 1, ctx);
            count++;
            break;
        default:
            /* Unknown conversion: print it verbatim so the mistake is visible. */
            out(conv_start, (size_t)(fmt - conv_start), ctx);
            count += (int)(fmt - conv_start);
            break;
        }
    }
    va_end(args);
    return count;
}

struct snbuf {
    char *buf;
    size_t size, used;
};

static void snbuf_sink(const char *s, size_t n, void *ctx)
{
    struct snbuf *b = ctx;
    if (b->size && b->used < b->size - 1) {
        size_t room = b->size - 1 - b->used;
        size_t k = MIN(n, room);
        memcpy(b->buf + b->used, s, k);
        b->used += k;
    }
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct snbuf b = {buf, size, 0};
    int n = kvformat(snbuf_sink, &b, fmt, ap);
    if (size)
        buf[b.used] = '\0';
    return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* ---- console sink and log ring ------------------------------------------------------- */

static kprintf_sink_fn console_sink;
static void *console_ctx;

/* The ring: klog_buf[klog_head % KLOG_SIZE] is the next byte written; klog_head counts
 * every byte ever written, so min(klog_head, KLOG_SIZE) bytes are retained. Named for GDB. */
char klog_buf[KLOG_SIZE];
uint64_t klog_head;

/* Reserves [at, at + n) first, in one atomic step, then copies: a kprintf from an interrupt
 * handler that runs meanwhile reserves the bytes after, so neither overwrites the other
 * (the handler's text lands whole between two pieces of the interrupted call's). */
static void klog_write(const char *s, size_t n)
{
    uint64_t at = __atomic_fetch_add(&klog_head, (uint64_t)n, __ATOMIC_RELAXED);
    for (size_t i = 0; i < n; i++)
        klog_buf[(at + i) % KLOG_SIZE] = s[i];
}

size_t klog_copy(char *dst, size_t cap)
{
    uint64_t head = __atomic_load_n(&klog_head, __ATOMIC_RELAXED);
    uint64_t kept = MIN(head, (uint64_t)KLOG_SIZE);
    uint64_t start = head - kept;
    size_t n = (size_t)MIN(kept, (uint64_t)cap);
    /* Keep the newest bytes when the destination is smaller than the log. */
    start += kept - n;
    for (size_t i = 0; i < n; i++)
        dst[i] = klog_buf[(start + i) % KLOG_SIZE];
    return n;
}

static void kprintf_sink(const char *s, size_t n, void *ctx)
{
    (void)ctx;
    klog_write(s, n);
    if (console_sink)
        console_sink(s, n, console_ctx);
}

void kprintf_set_sink(kprintf_sink_fn sink, void *ctx)
{
    console_sink = sink;
    console_ctx = ctx;
}

int kvprintf(const char *fmt, va_list ap)
{
    return kvformat(kprintf_sink, NULL, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}
