/* SPDX-License-Identifier: MIT */
/*
 * The directory user's properties (names, kinds, Graph's limits, complex
 * members, which ones the attributes task may not set) and the validation
 * and normalisation of their values. Shared by api/users.c (POST and PATCH
 * /users) and dir/embedded/attrs.c (dir_user_update); the callers keep their
 * own rules for which properties a body may name. Pure and thread-safe.
 */
#include "lcw/jsonx.h"
#include "lcw/model.h"

#include <stdio.h>
#include <string.h>

#include "model_int.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const org_members[] = {"division", "costCenter", NULL};
static const char *const ext_members[] = {"extensionAttribute1",  "extensionAttribute2",
                                          "extensionAttribute3",  "extensionAttribute4",
                                          "extensionAttribute5",  "extensionAttribute6",
                                          "extensionAttribute7",  "extensionAttribute8",
                                          "extensionAttribute9",  "extensionAttribute10",
                                          "extensionAttribute11", "extensionAttribute12",
                                          "extensionAttribute13", "extensionAttribute14",
                                          "extensionAttribute15", NULL};

/* Shorthands for the table's columns. */
#define S  MODEL_USER_STRING
#define B  MODEL_USER_BOOL
#define D  MODEL_USER_DATE
#define L  MODEL_USER_STRINGS
#define C  MODEL_USER_COMPLEX
#define RO MODEL_USER_READONLY
#define NV MODEL_USER_NAV
#define IG MODEL_USER_IGNORED

/* In the order a stored user lists them. Lengths follow Graph's limits. */
static const struct model_user_prop props[] = {
        {"id", RO, 0, 0, false, false, NULL, "it is the user's key"},
        {"displayName", S, 256, 0, true, false, NULL, NULL},
        {"givenName", S, 64, 0, false, false, NULL, NULL},
        {"surname", S, 64, 0, false, false, NULL, NULL},
        {"userPrincipalName", S, 113, 0, true, false, NULL, NULL},
        {"mail", S, 256, 0, false, false, NULL, NULL},
        {"mailNickname", S, 64, 0, false, false, NULL, NULL},
        {"otherMails", L, 256, 20, false, false, NULL, NULL},
        {"accountEnabled", B, 0, 0, false, false, NULL,
         "use the Enable or Disable user account task"},
        {"userType", S, 16, 0, false, false, NULL, NULL},
        {"department", S, 64, 0, false, false, NULL, NULL},
        {"jobTitle", S, 128, 0, false, false, NULL, NULL},
        {"companyName", S, 64, 0, false, false, NULL, NULL},
        {"employeeId", S, 16, 0, false, false, NULL, NULL},
        {"employeeType", S, 64, 0, false, false, NULL, NULL},
        {"employeeHireDate", D, 0, 0, false, false, NULL, NULL},
        {"employeeLeaveDateTime", D, 0, 0, false, false, NULL, NULL},
        {"employeeOrgData", C, 64, 0, false, true, org_members, NULL},
        {"officeLocation", S, 128, 0, false, false, NULL, NULL},
        {"streetAddress", S, 1024, 0, false, false, NULL, NULL},
        {"city", S, 128, 0, false, false, NULL, NULL},
        {"state", S, 128, 0, false, false, NULL, NULL},
        {"postalCode", S, 40, 0, false, false, NULL, NULL},
        {"country", S, 128, 0, false, false, NULL, NULL},
        {"usageLocation", S, 2, 0, false, false, NULL, NULL},
        {"preferredLanguage", S, 64, 0, false, false, NULL, NULL},
        {"businessPhones", L, 64, 1, false, false, NULL, NULL},
        {"mobilePhone", S, 64, 0, false, false, NULL, NULL},
        {"faxNumber", S, 64, 0, false, false, NULL, NULL},
        {"onPremisesExtensionAttributes", C, 1024, 0, false, false, ext_members, NULL},
        {"assignedLicenses", RO, 0, 0, false, false, NULL, "use the license tasks"},
        {"createdDateTime", RO, 0, 0, false, false, NULL, "it is read-only"},
        {"signInSessionsValidFromDateTime", RO, 0, 0, false, false, NULL,
         "use the Revoke all refresh tokens task"},
        {"deletedDateTime", RO, 0, 0, false, false, NULL, "use the Delete user account task"},
        {"manager", NV, 0, 0, false, false, NULL, "it is a relationship"},
        /* Not a property the task knows: dir_user_update treats it as unknown. */
        {"passwordProfile", IG, 0, 0, false, false, NULL, NULL},
};

