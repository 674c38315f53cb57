/* arch/x86_64/idt.h - the IDT and the exception handlers. */
#ifndef MBHEAP_ARCH_IDT_H
#define MBHEAP_ARCH_IDT_H

#include <stdint.h>

/* What isr.asm saves, lowest address first. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Installs handlers for the 32 exceptions (#DF, NMI and #MC run on IST stacks) and
 * the stubs of the 16 PIC IRQs at vectors 32..47 (arch/x86_64/pic.h), and remaps the
 * PICs there with every line masked. Interrupts stay disabled. */
void idt_init(void);

/* Number of breakpoint (int3) exceptions handled so far. */
uint64_t idt_breakpoint_count(void);

#endif
