; SPDX-License-Identifier: MIT
; boot/boot64.asm - first 64-bit code: segments, the kernel stack, kmain.
;
; long_mode_entry runs at its low (identity-mapped) address right after the far jump;
; it jumps to the higher half, loads the data segments, switches to the kernel stack
; (which has an unmapped guard page below it, so an overflow faults instead of
; silently corrupting .bss) and calls kmain(magic, mbi_physical_address).

bits 64

%include "mbheap_layout.inc"  ; generated from cmake/layout.cmake
KERNEL_VMA equ MBHEAP_KERNEL_VMA
KERNEL_STACK_SIZE equ 64 * 1024

extern kmain
extern boot_mb2_magic, boot_mb2_info

global long_mode_entry
global kernel_stack_guard, kernel_stack_bottom, kernel_stack_top

section .boot.text progbits alloc exec nowrite align=16
long_mode_entry:
    mov rax, higher_half_entry
    jmp rax

section .text
higher_half_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax

    mov rsp, kernel_stack_top
    xor ebp, ebp                    ; terminates frame-pointer backtraces
    mov edi, [boot_mb2_magic]
    mov esi, [boot_mb2_info]
    push 0                          ; a zero return address ends every backtrace here
    jmp kmain                       ; kmain never returns

section .bss.stack nobits alloc noexec write align=4096
kernel_stack_guard:  resb 4096      ; never mapped
kernel_stack_bottom: resb KERNEL_STACK_SIZE
kernel_stack_top:

; No executable stack is needed (silences the linker's implied-execstack warning).
section .note.GNU-stack noalloc noexec nowrite progbits
