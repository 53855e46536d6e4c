/* SPDX-License-Identifier: MIT */
/*
 * "Run a custom task extension" (spec section 7, product A.4.2): POST the
 * callout payload to the extension's HTTP endpoint, authenticated with its
 * shared secret (Bearer + HMAC signature), honouring clientConfiguration
 * (per-attempt timeout, at most one immediate retry of the call-out), then
 * complete, fail, or wait for the resume callback as replyMode says. The
 * resume itself is the engine's and api's business. A remote executor: reads
 * the store in its own read transaction and the directory with tx == NULL.
 * Stateless; safe on concurrent workers.
 */
#include "smtp.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "lcw/dir.h"
#include "lcw/jsonx.h"
#include "lcw/model.h"
#include "lcw/store.h"

#include "tasks_int.h"

#define EXT_MAX_RESPONSE_BYTES (64 * 1024)
#define EXT_DEFAULT_TIMEOUT_MS 1000
#define EXT_MAX_TIMEOUT_MS     10000 /* defence: the model allows 200..2000 */
#define EXT_SNIPPET_BYTES      200
#define EXT_SECRET_TYPE        "#lcw.sharedSecretAuthentication"
#define EXT_HTTP_TYPE          "#microsoft.graph.httpRequestEndpoint"
#define EXT_LOGIC_APP_TYPE     "#microsoft.graph.logicAppTriggerEndpointConfiguration"
#define EXT_CALLOUT_TYPE       "microsoft.graph.identityGovernance.customTaskExtensionCalloutData"

/* What an extension's stored document says about how to call it. */
struct ext_target {
    const char *url;    /* borrowed from the doc */
    const char *secret; /* borrowed from the doc */
    const char *name;   /* displayName, borrowed */
    const char *mode;   /* "none", "callback" or "response" */
    int64_t timeout_ms; /* per attempt */
    int64_t retries;    /* 0 or 1 */
    int64_t callback_ms;
};

static bool http_url(const char *s)
{
    return s && (strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0);
}

/*
 * Read the endpoint, authentication, client and callback settings of `ext`.
 * False with `reason` when lcw cannot call it at all.
 */
static bool ext_target_of(const json_t *ext, struct ext_target *t, char *reason, size_t cap)
{
    const json_t *ep = json_object_get(ext, "endpointConfiguration");
    const json_t *auth = json_object_get(ext, "authenticationConfiguration");
    const json_t *client = json_object_get(ext, "clientConfiguration");
    const json_t *cb = json_object_get(ext, "callbackConfiguration");
    const char *ep_type = jsonx_str(ep, "@odata.type"), *auth_type = jsonx_str(auth, "@odata.type");
    const char *mode = jsonx_str(ext, "replyMode");

    memset(t, 0, sizeof(*t));
    t->name = jsonx_str(ext, "displayName") ? jsonx_str(ext, "displayName") : "(unnamed)";
    if (ep_type && lcw_str_eq_ci(ep_type, EXT_HTTP_TYPE)) {
        t->url = jsonx_str(ep, "targetUrl");
    } else if (ep_type && lcw_str_eq_ci(ep_type, EXT_LOGIC_APP_TYPE)) {
        /* Azure fills `url` in; lcw cannot, so only a URL someone stored counts. */
        t->url = jsonx_str(ep, "url");
        if (!http_url(t->url)) {
            (void)snprintf(
                    reason, cap,
                    "Logic App endpoints are not reachable from lcw; use #microsoft.graph.httpRequestEndpoint");
            return false;
        }
    }
    if (!http_url(t->url)) {
        (void)snprintf(reason, cap,
                       "The custom task extension '%.100s' has no http:// or https:// endpoint",
                       t->name);
        return false;
    }
    if (!auth_type || !lcw_str_eq_ci(auth_type, EXT_SECRET_TYPE)) {
        (void)snprintf(
                reason, cap,
                "Azure AD token authentication is not available in self-hosted lcw; use #lcw.sharedSecretAuthentication");
        return false;
    }
    t->secret = jsonx_str(auth, "secret");
    if (!t->secret || !*t->secret) {
        (void)snprintf(reason, cap, "The custom task extension '%.100s' has no shared secret",
                       t->name);
        return false;
    }
    t->timeout_ms = jsonx_int(client, "timeoutInMilliseconds", EXT_DEFAULT_TIMEOUT_MS);
    if (t->timeout_ms <= 0 || t->timeout_ms > EXT_MAX_TIMEOUT_MS)
        t->timeout_ms = EXT_DEFAULT_TIMEOUT_MS;
    t->retries = jsonx_int(client, "maximumRetries", 1) > 0 ? 1 : 0;
    if (!mode)
        mode = json_is_object(cb) ? "callback" : "none";
    if (lcw_str_eq_ci(mode, "callback")) {
        const char *dur = jsonx_str(cb, "timeoutDuration");

        if (!dur || model_iso8601_duration_parse(dur, &t->callback_ms) || t->callback_ms <= 0) {
            (void)snprintf(
                    reason, cap,
                    "The custom task extension '%.100s' waits for a callback but has no valid callbackConfiguration.timeoutDuration",
                    t->name);
            return false;
        }
        t->mode = "callback";
    } else if (lcw_str_eq_ci(mode, "response")) {
        t->mode = "response";
    } else if (lcw_str_eq_ci(mode, "none")) {
        t->mode = "none";
    } else {
        (void)snprintf(reason, cap,
                       "The custom task extension '%.100s' has an unknown replyMode '%.40s'",
                       t->name, mode);
        return false;
    }
    return true;
}

