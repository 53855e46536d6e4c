/* SPDX-License-Identifier: MIT */
/*
 * Validation and normalisation of task arguments against the task
 * definition catalogue: names, duplicates, enum values, per-parameter value
 * formats (ids, recipient lists, TAP lifetime, locale, attribute maps) and
 * required arguments. Pure.
 */
#include "model_int.h"

#include <stdio.h>
#include <string.h>

#define MAX_VALUE_CHARS      4096
#define MAX_BODY_CHARS       32768
#define MAX_ATTRS            50
#define MAX_ATTR_VALUE_CHARS 1024
#define TAP_MIN_MINUTES      10
#define TAP_MAX_MINUTES      43200

bool model__attribute_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        char ch = *s;

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '/'))
            return false;
    }
    return true;
}

/* Trim ASCII spaces of [*p, *p + *len). */
static void trim(const char **p, size_t *len)
{
    while (*len && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*len)--;
    }
    while (*len && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
        (*len)--;
}

typedef bool token_fn(const char *tok, size_t len, const struct model_task_def *d);

/*
 * Check a comma-separated list with `ok` per token. Empty tokens are refused.
 * On failure *bad and *bad_len name the offending token.
 */
static bool list_ok(const char *value, token_fn *ok, const struct model_task_def *d,
                    const char **bad, size_t *bad_len)
{
    const char *p = value;

    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *tok = p;

        trim(&tok, &len);
        if (len == 0 || !ok(tok, len, d)) {
            *bad = tok;
            *bad_len = len;
            return false;
        }
        if (!comma)
            return true;
        p = comma + 1;
    }
}

static bool guid_token(const char *tok, size_t len, const struct model_task_def *d)
{
    (void)d;
    return uuid_valid(tok, len);
}

static bool license_token(const char *tok, size_t len, const struct model_task_def *d)
{
    (void)d;
    if (len > 128)
        return false;
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)tok[i] <= ' ' || tok[i] == 0x7f)
            return false;
    }
    return true;
}

static bool prefix_ci(const char *tok, size_t len, const char *prefix, size_t *rest)
{
    size_t n = strlen(prefix);

    if (len < n || !strv_starts_with_ci((struct strv){tok, len}, prefix))
        return false;
    *rest = n;
    return true;
}

static bool name_chars(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return false;
    }
    return true;
}

/* The recipient forms of `to` (spec section 8). */
static bool to_token(const char *tok, size_t len, const struct model_task_def *d)
{
    struct strv t = {tok, len};
    bool is_tap = lcw_str_eq_ci(d->id, MODEL_TASKDEF_GENERATE_TAP);
    size_t n;

    if (strv_eq_ci(t, "User") || strv_eq_ci(t, "Manager") || strv_eq_ci(t, "Sponsors") ||
        uuid_valid(tok, len))
        return true;
    if (!is_tap || !prefix_ci(tok, len, "User/", &n))
        return false;
    tok += n;
    len -= n;
    t = (struct strv){tok, len};
    if (strv_eq_ci(t, "otherMails"))
        return true;
    if (prefix_ci(tok, len, "onPremisesExtensionAttributes/extensionAttribute", &n)) {
        int64_t k;

        return str_to_i64(tok + n, len - n, &k) == 0 && k >= 1 && k <= 15 && tok[n] != '+' &&
               tok[n] != '-' && tok[n] != '0';
    }
    if (prefix_ci(tok, len, "customSecurityAttributes/", &n)) {
        const char *slash = memchr(tok + n, '/', len - n);

        return slash && name_chars(tok + n, (size_t)(slash - tok - n)) &&
               name_chars(slash + 1, len - (size_t)(slash + 1 - tok));
    }
    return prefix_ci(tok, len, "extension_", &n) && name_chars(tok, len);
}

/* A BCP 47-shaped tag: 2-8 letters, then '-' and 1-8 letters or digits, repeated. */
static bool locale_ok(const char *s)
{
    size_t run = 0;
    bool first = true;

    for (;; s++) {
        char ch = *s;

        if (ch == '-' || ch == '\0') {
            if (run < (first ? 2u : 1u) || run > 8)
                return false;
            if (ch == '\0')
                return true;
            first = false;
            run = 0;
            continue;
        }
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (!first && ch >= '0' && ch <= '9'))
            run++;
        else
            return false;
    }
}

static const char *const attr_denied[] = {"id",
                                          "accountEnabled",
                                          "createdDateTime",
                                          "deletedDateTime",
                                          "passwordProfile",
                                          "memberOf",
                                          "manager",
                                          NULL};

