/* SPDX-License-Identifier: MIT */
/*
 * The directory interface: argument checks shared by every backend, then a
 * call through the backend's `struct dir_ops`. Nothing here keeps state; a
 * `struct dir` is immutable once opened, so every entry point is
 * thread-safe as long as the backend's operations are.
 */
#include "lcw/dir.h"

#include "dir_int.h"

#define CHECK_ARG(cond, what)                                              \
    do {                                                                   \
        if (!(cond))                                                       \
            return lcw_error_set(err, LCW_EINVAL, "%s is required", what); \
    } while (0)

void dir_close(struct dir *d)
{
    if (d)
        d->ops->close(d);
}

int dir_user_get(struct dir *d, struct store_tx *tx, const char *id, json_t **out,
                 struct lcw_error *err)
{
    *out = NULL;
    CHECK_ARG(id && *id, "a user id");
    return d->ops->user_get(d, tx, id, out, err);
}

int dir_user_manager(struct dir *d, struct store_tx *tx, const char *user_id, json_t **out,
                     struct lcw_error *err)
{
    *out = NULL;
    CHECK_ARG(user_id && *user_id, "a user id");
    return d->ops->user_manager(d, tx, user_id, out, err);
}

int dir_user_set_enabled(struct dir *d, struct store_tx *tx, const char *user_id, bool enabled,
                         bool *changed, struct lcw_error *err)
{
    *changed = false;
    CHECK_ARG(user_id && *user_id, "a user id");
    return d->ops->user_set_enabled(d, tx, user_id, enabled, changed, err);
}

int dir_user_update(struct dir *d, struct store_tx *tx, const char *user_id, const json_t *attrs,
                    json_t **changed_out, struct lcw_error *err)
{
    if (changed_out)
        *changed_out = NULL;
    CHECK_ARG(user_id && *user_id, "a user id");
    if (!json_is_object(attrs))
        return lcw_error_set(err, LCW_EINVAL, "the attributes to set must be a JSON object");
    return d->ops->user_update(d, tx, user_id, attrs, changed_out, err);
}

int dir_user_revoke_sessions(struct dir *d, struct store_tx *tx, const char *user_id,
                             int64_t now_ms, struct lcw_error *err)
{
    CHECK_ARG(user_id && *user_id, "a user id");
    return d->ops->user_revoke_sessions(d, tx, user_id, now_ms, err);
}

int dir_user_delete(struct dir *d, struct store_tx *tx, const char *user_id, int64_t now_ms,
                    bool *changed, struct lcw_error *err)
{
    *changed = false;
    CHECK_ARG(user_id && *user_id, "a user id");
    return d->ops->user_delete(d, tx, user_id, now_ms, changed, err);
}

int dir_user_groups(struct dir *d, struct store_tx *tx, const char *user_id, json_t **out,
                    struct lcw_error *err)
{
    *out = NULL;
    CHECK_ARG(user_id && *user_id, "a user id");
    return d->ops->user_groups(d, tx, user_id, out, err);
}

int dir_group_get(struct dir *d, struct store_tx *tx, const char *id, json_t **out,
                  struct lcw_error *err)
{
    *out = NULL;
    CHECK_ARG(id && *id, "a group id");
    return d->ops->group_get(d, tx, id, out, err);
}

int dir_group_member_ids(struct dir *d, struct store_tx *tx, const char *group_id, json_t **out,
                         struct lcw_error *err)
{
    *out = NULL;
    CHECK_ARG(group_id && *group_id, "a group id");
    return d->ops->group_member_ids(d, tx, group_id, out, err);
}

int dir_member_add(struct dir *d, struct store_tx *tx, const char *group_id, const char *user_id,
                   bool *changed, struct lcw_error *err)
{
    *changed = false;
    CHECK_ARG(group_id && *group_id, "a group id");
    CHECK_ARG(user_id && *user_id, "a user id");
    return d->ops->member_add(d, tx, group_id, user_id, changed, err);
}

int dir_member_remove(struct dir *d, struct store_tx *tx, const char *group_id, const char *user_id,
                      bool *changed, struct lcw_error *err)
{
    *changed = false;
    CHECK_ARG(group_id && *group_id, "a group id");
    CHECK_ARG(user_id && *user_id, "a user id");
    return d->ops->member_remove(d, tx, group_id, user_id, changed, err);
}

/* Every name given must be a non-empty string. */
static int check_skus(const char *const *skus, size_t n, struct lcw_error *err)
{
    if (n && !skus)
        return lcw_error_set(err, LCW_EINVAL, "no licenses given");
    for (size_t i = 0; i < n; i++) {
        if (!skus[i] || !*skus[i])
            return lcw_error_set(err, LCW_EINVAL, "license %zu of the list is empty", i + 1);
    }
    return 0;
}

int dir_licenses_assign(struct dir *d, struct store_tx *tx, const char *user_id,
                        const char *const *skus, size_t n, json_t **changed_out,
                        struct lcw_error *err)
{
    int rc;

    if (changed_out)
        *changed_out = NULL;
    CHECK_ARG(user_id && *user_id, "a user id");
    rc = check_skus(skus, n, err);
    if (rc)
        return rc;
    return d->ops->licenses_assign(d, tx, user_id, skus, n, changed_out, err);
}

int dir_licenses_remove(struct dir *d, struct store_tx *tx, const char *user_id,
                        const char *const *skus, size_t n, json_t **changed_out,
                        struct lcw_error *err)
{
    int rc;

    if (changed_out)
        *changed_out = NULL;
    CHECK_ARG(user_id && *user_id, "a user id");
    rc = check_skus(skus, n, err);
    if (rc)
        return rc;
    return d->ops->licenses_remove(d, tx, user_id, skus, n, changed_out, err);
}

int dir_users_each(struct dir *d, struct store_tx *tx, dir_user_fn *fn, void *ctx,
                   struct lcw_error *err)
{
    CHECK_ARG(fn, "a callback");
    return d->ops->users_each(d, tx, fn, ctx, err);
}

int dir_changes_each(struct dir *d, struct store_tx *tx, int64_t since_ms, int64_t until_ms,
                     dir_change_fn *fn, void *ctx, struct lcw_error *err)
{
    CHECK_ARG(fn, "a callback");
    if (until_ms <= since_ms)
        return 0;
    return d->ops->changes_each(d, tx, since_ms, until_ms, fn, ctx, err);
}
