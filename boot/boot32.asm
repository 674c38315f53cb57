; SPDX-License-Identifier: MIT
; boot/boot32.asm - the 32-bit trampoline: from GRUB's protected mode to long mode.
;
; GRUB enters _start in 32-bit protected mode, paging off, with EAX = multiboot2 magic
; and EBX = physical address of the multiboot2 information structure. We check the
; magic and the CPU (CPUID, long mode, NX), and on failure print
; "mbheap: boot error: <reason>" on COM1, and on the VGA text screen when there is one
; (the multiboot2 information says so, as kmain.c decides it: never under UEFI, never with
; a bad magic, when EBX cannot be trusted), then write the isa-debug-exit failure code
; (QEMU exits 35 under the test flags; without the device the write does nothing) and halt.
; Otherwise we build the boot page tables:
;   identity     0 .. 4 GiB            2 MiB pages (PML4[0])   - lets C read the MBI
;   direct map   0xffff8000_00000000 + 0 .. 4 GiB, same tables (PML4[256])
;   kernel       0xffffffff_80000000 + 0 .. 1 GiB (PML4[511], PDPT[510]); the first
;                8 MiB (MBHEAP_BOOT_MAP_SIZE) with 4 KiB pages so that the kernel stack's guard page stays
;                unmapped, the rest with 2 MiB pages
; then enable PAE, EFER.LME|NXE, paging, load a 64-bit GDT and far-jump to boot64.asm.
; The C kernel replaces all of this with its own tables (kernel/kmem.c).
;
; This code runs at its physical address: everything here is in the low .boot sections.

bits 32

%include "mbheap_layout.inc"       ; generated from cmake/layout.cmake
KERNEL_VMA      equ MBHEAP_KERNEL_VMA
MB2_BOOT_MAGIC  equ 0x36d76289
BOOT_PT_COUNT   equ MBHEAP_BOOT_PT_COUNT ; page tables x 2 MiB = MBHEAP_BOOT_MAP_SIZE (linker.ld)
%if BOOT_PT_COUNT * 2 * 1024 * 1024 != MBHEAP_BOOT_MAP_SIZE
%error "MBHEAP_BOOT_PT_COUNT page tables do not map MBHEAP_BOOT_MAP_SIZE"
%endif
PTE_P           equ 1 << 0
PTE_W           equ 1 << 1
PTE_PS          equ 1 << 7
COM1            equ 0x3f8
DEBUG_EXIT_PORT equ 0xf4            ; arch/x86_64/qemu.c
DEBUG_EXIT_FAIL equ 0x11            ; QEMU_EXIT_FAILURE, arch/x86_64/qemu.h
MB2_TAG_FB      equ 8               ; multiboot2 tag types (mm/multiboot2.h)
MB2_TAG_EFI32   equ 11
MB2_TAG_EFI64   equ 12
MB2_FB_EGA_TEXT equ 2               ; framebuffer type: EGA text (kmain.c)

extern long_mode_entry              ; boot64.asm (low, 64-bit)
extern kernel_stack_guard           ; boot64.asm (higher half, .bss)

global _start
global boot_mb2_magic, boot_mb2_info
global boot_error_exit              ; the GDB tests stop there to read the screen
global boot_pml4

section .boot.text progbits alloc exec nowrite align=16
_start:
    cli
    cld
    mov esp, boot32_stack_top
    mov [boot_mb2_magic], eax
    mov [boot_mb2_info], ebx

    cmp eax, MB2_BOOT_MAGIC
    jne .bad_magic

    ; CPUID is available when EFLAGS.ID (bit 21) can be toggled.
    pushfd
    pop eax
    mov ecx, eax
    xor eax, 1 << 21
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    cmp eax, ecx
    je .no_cpuid

    ; Extended leaf 0x80000001 must exist and report LM (EDX bit 29) and NX (bit 20).
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no_long_mode
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29
    jz .no_long_mode
    test edx, 1 << 20
    jz .no_nx

    call build_boot_tables

    mov eax, cr4
    or eax, 1 << 5                  ; PAE
    mov cr4, eax
    mov eax, boot_pml4
    mov cr3, eax
    mov ecx, 0xc0000080             ; IA32_EFER
    rdmsr
    or eax, (1 << 8) | (1 << 11)    ; LME | NXE
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16)   ; PG | WP
    mov cr0, eax

    lgdt [boot_gdt_ptr]
    jmp 0x08:long_mode_entry