/* Load extension `id`; *ext NULL (and no error) when it does not exist. */
static int ext_load(struct store *store, const char *id, json_t **ext, struct lcw_error *err)
{
    struct store_tx tx;
    int rc;

    *ext = NULL;
    if ((rc = store_tx_begin(store, &tx, STORE_TX_READ, err)))
        return rc;
    rc = store_entity_get(&tx, &store_ent_extension, id, ext, err);
    store_tx_rollback(&tx); /* a read transaction: nothing to commit */
    if (rc == LCW_ENOTFOUND) {
        *ext = NULL;
        return 0;
    }
    return rc;
}

/* -------------------------------------------------------------- payload */

static json_t *person(const json_t *u, bool with_upn)
{
    json_t *o = json_object();

    if (!o || jsonx_set_str(o, "id", jsonx_str(u, "id")) ||
        jsonx_set_str(o, "displayName", jsonx_str(u, "displayName")) ||
        jsonx_set_str(o, "email", jsonx_str(u, "mail")) ||
        (with_upn && jsonx_set_str(o, "userPrincipalName", jsonx_str(u, "userPrincipalName")))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The callout payload of spec section 7, as compact JSON (owned). */
static char *callout_payload(const struct task_call *call, const json_t *manager)
{
    /* call->workflow is the version snapshot that runs (versionNumber); a
     * workflow document (version) is accepted too. */
    const json_t *version = json_object_get(call->workflow, "versionNumber")
                                    ? json_object_get(call->workflow, "versionNumber")
                                    : json_object_get(call->workflow, "version");
    json_t *subject = person(call->user, true), *data = NULL, *root = NULL;
    char path[512], created[TIMEFMT_LEN];
    char *text = NULL;

    (void)snprintf(path, sizeof(path),
                   "/identityGovernance/lifecycleWorkflows/workflows/%s/tasks/%s"
                   "/taskProcessingResults/%s/resume",
                   call->workflow_id ? call->workflow_id : "",
                   jsonx_str(call->task, "id") ? jsonx_str(call->task, "id") : "",
                   call->task_result_id ? call->task_result_id : "");
    (void)timefmt_format(call->now_ms, created);
    if (!subject ||
        json_object_set_new(subject, "manager", manager ? person(manager, false) : json_null()))
        goto out;
    /*
     * `workflowVerson` is the documented Logic App trigger schema's spelling
     * (sic, spec 7); `workflowVersion` is sent as well for receivers that
     * use the corrected name (product A.4.2).
     */
    data = json_pack("{s:s, s:s, s:O, s:{s:s?, s:s?}, s:{s:s?, s:s}, s:{s:s?, s:s?, s:O?, s:O?}}",
                     "@odata.type", EXT_CALLOUT_TYPE, "callbackUriPath", path, "subject", subject,
                     "task", "id", jsonx_str(call->task, "id"), "displayName",
                     jsonx_str(call->task, "displayName"), "taskProcessingResult", "id",
                     call->task_result_id, "createdDateTime", created, "workflow", "id",
                     call->workflow_id, "displayName", jsonx_str(call->workflow, "displayName"),
                     "workflowVerson", version, "workflowVersion", version);
    if (!data)
        goto out;
    root = json_pack("{s:s, s:s, s:O}", "source", "lcw", "type", "lifecycleEvent", "data", data);
    if (root)
        text = jsonx_dump(root);
out:
    json_decref(subject);
    json_decref(data);
    json_decref(root);
    return text;
}

/* ----------------------------------------------------------------- HTTP */

struct capture {
    struct buf body;
    bool is_truncated;
};

/* Keep the first EXT_MAX_RESPONSE_BYTES; read and drop the rest. */
static size_t write_cb(char *p, size_t size, size_t n, void *ctx)
{
    struct capture *c = ctx;
    size_t len = size * n, room = c->body.max - c->body.len, take = len < room ? len : room;

    if (take && buf_append(&c->body, p, take))
        return 0; /* out of memory: abort the transfer */
    c->is_truncated = c->is_truncated || take < len;
    return len;
}

enum attempt_result { ATTEMPT_OK, ATTEMPT_RETRYABLE, ATTEMPT_FINAL };

struct attempt {
    enum attempt_result result;
    CURLcode curl_rc;
    long status;
    char curl_err[CURL_ERROR_SIZE];
};

static int post_once(const struct ext_target *t, const struct curl_slist *headers,
                     const char *payload, struct capture *cap, struct attempt *a,
                     struct lcw_error *err)
{
    CURL *h = curl_easy_init();

    memset(a, 0, sizeof(*a));
    buf_reset(&cap->body);
    cap->is_truncated = false;
    if (!h)
        return lcw_error_set(err, LCW_ENOMEM, "could not create a libcurl handle");
    /* Option failures mean memory or a libcurl without the option: the call cannot be made. */
    if (curl_easy_setopt(h, CURLOPT_URL, t->url) ||
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") ||
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ||
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)t->timeout_ms) ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)t->timeout_ms) ||
        curl_easy_setopt(h, CURLOPT_POST, 1L) || curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload) ||
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload)) ||
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers) ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb) ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, cap) ||
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, a->curl_err)) {
        curl_easy_cleanup(h);
        return lcw_error_set(err, LCW_EINTERNAL, "could not configure the extension call");
    }
    a->curl_rc = curl_easy_perform(h);
    (void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
    curl_easy_cleanup(h);
    if (a->curl_rc == CURLE_WRITE_ERROR)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory reading the extension's answer");
    switch (a->curl_rc) {
    case CURLE_OK:
        if (a->status >= 200 && a->status < 300)
            a->result = ATTEMPT_OK;
        else if (a->status == 408 || a->status == 429 || a->status >= 500)
            a->result = ATTEMPT_RETRYABLE;
        else
            a->result = ATTEMPT_FINAL;
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        a->result = ATTEMPT_RETRYABLE;
        break;
    default:
        a->result = ATTEMPT_FINAL;
    }
    return 0;
}

