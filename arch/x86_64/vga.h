/* SPDX-License-Identifier: MIT */
/* arch/x86_64/vga.h - the 80x25 VGA text console (BIOS boots; absent under UEFI). Used
 * through arch/x86_64/console.c, which starts it only when there is a text screen. */
#ifndef MBHEAP_ARCH_VGA_H
#define MBHEAP_ARCH_VGA_H

#include <stddef.h>

/* Clears the screen and starts writing at the top left. */
void vga_init(void);
/* Writes n bytes, handling \n, \r, \t and backspace; scrolls at the bottom. */
void vga_write(const char *s, size_t n);

#endif
