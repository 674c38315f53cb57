#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/install/apt_sources.py [ROOT] - this machine's Debian archives, from its apt sources.

Reads ROOT/etc/apt/sources.list and ROOT/etc/apt/sources.list.d/*.list (one-line format:
`deb [options] URI SUITE COMPONENT...`) and ROOT/etc/apt/sources.list.d/*.sources (deb822
stanzas: Types, URIs, Suites, Components, Enabled), and prints two lines for
tests/install/fresh_debian.sh:

    mirror URI      the first `deb` source with the main component and a suite that is not
                    a security suite (the Debian archive debootstrap installs from)
    security URI    the first `deb` source with the main component and a `*-security`
                    suite (omitted when there is none)

so the archive address comes from the machine itself and is never written into the
repository. Exits 1 with a message when no archive is found.
"""
import glob
import os
import sys


def one_line_entries(path):
    """Entries of a one-line-style sources.list file: (types, uris, suites, components)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if len(words) < 3:
                continue
            kind, rest = words[0], words[1:]
            if rest[0].startswith("["):  # options: [arch=amd64 signed-by=...]
                while rest and not rest[0].endswith("]"):
                    rest = rest[1:]
                rest = rest[1:]
            if len(rest) >= 2:
                yield [kind], [rest[0]], [rest[1]], rest[2:]


def deb822_entries(path):
    """Entries of a deb822 .sources file (stanzas separated by blank lines; field names are
    case-insensitive; continuation lines start with white space; '#' lines are comments)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    stanza, last = {}, None
    for line in text.splitlines() + [""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if stanza and stanza.get("enabled", "yes").strip().lower() != "no":
                yield (stanza.get("types", "").split(), stanza.get("uris", "").split(),
                       stanza.get("suites", "").split(), stanza.get("components", "").split())
            stanza, last = {}, None
        elif line[0] in " \t" and last:
            stanza[last] += " " + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            last = key.strip().lower()
            stanza[last] = value.strip()


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "/"
    apt = os.path.join(root, "etc/apt")
    entries = []
    for path in [os.path.join(apt, "sources.list")] + sorted(
            glob.glob(os.path.join(apt, "sources.list.d", "*.list"))):
        if os.path.isfile(path):
            entries += one_line_entries(path)
    for path in sorted(glob.glob(os.path.join(apt, "sources.list.d", "*.sources"))):
        entries += deb822_entries(path)
    found = {}
    for types, uris, suites, components in entries:
        if "deb" not in types or "main" not in components:
            continue
        for suite in suites:
            key = "security" if suite.endswith("-security") else "mirror"
            if key not in found and uris:
                found[key] = uris[0].rstrip("/")
    if "mirror" not in found:
        print("apt_sources: no Debian archive (a `deb` source with main) in %s" % apt,
              file=sys.stderr)
        return 1
    for key in ("mirror", "security"):
        if key in found:
            print(key, found[key])
    return 0


if __name__ == "__main__":
    sys.exit(main())
