; SPDX-License-Identifier: MIT
; boot/multiboot2_header.asm - the multiboot2 header GRUB looks for.
;
; It must lie within the first 32 KiB of the ELF file, 8-byte aligned (the linker
; script puts .multiboot2 first). We ask for nothing special: GRUB's defaults give us
; the memory map, command line, boot loader name, modules and ELF sections, and load
; the ELF segments at their physical addresses.

MB2_MAGIC    equ 0xe85250d6
MB2_ARCH_I386 equ 0                ; 32-bit protected mode entry

section .multiboot2 progbits alloc noexec nowrite align=8
mb2_header_start:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header_start
    dd 0x100000000 - (MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header_start))
    ; end tag
    align 8
    dw 0, 0
    dd 8
mb2_header_end:

; No executable stack is needed (silences the linker's implied-execstack warning).
section .note.GNU-stack noalloc noexec nowrite progbits
