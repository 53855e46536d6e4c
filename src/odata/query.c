/* SPDX-License-Identifier: MIT */
/*
 * Parsing the OData system query options of a request ($filter, $orderby,
 * $top, $skip, $skiptoken, $count, $select, $expand, $search) from already
 * URL-decoded key/value pairs into struct odata_query. Which properties exist
 * is checked later, against the entity (odata_sql_order_and_page,
 * odata_filter_to_sql). Pure and re-entrant.
 */
#include "lcw/odata.h"

#include <stdint.h>
#include <string.h>

#include "odata_int.h"

static const struct {
    const char *name; /* without the '$' */
    enum odata_option opt;
} options[] = {
        {"filter", ODATA_OPT_FILTER}, {"orderby", ODATA_OPT_ORDERBY},
        {"top", ODATA_OPT_TOP},       {"skiptoken", ODATA_OPT_SKIPTOKEN},
        {"count", ODATA_OPT_COUNT},   {"select", ODATA_OPT_SELECT},
        {"expand", ODATA_OPT_EXPAND}, {"search", ODATA_OPT_SEARCH},
        {"skip", ODATA_OPT_SKIP},
};

void odata_query_init(struct odata_query *q)
{
    memset(q, 0, sizeof(*q));
    q->top = -1;
}

void odata_query_release(struct odata_query *q)
{
    if (!q)
        return;
    odata_expr_free(q->filter);
    for (size_t k = 0; k < q->n_orderby; k++)
        lcw_free(q->orderby[k].property);
    lcw_free(q->orderby);
    lcw_free(q->skiptoken);
    for (size_t k = 0; k < q->n_select; k++)
        lcw_free(q->select[k]);
    lcw_free(q->select);
    for (size_t k = 0; k < q->n_expand; k++)
        lcw_free(q->expand[k]);
    lcw_free(q->expand);
    lcw_free(q->search);
    odata_query_init(q);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '/' || c == '.' || c == '@' || c == '*';
}

static int nomem(struct lcw_error *err)
{
    return lcw_error_set(err, LCW_ENOMEM, "out of memory");
}

/* Parse a whole decimal number within [min, max]. */
static int parse_long(const char *opt, const char *v, long min, long max, long *out,
                      struct lcw_error *err)
{
    int64_t i;

    if (str_to_i64(v, strlen(v), &i) != 0 || i < min || i > max)
        return lcw_error_set_target(err, LCW_EINVAL, opt,
                                    "Invalid value '%.32s' for %s; expected a whole number "
                                    "from %ld to %ld",
                                    v, opt, min, max);
    *out = (long)i;
    return 0;
}

/*
 * Split `v` on top-level commas (commas inside parentheses belong to nested
 * options) and call `item` with each trimmed piece and its 1-based position.
 */
static int split_list(const char *opt, const char *v,
                      int (*item)(struct odata_query *, const char *, size_t, size_t,
                                  struct lcw_error *),
                      struct odata_query *q, struct lcw_error *err)
{
    size_t n = strlen(v);
    size_t start = 0;
    int depth = 0;

    for (size_t k = 0; k <= n; k++) {
        if (k < n && v[k] == '(') {
            depth++;
        } else if (k < n && v[k] == ')') {
            if (--depth < 0)
                break;
        } else if (k == n || (v[k] == ',' && depth == 0)) {
            size_t s = start, e = k;
            int rc;
            while (s < e && is_space(v[s]))
                s++;
            while (e > s && is_space(v[e - 1]))
                e--;
            if (s == e)
                return lcw_error_set_target(err, LCW_EINVAL, opt,
                                            "%s: expected a property name at position %zu", opt,
                                            s + 1);
            rc = item(q, v + s, e - s, s + 1, err);
            if (rc)
                return rc;
            start = k + 1;
        }
    }
    if (depth != 0)
        return lcw_error_set_target(err, LCW_EINVAL, opt, "%s: unbalanced parentheses", opt);
    return 0;
}

