/* SPDX-License-Identifier: MIT */
/*
 * lifecycleManagementSettings (spec 3.15) and the quarantine configuration
 * shared by tenant settings and per-workflow settings (spec 3.16): defaults,
 * PATCH validation and merging. Pure.
 */
#include "lcw/model.h"

#include <stdio.h>
#include <string.h>

#include "model_int.h"

#define MAX_CONDITIONS     2
#define MAX_RETENTION_DAYS 36500
#define DEFAULT_RETENTION  90

static const char *const condition_types[] = {"countBasedQuarantineCondition",
                                              "percentageBasedQuarantineCondition", NULL};

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

static int one_condition(struct vctx *c, const json_t *v, unsigned *seen, json_t **out)
{
    static const char *const count_allowed[] = {"threshold", NULL};
    static const char *const pct_allowed[] = {"percentage", NULL};
    json_t *doc = NULL;
    size_t kind = 0;
    int64_t n;
    int rc;

    *out = NULL;
    if (!json_is_object(v))
        return model__fail(c, "expected a quarantine condition object with an @odata.type");
    if ((rc = model__poly_type(c, v, MODEL_NS, condition_types, &kind)))
        return rc;
    if (*seen & (1u << kind))
        return model__fail(c, "only one %s is allowed", condition_types[kind]);
    *seen |= 1u << kind;
    if (kind == 0) {
        if ((rc = model__check_keys(c, v, condition_types[kind], count_allowed, NULL, NULL)) ||
            (rc = model__get_int(c, v, "threshold", true, 1, INT32_MAX, 0, &n)))
            return rc;
    } else {
        if ((rc = model__check_keys(c, v, condition_types[kind], pct_allowed, NULL, NULL)) ||
            (rc = model__get_int(c, v, "percentage", true, 1, 100, 0, &n)))
            return rc;
    }
    if (!(doc = typed(condition_types[kind])) ||
        model__set(doc, kind == 0 ? "threshold" : "percentage", json_integer(n))) {
        json_decref(doc);
        return model__nomem(c);
    }
    *out = doc;
    return 0;
}

int model__quarantine_config(struct vctx *c, const json_t *v, json_t **out)
{
    static const char *const allowed[] = {"matchMode", "conditions", NULL};
    size_t old = model__push(c, "quarantineConfiguration");
    json_t *doc = NULL, *arr = NULL;
    const char *mode = NULL, *canon = "any";
    const json_t *conds;
    unsigned seen = 0;
    int rc = 0;

    *out = NULL;
    if (!v || json_is_null(v)) {
        rc = (*out = json_null()) ? 0 : model__nomem(c);
        goto out;
    }
    if (!json_is_object(v)) {
        rc = model__fail(c,
                         "expected an object {\"matchMode\": ..., \"conditions\": [...]} or null");
        goto out;
    }
    if ((rc = model__check_keys(c, v, "quarantineConfiguration", allowed, NULL, NULL)) ||
        (rc = model__check_odata_type(c, v, MODEL_NS, "quarantineConfiguration")) ||
        (rc = model__get_str(c, v, "matchMode", false, true, 0, false, &mode)))
        goto out;
    if (mode) {
        canon = model_enum_canonical(MODEL_ENUM_MATCH_MODE, mode);
        if (!canon || strcmp(canon, "unknownFutureValue") == 0) {
            rc = model__fail_at(c, "matchMode", "must be one of any, all (got '%s')", mode);
            goto out;
        }
    }
    conds = json_object_get(v, "conditions");
    if (!conds || json_is_null(conds)) {
        rc = model__fail_at(
                c, "conditions",
                "is required: give a countBasedQuarantineCondition and/or a percentageBasedQuarantineCondition, or set quarantineConfiguration to null");
        goto out;
    }
    if (!json_is_array(conds)) {
        rc = model__fail_at(c, "conditions", "expected an array of quarantine conditions");
        goto out;
    }
    if (json_array_size(conds) == 0 || json_array_size(conds) > MAX_CONDITIONS) {
        rc = model__fail_at(
                c, "conditions",
                "must hold one or two conditions (got %zu); set quarantineConfiguration to null to turn quarantine off",
                json_array_size(conds));
        goto out;
    }
    if (!(arr = json_array())) {
        rc = model__nomem(c);
        goto out;
    }
    (void)model__push(c, "conditions");
    for (size_t i = 0; i < json_array_size(conds); i++) {
        size_t o2 = model__push_index(c, i);
        json_t *cond;

        if ((rc = one_condition(c, json_array_get(conds, i), &seen, &cond)))
            goto out;
        if (model__append(arr, cond)) {
            rc = model__nomem(c);
            goto out;
        }
        model__pop(c, o2);
    }
    if (!(doc = json_object()) || model__set(doc, "matchMode", json_string(canon)) ||
        json_object_set(doc, "conditions", arr)) {
        rc = model__nomem(c);
        goto out;
    }
    *out = doc;
    doc = NULL;
out:
    if (!rc)
        model__pop(c, old);
    json_decref(arr);
    json_decref(doc);
    return rc;
}

