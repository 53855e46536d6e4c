/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for workflow request bodies: POST /workflows normalisation, a
 * table of invalid bodies with their exact error targets, createNewVersion,
 * PATCH of workflows and tasks, and allocation-failure loops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "lcw/common.h"
#include "lcw/model.h"

#define NS "#microsoft.graph.identityGovernance."

/* Parse test JSON written with ` for " (so rules can keep their '). */
static json_t *J(const char *s)
{
    char *copy = lcw_strdup(s);
    json_error_t e;
    json_t *j;

    assert_non_null(copy);
    for (char *p = copy; *p; p++) {
        if (*p == '`')
            *p = '"';
    }
    j = json_loads(copy, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!j)
        fail_msg("bad test JSON (%s at %d): %s", e.text, e.position, copy);
    lcw_free(copy);
    return j;
}

/* RFC 7386 merge patch, plus the string "@null" meaning JSON null. */
static void merge(json_t *target, const json_t *patch)
{
    const char *key;
    json_t *v;

    json_object_foreach ((json_t *)(uintptr_t)patch, key, v) {
        json_t *cur = json_object_get(target, key);

        if (json_is_null(v))
            json_object_del(target, key);
        else if (json_is_string(v) && strcmp(json_string_value(v), "@null") == 0)
            json_object_set_new(target, key, json_null());
        else if (json_is_object(v) && json_is_object(cur))
            merge(cur, v);
        else
            json_object_set(target, key, v);
    }
}

static const char *base_body =
        "{`category`:`joiner`,`displayName`:`Onboard sales`,`description`:`d`,"
        "`isEnabled`:true,`isSchedulingEnabled`:false,"
        "`executionConditions`:{`@odata.type`:`" NS "triggerAndScopeBasedConditions`,"
        "`scope`:{`@odata.type`:`" NS "ruleBasedSubjectSet`,`rule`:`(department eq 'Sales')`},"
        "`trigger`:{`@odata.type`:`" NS "timeBasedAttributeTrigger`,"
        "`timeBasedAttribute`:`employeeHireDate`,`offsetInDays`:1}},"
        "`tasks`:[{`displayName`:`Enable`,`taskDefinitionId`:`6fc52c9d-398b-4305-9763-15f42c1676fc`,"
        "`arguments`:[]},"
        "{`displayName`:`Groups`,`taskDefinitionId`:`22085229-5809-45e8-97fd-270d28d66910`,"
        "`arguments`:[{`name`:`groupID`,`value`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`}]}]}";

static json_t *base_with(const char *patch)
{
    json_t *b = J(base_body);

    if (patch) {
        json_t *p = J(patch);

        merge(b, p);
        json_decref(p);
    }
    return b;
}

static int setup(void **state)
{
    (void)state;
    lcw_alloc_install_jansson();
    return 0;
}

/* ------------------------------------------------------------ valid create */

static void test_create__base__normalised(void **state)
{
    json_t *body = base_with(NULL), *out = NULL, *t0, *t1;
    struct lcw_error err = {0};
    const char *id;

    (void)state;
    assert_int_equal(model_workflow_from_create(body, NULL, &out, &err), 0);
    assert_string_equal(json_string_value(json_object_get(out, "category")), "joiner");
    assert_true(json_is_true(json_object_get(out, "isEnabled")));
    assert_true(json_is_false(json_object_get(out, "isSchedulingEnabled")));
    assert_string_equal(json_string_value(json_object_get(out, "targetSubjectType")), "user");
    assert_true(json_is_null(json_object_get(out, "settings")));
    assert_int_equal(json_array_size(json_object_get(out, "tasks")), 2);
    t0 = json_array_get(json_object_get(out, "tasks"), 0);
    t1 = json_array_get(json_object_get(out, "tasks"), 1);
    assert_int_equal(json_integer_value(json_object_get(t0, "executionSequence")), 1);
    assert_int_equal(json_integer_value(json_object_get(t1, "executionSequence")), 2);
    assert_string_equal(json_string_value(json_object_get(t0, "category")), "joiner,leaver");
    assert_string_equal(json_string_value(json_object_get(t1, "category")), "joiner,leaver,mover");
    assert_true(json_is_true(json_object_get(t0, "isEnabled")));
    assert_true(json_is_false(json_object_get(t0, "continueOnError")));
    assert_true(json_is_null(json_object_get(t0, "description")));
    id = json_string_value(json_object_get(t0, "id"));
    assert_non_null(id);
    assert_true(uuid_valid(id, strlen(id)));
    assert_string_not_equal(id, json_string_value(json_object_get(t1, "id")));
    assert_string_equal(json_string_value(json_object_get(
                                json_array_get(json_object_get(t1, "arguments"), 0), "value")),
                        "668e7540-7f8e-4ca4-a207-b7dffbb6d038");
    /* Only settable properties, in a fixed shape. */
    assert_int_equal(json_object_size(out), 9);
    json_decref(out);
    json_decref(body);
}

