/* SPDX-License-Identifier: MIT */
/*
 * /workflows, their tasks and versions, and /deletedItems/workflows. A
 * workflow is stored as one document (tasks included); every change of
 * tasks or execution conditions goes through createNewVersion, which also
 * stores an immutable workflowVersion snapshot. Deletion is soft for
 * `deleted_retention_days`, then api_maintenance purges the workflow and its
 * versions.
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

#define WF_FRAGMENT  "identityGovernance/lifecycleWorkflows/workflows"
#define DEL_FRAGMENT "identityGovernance/lifecycleWorkflows/deletedItems/workflows"
#define WF_LIST_OPTS                                                              \
    (ODATA_OPT_FILTER | ODATA_OPT_ORDERBY | ODATA_OPT_TOP | ODATA_OPT_SKIPTOKEN | \
     ODATA_OPT_COUNT | ODATA_OPT_SELECT | ODATA_OPT_EXPAND | ODATA_OPT_SEARCH)
#define WF_GET_OPTS (ODATA_OPT_SELECT | ODATA_OPT_EXPAND)
#define MS_PER_DAY  86400000LL

/* User properties a ruleBasedSubjectSet rule may use (spec 3.6). */
#define R  (ODATA_OP_EQ | ODATA_OP_IN)
#define RS (ODATA_OP_EQ | ODATA_OP_IN | ODATA_OP_STARTSWITH)
static const struct odata_property rule_props[] = {
        {"accountEnabled", NULL, ODATA_T_BOOL, ODATA_OP_EQ, false},
        {"assignedPlans", NULL, ODATA_T_STRING, ODATA_OP_ANY, false},
        {"assignedPlans/capabilityStatus", NULL, ODATA_T_STRING, R, false},
        {"assignedPlans/service", NULL, ODATA_T_STRING, R, false},
        {"assignedPlans/servicePlanId", NULL, ODATA_T_GUID, R, false},
        {"city", NULL, ODATA_T_STRING, RS, false},
        {"companyName", NULL, ODATA_T_STRING, RS, false},
        {"country", NULL, ODATA_T_STRING, RS, false},
        {"department", NULL, ODATA_T_STRING, RS, false},
        {"displayName", NULL, ODATA_T_STRING, RS, false},
        {"employeeId", NULL, ODATA_T_STRING, R, false},
        {"employeeOrgData/costCenter", NULL, ODATA_T_STRING, R, false},
        {"employeeOrgData/division", NULL, ODATA_T_STRING, R, false},
        {"employeeType", NULL, ODATA_T_STRING, R, false},
        {"faxNumber", NULL, ODATA_T_STRING, RS, false},
        {"givenName", NULL, ODATA_T_STRING, RS, false},
        {"jobTitle", NULL, ODATA_T_STRING, RS, false},
        {"mail", NULL, ODATA_T_STRING, RS, false},
        {"mailNickname", NULL, ODATA_T_STRING, RS, false},
        {"mobilePhone", NULL, ODATA_T_STRING, RS, false},
        {"officeLocation", NULL, ODATA_T_STRING, RS, false},
        {"onPremisesExtensionAttributes/extensionAttribute1", NULL, ODATA_T_STRING, R, false},
        {"onPremisesExtensionAttributes/extensionAttribute2", NULL, ODATA_T_STRING, R, false},
        {"onPremisesExtensionAttributes/extensionAttribute3", NULL, ODATA_T_STRING, R, false},
        {"onPremisesExtensionAttributes/extensionAttribute4", NULL, ODATA_T_STRING, R, false},
        {"onPremisesExtensionAttributes/extensionAttribute5", NULL, ODATA_T_STRING, R, false},
        {"onPremisesExtensionAttributes/extensionAttribute6", NULL, ODATA_T_STRING, R, false},
        {"onPremisesExtensionAttributes/extensionAttribute7", NULL, ODATA_T_STRING, R, false},
        {"onPremisesExtensionAttributes/extensionAttribute8", NULL, ODATA_T_STRING, R, false},
        {"onPremisesExtensionAttributes/extensionAttribute9", NULL, ODATA_T_STRING, R, false},
        {"onPremisesExtensionAttributes/extensionAttribute10", NULL, ODATA_T_STRING, R, false},
        {"onPremisesExtensionAttributes/extensionAttribute11", NULL, ODATA_T_STRING, R, false},
        {"onPremisesExtensionAttributes/extensionAttribute12", NULL, ODATA_T_STRING, R, false},
        {"onPremisesExtensionAttributes/extensionAttribute13", NULL, ODATA_T_STRING, R, false},
        {"onPremisesExtensionAttributes/extensionAttribute14", NULL, ODATA_T_STRING, R, false},
        {"onPremisesExtensionAttributes/extensionAttribute15", NULL, ODATA_T_STRING, R, false},
        {"onPremisesSecurityIdentifier", NULL, ODATA_T_STRING, R, false},
        {"onPremisesSyncEnabled", NULL, ODATA_T_BOOL, ODATA_OP_EQ, false},
        {"otherMails", NULL, ODATA_T_STRING, ODATA_OP_ANY | RS, false},
        {"postalCode", NULL, ODATA_T_STRING, RS, false},
        {"preferredLanguage", NULL, ODATA_T_STRING, RS, false},
        {"proxyAddresses", NULL, ODATA_T_STRING, ODATA_OP_ANY | RS, false},
        {"state", NULL, ODATA_T_STRING, RS, false},
        {"streetAddress", NULL, ODATA_T_STRING, RS, false},
        {"surname", NULL, ODATA_T_STRING, RS, false},
        {"usageLocation", NULL, ODATA_T_STRING, RS, false},
        {"userPrincipalName", NULL, ODATA_T_STRING, RS, false},
        {"userType", NULL, ODATA_T_STRING, R, false},
};

