# cmake/parts.cmake - the source files of each part of mbheap that a reader can lift into their
# own kernel, in one place. Every build that compiles a part takes its list from here: the
# kernel (cmake/kernel.cmake), the host tests, the fuzz targets, the benchmarks, the POSIX
# malloc port and the standalone build tests (tests/standalone), which build each part alone
# with only the hooks README.md's "Using mbheap's parts in your own kernel" names.
# Paths are relative to the repository root; a new file of a part is added here only.

# The heap core: list, first fit, index, checks and reports.
set(MBHEAP_PART_HEAP mm/heap.c mm/heap_index.c mm/heap_check.c)
# The multiboot2 parser and the normalised memory map (with the byte-count formatter they
# print with).
set(MBHEAP_PART_MB2 mm/multiboot2.c mm/memmap.c lib/fmt_size.c)
# The frame allocator (a bitmap over the memory map's usable ranges).
set(MBHEAP_PART_PMM mm/pmm.c)
# The page mapper (x86_64 four-level tables; frames come from the caller's ops).
set(MBHEAP_PART_VMM mm/vmm.c)

# mbheap_part_paths(<out> <part list...>): the list with absolute paths.
function(mbheap_part_paths out)
    set(abs)
    foreach(f ${ARGN})
        list(APPEND abs ${CMAKE_SOURCE_DIR}/${f})
    endforeach()
    set(${out} ${abs} PARENT_SCOPE)
endfunction()
