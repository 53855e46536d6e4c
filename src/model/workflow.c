/* SPDX-License-Identifier: MIT */
/*
 * Workflow and task request bodies: POST /workflows, createNewVersion, PATCH
 * of a workflow and of a task. Each validates the body completely, reports
 * the first problem with its property path, and builds a normalised
 * document. Pure: task ids come from uuid_v4 (libsodium), nothing else.
 */
#include "lcw/jsonx.h"
#include "lcw/model.h"

#include <stdio.h>
#include <string.h>

#include "model_int.h"

#define WF_TYPE   "workflow"
#define TASK_TYPE "task"

static const char *const wf_allowed[] = {"category",
                                         "displayName",
                                         "description",
                                         "isEnabled",
                                         "isSchedulingEnabled",
                                         "targetSubjectType",
                                         "executionConditions",
                                         "settings",
                                         "tasks",
                                         NULL};
static const char *const wf_readonly[] = {"id",
                                          "createdDateTime",
                                          "lastModifiedDateTime",
                                          "deletedDateTime",
                                          "nextScheduleRunDateTime",
                                          "version",
                                          "versionNumber",
                                          "quarantineDetails",
                                          "createdBy",
                                          "lastModifiedBy",
                                          "runs",
                                          "taskReports",
                                          "userProcessingResults",
                                          "subjectProcessingResults",
                                          "versions",
                                          "executionScope",
                                          "previewScope",
                                          "administrationScopeTargets",
                                          NULL};
static const char *const wf_patch_allowed[] = {"displayName", "description", "isEnabled",
                                               "isSchedulingEnabled", NULL};
static const char *const wf_versioned[] = {"tasks",    "executionConditions", "category",
                                           "settings", "targetSubjectType",   NULL};
static const char *const task_allowed[] = {"id",
                                           "displayName",
                                           "description",
                                           "taskDefinitionId",
                                           "continueOnError",
                                           "isEnabled",
                                           "arguments",
                                           "category",
                                           "executionSequence",
                                           "retryPolicy",
                                           "reprocessPolicy",
                                           NULL};
static const char *const task_readonly[] = {"taskProcessingResults", NULL};
static const char *const task_patch_allowed[] = {"displayName", "description", NULL};
static const char *const task_patch_readonly[] = {"id", "category", "executionSequence",
                                                  "taskProcessingResults", NULL};
static const char *const task_versioned[] = {
        "arguments",   "continueOnError", "isEnabled", "taskDefinitionId",
        "retryPolicy", "reprocessPolicy", NULL};

void model_limits_default(struct model_limits *l)
{
    l->max_tasks = 25;
    l->min_offset_days = -180;
    l->max_offset_days = 180;
}

static int expect_object(struct vctx *c, const json_t *body, const char *what)
{
    if (!json_is_object(body))
        return model__fail(c, "the request body must be a JSON object (%s)", what);
    return 0;
}

static int workflow_category(struct vctx *c, const json_t *body, const char **out,
                             unsigned *out_bit)
{
    const char *s, *canon;
    int rc;

    if ((rc = model__get_str(c, body, "category", true, false, 0, false, &s)))
        return rc;
    canon = model_enum_canonical(MODEL_ENUM_WORKFLOW_CATEGORY, s);
    if (canon && strcmp(canon, "unknownFutureValue") == 0)
        return model__fail_at(
                c, "category",
                "'unknownFutureValue' is a placeholder; send the real category (joiner, leaver or mover). Responses show it to clients that do not send 'Prefer: include-unknown-enum-members'");
    if (canon && strcmp(canon, "extensibility") == 0)
        return model__fail_at(
                c, "category",
                "'extensibility' workflows (provisioning subjects) are not supported by lcw; use joiner, leaver or mover");
    if (!canon)
        return model__fail_at(c, "category", "must be one of joiner, leaver, mover (got '%s')", s);
    *out = canon;
    *out_bit = strcmp(canon, "joiner") == 0   ? MODEL_CAT_JOINER
               : strcmp(canon, "leaver") == 0 ? MODEL_CAT_LEAVER
                                              : MODEL_CAT_MOVER;
    return 0;
}