.bad_magic:
    mov esi, msg_bad_magic
    xor edi, edi                    ; EBX is not a multiboot2 structure: COM1 only
    jmp boot_error
.no_cpuid:
    mov esi, msg_no_cpuid
    jmp .error_screen
.no_long_mode:
    mov esi, msg_no_long_mode
    jmp .error_screen
.no_nx:
    mov esi, msg_no_nx
.error_screen:
    call vga_text_screen
    jmp boot_error

; vga_text_screen: EBX = the multiboot2 information (magic checked). Returns EDI = 1 when
; it reports a VGA text screen, as boot_info_init() in kmain.c decides: a framebuffer tag
; of EGA text type, or no framebuffer tag and no EFI system table tag (a BIOS boot).
; Tags are walked within total_size; a malformed one ends the walk.
vga_text_screen:
    push eax
    push ecx
    push edx
    mov ecx, [ebx]
    add ecx, ebx                    ; ECX = end of the structure
    jc .done_walk
    lea edx, [ebx + 8]              ; EDX = first tag
    xor edi, edi                    ; bit 0: framebuffer tag, 1: EGA text, 2: EFI tag
.tag:
    lea eax, [edx + 8]
    cmp eax, ecx
    ja .done_walk                   ; no room for a tag header
    mov eax, [edx]
    test eax, eax
    jz .done_walk                   ; the end tag
    cmp eax, MB2_TAG_FB
    jne .not_fb
    or edi, 1
    cmp dword [edx + 4], 30
    jb .next                        ; too short to hold the type byte (offset 29)
    cmp byte [edx + 29], MB2_FB_EGA_TEXT
    jne .next
    or edi, 2
    jmp .next
.not_fb:
    cmp eax, MB2_TAG_EFI32
    je .efi
    cmp eax, MB2_TAG_EFI64
    jne .next
.efi:
    or edi, 4
.next:
    mov eax, [edx + 4]              ; the tag's size, then 8-byte aligned
    cmp eax, 8
    jb .done_walk
    add eax, 7
    jc .done_walk
    and eax, ~7
    add edx, eax
    jc .done_walk
    jmp .tag
.done_walk:
    test edi, 1
    jz .no_fb
    shr edi, 1                      ; a framebuffer: text when it is EGA text
    and edi, 1
    jmp .return
.no_fb:
    shr edi, 2                      ; none: text unless an EFI system table says UEFI
    and edi, 1
    xor edi, 1
.return:
    pop edx
    pop ecx
    pop eax
    ret

; Fills the boot page tables (all zeroed by the loader: .boot.bss is NOBITS).
build_boot_tables:
    ; PML4[0] and PML4[256] -> the identity PDPT, PML4[511] -> the kernel PDPT.
    mov eax, boot_pdpt_low
    or eax, PTE_P | PTE_W
    mov [boot_pml4 + 0 * 8], eax
    mov [boot_pml4 + 256 * 8], eax
    mov eax, boot_pdpt_high
    or eax, PTE_P | PTE_W
    mov [boot_pml4 + 511 * 8], eax

    ; identity PDPT[0..3] -> four PDs of 2 MiB pages covering 0 .. 4 GiB.
    xor ecx, ecx
.pdpt_low:
    mov eax, ecx
    shl eax, 12
    add eax, boot_pd_low
    or eax, PTE_P | PTE_W
    mov [boot_pdpt_low + ecx * 8], eax
    inc ecx
    cmp ecx, 4
    jb .pdpt_low

    xor ecx, ecx                    ; entry index 0 .. 2047; phys = index * 2 MiB
.pd_low:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_P | PTE_W | PTE_PS
    mov [boot_pd_low + ecx * 8], eax  ; the high dword stays 0 (.boot.bss, below 4 GiB)
    inc ecx
    cmp ecx, 2048
    jb .pd_low

    ; kernel PDPT[510] -> kernel PD: PD[0..3] -> page tables, PD[4..511] 2 MiB pages.
    mov eax, boot_pd_high
    or eax, PTE_P | PTE_W
    mov [boot_pdpt_high + 510 * 8], eax
    xor ecx, ecx