/* Headers: JSON, the Bearer secret and the body's HMAC-SHA256 signature. */
static int build_headers(const struct ext_target *t, const char *payload, struct curl_slist **out,
                         struct lcw_error *err)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char mac_hex[2 * crypto_auth_hmacsha256_BYTES + 1], line[1200];
    crypto_auth_hmacsha256_state st;
    const char *fixed[] = {"Content-Type: application/json", "Accept: application/json",
                           ("User-Agent: lcw/" LCW_VERSION), "Expect:"};
    struct curl_slist *list = NULL, *next;
    int rc = 0;

    *out = NULL;
    (void)crypto_auth_hmacsha256_init(&st, (const unsigned char *)t->secret, strlen(t->secret));
    (void)crypto_auth_hmacsha256_update(&st, (const unsigned char *)payload, strlen(payload));
    (void)crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof(st));
    (void)sodium_bin2hex(mac_hex, sizeof(mac_hex), mac, sizeof(mac));
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) + 2; i++) {
        const char *h = line;

        if (i < sizeof(fixed) / sizeof(fixed[0]))
            h = fixed[i];
        else if (i == sizeof(fixed) / sizeof(fixed[0]))
            (void)snprintf(line, sizeof(line), "X-Lcw-Signature: sha256=%s", mac_hex);
        else if ((size_t)snprintf(line, sizeof(line), "Authorization: Bearer %s", t->secret) >=
                 sizeof(line)) {
            rc = lcw_error_set(err, LCW_EINVAL, "the extension's secret is too long");
            break;
        }
        if (!(next = curl_slist_append(list, h))) {
            rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
            break;
        }
        list = next;
    }
    sodium_memzero(line, sizeof(line));
    if (rc) {
        curl_slist_free_all(list);
        return rc;
    }
    *out = list;
    return 0;
}

/* A printable excerpt of a response body for a failure reason. */
static void snippet(const struct capture *cap, char *out, size_t cap_bytes)
{
    size_t n = cap->body.len < EXT_SNIPPET_BYTES ? cap->body.len : EXT_SNIPPET_BYTES, o = 0;

    while (n > 0 && n < cap->body.len && ((unsigned char)cap->body.data[n] & 0xc0) == 0x80)
        n--;
    for (size_t i = 0; i < n && o + 1 < cap_bytes; i++) {
        unsigned char ch = (unsigned char)cap->body.data[i];

        out[o++] = (char)(ch < ' ' || ch == 0x7f ? ' ' : ch);
    }
    out[o] = '\0';
    if (o == 0)
        (void)snprintf(out, cap_bytes, "(empty body)");
}

