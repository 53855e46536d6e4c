/* SPDX-License-Identifier: MIT */
/*
 * lcw's run commands: on-demand activation (run), run history (runs,
 * results), reprocess (a run, selected results, or every failed result
 * since a time, with --plan and --wait) and the CSV export. --wait polls
 * the new run until its processingStatus is final, with a progress line on
 * a terminal, and exits 4 unless the run ended `completed`.
 * Single-threaded.
 */
#include "cli_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define LW   "/v1.0/identityGovernance/lifecycleWorkflows"
#define NS   "#microsoft.graph.identityGovernance."
#define N(a) (sizeof(a) / sizeof((a)[0]))

#define POLL_FIRST_MS 200
#define POLL_MAX_MS   2000

static const struct cli_col run_cols[] = {
        {"ID", "id"},
        {"STATUS", "processingStatus"},
        {"TYPE", "workflowExecutionType"},
        {"SCHEDULED", "scheduledDateTime"},
        {"COMPLETED", "completedDateTime"},
        {"USERS", "totalUsersCount"},
        {"FAILED USERS", "failedUsersCount"},
        {"TASKS", "totalTasksCount"},
        {"FAILED TASKS", "failedTasksCount"},
};

static const struct cli_col run_fields[] = {
        {"ID", "id"},
        {"Status", "processingStatus"},
        {"Type", "workflowExecutionType"},
        {"Scheduled", "scheduledDateTime"},
        {"Started", "startedDateTime"},
        {"Completed", "completedDateTime"},
        {"Users", "totalUsersCount"},
        {"Successful users", "successfulUsersCount"},
        {"Failed users", "failedUsersCount"},
        {"Tasks", "totalTasksCount"},
        {"Failed tasks", "failedTasksCount"},
        {"Unprocessed tasks", "totalUnprocessedTasksCount"},
        {"Activated on scope", "activatedOnScope/@odata.type"},
};

static const struct cli_col result_cols[] = {
        {"ID", "id"},
        {"USER", "subject/userPrincipalName"},
        {"STATUS", "processingStatus"},
        {"TYPE", "workflowExecutionType"},
        {"SCHEDULED", "scheduledDateTime"},
        {"COMPLETED", "completedDateTime"},
        {"TASKS", "totalTasksCount"},
        {"FAILED TASKS", "failedTasksCount"},
};

static bool is_terminal_format(const struct cli *c)
{
    return !c->o.want_json && !c->o.want_csv && !c->o.want_quiet;
}

static bool is_final(const char *status)
{
    return status &&
           (strcmp(status, "completed") == 0 || strcmp(status, "completedWithErrors") == 0 ||
            strcmp(status, "failed") == 0 || strcmp(status, "canceled") == 0);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0) {
        /* EINTR: sleep for the rest */
    }
}

/* Append "$filter=..." pieces joined with " and "; `f` collects the filter text. */
static int filter_status(struct cli *c, struct buf *f, const char *statuses)
{
    char one[64];
    const char *p = statuses;
    size_t n_seen = 0;
    int rc = buf_puts(f, f->len ? " and processingStatus in (" : "processingStatus in (");

    while (!rc && *p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);

        if (n == 0 || n >= sizeof(one))
            return cli__fail(c, CLI_EUSAGE, "--status: '%s' is not a list of statuses", statuses);
        memcpy(one, p, n);
        one[n] = '\0';
        if (!cli__is_status(one))
            return cli__fail(c, CLI_EUSAGE,
                             "--status: '%s' is not one of queued, inProgress, completed, "
                             "completedWithErrors, canceled, failed",
                             one);
        rc = buf_printf(f, "%s'%s'", n_seen++ ? ", " : "", one);
        p = comma ? comma + 1 : p + n;
    }
    if (!rc)
        rc = buf_putc(f, ')');
    return rc ? cli__fail(c, CLI_EUSAGE, "--status too long") : CLI_OK;
}

static int filter_since(struct cli *c, struct buf *f, const char *property, const char *since)
{
    char when[TIMEFMT_LEN];
    int rc = cli__since(c, since, when);

    if (rc)
        return rc;
    if (buf_printf(f, "%s%s ge %s", f->len ? " and " : "", property, when))
        return cli__fail(c, CLI_EUSAGE, "filter too long");
    return CLI_OK;
}

