/* SPDX-License-Identifier: MIT */
/*
 * lcw's workflow-definition commands: workflows (list, show, create from a
 * file or a template, enable, disable, delete, restore, versions,
 * new-version, tasks), task-definitions and templates. Each is one or two
 * API calls; confirmations go to stderr, data to stdout. Single-threaded.
 */
#include "cli_int.h"

#include <stdio.h>
#include <string.h>

#define LW             "/v1.0/identityGovernance/lifecycleWorkflows"
#define N(a)           (sizeof(a) / sizeof((a)[0]))
#define MAX_FILE_BYTES ((size_t)8 << 20)

static const struct cli_col wf_cols[] = {
        {"ID", "id"},
        {"NAME", "displayName"},
        {"CATEGORY", "category"},
        {"ENABLED", "isEnabled"},
        {"SCHEDULED", "isSchedulingEnabled"},
        {"VERSION", "version"},
};

static const struct cli_col wf_fields[] = {
        {"ID", "id"},
        {"Name", "displayName"},
        {"Description", "description"},
        {"Category", "category"},
        {"Enabled", "isEnabled"},
        {"Scheduling enabled", "isSchedulingEnabled"},
        {"Version", "version"},
        {"Scope", "executionConditions/scope/rule"},
        {"Trigger", "executionConditions/trigger/@odata.type"},
        {"Trigger attribute", "executionConditions/trigger/timeBasedAttribute"},
        {"Offset in days", "executionConditions/trigger/offsetInDays"},
        {"Next scheduled run", "nextScheduleRunDateTime"},
        {"Created", "createdDateTime"},
        {"Last modified", "lastModifiedDateTime"},
        {"Deleted", "deletedDateTime"},
};

static const struct cli_col task_cols[] = {
        {"ID", "id"},
        {"#", "executionSequence"},
        {"NAME", "displayName"},
        {"ENABLED", "isEnabled"},
        {"CONTINUE ON ERROR", "continueOnError"},
        {"DEFINITION", "taskDefinitionId"},
};

/* GET `path` (all pages) and print it as a list. */
static int list(struct cli *c, const char *path, const struct cli_col *cols, size_t n)
{
    json_t *items = NULL;
    int rc = cli__api_all(c, path, &items);

    if (!rc)
        rc = cli__print_list(c, items, cols, n);
    json_decref(items);
    return rc;
}

/* Print a workflow or template: its fields, then its tasks as a table (terminal formats only). */
static int print_workflow(struct cli *c, const json_t *wf)
{
    int rc = cli__print_object(c, wf, wf_fields, N(wf_fields));

    if (rc || c->o.want_json || c->o.want_csv || c->o.want_quiet)
        return rc;
    (void)printf("\nTasks:\n");
    return cli__print_table(c, json_object_get(wf, "tasks"), task_cols, N(task_cols));
}

/* "/v1.0/.../workflows/{id}" + `suffix` for the workflow named by args[0]. */
static int wf_path(struct cli *c, bool is_deleted, const char *suffix, char *out, size_t size,
                   char id[UUID_STR_LEN])
{
    int rc = cli__workflow_id(c, c->args[0], is_deleted, id);

    if (rc)
        return rc;
    (void)snprintf(out, size, LW "%s/workflows/%s%s", is_deleted ? "/deletedItems" : "", id,
                   suffix);
    return CLI_OK;
}

int cli__cmd_workflows_list(struct cli *c)
{
    return list(c, LW "/workflows", wf_cols, N(wf_cols));
}

int cli__cmd_workflows_show(struct cli *c)
{
    char path[512], id[UUID_STR_LEN];
    json_t *wf = NULL;
    int rc = wf_path(c, false, "?$expand=tasks", path, sizeof(path), id);

    if (!rc)
        rc = cli__api(c, "GET", path, NULL, &wf, NULL);
    if (!rc)
        rc = print_workflow(c, wf);
    json_decref(wf);
    return rc;
}

/* Read FILE as one JSON object. */
static int read_json_file(struct cli *c, const char *file, json_t **out)
{
    struct lcw_error err = {0};
    char *text = NULL;
    size_t len = 0;
    int rc = cli__read_file(file, MAX_FILE_BYTES, &text, &len);

    if (rc)
        return rc;
    if (jsonx_decode_object(text, len, out, &err) != 0)
        rc = cli__fail(c, CLI_EUSAGE, "%s: %s", file, err.msg);
    lcw_free(text);
    return rc;
}

