#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
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
  rlimit          python, sort and awk under RLIMIT_AS = 250000 kB (ulimit -v), on glibc and
                  on the shim: the same output; and memory.c's fill: the shim's heap gets
                  at least 90% of what glibc's malloc gets of the limit.
  enomem          memory.c's huge requests, 60 GiB and more than the machine's RAM + swap:
                  the same outcome on both (NULL and ENOMEM unless the kernel overcommits
                  always), and the program goes on; a run whose RSS passes 1 GiB is killed.
  log             MBHEAP_LOG=path: the report lines of a program, of its 60 forked children
                  and of exec'd programs land in the file, whole and with their pids, and
                  stderr stays clean; a path that cannot be opened is said once on stderr.
  rss             peak and exit RSS (rss_probe.c) of python, gcc, sqlite3, sort, awk and
                  memory.c's 1 GiB loop on glibc and on the shim, and calloc(1, 1 GiB)'s
                  VmRSS before it is touched: a table (a printout, never a verdict).
  calloc-rss      calloc(1, 1 GiB) must leave the shim's VmRSS less than 4 MiB higher before
                  the program touches the block (glibc's figure shown beside it).

Inputs are generated deterministically (fixed seeds) under --work/<program>/.
"""
import argparse
import hashlib
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

FINAL_RE = re.compile(r"^mbheap: final heap_check ok: (\d+) operations, (\d+) live blocks")
STATS_RE = re.compile(r"^mbheap: stats: .* live (\d+), high water \d+, allocs (\d+), "
                      r"frees (\d+), operations (\d+)$")
TIMEOUT = 120  # seconds per run (ctest's limit for a test, two runs, is 300)
GIB = 1 << 30
LIMIT_AS_KB = 250000  # the RLIMIT_AS of the rlimit test, as `ulimit -v 250000` sets it
RSS_GUARD_KB = 1 << 20  # enomem: a run whose VmRSS passes 1 GiB is killed
CALLOC_RSS_MAX_KB = 4096  # calloc-rss: VmRSS growth allowed for an untouched calloc(1, 1 GiB)


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


def child_setup(limit_as_kb, guarded):
    """What the child does before exec: RLIMIT_AS (soft and hard, as `ulimit -v` sets
    them); a guarded run also makes itself the OOM killer's first choice."""
    def setup():
        if limit_as_kb:
            resource.setrlimit(resource.RLIMIT_AS, (limit_as_kb * 1024, limit_as_kb * 1024))
        if guarded:
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("1000")
    return setup


def rss_guard(pid, limit_kb, done, tripped):
    """Kills the process group pid leads when pid's VmRSS passes limit_kb: a malloc that
    hands out memory the system cannot back must not take the machine down with it."""
    while not done.is_set():
        try:
            with open("/proc/%d/status" % pid) as f:
                rss = [int(l.split()[1]) for l in f if l.startswith("VmRSS:")]
        except (OSError, ValueError):
            rss = []
        if rss and rss[0] > limit_kb:
            tripped.append(rss[0])
            os.killpg(pid, signal.SIGKILL)
            return
        done.wait(0.005)


def run_once(a, prog, tag, shim, check, env=None, limit_as_kb=None, probe=None, guard_kb=None):
    """Runs prog once in a fresh --work/<name>/<tag>; returns (result, seconds, out dir).
    env: more variables; limit_as_kb: RLIMIT_AS; probe: rss_probe.c's output file (the probe
    is preloaded after the shim, or alone); guard_kb: kill the run above this VmRSS."""
    out = os.path.join(a.work, tag)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    full_env = clean_env()
    full_env.update(prog.env)
    preload = []
    if shim:
        preload.append(a.shim)
        full_env["MBHEAP_STATS"] = "1"
        if check:
            full_env["MBHEAP_CHECK"] = str(check)
    if probe:
        preload.append(a.probe)
        full_env["RW_RSS_OUT"] = probe
    if preload:
        full_env["LD_PRELOAD"] = ":".join(preload)
    full_env.update(env or {})
    stdin = prog.stdin() if prog.stdin else subprocess.DEVNULL
    try:
        t0 = time.monotonic()
        # a session of its own: on a timeout the whole process group (gcc's cc1 and as,
        # sort's helpers, fork's children) is killed, nothing is left behind
        p = subprocess.Popen(prog.cmd(out), stdin=stdin, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=full_env, cwd=a.work,
                             start_new_session=True,
                             preexec_fn=(child_setup(limit_as_kb, guard_kb is not None)
                                         if limit_as_kb or guard_kb is not None else None))
        done, tripped = threading.Event(), []
        if guard_kb is not None:
            guard = threading.Thread(target=rss_guard, args=(p.pid, guard_kb, done, tripped))
            guard.start()
        try:
            stdout, stderr = p.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise SystemExit("FAIL %s: %s run did not finish in %d s (killed)"
                             % (prog.name, tag, TIMEOUT))
        finally:
            done.set()
            if guard_kb is not None:
                guard.join()
        dt = time.monotonic() - t0
    finally:
        if prog.stdin:
            stdin.close()
    if tripped:
        raise SystemExit("FAIL %s: %s run killed: VmRSS %d kB passed %d kB"
                         % (prog.name, tag, tripped[0], guard_kb))
    return subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr), dt, out


