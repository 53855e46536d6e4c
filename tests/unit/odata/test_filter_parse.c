/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the $filter parser (src/odata/filter_parse.c) and the
 * canonical dump (src/odata/filter_dump.c): tables of valid filters with their canonical form,
 * tables of invalid filters with the exact error code and message, the limits, and an
 * allocation-failure loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lcw/common.h"
#include "lcw/odata.h"

/* Parse `in` and return its canonical dump in `out` (asserting success). */
static void parse_dump(const char *in, size_t len, char *out, size_t size)
{
    struct odata_expr *e = NULL;
    struct lcw_error err = {0};
    struct buf b;
    int rc;

    rc = odata_filter_parse(in, len, &e, &err);
    if (rc != 0)
        fail_msg("parse(%s) failed: %d %s", in, rc, err.msg);
    buf_init(&b, 1 << 20);
    assert_int_equal(odata_expr_dump(e, &b), 0);
    lcw_strlcpy(out, buf_cstr(&b), size);
    buf_release(&b);
    odata_expr_free(e);
}

static const struct {
    const char *in;
    const char *canon;
} valid[] = {
        /* The documented scope rule shapes (spec 3.6). */
        {"department eq 'Marketing'", "department eq 'Marketing'"},
        {"(department eq 'Marketing')", "department eq 'Marketing'"},
        {"(department in ('Marketing'))", "department in ('Marketing')"},
        {"(accountEnabled eq true)", "accountEnabled eq true"},
        {"(employeeOrgData/costCenter eq '100')", "employeeOrgData/costCenter eq '100'"},
        {"(otherMails/any(p:startsWith(p, 'Av')))", "otherMails/any(p: startswith(p, 'Av'))"},
        {"(department eq 'Marketing') or (not (city eq 'Redmond'))",
         "department eq 'Marketing' or not city eq 'Redmond'"},
        {"assignedLicenses/any(l:l/skuId eq 6FD2C87F-B296-42F0-B197-1E91E994B900)",
         "assignedLicenses/any(l: l/skuId eq 6fd2c87f-b296-42f0-b197-1e91e994b900)"},
        {"members/any()", "members/any()"},
        /* Precedence: not > comparison > and > or. */
        {"a eq 1 and b eq 2 or c eq 3", "a eq 1 and b eq 2 or c eq 3"},
        {"a eq 1 or b eq 2 and c eq 3", "a eq 1 or b eq 2 and c eq 3"},
        {"not a eq 1 and b eq 2", "not a eq 1 and b eq 2"},
        {"a le 1 and b lt 2 and c gt 3 and d ge 4", "a le 1 and b lt 2 and c gt 3 and d ge 4"},
        {"a eq 1 or (b eq 2)", "a eq 1 or b eq 2"},
        /* The dump keeps exactly the parentheses the tree needs. */
        {"(a eq 1 or b eq 2) and c eq 3", "(a eq 1 or b eq 2) and c eq 3"},
        {"c eq 3 and (a eq 1 or b eq 2)", "c eq 3 and (a eq 1 or b eq 2)"},
        {"a eq 1 and (b eq 2 and c eq 3)", "a eq 1 and (b eq 2 and c eq 3)"},
        {"(a eq 1 and b eq 2) and c eq 3", "a eq 1 and b eq 2 and c eq 3"},
        {"a eq 1 or (b eq 2 or c eq 3)", "a eq 1 or (b eq 2 or c eq 3)"},
        {"(a eq 1 and b eq 2) or c eq 3", "a eq 1 and b eq 2 or c eq 3"},
        {"not (a eq 1 or b eq 2)", "not (a eq 1 or b eq 2)"},
        {"not (a eq 1 and b eq 2)", "not (a eq 1 and b eq 2)"},
        {"(not a eq 1) or b eq 2", "not a eq 1 or b eq 2"},
        {"not (not (a eq 1))", "not not a eq 1"},
        {"not not a eq 1", "not not a eq 1"},
        {"not(a eq 1)", "not a eq 1"},
        {"((((a eq 1))))", "a eq 1"},
        /* Keywords are case-insensitive; whitespace is free. */
        {"a eq 1 AND b Eq 2", "a eq 1 and b eq 2"},
        {"a EQ 1 Or b NE 2", "a eq 1 or b ne 2"},
        {"  a   eq\t1  ", "a eq 1"},
        {"a eq 1\r\nand\nb eq 2", "a eq 1 and b eq 2"},
        {"NOT a eq 1", "not a eq 1"},
        /* Literals. */
        {"name eq 'O''Brien'", "name eq 'O''Brien'"},
        {"name eq ''", "name eq ''"},
        {"name eq ''''", "name eq ''''"},
        {"x eq 'ünïcødé'", "x eq 'ünïcødé'"},
        {"x eq -42", "x eq -42"},
        {"x eq 0", "x eq 0"},
        {"x eq 9223372036854775807", "x eq 9223372036854775807"},
        {"x eq -9223372036854775808", "x eq -9223372036854775808"},
        {"x eq null", "x eq null"},
        {"x ne NULL", "x ne null"},
        {"x eq FALSE", "x eq false"},
        {"x eq True", "x eq true"},
        {"id eq 12345678-1234-1234-1234-123456789abc",
         "id eq 12345678-1234-1234-1234-123456789abc"},
        {"subject/id eq '6FD2C87F-B296-42F0-B197-1E91E994B900'",
         "subject/id eq '6FD2C87F-B296-42F0-B197-1E91E994B900'"},
        {"createdDateTime ge 2024-01-01T00:00:00Z", "createdDateTime ge 2024-01-01T00:00:00Z"},
        {"createdDateTime lt 2024-01-01T02:00:00+02:00", "createdDateTime lt 2024-01-01T00:00:00Z"},
        {"d gt 2024-05-01", "d gt 2024-05-01T00:00:00Z"},
        {"x eq 2024-01-01T10:20:30.5Z", "x eq 2024-01-01T10:20:30.500Z"},
        /* Operators. */
        {"category has 'joiner'", "category has 'joiner'"},
        {"category HAS 'joiner,leaver'", "category has 'joiner,leaver'"},
        {"x in ('a', 'b' , 'c')", "x in ('a', 'b', 'c')"},
        {"x in (1,null)", "x in (1, null)"},
        {"x IN (2024-01-01T00:00:00Z)", "x in (2024-01-01T00:00:00Z)"},
        {"endswith(mail,'@contoso.com')", "endswith(mail, '@contoso.com')"},
        {"CONTAINS(displayName, 'x')", "contains(displayName, 'x')"},
        {"startsWith(employeeOrgData/division, 'R')", "startswith(employeeOrgData/division, 'R')"},
        {"startswith(displayName,'a') eq true", "startswith(displayName, 'a')"},
        {"startswith(displayName,'a') eq false", "not startswith(displayName, 'a')"},
        {"startswith(displayName,'a') ne false", "startswith(displayName, 'a')"},
        {"startswith(displayName,'a') ne true", "not startswith(displayName, 'a')"},
        /* Lambdas and paths. */
        {"a/all(x: x ne 'y')", "a/all(x: x ne 'y')"},
        {"a/ANY(x: x eq 1)", "a/any(x: x eq 1)"},
        {"a/any(x: x/b/any(y: y eq 1 and x/c eq 2))", "a/any(x: x/b/any(y: y eq 1 and x/c eq 2))"},
        {"a/any(x: x eq 1) and x eq 2", "a/any(x: x eq 1) and x eq 2"},
        {"p eq 'x'", "p eq 'x'"},
        {"anyProp eq 1", "anyProp eq 1"},
        {"a/any eq 1", "a/any eq 1"},
        {"a / b eq 1", "a/b eq 1"},
        {"extension_abc123_costCode eq 'x'", "extension_abc123_costCode eq 'x'"},
        {"onPremisesExtensionAttributes/extensionAttribute1 eq 'x'",
         "onPremisesExtensionAttributes/extensionAttribute1 eq 'x'"},
};