static int attributes_value(struct vctx *c, const char *value)
{
    json_error_t jerr;
    json_t *obj = json_loads(value, JSON_REJECT_DUPLICATES, &jerr);
    const char *key;
    json_t *v;
    int rc = 0;

    /*
     * jansson reports some allocation failures inside its lexer as syntax
     * errors. A real syntax error is deterministic, so parse once more: if
     * that succeeds, the first failure was memory.
     */
    if (!obj) {
        json_t *again = json_loads(value, JSON_REJECT_DUPLICATES, NULL);

        if (again || json_error_code(&jerr) == json_error_out_of_memory) {
            json_decref(again);
            return model__nomem(c);
        }
    }
    if (!obj)
        return model__fail(
                c,
                "'attributes' must be a JSON object of user attributes, e.g. {\"department\":\"Sales\"} (%s)",
                jerr.text);
    if (!json_is_object(obj) || json_object_size(obj) == 0 || json_object_size(obj) > MAX_ATTRS) {
        rc = model__fail(c, "'attributes' must be a JSON object with 1 to %d attributes",
                         MAX_ATTRS);
        goto out;
    }
    json_object_foreach (obj, key, v) {
        if (!model__attribute_name_ok(key)) {
            rc = model__fail(c, "'attributes': '%s' is not a user attribute name", key);
            goto out;
        }
        for (size_t i = 0; attr_denied[i]; i++) {
            if (lcw_str_eq_ci(attr_denied[i], key)) {
                rc = model__fail(c, "'attributes': '%s' cannot be set by this task", key);
                goto out;
            }
        }
        if (!json_is_null(v) &&
            (!json_is_string(v) || model__utf8_len(json_string_value(v)) > MAX_ATTR_VALUE_CHARS ||
             strlen(json_string_value(v)) != json_string_length(v))) {
            rc = model__fail(
                    c,
                    "'attributes': the value of '%s' must be a string of at most %d characters, or null to clear it",
                    key, MAX_ATTR_VALUE_CHARS);
            goto out;
        }
    }
out:
    json_decref(obj);
    return rc;
}

/*
 * Check one non-empty argument value. On success *canon may point at a
 * canonical replacement spelling (enum members).
 */
static int check_value(struct vctx *c, const struct model_task_def *d,
                       const struct model_task_param *p, const char *value, const char **canon)
{
    const char *bad = NULL;
    size_t bad_len = 0;
    const char *n = p->name;

    *canon = NULL;
    if (p->type == MODEL_VALUE_ENUM) {
        char list[128];
        size_t used = 0;

        for (size_t i = 0; p->values[i]; i++) {
            if (lcw_str_eq_ci(p->values[i], value)) {
                *canon = p->values[i];
                return 0;
            }
        }
        list[0] = '\0';
        for (size_t i = 0; p->values[i]; i++) {
            int k = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", p->values[i]);
            if (k < 0 || (size_t)k >= sizeof(list) - used)
                break;
            used += (size_t)k;
        }
        return model__fail(c, "'%s' must be one of %s (got '%s')", n, list, value);
    }
    if (!strcmp(n, "groupID") || !strcmp(n, "teamID") || !strcmp(n, "cc")) {
        const char *what = n[0] == 'g' ? "group" : n[0] == 't' ? "team" : "user";

        if (!list_ok(value, guid_token, d, &bad, &bad_len))
            return model__fail(
                    c,
                    "'%s' must be a %s id (GUID) or a comma-separated list of them (bad entry '%.*s')",
                    n, what, (int)bad_len, bad);
        return 0;
    }
    if (!strcmp(n, "customTaskExtensionID") || !strcmp(n, "accessPackageId") ||
        !strcmp(n, "assignmentPolicyId")) {
        if (!uuid_valid(value, strlen(value)))
            return model__fail(c, "'%s' must be a GUID (got '%s')", n, value);
        return 0;
    }
    if (!strcmp(n, "licenses")) {
        if (!list_ok(value, license_token, d, &bad, &bad_len))
            return model__fail(
                    c,
                    "'licenses' must be a license (SKU) id or a comma-separated list of them (bad entry '%.*s')",
                    (int)bad_len, bad);
        return 0;
    }
    if (!strcmp(n, "to")) {
        if (!list_ok(value, to_token, d, &bad, &bad_len))
            return model__fail(
                    c,
                    "'to' must be User, Manager, Sponsors or a user id (GUID)%s, or a comma-separated list of them (bad entry '%.*s')",
                    lcw_str_eq_ci(d->id, MODEL_TASKDEF_GENERATE_TAP)
                            ? ", or a User/<attribute> form"
                            : "",
                    (int)bad_len, bad);
        return 0;
    }
    if (!strcmp(n, "locale")) {
        if (!locale_ok(value))
            return model__fail(c, "'locale' must be a language tag such as en-US (got '%s')",
                               value);
        return 0;
    }
    if (!strcmp(n, "tapLifetimeMinutes")) {
        int64_t minutes;

        if (str_to_i64(value, strlen(value), &minutes) || minutes < TAP_MIN_MINUTES ||
            minutes > TAP_MAX_MINUTES)
            return model__fail(
                    c,
                    "'tapLifetimeMinutes' must be a whole number of minutes between %d and %d (got '%s')",
                    TAP_MIN_MINUTES, TAP_MAX_MINUTES, value);
        return 0;
    }
    if (!strcmp(n, "attributes"))
        return attributes_value(c, value);
    return 0; /* free text: customSubject, customBody */
}

