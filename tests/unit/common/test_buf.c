/* SPDX-License-Identifier: MIT */
/* Capped buffers: growth, the cap on every append path, NUL termination, reset and detach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_buf__appends__exact_up_to_the_cap),
            cmocka_unit_test(test_buf__detach__hands_over_and_restarts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
