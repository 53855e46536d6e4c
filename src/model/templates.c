/* SPDX-License-Identifier: MIT */
/*
 * The workflow template catalogue (spec 3.20, product behaviour A.4.3): ten
 * read-only templates with stable ids, their execution conditions and
 * default tasks, rendered as Graph workflowTemplate JSON. Tasks that need a
 * target the template cannot know (groups, Teams, an extension) ship
 * disabled and without arguments; see docs/internals/model.md. Static data;
 * thread-safe.
 */
#include "lcw/model.h"

#include <stdio.h>
#include <string.h>

#include "model_int.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct tpl_arg {
    const char *name;
    const char *value;
};

struct tpl_task {
    const char *id;
    const char *def_id;
    bool is_enabled;
    bool continue_on_error;
    const struct tpl_arg *args; /* NULL-name terminated, or NULL */
};

enum tpl_cond { TPL_TIME, TPL_ON_DEMAND, TPL_MEMBERSHIP, TPL_ATTRIBUTE };

struct tpl {
    const char *id;
    const char *display_name;
    const char *description;
    const char *category;
    enum tpl_cond cond;
    const char *attribute;   /* TPL_TIME */
    int offset_days;         /* TPL_TIME */
    const char *change_type; /* TPL_MEMBERSHIP */
    const struct tpl_task *tasks;
    size_t task_count;
};

#define RULE     "department eq 'Marketing'"
#define TASKS(t) t, ARRAY_LEN(t)
#define T(id, def, en, coe)    \
    {                          \
        id, def, en, coe, NULL \
    }

static const struct tpl_arg tap_args[] = {
        {"tapLifetimeMinutes", "480"}, {"tapIsUsableOnce", "true"}, {NULL, NULL}};
static const char *const job_attributes[] = {"jobTitle", "department", NULL};

/* clang-format off */
static const struct tpl_task t_prehire[] = {
    {"740eec20-faa0-4967-8557-5ebad6be4db3", "1b555e50-7f65-41d5-b514-5894a026d10d", true, false, tap_args},
};
static const struct tpl_task t_newhire[] = {
    T("a4c0b05f-40e2-4b10-8218-ebcf7389e712", "6fc52c9d-398b-4305-9763-15f42c1676fc", true, false),
    T("d54a7512-1b76-4b6e-a99f-5708a5090748", "70b29d51-b59a-4773-9280-8841dfd3f2ea", true, false),
    T("4e75c66c-8c4d-4fe7-b90d-af549dd53b1d", "22085229-5809-45e8-97fd-270d28d66910", false, false),
};
static const struct tpl_task t_postonboard[] = {
    T("85a4abfa-ff82-481d-84f7-ed0df9733781", "22085229-5809-45e8-97fd-270d28d66910", false, false),
    T("2b4d3514-a48c-4177-9d19-5152e3cdf3f4", "e440ed8d-25a1-4618-84ce-091ed5be5594", false, false),
};
static const struct tpl_task t_realtime_change[] = {
    T("a7b4cc35-8996-4aa5-be32-5faac2ebf681", "4262b724-8dba-4fad-afc3-43fcbb497a0e", false, false),
};
static const struct tpl_task t_group_change[] = {
    T("10a8826e-1605-4326-ad19-dcca90b36b3e", "aab41899-9972-422a-9d97-f626014578b7", true, false),
};
static const struct tpl_task t_job_change[] = {
    T("0d0a876d-6c39-4cfa-be25-70faa3cb125f", "aab41899-9972-422a-9d97-f626014578b7", true, false),
};
static const struct tpl_task t_termination[] = {
    T("9d19c268-a001-41ad-9063-75124dd2e73f", "b3a31406-2a15-4c9a-b25b-a658fa5f07fc", true, true),
    T("3801add3-5e32-4ae5-8a51-b00b403356a5", "81f7b200-2816-4b3b-8c5d-dc556f07b024", true, true),
    T("c5e0bcc6-282c-4da9-bd96-42ad925e90d1", "8d18588d-9ad3-4c0f-99d0-ec215f0e3dff", true, false),
};
static const struct tpl_task t_preoffboard[] = {
    T("e232117b-068a-4b6f-9635-ab2dba504b1a", "1953a66c-751c-45e5-8bfe-01462c70da3c", false, true),
    T("d862bd73-26aa-4748-831e-c7c143063588", "06aa7acb-01af-4824-8899-b14e5ed788d6", false, true),
};
static const struct tpl_task t_offboard[] = {
    T("6dd71132-13be-468f-929a-38a8af46bc13", "1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950", true, false),
    T("1512902a-0d76-4e82-aa6a-e99027fe6266", "b3a31406-2a15-4c9a-b25b-a658fa5f07fc", true, true),
    T("a3423a3e-b866-4f66-b88b-10d3693964cf", "81f7b200-2816-4b3b-8c5d-dc556f07b024", true, true),
};
static const struct tpl_task t_postoffboard[] = {
    T("82e6a11a-96de-4909-9481-c7da9ca6c42a", "8fa97d28-3e52-4985-b3a9-a1126f9b8b4e", true, false),
    T("f177daea-2ffe-41dc-96e3-ee2f69d7c276", "81f7b200-2816-4b3b-8c5d-dc556f07b024", true, true),
    T("725c2075-4592-45ee-a633-0c300498b52c", "8d18588d-9ad3-4c0f-99d0-ec215f0e3dff", true, false),
};