/* GET all pages of `base` + "?$filter=<filter>" (+ extra query) and print. */
static int list_filtered(struct cli *c, const char *base, const struct buf *filter,
                         const char *expand, const struct cli_col *cols, size_t n_cols)
{
    struct buf path;
    json_t *items = NULL;
    int rc = CLI_OK;

    buf_init(&path, 16384);
    if (buf_puts(&path, base) ||
        (filter->len && cli__query_add(&path, "$filter", buf_cstr(filter))) ||
        (expand && cli__query_add(&path, "$expand", expand)))
        rc = cli__fail(c, CLI_EUSAGE, "request too long");
    if (!rc)
        rc = cli__api_all(c, buf_cstr(&path), &items);
    if (!rc)
        rc = cli__print_list(c, items, cols, n_cols);
    json_decref(items);
    buf_release(&path);
    return rc;
}

/* ------------------------------------------------------------------ waiting */

/*
 * Poll the run until it is final; progress on a terminal. *out is the
 * final run. Returns CLI_OK when it completed, CLI_EFAILED otherwise.
 */
static int follow_run(struct cli *c, const char *wf_id, const char *run_id, json_t **out)
{
    char path[512];
    long delay = POLL_FIRST_MS;
    json_t *run = NULL;
    int rc;

    (void)snprintf(path, sizeof(path), LW "/workflows/%s/runs/%s", wf_id, run_id);
    for (;;) {
        const char *status;

        json_decref(run);
        run = NULL;
        rc = cli__api(c, "GET", path, NULL, &run, NULL);
        if (rc)
            return rc;
        status = jsonx_str(run, "processingStatus");
        cli__progress(c, "users",
                      (long)(jsonx_int(run, "successfulUsersCount", 0) +
                             jsonx_int(run, "failedUsersCount", 0)),
                      (long)jsonx_int(run, "totalUsersCount", 0),
                      (long)jsonx_int(run, "failedUsersCount", 0));
        if (is_final(status))
            break;
        sleep_ms(delay);
        delay = delay * 2 > POLL_MAX_MS ? POLL_MAX_MS : delay * 2;
    }
    cli__progress_end(c);
    (void)fprintf(stderr, "Run %s %s: %lld users, %lld failed; %lld tasks, %lld failed\n", run_id,
                  jsonx_str(run, "processingStatus"),
                  (long long)jsonx_int(run, "totalUsersCount", 0),
                  (long long)jsonx_int(run, "failedUsersCount", 0),
                  (long long)jsonx_int(run, "totalTasksCount", 0),
                  (long long)jsonx_int(run, "failedTasksCount", 0));
    *out = run;
    return strcmp(jsonx_str(run, "processingStatus"), "completed") == 0 ? CLI_OK : CLI_EFAILED;
}

/*
 * POST an activation (`action` = "activate" or "activateWithScope"), then
 * print the new run, or follow it with --wait.
 */
static int activate(struct cli *c, const char *wf_id, const char *action, const json_t *body)
{
    char path[512], run_id[UUID_STR_LEN] = "";
    json_t *run = NULL, *final = NULL;
    int rc, wait_rc = CLI_OK;

    (void)snprintf(path, sizeof(path), LW "/workflows/%s/%s", wf_id, action);
    rc = cli__api(c, "POST", path, body, &run, NULL);
    if (rc)
        return rc;
    if (jsonx_str(run, "id")) {
        lcw_strlcpy(run_id, jsonx_str(run, "id"), sizeof(run_id));
    } else {
        /* 204: the Location header names the run. */
        const char *slash = strrchr(c->location, '/');

        if (!slash || !uuid_valid(slash + 1, strlen(slash + 1))) {
            json_decref(run);
            return cli__fail(c, CLI_EAPI, "the server did not say which run it created");
        }
        lcw_strlcpy(run_id, slash + 1, sizeof(run_id));
    }
    if (!c->o.wait && is_terminal_format(c))
        (void)fprintf(stderr, "Started run %s (follow it with 'lcw runs show %s %s')\n", run_id,
                      wf_id, run_id);
    if (c->o.wait) {
        wait_rc = follow_run(c, wf_id, run_id, &final);
        if (wait_rc != CLI_OK && wait_rc != CLI_EFAILED) {
            json_decref(run);
            return wait_rc;
        }
        json_decref(run);
        run = final;
    } else if (!run || !jsonx_str(run, "id")) {
        json_decref(run);
        (void)snprintf(path, sizeof(path), LW "/workflows/%s/runs/%s", wf_id, run_id);
        rc = cli__api(c, "GET", path, NULL, &run, NULL);
        if (rc)
            return rc;
    }
    rc = cli__print_object(c, run, run_fields, N(run_fields));
    json_decref(run);
    return rc ? rc : wait_rc;
}

