/* SPDX-License-Identifier: MIT */
/* tests/host/capture.c - capturing kprintf output in host tests; see capture.h. */
#include "capture.h"

#include <string.h>

#include "lib/kprintf.h"

static char out_buf[8192];
static size_t out_len;

static void capture(const char *s, size_t n, void *ctx)
{
    (void)ctx;
    if (out_len + n < sizeof(out_buf)) {
        memcpy(out_buf + out_len, s, n);
        out_len += n;
        out_buf[out_len] = '\0';
    }
}

void capture_begin(void)
{
    out_len = 0;
    out_buf[0] = '\0';
    kprintf_set_sink(capture, NULL);
}

const char *capture_end(void)
{
    kprintf_set_sink(NULL, NULL);
    return out_buf;
}