/* A template made into a create body: read-only members (ids, sequence, category of tasks) go. */
static int template_body(struct cli *c, const char *template_id, const char *name, json_t **out)
{
    static const char *const drop_wf[] = {"@odata.context", "id", "createdDateTime",
                                          "lastModifiedDateTime", "version"};
    static const char *const drop_task[] = {"id", "category", "executionSequence",
                                            "createdDateTime", "lastModifiedDateTime"};
    char path[512];
    struct buf enc;
    json_t *t = NULL;
    size_t i;
    json_t *task;
    int rc;

    buf_init(&enc, 1024);
    if (cli__urlenc(&enc, template_id)) {
        buf_release(&enc);
        return cli__fail(c, CLI_EUSAGE, "--template: id too long");
    }
    (void)snprintf(path, sizeof(path), LW "/workflowTemplates/%s", buf_cstr(&enc));
    buf_release(&enc);
    rc = cli__api(c, "GET", path, NULL, &t, NULL);
    if (rc)
        return rc;
    for (i = 0; i < N(drop_wf); i++)
        (void)json_object_del(t, drop_wf[i]); /* absent members are fine */
    json_array_foreach (json_object_get(t, "tasks"), i, task) {
        for (size_t k = 0; k < N(drop_task); k++)
            (void)json_object_del(task, drop_task[k]);
    }
    if (json_object_set_new(t, "displayName", json_string(name))) {
        json_decref(t);
        return cli__fail(c, CLI_EUSAGE, "--name: not valid UTF-8");
    }
    *out = t;
    return CLI_OK;
}

int cli__cmd_workflows_create(struct cli *c)
{
    json_t *body = NULL, *wf = NULL;
    int rc;

    if (c->o.file && (c->o.template_id || c->o.name))
        return cli__fail(c, CLI_EUSAGE, "give either -f FILE or --template ID --name NAME");
    if (!c->o.file && (!c->o.template_id || !c->o.name))
        return cli__fail(c, CLI_EUSAGE,
                         "give -f FILE, or --template ID with --name NAME; see 'lcw workflows "
                         "create --help'");
    rc = c->o.file ? read_json_file(c, c->o.file, &body)
                   : template_body(c, c->o.template_id, c->o.name, &body);
    if (!rc)
        rc = cli__api(c, "POST", LW "/workflows", body, &wf, NULL);
    if (!rc && !c->o.want_json && !c->o.want_csv && !c->o.want_quiet)
        (void)fprintf(stderr, "Created workflow '%s' (%s)\n", jsonx_str(wf, "displayName"),
                      jsonx_str(wf, "id"));
    if (!rc)
        rc = c->o.want_json || c->o.want_csv || c->o.want_quiet
                     ? cli__print_object(c, wf, wf_fields, N(wf_fields))
                     : CLI_OK;
    json_decref(body);
    json_decref(wf);
    return rc;
}

static int set_enabled(struct cli *c, bool is_enabled)
{
    char path[512], id[UUID_STR_LEN];
    json_t *body = json_pack("{s:b}", "isEnabled", is_enabled);
    int rc = body ? wf_path(c, false, "", path, sizeof(path), id)
                  : cli__fail(c, CLI_EUSAGE, "out of memory");

    if (!rc)
        rc = cli__api(c, "PATCH", path, body, NULL, NULL);
    if (!rc)
        (void)fprintf(stderr, "%s workflow %s\n", is_enabled ? "Enabled" : "Disabled", id);
    json_decref(body);
    return rc;
}

int cli__cmd_workflows_enable(struct cli *c)
{
    return set_enabled(c, true);
}

int cli__cmd_workflows_disable(struct cli *c)
{
    return set_enabled(c, false);
}

int cli__cmd_workflows_delete(struct cli *c)
{
    char path[512], id[UUID_STR_LEN];
    int rc = wf_path(c, false, "", path, sizeof(path), id);

    if (!rc)
        rc = cli__api(c, "DELETE", path, NULL, NULL, NULL);
    if (!rc)
        (void)fprintf(stderr,
                      "Deleted workflow %s (restore it with 'lcw workflows restore %s' within the "
                      "retention period)\n",
                      id, id);
    return rc;
}

