/* SPDX-License-Identifier: MIT */
/*
 * History reports: the summary functions of runs, user results, task
 * reports and a run's subjects, and the tenant-wide insights. Counts of
 * users and tasks come from the counter rows the store keeps per run and
 * per task of a run (store/stats.c), which change in the same transaction
 * as the results they count, so a summary always equals what its list
 * shows, and costs a sum over the runs of the window rather than over
 * their results. Windows are [startDateTime, endDateTime) on the scheduled
 * time of the run (a user result's scheduled time is its run's).
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

#define LW_FRAGMENT "identityGovernance/lifecycleWorkflows"

/* Parse "startDateTime=...,endDateTime=..." (values unquoted or in quotes). */
static int parse_window(struct api_req *req, struct api_resp *resp, size_t param, int64_t *start,
                        int64_t *end)
{
    char args[256];
    bool has_start = false, has_end = false;
    char *p;

    api_param(req, param, args, sizeof(args));
    p = args;
    while (*p) {
        char *comma = strchr(p, ','), *eq = strchr(p, '=');
        char *v;
        size_t n;
        int64_t *dst;

        if (comma)
            *comma = '\0';
        if (!eq) {
            api_error(resp, req, 400, "BadRequest",
                      "Function parameters must be name=value (got '%s')", p);
            return LCW_EINVAL;
        }
        *eq = '\0';
        v = eq + 1;
        n = strlen(v);
        if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
            v++;
            n -= 2;
        }
        if (lcw_str_eq_ci(p, "startDateTime")) {
            dst = start;
            has_start = true;
        } else if (lcw_str_eq_ci(p, "endDateTime")) {
            dst = end;
            has_end = true;
        } else {
            api_error(resp, req, 400, "BadRequest",
                      "Unknown function parameter '%s' (expected startDateTime and endDateTime)",
                      p);
            return LCW_EINVAL;
        }
        if (timefmt_parse(v, n, dst)) {
            api_error(resp, req, 400, "BadRequest",
                      "%s must be an RFC 3339 date and time such as 2026-01-01T00:00:00Z (got "
                      "'%.*s')",
                      p, (int)n, v);
            return LCW_EINVAL;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    if (!has_start || !has_end) {
        api_error(resp, req, 400, "BadRequest",
                  "Both startDateTime and endDateTime are required, e.g. "
                  "summary(startDateTime=2026-01-01T00:00:00Z,endDateTime=2026-02-01T00:00:00Z)");
        return LCW_EINVAL;
    }
    if (*end < *start) {
        api_error(resp, req, 400, "BadRequest", "endDateTime is before startDateTime");
        return LCW_EINVAL;
    }
    return 0;
}

struct ints {
    int64_t v[12];
    size_t n;
};

static int row_ints(void *ctx, const struct store_val *c, size_t n)
{
    struct ints *r = ctx;

    r->n = n < 12 ? n : 12;
    for (size_t i = 0; i < r->n; i++)
        r->v[i] = c[i].kind == STORE_INT ? c[i].i : 0;
    return 0;
}

/* Check the workflow (live, or deleted under deletedItems) exists. */
static int workflow_exists(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                           const char *id)
{
    struct store_val p = STORE_V_TEXT(id);
    struct lcw_error err = {0};
    int64_t n = 0;
    bool is_deleted_route = strcasestr(req->path, "/deletedItems/") != NULL;
    int rc = store_query_int(tx,
                             is_deleted_route ? "SELECT COUNT(*) FROM workflows WHERE pk = ? AND"
                                                " deleted_at_ms IS NOT NULL"
                                              : "SELECT COUNT(*) FROM workflows WHERE pk = ? AND"
                                                " deleted_at_ms IS NULL",
                             &p, 1, &n, &err);

    if (!rc && !n)
        rc = lcw_error_set(&err, LCW_ENOTFOUND, "Workflow '%s' was not found", id);
    if (rc)
        api_error_from(resp, req, &err);
    return rc;
}

/* Users and tasks of the runs `r` joined to their counters `s`. */
#define USER_AGG                                                    \
    "COALESCE(SUM(s.users), 0), COALESCE(SUM(s.users_ok), 0),"      \
    " COALESCE(SUM(s.users_failed), 0), COALESCE(SUM(s.tasks), 0)," \
    " COALESCE(SUM(s.tasks_failed), 0), COALESCE(SUM(s.tasks_unprocessed), 0)"

/* Users and tasks of a workflow's runs in the window (and of one run when given). */
static int user_aggregate(struct store_tx *tx, const char *wf_id, const char *run_id, int64_t start,
                          int64_t end, struct ints *out, struct lcw_error *err)
{
    struct store_val p[4] = {STORE_V_TEXT(wf_id), STORE_V_INT(start), STORE_V_INT(end),
                             STORE_V_TEXT(run_id)};

    memset(out, 0, sizeof(*out));
    return store_exec(tx,
                      run_id ? "SELECT " USER_AGG " FROM runs r JOIN run_stats s ON s.run_id = r.pk"
                               " WHERE r.parent = ? AND r.scheduled_at_ms >= ? AND"
                               " r.scheduled_at_ms < ? AND r.pk = ?"
                             : "SELECT " USER_AGG " FROM runs r JOIN run_stats s ON s.run_id = r.pk"
                               " WHERE r.parent = ? AND r.scheduled_at_ms >= ? AND"
                               " r.scheduled_at_ms < ?",
                      p, run_id ? 4 : 3, row_ints, out, NULL, err);
}

enum summary_kind { SUM_RUNS, SUM_USERS, SUM_TASKS, SUM_SUBJECTS };

static void summary(struct api_req *req, struct api_resp *resp, enum summary_kind kind)
{
    char wf_id[128], run_id[128], f[300];
    struct store_tx tx;
    struct lcw_error err = {0};
    struct ints u, r;
    int64_t start, end;
    json_t *out = NULL;
    int rc;

    api_param(req, 0, wf_id, sizeof(wf_id));
    if (kind == SUM_SUBJECTS)
        api_param(req, 1, run_id, sizeof(run_id));
    if (parse_window(req, resp, kind == SUM_SUBJECTS ? 2 : 1, &start, &end))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        return;
    if (workflow_exists(&tx, req, resp, wf_id))
        goto done;
    rc = user_aggregate(&tx, wf_id, kind == SUM_SUBJECTS ? run_id : NULL, start, end, &u, &err);
    if (!rc && kind == SUM_TASKS) {
        /* Task reports are built from task results: the summary is too, so
         * that it equals the sum of the reports even while runs are going. */
        struct store_val p[3] = {STORE_V_TEXT(wf_id), STORE_V_INT(start), STORE_V_INT(end)};

        memset(&r, 0, sizeof(r));
        rc = store_exec(&tx,
                        "SELECT COALESCE(SUM(t.total), 0), COALESCE(SUM(t.completed), 0),"
                        " COALESCE(SUM(t.failed), 0)"
                        " FROM runs r JOIN run_task_stats t ON t.run_id = r.pk"
                        " WHERE r.parent = ? AND r.scheduled_at_ms >= ? AND r.scheduled_at_ms < ?",
                        p, 3, row_ints, &r, NULL, &err);
    }
    if (!rc && kind == SUM_RUNS) {
        struct store_val p[3] = {STORE_V_TEXT(wf_id), STORE_V_INT(start), STORE_V_INT(end)};

        memset(&r, 0, sizeof(r));
        rc = store_exec(&tx,
                        "SELECT COUNT(*),"
                        " SUM(CASE WHEN processing_status = 'completed' THEN 1 ELSE 0 END),"
                        " SUM(CASE WHEN processing_status IN ('failed', 'completedWithErrors')"
                        " THEN 1 ELSE 0 END)"
                        " FROM runs WHERE parent = ? AND scheduled_at_ms >= ? AND"
                        " scheduled_at_ms < ?",
                        p, 3, row_ints, &r, NULL, &err);
    }
    if (rc) {
        api_error_from(resp, req, &err);
        goto done;
    }
    /* u: users, ok users, failed users, tasks, failed tasks, unprocessed tasks. */
    switch (kind) {
    case SUM_RUNS:
        out = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "failedRuns", (json_int_t)r.v[2],
                        "failedTasks", (json_int_t)u.v[4], "successfulRuns", (json_int_t)r.v[1],
                        "totalRuns", (json_int_t)r.v[0], "totalTasks", (json_int_t)u.v[3],
                        "totalUsers", (json_int_t)u.v[0]);
        (void)snprintf(f, sizeof(f), "microsoft.graph.identityGovernance.runSummary");
        break;
    case SUM_USERS:
        out = json_pack("{s:I, s:I, s:I, s:I, s:I}", "failedTasks", (json_int_t)u.v[4],
                        "failedUsers", (json_int_t)u.v[2], "successfulUsers", (json_int_t)u.v[1],
                        "totalTasks", (json_int_t)u.v[3], "totalUsers", (json_int_t)u.v[0]);
        (void)snprintf(f, sizeof(f), "microsoft.graph.identityGovernance.userSummary");
        break;
    case SUM_TASKS:
        /* r: the task results of the window, as the task reports count them. */
        out = json_pack("{s:I, s:I, s:I, s:I}", "failedTasks", (json_int_t)r.v[2],
                        "successfulTasks", (json_int_t)r.v[1], "totalTasks", (json_int_t)r.v[0],
                        "unprocessedTasks", (json_int_t)(r.v[0] - r.v[1] - r.v[2]));
        (void)snprintf(f, sizeof(f), "microsoft.graph.identityGovernance.taskReportSummary");
        break;
    case SUM_SUBJECTS:
        out = json_pack("{s:I, s:I, s:I, s:I, s:I}", "failedSubjects", (json_int_t)u.v[2],
                        "failedTasks", (json_int_t)u.v[4], "successfulSubjects", (json_int_t)u.v[1],
                        "totalSubjects", (json_int_t)u.v[0], "totalTasks", (json_int_t)u.v[3]);
        (void)snprintf(f, sizeof(f), "microsoft.graph.identityGovernance.subjectSummary");
        break;
    }
    api__json(req, resp, 200, out, f);
done:
    store_tx_rollback(&tx);
}

