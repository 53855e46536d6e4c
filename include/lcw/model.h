/* SPDX-License-Identifier: MIT */
/*
 * model: the pure core of lcw's Lifecycle Workflows objects. It holds the
 * built-in catalogues (task definitions, workflow templates), the Graph enums
 * and every validation and normalisation rule for request bodies (workflows,
 * tasks, settings, custom task extensions, directory user properties).
 *
 * Everything here is pure: no I/O, no clock, no store, no threads, no global
 * mutable state, so every function may be called from any thread. Request
 * and stored documents are jansson values; functions never retain the
 * `const json_t *` they are given. On failure the validators return
 * LCW_EINVAL (or LCW_ENOMEM) and fill `err` (which may be NULL): `err->target`
 * is the property path ("tasks[2].arguments", "executionConditions.trigger.
 * offsetInDays", "" for the body itself) and `err->msg` a sentence a person
 * can act on, safe to show to API clients. The rules and their reasons are in
 * docs/internals/model.md.
 */
#ifndef LCW_MODEL_H
#define LCW_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lcw/common.h"

/* ------------------------------------------------------------------ enums */

/*
 * The Graph enumerations (spec section 2). Members are kept in Graph's order;
 * those after `unknownFutureValue` are "evolvable": Graph only returns them to
 * clients that send `Prefer: include-unknown-enum-members`.
 */
enum model_enum {
    MODEL_ENUM_WORKFLOW_CATEGORY,    /* lifecycleWorkflowCategory */
    MODEL_ENUM_TASK_CATEGORY,        /* lifecycleTaskCategory (flags) */
    MODEL_ENUM_PROCESSING_STATUS,    /* lifecycleWorkflowProcessingStatus */
    MODEL_ENUM_EXECUTION_TYPE,       /* workflowExecutionType */
    MODEL_ENUM_TIME_BASED_ATTRIBUTE, /* workflowTriggerTimeBasedAttribute */
    MODEL_ENUM_MEMBERSHIP_CHANGE,    /* membershipChangeType */
    MODEL_ENUM_VALUE_TYPE,           /* valueType */
    MODEL_ENUM_OPERATION_STATUS,     /* customTaskExtensionOperationStatus */
    MODEL_ENUM_REPLY_MODE,           /* customTaskExtensionReplyMode */
    MODEL_ENUM_TASK_SCOPE,           /* activationTaskScopeType */
    MODEL_ENUM_USER_SCOPE,           /* activationUserScopeType */
    MODEL_ENUM_SUBJECT_TYPE,         /* subjectType (flags) */
    MODEL_ENUM_MATCH_MODE,           /* matchMode */
    MODEL_ENUM_QUARANTINE_TYPE,      /* quarantineType */
    MODEL_ENUM__COUNT
};

/* The Graph name of the enum type ("lifecycleWorkflowCategory"). */
const char *model_enum_name(enum model_enum which);

/* Whether the enum is a flags enum (serialised "a,b,c"). */
bool model_enum_is_flags(enum model_enum which);

/* Number of members, and the i-th member in Graph order (NULL past the end). */
size_t model_enum_member_count(enum model_enum which);
const char *model_enum_member_at(enum model_enum which, size_t i);

/*
 * True when `value` is a member, compared exactly (case-sensitive, as stored
 * documents are canonical). For flags enums every comma-separated part must
 * be a member, with no empty parts, no spaces and no repeats.
 * `unknownFutureValue` itself is a member. NULL is never valid.
 */
bool model_enum_valid(enum model_enum which, const char *value);

/*
 * The canonical (static) spelling of a single member matched ASCII
 * case-insensitively ("Completed" -> "completed"), or NULL when it is not a
 * member. Use it on input: Graph accepts enum members in any case. Flags
 * enums: only single members are looked up here.
 */
const char *model_enum_canonical(enum model_enum which, const char *value);

