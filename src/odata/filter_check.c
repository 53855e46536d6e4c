/* SPDX-License-Identifier: MIT */
/*
 * Checking a $filter AST against a static property map (struct
 * odata_entity): every property must exist, allow the operator used on it,
 * and each literal must fit the property's type. Also the small helpers the
 * SQL compiler shares with the check. Pure and re-entrant.
 */
#include "lcw/odata.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "odata_int.h"

const char *odata__cmp_name(enum odata_cmp c)
{
    switch (c) {
    case ODATA_CMP_EQ:
        return "eq";
    case ODATA_CMP_NE:
        return "ne";
    case ODATA_CMP_LT:
        return "lt";
    case ODATA_CMP_LE:
        return "le";
    case ODATA_CMP_GT:
        return "gt";
    case ODATA_CMP_GE:
        return "ge";
    }
    return "?";
}

const char *odata__func_name(enum odata_func f)
{
    switch (f) {
    case ODATA_FN_STARTSWITH:
        return "startswith";
    case ODATA_FN_ENDSWITH:
        return "endswith";
    case ODATA_FN_CONTAINS:
        return "contains";
    }
    return "?";
}

/* Does `name` start with the `pl` bytes of `prefix` (ASCII case-insensitive), followed by
 * at least one byte and no '/'? */
static bool wildcard_match(const char *prefix, size_t pl, const char *name, size_t len)
{
    if (len <= pl || memchr(name + pl, '/', len - pl))
        return false;
    for (size_t k = 0; k < pl; k++) {
        char a = name[k], b = prefix[k];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (a != b)
            return false;
    }
    return true;
}

const struct odata_property *odata__prop_find(const struct odata_entity *ent, const char *name,
                                              size_t len)
{
    for (size_t k = 0; k < ent->n_props; k++) {
        const char *pn = ent->props[k].name;
        size_t pl = strlen(pn);
        /* "extension_*" stands for every name with that prefix (and something after it). */
        if (pl && pn[pl - 1] == '*') {
            if (wildcard_match(pn, pl - 1, name, len))
                return &ent->props[k];
            continue;
        }
        if (strv_eq_ci((struct strv){name, len}, pn))
            return &ent->props[k];
    }
    return NULL;
}

const struct odata_property *odata__path_prop(const struct odata_entity *ent,
                                              const struct odata_path *path,
                                              const struct odata_property *const *lambda_props,
                                              char *name, size_t name_size)
{
    if (path->lambda < 0) {
        lcw_strlcpy(name, path->text, name_size);
    } else {
        const char *base = lambda_props[path->lambda]->name;
        if (path->rest[0] == '\0')
            lcw_strlcpy(name, base, name_size);
        else
            snprintf(name, name_size, "%s/%s", base, path->rest);
    }
    /* A name cut short by name_size can only miss; property names are short. */
    return odata__prop_find(ent, name, strlen(name));
}

bool odata__lit_fits(enum odata_type t, const struct odata_literal *lit, bool *is_int, int64_t *i)
{
    *is_int = false;
    *i = 0;
    switch (t) {
    case ODATA_T_STRING:
    case ODATA_T_ENUM:
    case ODATA_T_FLAGS:
        return lit->type == ODATA_LIT_STRING;
    case ODATA_T_GUID:
        return lit->type == ODATA_LIT_GUID ||
               (lit->type == ODATA_LIT_STRING && uuid_valid(lit->s, lit->len));
    case ODATA_T_INT:
        *is_int = true;
        *i = lit->i;
        return lit->type == ODATA_LIT_INT;
    case ODATA_T_BOOL:
        *is_int = true;
        *i = lit->i;
        return lit->type == ODATA_LIT_BOOL;
    case ODATA_T_DATETIME:
        *is_int = true;
        *i = lit->i;
        if (lit->type == ODATA_LIT_STRING)
            return timefmt_parse(lit->s, lit->len, i) == 0;
        return lit->type == ODATA_LIT_DATETIME;
    }
    return false;
}

void odata__lit_describe(const struct odata_literal *lit, char *out, size_t size)
{
    char tbuf[TIMEFMT_LEN];

    switch (lit->type) {
    case ODATA_LIT_NULL:
        lcw_strlcpy(out, "null", size);
        break;
    case ODATA_LIT_STRING:
        snprintf(out, size, "'%.32s%s'", lit->s, lit->len > 32 ? "..." : "");
        break;
    case ODATA_LIT_GUID:
        lcw_strlcpy(out, lit->s, size);
        break;
    case ODATA_LIT_INT:
        snprintf(out, size, "%" PRId64, lit->i);
        break;
    case ODATA_LIT_BOOL:
        lcw_strlcpy(out, lit->i ? "true" : "false", size);
        break;
    case ODATA_LIT_DATETIME:
        lcw_strlcpy(out, timefmt_format(lit->i, tbuf), size);
        break;
    }
}

