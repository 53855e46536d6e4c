/* SPDX-License-Identifier: MIT */
/*
 * Uncapped export of history and audit lists: any of those list routes with
 * `Accept: text/csv` (RFC 4180, header row) or `Accept:
 * application/x-ndjson` streams every matching row, ignoring server paging.
 * The producer reads one keyset page per chunk in its own short read
 * transaction, so memory stays constant and writers are never blocked by a
 * long download. Subject and task are flattened to id and displayName.
 *
 * Two ways to write a row. User results, whose export columns are all
 * table columns, are written straight from those columns (the column path:
 * no document is read or parsed, which was most of an export's time);
 * everything else is written from the parsed documents (the document path).
 * Both read the same list query, so the rows and their order are the same,
 * and both write the same bytes for the same row. Runs on the HTTP thread
 * that sends the response; the state belongs to that one response.
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

#define EXPORT_PAGE 500 /* rows per chunk on the document path (each held parsed) */
/* Rows per chunk on the column path: only the chunk's text is held (about
 * 1 MB of CSV), and each read transaction still lasts milliseconds. */
#define EXPORT_COLUMN_PAGE 5000
#define EXPORT_NAMES_MAX   100000 /* display names cached per export */

enum export_format { EXPORT_NONE, EXPORT_CSV, EXPORT_NDJSON };

enum cell_kind {
    CELL_VALUE,        /* text or integer, written as stored */
    CELL_TIME,         /* ms since the epoch, written as the engine writes times */
    CELL_SUBJECT_NAME, /* users.display_name of the user whose id is this column */
};

/* An export column that the column path reads from a table column. */
struct column_cell {
    const char *name; /* export column, as in the CSV header and the NDJSON keys */
    const char *sql;  /* the table column */
    enum cell_kind kind;
};

/*
 * Every default user result column, and what it is in user_results. Each
 * column holds exactly what the document would give: pk is the document's
 * id; subject_id is its subject id lower-cased, and subjects are users named
 * by their exact id, which lcw generates lower-case (uuid_v4); the engine
 * writes every time with timefmt_format_ms (milliseconds always), which
 * CELL_TIME repeats (a document written before that was so, with a time on
 * a whole second, reads ".000Z" here where it held "Z": the same instant in
 * the form lcw records now); statuses, the version and the counters are
 * copied as they are. The subject's display name is not in the document: the document
 * path looks it up the same way (subject_name below).
 */
static const struct column_cell user_result_cells[] = {
        {"id", "pk", CELL_VALUE},
        {"subject.id", "subject_id", CELL_VALUE},
        {"subject.displayName", "subject_id", CELL_SUBJECT_NAME},
        {"processingStatus", "processing_status", CELL_VALUE},
        {"workflowExecutionType", "execution_type", CELL_VALUE},
        {"workflowVersion", "workflow_version", CELL_VALUE},
        {"scheduledDateTime", "scheduled_at_ms", CELL_TIME},
        {"startedDateTime", "started_at_ms", CELL_TIME},
        {"completedDateTime", "completed_at_ms", CELL_TIME},
        {"totalTasksCount", "total_tasks", CELL_VALUE},
        {"failedTasksCount", "failed_tasks", CELL_VALUE},
        {"totalUnprocessedTasksCount", "unprocessed_tasks", CELL_VALUE},
};

struct export_state {
    struct store *store; /* borrowed: outlives every request */
    const struct store_entity *ent;
    enum export_format format;
    char *parent;  /* owned */
    char *where;   /* owned, static SQL or NULL */
    char *args[2]; /* owned or NULL: values for the `?` in `where` */
    size_t n_args;
    char *filter, *orderby; /* owned copies of the options, or NULL */
    char *token;            /* owned: next page's skiptoken */
    json_t *columns;        /* owned: column names (after flattening) */
    json_t *names;          /* owned: user id -> display name (string or null) */
    /* The column path, when every column is a table column; else all NULL. */
    const struct column_cell **cells; /* owned array, one borrowed cell per column */
    const char **cell_sql;            /* owned array of the cells' table columns */
    char **ndjson_keys;               /* owned: "{\"id\":", ",\"subject.id\":", ... */
    size_t n_cells;
    struct store_tx *tx; /* borrowed while a column chunk is read: name lookups */
    struct buf *out;     /* borrowed while a column chunk is read */
    bool is_header_done;
    bool is_done;
};

