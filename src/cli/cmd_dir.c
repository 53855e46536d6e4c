/* SPDX-License-Identifier: MIT */
/*
 * lcw's directory, audit, settings and login commands: users (list, show),
 * groups (list, show), audit list, settings (show, set) and login. The CSV
 * import of users lives in import.c. Single-threaded.
 */
#include "cli_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LW   "/v1.0/identityGovernance/lifecycleWorkflows"
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cli_col user_cols[] = {
        {"ID", "id"},
        {"NAME", "displayName"},
        {"USER PRINCIPAL NAME", "userPrincipalName"},
        {"DEPARTMENT", "department"},
        {"JOB TITLE", "jobTitle"},
        {"ENABLED", "accountEnabled"},
};

static const struct cli_col group_cols[] = {
        {"ID", "id"},
        {"NAME", "displayName"},
        {"DESCRIPTION", "description"},
        {"SECURITY", "securityEnabled"},
        {"MAIL", "mailEnabled"},
};

static bool is_terminal_format(const struct cli *c)
{
    return !c->o.want_json && !c->o.want_csv && !c->o.want_quiet;
}

static int list(struct cli *c, const char *path, const struct cli_col *cols, size_t n)
{
    json_t *items = NULL;
    int rc = cli__api_all(c, path, &items);

    if (!rc)
        rc = cli__print_list(c, items, cols, n);
    json_decref(items);
    return rc;
}

/* Attach `items` to `obj` as `key` for --json, or print them as a titled table. */
static int print_with_section(struct cli *c, json_t *obj, const struct cli_col *fields,
                              size_t n_fields, const char *key, const char *title, json_t *items,
                              const struct cli_col *cols, size_t n_cols)
{
    int rc;

    if (c->o.want_json) {
        if (json_object_set(obj, key, items))
            return cli__fail(c, CLI_EUSAGE, "out of memory");
        return cli__print_object(c, obj, fields, n_fields);
    }
    rc = cli__print_object(c, obj, fields, n_fields);
    if (rc || !is_terminal_format(c))
        return rc;
    (void)printf("\n%s:\n", title);
    return cli__print_table(c, items, cols, n_cols);
}

/* ------------------------------------------------------------------ users */

int cli__cmd_users_list(struct cli *c)
{
    return list(c, "/v1.0/users", user_cols, N(user_cols));
}

int cli__cmd_users_show(struct cli *c)
{
    static const struct cli_col fields[] = {
            {"ID", "id"},
            {"Name", "displayName"},
            {"User principal name", "userPrincipalName"},
            {"Mail", "mail"},
            {"Enabled", "accountEnabled"},
            {"Department", "department"},
            {"Job title", "jobTitle"},
            {"Employee id", "employeeId"},
            {"Hire date", "employeeHireDate"},
            {"Leave date", "employeeLeaveDateTime"},
            {"Manager", "manager/userPrincipalName"},
            {"Created", "createdDateTime"},
    };
    static const struct cli_col member_of_cols[] = {{"ID", "id"}, {"NAME", "displayName"}};
    char id[UUID_STR_LEN] = "", path[256];
    json_t *user = NULL, *groups = NULL;
    int rc = cli__user_id(c, c->args[0], id, NULL);

    (void)snprintf(path, sizeof(path), "/v1.0/users/%s?$expand=manager", id);
    if (!rc)
        rc = cli__api(c, "GET", path, NULL, &user, NULL);
    (void)snprintf(path, sizeof(path), "/v1.0/users/%s/memberOf", id);
    if (!rc)
        rc = cli__api_all(c, path, &groups);
    if (!rc)
        rc = print_with_section(c, user, fields, N(fields), "memberOf", "Groups", groups,
                                member_of_cols, N(member_of_cols));
    json_decref(user);
    json_decref(groups);
    return rc;
}

/* ----------------------------------------------------------------- groups */

int cli__cmd_groups_list(struct cli *c)
{
    return list(c, "/v1.0/groups", group_cols, N(group_cols));
}

