#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
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
. "$(dirname "$0")/qemu_args.sh"
mbheap_qemu_args "$build" stdio "$@"
set +e
qemu-system-x86_64 "${qemu_args[@]}"
rc=$?
set -e
# The kernel exits QEMU with 0x10 (status 33) on success and 0x11 (35) on failure.
case $rc in
33) echo "boot: the kernel exited with success"; exit 0 ;;
35) echo "boot: the kernel reported a failure" >&2; exit 1 ;;
*) echo "boot: QEMU exited with status $rc (a triple fault or a crash, under -no-reboot)" >&2
   exit 1 ;;
esac
