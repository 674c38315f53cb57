# SPDX-License-Identifier: MIT
# scripts/qemu_args.sh - sourced by scripts/boot.sh and scripts/debug.sh: the QEMU command
# line they share (tests/qemu/run_qemu.py's qemu_command is its twin for the test runners).
#
# mbheap_qemu_args BUILD_DIR SERIAL [KERNEL OPTION...] sets the array qemu_args: BUILD_DIR's
# ISO, MBHEAP_MEM of RAM (default 128M), serial output to SERIAL (a QEMU -serial value),
# no reboot, the isa-debug-exit device, no window unless MBHEAP_DISPLAY is set, and the
# kernel options, if any, as the command line through fw_cfg.
mbheap_qemu_args() {
    local build=$1 serial=$2
    shift 2
    local cmdline="$*" MBHEAP_FW_CFG_CMDLINE
    # The fw_cfg file name (cmake/layout.cmake), as the build wrote it.
    . "$build/mbheap-layout.env" ||
        { echo "qemu_args: no $build/mbheap-layout.env (configure with cmake first)" >&2; return 1; }
    qemu_args=(-cdrom "$build/mbheap.iso" -m "${MBHEAP_MEM:-128M}" -serial "$serial" -no-reboot
               -device isa-debug-exit,iobase=0xf4,iosize=0x04)
    [ -n "${MBHEAP_DISPLAY:-}" ] || qemu_args+=(-display none)
    # fw_cfg option values separate with ',': a literal comma is written twice.
    [ -z "$cmdline" ] ||
        qemu_args+=(-fw_cfg "name=$MBHEAP_FW_CFG_CMDLINE,string=${cmdline//,/,,}")
}