/* True when the single member `value` comes after `unknownFutureValue`. */
bool model_enum_is_evolvable(enum model_enum which, const char *value);

/*
 * What to put on the wire for a stored enum value. With include_unknown (the
 * client sent `Prefer: include-unknown-enum-members`) or for a non-evolvable
 * value this returns `value` itself (borrowed from the caller). Otherwise an
 * evolvable member becomes the static string "unknownFutureValue"; for flags
 * enums each evolvable part is replaced and the parts merged, so
 * "joiner,leaver,mover" becomes "joiner,leaver,unknownFutureValue" (static).
 * Values that are not valid are returned unchanged.
 */
const char *model_enum_output(enum model_enum which, const char *value, bool include_unknown);

/* Bit masks of lifecycleTaskCategory / lifecycleWorkflowCategory members. */
enum model_category_flags {
    MODEL_CAT_JOINER = 1u << 0,
    MODEL_CAT_LEAVER = 1u << 1,
    MODEL_CAT_MOVER = 1u << 2,
    MODEL_CAT_EXTENSIBILITY = 1u << 3,
};

/*
 * Parse a (flags) category string such as "joiner,leaver" into
 * enum model_category_flags bits. Members are matched case-insensitively;
 * `unknownFutureValue` contributes no bit. LCW_EINVAL for anything else.
 */
int model_category_parse(const char *s, unsigned *out_flags);

/* ------------------------------------------------------- task definitions */

enum model_value_type {
    MODEL_VALUE_ENUM,   /* "enum": value must be one of `values` */
    MODEL_VALUE_STRING, /* "string": free text, `values` are the documented forms */
    MODEL_VALUE_INT,    /* "int" */
    MODEL_VALUE_BOOL,   /* "bool" */
};

/* A taskDefinition parameter (Graph `parameter`). All fields are static. */
struct model_task_param {
    const char *name;           /* Graph argument name, e.g. "groupID" */
    const char *const *values;  /* NULL-terminated; may be empty */
    enum model_value_type type; /* Graph valueType */
    bool is_required;           /* must be given (non-empty) on an enabled task */
};

/* A built-in taskDefinition (spec section 8). All fields are static. */
struct model_task_def {
    const char *id;           /* canonical spelling; compare case-insensitively */
    const char *display_name; /* catalogue name, e.g. "Add user to groups" */
    const char *description;  /* one sentence */
    const char *category;     /* flags string, e.g. "joiner,leaver,mover" */
    unsigned categories;      /* enum model_category_flags of `category` */
    bool continue_on_error;   /* default for new tasks (always false) */
    int version;              /* catalogue version (1) */
    const struct model_task_param *params;
    size_t param_count;
};

/* Well-known definition ids used by other modules. */
#define MODEL_TASKDEF_CUSTOM_EXTENSION "4262b724-8dba-4fad-afc3-43fcbb497a0e"
#define MODEL_TASKDEF_GENERATE_TAP     "1b555e50-7f65-41d5-b514-5894a026d10d"
#define MODEL_TASKDEF_UPDATE_ATTRS     "2c8f4a1b-7d3e-4f9c-8a5b-6e1d2c3f4a5b"

/* Number of built-in definitions (26: Graph's 25 plus "Update user attributes"). */
size_t model_task_definition_count(void);

/* The i-th definition in catalogue order, or NULL past the end. Static. */
const struct model_task_def *model_task_definition_at(size_t i);

/* Look a definition up by id, ASCII case-insensitively. NULL if unknown. Static. */
const struct model_task_def *model_task_definition_find(const char *id);

/* Look a parameter of `d` up by name, case-insensitively. NULL if none. */
const struct model_task_param *model_task_param_find(const struct model_task_def *d,
                                                     const char *name);

/*
 * The Graph taskDefinition JSON of `d`: {id, category, continueOnError,
 * description, displayName, parameters[{name, values, valueType}], version}.
 * The category is the stored value; apply model_enum_output for output.
 * Caller owns the result; NULL on allocation failure.
 */
