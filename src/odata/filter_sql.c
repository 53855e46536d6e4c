/* SPDX-License-Identifier: MIT */
/*
 * Compiling a $filter AST to a parameterised SQL boolean expression that runs
 * unchanged on SQLite 3.40 and PostgreSQL 15: `?` placeholders only (the
 * store driver renumbers them for PostgreSQL), column text only from the
 * static entity map, functions limited to substr/length/replace/||, which
 * behave the same on both. The result is two-valued under `not`, matching
 * odata_eval. Pure and re-entrant.
 */
#include "lcw/odata.h"

#include <stdarg.h>
#include <string.h>

#include "odata_int.h"

struct compiler {
    const struct odata_entity *ent;
    struct odata_sql *out;
    size_t cap; /* allocated params */
    int neg;    /* enclosing NOTs: leaves must then map NULL to false explicitly */
    const struct odata_property *lambda_props[ODATA_FILTER_MAX_DEPTH];
    int n_lambdas;
    struct lcw_error *err;
};

/*
 * Error helpers return literal codes rather than lcw_error_set's result, so
 * that static analyzers can see out-parameters are set whenever 0 is returned.
 */
static int oom(struct compiler *c, int rc)
{
    if (rc == LCW_ETOOBIG) {
        (void)lcw_error_set(c->err, LCW_ETOOBIG, "$filter: the filter is too complex");
        return LCW_ETOOBIG;
    }
    (void)lcw_error_set(c->err, LCW_ENOMEM, "$filter: out of memory");
    return LCW_ENOMEM;
}

static int param_slot(struct compiler *c, struct odata_param **out)
{
    struct odata_sql *s = c->out;

    if (s->n_params == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 8;
        struct odata_param *p = lcw_realloc(s->params, ncap * sizeof(*p));
        if (!p) {
            (void)lcw_error_set(c->err, LCW_ENOMEM, "$filter: out of memory");
            return LCW_ENOMEM;
        }
        s->params = p;
        c->cap = ncap;
    }
    *out = &s->params[s->n_params];
    memset(*out, 0, sizeof(**out));
    return 0;
}

static int param_int(struct compiler *c, int64_t i)
{
    struct odata_param *p;
    int rc = param_slot(c, &p);

    if (rc)
        return rc;
    p->kind = ODATA_P_INT;
    p->i = i;
    c->out->n_params++;
    return 0;
}

/* A text parameter: `pre` + (s, n) + `post`, ASCII-lower-cased if `lower`. */
static int param_text(struct compiler *c, const char *pre, const char *s, size_t n,
                      const char *post, bool lower)
{
    struct odata_param *p;
    size_t plen = strlen(pre), qlen = strlen(post);
    char *t;
    int rc = param_slot(c, &p);

    if (rc)
        return rc;
    t = lcw_malloc(plen + n + qlen + 1);
    if (!t)
        return oom(c, LCW_ENOMEM);
    memcpy(t, pre, plen);
    memcpy(t + plen, s, n);
    memcpy(t + plen + n, post, qlen + 1);
    if (lower) {
        for (size_t k = plen; k < plen + n; k++) {
            if (t[k] >= 'A' && t[k] <= 'Z')
                t[k] = (char)(t[k] - 'A' + 'a');
        }
    }
    p->kind = ODATA_P_TEXT;
    p->s = t;
    c->out->n_params++;
    return 0;
}

/* Bind a literal already checked to fit `prop`. */
static int param_lit(struct compiler *c, const struct odata_property *prop,
                     const struct odata_literal *lit)
{
    bool is_int;
    int64_t i;

    if (!odata__lit_fits(prop->type, lit, &is_int, &i))
        return lcw_error_set(c->err, LCW_EINTERNAL, "$filter: unchecked literal");
    if (is_int)
        return param_int(c, i);
    return param_text(c, "", lit->s, lit->len, "", prop->type == ODATA_T_GUID);
}

