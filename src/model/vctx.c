/* SPDX-License-Identifier: MIT */
/*
 * Validation plumbing for the model module: the property-path context used
 * for error targets, key checking (read-only, unknown, PATCH-forbidden),
 * `@odata.type` matching, and typed getters over jansson values. Pure; no
 * state beyond the caller's context.
 */
#include "model_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void model__vctx_init(struct vctx *c, struct lcw_error *err, const struct model_limits *lim)
{
    c->err = err;
    c->path[0] = '\0';
    c->path_len = 0;
    c->lim = lim;
}

static size_t push_raw(struct vctx *c, const char *seg, bool dot)
{
    size_t old = c->path_len;
    int n = snprintf(c->path + old, sizeof(c->path) - old, "%s%s", dot && old ? "." : "", seg);

    if (n < 0 || (size_t)n >= sizeof(c->path) - old)
        c->path_len = sizeof(c->path) - 1; /* truncated; still NUL-terminated */
    else
        c->path_len = old + (size_t)n;
    return old;
}

size_t model__push(struct vctx *c, const char *name)
{
    return push_raw(c, name, true);
}

size_t model__push_index(struct vctx *c, size_t i)
{
    char seg[32];

    (void)snprintf(seg, sizeof(seg), "[%zu]", i);
    return push_raw(c, seg, false);
}

void model__pop(struct vctx *c, size_t old_len)
{
    c->path_len = old_len;
    c->path[old_len] = '\0';
}

__attribute__((format(printf, 3, 0))) static int vfail(struct vctx *c, bool prefix, const char *fmt,
                                                       va_list ap)
{
    char msg[256];

    if (!c->err)
        return LCW_EINVAL;
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    if (prefix && c->path_len)
        return lcw_error_set_target(c->err, LCW_EINVAL, c->path, "%s: %s", c->path, msg);
    return lcw_error_set_target(c->err, LCW_EINVAL, c->path, "%s", msg);
}

int model__fail(struct vctx *c, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vfail(c, true, fmt, ap);
    va_end(ap);
    return rc;
}

int model__fail_at(struct vctx *c, const char *name, const char *fmt, ...)
{
    va_list ap;
    size_t old = model__push(c, name);
    int rc;

    va_start(ap, fmt);
    rc = vfail(c, true, fmt, ap);
    va_end(ap);
    model__pop(c, old);
    return rc;
}

int model__fail_plain(struct vctx *c, const char *name, const char *fmt, ...)
{
    va_list ap;
    size_t old = name ? model__push(c, name) : c->path_len;
    int rc;

    va_start(ap, fmt);
    rc = vfail(c, false, fmt, ap);
    va_end(ap);
    model__pop(c, old);
    return rc;
}

int model__nomem(struct vctx *c)
{
    return lcw_error_set_target(c->err, LCW_ENOMEM, c->path, "out of memory");
}

static bool in_list(const char *const *list, const char *key)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (strcmp(list[i], key) == 0)
            return true;
    }
    return false;
}

static const char *ci_match(const char *const *list, const char *key)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (lcw_str_eq_ci(list[i], key))
            return list[i];
    }
    return NULL;
}

/* jansson's iteration API takes a non-const object but only reads it. */
static json_t *unconst(const json_t *j)
{
    union {
        const json_t *c;
        json_t *m;
    } u = {.c = j};

    return u.m;
}

int model__check_keys(struct vctx *c, const json_t *obj, const char *what,
                      const char *const *allowed, const char *const *readonly,
                      const char *const *versioned)
{
    const char *key;
    json_t *v;
    size_t old;
    int rc = 0;

    json_object_foreach (unconst(obj), key, v) {
        (void)v;
        if (strcmp(key, "@odata.type") == 0 || in_list(allowed, key))
            continue;
        old = model__push(c, key);
        if (strchr(key, '@') || in_list(readonly, key)) {
            rc = model__fail_plain(c, NULL, "Property '%s' is read-only", c->path);
        } else if (in_list(versioned, key)) {
            rc = model__fail_plain(
                    c, NULL, "Property '%s' cannot be updated with PATCH; use createNewVersion",
                    c->path);
        } else {
            const char *hint = ci_match(allowed, key);
            char where[MODEL_PATH_MAX + 4];

            where[0] = '\0';
            if (old)
                (void)snprintf(where, sizeof(where), " (%.*s)", (int)old, c->path);
            if (hint)
                rc = model__fail_plain(c, NULL,
                                       "Unknown property '%s' on %s%s (did you mean '%s'?)", key,
                                       what, where, hint);
            else
                rc = model__fail_plain(c, NULL, "Unknown property '%s' on %s%s", key, what, where);
        }
        model__pop(c, old);
        return rc;
    }
    return 0;
}

