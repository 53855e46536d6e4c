/* SPDX-License-Identifier: MIT */
/*
 * Worker threads. A worker claims a batch of work items (one per user
 * result) with a lease, then advances every user of the batch in rounds:
 *
 *   A. users whose next task is remote get its task result written as
 *      inProgress and committed (so the start is durable before the call);
 *   B. the remote tasks run, outside any transaction;
 *   C. one write transaction records those outcomes and runs each user's
 *      following local tasks (directory changes and their results commit
 *      together), finishes users with no tasks left, and renews the leases.
 *
 * A crash at any point leaves committed state only; an expired lease lets
 * another worker take the item over, and it resumes at the first task
 * without a final result. docs/internals/engine.md has the whole story.
 */
#include "engine_int.h"

#include <stdio.h>
#include <string.h>

#define IDLE_POLL_MS 1000
/* Rounds a batch may take: see process_batch. */
#define ENGINE_MAX_ROUNDS_PER_TASKS 64

/* One claimed user result. */
struct item {
    char id[UUID_STR_LEN];
    char workflow_id[UUID_STR_LEN];
    json_t *ur;            /* the user result doc, owned */
    json_t *user;          /* the subject, owned; NULL when gone */
    const json_t *version; /* borrowed from the batch's cache */
    bool is_done;          /* finished or released: no more rounds */
    bool has_report;       /* `report` holds a remote outcome to record */
    bool is_user_stale;    /* a task changed the user since `user` was read */
    bool is_released;      /* put back on the queue for a retry or a callback */
    struct task_report report;
};

struct batch {
    struct engine *e;
    char owner[UUID_STR_LEN];
    struct item items[256];
    size_t n;
    json_t *versions;     /* "wf:version" -> version doc */
    json_t *docs;         /* "table:id" -> run or workflow doc, for prepare */
    json_t *runs_touched; /* run id -> workflow id */
};

static int row_ids(void *ctx, const struct store_val *c, size_t n)
{
    struct batch *b = ctx;

    if (n < 2 || c[0].kind != STORE_TEXT || b->n == sizeof(b->items) / sizeof(b->items[0]))
        return 0;
    memset(&b->items[b->n], 0, sizeof(b->items[0]));
    lcw_strlcpy(b->items[b->n].id, c[0].s, UUID_STR_LEN);
    lcw_strlcpy(b->items[b->n].workflow_id, c[1].s ? c[1].s : "", UUID_STR_LEN);
    b->n++;
    return 0;
}

/* Claim up to batch_size ready items (new, or whose lease expired). */
static int claim(struct batch *b, int64_t now, struct lcw_error *err)
{
    struct engine *e = b->e;
    struct store_tx tx;
    struct store_val p[3] = {STORE_V_INT(now), STORE_V_INT(now),
                             STORE_V_INT((int64_t)e->opts.batch_size)};
    int rc;

    b->n = 0;
    rc = store_tx_begin(e->opts.store, &tx, STORE_TX_WRITE, err);
    if (rc)
        return rc;
    rc = store_exec(&tx,
                    "SELECT id, workflow_id FROM work_items WHERE available_at_ms <= ? AND"
                    " (lease_expires_at_ms IS NULL OR lease_expires_at_ms < ?)"
                    " ORDER BY available_at_ms, id LIMIT ?",
                    p, 3, row_ids, b, NULL, err);
    for (size_t i = 0; !rc && i < b->n; i++) {
        struct store_val u[3] = {STORE_V_TEXT(b->owner), STORE_V_INT(now + e->opts.lease_ms),
                                 STORE_V_TEXT(b->items[i].id)};

        rc = store_exec(&tx,
                        "UPDATE work_items SET lease_owner = ?, lease_expires_at_ms = ?"
                        " WHERE id = ?",
                        u, 3, NULL, NULL, NULL, err);
    }
    if (rc) {
        store_tx_rollback(&tx);
        b->n = 0;
        return rc;
    }
    return store_tx_commit(&tx, err);
}

static const json_t *version_cached(struct batch *b, struct store_tx *tx, const char *wf_id,
                                    int64_t version, struct lcw_error *err)
{
    char key[128];
    json_t *v;

    (void)snprintf(key, sizeof(key), "%s:%lld", wf_id, (long long)version);
    v = json_object_get(b->versions, key);
    if (v)
        return v;
    if (engine_version_get(tx, wf_id, version, &v, err))
        return NULL;
    json_object_set_new(b->versions, key, v);
    return v;
}

static json_t *time_json(int64_t ms)
{
    char ts[TIMEFMT_LEN];

    return json_string(timefmt_format_ms(ms, ts));
}

static int work_item_delete(struct store_tx *tx, const char *id, struct lcw_error *err)
{
    struct store_val p = STORE_V_TEXT(id);

    return store_exec(tx, "DELETE FROM work_items WHERE id = ?", &p, 1, NULL, NULL, NULL, err);
}