def first_difference(x, y):
    xl, yl = x.splitlines(), y.splitlines()
    for i, (p, q) in enumerate(zip(xl, yl)):
        if p != q:
            return "line %d: %r vs %r" % (i + 1, p[:200], q[:200])
    return "%d vs %d lines" % (len(xl), len(yl))


def compare(a, prog, base, shim, shim_check, same_stdout=True):
    """Returns a list of problems of the shim run (r, out dir) against the baseline
    (same_stdout=False: stdout holds measurements, which may differ)."""
    (br, bout), (sr, sout) = base, shim
    problems = []
    if br.returncode != 0:
        problems.append("baseline (glibc) run exited %d:\n%s" % (br.returncode,
                                                                 br.stderr.decode(errors="replace")[-3000:]))
    if sr.returncode != br.returncode:
        problems.append("exit status %d with the shim, %d without" % (sr.returncode, br.returncode))
    if same_stdout and sr.stdout != br.stdout:
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


# ---------------------------------------------------------------------------------------
# The host's limits: RLIMIT_AS, requests larger than the machine, MBHEAP_LOG, RSS
# ---------------------------------------------------------------------------------------

LIMIT_PYTHON = r"""
import hashlib
words = ["%x-%d" % (i * 2654435761 % 2**32, i) for i in range(300000)]
table = {w: [len(w), w.upper()] for w in words}
order = sorted(table, key=lambda w: (table[w][0], w[::-1]))
blob = ",".join(order)
print(len(table), len(blob), hashlib.sha256(blob.encode()).hexdigest()[:16])
"""


def limit_programs(a):
    """The programs run under RLIMIT_AS: python with every object on malloc (about 150 MB
    of the 244 MiB on glibc), sort choosing its buffer from the limit (about 128 MB, no -S)
    with two threads, awk."""
    def lines(): return os.path.join(a.work, "input", "lines.txt")
    return [
        Program("python", lambda out: [a.python, "-c", LIMIT_PYTHON], 1000000,
                env={"PYTHONMALLOC": "malloc", "PYTHONHASHSEED": "0"},
                what="python: a 300000-entry dict of lists, sorted and joined"),
        Program("sort", lambda out: ["sort", "-t", "\t", "-k2,2n", "-k1,1", "--parallel=2",
                                     "-T", out, lines()], 10, env={"LC_ALL": "C"},
                what="sort 300k lines, buffer size chosen from the limit, 2 threads"),
        Program("awk", lambda out: ["awk", AWK_PROGRAM, lines()], 100, env={"LC_ALL": "C"},
                what="awk over 300k lines"),
    ]


def memory_prog(a, *args, what=""):
    return Program("memory " + " ".join(args),
                   lambda out: [os.path.join(a.bin, "rw_memory")] + list(args), 0, what=what)


def shim_lines(r):
    return [l for l in r.stderr.decode(errors="replace").splitlines() if l.startswith("mbheap: ")]


