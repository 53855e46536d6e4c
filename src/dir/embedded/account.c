/* SPDX-License-Identifier: MIT */
/*
 * Account state of embedded-directory users: enable and disable, revoking
 * sign-in sessions, and the soft delete. Each is get → modify → put of the
 * whole stored document (keeping "#lcw.*" members), with its change records
 * in the same transaction. Thread-safe: per-call state only.
 */
#include "dir_int.h"

#include "lcw/jsonx.h"

int dir__emb_user_set_enabled(struct dir *d, struct store_tx *tx, const char *user_id, bool enabled,
                              bool *changed, struct lcw_error *err)
{
    struct dir_emb *e = dir__emb(d);
    struct dir_emb_tx t;
    json_t *doc = NULL, *old = NULL;
    int rc = dir__emb_begin(e, tx, true, &t, err);

    if (rc)
        return rc;
    rc = dir__emb_user_load(t.tx, user_id, false, &doc, err);
    if (rc)
        goto out;
    old = json_incref(json_object_get(doc, "accountEnabled"));
    if (json_is_boolean(old) && json_is_true(old) == enabled)
        goto out;
    if (json_object_set_new(doc, "accountEnabled", json_boolean(enabled))) {
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        goto out;
    }
    rc = dir__emb_record_attr(t.tx, dir__emb_now(e), jsonx_str(doc, "id"), "accountEnabled", old,
                              json_object_get(doc, "accountEnabled"), err);
    if (!rc)
        rc = dir__emb_user_put(t.tx, doc, err);
    if (!rc)
        *changed = true;
out:
    json_decref(old);
    json_decref(doc);
    return dir__emb_end(&t, rc, err);
}

int dir__emb_user_revoke_sessions(struct dir *d, struct store_tx *tx, const char *user_id,
                                  int64_t now_ms, struct lcw_error *err)
{
    struct dir_emb_tx t;
    json_t *doc = NULL, *old = NULL, *nv = NULL;
    char ts[TIMEFMT_LEN];
    int rc = dir__emb_begin(dir__emb(d), tx, true, &t, err);

    if (rc)
        return rc;
    rc = dir__emb_user_load(t.tx, user_id, false, &doc, err);
    if (rc)
        goto out;
    old = json_incref(json_object_get(doc, "signInSessionsValidFromDateTime"));
    nv = json_string(timefmt_format(now_ms, ts));
    if (!nv) {
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        goto out;
    }
    /* Revoking twice in one millisecond changes nothing the second time. */
    if (dir__same_value(old, nv))
        goto out;
    if (json_object_set(doc, "signInSessionsValidFromDateTime", nv)) {
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        goto out;
    }
    rc = dir__emb_record_attr(t.tx, now_ms, jsonx_str(doc, "id"), "signInSessionsValidFromDateTime",
                              old, nv, err);
    if (!rc)
        rc = dir__emb_user_put(t.tx, doc, err);
out:
    json_decref(nv);
    json_decref(old);
    json_decref(doc);
    return dir__emb_end(&t, rc, err);
}

/*
 * The soft delete keeps the document whole (licences, manager, attributes)
 * so that a restore brings the user back as they were; only memberships go,
 * as in Entra. A deleted user holds no licence unit (consumedUnits counts
 * live users) and reads as absent everywhere, including as the manager of
 * their reports, whose "#lcw.managerId" is left alone: clearing it would
 * need a scan of every user and could not be undone by a restore.
 */
int dir__emb_user_delete(struct dir *d, struct store_tx *tx, const char *user_id, int64_t now_ms,
                         bool *changed, struct lcw_error *err)
{
    struct dir_emb_tx t;
    json_t *doc = NULL, *groups = NULL, *g;
    char ts[TIMEFMT_LEN];
    const char *id;
    size_t i;
    int rc = dir__emb_begin(dir__emb(d), tx, true, &t, err);

    if (rc)
        return rc;
    rc = dir__emb_user_load(t.tx, user_id, true, &doc, err);
    if (rc)
        goto out;
    if (dir__emb_user_is_deleted(doc))
        goto out; /* already deleted */
    id = jsonx_str(doc, "id");
    rc = store_member_ids(t.tx, id, true, &groups, err);
    json_array_foreach (groups, i, g) {
        if (rc)
            break;
        rc = store_dir_change_add(t.tx, now_ms, "memberRemoved", id, json_string_value(g), id, NULL,
                                  err);
    }
    if (!rc && json_array_size(groups))
        rc = store_member_delete_all(t.tx, id, true, err);
    if (!rc && json_object_set_new(doc, "deletedDateTime", json_string(timefmt_format(now_ms, ts))))
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
    /* The deletedDateTime column (deleted_at_ms) is derived from the doc by the put. */
    if (!rc)
        rc = dir__emb_user_put(t.tx, doc, err);
    if (!rc)
        rc = store_dir_change_add(t.tx, now_ms, "deleted", id, NULL,
                                  jsonx_str(doc, "userPrincipalName"), NULL, err);
    if (!rc)
        *changed = true;
out:
    json_decref(groups);
    json_decref(doc);
    return dir__emb_end(&t, rc, err);
}
