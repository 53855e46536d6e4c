/* SPDX-License-Identifier: MIT */
/*
 * The history counters (run_stats, run_task_stats) against a real SQLite
 * file: after any sequence of result writes and deletes, in any order and
 * across transactions, each counter row equals the aggregate computed from
 * the result rows themselves; and migration 7 fills them from results that
 * were stored before it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lcw/common.h"
#include "lcw/jsonx.h"
#include "lcw/store.h"

#include "temp_store.h"

#define N_RUNS   4
#define N_USERS  40
#define N_TASKS  3
#define N_ROUNDS 600
#define START_MS 1767225600000LL /* 2026-01-01 */

struct fixture {
    char dir[64];
    char url[128];
    struct store *store;
    unsigned seed;
    /* Each result's start and completion: set once, as the engine does (-1: not yet). */
    int64_t started[N_RUNS][N_USERS][N_TASKS + 1];
    int64_t completed[N_RUNS][N_USERS][N_TASKS + 1];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct lcw_error err = {0};

    lcw_crypto_init();
    assert_int_equal(temp_store_open("stats", f->dir, f->url, &f->store, &err), 0);
    f->seed = 20261127;
    memset(f->started, 0xff, sizeof(f->started));
    memset(f->completed, 0xff, sizeof(f->completed));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    if (f->store)
        store_close(f->store);
    temp_store_remove(f->dir);
    free(f);
    return 0;
}

/* A small deterministic generator, so that a failure can be replayed. */
static unsigned next(struct fixture *f, unsigned n)
{
    f->seed = f->seed * 1103515245u + 12345u;
    return (f->seed >> 8) % n;
}

static const char *const user_status[] = {
        "queued", "inProgress", "completed", "completedWithErrors", "failed", "canceled"};
static const char *const task_status[] = {"queued", "inProgress", "completed",
                                          "failed", "canceled",   "skipped"};

static void ids(int run, int user, int task, char *run_id, char *ur_id, char *tr_id)
{
    (void)sprintf(run_id, "00000000-0000-7000-8000-%012d", run);
    (void)sprintf(ur_id, "00000000-0000-7001-8000-%06d%06d", run, user);
    if (tr_id)
        (void)sprintf(tr_id, "00000000-0000-7002-8000-%04d%04d%04d", run, user, task);
}

static json_t *time_or_null(int64_t ms)
{
    char t[TIMEFMT_LEN];

    return ms < 0 ? json_null() : json_string(timefmt_format_ms(ms, t));
}

/* The row's times at `now`: a start, then a completion, each set once. */
static void row_times(struct fixture *f, int run, int user, int slot, int64_t now, int64_t *started,
                      int64_t *completed)
{
    int64_t *s = &f->started[run][user][slot], *c = &f->completed[run][user][slot];

    if (*s < 0 && next(f, 3))
        *s = now - 5;
    if (*s >= 0 && *c < 0 && next(f, 2))
        *c = now;
    *started = *s;
    *completed = *c;
}

/* Write one user result (run, user) with a random status, counts and times. */
static void put_user(struct fixture *f, struct store_tx *tx, int run, int user, int64_t now)
{
    char run_id[64], ur_id[64];
    struct lcw_error err = {0};
    int total = (int)next(f, 6);
    int failed = total ? (int)next(f, (unsigned)total + 1) : 0;
    int64_t started, completed;
    json_t *doc;

    ids(run, user, 0, run_id, ur_id, NULL);
    row_times(f, run, user, 0, now, &started, &completed);
    doc = json_pack("{s:s, s:s, s:o, s:o, s:o, s:i, s:i, s:i, s:{s:s}, s:s}", "id", ur_id,
                    "processingStatus", user_status[next(f, 6)], "scheduledDateTime",
                    time_or_null(START_MS + run), "startedDateTime", time_or_null(started),
                    "completedDateTime", time_or_null(completed), "totalTasksCount", total,
                    "failedTasksCount", failed, "totalUnprocessedTasksCount",
                    (int)next(f, (unsigned)total + 1), "subject", "id", "user", "#lcw.runId",
                    run_id);
    assert_non_null(doc);
    assert_int_equal(store_entity_put(tx, &store_ent_user_result, ur_id, "wf-1", doc, &err), 0);
    json_decref(doc);
}