/* ------------------------------------------------------------ replies */

static const json_t *member_ci(const json_t *obj, const char *name)
{
    const char *key;
    const json_t *v;

    if (!json_is_object(obj))
        return NULL;
    json_object_foreach (JSONX_MUT(obj), key, v) {
        if (lcw_str_eq_ci(key, name))
            return v;
    }
    return NULL;
}

/* replyMode "response": the body is customTaskExtensionResponseData. */
static void response_outcome(const struct ext_target *t, const struct capture *cap,
                             struct task_report *report)
{
    json_t *root = cap->is_truncated ? NULL
                                     : json_loadb(cap->body.data ? cap->body.data : "",
                                                  cap->body.len, 0, NULL);
    const json_t *data = member_ci(root, "data"), *reasons, *r;
    const char *status;
    char text[400];
    size_t used = 0, i;

    if (!json_is_object(data))
        data = root; /* a bare customTaskExtensionResponseData */
    status = json_string_value(member_ci(data, "operationStatus"));
    reasons = member_ci(data, "statusReasons");
    text[0] = '\0';
    json_array_foreach (reasons, i, r) {
        const char *s = json_is_string(r) ? json_string_value(r)
                                          : jsonx_str(r, "message"); /* tolerate {message} */
        int k;

        if (!s || !*s)
            continue;
        k = snprintf(text + used, sizeof(text) - used, "%s%s", used ? "; " : "", s);
        if (k < 0 || (size_t)k >= sizeof(text) - used)
            break;
        used += (size_t)k;
    }
    if (cap->is_truncated) {
        tasks__remote_report(
                report, TASK_FAILED,
                "The custom task extension '%.100s' answered with more than %d KiB (replyMode is 'response')",
                t->name, EXT_MAX_RESPONSE_BYTES / 1024);
    } else if (!root) {
        tasks__remote_report(
                report, TASK_FAILED,
                "The custom task extension '%.100s' answered with a body that is not JSON (replyMode is 'response')",
                t->name);
    } else if (status && lcw_str_eq_ci(status, "completed")) {
        tasks__remote_report(report, TASK_COMPLETED,
                             "The custom task extension '%.100s' reported completion%s%s", t->name,
                             used ? ": " : "", text);
    } else if (status && lcw_str_eq_ci(status, "failed")) {
        tasks__remote_report(report, TASK_FAILED,
                             "The custom task extension '%.100s' reported failure: %s", t->name,
                             used ? text : "no reason given");
    } else {
        tasks__remote_report(
                report, TASK_FAILED,
                "The custom task extension '%.100s' answered without a valid data.operationStatus (completed or failed)",
                t->name);
    }
    json_decref(root);
}

static void failure_outcome(const struct ext_target *t, const struct attempt *a,
                            const struct capture *cap, int attempts, struct task_report *report)
{
    char snip[EXT_SNIPPET_BYTES + 16], tries[32] = "";

    /* 408, 429, 5xx, timeouts and connection errors are transient: the
     * engine retries them when the task has a retryPolicy, and fails them at
     * once when it has none (as Entra does). Other answers fail for good. */
    bool is_transient =
            a->curl_rc != CURLE_OK || a->status == 408 || a->status == 429 || a->status >= 500;
    enum task_outcome outcome = is_transient ? TASK_RETRY : TASK_FAILED;

    if (attempts > 1)
        (void)snprintf(tries, sizeof(tries), " (%d attempts)", attempts);
    if (a->curl_rc == CURLE_OK) {
        snippet(cap, snip, sizeof(snip));
        tasks__remote_report(report, outcome, "The extension endpoint answered %ld%s: %s",
                             a->status, tries, snip);
    } else if (a->curl_rc == CURLE_OPERATION_TIMEDOUT) {
        tasks__remote_report(report, outcome,
                             "The extension endpoint did not answer within %lld ms%s",
                             (long long)t->timeout_ms, tries);
    } else {
        tasks__remote_report(report, outcome, "The extension endpoint could not be called%s: %s",
                             tries, a->curl_err[0] ? a->curl_err : curl_easy_strerror(a->curl_rc));
    }
    if (is_transient)
        report->retry_after_ms = 30000;
}

