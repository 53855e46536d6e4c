/* SPDX-License-Identifier: MIT */
/*
 * The local task executors: account state, group and Team memberships,
 * licences, refresh tokens and user attributes, each one or a few calls to
 * the directory (lcw/dir.h) inside the engine's transaction (`call->tx`),
 * plus the access-package tasks, which the embedded directory cannot do.
 * No network I/O. Stateless: safe on concurrent workers.
 *
 * Outcomes: a change reports what changed, a no-op reports why nothing had
 * to change (so a replayed task is harmless), a business failure (unknown
 * group, unknown licence, bad attribute) is TASK_FAILED with a reason naming
 * the object, and a store failure is returned so that the engine rolls back.
 */
#include "tasks_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lcw/jsonx.h"
#include "lcw/model.h"

#define AP_UNSUPPORTED "Access packages are not supported by the embedded directory"
#define MAX_LIST_ITEMS 100 /* ids or licences in one argument */

/* -------------------------------------------------------------- reports */

/* Append to the message, ending it with "..." when it does not fit. */
__attribute__((format(printf, 2, 0))) static void msg_vappend(struct task_report *r,
                                                              const char *fmt, va_list ap)
{
    size_t len = strlen(r->message), cap = sizeof(r->message);
    int n;

    if (len + 1 >= cap)
        return;
    n = vsnprintf(r->message + len, cap - len, fmt, ap);
    if (n >= 0 && (size_t)n >= cap - len)
        memcpy(r->message + cap - 4, "...", 4);
}

