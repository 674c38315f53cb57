#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/run.sh - the main job: install what is missing, build, boot the demo in QEMU.
#
# The serial console comes to this terminal; QEMU ends by itself when the demo is done
# (through the isa-debug-exit device). Extra arguments become the kernel command line,
# e.g.  scripts/run.sh test=heap.grow
# Environment: BUILD_DIR (default build), MBHEAP_DISPLAY=1 to also open QEMU's window,
# MBHEAP_MEM for the RAM size (default 128M).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build}
"$src/scripts/setup.sh"
cmake -S "$src" -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" --target kernel   # the ELF and the ISO only
exec "$src/scripts/boot.sh" "$build" "$@"
