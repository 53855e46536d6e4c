/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the directory user's property table and value rules
 * (src/model/user.c): the table's invariants, lookup, value equality, and
 * model_user_value_norm in both the api's mode (flags 0) and the attributes
 * task's (MODEL_USER_NORM_TASK), with exact messages and targets, plus
 * allocation-failure loops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "lcw/common.h"
#include "lcw/model.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define TASK       MODEL_USER_NORM_TASK

/* JSON with ` for ", any value, NUL allowed in strings; NULL for NULL. */
static json_t *J(const char *s)
{
    char *copy;
    json_error_t e;
    json_t *j;

    if (!s)
        return NULL;
    copy = lcw_strdup(s);
    assert_non_null(copy);
    for (char *p = copy; *p; p++) {
        if (*p == '`')
            *p = '"';
    }
    j = json_loads(copy, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!j)
        fail_msg("bad test JSON (%s): %s", e.text, copy);
    lcw_free(copy);
    return j;
}

static const struct model_user_prop *prop(const char *name)
{
    const struct model_user_prop *p = model_user_prop_find(name, strlen(name));

    if (!p)
        fail_msg("no user property '%s'", name);
    return p;
}

static int setup(void **state)
{
    (void)state;
    lcw_alloc_install_jansson();
    return 0;
}

/* ----------------------------------------------------------------- table */

static void test_user__table__invariants(void **state)
{
    size_t n = model_user_prop_count();

    (void)state;
    assert_int_equal(n, 36);
    assert_null(model_user_prop_at(n));
    assert_string_equal(model_user_prop_at(0)->name, "id");
    assert_string_equal(model_user_prop_at(n - 1)->name, "passwordProfile");
    for (size_t i = 0; i < n; i++) {
        const struct model_user_prop *p = model_user_prop_at(i);
        bool is_task_settable = p->kind == MODEL_USER_STRING || p->kind == MODEL_USER_DATE ||
                                p->kind == MODEL_USER_STRINGS || p->kind == MODEL_USER_COMPLEX;

        /* dir_user_update relies on this: whatever it cannot set names its owner. */
        if (p->kind == MODEL_USER_IGNORED || is_task_settable)
            assert_null(p->task_owner);
        else
            assert_non_null(p->task_owner);
        assert_true((p->kind == MODEL_USER_COMPLEX) == (p->members != NULL));
        assert_true(!p->is_null_when_empty || strcmp(p->name, "employeeOrgData") == 0);
        assert_true(p->kind != MODEL_USER_STRINGS || p->max_items > 0);
        assert_true(model_user_prop_find(p->name, strlen(p->name)) == p);
        for (size_t j = 0; j < i; j++)
            assert_false(lcw_str_eq_ci(p->name, model_user_prop_at(j)->name));
    }
}

static void test_user__find__table(void **state)
{
    static const struct {
        const char *name;
        size_t len; /* 0: strlen(name) */
        const char *expect;
    } cases[] = {
            {"displayName", 0, "displayName"},
            {"DISPLAYNAME", 0, "displayName"},
            {"userprincipalname", 0, "userPrincipalName"},
            {"employeeOrgData/costCenter", 15, "employeeOrgData"},
            {"onpremisesextensionattributes/x", 29, "onPremisesExtensionAttributes"},
            {"passwordProfile", 0, "passwordProfile"},
            {"Manager", 0, "manager"},
            {"display", 0, NULL},
            {"displayNameX", 0, NULL},
            {"employeeOrgData/costCenter", 0, NULL},
            {"", 0, NULL},
            {"#lcw.managerId", 0, NULL},
    };

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].name);
        const struct model_user_prop *p = model_user_prop_find(cases[i].name, len);

        if (!cases[i].expect) {
            if (p)
                fail_msg("case %zu (%s): found %s", i, cases[i].name, p->name);
            continue;
        }
        if (!p)
            fail_msg("case %zu (%s): not found", i, cases[i].name);
        assert_string_equal(p->name, cases[i].expect);
    }
}