#undef S
#undef B
#undef D
#undef L
#undef C
#undef RO
#undef NV
#undef IG

size_t model_user_prop_count(void)
{
    return N_ELEMS(props);
}

const struct model_user_prop *model_user_prop_at(size_t i)
{
    return i < N_ELEMS(props) ? &props[i] : NULL;
}

const struct model_user_prop *model_user_prop_find(const char *name, size_t len)
{
    for (size_t i = 0; i < N_ELEMS(props); i++) {
        if (strv_eq_ci((struct strv){name, len}, props[i].name))
            return &props[i];
    }
    return NULL;
}

bool model_user_prop_is_data(const struct model_user_prop *p)
{
    return p->kind != MODEL_USER_READONLY && p->kind != MODEL_USER_NAV &&
           p->kind != MODEL_USER_IGNORED;
}

bool model_user_value_same(const json_t *a, const json_t *b)
{
    if (!a || json_is_null(a))
        return !b || json_is_null(b);
    return b && json_equal(a, b);
}

static int nomem(struct lcw_error *err)
{
    return lcw_error_set(err, LCW_ENOMEM, "out of memory");
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

/*
 * A string value. `path` names it in messages and as the target; `name`
 * (the property or member name) selects the per-property rules.
 */
static int norm_string(const char *path, const char *name, unsigned max_len, bool is_required,
                       unsigned flags, const json_t *v, json_t **out, struct lcw_error *err)
{
    const char *s = json_string_value(v);

    if (json_is_null(v) || (s && !*s)) {
        if (is_required)
            return lcw_error_set_target(err, LCW_EINVAL, path,
                                        "Property '%s' is required and cannot be null or empty",
                                        path);
        *out = json_null();
        return 0;
    }
    if (!s || ((flags & MODEL_USER_NORM_REFUSE_NUL) && strlen(s) != json_string_length(v)))
        return lcw_error_set_target(err, LCW_EINVAL, path,
                                    "Invalid value for property '%s': expected a string", path);
    if (model__utf8_len(s) > max_len)
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

static int norm_date(const struct model_user_prop *p, const json_t *v, unsigned flags, json_t **out,
                     struct lcw_error *err)
{
    char ts[TIMEFMT_LEN];
    int64_t ms;

    if (json_is_null(v) || ((flags & MODEL_USER_NORM_EMPTY_DATE_NULL) && json_is_string(v) &&
                            json_string_length(v) == 0)) {
        *out = json_null();
        return 0;
    }
    if (!json_is_string(v) || timefmt_parse(json_string_value(v), json_string_length(v), &ms) != 0)
        return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                    "Invalid value for property '%s': expected an RFC 3339 date "
                                    "and time such as '2024-05-01T08:00:00Z'",
                                    p->name);
    *out = json_string(timefmt_format(ms, ts));
    return *out ? 0 : nomem(err);
}

/* A collection: an array of non-empty strings (or, with the flag, one string). */
static int norm_strings(const struct model_user_prop *p, const json_t *v, unsigned flags,
                        json_t **out, struct lcw_error *err)
{
    bool is_list_string = (flags & MODEL_USER_NORM_STRING_AS_LIST) && json_is_string(v);
    size_t i;
    json_t *item;

    if (is_list_string && json_string_length(v) > 0) {
        if (model__utf8_len(json_string_value(v)) > p->max_len)
            return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                        "Invalid value for property '%s': longer than %u "
                                        "characters",
                                        p->name, p->max_len);
        *out = json_array();
        if (!*out || json_array_append_new(*out, json_string(json_string_value(v))))
            goto oom;
        return 0;
    }
    if (!json_is_null(v) && !is_list_string && !json_is_array(v))
        return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                    "Invalid value for property '%s': expected an array of strings",
                                    p->name);
    /* json_array_size is 0 for null and "". */
    if (json_array_size(v) > p->max_items)
        return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                    "Invalid value for property '%s': at most %u value%s", p->name,
                                    p->max_items, p->max_items == 1 ? "" : "s");
    json_array_foreach (v, i, item) {
        const char *s = json_string_value(item);

        if (!s || !*s || model__utf8_len(s) > p->max_len)
            return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                        "Invalid value for property '%s': item %zu must be a "
                                        "non-empty string of at most %u characters",
                                        p->name, i, p->max_len);
    }
    *out = json_array();
    if (!*out)
        goto oom;
    json_array_foreach (v, i, item) {
        if (json_array_append_new(*out, json_string(json_string_value(item))))
            goto oom;
    }
    return 0;
