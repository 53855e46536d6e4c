/* SPDX-License-Identifier: MIT */
/*
 * /users of the embedded directory: create, read, update and delete, the
 * manager reference, direct reports, group memberships (memberOf), licences
 * (assignLicense) and the tenant's licence catalogue (/subscribedSkus). Every
 * change is audited and, for the engine's change triggers, recorded as a
 * directory change in the same transaction. Groups are in groups.c and the
 * demo seed in demo.c; the stored shapes are in docs/internals/directory.md.
 * Handlers run on HTTP worker threads with per-request state only.
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lcw/model.h"

#define USER_TYPE   "#microsoft.graph.user"
#define GROUP_TYPE  "#microsoft.graph.group"
#define MANAGER_KEY "#lcw.managerId"
#define SKUS_KEY    "subscribedSkus"
#define USER_LIST_OPTS                                                            \
    (ODATA_OPT_FILTER | ODATA_OPT_ORDERBY | ODATA_OPT_TOP | ODATA_OPT_SKIPTOKEN | \
     ODATA_OPT_COUNT | ODATA_OPT_SELECT | ODATA_OPT_EXPAND | ODATA_OPT_SEARCH)
#define REL_LIST_OPTS                                                             \
    (ODATA_OPT_FILTER | ODATA_OPT_ORDERBY | ODATA_OPT_TOP | ODATA_OPT_SKIPTOKEN | \
     ODATA_OPT_COUNT | ODATA_OPT_SELECT | ODATA_OPT_SEARCH)
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ properties */

/* The user property table and its value rules are model's (lcw/model.h). */
static const struct model_user_prop *uprop_find(const char *name)
{
    return model_user_prop_find(name, strlen(name));
}

/*
 * Apply a create or PATCH body to `doc` (in place). Unknown properties are
 * all named in one message; read-only ones and relationships are refused.
 * On failure `doc` may be partly changed: callers work on a copy.
 */
static int apply_user(json_t *doc, const json_t *body, struct lcw_error *err)
{
    struct buf unknown;
    const char *key, *first = NULL;
    json_t *v;
    size_t n_unknown = 0;
    int rc = 0;

    buf_init(&unknown, 1024);
    json_object_foreach (JSONX_MUT(body), key, v) {
        const struct model_user_prop *p = uprop_find(key);

        if (strcmp(key, "@odata.type") == 0) {
            const char *t = json_string_value(v);

            if (t && (lcw_str_eq_ci(t, USER_TYPE) || lcw_str_eq_ci(t, &USER_TYPE[1])))
                continue;
            rc = lcw_error_set_target(err, LCW_EINVAL, key,
                                      "@odata.type must be '" USER_TYPE "' on a user");
            goto out;
        }
        if (!p) {
            if (!first)
                first = key;
            if (n_unknown++ < 8)
                (void)buf_printf(&unknown, "%s'%s'", n_unknown > 1 ? ", " : "", key);
            continue;
        }
        if (p->kind == MODEL_USER_READONLY) {
            rc = lcw_error_set_target(err, LCW_EINVAL, p->name,
                                      "Property '%s' is read-only and cannot be set%s", p->name,
                                      strcmp(p->name, "assignedLicenses") == 0
                                              ? "; use POST /users/{id}/assignLicense"
                                              : "");
            goto out;
        }
        if (p->kind == MODEL_USER_NAV) {
            rc = lcw_error_set_target(err, LCW_EINVAL, p->name,
                                      "Property '%s' is a relationship; set it with PUT "
                                      "/users/{id}/manager/$ref",
                                      p->name);
            goto out;
        }
    }
    if (n_unknown) {
        rc = lcw_error_set_target(err, LCW_EINVAL, first,
                                  "Propert%s %s%s do%s not exist on type 'microsoft.graph.user'",
                                  n_unknown > 1 ? "ies" : "y", buf_cstr(&unknown),
                                  n_unknown > 8 ? ", ..." : "", n_unknown > 1 ? "" : "es");
        goto out;
    }
    json_object_foreach (JSONX_MUT(body), key, v) {
        const struct model_user_prop *p = uprop_find(key);
        json_t *nv = NULL;

        if (!p || !model_user_prop_is_data(p))
            continue;
        rc = model_user_value_norm(p, v, json_object_get(doc, p->name), 0, &nv, err);
        if (rc)
            goto out;
        if (json_object_set_new(doc, p->name, nv)) {
            rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
            goto out;
        }
    }
out:
    buf_release(&unknown);
    return rc;
}

