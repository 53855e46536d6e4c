/* SPDX-License-Identifier: MIT */
/*
 * The built-in task definition catalogue (spec section 8): Graph's 25 v1.0
 * taskDefinitions with their exact ids and parameters, plus lcw's "Update
 * user attributes". Static data and its Graph JSON form; thread-safe.
 */
#include "lcw/model.h"

#include <string.h>

#include "model_int.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const no_values[] = {NULL};
static const char *const bool_values[] = {"true", "false", NULL};
static const char *const to_values[] = {"User", "Manager", "Sponsors", "{UserId}", NULL};
static const char *const tap_to_values[] = {
        "User",
        "Manager",
        "Sponsors",
        "{UserId}",
        "User/otherMails",
        "User/customSecurityAttributes/{attributeSet}/{attributeName}",
        "User/{directoryExtensionAttribute}",
        "User/onPremisesExtensionAttributes/{extensionAttribute[1-15]}",
        NULL};

#define STR_PARAM(n, req)                     \
    {                                         \
        n, no_values, MODEL_VALUE_STRING, req \
    }
#define BOOL_PARAM(n)                           \
    {                                           \
        n, bool_values, MODEL_VALUE_ENUM, false \
    }
#define EMAIL_PARAMS(to_v)                                                                     \
    STR_PARAM("cc", false), STR_PARAM("customSubject", false), STR_PARAM("customBody", false), \
            STR_PARAM("locale", false),                                                        \
    {                                                                                          \
        "to", to_v, MODEL_VALUE_STRING, false                                                  \
    }

static const struct model_task_param p_email[] = {EMAIL_PARAMS(to_values)};
static const struct model_task_param p_tap[] = {
        STR_PARAM("tapLifetimeMinutes", false),
        BOOL_PARAM("tapIsUsableOnce"),
        EMAIL_PARAMS(tap_to_values),
};
static const struct model_task_param p_group[] = {STR_PARAM("groupID", true)};
static const struct model_task_param p_team[] = {STR_PARAM("teamID", true)};
static const struct model_task_param p_enable[] = {BOOL_PARAM("enableOnPremisesAccount")};
static const struct model_task_param p_disable[] = {BOOL_PARAM("disableOnPremisesAccount")};
static const struct model_task_param p_delete[] = {BOOL_PARAM("deleteOnPremisesAccount")};
static const struct model_task_param p_cte[] = {STR_PARAM("customTaskExtensionID", true)};
static const struct model_task_param p_ap_request[] = {STR_PARAM("assignmentPolicyId", true),
                                                       STR_PARAM("accessPackageId", true)};
static const struct model_task_param p_ap_remove[] = {STR_PARAM("accessPackageId", true)};
static const struct model_task_param p_licenses[] = {STR_PARAM("licenses", true)};
static const struct model_task_param p_attrs[] = {STR_PARAM("attributes", true)};

#define J MODEL_CAT_JOINER
#define L MODEL_CAT_LEAVER
#define M MODEL_CAT_MOVER
#define DEF(id, name, desc, cat, bits, params)                         \
    {                                                                  \
        id, name, desc, cat, bits, false, 1, params, ARRAY_LEN(params) \
    }
#define DEF0(id, name, desc, cat, bits)              \
    {                                                \
        id, name, desc, cat, bits, false, 1, NULL, 0 \
    }

