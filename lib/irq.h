/* SPDX-License-Identifier: MIT */
/*
 * lib/irq.h - the interrupt flag and the CPU number, as lib/spinlock.h needs them.
 *
 * Provided at link time, like phys_to_virt() (lib/phys.h): by the kernel in
 * arch/x86_64/irq.c (pushfq/cli/sti; the kernel is single-CPU, so the CPU number is
 * always 0) and by host tests in tests/common/host_irq.c (a simulated flag per thread and
 * a number per thread, so that threads stand in for CPUs). That keeps lib/ free of arch/
 * and lets the spinlock's contention and misuse checks run on the host.
 */
#ifndef MBHEAP_LIB_IRQ_H
#define MBHEAP_LIB_IRQ_H

#include <stdbool.h>
#include <stdint.h>

/* The saved interrupt state; opaque to the caller. */
typedef uint64_t irq_flags_t;

/* Disables interrupts on this CPU and returns the previous state for irq_restore().
 * Context: any, interrupt handlers included. */
irq_flags_t irq_save(void);

/* Re-enables interrupts if they were enabled when irq_save() returned f.
 * Context: any. */
void irq_restore(irq_flags_t f);

/* True when interrupts are enabled on this CPU. Context: any. */
bool irq_enabled(void);

/* The number of the CPU running the caller (0 .. CPUs - 1). Context: any. */
unsigned cpu_current(void);

#endif