int cli__cmd_workflows_restore(struct cli *c)
{
    char path[512], id[UUID_STR_LEN];
    json_t *wf = NULL;
    int rc = wf_path(c, true, "/restore", path, sizeof(path), id);

    if (!rc)
        rc = cli__api(c, "POST", path, NULL, &wf, NULL);
    if (!rc && !c->o.want_json && !c->o.want_csv && !c->o.want_quiet)
        (void)fprintf(stderr, "Restored workflow '%s' (%s)\n", jsonx_str(wf, "displayName"), id);
    else if (!rc)
        rc = cli__print_object(c, wf, wf_fields, N(wf_fields));
    json_decref(wf);
    return rc;
}

int cli__cmd_workflows_versions(struct cli *c)
{
    static const struct cli_col cols[] = {
            {"VERSION", "versionNumber"},
            {"NAME", "displayName"},
            {"CATEGORY", "category"},
            {"CREATED", "createdDateTime"},
            {"LAST MODIFIED", "lastModifiedDateTime"},
    };
    char path[512], id[UUID_STR_LEN];
    int rc = wf_path(c, false, "/versions", path, sizeof(path), id);

    return rc ? rc : list(c, path, cols, N(cols));
}

int cli__cmd_workflows_new_version(struct cli *c)
{
    char path[512], id[UUID_STR_LEN];
    json_t *body = NULL, *wf = NULL;
    int rc;

    if (!c->o.file)
        return cli__fail(c, CLI_EUSAGE, "give the new workflow state with -f FILE");
    rc = wf_path(c, false, "/createNewVersion", path, sizeof(path), id);
    if (!rc)
        rc = read_json_file(c, c->o.file, &body);
    if (!rc && !json_object_get(body, "workflow")) {
        json_t *wrapped = json_pack("{s:o}", "workflow", body);

        body = wrapped;
        if (!wrapped)
            rc = cli__fail(c, CLI_EUSAGE, "out of memory");
    }
    if (!rc)
        rc = cli__api(c, "POST", path, body, &wf, NULL);
    if (!rc && !c->o.want_json && !c->o.want_csv && !c->o.want_quiet)
        (void)fprintf(stderr, "Workflow '%s' is now at version %lld\n",
                      jsonx_str(wf, "displayName"), (long long)jsonx_int(wf, "version", 0));
    else if (!rc)
        rc = cli__print_object(c, wf, wf_fields, N(wf_fields));
    json_decref(body);
    json_decref(wf);
    return rc;
}

int cli__cmd_workflows_tasks(struct cli *c)
{
    char path[512], id[UUID_STR_LEN];
    int rc = wf_path(c, false, "/tasks", path, sizeof(path), id);

    return rc ? rc : list(c, path, task_cols, N(task_cols));
}

int cli__cmd_task_definitions_list(struct cli *c)
{
    static const struct cli_col cols[] = {
            {"ID", "id"},
            {"NAME", "displayName"},
            {"CATEGORY", "category"},
            {"VERSION", "version"},
    };

    return list(c, LW "/taskDefinitions", cols, N(cols));
}

int cli__cmd_templates_list(struct cli *c)
{
    static const struct cli_col cols[] = {
            {"ID", "id"},
            {"NAME", "displayName"},
            {"CATEGORY", "category"},
            {"DESCRIPTION", "description"},
    };

    return list(c, LW "/workflowTemplates", cols, N(cols));
}

int cli__cmd_templates_show(struct cli *c)
{
    char path[512];
    struct buf enc;
    json_t *t = NULL;
    int rc;

    buf_init(&enc, 1024);
    if (cli__urlenc(&enc, c->args[0])) {
        buf_release(&enc);
        return cli__fail(c, CLI_EUSAGE, "template id too long");
    }
    (void)snprintf(path, sizeof(path), LW "/workflowTemplates/%s", buf_cstr(&enc));
    buf_release(&enc);
    rc = cli__api(c, "GET", path, NULL, &t, NULL);
    if (!rc)
        rc = print_workflow(c, t);
    json_decref(t);
    return rc;
}
