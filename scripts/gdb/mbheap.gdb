# scripts/gdb/mbheap.gdb - GDB setup for debugging mbheap under QEMU.
#
# Sourced by `cmake --build build --target debug` (scripts/debug.sh) and the gdb tests.
# The kernel starts in 32-bit protected mode but is an x86_64 ELF: keep GDB's
# architecture at i386:x86-64 (never `set architecture i386`), and use hardware
# breakpoints (hbreak) until the kernel's higher-half mapping exists.
set pagination off
set confirm off
set print pretty on
set disassembly-flavor intel

source scripts/gdb/mbheap.py
