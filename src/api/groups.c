/* SPDX-License-Identifier: MIT */
/*
 * /groups of the embedded directory: create, read, update, delete and
 * membership (members, members/$ref). Only users can be members. A Team is a
 * group whose resourceProvisioningOptions contains "Team". Membership changes
 * are audited and recorded as directory changes ("memberAdded" and
 * "memberRemoved") in the same transaction, for the engine's membership
 * triggers. See docs/internals/directory.md. Per-request state only.
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

#define GROUP_TYPE "#microsoft.graph.group"
#define GROUP_LIST_OPTS                                                           \
    (ODATA_OPT_FILTER | ODATA_OPT_ORDERBY | ODATA_OPT_TOP | ODATA_OPT_SKIPTOKEN | \
     ODATA_OPT_COUNT | ODATA_OPT_SELECT | ODATA_OPT_SEARCH)
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ properties */

enum gprop_kind {
    GP_STRING,  /* string or null ("" is stored as null) */
    GP_BOOL,    /* true or false */
    GP_STRINGS, /* array of strings, each one of `values` */
    GP_ENUM,    /* one of `values`, or null */
    GP_RO,      /* read-only */
};

struct gprop {
    const char *name;
    enum gprop_kind kind;
    unsigned max_len;
    bool is_required;
    const char *const *values; /* GP_STRINGS, GP_ENUM: NULL-terminated canonical spellings */
};

static const char *const group_types[] = {"Unified", NULL};
static const char *const provisioning[] = {"Team", NULL};
static const char *const visibilities[] = {"Public", "Private", "HiddenMembership", NULL};

/* In the order a stored group lists them. */
static const struct gprop gprops[] = {
        {"id", GP_RO, 0, false, NULL},
        {"displayName", GP_STRING, 256, true, NULL},
        {"description", GP_STRING, 1024, false, NULL},
        {"mailNickname", GP_STRING, 64, false, NULL},
        {"mail", GP_STRING, 256, false, NULL},
        {"mailEnabled", GP_BOOL, 0, false, NULL},
        {"securityEnabled", GP_BOOL, 0, false, NULL},
        {"groupTypes", GP_STRINGS, 0, false, group_types},
        {"resourceProvisioningOptions", GP_STRINGS, 0, false, provisioning},
        {"visibility", GP_ENUM, 0, false, visibilities},
        {"createdDateTime", GP_RO, 0, false, NULL},
        {"deletedDateTime", GP_RO, 0, false, NULL},
};

static const struct gprop *gprop_find(const char *name)
{
    for (size_t i = 0; i < N_ELEMS(gprops); i++) {
        if (lcw_str_eq_ci(gprops[i].name, name))
            return &gprops[i];
    }
    return NULL;
}

/* The canonical member of `values` equal to `s` (any case), or NULL. */
static const char *value_find(const char *const *values, const char *s)
{
    for (; s && *values; values++) {
        if (lcw_str_eq_ci(*values, s))
            return *values;
    }
    return NULL;
}

static void join_values(char *out, size_t cap, const char *const *values)
{
    out[0] = '\0';
    for (; *values; values++) {
        size_t n = strlen(out);

        (void)snprintf(out + n, cap - n, "%s'%s'", n ? ", " : "", *values);
    }
}