static void test_user__is_data__table(void **state)
{
    static const struct {
        const char *name;
        bool is_data;
        const char *task_owner;
    } cases[] = {
            {"id", false, "it is the user's key"},
            {"displayName", true, NULL},
            {"otherMails", true, NULL},
            {"accountEnabled", true, "use the Enable or Disable user account task"},
            {"employeeHireDate", true, NULL},
            {"employeeOrgData", true, NULL},
            {"assignedLicenses", false, "use the license tasks"},
            {"createdDateTime", false, "it is read-only"},
            {"signInSessionsValidFromDateTime", false, "use the Revoke all refresh tokens task"},
            {"deletedDateTime", false, "use the Delete user account task"},
            {"manager", false, "it is a relationship"},
            {"passwordProfile", false, NULL},
    };

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        const struct model_user_prop *p = prop(cases[i].name);

        assert_int_equal(model_user_prop_is_data(p), cases[i].is_data);
        if (cases[i].task_owner)
            assert_string_equal(p->task_owner, cases[i].task_owner);
        else
            assert_null(p->task_owner);
    }
}

static void test_user__value_same__table(void **state)
{
    static const struct {
        const char *a, *b; /* NULL: missing */
        bool is_same;
    } cases[] = {
            {NULL, NULL, true},
            {NULL, "null", true},
            {"null", NULL, true},
            {"null", "null", true},
            {"null", "``", false},
            {NULL, "`a`", false},
            {"`a`", NULL, false},
            {"`a`", "`a`", true},
            {"`a`", "`A`", false},
            {"[`a`,`b`]", "[`a`,`b`]", true},
            {"[`a`,`b`]", "[`b`,`a`]", false},
            {"{`x`:null,`y`:`1`}", "{`y`:`1`,`x`:null}", true},
            {"{`x`:null}", "{}", false},
            {"true", "true", true},
            {"true", "false", false},
            {"[]", "null", false},
    };

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        json_t *a = J(cases[i].a), *b = J(cases[i].b);

        if (model_user_value_same(a, b) != cases[i].is_same)
            fail_msg("case %zu: %s vs %s", i, cases[i].a ? cases[i].a : "(missing)",
                     cases[i].b ? cases[i].b : "(missing)");
        json_decref(a);
        json_decref(b);
    }
}

/* ------------------------------------------------------------ value_norm */

struct norm_case {
    const char *prop;
    const char *value; /* NULL: missing */
    const char *cur;   /* NULL: no stored value */
    unsigned flags;
    int rc;
    const char *expect; /* rc 0: the stored value; else the exact message */
    const char *target; /* rc LCW_EINVAL: err->target */
};

#define INVAL LCW_EINVAL

