/* SPDX-License-Identifier: MIT */
/*
 * "Run a custom task extension" against a real HTTP receiver on 127.0.0.1
 * (tests/support/http_receiver.py, started and stopped by pid): the callout
 * payload and its authentication (Bearer + HMAC), every replyMode, the
 * clientConfiguration retry and timeout, and the endpoints lcw cannot call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <sodium.h>

#include "lcw/common.h"
#include "lcw/config.h"
#include "lcw/dir.h"
#include "lcw/jsonx.h"
#include "lcw/model.h"
#include "lcw/store.h"
#include "lcw/tasks.h"
#include "peers.h"
#include "tasks/tasks_int.h"

#define U_ADA      "a0000000-0000-4000-8000-000000000001"
#define U_GRACE    "a0000000-0000-4000-8000-000000000002"
#define U_LONE     "a0000000-0000-4000-8000-000000000006"
#define WF_ID      "b0000000-0000-4000-8000-000000000001"
#define TASK_ID    "c0000000-0000-4000-8000-000000000001"
#define RESULT_ID  "d0000000-0000-4000-8000-000000000001"
#define EXT_ABSENT "e0000000-0000-4000-8000-0000000000ff"
#define SECRET     "s3cret-s3cret-s3cret-0123456789"
#define NOW_TEXT   "2026-03-01T09:00:00Z"
#define RESUME_PATH                                                             \
    "/identityGovernance/lifecycleWorkflows/workflows/" WF_ID "/tasks/" TASK_ID \
    "/taskProcessingResults/" RESULT_ID "/resume"

static struct {
    char dir[64];
    struct store *store;
    struct dir *dir_handle;
    struct lcw_config cfg;
    struct task_env env;
    struct peer http;
    int64_t now_ms;
    char url[128];
} g;

/* ------------------------------------------------------------ fixture */

static void put_user(struct store_tx *tx, const char *id, const char *name, const char *mail,
                     const char *manager)
{
    struct lcw_error err = {0};
    char upn[64];
    json_t *u;

    (void)snprintf(upn, sizeof(upn), "%.8s@contoso.example", name);
    u = json_pack("{s:s, s:s, s:s, s:s?, s:[], s:b, s:n}", "id", id, "displayName", name,
                  "userPrincipalName", upn, "mail", mail, "otherMails", "accountEnabled", 1,
                  "deletedDateTime");
    assert_non_null(u);
    if (manager)
        json_object_set_new(u, "#lcw.managerId", json_string(manager));
    assert_int_equal(store_entity_put(tx, &store_ent_user, id, NULL, u, &err), 0);
    json_decref(u);
}

/* Store an extension made from a create body (JSON text) under `id`. */
static void put_extension(const char *id, const char *body_json)
{
    struct lcw_error err = {0};
    struct store_tx tx;
    json_t *body = json_loads(body_json, 0, NULL), *doc = NULL;

    assert_non_null(body);
    if (model_extension_from_create(body, &doc, &err))
        fail_msg("extension body: %s", err.msg);
    json_object_set_new(doc, "id", json_string(id));
    assert_int_equal(store_tx_begin(g.store, &tx, STORE_TX_WRITE, &err), 0);
    assert_int_equal(store_entity_put(&tx, &store_ent_extension, id, NULL, doc, &err), 0);
    assert_int_equal(store_tx_commit(&tx, &err), 0);
    json_decref(body);
    json_decref(doc);
}

/* An httpRequestEndpoint extension on the receiver with the shared secret. */
static void put_http_extension(const char *id, const char *reply, int timeout_ms, int retries)
{
    char body[1024];

    (void)snprintf(
            body, sizeof(body),
            "{\"displayName\":\"Ext %s\","
            "\"endpointConfiguration\":{\"@odata.type\":\"#microsoft.graph.httpRequestEndpoint\","
            "\"targetUrl\":\"%s\"},"
            "\"authenticationConfiguration\":{\"@odata.type\":\"#lcw.sharedSecretAuthentication\","
            "\"secret\":\"" SECRET "\"},"
            "\"clientConfiguration\":{\"timeoutInMilliseconds\":%d,\"maximumRetries\":%d},"
            "%s}",
            id + 34, g.url, timeout_ms, retries, reply);
    put_extension(id, body);
}

