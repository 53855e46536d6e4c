/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for odata_filter_to_sql (src/odata/filter_sql.c): the exact SQL
 * text and parameters for each construct, the refusals, and a differential
 * test that runs the generated SQL on an in-memory SQLite table and compares
 * the matching ids with odata_eval over the same rows as JSON.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "lcw/common.h"
#include "lcw/odata.h"

static const struct odata_property wf_props[] = {
        {"id", "id", ODATA_T_GUID, ODATA_OP_EQ | ODATA_OP_IN, true},
        {"displayName", "display_name", ODATA_T_STRING,
         ODATA_OP_EQ | ODATA_OP_IN | ODATA_OP_STARTSWITH | ODATA_OP_ENDSWITH | ODATA_OP_CONTAINS |
                 ODATA_OP_ORDER,
         true},
        {"category", "category", ODATA_T_FLAGS, ODATA_OP_HAS | ODATA_OP_EQ, true},
        {"isEnabled", "is_enabled", ODATA_T_BOOL, ODATA_OP_EQ, true},
        {"version", "version", ODATA_T_INT, ODATA_OP_EQ | ODATA_OP_ORDER | ODATA_OP_IN, true},
        {"createdDateTime", "created_at_ms", ODATA_T_DATETIME, ODATA_OP_EQ | ODATA_OP_ORDER, true},
        {"description", "description", ODATA_T_STRING,
         ODATA_OP_EQ | ODATA_OP_STARTSWITH | ODATA_OP_ENDSWITH | ODATA_OP_CONTAINS, false},
        {"executionConditions/trigger/timeBasedAttribute", "trigger_attr", ODATA_T_ENUM,
         ODATA_OP_EQ | ODATA_OP_IN, false},
        {"tags", "tags", ODATA_T_FLAGS, ODATA_OP_ANY | ODATA_OP_ALL | ODATA_OP_EQ | ODATA_OP_IN,
         false},
        {"tasks", NULL, ODATA_T_STRING, ODATA_OP_ANY, false},
        {"tasks/displayName", NULL, ODATA_T_STRING, ODATA_OP_EQ, false},
        {"scopeRule", NULL, ODATA_T_STRING, ODATA_OP_EQ, false},
};

static const struct odata_entity wf = {"workflow", "id", wf_props,
                                       sizeof(wf_props) / sizeof(wf_props[0])};

/* Render params as "I:2 T:abc N" for comparison. */
static void params_str(const struct odata_sql *s, char *out, size_t size)
{
    struct buf b;

    buf_init(&b, 1 << 16);
    for (size_t k = 0; k < s->n_params; k++) {
        const struct odata_param *p = &s->params[k];
        if (k)
            assert_int_equal(buf_putc(&b, ' '), 0);
        if (p->kind == ODATA_P_INT)
            assert_int_equal(buf_printf(&b, "I:%" PRId64, p->i), 0);
        else if (p->kind == ODATA_P_TEXT)
            assert_int_equal(buf_printf(&b, "T:%s", p->s), 0);
        else
            assert_int_equal(buf_puts(&b, "N"), 0);
    }
    lcw_strlcpy(out, buf_cstr(&b), size);
    buf_release(&b);
}

#define FLAGS_TEST(col) "replace(',' || " col " || ',', ?, '') <> (',' || " col " || ',')"

