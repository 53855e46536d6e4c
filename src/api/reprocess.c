/* SPDX-License-Identifier: MIT */
/*
 * Reprocess: POST /workflows/{id}/activateWithScope (Graph) and its dry run
 * planActivation (lcw), and the reprocessedRuns lineage. One resolver turns
 * a scope into the list of users and tasks to run, applying every refusal
 * of DESIGN section 5, so that a plan and the activation it predicts can
 * never disagree. A reprocess never edits history: it creates a new run
 * (activatedWithScope) and links it from its sources.
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

#define WF_FRAGMENT "identityGovernance/lifecycleWorkflows/workflows"

/* One user of the resolved activation. */
struct entry {
    const char *user_id;   /* borrowed from the plan's docs */
    const char *source_id; /* source user result, or NULL */
    const char *source_run;
    json_t *task_ids; /* owned: tasks to run, in order */
    json_t *skip;     /* owned: task id -> run it succeeded in (skipIfSucceeded) */
};

struct plan {
    const char *kind;       /* "run", "results", "users", "query" */
    const char *task_scope; /* "allTasks" | "failedTasks" */
    const json_t *scope;    /* as submitted (borrowed from the body) */
    char source_run[128];   /* run scope: the source run */
    json_t *docs;           /* owned: source user results and users, keeps strings alive */
    json_t *version;        /* owned: the version that will run */
    int64_t version_number;
    struct entry *entries;
    size_t n;
    json_t *source_runs; /* owned: set of source run ids */
    json_t *extra_links; /* owned: source results merged into another user's entry */
};

static void plan_release(struct plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        json_decref(p->entries[i].task_ids);
        json_decref(p->entries[i].skip);
    }
    lcw_free(p->entries);
    json_decref(p->docs);
    json_decref(p->version);
    json_decref(p->source_runs);
    json_decref(p->extra_links);
    memset(p, 0, sizeof(*p));
}

/* "#microsoft.graph.identityGovernance.activateRunScope" -> "activateRunScope". */
static const char *scope_type(const json_t *scope)
{
    const char *t = jsonx_str(scope, "@odata.type");
    const char *dot;

    if (!t)
        return NULL;
    dot = strrchr(t, '.');
    return dot ? dot + 1 : (t[0] == '#' ? t + 1 : t);
}

static int refuse(struct api_req *req, struct api_resp *resp, int status, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Fill `resp` with the Graph error for `status` and return LCW_EINVAL. */
static int refuse(struct api_req *req, struct api_resp *resp, int status, const char *fmt, ...)
{
    static const struct {
        int status;
        const char *code;
    } codes[] = {{400, "BadRequest"},
                 {404, "ResourceNotFound"},
                 {406, "NotAcceptable"},
                 {409, "Conflict"},
                 {500, "InternalServerError"}};
    const char *code = "BadRequest";
    char msg[512];
    va_list ap;

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (codes[i].status == status)
            code = codes[i].code;
    }
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    api_error(resp, req, status, code, "%s", msg);
    return LCW_EINVAL;
}

static int row_first(void *ctx, const struct store_val *c, size_t n)
{
    char *out = ctx;

    if (n >= 1 && c[0].kind == STORE_TEXT)
        lcw_strlcpy(out, c[0].s, 128);
    return 1;
}

/* The id of a queued/in-progress reprocess of `source`, or "" when none. */
static int active_reprocess(struct store_tx *tx, const char *kind, const char *source,
                            char out[128], struct lcw_error *err)
{
    struct store_val p[2] = {STORE_V_TEXT(kind), STORE_V_TEXT(source)};
    int rc;

    out[0] = '\0';
    rc = store_exec(tx,
                    "SELECT r.pk FROM run_links l JOIN runs r ON r.pk = l.new_run_id"
                    " WHERE l.kind = ? AND l.source_id = ? AND r.processing_status IN"
                    " ('queued', 'inProgress')",
                    p, 2, row_first, out, NULL, err);
    return rc == 1 ? 0 : rc;
}

static int row_docs(void *ctx, const struct store_val *c, size_t n)
{
    json_t *arr = ctx, *doc;
    json_error_t jerr;

    if (n < 1 || c[0].kind != STORE_TEXT)
        return LCW_EINTERNAL;
    doc = json_loads(c[0].s, 0, &jerr);
    if (!doc || json_array_append_new(arr, doc))
        return LCW_ENOMEM;
    return 0;
}

/* The task of `version` that corresponds to `src` (same id, else same definition and name). */
static const json_t *match_task(const json_t *version, const json_t *src)
{
    const json_t *by_def = NULL;
    size_t i;
    json_t *t;

    json_array_foreach (json_object_get(version, "tasks"), i, t) {
        const char *id = jsonx_str(t, "id"), *def = jsonx_str(t, "taskDefinitionId");

        if (!jsonx_bool(t, "isEnabled", true))
            continue;
        if (id && jsonx_str(src, "id") && lcw_str_eq_ci(id, jsonx_str(src, "id")))
            return t;
        if (def && jsonx_str(src, "taskDefinitionId") &&
            lcw_str_eq_ci(def, jsonx_str(src, "taskDefinitionId"))) {
            if (!by_def ||
                (jsonx_str(t, "displayName") && jsonx_str(src, "displayName") &&
                 strcmp(jsonx_str(t, "displayName"), jsonx_str(src, "displayName")) == 0))
                by_def = t;
        }
    }
    return by_def;
}