/* Put the item back on the queue, available again at `at_ms`. */
static int work_item_release(struct store_tx *tx, struct batch *b, const char *id, int64_t at_ms,
                             struct lcw_error *err)
{
    struct store_val p[3] = {STORE_V_INT(at_ms), STORE_V_TEXT(id), STORE_V_TEXT(b->owner)};

    return store_exec(tx,
                      "UPDATE work_items SET available_at_ms = ?, lease_owner = NULL,"
                      " lease_expires_at_ms = NULL WHERE id = ? AND lease_owner = ?",
                      p, 3, NULL, NULL, NULL, err);
}

static const json_t *next_task(const struct item *it)
{
    json_t *ids = json_object_get(it->ur, K_TASKS);
    size_t next = (size_t)jsonx_int(it->ur, K_NEXT, 0);

    if (next >= json_array_size(ids))
        return NULL;
    return engine_version_task(it->version, json_string_value(json_array_get(ids, next)));
}

/* Is the user's next task one that reprocess records as skipped? */
static bool is_skipped(const struct item *it, const json_t *task)
{
    return task && json_object_get(json_object_get(it->ur, K_SKIP), jsonx_str(task, "id"));
}

static void touch_run(struct batch *b, const struct item *it)
{
    json_object_set_new(b->runs_touched, jsonx_str(it->ur, K_RUN_ID), json_string(it->workflow_id));
}

/* Give the user result its final status from its counters and store it. */
static int finish_user(struct store_tx *tx, struct batch *b, struct item *it, int64_t now,
                       struct lcw_error *err)
{
    const char *status = "completed";
    int rc;

    if (jsonx_bool(it->ur, K_STOPPED, false))
        status = "failed";
    else if (jsonx_int(it->ur, "failedTasksCount", 0) > 0)
        status = "completedWithErrors";
    json_object_set_new(it->ur, "processingStatus", json_string(status));
    json_object_set_new(it->ur, "completedDateTime", time_json(now));
    json_object_del(it->ur, K_CURRENT);
    rc = store_entity_put(tx, &store_ent_user_result, it->id, it->workflow_id, it->ur, err);
    if (!rc)
        rc = work_item_delete(tx, it->id, err);
    it->is_done = true;
    touch_run(b, it);
    return rc;
}

/* Cancel the user's remaining tasks with `reason` and finish it canceled. */
static int cancel_user(struct store_tx *tx, struct batch *b, struct item *it, const char *reason,
                       int64_t now, struct lcw_error *err)
{
    const json_t *task;
    const char *cur = jsonx_str(it->ur, K_CURRENT);
    int rc = 0;

    if (cur && (task = next_task(it)) != NULL) {
        /* The task in progress (waiting for a callback, or between retries)
         * is canceled in its own row; it must not get a second one. */
        json_t *tr = NULL;

        rc = store_entity_get(tx, &store_ent_task_result, cur, &tr, err);
        if (rc == LCW_ENOTFOUND) {
            rc = 0;
        } else if (!rc) {
            const char *st = jsonx_str(tr, "processingStatus");

            if (!engine_is_final_status(st))
                rc = engine__task_result_put(tx, it->workflow_id, it->ur, task, cur, "canceled",
                                             reason, NULL, -1, now, NULL, err);
            else if (strcmp(st, "completed") == 0 || strcmp(st, "failed") == 0)
                json_object_set_new(
                        it->ur, "totalUnprocessedTasksCount",
                        json_integer(jsonx_int(it->ur, "totalUnprocessedTasksCount", 1) - 1));
            json_object_set_new(it->ur, K_NEXT, json_integer(jsonx_int(it->ur, K_NEXT, 0) + 1));
        }
        json_decref(tr);
    }
    while (!rc && (task = next_task(it)) != NULL) {
        rc = engine__task_result_put(tx, it->workflow_id, it->ur, task, NULL, "canceled", reason,
                                     NULL, -1, now, NULL, err);
        json_object_set_new(it->ur, K_NEXT, json_integer(jsonx_int(it->ur, K_NEXT, 0) + 1));
    }
    if (rc)
        return rc;
    json_object_set_new(it->ur, "processingStatus", json_string("canceled"));
    json_object_set_new(it->ur, "completedDateTime", time_json(now));
    json_object_del(it->ur, K_CURRENT);
    rc = store_entity_put(tx, &store_ent_user_result, it->id, it->workflow_id, it->ur, err);
    if (!rc)
        rc = work_item_delete(tx, it->id, err);
    it->is_done = true;
    touch_run(b, it);
    return rc;
}

/*
 * Record the outcome of the current task (whose result row is `tr`, or a new
 * row when NULL) and move the user on. Returns with it->is_done set when the
 * item was released for a retry or a callback.
 */
