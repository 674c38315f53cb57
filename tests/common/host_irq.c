/* SPDX-License-Identifier: MIT */
/*
 * tests/common/host_irq.c - lib/irq.h for host programs: each thread stands in for a CPU.
 *
 * The interrupt flag is simulated per thread (on at thread start), so a test can see that
 * a lock turned "interrupts" off and restored them; each thread gets its own CPU number,
 * in the order the threads first ask, so that the spinlock sees real contention.
 */
#include "lib/irq.h"

static _Thread_local bool host_irq_on = true;
static _Thread_local unsigned host_cpu_plus1; /* 0: not numbered yet */
static unsigned host_cpus;

irq_flags_t irq_save(void)
{
    irq_flags_t f = host_irq_on;
    host_irq_on = false;
    return f;
}

void irq_restore(irq_flags_t f)
{
    if (f)
        host_irq_on = true;
}

bool irq_enabled(void)
{
    return host_irq_on;
}

unsigned cpu_current(void)
{
    if (!host_cpu_plus1)
        host_cpu_plus1 = __atomic_add_fetch(&host_cpus, 1, __ATOMIC_RELAXED);
    return host_cpu_plus1 - 1;
}