static int target_subject_type(struct vctx *c, const json_t *body)
{
    const char *s;
    int rc;

    if ((rc = model__get_str(c, body, "targetSubjectType", false, true, 0, false, &s)) || !s)
        return rc;
    if (lcw_str_eq_ci(s, "user"))
        return 0;
    if (model_enum_canonical(MODEL_ENUM_SUBJECT_TYPE, s) ||
        model_enum_valid(MODEL_ENUM_SUBJECT_TYPE, s))
        return model__fail_at(c, "targetSubjectType",
                              "'%s' is not supported by lcw; workflows act on users ('user')", s);
    return model__fail_at(c, "targetSubjectType", "must be 'user' (got '%s')", s);
}

static int workflow_settings(struct vctx *c, const json_t *v, json_t **out)
{
    static const char *const allowed[] = {"quarantineConfiguration", NULL};
    json_t *doc = NULL, *qc = NULL;
    size_t old = model__push(c, "settings");
    int rc;

    *out = NULL;
    if (!v || json_is_null(v)) {
        rc = (*out = json_null()) ? 0 : model__nomem(c);
        goto out;
    }
    if (!json_is_object(v)) {
        rc = model__fail(c, "expected an object {\"quarantineConfiguration\": ...} or null");
        goto out;
    }
    if ((rc = model__check_keys(c, v, "workflowSetting", allowed, NULL, NULL)) ||
        (rc = model__check_odata_type(c, v, MODEL_NS, "workflowSetting")))
        goto out;
    if ((rc = model__quarantine_config(c, json_object_get(v, "quarantineConfiguration"), &qc)))
        goto out;
    if (!(doc = json_object()) || json_object_set(doc, "quarantineConfiguration", qc)) {
        rc = model__nomem(c);
        goto out;
    }
    *out = doc;
    doc = NULL;
out:
    if (!rc)
        model__pop(c, old);
    json_decref(qc);
    json_decref(doc);
    return rc;
}

/* The task category given in a body must be the definition's (either output form). */
static bool task_category_matches(const char *given, const struct model_task_def *d)
{
    unsigned bits;
    const char *masked = model_enum_output(MODEL_ENUM_TASK_CATEGORY, d->category, false);

    if (lcw_str_eq_ci(given, masked))
        return true;
    return model_category_parse(given, &bits) == 0 && bits == d->categories;
}

/*
 * lcw extensions on a task (docs/API.md): `retryPolicy` {maxAttempts 1..10,
 * initialDelaySeconds 1..3600 (30), backoffCoefficient 1..10 (2),
 * maxDelaySeconds (3600)} for transient failures, and `reprocessPolicy`
 * "always" | "skipIfSucceeded". Kept on the task only when given, so
 * Graph clients never see them unless someone set them.
 */
