/* SPDX-License-Identifier: MIT */
/*
 * history_queries_gen: write a large run history straight into an lcwd
 * SQLite store, for bench/history_queries.mjs (issue 5, "Performance").
 *
 * The store must already hold the workflows and the users (the driver
 * creates them through the API, so that their documents are exactly what
 * the API stores). This program adds, for every workflow in the store
 * (deleted ones excluded), runs spread over --days days ending now, each
 * with its user results and 5 task results per user (one per enabled task
 * of version 1), in the shapes the engine writes them:
 *
 *   run          engine_run_create + engine__run_finish_if_done (final)
 *   user result  engine_run_create + worker.c finish_user (final; failed
 *                users carry #lcw.stopped, their later tasks are canceled)
 *   task result  engine__task_result_put (task inlined from the version)
 *
 * Rows go through store_entity_put, so the filterable columns are derived
 * by the same property maps lcwd uses. Ids are UUIDv7 at the row's time,
 * as the engine makes them.
 *
 *   history_queries_gen --db /abs/path/lcw.db --user-results 1000000 --runs 2000 --days 60
 *
 * Prints one `gen ...` line with counts and timings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lcw/common.h"
#include "lcw/engine.h"
#include "lcw/jsonx.h"
#include "lcw/store.h"

#define MS_PER_DAY 86400000LL
#define MAX_WF     16

static void check(int rc, const struct lcw_error *err, const char *what)
{
    if (rc) {
        fprintf(stderr, "history_queries_gen: %s failed: %s (%d)\n", what, err->msg, rc);
        exit(1);
    }
}

static double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: deterministic for a given --seed. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}
static double rnd01(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int row_text(void *ctx, const struct store_val *c, size_t n)
{
    json_t *arr = ctx;

    if (n >= 1 && c[0].kind == STORE_TEXT)
        json_array_append_new(arr, json_string(c[0].s));
    return 0;
}

static json_t *ts(int64_t ms)
{
    char b[TIMEFMT_LEN];

    return ms < 0 ? json_null() : json_string(timefmt_format(ms, b));
}

struct wf {
    char id[64];
    json_t *tasks; /* enabled tasks of version 1, in order */
    json_t *task_ids;
};

