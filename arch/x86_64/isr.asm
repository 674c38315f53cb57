; SPDX-License-Identifier: MIT
; arch/x86_64/isr.asm - entry stubs for the 32 CPU exceptions and the 16 PIC IRQs.
;
; Each stub makes the stack look the same (a dummy error code where the CPU pushes
; none, then the vector number), saves the general registers into a struct trap_frame
; (arch/x86_64/idt.h) and calls the C side with the frame: exception_dispatch (idt.c)
; for vectors 0..31, irq_dispatch (pic.c: runs the handler, sends the EOI) for the
; IRQs at 32..47. If the C side returns, the registers are restored and iretq resumes
; the interrupted code. The CPU aligns RSP to 16 before pushing its frame; with the
; 17 words pushed here the call happens on a 16-byte aligned stack, as the ABI wants.

bits 64
section .text

extern exception_dispatch
extern irq_dispatch
global isr_stub_table
global irq_stub_table

%macro ISR_NOERR 1
isr_%1:
    push qword 0
    push qword %1
    jmp isr_common
%endmacro

%macro ISR_ERR 1
isr_%1:
    push qword %1
    jmp isr_common
%endmacro

%macro IRQ_STUB 1
irq_%1:
    push qword 0
    push qword %1
    jmp irq_common
%endmacro

; Saves the registers, calls %1(frame), restores them and returns from the interrupt.
%macro TRAP_COMMON 1
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld
    mov rdi, rsp
    call %1
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                     ; vector and error code
    iretq
%endmacro

isr_common:
    TRAP_COMMON exception_dispatch

irq_common:
    TRAP_COMMON irq_dispatch

%assign v 0
%rep 32
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
    ISR_ERR v
%else
    ISR_NOERR v
%endif
%assign v v + 1
%endrep

%assign v 32
%rep 16
    IRQ_STUB v
%assign v v + 1
%endrep

section .rodata
align 8
isr_stub_table:
%assign v 0
%rep 32
    dq isr_ %+ v
%assign v v + 1
%endrep

irq_stub_table:
%assign v 32
%rep 16
    dq irq_ %+ v
%assign v v + 1
%endrep

; No executable stack is needed (silences the linker's implied-execstack warning).
section .note.GNU-stack noalloc noexec nowrite progbits
