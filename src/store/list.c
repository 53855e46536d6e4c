/* SPDX-License-Identifier: MIT */
/*
 * Entity lists: COUNT(*) and keyset pages of an entity table within an
 * optional parent, a route's own condition, $filter, $orderby and
 * $skiptoken. The SQL comes from the odata compiler over the entity's
 * property map (entities.c); nothing here keeps state between calls.
 */
#include "lcw/store.h"

#include <stdio.h>
#include <string.h>

#include "store_int.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define COND_MAX_PARAMS 64

/* WHERE text and its parameters, grown as conditions are ANDed on. */
struct cond {
    struct buf sql;
    struct store_val params[COND_MAX_PARAMS];
    size_t n;
};

static int cond_add(struct cond *c, const char *sql, const struct store_val *params, size_t n)
{
    int rc;

    if (c->n + n > N(c->params))
        return LCW_ETOOBIG;
    rc = buf_printf(&c->sql, "%s(%s)", c->sql.len ? " AND " : "", sql);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        c->params[c->n++] = params[i];
    return 0;
}

static int cond_add_odata(struct cond *c, const struct odata_sql *s)
{
    struct store_val vals[COND_MAX_PARAMS];

    if (s->n_params > N(vals))
        return LCW_ETOOBIG;
    for (size_t i = 0; i < s->n_params; i++) {
        const struct odata_param *p = &s->params[i];

        vals[i] = p->kind == ODATA_P_INT    ? STORE_V_INT(p->i)
                  : p->kind == ODATA_P_TEXT ? STORE_V_TEXT(p->s)
                                            : STORE_V_NULL;
    }
    return cond_add(c, buf_cstr(&s->where), vals, s->n_params);
}

static int cond_base(struct cond *c, const char *parent, const char *where,
                     const struct store_val *params, size_t n_params)
{
    struct store_val pp = STORE_V_TEXT(parent);
    int rc = 0;

    buf_init(&c->sql, 64 * 1024);
    c->n = 0;
    if (parent)
        rc = cond_add(c, "parent = ?", &pp, 1);
    if (!rc && where)
        rc = cond_add(c, where, params, n_params);
    return rc;
}

int store_entity_count(struct store_tx *tx, const struct store_entity *e, const char *parent,
                       const char *where, const struct store_val *params, size_t n_params,
                       int64_t *out, struct lcw_error *err)
{
    struct cond c;
    struct buf sql;
    int rc;

    buf_init(&sql, 64 * 1024);
    rc = cond_base(&c, parent, where, params, n_params);
    if (!rc)
        rc = buf_printf(&sql, "SELECT COUNT(*) FROM %s WHERE %s", e->table,
                        c.sql.len ? buf_cstr(&c.sql) : "1=1");
    if (rc)
        rc = lcw_error_set(err, rc, "query too large");
    else
        rc = store_query_int(tx, buf_cstr(&sql), c.params, c.n, out, err);
    buf_release(&c.sql);
    buf_release(&sql);
    return rc;
}

struct list_ctx {
    struct store_page *page;
    long limit;   /* rows wanted on this page */
    long n_rows;  /* rows seen */
    size_t n_key; /* sort key columns after doc */
    char *last_key[8];
    bool has_more;
};

/* Keep a row's sort key values (their text form, NULL for SQL NULL) for the next skiptoken. */
static int keep_key(char **last_key, const struct store_val *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char num[32];

        lcw_free(last_key[i]);
        last_key[i] = NULL;
        if (v[i].kind == STORE_NULL)
            continue;
        if (v[i].kind == STORE_INT)
            (void)snprintf(num, sizeof(num), "%lld", (long long)v[i].i);
        last_key[i] = lcw_strdup(v[i].kind == STORE_INT ? num : v[i].s);
        if (!last_key[i])
            return LCW_ENOMEM;
    }
    return 0;
}

static int row_list(void *ctx, const struct store_val *cols, size_t n)
{
    struct list_ctx *lc = ctx;
    json_error_t jerr;
    json_t *doc;

    if (lc->n_rows++ >= lc->limit) {
        lc->has_more = true;
        return 0;
    }
    if (n < 1 + lc->n_key || cols[0].kind != STORE_TEXT)
        return LCW_EINTERNAL;
    doc = json_loads(cols[0].s, 0, &jerr);
    if (!doc)
        return LCW_EINTERNAL;
    if (json_array_append_new(lc->page->items, doc))
        return LCW_ENOMEM;
    return keep_key(lc->last_key, &cols[1], lc->n_key);
}