static const struct tpl tpls[] = {
    {"77179007-8114-41b5-922e-2e22109df41f", "Onboard pre-hire employee",
     "Configure pre-hire tasks for onboarding employees before their first day.",
     "joiner", TPL_TIME, "employeeHireDate", -7, NULL, TASKS(t_prehire)},
    {"4e06785d-7c1d-4b24-b9e1-bba2b890c58b", "Onboard new hire employee",
     "Configure new hire tasks for onboarding employees on their first day.",
     "joiner", TPL_TIME, "employeeHireDate", 0, NULL, TASKS(t_newhire)},
    {"7793e06b-c943-45da-9e71-2adb7f4cc69f", "Post-Onboarding new hire employee",
     "Configure tasks for onboarding employees after their first day.",
     "joiner", TPL_TIME, "employeeHireDate", 7, NULL, TASKS(t_postonboard)},
    {"c635de53-8a00-4b42-a21f-53488c7d27d3", "Real-time employee change",
     "Run tasks for an employee who moves within the organisation, on demand.",
     "mover", TPL_ON_DEMAND, NULL, 0, NULL, TASKS(t_realtime_change)},
    {"56da3093-d105-40d4-9886-fccd074f2f2a", "Employee group membership changes",
     "Run tasks when an employee is added to a group.",
     "mover", TPL_MEMBERSHIP, NULL, 0, "add", TASKS(t_group_change)},
    {"f8219c0f-38b0-4d81-b37a-6c7aa2384b0c", "Employee job profile change",
     "Run tasks when an employee's job title or department changes.",
     "mover", TPL_ATTRIBUTE, NULL, 0, NULL, TASKS(t_job_change)},
    {"145735f1-57cc-48c2-81ec-727f07a10096", "Real-time employee termination",
     "Execute real-time termination tasks for employees on their last day, on demand.",
     "leaver", TPL_ON_DEMAND, NULL, 0, NULL, TASKS(t_termination)},
    {"25abd83d-3b5d-4d6f-bb9a-4ed366fd96b1", "Pre-Offboarding of an employee",
     "Configure pre-offboarding tasks for employees before their last day of work.",
     "leaver", TPL_TIME, "employeeLeaveDateTime", -7, NULL, TASKS(t_preoffboard)},
    {"e821c59e-d28c-44d7-902f-5fed05e926f1", "Offboard an employee",
     "Configure offboarding tasks for employees on their last day of work.",
     "leaver", TPL_TIME, "employeeLeaveDateTime", 0, NULL, TASKS(t_offboard)},
    {"d9b37fba-ef5f-44d9-928e-bf271afab8ce", "Post-Offboarding of an employee",
     "Configure offboarding tasks for employees after their last day of work.",
     "leaver", TPL_TIME, "employeeLeaveDateTime", 7, NULL, TASKS(t_postoffboard)},
};
/* clang-format on */

size_t model_template_count(void)
{
    return ARRAY_LEN(tpls);
}

const char *model_template_id(size_t i)
{
    return i < ARRAY_LEN(tpls) ? tpls[i].id : NULL;
}

int model_template_find(const char *id, size_t *out_index)
{
    for (size_t i = 0; id && i < ARRAY_LEN(tpls); i++) {
        if (lcw_str_eq_ci(tpls[i].id, id)) {
            *out_index = i;
            return 0;
        }
    }
    return LCW_ENOTFOUND;
}

