#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/qemu/run_qemu.py - boots the mbheap ISO in QEMU for one ctest test.

The kernel's command line reaches it through QEMU's fw_cfg (file "opt/mbheap/cmdline",
named in cmake/layout.cmake and read from build/mbheap-layout.env), so
one ISO serves the demo and every test. QEMU runs headless with -no-reboot and the
isa-debug-exit device; the kernel writes 0x10 (QEMU exits 33) for success and 0x11
(exit 35) for failure. Anything else -- a triple fault, a hang past the timeout, a
missing line in the serial log -- is a failure. The serial log is kept (--log) and
printed when the test fails.

Examples:
  run_qemu.py --iso build/mbheap.iso --log build/qemu-logs/boot.println.log --ktest boot.println
  run_qemu.py --iso build/mbheap.iso --log x.log --cpu qemu32 --expect-failure-exit \
      --expect 'mbheap: boot error: the CPU does not support long mode'
"""
import argparse
import codecs
import os
import re
import subprocess
import sys
import time

EXIT_SUCCESS = 33  # (0x10 << 1) | 1
EXIT_FAILURE = 35  # (0x11 << 1) | 1
OVMF_PATHS = ["/usr/share/ovmf/OVMF.fd", "/usr/share/qemu/OVMF.fd"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--qemu", default="qemu-system-x86_64")
    p.add_argument("--iso", required=True)
    p.add_argument("--log", required=True, help="serial log file (kept)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before QEMU is killed")
    p.add_argument("--mem", default="128M")
    p.add_argument("--cpu", default=None, help="QEMU -cpu model (qemu32 has no long mode)")
    p.add_argument("--uefi", action="store_true", help="boot under OVMF instead of SeaBIOS")
    p.add_argument("--cmdline", default="", help="kernel command line (via fw_cfg)")
    p.add_argument("--cmdline-bytes", default=None,
                   help="the fw_cfg command line as bytes, with Python escapes (\\x00, \\x1b): "
                        "passed to QEMU as a file, after test=NAME when --ktest is given")
    p.add_argument("--reject-control-bytes", action="store_true",
                   help="fail when the serial log holds a control byte other than TAB, LF, CR")
    p.add_argument("--ktest", default=None, help="in-kernel test to run (adds test=NAME)")
    p.add_argument("--boot-panic", action="store_true",
                   help="the --ktest test is a should-panic test whose panic comes from the boot "
                        "sequence, before its body runs: do not require 'ktest: started NAME'")
    p.add_argument("--expect", action="append", default=[], help="text that must be in the log")
    p.add_argument("--expect-re", action="append", default=[],
                   help="regular expression a line of the log must match (re.M)")
    p.add_argument("--reject", action="append", default=[], help="text that must NOT be in the log")
    p.add_argument("--no-exit", action="store_true",
                   help="the kernel is not expected to exit QEMU: pass when every --expect "
                        "text is in the log (--stop-on ends the run early)")
    p.add_argument("--expect-failure-exit", action="store_true",
                   help="the kernel must exit QEMU with the failure code (status 35)")
    p.add_argument("--stop-on", default=None, help="kill QEMU as soon as this text is logged")
    p.add_argument("--check-ram", action="store_true",
                   help="require the frame allocator's usable RAM (boot output) to agree with "
                        "--mem: at least 90%% of it and no more")
    p.add_argument("--show-log", action="store_true", help="print the serial log on success too")
    return p.parse_args()


def find_ovmf():
    for path in OVMF_PATHS:
        if os.path.exists(path):
            return path
    sys.exit("run_qemu: OVMF firmware not found (apt-get install ovmf)")


def layout(iso):
    """The kernel's layout constants (cmake/layout.cmake), from the mbheap-layout.env the
    build writes beside the ISO."""
    path = os.path.join(os.path.dirname(os.path.abspath(iso)), "mbheap-layout.env")
    try:
        with open(path) as f:
            lines = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    except OSError as e:
        sys.exit("run_qemu: cannot read %s (written by cmake): %s" % (path, e))
    return dict(l.split("=", 1) for l in lines)


def qemu_command(iso, log, mem="128M", cmdline="", extra=(), qemu="qemu-system-x86_64",
                 cmdline_file=None):
    """The QEMU command line of every test runner (tests/gdb/run_gdb_test.py too): headless,
    serial output to the file `log`, no reboot, the isa-debug-exit device, the kernel
    command line through fw_cfg (the string cmdline, or the bytes of cmdline_file), then
    `extra`. (scripts/qemu_args.sh is the shell twin.)"""
    cmd = [qemu, "-cdrom", iso, "-m", mem, "-serial", "file:" + log,
           "-display", "none", "-no-reboot", "-monitor", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    name = layout(iso)["MBHEAP_FW_CFG_CMDLINE"]
    # fw_cfg option values separate with ',': a literal comma is written twice.
    if cmdline_file:
        cmd += ["-fw_cfg", "name=%s,file=%s" % (name, cmdline_file.replace(",", ",,"))]
    elif cmdline:
        cmd += ["-fw_cfg", "name=%s,string=%s" % (name, cmdline.replace(",", ",,"))]
    return cmd + list(extra)


def mem_mib(text):
    """QEMU's -m value in MiB ("128M", "5G", "512")."""
    m = re.fullmatch(r"(\d+)([MG]?)", text.strip().upper())
    if not m:
        sys.exit("run_qemu: cannot read --mem %r" % text)
    return int(m.group(1)) * (1024 if m.group(2) == "G" else 1)


