/* SPDX-License-Identifier: MIT */
/*
 * Read-only catalogues: /taskDefinitions and /workflowTemplates, built from
 * the model's static tables and listed in memory, plus the container
 * resource itself and /healthz.
 */
#include "api_int.h"

#include <stdio.h>

#define ROOT_FRAGMENT "identityGovernance/lifecycleWorkflows"
#define CAT_LIST_OPTS                                                             \
    (ODATA_OPT_FILTER | ODATA_OPT_ORDERBY | ODATA_OPT_TOP | ODATA_OPT_SKIPTOKEN | \
     ODATA_OPT_COUNT | ODATA_OPT_SELECT | ODATA_OPT_SKIP)

static const struct odata_property def_props[] = {
        {"id", NULL, ODATA_T_GUID, ODATA_OP_EQ | ODATA_OP_IN, true},
        {"displayName", NULL, ODATA_T_STRING, ODATA_OP_EQ | ODATA_OP_IN | ODATA_OP_STARTSWITH,
         true},
        {"category", NULL, ODATA_T_FLAGS, ODATA_OP_EQ | ODATA_OP_HAS, true},
        {"version", NULL, ODATA_T_INT, ODATA_OP_EQ | ODATA_OP_ORDER, true},
        {"continueOnError", NULL, ODATA_T_BOOL, ODATA_OP_EQ, true},
        {"parameters", NULL, ODATA_T_STRING, ODATA_OP_ANY, false},
        {"parameters/name", NULL, ODATA_T_STRING, ODATA_OP_EQ | ODATA_OP_IN, false},
        {"parameters/valueType", NULL, ODATA_T_ENUM, ODATA_OP_EQ | ODATA_OP_IN, false},
};
static const struct odata_entity def_entity = {"taskDefinition", "id", def_props,
                                               sizeof(def_props) / sizeof(def_props[0])};

static const struct odata_property tpl_props[] = {
        {"id", NULL, ODATA_T_GUID, ODATA_OP_EQ | ODATA_OP_IN, true},
        {"displayName", NULL, ODATA_T_STRING, ODATA_OP_EQ | ODATA_OP_IN | ODATA_OP_STARTSWITH,
         true},
        {"category", NULL, ODATA_T_ENUM, ODATA_OP_EQ | ODATA_OP_IN, true},
};
static const struct odata_entity tpl_entity = {"workflowTemplate", "id", tpl_props,
                                               sizeof(tpl_props) / sizeof(tpl_props[0])};

static json_t *all_definitions(void)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < model_task_definition_count(); i++) {
        if (json_array_append_new(arr,
                                  model_task_definition_to_json(model_task_definition_at(i)))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *all_templates(void)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < model_template_count(); i++) {
        if (json_array_append_new(arr, model_template_to_json(i))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static void list_catalogue(struct api_req *req, struct api_resp *resp, json_t *(*all)(void),
                           const struct odata_entity *ent, const char *fragment)
{
    struct odata_query q;
    json_t *items;

    if (api__query(req, resp, CAT_LIST_OPTS, &q))
        return;
    items = all();
    if (!items)
        api_error(resp, req, 500, "InternalServerError", "out of memory");
    else
        api__list_array(req, resp, items, ent, &q, fragment);
    json_decref(items);
    odata_query_release(&q);
}

void api_task_definitions_list(struct api_req *req, struct api_resp *resp)
{
    list_catalogue(req, resp, all_definitions, &def_entity, ROOT_FRAGMENT "/taskDefinitions");
}

void api_templates_list(struct api_req *req, struct api_resp *resp)
{
    list_catalogue(req, resp, all_templates, &tpl_entity, ROOT_FRAGMENT "/workflowTemplates");
}

void api_task_definition_get(struct api_req *req, struct api_resp *resp)
{
    char id[128];
    struct odata_query q;
    const struct model_task_def *d;
    json_t *o;

    if (api__query(req, resp, ODATA_OPT_SELECT, &q))
        return;
    api_param(req, 0, id, sizeof(id));
    d = model_task_definition_find(id);
    if (!d) {
        api_error(resp, req, 404, "ResourceNotFound", "Task definition '%s' was not found", id);
    } else {
        o = model_task_definition_to_json(d);
        if (o && api__select(o, &q)) {
            json_decref(o);
            o = NULL;
        }
        api__json(req, resp, 200, o, ROOT_FRAGMENT "/taskDefinitions/$entity");
    }
    odata_query_release(&q);
}

void api_template_get(struct api_req *req, struct api_resp *resp)
{
    char id[128];
    struct odata_query q;
    size_t idx;
    json_t *o;

    if (api__query(req, resp, ODATA_OPT_SELECT | ODATA_OPT_EXPAND, &q))
        return;
    api_param(req, 0, id, sizeof(id));
    if (model_template_find(id, &idx)) {
        api_error(resp, req, 404, "ResourceNotFound", "Workflow template '%s' was not found", id);
    } else {
        o = model_template_to_json(idx);
        if (o && api__select(o, &q)) {
            json_decref(o);
            o = NULL;
        }
        api__json(req, resp, 200, o, ROOT_FRAGMENT "/workflowTemplates/$entity");
    }
    odata_query_release(&q);
}

void api_container_get(struct api_req *req, struct api_resp *resp)
{
    api__json(req, resp, 200, json_pack("{s:s}", "id", "lifecycleWorkflows"),
              ROOT_FRAGMENT "/$entity");
}

void api_healthz(struct api_req *req, struct api_resp *resp)
{
    struct store_tx tx;
    struct lcw_error err = {0};
    int64_t v = 0;

    if (store_tx_begin(req->ctx->store, &tx, STORE_TX_READ, &err) == 0) {
        (void)store_query_int(&tx, "SELECT 1", NULL, 0, &v, &err);
        store_tx_rollback(&tx);
    }
    if (v != 1) {
        api_error(resp, req, 503, "ServiceUnavailable", "the store does not answer: %s", err.msg);
        return;
    }
    api__json(req, resp, 200,
              json_pack("{s:s, s:s, s:s}", "status", "ok", "version", LCW_VERSION, "store",
                        store_driver_name(req->ctx->store)),
              NULL);
}