static void test_filter_parse__valid__canonical(void **state)
{
    char got[512], again[512];

    (void)state;
    for (size_t k = 0; k < sizeof(valid) / sizeof(valid[0]); k++) {
        parse_dump(valid[k].in, strlen(valid[k].in), got, sizeof(got));
        if (strcmp(got, valid[k].canon) != 0)
            fail_msg("row %zu: %s\n  got  %s\n  want %s", k, valid[k].in, got, valid[k].canon);
        /* The canonical form is a fixed point. */
        parse_dump(got, strlen(got), again, sizeof(again));
        assert_string_equal(again, got);
    }
}

/* Operator precedence, checked on the tree itself: not > comparison > and > or. */
static void test_filter_parse__precedence__tree_shape(void **state)
{
    struct odata_expr *e = NULL;

    (void)state;
    assert_int_equal(odata_filter_parse("a eq 1 or b eq 2 and c eq 3", 27, &e, NULL), 0);
    assert_int_equal(e->kind, ODATA_EXPR_OR);
    assert_int_equal(e->lhs->kind, ODATA_EXPR_CMP);
    assert_int_equal(e->rhs->kind, ODATA_EXPR_AND);
    odata_expr_free(e);
    assert_int_equal(odata_filter_parse("a eq 1 and b eq 2 or c eq 3", 27, &e, NULL), 0);
    assert_int_equal(e->kind, ODATA_EXPR_OR);
    assert_int_equal(e->lhs->kind, ODATA_EXPR_AND);
    assert_int_equal(e->rhs->kind, ODATA_EXPR_CMP);
    odata_expr_free(e);
    assert_int_equal(odata_filter_parse("not a eq 1 and b eq 2", 21, &e, NULL), 0);
    assert_int_equal(e->kind, ODATA_EXPR_AND);
    assert_int_equal(e->lhs->kind, ODATA_EXPR_NOT);
    assert_int_equal(e->lhs->lhs->kind, ODATA_EXPR_CMP);
    odata_expr_free(e);
    /* Chains are left-deep: ((a and b) and c). */
    assert_int_equal(odata_filter_parse("a eq 1 and b eq 2 and c eq 3", 28, &e, NULL), 0);
    assert_int_equal(e->kind, ODATA_EXPR_AND);
    assert_int_equal(e->lhs->kind, ODATA_EXPR_AND);
    assert_string_equal(e->rhs->path.text, "c");
    odata_expr_free(e);
}

