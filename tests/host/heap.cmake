# host tests for the heap core (see tests/host/CMakeLists.txt for mbheap_host_test)
mbheap_host_test(heap SOURCES tests/host/test_heap.c mm/heap.c)
mbheap_host_test(heap_diff SOURCES tests/host/test_heap_diff.c mm/heap.c TIMEOUT 300)
