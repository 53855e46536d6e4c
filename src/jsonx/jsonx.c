/* SPDX-License-Identifier: MIT */
/*
 * jansson helpers used by the api layer and the store: bounded decoding,
 * typed access, Graph error bodies and $select. No global state.
 */
#include "lcw/jsonx.h"

#include <string.h>

/* Depth of nesting, to refuse bodies that would make recursion deep. */
static size_t json_depth(json_t *v, size_t limit)
{
    size_t best = 0;

    if (limit == 0)
        return 1;
    if (json_is_object(v)) {
        const char *k;
        json_t *m;

        json_object_foreach (v, k, m) {
            size_t d = json_depth(m, limit - 1);

            if (d > best)
                best = d;
        }
        return best + 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *m;

        json_array_foreach (v, i, m) {
            size_t d = json_depth(m, limit - 1);

            if (d > best)
                best = d;
        }
        return best + 1;
    }
    return 0;
}

int jsonx_decode_object(const char *data, size_t len, json_t **out, struct lcw_error *err)
{
    json_error_t jerr;
    json_t *v;

    *out = NULL;
    if (len == 0)
        return lcw_error_set(err, LCW_EINVAL,
                             "The request body is empty; a JSON object is required");
    v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return lcw_error_set(err, LCW_ENOMEM, "out of memory");
        return lcw_error_set(err, LCW_EINVAL, "Invalid JSON at line %d, column %d: %s", jerr.line,
                             jerr.column, jerr.text);
    }
    if (!json_is_object(v)) {
        json_decref(v);
        return lcw_error_set(err, LCW_EINVAL, "The request body must be a JSON object");
    }
    if (json_depth(v, JSONX_MAX_DEPTH + 1) > JSONX_MAX_DEPTH) {
        json_decref(v);
        return lcw_error_set(err, LCW_EINVAL, "The request body is nested more than %d levels deep",
                             JSONX_MAX_DEPTH);
    }
    *out = v;
    return 0;
}

const char *jsonx_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

int64_t jsonx_int(const json_t *obj, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(obj, key);

    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

bool jsonx_bool(const json_t *obj, const char *key, bool dflt)
{
    json_t *v = json_object_get(obj, key);

    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

int jsonx_set_str(json_t *obj, const char *key, const char *value)
{
    json_t *v = value ? json_string(value) : json_null();

    if (!v || json_object_set_new(obj, key, v))
        return LCW_ENOMEM;
    return 0;
}

int jsonx_set_time(json_t *obj, const char *key, int64_t ms, bool is_null)
{
    char ts[TIMEFMT_LEN];

    return jsonx_set_str(obj, key, is_null ? NULL : timefmt_format(ms, ts));
}

char *jsonx_dump(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_free_t free_fn;
    char *copy;

    /* json_dumps allocates with jansson's allocator, which is lcw_malloc once
     * installed but plain malloc in tools that never install it; copy so the
     * caller's rule is always lcw_free. */
    if (!s)
        return NULL;
    copy = lcw_strdup(s);
    json_get_alloc_funcs(NULL, &free_fn);
    free_fn(s);
    return copy;
}

json_t *jsonx_graph_error(const char *code, const char *message, const char *request_id,
                          const char *client_request_id, int64_t now_ms)
{
    char ts[TIMEFMT_LEN];
    json_t *inner, *err;

    timefmt_format(now_ms, ts);
    inner = json_pack("{s:s, s:s}", "date", ts, "request-id", request_id ? request_id : "");
    if (inner && client_request_id)
        json_object_set_new(inner, "client-request-id", json_string(client_request_id));
    err = json_pack("{s:{s:s, s:s, s:o*}}", "error", "code", code, "message", message, "innerError",
                    inner);
    return err;
}

int jsonx_select(json_t *obj, const char *const *names, size_t n)
{
    const char *k;
    json_t *v;
    void *tmp;

    json_object_foreach_safe (obj, tmp, k, v) {
        bool keep = strncmp(k, "@odata.", 7) == 0;

        for (size_t i = 0; i < n && !keep; i++) {
            if (lcw_str_eq_ci(k, names[i]))
                keep = true;
        }
        if (!keep && json_object_del(obj, k))
            return LCW_EINTERNAL;
    }
    return 0;
}