/*
 * Regression (fuzz): a long 'and' chain dumped with a pair of parentheses per
 * node nested deeper than ODATA_FILTER_MAX_DEPTH and no longer parsed. The
 * dump of anything that parses must parse back to the same dump.
 */
static void test_filter_parse__long_chain_dump__reparses(void **state)
{
    struct buf in, d1, d2;
    struct odata_expr *e = NULL;

    (void)state;
    buf_init(&in, 4096);
    buf_init(&d1, 1 << 16);
    buf_init(&d2, 1 << 16);
    assert_int_equal(buf_puts(&in, "not not a eq 0"), 0);
    for (int k = 1; k < 100; k++)
        assert_int_equal(buf_printf(&in, " %s a eq %d", k % 7 ? "and" : "or", k), 0);
    assert_int_equal(odata_filter_parse(in.data, in.len, &e, NULL), 0);
    assert_int_equal(odata_expr_dump(e, &d1), 0);
    odata_expr_free(e);
    assert_int_equal(odata_filter_parse(d1.data, d1.len, &e, NULL), 0);
    assert_int_equal(odata_expr_dump(e, &d2), 0);
    assert_string_equal(d1.data, d2.data);
    odata_expr_free(e);
    assert_int_equal(odata_expr_dump(NULL, &d1), LCW_EINVAL);
    buf_release(&in);
    buf_release(&d1);
    buf_release(&d2);
}