static const struct {
    const char *filter; /* NULL = no filter */
    const char *sql;
    const char *params;
} rows[] = {
        {NULL, "1=1", ""},
        {"displayName eq 'A'", "display_name = ?", "T:A"},
        {"displayName ne 'A'", "(display_name IS NULL OR display_name <> ?)", "T:A"},
        {"version gt 2", "version > ?", "I:2"},
        {"version le -2", "version <= ?", "I:-2"},
        {"not (version gt 2)", "NOT ((version IS NOT NULL AND version > ?))", "I:2"},
        {"isEnabled eq true", "is_enabled = ?", "I:1"},
        {"isEnabled eq false", "is_enabled = ?", "I:0"},
        {"createdDateTime ge 2024-01-01T00:00:00Z", "created_at_ms >= ?", "I:1704067200000"},
        {"createdDateTime lt '2024-01-01T00:00:00.5Z'", "created_at_ms < ?", "I:1704067200500"},
        {"id eq 6FD2C87F-B296-42F0-B197-1E91E994B900", "id = ?",
         "T:6fd2c87f-b296-42f0-b197-1e91e994b900"},
        {"id eq '6FD2C87F-B296-42F0-B197-1E91E994B900'", "id = ?",
         "T:6fd2c87f-b296-42f0-b197-1e91e994b900"},
        {"id in ('6FD2C87F-B296-42F0-B197-1E91E994B900', 12345678-1234-1234-1234-123456789ABC)",
         "id IN (?, ?)",
         "T:6fd2c87f-b296-42f0-b197-1e91e994b900 T:12345678-1234-1234-1234-123456789abc"},
        {"description eq null", "description IS NULL", ""},
        {"description ne null", "description IS NOT NULL", ""},
        {"version lt null", "1=0", ""},
        {"not (description eq null)", "NOT (description IS NULL)", ""},
        {"displayName in ('a', null)", "(display_name IS NULL OR display_name IN (?))", "T:a"},
        {"displayName in (null)", "display_name IS NULL", ""},
        {"displayName in ('a','b')", "display_name IN (?, ?)", "T:a T:b"},
        {"not (displayName in ('a','b'))",
         "NOT ((display_name IS NOT NULL AND display_name IN (?, ?)))", "T:a T:b"},
        {"category has 'joiner'", "(" FLAGS_TEST("category") ")", "T:,joiner,"},
        {"category has 'joiner, mover'",
         "(" FLAGS_TEST("category") " AND " FLAGS_TEST("category") ")", "T:,joiner, T:,mover,"},
        {"category has ','", "(1=0)", ""},
        {"not (category has 'joiner')",
         "NOT ((category IS NOT NULL AND " FLAGS_TEST("category") "))", "T:,joiner,"},
        {"category eq 'joiner,mover'", "category = ?", "T:joiner,mover"},
        {"startswith(displayName, 'Onb')", "substr(display_name, 1, CAST(? AS INTEGER)) = ?",
         "I:3 T:Onb"},
        {"startswith(displayName, 'Ünï')", "substr(display_name, 1, CAST(? AS INTEGER)) = ?",
         "I:3 T:Ünï"},
        {"endswith(displayName, 'ee')",
         "(length(display_name) >= ? AND substr(display_name, length(display_name) - CAST(? AS "
         "INTEGER) + 1) = ?)",
         "I:2 I:2 T:ee"},
        {"contains(description, 'x')", "replace(description, ?, '') <> description", "T:x"},
        {"contains(description, '')", "description IS NOT NULL", ""},
        {"not contains(description, 'x')",
         "NOT ((description IS NOT NULL AND replace(description, ?, '') <> description))", "T:x"},
        {"(displayName eq 'a' or version eq 1) and not isEnabled eq false",
         "((display_name = ? OR version = ?) AND NOT ((is_enabled IS NOT NULL AND is_enabled = "
         "?)))",
         "T:a I:1 I:0"},
        {"tags/any()", "(tags IS NOT NULL AND tags <> '')", ""},
        {"tags/any(t: t eq 'x')", "(" FLAGS_TEST("tags") ")", "T:,x,"},
        {"tags/any(t: t in ('x','y'))", "((" FLAGS_TEST("tags") " OR " FLAGS_TEST("tags") "))",
         "T:,x, T:,y,"},
        {"not tags/any(t: t eq 'x')", "NOT ((tags IS NOT NULL AND " FLAGS_TEST("tags") "))",
         "T:,x,"},
        {"executionConditions/trigger/timeBasedAttribute eq 'employeeHireDate'", "trigger_attr = ?",
         "T:employeeHireDate"},
        {"DisplayName eq 'it''s'", "display_name = ?", "T:it's"},
};

static void test_filter_sql__table__exact(void **state)
{
    char params[1024];

    (void)state;
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        struct odata_expr *e = NULL;
        struct odata_sql sql;
        struct lcw_error err = {0};
        int rc;
        if (rows[k].filter &&
            odata_filter_parse(rows[k].filter, strlen(rows[k].filter), &e, &err) != 0)
            fail_msg("row %zu: parse %s: %s", k, rows[k].filter, err.msg);
        rc = odata_filter_to_sql(e, &wf, &sql, &err);
        if (rc)
            fail_msg("row %zu: %s: %s", k, rows[k].filter, err.msg);
        params_str(&sql, params, sizeof(params));
        if (strcmp(buf_cstr(&sql.where), rows[k].sql) != 0 || strcmp(params, rows[k].params))
            fail_msg("row %zu: %s\n  got  %s [%s]\n  want %s [%s]", k, rows[k].filter,
                     buf_cstr(&sql.where), params, rows[k].sql, rows[k].params);
        odata_sql_release(&sql);
        odata_expr_free(e);
    }
}

