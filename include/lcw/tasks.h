/* SPDX-License-Identifier: MIT */
/*
 * tasks: one executor per built-in task definition. The engine calls an
 * executor for one task of one user and records what it reports. Executors
 * are idempotent where the directory allows it: a task that finds nothing to
 * do completes with processingInfo ("already disabled"), so a task replayed
 * after a crash does no harm.
 *
 * Local executors (directory changes) run inside the engine's write
 * transaction (`call->tx`), so their change and the task's result commit
 * together. Remote executors (email, custom task extensions) do network I/O
 * and run with `call->tx == NULL`, outside any transaction.
 *
 * Threads: executors are called from engine worker threads, concurrently;
 * they use only their arguments and `struct task_env`, which is read-only.
 */
#ifndef LCW_TASKS_H
#define LCW_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lcw/common.h"
#include "lcw/config.h"
#include "lcw/dir.h"
#include "lcw/store.h"

/* Process-wide, read-only after start-up. */
struct task_env {
    struct dir *dir;               /* borrowed */
    struct store *store;           /* borrowed */
    const struct lcw_clock *clock; /* borrowed */
    const struct lcw_config *cfg;  /* borrowed: SMTP and extension settings */
};

/* One task for one user. Everything is borrowed for the duration of the call. */
struct task_call {
    const struct task_env *env;
    struct store_tx *tx;    /* open write transaction (local executors); NULL for remote */
    const json_t *workflow; /* the version snapshot that runs: displayName, versionNumber,
                             * tasks... (no id: use workflow_id) */
    const json_t *task;     /* the task: id, displayName, taskDefinitionId, arguments */
    const json_t *user;     /* the subject user (Graph JSON) as read before this task */
    const char *workflow_id;
    const char *run_id;
    const char *user_result_id;
    const char *task_result_id;
    int64_t now_ms;
    int attempt; /* 1 for the first attempt of this task result */
};

enum task_outcome {
    TASK_COMPLETED, /* done; `message` is processingInfo (may be empty) */
    TASK_FAILED,    /* failed for good; `message` is the failureReason */
    TASK_RETRY,     /* transient failure; try again after `retry_after_ms` */
    TASK_WAITING,   /* waiting for a callback (resume) until `wait_until_ms` */
};

struct task_report {
    enum task_outcome outcome;
    char message[512];      /* failureReason or processingInfo: a sentence a person can act on */
    int64_t retry_after_ms; /* TASK_RETRY */
    int64_t wait_until_ms;  /* TASK_WAITING: when the wait times out */
};

struct task_executor {
    const char *definition_id; /* catalogue id (compared case-insensitively) */
    bool is_remote;            /* does network I/O: called without a transaction */
    /*
     * Run the task. Fill `report`; return 0, or a negative lcw_err only for
     * an internal failure (then the engine fails the task with a generic
     * reason and logs `err`). A store failure inside `call->tx` must be
     * returned, so that the engine rolls back.
     */
    int (*run)(const struct task_call *call, struct task_report *report, struct lcw_error *err);
    /*
     * Can this task succeed in this deployment at all (previewTaskFailures)?
     * Return false and fill `reason` when not (e.g. no SMTP server
     * configured). NULL means always possible.
     */
    bool (*can_run)(const struct task_env *env, const json_t *task, char *reason, size_t cap);
};

/* The executor for a task definition id, or NULL when none exists. */
const struct task_executor *tasks_find(const char *definition_id);

/* The value of argument `name` of `task` (borrowed), or NULL. */
const char *tasks_arg(const json_t *task, const char *name);

#endif /* LCW_TASKS_H */