static int emit(struct compiler *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int emit(struct compiler *c, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vprintf(&c->out->where, fmt, ap);
    va_end(ap);
    return rc ? oom(c, rc) : 0;
}

/* Open a leaf: under `not`, "(col IS NOT NULL AND " so that NULL reads as false. */
static int guard_open(struct compiler *c, const char *col)
{
    return c->neg ? emit(c, "(%s IS NOT NULL AND ", col) : 0;
}

static int guard_close(struct compiler *c)
{
    return c->neg ? emit(c, ")") : 0;
}

static size_t utf8_chars(const char *s, size_t n)
{
    size_t chars = 0;

    for (size_t k = 0; k < n; k++) {
        if (((unsigned char)s[k] & 0xC0) != 0x80)
            chars++;
    }
    return chars;
}

/* The SQL column of a path, or an error naming what is not supported. */
static int column_of(struct compiler *c, const struct odata_expr *e, const char *what,
                     const struct odata_property **prop_out, const char **col_out)
{
    char name[128];
    const struct odata_property *prop;

    prop = odata__path_prop(c->ent, &e->path, c->lambda_props, name, sizeof(name));
    if (!prop) {
        (void)lcw_error_set_target(c->err, LCW_EINVAL, name,
                                   "$filter: property '%s' is not filterable on %s", name,
                                   c->ent->name);
        return LCW_EINVAL;
    }
    if (!prop->column) {
        if (what)
            (void)lcw_error_set_target(c->err, LCW_EINVAL, name,
                                       "$filter: '%s' on '%s' is not supported in $filter "
                                       "for this collection",
                                       what, name);
        else
            (void)lcw_error_set_target(c->err, LCW_EINVAL, name,
                                       "$filter: '%s' is not supported in $filter for this "
                                       "collection",
                                       name);
        return LCW_EINVAL;
    }
    *prop_out = prop;
    *col_out = prop->column;
    return 0;
}

static int sql_cmp(struct compiler *c, const struct odata_expr *e)
{
    static const char *const ops[] = {
            [ODATA_CMP_EQ] = "=",  [ODATA_CMP_NE] = "<>", [ODATA_CMP_LT] = "<",
            [ODATA_CMP_LE] = "<=", [ODATA_CMP_GT] = ">",  [ODATA_CMP_GE] = ">=",
    };
    const struct odata_property *prop;
    const char *col;
    int rc = column_of(c, e, NULL, &prop, &col);

    if (rc)
        return rc;
    if (e->lit.type == ODATA_LIT_NULL) {
        if (e->cmp == ODATA_CMP_EQ)
            return emit(c, "%s IS NULL", col);
        if (e->cmp == ODATA_CMP_NE)
            return emit(c, "%s IS NOT NULL", col);
        return emit(c, "1=0"); /* ordering against null is false */
    }
    if (e->cmp == ODATA_CMP_NE) {
        /* OData: null ne 'x' is true. */
        rc = emit(c, "(%s IS NULL OR %s <> ?)", col, col);
        return rc ? rc : param_lit(c, prop, &e->lit);
    }
    rc = guard_open(c, col);
    if (!rc)
        rc = emit(c, "%s %s ?", col, ops[e->cmp]);
    if (!rc)
        rc = param_lit(c, prop, &e->lit);
    return rc ? rc : guard_close(c);
}

static int sql_in(struct compiler *c, const struct odata_expr *e)
{
    const struct odata_property *prop;
    const char *col;
    bool has_null = false;
    size_t n_values = 0;
    int rc = column_of(c, e, NULL, &prop, &col);

    if (rc)
        return rc;
    for (size_t k = 0; k < e->n_items; k++) {
        if (e->items[k].type == ODATA_LIT_NULL)
            has_null = true;
        else
            n_values++;
    }
    if (n_values == 0)
        return emit(c, "%s IS NULL", col);
    if (has_null)
        rc = emit(c, "(%s IS NULL OR ", col);
    else
        rc = guard_open(c, col);
    if (!rc)
        rc = emit(c, "%s IN (", col);
    for (size_t k = 0, done = 0; !rc && k < e->n_items; k++) {
        if (e->items[k].type == ODATA_LIT_NULL)
            continue;
        rc = emit(c, done++ ? ", ?" : "?");
        if (!rc)
            rc = param_lit(c, prop, &e->items[k]);
    }
    if (!rc)
        rc = emit(c, ")");
    if (rc)
        return rc;
    return has_null ? emit(c, ")") : guard_close(c);
}

/*
 * Flags tests, one per token of `lit` ("a,b" needs both), ANDed. The column
 * holds "x,y"; wrapping both in commas makes a token test a substring test,
 * done with replace() because LIKE differs between SQLite (case-insensitive,
 * wildcards) and PostgreSQL (case-sensitive). Tokens compare exactly.
 */
static int sql_flags(struct compiler *c, const char *col, const char *s, size_t len)
{
    const char *end = s + len;
    size_t n = 0;
    int rc = 0;

    while (!rc && s <= end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *stop = comma ? comma : end;
        const char *t = s;
        size_t tl = (size_t)(stop - s);
        while (tl && *t == ' ') {
            t++;
            tl--;
        }
        while (tl && t[tl - 1] == ' ')
            tl--;
        if (tl) {
            rc = emit(c, "%sreplace(',' || %s || ',', ?, '') <> (',' || %s || ',')",
                      n++ ? " AND " : "", col, col);
            if (!rc)
                rc = param_text(c, ",", t, tl, ",", false);
        }
        s = stop + 1;
    }
    if (!rc && n == 0)
        rc = emit(c, "1=0");
    return rc;
}

static int sql_has(struct compiler *c, const struct odata_expr *e)
{
    const struct odata_property *prop;
    const char *col;
    int rc = column_of(c, e, NULL, &prop, &col);

    if (!rc)
        rc = emit(c, "(");
    if (!rc && c->neg)
        rc = emit(c, "%s IS NOT NULL AND ", col);
    if (!rc)
        rc = sql_flags(c, col, e->lit.s, e->lit.len);
    return rc ? rc : emit(c, ")");
}

static int sql_func(struct compiler *c, const struct odata_expr *e)
{
    const struct odata_property *prop;
    const char *col;
    bool lower;
    size_t chars = utf8_chars(e->lit.s, e->lit.len);
    int rc = column_of(c, e, NULL, &prop, &col);

    if (rc)
        return rc;
    lower = prop->type == ODATA_T_GUID;
    rc = guard_open(c, col);
    if (rc)
        return rc;
    switch (e->func) {
    case ODATA_FN_STARTSWITH:
        /* substr counts characters on both engines; the CAST keeps PostgreSQL's
         * substr(text, int, int) when the driver binds a bigint. */
        rc = emit(c, "substr(%s, 1, CAST(? AS INTEGER)) = ?", col);
        if (!rc)
            rc = param_int(c, (int64_t)chars);
        break;
    case ODATA_FN_ENDSWITH:
        rc = emit(c, "(length(%s) >= ? AND substr(%s, length(%s) - CAST(? AS INTEGER) + 1) = ?)",
                  col, col, col);
        if (!rc)
            rc = param_int(c, (int64_t)chars);
        if (!rc)
            rc = param_int(c, (int64_t)chars);
        break;
    case ODATA_FN_CONTAINS:
        /* instr (SQLite) and strpos (PostgreSQL) have no common name; replace does. */
        if (e->lit.len == 0) {
            rc = emit(c, "%s IS NOT NULL", col);
            return rc ? rc : guard_close(c);
        }
        rc = emit(c, "replace(%s, ?, '') <> %s", col, col);
        break;
    }
    if (!rc)
        rc = param_text(c, "", e->lit.s, e->lit.len, "", lower);
    return rc ? rc : guard_close(c);
}

/*
 * any() over a FLAGS column: `col/any()` is "not empty", and
 * `col/any(x: x eq 'a')` or `x in ('a','b')` are flags tests. Any other
 * lambda cannot be expressed portably and is refused.
 */
static int sql_lambda(struct compiler *c, const struct odata_expr *e)
{
    const char *what = e->kind == ODATA_EXPR_ALL ? "all" : "any";
    const struct odata_property *prop;
    const struct odata_expr *b = e->lhs;
    const char *col;
    int level = c->n_lambdas;
    int rc = column_of(c, e, what, &prop, &col);

    if (rc)
        return rc;
    if (prop->type != ODATA_T_FLAGS || e->kind != ODATA_EXPR_ANY)
        goto unsupported;
    if (!b)
        return emit(c, "(%s IS NOT NULL AND %s <> '')", col, col);
    if (b->path.lambda != level || b->path.rest[0] != '\0')
        goto unsupported;
    if (b->kind == ODATA_EXPR_CMP && b->cmp == ODATA_CMP_EQ && b->lit.type == ODATA_LIT_STRING) {
        rc = emit(c, "(");
        if (!rc && c->neg)
            rc = emit(c, "%s IS NOT NULL AND ", col);
        if (!rc)
            rc = sql_flags(c, col, b->lit.s, b->lit.len);
        return rc ? rc : emit(c, ")");
    }
    if (b->kind == ODATA_EXPR_IN) {
        rc = emit(c, "(");
        if (!rc && c->neg)
            rc = emit(c, "%s IS NOT NULL AND ", col);
        if (!rc)
            rc = emit(c, "(");
        for (size_t k = 0; !rc && k < b->n_items; k++) {
            if (b->items[k].type != ODATA_LIT_STRING)
                goto unsupported;
            if (k)
                rc = emit(c, " OR ");
            if (!rc)
                rc = sql_flags(c, col, b->items[k].s, b->items[k].len);
        }
        return rc ? rc : emit(c, "))");
    }
unsupported:
    return lcw_error_set_target(c->err, LCW_EINVAL, e->path.text,
                                "$filter: '%s' on '%s' is not supported in $filter for this "
                                "collection",
                                what, e->path.text);
}

static int sql_node(struct compiler *c, const struct odata_expr *e)
{
    int rc;

    switch (e->kind) {
    case ODATA_EXPR_AND:
    case ODATA_EXPR_OR:
        rc = emit(c, "(");
        if (!rc)
            rc = sql_node(c, e->lhs);
        if (!rc)
            rc = emit(c, e->kind == ODATA_EXPR_AND ? " AND " : " OR ");
        if (!rc)
            rc = sql_node(c, e->rhs);
        return rc ? rc : emit(c, ")");
    case ODATA_EXPR_NOT:
        rc = emit(c, "NOT (");
        c->neg++;
        if (!rc)
            rc = sql_node(c, e->lhs);
        c->neg--;
        return rc ? rc : emit(c, ")");
    case ODATA_EXPR_CMP:
        return sql_cmp(c, e);
    case ODATA_EXPR_IN:
        return sql_in(c, e);
    case ODATA_EXPR_HAS:
        return sql_has(c, e);
    case ODATA_EXPR_FUNC:
        return sql_func(c, e);
    case ODATA_EXPR_ANY:
    case ODATA_EXPR_ALL:
        return sql_lambda(c, e);
    }
    return lcw_error_set(c->err, LCW_EINTERNAL, "$filter: bad node");
}

int odata_filter_to_sql(const struct odata_expr *e, const struct odata_entity *ent,
                        struct odata_sql *out, struct lcw_error *err)
{
    struct compiler c = {.ent = ent, .out = out, .err = err};
    int rc;

    if (!out)
        return lcw_error_set(err, LCW_EINVAL, "$filter: no output");
    memset(out, 0, sizeof(*out));
    buf_init(&out->where, ODATA_SQL_MAX);
    if (!ent)
        return lcw_error_set(err, LCW_EINVAL, "$filter: no entity");
    if (!e)
        return emit(&c, "1=1");
    rc = odata_expr_check(e, ent, err);
    if (!rc)
        rc = sql_node(&c, e);
    return rc;
}

void odata_sql_release(struct odata_sql *s)
{
    if (!s)
        return;
    buf_release(&s->where);
    for (size_t k = 0; k < s->n_params; k++)
        lcw_free(s->params[k].s);
    lcw_free(s->params);
    s->params = NULL;
    s->n_params = 0;
}
