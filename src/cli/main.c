/* SPDX-License-Identifier: MIT */
/*
 * lcw's entry point: the command table, option parsing (options may come
 * before or after the command words; `--name=value` and `--` work), help
 * for every command, bash completion generated from the same table, and
 * the small helpers every command shares (time windows, resolving workflow
 * and user arguments). Single-threaded.
 */
#include "cli_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct opt_def {
    const char *name;
    char short_name;
    const char *arg; /* NULL for a flag */
    const char *help;
};

static const struct opt_def opt_defs[OPT_COUNT_] = {
        [OPT_URL] = {"url", 0, "URL", "server URL (else $LCW_URL, else the config file)"},
        [OPT_TOKEN] = {"token", 0, "TOKEN", "bearer token (else $LCW_TOKEN, else the config file)"},
        [OPT_INSECURE] = {"insecure", 'k', NULL, "do not verify the server's TLS certificate"},
        [OPT_CACERT] = {"cacert", 0, "FILE", "trust the CA certificates in FILE (PEM)"},
        [OPT_TIMEOUT] = {"timeout", 0, "SECONDS", "per-request timeout (default 60)"},
        [OPT_HELP] = {"help", 'h', NULL, "show help for the command"},
        [OPT_JSON] = {"json", 0, NULL, "print the API's objects as one JSON document"},
        [OPT_CSV] = {"csv", 0, NULL, "print CSV (RFC 4180) with a header row"},
        [OPT_QUIET] = {"quiet", 'q', NULL, "print ids only, one per line"},
        [OPT_NO_PROGRESS] = {"no-progress", 0, NULL, "no progress bar on the terminal"},
        [OPT_FILE] = {"file", 'f', "FILE", "read the JSON body from FILE ('-' for stdin)"},
        [OPT_TEMPLATE] = {"template", 0, "ID", "create from this workflow template"},
        [OPT_NAME] = {"name", 0, "NAME", "displayName of the new workflow"},
        [OPT_USER] = {"user", 'u', "UPN_OR_ID", "a user (repeat for several)"},
        [OPT_STATUS] = {"status", 0, "S[,S...]",
                        "processingStatus: queued, inProgress, completed, completedWithErrors, "
                        "canceled, failed"},
        [OPT_SINCE] = {"since", 0, "WHEN", "a duration back from now (30m, 12h, 7d, 2w) or a date"},
        [OPT_RUN] = {"run", 0, "RUN", "only results of this run"},
        [OPT_FAILED_USERS] = {"failed-users", 0, NULL,
                              "only users that failed or completed with errors"},
        [OPT_FAILED_TASKS] = {"failed-tasks", 0, NULL,
                              "only the tasks that failed or did not run (default: all tasks)"},
        [OPT_PLAN] = {"plan", 0, NULL, "print what would run and change nothing"},
        [OPT_WAIT] = {"wait", 'w', NULL, "follow the new run until it ends"},
        [OPT_CATEGORY] = {"category", 0, "CATEGORY", "audit category (WorkflowManagement, ...)"},
        [OPT_ACTIVITY] = {"activity", 0, "ACTIVITY", "audit activity ('Create workflow', ...)"},
};

static int cmd_help(struct cli *c);
static int cmd_completion(struct cli *c);
static int cmd_version(struct cli *c);

#define L     OPTS_LIST
#define RPOPT (OPTB(OPT_FAILED_TASKS) | OPTB(OPT_PLAN) | OPTB(OPT_WAIT) | OPTB(OPT_NO_PROGRESS) | L)