def cmd_rlimit(a):
    a.work = os.path.join(a.work_root, "rlimit")
    os.makedirs(os.path.join(a.work, "input"), exist_ok=True)
    gen_lines(os.path.join(a.work, "input", "lines.txt"))
    print("RLIMIT_AS = %d kB (ulimit -v %d) for every run" % (LIMIT_AS_KB, LIMIT_AS_KB))
    problems = []
    for prog in limit_programs(a):
        br, bt, bout = run_once(a, prog, "without", False, 0, limit_as_kb=LIMIT_AS_KB)
        sr, st, sout = run_once(a, prog, "with", True, prog.check, limit_as_kb=LIMIT_AS_KB)
        p = compare(a, prog, (br, bout), (sr, sout), prog.check)[0]
        problems += ["%s: %s" % (prog.name, x) for x in p]
        print("%-7s %s: exit %d and %d, stdout %d bytes, %s; %s"
              % (prog.name, prog.what, br.returncode, sr.returncode, len(br.stdout),
                 "identical" if br.stdout == sr.stdout else "DIFFERENT",
                 ([l for l in shim_lines(sr) if STATS_RE.match(l)] or ["no stats line"])[0]))
    # how much of the limit each malloc can have: 1 MiB blocks until NULL
    fill = memory_prog(a, "fill")
    got = {}
    for tag, shim in (("without", False), ("with", True)):
        r = run_once(a, fill, "fill-" + tag, shim, 0, limit_as_kb=LIMIT_AS_KB)[0]
        out = r.stdout.decode(errors="replace")
        print("%s: %s" % ("mbheap" if shim else "glibc ", out.replace("\n", " | ")))
        m = re.search(r"^fill: (\d+) blocks of 1 MiB under RLIMIT_AS \d+ kB, then ENOMEM$", out, re.M)
        if r.returncode != 0 or not m or "after freeing them all, malloc(1 MiB) works" not in out:
            problems.append("fill %s: exit %d, stdout %r, stderr %r"
                            % (tag, r.returncode, out, r.stderr.decode(errors="replace")[-500:]))
        elif shim and [l for l in shim_lines(r) if not STATS_RE.match(l)]:
            problems.append("fill: the shim reported %s" % shim_lines(r))
        else:
            got[tag] = int(m.group(1))
    if len(got) == 2 and got["with"] < 0.9 * got["without"]:
        problems.append("fill: the shim's heap got %d MiB of the limit, glibc's malloc %d MiB "
                        "(at least 90%% of it expected)" % (got["with"], got["without"]))
    if problems:
        print("FAIL:\n- " + "\n- ".join(problems))
        return 1
    print("PASS: under RLIMIT_AS %d kB python, sort and awk give glibc's output on the shim; "
          "its heap got %d MiB in 1 MiB blocks, glibc's malloc %d MiB"
          % (LIMIT_AS_KB, got["with"], got["without"]))
    return 0


def machine_memory():
    """RAM + swap in bytes, from /proc/meminfo, and the kernel's overcommit mode."""
    kb = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            kb[k] = int(v.split()[0])
    with open("/proc/sys/vm/overcommit_memory") as f:
        mode = int(f.read())
    return (kb["MemTotal"] + kb.get("SwapTotal", 0)) * 1024, mode


