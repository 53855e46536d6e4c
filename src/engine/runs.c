/* SPDX-License-Identifier: MIT */
/*
 * Runs and their results as records: creation (one queued user result and
 * one work item per subject), cancellation, completion, the read-time
 * counters, and a custom task extension's callback. Everything here runs
 * inside a transaction the caller owns; nothing here keeps state.
 */
#include "engine_int.h"

#include <stdio.h>
#include <string.h>

#include "lcw/model.h"

bool engine_is_final_status(const char *s)
{
    return s && (strcmp(s, "completed") == 0 || strcmp(s, "completedWithErrors") == 0 ||
                 strcmp(s, "failed") == 0 || strcmp(s, "canceled") == 0);
}

static json_t *time_or_null(int64_t ms)
{
    char ts[TIMEFMT_LEN];

    return ms < 0 ? json_null() : json_string(timefmt_format_ms(ms, ts));
}

void engine_doc_public(json_t *doc)
{
    const char *k;
    json_t *v;
    void *tmp;

    json_object_foreach_safe (doc, tmp, k, v) {
        if (k[0] == '#')
            json_object_del(doc, k);
    }
}

int engine_version_get(struct store_tx *tx, const char *workflow_id, int64_t version, json_t **out,
                       struct lcw_error *err)
{
    char pk[128];

    (void)snprintf(pk, sizeof(pk), "%s:%010lld", workflow_id, (long long)version);
    return store_entity_get(tx, &store_ent_workflow_version, pk, out, err);
}

const json_t *engine_version_task(const json_t *version, const char *task_id)
{
    size_t i;
    json_t *t;

    json_array_foreach (json_object_get(version, "tasks"), i, t) {
        const char *id = jsonx_str(t, "id");

        if (id && lcw_str_eq_ci(id, task_id))
            return t;
    }
    return NULL;
}

/* The ids of the version's enabled tasks, in executionSequence (array) order. */
static json_t *enabled_task_ids(const json_t *version)
{
    json_t *ids = json_array();
    size_t i;
    json_t *t;

    json_array_foreach (json_object_get(version, "tasks"), i, t) {
        if (ids && jsonx_bool(t, "isEnabled", true) &&
            json_array_append_new(ids, json_string(jsonx_str(t, "id")))) {
            json_decref(ids);
            return NULL;
        }
    }
    return ids;
}

/* "Schedule workflow execution started", "On-demand ...", as spec A.5 names them. */
static const char *execution_label(const char *type)
{
    if (!type)
        return "Workflow";
    if (strcmp(type, "scheduled") == 0)
        return "Schedule workflow";
    if (strcmp(type, "onDemand") == 0)
        return "On-demand workflow";
    if (strcmp(type, "activatedWithScope") == 0)
        return "Reprocess workflow";
    if (strcmp(type, "preview") == 0)
        return "Preview workflow";
    return "Workflow";
}

int engine__audit_run(struct store_tx *tx, const char *workflow_id, const json_t *run, bool is_end,
                      int64_t now_ms, struct lcw_error *err)
{
    char activity[96], reason[160] = "";
    const char *status = jsonx_str(run, "processingStatus");
    json_t *wf = NULL, *targets, *details, *who;
    struct lcw_error ignore = {0};

    (void)snprintf(activity, sizeof(activity), "%s execution %s",
                   execution_label(jsonx_str(run, "workflowExecutionType")),
                   is_end ? "completed" : "started");
    if (is_end)
        (void)snprintf(reason, sizeof(reason), "Run ended %s", status ? status : "");
    (void)store_entity_get(tx, &store_ent_workflow, workflow_id, &wf, &ignore);
    targets = json_pack("[{s:s, s:s?, s:s, s:[]}, {s:s, s:s, s:s, s:[]}]", "id", workflow_id,
                        "displayName", jsonx_str(wf, "displayName"), "type", "Workflow",
                        "modifiedProperties", "id", jsonx_str(run, "id"), "displayName", "run",
                        "type", "Run", "modifiedProperties");
    details = json_pack("[{s:s, s:s}, {s:s, s:s?}]", "key", "runId", "value", jsonx_str(run, "id"),
                        "key", "processingStatus", "value", status);
    who = json_pack("{s:n, s:{s:s, s:s}}", "user", "app", "displayName",
                    "Lifecycle Workflows engine", "appId", "lcwd");
    json_decref(wf);
    return store_audit_add(
            tx, now_ms, jsonx_str(run, "id"), "WorkflowManagement", activity, "Update",
            is_end && status && (strcmp(status, "failed") == 0) ? "failure" : "success",
            reason[0] ? reason : NULL, who, targets, details, err);
}

