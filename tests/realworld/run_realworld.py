#!/usr/bin/env python3
"""tests/realworld/run_realworld.py - runs real programs on libmbheap_malloc.so and checks them.

  run <program>   runs the program twice, on glibc's malloc and with the shim preloaded
                  (MBHEAP_CHECK=<its N>, MBHEAP_STATS=1), and requires: both exit 0, the same
                  stdout, the same output files, the same stderr apart from the shim's lines,
                  and from every process that ran with the shim (their number is known: gcc
                  runs 3, the fork test 61) a clean final heap_check line and a statistics
                  line, nothing else from the shim.
                  Prints the wall times side by side (a printout, never a verdict).
  misuse <mode>   runs tests/realworld/misuse.c's <mode> with the shim and requires death by
                  SIGABRT with the heap's own message naming the pointer.
  signal-exit     exit() from a signal handler that interrupts malloc: must not hang.
  bench           every program without the shim, with it, and with it and MBHEAP_CHECK: a
                  wall-time table, the fastest of --repeat runs (outputs are still compared).

Inputs are generated deterministically (fixed seeds) under --work/<program>/.
"""
import argparse
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

FINAL_RE = re.compile(r"^mbheap: final heap_check ok: (\d+) operations, (\d+) live blocks")
STATS_RE = re.compile(r"^mbheap: stats: .* live (\d+), high water \d+, allocs (\d+), "
                      r"frees (\d+), operations (\d+)$")
TIMEOUT = 120  # seconds per run (ctest's limit for a test, two runs, is 300)


class Program:
    """A command to run twice; cmd(out) gets the run's private output directory."""

    def __init__(self, name, cmd, check, env=None, stdin=None, files=(), what="", procs=1):
        self.name, self.cmd, self.check, self.procs = name, cmd, check, procs
        self.env, self.stdin, self.files, self.what = env or {}, stdin, files, what


def words(rng, n, lo=3, hi=10):
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(lo, hi))) for _ in range(n)]


def gen_lines(path, seed=8, n=300000):
    """n tab-separated lines: key (5000 distinct), number, free text."""
    rng = random.Random(seed)
    keys = words(rng, 5000)
    text = words(rng, 20000, 2, 14)
    with open(path, "w") as f:
        for _ in range(n):
            f.write("%s\t%d\t%s %s\n" % (rng.choice(keys), rng.randint(0, 10**6),
                                         rng.choice(text), rng.choice(text)))


def gen_sql(path, seed=1125, rows=100000):
    """Creates, fills (rows rows, one transaction), indexes and queries a database."""
    rng = random.Random(seed)
    names = words(rng, 30000, 4, 24)
    with open(path, "w") as f:
        f.write("CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, name TEXT NOT NULL,"
                " v REAL, note TEXT);\nBEGIN;\n")
        for i in range(1, rows + 1):
            f.write("INSERT INTO t VALUES(%d, %d, '%s', %d.%02d, %s);\n"
                    % (i, rng.randint(0, 999), rng.choice(names), rng.randint(0, 9999),
                       rng.randint(0, 99),
                       "NULL" if i % 7 else "'%s'" % ("x" * rng.randint(1, 300))))
        f.write("COMMIT;\n")
        f.write("""CREATE INDEX t_k ON t(k);
CREATE INDEX t_name_v ON t(name, v);
SELECT count(*), sum(k), printf('%.2f', total(v)), count(note) FROM t;
SELECT k, count(*), printf('%.2f', sum(v)) FROM t WHERE k < 8 GROUP BY k ORDER BY k;
SELECT name, count(*) AS c FROM t GROUP BY name ORDER BY c DESC, name LIMIT 5;
SELECT id, name, v FROM t WHERE name BETWEEN 'ma' AND 'mb' ORDER BY name, v, id LIMIT 5;
SELECT a.k, count(*) FROM t AS a JOIN t AS b ON b.id = a.k + 1 WHERE a.id % 10 = 0
  GROUP BY a.k ORDER BY 2 DESC, 1 LIMIT 5;
UPDATE t SET name = upper(name) || '-' || id WHERE k % 3 = 0;
DELETE FROM t WHERE k % 5 = 0;
SELECT count(*), max(length(name)), sum(length(note)) FROM t;
SELECT group_concat(name, ',') FROM (SELECT name FROM t ORDER BY name DESC LIMIT 20);
VACUUM;
PRAGMA integrity_check;
""")


