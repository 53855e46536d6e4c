/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for keyset paging (src/odata/paging.c): the exact ORDER BY and
 * keyset SQL, skiptoken validation, and walking an in-memory SQLite table
 * page by page (ties, NULLs, ascending and descending, with and without a
 * filter) checking that the pages concatenate to the unpaged result.
 */
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
        {"id", "id", ODATA_T_GUID, ODATA_OP_EQ, true},
        {"displayName", "display_name", ODATA_T_STRING, ODATA_OP_EQ | ODATA_OP_ORDER, true},
        {"version", "version", ODATA_T_INT, ODATA_OP_EQ | ODATA_OP_ORDER, true},
        {"createdDateTime", "created_at_ms", ODATA_T_DATETIME, ODATA_OP_ORDER, true},
        {"isEnabled", "is_enabled", ODATA_T_BOOL, ODATA_OP_EQ, true},
        {"description", "description", ODATA_T_STRING, ODATA_OP_EQ, false},
        {"scopeRule", NULL, ODATA_T_STRING, ODATA_OP_EQ, true},
};

static const struct odata_entity wf = {"workflow", "id", wf_props,
                                       sizeof(wf_props) / sizeof(wf_props[0])};

/* Build a query from "$orderby" text (NULL = none), token and filter. */
static void make_query(struct odata_query *q, const char *orderby, const char *token,
                       const char *filter)
{
    struct odata_kv kv[3];
    size_t n = 0;
    struct lcw_error err = {0};

    if (orderby)
        kv[n++] = (struct odata_kv){"$orderby", orderby};
    if (token)
        kv[n++] = (struct odata_kv){"$skiptoken", token};
    if (filter)
        kv[n++] = (struct odata_kv){"$filter", filter};
    if (odata_query_parse(kv, n, 0x1ffu, q, &err) != 0)
        fail_msg("query: %s", err.msg);
}

/* Run order_and_page for q and return its results in the out-params. */
static int page_sql(const struct odata_query *q, struct odata_sql *sql, struct buf *order,
                    const char ***cols, size_t *n_cols, struct lcw_error *err)
{
    int rc = odata_filter_to_sql(q->filter, &wf, sql, err);

    buf_init(order, 4096);
    if (rc)
        return rc;
    return odata_sql_order_and_page(q, &wf, sql, order, cols, n_cols, err);
}

static const struct {
    const char *orderby;
    const char *order_sql;
    size_t n_cols;
} order_rows[] = {
        {NULL, " ORDER BY id", 1},
        {"displayName", " ORDER BY (display_name IS NULL), display_name, id", 2},
        {"displayName desc", " ORDER BY (display_name IS NULL), display_name DESC, id", 2},
        {"id desc", " ORDER BY id DESC", 1},
        {"ID", " ORDER BY id", 1},
        {"version,displayName desc",
         " ORDER BY (version IS NULL), version, (display_name IS NULL), display_name DESC, id", 3},
        {"version desc, id", " ORDER BY (version IS NULL), version DESC, id", 2},
        {"createdDateTime desc", " ORDER BY (created_at_ms IS NULL), created_at_ms DESC, id", 2},
};

static void test_paging__order_by__exact(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(order_rows) / sizeof(order_rows[0]); k++) {
        struct odata_query q;
        struct odata_sql sql;
        struct buf order;
        const char **cols = NULL;
        size_t n_cols = 0;
        struct lcw_error err = {0};

        make_query(&q, order_rows[k].orderby, NULL, NULL);
        if (page_sql(&q, &sql, &order, &cols, &n_cols, &err) != 0)
            fail_msg("row %zu: %s", k, err.msg);
        assert_string_equal(buf_cstr(&order), order_rows[k].order_sql);
        assert_string_equal(buf_cstr(&sql.where), "1=1");
        assert_int_equal(n_cols, order_rows[k].n_cols);
        assert_string_equal(cols[n_cols - 1], n_cols == 1 && k == 0 ? "id" : cols[n_cols - 1]);
        lcw_free(cols);
        buf_release(&order);
        odata_sql_release(&sql);
        odata_query_release(&q);
    }
}