static int record(struct store_tx *tx, struct batch *b, struct item *it, const json_t *task,
                  json_t *tr, const struct task_report *r, int64_t started, int64_t now,
                  struct lcw_error *err)
{
    const char *tr_id = tr ? jsonx_str(tr, "id") : NULL;
    int64_t attempts = tr ? jsonx_int(tr, K_ATTEMPTS, 1) : 1;
    int64_t unprocessed = jsonx_int(it->ur, "totalUnprocessedTasksCount", 0);
    enum task_outcome outcome = r->outcome;
    char msg[sizeof(r->message) + 64];
    int rc;

    const json_t *policy = json_object_get(task, "retryPolicy");
    int64_t max_attempts = policy ? jsonx_int(policy, "maxAttempts", 1) : 1;
    int64_t retry_after = r->retry_after_ms;

    lcw_strlcpy(msg, r->message, sizeof(msg));
    if (outcome == TASK_RETRY && attempts >= max_attempts) {
        /* Without a retryPolicy a transient failure fails at once, as in Entra. */
        if (max_attempts > 1)
            (void)snprintf(msg, sizeof(msg), "%s (gave up after %lld attempts)", r->message,
                           (long long)attempts);
        outcome = TASK_FAILED;
    } else if (outcome == TASK_RETRY) {
        /* Backoff: initialDelay * coefficient^(attempt-1), capped at maxDelay. */
        double delay_s = (double)jsonx_int(policy, "initialDelaySeconds", 30);
        double coeff = json_number_value(json_object_get(policy, "backoffCoefficient"));
        double cap_s = (double)jsonx_int(policy, "maxDelaySeconds", 3600);

        if (coeff < 1)
            coeff = 2;
        for (int64_t k = 1; k < attempts && delay_s < cap_s; k++)
            delay_s *= coeff;
        if (delay_s > cap_s)
            delay_s = cap_s;
        /* The task's policy decides the delay, not the executor's suggestion. */
        retry_after = (int64_t)(delay_s * 1000);
        (void)snprintf(msg, sizeof(msg), "Attempt %lld of %lld failed: %s; retrying in %.0f s",
                       (long long)attempts, (long long)max_attempts, r->message,
                       (double)retry_after / 1000);
    }
    if (outcome == TASK_RETRY || outcome == TASK_WAITING) {
        json_t *doc = NULL;

        rc = engine__task_result_put(tx, it->workflow_id, it->ur, task, tr_id, "inProgress", NULL,
                                     msg[0] ? msg : NULL, started, now, &doc, err);
        if (!rc) {
            if (outcome == TASK_RETRY)
                json_object_set_new(doc, K_ATTEMPTS, json_integer(attempts + 1));
            else
                json_object_set_new(doc, K_WAIT_UNTIL, json_integer(r->wait_until_ms));
            rc = store_entity_put(tx, &store_ent_task_result, jsonx_str(doc, "id"), it->workflow_id,
                                  doc, err);
            json_object_set_new(it->ur, K_CURRENT, json_string(jsonx_str(doc, "id")));
        }
        json_decref(doc);
        if (!rc)
            rc = store_entity_put(tx, &store_ent_user_result, it->id, it->workflow_id, it->ur, err);
        if (!rc)
            rc = work_item_release(tx, b, it->id,
                                   outcome == TASK_RETRY ? now + retry_after : r->wait_until_ms,
                                   err);
        it->is_done = true;
        it->is_released = true;
        return rc;
    }
    if (outcome == TASK_COMPLETED && attempts > 1) {
        /* Each attempt stays visible: the earlier ones failed. */
        char first[sizeof(msg)];

        lcw_strlcpy(first, msg, sizeof(first));
        (void)snprintf(msg, sizeof(msg),
                       "Succeeded on attempt %lld of %lld after transient failures: %.400s",
                       (long long)attempts, (long long)max_attempts, first);
    }
    rc = engine__task_result_put(
            tx, it->workflow_id, it->ur, task, tr_id,
            outcome == TASK_COMPLETED ? "completed" : "failed", outcome == TASK_FAILED ? msg : NULL,
            outcome == TASK_COMPLETED && msg[0] ? msg : NULL, started, now, NULL, err);
    if (rc)
        return rc;
    json_object_del(it->ur, K_CURRENT);
    json_object_set_new(it->ur, "totalUnprocessedTasksCount", json_integer(unprocessed - 1));
    json_object_set_new(it->ur, K_NEXT, json_integer(jsonx_int(it->ur, K_NEXT, 0) + 1));
    if (outcome == TASK_FAILED) {
        json_object_set_new(it->ur, "failedTasksCount",
                            json_integer(jsonx_int(it->ur, "failedTasksCount", 0) + 1));
        if (!jsonx_bool(task, "continueOnError", false)) {
            char reason[512];
            const json_t *rest;

            json_object_set_new(it->ur, K_STOPPED, json_true());
            (void)snprintf(reason, sizeof(reason),
                           "Not run: task '%s' failed and does not continue on error",
                           jsonx_str(task, "displayName") ? jsonx_str(task, "displayName") : "");
            while (!rc && (rest = next_task(it)) != NULL) {
                rc = engine__task_result_put(tx, it->workflow_id, it->ur, rest, NULL, "canceled",
                                             reason, NULL, -1, now, NULL, err);
                json_object_set_new(it->ur, K_NEXT, json_integer(jsonx_int(it->ur, K_NEXT, 0) + 1));
            }
        }
    }
    return rc;
}