static void test_create__lenient_spellings__canonicalised(void **state)
{
    json_t *body = base_with(
            "{`category`:`Joiner`,`description`:`@null`,`isSchedulingEnabled`:true,"
            "`@odata.type`:`microsoft.graph.identityGovernance.workflow`,"
            "`executionConditions`:{`@odata.type`:`Microsoft.Graph.IdentityGovernance.TriggerAndScopeBasedConditions`,"
            "`trigger`:{`timeBasedAttribute`:`EMPLOYEEHIREDATE`}},"
            "`tasks`:[{`id`:`AAAAAAAA-bbbb-4ccc-8ddd-eeeeeeeeeeee`,`displayName`:`Remind`,"
            "`taskDefinitionId`:`3c860712-2d37-42a4-928f-5c93935d26a1`,`executionSequence`:1,"
            "`category`:`joiner`,`arguments`:[{`name`:`LOCALE`,`value`:`en-US`},{`name`:`to`,`value`:`manager`}]},"
            "{`displayName`:`Enable`,`taskDefinitionId`:`6fc52c9d-398b-4305-9763-15f42c1676fc`,"
            "`category`:`leaver,joiner`,`arguments`:[{`name`:`enableOnPremisesAccount`,`value`:`TRUE`}]}]}");
    json_t *out = NULL, *t0, *t1, *cond;
    struct lcw_error err = {0};

    (void)state;
    assert_int_equal(model_workflow_from_create(body, NULL, &out, &err), 0);
    assert_string_equal(json_string_value(json_object_get(out, "category")), "joiner");
    assert_true(json_is_null(json_object_get(out, "description")));
    assert_true(json_is_true(json_object_get(out, "isSchedulingEnabled")));
    cond = json_object_get(out, "executionConditions");
    assert_string_equal(json_string_value(json_object_get(cond, "@odata.type")),
                        NS "triggerAndScopeBasedConditions");
    assert_string_equal(json_string_value(json_object_get(json_object_get(cond, "trigger"),
                                                          "timeBasedAttribute")),
                        "employeeHireDate");
    t0 = json_array_get(json_object_get(out, "tasks"), 0);
    t1 = json_array_get(json_object_get(out, "tasks"), 1);
    assert_string_equal(json_string_value(json_object_get(t0, "id")),
                        "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
    assert_string_equal(json_string_value(json_object_get(t0, "taskDefinitionId")),
                        "3C860712-2D37-42A4-928F-5C93935D26A1");
    assert_string_equal(json_string_value(json_object_get(
                                json_array_get(json_object_get(t0, "arguments"), 0), "name")),
                        "locale");
    assert_string_equal(json_string_value(json_object_get(
                                json_array_get(json_object_get(t1, "arguments"), 0), "value")),
                        "true");
    json_decref(out);
    json_decref(body);
}

static void test_create__disabled_task__may_omit_required_arguments(void **state)
{
    json_t *body = base_with("{`tasks`:[{`displayName`:`Groups later`,`isEnabled`:false,"
                             "`taskDefinitionId`:`22085229-5809-45e8-97fd-270d28d66910`}]}");
    json_t *out = NULL;
    struct lcw_error err = {0};

    (void)state;
    assert_int_equal(model_workflow_from_create(body, NULL, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(
                             json_array_get(json_object_get(out, "tasks"), 0), "arguments")),
                     0);
    json_decref(out);
    json_decref(body);
}

static void test_create__other_shapes__accepted(void **state)
{
    static const char *const patches[] = {
            /* on demand */
            "{`category`:`leaver`,`executionConditions`:{`@odata.type`:`" NS
            "onDemandExecutionOnly`,"
            "`scope`:null,`trigger`:null},`tasks`:[{`displayName`:`Del`,"
            "`taskDefinitionId`:`8d18588d-9ad3-4c0f-99d0-ec215f0e3dff`}]}",
            /* group membership change */
            "{`category`:`mover`,`executionConditions`:{`scope`:{`@odata.type`:`#"
            "microsoft.graph.identityGovernance.groupBasedSubjectSet`,"
            "`rule`:null,`groups`:[{`id`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`},{`@odata.type`:`#microsoft.graph.group`,`id`:`768e7540-7f8e-4ca4-a207-b7dffbb6d038`}]},"
            "`trigger`:{`@odata.type`:`" NS
            "membershipChangeTrigger`,`timeBasedAttribute`:null,`offsetInDays`:null,`changeType`:`remove`}},"
            "`tasks`:[{`displayName`:`Mail`,`taskDefinitionId`:`aab41899-9972-422a-9d97-f626014578b7`}]}",
            /* attribute change */
            "{`category`:`mover`,`executionConditions`:{`trigger`:{`@odata.type`:`" NS
            "attributeChangeTrigger`,"
            "`timeBasedAttribute`:null,`offsetInDays`:null,`triggerAttributes`:[{`name`:`department`},{`name`:`employeeOrgData/costCenter`}]}},"
            "`tasks`:[{`displayName`:`Lic`,`taskDefinitionId`:`683c87a4-2ad4-420b-97d4-220d90afcd24`,"
            "`arguments`:[{`name`:`licenses`,`value`:`ENTERPRISEPACK, 6fd2c87f-b296-42f0-b197-1e91e994b900`}]}]}",
            /* createdDateTime trigger, boundaries, quarantine settings, TAP and email args */
            "{`executionConditions`:{`trigger`:{`timeBasedAttribute`:`createdDateTime`,`offsetInDays`:-180}},"
            "`settings`:{`quarantineConfiguration`:{`matchMode`:`All`,`conditions`:["
            "{`@odata.type`:`" NS "countBasedQuarantineCondition`,`threshold`:10},"
            "{`@odata.type`:`" NS "percentageBasedQuarantineCondition`,`percentage`:100}]}},"
            "`tasks`:[{`displayName`:`TAP`,`taskDefinitionId`:`1b555e50-7f65-41d5-b514-5894a026d10d`,"
            "`continueOnError`:true,`arguments`:[{`name`:`tapLifetimeMinutes`,`value`:`43200`},"
            "{`name`:`tapIsUsableOnce`,`value`:`false`},{`name`:`to`,`value`:`User/onPremisesExtensionAttributes/extensionAttribute15, Manager`},"
            "{`name`:`cc`,`value`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038,768e7540-7f8e-4ca4-a207-b7dffbb6d038`},"
            "{`name`:`customSubject`,`value`:`Welcome {{userDisplayName}}`},{`name`:`customBody`,`value`:``},"
            "{`name`:`locale`,`value`:`zh-Hant-TW`}]}]}",
            /* update user attributes, custom extension, access packages */
            "{`tasks`:[{`displayName`:`Attrs`,`taskDefinitionId`:`2c8f4a1b-7d3e-4f9c-8a5b-6e1d2c3f4a5b`,"
            "`arguments`:[{`name`:`attributes`,`value`:`{\\`department\\`:\\`Sales\\`,\\`employeeOrgData/costCenter\\`:null}`}]},"
            "{`displayName`:`CTE`,`taskDefinitionId`:`4262b724-8dba-4fad-afc3-43fcbb497a0e`,"
            "`arguments`:[{`name`:`customTaskExtensionID`,`value`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`}]},"
            "{`displayName`:`AP`,`taskDefinitionId`:`c1ec1e76-f374-4375-aaa6-0bb6bd4c60be`,"
            "`arguments`:[{`name`:`assignmentPolicyId`,`value`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`},"
            "{`name`:`accessPackageId`,`value`:`768e7540-7f8e-4ca4-a207-b7dffbb6d038`}]}]}",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(patches) / sizeof(patches[0]); i++) {
        json_t *body = base_with(patches[i]), *out = NULL;
        struct lcw_error err = {0};
        int rc = model_workflow_from_create(body, NULL, &out, &err);

        if (rc)
            fail_msg("shape %zu: %s (target %s)", i, err.msg, err.target);
        json_decref(out);
        json_decref(body);
    }
}

/* --------------------------------------------------------- invalid bodies */

struct bad_case {
    const char *patch; /* merge patch over base_body; "!..." = the whole body */
    const char *target;
    const char *msg;
};

#define LEAVER_TASK(args)                                                                                             \
    "{`category`:`leaver`,`tasks`:[{`displayName`:`x`,`taskDefinitionId`:`b3a31406-2a15-4c9a-b25b-a658fa5f07fc`" args \
    "}]}"
#define TASK1_ARGS(args)                                                                                        \
    "{`tasks`:[{`displayName`:`G`,`taskDefinitionId`:`22085229-5809-45e8-97fd-270d28d66910`,`arguments`:[" args \
    "]}]}"
#define TAP_ARGS(args)                                                                                          \
    "{`tasks`:[{`displayName`:`T`,`taskDefinitionId`:`1b555e50-7f65-41d5-b514-5894a026d10d`,`arguments`:[" args \
    "]}]}"
#define GROUP_SCOPE(groups)                               \
    "{`executionConditions`:{`scope`:{`@odata.type`:`" NS \
    "groupBasedSubjectSet`,`rule`:null,`groups`:" groups "}}}"

static const struct bad_case bad_cases[] = {
        {"![]", "", "must be a JSON object"},
        {"!`x`", "", "must be a JSON object"},
        {"{`foo`:1}", "foo", "Unknown property 'foo' on workflow"},
        {"{`version`:2}", "version", "Property 'version' is read-only"},
        {"{`id`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`}", "id", "Property 'id' is read-only"},
        {"{`createdDateTime`:`2024-01-01T00:00:00Z`}", "createdDateTime", "is read-only"},
        {"{`quarantineDetails`:{}}", "quarantineDetails", "is read-only"},
        {"{`nextScheduleRunDateTime`:null}", NULL, NULL}, /* deleting is fine: sanity row skipped */
        {"{`@odata.context`:`x`}", "@odata.context", "Property '@odata.context' is read-only"},
        {"{`tasks@odata.context`:`x`}", "tasks@odata.context", "is read-only"},
        {"{`@odata.type`:`" NS "task`}", "@odata.type",
         "must be '#microsoft.graph.identityGovernance.workflow'"},
        {"{`DisplayName`:`x`}", "DisplayName", "did you mean 'displayName'?"},
        {"{`displayName`:null}", "displayName", "displayName: is required"},
        {"{`displayName`:`@null`}", "displayName", "cannot be null"},
        {"{`displayName`:`   `}", "displayName", "must not be empty"},
        {"{`displayName`:5}", "displayName", "expected a string"},
        {"{`displayName`:`a\\nb`}", "displayName", "control characters"},
        {"{`displayName`:`a\\u0000b`}", "displayName", "NUL"},
        {"{`description`:3}", "description", "expected a string"},
        {"{`category`:null}", "category", "is required"},
        {"{`category`:`hr`}", "category", "must be one of joiner, leaver, mover (got 'hr')"},
        {"{`category`:`extensibility`}", "category", "not supported"},
        {"{`category`:`unknownFutureValue`}", "category", "include-unknown-enum-members"},
        {"{`isEnabled`:`yes`}", "isEnabled", "isEnabled: expected a boolean"},
        {"{`isSchedulingEnabled`:1}", "isSchedulingEnabled", "expected a boolean"},
        {"{`isEnabled`:false,`isSchedulingEnabled`:true}", "isSchedulingEnabled",
         "while isEnabled is false"},
        {"{`targetSubjectType`:`provisioningObject`}", "targetSubjectType", "not supported"},
        {"{`targetSubjectType`:`robot`}", "targetSubjectType", "must be 'user'"},
        {"{`executionConditions`:null}", "executionConditions", "executionConditions: is required"},
        {"{`executionConditions`:`x`}", "executionConditions", "expected an object"},
        {"{`executionConditions`:{`@odata.type`:`" NS "bogus`}}", "executionConditions.@odata.type",
         "unsupported type"},
        {"{`executionConditions`:{`@odata.type`:null}}", "executionConditions.@odata.type",
         "is required"},
        {"{`executionConditions`:{`@odata.type`:`triggerAndScopeBasedConditions`}}",
         "executionConditions.@odata.type", "unsupported type"},
        {"{`executionConditions`:{`scope`:null}}", "executionConditions.scope", "is required"},
        {"{`executionConditions`:{`trigger`:null}}", "executionConditions.trigger", "is required"},
        {"{`executionConditions`:{`trigger`:[]}}", "executionConditions.trigger",
         "expected an object"},
        {"{`executionConditions`:{`scope`:{`rule`:``}}}", "executionConditions.scope.rule",
         "must not be empty"},
        {"{`executionConditions`:{`scope`:{`rule`:7}}}", "executionConditions.scope.rule",
         "expected a string"},
        {"{`executionConditions`:{`scope`:{`extra`:1}}}", "executionConditions.scope.extra",
         "Unknown property 'extra' on ruleBasedSubjectSet (executionConditions.scope)"},
        {"{`executionConditions`:{`extra`:1}}", "executionConditions.extra",
         "Unknown property 'extra' on triggerAndScopeBasedConditions"},
        {"{`executionConditions`:{`trigger`:{`offsetInDays`:365}}}",
         "executionConditions.trigger.offsetInDays",
         "offsetInDays: must be between -180 and 180 (got 365)"},
        {"{`executionConditions`:{`trigger`:{`offsetInDays`:-181}}}",
         "executionConditions.trigger.offsetInDays", "(got -181)"},
        {"{`executionConditions`:{`trigger`:{`offsetInDays`:1.5}}}",
         "executionConditions.trigger.offsetInDays", "expected an integer"},
        {"{`executionConditions`:{`trigger`:{`timeBasedAttribute`:`birthday`}}}",
         "executionConditions.trigger.timeBasedAttribute", "must be one of employeeHireDate"},
        {"{`executionConditions`:{`trigger`:{`timeBasedAttribute`:null}}}",
         "executionConditions.trigger.timeBasedAttribute", "is required"},
        {"{`executionConditions`:{`trigger`:{`timeBasedAttribute`:`unknownFutureValue`}}}",
         "executionConditions.trigger.timeBasedAttribute", "must be one of"},
        {"{`executionConditions`:{`scope`:{`@odata.type`:`" NS "groupBasedSubjectSet`}}}",
         "executionConditions.scope.rule", "Unknown property 'rule' on groupBasedSubjectSet"},
        {GROUP_SCOPE("[]"), "executionConditions.scope.groups", "at least one group"},
        {GROUP_SCOPE("null"), "executionConditions.scope.groups", "is required"},
        {GROUP_SCOPE("[`x`]"), "executionConditions.scope.groups[0]", "expected an object"},
        {GROUP_SCOPE("[{`id`:`nope`}]"), "executionConditions.scope.groups[0].id",
         "must be a group id"},
        {GROUP_SCOPE(
                 "[{`id`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`},{`id`:`668E7540-7f8e-4ca4-a207-b7dffbb6d038`}]"),
         "executionConditions.scope.groups[1].id", "listed twice"},
        {"{`executionConditions`:{`trigger`:{`@odata.type`:`" NS
         "membershipChangeTrigger`,`timeBasedAttribute`:null,`offsetInDays`:null,`changeType`:`add`}}}",
         "executionConditions.trigger", "needs a groupBasedSubjectSet"},
        {"{`executionConditions`:{`trigger`:{`@odata.type`:`" NS
         "membershipChangeTrigger`,`timeBasedAttribute`:null,`offsetInDays`:null,`changeType`:`flip`}}}",
         "executionConditions.trigger.changeType", "must be one of add, remove (got 'flip')"},
        {"{`executionConditions`:{`trigger`:{`@odata.type`:`" NS
         "attributeChangeTrigger`,`timeBasedAttribute`:null,`offsetInDays`:null,`triggerAttributes`:[]}}}",
         "executionConditions.trigger.triggerAttributes", "at least one attribute"},
        {"{`executionConditions`:{`trigger`:{`@odata.type`:`" NS
         "attributeChangeTrigger`,`timeBasedAttribute`:null,`offsetInDays`:null,`triggerAttributes`:[{`name`:`dept ment`}]}}}",
         "executionConditions.trigger.triggerAttributes[0].name", "not a user attribute name"},
        {"{`executionConditions`:{`trigger`:{`@odata.type`:`" NS
         "attributeChangeTrigger`,`timeBasedAttribute`:null,`offsetInDays`:null}}}",
         "executionConditions.trigger.triggerAttributes", "is required"},
        {"{`executionConditions`:{`@odata.type`:`" NS "onDemandExecutionOnly`}}",
         "executionConditions.scope", "Unknown property 'scope' on onDemandExecutionOnly"},
        {"{`isSchedulingEnabled`:true,`executionConditions`:{`@odata.type`:`" NS
         "onDemandExecutionOnly`,`scope`:null,`trigger`:null}}",
         "isSchedulingEnabled", "onDemandExecutionOnly"},
        {"{`settings`:{`foo`:1}}", "settings.foo", "Unknown property 'foo' on workflowSetting"},
        {"{`settings`:{`quarantineConfiguration`:{`conditions`:[{`@odata.type`:`" NS
         "percentageBasedQuarantineCondition`,`percentage`:0}]}}}",
         "settings.quarantineConfiguration.conditions[0].percentage",
         "must be between 1 and 100 (got 0)"},
        {"{`settings`:{`quarantineConfiguration`:{`matchMode`:`most`,`conditions`:[]}}}",
         "settings.quarantineConfiguration.matchMode", "must be one of any, all"},
        {"{`settings`:{`quarantineConfiguration`:{`conditions`:[]}}}",
         "settings.quarantineConfiguration.conditions", "one or two conditions"},
        {"{`settings`:{`quarantineConfiguration`:{`conditions`:[{`@odata.type`:`" NS
         "countBasedQuarantineCondition`,`threshold`:1},{`@odata.type`:`" NS
         "countBasedQuarantineCondition`,`threshold`:2}]}}}",
         "settings.quarantineConfiguration.conditions[1]",
         "only one countBasedQuarantineCondition"},
        {"{`tasks`:null}", "tasks", "tasks: is required"},
        {"{`tasks`:[]}", "tasks", "at least one task"},
        {"{`tasks`:{}}", "tasks", "expected an array"},
        {"{`tasks`:[5]}", "tasks[0]", "expected a task object"},
        {"{`tasks`:[{`taskDefinitionId`:`6fc52c9d-398b-4305-9763-15f42c1676fc`}]}",
         "tasks[0].displayName", "tasks[0].displayName: is required"},
        {"{`tasks`:[{`displayName`:`x`}]}", "tasks[0].taskDefinitionId", "is required"},
        {"{`tasks`:[{`displayName`:`x`,`taskDefinitionId`:`00000000-0000-0000-0000-000000000000`}]}",
         "tasks[0].taskDefinitionId",
         "tasks[0].taskDefinitionId: no task definition with id '00000000-0000-0000-0000-000000000000'"},
        {"{`tasks`:[{`displayName`:`x`,`taskDefinitionId`:`b3a31406-2a15-4c9a-b25b-a658fa5f07fc`}]}",
         "tasks[0].taskDefinitionId",
         "task definition 'Remove user from all groups' (leaver) cannot be used in a joiner workflow"},
        {"{`category`:`mover`}", "tasks[0].taskDefinitionId",
         "'Enable user account' (joiner,leaver) cannot be used in a mover workflow"},
        {"{`tasks`:[{`displayName`:`x`,`foo`:1}]}", "tasks[0].foo",
         "Unknown property 'foo' on task (tasks[0])"},
        {"{`tasks`:[{`displayName`:`x`,`taskProcessingResults`:[]}]}",
         "tasks[0].taskProcessingResults",
         "Property 'tasks[0].taskProcessingResults' is read-only"},
        {"{`tasks`:[{`id`:`abc`,`displayName`:`x`,`taskDefinitionId`:`6fc52c9d-398b-4305-9763-15f42c1676fc`}]}",
         "tasks[0].id", "must be a GUID"},
        {"{`tasks`:[{`id`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`,`displayName`:`x`,`taskDefinitionId`:`6fc52c9d-398b-4305-9763-15f42c1676fc`},"
         "{`id`:`668E7540-7F8E-4CA4-A207-B7DFFBB6D038`,`displayName`:`y`,`taskDefinitionId`:`6fc52c9d-398b-4305-9763-15f42c1676fc`}]}",
         "tasks[1].id",
         "duplicate task id '668e7540-7f8e-4ca4-a207-b7dffbb6d038' (also used by tasks[0])"},
        {"{`tasks`:[{`displayName`:`x`,`taskDefinitionId`:`6fc52c9d-398b-4305-9763-15f42c1676fc`,`continueOnError`:`no`}]}",
         "tasks[0].continueOnError", "expected a boolean"},
        {"{`tasks`:[{`displayName`:`x`,`taskDefinitionId`:`6fc52c9d-398b-4305-9763-15f42c1676fc`,`isEnabled`:null}]}",
         "tasks[0].isEnabled", "expected a boolean"},
        {"{`tasks`:[{`displayName`:`x`,`taskDefinitionId`:`6fc52c9d-398b-4305-9763-15f42c1676fc`,`category`:`leaver`}]}",
         "tasks[0].category", "derived from the task definition"},
        {"{`tasks`:[{`displayName`:`x`,`taskDefinitionId`:`6fc52c9d-398b-4305-9763-15f42c1676fc`,`executionSequence`:5}]}",
         "tasks[0].executionSequence", "(expected 1)"},
        {"{`tasks`:[{`displayName`:`x`,`taskDefinitionId`:`6fc52c9d-398b-4305-9763-15f42c1676fc`,`arguments`:{}}]}",
         "tasks[0].arguments", "expected an array"},
        {TASK1_ARGS("{`name`:`x`,`value`:`1`}"), "tasks[0].arguments",
         "tasks[0].arguments: unknown argument 'x' for 'Add user to groups' (allowed: groupID)"},
        {LEAVER_TASK(",`arguments`:[{`name`:`a`,`value`:`b`}]"), "tasks[0].arguments",
         "this task takes no arguments"},
        {TASK1_ARGS(
                 "{`name`:`groupID`,`value`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`},{`name`:`GROUPID`,`value`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`}"),
         "tasks[0].arguments", "argument 'groupID' is given twice"},
        {TASK1_ARGS(""), "tasks[0].arguments",
         "tasks[0].arguments: missing required argument 'groupID'"},
        {TASK1_ARGS("{`name`:`groupID`,`value`:``}"), "tasks[0].arguments",
         "missing required argument 'groupID'"},
        {TASK1_ARGS("{`name`:`groupID`,`value`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038,Sales`}"),
         "tasks[0].arguments", "bad entry 'Sales'"},
        {TASK1_ARGS("{`name`:`groupID`}"), "tasks[0].arguments[0].value", "is required"},
        {TASK1_ARGS("{`name`:`groupID`,`value`:true}"), "tasks[0].arguments[0].value",
         "expected a string"},
        {TASK1_ARGS("{`name`:`groupID`,`value`:``,`foo`:1}"), "tasks[0].arguments[0].foo",
         "Unknown property 'foo' on keyValuePair"},
        {TASK1_ARGS("`groupID`"), "tasks[0].arguments[0]", "expected an object"},
        {"{`tasks`:[{`displayName`:`x`,`taskDefinitionId`:`6fc52c9d-398b-4305-9763-15f42c1676fc`,`arguments`:[{`name`:`enableOnPremisesAccount`,`value`:`yes`}]}]}",
         "tasks[0].arguments", "'enableOnPremisesAccount' must be one of true, false (got 'yes')"},
        {TAP_ARGS("{`name`:`tapLifetimeMinutes`,`value`:`5`}"), "tasks[0].arguments",
         "between 10 and 43200"},
        {TAP_ARGS("{`name`:`tapLifetimeMinutes`,`value`:`60min`}"), "tasks[0].arguments",
         "(got '60min')"},
        {TAP_ARGS("{`name`:`to`,`value`:`Boss`}"), "tasks[0].arguments",
         "'to' must be User, Manager, Sponsors"},
        {TAP_ARGS(
                 "{`name`:`to`,`value`:`User/onPremisesExtensionAttributes/extensionAttribute16`}"),
         "tasks[0].arguments", "bad entry"},
        {TAP_ARGS(
                 "{`name`:`to`,`value`:`Sponsors`},{`name`:`cc`,`value`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`}"),
         "tasks[0].arguments", "'cc' cannot be combined"},
        {TAP_ARGS("{`name`:`cc`,`value`:`bob@example.com`}"), "tasks[0].arguments",
         "'cc' must be a user id"},
        {TAP_ARGS("{`name`:`locale`,`value`:`e`}"), "tasks[0].arguments",
         "'locale' must be a language tag"},
        {"{`tasks`:[{`displayName`:`W`,`taskDefinitionId`:`70b29d51-b59a-4773-9280-8841dfd3f2ea`,`arguments`:[{`name`:`to`,`value`:`User/otherMails`}]}]}",
         "tasks[0].arguments", "'to' must be"},
        {"{`tasks`:[{`displayName`:`A`,`taskDefinitionId`:`2c8f4a1b-7d3e-4f9c-8a5b-6e1d2c3f4a5b`,`arguments`:[{`name`:`attributes`,`value`:`notjson`}]}]}",
         "tasks[0].arguments", "'attributes' must be a JSON object"},
        {"{`tasks`:[{`displayName`:`A`,`taskDefinitionId`:`2c8f4a1b-7d3e-4f9c-8a5b-6e1d2c3f4a5b`,`arguments`:[{`name`:`attributes`,`value`:`{\\`accountEnabled\\`:\\`false\\`}`}]}]}",
         "tasks[0].arguments", "'accountEnabled' cannot be set by this task"},
        {"{`tasks`:[{`displayName`:`A`,`taskDefinitionId`:`2c8f4a1b-7d3e-4f9c-8a5b-6e1d2c3f4a5b`,`arguments`:[{`name`:`attributes`,`value`:`{\\`department\\`:5}`}]}]}",
         "tasks[0].arguments", "the value of 'department' must be a string"},
        {"{`tasks`:[{`displayName`:`C`,`taskDefinitionId`:`4262b724-8dba-4fad-afc3-43fcbb497a0e`,`arguments`:[{`name`:`customTaskExtensionID`,`value`:`x`}]}]}",
         "tasks[0].arguments", "'customTaskExtensionID' must be a GUID"},
        {"{`tasks`:[{`displayName`:`AP`,`taskDefinitionId`:`c1ec1e76-f374-4375-aaa6-0bb6bd4c60be`,`arguments`:[{`name`:`accessPackageId`,`value`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`}]}]}",
         "tasks[0].arguments", "missing required argument 'assignmentPolicyId'"},
};

static void test_create__bad_bodies__exact_targets(void **state)
{
    size_t checked = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *bc = &bad_cases[i];
        json_t *body = bc->patch[0] == '!' ? J(bc->patch + 1) : base_with(bc->patch);
        json_t *out = (json_t *)1;
        struct lcw_error err = {0};
        int rc = model_workflow_from_create(body, NULL, &out, &err);

        if (!bc->target) {
            assert_int_equal(rc, 0);
            json_decref(out);
            json_decref(body);
            continue;
        }
        if (rc != LCW_EINVAL)
            fail_msg("case %zu (%s): expected LCW_EINVAL, got %d", i, bc->patch, rc);
        assert_null(out);
        if (strcmp(err.target, bc->target) != 0 || !strstr(err.msg, bc->msg))
            fail_msg("case %zu (%s):\n  target '%s' (want '%s')\n  msg '%s' (want '%s')", i,
                     bc->patch, err.target, bc->target, err.msg, bc->msg);
        checked++;
        json_decref(body);
    }
    print_message("%zu invalid bodies checked\n", checked);
    assert_true(checked >= 50);
}