static int group_setup(void **state)
{
    struct lcw_error err = {0};
    struct store_tx tx;
    char url[128];

    (void)state;
    assert_int_equal(lcw_crypto_init(), 0);
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
    lcw_strlcpy(g.dir, "/tmp/lcw-tasks-ext-XXXXXX", sizeof(g.dir));
    assert_non_null(mkdtemp(g.dir));
    (void)snprintf(url, sizeof(url), "sqlite://%s/lcw.db", g.dir);
    assert_int_equal(store_open(url, &g.store, &err), 0);
    assert_int_equal(dir_open_embedded(g.store, lcw_clock_system(), &g.dir_handle, &err), 0);
    assert_int_equal(store_tx_begin(g.store, &tx, STORE_TX_WRITE, &err), 0);
    put_user(&tx, U_ADA, "Ada Lovelace", "ada@contoso.example", U_GRACE);
    put_user(&tx, U_GRACE, "Grace Hopper", "grace@contoso.example", NULL);
    put_user(&tx, U_LONE, "Lone Wolf", NULL, NULL);
    assert_int_equal(store_tx_commit(&tx, &err), 0);
    assert_int_equal(peers_http_start(&g.http), 0);
    (void)snprintf(g.url, sizeof(g.url), "http://127.0.0.1:%d/hooks/lcw?x=1", g.http.port);
    config_defaults(&g.cfg);
    g.env = (struct task_env){g.dir_handle, g.store, lcw_clock_system(), &g.cfg};
    assert_int_equal(timefmt_parse(NOW_TEXT, strlen(NOW_TEXT), &g.now_ms), 0);
    return 0;
}

static int group_teardown(void **state)
{
    char path[128];

    (void)state;
    peers_stop(&g.http);
    config_release(&g.cfg);
    dir_close(g.dir_handle);
    store_close(g.store);
    for (int i = 0; i < 3; i++) {
        static const char *const suffix[] = {"", "-wal", "-shm"};

        (void)snprintf(path, sizeof(path), "%s/lcw.db%s", g.dir, suffix[i]);
        (void)unlink(path);
    }
    (void)rmdir(g.dir);
    curl_global_cleanup();
    return 0;
}

static int test_setup(void **state)
{
    (void)state;
    peers_http_clear(&g.http);
    assert_int_equal(peers_http_config(&g.http, "{\"status\":202,\"body\":\"\"}"), 0);
    return 0;
}

/* ---------------------------------------------------------- the call */

struct run {
    json_t *task, *workflow, *user;
    struct task_call call;
    struct task_report report;
    int rc;
};

static void run_ext(struct run *r, const char *ext_id, const char *user_id)
{
    struct lcw_error err = {0};

    memset(r, 0, sizeof(*r));
    r->task = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "id", TASK_ID, "displayName",
                        "Call the HR system", "taskDefinitionId", MODEL_TASKDEF_CUSTOM_EXTENSION,
                        "arguments", "name", "customTaskExtensionID", "value", ext_id);
    r->workflow = json_pack("{s:s, s:s, s:i}", "id", WF_ID, "displayName", "Onboard new hires",
                            "version", 4);
    assert_int_equal(dir_user_get(g.dir_handle, NULL, user_id, &r->user, &err), 0);
    r->call = (struct task_call){.env = &g.env,
                                 .workflow = r->workflow,
                                 .task = r->task,
                                 .user = r->user,
                                 .workflow_id = WF_ID,
                                 .run_id = "run-1",
                                 .user_result_id = "ur-1",
                                 .task_result_id = RESULT_ID,
                                 .now_ms = g.now_ms,
                                 .attempt = 1};
    assert_true(task_exec_custom_extension.is_remote);
    r->rc = task_exec_custom_extension.run(&r->call, &r->report, &err);
    if (r->rc)
        fprintf(stderr, "executor error: %s\n", err.msg);
}