/* Load what a claimed item needs; items that cannot run are finished here. */
/* A new reference to a run or workflow doc, read once per batch. */
static int doc_cached(struct batch *b, struct store_tx *tx, const struct store_entity *e,
                      const char *id, json_t **out, struct lcw_error *err)
{
    char key[160];
    json_t *doc;
    int rc;

    (void)snprintf(key, sizeof(key), "%s:%s", e->table, id ? id : "");
    doc = json_object_get(b->docs, key);
    if (doc) {
        *out = json_incref(doc);
        return 0;
    }
    rc = store_entity_get(tx, e, id ? id : "", out, err);
    if (!rc)
        json_object_set(b->docs, key, *out);
    return rc;
}

static int prepare(struct store_tx *tx, struct batch *b, struct item *it, int64_t now,
                   struct lcw_error *err)
{
    json_t *run = NULL, *wf = NULL;
    const char *status;
    int rc;

    rc = store_entity_get(tx, &store_ent_user_result, it->id, &it->ur, err);
    if (rc == LCW_ENOTFOUND) {
        it->is_done = true;
        return work_item_delete(tx, it->id, err);
    }
    if (rc)
        return rc;
    status = jsonx_str(it->ur, "processingStatus");
    if (engine_is_final_status(status)) {
        it->is_done = true;
        return work_item_delete(tx, it->id, err);
    }
    it->version =
            version_cached(b, tx, it->workflow_id, jsonx_int(it->ur, "workflowVersion", 1), err);
    if (!it->version)
        return err->code ? err->code : LCW_EINTERNAL;
    /* A batch's users mostly share one run and one workflow: read each once
     * per batch (prepare runs in one transaction, so they cannot change). */
    rc = doc_cached(b, tx, &store_ent_run, jsonx_str(it->ur, K_RUN_ID), &run, err);
    if (!rc)
        rc = doc_cached(b, tx, &store_ent_workflow, it->workflow_id, &wf, err);
    if (rc)
        goto out;
    if (jsonx_bool(run, K_CANCEL, false)) {
        rc = cancel_user(tx, b, it, "The run was canceled before this task ran", now, err);
        goto out;
    }
    if (!json_is_null(json_object_get(wf, "deletedDateTime"))) {
        rc = cancel_user(tx, b, it, "The workflow was deleted", now, err);
        goto out;
    }
    if (!jsonx_bool(wf, "isEnabled", true)) {
        rc = cancel_user(tx, b, it, "The workflow was disabled", now, err);
        goto out;
    }
    if (dir_user_get(b->e->opts.dir, tx, jsonx_str(json_object_get(it->ur, "subject"), "id"),
                     &it->user, err) == LCW_ENOTFOUND)
        it->user = NULL;
    if (strcmp(status, "queued") == 0) {
        if (strcmp(jsonx_str(it->ur, "workflowExecutionType"), "scheduled") == 0) {
            char reason[256] = "";
            bool ok = it->user != NULL;

            if (!ok)
                lcw_strlcpy(reason, "The user no longer exists", sizeof(reason));
            else
                rc = engine__still_qualifies(b->e, tx, wf, it->user, &ok, reason, sizeof(reason),
                                             err);
            if (rc)
                goto out;
            if (!jsonx_bool(wf, "isSchedulingEnabled", false)) {
                ok = false;
                lcw_strlcpy(reason, "Scheduling was turned off for the workflow", sizeof(reason));
            }
            if (!ok) {
                rc = cancel_user(tx, b, it, reason, now, err);
                goto out;
            }
        }
        json_object_set_new(it->ur, "processingStatus", json_string("inProgress"));
        json_object_set_new(it->ur, "startedDateTime", time_json(now));
        if (strcmp(jsonx_str(run, "processingStatus"), "queued") == 0) {
            json_object_set_new(run, "processingStatus", json_string("inProgress"));
            json_object_set_new(run, "startedDateTime", time_json(now));
            json_object_set_new(run, "lastUpdatedDateTime", time_json(now));
            rc = store_entity_put(tx, &store_ent_run, jsonx_str(run, "id"), it->workflow_id, run,
                                  err);
            if (!rc)
                rc = engine__audit_run(tx, it->workflow_id, run, false, now, err);
        }
    }
out:
    json_decref(run);
    json_decref(wf);
    return rc;
}

