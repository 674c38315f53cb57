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

/**
 * spin_lock_irqsave() - disable interrupts on this CPU, then take @l.
 * @l: the lock (SPINLOCK_INIT'ed); its name is used in panic messages.
 *
 * Interrupts go off first (irq_save(): the maskable ones only; NMIs and CPU exceptions
 * still run), then it spins while another CPU holds @l. Different locks may nest (the
 * kernel takes kvmm_lock, then kpmm_lock): each call returns the state as it found it,
 * so they must be released in the reverse order, or interrupts come back on while an
 * inner lock is still held. Taking a lock this CPU already holds would spin forever, so
 * it panics instead: "spin_lock_irqsave: <name> already held by this CPU (<cpu>):
 * recursive lock", with interrupts already off. An exception handler (or NMI) that takes
 * a lock the code it interrupted holds gets that panic too, except in the instants between
 * the exchange that takes @l and the store of its owner, and between clearing the owner and
 * releasing @l (in spin_unlock_irqrestore): there it spins forever.
 *
 * Context: any, interrupt handlers included; not with @l already held by this CPU (nor
 * from an exception or NMI handler that may interrupt a holder of @l).
 * Return: the previous interrupt state, for spin_unlock_irqrestore() on this CPU.
 */
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

/**
 * spin_unlock_irqrestore() - release @l, then restore the interrupt state @f.
 * @l: a lock this CPU holds.
 * @f: what the matching spin_lock_irqsave() returned.
 *
 * Interrupts come back on only if they were on when @l was taken (irq_restore()). When
 * this CPU does not hold @l it panics before anything is changed, leaving interrupts as
 * they are (a stray unlock must not re-enable them): "spin_unlock_irqrestore: <name> is
 * not held by this CPU (<cpu>): held by CPU <owner>" (or "not locked, owner <owner>").
 *
 * Context: any, by the CPU that took @l; locks nested on this CPU in the reverse order
 * they were taken.
 */
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

/**
 * spin_held() - tell whether this CPU holds @l, for assertions.
 * @l: the lock.
 *
 * Context: any; takes no lock.
 * Return: true when @l is locked by this CPU; false when it is free or another CPU holds
 * it (which may change at any moment).
 */
static inline bool spin_held(const struct spinlock *l)
{
    return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) &&
           __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == (int)cpu_current();
}

#endif
