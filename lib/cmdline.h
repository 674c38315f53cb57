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

/**
 * cmdline_next() - parse the next word at *@cursor into *@opt and advance *@cursor past it.
 * @cursor: where to read; *@cursor is a NUL-terminated string, or NULL (no word).
 * @opt: receives the word; written only when a word is found.
 *
 * Words are separated by spaces, tabs, '\n' and '\r'. The key runs up to the first '='
 * or the end of the word; the value is the rest of the word after that '=' (it may be
 * empty, and may hold further '='s: "a=b=c" is key "a", value "b=c"). A word without '='
 * has @opt->val NULL and @opt->val_len 0; a word starting with '=' has an empty key. Nothing
 * is copied: @opt's pointers point into *@cursor's string.
 *
 * Context: any; takes no lock, keeps no state.
 * Return: true when a word was parsed; false when no word is left (*@cursor then points
 * at the terminating NUL, or stays NULL).
 */
bool cmdline_next(const char **cursor, struct cmdline_opt *opt);

/**
 * cmdline_key_is() - tell whether @opt's key is exactly @key.
 * @opt: an option cmdline_next() filled in.
 * @key: a NUL-terminated key to compare with.
 *
 * The comparison is byte for byte and case-sensitive; a prefix does not match.
 *
 * Context: any; pure, takes no lock.
 * Return: true when the key has @key's length and bytes, false otherwise.
 */
bool cmdline_key_is(const struct cmdline_opt *opt, const char *key);

/**
 * cmdline_val_copy() - copy @opt's value into @buf as a NUL-terminated string.
 * @opt: an option cmdline_next() filled in.
 * @buf: where the value goes; left untouched on an error.
 * @size: the size of @buf, the NUL included.
 *
 * Context: any; takes no lock, keeps no state.
 * Return: E_OK when copied (an empty value, "key=", gives ""); E_INVAL when the word had
 * no '=' (no value); E_RANGE when the value and its NUL do not fit in @size bytes.
 */
err_t cmdline_val_copy(const struct cmdline_opt *opt, char *buf, size_t size);

/**
 * cmdline_parse_u64() - parse an unsigned number with an optional binary-unit suffix.
 * @s: the text; not NUL-terminated (e.g. an option's value).
 * @n: the number of bytes of @s to parse, all of which must belong to the number.
 * @out: receives the value; left untouched on an error.
 *
 * Decimal, or hex after "0x"/"0X" (digits in either case), optionally followed by one
 * K, M, G or T suffix in either case (binary units: K is 1024). No sign, no spaces, and
 * nothing may follow the suffix.
 *
 * Context: any; takes no lock, keeps no state.
 * Return: E_OK with the value in *@out; E_INVAL for an empty or malformed string (no
 * digit, "0x" alone, an unknown suffix, bytes after the suffix); E_RANGE when the digits
 * or the suffix's multiplication overflow 64 bits.
 */
err_t cmdline_parse_u64(const char *s, size_t n, uint64_t *out);

/**
 * cmdline_escape() - copy s[0, @n) into @out with every non-printable byte escaped.
 * @s: the bytes; NULs are bytes like any other (escaped as \x00).
 * @n: the number of bytes of @s.
 * @out: where the text goes, always NUL-terminated when @size > 0.
 * @size: the size of @out; 0 writes nothing.
 *
 * For printing: printable ASCII as it is, a backslash as two, every other byte (control
 * bytes, DEL, bytes >= 0x80) as \xNN (lower-case hex), so that the console never receives
 * them raw. Stops before the first byte whose escape does not fit with the NUL; the return
 * value lets a caller print a long string in pieces.
 *
 * Context: any; takes no lock, keeps no state.
 * Return: the number of bytes of @s copied (escaped), @n when all of them fit; 0 when
 * @size is 0.
 */
size_t cmdline_escape(const char *s, size_t n, char *out, size_t size);

/**
 * cmdline_check_bytes() - check a command line read as bytes for an embedded NUL.
 * @s: the bytes.
 * @n: in: the number of bytes read; out: that number without the trailing NULs.
 * @nul_at: receives the offset of the first NUL left inside s[0, *@n); written only when
 *          E_INVAL is returned.
 *
 * QEMU's fw_cfg file may end in NULs, and may hold one anywhere: trailing NULs are
 * dropped from *@n (always, whatever the result); a NUL that remains inside s[0, *@n) is an
 * error, because as a C string the line would lose what follows it.
 *
 * Context: any; takes no lock, keeps no state.
 * Return: E_OK when s[0, *@n) holds no NUL; E_INVAL with *@nul_at = the first NUL's offset
 * otherwise.
 */
err_t cmdline_check_bytes(const char *s, size_t *n, size_t *nul_at);

#endif