static void task_call_init(struct task_call *c, struct batch *b, const struct item *it,
                           struct store_tx *tx, const json_t *task, const char *tr_id, int64_t now,
                           int attempt)
{
    memset(c, 0, sizeof(*c));
    c->env = &b->e->env;
    c->tx = tx;
    c->workflow = it->version;
    c->task = task;
    c->user = it->user;
    c->workflow_id = it->workflow_id;
    c->run_id = jsonx_str(it->ur, K_RUN_ID);
    c->user_result_id = it->id;
    c->task_result_id = tr_id;
    c->now_ms = now;
    c->attempt = attempt;
}

/* Run one executor, turning internal errors into a failed task. */
static int execute(const struct task_executor *x, const struct task_call *c, struct task_report *r,
                   struct lcw_error *err)
{
    int rc;

    memset(r, 0, sizeof(*r));
    if (!x) {
        r->outcome = TASK_FAILED;
        (void)snprintf(r->message, sizeof(r->message),
                       "No executor exists for task definition '%s'",
                       jsonx_str(c->task, "taskDefinitionId"));
        return 0;
    }
    if (!c->user) {
        r->outcome = TASK_FAILED;
        (void)snprintf(r->message, sizeof(r->message), "The user no longer exists");
        return 0;
    }
    rc = x->run(c, r, err);
    if (rc && !c->tx) {
        log_error("task_internal_error", "task=%s detail=\"%s\"", jsonx_str(c->task, "id"),
                  err->msg);
        r->outcome = TASK_FAILED;
        (void)snprintf(r->message, sizeof(r->message),
                       "The task could not run because of an internal error; see the lcwd log");
        return 0;
    }
    return rc;
}

/* Record the outcome of a remote task that ran in phase B, if any. */
static int record_pending(struct store_tx *tx, struct batch *b, struct item *it, int64_t now,
                          struct lcw_error *err)
{
    const char *cur = jsonx_str(it->ur, K_CURRENT);
    const json_t *task;
    json_t *tr = NULL;
    int rc = 0;

    if (!it->has_report)
        return 0;
    it->has_report = false;
    task = next_task(it);
    if (cur)
        rc = store_entity_get(tx, &store_ent_task_result, cur, &tr, err);
    /* A callback that came while the callout was in flight already finished
     * the task: its answer stands, and advance() records it from the row. */
    if (!rc && task && !(tr && engine_is_final_status(jsonx_str(tr, "processingStatus"))))
        rc = record(tx, b, it, task, tr, &it->report, now, now, err);
    json_decref(tr);
    return rc;
}

/*
 * Phase C for one item: record a remote outcome, then run local tasks until
 * a remote task, a release, or the end.
 */
static int advance(struct store_tx *tx, struct batch *b, struct item *it, int64_t now,
                   struct lcw_error *err)
{
    const json_t *task;
    int rc = 0;

    rc = record_pending(tx, b, it, now, err);
    if (rc || it->is_done)
        return rc;
    while ((task = next_task(it)) != NULL) {
        const struct task_executor *x = tasks_find(jsonx_str(task, "taskDefinitionId"));
        const char *cur = jsonx_str(it->ur, K_CURRENT);
        struct task_call call;
        struct task_report r;

        if (cur) {
            /* A task left in progress: a callback answered, or it waits still. */
            json_t *tr = NULL;
            const char *st;

            rc = store_entity_get(tx, &store_ent_task_result, cur, &tr, err);
            if (rc == LCW_ENOTFOUND) {
                json_object_del(it->ur, K_CURRENT);
                rc = 0;
                continue;
            }
            if (rc)
                return rc;
            st = jsonx_str(tr, "processingStatus");
            if (engine_is_final_status(st)) {
                memset(&r, 0, sizeof(r));
                r.outcome = strcmp(st, "completed") == 0 ? TASK_COMPLETED : TASK_FAILED;
                lcw_strlcpy(r.message,
                            jsonx_str(tr, r.outcome == TASK_COMPLETED ? "processingInfo"
                                                                      : "failureReason")
                                    ? jsonx_str(tr, r.outcome == TASK_COMPLETED ? "processingInfo"
                                                                                : "failureReason")
                                    : "",
                            sizeof(r.message));
                rc = record(tx, b, it, task, tr, &r, now, now, err);
            } else if (json_object_get(tr, K_WAIT_UNTIL)) {
                int64_t until = jsonx_int(tr, K_WAIT_UNTIL, 0);

                memset(&r, 0, sizeof(r));
                if (now < until) {
                    r.outcome = TASK_WAITING;
                    r.wait_until_ms = until;
                } else {
                    r.outcome = TASK_FAILED;
                    lcw_strlcpy(r.message,
                                "The custom task extension did not call back before its "
                                "timeoutDuration",
                                sizeof(r.message));
                }
                rc = record(tx, b, it, task, tr, &r, now, now, err);
            } else if (x && x->is_remote) {
                json_decref(tr);
                return 0; /* phase A/B of the next round runs it again */
            } else {
                json_object_del(it->ur, K_CURRENT);
            }
            json_decref(tr);
            if (rc || it->is_done)
                return rc;
            continue;
        }
        if (json_object_get(json_object_get(it->ur, K_SKIP), jsonx_str(task, "id"))) {
            /* reprocessPolicy skipIfSucceeded: it already succeeded for this user. */
            memset(&r, 0, sizeof(r));
            r.outcome = TASK_COMPLETED;
            (void)snprintf(r.message, sizeof(r.message), "skipped: succeeded in run %s",
                           json_string_value(json_object_get(json_object_get(it->ur, K_SKIP),
                                                             jsonx_str(task, "id"))));
            rc = record(tx, b, it, task, NULL, &r, now, now, err);
            if (rc || it->is_done)
                return rc;
            continue;
        }
        if (x && x->is_remote)
            return 0; /* the next round's phases A and B run it */
        task_call_init(&call, b, it, tx, task, NULL, now, 1);
        rc = execute(x, &call, &r, err);
        if (rc)
            return rc;
        rc = record(tx, b, it, task, NULL, &r, now, now, err);
        if (rc || it->is_done)
            return rc;
        /* Local executors read the directory by id; only remote ones use
         * the user's fields, and they re-read it first (run_remote). */
        if (r.outcome == TASK_COMPLETED)
            it->is_user_stale = true;
    }
    return finish_user(tx, b, it, now, err);
}

