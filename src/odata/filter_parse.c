/* SPDX-License-Identifier: MIT */
/*
 * $filter lexer and recursive-descent parser: text -> struct odata_expr.
 * It knows the grammar and the literal forms, not which properties exist
 * (that is odata_expr_check). Every failure is LCW_EINVAL with the 1-based
 * position and what was expected. Re-entrant; no global state.
 */
#include "lcw/odata.h"

#include <string.h>

#include "odata_int.h"

enum tok_type {
    T_EOF,
    T_LPAREN,
    T_RPAREN,
    T_COMMA,
    T_COLON,
    T_SLASH,
    T_IDENT,
    T_STRING, /* text includes the quotes; '' not yet unescaped */
    T_INT,
    T_GUID,
    T_DATETIME,
};

struct tok {
    enum tok_type type;
    size_t off; /* byte offset of the token's first byte */
    size_t len; /* bytes of token text */
    int64_t i;  /* T_INT value, T_DATETIME ms */
};

struct parser {
    const char *s;
    size_t len;
    size_t off;     /* lexer position: just after `tok` */
    struct tok tok; /* the current (lookahead) token */
    int depth;
    size_t n_nodes;
    const char *vars[ODATA_FILTER_MAX_DEPTH]; /* range variables in scope, outermost first */
    int n_vars;
    struct lcw_error *err;
};

/* ------------------------------------------------------------------ lexer */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ident_start(char c)
{
    return is_alpha(c) || c == '_';
}

static bool is_ident_char(char c)
{
    return is_alpha(c) || is_digit(c) || c == '_';
}

/* 1-based position of byte offset `off`. */
static size_t pos_of(size_t off)
{
    return off + 1;
}

/* Describe the current token for messages: "'foo'" or "the end of the filter". */
static void tok_describe(const struct parser *p, char *out, size_t size)
{
    enum { SHOW = 24 };
    char text[SHOW + 4];
    size_t n = p->tok.len;
    size_t k;

    if (p->tok.type == T_EOF) {
        lcw_strlcpy(out, "the end of the filter", size);
        return;
    }
    if (n > SHOW)
        n = SHOW;
    for (k = 0; k < n; k++) {
        char c = p->s[p->tok.off + k];
        if ((unsigned char)c < 0x20 || c == 0x7f)
            c = '?';
        text[k] = c;
    }
    text[k] = '\0';
    /* A string token already shows its quotes. */
    if (p->tok.type == T_STRING)
        snprintf(out, size, "%s%s", text, p->tok.len > SHOW ? "...'" : "");
    else
        snprintf(out, size, "'%s%s'", text, p->tok.len > SHOW ? "..." : "");
}

/* "$filter: expected <what> at position N, found X" about the current token. */
static int expected(struct parser *p, const char *what)
{
    char found[40];

    tok_describe(p, found, sizeof(found));
    return lcw_error_set(p->err, LCW_EINVAL, "$filter: expected %s at position %zu, found %s", what,
                         pos_of(p->tok.off), found);
}

static bool match_guid(const char *s, size_t avail)
{
    if (avail < 36 || !uuid_valid(s, 36))
        return false;
    return avail == 36 || !is_ident_char(s[36]);
}

static bool match_date_start(const char *s, size_t avail)
{
    return avail >= 6 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
           s[4] == '-' && is_digit(s[5]);
}

static bool is_datetime_char(char c)
{
    return is_alpha(c) || is_digit(c) || c == ':' || c == '.' || c == '+' || c == '-';
}

static int lex_string(struct parser *p, size_t start)
{
    size_t i = start + 1;

    for (;;) {
        if (i >= p->len)
            return lcw_error_set(p->err, LCW_EINVAL,
                                 "$filter: unterminated string starting at position %zu; "
                                 "close it with ' (write '' for a quote inside it)",
                                 pos_of(start));
        if (p->s[i] == '\0')
            return lcw_error_set(p->err, LCW_EINVAL,
                                 "$filter: NUL byte inside a string at position %zu", pos_of(i));
        if (p->s[i] == '\'') {
            if (i + 1 < p->len && p->s[i + 1] == '\'') {
                i += 2;
                continue;
            }
            break;
        }
        i++;
    }
    p->tok.type = T_STRING;
    p->tok.len = i + 1 - start;
    return 0;
}

