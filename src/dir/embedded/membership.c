/* SPDX-License-Identifier: MIT */
/*
 * Groups and memberships of the embedded directory: reading groups, a
 * user's groups and a group's live members, adding and removing a member
 * with its memberAdded/memberRemoved record. Each operation is one or two
 * indexed statements, because the engine runs them for every user of a
 * run. Thread-safe: per-call state only.
 */
#include "dir_int.h"

#include "lcw/jsonx.h"

static int row_doc_append(void *ctx, const struct store_val *cols, size_t n)
{
    json_t *arr = ctx;
    json_t *doc;

    if (n < 1 || cols[0].kind != STORE_TEXT)
        return LCW_EINTERNAL;
    doc = json_loads(cols[0].s, 0, NULL);
    if (!doc)
        return LCW_EINTERNAL;
    return json_array_append_new(arr, doc) ? LCW_ENOMEM : 0;
}

static int row_id_append(void *ctx, const struct store_val *cols, size_t n)
{
    json_t *arr = ctx;

    if (n < 1 || cols[0].kind != STORE_TEXT)
        return LCW_EINTERNAL;
    return json_array_append_new(arr, json_string(cols[0].s)) ? LCW_ENOMEM : 0;
}

/* A query's failure: the row callbacks' codes (they set no message) get one here. */
static int query_rc(int rc, const char *what, struct lcw_error *err)
{
    if (rc == LCW_EINTERNAL || rc == LCW_ENOMEM)
        return lcw_error_set(err, rc, "could not read %s (%s)", what, lcw_err_name(rc));
    return rc;
}

/* One join rather than a look-up per group: this runs once per user of a leaver run. */
int dir__emb_user_groups(struct dir *d, struct store_tx *tx, const char *user_id, json_t **out,
                         struct lcw_error *err)
{
    char id[DIR_ID_CAP];
    struct store_val p;
    struct dir_emb_tx t;
    json_t *arr = NULL;
    int rc;

    if (!dir__id_copy(id, user_id))
        id[0] = '\0'; /* matches nothing */
    p = STORE_V_TEXT(id);
    arr = json_array();
    if (!arr)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    rc = dir__emb_begin(dir__emb(d), tx, false, &t, err);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    rc = store_exec(t.tx,
                    "SELECT g.doc FROM group_members m JOIN groups g ON g.pk = m.group_id"
                    " WHERE m.user_id = ? ORDER BY g.pk",
                    &p, 1, row_doc_append, arr, NULL, err);
    rc = dir__emb_end(&t, query_rc(rc, "the user's groups", err), err);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

static int group_load(struct store_tx *tx, const char *group_id, json_t **out,
                      struct lcw_error *err)
{
    char id[DIR_ID_CAP];
    int rc;

    *out = NULL;
    if (!dir__id_copy(id, group_id))
        return lcw_error_set(err, LCW_ENOTFOUND, "group '%.64s...' does not exist", group_id);
    rc = store_entity_get(tx, &store_ent_group, id, out, err);
    if (rc == LCW_ENOTFOUND)
        return lcw_error_set(err, rc, "group '%s' does not exist", group_id);
    return rc;
}

int dir__emb_group_get(struct dir *d, struct store_tx *tx, const char *id, json_t **out,
                       struct lcw_error *err)
{
    struct dir_emb_tx t;
    int rc = dir__emb_begin(dir__emb(d), tx, false, &t, err);