int cli__cmd_run(struct cli *c)
{
    char wf_id[UUID_STR_LEN] = "", uid[UUID_STR_LEN];
    json_t *body = NULL, *subjects;
    int rc;

    if (c->o.n_users == 0)
        return cli__fail(c, CLI_EUSAGE, "name the users to run the workflow for with --user");
    rc = cli__workflow_id(c, c->args[0], false, wf_id);
    if (rc)
        return rc;
    body = json_pack("{s:[]}", "subjects");
    subjects = json_object_get(body, "subjects");
    if (!body)
        return cli__fail(c, CLI_EUSAGE, "out of memory");
    for (size_t i = 0; i < c->o.n_users && !rc; i++) {
        struct cli_apierr e = {0};

        rc = cli__user_id(c, c->o.users[i], uid, &e);
        if (rc == CLI_EAPI && e.status == 404)
            rc = cli__fail(c, CLI_EAPI, "no user '%s' in the directory", c->o.users[i]);
        else if (rc && e.exit)
            rc = cli__apierr_print(&e); /* else already reported (a usage error) */
        else if (json_array_append_new(subjects, json_pack("{s:s}", "id", uid)))
            rc = cli__fail(c, CLI_EUSAGE, "out of memory");
    }
    if (!rc)
        rc = activate(c, wf_id, "activate", body);
    json_decref(body);
    return rc;
}

/* -------------------------------------------------------------------- runs */

int cli__cmd_runs_list(struct cli *c)
{
    char wf_id[UUID_STR_LEN] = "", base[512];
    struct buf filter;
    int rc = CLI_OK;

    /* Check the options before asking the server anything. */
    buf_init(&filter, 8192);
    if (c->o.status)
        rc = filter_status(c, &filter, c->o.status);
    if (!rc && c->o.since)
        rc = filter_since(c, &filter, "scheduledDateTime", c->o.since);
    if (!rc)
        rc = cli__workflow_id(c, c->args[0], false, wf_id);
    (void)snprintf(base, sizeof(base), LW "/workflows/%s/runs", wf_id);
    if (!rc)
        rc = list_filtered(c, base, &filter, NULL, run_cols, N(run_cols));
    buf_release(&filter);
    return rc;
}

/* "/workflows/{wf}/<collection>/{id}" for WORKFLOW args[0] and id args[1]. */
static int item_path(struct cli *c, const char *collection, char *out, size_t size,
                     char wf_id[UUID_STR_LEN])
{
    struct buf enc;
    int rc = cli__workflow_id(c, c->args[0], false, wf_id);

    if (rc)
        return rc;
    buf_init(&enc, 512);
    if (cli__urlenc(&enc, c->args[1])) {
        buf_release(&enc);
        return cli__fail(c, CLI_EUSAGE, "id too long");
    }
    (void)snprintf(out, size, LW "/workflows/%s/%s/%s", wf_id, collection, buf_cstr(&enc));
    buf_release(&enc);
    return CLI_OK;
}

int cli__cmd_runs_show(struct cli *c)
{
    char wf_id[UUID_STR_LEN] = "", path[1024] = "";
    json_t *run = NULL;
    int rc = item_path(c, "runs", path, sizeof(path), wf_id);

    if (!rc)
        rc = cli__api(c, "GET", path, NULL, &run, NULL);
    if (!rc)
        rc = cli__print_object(c, run, run_fields, N(run_fields));
    json_decref(run);
    return rc;
}