const struct cli_cmd cli__cmds[] = {
        {"workflows", "list", "", "List workflows",
         "Columns: id, displayName, category, isEnabled, isSchedulingEnabled, version.\n\n"
         "Examples:\n  lcw workflows list\n  lcw workflows list --json | jq '.[].displayName'\n"
         "  lcw workflows list -q",
         L, 0, 0, true, cli__cmd_workflows_list},
        {"workflows", "show", "WORKFLOW", "Show a workflow and its tasks",
         "WORKFLOW is an id or a displayName.\n\nExamples:\n"
         "  lcw workflows show 'Onboard new hire employee'\n"
         "  lcw workflows show 0af99e94-5d87-4a6a-9a4a-9b5e3e254d36 --json",
         L, 1, 1, true, cli__cmd_workflows_show},
        {"workflows", "create", "", "Create a workflow from a JSON file or a template",
         "Either -f FILE (a Graph workflow body) or --template ID --name NAME: the template's\n"
         "category, conditions and tasks are copied into a new workflow called NAME.\n\n"
         "Examples:\n  lcw workflows create -f onboarding.json\n"
         "  lcw workflows create --template e821c59e-d28c-44d7-902f-5fed05e926f1 --name 'Offboard "
         "Sales'",
         L | OPTB(OPT_FILE) | OPTB(OPT_TEMPLATE) | OPTB(OPT_NAME), 0, 0, true,
         cli__cmd_workflows_create},
        {"workflows", "enable", "WORKFLOW", "Enable a workflow (isEnabled = true)",
         "Example:\n  lcw workflows enable 'Offboard Sales'", 0, 1, 1, true,
         cli__cmd_workflows_enable},
        {"workflows", "disable", "WORKFLOW", "Disable a workflow (isEnabled = false)",
         "Example:\n  lcw workflows disable 'Offboard Sales'", 0, 1, 1, true,
         cli__cmd_workflows_disable},
        {"workflows", "delete", "WORKFLOW", "Delete a workflow (restorable for 30 days)",
         "Example:\n  lcw workflows delete 'Offboard Sales'", 0, 1, 1, true,
         cli__cmd_workflows_delete},
        {"workflows", "restore", "WORKFLOW", "Restore a deleted workflow",
         "WORKFLOW is the id or the displayName of a deleted workflow.\n\n"
         "Example:\n  lcw workflows restore 'Offboard Sales'",
         L, 1, 1, true, cli__cmd_workflows_restore},
        {"workflows", "versions", "WORKFLOW", "List a workflow's versions",
         "Example:\n  lcw workflows versions 'Offboard Sales'", L, 1, 1, true,
         cli__cmd_workflows_versions},
        {"workflows", "new-version", "WORKFLOW", "Create a new version from a JSON file",
         "FILE holds the new workflow state: either {\"workflow\": {...}} (Graph's\n"
         "createNewVersion body) or the workflow object itself.\n\n"
         "Example:\n  lcw workflows new-version 'Offboard Sales' -f offboard-v2.json",
         L | OPTB(OPT_FILE), 1, 1, true, cli__cmd_workflows_new_version},
        {"workflows", "tasks", "WORKFLOW", "List a workflow's tasks",
         "Example:\n  lcw workflows tasks 'Offboard Sales'", L, 1, 1, true,
         cli__cmd_workflows_tasks},
        {"task-definitions", "list", "", "List the built-in task definitions",
         "Example:\n  lcw task-definitions list", L, 0, 0, true, cli__cmd_task_definitions_list},
        {"templates", "list", "", "List workflow templates", "Example:\n  lcw templates list", L, 0,
         0, true, cli__cmd_templates_list},
        {"templates", "show", "ID", "Show a workflow template and its tasks",
         "Example:\n  lcw templates show e821c59e-d28c-44d7-902f-5fed05e926f1", L, 1, 1, true,
         cli__cmd_templates_show},
        {"run", NULL, "WORKFLOW", "Run a workflow now for some users (on demand)",
         "Users are given by userPrincipalName or id with --user, once per user (at most\n"
         "10 by default). Prints the new run; with --wait, follows it to the end.\n\n"
         "Examples:\n  lcw run 'Onboard new hire employee' --user kai.tanaka@contoso.example\n"
         "  lcw run 'Offboard Sales' -u a@contoso.example -u b@contoso.example --wait",
         L | OPTB(OPT_USER) | OPTB(OPT_WAIT) | OPTB(OPT_NO_PROGRESS), 1, 1, true, cli__cmd_run},
        {"runs", "list", "WORKFLOW", "List a workflow's runs, newest first",
         "--status filters on processingStatus (comma-separated for several); --since on\n"
         "scheduledDateTime.\n\nExamples:\n  lcw runs list 'Offboard Sales' --status failed --since 7d\n"
         "  lcw runs list 'Offboard Sales' --csv > runs.csv",
         L | OPTB(OPT_STATUS) | OPTB(OPT_SINCE), 1, 1, true, cli__cmd_runs_list},
        {"runs", "show", "WORKFLOW RUN", "Show a run and its counters",
         "Example:\n  lcw runs show 'Offboard Sales' 01a21aed-6fb3-7343-aa25-498382d6a849", L, 2, 2,
         true, cli__cmd_runs_show},
        {"runs", "summary", "WORKFLOW", "Summarise a workflow's runs over a window",
         "The window is --since (default 30d) until now.\n\n"
         "Example:\n  lcw runs summary 'Offboard Sales' --since 30d",
         L | OPTB(OPT_SINCE), 1, 1, true, cli__cmd_runs_summary},
        {"runs", "cancel", "WORKFLOW RUN", "Cancel a queued or running run",
         "Example:\n  lcw runs cancel 'Offboard Sales' 01a21aed-6fb3-7343-aa25-498382d6a849", 0, 2,
         2, true, cli__cmd_runs_cancel},
        {"results", "list", "WORKFLOW", "List user processing results",
         "--run restricts to one run, --status filters on processingStatus, --since on\n"
         "scheduledDateTime.\n\nExamples:\n"
         "  lcw results list 'Offboard Sales' --status failed --since 7d\n"
         "  lcw results list 'Offboard Sales' --run 01a21aed-6fb3-7343-aa25-498382d6a849 -q",
         L | OPTB(OPT_RUN) | OPTB(OPT_STATUS) | OPTB(OPT_SINCE), 1, 1, true, cli__cmd_results_list},
        {"results", "show", "WORKFLOW RESULT",
         "Show a user processing result with its task results and failure reasons",
         "Example:\n  lcw results show 'Offboard Sales' 01a21aed-6fb3-7a08-b9a0-54c08ec9bde2", L, 2,
         2, true, cli__cmd_results_show},
        {"reprocess", "run", "WORKFLOW RUN", "Reprocess a past run",
         "--failed-users: only users that failed or completed with errors (default: all\n"
         "users). --failed-tasks: per user, only the tasks that failed or never ran.\n"
         "--plan prints what would run and changes nothing. --wait follows the new run and\n"
         "exits 4 if it ends failed, completedWithErrors or canceled.\n\nExamples:\n"
         "  lcw reprocess run 'Offboard Sales' RUN --failed-users --failed-tasks --plan\n"
         "  lcw reprocess run 'Offboard Sales' RUN --failed-users --wait",
         RPOPT | OPTB(OPT_FAILED_USERS), 2, 2, true, cli__cmd_reprocess_run},
        {"reprocess", "users", "WORKFLOW RESULT...", "Reprocess selected user processing results",
         "RESULT is a user processing result id (lcw results list -q); at most 10 by\n"
         "default.\n\nExample:\n  lcw reprocess users 'Offboard Sales' RESULT1 RESULT2 "
         "--failed-tasks --wait",
         RPOPT, 2, -1, true, cli__cmd_reprocess_users},
        {"reprocess", "failed", "WORKFLOW", "Reprocess every failed user since a time",
         "Every user processing result of the workflow that ended failed or\n"
         "completedWithErrors and completed since --since (required), in one run\n"
         "(lcw's query scope, without the 10-user limit).\n\nExamples:\n"
         "  lcw reprocess failed 'Offboard Sales' --since 7d --plan\n"
         "  lcw reprocess failed 'Offboard Sales' --since 7d --failed-tasks --wait",
         RPOPT | OPTB(OPT_SINCE), 1, 1, true, cli__cmd_reprocess_failed},
        {"export", NULL, "WORKFLOW results|runs|tasks", "Export history as CSV, without a row cap",
         "results: user processing results; runs: runs; tasks: the task processing results\n"
         "of every run in the window. --since (default 30d) filters on scheduledDateTime.\n\n"
         "Example:\n  lcw export 'Offboard Sales' results --since 30d > results.csv",
         OPTB(OPT_SINCE), 2, 2, true, cli__cmd_export},
        {"users", "list", "", "List directory users", "Example:\n  lcw users list --csv", L, 0, 0,
         true, cli__cmd_users_list},
        {"users", "show", "USER", "Show a user (by userPrincipalName or id) with its manager",
         "Example:\n  lcw users show kai.tanaka@contoso.example", L, 1, 1, true,
         cli__cmd_users_show},
        {"users", "import", "FILE.csv", "Create or update users from a CSV file",
         "The first row names the columns: userPrincipalName (required; rows are matched on\n"
         "it), any user property (displayName, department, employeeHireDate, accountEnabled,\n"
         "employeeOrgData/costCenter, ...), 'manager' (the manager's userPrincipalName) and\n"
         "'groups' (group displayNames or ids separated by ';'). Empty cells leave a property\n"
         "as it is; group memberships are only added. A bad row is reported with its line\n"
         "number and never stops the others; the exit status is 4 when a row failed.\n\n"
         "Example:\n  lcw users import new-hires.csv\n\n"
         "  userPrincipalName,displayName,department,manager,groups\n"
         "  kai@contoso.example,Kai Tanaka,Sales,alex@contoso.example,Sales;All staff",
         L | OPTB(OPT_NO_PROGRESS), 1, 1, true, cli__cmd_users_import},
        {"groups", "list", "", "List directory groups", "Example:\n  lcw groups list", L, 0, 0,
         true, cli__cmd_groups_list},
        {"groups", "show", "GROUP", "Show a group (by id or displayName) and its members",
         "Example:\n  lcw groups show Sales", L, 1, 1, true, cli__cmd_groups_show},
        {"audit", "list", "", "List audit events, newest first",
         "--since defaults to 1d.\n\nExamples:\n  lcw audit list --since 1d\n"
         "  lcw audit list --category WorkflowManagement --activity 'Delete workflow' --json",
         L | OPTB(OPT_SINCE) | OPTB(OPT_CATEGORY) | OPTB(OPT_ACTIVITY), 0, 0, true,
         cli__cmd_audit_list},
        {"settings", "show", "", "Show the tenant's lifecycle workflow settings",
         "Example:\n  lcw settings show", L, 0, 0, true, cli__cmd_settings_show},
        {"settings", "set", "KEY=VALUE...", "Change settings",
         "VALUE is read as JSON when it parses (6, true, null, {...}), else as a string;\n"
         "a dotted KEY sets a member (emailSettings.senderDomain).\n\nExamples:\n"
         "  lcw settings set workflowScheduleIntervalInHours=6\n"
         "  lcw settings set emailSettings.senderDomain=contoso.example historyRetentionInDays=180",
         L, 1, -1, true, cli__cmd_settings_set},
        {"login", NULL, "", "Check a server and token and save them in the config file",
         "Writes $XDG_CONFIG_HOME/lcw/config (mode 0600) after checking the token.\n\n"
         "Example:\n  lcw login --url https://lcw.example.com --token \"$TOKEN\"",
         0, 0, 0, false, cli__cmd_login},
        {"completion", NULL, "bash", "Print the bash completion script",
         "Example:\n  source <(lcw completion bash)", 0, 1, 1, false, cmd_completion},
        {"help", NULL, "[COMMAND...]", "Show help", "Example:\n  lcw help reprocess run", 0, 0, 2,
         false, cmd_help},
        {"version", NULL, "", "Print lcw's version", NULL, 0, 0, 0, false, cmd_version},
};