static const struct norm_case norm_cases[] = {
        /* Strings. */
        {"givenName", "`Ann`", NULL, 0, 0, "`Ann`", NULL},
        {"givenName", "``", NULL, 0, 0, "null", NULL},
        {"givenName", "null", NULL, TASK, 0, "null", NULL},
        {"givenName", NULL, NULL, 0, 0, "null", NULL},
        {"givenName", "`\\u0000ab`", NULL, TASK, 0, "null", NULL},
        {"givenName", "`a\\u0000b`", NULL, 0, 0, "`a`", NULL},
        {"givenName", "`a\\u0000b`", NULL, TASK, INVAL,
         "Invalid value for property 'givenName': expected a string", "givenName"},
        {"givenName", "1", NULL, 0, INVAL,
         "Invalid value for property 'givenName': expected a string", "givenName"},
        {"givenName", "[`a`]", NULL, TASK, INVAL,
         "Invalid value for property 'givenName': expected a string", "givenName"},
        {"displayName", "null", NULL, 0, INVAL,
         "Property 'displayName' is required and cannot be null or empty", "displayName"},
        {"displayName", "``", NULL, TASK, INVAL,
         "Property 'displayName' is required and cannot be null or empty", "displayName"},
        {"userType", "`x`", NULL, 0, INVAL,
         "Invalid value for property 'userType': expected 'Member' or 'Guest' (got 'x')",
         "userType"},
        {"userType", "`mEMBER`", NULL, 0, 0, "`Member`", NULL},
        {"userType", "`guest`", NULL, TASK, 0, "`Guest`", NULL},
        {"userType", "`Guests`", NULL, 0, INVAL,
         "Invalid value for property 'userType': expected 'Member' or 'Guest' (got 'Guests')",
         "userType"},
        {"employeeId", "`0123456789abcdef`", NULL, 0, 0, "`0123456789abcdef`", NULL},
        {"employeeId", "`0123456789abcdefg`", NULL, 0, INVAL,
         "Invalid value for property 'employeeId': longer than 16 characters", "employeeId"},
        /* Lengths count characters, not bytes. */
        {"usageLocation", "`\xc3\xa9\xc3\xa9\xc3\xa9`", NULL, 0, INVAL,
         "Invalid value for property 'usageLocation': longer than 2 characters", "usageLocation"},
        {"usageLocation", "`\xc3\xa9\xc3\xa9`", NULL, 0, INVAL,
         "Invalid value for property 'usageLocation': expected a two-letter country code such as "
         "'US' (got '\xc3\xa9\xc3\xa9')",
         "usageLocation"},
        {"usageLocation", "`de`", NULL, 0, 0, "`DE`", NULL},
        {"usageLocation", "`Fr`", NULL, TASK, 0, "`FR`", NULL},
        {"usageLocation", "`u`", NULL, 0, INVAL,
         "Invalid value for property 'usageLocation': expected a two-letter country code such as "
         "'US' (got 'u')",
         "usageLocation"},
        {"usageLocation", "`u1`", NULL, TASK, INVAL,
         "Invalid value for property 'usageLocation': expected a two-letter country code such as "
         "'US' (got 'u1')",
         "usageLocation"},
        {"usageLocation", "`@[`", NULL, 0, INVAL,
         "Invalid value for property 'usageLocation': expected a two-letter country code such as "
         "'US' (got '@[')",
         "usageLocation"},
        /* Addresses. */
        {"mail", "`ann@example.com`", NULL, 0, 0, "`ann@example.com`", NULL},
        {"userPrincipalName", "`a@b`", NULL, TASK, 0, "`a@b`", NULL},
        {"mail", "`ann`", NULL, 0, INVAL,
         "Invalid value for property 'mail': expected an address of the form alias@domain (got "
         "'ann')",
         "mail"},
        {"mail", "`@example.com`", NULL, 0, INVAL,
         "Invalid value for property 'mail': expected an address of the form alias@domain (got "
         "'@example.com')",
         "mail"},
        {"mail", "`ann@`", NULL, 0, INVAL,
         "Invalid value for property 'mail': expected an address of the form alias@domain (got "
         "'ann@')",
         "mail"},
        {"userPrincipalName", "`a@b@c`", NULL, 0, INVAL,
         "Invalid value for property 'userPrincipalName': expected an address of the form "
         "alias@domain (got 'a@b@c')",
         "userPrincipalName"},
        {"userPrincipalName", "`a b@c`", NULL, TASK, INVAL,
         "Invalid value for property 'userPrincipalName': expected an address of the form "
         "alias@domain (got 'a b@c')",
         "userPrincipalName"},
        {"mail", "`a@c\\u007f`", NULL, 0, INVAL,
         "Invalid value for property 'mail': expected an address of the form alias@domain (got "
         "'a@c\x7f')",
         "mail"},
        /* Booleans (the api only: the task may not set accountEnabled). */
        {"accountEnabled", "false", NULL, 0, 0, "false", NULL},
        {"accountEnabled", "true", NULL, 0, 0, "true", NULL},
        {"accountEnabled", "null", NULL, 0, INVAL,
         "Invalid value for property 'accountEnabled': expected true or false", "accountEnabled"},
        {"accountEnabled", "`true`", NULL, 0, INVAL,
         "Invalid value for property 'accountEnabled': expected true or false", "accountEnabled"},
        /* Dates. */
        {"employeeHireDate", "`2024-05-01T10:00:00+02:00`", NULL, 0, 0, "`2024-05-01T08:00:00Z`",
         NULL},
        {"employeeLeaveDateTime", "`2024-05-01T08:00:00.123Z`", NULL, TASK, 0,
         "`2024-05-01T08:00:00.123Z`", NULL},
        {"employeeHireDate", "null", NULL, 0, 0, "null", NULL},
        {"employeeHireDate", "``", NULL, TASK, 0, "null", NULL},
        {"employeeHireDate", "``", NULL, 0, INVAL,
         "Invalid value for property 'employeeHireDate': expected an RFC 3339 date and time such "
         "as '2024-05-01T08:00:00Z'",
         "employeeHireDate"},
        {"employeeHireDate", "`2024-05-01 at 8`", NULL, TASK, INVAL,
         "Invalid value for property 'employeeHireDate': expected an RFC 3339 date and time such "
         "as '2024-05-01T08:00:00Z'",
         "employeeHireDate"},
        {"employeeHireDate", "1", NULL, 0, INVAL,
         "Invalid value for property 'employeeHireDate': expected an RFC 3339 date and time such "
         "as '2024-05-01T08:00:00Z'",
         "employeeHireDate"},
        /* Collections. */
        {"otherMails", "[`a@b`,`c`]", NULL, 0, 0, "[`a@b`,`c`]", NULL},
        {"otherMails", "null", NULL, 0, 0, "[]", NULL},
        {"otherMails", NULL, NULL, TASK, 0, "[]", NULL},
        {"otherMails", "[]", NULL, TASK, 0, "[]", NULL},
        {"businessPhones", "[`1`,`2`]", NULL, 0, INVAL,
         "Invalid value for property 'businessPhones': at most 1 value", "businessPhones"},
        {"otherMails",
         "[`a`,`b`,`c`,`d`,`e`,`f`,`g`,`h`,`i`,`j`,`k`,`l`,`m`,`n`,`o`,`p`,`q`,`r`,`s`,`t`,`u`]",
         NULL, TASK, INVAL, "Invalid value for property 'otherMails': at most 20 values",
         "otherMails"},
        {"otherMails", "[`a`,``]", NULL, 0, INVAL,
         "Invalid value for property 'otherMails': item 1 must be a non-empty string of at most "
         "256 characters",
         "otherMails"},
        {"businessPhones", "[null]", NULL, TASK, INVAL,
         "Invalid value for property 'businessPhones': item 0 must be a non-empty string of at "
         "most 64 characters",
         "businessPhones"},
        {"businessPhones", "`+1 555`", NULL, 0, INVAL,
         "Invalid value for property 'businessPhones': expected an array of strings",
         "businessPhones"},
        {"businessPhones", "``", NULL, 0, INVAL,
         "Invalid value for property 'businessPhones': expected an array of strings",
         "businessPhones"},
        {"businessPhones", "`+1 555`", NULL, TASK, 0, "[`+1 555`]", NULL},
        {"businessPhones", "``", NULL, TASK, 0, "[]", NULL},
        {"businessPhones", "{}", NULL, TASK, INVAL,
         "Invalid value for property 'businessPhones': expected an array of strings",
         "businessPhones"},
        /* Complex values: merge, clear, member names in any case. */
        {"employeeOrgData", "{`COSTCENTER`:`9`}", "{`division`:`D`,`costCenter`:`1`}", 0, 0,
         "{`division`:`D`,`costCenter`:`9`}", NULL},
        {"employeeOrgData", "{`costCenter`:null}", "{`division`:`D`,`costCenter`:`1`}", TASK, 0,
         "{`division`:`D`,`costCenter`:null}", NULL},
        {"employeeOrgData", "{`division`:``}", "{`division`:`D`,`costCenter`:null}", 0, 0, "null",
         NULL},
        {"employeeOrgData", "null", "{`division`:`D`,`costCenter`:`1`}", TASK, 0, "null", NULL},
        {"employeeOrgData", "{}", NULL, 0, 0, "null", NULL},
        {"employeeOrgData", "{`division`:`x`}", "`junk`", 0, 0,
         "{`division`:`x`,`costCenter`:null}", NULL},
        {"onPremisesExtensionAttributes", "null", NULL, 0, 0,
         "{`extensionAttribute1`:null,`extensionAttribute2`:null,`extensionAttribute3`:null,"
         "`extensionAttribute4`:null,`extensionAttribute5`:null,`extensionAttribute6`:null,"
         "`extensionAttribute7`:null,`extensionAttribute8`:null,`extensionAttribute9`:null,"
         "`extensionAttribute10`:null,`extensionAttribute11`:null,`extensionAttribute12`:null,"
         "`extensionAttribute13`:null,`extensionAttribute14`:null,`extensionAttribute15`:null}",
         NULL},
        {"employeeOrgData", "`x`", NULL, 0, INVAL,
         "Invalid value for property 'employeeOrgData': expected an object or null",
         "employeeOrgData"},
        {"employeeOrgData", "[]", NULL, TASK, INVAL,
         "Invalid value for property 'employeeOrgData': expected an object or null",
         "employeeOrgData"},
        /* Member errors: the api targets the property, the task the member. */
        {"employeeOrgData", "{`nope`:`1`}", NULL, 0, INVAL,
         "Property 'nope' does not exist on type 'employeeOrgData'", "employeeOrgData"},
        {"employeeOrgData", "{`nope`:`1`}", NULL, TASK, INVAL,
         "Property 'nope' does not exist on type 'employeeOrgData'", "employeeOrgData/nope"},
        {"employeeOrgData", "{`division`:1}", NULL, 0, INVAL,
         "Invalid value for property 'employeeOrgData/division': expected a string of at most 64 "
         "characters, or null",
         "employeeOrgData"},
        {"employeeOrgData", "{`DIVISION`:1}", NULL, TASK, INVAL,
         "Invalid value for property 'employeeOrgData/division': expected a string of at most 64 "
         "characters, or null",
         "employeeOrgData/division"},
        {"employeeOrgData",
         "{`division`:`12345678901234567890123456789012345678901234567890123456789012345`}", NULL,
         0, INVAL,
         "Invalid value for property 'employeeOrgData/division': expected a string of at most 64 "
         "characters, or null",
         "employeeOrgData"},
        {"employeeOrgData",
         "{`division`:`12345678901234567890123456789012345678901234567890123456789012345`}", NULL,
         TASK, INVAL,
         "Invalid value for property 'employeeOrgData/division': longer than 64 characters",
         "employeeOrgData/division"},
        {"employeeOrgData", "{`division`:`a\\u0000b`}", NULL, 0, 0,
         "{`division`:`a`,`costCenter`:null}", NULL},
        {"employeeOrgData", "{`division`:`a\\u0000b`}", NULL, TASK, INVAL,
         "Invalid value for property 'employeeOrgData/division': expected a string",
         "employeeOrgData/division"},
        /* Kinds that hold no data are the caller's to refuse. */
        {"id", "`x`", NULL, 0, LCW_EINTERNAL, "property 'id' cannot be set", NULL},
        {"manager", "null", NULL, TASK, LCW_EINTERNAL, "property 'manager' cannot be set", NULL},
        {"passwordProfile", "{}", NULL, 0, LCW_EINTERNAL,
         "property 'passwordProfile' cannot be set", NULL},
};

