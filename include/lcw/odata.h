/* SPDX-License-Identifier: MIT */
/*
 * odata: OData v4 query options as Microsoft Graph uses them. A `$filter`
 * string is parsed into an AST (struct odata_expr), which can be evaluated
 * against an in-memory JSON object (workflow scope rules, in-memory lists),
 * checked against a static map of filterable properties, or compiled into a
 * parameterised SQL boolean expression that runs unchanged on SQLite and
 * PostgreSQL. The other query options ($orderby, $top, $skip, $skiptoken,
 * $count, $select, $expand, $search) are parsed into struct odata_query, and
 * keyset paging SQL plus opaque skiptokens are built from it.
 *
 * Threads: every function here is pure and re-entrant. An AST is immutable
 * after parsing and may be shared read-only between threads.
 * Memory: everything comes from lcw_malloc and friends; jansson is used only
 * for skiptoken (de)serialisation and for the objects given to odata_eval.
 * See docs/internals/odata.md.
 */
#ifndef LCW_ODATA_H
#define LCW_ODATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lcw/common.h"

/* ------------------------------------------------------------------ limits */

#define ODATA_FILTER_MAX_LEN   4096 /* bytes of $filter text; beyond: LCW_ETOOBIG */
#define ODATA_FILTER_MAX_DEPTH 32   /* nesting of '(', not and lambdas; beyond: LCW_EINVAL */
#define ODATA_FILTER_MAX_IN    100  /* values in one 'in' list; beyond: LCW_EINVAL */
#define ODATA_FILTER_MAX_NODES 512  /* AST nodes (struct odata_expr); beyond: LCW_EINVAL */
#define ODATA_ORDERBY_MAX      8    /* properties in $orderby */
#define ODATA_LIST_MAX         64   /* items in $select or $expand */
#define ODATA_TOP_MAX          999  /* $top is 1..ODATA_TOP_MAX */
#define ODATA_SKIPTOKEN_MAX    4096 /* characters of a $skiptoken */

/* --------------------------------------------------------------------- AST */

enum odata_kind {
    ODATA_EXPR_AND,  /* lhs and rhs */
    ODATA_EXPR_OR,   /* lhs or rhs */
    ODATA_EXPR_NOT,  /* not lhs */
    ODATA_EXPR_CMP,  /* path <cmp> lit */
    ODATA_EXPR_IN,   /* path in (items...) */
    ODATA_EXPR_HAS,  /* path has lit (a quoted flags value) */
    ODATA_EXPR_FUNC, /* func(path, lit) */
    ODATA_EXPR_ANY,  /* path/any(var: lhs), or path/any() with var and lhs NULL */
    ODATA_EXPR_ALL,  /* path/all(var: lhs) */
};

enum odata_cmp {
    ODATA_CMP_EQ,
    ODATA_CMP_NE,
    ODATA_CMP_LT,
    ODATA_CMP_LE,
    ODATA_CMP_GT,
    ODATA_CMP_GE
};

enum odata_func { ODATA_FN_STARTSWITH, ODATA_FN_ENDSWITH, ODATA_FN_CONTAINS };

enum odata_lit_type {
    ODATA_LIT_NULL,
    ODATA_LIT_STRING,   /* 'text' with '' unescaped; also enum and flags values */
    ODATA_LIT_INT,      /* i */
    ODATA_LIT_BOOL,     /* i is 0 or 1 */
    ODATA_LIT_GUID,     /* unquoted 8-4-4-4-12; s is lower-case */
    ODATA_LIT_DATETIME, /* unquoted RFC 3339 (or a date alone); i is ms since the epoch */
};

struct odata_literal {
    enum odata_lit_type type;
    char *s;    /* owned, NUL-terminated: STRING and GUID only, else NULL */
    size_t len; /* bytes in s */
    int64_t i;  /* INT value, BOOL 0/1, DATETIME ms since the epoch (UTC) */
};

/*
 * A property path. Rooted paths name a property of the evaluated object
 * ("employeeOrgData/costCenter"). Inside a lambda, a path whose first segment
 * is a range variable refers to the current collection element: `lambda` is
 * the nesting level of that lambda (0 = outermost) and `rest` is what follows
 * the variable ("skuId" for "l/skuId", "" for "p" alone).
 */
