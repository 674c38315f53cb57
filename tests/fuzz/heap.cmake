# SPDX-License-Identifier: MIT
# heap core fuzz target (see CMakeLists.txt for mbheap_fuzz_target). Each input runs on three
# heaps (first fit with and without its index, good fit) with heap_check on all three after
# every operation: about 75 s of CPU (so about 75 s on an idle 2-core machine; 280 s
# measured on this one at a load of 13), hence the longer limit.
mbheap_fuzz_target(heap SOURCES tests/fuzz/fuzz_heap.c ${MBHEAP_PART_HEAP} tests/common/heap_index_mem.c
                    TIMEOUT 600)
