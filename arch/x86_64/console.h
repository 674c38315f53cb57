/* SPDX-License-Identifier: MIT */
/* arch/x86_64/console.h - the kernel console: COM1 and (when there is one) the VGA text
 * screen together. */
#ifndef MBHEAP_ARCH_CONSOLE_H
#define MBHEAP_ARCH_CONSOLE_H

#include <stddef.h>

/* Brings up COM1 and makes the console kprintf's sink (COM1 only, until
 * console_enable_vga). */
void console_init(void);
/* Adds the VGA text screen: clears it and shows the kernel log so far on it. Only for a
 * boot where the boot loader reports a text screen (see kmain). */
void console_enable_vga(void);
/* Writes to every console device. */
void console_write(const char *s, size_t n);

#endif
