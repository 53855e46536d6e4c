/* SPDX-License-Identifier: MIT */
/*
 * Numbered schema migrations, applied in order at start-up inside one write
 * transaction each, and recorded in schema_migrations. Every statement is in
 * the SQL subset that both SQLite and PostgreSQL run: TEXT, BIGINT, INTEGER
 * (booleans are 0/1), no AUTOINCREMENT/SERIAL, no JSON functions. Never edit
 * a released migration; add a new one.
 */
#include "store_int.h"

static const char migration_1[] =
        /* Resources kept as JSON docs with the filterable columns beside them. */
        "CREATE TABLE workflows ("
        " pk TEXT PRIMARY KEY, parent TEXT, display_name TEXT, category TEXT,"
        " is_enabled INTEGER, is_scheduling_enabled INTEGER, version BIGINT,"
        " created_at_ms BIGINT, last_modified_at_ms BIGINT, deleted_at_ms BIGINT,"
        " next_schedule_run_at_ms BIGINT, doc TEXT NOT NULL);"
        "CREATE INDEX workflows_deleted ON workflows (deleted_at_ms);"
        "CREATE TABLE workflow_versions ("
        " pk TEXT PRIMARY KEY, parent TEXT NOT NULL, version_number BIGINT, display_name TEXT,"
        " category TEXT, is_enabled INTEGER, is_scheduling_enabled INTEGER,"
        " created_at_ms BIGINT, last_modified_at_ms BIGINT, doc TEXT NOT NULL);"
        "CREATE INDEX workflow_versions_parent ON workflow_versions (parent);"
        "CREATE TABLE custom_task_extensions ("
        " pk TEXT PRIMARY KEY, parent TEXT, display_name TEXT, created_at_ms BIGINT,"
        " last_modified_at_ms BIGINT, doc TEXT NOT NULL);"
        "CREATE TABLE audit_events ("
        " pk TEXT PRIMARY KEY, parent TEXT, activity_at_ms BIGINT, category TEXT,"
        " activity TEXT, result TEXT, logged_by_service TEXT, correlation_id TEXT,"
        " initiated_by_id TEXT, initiated_by_name TEXT, doc TEXT NOT NULL);"
        "CREATE INDEX audit_events_time ON audit_events (activity_at_ms);"
        "CREATE TABLE users ("
        " pk TEXT PRIMARY KEY, parent TEXT, user_principal_name TEXT NOT NULL,"
        " display_name TEXT, given_name TEXT, surname TEXT, mail TEXT, mail_nickname TEXT,"
        " department TEXT, job_title TEXT, company_name TEXT, country TEXT, city TEXT,"
        " office_location TEXT, employee_id TEXT, employee_type TEXT, account_enabled INTEGER,"
        " employee_hire_at_ms BIGINT, employee_leave_at_ms BIGINT, created_at_ms BIGINT,"
        " user_type TEXT, usage_location TEXT, preferred_language TEXT, state TEXT,"
        " postal_code TEXT, cost_center TEXT, division TEXT, deleted_at_ms BIGINT,"
        " doc TEXT NOT NULL);"
        "CREATE UNIQUE INDEX users_upn ON users (user_principal_name);"
        "CREATE TABLE groups ("
        " pk TEXT PRIMARY KEY, parent TEXT, display_name TEXT, mail_nickname TEXT,"
        " description TEXT, mail TEXT, security_enabled INTEGER, mail_enabled INTEGER,"
        " created_at_ms BIGINT, doc TEXT NOT NULL);"
        "CREATE TABLE group_members ("
        " group_id TEXT NOT NULL, user_id TEXT NOT NULL, added_at_ms BIGINT NOT NULL,"
        " PRIMARY KEY (group_id, user_id));"
        "CREATE INDEX group_members_user ON group_members (user_id);"
        "CREATE TABLE directory_changes ("
        " id TEXT PRIMARY KEY, changed_at_ms BIGINT NOT NULL, kind TEXT NOT NULL,"
        " object_id TEXT NOT NULL, attribute TEXT, old_value TEXT, new_value TEXT);"
        "CREATE INDEX directory_changes_time ON directory_changes (changed_at_ms);"
        "CREATE TABLE tokens ("
        " id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
        " hash TEXT NOT NULL UNIQUE, created_at_ms BIGINT NOT NULL, last_used_at_ms BIGINT,"
        " revoked_at_ms BIGINT);"
        "CREATE TABLE kv (key TEXT PRIMARY KEY, doc TEXT NOT NULL);";