static void run_release(struct run *r)
{
    json_decref(r->task);
    json_decref(r->workflow);
    json_decref(r->user);
}

/* Wait (bounded) until the receiver has recorded `n` requests, then check it is exactly n. */
static void assert_requests(size_t n)
{
    for (int i = 0; i < 100 && peers_http_count(&g.http) < n; i++)
        usleep(20000);
    assert_int_equal(peers_http_count(&g.http), n);
}

/* ------------------------------------------------------------- tests */

static void test_extension__none__payload_auth_and_signature(void **state)
{
    const char *ext = "e0000000-0000-4000-8000-000000000001";
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char hex[2 * crypto_auth_hmacsha256_BYTES + 1], sig[128];
    json_t *req, *body, *data, *subject, *mgr;
    const char *text, *h;
    struct run r;

    (void)state;
    put_http_extension(ext, "\"replyMode\":\"none\"", 2000, 1);
    run_ext(&r, ext, U_ADA);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.report.outcome, TASK_COMPLETED);
    assert_string_equal(r.report.message,
                        "The custom task extension 'Ext 01' accepted the call (HTTP 202)");
    assert_requests(1);
    req = peers_http_request(&g.http, 0);
    assert_non_null(req);
    assert_string_equal(jsonx_str(req, "method"), "POST");
    assert_string_equal(jsonx_str(req, "path"), "/hooks/lcw?x=1");
    h = jsonx_str(json_object_get(req, "headers"), "content-type");
    assert_string_equal(h, "application/json");
    h = jsonx_str(json_object_get(req, "headers"), "authorization");
    assert_string_equal(h, "Bearer " SECRET);
    text = jsonx_str(req, "body");
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)SECRET, strlen(SECRET));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)text, strlen(text));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    (void)snprintf(sig, sizeof(sig), "sha256=%s", hex);
    assert_string_equal(jsonx_str(json_object_get(req, "headers"), "x-lcw-signature"), sig);

    body = json_loads(text, 0, NULL);
    assert_non_null(body);
    assert_string_equal(jsonx_str(body, "source"), "lcw");
    assert_string_equal(jsonx_str(body, "type"), "lifecycleEvent");
    data = json_object_get(body, "data");
    assert_string_equal(jsonx_str(data, "@odata.type"),
                        "microsoft.graph.identityGovernance.customTaskExtensionCalloutData");
    assert_string_equal(jsonx_str(data, "callbackUriPath"), RESUME_PATH);
    subject = json_object_get(data, "subject");
    assert_string_equal(jsonx_str(subject, "id"), U_ADA);
    assert_string_equal(jsonx_str(subject, "displayName"), "Ada Lovelace");
    assert_string_equal(jsonx_str(subject, "email"), "ada@contoso.example");
    assert_string_equal(jsonx_str(subject, "userPrincipalName"), "Ada Love@contoso.example");
    mgr = json_object_get(subject, "manager");
    assert_string_equal(jsonx_str(mgr, "id"), U_GRACE);
    assert_string_equal(jsonx_str(mgr, "displayName"), "Grace Hopper");
    assert_string_equal(jsonx_str(mgr, "email"), "grace@contoso.example");
    assert_string_equal(jsonx_str(json_object_get(data, "task"), "id"), TASK_ID);
    assert_string_equal(jsonx_str(json_object_get(data, "task"), "displayName"),
                        "Call the HR system");
    assert_string_equal(jsonx_str(json_object_get(data, "taskProcessingResult"), "id"), RESULT_ID);
    assert_string_equal(jsonx_str(json_object_get(data, "taskProcessingResult"), "createdDateTime"),
                        NOW_TEXT);
    assert_string_equal(jsonx_str(json_object_get(data, "workflow"), "id"), WF_ID);
    assert_string_equal(jsonx_str(json_object_get(data, "workflow"), "displayName"),
                        "Onboard new hires");
    assert_int_equal(jsonx_int(json_object_get(data, "workflow"), "workflowVerson", 0), 4);
    assert_int_equal(jsonx_int(json_object_get(data, "workflow"), "workflowVersion", 0), 4);
    json_decref(body);
    json_decref(req);
    run_release(&r);
}

