/* SPDX-License-Identifier: MIT */
/*
 * lib/string.h - the freestanding string and memory functions.
 *
 * The kernel has no libc: lib/string.c provides these, including the mem* functions
 * the compiler may emit calls to. Host builds get the same declarations from libc.
 */
#ifndef MBHEAP_LIB_STRING_H
#define MBHEAP_LIB_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);

#endif
