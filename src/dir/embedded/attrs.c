/* SPDX-License-Identifier: MIT */
/*
 * Updating user attributes in the embedded directory (dir_user_update):
 * the writable user properties, validated and normalised exactly as PATCH
 * /users/{id} does in api/users.c (which this layer may not include, hence
 * the table below, to be kept in step with users.c's `uprops`), then one
 * "attribute" change record per changed property or complex member.
 * Thread-safe: per-call state only.
 */
#include "dir_int.h"

#include <stdio.h>
#include <string.h>

#include "lcw/jsonx.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

enum attr_kind {
    AK_STRING,  /* string or null; "" is stored as null */
    AK_DATE,    /* RFC 3339 string or null, stored normalised to UTC */
    AK_STRINGS, /* array of non-empty strings; null means [] */
    AK_COMPLEX, /* object of nullable strings, merged member by member */
    AK_OWNED,   /* a user property that something else owns: refused */
};

struct attr {
    const char *name;
    enum attr_kind kind;
    unsigned max_len;           /* characters of a string, of each item or member */
    unsigned max_items;         /* AK_STRINGS */
    bool is_required;           /* never null or empty */
    const char *const *members; /* AK_COMPLEX, NULL-terminated */
    const char *owner;          /* AK_OWNED: what sets it instead */
};

static const char *const org_members[] = {"division", "costCenter", NULL};
static const char *const ext_members[] = {"extensionAttribute1",  "extensionAttribute2",
                                          "extensionAttribute3",  "extensionAttribute4",
                                          "extensionAttribute5",  "extensionAttribute6",
                                          "extensionAttribute7",  "extensionAttribute8",
                                          "extensionAttribute9",  "extensionAttribute10",
                                          "extensionAttribute11", "extensionAttribute12",
                                          "extensionAttribute13", "extensionAttribute14",
                                          "extensionAttribute15", NULL};

/* users.c's `uprops`, in the same order, with its lengths (Graph's limits). */
static const struct attr attrs[] = {
        {"id", AK_OWNED, 0, 0, false, NULL, "it is the user's key"},
        {"displayName", AK_STRING, 256, 0, true, NULL, NULL},
        {"givenName", AK_STRING, 64, 0, false, NULL, NULL},
        {"surname", AK_STRING, 64, 0, false, NULL, NULL},
        {"userPrincipalName", AK_STRING, 113, 0, true, NULL, NULL},
        {"mail", AK_STRING, 256, 0, false, NULL, NULL},
        {"mailNickname", AK_STRING, 64, 0, false, NULL, NULL},
        {"otherMails", AK_STRINGS, 256, 20, false, NULL, NULL},
        {"accountEnabled", AK_OWNED, 0, 0, false, NULL,
         "use the Enable or Disable user account task"},
        {"userType", AK_STRING, 16, 0, false, NULL, NULL},
        {"department", AK_STRING, 64, 0, false, NULL, NULL},
        {"jobTitle", AK_STRING, 128, 0, false, NULL, NULL},
        {"companyName", AK_STRING, 64, 0, false, NULL, NULL},
        {"employeeId", AK_STRING, 16, 0, false, NULL, NULL},
        {"employeeType", AK_STRING, 64, 0, false, NULL, NULL},
        {"employeeHireDate", AK_DATE, 0, 0, false, NULL, NULL},
        {"employeeLeaveDateTime", AK_DATE, 0, 0, false, NULL, NULL},
        {"employeeOrgData", AK_COMPLEX, 64, 0, false, org_members, NULL},
        {"officeLocation", AK_STRING, 128, 0, false, NULL, NULL},
        {"streetAddress", AK_STRING, 1024, 0, false, NULL, NULL},
        {"city", AK_STRING, 128, 0, false, NULL, NULL},
        {"state", AK_STRING, 128, 0, false, NULL, NULL},
        {"postalCode", AK_STRING, 40, 0, false, NULL, NULL},
        {"country", AK_STRING, 128, 0, false, NULL, NULL},
        {"usageLocation", AK_STRING, 2, 0, false, NULL, NULL},
        {"preferredLanguage", AK_STRING, 64, 0, false, NULL, NULL},
        {"businessPhones", AK_STRINGS, 64, 1, false, NULL, NULL},
        {"mobilePhone", AK_STRING, 64, 0, false, NULL, NULL},
        {"faxNumber", AK_STRING, 64, 0, false, NULL, NULL},
        {"onPremisesExtensionAttributes", AK_COMPLEX, 1024, 0, false, ext_members, NULL},
        {"assignedLicenses", AK_OWNED, 0, 0, false, NULL, "use the license tasks"},
        {"createdDateTime", AK_OWNED, 0, 0, false, NULL, "it is read-only"},
        {"signInSessionsValidFromDateTime", AK_OWNED, 0, 0, false, NULL,
         "use the Revoke all refresh tokens task"},
        {"deletedDateTime", AK_OWNED, 0, 0, false, NULL, "use the Delete user account task"},
        {"manager", AK_OWNED, 0, 0, false, NULL, "it is a relationship"},
};