static const char migration_2[] =
        /* Run history: parent = workflow id for all three, so that every
         * workflow-level collection is one indexed range. */
        "CREATE TABLE runs ("
        " pk TEXT PRIMARY KEY, parent TEXT NOT NULL, processing_status TEXT,"
        " execution_type TEXT, scheduled_at_ms BIGINT, started_at_ms BIGINT,"
        " completed_at_ms BIGINT, last_updated_at_ms BIGINT, workflow_version BIGINT,"
        " doc TEXT NOT NULL);"
        "CREATE INDEX runs_parent ON runs (parent, scheduled_at_ms);"
        "CREATE INDEX runs_status ON runs (processing_status);"
        "CREATE TABLE user_results ("
        " pk TEXT PRIMARY KEY, parent TEXT NOT NULL, run_id TEXT NOT NULL, subject_id TEXT,"
        " processing_status TEXT, execution_type TEXT, scheduled_at_ms BIGINT,"
        " started_at_ms BIGINT, completed_at_ms BIGINT, workflow_version BIGINT,"
        " total_tasks BIGINT, failed_tasks BIGINT, unprocessed_tasks BIGINT, doc TEXT NOT NULL);"
        "CREATE INDEX user_results_parent ON user_results (parent);"
        "CREATE INDEX user_results_run ON user_results (run_id, processing_status);"
        "CREATE TABLE task_results ("
        " pk TEXT PRIMARY KEY, parent TEXT NOT NULL, run_id TEXT NOT NULL,"
        " user_result_id TEXT NOT NULL, task_id TEXT, subject_id TEXT,"
        " processing_status TEXT, created_at_ms BIGINT, started_at_ms BIGINT,"
        " completed_at_ms BIGINT, doc TEXT NOT NULL);"
        "CREATE INDEX task_results_parent ON task_results (parent);"
        "CREATE INDEX task_results_user ON task_results (user_result_id, task_id);"
        "CREATE INDEX task_results_run ON task_results (run_id, task_id);"
        /* The durable work queue: one item per user result still to process. */
        "CREATE TABLE work_items ("
        " id TEXT PRIMARY KEY, run_id TEXT NOT NULL, workflow_id TEXT NOT NULL,"
        " available_at_ms BIGINT NOT NULL, lease_owner TEXT, lease_expires_at_ms BIGINT);"
        "CREATE INDEX work_items_ready ON work_items (available_at_ms);"
        /* Time-based triggers process a user once per qualifying value. */
        "CREATE TABLE trigger_marks ("
        " workflow_id TEXT NOT NULL, user_id TEXT NOT NULL, value_key TEXT NOT NULL,"
        " run_id TEXT NOT NULL, marked_at_ms BIGINT NOT NULL,"
        " PRIMARY KEY (workflow_id, user_id, value_key));";

static const char migration_3[] =
        /* Reprocess lineage: which run was created from which source run or
         * user result (reprocessedRuns). kind is 'run' or 'result'. */
        "CREATE TABLE run_links ("
        " kind TEXT NOT NULL, source_id TEXT NOT NULL, new_run_id TEXT NOT NULL,"
        " workflow_id TEXT NOT NULL, created_at_ms BIGINT NOT NULL,"
        " PRIMARY KEY (kind, source_id, new_run_id));"
        "CREATE INDEX run_links_new ON run_links (new_run_id);";

static const char migration_4[] =
        /* Insights group task results by task definition. */
        "ALTER TABLE task_results ADD COLUMN task_definition_id TEXT;"
        "CREATE INDEX task_results_created ON task_results (created_at_ms);"
        "CREATE INDEX user_results_scheduled ON user_results (parent, scheduled_at_ms);"
        "CREATE INDEX runs_scheduled ON runs (scheduled_at_ms);";

static const char migration_5[] =
        /* Licence units in use are counted per SKU on every assignment: an
         * index of (user, sku) kept in step with users' assignedLicenses. */
        "CREATE TABLE user_licenses (user_id TEXT NOT NULL, sku_id TEXT NOT NULL,"
        " PRIMARY KEY (user_id, sku_id));"
        "CREATE INDEX user_licenses_sku ON user_licenses (sku_id);";

static int row_user(void *ctx, const struct store_val *c, size_t n)
{
    json_t *users = ctx, *doc;
    json_error_t jerr;

    if (n < 2 || c[1].kind != STORE_TEXT)
        return LCW_EINTERNAL;
    doc = json_loads(c[1].s, 0, &jerr);
    return doc && !json_array_append_new(users, doc) ? 0 : LCW_ENOMEM;
}

/* Fill user_licenses from the users already stored. */
static int backfill_user_licenses(struct store_tx *tx, struct lcw_error *err)
{
    json_t *users = json_array(), *doc;
    size_t i;
    int rc;

    if (!users)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    rc = store_exec(tx, "SELECT pk, doc FROM users", NULL, 0, row_user, users, NULL, err);
    json_array_foreach (users, i, doc) {
        if (!rc)
            rc = store__user_licenses_sync(tx, json_string_value(json_object_get(doc, "id")), doc,
                                           err);
    }
    json_decref(users);
    return rc;
}

