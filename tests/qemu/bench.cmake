# SPDX-License-Identifier: MIT
# In-kernel benchmarks (tests/kernel/test_bench.c): rdtsc tables printed to the serial log,
# for information (label bench: not in the default run). The ctest names end in .qemu to
# tell them from the host benchmarks of the same cores; `ctest -L bench -V` shows the tables.
mbheap_qemu_test(bench.pmm_vmm.qemu LABELS bench KTEST bench.pmm_vmm ARGS --show-log)
mbheap_qemu_test(bench.heap.qemu LABELS bench KTEST bench.heap ARGS --show-log)
# ... and the heap walking its list instead of using its index (heap_index=off): the
# reason for the index, in cycles.
mbheap_qemu_test(bench.heap.qemu@noindex LABELS bench KTEST bench.heap
    ARGS --show-log --cmdline "heap_index=off")
# ... and under the good-fit policy (heap_policy=good_fit), to compare the two policies.
mbheap_qemu_test(bench.heap.qemu@goodfit LABELS bench KTEST bench.heap
    ARGS --show-log --cmdline "heap_policy=good_fit")