static const struct attr *attr_find(const char *name, size_t len)
{
    for (size_t i = 0; i < N_ELEMS(attrs); i++) {
        if (strlen(attrs[i].name) == len && strv_eq_ci((struct strv){name, len}, attrs[i].name))
            return &attrs[i];
    }
    return NULL;
}

static const char *member_find(const struct attr *a, const char *name)
{
    for (const char *const *m = a->members; *m; m++) {
        if (lcw_str_eq_ci(*m, name))
            return *m;
    }
    return NULL;
}

static int nomem(struct lcw_error *err)
{
    return lcw_error_set(err, LCW_ENOMEM, "out of memory");
}

/* Characters of a UTF-8 string (continuation bytes not counted). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* "local@domain": one '@', both parts non-empty, no spaces or controls. */
static bool is_address(const char *s)
{
    const char *at = strchr(s, '@');

    if (!at || at == s || !at[1] || strchr(at + 1, '@'))
        return false;
    for (; *s; s++) {
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return false;
    }
    return true;
}

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A string value (`path` names it in messages), normalised as users.c does. */
static int norm_string(const char *path, const char *name, unsigned max_len, bool is_required,
                       const json_t *v, json_t **out, struct lcw_error *err)
{
    const char *s = json_string_value(v);

    if (!v || json_is_null(v) || (s && !*s)) {
        if (is_required)
            return lcw_error_set_target(err, LCW_EINVAL, path,
                                        "Property '%s' is required and cannot be null or empty",
                                        path);
        *out = json_null();
        return 0;
    }
    if (!s || strlen(s) != json_string_length(v))
        return lcw_error_set_target(err, LCW_EINVAL, path,
                                    "Invalid value for property '%s': expected a string", path);
    if (utf8_chars(s) > max_len)
        return lcw_error_set_target(err, LCW_EINVAL, path,
                                    "Invalid value for property '%s': longer than %u characters",
                                    path, max_len);
    if ((strcmp(name, "userPrincipalName") == 0 || strcmp(name, "mail") == 0) && !is_address(s))
        return lcw_error_set_target(err, LCW_EINVAL, path,
                                    "Invalid value for property '%s': expected an address of the "
                                    "form alias@domain (got '%s')",
                                    path, s);
    if (strcmp(name, "userType") == 0) {
        if (!lcw_str_eq_ci(s, "Member") && !lcw_str_eq_ci(s, "Guest"))
            return lcw_error_set_target(err, LCW_EINVAL, path,
                                        "Invalid value for property 'userType': expected 'Member' "
                                        "or 'Guest' (got '%s')",
                                        s);
        s = lcw_str_eq_ci(s, "Member") ? "Member" : "Guest";
    }
    if (strcmp(name, "usageLocation") == 0) {
        char cc[3];

        if (strlen(s) != 2 || !is_letter(s[0]) || !is_letter(s[1]))
            return lcw_error_set_target(err, LCW_EINVAL, path,
                                        "Invalid value for property 'usageLocation': expected a "
                                        "two-letter country code such as 'US' (got '%s')",
                                        s);
        cc[0] = (char)(s[0] & ~32);
        cc[1] = (char)(s[1] & ~32);
        cc[2] = '\0';
        *out = json_string(cc);
        return *out ? 0 : nomem(err);
    }
    *out = json_string(s);
    return *out ? 0 : nomem(err);
}

static int norm_date(const struct attr *a, const json_t *v, json_t **out, struct lcw_error *err)
{
    char ts[TIMEFMT_LEN];
    int64_t ms;

    if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
        *out = json_null();
        return 0;
    }
    if (!json_is_string(v) || timefmt_parse(json_string_value(v), json_string_length(v), &ms) != 0)
        return lcw_error_set_target(err, LCW_EINVAL, a->name,
                                    "Invalid value for property '%s': expected an RFC 3339 date "
                                    "and time such as '2024-05-01T08:00:00Z'",
                                    a->name);
    *out = json_string(timefmt_format(ms, ts));
    return *out ? 0 : nomem(err);
}

/*
 * A collection. A string is taken as a one-item list ("" as the empty
 * list): task arguments are strings (docs/internals/model.md).
 */