static enum export_format wanted_format(const struct api_req *req)
{
    if (!req->accept)
        return EXPORT_NONE;
    if (strcasestr(req->accept, "text/csv"))
        return EXPORT_CSV;
    if (strcasestr(req->accept, "application/x-ndjson"))
        return EXPORT_NDJSON;
    return EXPORT_NONE;
}

bool api__wants_export(const struct api_req *req)
{
    return wanted_format(req) != EXPORT_NONE;
}

static const char *const run_cols[] = {"id",
                                       "workflowExecutionType",
                                       "processingStatus",
                                       "scheduledDateTime",
                                       "startedDateTime",
                                       "completedDateTime",
                                       "totalUsersCount",
                                       "successfulUsersCount",
                                       "failedUsersCount",
                                       "totalTasksCount",
                                       "failedTasksCount",
                                       "totalUnprocessedTasksCount",
                                       NULL};
static const char *const user_cols[] = {"id",
                                        "subject.id",
                                        "subject.displayName",
                                        "processingStatus",
                                        "workflowExecutionType",
                                        "workflowVersion",
                                        "scheduledDateTime",
                                        "startedDateTime",
                                        "completedDateTime",
                                        "totalTasksCount",
                                        "failedTasksCount",
                                        "totalUnprocessedTasksCount",
                                        NULL};
static const char *const task_cols[] = {"id",
                                        "subject.id",
                                        "subject.displayName",
                                        "task.id",
                                        "task.displayName",
                                        "processingStatus",
                                        "createdDateTime",
                                        "startedDateTime",
                                        "completedDateTime",
                                        "failureReason",
                                        "processingInfo",
                                        NULL};
static const char *const audit_cols[] = {"id",
                                         "activityDateTime",
                                         "category",
                                         "activityDisplayName",
                                         "result",
                                         "initiatedBy.user.displayName",
                                         "loggedByService",
                                         NULL};

static void state_free(void *p)
{
    struct export_state *s = p;

    if (!s)
        return;
    lcw_free(s->parent);
    lcw_free(s->where);
    lcw_free(s->args[0]);
    lcw_free(s->args[1]);
    lcw_free(s->filter);
    lcw_free(s->orderby);
    lcw_free(s->token);
    json_decref(s->columns);
    json_decref(s->names);
    lcw_free(s->cells);
    lcw_free(s->cell_sql);
    for (size_t i = 0; s->ndjson_keys && i < s->n_cells; i++)
        lcw_free(s->ndjson_keys[i]);
    lcw_free(s->ndjson_keys);
    lcw_free(s);
}

/* A property by dotted path ("subject.displayName"). */
static const json_t *dotted(const json_t *doc, const char *path)
{
    char key[128];
    const char *p = path;

    while (doc && *p) {
        size_t n = strcspn(p, ".");

        if (n >= sizeof(key))
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        doc = json_object_get(doc, key);
        p += n;
        if (*p == '.')
            p++;
    }
    return doc;
}

static int csv_field(struct buf *out, const json_t *v)
{
    char num[64];
    int rc = 0;

    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v))
        return buf_put_csv(out, json_string_value(v));
    if (json_is_integer(v)) {
        (void)snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        return buf_put_csv(out, num);
    }
    if (json_is_boolean(v))
        return buf_put_csv(out, json_is_true(v) ? "true" : "false");
    {
        /* Objects and arrays (not among the export columns: subject and task
         * are flattened) would be written as their JSON text. */
        char *text = jsonx_dump(v);

        if (!text)
            return LCW_ENOMEM;
        rc = buf_put_csv(out, text);
        lcw_free(text);
        return rc;
    }
}

static int row_text(void *ctx, const struct store_val *c, size_t n)
{
    json_t **out = ctx;

    /* NULL both for SQL NULL and for text that is not UTF-8: the name is then null. */
    if (n >= 1 && c[0].kind == STORE_TEXT)
        *out = json_string(c[0].s);
    return 0;
}

