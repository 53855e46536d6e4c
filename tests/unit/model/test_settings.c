/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lifecycleManagementSettings PATCH (schedule interval,
 * email settings, quarantine configuration, history retention) and its
 * allocation-failure paths.
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
    j = json_loads(copy, JSON_DECODE_ANY, &e);
    if (!j)
        fail_msg("bad test JSON (%s): %s", e.text, copy);
    lcw_free(copy);
    return j;
}

static int setup(void **state)
{
    (void)state;
    lcw_alloc_install_jansson();
    return 0;
}

static void test_settings__default__shape(void **state)
{
    json_t *d = model_settings_default();

    (void)state;
    assert_non_null(d);
    assert_int_equal(json_integer_value(json_object_get(d, "workflowScheduleIntervalInHours")), 3);
    assert_true(json_is_null(json_object_get(json_object_get(d, "emailSettings"), "senderDomain")));
    assert_true(json_is_false(
            json_object_get(json_object_get(d, "emailSettings"), "useCompanyBranding")));
    assert_true(json_is_null(json_object_get(d, "quarantineConfiguration")));
    assert_int_equal(json_integer_value(json_object_get(d, "historyRetentionInDays")), 90);
    json_decref(d);
}

struct case_row {
    const char *body;
    const char *target; /* NULL = must succeed */
    const char *msg;
};

static const struct case_row settings_cases[] = {
        {"{}", NULL, NULL},
        {"{`workflowScheduleIntervalInHours`:1}", NULL, NULL},
        {"{`workflowScheduleIntervalInHours`:24,`emailSettings`:{`senderDomain`:`mail.contoso.com`}}",
         NULL, NULL},
        {"{`emailSettings`:{`useCompanyBranding`:true}}", NULL, NULL},
        {"{`emailSettings`:{`senderDomain`:null}}", NULL, NULL},
        {"{`historyRetentionInDays`:0}", NULL, NULL},
        {"{`quarantineConfiguration`:null}", NULL, NULL},
        {"{`quarantineConfiguration`:{`conditions`:[{`@odata.type`:`" NS
         "percentageBasedQuarantineCondition`,`percentage`:20}]}}",
         NULL, NULL},
        {"{`@odata.type`:`" NS "lifecycleManagementSettings`}", NULL, NULL},
        {"[]", "", "must be a JSON object"},
        {"{`id`:`x`}", "id", "Property 'id' is read-only"},
        {"{`@odata.context`:`x`}", "@odata.context", "read-only"},
        {"{`interval`:3}", "interval",
         "Unknown property 'interval' on lifecycleManagementSettings"},
        {"{`workflowScheduleIntervalInHours`:0}", "workflowScheduleIntervalInHours",
         "must be between 1 and 24 (got 0)"},
        {"{`workflowScheduleIntervalInHours`:25}", "workflowScheduleIntervalInHours", "(got 25)"},
        {"{`workflowScheduleIntervalInHours`:`3`}", "workflowScheduleIntervalInHours",
         "expected an integer"},
        {"{`workflowScheduleIntervalInHours`:null}", "workflowScheduleIntervalInHours",
         "expected an integer"},
        {"{`historyRetentionInDays`:-1}", "historyRetentionInDays", "must be between 0 and 36500"},
        {"{`emailSettings`:null}", "emailSettings", "expected an object"},
        {"{`emailSettings`:{`senderDomain`:`not a domain`}}", "emailSettings.senderDomain",
         "must be a domain name"},
        {"{`emailSettings`:{`senderDomain`:`-bad.com`}}", "emailSettings.senderDomain",
         "must be a domain name"},
        {"{`emailSettings`:{`senderDomain`:`bad..com`}}", "emailSettings.senderDomain",
         "must be a domain name"},
        {"{`emailSettings`:{`useCompanyBranding`:`yes`}}", "emailSettings.useCompanyBranding",
         "expected a boolean"},
        {"{`emailSettings`:{`logo`:1}}", "emailSettings.logo",
         "Unknown property 'logo' on emailSettings"},
        {"{`quarantineConfiguration`:5}", "quarantineConfiguration", "expected an object"},
        {"{`quarantineConfiguration`:{`matchMode`:`any`}}", "quarantineConfiguration.conditions",
         "is required"},
        {"{`quarantineConfiguration`:{`conditions`:[{`threshold`:3}]}}",
         "quarantineConfiguration.conditions[0].@odata.type", "is required"},
        {"{`quarantineConfiguration`:{`conditions`:[{`@odata.type`:`" NS
         "countBasedQuarantineCondition`,`threshold`:0}]}}",
         "quarantineConfiguration.conditions[0].threshold", "must be between 1 and"},
        {"{`quarantineConfiguration`:{`conditions`:[{`@odata.type`:`" NS
         "countBasedQuarantineCondition`}]}}",
         "quarantineConfiguration.conditions[0].threshold", "is required"},
        {"{`quarantineConfiguration`:{`conditions`:[{`@odata.type`:`" NS
         "countBasedQuarantineCondition`,`threshold`:3,`percentage`:3}]}}",
         "quarantineConfiguration.conditions[0].percentage",
         "Unknown property 'percentage' on countBasedQuarantineCondition"},
        {"{`quarantineConfiguration`:{`conditions`:[{`@odata.type`:`" NS
         "percentageBasedQuarantineCondition`,`percentage`:101}]}}",
         "quarantineConfiguration.conditions[0].percentage", "(got 101)"},
        {"{`quarantineConfiguration`:{`conditions`:[1,2,3]}}", "quarantineConfiguration.conditions",
         "one or two conditions (got 3)"},
};

