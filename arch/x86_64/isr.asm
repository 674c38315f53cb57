; arch/x86_64/isr.asm - entry stubs for the 32 CPU exceptions.
;
; Each stub makes the stack look the same (a dummy error code where the CPU pushes
; none, then the vector number), saves the general registers into a struct trap_frame
; (arch/x86_64/idt.h) and calls exception_dispatch(frame). If the handler returns, the
; registers are restored and iretq resumes the interrupted code.

bits 64
section .text

extern exception_dispatch
global isr_stub_table

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

isr_common:
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
    call exception_dispatch
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

%assign v 0
%rep 32
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
    ISR_ERR v
%else
    ISR_NOERR v
%endif
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

; No executable stack is needed (silences the linker's implied-execstack warning).
section .note.GNU-stack noalloc noexec nowrite progbits
