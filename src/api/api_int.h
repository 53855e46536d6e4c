/* SPDX-License-Identifier: MIT */
/* Helpers shared by the api resource files; not for other modules. */
#ifndef LCW_API_INT_H
#define LCW_API_INT_H

#include "lcw/api.h"
#include "lcw/jsonx.h"

#define LCW_ROOT "/identityGovernance/lifecycleWorkflows"

/* Graph's error codes for the directory routes (/users, /groups). */
#define DIR_BAD       "Request_BadRequest"
#define DIR_NOT_FOUND "Request_ResourceNotFound"

/* Begin a transaction; on failure fill `resp` and return non-zero. */
int api__tx_begin(struct api_req *req, struct api_resp *resp, struct store_tx *tx, unsigned flags);
/* Commit; on failure fill `resp` and return non-zero. */
int api__tx_commit(struct api_req *req, struct api_resp *resp, struct store_tx *tx);

/* Decode the body as a JSON object; on failure fill `resp` (400) and return non-zero. */
int api__body(struct api_req *req, struct api_resp *resp, json_t **out);

/* Refuse any body on a bodiless action (400). */
int api__no_body(struct api_req *req, struct api_resp *resp);

/* Parse the query options allowed here; on failure fill `resp` (400). */
int api__query(struct api_req *req, struct api_resp *resp, unsigned allowed, struct odata_query *q);

/* The value of a non-$ query parameter, or NULL. */
const char *api__query_param(const struct api_req *req, const char *key);

/* Respond with `body` (taken) and `status`; adds @odata.context from `context` when set. */
void api__json(struct api_req *req, struct api_resp *resp, int status, json_t *body,
               const char *context);
void api__no_content(struct api_resp *resp);

/* "BASE/VERSION/$metadata#FRAGMENT" as an owned string. */
char *api__context_url(const struct api_req *req, const char *fragment);

/* Is `name` in $expand? */
bool api__expanded(const struct odata_query *q, const char *name);

/* Apply $select to one item (no-op without $select). */
int api__select(json_t *item, const struct odata_query *q);

/*
 * Send a page of a collection: {"@odata.context", ["@odata.count"], "value",
 * ["@odata.nextLink"]}. `page->items` is taken.
 */
void api__page(struct api_req *req, struct api_resp *resp, struct store_page *page,
               const struct odata_query *q, const char *context_fragment);

/* What clients see of a stored item (a new reference, or NULL when out of memory). */
typedef json_t *api_output_fn(const json_t *doc, const struct odata_query *q);

/* Replace every item of `page` by fn(item, q). LCW_ENOMEM when fn fails. */
int api__page_map(struct store_page *page, api_output_fn *fn, const struct odata_query *q);

/*
 * List an in-memory array (catalogues, tasks): $filter with the evaluator,
 * $orderby, $top and an offset $skiptoken, $select, $count. `items` is
 * borrowed.
 */
void api__list_array(struct api_req *req, struct api_resp *resp, json_t *items,
                     const struct odata_entity *ent, const struct odata_query *q,
                     const char *context_fragment);

/*
 * The items of an in-memory array that $filter keeps, in $orderby order (a
 * new array of borrowed-and-referenced items in *out). On a bad option the
 * Graph error is in `resp` and the result is non-zero.
 */
int api__array_match(struct api_req *req, struct api_resp *resp, json_t *items,
                     const struct odata_entity *ent, const struct odata_query *q, json_t **out);

/*
 * Write one audit event in `tx`. `targets` is an array of targetResource
 * objects (taken; may be NULL). `details` an array of {key,value} (taken; may
 * be NULL).
 */
int api__audit(struct store_tx *tx, const struct api_req *req, const char *category,
               const char *activity, const char *operation, json_t *targets, json_t *details,
               struct lcw_error *err);

/* A targetResource: {id, displayName, type, modifiedProperties: []} (new reference). */
json_t *api__target(const char *id, const char *display_name, const char *type);

/* Append {displayName, oldValue, newValue} (values JSON-encoded as Graph does). */
int api__target_modified(json_t *target, const char *name, const json_t *old_value,
                         const json_t *new_value);

/* The principal as a Graph identity object {id, displayName} (new reference). */
json_t *api__identity(const struct api_req *req);

/* Read tenant settings (defaults when never written). New reference in *out. */
int api__settings_get(struct store_tx *tx, json_t **out, struct lcw_error *err);

/* Store a workflow's current state as its immutable version snapshot (workflows.c). */
int api__workflow_put_version(struct store_tx *tx, const json_t *wf, struct lcw_error *err);

/* Directory helpers shared by users.c, groups.c and demo.c. */
int api__user_build(const json_t *body, const char *id, int64_t now_ms, json_t **out,
                    struct lcw_error *err);