static void msg_append(struct task_report *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void msg_append(struct task_report *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vappend(r, fmt, ap);
    va_end(ap);
}

static int report(struct task_report *r, enum task_outcome outcome, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int report(struct task_report *r, enum task_outcome outcome, const char *fmt, ...)
{
    va_list ap;

    r->outcome = outcome;
    r->message[0] = '\0';
    va_start(ap, fmt);
    msg_vappend(r, fmt, ap);
    va_end(ap);
    return 0;
}

static bool is_business_error(int rc)
{
    return rc == LCW_EINVAL || rc == LCW_ENOTFOUND || rc == LCW_ECONFLICT;
}

static int user_gone(struct task_report *r, const char *uid)
{
    return report(r, TASK_FAILED, "user '%s' no longer exists", uid);
}

/*
 * The outcome of a directory call about the subject user only: a missing
 * user and a refused value fail the task, anything else is returned.
 */
static int user_call_failed(int rc, const struct lcw_error *err, const char *uid,
                            struct task_report *r)
{
    if (rc == LCW_ENOTFOUND)
        return user_gone(r, uid);
    if (is_business_error(rc))
        return report(r, TASK_FAILED, "%s", err->msg);
    return rc;
}

/* The subject's id, or a failed report when the engine gave none. */
static const char *subject_id(const struct task_call *call, struct task_report *r)
{
    const char *uid = jsonx_str(call->user, "id");

    if (!uid)
        (void)report(r, TASK_FAILED, "The subject user has no id");
    return uid;
}

static bool arg_is_true(const struct task_call *call, const char *name)
{
    const char *v = tasks_arg(call->task, name);

    return v && lcw_str_eq_ci(v, "true");
}

/*
 * Split a comma-separated argument into trimmed, non-empty items without
 * duplicates (compared case-insensitively). New array in *out.
 */
static int split_list(const char *s, json_t **out, struct lcw_error *err)
{
    json_t *arr = json_array();

    if (!arr)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    while (s && *s) {
        const char *end = strchr(s, ',');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        const char *p = s;
        bool is_dup = false;
        size_t i;
        json_t *v;

        while (n && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        s = end ? end + 1 : s + strlen(s);
        if (!n)
            continue;
        json_array_foreach (arr, i, v) {
            if (json_string_length(v) == n && strv_eq_ci((struct strv){p, n}, json_string_value(v)))
                is_dup = true;
        }
        if (is_dup)
            continue;
        if (json_array_size(arr) >= MAX_LIST_ITEMS) {
            json_decref(arr);
            return lcw_error_set(err, LCW_EINVAL, "more than %d items", MAX_LIST_ITEMS);
        }
        if (json_array_append_new(arr, json_stringn(p, n))) {
            json_decref(arr);
            return lcw_error_set(err, LCW_ENOMEM, "out of memory");
        }
    }
    *out = arr;
    return 0;
}

/* "A, B, C" from an array of strings. */
static void append_names(struct task_report *r, const json_t *names)
{
    size_t i;
    json_t *v;

    json_array_foreach (names, i, v) {
        msg_append(r, "%s%s", i ? ", " : "", json_string_value(v));
    }
}

static int push(json_t *arr, const char *s, struct lcw_error *err)
{
    return json_array_append_new(arr, json_string(s))
                   ? lcw_error_set(err, LCW_ENOMEM, "out of memory")
                   : 0;
}

static int pushf(json_t *arr, struct lcw_error *err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int pushf(json_t *arr, struct lcw_error *err, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof(line), fmt, ap); /* a long line is cut; it is only shown */
    va_end(ap);
    return push(arr, line, err);
}

/*
 * What a task over a list did: `done` (changed), `noop` (nothing to change,
 * with `noop_one` the sentence for a single item), `failed` (reasons).
 */
struct tally {
    json_t *done;
    json_t *noop;
    json_t *noop_one; /* the single no-op as "group 'Sales' (id)" */
    json_t *failed;
};

static int tally_init(struct tally *t, struct lcw_error *err)
{
    t->done = json_array();
    t->noop = json_array();
    t->noop_one = json_array();
    t->failed = json_array();
    if (!t->done || !t->noop || !t->noop_one || !t->failed)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    return 0;
}

static void tally_release(struct tally *t)
{
    json_decref(t->done);
    json_decref(t->noop);
    json_decref(t->noop_one);
    json_decref(t->failed);
}

struct words {
    const char *done; /* "Added to" */
    const char *one;  /* "group" */
    const char *many; /* "groups" */
    const char *noop; /* "User was already a member of" */
};

/* The report of a list task: failures first (then TASK_FAILED), then the changes, then no-ops. */
static int tally_report(const struct tally *t, const struct words *w, struct task_report *r)
{
    size_t n_done = json_array_size(t->done), n_noop = json_array_size(t->noop);
    size_t i;
    json_t *v;

    r->outcome = json_array_size(t->failed) ? TASK_FAILED : TASK_COMPLETED;
    r->message[0] = '\0';
    json_array_foreach (t->failed, i, v) {
        msg_append(r, "%s%s", i ? "; " : "", json_string_value(v));
    }
    if (n_done) {
        msg_append(r, "%s%s %zu %s: ", r->message[0] ? ". " : "", w->done, n_done,
                   n_done == 1 ? w->one : w->many);
        append_names(r, t->done);
    }
    if (n_noop == 1) {
        msg_append(r, "%s%s %s", r->message[0] ? ". " : "", w->noop,
                   json_string_value(json_array_get(t->noop_one, 0)));
    } else if (n_noop) {
        msg_append(r, "%s%s %zu %s: ", r->message[0] ? ". " : "", w->noop, n_noop, w->many);
        append_names(r, t->noop);
    }
    return 0;
}

/* ------------------------------------------------------------- accounts */

static int set_enabled(const struct task_call *call, struct task_report *r, bool enabled,
                       struct lcw_error *err)
{
    const char *uid = subject_id(call, r);
    const char *flag = enabled ? "enableOnPremisesAccount" : "disableOnPremisesAccount";
    bool changed = false;
    int rc;

    if (!uid)
        return 0;
    rc = dir_user_set_enabled(call->env->dir, call->tx, uid, enabled, &changed, err);
    if (rc)
        return user_call_failed(rc, err, uid, r);
    if (changed)
        report(r, TASK_COMPLETED, "%s the user account", enabled ? "Enabled" : "Disabled");
    else
        report(r, TASK_COMPLETED, "User account was already %s", enabled ? "enabled" : "disabled");
    if (arg_is_true(call, flag))
        msg_append(r, ". '%s' changed nothing: the embedded directory has no on-premises accounts",
                   flag);
    return 0;
}

static int run_enable(const struct task_call *call, struct task_report *r, struct lcw_error *err)
{
    return set_enabled(call, r, true, err);
}

static int run_disable(const struct task_call *call, struct task_report *r, struct lcw_error *err)
{
    return set_enabled(call, r, false, err);
}

static int run_delete(const struct task_call *call, struct task_report *r, struct lcw_error *err)
{
    const char *uid = subject_id(call, r);
    bool changed = false;
    int rc;

    if (!uid)
        return 0;
    rc = dir_user_delete(call->env->dir, call->tx, uid, call->now_ms, &changed, err);
    if (rc)
        return user_call_failed(rc, err, uid, r);
    if (changed)
        report(r, TASK_COMPLETED,
               "Deleted the user account and removed its group memberships; it can be restored "
               "for 30 days");
    else
        report(r, TASK_COMPLETED, "User account was already deleted");
    if (arg_is_true(call, "deleteOnPremisesAccount"))
        msg_append(r, ". 'deleteOnPremisesAccount' changed nothing: the embedded directory has no "
                      "on-premises accounts");
    return 0;
}

static int run_revoke(const struct task_call *call, struct task_report *r, struct lcw_error *err)
{
    const char *uid = subject_id(call, r);
    char ts[TIMEFMT_LEN];
    int rc;

    if (!uid)
        return 0;
    rc = dir_user_revoke_sessions(call->env->dir, call->tx, uid, call->now_ms, err);
    if (rc)
        return user_call_failed(rc, err, uid, r);
    return report(r, TASK_COMPLETED,
                  "Revoked all refresh tokens and sign-in sessions: sign-ins before %s are no "
                  "longer valid",
                  timefmt_format(call->now_ms, ts));
}

/* ---------------------------------------------------------- memberships */

static bool is_team(const json_t *group)
{
    size_t i;
    json_t *v;

    json_array_foreach (json_object_get(group, "resourceProvisioningOptions"), i, v) {
        if (json_is_string(v) && lcw_str_eq_ci(json_string_value(v), "Team"))
            return true;
    }
    return false;
}

static const char *group_name(const json_t *g)
{
    const char *n = jsonx_str(g, "displayName");

    return n ? n : jsonx_str(g, "id");
}

/* The user must still exist before memberships are touched. */
static int check_user(const struct task_call *call, const char *uid, bool *is_gone,
                      struct lcw_error *err)
{
    json_t *u = NULL;
    int rc = dir_user_get(call->env->dir, call->tx, uid, &u, err);

    json_decref(u);
    *is_gone = rc == LCW_ENOTFOUND;
    return *is_gone ? 0 : rc;
}

/* Add to or remove from the groups (or Teams) named by `groupID` (`teamID`). */
static int selected_groups(const struct task_call *call, struct task_report *r, bool is_add,
                           bool teams_only, struct lcw_error *err)
{
    static const struct words add_g = {"Added to", "group", "groups",
                                       "User was already a member of"};
    static const struct words add_t = {"Added to", "Team", "Teams", "User was already a member of"};
    static const struct words rem_g = {"Removed from", "group", "groups",
                                       "User was not a member of"};
    static const struct words rem_t = {"Removed from", "Team", "Teams", "User was not a member of"};
    const char *arg_name = teams_only ? "teamID" : "groupID";
    const char *uid = subject_id(call, r);
    struct tally t = {0};
    json_t *ids = NULL, *g = NULL, *idv;
    bool is_gone = false;
    size_t i;
    int rc;

    if (!uid)
        return 0;
    rc = check_user(call, uid, &is_gone, err);
    if (rc || is_gone)
        return rc ? rc : user_gone(r, uid);
    rc = split_list(tasks_arg(call->task, arg_name), &ids, err);
    if (rc == LCW_EINVAL)
        return report(r, TASK_FAILED, "The '%s' argument names %s", arg_name, err->msg);
    if (rc)
        return rc;
    if (!json_array_size(ids)) {
        json_decref(ids);
        return report(r, TASK_FAILED, "The '%s' argument names no %s", arg_name,
                      teams_only ? "Team" : "group");
    }
    rc = tally_init(&t, err);
    json_array_foreach (ids, i, idv) {
        const char *id = json_string_value(idv);
        bool changed = false;

        if (rc)
            break;
        json_decref(g);
        g = NULL;
        rc = dir_group_get(call->env->dir, call->tx, id, &g, err);
        if (rc == LCW_ENOTFOUND) {
            rc = pushf(t.failed, err, "group '%s' does not exist", id);
            continue;
        }
        if (rc)
            break;
        if (teams_only && !is_team(g)) {
            rc = pushf(t.failed, err, "group '%s' is not a Team", id);
            continue;
        }
        rc = is_add ? dir_member_add(call->env->dir, call->tx, jsonx_str(g, "id"), uid, &changed,
                                     err)
                    : dir_member_remove(call->env->dir, call->tx, jsonx_str(g, "id"), uid, &changed,
                                        err);
        if (rc == LCW_ENOTFOUND) /* the user vanished meanwhile: nothing else will work */
            break;
        if (!rc && changed)
            rc = push(t.done, group_name(g), err);
        else if (!rc)
            rc = push(t.noop, group_name(g), err);
        if (!rc && !changed)
            rc = pushf(t.noop_one, err, "%s '%s' (%s)", teams_only ? "Team" : "group",
                       group_name(g), jsonx_str(g, "id"));
    }
    if (rc == LCW_ENOTFOUND)
        rc = user_gone(r, uid);
    else if (!rc)
        rc = tally_report(
                &t, is_add ? (teams_only ? &add_t : &add_g) : (teams_only ? &rem_t : &rem_g), r);
    json_decref(g);
    json_decref(ids);
    tally_release(&t);
    return rc;
}

/* Remove the user from every group, or from every Team. */
static int all_groups(const struct task_call *call, struct task_report *r, bool teams_only,
                      struct lcw_error *err)
{
    const char *uid = subject_id(call, r);
    json_t *groups = NULL, *removed = NULL, *g;
    bool is_gone = false;
    size_t i;
    int rc;

    if (!uid)
        return 0;
    /* A membership implies a live user (deleting one removes its memberships), so the
     * user is looked up only to explain an empty list: one query less per leaver. */
    rc = dir_user_groups(call->env->dir, call->tx, uid, &groups, err);
    if (!rc && !json_array_size(groups))
        rc = check_user(call, uid, &is_gone, err);
    if (rc || is_gone) {
        json_decref(groups);
        return rc ? rc : user_gone(r, uid);
    }
    removed = json_array();
    if (!removed)
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
    json_array_foreach (groups, i, g) {
        bool changed = false;

        if (rc)
            break;
        if (teams_only && !is_team(g))
            continue;
        rc = dir_member_remove(call->env->dir, call->tx, jsonx_str(g, "id"), uid, &changed, err);
        if (!rc && changed)
            rc = push(removed, group_name(g), err);
    }
    if (rc == LCW_ENOTFOUND)
        rc = user_gone(r, uid);
    else if (!rc && !json_array_size(removed))
        report(r, TASK_COMPLETED, "User was not a member of any %s", teams_only ? "Team" : "group");
    else if (!rc) {
        report(r, TASK_COMPLETED, "Removed from %zu %s: ", json_array_size(removed),
               json_array_size(removed) == 1 ? (teams_only ? "Team" : "group")
                                             : (teams_only ? "Teams" : "groups"));
        append_names(r, removed);
    }
    json_decref(removed);
    json_decref(groups);
    return rc;
}

static int run_add_groups(const struct task_call *call, struct task_report *r,
                          struct lcw_error *err)
{
    return selected_groups(call, r, true, false, err);
}

static int run_remove_groups(const struct task_call *call, struct task_report *r,
                             struct lcw_error *err)
{
    return selected_groups(call, r, false, false, err);
}

static int run_remove_all_groups(const struct task_call *call, struct task_report *r,
                                 struct lcw_error *err)
{
    return all_groups(call, r, false, err);
}

static int run_add_teams(const struct task_call *call, struct task_report *r, struct lcw_error *err)
{
    return selected_groups(call, r, true, true, err);
}

static int run_remove_teams(const struct task_call *call, struct task_report *r,
                            struct lcw_error *err)
{
    return selected_groups(call, r, false, true, err);
}

static int run_remove_all_teams(const struct task_call *call, struct task_report *r,
                                struct lcw_error *err)
{
    return all_groups(call, r, true, err);
}

/* -------------------------------------------------------------- licences */

/*
 * Assign or remove the licences named by `licenses`, one at a time so that
 * the report can say, in the names the admin wrote, which changed; an
 * unknown or exhausted licence fails the task after the others were done.
 */
static int selected_licenses(const struct task_call *call, struct task_report *r, bool is_assign,
                             struct lcw_error *err)
{
    static const struct words assign = {"Assigned", "license", "licenses", "User already had"};
    static const struct words remove = {"Removed", "license", "licenses", "User did not have"};
    const char *uid = subject_id(call, r);
    struct tally t = {0};
    json_t *names = NULL, *changed = NULL, *nv;
    size_t i;
    int rc;

    if (!uid)
        return 0;
    rc = split_list(tasks_arg(call->task, "licenses"), &names, err);
    if (rc == LCW_EINVAL)
        return report(r, TASK_FAILED, "The 'licenses' argument names %s", err->msg);
    if (rc)
        return rc;
    if (!json_array_size(names)) {
        json_decref(names);
        return report(r, TASK_FAILED, "The 'licenses' argument names no license");
    }
    rc = tally_init(&t, err);
    json_array_foreach (names, i, nv) {
        const char *name = json_string_value(nv);

        if (rc)
            break;
        json_decref(changed);
        changed = NULL;
        rc = is_assign
                     ? dir_licenses_assign(call->env->dir, call->tx, uid, &name, 1, &changed, err)
                     : dir_licenses_remove(call->env->dir, call->tx, uid, &name, 1, &changed, err);
        if (rc == LCW_EINVAL) {
            rc = push(t.failed, err->msg, err);
            continue;
        }
        if (rc)
            break;
        if (json_array_size(changed))
            rc = push(t.done, name, err);
        else
            rc = push(t.noop, name, err);
        if (!rc && !json_array_size(changed))
            rc = pushf(t.noop_one, err, "license '%s'", name);
    }
    if (rc == LCW_ENOTFOUND || rc == LCW_ECONFLICT)
        rc = user_call_failed(rc, err, uid, r);
    else if (!rc)
        rc = tally_report(&t, is_assign ? &assign : &remove, r);
    json_decref(changed);
    json_decref(names);
    tally_release(&t);
    return rc;
}

static int run_assign_licenses(const struct task_call *call, struct task_report *r,
                               struct lcw_error *err)
{
    return selected_licenses(call, r, true, err);
}

static int run_remove_licenses(const struct task_call *call, struct task_report *r,
                               struct lcw_error *err)
{
    return selected_licenses(call, r, false, err);
}

static int run_remove_all_licenses(const struct task_call *call, struct task_report *r,
                                   struct lcw_error *err)
{
    const char *uid = subject_id(call, r);
    json_t *changed = NULL;
    int rc;

    if (!uid)
        return 0;
    rc = dir_licenses_remove(call->env->dir, call->tx, uid, NULL, 0, &changed, err);
    if (rc)
        return user_call_failed(rc, err, uid, r);
    if (!json_array_size(changed)) {
        report(r, TASK_COMPLETED, "User had no licenses");
    } else {
        report(r, TASK_COMPLETED, "Removed %zu license%s (skuId ", json_array_size(changed),
               json_array_size(changed) == 1 ? "" : "s");
        append_names(r, changed);
        msg_append(r, ")");
    }
    json_decref(changed);
    return 0;
}

/* ------------------------------------------------------------ attributes */

static int run_update_attributes(const struct task_call *call, struct task_report *r,
                                 struct lcw_error *err)
{
    const char *uid = subject_id(call, r);
    const char *text = tasks_arg(call->task, "attributes");
    json_t *attrs = NULL, *changed = NULL;
    json_error_t jerr;
    int rc;

    if (!uid)
        return 0;
    attrs = text ? json_loads(text, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!json_is_object(attrs) || !json_object_size(attrs)) {
        json_decref(attrs);
        return report(r, TASK_FAILED,
                      "The 'attributes' argument must be a JSON object of user attributes, such "
                      "as {\"department\":\"Sales\"}");
    }
    rc = dir_user_update(call->env->dir, call->tx, uid, attrs, &changed, err);
    if (rc) {
        json_decref(attrs);
        return user_call_failed(rc, err, uid, r);
    }
    if (json_array_size(changed)) {
        report(r, TASK_COMPLETED, "Updated %zu attribute%s: ", json_array_size(changed),
               json_array_size(changed) == 1 ? "" : "s");
        append_names(r, changed);
    } else {
        const char *k;
        json_t *v;
        bool is_first = true;

        report(r, TASK_COMPLETED, "User attributes already had the requested values (");
        json_object_foreach (attrs, k, v) {
            msg_append(r, "%s%s", is_first ? "" : ", ", k);
            is_first = false;
        }
        msg_append(r, ")");
    }
    json_decref(changed);
    json_decref(attrs);
    return 0;
}

/* -------------------------------------------------------- access packages */

static int run_access_package(const struct task_call *call, struct task_report *r,
                              struct lcw_error *err)
{
    (void)call;
    (void)err;
    return report(r, TASK_FAILED, AP_UNSUPPORTED);
}

static bool can_run_access_package(const struct task_env *env, const json_t *task, char *reason,
                                   size_t cap)
{
    (void)env;
    (void)task;
    if (reason && cap)
        lcw_strlcpy(reason, AP_UNSUPPORTED, cap);
    return false;
}

/* ------------------------------------------------------------- the table */

#define LOCAL(sym, id, fn) const struct task_executor sym = {id, false, fn, NULL}
#define UNSUPPORTED(sym, id) \
    const struct task_executor sym = {id, false, run_access_package, can_run_access_package}

LOCAL(task_exec_enable_account, "6fc52c9d-398b-4305-9763-15f42c1676fc", run_enable);
LOCAL(task_exec_disable_account, "1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950", run_disable);
LOCAL(task_exec_delete_account, "8d18588d-9ad3-4c0f-99d0-ec215f0e3dff", run_delete);
LOCAL(task_exec_add_to_groups, "22085229-5809-45e8-97fd-270d28d66910", run_add_groups);
LOCAL(task_exec_remove_from_groups, "1953a66c-751c-45e5-8bfe-01462c70da3c", run_remove_groups);
LOCAL(task_exec_remove_from_all_groups, "b3a31406-2a15-4c9a-b25b-a658fa5f07fc",
      run_remove_all_groups);
LOCAL(task_exec_add_to_teams, "e440ed8d-25a1-4618-84ce-091ed5be5594", run_add_teams);
LOCAL(task_exec_remove_from_teams, "06aa7acb-01af-4824-8899-b14e5ed788d6", run_remove_teams);
LOCAL(task_exec_remove_from_all_teams, "81f7b200-2816-4b3b-8c5d-dc556f07b024",
      run_remove_all_teams);
LOCAL(task_exec_assign_licenses, "683c87a4-2ad4-420b-97d4-220d90afcd24", run_assign_licenses);
LOCAL(task_exec_remove_licenses, "5fc402a8-daaf-4b7b-9203-da868b05fc5f", run_remove_licenses);
LOCAL(task_exec_remove_all_licenses, "8fa97d28-3e52-4985-b3a9-a1126f9b8b4e",
      run_remove_all_licenses);
LOCAL(task_exec_revoke_refresh_tokens, "509589a4-0466-4471-829e-49c5e502bdee", run_revoke);
LOCAL(task_exec_update_attributes, MODEL_TASKDEF_UPDATE_ATTRS, run_update_attributes);
UNSUPPORTED(task_exec_request_access_package, "c1ec1e76-f374-4375-aaa6-0bb6bd4c60be");
UNSUPPORTED(task_exec_remove_access_package, "4a0b64f2-c7ec-46ba-b117-18f262946c50");
UNSUPPORTED(task_exec_remove_all_access_packages, "42ae2956-193d-4f39-be06-691b8ac4fa1d");
UNSUPPORTED(task_exec_cancel_access_package_requests, "498770d9-bab7-4e4c-b73d-5ded82a1d0b3");