static void test_user__value_norm__table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(norm_cases); i++) {
        const struct norm_case *c = &norm_cases[i];
        json_t *v = J(c->value), *cur = J(c->cur), *out = (json_t *)1;
        struct lcw_error err = {0};
        int rc = model_user_value_norm(prop(c->prop), v, cur, c->flags, &out, &err);

        if (rc != c->rc)
            fail_msg("case %zu (%s = %s, flags %u): rc %d, want %d (%s)", i, c->prop,
                     c->value ? c->value : "(missing)", c->flags, rc, c->rc, err.msg);
        if (rc == 0) {
            json_t *want = J(c->expect);

            if (!json_equal(out, want)) {
                char *got = json_dumps(out, JSON_ENCODE_ANY);

                fail_msg("case %zu (%s): got %s, want %s", i, c->prop, got ? got : "NULL",
                         c->expect);
            }
            /* Member order is the table's, so stored documents stay byte-identical. */
            if (json_is_object(out)) {
                const char *const *m = prop(c->prop)->members;
                const char *k;
                json_t *mv;

                json_object_foreach (out, k, mv) {
                    assert_string_equal(k, *m++);
                }
            }
            json_decref(want);
        } else {
            assert_null(out);
            assert_int_equal(err.code, c->rc);
            if (strcmp(err.msg, c->expect) != 0)
                fail_msg("case %zu (%s): message\n  '%s'\nwant\n  '%s'", i, c->prop, err.msg,
                         c->expect);
            if (c->target)
                assert_string_equal(err.target, c->target);
        }
        json_decref(out);
        json_decref(v);
        json_decref(cur);
    }
}

