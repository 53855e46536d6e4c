/* SPDX-License-Identifier: MIT */
/*
 * One line per event on stderr, logfmt or JSON. Each line is formatted into
 * a stack buffer and written with a single write(2), so concurrent lines do
 * not interleave. The level and format are set once at start-up.
 */
#include "lcw/common.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level min_level = LOG_LEVEL_INFO;
static enum log_format out_format = LOG_FORMAT_LOGFMT;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_setup(enum log_level level, enum log_format format)
{
    min_level = level;
    out_format = format;
}

int log_level_parse(const char *s, enum log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (lcw_str_eq_ci(s, level_names[i])) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return LCW_EINVAL;
}

int log_format_parse(const char *s, enum log_format *out)
{
    if (lcw_str_eq_ci(s, "logfmt") || lcw_str_eq_ci(s, "text")) {
        *out = LOG_FORMAT_LOGFMT;
        return 0;
    }
    if (lcw_str_eq_ci(s, "json")) {
        *out = LOG_FORMAT_JSON;
        return 0;
    }
    return LCW_EINVAL;
}

/* Append `s` as a JSON string body (without quotes), escaping as needed. */
static size_t json_escape(char *dst, size_t cap, size_t o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o + 7 < cap; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", c);
        } else {
            dst[o++] = (char)c;
        }
    }
    return o;
}

/*
 * Turn a logfmt fragment (k=v k2="v w") into JSON members. Values stay
 * strings: the reader of JSON logs gets the same text the logfmt reader does.
 */
static size_t logfmt_to_json(char *dst, size_t cap, size_t o, const char *f)
{
    size_t i = 0, n = strlen(f);

    while (i < n && o + 16 < cap) {
        size_t ks, ke, vs, ve;

        while (i < n && f[i] == ' ')
            i++;
        ks = i;
        while (i < n && f[i] != '=' && f[i] != ' ')
            i++;
        ke = i;
        if (ke == ks)
            break;
        if (i < n && f[i] == '=')
            i++;
        if (i < n && f[i] == '"') {
            vs = ++i;
            while (i < n && !(f[i] == '"' && f[i - 1] != '\\'))
                i++;
            ve = i;
            if (i < n)
                i++;
        } else {
            vs = i;
            while (i < n && f[i] != ' ')
                i++;
            ve = i;
        }
        dst[o++] = ',';
        dst[o++] = '"';
        o = json_escape(dst, cap, o, f + ks, ke - ks);
        dst[o++] = '"';
        dst[o++] = ':';
        dst[o++] = '"';
        o = json_escape(dst, cap, o, f + vs, ve - vs);
        dst[o++] = '"';
    }
    return o;
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
    char fields[2048], line[4096], ts[TIMEFMT_LEN];
    size_t o;
    va_list ap;
    int n;

    if (level < min_level)
        return;
    va_start(ap, fmt);
    n = vsnprintf(fields, sizeof(fields), fmt, ap);
    va_end(ap);
    if (n < 0)
        fields[0] = '\0';
    timefmt_format(lcw_clock_now(lcw_clock_system()), ts);
    if (out_format == LOG_FORMAT_JSON) {
        n = snprintf(line, sizeof(line), "{\"time\":\"%s\",\"level\":\"%s\",\"event\":\"", ts,
                     level_names[level]);
        o = n > 0 ? (size_t)n : 0;
        o = json_escape(line, sizeof(line), o, event, strlen(event));
        line[o++] = '"';
        o = logfmt_to_json(line, sizeof(line) - 3, o, fields);
        line[o++] = '}';
    } else {
        n = snprintf(line, sizeof(line), "time=%s level=%s event=%s%s%s", ts, level_names[level],
                     event, fields[0] ? " " : "", fields);
        o = n > 0 ? (size_t)n : 0;
        if (o > sizeof(line) - 2)
            o = sizeof(line) - 2;
    }
    line[o++] = '\n';
    (void)!write(STDERR_FILENO, line, o);
}
