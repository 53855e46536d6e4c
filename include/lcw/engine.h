/* SPDX-License-Identifier: MIT */
/*
 * engine: runs. Run creation (scheduled, on demand, by scope), the durable
 * work queue with leases, the worker pool that executes each user's tasks
 * in executionSequence order, run completion, cancellation, callbacks from
 * custom task extensions, and the scheduler that evaluates workflows'
 * execution conditions. docs/internals/engine.md has the state machine,
 * every thread and every lock.
 *
 * Threads: `struct engine` owns its worker threads and the scheduler thread.
 * engine_run_create and friends are plain store functions that the api
 * layer calls inside its own transaction (so a run and its audit event
 * commit together); engine_wake is safe from any thread.
 */
#ifndef LCW_ENGINE_H
#define LCW_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lcw/common.h"
#include "lcw/config.h"
#include "lcw/dir.h"
#include "lcw/store.h"
#include "lcw/tasks.h"

struct engine;

struct engine_options {
    struct store *store;           /* borrowed */
    struct dir *dir;               /* borrowed */
    const struct lcw_clock *clock; /* borrowed */
    const struct lcw_config *cfg;  /* borrowed */
    unsigned workers;              /* worker threads (LCW_WORKERS) */
    int64_t lease_ms;              /* how long a claim lasts without renewal */
    unsigned batch_size;           /* user results a worker claims at once */
    bool is_scheduler_enabled;     /* false in tools and tests that drive runs by hand */
};

int engine_start(const struct engine_options *opts, struct engine **out, struct lcw_error *err);

/* Stop the scheduler and workers: running batches finish their current round
 * and release their leases. NULL-safe. */
void engine_stop(struct engine *e);

/* New work was queued or the directory changed: wake workers and the scheduler. */
void engine_wake(struct engine *e);

/* Run every evaluation that is due now (tests, and the scheduler thread). */
int engine_schedule_now(struct engine *e, struct lcw_error *err);

/* What one user of a new run should do. */
struct engine_subject {
    const char *user_id;
    /*
     * Task ids to run (NULL = every enabled task of the version). Reprocess
     * with failedTasks passes the failed and never-run tasks here.
     */
    json_t *task_ids;
    /* The source user result this one reprocesses, or NULL. */
    const char *source_result_id;
    /*
     * Tasks to record as skipped instead of running (reprocessPolicy
     * skipIfSucceeded): task id -> the run they succeeded in. May be NULL.
     */
    json_t *skip;
};

struct engine_run_spec {
    const json_t *workflow;           /* the workflow doc (id, version, ...) */
    int64_t version;                  /* which version runs (normally the current one) */
    const char *execution_type;       /* "scheduled", "onDemand", "activatedWithScope" */
    const json_t *activated_on_scope; /* stored as activatedOnScope, or NULL */
    const struct engine_subject *subjects;
    size_t n_subjects;
    const char *source_run_id; /* the run a reprocess comes from, or NULL */
    int64_t now_ms;
};

/*
 * Create a queued run with one queued user result and work item per subject,
 * inside `tx`. The caller commits, then calls engine_wake. `run_id` receives
 * the new run's id.
 */
int engine_run_create(struct store_tx *tx, const struct engine_run_spec *spec,
                      char run_id[UUID_STR_LEN], struct lcw_error *err);

/*
 * Record reprocess lineage: `new_run_id` was created from `source_id`, a run
 * (kind "run") or a user result (kind "result"). Idempotent.
 */
int engine_link_add(struct store_tx *tx, const char *kind, const char *source_id,
                    const char *new_run_id, const char *workflow_id, int64_t now_ms,
                    struct lcw_error *err);

/* Load run `run_id` of workflow `workflow_id`; LCW_ENOTFOUND naming both. */
int engine_run_get(struct store_tx *tx, const char *workflow_id, const char *run_id, json_t **out,
                   struct lcw_error *err);

/*
 * Cancel a queued or in-progress run inside `tx`: users not yet started are
 * canceled with their tasks; tasks not yet started of users in progress are
 * canceled when their worker next looks. LCW_ECONFLICT when the run is
 * already final.
 */
int engine_run_cancel(struct store_tx *tx, const char *workflow_id, const char *run_id,
                      int64_t now_ms, struct lcw_error *err);

/*
 * Add the read-time counters (totalUsersCount, successfulUsersCount,
 * failedUsersCount, totalTasksCount, failedTasksCount,
 * totalUnprocessedTasksCount, lastUpdatedDateTime) to a run doc, from its
 * user results, so that they always agree with them.
 */
int engine_run_add_counters(struct store_tx *tx, json_t *run, struct lcw_error *err);

/*
 * A custom task extension's callback: finish the waiting task result
 * `task_result_id` as completed or failed (with `reasons`, may be NULL).
 * LCW_ENOTFOUND when it does not exist in that workflow and task;
 * LCW_ECONFLICT when it is not waiting for a callback.
 */
int engine_task_resume(struct store_tx *tx, const char *workflow_id, const char *task_id,
                       const char *task_result_id, bool is_success, const char *reasons,
                       int64_t now_ms, struct lcw_error *err);

/*
 * The users who meet the workflow's execution conditions now (scope, and a
 * time-based trigger's window), processed or not: a new array of user docs.
 * Empty for onDemandExecutionOnly and change-triggered workflows' triggers
 * are ignored (scope only).
 */
int engine_scope_users(struct engine *e, struct store_tx *tx, const json_t *workflow, json_t **out,
                       struct lcw_error *err);

/*
 * A preview run (previewWorkflow): for each user, every enabled task is
 * checked with its executor's can_run and recorded as a completed or failed
 * task result, without running anything. The run is final when this returns.
 */
int engine_preview_create(struct engine *e, struct store_tx *tx, const json_t *workflow,
                          const char *const *user_ids, size_t n, int64_t now_ms,
                          char run_id[UUID_STR_LEN], struct lcw_error *err);

/* True for completed, completedWithErrors, failed and canceled. */
bool engine_is_final_status(const char *status);

/* Load the version snapshot `version` of workflow `workflow_id` (new reference). */
int engine_version_get(struct store_tx *tx, const char *workflow_id, int64_t version, json_t **out,
                       struct lcw_error *err);

/* The task with `task_id` in a version doc (borrowed), or NULL. */
const json_t *engine_version_task(const json_t *version, const char *task_id);

/* Strip "#lcw.*" bookkeeping members from a history doc (in place). */
void engine_doc_public(json_t *doc);

#endif /* LCW_ENGINE_H */