static const struct {
    const char *in;
    int code;
    const char *msg;
} invalid[] = {
        {"", LCW_EINVAL, "$filter: the filter is empty"},
        {"   ", LCW_EINVAL, "$filter: the filter is empty"},
        {"displayName eq", LCW_EINVAL,
         "$filter: expected a value after 'eq' at position 15, found the end of the filter"},
        {"displayName eq )", LCW_EINVAL,
         "$filter: expected a value after 'eq' at position 16, found ')'"},
        {"a eq b", LCW_EINVAL, "$filter: expected a value after 'eq' at position 6, found 'b'"},
        {"a eq ,", LCW_EINVAL, "$filter: expected a value after 'eq' at position 6, found ','"},
        {"a ge", LCW_EINVAL,
         "$filter: expected a value after 'ge' at position 5, found the end of the filter"},
        {"displayName", LCW_EINVAL,
         "$filter: expected an operator (eq, ne, lt, le, gt, ge, in or has) after 'displayName' "
         "at position 12, found the end of the filter"},
        {"displayName foo 'x'", LCW_EINVAL,
         "$filter: expected an operator (eq, ne, lt, le, gt, ge, in or has) after 'displayName' "
         "at position 13, found 'foo'"},
        {"'x' eq displayName", LCW_EINVAL,
         "$filter: expected a property name (the property goes on the left, as in displayName "
         "eq 'x') at position 1, found 'x'"},
        {"true", LCW_EINVAL,
         "$filter: expected a property name (the property goes on the left, as in displayName "
         "eq 'x') at position 1, found 'true'"},
        {"42 eq a", LCW_EINVAL,
         "$filter: expected a property name (the property goes on the left, as in displayName "
         "eq 'x') at position 1, found '42'"},
        {"a eq 'x", LCW_EINVAL,
         "$filter: unterminated string starting at position 6; close it with ' (write '' for a "
         "quote inside it)"},
        {"a eq 'it''s", LCW_EINVAL,
         "$filter: unterminated string starting at position 6; close it with ' (write '' for a "
         "quote inside it)"},
        {"a eq 1.5", LCW_EINVAL,
         "$filter: invalid number '1.5' at position 6; only whole numbers are supported"},
        {"a eq 12ab", LCW_EINVAL,
         "$filter: invalid number '12ab' at position 6; only whole numbers are supported"},
        {"a eq 99999999999999999999", LCW_EINVAL,
         "$filter: number '99999999999999999999' at position 6 is out of range"},
        {"a eq 2024-13-01T00:00:00Z", LCW_EINVAL,
         "$filter: invalid date/time '2024-13-01T00:00:00Z' at position 6; expected RFC 3339 "
         "such as 2024-01-01T00:00:00Z"},
        {"a eq 2024-01-01Tnoon", LCW_EINVAL,
         "$filter: invalid date/time '2024-01-01Tnoon' at position 6; expected RFC 3339 such "
         "as 2024-01-01T00:00:00Z"},
        {"a eq 1 b eq 2", LCW_EINVAL,
         "$filter: expected 'and', 'or' or the end of the filter at position 8, found 'b'"},
        {"a eq 1)", LCW_EINVAL,
         "$filter: expected 'and', 'or' or the end of the filter at position 7, found ')'"},
        {"(a eq 1", LCW_EINVAL,
         "$filter: expected ')' (for the '(' at position 1) at position 8, found the end of the "
         "filter"},
        {"a eq 1 and", LCW_EINVAL,
         "$filter: expected a condition at position 11, found the end of the filter"},
        {"a eq 'x' or", LCW_EINVAL,
         "$filter: expected a condition at position 12, found the end of the filter"},
        {"and a eq 1", LCW_EINVAL, "$filter: expected a condition at position 1, found 'and'"},
        {"a eq 1 or or b eq 2", LCW_EINVAL,
         "$filter: expected a condition at position 11, found 'or'"},
        {"a eq 'x' and (b eq 1 or)", LCW_EINVAL,
         "$filter: expected a condition at position 24, found ')'"},
        {"not", LCW_EINVAL,
         "$filter: expected a condition at position 4, found the end of the filter"},
        {"()", LCW_EINVAL, "$filter: expected a condition at position 2, found ')'"},
        {"a # 1", LCW_EINVAL, "$filter: unexpected character '#' at position 3"},
        {"a eq 1 && b eq 2", LCW_EINVAL, "$filter: unexpected character '&' at position 8"},
        {"a eq -", LCW_EINVAL, "$filter: unexpected character '-' at position 6"},
        {"a eq \x01", LCW_EINVAL, "$filter: unexpected byte 0x01 at position 6"},
        /* Regressions (fuzz): a lexing error right after a literal leaked the literal. */
        {"a in ('x' #)", LCW_EINVAL, "$filter: unexpected character '#' at position 11"},
        {"a eq 'x'#", LCW_EINVAL, "$filter: unexpected character '#' at position 9"},
        {"a eq \xc3\xa9", LCW_EINVAL, "$filter: unexpected byte 0xc3 at position 6"},
        {"foo(a, 'x')", LCW_EINVAL,
         "$filter: unknown function 'foo' at position 1; supported functions are startswith, "
         "endswith and contains"},
        {"tolower(a) eq 'x'", LCW_EINVAL,
         "$filter: unknown function 'tolower' at position 1; supported functions are "
         "startswith, endswith and contains"},
        {"startswith(a)", LCW_EINVAL,
         "$filter: expected ',' after the first argument of 'startswith' at position 13, found "
         "')'"},
        {"startswith('a', b)", LCW_EINVAL,
         "$filter: expected a property name as the first argument of 'startswith' at position "
         "12, found 'a'"},
        {"endswith(a, 1)", LCW_EINVAL,
         "$filter: expected a quoted string as the second argument of 'endswith' at position "
         "13, found '1'"},
        {"contains(a, 'x'", LCW_EINVAL,
         "$filter: expected ')' to close 'contains(' at position 16, found the end of the "
         "filter"},
        {"startswith(a, 'x') eq 1", LCW_EINVAL,
         "$filter: expected true or false after the comparison of 'startswith(...)' at position "
         "23, found '1'"},
        {"a in 'x'", LCW_EINVAL,
         "$filter: expected '(' after 'in' (as in department in ('Sales', 'HR')) at position 6, "
         "found 'x'"},
        {"a in ()", LCW_EINVAL,
         "$filter: expected a value in the 'in' list at position 7, found ')'"},
        {"a in ('x' 'y')", LCW_EINVAL,
         "$filter: expected ',' or ')' in the 'in' list at position 11, found 'y'"},
        {"a in ('x',)", LCW_EINVAL,
         "$filter: expected a value in the 'in' list at position 11, found ')'"},
        {"a in ('x'", LCW_EINVAL,
         "$filter: expected ',' or ')' in the 'in' list at position 10, found the end of the "
         "filter"},
        {"a has joiner", LCW_EINVAL,
         "$filter: expected a quoted value after 'has' (as in category has 'joiner') at position "
         "7, found 'joiner'"},
        {"a has 1", LCW_EINVAL,
         "$filter: expected a quoted value after 'has' (as in category has 'joiner') at position "
         "7, found '1'"},
        {"any(p: p eq 1)", LCW_EINVAL,
         "$filter: 'any' at position 1 must follow a collection property, as in "
         "otherMails/any(p: startswith(p, 'a'))"},
        {"a/all()", LCW_EINVAL,
         "$filter: expected a range variable and a condition in 'all(...)', as in all(x: x eq "
         "'a') at position 7, found ')'"},
        {"a/any(p p eq 1)", LCW_EINVAL,
         "$filter: expected ':' after the range variable at position 9, found 'p'"},
        {"a/any(p: p eq 1", LCW_EINVAL,
         "$filter: expected ')' to close the lambda at position 16, found the end of the filter"},
        {"a/any(p: p/b/any(p: p eq 1))", LCW_EINVAL,
         "$filter: range variable 'p' at position 18 is already in use; choose another name"},
        {"a/any(1)", LCW_EINVAL,
         "$filter: expected a range variable or ')' in 'any(' at position 7, found '1'"},
        {"a/all(1)", LCW_EINVAL,
         "$filter: expected a range variable in 'all(' at position 7, found '1'"},
        {"a/any(p: p eq 1) eq true", LCW_EINVAL,
         "$filter: expected 'and', 'or' or the end of the filter at position 18, found 'eq'"},
        {"a/'x' eq 1", LCW_EINVAL,
         "$filter: expected a property name after '/' at position 3, found 'x'"},
        {"a/", LCW_EINVAL,
         "$filter: expected a property name after '/' at position 3, found the end of the "
         "filter"},
        {"a eq 'this is a long string value' c", LCW_EINVAL,
         "$filter: expected 'and', 'or' or the end of the filter at position 36, found 'c'"},
        {"a eq 1 or 'this is a long string value'", LCW_EINVAL,
         "$filter: expected a property name (the property goes on the left, as in displayName "
         "eq 'x') at position 11, found 'this is a long string v...'"},
};

