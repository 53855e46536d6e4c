/* SPDX-License-Identifier: MIT */
/*
 * RFC 3339 formatting and parsing on integer milliseconds, with the civil
 * calendar done by arithmetic (Howard Hinnant's days-from-civil), so that no
 * libc time function with hidden global state is needed. Also the system
 * clock behind `struct lcw_clock`. Thread-safe.
 */
#include "lcw/common.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MS_PER_DAY 86400000LL

int64_t timefmt_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void timefmt_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static char *format(int64_t ms, char out[TIMEFMT_LEN], bool always_ms);

char *timefmt_format(int64_t ms, char out[TIMEFMT_LEN])
{
    return format(ms, out, false);
}

char *timefmt_format_ms(int64_t ms, char out[TIMEFMT_LEN])
{
    return format(ms, out, true);
}

/* Write `v` (< 100) as two decimal digits at `p`; returns the end. */
static char *put2(char *p, unsigned v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";

    memcpy(p, &pairs[2 * v], 2);
    return p + 2;
}

/*
 * The digits are written by hand: snprintf with seven conversions was the
 * largest single cost of a history export (three times per row). Years
 * outside 0..9999 (never recorded by lcw) keep the snprintf form.
 */
static char *format(int64_t ms, char out[TIMEFMT_LEN], bool always_ms)
{
    int64_t days = ms / MS_PER_DAY, rem = ms % MS_PER_DAY, y;
    unsigned mo, d, h, mi, s, frac;
    char *p = out;

    if (rem < 0) {
        rem += MS_PER_DAY;
        days--;
    }
    timefmt_civil_from_days(days, &y, &mo, &d);
    h = (unsigned)(rem / 3600000);
    mi = (unsigned)(rem / 60000 % 60);
    s = (unsigned)(rem / 1000 % 60);
    frac = (unsigned)(rem % 1000);
    if (y < 0 || y > 9999) {
        if (frac || always_ms)
            (void)snprintf(out, TIMEFMT_LEN, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)y,
                           mo, d, h, mi, s, frac);
        else
            (void)snprintf(out, TIMEFMT_LEN, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, mo,
                           d, h, mi, s);
        return out;
    }
    p = put2(p, (unsigned)y / 100);
    p = put2(p, (unsigned)y % 100);
    *p++ = '-';
    p = put2(p, mo);
    *p++ = '-';
    p = put2(p, d);
    *p++ = 'T';
    p = put2(p, h);
    *p++ = ':';
    p = put2(p, mi);
    *p++ = ':';
    p = put2(p, s);
    if (frac || always_ms) {
        *p++ = '.';
        *p++ = (char)('0' + frac / 100);
        p = put2(p, frac % 100);
    }
    *p++ = 'Z';
    *p = '\0';
    return out;
}

/* Read exactly `n` digits at s[*i] into *out. */
static bool read_digits(const char *s, size_t len, size_t *i, unsigned n, unsigned *out)
{
    unsigned v = 0;

    if (*i + n > len)
        return false;
    for (unsigned k = 0; k < n; k++) {
        char c = s[*i + k];

        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *i += n;
    *out = v;
    return true;
}

static bool expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return false;
    (*i)++;
    return true;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : dim[m - 1];
}

int timefmt_parse(const char *s, size_t len, int64_t *out_ms)
{
    size_t i = 0;
    unsigned y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
    int64_t offset_min = 0, t;

    if (!s || !read_digits(s, len, &i, 4, &y) || !expect(s, len, &i, '-') ||
        !read_digits(s, len, &i, 2, &mo) || !expect(s, len, &i, '-') ||
        !read_digits(s, len, &i, 2, &d))
        return LCW_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return LCW_EINVAL;
    if (i == len)
        goto done;
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
        return LCW_EINVAL;
    i++;
    if (!read_digits(s, len, &i, 2, &h) || !expect(s, len, &i, ':') ||
        !read_digits(s, len, &i, 2, &mi) || !expect(s, len, &i, ':') ||
        !read_digits(s, len, &i, 2, &sec))
        return LCW_EINVAL;
    if (h > 23 || mi > 59 || sec > 60)
        return LCW_EINVAL;
    if (sec == 60)
        sec = 59; /* a leap second is read as the second before it */
    if (i < len && s[i] == '.') {
        unsigned scale = 100, digits = 0;

        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            ms += (unsigned)(s[i] - '0') * scale;
            scale /= 10;
            i++;
            digits++;
        }
        if (digits == 0 || digits > 9)
            return LCW_EINVAL;
    }
    if (i >= len)
        return LCW_EINVAL;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        int sign = s[i] == '-' ? -1 : 1;
        unsigned oh, om;

        i++;
        if (!read_digits(s, len, &i, 2, &oh) || !expect(s, len, &i, ':') ||
            !read_digits(s, len, &i, 2, &om) || oh > 23 || om > 59)
            return LCW_EINVAL;
        offset_min = sign * (int64_t)(oh * 60 + om);
    } else {
        return LCW_EINVAL;
    }
    if (i != len)
        return LCW_EINVAL;
done:
    t = timefmt_days_from_civil(y, mo, d) * MS_PER_DAY;
    t += ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + ms;
    t -= offset_min * 60000;
    *out_ms = t;
    return 0;
}

static int64_t system_now_ms(void *ctx)
{
    struct timespec ts;

    (void)ctx;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct lcw_clock system_clock = {system_now_ms, NULL};

const struct lcw_clock *lcw_clock_system(void)
{
    return &system_clock;
}

int64_t lcw_clock_now(const struct lcw_clock *c)
{
    return c->now_ms(c->ctx);
}

int64_t lcw_monotonic_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
