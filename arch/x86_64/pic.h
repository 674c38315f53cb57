/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/pic.h - the legacy 8259 PIC pair and the hardware-IRQ dispatcher.
 *
 * The two PICs are remapped to vectors PIC_VECTOR_BASE..PIC_VECTOR_BASE + 15 (32..47,
 * clear of the CPU exceptions) with every line masked; idt_init() does this at boot, so
 * a stray `sti` cannot turn IRQ0 into a "double fault". A driver installs a handler for
 * its line and unmasks it. isr.asm's IRQ stubs call irq_dispatch(), which runs the
 * handler with interrupts disabled, then sends the EOI. Spurious IRQ7/IRQ15 (the
 * in-service bit is not set) get no handler and no EOI to the PIC that raised them
 * (IRQ15 still EOIs the master, whose cascade line did fire). Kernel-only.
 */
#ifndef MBHEAP_ARCH_PIC_H
#define MBHEAP_ARCH_PIC_H

#include <stdint.h>

#define PIC_VECTOR_BASE 32
#define PIC_NUM_IRQS 16

/* An IRQ handler; runs in interrupt context (interrupts disabled, on the interrupted
 * stack). It must not take a lock that is held with interrupts enabled. */
typedef void (*irq_handler_fn)(void *ctx);

/* Remaps both PICs to PIC_VECTOR_BASE and masks every line. Safe to call again. */
void pic_init(void);

/* Masks / unmasks one line (0..15). Unmasking a slave line also unmasks the cascade
 * (IRQ2) on the master. */
void pic_mask(unsigned irq);
void pic_unmask(unsigned irq);

/* Installs fn(ctx) for irq (NULL fn: none; the IRQ is then counted as unhandled and
 * acknowledged). Does not change the mask. Panics for irq >= 16. */
void irq_set_handler(unsigned irq, irq_handler_fn fn, void *ctx);

struct irq_counters {
    uint64_t handled;        /* IRQs that ran a handler */
    uint64_t unhandled;      /* real IRQs with no handler installed (acknowledged) */
    uint64_t spurious_irq7;  /* vector 39 with IRQ7 not in service: no EOI */
    uint64_t spurious_irq15; /* vector 47 with IRQ15 not in service: EOI to the master only */
};
void irq_get_counters(struct irq_counters *out);

/* Raise IRQ7's / IRQ15's vector by software (`int`): the PIC has nothing in service,
 * exactly what a spurious delivery looks like. For tests of the spurious path. */
static inline void pic_soft_irq7(void)
{
    __asm__ volatile("int $39" ::: "memory");
}
static inline void pic_soft_irq15(void)
{
    __asm__ volatile("int $47" ::: "memory");
}

#endif
