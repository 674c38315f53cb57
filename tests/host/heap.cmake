# host tests for the heap core (see tests/host/CMakeLists.txt for mbheap_host_test)
set(MBHEAP_HEAP_CORE mm/heap.c mm/heap_index.c mm/heap_check.c)
mbheap_host_test(heap SOURCES tests/host/test_heap.c ${MBHEAP_HEAP_CORE} HEAP_MODES)
mbheap_host_test(heap_diff SOURCES tests/host/test_heap_diff.c ${MBHEAP_HEAP_CORE} HEAP_MODES
                 TIMEOUT 300)
