/* arch/x86_64/console.c - fans console output out to COM1 and VGA text. */
#include "arch/x86_64/console.h"

#include "arch/x86_64/serial.h"
#include "arch/x86_64/vga.h"
#include "lib/kprintf.h"

void console_write(const char *s, size_t n)
{
    serial_write(s, n);
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
    vga_init();
    kprintf_set_sink(console_sink, NULL);
}
