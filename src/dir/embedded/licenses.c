/* SPDX-License-Identifier: MIT */
/*
 * Licences of embedded-directory users: `assignedLicenses` [{skuId,
 * disabledPlans}] in the user document, checked against the tenant's
 * catalogue (kv "subscribedSkus"), with the same capacity rule as
 * POST /users/{id}/assignLicense (consumedUnits = live users holding the
 * sku). Every name is resolved before anything is written, so a bad name
 * changes nothing. Thread-safe: per-call state only.
 */
#include "dir_int.h"

#include <stdio.h>

#include "lcw/jsonx.h"

#define SKUS_KEY "subscribedSkus"

static int skus_load(struct store_tx *tx, json_t **out, struct lcw_error *err)
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

/* The catalogue entry named by skuId or skuPartNumber, case-insensitively. */
static const json_t *sku_find(const json_t *skus, const char *name)
{
    size_t i;
    json_t *s;

    json_array_foreach (skus, i, s) {
        const char *id = jsonx_str(s, "skuId"), *part = jsonx_str(s, "skuPartNumber");

        if ((id && lcw_str_eq_ci(id, name)) || (part && lcw_str_eq_ci(part, name)))
            return s;
    }
    return NULL;
}

/* Index of skuId `sku_id` in the user's licences, or -1. */
static long lic_index(const json_t *lic, const char *sku_id)
{
    size_t i;
    json_t *l;

    json_array_foreach (lic, i, l) {
        const char *id = jsonx_str(l, "skuId");

        if (id && lcw_str_eq_ci(id, sku_id))
            return (long)i;
    }
    return -1;
}

/* Live users holding `sku_id`, counted as users.c counts consumedUnits. */

static int unknown_sku(struct lcw_error *err, const char *name)
{
    return lcw_error_set_target(err, LCW_EINVAL, "licenses",
                                "license '%s' is not one of the tenant's subscribed SKUs", name);
}

/* Load the user and a copy of their licences (an array even when the doc has none). */
static int load(struct store_tx *tx, const char *user_id, json_t **doc, json_t **lic,
                struct lcw_error *err)
{
    const json_t *cur;
    int rc = dir__emb_user_load(tx, user_id, false, doc, err);

    *lic = NULL;
    if (rc)
        return rc;
    cur = json_object_get(*doc, "assignedLicenses");
    *lic = json_is_array(cur) ? json_deep_copy(cur) : json_array();
    return *lic ? 0 : lcw_error_set(err, LCW_ENOMEM, "out of memory");
}

/* Record and store the new licences when any changed. */
static int save(struct dir_emb *e, struct store_tx *tx, json_t *doc, json_t *lic,
                const json_t *changed, struct lcw_error *err)
{
    int rc;

    if (!json_array_size(changed))
        return 0;
    rc = dir__emb_record_attr(tx, dir__emb_now(e), jsonx_str(doc, "id"), "assignedLicenses",
                              json_object_get(doc, "assignedLicenses"), lic, err);
    if (!rc && json_object_set(doc, "assignedLicenses", lic))
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
    if (!rc)
        rc = dir__emb_user_put(tx, doc, err);
    return rc;
}

static void hand_out(json_t **changed_out, json_t **changed)
{
    if (changed_out) {
        *changed_out = *changed;
        *changed = NULL;
    }
}

int dir__emb_licenses_assign(struct dir *d, struct store_tx *tx, const char *user_id,
                             const char *const *skus, size_t n, json_t **changed_out,
                             struct lcw_error *err)
{
    struct dir_emb *e = dir__emb(d);
    struct dir_emb_tx t;
    json_t *doc = NULL, *lic = NULL, *catalogue = NULL, *changed = json_array();
    int rc;

    if (!changed)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    rc = dir__emb_begin(e, tx, true, &t, err);
    if (rc) {
        json_decref(changed);
        return rc;
    }
    rc = load(t.tx, user_id, &doc, &lic, err);
    if (!rc)
        rc = skus_load(t.tx, &catalogue, err);
    for (size_t i = 0; !rc && i < n; i++) {
        const json_t *sku = sku_find(catalogue, skus[i]);
        const char *sku_id = jsonx_str(sku, "skuId");
        int64_t used = 0, enabled;

        if (!sku_id) {
            rc = unknown_sku(err, skus[i]);
            break;
        }
        if (lic_index(lic, sku_id) >= 0)
            continue; /* already assigned (or named twice) */
        rc = store_sku_consumed(t.tx, sku_id, &used, err);
        if (rc)
            break;
        enabled = jsonx_int(json_object_get(sku, "prepaidUnits"), "enabled", 0);
        if (used >= enabled) {
            rc = lcw_error_set_target(err, LCW_EINVAL, "licenses",
                                      "license '%s' (%s) has no available units: %lld of %lld "
                                      "in use",
                                      skus[i], jsonx_str(sku, "skuPartNumber"), (long long)used,
                                      (long long)enabled);
            break;
        }
        if (json_array_append_new(lic,
                                  json_pack("{s:s, s:[]}", "skuId", sku_id, "disabledPlans")) ||
            json_array_append_new(changed, json_string(sku_id)))
            rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
    }
    if (!rc)
        rc = save(e, t.tx, doc, lic, changed, err);
    rc = dir__emb_end(&t, rc, err);
    if (!rc)
        hand_out(changed_out, &changed);
    json_decref(changed);
    json_decref(catalogue);
    json_decref(lic);
    json_decref(doc);
    return rc;
}

int dir__emb_licenses_remove(struct dir *d, struct store_tx *tx, const char *user_id,
                             const char *const *skus, size_t n, json_t **changed_out,
                             struct lcw_error *err)
{
    struct dir_emb *e = dir__emb(d);
    struct dir_emb_tx t;
    json_t *doc = NULL, *lic = NULL, *catalogue = NULL, *changed = json_array();
    size_t i;
    json_t *l;
    int rc;

    if (!changed)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    rc = dir__emb_begin(e, tx, true, &t, err);
    if (rc) {
        json_decref(changed);
        return rc;
    }
    rc = load(t.tx, user_id, &doc, &lic, err);
    if (!rc && n == 0) {
        json_array_foreach (lic, i, l) {
            const char *id = jsonx_str(l, "skuId");

            if (id && json_array_append_new(changed, json_string(id))) {
                rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
                break;
            }
        }
        if (!rc)
            json_array_clear(lic);
    }
    if (!rc && n > 0)
        rc = skus_load(t.tx, &catalogue, err);
    for (i = 0; !rc && i < n; i++) {
        const json_t *sku;
        long at = lic_index(lic, skus[i]); /* a skuId the user has, even if not catalogued */

        if (at < 0) {
            sku = sku_find(catalogue, skus[i]);
            if (!sku || !jsonx_str(sku, "skuId")) {
                rc = unknown_sku(err, skus[i]);
                break;
            }
            at = lic_index(lic, jsonx_str(sku, "skuId"));
        }
        if (at < 0)
            continue; /* not assigned */
        if (json_array_append_new(changed,
                                  json_string(jsonx_str(json_array_get(lic, (size_t)at), "skuId"))))
            rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        else
            (void)json_array_remove(lic, (size_t)at); /* `at` is in range */
    }
    if (!rc)
        rc = save(e, t.tx, doc, lic, changed, err);
    rc = dir__emb_end(&t, rc, err);
    if (!rc)
        hand_out(changed_out, &changed);
    json_decref(changed);
    json_decref(catalogue);
    json_decref(lic);
    json_decref(doc);
    return rc;
}