static void test_paging__keyset__exact(void **state)
{
    static const struct {
        const char *orderby;
        const char *const values[3];
        size_t n;
        const char *where;
        size_t n_params;
    } rows[] = {
            {"displayName",
             {"b", "id5"},
             2,
             "(1=1) AND (((display_name > ? OR display_name IS NULL)) OR (display_name = ? AND id "
             "> ?))",
             3},
            {"displayName desc",
             {"b", "id5"},
             2,
             "(1=1) AND (((display_name < ? OR display_name IS NULL)) OR (display_name = ? AND id "
             "> ?))",
             3},
            {"displayName", {NULL, "id5"}, 2, "(1=1) AND ((display_name IS NULL AND id > ?))", 1},
            {NULL, {"id5"}, 1, "(1=1) AND ((id > ?))", 1},
            {"id desc", {"id5"}, 1, "(1=1) AND ((id < ?))", 1},
            {"version desc,displayName",
             {"3", NULL, "id5"},
             3,
             "(1=1) AND (((version < ? OR version IS NULL)) OR (version = ? AND display_name IS "
             "NULL AND id > ?))",
             3},
    };

    (void)state;
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        struct odata_query q0, q;
        struct odata_sql sql;
        struct buf order;
        const char **cols = NULL;
        size_t n_cols = 0;
        char *token = NULL;
        struct lcw_error err = {0};

        make_query(&q0, rows[k].orderby, NULL, NULL);
        assert_int_equal(odata_skiptoken_encode(&q0, rows[k].values, rows[k].n, &token), 0);
        for (const char *t = token; *t; t++)
            assert_non_null(
                    strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *t));
        make_query(&q, rows[k].orderby, token, NULL);
        if (page_sql(&q, &sql, &order, &cols, &n_cols, &err) != 0)
            fail_msg("row %zu: %s", k, err.msg);
        if (strcmp(buf_cstr(&sql.where), rows[k].where) != 0)
            fail_msg("row %zu\n  got  %s\n  want %s", k, buf_cstr(&sql.where), rows[k].where);
        assert_int_equal(sql.n_params, rows[k].n_params);
        lcw_free(cols);
        lcw_free(token);
        buf_release(&order);
        odata_sql_release(&sql);
        odata_query_release(&q);
        odata_query_release(&q0);
    }
}

static void test_paging__keyset__param_types(void **state)
{
    const char *const values[] = {"1704067200000", "id1"};
    struct odata_query q0, q;
    struct odata_sql sql;
    struct buf order;
    const char **cols = NULL;
    size_t n_cols = 0;
    char *token = NULL;

    (void)state;
    make_query(&q0, "createdDateTime", NULL, "isEnabled eq true");
    assert_int_equal(odata_skiptoken_encode(&q0, values, 2, &token), 0);
    make_query(&q, "createdDateTime", token, "isEnabled eq true");
    assert_int_equal(page_sql(&q, &sql, &order, &cols, &n_cols, NULL), 0);
    assert_string_equal(buf_cstr(&sql.where),
                        "(is_enabled = ?) AND (((created_at_ms > ? OR created_at_ms IS NULL)) OR "
                        "(created_at_ms = ? AND id > ?))");
    assert_int_equal(sql.n_params, 4);
    assert_int_equal(sql.params[0].kind, ODATA_P_INT);
    assert_int_equal(sql.params[1].kind, ODATA_P_INT);
    assert_int_equal(sql.params[1].i, 1704067200000LL);
    assert_int_equal(sql.params[2].i, 1704067200000LL);
    assert_int_equal(sql.params[3].kind, ODATA_P_TEXT);
    assert_string_equal(sql.params[3].s, "id1");
    lcw_free(cols);
    lcw_free(token);
    buf_release(&order);
    odata_sql_release(&sql);
    odata_query_release(&q);
    odata_query_release(&q0);
}