void api_runs_summary(struct api_req *req, struct api_resp *resp)
{
    summary(req, resp, SUM_RUNS);
}

void api_user_results_summary(struct api_req *req, struct api_resp *resp)
{
    summary(req, resp, SUM_USERS);
}

void api_task_reports_summary(struct api_req *req, struct api_resp *resp)
{
    summary(req, resp, SUM_TASKS);
}

void api_run_subjects_summary(struct api_req *req, struct api_resp *resp)
{
    summary(req, resp, SUM_SUBJECTS);
}

/* ---------------------------------------------------------------- insights */

#define RUN_AGG                                                            \
    "COUNT(*),"                                                            \
    " SUM(CASE WHEN r.processing_status = 'completed' THEN 1 ELSE 0 END)," \
    " SUM(CASE WHEN r.processing_status IN ('failed', 'completedWithErrors') THEN 1 ELSE 0 END)"

/* Users and tasks of runs in the window: (users, ok, failed, tasks, failed tasks, unproc). */
static int insight_users(struct store_tx *tx, int64_t start, int64_t end, const char *category,
                         struct ints *out, struct lcw_error *err)
{
    struct store_val p[3] = {STORE_V_INT(start), STORE_V_INT(end), STORE_V_TEXT(category)};

    memset(out, 0, sizeof(*out));
    return store_exec(tx,
                      category ? "SELECT " USER_AGG " FROM runs r JOIN run_stats s ON s.run_id ="
                                 " r.pk WHERE r.scheduled_at_ms >= ? AND r.scheduled_at_ms < ? AND"
                                 " r.parent IN (SELECT pk FROM workflows WHERE category = ?)"
                               : "SELECT " USER_AGG " FROM runs r JOIN run_stats s ON s.run_id ="
                                 " r.pk WHERE r.scheduled_at_ms >= ? AND r.scheduled_at_ms < ?",
                      p, category ? 3 : 2, row_ints, out, NULL, err);
}

