#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/install/fresh_debian.sh [BUILD_DIR] - the fresh-install check: the README's two
# commands on a minimal Debian 12, as a new user would run them. Needs root (debootstrap,
# chroot, mount); ctest runs it under the label `install` (not in the default run), and
# .ci/run runs it after the test command.
#
#  1. A Debian 12 root: `debootstrap --variant=minbase --include=git,ca-certificates
#     bookworm`, from the archive this machine's own apt sources name
#     (tests/install/apt_sources.py; no address is written into the repository). It is
#     cached in MBHEAP_FRESH_CACHE (default /var/cache/mbheap) as a tar file, made again
#     when older than MBHEAP_FRESH_MAX_AGE days (default 7); every check starts from an
#     untouched copy of it, unpacked under BUILD_DIR/fresh-debian/.
#  2. What an installed Debian has and debootstrap leaves out: /etc/hosts, the apt
#     sources of the release's updates and security archives; /etc/resolv.conf (this
#     machine's, for apt). /proc, /sys, /dev, /dev/pts and /dev/shm are mounted, and
#     unmounted whatever happens (an EXIT trap, which first kills any process left in the
#     root; a run killed outright leaves mounts the next run removes first).
#  3. The repository at this checkout's HEAD commit (git clone; uncommitted changes are
#     not part of the check) with ../shared beside it.
#  4. Check "root": the README's two commands, exactly as its "Two commands" block has
#     them, as root from the clone: the first must boot the demo to its end and exit 0,
#     the second must pass, running as many tests as BUILD_DIR's ctest lists without
#     bench and install (none skipped). Installing packages must stay quiet (no apt-get
#     output on the terminal).
#  5. Check "user", from a new copy: as a non-root user, scripts/setup.sh must print a
#     command for root and fail; that command, run as printed (by root, through a
#     shell), must install everything: setup.sh as the user then finds nothing missing,
#     and the first README command (the demo) works as the user.
# A failing step prints its log's last lines and the log's path; each step prints its time.
# Environment: MBHEAP_FRESH_KEEP=1 keeps the roots after a passing run (they are removed
# otherwise; a failing check's root is kept for inspection, until the next run);
# MBHEAP_FRESH_STEP_TIMEOUT limits each command in the root (seconds, default 2400).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(mkdir -p "${1:-$src/build}" && cd "${1:-$src/build}" && pwd -P)
work=$build/fresh-debian
cache=${MBHEAP_FRESH_CACHE:-/var/cache/mbheap}
max_age=${MBHEAP_FRESH_MAX_AGE:-7}
suite=bookworm
includes=git,ca-certificates
tarball=$cache/debian-$suite-minbase.tar
logged=("$src/scripts/logged.sh")
start_all=$SECONDS