void store_page_release(struct store_page *page)
{
    json_decref(page->items);
    page->items = NULL;
    lcw_free(page->next_token);
    page->next_token = NULL;
}

/*
 * Probing. A page ordered by id alone that follows a skiptoken first walks
 * the rows after the token in id order, over an index range (the primary
 * key, or (parent, pk) for an entity that has it), and tests the route's
 * condition and the $filter on each, for at most PROBE_ROWS_PER_ROW rows per
 * row the page needs. Every row of that range is seen, so when the walk
 * finds the n+1 rows it needs, or reaches the end of the range, its matches
 * are exactly the rows the full query returns; otherwise it proved nothing
 * and the full query runs. Never wrong, at worst wasted: it pays off when
 * matching rows sit together in id order, as a time window's do over ids
 * that are UUIDv7s made at the row's time (run history), because the token
 * is a matching row. Without a token there is no such row to start from.
 */
#define PROBE_ROWS_PER_ROW 4
#define PROBE_MAX_WANT     (ODATA_TOP_MAX + 1) /* larger pages go straight to the full query */
#define PROBE_ENOUGH       1                   /* from row_probe: stop, the page is complete */

struct probe_ctx {
    char **ids;   /* owned, `want` slots: ids of the matching rows in order */
    size_t n_ids; /* used slots */
    size_t want;  /* rows the page needs (its size + 1) */
    long n_rows;  /* rows walked */
};

static int row_probe(void *ctx, const struct store_val *cols, size_t n)
{
    struct probe_ctx *pc = ctx;

    pc->n_rows++;
    if (n < 2 || cols[0].kind != STORE_TEXT || cols[1].kind != STORE_INT)
        return LCW_EINTERNAL;
    if (cols[1].i == 0)
        return 0;
    pc->ids[pc->n_ids] = lcw_strdup(cols[0].s);
    if (!pc->ids[pc->n_ids])
        return LCW_ENOMEM;
    return ++pc->n_ids == pc->want ? PROBE_ENOUGH : 0;
}

/*
 * Walk the rows after the token: `walk` holds the parent and the keyset,
 * `test` the other conditions. Sets *is_decided when pc->ids are the page's
 * rows; leaves it false when the walk proved nothing.
 */
static int list_probe(struct store_tx *tx, const struct store_entity *e, const struct cond *test,
                      const struct cond *walk, const char *order, struct probe_ctx *pc,
                      bool *is_decided, struct lcw_error *err)
{
    struct store_val vals[2 * COND_MAX_PARAMS];
    long max_rows = (long)pc->want * PROBE_ROWS_PER_ROW;
    struct buf sql;
    size_t n = 0;
    int rc;

    *is_decided = false;
    buf_init(&sql, 64 * 1024);
    for (size_t i = 0; i < test->n; i++)
        vals[n++] = test->params[i];
    for (size_t i = 0; i < walk->n; i++)
        vals[n++] = walk->params[i];
    rc = buf_printf(&sql, "SELECT pk, CASE WHEN %s THEN 1 ELSE 0 END FROM %s WHERE %s%s LIMIT %ld",
                    buf_cstr(&test->sql), e->table, buf_cstr(&walk->sql), order, max_rows);
    if (rc) {
        rc = lcw_error_set(err, rc, "query too large");
        goto out;
    }
    rc = store_exec(tx, buf_cstr(&sql), vals, n, row_probe, pc, NULL, err);
    if (rc == PROBE_ENOUGH || (rc == 0 && pc->n_rows < max_rows)) {
        *is_decided = true;
        rc = 0;
    } else if (rc == LCW_ENOMEM || rc == LCW_EINTERNAL) {
        /* From row_probe, which cannot say why. */
        rc = lcw_error_set(err, rc, rc == LCW_ENOMEM ? "out of memory" : "bad %s walk row",
                           e->od.name);
    }
out:
    buf_release(&sql);
    return rc;
}