const size_t cli__n_cmds = sizeof(cli__cmds) / sizeof(cli__cmds[0]);

/* ---------------------------------------------------------------- helpers */

int cli__fail(struct cli *c, int code, const char *fmt, ...)
{
    va_list ap;

    if (c)
        cli__progress_end(c);
    (void)fputs("lcw: ", stderr);
    va_start(ap, fmt);
    (void)vfprintf(stderr, fmt, ap);
    va_end(ap);
    (void)fputc('\n', stderr);
    return code;
}

int cli__since(struct cli *c, const char *spec, char out[TIMEFMT_LEN])
{
    size_t n = strlen(spec);
    int64_t ms, count;

    if (n >= 2 && strchr("smhdw", spec[n - 1]) && str_to_i64(spec, n - 1, &count) == 0 &&
        count >= 0 && count <= 100L * 366 * 24 * 3600) {
        static const int64_t unit_s[] = {['s' - 'a'] = 1,
                                         ['m' - 'a'] = 60,
                                         ['h' - 'a'] = 3600,
                                         ['d' - 'a'] = 86400,
                                         ['w' - 'a'] = 604800};

        ms = lcw_clock_now(lcw_clock_system()) - count * unit_s[spec[n - 1] - 'a'] * 1000;
    } else if (timefmt_parse(spec, n, &ms) != 0) {
        return cli__fail(c, CLI_EUSAGE,
                         "--since: '%s' is neither a duration (30m, 12h, 7d, 2w) nor an RFC 3339 "
                         "time or date",
                         spec);
    }
    ms -= ms % 1000;
    timefmt_format(ms, out);
    return CLI_OK;
}