.pd_high:
    cmp ecx, BOOT_PT_COUNT
    jae .pd_high_large
    mov eax, ecx
    shl eax, 12
    add eax, boot_pt_kernel
    or eax, PTE_P | PTE_W
    jmp .pd_high_store
.pd_high_large:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_P | PTE_W | PTE_PS
.pd_high_store:
    mov [boot_pd_high + ecx * 8], eax
    inc ecx
    cmp ecx, 512
    jb .pd_high

    ; 4 KiB pages for the first MBHEAP_BOOT_MAP_SIZE bytes, except the kernel stack's guard page.
    mov ebx, kernel_stack_guard - KERNEL_VMA
    xor ecx, ecx
.pt:
    mov eax, ecx
    shl eax, 12
    cmp eax, ebx
    je .pt_next
    or eax, PTE_P | PTE_W
    mov [boot_pt_kernel + ecx * 8], eax
.pt_next:
    inc ecx
    cmp ecx, BOOT_PT_COUNT * 512
    jb .pt
    ret

; boot_error: ESI = NUL-terminated reason, EDI = 1 to write the VGA text screen too.
; Prints "mbheap: boot error: <reason>" on COM1 (and the screen, white on red), writes the
; isa-debug-exit failure code, then halts forever.
boot_error:
    ; 16550 at 115200 8N1, FIFO on: enough for the message to reach the serial log.
    mov dx, COM1 + 1
    mov al, 0
    out dx, al                      ; no interrupts
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al                      ; DLAB
    mov dx, COM1 + 0
    mov al, 1
    out dx, al                      ; divisor 1 = 115200 baud
    mov dx, COM1 + 1
    mov al, 0
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al                      ; 8N1
    mov dx, COM1 + 2
    mov al, 0xc7
    out dx, al                      ; FIFO on, cleared

    mov ebp, edi                    ; EBP = write the screen
    mov edi, 0xb8000
    push esi
    mov esi, msg_prefix
    call boot_puts
    pop esi
    call boot_puts
    mov al, 13
    call boot_serial_putc
    mov al, 10
    call boot_serial_putc
boot_error_exit:
    mov dx, DEBUG_EXIT_PORT
    mov eax, DEBUG_EXIT_FAIL
    out dx, eax
.halt:
    cli
    hlt
    jmp .halt

boot_puts:                          ; ESI string -> serial, and VGA at EDI when EBP
    lodsb
    test al, al
    jz .puts_done
    call boot_serial_putc
    test ebp, ebp
    jz boot_puts
    mov ah, 0x4f
    mov [edi], ax
    add edi, 2
    jmp boot_puts
.puts_done:
    ret

boot_serial_putc:                   ; AL -> COM1, waiting for the transmitter
    push eax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop eax
    mov dx, COM1
    out dx, al
    ret

section .boot.data progbits alloc noexec write align=16
msg_prefix:       db "mbheap: boot error: ", 0
msg_bad_magic:    db "not loaded by a multiboot2 boot loader (bad magic in EAX)", 0
msg_no_cpuid:     db "CPUID is not supported", 0
msg_no_long_mode: db "the CPU does not support long mode (x86_64)", 0
msg_no_nx:        db "the CPU does not support the NX (execute-disable) bit", 0

align 16
boot_gdt:
    dq 0                            ; null
    dq 0x00209a0000000000           ; 0x08: 64-bit code, present, DPL 0
    dq 0x0000920000000000           ; 0x10: data, present, writable
boot_gdt_end:
boot_gdt_ptr:
    dw boot_gdt_end - boot_gdt - 1
    dq boot_gdt

align 8
boot_mb2_magic: dd 0
boot_mb2_info:  dd 0

section .boot.bss nobits alloc noexec write align=4096
boot_pml4:       resb 4096
boot_pdpt_low:   resb 4096
boot_pdpt_high:  resb 4096
boot_pd_high:    resb 4096
boot_pd_low:     resb 4 * 4096
boot_pt_kernel:  resb BOOT_PT_COUNT * 4096
boot32_stack:    resb 4096
boot32_stack_top:

; No executable stack is needed (silences the linker's implied-execstack warning).
section .note.GNU-stack noalloc noexec nowrite progbits
