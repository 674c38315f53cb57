#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/debug.sh BUILD_DIR [KERNEL_CMDLINE] - debug the kernel with GDB.
#
# Starts QEMU halted at the first instruction (-S: the firmware's reset vector) with a GDB
# stub on a free local port, in the background, then GDB with the kernel's symbols, the
# project's helpers (scripts/gdb/mbheap.py: mb-heap, mb-frames, mb-pt, mb-mmap, mb-log),
# connected, with a hardware breakpoint on panic_at() (every panic() stops there).
# Type `continue` to boot, or `hbreak kmain` first to stop in C. QEMU's serial output
# goes to BUILD_DIR/qemu-logs/debug.log. Quitting GDB stops QEMU. MBHEAP_MEM and
# MBHEAP_DISPLAY as for scripts/boot.sh. GDB reads commands from standard input when
# it is not a terminal (the gdb.debug_target test does that).
#   cmake --build build --target debug           (the demo)
#   scripts/debug.sh build "test=heap.grow"      (one in-kernel test)
set -euo pipefail
build=${1:?usage: scripts/debug.sh BUILD_DIR [KERNEL_CMDLINE]}
cmdline=${2:-}
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$build/qemu-logs"
. "$src/scripts/qemu_args.sh"
mbheap_qemu_args "$build" "file:$build/qemu-logs/debug.log" "$cmdline"
qemu_args+=(-S -gdb "tcp:127.0.0.1:$port")
qemu-system-x86_64 "${qemu_args[@]}" </dev/null &
qemu_pid=$!
trap 'kill $qemu_pid 2>/dev/null || true' EXIT
echo "debug: QEMU pid $qemu_pid, gdb stub on port $port, serial log $build/qemu-logs/debug.log"
gdb -q "$build/mbheap.elf" -x "$src/scripts/gdb/mbheap.py" \
    -ex "target remote 127.0.0.1:$port" -ex "hbreak panic_at" \
    -ex "echo debug: stopped at the reset vector; 'continue' boots, 'hbreak kmain' stops in C, 'help mb-heap' etc.\n"