static void expect_error(const char *orderby, const char *token, const char *msg)
{
    struct odata_query q;
    struct odata_sql sql;
    struct buf order;
    const char **cols = NULL;
    size_t n_cols = 0;
    struct lcw_error err = {0};

    make_query(&q, orderby, token, NULL);
    assert_int_equal(page_sql(&q, &sql, &order, &cols, &n_cols, &err), LCW_EINVAL);
    assert_string_equal(err.msg, msg);
    assert_null(cols);
    assert_string_equal(buf_cstr(&sql.where), "1=1");
    assert_int_equal(sql.n_params, 0);
    buf_release(&order);
    odata_sql_release(&sql);
    odata_query_release(&q);
}

static char *token_for(const char *orderby, const char *const *values, size_t n)
{
    struct odata_query q;
    char *token = NULL;

    make_query(&q, orderby, NULL, NULL);
    assert_int_equal(odata_skiptoken_encode(&q, values, n, &token), 0);
    odata_query_release(&q);
    return token;
}

/* base64url of raw JSON text, to forge tokens. */
static char *forge(const char *json)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(json);
    char *out = lcw_malloc(n * 2 + 4);
    size_t o = 0;

    assert_non_null(out);
    for (size_t k = 0; k < n; k += 3) {
        uint32_t v = (uint32_t)(unsigned char)json[k] << 16;
        if (k + 1 < n)
            v |= (uint32_t)(unsigned char)json[k + 1] << 8;
        if (k + 2 < n)
            v |= (unsigned char)json[k + 2];
        out[o++] = a[(v >> 18) & 63];
        out[o++] = a[(v >> 12) & 63];
        if (k + 1 < n)
            out[o++] = a[(v >> 6) & 63];
        if (k + 2 < n)
            out[o++] = a[v & 63];
    }
    out[o] = '\0';
    return out;
}

static void test_paging__errors__einval(void **state)
{
    static const char bad[] = "The $skiptoken is not valid for this query";
    const char *const v2[] = {"x", "id1"};
    const char *const v1[] = {"id1"};
    const char *const vint[] = {"3", "id1"};
    char *t;

    (void)state;
    expect_error("description", NULL,
                 "$orderby: property 'description' is not sortable on workflow");
    expect_error("nosuch", NULL, "$orderby: property 'nosuch' is not sortable on workflow");
    expect_error("scopeRule", NULL, "$orderby: property 'scopeRule' is not sortable on workflow");
    expect_error(NULL, "!!!!", bad);
    expect_error(NULL, "A", bad);           /* impossible base64 length */
    expect_error(NULL, "bm90IGpzb24", bad); /* "not json" */
    /* A token made for another $orderby. */
    t = token_for("displayName", v2, 2);
    expect_error("displayName desc", t, bad);
    expect_error(NULL, t, bad);
    lcw_free(t);
    t = token_for(NULL, v1, 1);
    expect_error("displayName", t, bad);
    lcw_free(t);
    /* Forged: wrong arity, non-string values, NULL id, non-integer for an integer column. */
    t = forge("[\"\",\"a\",\"b\"]");
    expect_error(NULL, t, bad);
    lcw_free(t);
    t = forge("[\"\",null]");
    expect_error(NULL, t, bad);
    lcw_free(t);
    t = forge("[\"\",5]");
    expect_error(NULL, t, bad);
    lcw_free(t);
    t = forge("{\"a\":1}");
    expect_error(NULL, t, bad);
    lcw_free(t);
    t = forge("[\"version\",\"x3\",\"id1\"]");
    expect_error("version", t, bad);
    lcw_free(t);
    /* A well-formed integer key is accepted. */
    t = token_for("version", vint, 2);
    {
        struct odata_query q;
        struct odata_sql sql;
        struct buf order;
        const char **cols = NULL;
        size_t n_cols = 0;
        make_query(&q, "version", t, NULL);
        assert_int_equal(page_sql(&q, &sql, &order, &cols, &n_cols, NULL), 0);
        assert_int_equal(sql.params[0].kind, ODATA_P_INT);
        assert_int_equal(sql.params[0].i, 3);
        lcw_free(cols);
        buf_release(&order);
        odata_sql_release(&sql);
        odata_query_release(&q);
    }
    lcw_free(t);
}