static void test_extension__no_manager__manager_null_email_null(void **state)
{
    const char *ext = "e0000000-0000-4000-8000-000000000002";
    json_t *req, *body, *subject;
    struct run r;

    (void)state;
    put_http_extension(ext, "\"replyMode\":\"none\"", 1000, 0);
    run_ext(&r, ext, U_LONE);
    assert_int_equal(r.report.outcome, TASK_COMPLETED);
    req = peers_http_request(&g.http, 0);
    body = json_loads(jsonx_str(req, "body"), 0, NULL);
    subject = json_object_get(json_object_get(body, "data"), "subject");
    assert_true(json_is_null(json_object_get(subject, "manager")));
    assert_true(json_is_null(json_object_get(subject, "email")));
    json_decref(body);
    json_decref(req);
    run_release(&r);
}

static void test_extension__response__completed_and_failed_with_reasons(void **state)
{
    static const struct {
        const char *answer;
        enum task_outcome outcome;
        const char *message;
    } rows[] = {
            {"{\"status\":200,\"body\":\"{\\\"data\\\":{\\\"operationStatus\\\":\\\"Completed\\\"}}\"}",
             TASK_COMPLETED, "The custom task extension 'Ext 03' reported completion"},
            {"{\"status\":200,\"body\":\"{\\\"source\\\":\\\"hr\\\",\\\"type\\\":\\\"lifecycleEvent\\\","
             "\\\"Data\\\":{\\\"OperationStatus\\\":\\\"completed\\\",\\\"statusReasons\\\":[\\\"badge printed\\\"]}}\"}",
             TASK_COMPLETED,
             "The custom task extension 'Ext 03' reported completion: badge printed"},
            {"{\"status\":200,\"body\":\"{\\\"data\\\":{\\\"operationStatus\\\":\\\"failed\\\","
             "\\\"statusReasons\\\":[\\\"no desk\\\",\\\"no chair\\\"]}}\"}",
             TASK_FAILED, "The custom task extension 'Ext 03' reported failure: no desk; no chair"},
            {"{\"status\":200,\"body\":\"{\\\"data\\\":{\\\"operationStatus\\\":\\\"failed\\\"}}\"}",
             TASK_FAILED, "The custom task extension 'Ext 03' reported failure: no reason given"},
            {"{\"status\":200,\"body\":\"{\\\"data\\\":{\\\"operationStatus\\\":\\\"maybe\\\"}}\"}",
             TASK_FAILED,
             "The custom task extension 'Ext 03' answered without a valid data.operationStatus (completed or failed)"},
            {"{\"status\":200,\"body\":\"<html>ok</html>\"}", TASK_FAILED,
             "The custom task extension 'Ext 03' answered with a body that is not JSON (replyMode is 'response')"},
    };
    const char *ext = "e0000000-0000-4000-8000-000000000003";

    (void)state;
    put_http_extension(ext, "\"replyMode\":\"response\"", 1000, 1);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct run r;

        assert_int_equal(peers_http_config(&g.http, rows[i].answer), 0);
        run_ext(&r, ext, U_ADA);
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.report.outcome, rows[i].outcome);
        assert_string_equal(r.report.message, rows[i].message);
        run_release(&r);
    }
    assert_requests(sizeof(rows) / sizeof(rows[0]));
}

