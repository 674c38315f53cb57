/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/gdt.c - GDT, TSS and the interrupt stack table.
 *
 * Long mode ignores segment bases and limits, but still needs a code segment with the
 * L bit, a data segment, and a TSS whose IST entries give fatal exceptions a known-good
 * stack: a double fault caused by a kernel stack overflow must not run on the stack
 * that just overflowed.
 */
#include "arch/x86_64/gdt.h"

#include "lib/string.h"
#include "lib/types.h"

struct __attribute__((packed)) tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
STATIC_ASSERT(sizeof(struct tss) == 104, "TSS layout");

struct __attribute__((packed)) gdt_ptr {
    uint16_t limit;
    uint64_t base;
};

static struct tss tss;
static uint64_t gdt[5];
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

extern char kernel_stack_bottom[], kernel_stack_top[];

void gdt_init(void)
{
    memset(&tss, 0, sizeof(tss));
    for (int i = 0; i < 3; i++)
        tss.ist[i] = (uint64_t)(uintptr_t)(ist_stacks[i] + IST_STACK_SIZE);
    tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */

    uint64_t base = (uint64_t)(uintptr_t)&tss;
    uint64_t limit = sizeof(tss) - 1;
    gdt[0] = 0;
    gdt[1] = 0x00209a0000000000ull; /* kernel code: present, DPL 0, executable, L */
    gdt[2] = 0x0000920000000000ull; /* kernel data: present, writable */
    /* 64-bit available TSS descriptor (type 9), 16 bytes. */
    gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
             (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[4] = base >> 32;

    struct gdt_ptr p = {sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w2, %%ax\n\t"
                     "movw %%ax, %%ds\n\t"
                     "movw %%ax, %%es\n\t"
                     "movw %%ax, %%ss\n\t"
                     "ltr %w3\n\t"
                     :
                     : "m"(p), "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA), "r"(GDT_TSS)
                     : "rax", "memory");
}

/* The name of the kernel stack holding all of [addr, addr + len] (a stack's top address
 * counts as on it), or NULL when none does. */
static const char *stack_holding(uint64_t addr, uint64_t len)
{
    static const char *const names[3] = {"IST1 (double fault)", "IST2 (NMI)",
                                         "IST3 (machine check)"};
    uint64_t end;
    if (__builtin_add_overflow(addr, len, &end))
        return NULL;
    if (addr >= (uint64_t)(uintptr_t)kernel_stack_bottom &&
        end <= (uint64_t)(uintptr_t)kernel_stack_top)
        return "kernel stack";
    for (int i = 0; i < 3; i++) {
        uint64_t lo = (uint64_t)(uintptr_t)ist_stacks[i];
        if (addr >= lo && end <= lo + IST_STACK_SIZE)
            return names[i];
    }
    return NULL;
}

bool arch_on_kernel_stack(uint64_t addr, uint64_t len)
{
    return stack_holding(addr, len) != NULL;
}

const char *arch_stack_name(uint64_t addr)
{
    return stack_holding(addr, 0);
}