/*
 * Fill entry `e` for source user result `ur`: the tasks to run (all enabled
 * tasks, or those that did not complete), and the skipIfSucceeded skips.
 */
static int plan_tasks(struct store_tx *tx, struct plan *p, struct entry *e, const json_t *ur,
                      struct lcw_error *err)
{
    struct store_val k = STORE_V_TEXT(jsonx_str(ur, "id"));
    json_t *trs = json_array(), *completed = json_object();
    size_t i;
    json_t *t;
    int rc;

    e->task_ids = json_array();
    e->skip = json_object();
    if (!trs || !completed || !e->task_ids || !e->skip) {
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        goto out;
    }
    rc = store_exec(tx, "SELECT doc FROM task_results WHERE user_result_id = ?", &k, 1, row_docs,
                    trs, NULL, err);
    if (rc)
        goto out;
    /* Which tasks of this version completed for the user in the source run. */
    json_array_foreach (trs, i, t) {
        const char *st = jsonx_str(t, "processingStatus");
        const json_t *mine = match_task(p->version, json_object_get(t, "task"));

        if (mine && st && strcmp(st, "completed") == 0)
            json_object_set_new(completed, jsonx_str(mine, "id"), json_true());
    }
    json_array_foreach (json_object_get(p->version, "tasks"), i, t) {
        const char *id = jsonx_str(t, "id");

        if (!jsonx_bool(t, "isEnabled", true))
            continue;
        if (strcmp(p->task_scope, "failedTasks") == 0) {
            /* Failed tasks and those that never ran because of a stopping failure. */
            if (json_object_get(completed, id))
                continue;
        } else if (json_object_get(completed, id) && jsonx_str(t, "reprocessPolicy") &&
                   strcmp(jsonx_str(t, "reprocessPolicy"), "skipIfSucceeded") == 0) {
            json_object_set_new(e->skip, id, json_string(jsonx_str(ur, "#lcw.runId")));
        }
        json_array_append_new(e->task_ids, json_string(id));
    }
out:
    json_decref(trs);
    json_decref(completed);
    return rc;
}

/* Check one source user result: final, not under an active reprocess. */
static int check_source(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                        const json_t *ur)
{
    struct lcw_error err = {0};
    char active[128];
    const char *id = jsonx_str(ur, "id");

    if (!engine_is_final_status(jsonx_str(ur, "processingStatus")))
        return refuse(req, resp, 409,
                      "User processing result '%s' is still %s; reprocess it when it is final", id,
                      jsonx_str(ur, "processingStatus"));
    if (active_reprocess(tx, "result", id, active, &err)) {
        api_error_from(resp, req, &err);
        return LCW_EIO;
    }
    if (active[0])
        return refuse(req, resp, 409,
                      "User processing result '%s' is already being reprocessed by run '%s'; "
                      "wait until that run ends",
                      id, active);
    return 0;
}

static int add_entry(struct plan *p, const char *user_id, const char *source_id,
                     const char *source_run)
{
    struct entry *grown = lcw_realloc(p->entries, (p->n + 1) * sizeof(*grown));

    if (!grown)
        return LCW_ENOMEM;
    p->entries = grown;
    memset(&p->entries[p->n], 0, sizeof(p->entries[0]));
    p->entries[p->n].user_id = user_id;
    p->entries[p->n].source_id = source_id;
    p->entries[p->n].source_run = source_run;
    p->n++;
    if (source_run)
        json_object_set_new(p->source_runs, source_run, json_true());
    return 0;
}

/* Read every user result of this workflow matching `filter` (query scope). */
static int query_results(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                         const char *wf_id, const char *filter, json_t *out)
{
    struct odata_kv kv[2] = {{"$filter", filter}, {"$top", "999"}};
    struct lcw_error err = {0};
    char *token = NULL;
    int rc = 0;

    for (int guard = 0; guard < 100000; guard++) {
        struct odata_kv all[3] = {kv[0], kv[1], {"$skiptoken", token}};
        struct odata_query q;
        struct store_page page = {0};

        rc = odata_query_parse(all, token ? 3 : 2,
                               ODATA_OPT_FILTER | ODATA_OPT_TOP | ODATA_OPT_SKIPTOKEN, &q, &err);
        if (!rc)
            rc = store_entity_list(tx, &store_ent_user_result, &q, wf_id, NULL, NULL, 0, 999, &page,
                                   &err);
        odata_query_release(&q);
        lcw_free(token);
        token = NULL;
        if (rc) {
            if (strncmp(err.msg, "$filter: ", 9) == 0)
                api_error(resp, req, 400, "BadRequest", "scope.filter: %s", err.msg + 9);
            else
                api_error_from(resp, req, &err);
            return rc;
        }
        rc = json_array_extend(out, page.items) ? LCW_ENOMEM : 0;
        token = page.next_token;
        page.next_token = NULL;
        store_page_release(&page);
        if (rc || !token)
            break;
    }
    lcw_free(token);
    return rc;
}

