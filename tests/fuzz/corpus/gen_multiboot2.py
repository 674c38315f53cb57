#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus for fuzz.multiboot2 into tests/fuzz/corpus/multiboot2/.

Valid structures shaped like what GRUB 2 builds on BIOS (i386-pc) and UEFI (x86_64-efi,
OVMF: memory types 3, 4 and 20, RAM above 4 GiB), plus a few broken ones. Layouts follow
grub/include/multiboot2.h. Run it from anywhere; the output is deterministic, and the
generated files are committed beside it.
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "multiboot2")


def tag(t, body=b""):
    raw = struct.pack("<II", t, 8 + len(body)) + body
    return raw + b"\0" * (-len(raw) % 8)


def string(t, s):
    return tag(t, s.encode() + b"\0")


def mmap(entries, entry_size=24, version=0):
    body = struct.pack("<II", entry_size, version)
    for base, length, typ in entries:
        e = struct.pack("<QQII", base, length, typ, 0)
        body += e + b"\0" * (entry_size - len(e))
    return tag(6, body)


def module(start, end, s):
    return tag(3, struct.pack("<II", start, end) + s.encode() + b"\0")


def meminfo(lower, upper):
    return tag(4, struct.pack("<II", lower, upper))


def elf(sections, shndx):
    body = struct.pack("<III", len(sections), 64, shndx)
    for name, typ, flags, addr, off, size in sections:
        body += struct.pack("<IIQQQQIIQQ", name, typ, flags, addr, off, size, 0, 0, 16, 0)
    return tag(9, body)


def framebuffer(addr, pitch, w, h, bpp, typ, color=b""):
    return tag(8, struct.pack("<QIIIBBH", addr, pitch, w, h, bpp, typ, 0) + color)


def mbi(*tags, total=None, reserved=0):
    body = b"".join(tags) + tag(0)
    size = 8 + len(body) if total is None else total
    return struct.pack("<II", size, reserved) + body


KERNEL_SECTIONS = [
    (0, 0, 0, 0, 0, 0),
    (1, 1, 6, 0xFFFFFFFF80100000, 0x1000, 0x6000),  # .text
    (7, 1, 2, 0xFFFFFFFF80106000, 0x7000, 0x2000),  # .rodata
    (15, 1, 3, 0xFFFFFFFF80108000, 0x9000, 0x800),  # .data
    (21, 8, 3, 0xFFFFFFFF80109000, 0x9800, 0x14000),  # .bss
    (26, 3, 0, 0, 0x9800, 0x30),  # .shstrtab
]

BIOS_MAP = [
    (0x0, 0x9FC00, 1),
    (0x9FC00, 0x400, 2),
    (0xF0000, 0x10000, 2),
    (0x100000, 0x7EE0000, 1),
    (0x7FE0000, 0x20000, 2),
    (0xFFFC0000, 0x40000, 2),
]

UEFI_MAP = [
    (0x0, 0xA0000, 1),
    (0x100000, 0x700000, 1),
    (0x800000, 0x8000, 4),
    (0x808000, 0x8000, 1),
    (0x810000, 0xF0000, 4),
    (0x900000, 0x6B00000, 1),
    (0x7400000, 0x20000, 3),
    (0x7420000, 0xA00000, 1),
    (0x7E20000, 0x1000, 20),
    (0x7E21000, 0x1DF000, 2),
    (0xFFC00000, 0x400000, 2),
    (0x100000000, 0x40000000, 1),
]

RSDP_V1 = b"RSD PTR " + bytes([0x4E]) + b"BOCHS " + bytes([0]) + struct.pack("<I", 0x7FE14AA)
XSDP = RSDP_V1 + struct.pack("<IQB3s", 36, 0x7FE14F0, 0, b"\0\0\0")

CORPUS = {
    "grub_bios": mbi(
        string(1, ""),
        string(2, "GRUB 2.06-13+deb12u1"),
        meminfo(639, 129920),
        tag(5, struct.pack("<III", 0xE0, 0xFFFFFFFF, 0xFFFFFFFF)),
        mmap(BIOS_MAP),
        framebuffer(0xB8000, 160, 80, 25, 16, 2),
        elf(KERNEL_SECTIONS, 5),
        tag(10, b"\0" * 20),
        tag(14, RSDP_V1),
    ),
    "grub_bios_cmdline_modules": mbi(
        string(1, "test=boot.println heap_max=4M loglevel=3"),
        string(2, "GRUB 2.06"),
        module(0x12D000, 0x12E234, "/boot/initrd.img rw"),
        module(0x12F000, 0x12F000, ""),
        meminfo(639, 129920),
        mmap(BIOS_MAP),
        elf(KERNEL_SECTIONS, 5),
        tag(14, RSDP_V1),
    ),
    "grub_uefi_ovmf": mbi(
        string(1, ""),
        string(2, "GRUB 2.06-13+deb12u1"),
        tag(12, struct.pack("<Q", 0x7F9EE018)),
        mmap(UEFI_MAP),
        framebuffer(0x80000000, 3200, 800, 600, 32, 1, bytes([16, 8, 8, 8, 0, 8])),
        elf(KERNEL_SECTIONS, 5),
        tag(15, XSDP),
        tag(17, struct.pack("<II", 48, 1) + b"\0" * 48 * 3),
        tag(20, struct.pack("<Q", 0x7E4C018)),
        tag(21, struct.pack("<I", 0x200000)),
    ),
    "unsorted_overlapping_map": mbi(
        mmap(
            [
                (0x100000000, 0xFFFFFFFFFFFFFFFF, 1),
                (0x0, 0x100000000, 1),
                (0x5800, 0x100, 4),
                (0x9F000, 0x0, 2),
                (0xFFFFFFFF00000000, 0x200000000, 2),
                (0x200000, 0x1000, 5),
                (0x1001, 0x1FFE, 1),
                (0x7E20000, 0x1000, 20),
            ]
        ),
    ),
    "mmap_entry_size_32": mbi(mmap(BIOS_MAP, entry_size=32)),
    "minimal": mbi(),
    # broken ones
    "bad_total_size": mbi(mmap(BIOS_MAP), total=0x1000),
    "bad_reserved": mbi(mmap(BIOS_MAP), reserved=1),
    "bad_entry_size_20": mbi(mmap(BIOS_MAP[:2], entry_size=24)).replace(
        struct.pack("<IIII", 6, 16 + 48, 24, 0), struct.pack("<IIII", 6, 16 + 48, 20, 0)
    ),
    "bad_tag_size_overflow": mbi(string(1, "abc"), tag(0x77), mmap(BIOS_MAP)).replace(
        struct.pack("<II", 0x77, 8), struct.pack("<II", 0x77, 0xFFFFFFF8)
    ),
    "bad_missing_end": mbi(mmap(BIOS_MAP))[:-8],
    "bad_module_backwards": mbi(module(0x3001, 0x3000, "x"), mmap(BIOS_MAP)),
    "bad_elf_shndx": mbi(elf(KERNEL_SECTIONS, 6), mmap(BIOS_MAP)),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in CORPUS.items():
        if name == "bad_missing_end":
            data = struct.pack("<I", len(data)) + data[4:]
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