/* A group id from an id or a displayName (exactly one group of that name). */
static int group_id(struct cli *c, const char *arg, char out[UUID_STR_LEN])
{
    struct buf path, lit;
    json_t *items = NULL;
    int rc;

    if (uuid_valid(arg, strlen(arg))) {
        lcw_strlcpy(out, arg, UUID_STR_LEN);
        return CLI_OK;
    }
    buf_init(&path, 8192);
    buf_init(&lit, 4096);
    rc = buf_puts(&path, "/v1.0/groups?$select=id,displayName") ||
                         buf_puts(&lit, "displayName eq ") || cli__odata_str(&lit, arg) ||
                         cli__query_add(&path, "$filter", buf_cstr(&lit))
                 ? cli__fail(c, CLI_EUSAGE, "group name too long")
                 : cli__api_all(c, buf_cstr(&path), &items);
    if (!rc && json_array_size(items) != 1)
        rc = cli__fail(c, CLI_EAPI, "%s group is named '%s'",
                       json_array_size(items) ? "more than one" : "no", arg);
    if (!rc)
        lcw_strlcpy(out, jsonx_str(json_array_get(items, 0), "id"), UUID_STR_LEN);
    json_decref(items);
    buf_release(&lit);
    buf_release(&path);
    return rc;
}

int cli__cmd_groups_show(struct cli *c)
{
    static const struct cli_col fields[] = {
            {"ID", "id"},
            {"Name", "displayName"},
            {"Description", "description"},
            {"Mail", "mail"},
            {"Security enabled", "securityEnabled"},
            {"Mail enabled", "mailEnabled"},
            {"Group types", "groupTypes"},
            {"Created", "createdDateTime"},
    };
    static const struct cli_col member_cols[] = {
            {"ID", "id"}, {"NAME", "displayName"}, {"USER PRINCIPAL NAME", "userPrincipalName"}};
    char id[UUID_STR_LEN] = "", path[256];
    json_t *group = NULL, *members = NULL;
    int rc = group_id(c, c->args[0], id);

    (void)snprintf(path, sizeof(path), "/v1.0/groups/%s", id);
    if (!rc)
        rc = cli__api(c, "GET", path, NULL, &group, NULL);
    (void)snprintf(path, sizeof(path), "/v1.0/groups/%s/members", id);
    if (!rc)
        rc = cli__api_all(c, path, &members);
    if (!rc)
        rc = print_with_section(c, group, fields, N(fields), "members", "Members", members,
                                member_cols, N(member_cols));
    json_decref(group);
    json_decref(members);
    return rc;
}

/* ------------------------------------------------------------------ audit */

int cli__cmd_audit_list(struct cli *c)
{
    static const struct cli_col cols[] = {
            {"ID", "id"},
            {"TIME", "activityDateTime"},
            {"CATEGORY", "category"},
            {"ACTIVITY", "activityDisplayName"},
            {"BY", "initiatedBy/user/displayName"},
            {"TARGET TYPE", "targetResources/0/type"},
            {"TARGET", "targetResources/0/displayName"},
    };
    char when[TIMEFMT_LEN];
    struct buf filter, path;
    json_t *items = NULL;
    int rc = cli__since(c, c->o.since ? c->o.since : "1d", when);

    buf_init(&filter, 8192);
    buf_init(&path, 16384);
    if (!rc) {
        bool is_bad = buf_printf(&filter, "activityDateTime ge %s", when) != 0;

        if (c->o.category)
            is_bad = is_bad || buf_puts(&filter, " and category eq ") ||
                     cli__odata_str(&filter, c->o.category);
        if (c->o.activity)
            is_bad = is_bad || buf_puts(&filter, " and activityDisplayName eq ") ||
                     cli__odata_str(&filter, c->o.activity);
        is_bad = is_bad || buf_puts(&path, "/v1.0/auditLogs/directoryAudits") ||
                 cli__query_add(&path, "$filter", buf_cstr(&filter));
        rc = is_bad ? cli__fail(c, CLI_EUSAGE, "filter too long")
                    : cli__api_all(c, buf_cstr(&path), &items);
    }
    if (!rc)
        rc = cli__print_list(c, items, cols, N(cols));
    json_decref(items);
    buf_release(&path);
    buf_release(&filter);
    return rc;
}

/* --------------------------------------------------------------- settings */

static const struct cli_col settings_fields[] = {
        {"workflowScheduleIntervalInHours", "workflowScheduleIntervalInHours"},
        {"emailSettings.senderDomain", "emailSettings/senderDomain"},
        {"emailSettings.useCompanyBranding", "emailSettings/useCompanyBranding"},
        {"quarantineConfiguration", "quarantineConfiguration"},
        {"historyRetentionInDays", "historyRetentionInDays"},
};

