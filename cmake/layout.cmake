# SPDX-License-Identifier: MIT
# cmake/layout.cmake - the constants that code in several languages must agree on, written
# once. Both builds include it: the kernel build generates from it a C header, a NASM
# include and a linker-script include (mbheap_layout_kernel); the host build generates the
# file the QEMU runners (Python) and scripts (shell) read (mbheap_layout_env).

# The kernel image's virtual base: linked at MBHEAP_KERNEL_VMA + physical address
# (-mcmodel=kernel: the top 2 GiB).
set(MBHEAP_KERNEL_VMA 0xffffffff80000000)
# The boot page tables map the first MBHEAP_BOOT_MAP_MIB of the image with 4 KiB pages (so
# that the stack's guard page stays unmapped), one page table per 2 MiB; the linker refuses
# an image that does not fit.
set(MBHEAP_BOOT_MAP_MIB 8)
math(EXPR MBHEAP_BOOT_PT_COUNT "${MBHEAP_BOOT_MAP_MIB} / 2")
math(EXPR MBHEAP_BOOT_MAP_SIZE "${MBHEAP_BOOT_MAP_MIB} * 1024 * 1024" OUTPUT_FORMAT HEXADECIMAL)
# The QEMU fw_cfg file the kernel reads its (second) command line from.
set(MBHEAP_FW_CFG_CMDLINE "opt/mbheap/cmdline")

set(MBHEAP_LAYOUT_DIR ${CMAKE_CURRENT_LIST_DIR}/layout)

# Writes generated/mbheap_layout.{h,inc,ld} into dir (for C, NASM and the linker script).
function(mbheap_layout_kernel dir)
    foreach(f mbheap_layout.h mbheap_layout.inc mbheap_layout.ld)
        configure_file(${MBHEAP_LAYOUT_DIR}/${f}.in ${dir}/${f} @ONLY)
    endforeach()
endfunction()

# Writes mbheap-layout.env (KEY=value lines) into dir, for run_qemu.py and qemu_args.sh.
function(mbheap_layout_env dir)
    configure_file(${MBHEAP_LAYOUT_DIR}/mbheap-layout.env.in ${dir}/mbheap-layout.env @ONLY)
endfunction()
