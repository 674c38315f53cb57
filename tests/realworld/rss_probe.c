/* SPDX-License-Identifier: MIT */
/*
 * tests/realworld/rss_probe.c - librw_rss_probe.so, the measuring side of run_realworld.py's
 * RSS benchmark. Preloaded into a program (alone on glibc, after the shim on mbheap), it
 * appends at exit one line "rss <pid> <VmHWM kB> <VmRSS kB> <comm>" to the file named by
 * RW_RSS_OUT. Its destructor runs after the program's atexit handlers and destructors
 * (the dynamic loader finalises the executable first, then the preloaded libraries), so
 * VmRSS is the resident set the program leaves at its exit, VmHWM its peak. A process that
 * ends with _exit or a signal writes nothing. It never allocates.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "proc_status.h"

__attribute__((destructor)) static void rss_probe_exit(void)
{
    const char *out = getenv("RW_RSS_OUT");
    if (!out || !*out)
        return;
    char comm[64] = "?";
    int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, comm, sizeof(comm) - 1);
        if (n > 0 && comm[n - 1] == '\n')
            n--;
        if (n > 0)
            comm[n] = '\0';
        close(fd);
    }
    char line[160];
    int n = snprintf(line, sizeof(line), "rss %d %ld %ld %s\n", (int)getpid(),
                     proc_status_kb("VmHWM"), proc_status_kb("VmRSS"), comm);
    fd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0 && n > 0) {
        ssize_t w = write(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        (void)w; /* a measurement lost is a missing row, which the runner reports */
    }
    if (fd >= 0)
        close(fd);
}
