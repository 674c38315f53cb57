/* SPDX-License-Identifier: MIT */
/*
 * lib/fmt_size.c - byte counts in binary units (lib/fmt_size.h).
 *
 * The unit is the largest power of 1024 not above the count; the decimal is the remainder's
 * first tenth, rounded down, so a printed size never claims more than there is.
 */
#include "lib/fmt_size.h"

#include "lib/kprintf.h"
#include "lib/types.h"

int fmt_size(uint64_t bytes, char *buf, size_t n)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    unsigned u = 0;
    while (u + 1 < ARRAY_SIZE(units) && bytes >> (10 * (u + 1)) != 0)
        u++;
    if (u == 0)
        return ksnprintf(buf, n, "%llu B", (unsigned long long)bytes);
    uint64_t unit = (uint64_t)1 << (10 * u);
    /* (bytes % unit) * 10 < 10 * 2^60 < 2^64: no overflow. */
    return ksnprintf(buf, n, "%llu.%llu %s", (unsigned long long)(bytes / unit),
                     (unsigned long long)((bytes % unit) * 10 / unit), units[u]);
}