AWK_PROGRAM = r"""
BEGIN { FS = "\t" }
{
    if (!($1 in count)) order[++nk] = $1
    count[$1]++
    sum[$1] += $2
    t = $3
    vowels += gsub(/[aeiou]/, "#", t)
    s = sprintf("%s-%d", toupper(substr($3, 1, 3)), $2 % 97)
    seen[s]++
    if (NR % 1000 == 0) print NR, t, s, length(s)
    if (NR % 50000 == 0) { for (k in seen) ns++; split("", seen) }
}
END {
    for (i = 1; i <= nk; i++) print order[i], count[order[i]], sum[order[i]]
    for (k in seen) ns++
    print "keys", nk, "distinct", ns, "vowels", vowels
}
"""


def programs(a):
    """The programs, with their MBHEAP_CHECK period (heap_check walks the whole heap, so
    heavy allocators get a long period to keep the suite within minutes)."""
    src, work = a.src, a.work
    def lines(): return os.path.join(work, "input", "lines.txt")
    return {
        "python": Program(
            "python", lambda out: [a.python, os.path.join(src, "tests/realworld/workload.py")],
            100000, env={"PYTHONMALLOC": "malloc", "PYTHONHASHSEED": "0",
                          "PYTHONDONTWRITEBYTECODE": "1"},
            what="dicts, lists, strings, sorting, JSON round trip, re, small objects"),
        "gcc": Program(
            "gcc", lambda out: [a.cc, "-std=gnu11", "-O2", "-g", "-Wall", "-Wextra", "-Werror",
                                "-fno-strict-aliasing", "-I", src, "-c",
                                os.path.join(src, "mm/heap.c"), "-o",
                                os.path.join(out, "heap.o")],
            100000, files=("heap.o",), what="gcc -O2 -g -c mm/heap.c (driver, cc1, as)",
            procs=3),
        "sort": Program(
            "sort", lambda out: ["sort", "-t", "\t", "-k2,2n", "-k1,1", "-S", "8M",
                                 "--parallel=2", "-T", out, lines()],
            10, env={"LC_ALL": "C"},
            what="sort 300k lines, 8 MiB buffer, temporary files (about 100 allocations)"),
        "awk": Program(
            "awk", lambda out: ["awk", AWK_PROGRAM, lines()], 100, env={"LC_ALL": "C"},
            what="awk over 300k lines: arrays, gsub, sprintf (mawk pools its own memory: "
                 "a few thousand allocations)"),
        "sqlite3": Program(
            "sqlite3", lambda out: [a.sqlite3, "-bail", os.path.join(out, "test.db")],
            100000, stdin=lambda: open(os.path.join(work, "input", "fill.sql"), "rb"),
            what="sqlite3: 1e5 inserts in a transaction, indexes, queries, vacuum"),
        "threads": Program(
            "threads", lambda out: [os.path.join(a.bin, "rw_threads"), "42"], 20000,
            what="ours: 4 threads, random malloc/calloc/memalign/realloc/free, verified"),
        "threads_debug": Program(
            "threads_debug", lambda out: [os.path.join(a.bin, "rw_threads"), "7"], 20000,
            env={"MBHEAP_DEBUG": "1"},
            what="ours, on the heap's debug mode (MBHEAP_DEBUG=1: freed memory poisoned)"),
        "fork": Program(
            "fork", lambda out: [os.path.join(a.bin, "rw_fork")], 1000,
            what="ours: fork while 2 threads allocate (pthread_atfork)", procs=61),
    }


