#!/usr/bin/env bash
# scripts/debug.sh BUILD_DIR [KERNEL_CMDLINE] - debug the kernel with GDB.
#
# Starts QEMU halted (-S) with a GDB stub on a free local port, in the background,
# then GDB with the kernel's symbols, connected and stopped at kmain. QEMU's serial
# output goes to BUILD_DIR/qemu-logs/debug.log. Quitting GDB stops QEMU. MBHEAP_MEM and
# MBHEAP_DISPLAY as for scripts/boot.sh.
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
qemu-system-x86_64 "${qemu_args[@]}" &
qemu_pid=$!
trap 'kill $qemu_pid 2>/dev/null || true' EXIT
echo "debug: QEMU pid $qemu_pid, gdb stub on port $port, serial log $build/qemu-logs/debug.log"
cd "$src"
gdb -q "$build/mbheap.elf" -x scripts/gdb/mbheap.gdb \
    -ex "target remote 127.0.0.1:$port" -ex "hbreak kmain" -ex "continue"
