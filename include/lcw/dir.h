/* SPDX-License-Identifier: MIT */
/*
 * dir: the directory that workflow tasks act on, behind one interface.
 * The embedded backend (dir/embedded/) works on lcw's own users and groups
 * (the rows /v1.0/users and /v1.0/groups serve, with the document rules of
 * docs/internals/directory.md); an LDAP backend comes later.
 *
 * Every operation takes an optional store transaction. The embedded backend
 * does its reads and writes inside it, so that a task's directory change and
 * the record of its result commit together (a crash replays neither half);
 * with tx == NULL it opens and commits its own. Backends that do not keep
 * the directory in the store ignore `tx`.
 *
 * Every change the backend makes writes a directory change record (kind
 * "attribute", "memberAdded", "memberRemoved", "deleted"; see store.h) in
 * the same transaction, as the API does, so that change-triggered workflows
 * see task-made changes too.
 *
 * Threads: a `struct dir` is shared by all workers and is thread-safe; each
 * call uses only its arguments and the transaction it is given.
 */
#ifndef LCW_DIR_H
#define LCW_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lcw/common.h"
#include "lcw/store.h"

struct dir;

/* A directory change, as change triggers read it. Strings are borrowed. */
struct dir_change {
    int64_t changed_at_ms;
    const char *kind;      /* "attribute", "memberAdded", "memberRemoved", "created", "deleted" */
    const char *object_id; /* the user */
    const char *attribute; /* attribute name, or the group id for membership changes */
    const char *old_value; /* JSON text or NULL */
    const char *new_value; /* JSON text or NULL */
};

typedef int dir_user_fn(void *ctx, const json_t *user);
typedef int dir_change_fn(void *ctx, const struct dir_change *change);

/* The embedded directory over `store` (borrowed; must outlive the dir). */
int dir_open_embedded(struct store *store, const struct lcw_clock *clock, struct dir **out,
                      struct lcw_error *err);
/* NULL-safe. */
void dir_close(struct dir *d);

/*
 * The user with `id` (a live user: not soft-deleted), as its Graph JSON with
 * lcw's "#lcw.*" bookkeeping members removed. New reference in *out.
 * LCW_ENOTFOUND when absent or deleted.
 */
int dir_user_get(struct dir *d, struct store_tx *tx, const char *id, json_t **out,
                 struct lcw_error *err);

/* The user's manager (same shape). LCW_ENOTFOUND when the user has none. */
int dir_user_manager(struct dir *d, struct store_tx *tx, const char *user_id, json_t **out,
                     struct lcw_error *err);

/* Set accountEnabled. *changed is false when it already had that value. */
int dir_user_set_enabled(struct dir *d, struct store_tx *tx, const char *user_id, bool enabled,
                         bool *changed, struct lcw_error *err);

/*
 * Set the user properties in `attrs` (an object; null values clear). Only
 * writable user properties are accepted (LCW_EINVAL names the first that is
 * not). *changed_out (may be NULL) receives a new array of the names of the
 * properties whose value changed.
 */
int dir_user_update(struct dir *d, struct store_tx *tx, const char *user_id, const json_t *attrs,
                    json_t **changed_out, struct lcw_error *err);

/* Revoke sign-in sessions: signInSessionsValidFromDateTime = now. */
int dir_user_revoke_sessions(struct dir *d, struct store_tx *tx, const char *user_id,
                             int64_t now_ms, struct lcw_error *err);

/*
 * Soft-delete the user (deletedDateTime = now; memberships removed and
 * recorded). *changed is false when already deleted. A soft-deleted user is
 * listed by dir_deleted_users and can be restored for 30 days.
 */
int dir_user_delete(struct dir *d, struct store_tx *tx, const char *user_id, int64_t now_ms,
                    bool *changed, struct lcw_error *err);

/* The group docs the user is a direct member of (new array in *out). */
int dir_user_groups(struct dir *d, struct store_tx *tx, const char *user_id, json_t **out,
                    struct lcw_error *err);

/* The group with `id`. LCW_ENOTFOUND when absent. */
int dir_group_get(struct dir *d, struct store_tx *tx, const char *id, json_t **out,
                  struct lcw_error *err);

/* Ids of the group's live members (new array of strings). */
int dir_group_member_ids(struct dir *d, struct store_tx *tx, const char *group_id, json_t **out,
                         struct lcw_error *err);

/* Add or remove a membership. *changed is false when nothing had to change. */
int dir_member_add(struct dir *d, struct store_tx *tx, const char *group_id, const char *user_id,
                   bool *changed, struct lcw_error *err);
int dir_member_remove(struct dir *d, struct store_tx *tx, const char *group_id, const char *user_id,
                      bool *changed, struct lcw_error *err);

/*
 * Assign or remove licenses. `skus` names SKUs by skuId or skuPartNumber;
 * an unknown one is LCW_EINVAL naming it. For removal, n == 0 means every
 * license the user has. *changed_out (may be NULL) receives the skuIds that
 * actually changed (new array).
 */
int dir_licenses_assign(struct dir *d, struct store_tx *tx, const char *user_id,
                        const char *const *skus, size_t n, json_t **changed_out,
                        struct lcw_error *err);
int dir_licenses_remove(struct dir *d, struct store_tx *tx, const char *user_id,
                        const char *const *skus, size_t n, json_t **changed_out,
                        struct lcw_error *err);

/* Call `fn` for every live user, in id order; a non-zero return stops and is returned. */
int dir_users_each(struct dir *d, struct store_tx *tx, dir_user_fn *fn, void *ctx,
                   struct lcw_error *err);

/* Call `fn` for each change recorded in [since_ms, until_ms), oldest first. */
int dir_changes_each(struct dir *d, struct store_tx *tx, int64_t since_ms, int64_t until_ms,
                     dir_change_fn *fn, void *ctx, struct lcw_error *err);

#endif /* LCW_DIR_H */