struct odata_path {
    char *text;       /* owned: the path as written, "l/skuId" */
    int lambda;       /* -1: rooted at the object; else the lambda level */
    const char *rest; /* borrowed from text: the part after the variable and
                       * its '/' ("" for the variable alone); == text if rooted */
};

/*
 * One AST node. Which fields are used depends on `kind` (see enum
 * odata_kind); unused pointers are NULL. Read-only for callers; built by
 * odata_filter_parse and freed with odata_expr_free.
 */
struct odata_expr {
    enum odata_kind kind;
    size_t pos;                  /* 1-based byte position in the $filter text */
    struct odata_expr *lhs;      /* owned: AND/OR/NOT operand; ANY/ALL body */
    struct odata_expr *rhs;      /* owned: AND/OR right operand */
    struct odata_path path;      /* CMP/IN/HAS/FUNC operand; ANY/ALL collection */
    enum odata_cmp cmp;          /* CMP */
    enum odata_func func;        /* FUNC */
    struct odata_literal lit;    /* CMP/HAS/FUNC value */
    struct odata_literal *items; /* owned: IN values */
    size_t n_items;
    char *var; /* owned: ANY/ALL range variable; NULL for the bare any() */
};

/*
 * Parse the `$filter` text `s` (`len` bytes, not necessarily NUL-terminated;
 * already URL-decoded) into a new AST in *out (caller frees with
 * odata_expr_free). Grammar and literals: docs/internals/odata.md.
 * Errors: LCW_EINVAL for any syntax error, with a message naming the 1-based
 * position and what was expected ("$filter: expected a value after 'eq' at
 * position 15, found the end of the filter"), and for the depth, node and
 * 'in' limits; LCW_ETOOBIG when len > ODATA_FILTER_MAX_LEN; LCW_ENOMEM.
 * *out is NULL on failure.
 */
int odata_filter_parse(const char *s, size_t len, struct odata_expr **out, struct lcw_error *err);

/* Free an AST; NULL-safe. */
void odata_expr_free(struct odata_expr *e);

/*
 * Append a canonical rendering of `e` to `out`, which parses back to the same
 * AST: parentheses only where the tree needs them, function and keyword names
 * lower-case, GUIDs lower-case, datetimes in UTC. It never nests deeper than
 * the text `e` was parsed from. For logs, tests and error messages.
 * LCW_ENOMEM/LCW_ETOOBIG from the buffer; LCW_EINVAL if e or out is NULL.
 */
int odata_expr_dump(const struct odata_expr *e, struct buf *out);

/* ---------------------------------------------------------------- evaluation */

enum odata_eval_flags {
    /* Compare strings ASCII case-insensitively (Graph directory $filter).
     * Without it (workflow scope rules) strings compare exactly. GUIDs always
     * compare case-insensitively. */
    ODATA_EVAL_CASE_INSENSITIVE = 1u << 0,
};

/*
 * Evaluate `e` against the JSON object `obj` (borrowed) and store the result
 * in *out. Missing properties are null; null eq null is true, ordering
 * comparisons with null are false; a value of the wrong JSON type compares as
 * not equal (eq false, ne true, ordering false). Details in
 * docs/internals/odata.md. LCW_EINVAL if e or out is NULL.
 */
int odata_eval(const struct odata_expr *e, const json_t *obj, unsigned flags, bool *out,
               struct lcw_error *err);

/* ------------------------------------------------------- property map, check */

/* What a property allows; combine in struct odata_property.ops. */
enum odata_ops {
    ODATA_OP_EQ = 1u << 0,         /* eq, ne (and comparisons with null) */
    ODATA_OP_ORDER = 1u << 1,      /* lt, le, gt, ge */
    ODATA_OP_IN = 1u << 2,         /* in (...) */
    ODATA_OP_HAS = 1u << 3,        /* has 'flag' */
    ODATA_OP_STARTSWITH = 1u << 4, /* startswith() */
    ODATA_OP_ENDSWITH = 1u << 5,   /* endswith() */
    ODATA_OP_CONTAINS = 1u << 6,   /* contains() */
    ODATA_OP_ANY = 1u << 7,        /* path/any(...) and path/any() */
    ODATA_OP_ALL = 1u << 8,        /* path/all(...) */
};