bool model__type_matches(const char *given, const char *ns, const char *short_name)
{
    size_t ns_len = strlen(ns);

    if (given[0] == '#')
        given++;
    if (strncasecmp(given, ns, ns_len) != 0)
        return false;
    return lcw_str_eq_ci(given + ns_len, short_name);
}

int model__check_odata_type(struct vctx *c, const json_t *obj, const char *ns, const char *type)
{
    const json_t *t = json_object_get(obj, "@odata.type");

    if (!t)
        return 0;
    if (!json_is_string(t))
        return model__fail_at(c, "@odata.type", "expected a string");
    if (!model__type_matches(json_string_value(t), ns, type))
        return model__fail_at(c, "@odata.type", "must be '#%s%s' (got '%s')", ns, type,
                              json_string_value(t));
    return 0;
}

int model__poly_type(struct vctx *c, const json_t *obj, const char *ns,
                     const char *const *candidates, size_t *out_index)
{
    const json_t *t = json_object_get(obj, "@odata.type");
    char allowed[200];
    size_t used = 0;

    allowed[0] = '\0';
    for (size_t i = 0; candidates[i]; i++) {
        int n = snprintf(allowed + used, sizeof(allowed) - used, "%s%s", i ? ", " : "",
                         candidates[i]);
        if (n < 0 || (size_t)n >= sizeof(allowed) - used)
            break;
        used += (size_t)n;
    }
    if (!t || json_is_null(t))
        return model__fail_at(c, "@odata.type", "is required (one of %s, in namespace %s)", allowed,
                              ns);
    if (!json_is_string(t))
        return model__fail_at(c, "@odata.type", "expected a string");
    for (size_t i = 0; candidates[i]; i++) {
        if (model__type_matches(json_string_value(t), ns, candidates[i])) {
            *out_index = i;
            return 0;
        }
    }
    return model__fail_at(c, "@odata.type", "unsupported type '%s' (expected '#%s' + one of %s)",
                          json_string_value(t), ns, allowed);
}

int model__get_bool(struct vctx *c, const json_t *obj, const char *name, bool dflt, bool *out)
{
    const json_t *v = json_object_get(obj, name);

    if (!v) {
        *out = dflt;
        return 0;
    }
    if (!json_is_boolean(v))
        return model__fail_at(c, name, "expected a boolean (true or false)");
    *out = json_is_true(v);
    return 0;
}

int model__get_int(struct vctx *c, const json_t *obj, const char *name, bool required, int64_t min,
                   int64_t max, int64_t dflt, int64_t *out)
{
    const json_t *v = json_object_get(obj, name);
    json_int_t n;

    if (!v) {
        if (required)
            return model__fail_at(c, name, "is required");
        *out = dflt;
        return 0;
    }
    if (!json_is_integer(v))
        return model__fail_at(c, name, "expected an integer");
    n = json_integer_value(v);
    if (n < min || n > max)
        return model__fail_at(c, name, "must be between %lld and %lld (got %lld)", (long long)min,
                              (long long)max, (long long)n);
    *out = (int64_t)n;
    return 0;
}

size_t model__utf8_len(const char *s)
{
    size_t n = 0;

    for (; *s; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    }
    return n;
}

bool model__is_blank(const char *s)
{
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return false;
    }
    return true;
}

int model__get_str(struct vctx *c, const json_t *obj, const char *name, bool required,
                   bool nullable, size_t max_chars, bool no_ctl, const char **out)
{
    const json_t *v = json_object_get(obj, name);
    const char *s;
    size_t n;

    *out = NULL;
    if (!v || (json_is_null(v) && nullable && !required))
        return required ? model__fail_at(c, name, "is required") : 0;
    if (json_is_null(v) && required)
        return model__fail_at(c, name, "is required and cannot be null");
    if (!json_is_string(v))
        return model__fail_at(c, name, "expected a string");
    s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return model__fail_at(c, name, "must not contain NUL characters");
    if (required && model__is_blank(s))
        return model__fail_at(c, name, "must not be empty");
    if (max_chars && (n = model__utf8_len(s)) > max_chars)
        return model__fail_at(c, name, "must be at most %zu characters (got %zu)", max_chars, n);
    if (no_ctl) {
        for (const char *p = s; *p; p++) {
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return model__fail_at(c, name, "must not contain control characters");
        }
    }
    *out = s;
    return 0;
}

int model__set(json_t *obj, const char *key, json_t *v)
{
    /* json_object_set_new releases v on failure and refuses a NULL v. */
    return json_object_set_new(obj, key, v) ? LCW_ENOMEM : 0;
}

int model__append(json_t *arr, json_t *v)
{
    return json_array_append_new(arr, v) ? LCW_ENOMEM : 0;
}

json_t *model__str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}