static int task_extensions(struct vctx *c, const json_t *t, json_t *task)
{
    const json_t *rp = json_object_get(t, "retryPolicy");
    const json_t *pol = json_object_get(t, "reprocessPolicy");

    if (pol && !json_is_null(pol)) {
        const char *v = json_string_value(pol);

        if (!v || (strcmp(v, "always") != 0 && strcmp(v, "skipIfSucceeded") != 0))
            return model__fail_at(c, "reprocessPolicy", "must be 'always' or 'skipIfSucceeded'");
        if (model__set(task, "reprocessPolicy", json_string(v)))
            return model__nomem(c);
    }
    if (rp && !json_is_null(rp)) {
        static const struct {
            const char *name;
            double lo, hi, dflt;
        } f[] = {{"maxAttempts", 1, 10, 3},
                 {"initialDelaySeconds", 1, 3600, 30},
                 {"backoffCoefficient", 1, 10, 2},
                 {"maxDelaySeconds", 1, 86400, 3600}};
        json_t *out;
        const char *k;
        json_t *v;

        if (!json_is_object(rp))
            return model__fail_at(c, "retryPolicy", "must be an object");
        json_object_foreach (JSONX_MUT(rp), k, v) {
            bool known = false;

            for (size_t i = 0; i < 4; i++)
                known |= strcmp(k, f[i].name) == 0;
            if (!known)
                return model__fail_at(c, "retryPolicy",
                                      "unknown property '%s' (allowed: maxAttempts, "
                                      "initialDelaySeconds, backoffCoefficient, maxDelaySeconds)",
                                      k);
        }
        out = json_object();
        if (!out)
            return model__nomem(c);
        for (size_t i = 0; i < 4; i++) {
            const json_t *v2 = json_object_get(rp, f[i].name);
            double d = v2 ? json_number_value(v2) : f[i].dflt;

            if (v2 && (!json_is_number(v2) || (i != 2 && !json_is_integer(v2)))) {
                json_decref(out);
                return model__fail_at(c, "retryPolicy", "%s must be a %s", f[i].name,
                                      i == 2 ? "number" : "whole number");
            }
            if (d < f[i].lo || d > f[i].hi) {
                json_decref(out);
                return model__fail_at(c, "retryPolicy", "%s must be between %g and %g (got %g)",
                                      f[i].name, f[i].lo, f[i].hi, d);
            }
            if (model__set(out, f[i].name, i == 2 ? json_real(d) : json_integer((json_int_t)d))) {
                json_decref(out);
                return model__nomem(c);
            }
        }
        if (model__set(task, "retryPolicy", out))
            return model__nomem(c);
    }
    return 0;
}

static int one_task(struct vctx *c, const json_t *t, size_t index, const char *wf_category,
                    unsigned wf_bit, json_t *seen_ids, json_t **out)
{
    const struct model_task_def *d;
    const char *id = NULL, *name, *desc, *def_id, *cat;
    bool continue_on_error, is_enabled;
    json_t *task = NULL, *args = NULL;
    char idbuf[UUID_STR_LEN];
    const json_t *seq;
    int rc;

    *out = NULL;
    if (!json_is_object(t))
        return model__fail(c, "expected a task object");
    if ((rc = model__check_keys(c, t, TASK_TYPE, task_allowed, task_readonly, NULL)) ||
        (rc = model__check_odata_type(c, t, MODEL_NS, "task")) ||
        (rc = model__get_str(c, t, "id", false, true, 0, false, &id)))
        return rc;
    if (id) {
        const json_t *prev;

        if (!uuid_valid(id, strlen(id)))
            return model__fail_at(c, "id", "must be a GUID, or left out for a new id (got '%s')",
                                  id);
        for (size_t i = 0; i < UUID_STR_LEN - 1; i++)
            idbuf[i] = (char)((id[i] >= 'A' && id[i] <= 'F') ? id[i] - 'A' + 'a' : id[i]);
        idbuf[UUID_STR_LEN - 1] = '\0';
        if ((prev = json_object_get(seen_ids, idbuf)))
            return model__fail_at(c, "id", "duplicate task id '%s' (also used by tasks[%lld])",
                                  idbuf, (long long)json_integer_value(prev));
    } else {
        uuid_v4(idbuf);
    }
    if (json_object_set_new(seen_ids, idbuf, json_integer((json_int_t)index)))
        return model__nomem(c);
    if ((rc = model__get_str(c, t, "displayName", true, false, MODEL_MAX_NAME, true, &name)) ||
        (rc = model__get_str(c, t, "description", false, true, MODEL_MAX_DESC, false, &desc)) ||
        (rc = model__get_str(c, t, "taskDefinitionId", true, false, 0, false, &def_id)))
        return rc;
    if (!(d = model_task_definition_find(def_id)))
        return model__fail_at(c, "taskDefinitionId",
                              "no task definition with id '%s' (GET /taskDefinitions lists them)",
                              def_id);
    if (!(d->categories & wf_bit))
        return model__fail_at(c, "taskDefinitionId",
                              "task definition '%s' (%s) cannot be used in a %s workflow",
                              d->display_name, d->category, wf_category);
    if ((rc = model__get_bool(c, t, "continueOnError", d->continue_on_error, &continue_on_error)) ||
        (rc = model__get_bool(c, t, "isEnabled", true, &is_enabled)) ||
        (rc = model__get_str(c, t, "category", false, true, 0, false, &cat)))
        return rc;
    if (cat && !task_category_matches(cat, d))
        return model__fail_at(c, "category",
                              "is derived from the task definition ('%s'); leave it out (got '%s')",
                              d->category, cat);
    seq = json_object_get(t, "executionSequence");
    if (seq && !json_is_null(seq) &&
        (!json_is_integer(seq) || json_integer_value(seq) != (json_int_t)index + 1))
        return model__fail_at(
                c, "executionSequence",
                "is read-only and follows the order of the tasks array (expected %zu); reorder the array instead",
                index + 1);
    if ((rc = model__task_arguments(c, json_object_get(t, "arguments"), d, is_enabled, &args)))
        return rc;
    task = json_object();
    if (!task || model__set(task, "id", json_string(idbuf)) ||
        model__set(task, "displayName", json_string(name)) ||
        model__set(task, "description", model__str_or_null(desc)) ||
        model__set(task, "category", json_string(d->category)) ||
        model__set(task, "continueOnError", json_boolean(continue_on_error)) ||
        model__set(task, "isEnabled", json_boolean(is_enabled)) ||
        model__set(task, "executionSequence", json_integer((json_int_t)index + 1)) ||
        model__set(task, "taskDefinitionId", json_string(d->id)) ||
        json_object_set(task, "arguments", args)) {
        rc = model__nomem(c);
        goto out;
    }
    rc = task_extensions(c, t, task);
    if (rc)
        goto out;
    *out = task;
    task = NULL;
out:
    json_decref(args);
    json_decref(task);
    return rc;
}