const struct odata_entity api_user_rule_entity = {"user (scope rule)", "id", rule_props,
                                                  sizeof(rule_props) / sizeof(rule_props[0])};

/* Properties of a task, for $filter/$orderby on task lists (in memory). */
static const struct odata_property task_props[] = {
        {"id", NULL, ODATA_T_GUID, ODATA_OP_EQ | ODATA_OP_IN, true},
        {"displayName", NULL, ODATA_T_STRING, RS, true},
        {"category", NULL, ODATA_T_FLAGS, ODATA_OP_EQ | ODATA_OP_HAS, true},
        {"isEnabled", NULL, ODATA_T_BOOL, ODATA_OP_EQ, true},
        {"continueOnError", NULL, ODATA_T_BOOL, ODATA_OP_EQ, true},
        {"executionSequence", NULL, ODATA_T_INT, ODATA_OP_EQ | ODATA_OP_ORDER, true},
        {"taskDefinitionId", NULL, ODATA_T_GUID, ODATA_OP_EQ | ODATA_OP_IN, true},
};
static const struct odata_entity task_entity = {"task", "id", task_props,
                                                sizeof(task_props) / sizeof(task_props[0])};

/* Which collection a workflow id is looked up in. */
enum wf_where { WF_ACTIVE, WF_DELETED };

static int wf_load(struct store_tx *tx, struct api_req *req, struct api_resp *resp, const char *id,
                   enum wf_where where, json_t **out)
{
    struct lcw_error err = {0};
    json_t *doc = NULL;
    bool is_deleted;
    int rc;

    *out = NULL;
    rc = store_entity_get(tx, &store_ent_workflow, id, &doc, &err);
    if (rc == LCW_ENOTFOUND ||
        (rc == 0 && (is_deleted = !json_is_null(json_object_get(doc, "deletedDateTime")),
                     is_deleted != (where == WF_DELETED)))) {
        json_decref(doc);
        api_error(resp, req, 404, "ResourceNotFound", "%s '%s' was not found",
                  where == WF_DELETED ? "Deleted workflow" : "Workflow", id);
        return LCW_ENOTFOUND;
    }
    if (rc) {
        api_error_from(resp, req, &err);
        return rc;
    }
    *out = doc;
    return 0;
}

/* Refuse $expand of anything a workflow cannot expand (400 naming it). */
static int check_expand(struct api_req *req, struct api_resp *resp, const struct odata_query *q)
{
    static const char *const ok[] = {"tasks", "createdBy", "lastModifiedBy", "*"};

    for (size_t i = 0; i < q->n_expand; i++) {
        bool known = false;

        for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++)
            known |= lcw_str_eq_ci(q->expand[i], ok[k]);
        if (!known) {
            api_error(resp, req, 400, "BadRequest",
                      "$expand: '%s' cannot be expanded on workflow (allowed: tasks, createdBy, "
                      "lastModifiedBy)",
                      q->expand[i]);
            return LCW_EINVAL;
        }
    }
    return 0;
}