json_t *model_settings_default(void)
{
    json_t *doc = json_object();
    json_t *email = json_object();

    if (!doc || !email || model__set(doc, "workflowScheduleIntervalInHours", json_integer(3)) ||
        model__set(email, "senderDomain", json_null()) ||
        model__set(email, "useCompanyBranding", json_false()) ||
        json_object_set(doc, "emailSettings", email) ||
        model__set(doc, "quarantineConfiguration", json_null()) ||
        model__set(doc, "historyRetentionInDays", json_integer(DEFAULT_RETENTION))) {
        json_decref(email);
        json_decref(doc);
        return NULL;
    }
    json_decref(email);
    return doc;
}

/* A DNS name: dot-separated labels of letters, digits and inner hyphens. */
static bool domain_ok(const char *s)
{
    size_t total = strlen(s), label = 0;
    char prev = '.';

    if (total == 0 || total > 253)
        return false;
    for (; *s; s++) {
        char ch = *s;

        if (ch == '.') {
            if (label == 0 || prev == '-')
                return false;
            label = 0;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || (ch == '-' && label > 0)) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
        prev = ch;
    }
    return label > 0 && prev != '-';
}

static int email_settings(struct vctx *c, const json_t *v, json_t *email)
{
    static const char *const allowed[] = {"senderDomain", "useCompanyBranding", NULL};
    const char *domain;
    bool branding;
    size_t old = model__push(c, "emailSettings");
    int rc;

    if (!json_is_object(v))
        return model__fail(
                c, "expected an object {\"senderDomain\": ..., \"useCompanyBranding\": ...}");
    if ((rc = model__check_keys(c, v, "emailSettings", allowed, NULL, NULL)) ||
        (rc = model__check_odata_type(c, v, "microsoft.graph.", "emailSettings")) ||
        (rc = model__get_str(c, v, "senderDomain", false, true, 0, false, &domain)))
        return rc;
    if (domain && !domain_ok(domain))
        return model__fail_at(c, "senderDomain",
                              "must be a domain name such as contoso.com (got '%s')", domain);
    if (json_object_get(v, "senderDomain") &&
        model__set(email, "senderDomain", model__str_or_null(domain)))
        return model__nomem(c);
    if (json_object_get(v, "useCompanyBranding")) {
        if ((rc = model__get_bool(c, v, "useCompanyBranding", false, &branding)))
            return rc;
        if (model__set(email, "useCompanyBranding", json_boolean(branding)))
            return model__nomem(c);
    }
    model__pop(c, old);
    return 0;
}

int model_settings_patch(const json_t *current, const json_t *body, json_t **out,
                         struct lcw_error *err)
{
    static const char *const allowed[] = {"workflowScheduleIntervalInHours", "emailSettings",
                                          "quarantineConfiguration", "historyRetentionInDays",
                                          NULL};
    static const char *const readonly[] = {"id", NULL};
    json_t *doc = NULL, *email = NULL, *qc = NULL;
    const json_t *cur_email;
    int64_t n;
    struct vctx c;
    int rc;

    *out = NULL;
    model__vctx_init(&c, err, NULL);
    if (!json_is_object(body))
        return model__fail(&c, "the request body must be a JSON object (the settings to change)");
    if ((rc = model__check_keys(&c, body, "lifecycleManagementSettings", allowed, readonly,
                                NULL)) ||
        (rc = model__check_odata_type(&c, body, MODEL_NS, "lifecycleManagementSettings")))
        return rc;
    if (!(doc = json_is_object(current) ? json_deep_copy(current) : model_settings_default()))
        return model__nomem(&c);
    if (json_object_get(body, "workflowScheduleIntervalInHours")) {
        if ((rc = model__get_int(&c, body, "workflowScheduleIntervalInHours", true, 1, 24, 3, &n)))
            goto out;
        if (model__set(doc, "workflowScheduleIntervalInHours", json_integer(n)))
            goto nomem;
    }
    if (json_object_get(body, "historyRetentionInDays")) {
        if ((rc = model__get_int(&c, body, "historyRetentionInDays", true, 0, MAX_RETENTION_DAYS,
                                 DEFAULT_RETENTION, &n)))
            goto out;
        if (model__set(doc, "historyRetentionInDays", json_integer(n)))
            goto nomem;
    }
    if (json_object_get(body, "emailSettings")) {
        cur_email = json_object_get(doc, "emailSettings");
        email = json_is_object(cur_email) ? json_deep_copy(cur_email) : json_object();
        if (!email)
            goto nomem;
        if (!json_object_get(email, "senderDomain") &&
            model__set(email, "senderDomain", json_null()))
            goto nomem;
        if (!json_object_get(email, "useCompanyBranding") &&
            model__set(email, "useCompanyBranding", json_false()))
            goto nomem;
        if ((rc = email_settings(&c, json_object_get(body, "emailSettings"), email)))
            goto out;
        if (json_object_set(doc, "emailSettings", email))
            goto nomem;
    }
    if (json_object_get(body, "quarantineConfiguration")) {
        if ((rc = model__quarantine_config(&c, json_object_get(body, "quarantineConfiguration"),
                                           &qc)))
            goto out;
        if (json_object_set(doc, "quarantineConfiguration", qc))
            goto nomem;
    }
    *out = doc;
    doc = NULL;
    rc = 0;
    goto out;
nomem:
    rc = model__nomem(&c);
out:
    json_decref(qc);
    json_decref(email);
    json_decref(doc);
    return rc;
}
