# SPDX-License-Identifier: MIT
# tests/qemu/heap.cmake - the kernel heap's in-kernel tests (tests/kernel/test_heap.c),
# one QEMU boot each; included by tests/qemu/CMakeLists.txt.

# blog_os's heap tests, and the rest that needs no special command line; each also runs
# with the first-fit index off (<name>@noindex, heap_index=off: the heap walks its list).
set(MBHEAP_HEAP_KTESTS
    heap.simple_allocation
    heap.large_vec
    heap.many_boxes
    heap.many_boxes_long_lived
    heap.failure_handler_set_once
    heap.free_all_then_whole
    heap.grow
    heap.realloc_in_place
    heap.align_sweep
    heap.random_100k
    heap.init_already_mapped
    heap.kmalloc_one_header)
# giving memory back: most of RAM through the heap (heap_max above RAM) and back
mbheap_qemu_test(heap.give_back KTEST heap.give_back ARGS --cmdline "heap_max=1G"
    --expect "give_back: " --expect "allocated again" --reject "heap_trim=off")
mbheap_qemu_test(heap.give_back@noindex KTEST heap.give_back
    ARGS --cmdline "heap_max=1G heap_index=off" --expect "allocated again" --reject "heap_trim=off")
mbheap_qemu_test(heap.give_back@goodfit KTEST heap.give_back
    ARGS --cmdline "heap_max=1G heap_policy=good_fit" --expect "good-fit size-class heap"
    --expect "allocated again" --reject "heap_trim=off")
mbheap_qemu_test(heap.give_back@notrim KTEST heap.give_back ARGS --cmdline "heap_max=1G heap_trim=off"
    --expect "heap_trim=off: nothing given back" --expect "allocated again")
mbheap_ktests(${MBHEAP_HEAP_KTESTS})
foreach(t ${MBHEAP_HEAP_KTESTS})
    mbheap_qemu_test(${t}@noindex KTEST ${t} ARGS --cmdline "heap_index=off"
        --expect "(heap_index=off: first fits by walking the list)")
endforeach()
mbheap_qemu_test(heap.irq_stress@noindex KTEST heap.irq_stress ARGS --cmdline "heap_index=off"
    --expect "irq_stress: " --reject "recursive lock")
mbheap_qemu_test(heap.random_100k@debug,noindex KTEST heap.random_100k
    ARGS --cmdline "heap_debug heap_index=off" --expect "(debug: poisoning on)")

# ... and the whole suite under the good-fit policy (<name>@goodfit, heap_policy=good_fit),
# misuse and debug mode included.
foreach(t ${MBHEAP_HEAP_KTESTS})
    mbheap_qemu_test(${t}@goodfit KTEST ${t} ARGS --cmdline "heap_policy=good_fit"
        --expect "global allocator: good-fit size-class heap")
endforeach()
mbheap_qemu_test(heap.irq_stress@goodfit KTEST heap.irq_stress ARGS
    --cmdline "heap_policy=good_fit" --expect "good-fit size-class heap" --expect "irq_stress: "
    --reject "recursive lock")
mbheap_qemu_test(heap.random_100k@debug,goodfit KTEST heap.random_100k
    ARGS --cmdline "heap_debug heap_policy=good_fit" --expect "good-fit size-class heap"
    --expect "(debug: poisoning on)")
mbheap_qemu_test(heap.oom@goodfit KTEST heap.oom ARGS --cmdline "heap_max=1M heap_policy=good_fit"
    --expect "good-fit size-class heap" --expect "oom: handler ran after")
mbheap_qemu_test(heap.double_free@goodfit KTEST heap.double_free
    ARGS --cmdline "heap_policy=good_fit" --expect "good-fit size-class heap"
    --expect "double free of 0x")
# The page-fault panic names the address the test printed as b's header: the fault is the
# second free reading that header, on a page the heap gave back.
set(mbheap_released_fault "its header (0x[0-9a-f]+) is on a released page\\)$(\\n.*)*\\nPANIC: page fault: a released page inside a free kernel-heap block [^\\n]*, address \\1 ")
mbheap_qemu_test(heap.double_free_released@goodfit KTEST heap.double_free_released
    ARGS --cmdline "heap_policy=good_fit" --expect "good-fit size-class heap"
    --expect-re "${mbheap_released_fault}")
mbheap_qemu_test(heap.invalid_free@goodfit KTEST heap.invalid_free
    ARGS --cmdline "heap_policy=good_fit" --expect "good-fit size-class heap"
    --expect "invalid pointer 0x" --expect "(not a block start)")
