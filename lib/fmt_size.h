/* SPDX-License-Identifier: MIT */
/*
 * lib/fmt_size.h - byte counts in binary units, for the tables the kernel prints.
 *
 * Freestanding: formats with ksnprintf (lib/kprintf.c); no state, no allocation.
 */
#ifndef MBHEAP_LIB_FMT_SIZE_H
#define MBHEAP_LIB_FMT_SIZE_H

#include <stddef.h>
#include <stdint.h>

/**
 * fmt_size() - format a byte count in binary units with one decimal, rounded down.
 * @bytes: the count.
 * @buf: where the text goes (NUL-terminated when @n > 0).
 * @n: the size of @buf.
 *
 * "512 B", "639.0 KiB", "127.8 MiB", "4.0 GiB", up to EiB.
 *
 * Context: any; pure, takes no lock.
 * Return: the length the full text has (snprintf semantics: a return >= @n means it was cut).
 */
int fmt_size(uint64_t bytes, char *buf, size_t n);

#endif
