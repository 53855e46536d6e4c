/* SPDX-License-Identifier: MIT */
/*
 * The embedded directory backend: lcw's own users and groups, the rows that
 * /v1.0/users and /v1.0/groups serve (docs/internals/directory.md fixes
 * their shapes). This file opens the backend and holds what its other files
 * share: transactions, loading and storing user documents, change records,
 * and the read-only walks (users, changes). Thread-safe: the handle is
 * immutable, and each call works in its own or the caller's transaction.
 */
#include "dir_int.h"

#include <string.h>

#include "lcw/jsonx.h"
#include "lcw/model.h"

#define USER_COLS_SQL "SELECT doc FROM users WHERE deleted_at_ms IS NULL ORDER BY pk"

/* ----------------------------------------------------------- shared helpers */

int dir__emb_begin(struct dir_emb *e, struct store_tx *tx, bool is_write, struct dir_emb_tx *t,
                   struct lcw_error *err)
{
    t->is_own = tx == NULL;
    t->tx = tx ? tx : &t->own;
    if (tx)
        return 0;
    return store_tx_begin(e->store, &t->own, is_write ? STORE_TX_WRITE : STORE_TX_READ, err);
}

int dir__emb_end(struct dir_emb_tx *t, int rc, struct lcw_error *err)
{
    if (!t->is_own)
        return rc;
    if (rc) {
        store_tx_rollback(&t->own);
        return rc;
    }
    return store_tx_commit(&t->own, err);
}

int64_t dir__emb_now(const struct dir_emb *e)
{
    return lcw_clock_now(e->clock);
}

bool dir__id_copy(char out[DIR_ID_CAP], const char *id)
{
    size_t i;

    for (i = 0; id[i] && i < DIR_ID_CAP - 1; i++)
        out[i] = (char)(id[i] >= 'A' && id[i] <= 'Z' ? id[i] + 32 : id[i]);
    out[i] = '\0';
    return id[i] == '\0';
}

bool dir__emb_user_is_deleted(const json_t *doc)
{
    const json_t *v = json_object_get(doc, "deletedDateTime");

    return v && !json_is_null(v);
}

bool dir__same_value(const json_t *a, const json_t *b)
{
    return model_user_value_same(a, b);
}

int dir__emb_user_load(struct store_tx *tx, const char *id, bool with_deleted, json_t **out,
                       struct lcw_error *err)
{
    char key[DIR_ID_CAP];
    int rc;

    *out = NULL;
    if (!dir__id_copy(key, id))
        return lcw_error_set(err, LCW_ENOTFOUND, "user '%.64s...' does not exist", id);
    rc = store_entity_get(tx, &store_ent_user, key, out, err);
    if (rc == LCW_ENOTFOUND)
        return lcw_error_set(err, rc, "user '%s' does not exist", id);
    if (rc)
        return rc;
    if (!with_deleted && dir__emb_user_is_deleted(*out)) {
        json_decref(*out);
        *out = NULL;
        return lcw_error_set(err, LCW_ENOTFOUND, "user '%s' does not exist (it was deleted)", id);
    }
    return 0;
}

int dir__emb_user_put(struct store_tx *tx, const json_t *doc, struct lcw_error *err)
{
    return store_entity_put(tx, &store_ent_user, jsonx_str(doc, "id"), NULL, doc, err);
}