static int lex_number(struct parser *p, size_t start)
{
    size_t i = start;
    size_t end;

    if (p->s[i] == '-')
        i++;
    while (i < p->len && is_digit(p->s[i]))
        i++;
    end = i;
    /* Read the rest of a malformed word ("1.5", "12ab") so the message can show it. */
    while (i < p->len && (is_ident_char(p->s[i]) || p->s[i] == '.'))
        i++;
    p->tok.len = i - start;
    if (i != end)
        return lcw_error_set(p->err, LCW_EINVAL,
                             "$filter: invalid number '%.*s' at position %zu; only whole "
                             "numbers are supported",
                             (int)(i - start > 32 ? 32 : i - start), p->s + start, pos_of(start));
    if (str_to_i64(p->s + start, end - start, &p->tok.i) != 0)
        return lcw_error_set(
                p->err, LCW_EINVAL, "$filter: number '%.*s' at position %zu is out of range",
                (int)(end - start > 32 ? 32 : end - start), p->s + start, pos_of(start));
    p->tok.type = T_INT;
    return 0;
}

static int lex_datetime(struct parser *p, size_t start)
{
    size_t i = start;

    while (i < p->len && is_datetime_char(p->s[i]))
        i++;
    p->tok.len = i - start;
    if (timefmt_parse(p->s + start, i - start, &p->tok.i) != 0)
        return lcw_error_set(p->err, LCW_EINVAL,
                             "$filter: invalid date/time '%.*s' at position %zu; expected "
                             "RFC 3339 such as 2024-01-01T00:00:00Z",
                             (int)(i - start > 40 ? 40 : i - start), p->s + start, pos_of(start));
    p->tok.type = T_DATETIME;
    return 0;
}

/* Read the next token into p->tok. */
static int next(struct parser *p)
{
    size_t i = p->off;
    char c;
    int rc = 0;

    while (i < p->len && is_space(p->s[i]))
        i++;
    p->tok.off = i;
    p->tok.len = 1;
    p->tok.i = 0;
    if (i >= p->len) {
        p->tok.type = T_EOF;
        p->tok.len = 0;
        p->off = i;
        return 0;
    }
    c = p->s[i];
    switch (c) {
    case '(':
        p->tok.type = T_LPAREN;
        break;
    case ')':
        p->tok.type = T_RPAREN;
        break;
    case ',':
        p->tok.type = T_COMMA;
        break;
    case ':':
        p->tok.type = T_COLON;
        break;
    case '/':
        p->tok.type = T_SLASH;
        break;
    case '\'':
        rc = lex_string(p, i);
        break;
    default:
        if (match_guid(p->s + i, p->len - i)) {
            p->tok.type = T_GUID;
            p->tok.len = 36;
        } else if (match_date_start(p->s + i, p->len - i)) {
            rc = lex_datetime(p, i);
        } else if (is_digit(c) || (c == '-' && i + 1 < p->len && is_digit(p->s[i + 1]))) {
            rc = lex_number(p, i);
        } else if (is_ident_start(c)) {
            size_t j = i + 1;
            while (j < p->len && is_ident_char(p->s[j]))
                j++;
            p->tok.type = T_IDENT;
            p->tok.len = j - i;
        } else if ((unsigned char)c > 0x20 && (unsigned char)c < 0x7f) {
            return lcw_error_set(p->err, LCW_EINVAL,
                                 "$filter: unexpected character '%c' at position %zu", c,
                                 pos_of(i));
        } else {
            return lcw_error_set(p->err, LCW_EINVAL,
                                 "$filter: unexpected byte 0x%02x at position %zu",
                                 (unsigned)(unsigned char)c, pos_of(i));
        }
    }
    if (rc == 0)
        p->off = i + p->tok.len;
    return rc;
}

