/* SPDX-License-Identifier: MIT */
/* lib/error.c - names and descriptions of err_t values. */
#include "lib/error.h"

static const struct {
    const char *name;
    const char *text;
} err_table[E_ERR_COUNT] = {
    [E_OK] = {"E_OK", "success"},
    [E_NOMEM] = {"E_NOMEM", "out of memory"},
    [E_INVAL] = {"E_INVAL", "invalid argument"},
    [E_EXISTS] = {"E_EXISTS", "already exists"},
    [E_HUGEPAGE] = {"E_HUGEPAGE", "parent entry is a huge page"},
    [E_NOENT] = {"E_NOENT", "not found"},
    [E_RANGE] = {"E_RANGE", "out of range"},
    [E_ALIGN] = {"E_ALIGN", "misaligned"},
    [E_TRUNC] = {"E_TRUNC", "truncated"},
    [E_FORMAT] = {"E_FORMAT", "malformed"},
    [E_NOSPC] = {"E_NOSPC", "table full"},
};

const char *err_name(err_t e)
{
    if ((unsigned)e >= E_ERR_COUNT)
        return "E_?";
    return err_table[e].name;
}

const char *err_str(err_t e)
{
    if ((unsigned)e >= E_ERR_COUNT)
        return "unknown error";
    return err_table[e].text;
}
