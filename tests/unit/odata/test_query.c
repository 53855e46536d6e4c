/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for odata_query_parse (src/odata/query.c): each option's
 * accepted forms, the refusals (not allowed, unknown, repeated, bad value)
 * with their exact messages, and an allocation-failure loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lcw/common.h"
#include "lcw/odata.h"

#define ALL_OPTS 0x1ffu

static int parse1(const char *key, const char *value, unsigned allowed, struct odata_query *q,
                  struct lcw_error *err)
{
    struct odata_kv kv = {key, value};

    return odata_query_parse(&kv, 1, allowed, q, err);
}

static void test_query__all_options__parsed(void **state)
{
    const struct odata_kv kv[] = {
            {"$filter", "displayName eq 'x'"},
            {"$ORDERBY", "displayName desc, createdDateTime ,version ASC"},
            {"$top", "25"},
            {"$skip", "10"},
            {"$skiptoken", "abc_-"},
            {"$count", "TRUE"},
            {"$select", " id,displayName ,category"},
            {"$expand", "tasks($select=id,displayName;$top=2),createdBy"},
            {"$search", "\"displayName:onboard\""},
            {"api-version", "1"}, /* not a $-option: ignored */
            {NULL, "x"},
    };
    struct odata_query q;
    struct lcw_error err = {0};

    (void)state;
    assert_int_equal(odata_query_parse(kv, sizeof(kv) / sizeof(kv[0]), ALL_OPTS, &q, &err), 0);
    assert_non_null(q.filter);
    assert_int_equal(q.n_orderby, 3);
    assert_string_equal(q.orderby[0].property, "displayName");
    assert_true(q.orderby[0].desc);
    assert_string_equal(q.orderby[1].property, "createdDateTime");
    assert_false(q.orderby[1].desc);
    assert_string_equal(q.orderby[2].property, "version");
    assert_false(q.orderby[2].desc);
    assert_int_equal(q.top, 25);
    assert_int_equal(q.skip, 10);
    assert_string_equal(q.skiptoken, "abc_-");
    assert_true(q.count);
    assert_int_equal(q.n_select, 3);
    assert_string_equal(q.select[0], "id");
    assert_string_equal(q.select[1], "displayName");
    assert_string_equal(q.select[2], "category");
    assert_int_equal(q.n_expand, 2);
    assert_string_equal(q.expand[0], "tasks");
    assert_string_equal(q.expand[1], "createdBy");
    assert_string_equal(q.search, "displayName:onboard");
    assert_int_equal(q.given, ALL_OPTS);
    odata_query_release(&q);
    assert_null(q.filter);
    assert_int_equal(q.top, -1);
    odata_query_release(&q); /* twice is fine */
}

static void test_query__defaults__empty(void **state)
{
    struct odata_query q;

    (void)state;
    assert_int_equal(odata_query_parse(NULL, 0, 0, &q, NULL), 0);
    assert_null(q.filter);
    assert_int_equal(q.top, -1);
    assert_int_equal(q.skip, 0);
    assert_false(q.count);
    assert_null(q.search);
    assert_int_equal(q.given, 0);
    odata_query_release(&q);
    odata_query_release(NULL);
}

static const struct {
    const char *key;
    const char *value;
    const char *want; /* NULL = accepted */
} rows[] = {
        {"$top", "1", NULL},
        {"$top", "999", NULL},
        {"$top", "0", "Invalid value '0' for $top; expected a whole number from 1 to 999"},
        {"$top", "1000", "Invalid value '1000' for $top; expected a whole number from 1 to 999"},
        {"$top", "-1", "Invalid value '-1' for $top; expected a whole number from 1 to 999"},
        {"$top", "ten", "Invalid value 'ten' for $top; expected a whole number from 1 to 999"},
        {"$top", "", "Invalid value '' for $top; expected a whole number from 1 to 999"},
        {"$top", " 5", "Invalid value ' 5' for $top; expected a whole number from 1 to 999"},
        {"$skip", "0", NULL},
        {"$skip", "-3",
         "Invalid value '-3' for $skip; expected a whole number from 0 to 2147483647"},
        {"$count", "false", NULL},
        {"$count", "yes", "Invalid value 'yes' for $count; expected true or false"},
        {"$orderby", "displayName", NULL},
        {"$orderby", "subject/displayName desc", NULL},
        {"$orderby", "displayName  DESC", NULL},
        {"$orderby", "", "$orderby: expected a property name at position 1"},
        {"$orderby", "a,,b", "$orderby: expected a property name at position 3"},
        {"$orderby", "a, ", "$orderby: expected a property name at position 4"},
        {"$orderby", "displayName down",
         "$orderby: expected 'asc' or 'desc' after 'displayName' at position 13"},
        {"$orderby", "displayName,displayname desc",
         "$orderby: 'displayname' appears more than once"},
        {"$orderby", "a,b,c,d,e,f,g,h", NULL},
        {"$orderby", "a,b,c,d,e,f,g,h,i", "$orderby: at most 8 properties"},
        {"$orderby", "(a)", "$orderby: expected a property name at position 1"},
        {"$select", "id", NULL},
        {"$select", "*", NULL},
        {"$select", "id,", "$select: expected a property name at position 4"},
        {"$select", "id;drop", "$select: invalid property name 'id;drop' at position 1"},
        {"$expand", "tasks", NULL},
        {"$expand", "tasks($expand=x($select=y))", NULL},
        {"$expand", "tasks(", "$expand: unbalanced parentheses"},
        {"$expand", "tasks)", "$expand: unbalanced parentheses"},
        {"$expand", "(x)", "$expand: invalid navigation property '(x)' at position 1"},
        {"$expand", "ta sks", "$expand: invalid navigation property 'ta sks' at position 1"},
        {"$search", "onboard", NULL},
        {"$search", "\"\"", "$search: the search text is empty"},
        {"$search", "", "$search: the search text is empty"},
        {"$skiptoken", "", "The $skiptoken is not valid for this query"},
        {"$filter", "", "$filter: the filter is empty"},
        {"$filter", "a eq",
         "$filter: expected a value after 'eq' at position 5, found the end of "
         "the filter"},
        {"$format", "json", "Query option '$format' is not supported on this resource"},
        {"$", "x", "Query option '$' is not supported on this resource"},
};