/* The first non-space byte after the current token, or '\0'. */
static char peek_char(const struct parser *p)
{
    size_t i = p->off;

    while (i < p->len && is_space(p->s[i]))
        i++;
    if (i >= p->len)
        return '\0';
    return p->s[i];
}

static bool tok_is(const struct parser *p, const char *kw)
{
    size_t n = strlen(kw);

    return p->tok.type == T_IDENT && p->tok.len == n &&
           strv_eq_ci((struct strv){p->s + p->tok.off, n}, kw);
}

/* ------------------------------------------------------------------ nodes */

static void literal_release(struct odata_literal *lit)
{
    lcw_free(lit->s);
    lit->s = NULL;
}

void odata_expr_free(struct odata_expr *e)
{
    if (!e)
        return;
    odata_expr_free(e->lhs);
    odata_expr_free(e->rhs);
    lcw_free(e->path.text);
    literal_release(&e->lit);
    for (size_t k = 0; k < e->n_items; k++)
        literal_release(&e->items[k]);
    lcw_free(e->items);
    lcw_free(e->var);
    lcw_free(e);
}

static int node_new(struct parser *p, enum odata_kind kind, size_t off, struct odata_expr **out)
{
    struct odata_expr *e;

    *out = NULL;
    /* Literal return codes (not lcw_error_set's) let analyzers see *out is set on 0. */
    if (p->n_nodes >= ODATA_FILTER_MAX_NODES) {
        (void)lcw_error_set(p->err, LCW_EINVAL,
                            "$filter: too complex at position %zu (more than %d conditions)",
                            pos_of(off), ODATA_FILTER_MAX_NODES);
        return LCW_EINVAL;
    }
    e = lcw_calloc(1, sizeof(*e));
    if (!e) {
        (void)lcw_error_set(p->err, LCW_ENOMEM, "$filter: out of memory");
        return LCW_ENOMEM;
    }
    p->n_nodes++;
    e->kind = kind;
    e->pos = pos_of(off);
    e->path.lambda = -1;
    *out = e;
    return 0;
}

/* Turn the current token into a literal, or fail with "expected <what>". */
static int parse_literal(struct parser *p, struct odata_literal *lit, const char *what)
{
    const char *t = p->s + p->tok.off;
    int rc;

    memset(lit, 0, sizeof(*lit));
    switch (p->tok.type) {
    case T_STRING: {
        /* Unescape '' -> ' between the quotes. */
        size_t n = 0;
        char *s = lcw_malloc(p->tok.len - 1);
        if (!s)
            return lcw_error_set(p->err, LCW_ENOMEM, "$filter: out of memory");
        for (size_t k = 1; k + 1 < p->tok.len; k++) {
            s[n++] = t[k];
            if (t[k] == '\'')
                k++;
        }
        s[n] = '\0';
        lit->type = ODATA_LIT_STRING;
        lit->s = s;
        lit->len = n;
        break;
    }
    case T_GUID:
        lit->s = lcw_strndup(t, 36);
        if (!lit->s)
            return lcw_error_set(p->err, LCW_ENOMEM, "$filter: out of memory");
        for (size_t k = 0; k < 36; k++) {
            if (lit->s[k] >= 'A' && lit->s[k] <= 'F')
                lit->s[k] = (char)(lit->s[k] - 'A' + 'a');
        }
        lit->type = ODATA_LIT_GUID;
        lit->len = 36;
        break;
    case T_INT:
        lit->type = ODATA_LIT_INT;
        lit->i = p->tok.i;
        break;
    case T_DATETIME:
        lit->type = ODATA_LIT_DATETIME;
        lit->i = p->tok.i;
        break;
    case T_IDENT:
        if (tok_is(p, "true") || tok_is(p, "false")) {
            lit->type = ODATA_LIT_BOOL;
            lit->i = tok_is(p, "true");
            break;
        }
        if (tok_is(p, "null")) {
            lit->type = ODATA_LIT_NULL;
            break;
        }
        return expected(p, what);
    default:
        return expected(p, what);
    }
    /* The caller owns *lit only on success (an 'in' list counts it afterwards). */
    rc = next(p);
    if (rc)
        literal_release(lit);
    return rc;
}

