/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for odata_expr_check (src/odata/filter_check.c): a user
 * property map as used to validate workflow scope rules, with rows that pass
 * and rows that fail with the exact message and target.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lcw/common.h"
#include "lcw/odata.h"

#define STR_OPS (ODATA_OP_EQ | ODATA_OP_IN | ODATA_OP_STARTSWITH)

static const struct odata_property user_props[] = {
        {"accountEnabled", NULL, ODATA_T_BOOL, ODATA_OP_EQ, false},
        {"department", NULL, ODATA_T_STRING, STR_OPS, false},
        {"city", NULL, ODATA_T_STRING, STR_OPS, false},
        {"employeeOrgData/costCenter", NULL, ODATA_T_STRING, STR_OPS, false},
        {"otherMails", NULL, ODATA_T_STRING, ODATA_OP_ANY | STR_OPS, false},
        {"assignedLicenses", NULL, ODATA_T_STRING, ODATA_OP_ANY, false},
        {"assignedLicenses/skuId", NULL, ODATA_T_GUID, ODATA_OP_EQ, false},
        {"employeeHireDate", NULL, ODATA_T_DATETIME, ODATA_OP_EQ | ODATA_OP_ORDER, false},
        {"age", NULL, ODATA_T_INT, ODATA_OP_EQ | ODATA_OP_ORDER, false},
        {"category", NULL, ODATA_T_FLAGS, ODATA_OP_HAS, false},
        {"userType", NULL, ODATA_T_ENUM, ODATA_OP_EQ | ODATA_OP_IN, false},
        {"extension_*", NULL, ODATA_T_STRING, ODATA_OP_EQ, false},
};

static const struct odata_entity user = {"user", "id", user_props,
                                         sizeof(user_props) / sizeof(user_props[0])};

static const struct {
    const char *filter;
    const char *msg; /* NULL = passes */
    const char *target;
} rows[] = {
        {"(department eq 'Marketing')", NULL, NULL},
        {"(department in ('Marketing'))", NULL, NULL},
        {"(accountEnabled eq true)", NULL, NULL},
        {"(employeeOrgData/costCenter eq '100')", NULL, NULL},
        {"(otherMails/any(p:startsWith(p, 'Av')))", NULL, NULL},
        {"(department eq 'Marketing') or (not (city eq 'Redmond'))", NULL, NULL},
        {"assignedLicenses/any(l:l/skuId eq 6fd2c87f-b296-42f0-b197-1e91e994b900)", NULL, NULL},
        {"assignedLicenses/any(l:l/skuId eq '6FD2C87F-B296-42F0-B197-1E91E994B900')", NULL, NULL},
        {"assignedLicenses/any()", NULL, NULL},
        {"DEPARTMENT eq 'x'", NULL, NULL},
        {"department eq null", NULL, NULL},
        {"department in ('a', null)", NULL, NULL},
        {"employeeHireDate ge 2024-01-01T00:00:00Z", NULL, NULL},
        {"employeeHireDate ge '2024-01-01T00:00:00Z'", NULL, NULL},
        {"age lt 30 and age ge 18", NULL, NULL},
        {"category has 'joiner'", NULL, NULL},
        {"userType in ('Member', 'Guest')", NULL, NULL},
        {"extension_b7d8e5fa_costCode eq 'x'", NULL, NULL},
        {"EXTENSION_b7d8e5fa_costCode eq 'x'", NULL, NULL},
        {"extension_ eq 'x'", "$filter: property 'extension_' is not filterable on user",
         "extension_"},
        {"extension_a/b eq 'x'", "$filter: property 'extension_a/b' is not filterable on user",
         "extension_a/b"},
        {"startswith(extension_b7d8e5fa_costCode, 'x')",
         "$filter: operator 'startswith' is not supported on 'extension_b7d8e5fa_costCode'",
         "extension_b7d8e5fa_costCode"},
        {"foo eq 1", "$filter: property 'foo' is not filterable on user", "foo"},
        {"department eq 'a' and employeeOrgData/foo eq 'x'",
         "$filter: property 'employeeOrgData/foo' is not filterable on user",
         "employeeOrgData/foo"},
        {"department gt 'x'", "$filter: operator 'gt' is not supported on 'department'",
         "department"},
        {"endswith(department, 'x')",
         "$filter: operator 'endswith' is not supported on 'department'", "department"},
        {"contains(city, 'x')", "$filter: operator 'contains' is not supported on 'city'", "city"},
        {"department has 'x'", "$filter: operator 'has' is not supported on 'department'",
         "department"},
        {"accountEnabled in (true)", "$filter: operator 'in' is not supported on 'accountEnabled'",
         "accountEnabled"},
        {"accountEnabled eq 'x'",
         "$filter: 'accountEnabled' expects true or false, not 'x' (at position 1)",
         "accountEnabled"},
        {"employeeHireDate ge 'yesterday'",
         "$filter: 'employeeHireDate' expects a date and time such as 2024-01-01T00:00:00Z, not "
         "'yesterday' (at position 1)",
         "employeeHireDate"},
        {"age eq '3'", "$filter: 'age' expects a whole number, not '3' (at position 1)", "age"},
        {"department in ('a', 1)",
         "$filter: 'department' expects a quoted string, not 1 (at position 1)", "department"},
        {"userType eq 2024-01-01T00:00:00Z",
         "$filter: 'userType' expects a quoted enumeration member, not 2024-01-01T00:00:00Z (at "
         "position 1)",
         "userType"},
        {"assignedLicenses/any(l: l/skuId eq 'nope')",
         "$filter: 'assignedLicenses/skuId' expects a GUID, not 'nope' (at position 25)",
         "assignedLicenses/skuId"},
        {"assignedLicenses/any(l: l/foo eq 1)",
         "$filter: property 'assignedLicenses/foo' is not filterable on user",
         "assignedLicenses/foo"},
        {"otherMails/all(p: p eq 'x')", "$filter: operator 'all' is not supported on 'otherMails'",
         "otherMails"},
        {"otherMails/any(p: endswith(p, 'x'))",
         "$filter: operator 'endswith' is not supported on 'otherMails'", "otherMails"},
        {"department/any(p: p eq 'x')", "$filter: operator 'any' is not supported on 'department'",
         "department"},
        {"nosuch/any()", "$filter: property 'nosuch' is not filterable on user", "nosuch"},
};

static void test_filter_check__table__expected(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        struct odata_expr *e = NULL;
        struct lcw_error err = {0};
        int rc = odata_filter_parse(rows[k].filter, strlen(rows[k].filter), &e, &err);
        if (rc)
            fail_msg("row %zu: parse %s: %s", k, rows[k].filter, err.msg);
        rc = odata_expr_check(e, &user, &err);
        if (!rows[k].msg && rc)
            fail_msg("row %zu: %s: unexpected %s", k, rows[k].filter, err.msg);
        if (rows[k].msg && (rc != LCW_EINVAL || strcmp(err.msg, rows[k].msg) != 0))
            fail_msg("row %zu: %s\n  got  %d %s\n  want %s", k, rows[k].filter, rc, err.msg,
                     rows[k].msg);
        if (rows[k].target)
            assert_string_equal(err.target, rows[k].target);
        odata_expr_free(e);
    }
}

static void test_filter_check__null_args__einval(void **state)
{
    (void)state;
    assert_int_equal(odata_expr_check(NULL, &user, NULL), LCW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_filter_check__table__expected),
            cmocka_unit_test(test_filter_check__null_args__einval),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
