/* SPDX-License-Identifier: MIT */
/*
 * String views, ASCII case folding, checked integer parsing and a bounded
 * copy. Pure functions; thread-safe.
 */
#include "lcw/common.h"

#include <string.h>

static int ascii_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

struct strv strv_from(const char *s)
{
    return (struct strv){s, s ? strlen(s) : 0};
}

bool strv_eq(struct strv a, const char *b)
{
    size_t n = strlen(b);

    return a.len == n && memcmp(a.p, b, n) == 0;
}

bool strv_eq_ci(struct strv a, const char *b)
{
    size_t n = strlen(b);

    if (a.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower((unsigned char)a.p[i]) != ascii_lower((unsigned char)b[i]))
            return false;
    }
    return true;
}

bool strv_starts_with_ci(struct strv a, const char *prefix)
{
    size_t n = strlen(prefix);

    if (a.len < n)
        return false;
    return strv_eq_ci((struct strv){a.p, n}, prefix);
}

bool lcw_str_eq_ci(const char *a, const char *b)
{
    return strv_eq_ci(strv_from(a), b);
}

int str_to_i64(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0;
    uint64_t limit;

    if (!s || len == 0)
        return LCW_EINVAL;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
        if (len == 1)
            return LCW_EINVAL;
    }
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        unsigned d;

        if (s[i] < '0' || s[i] > '9')
            return LCW_EINVAL;
        d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return LCW_EINVAL;
        v = v * 10 + d;
    }
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return 0;
}

size_t lcw_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);

    if (size) {
        size_t m = n < size - 1 ? n : size - 1;

        memcpy(dst, src, m);
        dst[m] = '\0';
    }
    return n;
}

bool lcw_mem_eq_ct(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    unsigned char d = 0;

    for (size_t i = 0; i < n; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}
