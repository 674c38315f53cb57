# SPDX-License-Identifier: MIT
# heap benchmark: heap_bench replays the five allocbench workloads (generated in C) against
# mm/heap.c and glibc, interleaved. `ctest -L bench -R bench.heap` or `make bench_heap`.
mbheap_part_paths(MBHEAP_BENCH_HEAP_CORE ${MBHEAP_PART_HEAP}) # cmake/parts.cmake
add_executable(heap_bench ${CMAKE_SOURCE_DIR}/tests/bench/bench_heap.c
                          ${CMAKE_SOURCE_DIR}/tests/common/abtraces.c
                          ${CMAKE_SOURCE_DIR}/tests/bench/arena_heap.c
                          ${CMAKE_SOURCE_DIR}/tests/common/heap_index_mem.c
                          ${CMAKE_SOURCE_DIR}/tests/common/panic_abort.c ${MBHEAP_BENCH_HEAP_CORE}
                          ${CMAKE_SOURCE_DIR}/lib/kprintf.c ${CMAKE_SOURCE_DIR}/lib/error.c)
target_include_directories(heap_bench PRIVATE ${CMAKE_SOURCE_DIR})
target_compile_options(heap_bench PRIVATE -std=gnu11 -O2 -g -Wall -Wextra -Werror)
target_link_libraries(heap_bench PRIVATE m)
add_test(NAME bench.heap COMMAND heap_bench --quick)
set_tests_properties(bench.heap PROPERTIES LABELS bench TIMEOUT 900)
add_custom_target(bench_heap COMMAND heap_bench DEPENDS heap_bench USES_TERMINAL
                  COMMENT "mbheap heap vs glibc on the allocbench workloads")
# Instructions per operation under callgrind (load-independent, so enforced): first fit
# with its index against ceilings, glibc beside it. `ctest -L bench -R bench.heap_ir`.
find_program(MBHEAP_VALGRIND valgrind)
if(MBHEAP_VALGRIND)
    add_test(NAME bench.heap_ir
             COMMAND python3 ${CMAKE_SOURCE_DIR}/tests/bench/check_ir.py
                     $<TARGET_FILE:heap_bench>)
    set_tests_properties(bench.heap_ir PROPERTIES LABELS bench TIMEOUT 600)
endif()