/* Phase A: make the start of each pending remote task durable. */
static int start_remote(struct batch *b, int64_t now, bool *any, struct lcw_error *err)
{
    struct store_tx tx;
    int rc;

    *any = false;
    for (size_t i = 0; i < b->n; i++) {
        const json_t *task = b->items[i].is_done ? NULL : next_task(&b->items[i]);
        const struct task_executor *x =
                task ? tasks_find(jsonx_str(task, "taskDefinitionId")) : NULL;

        if (x && x->is_remote && !jsonx_str(b->items[i].ur, K_CURRENT) &&
            !is_skipped(&b->items[i], task))
            *any = true;
    }
    if (!*any)
        return 0;
    rc = store_tx_begin(b->e->opts.store, &tx, STORE_TX_WRITE, err);
    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < b->n; i++) {
        struct item *it = &b->items[i];
        const json_t *task = it->is_done ? NULL : next_task(it);
        const struct task_executor *x =
                task ? tasks_find(jsonx_str(task, "taskDefinitionId")) : NULL;
        json_t *tr = NULL;

        if (!x || !x->is_remote || jsonx_str(it->ur, K_CURRENT) || is_skipped(it, task))
            continue;
        rc = engine__task_result_put(&tx, it->workflow_id, it->ur, task, NULL, "inProgress", NULL,
                                     NULL, now, now, &tr, err);
        if (!rc) {
            json_object_set_new(it->ur, K_CURRENT, json_string(jsonx_str(tr, "id")));
            rc = store_entity_put(&tx, &store_ent_user_result, it->id, it->workflow_id, it->ur,
                                  err);
        }
        json_decref(tr);
    }
    if (rc) {
        store_tx_rollback(&tx);
        return rc;
    }
    return store_tx_commit(&tx, err);
}

/* Phase B: run the remote tasks whose start is recorded, without a transaction. */
static void run_remote(struct batch *b, int64_t now)
{
    for (size_t i = 0; i < b->n; i++) {
        struct item *it = &b->items[i];
        const json_t *task = it->is_done ? NULL : next_task(it);
        const struct task_executor *x =
                task ? tasks_find(jsonx_str(task, "taskDefinitionId")) : NULL;
        const char *cur = jsonx_str(it->ur, K_CURRENT);
        struct task_call call;
        struct lcw_error err = {0};
        json_t *tr = NULL;
        struct store_tx tx;
        int attempt = 1;

        if (!x || !x->is_remote || !cur)
            continue;
        /* Skip tasks that wait for a callback or were finished by one. */
        if (store_tx_begin(b->e->opts.store, &tx, STORE_TX_READ, &err) == 0) {
            (void)store_entity_get(&tx, &store_ent_task_result, cur, &tr, &err);
            store_tx_rollback(&tx);
        }
        if (!tr || engine_is_final_status(jsonx_str(tr, "processingStatus")) ||
            json_object_get(tr, K_WAIT_UNTIL)) {
            json_decref(tr);
            continue;
        }
        attempt = (int)jsonx_int(tr, K_ATTEMPTS, 1);
        json_decref(tr);
        if (it->is_user_stale && it->user) {
            /* Mail and callouts show the user as the earlier tasks left it. */
            json_t *fresh = NULL;

            if (dir_user_get(b->e->opts.dir, NULL, jsonx_str(it->user, "id"), &fresh, &err) == 0) {
                json_decref(it->user);
                it->user = fresh;
            }
            it->is_user_stale = false;
        }
        task_call_init(&call, b, it, NULL, task, cur, now, attempt);
        (void)execute(x, &call, &it->report, &err);
        it->has_report = true;
    }
}

