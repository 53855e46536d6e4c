/* SPDX-License-Identifier: MIT */
/*
 * /auditLogs/directoryAudits: the audit events every change wrote, in
 * Graph's directoryAudit shape, newest first unless $orderby says otherwise.
 */
#include "api_int.h"

#define AUDIT_FRAGMENT "auditLogs/directoryAudits"

void api_audit_list(struct api_req *req, struct api_resp *resp)
{
    struct odata_query q;
    struct store_tx tx;
    struct store_page page = {0};
    struct lcw_error err = {0};
    int rc;

    if (api__query(req, resp,
                   ODATA_OPT_FILTER | ODATA_OPT_ORDERBY | ODATA_OPT_TOP | ODATA_OPT_SKIPTOKEN |
                           ODATA_OPT_COUNT | ODATA_OPT_SELECT,
                   &q))
        return;
    if (q.n_orderby == 0) {
        /* Graph lists audit events newest first. */
        q.orderby = lcw_calloc(1, sizeof(*q.orderby));
        if (q.orderby)
            q.orderby[0].property = lcw_strdup("activityDateTime");
        if (!q.orderby || !q.orderby[0].property) {
            api_error(resp, req, 500, "InternalServerError", "out of memory");
            goto out;
        }
        q.orderby[0].desc = true;
        q.n_orderby = 1;
    }
    if (api__wants_export(req)) {
        struct odata_sql check = {0};
        struct lcw_error e2 = {0};

        if (odata_filter_to_sql(q.filter, &store_ent_audit.od, &check, &e2))
            api_error_from(resp, req, &e2);
        else
            api__export(req, resp, &store_ent_audit, &q, NULL, NULL, NULL, 0);
        odata_sql_release(&check);
        goto out;
    }
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    rc = store_entity_list(&tx, &store_ent_audit, &q, NULL, NULL, NULL, 0,
                           (long)req->ctx->cfg->page_size, &page, &err);
    store_tx_rollback(&tx);
    if (rc)
        api_error_from(resp, req, &err);
    else
        api__page(req, resp, &page, &q, AUDIT_FRAGMENT);
out:
    odata_query_release(&q);
}

void api_audit_get(struct api_req *req, struct api_resp *resp)
{
    char id[128];
    struct odata_query q;
    struct store_tx tx;
    struct lcw_error err = {0};
    json_t *doc = NULL;
    int rc;

    if (api__query(req, resp, ODATA_OPT_SELECT, &q))
        return;
    api_param(req, 0, id, sizeof(id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    rc = store_entity_get(&tx, &store_ent_audit, id, &doc, &err);
    store_tx_rollback(&tx);
    if (rc == LCW_ENOTFOUND)
        api_error(resp, req, 404, "ResourceNotFound", "Audit event '%s' was not found", id);
    else if (rc)
        api_error_from(resp, req, &err);
    else if (api__select(doc, &q))
        api_error(resp, req, 500, "InternalServerError", "out of memory");
    else
        api__json(req, resp, 200, json_incref(doc), AUDIT_FRAGMENT "/$entity");
out:
    json_decref(doc);
    odata_query_release(&q);
}
