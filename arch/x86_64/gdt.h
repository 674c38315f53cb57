/* SPDX-License-Identifier: MIT */
/* arch/x86_64/gdt.h - the kernel's GDT and TSS, with IST stacks for fatal exceptions. */
#ifndef MBHEAP_ARCH_GDT_H
#define MBHEAP_ARCH_GDT_H

#include <stdbool.h>
#include <stdint.h>

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_TSS 0x18

/* Interrupt stack table slots (1-based, as the IDT encodes them). */
#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3
#define IST_STACK_SIZE (16 * 1024)

/* Loads the GDT and the TSS; reloads CS and the data segments. */
void gdt_init(void);

/* True when [addr, addr + len) lies within one of the kernel's stacks (the boot
 * kernel stack or an IST stack). Used by the backtrace to stay on safe memory. */
bool arch_on_kernel_stack(uint64_t addr, uint64_t len);

/* Which stack addr is on: "kernel stack", "IST1 (double fault)", ... or NULL. */
const char *arch_stack_name(uint64_t addr);

#endif
