/* SPDX-License-Identifier: MIT */
/*
 * customTaskExtension request bodies (spec 3.14, 5.7): endpoint,
 * authentication, client and callback configuration, reply mode; the
 * redaction of write-only secrets; and the ISO 8601 duration parser used for
 * callback timeouts. Pure.
 */
#include "lcw/model.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "model_int.h"

#define EXT_TYPE            "customTaskExtension"
#define MAX_URL_CHARS       2048
#define MIN_SECRET_CHARS    16
#define MAX_SECRET_CHARS    1024
#define MIN_CALLBACK_MS     (5 * 60 * 1000LL)
#define MAX_CALLBACK_MS     (3 * 60 * 60 * 1000LL)
#define MAX_AUTHORIZED_APPS 20
#define SHARED_SECRET_TYPE  "lcw.sharedSecretAuthentication"

static const char *const ext_allowed[] = {"displayName",
                                          "description",
                                          "endpointConfiguration",
                                          "authenticationConfiguration",
                                          "clientConfiguration",
                                          "callbackConfiguration",
                                          "replyMode",
                                          NULL};
static const char *const ext_readonly[] = {"id",        "createdDateTime", "lastModifiedDateTime",
                                           "createdBy", "lastModifiedBy",  NULL};

static const char *const endpoint_types[] = {"microsoft.graph.logicAppTriggerEndpointConfiguration",
                                             "microsoft.graph.httpRequestEndpoint", NULL};
static const char *const auth_types[] = {"microsoft.graph.azureAdTokenAuthentication",
                                         "microsoft.graph.azureAdPopTokenAuthentication",
                                         SHARED_SECRET_TYPE, NULL};
enum { EP_LOGIC_APP, EP_HTTP };
enum { AUTH_TOKEN, AUTH_POP, AUTH_SECRET };

