/* SPDX-License-Identifier: MIT */
/*
 * tasks internals: the executors the registry (registry.c) lists. Local
 * executors (directory changes) are in directory_tasks.c; the remote ones
 * (email.c, tap.c, extension.c) do network I/O outside any transaction.
 * Every executor is a static, read-only table entry, safe to share between
 * worker threads.
 */
#ifndef LCW_TASKS_TASKS_INT_H
#define LCW_TASKS_TASKS_INT_H

#include "lcw/tasks.h"

/* ------------------------------------------- local (directory_tasks.c) */

extern const struct task_executor task_exec_enable_account;
extern const struct task_executor task_exec_disable_account;
extern const struct task_executor task_exec_delete_account;
extern const struct task_executor task_exec_add_to_groups;
extern const struct task_executor task_exec_remove_from_groups;
extern const struct task_executor task_exec_remove_from_all_groups;
extern const struct task_executor task_exec_add_to_teams;
extern const struct task_executor task_exec_remove_from_teams;
extern const struct task_executor task_exec_remove_from_all_teams;
extern const struct task_executor task_exec_assign_licenses;
extern const struct task_executor task_exec_remove_licenses;
extern const struct task_executor task_exec_remove_all_licenses;
extern const struct task_executor task_exec_revoke_refresh_tokens;
extern const struct task_executor task_exec_update_attributes;
extern const struct task_executor task_exec_request_access_package;
extern const struct task_executor task_exec_remove_access_package;
extern const struct task_executor task_exec_remove_all_access_packages;
extern const struct task_executor task_exec_cancel_access_package_requests;

/* -------------------------- remote (email.c, tap.c, extension.c) */

extern const struct task_executor task_exec_welcome_email;
extern const struct task_executor task_exec_onboarding_reminder_email;
extern const struct task_executor task_exec_before_last_day_email;
extern const struct task_executor task_exec_on_last_day_email;
extern const struct task_executor task_exec_after_last_day_email;
extern const struct task_executor task_exec_manager_move_email;
extern const struct task_executor task_exec_generate_tap;
extern const struct task_executor task_exec_custom_extension;

#endif /* LCW_TASKS_TASKS_INT_H */
