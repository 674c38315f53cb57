/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/trap_frame.h - the registers isr.asm saves on an exception or an IRQ.
 *
 * Shared by the exception handlers (arch/x86_64/idt.c) and the IRQ dispatcher
 * (arch/x86_64/pic.c), which therefore need not include each other's headers.
 */
#ifndef MBHEAP_ARCH_TRAP_FRAME_H
#define MBHEAP_ARCH_TRAP_FRAME_H

#include <stdint.h>

/* What isr.asm saves, lowest address first. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

#endif