def prepare_inputs(a, name):
    """Writes the program's input under --work/<name>/input (private: tests run in parallel)."""
    a.work = os.path.join(a.work_root, name)
    inp = os.path.join(a.work, "input")
    os.makedirs(inp, exist_ok=True)
    if name in ("sort", "awk"):
        gen_lines(os.path.join(inp, "lines.txt"))
    if name == "sqlite3":
        gen_sql(os.path.join(inp, "fill.sql"))


def clean_env():
    """The caller's environment without the shim and its options, but MBHEAP_POLICY: the
    placement policy the whole run uses (ctest's @goodfit variants set it)."""
    env = dict(os.environ)
    for k in list(env):
        if k == "LD_PRELOAD" or (k.startswith("MBHEAP_") and k != "MBHEAP_POLICY"):
            del env[k]
    return env


def run_once(a, prog, tag, shim, check):
    """Runs prog once in a fresh --work/<name>/<tag>; returns (result, seconds, out dir)."""
    out = os.path.join(a.work, tag)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    env = clean_env()
    env.update(prog.env)
    if shim:
        env["LD_PRELOAD"] = a.shim
        env["MBHEAP_STATS"] = "1"
        if check:
            env["MBHEAP_CHECK"] = str(check)
    stdin = prog.stdin() if prog.stdin else subprocess.DEVNULL
    try:
        t0 = time.monotonic()
        # a session of its own: on a timeout the whole process group (gcc's cc1 and as,
        # sort's helpers, fork's children) is killed, nothing is left behind
        p = subprocess.Popen(prog.cmd(out), stdin=stdin, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env, cwd=a.work, start_new_session=True)
        try:
            stdout, stderr = p.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise SystemExit("FAIL %s: %s run did not finish in %d s (killed)"
                             % (prog.name, tag, TIMEOUT))
        dt = time.monotonic() - t0
    finally:
        if prog.stdin:
            stdin.close()
    return subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr), dt, out


def first_difference(x, y):
    xl, yl = x.splitlines(), y.splitlines()
    for i, (p, q) in enumerate(zip(xl, yl)):
        if p != q:
            return "line %d: %r vs %r" % (i + 1, p[:200], q[:200])
    return "%d vs %d lines" % (len(xl), len(yl))


def compare(a, prog, base, shim, shim_check):
    """Returns a list of problems of the shim run (r, out dir) against the baseline."""
    (br, bout), (sr, sout) = base, shim
    problems = []
    if br.returncode != 0:
        problems.append("baseline (glibc) run exited %d:\n%s" % (br.returncode,
                                                                 br.stderr.decode(errors="replace")[-3000:]))
    if sr.returncode != br.returncode:
        problems.append("exit status %d with the shim, %d without" % (sr.returncode, br.returncode))
    if sr.stdout != br.stdout:
        problems.append("stdout differs: " + first_difference(br.stdout.decode(errors="replace"),
                                                              sr.stdout.decode(errors="replace")))
    for f in prog.files:
        bp, sp = os.path.join(bout, f), os.path.join(sout, f)
        if not os.path.exists(bp) or not os.path.exists(sp):
            problems.append("output file %s missing" % f)
        elif open(bp, "rb").read() != open(sp, "rb").read():
            problems.append("output file %s differs" % f)
    serr = sr.stderr.decode(errors="replace").splitlines()
    berr = br.stderr.decode(errors="replace").splitlines()
    ours = [l for l in serr if l.startswith("mbheap: ")]
    rest = [l for l in serr if not l.startswith("mbheap: ")]
    if rest != berr:
        problems.append("stderr (without the shim's lines) differs: " +
                        first_difference("\n".join(berr), "\n".join(rest)))
    finals = [l for l in ours if FINAL_RE.match(l)]
    stats = [l for l in ours if STATS_RE.match(l)]
    other = [l for l in ours if not FINAL_RE.match(l) and not STATS_RE.match(l)]
    if other:
        problems.append("the shim reported:\n  " + "\n  ".join(other[:20]))
    # every process that ran with the shim reports once at exit (gcc: driver, cc1, as)
    if shim_check and len(finals) != prog.procs:
        problems.append("%d 'mbheap: final heap_check ok' lines, expected %d (one per process)"
                        % (len(finals), prog.procs))
    if len(stats) != prog.procs:
        problems.append("%d 'mbheap: stats' lines, expected %d (one per process)"
                        % (len(stats), prog.procs))
    return problems, len(finals)


