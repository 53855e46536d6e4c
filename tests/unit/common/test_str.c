/* SPDX-License-Identifier: MIT */
/* Checked integer parsing, capped buffers, UUIDs and allocation failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "lcw/common.h"

static void test_str_to_i64__table__parses_or_rejects(void **state)
{
    static const struct {
        const char *in;
        int rc;
        int64_t v;
    } rows[] = {
            {"0", 0, 0},
            {"42", 0, 42},
            {"-180", 0, -180},
            {"+7", 0, 7},
            {"9223372036854775807", 0, INT64_MAX},
            {"-9223372036854775808", 0, INT64_MIN},
            {"9223372036854775808", LCW_EINVAL, 0},
            {"", LCW_EINVAL, 0},
            {"-", LCW_EINVAL, 0},
            {"12a", LCW_EINVAL, 0},
            {" 1", LCW_EINVAL, 0},
            {"1.5", LCW_EINVAL, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int64_t v = 0;

        assert_int_equal(str_to_i64(rows[i].in, strlen(rows[i].in), &v), rows[i].rc);
        if (rows[i].rc == 0)
            assert_int_equal(v, rows[i].v);
    }
}

static void test_buf__cap__refuses_growth_and_keeps_content(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 8);
    assert_string_equal(buf_cstr(&b), "");
    assert_int_equal(buf_puts(&b, "abcd"), 0);
    assert_int_equal(buf_printf(&b, "%d", 123), 0);
    assert_string_equal(buf_cstr(&b), "abcd123");
    assert_int_equal(buf_puts(&b, "xy"), LCW_ETOOBIG);
    assert_string_equal(buf_cstr(&b), "abcd123");
    assert_int_equal(buf_putc(&b, 'z'), 0);
    assert_int_equal(b.len, 8);
    buf_release(&b);
}

static void test_buf__alloc_failure__enomem_then_recovers(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 1024);
    lcw_alloc_fail_at(1);
    assert_int_equal(buf_puts(&b, "hello"), LCW_ENOMEM);
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_puts(&b, "hello"), 0);
    assert_string_equal(buf_cstr(&b), "hello");
    buf_release(&b);
}

static void test_uuid__v4_and_v7__valid_and_ordered(void **state)
{
    char a[UUID_STR_LEN], b[UUID_STR_LEN], c[UUID_STR_LEN];

    (void)state;
    assert_int_equal(lcw_crypto_init(), 0);
    uuid_v4(a);
    assert_true(uuid_valid(a, strlen(a)));
    assert_int_equal(a[14], '4');
    uuid_v7(1000, b);
    uuid_v7(2000, c);
    assert_true(uuid_valid(b, 36));
    assert_int_equal(b[14], '7');
    assert_true(strcmp(b, c) < 0);
    assert_false(uuid_valid("not-a-uuid", 10));
    assert_false(uuid_valid("3C860712-2D37-42A4-928F-5C93935D26A", 35));
    assert_true(uuid_valid("3C860712-2D37-42A4-928F-5C93935D26A1", 36));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_str_to_i64__table__parses_or_rejects),
            cmocka_unit_test(test_buf__cap__refuses_growth_and_keeps_content),
            cmocka_unit_test(test_buf__alloc_failure__enomem_then_recovers),
            cmocka_unit_test(test_uuid__v4_and_v7__valid_and_ordered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
