/* SPDX-License-Identifier: MIT */
/*
 * The executor of each built-in task definition (spec section 8 plus lcw's
 * "Update user attributes"), looked up by definition id, and the argument
 * accessor executors share. A static table: thread-safe.
 */
#include "lcw/tasks.h"

#include "lcw/jsonx.h"

#include "tasks_int.h"

static const struct task_executor *const executors[] = {
        &task_exec_enable_account,
        &task_exec_disable_account,
        &task_exec_delete_account,
        &task_exec_add_to_groups,
        &task_exec_remove_from_groups,
        &task_exec_remove_from_all_groups,
        &task_exec_add_to_teams,
        &task_exec_remove_from_teams,
        &task_exec_remove_from_all_teams,
        &task_exec_assign_licenses,
        &task_exec_remove_licenses,
        &task_exec_remove_all_licenses,
        &task_exec_revoke_refresh_tokens,
        &task_exec_update_attributes,
        &task_exec_request_access_package,
        &task_exec_remove_access_package,
        &task_exec_remove_all_access_packages,
        &task_exec_cancel_access_package_requests,
        &task_exec_welcome_email,
        &task_exec_onboarding_reminder_email,
        &task_exec_before_last_day_email,
        &task_exec_on_last_day_email,
        &task_exec_after_last_day_email,
        &task_exec_manager_move_email,
        &task_exec_generate_tap,
        &task_exec_custom_extension,
};

const struct task_executor *tasks_find(const char *definition_id)
{
    if (!definition_id)
        return NULL;
    for (size_t i = 0; i < sizeof(executors) / sizeof(executors[0]); i++) {
        if (lcw_str_eq_ci(executors[i]->definition_id, definition_id))
            return executors[i];
    }
    return NULL;
}

const char *tasks_arg(const json_t *task, const char *name)
{
    const json_t *args = json_object_get(task, "arguments");
    size_t i;
    json_t *a;

    if (!name)
        return NULL;
    json_array_foreach (args, i, a) {
        const char *n = jsonx_str(a, "name");

        if (n && lcw_str_eq_ci(n, name))
            return jsonx_str(a, "value");
    }
    return NULL;
}
