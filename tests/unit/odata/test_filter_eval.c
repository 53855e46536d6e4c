/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for odata_eval (src/odata/filter_eval.c): a table of filters
 * evaluated against one directory user, case-sensitive (scope rules) and
 * case-insensitive (directory $filter), with OData null semantics,
 * datetimes, flags and lambdas.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lcw/common.h"
#include "lcw/odata.h"

static const char user_json[] =
        "{\"displayName\":\"Adele Vance\",\"department\":\"Marketing\",\"city\":\"Redmond\","
        "\"accountEnabled\":true,\"employeeOrgData\":{\"costCenter\":\"100\",\"division\":"
        "\"R&D\"},\"otherMails\":[\"Avery@contoso.com\",\"adele@fabrikam.com\"],"
        "\"assignedLicenses\":[{\"skuId\":\"6fd2c87f-b296-42f0-b197-1e91e994b900\"}],"
        "\"employeeHireDate\":\"2024-03-01T08:00:00Z\",\"age\":41,\"score\":2.5,"
        "\"hiredMs\":1709280000000,"
        "\"category\":\"joiner, mover\",\"mail\":null,"
        "\"id\":\"6FD2C87F-B296-42F0-B197-1E91E994B900\",\"tags\":[\"a\",\"b\"],\"empty\":[],"
        "\"groups\":[{\"name\":\"g1\",\"members\":[\"x\",\"y\"]},{\"name\":\"g2\",\"members\":"
        "[\"z\"]}],\"big\":9223372036854775807,\"flag\":0}";

#define CS 0u
#define CI ODATA_EVAL_CASE_INSENSITIVE

static const struct {
    const char *filter;
    unsigned flags;
    bool want;
} rows[] = {
        /* Scope rules from the spec, case-sensitive. */
        {"department eq 'Marketing'", CS, true},
        {"(department in ('Marketing'))", CS, true},
        {"(accountEnabled eq true)", CS, true},
        {"(employeeOrgData/costCenter eq '100')", CS, true},
        {"(otherMails/any(p:startsWith(p, 'Av')))", CS, true},
        {"(department eq 'Marketing') or (not (city eq 'Redmond'))", CS, true},
        {"(department eq 'Sales') or (not (city eq 'Redmond'))", CS, false},
        {"(department eq 'Sales') or (not (city eq 'Paris'))", CS, true},
        {"department in ('Sales','HR')", CS, false},
        {"department in ('Sales','Marketing')", CS, true},
        {"department ne 'Marketing'", CS, false},
        /* Case sensitivity. */
        {"department eq 'marketing'", CS, false},
        {"department eq 'marketing'", CI, true},
        {"department in ('MARKETING')", CI, true},
        {"otherMails/any(p: startswith(p, 'av'))", CS, false},
        {"otherMails/any(p: startswith(p, 'av'))", CI, true},
        {"endswith(displayName, 'VANCE')", CS, false},
        {"endswith(displayName, 'VANCE')", CI, true},
        {"contains(displayName, 'LE va')", CI, true},
        {"displayName lt 'a'", CS, true},           /* 'A' < 'a' in bytes */
        {"displayName lt 'a'", CI, false},          /* "adele vance" > "a" */
        {"DisplayName eq 'Adele Vance'", CS, true}, /* property names are case-insensitive */
        {"id eq '6fd2c87f-b296-42f0-b197-1e91e994b900'", CS, true}, /* GUIDs always CI */
        {"id eq 6fd2c87f-b296-42f0-b197-1e91e994b900", CS, true},
        /* Functions. */
        {"otherMails/any(p: endswith(p, '@fabrikam.com'))", CS, true},
        {"otherMails/all(p: contains(p, '@'))", CS, true},
        {"otherMails/all(p: contains(p, 'contoso'))", CS, false},
        {"startswith(displayName, '')", CS, true},
        {"startswith(nosuch, 'a')", CS, false},
        {"startswith(age, '4')", CS, false},
        {"contains(displayName, 'le Va')", CS, true},
        {"contains(displayName, 'Adele Vance and more')", CS, false},
        {"startswith(displayName,'Ad') eq false", CS, false},
        {"not startswith(displayName,'X')", CS, true},
        /* Types: mismatches compare as not equal. */
        {"employeeOrgData/costCenter eq 100", CS, false},
        {"employeeOrgData/costCenter ne 100", CS, true},
        {"employeeOrgData/costCenter gt 1", CS, false},
        {"accountEnabled eq 'x'", CS, false},
        {"accountEnabled ne false", CS, true},
        {"accountEnabled eq 1", CS, true},
        {"flag eq false", CS, true},
        {"age gt 40", CS, true},
        {"age le 40", CS, false},
        {"age eq 41", CS, true},
        {"age eq true", CS, false},
        {"score gt 2", CS, true},
        {"score lt 2", CS, false},
        {"big eq 9223372036854775807", CS, true},
        {"big gt -9223372036854775808", CS, true},
        {"employeeOrgData eq 'x'", CS, false},
        /* Null semantics. */
        {"mail eq null", CS, true},
        {"mail ne null", CS, false},
        {"nosuch eq null", CS, true},
        {"nosuch ne null", CS, false},
        {"department eq null", CS, false},
        {"department ne null", CS, true},
        {"nosuch eq 'x'", CS, false},
        {"nosuch ne 'x'", CS, true},
        {"nosuch lt 'x'", CS, false},
        {"nosuch gt 'x'", CS, false},
        {"not (nosuch lt 'x')", CS, true},
        {"department gt null", CS, false},
        {"nosuch le null", CS, false},
        {"nosuch in ('a', null)", CS, true},
        {"nosuch in ('a')", CS, false},
        {"employeeOrgData/missing eq null", CS, true},
        {"city/sub eq null", CS, true},
        /* Datetimes: RFC 3339 strings and integer milliseconds compare as times. */
        {"employeeHireDate ge 2024-01-01T00:00:00Z", CS, true},
        {"employeeHireDate eq 2024-03-01T08:00:00.000Z", CS, true},
        {"employeeHireDate eq 2024-03-01T10:00:00+02:00", CS, true},
        {"employeeHireDate lt 2024-03-01T09:00:00+02:00", CS, false},
        {"employeeHireDate gt 2024-03-01T09:00:00+02:00", CS, true},
        {"employeeHireDate lt 2024-03-02", CS, true},
        {"hiredMs eq 2024-03-01T08:00:00Z", CS, true},
        {"department ge 2024-01-01T00:00:00Z", CS, false},
        {"employeeHireDate ge '2024-01-01'", CS, true}, /* a quoted string compares as text */
        /* Flags. */
        {"category has 'joiner'", CS, true},
        {"category has 'mover'", CS, true},
        {"category has 'leaver'", CS, false},
        {"category has 'joiner,mover'", CS, true},
        {"category has 'joiner,leaver'", CS, false},
        {"category has 'JOINER'", CS, false},
        {"category has 'JOINER'", CI, true},
        {"category has ''", CS, false},
        {"category has 'join'", CS, false},
        {"tags has 'b'", CS, true},
        {"nosuch has 'b'", CS, false},
        {"age has 'b'", CS, false},
        /* Lambdas. */
        {"assignedLicenses/any(l:l/skuId eq 6FD2C87F-B296-42F0-B197-1E91E994B900)", CS, true},
        {"assignedLicenses/any(l:l/skuId eq 00000000-0000-0000-0000-000000000000)", CS, false},
        {"members/any()", CS, false},
        {"otherMails/any()", CS, true},
        {"empty/any()", CS, false},
        {"empty/any(x: x eq 1)", CS, false},
        {"empty/all(x: x eq 1)", CS, true},
        {"nosuch/all(x: x eq 1)", CS, true},
        {"department/any()", CS, false},
        {"tags/all(t: t in ('a', 'b'))", CS, true},
        {"tags/all(t: t eq 'a')", CS, false},
        {"groups/any(g: g/members/any(m: m eq 'z') and g/name eq 'g2')", CS, true},
        {"groups/any(g: g/members/any(m: m eq 'z') and g/name eq 'g1')", CS, false},
        {"groups/any(g: g/members/any(m: m eq 'x' and g/name eq 'g1'))", CS, true},
        {"groups/all(g: g/members/any())", CS, true},
        {"otherMails/any(p: p eq 'avery@contoso.com')", CI, true},
        {"otherMails/any(p: p eq 'avery@contoso.com')", CS, false},
        /* Combinations. */
        {"displayName eq 'Adele Vance' and age ge 41", CS, true},
        {"displayName eq 'Adele Vance' and age ge 42", CS, false},
        {"not (department eq 'Marketing' and city eq 'Redmond')", CS, false},
        {"not not department eq 'Marketing'", CS, true},
};