/* Every user result of source run `run_id` (all, or failed ones). */
static int run_results(struct store_tx *tx, const char *run_id, bool failed_only, json_t *out,
                       struct lcw_error *err)
{
    struct store_val p = STORE_V_TEXT(run_id);

    return store_exec(tx,
                      failed_only ? "SELECT doc FROM user_results WHERE run_id = ? AND"
                                    " processing_status IN ('failed', 'completedWithErrors')"
                                    " ORDER BY pk"
                                  : "SELECT doc FROM user_results WHERE run_id = ? ORDER BY pk",
                      &p, 1, row_docs, out, NULL, err);
}

/*
 * Resolve the body of activateWithScope / planActivation into `p`, applying
 * every refusal. On failure `resp` holds the Graph error and nothing changed.
 */
static int resolve(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                   const json_t *wf, const json_t *body, struct plan *p)
{
    const json_t *scope = json_object_get(body, "scope");
    const json_t *subjects = json_object_get(body, "subjects");
    struct lcw_error err = {0};
    const char *type, *ver_choice, *user_scope;
    bool is_quarantined;
    json_t *sources = NULL;
    const char *key;
    json_t *v;
    size_t i;
    int rc = 0;

    memset(p, 0, sizeof(*p));
    p->docs = json_array();
    p->source_runs = json_object();
    p->extra_links = json_object();
    if (!p->docs || !p->source_runs || !p->extra_links)
        return refuse(req, resp, 500, "out of memory");
    json_object_foreach (JSONX_MUT(body), key, v) {
        if (strcmp(key, "scope") != 0 && strcmp(key, "subjects") != 0)
            return refuse(req, resp, 400,
                          "Unknown property '%s' (expected 'scope', or the legacy 'subjects')",
                          key);
    }
    if (!scope && json_is_array(subjects)) {
        /* The documented legacy body: an on-demand run for users. */
        type = "activateUserScope";
    } else if (!json_is_object(scope) || !(type = scope_type(scope))) {
        return refuse(req, resp, 400,
                      "scope: an activation scope with an @odata.type is required "
                      "(activateRunScope, activateProcessingResultScope, activateUserScope, "
                      "lcw.activateQueryScope)");
    }
    p->scope = scope;
    {
        static const char *const strings[] = {"taskScope", "userScope", "workflowVersion",
                                              "filter"};

        for (size_t k = 0; k < sizeof(strings) / sizeof(strings[0]); k++) {
            const json_t *v2 = json_object_get(scope, strings[k]);

            if (v2 && !json_is_string(v2))
                return refuse(req, resp, 400, "scope.%s must be a string", strings[k]);
        }
    }
    p->task_scope = jsonx_str(scope, "taskScope") ? jsonx_str(scope, "taskScope") : "allTasks";
    user_scope = jsonx_str(scope, "userScope") ? jsonx_str(scope, "userScope") : "allUsers";
    if (strcmp(p->task_scope, "allTasks") != 0 && strcmp(p->task_scope, "failedTasks") != 0)
        return refuse(req, resp, 400,
                      "scope.taskScope must be 'allTasks' or 'failedTasks' (got '%s')",
                      p->task_scope);
    if (strcmp(user_scope, "allUsers") != 0 && strcmp(user_scope, "failedUsers") != 0)
        return refuse(req, resp, 400,
                      "scope.userScope must be 'allUsers' or 'failedUsers' (got '%s')", user_scope);
    ver_choice = jsonx_str(scope, "workflowVersion");
    if (ver_choice && strcmp(ver_choice, "source") != 0 && strcmp(ver_choice, "current") != 0)
        return refuse(req, resp, 400,
                      "scope.workflowVersion must be 'current' (default) or 'source' (got '%s')",
                      ver_choice);
    if (!json_is_null(json_object_get(wf, "deletedDateTime")))
        return refuse(req, resp, 400, "Workflow '%s' is deleted; restore it before reprocessing",
                      jsonx_str(wf, "displayName"));
    if (!jsonx_bool(wf, "isEnabled", true))
        return refuse(req, resp, 400, "Workflow '%s' is disabled; enable it before reprocessing",
                      jsonx_str(wf, "displayName"));
    is_quarantined = jsonx_str(json_object_get(wf, "quarantineDetails"), "quarantineType") &&
                     strcmp(jsonx_str(json_object_get(wf, "quarantineDetails"), "quarantineType"),
                            "notQuarantined") != 0;
    sources = json_array();
    if (!sources)
        return refuse(req, resp, 500, "out of memory");

    if (strcmp(type, "activateRunScope") == 0) {
        const char *run_id = jsonx_str(json_object_get(scope, "run"), "id");
        json_t *run = NULL;
        char active[128];

        p->kind = "run";
        if (!run_id) {
            rc = refuse(req, resp, 400, "scope.run: {\"id\": ...} of a run is required");
            goto out;
        }
        if (is_quarantined && strcmp(user_scope, "allUsers") != 0) {
            rc = refuse(req, resp, 400,
                        "Workflow '%s' is quarantined: only a whole-run reprocess of all users is "
                        "allowed until its execution is approved (clearQuarantine)",
                        jsonx_str(wf, "displayName"));
            goto out;
        }
        rc = engine_run_get(tx, jsonx_str(wf, "id"), run_id, &run, &err);
        if (rc) {
            api_error_from(resp, req, &err);
            goto out;
        }
        lcw_strlcpy(p->source_run, run_id, sizeof(p->source_run));
        if (!engine_is_final_status(jsonx_str(run, "processingStatus"))) {
            rc = refuse(req, resp, 409, "Run '%s' is still %s; reprocess it when it is final",
                        run_id, jsonx_str(run, "processingStatus"));
            json_decref(run);
            goto out;
        }
        json_decref(run);
        rc = active_reprocess(tx, "run", run_id, active, &err);
        if (!rc && active[0])
            rc = refuse(req, resp, 409,
                        "Run '%s' is already being reprocessed by run '%s'; wait until that run "
                        "ends",
                        run_id, active);
        else if (rc)
            api_error_from(resp, req, &err);
        if (!rc)
            rc = run_results(tx, run_id, strcmp(user_scope, "failedUsers") == 0, sources, &err);
        if (rc && !resp->status)
            api_error_from(resp, req, &err);
        if (rc)
            goto out;
    } else if (strcmp(type, "activateProcessingResultScope") == 0 ||
               strcmp(type, "activateQueryScope") == 0) {
        bool is_query = strcmp(type, "activateQueryScope") == 0;

        p->kind = is_query ? "query" : "results";
        if (is_quarantined) {
            rc = refuse(req, resp, 400,
                        "Workflow '%s' is quarantined: per-user reprocess is refused until its "
                        "execution is approved (clearQuarantine)",
                        jsonx_str(wf, "displayName"));
            goto out;
        }
        if (is_query) {
            const char *filter = jsonx_str(scope, "filter");

            if (!filter || !*filter) {
                rc = refuse(req, resp, 400,
                            "scope.filter: an OData filter over this workflow's "
                            "userProcessingResults is required");
                goto out;
            }
            rc = query_results(tx, req, resp, jsonx_str(wf, "id"), filter, sources);
            if (rc)
                goto out;
        } else {
            const json_t *ids = json_object_get(scope, "processingResults");
            struct buf missing;
            json_t *r;

            if (!json_is_array(ids) || json_array_size(ids) == 0) {
                rc = refuse(req, resp, 400,
                            "scope.processingResults: a non-empty array of {\"id\": ...} is "
                            "required");
                goto out;
            }
            if ((int64_t)json_array_size(ids) > req->ctx->cfg->max_activation_users) {
                char n[32], lim[32];

                (void)snprintf(n, sizeof(n), "%zu", json_array_size(ids));
                (void)snprintf(lim, sizeof(lim), "%lld",
                               (long long)req->ctx->cfg->max_activation_users);
                rc = refuse(req, resp, 400,
                            "scope.processingResults: %s results were given; at most %s can be "
                            "reprocessed at once (limits.activation_users; use "
                            "#lcw.activateQueryScope for more)",
                            n, lim);
                goto out;
            }
            buf_init(&missing, 4096);
            json_array_foreach (ids, i, r) {
                const char *id = jsonx_str(r, "id");
                json_t *ur = NULL;
                struct store_val k[2] = {STORE_V_TEXT(id ? id : ""),
                                         STORE_V_TEXT(jsonx_str(wf, "id"))};
                int64_t mine = 0;

                if (store_entity_get(tx, &store_ent_user_result, id ? id : "", &ur, &err)) {
                    (void)buf_printf(&missing, "%s'%s'", missing.len ? ", " : "", id ? id : "");
                    continue;
                }
                rc = store_query_int(tx,
                                     "SELECT COUNT(*) FROM user_results WHERE pk = ? AND"
                                     " parent = ?",
                                     k, 2, &mine, &err);
                if (!rc && !mine) {
                    json_decref(ur);
                    buf_release(&missing);
                    rc = refuse(req, resp, 400,
                                "User processing result '%s' belongs to another workflow, not "
                                "'%s'",
                                id, jsonx_str(wf, "displayName"));
                    goto out;
                }
                json_array_append_new(sources, ur);
            }
            if (missing.len) {
                api_error(resp, req, 404, "ResourceNotFound", "No such user processing result: %s",
                          buf_cstr(&missing));
                buf_release(&missing);
                rc = LCW_ENOTFOUND;
                goto out;
            }
            buf_release(&missing);
        }
    } else if (strcmp(type, "activateUserScope") == 0) {
        const json_t *users = scope ? json_object_get(scope, "users") : subjects;
        json_t *u;

        p->kind = "users";
        if (is_quarantined) {
            rc = refuse(req, resp, 400,
                        "Workflow '%s' is quarantined: per-user activation is refused until its "
                        "execution is approved (clearQuarantine)",
                        jsonx_str(wf, "displayName"));
            goto out;
        }
        if (!json_is_array(users) || json_array_size(users) == 0) {
            rc = refuse(req, resp, 400,
                        "scope.users: a non-empty array of {\"id\": ...} is "
                        "required");
            goto out;
        }
        if ((int64_t)json_array_size(users) > req->ctx->cfg->max_activation_users) {
            char lim[32];

            (void)snprintf(lim, sizeof(lim), "%lld",
                           (long long)req->ctx->cfg->max_activation_users);
            rc = refuse(req, resp, 400, "scope.users: at most %s users can be activated at once",
                        lim);
            goto out;
        }
        json_array_foreach (users, i, u) {
            json_t *doc = NULL;
            const char *id = jsonx_str(u, "id");

            /* Graph documents 406 for users that do not exist. */
            if (!id || dir_user_get(req->ctx->dir, tx, id, &doc, &err)) {
                rc = refuse(req, resp, 406, "scope.users: no such user '%s'", id ? id : "");
                goto out;
            }
            json_array_append_new(p->docs, doc);
        }
    } else {
        rc = refuse(req, resp, 400,
                    "scope: unsupported @odata.type '%s' (activateRunScope, "
                    "activateProcessingResultScope, activateUserScope, lcw.activateQueryScope)",
                    type);
        goto out;
    }

    /* The version that runs: the current one, or the sources' when asked. */
    p->version_number = jsonx_int(wf, "version", 1);
    if (ver_choice && strcmp(ver_choice, "source") == 0 && json_array_size(sources)) {
        json_t *s;

        p->version_number = jsonx_int(json_array_get(sources, 0), "workflowVersion", 1);
        json_array_foreach (sources, i, s) {
            if (jsonx_int(s, "workflowVersion", 1) != p->version_number) {
                rc = refuse(req, resp, 400,
                            "scope.workflowVersion 'source': the selected results ran different "
                            "versions of the workflow; reprocess them separately");
                goto out;
            }
        }
    }
    rc = engine_version_get(tx, jsonx_str(wf, "id"), p->version_number, &p->version, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (strcmp(p->kind, "users") == 0) {
        json_array_foreach (p->docs, i, v) {
            struct entry *e;
            size_t k;
            json_t *t;
            bool dup = false;

            for (size_t j = 0; j < p->n; j++)
                dup |= strcmp(p->entries[j].user_id, jsonx_str(v, "id")) == 0;
            if (dup)
                continue; /* one result per user in a run */
            if (add_entry(p, jsonx_str(v, "id"), NULL, NULL)) {
                rc = refuse(req, resp, 500, "out of memory");
                goto out;
            }
            e = &p->entries[p->n - 1];
            e->task_ids = json_array();
            json_array_foreach (json_object_get(p->version, "tasks"), k, t) {
                if (jsonx_bool(t, "isEnabled", true))
                    json_array_append_new(e->task_ids, json_string(jsonx_str(t, "id")));
            }
        }
        goto out;
    }
    {
        json_t *ur;

        json_array_foreach (sources, i, ur) {
            if (strcmp(p->kind, "run") != 0 && (rc = check_source(tx, req, resp, ur)) != 0)
                goto out;
            struct entry *e;
            const char *uid = jsonx_str(json_object_get(ur, "subject"), "id");
            bool seen = false;

            /* The same result twice, or several results of one user (a query
             * over reprocessed runs): one user result per user in the new run,
             * from the latest source; every source is still linked. */
            for (size_t j = 0; j < p->n; j++) {
                if (strcmp(p->entries[j].user_id, uid) == 0) {
                    json_object_set_new(p->extra_links, jsonx_str(ur, "id"), json_true());
                    if (strcmp(jsonx_str(ur, "id"), p->entries[j].source_id) > 0) {
                        json_object_set_new(p->extra_links, p->entries[j].source_id, json_true());
                        json_decref(p->entries[j].task_ids);
                        json_decref(p->entries[j].skip);
                        p->entries[j] = p->entries[p->n - 1];
                        p->n--;
                    } else {
                        seen = true;
                    }
                    break;
                }
            }
            if (seen)
                continue;
            json_object_del(p->extra_links, jsonx_str(ur, "id"));
            json_array_append(p->docs, ur);
            if (add_entry(p, uid, jsonx_str(ur, "id"), jsonx_str(ur, "#lcw.runId"))) {
                rc = refuse(req, resp, 500, "out of memory");
                goto out;
            }
            e = &p->entries[p->n - 1];
            rc = plan_tasks(tx, p, e, ur, &err);
            if (rc) {
                api_error_from(resp, req, &err);
                goto out;
            }
            if (json_array_size(e->task_ids) == 0) {
                /* Nothing left to do for this user: leave it out of the run. */
                json_decref(e->task_ids);
                json_decref(e->skip);
                p->n--;
            }
        }
    }
out:
    json_decref(sources);
    return rc;
}

/* The plan as JSON: what would run for whom. */
static json_t *plan_json(const struct plan *p)
{
    json_t *value = json_array();
    int64_t tasks = 0;

    for (size_t i = 0; value && i < p->n; i++) {
        const struct entry *e = &p->entries[i];
        json_t *ts = json_array(), *item;
        size_t k;
        json_t *tid;

        json_array_foreach (e->task_ids, k, tid) {
            const json_t *t = engine_version_task(p->version, json_string_value(tid));
            json_t *skip = json_object_get(e->skip, json_string_value(tid));

            tasks++;
            json_array_append_new(ts,
                                  json_pack("{s:s, s:s?, s:s?, s:s?}", "id", json_string_value(tid),
                                            "displayName", jsonx_str(t, "displayName"),
                                            "taskDefinitionId", jsonx_str(t, "taskDefinitionId"),
                                            "skippedBecauseSucceededIn", json_string_value(skip)));
        }
        item = json_pack("{s:{s:s}, s:s?, s:s?, s:o}", "subject", "id", e->user_id,
                         "sourceProcessingResultId", e->source_id, "sourceRunId", e->source_run,
                         "tasks", ts);
        json_array_append_new(value, item);
    }
    return json_pack("{s:I, s:I, s:I, s:o}", "totalUsers", (json_int_t)p->n, "totalTasks",
                     (json_int_t)tasks, "workflowVersion", (json_int_t)p->version_number, "value",
                     value);
}

static int load_wf(struct store_tx *tx, struct api_req *req, struct api_resp *resp, const char *id,
                   json_t **out)
{
    struct lcw_error err = {0};
    int rc = store_entity_get(tx, &store_ent_workflow, id, out, &err);

    if (rc == LCW_ENOTFOUND)
        api_error(resp, req, 404, "ResourceNotFound", "Workflow '%s' was not found", id);
    else if (rc)
        api_error_from(resp, req, &err);
    return rc;
}

void api_workflow_plan(struct api_req *req, struct api_resp *resp)
{
    struct store_tx tx;
    struct plan p = {0};
    json_t *body = NULL, *wf = NULL, *out = NULL;
    char wf_id[128], f[300];

    api_param(req, 0, wf_id, sizeof(wf_id));
    if (api__body(req, resp, &body))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto done;
    if (load_wf(&tx, req, resp, wf_id, &wf) == 0 && resolve(&tx, req, resp, wf, body, &p) == 0) {
        /* Paged like a collection ($top, $skiptoken); the totals cover the whole plan. */
        static const struct odata_property props[] = {
                {"subject/id", NULL, ODATA_T_GUID, ODATA_OP_EQ | ODATA_OP_IN, false},
                {"sourceProcessingResultId", NULL, ODATA_T_STRING, ODATA_OP_EQ, false},
                {"sourceRunId", NULL, ODATA_T_STRING, ODATA_OP_EQ, false},
        };
        static const struct odata_entity ent = {"planned user", "subject/id", props, 3};
        struct odata_query q;

        out = plan_json(&p);
        (void)snprintf(f, sizeof(f), WF_FRAGMENT "('%s')/planActivation", wf_id);
        if (out && api__query(req, resp, ODATA_OPT_TOP | ODATA_OPT_SKIPTOKEN | ODATA_OPT_FILTER,
                              &q) == 0) {
            api__list_array(req, resp, json_object_get(out, "value"), &ent, &q, f);
            if (resp->status == 200 && resp->body) {
                json_object_set(resp->body, "totalUsers", json_object_get(out, "totalUsers"));
                json_object_set(resp->body, "totalTasks", json_object_get(out, "totalTasks"));
                json_object_set(resp->body, "workflowVersion",
                                json_object_get(out, "workflowVersion"));
            }
            odata_query_release(&q);
        }
        json_decref(out);
    }
    store_tx_rollback(&tx);
done:
    plan_release(&p);
    json_decref(body);
    json_decref(wf);
}

void api_workflow_activate_with_scope(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    struct plan p = {0};
    struct engine_subject *subjects = NULL;
    json_t *body = NULL, *wf = NULL, *targets = NULL, *details = NULL, *scope_copy = NULL;
    char wf_id[128], run_id[UUID_STR_LEN];
    char *scope_text = NULL;
    const char *rid;
    json_t *one;
    int rc;

    api_param(req, 0, wf_id, sizeof(wf_id));
    if (api__body(req, resp, &body))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (load_wf(&tx, req, resp, wf_id, &wf) || resolve(&tx, req, resp, wf, body, &p))
        goto out;
    subjects = lcw_calloc(p.n ? p.n : 1, sizeof(*subjects));
    if (!subjects) {
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < p.n; i++) {
        subjects[i].user_id = p.entries[i].user_id;
        subjects[i].task_ids = p.entries[i].task_ids;
        subjects[i].source_result_id = p.entries[i].source_id;
        subjects[i].skip = p.entries[i].skip;
    }
    /* activatedOnScope is the scope as submitted (the legacy body becomes a user scope). */
    scope_copy = p.scope ? json_deep_copy(p.scope)
                         : json_pack("{s:s, s:O}", "@odata.type",
                                     "#microsoft.graph.identityGovernance.activateUserScope",
                                     "users", json_object_get(body, "subjects"));
    {
        struct engine_run_spec spec = {wf,
                                       p.version_number,
                                       "activatedWithScope",
                                       scope_copy,
                                       subjects,
                                       p.n,
                                       p.source_run[0] ? p.source_run : NULL,
                                       req->now_ms};

        rc = engine_run_create(&tx, &spec, run_id, &err);
    }
    /* Results from several runs: each source run links to the new run too. */
    json_object_foreach (p.source_runs, rid, one) {
        if (!rc)
            rc = engine_link_add(&tx, "run", rid, run_id, wf_id, req->now_ms, &err);
    }
    /* Sources merged into one user's entry are reprocessed by this run too. */
    json_object_foreach (p.extra_links, rid, one) {
        if (!rc)
            rc = engine_link_add(&tx, "result", rid, run_id, wf_id, req->now_ms, &err);
    }
    scope_text = scope_copy ? jsonx_dump(scope_copy) : NULL;
    targets =
            json_pack("[{s:s, s:s?, s:s, s:[]}, {s:s, s:s, s:s, s:[]}]", "id", wf_id, "displayName",
                      jsonx_str(wf, "displayName"), "type", "Workflow", "modifiedProperties", "id",
                      run_id, "displayName", "reprocess run", "type", "Run", "modifiedProperties");
    details =
            json_pack("[{s:s, s:s?}, {s:s, s:s}, {s:s, s:s}, {s:s, s:I}]", "key", "scope", "value",
                      scope_text, "key", "source", "value", p.source_run[0] ? p.source_run : p.kind,
                      "key", "newRunId", "value", run_id, "key", "users", "value", (json_int_t)p.n);
    if (!rc) {
        rc = api__audit(&tx, req, "WorkflowManagement",
                        strcmp(p.kind, "run") == 0 ? "Reprocess workflow run"
                                                   : "Reprocess workflow users",
                        "Add", targets, details, &err);
        targets = details = NULL; /* taken by api__audit */
    }
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx))
        goto out;
    engine_wake(req->ctx->engine);
    log_info("reprocess_created", "workflow=%s run=%s kind=%s users=%zu", wf_id, run_id, p.kind,
             p.n);
    (void)snprintf(resp->location, sizeof(resp->location), "%s/%s%s/workflows/%s/runs/%s",
                   req->base_url, req->version, LCW_ROOT, wf_id, run_id);
    if (req->prefer && strstr(req->prefer, "return=representation")) {
        struct store_tx rtx;
        json_t *run = NULL;
        char f[300];

        if (api__tx_begin(req, resp, &rtx, STORE_TX_READ) == 0) {
            if (store_entity_get(&rtx, &store_ent_run, run_id, &run, &err) == 0 &&
                engine_run_add_counters(&rtx, run, &err) == 0) {
                engine_doc_public(run);
                (void)snprintf(f, sizeof(f), WF_FRAGMENT "('%s')/runs/$entity", wf_id);
                api__json(req, resp, 201, json_incref(run), f);
            } else {
                api_error_from(resp, req, &err);
            }
            json_decref(run);
            store_tx_rollback(&rtx);
        }
    } else {
        api__no_content(resp);
    }
