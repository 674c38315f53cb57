/* SPDX-License-Identifier: MIT */
/* arch/x86_64/idt.h - the IDT and the exception handlers. */
#ifndef MBHEAP_ARCH_IDT_H
#define MBHEAP_ARCH_IDT_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/trap_frame.h"

/* Installs handlers for the 32 exceptions (#DF, NMI and #MC run on IST stacks) and
 * the stubs of the 16 PIC IRQs at vectors 32..47 (arch/x86_64/pic.h), and remaps the
 * PICs there with every line masked. Interrupts stay disabled. */
void idt_init(void);

/* Number of breakpoint (int3) exceptions handled so far. */
uint64_t idt_breakpoint_count(void);

/*
 * A page-fault describer names what a faulting address belongs to, for the panic message
 * (the kernel heap's: "a released page of a free heap block"); it returns NULL when the
 * address is not its own. It runs inside the page-fault handler, perhaps with any lock
 * held: it must not take locks, allocate or fault. @present: the page was mapped (a
 * protection violation) rather than not present.
 */
typedef const char *(*idt_fault_describer)(uint64_t addr, bool present);

/* Sets the describer the page-fault panic asks (one; NULL removes it). Boot code sets it
 * once the address ranges it describes exist. */
void idt_set_fault_describer(idt_fault_describer fn);

#endif