/* The workflow as returned to clients: relationships only when expanded. */
static json_t *wf_output(const json_t *doc, const struct odata_query *q)
{
    json_t *out = json_deep_copy(doc);
    static const char *const rels[] = {"tasks", "createdBy", "lastModifiedBy"};

    if (!out)
        return NULL;
    for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]); i++) {
        if (!q || !api__expanded(q, rels[i]))
            json_object_del(out, rels[i]);
    }
    if (q && api__select(out, q)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/*
 * The workflow as an action returns it: with its tasks, and with createdBy
 * and lastModifiedBy too when `is_everything` (restore).
 */
static json_t *wf_output_inline(const json_t *doc, bool is_everything)
{
    json_t *out = json_deep_copy(doc);

    if (out && !is_everything) {
        json_object_del(out, "createdBy");
        json_object_del(out, "lastModifiedBy");
    }
    return out;
}

/* Check a scope rule's syntax and properties, and that scope groups exist. */
static int check_conditions(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                            const json_t *doc)
{
    const json_t *scope = json_object_get(json_object_get(doc, "executionConditions"), "scope");
    const char *rule = jsonx_str(scope, "rule");
    const json_t *groups = json_object_get(scope, "groups");
    struct lcw_error err = {0};
    size_t i;
    json_t *g;

    if (rule) {
        struct odata_expr *e = NULL;
        int rc = odata_filter_parse(rule, strlen(rule), &e, &err);

        if (!rc)
            rc = odata_expr_check(e, &api_user_rule_entity, &err);
        odata_expr_free(e);
        if (rc) {
            const char *msg = err.msg;

            /* The parser speaks of $filter; here the text is the scope rule. */
            if (strncmp(msg, "$filter: ", 9) == 0)
                msg += 9;
            api_error(resp, req, 400, "BadRequest", "executionConditions.scope.rule: %s", msg);
            return LCW_EINVAL;
        }
    }
    json_array_foreach (groups, i, g) {
        const char *gid = jsonx_str(g, "id");
        json_t *gdoc = NULL;
        int rc = store_entity_get(tx, &store_ent_group, gid ? gid : "", &gdoc, &err);

        json_decref(gdoc);
        if (rc == LCW_ENOTFOUND) {
            api_error(resp, req, 400, "BadRequest",
                      "executionConditions.scope.groups[%zu]: group '%s' does not exist", i,
                      gid ? gid : "");
            return LCW_EINVAL;
        }
        if (rc) {
            api_error_from(resp, req, &err);
            return rc;
        }
    }
    return 0;
}

/* Tasks that name a custom task extension must name one that exists. */
static int check_task_references(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                                 const json_t *doc)
{
    const json_t *tasks = json_object_get(doc, "tasks");
    struct lcw_error err = {0};
    size_t i, j;
    json_t *t, *arg;

    json_array_foreach (tasks, i, t) {
        json_array_foreach (json_object_get(t, "arguments"), j, arg) {
            const char *name = jsonx_str(arg, "name"), *value = jsonx_str(arg, "value");
            json_t *ext = NULL;
            int rc;

            if (!name || !lcw_str_eq_ci(name, "customTaskExtensionID"))
                continue;
            rc = store_entity_get(tx, &store_ent_extension, value ? value : "", &ext, &err);
            json_decref(ext);
            if (rc == LCW_ENOTFOUND) {
                api_error(resp, req, 400, "BadRequest",
                          "tasks[%zu].arguments: customTaskExtensionID '%s' does not name a "
                          "custom task extension",
                          i, value ? value : "");
                return LCW_EINVAL;
            }
            if (rc) {
                api_error_from(resp, req, &err);
                return rc;
            }
        }
    }
    return 0;
}

/* Is `name` used by another live workflow (case-insensitively)? */
static int check_unique_name(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                             const char *name, const char *self_id)
{
    struct store_val p[2] = {STORE_V_TEXT(name), STORE_V_TEXT(self_id ? self_id : "")};
    struct lcw_error err = {0};
    int64_t n = 0;
    int rc = store_entity_count(tx, &store_ent_workflow, NULL,
                                "deleted_at_ms IS NULL AND lower(display_name) = lower(?) AND "
                                "pk <> ?",
                                p, 2, &n, &err);

    if (rc) {
        api_error_from(resp, req, &err);
        return rc;
    }
    if (n > 0) {
        api_error(resp, req, 409, "Conflict",
                  "displayName: a workflow named '%s' already exists; workflow names are unique",
                  name);
        return LCW_ECONFLICT;
    }
    return 0;
}

/* The immutable snapshot stored for each version. */
static json_t *version_doc(const json_t *wf)
{
    static const char *const keys[] = {
            "category",  "displayName",         "description",     "executionConditions",
            "isEnabled", "isSchedulingEnabled", "createdDateTime", "lastModifiedDateTime",
            "tasks",     "createdBy",           "lastModifiedBy"};
    json_t *v = json_object();

    if (!v)
        return NULL;
    json_object_set_new(v, "versionNumber", json_integer(jsonx_int(wf, "version", 1)));
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *m = json_object_get(wf, keys[i]);

        if (m && json_object_set_new(v, keys[i], json_deep_copy(m))) {
            json_decref(v);
            return NULL;
        }
    }
    return v;
}

int api__workflow_put_version(struct store_tx *tx, const json_t *wf, struct lcw_error *err)
{
    char pk[80];
    const char *id = jsonx_str(wf, "id");
    json_t *v = version_doc(wf);
    int rc;

    if (!v)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    /* Zero-padded so that the key orders like the number. */
    (void)snprintf(pk, sizeof(pk), "%s:%010lld", id, (long long)jsonx_int(wf, "version", 1));
    rc = store_entity_put(tx, &store_ent_workflow_version, pk, id, v, err);
    json_decref(v);
    return rc;
}

static int put_workflow(struct store_tx *tx, const json_t *wf, struct lcw_error *err)
{
    return store_entity_put(tx, &store_ent_workflow, jsonx_str(wf, "id"), NULL, wf, err);
}

static json_t *wf_target(const json_t *wf)
{
    return api__target(jsonx_str(wf, "id"), jsonx_str(wf, "displayName"), "Workflow");
}

/* Audit one workflow change with a single target. */
static int audit_wf(struct store_tx *tx, struct api_req *req, const char *category,
                    const char *activity, const char *op, json_t *target, struct lcw_error *err)
{
    json_t *targets = json_array();

    if (!targets || !target || json_array_append_new(targets, target)) {
        json_decref(targets);
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    }
    return api__audit(tx, req, category, activity, op, targets, NULL, err);
}

/* -------------------------------------------------------------- handlers */