static void test_filter_parse__invalid__exact_message(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(invalid) / sizeof(invalid[0]); k++) {
        struct odata_expr *e = (struct odata_expr *)&e; /* must be reset to NULL */
        struct lcw_error err = {0};
        int rc = odata_filter_parse(invalid[k].in, strlen(invalid[k].in), &e, &err);
        if (rc != invalid[k].code || strcmp(err.msg, invalid[k].msg) != 0)
            fail_msg("row %zu: %s\n  got  %d %s\n  want %d %s", k, invalid[k].in, rc, err.msg,
                     invalid[k].code, invalid[k].msg);
        assert_null(e);
    }
}

static void test_filter_parse__nul_in_string__rejected(void **state)
{
    static const char in[] = "x eq 'a\0b'";
    struct odata_expr *e = NULL;
    struct lcw_error err = {0};

    (void)state;
    assert_int_equal(odata_filter_parse(in, sizeof(in) - 1, &e, &err), LCW_EINVAL);
    assert_string_equal(err.msg, "$filter: NUL byte inside a string at position 8");
    assert_null(e);
    /* The length is honoured: the text need not be NUL-terminated. */
    assert_int_equal(odata_filter_parse("a eq 1 garbage", 6, &e, &err), 0);
    odata_expr_free(e);
}