static int workflow_tasks(struct vctx *c, const json_t *tasks, const char *wf_category,
                          unsigned wf_bit, json_t **out)
{
    json_t *arr = NULL, *seen = NULL;
    size_t old = model__push(c, "tasks");
    int rc = 0;

    *out = NULL;
    if (!tasks || json_is_null(tasks)) {
        rc = model__fail(c, "is required: a workflow needs at least one task");
        goto out;
    }
    if (!json_is_array(tasks)) {
        rc = model__fail(c, "expected an array of tasks");
        goto out;
    }
    if (json_array_size(tasks) == 0) {
        rc = model__fail(c, "a workflow needs at least one task");
        goto out;
    }
    if (json_array_size(tasks) > (size_t)c->lim->max_tasks) {
        rc = model__fail(c, "at most %d tasks are allowed per workflow (got %zu)",
                         c->lim->max_tasks, json_array_size(tasks));
        goto out;
    }
    if (!(arr = json_array()) || !(seen = json_object())) {
        rc = model__nomem(c);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(tasks); i++) {
        size_t o2 = model__push_index(c, i);
        json_t *task;

        if ((rc = one_task(c, json_array_get(tasks, i), i, wf_category, wf_bit, seen, &task)))
            goto out;
        if (model__append(arr, task)) {
            rc = model__nomem(c);
            goto out;
        }
        model__pop(c, o2);
    }
    *out = arr;
    arr = NULL;
    model__pop(c, old);
out:
    json_decref(seen);
    json_decref(arr);
    return rc;
}

static bool is_on_demand(const json_t *conditions)
{
    const json_t *t = json_object_get(conditions, "@odata.type");

    return json_is_string(t) &&
           model__type_matches(json_string_value(t), MODEL_NS, "onDemandExecutionOnly");
}