bool cli__is_status(const char *s)
{
    static const char *const names[] = {
            "queued", "inProgress", "completed", "completedWithErrors", "canceled", "failed"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i]) == 0)
            return true;
    }
    return false;
}

static void lower_id(const char *in, char out[UUID_STR_LEN])
{
    for (size_t i = 0; i < UUID_STR_LEN; i++)
        out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] - 'A' + 'a') : in[i];
}

int cli__workflow_id(struct cli *c, const char *arg, bool is_deleted, char out[UUID_STR_LEN])
{
    struct buf path;
    json_t *items = NULL;
    int rc;

    if (uuid_valid(arg, strlen(arg))) {
        lower_id(arg, out);
        return CLI_OK;
    }
    buf_init(&path, 8192);
    rc = buf_puts(&path,
                  is_deleted ? "/v1.0/identityGovernance/lifecycleWorkflows/deletedItems/workflows"
                             : "/v1.0/identityGovernance/lifecycleWorkflows/workflows");
    if (!rc)
        rc = buf_puts(&path, "?$select=id,displayName&$filter=displayName%20eq%20");
    if (!rc) {
        struct buf lit;

        buf_init(&lit, 4096);
        rc = cli__odata_str(&lit, arg);
        if (!rc)
            rc = cli__urlenc(&path, buf_cstr(&lit));
        buf_release(&lit);
    }
    if (rc) {
        rc = cli__fail(c, CLI_EUSAGE, "workflow name too long");
        goto out;
    }
    rc = cli__api_all(c, buf_cstr(&path), &items);
    if (rc)
        goto out;
    if (json_array_size(items) != 1) {
        rc = cli__fail(c, CLI_EAPI, "%s workflow is named '%s'%s",
                       json_array_size(items) ? "more than one" : "no", arg,
                       is_deleted ? " among the deleted workflows" : "; give its id");
        goto out;
    }
    lcw_strlcpy(out, jsonx_str(json_array_get(items, 0), "id"), UUID_STR_LEN);
out:
    json_decref(items);
    buf_release(&path);
    return rc;
}

