/* SPDX-License-Identifier: MIT */
/*
 * The Graph enumerations of the identityGovernance namespace (spec section 2):
 * membership, canonical spelling, and the `unknownFutureValue` substitution
 * for evolvable members. Static tables only; thread-safe.
 */
#include "lcw/model.h"

#include <string.h>

#include "model_int.h"

#define UFV "unknownFutureValue"

struct enum_desc {
    const char *name;
    const char *const *members; /* NULL-terminated, Graph order */
    bool is_flags;
    /*
     * Flags enums only: the output strings after substitution, indexed by the
     * bit mask of the non-evolvable members (bit i = member i).
     */
    const char *const *flag_outputs;
};

static const char *const workflow_category[] = {"joiner", "leaver",        UFV,
                                                "mover",  "extensibility", NULL};
static const char *const processing_status[] = {
        "queued",   "inProgress", "completed", "completedWithErrors",
        "canceled", "failed",     UFV,         NULL};
static const char *const execution_type[] = {
        "scheduled", "onDemand", UFV, "activatedWithScope", "preview", "extensibilityOnDemand",
        NULL};
static const char *const time_based_attribute[] = {"employeeHireDate", "employeeLeaveDateTime", UFV,
                                                   "createdDateTime", NULL};
static const char *const membership_change[] = {"add", "remove", UFV, NULL};
static const char *const value_type[] = {"enum", "string", "int", "bool", UFV, NULL};
static const char *const operation_status[] = {"completed", "failed", UFV, NULL};
static const char *const reply_mode[] = {"none", "callback", "response", UFV, NULL};
static const char *const task_scope[] = {"allTasks", "failedTasks", UFV, NULL};
static const char *const user_scope[] = {"allUsers", "failedUsers", UFV, NULL};
static const char *const subject_type[] = {"user", UFV, "provisioningObject", NULL};
static const char *const match_mode[] = {"any", "all", UFV, NULL};
static const char *const quarantine_type[] = {"notQuarantined",
                                              "countBasedThresholdExceeded",
                                              "percentageBasedThresholdExceeded",
                                              "multipleConditionsExceeded",
                                              UFV,
                                              NULL};

/* Masks over joiner(1), leaver(2), unknownFutureValue(4). */
static const char *const task_category_out[] = {
        "",
        "joiner",
        "leaver",
        "joiner,leaver",
        UFV,
        "joiner,unknownFutureValue",
        "leaver,unknownFutureValue",
        "joiner,leaver,unknownFutureValue",
};
/* Masks over user(1), unknownFutureValue(2). */
static const char *const subject_type_out[] = {"", "user", UFV, "user,unknownFutureValue"};

static const struct enum_desc enums[MODEL_ENUM__COUNT] = {
        [MODEL_ENUM_WORKFLOW_CATEGORY] = {"lifecycleWorkflowCategory", workflow_category, false,
                                          NULL},
        [MODEL_ENUM_TASK_CATEGORY] = {"lifecycleTaskCategory", workflow_category, true,
                                      task_category_out},
        [MODEL_ENUM_PROCESSING_STATUS] = {"lifecycleWorkflowProcessingStatus", processing_status,
                                          false, NULL},
        [MODEL_ENUM_EXECUTION_TYPE] = {"workflowExecutionType", execution_type, false, NULL},
        [MODEL_ENUM_TIME_BASED_ATTRIBUTE] = {"workflowTriggerTimeBasedAttribute",
                                             time_based_attribute, false, NULL},
        [MODEL_ENUM_MEMBERSHIP_CHANGE] = {"membershipChangeType", membership_change, false, NULL},
        [MODEL_ENUM_VALUE_TYPE] = {"valueType", value_type, false, NULL},
        [MODEL_ENUM_OPERATION_STATUS] = {"customTaskExtensionOperationStatus", operation_status,
                                         false, NULL},
        [MODEL_ENUM_REPLY_MODE] = {"customTaskExtensionReplyMode", reply_mode, false, NULL},
        [MODEL_ENUM_TASK_SCOPE] = {"activationTaskScopeType", task_scope, false, NULL},
        [MODEL_ENUM_USER_SCOPE] = {"activationUserScopeType", user_scope, false, NULL},
        [MODEL_ENUM_SUBJECT_TYPE] = {"subjectType", subject_type, true, subject_type_out},
        [MODEL_ENUM_MATCH_MODE] = {"matchMode", match_mode, false, NULL},
        [MODEL_ENUM_QUARANTINE_TYPE] = {"quarantineType", quarantine_type, false, NULL},
};

