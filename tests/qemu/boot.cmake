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
mbheap_qemu_test(boot.no_long_mode TIMEOUT 60 ARGS --cpu qemu32 --no-exit
    --stop-on "mbheap: boot error: the CPU does not support long mode"
    --expect "mbheap: boot error: the CPU does not support long mode")
mbheap_qemu_test(boot.unknown_option ARGS --cmdline "frobnicate=1"
    --expect "options: unknown option 'frobnicate=1'" --expect "mbheap: demo done")
# The runner itself: a should-panic test whose expected panic comes from the boot sequence
# (here heap.init_fails' text, via pmm_fail_after=5) must not pass unless the ctest line says
# so with --boot-panic: the test's body never ran. WILL_FAIL: this run must fail.
mbheap_qemu_test(boot.runner_rejects_boot_panic KTEST heap.init_fails ARGS --cmdline "pmm_fail_after=5")
set_tests_properties(boot.runner_rejects_boot_panic PROPERTIES WILL_FAIL TRUE)

# A command line longer than the kernel's buffer is refused with a message, not truncated.
string(REPEAT "x" 600 mbheap_long_word)
mbheap_qemu_test(boot.long_cmdline ARGS --cmdline "${mbheap_long_word}"
    --expect "kmain: fw_cfg command line ignored: longer than 511 bytes"
    --expect "mbheap: demo done")