int cli__cmd_runs_summary(struct cli *c)
{
    static const struct cli_col fields[] = {
            {"Total runs", "totalRuns"},   {"Successful runs", "successfulRuns"},
            {"Failed runs", "failedRuns"}, {"Total users", "totalUsers"},
            {"Total tasks", "totalTasks"}, {"Failed tasks", "failedTasks"},
    };
    char wf_id[UUID_STR_LEN] = "", start[TIMEFMT_LEN] = "", end[TIMEFMT_LEN] = "", path[512];
    json_t *sum = NULL;
    int rc = cli__workflow_id(c, c->args[0], false, wf_id);

    if (!rc)
        rc = cli__since(c, c->o.since ? c->o.since : "30d", start);
    if (!rc) {
        /* The window ends after now (the next whole second): the end is exclusive. */
        int64_t now_ms = lcw_clock_now(lcw_clock_system());

        timefmt_format(now_ms - now_ms % 1000 + 1000, end);
    }
    (void)snprintf(path, sizeof(path),
                   LW "/workflows/%s/runs/summary(startDateTime=%s,endDateTime=%s)", wf_id, start,
                   end);
    if (!rc)
        rc = cli__api(c, "GET", path, NULL, &sum, NULL);
    if (!rc && is_terminal_format(c))
        (void)printf("Window: %s .. %s\n", start, end);
    if (!rc)
        rc = cli__print_object(c, sum, fields, N(fields));
    json_decref(sum);
    return rc;
}

int cli__cmd_runs_cancel(struct cli *c)
{
    char wf_id[UUID_STR_LEN] = "", path[512];
    json_t *body;
    int rc = cli__workflow_id(c, c->args[0], false, wf_id);

    if (rc)
        return rc;
    body = json_pack("{s:{s:s, s:[{s:s}]}}", "scope", "@odata.type", NS "cancelRunsScope", "runs",
                     "id", c->args[1]);
    if (!body)
        return cli__fail(c, CLI_EUSAGE, "out of memory");
    (void)snprintf(path, sizeof(path), LW "/workflows/%s/cancelProcessing", wf_id);
    rc = cli__api(c, "POST", path, body, NULL, NULL);
    if (!rc)
        (void)fprintf(stderr, "Canceling run %s; users not yet processed will be canceled\n",
                      c->args[1]);
    json_decref(body);
    return rc;
}

/* ----------------------------------------------------------------- results */

int cli__cmd_results_list(struct cli *c)
{
    char wf_id[UUID_STR_LEN] = "", base[768];
    struct buf filter, enc;
    int rc = CLI_OK;

    buf_init(&filter, 8192);
    buf_init(&enc, 512);
    if (c->o.status)
        rc = filter_status(c, &filter, c->o.status);
    if (!rc && c->o.since)
        rc = filter_since(c, &filter, "scheduledDateTime", c->o.since);
    if (!rc)
        rc = cli__workflow_id(c, c->args[0], false, wf_id);
    if (!rc && c->o.run && cli__urlenc(&enc, c->o.run))
        rc = cli__fail(c, CLI_EUSAGE, "--run: id too long");
    if (c->o.run)
        (void)snprintf(base, sizeof(base), LW "/workflows/%s/runs/%s/userProcessingResults", wf_id,
                       buf_cstr(&enc));
    else
        (void)snprintf(base, sizeof(base), LW "/workflows/%s/userProcessingResults", wf_id);
    if (!rc)
        rc = list_filtered(c, base, &filter, "subject", result_cols, N(result_cols));
    buf_release(&enc);
    buf_release(&filter);
    return rc;
}

int cli__cmd_results_show(struct cli *c)
{
    static const struct cli_col fields[] = {
            {"ID", "id"},
            {"User", "subject/userPrincipalName"},
            {"User id", "subject/id"},
            {"Status", "processingStatus"},
            {"Type", "workflowExecutionType"},
            {"Workflow version", "workflowVersion"},
            {"Scheduled", "scheduledDateTime"},
            {"Started", "startedDateTime"},
            {"Completed", "completedDateTime"},
            {"Tasks", "totalTasksCount"},
            {"Failed tasks", "failedTasksCount"},
            {"Unprocessed tasks", "totalUnprocessedTasksCount"},
    };
    static const struct cli_col task_cols[] = {
            {"TASK", "task/displayName"},        {"STATUS", "processingStatus"},
            {"STARTED", "startedDateTime"},      {"COMPLETED", "completedDateTime"},
            {"FAILURE REASON", "failureReason"}, {"INFO", "processingInfo"},
    };
    char wf_id[UUID_STR_LEN] = "", path[1024] = "", tasks_path[1100];
    json_t *res = NULL, *tasks = NULL;
    int rc = item_path(c, "userProcessingResults", path, sizeof(path), wf_id);

    (void)snprintf(tasks_path, sizeof(tasks_path), "%s/taskProcessingResults", path);
    if (!rc && strlen(path) + sizeof("?$expand=subject") < sizeof(path))
        memcpy(path + strlen(path), "?$expand=subject", sizeof("?$expand=subject"));
    if (!rc)
        rc = cli__api(c, "GET", path, NULL, &res, NULL);
    if (!rc)
        rc = cli__api_all(c, tasks_path, &tasks);
    if (rc)
        goto out;
    if (c->o.want_json) {
        if (json_object_set(res, "taskProcessingResults", tasks))
            rc = cli__fail(c, CLI_EUSAGE, "out of memory");
        else
            rc = cli__print_object(c, res, fields, N(fields));
        goto out;
    }
    if (c->o.want_csv) {
        rc = cli__print_list(c, tasks, task_cols, N(task_cols));
        goto out;
    }
    rc = cli__print_object(c, res, fields, N(fields));
    if (!rc && !c->o.want_quiet) {
        (void)printf("\nTask results:\n");
        rc = cli__print_table(c, tasks, task_cols, N(task_cols));
    }
out:
    json_decref(res);
    json_decref(tasks);
    return rc;
}

