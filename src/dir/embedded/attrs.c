/* SPDX-License-Identifier: MIT */
/*
 * Updating user attributes in the embedded directory (dir_user_update):
 * the writable user properties of model's table (model_user_prop_find,
 * shared with PATCH /users/{id} in api/users.c), validated and normalised by
 * model_user_value_norm with the task's flags, then one "attribute" change
 * record per changed property or complex member.
 * Thread-safe: per-call state only.
 */
#include "dir_int.h"

#include <stdio.h>
#include <string.h>

#include "lcw/jsonx.h"
#include "lcw/model.h"

static int nomem(struct lcw_error *err)
{
    return lcw_error_set(err, LCW_ENOMEM, "out of memory");
}

/*
 * Apply one name/value of the request to `doc` (a copy of the stored user).
 * A member path ("employeeOrgData/costCenter") is the complex property with
 * a one-member object, merged into the stored value.
 */
static int apply_one(json_t *doc, const char *key, const json_t *v, struct lcw_error *err)
{
    const char *slash = strchr(key, '/');
    const struct model_user_prop *p =
            model_user_prop_find(key, slash ? (size_t)(slash - key) : strlen(key));
    json_t *one = NULL, *nv = NULL;
    int rc;

    /* passwordProfile is only there for the api's Graph compatibility. */
    if (!p || p->kind == MODEL_USER_IGNORED)
        return lcw_error_set_target(err, LCW_EINVAL, key,
                                    "'%s' is not a writable user property: no user property has "
                                    "that name",
                                    key);
    if (p->task_owner)
        return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                    "'%s' is not a writable user property (%s)", p->name,
                                    p->task_owner);
    if (slash) {
        if (p->kind != MODEL_USER_COMPLEX)
            return lcw_error_set_target(err, LCW_EINVAL, key,
                                        "'%s' is not a writable user property: '%s' has no "
                                        "members",
                                        key, p->name);
        /* Only a reference is taken on `v`, and dropped again below. */
        one = json_object();
        if (!one || json_object_set(one, slash + 1, JSONX_MUT(v))) {
            json_decref(one);
            return nomem(err);
        }
        v = one;
    }
    rc = model_user_value_norm(p, v, json_object_get(doc, p->name), MODEL_USER_NORM_TASK, &nv, err);
    json_decref(one);
    if (rc)
        return rc;
    return json_object_set_new(doc, p->name, nv) ? nomem(err) : 0;
}

/* Is userPrincipalName `upn` used by a user other than `self` (any case, deleted too)? */
static int check_upn(struct store_tx *tx, const char *upn, const char *self, struct lcw_error *err)
{
    struct store_val p[2] = {STORE_V_TEXT(upn), STORE_V_TEXT(self)};
    int64_t n = 0;
    int rc = store_entity_count(tx, &store_ent_user, NULL,
                                "lower(user_principal_name) = lower(?) AND pk <> ?", p, 2, &n, err);

    if (!rc && n > 0)
        rc = lcw_error_set_target(err, LCW_ECONFLICT, "userPrincipalName",
                                  "userPrincipalName '%s' is already used by another user", upn);
    return rc;
}

/* Record each change between `old` and `new`, naming it in `changed`. */
static int record_changes(struct store_tx *tx, int64_t now_ms, const json_t *old, const json_t *new,
                          json_t *changed, struct lcw_error *err)
{
    const char *id = jsonx_str(new, "id");
    int rc = 0;

    for (size_t i = 0; !rc && i < model_user_prop_count(); i++) {
        const struct model_user_prop *p = model_user_prop_at(i);
        const json_t *a = json_object_get(old, p->name), *b = json_object_get(new, p->name);

        /* Only what apply_one may change. */
        if (!model_user_prop_is_data(p) || p->task_owner || model_user_value_same(a, b))
            continue;
        if (p->kind != MODEL_USER_COMPLEX) {
            rc = dir__emb_record_attr(tx, now_ms, id, p->name, a, b, err);
            if (!rc && json_array_append_new(changed, json_string(p->name)))
                rc = nomem(err);
            continue;
        }
        for (const char *const *m = p->members; !rc && *m; m++) {
            const json_t *am = json_object_get(a, *m), *bm = json_object_get(b, *m);
            char path[96];

            if (model_user_value_same(am, bm))
                continue;
            (void)snprintf(path, sizeof(path), "%s/%s", p->name, *m);
            rc = dir__emb_record_attr(tx, now_ms, id, path, am, bm, err);
            if (!rc && json_array_append_new(changed, json_string(path)))
                rc = nomem(err);
        }
    }
    return rc;
}

int dir__emb_user_update(struct dir *d, struct store_tx *tx, const char *user_id,
                         const json_t *attrs_in, json_t **changed_out, struct lcw_error *err)
{
    struct dir_emb *e = dir__emb(d);
    struct dir_emb_tx t;
    json_t *old = NULL, *doc = NULL, *changed = json_array();
    const char *key;
    json_t *v;
    int rc;

    if (!changed)
        return nomem(err);
    rc = dir__emb_begin(e, tx, true, &t, err);
    if (rc) {
        json_decref(changed);
        return rc;
    }
    rc = dir__emb_user_load(t.tx, user_id, false, &old, err);
    if (rc)
        goto out;
    doc = json_deep_copy(old);
    if (!doc) {
        rc = nomem(err);
        goto out;
    }
    json_object_foreach (JSONX_MUT(attrs_in), key, v) {
        rc = apply_one(doc, key, v, err);
        if (rc)
            goto out;
    }
    if (!model_user_value_same(json_object_get(old, "userPrincipalName"),
                               json_object_get(doc, "userPrincipalName"))) {
        rc = check_upn(t.tx, jsonx_str(doc, "userPrincipalName"), jsonx_str(doc, "id"), err);
        if (rc)
            goto out;
    }
    rc = record_changes(t.tx, dir__emb_now(e), old, doc, changed, err);
    if (!rc && json_array_size(changed))
        rc = dir__emb_user_put(t.tx, doc, err);
out:
    rc = dir__emb_end(&t, rc, err);
    if (!rc && changed_out) {
        *changed_out = changed;
        changed = NULL;
    }
    json_decref(changed);
    json_decref(doc);
    json_decref(old);
    return rc;
}