out:
    store_tx_rollback(&tx);
    lcw_free(scope_text);
    json_decref(scope_copy);
    json_decref(targets);
    json_decref(details);
    lcw_free(subjects);
    plan_release(&p);
    json_decref(body);
    json_decref(wf);
}

/* ---------------------------------------------------------------- lineage */

static int row_id(void *ctx, const struct store_val *c, size_t n)
{
    json_t *ids = ctx;

    if (n >= 1 && c[0].kind == STORE_TEXT)
        json_array_append_new(ids, json_string(c[0].s));
    return 0;
}

/* The source of a lineage route: params[1] is a run or a user result. */
static void list_reprocessed(struct api_req *req, struct api_resp *resp, const char *kind,
                             size_t source_param)
{
    char wf_id[128], source[128], f[300];
    struct odata_query q;
    struct store_tx tx;
    struct lcw_error err = {0};
    struct store_val p[3];
    json_t *wf = NULL, *ids = json_array(), *runs = json_array();
    int64_t n = 0;
    size_t i;
    json_t *id;
    int rc;

    /* Graph documents no query options on reprocessedRuns. */
    if (api__query(req, resp, 0, &q))
        goto out;
    api_param(req, 0, wf_id, sizeof(wf_id));
    api_param(req, source_param, source, sizeof(source));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (load_wf(&tx, req, resp, wf_id, &wf))
        goto done;
    p[0] = STORE_V_TEXT(source);
    p[1] = STORE_V_TEXT(wf_id);
    rc = store_query_int(&tx,
                         strcmp(kind, "run") == 0
                                 ? "SELECT COUNT(*) FROM runs WHERE pk = ? AND parent = ?"
                                 : "SELECT COUNT(*) FROM user_results WHERE pk = ? AND parent = ?",
                         p, 2, &n, &err);
    if (!rc && !n)
        rc = lcw_error_set(&err, LCW_ENOTFOUND, "%s '%s' was not found",
                           strcmp(kind, "run") == 0 ? "Run" : "User processing result", source);
    p[0] = STORE_V_TEXT(kind);
    p[1] = STORE_V_TEXT(source);
    if (!rc)
        rc = store_exec(&tx,
                        "SELECT new_run_id FROM run_links WHERE kind = ? AND source_id = ?"
                        " ORDER BY new_run_id",
                        p, 2, row_id, ids, NULL, &err);
    json_array_foreach (ids, i, id) {
        json_t *run = NULL;

        if (rc)
            break;
        rc = store_entity_get(&tx, &store_ent_run, json_string_value(id), &run, &err);
        if (rc == LCW_ENOTFOUND) {
            rc = 0; /* purged with retention: the link goes with it */
            continue;
        }
        if (!rc)
            rc = engine_run_add_counters(&tx, run, &err);
        engine_doc_public(run);
        if (!rc)
            json_array_append(runs, run);
        json_decref(run);
    }
    if (rc) {
        api_error_from(resp, req, &err);
        goto done;
    }
    (void)snprintf(f, sizeof(f), WF_FRAGMENT "('%s')/runs", wf_id);
    {
        struct store_page page = {runs, NULL, -1};

        runs = NULL;
        api__page(req, resp, &page, &q, f);
    }
done:
    store_tx_rollback(&tx);
out:
    json_decref(ids);
    json_decref(runs);
    json_decref(wf);
    odata_query_release(&q);
}