static int norm_strings(const struct attr *a, const json_t *v, json_t **out, struct lcw_error *err)
{
    size_t i;
    json_t *item;

    *out = json_array();
    if (!*out)
        return nomem(err);
    if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        return 0;
    if (json_is_string(v)) {
        if (utf8_chars(json_string_value(v)) > a->max_len)
            return lcw_error_set_target(err, LCW_EINVAL, a->name,
                                        "Invalid value for property '%s': longer than %u "
                                        "characters",
                                        a->name, a->max_len);
        return json_array_append_new(*out, json_string(json_string_value(v))) ? nomem(err) : 0;
    }
    if (!json_is_array(v))
        return lcw_error_set_target(err, LCW_EINVAL, a->name,
                                    "Invalid value for property '%s': expected an array of strings",
                                    a->name);
    if (json_array_size(v) > a->max_items)
        return lcw_error_set_target(err, LCW_EINVAL, a->name,
                                    "Invalid value for property '%s': at most %u value%s", a->name,
                                    a->max_items, a->max_items == 1 ? "" : "s");
    json_array_foreach(v, i, item)
    {
        const char *s = json_string_value(item);

        if (!s || !*s || utf8_chars(s) > a->max_len)
            return lcw_error_set_target(err, LCW_EINVAL, a->name,
                                        "Invalid value for property '%s': item %zu must be a "
                                        "non-empty string of at most %u characters",
                                        a->name, i, a->max_len);
        if (json_array_append_new(*out, json_string(s)))
            return nomem(err);
    }
    return 0;
}