static void test_extension__callback__waits_until_timeout_duration(void **state)
{
    const char *ext = "e0000000-0000-4000-8000-000000000004";
    struct run r;

    (void)state;
    put_http_extension(
            ext,
            "\"replyMode\":\"callback\",\"callbackConfiguration\":{\"@odata.type\":"
            "\"#microsoft.graph.identityGovernance.customTaskExtensionCallbackConfiguration\","
            "\"timeoutDuration\":\"PT10M\"}",
            1000, 1);
    run_ext(&r, ext, U_ADA);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.report.outcome, TASK_WAITING);
    assert_int_equal(r.report.wait_until_ms, g.now_ms + 10 * 60 * 1000);
    assert_string_equal(r.report.message, "Waiting for the custom task extension 'Ext 04' to call "
                                          "back (until 2026-03-01T09:10:00Z)");
    assert_requests(1);
    run_release(&r);
}

static void test_extension__server_error__retried_per_client_configuration(void **state)
{
    static const struct {
        int retries;
        const char *answer;
        enum task_outcome outcome;
        size_t requests;
        const char *message;
    } rows[] = {
            {1, "{\"status\":500,\"body\":\"boom\\u0007 happened\"}", TASK_RETRY, 2,
             "The extension endpoint answered 500 (2 attempts): boom  happened"},
            {0, "{\"status\":503,\"body\":\"\"}", TASK_RETRY, 1,
             "The extension endpoint answered 503: (empty body)"},
            {1, "{\"status\":404,\"body\":\"no such hook\"}", TASK_FAILED, 1,
             "The extension endpoint answered 404: no such hook"},
            {1, "{\"status\":200,\"responses\":[{\"status\":502,\"body\":\"bad gateway\"}]}",
             TASK_COMPLETED, 2, "The custom task extension 'Ext 05' accepted the call (HTTP 200)"},
    };
    const char *ext = "e0000000-0000-4000-8000-000000000005";

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct run r;

        put_http_extension(ext, "\"replyMode\":\"none\"", 1000, rows[i].retries);
        peers_http_clear(&g.http);
        assert_int_equal(peers_http_config(&g.http, rows[i].answer), 0);
        run_ext(&r, ext, U_ADA);
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.report.outcome, rows[i].outcome);
        assert_string_equal(r.report.message, rows[i].message);
        assert_requests(rows[i].requests);
        run_release(&r);
    }
}

static void test_extension__slow_endpoint__timeout_per_attempt(void **state)
{
    const char *ext = "e0000000-0000-4000-8000-000000000006";
    int64_t start;
    struct run r;

    (void)state;
    put_http_extension(ext, "\"replyMode\":\"none\"", 300, 1);
    assert_int_equal(peers_http_config(&g.http, "{\"status\":200,\"delay_ms\":1500}"), 0);
    start = lcw_monotonic_ms();
    run_ext(&r, ext, U_ADA);
    assert_true(lcw_monotonic_ms() - start < 1500); /* two 300 ms attempts, not the delay */
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.report.outcome, TASK_RETRY);
    assert_string_equal(r.report.message,
                        "The extension endpoint did not answer within 300 ms (2 attempts)");
    assert_requests(2);
    run_release(&r);
}

static void test_extension__unreachable__failed_after_retry(void **state)
{
    const char *ext = "e0000000-0000-4000-8000-000000000007";
    char saved[128];
    struct run r;

    (void)state;
    lcw_strlcpy(saved, g.url, sizeof(saved));
    (void)snprintf(g.url, sizeof(g.url), "http://127.0.0.1:%d/", peers_free_port());
    put_http_extension(ext, "\"replyMode\":\"none\"", 500, 1);
    lcw_strlcpy(g.url, saved, sizeof(g.url));
    run_ext(&r, ext, U_ADA);
    assert_int_equal(r.report.outcome, TASK_RETRY);
    assert_non_null(
            strstr(r.report.message, "The extension endpoint could not be called (2 attempts): "));
    run_release(&r);
}

