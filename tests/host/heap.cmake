# SPDX-License-Identifier: MIT
# host tests for the heap core (see tests/host/CMakeLists.txt for mbheap_host_test)
set(MBHEAP_HEAP_CORE ${MBHEAP_PART_HEAP}) # cmake/parts.cmake
mbheap_host_test(heap SOURCES tests/host/test_heap.c ${MBHEAP_HEAP_CORE} HEAP_MODES)
mbheap_host_test(heap_diff SOURCES tests/host/test_heap_diff.c ${MBHEAP_HEAP_CORE} HEAP_MODES
                 TIMEOUT 300)
# the indexed heap, the heap without index and a reference model, operation by operation
mbheap_host_test(heap_equal SOURCES tests/host/test_heap_equal.c tests/common/abtraces.c
                 tests/common/heap_index_mem.c ${MBHEAP_HEAP_CORE} LIBS m TIMEOUT 300)
# issue 12 item 7's attacks on the release heap (each test runs the index on and off itself)
mbheap_host_test(heap_attacks SOURCES tests/host/test_heap_attacks.c tests/common/heap_index_mem.c
                 ${MBHEAP_HEAP_CORE})
