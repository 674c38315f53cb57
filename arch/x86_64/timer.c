/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/timer.c - the PIT as a periodic interrupt source on IRQ0.
 *
 * Channel 0, lobyte/hibyte access, mode 2 (rate generator), binary: the counter
 * reloads from the divisor and pulls OUT0 (IRQ0) once per period. The IRQ handler
 * counts the tick and runs the user's callback; pic.c's dispatcher sends the EOI.
 * Must not: program the PIT's other channels, or enable interrupts itself.
 */
#include "arch/x86_64/timer.h"

#include <stdbool.h>

#include "arch/x86_64/cpu.h"
#include "lib/irq.h"
#include "arch/x86_64/pic.h"
#include "lib/panic.h"

#define PIT_CH0_DATA 0x40
#define PIT_CMD 0x43
#define PIT_CMD_CH0_LOHI_MODE2 0x34 /* channel 0, lobyte/hibyte, mode 2, binary */
#define TIMER_IRQ 0

static volatile uint64_t ticks;
static timer_tick_fn tick_fn;
static void *tick_ctx;
static bool running;

static void timer_irq(void *unused)
{
    (void)unused;
    ticks++;
    if (tick_fn)
        tick_fn(tick_ctx);
}

void timer_start(unsigned hz, timer_tick_fn tick, void *ctx)
{
    if (hz < TIMER_MIN_HZ || hz > TIMER_MAX_HZ)
        panic("timer_start: %u Hz out of range (%u..%u)", hz, TIMER_MIN_HZ, TIMER_MAX_HZ);
    irq_flags_t f = irq_save();
    if (running) {
        irq_restore(f);
        panic("timer_start: the timer is already running");
    }
    uint32_t divisor = (TIMER_PIT_HZ + hz / 2) / hz; /* 12..65536; 65536 is written as 0 */
    tick_fn = tick;
    tick_ctx = ctx;
    running = true;
    irq_set_handler(TIMER_IRQ, timer_irq, NULL);
    outb(PIT_CMD, PIT_CMD_CH0_LOHI_MODE2);
    outb(PIT_CH0_DATA, (uint8_t)divisor);
    outb(PIT_CH0_DATA, (uint8_t)(divisor >> 8));
    pic_unmask(TIMER_IRQ);
    irq_restore(f);
}

void timer_stop(void)
{
    irq_flags_t f = irq_save();
    if (running) {
        pic_mask(TIMER_IRQ);
        irq_set_handler(TIMER_IRQ, NULL, NULL);
        tick_fn = NULL;
        tick_ctx = NULL;
        running = false;
    }
    irq_restore(f);
}

uint64_t timer_ticks(void)
{
    return ticks; /* one aligned 64-bit load: atomic on x86_64 */
}