/*
 * The display name of user `id` as a new reference: a string, or null for a
 * user that is gone (or has none). Read from the users.display_name column,
 * not the document (parsing each user's JSON was half an export's time), and
 * cached for the export; a history names few distinct users.
 */
static int subject_name(struct export_state *s, struct store_tx *tx, const char *id, json_t **out)
{
    struct store_val p = STORE_V_TEXT(id);
    struct lcw_error err = {0};
    json_t *name = json_object_get(s->names, id);
    int rc;

    if (name) {
        *out = json_incref(name);
        return 0;
    }
    rc = store_exec(tx, "SELECT display_name FROM users WHERE pk = ?", &p, 1, row_text, &name, NULL,
                    &err);
    if (rc) {
        json_decref(name);
        return rc;
    }
    if (!name)
        name = json_null();
    if (json_object_size(s->names) < EXPORT_NAMES_MAX && json_object_set(s->names, id, name)) {
        json_decref(name);
        return LCW_ENOMEM;
    }
    *out = name;
    return 0;
}

/* Add the subject's display name to a document (document path). */
static int add_subject_name(struct export_state *s, struct store_tx *tx, json_t *doc)
{
    json_t *subject = json_object_get(doc, "subject");
    const char *id = jsonx_str(subject, "id");
    json_t *name = NULL;
    int rc;

    if (!id || json_object_get(subject, "displayName"))
        return 0;
    rc = subject_name(s, tx, id, &name);
    if (!rc && json_object_set_new(subject, "displayName", name))
        rc = LCW_ENOMEM;
    return rc;
}

static int write_row(struct export_state *s, struct buf *out, json_t *doc)
{
    size_t i;
    json_t *col;
    int rc = 0;

    if (s->format == EXPORT_NDJSON) {
        json_t *row = json_object();

        json_array_foreach (s->columns, i, col) {
            const json_t *v = dotted(doc, json_string_value(col));

            json_object_set(row, json_string_value(col), v ? JSONX_MUT(v) : json_null());
        }
        {
            char *text = jsonx_dump(row);

            rc = text ? buf_puts(out, text) : LCW_ENOMEM;
            lcw_free(text);
        }
        json_decref(row);
        return rc ? rc : buf_putc(out, '\n');
    }
    json_array_foreach (s->columns, i, col) {
        if (i)
            rc = buf_putc(out, ',');
        if (!rc)
            rc = csv_field(out, dotted(doc, json_string_value(col)));
        if (rc)
            return rc;
    }
    return buf_puts(out, "\r\n");
}

/* One column-path cell: empty (CSV) or null (NDJSON) for SQL NULL. */
static int write_cell(const struct export_state *s, struct buf *out, const struct column_cell *cell,
                      const struct store_val *v)
{
    char text[TIMEFMT_LEN];
    const char *str = v->s;

    if (v->kind == STORE_NULL)
        return s->format == EXPORT_CSV ? 0 : buf_append(out, "null", 4);
    if (v->kind == STORE_INT && cell->kind != CELL_TIME)
        return buf_put_i64(out, v->i); /* a number: never quoted */
    if (v->kind == STORE_INT)
        str = timefmt_format_ms(v->i, text);
    return s->format == EXPORT_CSV ? buf_put_csv(out, str) : buf_put_json_string(out, str);
}

/* Write one row of the column path (a store_row_fn for store_entity_scan). */
static int column_row(void *ctx, const struct store_val *c, size_t n)
{
    struct export_state *s = ctx;
    struct buf *out = s->out;
    int rc = 0;

    LCW_ASSERT(n == s->n_cells);
    for (size_t i = 0; !rc && i < n; i++) {
        const struct column_cell *cell = s->cells[i];
        struct store_val v = c[i];
        json_t *name = NULL;

        if (s->format == EXPORT_CSV)
            rc = i ? buf_putc(out, ',') : 0;
        else
            rc = buf_puts(out, s->ndjson_keys[i]);
        if (!rc && cell->kind == CELL_SUBJECT_NAME && v.kind == STORE_TEXT) {
            rc = subject_name(s, s->tx, v.s, &name);
            v = STORE_V_TEXT(json_string_value(name)); /* SQL NULL when the name is null */
        }
        if (!rc)
            rc = write_cell(s, out, cell, &v);
        json_decref(name);
    }
    if (!rc)
        rc = s->format == EXPORT_CSV ? buf_append(out, "\r\n", 2) : buf_append(out, "}\n", 2);
    return rc;
}