static void test_settings__patch__table(void **state)
{
    json_t *current = model_settings_default();

    (void)state;
    json_object_set_new(current, "id", json_string("settings"));
    for (size_t i = 0; i < sizeof(settings_cases) / sizeof(settings_cases[0]); i++) {
        const struct case_row *r = &settings_cases[i];
        json_t *body = J(r->body), *out = (json_t *)1;
        struct lcw_error err = {0};
        int rc = model_settings_patch(current, body, &out, &err);

        if (!r->target) {
            if (rc)
                fail_msg("settings %zu (%s): %s", i, r->body, err.msg);
            assert_string_equal(json_string_value(json_object_get(out, "id")), "settings");
            json_decref(out);
        } else {
            assert_int_equal(rc, LCW_EINVAL);
            assert_null(out);
            if (strcmp(err.target, r->target) || !strstr(err.msg, r->msg))
                fail_msg("settings %zu (%s): target '%s' msg '%s'", i, r->body, err.target,
                         err.msg);
        }
        json_decref(body);
    }
    json_decref(current);
}

static void test_settings__patch__merges(void **state)
{
    json_t *current = model_settings_default(), *out = NULL, *out2 = NULL, *body;
    struct lcw_error err = {0};

    (void)state;
    body = J(
            "{`workflowScheduleIntervalInHours`:6,`emailSettings`:{`senderDomain`:`contoso.com`},"
            "`quarantineConfiguration`:{`matchMode`:`ALL`,`conditions`:[{`@odata.type`:`microsoft.graph.identityGovernance.countBasedQuarantineCondition`,`threshold`:50}]}}");
    assert_int_equal(model_settings_patch(current, body, &out, &err), 0);
    json_decref(body);
    assert_int_equal(json_integer_value(json_object_get(out, "workflowScheduleIntervalInHours")),
                     6);
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "emailSettings"),
                                                          "senderDomain")),
                        "contoso.com");
    assert_true(json_is_false(
            json_object_get(json_object_get(out, "emailSettings"), "useCompanyBranding")));
    assert_string_equal(json_string_value(json_object_get(
                                json_object_get(out, "quarantineConfiguration"), "matchMode")),
                        "all");
    assert_string_equal(
            json_string_value(json_object_get(
                    json_array_get(json_object_get(json_object_get(out, "quarantineConfiguration"),
                                                   "conditions"),
                                   0),
                    "@odata.type")),
            NS "countBasedQuarantineCondition");

    /* A second PATCH only touches what it names. */
    body = J("{`emailSettings`:{`useCompanyBranding`:true}}");
    assert_int_equal(model_settings_patch(out, body, &out2, &err), 0);
    json_decref(body);
    assert_string_equal(json_string_value(json_object_get(json_object_get(out2, "emailSettings"),
                                                          "senderDomain")),
                        "contoso.com");
    assert_true(json_is_true(
            json_object_get(json_object_get(out2, "emailSettings"), "useCompanyBranding")));
    assert_int_equal(json_integer_value(json_object_get(out2, "workflowScheduleIntervalInHours")),
                     6);
    assert_true(json_equal(json_object_get(out, "quarantineConfiguration"),
                           json_object_get(out2, "quarantineConfiguration")));
    json_decref(out2);

    /* A NULL current starts from the defaults. */
    body = J("{`historyRetentionInDays`:30}");
    assert_int_equal(model_settings_patch(NULL, body, &out2, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(out2, "historyRetentionInDays")), 30);
    assert_int_equal(json_integer_value(json_object_get(out2, "workflowScheduleIntervalInHours")),
                     3);
    json_decref(out2);
    json_decref(body);
    json_decref(out);
    json_decref(current);
}

static void test_alloc__settings__enomem_and_no_leak(void **state)
{
    json_t *current = model_settings_default();
    json_t *body =
            J("{`workflowScheduleIntervalInHours`:6,`historyRetentionInDays`:7,"
              "`emailSettings`:{`senderDomain`:`contoso.com`,`useCompanyBranding`:true},"
              "`quarantineConfiguration`:{`matchMode`:`any`,`conditions`:["
              "{`@odata.type`:`" NS "countBasedQuarantineCondition`,`threshold`:5},"
              "{`@odata.type`:`" NS "percentageBasedQuarantineCondition`,`percentage`:5}]}}");
    long n;

    (void)state;
    for (n = 1; n < 10000; n++) {
        json_t *out = NULL;
        struct lcw_error err = {0};
        int rc;

        lcw_alloc_fail_at(n);
        rc = model_settings_patch(current, body, &out, &err);
        lcw_alloc_fail_at(0);
        json_decref(out);
        if (rc == 0)
            break;
        assert_int_equal(rc, LCW_ENOMEM);
    }
    assert_true(n > 1);
    for (n = 1;; n++) {
        json_t *d;

        lcw_alloc_fail_at(n);
        d = model_settings_default();
        lcw_alloc_fail_at(0);
        if (d) {
            json_decref(d);
            break;
        }
    }
    json_decref(body);
    json_decref(current);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_settings__default__shape),
            cmocka_unit_test(test_settings__patch__table),
            cmocka_unit_test(test_settings__patch__merges),
            cmocka_unit_test(test_alloc__settings__enomem_and_no_leak),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