static const struct {
    const char *filter;
    const char *msg;
} refusals[] = {
        {"scopeRule eq 'x'",
         "$filter: 'scopeRule' is not supported in $filter for this collection"},
        {"tasks/any(t: t/displayName eq 'x')",
         "$filter: 'any' on 'tasks' is not supported in $filter for this collection"},
        {"tasks/any()",
         "$filter: 'any' on 'tasks' is not supported in $filter for this collection"},
        {"tags/all(t: t eq 'x')",
         "$filter: 'all' on 'tags' is not supported in $filter for this collection"},
        {"tags/any(t: t ne 'x')",
         "$filter: 'any' on 'tags' is not supported in $filter for this collection"},
        {"tags/any(t: t eq 'x' or t eq 'y')",
         "$filter: 'any' on 'tags' is not supported in $filter for this collection"},
        {"tags/any(t: t in ('x', null))",
         "$filter: 'any' on 'tags' is not supported in $filter for this collection"},
        {"foo eq 1", "$filter: property 'foo' is not filterable on workflow"},
        {"category gt 'a'", "$filter: operator 'gt' is not supported on 'category'"},
        {"isEnabled eq 1", "$filter: 'isEnabled' expects true or false, not 1 (at position 1)"},
};

static void test_filter_sql__unsupported__einval(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(refusals) / sizeof(refusals[0]); k++) {
        struct odata_expr *e = NULL;
        struct odata_sql sql;
        struct lcw_error err = {0};
        int rc;
        assert_int_equal(
                odata_filter_parse(refusals[k].filter, strlen(refusals[k].filter), &e, &err), 0);
        rc = odata_filter_to_sql(e, &wf, &sql, &err);
        if (rc != LCW_EINVAL || strcmp(err.msg, refusals[k].msg) != 0)
            fail_msg("row %zu: %s\n  got  %d %s\n  want %s", k, refusals[k].filter, rc, err.msg,
                     refusals[k].msg);
        odata_sql_release(&sql);
        odata_expr_free(e);
    }
}

/* ------------------------------------------------------------ differential */

struct row {
    const char *id;
    const char *display_name; /* NULL = SQL NULL / JSON missing */
    const char *category;
    int is_enabled;          /* -1 = NULL */
    long long version;       /* -1 = NULL */
    long long created_at_ms; /* -1 = NULL */
    const char *description;
    const char *tags; /* "a,b" in SQL, ["a","b"] in JSON */
};

static const struct row data[] = {
        {"00000000-0000-4000-8000-000000000001", "Onboard new hire", "joiner", 1, 1,
         1704067200000LL, "welcome", "x"},
        {"00000000-0000-4000-8000-000000000002", "Offboard employee", "leaver", 0, 2,
         1706745600000LL, NULL, "x,y"},
        {"00000000-0000-4000-8000-000000000003", NULL, "joiner,mover", -1, -1, -1, "mover flow",
         NULL},
        {"00000000-0000-4000-8000-000000000004", "onboard lower", "mover", 1, 3, 1709251200000LL,
         "", ""},
        {"00000000-0000-4000-8000-000000000005", "Ünïcødé flow", NULL, 0, 2, 1704067200000LL,
         "it's here", "y"},
        {"00000000-0000-4000-8000-000000000006", "Onb", "joiner,leaver", 1, 10, 1704067199999LL,
         "ee", "z,x"},
        {"00000000-0000-4000-8000-000000000007", "ee", "leaver,mover", -1, 0, 0, "xee", "xy"},
};