/* Run `sql` (SELECT doc, <sort columns> ...) into the page. */
static int list_rows(struct store_tx *tx, const struct store_entity *e, const char *sql,
                     const struct store_val *params, size_t n_params, struct list_ctx *lc,
                     struct lcw_error *err)
{
    int rc = store_exec(tx, sql, params, n_params, row_list, lc, NULL, err);

    /* From row_list, which cannot say why. */
    if (rc == LCW_EINTERNAL)
        rc = lcw_error_set(err, rc, "a stored %s is not valid JSON", e->od.name);
    else if (rc == LCW_ENOMEM)
        rc = lcw_error_set(err, rc, "out of memory");
    return rc;
}

/* SELECT doc, <sort columns> ... for the rows whose ids are `ids`, in page order. */
static int list_fetch_ids(struct store_tx *tx, const struct store_entity *e, const char *const *ids,
                          size_t n_ids, const char *select, const char *order, struct list_ctx *lc,
                          struct lcw_error *err)
{
    struct store_val *vals = NULL;
    struct buf sql;
    int rc = 0;

    buf_init(&sql, 64 * 1024);
    if (n_ids == 0)
        goto out;
    vals = lcw_calloc(n_ids, sizeof(*vals));
    if (!vals) {
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        goto out;
    }
    rc = buf_printf(&sql, "%s FROM %s WHERE pk IN (", select, e->table);
    for (size_t i = 0; !rc && i < n_ids; i++) {
        vals[i] = STORE_V_TEXT(ids[i]);
        rc = buf_puts(&sql, i ? ", ?" : "?");
    }
    if (!rc)
        rc = buf_printf(&sql, ")%s", order);
    if (rc) {
        rc = lcw_error_set(err, rc, "query too large");
        goto out;
    }
    rc = list_rows(tx, e, buf_cstr(&sql), vals, n_ids, lc, err);
out:
    lcw_free(vals);
    buf_release(&sql);
    return rc;
}

/*
 * A page is read in two steps. The keys first: the page's ids, chosen by
 * every condition and the order, either by probing (above) or by
 * SELECT pk ... ORDER BY ... LIMIT n+1, which sorts keys alone (over an
 * index that holds the filtered columns and pk, no row is read; a
 * workflow's user results in a scheduledDateTime window are 30,000 rows at
 * 1,000,000 results, and sorting their documents cost 20 ms per page).
 * Then the documents of those n+1 rows.
 */
int store_entity_list(struct store_tx *tx, const struct store_entity *e,
                      const struct odata_query *q, const char *parent, const char *where,
                      const struct store_val *params, size_t n_params, long page_size,
                      struct store_page *page, struct lcw_error *err)
{
    struct odata_sql fsql = {0}, keyset = {0};
    struct probe_ctx pc = {0};
    struct list_ctx lc = {0};
    struct cond c, test, walk;
    struct buf order, select, sql;
    const char **sort_cols = NULL;
    size_t n_sort = 0;
    bool is_decided = false;
    int rc;

