/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/pic.c - the 8259 PIC pair: remapping, masks, EOI, and the C side of
 * the hardware-IRQ stubs (isr.asm's irq_common calls irq_dispatch).
 *
 * Spurious IRQs: a line that drops before the CPU acknowledges it makes the PIC deliver
 * its lowest-priority vector (IRQ7 on the master, IRQ15 on the slave) without setting
 * the in-service bit. Those must not be EOI'd (that would end a real in-service IRQ);
 * a spurious IRQ15 did go through the master's cascade line, so the master gets one.
 * Must not: be used from host builds, allocate, or print from interrupt context.
 */
#include "arch/x86_64/pic.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap_frame.h"
#include "lib/irq.h"
#include "lib/panic.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define ICW1_INIT_ICW4 0x11 /* edge triggered, cascade, ICW4 follows */
#define ICW4_8086 0x01
#define OCW3_READ_ISR 0x0b
#define PIC_EOI 0x20
#define PIC_CASCADE_IRQ 2

static struct {
    irq_handler_fn fn;
    void *ctx;
} handlers[PIC_NUM_IRQS];
static struct irq_counters counters;

/* A write to an unused port: gives the old PICs time between initialisation words. */
static inline void io_wait(void)
{
    outb(0x80, 0);
}

void pic_init(void)
{
    irq_flags_t f = irq_save();
    outb(PIC1_CMD, ICW1_INIT_ICW4);
    io_wait();
    outb(PIC2_CMD, ICW1_INIT_ICW4);
    io_wait();
    outb(PIC1_DATA, PIC_VECTOR_BASE); /* ICW2: vector offsets */
    io_wait();
    outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
    io_wait();
    outb(PIC1_DATA, 1u << PIC_CASCADE_IRQ); /* ICW3: slave on IRQ2 */
    io_wait();
    outb(PIC2_DATA, PIC_CASCADE_IRQ); /* ICW3: slave identity */
    io_wait();
    outb(PIC1_DATA, ICW4_8086);
    io_wait();
    outb(PIC2_DATA, ICW4_8086);
    io_wait();
    outb(PIC1_DATA, 0xff); /* OCW1: everything masked */
    outb(PIC2_DATA, 0xff);
    irq_restore(f);
}

static void set_mask_bit(uint16_t port, unsigned bit, bool masked)
{
    uint8_t m = inb(port);
    m = masked ? (uint8_t)(m | (1u << bit)) : (uint8_t)(m & ~(1u << bit));
    outb(port, m);
}

void pic_mask(unsigned irq)
{
    if (irq >= PIC_NUM_IRQS)
        panic("pic_mask: no IRQ %u", irq);
    irq_flags_t f = irq_save();
    set_mask_bit(irq < 8 ? PIC1_DATA : PIC2_DATA, irq & 7, true);
    irq_restore(f);
}

void pic_unmask(unsigned irq)
{
    if (irq >= PIC_NUM_IRQS)
        panic("pic_unmask: no IRQ %u", irq);
    irq_flags_t f = irq_save();
    if (irq >= 8)
        set_mask_bit(PIC1_DATA, PIC_CASCADE_IRQ, false);
    set_mask_bit(irq < 8 ? PIC1_DATA : PIC2_DATA, irq & 7, false);
    irq_restore(f);
}

void irq_set_handler(unsigned irq, irq_handler_fn fn, void *ctx)
{
    if (irq >= PIC_NUM_IRQS)
        panic("irq_set_handler: no IRQ %u", irq);
    irq_flags_t f = irq_save();
    handlers[irq].fn = fn;
    handlers[irq].ctx = ctx;
    irq_restore(f);
}

void irq_get_counters(struct irq_counters *out)
{
    irq_flags_t f = irq_save();
    *out = counters;
    irq_restore(f);
}

static uint8_t read_isr(uint16_t cmd_port)
{
    outb(cmd_port, OCW3_READ_ISR);
    return inb(cmd_port);
}

static void send_eoi(unsigned irq)
{
    if (irq >= 8)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}

/* Called by isr.asm's irq_common with interrupts disabled (interrupt gates). */
void irq_dispatch(struct trap_frame *f);
void irq_dispatch(struct trap_frame *f)
{
    if (f->vector < PIC_VECTOR_BASE || f->vector >= PIC_VECTOR_BASE + PIC_NUM_IRQS)
        panic("irq_dispatch: vector %lu is not a PIC IRQ (RIP 0x%016lx)", f->vector, f->rip);
    unsigned irq = (unsigned)(f->vector - PIC_VECTOR_BASE);
    if (irq == 7 && !(read_isr(PIC1_CMD) & 0x80)) {
        counters.spurious_irq7++;
        return;
    }
    if (irq == 15 && !(read_isr(PIC2_CMD) & 0x80)) {
        counters.spurious_irq15++;
        outb(PIC1_CMD, PIC_EOI); /* the cascade line on the master was real */
        return;
    }
    irq_handler_fn fn = handlers[irq].fn;
    if (fn) {
        counters.handled++;
        fn(handlers[irq].ctx);
    } else {
        counters.unhandled++;
    }
    send_eoi(irq);
}
