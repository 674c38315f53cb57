#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/gdb/run_gdb_test.py - a non-interactive GDB session against the kernel in QEMU.

Starts QEMU halted with a GDB stub on a free local port (so tests can run in parallel),
runs `gdb -batch` with the project's helpers (scripts/gdb/mbheap.py) and the commands
given with --gdb-cmd, then checks:
  --expect REGEX      must match GDB's output (multi-line mode)
  --reject REGEX      must not match it
  --match KEY=REGEX   the kernel printed "fact: KEY = VALUE" on serial (tests/kernel/
                      test_gdb.c), and REGEX's first group in GDB's output is the same
                      number: what the helpers read from outside equals what the kernel
                      computed itself
  --log-expect REGEX  must match the serial log (e.g. the test passed after GDB let it go)
  --log-fact KEY=REGEX  REGEX's first group in the serial log is the fact KEY for --match:
                      e.g. a number in the kernel's panic message after GDB let it go
GDB commands can use the kernel's facts printed so far: $fact("KEY") is their value (a
convenience function that reads the serial log), e.g. `mb-pt $fact("heap.inside")`.
QEMU is killed at the end; its serial log is kept (--log) and printed with GDB's output.
"""
import argparse
import os
import re
import socket
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "qemu"))
from run_qemu import qemu_command, read_log  # noqa: E402  (the runners' one QEMU command line)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def number(text):
    return int(text, 0) if re.match(r"0[xX]", text) else int(text)


# Loaded into GDB before the commands run: $fact("KEY") reads the serial log.
FACT_FUNCTION = '''
import re, gdb
class Fact(gdb.Function):
    """$fact("KEY"): the value of the kernel's "fact: KEY = VALUE" line in the serial log."""
    def __init__(self):
        super().__init__("fact")
    def invoke(self, key):
        with open(%r, "rb") as f:
            log = f.read().decode("utf-8", "replace")
        found = re.findall(r"^fact: %%s = (0x[0-9a-fA-F]+)\\r?$" %% re.escape(key.string()), log, re.M)
        if not found:
            raise gdb.GdbError("$fact: the kernel printed no fact %%r" %% key.string())
        return gdb.Value(int(found[-1], 16)).cast(gdb.lookup_type("unsigned long"))
