/* SPDX-License-Identifier: MIT */
/* arch/x86_64/idt.h - the IDT and the exception handlers. */
#ifndef MBHEAP_ARCH_IDT_H
#define MBHEAP_ARCH_IDT_H

#include <stdint.h>

#include "arch/x86_64/trap_frame.h"

/* Installs handlers for the 32 exceptions (#DF, NMI and #MC run on IST stacks) and
 * the stubs of the 16 PIC IRQs at vectors 32..47 (arch/x86_64/pic.h), and remaps the
 * PICs there with every line masked. Interrupts stay disabled. */
void idt_init(void);

/* Number of breakpoint (int3) exceptions handled so far. */
uint64_t idt_breakpoint_count(void);

#endif