mbheap_qemu_test(heap.use_after_free@goodfit KTEST heap.use_after_free
    ARGS --cmdline "heap_debug heap_policy=good_fit" --expect "good-fit size-class heap"
    --expect "(debug: poisoning on)")
mbheap_qemu_test(heap.leak_report@goodfit KTEST heap.leak_report
    ARGS --cmdline "heap_debug heap_policy=good_fit" --expect "good-fit size-class heap"
    --expect "heap: 4 live blocks" --expect "(requested 2000) from 0x"
    --expect "(requested 300) from 0x")
# heap_index=off means nothing under good fit: the boot says it is ignored.
mbheap_qemu_test(heap.simple_allocation@goodfit,noindex KTEST heap.simple_allocation
    ARGS --cmdline "heap_policy=good_fit heap_index=off"
    --expect "options: ignoring heap_index=off (the first-fit index does not exist under heap_policy=good_fit)"
    --expect "global allocator: good-fit size-class heap" --reject "first fits by walking")

# The Dummy allocator: an infallible box ends in the default alloc-error handler.
mbheap_qemu_test(heap.dummy_allocator KTEST heap.dummy_allocator ARGS --cmdline "allocator=dummy"
    --expect "global allocator: dummy"
    --expect "PANIC: allocation error: Layout { size: 4, align: 4 }")

# Out of memory at a 1 MiB cap: the handler sees the failing layout after the heap grew.
mbheap_qemu_test(heap.oom KTEST heap.oom ARGS --cmdline "heap_max=1M"
    --expect "oom: handler ran after")

# Misuse panics with the heap's own messages.
mbheap_qemu_test(heap.double_free KTEST heap.double_free ARGS --expect "double free of 0x")
mbheap_qemu_test(heap.double_free_released KTEST heap.double_free_released
    ARGS --expect-re "${mbheap_released_fault}")
mbheap_qemu_test(heap.realloc_wrong_layout KTEST heap.realloc_wrong_layout
    ARGS --expect "realloc_wrong_layout: realloc of 0x")
mbheap_qemu_test(heap.invalid_free KTEST heap.invalid_free
    ARGS --expect "invalid pointer 0x" --expect "(not a block start)")

# A timer interrupt allocating and freeing while the main loop runs a random workload.
mbheap_qemu_test(heap.irq_stress KTEST heap.irq_stress ARGS --expect "irq_stress: "
    --reject "recursive lock")

# The frame allocator fails a few pages into the heap's initial mapping.
mbheap_qemu_test(heap.init_fails KTEST heap.init_fails ARGS --boot-panic --cmdline "pmm_fail_after=5"
    --expect "kmain: heap mapping failed after giving back its frames" --expect "as before)"
    --expect "PANIC: heap initialization failed: E_NOMEM")

# Debug mode (heap_debug): freed memory is poisoned and checked on reuse; callers are kept.
mbheap_qemu_test(heap.use_after_free KTEST heap.use_after_free ARGS --cmdline "heap_debug"
    --expect "(debug: poisoning on)")
mbheap_qemu_test(heap.leak_report KTEST heap.leak_report ARGS --cmdline "heap_debug"
    --expect "heap: 4 live blocks" --expect "(requested 2000) from 0x"
    --expect "(requested 300) from 0x")
mbheap_qemu_test(heap.random_100k@debug KTEST heap.random_100k ARGS --cmdline "heap_debug"
    --expect "(debug: poisoning on)")
mbheap_qemu_test(heap.irq_stress@debug KTEST heap.irq_stress ARGS --cmdline "heap_debug"
    --expect "(debug: poisoning on)" --reject "recursive lock")
# ... the first page of the first-fit index's memory (the page table over it fails):
# heap_init fails and kheap_init gives back the whole region too.
mbheap_qemu_test(heap.init_fails@index KTEST heap.init_fails ARGS --boot-panic
    --cmdline "pmm_fail_after=28"
    --expect "as before)" --expect "PANIC: heap initialization failed: E_NOMEM")
# ... and at the last possible point: the 25th page of the 100 KiB (after 3 page tables).
mbheap_qemu_test(heap.init_fails@27 KTEST heap.init_fails ARGS --boot-panic
    --cmdline "pmm_fail_after=27"
    --expect "as before)" --expect "PANIC: heap initialization failed: E_NOMEM")

# The timer-driven stress test under OVMF too (the PIC and PIT as UEFI leaves them).
mbheap_qemu_test(heap.irq_stress.uefi LABELS uefi KTEST heap.irq_stress ARGS --uefi
    --expect "irq_stress: " --reject "recursive lock")
