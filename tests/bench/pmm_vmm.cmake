# SPDX-License-Identifier: MIT
# pmm/vmm host benchmark (label bench): ns per pmm alloc+free and vmm map+unmap beside a
# plain array push/pop floor, for 128 MiB and 64 GiB of simulated RAM.
find_path(CMOCKA_INCLUDE_DIR cmocka.h)
find_library(CMOCKA_LIBRARY cmocka)
add_executable(bench_pmm_vmm
    ${CMAKE_SOURCE_DIR}/tests/bench/bench_pmm_vmm.c
    ${CMAKE_SOURCE_DIR}/mm/pmm.c
    ${CMAKE_SOURCE_DIR}/mm/vmm.c
    ${CMAKE_SOURCE_DIR}/tests/host/sim_phys.c
    ${CMAKE_SOURCE_DIR}/tests/host/support.c
    ${CMAKE_SOURCE_DIR}/lib/kprintf.c
    ${CMAKE_SOURCE_DIR}/lib/error.c)
target_include_directories(bench_pmm_vmm PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/tests/host
                                                 ${CMOCKA_INCLUDE_DIR})
target_compile_options(bench_pmm_vmm PRIVATE -std=gnu11 -Wall -Wextra -Werror -O2)
target_link_libraries(bench_pmm_vmm PRIVATE ${CMOCKA_LIBRARY})
add_test(NAME bench.pmm_vmm COMMAND bench_pmm_vmm)
set_tests_properties(bench.pmm_vmm PROPERTIES LABELS bench TIMEOUT 300)