static void test_extension__unusable_endpoints__fail_and_cannot_run(void **state)
{
    static const struct {
        const char *id;
        const char *body; /* NULL: not stored */
        const char *reason;
    } rows[] = {
            {"e0000000-0000-4000-8000-000000000010",
             "{\"displayName\":\"Logic\",\"endpointConfiguration\":{\"@odata.type\":"
             "\"#microsoft.graph.logicAppTriggerEndpointConfiguration\",\"subscriptionId\":"
             "\"c500b67c-e9b7-4ad2-a90d-77d41385ae55\",\"resourceGroupName\":\"RG\","
             "\"logicAppWorkflowName\":\"LA\"},\"authenticationConfiguration\":{\"@odata.type\":"
             "\"#lcw.sharedSecretAuthentication\",\"secret\":\"" SECRET "\"}}",
             "Logic App endpoints are not reachable from lcw; use #microsoft.graph.httpRequestEndpoint"},
            {"e0000000-0000-4000-8000-000000000011",
             "{\"displayName\":\"AAD\",\"endpointConfiguration\":{\"@odata.type\":"
             "\"#microsoft.graph.httpRequestEndpoint\",\"targetUrl\":\"http://127.0.0.1:9/\"},"
             "\"authenticationConfiguration\":{\"@odata.type\":"
             "\"#microsoft.graph.azureAdTokenAuthentication\",\"resourceId\":"
             "\"542dc01a-0b5d-4edc-b3f9-5cfe6393f557\"}}",
             "Azure AD token authentication is not available in self-hosted lcw; use #lcw.sharedSecretAuthentication"},
            {EXT_ABSENT, NULL,
             "The custom task extension " EXT_ABSENT " does not exist (it may have been deleted)"},
    };
    struct run r;

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char reason[256] = "";
        json_t *task;
        bool ok;

        if (rows[i].body)
            put_extension(rows[i].id, rows[i].body);
        run_ext(&r, rows[i].id, U_ADA);
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.report.outcome, TASK_FAILED);
        assert_string_equal(r.report.message, rows[i].reason);
        task = json_pack("{s:[{s:s, s:s}]}", "arguments", "name", "customTaskExtensionID", "value",
                         rows[i].id);
        ok = task_exec_custom_extension.can_run(&g.env, task, reason, sizeof(reason));
        assert_false(ok);
        if (rows[i].body)
            assert_string_equal(reason, rows[i].reason);
        else
            assert_string_equal(reason, "The custom task extension " EXT_ABSENT " does not exist");
        json_decref(task);
        run_release(&r);
    }
    assert_requests(0);
}

static void test_extension__usable_endpoint__can_run(void **state)
{
    const char *ext = "e0000000-0000-4000-8000-000000000008";
    char reason[256] = "";
    json_t *task;

    (void)state;
    put_http_extension(ext, "\"replyMode\":\"none\"", 1000, 1);
    task = json_pack("{s:[{s:s, s:s}]}", "arguments", "name", "customTaskExtensionID", "value",
                     ext);
    assert_true(task_exec_custom_extension.can_run(&g.env, task, reason, sizeof(reason)));
    json_decref(task);
    task = json_pack("{s:[]}", "arguments");
    assert_false(task_exec_custom_extension.can_run(&g.env, task, reason, sizeof(reason)));
    assert_string_equal(reason, "The task has no customTaskExtensionID argument");
    json_decref(task);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup(test_extension__none__payload_auth_and_signature, test_setup),
            cmocka_unit_test_setup(test_extension__no_manager__manager_null_email_null, test_setup),
            cmocka_unit_test_setup(test_extension__response__completed_and_failed_with_reasons,
                                   test_setup),
            cmocka_unit_test_setup(test_extension__callback__waits_until_timeout_duration,
                                   test_setup),
            cmocka_unit_test_setup(test_extension__server_error__retried_per_client_configuration,
                                   test_setup),
            cmocka_unit_test_setup(test_extension__slow_endpoint__timeout_per_attempt, test_setup),
            cmocka_unit_test_setup(test_extension__unreachable__failed_after_retry, test_setup),
            cmocka_unit_test_setup(test_extension__unusable_endpoints__fail_and_cannot_run,
                                   test_setup),
            cmocka_unit_test_setup(test_extension__usable_endpoint__can_run, test_setup),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