static void test_filter_parse__null_args__einval(void **state)
{
    struct odata_expr *e = NULL;
    struct lcw_error err = {0};

    (void)state;
    assert_int_equal(odata_filter_parse(NULL, 0, &e, &err), LCW_EINVAL);
    assert_int_equal(odata_filter_parse("a eq 1", 6, NULL, NULL), LCW_EINVAL);
    assert_int_equal(odata_filter_parse("a", 1, &e, NULL), LCW_EINVAL); /* err may be NULL */
    odata_expr_free(NULL);
}

/* Build "(((...a eq 1...)))" with `n` parentheses. */
static void nested(char *out, size_t size, int n)
{
    struct buf b;

    buf_init(&b, size);
    for (int k = 0; k < n; k++)
        assert_int_equal(buf_putc(&b, '('), 0);
    assert_int_equal(buf_puts(&b, "a eq 1"), 0);
    for (int k = 0; k < n; k++)
        assert_int_equal(buf_putc(&b, ')'), 0);
    lcw_strlcpy(out, buf_cstr(&b), size);
    buf_release(&b);
}

static void test_filter_parse__depth__limit(void **state)
{
    char in[256];
    struct odata_expr *e = NULL;
    struct lcw_error err = {0};

    (void)state;
    nested(in, sizeof(in), ODATA_FILTER_MAX_DEPTH - 1);
    assert_int_equal(odata_filter_parse(in, strlen(in), &e, &err), 0);
    odata_expr_free(e);
    nested(in, sizeof(in), ODATA_FILTER_MAX_DEPTH);
    assert_int_equal(odata_filter_parse(in, strlen(in), &e, &err), LCW_EINVAL);
    assert_string_equal(err.msg, "$filter: nested too deeply at position 33 (at most 32 levels "
                                 "of parentheses, not and lambdas)");
    assert_null(e);
}