/* Characters of a UTF-8 string (continuation bytes not counted). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int norm_group_value(const struct gprop *p, const json_t *v, json_t **out,
                            struct lcw_error *err)
{
    char allowed[128];
    size_t i;
    json_t *item;

    *out = NULL;
    switch (p->kind) {
    case GP_STRING: {
        const char *s = json_string_value(v);

        if (json_is_null(v) || (s && !*s)) {
            if (p->is_required)
                return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                            "Property '%s' is required and cannot be null or "
                                            "empty",
                                            p->name);
            *out = json_null();
            return 0;
        }
        if (!s || utf8_chars(s) > p->max_len)
            return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                        "Invalid value for property '%s': expected a string of "
                                        "at most %u characters",
                                        p->name, p->max_len);
        if (strcmp(p->name, "mail") == 0 && (!strchr(s, '@') || strchr(s, ' ')))
            return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                        "Invalid value for property 'mail': expected an address "
                                        "of the form alias@domain (got '%s')",
                                        s);
        *out = json_string(s);
        break;
    }
    case GP_BOOL:
        if (!json_is_boolean(v))
            return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                        "Invalid value for property '%s': expected true or false",
                                        p->name);
        *out = json_boolean(json_is_true(v));
        break;
    case GP_ENUM:
        join_values(allowed, sizeof(allowed), p->values);
        if (json_is_null(v)) {
            *out = json_null();
            break;
        }
        if (!value_find(p->values, json_string_value(v)))
            return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                        "Invalid value for property '%s': expected one of %s",
                                        p->name, allowed);
        *out = json_string(value_find(p->values, json_string_value(v)));
        break;
    case GP_STRINGS:
        join_values(allowed, sizeof(allowed), p->values);
        if (!json_is_null(v) && !json_is_array(v))
            return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                        "Invalid value for property '%s': expected an array of "
                                        "strings",
                                        p->name);
        *out = json_array();
        if (!*out)
            break;
        json_array_foreach (v, i, item) {
            const char *c = value_find(p->values, json_string_value(item));
            size_t j;
            json_t *seen;
            bool dup = false;

            if (!c) {
                json_decref(*out);
                *out = NULL;
                return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                            "Invalid value for property '%s': the embedded "
                                            "directory supports only %s",
                                            p->name, allowed);
            }
            json_array_foreach (*out, j, seen) {
                dup |= strcmp(json_string_value(seen), c) == 0;
            }
            if (!dup && json_array_append_new(*out, json_string(c))) {
                json_decref(*out);
                *out = NULL;
                break;
            }
        }
        break;
    default:
        return lcw_error_set(err, LCW_EINTERNAL, "property '%s' cannot be set", p->name);
    }
    return *out ? 0 : lcw_error_set(err, LCW_ENOMEM, "out of memory");
}

/*
 * Apply a create or PATCH body to `doc` in place (callers work on a copy).
 * `members@odata.bind` and `owners@odata.bind` are left to the caller.
 */
static int apply_group(json_t *doc, const json_t *body, bool is_create, struct lcw_error *err)
{
    const char *key;
    json_t *v;

    json_object_foreach (JSONX_MUT(body), key, v) {
        const struct gprop *p = gprop_find(key);
        json_t *nv = NULL;
        int rc;

        if (strcmp(key, "@odata.type") == 0) {
            const char *t = json_string_value(v);

            if (t && (lcw_str_eq_ci(t, GROUP_TYPE) || lcw_str_eq_ci(t, &GROUP_TYPE[1])))
                continue;
            return lcw_error_set_target(err, LCW_EINVAL, key,
                                        "@odata.type must be '" GROUP_TYPE "' on a group");
        }
        if (is_create &&
            (strcmp(key, "members@odata.bind") == 0 || strcmp(key, "owners@odata.bind") == 0))
            continue;
        if (!p)
            return lcw_error_set_target(err, LCW_EINVAL, key,
                                        "Property '%s' does not exist on type "
                                        "'microsoft.graph.group'",
                                        key);
        if (p->kind == GP_RO)
            return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                        "Property '%s' is read-only and cannot be set", p->name);
        rc = norm_group_value(p, v, &nv, err);
        if (rc)
            return rc;
        if (json_object_set_new(doc, p->name, nv))
            return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    }
    if (json_array_size(json_object_get(doc, "groupTypes")) == 0 &&
        json_is_string(json_object_get(doc, "visibility")) && is_create)
        return lcw_error_set_target(err, LCW_EINVAL, "visibility",
                                    "visibility applies only to Microsoft 365 groups "
                                    "(groupTypes ['Unified'])");
    return 0;
}