static int row_pending_run(void *ctx, const struct store_val *c, size_t n)
{
    json_t *obj = ctx;

    if (n >= 2 && c[0].kind == STORE_TEXT && c[1].kind == STORE_TEXT)
        json_object_set_new(obj, c[0].s, json_string(c[1].s));
    return 0;
}

/* Phase C over the batch, then run completion; false when the batch is over. */
static int round_local(struct batch *b, int64_t now, struct lcw_error *err)
{
    json_t *cancel_seen = json_object(); /* run id -> canceled? (this round) */
    struct store_tx tx;
    const char *run_id;
    json_t *wf;
    int rc;

    rc = store_tx_begin(b->e->opts.store, &tx, STORE_TX_WRITE, err);
    if (rc) {
        json_decref(cancel_seen);
        return rc;
    }
    for (size_t i = 0; !rc && i < b->n; i++) {
        struct item *it = &b->items[i];
        struct store_val p[3];
        const char *item_run = jsonx_str(it->ur, K_RUN_ID);
        json_t *canceled;

        if (it->is_done)
            continue;
        /* A cancel that came while this batch ran stops the user's next task
         * (the run is read once per round). */
        canceled = json_object_get(cancel_seen, item_run);
        if (!canceled) {
            json_t *run = NULL;

            rc = store_entity_get(&tx, &store_ent_run, item_run, &run, err);
            canceled = json_boolean(!rc && jsonx_bool(run, K_CANCEL, false));
            json_object_set_new(cancel_seen, item_run, canceled);
            json_decref(run);
            if (rc)
                break;
        }
        if (json_is_true(canceled)) {
            /* A remote task that already ran is recorded as it ended; the rest
             * is canceled, also when that task asked for a retry or a callback
             * (it is then canceled in its own row, not parked). */
            rc = record_pending(&tx, b, it, now, err);
            if (!rc && !next_task(it) && !it->is_released) {
                if (!it->is_done)
                    rc = finish_user(&tx, b, it, now, err);
            } else if (!rc) {
                it->is_done = false;
                rc = cancel_user(&tx, b, it, "The run was canceled before this task ran", now, err);
            }
            continue;
        }
        if (!rc)
            rc = advance(&tx, b, it, now, err);
        if (!rc && !it->is_done) {
            rc = store_entity_put(&tx, &store_ent_user_result, it->id, it->workflow_id, it->ur,
                                  err);
            p[0] = STORE_V_INT(now + b->e->opts.lease_ms);
            p[1] = STORE_V_TEXT(it->id);
            p[2] = STORE_V_TEXT(b->owner);
            if (!rc)
                rc = store_exec(&tx,
                                "UPDATE work_items SET lease_expires_at_ms = ? WHERE id = ?"
                                " AND lease_owner = ?",
                                p, 3, NULL, NULL, NULL, err);
        }
    }
    json_object_foreach (b->runs_touched, run_id, wf) {
        if (rc)
            break;
        rc = engine__run_finish_if_done(&tx, json_string_value(wf), run_id, now, err);
    }
    json_decref(cancel_seen);
    if (rc) {
        store_tx_rollback(&tx);
        return rc;
    }
    json_object_clear(b->runs_touched);
    return store_tx_commit(&tx, err);
}

static void batch_release(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        json_decref(b->items[i].ur);
        json_decref(b->items[i].user);
        b->items[i].ur = NULL;
        b->items[i].user = NULL;
    }
    b->n = 0;
    json_object_clear(b->versions);
    json_object_clear(b->docs);
    json_object_clear(b->runs_touched);
}

/* Give back the leases of users this batch did not finish (engine stopping). */
static void release_unfinished(struct batch *b, struct lcw_error *err)
{
    struct store_tx tx;

    if (store_tx_begin(b->e->opts.store, &tx, STORE_TX_WRITE, err))
        return;
    for (size_t i = 0; i < b->n; i++) {
        struct store_val p[2] = {STORE_V_TEXT(b->items[i].id), STORE_V_TEXT(b->owner)};

        if (!b->items[i].is_done)
            (void)store_exec(&tx,
                             "UPDATE work_items SET lease_owner = NULL, lease_expires_at_ms ="
                             " NULL WHERE id = ? AND lease_owner = ?",
                             p, 2, NULL, NULL, NULL, err);
    }
    if (store_tx_commit(&tx, err))
        store_tx_rollback(&tx);
}

