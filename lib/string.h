/* SPDX-License-Identifier: MIT */
/*
 * lib/string.h - the freestanding string and memory functions.
 *
 * The kernel has no libc: lib/string.c provides these, including the mem* functions
 * the compiler may emit calls to. Host builds get the same declarations from libc.
 *
 * Each is the C library's function (strnlen: POSIX's), with its semantics unless its
 * comment says what differs; none takes a lock or keeps state.
 */
#ifndef MBHEAP_LIB_STRING_H
#define MBHEAP_LIB_STRING_H

#include <stddef.h>

/**
 * memcpy() - copy @n bytes from @src to @dst.
 * @dst: the destination.
 * @src: the source; it must not overlap @dst (use memmove()).
 * @n: the number of bytes.
 *
 * Context: any; takes no lock.
 * Return: @dst.
 */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
/**
 * memmove() - copy @n bytes from @src to @dst; the two may overlap.
 * @dst: the destination.
 * @src: the source.
 * @n: the number of bytes.
 *
 * Context: any; takes no lock.
 * Return: @dst.
 */
void *memmove(void *dst, const void *src, size_t n);
/**
 * memset() - fill @n bytes at @dst with the byte @c.
 * @dst: the destination.
 * @c: the value, converted to unsigned char.
 * @n: the number of bytes.
 *
 * Context: any; takes no lock.
 * Return: @dst.
 */
void *memset(void *dst, int c, size_t n);
/**
 * memcmp() - compare @n bytes of @a and @b as unsigned chars.
 * @a: the first buffer.
 * @b: the second buffer.
 * @n: the number of bytes; 0 compares equal.
 *
 * The kernel's returns exactly -1 or 1 for a difference (C allows any negative or positive
 * value); host builds get libc's, so a caller relies on the sign only.
 *
 * Context: any; pure, takes no lock.
 * Return: 0 when equal; -1 when the first differing byte is smaller in @a, 1 when larger.
 */
int memcmp(const void *a, const void *b, size_t n);
/**
 * strlen() - the length of the NUL-terminated string @s.
 * @s: the string.
 *
 * Context: any; pure, takes no lock.
 * Return: the number of bytes before the NUL.
 */
size_t strlen(const char *s);
/**
 * strnlen() - the length of @s, looking at @max bytes at most.
 * @s: the string; need not be NUL-terminated within @max bytes.
 * @max: the most bytes read.
 *
 * Context: any; pure, takes no lock.
 * Return: the number of bytes before the NUL, or @max when there is none in the first @max.
 */
size_t strnlen(const char *s, size_t max);
/**
 * strcmp() - compare the strings @a and @b as unsigned chars.
 * @a: the first string.
 * @b: the second string.
 *
 * Context: any; pure, takes no lock.
 * Return: 0 when equal; else negative when @a sorts first, positive when @b does (the
 * kernel's returns the difference of the first differing bytes; rely on the sign only).
 */
int strcmp(const char *a, const char *b);
/**
 * strncmp() - strcmp() of at most the first @n bytes of @a and @b.
 * @a: the first string.
 * @b: the second string.
 * @n: the most bytes compared; 0 compares equal.
 *
 * Context: any; pure, takes no lock.
 * Return: as strcmp(), over the first @n bytes.
 */
int strncmp(const char *a, const char *b, size_t n);
/**
 * strchr() - find the first @c in the string @s.
 * @s: the string.
 * @c: the byte, converted to char; '\0' finds the terminating NUL.
 *
 * Context: any; pure, takes no lock.
 * Return: a pointer to the first @c in @s (const dropped, as in C); NULL when there is none.
 */
char *strchr(const char *s, int c);
/**
 * strstr() - find the first occurrence of the string @needle in the string @haystack.
 * @haystack: the string searched.
 * @needle: the string looked for.
 *
 * Context: any; pure, takes no lock.
 * Return: a pointer to its first occurrence in @haystack (const dropped, as in C); @haystack
 * when @needle is empty; NULL when it does not occur.
 */
char *strstr(const char *haystack, const char *needle);

#endif