static const char migration_6[] =
        /* Keyset pages and exports of a workflow's history walk (parent, pk);
         * summaries and insights read these columns without the documents. */
        "CREATE INDEX user_results_parent_pk ON user_results (parent, pk);"
        "CREATE INDEX task_results_parent_pk ON task_results (parent, pk);"
        "CREATE INDEX user_results_window ON user_results (scheduled_at_ms, processing_status,"
        " total_tasks, failed_tasks, unprocessed_tasks);";

static const char migration_7[] =
        /* Counters per run and per task of a run, kept by every write of a
         * result (stats.c), filled here from the results already stored. */
        "CREATE TABLE run_stats ("
        " run_id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, users BIGINT NOT NULL,"
        " users_ok BIGINT NOT NULL, users_failed BIGINT NOT NULL, tasks BIGINT NOT NULL,"
        " tasks_failed BIGINT NOT NULL, tasks_unprocessed BIGINT NOT NULL, last_ms BIGINT);"
        "CREATE INDEX run_stats_workflow ON run_stats (workflow_id);"
        "CREATE TABLE run_task_stats ("
        " run_id TEXT NOT NULL, task_id TEXT NOT NULL, workflow_id TEXT NOT NULL,"
        " task_definition_id TEXT, total BIGINT NOT NULL, completed BIGINT NOT NULL,"
        " failed BIGINT NOT NULL, pending BIGINT NOT NULL, started_min_ms BIGINT,"
        " completed_max_ms BIGINT, last_ms BIGINT, PRIMARY KEY (run_id, task_id));"
        "CREATE INDEX run_task_stats_workflow ON run_task_stats (workflow_id);"
        "INSERT INTO run_stats (run_id, workflow_id, users, users_ok, users_failed, tasks,"
        " tasks_failed, tasks_unprocessed, last_ms)"
        " SELECT run_id, MIN(parent), COUNT(*),"
        " SUM(CASE WHEN processing_status = 'completed' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN processing_status IN ('failed', 'completedWithErrors') THEN 1 ELSE 0 END),"
        " COALESCE(SUM(total_tasks), 0), COALESCE(SUM(failed_tasks), 0),"
        " COALESCE(SUM(unprocessed_tasks), 0),"
        " MAX(CASE WHEN completed_at_ms IS NULL THEN started_at_ms ELSE completed_at_ms END)"
        " FROM user_results GROUP BY run_id;"
        "INSERT INTO run_task_stats (run_id, task_id, workflow_id, task_definition_id, total,"
        " completed, failed, pending, started_min_ms, completed_max_ms, last_ms)"
        " SELECT run_id, task_id, MIN(parent), MIN(task_definition_id), COUNT(*),"
        " SUM(CASE WHEN processing_status = 'completed' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN processing_status = 'failed' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN processing_status IN ('queued', 'inProgress') THEN 1 ELSE 0 END),"
        " MIN(started_at_ms), MAX(completed_at_ms),"
        " MAX(CASE WHEN completed_at_ms IS NULL THEN started_at_ms ELSE completed_at_ms END)"
        " FROM task_results WHERE task_id IS NOT NULL GROUP BY run_id, task_id;";

static const char migration_8[] =
        /* A page of a workflow's user results inside a time window picks its
         * keys from (parent, scheduled_at_ms, pk) without reading a row
         * (list.c). It replaces (parent, scheduled_at_ms), its prefix. The
         * tenant-wide window indexes of summaries and insights go: those read
         * the counters of migration 7 now, and every result write paid for
         * them. */
        "CREATE INDEX IF NOT EXISTS user_results_parent_window ON user_results (parent, scheduled_at_ms, pk);"
        "DROP INDEX IF EXISTS user_results_scheduled;"
        "DROP INDEX IF EXISTS user_results_window;"
        "DROP INDEX IF EXISTS task_results_created;";

const struct store_migration store_migrations[] = {
        {1, "resources, directory, tokens, audit", migration_1, NULL},
        {2, "run history and the work queue", migration_2, NULL},
        {3, "reprocess lineage", migration_3, NULL},
        {4, "history indexes for summaries and insights", migration_4, NULL},
        {5, "licence assignments index", migration_5, backfill_user_licenses},
        {6, "history paging and window indexes", migration_6, NULL},
        {7, "run and task counters", migration_7, NULL},
        {8, "user results window keys index; summary indexes dropped", migration_8, NULL},
};
const size_t store_n_migrations = sizeof(store_migrations) / sizeof(store_migrations[0]);