static bool sponsors_in(const char *to)
{
    const char *p = to;

    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *tok = p;

        trim(&tok, &len);
        if (strv_eq_ci((struct strv){tok, len}, "Sponsors"))
            return true;
        if (!comma)
            return false;
        p = comma + 1;
    }
}

static void param_names(const struct model_task_def *d, char *out, size_t cap)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < d->param_count; i++) {
        int k = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", d->params[i].name);
        if (k < 0 || (size_t)k >= cap - used)
            break;
        used += (size_t)k;
    }
}

int model__task_arguments(struct vctx *c, const json_t *args, const struct model_task_def *d,
                          bool is_enabled, json_t **out)
{
    static const char *const item_allowed[] = {"name", "value", NULL};
    const char *given[16] = {NULL}; /* value per parameter index */
    json_t *arr = NULL;
    size_t old = model__push(c, "arguments");
    char names[160];
    int rc = 0;

    *out = NULL;
    if (args && !json_is_null(args) && !json_is_array(args)) {
        rc = model__fail(c, "expected an array of {\"name\": ..., \"value\": ...}");
        goto out;
    }
    LCW_ASSERT(d->param_count <= sizeof(given) / sizeof(given[0]));
    if (!(arr = json_array())) {
        rc = model__nomem(c);
        goto out;
    }
    for (size_t i = 0; args && i < json_array_size(args); i++) {
        const json_t *a = json_array_get(args, i);
        const struct model_task_param *p;
        const char *name, *value, *canon;
        size_t o2 = model__push_index(c, i), pi, max;
        json_t *item;

        if (!json_is_object(a)) {
            rc = model__fail(c, "expected an object {\"name\": ..., \"value\": ...}");
            goto out;
        }
        if ((rc = model__check_keys(c, a, "keyValuePair", item_allowed, NULL, NULL)) ||
            (rc = model__check_odata_type(c, a, "microsoft.graph.", "keyValuePair")) ||
            (rc = model__get_str(c, a, "name", true, false, 0, false, &name)) ||
            (rc = model__get_str(c, a, "value", false, false, 0, false, &value)))
            goto out;
        if (!json_object_get(a, "value")) {
            rc = model__fail_at(c, "value", "is required (use \"\" for an empty value)");
            goto out;
        }
        model__pop(c, o2);
        if (!(p = model_task_param_find(d, name))) {
            param_names(d, names, sizeof(names));
            if (d->param_count)
                rc = model__fail(c, "unknown argument '%s' for '%s' (allowed: %s)", name,
                                 d->display_name, names);
            else
                rc = model__fail(c, "unknown argument '%s' for '%s' (this task takes no arguments)",
                                 name, d->display_name);
            goto out;
        }
        pi = (size_t)(p - d->params);
        if (given[pi]) {
            rc = model__fail(c, "argument '%s' is given twice", p->name);
            goto out;
        }
        given[pi] = value;
        max = strcmp(p->name, "customBody") == 0 ? MAX_BODY_CHARS : MAX_VALUE_CHARS;
        if (model__utf8_len(value) > max) {
            rc = model__fail(c, "'%s' must be at most %zu characters (got %zu)", p->name, max,
                             model__utf8_len(value));
            goto out;
        }
        canon = NULL;
        if ((value[0] || p->type == MODEL_VALUE_ENUM) && (rc = check_value(c, d, p, value, &canon)))
            goto out;
        item = json_object();
        if (!item || model__set(item, "name", json_string(p->name)) ||
            model__set(item, "value", json_string(canon ? canon : value)) ||
            model__append(arr, item)) {
            json_decref(item);
            rc = model__nomem(c);
            goto out;
        }
    }
    for (size_t pi = 0; pi < d->param_count; pi++) {
        const struct model_task_param *p = &d->params[pi];

        if (!strcmp(p->name, "to") && given[pi] && sponsors_in(given[pi])) {
            size_t cc = (size_t)(model_task_param_find(d, "cc") - d->params);

            if (given[cc] && given[cc][0]) {
                rc = model__fail(c, "'cc' cannot be combined with 'to' = Sponsors");
                goto out;
            }
        }
        if (is_enabled && p->is_required && (!given[pi] || model__is_blank(given[pi]))) {
            rc = model__fail(c, "missing required argument '%s' for '%s'", p->name,
                             d->display_name);
            goto out;
        }
    }
    *out = arr;
    arr = NULL;
out:
    if (!rc)
        model__pop(c, old);
    json_decref(arr);
    return rc;
}
