# SPDX-License-Identifier: MIT
# cmake/parts.cmake - the source files of each part of mbheap that a reader can lift into their
# own kernel, in one place. Every build that compiles a part takes its list from here: the
# kernel (cmake/kernel.cmake), the host tests, the fuzz targets, the benchmarks, the POSIX
# malloc port and the standalone build tests (tests/standalone), which build each part alone
# with only the hooks README.md's "Using mbheap's parts in your own kernel" names.
# Paths are relative to the repository root; a new file of a part is added here only.

# For each part: _ its sources (what every build compiles), _HEADERS the headers they include
# (with the sources, what a reader copies), _HOOKS the functions their host must provide.

# The heap core: list, first fit, index, the good-fit policy, checks and reports.
set(MBHEAP_PART_HEAP mm/heap.c mm/heap_index.c mm/heap_goodfit.c mm/heap_check.c)
set(MBHEAP_PART_HEAP_HEADERS mm/heap.h mm/heap_index.h mm/heap_goodfit.h mm/heap_internal.h
    lib/error.h lib/kprintf.h lib/panic.h lib/string.h lib/types.h)
set(MBHEAP_PART_HEAP_HOOKS kprintf panic_at memset strcmp)
# The multiboot2 parser and the normalised memory map, with the byte-count formatter they
# print with and the error names.
set(MBHEAP_PART_MB2 mm/multiboot2.c mm/memmap.c lib/fmt_size.c lib/error.c)
set(MBHEAP_PART_MB2_HEADERS mm/multiboot2.h mm/memmap.h lib/fmt_size.h
    lib/error.h lib/kprintf.h lib/string.h lib/types.h)
set(MBHEAP_PART_MB2_HOOKS kprintf ksnprintf memcpy memmove memset strnlen)
# The frame allocator (a bitmap and a free stack over the memory map's usable ranges; it
# takes mm/memmap.h's types, not mm/memmap.c).
set(MBHEAP_PART_PMM mm/pmm.c)
set(MBHEAP_PART_PMM_HEADERS mm/pmm.h mm/memmap.h mm/multiboot2.h
    lib/error.h lib/panic.h lib/phys.h lib/string.h lib/types.h)
set(MBHEAP_PART_PMM_HOOKS phys_to_virt panic_at memset)
# The page mapper (x86_64 four-level tables; frames come from the caller's struct vmm_ops).
set(MBHEAP_PART_VMM mm/vmm.c)
set(MBHEAP_PART_VMM_HEADERS mm/vmm.h lib/error.h lib/phys.h lib/string.h lib/types.h)
set(MBHEAP_PART_VMM_HOOKS phys_to_virt memset)

# mbheap_part_paths(<out> <part list...>): the list with absolute paths.
function(mbheap_part_paths out)
    set(abs)
    foreach(f ${ARGN})
        list(APPEND abs ${CMAKE_SOURCE_DIR}/${f})
    endforeach()
    set(${out} ${abs} PARENT_SCOPE)
endfunction()
