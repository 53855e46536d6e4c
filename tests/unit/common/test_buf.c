/* SPDX-License-Identifier: MIT */
/* Capped buffers: growth, the cap on every append path, NUL termination, reset and detach,
 * and the export text writers (CSV field, JSON string, decimal). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "lcw/common.h"

/* Appends of 1..9 bytes and single characters up to the cap, across every growth step. */
static void test_buf__appends__exact_up_to_the_cap(void **state)
{
    static const size_t maxes[] = {1, 2, 63, 64, 65, 127, 128, 129, 1000};
    (void)state;
    for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
        struct buf b;
        char want[1024];
        size_t len = 0;

        buf_init(&b, maxes[m]);
        for (size_t i = 0;; i++) {
            char chunk[10];
            size_t n = i % 3 == 0 ? 1 : 1 + i % 9;
            int rc;

            for (size_t k = 0; k < n; k++)
                chunk[k] = (char)('a' + (i + k) % 26);
            rc = n == 1 ? buf_putc(&b, chunk[0]) : buf_append(&b, chunk, n);
            if (len + n > maxes[m]) {
                /* Refused, and the buffer is as it was. */
                assert_int_equal(rc, LCW_ETOOBIG);
                assert_int_equal(b.len, len);
                break;
            }
            assert_int_equal(rc, 0);
            memcpy(want + len, chunk, n);
            len += n;
            want[len] = '\0';
            assert_int_equal(b.len, len);
            assert_true(b.cap > b.len);
            assert_string_equal(b.data, want);
        }
        /* Single characters fill the rest exactly. */
        while (b.len < maxes[m]) {
            assert_int_equal(buf_putc(&b, 'z'), 0);
            want[len++] = 'z';
            want[len] = '\0';
        }
        assert_string_equal(buf_cstr(&b), want);
        assert_int_equal(buf_putc(&b, 'z'), LCW_ETOOBIG);
        assert_int_equal(buf_append(&b, "", 0), 0);
        buf_reset(&b);
        assert_string_equal(buf_cstr(&b), "");
        assert_int_equal(buf_puts(&b, "x"), 0);
        assert_string_equal(buf_cstr(&b), "x");
        buf_release(&b);
    }
}

static void test_buf__detach__hands_over_and_restarts(void **state)
{
    struct buf b;
    char *s;

    (void)state;
    buf_init(&b, 16);
    assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
    s = buf_detach(&b);
    assert_string_equal(s, "42-x");
    lcw_free(s);
    assert_null(b.data);
    assert_int_equal(buf_putc(&b, 'y'), 0);
    assert_string_equal(buf_cstr(&b), "y");
    buf_release(&b);
}

static void test_buf__csv__quotes_only_when_needed(void **state)
{
    static const char *const cases[][2] = {
            {"plain", "plain"},
            {"", ""},
            {"a,b", "\"a,b\""},
            {"say \"hi\"", "\"say \"\"hi\"\"\""},
            {"\"", "\"\"\"\""},
            {"line\nbreak", "\"line\nbreak\""},
            {"cr\r", "\"cr\r\""},
            {"Doe, Jane \"J\"", "\"Doe, Jane \"\"J\"\"\""},
            {"caf\xc3\xa9 \t tab", "caf\xc3\xa9 \t tab"},
    };
    struct buf b;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        buf_init(&b, 256);
        assert_int_equal(buf_put_csv(&b, cases[i][0]), 0);
        assert_string_equal(buf_cstr(&b), cases[i][1]);
        buf_release(&b);
    }
}

static void test_buf__json_string__equals_janssons_compact_dump(void **state)
{
    static const char *const cases[] = {
            "plain",
            "",
            "quote \" and backslash \\",
            "\b\f\n\r\t",
            "\x01\x1f\x7f",
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
            "</script>",
    };
    struct buf b;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *v = json_string(cases[i]);
        char *want = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

        assert_non_null(want);
        buf_init(&b, 256);
        assert_int_equal(buf_put_json_string(&b, cases[i]), 0);
        assert_string_equal(buf_cstr(&b), want);
        buf_release(&b);
        free(want);
        json_decref(v);
    }
}

static void test_buf__i64__as_printf_writes_it(void **state)
{
    static const int64_t cases[] = {0, 7, -7, 10, 1767225600000LL, INT64_MAX, INT64_MIN};
    char want[32];
    struct buf b;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        (void)snprintf(want, sizeof(want), "%lld", (long long)cases[i]);
        buf_init(&b, 64);
        assert_int_equal(buf_put_i64(&b, cases[i]), 0);
        assert_string_equal(buf_cstr(&b), want);
        buf_release(&b);
    }
    buf_init(&b, 3); /* the cap holds: nothing is written past it */
    assert_int_equal(buf_put_i64(&b, 12345), LCW_ETOOBIG);
    assert_int_equal(b.len, 0);
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_buf__appends__exact_up_to_the_cap),
            cmocka_unit_test(test_buf__detach__hands_over_and_restarts),
            cmocka_unit_test(test_buf__csv__quotes_only_when_needed),
            cmocka_unit_test(test_buf__json_string__equals_janssons_compact_dump),
            cmocka_unit_test(test_buf__i64__as_printf_writes_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
