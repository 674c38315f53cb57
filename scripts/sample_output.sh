#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/sample_output.sh [--check] [BUILD_DIR] - the README's sample boot output, from a
# real boot of the current kernel.
#
# Boots BUILD_DIR's demo ISO (default build/) as scripts/run.sh does (scripts/boot.sh: BIOS,
# 128 MiB, serial on stdout) and puts what it prints into the README's code block that
# follows the line `<!-- sample-output ... -->` (section "What the boot output means").
# Without --check it builds the kernel first (cmake --build BUILD_DIR --target kernel) and
# rewrites README.md; with --check it boots the ISO as built and exits 1, with a diff, when
# the README differs (ctest's readme.sample_output does that).
# The sample is the gcc kernel's (the default build): a clang kernel's addresses differ.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
check=
if [ "${1:-}" = --check ]; then check=1; shift; fi
build=${1:-$src/build}
readme=$src/README.md

if [ -z "$check" ]; then
    "$src/scripts/logged.sh" "$build/sample_output-build.log" \
        cmake --build "$build" -j"$(nproc)" --target kernel
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# A clean environment for QEMU: no window, the default RAM size; \r from the serial line dropped.
env -u MBHEAP_DISPLAY -u MBHEAP_MEM "$src/scripts/boot.sh" "$build" </dev/null 2>&1 | tr -d '\r' >"$out" || {
    echo "sample_output: the demo did not boot to its end:" >&2
    tail -n 20 "$out" >&2
    exit 1
}

python3 - "$readme" "$out" "$check" <<'EOF'
import difflib, sys
readme, out, check = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(readme, encoding="utf-8").read().split("\n")
sample = open(out, encoding="utf-8").read().rstrip("\n").split("\n")
marker = [i for i, l in enumerate(lines) if l.startswith("<!-- sample-output")]
if len(marker) != 1 or not lines[marker[0] + 1].startswith("```"):
    sys.exit("sample_output: README.md needs one '<!-- sample-output ... -->' line followed by a ``` block")
begin = marker[0] + 2
end = next(i for i in range(begin, len(lines)) if lines[i] == "```")
if lines[begin:end] == sample:
    print("sample_output: README.md's sample boot output is current (%d lines)" % len(sample))
    sys.exit(0)
if check:
    sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(
        lines[begin:end], sample, "README.md", "a boot of the current kernel", lineterm=""))
    sys.exit("sample_output: README.md's sample boot output differs from a boot of the "
             "current kernel; scripts/sample_output.sh rewrites it")
lines[begin:end] = sample
open(readme, "w", encoding="utf-8").write("\n".join(lines))
print("sample_output: README.md's sample boot output rewritten (%d lines)" % len(sample))
EOF
