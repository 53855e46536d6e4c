/* SPDX-License-Identifier: MIT */
/*
 * Rendering a $filter AST back to canonical text: minimal parentheses,
 * keywords lower-case, GUIDs lower-case, datetimes in UTC. The output parses
 * back to the same AST. Pure and re-entrant.
 */
#include "lcw/odata.h"

#include <inttypes.h>
#include <stdbool.h>

#include "odata_int.h"

static int dump_lit(const struct odata_literal *lit, struct buf *out)
{
    char tbuf[TIMEFMT_LEN];
    int rc = 0;

    switch (lit->type) {
    case ODATA_LIT_NULL:
        return buf_puts(out, "null");
    case ODATA_LIT_BOOL:
        return buf_puts(out, lit->i ? "true" : "false");
    case ODATA_LIT_INT:
        return buf_printf(out, "%" PRId64, lit->i);
    case ODATA_LIT_GUID:
        return buf_puts(out, lit->s);
    case ODATA_LIT_DATETIME:
        return buf_puts(out, timefmt_format(lit->i, tbuf));
    case ODATA_LIT_STRING:
        rc = buf_putc(out, '\'');
        for (size_t k = 0; !rc && k < lit->len; k++) {
            if (lit->s[k] == '\'')
                rc = buf_putc(out, '\'');
            if (!rc)
                rc = buf_putc(out, lit->s[k]);
        }
        return rc ? rc : buf_putc(out, '\'');
    }
    return LCW_EINTERNAL;
}

/* Where a node is printed, to decide whether it needs parentheses. */
enum ctx { CTX_TOP, CTX_LEFT, CTX_RIGHT, CTX_NOT };

/*
 * Parentheses only where the tree needs them: an 'or' under an 'and' or a
 * 'not', and a right operand of the same operator (the parser builds left-deep
 * chains). So the text never nests deeper than the input it came from, and
 * always parses back within ODATA_FILTER_MAX_DEPTH.
 */
static bool needs_parens(const struct odata_expr *e, enum odata_kind parent, enum ctx ctx)
{
    if (e->kind != ODATA_EXPR_AND && e->kind != ODATA_EXPR_OR)
        return false;
    if (ctx == CTX_NOT)
        return true;
    if (ctx == CTX_TOP)
        return false;
    if (e->kind == ODATA_EXPR_OR && parent == ODATA_EXPR_AND)
        return true;
    return ctx == CTX_RIGHT && e->kind == parent;
}

static int dump(const struct odata_expr *e, enum odata_kind parent, enum ctx ctx, struct buf *out)
{
    bool paren = needs_parens(e, parent, ctx);
    int rc = paren ? buf_putc(out, '(') : 0;

    if (rc)
        return rc;
    switch (e->kind) {
    case ODATA_EXPR_AND:
    case ODATA_EXPR_OR:
        rc = dump(e->lhs, e->kind, CTX_LEFT, out);
        if (!rc)
            rc = buf_puts(out, e->kind == ODATA_EXPR_AND ? " and " : " or ");
        if (!rc)
            rc = dump(e->rhs, e->kind, CTX_RIGHT, out);
        break;
    case ODATA_EXPR_NOT:
        rc = buf_puts(out, "not ");
        if (!rc)
            rc = dump(e->lhs, e->kind, CTX_NOT, out);
        break;
    case ODATA_EXPR_CMP:
        rc = buf_printf(out, "%s %s ", e->path.text, odata__cmp_name(e->cmp));
        if (!rc)
            rc = dump_lit(&e->lit, out);
        break;
    case ODATA_EXPR_HAS:
        rc = buf_printf(out, "%s has ", e->path.text);
        if (!rc)
            rc = dump_lit(&e->lit, out);
        break;
    case ODATA_EXPR_IN:
        rc = buf_printf(out, "%s in (", e->path.text);
        for (size_t k = 0; !rc && k < e->n_items; k++) {
            if (k)
                rc = buf_puts(out, ", ");
            if (!rc)
                rc = dump_lit(&e->items[k], out);
        }
        if (!rc)
            rc = buf_putc(out, ')');
        break;
    case ODATA_EXPR_FUNC:
        rc = buf_printf(out, "%s(%s, ", odata__func_name(e->func), e->path.text);
        if (!rc)
            rc = dump_lit(&e->lit, out);
        if (!rc)
            rc = buf_putc(out, ')');
        break;
    case ODATA_EXPR_ANY:
    case ODATA_EXPR_ALL:
        rc = buf_printf(out, "%s/%s(", e->path.text, e->kind == ODATA_EXPR_ANY ? "any" : "all");
        if (!rc && e->var)
            rc = buf_printf(out, "%s: ", e->var);
        if (!rc && e->lhs)
            rc = dump(e->lhs, e->kind, CTX_TOP, out);
        if (!rc)
            rc = buf_putc(out, ')');
        break;
    }
    if (!rc && paren)
        rc = buf_putc(out, ')');
    return rc;
}

int odata_expr_dump(const struct odata_expr *e, struct buf *out)
{
    if (!e || !out)
        return LCW_EINVAL;
    return dump(e, e->kind, CTX_TOP, out);
}
