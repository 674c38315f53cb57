#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/check_format.sh [--fix] - the source tree's form, as .ci/run checks it:
#  * every C file is formatted as .clang-format says (clang-format --dry-run -Werror);
#    --fix formats them in place instead;
#  * every Python script passes pyflakes (unused imports and variables, undefined names);
#  * every source file names its licence (SPDX-License-Identifier: MIT, LICENSE).
# scripts/setup.sh installs clang-format and pyflakes3. Exits non-zero naming each offender.
set -euo pipefail
cd "$(dirname "$0")/.."
fix=0
[ "${1:-}" = "--fix" ] && fix=1
for tool in clang-format pyflakes3; do
    if ! command -v "$tool" >/dev/null; then
        echo "check_format: $tool is not installed (scripts/setup.sh installs it)" >&2
        exit 1
    fi
done
mapfile -t c_files < <(git ls-files '*.c' '*.h')
mapfile -t py_files < <(git ls-files '*.py')
mapfile -t src_files < <(git ls-files '*.c' '*.h' '*.asm' '*.ld' '*.py' '*.sh' '*.cmake' '*.in' \
                         'CMakeLists.txt' '.ci/run')
status=0

if [ $fix = 1 ]; then
    clang-format -i "${c_files[@]}"
    echo "check_format: formatted ${#c_files[@]} C files"
    exit 0
fi
bad=()
for f in "${c_files[@]}"; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
    echo "check_format: ${#bad[@]} C file(s) not formatted as .clang-format says:"
    printf '  %s\n' "${bad[@]}"
    echo "  fix: clang-format -i ${bad[*]}   (or scripts/check_format.sh --fix)"
    status=1
else
    echo "check_format: ${#c_files[@]} C files formatted"
fi

if ! pyflakes3 "${py_files[@]}"; then
    echo "check_format: pyflakes found the problems above in the Python scripts"
    status=1
else
    echo "check_format: ${#py_files[@]} Python scripts pass pyflakes"
fi

nolicence=()
for f in "${src_files[@]}"; do
    head -n 3 "$f" | grep -q 'SPDX-License-Identifier: MIT' || nolicence+=("$f")
done
if [ ${#nolicence[@]} -gt 0 ]; then
    echo "check_format: ${#nolicence[@]} source file(s) without an SPDX-License-Identifier line:"
    printf '  %s\n' "${nolicence[@]}"
    status=1
else
    echo "check_format: ${#src_files[@]} source files name their licence"
fi
exit $status
