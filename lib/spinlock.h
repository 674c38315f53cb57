/* SPDX-License-Identifier: MIT */
/*
 * lib/spinlock.h - an interrupt-saving spinlock.
 *
 * spin_lock_irqsave() disables interrupts on this CPU, then spins until the lock is free
 * and takes it, so that an interrupt handler on this CPU cannot run into the code it
 * interrupted, and another CPU waits its turn. The lock records its owner (the CPU
 * number, lib/irq.h): taking a lock this CPU already holds would spin forever, so it
 * panics instead ("recursive lock"); releasing a lock this CPU does not hold panics too,
 * before interrupts are touched (a stray unlock must not re-enable them). The kernel is
 * single-CPU today, where contention can only be such a recursion; host tests run the
 * lock from several threads (tests/host/test_spinlock.c).
 */
#ifndef MBHEAP_LIB_SPINLOCK_H
#define MBHEAP_LIB_SPINLOCK_H

#include <stdbool.h>

#include "lib/irq.h"
#include "lib/panic.h"

#define SPINLOCK_NO_OWNER (-1)

struct spinlock {
    int locked; /* 0 or 1, changed atomically */
    int owner;  /* the holder's CPU number, SPINLOCK_NO_OWNER when free */
    const char *name;
};

#define SPINLOCK_INIT(n)                                                                           \
    {                                                                                              \
        0, SPINLOCK_NO_OWNER, n                                                                    \
    }

/* Disables interrupts, takes l (spinning while another CPU holds it) and returns the
 * previous interrupt state for spin_unlock_irqrestore. Panics when this CPU holds l.
 * Context: any, interrupt handlers included. */
static inline irq_flags_t spin_lock_irqsave(struct spinlock *l)
{
    irq_flags_t f = irq_save();
    int me = (int)cpu_current();
    if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        /* Only this CPU stores its own number in owner, and clears it before releasing:
         * seeing it here means this CPU holds l. */
        if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == me)
            panic("spin_lock_irqsave: %s already held by this CPU (%d): recursive lock", l->name,
                  me);
        do {
            while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
                __builtin_ia32_pause();
        } while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE));
    }
    __atomic_store_n(&l->owner, me, __ATOMIC_RELAXED);
    return f;
}

/* Releases l and restores the interrupt state f. Panics, leaving interrupts as they are,
 * when this CPU does not hold l. Context: any, by the CPU that took l. */
static inline void spin_unlock_irqrestore(struct spinlock *l, irq_flags_t f)
{
    int me = (int)cpu_current();
    int locked = __atomic_load_n(&l->locked, __ATOMIC_RELAXED);
    int owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
    if (!locked || owner != me)
        panic("spin_unlock_irqrestore: %s is not held by this CPU (%d): %s %d", l->name, me,
              locked ? "held by CPU" : "not locked, owner", owner);
    __atomic_store_n(&l->owner, SPINLOCK_NO_OWNER, __ATOMIC_RELAXED);
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    irq_restore(f);
}

/* True when this CPU holds l. Context: any. */
static inline bool spin_held(const struct spinlock *l)
{
    return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) &&
           __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == (int)cpu_current();
}

#endif