static void list_workflows(struct api_req *req, struct api_resp *resp, enum wf_where where)
{
    struct odata_query q;
    struct store_tx tx;
    struct store_page page = {0};
    struct lcw_error err = {0};
    struct store_val p[1];
    char where_sql[256];
    char *pattern = NULL; /* owned: the $search LIKE pattern bound in p[0] */
    size_t n_p = 0;
    int rc;

    if (api__query(req, resp, WF_LIST_OPTS, &q))
        return;
    if (check_expand(req, resp, &q))
        goto out;
    lcw_strlcpy(where_sql,
                where == WF_DELETED ? "deleted_at_ms IS NOT NULL" : "deleted_at_ms IS NULL",
                sizeof(where_sql));
    if (q.search) {
        /* $search matches the display name, case-insensitively, anywhere in
         * it; the text is literal, so LIKE's wildcards are escaped. */
        char *pat = lcw_malloc(2 * strlen(q.search) + 3);
        size_t o = 0;

        pattern = pat; /* freed at out */

        if (!pat) {
            api_error(resp, req, 500, "InternalServerError", "out of memory");
            goto out;
        }
        pat[o++] = '%';
        for (const char *c = q.search; *c; c++) {
            if (*c == '%' || *c == '_' || *c == '\\')
                pat[o++] = '\\';
            pat[o++] = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        }
        pat[o++] = '%';
        pat[o] = '\0';
        lcw_strlcpy(where_sql + strlen(where_sql), " AND lower(display_name) LIKE ? ESCAPE '\\'",
                    sizeof(where_sql) - strlen(where_sql));
        p[n_p++] = STORE_V_TEXT(pat);
    }
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    rc = store_entity_list(&tx, &store_ent_workflow, &q, NULL, where_sql, p, n_p,
                           (long)req->ctx->cfg->page_size, &page, &err);
    store_tx_rollback(&tx);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__page_map(&page, wf_output, &q)) {
        store_page_release(&page);
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        goto out;
    }
    api__page(req, resp, &page, &q, where == WF_DELETED ? DEL_FRAGMENT : WF_FRAGMENT);
out:
    lcw_free(pattern);
    odata_query_release(&q);
}

void api_workflows_list(struct api_req *req, struct api_resp *resp)
{
    list_workflows(req, resp, WF_ACTIVE);
}

void api_deleted_list(struct api_req *req, struct api_resp *resp)
{
    list_workflows(req, resp, WF_DELETED);
}

void api_workflows_create(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *wf = NULL, *ident = NULL;
    char id[UUID_STR_LEN], ts[TIMEFMT_LEN];
    int64_t n_live = 0;
    int rc;

    if (api__body(req, resp, &body))
        return;
    rc = model_workflow_from_create(body, &req->ctx->limits, &wf, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    uuid_v4(id);
    timefmt_format_ms(req->now_ms, ts);
    ident = api__identity(req);
    json_object_set_new(wf, "id", json_string(id));
    json_object_set_new(wf, "createdDateTime", json_string(ts));
    json_object_set_new(wf, "lastModifiedDateTime", json_string(ts));
    json_object_set_new(wf, "deletedDateTime", json_null());
    json_object_set_new(wf, "nextScheduleRunDateTime", json_null());
    json_object_set_new(wf, "version", json_integer(1));
    json_object_set(wf, "createdBy", ident);
    json_object_set(wf, "lastModifiedBy", ident);
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    rc = store_entity_count(&tx, &store_ent_workflow, NULL, "deleted_at_ms IS NULL", NULL, 0,
                            &n_live, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (n_live >= req->ctx->cfg->max_workflows) {
        api_error(resp, req, 400, "BadRequest",
                  "The tenant already has %lld workflows, the limit; delete one (or raise "
                  "limits.workflows) before creating another",
                  (long long)n_live);
        goto out;
    }
    if (check_unique_name(&tx, req, resp, jsonx_str(wf, "displayName"), NULL) ||
        check_conditions(&tx, req, resp, wf) || check_task_references(&tx, req, resp, wf))
        goto out;
    rc = put_workflow(&tx, wf, &err);
    if (!rc)
        rc = api__workflow_put_version(&tx, wf, &err);
    if (!rc)
        rc = audit_wf(&tx, req, "WorkflowManagement", "Create workflow", "Add", wf_target(wf),
                      &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx))
        goto out;
    (void)snprintf(resp->location, sizeof(resp->location), "%s/%s%s/workflows/%s", req->base_url,
                   req->version, LCW_ROOT, id);
    /* Graph's create response carries the tasks it created. */
    api__json(req, resp, 201, wf_output_inline(wf, false), WF_FRAGMENT "/$entity");
out:
    store_tx_rollback(&tx);
    json_decref(ident);
    json_decref(body);
    json_decref(wf);
}

static void get_workflow(struct api_req *req, struct api_resp *resp, enum wf_where where)
{
    char id[128];
    struct odata_query q;
    struct store_tx tx;
    json_t *doc = NULL;

    if (api__query(req, resp, WF_GET_OPTS, &q))
        return;
    api_param(req, 0, id, sizeof(id));
    if (check_expand(req, resp, &q))
        goto out;
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (wf_load(&tx, req, resp, id, where, &doc) == 0)
        api__json(req, resp, 200, wf_output(doc, &q),
                  where == WF_DELETED ? DEL_FRAGMENT "/$entity" : WF_FRAGMENT "/$entity");
    store_tx_rollback(&tx);
out:
    json_decref(doc);
    odata_query_release(&q);
}

void api_workflows_get(struct api_req *req, struct api_resp *resp)
{
    get_workflow(req, resp, WF_ACTIVE);
}

void api_deleted_get(struct api_req *req, struct api_resp *resp)
{
    get_workflow(req, resp, WF_DELETED);
}

/* The audit activity for a PATCH, named after what changed (spec A.5). */
static const char *patch_activity(const json_t *old, const json_t *new)
{
    bool en0 = jsonx_bool(old, "isEnabled", true), en1 = jsonx_bool(new, "isEnabled", true);
    bool sc0 = jsonx_bool(old, "isSchedulingEnabled", false),
         sc1 = jsonx_bool(new, "isSchedulingEnabled", false);

    if (en0 != en1)
        return en1 ? "Enable workflow" : "Disable workflow";
    if (sc0 != sc1)
        return sc1 ? "Enable workflow schedule" : "Disable workflow schedule";
    return "Update workflow";
}

void api_workflows_patch(struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"displayName", "description", "isEnabled",
                                         "isSchedulingEnabled"};
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *old = NULL, *wf = NULL, *target = NULL;
    char id[128], ts[TIMEFMT_LEN];
    int rc;

    api_param(req, 0, id, sizeof(id));
    if (api__body(req, resp, &body))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (wf_load(&tx, req, resp, id, WF_ACTIVE, &old))
        goto out;
    rc = model_workflow_patch(old, body, &wf, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (!json_equal(json_object_get(old, "displayName"), json_object_get(wf, "displayName")) &&
        check_unique_name(&tx, req, resp, jsonx_str(wf, "displayName"), id))
        goto out;
    json_object_set_new(wf, "lastModifiedDateTime",
                        json_string(timefmt_format_ms(req->now_ms, ts)));
    json_object_set_new(wf, "lastModifiedBy", api__identity(req));
    target = wf_target(wf);
    for (size_t i = 0; target && i < sizeof(fields) / sizeof(fields[0]); i++) {
        json_t *a = json_object_get(old, fields[i]), *b = json_object_get(wf, fields[i]);

        if (!json_equal(a, b) && api__target_modified(target, fields[i], a, b))
            goto oom;
    }
    rc = put_workflow(&tx, wf, &err);
    if (!rc) {
        rc = audit_wf(&tx, req, "WorkflowManagement", patch_activity(old, wf), "Update", target,
                      &err);
        target = NULL;
    }
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx))
        goto out;
    api__no_content(resp);
    goto out;
