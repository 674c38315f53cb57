/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/console.c - fans console output out to COM1 and, once the boot loader has
 * said there is one, the VGA text screen.
 *
 * COM1 works from the first line. The VGA text buffer at 0xb8000 exists only on a BIOS boot
 * in text mode: under UEFI (or with a graphics framebuffer) that address is not a text
 * screen and must not be written. So the screen starts when kmain has read the multiboot2
 * information, and first shows the kernel log so far (nothing printed before is lost).
 */
#include "arch/x86_64/console.h"

#include <stdbool.h>

#include "arch/x86_64/serial.h"
#include "arch/x86_64/vga.h"
#include "lib/kprintf.h"

static bool vga_active;

void console_write(const char *s, size_t n)
{
    serial_write(s, n);
    if (vga_active)
        vga_write(s, n);
}

static void console_sink(const char *s, size_t n, void *ctx)
{
    (void)ctx;
    console_write(s, n);
}

void console_init(void)
{
    serial_init();
    kprintf_set_sink(console_sink, NULL);
}

void console_enable_vga(void)
{
    static char replay[KLOG_SIZE];
    vga_init();
    vga_write(replay, klog_copy(replay, sizeof(replay)));
    vga_active = true;
}