say() { echo "fresh-debian: $*"; }
fail() { echo "fresh-debian: FAIL: $*" >&2; exit 1; }
elapsed() { local s=$((SECONDS - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

[ "$(id -u)" -eq 0 ] || fail "must run as root (debootstrap, chroot and mount need it)"

# --- mounts and processes: everything under $work is undone on exit -----------------------

# The mount points below $1 (deepest first), from the kernel's table.
mounts_under() {
    awk -v p="$1/" '{ gsub(/\\040/, " ", $2); if (index($2 "/", p) == 1) print $2 }' \
        /proc/self/mounts | sort -r
}
# Kills every process whose root directory is $1 (QEMU, ctest, ... left by a command that
# was killed or timed out), TERM first, then KILL.
kill_in_root() {
    local root=$1 sig pid pids
    for sig in TERM KILL; do
        pids=()
        for pid in /proc/[0-9]*; do
            [ "$(readlink "$pid/root" 2>/dev/null)" = "$root" ] && pids+=("${pid#/proc/}")
        done
        [ ${#pids[@]} -gt 0 ] || return 0
        say "killing ${#pids[@]} process(es) left in $root (SIG$sig): ${pids[*]}"
        kill -s "$sig" "${pids[@]}" 2>/dev/null || true
        sleep 2
    done
}
release_root() {
    local root=$1 m
    [ -d "$root" ] || return 0
    kill_in_root "$root"
    for m in $(mounts_under "$root"); do
        umount "$m" 2>/dev/null || umount -l "$m" || say "cannot unmount $m"
    done
}
# remove_roots: deletes the check roots, never while anything is mounted in them.
remove_roots() {
    [ -z "$(mounts_under "$work")" ] || fail "still mounted under $work: $(mounts_under "$work" | tr '\n' ' ')"
    rm -rf "$work/root" "$work/user"
}
current_root=
cleanup() {
    local rc=$?
    [ -z "$current_root" ] || release_root "$current_root"
    if [ $rc -ne 0 ]; then
        say "FAILED after $(elapsed "$start_all"); the roots are kept in $work until the next run"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- the packages this check needs on this machine, and the archive ----------------------

# setup.sh installs the project's packages and debootstrap (quietly, with its log).
MBHEAP_SETUP_LOG=$work/host-setup.log "$src/scripts/setup.sh" debootstrap
sources=$(python3 "$src/tests/install/apt_sources.py") || fail "no Debian archive in this machine's apt sources"
mirror=$(awk '$1 == "mirror" { print $2 }' <<<"$sources")
security=$(awk '$1 == "security" { print $2 }' <<<"$sources")
head=$(git -C "$src" rev-parse HEAD)
if [ -n "$(git -C "$src" status --porcelain --untracked-files=no)" ]; then
    say "note: $src has uncommitted changes; the check uses the commit $head"
fi
expected=$(ctest --test-dir "$build" -N -LE 'bench|install' 2>/dev/null |
            sed -n 's/^Total Tests: \([0-9]*\)$/\1/p')
[ -n "$expected" ] && [ "$expected" -gt 0 ] ||
    fail "cannot count the tests of $build (configure it first: cmake -B $build)"

# Stale mounts of a run that was killed outright.
for r in "$work"/*/; do [ ! -d "$r" ] || release_root "${r%/}"; done
remove_roots
mkdir -p "$work" "$cache"

# --- the cached root ------------------------------------------------------------------------

(
    flock 9   # one bootstrap at a time; others wait for it and use it
    if [ -f "$tarball" ] && [ -z "$(find "$tarball" -mtime +"$max_age")" ]; then
        say "using the cached minimal Debian root $tarball ($(date -r "$tarball" +%F))"
        exit 0
    fi
    t=$SECONDS
    tmp=$(mktemp -d "$cache/bootstrap.XXXXXX")
    say "debootstrap --variant=minbase --include=$includes $suite (from this machine's apt sources)"
    "${logged[@]}" "$work/debootstrap.log" \
        debootstrap --variant=minbase --include="$includes" "$suite" "$tmp/root" "$mirror" ||
        { release_root "$tmp/root"; rm -rf "$tmp"; exit 1; }
    tar -C "$tmp/root" --numeric-owner -cf "$tmp/root.tar" .
    mv "$tmp/root.tar" "$tarball"
    rm -rf "$tmp"
    say "bootstrapped and cached in $tarball in $(elapsed "$t")"
) 9>"$cache/debian-$suite-minbase.lock" || fail "debootstrap failed"

# new_root NAME HOME [USER]: an untouched copy of the cached root in $work/NAME, completed
# as an installed Debian would be, with its file systems mounted, and the repository cloned
# into HOME (in the root) with ../shared beside it; with USER, a new user whose home is
# HOME owns them. Sets root (and uid with USER).
new_root() {
    local name=$1 home=$2 owner=${3:-} t=$SECONDS
    root=$work/$name
    mkdir -p "$root"
    current_root=$root
    tar -C "$root" --numeric-owner -xf "$tarball"
    # debootstrap writes no /etc/hosts; the Debian installer writes this one.
    printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n' \
        "$(cat "$root/etc/hostname")" >"$root/etc/hosts"
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
    {
        echo "deb $mirror $suite main"
        echo "deb $mirror $suite-updates main"
        [ -z "$security" ] || echo "deb $security $suite-security main"
    } >"$root/etc/apt/sources.list"
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --bind /dev "$root/dev"
    mount --bind /dev/pts "$root/dev/pts"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
    if [ -n "$owner" ]; then
        chroot "$root" useradd --create-home --home-dir "$home" --shell /bin/bash "$owner"
        uid=$(chroot "$root" id -u "$owner")
    fi
    git clone -q --no-hardlinks "$src" "$root$home/mbheap"
    git -C "$root$home/mbheap" checkout -q --detach "$head"
    if [ -d "$src/../shared" ]; then
        cp -a "$src/../shared" "$root$home/shared"
    else
        say "note: no ../shared beside $src; the clone has none either"
    fi
    [ -z "$owner" ] || chown -R "$uid:$uid" "$root$home"
    say "[$name] fresh root $root (clone of $(git -C "$src" rev-parse --short HEAD) in $home/mbheap) in $(elapsed "$t")"
}

# in_root USER DIR COMMAND: runs COMMAND (a shell command line) in the root as USER (a uid
# or 0) from DIR, with the clean environment of a login, no terminal and a time limit.
in_root() {
    local uid=$1 dir=$2 cmd=$3 home=/root name=root limit=${MBHEAP_FRESH_STEP_TIMEOUT:-2400}
    if [ "$uid" != 0 ]; then
        home=/home/$user name=$user
    fi
    timeout --kill-after=20 "$limit" \
        chroot --userspec="$uid:$uid" "$root" /usr/bin/env -i HOME="$home" USER="$name" \
            LOGNAME="$name" SHELL=/bin/bash TERM="${TERM:-dumb}" \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            /bin/bash -c "cd $dir && $cmd" </dev/null
}

# step NAME LOG USER DIR COMMAND: in_root with the output in LOG (its tail shown on failure).
step() {
    local name=$1 log=$2 t=$SECONDS rc=0
    shift 2
    say "[$name] \$ $3 (as $([ "$1" = 0 ] && echo root || echo "$user"); log $log)"
    # In the background and waited for: bash runs the INT/TERM traps (and so the cleanup)
    # at once during `wait`, not only once a foreground command has ended.
    "${logged[@]}" "$log" in_root "$@" &
    wait $! || rc=$?
    say "[$name]   exit status $rc, $(elapsed "$t")"
    return $rc
}

# The README's two commands, as its "Two commands" block has them (comments removed).
mapfile -t commands < <(awk '/^## Two commands/ { s = 1 } s && /^```sh/ { b = 1; next }
                             b && /^```/ { exit } b { sub(/[ \t]*#.*/, ""); if ($0 != "") print }' \
                             "$src/README.md")
[ ${#commands[@]} -eq 2 ] || fail "README.md's \"Two commands\" block has ${#commands[@]} commands, not 2"
say "the README's commands: '${commands[0]}' and '${commands[1]}'; $expected tests expected"

# check_demo LOG: the demo booted to its end and QEMU exited through the kernel, quietly.
check_demo() {
    grep -q '^mbheap: demo done' "$1" || fail "the demo did not finish ('mbheap: demo done' missing from $1)"
    grep -q '^boot: the kernel exited with success' "$1" || fail "QEMU did not exit through the kernel ($1)"
    if grep -qE '^(Get:[0-9]|Unpacking |Setting up |Selecting previously)' "$1"; then
        fail "apt-get's output reached the terminal ($1)"
    fi
}

# exported for logged.sh, which runs in_root in a new bash
export -f in_root
export root user=mbheap-user

# --- check "root" -----------------------------------------------------------------------------
t=$SECONDS
new_root root /root
step root "$work/root-run.log" 0 /root/mbheap "${commands[0]}" || fail "'${commands[0]}' failed as root"
check_demo "$work/root-run.log"
say "[root]   $(grep -c '^setup: ' "$work/root-run.log") lines of package installation on the terminal"
step root "$work/root-test.log" 0 /root/mbheap "${commands[1]}" || fail "'${commands[1]}' failed as root"
summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$work/root-test.log" | tail -n 1)
say "[root]   ctest: $summary"
[[ $summary =~ ^100%\ tests\ passed,\ 0\ tests\ failed\ out\ of\ ([0-9]+) ]] ||
    fail "no passing ctest summary in $work/root-test.log"
[ "${BASH_REMATCH[1]}" -eq "$expected" ] ||
    fail "${BASH_REMATCH[1]} tests ran in the fresh root, $expected are registered here ($work/root-test.log)"
! grep -qE '\*\*\*(Skipped|Not Run)' "$work/root-test.log" || fail "tests were skipped ($work/root-test.log)"
release_root "$root"
current_root=
say "[root] passed in $(elapsed "$t")"

# --- check "user" -----------------------------------------------------------------------------
t=$SECONDS
new_root user "/home/$user" "$user"
say "[user] \$ scripts/setup.sh (as $user; it must fail and print the command for root):"
rc=0
in_root "$uid" "/home/$user/mbheap" scripts/setup.sh >"$work/user-setup.log" 2>&1 || rc=$?
sed 's/^/  | /' "$work/user-setup.log"
[ $rc -ne 0 ] || fail "scripts/setup.sh as $user exited 0 with packages missing ($work/user-setup.log)"
printed=$(grep -E "^  su -c '" "$work/user-setup.log" | head -n 1 | sed 's/^  //')
[ -n "$printed" ] || fail "scripts/setup.sh as $user printed no 'su -c' command ($work/user-setup.log)"
! grep -q sudo "$work/user-setup.log" || fail "scripts/setup.sh offers sudo where there is none ($work/user-setup.log)"
# su asks root's password when the user runs this; root runs the very same line.
step user "$work/user-root-install.log" 0 / "$printed" || fail "the printed command failed as root"
step user "$work/user-setup-again.log" "$uid" "/home/$user/mbheap" scripts/setup.sh ||
    fail "scripts/setup.sh as $user still fails after the printed command"
[ ! -s "$work/user-setup-again.log" ] || fail "scripts/setup.sh as $user still reports something ($work/user-setup-again.log)"
step user "$work/user-run.log" "$uid" "/home/$user/mbheap" "${commands[0]}" || fail "'${commands[0]}' failed as $user"
check_demo "$work/user-run.log"
release_root "$root"
current_root=
say "[user] passed in $(elapsed "$t")"

[ -n "${MBHEAP_FRESH_KEEP:-}" ] || remove_roots
say "PASS in $(elapsed "$start_all"): on a fresh minimal Debian 12 the README's commands work as root, and as a user after the command setup.sh prints"