enum odata_type {
    ODATA_T_STRING,
    ODATA_T_INT,
    ODATA_T_BOOL,     /* stored as integer 0/1 */
    ODATA_T_DATETIME, /* stored as int64 ms since the epoch */
    ODATA_T_ENUM,     /* stored as text */
    ODATA_T_FLAGS,    /* stored as text "a,b" (lower-case tokens, no spaces) */
    ODATA_T_GUID,     /* stored as lower-case text, compared case-insensitively */
};

/*
 * One filterable/sortable property. For a collection property (ODATA_OP_ANY
 * or ODATA_OP_ALL), `type` and the other op bits describe its elements: `p`
 * in `otherMails/any(p: startswith(p,'a'))` is checked against "otherMails";
 * `l/skuId` in `assignedLicenses/any(l: l/skuId eq ...)` is checked against a
 * property named "assignedLicenses/skuId".
 */
struct odata_property {
    const char *name;   /* Graph property path, "displayName", "subject/id"; matched
                         * case-insensitively. A trailing '*' ("extension_*") matches
                         * every name with that prefix and no further '/'. */
    const char *column; /* SQL expression, "display_name"; NULL = not in SQL */
    enum odata_type type;
    unsigned ops; /* enum odata_ops bits */
    bool sortable;
};

struct odata_entity {
    const char *name;      /* "workflow", for messages */
    const char *id_column; /* unique, non-null text column; the paging tiebreaker */
    const struct odata_property *props;
    size_t n_props;
};

/*
 * Verify that every property `e` uses is in `ent` and allows the operator
 * used on it, and that each literal fits the property's type (a Boolean for
 * ODATA_T_BOOL, a datetime or RFC 3339 string for ODATA_T_DATETIME, ...).
 * LCW_EINVAL with err->target set to the property, e.g.
 * "$filter: property 'foo' is not filterable on workflow" or
 * "$filter: operator 'gt' is not supported on 'displayName'".
 */
int odata_expr_check(const struct odata_expr *e, const struct odata_entity *ent,
                     struct lcw_error *err);

/* ------------------------------------------------------------------- SQL */

struct odata_param {
    enum { ODATA_P_NULL, ODATA_P_INT, ODATA_P_TEXT } kind;
    int64_t i;
    char *s; /* owned, NUL-terminated (TEXT only) */
};

struct odata_sql {
    struct buf where;           /* SQL boolean expression; "1=1" when no filter */
    struct odata_param *params; /* owned; bound to the `?` in `where`, in order */
    size_t n_params;
};

/*
 * Compile `e` (NULL = no filter) into a boolean SQL expression over the
 * columns of `ent`, with `?` placeholders and their values in out->params.
 * Runs odata_expr_check first. Every literal becomes a parameter; column text
 * comes only from `ent`. Portable to SQLite 3.40 and PostgreSQL 15; the SQL
 * is two-valued (a NULL column never makes `not (...)` drop a row that
 * odata_eval would keep). *out is initialised here and must be released with
 * odata_sql_release, also after a failure. LCW_EINVAL for a property whose
 * column is NULL or an operator SQL cannot express, LCW_ENOMEM, LCW_ETOOBIG.
 */
int odata_filter_to_sql(const struct odata_expr *e, const struct odata_entity *ent,
                        struct odata_sql *out, struct lcw_error *err);

/* Free the contents of `s` and leave it empty; safe on a zeroed struct. */
void odata_sql_release(struct odata_sql *s);

/* ----------------------------------------------------------- query options */

struct odata_kv {
    const char *key;   /* URL-decoded, borrowed */
    const char *value; /* URL-decoded, borrowed; NULL is treated as "" */
};