/* --------------------------------------------------------------- reprocess */

/* Print a plan (planActivation's answer). */
static int print_plan(struct cli *c, json_t *plan)
{
    static const struct cli_col cols[] = {
            {"USER", "subject/id"},
            {"SOURCE RESULT", "sourceProcessingResultId"},
            {"SOURCE RUN", "sourceRunId"},
            {"TASKS", "#lcw.taskNames"},
    };
    json_t *value = json_object_get(plan, "value"), *item;
    size_t i;

    if (c->o.want_json)
        return cli__print_object(c, plan, cols, N(cols));
    /* The task names of each user, for the table. */
    json_array_foreach (value, i, item) {
        struct buf names;
        size_t k;
        json_t *t;

        buf_init(&names, 65536);
        json_array_foreach (json_object_get(item, "tasks"), k, t) {
            (void)buf_printf(&names, "%s%s%s", k ? ", " : "", jsonx_str(t, "displayName"),
                             jsonx_str(t, "skippedBecauseSucceededIn") ? " (skipped)" : "");
        }
        (void)json_object_set_new(item, "#lcw.taskNames", json_string(buf_cstr(&names)));
        buf_release(&names);
    }
    if (is_terminal_format(c))
        (void)fprintf(stderr,
                      "Plan: %lld users, %lld tasks, workflow version %lld. Nothing was "
                      "changed.\n",
                      (long long)jsonx_int(plan, "totalUsers", 0),
                      (long long)jsonx_int(plan, "totalTasks", 0),
                      (long long)jsonx_int(plan, "workflowVersion", 0));
    return cli__print_list(c, value, cols, N(cols));
}

/* Option checks shared by the reprocess commands, made before any request. */
static int reprocess_opts(struct cli *c)
{
    if (c->o.plan && c->o.wait)
        return cli__fail(c, CLI_EUSAGE,
                         "--plan changes nothing, so there is nothing to --wait for");
    return CLI_OK;
}

/* Plan or run the activation `scope` (taken) for the workflow args[0]. */
static int reprocess(struct cli *c, const char *wf_id, json_t *scope)
{
    char path[512];
    json_t *body = NULL, *plan = NULL;
    int rc;

    if (!scope)
        return cli__fail(c, CLI_EUSAGE, "out of memory");
    if (json_object_set_new(scope, "taskScope",
                            json_string(c->o.failed_tasks ? "failedTasks" : "allTasks")) ||
        !(body = json_pack("{s:o}", "scope", scope)))
        return cli__fail(c, CLI_EUSAGE, "out of memory");
    if (!c->o.plan) {
        rc = activate(c, wf_id, "activateWithScope", body);
        json_decref(body);
        return rc;
    }
    (void)snprintf(path, sizeof(path), LW "/workflows/%s/planActivation", wf_id);
    rc = cli__api(c, "POST", path, body, &plan, NULL);
    if (!rc)
        rc = print_plan(c, plan);
    json_decref(plan);
    json_decref(body);
    return rc;
}

int cli__cmd_reprocess_run(struct cli *c)
{
    char wf_id[UUID_STR_LEN] = "";
    int rc = reprocess_opts(c);

    if (!rc)
        rc = cli__workflow_id(c, c->args[0], false, wf_id);
    if (rc)
        return rc;
    return reprocess(c, wf_id,
                     json_pack("{s:s, s:{s:s}, s:s}", "@odata.type", NS "activateRunScope", "run",
                               "id", c->args[1], "userScope",
                               c->o.failed_users ? "failedUsers" : "allUsers"));
}