static int insight_runs(struct store_tx *tx, int64_t start, int64_t end, const char *category,
                        struct ints *out, struct lcw_error *err)
{
    struct store_val p[3] = {STORE_V_INT(start), STORE_V_INT(end), STORE_V_TEXT(category)};

    memset(out, 0, sizeof(*out));
    return store_exec(tx,
                      category ? "SELECT " RUN_AGG " FROM runs r JOIN workflows w ON w.pk ="
                                 " r.parent WHERE r.scheduled_at_ms >= ? AND r.scheduled_at_ms < ?"
                                 " AND w.category = ?"
                               : "SELECT " RUN_AGG " FROM runs r WHERE r.scheduled_at_ms >= ? AND"
                                 " r.scheduled_at_ms < ?",
                      p, category ? 3 : 2, row_ints, out, NULL, err);
}

void api_insights_summary(struct api_req *req, struct api_resp *resp)
{
    struct store_tx tx;
    struct lcw_error err = {0};
    struct ints r, u;
    int64_t start, end;

    if (parse_window(req, resp, 0, &start, &end) || api__tx_begin(req, resp, &tx, STORE_TX_READ))
        return;
    if (insight_runs(&tx, start, end, NULL, &r, &err) ||
        insight_users(&tx, start, end, NULL, &u, &err)) {
        api_error_from(resp, req, &err);
    } else {
        api__json(req, resp, 200,
                  json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "totalRuns",
                            (json_int_t)r.v[0], "successfulRuns", (json_int_t)r.v[1], "failedRuns",
                            (json_int_t)r.v[2], "totalUsers", (json_int_t)u.v[0], "successfulUsers",
                            (json_int_t)u.v[1], "failedUsers", (json_int_t)u.v[2], "totalTasks",
                            (json_int_t)u.v[3], "successfulTasks",
                            (json_int_t)(u.v[3] - u.v[4] - u.v[5]), "failedTasks",
                            (json_int_t)u.v[4]),
                  "microsoft.graph.identityGovernance.workflowsInsightsSummary");
    }
    store_tx_rollback(&tx);
}

