#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/test.sh - install what is missing, build, and run every ctest test but the
# benchmarks and the fresh-install check (labels host, qemu, uefi, gdb, fuzz, realworld,
# readme; not bench, not install). Exits non-zero on any failure.
# Extra arguments go to ctest, e.g.  scripts/test.sh -L host   or   scripts/test.sh -R heap
# Environment: BUILD_DIR (default build), JOBS (default: the number of CPUs).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build}
jobs=${JOBS:-$(nproc)}
"$src/scripts/setup.sh"
cmake -S "$src" -B "$build" >/dev/null
cmake --build "$build" -j"$jobs"
cd "$build"
ctest -j"$jobs" --output-on-failure -LE 'bench|install' "$@"
