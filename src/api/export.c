/* SPDX-License-Identifier: MIT */
/*
 * Uncapped export of history and audit lists: any of those list routes with
 * `Accept: text/csv` (RFC 4180, header row) or `Accept:
 * application/x-ndjson` streams every matching row, ignoring server paging.
 * The producer reads one keyset page per chunk in its own short read
 * transaction, so memory stays constant and writers are never blocked by a
 * long download. Subject and task are flattened to id and displayName.
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

#define EXPORT_PAGE 500

enum export_format { EXPORT_NONE, EXPORT_CSV, EXPORT_NDJSON };

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
    json_t *names;          /* owned: user id -> display name cache */
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
    const char *s;
    char num[64];
    bool quote;
    int rc = 0;

    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        s = json_string_value(v);
    } else if (json_is_integer(v)) {
        (void)snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        s = num;
    } else if (json_is_boolean(v)) {
        s = json_is_true(v) ? "true" : "false";
    } else {
        char *text = jsonx_dump(v);

        if (!text)
            return LCW_ENOMEM;
        rc = csv_field(out, json_string(text)); /* not reached: objects are flattened */
        lcw_free(text);
        return rc;
    }
    quote = strpbrk(s, ",\"\r\n") != NULL;
    if (!quote)
        return buf_puts(out, s);
    rc = buf_putc(out, '"');
    for (; !rc && *s; s++)
        rc = *s == '"' ? buf_puts(out, "\"\"") : buf_putc(out, *s);
    return rc ? rc : buf_putc(out, '"');
}

static int row_text(void *ctx, const struct store_val *c, size_t n)
{
    json_t **out = ctx;

    if (n >= 1 && c[0].kind == STORE_TEXT)
        *out = json_string(c[0].s);
    return 0;
}

/* Add the subject's display name (cached per export; user rows are few). */
static void add_subject_name(struct export_state *s, struct store_tx *tx, json_t *doc)
{
    json_t *subject = json_object_get(doc, "subject");
    const char *id = jsonx_str(subject, "id");
    json_t *name;

    if (!id || json_object_get(subject, "displayName"))
        return;
    name = json_object_get(s->names, id);
    if (!name) {
        /* The column, not the document: parsing each user's JSON was half an
         * export's time. */
        struct store_val p = STORE_V_TEXT(id);
        struct lcw_error err = {0};

        if (store_exec(tx, "SELECT display_name FROM users WHERE pk = ?", &p, 1, row_text, &name,
                       NULL, &err) != 0 ||
            !name)
            name = json_null();
        if (json_object_size(s->names) < 100000)
            json_object_set(s->names, id, name);
        json_decref(name);
    }
    json_object_set(subject, "displayName", name);
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

static int next_chunk(void *p, struct buf *out, bool *done)
{
    struct export_state *s = p;
    struct odata_kv kv[4];
    size_t n = 0, i;
    struct odata_query q;
    struct store_page page = {0};
    struct store_tx tx;
    struct lcw_error err = {0};
    struct store_val argv[2] = {STORE_V_TEXT(s->args[0]), STORE_V_TEXT(s->args[1])};
    char top[16];
    json_t *doc;
    int rc;

    if (!s->is_header_done) {
        s->is_header_done = true;
        if (s->format == EXPORT_CSV) {
            json_array_foreach (s->columns, i, doc) {
                if (i && buf_putc(out, ','))
                    return LCW_ENOMEM;
                if (buf_puts(out, json_string_value(doc)))
                    return LCW_ENOMEM;
            }
            if (buf_puts(out, "\r\n"))
                return LCW_ENOMEM;
            return 0;
        }
    }
    (void)snprintf(top, sizeof(top), "%d", EXPORT_PAGE);
    kv[n++] = (struct odata_kv){"$top", top};
    if (s->filter)
        kv[n++] = (struct odata_kv){"$filter", s->filter};
    if (s->orderby)
        kv[n++] = (struct odata_kv){"$orderby", s->orderby};
    if (s->token)
        kv[n++] = (struct odata_kv){"$skiptoken", s->token};
    rc = odata_query_parse(kv, n, ~0u, &q, &err);
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
            if (s->ent == &store_ent_user_result || s->ent == &store_ent_task_result)
                add_subject_name(s, &tx, doc);
            if (!rc)
                rc = write_row(s, out, doc);
        }
        store_tx_rollback(&tx);
    }
    odata_query_release(&q);
    lcw_free(s->token);
    s->token = page.next_token;
    page.next_token = NULL;
    store_page_release(&page);
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

void api__export_array(struct api_req *req, struct api_resp *resp, json_t *items)
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
    for (size_t i = 0; a->base.columns && report_cols[i]; i++)
        json_array_append_new(a->base.columns, json_string(report_cols[i]));
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
    if (q->n_select) {
        /* $select picks the columns; subject and task still flatten. */
        for (size_t i = 0; i < q->n_select; i++) {
            const char *c = q->select[i];

            if (lcw_str_eq_ci(c, "subject") || lcw_str_eq_ci(c, "task")) {
                char a[64], b[64];

                (void)snprintf(a, sizeof(a), "%s.id",
                               lcw_str_eq_ci(c, "task") ? "task" : "subject");
                (void)snprintf(b, sizeof(b), "%s.displayName",
                               lcw_str_eq_ci(c, "task") ? "task" : "subject");
                json_array_append_new(s->columns, json_string(a));
                json_array_append_new(s->columns, json_string(b));
            } else {
                json_array_append_new(s->columns, json_string(c));
            }
        }
    } else {
        for (size_t i = 0; defaults[i]; i++)
            json_array_append_new(s->columns, json_string(defaults[i]));
    }
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