void api_insights_by_category(struct api_req *req, struct api_resp *resp)
{
    static const char *const cats[] = {"joiner", "mover", "leaver"};
    static const char *const names[] = {"Joiner", "Mover", "Leaver"};
    struct store_tx tx;
    struct lcw_error err = {0};
    int64_t start, end;
    json_t *out = json_object();
    int rc = 0;

    if (parse_window(req, resp, 0, &start, &end) || api__tx_begin(req, resp, &tx, STORE_TX_READ)) {
        json_decref(out);
        return;
    }
    for (size_t i = 0; !rc && i < 3; i++) {
        struct ints r;
        char k[64];

        rc = insight_runs(&tx, start, end, cats[i], &r, &err);
        (void)snprintf(k, sizeof(k), "total%sRuns", names[i]);
        json_object_set_new(out, k, json_integer(r.v[0]));
        (void)snprintf(k, sizeof(k), "successful%sRuns", names[i]);
        json_object_set_new(out, k, json_integer(r.v[1]));
        (void)snprintf(k, sizeof(k), "failed%sRuns", names[i]);
        json_object_set_new(out, k, json_integer(r.v[2]));
    }
    if (rc)
        api_error_from(resp, req, &err);
    else
        api__json(req, resp, 200, json_incref(out),
                  "microsoft.graph.identityGovernance.workflowsInsightsByCategory");
    store_tx_rollback(&tx);
    json_decref(out);
}

struct top_rows {
    json_t *items;
    bool is_tasks;
};