int cli__cmd_settings_show(struct cli *c)
{
    json_t *s = NULL;
    int rc = cli__api(c, "GET", LW "/settings", NULL, &s, NULL);

    if (!rc)
        rc = cli__print_object(c, s, settings_fields, N(settings_fields));
    json_decref(s);
    return rc;
}

/* Set body[a][b]... = value for the dotted `key`; `value` is taken. */
static int set_dotted(json_t *body, const char *key, json_t *value)
{
    char part[128];
    json_t *obj = body;
    const char *dot;

    while ((dot = strchr(key, '.')) != NULL) {
        size_t n = (size_t)(dot - key);
        json_t *next;

        if (n == 0 || n >= sizeof(part))
            break;
        memcpy(part, key, n);
        part[n] = '\0';
        next = json_object_get(obj, part);
        if (!json_is_object(next)) {
            next = json_object();
            if (json_object_set_new(obj, part, next)) {
                json_decref(value);
                return LCW_ENOMEM;
            }
        }
        obj = next;
        key = dot + 1;
    }
    if (!*key || strchr(key, '.')) {
        json_decref(value);
        return LCW_EINVAL;
    }
    return json_object_set_new(obj, key, value) ? LCW_ENOMEM : 0;
}

int cli__cmd_settings_set(struct cli *c)
{
    json_t *body = json_object(), *s = NULL;
    int rc = body ? CLI_OK : cli__fail(c, CLI_EUSAGE, "out of memory");

    for (size_t i = 0; i < c->n_args && !rc; i++) {
        const char *eq = strchr(c->args[i], '=');
        char key[256];
        json_t *value;

        if (!eq || eq == c->args[i] || (size_t)(eq - c->args[i]) >= sizeof(key)) {
            rc = cli__fail(c, CLI_EUSAGE, "'%s' is not KEY=VALUE", c->args[i]);
            break;
        }
        memcpy(key, c->args[i], (size_t)(eq - c->args[i]));
        key[eq - c->args[i]] = '\0';
        /* JSON when it parses (numbers, true, null, objects), else the text as a string. */
        value = json_loads(eq + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        if (!value)
            value = json_string(eq + 1);
        if (!value || set_dotted(body, key, value))
            rc = cli__fail(c, CLI_EUSAGE, "'%s': a KEY is a name or dotted names", c->args[i]);
    }
    if (!rc)
        rc = cli__api(c, "PATCH", LW "/settings", body, NULL, NULL);
    if (!rc)
        rc = cli__api(c, "GET", LW "/settings", NULL, &s, NULL);
    if (!rc)
        rc = cli__print_object(c, s, settings_fields, N(settings_fields));
    json_decref(s);
    json_decref(body);
    return rc;
}

/* ------------------------------------------------------------------ login */

int cli__cmd_login(struct cli *c)
{
    char cfg_path[4096], cacert_abs[PATH_MAX];
    json_t *me = NULL;
    int rc;

    if (!c->o.url || !c->o.token)
        return cli__fail(c, CLI_EUSAGE,
                         "usage: lcw login --url URL --token TOKEN [--cacert FILE] "
                         "[--insecure]");
    if (c->o.cacert && !realpath(c->o.cacert, cacert_abs))
        return cli__fail(c, CLI_EUSAGE, "--cacert: cannot find %s", c->o.cacert);
    rc = cli__connect(c);
    if (!rc)
        rc = cli__api(c, "GET", "/v1.0/lcw/whoami", NULL, &me, NULL);
    if (!rc)
        rc = cli__config_write(c->base_url, c->token, c->o.cacert ? cacert_abs : NULL,
                               c->is_insecure);
    if (!rc && cli__config_path(cfg_path, sizeof(cfg_path)) == CLI_OK)
        (void)fprintf(stderr, "Logged in to %s as %s (%s); saved in %s\n", c->base_url,
                      jsonx_str(me, "name") ? jsonx_str(me, "name") : "?",
                      jsonx_str(me, "role") ? jsonx_str(me, "role") : "?", cfg_path);
    json_decref(me);
    return rc;
}