/*
 * Parse a property path starting at the current T_IDENT. Stops before a
 * "/any(" or "/all(" (leaving the T_SLASH current) and resolves a leading
 * range variable.
 */
static int parse_path(struct parser *p, struct odata_path *path)
{
    struct buf b;
    size_t first_len = p->tok.len;
    int rc;

    buf_init(&b, ODATA_FILTER_MAX_LEN);
    rc = buf_append(&b, p->s + p->tok.off, p->tok.len);
    if (rc)
        goto out;
    rc = next(p);
    if (rc)
        goto out;
    while (p->tok.type == T_SLASH) {
        /* Look past the '/' without consuming it, to spot a lambda. */
        struct parser save = *p;
        rc = next(p);
        if (rc)
            goto out;
        if (p->tok.type != T_IDENT) {
            rc = expected(p, "a property name after '/'");
            goto out;
        }
        if ((tok_is(p, "any") || tok_is(p, "all")) && peek_char(p) == '(') {
            *p = save;
            break;
        }
        rc = buf_putc(&b, '/');
        if (!rc)
            rc = buf_append(&b, p->s + p->tok.off, p->tok.len);
        if (!rc)
            rc = next(p);
        if (rc)
            goto out;
    }
    path->lambda = -1;
    for (int v = p->n_vars - 1; v >= 0; v--) {
        if (strlen(p->vars[v]) == first_len && memcmp(b.data, p->vars[v], first_len) == 0) {
            path->lambda = v;
            break;
        }
    }
    path->text = buf_detach(&b);
    if (!path->text) {
        rc = LCW_ENOMEM;
        goto out;
    }
    path->rest = path->text;
    if (path->lambda >= 0)
        path->rest = path->text + first_len + (path->text[first_len] == '/' ? 1 : 0);
out:
    if (rc == LCW_ENOMEM || rc == LCW_ETOOBIG)
        rc = lcw_error_set(p->err, LCW_ENOMEM, "$filter: out of memory");
    buf_release(&b);
    return rc;
}

static int expect_tok(struct parser *p, enum tok_type t, const char *what)
{
    if (p->tok.type != t)
        return expected(p, what);
    return next(p);
}

static int parse_or(struct parser *p, struct odata_expr **out);

