/* SPDX-License-Identifier: MIT */
/* tests/host/sim_phys.c - simulated physical memory and phys_to_virt(); see sim_phys.h. */
#include "support.h"

#include <sys/mman.h>

#include "lib/phys.h"
#include "sim_phys.h"

uint8_t *sim_phys;
static uint64_t sim_size;

void *phys_to_virt(paddr_t p)
{
    if (pa_val(p) >= sim_size)
        fail_msg("phys_to_virt(0x%llx): outside simulated RAM", (unsigned long long)pa_val(p));
    return sim_phys + pa_val(p);
}

int sim_phys_map(uint64_t size)
{
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (m == MAP_FAILED)
        return -1;
    sim_phys = m;
    sim_size = size;
    return 0;
}

int sim_phys_clear(void)
{
    return madvise(sim_phys, sim_size, MADV_DONTNEED);
}

int sim_phys_unmap(void)
{
    int r = munmap(sim_phys, sim_size);
    sim_phys = NULL;
    sim_size = 0;
    return r;
}

int sim_phys_reset(void **state)
{
    (void)state;
    return sim_phys_clear();
}

int sim_phys_teardown(void **state)
{
    (void)state;
    return sim_phys_unmap();
}
