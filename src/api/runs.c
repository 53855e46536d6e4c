/* SPDX-License-Identifier: MIT */
/*
 * Running workflows and reading what they did: activate, cancelProcessing,
 * previewWorkflow, previewTaskFailures, executionScope, clearQuarantine,
 * the resume callback of custom task extensions, and the history routes
 * (runs, userProcessingResults, taskProcessingResults, taskReports). Runs
 * are created through the engine inside the request's transaction, so a
 * run and its audit event commit together.
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

#include "lcw/tasks.h"

#define WF_FRAGMENT "identityGovernance/lifecycleWorkflows/workflows"
#define HIST_OPTS                                                                 \
    (ODATA_OPT_FILTER | ODATA_OPT_ORDERBY | ODATA_OPT_TOP | ODATA_OPT_SKIPTOKEN | \
     ODATA_OPT_COUNT | ODATA_OPT_SELECT | ODATA_OPT_EXPAND)

/* Load a live workflow for a history or action route; 404 when absent or deleted. */
static int load_workflow(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                         const char *id, json_t **out)
{
    struct lcw_error err = {0};
    int rc = store_entity_get(tx, &store_ent_workflow, id, out, &err);
    /* Under deletedItems/workflows/{id}/... the history of a deleted workflow is read. */
    bool want_deleted = strcasestr(req->path, "/deletedItems/") != NULL;

    if (rc == 0 && json_is_null(json_object_get(*out, "deletedDateTime")) == want_deleted) {
        json_decref(*out);
        *out = NULL;
        rc = LCW_ENOTFOUND;
    }
    if (rc == LCW_ENOTFOUND)
        api_error(resp, req, 404, "ResourceNotFound", "Workflow '%s' was not found", id);
    else if (rc)
        api_error_from(resp, req, &err);
    return rc;
}

/* $expand names a relationship the item has: subject (results), task (task results). */
static int check_history_expand(struct api_req *req, struct api_resp *resp,
                                const struct store_entity *e, const struct odata_query *q)
{
    for (size_t i = 0; i < q->n_expand; i++) {
        const char *x = q->expand[i];
        bool ok = (e != &store_ent_run && lcw_str_eq_ci(x, "subject")) ||
                  (e == &store_ent_task_result && lcw_str_eq_ci(x, "task"));

        if (!ok) {
            api_error(resp, req, 400, "BadRequest", "$expand: '%s' cannot be expanded on %s", x,
                      e->od.name);
            return LCW_EINVAL;
        }
    }
    return 0;
}

/* The history item as clients see it: counters for runs, no bookkeeping, $expand. */
/* Set by the subjectProcessingResults routes: user results in subjectProcessingResult shape. */
static _Thread_local bool as_subject;

static int history_output(struct store_tx *tx, const struct store_entity *e, json_t *doc,
                          const struct odata_query *q, struct lcw_error *err)
{
    if (as_subject && e == &store_ent_user_result) {
        json_t *subject = json_object_get(doc, "subject");

        json_object_set_new(doc, "subjectType", json_string("user"));
        if (subject)
            json_object_set_new(subject, "@odata.type",
                                json_string("#microsoft.graph.identityGovernance."
                                            "directoryObjectWorkflowSubject"));
    }
    if (e == &store_ent_run) {
        int rc = engine_run_add_counters(tx, doc, err);

        if (rc)
            return rc;
    }
    engine_doc_public(doc);
    if (e == &store_ent_task_result && q && !api__expanded(q, "task")) {
        /* Graph's examples inline the task; keep it (SDKs type it). */
    }
    if (e != &store_ent_run && q && api__expanded(q, "subject")) {
        json_t *subject = json_object_get(doc, "subject");
        json_t *user = NULL;
        struct lcw_error ignore = {0};

        if (subject &&
            store_entity_get(tx, &store_ent_user, jsonx_str(subject, "id"), &user, &ignore) == 0) {
            json_t *s = json_pack("{s:s, s:O?, s:O?, s:O?}", "id", jsonx_str(user, "id"),
                                  "displayName", json_object_get(user, "displayName"),
                                  "userPrincipalName", json_object_get(user, "userPrincipalName"),
                                  "mail", json_object_get(user, "mail"));

            if (s)
                json_object_set_new(doc, "subject", s);
        }
        json_decref(user);
    }
    return 0;
}

/*
 * List history rows of workflow (params[0]) from entity `e`, restricted by
 * `where` (SQL over e's columns, `?` bound to `arg`, may be NULL).
 */