def cmd_run(a, name):
    if name not in programs(a):
        print("unknown program %s (have: %s)" % (name, ", ".join(programs(a))))
        return 2
    prepare_inputs(a, name)
    prog = programs(a)[name]
    print("%s: %s" % (name, prog.what))
    print("command:", " ".join(prog.cmd(os.path.join(a.work, "<run>"))).replace("\n", " ")[:300])
    br, bt, bout = run_once(a, prog, "without", False, 0)
    sr, st, sout = run_once(a, prog, "with", True, prog.check)
    problems, nproc = compare(a, prog, (br, bout), (sr, sout), prog.check)
    ours = [l for l in sr.stderr.decode(errors="replace").splitlines() if l.startswith("mbheap: ")]
    for l in ours[:6]:
        print("  " + l)
    if len(ours) > 6:
        print("  ... %d more lines from the shim (one pair per process)" % (len(ours) - 6))
    print("%s: without the shim %.2f s, with it (MBHEAP_CHECK=%d) %.2f s, ratio %.2f"
          % (name, bt, prog.check, st, st / bt if bt > 0 else 0.0))
    if problems:
        print("FAIL %s:\n- %s" % (name, "\n- ".join(problems)))
        return 1
    print("PASS %s: exit 0, stdout identical (%d bytes, sha256 %s)%s, final heap_check clean in "
          "%d process%s" % (name, len(sr.stdout), hashlib.sha256(sr.stdout).hexdigest()[:12],
                            "".join(", %s identical" % f for f in prog.files), nproc,
                            "" if nproc == 1 else "es"))
    return 0


MISUSE = {
    "double-free": "heap_free: double free of {p}",
    "invalid-free": "heap_free: invalid pointer {p} (outside the heap",
    "interior-free": "heap_free: invalid pointer {p} (not a block start)",
    "foreign-free": "heap_free: invalid pointer {p} (outside the heap",
    "canary": "heap_free: corrupted block header at {p} (canary overwritten",
    "use-after-free": "heap_alloc: use after free detected in block {p}",
    "overflow-merge": "heap_free: corrupted free block before {p}",
    "uaf-links": "heap_alloc: use after free detected in block {p} (free-list links overwritten",
    "abort-handler": "heap_free: double free of {p}",
}
MISUSE_ENV = {"use-after-free": {"MBHEAP_DEBUG": "1"}}


