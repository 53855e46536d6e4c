/* SPDX-License-Identifier: MIT */
/*
 * Validation and normalisation of workflow executionConditions (spec 3.6):
 * triggerAndScopeBasedConditions with rule- or group-based scopes and
 * time-based, attribute-change or membership-change triggers, and
 * onDemandExecutionOnly. The OData syntax of a rule is checked by the api
 * layer with the odata module, not here. Pure.
 */
#include "model_int.h"

#include <stdio.h>
#include <string.h>

#define MAX_RULE_CHARS   1024
#define MAX_GROUPS       100
#define MAX_TRIGGER_ATTR 50
#define MAX_ATTR_CHARS   128

static const char *const condition_types[] = {"triggerAndScopeBasedConditions",
                                              "onDemandExecutionOnly", NULL};
static const char *const scope_types[] = {"ruleBasedSubjectSet", "groupBasedSubjectSet", NULL};
static const char *const trigger_types[] = {"timeBasedAttributeTrigger", "attributeChangeTrigger",
                                            "membershipChangeTrigger", NULL};

enum { COND_TRIGGER_AND_SCOPE, COND_ON_DEMAND };
enum { SCOPE_RULE, SCOPE_GROUP };
enum { TRIG_TIME, TRIG_ATTRIBUTE, TRIG_MEMBERSHIP };

