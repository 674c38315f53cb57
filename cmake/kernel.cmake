# SPDX-License-Identifier: MIT
# cmake/kernel.cmake - the freestanding kernel build: build/mbheap.elf and build/mbheap.iso.
#
# Configured by the top-level CMakeLists.txt as an external project with
# arch/x86_64/toolchain.cmake (see there for the compiler and the freestanding flags).
# MBHEAP_OUT_DIR is where the ELF and the ISO are placed (the top-level build dir).

set(CMAKE_C_STANDARD 11)
set(CMAKE_C_EXTENSIONS ON)
if(NOT MBHEAP_OUT_DIR)
    set(MBHEAP_OUT_DIR ${CMAKE_BINARY_DIR})
endif()

# Kernel sources, by owner (README.md, Layout). The mm/ cores (cmake/parts.cmake) are the very
# same files the host tests build; kernel/ holds the glue that makes them this kernel's (locks,
# direct map, heap region) and the test runner; tests/kernel/ holds the in-kernel test suites
# (one kernel serves the demo and every test; the command line selects).
include(${CMAKE_SOURCE_DIR}/cmake/parts.cmake)
set(MBHEAP_BOOT_SOURCES
    boot/multiboot2_header.asm
    boot/boot32.asm
    boot/boot64.asm
    boot/kmain.c
    boot/options.c)
set(MBHEAP_ARCH_SOURCES
    arch/x86_64/isr.asm
    arch/x86_64/gdt.c
    arch/x86_64/idt.c
    arch/x86_64/serial.c
    arch/x86_64/vga.c
    arch/x86_64/console.c
    arch/x86_64/panic.c
    arch/x86_64/qemu.c
    arch/x86_64/pic.c
    arch/x86_64/timer.c
    arch/x86_64/irq.c)
set(MBHEAP_LIB_SOURCES
    lib/kprintf.c
    lib/string.c
    lib/error.c
    lib/cmdline.c
    lib/alloc.c
    lib/collections/kvec.c
    lib/collections/kstring.c
    lib/collections/krc.c)
set(MBHEAP_MM_SOURCES ${MBHEAP_PART_MB2} ${MBHEAP_PART_PMM} ${MBHEAP_PART_VMM} ${MBHEAP_PART_HEAP})
# (a part may take a lib/ file along: list it once)
list(REMOVE_ITEM MBHEAP_MM_SOURCES ${MBHEAP_LIB_SOURCES})
set(MBHEAP_GLUE_SOURCES
    kernel/direct_map.c
    kernel/kmem.c
    kernel/kheap.c
    kernel/ktest.c)
set(MBHEAP_KTEST_SOURCES
    tests/kernel/test_boot.c
    tests/kernel/test_heap.c
    tests/kernel/test_mm.c
    tests/kernel/test_gdb.c
    tests/kernel/test_bench.c)

# The constants C, NASM and the linker script share (cmake/layout.cmake), generated here.
include(${CMAKE_SOURCE_DIR}/cmake/layout.cmake)
set(MBHEAP_GENERATED_DIR ${CMAKE_BINARY_DIR}/generated)
mbheap_layout_kernel(${MBHEAP_GENERATED_DIR})

set(MBHEAP_LINKER_SCRIPT ${CMAKE_SOURCE_DIR}/arch/x86_64/linker.ld)
add_executable(mbheap.elf
    ${MBHEAP_BOOT_SOURCES} ${MBHEAP_ARCH_SOURCES} ${MBHEAP_LIB_SOURCES}
    ${MBHEAP_MM_SOURCES} ${MBHEAP_GLUE_SOURCES} ${MBHEAP_KTEST_SOURCES})
target_include_directories(mbheap.elf PRIVATE ${CMAKE_SOURCE_DIR} ${MBHEAP_GENERATED_DIR})
# __FILE__ (panic and ktest locations) relative to the source tree: the image does not depend
# on where the checkout is (README's sample boot output, scripts/sample_output.sh).
target_compile_options(mbheap.elf PRIVATE
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Werror -fmacro-prefix-map=${CMAKE_SOURCE_DIR}/=>)
# Debug builds turn on the heap's poisoning and caller tracking (kernel/kheap.c).
# The boot banner names the build type, so a test can see which one the kernel got.
target_compile_definitions(mbheap.elf PRIVATE MBHEAP_DEBUG_BUILD=$<IF:$<CONFIG:Debug>,1,0>
                                              MBHEAP_BUILD_TYPE="${CMAKE_BUILD_TYPE}")