static void put_task(struct fixture *f, struct store_tx *tx, int run, int user, int task,
                     int64_t now)
{
    char run_id[64], ur_id[64], tr_id[64], task_id[64], def[64];
    struct lcw_error err = {0};
    int64_t started, completed;
    json_t *doc;

    ids(run, user, task, run_id, ur_id, tr_id);
    row_times(f, run, user, task + 1, now, &started, &completed);
    (void)sprintf(task_id, "00000000-0000-4000-8000-%012d", task);
    /* Two tasks share a definition, as a workflow with two emails would. */
    (void)sprintf(def, "00000000-0000-4000-9000-%012d", task == 2 ? 0 : task);
    doc = json_pack("{s:s, s:s, s:o, s:o, s:o, s:{s:s}, s:{s:s, s:s}, s:s, s:s}", "id", tr_id,
                    "processingStatus", task_status[next(f, 6)], "createdDateTime",
                    time_or_null(now - 10), "startedDateTime", time_or_null(started),
                    "completedDateTime", time_or_null(completed), "subject", "id", "user", "task",
                    "id", task_id, "taskDefinitionId", def, "#lcw.runId", run_id,
                    "#lcw.userResultId", ur_id);
    assert_non_null(doc);
    assert_int_equal(store_entity_put(tx, &store_ent_task_result, tr_id, "wf-1", doc, &err), 0);
    json_decref(doc);
}

static int row_json(void *ctx, const struct store_val *c, size_t n)
{
    json_t *row = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(row, c[i].kind == STORE_INT    ? json_integer(c[i].i)
                                   : c[i].kind == STORE_TEXT ? json_string(c[i].s)
                                                             : json_null());
    return json_array_append_new(ctx, row) ? LCW_ENOMEM : 0;
}

static json_t *rows(struct store *s, const char *sql)
{
    struct store_tx tx;
    struct lcw_error err = {0};
    json_t *out = json_array();

    assert_int_equal(store_tx_begin(s, &tx, STORE_TX_READ, &err), 0);
    assert_int_equal(store_exec(&tx, sql, NULL, 0, row_json, out, NULL, &err), 0);
    store_tx_rollback(&tx);
    return out;
}

#define LAST "MAX(CASE WHEN completed_at_ms IS NULL THEN started_at_ms ELSE completed_at_ms END)"

/* Compare the counters with the results; the times too when `with_times`. */
static void check(struct store *s, bool with_times, const char *when)
{
    json_t *want_u = rows(
            s,
            with_times
                    ? "SELECT run_id, MIN(parent), COUNT(*),"
                      " SUM(CASE WHEN processing_status = 'completed' THEN 1 ELSE 0 END),"
                      " SUM(CASE WHEN processing_status IN ('failed', 'completedWithErrors')"
                      " THEN 1 ELSE 0 END), SUM(total_tasks), SUM(failed_tasks),"
                      " SUM(unprocessed_tasks), " LAST " FROM user_results GROUP BY run_id"
                      " ORDER BY run_id"
                    : "SELECT run_id, MIN(parent), COUNT(*),"
                      " SUM(CASE WHEN processing_status = 'completed' THEN 1 ELSE 0 END),"
                      " SUM(CASE WHEN processing_status IN ('failed', 'completedWithErrors')"
                      " THEN 1 ELSE 0 END), SUM(total_tasks), SUM(failed_tasks),"
                      " SUM(unprocessed_tasks) FROM user_results GROUP BY run_id ORDER BY run_id");
    json_t *have_u =
            rows(s, with_times ? "SELECT run_id, workflow_id, users, users_ok, users_failed,"
                                 " tasks, tasks_failed, tasks_unprocessed, last_ms FROM"
                                 " run_stats WHERE users > 0 ORDER BY run_id"
                               : "SELECT run_id, workflow_id, users, users_ok, users_failed,"
                                 " tasks, tasks_failed, tasks_unprocessed FROM run_stats"
                                 " WHERE users > 0 ORDER BY run_id");
    json_t *want_t = rows(
            s, with_times ? "SELECT run_id, task_id, MIN(parent), MIN(task_definition_id),"
                            " COUNT(*), SUM(CASE WHEN processing_status = 'completed' THEN 1 ELSE"
                            " 0 END), SUM(CASE WHEN processing_status = 'failed' THEN 1 ELSE 0"
                            " END), SUM(CASE WHEN processing_status IN ('queued', 'inProgress')"
                            " THEN 1 ELSE 0 END), MIN(started_at_ms), MAX(completed_at_ms), " LAST
                            " FROM task_results GROUP BY run_id, task_id ORDER BY run_id, task_id"
                          : "SELECT run_id, task_id, MIN(parent), MIN(task_definition_id),"
                            " COUNT(*), SUM(CASE WHEN processing_status = 'completed' THEN 1 ELSE"
                            " 0 END), SUM(CASE WHEN processing_status = 'failed' THEN 1 ELSE 0"
                            " END), SUM(CASE WHEN processing_status IN ('queued', 'inProgress')"
                            " THEN 1 ELSE 0 END) FROM task_results GROUP BY run_id, task_id"
                            " ORDER BY run_id, task_id");
    json_t *have_t = rows(
            s, with_times ? "SELECT run_id, task_id, workflow_id, task_definition_id, total,"
                            " completed, failed, pending, started_min_ms, completed_max_ms, last_ms"
                            " FROM run_task_stats WHERE total > 0 ORDER BY run_id, task_id"
                          : "SELECT run_id, task_id, workflow_id, task_definition_id, total,"
                            " completed, failed, pending FROM run_task_stats WHERE total > 0"
                            " ORDER BY run_id, task_id");

    if (!json_equal(want_u, have_u) || !json_equal(want_t, have_t)) {
        char *a = json_dumps(want_u, 0), *b = json_dumps(have_u, 0);

        print_error("%s:\n results  %s\n counters %s\n", when, a, b);
        free(a);
        free(b);
        a = json_dumps(want_t, 0);
        b = json_dumps(have_t, 0);
        print_error(" task results  %s\n task counters %s\n", a, b);
        free(a);
        free(b);
        fail();
    }
    assert_true(json_array_size(want_u) > 0);
    assert_true(json_array_size(want_t) > 0);
    json_decref(want_u);
    json_decref(have_u);
    json_decref(want_t);
    json_decref(have_t);
}