Fact()
'''


def run_capture(cmd, timeout, what, **kw):
    """Runs cmd with stdout and stderr together; returns its output, or what it printed
    before the timeout followed by a note."""
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, **kw)
        return r.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        return (e.stdout or b"").decode("utf-8", "replace") + "\n(%s timed out)" % what


def check_matches(matches, log_facts, out, log):
    """Returns the failures of the --match checks, and prints each comparison."""
    facts = {k: int(v, 16) for k, v in re.findall(r"^fact: (\S+) = (0x[0-9a-fA-F]+)$", log, re.M)}
    failures = []
    for f in log_facts:
        key, _, regex = f.partition("=")
        found = re.search(regex, log, re.M)
        if found:
            facts[key] = number(found.group(1))
        else:
            failures.append("%s: no match in the serial log for %r" % (key, regex))
    for m in matches:
        key, _, regex = m.partition("=")
        if key not in facts:
            failures.append("the kernel printed no fact %r" % key)
            continue
        found = re.search(regex, out, re.M)
        if not found:
            failures.append("%s: no match in GDB's output for %r" % (key, regex))
            continue
        want, got = facts[key], number(found.group(1))
        print("run_gdb_test: %s: kernel 0x%x, gdb 0x%x: %s"
              % (key, want, got, "same" if want == got else "DIFFERENT"))
        if want != got:
            failures.append("%s: the kernel says 0x%x, GDB's helpers say 0x%x" % (key, want, got))
    return failures


def start_qemu(a):
    """QEMU halted with its GDB stub on a free port. The port is free when chosen but QEMU
    binds it a moment later: if another process took it meanwhile, QEMU exits at once, and
    another port is tried."""
    for _ in range(5):
        port = free_port()
        if os.path.exists(a.log):
            os.remove(a.log)
        q = subprocess.Popen(qemu_command(a.iso, a.log, cmdline=a.cmdline,
                                          extra=a.qemu_arg + ["-S", "-gdb", "tcp:127.0.0.1:%d" % port]),
                             stdin=subprocess.DEVNULL)
        try:
            q.wait(timeout=0.5)  # still running after half a second: the stub is listening
        except subprocess.TimeoutExpired:
            return q, port
        print("run_gdb_test: QEMU exited with %d (port %d taken?); retrying" % (q.returncode, port))
    sys.exit("run_gdb_test: QEMU did not start")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--src", required=True)
    p.add_argument("--elf", required=True)
    p.add_argument("--iso", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--cmdline", default="", help="kernel command line (via fw_cfg)")
    p.add_argument("--gdb-cmd", action="append", default=[])
    p.add_argument("--qemu-arg", action="append", default=[],
                   help="one more QEMU argument (e.g. -cpu qemu64,-nx); repeat for each")
    p.add_argument("--expect", action="append", default=[])
    p.add_argument("--reject", action="append", default=[])
    p.add_argument("--match", action="append", default=[])
    p.add_argument("--log-expect", action="append", default=[])
    p.add_argument("--log-fact", action="append", default=[])
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--gdbinit", help="start GDB with this generated gdbinit (build/gdbinit) "
                   "instead of loading the helpers and connecting itself")
    p.add_argument("--debug-sh", metavar="BUILD_DIR", help="run scripts/debug.sh BUILD_DIR, "
                   "the debug target, with the commands on its standard input")
    a = p.parse_args()

    if a.debug_sh:
        return debug_sh(a)
    os.makedirs(os.path.dirname(os.path.abspath(a.log)), exist_ok=True)
    q, port = start_qemu(a)
    facts_py = os.path.abspath(a.log) + ".fact.py"  # removed at the end
    with open(facts_py, "w") as f:
        f.write(FACT_FUNCTION % os.path.abspath(a.log))
    if a.gdbinit:
        gdb = ["gdb", "-batch", "-nx", "-x", a.gdbinit, "-x", facts_py]
    else:
        gdb = ["gdb", "-batch", "-nx", a.elf, "-x", os.path.join(a.src, "scripts/gdb/mbheap.py"),
               "-x", facts_py, "-ex", "target remote 127.0.0.1:%d" % port]
    for c in a.gdb_cmd:
        gdb += ["-ex", c]
    try:
        # Any working directory will do: run from the build tree, not the sources.
        out = run_capture(gdb, a.timeout, "gdb", cwd=os.path.dirname(os.path.abspath(a.log)),
                          env=dict(os.environ, MBHEAP_GDB_PORT=str(port)),
                          stdin=subprocess.DEVNULL)
    finally:
        os.remove(facts_py)
        try:
            # A test that checks the serial log lets the kernel run on (GDB detaches when
            # it exits): give it time to finish and exit through isa-debug-exit.
            q.wait(timeout=30 if a.log_expect else 0)
        except subprocess.TimeoutExpired:
            q.kill()
            q.wait()
    return verdict(a, out, read_log(a.log))


def debug_sh(a):
    """The debug target as a user gets it: scripts/debug.sh starts QEMU and an
    interactive GDB, which reads the commands from its standard input."""
    cmds = "".join(c + "\n" for c in a.gdb_cmd) + "quit\n"
    out = run_capture([os.path.join(a.src, "scripts/debug.sh"), a.debug_sh, a.cmdline],
                      a.timeout, "debug.sh", input=cmds.encode())
    return verdict(a, out, read_log(os.path.join(a.debug_sh, "qemu-logs", "debug.log")))


def verdict(a, out, log):
    print(out)
    print("---- serial log ----\n%s" % log)
    failures = ["no match in GDB's output for %r" % e for e in a.expect
                if not re.search(e, out, re.M)]
    failures += ["GDB's output matches %r" % e for e in a.reject if re.search(e, out, re.M)]
    failures += ["no match in the serial log for %r" % e for e in a.log_expect
                 if not re.search(e, log, re.M)]
    failures += check_matches(a.match, a.log_fact, out, log)
    if failures:
        print("run_gdb_test: FAIL:\n  " + "\n  ".join(failures))
        return 1
    print("run_gdb_test: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