/* A complex property's value with every member null (new reference; NULL on ENOMEM). */
static json_t *null_members(const struct model_user_prop *p)
{
    json_t *o = json_object();

    for (const char *const *m = p->members; o && *m; m++) {
        if (json_object_set_new(o, *m, json_null())) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

int api__user_build(const json_t *body, const char *id, int64_t now_ms, json_t **out,
                    struct lcw_error *err)
{
    char ts[TIMEFMT_LEN];
    json_t *doc = json_object();
    const char *upn;
    int rc = 0;

    *out = NULL;
    if (!doc)
        goto oom;
    timefmt_format(now_ms, ts);
    /* Every property is present, null when unset, so that $select and the
     * scope-rule evaluator see Graph's shape. */
    for (size_t i = 0; i < model_user_prop_count(); i++) {
        const struct model_user_prop *p = model_user_prop_at(i);
        json_t *v;

        if (p->kind == MODEL_USER_NAV || p->kind == MODEL_USER_IGNORED)
            continue;
        if (p->kind == MODEL_USER_STRINGS || strcmp(p->name, "assignedLicenses") == 0)
            v = json_array();
        else if (p->kind == MODEL_USER_BOOL)
            v = json_true();
        else if (p->kind == MODEL_USER_COMPLEX && !p->is_null_when_empty)
            v = null_members(p);
        else
            v = json_null();
        if (!v || json_object_set_new(doc, p->name, v))
            goto oom;
    }
    if (json_object_set_new(doc, "id", json_string(id)) ||
        json_object_set_new(doc, "userType", json_string("Member")) ||
        json_object_set_new(doc, "createdDateTime", json_string(ts)) ||
        json_object_set_new(doc, "signInSessionsValidFromDateTime", json_string(ts)))
        goto oom;
    rc = apply_user(doc, body, err);
    if (rc)
        goto out;
    upn = jsonx_str(doc, "userPrincipalName");
    if (!jsonx_str(doc, "displayName") || !upn) {
        const char *miss = upn ? "displayName" : "userPrincipalName";

        rc = lcw_error_set_target(err, LCW_EINVAL, miss, "Property '%s' is required", miss);
        goto out;
    }
    /* Graph requires mailNickname; lcw derives it from the UPN instead. */
    if (json_is_null(json_object_get(doc, "mailNickname"))) {
        size_t n = (size_t)(strchr(upn, '@') - upn);
        char nick[65];

        lcw_strlcpy(nick, upn, n + 1 < sizeof(nick) ? n + 1 : sizeof(nick));
        if (json_object_set_new(doc, "mailNickname", json_string(nick)))
            goto oom;
    }
    *out = doc;
    doc = NULL;
    goto out;
oom:
    rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
out:
    json_decref(doc);
    return rc;
}

const char *api__user_manager_id(const json_t *doc)
{
    return jsonx_str(doc, MANAGER_KEY);
}

int api__user_manager_set(json_t *doc, const char *manager_id)
{
    if (!manager_id) {
        (void)json_object_del(doc, MANAGER_KEY); /* absent is fine */
        return 0;
    }
    return json_object_set_new(doc, MANAGER_KEY, json_string(manager_id)) ? LCW_ENOMEM : 0;
}

json_t *api__dir_user_output(const json_t *doc, bool with_type)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;

    if (!out)
        return NULL;
    if (with_type && json_object_set_new(out, "@odata.type", json_string(USER_TYPE)))
        goto fail;
    json_object_foreach (JSONX_MUT(doc), k, v) {
        /* "#lcw.*" members are lcw's own bookkeeping, never shown. */
        if (k[0] != '#' && json_object_set(out, k, v))
            goto fail;
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* --------------------------------------------------------------- helpers */

static void lower_ascii(char *s)
{
    for (; *s; s++)
        *s = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
}

int api__dir_ref_id(const json_t *body, char out[UUID_STR_LEN], struct lcw_error *err)
{
    const char *ref = jsonx_str(body, "@odata.id");
    const char *k, *id, *seg;
    json_t *v;
    size_t n, seg_len;

    json_object_foreach (JSONX_MUT(body), k, v) {
        if (strcmp(k, "@odata.id") != 0 && strcmp(k, "@odata.context") != 0)
            return lcw_error_set_target(err, LCW_EINVAL, k,
                                        "Only '@odata.id' may be given in a reference body "
                                        "(got '%s')",
                                        k);
    }
    if (!ref)
        return lcw_error_set_target(err, LCW_EINVAL, "@odata.id",
                                    "The body must be {\"@odata.id\": \"https://.../"
                                    "directoryObjects/{id}\"}");
    n = strlen(ref);
    while (n && ref[n - 1] == '/')
        n--;
    id = ref + n;
    while (id > ref && id[-1] != '/')
        id--;
    seg = id > ref ? id - 1 : id;
    while (seg > ref && seg[-1] != '/')
        seg--;
    seg_len = id > ref ? (size_t)(id - 1 - seg) : 0;
    /* A bare id is accepted; a URL must end in users/{id} or directoryObjects/{id}. */
    if (id > ref && !((seg_len == 5 && strncasecmp(seg, "users", 5) == 0) ||
                      (seg_len == 16 && strncasecmp(seg, "directoryObjects", 16) == 0)))
        return lcw_error_set_target(err, LCW_EINVAL, "@odata.id",
                                    "@odata.id must be a URL ending in /directoryObjects/{id} or "
                                    "/users/{id} (got '%s')",
                                    ref);
    if (!uuid_valid(id, (size_t)(ref + n - id)))
        return lcw_error_set_target(err, LCW_EINVAL, "@odata.id",
                                    "@odata.id must end in an object id (a GUID), got '%.*s'",
                                    (int)(ref + n - id), id);
    memcpy(out, id, UUID_STR_LEN - 1);
    out[UUID_STR_LEN - 1] = '\0';
    lower_ascii(out);
    return 0;
}

/* Append `s` to `b` as a LIKE pattern matching it anywhere, lower-cased. */
static void like_pattern(char *dst, const char *s, size_t len)
{
    *dst++ = '%';
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (c == '%' || c == '_' || c == '\\')
            *dst++ = '\\';
        *dst++ = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    *dst++ = '%';
    *dst = '\0';
}

int api__dir_search(const char *search, const struct store_entity *e, struct buf *where,
                    struct store_val *params, size_t cap, size_t *n_params, char **owned,
                    struct lcw_error *err)
{
    /* Terms are "prop:text" (or bare text, meaning displayName), joined by
     * one kind of operator: "a" OR "b", or "a" AND "b". The odata parser has
     * already removed the outermost quotes. */
    size_t len = strlen(search), size;
    const char *p = search, *op = NULL;
    char *block, *w;
    int rc = 0;

    *owned = NULL;
    if (!lcw_size_mul(len, 2, &size) || !lcw_size_add(size, 64, &size))
        return lcw_error_set(err, LCW_ETOOBIG, "$search is too long");
    block = lcw_malloc(size * 2);
    if (!block)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    w = block;
    rc = buf_puts(where, " AND (");
    while (!rc) {
        const char *end = strstr(p, "\" OR \""), *and_end = strstr(p, "\" AND \""), *colon;
        const char *col = NULL, *kind;
        size_t tlen;

        if (!end || (and_end && and_end < end))
            end = and_end;
        kind = !end ? NULL : end == and_end ? " AND " : " OR ";
        tlen = end ? (size_t)(end - p) : strlen(p);
        if (kind && op && strcmp(kind, op) != 0) {
            rc = lcw_error_set(err, LCW_EINVAL,
                               "$search: mixing AND and OR is not supported; use one of them");
            break;
        }
        colon = memchr(p, ':', tlen);
        if (colon) {
            for (size_t i = 0; i < e->od.n_props; i++) {
                const struct odata_property *pp = &e->od.props[i];

                if (pp->type == ODATA_T_STRING && pp->column &&
                    strlen(pp->name) == (size_t)(colon - p) &&
                    strncasecmp(pp->name, p, (size_t)(colon - p)) == 0)
                    col = pp->column;
            }
            if (!col) {
                rc = lcw_error_set(err, LCW_EINVAL,
                                   "$search: '%.*s' is not a searchable property of %s",
                                   (int)(colon - p), p, e->od.name);
                break;
            }
            tlen -= (size_t)(colon + 1 - p);
            p = colon + 1;
        } else {
            col = "display_name";
        }
        if (*n_params >= cap) {
            rc = lcw_error_set(err, LCW_EINVAL, "$search: too many terms");
            break;
        }
        like_pattern(w, p, tlen);
        params[(*n_params)++] = STORE_V_TEXT(w);
        w += strlen(w) + 1;
        rc = buf_printf(where, "lower(%s) LIKE ? ESCAPE '\\'", col);
        if (rc || !end)
            break;
        op = kind;
        rc = buf_puts(where, op);
        p = end + strlen(op) + 2;
    }
    if (!rc)
        rc = buf_puts(where, ")");
    if (rc) {
        lcw_free(block);
        return err && err->code ? rc : lcw_error_set(err, rc, "$search is too long");
    }
    *owned = block;
    return 0;
}

void api__dir_not_found(struct api_resp *resp, const struct api_req *req, const char *what)
{
    api_error(resp, req, 404, DIR_NOT_FOUND,
              "Resource '%s' does not exist or one of its queried reference-property objects are "
              "not present.",
              what);
}

/* 400 for a validation error, the mapped status for anything else. */
void api__dir_fail(struct api_resp *resp, const struct api_req *req, const struct lcw_error *err)
{
    if (err->code == LCW_EINVAL)
        api_error(resp, req, 400, DIR_BAD, "%s", err->msg);
    else
        api_error_from(resp, req, err);
}

/*
 * Find a live (not deleted) user by id, or by userPrincipalName as Graph
 * allows in /users/{id|userPrincipalName}. LCW_ENOTFOUND when absent.
 */
static int user_find(struct store_tx *tx, const char *key, json_t **out, struct lcw_error *err)
{
    char id[UUID_STR_LEN];
    int rc;

    *out = NULL;
    if (uuid_valid(key, strlen(key))) {
        lcw_strlcpy(id, key, sizeof(id));
        lower_ascii(id);
        rc = store_entity_get(tx, &store_ent_user, id, out, err);
    } else if (strchr(key, '@')) {
        struct odata_query q;
        struct store_page page = {0};
        struct store_val p = STORE_V_TEXT(key);

        odata_query_init(&q);
        rc = store_entity_list(tx, &store_ent_user, &q, NULL,
                               "lower(user_principal_name) = lower(?)", &p, 1, 1, &page, err);
        if (!rc && json_array_size(page.items) == 1)
            *out = json_incref(json_array_get(page.items, 0));
        else if (!rc)
            rc = LCW_ENOTFOUND;
        store_page_release(&page);
    } else {
        rc = LCW_ENOTFOUND;
    }
    /* A user soft-deleted by the engine is gone from /users. */
    if (!rc && !json_is_null(json_object_get(*out, "deletedDateTime")))
        rc = LCW_ENOTFOUND;
    if (rc == LCW_ENOTFOUND) {
        json_decref(*out);
        *out = NULL;
        return lcw_error_set(err, rc, "user '%s' does not exist", key);
    }
    return rc;
}

/* user_find, filling `resp` on failure. */
static int user_load(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                     const char *key, json_t **out)
{
    struct lcw_error err = {0};
    int rc = user_find(tx, key, out, &err);

    if (rc == LCW_ENOTFOUND)
        api__dir_not_found(resp, req, key);
    else if (rc)
        api_error_from(resp, req, &err);
    return rc;
}

/* Refuse $select names that are not user properties, as Graph does. */
static int check_select(struct api_req *req, struct api_resp *resp, const struct odata_query *q)
{
    for (size_t i = 0; i < q->n_select; i++) {
        const struct model_user_prop *p = uprop_find(q->select[i]);

        if (strcmp(q->select[i], "*") == 0)
            continue;
        if (!p || p->kind == MODEL_USER_NAV || p->kind == MODEL_USER_IGNORED) {
            api_error(resp, req, 400, DIR_BAD,
                      "Could not find a property named '%s' on type 'microsoft.graph.user'.",
                      q->select[i]);
            return LCW_EINVAL;
        }
    }
    for (size_t i = 0; i < q->n_expand; i++) {
        if (!lcw_str_eq_ci(q->expand[i], "manager")) {
            api_error(resp, req, 400, DIR_BAD,
                      "$expand: '%s' cannot be expanded on a user; only 'manager' can",
                      q->expand[i]);
            return LCW_EINVAL;
        }
    }
    return 0;
}

/* The user as returned, with `manager` inlined when expanded. */
static int user_shape(struct store_tx *tx, const json_t *doc, const struct odata_query *q,
                      bool with_type, json_t **out, struct lcw_error *err)
{
    const char *mid = api__user_manager_id(doc);
    json_t *o = api__dir_user_output(doc, with_type), *m = NULL;
    int rc = 0;

    *out = NULL;
    if (!o)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    if (q && api__expanded(q, "manager") && mid) {
        rc = user_find(tx, mid, &m, err);
        if (rc == LCW_ENOTFOUND) {
            rc = 0; /* a dangling manager reads as none */
        } else if (!rc) {
            json_t *mo = api__dir_user_output(m, true);

            if (!mo || json_object_set_new(o, "manager", mo))
                rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        }
    }
    json_decref(m);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

/* Is userPrincipalName `upn` taken by another user (case-insensitively)? */
static int check_upn(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                     const char *upn, const char *self_id)
{
    struct store_val p[2] = {STORE_V_TEXT(upn), STORE_V_TEXT(self_id)};
    struct lcw_error err = {0};
    int64_t n = 0;
    int rc =
            store_entity_count(tx, &store_ent_user, NULL,
                               "lower(user_principal_name) = lower(?) AND pk <> ?", p, 2, &n, &err);

    if (rc) {
        api_error_from(resp, req, &err);
        return rc;
    }
    if (n > 0) {
        api_error(resp, req, 400, DIR_BAD,
                  "Another object with the same value for property userPrincipalName already "
                  "exists.");
        return LCW_ECONFLICT;
    }
    return 0;
}

static int user_put(struct store_tx *tx, const json_t *doc, struct lcw_error *err)
{
    return store_entity_put(tx, &store_ent_user, jsonx_str(doc, "id"), NULL, doc, err);
}

/* One "attribute" directory change; values are JSON text ("null" when unset). */
static int record_attr(struct store_tx *tx, int64_t now_ms, const char *user_id, const char *attr,
                       const json_t *old, const json_t *new, struct lcw_error *err)
{
    char *o = jsonx_dump(old ? old : json_null()), *n = jsonx_dump(new ? new : json_null());
    int rc = o && n ? store_dir_change_add(tx, now_ms, "attribute", user_id, attr, o, n, err)
                    : lcw_error_set(err, LCW_ENOMEM, "out of memory");

    lcw_free(o);
    lcw_free(n);
    return rc;
}

/*
 * Record every changed property between `old` and `new` as directory
 * changes (complex properties per member: "employeeOrgData/costCenter") and
 * on the audit `target`. `*n_changed` counts changed properties.
 */
static int user_changes(struct store_tx *tx, int64_t now_ms, const json_t *old, const json_t *new,
                        json_t *target, size_t *n_changed, struct lcw_error *err)
{
    const char *id = jsonx_str(new, "id");
    int rc = 0;

    *n_changed = 0;
    for (size_t i = 0; !rc && i < model_user_prop_count(); i++) {
        const struct model_user_prop *p = model_user_prop_at(i);
        const json_t *a = json_object_get(old, p->name), *b = json_object_get(new, p->name);

        if (!model_user_prop_is_data(p) || model_user_value_same(a, b))
            continue;
        (*n_changed)++;
        if (target && api__target_modified(target, p->name, a, b))
            return lcw_error_set(err, LCW_ENOMEM, "out of memory");
        if (p->kind != MODEL_USER_COMPLEX) {
            rc = record_attr(tx, now_ms, id, p->name, a, b, err);
            continue;
        }
        for (const char *const *m = p->members; !rc && *m; m++) {
            const json_t *am = json_object_get(a, *m), *bm = json_object_get(b, *m);
            char path[96];

            if (model_user_value_same(am, bm))
                continue;
            (void)snprintf(path, sizeof(path), "%s/%s", p->name, *m);
            rc = record_attr(tx, now_ms, id, path, am, bm, err);
        }
    }
    return rc;
}

static json_t *user_target(const json_t *doc)
{
    return api__target(jsonx_str(doc, "id"), jsonx_str(doc, "userPrincipalName"), "User");
}

/* Audit with `targets` (taken) and optional details (taken). */
static int audit_user(struct store_tx *tx, struct api_req *req, const char *activity,
                      const char *op, json_t *targets, json_t *details, struct lcw_error *err)
{
    if (!targets) {
        json_decref(details);
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    }
    return api__audit(tx, req, "UserManagement", activity, op, targets, details, err);
}

/* The list page's items as returned: output shape, manager when expanded, type. */
static int shape_page(struct store_tx *tx, struct store_page *page, const struct odata_query *q,
                      bool with_type, struct lcw_error *err)
{
    size_t i;
    json_t *item;

    json_array_foreach (page->items, i, item) {
        json_t *o = NULL;
        int rc = user_shape(tx, item, q, with_type, &o, err);

        if (rc)
            return rc;
        json_array_set_new(page->items, i, o);
    }
    return 0;
}

/*
 * List live users matching `where` (with `p`) and the request's query,
 * and send the page.
 */
static void list_users(struct api_req *req, struct api_resp *resp, struct odata_query *q,
                       const char *extra_where, const char *extra_param, bool with_type,
                       const char *fragment)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    struct store_page page = {0};
    struct store_val params[10];
    size_t n_params = 0;
    struct buf where;
    char *owned = NULL;
    int rc;

    buf_init(&where, 8192);
    rc = buf_puts(&where, "deleted_at_ms IS NULL");
    if (!rc && extra_where) {
        rc = buf_printf(&where, " AND %s", extra_where);
        params[n_params++] = STORE_V_TEXT(extra_param);
    }
    if (rc) {
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        goto out;
    }
    if (q->search && api__dir_search(q->search, &store_ent_user, &where, params, N_ELEMS(params),
                                     &n_params, &owned, &err)) {
        api__dir_fail(resp, req, &err);
        goto out;
    }
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    rc = store_entity_list(&tx, &store_ent_user, q, NULL, buf_cstr(&where), params, n_params,
                           (long)req->ctx->cfg->page_size, &page, &err);
    if (!rc)
        rc = shape_page(&tx, &page, q, with_type, &err);
    store_tx_rollback(&tx);
    if (rc) {
        store_page_release(&page);
        api_error_from(resp, req, &err);
        goto out;
    }
    api__page(req, resp, &page, q, fragment);
out:
    lcw_free(owned);
    buf_release(&where);
}

/* ---------------------------------------------------------------- users */

void api_users_list(struct api_req *req, struct api_resp *resp)
{
    struct odata_query q;

    if (api__query(req, resp, USER_LIST_OPTS, &q))
        return;
    if (check_select(req, resp, &q) == 0)
        list_users(req, resp, &q, NULL, NULL, false, "users");
    odata_query_release(&q);
}

void api_users_create(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *doc = NULL, *target = NULL;
    char id[UUID_STR_LEN];
    const char *key;
    json_t *v;
    int rc;

    if (api__body(req, resp, &body))
        return;
    uuid_v4(id);
    rc = api__user_build(body, id, req->now_ms, &doc, &err);
    if (rc) {
        api__dir_fail(resp, req, &err);
        goto out;
    }
    target = user_target(doc);
    if (!target)
        goto oom;
    /* The creation event lists what was set, as Entra's "Add user" does. */
    json_object_foreach (doc, key, v) {
        const struct model_user_prop *p = uprop_find(key);

        if (p && model_user_prop_is_data(p) && !json_is_null(v) &&
            !(json_is_array(v) && !json_array_size(v)) &&
            api__target_modified(target, key, NULL, v))
            goto oom;
    }
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (check_upn(&tx, req, resp, jsonx_str(doc, "userPrincipalName"), id))
        goto out;
    rc = user_put(&tx, doc, &err);
    if (!rc)
        rc = store_dir_change_add(&tx, req->now_ms, "created", id, NULL, NULL,
                                  jsonx_str(doc, "userPrincipalName"), &err);
    if (!rc) {
        rc = audit_user(&tx, req, "Add user", "Add", json_pack("[O]", target), NULL, &err);
    }
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx))
        goto out;
    (void)snprintf(resp->location, sizeof(resp->location), "%s/%s/users/%s", req->base_url,
                   req->version, id);
    api__json(req, resp, 201, api__dir_user_output(doc, false), "users/$entity");
    goto out;
oom:
    api_error(resp, req, 500, "InternalServerError", "out of memory");
out:
    store_tx_rollback(&tx);
    json_decref(target);
    json_decref(body);
    json_decref(doc);
}

void api_user_get(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct odata_query q;
    struct store_tx tx = {0};
    json_t *doc = NULL, *o = NULL;
    char key[256];

    if (api__query(req, resp, ODATA_OPT_SELECT | ODATA_OPT_EXPAND, &q))
        return;
    api_param(req, 0, key, sizeof(key));
    if (check_select(req, resp, &q) || api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (user_load(&tx, req, resp, key, &doc))
        goto out;
    if (user_shape(&tx, doc, &q, false, &o, &err) || api__select(o, &q)) {
        api_error_from(resp, req, &err);
        goto out;
    }
    api__json(req, resp, 200, o, "users/$entity");
    o = NULL;
out:
    store_tx_rollback(&tx);
    json_decref(o);
    json_decref(doc);
    odata_query_release(&q);
}

void api_user_patch(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *old = NULL, *doc = NULL, *target = NULL;
    char key[256];
    size_t n_changed = 0;
    int rc;

    api_param(req, 0, key, sizeof(key));
    if (api__body(req, resp, &body))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (user_load(&tx, req, resp, key, &old))
        goto out;
    doc = json_deep_copy(old);
    target = user_target(old);
    if (!doc || !target) {
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        goto out;
    }
    rc = apply_user(doc, body, &err);
    if (rc) {
        api__dir_fail(resp, req, &err);
        goto out;
    }
    if (!model_user_value_same(json_object_get(old, "userPrincipalName"),
                               json_object_get(doc, "userPrincipalName")) &&
        check_upn(&tx, req, resp, jsonx_str(doc, "userPrincipalName"), jsonx_str(doc, "id")))
        goto out;
    rc = user_changes(&tx, req->now_ms, old, doc, target, &n_changed, &err);
    if (!rc && n_changed)
        rc = user_put(&tx, doc, &err);
    if (!rc && n_changed) {
        rc = audit_user(&tx, req, "Update user", "Update", json_pack("[O]", target), NULL, &err);
    }
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
out:
    store_tx_rollback(&tx);
    json_decref(target);
    json_decref(body);
    json_decref(old);
    json_decref(doc);
}

/* Ids of the live users whose manager is `id`. */
static int direct_report_docs(struct store_tx *tx, const char *id, struct store_page *page,
                              struct lcw_error *err)
{
    char pat[UUID_STR_LEN + 40];
    struct odata_query q;
    struct store_val p;
    int rc;

    /* The manager lives in the doc (compact JSON from jsonx_dump), so that
     * every get-modify-put writer keeps it; see directory.md. */
    (void)snprintf(pat, sizeof(pat), "%%\"" MANAGER_KEY "\":\"%s\"%%", id);
    p = STORE_V_TEXT(pat);
    odata_query_init(&q);
    rc = store_entity_list(tx, &store_ent_user, &q, NULL, "doc LIKE ?", &p, 1, 1000000, page, err);
    odata_query_release(&q);
    return rc;
}

void api_user_delete(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    struct store_page reports = {0};
    json_t *doc = NULL, *groups = NULL, *details = NULL;
    char key[256];
    const char *id;
    size_t i;
    json_t *g, *r;
    int rc;

    api_param(req, 0, key, sizeof(key));
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        return;
    if (user_load(&tx, req, resp, key, &doc))
        goto out;
    id = jsonx_str(doc, "id");
    rc = store_member_ids(&tx, id, true, &groups, &err);
    json_array_foreach (groups, i, g) {
        if (rc)
            break;
        rc = store_dir_change_add(&tx, req->now_ms, "memberRemoved", id, json_string_value(g), id,
                                  NULL, &err);
    }
    if (!rc)
        rc = store_member_delete_all(&tx, id, true, &err);
    /* Reports lose their manager, as when a manager is deleted in Entra. */
    if (!rc)
        rc = direct_report_docs(&tx, id, &reports, &err);
    json_array_foreach (reports.items, i, r) {
        json_t *idj = json_string(id);

        if (!rc && !idj)
            rc = lcw_error_set(&err, LCW_ENOMEM, "out of memory");
        if (!rc)
            rc = api__user_manager_set(r, NULL);
        if (!rc)
            rc = user_put(&tx, r, &err);
        if (!rc)
            rc = record_attr(&tx, req->now_ms, jsonx_str(r, "id"), "manager", idj, NULL, &err);
        json_decref(idj);
    }
    if (!rc)
        rc = store_entity_delete(&tx, &store_ent_user, id, &err);
    if (!rc)
        rc = store_dir_change_add(&tx, req->now_ms, "deleted", id, NULL,
                                  jsonx_str(doc, "userPrincipalName"), NULL, &err);
    if (!rc) {
        char n_groups[32], n_reports[32];

        (void)snprintf(n_groups, sizeof(n_groups), "%zu", json_array_size(groups));
        (void)snprintf(n_reports, sizeof(n_reports), "%zu", json_array_size(reports.items));
        /* additionalDetails values are strings in Graph. */
        details = json_pack("[{s:s, s:s}, {s:s, s:s}]", "key", "GroupMembershipsRemoved", "value",
                            n_groups, "key", "DirectReportsCleared", "value", n_reports);
        rc = audit_user(&tx, req, "Delete user", "Delete", json_pack("[o]", user_target(doc)),
                        details, &err);
        details = NULL;
    }
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
out:
    store_tx_rollback(&tx);
    store_page_release(&reports);
    json_decref(details);
    json_decref(groups);
    json_decref(doc);
}

/* -------------------------------------------------------------- manager */

/* The user's live manager; 404 (Graph's message) when there is none. */
static int manager_load(struct store_tx *tx, struct api_req *req, struct api_resp *resp,
                        const json_t *user, json_t **out)
{
    struct lcw_error err = {0};
    const char *mid = api__user_manager_id(user);
    int rc = mid ? user_find(tx, mid, out, &err) : LCW_ENOTFOUND;

    if (rc == LCW_ENOTFOUND)
        api__dir_not_found(resp, req, "manager");
    else if (rc)
        api_error_from(resp, req, &err);
    return rc;
}

void api_user_manager_get(struct api_req *req, struct api_resp *resp)
{
    struct odata_query q;
    struct store_tx tx = {0};
    json_t *doc = NULL, *m = NULL, *o = NULL;
    char key[256];

    if (api__query(req, resp, ODATA_OPT_SELECT, &q))
        return;
    api_param(req, 0, key, sizeof(key));
    if (check_select(req, resp, &q) || api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (user_load(&tx, req, resp, key, &doc) || manager_load(&tx, req, resp, doc, &m))
        goto out;
    o = api__dir_user_output(m, true);
    if (o && api__select(o, &q)) {
        json_decref(o);
        o = NULL;
    }
    api__json(req, resp, 200, o, "directoryObjects/$entity");
out:
    store_tx_rollback(&tx);
    json_decref(m);
    json_decref(doc);
    odata_query_release(&q);
}

void api_user_manager_ref_get(struct api_req *req, struct api_resp *resp)
{
    struct store_tx tx = {0};
    json_t *doc = NULL, *m = NULL;
    char key[256], url[512];

    api_param(req, 0, key, sizeof(key));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        return;
    if (user_load(&tx, req, resp, key, &doc) || manager_load(&tx, req, resp, doc, &m))
        goto out;
    (void)snprintf(url, sizeof(url), "%s/%s/users/%s", req->base_url, req->version,
                   jsonx_str(m, "id"));
    api__json(req, resp, 200, json_pack("{s:s}", "@odata.id", url), "$ref");
out:
    store_tx_rollback(&tx);
    json_decref(m);
    json_decref(doc);
}

/* Set (`new_id`) or clear (NULL) the manager of `doc`, with records and audit. */
static int set_manager(struct store_tx *tx, struct api_req *req, json_t *doc, const json_t *manager,
                       struct lcw_error *err)
{
    const char *old_id = api__user_manager_id(doc);
    const char *new_id = manager ? jsonx_str(manager, "id") : NULL;
    json_t *o = old_id ? json_string(old_id) : json_null();
    json_t *n = new_id ? json_string(new_id) : json_null();
    json_t *target = user_target(doc), *targets = json_array();
    int rc;

    if (!o || !n || !target || !targets || api__target_modified(target, "manager", o, n) ||
        json_array_append(targets, target) ||
        (manager && json_array_append_new(targets, user_target(manager)))) {
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        goto out;
    }
    rc = record_attr(tx, req->now_ms, jsonx_str(doc, "id"), "manager", o, n, err);
    if (!rc)
        rc = api__user_manager_set(doc, new_id);
    if (!rc)
        rc = user_put(tx, doc, err);
    if (!rc) {
        rc = audit_user(tx, req, manager ? "Set user manager" : "Remove user manager", "Update",
                        targets, NULL, err);
        targets = NULL;
    }
out:
    json_decref(targets);
    json_decref(target);
    json_decref(o);
    json_decref(n);
    return rc;
}

void api_user_manager_put(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *doc = NULL, *m = NULL;
    char key[256], mid[UUID_STR_LEN];
    const char *cur;
    int rc;

    api_param(req, 0, key, sizeof(key));
    if (api__body(req, resp, &body))
        return;
    if (api__dir_ref_id(body, mid, &err)) {
        api__dir_fail(resp, req, &err);
        goto out;
    }
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (user_load(&tx, req, resp, key, &doc) || user_load(&tx, req, resp, mid, &m))
        goto out;
    if (strcmp(mid, jsonx_str(doc, "id")) == 0) {
        api_error(resp, req, 400, DIR_BAD, "A user cannot be their own manager");
        goto out;
    }
    cur = api__user_manager_id(doc);
    if (!cur || strcmp(cur, mid) != 0) {
        rc = set_manager(&tx, req, doc, m, &err);
        if (rc) {
            api_error_from(resp, req, &err);
            goto out;
        }
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
out:
    store_tx_rollback(&tx);
    json_decref(m);
    json_decref(doc);
    json_decref(body);
}

void api_user_manager_delete(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *doc = NULL;
    char key[256];

    api_param(req, 0, key, sizeof(key));
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        return;
    if (user_load(&tx, req, resp, key, &doc))
        goto out;
    if (!api__user_manager_id(doc)) {
        api__dir_not_found(resp, req, "manager");
        goto out;
    }
    if (set_manager(&tx, req, doc, NULL, &err)) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
out:
    store_tx_rollback(&tx);
    json_decref(doc);
}

/* ------------------------------------------------------- relationships */

void api_user_direct_reports(struct api_req *req, struct api_resp *resp)
{
    struct odata_query q;
    struct store_tx tx = {0};
    json_t *doc = NULL;
    char key[256], pat[UUID_STR_LEN + 40];

    if (api__query(req, resp, REL_LIST_OPTS, &q))
        return;
    api_param(req, 0, key, sizeof(key));
    if (check_select(req, resp, &q) || api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (user_load(&tx, req, resp, key, &doc))
        goto out;
    store_tx_rollback(&tx);
    (void)snprintf(pat, sizeof(pat), "%%\"" MANAGER_KEY "\":\"%s\"%%", jsonx_str(doc, "id"));
    list_users(req, resp, &q, "doc LIKE ?", pat, true, "directoryObjects");
out:
    store_tx_rollback(&tx);
    json_decref(doc);
    odata_query_release(&q);
}

void api_user_member_of(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct odata_query q;
    struct store_tx tx = {0};
    struct store_page page = {0};
    json_t *doc = NULL;
    struct store_val p[1];
    char key[256];
    size_t i;
    json_t *g;
    int rc;

    if (api__query(req, resp, REL_LIST_OPTS & ~ODATA_OPT_SEARCH, &q))
        return;
    api_param(req, 0, key, sizeof(key));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    if (user_load(&tx, req, resp, key, &doc))
        goto out;
    p[0] = STORE_V_TEXT(jsonx_str(doc, "id"));
    rc = store_entity_list(&tx, &store_ent_group, &q, NULL,
                           "pk IN (SELECT group_id FROM group_members WHERE user_id = ?)", p, 1,
                           (long)req->ctx->cfg->page_size, &page, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    json_array_foreach (page.items, i, g) {
        json_t *o = json_pack("{s:s}", "@odata.type", GROUP_TYPE);

        if (!o || json_object_update(o, g)) {
            json_decref(o);
            store_page_release(&page);
            api_error(resp, req, 500, "InternalServerError", "out of memory");
            goto out;
        }
        json_array_set_new(page.items, i, o);
    }
    api__page(req, resp, &page, &q, "directoryObjects");
out:
    store_tx_rollback(&tx);
    json_decref(doc);
    odata_query_release(&q);
}

/* ------------------------------------------------------------- licences */

int api__skus_get(struct store_tx *tx, json_t **out, struct lcw_error *err)
{
    int rc = store_kv_get(tx, SKUS_KEY, out, err);

    if (rc == LCW_ENOTFOUND) {
        *out = json_array();
        return *out ? 0 : lcw_error_set(err, LCW_ENOMEM, "out of memory");
    }
    if (!rc && !json_is_array(*out)) {
        json_decref(*out);
        *out = NULL;
        return lcw_error_set(err, LCW_EINTERNAL, "the stored subscribedSkus is not an array");
    }
    return rc;
}

int api__sku_consumed(struct store_tx *tx, const char *sku_id, int64_t *out, struct lcw_error *err)
{
    return store_sku_consumed(tx, sku_id, out, err);
}

static json_t *sku_find(json_t *skus, const char *sku_id, size_t *index)
{
    size_t i;
    json_t *s;

    json_array_foreach (skus, i, s) {
        const char *id = jsonx_str(s, "skuId");

        if (id && lcw_str_eq_ci(id, sku_id)) {
            if (index)
                *index = i;
            return s;
        }
    }
    return NULL;
}

/* A GUID string (lower-cased into `out`), or LCW_EINVAL naming `what`. */
static int guid_arg(const json_t *v, const char *what, char out[UUID_STR_LEN],
                    struct lcw_error *err)
{
    const char *s = json_string_value(v);

    if (!s || !uuid_valid(s, strlen(s)))
        return lcw_error_set_target(err, LCW_EINVAL, what, "%s must be a GUID", what);
    lcw_strlcpy(out, s, UUID_STR_LEN);
    lower_ascii(out);
    return 0;
}

/*
 * Apply an assignLicense body to `licenses` (the user's assignedLicenses,
 * changed in place) against the catalogue `skus`. `added` receives the skus
 * that were not assigned before (their capacity is checked by the caller).
 */
static int apply_licenses(json_t *licenses, const json_t *body, json_t *skus, json_t *added,
                          struct lcw_error *err)
{
    const json_t *add = json_object_get(body, "addLicenses");
    const json_t *rem = json_object_get(body, "removeLicenses");
    const char *k;
    json_t *v;
    size_t i, j;

    json_object_foreach (JSONX_MUT(body), k, v) {
        if (strcmp(k, "addLicenses") != 0 && strcmp(k, "removeLicenses") != 0)
            return lcw_error_set_target(err, LCW_EINVAL, k,
                                        "Property '%s' is not a parameter of assignLicense", k);
    }
    if (!json_is_array(add) || !json_is_array(rem))
        return lcw_error_set(err, LCW_EINVAL,
                             "assignLicense needs both 'addLicenses' (an array of "
                             "{skuId, disabledPlans}) and 'removeLicenses' (an array of skuIds); "
                             "either may be empty");
    json_array_foreach (rem, i, v) {
        char sku[UUID_STR_LEN];
        bool found = false;
        json_t *l;

        if (guid_arg(v, "removeLicenses", sku, err))
            return LCW_EINVAL;
        json_array_foreach (licenses, j, l) {
            if (lcw_str_eq_ci(jsonx_str(l, "skuId") ? jsonx_str(l, "skuId") : "", sku)) {
                found = true;
                json_array_remove(licenses, j);
                break;
            }
        }
        if (!found)
            return lcw_error_set_target(err, LCW_EINVAL, "removeLicenses",
                                        "User does not have a corresponding license (skuId %s).",
                                        sku);
    }
    json_array_foreach (add, i, v) {
        char sku[UUID_STR_LEN], plan[UUID_STR_LEN];
        const json_t *plans = json_object_get(v, "disabledPlans");
        json_t *lic, *l, *np;
        bool replaced = false;

        json_object_foreach (v, k, l) {
            if (strcmp(k, "skuId") != 0 && strcmp(k, "disabledPlans") != 0 &&
                strcmp(k, "@odata.type") != 0)
                return lcw_error_set_target(err, LCW_EINVAL, "addLicenses",
                                            "addLicenses[%zu]: property '%s' does not exist on "
                                            "type 'microsoft.graph.assignedLicense'",
                                            i, k);
        }
        if (!json_is_object(v) ||
            guid_arg(json_object_get(v, "skuId"), "addLicenses.skuId", sku, err))
            return lcw_error_set_target(err, LCW_EINVAL, "addLicenses",
                                        "addLicenses[%zu] must be {\"skuId\": GUID, "
                                        "\"disabledPlans\": [GUID, ...]}",
                                        i);
        if (!sku_find(skus, sku, NULL))
            return lcw_error_set_target(err, LCW_EINVAL, "addLicenses",
                                        "License %s does not correspond to a valid company "
                                        "License.",
                                        sku);
        if (plans && !json_is_null(plans) && !json_is_array(plans))
            return lcw_error_set_target(err, LCW_EINVAL, "addLicenses",
                                        "addLicenses[%zu].disabledPlans must be an array of GUIDs",
                                        i);
        np = json_array();
        lic = json_pack("{s:s, s:o}", "skuId", sku, "disabledPlans", np);
        if (!lic)
            return lcw_error_set(err, LCW_ENOMEM, "out of memory");
        json_array_foreach (plans, j, l) {
            if (guid_arg(l, "disabledPlans", plan, err) ||
                json_array_append_new(np, json_string(plan))) {
                json_decref(lic);
                return err->code ? err->code : lcw_error_set(err, LCW_ENOMEM, "out of memory");
            }
        }
        json_array_foreach (json_object_get(body, "removeLicenses"), j, l) {
            if (lcw_str_eq_ci(json_string_value(l), sku)) {
                json_decref(lic);
                return lcw_error_set_target(err, LCW_EINVAL, "addLicenses",
                                            "License %s is both added and removed", sku);
            }
        }
        /* Adding an assigned sku again replaces its disabledPlans, as in Graph. */
        json_array_foreach (licenses, j, l) {
            if (lcw_str_eq_ci(jsonx_str(l, "skuId") ? jsonx_str(l, "skuId") : "", sku)) {
                json_array_set(licenses, j, lic);
                replaced = true;
                break;
            }
        }
        if ((!replaced && (json_array_append(licenses, lic) ||
                           json_array_append_new(added, json_string(sku))))) {
            json_decref(lic);
            return lcw_error_set(err, LCW_ENOMEM, "out of memory");
        }
        json_decref(lic);
    }
    return 0;
}

void api_user_assign_license(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *doc = NULL, *skus = NULL, *added = json_array(), *target = NULL;
    json_t *old_lic = NULL, *v;
    char key[256];
    size_t i;
    int rc;

    api_param(req, 0, key, sizeof(key));
    if (!added) {
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        return;
    }
    if (api__body(req, resp, &body))
        goto out;
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    if (user_load(&tx, req, resp, key, &doc))
        goto out;
    rc = api__skus_get(&tx, &skus, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (!json_is_array(json_object_get(doc, "assignedLicenses")))
        (void)json_object_set_new(doc, "assignedLicenses", json_array()); /* checked below */
    old_lic = json_deep_copy(json_object_get(doc, "assignedLicenses"));
    if (!old_lic || !json_is_array(json_object_get(doc, "assignedLicenses"))) {
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        goto out;
    }
    rc = apply_licenses(json_object_get(doc, "assignedLicenses"), body, skus, added, &err);
    if (rc) {
        api__dir_fail(resp, req, &err);
        goto out;
    }
    /* Each newly assigned sku needs a free unit. */
    json_array_foreach (added, i, v) {
        const json_t *sku = sku_find(skus, json_string_value(v), NULL);
        int64_t used = 0;
        int64_t enabled = jsonx_int(json_object_get(sku, "prepaidUnits"), "enabled", 0);

        rc = api__sku_consumed(&tx, json_string_value(v), &used, &err);
        if (rc) {
            api_error_from(resp, req, &err);
            goto out;
        }
        if (used >= enabled) {
            api_error(resp, req, 400, DIR_BAD,
                      "Subscription for license %s (%s) does not have any available licenses "
                      "(%lld of %lld in use).",
                      json_string_value(v), jsonx_str(sku, "skuPartNumber"), (long long)used,
                      (long long)enabled);
            goto out;
        }
    }
    if (!json_equal(old_lic, json_object_get(doc, "assignedLicenses"))) {
        target = user_target(doc);
        if (!target || api__target_modified(target, "assignedLicenses", old_lic,
                                            json_object_get(doc, "assignedLicenses"))) {
            api_error(resp, req, 500, "InternalServerError", "out of memory");
            goto out;
        }
        rc = record_attr(&tx, req->now_ms, jsonx_str(doc, "id"), "assignedLicenses", old_lic,
                         json_object_get(doc, "assignedLicenses"), &err);
        if (!rc)
            rc = user_put(&tx, doc, &err);
        if (!rc)
            rc = audit_user(&tx, req, "Change user license", "Update", json_pack("[O]", target),
                            NULL, &err);
        if (rc) {
            api_error_from(resp, req, &err);
            goto out;
        }
    }
    if (api__tx_commit(req, resp, &tx))
        goto out;
    api__json(req, resp, 200, api__dir_user_output(doc, false), "users/$entity");
out:
    store_tx_rollback(&tx);
    json_decref(target);
    json_decref(old_lic);
    json_decref(added);
    json_decref(skus);
    json_decref(body);
    json_decref(doc);
}

/* subscribedSku properties for $filter/$orderby (evaluated in memory). */
static const struct odata_property sku_props[] = {
        {"id", NULL, ODATA_T_STRING, ODATA_OP_EQ | ODATA_OP_IN, true},
        {"skuId", NULL, ODATA_T_GUID, ODATA_OP_EQ | ODATA_OP_IN, true},
        {"skuPartNumber", NULL, ODATA_T_STRING, ODATA_OP_EQ | ODATA_OP_IN | ODATA_OP_STARTSWITH,
         true},
        {"capabilityStatus", NULL, ODATA_T_STRING, ODATA_OP_EQ | ODATA_OP_IN, true},
        {"appliesTo", NULL, ODATA_T_STRING, ODATA_OP_EQ, true},
        {"consumedUnits", NULL, ODATA_T_INT, ODATA_OP_EQ | ODATA_OP_ORDER, true},
};
static const struct odata_entity sku_entity = {"subscribedSku", "id", sku_props,
                                               N_ELEMS(sku_props)};

/* The catalogue with consumedUnits filled in (new reference in *out). */
static int skus_with_usage(struct store_tx *tx, json_t **out, struct lcw_error *err)
{
    json_t *skus = NULL, *s;
    size_t i;
    int rc = api__skus_get(tx, &skus, err);

    json_array_foreach (skus, i, s) {
        int64_t used = 0;

        if (rc)
            break;
        rc = api__sku_consumed(tx, jsonx_str(s, "skuId") ? jsonx_str(s, "skuId") : "", &used, err);
        if (!rc && json_object_set_new(s, "consumedUnits", json_integer(used)))
            rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
    }
    if (rc) {
        json_decref(skus);
        return rc;
    }
    *out = skus;
    return 0;
}

void api_subscribed_skus_list(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct odata_query q;
    struct store_tx tx = {0};
    json_t *skus = NULL;
    int rc;

    if (api__query(req, resp,
                   ODATA_OPT_FILTER | ODATA_OPT_ORDERBY | ODATA_OPT_TOP | ODATA_OPT_SKIPTOKEN |
                           ODATA_OPT_COUNT | ODATA_OPT_SELECT,
                   &q))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    rc = skus_with_usage(&tx, &skus, &err);
    store_tx_rollback(&tx);
    if (rc)
        api_error_from(resp, req, &err);
    else
        api__list_array(req, resp, skus, &sku_entity, &q, "subscribedSkus");
out:
    json_decref(skus);
    odata_query_release(&q);
}

/* GET /subscribedSkus/{id} (Graph; not routed yet). */
void api_subscribed_sku_get(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct odata_query q;
    struct store_tx tx = {0};
    json_t *skus = NULL, *sku;
    char id[128];
    int rc;

    if (api__query(req, resp, ODATA_OPT_SELECT, &q))
        return;
    api_param(req, 0, id, sizeof(id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_READ))
        goto out;
    rc = skus_with_usage(&tx, &skus, &err);
    store_tx_rollback(&tx);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    sku = sku_find(skus, id, NULL);
    if (!sku)
        api__dir_not_found(resp, req, id);
    else if (api__select(sku, &q))
        api_error(resp, req, 500, "InternalServerError", "out of memory");
    else
        api__json(req, resp, 200, json_incref(sku), "subscribedSkus/$entity");
out:
    json_decref(skus);
    odata_query_release(&q);
}

/*
 * Validate a subscribedSku create or PATCH body onto `sku` (in place):
 * skuPartNumber (required on create; letters, digits, '_' and '-'),
 * prepaidUnits {enabled >= 0}, capabilityStatus (Enabled, Warning,
 * Suspended, Deleted, LockedOut) and, on create only, skuId.
 */
static int apply_sku(json_t *sku, const json_t *body, bool is_create, struct lcw_error *err)
{
    static const char *const statuses[] = {"Enabled", "Warning", "Suspended", "Deleted",
                                           "LockedOut"};
    const char *k;
    json_t *v;

    json_object_foreach (JSONX_MUT(body), k, v) {
        if (strcmp(k, "skuId") == 0 && is_create) {
            char id[UUID_STR_LEN];

            if (guid_arg(v, "skuId", id, err))
                return LCW_EINVAL;
            if (json_object_set_new(sku, "skuId", json_string(id)) ||
                json_object_set_new(sku, "id", json_string(id)))
                return lcw_error_set(err, LCW_ENOMEM, "out of memory");
        } else if (strcmp(k, "skuPartNumber") == 0) {
            const char *s = json_string_value(v);
            bool ok = s && *s && strlen(s) <= 64;

            for (const char *c = s; ok && *c; c++)
                ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                     (*c >= '0' && *c <= '9') || *c == '_' || *c == '-';
            if (!ok)
                return lcw_error_set_target(err, LCW_EINVAL, k,
                                            "skuPartNumber must be 1 to 64 letters, digits, '_' "
                                            "or '-' (such as 'ENTERPRISEPACK')");
            if (json_object_set(sku, k, v))
                return lcw_error_set(err, LCW_ENOMEM, "out of memory");
        } else if (strcmp(k, "prepaidUnits") == 0) {
            json_t *e = json_object_get(v, "enabled");

            if (!json_is_object(v) || json_object_size(v) != 1 || !json_is_integer(e) ||
                json_integer_value(e) < 0 || json_integer_value(e) > 10000000)
                return lcw_error_set_target(err, LCW_EINVAL, k,
                                            "prepaidUnits must be {\"enabled\": N} with N from 0 "
                                            "to 10000000");
            if (json_object_set_new(sku, k,
                                    json_pack("{s:I, s:i, s:i, s:i}", "enabled",
                                              json_integer_value(e), "suspended", 0, "warning", 0,
                                              "lockedOut", 0)))
                return lcw_error_set(err, LCW_ENOMEM, "out of memory");
        } else if (strcmp(k, "capabilityStatus") == 0) {
            const char *s = json_string_value(v);
            size_t i = 0;

            while (s && i < N_ELEMS(statuses) && !lcw_str_eq_ci(s, statuses[i]))
                i++;
            if (!s || i == N_ELEMS(statuses))
                return lcw_error_set_target(err, LCW_EINVAL, k,
                                            "capabilityStatus must be one of Enabled, Warning, "
                                            "Suspended, Deleted, LockedOut");
            if (json_object_set_new(sku, k, json_string(statuses[i])))
                return lcw_error_set(err, LCW_ENOMEM, "out of memory");
        } else {
            return lcw_error_set_target(err, LCW_EINVAL, k,
                                        "Property '%s' cannot be set on a subscribedSku%s", k,
                                        strcmp(k, "skuId") == 0 ? " after creation" : "");
        }
    }
    if (!jsonx_str(sku, "skuPartNumber"))
        return lcw_error_set_target(err, LCW_EINVAL, "skuPartNumber",
                                    "Property 'skuPartNumber' is required");
    return 0;
}

static int audit_sku(struct store_tx *tx, struct api_req *req, const char *activity, const char *op,
                     const json_t *sku, struct lcw_error *err)
{
    json_t *targets =
            json_pack("[o]", api__target(jsonx_str(sku, "skuId"), jsonx_str(sku, "skuPartNumber"),
                                         "SubscribedSku"));

    if (!targets)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    return api__audit(tx, req, "DirectoryManagement", activity, op, targets, NULL, err);
}

/* Is skuPartNumber `name` used by another sku than index `self`? */
static bool sku_name_taken(const json_t *skus, const char *name, size_t self)
{
    size_t i;
    json_t *s;

    json_array_foreach (skus, i, s) {
        if (i != self &&
            lcw_str_eq_ci(jsonx_str(s, "skuPartNumber") ? jsonx_str(s, "skuPartNumber") : "", name))
            return true;
    }
    return false;
}

/* POST /subscribedSkus (lcw extension): add a licence to the catalogue. */
void api_subscribed_skus_create(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *skus = NULL, *sku = NULL;
    char id[UUID_STR_LEN];
    int rc;

    if (api__body(req, resp, &body))
        return;
    uuid_v4(id);
    sku = json_pack("{s:s, s:s, s:n, s:s, s:s, s:i, s:{s:i, s:i, s:i, s:i}, s:[]}", "id", id,
                    "skuId", id, "skuPartNumber", "capabilityStatus", "Enabled", "appliesTo",
                    "User", "consumedUnits", 0, "prepaidUnits", "enabled", 0, "suspended", 0,
                    "warning", 0, "lockedOut", 0, "servicePlans");
    if (!sku) {
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        goto out;
    }
    rc = apply_sku(sku, body, true, &err);
    if (rc) {
        api__dir_fail(resp, req, &err);
        goto out;
    }
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    rc = api__skus_get(&tx, &skus, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (sku_find(skus, jsonx_str(sku, "skuId"), NULL) ||
        sku_name_taken(skus, jsonx_str(sku, "skuPartNumber"), (size_t)-1)) {
        api_error(resp, req, 409, "Conflict",
                  "A subscribedSku with skuId %s or skuPartNumber '%s' already exists",
                  jsonx_str(sku, "skuId"), jsonx_str(sku, "skuPartNumber"));
        goto out;
    }
    json_object_del(sku, "consumedUnits");
    rc = json_array_append(skus, sku) ? lcw_error_set(&err, LCW_ENOMEM, "out of memory") : 0;
    if (!rc)
        rc = store_kv_put(&tx, SKUS_KEY, skus, &err);
    if (!rc)
        rc = audit_sku(&tx, req, "Add subscribed SKU", "Add", sku, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx))
        goto out;
    json_object_set_new(sku, "consumedUnits", json_integer(0));
    (void)snprintf(resp->location, sizeof(resp->location), "%s/%s/subscribedSkus/%s", req->base_url,
                   req->version, jsonx_str(sku, "id"));
    api__json(req, resp, 201, json_incref(sku), "subscribedSkus/$entity");
out:
    store_tx_rollback(&tx);
    json_decref(sku);
    json_decref(skus);
    json_decref(body);
}

/* PATCH /subscribedSkus/{id} (lcw extension): units, status, part number. */
void api_subscribed_sku_patch(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *body = NULL, *skus = NULL, *copy = NULL, *sku;
    char id[128];
    size_t idx = 0;
    int rc;

    api_param(req, 0, id, sizeof(id));
    if (api__body(req, resp, &body))
        return;
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        goto out;
    rc = api__skus_get(&tx, &skus, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    sku = sku_find(skus, id, &idx);
    if (!sku) {
        api__dir_not_found(resp, req, id);
        goto out;
    }
    copy = json_deep_copy(sku);
    rc = copy ? apply_sku(copy, body, false, &err)
              : lcw_error_set(&err, LCW_ENOMEM, "out of memory");
    if (rc) {
        api__dir_fail(resp, req, &err);
        goto out;
    }
    if (sku_name_taken(skus, jsonx_str(copy, "skuPartNumber"), idx)) {
        api_error(resp, req, 409, "Conflict", "skuPartNumber '%s' is already used",
                  jsonx_str(copy, "skuPartNumber"));
        goto out;
    }
    json_array_set(skus, idx, copy);
    rc = store_kv_put(&tx, SKUS_KEY, skus, &err);
    if (!rc)
        rc = audit_sku(&tx, req, "Update subscribed SKU", "Update", copy, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
out:
    store_tx_rollback(&tx);
    json_decref(copy);
    json_decref(skus);
    json_decref(body);
}

/* DELETE /subscribedSkus/{id} (lcw extension): only when no user holds it. */
void api_subscribed_sku_delete(struct api_req *req, struct api_resp *resp)
{
    struct lcw_error err = {0};
    struct store_tx tx = {0};
    json_t *skus = NULL, *sku = NULL;
    char id[128];
    size_t idx = 0;
    int64_t used = 0;
    int rc;

    api_param(req, 0, id, sizeof(id));
    if (api__tx_begin(req, resp, &tx, STORE_TX_WRITE))
        return;
    rc = api__skus_get(&tx, &skus, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    sku = json_incref(sku_find(skus, id, &idx));
    if (!sku) {
        api__dir_not_found(resp, req, id);
        goto out;
    }
    rc = api__sku_consumed(&tx, jsonx_str(sku, "skuId"), &used, &err);
    if (!rc && used > 0) {
        api_error(resp, req, 409, "Conflict",
                  "License %s (%s) is assigned to %lld users; remove it with assignLicense first",
                  jsonx_str(sku, "skuId"), jsonx_str(sku, "skuPartNumber"), (long long)used);
        goto out;
    }
    if (!rc)
        rc = json_array_remove(skus, idx) ? lcw_error_set(&err, LCW_EINTERNAL, "remove") : 0;
    if (!rc)
        rc = store_kv_put(&tx, SKUS_KEY, skus, &err);
    if (!rc)
        rc = audit_sku(&tx, req, "Delete subscribed SKU", "Delete", sku, &err);
    if (rc) {
        api_error_from(resp, req, &err);
        goto out;
    }
    if (api__tx_commit(req, resp, &tx) == 0)
        api__no_content(resp);
out:
    store_tx_rollback(&tx);
    json_decref(sku);
    json_decref(skus);
}
