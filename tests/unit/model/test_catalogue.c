/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the static catalogues and enums: the 25+1 task definitions
 * (ids exactly as the spec writes them), their Graph JSON, the ten workflow
 * templates (each one must pass model_workflow_from_create), and the enum
 * helpers including the unknownFutureValue substitution.
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

static int setup(void **state)
{
    (void)state;
    lcw_alloc_install_jansson();
    return 0;
}

/* Spec section 8, in table order, with the spec's spelling and categories. */
static const struct {
    const char *id;
    const char *name;
    const char *category;
    const char *params;
} spec_defs[] = {
        {"70b29d51-b59a-4773-9280-8841dfd3f2ea", "Send welcome email", "joiner",
         "cc,customSubject,customBody,locale,to"},
        {"3C860712-2D37-42A4-928F-5C93935D26A1", "Send onboarding reminder email", "joiner",
         "cc,customSubject,customBody,locale,to"},
        {"1b555e50-7f65-41d5-b514-5894a026d10d", "Generate TAP and send email", "joiner",
         "tapLifetimeMinutes,tapIsUsableOnce,cc,customSubject,customBody,locale,to"},
        {"22085229-5809-45e8-97fd-270d28d66910", "Add user to groups", "joiner,leaver,mover",
         "groupID"},
        {"e440ed8d-25a1-4618-84ce-091ed5be5594", "Add user to Teams", "joiner,leaver,mover",
         "teamID"},
        {"6fc52c9d-398b-4305-9763-15f42c1676fc", "Enable user account", "joiner,leaver",
         "enableOnPremisesAccount"},
        {"1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950", "Disable user account", "joiner,leaver",
         "disableOnPremisesAccount"},
        {"4262b724-8dba-4fad-afc3-43fcbb497a0e", "Run a Custom Task Extension",
         "joiner,leaver,mover", "customTaskExtensionID"},
        {"1953a66c-751c-45e5-8bfe-01462c70da3c", "Remove user from selected groups",
         "joiner,leaver,mover", "groupID"},
        {"b3a31406-2a15-4c9a-b25b-a658fa5f07fc", "Remove user from all groups", "leaver", ""},
        {"06aa7acb-01af-4824-8899-b14e5ed788d6", "Remove user from selected Teams",
         "joiner,leaver,mover", "teamID"},
        {"81f7b200-2816-4b3b-8c5d-dc556f07b024", "Remove user from all Teams", "leaver", ""},
        {"8fa97d28-3e52-4985-b3a9-a1126f9b8b4e", "Remove all licenses for user", "leaver", ""},
        {"8d18588d-9ad3-4c0f-99d0-ec215f0e3dff", "Delete user account", "leaver",
         "deleteOnPremisesAccount"},
        {"52853a3e-f4e5-4eb8-bb24-1ac09a1da935", "Send email before user\xe2\x80\x99s last day",
         "leaver", "cc,customSubject,customBody,locale,to"},
        {"9c0a1eaf-5bda-4392-9d9e-6e155bb57411", "Send email on user\xe2\x80\x99s last day",
         "leaver", "cc,customSubject,customBody,locale,to"},
        {"6f22ddd4-b3a5-47a4-a846-0d7c201a49ce", "Send email after user\xe2\x80\x99s last day",
         "leaver", "cc,customSubject,customBody,locale,to"},
        {"c1ec1e76-f374-4375-aaa6-0bb6bd4c60be", "Request user access package assignment",
         "joiner,mover", "assignmentPolicyId,accessPackageId"},
        {"4a0b64f2-c7ec-46ba-b117-18f262946c50", "Remove access package assignment for user",
         "leaver,mover", "accessPackageId"},
        {"42ae2956-193d-4f39-be06-691b8ac4fa1d", "Remove all access package assignments for user",
         "leaver", ""},
        {"498770d9-bab7-4e4c-b73d-5ded82a1d0b3",
         "Cancel pending access package assignment requests for user", "leaver,mover", ""},
        {"aab41899-9972-422a-9d97-f626014578b7", "Send email to notify manager of user move",
         "mover", "cc,customSubject,customBody,locale,to"},
        {"683c87a4-2ad4-420b-97d4-220d90afcd24", "Assign licenses to user", "joiner,mover",
         "licenses"},
        {"5fc402a8-daaf-4b7b-9203-da868b05fc5f", "Remove licenses from user", "leaver,mover",
         "licenses"},
        {"509589a4-0466-4471-829e-49c5e502bdee", "Revoke all refresh tokens for user",
         "leaver,mover", ""},
        {"2c8f4a1b-7d3e-4f9c-8a5b-6e1d2c3f4a5b", "Update user attributes", "joiner,leaver,mover",
         "attributes"},
};

