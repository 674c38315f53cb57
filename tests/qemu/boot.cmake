# SPDX-License-Identifier: MIT
# Boot tests (the skeleton): console, exceptions, panics, the demo under BIOS and UEFI,
# and the trampoline's CPU check.
mbheap_ktests(boot.breakpoint boot.should_panic)
mbheap_qemu_test(boot.println KTEST boot.println ARGS --expect "println: last line"
    --expect "println 199: left    |000d4437|+99|0xffffffff800000c7")
mbheap_qemu_test(boot.stack_overflow KTEST boot.stack_overflow
    ARGS --expect "handler running on IST1 (double fault)")
mbheap_qemu_test(boot.demo ARGS --expect "mbheap: demo done" --expect "boot loader: GRUB"
    --expect "sums to 499500" --check-ram --reject "PANIC"
    --expect "console: COM1 and the VGA text screen")
# Under UEFI there is no VGA text screen: the console stays on COM1 (0xb8000 is not written).
mbheap_qemu_test(boot.uefi_demo LABELS uefi ARGS --uefi --mem 128M --check-ram
    --expect "mbheap: demo done" --reject "PANIC"
    --expect "console: COM1 only (UEFI boot: no VGA text screen)")
# The trampoline's CPU checks: the message on COM1, then the isa-debug-exit failure code.
mbheap_qemu_test(boot.no_long_mode TIMEOUT 60 ARGS --cpu qemu32 --expect-failure-exit
    --expect "mbheap: boot error: the CPU does not support long mode")
mbheap_qemu_test(boot.no_nx TIMEOUT 60 ARGS --cpu qemu64,-nx --expect-failure-exit
    --expect "mbheap: boot error: the CPU does not support the NX (execute-disable) bit")
mbheap_qemu_test(boot.no_nx.uefi LABELS uefi TIMEOUT 90 ARGS --uefi --cpu qemu64,-nx
    --expect-failure-exit
    --expect "mbheap: boot error: the CPU does not support the NX (execute-disable) bit")
# The build type the top-level build was configured with reaches the kernel (.ci/run boots
# a Debug build too, where the heap's debug mode is on without heap_debug).
set(mbheap_debug_line "global allocator: first-fit linked-list heap$")
if(MBHEAP_KERNEL_BUILD_TYPE STREQUAL "Debug")
    set(mbheap_debug_line "global allocator: first-fit linked-list heap \\(debug: poisoning on: Debug build\\)$")
endif()
mbheap_qemu_test(boot.build_type ARGS
    --expect "memory stack (${MBHEAP_KERNEL_BUILD_TYPE})" --expect-re "${mbheap_debug_line}"
    --expect "mbheap: demo done")
mbheap_qemu_test(boot.unknown_option ARGS --cmdline "frobnicate=1"
    --expect "options: unknown option 'frobnicate=1'" --expect "mbheap: demo done")
# The runner itself: a should-panic test whose expected panic comes from the boot sequence
# (here heap.init_fails' text, via pmm_fail_after=5) must not pass unless the ctest line says
# so with --boot-panic: the test's body never ran. WILL_FAIL: this run must fail.
mbheap_qemu_test(boot.runner_rejects_boot_panic KTEST heap.init_fails ARGS --cmdline "pmm_fail_after=5")
set_tests_properties(boot.runner_rejects_boot_panic PROPERTIES WILL_FAIL TRUE)

# The command line is never cut into a different one. A fw_cfg line of exactly the 4095
# bytes the kernel holds is read whole (its last word, heap_max=16M, takes effect); one
# byte more and the whole fw_cfg part is refused, naming it and both sizes.
string(REPEAT "x" 4082 mbheap_long_word) # + " heap_max=16M" = 4095 bytes
mbheap_qemu_test(boot.long_cmdline ARGS --cmdline "${mbheap_long_word} heap_max=16M"
    --expect "options: unknown option 'xxxxxxxx" --expect "(grows to 16384 KiB)"
    --reject "ignored:" --expect "mbheap: demo done")
mbheap_qemu_test(boot.long_cmdline_refused ARGS --cmdline "${mbheap_long_word}x heap_max=16M"
    --expect "kmain: fw_cfg opt/mbheap/cmdline ignored: 4096 bytes, more than the 4095 it may hold"
    --expect "(grows to 65536 KiB)" --reject "unknown option" --expect "mbheap: demo done")
# A NUL inside the fw_cfg line refuses it (the words after it would be lost); trailing NULs
# (a file written by a C program) are dropped.
mbheap_qemu_test(boot.cmdline_nul ARGS --cmdline-bytes "heap_max=16M\\x00allocator=dummy"
    --expect "kmain: fw_cfg opt/mbheap/cmdline ignored: a NUL byte at offset 12 of its 28 bytes"
    --expect "(grows to 65536 KiB)" --expect "mbheap: demo done")
mbheap_qemu_test(boot.cmdline_trailing_nul ARGS --cmdline-bytes "heap_max=16M\\x00\\x00"
    --expect "(grows to 16384 KiB)" --reject "ignored:" --expect "mbheap: demo done")
# Ignored options change nothing (test= after test=NAME, heap_debug=0); a repeated option:
# the last valid one wins, with a warning.
mbheap_qemu_test(boot.cmdline_ignored KTEST heap.simple_allocation
    ARGS --cmdline "test= heap_debug=0 heap_max=4M heap_max=16M heap_max=1Q"
    --expect "options: ignoring malformed option 'test='"
    --expect "options: ignoring malformed option 'heap_debug=0' (heap_debug takes no value)"
    --expect "options: heap_max given again: 'heap_max=16M' replaces 'heap_max=4M'"
    --expect "options: ignoring malformed option 'heap_max=1Q'"
    --expect "(grows to 16384 KiB)" --reject "(debug: poisoning on)")
# Control bytes on the command line reach the console escaped, never raw; sizes take T.
# (No square brackets in these arguments: CMake lists do not split inside them.)
mbheap_qemu_test(boot.cmdline_control_bytes ARGS --cmdline-bytes "frob\\x1bc\\x07=1 heap_max=1T"
    --expect "options: unknown option 'frob\\x1bc\\x07=1'" --reject-control-bytes
    --expect "command line: \"\" from GRUB, \"frob\\x1bc\\x07=1 heap_max=1T\" from fw_cfg"
    --reject "malformed" --expect "(grows to 10737418" --expect "mbheap: demo done")
