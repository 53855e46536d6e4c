/* SPDX-License-Identifier: MIT */
/*
 * Store records that are not Graph resources: API tokens (by hash only),
 * small key/value documents (tenant settings), group memberships and the
 * directory change log that change-triggered workflows read.
 */
#include "lcw/store.h"

#include <string.h>

#include "lcw/jsonx.h"

static int row_token(void *ctx, const struct store_val *c, size_t n)
{
    struct store_token *t = ctx;

    if (n < 6)
        return LCW_EINTERNAL;
    lcw_strlcpy(t->id, c[0].s ? c[0].s : "", sizeof(t->id));
    lcw_strlcpy(t->name, c[1].s ? c[1].s : "", sizeof(t->name));
    lcw_strlcpy(t->role, c[2].s ? c[2].s : "", sizeof(t->role));
    t->created_at_ms = c[3].i;
    t->last_used_at_ms = c[4].kind == STORE_INT ? c[4].i : -1;
    t->is_revoked = c[5].kind == STORE_INT;
    return 1; /* one row is enough */
}

#define TOKEN_COLS "id, name, role, created_at_ms, last_used_at_ms, revoked_at_ms"

int store_token_insert(struct store_tx *tx, const struct store_token *t, const char *hash_hex,
                       struct lcw_error *err)
{
    struct store_val p[5] = {STORE_V_TEXT(t->id), STORE_V_TEXT(t->name), STORE_V_TEXT(t->role),
                             STORE_V_TEXT(hash_hex), STORE_V_INT(t->created_at_ms)};
    int rc = store_exec(tx,
                        "INSERT INTO tokens (id, name, role, hash, created_at_ms)"
                        " VALUES (?, ?, ?, ?, ?)",
                        p, 5, NULL, NULL, NULL, err);

    if (rc == LCW_ECONFLICT)
        return lcw_error_set(err, rc, "a token named '%s' already exists", t->name);
    return rc;
}

static int token_find(struct store_tx *tx, const char *sql, const char *arg,
                      struct store_token *out, struct lcw_error *err)
{
    struct store_val p = STORE_V_TEXT(arg);
    int rc;

    memset(out, 0, sizeof(*out));
    rc = store_exec(tx, sql, &p, 1, row_token, out, NULL, err);
    if (rc == 1)
        return 0;
    if (rc)
        return rc;
    return lcw_error_set(err, LCW_ENOTFOUND, "no such token");
}

int store_token_find(struct store_tx *tx, const char *hash_hex, struct store_token *out,
                     struct lcw_error *err)
{
    return token_find(tx,
                      "SELECT " TOKEN_COLS " FROM tokens WHERE hash = ? AND revoked_at_ms IS NULL",
                      hash_hex, out, err);
}

int store_token_find_by_name(struct store_tx *tx, const char *name, struct store_token *out,
                             struct lcw_error *err)
{
    return token_find(tx, "SELECT " TOKEN_COLS " FROM tokens WHERE name = ?", name, out, err);
}

struct token_list {
    struct store_token *items;
    size_t n, cap;
};

static int row_token_list(void *ctx, const struct store_val *c, size_t n)
{
    struct token_list *l = ctx;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct store_token *p = lcw_realloc(l->items, cap * sizeof(*p));

        if (!p)
            return LCW_ENOMEM;
        l->items = p;
        l->cap = cap;
    }
    if (row_token(&l->items[l->n], c, n) != 1)
        return LCW_EINTERNAL;
    l->n++;
    return 0;
}

int store_token_list(struct store_tx *tx, struct store_token **out, size_t *n,
                     struct lcw_error *err)
{
    struct token_list l = {0};
    int rc = store_exec(tx, "SELECT " TOKEN_COLS " FROM tokens ORDER BY created_at_ms, id", NULL, 0,
                        row_token_list, &l, NULL, err);

    if (rc) {
        lcw_free(l.items);
        return rc;
    }
    *out = l.items;
    *n = l.n;
    return 0;
}

int store_token_revoke(struct store_tx *tx, const char *name, int64_t now_ms, struct lcw_error *err)
{
    struct store_val p[2] = {STORE_V_INT(now_ms), STORE_V_TEXT(name)};
    int64_t changes = 0;
    int rc = store_exec(tx,
                        "UPDATE tokens SET revoked_at_ms = ? WHERE name = ? AND"
                        " revoked_at_ms IS NULL",
                        p, 2, NULL, NULL, &changes, err);

    if (rc)
        return rc;
    if (changes == 0)
        return lcw_error_set(err, LCW_ENOTFOUND, "no live token named '%s'", name);
    return 0;
}

int store_token_unrevoke(struct store_tx *tx, const char *hash_hex, struct lcw_error *err)
{
    struct store_val p = STORE_V_TEXT(hash_hex);
    int64_t changes = 0;
    int rc = store_exec(tx,
                        "UPDATE tokens SET revoked_at_ms = NULL WHERE hash = ? AND revoked_at_ms"
                        " IS NOT NULL",
                        &p, 1, NULL, NULL, &changes, err);

    if (!rc && changes == 0)
        rc = lcw_error_set(err, LCW_ENOTFOUND, "no revoked token with that value");
    return rc;
}

int store_token_touch(struct store_tx *tx, const char *id, int64_t now_ms, struct lcw_error *err)
{
    struct store_val p[2] = {STORE_V_INT(now_ms), STORE_V_TEXT(id)};

    return store_exec(tx, "UPDATE tokens SET last_used_at_ms = ? WHERE id = ?", p, 2, NULL, NULL,
                      NULL, err);
}