# -L: the linker script INCLUDEs the generated mbheap_layout.ld.
target_link_options(mbheap.elf PRIVATE -T ${MBHEAP_LINKER_SCRIPT} -Wl,-n -Wl,-L,${MBHEAP_GENERATED_DIR})
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    target_link_libraries(mbheap.elf PRIVATE gcc)
endif()
set_target_properties(mbheap.elf PROPERTIES
    LINK_DEPENDS "${MBHEAP_LINKER_SCRIPT};${MBHEAP_GENERATED_DIR}/mbheap_layout.ld"
    RUNTIME_OUTPUT_DIRECTORY ${MBHEAP_OUT_DIR})

# GRUB must recognise the ELF as a multiboot2 kernel (header in the first 32 KiB, checksum).
find_program(MBHEAP_GRUB_FILE NAMES grub-file grub2-file REQUIRED)
add_custom_command(TARGET mbheap.elf POST_BUILD
    COMMAND ${MBHEAP_GRUB_FILE} --is-x86-multiboot2 $<TARGET_FILE:mbheap.elf>
    COMMENT "Checking that mbheap.elf is a multiboot2 kernel (grub-file --is-x86-multiboot2)"
    VERBATIM)

# The ISO: GRUB (BIOS i386-pc and x86_64-efi, hybrid), grub.cfg and the kernel. Only the
# modules the boot needs; no locales, themes or fonts. The ISO's kernel is mbheap.elf
# without symbols and debug information (objcopy --strip-all; GDB and addr2line read
# build/mbheap.elf): GRUB loads the whole file and places the multiboot2 information after
# it, and debug information holds the checkout's paths, so an unstripped kernel would boot
# with addresses that depend on where the checkout is.
if(NOT CMAKE_OBJCOPY)
    find_program(CMAKE_OBJCOPY NAMES objcopy llvm-objcopy REQUIRED)
endif()
find_program(MBHEAP_GRUB_MKRESCUE NAMES grub-mkrescue grub2-mkrescue REQUIRED)
set(MBHEAP_ISO ${MBHEAP_OUT_DIR}/mbheap.iso)
set(MBHEAP_ISO_DIR ${CMAKE_BINARY_DIR}/isodir)
add_custom_command(OUTPUT ${MBHEAP_ISO}
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${MBHEAP_ISO_DIR}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${MBHEAP_ISO_DIR}/boot/grub
    COMMAND ${CMAKE_OBJCOPY} --strip-all $<TARGET_FILE:mbheap.elf> ${MBHEAP_ISO_DIR}/boot/mbheap.elf
    COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_SOURCE_DIR}/grub.cfg ${MBHEAP_ISO_DIR}/boot/grub/grub.cfg
    # grub-mkrescue's output goes to grub-mkrescue.log; scripts/logged.sh prints its tail
    # and path when it fails (--compress=xz runs the xz program: xz-utils).
    COMMAND ${CMAKE_SOURCE_DIR}/scripts/logged.sh ${CMAKE_BINARY_DIR}/grub-mkrescue.log
            ${MBHEAP_GRUB_MKRESCUE} -o ${MBHEAP_ISO}
            "--install-modules=normal multiboot2 iso9660 part_msdos part_gpt all_video part_acorn part_amiga part_apple part_bsd part_dfly part_dvh part_plan part_sun part_sunpc"
            --locales= --themes= --fonts= --compress=xz
            ${MBHEAP_ISO_DIR}
    DEPENDS mbheap.elf ${CMAKE_SOURCE_DIR}/grub.cfg
    COMMENT "Building ${MBHEAP_ISO} (grub-mkrescue, BIOS + UEFI)"
    VERBATIM)
add_custom_target(iso ALL DEPENDS ${MBHEAP_ISO})