json_t *model_task_definition_to_json(const struct model_task_def *d);

/* -------------------------------------------------------------- templates */

/* Number of workflow templates (10). */
size_t model_template_count(void);

/* The id of the i-th template, or NULL past the end. Static. */
const char *model_template_id(size_t i);

/* Find a template by id (case-insensitive): 0 and *out_index, or LCW_ENOTFOUND. */
int model_template_find(const char *id, size_t *out_index);

/*
 * The Graph workflowTemplate JSON of the i-th template: {id, category,
 * description, displayName, executionConditions, tasks[...]} with tasks in
 * Graph task shape (arguments, category, continueOnError, description,
 * displayName, executionSequence, id, isEnabled, taskDefinitionId). The
 * caller adds `tasks@odata.context` if it wants it. Caller owns the result;
 * NULL on allocation failure or when i is out of range.
 */
json_t *model_template_to_json(size_t i);

/* ---------------------------------------------------- workflow validation */

/* Tunable limits (spec section 9). */
struct model_limits {
    int max_tasks;       /* tasks per workflow; default 25 */
    int min_offset_days; /* timeBasedAttributeTrigger.offsetInDays; default -180 */
    int max_offset_days; /* default 180 */
};

/* Fill `l` with the Graph defaults. */
void model_limits_default(struct model_limits *l);

/*
 * Validate a POST /workflows body and build the normalised workflow document
 * in *out (caller owns; NULL on failure). The document holds exactly the
 * client-settable properties, in this order: category, displayName,
 * description (null if absent), isEnabled (default true),
 * isSchedulingEnabled (default false), targetSubjectType ("user"),
 * executionConditions (with canonical `@odata.type`s), settings (null if
 * absent), tasks. Each task is {id, displayName, description, category (from
 * the definition), continueOnError (default false), isEnabled (default true),
 * executionSequence (1..n in array order), taskDefinitionId (canonical
 * spelling), arguments [{name, value}]}. Task ids are kept when given (they
 * must be GUIDs, unique; lower-cased) and otherwise fresh UUID v4s. Enum
 * values are accepted in any case and stored canonically.
 *
 * Read-only properties (id, version, createdDateTime, ... and any annotation
 * other than a matching `@odata.type`) and unknown properties are rejected.
 * `lim` may be NULL for the defaults. The rule's OData syntax is NOT checked
 * here (the api layer does that with the odata module).
 * Returns 0, LCW_EINVAL or LCW_ENOMEM.
 */
int model_workflow_from_create(const json_t *body, const struct model_limits *lim, json_t **out,
                               struct lcw_error *err);

/*
 * createNewVersion: `body` is {"workflow": {...}}; the inner workflow obeys
 * the same rules as model_workflow_from_create and the result has the same
 * shape. Error targets are prefixed with "workflow.".
 */
int model_workflow_from_new_version(const json_t *body, const struct model_limits *lim,
                                    json_t **out, struct lcw_error *err);

/*
 * PATCH /workflows/{id}: `body` may change only displayName, description,
 * isEnabled and isSchedulingEnabled. tasks, executionConditions, category,
 * settings and targetSubjectType are refused with a pointer to
 * createNewVersion; read-only and unknown properties are refused. The result
 * *out is a deep copy of `current` (every property kept) with the changes
 * applied; isSchedulingEnabled=true needs isEnabled=true (and is refused for
 * onDemandExecutionOnly workflows) on the merged document.
 */
int model_workflow_patch(const json_t *current, const json_t *body, json_t **out,
                         struct lcw_error *err);

/*
 * PATCH /workflows/{id}/tasks/{taskId}: only displayName and description.
 * *out is a deep copy of `current_task` with the changes applied.
 */
int model_task_patch(const json_t *current_task, const json_t *body, json_t **out,
                     struct lcw_error *err);

