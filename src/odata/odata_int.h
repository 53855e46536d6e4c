/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the files of the odata module; not exported.
 */
#ifndef LCW_ODATA_ODATA_INT_H
#define LCW_ODATA_ODATA_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "lcw/odata.h"

/* Cap on generated SQL text; a maximal $filter compiles to well under this. */
#define ODATA_SQL_MAX ((size_t)256 * 1024)

/* The name a user wrote for a comparison operator or function ("eq", "startswith"). */
const char *odata__cmp_name(enum odata_cmp c);
const char *odata__func_name(enum odata_func f);

/* The property named `name` (ASCII case-insensitive), or NULL. */
const struct odata_property *odata__prop_find(const struct odata_entity *ent, const char *name,
                                              size_t len);

/*
 * Resolve the property a path refers to, following range variables through
 * `lambda_props` (the collection property of each enclosing lambda, level 0
 * first). Writes the resolved name to `name` (for messages) and returns the
 * property or NULL if unknown.
 */
const struct odata_property *odata__path_prop(const struct odata_entity *ent,
                                              const struct odata_path *path,
                                              const struct odata_property *const *lambda_props,
                                              char *name, size_t name_size);

/*
 * Convert a literal for a property of type `t`: accepts the literal types
 * documented in docs/internals/odata.md (a quoted RFC 3339 string for a
 * datetime, a quoted GUID for a GUID, ...). On success *is_int and *i say whether
 * the value is an integer (*is_int, *i) or text (the literal's s). Returns
 * false if the literal does not fit.
 */
bool odata__lit_fits(enum odata_type t, const struct odata_literal *lit, bool *is_int, int64_t *i);

/* A short description of a literal for messages ("'abc'", "42", "true"). */
void odata__lit_describe(const struct odata_literal *lit, char *out, size_t size);

/* What a value of type t looks like, for messages ("a Boolean (true or false)"). */
const char *odata__type_expect(enum odata_type t);

#endif /* LCW_ODATA_ODATA_INT_H */