/* clang-format off */
static const struct model_task_def defs[] = {
    DEF("70b29d51-b59a-4773-9280-8841dfd3f2ea", "Send welcome email",
        "Send a welcome email to the new hire.", "joiner", J, p_email),
    DEF("3C860712-2D37-42A4-928F-5C93935D26A1", "Send onboarding reminder email",
        "Send an onboarding reminder email to the user's manager before the user's first day.", "joiner", J, p_email),
    DEF("1b555e50-7f65-41d5-b514-5894a026d10d", "Generate TAP and send email",
        "Generate a Temporary Access Pass for the new hire and send it by email, to the user's manager by default.", "joiner", J, p_tap),
    DEF("22085229-5809-45e8-97fd-270d28d66910", "Add user to groups",
        "Add the user to the selected groups.", "joiner,leaver,mover", J | L | M, p_group),
    DEF("e440ed8d-25a1-4618-84ce-091ed5be5594", "Add user to Teams",
        "Add the user to the selected Teams.", "joiner,leaver,mover", J | L | M, p_team),
    DEF("6fc52c9d-398b-4305-9763-15f42c1676fc", "Enable user account",
        "Enable the user's account in the directory, and optionally the synchronised on-premises account.", "joiner,leaver", J | L, p_enable),
    DEF("1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950", "Disable user account",
        "Disable the user's account in the directory, and optionally the synchronised on-premises account.", "joiner,leaver", J | L, p_disable),
    DEF("4262b724-8dba-4fad-afc3-43fcbb497a0e", "Run a Custom Task Extension",
        "Run a custom task extension to call out to an external system.", "joiner,leaver,mover", J | L | M, p_cte),
    DEF("1953a66c-751c-45e5-8bfe-01462c70da3c", "Remove user from selected groups",
        "Remove the user from the selected groups.", "joiner,leaver,mover", J | L | M, p_group),
    DEF0("b3a31406-2a15-4c9a-b25b-a658fa5f07fc", "Remove user from all groups",
        "Remove the user from all of their group memberships.", "leaver", L),
    DEF("06aa7acb-01af-4824-8899-b14e5ed788d6", "Remove user from selected Teams",
        "Remove the user from the selected Teams.", "joiner,leaver,mover", J | L | M, p_team),
    DEF0("81f7b200-2816-4b3b-8c5d-dc556f07b024", "Remove user from all Teams",
        "Remove the user from all of their Teams memberships.", "leaver", L),
    DEF0("8fa97d28-3e52-4985-b3a9-a1126f9b8b4e", "Remove all licenses for user",
        "Remove all licenses assigned directly to the user.", "leaver", L),
    DEF("8d18588d-9ad3-4c0f-99d0-ec215f0e3dff", "Delete user account",
        "Delete the user's account in the directory, and optionally the synchronised on-premises account.", "leaver", L, p_delete),
    DEF("52853a3e-f4e5-4eb8-bb24-1ac09a1da935", "Send email before user\xe2\x80\x99s last day",
        "Send an email to the user's manager before the user's last day.", "leaver", L, p_email),
    DEF("9c0a1eaf-5bda-4392-9d9e-6e155bb57411", "Send email on user\xe2\x80\x99s last day",
        "Send an email to the user's manager on the user's last day.", "leaver", L, p_email),
    DEF("6f22ddd4-b3a5-47a4-a846-0d7c201a49ce", "Send email after user\xe2\x80\x99s last day",
        "Send an email to the user's manager after the user's last day.", "leaver", L, p_email),
    DEF("c1ec1e76-f374-4375-aaa6-0bb6bd4c60be", "Request user access package assignment",
        "Request an access package assignment for the user through the given assignment policy.", "joiner,mover", J | M, p_ap_request),
    DEF("4a0b64f2-c7ec-46ba-b117-18f262946c50", "Remove access package assignment for user",
        "Remove the user's assignment to the selected access package.", "leaver,mover", L | M, p_ap_remove),
    DEF0("42ae2956-193d-4f39-be06-691b8ac4fa1d", "Remove all access package assignments for user",
        "Remove all of the user's access package assignments.", "leaver", L),
    DEF0("498770d9-bab7-4e4c-b73d-5ded82a1d0b3", "Cancel pending access package assignment requests for user",
        "Cancel all of the user's pending access package assignment requests.", "leaver,mover", L | M),
    DEF("aab41899-9972-422a-9d97-f626014578b7", "Send email to notify manager of user move",
        "Send an email to notify the user's manager that the user has moved.", "mover", M, p_email),
    DEF("683c87a4-2ad4-420b-97d4-220d90afcd24", "Assign licenses to user",
        "Assign the selected licenses to the user.", "joiner,mover", J | M, p_licenses),
    DEF("5fc402a8-daaf-4b7b-9203-da868b05fc5f", "Remove licenses from user",
        "Remove the selected licenses from the user.", "leaver,mover", L | M, p_licenses),
    DEF0("509589a4-0466-4471-829e-49c5e502bdee", "Revoke all refresh tokens for user",
        "Revoke all of the user's refresh tokens and sign-in sessions.", "leaver,mover", L | M),
    DEF("2c8f4a1b-7d3e-4f9c-8a5b-6e1d2c3f4a5b", "Update user attributes",
        "Update the selected attributes of the user's account in the directory.", "joiner,leaver,mover", J | L | M, p_attrs),
};
/* clang-format on */

size_t model_task_definition_count(void)
{
    return ARRAY_LEN(defs);
}

const struct model_task_def *model_task_definition_at(size_t i)
{
    return i < ARRAY_LEN(defs) ? &defs[i] : NULL;
}

const struct model_task_def *model_task_definition_find(const char *id)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < ARRAY_LEN(defs); i++) {
        if (lcw_str_eq_ci(defs[i].id, id))
            return &defs[i];
    }
    return NULL;
}

const struct model_task_param *model_task_param_find(const struct model_task_def *d,
                                                     const char *name)
{
    for (size_t i = 0; d && name && i < d->param_count; i++) {
        if (lcw_str_eq_ci(d->params[i].name, name))
            return &d->params[i];
    }
    return NULL;
}

static const char *value_type_name(enum model_value_type t)
{
    switch (t) {
    case MODEL_VALUE_ENUM:
        return "enum";
    case MODEL_VALUE_STRING:
        return "string";
    case MODEL_VALUE_INT:
        return "int";
    case MODEL_VALUE_BOOL:
        return "bool";
    }
    return "string";
}

static json_t *param_to_json(const struct model_task_param *p)
{
    json_t *o = json_object();
    json_t *values = json_array();

    if (!o || !values)
        goto fail;
    for (size_t i = 0; p->values[i]; i++) {
        if (model__append(values, json_string(p->values[i])))
            goto fail;
    }
    if (model__set(o, "name", json_string(p->name)))
        goto fail;
    if (json_object_set(o, "values", values))
        goto fail;
    if (model__set(o, "valueType", json_string(value_type_name(p->type))))
        goto fail;
    json_decref(values);
    return o;
fail:
    json_decref(values);
    json_decref(o);
    return NULL;
}

json_t *model_task_definition_to_json(const struct model_task_def *d)
{
    json_t *o = json_object();
    json_t *params = json_array();

    if (!o || !params || !d)
        goto fail;
    for (size_t i = 0; i < d->param_count; i++) {
        if (model__append(params, param_to_json(&d->params[i])))
            goto fail;
    }
    if (model__set(o, "id", json_string(d->id)) ||
        model__set(o, "category", json_string(d->category)) ||
        model__set(o, "continueOnError", json_boolean(d->continue_on_error)) ||
        model__set(o, "description", json_string(d->description)) ||
        model__set(o, "displayName", json_string(d->display_name)))
        goto fail;
    if (json_object_set(o, "parameters", params))
        goto fail;
    if (model__set(o, "version", json_integer(d->version)))
        goto fail;
    json_decref(params);
    return o;
fail:
    json_decref(params);
    json_decref(o);
    return NULL;
}