static int grow(void **arr, size_t n, size_t size)
{
    void *p = lcw_realloc(*arr, (n + 1) * size);

    if (!p)
        return LCW_ENOMEM;
    *arr = p;
    return 0;
}

static int orderby_item(struct odata_query *q, const char *s, size_t n, size_t pos,
                        struct lcw_error *err)
{
    size_t k = 0;
    bool desc = false;
    char *name;

    while (k < n && is_name_char(s[k]))
        k++;
    if (k == 0)
        return lcw_error_set_target(err, LCW_EINVAL, "$orderby",
                                    "$orderby: expected a property name at position %zu", pos);
    if (k < n) {
        size_t d = k;
        struct strv dir;
        while (d < n && is_space(s[d]))
            d++;
        dir = (struct strv){s + d, n - d};
        if (d == k || !(strv_eq_ci(dir, "asc") || strv_eq_ci(dir, "desc")))
            return lcw_error_set_target(err, LCW_EINVAL, "$orderby",
                                        "$orderby: expected 'asc' or 'desc' after '%.*s' at "
                                        "position %zu",
                                        (int)(k > 40 ? 40 : k), s, pos + d);
        desc = strv_eq_ci(dir, "desc");
    }
    if (q->n_orderby == ODATA_ORDERBY_MAX)
        return lcw_error_set_target(err, LCW_EINVAL, "$orderby", "$orderby: at most %d properties",
                                    ODATA_ORDERBY_MAX);
    for (size_t j = 0; j < q->n_orderby; j++) {
        if (strv_eq_ci((struct strv){s, k}, q->orderby[j].property))
            return lcw_error_set_target(err, LCW_EINVAL, "$orderby",
                                        "$orderby: '%.*s' appears more than once",
                                        (int)(k > 40 ? 40 : k), s);
    }
    if (grow((void **)&q->orderby, q->n_orderby, sizeof(*q->orderby)))
        return nomem(err);
    name = lcw_strndup(s, k);
    if (!name)
        return nomem(err);
    q->orderby[q->n_orderby].property = name;
    q->orderby[q->n_orderby].desc = desc;
    q->n_orderby++;
    return 0;
}

static int name_list_add(char ***arr, size_t *n, const char *opt, const char *s, size_t len,
                         struct lcw_error *err)
{
    char *name;

    if (*n == ODATA_LIST_MAX)
        return lcw_error_set_target(err, LCW_EINVAL, opt, "%s: at most %d items", opt,
                                    ODATA_LIST_MAX);
    if (grow((void **)arr, *n, sizeof(**arr)))
        return nomem(err);
    name = lcw_strndup(s, len);
    if (!name)
        return nomem(err);
    (*arr)[(*n)++] = name;
    return 0;
}

static int select_item(struct odata_query *q, const char *s, size_t n, size_t pos,
                       struct lcw_error *err)
{
    for (size_t k = 0; k < n; k++) {
        if (!is_name_char(s[k]))
            return lcw_error_set_target(err, LCW_EINVAL, "$select",
                                        "$select: invalid property name '%.*s' at position %zu",
                                        (int)(n > 40 ? 40 : n), s, pos);
    }
    return name_list_add(&q->select, &q->n_select, "$select", s, n, err);
}

/* "tasks($select=id)" keeps "tasks"; the nested options are not applied. */
static int expand_item(struct odata_query *q, const char *s, size_t n, size_t pos,
                       struct lcw_error *err)
{
    size_t k = 0, j;

    while (k < n && is_name_char(s[k]))
        k++;
    for (j = k; j < n && is_space(s[j]); j++)
        ;
    if (k == 0 || (j < n && s[j] != '('))
        return lcw_error_set_target(err, LCW_EINVAL, "$expand",
                                    "$expand: invalid navigation property '%.*s' at position %zu",
                                    (int)(n > 40 ? 40 : n), s, pos);
    return name_list_add(&q->expand, &q->n_expand, "$expand", s, k, err);
}

