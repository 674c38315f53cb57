/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/idt.c - the interrupt descriptor table and what each exception does.
 *
 * Vectors 0..31 are the CPU exceptions (below); 32..47 are the legacy PIC's IRQs, whose
 * stubs go to irq_dispatch (arch/x86_64/pic.c). idt_init also remaps the PICs there
 * with every line masked; nothing enables interrupts during boot.
 *
 * Breakpoints report and return. Every other exception is fatal: it panics with a
 * message naming the exception, the faulting address or error code and RIP. Page
 * faults are decoded (present/not present, read/write/fetch, user/kernel) and
 * recognised when they hit page 0 (NULL dereference) or the kernel stack's guard
 * page; other addresses are named by the describer the boot code sets (the kernel
 * heap's, kernel/kheap.c: a released page of a free block means a use after free or a
 * double free). A kernel stack overflow faults while pushing the page-fault frame, so it
 * becomes a double fault, which runs on its own IST stack and says so.
 */
#include "arch/x86_64/idt.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/pic.h"
#include "lib/kprintf.h"
#include "lib/panic.h"
#include "lib/types.h"

struct __attribute__((packed)) idt_entry {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
};
STATIC_ASSERT(sizeof(struct idt_entry) == 16, "IDT entry layout");
STATIC_ASSERT(sizeof(struct trap_frame) == 22 * 8, "trap frame matches isr.asm");

struct __attribute__((packed)) idt_ptr {
    uint16_t limit;
    uint64_t base;
};

static struct idt_entry idt[256];
static uint64_t breakpoints;
static idt_fault_describer fault_describer;

extern const uint64_t isr_stub_table[32];
extern const uint64_t irq_stub_table[PIC_NUM_IRQS];
extern char kernel_stack_guard[];

static const char *const exception_names[32] = {"divide error",
                                                "debug",
                                                "NMI",
                                                "breakpoint",
                                                "overflow",
                                                "bound range exceeded",
                                                "invalid opcode",
                                                "device not available",
                                                "double fault",
                                                "coprocessor segment overrun",
                                                "invalid TSS",
                                                "segment not present",
                                                "stack-segment fault",
                                                "general protection fault",
                                                "page fault",
                                                "reserved (15)",
                                                "x87 floating-point error",
                                                "alignment check",
                                                "machine check",
                                                "SIMD floating-point error",
                                                "virtualization exception",
                                                "control protection exception",
                                                "reserved (22)",
                                                "reserved (23)",
                                                "reserved (24)",
                                                "reserved (25)",
                                                "reserved (26)",
                                                "reserved (27)",
                                                "hypervisor injection",
                                                "VMM communication",
                                                "security exception",
                                                "reserved (31)"};

static void idt_set(int vector, uint64_t handler, uint8_t ist)
{
    idt[vector] = (struct idt_entry){
        .offset_lo = (uint16_t)handler,
        .selector = GDT_KERNEL_CODE,
        .ist = ist,
        .type_attr = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
        .offset_mid = (uint16_t)(handler >> 16),
        .offset_hi = (uint32_t)(handler >> 32),
    };
}

void idt_init(void)
{
    for (int v = 0; v < 32; v++)
        idt_set(v, isr_stub_table[v], 0);
    for (int i = 0; i < PIC_NUM_IRQS; i++)
        idt_set(PIC_VECTOR_BASE + i, irq_stub_table[i], 0);
    idt[8].ist = IST_DOUBLE_FAULT;
    idt[2].ist = IST_NMI;
    idt[18].ist = IST_MACHINE_CHECK;
    struct idt_ptr p = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" ::"m"(p));
    pic_init();
}

uint64_t idt_breakpoint_count(void)
{
    return breakpoints;
}

void idt_set_fault_describer(idt_fault_describer fn)
{
    fault_describer = fn;
}

static bool in_stack_guard(uint64_t addr)
{
    uint64_t guard = (uint64_t)(uintptr_t)kernel_stack_guard;
    return addr >= guard && addr < guard + PAGE_SIZE;
}

static _Noreturn void page_fault(const struct trap_frame *f)
{
    uint64_t cr2 = read_cr2();
    uint64_t e = f->error_code;
    const char *what = NULL;
    if (cr2 < PAGE_SIZE)
        what = "NULL pointer dereference";
    else if (in_stack_guard(cr2))
        what = "kernel stack overflow (guard page)";
    else if (fault_describer)
        what = fault_describer(cr2, e & 1);
    panic("page fault: %s%saddress 0x%016lx (%s, %s%s, %s%s) error 0x%lx RIP 0x%016lx",
          what ? what : "", what ? ", " : "", cr2,
          (e & 1) ? "protection violation" : "page not present",
          (e & 16)  ? "instruction fetch"
          : (e & 2) ? "write"
                    : "read",
          (e & 16) ? " (NX)" : "", (e & 4) ? "user" : "kernel", (e & 8) ? ", reserved bit set" : "",
          e, f->rip);
}

static _Noreturn void double_fault(const struct trap_frame *f)
{
    uint64_t rsp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
    const char *stack = arch_stack_name(rsp);
    uint64_t cr2 = read_cr2();
    if (in_stack_guard(cr2) || in_stack_guard(f->rsp))
        panic("double fault: kernel stack overflow: the guard page at 0x%016lx was hit "
              "(CR2 0x%016lx, RSP 0x%016lx, RIP 0x%016lx); handler running on %s",
              (uint64_t)(uintptr_t)kernel_stack_guard, cr2, f->rsp, f->rip,
              stack ? stack : "an unknown stack");
    panic("double fault: RIP 0x%016lx RSP 0x%016lx CR2 0x%016lx; handler running on %s", f->rip,
          f->rsp, cr2, stack ? stack : "an unknown stack");
}

void exception_dispatch(struct trap_frame *f);
void exception_dispatch(struct trap_frame *f)
{
    switch (f->vector) {
    case 3:
        breakpoints++;
        kprintf("breakpoint: int3 at RIP 0x%016lx, returning\n", f->rip - 1);
        return;
    case 8: double_fault(f);
    case 13:
        panic("general protection fault: error 0x%lx%s RIP 0x%016lx RSP 0x%016lx", f->error_code,
              f->error_code ? " (segment selector)" : "", f->rip, f->rsp);
    case 14: page_fault(f);
    default:
        panic("exception %lu (%s): error 0x%lx RIP 0x%016lx RSP 0x%016lx", f->vector,
              f->vector < 32 ? exception_names[f->vector] : "?", f->error_code, f->rip, f->rsp);
    }
}