static void test_create__limits__enforced(void **state)
{
    struct model_limits lim;
    json_t *body = base_with(NULL), *out = NULL;
    struct lcw_error err = {0};
    char name[300];

    (void)state;
    model_limits_default(&lim);
    assert_int_equal(lim.max_tasks, 25);
    assert_int_equal(lim.min_offset_days, -180);
    assert_int_equal(lim.max_offset_days, 180);
    lim.max_tasks = 1;
    assert_int_equal(model_workflow_from_create(body, &lim, &out, &err), LCW_EINVAL);
    assert_string_equal(err.target, "tasks");
    assert_non_null(strstr(err.msg, "at most 1 tasks are allowed per workflow (got 2)"));

    /* 26 tasks against the default limit. */
    json_t *tasks = json_object_get(body, "tasks");
    while (json_array_size(tasks) < 26)
        json_array_append(tasks, json_array_get(tasks, 0));
    assert_int_equal(model_workflow_from_create(body, NULL, &out, &err), LCW_EINVAL);
    assert_non_null(strstr(err.msg, "at most 25 tasks"));
    while (json_array_size(tasks) > 25)
        json_array_remove(tasks, 25);
    assert_int_equal(model_workflow_from_create(body, NULL, &out, &err), 0);
    json_decref(out);

    /* Lengths count characters, not bytes. */
    memset(name, 'a', 257);
    name[257] = '\0';
    json_object_set_new(body, "displayName", json_string(name));
    assert_int_equal(model_workflow_from_create(body, NULL, &out, &err), LCW_EINVAL);
    assert_string_equal(err.target, "displayName");
    assert_non_null(strstr(err.msg, "at most 256 characters (got 257)"));
    for (int i = 0; i < 128; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2); /* 128 x e-acute = 256 bytes */
    name[256] = '\0';
    json_object_set_new(body, "displayName", json_string(name));
    assert_int_equal(model_workflow_from_create(body, NULL, &out, &err), 0);
    json_decref(out);
    json_decref(body);
}