static int row_top(void *ctx, const struct store_val *c, size_t n)
{
    struct top_rows *t = ctx;
    json_t *item;

    if (n < 9)
        return LCW_EINTERNAL;
    if (t->is_tasks) {
        const struct model_task_def *d = model_task_definition_find(c[0].s ? c[0].s : "");

        item = json_pack("{s:s?, s:s?, s:I, s:I, s:I, s:I, s:I, s:I}", "taskDefinitionId",
                         d ? d->id : c[0].s, "taskDefinitionDisplayName",
                         d ? d->display_name : NULL, "totalTasks", (json_int_t)c[1].i,
                         "successfulTasks", (json_int_t)c[2].i, "failedTasks", (json_int_t)c[3].i,
                         "totalUsers", (json_int_t)c[4].i, "successfulUsers", (json_int_t)c[5].i,
                         "failedUsers", (json_int_t)c[6].i);
    } else {
        item = json_pack("{s:s?, s:s?, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "workflowId",
                         c[0].s, "workflowDisplayName", c[1].s, "workflowCategory", c[2].s,
                         "workflowVersion", (json_int_t)c[3].i, "totalRuns", (json_int_t)c[4].i,
                         "successfulRuns", (json_int_t)c[5].i, "failedRuns", (json_int_t)c[6].i,
                         "totalUsers", (json_int_t)c[7].i, "successfulUsers", (json_int_t)c[8].i,
                         "failedUsers", (json_int_t)(n > 9 ? c[9].i : 0));
    }
    return item && !json_array_append_new(t->items, item) ? 0 : LCW_ENOMEM;
}

/* A top-10 insight: one grouped query over the runs of the window (two ? for it). */
static void top_insight(struct api_req *req, struct api_resp *resp, bool is_tasks, const char *sql,
                        const char *type)
{
    struct store_tx tx;
    struct lcw_error err = {0};
    struct top_rows t = {json_array(), is_tasks};
    struct store_val p[2];
    int64_t start, end;

    if (parse_window(req, resp, 0, &start, &end) || api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    p[0] = STORE_V_INT(start);
    p[1] = STORE_V_INT(end);
    if (store_exec(&tx, sql, p, 2, row_top, &t, NULL, &err))
        api_error_from(resp, req, &err);
    else
        api__json(req, resp, 200, json_pack("{s:O}", "value", t.items), type);
    store_tx_rollback(&tx);
out:
    json_decref(t.items);
}

void api_insights_top_workflows(struct api_req *req, struct api_resp *resp)
{
    /* The ten workflows with the most runs in the window; users from the run counters. */
    top_insight(req, resp, false,
                "SELECT w.pk, w.display_name, w.category, w.version, COUNT(*) AS total_runs,"
                " SUM(CASE WHEN r.processing_status = 'completed' THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN r.processing_status IN ('failed', 'completedWithErrors')"
                " THEN 1 ELSE 0 END),"
                " COALESCE(SUM(s.users), 0), COALESCE(SUM(s.users_ok), 0),"
                " COALESCE(SUM(s.users_failed), 0)"
                " FROM runs r JOIN workflows w ON w.pk = r.parent"
                " LEFT JOIN run_stats s ON s.run_id = r.pk"
                " WHERE r.scheduled_at_ms >= ? AND r.scheduled_at_ms < ?"
                " GROUP BY w.pk, w.display_name, w.category, w.version"
                " ORDER BY total_runs DESC, w.pk LIMIT 10",
                "Collection(microsoft.graph.identityGovernance.topWorkflowsInsightsSummary)");
}

void api_insights_top_tasks(struct api_req *req, struct api_resp *resp)
{
    /*
     * A task counts once per user per run: the per-(run, task) counters are
     * exactly that. A user counts once per run for a task definition even
     * when the workflow has that definition twice: within a run every user
     * gets a result for every task, so the larger of the two counts is the
     * number of users (and of users with a completed or failed one).
     */
    top_insight(req, resp, true,
                "SELECT def, SUM(tasks) AS n, SUM(ok), SUM(bad), SUM(users), SUM(users_ok),"
                " SUM(users_bad), 0, 0 FROM ("
                "  SELECT t.task_definition_id AS def, SUM(t.total) AS tasks,"
                "  SUM(t.completed) AS ok, SUM(t.failed) AS bad, MAX(t.total) AS users,"
                "  MAX(t.completed) AS users_ok, MAX(t.failed) AS users_bad"
                "  FROM runs r JOIN run_task_stats t ON t.run_id = r.pk"
                "  WHERE r.scheduled_at_ms >= ? AND r.scheduled_at_ms < ? AND"
                "  t.task_definition_id IS NOT NULL GROUP BY r.pk, t.task_definition_id) x"
                " GROUP BY def ORDER BY n DESC, def LIMIT 10",
                "Collection(microsoft.graph.identityGovernance.topTasksInsightsSummary)");
}
