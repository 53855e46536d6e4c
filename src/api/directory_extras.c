/* SPDX-License-Identifier: MIT */
/*
 * Directory routes the engine's tasks need: soft-deleted users (the "Delete
 * user account" task) listed under /directory/deletedItems/microsoft.graph.user
 * and restorable for 30 days, and the Temporary Access Passes the "Generate
 * TAP and send email" task issued, listed without their secret.
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

#define MS_PER_DAY 86400000LL

void api_deleted_users_list(struct api_req *req, struct api_resp *resp)
{
    struct odata_query q;
    struct store_tx tx;
    struct store_page page = {0};
    struct lcw_error err = {0};
    size_t i;
    json_t *item;
    int rc;

    if (api__query(req, resp,
                   ODATA_OPT_FILTER | ODATA_OPT_ORDERBY | ODATA_OPT_TOP | ODATA_OPT_SKIPTOKEN |
                           ODATA_OPT_COUNT | ODATA_OPT_SELECT,
                   &q))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    rc = store_entity_list(&tx, &store_ent_user, &q, NULL, "deleted_at_ms IS NOT NULL", NULL, 0,
                           (long)req->ctx->cfg->page_size, &page, &err);
    store_tx_rollback(&tx);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    json_array_foreach (page.items, i, item) {
        json_array_set_new(page.items, i, api__dir_user_output(item, true));
    }
    api__page(req, resp, &page, &q, "directory/deletedItems/microsoft.graph.user");
out:
    odata_query_release(&q);
}

/* Load a soft-deleted user still inside the restore window. */
static int load_deleted(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                        const char *id, json_t **out)
{
    struct lcw_error err = {0};
    const char *del;
    int64_t ms = 0;
    int rc = store_entity_get(tx, &store_ent_user, id, out, &err);

    if (rc == 0) {
        del = jsonx_str(*out, "deletedDateTime");
        if (!del || timefmt_parse(del, strlen(del), &ms) ||
            ms + req->ctx->cfg->deleted_retention_days * MS_PER_DAY <= req->now_ms) {
            json_decref(*out);
            *out = NULL;
            rc = LCW_ENOTFOUND;
        }
    }
    if (rc == LCW_ENOTFOUND)
        api_error(resp, req, 404, "Request_ResourceNotFound",
                  "Deleted user '%s' was not found (or is past the %lld-day restore window)", id,
                  (long long)req->ctx->cfg->deleted_retention_days);
    else if (rc)
        api_error_from(resp, req, &err);
    return rc;
}

void api_deleted_user_get(struct api_req *req, struct api_resp *resp)
{
    char id[128];
    struct store_tx tx;
    json_t *doc = NULL;

    api_param(req, 0, id, sizeof(id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        return;
    if (load_deleted(&tx, req, resp, id, &doc) == 0)
        api__json(req, resp, 200, api__dir_user_output(doc, true),
                  "directory/deletedItems/$entity");
    store_tx_rollback(&tx);
    json_decref(doc);
}

void api_deleted_user_restore(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *doc = NULL, *targets = NULL;
    char id[128];
    int rc;

    api_param(req, 0, id, sizeof(id));
    if (api__no_body(req, resp) || api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        return;
    if (load_deleted(&tx, req, resp, id, &doc))
        goto out;
    json_object_set_new(doc, "deletedDateTime", json_null());
    rc = store_entity_put(&tx, &store_ent_user, id, NULL, doc, &err);
    if (!rc)
        rc = store_dir_change_add(&tx, req->now_ms, "created", id, NULL, NULL,
                                  jsonx_str(doc, "userPrincipalName"), &err);
    targets = json_pack("[{s:s, s:s?, s:s, s:[]}]", "id", id, "displayName",
                        jsonx_str(doc, "displayName"), "type", "User", "modifiedProperties");
    if (!rc) {
        rc = api__audit(&tx, req, "UserManagement", "Restore user", "Update", targets, NULL, &err);
        targets = NULL; /* taken by api__audit */
    }
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__json(req, resp, 200, api__dir_user_output(doc, true), "directoryObjects/$entity");
out:
    store_tx_rollback(&tx);
    json_decref(targets);
    json_decref(doc);
}

void api_user_tap_methods(struct api_req *req, struct api_resp *resp)
{
    char id[128], key[160];
    struct store_tx tx;
    struct lcw_error err = {0};
    json_t *user = NULL, *doc = NULL, *out = json_array();
    size_t i;
    json_t *m;
    int rc;

    api_param(req, 0, id, sizeof(id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto done;
    rc = req->ctx->dir ? dir_user_get(req->ctx->dir, &tx, id, &user, &err) : LCW_EUNAVAIL;
    if (rc == LCW_ENOTFOUND)
        api_error(resp, req, 404, "Request_ResourceNotFound", "User '%s' was not found", id);
    else if (rc)
        api_error_from(resp, req, &err);
    if (rc)
        goto out;
    (void)snprintf(key, sizeof(key), "tap:%s", jsonx_str(user, "id"));
    if (store_kv_get(&tx, key, &doc, &err) == 0) {
        json_array_foreach (json_object_get(doc, "temporaryAccessPassMethods"), i, m) {
            const char *start = jsonx_str(m, "startDateTime");
            int64_t start_ms = 0, life = jsonx_int(m, "lifetimeInMinutes", 0);
            json_t *o = json_deep_copy(m);
            bool usable;

            engine_doc_public(o);
            /* Usability is a function of time: recompute it when read. */
            if (start)
                (void)timefmt_parse(start, strlen(start), &start_ms);
            usable = req->now_ms >= start_ms && req->now_ms < start_ms + life * 60000 &&
                     jsonx_bool(m, "isUsable", true);
            json_object_set_new(o, "isUsable", json_boolean(usable));
            json_object_set_new(o, "methodUsabilityReason",
                                json_string(usable                   ? "EnabledByPolicy"
                                            : req->now_ms < start_ms ? "NotYetValid"
                                                                     : "Expired"));
            json_array_append_new(out, o);
        }
    }
    {
        char f[256];

        (void)snprintf(f, sizeof(f), "users('%s')/authentication/temporaryAccessPassMethods", id);
        api__json(req, resp, 200, json_pack("{s:O}", "value", out), f);
    }
out:
    store_tx_rollback(&tx);
done:
    json_decref(out);
    json_decref(doc);
    json_decref(user);
}