static int ext_run(const struct task_call *call, struct task_report *report, struct lcw_error *err)
{
    const char *id = tasks__mail_arg(call->task, "customTaskExtensionID");
    const char *uid = jsonx_str(call->user, "id");
    json_t *ext = NULL, *manager = NULL;
    struct curl_slist *headers = NULL;
    struct lcw_error derr = {0};
    struct ext_target t;
    struct capture cap;
    struct attempt a;
    char *payload = NULL, until[TIMEFMT_LEN];
    int rc, attempts = 0;

    memset(report, 0, sizeof(*report));
    buf_init(&cap.body, EXT_MAX_RESPONSE_BYTES);
    cap.is_truncated = false;
    if (!id) {
        tasks__remote_report(report, TASK_FAILED, "The task has no customTaskExtensionID argument");
        rc = 0;
        goto out;
    }
    if ((rc = ext_load(call->env->store, id, &ext, err))) {
        if (rc == LCW_EBUSY) {
            tasks__remote_report(report, TASK_RETRY,
                                 "The store is busy; the extension was not called");
            report->retry_after_ms = SMTP_RETRY_FIRST_MS;
            rc = 0;
        }
        goto out;
    }
    if (!ext) {
        tasks__remote_report(
                report, TASK_FAILED,
                "The custom task extension %.40s does not exist (it may have been deleted)", id);
        goto out;
    }
    if (!ext_target_of(ext, &t, report->message, sizeof(report->message))) {
        report->outcome = TASK_FAILED;
        goto out;
    }
    if (!uid) {
        rc = lcw_error_set(err, LCW_EINVAL, "the task call has no subject user");
        goto out;
    }
    rc = dir_user_manager(call->env->dir, NULL, uid, &manager, &derr);
    if (rc == LCW_ENOTFOUND) {
        manager = NULL; /* no manager: "manager": null in the payload */
    } else if (rc == LCW_EBUSY || rc == LCW_EIO) {
        tasks__remote_report(report, TASK_RETRY, "The directory could not be read: %s",
                             derr.msg[0] ? derr.msg : lcw_err_name(rc));
        report->retry_after_ms = SMTP_RETRY_FIRST_MS;
        rc = 0;
        goto out;
    } else if (rc) {
        rc = lcw_error_set(err, rc, "%s", derr.msg);
        goto out;
    }
    if (!(payload = callout_payload(call, manager))) {
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory building the callout");
        goto out;
    }
    if ((rc = build_headers(&t, payload, &headers, err)))
        goto out;
    /* clientConfiguration.maximumRetries: immediate retries of the call-out only. */
    do {
        attempts++;
        if ((rc = post_once(&t, headers, payload, &cap, &a, err)))
            goto out;
    } while (a.result == ATTEMPT_RETRYABLE && attempts <= t.retries);

    if (a.result != ATTEMPT_OK) {
        failure_outcome(&t, &a, &cap, attempts, report);
    } else if (strcmp(t.mode, "response") == 0) {
        response_outcome(&t, &cap, report);
    } else if (strcmp(t.mode, "callback") == 0) {
        report->wait_until_ms = call->now_ms + t.callback_ms;
        tasks__remote_report(
                report, TASK_WAITING,
                "Waiting for the custom task extension '%.100s' to call back (until %s)", t.name,
                timefmt_format(report->wait_until_ms, until));
    } else {
        tasks__remote_report(report, TASK_COMPLETED,
                             "The custom task extension '%.100s' accepted the call (HTTP %ld)",
                             t.name, a.status);
    }
out:
    curl_slist_free_all(headers);
    lcw_free(payload);
    buf_release(&cap.body);
    json_decref(manager);
    json_decref(ext);
    return rc;
}

static bool ext_can_run(const struct task_env *env, const json_t *task, char *reason, size_t cap)
{
    const char *id = tasks__mail_arg(task, "customTaskExtensionID");
    struct lcw_error err = {0};
    struct ext_target t;
    json_t *ext = NULL;
    bool ok;

    if (!id) {
        (void)snprintf(reason, cap, "The task has no customTaskExtensionID argument");
        return false;
    }
    if (ext_load(env->store, id, &ext, &err))
        return true; /* the store cannot tell now; the run will */
    if (!ext) {
        (void)snprintf(reason, cap, "The custom task extension %.40s does not exist", id);
        return false;
    }
    ok = ext_target_of(ext, &t, reason, cap);
    json_decref(ext);
    return ok;
}

const struct task_executor task_exec_custom_extension = {
        .definition_id = MODEL_TASKDEF_CUSTOM_EXTENSION,
        .is_remote = true,
        .run = ext_run,
        .can_run = ext_can_run,
};