    if (rc)
        return rc;
    rc = group_load(t.tx, id, out, err);
    return dir__emb_end(&t, rc, err);
}

/* The group and the user exist, in one statement: (group?, live user?) as 0/1. */
struct both {
    int64_t has_group;
    int64_t has_user;
};

static int row_both(void *ctx, const struct store_val *cols, size_t n)
{
    struct both *b = ctx;

    if (n < 2 || cols[0].kind != STORE_INT || cols[1].kind != STORE_INT)
        return LCW_EINTERNAL;
    b->has_group = cols[0].i;
    b->has_user = cols[1].i;
    return 0;
}

static int check_both(struct store_tx *tx, const char *group_id, const char *gid,
                      const char *user_id, const char *uid, struct lcw_error *err)
{
    struct store_val p[2] = {STORE_V_TEXT(gid), STORE_V_TEXT(uid)};
    struct both b = {0, 0};
    int rc = store_exec(tx,
                        "SELECT (SELECT COUNT(*) FROM groups WHERE pk = ?),"
                        " (SELECT COUNT(*) FROM users WHERE pk = ? AND deleted_at_ms IS NULL)",
                        p, 2, row_both, &b, NULL, err);

    if (rc)
        return query_rc(rc, "the group and the user", err);
    if (!b.has_group)
        return lcw_error_set(err, LCW_ENOTFOUND, "group '%s' does not exist", group_id);
    if (!b.has_user)
        return lcw_error_set(err, LCW_ENOTFOUND, "user '%s' does not exist", user_id);
    return 0;
}

int dir__emb_group_member_ids(struct dir *d, struct store_tx *tx, const char *group_id,
                              json_t **out, struct lcw_error *err)
{
    char gid[DIR_ID_CAP] = "";
    struct store_val p;
    struct dir_emb_tx t;
    json_t *arr = NULL, *g = NULL;
    int rc = dir__emb_begin(dir__emb(d), tx, false, &t, err);

    if (rc)
        return rc;
    rc = group_load(t.tx, group_id, &g, err);
    if (rc)
        goto out;
    (void)dir__id_copy(gid, group_id); /* group_load checked the length */
    p = STORE_V_TEXT(gid);
    arr = json_array();
    if (!arr) {
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        goto out;
    }
    rc = store_exec(t.tx,
                    "SELECT m.user_id FROM group_members m JOIN users u ON u.pk = m.user_id"
                    " WHERE m.group_id = ? AND u.deleted_at_ms IS NULL ORDER BY m.user_id",
                    &p, 1, row_id_append, arr, NULL, err);
    rc = query_rc(rc, "the group's members", err);
out:
    json_decref(g);
    rc = dir__emb_end(&t, rc, err);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

int dir__emb_member_add(struct dir *d, struct store_tx *tx, const char *group_id,
                        const char *user_id, bool *changed, struct lcw_error *err)
{
    struct dir_emb *e = dir__emb(d);
    char gid[DIR_ID_CAP], uid[DIR_ID_CAP];
    struct dir_emb_tx t;
    int64_t now_ms;
    bool added = false;
    int rc;

    if (!dir__id_copy(gid, group_id))
        return lcw_error_set(err, LCW_ENOTFOUND, "group '%.64s...' does not exist", group_id);
    if (!dir__id_copy(uid, user_id))
        return lcw_error_set(err, LCW_ENOTFOUND, "user '%.64s...' does not exist", user_id);
    rc = dir__emb_begin(e, tx, true, &t, err);
    if (rc)
        return rc;
    rc = check_both(t.tx, group_id, gid, user_id, uid, err);
    now_ms = dir__emb_now(e);
    if (!rc)
        rc = store_member_add(t.tx, gid, uid, now_ms, &added, err);
    if (!rc && added)
        rc = store_dir_change_add(t.tx, now_ms, "memberAdded", uid, gid, NULL, uid, err);
    if (!rc)
        *changed = added;
    return dir__emb_end(&t, rc, err);
}

/*
 * The delete comes first: a membership row implies a group and a live user
 * (deleting either removes its rows), so the common case is one statement
 * plus its record; existence is only checked to explain a no-op.
 */
int dir__emb_member_remove(struct dir *d, struct store_tx *tx, const char *group_id,
                           const char *user_id, bool *changed, struct lcw_error *err)
{
    struct dir_emb *e = dir__emb(d);
    char gid[DIR_ID_CAP], uid[DIR_ID_CAP];
    struct dir_emb_tx t;
    bool removed = false;
    int rc;

    if (!dir__id_copy(gid, group_id))
        return lcw_error_set(err, LCW_ENOTFOUND, "group '%.64s...' does not exist", group_id);
    if (!dir__id_copy(uid, user_id))
        return lcw_error_set(err, LCW_ENOTFOUND, "user '%.64s...' does not exist", user_id);
    rc = dir__emb_begin(e, tx, true, &t, err);
    if (rc)
        return rc;
    rc = store_member_remove(t.tx, gid, uid, &removed, err);
    if (!rc && removed)
        rc = store_dir_change_add(t.tx, dir__emb_now(e), "memberRemoved", uid, gid, uid, NULL, err);
    if (!rc && !removed)
        rc = check_both(t.tx, group_id, gid, user_id, uid, err);
    if (!rc)
        *changed = removed;
    return dir__emb_end(&t, rc, err);
}
