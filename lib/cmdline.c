/* SPDX-License-Identifier: MIT */
/* lib/cmdline.c - command line words and numbers; see lib/cmdline.h. */
#include "lib/cmdline.h"

#include "lib/string.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool cmdline_next(const char **cursor, struct cmdline_opt *opt)
{
    const char *p = *cursor;
    if (!p)
        return false;
    while (is_space(*p))
        p++;
    if (!*p) {
        *cursor = p;
        return false;
    }
    const char *start = p;
    while (*p && !is_space(*p) && *p != '=')
        p++;
    opt->key = start;
    opt->key_len = (size_t)(p - start);
    opt->val = NULL;
    opt->val_len = 0;
    if (*p == '=') {
        p++;
        opt->val = p;
        while (*p && !is_space(*p))
            p++;
        opt->val_len = (size_t)(p - opt->val);
    }
    *cursor = p;
    return true;
}

bool cmdline_key_is(const struct cmdline_opt *opt, const char *key)
{
    size_t n = strlen(key);
    return n == opt->key_len && memcmp(opt->key, key, n) == 0;
}

err_t cmdline_val_copy(const struct cmdline_opt *opt, char *buf, size_t size)
{
    if (!opt->val)
        return E_INVAL;
    if (opt->val_len + 1 > size)
        return E_RANGE;
    memcpy(buf, opt->val, opt->val_len);
    buf[opt->val_len] = '\0';
    return E_OK;
}

err_t cmdline_parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t base = 10, v = 0;
    size_t i = 0;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    size_t digits = 0;
    for (; i < n; i++, digits++) {
        char c = s[i];
        uint64_t d;
        if (c >= '0' && c <= '9')
            d = (uint64_t)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = (uint64_t)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = (uint64_t)(c - 'A' + 10);
        else
            break;
        if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v))
            return E_RANGE;
    }
    if (digits == 0)
        return E_INVAL;
    if (i < n) {
        unsigned shift;
        switch (s[i]) {
        case 'K':
        case 'k': shift = 10; break;
        case 'M':
        case 'm': shift = 20; break;
        case 'G':
        case 'g': shift = 30; break;
        case 'T':
        case 't': shift = 40; break;
        default: return E_INVAL;
        }
        if (i + 1 != n)
            return E_INVAL;
        if (v > (UINT64_MAX >> shift))
            return E_RANGE;
        v <<= shift;
    }
    *out = v;
    return E_OK;
}

size_t cmdline_escape(const char *s, size_t n, char *out, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0, o = 0;
    if (size == 0)
        return 0;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[4];
        size_t len;
        if (c == '\\') {
            tmp[0] = tmp[1] = '\\';
            len = 2;
        } else if (c < 0x20 || c >= 0x7f) {
            tmp[0] = '\\', tmp[1] = 'x', tmp[2] = hex[c >> 4], tmp[3] = hex[c & 15];
            len = 4;
        } else {
            tmp[0] = (char)c;
            len = 1;
        }
        if (o + len >= size)
            break;
        memcpy(out + o, tmp, len);
        o += len;
    }
    out[o] = '\0';
    return i;
}

err_t cmdline_check_bytes(const char *s, size_t *n, size_t *nul_at)
{
    while (*n > 0 && s[*n - 1] == '\0')
        (*n)--;
    for (size_t i = 0; i < *n; i++) {
        if (s[i] == '\0') {
            *nul_at = i;
            return E_INVAL;
        }
    }
    return E_OK;
}