static int workflow_body(struct vctx *c, const json_t *body, json_t **out)
{
    const char *name, *desc, *category = NULL;
    bool is_enabled, is_scheduling;
    unsigned wf_bit = 0;
    json_t *doc = NULL, *cond = NULL, *settings = NULL, *tasks = NULL;
    int rc;

    *out = NULL;
    if ((rc = expect_object(c, body, "a workflow")) ||
        (rc = model__check_keys(c, body, WF_TYPE, wf_allowed, wf_readonly, NULL)) ||
        (rc = model__check_odata_type(c, body, MODEL_NS, WF_TYPE)) ||
        (rc = model__get_str(c, body, "displayName", true, false, MODEL_MAX_NAME, true, &name)) ||
        (rc = model__get_str(c, body, "description", false, true, MODEL_MAX_DESC, false, &desc)) ||
        (rc = workflow_category(c, body, &category, &wf_bit)) ||
        (rc = target_subject_type(c, body)) ||
        (rc = model__get_bool(c, body, "isEnabled", true, &is_enabled)) ||
        (rc = model__get_bool(c, body, "isSchedulingEnabled", false, &is_scheduling)))
        goto out;
    if (is_scheduling && !is_enabled) {
        rc = model__fail_at(
                c, "isSchedulingEnabled",
                "cannot be true while isEnabled is false; set isEnabled to true or isSchedulingEnabled to false");
        goto out;
    }
    if ((rc = model__conditions(c, json_object_get(body, "executionConditions"), &cond)))
        goto out;
    if (is_scheduling && is_on_demand(cond)) {
        rc = model__fail_at(
                c, "isSchedulingEnabled",
                "must be false for an onDemandExecutionOnly workflow, which only runs when activated");
        goto out;
    }
    if ((rc = workflow_settings(c, json_object_get(body, "settings"), &settings)) ||
        (rc = workflow_tasks(c, json_object_get(body, "tasks"), category, wf_bit, &tasks)))
        goto out;
    doc = json_object();
    if (!doc || model__set(doc, "category", json_string(category)) ||
        model__set(doc, "displayName", json_string(name)) ||
        model__set(doc, "description", model__str_or_null(desc)) ||
        model__set(doc, "isEnabled", json_boolean(is_enabled)) ||
        model__set(doc, "isSchedulingEnabled", json_boolean(is_scheduling)) ||
        model__set(doc, "targetSubjectType", json_string("user")) ||
        json_object_set(doc, "executionConditions", cond) ||
        json_object_set(doc, "settings", settings) || json_object_set(doc, "tasks", tasks)) {
        rc = model__nomem(c);
        goto out;
    }
    *out = doc;
    doc = NULL;
out:
    json_decref(cond);
    json_decref(settings);
    json_decref(tasks);
    json_decref(doc);
    return rc;
}

int model_workflow_from_create(const json_t *body, const struct model_limits *lim, json_t **out,
                               struct lcw_error *err)
{
    struct model_limits dflt;
    struct vctx c;

    model_limits_default(&dflt);
    model__vctx_init(&c, err, lim ? lim : &dflt);
    return workflow_body(&c, body, out);
}

int model_workflow_from_new_version(const json_t *body, const struct model_limits *lim,
                                    json_t **out, struct lcw_error *err)
{
    static const char *const allowed[] = {"workflow", NULL};
    struct model_limits dflt;
    const json_t *wf;
    struct vctx c;
    int rc;

    *out = NULL;
    model_limits_default(&dflt);
    model__vctx_init(&c, err, lim ? lim : &dflt);
    if ((rc = expect_object(&c, body, "{\"workflow\": {...}}")) ||
        (rc = model__check_keys(&c, body, "createNewVersion request", allowed, NULL, NULL)))
        return rc;
    wf = json_object_get(body, "workflow");
    if (!wf || json_is_null(wf))
        return model__fail_at(
                &c, "workflow",
                "is required: send {\"workflow\": {...}} with the new tasks and execution conditions");
    (void)model__push(&c, "workflow");
    if (!json_is_object(wf))
        return model__fail(&c, "expected a workflow object");
    return workflow_body(&c, wf, out);
}

int model_workflow_patch(const json_t *current, const json_t *body, json_t **out,
                         struct lcw_error *err)
{
    const char *name = NULL, *desc = NULL;
    const json_t *cur_enabled, *v;
    bool is_enabled, is_scheduling;
    json_t *doc = NULL;
    struct vctx c;
    int rc;