/* Random writes in random transactions, some rolled back; times only grow. */
static void writes(struct fixture *f, int64_t *now)
{
    for (int round = 0; round < N_ROUNDS; round++) {
        struct store_tx tx;
        struct lcw_error err = {0};
        int ops = 1 + (int)next(f, 8);

        assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_WRITE, &err), 0);
        for (int i = 0; i < ops; i++) {
            int run = (int)next(f, N_RUNS), user = (int)next(f, N_USERS);

            *now += 1000;
            if (next(f, 2))
                put_user(f, &tx, run, user, *now);
            else
                put_task(f, &tx, run, user, (int)next(f, N_TASKS), *now);
        }
        if (next(f, 10) == 0)
            store_tx_rollback(&tx);
        else
            assert_int_equal(store_tx_commit(&tx, &err), 0);
    }
}

static void test_stats__equal_results_after_writes_and_deletes(void **state)
{
    struct fixture *f = *state;
    int64_t now = START_MS;

    writes(f, &now);
    check(f->store, true, "after writes");

    /* Deletes take a result's counts out (its times stay: they only widen). */
    for (int i = 0; i < 200; i++) {
        struct store_tx tx;
        struct lcw_error err = {0};
        char run_id[64], ur_id[64], tr_id[64];
        int run = (int)next(f, N_RUNS), user = (int)next(f, N_USERS);
        bool is_user = next(f, 2);
        int rc;

        ids(run, user, (int)next(f, N_TASKS), run_id, ur_id, tr_id);
        assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_WRITE, &err), 0);
        rc = store_entity_delete(&tx, is_user ? &store_ent_user_result : &store_ent_task_result,
                                 is_user ? ur_id : tr_id, &err);
        assert_true(rc == 0 || rc == LCW_ENOTFOUND);
        assert_int_equal(store_tx_commit(&tx, &err), 0);
    }
    writes(f, &now);
    check(f->store, false, "after deletes and more writes");
}

static void test_stats__migration_fills_counters_from_stored_results(void **state)
{
    struct fixture *f = *state;
    struct store_tx tx;
    struct lcw_error err = {0};
    int64_t now = START_MS;

    writes(f, &now);
    /* Make the store look as it did before migration 7, then open it again. */
    assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_WRITE, &err), 0);
    assert_int_equal(store_exec(&tx, "DROP TABLE run_stats", NULL, 0, NULL, NULL, NULL, &err), 0);
    assert_int_equal(store_exec(&tx, "DROP TABLE run_task_stats", NULL, 0, NULL, NULL, NULL, &err),
                     0);
    assert_int_equal(store_exec(&tx, "DELETE FROM schema_migrations WHERE version >= 7", NULL, 0,
                                NULL, NULL, NULL, &err),
                     0);
    assert_int_equal(store_tx_commit(&tx, &err), 0);
    store_close(f->store);
    f->store = NULL;
    assert_int_equal(store_open(f->url, &f->store, &err), 0);
    check(f->store, true, "after migration 7 on stored results");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_stats__equal_results_after_writes_and_deletes,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(
                    test_stats__migration_fills_counters_from_stored_results, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
