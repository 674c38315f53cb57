# In-kernel benchmarks (tests/kernel/test_bench.c): rdtsc tables printed to the serial log,
# for information (label bench: not in the default run; `ctest -L bench -V` shows them).
mbheap_qemu_test(bench.pmm_vmm LABELS bench KTEST bench.pmm_vmm)
mbheap_qemu_test(bench.heap LABELS bench KTEST bench.heap)