static json_t *typed_object(const char *short_name)
{
    json_t *o = json_object();
    char type[128];

    (void)snprintf(type, sizeof(type), "#" MODEL_NS "%s", short_name);
    if (o && model__set(o, "@odata.type", json_string(type))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int rule_scope(struct vctx *c, const json_t *v, json_t *out)
{
    static const char *const allowed[] = {"rule", NULL};
    const char *rule;
    int rc;

    if ((rc = model__check_keys(c, v, "ruleBasedSubjectSet", allowed, NULL, NULL)))
        return rc;
    if ((rc = model__get_str(c, v, "rule", true, false, MAX_RULE_CHARS, false, &rule)))
        return rc;
    if (model__set(out, "rule", json_string(rule)))
        return model__nomem(c);
    return 0;
}

static int group_scope(struct vctx *c, const json_t *v, json_t *out)
{
    static const char *const allowed[] = {"groups", NULL};
    static const char *const group_allowed[] = {"id", NULL};
    const json_t *groups;
    json_t *arr = NULL;
    size_t old, i;
    int rc;

    if ((rc = model__check_keys(c, v, "groupBasedSubjectSet", allowed, NULL, NULL)))
        return rc;
    groups = json_object_get(v, "groups");
    if (!groups || json_is_null(groups))
        return model__fail_at(c, "groups",
                              "is required: list the groups as [{\"id\": \"<group id>\"}]");
    if (!json_is_array(groups))
        return model__fail_at(c, "groups", "expected an array of {\"id\": \"<group id>\"}");
    if (json_array_size(groups) == 0)
        return model__fail_at(c, "groups", "at least one group is required");
    if (json_array_size(groups) > MAX_GROUPS)
        return model__fail_at(c, "groups", "at most %d groups are allowed (got %zu)", MAX_GROUPS,
                              json_array_size(groups));
    if (!(arr = json_array()))
        return model__nomem(c);
    old = model__push(c, "groups");
    for (i = 0; i < json_array_size(groups); i++) {
        const json_t *g = json_array_get(groups, i);
        const char *id;
        size_t o2 = model__push_index(c, i);
        json_t *item;

        if (!json_is_object(g)) {
            rc = model__fail(c, "expected an object {\"id\": \"<group id>\"}");
            goto out;
        }
        if ((rc = model__check_keys(c, g, "group", group_allowed, NULL, NULL)) ||
            (rc = model__check_odata_type(c, g, "microsoft.graph.", "group")) ||
            (rc = model__get_str(c, g, "id", true, false, 0, false, &id)))
            goto out;
        if (!uuid_valid(id, strlen(id))) {
            rc = model__fail_at(c, "id", "must be a group id (GUID) (got '%s')", id);
            goto out;
        }
        for (size_t j = 0; j < i; j++) {
            const char *prev = json_string_value(json_object_get(json_array_get(groups, j), "id"));

            if (prev && lcw_str_eq_ci(prev, id)) {
                rc = model__fail_at(c, "id", "group '%s' is listed twice", id);
                goto out;
            }
        }
        item = json_object();
        if (!item || model__set(item, "id", json_string(id)) || model__append(arr, item)) {
            json_decref(item);
            rc = model__nomem(c);
            goto out;
        }
        model__pop(c, o2);
    }
    model__pop(c, old);
    if (json_object_set(out, "groups", arr)) {
        rc = model__nomem(c);
        goto out;
    }
    rc = 0;
out:
    json_decref(arr);
    return rc;
}

static int time_trigger(struct vctx *c, const json_t *v, json_t *out)
{
    static const char *const allowed[] = {"timeBasedAttribute", "offsetInDays", NULL};
    const struct model_limits *lim = c->lim;
    const char *attr, *canon;
    int64_t offset;
    int rc;

    if ((rc = model__check_keys(c, v, "timeBasedAttributeTrigger", allowed, NULL, NULL)))
        return rc;
    if ((rc = model__get_str(c, v, "timeBasedAttribute", true, false, 0, false, &attr)))
        return rc;
    canon = model_enum_canonical(MODEL_ENUM_TIME_BASED_ATTRIBUTE, attr);
    if (!canon || strcmp(canon, "unknownFutureValue") == 0)
        return model__fail_at(
                c, "timeBasedAttribute",
                "must be one of employeeHireDate, employeeLeaveDateTime, createdDateTime (got '%s')",
                attr);
    if ((rc = model__get_int(c, v, "offsetInDays", false, lim->min_offset_days,
                             lim->max_offset_days, 0, &offset)))
        return rc;
    if (model__set(out, "timeBasedAttribute", json_string(canon)) ||
        model__set(out, "offsetInDays", json_integer(offset)))
        return model__nomem(c);
    return 0;
}

static int attribute_trigger(struct vctx *c, const json_t *v, json_t *out)
{
    static const char *const allowed[] = {"triggerAttributes", NULL};
    static const char *const attr_allowed[] = {"name", NULL};
    const json_t *attrs = json_object_get(v, "triggerAttributes");
    json_t *arr = NULL;
    size_t old;
    int rc;

    if ((rc = model__check_keys(c, v, "attributeChangeTrigger", allowed, NULL, NULL)))
        return rc;
    if (!attrs || json_is_null(attrs))
        return model__fail_at(
                c, "triggerAttributes",
                "is required: list the user attributes to watch as [{\"name\": \"department\"}]");
    if (!json_is_array(attrs))
        return model__fail_at(c, "triggerAttributes",
                              "expected an array of {\"name\": \"<attribute>\"}");
    if (json_array_size(attrs) == 0)
        return model__fail_at(c, "triggerAttributes", "at least one attribute is required");
    if (json_array_size(attrs) > MAX_TRIGGER_ATTR)
        return model__fail_at(c, "triggerAttributes", "at most %d attributes are allowed (got %zu)",
                              MAX_TRIGGER_ATTR, json_array_size(attrs));
    if (!(arr = json_array()))
        return model__nomem(c);
    old = model__push(c, "triggerAttributes");
    for (size_t i = 0; i < json_array_size(attrs); i++) {
        const json_t *a = json_array_get(attrs, i);
        size_t o2 = model__push_index(c, i);
        const char *name;
        json_t *item;

        if (!json_is_object(a)) {
            rc = model__fail(c, "expected an object {\"name\": \"<attribute>\"}");
            goto out;
        }
        if ((rc = model__check_keys(c, a, "triggerAttribute", attr_allowed, NULL, NULL)) ||
            (rc = model__check_odata_type(c, a, MODEL_NS, "triggerAttribute")) ||
            (rc = model__get_str(c, a, "name", true, false, MAX_ATTR_CHARS, true, &name)))
            goto out;
        if (!model__attribute_name_ok(name)) {
            rc = model__fail_at(c, "name", "'%s' is not a user attribute name", name);
            goto out;
        }
        for (size_t j = 0; j < i; j++) {
            const char *prev = json_string_value(json_object_get(json_array_get(attrs, j), "name"));

            if (prev && lcw_str_eq_ci(prev, name)) {
                rc = model__fail_at(c, "name", "attribute '%s' is listed twice", name);
                goto out;
            }
        }
        item = json_object();
        if (!item || model__set(item, "name", json_string(name)) || model__append(arr, item)) {
            json_decref(item);
            rc = model__nomem(c);
            goto out;
        }
        model__pop(c, o2);
    }
    model__pop(c, old);
    if (json_object_set(out, "triggerAttributes", arr)) {
        rc = model__nomem(c);
        goto out;
    }
    rc = 0;
out:
    json_decref(arr);
    return rc;
}

static int membership_trigger(struct vctx *c, const json_t *v, json_t *out)
{
    static const char *const allowed[] = {"changeType", NULL};
    const char *type, *canon;
    int rc;

    if ((rc = model__check_keys(c, v, "membershipChangeTrigger", allowed, NULL, NULL)))
        return rc;
    if ((rc = model__get_str(c, v, "changeType", true, false, 0, false, &type)))
        return rc;
    canon = model_enum_canonical(MODEL_ENUM_MEMBERSHIP_CHANGE, type);
    if (!canon || strcmp(canon, "unknownFutureValue") == 0)
        return model__fail_at(c, "changeType", "must be one of add, remove (got '%s')", type);
    if (model__set(out, "changeType", json_string(canon)))
        return model__nomem(c);
    return 0;
}

/* Validate the polymorphic member `name` of `v` into a new typed object. */
static int poly_member(struct vctx *c, const json_t *v, const char *name, const char *const *types,
                       size_t *kind, json_t **out)
{
    const json_t *m = json_object_get(v, name);
    size_t old;
    int rc;

    *out = NULL;
    if (!m || json_is_null(m))
        return model__fail_at(c, name, "is required for triggerAndScopeBasedConditions");
    if (!json_is_object(m))
        return model__fail_at(c, name, "expected an object with an @odata.type");
    old = model__push(c, name);
    rc = model__poly_type(c, m, MODEL_NS, types, kind);
    if (!rc && !(*out = typed_object(types[*kind])))
        rc = model__nomem(c);
    model__pop(c, old);
    return rc;
}

static int trigger_and_scope(struct vctx *c, const json_t *v, json_t *out)
{
    static const char *const allowed[] = {"scope", "trigger", NULL};
    json_t *scope = NULL, *trigger = NULL;
    size_t scope_kind = 0, trigger_kind = 0, old;
    int rc;

    if ((rc = model__check_keys(c, v, "triggerAndScopeBasedConditions", allowed, NULL, NULL)))
        return rc;
    if ((rc = poly_member(c, v, "scope", scope_types, &scope_kind, &scope)))
        goto out;
    old = model__push(c, "scope");
    rc = scope_kind == SCOPE_RULE ? rule_scope(c, json_object_get(v, "scope"), scope)
                                  : group_scope(c, json_object_get(v, "scope"), scope);
    if (rc)
        goto out;
    model__pop(c, old);
    if ((rc = poly_member(c, v, "trigger", trigger_types, &trigger_kind, &trigger)))
        goto out;
    old = model__push(c, "trigger");
    switch (trigger_kind) {
    case TRIG_TIME:
        rc = time_trigger(c, json_object_get(v, "trigger"), trigger);
        break;
    case TRIG_ATTRIBUTE:
        rc = attribute_trigger(c, json_object_get(v, "trigger"), trigger);
        break;
    default:
        rc = membership_trigger(c, json_object_get(v, "trigger"), trigger);
        break;
    }
    if (rc)
        goto out;
    if (trigger_kind == TRIG_MEMBERSHIP && scope_kind != SCOPE_GROUP) {
        rc = model__fail(
                c,
                "membershipChangeTrigger needs a groupBasedSubjectSet scope (the groups whose membership changes start the workflow)");
        goto out;
    }
    model__pop(c, old);
    if (json_object_set(out, "scope", scope) || json_object_set(out, "trigger", trigger))
        rc = model__nomem(c);
out:
    json_decref(scope);
    json_decref(trigger);
    return rc;
}

int model__conditions(struct vctx *c, const json_t *v, json_t **out)
{
    json_t *doc = NULL;
    size_t kind = 0, old;
    int rc;

    *out = NULL;
    old = model__push(c, "executionConditions");
    if (!v || json_is_null(v)) {
        rc = model__fail(
                c,
                "is required: use triggerAndScopeBasedConditions (scheduled) or onDemandExecutionOnly");
        goto out;
    }
    if (!json_is_object(v)) {
        rc = model__fail(c, "expected an object with an @odata.type");
        goto out;
    }
    if ((rc = model__poly_type(c, v, MODEL_NS, condition_types, &kind)))
        goto out;
    if (!(doc = typed_object(condition_types[kind]))) {
        rc = model__nomem(c);
        goto out;
    }
    if (kind == COND_ON_DEMAND)
        rc = model__check_keys(c, v, "onDemandExecutionOnly", NULL, NULL, NULL);
    else
        rc = trigger_and_scope(c, v, doc);
    if (rc)
        goto out;
    *out = doc;
    doc = NULL;
out:
    model__pop(c, old);
    json_decref(doc);
    return rc;
}