enum odata_option {
    ODATA_OPT_FILTER = 1u << 0,
    ODATA_OPT_ORDERBY = 1u << 1,
    ODATA_OPT_TOP = 1u << 2,
    ODATA_OPT_SKIPTOKEN = 1u << 3,
    ODATA_OPT_COUNT = 1u << 4,
    ODATA_OPT_SELECT = 1u << 5,
    ODATA_OPT_EXPAND = 1u << 6,
    ODATA_OPT_SEARCH = 1u << 7,
    ODATA_OPT_SKIP = 1u << 8,
};

struct odata_orderby {
    char *property; /* owned, as written: "displayName", "subject/id" */
    bool desc;
};

struct odata_query {
    struct odata_expr *filter;     /* owned; NULL = none */
    struct odata_orderby *orderby; /* owned array */
    size_t n_orderby;
    long top;        /* 1..ODATA_TOP_MAX; -1 = not given */
    long skip;       /* >= 0; 0 when not given */
    char *skiptoken; /* owned; NULL = none */
    bool count;      /* $count=true */
    char **select;   /* owned array of owned names */
    size_t n_select;
    char **expand; /* owned array of owned names (nested options dropped) */
    size_t n_expand;
    char *search;   /* owned, surrounding double quotes removed; NULL = none */
    unsigned given; /* enum odata_option bits of the options present */
};

/* Set up an empty query (top = -1). */
void odata_query_init(struct odata_query *q);

/*
 * Parse the request's query parameters into *out (initialised here). Keys are
 * matched case-insensitively and only with the '$' prefix; keys without it
 * are ignored (they belong to the caller). LCW_EINVAL with a message for an
 * option not in `allowed` ("Query option '$expand' is not supported on this
 * resource"), an unknown $-option, a repeated option, or a bad value; errors
 * from odata_filter_parse pass through. On failure *out is released and
 * empty.
 */
int odata_query_parse(const struct odata_kv *kv, size_t n, unsigned allowed,
                      struct odata_query *out, struct lcw_error *err);

/* Free the contents of `q` and re-initialise it; NULL-safe. */
void odata_query_release(struct odata_query *q);

/* ------------------------------------------------------------------ paging */

/*
 * Build keyset paging for `q` over `ent`.
 * - Appends " ORDER BY ..." to `order_by_out`: the $orderby properties (or
 *   none), each as "(col IS NULL), col [DESC]" so that NULLs sort last on both
 *   SQLite and PostgreSQL, then ent->id_column as the final tiebreaker
 *   (unless $orderby already ends on it).
 * - If q->skiptoken is set, decodes it and ANDs the "rows after this key"
 *   condition into where_and_params->where, appending its parameters.
 * - *sort_cols_out receives a new array (caller frees with lcw_free; the
 *   strings are borrowed from `ent`) of the SQL columns, in order, whose values
 *   in the last row of a page are passed to odata_skiptoken_encode; the caller
 *   SELECTs them after its own columns.
 * LCW_EINVAL for a property that is unknown or not sortable ("$orderby:
 * property 'x' is not sortable on workflow") or a token that does not fit this
 * query ("The $skiptoken is not valid for this query"); LCW_ENOMEM,
 * LCW_ETOOBIG. On failure the outputs are unchanged except `order_by_out`,
 * which may hold a partial clause.
 */
int odata_sql_order_and_page(const struct odata_query *q, const struct odata_entity *ent,
                             struct odata_sql *where_and_params, struct buf *order_by_out,
                             const char ***sort_cols_out, size_t *n_sort_cols_out,
                             struct lcw_error *err);

/*
 * Encode the last row's sort key values (`n` of them, one per column from
 * odata_sql_order_and_page, in the same order; each the column's text form,
 * integers in decimal, or NULL for SQL NULL) into a new URL-safe skiptoken in
 * *out (caller frees with lcw_free). The token is base64url of a JSON array
 * and carries a fingerprint of q's $orderby. LCW_EINVAL if n == 0 or the last
 * value (the id) is NULL; LCW_ENOMEM.
 */
int odata_skiptoken_encode(const struct odata_query *q, const char *const *values, size_t n,
                           char **out);

#endif /* LCW_ODATA_H */