const char *odata__type_expect(enum odata_type t)
{
    switch (t) {
    case ODATA_T_STRING:
        return "a quoted string";
    case ODATA_T_INT:
        return "a whole number";
    case ODATA_T_BOOL:
        return "true or false";
    case ODATA_T_DATETIME:
        return "a date and time such as 2024-01-01T00:00:00Z";
    case ODATA_T_ENUM:
        return "a quoted enumeration member";
    case ODATA_T_FLAGS:
        return "a quoted flags value";
    case ODATA_T_GUID:
        return "a GUID";
    }
    return "a value";
}

struct checker {
    const struct odata_entity *ent;
    const struct odata_property *lambda_props[ODATA_FILTER_MAX_DEPTH];
    int n_lambdas;
    struct lcw_error *err;
};

static int check_lit(struct checker *c, const struct odata_property *prop, const char *name,
                     const struct odata_literal *lit, size_t pos)
{
    char desc[48];
    bool is_int;
    int64_t i;

    if (lit->type == ODATA_LIT_NULL || odata__lit_fits(prop->type, lit, &is_int, &i))
        return 0;
    odata__lit_describe(lit, desc, sizeof(desc));
    return lcw_error_set_target(c->err, LCW_EINVAL, name,
                                "$filter: '%s' expects %s, not %s (at position %zu)", name,
                                odata__type_expect(prop->type), desc, pos);
}

static int check_node(struct checker *c, const struct odata_expr *e);

/* Look up e's path and check that it allows `op` (named `op_name` in messages). */
static int check_prop(struct checker *c, const struct odata_expr *e, unsigned op,
                      const char *op_name, const struct odata_property **out, char *name,
                      size_t name_size)
{
    const struct odata_property *prop;

    prop = odata__path_prop(c->ent, &e->path, c->lambda_props, name, name_size);
    *out = prop;
    if (!prop)
        return lcw_error_set_target(c->err, LCW_EINVAL, name,
                                    "$filter: property '%s' is not filterable on %s", name,
                                    c->ent->name);
    if (!(prop->ops & op))
        return lcw_error_set_target(c->err, LCW_EINVAL, name,
                                    "$filter: operator '%s' is not supported on '%s'", op_name,
                                    name);
    return 0;
}

static int check_node(struct checker *c, const struct odata_expr *e)
{
    const struct odata_property *prop = NULL;
    char name[128];
    int rc;

    switch (e->kind) {
    case ODATA_EXPR_AND:
    case ODATA_EXPR_OR:
        rc = check_node(c, e->lhs);
        return rc ? rc : check_node(c, e->rhs);
    case ODATA_EXPR_NOT:
        return check_node(c, e->lhs);
    case ODATA_EXPR_CMP: {
        bool order = e->cmp != ODATA_CMP_EQ && e->cmp != ODATA_CMP_NE;
        rc = check_prop(c, e, order ? ODATA_OP_ORDER : ODATA_OP_EQ, odata__cmp_name(e->cmp), &prop,
                        name, sizeof(name));
        return rc ? rc : check_lit(c, prop, name, &e->lit, e->pos);
    }
    case ODATA_EXPR_IN:
        rc = check_prop(c, e, ODATA_OP_IN, "in", &prop, name, sizeof(name));
        for (size_t k = 0; !rc && k < e->n_items; k++)
            rc = check_lit(c, prop, name, &e->items[k], e->pos);
        return rc;
    case ODATA_EXPR_HAS:
        return check_prop(c, e, ODATA_OP_HAS, "has", &prop, name, sizeof(name));
    case ODATA_EXPR_FUNC: {
        static const unsigned ops[] = {
                [ODATA_FN_STARTSWITH] = ODATA_OP_STARTSWITH,
                [ODATA_FN_ENDSWITH] = ODATA_OP_ENDSWITH,
                [ODATA_FN_CONTAINS] = ODATA_OP_CONTAINS,
        };
        return check_prop(c, e, ops[e->func], odata__func_name(e->func), &prop, name, sizeof(name));
    }
    case ODATA_EXPR_ANY:
    case ODATA_EXPR_ALL: {
        bool is_all = e->kind == ODATA_EXPR_ALL;
        rc = check_prop(c, e, is_all ? ODATA_OP_ALL : ODATA_OP_ANY, is_all ? "all" : "any", &prop,
                        name, sizeof(name));
        if (rc || !e->lhs)
            return rc;
        /* The parser bounds lambda nesting by ODATA_FILTER_MAX_DEPTH. */
        LCW_ASSERT(c->n_lambdas < ODATA_FILTER_MAX_DEPTH);
        c->lambda_props[c->n_lambdas++] = prop;
        rc = check_node(c, e->lhs);
        c->n_lambdas--;
        return rc;
    }
    }
    return lcw_error_set(c->err, LCW_EINTERNAL, "$filter: bad node");
}

int odata_expr_check(const struct odata_expr *e, const struct odata_entity *ent,
                     struct lcw_error *err)
{
    struct checker c = {.ent = ent, .err = err};

    if (!e || !ent)
        return lcw_error_set(err, LCW_EINVAL, "$filter: nothing to check");
    return check_node(&c, e);
}