int cli__cmd_reprocess_users(struct cli *c)
{
    char wf_id[UUID_STR_LEN] = "";
    json_t *scope, *ids;
    int rc = reprocess_opts(c);

    if (!rc)
        rc = cli__workflow_id(c, c->args[0], false, wf_id);
    if (rc)
        return rc;
    scope = json_pack("{s:s, s:[]}", "@odata.type", NS "activateProcessingResultScope",
                      "processingResults");
    ids = json_object_get(scope, "processingResults");
    for (size_t i = 1; scope && i < c->n_args; i++) {
        if (json_array_append_new(ids, json_pack("{s:s}", "id", c->args[i]))) {
            json_decref(scope);
            scope = NULL;
        }
    }
    return reprocess(c, wf_id, scope);
}

int cli__cmd_reprocess_failed(struct cli *c)
{
    char wf_id[UUID_STR_LEN] = "";
    struct buf filter;
    json_t *scope = NULL;
    int rc;

    if (reprocess_opts(c))
        return CLI_EUSAGE;
    if (!c->o.since)
        return cli__fail(c, CLI_EUSAGE,
                         "give the window with --since (for example --since 7d); every failed "
                         "user since then is reprocessed");
    rc = cli__workflow_id(c, c->args[0], false, wf_id);
    if (rc)
        return rc;
    buf_init(&filter, 4096);
    if (buf_puts(&filter, "processingStatus in ('failed', 'completedWithErrors')"))
        rc = cli__fail(c, CLI_EUSAGE, "out of memory");
    if (!rc)
        rc = filter_since(c, &filter, "completedDateTime", c->o.since);
    if (!rc)
        scope = json_pack("{s:s, s:s}", "@odata.type", "#lcw.activateQueryScope", "filter",
                          buf_cstr(&filter));
    buf_release(&filter);
    return rc ? rc : reprocess(c, wf_id, scope);
}

/* ------------------------------------------------------------------ export */

static int export_path(struct cli *c, struct buf *path, const char *wf_id, const char *what,
                       const char *filter)
{
    if (buf_printf(path, LW "/workflows/%s/%s", wf_id, what) ||
        (filter && cli__query_add(path, "$filter", filter)))
        return cli__fail(c, CLI_EUSAGE, "request too long");
    return CLI_OK;
}

int cli__cmd_export(struct cli *c)
{
    char wf_id[UUID_STR_LEN] = "", run_path[512];
    const char *kind = c->args[1];
    struct buf filter, path;
    json_t *runs = NULL, *run;
    size_t i;
    int rc;

    if (strcmp(kind, "results") != 0 && strcmp(kind, "runs") != 0 && strcmp(kind, "tasks") != 0)
        return cli__fail(c, CLI_EUSAGE, "export what? 'results', 'runs' or 'tasks' (got '%s')",
                         kind);
    buf_init(&filter, 4096);
    buf_init(&path, 16384);
    rc = filter_since(c, &filter, "scheduledDateTime", c->o.since ? c->o.since : "30d");
    if (!rc)
        rc = cli__workflow_id(c, c->args[0], false, wf_id);
    if (!rc && strcmp(kind, "tasks") != 0) {
        rc = export_path(c, &path, wf_id,
                         strcmp(kind, "runs") == 0 ? "runs" : "userProcessingResults",
                         buf_cstr(&filter));
        if (!rc)
            rc = cli__api_stream(c, buf_cstr(&path), "text/csv", false, stdout);
        goto out;
    }
    /* Task results: every run in the window, one CSV document with one header row. */
    if (!rc)
        rc = export_path(c, &path, wf_id, "runs", buf_cstr(&filter));
    if (!rc)
        rc = cli__api_all(c, buf_cstr(&path), &runs);
    json_array_foreach (runs, i, run) {
        if (rc)
            break;
        (void)snprintf(run_path, sizeof(run_path), LW "/workflows/%s/runs/%s/taskProcessingResults",
                       wf_id, jsonx_str(run, "id"));
        rc = cli__api_stream(c, run_path, "text/csv", i > 0, stdout);
    }
out:
    json_decref(runs);
    buf_release(&path);
    buf_release(&filter);
    return rc;
}
