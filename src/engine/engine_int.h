/* SPDX-License-Identifier: MIT */
/* Shared between the engine's files; not for other modules. */
#ifndef LCW_ENGINE_INT_H
#define LCW_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "lcw/engine.h"
#include "lcw/jsonx.h"

/* Bookkeeping members of history docs (never shown: engine_doc_public). */
#define K_RUN_ID        "#lcw.runId"
#define K_TASKS         "#lcw.tasks"   /* user result: task ids to run, in order */
#define K_NEXT          "#lcw.next"    /* user result: index of the next task */
#define K_STOPPED       "#lcw.stopped" /* user result: a stopping failure happened */
#define K_CURRENT       "#lcw.currentTaskResultId"
#define K_VERSION       "#lcw.workflowVersion"
#define K_CANCEL        "#lcw.cancelRequested"
#define K_SOURCE_RUN    "#lcw.sourceRunId"
#define K_SOURCE_RESULT "#lcw.sourceResultId"
#define K_USER_RESULT   "#lcw.userResultId"
#define K_ATTEMPTS      "#lcw.attempts"
#define K_WAIT_UNTIL    "#lcw.waitUntil"
#define K_SKIP          "#lcw.skip"

struct engine {
    struct engine_options opts;
    struct task_env env;
    pthread_t *workers;
    unsigned n_workers;
    pthread_t scheduler;
    bool has_scheduler;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    unsigned wake_seq; /* bumped by engine_wake, guarded by lock */
    bool is_stopping;  /* guarded by lock */
};

/* Audit a run's start (is_end false) or end, as "<kind> workflow execution started". */
int engine__audit_run(struct store_tx *tx, const char *workflow_id, const json_t *run, bool is_end,
                      int64_t now_ms, struct lcw_error *err);

/* If no user result of the run is pending, give the run its final status. */
int engine__run_finish_if_done(struct store_tx *tx, const char *workflow_id, const char *run_id,
                               int64_t now_ms, struct lcw_error *err);

/* Insert a task result in a final or in-progress state. `id` may be NULL (new id). */
int engine__task_result_put(struct store_tx *tx, const char *workflow_id, const json_t *ur,
                            const json_t *task, const char *id, const char *status,
                            const char *failure_reason, const char *processing_info,
                            int64_t started_ms, int64_t now_ms, json_t **out,
                            struct lcw_error *err);

/* The worker thread body. */
void *engine__worker_main(void *arg);

/* The scheduler thread body, and the double check before a scheduled user runs. */
void *engine__scheduler_main(void *arg);
int engine__still_qualifies(struct engine *e, struct store_tx *tx, const json_t *workflow,
                            const json_t *user, bool *qualifies, char *reason, size_t cap,
                            struct lcw_error *err);

/* Sleep on the engine's condition until woken, stopped or `timeout_ms` passes. */
bool engine__wait(struct engine *e, unsigned *seen_seq, int64_t timeout_ms);

#endif /* LCW_ENGINE_INT_H */
