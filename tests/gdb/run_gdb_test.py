#!/usr/bin/env python3
"""tests/gdb/run_gdb_test.py - a non-interactive GDB session against the kernel in QEMU.

Starts QEMU halted with a GDB stub on a free port, runs `gdb -batch` with the project's
GDB script and the commands given with --gdb-cmd, and requires every --expect regular
expression to match GDB's output. QEMU is killed at the end.
"""
import argparse
import os
import re
import socket
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "qemu"))
from run_qemu import qemu_command  # noqa: E402  (the one QEMU command line of the runners)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--src", required=True)
    p.add_argument("--elf", required=True)
    p.add_argument("--iso", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--gdb-cmd", action="append", default=[])
    p.add_argument("--expect", action="append", default=[])
    p.add_argument("--timeout", type=float, default=120)
    a = p.parse_args()

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    os.makedirs(os.path.dirname(os.path.abspath(a.log)), exist_ok=True)
    qemu = qemu_command(a.iso, a.log, extra=["-S", "-gdb", "tcp:127.0.0.1:%d" % port])
    q = subprocess.Popen(qemu, stdin=subprocess.DEVNULL)
    gdb = ["gdb", "-batch", "-nx", a.elf, "-x", os.path.join(a.src, "scripts/gdb/mbheap.gdb"),
           "-ex", "target remote 127.0.0.1:%d" % port]
    for c in a.gdb_cmd:
        gdb += ["-ex", c]
    try:
        r = subprocess.run(gdb, cwd=a.src, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=a.timeout)
        out = r.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace") + "\n(gdb timed out)"
    finally:
        q.kill()
        q.wait()
    missing = [e for e in a.expect if not re.search(e, out, re.M)]
    print(out)
    if missing:
        print("run_gdb_test: FAIL: no match in GDB's output for: " + ", ".join(missing))
        return 1
    print("run_gdb_test: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