static void list_history_n(struct api_req *req, struct api_resp *resp, const struct store_entity *e,
                           const char *where, const char *const *args, size_t n_args,
                           const char *fragment)
{
    char wf_id[128];
    struct odata_query q;
    struct store_tx tx;
    struct store_page page = {0};
    struct lcw_error err = {0};
    struct store_val p[2] = {STORE_V_TEXT(n_args > 0 ? args[0] : NULL),
                             STORE_V_TEXT(n_args > 1 ? args[1] : NULL)};
    json_t *wf = NULL, *item;
    size_t i;
    int rc;

    if (api__query(req, resp, HIST_OPTS, &q))
        return;
    api_param(req, 0, wf_id, sizeof(wf_id));
    if (check_history_expand(req, resp, e, &q))
        goto out;
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (load_workflow(&tx, req, resp, wf_id, &wf))
        goto done;
    if (q.n_orderby == 0 && e == &store_ent_run) {
        /* Newest runs first, as the admin center lists them. */
        q.orderby = lcw_calloc(1, sizeof(*q.orderby));
        if (q.orderby)
            q.orderby[0].property = lcw_strdup("scheduledDateTime");
        if (!q.orderby || !q.orderby[0].property) {
            api_error(resp, req, 500, "InternalServerError", "out of memory");
            goto done;
        }
        q.orderby[0].desc = true;
        q.n_orderby = 1;
    }
    if (api__wants_export(req)) {
        struct odata_sql check = {0};

        /* Validate the filter now: after the headers are out, errors cannot be sent. */
        rc = odata_filter_to_sql(q.filter, &e->od, &check, &err);
        odata_sql_release(&check);
        if (rc)
            api_error_from(resp, req, &err);
        else
            api__export(req, resp, e, &q, wf_id, where, args, n_args);
        goto done;
    }
    rc = store_entity_list(&tx, e, &q, wf_id, where, n_args ? p : NULL, n_args,
                           (long)req->ctx->cfg->page_size, &page, &err);
    json_array_foreach (page.items, i, item) {
        if (!rc)
            rc = history_output(&tx, e, item, &q, &err);
    }
    if (rc) {
        store_page_release(&page);
        api_error_from(resp, req, &err);
        goto done;
    }
    api__page(req, resp, &page, &q, fragment);
done:
    store_tx_rollback(&tx);
out:
    json_decref(wf);
    odata_query_release(&q);
}

/* List history rows of workflow params[0] from `e`, restricted by `where` (one `?` for `arg`). */
static void list_history(struct api_req *req, struct api_resp *resp, const struct store_entity *e,
                         const char *where, const char *arg, const char *fragment)
{
    list_history_n(req, resp, e, where, &arg, arg ? 1 : 0, fragment);
}