int cli__user_id(struct cli *c, const char *arg, char out[UUID_STR_LEN], struct cli_apierr *e)
{
    struct buf path;
    json_t *user = NULL;
    int rc;

    if (uuid_valid(arg, strlen(arg))) {
        lower_id(arg, out);
        return CLI_OK;
    }
    /* /users/{userPrincipalName} matches ignoring case, as UPNs are unique ignoring case. */
    buf_init(&path, 8192);
    if (buf_puts(&path, "/v1.0/users/") || cli__urlenc(&path, arg) ||
        buf_puts(&path, "?$select=id")) {
        buf_release(&path);
        return cli__fail(c, CLI_EUSAGE, "user name too long");
    }
    rc = cli__api(c, "GET", buf_cstr(&path), NULL, &user, e);
    if (!rc && !jsonx_str(user, "id"))
        rc = cli__fail(c, CLI_EAPI, "the server's user has no id");
    if (!rc)
        lcw_strlcpy(out, jsonx_str(user, "id"), UUID_STR_LEN);
    json_decref(user);
    buf_release(&path);
    return rc;
}

/* ------------------------------------------------------------------ help */

static void print_usage_line(FILE *fp, const struct cli_cmd *cmd)
{
    (void)fprintf(fp, "lcw %s%s%s%s%s", cmd->group, cmd->verb ? " " : "",
                  cmd->verb ? cmd->verb : "", cmd->args[0] ? " " : "", cmd->args);
}

static void print_options(FILE *fp, unsigned mask)
{
    for (int i = 0; i < OPT_COUNT_; i++) {
        char left[64];

        if (!(mask & OPTB(i)))
            continue;
        (void)snprintf(left, sizeof(left), "%s%c%s--%s%s%s", opt_defs[i].short_name ? "-" : "",
                       opt_defs[i].short_name ? opt_defs[i].short_name : ' ',
                       opt_defs[i].short_name ? ", " : "  ", opt_defs[i].name,
                       opt_defs[i].arg ? " " : "", opt_defs[i].arg ? opt_defs[i].arg : "");
        (void)fprintf(fp, "  %-26s %s\n", opt_defs[i].short_name ? left : left + 1,
                      opt_defs[i].help);
    }
}

static void help_command(const struct cli_cmd *cmd)
{
    (void)printf("%s\n\nUsage: ", cmd->summary);
    print_usage_line(stdout, cmd);
    (void)printf(" [options]\n\n");
    if (cmd->help)
        (void)printf("%s\n\n", cmd->help);
    if (cmd->opts) {
        (void)printf("Options:\n");
        print_options(stdout, cmd->opts);
        (void)printf("\n");
    }
    if (cmd->needs_server) {
        (void)printf("Connection options:\n");
        print_options(stdout, OPTS_GLOBAL & ~OPTB(OPT_HELP));
        (void)printf("\n");
    }
    (void)printf("Exit status: 0 success, 1 usage error, 2 the API refused, 3 connection or\n"
                 "authentication problem, 4 the work ran but failed. See lcw(1).\n");
}