static int orderby_list(struct odata_query *q, const char *v, struct lcw_error *err)
{
    return split_list("$orderby", v, orderby_item, q, err);
}

static int parse_option(struct odata_query *q, enum odata_option opt, const char *v,
                        struct lcw_error *err)
{
    switch (opt) {
    case ODATA_OPT_FILTER:
        return odata_filter_parse(v, strlen(v), &q->filter, err);
    case ODATA_OPT_ORDERBY:
        return orderby_list(q, v, err);
    case ODATA_OPT_TOP:
        return parse_long("$top", v, 1, ODATA_TOP_MAX, &q->top, err);
    case ODATA_OPT_SKIP:
        return parse_long("$skip", v, 0, INT32_MAX, &q->skip, err);
    case ODATA_OPT_SKIPTOKEN:
        if (v[0] == '\0' || strlen(v) > ODATA_SKIPTOKEN_MAX)
            return lcw_error_set_target(err, LCW_EINVAL, "$skiptoken",
                                        "The $skiptoken is not valid for this query");
        q->skiptoken = lcw_strdup(v);
        return q->skiptoken ? 0 : nomem(err);
    case ODATA_OPT_COUNT:
        if (lcw_str_eq_ci(v, "true"))
            q->count = true;
        else if (!lcw_str_eq_ci(v, "false"))
            return lcw_error_set_target(err, LCW_EINVAL, "$count",
                                        "Invalid value '%.32s' for $count; expected true or "
                                        "false",
                                        v);
        return 0;
    case ODATA_OPT_SELECT:
        return split_list("$select", v, select_item, q, err);
    case ODATA_OPT_EXPAND:
        return split_list("$expand", v, expand_item, q, err);
    case ODATA_OPT_SEARCH: {
        size_t n = strlen(v);
        if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
            v++;
            n -= 2;
        }
        if (n == 0)
            return lcw_error_set_target(err, LCW_EINVAL, "$search",
                                        "$search: the search text is empty");
        q->search = lcw_strndup(v, n);
        return q->search ? 0 : nomem(err);
    }
    }
    return lcw_error_set(err, LCW_EINTERNAL, "bad query option");
}

int odata_query_parse(const struct odata_kv *kv, size_t n, unsigned allowed,
                      struct odata_query *out, struct lcw_error *err)
{
    int rc = 0;

    if (!out)
        return lcw_error_set(err, LCW_EINVAL, "no output");
    odata_query_init(out);
    if (!kv && n)
        return lcw_error_set(err, LCW_EINVAL, "no query parameters");
    for (size_t k = 0; k < n && !rc; k++) {
        const char *key = kv[k].key;
        const char *v = kv[k].value ? kv[k].value : "";
        size_t o;

        if (!key || key[0] != '$')
            continue; /* not a system query option: the caller's business */
        for (o = 0; o < sizeof(options) / sizeof(options[0]); o++) {
            if (lcw_str_eq_ci(key + 1, options[o].name))
                break;
        }
        if (o == sizeof(options) / sizeof(options[0])) {
            rc = lcw_error_set_target(err, LCW_EINVAL, "",
                                      "Query option '%.32s' is not supported on this resource",
                                      key);
            break;
        }
        if (!(allowed & options[o].opt)) {
            rc = lcw_error_set_target(err, LCW_EINVAL, "",
                                      "Query option '$%s' is not supported on this resource",
                                      options[o].name);
            break;
        }
        if (out->given & options[o].opt) {
            rc = lcw_error_set_target(err, LCW_EINVAL, "",
                                      "Query option '$%s' was specified more than once",
                                      options[o].name);
            break;
        }
        out->given |= options[o].opt;
        rc = parse_option(out, options[o].opt, v, err);
    }
    if (rc)
        odata_query_release(out);
    return rc;
}