/* The error sink may be NULL. */
static void test_user__value_norm__null_err(void **state)
{
    json_t *v = J("1"), *out = NULL;

    (void)state;
    assert_int_equal(model_user_value_norm(prop("mail"), v, NULL, 0, &out, NULL), LCW_EINVAL);
    assert_null(out);
    json_decref(v);
}

/* --------------------------------------------------------------- alloc */

static void test_alloc__value_norm__enomem_and_no_leak(void **state)
{
    static const struct {
        const char *prop, *value, *cur;
        unsigned flags;
    } cases[] = {
            {"givenName", "`Ann`", NULL, 0},
            {"userType", "`guest`", NULL, TASK},
            {"usageLocation", "`de`", NULL, 0},
            {"employeeHireDate", "`2024-05-01T08:00:00Z`", NULL, TASK},
            {"otherMails", "[`a`,`b`]", NULL, 0},
            {"businessPhones", "`1`", NULL, TASK},
            {"employeeOrgData", "{`division`:`D`}", "{`division`:null,`costCenter`:`1`}", TASK},
            {"onPremisesExtensionAttributes", "{`extensionAttribute3`:`x`}", NULL, TASK},
    };

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        json_t *v = J(cases[i].value), *cur = J(cases[i].cur);
        long n;

        for (n = 1;; n++) {
            struct lcw_error err = {0};
            json_t *out = NULL;
            int rc;

            lcw_alloc_fail_at(n);
            rc = model_user_value_norm(prop(cases[i].prop), v, cur, cases[i].flags, &out, &err);
            lcw_alloc_fail_at(0);
            if (rc == 0) {
                assert_non_null(out);
                json_decref(out);
                break;
            }
            if (rc != LCW_ENOMEM)
                fail_msg("case %zu, allocation %ld: rc %d (%s)", i, n, rc, err.msg);
            assert_null(out);
        }
        assert_true(n > 1);
        json_decref(v);
        json_decref(cur);
    }
}