/* This chunk's query: the request's $filter and $orderby after the last chunk's key. */
static int chunk_query(const struct export_state *s, const char *top, struct odata_query *q,
                       struct lcw_error *err)
{
    struct odata_kv kv[4];
    size_t n = 0;

    if (top)
        kv[n++] = (struct odata_kv){"$top", top};
    if (s->filter)
        kv[n++] = (struct odata_kv){"$filter", s->filter};
    if (s->orderby)
        kv[n++] = (struct odata_kv){"$orderby", s->orderby};
    if (s->token)
        kv[n++] = (struct odata_kv){"$skiptoken", s->token};
    return odata_query_parse(kv, n, ~0u, q, err);
}

/* Read and write the next EXPORT_COLUMN_PAGE rows from their columns. */
static int column_chunk(struct export_state *s, struct buf *out, char **next_token)
{
    struct odata_query q;
    struct store_tx tx;
    struct lcw_error err = {0};
    struct store_val argv[2] = {STORE_V_TEXT(s->args[0]), STORE_V_TEXT(s->args[1])};
    int rc;

    rc = chunk_query(s, NULL, &q, &err);
    if (rc)
        return rc;
    rc = store_tx_begin(s->store, &tx, STORE_TX_READ, &err);
    if (!rc) {
        s->tx = &tx;
        s->out = out;
        rc = store_entity_scan(&tx, s->ent, &q, s->parent, s->where, s->n_args ? argv : NULL,
                               s->n_args, s->cell_sql, s->n_cells, EXPORT_COLUMN_PAGE, column_row,
                               s, next_token, &err);
        s->tx = NULL;
        s->out = NULL;
        store_tx_rollback(&tx);
    }
    odata_query_release(&q);
    return rc;
}

/* Read and write the next EXPORT_PAGE rows from their documents. */
static int doc_chunk(struct export_state *s, struct buf *out, char **next_token)
{
    struct odata_query q;
    struct store_page page = {0};
    struct store_tx tx;
    struct lcw_error err = {0};
    struct store_val argv[2] = {STORE_V_TEXT(s->args[0]), STORE_V_TEXT(s->args[1])};
    char top[16];
    size_t i;
    json_t *doc;
    int rc;

    (void)snprintf(top, sizeof(top), "%d", EXPORT_PAGE);
    rc = chunk_query(s, top, &q, &err);
    if (rc)
        return rc;
    rc = store_tx_begin(s->store, &tx, STORE_TX_READ, &err);
    if (!rc) {
        rc = store_entity_list(&tx, s->ent, &q, s->parent, s->where, s->n_args ? argv : NULL,
                               s->n_args, EXPORT_PAGE, &page, &err);
        json_array_foreach (page.items, i, doc) {
            if (rc)
                break;
            if (s->ent == &store_ent_run)
                rc = engine_run_add_counters(&tx, doc, &err);
            if (!rc && (s->ent == &store_ent_user_result || s->ent == &store_ent_task_result))
                rc = add_subject_name(s, &tx, doc);
            if (!rc)
                rc = write_row(s, out, doc);
        }
        store_tx_rollback(&tx);
    }
    odata_query_release(&q);
    *next_token = page.next_token;
    page.next_token = NULL;
    store_page_release(&page);
    return rc;
}

static int next_chunk(void *p, struct buf *out, bool *done)
{
    struct export_state *s = p;
    char *token = NULL;
    size_t i;
    json_t *col;
    int rc;

    if (!s->is_header_done) {
        s->is_header_done = true;
        if (s->format == EXPORT_CSV) {
            json_array_foreach (s->columns, i, col) {
                if (i && buf_putc(out, ','))
                    return LCW_ENOMEM;
                if (buf_puts(out, json_string_value(col)))
                    return LCW_ENOMEM;
            }
            if (buf_puts(out, "\r\n"))
                return LCW_ENOMEM;
            return 0;
        }
    }
    rc = s->cells ? column_chunk(s, out, &token) : doc_chunk(s, out, &token);
    lcw_free(s->token);
    s->token = token;
    if (!rc && !s->token) {
        s->is_done = true;
        *done = true;
    }
    return rc;
}

