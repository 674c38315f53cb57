#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/install/test_install_scripts.py SRC - checks of the installation helpers that need
neither root nor the network (ctest install.scripts, label host):

  * tests/install/apt_sources.py finds the archive in one-line sources.list files (with
    options, comments, deb-src lines) and in deb822 .sources files (several stanzas,
    continuation lines, Enabled: no), and fails with a message when there is none;
  * scripts/logged.sh keeps a working command's output in the log only, and for a failing
    one prints the log's last lines and its path and passes the exit status on;
  * scripts/setup.sh as a non-root user installs nothing, fails, and prints the su -c line
    to run as root (and a sudo line only where sudo is installed). As root this test runs
    it as the user nobody.
"""
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.path.abspath(sys.argv[1])
failures = []


def check(what, ok, detail=""):
    print("%s: %s%s" % ("ok" if ok else "FAIL", what, "" if ok else "\n    " + detail))
    if not ok:
        failures.append(what)


def apt_sources(files):
    """Runs apt_sources.py on a root holding FILES ({path under etc/apt: text})."""
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "etc/apt/sources.list.d"))
        for path, text in files.items():
            with open(os.path.join(root, "etc/apt", path), "w") as f:
                f.write(text)
        return subprocess.run([sys.executable, os.path.join(SRC, "tests/install/apt_sources.py"),
                               root], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_apt_sources():
    r = apt_sources({"sources.list": (
        "# a comment\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb http://contrib.example/debian bookworm contrib\n"
        "deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://one.example/debian/ bookworm main  # trailing\n"
        "deb http://sec.example/debian-security bookworm-security main\n")})
    check("one-line format: options, comments, deb-src and a main-less line skipped",
          r.returncode == 0 and r.stdout == "mirror http://one.example/debian\n"
          "security http://sec.example/debian-security\n", repr(r))
    r = apt_sources({"sources.list.d/debian.sources": (
        "Types: deb\n# http://snapshot.example/archive/debian/20250520T000000Z\n"
        "URIs: http://off.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n\n"
        "Types: deb deb-src\nURIs: http://two.example/debian\n"
        "Suites: bookworm\n bookworm-updates\nComponents: main contrib\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        "types: deb\nuris: http://sec2.example/debian-security\nsuites: bookworm-security\n"
        "components: main\n"),
        "sources.list.d/other.sources.disabled": (
        "Types: deb\nURIs: http://ignored.example/debian\nSuites: x\nComponents: main\n")})
    check("deb822 format: disabled stanza, continuation line, lower-case fields, other files ignored",
          r.returncode == 0 and r.stdout == "mirror http://two.example/debian\n"
          "security http://sec2.example/debian-security\n", repr(r))
    r = apt_sources({"sources.list": "deb http://a.example/debian bookworm main\n",
                     "sources.list.d/b.sources": "Types: deb\nURIs: http://b.example/debian\n"
                     "Suites: bookworm\nComponents: main\n"})
    check("both formats: sources.list first, no security line when there is none",
          r.returncode == 0 and r.stdout == "mirror http://a.example/debian\n", repr(r))
    r = apt_sources({"sources.list": "deb http://sec.example/debian-security bookworm-security main\n"})
    check("no archive but a security one: exit 1 with a message",
          r.returncode == 1 and r.stdout == "" and "no Debian archive" in r.stderr, repr(r))


def test_logged():
    logged = os.path.join(SRC, "scripts/logged.sh")
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "sub", "tool.log")
        r = subprocess.run([logged, log, "sh", "-c", "echo out; echo err >&2"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        check("logged.sh, success: nothing on the terminal, both streams in the log",
              r.returncode == 0 and r.stdout == r.stderr == "" and
              open(log).read().split() == ["out", "err"], repr(r))
        r = subprocess.run([logged, "-a", log, "sh", "-c", "seq 1 40; echo the reason >&2; exit 7"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = r.stderr.splitlines()
        check("logged.sh -a, failure: exit status passed on, log appended, its last 25 lines "
              "and its path on stderr",
              r.returncode == 7 and r.stdout == "" and
              open(log).read().split()[:3] == ["out", "err", "1"] and
              lines[0] == "error: sh failed (exit status 7); the last 25 lines of %s:" % log and
              lines[1] == "  | 17" and lines[-2] == "  | the reason" and
              lines[-1] == "error: full output: %s" % log and len(lines) == 27, repr(r))


def test_setup_non_root():
    # A copy of setup.sh in a directory anyone may read: as root the test runs it as nobody,
    # who may not read the checkout (a clone in /root, say). Not root, setup.sh stops before
    # it uses any other file of the checkout.
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        os.mkdir(os.path.join(d, "scripts"))
        setup = os.path.join(d, "scripts/setup.sh")
        shutil.copy(os.path.join(SRC, "scripts/setup.sh"), setup)
        os.chmod(setup, 0o755)
        cmd = [setup, "mbheap-no-such-package"]
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + cmd
        env = dict(os.environ, MBHEAP_SETUP_LOG="/nonexistent/setup.log")
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=env, cwd="/")
    su = "  su -c 'apt-get update && apt-get install -y --no-install-recommends mbheap-no-such-package'"
    lines = r.stderr.splitlines()
    check("setup.sh as a user: exit 1, the missing package named, the su -c line for root",
          r.returncode == 1 and "setup: missing Debian packages: mbheap-no-such-package" in r.stdout
          and su in lines, repr(r))
    sudo = "  sudo sh -c '%s'" % su[len("  su -c '"):-1]
    if shutil.which("sudo"):
        check("setup.sh as a user, sudo installed: the sudo line too",
              r.returncode == 1 and sudo in lines, repr(r))
    else:
        check("setup.sh as a user, no sudo: no sudo line",
              r.returncode == 1 and "sudo" not in r.stderr, repr(r))


test_apt_sources()
test_logged()
test_setup_non_root()
if failures:
    sys.exit("%d check(s) failed: %s" % (len(failures), "; ".join(failures)))
print("all checks passed")
