/*
 * lib/spinlock.h - an interrupt-safe spinlock.
 *
 * spin_lock_irqsave() disables interrupts before taking the lock, so an interrupt
 * handler on this CPU cannot deadlock against the code it interrupted. Taking a lock
 * this CPU already holds panics (the kernel is single-CPU; that is always a bug).
 */
#ifndef MBHEAP_LIB_SPINLOCK_H
#define MBHEAP_LIB_SPINLOCK_H

#include "arch/x86_64/irq.h"
#include "lib/panic.h"

struct spinlock {
    volatile int locked;
    const char *name;
};

#define SPINLOCK_INIT(n) {0, n}

static inline irq_flags_t spin_lock_irqsave(struct spinlock *l)
{
    irq_flags_t f = irq_save();
    if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        panic("spin_lock_irqsave: %s already held (recursive lock)", l->name);
    return f;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, irq_flags_t f)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    irq_restore(f);
}

#endif