/* The bit after a path: "eq 'x'", "in (...)", "has 'x'". `e` already holds the path. */
static int parse_operator(struct parser *p, struct odata_expr *e)
{
    static const struct {
        const char *name;
        enum odata_cmp cmp;
    } cmps[] = {
            {"eq", ODATA_CMP_EQ}, {"ne", ODATA_CMP_NE}, {"lt", ODATA_CMP_LT},
            {"le", ODATA_CMP_LE}, {"gt", ODATA_CMP_GT}, {"ge", ODATA_CMP_GE},
    };
    char what[96];

    for (size_t k = 0; k < sizeof(cmps) / sizeof(cmps[0]); k++) {
        if (tok_is(p, cmps[k].name)) {
            int rc = next(p);
            if (rc)
                return rc;
            e->kind = ODATA_EXPR_CMP;
            e->cmp = cmps[k].cmp;
            snprintf(what, sizeof(what), "a value after '%s'", cmps[k].name);
            return parse_literal(p, &e->lit, what);
        }
    }
    if (tok_is(p, "has")) {
        int rc = next(p);
        if (rc)
            return rc;
        e->kind = ODATA_EXPR_HAS;
        if (p->tok.type != T_STRING)
            return expected(p, "a quoted value after 'has' (as in category has 'joiner')");
        return parse_literal(p, &e->lit, "a value after 'has'");
    }
    if (tok_is(p, "in")) {
        size_t cap = 0;
        int rc = next(p);
        if (rc)
            return rc;
        e->kind = ODATA_EXPR_IN;
        rc = expect_tok(p, T_LPAREN, "'(' after 'in' (as in department in ('Sales', 'HR'))");
        if (rc)
            return rc;
        for (;;) {
            if (e->n_items == ODATA_FILTER_MAX_IN)
                return lcw_error_set(p->err, LCW_EINVAL,
                                     "$filter: the 'in' list at position %zu has more than %d "
                                     "values",
                                     e->pos, ODATA_FILTER_MAX_IN);
            if (e->n_items == cap) {
                size_t ncap = cap ? cap * 2 : 4;
                struct odata_literal *items = lcw_realloc(e->items, ncap * sizeof(*items));
                if (!items)
                    return lcw_error_set(p->err, LCW_ENOMEM, "$filter: out of memory");
                e->items = items;
                cap = ncap;
            }
            rc = parse_literal(p, &e->items[e->n_items], "a value in the 'in' list");
            if (rc)
                return rc;
            e->n_items++;
            if (p->tok.type == T_RPAREN)
                return next(p);
            rc = expect_tok(p, T_COMMA, "',' or ')' in the 'in' list");
            if (rc)
                return rc;
        }
    }
    snprintf(what, sizeof(what), "an operator (eq, ne, lt, le, gt, ge, in or has) after '%.20s'",
             e->path.text);
    return expected(p, what);
}

/* path/any(...) or path/all(...); the current token is the '/'. */
static int parse_lambda(struct parser *p, struct odata_expr *e)
{
    bool is_all;
    int rc;

    rc = next(p); /* '/' */
    if (rc)
        return rc;
    is_all = tok_is(p, "all");
    e->kind = is_all ? ODATA_EXPR_ALL : ODATA_EXPR_ANY;
    rc = next(p); /* any/all */
    if (!rc)
        rc = next(p); /* '(' (checked by the caller's peek) */
    if (rc)
        return rc;
    if (p->tok.type == T_RPAREN) {
        if (is_all)
            return expected(p, "a range variable and a condition in 'all(...)', as in "
                               "all(x: x eq 'a')");
        return next(p);
    }
    if (p->tok.type != T_IDENT)
        return expected(p, is_all ? "a range variable in 'all('"
                                  : "a range variable or ')' in 'any('");
    e->var = lcw_strndup(p->s + p->tok.off, p->tok.len);
    if (!e->var)
        return lcw_error_set(p->err, LCW_ENOMEM, "$filter: out of memory");
    for (int v = 0; v < p->n_vars; v++) {
        if (strcmp(p->vars[v], e->var) == 0)
            return lcw_error_set(p->err, LCW_EINVAL,
                                 "$filter: range variable '%.20s' at position %zu is already "
                                 "in use; choose another name",
                                 e->var, pos_of(p->tok.off));
    }
    rc = next(p);
    if (rc)
        return rc;
    rc = expect_tok(p, T_COLON, "':' after the range variable");
    if (rc)
        return rc;
    /* Depth bounds n_vars: every lambda body passes through parse_unary. */
    p->vars[p->n_vars++] = e->var;
    rc = parse_or(p, &e->lhs);
    p->n_vars--;
    if (rc)
        return rc;
    return expect_tok(p, T_RPAREN, "')' to close the lambda");
}