static const struct enum_desc *desc_of(enum model_enum which)
{
    if ((unsigned)which >= MODEL_ENUM__COUNT)
        return NULL;
    return &enums[which];
}

const char *model_enum_name(enum model_enum which)
{
    const struct enum_desc *d = desc_of(which);

    return d ? d->name : "";
}

bool model_enum_is_flags(enum model_enum which)
{
    const struct enum_desc *d = desc_of(which);

    return d && d->is_flags;
}

size_t model_enum_member_count(enum model_enum which)
{
    const struct enum_desc *d = desc_of(which);
    size_t n = 0;

    while (d && d->members[n])
        n++;
    return n;
}

const char *model_enum_member_at(enum model_enum which, size_t i)
{
    if (i >= model_enum_member_count(which))
        return NULL;
    return enums[which].members[i];
}

/* Index of the member spelled s[0..len) (exactly or case-insensitively), or -1. */
static int member_index(const struct enum_desc *d, const char *s, size_t len, bool ci)
{
    for (int i = 0; d->members[i]; i++) {
        const char *m = d->members[i];

        if (strlen(m) != len)
            continue;
        if (ci ? strv_eq_ci((struct strv){s, len}, m) : memcmp(m, s, len) == 0)
            return i;
    }
    return -1;
}

static int ufv_index(const struct enum_desc *d)
{
    return member_index(d, UFV, strlen(UFV), false);
}

/*
 * Walk a flags value: fills *mask with bit i for member i. Returns false on
 * an empty part, an unknown member or a repeat.
 */
static bool flags_mask(const struct enum_desc *d, const char *value, bool ci, unsigned *mask)
{
    const char *p = value;

    *mask = 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int i = member_index(d, p, len, ci);

        if (len == 0 || i < 0 || (*mask & (1u << i)))
            return false;
        *mask |= 1u << i;
        if (!comma)
            return true;
        p = comma + 1;
    }
}

bool model_enum_valid(enum model_enum which, const char *value)
{
    const struct enum_desc *d = desc_of(which);
    unsigned mask;

    if (!d || !value)
        return false;
    if (d->is_flags)
        return flags_mask(d, value, false, &mask);
    return member_index(d, value, strlen(value), false) >= 0;
}

const char *model_enum_canonical(enum model_enum which, const char *value)
{
    const struct enum_desc *d = desc_of(which);
    int i;

    if (!d || !value)
        return NULL;
    i = member_index(d, value, strlen(value), true);
    return i < 0 ? NULL : d->members[i];
}

bool model_enum_is_evolvable(enum model_enum which, const char *value)
{
    const struct enum_desc *d = desc_of(which);
    int i;

    if (!d || !value)
        return false;
    i = member_index(d, value, strlen(value), false);
    return i >= 0 && i > ufv_index(d);
}

const char *model_enum_output(enum model_enum which, const char *value, bool include_unknown)
{
    const struct enum_desc *d = desc_of(which);
    unsigned mask, stable, ufv_bit;
    int ufv;

    if (!d || !value || include_unknown)
        return value;
    ufv = ufv_index(d);
    if (!d->is_flags)
        return model_enum_is_evolvable(which, value) ? UFV : value;
    if (!flags_mask(d, value, false, &mask))
        return value;
    ufv_bit = 1u << ufv;
    stable = mask & ((ufv_bit << 1) - 1);
    if (stable == mask)
        return value;
    return d->flag_outputs[stable | ufv_bit];
}

int model_category_parse(const char *s, unsigned *out_flags)
{
    const struct enum_desc *d = &enums[MODEL_ENUM_TASK_CATEGORY];
    static const unsigned bit_of[] = {MODEL_CAT_JOINER, MODEL_CAT_LEAVER, 0, MODEL_CAT_MOVER,
                                      MODEL_CAT_EXTENSIBILITY};
    unsigned mask;

    *out_flags = 0;
    if (!s || !flags_mask(d, s, true, &mask))
        return LCW_EINVAL;
    for (unsigned i = 0; i < sizeof(bit_of) / sizeof(bit_of[0]); i++) {
        if (mask & (1u << i))
            *out_flags |= bit_of[i];
    }
    return 0;
}
