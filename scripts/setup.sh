#!/usr/bin/env bash
# scripts/setup.sh - installs the Debian packages mbheap needs to build, run and test.
#
# Safe to run again: it installs only what is missing. As root it runs apt-get itself;
# otherwise it prints the exact command to run and fails.
set -euo pipefail

PACKAGES=(
    cmake make gcc clang lld nasm
    grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools
    qemu-system-x86 ovmf gdb
    libcmocka-dev libclang-rt-14-dev
    python3 valgrind
    sqlite3
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

echo "setup: missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "setup: run this as root, then try again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
