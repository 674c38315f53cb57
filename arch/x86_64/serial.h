/* SPDX-License-Identifier: MIT */
/* arch/x86_64/serial.h - COM1, a 16550 UART at 115200 8N1, polled output. */
#ifndef MBHEAP_ARCH_SERIAL_H
#define MBHEAP_ARCH_SERIAL_H

#include <stdbool.h>
#include <stddef.h>

/* Programs COM1. Returns false when no UART answers (the loopback test fails). */
bool serial_init(void);
/* Writes n bytes; "\n" becomes "\r\n". A no-op before serial_init() succeeded. */
void serial_write(const char *s, size_t n);

#endif
