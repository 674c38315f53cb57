/* SPDX-License-Identifier: MIT */
/*
 * lib/cmdline.h - tokenising the kernel command line.
 *
 * The command line is a sequence of whitespace-separated words, each "key" or
 * "key=value". Nothing is copied: options point into the original string. Which keys
 * exist is decided by the caller (boot/options.c), so an unknown key can be reported.
 */
#ifndef MBHEAP_LIB_CMDLINE_H
#define MBHEAP_LIB_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

struct cmdline_opt {
    const char *key;
    size_t key_len;
    const char *val; /* NULL when the word has no '=' */
    size_t val_len;
};

/* Parses the next word at *cursor into *opt and advances *cursor past it.
 * Returns false when no word is left. */
bool cmdline_next(const char **cursor, struct cmdline_opt *opt);

/* True when the option's key is exactly `key`. */
bool cmdline_key_is(const struct cmdline_opt *opt, const char *key);

/* Copies the value into buf as a NUL-terminated string. E_INVAL without a value,
 * E_RANGE when it does not fit. */
err_t cmdline_val_copy(const struct cmdline_opt *opt, char *buf, size_t size);

/*
 * Parses an unsigned number: decimal or 0x-hex, optionally followed by a K, M, G or T
 * suffix (binary units). E_INVAL for an empty or malformed string, E_RANGE on overflow.
 */
err_t cmdline_parse_u64(const char *s, size_t n, uint64_t *out);

/*
 * Copies s[0, n) into out (size bytes, always NUL-terminated when size > 0) for printing:
 * printable ASCII as it is, a backslash as two, every other byte (control bytes, DEL,
 * bytes >= 0x80) as \xNN, so that the console never receives them raw. Stops before the
 * first byte whose escape does not fit; returns the number of bytes of s copied, so a
 * caller can print a long string in pieces.
 */
size_t cmdline_escape(const char *s, size_t n, char *out, size_t size);

/*
 * Checks a command line read as bytes (QEMU's fw_cfg file may end in NULs, and may hold
 * one anywhere): trailing NULs are dropped from *n; E_INVAL with *nul_at = its offset when
 * a NUL remains inside s[0, *n) (as a C string the line would lose what follows).
 */
err_t cmdline_check_bytes(const char *s, size_t *n, size_t *nul_at);

#endif