int api__group_build(const json_t *body, const char *id, int64_t now_ms, json_t **out,
                     struct lcw_error *err)
{
    char ts[TIMEFMT_LEN];
    json_t *doc;
    int rc;

    *out = NULL;
    doc = json_pack("{s:s, s:n, s:n, s:n, s:n, s:b, s:b, s:[], s:[], s:n, s:s, s:n}", "id", id,
                    "displayName", "description", "mailNickname", "mail", "mailEnabled", 0,
                    "securityEnabled", 1, "groupTypes", "resourceProvisioningOptions", "visibility",
                    "createdDateTime", timefmt_format(now_ms, ts), "deletedDateTime");
    if (!doc)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    rc = apply_group(doc, body, true, err);
    if (!rc && !jsonx_str(doc, "displayName"))
        rc = lcw_error_set_target(err, LCW_EINVAL, "displayName",
                                  "Property 'displayName' is required");
    if (rc) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

/* --------------------------------------------------------------- helpers */

static void lower_copy(char *out, size_t cap, const char *s)
{
    lcw_strlcpy(out, s, cap);
    for (; *out; out++)
        *out = (char)(*out >= 'A' && *out <= 'Z' ? *out + 32 : *out);
}

/* A stored object by id (GUIDs compare lower-case); ENOTFOUND when absent or deleted. */
static int dir_get(struct store_tx *tx, const struct store_entity *e, const char *key, json_t **out,
                   struct lcw_error *err)
{
    char id[UUID_STR_LEN];
    int rc;

