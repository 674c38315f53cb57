/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/qemu.c - isa-debug-exit and the fw_cfg legacy I/O interface.
 *
 * fw_cfg: write a 16-bit selector to port 0x510, then read the item's bytes one at a
 * time from port 0x511. Item 0 is the signature "QEMU"; item 0x19 is the file
 * directory: a big-endian u32 count, then 64-byte entries {be32 size, be16 select,
 * u16 reserved, char name[56]}.
 */
#include "arch/x86_64/qemu.h"

#include "arch/x86_64/cpu.h"
#include "lib/string.h"

#define DEBUG_EXIT_PORT 0xf4
#define FW_CFG_SELECTOR 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019

void qemu_exit(uint32_t code)
{
    outl(DEBUG_EXIT_PORT, code);
}

static void fw_cfg_read(void *buf, size_t n)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++)
        p[i] = inb(FW_CFG_DATA);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

long qemu_fw_cfg_read_file(const char *name, char *buf, size_t size)
{
    char sig[4];
    outw(FW_CFG_SELECTOR, FW_CFG_SIGNATURE);
    fw_cfg_read(sig, 4);
    if (memcmp(sig, "QEMU", 4) != 0)
        return -1;

    uint8_t count_be[4];
    outw(FW_CFG_SELECTOR, FW_CFG_FILE_DIR);
    fw_cfg_read(count_be, 4);
    uint32_t count = be32(count_be);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t entry[64];
        fw_cfg_read(entry, sizeof(entry));
        entry[63] = '\0';
        if (strcmp((const char *)entry + 8, name) != 0)
            continue;
        uint32_t len = be32(entry);
        uint16_t select = (uint16_t)(entry[4] << 8 | entry[5]);
        if (size == 0 || len > size - 1)
            return (long)len; /* too long: the caller sees len >= size, buf untouched */
        outw(FW_CFG_SELECTOR, select);
        fw_cfg_read(buf, len);
        buf[len] = '\0'; /* QEMU's string= items are not NUL-terminated; files may be */
        return (long)len;
    }
    return -1;
}