static void test_taskdefs__catalogue__matches_spec(void **state)
{
    size_t n = sizeof(spec_defs) / sizeof(spec_defs[0]);

    (void)state;
    assert_int_equal(model_task_definition_count(), 26);
    assert_int_equal(n, 26);
    assert_null(model_task_definition_at(26));
    for (size_t i = 0; i < n; i++) {
        const struct model_task_def *d = model_task_definition_at(i);
        char params[200] = "";
        size_t used = 0;
        unsigned bits;

        assert_non_null(d);
        assert_string_equal(d->id, spec_defs[i].id);
        assert_string_equal(d->display_name, spec_defs[i].name);
        assert_string_equal(d->category, spec_defs[i].category);
        assert_int_equal(model_category_parse(d->category, &bits), 0);
        assert_int_equal(bits, d->categories);
        assert_false(d->continue_on_error);
        assert_int_equal(d->version, 1);
        assert_true(strlen(d->description) > 10);
        assert_true(uuid_valid(d->id, strlen(d->id)));
        for (size_t k = 0; k < d->param_count; k++) {
            used += (size_t)snprintf(params + used, sizeof(params) - used, "%s%s", k ? "," : "",
                                     d->params[k].name);
        }
        assert_string_equal(params, spec_defs[i].params);
        assert_ptr_equal(model_task_definition_find(spec_defs[i].id), d);
        /* Ids are unique. */
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(model_task_definition_at(j)->id, d->id);
    }
    assert_ptr_equal(model_task_definition_find("3c860712-2d37-42a4-928f-5c93935d26a1"),
                     model_task_definition_at(1));
    assert_ptr_equal(model_task_definition_find("70B29D51-B59A-4773-9280-8841DFD3F2EA"),
                     model_task_definition_at(0));
    assert_null(model_task_definition_find("d79d1fcc-16be-490c-a865-f4533b1639ee"));
    assert_null(model_task_definition_find(NULL));
    assert_null(model_task_definition_find(""));
}

static void test_taskdefs__required_params__as_documented(void **state)
{
    static const char *const required[] = {"groupID",         "teamID",
                                           "licenses",        "customTaskExtensionID",
                                           "accessPackageId", "assignmentPolicyId",
                                           "attributes",      NULL};

    (void)state;
    for (size_t i = 0; i < model_task_definition_count(); i++) {
        const struct model_task_def *d = model_task_definition_at(i);

        for (size_t k = 0; k < d->param_count; k++) {
            bool want = false;

            for (size_t r = 0; required[r]; r++)
                want = want || strcmp(required[r], d->params[k].name) == 0;
            assert_int_equal(d->params[k].is_required, want);
        }
    }
    assert_non_null(model_task_param_find(model_task_definition_at(3), "GROUPID"));
    assert_null(model_task_param_find(model_task_definition_at(3), "teamID"));
}

