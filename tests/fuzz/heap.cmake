# heap core fuzz target (see CMakeLists.txt for mbheap_fuzz_target). Each input runs on two
# heaps with heap_check on both after every operation: about 30 s on an idle 2-core
# machine, 200 s when the machine is busy, hence the longer limit.
mbheap_fuzz_target(heap SOURCES tests/fuzz/fuzz_heap.c mm/heap.c mm/heap_index.c mm/heap_goodfit.c tests/common/heap_index_mem.c
                    mm/heap_check.c mm/heap_trim.c TIMEOUT 600)