int main(int argc, char **argv)
{
    const char *db = NULL;
    long n_user_results = 1000000, n_runs = 2000, days = 60, batch = 20000;
    struct lcw_error err = {0};
    struct store *s = NULL;
    struct store_tx tx;
    struct wf wfs[MAX_WF];
    size_t n_wf = 0;
    json_t *ids = json_array(), *users = json_array();
    char url[4200];
    int64_t now, start;
    long done_users = 0, done_tasks = 0, in_tx = 0, n_failed_u = 0, n_cwe_u = 0;
    double t0, t_commit = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!strcmp(argv[i], "--user-results") && i + 1 < argc)
            n_user_results = atol(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            n_runs = atol(argv[++i]);
        else if (!strcmp(argv[i], "--days") && i + 1 < argc)
            days = atol(argv[++i]);
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atol(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            rng_state ^= (uint64_t)atoll(argv[++i]) * 0x2545F4914F6CDD1DULL;
        else {
            fprintf(stderr,
                    "usage: history_queries_gen --db /abs/lcw.db [--user-results N] [--runs R]"
                    " [--days D] [--batch B] [--seed S]\n");
            return 2;
        }
    }
    if (!db || db[0] != '/' || n_runs < 1 || n_user_results < n_runs) {
        fprintf(stderr,
                "history_queries_gen: --db must be an absolute path; user results >= runs\n");
        return 2;
    }
    snprintf(url, sizeof(url), "sqlite://%s", db);
    check(store_open(url, &s, &err), &err, "store_open");
    check(store_tx_begin(s, &tx, STORE_TX_READ, &err), &err, "begin");
    check(store_exec(&tx, "SELECT pk FROM workflows WHERE deleted_at_ms IS NULL ORDER BY pk", NULL,
                     0, row_text, ids, NULL, &err),
          &err, "list workflows");
    check(store_exec(&tx, "SELECT pk FROM users WHERE deleted_at_ms IS NULL ORDER BY pk", NULL, 0,
                     row_text, users, NULL, &err),
          &err, "list users");
    for (size_t i = 0; i < json_array_size(ids) && n_wf < MAX_WF; i++) {
        struct wf *w = &wfs[n_wf];
        json_t *version = NULL;
        size_t k;
        json_t *t;

        lcw_strlcpy(w->id, json_string_value(json_array_get(ids, i)), sizeof(w->id));
        check(engine_version_get(&tx, w->id, 1, &version, &err), &err, "version 1");
        w->tasks = json_array();
        w->task_ids = json_array();
        json_array_foreach (json_object_get(version, "tasks"), k, t) {
            if (jsonx_bool(t, "isEnabled", true)) {
                json_array_append(w->tasks, t);
                json_array_append_new(w->task_ids, json_string(jsonx_str(t, "id")));
            }
        }
        json_decref(version);
        n_wf++;
    }
    store_tx_rollback(&tx);
    if (n_wf == 0 || json_array_size(users) == 0) {
        fprintf(stderr, "history_queries_gen: the store has no workflows or no users\n");
        return 1;
    }

    now = lcw_clock_now(lcw_clock_system());
    start = now - days * MS_PER_DAY;
    t0 = mono_s();
    check(store_tx_begin(s, &tx, STORE_TX_WRITE, &err), &err, "begin");
    for (long r = 0; r < n_runs; r++) {
        struct wf *w = &wfs[r % (long)n_wf];
        /* Run sizes vary (10%..190% of the mean); the last run takes the rest. */
        long mean = n_user_results / n_runs;
        long n_users = r == n_runs - 1 ? n_user_results - done_users
                                       : (long)(mean * (0.1 + 1.8 * rnd01()));
        int64_t scheduled = start + (int64_t)((double)r * (double)(days * MS_PER_DAY) / n_runs) +
                            (int64_t)(rnd() % 60000);
        int64_t started = scheduled + 1000, t = started;
        const char *etype = r % 20 == 7    ? "onDemand"
                            : r % 50 == 11 ? "activatedWithScope"
                                           : "scheduled";
        char run_id[UUID_STR_LEN];
        long ok = 0, failed = 0, cwe = 0;
        size_t n_tasks = json_array_size(w->tasks);
        json_t *run;
        const char *status;

        if (n_users < 1)
            n_users = 1;
        if (done_users + n_users > n_user_results)
            n_users = n_user_results - done_users;
        uuid_v7(scheduled, run_id);
        for (long u = 0; u < n_users; u++) {
            const char *uid =
                    json_string_value(json_array_get(users, rnd() % json_array_size(users)));
            char ur_id[UUID_STR_LEN];
            double x = rnd01();
            /* 85% completed, 10% completedWithErrors, 5% failed. */
            int kind = x < 0.85 ? 0 : x < 0.95 ? 1 : 2;
            size_t bad = (size_t)(rnd() % n_tasks);
            int64_t u_start = t;
            long failed_tasks = 0, unprocessed = 0;
            json_t *ur;

            uuid_v7(scheduled, ur_id);
            for (size_t k = 0; k < n_tasks; k++) {
                const json_t *task = json_array_get(w->tasks, k);
                char tr_id[UUID_STR_LEN];
                const char *st = "completed", *reason = NULL, *info = NULL;
                int64_t tstart = t;
                json_t *tr;

                t += 2;
                if (kind == 1 && k == bad) {
                    st = "failed";
                    reason = "License 'CONTOSO_E5' is not available in the tenant, \"quoted\"";
                    failed_tasks++;
                } else if (kind == 2 && k == bad) {
                    st = "failed";
                    reason = "Group 'ffffffff-0000-0000-0000-000000000000' does not exist";
                    failed_tasks++;
                } else if (kind == 2 && k > bad) {
                    st = "canceled";
                    tstart = -1;
                    unprocessed++;
                } else if (k == 0 && x < 0.2) {
                    info = "The user account was already in the requested state";
                }
                uuid_v7(t, tr_id);
                tr = json_pack("{s:s, s:s, s:o, s:o, s:o, s:s?, s:s?, s:{s:s}, s:O, s:s, s:s}",
                               "id", tr_id, "processingStatus", st, "createdDateTime", ts(t),
                               "startedDateTime", ts(tstart), "completedDateTime", ts(t),
                               "failureReason", reason, "processingInfo", info, "subject", "id",
                               uid, "task", task, "#lcw.runId", run_id, "#lcw.userResultId", ur_id);
                if (!reason)
                    json_object_set_new(tr, "failureReason", json_null());
                if (!info)
                    json_object_set_new(tr, "processingInfo", json_null());
                check(store_entity_put(&tx, &store_ent_task_result, tr_id, w->id, tr, &err), &err,
                      "task result");
                json_decref(tr);
                done_tasks++;
                in_tx++;
            }
            ur = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:{s:s}, s:s, "
                           "s:O, s:I}",
                           "id", ur_id, "processingStatus",
                           kind == 0   ? "completed"
                           : kind == 1 ? "completedWithErrors"
                                       : "failed",
                           "workflowExecutionType", etype, "scheduledDateTime", ts(scheduled),
                           "startedDateTime", ts(u_start), "completedDateTime", ts(t),
                           "workflowVersion", (json_int_t)1, "totalTasksCount", (json_int_t)n_tasks,
                           "failedTasksCount", (json_int_t)failed_tasks,
                           "totalUnprocessedTasksCount", (json_int_t)unprocessed, "subject", "id",
                           uid, "#lcw.runId", run_id, "#lcw.tasks", w->task_ids, "#lcw.next",
                           (json_int_t)n_tasks);
            if (kind == 2)
                json_object_set_new(ur, "#lcw.stopped", json_true());
            check(store_entity_put(&tx, &store_ent_user_result, ur_id, w->id, ur, &err), &err,
                  "user result");
            json_decref(ur);
            ok += kind == 0;
            cwe += kind == 1;
            failed += kind == 2;
            done_users++;
            in_tx++;
            if (in_tx >= batch) {
                double c0 = mono_s();

                check(store_tx_commit(&tx, &err), &err, "commit");
                t_commit += mono_s() - c0;
                check(store_tx_begin(s, &tx, STORE_TX_WRITE, &err), &err, "begin");
                in_tx = 0;
            }
        }
        n_failed_u += failed;
        n_cwe_u += cwe;
        /* engine__run_finish_if_done's rule. */
        status = ok == n_users ? "completed" : failed == n_users ? "failed" : "completedWithErrors";
        run = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:n, s:I}", "id", run_id,
                        "workflowExecutionType", etype, "processingStatus", status,
                        "scheduledDateTime", ts(scheduled), "startedDateTime", ts(started),
                        "completedDateTime", ts(t), "lastUpdatedDateTime", ts(t),
                        "activatedOnScope", "#lcw.workflowVersion", (json_int_t)1);
        check(store_entity_put(&tx, &store_ent_run, run_id, w->id, run, &err), &err, "run");
        json_decref(run);
        if ((r + 1) % 200 == 0)
            fprintf(stderr, "  runs=%ld user_results=%ld task_results=%ld seconds=%.1f\n", r + 1,
                    done_users, done_tasks, mono_s() - t0);
    }
    check(store_tx_commit(&tx, &err), &err, "commit");
    printf("gen workflows=%zu users=%zu runs=%ld user_results=%ld task_results=%ld"
           " failed_users=%ld completed_with_errors_users=%ld days=%ld seconds=%.1f"
           " commit_seconds=%.1f\n",
           n_wf, json_array_size(users), n_runs, done_users, done_tasks, n_failed_u, n_cwe_u, days,
           mono_s() - t0, t_commit);
    for (size_t i = 0; i < n_wf; i++) {
        json_decref(wfs[i].tasks);
        json_decref(wfs[i].task_ids);
    }
    json_decref(ids);
    json_decref(users);
    store_close(s);
    return 0;
}