static const char *const diff_filters[] = {
        "displayName eq 'Onb'",
        "displayName ne 'Onb'",
        "not (displayName eq 'Onb')",
        "not (displayName ne 'Onb')",
        "displayName eq null",
        "displayName ne null",
        "displayName lt 'O'",
        "not (displayName lt 'O')",
        "displayName in ('Onb', 'ee', null)",
        "not (displayName in ('Onb', 'ee'))",
        "not (displayName in ('Onb', null))",
        "startswith(displayName, 'Onb')",
        "not startswith(displayName, 'Onb')",
        "startswith(displayName, 'Ünï')",
        "startswith(displayName, '')",
        "startswith(displayName, 'Onboard new hire and more')",
        "endswith(displayName, 'ee')",
        "endswith(displayName, 'flow')",
        "endswith(displayName, 'xee')",
        "not endswith(displayName, 'ee')",
        "endswith(displayName, '')",
        "contains(description, 'e')",
        "contains(description, '')",
        "not contains(description, 'e')",
        "contains(description, '''')",
        "category has 'joiner'",
        "category has 'mover,joiner'",
        "not (category has 'leaver')",
        "category has 'join'",
        "isEnabled eq true",
        "isEnabled eq false",
        "not (isEnabled eq false)",
        "isEnabled ne true",
        "version ge 2",
        "not (version ge 2)",
        "version in (0, 10)",
        "createdDateTime lt 2024-01-01T00:00:00Z",
        "createdDateTime ge 2024-01-01T00:00:00Z and createdDateTime le 2024-02-01T00:00:00Z",
        "not (createdDateTime gt 2024-01-01T00:00:00Z)",
        "createdDateTime eq null",
        "id eq 00000000-0000-4000-8000-000000000003",
        "id in ('00000000-0000-4000-8000-000000000003', 00000000-0000-4000-8000-000000000005)",
        "tags/any()",
        "not tags/any()",
        "tags/any(t: t eq 'x')",
        "not tags/any(t: t eq 'x')",
        "tags/any(t: t in ('y', 'z'))",
        "not (tags/any(t: t in ('y', 'z')))",
        "(displayName eq 'Onb' or version eq 2) and not (isEnabled eq false)",
        "not (not (displayName eq 'Onb') and isEnabled eq true)",
        "not (version gt 1 or description eq null)",
};

static json_t *row_json(const struct row *r)
{
    json_t *o = json_object();
    char t[TIMEFMT_LEN];

    assert_non_null(o);
    json_object_set_new(o, "id", json_string(r->id));
    if (r->display_name)
        json_object_set_new(o, "displayName", json_string(r->display_name));
    json_object_set_new(o, "category", r->category ? json_string(r->category) : json_null());
    if (r->is_enabled >= 0)
        json_object_set_new(o, "isEnabled", json_boolean(r->is_enabled));
    if (r->version >= 0)
        json_object_set_new(o, "version", json_integer(r->version));
    if (r->created_at_ms >= 0)
        json_object_set_new(o, "createdDateTime", json_string(timefmt_format(r->created_at_ms, t)));
    json_object_set_new(o, "description",
                        r->description ? json_string(r->description) : json_null());
    if (r->tags) {
        json_t *a = json_array();
        const char *s = r->tags;
        while (*s) {
            const char *c = strchr(s, ',');
            size_t n = c ? (size_t)(c - s) : strlen(s);
            json_array_append_new(a, json_stringn(s, n));
            s += n;
            if (*s)
                s++;
        }
        json_object_set_new(o, "tags", a);
    }
    return o;
}

static sqlite3 *open_db(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE wf (id TEXT PRIMARY KEY, display_name TEXT, "
                                  "category TEXT, is_enabled INTEGER, version INTEGER, "
                                  "created_at_ms INTEGER, description TEXT, trigger_attr TEXT, "
                                  "tags TEXT)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO wf (id, display_name, category, is_enabled, "
                                        "version, created_at_ms, description, tags) VALUES "
                                        "(?,?,?,?,?,?,?,?)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    for (size_t k = 0; k < sizeof(data) / sizeof(data[0]); k++) {
        const struct row *r = &data[k];
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
        if (r->display_name)
            sqlite3_bind_text(st, 2, r->display_name, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 2);
        if (r->category)
            sqlite3_bind_text(st, 3, r->category, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 3);
        if (r->is_enabled >= 0)
            sqlite3_bind_int(st, 4, r->is_enabled);
        else
            sqlite3_bind_null(st, 4);
        if (r->version >= 0)
            sqlite3_bind_int64(st, 5, r->version);
        else
            sqlite3_bind_null(st, 5);
        if (r->created_at_ms >= 0)
            sqlite3_bind_int64(st, 6, r->created_at_ms);
        else
            sqlite3_bind_null(st, 6);
        if (r->description)
            sqlite3_bind_text(st, 7, r->description, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 7);
        if (r->tags)
            sqlite3_bind_text(st, 8, r->tags, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 8);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    }
    sqlite3_finalize(st);
    return db;
}

static void bind_params(sqlite3_stmt *st, const struct odata_sql *s, int first)
{
    for (size_t k = 0; k < s->n_params; k++) {
        const struct odata_param *p = &s->params[k];
        int idx = first + (int)k;
        if (p->kind == ODATA_P_INT)
            assert_int_equal(sqlite3_bind_int64(st, idx, p->i), SQLITE_OK);
        else if (p->kind == ODATA_P_TEXT)
            assert_int_equal(sqlite3_bind_text(st, idx, p->s, -1, SQLITE_TRANSIENT), SQLITE_OK);
        else
            assert_int_equal(sqlite3_bind_null(st, idx), SQLITE_OK);
    }
}