/* ------------------------------------------------------------ new version */

static void test_new_version__wrapped__same_rules(void **state)
{
    json_t *inner = base_with(NULL), *body = json_object(), *out = NULL;
    struct lcw_error err = {0};

    (void)state;
    json_object_set(body, "workflow", inner);
    assert_int_equal(model_workflow_from_new_version(body, NULL, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "tasks")), 2);
    json_decref(out);

    json_object_set_new(inner, "version", json_integer(3));
    assert_int_equal(model_workflow_from_new_version(body, NULL, &out, &err), LCW_EINVAL);
    assert_string_equal(err.target, "workflow.version");
    assert_non_null(strstr(err.msg, "Property 'workflow.version' is read-only"));
    json_object_del(inner, "version");

    json_object_set_new(json_array_get(json_object_get(inner, "tasks"), 1), "arguments",
                        json_array());
    assert_int_equal(model_workflow_from_new_version(body, NULL, &out, &err), LCW_EINVAL);
    assert_string_equal(err.target, "workflow.tasks[1].arguments");

    json_object_set_new(body, "extra", json_true());
    assert_int_equal(model_workflow_from_new_version(body, NULL, &out, &err), LCW_EINVAL);
    assert_string_equal(err.target, "extra");
    assert_non_null(strstr(err.msg, "on createNewVersion request"));

    json_object_clear(body);
    assert_int_equal(model_workflow_from_new_version(body, NULL, &out, &err), LCW_EINVAL);
    assert_string_equal(err.target, "workflow");
    json_object_set_new(body, "workflow", json_string("x"));
    assert_int_equal(model_workflow_from_new_version(body, NULL, &out, &err), LCW_EINVAL);
    assert_string_equal(err.target, "workflow");
    assert_int_equal(model_workflow_from_new_version(inner, NULL, &out, &err), LCW_EINVAL);
    assert_null(out);
    json_decref(inner);
    json_decref(body);
}