/* The complex value `cur` as an object with every member present (new reference). */
static json_t *complex_full(const struct attr *a, const json_t *cur)
{
    json_t *o = json_object();

    for (const char *const *m = a->members; o && *m; m++) {
        json_t *c = json_is_object(cur) ? json_object_get(cur, *m) : NULL;

        if (json_object_set(o, *m, c ? c : json_null())) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* Set member `name` of complex property `a` in `doc` to `v` (validated). */
static int set_member(json_t *doc, const struct attr *a, const char *name, const json_t *v,
                      struct lcw_error *err)
{
    const char *m = member_find(a, name);
    json_t *full = NULL, *nv = NULL;
    char path[96];
    int rc;

    (void)snprintf(path, sizeof(path), "%s/%s", a->name, m ? m : name);
    if (!m)
        return lcw_error_set_target(err, LCW_EINVAL, path,
                                    "Property '%s' does not exist on type '%s'", name, a->name);
    if (v && !json_is_null(v) && !json_is_string(v))
        return lcw_error_set_target(err, LCW_EINVAL, path,
                                    "Invalid value for property '%s': expected a string of at "
                                    "most %u characters, or null",
                                    path, a->max_len);
    rc = norm_string(path, m, a->max_len, false, v, &nv, err);
    if (rc)
        return rc;
    full = complex_full(a, json_object_get(doc, a->name));
    if (!full || json_object_set_new(full, m, nv)) {
        json_decref(full);
        return nomem(err);
    }
    return json_object_set_new(doc, a->name, full) ? nomem(err) : 0;
}

/* employeeOrgData reads null when nothing is set, as in Graph (and users.c). */
static int complex_tidy(json_t *doc, const struct attr *a)
{
    const json_t *v = json_object_get(doc, a->name);

    if (a->members != org_members || !json_is_object(v))
        return 0;
    if (json_is_null(json_object_get(v, "division")) &&
        json_is_null(json_object_get(v, "costCenter")))
        return json_object_set_new(doc, a->name, json_null());
    return 0;
}

/* Apply one name/value of the request to `doc` (a copy of the stored user). */
static int apply_one(json_t *doc, const char *key, const json_t *v, struct lcw_error *err)
{
    const char *slash = strchr(key, '/');
    const struct attr *a = attr_find(key, slash ? (size_t)(slash - key) : strlen(key));
    json_t *nv = NULL;
    const char *k;
    json_t *item;
    int rc = 0;

    if (!a)
        return lcw_error_set_target(err, LCW_EINVAL, key,
                                    "'%s' is not a writable user property: no user property has "
                                    "that name",
                                    key);
    if (a->kind == AK_OWNED)
        return lcw_error_set_target(err, LCW_EINVAL, a->name,
                                    "'%s' is not a writable user property (%s)", a->name, a->owner);
    if (slash) {
        if (a->kind != AK_COMPLEX)
            return lcw_error_set_target(err, LCW_EINVAL, key,
                                        "'%s' is not a writable user property: '%s' has no "
                                        "members",
                                        key, a->name);
        rc = set_member(doc, a, slash + 1, v, err);
        if (!rc && complex_tidy(doc, a))
            rc = nomem(err);
        return rc;
    }
    switch (a->kind) {
    case AK_STRING:
        if (v && !json_is_null(v) && !json_is_string(v))
            return lcw_error_set_target(err, LCW_EINVAL, a->name,
                                        "Invalid value for property '%s': expected a string",
                                        a->name);
        rc = norm_string(a->name, a->name, a->max_len, a->is_required, v, &nv, err);
        break;
    case AK_DATE:
        rc = norm_date(a, v, &nv, err);
        break;
    case AK_STRINGS:
        rc = norm_strings(a, v, &nv, err);
        break;
    case AK_COMPLEX:
        if (!json_is_null(v) && !json_is_object(v))
            return lcw_error_set_target(err, LCW_EINVAL, a->name,
                                        "Invalid value for property '%s': expected an object or "
                                        "null",
                                        a->name);
        /* null clears every member; an object merges member by member. */
        nv = complex_full(a, json_is_null(v) ? NULL : json_object_get(doc, a->name));
        if (!nv || json_object_set_new(doc, a->name, nv))
            return nomem(err);
        nv = NULL;
        json_object_foreach((json_t *)(uintptr_t)v, k, item)
        {
            rc = set_member(doc, a, k, item, err);
            if (rc)
                return rc;
        }
        return complex_tidy(doc, a) ? nomem(err) : 0;
    case AK_OWNED:
        break;
    }
    if (rc) {
        json_decref(nv);
        return rc;
    }
    return json_object_set_new(doc, a->name, nv) ? nomem(err) : 0;
}

/* Is userPrincipalName `upn` used by a user other than `self` (any case, deleted too)? */
static int check_upn(struct store_tx *tx, const char *upn, const char *self, struct lcw_error *err)
{
    struct store_val p[2] = {STORE_V_TEXT(upn), STORE_V_TEXT(self)};
    int64_t n = 0;
    int rc = store_entity_count(tx, &store_ent_user, NULL,
                                "lower(user_principal_name) = lower(?) AND pk <> ?", p, 2, &n, err);

    if (!rc && n > 0)
        rc = lcw_error_set_target(err, LCW_ECONFLICT, "userPrincipalName",
                                  "userPrincipalName '%s' is already used by another user", upn);
    return rc;
}

/* Record each change between `old` and `new`, naming it in `changed`. */
static int record_changes(struct store_tx *tx, int64_t now_ms, const json_t *old, const json_t *new,
                          json_t *changed, struct lcw_error *err)
{
    const char *id = jsonx_str(new, "id");
    int rc = 0;

    for (size_t i = 0; !rc && i < N_ELEMS(attrs); i++) {
        const struct attr *p = &attrs[i];
        const json_t *a = json_object_get(old, p->name), *b = json_object_get(new, p->name);

        if (p->kind == AK_OWNED || dir__same_value(a, b))
            continue;
        if (p->kind != AK_COMPLEX) {
            rc = dir__emb_record_attr(tx, now_ms, id, p->name, a, b, err);
            if (!rc && json_array_append_new(changed, json_string(p->name)))
                rc = nomem(err);
            continue;
        }
        for (const char *const *m = p->members; !rc && *m; m++) {
            const json_t *am = json_object_get(a, *m), *bm = json_object_get(b, *m);
            char path[96];

            if (dir__same_value(am, bm))
                continue;
            (void)snprintf(path, sizeof(path), "%s/%s", p->name, *m);
            rc = dir__emb_record_attr(tx, now_ms, id, path, am, bm, err);
            if (!rc && json_array_append_new(changed, json_string(path)))
                rc = nomem(err);
        }
    }
    return rc;
}

int dir__emb_user_update(struct dir *d, struct store_tx *tx, const char *user_id,
                         const json_t *attrs_in, json_t **changed_out, struct lcw_error *err)
{
    struct dir_emb *e = dir__emb(d);
    struct dir_emb_tx t;
    json_t *old = NULL, *doc = NULL, *changed = json_array();
    const char *key;
    json_t *v;
    int rc;

    if (!changed)
        return nomem(err);
    rc = dir__emb_begin(e, tx, true, &t, err);
    if (rc) {
        json_decref(changed);
        return rc;
    }
    rc = dir__emb_user_load(t.tx, user_id, false, &old, err);
    if (rc)
        goto out;
    doc = json_deep_copy(old);
    if (!doc) {
        rc = nomem(err);
        goto out;
    }
    json_object_foreach((json_t *)(uintptr_t)attrs_in, key, v)
    {
        rc = apply_one(doc, key, v, err);
        if (rc)
            goto out;
    }
    if (!dir__same_value(json_object_get(old, "userPrincipalName"),
                         json_object_get(doc, "userPrincipalName"))) {
        rc = check_upn(t.tx, jsonx_str(doc, "userPrincipalName"), jsonx_str(doc, "id"), err);
        if (rc)
            goto out;
    }
    rc = record_changes(t.tx, dir__emb_now(e), old, doc, changed, err);
    if (!rc && json_array_size(changed))
        rc = dir__emb_user_put(t.tx, doc, err);
out:
    rc = dir__emb_end(&t, rc, err);
    if (!rc && changed_out) {
        *changed_out = changed;
        changed = NULL;
    }
    json_decref(changed);
    json_decref(doc);
    json_decref(old);
    return rc;
}