oom:
    api_error(resp, req, 500, "InternalServerError", "out of memory");
out:
    store_tx_rollback(&tx);
    json_decref(target);
    json_decref(body);
    json_decref(old);
    json_decref(wf);
}

void api_workflows_delete(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *wf = NULL;
    char id[128], ts[TIMEFMT_LEN];
    int rc;

    api_param(req, 0, id, sizeof(id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        return;
    if (wf_load(&tx, req, resp, id, WF_ACTIVE, &wf))
        goto out;
    json_object_set_new(wf, "deletedDateTime", json_string(timefmt_format_ms(req->now_ms, ts)));
    /* A deleted workflow no longer runs: scheduling stops with it. */
    json_object_set_new(wf, "nextScheduleRunDateTime", json_null());
    rc = put_workflow(&tx, wf, &err);
    if (!rc)
        rc = audit_wf(&tx, req, "WorkflowManagement", "Delete workflow", "Delete", wf_target(wf),
                      &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
out:
    store_tx_rollback(&tx);
    json_decref(wf);
}

void api_deleted_restore(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *wf = NULL;
    struct odata_query q;
    char id[128];
    int rc;

    odata_query_init(&q);
    api_param(req, 0, id, sizeof(id));
    if (api__no_body(req, resp) || api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        return;
    if (wf_load(&tx, req, resp, id, WF_DELETED, &wf))
        goto out;
    {
        const char *del = jsonx_str(wf, "deletedDateTime");
        int64_t deleted_ms = 0, n_live = 0;

        if (del && timefmt_parse(del, strlen(del), &deleted_ms) == 0 &&
            deleted_ms + req->ctx->cfg->deleted_retention_days * MS_PER_DAY <= req->now_ms) {
            api_error(resp, req, 404, "ResourceNotFound",
                      "Deleted workflow '%s' is past its %lld-day restore window", id,
                      (long long)req->ctx->cfg->deleted_retention_days);
            goto out;
        }
        rc = store_entity_count(&tx, &store_ent_workflow, NULL, "deleted_at_ms IS NULL", NULL, 0,
                                &n_live, &err);
        if (rc) {
            api_error_from(resp, req, &err);
            goto out;
        }
        if (n_live >= req->ctx->cfg->max_workflows) {
            api_error(resp, req, 400, "BadRequest",
                      "The tenant already has %lld workflows, the limit; delete one (or raise "
                      "limits.workflows) before restoring another",
                      (long long)n_live);
            goto out;
        }
    }
    if (check_unique_name(&tx, req, resp, jsonx_str(wf, "displayName"), id) ||
        check_task_references(&tx, req, resp, wf))
        goto out;
    json_object_set_new(wf, "deletedDateTime", json_null());
    rc = put_workflow(&tx, wf, &err);
    if (!rc)
        rc = audit_wf(&tx, req, "WorkflowManagement", "Restore workflow", "Update", wf_target(wf),
                      &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx))
        goto out;
    /* The documented response inlines tasks, createdBy and lastModifiedBy. */
    api__json(req, resp, 200, wf_output_inline(wf, true), WF_FRAGMENT "/$entity");
out:
    store_tx_rollback(&tx);
    json_decref(wf);
}

/* Remove a workflow and its versions for good. */
static int purge_workflow(struct store_tx *tx, const char *id, struct lcw_error *err)
{
    /* The workflow goes with its versions, its history and its queue. */
    static const char *const sql[] = {
            "DELETE FROM workflow_versions WHERE parent = ?",
            "DELETE FROM run_links WHERE workflow_id = ?",
            "DELETE FROM work_items WHERE workflow_id = ?",
            "DELETE FROM task_results WHERE parent = ?",
            "DELETE FROM user_results WHERE parent = ?",
            "DELETE FROM run_task_stats WHERE workflow_id = ?",
            "DELETE FROM run_stats WHERE workflow_id = ?",
            "DELETE FROM runs WHERE parent = ?",
            "DELETE FROM trigger_marks WHERE workflow_id = ?",
    };
    struct store_val p = STORE_V_TEXT(id);
    int rc = 0;

    for (size_t i = 0; !rc && i < sizeof(sql) / sizeof(sql[0]); i++)
        rc = store_exec(tx, sql[i], &p, 1, NULL, NULL, NULL, err);
    return rc ? rc : store_entity_delete(tx, &store_ent_workflow, id, err);
}

void api_deleted_purge(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *wf = NULL;
    char id[128];
    int rc;

    api_param(req, 0, id, sizeof(id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        return;
    if (wf_load(&tx, req, resp, id, WF_DELETED, &wf))
        goto out;
    rc = purge_workflow(&tx, id, &err);
    if (!rc)
        rc = audit_wf(&tx, req, "WorkflowManagement", "Hard delete workflow", "Delete",
                      wf_target(wf), &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
out:
    store_tx_rollback(&tx);
    json_decref(wf);
}

void api_workflows_new_version(struct api_req *req, struct api_resp *resp)
{
    static const char *const carried[] = {"id", "createdDateTime", "createdBy", "deletedDateTime",
                                          "nextScheduleRunDateTime"};
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *old = NULL, *wf = NULL, *target = NULL;
    char id[128], ts[TIMEFMT_LEN];
    struct odata_query q;
    int rc;

    odata_query_init(&q);
    api_param(req, 0, id, sizeof(id));
    if (api__body(req, resp, &body))
        return;
    rc = model_workflow_from_new_version(body, &req->ctx->limits, &wf, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (wf_load(&tx, req, resp, id, WF_ACTIVE, &old))
        goto out;
    for (size_t i = 0; i < sizeof(carried) / sizeof(carried[0]); i++) {
        json_t *v = json_object_get(old, carried[i]);

        if (v)
            json_object_set(wf, carried[i], v);
    }
    json_object_set_new(wf, "version", json_integer(jsonx_int(old, "version", 1) + 1));
    json_object_set_new(wf, "lastModifiedDateTime",
                        json_string(timefmt_format_ms(req->now_ms, ts)));
    json_object_set_new(wf, "lastModifiedBy", api__identity(req));
    if (!json_equal(json_object_get(old, "displayName"), json_object_get(wf, "displayName")) &&
        check_unique_name(&tx, req, resp, jsonx_str(wf, "displayName"), id))
        goto out;
    if (check_conditions(&tx, req, resp, wf) || check_task_references(&tx, req, resp, wf))
        goto out;
    target = wf_target(wf);
    if (!target ||
        api__target_modified(target, "version", json_object_get(old, "version"),
                             json_object_get(wf, "version")) ||
        api__target_modified(target, "executionConditions",
                             json_object_get(old, "executionConditions"),
                             json_object_get(wf, "executionConditions"))) {
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        goto out;
    }
    rc = put_workflow(&tx, wf, &err);
    if (!rc)
        rc = api__workflow_put_version(&tx, wf, &err);
    if (!rc) {
        rc = audit_wf(&tx, req, "WorkflowManagement", "Add workflow version", "Add", target, &err);
        target = NULL;
    }
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx))
        goto out;
    api__json(req, resp, 200, wf_output_inline(wf, false), WF_FRAGMENT "/$entity");
out:
    store_tx_rollback(&tx);
    json_decref(target);
    json_decref(body);
    json_decref(old);
    json_decref(wf);
}

/* ------------------------------------------------------------------ tasks */

/* The task `task_id` in `tasks`, or NULL. */
static json_t *find_task(json_t *tasks, const char *task_id, size_t *index)
{
    size_t i;
    json_t *t;

    json_array_foreach (tasks, i, t) {
        const char *tid = jsonx_str(t, "id");

        if (tid && lcw_str_eq_ci(tid, task_id)) {
            if (index)
                *index = i;
            return t;
        }
    }
    return NULL;
}

void api_workflow_tasks_list(struct api_req *req, struct api_resp *resp)
{
    char id[128], frag[256];
    struct odata_query q;
    struct store_tx tx;
    json_t *wf = NULL;

    if (api__query(req, resp, WF_LIST_OPTS & ~ODATA_OPT_SEARCH, &q))
        return;
    api_param(req, 0, id, sizeof(id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (wf_load(&tx, req, resp, id, WF_ACTIVE, &wf) == 0) {
        (void)snprintf(frag, sizeof(frag), WF_FRAGMENT "('%s')/tasks", id);
        api__list_array(req, resp, json_object_get(wf, "tasks"), &task_entity, &q, frag);
    }
    store_tx_rollback(&tx);
out:
    json_decref(wf);
    odata_query_release(&q);
}

void api_workflow_task_get(struct api_req *req, struct api_resp *resp)
{
    char id[128], tid[128], frag[256];
    struct odata_query q;
    struct store_tx tx;
    json_t *wf = NULL, *t;

    if (api__query(req, resp, WF_GET_OPTS, &q))
        return;
    api_param(req, 0, id, sizeof(id));
    api_param(req, 1, tid, sizeof(tid));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (wf_load(&tx, req, resp, id, WF_ACTIVE, &wf) == 0) {
        t = find_task(json_object_get(wf, "tasks"), tid, NULL);
        if (!t) {
            api_error(resp, req, 404, "ResourceNotFound",
                      "Task '%s' was not found in workflow '%s'", tid, id);
        } else {
            json_t *o = json_deep_copy(t);

            if (o && api__select(o, &q)) {
                json_decref(o);
                o = NULL;
            }
            (void)snprintf(frag, sizeof(frag), WF_FRAGMENT "('%s')/tasks/$entity", id);
            api__json(req, resp, 200, o, frag);
        }
    }
    store_tx_rollback(&tx);
out:
    json_decref(wf);
    odata_query_release(&q);
}

void api_workflow_task_patch(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *wf = NULL, *t, *nt = NULL, *target = NULL, *targets = NULL;
    char id[128], tid[128], ts[TIMEFMT_LEN];
    size_t idx = 0;
    int rc;

    api_param(req, 0, id, sizeof(id));
    api_param(req, 1, tid, sizeof(tid));
    if (api__body(req, resp, &body))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (wf_load(&tx, req, resp, id, WF_ACTIVE, &wf))
        goto out;
    t = find_task(json_object_get(wf, "tasks"), tid, &idx);
    if (!t) {
        api_error(resp, req, 404, "ResourceNotFound", "Task '%s' was not found in workflow '%s'",
                  tid, id);
        goto out;
    }
    rc = model_task_patch(t, body, &nt, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    target = api__target(tid, jsonx_str(nt, "displayName"), "Task");
    targets = json_array();
    if (!target || !targets ||
        api__target_modified(target, "displayName", json_object_get(t, "displayName"),
                             json_object_get(nt, "displayName")) ||
        api__target_modified(target, "description", json_object_get(t, "description"),
                             json_object_get(nt, "description")) ||
        json_array_append(targets, target) || json_array_append_new(targets, wf_target(wf))) {
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        goto out;
    }
    json_array_set(json_object_get(wf, "tasks"), idx, nt);
    json_object_set_new(wf, "lastModifiedDateTime",
                        json_string(timefmt_format_ms(req->now_ms, ts)));
    json_object_set_new(wf, "lastModifiedBy", api__identity(req));
    rc = put_workflow(&tx, wf, &err);
    if (!rc) {
        rc = api__audit(&tx, req, "TaskManagement", "Update task", "Update", targets, NULL, &err);
        targets = NULL;
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
    json_decref(target);
    json_decref(nt);
    json_decref(body);
    json_decref(wf);
}

/* --------------------------------------------------------------- versions */

/* Versions stay readable while their workflow exists (deleted or not). */
static int wf_exists(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                     const char *id)
{
    json_t *wf = NULL;
    struct lcw_error err = {0};
    int rc = store_entity_get(tx, &store_ent_workflow, id, &wf, &err);

    json_decref(wf);
    if (rc == LCW_ENOTFOUND)
        api_error(resp, req, 404, "ResourceNotFound", "Workflow '%s' was not found", id);
    else if (rc)
        api_error_from(resp, req, &err);
    return rc;
}

void api_workflow_versions_list(struct api_req *req, struct api_resp *resp)
{
    char id[128], frag[256];
    struct odata_query q;
    struct store_tx tx;
    struct store_page page = {0};
    struct lcw_error err = {0};
    int rc;

    if (api__query(req, resp, WF_LIST_OPTS & ~ODATA_OPT_SEARCH, &q))
        return;
    api_param(req, 0, id, sizeof(id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (wf_exists(&tx, req, resp, id)) {
        store_tx_rollback(&tx);
        goto out;
    }
    rc = store_entity_list(&tx, &store_ent_workflow_version, &q, id, NULL, NULL, 0,
                           (long)req->ctx->cfg->page_size, &page, &err);
    store_tx_rollback(&tx);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__page_map(&page, wf_output, &q)) {
        store_page_release(&page);
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        goto out;
    }
    (void)snprintf(frag, sizeof(frag), WF_FRAGMENT "('%s')/versions", id);
    api__page(req, resp, &page, &q, frag);
out:
    odata_query_release(&q);
}

/* Load version `num` of workflow `id`; 404 naming both when absent. */
static int version_load(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                        const char *id, const char *num, json_t **out)
{
    struct lcw_error err = {0};
    int64_t n;
    char pk[200];
    int rc;

    if (wf_exists(tx, req, resp, id))
        return LCW_ENOTFOUND;
    if (str_to_i64(num, strlen(num), &n) || n < 1) {
        api_error(resp, req, 400, "BadRequest",
                  "versionNumber must be a positive whole number (got '%s')", num);
        return LCW_EINVAL;
    }
    (void)snprintf(pk, sizeof(pk), "%s:%010lld", id, (long long)n);
    rc = store_entity_get(tx, &store_ent_workflow_version, pk, out, &err);
    if (rc == LCW_ENOTFOUND)
        api_error(resp, req, 404, "ResourceNotFound", "Workflow '%s' has no version %lld", id,
                  (long long)n);
    else if (rc)
        api_error_from(resp, req, &err);
    return rc;
}

void api_workflow_version_get(struct api_req *req, struct api_resp *resp)
{
    char id[128], num[32], frag[256];
    struct odata_query q;
    struct store_tx tx;
    json_t *v = NULL;

    if (api__query(req, resp, WF_GET_OPTS, &q))
        return;
    api_param(req, 0, id, sizeof(id));
    api_param(req, 1, num, sizeof(num));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (version_load(&tx, req, resp, id, num, &v) == 0) {
        (void)snprintf(frag, sizeof(frag), WF_FRAGMENT "('%s')/versions/$entity", id);
        api__json(req, resp, 200, wf_output(v, &q), frag);
    }
    store_tx_rollback(&tx);
out:
    json_decref(v);
    odata_query_release(&q);
}

void api_workflow_version_tasks(struct api_req *req, struct api_resp *resp)
{
    char id[128], num[32], frag[256];
    struct odata_query q;
    struct store_tx tx;
    json_t *v = NULL;

    if (api__query(req, resp, WF_LIST_OPTS & ~ODATA_OPT_SEARCH, &q))
        return;
    api_param(req, 0, id, sizeof(id));
    api_param(req, 1, num, sizeof(num));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (version_load(&tx, req, resp, id, num, &v) == 0) {
        (void)snprintf(frag, sizeof(frag), WF_FRAGMENT "('%s')/versions(%s)/tasks", id, num);
        api__list_array(req, resp, json_object_get(v, "tasks"), &task_entity, &q, frag);
    }
    store_tx_rollback(&tx);
out:
    json_decref(v);
    odata_query_release(&q);
}

void api_workflow_version_task_get(struct api_req *req, struct api_resp *resp)
{
    char id[128], num[32], tid[128], frag[256];
    struct odata_query q;
    struct store_tx tx;
    json_t *v = NULL, *t;

    if (api__query(req, resp, WF_GET_OPTS, &q))
        return;
    api_param(req, 0, id, sizeof(id));
    api_param(req, 1, num, sizeof(num));
    api_param(req, 2, tid, sizeof(tid));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (version_load(&tx, req, resp, id, num, &v) == 0) {
        t = find_task(json_object_get(v, "tasks"), tid, NULL);
        if (!t) {
            api_error(resp, req, 404, "ResourceNotFound",
                      "Task '%s' was not found in version %s of workflow '%s'", tid, num, id);
        } else {
            (void)snprintf(frag, sizeof(frag), WF_FRAGMENT "('%s')/versions(%s)/tasks/$entity", id,
                           num);
            api__json(req, resp, 200, json_deep_copy(t), frag);
        }
    }
    store_tx_rollback(&tx);
out:
    json_decref(v);
    odata_query_release(&q);
}

/* ------------------------------------------------------------ maintenance */

static int row_first_text(void *ctx, const struct store_val *c, size_t n)
{
    json_t *ids = ctx;

    if (n < 1 || c[0].kind != STORE_TEXT)
        return LCW_EINTERNAL;
    return json_array_append_new(ids, json_string(c[0].s)) ? LCW_ENOMEM : 0;
}

int api_maintenance(const struct api_ctx *ctx, struct lcw_error *err)
{
    int64_t now = lcw_clock_now(ctx->clock);
    int64_t cutoff = now - ctx->cfg->deleted_retention_days * MS_PER_DAY;
    struct store_val p = STORE_V_INT(cutoff);
    struct api_req req = {0};
    struct store_tx tx;
    json_t *ids = json_array();
    size_t i;
    json_t *idv;
    int rc;

    if (!ids)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    req.ctx = ctx;
    req.now_ms = now;
    req.request_id = "maintenance";
    lcw_strlcpy(req.who.name, "lcwd retention", sizeof(req.who.name));
    rc = store_tx_begin(ctx->store, &tx, STORE_TX_WRITE, err);
    if (rc)
        goto out;
    rc = store_exec(&tx,
                    "SELECT pk FROM workflows WHERE deleted_at_ms IS NOT NULL AND"
                    " deleted_at_ms < ?",
                    &p, 1, row_first_text, ids, NULL, err);
    json_array_foreach (ids, i, idv) {
        json_t *wf = NULL;

        if (rc)
            break;
        rc = store_entity_get(&tx, &store_ent_workflow, json_string_value(idv), &wf, err);
        if (!rc)
            rc = purge_workflow(&tx, json_string_value(idv), err);
        if (!rc)
            rc = audit_wf(&tx, &req, "WorkflowManagement", "Hard delete workflow", "Delete",
                          wf_target(wf), err);
        json_decref(wf);
    }
    if (rc) {
        store_tx_rollback(&tx);
        goto out;
    }
    rc = store_tx_commit(&tx, err);
    if (!rc && json_array_size(ids))
        log_info("workflows_purged", "count=%zu", json_array_size(ids));
    if (!rc) {
        int64_t purged;

        rc = api__retention(ctx, now, &purged, err);
    }
    if (!rc)
        rc = store_optimize(ctx->store, err);
out:
    json_decref(ids);
    return rc;
}
