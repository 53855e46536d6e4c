/* SPDX-License-Identifier: MIT */
/*
 * History counters: per run (run_stats) and per task of a run
 * (run_task_stats), kept in step with every write of a user or task
 * processing result, in the same transaction as that write. Summaries,
 * insights, task reports and a run's own counters then add up a few
 * thousand counter rows instead of a million results, and still equal the
 * results at every moment: a counter row changes only together with the
 * result it counts.
 *
 * A write reads the result's counted columns before it, takes the same
 * columns from the values it writes, and adds the difference. Counting the
 * column values (rather than the document) means the counters see exactly
 * what the list routes filter on. Earliest start and latest completion only
 * ever widen; they are report times, not counts.
 */
#include <string.h>

#include "store_int.h"

#define N_COUNTS STORE__N_COUNTS

/* The counted columns, in the order row_user and row_task read them; the
 * SELECTs below name the same columns in the same order. */
static const char *const user_cols[] = {
        "run_id",        "processing_status", "total_tasks", "failed_tasks", "unprocessed_tasks",
        "started_at_ms", "completed_at_ms",   "parent"};
static const char *const task_cols[] = {
        "run_id",          "task_id", "task_definition_id", "processing_status", "started_at_ms",
        "completed_at_ms", "parent"};
static const char user_sql[] =
        "SELECT run_id, processing_status, total_tasks, failed_tasks, unprocessed_tasks,"
        " started_at_ms, completed_at_ms, parent FROM user_results WHERE pk = ?";
static const char task_sql[] = "SELECT run_id, task_id, task_definition_id, processing_status,"
                               " started_at_ms, completed_at_ms, parent FROM task_results"
                               " WHERE pk = ?";

static int64_t int_or(const struct store_val *v, int64_t dflt)
{
    return v->kind == STORE_INT ? v->i : dflt;
}

static bool is(const struct store_val *v, const char *s)
{
    return v->kind == STORE_TEXT && strcmp(v->s, s) == 0;
}

static void text_copy(char *dst, size_t size, const struct store_val *v)
{
    dst[0] = '\0';
    if (v->kind == STORE_TEXT && strlen(v->s) < size)
        memcpy(dst, v->s, strlen(v->s) + 1);
}

static void times(struct store__contrib *c, const struct store_val *started,
                  const struct store_val *completed)
{
    c->started = int_or(started, -1);
    c->completed = int_or(completed, -1);
    c->last = c->completed >= 0 ? c->completed : c->started;
}

/* users, successful, failed, tasks, failed tasks, unprocessed tasks */
static int row_user(void *ctx, const struct store_val *v, size_t n)
{
    struct store__contrib *c = ctx;

    if (n < 8)
        return LCW_EINTERNAL;
    c->is_found = true;
    text_copy(c->run_id, sizeof(c->run_id), &v[0]);
    text_copy(c->workflow_id, sizeof(c->workflow_id), &v[7]);
    c->n[0] = 1;
    c->n[1] = is(&v[1], "completed");
    c->n[2] = is(&v[1], "failed") || is(&v[1], "completedWithErrors");
    c->n[3] = int_or(&v[2], 0);
    c->n[4] = int_or(&v[3], 0);
    c->n[5] = int_or(&v[4], 0);
    times(c, &v[5], &v[6]);
    return 0;
}

/* results, completed, failed, still to run (queued or inProgress) */
static int row_task(void *ctx, const struct store_val *v, size_t n)
{
    struct store__contrib *c = ctx;

    if (n < 7)
        return LCW_EINTERNAL;
    c->is_found = true;
    text_copy(c->run_id, sizeof(c->run_id), &v[0]);
    text_copy(c->workflow_id, sizeof(c->workflow_id), &v[6]);
    text_copy(c->task_id, sizeof(c->task_id), &v[1]);
    text_copy(c->task_def, sizeof(c->task_def), &v[2]);
    c->n[0] = 1;
    c->n[1] = is(&v[3], "completed");
    c->n[2] = is(&v[3], "failed");
    c->n[3] = is(&v[3], "queued") || is(&v[3], "inProgress");
    times(c, &v[4], &v[5]);
    return 0;
}

bool store__stats_kept(const struct store_entity *e)
{
    return e == &store_ent_user_result || e == &store_ent_task_result;
}

int store__stats_read(struct store_tx *tx, const struct store_entity *e, const char *pk,
                      struct store__contrib *out, struct lcw_error *err)
{
    struct store_val p = STORE_V_TEXT(pk);

    memset(out, 0, sizeof(*out));
    return store_exec(tx, e == &store_ent_user_result ? user_sql : task_sql, &p, 1,
                      e == &store_ent_user_result ? row_user : row_task, out, NULL, err);
}

int store__stats_of_values(const struct store_entity *e, const char *const *columns,
                           const struct store_val *vals, size_t n, struct store__contrib *out)
{
    bool is_user = e == &store_ent_user_result;
    const char *const *want = is_user ? user_cols : task_cols;
    size_t n_want = is_user ? sizeof(user_cols) / sizeof(user_cols[0])
                            : sizeof(task_cols) / sizeof(task_cols[0]);
    struct store_val v[8];

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n_want; i++) {
        v[i] = STORE_V_NULL;
        for (size_t k = 0; k < n; k++) {
            if (strcmp(columns[k], want[i]) == 0) {
                v[i] = vals[k];
                break;
            }
        }
    }
    return is_user ? row_user(out, v, n_want) : row_task(out, v, n_want);
}

