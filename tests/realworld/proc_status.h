/* SPDX-License-Identifier: MIT */
/*
 * tests/realworld/proc_status.h - one figure of /proc/self/status, read without malloc (so
 * that it measures the same on any allocator and may run inside a destructor after the
 * program's own): proc_status_kb("VmRSS") is the resident set in kB, -1 if unreadable.
 */
#ifndef MBHEAP_RW_PROC_STATUS_H
#define MBHEAP_RW_PROC_STATUS_H

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static inline long proc_status_kb(const char *field)
{
    char buf[8192];
    size_t len = 0;
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n;
    while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = '\0';
    size_t flen = strlen(field);
    /* each line is "<Field>:\t<spaces><number> kB" */
    for (char *line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : 0) {
        if (strncmp(line, field, flen) != 0 || line[flen] != ':')
            continue;
        long v = 0;
        const char *c = line + flen + 1;
        while (*c == ' ' || *c == '\t')
            c++;
        if (*c < '0' || *c > '9')
            return -1;
        while (*c >= '0' && *c <= '9')
            v = v * 10 + (*c++ - '0');
        return v;
    }
    return -1;
}

#endif