static void test_filter_eval__table__expected(void **state)
{
    json_error_t jerr;
    json_t *user = json_loads(user_json, 0, &jerr);

    (void)state;
    if (!user)
        fail_msg("bad test JSON: %s", jerr.text);
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        struct odata_expr *e = NULL;
        struct lcw_error err = {0};
        bool got = !rows[k].want;
        int rc = odata_filter_parse(rows[k].filter, strlen(rows[k].filter), &e, &err);
        if (rc)
            fail_msg("row %zu: parse %s: %s", k, rows[k].filter, err.msg);
        assert_int_equal(odata_eval(e, user, rows[k].flags, &got, &err), 0);
        if (got != rows[k].want)
            fail_msg("row %zu: %s (flags %u): got %d want %d", k, rows[k].filter, rows[k].flags,
                     got, rows[k].want);
        odata_expr_free(e);
    }
    json_decref(user);
}

static void test_filter_eval__not_an_object__properties_missing(void **state)
{
    struct odata_expr *e = NULL;
    json_t *arr = json_array();
    bool out = false;

    (void)state;
    assert_int_equal(odata_filter_parse("a eq null", 9, &e, NULL), 0);
    assert_int_equal(odata_eval(e, arr, 0, &out, NULL), 0);
    assert_true(out);
    assert_int_equal(odata_eval(e, NULL, 0, &out, NULL), 0);
    assert_true(out);
    odata_expr_free(e);
    json_decref(arr);
}

static void test_filter_eval__bad_args__einval(void **state)
{
    struct lcw_error err = {0};
    bool out;

    (void)state;
    assert_int_equal(odata_eval(NULL, NULL, 0, &out, &err), LCW_EINVAL);
    assert_string_equal(err.msg, "$filter: nothing to evaluate");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_filter_eval__table__expected),
            cmocka_unit_test(test_filter_eval__not_an_object__properties_missing),
            cmocka_unit_test(test_filter_eval__bad_args__einval),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
