# SPDX-License-Identifier: MIT
# arch/x86_64/toolchain.cmake - the freestanding x86_64 kernel toolchain.
#
# MBHEAP_KERNEL_COMPILER selects the compiler:
#   gcc   (default) x86_64-elf-gcc when one is on PATH, otherwise the host gcc, which is
#         fine for a freestanding kernel with the flags below;
#   clang clang --target=x86_64-unknown-none-elf, linked with ld.lld.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES MBHEAP_KERNEL_COMPILER)

if(NOT MBHEAP_KERNEL_COMPILER)
    set(MBHEAP_KERNEL_COMPILER gcc)
endif()

set(MBHEAP_KERNEL_CFLAGS
    "-ffreestanding -fno-builtin -fno-strict-aliasing -mno-red-zone -mgeneral-regs-only -mcmodel=kernel -fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-common")
set(MBHEAP_KERNEL_LDFLAGS "-nostdlib -static -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--build-id=none")

if(MBHEAP_KERNEL_COMPILER STREQUAL "clang")
    find_program(MBHEAP_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
    set(CMAKE_C_COMPILER ${MBHEAP_CLANG})
    set(CMAKE_C_COMPILER_TARGET x86_64-unknown-none-elf)
    set(MBHEAP_KERNEL_LDFLAGS "${MBHEAP_KERNEL_LDFLAGS} -fuse-ld=lld")
else()
    find_program(MBHEAP_CROSS_GCC x86_64-elf-gcc)
    if(MBHEAP_CROSS_GCC)
        set(CMAKE_C_COMPILER ${MBHEAP_CROSS_GCC})
    else()
        find_program(MBHEAP_HOST_GCC gcc REQUIRED)
        set(CMAKE_C_COMPILER ${MBHEAP_HOST_GCC})
        # Debian's gcc defaults to PIE; the kernel is linked at a fixed address.
        set(MBHEAP_KERNEL_LDFLAGS "${MBHEAP_KERNEL_LDFLAGS} -no-pie")
    endif()
endif()

set(CMAKE_C_FLAGS_INIT "${MBHEAP_KERNEL_CFLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${MBHEAP_KERNEL_LDFLAGS}")
set(CMAKE_ASM_NASM_OBJECT_FORMAT elf64)
set(CMAKE_ASM_NASM_FLAGS_INIT "-g -F dwarf")
