/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for customTaskExtension bodies (create, PATCH, redaction of the
 * shared secret) and the ISO 8601 duration parser.
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

static const char *base_ext =
        "{`displayName`:`Notify HR`,`description`:`Calls HR`,"
        "`endpointConfiguration`:{`@odata.type`:`#microsoft.graph.httpRequestEndpoint`,`targetUrl`:`https://hr.example.com/hook?x=1`},"
        "`authenticationConfiguration`:{`@odata.type`:`#lcw.sharedSecretAuthentication`,`secret`:`0123456789abcdef`},"
        "`clientConfiguration`:{`@odata.type`:`#microsoft.graph.customExtensionClientConfiguration`,`timeoutInMilliseconds`:2000,`maximumRetries`:0},"
        "`callbackConfiguration`:{`@odata.type`:`" NS
        "customTaskExtensionCallbackConfiguration`,`timeoutDuration`:`PT1H`,"
        "`authorizedApps`:[{`id`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`}]}}";

static json_t *ext_with(const char *patch)
{
    json_t *b = J(base_ext);

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

static void test_duration__parse__table(void **state)
{
    static const struct {
        const char *s;
        int rc;
        int64_t ms;
    } rows[] = {
            {"PT5M", 0, 300000},
            {"PT3H", 0, 10800000},
            {"PT1H30M", 0, 5400000},
            {"P1D", 0, 86400000},
            {"P1W", 0, 604800000},
            {"P1DT1S", 0, 86401000},
            {"PT0.5S", 0, 500},
            {"PT1,25S", 0, 1250},
            {"pt10m", 0, 600000},
            {"PT0S", 0, 0},
            {"P0D", 0, 0},
            {"PT36H", 0, 129600000},
            {"P", LCW_EINVAL, 0},
            {"PT", LCW_EINVAL, 0},
            {"P1DT", LCW_EINVAL, 0},
            {"P1Y", LCW_EINVAL, 0},
            {"P1M", LCW_EINVAL, 0},
            {"PT1.5M", LCW_EINVAL, 0},
            {"PT1M1H", LCW_EINVAL, 0},
            {"PT1H1H", LCW_EINVAL, 0},
            {"-PT1H", LCW_EINVAL, 0},
            {"PTM", LCW_EINVAL, 0},
            {"1H", LCW_EINVAL, 0},
            {"PT1H ", LCW_EINVAL, 0},
            {"PT1.S", LCW_EINVAL, 0},
            {"", LCW_EINVAL, 0},
            {"PT99999999999999999999S", LCW_EINVAL, 0},
            {"P999999999999999W", LCW_EINVAL, 0},
            {"PT1D", LCW_EINVAL, 0},
            {"P1H", LCW_EINVAL, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int64_t ms = -1;
        int rc = model_iso8601_duration_parse(rows[i].s, &ms);

        if (rc != rows[i].rc || (rc == 0 && ms != rows[i].ms))
            fail_msg("'%s': rc %d ms %lld", rows[i].s, rc, (long long)ms);
    }
    assert_int_equal(model_iso8601_duration_parse(NULL, NULL), LCW_EINVAL);
}

static void test_extension__create__normalised(void **state)
{
    json_t *body = ext_with(NULL), *out = NULL, *red;
    struct lcw_error err = {0};

    (void)state;
    assert_int_equal(model_extension_from_create(body, &out, &err), 0);
    assert_string_equal(json_string_value(json_object_get(out, "replyMode")), "callback");
    assert_string_equal(json_string_value(json_object_get(
                                json_object_get(out, "authenticationConfiguration"), "secret")),
                        "0123456789abcdef");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "clientConfiguration"),
                                                        "timeoutInMilliseconds")),
                     2000);
    assert_int_equal(json_object_size(out), 7);
    red = model_extension_redact(out);
    assert_non_null(red);
    assert_null(json_object_get(json_object_get(red, "authenticationConfiguration"), "secret"));
    assert_string_equal(
            json_string_value(json_object_get(json_object_get(red, "authenticationConfiguration"),
                                              "@odata.type")),
            "#lcw.sharedSecretAuthentication");
    json_decref(red);
    json_decref(out);
    json_decref(body);

    /* Graph's own shape: logic app + Azure AD token, no callback; defaults apply. */
    body = J(
            "{`displayName`:`LA`,`endpointConfiguration`:{`@odata.type`:`#microsoft.graph.logicAppTriggerEndpointConfiguration`,"
            "`subscriptionId`:`c500b67c-e9b7-4ad2-a90d-77d41385ae55`,`resourceGroupName`:`RG-LCM`,`logicAppWorkflowName`:`ManagerAccess`},"
            "`authenticationConfiguration`:{`@odata.type`:`#microsoft.graph.azureAdTokenAuthentication`,`resourceId`:`542dc01a-0b5d-4edc-b3f9-5cfe6393f557`}}");
    assert_int_equal(model_extension_from_create(body, &out, &err), 0);
    assert_string_equal(json_string_value(json_object_get(out, "replyMode")), "none");
    assert_true(json_is_null(json_object_get(out, "callbackConfiguration")));
    assert_true(json_is_null(json_object_get(out, "description")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "clientConfiguration"),
                                                        "timeoutInMilliseconds")),
                     1000);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "clientConfiguration"),
                                                        "maximumRetries")),
                     1);
    assert_true(
            json_is_null(json_object_get(json_object_get(out, "endpointConfiguration"), "url")));
    red = model_extension_redact(out);
    assert_true(json_equal(red, out));
    json_decref(red);
    json_decref(out);
    json_decref(body);
}