static void test_filter_sql__sqlite__matches_eval(void **state)
{
    sqlite3 *db = open_db();

    (void)state;
    for (size_t f = 0; f < sizeof(diff_filters) / sizeof(diff_filters[0]); f++) {
        const char *filter = diff_filters[f];
        struct odata_expr *e = NULL;
        struct odata_sql sql;
        struct lcw_error err = {0};
        struct buf q, want, got;
        sqlite3_stmt *st = NULL;

        if (odata_filter_parse(filter, strlen(filter), &e, &err) != 0)
            fail_msg("%s: %s", filter, err.msg);
        if (odata_filter_to_sql(e, &wf, &sql, &err) != 0)
            fail_msg("%s: %s", filter, err.msg);
        buf_init(&q, 1 << 16);
        buf_init(&want, 1 << 16);
        buf_init(&got, 1 << 16);
        assert_int_equal(
                buf_printf(&q, "SELECT id FROM wf WHERE %s ORDER BY id", buf_cstr(&sql.where)), 0);
        if (sqlite3_prepare_v2(db, buf_cstr(&q), -1, &st, NULL) != SQLITE_OK)
            fail_msg("%s: %s: %s", filter, buf_cstr(&q), sqlite3_errmsg(db));
        assert_int_equal(sqlite3_bind_parameter_count(st), (int)sql.n_params);
        bind_params(st, &sql, 1);
        while (sqlite3_step(st) == SQLITE_ROW)
            assert_int_equal(buf_printf(&got, "%s ", (const char *)sqlite3_column_text(st, 0) + 35),
                             0);
        sqlite3_finalize(st);
        for (size_t k = 0; k < sizeof(data) / sizeof(data[0]); k++) {
            json_t *o = row_json(&data[k]);
            bool match = false;
            assert_int_equal(odata_eval(e, o, 0, &match, &err), 0);
            if (match)
                assert_int_equal(buf_printf(&want, "%s ", data[k].id + 35), 0);
            json_decref(o);
        }
        if (strcmp(buf_cstr(&got), buf_cstr(&want)) != 0)
            fail_msg("%s\n  sql  %s\n  rows %s\n  eval %s", filter, buf_cstr(&q), buf_cstr(&got),
                     buf_cstr(&want));
        buf_release(&q);
        buf_release(&want);
        buf_release(&got);
        odata_sql_release(&sql);
        odata_expr_free(e);
    }
    sqlite3_close(db);
}

static void test_filter_sql__alloc_failure__enomem(void **state)
{
    static const char in[] = "(displayName in ('a','b','c','d','e','f','g','h','i') or "
                             "startswith(displayName, 'x')) and not (category has 'a,b') and "
                             "tags/any(t: t in ('x','y')) and endswith(description, 'q')";
    struct odata_expr *e = NULL;
    int rc = LCW_ENOMEM;
    long n;

    (void)state;
    assert_int_equal(odata_filter_parse(in, strlen(in), &e, NULL), 0);
    for (n = 1; rc == LCW_ENOMEM && n < 10000; n++) {
        struct odata_sql sql;
        struct lcw_error err = {0};
        lcw_alloc_fail_at(n);
        rc = odata_filter_to_sql(e, &wf, &sql, &err);
        lcw_alloc_fail_at(0);
        if (rc)
            assert_int_equal(rc, LCW_ENOMEM);
        odata_sql_release(&sql);
    }
    assert_int_equal(rc, 0);
    assert_true(n > 10);
    odata_expr_free(e);
}

static void test_filter_sql__bad_args__einval(void **state)
{
    struct odata_sql sql;

    (void)state;
    assert_int_equal(odata_filter_to_sql(NULL, NULL, &sql, NULL), LCW_EINVAL);
    odata_sql_release(&sql);
    assert_int_equal(odata_filter_to_sql(NULL, &wf, NULL, NULL), LCW_EINVAL);
    odata_sql_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_filter_sql__table__exact),
            cmocka_unit_test(test_filter_sql__unsupported__einval),
            cmocka_unit_test(test_filter_sql__sqlite__matches_eval),
            cmocka_unit_test(test_filter_sql__alloc_failure__enomem),
            cmocka_unit_test(test_filter_sql__bad_args__einval),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