/* ------------------------------------------------------------------ patch */

struct patch_case {
    const char *body;
    int rc;
    const char *target;
    const char *msg;
};

static void test_patch__workflow__rules(void **state)
{
    static const struct patch_case cases[] = {
            {"{}", 0, NULL, NULL},
            {"{`displayName`:`New`,`description`:null,`isEnabled`:true,`isSchedulingEnabled`:true}",
             0, NULL, NULL},
            {"{`@odata.type`:`#microsoft.graph.identityGovernance.workflow`,`description`:`x`}", 0,
             NULL, NULL},
            {"[]", LCW_EINVAL, "", "must be a JSON object"},
            {"{`tasks`:[]}", LCW_EINVAL, "tasks",
             "Property 'tasks' cannot be updated with PATCH; use createNewVersion"},
            {"{`executionConditions`:{}}", LCW_EINVAL, "executionConditions",
             "use createNewVersion"},
            {"{`category`:`leaver`}", LCW_EINVAL, "category", "use createNewVersion"},
            {"{`settings`:null}", LCW_EINVAL, "settings", "use createNewVersion"},
            {"{`version`:4}", LCW_EINVAL, "version", "Property 'version' is read-only"},
            {"{`lastModifiedDateTime`:`x`}", LCW_EINVAL, "lastModifiedDateTime", "read-only"},
            {"{`colour`:`red`}", LCW_EINVAL, "colour", "Unknown property 'colour' on workflow"},
            {"{`displayName`:``}", LCW_EINVAL, "displayName", "must not be empty"},
            {"{`displayName`:null}", LCW_EINVAL, "displayName", "cannot be null"},
            {"{`isEnabled`:0}", LCW_EINVAL, "isEnabled", "expected a boolean"},
            {"{`isEnabled`:false}", LCW_EINVAL, "isEnabled",
             "cannot be false while isSchedulingEnabled is true"},
            {"{`isEnabled`:false,`isSchedulingEnabled`:false}", 0, NULL, NULL},
            {"{`isEnabled`:false,`isSchedulingEnabled`:true}", LCW_EINVAL, "isSchedulingEnabled",
             "while isEnabled is false"},
    };
    json_t *current =
            J("{`id`:`w1`,`version`:2,`displayName`:`Old`,`description`:`d`,`isEnabled`:true,"
              "`isSchedulingEnabled`:true,`category`:`joiner`,`tasks`:[]}");

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *body = J(cases[i].body), *out = NULL;
        struct lcw_error err = {0};
        int rc = model_workflow_patch(current, body, &out, &err);

        if (rc != cases[i].rc)
            fail_msg("patch %zu (%s): rc %d want %d: %s", i, cases[i].body, rc, cases[i].rc,
                     err.msg);
        if (rc) {
            assert_null(out);
            if (strcmp(err.target, cases[i].target) || !strstr(err.msg, cases[i].msg))
                fail_msg("patch %zu: target '%s' msg '%s'", i, err.target, err.msg);
        } else {
            /* Everything else is kept. */
            assert_string_equal(json_string_value(json_object_get(out, "id")), "w1");
            assert_int_equal(json_integer_value(json_object_get(out, "version")), 2);
        }
        if (i == 1) {
            assert_string_equal(json_string_value(json_object_get(out, "displayName")), "New");
            assert_true(json_is_null(json_object_get(out, "description")));
        }
        if (i == 0)
            assert_true(json_equal(out, current));
        json_decref(out);
        json_decref(body);
    }
    json_decref(current);
}