    *out = NULL;
    if (!uuid_valid(key, strlen(key)))
        return lcw_error_set(err, LCW_ENOTFOUND, "'%s' is not an object id", key);
    lower_copy(id, sizeof(id), key);
    rc = store_entity_get(tx, e, id, out, err);
    if (!rc && !json_is_null(json_object_get(*out, "deletedDateTime"))) {
        json_decref(*out);
        *out = NULL;
        rc = lcw_error_set(err, LCW_ENOTFOUND, "'%s' was deleted", key);
    }
    return rc;
}

/* dir_get, filling `resp` on failure. */
static int dir_load(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                    const struct store_entity *e, const char *key, json_t **out)
{
    struct lcw_error err = {0};
    int rc = dir_get(tx, e, key, out, &err);

    if (rc == LCW_ENOTFOUND)
        api__dir_not_found(resp, req, key);
    else if (rc)
        api_error_from(resp, req, &err);
    return rc;
}

static int check_select(struct api_req *req, struct api_resp *resp, const struct odata_query *q)
{
    for (size_t i = 0; i < q->n_select; i++) {
        if (strcmp(q->select[i], "*") != 0 && !gprop_find(q->select[i])) {
            api_error(resp, req, 400, DIR_BAD,
                      "Could not find a property named '%s' on type 'microsoft.graph.group'.",
                      q->select[i]);
            return LCW_EINVAL;
        }
    }
    return 0;
}

static json_t *group_target(const json_t *g)
{
    return api__target(jsonx_str(g, "id"), jsonx_str(g, "displayName"), "Group");
}

static json_t *user_target(const json_t *u, const char *id)
{
    return api__target(id, u ? jsonx_str(u, "userPrincipalName") : NULL, "User");
}

/* Audit with `targets` (taken). */
static int audit_group(struct store_tx *tx, struct api_req *req, const char *activity,
                       const char *op, json_t *targets, struct lcw_error *err)
{
    if (!targets)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    return api__audit(tx, req, "GroupManagement", activity, op, targets, NULL, err);
}

/*
 * Add user `user_id` to group `g`: the row, the "memberAdded" change and the
 * audit event. `*added` is false (and nothing is written) when the user was
 * already a member.
 */
static int member_add(struct store_tx *tx, struct api_req *req, const json_t *g, const json_t *user,
                      bool *added, struct lcw_error *err)
{
    const char *gid = jsonx_str(g, "id"), *uid = jsonx_str(user, "id");
    int rc = store_member_add(tx, gid, uid, req->now_ms, added, err);

    if (!rc && *added)
        rc = store_dir_change_add(tx, req->now_ms, "memberAdded", uid, gid, NULL, uid, err);
    if (!rc && *added)
        rc = audit_group(tx, req, "Add member to group", "Assign",
                         json_pack("[o, o]", group_target(g), user_target(user, uid)), err);
    return rc;
}

/* --------------------------------------------------------------- handlers */

void api_groups_list(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct odata_query q;
    struct store_tx tx = {0};
    struct store_page page = {0};
    struct store_val params[8];
    size_t n_params = 0;
    struct buf where;
    char *owned = NULL;
    int rc;

    buf_init(&where, 4096);
    if (api__query(req, resp, GROUP_LIST_OPTS, &q))
        return;
    if (check_select(req, resp, &q))
        goto out;
    /* Groups have no deleted column: they are removed outright. */
    if (buf_puts(&where, "1=1") ||
        (q.search && api__dir_search(q.search, &store_ent_group, &where, params, N_ELEMS(params),
                                     &n_params, &owned, &err))) {
        api__dir_fail(resp, req, &err);
        goto out;
    }
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    rc = store_entity_list(&tx, &store_ent_group, &q, NULL, buf_cstr(&where), params, n_params,
                           (long)req->ctx->cfg->page_size, &page, &err);
    store_tx_rollback(&tx);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    api__page(req, resp, &page, &q, "groups");
out:
    lcw_free(owned);
    buf_release(&where);
    odata_query_release(&q);
}

void api_groups_create(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *doc = NULL, *target = NULL, *users = json_array();
    const json_t *bind;
    char id[UUID_STR_LEN];
    const char *key;
    size_t i;
    json_t *v;
    int rc;

    if (!users) {
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        return;
    }
    if (api__body(req, resp, &body))
        goto out;
    uuid_v4(id);
    rc = api__group_build(body, id, req->now_ms, &doc, &err);
    if (rc) {
        api__dir_fail(resp, req, &err);
        goto out;
    }
    bind = json_object_get(body, "members@odata.bind");
    if (bind && !json_is_array(bind)) {
        api_error(resp, req, 400, DIR_BAD,
                  "members@odata.bind must be an array of directoryObjects URLs");
        goto out;
    }
    target = group_target(doc);
    if (!target)
        goto oom;
    json_object_foreach (doc, key, v) {
        if (strcmp(key, "id") != 0 && !json_is_null(v) &&
            !(json_is_array(v) && !json_array_size(v)) &&
            api__target_modified(target, key, NULL, v))
            goto oom;
    }
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    /* Resolve members@odata.bind before writing anything. */
    json_array_foreach (bind, i, v) {
        char uid[UUID_STR_LEN];
        json_t *ref = json_pack("{s:O}", "@odata.id", v), *u = NULL;

        rc = ref ? api__dir_ref_id(ref, uid, &err)
                 : lcw_error_set(&err, LCW_ENOMEM, "out of memory");
        json_decref(ref);
        if (rc) {
            api__dir_fail(resp, req, &err);
            goto out;
        }
        if (dir_load(&tx, req, resp, &store_ent_user, uid, &u))
            goto out;
        if (json_array_append_new(users, u))
            goto oom;
    }
    rc = store_entity_put(&tx, &store_ent_group, id, NULL, doc, &err);
    if (!rc)
        rc = audit_group(&tx, req, "Add group", "Add", json_pack("[O]", target), &err);
    json_array_foreach (users, i, v) {
        bool added = false;

        if (!rc)
            rc = member_add(&tx, req, doc, v, &added, &err);
    }
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx))
        goto out;
    (void)snprintf(resp->location, sizeof(resp->location), "%s/%s/groups/%s", req->base_url,
                   req->version, id);
    api__json(req, resp, 201, json_incref(doc), "groups/$entity");
    goto out;
