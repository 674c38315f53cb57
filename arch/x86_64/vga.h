/* arch/x86_64/vga.h - the 80x25 VGA text console (BIOS boots; absent under UEFI). */
#ifndef MBHEAP_ARCH_VGA_H
#define MBHEAP_ARCH_VGA_H

#include <stddef.h>

/* Clears the screen and starts writing at the top left. */
void vga_init(void);
/* Writes n bytes, handling \n, \r, \t and backspace; scrolls at the bottom. */
void vga_write(const char *s, size_t n);
/* Stops all VGA output (used when the boot loader reports a graphics framebuffer). */
void vga_disable(void);

#endif
