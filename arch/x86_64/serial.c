/* SPDX-License-Identifier: MIT */
/* arch/x86_64/serial.c - COM1 output: init with a loopback self-test, polled writes. */
#include "arch/x86_64/serial.h"

#include "arch/x86_64/cpu.h"

#define COM1 0x3f8
#define UART_DATA 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THR_EMPTY 0x20

static bool serial_ready;

bool serial_init(void)
{
    outb(COM1 + UART_IER, 0x00);  /* no interrupts */
    outb(COM1 + UART_LCR, 0x80);  /* DLAB: divisor follows */
    outb(COM1 + UART_DATA, 0x01); /* 115200 / 1 */
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, 0x03); /* 8 bits, no parity, one stop bit */
    outb(COM1 + UART_FCR, 0xc7); /* FIFO on, cleared, 14-byte threshold */
    outb(COM1 + UART_MCR, 0x1e); /* loopback mode for the self-test */
    outb(COM1 + UART_DATA, 0xae);
    if (inb(COM1 + UART_DATA) != 0xae)
        return false;
    outb(COM1 + UART_MCR, 0x0f); /* normal operation: DTR, RTS, OUT1, OUT2 */
    serial_ready = true;
    return true;
}

static void serial_putc(char c)
{
    /* Bounded wait: a wedged UART must not hang a panic message forever. */
    for (int spins = 0; spins < 100000 && !(inb(COM1 + UART_LSR) & LSR_THR_EMPTY); spins++)
        cpu_pause();
    outb(COM1 + UART_DATA, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
    if (!serial_ready)
        return;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}
