/* SPDX-License-Identifier: MIT */
/*
 * dir internals shared by dir.c (the dispatch behind include/lcw/dir.h) and
 * the backends. A backend embeds `struct dir` first in its own struct and
 * fills a `struct dir_ops` table; dir.c checks arguments and forwards.
 * The second half declares what the files of dir/embedded/ share.
 */
#ifndef LCW_DIR_DIR_INT_H
#define LCW_DIR_DIR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lcw/common.h"
#include "lcw/dir.h"
#include "lcw/store.h"

/* One entry per operation of dir.h; same contracts. All are required. */
struct dir_ops {
    const char *name; /* "embedded" */
    void (*close)(struct dir *d);
    int (*user_get)(struct dir *d, struct store_tx *tx, const char *id, json_t **out,
                    struct lcw_error *err);
    int (*user_manager)(struct dir *d, struct store_tx *tx, const char *user_id, json_t **out,
                        struct lcw_error *err);
    int (*user_set_enabled)(struct dir *d, struct store_tx *tx, const char *user_id, bool enabled,
                            bool *changed, struct lcw_error *err);
    int (*user_update)(struct dir *d, struct store_tx *tx, const char *user_id, const json_t *attrs,
                       json_t **changed_out, struct lcw_error *err);
    int (*user_revoke_sessions)(struct dir *d, struct store_tx *tx, const char *user_id,
                                int64_t now_ms, struct lcw_error *err);
    int (*user_delete)(struct dir *d, struct store_tx *tx, const char *user_id, int64_t now_ms,
                       bool *changed, struct lcw_error *err);
    int (*user_groups)(struct dir *d, struct store_tx *tx, const char *user_id, json_t **out,
                       struct lcw_error *err);
    int (*group_get)(struct dir *d, struct store_tx *tx, const char *id, json_t **out,
                     struct lcw_error *err);
    int (*group_member_ids)(struct dir *d, struct store_tx *tx, const char *group_id, json_t **out,
                            struct lcw_error *err);
    int (*member_add)(struct dir *d, struct store_tx *tx, const char *group_id, const char *user_id,
                      bool *changed, struct lcw_error *err);
    int (*member_remove)(struct dir *d, struct store_tx *tx, const char *group_id,
                         const char *user_id, bool *changed, struct lcw_error *err);
    int (*licenses_assign)(struct dir *d, struct store_tx *tx, const char *user_id,
                           const char *const *skus, size_t n, json_t **changed_out,
                           struct lcw_error *err);
    int (*licenses_remove)(struct dir *d, struct store_tx *tx, const char *user_id,
                           const char *const *skus, size_t n, json_t **changed_out,
                           struct lcw_error *err);
    int (*users_each)(struct dir *d, struct store_tx *tx, dir_user_fn *fn, void *ctx,
                      struct lcw_error *err);
    int (*changes_each)(struct dir *d, struct store_tx *tx, int64_t since_ms, int64_t until_ms,
                        dir_change_fn *fn, void *ctx, struct lcw_error *err);
};

/* The handle every backend starts its own struct with. */
struct dir {
    const struct dir_ops *ops; /* static */
};

/* ------------------------------------------------ the embedded backend */

/* The embedded backend's handle; immutable after dir_open_embedded. */
struct dir_emb {
    struct dir base;
    struct store *store;           /* borrowed */
    const struct lcw_clock *clock; /* borrowed; the system clock when none was given */
};

/* A transaction to work in: the caller's, or one opened (and ended) here. */
struct dir_emb_tx {
    struct store_tx own; /* used when the caller gave none */
    struct store_tx *tx; /* the one to use */
    bool is_own;
};

static inline struct dir_emb *dir__emb(struct dir *d)
{
    return (struct dir_emb *)(void *)d;
}

/* Use `tx`, or begin our own (STORE_TX_WRITE when `is_write`). */
int dir__emb_begin(struct dir_emb *e, struct store_tx *tx, bool is_write, struct dir_emb_tx *t,
                   struct lcw_error *err);
/* Commit our own transaction when rc == 0, roll it back otherwise; returns the final rc. */
int dir__emb_end(struct dir_emb_tx *t, int rc, struct lcw_error *err);

/* Now, by the backend's clock. */
int64_t dir__emb_now(const struct dir_emb *e);

/* Room for an object id: a GUID, or anything shorter (tests use short ids). */
#define DIR_ID_CAP 64

/*
 * Lower-case copy of an object id (ids are stored lower case, GUIDs are
 * matched in any case). False when `id` is too long to be one.
 */
bool dir__id_copy(char out[DIR_ID_CAP], const char *id);

/*
 * Load the stored document of user `id` (with "#lcw.*" members). A
 * soft-deleted user is LCW_ENOTFOUND unless `with_deleted`. New reference.
 */
int dir__emb_user_load(struct store_tx *tx, const char *id, bool with_deleted, json_t **out,
                       struct lcw_error *err);
/* Is the stored user soft-deleted (deletedDateTime set)? */
bool dir__emb_user_is_deleted(const json_t *doc);
/* Write a user document back (store_entity_put). */
int dir__emb_user_put(struct store_tx *tx, const json_t *doc, struct lcw_error *err);
/* The Graph view of a stored user: a new object without "#..." members. */
json_t *dir__emb_user_output(const json_t *doc);
/* One "attribute" change record with old/new as JSON text ("null" when unset). */
int dir__emb_record_attr(struct store_tx *tx, int64_t now_ms, const char *user_id, const char *attr,
                         const json_t *old, const json_t *new, struct lcw_error *err);
/* Are two member values equal, absent and null counting as the same? */
bool dir__same_value(const json_t *a, const json_t *b);

/* Operations, one file each (embedded/account.c, attrs.c, membership.c, licenses.c). */
int dir__emb_user_set_enabled(struct dir *d, struct store_tx *tx, const char *user_id, bool enabled,
                              bool *changed, struct lcw_error *err);
int dir__emb_user_revoke_sessions(struct dir *d, struct store_tx *tx, const char *user_id,
                                  int64_t now_ms, struct lcw_error *err);
int dir__emb_user_delete(struct dir *d, struct store_tx *tx, const char *user_id, int64_t now_ms,
                         bool *changed, struct lcw_error *err);
int dir__emb_user_update(struct dir *d, struct store_tx *tx, const char *user_id,
                         const json_t *attrs, json_t **changed_out, struct lcw_error *err);
int dir__emb_user_groups(struct dir *d, struct store_tx *tx, const char *user_id, json_t **out,
                         struct lcw_error *err);
int dir__emb_group_get(struct dir *d, struct store_tx *tx, const char *id, json_t **out,
                       struct lcw_error *err);
int dir__emb_group_member_ids(struct dir *d, struct store_tx *tx, const char *group_id,
                              json_t **out, struct lcw_error *err);
int dir__emb_member_add(struct dir *d, struct store_tx *tx, const char *group_id,
                        const char *user_id, bool *changed, struct lcw_error *err);
int dir__emb_member_remove(struct dir *d, struct store_tx *tx, const char *group_id,
                           const char *user_id, bool *changed, struct lcw_error *err);
int dir__emb_licenses_assign(struct dir *d, struct store_tx *tx, const char *user_id,
                             const char *const *skus, size_t n, json_t **changed_out,
                             struct lcw_error *err);
int dir__emb_licenses_remove(struct dir *d, struct store_tx *tx, const char *user_id,
                             const char *const *skus, size_t n, json_t **changed_out,
                             struct lcw_error *err);

#endif /* LCW_DIR_DIR_INT_H */
