#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/standalone/check_part.py - one liftable part builds alone with only its documented hooks.

What a reader does when they lift a part into their own kernel, done on the host:
  1. copy only the part's files (cmake/parts.cmake: its sources and the headers they include)
     into an empty directory, as they would into their tree;
  2. compile its sources there, freestanding (-ffreestanding -fno-builtin, no stack protector),
     and link them into one relocatable object: a header the list misses fails the compile;
  3. every symbol that object leaves undefined must be one of the part's documented hooks
     (README.md, "Using mbheap's parts in your own kernel"), or a libgcc helper the compiler
     emits; anything else is a dependency that crept in, and is named;
  4. README.md's section must name every file and every hook of the part;
  5. a tiny host program (tests/standalone/<part>_main.c) that defines only those hooks
     (tests/standalone/hooks.h; the string functions are the C library's) links with the
     object and runs the part, checking what it returns.

Usage: check_part.py --name NAME --src DIR --work DIR --cc CC --main FILE
                     --files F... --hooks H...
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

FREESTANDING = ["-std=gnu11", "-O2", "-ffreestanding", "-fno-builtin", "-fno-stack-protector",
                "-fPIE", "-Wall", "-Wextra", "-Werror"]


def run(cmd, what):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print("%s failed: %s\n%s%s" % (what, " ".join(cmd), r.stdout, r.stderr))
        sys.exit(1)
    return r.stdout


def readme_section(src):
    with open(os.path.join(src, "README.md")) as f:
        text = f.read()
    m = re.search(r"^## Using mbheap's parts in your own kernel\n(.*?)(?=^## )", text, re.M | re.S)
    return m.group(1) if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--main", required=True)
    ap.add_argument("--files", nargs="+", required=True)
    ap.add_argument("--hooks", nargs="+", required=True)
    a = ap.parse_args()

    tree = os.path.join(a.work, "tree")
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(tree)
    for f in a.files:
        os.makedirs(os.path.dirname(os.path.join(tree, f)), exist_ok=True)
        shutil.copy(os.path.join(a.src, f), os.path.join(tree, f))

    objs = []
    for f in a.files:
        if f.endswith(".c"):
            o = os.path.join(a.work, "obj", f.replace("/", "_")[:-2] + ".o")
            os.makedirs(os.path.dirname(o), exist_ok=True)
            run([a.cc] + FREESTANDING + ["-I", tree, "-c", os.path.join(tree, f), "-o", o],
                "compiling %s with only the part's files" % f)
            objs.append(o)
    part = os.path.join(a.work, "part-%s.o" % a.name)
    run([a.cc, "-r", "-nostdlib", "-o", part] + objs, "linking the part")

    undefined = set(run(["nm", "-u", part], "nm").split()) - {"U"}
    libgcc = run([a.cc, "-print-libgcc-file-name"], "finding libgcc").strip()
    libgcc_syms = set()
    if os.path.exists(libgcc):
        for line in run(["nm", "--defined-only", libgcc], "nm libgcc").splitlines():
            parts = line.split()
            if len(parts) == 3:
                libgcc_syms.add(parts[2])
    problems = []
    extra = sorted(s for s in undefined if s not in a.hooks and s not in libgcc_syms)
    for s in extra:
        problems.append("the %s part needs %s, which is not one of its documented hooks (%s): "
                        "drop the dependency or document the hook (README.md, cmake/parts.cmake)"
                        % (a.name, s, ", ".join(a.hooks)))

    section = readme_section(a.src)
    if section is None:
        problems.append("README.md has no section \"Using mbheap's parts in your own kernel\"")
    else:
        for name in a.files + a.hooks:
            if "`%s`" % name not in section:
                problems.append("README.md's \"Using mbheap's parts\" does not name `%s` (part %s)"
                                % (name, a.name))
    if problems:
        print("\n".join(problems))
        return 1

    exe = os.path.join(a.work, a.name + "_main")
    run([a.cc, "-std=gnu11", "-O1", "-Wall", "-Wextra", "-Werror", "-I", tree,
         "-I", os.path.dirname(a.main), a.main, part, "-o", exe], "building the host program")
    r = subprocess.run([exe], capture_output=True, text=True)
    sys.stdout.write(r.stdout + r.stderr)
    if r.returncode != 0:
        print("%s exited with %d" % (exe, r.returncode))
        return 1
    print("check_part: %s builds alone from %d files; it needs %s%s" % (
        a.name, len(a.files), ", ".join(sorted(undefined & set(a.hooks))),
        (" and libgcc's " + ", ".join(sorted(undefined - set(a.hooks)))) if undefined - set(a.hooks) else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