oom:
    json_decref(*out);
    *out = NULL;
    return nomem(err);
}

static const char *member_find(const struct model_user_prop *p, const char *name)
{
    for (const char *const *m = p->members; *m; m++) {
        if (lcw_str_eq_ci(*m, name))
            return *m;
    }
    return NULL;
}

/* Member `name` of complex property `p` set to `v` in `obj`, validated. */
static int set_member(json_t *obj, const struct model_user_prop *p, const char *name,
                      const json_t *v, unsigned flags, struct lcw_error *err)
{
    bool is_detailed = flags & MODEL_USER_NORM_MEMBER_ERRORS;
    const char *m = member_find(p, name);
    const char *target = p->name;
    json_t *nv = NULL;
    char path[96];
    int rc;

    (void)snprintf(path, sizeof(path), "%s/%s", p->name, m ? m : name);
    if (is_detailed)
        target = path;
    if (!m)
        return lcw_error_set_target(err, LCW_EINVAL, target,
                                    "Property '%s' does not exist on type '%s'", name, p->name);
    if (is_detailed && !json_is_null(v) && !json_is_string(v))
        return lcw_error_set_target(err, LCW_EINVAL, target,
                                    "Invalid value for property '%s': expected a string of at "
                                    "most %u characters, or null",
                                    path, p->max_len);
    rc = norm_string(path, m, p->max_len, false, flags, v, &nv, err);
    /* PATCH /users has always answered any member failure with one message. */
    if (rc && !is_detailed)
        return lcw_error_set_target(err, LCW_EINVAL, target,
                                    "Invalid value for property '%s': expected a string of at "
                                    "most %u characters, or null",
                                    path, p->max_len);
    if (rc)
        return rc;
    return json_object_set_new(obj, m, nv) ? nomem(err) : 0;
}

static int norm_complex(const struct model_user_prop *p, const json_t *v, const json_t *cur,
                        unsigned flags, json_t **out, struct lcw_error *err)
{
    const char *k;
    json_t *item;
    bool is_all_null = true;
    int rc = 0;

    if (!json_is_null(v) && !json_is_object(v))
        return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                    "Invalid value for property '%s': expected an object or null",
                                    p->name);
    /* Start from the current value so that a PATCH may set one member; null clears them. */
    *out = json_object();
    if (!*out)
        return nomem(err);
    for (const char *const *m = p->members; *m; m++) {
        json_t *c = json_is_object(cur) && json_is_object(v) ? json_object_get(cur, *m) : NULL;

        if (json_object_set(*out, *m, c ? c : json_null())) {
            rc = nomem(err);
            goto out;
        }
    }
    json_object_foreach (JSONX_MUT(v), k, item) {
        rc = set_member(*out, p, k, item, flags, err);
        if (rc)
            goto out;
    }
    /* employeeOrgData reads null when nothing is set, as in Graph. */
    for (const char *const *m = p->members; *m; m++)
        is_all_null = is_all_null && json_is_null(json_object_get(*out, *m));
    if (p->is_null_when_empty && is_all_null) {
        json_decref(*out);
        *out = json_null();
    }
out:
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int model_user_value_norm(const struct model_user_prop *p, const json_t *v, const json_t *cur,
                          unsigned flags, json_t **out, struct lcw_error *err)
{
    *out = NULL;
    if (!v)
        v = json_null();
    switch (p->kind) {
    case MODEL_USER_STRING:
        return norm_string(p->name, p->name, p->max_len, p->is_required, flags, v, out, err);
    case MODEL_USER_BOOL:
        if (!json_is_boolean(v))
            return lcw_error_set_target(err, LCW_EINVAL, p->name,
                                        "Invalid value for property '%s': expected true or false",
                                        p->name);
        *out = json_boolean(json_is_true(v));
        return 0;
    case MODEL_USER_DATE:
        return norm_date(p, v, flags, out, err);
    case MODEL_USER_STRINGS:
        return norm_strings(p, v, flags, out, err);
    case MODEL_USER_COMPLEX:
        return norm_complex(p, v, cur, flags, out, err);
    case MODEL_USER_READONLY:
    case MODEL_USER_NAV:
    case MODEL_USER_IGNORED:
        break;
    }
    return lcw_error_set(err, LCW_EINTERNAL, "property '%s' cannot be set", p->name);
}