static void test_patch__on_demand__cannot_schedule(void **state)
{
    json_t *current =
            J("{`isEnabled`:true,`isSchedulingEnabled`:false,`executionConditions`:"
              "{`@odata.type`:`#microsoft.graph.identityGovernance.onDemandExecutionOnly`}}");
    json_t *body = J("{`isSchedulingEnabled`:true}"), *out = NULL;
    struct lcw_error err = {0};

    (void)state;
    assert_int_equal(model_workflow_patch(current, body, &out, &err), LCW_EINVAL);
    assert_string_equal(err.target, "isSchedulingEnabled");
    assert_non_null(strstr(err.msg, "onDemandExecutionOnly"));
    json_decref(body);
    json_decref(current);
}

static void test_patch__task__rules(void **state)
{
    static const struct patch_case cases[] = {
            {"{`displayName`:`Renamed`,`description`:`why`}", 0, NULL, NULL},
            {"{`description`:null}", 0, NULL, NULL},
            {"{`arguments`:[]}", LCW_EINVAL, "arguments",
             "Property 'arguments' cannot be updated with PATCH; use createNewVersion"},
            {"{`isEnabled`:false}", LCW_EINVAL, "isEnabled", "use createNewVersion"},
            {"{`continueOnError`:true}", LCW_EINVAL, "continueOnError", "use createNewVersion"},
            {"{`taskDefinitionId`:`x`}", LCW_EINVAL, "taskDefinitionId", "use createNewVersion"},
            {"{`executionSequence`:2}", LCW_EINVAL, "executionSequence", "read-only"},
            {"{`id`:`x`}", LCW_EINVAL, "id", "Property 'id' is read-only"},
            {"{`category`:`joiner`}", LCW_EINVAL, "category", "read-only"},
            {"{`nope`:1}", LCW_EINVAL, "nope", "Unknown property 'nope' on task"},
            {"{`displayName`:`  `}", LCW_EINVAL, "displayName", "must not be empty"},
            {"{`description`:1}", LCW_EINVAL, "description", "expected a string"},
            {"{`@odata.type`:`#microsoft.graph.identityGovernance.run`}", LCW_EINVAL, "@odata.type",
             "task"},
            {"5", LCW_EINVAL, "", "must be a JSON object"},
    };
    json_t *current = J(
            "{`id`:`t1`,`displayName`:`Old`,`description`:`d`,`arguments`:[],`executionSequence`:1}");

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *body = J(cases[i].body), *out = NULL;
        struct lcw_error err = {0};
        int rc = model_task_patch(current, body, &out, &err);

        if (rc != cases[i].rc)
            fail_msg("task patch %zu: rc %d: %s", i, rc, err.msg);
        if (rc && (strcmp(err.target, cases[i].target) || !strstr(err.msg, cases[i].msg)))
            fail_msg("task patch %zu: target '%s' msg '%s'", i, err.target, err.msg);
        if (i == 0) {
            assert_string_equal(json_string_value(json_object_get(out, "displayName")), "Renamed");
            assert_string_equal(json_string_value(json_object_get(out, "id")), "t1");
        }
        if (i == 1)
            assert_true(json_is_null(json_object_get(out, "description")));
        json_decref(out);
        json_decref(body);
    }
    json_decref(current);
}