def cmd_enomem(a):
    a.work = os.path.join(a.work_root, "enomem")
    os.makedirs(a.work, exist_ok=True)
    total, mode = machine_memory()
    print("this machine: RAM + swap %.1f GiB, vm.overcommit_memory = %d (%s)"
          % (total / GIB, mode, {0: "heuristic: one request above RAM + swap is refused",
                                 1: "always: nothing is refused", 2: "strict accounting"}[mode]))
    sizes = sorted({60 * GIB, (total // GIB + 2) * GIB})
    problems = []
    for n in sizes:
        prog = memory_prog(a, "huge", str(n))
        refused = mode != 1 and n > total
        br, _, bout = run_once(a, prog, "without-%d" % n, False, 0, guard_kb=RSS_GUARD_KB)
        sr, _, sout = run_once(a, prog, "with-%d" % n, True, 0, guard_kb=RSS_GUARD_KB)
        p = compare(a, prog, (br, bout), (sr, sout), 0)[0]
        calls = [l for l in sr.stdout.decode(errors="replace").splitlines() if not l.startswith("then")]
        print("%d bytes (%.1f GiB), on the shim:\n  %s" % (n, n / GIB, "\n  ".join(calls)))
        if refused and (len(calls) != 5 or not all(l.endswith("NULL, errno ENOMEM") or
                                                   l.endswith(": ENOMEM") for l in calls)):
            p.append("more than RAM + swap: every call must fail with ENOMEM")
        problems += ["%d bytes: %s" % (n, x) for x in p]
    if problems:
        print("FAIL:\n- " + "\n- ".join(problems))
        return 1
    print("PASS: the same outcome on glibc and on the shim for %s; the program went on working"
          % " and ".join("%.1f GiB" % (n / GIB) for n in sizes))
    return 0


LOG_RE = re.compile(r"^mbheap\[(\d+)\]: (final heap_check ok: \d+ operations, \d+ live blocks"
                    r".*|stats: .* operations \d+)$")


def log_lines(path):
    """(pid, kind) of every line in an MBHEAP_LOG file, and the lines that are not ours."""
    got, bad = [], []
    if not os.path.exists(path):
        return got, ["(no file %s)" % path]
    with open(path, errors="replace") as f:
        for line in f.read().splitlines():
            m = LOG_RE.match(line)
            if m:
                got.append((int(m.group(1)), "final" if m.group(2).startswith("final") else "stats"))
            else:
                bad.append(line)
    return got, bad


def cmd_log(a):
    a.work = os.path.join(a.work_root, "log")
    os.makedirs(a.work, exist_ok=True)
    problems = []

    def run_logged(prog, tag, path, check=0):
        if os.path.exists(path):
            os.remove(path)
        return run_once(a, prog, tag, True, check, env={"MBHEAP_LOG": path})[0]

    # a program and its 60 forked children: 61 pids, each with one final check and one stats line
    fork = programs(a)["fork"]
    base = run_once(a, fork, "fork-glibc", False, 0)[0]
    path = os.path.join(a.work, "fork.log")
    r = run_logged(fork, "fork", path, check=1000)
    got, bad = log_lines(path)
    pids = {p for p, _ in got}
    print("fork: stdout %s, stderr %d bytes; %s: %d lines from %d processes"
          % ("as on glibc" if r.stdout == base.stdout else "DIFFERENT", len(r.stderr), path,
             len(got), len(pids)))
    if r.returncode != 0 or r.stdout != base.stdout or r.stderr:
        problems.append("fork: exit %d, stdout %r, stderr %r" % (r.returncode, r.stdout[-200:],
                                                                   r.stderr[-500:]))
    if bad or len(pids) != fork.procs or sorted(got) != sorted(
            [(p, k) for p in pids for k in ("final", "stats")]):
        problems.append("fork: the log must hold one final check and one stats line from each "
                        "of %d processes; it has %d lines from %d, not ours: %r"
                        % (fork.procs, len(got), len(pids), bad[:5]))

    # exec'd programs: gcc's driver runs cc1 and as; python's sys.implementation.name as a
    # configure step reads it (stdout and stderr together) must be exactly "cpython"
    gcc = programs(a)["gcc"]
    path = os.path.join(a.work, "gcc.log")
    r = run_logged(gcc, "gcc", path)
    got, bad = log_lines(path)
    print("gcc: stderr %d bytes; %d stats lines from %d processes"
          % (len(r.stderr), len(got), len({p for p, _ in got})))
    if r.returncode != 0 or r.stderr or bad or len({p for p, k in got if k == "stats"}) != gcc.procs:
        problems.append("gcc: exit %d, stderr %r, log %r" % (r.returncode, r.stderr[-500:], got + bad))
    impl = Program("impl", lambda out: ["sh", "-c", a.python + " -c 'import sys; "
                                        "print(sys.implementation.name)' 2>&1"], 0)
    path = os.path.join(a.work, "impl.log")
    r = run_logged(impl, "impl", path)
    got, bad = log_lines(path)
    print("sh -c 'python3 -c \"print(sys.implementation.name)\" 2>&1': %r; log: %d stats line(s)"
          % (r.stdout, len(got)))
    if r.stdout != b"cpython\n" or r.stderr or bad or [k for _, k in got] != ["stats"]:
        problems.append("implementation name: stdout %r, stderr %r, log %r"
                        % (r.stdout, r.stderr, got + bad))

    # a program that closes every descriptor it did not open: the path is opened again
    closer = Program("closer", lambda out: [a.python, "-c", "import os; os.closerange(3, 65536); "
                                            "print('closed')"], 0)
    path = os.path.join(a.work, "closer.log")
    r = run_logged(closer, "closer", path)
    got, bad = log_lines(path)
    print("python closing fds 3 and up: stdout %r, stderr %d bytes, log: %d stats line(s)"
          % (r.stdout, len(r.stderr), len(got)))
    if r.stdout != b"closed\n" or r.stderr or bad or [k for _, k in got] != ["stats"]:
        problems.append("closerange: stdout %r, stderr %r, log %r" % (r.stdout, r.stderr, got + bad))

    # a path that cannot be opened: said once on stderr, the lines go there instead
    path = os.path.join(a.work, "no-such-dir", "x.log")
    r = run_logged(fork, "fork-nolog", path, check=1000)
    err = r.stderr.decode(errors="replace").splitlines()
    said = [l for l in err if l == "mbheap: cannot open MBHEAP_LOG=%s (ENOENT): reporting on "
            "stderr" % path]
    finals = [l for l in err if FINAL_RE.match(l)]
    stats = [l for l in err if STATS_RE.match(l)]
    print("MBHEAP_LOG=%s: %d 'cannot open' line(s), %d final checks and %d stats lines on stderr"
          % (path, len(said), len(finals), len(stats)))
    if r.returncode != 0 or len(said) != 1 or len(finals) != fork.procs or \
            len(stats) != fork.procs or len(err) != 1 + 2 * fork.procs:
        problems.append("unopenable path: exit %d, stderr %r" % (r.returncode, err[:5]))

    # bad option values: each is said once per process (the shim reads its options once),
    # and the run goes on as without them
    ok = Program("ok", lambda out: [a.python, "-c", "print('ok')"], 0)
    r = run_once(a, ok, "bad-options", True, 0,
                 env={"MBHEAP_CHECK": "12x", "MBHEAP_POLICY": "best_fit"})[0]
    err = r.stderr.decode(errors="replace").splitlines()
    want = ["mbheap: ignoring MBHEAP_CHECK=12x (not a decimal number)",
            "mbheap: ignoring MBHEAP_POLICY=best_fit (first_fit or good_fit)"]
    print("MBHEAP_CHECK=12x MBHEAP_POLICY=best_fit: stdout %r, stderr %r" % (r.stdout, err))
    if r.returncode != 0 or r.stdout != b"ok\n" or err[:2] != want or len(err) != 3 or \
            not STATS_RE.match(err[2]):
        problems.append("bad options: exit %d, stdout %r, stderr %r (want %r and a stats line)"
                        % (r.returncode, r.stdout, err, want))
    # the first malloc from .preinit_array, before libc set environ: the heap starts with
    # every option unset; the constructor reads them, once, and says which came too late
    pre = Program("preinit", lambda out: [os.path.join(a.bin, "rw_preinit")], 0)
    r = run_once(a, pre, "preinit-options", True, 0,
                 env={"MBHEAP_CHECK": "12x", "MBHEAP_DEBUG": "1", "MBHEAP_POLICY": "good_fit"})[0]
    err = r.stderr.decode(errors="replace").splitlines()
    want = ["mbheap: ignoring MBHEAP_CHECK=12x (not a decimal number)",
            "mbheap: MBHEAP_DEBUG ignored: the heap started before the environment was readable",
            "mbheap: MBHEAP_POLICY ignored: the heap started before the environment was readable"]
    print("first malloc from .preinit_array: stdout %r, stderr %r" % (r.stdout, err))
    if r.returncode != 0 or r.stdout != b"preinit: environ was NULL at the first malloc\n" or \
            err[:3] != want or len(err) != 4 or not STATS_RE.match(err[3]):
        problems.append("options after a .preinit_array malloc: exit %d, stdout %r, stderr %r "
                        "(want %r and a stats line)" % (r.returncode, r.stdout, err, want))
    if problems:
        print("FAIL:\n- " + "\n- ".join(problems))
        return 1
    print("PASS: MBHEAP_LOG keeps stderr clean; forked and exec'd processes append whole lines "
          "with their pids; an unopenable path is said once and stderr used; a bad option value "
          "is said once, also when the first malloc came before the environment")
    return 0


def probe_rows(path):
    """rss_probe.c's lines: [(pid, VmHWM kB, VmRSS kB, comm)]."""
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                w = line.split(None, 4)
                if len(w) == 5 and w[0] == "rss":
                    rows.append((int(w[1]), int(w[2]), int(w[3]), w[4].strip()))
    return rows


CALLOC_RE = re.compile(r"^calloc\(1, 1 GiB\): VmRSS ([+-]\d+) kB before the program touches it",
                       re.M)


def calloc_rss(a):
    """memory.c calloc on glibc and on the shim: (glibc kB, shim kB, problems)."""
    prog = memory_prog(a, "calloc")
    got, problems = {}, []
    for tag, shim in (("glibc", False), ("mbheap", True)):
        r = run_once(a, prog, "calloc-" + tag, shim, 0)[0]
        m = CALLOC_RE.search(r.stdout.decode(errors="replace"))
        if r.returncode != 0 or not m:
            problems.append("%s: exit %d, stdout %r, stderr %r" % (tag, r.returncode, r.stdout,
                                                                   r.stderr[-500:]))
        else:
            got[tag] = int(m.group(1))
    return got.get("glibc"), got.get("mbheap"), problems


def cmd_calloc_rss(a):
    a.work = os.path.join(a.work_root, "calloc-rss")
    os.makedirs(a.work, exist_ok=True)
    g, m, problems = calloc_rss(a)
    if not problems:
        print("calloc(1, 1 GiB), untouched: VmRSS %+d kB on glibc, %+d kB on the shim (at most "
              "%d kB allowed)" % (g, m, CALLOC_RSS_MAX_KB))
        if m > CALLOC_RSS_MAX_KB:
            problems.append("the shim's calloc made %d kB resident (glibc: %d kB)" % (m, g))
    if problems:
        print("FAIL:\n- " + "\n- ".join(problems))
        return 1
    print("PASS")
    return 0


def cmd_rss(a):
    a.work_root = os.path.join(a.work_root, "bench")  # apart from the tests: ctest may run both
    rows, failed = [], False
    for name in ("python", "gcc", "sqlite3", "sort", "awk", "loop"):
        prepare_inputs(a, name)  # programs(a) reads a.work: inputs first
        prog = programs(a)[name] if name != "loop" else memory_prog(
            a, "loop", "4", what="4 times malloc(1 GiB), every page written, free")
        prog.name = name
        measured = []
        runs = []
        for tag, shim in (("without", False), ("with", True)):
            out = os.path.join(a.work, "rss-%s.txt" % tag)
            if os.path.exists(out):
                os.remove(out)
            r, _, d = run_once(a, prog, tag, shim, 0, probe=out)
            runs.append((r, d))
            procs = probe_rows(out)
            measured.append(max(procs, key=lambda p: p[1]) if procs else None)
            measured.append(len(procs))
        p = compare(a, prog, runs[0], runs[1], 0, same_stdout=name != "loop")[0]
        if p or None in measured:
            failed = True
            print("FAIL %s:\n- %s" % (prog.name, "\n- ".join(p or ["no measurement"])))
            continue
        rows.append((prog.name,) + tuple(measured))
        print("%-13s done" % prog.name, flush=True)
    a.work = os.path.join(a.work_root, "calloc")
    os.makedirs(a.work, exist_ok=True)
    g, m, p = calloc_rss(a)
    if p:
        failed = True
        print("FAIL calloc:\n- " + "\n- ".join(p))
    mib = lambda kb: kb / 1024.0
    print("\nRSS in MiB: peak (VmHWM) and at exit (VmRSS after the program's atexit handlers and "
          "destructors) of each\nprogram's largest process (by peak; procs: the processes "
          "measured, glibc/mbheap), by rss_probe.c")
    print("%-14s %-10s %6s %11s %11s %6s %11s %11s" % (
        "program", "largest", "procs", "glibc peak", "mbheap peak", "ratio", "glibc exit",
        "mbheap exit"))
    for name, gl, gn, mb, mn in rows:
        print("%-14s %-10s %6s %11.1f %11.1f %6.2f %11.1f %11.1f" % (
            name, gl[3][:10], "%d/%d" % (gn, mn), mib(gl[1]), mib(mb[1]), mb[1] / gl[1],
            mib(gl[2]), mib(mb[2])))
    if not p:
        print("calloc(1, 1 GiB), before the program touches it: VmRSS %+.1f MiB on glibc, "
              "%+.1f MiB on the shim" % (mib(g), mib(m)))
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
    ap.add_argument("--probe", help="librw_rss_probe.so (rss)")
    ap.add_argument("--repeat", type=int, default=3, help="bench: runs of each configuration")
    ap.add_argument("action", choices=["run", "misuse", "signal-exit", "bench", "rlimit",
                                       "enomem", "log", "rss", "calloc-rss"])
    ap.add_argument("name", nargs="?")
    a = ap.parse_args()
    a.shim, a.work_root = os.path.abspath(a.shim), os.path.abspath(a.work)
    a.probe = a.probe and os.path.abspath(a.probe)
    a.work = a.work_root
    if a.action == "run":
        return cmd_run(a, a.name)
    if a.action == "misuse":
        if a.name not in MISUSE:
            print("unknown misuse %s (have: %s)" % (a.name, ", ".join(MISUSE)))
            return 2
        return cmd_misuse(a, a.name)
    actions = {"signal-exit": cmd_signal_exit, "bench": cmd_bench, "rlimit": cmd_rlimit,
               "enomem": cmd_enomem, "log": cmd_log, "rss": cmd_rss,
               "calloc-rss": cmd_calloc_rss}
    return actions[a.action](a)


if __name__ == "__main__":
    sys.exit(main())
