#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/bench/check_ir.py - instructions per operation of the heap on the allocbench traces,
counted by callgrind, checked against ceilings.

    check_ir.py HEAP_BENCH [--only T1,T2] [--no-check]

For each trace, valgrind --tool=callgrind counts the instructions of one replay of
heap_bench (measured_replay: the harness loop included, as allocbench's callgrind_iops.sh
does) for first fit with its index, for good fit (the second placement policy) and for
glibc's malloc in the same run. Instruction counts do not depend on the machine's load, so
the figures are enforced: the run fails when first fit or good fit exceeds its ceiling.
The table also shows issue 12's targets; a figure above its target but below its ceiling
is reported, not failed (tests/bench/RESULTS.md).
"""
import os
import re
import subprocess
import sys
import tempfile

# trace: (ceiling, target) in instructions per operation, first fit with its index. The
# ceilings are the figures measured with this harness (RESULTS.md) plus 3%: a regression
# guard, below the target where it is met (T5), and until it is met elsewhere.
FIRST_FIT = {
    "T1": (132.0, 120.0),
    "T2": (261.0, 200.0),
    "T3": (339.0, 230.0),
    "T4": (210.0, 170.0),
    "T5": (1447.0, 1500.0),
}

# The same for good fit: ceilings at its figures measured with this harness + 3%. Its
# targets are the old good-fit engine's figures (issue 12: "within 3%"), measured with
# allocbench's harness, which counts about 4.5 Ir/op less than this one on T2; the
# hardening that engine lacked is part of the difference (RESULTS.md: "Good fit beside
# first fit").
GOOD_FIT = {
    "T1": (174.0, 134.5),
    "T2": (145.0, 113.1),
    "T3": (182.5, 132.1),
    "T4": (248.5, 169.8),
    "T5": (1425.0, 1410.0),
}
POLICIES = (("first-fit", FIRST_FIT), ("good-fit", GOOD_FIT))


def count(bench, alloc, trace, tmp):
    out = os.path.join(tmp, "cg.%s.%s.out" % (alloc, trace))
    cmd = ["valgrind", "--tool=callgrind", "--toggle-collect=measured_replay",
           "--callgrind-out-file=" + out, bench, "--callgrind", alloc, "--only", trace]
    env = dict(os.environ, LD_BIND_NOW="1")
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit("check_ir: %s failed (%d):\n%s" % (" ".join(cmd), p.returncode, p.stderr[-2000:]))
    m = re.search(r"ops=(\d+)", p.stdout)
    ir = None
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                ir = int(line.split()[1])
    if not m or ir is None:
        sys.exit("check_ir: no op count or instruction total for %s %s" % (alloc, trace))
    return ir / int(m.group(1))


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    bench = args[0]
    only = list(FIRST_FIT)
    check = True
    i = 1
    while i < len(args):
        if args[i] == "--only" and i + 1 < len(args):
            only = args[i + 1].split(",")
            i += 2
        elif args[i] == "--no-check":
            check = False
            i += 1
        else:
            sys.exit(__doc__)
    failed = []
    print("%-5s %-10s %9s %9s %9s %9s  %s" % ("trace", "policy", "Ir/op", "glibc", "ceiling",
                                             "target", "verdict"))
    with tempfile.TemporaryDirectory() as tmp:
        for t in only:
            gl = count(bench, "glibc", t, tmp)
            for name, limits in POLICIES:
                ceiling, target = limits[t]
                ir = count(bench, name, t, tmp)
                if ir > ceiling:
                    verdict = "FAIL: above the ceiling"
                    failed.append("%s %s" % (name, t))
                elif ir > target:
                    verdict = "ok (target not met yet)"
                else:
                    verdict = "ok (target met)"
                print("%-5s %-10s %9.1f %9.1f %9.1f %9.1f  %s" % (t, name, ir, gl, ceiling, target,
                                                                  verdict), flush=True)
    if failed and check:
        print("check_ir: %s above the ceiling" % ", ".join(failed))
        return 1
    print("check_ir: every figure within its ceiling")
    return 0


if __name__ == "__main__":
    sys.exit(main())
