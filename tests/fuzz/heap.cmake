# heap core fuzz target (see CMakeLists.txt for mbheap_fuzz_target)
mbheap_fuzz_target(heap SOURCES tests/fuzz/fuzz_heap.c mm/heap.c mm/heap_index.c tests/common/heap_index_mem.c
                    mm/heap_check.c)
