/*
 * arch/x86_64/irq.h - saving and restoring the interrupt flag (used by lib/spinlock.h).
 *
 * The one arch header lib/ may include. Kernel-only.
 */
#ifndef MBHEAP_ARCH_IRQ_H
#define MBHEAP_ARCH_IRQ_H

#include <stdint.h>

#include "arch/x86_64/cpu.h"

typedef uint64_t irq_flags_t;

/* Disables interrupts and returns the previous state for irq_restore(). */
static inline irq_flags_t irq_save(void)
{
    irq_flags_t f = read_rflags();
    irq_disable();
    return f;
}

/* Re-enables interrupts if they were enabled when irq_save() was called. */
static inline void irq_restore(irq_flags_t f)
{
    if (f & RFLAGS_IF)
        irq_enable();
}

#endif
