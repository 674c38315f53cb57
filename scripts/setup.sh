#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/setup.sh [PACKAGE...] - installs the Debian packages mbheap needs to build, run,
# debug and test (and the PACKAGEs given, e.g. debootstrap for tests/install/fresh_debian.sh).
#
# Safe to run again: it installs only what is missing. As root it runs apt-get itself,
# quietly: a few lines of progress here, apt-get's full output in a log (MBHEAP_SETUP_LOG,
# default BUILD_DIR/setup.log, BUILD_DIR defaulting to build/), whose last lines are shown
# when it fails. Otherwise it prints the exact command to run as root and fails.
#
# The list was found by running scripts/run.sh and scripts/test.sh on a minimal Debian 12
# (tests/install/fresh_debian.sh does that), not only by reading the scripts: e.g.
# grub-mkrescue --compress=xz needs the xz program, which no other package pulls in.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)

PACKAGES=(
    cmake make gcc binutils clang lld nasm          # build (binutils: ld, objcopy, addr2line)
    grub-common grub-pc-bin grub-efi-amd64-bin      # the ISO (grub-file, grub-mkrescue) ...
    xorriso mtools xz-utils                         # ... which runs xorriso, mformat and xz
    qemu-system-x86 ovmf gdb                        # run and debug (BIOS and UEFI)
    libcmocka-dev libclang-rt-14-dev                # host tests, sanitizers, libFuzzer
    python3 valgrind sqlite3                        # test runners, benchmarks, realworld programs
    clang-format pyflakes3                          # scripts/check_format.sh (.ci/run)
    "$@"
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

install="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
echo "setup: missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    {
        echo "setup: run this as root (it asks for root's password), then try again:"
        echo "  su -c '$install'"
        # A minimal Debian has no sudo; offer it only where it is installed.
        if command -v sudo >/dev/null 2>&1; then
            echo "setup: or, if you may use sudo:"
            echo "  sudo sh -c '$install'"
        fi
    } >&2
    exit 1
fi

log=${MBHEAP_SETUP_LOG:-${BUILD_DIR:-$src/build}/setup.log}
mkdir -p "$(dirname "$log")"
: >"$log"
echo "setup: installing them; apt-get's output goes to $log"
export DEBIAN_FRONTEND=noninteractive
start=$SECONDS
apt=(apt-get -y -q -o Dpkg::Use-Pty=0 --no-install-recommends)
logged=("$src/scripts/logged.sh" -a "$log")
echo "setup: [1/3] apt-get update"
"${logged[@]}" apt-get -q update
total=$("${apt[@]}" --simulate install "${missing[@]}" 2>/dev/null | grep -c '^Inst ' || true)
echo "setup: [2/3] downloading them and their dependencies (${total:-?} packages)"
"${logged[@]}" "${apt[@]}" --download-only install "${missing[@]}"
echo "setup: [3/3] unpacking and configuring them"
"${logged[@]}" "${apt[@]}" install "${missing[@]}"
echo "setup: done in $((SECONDS - start)) s"
