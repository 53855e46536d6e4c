/* SPDX-License-Identifier: MIT */
/*
 * /settings (lifecycleManagementSettings) and /customTaskExtensions. Both
 * validate through the model; extension secrets are write-only.
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

#define ROOT_FRAGMENT "identityGovernance/lifecycleWorkflows"
#define EXT_FRAGMENT  ROOT_FRAGMENT "/customTaskExtensions"

int api__settings_get(struct store_tx *tx, json_t **out, struct lcw_error *err)
{
    int rc = store_kv_get(tx, "settings", out, err);

    if (rc == LCW_ENOTFOUND) {
        *out = model_settings_default();
        rc = *out ? 0 : lcw_error_set(err, LCW_ENOMEM, "out of memory");
    }
    /* The singleton's key, as Graph gives the entity one. */
    if (!rc && !json_object_get(*out, "id"))
        json_object_set_new(*out, "id", json_string("lifecycleManagementSettings"));
    return rc;
}

void api_settings_get(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct odata_query q;
    struct store_tx tx;
    json_t *s = NULL;
    int rc;

    if (api__query(req, resp, ODATA_OPT_SELECT, &q))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    rc = api__settings_get(&tx, &s, &err);
    store_tx_rollback(&tx);
    if (rc)
        api_error_from(resp, req, &err);
    else if (api__select(s, &q))
        api_error(resp, req, 500, "InternalServerError", "out of memory");
    else
        api__json(req, resp, 200, json_incref(s), ROOT_FRAGMENT "/settings/$entity");
out:
    json_decref(s);
    odata_query_release(&q);
}