static void test_taskdefs__json__graph_shape(void **state)
{
    const struct model_task_def *tap = model_task_definition_find(MODEL_TASKDEF_GENERATE_TAP);
    json_t *j = model_task_definition_to_json(tap), *params, *p;

    (void)state;
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 7);
    assert_string_equal(json_string_value(json_object_get(j, "id")), MODEL_TASKDEF_GENERATE_TAP);
    assert_string_equal(json_string_value(json_object_get(j, "category")), "joiner");
    assert_true(json_is_false(json_object_get(j, "continueOnError")));
    assert_string_equal(json_string_value(json_object_get(j, "displayName")),
                        "Generate TAP and send email");
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
    params = json_object_get(j, "parameters");
    assert_int_equal(json_array_size(params), 7);
    p = json_array_get(params, 1);
    assert_string_equal(json_string_value(json_object_get(p, "name")), "tapIsUsableOnce");
    assert_string_equal(json_string_value(json_object_get(p, "valueType")), "enum");
    assert_int_equal(json_array_size(json_object_get(p, "values")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "values"), 0)), "true");
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "values"), 1)),
                        "false");
    p = json_array_get(params, 0);
    assert_string_equal(json_string_value(json_object_get(p, "valueType")), "string");
    assert_int_equal(json_array_size(json_object_get(p, "values")), 0);
    p = json_array_get(params, 6);
    assert_string_equal(json_string_value(json_object_get(p, "name")), "to");
    assert_int_equal(json_array_size(json_object_get(p, "values")), 8);
    json_decref(j);

    /* Every definition renders; the ones without parameters have []. */
    for (size_t i = 0; i < model_task_definition_count(); i++) {
        j = model_task_definition_to_json(model_task_definition_at(i));
        assert_non_null(j);
        assert_true(json_is_array(json_object_get(j, "parameters")));
        assert_true(model_enum_valid(MODEL_ENUM_TASK_CATEGORY,
                                     json_string_value(json_object_get(j, "category"))));
        json_decref(j);
    }
    assert_null(model_task_definition_to_json(NULL));
}

/* ------------------------------------------------------------- templates */

static void test_templates__catalogue__ids_and_shapes(void **state)
{
    static const struct {
        const char *id;
        const char *name;
        const char *category;
        const char *cond;
    } spec_tpls[] = {
            {"77179007-8114-41b5-922e-2e22109df41f", "Onboard pre-hire employee", "joiner",
             "triggerAndScopeBasedConditions"},
            {"4e06785d-7c1d-4b24-b9e1-bba2b890c58b", "Onboard new hire employee", "joiner",
             "triggerAndScopeBasedConditions"},
            {NULL, "Post-Onboarding new hire employee", "joiner", "triggerAndScopeBasedConditions"},
            {NULL, "Real-time employee change", "mover", "onDemandExecutionOnly"},
            {"56da3093-d105-40d4-9886-fccd074f2f2a", "Employee group membership changes", "mover",
             "triggerAndScopeBasedConditions"},
            {NULL, "Employee job profile change", "mover", "triggerAndScopeBasedConditions"},
            {"145735f1-57cc-48c2-81ec-727f07a10096", "Real-time employee termination", "leaver",
             "onDemandExecutionOnly"},
            {"25abd83d-3b5d-4d6f-bb9a-4ed366fd96b1", "Pre-Offboarding of an employee", "leaver",
             "triggerAndScopeBasedConditions"},
            {"e821c59e-d28c-44d7-902f-5fed05e926f1", "Offboard an employee", "leaver",
             "triggerAndScopeBasedConditions"},
            {NULL, "Post-Offboarding of an employee", "leaver", "triggerAndScopeBasedConditions"},
    };
    size_t idx;

    (void)state;
    assert_int_equal(model_template_count(), 10);
    assert_null(model_template_to_json(10));
    assert_null(model_template_id(10));
    for (size_t i = 0; i < 10; i++) {
        json_t *t = model_template_to_json(i), *cond;
        const char *id = json_string_value(json_object_get(t, "id"));
        char want_type[160];

        assert_non_null(t);
        if (spec_tpls[i].id)
            assert_string_equal(id, spec_tpls[i].id);
        assert_true(uuid_valid(id, strlen(id)));
        assert_string_equal(model_template_id(i), id);
        assert_int_equal(model_template_find(id, &idx), 0);
        assert_int_equal(idx, i);
        assert_string_equal(json_string_value(json_object_get(t, "displayName")),
                            spec_tpls[i].name);
        assert_string_equal(json_string_value(json_object_get(t, "category")),
                            spec_tpls[i].category);
        assert_non_null(json_string_value(json_object_get(t, "description")));
        cond = json_object_get(t, "executionConditions");
        snprintf(want_type, sizeof(want_type), "#microsoft.graph.identityGovernance.%s",
                 spec_tpls[i].cond);
        assert_string_equal(json_string_value(json_object_get(cond, "@odata.type")), want_type);
        assert_true(json_array_size(json_object_get(t, "tasks")) >= 1);
        for (size_t k = 0; k < json_array_size(json_object_get(t, "tasks")); k++) {
            json_t *task = json_array_get(json_object_get(t, "tasks"), k);

            assert_int_equal(json_object_size(task), 9);
            assert_int_equal(json_integer_value(json_object_get(task, "executionSequence")), k + 1);
            assert_non_null(model_task_definition_find(
                    json_string_value(json_object_get(task, "taskDefinitionId"))));
        }
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(model_template_id(j), id);
        json_decref(t);
    }
    assert_int_equal(model_template_find("E821C59E-D28C-44D7-902F-5FED05E926F1", &idx), 0);
    assert_int_equal(idx, 8);
    assert_int_equal(model_template_find("nope", &idx), LCW_ENOTFOUND);

    /* Spot checks from the spec and the product table. */
    json_t *t = model_template_to_json(0);
    json_t *trig = json_object_get(json_object_get(t, "executionConditions"), "trigger");
    assert_string_equal(json_string_value(json_object_get(trig, "timeBasedAttribute")),
                        "employeeHireDate");
    assert_int_equal(json_integer_value(json_object_get(trig, "offsetInDays")), -7);
    assert_string_equal(
            json_string_value(json_object_get(json_array_get(json_object_get(t, "tasks"), 0),
                                              "taskDefinitionId")),
            MODEL_TASKDEF_GENERATE_TAP);
    json_decref(t);
    t = model_template_to_json(4);
    trig = json_object_get(json_object_get(t, "executionConditions"), "trigger");
    assert_string_equal(json_string_value(json_object_get(trig, "@odata.type")),
                        "#microsoft.graph.identityGovernance.membershipChangeTrigger");
    assert_string_equal(json_string_value(json_object_get(trig, "changeType")), "add");
    json_decref(t);
}

