/* SPDX-License-Identifier: MIT */
/* RFC 3339 parsing and formatting: table-driven, valid and invalid inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lcw/common.h"

static void test_timefmt__valid_inputs__parse_to_ms(void **state)
{
    static const struct {
        const char *in;
        int64_t ms;
    } rows[] = {
            {"1970-01-01T00:00:00Z", 0},
            {"1970-01-01T00:00:00.001Z", 1},
            {"2022-08-26T04:51:27.5217824Z", 1661489487521},
            {"2024-02-29T12:00:00Z", 1709208000000},
            {"2024-02-29t12:00:00z", 1709208000000},
            {"2024-02-29T14:00:00+02:00", 1709208000000},
            {"2024-02-29T10:30:00-01:30", 1709208000000},
            {"2024-02-29", 1709164800000},
            {"1969-12-31T23:59:59Z", -1000},
            {"2016-12-31T23:59:60Z", 1483228799000},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int64_t ms = -12345;

        assert_int_equal(timefmt_parse(rows[i].in, strlen(rows[i].in), &ms), 0);
        assert_int_equal(ms, rows[i].ms);
    }
}

static void test_timefmt__invalid_inputs__einval(void **state)
{
    static const char *const rows[] = {
            "",
            "2024",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-32",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00Zjunk",
            "2024-01-01T00:00:00+0200",
            "2024/01/01",
            "abcd-ef-ghT00:00:00Z",
            "2024-01-01T00:00:00.1234567890Z",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int64_t ms;

        assert_int_equal(timefmt_parse(rows[i], strlen(rows[i]), &ms), LCW_EINVAL);
    }
}

static void test_timefmt__format__round_trips(void **state)
{
    static const struct {
        int64_t ms;
        const char *out;
    } rows[] = {
            {0, "1970-01-01T00:00:00Z"},
            {1661489487521, "2022-08-26T04:51:27.521Z"},
            {-1000, "1969-12-31T23:59:59Z"},
            {253402300799000, "9999-12-31T23:59:59Z"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char buf[TIMEFMT_LEN];
        int64_t back;

        assert_string_equal(timefmt_format(rows[i].ms, buf), rows[i].out);
        assert_int_equal(timefmt_parse(buf, strlen(buf), &back), 0);
        assert_int_equal(back, rows[i].ms);
    }
}

/* The formatters against snprintf, over years 0001..9999 and both sides of them. */
static void test_timefmt__format__matches_snprintf_form(void **state)
{
    static const int64_t fixed[] = {
            0,
            1,
            999,
            1000,
            -1,
            -999,
            -1000,
            86399999,
            951782400000 /* 2000-02-29 */,
            253402300799999 /* 9999-12-31T23:59:59.999 */,
            253402300800000 /* year 10000 */,
            -62135596800000 /* 0001-01-01 */,
            -62167219200001 /* before year 0 */,
    };
    (void)state;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) + 20000; i++) {
        /* The fixed values, then a walk with an odd step through 0001..9999. */
        int64_t ms = i < sizeof(fixed) / sizeof(fixed[0])
                             ? fixed[i]
                             : -62135596800000 + (int64_t)i * 15778800123LL;
        int64_t days = ms / 86400000LL, rem = ms % 86400000LL, y;
        unsigned mo, d;
        char want[2][64], got[TIMEFMT_LEN];

        if (rem < 0) {
            rem += 86400000LL;
            days--;
        }
        timefmt_civil_from_days(days, &y, &mo, &d);
        (void)snprintf(want[0], sizeof(want[0]), "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ",
                       (long long)y, mo, d, (unsigned)(rem / 3600000), (unsigned)(rem / 60000 % 60),
                       (unsigned)(rem / 1000 % 60), (unsigned)(rem % 1000));
        lcw_strlcpy(want[1], want[0], sizeof(want[1]));
        if (rem % 1000 == 0)
            lcw_strlcpy(strstr(want[1], ".000Z"), "Z", 2);
        assert_string_equal(timefmt_format_ms(ms, got), want[0]);
        assert_string_equal(timefmt_format(ms, got), want[1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_timefmt__valid_inputs__parse_to_ms),
            cmocka_unit_test(test_timefmt__invalid_inputs__einval),
            cmocka_unit_test(test_timefmt__format__round_trips),
            cmocka_unit_test(test_timefmt__format__matches_snprintf_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
