#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/build/check_includes.py - the include graph points one way and has no cycle.

README.md's dependency rule, checked on every `#include "..."` of every C file in the tree:

  lib/          -> lib/ only (freestanding; nothing above it)
  mm/           -> mm/, lib/ (the pure cores: no arch/, no kernel glue, no boot/)
  arch/x86_64/  -> arch/, lib/
  kernel/       -> kernel/, mm/, arch/, lib/, the generated layout header (the glue)
  boot/         -> everything but tests/
  ports/posix/  -> mm/, lib/ (the heap core as a process's malloc)
  tests/        -> anything; nothing outside tests/ includes tests/

and the graph of modules has no cycle. A module is the files of one directory that share a
name up to the first underscore (mm/heap.c, mm/heap.h, mm/heap_index.c, mm/heap_goodfit.c,
mm/heap_trim.c, mm/heap_internal.h and mm/heap_check.c are the heap core; mm/pmm.c and mm/pmm.h the frame allocator), so a
file's own header or a private header of the same module is no edge.

Usage: check_includes.py SOURCE_DIR
Prints every offending include (file:line) and every cycle; exits 1 if there is one.
"""
import os
import re
import subprocess
import sys

# Layer of a path, by the directory it lies in (longest prefix first).
LAYERS = [
    ("lib/", "lib"),
    ("mm/", "mm"),
    ("arch/", "arch"),
    ("kernel/", "kernel"),
    ("boot/", "boot"),
    ("ports/", "ports"),
    ("tests/", "tests"),
]
# Headers the build generates (cmake/layout.cmake), included by their bare name.
GENERATED = {"mbheap_layout.h": "generated"}
ALLOWED = {
    "lib": {"lib"},
    "mm": {"mm", "lib"},
    "arch": {"arch", "lib"},
    "kernel": {"kernel", "mm", "arch", "lib", "generated"},
    "boot": {"boot", "kernel", "mm", "arch", "lib", "generated"},
    "ports": {"ports", "mm", "lib"},
    "tests": None,  # anything
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer(path):
    if path in GENERATED:
        return GENERATED[path]
    for prefix, name in LAYERS:
        if path.startswith(prefix):
            return name
    return None


def module(path):
    d, base = os.path.split(path)
    stem = os.path.splitext(base)[0].split("_")[0]
    return d + "/" + stem


def c_files(src):
    out = subprocess.run(["git", "-C", src, "ls-files", "*.c", "*.h"], capture_output=True,
                         text=True)
    if out.returncode == 0 and out.stdout.strip():
        return sorted(out.stdout.split())
    files = []  # not a git checkout: walk the tree
    for root, dirs, names in os.walk(src):
        dirs[:] = [d for d in dirs if not d.startswith(("build", "."))]
        files += [os.path.relpath(os.path.join(root, n), src) for n in names
                  if n.endswith((".c", ".h"))]
    return sorted(files)


def find_cycles(edges):
    """Every elementary cycle found by a depth-first search (each reported once)."""
    cycles, seen = [], set()
    state = {}  # 1: on the stack, 2: done

    def visit(n, stack):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                cyc = stack[stack.index(m):] + [m]
                key = frozenset(cyc)
                if key not in seen:
                    seen.add(key)
                    cycles.append(cyc)
            elif m not in state:
                visit(m, stack)
        stack.pop()
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n, [])
    return cycles


def main():
    src = sys.argv[1]
    problems = []
    edges = {}
    files = c_files(src)
    for rel in files:
        src_layer = layer(rel)
        if src_layer is None:
            continue
        with open(os.path.join(src, rel), errors="replace") as f:
            text = f.read()
        for m in INCLUDE.finditer(text):
            inc = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            dst_layer = layer(inc)
            if dst_layer is None:
                # a header beside the including file (tests' "support.h")
                if src_layer == "tests":
                    continue
                problems.append("%s:%d: includes \"%s\", which is in no layer" % (rel, line, inc))
                continue
            if dst_layer == "tests" and src_layer != "tests":
                problems.append("%s:%d: includes \"%s\": nothing outside tests/ includes tests/"
                                % (rel, line, inc))
                continue
            allowed = ALLOWED[src_layer]
            if allowed is not None and dst_layer not in allowed:
                problems.append("%s:%d: includes \"%s\": %s/ may include only %s"
                                % (rel, line, inc, src_layer, ", ".join(sorted(allowed))))
            if src_layer != "tests" and dst_layer != "generated":
                a, b = module(rel), module(inc)
                if a != b:
                    edges.setdefault(a, set()).add(b)
    for cyc in find_cycles(edges):
        problems.append("cycle: " + " -> ".join(cyc))
    for p in problems:
        print(p)
    if problems:
        print("check_includes: %d problem(s) in the include graph (README.md, Layout)"
              % len(problems))
        return 1
    print("check_includes: %d files, %d modules with includes: one way, no cycle"
          % (len(files), len(edges)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