int model_iso8601_duration_parse(const char *s, int64_t *out_ms)
{
    /* Unit letters in the order they must appear, with their size in ms. */
    static const struct {
        char unit;
        bool is_time;
        int64_t ms;
    } units[] = {{'W', false, 7 * 86400000LL},
                 {'D', false, 86400000LL},
                 {'H', true, 3600000LL},
                 {'M', true, 60000LL},
                 {'S', true, 1000LL}};
    size_t next_unit = 0;
    bool in_time = false, any = false, time_any = false;
    int64_t total = 0;

    if (!s || (*s != 'P' && *s != 'p'))
        return LCW_EINVAL;
    for (s++; *s;) {
        int64_t whole = 0, frac_ms = 0, part;
        bool digits = false, has_frac = false;
        char u;
        size_t k;

        if ((*s == 'T' || *s == 't') && !in_time) {
            in_time = true;
            s++;
            continue;
        }
        for (; *s >= '0' && *s <= '9'; s++) {
            digits = true;
            if (__builtin_mul_overflow(whole, 10, &whole) ||
                __builtin_add_overflow(whole, *s - '0', &whole))
                return LCW_EINVAL;
        }
        if (*s == '.' || *s == ',') {
            int64_t scale = 100;

            has_frac = true;
            s++;
            if (!(*s >= '0' && *s <= '9'))
                return LCW_EINVAL;
            for (; *s >= '0' && *s <= '9'; s++) {
                frac_ms += (*s - '0') * scale;
                scale /= 10;
            }
        }
        if (!digits)
            return LCW_EINVAL;
        u = (char)(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
        for (k = next_unit; k < sizeof(units) / sizeof(units[0]); k++) {
            if (units[k].unit == u && units[k].is_time == in_time)
                break;
        }
        if (k == sizeof(units) / sizeof(units[0]))
            return LCW_EINVAL; /* unknown, repeated, out of order, or Y / month M */
        if (has_frac && u != 'S')
            return LCW_EINVAL;
        if (__builtin_mul_overflow(whole, units[k].ms, &part) ||
            __builtin_add_overflow(part, has_frac ? frac_ms : 0, &part) ||
            __builtin_add_overflow(total, part, &total))
            return LCW_EINVAL;
        next_unit = k + 1;
        any = true;
        time_any = time_any || in_time;
        s++;
    }
    if (!any || (in_time && !time_any))
        return LCW_EINVAL;
    *out_ms = total;
    return 0;
}

static json_t *typed(const char *full_name)
{
    char type[128];
    json_t *o = json_object();

    (void)snprintf(type, sizeof(type), "#%s", full_name);
    if (o && model__set(o, "@odata.type", json_string(type))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* http(s)://authority[/...]: no spaces, no control characters, no user:password@. */
static bool url_ok(const char *s, const char **why)
{
    const char *auth, *end;

    if (strncasecmp(s, "https://", 8) == 0)
        auth = s + 8;
    else if (strncasecmp(s, "http://", 7) == 0)
        auth = s + 7;
    else {
        *why = "must be an http:// or https:// URL";
        return false;
    }
    for (const char *p = s; *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7f) {
            *why = "must not contain spaces or control characters";
            return false;
        }
    }
    end = auth + strcspn(auth, "/?#");
    if (end == auth) {
        *why = "has no host";
        return false;
    }
    if (memchr(auth, '@', (size_t)(end - auth))) {
        *why = "must not carry credentials (user:password@); use authenticationConfiguration";
        return false;
    }
    return true;
}

static int endpoint_config(struct vctx *c, const json_t *v, json_t **out)
{
    static const char *const la_allowed[] = {"subscriptionId", "resourceGroupName",
                                             "logicAppWorkflowName", NULL};
    static const char *const la_readonly[] = {"url", NULL};
    static const char *const http_allowed[] = {"targetUrl", NULL};
    size_t old = model__push(c, "endpointConfiguration"), kind = 0;
    const char *sub, *rg, *name, *url, *why = NULL;
    json_t *doc = NULL;
    int rc;

    *out = NULL;
    if (!v || json_is_null(v)) {
        rc = model__fail(
                c,
                "is required: use #microsoft.graph.httpRequestEndpoint {targetUrl} or #microsoft.graph.logicAppTriggerEndpointConfiguration");
        goto out;
    }
    if (!json_is_object(v)) {
        rc = model__fail(c, "expected an object with an @odata.type");
        goto out;
    }
    if ((rc = model__poly_type(c, v, "", endpoint_types, &kind)))
        goto out;
    if (kind == EP_LOGIC_APP) {
        if ((rc = model__check_keys(c, v, "logicAppTriggerEndpointConfiguration", la_allowed,
                                    la_readonly, NULL)) ||
            (rc = model__get_str(c, v, "subscriptionId", true, false, 0, false, &sub)) ||
            (rc = model__get_str(c, v, "resourceGroupName", true, false, 90, true, &rg)) ||
            (rc = model__get_str(c, v, "logicAppWorkflowName", true, false, 80, true, &name)))
            goto out;
        if (!uuid_valid(sub, strlen(sub))) {
            rc = model__fail_at(c, "subscriptionId", "must be a GUID (got '%s')", sub);
            goto out;
        }
        if (!(doc = typed(endpoint_types[kind])) ||
            model__set(doc, "subscriptionId", json_string(sub)) ||
            model__set(doc, "resourceGroupName", json_string(rg)) ||
            model__set(doc, "logicAppWorkflowName", json_string(name)) ||
            model__set(doc, "url", json_null()))
            goto nomem;
    } else {
        if ((rc = model__check_keys(c, v, "httpRequestEndpoint", http_allowed, NULL, NULL)) ||
            (rc = model__get_str(c, v, "targetUrl", true, false, MAX_URL_CHARS, false, &url)))
            goto out;
        if (!url_ok(url, &why)) {
            rc = model__fail_at(c, "targetUrl", "%s (got '%.100s')", why, url);
            goto out;
        }
        if (!(doc = typed(endpoint_types[kind])) || model__set(doc, "targetUrl", json_string(url)))
            goto nomem;
    }
    *out = doc;
    doc = NULL;
    model__pop(c, old);
    rc = 0;
    goto out;
nomem:
    rc = model__nomem(c);
out:
    json_decref(doc);
    return rc;
}

/* `keep_secret` is the current secret to keep when the body has none (PATCH), or NULL. */
static int auth_config(struct vctx *c, const json_t *v, const char *keep_secret, json_t **out)
{
    static const char *const token_allowed[] = {"resourceId", NULL};
    static const char *const secret_allowed[] = {"secret", NULL};
    size_t old = model__push(c, "authenticationConfiguration"), kind = 0;
    const char *res, *secret;
    json_t *doc = NULL;
    size_t n;
    int rc;

    *out = NULL;
    if (!v || json_is_null(v)) {
        rc = model__fail(
                c,
                "is required: use #microsoft.graph.azureAdTokenAuthentication {resourceId}, #microsoft.graph.azureAdPopTokenAuthentication or #lcw.sharedSecretAuthentication {secret}");
        goto out;
    }
    if (!json_is_object(v)) {
        rc = model__fail(c, "expected an object with an @odata.type");
        goto out;
    }
    if ((rc = model__poly_type(c, v, "", auth_types, &kind)))
        goto out;
    if (!(doc = typed(auth_types[kind])))
        goto nomem;
    switch (kind) {
    case AUTH_TOKEN:
        if ((rc = model__check_keys(c, v, "azureAdTokenAuthentication", token_allowed, NULL,
                                    NULL)) ||
            (rc = model__get_str(c, v, "resourceId", true, false, 256, true, &res)))
            goto out;
        if (model__set(doc, "resourceId", json_string(res)))
            goto nomem;
        break;
    case AUTH_POP:
        if ((rc = model__check_keys(c, v, "azureAdPopTokenAuthentication", NULL, NULL, NULL)))
            goto out;
        break;
    default:
        if ((rc = model__check_keys(c, v, "sharedSecretAuthentication", secret_allowed, NULL,
                                    NULL)))
            goto out;
        if (!json_object_get(v, "secret") && keep_secret) {
            secret = keep_secret;
        } else {
            if ((rc = model__get_str(c, v, "secret", true, false, 0, false, &secret)))
                goto out;
            n = model__utf8_len(secret);
            if (n < MIN_SECRET_CHARS || n > MAX_SECRET_CHARS) {
                rc = model__fail_at(c, "secret", "must be %d to %d characters long (got %zu)",
                                    MIN_SECRET_CHARS, MAX_SECRET_CHARS, n);
                goto out;
            }
        }
        if (model__set(doc, "secret", json_string(secret)))
            goto nomem;
        break;
    }
    *out = doc;
    doc = NULL;
    model__pop(c, old);
    rc = 0;
    goto out;
nomem:
    rc = model__nomem(c);
out:
    json_decref(doc);
    return rc;
}

static int client_config(struct vctx *c, const json_t *v, json_t **out)
{
    static const char *const allowed[] = {"timeoutInMilliseconds", "maximumRetries", NULL};
    size_t old = model__push(c, "clientConfiguration");
    int64_t timeout_ms = 1000, retries = 1;
    json_t *doc = NULL;
    int rc;

    *out = NULL;
    if (v && !json_is_null(v)) {
        if (!json_is_object(v))
            return model__fail(
                    c,
                    "expected an object {\"timeoutInMilliseconds\": ..., \"maximumRetries\": ...}");
        if ((rc = model__check_keys(c, v, "customExtensionClientConfiguration", allowed, NULL,
                                    NULL)) ||
            (rc = model__check_odata_type(c, v, "microsoft.graph.",
                                          "customExtensionClientConfiguration")) ||
            (rc = model__get_int(c, v, "timeoutInMilliseconds", false, 200, 2000, 1000,
                                 &timeout_ms)) ||
            (rc = model__get_int(c, v, "maximumRetries", false, 0, 1, 1, &retries)))
            return rc;
    }
    if (!(doc = typed("microsoft.graph.customExtensionClientConfiguration")) ||
        model__set(doc, "timeoutInMilliseconds", json_integer(timeout_ms)) ||
        model__set(doc, "maximumRetries", json_integer(retries))) {
        json_decref(doc);
        return model__nomem(c);
    }
    model__pop(c, old);
    *out = doc;
    return 0;
}

static int callback_config(struct vctx *c, const json_t *v, json_t **out)
{
    static const char *const allowed[] = {"timeoutDuration", "authorizedApps", NULL};
    static const char *const app_allowed[] = {"id", NULL};
    size_t old = model__push(c, "callbackConfiguration");
    const json_t *apps;
    json_t *doc = NULL, *arr = NULL;
    const char *dur;
    int64_t ms;
    int rc;

    *out = NULL;
    if (!v || json_is_null(v)) {
        model__pop(c, old);
        return (*out = json_null()) ? 0 : model__nomem(c);
    }
    if (!json_is_object(v))
        return model__fail(c, "expected an object {\"timeoutDuration\": \"PT1H\", ...} or null");
    if ((rc = model__check_keys(c, v, "customTaskExtensionCallbackConfiguration", allowed, NULL,
                                NULL)) ||
        (rc = model__check_odata_type(c, v, MODEL_NS,
                                      "customTaskExtensionCallbackConfiguration")) ||
        (rc = model__get_str(c, v, "timeoutDuration", true, false, 64, true, &dur)))
        return rc;
    if (model_iso8601_duration_parse(dur, &ms))
        return model__fail_at(c, "timeoutDuration",
                              "must be an ISO 8601 duration such as PT1H (got '%s')", dur);
    if (ms < MIN_CALLBACK_MS || ms > MAX_CALLBACK_MS)
        return model__fail_at(c, "timeoutDuration", "must be between PT5M and PT3H (got '%s')",
                              dur);
    apps = json_object_get(v, "authorizedApps");
    if (apps && !json_is_null(apps) && !json_is_array(apps))
        return model__fail_at(c, "authorizedApps",
                              "expected an array of {\"id\": \"<application id>\"}");
    if (json_array_size(apps) > MAX_AUTHORIZED_APPS)
        return model__fail_at(c, "authorizedApps", "at most %d applications are allowed (got %zu)",
                              MAX_AUTHORIZED_APPS, json_array_size(apps));
    if (!(arr = json_array()))
        return model__nomem(c);
    (void)model__push(c, "authorizedApps");
    for (size_t i = 0; i < json_array_size(apps); i++) {
        const json_t *a = json_array_get(apps, i);
        size_t o2 = model__push_index(c, i);
        const char *id;
        json_t *item;

        if (!json_is_object(a)) {
            rc = model__fail(c, "expected an object {\"id\": \"<application id>\"}");
            goto out;
        }
        if ((rc = model__check_keys(c, a, "application", app_allowed, NULL, NULL)) ||
            (rc = model__check_odata_type(c, a, "microsoft.graph.", "application")) ||
            (rc = model__get_str(c, a, "id", true, false, 0, false, &id)))
            goto out;
        if (!uuid_valid(id, strlen(id))) {
            rc = model__fail_at(c, "id", "must be an application id (GUID) (got '%s')", id);
            goto out;
        }
        item = json_object();
        if (!item || model__set(item, "id", json_string(id)) || model__append(arr, item)) {
            json_decref(item);
            goto nomem;
        }
        model__pop(c, o2);
    }
    if (!(doc = typed(MODEL_NS "customTaskExtensionCallbackConfiguration")) ||
        model__set(doc, "timeoutDuration", json_string(dur)) ||
        json_object_set(doc, "authorizedApps", arr))
        goto nomem;
    model__pop(c, old);
    *out = doc;
    doc = NULL;
    rc = 0;
    goto out;
nomem:
    rc = model__nomem(c);
out:
    json_decref(arr);
    json_decref(doc);
    return rc;
}

static int reply_mode(struct vctx *c, const json_t *body, const char **out)
{
    const char *s;
    int rc;

    *out = NULL;
    if ((rc = model__get_str(c, body, "replyMode", false, true, 0, false, &s)) || !s)
        return rc;
    *out = model_enum_canonical(MODEL_ENUM_REPLY_MODE, s);
    if (!*out || strcmp(*out, "unknownFutureValue") == 0)
        return model__fail_at(c, "replyMode", "must be one of none, callback, response (got '%s')",
                              s);
    return 0;
}

/* replyMode and callbackConfiguration must agree. */
static int check_reply(struct vctx *c, const char *mode, const json_t *callback)
{
    bool has_cb = json_is_object(callback);

    if (strcmp(mode, "callback") == 0 && !has_cb)
        return model__fail_at(c, "replyMode",
                              "'callback' needs a callbackConfiguration with a timeoutDuration");
    if (strcmp(mode, "callback") != 0 && has_cb)
        return model__fail_at(
                c, "replyMode",
                "'%s' does not wait for a callback; remove callbackConfiguration or use 'callback'",
                mode);
    return 0;
}

int model_extension_from_create(const json_t *body, json_t **out, struct lcw_error *err)
{
    json_t *doc = NULL, *ep = NULL, *auth = NULL, *client = NULL, *cb = NULL;
    const char *name, *desc, *mode;
    struct vctx c;
    int rc;

    *out = NULL;
    model__vctx_init(&c, err, NULL);
    if (!json_is_object(body))
        return model__fail(&c, "the request body must be a JSON object (a customTaskExtension)");
    if ((rc = model__check_keys(&c, body, EXT_TYPE, ext_allowed, ext_readonly, NULL)) ||
        (rc = model__check_odata_type(&c, body, MODEL_NS, EXT_TYPE)) ||
        (rc = model__get_str(&c, body, "displayName", true, false, MODEL_MAX_NAME, true, &name)) ||
        (rc = model__get_str(&c, body, "description", false, true, MODEL_MAX_DESC, false, &desc)) ||
        (rc = endpoint_config(&c, json_object_get(body, "endpointConfiguration"), &ep)) ||
        (rc = auth_config(&c, json_object_get(body, "authenticationConfiguration"), NULL, &auth)) ||
        (rc = client_config(&c, json_object_get(body, "clientConfiguration"), &client)) ||
        (rc = callback_config(&c, json_object_get(body, "callbackConfiguration"), &cb)) ||
        (rc = reply_mode(&c, body, &mode)))
        goto out;
    if (!mode)
        mode = json_is_object(cb) ? "callback" : "none";
    if ((rc = check_reply(&c, mode, cb)))
        goto out;
    doc = json_object();
    if (!doc || model__set(doc, "displayName", json_string(name)) ||
        model__set(doc, "description", model__str_or_null(desc)) ||
        json_object_set(doc, "endpointConfiguration", ep) ||
        json_object_set(doc, "authenticationConfiguration", auth) ||
        json_object_set(doc, "clientConfiguration", client) ||
        json_object_set(doc, "callbackConfiguration", cb) ||
        model__set(doc, "replyMode", json_string(mode))) {
        rc = model__nomem(&c);
        goto out;
    }
    *out = doc;
    doc = NULL;
out:
    json_decref(ep);
    json_decref(auth);
    json_decref(client);
    json_decref(cb);
    json_decref(doc);
    return rc;
}

int model_extension_patch(const json_t *current, const json_t *body, json_t **out,
                          struct lcw_error *err)
{
    json_t *doc = NULL, *part = NULL;
    const json_t *cur_auth, *v;
    const char *name = NULL, *desc = NULL, *mode = NULL, *keep = NULL;
    struct vctx c;
    int rc;

    *out = NULL;
    model__vctx_init(&c, err, NULL);
    if (!json_is_object(body))
        return model__fail(&c, "the request body must be a JSON object (the properties to change)");
    if ((rc = model__check_keys(&c, body, EXT_TYPE, ext_allowed, ext_readonly, NULL)) ||
        (rc = model__check_odata_type(&c, body, MODEL_NS, EXT_TYPE)))
        return rc;
    if (json_object_get(body, "displayName") &&
        (rc = model__get_str(&c, body, "displayName", true, false, MODEL_MAX_NAME, true, &name)))
        return rc;
    if ((rc = model__get_str(&c, body, "description", false, true, MODEL_MAX_DESC, false, &desc)) ||
        (rc = reply_mode(&c, body, &mode)))
        return rc;
    if (!(doc = json_is_object(current) ? json_deep_copy(current) : json_object()))
        return model__nomem(&c);
    if ((name && model__set(doc, "displayName", json_string(name))) ||
        (json_object_get(body, "description") &&
         model__set(doc, "description", model__str_or_null(desc))))
        goto nomem;
    if ((v = json_object_get(body, "endpointConfiguration"))) {
        if ((rc = endpoint_config(&c, v, &part)))
            goto out;
        if (json_object_set_new(doc, "endpointConfiguration", part))
            goto nomem;
    }
    if ((v = json_object_get(body, "authenticationConfiguration"))) {
        cur_auth = json_object_get(current, "authenticationConfiguration");
        if (model__type_matches(
                    json_string_value(json_object_get(cur_auth, "@odata.type"))
                            ? json_string_value(json_object_get(cur_auth, "@odata.type"))
                            : "",
                    "", SHARED_SECRET_TYPE))
            keep = json_string_value(json_object_get(cur_auth, "secret"));
        if ((rc = auth_config(&c, v, keep, &part)))
            goto out;
        if (json_object_set_new(doc, "authenticationConfiguration", part))
            goto nomem;
    }
    if ((v = json_object_get(body, "clientConfiguration"))) {
        if ((rc = client_config(&c, v, &part)))
            goto out;
        if (json_object_set_new(doc, "clientConfiguration", part))
            goto nomem;
    }
    if ((v = json_object_get(body, "callbackConfiguration"))) {
        if ((rc = callback_config(&c, v, &part)))
            goto out;
        if (json_object_set_new(doc, "callbackConfiguration", part))
            goto nomem;
        if (!mode)
            mode = json_is_object(part) ? "callback" : "none";
    }
    if (!mode) {
        v = json_object_get(doc, "replyMode");
        mode = json_is_string(v) ? json_string_value(v) : "none";
    }
    if ((rc = check_reply(&c, mode, json_object_get(doc, "callbackConfiguration"))))
        goto out;
    if (model__set(doc, "replyMode", json_string(mode)))
        goto nomem;
    *out = doc;
    return 0;
nomem:
    rc = model__nomem(&c);
out:
    json_decref(doc);
    return rc;
}

json_t *model_extension_redact(const json_t *doc)
{
    json_t *copy = json_deep_copy(doc);
    json_t *auth;

    if (!copy)
        return NULL;
    auth = json_object_get(copy, "authenticationConfiguration");
    if (json_is_object(auth))
        (void)json_object_del(auth, "secret"); /* absent is fine */
    return copy;
}
