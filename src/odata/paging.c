/* SPDX-License-Identifier: MIT */
/*
 * Keyset paging for list endpoints: the ORDER BY clause for $orderby (NULLs
 * last on SQLite and PostgreSQL alike, the id column as final tiebreaker),
 * the "rows after the last one" condition from a $skiptoken, and the
 * skiptoken encoding itself (base64url of a small JSON array that starts with
 * a fingerprint of the $orderby). Pure and re-entrant.
 */
#include "lcw/odata.h"

#include <string.h>

#include "odata_int.h"

struct sort_key {
    const char *col;
    enum odata_type type;
    bool desc;
    bool nullable; /* false only for the id column */
};

/* ---------------------------------------------------------------- base64url */

static const char b64_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *b64url_encode(const unsigned char *in, size_t n)
{
    size_t out_len = (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0);
    char *out = lcw_malloc(out_len + 1);
    size_t o = 0;

    if (!out)
        return NULL;
    for (size_t k = 0; k < n; k += 3) {
        uint32_t v = (uint32_t)in[k] << 16;
        size_t rem = n - k;
        if (rem > 1)
            v |= (uint32_t)in[k + 1] << 8;
        if (rem > 2)
            v |= in[k + 2];
        out[o++] = b64_alphabet[(v >> 18) & 63];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        if (rem > 1)
            out[o++] = b64_alphabet[(v >> 6) & 63];
        if (rem > 2)
            out[o++] = b64_alphabet[v & 63];
    }
    out[o] = '\0';
    return out;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decode unpadded base64url; LCW_EINVAL for a bad alphabet or length. */
static int b64url_decode(const char *in, size_t n, unsigned char **out, size_t *out_len)
{
    unsigned char *buf;
    size_t o = 0;

    *out = NULL;
    if (n % 4 == 1)
        return LCW_EINVAL;
    buf = lcw_malloc(n / 4 * 3 + 3);
    if (!buf)
        return LCW_ENOMEM;
    for (size_t k = 0; k < n; k += 4) {
        size_t rem = n - k < 4 ? n - k : 4;
        uint32_t v = 0;
        for (size_t j = 0; j < 4; j++) {
            int d = j < rem ? b64_value(in[k + j]) : 0;
            if (d < 0) {
                lcw_free(buf);
                return LCW_EINVAL;
            }
            v = (v << 6) | (uint32_t)d;
        }
        buf[o++] = (unsigned char)(v >> 16);
        if (rem > 2)
            buf[o++] = (unsigned char)(v >> 8);
        if (rem > 3)
            buf[o++] = (unsigned char)v;
    }
    *out = buf;
    *out_len = o;
    return 0;
}

/* ------------------------------------------------------------- fingerprint */

/* "displayname desc,createddatetime": what a token is valid for. */
static int orderby_fingerprint(const struct odata_query *q, struct buf *b)
{
    int rc = 0;

    for (size_t k = 0; !rc && k < q->n_orderby; k++) {
        const char *p = q->orderby[k].property;
        if (k)
            rc = buf_putc(b, ',');
        for (; !rc && *p; p++) {
            char c = *p;
            if (c >= 'A' && c <= 'Z')
                c = (char)(c + ('a' - 'A'));
            rc = buf_putc(b, c);
        }
        if (!rc && q->orderby[k].desc)
            rc = buf_puts(b, " desc");
    }
    return rc;
}

int odata_skiptoken_encode(const struct odata_query *q, const char *const *values, size_t n,
                           char **out)
{
    json_t *arr = NULL;
    struct buf fp;
    char *dump = NULL;
    size_t len;
    int rc = LCW_ENOMEM;

    buf_init(&fp, ODATA_SKIPTOKEN_MAX);
    if (!out)
        return LCW_EINVAL;
    *out = NULL;
    if (!q || !values || n == 0 || !values[n - 1])
        return LCW_EINVAL;
    if (orderby_fingerprint(q, &fp) != 0)
        goto out;
    arr = json_array();
    if (!arr || json_array_append_new(arr, json_string(buf_cstr(&fp))) != 0)
        goto out;
    for (size_t k = 0; k < n; k++) {
        /* Column text is UTF-8; decoding rejects a token that is not. */
        json_t *v = values[k] ? json_stringn_nocheck(values[k], strlen(values[k])) : json_null();
        if (json_array_append_new(arr, v) != 0)
            goto out;
    }
    len = json_dumpb(arr, NULL, 0, JSON_COMPACT);
    if (len == 0)
        goto out;
    dump = lcw_malloc(len);
    if (!dump || json_dumpb(arr, dump, len, JSON_COMPACT) != len)
        goto out;
    *out = b64url_encode((const unsigned char *)dump, len);
    if (*out)
        rc = 0;
out:
    lcw_free(dump);
    json_decref(arr);
    buf_release(&fp);
    return rc;
}

/* ------------------------------------------------------------ ORDER BY, keyset */

static int invalid_token(struct lcw_error *err)
{
    return lcw_error_set_target(err, LCW_EINVAL, "$skiptoken",
                                "The $skiptoken is not valid for this query");
}

static int sort_keys(const struct odata_query *q, const struct odata_entity *ent,
                     struct sort_key *keys, size_t *n_keys, struct lcw_error *err)
{
    bool has_id = false;
    size_t n = 0;

    for (size_t k = 0; k < q->n_orderby; k++) {
        const char *name = q->orderby[k].property;
        const struct odata_property *p = odata__prop_find(ent, name, strlen(name));
        if (!p || !p->sortable || !p->column)
            return lcw_error_set_target(err, LCW_EINVAL, name,
                                        "$orderby: property '%s' is not sortable on %s", name,
                                        ent->name);
        for (size_t j = 0; j < n; j++) {
            if (strcmp(keys[j].col, p->column) == 0)
                return lcw_error_set_target(err, LCW_EINVAL, name,
                                            "$orderby: '%s' appears more than once", name);
        }
        keys[n].col = p->column;
        keys[n].type = p->type;
        keys[n].desc = q->orderby[k].desc;
        keys[n].nullable = strcmp(p->column, ent->id_column) != 0;
        has_id |= !keys[n].nullable;
        n++;
    }
    if (!has_id) {
        keys[n].col = ent->id_column;
        keys[n].type = ODATA_T_STRING;
        keys[n].desc = false;
        keys[n].nullable = false;
        n++;
    }
    *n_keys = n;
    return 0;
}

static bool key_is_int(const struct sort_key *k)
{
    return k->type == ODATA_T_INT || k->type == ODATA_T_BOOL || k->type == ODATA_T_DATETIME;
}

static int add_param(struct odata_sql *s, const struct sort_key *key, const json_t *v)
{
    struct odata_param *p = lcw_realloc(s->params, (s->n_params + 1) * sizeof(*p));

    if (!p)
        return LCW_ENOMEM;
    s->params = p;
    p = &s->params[s->n_params];
    memset(p, 0, sizeof(*p));
    if (key_is_int(key)) {
        if (str_to_i64(json_string_value(v), json_string_length(v), &p->i) != 0)
            return LCW_EINVAL; /* checked while decoding */
        p->kind = ODATA_P_INT;
    } else {
        p->s = lcw_strndup(json_string_value(v), json_string_length(v));
        if (!p->s)
            return LCW_ENOMEM;
        p->kind = ODATA_P_TEXT;
    }
    s->n_params++;
    return 0;
}

/* Decode and check the token; *vals receives the JSON array (caller decrefs). */
static int token_decode(const struct odata_query *q, const struct sort_key *keys, size_t n,
                        json_t **vals, struct lcw_error *err)
{
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    json_t *arr = NULL;
    struct buf fp;
    int rc;

    *vals = NULL;
    buf_init(&fp, ODATA_SKIPTOKEN_MAX);
    rc = b64url_decode(q->skiptoken, strlen(q->skiptoken), &raw, &raw_len);
    if (rc == LCW_ENOMEM)
        goto out;
    if (rc) {
        rc = invalid_token(err);
        goto out;
    }
    rc = orderby_fingerprint(q, &fp);
    if (rc)
        goto out;
    arr = json_loadb((const char *)raw, raw_len, 0, NULL);
    if (!json_is_array(arr) || json_array_size(arr) != n + 1 ||
        !json_is_string(json_array_get(arr, 0)) ||
        strcmp(json_string_value(json_array_get(arr, 0)), buf_cstr(&fp)) != 0) {
        rc = invalid_token(err);
        goto out;
    }
    for (size_t k = 0; k < n; k++) {
        const json_t *v = json_array_get(arr, k + 1);
        int64_t i;
        if (json_is_null(v) && keys[k].nullable)
            continue;
        if (!json_is_string(v) ||
            (key_is_int(&keys[k]) &&
             str_to_i64(json_string_value(v), json_string_length(v), &i) != 0)) {
            rc = invalid_token(err);
            goto out;
        }
    }
    *vals = arr;
    arr = NULL;
out:
    if (rc == LCW_ENOMEM)
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
    json_decref(arr);
    lcw_free(raw);
    buf_release(&fp);
    return rc;
}

/*
 * Rows strictly after the key `vals` in the order of `keys`:
 * OR over i of (keys before i equal AND key i after). NULLs sort last, so
 * nothing within a key comes after NULL and everything NULL comes after a
 * value.
 */
static int keyset_sql(const struct sort_key *keys, size_t n, const json_t *vals, struct buf *w,
                      struct odata_sql *s)
{
    bool first = true;
    int rc = buf_puts(w, "(");

    for (size_t i = 0; !rc && i < n; i++) {
        const json_t *vi = json_array_get(vals, i + 1);
        const char *col = keys[i].col;
        const char *op = keys[i].desc ? "<" : ">";
        if (json_is_null(vi))
            continue; /* nothing sorts after NULL */
        rc = buf_puts(w, first ? "(" : " OR (");
        first = false;
        for (size_t j = 0; !rc && j < i; j++) {
            const json_t *vj = json_array_get(vals, j + 1);
            if (json_is_null(vj)) {
                rc = buf_printf(w, "%s IS NULL AND ", keys[j].col);
            } else {
                rc = buf_printf(w, "%s = ? AND ", keys[j].col);
                if (!rc)
                    rc = add_param(s, &keys[j], vj);
            }
        }
        if (!rc && keys[i].nullable)
            rc = buf_printf(w, "(%s %s ? OR %s IS NULL))", col, op, col);
        else if (!rc)
            rc = buf_printf(w, "%s %s ?)", col, op);
        if (!rc)
            rc = add_param(s, &keys[i], vi);
    }
    if (!rc && first)
        rc = buf_puts(w, "1=0");
    return rc ? rc : buf_puts(w, ")");
}

int odata_sql_order_and_page(const struct odata_query *q, const struct odata_entity *ent,
                             struct odata_sql *where_and_params, struct buf *order_by_out,
                             const char ***sort_cols_out, size_t *n_sort_cols_out,
                             struct lcw_error *err)
{
    struct sort_key keys[ODATA_ORDERBY_MAX + 1];
    size_t n = 0;
    json_t *vals = NULL;
    const char **cols = NULL;
    struct buf w;
    int rc;

    buf_init(&w, ODATA_SQL_MAX);
    if (!q || !ent || !where_and_params || !order_by_out || !sort_cols_out || !n_sort_cols_out ||
        q->n_orderby > ODATA_ORDERBY_MAX)
        return lcw_error_set(err, LCW_EINVAL, "$orderby: bad arguments");
    rc = sort_keys(q, ent, keys, &n, err);
    if (rc)
        goto out;
    cols = lcw_calloc(n, sizeof(*cols));
    if (!cols) {
        rc = LCW_ENOMEM;
        goto out;
    }
    for (size_t k = 0; k < n; k++)
        cols[k] = keys[k].col;
    rc = buf_puts(order_by_out, " ORDER BY ");
    for (size_t k = 0; !rc && k < n; k++) {
        if (k)
            rc = buf_puts(order_by_out, ", ");
        if (!rc && keys[k].nullable)
            rc = buf_printf(order_by_out, "(%s IS NULL), ", keys[k].col);
        if (!rc)
            rc = buf_printf(order_by_out, "%s%s", keys[k].col, keys[k].desc ? " DESC" : "");
    }
    if (rc)
        goto out;
    if (q->skiptoken) {
        size_t n_params = where_and_params->n_params;
        rc = token_decode(q, keys, n, &vals, err);
        if (rc)
            goto out;
        rc = buf_printf(&w, "(%s) AND ", buf_cstr(&where_and_params->where));
        if (!rc)
            rc = keyset_sql(keys, n, vals, &w, where_and_params);
        if (rc) {
            /* Drop the parameters added so far, leaving the input as it was. */
            for (size_t k = n_params; k < where_and_params->n_params; k++)
                lcw_free(where_and_params->params[k].s);
            where_and_params->n_params = n_params;
            goto out;
        }
        buf_release(&where_and_params->where);
        where_and_params->where = w;
        buf_init(&w, ODATA_SQL_MAX);
    }
    *sort_cols_out = cols;
    *n_sort_cols_out = n;
    cols = NULL;
out:
    lcw_free(cols);
    if (rc == LCW_ENOMEM || rc == LCW_ETOOBIG)
        rc = lcw_error_set(err, rc, "$orderby: out of memory");
    json_decref(vals);
    buf_release(&w);
    return rc;
}