static struct store_val time_val(int64_t ms)
{
    return ms >= 0 ? STORE_V_INT(ms) : STORE_V_NULL;
}

/* Add `delta` to the counter row of `c` (and widen its times when `with_times`). */
static int apply(struct store_tx *tx, bool is_user, const struct store__contrib *c,
                 const int64_t delta[N_COUNTS], bool with_times, struct lcw_error *err)
{
    struct store_val p[12];
    size_t n = 0;

    if (!c->run_id[0] || (!is_user && !c->task_id[0]))
        return 0; /* not attributable to a run (or task): nothing counts it */
    p[n++] = STORE_V_TEXT(c->run_id);
    if (!is_user)
        p[n++] = STORE_V_TEXT(c->task_id);
    p[n++] = STORE_V_TEXT(c->workflow_id);
    if (!is_user)
        p[n++] = STORE_V_TEXT(c->task_def[0] ? c->task_def : NULL);
    for (size_t i = 0; i < (is_user ? 6u : 4u); i++)
        p[n++] = STORE_V_INT(delta[i]);
    if (is_user) {
        p[n++] = time_val(with_times ? c->last : -1);
        return store_exec(
                tx,
                "INSERT INTO run_stats (run_id, workflow_id, users, users_ok, users_failed, tasks,"
                " tasks_failed, tasks_unprocessed, last_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (run_id) DO UPDATE SET users = run_stats.users + excluded.users,"
                " users_ok = run_stats.users_ok + excluded.users_ok,"
                " users_failed = run_stats.users_failed + excluded.users_failed,"
                " tasks = run_stats.tasks + excluded.tasks,"
                " tasks_failed = run_stats.tasks_failed + excluded.tasks_failed,"
                " tasks_unprocessed = run_stats.tasks_unprocessed + excluded.tasks_unprocessed,"
                " last_ms = CASE WHEN run_stats.last_ms IS NULL OR excluded.last_ms >"
                " run_stats.last_ms THEN COALESCE(excluded.last_ms, run_stats.last_ms)"
                " ELSE run_stats.last_ms END",
                p, n, NULL, NULL, NULL, err);
    }
    p[n++] = time_val(with_times ? c->started : -1);
    p[n++] = time_val(with_times ? c->completed : -1);
    p[n++] = time_val(with_times ? c->last : -1);
    return store_exec(
            tx,
            "INSERT INTO run_task_stats (run_id, task_id, workflow_id, task_definition_id, total,"
            " completed, failed, pending, started_min_ms, completed_max_ms, last_ms)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id, task_id) DO UPDATE SET"
            " task_definition_id = COALESCE(excluded.task_definition_id,"
            " run_task_stats.task_definition_id),"
            " total = run_task_stats.total + excluded.total,"
            " completed = run_task_stats.completed + excluded.completed,"
            " failed = run_task_stats.failed + excluded.failed,"
            " pending = run_task_stats.pending + excluded.pending,"
            " started_min_ms = CASE WHEN run_task_stats.started_min_ms IS NULL OR"
            " excluded.started_min_ms < run_task_stats.started_min_ms THEN"
            " COALESCE(excluded.started_min_ms, run_task_stats.started_min_ms)"
            " ELSE run_task_stats.started_min_ms END,"
            " completed_max_ms = CASE WHEN run_task_stats.completed_max_ms IS NULL OR"
            " excluded.completed_max_ms > run_task_stats.completed_max_ms THEN"
            " COALESCE(excluded.completed_max_ms, run_task_stats.completed_max_ms)"
            " ELSE run_task_stats.completed_max_ms END,"
            " last_ms = CASE WHEN run_task_stats.last_ms IS NULL OR excluded.last_ms >"
            " run_task_stats.last_ms THEN COALESCE(excluded.last_ms, run_task_stats.last_ms)"
            " ELSE run_task_stats.last_ms END",
            p, n, NULL, NULL, NULL, err);
}

static bool same_row(const struct store__contrib *a, const struct store__contrib *b)
{
    return strcmp(a->run_id, b->run_id) == 0 && strcmp(a->task_id, b->task_id) == 0;
}

int store__stats_update(struct store_tx *tx, const struct store_entity *e,
                        const struct store__contrib *before, const struct store__contrib *after,
                        struct lcw_error *err)
{
    bool is_user = e == &store_ent_user_result;
    int64_t d[N_COUNTS];
    bool is_change = false;
    int rc = 0;

    if (before->is_found && (!after->is_found || !same_row(before, after))) {
        /* Gone, or moved to another counter row: take it out of the old one. */
        for (size_t i = 0; i < N_COUNTS; i++)
            d[i] = -before->n[i];
        rc = apply(tx, is_user, before, d, false, err);
        before = NULL;
    }
    if (rc || !after->is_found)
        return rc;
    for (size_t i = 0; i < N_COUNTS; i++) {
        d[i] = after->n[i] - (before && before->is_found ? before->n[i] : 0);
        is_change |= d[i] != 0;
    }
    /* An unchanged count with unchanged times needs no write. */
    if (!is_change && before && before->is_found && before->started == after->started &&
        before->completed == after->completed)
        return 0;
    return apply(tx, is_user, after, d, true, err);
}