/* startswith(path, 'x') [eq true|false]; the current token is the name. */
static int parse_func(struct parser *p, enum odata_func fn, struct odata_expr **out)
{
    struct odata_expr *e = NULL;
    char what[96];
    const char *name = odata__func_name(fn);
    int rc;

    rc = node_new(p, ODATA_EXPR_FUNC, p->tok.off, &e);
    if (rc)
        goto out;
    e->func = fn;
    rc = next(p); /* name */
    if (!rc)
        rc = next(p); /* '(' */
    if (rc)
        goto out;
    if (p->tok.type != T_IDENT) {
        snprintf(what, sizeof(what), "a property name as the first argument of '%s'", name);
        rc = expected(p, what);
        goto out;
    }
    rc = parse_path(p, &e->path);
    if (rc)
        goto out;
    snprintf(what, sizeof(what), "',' after the first argument of '%s'", name);
    rc = expect_tok(p, T_COMMA, what);
    if (rc)
        goto out;
    snprintf(what, sizeof(what), "a quoted string as the second argument of '%s'", name);
    if (p->tok.type != T_STRING) {
        rc = expected(p, what);
        goto out;
    }
    rc = parse_literal(p, &e->lit, what);
    if (rc)
        goto out;
    snprintf(what, sizeof(what), "')' to close '%s('", name);
    rc = expect_tok(p, T_RPAREN, what);
    if (rc)
        goto out;
    /* Accept the explicit form startswith(a,'x') eq true / ne false ... */
    if (tok_is(p, "eq") || tok_is(p, "ne")) {
        bool negate = tok_is(p, "ne");
        rc = next(p);
        if (rc)
            goto out;
        if (!tok_is(p, "true") && !tok_is(p, "false")) {
            snprintf(what, sizeof(what), "true or false after the comparison of '%s(...)'", name);
            rc = expected(p, what);
            goto out;
        }
        if (tok_is(p, "false"))
            negate = !negate;
        rc = next(p);
        if (rc)
            goto out;
        if (negate) {
            struct odata_expr *n = NULL;
            rc = node_new(p, ODATA_EXPR_NOT, e->pos - 1, &n);
            if (rc)
                goto out;
            n->lhs = e;
            e = n;
        }
    }
out:
    if (rc) {
        odata_expr_free(e);
        e = NULL;
    }
    *out = e;
    return rc;
}

static bool is_reserved_binary(const struct parser *p)
{
    static const char *const words[] = {"and", "or", "eq", "ne", "lt",
                                        "le",  "gt", "ge", "in", "has"};

    for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
        if (tok_is(p, words[k]))
            return true;
    }
    return false;
}

static int parse_primary(struct parser *p, struct odata_expr **out)
{
    struct odata_expr *e = NULL;
    int rc = 0;

    *out = NULL;
    if (p->tok.type == T_LPAREN) {
        size_t open = p->tok.off;
        char what[64];
        rc = next(p);
        if (!rc)
            rc = parse_or(p, &e);
        if (rc)
            goto out;
        snprintf(what, sizeof(what), "')' (for the '(' at position %zu)", pos_of(open));
        rc = expect_tok(p, T_RPAREN, what);
        goto out;
    }
    if (p->tok.type != T_IDENT || is_reserved_binary(p) || tok_is(p, "true") ||
        tok_is(p, "false") || tok_is(p, "null")) {
        if (p->tok.type == T_EOF || p->tok.type == T_RPAREN || is_reserved_binary(p))
            rc = expected(p, "a condition");
        else
            rc = expected(p, "a property name (the property goes on the left, as in "
                             "displayName eq 'x')");
        goto out;
    }
    if (peek_char(p) == '(') {
        static const struct {
            const char *name;
            enum odata_func fn;
        } fns[] = {{"startswith", ODATA_FN_STARTSWITH},
                   {"endswith", ODATA_FN_ENDSWITH},
                   {"contains", ODATA_FN_CONTAINS}};
        for (size_t k = 0; k < sizeof(fns) / sizeof(fns[0]); k++) {
            if (tok_is(p, fns[k].name))
                return parse_func(p, fns[k].fn, out);
        }
        if (tok_is(p, "any") || tok_is(p, "all"))
            return lcw_error_set(p->err, LCW_EINVAL,
                                 "$filter: '%.*s' at position %zu must follow a collection "
                                 "property, as in otherMails/any(p: startswith(p, 'a'))",
                                 (int)p->tok.len, p->s + p->tok.off, pos_of(p->tok.off));
        return lcw_error_set(p->err, LCW_EINVAL,
                             "$filter: unknown function '%.*s' at position %zu; supported "
                             "functions are startswith, endswith and contains",
                             (int)(p->tok.len > 32 ? 32 : p->tok.len), p->s + p->tok.off,
                             pos_of(p->tok.off));
    }
    rc = node_new(p, ODATA_EXPR_CMP, p->tok.off, &e);
    if (!rc)
        rc = parse_path(p, &e->path);
    if (rc)
        goto out;
    if (p->tok.type == T_SLASH)
        rc = parse_lambda(p, e);
    else
        rc = parse_operator(p, e);
out:
    if (rc) {
        odata_expr_free(e);
        e = NULL;
    }
    *out = e;
    return rc;
}