static void test_filter_parse__nested_lambdas__limit(void **state)
{
    struct buf b;
    struct odata_expr *e = NULL;
    struct lcw_error err = {0};

    (void)state;
    buf_init(&b, 4096);
    assert_int_equal(buf_puts(&b, "c/any(v0: "), 0);
    for (int k = 1; k < 40; k++)
        assert_int_equal(buf_printf(&b, "v%d/c/any(v%d: ", k - 1, k), 0);
    assert_int_equal(buf_puts(&b, "v39 eq 1"), 0);
    for (int k = 0; k < 40; k++)
        assert_int_equal(buf_putc(&b, ')'), 0);
    assert_int_equal(odata_filter_parse(b.data, b.len, &e, &err), LCW_EINVAL);
    assert_non_null(strstr(err.msg, "nested too deeply"));
    buf_release(&b);
}

static void test_filter_parse__nodes__limit(void **state)
{
    struct buf b;
    struct odata_expr *e = NULL;
    struct lcw_error err = {0};

    (void)state;
    /* 256 comparisons and 255 ors: 511 nodes. */
    buf_init(&b, 8192);
    for (int k = 0; k < 255; k++)
        assert_int_equal(buf_puts(&b, "a eq 1 or "), 0);
    assert_int_equal(buf_puts(&b, "a eq 1"), 0);
    assert_int_equal(odata_filter_parse(b.data, b.len, &e, &err), 0);
    odata_expr_free(e);
    /* Two more nodes: 513. */
    assert_int_equal(buf_puts(&b, " or b eq 2"), 0);
    assert_int_equal(odata_filter_parse(b.data, b.len, &e, &err), LCW_EINVAL);
    assert_non_null(strstr(err.msg, "$filter: too complex at position"));
    assert_non_null(strstr(err.msg, "(more than 512 conditions)"));
    assert_null(e);
    buf_release(&b);
}

static void test_filter_parse__in_list__limit(void **state)
{
    struct buf b;
    struct odata_expr *e = NULL;
    struct lcw_error err = {0};

    (void)state;
    buf_init(&b, 4096);
    assert_int_equal(buf_puts(&b, "x in (0"), 0);
    for (int k = 1; k < ODATA_FILTER_MAX_IN; k++)
        assert_int_equal(buf_printf(&b, ",%d", k), 0);
    assert_int_equal(odata_filter_parse(b.data, b.len, &e, &err), LCW_EINVAL); /* no ')' yet */
    assert_int_equal(buf_putc(&b, ')'), 0);
    assert_int_equal(odata_filter_parse(b.data, b.len, &e, &err), 0);
    assert_int_equal(e->kind, ODATA_EXPR_IN);
    assert_int_equal(e->n_items, ODATA_FILTER_MAX_IN);
    assert_int_equal(e->items[99].i, 99);
    odata_expr_free(e);
    b.len--; /* drop ')' */
    assert_int_equal(buf_puts(&b, ",100)"), 0);
    assert_int_equal(odata_filter_parse(b.data, b.len, &e, &err), LCW_EINVAL);
    assert_string_equal(err.msg, "$filter: the 'in' list at position 1 has more than 100 values");
    buf_release(&b);
}

