#!/usr/bin/env bash
# scripts/boot.sh BUILD_DIR [KERNEL OPTION...] - boot BUILD_DIR/mbheap.iso in QEMU.
#
# Serial output comes to this terminal; QEMU ends by itself when the kernel is done
# (isa-debug-exit). The options become the kernel command line (QEMU fw_cfg), e.g.
#   scripts/boot.sh build test=heap.grow heap_max=1M
# Environment: MBHEAP_DISPLAY=1 also opens QEMU's window (the VGA text screen),
# MBHEAP_MEM sets the RAM size (default 128M).
set -euo pipefail
build=${1:?usage: scripts/boot.sh BUILD_DIR [KERNEL OPTION...]}
shift
args=(-cdrom "$build/mbheap.iso" -m "${MBHEAP_MEM:-128M}" -serial stdio -no-reboot
      -device isa-debug-exit,iobase=0xf4,iosize=0x04)
[ -n "${MBHEAP_DISPLAY:-}" ] || args+=(-display none)
if [ $# -gt 0 ]; then
    cmdline="$*"
    args+=(-fw_cfg "name=opt/mbheap/cmdline,string=${cmdline//,/,,}")
fi
set +e
qemu-system-x86_64 "${args[@]}"
rc=$?
set -e
# The kernel exits QEMU with 0x10 (status 33) on success and 0x11 (35) on failure.
case $rc in
33) echo "boot: the kernel exited with success"; exit 0 ;;
35) echo "boot: the kernel reported a failure" >&2; exit 1 ;;
*) echo "boot: QEMU exited with status $rc (a triple fault or a crash, under -no-reboot)" >&2
   exit 1 ;;
esac
