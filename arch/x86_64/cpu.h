/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/cpu.h - every privileged or special instruction the kernel uses.
 *
 * Port I/O, control registers, MSRs, TLB invalidation, interrupts on/off, rdtsc and
 * cpuid, each as a small inline function, so that the rest of the kernel never
 * contains inline assembly. Kernel-only: host builds never include this file.
 */
#ifndef MBHEAP_ARCH_CPU_H
#define MBHEAP_ARCH_CPU_H

#include <stdint.h>

#include "lib/types.h"

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint64_t read_cr0(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}
static inline uint64_t read_cr2(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}
static inline uint64_t read_cr3(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}
static inline void write_cr3(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}
static inline uint64_t read_cr4(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
#define MSR_EFER 0xc0000080u
#define EFER_NXE (1u << 11)

static inline void invlpg(vaddr_t page)
{
    __asm__ volatile("invlpg (%0)" ::"r"(va_val(page)) : "memory");
}

static inline void cpu_halt(void)
{
    __asm__ volatile("hlt");
}
static inline void irq_disable(void)
{
    __asm__ volatile("cli" ::: "memory");
}
static inline void irq_enable(void)
{
    __asm__ volatile("sti" ::: "memory");
}
static inline void cpu_breakpoint(void)
{
    __asm__ volatile("int3");
}
static inline void cpu_pause(void)
{
    __asm__ volatile("pause");
}

static inline uint64_t read_rflags(void)
{
    uint64_t f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f));
    return f;
}
#define RFLAGS_IF (1u << 9)

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c,
                         uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

static inline uint64_t read_rbp(void)
{
    uint64_t v;
    __asm__ volatile("mov %%rbp, %0" : "=r"(v));
    return v;
}

/* Stops this CPU for good: interrupts off, halt in a loop. */
static inline _Noreturn void cpu_halt_forever(void)
{
    for (;;) {
        irq_disable();
        cpu_halt();
    }
}

#endif
