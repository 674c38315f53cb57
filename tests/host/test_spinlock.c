/* SPDX-License-Identifier: MIT */
/*
 * Host tests for lib/spinlock.h with threads as CPUs (tests/common/host_irq.c): the lock
 * spins under contention and excludes, saves and restores the interrupt flag, and panics
 * on a recursive lock and on an unlock by a CPU that does not hold it.
 */
#include "support.h"

#include <pthread.h>

#include "lib/spinlock.h"

#define THREADS 4
#define ROUNDS 50000

static void test_irq_flag(void **state)
{
    (void)state;
    struct spinlock l = SPINLOCK_INIT("test");
    assert_true(irq_enabled());
    irq_flags_t f = spin_lock_irqsave(&l);
    assert_false(irq_enabled());
    assert_true(spin_held(&l));
    assert_int_equal(l.owner, (int)cpu_current());
    spin_unlock_irqrestore(&l, f);
    assert_true(irq_enabled());
    assert_false(spin_held(&l));
    assert_int_equal(l.owner, SPINLOCK_NO_OWNER);

    /* Taken with interrupts already off (as in a handler): they stay off. */
    irq_flags_t outer = irq_save();
    f = spin_lock_irqsave(&l);
    spin_unlock_irqrestore(&l, f);
    assert_false(irq_enabled());
    irq_restore(outer);
    assert_true(irq_enabled());
}

static void test_recursive_panics(void **state)
{
    (void)state;
    struct spinlock l = SPINLOCK_INIT("rec");
    irq_flags_t f = spin_lock_irqsave(&l);
    EXPECT_PANIC(spin_lock_irqsave(&l), "spin_lock_irqsave: rec already held by this CPU");
    spin_unlock_irqrestore(&l, f);
    assert_true(irq_enabled());
}

static void test_stray_unlock_panics(void **state)
{
    (void)state;
    struct spinlock l = SPINLOCK_INIT("stray");
    irq_flags_t f = irq_save(); /* f says "enabled"; a silent unlock would turn them on */
    EXPECT_PANIC(spin_unlock_irqrestore(&l, f),
                 "spin_unlock_irqrestore: stray is not held by this CPU");
    assert_string_equal(strstr(host_panic_msg, "not locked"), "not locked, owner -1");
    assert_false(irq_enabled()); /* the panic came before the flag was restored */
    assert_int_equal(l.locked, 0);
    irq_restore(f);
}

static struct spinlock shared = SPINLOCK_INIT("shared");

static void *hold_and_exit(void *arg)
{
    (void)arg;
    (void)spin_lock_irqsave(&shared);
    return (void *)(uintptr_t)cpu_current();
}

static void test_unlock_by_other_cpu_panics(void **state)
{
    (void)state;
    pthread_t t;
    void *holder;
    assert_int_equal(pthread_create(&t, NULL, hold_and_exit, NULL), 0);
    assert_int_equal(pthread_join(t, &holder), 0);
    assert_true(shared.locked);
    assert_int_equal(shared.owner, (int)(uintptr_t)holder);
    assert_false(spin_held(&shared));
    irq_flags_t f = irq_save();
    EXPECT_PANIC(spin_unlock_irqrestore(&shared, f), "is not held by this CPU");
    assert_non_null(strstr(host_panic_msg, "held by CPU"));
    assert_int_equal(shared.locked, 1); /* still the other CPU's */
    irq_restore(f);
    shared = (struct spinlock)SPINLOCK_INIT("shared");
}

struct contend {
    struct spinlock lock;
    uint64_t counter; /* plain: only the lock keeps the increments apart */
    int inside;       /* threads inside the critical section right now */
    int max_inside;
    uint64_t irq_on_inside; /* times a thread saw its interrupts on while holding */
};

static void *contend_thread(void *arg)
{
    struct contend *c = arg;
    for (int i = 0; i < ROUNDS; i++) {
        irq_flags_t f = spin_lock_irqsave(&c->lock);
        int n = ++c->inside;
        if (n > c->max_inside)
            c->max_inside = n;
        if (irq_enabled())
            c->irq_on_inside++;
        uint64_t v = c->counter;
        if (i % 4096 == 0)
            sched_yield(); /* hold the lock across a reschedule now and then */
        c->counter = v + 1;
        c->inside--;
        spin_unlock_irqrestore(&c->lock, f);
        assert_true(irq_enabled());
    }
    return NULL;
}

static void test_contention_spins_and_excludes(void **state)
{
    (void)state;
    static struct contend c = {SPINLOCK_INIT("contended"), 0, 0, 0, 0};
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, contend_thread, &c), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(c.counter, (uint64_t)THREADS * ROUNDS);
    assert_int_equal(c.max_inside, 1);
    assert_int_equal(c.irq_on_inside, 0);
    assert_int_equal(c.lock.locked, 0);
    assert_int_equal(c.lock.owner, SPINLOCK_NO_OWNER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_irq_flag),
        cmocka_unit_test(test_recursive_panics),
        cmocka_unit_test(test_stray_unlock_panics),
        cmocka_unit_test(test_unlock_by_other_cpu_panics),
        cmocka_unit_test(test_contention_spins_and_excludes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