    page->items = json_array();
    page->next_token = NULL;
    page->count = -1;
    buf_init(&order, 4096);
    buf_init(&select, 4096);
    buf_init(&sql, 64 * 1024);
    buf_init(&test.sql, 64 * 1024);
    buf_init(&walk.sql, 64 * 1024);
    rc = cond_base(&c, parent, where, params, n_params);
    if (rc) {
        rc = lcw_error_set(err, rc, "query too large");
        goto out;
    }
    if (!page->items) {
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        goto out;
    }
    rc = odata_filter_to_sql(q->filter, &e->od, &fsql, err);
    if (rc)
        goto out;
    if (q->count) {
        /* The count ignores paging, so it is taken before the keyset is added. */
        struct cond cc = c;

        buf_init(&cc.sql, 64 * 1024);
        rc = buf_puts(&cc.sql, buf_cstr(&c.sql));
        if (!rc)
            rc = cond_add_odata(&cc, &fsql);
        if (!rc)
            rc = buf_printf(&sql, "SELECT COUNT(*) FROM %s WHERE %s", e->table, buf_cstr(&cc.sql));
        if (rc)
            rc = lcw_error_set(err, rc, "query too large");
        else
            rc = store_query_int(tx, buf_cstr(&sql), cc.params, cc.n, &page->count, err);
        buf_release(&cc.sql);
        buf_reset(&sql);
        if (rc)
            goto out;
    }
    /* The keyset apart from the filter ("1=1" without a token), for the probe's walk. */
    rc = odata_filter_to_sql(NULL, &e->od, &keyset, err);
    if (!rc)
        rc = odata_sql_order_and_page(q, &e->od, &keyset, &order, &sort_cols, &n_sort, err);
    if (rc)
        goto out;
    if (n_sort > N(lc.last_key)) {
        rc = lcw_error_set(err, LCW_EINVAL, "$orderby: too many properties");
        goto out;
    }
    lc.page = page;
    lc.limit = q->top > 0 ? q->top : page_size;
    lc.n_key = n_sort;
    rc = buf_puts(&select, "SELECT doc");
    for (size_t i = 0; !rc && i < n_sort; i++)
        rc = buf_printf(&select, ", %s", sort_cols[i]);
    /* test: what the walk checks on each row; walk: the rows it visits. */
    if (!rc)
        rc = cond_base(&test, NULL, where, params, n_params);
    if (!rc)
        rc = cond_add_odata(&test, &fsql);
    if (!rc)
        rc = cond_base(&walk, parent, NULL, NULL, 0);
    if (!rc && q->skiptoken)
        rc = cond_add_odata(&walk, &keyset);
    if (!rc)
        rc = cond_add_odata(&c, &fsql);
    if (!rc && q->skiptoken)
        rc = cond_add_odata(&c, &keyset);
    if (rc) {
        rc = lcw_error_set(err, rc, "query too large");
        goto out;
    }
    /* Without a condition beyond the parent, the full query is itself a walk. */
    if (q->skiptoken && n_sort == 1 && (where || q->filter) && lc.limit < PROBE_MAX_WANT &&
        (!parent || e->has_parent_pk_index)) {
        pc.want = (size_t)lc.limit + 1;
        pc.ids = lcw_calloc(pc.want, sizeof(*pc.ids));
        if (!pc.ids) {
            rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
            goto out;
        }
        rc = list_probe(tx, e, &test, &walk, buf_cstr(&order), &pc, &is_decided, err);
        if (!rc && is_decided)
            rc = list_fetch_ids(tx, e, (const char *const *)pc.ids, pc.n_ids, buf_cstr(&select),
                                buf_cstr(&order), &lc, err);
    }
    if (!rc && !is_decided) {
        rc = buf_printf(&sql, "%s FROM %s WHERE pk IN (SELECT pk FROM %s WHERE %s%s LIMIT %ld)%s",
                        buf_cstr(&select), e->table, e->table, buf_cstr(&c.sql), buf_cstr(&order),
                        lc.limit + 1, buf_cstr(&order));
        if (rc)
            rc = lcw_error_set(err, rc, "query too large");
        else
            rc = list_rows(tx, e, buf_cstr(&sql), c.params, c.n, &lc, err);
    }
    if (rc)
        goto out;
    if (lc.has_more) {
        rc = odata_skiptoken_encode(q, (const char *const *)lc.last_key, n_sort, &page->next_token);
        if (rc)
            rc = lcw_error_set(err, rc, "cannot build the next page link");
    }
out:
    for (size_t i = 0; i < N(lc.last_key); i++)
        lcw_free(lc.last_key[i]);
    for (size_t i = 0; i < pc.n_ids; i++)
        lcw_free(pc.ids[i]);
    lcw_free(pc.ids);
    lcw_free(sort_cols);
    odata_sql_release(&fsql);
    odata_sql_release(&keyset);
    buf_release(&c.sql);
    buf_release(&test.sql);
    buf_release(&walk.sql);
    buf_release(&order);
    buf_release(&select);
    buf_release(&sql);
    if (rc)
        store_page_release(page);
    return rc;
}

struct scan_ctx {
    store_row_fn *fn; /* the caller's, given the first n_columns values */
    void *ctx;
    size_t n_columns;
    long limit;   /* rows wanted */
    long n_rows;  /* rows seen */
    size_t n_key; /* sort key columns after the caller's */
    char *last_key[8];
    bool has_more;
    bool is_short; /* a row came without its sort key */
};