/* Get one history row of workflow params[0]; `where` (with `arg`) must also hold. */
static void get_history(struct api_req *req, struct api_resp *resp, const struct store_entity *e,
                        size_t id_param, const char *where, const char *arg, const char *what,
                        const char *fragment)
{
    char wf_id[128], id[128], sql[256];
    struct odata_query q;
    struct store_tx tx;
    struct lcw_error err = {0};
    json_t *wf = NULL, *doc = NULL;
    struct store_val p[3];
    int64_t n = 0;
    int rc;

    if (api__query(req, resp, ODATA_OPT_SELECT | ODATA_OPT_EXPAND, &q))
        return;
    api_param(req, 0, wf_id, sizeof(wf_id));
    api_param(req, id_param, id, sizeof(id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (load_workflow(&tx, req, resp, wf_id, &wf))
        goto done;
    (void)snprintf(sql, sizeof(sql), "pk = ?%s%s", where ? " AND " : "", where ? where : "");
    p[0] = STORE_V_TEXT(id);
    p[1] = STORE_V_TEXT(arg);
    rc = store_entity_count(&tx, e, wf_id, sql, p, where ? 2 : 1, &n, &err);
    if (!rc && n == 0)
        rc = lcw_error_set(&err, LCW_ENOTFOUND, "%s '%s' was not found", what, id);
    if (!rc)
        rc = store_entity_get(&tx, e, id, &doc, &err);
    if (!rc)
        rc = history_output(&tx, e, doc, &q, &err);
    if (!rc && api__select(doc, &q))
        rc = lcw_error_set(&err, LCW_ENOMEM, "out of memory");
    if (rc)
        api_error_from(resp, req, &err);
    else
        api__json(req, resp, 200, json_incref(doc), fragment);
done:
    store_tx_rollback(&tx);
out:
    json_decref(wf);
    json_decref(doc);
    odata_query_release(&q);
}

/* The fragment of a workflow's sub-collection. */
static const char *frag(struct api_req *req, char *buf, size_t cap, const char *tail)
{
    char wf_id[128];

    (void)snprintf(buf, cap, WF_FRAGMENT "('%s')/%s", api_param(req, 0, wf_id, sizeof(wf_id)),
                   tail);
    return buf;
}

void api_runs_list(struct api_req *req, struct api_resp *resp)
{
    char f[300];

    list_history(req, resp, &store_ent_run, NULL, NULL, frag(req, f, sizeof(f), "runs"));
}

void api_run_get(struct api_req *req, struct api_resp *resp)
{
    char f[300];

    get_history(req, resp, &store_ent_run, 1, NULL, NULL, "Run",
                frag(req, f, sizeof(f), "runs/$entity"));
}

void api_run_user_results(struct api_req *req, struct api_resp *resp)
{
    char f[300], run[128];

    api_param(req, 1, run, sizeof(run));
    list_history(req, resp, &store_ent_user_result, "run_id = ?", run,
                 frag(req, f, sizeof(f), "runs/userProcessingResults"));
}

void api_run_user_result_get(struct api_req *req, struct api_resp *resp)
{
    char f[300], run[128];

    api_param(req, 1, run, sizeof(run));
    get_history(req, resp, &store_ent_user_result, 2, "run_id = ?", run, "User processing result",
                frag(req, f, sizeof(f), "runs/userProcessingResults/$entity"));
}

void api_run_user_result_tasks(struct api_req *req, struct api_resp *resp)
{
    char f[300], ur[128];

    api_param(req, 2, ur, sizeof(ur));
    list_history(req, resp, &store_ent_task_result, "user_result_id = ?", ur,
                 frag(req, f, sizeof(f), "taskProcessingResults"));
}

void api_run_task_results(struct api_req *req, struct api_resp *resp)
{
    char f[300], run[128];

    api_param(req, 1, run, sizeof(run));
    list_history(req, resp, &store_ent_task_result, "run_id = ?", run,
                 frag(req, f, sizeof(f), "runs/taskProcessingResults"));
}

void api_user_results_list(struct api_req *req, struct api_resp *resp)
{
    char f[300];

    list_history(req, resp, &store_ent_user_result, NULL, NULL,
                 frag(req, f, sizeof(f), "userProcessingResults"));
}

void api_user_result_get(struct api_req *req, struct api_resp *resp)
{
    char f[300];

    get_history(req, resp, &store_ent_user_result, 1, NULL, NULL, "User processing result",
                frag(req, f, sizeof(f), "userProcessingResults/$entity"));
}

void api_user_result_tasks(struct api_req *req, struct api_resp *resp)
{
    char f[300], ur[128];

    api_param(req, 1, ur, sizeof(ur));
    list_history(req, resp, &store_ent_task_result, "user_result_id = ?", ur,
                 frag(req, f, sizeof(f), "taskProcessingResults"));
}

void api_task_results_by_task(struct api_req *req, struct api_resp *resp)
{
    char f[300], task[128];

    api_param(req, 1, task, sizeof(task));
    list_history(req, resp, &store_ent_task_result, "task_id = lower(?)", task,
                 frag(req, f, sizeof(f), "tasks/taskProcessingResults"));
}

void api_task_result_get(struct api_req *req, struct api_resp *resp)
{
    char f[300], task[128];

    api_param(req, 1, task, sizeof(task));
    get_history(req, resp, &store_ent_task_result, 2, "task_id = lower(?)", task,
                "Task processing result",
                frag(req, f, sizeof(f), "tasks/taskProcessingResults/$entity"));
}

void api_subject_results_list(struct api_req *req, struct api_resp *resp)
{
    char f[300];

    as_subject = true;
    list_history(req, resp, &store_ent_user_result, NULL, NULL,
                 frag(req, f, sizeof(f), "subjectProcessingResults"));
    as_subject = false;
}

void api_run_subjects_list(struct api_req *req, struct api_resp *resp)
{
    char f[300], run[128];

    api_param(req, 1, run, sizeof(run));
    as_subject = true;
    list_history(req, resp, &store_ent_user_result, "run_id = ?", run,
                 frag(req, f, sizeof(f), "runs/subjectProcessingResults"));
    as_subject = false;
}

void api_run_subject_get(struct api_req *req, struct api_resp *resp)
{
    char f[300], run[128];

    api_param(req, 1, run, sizeof(run));
    as_subject = true;
    get_history(req, resp, &store_ent_user_result, 2, "run_id = ?", run,
                "Subject processing result",
                frag(req, f, sizeof(f), "runs/subjectProcessingResults/$entity"));
    as_subject = false;
}

/* A task report's id is "<runId>_<taskId>": its results are that task's in that run. */
void api_task_report_results(struct api_req *req, struct api_resp *resp)
{
    char f[300], report[300];
    const char *args[2];
    char *sep;

    api_param(req, 1, report, sizeof(report));
    sep = strrchr(report, '_');
    if (!sep) {
        api_error(resp, req, 404, "ResourceNotFound", "Task report '%s' was not found", report);
        return;
    }
    *sep = '\0';
    args[0] = report;
    args[1] = sep + 1;
    list_history_n(req, resp, &store_ent_task_result, "run_id = ? AND task_id = lower(?)", args, 2,
                   frag(req, f, sizeof(f), "taskReports/taskProcessingResults"));
}

/* ------------------------------------------------------------ task reports */

struct report_rows {
    json_t *items;
    const json_t *tasks; /* current version's tasks, to inline */
};

static int row_report(void *ctx, const struct store_val *c, size_t n)
{
    struct report_rows *rr = ctx;
    char id[300], started[TIMEFMT_LEN], completed[TIMEFMT_LEN];
    int64_t total, ok, failed, pending;
    const char *status;
    json_t *item, *task = NULL;
    size_t i;
    json_t *t;

    if (n < 9 || c[0].kind != STORE_TEXT || c[1].kind != STORE_TEXT)
        return LCW_EINTERNAL;
    total = c[2].i;
    ok = c[3].i;
    failed = c[4].i;
    pending = c[5].i;
    status = pending           ? "inProgress"
             : failed == total ? "failed"
             : failed          ? "completedWithErrors"
                               : "completed";
    (void)snprintf(id, sizeof(id), "%s_%s", c[0].s, c[1].s);
    json_array_foreach (rr->tasks, i, t) {
        if (lcw_str_eq_ci(jsonx_str(t, "id") ? jsonx_str(t, "id") : "", c[1].s))
            task = t;
    }
    item = json_pack(
            "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s?, s:s?, s:s?, s:O?}", "id", id, "runId",
            c[0].s, "processingStatus", status, "totalUsersCount", (json_int_t)total,
            "successfulUsersCount", (json_int_t)ok, "failedUsersCount", (json_int_t)failed,
            "unprocessedUsersCount", (json_int_t)(total - ok - failed), "startedDateTime",
            c[6].kind == STORE_INT ? timefmt_format_ms(c[6].i, started) : NULL, "completedDateTime",
            !pending && c[7].kind == STORE_INT ? timefmt_format_ms(c[7].i, completed) : NULL,
            "lastUpdatedDateTime",
            c[8].kind == STORE_INT ? timefmt_format_ms(c[8].i, completed) : NULL, "task", task);
    if (!item || json_array_append_new(rr->items, item))
        return LCW_ENOMEM;
    return 0;
}

static const struct odata_property report_props[] = {
        {"id", NULL, ODATA_T_STRING, ODATA_OP_EQ | ODATA_OP_IN, true},
        {"runId", NULL, ODATA_T_STRING, ODATA_OP_EQ | ODATA_OP_IN, true},
        {"processingStatus", NULL, ODATA_T_ENUM, ODATA_OP_EQ | ODATA_OP_IN, true},
        {"totalUsersCount", NULL, ODATA_T_INT, ODATA_OP_EQ | ODATA_OP_ORDER, true},
        {"failedUsersCount", NULL, ODATA_T_INT, ODATA_OP_EQ | ODATA_OP_ORDER, true},
        {"successfulUsersCount", NULL, ODATA_T_INT, ODATA_OP_EQ | ODATA_OP_ORDER, true},
        {"unprocessedUsersCount", NULL, ODATA_T_INT, ODATA_OP_EQ | ODATA_OP_ORDER, true},
        {"completedDateTime", NULL, ODATA_T_DATETIME, ODATA_OP_EQ | ODATA_OP_ORDER, true},
        {"startedDateTime", NULL, ODATA_T_DATETIME, ODATA_OP_EQ | ODATA_OP_ORDER, true},
        {"task/id", NULL, ODATA_T_GUID, ODATA_OP_EQ, false},
};
static const struct odata_entity report_entity = {"taskReport", "id", report_props,
                                                  sizeof(report_props) / sizeof(report_props[0])};

void api_task_reports_list(struct api_req *req, struct api_resp *resp)
{
    char wf_id[128], f[300];
    struct odata_query q;
    struct store_tx tx;
    struct lcw_error err = {0};
    struct report_rows rr = {json_array(), NULL};
    struct store_val p;
    json_t *wf = NULL;
    int rc;

    if (api__query(req, resp, HIST_OPTS, &q))
        goto out;
    api_param(req, 0, wf_id, sizeof(wf_id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (load_workflow(&tx, req, resp, wf_id, &wf))
        goto done;
    rr.tasks = json_object_get(wf, "tasks");
    p = STORE_V_TEXT(wf_id);
    /* One report per task per run (a task counts once per user per run): the
     * store keeps exactly these counters (store/stats.c). */
    rc = store_exec(&tx,
                    "SELECT run_id, task_id, total, completed, failed, pending, started_min_ms,"
                    " completed_max_ms, last_ms FROM run_task_stats WHERE workflow_id = ? AND"
                    " total > 0 ORDER BY run_id DESC, task_id",
                    &p, 1, row_report, &rr, NULL, &err);
    if (rc || !rr.items) {
        api_error_from(resp, req, &err);
    } else if (api__wants_export(req)) {
        /* Every report $filter keeps, in $orderby order; no paging. */
        json_t *matched = NULL;

        if (!api__array_match(req, resp, rr.items, &report_entity, &q, &matched))
            api__export_array(req, resp, matched, &q);
    } else {
        api__list_array(req, resp, rr.items, &report_entity, &q,
                        frag(req, f, sizeof(f), "taskReports"));
    }
done:
    store_tx_rollback(&tx);
out:
    json_decref(rr.items);
    json_decref(wf);
    odata_query_release(&q);
}

/* ----------------------------------------------------------------- actions */

/* "Prefer: return=representation" asks for the created run in the body. */
static bool wants_representation(const struct api_req *req)
{
    return req->prefer && strstr(req->prefer, "return=representation");
}

/* 204 with Location, or 201 with the run (after commit). */
static void respond_run(struct api_req *req, struct api_resp *resp, const char *wf_id,
                        const char *run_id)
{
    char f[300];

    (void)snprintf(resp->location, sizeof(resp->location), "%s/%s%s/workflows/%s/runs/%s",
                   req->base_url, req->version, LCW_ROOT, wf_id, run_id);
    if (wants_representation(req)) {
        struct store_tx tx;
        struct lcw_error err = {0};
        json_t *run = NULL;

        if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
            return;
        if (store_entity_get(&tx, &store_ent_run, run_id, &run, &err) == 0 &&
            history_output(&tx, &store_ent_run, run, NULL, &err) == 0) {
            (void)snprintf(f, sizeof(f), WF_FRAGMENT "('%s')/runs/$entity", wf_id);
            api__json(req, resp, 201, json_incref(run), f);
        } else {
            api_error_from(resp, req, &err);
        }
        json_decref(run);
        store_tx_rollback(&tx);
        return;
    }
    api__no_content(resp);
}

/*
 * Read `subjects` ([{id}], 1..limit) into `ids` (new array of lower-case
 * ids, duplicates removed); every one must be a live user (404 naming the
 * unknown ones, or `missing_status` when given).
 */
static int read_subjects(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                         const json_t *subjects, const char *what, int missing_status, json_t **ids)
{
    struct lcw_error err = {0};
    struct buf missing;
    size_t i;
    json_t *s;

    *ids = NULL;
    if (!json_is_array(subjects) || json_array_size(subjects) == 0) {
        api_error(resp, req, 400, "BadRequest",
                  "%s: a non-empty array of users ({\"id\": ...}) "
                  "is required",
                  what);
        return LCW_EINVAL;
    }
    if ((int64_t)json_array_size(subjects) > req->ctx->cfg->max_activation_users) {
        api_error(resp, req, 400, "BadRequest",
                  "%s: at most %lld users can be processed at once (got %zu); the limit is "
                  "limits.activation_users",
                  what, (long long)req->ctx->cfg->max_activation_users, json_array_size(subjects));
        return LCW_EINVAL;
    }
    *ids = json_array();
    buf_init(&missing, 4096);
    json_array_foreach (subjects, i, s) {
        const char *id = jsonx_str(s, "id");
        json_t *user = NULL;
        int rc;

        if (!id) {
            api_error(resp, req, 400, "BadRequest", "%s[%zu]: 'id' (a user id) is required", what,
                      i);
            buf_release(&missing);
            json_decref(*ids);
            *ids = NULL;
            return LCW_EINVAL;
        }
        rc = req->ctx->dir ? dir_user_get(req->ctx->dir, tx, id, &user, &err) : LCW_EUNAVAIL;
        if (rc == LCW_ENOTFOUND) {
            (void)buf_printf(&missing, "%s'%s'", missing.len ? ", " : "", id);
        } else if (rc) {
            api_error_from(resp, req, &err);
            buf_release(&missing);
            json_decref(*ids);
            *ids = NULL;
            return rc;
        } else {
            bool dup = false;
            size_t k;
            json_t *have;

            json_array_foreach (*ids, k, have) {
                dup |= strcmp(json_string_value(have), jsonx_str(user, "id")) == 0;
            }
            if (!dup)
                json_array_append_new(*ids, json_string(jsonx_str(user, "id")));
        }
        json_decref(user);
    }
    if (missing.len) {
        api_error(resp, req, missing_status,
                  missing_status == 404 ? "ResourceNotFound" : "NotAcceptable",
                  "%s: no such user: %s", what, buf_cstr(&missing));
        buf_release(&missing);
        json_decref(*ids);
        *ids = NULL;
        return LCW_ENOTFOUND;
    }
    buf_release(&missing);
    return 0;
}

static int audit_run(struct store_tx *tx, struct api_req *req, const json_t *wf,
                     const char *activity, const char *run_id, size_t n_users,
                     struct lcw_error *err)
{
    char users[32];
    json_t *targets = json_pack("[{s:s, s:s?, s:s, s:[]}, {s:s, s:s, s:s, s:[]}]", "id",
                                jsonx_str(wf, "id"), "displayName", jsonx_str(wf, "displayName"),
                                "type", "Workflow", "modifiedProperties", "id", run_id,
                                "displayName", "run", "type", "Run", "modifiedProperties");
    json_t *details;

    (void)snprintf(users, sizeof(users), "%zu", n_users);
    details = json_pack("[{s:s, s:s}, {s:s, s:s}]", "key", "runId", "value", run_id, "key", "users",
                        "value", users);
    if (!targets || !details) {
        json_decref(targets);
        json_decref(details);
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    }
    return api__audit(tx, req, "WorkflowManagement", activity, "Add", targets, details, err);
}

void api_workflow_activate(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *wf = NULL, *ids = NULL;
    struct engine_subject *subjects = NULL;
    char wf_id[128], run_id[UUID_STR_LEN];
    const char *key;
    json_t *v;
    int rc;

    api_param(req, 0, wf_id, sizeof(wf_id));
    if (api__body(req, resp, &body))
        return;
    json_object_foreach (body, key, v) {
        if (strcmp(key, "subjects") != 0) {
            api_error(resp, req, 400, "BadRequest",
                      "Unknown property '%s' for activate (expected 'subjects')", key);
            goto out;
        }
    }
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (load_workflow(&tx, req, resp, wf_id, &wf))
        goto out;
    if (!jsonx_bool(wf, "isEnabled", true)) {
        api_error(resp, req, 400, "BadRequest",
                  "Workflow '%s' is disabled; enable it (isEnabled) before running it on demand",
                  jsonx_str(wf, "displayName"));
        goto out;
    }
    if (read_subjects(&tx, req, resp, json_object_get(body, "subjects"), "subjects", 404, &ids))
        goto out;
    subjects = lcw_calloc(json_array_size(ids), sizeof(*subjects));
    if (!subjects) {
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(ids); i++)
        subjects[i].user_id = json_string_value(json_array_get(ids, i));
    {
        struct engine_run_spec spec = {
                wf,       jsonx_int(wf, "version", 1), "onDemand", NULL,
                subjects, json_array_size(ids),        NULL,       req->now_ms};

        rc = engine_run_create(&tx, &spec, run_id, &err);
    }
    if (!rc)
        rc = audit_run(&tx, req, wf, "Set workflow for on-demand execution", run_id,
                       json_array_size(ids), &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx))
        goto out;
    engine_wake(req->ctx->engine);
    respond_run(req, resp, wf_id, run_id);
out:
    store_tx_rollback(&tx);
    lcw_free(subjects);
    json_decref(ids);
    json_decref(body);
    json_decref(wf);
}

void api_workflow_cancel(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *wf = NULL, *scope, *runs;
    const char *type, *run_id;
    char wf_id[128];
    int rc;

    api_param(req, 0, wf_id, sizeof(wf_id));
    if (api__body(req, resp, &body))
        return;
    scope = json_object_get(body, "scope");
    type = jsonx_str(scope, "@odata.type");
    runs = json_object_get(scope, "runs");
    if (!json_is_object(scope) || !type || !strstr(type, "cancelRunsScope")) {
        api_error(resp, req, 400, "BadRequest",
                  "scope: a #microsoft.graph.identityGovernance.cancelRunsScope is required");
        goto out;
    }
    if (!json_is_array(runs) || json_array_size(runs) != 1 ||
        !(run_id = jsonx_str(json_array_get(runs, 0), "id"))) {
        api_error(resp, req, 400, "BadRequest",
                  "scope.runs: exactly one run ({\"id\": ...}) can be canceled per request");
        goto out;
    }
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (load_workflow(&tx, req, resp, wf_id, &wf))
        goto out;
    rc = engine_run_cancel(&tx, wf_id, run_id, req->now_ms, &err);
    if (!rc)
        rc = audit_run(&tx, req, wf, "Cancel workflow run", run_id, 0, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0) {
        engine_wake(req->ctx->engine);
        api__no_content(resp);
    }
out:
    store_tx_rollback(&tx);
    json_decref(body);
    json_decref(wf);
}

void api_workflow_preview(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *wf = NULL, *ids = NULL;
    const char **uids = NULL;
    char wf_id[128], run_id[UUID_STR_LEN];
    int rc;

    api_param(req, 0, wf_id, sizeof(wf_id));
    if (api__body(req, resp, &body))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (load_workflow(&tx, req, resp, wf_id, &wf))
        goto out;
    if (read_subjects(&tx, req, resp, json_object_get(body, "subjects"), "subjects", 404, &ids))
        goto out;
    uids = lcw_calloc(json_array_size(ids) + 1, sizeof(*uids));
    if (!uids) {
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(ids); i++)
        uids[i] = json_string_value(json_array_get(ids, i));
    rc = engine_preview_create(req->ctx->engine, &tx, wf, uids, json_array_size(ids), req->now_ms,
                               run_id, &err);
    if (!rc)
        rc = audit_run(&tx, req, wf, "Preview workflow", run_id, json_array_size(ids), &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        respond_run(req, resp, wf_id, run_id);
out:
    store_tx_rollback(&tx);
    lcw_free(uids);
    json_decref(ids);
    json_decref(body);
    json_decref(wf);
}

void api_workflow_preview_failures(struct api_req *req, struct api_resp *resp)
{
    struct store_tx tx;
    json_t *wf = NULL, *out = NULL;
    struct task_env env = {0};
    char wf_id[128];
    size_t i;
    json_t *t;

    api_param(req, 0, wf_id, sizeof(wf_id));
    if (api__no_body(req, resp) || api__tx_begin(req, resp, &tx, STORE_TX_READ))
        return;
    if (load_workflow(&tx, req, resp, wf_id, &wf))
        goto done;
    env.dir = req->ctx->dir;
    env.store = req->ctx->store;
    env.clock = req->ctx->clock;
    env.cfg = req->ctx->cfg;
    out = json_array();
    json_array_foreach (json_object_get(wf, "tasks"), i, t) {
        const char *def = jsonx_str(t, "taskDefinitionId");
        const struct task_executor *x = tasks_find(def);
        char reason[512] = "";

        if (!jsonx_bool(t, "isEnabled", true))
            continue;
        if (x && (!x->can_run || x->can_run(&env, t, reason, sizeof(reason))))
            continue;
        if (!x)
            (void)snprintf(reason, sizeof(reason), "No executor exists for this task definition");
        json_array_append_new(
                out, json_pack("{s:s, s:s, s:s, s:s}", "definitionId", def, "failureReason", reason,
                               "name", jsonx_str(t, "displayName"), "taskId", jsonx_str(t, "id")));
    }
    api__json(req, resp, 200, json_pack("{s:o}", "value", out),
              "Collection(microsoft.graph.identityGovernance.previewFailedTask)");
done:
    store_tx_rollback(&tx);
    json_decref(wf);
}

void api_workflow_execution_scope(struct api_req *req, struct api_resp *resp)
{
    char wf_id[128], f[300];
    struct odata_query q;
    struct store_tx tx;
    struct lcw_error err = {0};
    json_t *wf = NULL, *users = NULL, *items = NULL;
    size_t i;
    json_t *u;

    if (api__query(req, resp,
                   ODATA_OPT_TOP | ODATA_OPT_SKIPTOKEN | ODATA_OPT_COUNT | ODATA_OPT_SELECT |
                           ODATA_OPT_ORDERBY | ODATA_OPT_FILTER,
                   &q))
        return;
    api_param(req, 0, wf_id, sizeof(wf_id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (load_workflow(&tx, req, resp, wf_id, &wf))
        goto done;
    if (engine_scope_users(req->ctx->engine, &tx, wf, &users, &err)) {
        api_error_from(resp, req, &err);
        goto done;
    }
    /* Each qualifying user as a userProcessingResult-shaped item (spec 5.1). */
    items = json_array();
    json_array_foreach (users, i, u) {
        json_array_append_new(items,
                              json_pack("{s:s, s:s, s:s, s:I, s:{s:s, s:O?, s:O?}}", "id",
                                        jsonx_str(u, "id"), "processingStatus", "queued",
                                        "workflowExecutionType", "scheduled", "workflowVersion",
                                        (json_int_t)jsonx_int(wf, "version", 1), "subject", "id",
                                        jsonx_str(u, "id"), "displayName",
                                        json_object_get(u, "displayName"), "userPrincipalName",
                                        json_object_get(u, "userPrincipalName")));
    }
    {
        static const struct odata_property props[] = {
                {"id", NULL, ODATA_T_GUID, ODATA_OP_EQ | ODATA_OP_IN, true},
                {"subject/id", NULL, ODATA_T_GUID, ODATA_OP_EQ | ODATA_OP_IN, false},
                {"subject/displayName", NULL, ODATA_T_STRING, ODATA_OP_EQ | ODATA_OP_STARTSWITH,
                 false},
        };
        static const struct odata_entity ent = {"userProcessingResult", "id", props, 3};

        api__list_array(req, resp, items, &ent, &q, frag(req, f, sizeof(f), "executionScope"));
    }
done:
    store_tx_rollback(&tx);
out:
    json_decref(items);
    json_decref(users);
    json_decref(wf);
    odata_query_release(&q);
}

void api_workflow_clear_quarantine(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *wf = NULL, *target = NULL, *targets = NULL;
    char wf_id[128], f[300];
    int rc;

    api_param(req, 0, wf_id, sizeof(wf_id));
    if (api__no_body(req, resp) || api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        return;
    if (load_workflow(&tx, req, resp, wf_id, &wf))
        goto out;
    target = api__target(wf_id, jsonx_str(wf, "displayName"), "Workflow");
    if (target)
        (void)api__target_modified(target, "quarantineDetails",
                                   json_object_get(wf, "quarantineDetails"), NULL);
    json_object_set_new(wf, "quarantineDetails",
                        json_pack("{s:n, s:n, s:s}", "quarantinedDateTime", "quarantineReason",
                                  "quarantineType", "notQuarantined"));
    targets = json_array();
    rc = !target || !targets || json_array_append(targets, target) ? LCW_ENOMEM : 0;
    if (!rc)
        rc = store_entity_put(&tx, &store_ent_workflow, wf_id, NULL, wf, &err);
    if (!rc) {
        /* Approval: the scheduler's next evaluation runs without the thresholds. */
        char key[160];
        json_t *state = NULL;

        (void)snprintf(key, sizeof(key), "scheduler:%s", wf_id);
        if (store_kv_get(&tx, key, &state, &err) != 0)
            state = json_object();
        json_object_set_new(state, "quarantineApproved", json_true());
        rc = store_kv_put(&tx, key, state, &err);
        json_decref(state);
    }
    if (!rc) {
        rc = api__audit(&tx, req, "WorkflowManagement", "Approve workflow execution", "Update",
                        targets, NULL, &err);
        targets = NULL;
    }
    if (rc) {
        if (!err.msg[0])
            lcw_error_set(&err, rc, "out of memory");
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx))
        goto out;
    engine_doc_public(wf);
    json_object_del(wf, "tasks");
    json_object_del(wf, "createdBy");
    json_object_del(wf, "lastModifiedBy");
    (void)snprintf(f, sizeof(f), WF_FRAGMENT "/$entity");
    api__json(req, resp, 200, json_incref(wf), f);
out:
    store_tx_rollback(&tx);
    json_decref(target);
    json_decref(targets);
    json_decref(wf);
}

/* ----------------------------------------------------------------- resume */

/*
 * Who may resume a waiting task: a token with workflow write permission, or
 * the custom task extension's own shared secret (the receiver answers with
 * the secret it was called with), or an app listed in authorizedApps (by
 * token name).
 */
static bool may_resume(struct store_tx *tx, const struct api_req *req, const json_t *tr)
{
    const json_t *task = json_object_get(tr, "task");
    const char *ext_id = NULL;
    json_t *ext = NULL;
    struct lcw_error err = {0};
    bool ok = false;
    size_t i;
    json_t *a;

    if (req->who.perms & PERM_WF_WRITE)
        return true;
    json_array_foreach (json_object_get(task, "arguments"), i, a) {
        if (lcw_str_eq_ci(jsonx_str(a, "name") ? jsonx_str(a, "name") : "",
                          "customTaskExtensionID"))
            ext_id = jsonx_str(a, "value");
    }
    if (!ext_id || store_entity_get(tx, &store_ent_extension, ext_id, &ext, &err))
        return false;
    {
        const json_t *auth = json_object_get(ext, "authenticationConfiguration");
        const char *secret = jsonx_str(auth, "secret");

        if (secret && req->bearer && strlen(secret) == strlen(req->bearer) &&
            lcw_mem_eq_ct(secret, req->bearer, strlen(secret)))
            ok = true;
        json_array_foreach (
                json_object_get(json_object_get(ext, "callbackConfiguration"), "authorizedApps"), i,
                a) {
            const char *app = jsonx_str(a, "id");

            if (app && req->who.token_id[0] &&
                (lcw_str_eq_ci(app, req->who.token_id) || lcw_str_eq_ci(app, req->who.name)))
                ok = true;
        }
    }
    json_decref(ext);
    return ok;
}

void api_task_result_resume(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *wf = NULL, *tr = NULL, *data;
    char wf_id[128], task_id[128], tr_id[128];
    const char *status;
    json_t *reasons_json;
    struct buf reasons;
    int rc;

    buf_init(&reasons, 2048);
    api_param(req, 0, wf_id, sizeof(wf_id));
    api_param(req, 1, task_id, sizeof(task_id));
    api_param(req, 2, tr_id, sizeof(tr_id));
    if (api__body(req, resp, &body))
        goto out;
    data = json_object_get(body, "data");
    status = jsonx_str(data, "operationStatus");
    if (!status || (!lcw_str_eq_ci(status, "completed") && !lcw_str_eq_ci(status, "failed"))) {
        api_error(resp, req, 400, "BadRequest",
                  "data.operationStatus must be 'completed' or 'failed'");
        goto out;
    }
    reasons_json = json_object_get(data, "statusReasons");
    for (size_t i = 0; i < json_array_size(reasons_json); i++) {
        const char *r = json_string_value(json_array_get(reasons_json, i));

        if (r)
            (void)buf_printf(&reasons, "%s%s", reasons.len ? "; " : "", r);
    }
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (load_workflow(&tx, req, resp, wf_id, &wf))
        goto out;
    rc = store_entity_get(&tx, &store_ent_task_result, tr_id, &tr, &err);
    if (rc == 0 && !may_resume(&tx, req, tr)) {
        api_error(resp, req, 403, "Authorization_RequestDenied",
                  "Only the custom task extension's credential, an authorized app, or a token "
                  "with LifecycleWorkflows-Workflow.ReadWrite.All may resume this task");
        goto out;
    }
    if (rc == 0 || rc == LCW_ENOTFOUND)
        rc = engine_task_resume(&tx, wf_id, task_id, tr_id, lcw_str_eq_ci(status, "completed"),
                                buf_cstr(&reasons), req->now_ms, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0) {
        engine_wake(req->ctx->engine);
        api__no_content(resp);
    }
out:
    store_tx_rollback(&tx);
    buf_release(&reasons);
    json_decref(tr);
    json_decref(body);
    json_decref(wf);
}
