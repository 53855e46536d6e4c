/* SPDX-License-Identifier: MIT */
/* RFC 3339 parsing and formatting: table-driven, valid and invalid inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_timefmt__valid_inputs__parse_to_ms),
            cmocka_unit_test(test_timefmt__invalid_inputs__einval),
            cmocka_unit_test(test_timefmt__format__round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
