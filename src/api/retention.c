/* SPDX-License-Identifier: MIT */
/*
 * History retention: runs completed before the settings'
 * historyRetentionInDays window (default 90; 0 keeps everything) are
 * deleted with their user and task results and their lineage links, a
 * small batch per transaction so that the API is never blocked for long.
 * Each purge writes one audit event with the count and the window.
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

#define MS_PER_DAY      86400000LL
#define RETENTION_BATCH 100 /* runs per transaction */

static int row_pair(void *ctx, const struct store_val *c, size_t n)
{
    json_t *runs = ctx;

    if (n >= 2 && c[0].kind == STORE_TEXT && c[1].kind == STORE_TEXT)
        json_array_append_new(runs, json_pack("[s, s]", c[0].s, c[1].s));
    return 0;
}

static int purge_run(struct store_tx *tx, const char *run_id, struct lcw_error *err)
{
    static const char *const sql[] = {
            ("DELETE FROM run_links WHERE kind = 'result' AND source_id IN (SELECT pk FROM"
             " user_results WHERE run_id = ?)"),
            "DELETE FROM run_links WHERE (kind = 'run' AND source_id = ?)",
            "DELETE FROM run_links WHERE new_run_id = ?",
            "DELETE FROM task_results WHERE run_id = ?",
            "DELETE FROM user_results WHERE run_id = ?",
            "DELETE FROM run_task_stats WHERE run_id = ?",
            "DELETE FROM run_stats WHERE run_id = ?",
            "DELETE FROM work_items WHERE run_id = ?",
            "DELETE FROM runs WHERE pk = ?",
    };
    struct store_val p = STORE_V_TEXT(run_id);
    int rc = 0;

    for (size_t i = 0; !rc && i < sizeof(sql) / sizeof(sql[0]); i++)
        rc = store_exec(tx, sql[i], &p, 1, NULL, NULL, NULL, err);
    return rc;
}

int api__retention(const struct api_ctx *ctx, int64_t now_ms, int64_t *purged,
                   struct lcw_error *err)
{
    struct api_req req = {0};
    json_t *settings = NULL, *runs = NULL;
    struct store_tx tx;
    int64_t days, cutoff;
    int rc;

    *purged = 0;
    rc = store_tx_begin(ctx->store, &tx, STORE_TX_READ, err);
    if (rc)
        return rc;
    rc = api__settings_get(&tx, &settings, err);
    store_tx_rollback(&tx);
    if (rc)
        return rc;
    days = jsonx_int(settings, "historyRetentionInDays", 90);
    json_decref(settings);
    if (days <= 0)
        return 0;
    cutoff = now_ms - days * MS_PER_DAY;
    req.ctx = ctx;
    req.now_ms = now_ms;
    req.request_id = "retention";
    lcw_strlcpy(req.who.name, "lcwd retention", sizeof(req.who.name));
    for (;;) {
        struct store_val p[2] = {STORE_V_INT(cutoff), STORE_V_INT(RETENTION_BATCH)};
        size_t i;
        json_t *r;

        runs = json_array();
        if (!runs)
            return lcw_error_set(err, LCW_ENOMEM, "out of memory");
        rc = store_tx_begin(ctx->store, &tx, STORE_TX_WRITE, err);
        if (rc)
            break;
        rc = store_exec(&tx,
                        "SELECT pk, parent FROM runs WHERE completed_at_ms IS NOT NULL AND"
                        " completed_at_ms < ? ORDER BY completed_at_ms LIMIT ?",
                        p, 2, row_pair, runs, NULL, err);
        json_array_foreach (runs, i, r) {
            if (!rc)
                rc = purge_run(&tx, json_string_value(json_array_get(r, 0)), err);
        }
        if (!rc && json_array_size(runs)) {
            char window[64], count[32], ts[TIMEFMT_LEN];
            json_t *details;

            (void)snprintf(window, sizeof(window), "%lld days (completed before %s)",
                           (long long)days, timefmt_format(cutoff, ts));
            (void)snprintf(count, sizeof(count), "%zu", json_array_size(runs));
            details = json_pack("[{s:s, s:s}, {s:s, s:s}]", "key", "runsPurged", "value", count,
                                "key", "window", "value", window);
            rc = api__audit(&tx, &req, "WorkflowManagement", "Purge workflow history", "Delete",
                            NULL, details, err);
        }
        if (rc) {
            store_tx_rollback(&tx);
            break;
        }
        rc = store_tx_commit(&tx, err);
        if (rc)
            break;
        *purged += (int64_t)json_array_size(runs);
        if (json_array_size(runs) < RETENTION_BATCH)
            break;
        json_decref(runs);
        runs = NULL;
    }
    json_decref(runs);
    if (!rc && *purged)
        log_info("history_purged", "runs=%lld retention_days=%lld", (long long)*purged,
                 (long long)days);
    return rc;
}
