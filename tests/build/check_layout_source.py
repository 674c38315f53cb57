#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/build/check_layout_source.py - the layout constants have one source.

cmake/layout.cmake defines the kernel's virtual base, the size of the boot mapping (and its
page-table count) and the fw_cfg file name; the build generates them for C, NASM, the linker
script, Python and shell. This check fails when a consumer writes one of them again as a
literal in its code (comments aside), and when the generated files disagree with
cmake/layout.cmake.

Usage: check_layout_source.py SOURCE_DIR BUILD_DIR
"""
import os
import re
import sys

VMA = r"0x[fF]{8}80000000"
CONSUMERS = {
    "arch/x86_64/linker.ld": [VMA, r"0x800000\b", r"8\s*\*\s*1024\s*\*\s*1024"],
    "boot/boot32.asm": [VMA, r"BOOT_PT_COUNT\s+equ\s+\d"],
    "boot/boot64.asm": [VMA],
    "kernel/direct_map.h": [VMA],
    "boot/kmain.c": [r"opt/mbheap/cmdline"],
    "tests/qemu/run_qemu.py": [r"opt/mbheap/cmdline"],
    "scripts/qemu_args.sh": [r"opt/mbheap/cmdline"],
}


def code_only(path, text):
    """The text without comments (the forms each of these files uses)."""
    if path.endswith((".c", ".h", ".ld")):
        return re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)
    if path.endswith(".asm"):
        return re.sub(r";[^\n]*", "", text)
    if path.endswith(".py"):
        text = re.sub(r'"""(.*?)"""', "", text, flags=re.S)
    return re.sub(r"(^|\s)#[^\n]*", "", text)


def main():
    src, build = sys.argv[1], sys.argv[2]
    problems = []
    for rel, patterns in CONSUMERS.items():
        with open(os.path.join(src, rel)) as f:
            code = code_only(rel, f.read())
        for p in patterns:
            m = re.search(p, code)
            if m:
                problems.append("%s writes %r itself: take it from cmake/layout.cmake" % (rel, m.group(0)))
    try:
        with open(os.path.join(src, "cmake/layout.cmake")) as f:
            layout = dict(re.findall(r'^set\((MBHEAP_\w+) "?([^")]+)"?\)', f.read(), re.M))
        with open(os.path.join(build, "mbheap-layout.env")) as f:
            env = dict(l.strip().split("=", 1) for l in f if "=" in l and not l.startswith("#"))
    except OSError as e:
        layout, env = {}, {}
        problems.append("no layout source or generated file: %s" % e)
    for key in ("MBHEAP_KERNEL_VMA", "MBHEAP_FW_CFG_CMDLINE"):
        if env.get(key) != layout.get(key):
            problems.append("build/mbheap-layout.env has %s=%s, cmake/layout.cmake %s"
                            % (key, env.get(key), layout.get(key)))
    for p in problems:
        print("check_layout_source: " + p)
    if problems:
        return 1
    print("check_layout_source: %d consumers take the layout constants from cmake/layout.cmake"
          % len(CONSUMERS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