static int parse_unary(struct parser *p, struct odata_expr **out)
{
    int rc;

    *out = NULL;
    if (++p->depth > ODATA_FILTER_MAX_DEPTH) {
        rc = lcw_error_set(p->err, LCW_EINVAL,
                           "$filter: nested too deeply at position %zu (at most %d levels of "
                           "parentheses, not and lambdas)",
                           pos_of(p->tok.off), ODATA_FILTER_MAX_DEPTH);
        goto out;
    }
    if (tok_is(p, "not")) {
        struct odata_expr *e = NULL;
        rc = node_new(p, ODATA_EXPR_NOT, p->tok.off, &e);
        if (!rc)
            rc = next(p);
        if (!rc)
            rc = parse_unary(p, &e->lhs);
        if (rc) {
            odata_expr_free(e);
            goto out;
        }
        *out = e;
        goto out;
    }
    rc = parse_primary(p, out);
out:
    p->depth--;
    return rc;
}

/* A left-deep chain of `op` (and/or) over `sub`. */
static int parse_chain(struct parser *p, const char *op, enum odata_kind kind,
                       int (*sub)(struct parser *, struct odata_expr **), struct odata_expr **out)
{
    struct odata_expr *left = NULL;
    int rc;

    rc = sub(p, &left);
    while (!rc && tok_is(p, op)) {
        struct odata_expr *n = NULL;
        rc = node_new(p, kind, p->tok.off, &n);
        if (rc)
            break;
        n->lhs = left;
        left = n;
        rc = next(p);
        if (!rc)
            rc = sub(p, &n->rhs);
    }
    if (rc) {
        odata_expr_free(left);
        left = NULL;
    }
    *out = left;
    return rc;
}

static int parse_and(struct parser *p, struct odata_expr **out)
{
    return parse_chain(p, "and", ODATA_EXPR_AND, parse_unary, out);
}

static int parse_or(struct parser *p, struct odata_expr **out)
{
    return parse_chain(p, "or", ODATA_EXPR_OR, parse_and, out);
}

int odata_filter_parse(const char *s, size_t len, struct odata_expr **out, struct lcw_error *err)
{
    struct parser p = {.s = s, .len = len, .err = err};
    struct odata_expr *e = NULL;
    int rc;

    if (!out)
        return lcw_error_set(err, LCW_EINVAL, "$filter: no output");
    *out = NULL;
    if (!s)
        return lcw_error_set(err, LCW_EINVAL, "$filter: the filter is empty");
    if (len > ODATA_FILTER_MAX_LEN)
        return lcw_error_set(err, LCW_ETOOBIG, "$filter: too long (%zu bytes, at most %d)", len,
                             ODATA_FILTER_MAX_LEN);
    rc = next(&p);
    if (rc)
        return rc;
    if (p.tok.type == T_EOF)
        return lcw_error_set(err, LCW_EINVAL, "$filter: the filter is empty");
    rc = parse_or(&p, &e);
    if (!rc && p.tok.type != T_EOF)
        rc = expected(&p, "'and', 'or' or the end of the filter");
    if (rc) {
        odata_expr_free(e);
        return rc;
    }
    *out = e;
    return 0;
}