static void help_overview(const char *group)
{
    const char *last = NULL;

    if (!group)
        (void)printf("lcw - the command-line client of lcwd, the Lifecycle Workflows engine\n\n"
                     "Usage: lcw COMMAND [ARGS] [options]\n\nCommands:\n");
    else
        (void)printf("Usage: lcw %s COMMAND [ARGS] [options]\n\nCommands:\n", group);
    for (size_t i = 0; i < cli__n_cmds; i++) {
        char left[80];

        if (group && strcmp(group, cli__cmds[i].group) != 0)
            continue;
        if (!group && last && strcmp(last, cli__cmds[i].group) != 0 && cli__cmds[i].verb)
            (void)printf("\n");
        last = cli__cmds[i].group;
        (void)snprintf(left, sizeof(left), "%s%s%s %s", cli__cmds[i].group,
                       cli__cmds[i].verb ? " " : "", cli__cmds[i].verb ? cli__cmds[i].verb : "",
                       cli__cmds[i].args);
        (void)printf("  %-42s %s\n", left, cli__cmds[i].summary);
    }
    (void)printf("\nOutput options (on commands that print lists or objects):\n");
    print_options(stdout, OPTS_LIST);
    (void)printf("\nConnection options (every command):\n");
    print_options(stdout, OPTS_GLOBAL & ~OPTB(OPT_HELP));
    (void)printf("\nRun 'lcw COMMAND --help' for a command's options and examples; man lcw for "
                 "more.\n");
}

static const struct cli_cmd *find_cmd(const char *group, const char *verb, bool *is_group)
{
    *is_group = false;
    for (size_t i = 0; i < cli__n_cmds; i++) {
        if (strcmp(cli__cmds[i].group, group) != 0)
            continue;
        *is_group = true;
        if (!cli__cmds[i].verb || (verb && strcmp(cli__cmds[i].verb, verb) == 0))
            return &cli__cmds[i];
    }
    return NULL;
}

static int cmd_help(struct cli *c)
{
    const struct cli_cmd *cmd;
    bool is_group;

    if (c->n_args == 0) {
        help_overview(NULL);
        return CLI_OK;
    }
    cmd = find_cmd(c->args[0], c->n_args > 1 ? c->args[1] : NULL, &is_group);
    if (cmd && (cmd->verb || c->n_args == 1)) {
        help_command(cmd);
        return CLI_OK;
    }
    if (is_group && c->n_args == 1) {
        help_overview(c->args[0]);
        return CLI_OK;
    }
    return cli__fail(c, CLI_EUSAGE, "no such command '%s%s%s'; see 'lcw help'", c->args[0],
                     c->n_args > 1 ? " " : "", c->n_args > 1 ? c->args[1] : "");
}

static int cmd_version(struct cli *c)
{
    (void)c;
    (void)printf("lcw %s (libcurl %s)\n", LCW_VERSION, curl_version_info(CURLVERSION_NOW)->version);
    return CLI_OK;
}

/* The bash completion script, generated from the command and option tables. */
static int cmd_completion(struct cli *c)
{
    const char *last = NULL;

    if (strcmp(c->args[0], "bash") != 0)
        return cli__fail(c, CLI_EUSAGE, "only 'bash' completion is available");
    (void)printf("# bash completion for lcw (generated by 'lcw completion bash')\n"
                 "_lcw()\n{\n    local cur prev words cword\n"
                 "    _init_completion 2>/dev/null || {\n"
                 "        cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}\n"
                 "        words=(\"${COMP_WORDS[@]}\"); cword=$COMP_CWORD\n    }\n"
                 "    case $prev in\n"
                 "        -f|--file|--cacert) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
                 "        --status) COMPREPLY=($(compgen -W 'queued inProgress completed "
                 "completedWithErrors canceled failed' -- \"$cur\")); return ;;\n"
                 "        --url|--token|--timeout|--template|--name|-u|--user|--since|--run|"
                 "--category|--activity) return ;;\n"
                 "    esac\n"
                 "    local i cmd='' sub='' n=0\n"
                 "    for ((i = 1; i < cword; i++)); do\n"
                 "        case ${words[i]} in\n"
                 "            --url|--token|--timeout|--template|--name|-u|--user|--since|--run|"
                 "--category|--activity|-f|--file|--cacert|--status) ((i++)) ;;\n"
                 "            -*) ;;\n"
                 "            *) if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $sub ]]; "
                 "then sub=${words[i]}; fi; ((n++)) ;;\n"
                 "        esac\n    done\n"
                 "    if [[ $cur == -* ]]; then\n"
                 "        COMPREPLY=($(compgen -W '");
    for (int i = 0; i < OPT_COUNT_; i++)
        (void)printf("--%s ", opt_defs[i].name);
    (void)printf("' -- \"$cur\"))\n        return\n    fi\n"
                 "    if [[ -z $cmd ]]; then\n        COMPREPLY=($(compgen -W '");
    for (size_t i = 0; i < cli__n_cmds; i++) {
        if (!last || strcmp(last, cli__cmds[i].group) != 0)
            (void)printf("%s ", cli__cmds[i].group);
        last = cli__cmds[i].group;
    }
    (void)printf("' -- \"$cur\"))\n        return\n    fi\n    if [[ $n -eq 1 ]]; then\n"
                 "        case $cmd in\n");
    last = NULL;
    for (size_t i = 0; i < cli__n_cmds; i++) {
        if (!cli__cmds[i].verb)
            continue;
        if (!last || strcmp(last, cli__cmds[i].group) != 0)
            (void)printf("%s            %s) COMPREPLY=($(compgen -W '",
                         last ? "' -- \"$cur\")) ;;\n" : "", cli__cmds[i].group);
        (void)printf("%s ", cli__cmds[i].verb);
        last = cli__cmds[i].group;
    }
    (void)printf("' -- \"$cur\")) ;;\n"
                 "            help) COMPREPLY=($(compgen -W '");
    last = NULL;
    for (size_t i = 0; i < cli__n_cmds; i++) {
        if (!last || strcmp(last, cli__cmds[i].group) != 0)
            (void)printf("%s ", cli__cmds[i].group);
        last = cli__cmds[i].group;
    }
    (void)printf("' -- \"$cur\")) ;;\n"
                 "            completion) COMPREPLY=($(compgen -W 'bash' -- \"$cur\")) ;;\n"
                 "            users) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
                 "        esac\n"
                 "    elif [[ $cmd == export && $n -eq 2 ]]; then\n"
                 "        COMPREPLY=($(compgen -W 'results runs tasks' -- \"$cur\"))\n"
                 "    elif [[ $cmd == users && $sub == import ]]; then\n"
                 "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
                 "    fi\n}\ncomplete -F _lcw lcw\n");
    return CLI_OK;
}