static const char *const report_cols[] = {"id",
                                          "runId",
                                          "task.id",
                                          "task.displayName",
                                          "processingStatus",
                                          "totalUsersCount",
                                          "successfulUsersCount",
                                          "failedUsersCount",
                                          "unprocessedUsersCount",
                                          "startedDateTime",
                                          "completedDateTime",
                                          NULL};

/* The export's columns: those of $select (subject and task flattened to
 * their id and displayName), or `defaults`. */
static int select_columns(const struct odata_query *q, const char *const *defaults, json_t *columns)
{
    int rc = 0;

    if (!q || !q->n_select) {
        for (size_t i = 0; !rc && defaults[i]; i++)
            rc = json_array_append_new(columns, json_string(defaults[i]));
        return rc ? LCW_ENOMEM : 0;
    }
    for (size_t i = 0; !rc && i < q->n_select; i++) {
        const char *c = q->select[i];

        if (lcw_str_eq_ci(c, "subject") || lcw_str_eq_ci(c, "task")) {
            const char *base = lcw_str_eq_ci(c, "task") ? "task" : "subject";
            char a[64], b[64];

            (void)snprintf(a, sizeof(a), "%s.id", base);
            (void)snprintf(b, sizeof(b), "%s.displayName", base);
            rc = json_array_append_new(columns, json_string(a)) ||
                 json_array_append_new(columns, json_string(b));
        } else {
            rc = json_array_append_new(columns, json_string(c));
        }
    }
    return rc ? LCW_ENOMEM : 0;
}

/* An export of rows already in memory (taskReports): `items` is the whole list. */
struct array_export {
    struct export_state base; /* format and columns */
    json_t *items;            /* owned */
    size_t next;
};

static void array_free(void *p)
{
    struct array_export *a = p;

    if (!a)
        return;
    json_decref(a->items);
    json_decref(a->base.columns);
    lcw_free(a);
}

static int array_chunk(void *p, struct buf *out, bool *done)
{
    struct array_export *a = p;
    size_t i;
    json_t *col;
    int rc = 0;

    if (!a->base.is_header_done) {
        a->base.is_header_done = true;
        if (a->base.format == EXPORT_CSV) {
            json_array_foreach (a->base.columns, i, col) {
                if ((i && buf_putc(out, ',')) || buf_puts(out, json_string_value(col)))
                    return LCW_ENOMEM;
            }
            return buf_puts(out, "\r\n");
        }
    }
    for (size_t n = 0; !rc && n < EXPORT_PAGE && a->next < json_array_size(a->items); n++)
        rc = write_row(&a->base, out, json_array_get(a->items, a->next++));
    if (a->next >= json_array_size(a->items))
        *done = true;
    return rc;
}

void api__export_array(struct api_req *req, struct api_resp *resp, json_t *items,
                       const struct odata_query *q)
{
    struct array_export *a = lcw_calloc(1, sizeof(*a));

    if (!a) {
        json_decref(items);
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        return;
    }
    a->items = items;
    a->base.format = wanted_format(req);
    a->base.columns = json_array();
    if (!a->base.columns || select_columns(q, report_cols, a->base.columns)) {
        array_free(a);
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        return;
    }
    resp->status = 200;
    resp->stream.next = array_chunk;
    resp->stream.free = array_free;
    resp->stream.state = a;
    resp->stream.content_type =
            a->base.format == EXPORT_CSV ? "text/csv; charset=utf-8" : "application/x-ndjson";
}

/* Copy of a query option's raw value, or NULL. */
static char *option_copy(const struct api_req *req, const char *key)
{
    for (size_t i = 0; i < req->n_query; i++) {
        if (lcw_str_eq_ci(req->query[i].key, key))
            return lcw_strdup(req->query[i].value ? req->query[i].value : "");
    }
    return NULL;
}