static const char *const template_ro[] = {"id", NULL};

/* Every template, stripped of read-only fields, is a valid create body of its category. */
static void test_templates__each__passes_create(void **state)
{
    (void)state;
    for (size_t i = 0; i < model_template_count(); i++) {
        json_t *t = model_template_to_json(i), *out = NULL, *scope;
        struct lcw_error err = {0};
        int rc;

        for (size_t k = 0; template_ro[k]; k++)
            json_object_del(t, template_ro[k]);
        json_object_set_new(t, "displayName", json_string("From template"));
        /*
         * The membership template leaves the group list for the admin to fill
         * in; creating needs at least one group (documented decision).
         */
        scope = json_object_get(json_object_get(t, "executionConditions"), "scope");
        if (json_is_array(json_object_get(scope, "groups"))) {
            rc = model_workflow_from_create(t, NULL, &out, &err);
            assert_int_equal(rc, LCW_EINVAL);
            assert_string_equal(err.target, "executionConditions.scope.groups");
            json_array_append_new(json_object_get(scope, "groups"),
                                  json_pack("{ss}", "id", "668e7540-7f8e-4ca4-a207-b7dffbb6d038"));
        }
        rc = model_workflow_from_create(t, NULL, &out, &err);
        if (rc)
            fail_msg("template %zu: %s (%s)", i, err.msg, err.target);
        /* Task ids and order survive. */
        for (size_t k = 0; k < json_array_size(json_object_get(t, "tasks")); k++) {
            json_t *a = json_array_get(json_object_get(t, "tasks"), k);
            json_t *b = json_array_get(json_object_get(out, "tasks"), k);

            assert_string_equal(json_string_value(json_object_get(a, "id")),
                                json_string_value(json_object_get(b, "id")));
            assert_true(
                    json_equal(json_object_get(a, "isEnabled"), json_object_get(b, "isEnabled")));
            assert_true(json_equal(json_object_get(a, "category"), json_object_get(b, "category")));
        }
        assert_true(json_equal(json_object_get(t, "executionConditions"),
                               json_object_get(out, "executionConditions")));
        json_decref(out);
        json_decref(t);
    }
}