static int row_scan(void *ctx, const struct store_val *cols, size_t n)
{
    struct scan_ctx *sc = ctx;
    int rc;

    if (sc->n_rows++ >= sc->limit) {
        sc->has_more = true;
        return 0;
    }
    if (n < sc->n_columns + sc->n_key) {
        sc->is_short = true;
        return LCW_EINTERNAL;
    }
    /* Only the last row's key can become a skiptoken: copy it, not every row's. */
    if (sc->n_rows == sc->limit) {
        rc = keep_key(sc->last_key, &cols[sc->n_columns], sc->n_key);
        if (rc)
            return rc;
    }
    return sc->fn(sc->ctx, cols, sc->n_columns);
}

/*
 * One query, no documents: SELECT <columns>, <sort columns> FROM t WHERE
 * <parent> AND <where> AND <$filter> AND <after the token> ORDER BY ...
 * LIMIT n+1. Exports read large pages in order, so the keys-first and
 * probing steps of store_entity_list, which pay off for small pages of
 * documents, are not needed; the rows, their order and the tokens are the
 * same.
 */
int store_entity_scan(struct store_tx *tx, const struct store_entity *e,
                      const struct odata_query *q, const char *parent, const char *where,
                      const struct store_val *params, size_t n_params, const char *const *columns,
                      size_t n_columns, long page_size, store_row_fn *fn, void *ctx,
                      char **next_token, struct lcw_error *err)
{
    struct scan_ctx sc = {.fn = fn, .ctx = ctx, .n_columns = n_columns};
    struct odata_sql fsql = {0};
    struct cond c;
    struct buf order, sql;
    const char **sort_cols = NULL;
    size_t n_sort = 0;
    int rc;

    *next_token = NULL;
    sc.limit = q->top > 0 ? q->top : page_size;
    buf_init(&order, 4096);
    buf_init(&sql, 64 * 1024);
    rc = cond_base(&c, parent, where, params, n_params);
    if (rc) {
        rc = lcw_error_set(err, rc, "query too large");
        goto out;
    }
    /* The keyset is ANDed onto the compiled $filter. */
    rc = odata_filter_to_sql(q->filter, &e->od, &fsql, err);
    if (!rc)
        rc = odata_sql_order_and_page(q, &e->od, &fsql, &order, &sort_cols, &n_sort, err);
    if (rc)
        goto out;
    if (n_sort > N(sc.last_key)) {
        rc = lcw_error_set(err, LCW_EINVAL, "$orderby: too many properties");
        goto out;
    }
    sc.n_key = n_sort;
    rc = cond_add_odata(&c, &fsql);
    if (!rc)
        rc = buf_puts(&sql, "SELECT ");
    for (size_t i = 0; !rc && i < n_columns; i++)
        rc = buf_printf(&sql, "%s%s", i ? ", " : "", columns[i]);
    for (size_t i = 0; !rc && i < n_sort; i++)
        rc = buf_printf(&sql, ", %s", sort_cols[i]);
    if (!rc)
        rc = buf_printf(&sql, " FROM %s WHERE %s%s LIMIT %ld", e->table,
                        c.sql.len ? buf_cstr(&c.sql) : "1=1", buf_cstr(&order), sc.limit + 1);
    if (rc) {
        rc = lcw_error_set(err, rc, "query too large");
        goto out;
    }
    rc = store_exec(tx, buf_cstr(&sql), c.params, c.n, row_scan, &sc, NULL, err);
    if (sc.is_short)
        rc = lcw_error_set(err, LCW_EINTERNAL, "a %s row lacks its sort key", e->od.name);
    if (!rc && sc.has_more) {
        rc = odata_skiptoken_encode(q, (const char *const *)sc.last_key, n_sort, next_token);
        if (rc)
            rc = lcw_error_set(err, rc, "cannot build the next page link");
    }
out:
    for (size_t i = 0; i < N(sc.last_key); i++)
        lcw_free(sc.last_key[i]);
    lcw_free(sort_cols);
    odata_sql_release(&fsql);
    buf_release(&c.sql);
    buf_release(&order);
    buf_release(&sql);
    return rc;
}
