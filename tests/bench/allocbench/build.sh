#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/bench/allocbench/build.sh OUT.so [extra cc args, e.g. -DARENA_HEAP_GROW_DIV=4]
#
# Builds the allocbench plugin for mm/heap.c with allocbench's own mkadapter.sh (from
# ../shared/allocbench, beside the repository), from the same heap sources the kernel uses
# (the heap part's list in cmake/parts.cmake) and lib/'s printing. Then, for example:
#   ../shared/allocbench/callgrind_iops.sh TRACE.abt OUT.so
set -e
[ $# -ge 1 ] || { sed -n '2,8p' "$0"; exit 2; }
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
# the heap part's sources, as every other build takes them: cmake/parts.cmake's
# set(MBHEAP_PART_HEAP ...) line
heap_srcs=$(sed -n 's/^set(MBHEAP_PART_HEAP \([^)]*\))$/\1/p' "$repo/cmake/parts.cmake")
if [ -z "$heap_srcs" ]; then
    echo "build.sh: no set(MBHEAP_PART_HEAP ...) line in $repo/cmake/parts.cmake" >&2
    exit 1
fi
srcs=
for f in $heap_srcs; do srcs="$srcs $repo/$f"; done
# shellcheck disable=SC2086 # $srcs: paths without spaces, split on purpose
exec "$ab/mkadapter.sh" "$out" "$here/adapter.c" "$repo/tests/bench/arena_heap.c" \
    "$repo/tests/common/panic_abort.c" "$repo/tests/common/heap_index_mem.c" $srcs \
    "$repo/lib/kprintf.c" "$repo/lib/error.c" -I"$repo" "$@"