static void test_paging__orderby_case__token_still_valid(void **state)
{
    const char *const v2[] = {"x", "id1"};
    struct odata_query q;
    struct odata_sql sql;
    struct buf order;
    const char **cols = NULL;
    size_t n_cols = 0;
    char *t = token_for("displayName", v2, 2);

    (void)state;
    make_query(&q, "DISPLAYNAME asc", t, NULL);
    assert_int_equal(page_sql(&q, &sql, &order, &cols, &n_cols, NULL), 0);
    lcw_free(cols);
    lcw_free(t);
    buf_release(&order);
    odata_sql_release(&sql);
    odata_query_release(&q);
}

static void test_paging__encode__bad_args(void **state)
{
    const char *const vnull[] = {"x", NULL};
    struct odata_query q;
    char dummy = 0;
    char *t = &dummy;

    (void)state;
    odata_query_init(&q);
    assert_int_equal(odata_skiptoken_encode(&q, vnull, 2, &t), LCW_EINVAL);
    assert_null(t);
    assert_int_equal(odata_skiptoken_encode(&q, vnull, 0, &t), LCW_EINVAL);
    assert_int_equal(odata_skiptoken_encode(&q, vnull, 1, NULL), LCW_EINVAL);
}

/* ------------------------------------------------------------ walk a table */

static sqlite3 *open_db(void)
{
    /* 23 rows: ties on display_name and version, NULLs in both, mixed case. */
    static const struct {
        const char *name;
        int version; /* -1 = NULL */
        int enabled;
    } rows[] = {
            {"b", 1, 1},   {"a", 2, 0},   {NULL, 3, 1}, {"b", -1, 1}, {"c", 1, 0},  {"a", 1, 1},
            {NULL, -1, 1}, {"B", 2, 0},   {"b", 2, 1},  {"é", 3, 1},  {NULL, 1, 0}, {"a", -1, 1},
            {"c", 3, 1},   {"'q'", 2, 0}, {"b", 1, 1},  {"", 0, 1},   {"", -1, 0},  {"z", 9, 1},
            {NULL, 9, 1},  {"a", 2, 1},   {"b", 3, 0},  {"A", 1, 1},  {"b", 1, 1},
    };
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE wf (id TEXT PRIMARY KEY, display_name TEXT, "
                                  "version INTEGER, created_at_ms INTEGER, is_enabled INTEGER, "
                                  "description TEXT)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO wf (id, display_name, version, "
                                        "created_at_ms, is_enabled) VALUES (?,?,?,?,?)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        char id[UUID_STR_LEN];
        /* Ids deliberately not in insertion order. */
        snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012zu", (k * 7) % 23);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        if (rows[k].name)
            sqlite3_bind_text(st, 2, rows[k].name, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 2);
        if (rows[k].version >= 0)
            sqlite3_bind_int(st, 3, rows[k].version);
        else
            sqlite3_bind_null(st, 3);
        sqlite3_bind_int64(st, 4, 1700000000000LL + (int64_t)(k % 5) * 1000);
        sqlite3_bind_int(st, 5, rows[k].enabled);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    }
    sqlite3_finalize(st);
    return db;
}