struct bad_case {
    const char *patch;
    const char *target;
    const char *msg;
};

static const struct bad_case ext_bad[] = {
        {"{`replyMode`:`response`,`callbackConfiguration`:null}", NULL, NULL},
        {"{`authenticationConfiguration`:{`@odata.type`:`#microsoft.graph.azureAdPopTokenAuthentication`,`secret`:null}}",
         NULL, NULL},
        {"{`id`:`x`}", "id", "Property 'id' is read-only"},
        {"{`createdDateTime`:`x`}", "createdDateTime", "read-only"},
        {"{`colour`:1}", "colour", "Unknown property 'colour' on customTaskExtension"},
        {"{`displayName`:null}", "displayName", "is required"},
        {"{`description`:[]}", "description", "expected a string"},
        {"{`endpointConfiguration`:null}", "endpointConfiguration", "is required"},
        {"{`endpointConfiguration`:{`@odata.type`:`#microsoft.graph.ftpEndpoint`}}",
         "endpointConfiguration.@odata.type", "unsupported type"},
        {"{`endpointConfiguration`:{`targetUrl`:`ftp://x/y`}}", "endpointConfiguration.targetUrl",
         "must be an http:// or https:// URL"},
        {"{`endpointConfiguration`:{`targetUrl`:`https://`}}", "endpointConfiguration.targetUrl",
         "has no host"},
        {"{`endpointConfiguration`:{`targetUrl`:`https://a b/`}}",
         "endpointConfiguration.targetUrl", "spaces"},
        {"{`endpointConfiguration`:{`targetUrl`:`https://u:p@h/`}}",
         "endpointConfiguration.targetUrl", "credentials"},
        {"{`endpointConfiguration`:{`targetUrl`:null}}", "endpointConfiguration.targetUrl",
         "is required"},
        {"{`endpointConfiguration`:{`@odata.type`:`#microsoft.graph.logicAppTriggerEndpointConfiguration`,`targetUrl`:null,"
         "`subscriptionId`:`x`,`resourceGroupName`:`r`,`logicAppWorkflowName`:`w`}}",
         "endpointConfiguration.subscriptionId", "must be a GUID"},
        {"{`endpointConfiguration`:{`@odata.type`:`#microsoft.graph.logicAppTriggerEndpointConfiguration`,`targetUrl`:null,"
         "`subscriptionId`:`c500b67c-e9b7-4ad2-a90d-77d41385ae55`,`resourceGroupName`:`r`,`logicAppWorkflowName`:`w`,`url`:`https://x`}}",
         "endpointConfiguration.url", "Property 'endpointConfiguration.url' is read-only"},
        {"{`endpointConfiguration`:{`@odata.type`:`#microsoft.graph.logicAppTriggerEndpointConfiguration`,`targetUrl`:null,"
         "`subscriptionId`:`c500b67c-e9b7-4ad2-a90d-77d41385ae55`,`resourceGroupName`:`r`}}",
         "endpointConfiguration.logicAppWorkflowName", "is required"},
        {"{`authenticationConfiguration`:null}", "authenticationConfiguration", "is required"},
        {"{`authenticationConfiguration`:{`secret`:`short`}}", "authenticationConfiguration.secret",
         "must be 16 to 1024 characters long (got 5)"},
        {"{`authenticationConfiguration`:{`secret`:null}}", "authenticationConfiguration.secret",
         "is required"},
        {"{`authenticationConfiguration`:{`@odata.type`:`#microsoft.graph.azureAdTokenAuthentication`}}",
         "authenticationConfiguration.secret",
         "Unknown property 'secret' on azureAdTokenAuthentication"},
        {"{`authenticationConfiguration`:{`@odata.type`:`#microsoft.graph.azureAdTokenAuthentication`,`secret`:null}}",
         "authenticationConfiguration.resourceId", "is required"},
        {"{`authenticationConfiguration`:{`@odata.type`:`lcw.basic`}}",
         "authenticationConfiguration.@odata.type", "unsupported type"},
        {"{`clientConfiguration`:{`timeoutInMilliseconds`:100}}",
         "clientConfiguration.timeoutInMilliseconds", "must be between 200 and 2000 (got 100)"},
        {"{`clientConfiguration`:{`maximumRetries`:2}}", "clientConfiguration.maximumRetries",
         "must be between 0 and 1 (got 2)"},
        {"{`clientConfiguration`:{`retries`:1}}", "clientConfiguration.retries",
         "Unknown property"},
        {"{`callbackConfiguration`:{`timeoutDuration`:`PT1M`}}",
         "callbackConfiguration.timeoutDuration", "must be between PT5M and PT3H (got 'PT1M')"},
        {"{`callbackConfiguration`:{`timeoutDuration`:`PT3H1S`}}",
         "callbackConfiguration.timeoutDuration", "between PT5M and PT3H"},
        {"{`callbackConfiguration`:{`timeoutDuration`:`1 hour`}}",
         "callbackConfiguration.timeoutDuration", "ISO 8601 duration"},
        {"{`callbackConfiguration`:{`timeoutDuration`:null}}",
         "callbackConfiguration.timeoutDuration", "is required"},
        {"{`callbackConfiguration`:{`durationBeforeTimeout`:`PT1H`}}",
         "callbackConfiguration.durationBeforeTimeout", "Unknown property"},
        {"{`callbackConfiguration`:{`authorizedApps`:[{`id`:`app`}]}}",
         "callbackConfiguration.authorizedApps[0].id", "must be an application id"},
        {"{`callbackConfiguration`:{`authorizedApps`:{}}}", "callbackConfiguration.authorizedApps",
         "expected an array"},
        {"{`replyMode`:`sometimes`}", "replyMode", "must be one of none, callback, response"},
        {"{`replyMode`:`none`}", "replyMode", "does not wait for a callback"},
        {"{`replyMode`:`callback`,`callbackConfiguration`:null}", "replyMode",
         "needs a callbackConfiguration"},
};