    *out = NULL;
    model__vctx_init(&c, err, NULL);
    if ((rc = expect_object(&c, body, "the workflow properties to change")) ||
        (rc = model__check_keys(&c, body, WF_TYPE, wf_patch_allowed, wf_readonly, wf_versioned)) ||
        (rc = model__check_odata_type(&c, body, MODEL_NS, WF_TYPE)))
        return rc;
    if (json_object_get(body, "displayName") &&
        (rc = model__get_str(&c, body, "displayName", true, false, MODEL_MAX_NAME, true, &name)))
        return rc;
    if ((rc = model__get_str(&c, body, "description", false, true, MODEL_MAX_DESC, false, &desc)))
        return rc;
    cur_enabled = json_object_get(current, "isEnabled");
    if ((rc = model__get_bool(&c, body, "isEnabled", !cur_enabled || json_is_true(cur_enabled),
                              &is_enabled)) ||
        (rc = model__get_bool(&c, body, "isSchedulingEnabled",
                              json_is_true(json_object_get(current, "isSchedulingEnabled")),
                              &is_scheduling)))
        return rc;
    if (is_scheduling && !is_enabled) {
        if (json_object_get(body, "isEnabled") && !json_object_get(body, "isSchedulingEnabled"))
            return model__fail_at(
                    &c, "isEnabled",
                    "cannot be false while isSchedulingEnabled is true; set isSchedulingEnabled to false as well");
        return model__fail_at(
                &c, "isSchedulingEnabled",
                "cannot be true while isEnabled is false; set isEnabled to true as well");
    }
    if (json_is_true(json_object_get(body, "isSchedulingEnabled")) &&
        is_on_demand(json_object_get(current, "executionConditions")))
        return model__fail_at(
                &c, "isSchedulingEnabled",
                "must be false for an onDemandExecutionOnly workflow, which only runs when activated");
    if (!(doc = json_is_object(current) ? json_deep_copy(current) : json_object()))
        return model__nomem(&c);
    if ((name && model__set(doc, "displayName", json_string(name))) ||
        ((v = json_object_get(body, "description")) &&
         model__set(doc, "description", model__str_or_null(desc))) ||
        (json_object_get(body, "isEnabled") &&
         model__set(doc, "isEnabled", json_boolean(is_enabled))) ||
        (json_object_get(body, "isSchedulingEnabled") &&
         model__set(doc, "isSchedulingEnabled", json_boolean(is_scheduling)))) {
        json_decref(doc);
        return model__nomem(&c);
    }
    *out = doc;
    return 0;
}

int model_task_patch(const json_t *current_task, const json_t *body, json_t **out,
                     struct lcw_error *err)
{
    const char *name = NULL, *desc = NULL;
    json_t *doc;
    struct vctx c;
    int rc;

    *out = NULL;
    model__vctx_init(&c, err, NULL);
    if ((rc = expect_object(&c, body, "the task properties to change")) ||
        (rc = model__check_keys(&c, body, TASK_TYPE, task_patch_allowed, task_patch_readonly,
                                task_versioned)) ||
        (rc = model__check_odata_type(&c, body, MODEL_NS, "task")))
        return rc;
    if (json_object_get(body, "displayName") &&
        (rc = model__get_str(&c, body, "displayName", true, false, MODEL_MAX_NAME, true, &name)))
        return rc;
    if ((rc = model__get_str(&c, body, "description", false, true, MODEL_MAX_DESC, false, &desc)))
        return rc;
    if (!(doc = json_is_object(current_task) ? json_deep_copy(current_task) : json_object()))
        return model__nomem(&c);
    if ((name && model__set(doc, "displayName", json_string(name))) ||
        (json_object_get(body, "description") &&
         model__set(doc, "description", model__str_or_null(desc)))) {
        json_decref(doc);
        return model__nomem(&c);
    }
    *out = doc;
    return 0;
}
