#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/logged.sh [-a] LOG COMMAND [ARG...] - run COMMAND with its output (stdout and
# stderr) in LOG (appended to it with -a) instead of on the terminal; when it fails, say so on stderr with LOG's last lines
# and LOG's path, and exit with COMMAND's status. Used for tools whose output is noise
# when they work (grub-mkrescue in cmake/kernel.cmake, apt-get in scripts/setup.sh).
# MBHEAP_LOG_TAIL sets how many lines are shown (default 25).
set -uo pipefail
usage="usage: scripts/logged.sh [-a] LOG COMMAND [ARG...]"
append=
if [ "${1:-}" = -a ]; then append=1; shift; fi
[ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
log=$1
shift
mkdir -p "$(dirname "$log")"
if [ -n "$append" ]; then
    "$@" >>"$log" 2>&1 </dev/null
else
    "$@" >"$log" 2>&1 </dev/null
fi
rc=$?
if [ $rc -ne 0 ]; then
    n=${MBHEAP_LOG_TAIL:-25}
    what="the last $n lines of $log"
    [ "$(wc -l <"$log")" -gt "$n" ] || what="its output ($log)"
    {
        echo "error: $(basename "$1") failed (exit status $rc); $what:"
        tail -n "$n" "$log" | sed 's/^/  | /'
        echo "error: full output: $log"
    } >&2
fi
exit $rc