int engine_link_add(struct store_tx *tx, const char *kind, const char *source, const char *new_run,
                    const char *wf_id, int64_t now, struct lcw_error *err)
{
    struct store_val p[5] = {STORE_V_TEXT(kind), STORE_V_TEXT(source), STORE_V_TEXT(new_run),
                             STORE_V_TEXT(wf_id), STORE_V_INT(now)};

    return store_exec(tx,
                      "INSERT INTO run_links (kind, source_id, new_run_id, workflow_id,"
                      " created_at_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                      p, 5, NULL, NULL, NULL, err);
}

int engine_run_create(struct store_tx *tx, const struct engine_run_spec *spec,
                      char run_id[UUID_STR_LEN], struct lcw_error *err)
{
    const char *wf_id = jsonx_str(spec->workflow, "id");
    json_t *version = NULL, *all_ids = NULL, *run = NULL, *ur = NULL;
    int rc;

    rc = engine_version_get(tx, wf_id, spec->version, &version, err);
    if (rc)
        return rc;
    all_ids = enabled_task_ids(version);
    uuid_v7(spec->now_ms, run_id);
    run = json_pack("{s:s, s:s, s:s, s:o, s:n, s:n, s:o, s:O?, s:I, s:s?}", "id", run_id,
                    "workflowExecutionType", spec->execution_type, "processingStatus", "queued",
                    "scheduledDateTime", time_or_null(spec->now_ms), "startedDateTime",
                    "completedDateTime", "lastUpdatedDateTime", time_or_null(spec->now_ms),
                    "activatedOnScope", spec->activated_on_scope, K_VERSION,
                    (json_int_t)spec->version, K_SOURCE_RUN, spec->source_run_id);
    if (!all_ids || !run) {
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        goto out;
    }
    if (!spec->activated_on_scope)
        json_object_set_new(run, "activatedOnScope", json_null());
    rc = store_entity_put(tx, &store_ent_run, run_id, wf_id, run, err);
    for (size_t i = 0; !rc && i < spec->n_subjects; i++) {
        const struct engine_subject *s = &spec->subjects[i];
        json_t *ids = s->task_ids ? s->task_ids : all_ids;
        char ur_id[UUID_STR_LEN];
        struct store_val p[4];

        uuid_v7(spec->now_ms, ur_id);
        ur = json_pack("{s:s, s:s, s:s, s:o, s:n, s:n, s:I, s:I, s:i, s:I, s:{s:s}, s:s, "
                       "s:O, s:i, s:s?}",
                       "id", ur_id, "processingStatus", "queued", "workflowExecutionType",
                       spec->execution_type, "scheduledDateTime", time_or_null(spec->now_ms),
                       "startedDateTime", "completedDateTime", "workflowVersion",
                       (json_int_t)spec->version, "totalTasksCount",
                       (json_int_t)json_array_size(ids), "failedTasksCount", 0,
                       "totalUnprocessedTasksCount", (json_int_t)json_array_size(ids), "subject",
                       "id", s->user_id, K_RUN_ID, run_id, K_TASKS, ids, K_NEXT, 0, K_SOURCE_RESULT,
                       s->source_result_id);
        if (!ur) {
            rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
            break;
        }
        if (s->skip && json_object_size(s->skip))
            json_object_set(ur, K_SKIP, s->skip);
        rc = store_entity_put(tx, &store_ent_user_result, ur_id, wf_id, ur, err);
        json_decref(ur);
        ur = NULL;
        if (!rc && s->source_result_id)
            rc = engine_link_add(tx, "result", s->source_result_id, run_id, wf_id, spec->now_ms,
                                 err);
        p[0] = STORE_V_TEXT(ur_id);
        p[1] = STORE_V_TEXT(run_id);
        p[2] = STORE_V_TEXT(wf_id);
        p[3] = STORE_V_INT(spec->now_ms);
        if (!rc)
            rc = store_exec(tx,
                            "INSERT INTO work_items (id, run_id, workflow_id, available_at_ms)"
                            " VALUES (?, ?, ?, ?)",
                            p, 4, NULL, NULL, NULL, err);
    }
    if (!rc && spec->source_run_id)
        rc = engine_link_add(tx, "run", spec->source_run_id, run_id, wf_id, spec->now_ms, err);
    /* A run with nobody to process is finished at once. */
    if (!rc && spec->n_subjects == 0)
        rc = engine__run_finish_if_done(tx, wf_id, run_id, spec->now_ms, err);
out:
    json_decref(version);
    json_decref(all_ids);
    json_decref(run);
    return rc;
}

int engine__task_result_put(struct store_tx *tx, const char *workflow_id, const json_t *ur,
                            const json_t *task, const char *id, const char *status,
                            const char *failure_reason, const char *processing_info,
                            int64_t started_ms, int64_t now_ms, json_t **out, struct lcw_error *err)
{
    char tr_id[UUID_STR_LEN];
    json_t *tr;
    int rc;

    if (id)
        lcw_strlcpy(tr_id, id, sizeof(tr_id));
    else
        uuid_v7(now_ms, tr_id);
    tr = json_pack("{s:s, s:s, s:o, s:o, s:o, s:s?, s:s?, s:{s:s}, s:O, s:s, s:s}", "id", tr_id,
                   "processingStatus", status, "createdDateTime", time_or_null(now_ms),
                   "startedDateTime", time_or_null(started_ms), "completedDateTime",
                   time_or_null(engine_is_final_status(status) ? now_ms : -1), "failureReason",
                   failure_reason, "processingInfo", processing_info, "subject", "id",
                   jsonx_str(json_object_get(ur, "subject"), "id"), "task", task, K_RUN_ID,
                   jsonx_str(ur, K_RUN_ID), K_USER_RESULT, jsonx_str(ur, "id"));
    if (!tr)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    if (!failure_reason)
        json_object_set_new(tr, "failureReason", json_null());
    if (!processing_info)
        json_object_set_new(tr, "processingInfo", json_null());
    rc = store_entity_put(tx, &store_ent_task_result, tr_id, workflow_id, tr, err);
    if (!rc && out)
        *out = json_incref(tr);
    json_decref(tr);
    return rc;
}

int engine_run_get(struct store_tx *tx, const char *workflow_id, const char *run_id, json_t **out,
                   struct lcw_error *err)
{
    struct store_val p[2] = {STORE_V_TEXT(run_id), STORE_V_TEXT(workflow_id)};
    int64_t n = 0;
    int rc = store_query_int(tx, "SELECT COUNT(*) FROM runs WHERE pk = ? AND parent = ?", p, 2, &n,
                             err);

    *out = NULL;
    if (rc)
        return rc;
    if (n == 0)
        return lcw_error_set(err, LCW_ENOTFOUND, "Run '%s' was not found in workflow '%s'", run_id,
                             workflow_id);
    return store_entity_get(tx, &store_ent_run, run_id, out, err);
}

struct status_counts {
    int64_t queued, in_progress, completed, with_errors, failed, canceled;
};

static int row_status_count(void *ctx, const struct store_val *c, size_t n)
{
    struct status_counts *sc = ctx;
    const char *s;

    if (n < 2 || c[0].kind != STORE_TEXT)
        return 0;
    s = c[0].s;
    if (strcmp(s, "queued") == 0)
        sc->queued = c[1].i;
    else if (strcmp(s, "inProgress") == 0)
        sc->in_progress = c[1].i;
    else if (strcmp(s, "completed") == 0)
        sc->completed = c[1].i;
    else if (strcmp(s, "completedWithErrors") == 0)
        sc->with_errors = c[1].i;
    else if (strcmp(s, "failed") == 0)
        sc->failed = c[1].i;
    else if (strcmp(s, "canceled") == 0)
        sc->canceled = c[1].i;
    return 0;
}

int engine__run_finish_if_done(struct store_tx *tx, const char *workflow_id, const char *run_id,
                               int64_t now_ms, struct lcw_error *err)
{
    struct store_val p = STORE_V_TEXT(run_id);
    struct status_counts sc = {0};
    json_t *run = NULL;
    const char *status;
    int64_t users;
    int rc;

    int64_t pending = 0;

    /* The common case, users still pending, costs one index probe. */
    rc = store_query_int(tx,
                         "SELECT COUNT(*) FROM (SELECT 1 FROM user_results WHERE run_id = ? AND"
                         " processing_status IN ('queued', 'inProgress') LIMIT 1) AS pending",
                         &p, 1, &pending, err);
    if (rc || pending)
        return rc;
    rc = store_exec(tx,
                    "SELECT processing_status, COUNT(*) FROM user_results WHERE run_id = ?"
                    " GROUP BY processing_status",
                    &p, 1, row_status_count, &sc, NULL, err);
    if (rc || sc.queued || sc.in_progress)
        return rc;
    rc = store_entity_get(tx, &store_ent_run, run_id, &run, err);
    if (rc)
        return rc;
    if (engine_is_final_status(jsonx_str(run, "processingStatus"))) {
        json_decref(run);
        return 0;
    }
    users = sc.completed + sc.with_errors + sc.failed;
    /* spec A.2: canceled while in progress -> canceled; all canceled before
     * starting -> completedWithErrors; canceled users are not failures. */
    if (jsonx_bool(run, K_CANCEL, false) && !json_is_null(json_object_get(run, "startedDateTime")))
        status = "canceled";
    else if (users == 0)
        status = sc.canceled ? "completedWithErrors" : "completed";
    else if (sc.completed == users && sc.canceled == 0)
        status = "completed";
    else if (sc.failed == users)
        status = "failed";
    else
        status = "completedWithErrors";
    json_object_set_new(run, "processingStatus", json_string(status));
    json_object_set_new(run, "completedDateTime", time_or_null(now_ms));
    json_object_set_new(run, "lastUpdatedDateTime", time_or_null(now_ms));
    rc = store_entity_put(tx, &store_ent_run, run_id, workflow_id, run, err);
    if (!rc)
        rc = engine__audit_run(tx, workflow_id, run, true, now_ms, err);
    if (!rc)
        log_info("run_finished", "workflow=%s run=%s status=%s users=%lld canceled=%lld",
                 workflow_id, run_id, status, (long long)users, (long long)sc.canceled);
    json_decref(run);
    return rc;
}

/* Cancel every not-yet-run task of a user result and finish it canceled. */
static int cancel_user_result(struct store_tx *tx, const char *workflow_id, json_t *ur,
                              const char *reason, int64_t now_ms, struct lcw_error *err)
{
    json_t *version = NULL, *tasks = json_object_get(ur, K_TASKS);
    size_t next = (size_t)jsonx_int(ur, K_NEXT, 0);
    int rc;

    rc = engine_version_get(tx, workflow_id, jsonx_int(ur, "workflowVersion", 1), &version, err);
    for (size_t i = next; !rc && i < json_array_size(tasks); i++) {
        const json_t *task =
                engine_version_task(version, json_string_value(json_array_get(tasks, i)));

        if (task)
            rc = engine__task_result_put(tx, workflow_id, ur, task, NULL, "canceled", reason, NULL,
                                         -1, now_ms, NULL, err);
    }
    json_decref(version);
    if (rc)
        return rc;
    json_object_set_new(ur, K_NEXT, json_integer((json_int_t)json_array_size(tasks)));
    json_object_set_new(ur, "processingStatus", json_string("canceled"));
    json_object_set_new(ur, "completedDateTime", time_or_null(now_ms));
    return store_entity_put(tx, &store_ent_user_result, jsonx_str(ur, "id"), workflow_id, ur, err);
}

static int row_doc_append(void *ctx, const struct store_val *c, size_t n)
{
    json_t *arr = ctx, *doc;
    json_error_t jerr;

    if (n < 1 || c[0].kind != STORE_TEXT)
        return LCW_EINTERNAL;
    doc = json_loads(c[0].s, 0, &jerr);
    if (!doc || json_array_append_new(arr, doc))
        return LCW_ENOMEM;
    return 0;
}

int engine_run_cancel(struct store_tx *tx, const char *workflow_id, const char *run_id,
                      int64_t now_ms, struct lcw_error *err)
{
    struct store_val p = STORE_V_TEXT(run_id);
    json_t *run = NULL, *queued = json_array();
    size_t i;
    json_t *ur;
    int rc;

    if (!queued)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    rc = engine_run_get(tx, workflow_id, run_id, &run, err);
    if (rc)
        goto out;
    if (engine_is_final_status(jsonx_str(run, "processingStatus"))) {
        rc = lcw_error_set(err, LCW_ECONFLICT,
                           "Run '%s' is already %s; only queued or in-progress runs can be "
                           "canceled",
                           run_id, jsonx_str(run, "processingStatus"));
        goto out;
    }
    json_object_set_new(run, K_CANCEL, json_true());
    json_object_set_new(run, "lastUpdatedDateTime", time_or_null(now_ms));
    rc = store_entity_put(tx, &store_ent_run, run_id, workflow_id, run, err);
    /* Users not yet started are canceled now; workers cancel the rest of
     * the users in progress before their next task. */
    if (!rc)
        rc = store_exec(tx,
                        "SELECT doc FROM user_results WHERE run_id = ? AND"
                        " processing_status = 'queued'",
                        &p, 1, row_doc_append, queued, NULL, err);
    json_array_foreach (queued, i, ur) {
        struct store_val wp = STORE_V_TEXT(jsonx_str(ur, "id"));

        if (rc)
            break;
        rc = cancel_user_result(tx, workflow_id, ur, "The run was canceled before this task ran",
                                now_ms, err);
        if (!rc)
            rc = store_exec(tx, "DELETE FROM work_items WHERE id = ?", &wp, 1, NULL, NULL, NULL,
                            err);
    }
    /* Users parked on a retry or a callback are woken now, so that their
     * workers cancel them at once instead of at the wait's deadline. */
    if (!rc)
        rc = store_exec(tx,
                        "UPDATE work_items SET available_at_ms = 0 WHERE run_id = ? AND"
                        " lease_owner IS NULL",
                        &p, 1, NULL, NULL, NULL, err);
    if (!rc)
        rc = engine__run_finish_if_done(tx, workflow_id, run_id, now_ms, err);
out:
    json_decref(run);
    json_decref(queued);
    return rc;
}

struct run_agg {
    int64_t users, ok, failed, tasks, failed_tasks, unprocessed, last_ms;
};

static int row_agg(void *ctx, const struct store_val *c, size_t n)
{
    struct run_agg *a = ctx;
    int64_t *f[] = {&a->users,        &a->ok,          &a->failed, &a->tasks,
                    &a->failed_tasks, &a->unprocessed, &a->last_ms};

    for (size_t i = 0; i < n && i < 7; i++)
        *f[i] = c[i].kind == STORE_INT ? c[i].i : 0;
    return 0;
}

int engine_run_add_counters(struct store_tx *tx, json_t *run, struct lcw_error *err)
{
    struct store_val p = STORE_V_TEXT(jsonx_str(run, "id"));
    struct run_agg a = {0};
    char ts[TIMEFMT_LEN];
    int64_t last = 0;
    const char *lu = jsonx_str(run, "lastUpdatedDateTime");
    int rc = store_exec(
            tx,
            "SELECT users, users_ok, users_failed, tasks, tasks_failed, tasks_unprocessed, last_ms"
            " FROM run_stats WHERE run_id = ?",
            &p, 1, row_agg, &a, NULL, err);

    if (rc)
        return rc;
    json_object_set_new(run, "totalUsersCount", json_integer(a.users));
    json_object_set_new(run, "successfulUsersCount", json_integer(a.ok));
    json_object_set_new(run, "failedUsersCount", json_integer(a.failed));
    json_object_set_new(run, "totalTasksCount", json_integer(a.tasks));
    json_object_set_new(run, "failedTasksCount", json_integer(a.failed_tasks));
    json_object_set_new(run, "totalUnprocessedTasksCount", json_integer(a.unprocessed));
    if (lu)
        (void)timefmt_parse(lu, strlen(lu), &last);
    if (a.last_ms > last)
        json_object_set_new(run, "lastUpdatedDateTime",
                            json_string(timefmt_format_ms(a.last_ms, ts)));
    return 0;
}

int engine_task_resume(struct store_tx *tx, const char *workflow_id, const char *task_id,
                       const char *task_result_id, bool is_success, const char *reasons,
                       int64_t now_ms, struct lcw_error *err)
{
    json_t *tr = NULL, *run = NULL;
    struct store_val p[2] = {STORE_V_TEXT(task_result_id), STORE_V_TEXT(workflow_id)};
    const json_t *parent_task;
    const char *parent_ok;
    int64_t mine = 0;
    int rc = store_query_int(tx, "SELECT COUNT(*) FROM task_results WHERE pk = ? AND parent = ?", p,
                             2, &mine, err);

    if (!rc && !mine)
        rc = LCW_ENOTFOUND;
    if (!rc)
        rc = store_entity_get(tx, &store_ent_task_result, task_result_id, &tr, err);
    if (rc == LCW_ENOTFOUND)
        return lcw_error_set(err, rc, "Task processing result '%s' was not found in workflow '%s'",
                             task_result_id, workflow_id);
    if (rc)
        return rc;
    /* A callback after its run was canceled changes nothing. */
    if (store_entity_get(tx, &store_ent_run, jsonx_str(tr, K_RUN_ID), &run, err) == 0 &&
        jsonx_bool(run, K_CANCEL, false)) {
        json_decref(run);
        rc = lcw_error_set(err, LCW_ECONFLICT,
                           "The run of task processing result '%s' was canceled; the callback "
                           "is not accepted",
                           task_result_id);
        goto out;
    }
    json_decref(run);
    parent_task = json_object_get(tr, "task");
    parent_ok = jsonx_str(parent_task, "id");
    if (!parent_ok || !lcw_str_eq_ci(parent_ok, task_id)) {
        rc = lcw_error_set(err, LCW_ENOTFOUND,
                           "Task processing result '%s' does not belong to task '%s'",
                           task_result_id, task_id);
        goto out;
    }
    /*
     * A custom task extension can call back before the worker has recorded
     * that it waits (the callout is still in flight, or it answered a request
     * that will be retried): its answer is taken, and the worker finds the
     * task finished when it records the callout (record_pending).
     */
    if (strcmp(jsonx_str(tr, "processingStatus") ? jsonx_str(tr, "processingStatus") : "",
               "inProgress") != 0 ||
        (!json_object_get(tr, K_WAIT_UNTIL) &&
         !lcw_str_eq_ci(jsonx_str(parent_task, "taskDefinitionId"),
                        MODEL_TASKDEF_CUSTOM_EXTENSION))) {
        rc = lcw_error_set(err, LCW_ECONFLICT,
                           "Task processing result '%s' is not waiting for a callback (status "
                           "%s)",
                           task_result_id, jsonx_str(tr, "processingStatus"));
        goto out;
    }
    json_object_set_new(tr, "processingStatus", json_string(is_success ? "completed" : "failed"));
    json_object_set_new(tr, "completedDateTime", time_or_null(now_ms));
    if (is_success)
        json_object_set_new(tr, "processingInfo",
                            json_string(reasons && *reasons ? reasons
                                                            : "The custom task extension reported "
                                                              "completion"));
    else
        json_object_set_new(tr, "failureReason",
                            json_string(reasons && *reasons ? reasons
                                                            : "The custom task extension reported "
                                                              "failure"));
    json_object_del(tr, K_WAIT_UNTIL);
    rc = store_entity_put(tx, &store_ent_task_result, task_result_id, workflow_id, tr, err);
    /* Wake the user's work item now instead of at the wait's deadline. */
    p[0] = STORE_V_INT(now_ms);
    p[1] = STORE_V_TEXT(jsonx_str(tr, K_USER_RESULT));
    if (!rc)
        rc = store_exec(tx,
                        "UPDATE work_items SET available_at_ms = ?, lease_owner = NULL,"
                        " lease_expires_at_ms = NULL WHERE id = ? AND lease_owner IS NULL",
                        p, 2, NULL, NULL, NULL, err);
out:
    json_decref(tr);
    return rc;
}

int engine_preview_create(struct engine *e, struct store_tx *tx, const json_t *workflow,
                          const char *const *user_ids, size_t n, int64_t now_ms,
                          char run_id[UUID_STR_LEN], struct lcw_error *err)
{
    const char *wf_id = jsonx_str(workflow, "id");
    struct engine_subject *subjects = lcw_calloc(n ? n : 1, sizeof(*subjects));
    struct engine_run_spec spec = {
            workflow, jsonx_int(workflow, "version", 1), "preview", NULL, subjects, n, NULL,
            now_ms};
    struct store_val p = STORE_V_TEXT(NULL);
    json_t *urs = json_array(), *version = NULL;
    size_t i;
    json_t *ur;
    int rc;

    if (!subjects || !urs) {
        lcw_free(subjects);
        json_decref(urs);
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < n; k++)
        subjects[k].user_id = user_ids[k];
    rc = engine_run_create(tx, &spec, run_id, err);
    p = STORE_V_TEXT(run_id);
    /* Nothing runs: the work items go, the results are written right here. */
    if (!rc)
        rc = store_exec(tx, "DELETE FROM work_items WHERE run_id = ?", &p, 1, NULL, NULL, NULL,
                        err);
    if (!rc)
        rc = store_exec(tx, "SELECT doc FROM user_results WHERE run_id = ?", &p, 1, row_doc_append,
                        urs, NULL, err);
    if (!rc)
        rc = engine_version_get(tx, wf_id, spec.version, &version, err);
    json_array_foreach (urs, i, ur) {
        json_t *ids = json_object_get(ur, K_TASKS);
        int64_t failed = 0;
        size_t k;
        json_t *tid;

        if (rc)
            break;
        json_array_foreach (ids, k, tid) {
            const json_t *task = engine_version_task(version, json_string_value(tid));
            const struct task_executor *x =
                    task ? tasks_find(jsonx_str(task, "taskDefinitionId")) : NULL;
            char reason[512] = "";
            bool ok = x != NULL;

            if (!task || rc)
                continue;
            if (!x)
                (void)snprintf(reason, sizeof(reason), "No executor exists for this task");
            else if (x->can_run)
                ok = x->can_run(&e->env, task, reason, sizeof(reason));
            failed += !ok;
            rc = engine__task_result_put(tx, wf_id, ur, task, NULL, ok ? "completed" : "failed",
                                         ok ? NULL : reason,
                                         ok ? "Preview only: this task would run; nothing was "
                                              "changed"
                                            : NULL,
                                         now_ms, now_ms, NULL, err);
        }
        json_object_set_new(ur, "processingStatus",
                            json_string(failed ? "completedWithErrors" : "completed"));
        json_object_set_new(ur, "startedDateTime", time_or_null(now_ms));
        json_object_set_new(ur, "completedDateTime", time_or_null(now_ms));
        json_object_set_new(ur, "failedTasksCount", json_integer(failed));
        json_object_set_new(ur, "totalUnprocessedTasksCount", json_integer(0));
        json_object_set_new(ur, K_NEXT, json_integer((json_int_t)json_array_size(ids)));
        if (!rc)
            rc = store_entity_put(tx, &store_ent_user_result, jsonx_str(ur, "id"), wf_id, ur, err);
    }
    if (!rc) {
        json_t *run = NULL;

        rc = store_entity_get(tx, &store_ent_run, run_id, &run, err);
        if (!rc) {
            json_object_set_new(run, "startedDateTime", time_or_null(now_ms));
            rc = store_entity_put(tx, &store_ent_run, run_id, wf_id, run, err);
        }
        json_decref(run);
    }
    if (!rc)
        rc = engine__run_finish_if_done(tx, wf_id, run_id, now_ms, err);
    json_decref(version);
    json_decref(urs);
    lcw_free(subjects);
    return rc;
}