/* ---------------------------------------------------------------- settings */

/*
 * The lifecycleManagementSettings defaults: {workflowScheduleIntervalInHours:
 * 3, emailSettings: {senderDomain: null, useCompanyBranding: false},
 * quarantineConfiguration: null, historyRetentionInDays: 90}. Caller owns;
 * NULL on allocation failure. `id` is the api layer's business.
 */
json_t *model_settings_default(void);

/*
 * PATCH /settings. Accepted: workflowScheduleIntervalInHours (1..24),
 * emailSettings {senderDomain (DNS name or null), useCompanyBranding}
 * (merged member by member), quarantineConfiguration (replaced; null
 * clears), and lcw's extension historyRetentionInDays (0 = keep forever,
 * else 1..36500). *out is a copy of `current` with the changes.
 */
int model_settings_patch(const json_t *current, const json_t *body, json_t **out,
                         struct lcw_error *err);

/* ------------------------------------------------- custom task extensions */

/*
 * Validate a POST /customTaskExtensions body and build the normalised
 * document: {displayName, description, endpointConfiguration,
 * authenticationConfiguration, clientConfiguration (defaults
 * timeoutInMilliseconds 1000, maximumRetries 1), callbackConfiguration (or
 * null), replyMode (default "callback" with a callbackConfiguration, else
 * "none")}. Uniqueness of displayName is the caller's job. The document
 * keeps a `#lcw.sharedSecretAuthentication` secret: pass it through
 * model_extension_redact before output.
 */
int model_extension_from_create(const json_t *body, json_t **out, struct lcw_error *err);

/*
 * PATCH /customTaskExtensions/{id}: displayName, description,
 * endpointConfiguration, authenticationConfiguration, clientConfiguration,
 * callbackConfiguration, replyMode. Complex values are replaced whole. A
 * shared-secret authenticationConfiguration without `secret` keeps the
 * current secret when the current one is also shared-secret.
 */
int model_extension_patch(const json_t *current, const json_t *body, json_t **out,
                          struct lcw_error *err);

/* A deep copy of an extension document without write-only secrets. NULL on ENOMEM. */
json_t *model_extension_redact(const json_t *doc);

/*
 * Parse an ISO 8601 duration limited to exact units: "P[nW][nD][T[nH][nM][n[.f]S]]"
 * (years and months are refused as they have no fixed length; fractions only
 * on seconds, to the millisecond). Letters are case-insensitive. 0 and
 * *out_ms, or LCW_EINVAL (also on overflow or an empty duration like "P" or "PT").
 */
int model_iso8601_duration_parse(const char *s, int64_t *out_ms);

/* -------------------------------------------------------- user properties */

/*
 * The properties of a directory user (microsoft.graph.user as lcw stores
 * it) and their value rules: the one table both the api's /users handlers
 * and the embedded directory's dir_user_update (the "Update user
 * attributes" task) use. Order is the order a stored user lists them in;
 * lengths are Graph's limits.
 */
enum model_user_kind {
    MODEL_USER_STRING,   /* string or null; "" is stored as null */
    MODEL_USER_BOOL,     /* true or false, never null */
    MODEL_USER_DATE,     /* RFC 3339 string or null, stored normalised to UTC */
    MODEL_USER_STRINGS,  /* array of non-empty strings; null means [] */
    MODEL_USER_COMPLEX,  /* object of nullable strings, merged member by member */
    MODEL_USER_READONLY, /* read-only: refused in a body */
    MODEL_USER_NAV,      /* a relationship with its own route: refused in a body */
    MODEL_USER_IGNORED,  /* the api accepts and drops it (Graph compatibility) */
};

