/* SPDX-License-Identifier: MIT */
/*
 * Every route lcwd serves, with the permission it needs (spec section 10).
 * Patterns are relative to /v1.0 (and /beta); "{}" captures a segment and
 * "!name" is an action or function that may also be written fully
 * qualified. The route x role test in tests/integration walks this table's
 * twin in tests/integration/routes.mjs; keep the two in step.
 */
#include "api_int.h"

#define LW "/identityGovernance/lifecycleWorkflows"
#define WF LW "/workflows/{}"
#define DW LW "/deletedItems/workflows/{}"

const struct api_route api_routes[] = {
        {"GET", LW, PERM_LCW_READ, api_container_get},

        /* workflows (spec 5.1) */
        {"GET", LW "/workflows", PERM_WF_READBASIC, api_workflows_list},
        {"POST", LW "/workflows", PERM_WF_WRITE, api_workflows_create},
        {"GET", WF, PERM_WF_READ, api_workflows_get},
        {"PATCH", WF, PERM_WF_WRITE, api_workflows_patch},
        {"DELETE", WF, PERM_WF_WRITE, api_workflows_delete},
        {"POST", WF "/!createNewVersion", PERM_WF_WRITE, api_workflows_new_version},

        {"POST", WF "/!activate", PERM_WF_ACTIVATE, api_workflow_activate},
        {"POST", WF "/!cancelProcessing", PERM_WF_WRITE, api_workflow_cancel},
        {"POST", WF "/!activateWithScope", PERM_WF_ACTIVATE, api_workflow_activate_with_scope},
        {"POST", WF "/!planActivation", PERM_WF_ACTIVATE, api_workflow_plan},
        {"POST", WF "/!previewWorkflow", PERM_WF_WRITE, api_workflow_preview},
        {"POST", WF "/!previewTaskFailures", PERM_WF_WRITE, api_workflow_preview_failures},
        {"POST", WF "/!clearQuarantine", PERM_WF_WRITE, api_workflow_clear_quarantine},
        {"GET", WF "/executionScope", PERM_WF_READ, api_workflow_execution_scope},

        /* run history (spec 5.4); functions before the {} routes they resemble */
        {"GET", WF "/runs/!summary()", PERM_REPORTS_READ, api_runs_summary},
        {"GET", WF "/userProcessingResults/!summary()", PERM_REPORTS_READ,
         api_user_results_summary},
        {"GET", WF "/taskReports/!summary()", PERM_REPORTS_READ, api_task_reports_summary},
        {"GET", WF "/runs/{}/subjectProcessingResults/!summary()", PERM_REPORTS_READ,
         api_run_subjects_summary},
        {"GET", WF "/subjectProcessingResults", PERM_REPORTS_READ, api_subject_results_list},
        {"GET", WF "/runs/{}/subjectProcessingResults", PERM_REPORTS_READ, api_run_subjects_list},
        {"GET", WF "/runs/{}/subjectProcessingResults/{}", PERM_REPORTS_READ, api_run_subject_get},
        {"GET", WF "/runs", PERM_REPORTS_READ, api_runs_list},
        {"GET", WF "/runs/{}", PERM_REPORTS_READ, api_run_get},
        {"GET", WF "/runs/{}/userProcessingResults", PERM_REPORTS_READ, api_run_user_results},
        {"GET", WF "/runs/{}/userProcessingResults/{}", PERM_REPORTS_READ, api_run_user_result_get},
        {"GET", WF "/runs/{}/userProcessingResults/{}/taskProcessingResults", PERM_REPORTS_READ,
         api_run_user_result_tasks},
        {"GET", WF "/runs/{}/taskProcessingResults", PERM_REPORTS_READ, api_run_task_results},
        {"GET", WF "/userProcessingResults", PERM_REPORTS_READ, api_user_results_list},
        {"GET", WF "/userProcessingResults/{}", PERM_REPORTS_READ, api_user_result_get},
        {"GET", WF "/userProcessingResults/{}/taskProcessingResults", PERM_REPORTS_READ,
         api_user_result_tasks},
        {"GET", WF "/taskReports", PERM_REPORTS_READ, api_task_reports_list},
        {"GET", WF "/taskReports/{}/taskProcessingResults", PERM_REPORTS_READ,
         api_task_report_results},

        /* history of deleted workflows, until they are purged (spec 3.21) */
        {"GET", DW "/runs/!summary()", PERM_REPORTS_READ, api_runs_summary},
        {"GET", DW "/userProcessingResults/!summary()", PERM_REPORTS_READ,
         api_user_results_summary},
        {"GET", DW "/taskReports/!summary()", PERM_REPORTS_READ, api_task_reports_summary},
        {"GET", DW "/runs", PERM_REPORTS_READ, api_runs_list},
        {"GET", DW "/runs/{}", PERM_REPORTS_READ, api_run_get},
        {"GET", DW "/runs/{}/userProcessingResults", PERM_REPORTS_READ, api_run_user_results},
        {"GET", DW "/runs/{}/taskProcessingResults", PERM_REPORTS_READ, api_run_task_results},
        {"GET", DW "/userProcessingResults", PERM_REPORTS_READ, api_user_results_list},
        {"GET", DW "/userProcessingResults/{}", PERM_REPORTS_READ, api_user_result_get},
        {"GET", DW "/userProcessingResults/{}/taskProcessingResults", PERM_REPORTS_READ,
         api_user_result_tasks},
        {"GET", DW "/taskReports", PERM_REPORTS_READ, api_task_reports_list},

        /* tenant-wide insights (spec 5.5) */
        {"GET", LW "/insights/!workflowsProcessedSummary()", PERM_REPORTS_READ,
         api_insights_summary},
        {"GET", LW "/insights/!workflowsProcessedByCategory()", PERM_REPORTS_READ,
         api_insights_by_category},
        {"GET", LW "/insights/!topWorkflowsProcessedSummary()", PERM_REPORTS_READ,
         api_insights_top_workflows},
        {"GET", LW "/insights/!topTasksProcessedSummary()", PERM_REPORTS_READ,
         api_insights_top_tasks},

        /* reprocess lineage (spec 5.4) */
        {"GET", WF "/runs/{}/reprocessedRuns", PERM_REPORTS_READ, api_run_reprocessed_runs},
        {"DELETE", WF "/runs/{}/reprocessedRuns/{}/$ref", PERM_WF_WRITE,
         api_run_reprocessed_unlink},
        {"GET", WF "/userProcessingResults/{}/reprocessedRuns", PERM_REPORTS_READ,
         api_result_reprocessed_runs},
        {"DELETE", WF "/userProcessingResults/{}/reprocessedRuns/{}/$ref", PERM_WF_WRITE,
         api_result_reprocessed_unlink},
        {"GET", WF "/runs/{}/userProcessingResults/{}/reprocessedRuns", PERM_REPORTS_READ,
         api_run_result_reprocessed_runs},
        {"DELETE", WF "/runs/{}/userProcessingResults/{}/reprocessedRuns/{}/$ref", PERM_WF_WRITE,
         api_run_result_reprocessed_unlink},
        {"GET", WF "/tasks/{}/taskProcessingResults", PERM_REPORTS_READ, api_task_results_by_task},
        {"GET", WF "/tasks/{}/taskProcessingResults/{}", PERM_REPORTS_READ, api_task_result_get},
        {"POST", WF "/tasks/{}/taskProcessingResults/{}/!resume", PERM_CALLBACK,
         api_task_result_resume},

        /* tasks and versions (spec 5.2) */
        {"GET", WF "/tasks", PERM_WF_READ, api_workflow_tasks_list},
        {"GET", WF "/tasks/{}", PERM_WF_READ, api_workflow_task_get},
        {"PATCH", WF "/tasks/{}", PERM_WF_WRITE, api_workflow_task_patch},
        {"GET", WF "/versions", PERM_WF_READ, api_workflow_versions_list},
        {"GET", WF "/versions/{}", PERM_WF_READ, api_workflow_version_get},
        {"GET", WF "/versions/{}/tasks", PERM_WF_READ, api_workflow_version_tasks},
        {"GET", WF "/versions/{}/tasks/{}", PERM_WF_READ, api_workflow_version_task_get},

        /* deleted workflows (spec 5.3) */
        {"GET", LW "/deletedItems/workflows", PERM_WF_READ, api_deleted_list},
        {"GET", LW "/deletedItems/workflows/{}", PERM_WF_READ, api_deleted_get},
        {"DELETE", LW "/deletedItems/workflows/{}", PERM_WF_WRITE, api_deleted_purge},
        {"POST", LW "/deletedItems/workflows/{}/!restore", PERM_WF_WRITE, api_deleted_restore},

        /* custom task extensions (spec 5.7) */
        {"GET", LW "/customTaskExtensions", PERM_EXT_READ, api_extensions_list},
        {"POST", LW "/customTaskExtensions", PERM_EXT_WRITE, api_extensions_create},
        {"GET", LW "/customTaskExtensions/{}", PERM_EXT_READ, api_extension_get},
        {"PATCH", LW "/customTaskExtensions/{}", PERM_EXT_WRITE, api_extension_patch},
        {"DELETE", LW "/customTaskExtensions/{}", PERM_EXT_WRITE, api_extension_delete},

        /* settings and catalogues (spec 5.8) */
        {"GET", LW "/settings", PERM_LCW_READ, api_settings_get},
        {"PATCH", LW "/settings", PERM_LCW_WRITE, api_settings_patch},
        {"GET", LW "/taskDefinitions", PERM_LCW_READ, api_task_definitions_list},
        {"GET", LW "/taskDefinitions/{}", PERM_LCW_READ, api_task_definition_get},
        {"GET", LW "/workflowTemplates", PERM_LCW_READ, api_templates_list},
        {"GET", LW "/workflowTemplates/{}", PERM_LCW_READ, api_template_get},

        /* lcw extension: the caller's identity and permissions (for UIs and scripts) */
        {"GET", "/lcw/whoami", PERM_NONE, api_whoami},

        /* audit */
        {"GET", "/auditLogs/directoryAudits", PERM_AUDIT_READ, api_audit_list},
        {"GET", "/auditLogs/directoryAudits/{}", PERM_AUDIT_READ, api_audit_get},

        /* embedded directory */
        {"GET", "/users", PERM_DIR_READ, api_users_list},
        {"POST", "/users", PERM_DIR_WRITE, api_users_create},
        {"GET", "/users/{}", PERM_DIR_READ, api_user_get},
        {"PATCH", "/users/{}", PERM_DIR_WRITE, api_user_patch},
        {"DELETE", "/users/{}", PERM_DIR_WRITE, api_user_delete},
        {"GET", "/users/{}/manager", PERM_DIR_READ, api_user_manager_get},
        {"GET", "/users/{}/manager/$ref", PERM_DIR_READ, api_user_manager_ref_get},
        {"PUT", "/users/{}/manager/$ref", PERM_DIR_WRITE, api_user_manager_put},
        {"DELETE", "/users/{}/manager/$ref", PERM_DIR_WRITE, api_user_manager_delete},
        {"GET", "/users/{}/directReports", PERM_DIR_READ, api_user_direct_reports},
        {"GET", "/users/{}/memberOf", PERM_DIR_READ, api_user_member_of},
        {"POST", "/users/{}/!assignLicense", PERM_DIR_WRITE, api_user_assign_license},
        {"GET", "/users/{}/authentication/temporaryAccessPassMethods", PERM_DIR_READ,
         api_user_tap_methods},
        {"GET", "/directory/deletedItems/microsoft.graph.user", PERM_DIR_READ,
         api_deleted_users_list},
        {"GET", "/directory/deletedItems/{}", PERM_DIR_READ, api_deleted_user_get},
        {"POST", "/directory/deletedItems/{}/!restore", PERM_DIR_WRITE, api_deleted_user_restore},
        {"GET", "/groups", PERM_DIR_READ, api_groups_list},
        {"POST", "/groups", PERM_DIR_WRITE, api_groups_create},
        {"GET", "/groups/{}", PERM_DIR_READ, api_group_get},
        {"PATCH", "/groups/{}", PERM_DIR_WRITE, api_group_patch},
        {"DELETE", "/groups/{}", PERM_DIR_WRITE, api_group_delete},
        {"GET", "/groups/{}/members", PERM_DIR_READ, api_group_members},
        {"POST", "/groups/{}/members/$ref", PERM_DIR_WRITE, api_group_member_add},
        {"DELETE", "/groups/{}/members/{}/$ref", PERM_DIR_WRITE, api_group_member_remove},
        {"GET", "/subscribedSkus", PERM_DIR_READ, api_subscribed_skus_list},
        {"POST", "/subscribedSkus", PERM_DIR_WRITE, api_subscribed_skus_create},
        {"GET", "/subscribedSkus/{}", PERM_DIR_READ, api_subscribed_sku_get},
        {"PATCH", "/subscribedSkus/{}", PERM_DIR_WRITE, api_subscribed_sku_patch},
        {"DELETE", "/subscribedSkus/{}", PERM_DIR_WRITE, api_subscribed_sku_delete},
};

const size_t api_n_routes = sizeof(api_routes) / sizeof(api_routes[0]);
