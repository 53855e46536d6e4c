/* SPDX-License-Identifier: MIT */
/*
 * model internals shared between the files of src/model: the validation
 * context that tracks the property path for error targets, and small typed
 * accessors over jansson values. Not for use outside src/model.
 */
#ifndef LCW_MODEL_MODEL_INT_H
#define LCW_MODEL_MODEL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lcw/common.h"
#include "lcw/model.h"

#define MODEL_NS       "microsoft.graph.identityGovernance."
#define MODEL_MAX_NAME 256  /* displayName, in characters */
#define MODEL_MAX_DESC 1024 /* description, in characters */
#define MODEL_PATH_MAX 160

/*
 * Validation context: the error sink and the current property path. The
 * path is a prefix like "tasks[2].arguments"; push appends a segment and
 * returns the previous length for pop.
 */
struct vctx {
    struct lcw_error *err;
    char path[MODEL_PATH_MAX];
    size_t path_len;
    const struct model_limits *lim;
};

void model__vctx_init(struct vctx *c, struct lcw_error *err, const struct model_limits *lim);
size_t model__push(struct vctx *c, const char *name);
size_t model__push_index(struct vctx *c, size_t i);
void model__pop(struct vctx *c, size_t old_len);

/* Fail at the current path: target = path, msg = "path: <fmt>". Returns LCW_EINVAL. */
int model__fail(struct vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fail at path.name. */
int model__fail_at(struct vctx *c, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Fail with a message that does not start with the path (target still set). */
int model__fail_plain(struct vctx *c, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Record LCW_ENOMEM. */
int model__nomem(struct vctx *c);

/*
 * Check the keys of `obj` against the allowed names. Keys in `readonly` (and
 * every annotation except "@odata.type") give "Property 'x' is read-only";
 * keys in `versioned` give "... cannot be updated with PATCH; use
 * createNewVersion"; anything else "Unknown property 'x' on <what>". Lists
 * are NULL-terminated; any may be NULL.
 */
int model__check_keys(struct vctx *c, const json_t *obj, const char *what,
                      const char *const *allowed, const char *const *readonly,
                      const char *const *versioned);

/*
 * Check `@odata.type` of `obj`, if present, names `type` (the short type
 * name, with or without "#" and with the namespace `ns`, case-insensitive).
 */
int model__check_odata_type(struct vctx *c, const json_t *obj, const char *ns, const char *type);

/*
 * Resolve `@odata.type` (required) of a polymorphic object against the
 * candidate short names (NULL-terminated) in namespace `ns`. On success
 * *out_index is the candidate's index.
 */
int model__poly_type(struct vctx *c, const json_t *obj, const char *ns,
                     const char *const *candidates, size_t *out_index);

/* Match a type string against "#<ns><short>" with optional '#', case-insensitive. */
bool model__type_matches(const char *given, const char *ns, const char *short_name);

/*
 * Typed getters. Each reads member `name` of `obj`; a missing member (or
 * null, where null is allowed) leaves the default. They fail with a typed
 * message at path.name.
 */
int model__get_bool(struct vctx *c, const json_t *obj, const char *name, bool dflt, bool *out);
int model__get_int(struct vctx *c, const json_t *obj, const char *name, bool required, int64_t min,
                   int64_t max, int64_t dflt, int64_t *out);
/*
 * A string member: `required` means present, non-null and not blank;
 * `nullable` lets null through (*out = NULL). max_chars counts UTF-8
 * characters (0 = no cap). `no_ctl` refuses control characters.
 */
int model__get_str(struct vctx *c, const json_t *obj, const char *name, bool required,
                   bool nullable, size_t max_chars, bool no_ctl, const char **out);

/* Number of UTF-8 code points in s (which jansson guarantees to be valid). */
size_t model__utf8_len(const char *s);

/* A user attribute name: letters, digits, '_' and '/' (employeeOrgData/costCenter). */
bool model__attribute_name_ok(const char *s);

/* True when s is only ASCII white space (or empty). */
bool model__is_blank(const char *s);

/* Set obj[key] to v (taken, may be NULL); LCW_ENOMEM on failure. */
int model__set(json_t *obj, const char *key, json_t *v);
/* Append v (taken, may be NULL) to arr; LCW_ENOMEM on failure. */
int model__append(json_t *arr, json_t *v);
/* A string value or JSON null for NULL. */
json_t *model__str_or_null(const char *s);

/* A validated, normalised quarantineConfiguration (or JSON null) in *out. */
int model__quarantine_config(struct vctx *c, const json_t *v, json_t **out);

/* A validated, normalised executionConditions in *out. */
int model__conditions(struct vctx *c, const json_t *v, json_t **out);

/* Validate and normalise one task's arguments for definition `d`. */
int model__task_arguments(struct vctx *c, const json_t *args, const struct model_task_def *d,
                          bool is_enabled, json_t **out);

#endif /* LCW_MODEL_MODEL_INT_H */