static void test_filter_parse__length__limit(void **state)
{
    char in[ODATA_FILTER_MAX_LEN + 2];
    struct odata_expr *e = NULL;
    struct lcw_error err = {0};

    (void)state;
    memset(in, ' ', sizeof(in));
    memcpy(in, "a eq 1", 6);
    assert_int_equal(odata_filter_parse(in, ODATA_FILTER_MAX_LEN, &e, &err), 0);
    odata_expr_free(e);
    assert_int_equal(odata_filter_parse(in, ODATA_FILTER_MAX_LEN + 1, &e, &err), LCW_ETOOBIG);
    assert_string_equal(err.msg, "$filter: too long (4097 bytes, at most 4096)");
    assert_null(e);
}

static void test_filter_parse__ast__fields(void **state)
{
    static const char in[] = "x/any(v: v/skuId eq 'a''b') and d ge 2024-01-01T00:00:00Z";
    struct odata_expr *e = NULL;
    const struct odata_expr *lam, *cmp;

    (void)state;
    assert_int_equal(odata_filter_parse(in, strlen(in), &e, NULL), 0);
    assert_int_equal(e->kind, ODATA_EXPR_AND);
    assert_int_equal(e->pos, 29);
    lam = e->lhs;
    assert_int_equal(lam->kind, ODATA_EXPR_ANY);
    assert_string_equal(lam->path.text, "x");
    assert_int_equal(lam->path.lambda, -1);
    assert_string_equal(lam->var, "v");
    cmp = lam->lhs;
    assert_int_equal(cmp->kind, ODATA_EXPR_CMP);
    assert_int_equal(cmp->pos, 10);
    assert_string_equal(cmp->path.text, "v/skuId");
    assert_int_equal(cmp->path.lambda, 0);
    assert_string_equal(cmp->path.rest, "skuId");
    assert_int_equal(cmp->lit.type, ODATA_LIT_STRING);
    assert_string_equal(cmp->lit.s, "a'b");
    assert_int_equal(cmp->lit.len, 3);
    assert_int_equal(e->rhs->lit.type, ODATA_LIT_DATETIME);
    assert_int_equal(e->rhs->lit.i, 1704067200000LL);
    odata_expr_free(e);
}

/* Every allocation failure is reported as LCW_ENOMEM and leaks nothing (ASan checks). */
static void test_filter_parse__alloc_failure__enomem(void **state)
{
    static const char in[] =
            "(department eq 'Marketing') or (not (city in ('Redmond', 'Paris'))) and "
            "otherMails/any(p: startswith(p, 'Av')) and a/any(x: x/b/any(y: y eq 1)) and "
            "id eq 12345678-1234-1234-1234-123456789abc and startswith(n, 'x') eq false";
    int rc = LCW_ENOMEM;
    long n;

    (void)state;
    for (n = 1; rc == LCW_ENOMEM && n < 10000; n++) {
        struct odata_expr *e = NULL;
        struct lcw_error err = {0};
        lcw_alloc_fail_at(n);
        rc = odata_filter_parse(in, strlen(in), &e, &err);
        lcw_alloc_fail_at(0);
        if (rc == LCW_ENOMEM) {
            assert_null(e);
            assert_string_equal(err.msg, "$filter: out of memory");
        } else {
            assert_int_equal(rc, 0);
            odata_expr_free(e);
        }
    }
    assert_int_equal(rc, 0);
    assert_true(n > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_filter_parse__valid__canonical),
            cmocka_unit_test(test_filter_parse__precedence__tree_shape),
            cmocka_unit_test(test_filter_parse__long_chain_dump__reparses),
            cmocka_unit_test(test_filter_parse__invalid__exact_message),
            cmocka_unit_test(test_filter_parse__nul_in_string__rejected),
            cmocka_unit_test(test_filter_parse__null_args__einval),
            cmocka_unit_test(test_filter_parse__depth__limit),
            cmocka_unit_test(test_filter_parse__nested_lambdas__limit),
            cmocka_unit_test(test_filter_parse__nodes__limit),
            cmocka_unit_test(test_filter_parse__in_list__limit),
            cmocka_unit_test(test_filter_parse__length__limit),
            cmocka_unit_test(test_filter_parse__ast__fields),
            cmocka_unit_test(test_filter_parse__alloc_failure__enomem),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
