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

/**
 * irq_save() - disable interrupts on this CPU and return the previous state.
 *
 * Masks the maskable interrupts only (the kernel's cli clears RFLAGS.IF): NMIs and CPU
 * exceptions (a page fault, a breakpoint) still run. Saves may nest: each returns the
 * state as it was at that call, so restores in the reverse order give back the outer
 * state.
 *
 * Context: any, interrupt handlers included; takes no lock.
 * Return: the previous state, for irq_restore() only (the kernel returns the whole
 * RFLAGS, the host stand-in 1 or 0).
 */
irq_flags_t irq_save(void);

/**
 * irq_restore() - re-enable interrupts if they were enabled when irq_save() returned @f.
 * @f: a value irq_save() returned on this CPU.
 *
 * It never disables them: when @f says they were off, the state is left as it is.
 *
 * Context: any; takes no lock. Interrupts may arrive as soon as it returns.
 */
void irq_restore(irq_flags_t f);

/**
 * irq_enabled() - tell whether interrupts are enabled on this CPU.
 *
 * Context: any; takes no lock.
 * Return: true when they are enabled (RFLAGS.IF set; on the host, the calling thread's
 * simulated flag, on at thread start), false when they are not.
 */
bool irq_enabled(void);

/**
 * cpu_current() - the number of the CPU running the caller.
 *
 * Context: any; takes no lock.
 * Return: 0 .. CPUs - 1: always 0 in the kernel (single CPU); on the host, the calling
 * thread's number, given in the order the threads first ask (0 for the first) and kept
 * for the thread's life.
 */
unsigned cpu_current(void);

#endif