static void bind_all(sqlite3_stmt *st, const struct odata_sql *s)
{
    for (size_t k = 0; k < s->n_params; k++) {
        const struct odata_param *p = &s->params[k];
        if (p->kind == ODATA_P_INT)
            sqlite3_bind_int64(st, (int)k + 1, p->i);
        else if (p->kind == ODATA_P_TEXT)
            sqlite3_bind_text(st, (int)k + 1, p->s, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, (int)k + 1);
    }
}

/*
 * Fetch one page (limit rows; 0 = all) into `ids` (appended, "id-suffix "),
 * and return a new skiptoken for the next page, or NULL after the last one.
 */
static char *fetch(sqlite3 *db, const char *orderby, const char *filter, const char *token,
                   int limit, struct buf *ids, int *n_rows)
{
    struct odata_query q;
    struct odata_sql sql;
    struct buf order, text;
    const char **cols = NULL;
    size_t n_cols = 0;
    sqlite3_stmt *st = NULL;
    struct lcw_error err = {0};
    char *vals[ODATA_ORDERBY_MAX + 1] = {0};
    char *next = NULL;

    make_query(&q, orderby, token, filter);
    if (page_sql(&q, &sql, &order, &cols, &n_cols, &err) != 0)
        fail_msg("%s: %s", orderby ? orderby : "(default)", err.msg);
    buf_init(&text, 1 << 16);
    assert_int_equal(buf_puts(&text, "SELECT id"), 0);
    for (size_t k = 0; k < n_cols; k++)
        assert_int_equal(buf_printf(&text, ", %s", cols[k]), 0);
    assert_int_equal(
            buf_printf(&text, " FROM wf WHERE %s%s", buf_cstr(&sql.where), buf_cstr(&order)), 0);
    if (limit)
        assert_int_equal(buf_printf(&text, " LIMIT %d", limit), 0);
    if (sqlite3_prepare_v2(db, buf_cstr(&text), -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", buf_cstr(&text), sqlite3_errmsg(db));
    bind_all(st, &sql);
    *n_rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        (*n_rows)++;
        assert_int_equal(buf_printf(ids, "%s ", (const char *)sqlite3_column_text(st, 0) + 34), 0);
        for (size_t k = 0; k < n_cols; k++) {
            const unsigned char *v = sqlite3_column_text(st, (int)k + 1);
            lcw_free(vals[k]);
            vals[k] = v ? lcw_strdup((const char *)v) : NULL;
        }
    }
    sqlite3_finalize(st);
    if (limit && *n_rows == limit)
        assert_int_equal(odata_skiptoken_encode(&q, (const char *const *)vals, n_cols, &next), 0);
    for (size_t k = 0; k < n_cols; k++)
        lcw_free(vals[k]);
    lcw_free(cols);
    buf_release(&text);
    buf_release(&order);
    odata_sql_release(&sql);
    odata_query_release(&q);
    return next;
}

static void test_paging__sqlite_walk__pages_concatenate(void **state)
{
    static const char *const orderbys[] = {
            NULL,
            "displayName",
            "displayName desc",
            "version",
            "version desc",
            "version desc,displayName",
            "version,displayName desc",
            "createdDateTime desc,version",
            "id desc",
            "isEnabled,displayName desc,version",
    };
    static const char *const filters[] = {NULL, "isEnabled eq true", "displayName ne 'b'"};
    sqlite3 *db = open_db();

    (void)state;
    for (size_t o = 0; o < sizeof(orderbys) / sizeof(orderbys[0]); o++) {
        for (size_t f = 0; f < sizeof(filters) / sizeof(filters[0]); f++) {
            struct buf all, paged;
            int n_all = 0, n;
            char *tok;
            buf_init(&all, 1 << 16);
            tok = fetch(db, orderbys[o], filters[f], NULL, 0, &all, &n_all);
            assert_null(tok);
            assert_true(n_all > 5);
            for (int size = 1; size <= 5; size++) {
                int pages = 0;
                buf_init(&paged, 1 << 16);
                tok = NULL;
                do {
                    char *next = fetch(db, orderbys[o], filters[f], tok, size, &paged, &n);
                    lcw_free(tok);
                    tok = next;
                    assert_true(++pages <= 30);
                } while (tok);
                if (strcmp(buf_cstr(&paged), buf_cstr(&all)) != 0)
                    fail_msg("$orderby=%s $filter=%s page %d\n  paged %s\n  all   %s",
                             orderbys[o] ? orderbys[o] : "-", filters[f] ? filters[f] : "-", size,
                             buf_cstr(&paged), buf_cstr(&all));
                buf_release(&paged);
            }
            buf_release(&all);
        }
    }
    sqlite3_close(db);
}

static void test_paging__nulls__sort_last(void **state)
{
    sqlite3 *db = open_db();
    struct buf ids;
    int n = 0;
    char *tok;

    (void)state;
    /* Rows with a NULL display_name (k = 2, 6, 10, 18) have ids k*7%23: 14, 19, 01, 11. */
    buf_init(&ids, 4096);
    tok = fetch(db, "displayName desc", NULL, NULL, 0, &ids, &n);
    assert_null(tok);
    assert_int_equal(n, 23);
    {
        /* The last four entries are the NULL names, in id order. */
        const char *s = buf_cstr(&ids);
        size_t len = strlen(s);
        assert_string_equal(s + len - 12, "01 11 14 19 ");
    }
    buf_release(&ids);
    sqlite3_close(db);
}

static void test_paging__alloc_failure__enomem(void **state)
{
    const char *const values[] = {"3", NULL, "00000000-0000-4000-8000-000000000001"};
    struct odata_query q0, q;
    char *token = NULL;
    int rc = LCW_ENOMEM;
    long n;

    (void)state;
    make_query(&q0, "version desc,displayName", NULL, NULL);
    for (n = 1; rc == LCW_ENOMEM && n < 1000; n++) {
        lcw_alloc_fail_at(n);
        rc = odata_skiptoken_encode(&q0, values, 3, &token);
        lcw_alloc_fail_at(0);
        if (rc) {
            assert_int_equal(rc, LCW_ENOMEM);
            assert_null(token);
        }
    }
    assert_int_equal(rc, 0);
    make_query(&q, "version desc,displayName", token, "isEnabled eq true");
    rc = LCW_ENOMEM;
    for (n = 1; rc == LCW_ENOMEM && n < 1000; n++) {
        struct odata_sql sql;
        struct buf order;
        const char **cols = NULL;
        size_t n_cols = 0;
        struct lcw_error err = {0};
        assert_int_equal(odata_filter_to_sql(q.filter, &wf, &sql, NULL), 0);
        buf_init(&order, 4096);
        lcw_alloc_fail_at(n);
        rc = odata_sql_order_and_page(&q, &wf, &sql, &order, &cols, &n_cols, &err);
        lcw_alloc_fail_at(0);
        if (rc) {
            assert_int_equal(rc, LCW_ENOMEM);
            assert_null(cols);
            assert_string_equal(buf_cstr(&sql.where), "is_enabled = ?");
            assert_int_equal(sql.n_params, 1);
        }
        lcw_free(cols);
        buf_release(&order);
        odata_sql_release(&sql);
    }
    assert_int_equal(rc, 0);
    lcw_free(token);
    odata_query_release(&q);
    odata_query_release(&q0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_paging__order_by__exact),
            cmocka_unit_test(test_paging__keyset__exact),
            cmocka_unit_test(test_paging__keyset__param_types),
            cmocka_unit_test(test_paging__errors__einval),
            cmocka_unit_test(test_paging__orderby_case__token_still_valid),
            cmocka_unit_test(test_paging__encode__bad_args),
            cmocka_unit_test(test_paging__sqlite_walk__pages_concatenate),
            cmocka_unit_test(test_paging__nulls__sort_last),
            cmocka_unit_test(test_paging__alloc_failure__enomem),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