/*
 * Take the column path when every export column is a column of
 * user_result_cells, each named once (as the document path matches them:
 * exactly, case included). Otherwise the documents are read: task results
 * and runs, whose default columns include properties kept only in the
 * document (task.displayName, failureReason, processingInfo, the run
 * counters); a $select of any other property; a column named twice (the
 * document path's NDJSON object keeps one key for it). $filter and $orderby
 * do not matter: both paths run the same list query.
 */
static int plan_columns(struct export_state *s)
{
    size_t n = json_array_size(s->columns), i;
    const struct column_cell **cells = NULL;
    json_t *col;

    if (s->ent != &store_ent_user_result || n == 0)
        return 0;
    cells = lcw_calloc(n, sizeof(*cells));
    if (!cells)
        return LCW_ENOMEM;
    json_array_foreach (s->columns, i, col) {
        const char *name = json_string_value(col);

        for (size_t k = 0; k < sizeof(user_result_cells) / sizeof(user_result_cells[0]); k++) {
            if (strcmp(name, user_result_cells[k].name) == 0)
                cells[i] = &user_result_cells[k];
        }
        for (size_t k = 0; cells[i] && k < i; k++) {
            if (cells[k] == cells[i])
                cells[i] = NULL;
        }
        if (!cells[i]) {
            lcw_free(cells);
            return 0;
        }
    }
    s->cells = cells;
    s->n_cells = n;
    s->cell_sql = lcw_calloc(n, sizeof(*s->cell_sql));
    s->ndjson_keys = lcw_calloc(n, sizeof(*s->ndjson_keys));
    if (!s->cell_sql || !s->ndjson_keys)
        return LCW_ENOMEM;
    for (i = 0; i < n; i++) {
        struct buf key;
        int rc;

        s->cell_sql[i] = cells[i]->sql;
        buf_init(&key, 256);
        rc = buf_putc(&key, i ? ',' : '{');
        if (!rc)
            rc = buf_put_json_string(&key, cells[i]->name);
        if (!rc)
            rc = buf_putc(&key, ':');
        if (rc) {
            buf_release(&key);
            return rc;
        }
        s->ndjson_keys[i] = buf_detach(&key);
    }
    return 0;
}

void api__export(struct api_req *req, struct api_resp *resp, const struct store_entity *e,
                 const struct odata_query *q, const char *parent, const char *where,
                 const char *const *args, size_t n_args)
{
    struct export_state *s = lcw_calloc(1, sizeof(*s));
    const char *const *defaults = e == &store_ent_run           ? run_cols
                                  : e == &store_ent_user_result ? user_cols
                                  : e == &store_ent_task_result ? task_cols
                                                                : audit_cols;

    if (!s)
        goto oom;
    s->store = req->ctx->store;
    s->ent = e;
    s->format = wanted_format(req);
    s->parent = parent ? lcw_strdup(parent) : NULL;
    s->where = where ? lcw_strdup(where) : NULL;
    for (size_t i = 0; i < n_args && i < 2; i++)
        s->args[i] = lcw_strdup(args[i]);
    s->n_args = n_args < 2 ? n_args : 2;
    s->filter = option_copy(req, "$filter");
    s->orderby = option_copy(req, "$orderby");
    if (!s->orderby && (e == &store_ent_run || e == &store_ent_audit))
        /* The same order as the JSON list: newest first. */
        s->orderby = lcw_strdup(e == &store_ent_run ? "scheduledDateTime desc"
                                                    : "activityDateTime desc");
    s->columns = json_array();
    s->names = json_object();
    if (!s->columns || !s->names)
        goto oom;
    if (select_columns(q, defaults, s->columns) || plan_columns(s))
        goto oom;
    resp->status = 200;
    resp->stream.next = next_chunk;
    resp->stream.free = state_free;
    resp->stream.state = s;
    resp->stream.content_type =
            s->format == EXPORT_CSV ? "text/csv; charset=utf-8" : "application/x-ndjson";
    return;
oom:
    state_free(s);
    api_error(resp, req, 500, "InternalServerError", "out of memory");
}