const char *api__user_manager_id(const json_t *doc);
int api__user_manager_set(json_t *doc, const char *manager_id);
json_t *api__dir_user_output(const json_t *doc, bool with_type);
/* Graph's 404 for a directory object, and 400 for a validation error (else the mapped status). */
void api__dir_not_found(struct api_resp *resp, const struct api_req *req, const char *what);
void api__dir_fail(struct api_resp *resp, const struct api_req *req, const struct lcw_error *err);
int api__dir_ref_id(const json_t *body, char out[UUID_STR_LEN], struct lcw_error *err);
int api__dir_search(const char *search, const struct store_entity *e, struct buf *where,
                    struct store_val *params, size_t cap, size_t *n_params, char **owned,
                    struct lcw_error *err);
int api__skus_get(struct store_tx *tx, json_t **out, struct lcw_error *err);
int api__sku_consumed(struct store_tx *tx, const char *sku_id, int64_t *out, struct lcw_error *err);
int api__group_build(const json_t *body, const char *id, int64_t now_ms, json_t **out,
                     struct lcw_error *err);

/* Does the client ask for an export (Accept: text/csv or application/x-ndjson)? */
bool api__wants_export(const struct api_req *req);

/*
 * Stream every row of `e` matching the request's $filter/$orderby/$select,
 * within `parent` and `where` (one `?` bound to `arg`), as CSV or NDJSON,
 * ignoring paging. `q` must already be validated.
 */
void api__export(struct api_req *req, struct api_resp *resp, const struct store_entity *e,
                 const struct odata_query *q, const char *parent, const char *where,
                 const char *const *args, size_t n_args);

/* Purge runs outside the history retention window; *purged counts them. */
int api__retention(const struct api_ctx *ctx, int64_t now_ms, int64_t *purged,
                   struct lcw_error *err);

/* Stream the task reports in `items` (taken; already filtered and ordered)
 * as CSV or NDJSON, with the columns of $select or the default ones. */
void api__export_array(struct api_req *req, struct api_resp *resp, json_t *items,
                       const struct odata_query *q);

/* Entity used to filter user-property scope rules (evaluator only). */
extern const struct odata_entity api_user_rule_entity;

/* Handlers, by resource file. */
api_handler_fn api_workflows_list, api_workflows_create, api_workflows_get, api_workflows_patch,
        api_workflows_delete, api_workflows_new_version, api_workflow_tasks_list,
        api_workflow_task_get, api_workflow_task_patch, api_workflow_versions_list,
        api_workflow_version_get, api_workflow_version_tasks, api_workflow_version_task_get,
        api_deleted_list, api_deleted_get, api_deleted_restore, api_deleted_purge;
api_handler_fn api_task_definitions_list, api_task_definition_get, api_templates_list,
        api_template_get;
api_handler_fn api_settings_get, api_settings_patch;
api_handler_fn api_extensions_list, api_extensions_create, api_extension_get, api_extension_patch,
        api_extension_delete;
api_handler_fn api_audit_list, api_audit_get;
api_handler_fn api_container_get;
api_handler_fn api_whoami;
/* Runs and history (api/runs.c). */
api_handler_fn api_workflow_activate, api_workflow_cancel, api_workflow_preview,
        api_workflow_preview_failures, api_workflow_execution_scope, api_workflow_clear_quarantine,
        api_task_result_resume, api_runs_list, api_run_get, api_run_user_results,
        api_run_user_result_get, api_run_user_result_tasks, api_run_task_results,
        api_user_results_list, api_user_result_get, api_user_result_tasks, api_task_results_by_task,
        api_task_result_get, api_task_reports_list, api_task_report_results;
/* History reports (api/history.c) and subject results (api/runs.c). */
api_handler_fn api_runs_summary, api_user_results_summary, api_task_reports_summary,
        api_run_subjects_summary, api_insights_summary, api_insights_by_category,
        api_insights_top_workflows, api_insights_top_tasks, api_subject_results_list,
        api_run_subjects_list, api_run_subject_get;
/* Deleted users and TAP methods (api/directory_extras.c). */
api_handler_fn api_deleted_users_list, api_deleted_user_get, api_deleted_user_restore,
        api_user_tap_methods;
/* Reprocess (api/reprocess.c). */
api_handler_fn api_workflow_activate_with_scope, api_workflow_plan, api_run_reprocessed_runs,
        api_result_reprocessed_runs, api_run_result_reprocessed_runs, api_run_reprocessed_unlink,
        api_result_reprocessed_unlink, api_run_result_reprocessed_unlink;
/* Embedded directory (api/users.c, api/groups.c). */
api_handler_fn api_users_list, api_users_create, api_user_get, api_user_patch, api_user_delete,
        api_user_manager_get, api_user_manager_ref_get, api_user_manager_put,
        api_user_manager_delete, api_user_member_of, api_user_assign_license,
        api_user_direct_reports;
api_handler_fn api_groups_list, api_groups_create, api_group_get, api_group_patch, api_group_delete,
        api_group_members, api_group_member_add, api_group_member_remove, api_subscribed_skus_list,
        api_subscribed_skus_create, api_subscribed_sku_get, api_subscribed_sku_patch,
        api_subscribed_sku_delete;

#endif /* LCW_API_INT_H */