static void test_extension__create__bad_bodies(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ext_bad) / sizeof(ext_bad[0]); i++) {
        json_t *body = ext_with(ext_bad[i].patch), *out = (json_t *)1;
        struct lcw_error err = {0};
        int rc = model_extension_from_create(body, &out, &err);

        if (!ext_bad[i].target) {
            if (rc)
                fail_msg("ext %zu (%s): %s", i, ext_bad[i].patch, err.msg);
            json_decref(out);
        } else {
            if (rc != LCW_EINVAL)
                fail_msg("ext %zu (%s): rc %d", i, ext_bad[i].patch, rc);
            assert_null(out);
            if (strcmp(err.target, ext_bad[i].target) || !strstr(err.msg, ext_bad[i].msg))
                fail_msg("ext %zu (%s): target '%s' msg '%s'", i, ext_bad[i].patch, err.target,
                         err.msg);
        }
        json_decref(body);
    }
    {
        json_t *out = NULL;
        json_t *arr = J("[]");
        struct lcw_error err = {0};

        assert_int_equal(model_extension_from_create(arr, &out, &err), LCW_EINVAL);
        assert_string_equal(err.target, "");
        json_decref(arr);
    }
}

static void test_extension__patch__rules(void **state)
{
    json_t *body = ext_with(NULL), *current = NULL, *out = NULL, *p;
    struct lcw_error err = {0};

    (void)state;
    assert_int_equal(model_extension_from_create(body, &current, &err), 0);
    json_object_set_new(current, "id", json_string("e1"));
    json_decref(body);

    /* Round-tripping a redacted GET body keeps the stored secret. */
    p = J("{`authenticationConfiguration`:{`@odata.type`:`#lcw.sharedSecretAuthentication`},`displayName`:`Renamed`}");
    assert_int_equal(model_extension_patch(current, p, &out, &err), 0);
    assert_string_equal(json_string_value(json_object_get(
                                json_object_get(out, "authenticationConfiguration"), "secret")),
                        "0123456789abcdef");
    assert_string_equal(json_string_value(json_object_get(out, "displayName")), "Renamed");
    assert_string_equal(json_string_value(json_object_get(out, "id")), "e1");
    json_decref(out);
    json_decref(p);

    /* Dropping the callback turns the reply mode to none (old clients). */
    p = J("{`callbackConfiguration`:null}");
    assert_int_equal(model_extension_patch(current, p, &out, &err), 0);
    assert_string_equal(json_string_value(json_object_get(out, "replyMode")), "none");
    json_decref(out);
    json_decref(p);

    p = J("{`replyMode`:`response`,`callbackConfiguration`:null,`clientConfiguration`:null}");
    assert_int_equal(model_extension_patch(current, p, &out, &err), 0);
    assert_string_equal(json_string_value(json_object_get(out, "replyMode")), "response");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "clientConfiguration"),
                                                        "timeoutInMilliseconds")),
                     1000);
    json_decref(out);
    json_decref(p);

    static const struct bad_case bad[] = {
            {"{`replyMode`:`none`}", "replyMode", "does not wait"},
            {"{`id`:`e2`}", "id", "read-only"},
            {"{`displayName`:``}", "displayName", "must not be empty"},
            {"{`authenticationConfiguration`:{`@odata.type`:`#microsoft.graph.azureAdTokenAuthentication`}}",
             "authenticationConfiguration.resourceId", "is required"},
            {"{`endpointConfiguration`:null}", "endpointConfiguration", "is required"},
            {"{`whatever`:1}", "whatever", "Unknown property"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p = J(bad[i].patch);
        assert_int_equal(model_extension_patch(current, p, &out, &err), LCW_EINVAL);
        assert_null(out);
        if (strcmp(err.target, bad[i].target) || !strstr(err.msg, bad[i].msg))
            fail_msg("ext patch %zu: target '%s' msg '%s'", i, err.target, err.msg);
        json_decref(p);
    }

    /* A new shared secret must be given when switching to shared-secret auth. */
    json_object_set_new(
            current, "authenticationConfiguration",
            json_pack("{ss}", "@odata.type", "#microsoft.graph.azureAdPopTokenAuthentication"));
    p = J("{`authenticationConfiguration`:{`@odata.type`:`#lcw.sharedSecretAuthentication`}}");
    assert_int_equal(model_extension_patch(current, p, &out, &err), LCW_EINVAL);
    assert_string_equal(err.target, "authenticationConfiguration.secret");
    json_decref(p);
    json_decref(current);
}