static int row_json(void *ctx, const struct store_val *c, size_t n)
{
    json_t **out = ctx;
    json_error_t jerr;

    if (n < 1 || c[0].kind != STORE_TEXT)
        return LCW_EINTERNAL;
    *out = json_loads(c[0].s, 0, &jerr);
    return *out ? 1 : LCW_EINTERNAL;
}

int store_kv_get(struct store_tx *tx, const char *key, json_t **out, struct lcw_error *err)
{
    struct store_val p = STORE_V_TEXT(key);
    int rc;

    *out = NULL;
    rc = store_exec(tx, "SELECT doc FROM kv WHERE key = ?", &p, 1, row_json, out, NULL, err);
    if (rc == 1)
        return 0;
    if (rc)
        return rc;
    return lcw_error_set(err, LCW_ENOTFOUND, "no '%s' document", key);
}

int store_kv_put(struct store_tx *tx, const char *key, const json_t *doc, struct lcw_error *err)
{
    char *text = jsonx_dump(doc);
    struct store_val p[2] = {STORE_V_TEXT(key), STORE_V_TEXT(text)};
    int rc;

    if (!text)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    rc = store_exec(tx,
                    "INSERT INTO kv (key, doc) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET doc = excluded.doc",
                    p, 2, NULL, NULL, NULL, err);
    lcw_free(text);
    return rc;
}

int store_member_add(struct store_tx *tx, const char *group_id, const char *user_id, int64_t now_ms,
                     bool *added, struct lcw_error *err)
{
    struct store_val p[3] = {STORE_V_TEXT(group_id), STORE_V_TEXT(user_id), STORE_V_INT(now_ms)};
    int64_t changes = 0;
    int rc = store_exec(tx,
                        "INSERT INTO group_members (group_id, user_id, added_at_ms)"
                        " VALUES (?, ?, ?) ON CONFLICT (group_id, user_id) DO NOTHING",
                        p, 3, NULL, NULL, &changes, err);

    *added = changes > 0;
    return rc;
}

int store_member_remove(struct store_tx *tx, const char *group_id, const char *user_id,
                        bool *removed, struct lcw_error *err)
{
    struct store_val p[2] = {STORE_V_TEXT(group_id), STORE_V_TEXT(user_id)};
    int64_t changes = 0;
    int rc = store_exec(tx, "DELETE FROM group_members WHERE group_id = ? AND user_id = ?", p, 2,
                        NULL, NULL, &changes, err);

    *removed = changes > 0;
    return rc;
}

static int row_id_append(void *ctx, const struct store_val *c, size_t n)
{
    json_t *arr = ctx;

    if (n < 1 || c[0].kind != STORE_TEXT)
        return LCW_EINTERNAL;
    return json_array_append_new(arr, json_string(c[0].s)) ? LCW_ENOMEM : 0;
}

int store_member_ids(struct store_tx *tx, const char *id, bool by_user, json_t **out_ids,
                     struct lcw_error *err)
{
    struct store_val p = STORE_V_TEXT(id);
    json_t *arr = json_array();
    int rc;

    if (!arr)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    rc = store_exec(
            tx,
            by_user ? "SELECT group_id FROM group_members WHERE user_id = ? ORDER BY group_id"
                    : "SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id",
            &p, 1, row_id_append, arr, NULL, err);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out_ids = arr;
    return 0;
}

int store_member_delete_all(struct store_tx *tx, const char *id, bool by_user,
                            struct lcw_error *err)
{
    struct store_val p = STORE_V_TEXT(id);

    return store_exec(tx,
                      by_user ? "DELETE FROM group_members WHERE user_id = ?"
                              : "DELETE FROM group_members WHERE group_id = ?",
                      &p, 1, NULL, NULL, NULL, err);
}

int store_dir_change_add(struct store_tx *tx, int64_t now_ms, const char *kind,
                         const char *object_id, const char *attribute, const char *old_value,
                         const char *new_value, struct lcw_error *err)
{
    char id[UUID_STR_LEN];
    struct store_val p[7];

    uuid_v7(now_ms, id);
    p[0] = STORE_V_TEXT(id);
    p[1] = STORE_V_INT(now_ms);
    p[2] = STORE_V_TEXT(kind);
    p[3] = STORE_V_TEXT(object_id);
    p[4] = STORE_V_TEXT(attribute);
    p[5] = STORE_V_TEXT(old_value);
    p[6] = STORE_V_TEXT(new_value);
    return store_exec(tx,
                      "INSERT INTO directory_changes (id, changed_at_ms, kind, object_id,"
                      " attribute, old_value, new_value) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      p, 7, NULL, NULL, NULL, err);
}

int store_audit_add(struct store_tx *tx, int64_t now_ms, const char *correlation_id,
                    const char *category, const char *activity, const char *operation,
                    const char *result, const char *reason, json_t *initiated_by, json_t *targets,
                    json_t *details, struct lcw_error *err)
{
    char id[UUID_STR_LEN], ts[TIMEFMT_LEN];
    json_t *ev;
    int rc;

    uuid_v7(now_ms, id);
    timefmt_format_ms(now_ms, ts);
    ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:o, s:o, s:o}", "id", id,
                   "category", category, "correlationId", correlation_id ? correlation_id : "",
                   "result", result, "resultReason", reason ? reason : "", "activityDisplayName",
                   activity, "activityDateTime", ts, "loggedByService", "Lifecycle Workflows",
                   "operationType", operation, "initiatedBy",
                   initiated_by ? initiated_by : json_object(), "targetResources",
                   targets ? targets : json_array(), "additionalDetails",
                   details ? details : json_array());
    if (!ev)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    rc = store_entity_put(tx, &store_ent_audit, id, NULL, ev, err);
    json_decref(ev);
    return rc;
}
