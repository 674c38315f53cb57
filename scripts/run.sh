#!/usr/bin/env bash
# scripts/run.sh - the main job: install what is missing, build, boot the demo in QEMU.
#
# The serial console comes to this terminal; QEMU ends by itself when the demo is done
# (through the isa-debug-exit device). Extra arguments become the kernel command line,
# e.g.  scripts/run.sh test=heap.grow
# Environment: BUILD_DIR (default build), MBHEAP_DISPLAY=1 to also open QEMU's window.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build}
"$src/scripts/setup.sh"
cmake -S "$src" -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)"
args=(-cdrom "$build/mbheap.iso" -m 128M -serial stdio -no-reboot
      -device isa-debug-exit,iobase=0xf4,iosize=0x04)
[ -n "${MBHEAP_DISPLAY:-}" ] || args+=(-display none)
[ $# -gt 0 ] && args+=(-fw_cfg "name=opt/mbheap/cmdline,string=$(echo "$*" | sed 's/,/,,/g')")
set +e
qemu-system-x86_64 "${args[@]}"
rc=$?
set -e
# The kernel exits QEMU with 0x10 (status 33) on success and 0x11 (35) on failure.
case $rc in
33) echo "run: kernel exited with success"; exit 0 ;;
35) echo "run: kernel reported failure" >&2; exit 1 ;;
*) echo "run: QEMU exited with status $rc (a triple fault or crash under -no-reboot)" >&2; exit 1 ;;
esac