static void test_alloc__extension__enomem_and_no_leak(void **state)
{
    json_t *body = ext_with(NULL), *current = NULL;
    json_t *patch = J(
            "{`displayName`:`x`,`description`:`y`,`endpointConfiguration`:{`@odata.type`:`#microsoft.graph.httpRequestEndpoint`,`targetUrl`:`http://h/`},"
            "`authenticationConfiguration`:{`@odata.type`:`#lcw.sharedSecretAuthentication`},`clientConfiguration`:{},"
            "`callbackConfiguration`:{`timeoutDuration`:`PT10M`,`authorizedApps`:[{`id`:`668e7540-7f8e-4ca4-a207-b7dffbb6d038`}]},`replyMode`:`callback`}");
    struct lcw_error err = {0};
    long n;

    (void)state;
    assert_int_equal(model_extension_from_create(body, &current, &err), 0);
    for (n = 1; n < 10000; n++) {
        json_t *out = NULL;
        int rc;

        lcw_alloc_fail_at(n);
        rc = model_extension_from_create(body, &out, &err);
        lcw_alloc_fail_at(0);
        json_decref(out);
        if (rc == 0)
            break;
        assert_int_equal(rc, LCW_ENOMEM);
    }
    assert_true(n > 1);
    for (n = 1; n < 10000; n++) {
        json_t *out = NULL;
        int rc;

        lcw_alloc_fail_at(n);
        rc = model_extension_patch(current, patch, &out, &err);
        lcw_alloc_fail_at(0);
        json_decref(out);
        if (rc == 0)
            break;
        assert_int_equal(rc, LCW_ENOMEM);
    }
    assert_true(n > 1);
    for (n = 1;; n++) {
        json_t *r;

        lcw_alloc_fail_at(n);
        r = model_extension_redact(current);
        lcw_alloc_fail_at(0);
        if (r) {
            json_decref(r);
            break;
        }
    }
    json_decref(current);
    json_decref(patch);
    json_decref(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_duration__parse__table),
            cmocka_unit_test(test_extension__create__normalised),
            cmocka_unit_test(test_extension__create__bad_bodies),
            cmocka_unit_test(test_extension__patch__rules),
            cmocka_unit_test(test_alloc__extension__enomem_and_no_leak),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