/* ---------------------------------------------------------------- parsing */

static int find_opt(const char *arg, size_t len, bool is_long)
{
    for (int i = 0; i < OPT_COUNT_; i++) {
        if (is_long && strlen(opt_defs[i].name) == len && strncmp(opt_defs[i].name, arg, len) == 0)
            return i;
        if (!is_long && len == 1 && opt_defs[i].short_name == arg[0])
            return i;
    }
    return -1;
}

static int set_opt(struct cli *c, int id, const char *value)
{
    struct cli_opts *o = &c->o;
    int64_t n;

    switch ((enum cli_opt)id) {
    case OPT_URL:
        o->url = value;
        break;
    case OPT_TOKEN:
        o->token = value;
        break;
    case OPT_INSECURE:
        o->is_insecure = true;
        break;
    case OPT_CACERT:
        o->cacert = value;
        break;
    case OPT_TIMEOUT:
        if (str_to_i64(value, strlen(value), &n) || n < 1 || n > 86400)
            return cli__fail(c, CLI_EUSAGE, "--timeout: a number of seconds from 1 to 86400");
        o->timeout_s = (long)n;
        break;
    case OPT_HELP:
        o->want_help = true;
        break;
    case OPT_JSON:
        o->want_json = true;
        break;
    case OPT_CSV:
        o->want_csv = true;
        break;
    case OPT_QUIET:
        o->want_quiet = true;
        break;
    case OPT_NO_PROGRESS:
        o->no_progress = true;
        break;
    case OPT_FILE:
        o->file = value;
        break;
    case OPT_TEMPLATE:
        o->template_id = value;
        break;
    case OPT_NAME:
        o->name = value;
        break;
    case OPT_USER:
        if (o->n_users >= CLI_MAX_USERS)
            return cli__fail(c, CLI_EUSAGE, "--user: at most %d users", CLI_MAX_USERS);
        o->users[o->n_users++] = value;
        break;
    case OPT_STATUS:
        o->status = value;
        break;
    case OPT_SINCE:
        o->since = value;
        break;
    case OPT_RUN:
        o->run = value;
        break;
    case OPT_FAILED_USERS:
        o->failed_users = true;
        break;
    case OPT_FAILED_TASKS:
        o->failed_tasks = true;
        break;
    case OPT_PLAN:
        o->plan = true;
        break;
    case OPT_WAIT:
        o->wait = true;
        break;
    case OPT_CATEGORY:
        o->category = value;
        break;
    case OPT_ACTIVITY:
        o->activity = value;
        break;
    case OPT_COUNT_:
        break;
    }
    return CLI_OK;
}

/*
 * Split argv into options (anywhere) and positionals. `pos` receives the
 * positionals in order; `used` the set of options given.
 */