static void test_query__values__validated(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        struct odata_query q;
        struct lcw_error err = {0};
        int rc = parse1(rows[k].key, rows[k].value, ALL_OPTS, &q, &err);
        if (!rows[k].want && rc)
            fail_msg("row %zu: %s=%s: unexpected %s", k, rows[k].key, rows[k].value, err.msg);
        if (rows[k].want && (rc != LCW_EINVAL || strcmp(err.msg, rows[k].want) != 0))
            fail_msg("row %zu: %s=%s\n  got  %d %s\n  want %s", k, rows[k].key, rows[k].value, rc,
                     err.msg, rows[k].want);
        if (rc) {
            assert_null(q.filter); /* released on failure */
            assert_int_equal(q.n_orderby, 0);
        }
        odata_query_release(&q);
    }
}

static void test_query__not_allowed__einval(void **state)
{
    struct odata_query q;
    struct lcw_error err = {0};

    (void)state;
    assert_int_equal(parse1("$expand", "tasks", ODATA_OPT_FILTER | ODATA_OPT_TOP, &q, &err),
                     LCW_EINVAL);
    assert_string_equal(err.msg, "Query option '$expand' is not supported on this resource");
    assert_int_equal(parse1("$SEARCH", "x", ODATA_OPT_FILTER, &q, &err), LCW_EINVAL);
    assert_string_equal(err.msg, "Query option '$search' is not supported on this resource");
    /* Without the '$' it is not an option at all. */
    assert_int_equal(parse1("expand", "tasks", 0, &q, &err), 0);
    assert_int_equal(q.n_expand, 0);
    odata_query_release(&q);
}

static void test_query__duplicate__einval(void **state)
{
    const struct odata_kv kv[] = {{"$top", "5"}, {"$filter", "a eq 1"}, {"$Top", "6"}};
    struct odata_query q;
    struct lcw_error err = {0};

    (void)state;
    assert_int_equal(odata_query_parse(kv, 3, ALL_OPTS, &q, &err), LCW_EINVAL);
    assert_string_equal(err.msg, "Query option '$top' was specified more than once");
    assert_null(q.filter);
    assert_int_equal(q.top, -1);
}

static void test_query__null_value__empty(void **state)
{
    struct odata_query q;
    struct lcw_error err = {0};

    (void)state;
    assert_int_equal(parse1("$top", NULL, ALL_OPTS, &q, &err), LCW_EINVAL);
    assert_int_equal(parse1("$filter", "a eq 1", ALL_OPTS, NULL, &err), LCW_EINVAL);
}

static void test_query__alloc_failure__enomem(void **state)
{
    const struct odata_kv kv[] = {
            {"$filter", "displayName eq 'x' or a/any(p: p eq 1)"},
            {"$orderby", "displayName desc,createdDateTime"},
            {"$skiptoken", "abc"},
            {"$select", "id,displayName,category"},
            {"$expand", "tasks($select=id),createdBy"},
            {"$search", "\"x\""},
    };
    int rc = LCW_ENOMEM;
    long n;

    (void)state;
    for (n = 1; rc == LCW_ENOMEM && n < 10000; n++) {
        struct odata_query q;
        lcw_alloc_fail_at(n);
        rc = odata_query_parse(kv, sizeof(kv) / sizeof(kv[0]), ALL_OPTS, &q, NULL);
        lcw_alloc_fail_at(0);
        if (rc)
            assert_int_equal(rc, LCW_ENOMEM);
        odata_query_release(&q);
    }
    assert_int_equal(rc, 0);
    assert_true(n > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_query__all_options__parsed),
            cmocka_unit_test(test_query__defaults__empty),
            cmocka_unit_test(test_query__values__validated),
            cmocka_unit_test(test_query__not_allowed__einval),
            cmocka_unit_test(test_query__duplicate__einval),
            cmocka_unit_test(test_query__null_value__empty),
            cmocka_unit_test(test_query__alloc_failure__enomem),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
