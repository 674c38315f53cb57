/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/qemu.h - talking to QEMU: the isa-debug-exit device and fw_cfg.
 *
 * qemu_exit(QEMU_EXIT_SUCCESS) makes QEMU exit with status (0x10 << 1) | 1 = 33,
 * QEMU_EXIT_FAILURE with 35. Without the device (-device isa-debug-exit,iobase=0xf4,
 * iosize=0x04) the write does nothing and the function returns.
 */
#ifndef MBHEAP_ARCH_QEMU_H
#define MBHEAP_ARCH_QEMU_H

#include <stddef.h>
#include <stdint.h>

#define QEMU_EXIT_SUCCESS 0x10
#define QEMU_EXIT_FAILURE 0x11

void qemu_exit(uint32_t code);

/*
 * Reads the fw_cfg file `name` (e.g. "opt/mbheap/cmdline", given to QEMU with
 * -fw_cfg name=opt/mbheap/cmdline,string=...) into buf, all its bytes as they are (NULs
 * included), followed by a NUL. Returns the file's length, or -1 when there is no fw_cfg
 * device or no such file. A length >= size means the file did not fit: buf is untouched.
 */
long qemu_fw_cfg_read_file(const char *name, char *buf, size_t size);

#endif