/* ------------------------------------------------------ allocation failure */

typedef int alloc_fn(void *ctx);

static struct lcw_error g_err;
static json_t *g_current;

static void alloc_loop(const char *what, alloc_fn *fn, void *ctx)
{
    long n;

    for (n = 1; n < 100000; n++) {
        int rc;

        lcw_alloc_fail_at(n);
        rc = fn(ctx);
        lcw_alloc_fail_at(0);
        if (rc == 0)
            break;
        if (rc != LCW_ENOMEM)
            fail_msg("%s: allocation %ld failed -> rc %d, want LCW_ENOMEM (%s: %s)", what, n, rc,
                     g_err.target, g_err.msg);
    }
    print_message("%s: succeeded after %ld injected failures\n", what, n - 1);
    assert_true(n > 1);
}

static int run_create(void *ctx)
{
    json_t *out = NULL;
    struct lcw_error *err = &g_err;
    int rc = model_workflow_from_create(ctx, NULL, &out, err);

    json_decref(out);
    return rc;
}

static int run_new_version(void *ctx)
{
    json_t *out = NULL;
    struct lcw_error *err = &g_err;
    int rc = model_workflow_from_new_version(ctx, NULL, &out, err);

    json_decref(out);
    return rc;
}

static int run_patch(void *ctx)
{
    json_t *out = NULL;
    struct lcw_error *err = &g_err;
    int rc = model_workflow_patch(g_current, ctx, &out, err);

    json_decref(out);
    return rc;
}

