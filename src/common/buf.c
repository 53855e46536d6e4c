/* SPDX-License-Identifier: MIT */
/*
 * Capped growable buffers. A buffer never grows past its `max`; the append
 * that would cross it fails with LCW_ETOOBIG and changes nothing. Not
 * thread-safe: a buffer belongs to one thread at a time.
 */
#include "lcw/common.h"

#include <stdio.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void buf_release(struct buf *b)
{
    lcw_free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Make room for `extra` more bytes plus the NUL. */
static int buf_grow(struct buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (!lcw_size_add(b->len, extra, &need) || need > b->max)
        return LCW_ETOOBIG;
    if (!lcw_size_add(need, 1, &need))
        return LCW_ETOOBIG;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (!lcw_size_mul(cap, 2, &cap))
            return LCW_ETOOBIG;
    }
    p = lcw_realloc(b->data, cap);
    if (!p)
        return LCW_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    int rc;

    /* Room already there (len < cap whenever cap != 0, for the NUL; len <=
     * max always): skip buf_grow's checked arithmetic. Appends of a few bytes
     * each are most of what an export does per row. */
    if (n < b->cap - b->len && n <= b->max - b->len) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
    }
    rc = buf_grow(b, n);

    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
    if (1 < b->cap - b->len && b->len < b->max) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return 0;
    }
    return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n, rc;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return LCW_EINVAL;
    rc = buf_grow(b, (size_t)n);
    if (rc)
        return rc;
    (void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *buf_cstr(const struct buf *b)
{
    return b->data ? b->data : "";
}

char *buf_detach(struct buf *b)
{
    char *p = b->data;

    if (!p)
        p = lcw_strdup("");
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

int buf_put_csv(struct buf *out, const char *s)
{
    size_t n = strcspn(s, ",\"\r\n");
    int rc;

    if (!s[n])
        return buf_append(out, s, n);
    rc = buf_putc(out, '"');
    while (!rc) {
        const char *quote = strchr(s, '"');

        n = quote ? (size_t)(quote - s) : strlen(s);
        rc = buf_append(out, s, n);
        if (rc || !quote)
            break;
        rc = buf_append(out, "\"\"", 2);
        s = quote + 1;
    }
    return rc ? rc : buf_putc(out, '"');
}

int buf_put_json_string(struct buf *out, const char *s)
{
    int rc = buf_putc(out, '"');

    while (!rc && *s) {
        size_t n = 0;
        unsigned char c;
        char esc[8];

        while ((unsigned char)s[n] >= 0x20 && s[n] != '"' && s[n] != '\\')
            n++;
        rc = buf_append(out, s, n);
        s += n;
        if (rc || !*s)
            break;
        c = (unsigned char)*s++;
        switch (c) {
        case '"':
        case '\\':
            esc[0] = '\\';
            esc[1] = (char)c;
            esc[2] = '\0';
            break;
        case '\b':
            lcw_strlcpy(esc, "\\b", sizeof(esc));
            break;
        case '\f':
            lcw_strlcpy(esc, "\\f", sizeof(esc));
            break;
        case '\n':
            lcw_strlcpy(esc, "\\n", sizeof(esc));
            break;
        case '\r':
            lcw_strlcpy(esc, "\\r", sizeof(esc));
            break;
        case '\t':
            lcw_strlcpy(esc, "\\t", sizeof(esc));
            break;
        default:
            (void)snprintf(esc, sizeof(esc), "\\u%04X", c);
            break;
        }
        rc = buf_puts(out, esc);
    }
    return rc ? rc : buf_putc(out, '"');
}

int buf_put_i64(struct buf *out, int64_t v)
{
    char num[24];
    char *p = num + sizeof(num);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return buf_append(out, p, (size_t)(num + sizeof(num) - p));
}
