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

/* WHERE text and its parameters, grown as conditions are ANDed on. */
struct cond {
    struct buf sql;
    struct store_val params[64];
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
    struct store_val vals[64];

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
    for (size_t i = 0; i < lc->n_key; i++) {
        char num[32];
        const struct store_val *v = &cols[1 + i];

        lcw_free(lc->last_key[i]);
        lc->last_key[i] = NULL;
        if (v->kind == STORE_NULL)
            continue;
        if (v->kind == STORE_INT)
            (void)snprintf(num, sizeof(num), "%lld", (long long)v->i);
        lc->last_key[i] = lcw_strdup(v->kind == STORE_INT ? num : v->s);
        if (!lc->last_key[i])
            return LCW_ENOMEM;
    }
    return 0;
}

void store_page_release(struct store_page *page)
{
    json_decref(page->items);
    page->items = NULL;
    lcw_free(page->next_token);
    page->next_token = NULL;
}

/*
 * A page is read in two steps: its keys first, SELECT pk ... ORDER BY ...
 * LIMIT n+1, which sorts keys alone (over an index that holds the filtered
 * columns and pk, no row is read; a workflow's user results in a 7-day
 * scheduledDateTime window are 30,000 rows at 1,000,000 results, and
 * sorting them with their documents cost 20 ms a page), then the documents
 * of those n+1 rows.
 */
int store_entity_list(struct store_tx *tx, const struct store_entity *e,
                      const struct odata_query *q, const char *parent, const char *where,
                      const struct store_val *params, size_t n_params, long page_size,
                      struct store_page *page, struct lcw_error *err)
{
    struct odata_sql fsql = {0};
    struct list_ctx lc = {0};
    struct cond c;
    struct buf order, sql;
    const char **sort_cols = NULL;
    size_t n_sort = 0;
    int rc;

    page->items = json_array();
    page->next_token = NULL;
    page->count = -1;
    buf_init(&order, 4096);
    buf_init(&sql, 64 * 1024);
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
    rc = odata_sql_order_and_page(q, &e->od, &fsql, &order, &sort_cols, &n_sort, err);
    if (rc)
        goto out;
    if (n_sort > N(lc.last_key)) {
        rc = lcw_error_set(err, LCW_EINVAL, "$orderby: too many properties");
        goto out;
    }
    rc = cond_add_odata(&c, &fsql);
    lc.page = page;
    lc.limit = q->top > 0 ? q->top : page_size;
    lc.n_key = n_sort;
    if (!rc)
        rc = buf_puts(&sql, "SELECT doc");
    for (size_t i = 0; !rc && i < n_sort; i++)
        rc = buf_printf(&sql, ", %s", sort_cols[i]);
    if (!rc)
        rc = buf_printf(&sql, " FROM %s WHERE pk IN (SELECT pk FROM %s WHERE %s%s LIMIT %ld)%s",
                        e->table, e->table, buf_cstr(&c.sql), buf_cstr(&order), lc.limit + 1,
                        buf_cstr(&order));
    if (rc) {
        rc = lcw_error_set(err, rc, "query too large");
        goto out;
    }
    rc = store_exec(tx, buf_cstr(&sql), c.params, c.n, row_list, &lc, NULL, err);
    if (rc == LCW_EINTERNAL)
        rc = lcw_error_set(err, rc, "a stored %s is not valid JSON", e->od.name);
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
    lcw_free(sort_cols);
    odata_sql_release(&fsql);
    buf_release(&c.sql);
    buf_release(&order);
    buf_release(&sql);
    if (rc)
        store_page_release(page);
    return rc;
}