static json_t *typed(const char *short_name)
{
    char type[128];
    json_t *o = json_object();

    (void)snprintf(type, sizeof(type), "#" MODEL_NS "%s", short_name);
    if (o && model__set(o, "@odata.type", json_string(type))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *conditions_json(const struct tpl *t)
{
    json_t *cond = NULL, *scope = NULL, *trig = NULL, *arr = NULL;
    bool ok;

    if (t->cond == TPL_ON_DEMAND)
        return typed("onDemandExecutionOnly");
    cond = typed("triggerAndScopeBasedConditions");
    if (t->cond == TPL_MEMBERSHIP) {
        /* The group is the admin's choice: creating a workflow needs at least one. */
        scope = typed("groupBasedSubjectSet");
        ok = scope && !model__set(scope, "groups", json_array());
        trig = typed("membershipChangeTrigger");
        ok = ok && trig && !model__set(trig, "changeType", json_string(t->change_type));
    } else {
        scope = typed("ruleBasedSubjectSet");
        ok = scope && !model__set(scope, "rule", json_string(RULE));
        if (t->cond == TPL_TIME) {
            trig = typed("timeBasedAttributeTrigger");
            ok = ok && trig && !model__set(trig, "timeBasedAttribute", json_string(t->attribute)) &&
                 !model__set(trig, "offsetInDays", json_integer(t->offset_days));
        } else {
            trig = typed("attributeChangeTrigger");
            arr = json_array();
            ok = ok && trig && arr;
            for (size_t i = 0; ok && job_attributes[i]; i++) {
                json_t *a = json_object();

                if (!a || model__set(a, "name", json_string(job_attributes[i]))) {
                    json_decref(a);
                    ok = false;
                    break;
                }
                ok = !model__append(arr, a);
            }
            ok = ok && !json_object_set(trig, "triggerAttributes", arr);
        }
    }
    ok = ok && cond && !json_object_set(cond, "scope", scope) &&
         !json_object_set(cond, "trigger", trig);
    json_decref(arr);
    json_decref(scope);
    json_decref(trig);
    if (!ok) {
        json_decref(cond);
        return NULL;
    }
    return cond;
}

static json_t *task_json(const struct tpl_task *tt, size_t index)
{
    const struct model_task_def *d = model_task_definition_find(tt->def_id);
    json_t *task = json_object();
    json_t *args = json_array();
    bool ok = task && args && d;

    for (size_t i = 0; ok && tt->args && tt->args[i].name; i++) {
        json_t *a = json_object();

        ok = a && !model__set(a, "name", json_string(tt->args[i].name)) &&
             !model__set(a, "value", json_string(tt->args[i].value));
        if (!ok) {
            json_decref(a);
            break;
        }
        ok = !model__append(args, a);
    }
    ok = ok && !json_object_set(task, "arguments", args) &&
         !model__set(task, "category", json_string(d->category)) &&
         !model__set(task, "continueOnError", json_boolean(tt->continue_on_error)) &&
         !model__set(task, "description", json_string(d->description)) &&
         !model__set(task, "displayName", json_string(d->display_name)) &&
         !model__set(task, "executionSequence", json_integer((json_int_t)index + 1)) &&
         !model__set(task, "id", json_string(tt->id)) &&
         !model__set(task, "isEnabled", json_boolean(tt->is_enabled)) &&
         !model__set(task, "taskDefinitionId", json_string(d->id));
    json_decref(args);
    if (!ok) {
        json_decref(task);
        return NULL;
    }
    return task;
}

json_t *model_template_to_json(size_t i)
{
    const struct tpl *t;
    json_t *o, *tasks;
    bool ok;

    if (i >= ARRAY_LEN(tpls))
        return NULL;
    t = &tpls[i];
    o = json_object();
    tasks = json_array();
    ok = o && tasks && !model__set(o, "id", json_string(t->id)) &&
         !model__set(o, "category", json_string(t->category)) &&
         !model__set(o, "description", json_string(t->description)) &&
         !model__set(o, "displayName", json_string(t->display_name)) &&
         !model__set(o, "executionConditions", conditions_json(t));
    for (size_t k = 0; ok && k < t->task_count; k++)
        ok = !model__append(tasks, task_json(&t->tasks[k], k));
    ok = ok && !json_object_set(o, "tasks", tasks);
    json_decref(tasks);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}