def cmd_signal_exit(a):
    """exit() from a SIGALRM handler while the program allocates in a loop, many times over
    (the handler often interrupts malloc): every run must exit 0, never hang."""
    env = clean_env()
    env.update({"LD_PRELOAD": a.shim, "MBHEAP_CHECK": "1000", "MBHEAP_STATS": "1"})
    inside = 0
    runs = 100
    for i in range(runs):
        try:
            r = subprocess.run([os.path.join(a.bin, "rw_misuse"), "exit-in-handler"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                               timeout=20)
        except subprocess.TimeoutExpired:
            print("FAIL: run %d hung (killed after 20 s)" % i)
            return 1
        err = r.stderr.decode(errors="replace")
        if r.returncode != 0:
            print("FAIL: run %d exited %d:\n%s" % (i, r.returncode, err))
            return 1
        if "inside the allocator" in err:
            inside += 1
        elif not any(FINAL_RE.match(l) for l in err.splitlines()):
            print("FAIL: run %d exited outside the allocator without a final check:\n%s" % (i, err))
            return 1
    print("PASS: %d runs exited 0; %d of them exited from inside the allocator (reported, "
          "no final check), the others with a clean final check" % (runs, inside))
    return 0


def cmd_misuse(a, mode):
    env = clean_env()
    env["LD_PRELOAD"] = a.shim
    env.update(MISUSE_ENV.get(mode, {}))
    r = subprocess.run([os.path.join(a.bin, "rw_misuse"), mode], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=60)
    out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    print("stdout:\n" + out + "stderr:\n" + err + "exit status: %d" % r.returncode)
    m = re.search(r"^pointer (0x[0-9a-f]{16})$", out, re.M)
    if not m:
        print("FAIL: the program did not say which pointer it misuses")
        return 1
    want = "mbheap: " + MISUSE[mode].format(p=m.group(1))
    ok = True
    if r.returncode != -signal.SIGABRT:
        print("FAIL: expected death by SIGABRT, got exit status %d" % r.returncode)
        ok = False
    if not any(l.startswith(want) for l in err.splitlines()):
        print("FAIL: no stderr line starts with %r" % want)
        ok = False
    if ok:
        print("PASS: SIGABRT with %r" % want)
    return 0 if ok else 1


def cmd_bench(a):
    a.work_root = os.path.join(a.work_root, "bench")  # apart from the tests: ctest may run both
    rows, failed = [], False
    for name in programs(a):
        prepare_inputs(a, name)
        prog = programs(a)[name]
        bt = st = ct = float("inf")
        for _ in range(a.repeat):  # the fastest of a.repeat runs of each
            br, t, bout = run_once(a, prog, "without", False, 0)
            bt = min(bt, t)
            sr, t, sout = run_once(a, prog, "with", True, 0)
            st = min(st, t)
            cr, t, cout = run_once(a, prog, "check", True, prog.check)
            ct = min(ct, t)
        p1 = compare(a, prog, (br, bout), (sr, sout), 0)[0]
        p2 = compare(a, prog, (br, bout), (cr, cout), prog.check)[0]
        if p1 or p2:
            failed = True
            print("FAIL %s:\n- %s" % (name, "\n- ".join(p1 + p2)))
        rows.append((name, bt, st, ct, prog.check))
        print("%-13s done" % name, flush=True)
    print("\nwall time, fastest of %d runs each" % a.repeat)
    print("%-13s %10s %10s %6s %14s %8s %12s" % ("program", "glibc s", "mbheap s", "ratio",
                                                 "mbheap+check s", "ratio", "MBHEAP_CHECK"))
    for name, bt, st, ct, n in rows:
        print("%-13s %10.2f %10.2f %6.2f %14.2f %8.2f %12d" % (name, bt, st, st / bt, ct, ct / bt, n))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shim", required=True, help="libmbheap_malloc.so")
    ap.add_argument("--src", required=True, help="the repository root")
    ap.add_argument("--bin", required=True, help="where rw_threads, rw_fork, rw_misuse are")
    ap.add_argument("--work", required=True, help="scratch directory for inputs and outputs")
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--sqlite3", default="sqlite3")
    ap.add_argument("--cc", default="gcc")
    ap.add_argument("--repeat", type=int, default=3, help="bench: runs of each configuration")
    ap.add_argument("action", choices=["run", "misuse", "signal-exit", "bench"])
    ap.add_argument("name", nargs="?")
    a = ap.parse_args()
    a.shim, a.work_root = os.path.abspath(a.shim), os.path.abspath(a.work)
    a.work = a.work_root
    if a.action == "run":
        return cmd_run(a, a.name)
    if a.action == "misuse":
        if a.name not in MISUSE:
            print("unknown misuse %s (have: %s)" % (a.name, ", ".join(MISUSE)))
            return 2
        return cmd_misuse(a, a.name)
    if a.action == "signal-exit":
        return cmd_signal_exit(a)
    return cmd_bench(a)


if __name__ == "__main__":
    sys.exit(main())
