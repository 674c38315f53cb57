# SPDX-License-Identifier: MIT
# Physical memory and page mapper tests, and the robustness matrix: the demo and the
# memory tests booted with different RAM sizes, under BIOS and UEFI. --check-ram makes the
# runner compare the frame allocator's usable RAM (boot output) with QEMU's -m.

mbheap_ktests(pmm.double_free pmm.free_reserved
              vmm.map_translate vmm.already_mapped vmm.unmap_faults vmm.null_deref
              vmm.write_text vmm.exec_heap_nx vmm.kernel_tables vmm.guard_page)
mbheap_qemu_test(pmm.exhaust KTEST pmm.exhaust ARGS --check-ram)
mbheap_qemu_test(pmm.high_memory KTEST pmm.high_memory ARGS --mem 5G --check-ram)

# <name>@<mem>: the same test with another RAM size (and firmware).
foreach(mem 32M 1G 4G 5G)
    mbheap_qemu_test(boot.demo@${mem} ARGS --mem ${mem} --check-ram --expect "mbheap: demo done"
                     --reject "PANIC")
endforeach()
foreach(mem 32M 1G 4G)
    mbheap_qemu_test(pmm.exhaust@${mem} KTEST pmm.exhaust ARGS --mem ${mem} --check-ram)
endforeach()
foreach(mem 32M 5G)
    mbheap_qemu_test(vmm.map_translate@${mem} KTEST vmm.map_translate ARGS --mem ${mem})
endforeach()
mbheap_qemu_test(boot.uefi_demo@1G LABELS uefi ARGS --uefi --mem 1G --check-ram
                 --expect "mbheap: demo done" --reject "PANIC")
foreach(mem 128M 1G)
    mbheap_qemu_test(pmm.exhaust.uefi@${mem} LABELS uefi KTEST pmm.exhaust
                     ARGS --uefi --mem ${mem} --check-ram)
endforeach()
mbheap_qemu_test(vmm.kernel_tables.uefi LABELS uefi KTEST vmm.kernel_tables ARGS --uefi)

# The frame allocator and the page mapper used with interrupts on while the timer
# interrupt grows the heap; their integrity (pmm_check, page-table census) checked after.
mbheap_qemu_test(mm.irq_race KTEST mm.irq_race ARGS --expect "irq_race: " --reject "recursive lock")
mbheap_qemu_test(mm.irq_race.uefi LABELS uefi KTEST mm.irq_race ARGS --uefi --expect "irq_race: ")