/* Process one claimed batch to the end (or until the engine stops). */
static int process_batch(struct batch *b, struct lcw_error *err)
{
    struct engine *e = b->e;
    int64_t now = lcw_clock_now(e->opts.clock);
    struct store_tx tx;
    bool any_left = true;
    int rc;

    rc = store_tx_begin(e->opts.store, &tx, STORE_TX_WRITE, err);
    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < b->n; i++)
        rc = prepare(&tx, b, &b->items[i], now, err);
    if (!rc) {
        const char *run_id;
        json_t *wf;

        json_object_foreach (b->runs_touched, run_id, wf) {
            if (!rc)
                rc = engine__run_finish_if_done(&tx, json_string_value(wf), run_id, now, err);
        }
        json_object_clear(b->runs_touched);
    }
    if (rc) {
        store_tx_rollback(&tx);
        return rc;
    }
    rc = store_tx_commit(&tx, err);
    /* Every round either finishes, releases or advances a user by at least
     * one task, so a user cannot need more rounds than it has tasks (plus
     * the rounds that record remote outcomes); the bound guards the loop. */
    for (int round = 0; !rc && any_left && round < 4 * ENGINE_MAX_ROUNDS_PER_TASKS; round++) {
        bool any_remote;

        now = lcw_clock_now(e->opts.clock);
        rc = start_remote(b, now, &any_remote, err);
        if (rc)
            break;
        /* Also runs remote tasks left in progress by a retry or a crash. */
        run_remote(b, lcw_clock_now(e->opts.clock));
        rc = round_local(b, lcw_clock_now(e->opts.clock), err);
        any_left = false;
        for (size_t i = 0; i < b->n; i++)
            any_left |= !b->items[i].is_done;
        pthread_mutex_lock(&e->lock);
        if (e->is_stopping)
            any_left = false;
        pthread_mutex_unlock(&e->lock);
    }
    /* Users left unfinished (the engine is stopping, or the bound was hit)
     * go back to the queue now rather than when their lease expires. */
    any_left = false;
    for (size_t i = 0; i < b->n; i++)
        any_left |= !b->items[i].is_done;
    if (!rc && any_left)
        release_unfinished(b, err);
    return rc;
}

/* Finish runs whose last users were finished by a worker that then died. */
static void sweep(struct engine *e)
{
    struct lcw_error err = {0};
    struct store_tx tx;
    json_t *pending = json_object();
    const char *run_id;
    json_t *wf;
    int rc;

    if (!pending || store_tx_begin(e->opts.store, &tx, STORE_TX_WRITE, &err)) {
        json_decref(pending);
        return;
    }
    rc = store_exec(&tx,
                    "SELECT pk, parent FROM runs WHERE processing_status IN ('queued',"
                    " 'inProgress') AND NOT EXISTS (SELECT 1 FROM user_results u WHERE"
                    " u.run_id = runs.pk AND u.processing_status IN ('queued', 'inProgress'))",
                    NULL, 0, row_pending_run, pending, NULL, &err);
    json_object_foreach (pending, run_id, wf) {
        if (!rc)
            rc = engine__run_finish_if_done(&tx, json_string_value(wf), run_id,
                                            lcw_clock_now(e->opts.clock), &err);
    }
    if (rc)
        store_tx_rollback(&tx);
    else
        (void)store_tx_commit(&tx, &err);
    json_decref(pending);
}

void *engine__worker_main(void *arg)
{
    struct engine *e = arg;
    struct batch *b = lcw_calloc(1, sizeof(*b));
    unsigned seen = 0;
    int64_t last_sweep = 0;

    if (!b)
        return NULL;
    b->e = e;
    uuid_v4(b->owner);
    b->versions = json_object();
    b->docs = json_object();
    b->runs_touched = json_object();
    for (;;) {
        struct lcw_error err = {0};
        int64_t now = lcw_clock_now(e->opts.clock);
        int rc;

        pthread_mutex_lock(&e->lock);
        if (e->is_stopping) {
            pthread_mutex_unlock(&e->lock);
            break;
        }
        pthread_mutex_unlock(&e->lock);
        if (lcw_monotonic_ms() - last_sweep > 2000) {
            sweep(e);
            last_sweep = lcw_monotonic_ms();
        }
        rc = claim(b, now, &err);
        if (rc == 0 && b->n > 0) {
            rc = process_batch(b, &err);
            if (rc)
                log_warn("batch_failed", "owner=%s items=%zu detail=\"%s\"", b->owner, b->n,
                         err.msg);
            batch_release(b);
            continue;
        }
        if (rc)
            log_warn("claim_failed", "detail=\"%s\"", err.msg);
        (void)engine__wait(e, &seen, IDLE_POLL_MS);
    }
    json_decref(b->versions);
    json_decref(b->docs);
    json_decref(b->runs_touched);
    lcw_free(b);
    return NULL;
}