/* ------------------------------------------------------------------ enums */

static void test_enums__membership_and_output(void **state)
{
    (void)state;
    assert_string_equal(model_enum_name(MODEL_ENUM_PROCESSING_STATUS),
                        "lifecycleWorkflowProcessingStatus");
    assert_string_equal(model_enum_name(MODEL_ENUM__COUNT), "");
    assert_int_equal(model_enum_member_count(MODEL_ENUM_PROCESSING_STATUS), 7);
    assert_string_equal(model_enum_member_at(MODEL_ENUM_EXECUTION_TYPE, 3), "activatedWithScope");
    assert_null(model_enum_member_at(MODEL_ENUM_EXECUTION_TYPE, 6));
    assert_true(model_enum_is_flags(MODEL_ENUM_TASK_CATEGORY));
    assert_false(model_enum_is_flags(MODEL_ENUM_WORKFLOW_CATEGORY));

    assert_true(model_enum_valid(MODEL_ENUM_PROCESSING_STATUS, "completedWithErrors"));
    assert_false(model_enum_valid(MODEL_ENUM_PROCESSING_STATUS, "CompletedWithErrors"));
    assert_false(model_enum_valid(MODEL_ENUM_PROCESSING_STATUS, NULL));
    assert_false(model_enum_valid(MODEL_ENUM__COUNT, "x"));
    assert_true(model_enum_valid(MODEL_ENUM_TASK_CATEGORY, "joiner,leaver,mover"));
    assert_false(model_enum_valid(MODEL_ENUM_TASK_CATEGORY, "joiner,,leaver"));
    assert_false(model_enum_valid(MODEL_ENUM_TASK_CATEGORY, "joiner,joiner"));
    assert_false(model_enum_valid(MODEL_ENUM_TASK_CATEGORY, "joiner, leaver"));
    assert_false(model_enum_valid(MODEL_ENUM_TASK_CATEGORY, ""));
    assert_false(model_enum_valid(MODEL_ENUM_WORKFLOW_CATEGORY, "joiner,leaver"));

    assert_string_equal(model_enum_canonical(MODEL_ENUM_OPERATION_STATUS, "Completed"),
                        "completed");
    assert_null(model_enum_canonical(MODEL_ENUM_OPERATION_STATUS, "done"));
    assert_true(model_enum_is_evolvable(MODEL_ENUM_WORKFLOW_CATEGORY, "mover"));
    assert_false(model_enum_is_evolvable(MODEL_ENUM_WORKFLOW_CATEGORY, "leaver"));
    assert_false(model_enum_is_evolvable(MODEL_ENUM_WORKFLOW_CATEGORY, "unknownFutureValue"));
    assert_true(model_enum_is_evolvable(MODEL_ENUM_EXECUTION_TYPE, "activatedWithScope"));

    /* Single-valued: evolvable members are hidden unless asked for. */
    assert_string_equal(model_enum_output(MODEL_ENUM_WORKFLOW_CATEGORY, "mover", false),
                        "unknownFutureValue");
    assert_string_equal(model_enum_output(MODEL_ENUM_WORKFLOW_CATEGORY, "mover", true), "mover");
    assert_string_equal(model_enum_output(MODEL_ENUM_WORKFLOW_CATEGORY, "joiner", false), "joiner");
    assert_string_equal(model_enum_output(MODEL_ENUM_EXECUTION_TYPE, "activatedWithScope", false),
                        "unknownFutureValue");
    assert_string_equal(model_enum_output(MODEL_ENUM_EXECUTION_TYPE, "onDemand", false),
                        "onDemand");
    assert_string_equal(
            model_enum_output(MODEL_ENUM_TIME_BASED_ATTRIBUTE, "createdDateTime", false),
            "unknownFutureValue");
    assert_string_equal(model_enum_output(MODEL_ENUM_PROCESSING_STATUS, "bogus", false), "bogus");
    /* Flags: each evolvable part becomes one unknownFutureValue. */
    assert_string_equal(model_enum_output(MODEL_ENUM_TASK_CATEGORY, "joiner,leaver,mover", false),
                        "joiner,leaver,unknownFutureValue");
    assert_string_equal(model_enum_output(MODEL_ENUM_TASK_CATEGORY, "leaver,mover", false),
                        "leaver,unknownFutureValue");
    assert_string_equal(model_enum_output(MODEL_ENUM_TASK_CATEGORY, "mover", false),
                        "unknownFutureValue");
    assert_string_equal(model_enum_output(MODEL_ENUM_TASK_CATEGORY, "mover,extensibility", false),
                        "unknownFutureValue");
    assert_string_equal(model_enum_output(MODEL_ENUM_TASK_CATEGORY, "joiner,leaver", false),
                        "joiner,leaver");
    assert_string_equal(model_enum_output(MODEL_ENUM_TASK_CATEGORY, "joiner,mover", true),
                        "joiner,mover");
    assert_string_equal(
            model_enum_output(MODEL_ENUM_SUBJECT_TYPE, "user,provisioningObject", false),
            "user,unknownFutureValue");
    assert_string_equal(model_enum_output(MODEL_ENUM_SUBJECT_TYPE, "user", false), "user");
    assert_null(model_enum_output(MODEL_ENUM_SUBJECT_TYPE, NULL, false));

    /* Every member of every enum is valid and canonical. */
    for (int e = 0; e < MODEL_ENUM__COUNT; e++) {
        for (size_t i = 0; i < model_enum_member_count((enum model_enum)e); i++) {
            const char *m = model_enum_member_at((enum model_enum)e, i);

            assert_true(model_enum_valid((enum model_enum)e, m));
            assert_string_equal(model_enum_canonical((enum model_enum)e, m), m);
        }
    }
}

