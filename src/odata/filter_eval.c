/* SPDX-License-Identifier: MIT */
/*
 * Evaluating a $filter AST against an in-memory JSON object (workflow scope
 * rules, in-memory lists). OData null semantics, optional ASCII
 * case-insensitive strings, lambdas over JSON arrays. Does not allocate;
 * pure and re-entrant (the JSON object is only read).
 */
#include "lcw/odata.h"

#include <stdint.h>
#include <string.h>

#include "odata_int.h"

struct evaluator {
    unsigned flags;
    const json_t *root;
    const json_t *vars[ODATA_FILTER_MAX_DEPTH]; /* current element of each lambda level */
    int n_vars;
};

static char lower(char c)
{
    if (c >= 'A' && c <= 'Z')
        c = (char)(c + ('a' - 'A'));
    return c;
}

/* Three-way compare of byte strings, optionally ASCII case-insensitive. */
static int str_cmp(const char *a, size_t alen, const char *b, size_t blen, bool ci)
{
    size_t n = alen < blen ? alen : blen;

    for (size_t k = 0; k < n; k++) {
        unsigned char x = (unsigned char)(ci ? lower(a[k]) : a[k]);
        unsigned char y = (unsigned char)(ci ? lower(b[k]) : b[k]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

static bool mem_eq(const char *a, const char *b, size_t n, bool ci)
{
    return str_cmp(a, n, b, n, ci) == 0;
}

/*
 * The member `key` of object `o`: exact match first, then ASCII
 * case-insensitive (property names in $filter are case-insensitive in Graph).
 */
static const json_t *member(const json_t *o, const char *key, size_t len)
{
    /* jansson's iterator API takes a non-const object but only reads it. */
    union {
        const json_t *c;
        json_t *m;
    } u = {.c = o};
    json_t *mo = u.m;
    const json_t *v;
    void *it;

    if (!json_is_object(o))
        return NULL;
    v = json_object_getn(o, key, len);
    if (v)
        return v;
    for (it = json_object_iter(mo); it; it = json_object_iter_next(mo, it)) {
        const char *k = json_object_iter_key(it);
        if (json_object_iter_key_len(it) == len && str_cmp(k, len, key, len, true) == 0)
            return json_object_iter_value(it);
    }
    return NULL;
}

/* The value a path refers to, or NULL when any step is missing. */
static const json_t *resolve(const struct evaluator *ev, const struct odata_path *path)
{
    const json_t *v = path->lambda < 0 ? ev->root : ev->vars[path->lambda];
    const char *s = path->rest;

    while (v && *s) {
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        v = member(v, s, n);
        s += n;
        if (*s == '/')
            s++;
    }
    return v;
}

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : (a > b ? 1 : 0);
}

/*
 * Compare JSON value `v` (not null) with literal `lit` (not null). Returns
 * false when they are of incomparable types, else true with *res <0/0/>0.
 */
static bool compare(const json_t *v, const struct odata_literal *lit, unsigned flags, int *res)
{
    bool ci = flags & ODATA_EVAL_CASE_INSENSITIVE;
    int64_t ms;

    switch (lit->type) {
    case ODATA_LIT_STRING:
    case ODATA_LIT_GUID: {
        const char *s;
        size_t n;
        if (!json_is_string(v))
            return false;
        s = json_string_value(v);
        n = json_string_length(v);
        /* GUIDs are case-insensitive whatever the flags say. */
        if (lit->type == ODATA_LIT_GUID || (uuid_valid(s, n) && uuid_valid(lit->s, lit->len)))
            ci = true;
        *res = str_cmp(s, n, lit->s, lit->len, ci);
        return true;
    }
    case ODATA_LIT_INT:
    case ODATA_LIT_BOOL:
        if (json_is_integer(v)) {
            *res = cmp_i64(json_integer_value(v), lit->i);
            return true;
        }
        if (json_is_boolean(v)) {
            *res = cmp_i64(json_is_true(v) ? 1 : 0, lit->i);
            return true;
        }
        if (json_is_real(v) && lit->type == ODATA_LIT_INT) {
            double d = json_real_value(v), l = (double)lit->i;
            *res = d < l ? -1 : (d > l ? 1 : 0);
            return d == d; /* NaN compares with nothing */
        }
        return false;
    case ODATA_LIT_DATETIME:
        if (json_is_integer(v)) {
            *res = cmp_i64(json_integer_value(v), lit->i);
            return true;
        }
        if (json_is_string(v) &&
            timefmt_parse(json_string_value(v), json_string_length(v), &ms) == 0) {
            *res = cmp_i64(ms, lit->i);
            return true;
        }
        return false;
    case ODATA_LIT_NULL:
        break;
    }
    return false;
}

static bool eval_cmp(const json_t *v, enum odata_cmp op, const struct odata_literal *lit,
                     unsigned flags)
{
    bool is_null = !v || json_is_null(v);
    int r = 0;

    if (lit->type == ODATA_LIT_NULL || is_null) {
        bool both = is_null && lit->type == ODATA_LIT_NULL;
        if (op == ODATA_CMP_EQ)
            return both;
        if (op == ODATA_CMP_NE)
            return !both;
        return false;
    }
    if (!compare(v, lit, flags, &r))
        return op == ODATA_CMP_NE;
    switch (op) {
    case ODATA_CMP_EQ:
        return r == 0;
    case ODATA_CMP_NE:
        return r != 0;
    case ODATA_CMP_LT:
        return r < 0;
    case ODATA_CMP_LE:
        return r <= 0;
    case ODATA_CMP_GT:
        return r > 0;
    case ODATA_CMP_GE:
        return r >= 0;
    }
    return false;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* Is the flag token (tok, n) set in `v`, a "a,b" string or an array of strings? */
static bool flag_set(const json_t *v, const char *tok, size_t n, bool ci)
{
    if (json_is_array(v)) {
        size_t k;
        const json_t *it;
        json_array_foreach (v, k, it) {
            const char *s = json_string_value(it);
            size_t len = json_string_length(it);
            if (!s)
                continue;
            trim(&s, &len);
            if (len == n && mem_eq(s, tok, n, ci))
                return true;
        }
        return false;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        const char *end = s + json_string_length(v);
        while (s <= end) {
            const char *comma = memchr(s, ',', (size_t)(end - s));
            const char *stop = comma ? comma : end;
            const char *t = s;
            size_t len = (size_t)(stop - s);
            trim(&t, &len);
            if (len == n && mem_eq(t, tok, n, ci))
                return true;
            s = stop + 1;
        }
    }
    return false;
}

/* `v has 'a,b'`: every flag of the literal is set in v; an empty literal is false. */
static bool eval_has(const json_t *v, const struct odata_literal *lit, unsigned flags)
{
    bool ci = flags & ODATA_EVAL_CASE_INSENSITIVE;
    const char *s = lit->s;
    const char *end = lit->s + lit->len;
    bool any = false;

    if (!v)
        return false;
    while (s <= end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *stop = comma ? comma : end;
        const char *t = s;
        size_t len = (size_t)(stop - s);
        trim(&t, &len);
        if (len) {
            if (!flag_set(v, t, len, ci))
                return false;
            any = true;
        }
        s = stop + 1;
    }
    return any;
}

static bool eval_func(const json_t *v, enum odata_func fn, const struct odata_literal *lit,
                      unsigned flags)
{
    bool ci = flags & ODATA_EVAL_CASE_INSENSITIVE;
    const char *s;
    size_t n;

    if (!json_is_string(v))
        return false;
    s = json_string_value(v);
    n = json_string_length(v);
    if (lit->len > n)
        return false;
    switch (fn) {
    case ODATA_FN_STARTSWITH:
        return mem_eq(s, lit->s, lit->len, ci);
    case ODATA_FN_ENDSWITH:
        return mem_eq(s + n - lit->len, lit->s, lit->len, ci);
    case ODATA_FN_CONTAINS:
        for (size_t k = 0; k + lit->len <= n; k++) {
            if (mem_eq(s + k, lit->s, lit->len, ci))
                return true;
        }
        return false;
    }
    return false;
}

static bool eval_node(struct evaluator *ev, const struct odata_expr *e);

static bool eval_lambda(struct evaluator *ev, const struct odata_expr *e)
{
    const json_t *arr = resolve(ev, &e->path);
    bool is_all = e->kind == ODATA_EXPR_ALL;
    const json_t *it;
    size_t k;

    if (!json_is_array(arr))
        return is_all; /* a missing collection is empty */
    if (!e->lhs)
        return json_array_size(arr) > 0;
    /* The parser bounds lambda nesting by ODATA_FILTER_MAX_DEPTH. */
    LCW_ASSERT(ev->n_vars < ODATA_FILTER_MAX_DEPTH);
    json_array_foreach (arr, k, it) {
        bool r;
        ev->vars[ev->n_vars++] = it;
        r = eval_node(ev, e->lhs);
        ev->n_vars--;
        if (r != is_all)
            return r;
    }
    return is_all;
}

static bool eval_node(struct evaluator *ev, const struct odata_expr *e)
{
    switch (e->kind) {
    case ODATA_EXPR_AND:
        return eval_node(ev, e->lhs) && eval_node(ev, e->rhs);
    case ODATA_EXPR_OR:
        return eval_node(ev, e->lhs) || eval_node(ev, e->rhs);
    case ODATA_EXPR_NOT:
        return !eval_node(ev, e->lhs);
    case ODATA_EXPR_CMP:
        return eval_cmp(resolve(ev, &e->path), e->cmp, &e->lit, ev->flags);
    case ODATA_EXPR_IN: {
        const json_t *v = resolve(ev, &e->path);
        for (size_t k = 0; k < e->n_items; k++) {
            if (eval_cmp(v, ODATA_CMP_EQ, &e->items[k], ev->flags))
                return true;
        }
        return false;
    }
    case ODATA_EXPR_HAS:
        return eval_has(resolve(ev, &e->path), &e->lit, ev->flags);
    case ODATA_EXPR_FUNC:
        return eval_func(resolve(ev, &e->path), e->func, &e->lit, ev->flags);
    case ODATA_EXPR_ANY:
    case ODATA_EXPR_ALL:
        return eval_lambda(ev, e);
    }
    LCW_BUG("unknown odata_expr kind");
}

int odata_eval(const struct odata_expr *e, const json_t *obj, unsigned flags, bool *out,
               struct lcw_error *err)
{
    struct evaluator ev = {.flags = flags, .root = obj};

    if (!e || !out)
        return lcw_error_set(err, LCW_EINVAL, "$filter: nothing to evaluate");
    *out = eval_node(&ev, e);
    return 0;
}
