#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/bench/allocbench/build.sh OUT.so [extra cc args, e.g. -DHEAP_HARDENED=0 or
#                                        -DARENA_HEAP_GROW_DIV=4]
#
# Builds the allocbench plugin for mm/heap.c with allocbench's own mkadapter.sh (from
# ../shared/allocbench, beside the repository), from the same mm/heap.c and lib/ sources
# the kernel uses. Then, for example:
#   ../shared/allocbench/callgrind_iops.sh TRACE.abt OUT.so
set -e
[ $# -ge 1 ] || { sed -n '2,9p' "$0"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
ab=${ALLOCBENCH_DIR:-$repo/../shared/allocbench}
if [ ! -x "$ab/mkadapter.sh" ]; then
    echo "build.sh: allocbench not found at $ab (expected ../shared/allocbench beside the" \
         "repository; set ALLOCBENCH_DIR)" >&2
    exit 1
fi
out=$1; shift
case $out in /*) ;; *) out=$PWD/$out ;; esac
exec "$ab/mkadapter.sh" "$out" "$here/adapter.c" "$repo/tests/bench/arena_heap.c" \
    "$repo/tests/common/panic_abort.c" "$repo/tests/common/heap_index_mem.c" "$repo/mm/heap.c" "$repo/mm/heap_index.c" "$repo/mm/heap_goodfit.c" "$repo/mm/heap_check.c" "$repo/lib/kprintf.c" \
    "$repo/lib/error.c" -I"$repo" "$@"