/* One user property. All fields are static. */
struct model_user_prop {
    const char *name;           /* canonical spelling; compare case-insensitively */
    enum model_user_kind kind;  /* what a value is */
    unsigned max_len;           /* characters of a string, of each item or of each member */
    unsigned max_items;         /* MODEL_USER_STRINGS */
    bool is_required;           /* never null or empty */
    bool is_null_when_empty;    /* MODEL_USER_COMPLEX: reads null when every member is */
    const char *const *members; /* MODEL_USER_COMPLEX: canonical names, NULL-terminated */
    /*
     * NULL when the attributes task may set the property; otherwise why it
     * may not, as a clause for its error message ("use the license tasks").
     * Set on every kind the task cannot write (BOOL, READONLY, NAV).
     */
    const char *task_owner;
};

/* Number of user properties (36). */
size_t model_user_prop_count(void);

/* The i-th user property in stored order, or NULL past the end. Static. */
const struct model_user_prop *model_user_prop_at(size_t i);

/*
 * Look a property up by the `len` bytes at `name` (no NUL needed), ASCII
 * case-insensitively. NULL if there is none. Static.
 */
const struct model_user_prop *model_user_prop_find(const char *name, size_t len);

/* True for the kinds that hold data (STRING, BOOL, DATE, STRINGS, COMPLEX). */
bool model_user_prop_is_data(const struct model_user_prop *p);

/* Equal user values, where a missing value (NULL) equals JSON null. */
bool model_user_value_same(const json_t *a, const json_t *b);

/*
 * How model_user_value_norm reads a value. 0 is the api's PATCH /users;
 * MODEL_USER_NORM_TASK is dir_user_update, whose values come from task
 * arguments (strings) and whose errors name complex members.
 */
enum model_user_norm_flags {
    /* A string with an embedded NUL is refused ("expected a string"), not cut at the NUL. */
    MODEL_USER_NORM_REFUSE_NUL = 1u << 0,
    /* "" for a date means null (without it, "" is not a date). */
    MODEL_USER_NORM_EMPTY_DATE_NULL = 1u << 1,
    /* A string for a collection is a one-item list ("" the empty list). */
    MODEL_USER_NORM_STRING_AS_LIST = 1u << 2,
    /*
     * A bad member of a complex value fails at target "prop/member" with
     * what is wrong with it. Without it any member that cannot be stored
     * (even for want of memory, as PATCH /users always reported it) gives
     * LCW_EINVAL "expected a string of at most N characters, or null", and
     * every member error targets "prop".
     */
    MODEL_USER_NORM_MEMBER_ERRORS = 1u << 3,
    MODEL_USER_NORM_TASK = MODEL_USER_NORM_REFUSE_NUL | MODEL_USER_NORM_EMPTY_DATE_NULL |
                           MODEL_USER_NORM_STRING_AS_LIST | MODEL_USER_NORM_MEMBER_ERRORS,
};

/*
 * Validate request value `v` (NULL counts as JSON null) for property `p` and
 * build its normalised stored value in *out (new reference; NULL on
 * failure). `cur` is the stored value (may be NULL): an object for a
 * complex property is merged into it member by member, member names matched
 * case-insensitively; null clears every member. `flags` are enum
 * model_user_norm_flags. Strings: "" is null; required properties refuse
 * both; lengths count UTF-8 characters; userPrincipalName and mail must be
 * alias@domain; userType is Member or Guest (any case, stored canonical);
 * usageLocation is two letters, stored upper case. Dates go through
 * timefmt_parse/timefmt_format.
 *
 * Returns 0, LCW_EINVAL (err->target is the property, or "prop/member"
 * with MODEL_USER_NORM_MEMBER_ERRORS; err->msg is Graph-style, e.g.
 * "Invalid value for property 'mail': longer than 256 characters"),
 * LCW_ENOMEM, or LCW_EINTERNAL for a kind that holds no data.
 */
int model_user_value_norm(const struct model_user_prop *p, const json_t *v, const json_t *cur,
                          unsigned flags, json_t **out, struct lcw_error *err);

#endif /* LCW_MODEL_H */