oom:
    api_error(resp, req, 500, "InternalServerError", "out of memory");
out:
    store_tx_rollback(&tx);
    json_decref(users);
    json_decref(target);
    json_decref(body);
    json_decref(doc);
}

void api_group_get(struct api_req *req, struct api_resp *resp)
{
    struct odata_query q;
    struct store_tx tx = {0};
    json_t *doc = NULL;
    char key[256];

    if (api__query(req, resp, ODATA_OPT_SELECT, &q))
        return;
    api_param(req, 0, key, sizeof(key));
    if (check_select(req, resp, &q) || api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (dir_load(&tx, req, resp, &store_ent_group, key, &doc))
        goto out;
    if (api__select(doc, &q))
        api_error(resp, req, 500, "InternalServerError", "out of memory");
    else
        api__json(req, resp, 200, json_incref(doc), "groups/$entity");
out:
    store_tx_rollback(&tx);
    json_decref(doc);
    odata_query_release(&q);
}

void api_group_patch(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *old = NULL, *doc = NULL, *target = NULL;
    char key[256];
    const char *k;
    json_t *v;
    size_t n_changed = 0;
    int rc;

    api_param(req, 0, key, sizeof(key));
    if (api__body(req, resp, &body))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (dir_load(&tx, req, resp, &store_ent_group, key, &old))
        goto out;
    doc = json_deep_copy(old);
    target = group_target(old);
    if (!doc || !target)
        goto oom;
    rc = apply_group(doc, body, false, &err);
    if (rc) {
        api__dir_fail(resp, req, &err);
        goto out;
    }
    json_object_foreach (doc, k, v) {
        json_t *was = json_object_get(old, k);

        if (was && json_equal(was, v))
            continue;
        n_changed++;
        if (api__target_modified(target, k, was, v))
            goto oom;
    }
    if (n_changed) {
        rc = store_entity_put(&tx, &store_ent_group, jsonx_str(doc, "id"), NULL, doc, &err);
        if (!rc)
            rc = audit_group(&tx, req, "Update group", "Update", json_pack("[O]", target), &err);
        if (rc) {
            api_error_from(resp, req, &err);
            goto out;
        }
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
    goto out;
oom:
    api_error(resp, req, 500, "InternalServerError", "out of memory");
out:
    store_tx_rollback(&tx);
    json_decref(target);
    json_decref(body);
    json_decref(old);
    json_decref(doc);
}

void api_group_delete(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *doc = NULL, *members = NULL;
    char key[256], n_members[32];
    const char *gid;
    size_t i;
    json_t *m;
    int rc;

    api_param(req, 0, key, sizeof(key));
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        return;
    if (dir_load(&tx, req, resp, &store_ent_group, key, &doc))
        goto out;
    gid = jsonx_str(doc, "id");
    rc = store_member_ids(&tx, gid, false, &members, &err);
    json_array_foreach (members, i, m) {
        if (rc)
            break;
        rc = store_dir_change_add(&tx, req->now_ms, "memberRemoved", json_string_value(m), gid,
                                  json_string_value(m), NULL, &err);
    }
    if (!rc)
        rc = store_member_delete_all(&tx, gid, false, &err);
    if (!rc)
        rc = store_entity_delete(&tx, &store_ent_group, gid, &err);
    if (!rc) {
        (void)snprintf(n_members, sizeof(n_members), "%zu", json_array_size(members));
        rc = api__audit(&tx, req, "GroupManagement", "Delete group", "Delete",
                        json_pack("[o]", group_target(doc)),
                        json_pack("[{s:s, s:s}]", "key", "MembersRemoved", "value", n_members),
                        &err);
    }
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
out:
    store_tx_rollback(&tx);
    json_decref(members);
    json_decref(doc);
}

void api_group_members(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct odata_query q;
    struct store_tx tx = {0};
    struct store_page page = {0};
    struct store_val params[8];
    size_t n_params = 0;
    struct buf where;
    json_t *g = NULL;
    char key[256], *owned = NULL;
    size_t i;
    json_t *u;
    int rc;

    buf_init(&where, 8192);
    if (api__query(req, resp, GROUP_LIST_OPTS, &q))
        return;
    api_param(req, 0, key, sizeof(key));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (dir_load(&tx, req, resp, &store_ent_group, key, &g))
        goto out;
    params[n_params++] = STORE_V_TEXT(jsonx_str(g, "id"));
    if (buf_puts(&where, "deleted_at_ms IS NULL AND pk IN (SELECT user_id FROM group_members "
                         "WHERE group_id = ?)") ||
        (q.search && api__dir_search(q.search, &store_ent_user, &where, params, N_ELEMS(params),
                                     &n_params, &owned, &err))) {
        api__dir_fail(resp, req, &err);
        goto out;
    }
    rc = store_entity_list(&tx, &store_ent_user, &q, NULL, buf_cstr(&where), params, n_params,
                           (long)req->ctx->cfg->page_size, &page, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    json_array_foreach (page.items, i, u) {
        json_t *o = api__dir_user_output(u, true);

        if (!o) {
            store_page_release(&page);
            api_error(resp, req, 500, "InternalServerError", "out of memory");
            goto out;
        }
        json_array_set_new(page.items, i, o);
    }
    api__page(req, resp, &page, &q, "directoryObjects");
out:
    store_tx_rollback(&tx);
    lcw_free(owned);
    buf_release(&where);
    json_decref(g);
    odata_query_release(&q);
}

void api_group_member_add(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *g = NULL, *u = NULL;
    char key[256], uid[UUID_STR_LEN];
    bool added = false;

    api_param(req, 0, key, sizeof(key));
    if (api__body(req, resp, &body))
        return;
    if (api__dir_ref_id(body, uid, &err)) {
        api__dir_fail(resp, req, &err);
        goto out;
    }
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (dir_load(&tx, req, resp, &store_ent_group, key, &g) ||
        dir_load(&tx, req, resp, &store_ent_user, uid, &u))
        goto out;
    if (member_add(&tx, req, g, u, &added, &err)) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (!added) {
        api_error(resp, req, 400, DIR_BAD,
                  "One or more added object references already exist for the following modified "
                  "properties: 'members'.");
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
out:
    store_tx_rollback(&tx);
    json_decref(u);
    json_decref(g);
    json_decref(body);
}

void api_group_member_remove(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *g = NULL, *u = NULL;
    char key[256], raw[256], uid[UUID_STR_LEN];
    bool removed = false;
    int rc;

    api_param(req, 0, key, sizeof(key));
    api_param(req, 1, raw, sizeof(raw));
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        return;
    if (dir_load(&tx, req, resp, &store_ent_group, key, &g))
        goto out;
    if (!uuid_valid(raw, strlen(raw))) {
        api__dir_not_found(resp, req, raw);
        goto out;
    }
    lower_copy(uid, sizeof(uid), raw);
    rc = store_member_remove(&tx, jsonx_str(g, "id"), uid, &removed, &err);
    if (!rc && !removed) {
        api__dir_not_found(resp, req, raw);
        goto out;
    }
    /* The user may be gone (soft-deleted); the membership row is what counts. */
    if (!rc) {
        rc = store_entity_get(&tx, &store_ent_user, uid, &u, &err);
        if (rc == LCW_ENOTFOUND)
            rc = 0;
    }
    if (!rc)
        rc = store_dir_change_add(&tx, req->now_ms, "memberRemoved", uid, jsonx_str(g, "id"), uid,
                                  NULL, &err);
    if (!rc)
        rc = audit_group(&tx, req, "Remove member from group", "Unassign",
                         json_pack("[o, o]", group_target(g), user_target(u, uid)), &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
out:
    store_tx_rollback(&tx);
    json_decref(u);
    json_decref(g);
}
