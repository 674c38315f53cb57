/* arch/x86_64/console.h - the kernel console: COM1 and the VGA text screen together. */
#ifndef MBHEAP_ARCH_CONSOLE_H
#define MBHEAP_ARCH_CONSOLE_H

#include <stddef.h>

/* Brings up COM1 and VGA and makes them kprintf's sink. */
void console_init(void);
/* Writes to every console device. */
void console_write(const char *s, size_t n);

#endif
