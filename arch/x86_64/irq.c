/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/irq.c - the kernel's lib/irq.h: the interrupt flag through RFLAGS.IF, and
 * the CPU number (the kernel runs on one CPU: always 0).
 */
#include "lib/irq.h"

#include "arch/x86_64/cpu.h"

irq_flags_t irq_save(void)
{
    irq_flags_t f = read_rflags();
    irq_disable();
    return f;
}

void irq_restore(irq_flags_t f)
{
    if (f & RFLAGS_IF)
        irq_enable();
}

bool irq_enabled(void)
{
    return (read_rflags() & RFLAGS_IF) != 0;
}

unsigned cpu_current(void)
{
    return 0;
}