void api_run_reprocessed_runs(struct api_req *req, struct api_resp *resp)
{
    list_reprocessed(req, resp, "run", 1);
}

void api_result_reprocessed_runs(struct api_req *req, struct api_resp *resp)
{
    list_reprocessed(req, resp, "result", 1);
}

void api_run_result_reprocessed_runs(struct api_req *req, struct api_resp *resp)
{
    list_reprocessed(req, resp, "result", 2);
}

static void unlink_reprocessed(struct api_req *req, struct api_resp *resp, const char *kind,
                               size_t source_param)
{
    char wf_id[128], source[128], run_id[128];
    struct store_tx tx = {0};
    struct lcw_error err = {0};
    struct store_val p[4];
    json_t *wf = NULL, *targets = NULL;
    int64_t changes = 0;
    int rc;

    api_param(req, 0, wf_id, sizeof(wf_id));
    api_param(req, source_param, source, sizeof(source));
    api_param(req, source_param + 1, run_id, sizeof(run_id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        return;
    if (load_wf(&tx, req, resp, wf_id, &wf))
        goto out;
    p[0] = STORE_V_TEXT(kind);
    p[1] = STORE_V_TEXT(source);
    p[2] = STORE_V_TEXT(run_id);
    p[3] = STORE_V_TEXT(wf_id);
    rc = store_exec(&tx,
                    "DELETE FROM run_links WHERE kind = ? AND source_id = ? AND new_run_id = ?"
                    " AND workflow_id = ?",
                    p, 4, NULL, NULL, &changes, &err);
    if (!rc && !changes)
        rc = lcw_error_set(&err, LCW_ENOTFOUND, "Run '%s' is not linked as a reprocess of '%s'",
                           run_id, source);
    targets = json_pack("[{s:s, s:s?, s:s, s:[{s:s, s:s, s:n}]}]", "id", source, "displayName",
                        kind, "type", strcmp(kind, "run") == 0 ? "Run" : "UserProcessingResult",
                        "modifiedProperties", "displayName", "reprocessedRuns", "oldValue", run_id,
                        "newValue");
    if (!rc) {
        rc = api__audit(&tx, req, "WorkflowManagement", "Remove reprocessed run link", "Delete",
                        targets, NULL, &err);
        targets = NULL; /* taken by api__audit */
    }
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
out:
    store_tx_rollback(&tx);
    json_decref(targets);
    json_decref(wf);
}

void api_run_reprocessed_unlink(struct api_req *req, struct api_resp *resp)
{
    unlink_reprocessed(req, resp, "run", 1);
}

void api_result_reprocessed_unlink(struct api_req *req, struct api_resp *resp)
{
    unlink_reprocessed(req, resp, "result", 1);
}

void api_run_result_reprocessed_unlink(struct api_req *req, struct api_resp *resp)
{
    unlink_reprocessed(req, resp, "result", 2);
}