/*
 * PATCH /users has always reported a complex member it could not store as
 * an invalid value, even when memory ran out; kept as it was.
 */
static void test_alloc__value_norm__api_member_reads_einval(void **state)
{
    json_t *v = J("{`division`:`D`}"), *out = NULL;
    long n;
    bool saw_einval = false;

    (void)state;
    for (n = 1;; n++) {
        struct lcw_error err = {0};
        int rc;

        lcw_alloc_fail_at(n);
        rc = model_user_value_norm(prop("employeeOrgData"), v, NULL, 0, &out, &err);
        lcw_alloc_fail_at(0);
        if (rc == 0)
            break;
        assert_true(rc == LCW_ENOMEM || rc == LCW_EINVAL);
        saw_einval = saw_einval || rc == LCW_EINVAL;
        assert_null(out);
    }
    assert_true(saw_einval);
    json_decref(out);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_user__table__invariants),
            cmocka_unit_test(test_user__find__table),
            cmocka_unit_test(test_user__is_data__table),
            cmocka_unit_test(test_user__value_same__table),
            cmocka_unit_test(test_user__value_norm__table),
            cmocka_unit_test(test_user__value_norm__null_err),
            cmocka_unit_test(test_alloc__value_norm__enomem_and_no_leak),
            cmocka_unit_test(test_alloc__value_norm__api_member_reads_einval),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