json_t *dir__emb_user_output(const json_t *doc)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;

    if (!out)
        return NULL;
    json_object_foreach (JSONX_MUT(doc), k, v) {
        /* "#lcw.*" members are lcw's bookkeeping (directory.md), never shown. */
        if (k[0] != '#' && json_object_set(out, k, v)) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

int dir__emb_record_attr(struct store_tx *tx, int64_t now_ms, const char *user_id, const char *attr,
                         const json_t *old, const json_t *new, struct lcw_error *err)
{
    char *o = jsonx_dump(old ? old : json_null()), *n = jsonx_dump(new ? new : json_null());
    int rc = o && n ? store_dir_change_add(tx, now_ms, "attribute", user_id, attr, o, n, err)
                    : lcw_error_set(err, LCW_ENOMEM, "out of memory");

    lcw_free(o);
    lcw_free(n);
    return rc;
}

/* --------------------------------------------------------------- reading */

static int emb_user_get(struct dir *d, struct store_tx *tx, const char *id, json_t **out,
                        struct lcw_error *err)
{
    struct dir_emb_tx t;
    json_t *doc = NULL;
    int rc = dir__emb_begin(dir__emb(d), tx, false, &t, err);

    if (rc)
        return rc;
    rc = dir__emb_user_load(t.tx, id, false, &doc, err);
    if (!rc) {
        *out = dir__emb_user_output(doc);
        if (!*out)
            rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
    }
    json_decref(doc);
    return dir__emb_end(&t, rc, err);
}

static int emb_user_manager(struct dir *d, struct store_tx *tx, const char *user_id, json_t **out,
                            struct lcw_error *err)
{
    struct dir_emb_tx t;
    json_t *doc = NULL, *m = NULL;
    const char *mid;
    int rc = dir__emb_begin(dir__emb(d), tx, false, &t, err);

    if (rc)
        return rc;
    rc = dir__emb_user_load(t.tx, user_id, false, &doc, err);
    if (rc)
        goto out;
    mid = jsonx_str(doc, "#lcw.managerId");
    if (!mid) {
        rc = lcw_error_set(err, LCW_ENOTFOUND, "user '%s' has no manager", user_id);
        goto out;
    }
    /* A deleted manager reads as none, as in the API. */
    rc = dir__emb_user_load(t.tx, mid, false, &m, err);
    if (rc == LCW_ENOTFOUND)
        rc = lcw_error_set(err, rc, "user '%s' has no manager (manager '%s' does not exist)",
                           user_id, mid);
    if (rc)
        goto out;
    *out = dir__emb_user_output(m);
    if (!*out)
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
out:
    json_decref(m);
    json_decref(doc);
    return dir__emb_end(&t, rc, err);
}

struct each_user {
    dir_user_fn *fn;
    void *ctx;
    bool is_bad_row; /* a row failed to parse (rc is then LCW_EINTERNAL) */
};

static int each_user_row(void *ctx, const struct store_val *cols, size_t n)
{
    struct each_user *eu = ctx;
    json_t *doc, *o;
    int rc;

    if (n < 1 || cols[0].kind != STORE_TEXT) {
        eu->is_bad_row = true;
        return LCW_EINTERNAL;
    }
    doc = json_loads(cols[0].s, 0, NULL);
    o = doc ? dir__emb_user_output(doc) : NULL;
    json_decref(doc);
    if (!o) {
        eu->is_bad_row = true;
        return doc ? LCW_ENOMEM : LCW_EINTERNAL;
    }
    rc = eu->fn(eu->ctx, o);
    json_decref(o);
    return rc;
}

/* Streams the rows: only one user document is in memory at a time. */
static int emb_users_each(struct dir *d, struct store_tx *tx, dir_user_fn *fn, void *ctx,
                          struct lcw_error *err)
{
    struct each_user eu = {fn, ctx, false};
    struct dir_emb_tx t;
    int rc = dir__emb_begin(dir__emb(d), tx, false, &t, err);

    if (rc)
        return rc;
    rc = store_exec(t.tx, USER_COLS_SQL, NULL, 0, each_user_row, &eu, NULL, err);
    if (rc && eu.is_bad_row)
        rc = lcw_error_set(err, rc, "a stored user could not be read (%s)", lcw_err_name(rc));
    return dir__emb_end(&t, rc, err);
}

struct each_change {
    dir_change_fn *fn;
    void *ctx;
    bool is_bad_row;
};

static const char *text_or_null(const struct store_val *v)
{
    return v->kind == STORE_TEXT ? v->s : NULL;
}

static int each_change_row(void *ctx, const struct store_val *cols, size_t n)
{
    struct each_change *ec = ctx;
    struct dir_change c;

    if (n < 6 || cols[0].kind != STORE_INT || cols[1].kind != STORE_TEXT ||
        cols[2].kind != STORE_TEXT) {
        ec->is_bad_row = true;
        return LCW_EINTERNAL;
    }
    c.changed_at_ms = cols[0].i;
    c.kind = cols[1].s;
    c.object_id = cols[2].s;
    c.attribute = text_or_null(&cols[3]);
    c.old_value = text_or_null(&cols[4]);
    c.new_value = text_or_null(&cols[5]);
    return ec->fn(ec->ctx, &c);
}

static int emb_changes_each(struct dir *d, struct store_tx *tx, int64_t since_ms, int64_t until_ms,
                            dir_change_fn *fn, void *ctx, struct lcw_error *err)
{
    struct store_val p[2] = {STORE_V_INT(since_ms), STORE_V_INT(until_ms)};
    struct each_change ec = {fn, ctx, false};
    struct dir_emb_tx t;
    int rc = dir__emb_begin(dir__emb(d), tx, false, &t, err);

    if (rc)
        return rc;
    /* Within one millisecond (one request or task) the order is not meaningful; `id` only
     * makes it stable. */
    rc = store_exec(t.tx,
                    "SELECT changed_at_ms, kind, object_id, attribute, old_value, new_value"
                    " FROM directory_changes WHERE changed_at_ms >= ? AND changed_at_ms < ?"
                    " ORDER BY changed_at_ms, id",
                    p, 2, each_change_row, &ec, NULL, err);
    if (rc && ec.is_bad_row)
        rc = lcw_error_set(err, rc, "a stored directory change could not be read");
    return dir__emb_end(&t, rc, err);
}

/* ------------------------------------------------------------- lifecycle */

static void emb_close(struct dir *d)
{
    lcw_free(dir__emb(d));
}

static const struct dir_ops emb_ops = {
        .name = "embedded",
        .close = emb_close,
        .user_get = emb_user_get,
        .user_manager = emb_user_manager,
        .user_set_enabled = dir__emb_user_set_enabled,
        .user_update = dir__emb_user_update,
        .user_revoke_sessions = dir__emb_user_revoke_sessions,
        .user_delete = dir__emb_user_delete,
        .user_groups = dir__emb_user_groups,
        .group_get = dir__emb_group_get,
        .group_member_ids = dir__emb_group_member_ids,
        .member_add = dir__emb_member_add,
        .member_remove = dir__emb_member_remove,
        .licenses_assign = dir__emb_licenses_assign,
        .licenses_remove = dir__emb_licenses_remove,
        .users_each = emb_users_each,
        .changes_each = emb_changes_each,
};

int dir_open_embedded(struct store *store, const struct lcw_clock *clock, struct dir **out,
                      struct lcw_error *err)
{
    struct dir_emb *e;

    *out = NULL;
    if (!store)
        return lcw_error_set(err, LCW_EINVAL, "the embedded directory needs a store");
    e = lcw_calloc(1, sizeof(*e));
    if (!e)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    e->base.ops = &emb_ops;
    e->store = store;
    e->clock = clock ? clock : lcw_clock_system();
    *out = &e->base;
    return 0;
}