def check_ram(log, mem):
    """The usable RAM the kernel reports must agree with the RAM QEMU was given."""
    m = re.search(r"frame allocator: (\d+) frames \((\d+) MiB\) usable", log)
    if not m:
        return "no 'frame allocator: N frames (M MiB) usable' line in the serial log"
    frames, usable = int(m.group(1)), int(m.group(2))
    ram = mem_mib(mem)
    if frames * 4096 // (1024 * 1024) != usable:
        return "frame count %d does not match %d MiB" % (frames, usable)
    if not (0.9 * ram <= usable <= ram):
        return "usable RAM %d MiB does not agree with -m %s (%d MiB)" % (usable, mem, ram)
    return None


def read_log(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace").replace("\r\n", "\n")
    except FileNotFoundError:
        return ""


def main():
    a = parse_args()
    cmdline = a.cmdline
    expect = list(a.expect)
    if a.ktest:
        cmdline = ("test=" + a.ktest + " " + cmdline).strip()
        expect += ["ktest: running " + a.ktest, "ktest: PASS " + a.ktest]
        # A should-panic test passes on a matching panic; this line proves the panic came
        # from the test's body, not from a boot stage before it (which the test never ran).
        if not a.boot_panic:
            expect.append("ktest: started " + a.ktest)
    os.makedirs(os.path.dirname(os.path.abspath(a.log)), exist_ok=True)
    if os.path.exists(a.log):
        os.remove(a.log)
    extra = (["-cpu", a.cpu] if a.cpu else []) + (["-bios", find_ovmf()] if a.uefi else [])
    cmdline_file = None
    if a.cmdline_bytes is not None:
        data = codecs.escape_decode(a.cmdline_bytes.encode())[0]
        if a.ktest:
            data = b"test=" + a.ktest.encode() + b" " + data
        cmdline_file = a.log + ".cmdline"
        with open(cmdline_file, "wb") as f:
            f.write(data)
    cmd = qemu_command(a.iso, a.log, a.mem, cmdline, extra, a.qemu, cmdline_file)

    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    timed_out = stopped = False
    while proc.poll() is None:
        if time.monotonic() - start > a.timeout:
            timed_out = True
            break
        if a.stop_on and a.stop_on in read_log(a.log):
            stopped = True
            break
        time.sleep(0.1)
    if proc.poll() is None:
        proc.kill()
    qemu_output = proc.communicate()[0].decode("utf-8", "replace")
    rc = proc.returncode
    elapsed = time.monotonic() - start
    log = read_log(a.log)

    problems = []
    if a.no_exit:
        if not stopped and a.stop_on:
            problems.append("timed out after %.0f s before '%s' appeared" % (a.timeout, a.stop_on)
                            if timed_out else "QEMU exited (status %s) before '%s' appeared" % (rc, a.stop_on))
    elif timed_out:
        problems.append("timed out after %.0f s (the kernel never exited QEMU)" % a.timeout)
    elif a.expect_failure_exit:
        if rc != EXIT_FAILURE:
            problems.append("QEMU exited with status %s, not the failure code's 35" % rc)
    elif rc == EXIT_FAILURE:
        problems.append("the kernel reported failure (exit status 35)")
    elif rc != EXIT_SUCCESS:
        problems.append("QEMU exited with status %s (expected 33: a triple fault or a crash "
                        "ends QEMU under -no-reboot with status 0)" % rc)
    for text in expect:
        if text not in log:
            problems.append("missing from the serial log: '%s'" % text)
    for pattern in a.expect_re:
        if not re.search(pattern, log, re.M):
            problems.append("no line of the serial log matches: '%s'" % pattern)
    if a.check_ram:
        problem = check_ram(log, a.mem)
        if problem:
            problems.append(problem)
    for text in a.reject:
        if text in log:
            problems.append("must not be in the serial log: '%s'" % text)
    if a.reject_control_bytes:
        bad = sorted(set(c for c in log.encode() if (c < 0x20 and c not in (9, 10, 13)) or c == 0x7f))
        if bad:
            problems.append("control bytes in the serial log: %s" % ", ".join("0x%02x" % c for c in bad))

    if problems:
        print("run_qemu: FAIL (%.1f s): %s" % (elapsed, "; ".join(problems)))
        print("run_qemu: command: " + " ".join(cmd))
        if qemu_output.strip():
            print("---- QEMU output ----\n" + qemu_output.rstrip())
        print("---- serial log %s ----\n%s\n---- end of serial log ----" % (a.log, log.rstrip()))
        return 1
    if a.show_log:
        print(log.rstrip())
    print("run_qemu: PASS (%.1f s, log %s)" % (elapsed, a.log))
    return 0


if __name__ == "__main__":
    sys.exit(main())