static int parse_argv(struct cli *c, int argc, char **argv, char **pos, size_t *n_pos,
                      unsigned *used)
{
    bool options_done = false;

    *n_pos = 0;
    *used = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *value = NULL, *eq;
        bool is_long = strncmp(a, "--", 2) == 0;
        size_t len;
        int id;

        if (options_done || a[0] != '-' || a[1] == '\0') {
            pos[(*n_pos)++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        a += is_long ? 2 : 1;
        eq = is_long ? strchr(a, '=') : NULL;
        len = eq ? (size_t)(eq - a) : strlen(a);
        id = find_opt(a, len, is_long);
        if (id < 0)
            return cli__fail(c, CLI_EUSAGE, "unknown option '%s'; see 'lcw help'", argv[i]);
        if (opt_defs[id].arg) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return cli__fail(c, CLI_EUSAGE, "option --%s needs a value (%s)", opt_defs[id].name,
                                 opt_defs[id].arg);
        } else if (eq) {
            return cli__fail(c, CLI_EUSAGE, "option --%s takes no value", opt_defs[id].name);
        }
        *used |= OPTB(id);
        if (set_opt(c, id, value))
            return CLI_EUSAGE;
    }
    return CLI_OK;
}

static int dispatch(struct cli *c, char **pos, size_t n_pos, unsigned used)
{
    const struct cli_cmd *cmd;
    size_t skip;
    bool is_group;
    unsigned extra;

    if (n_pos == 0) {
        if (used & ~OPTB(OPT_HELP))
            return cli__fail(c, CLI_EUSAGE, "no command given; see 'lcw help'");
        help_overview(NULL);
        return CLI_OK;
    }
    cmd = find_cmd(pos[0], n_pos > 1 ? pos[1] : NULL, &is_group);
    if (!cmd) {
        if (is_group && (c->o.want_help || n_pos == 1)) {
            help_overview(pos[0]);
            return c->o.want_help ? CLI_OK : CLI_EUSAGE;
        }
        if (is_group)
            return cli__fail(c, CLI_EUSAGE, "'%s' is not a '%s' command; see 'lcw help %s'", pos[1],
                             pos[0], pos[0]);
        return cli__fail(c, CLI_EUSAGE, "unknown command '%s'; see 'lcw help'", pos[0]);
    }
    c->cmd = cmd;
    skip = cmd->verb ? 2 : 1;
    c->args = pos + skip;
    c->n_args = n_pos - skip;
    if (c->o.want_help) {
        help_command(cmd);
        return CLI_OK;
    }
    extra = used & ~(OPTS_GLOBAL | cmd->opts);
    for (int i = 0; i < OPT_COUNT_; i++) {
        if (extra & OPTB(i)) {
            (void)cli__fail(c, CLI_EUSAGE, "'lcw %s%s%s' does not take --%s; see its --help",
                            cmd->group, cmd->verb ? " " : "", cmd->verb ? cmd->verb : "",
                            opt_defs[i].name);
            return CLI_EUSAGE;
        }
    }
    if ((int)c->n_args < cmd->min_args || (cmd->max_args >= 0 && (int)c->n_args > cmd->max_args)) {
        (void)fputs("lcw: usage: ", stderr);
        print_usage_line(stderr, cmd);
        (void)fputs(" [options]\n", stderr);
        return CLI_EUSAGE;
    }
    if (c->o.want_json + c->o.want_csv + c->o.want_quiet > 1)
        return cli__fail(c, CLI_EUSAGE, "choose one of --json, --csv and -q");
    if (cmd->needs_server) {
        int rc = cli__connect(c);

        if (rc)
            return rc;
    }
    return cmd->run(c);
}

int main(int argc, char **argv)
{
    struct cli c;
    char **pos = NULL;
    size_t n_pos = 0;
    unsigned used = 0;
    int rc;

    memset(&c, 0, sizeof(c));
    lcw_alloc_install_jansson();
    c.is_stdout_tty = isatty(STDOUT_FILENO) == 1;
    c.is_stderr_tty = isatty(STDERR_FILENO) == 1;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return cli__fail(&c, CLI_EUSAGE, "could not initialise libcurl");
    pos = lcw_calloc((size_t)argc + 1, sizeof(*pos));
    if (!pos) {
        rc = cli__fail(&c, CLI_EUSAGE, "out of memory");
        goto out;
    }
    rc = parse_argv(&c, argc, argv, pos, &n_pos, &used);
    if (!rc)
        rc = dispatch(&c, pos, n_pos, used);
    cli__progress_end(&c);
    if (fflush(stdout) != 0 && rc == CLI_OK)
        rc = cli__fail(&c, CLI_EUSAGE, "could not write the output");
out:
    cli__disconnect(&c);
    lcw_free(pos);
    curl_global_cleanup();
    return rc;
}
