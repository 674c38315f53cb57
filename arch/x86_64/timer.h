/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/timer.h - a periodic tick from the PIT (8254 channel 0) on IRQ0.
 *
 * Interrupts stay off during boot; a user of the timer enables them (irq_enable) after
 * timer_start and should disable them again after timer_stop. One timer, one callback:
 * the tick runs in interrupt context (interrupts disabled, on the interrupted stack),
 * so it may use the kernel heap (its lock disables interrupts) but must not print or
 * take a lock that is held with interrupts enabled. Kernel-only.
 */
#ifndef MBHEAP_ARCH_TIMER_H
#define MBHEAP_ARCH_TIMER_H

#include <stdint.h>

#define TIMER_PIT_HZ 1193182u /* the PIT's input clock */
#define TIMER_MIN_HZ 19u      /* divisor 65536 */
#define TIMER_MAX_HZ 100000u  /* divisor 12: faster would leave little time between ticks */

/* The tick callback: ctx is timer_start's. */
typedef void (*timer_tick_fn)(void *ctx);

/*
 * Programs PIT channel 0 as a rate generator (mode 2) at hz (TIMER_MIN_HZ..TIMER_MAX_HZ;
 * the real rate is TIMER_PIT_HZ / round(TIMER_PIT_HZ / hz)), installs tick (may be NULL:
 * ticks are only counted) and unmasks IRQ0. Ticks arrive once the caller enables
 * interrupts. Panics on an out-of-range hz or when the timer is already running.
 */
void timer_start(unsigned hz, timer_tick_fn tick, void *ctx);

/* Masks IRQ0 and removes the callback: once it returns, no tick runs any more (a tick
 * already in progress has finished, the kernel being single-CPU). No-op when stopped. */
void timer_stop(void);

/* Ticks since boot (all runs of the timer together); readable from any context. */
uint64_t timer_ticks(void);

#endif
