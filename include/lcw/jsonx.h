/* SPDX-License-Identifier: MIT */
/*
 * jsonx: jansson helpers. Decoding request bodies with limits and a message
 * that gives the position of a syntax error, typed getters, and the Graph
 * error envelope. Values are built and released within one thread.
 */
#ifndef LCW_JSONX_H
#define LCW_JSONX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lcw/common.h"

/*
 * jansson's iterators and json_object_set take non-const pointers even when
 * they only read (iteration) or take a new reference (set). JSONX_MUT marks
 * the places where a const value is passed to them for that reason only.
 */
#define JSONX_MUT(v) ((json_t *)(uintptr_t)(v))

/* Nesting depth allowed in a request body. */
#define JSONX_MAX_DEPTH 32

/*
 * Decode a request body that must be one JSON object. On failure returns
 * LCW_EINVAL with a message such as "Invalid JSON at line 1, column 14:
 * '}' expected", or "The request body must be a JSON object".
 */
int jsonx_decode_object(const char *data, size_t len, json_t **out, struct lcw_error *err);

/* Borrowed string of member `key`, or NULL when absent or not a string. */
const char *jsonx_str(const json_t *obj, const char *key);
/* Integer member or `dflt`. */
int64_t jsonx_int(const json_t *obj, const char *key, int64_t dflt);
/* Boolean member or `dflt`. */
bool jsonx_bool(const json_t *obj, const char *key, bool dflt);

/* Set `key` to a string copy of `value`, or JSON null when `value` is NULL. */
int jsonx_set_str(json_t *obj, const char *key, const char *value);
/* Set `key` to an RFC 3339 string of `ms`, or null when `ms` < 0 and nullable. */
int jsonx_set_time(json_t *obj, const char *key, int64_t ms, bool is_null);

/* Serialise compactly into an owned string (caller frees with lcw_free). */
char *jsonx_dump(const json_t *v);

/*
 * Build the Graph error envelope:
 * {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}
 * `client_request_id` may be NULL (then omitted). Returns a new reference.
 */
json_t *jsonx_graph_error(const char *code, const char *message, const char *request_id,
                          const char *client_request_id, int64_t now_ms);

/* Keep only the members named in `names` (and any "@odata.*" members). */
int jsonx_select(json_t *obj, const char *const *names, size_t n);

#endif /* LCW_JSONX_H */