static void test_enums__category_parse(void **state)
{
    unsigned bits;

    (void)state;
    assert_int_equal(model_category_parse("joiner,leaver,mover", &bits), 0);
    assert_int_equal(bits, MODEL_CAT_JOINER | MODEL_CAT_LEAVER | MODEL_CAT_MOVER);
    assert_int_equal(model_category_parse("Mover,Leaver", &bits), 0);
    assert_int_equal(bits, MODEL_CAT_LEAVER | MODEL_CAT_MOVER);
    assert_int_equal(model_category_parse("unknownFutureValue", &bits), 0);
    assert_int_equal(bits, 0);
    assert_int_equal(model_category_parse("extensibility", &bits), 0);
    assert_int_equal(bits, MODEL_CAT_EXTENSIBILITY);
    assert_int_equal(model_category_parse("hr", &bits), LCW_EINVAL);
    assert_int_equal(model_category_parse(NULL, &bits), LCW_EINVAL);
}

static void test_alloc__catalogue_json__enomem_and_no_leak(void **state)
{
    long n;

    (void)state;
    for (size_t i = 0; i < model_template_count(); i++) {
        for (n = 1;; n++) {
            json_t *j;

            lcw_alloc_fail_at(n);
            j = model_template_to_json(i);
            lcw_alloc_fail_at(0);
            if (j) {
                json_decref(j);
                break;
            }
        }
        assert_true(n > 1);
    }
    for (size_t i = 0; i < model_task_definition_count(); i++) {
        for (n = 1;; n++) {
            json_t *j;

            lcw_alloc_fail_at(n);
            j = model_task_definition_to_json(model_task_definition_at(i));
            lcw_alloc_fail_at(0);
            if (j) {
                json_decref(j);
                break;
            }
        }
        assert_true(n > 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_taskdefs__catalogue__matches_spec),
            cmocka_unit_test(test_taskdefs__required_params__as_documented),
            cmocka_unit_test(test_taskdefs__json__graph_shape),
            cmocka_unit_test(test_templates__catalogue__ids_and_shapes),
            cmocka_unit_test(test_templates__each__passes_create),
            cmocka_unit_test(test_enums__membership_and_output),
            cmocka_unit_test(test_enums__category_parse),
            cmocka_unit_test(test_alloc__catalogue_json__enomem_and_no_leak),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