static int run_task_patch(void *ctx)
{
    json_t *out = NULL;
    struct lcw_error *err = &g_err;
    int rc = model_task_patch(g_current, ctx, &out, err);

    json_decref(out);
    return rc;
}

static void test_alloc__workflow_paths__enomem_and_no_leak(void **state)
{
    json_t *rich = base_with(
            "{`settings`:{`quarantineConfiguration`:{`conditions`:[{`@odata.type`:`" NS
            "countBasedQuarantineCondition`,`threshold`:3}]}},"
            "`tasks`:[{`displayName`:`A`,`taskDefinitionId`:`2c8f4a1b-7d3e-4f9c-8a5b-6e1d2c3f4a5b`,"
            "`arguments`:[{`name`:`attributes`,`value`:`{\\`department\\`:\\`Sales\\`}`}]},"
            "{`displayName`:`T`,`taskDefinitionId`:`1b555e50-7f65-41d5-b514-5894a026d10d`,"
            "`arguments`:[{`name`:`tapLifetimeMinutes`,`value`:`60`},{`name`:`tapIsUsableOnce`,`value`:`true`}]}]}");
    json_t *group = base_with(
            "{`category`:`mover`,`executionConditions`:{`scope`:{`@odata.type`:`" NS
            "groupBasedSubjectSet`,`rule`:null,"
            "`groups`:[{`id`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`}]},`trigger`:{`@odata.type`:`" NS
            "attributeChangeTrigger`,"
            "`timeBasedAttribute`:null,`offsetInDays`:null,`triggerAttributes`:[{`name`:`department`}]}},"
            "`tasks`:[{`displayName`:`G`,`taskDefinitionId`:`22085229-5809-45e8-97fd-270d28d66910`,"
            "`arguments`:[{`name`:`groupID`,`value`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`}]}]}");
    json_t *wrapped = json_pack("{sO}", "workflow", rich);
    json_t *patch =
            J("{`displayName`:`x`,`description`:`y`,`isEnabled`:true,`isSchedulingEnabled`:false}");
    json_t *tpatch = J("{`displayName`:`x`,`description`:null}");

    (void)state;
    g_current = base_with(NULL);
    alloc_loop("create", run_create, rich);
    alloc_loop("create(group)", run_create, group);
    alloc_loop("new version", run_new_version, wrapped);
    alloc_loop("patch", run_patch, patch);
    alloc_loop("task patch", run_task_patch, tpatch);
    json_decref(g_current);
    json_decref(tpatch);
    json_decref(patch);
    json_decref(wrapped);
    json_decref(group);
    json_decref(rich);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_create__base__normalised),
            cmocka_unit_test(test_create__lenient_spellings__canonicalised),
            cmocka_unit_test(test_create__disabled_task__may_omit_required_arguments),
            cmocka_unit_test(test_create__other_shapes__accepted),
            cmocka_unit_test(test_create__bad_bodies__exact_targets),
            cmocka_unit_test(test_create__limits__enforced),
            cmocka_unit_test(test_new_version__wrapped__same_rules),
            cmocka_unit_test(test_patch__workflow__rules),
            cmocka_unit_test(test_patch__on_demand__cannot_schedule),
            cmocka_unit_test(test_patch__task__rules),
            cmocka_unit_test(test_alloc__workflow_paths__enomem_and_no_leak),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