void api_settings_patch(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *old = NULL, *s = NULL, *target = NULL, *targets = NULL;
    const char *key;
    json_t *v;
    int rc;

    if (api__body(req, resp, &body))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    rc = api__settings_get(&tx, &old, &err);
    if (!rc)
        rc = model_settings_patch(old, body, &s, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    target = api__target(jsonx_str(s, "id"), "Lifecycle Workflows settings", "Settings");
    targets = json_array();
    if (!target || !targets)
        goto oom;
    json_object_foreach (s, key, v) {
        json_t *was = json_object_get(old, key);

        if (!json_equal(was, v) && api__target_modified(target, key, was, v))
            goto oom;
    }
    if (json_array_append(targets, target))
        goto oom;
    rc = store_kv_put(&tx, "settings", s, &err);
    if (!rc) {
        rc = api__audit(&tx, req, "WorkflowManagement", "Update tenant settings", "Update", targets,
                        NULL, &err);
        targets = NULL;
    }
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
    goto out;
oom:
    api_error(resp, req, 500, "InternalServerError", "out of memory");
out:
    store_tx_rollback(&tx);
    json_decref(targets);
    json_decref(target);
    json_decref(body);
    json_decref(old);
    json_decref(s);
}

/* ------------------------------------------------------ custom extensions */

static int ext_load(struct store_tx *tx, struct api_req *req, struct api_resp *resp, const char *id,
                    json_t **out)
{
    struct lcw_error err = {0};
    int rc = store_entity_get(tx, &store_ent_extension, id, out, &err);

    if (rc == LCW_ENOTFOUND)
        api_error(resp, req, 404, "ResourceNotFound", "Custom task extension '%s' was not found",
                  id);
    else if (rc)
        api_error_from(resp, req, &err);
    return rc;
}

static json_t *ext_output(const json_t *doc, const struct odata_query *q)
{
    json_t *o = model_extension_redact(doc);

    if (o && !(q && api__expanded(q, "createdBy")))
        json_object_del(o, "createdBy");
    if (o && !(q && api__expanded(q, "lastModifiedBy")))
        json_object_del(o, "lastModifiedBy");
    if (o && q && api__select(o, q)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int ext_unique(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                      const char *name, const char *self)
{
    struct store_val p[2] = {STORE_V_TEXT(name), STORE_V_TEXT(self ? self : "")};
    struct lcw_error err = {0};
    int64_t n = 0;
    int rc = store_entity_count(tx, &store_ent_extension, NULL,
                                "lower(display_name) = lower(?) AND pk <> ?", p, 2, &n, &err);

    if (rc) {
        api_error_from(resp, req, &err);
        return rc;
    }
    if (n) {
        api_error(resp, req, 409, "Conflict",
                  "displayName: a custom task extension named '%s' already exists", name);
        return LCW_ECONFLICT;
    }
    return 0;
}

static int audit_ext(struct store_tx *tx, struct api_req *req, const char *activity, const char *op,
                     const json_t *doc, struct lcw_error *err)
{
    json_t *targets =
            json_pack("[o]", api__target(jsonx_str(doc, "id"), jsonx_str(doc, "displayName"),
                                         "CustomTaskExtension"));

    if (!targets)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    return api__audit(tx, req, "Other", activity, op, targets, NULL, err);
}

void api_extensions_list(struct api_req *req, struct api_resp *resp)
{
    struct odata_query q;
    struct store_tx tx;
    struct store_page page = {0};
    struct lcw_error err = {0};
    int rc;

    if (api__query(req, resp,
                   ODATA_OPT_FILTER | ODATA_OPT_ORDERBY | ODATA_OPT_TOP | ODATA_OPT_SKIPTOKEN |
                           ODATA_OPT_COUNT | ODATA_OPT_SELECT | ODATA_OPT_EXPAND,
                   &q))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    rc = store_entity_list(&tx, &store_ent_extension, &q, NULL, NULL, NULL, 0,
                           (long)req->ctx->cfg->page_size, &page, &err);
    store_tx_rollback(&tx);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__page_map(&page, ext_output, &q)) {
        store_page_release(&page);
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        goto out;
    }
    api__page(req, resp, &page, &q, EXT_FRAGMENT);
out:
    odata_query_release(&q);
}

void api_extensions_create(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *doc = NULL;
    char id[UUID_STR_LEN], ts[TIMEFMT_LEN];
    int64_t n = 0;
    int rc;

    if (api__body(req, resp, &body))
        return;
    rc = model_extension_from_create(body, &doc, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    uuid_v4(id);
    timefmt_format_ms(req->now_ms, ts);
    json_object_set_new(doc, "id", json_string(id));
    json_object_set_new(doc, "createdDateTime", json_string(ts));
    json_object_set_new(doc, "lastModifiedDateTime", json_string(ts));
    json_object_set_new(doc, "createdBy", api__identity(req));
    json_object_set_new(doc, "lastModifiedBy", api__identity(req));
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    rc = store_entity_count(&tx, &store_ent_extension, NULL, NULL, NULL, 0, &n, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (n >= req->ctx->cfg->max_extensions) {
        api_error(resp, req, 400, "BadRequest",
                  "The tenant already has %lld custom task extensions, the limit", (long long)n);
        goto out;
    }
    if (ext_unique(&tx, req, resp, jsonx_str(doc, "displayName"), NULL))
        goto out;
    rc = store_entity_put(&tx, &store_ent_extension, id, NULL, doc, &err);
    if (!rc)
        rc = audit_ext(&tx, req, "Create custom task extension", "Add", doc, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx))
        goto out;
    (void)snprintf(resp->location, sizeof(resp->location), "%s/%s%s/customTaskExtensions/%s",
                   req->base_url, req->version, LCW_ROOT, id);
    api__json(req, resp, 201, ext_output(doc, NULL), EXT_FRAGMENT "/$entity");
out:
    store_tx_rollback(&tx);
    json_decref(body);
    json_decref(doc);
}

void api_extension_get(struct api_req *req, struct api_resp *resp)
{
    char id[128];
    struct odata_query q;
    struct store_tx tx;
    json_t *doc = NULL;

    if (api__query(req, resp, ODATA_OPT_SELECT | ODATA_OPT_EXPAND, &q))
        return;
    api_param(req, 0, id, sizeof(id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (ext_load(&tx, req, resp, id, &doc) == 0)
        api__json(req, resp, 200, ext_output(doc, &q), EXT_FRAGMENT "/$entity");
    store_tx_rollback(&tx);
out:
    json_decref(doc);
    odata_query_release(&q);
}

void api_extension_patch(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *old = NULL, *doc = NULL;
    char id[128], ts[TIMEFMT_LEN];
    int rc;

    api_param(req, 0, id, sizeof(id));
    if (api__body(req, resp, &body))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (ext_load(&tx, req, resp, id, &old))
        goto out;
    rc = model_extension_patch(old, body, &doc, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (ext_unique(&tx, req, resp, jsonx_str(doc, "displayName"), id))
        goto out;
    json_object_set_new(doc, "lastModifiedDateTime",
                        json_string(timefmt_format_ms(req->now_ms, ts)));
    json_object_set_new(doc, "lastModifiedBy", api__identity(req));
    rc = store_entity_put(&tx, &store_ent_extension, id, NULL, doc, &err);
    if (!rc)
        rc = audit_ext(&tx, req, "Update custom task extension", "Update", doc, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
out:
    store_tx_rollback(&tx);
    json_decref(body);
    json_decref(old);
    json_decref(doc);
}

/* Does any live workflow's task point at extension `id`? */
static int ext_in_use(struct store_tx *tx, const char *id, char *wf_name, size_t cap,
                      struct lcw_error *err)
{
    struct odata_query q;
    struct store_page page = {0};
    size_t i, j, k;
    json_t *wf, *t, *a;
    int rc;

    odata_query_init(&q);
    rc = store_entity_list(tx, &store_ent_workflow, &q, NULL, "deleted_at_ms IS NULL", NULL, 0,
                           1000000, &page, err);
    if (rc)
        return rc;
    json_array_foreach (page.items, i, wf) {
        json_array_foreach (json_object_get(wf, "tasks"), j, t) {
            json_array_foreach (json_object_get(t, "arguments"), k, a) {
                const char *v = jsonx_str(a, "value");

                if (v && lcw_str_eq_ci(v, id)) {
                    lcw_strlcpy(wf_name, jsonx_str(wf, "displayName"), cap);
                    store_page_release(&page);
                    return 1;
                }
            }
        }
    }
    store_page_release(&page);
    return 0;
}

void api_extension_delete(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *doc = NULL;
    char id[128], wf_name[300];
    int rc;

    api_param(req, 0, id, sizeof(id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        return;
    if (ext_load(&tx, req, resp, id, &doc))
        goto out;
    rc = ext_in_use(&tx, id, wf_name, sizeof(wf_name), &err);
    if (rc == 1) {
        api_error(resp, req, 409, "Conflict",
                  "Custom task extension '%s' is used by workflow '%s'; remove the task with "
                  "createNewVersion first",
                  id, wf_name);
        goto out;
    }
    if (!rc)
        rc = store_entity_delete(&tx, &store_ent_extension, id, &err);
    if (!rc)
        rc = audit_ext(&tx, req, "Delete custom task extension", "Delete", doc, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
out:
    store_tx_rollback(&tx);
    json_decref(doc);
}
