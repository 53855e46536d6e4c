/* SPDX-License-Identifier: MIT */
/*
 * Tokens and what they may do. A token is 32 random bytes shown once as
 * "lcw_" + base64url; the store keeps only its SHA-256. Its role string is a
 * directory role or a list of Graph application permissions, expanded into
 * permission bits by one table that follows the hierarchy of the Graph
 * permission reference (ReadWrite implies Read, Read implies ReadBasic).
 */
#include "api_int.h"

#include <string.h>

#include <sodium.h>

#define PERM_ALL_LCW                                                                           \
    (PERM_WF_READBASIC | PERM_WF_READ | PERM_WF_WRITE | PERM_WF_ACTIVATE | PERM_REPORTS_READ | \
     PERM_EXT_READ | PERM_EXT_WRITE | PERM_LCW_READ | PERM_LCW_WRITE)
#define PERM_ALL_LCW_READ \
    (PERM_WF_READBASIC | PERM_WF_READ | PERM_REPORTS_READ | PERM_EXT_READ | PERM_LCW_READ)

static const struct {
    const char *name;
    unsigned perms;
} grants[] = {
        /* Directory roles (delegated use). */
        {"Global Administrator", ~0u},
        {"Lifecycle Workflows Administrator", PERM_ALL_LCW | PERM_DIR_READ | PERM_AUDIT_READ},
        {"Global Reader", PERM_ALL_LCW_READ | PERM_DIR_READ | PERM_AUDIT_READ},
        /* Application permissions. */
        {"LifecycleWorkflows.Read.All", PERM_ALL_LCW_READ},
        {"LifecycleWorkflows.ReadWrite.All", PERM_ALL_LCW},
        {"LifecycleWorkflows-Workflow.ReadBasic.All", PERM_WF_READBASIC},
        {"LifecycleWorkflows-Workflow.Read.All", PERM_WF_READBASIC | PERM_WF_READ},
        {"LifecycleWorkflows-Workflow.ReadWrite.All",
         PERM_WF_READBASIC | PERM_WF_READ | PERM_WF_WRITE},
        {"LifecycleWorkflows-Workflow.Activate", PERM_WF_ACTIVATE},
        {"LifecycleWorkflows-Reports.Read.All", PERM_REPORTS_READ},
        {"LifecycleWorkflows-CustomExt.Read.All", PERM_EXT_READ},
        {"LifecycleWorkflows-CustomExt.ReadWrite.All", PERM_EXT_READ | PERM_EXT_WRITE},
        {"User.Read.All", PERM_DIR_READ},
        {"User.ReadWrite.All", PERM_DIR_READ | PERM_DIR_WRITE},
        {"Group.Read.All", PERM_DIR_READ},
        {"Group.ReadWrite.All", PERM_DIR_READ | PERM_DIR_WRITE},
        {"Directory.Read.All", PERM_DIR_READ},
        {"Directory.ReadWrite.All", PERM_DIR_READ | PERM_DIR_WRITE},
        {"AuditLog.Read.All", PERM_AUDIT_READ},
};

#define N_GRANTS (sizeof(grants) / sizeof(grants[0]))

const char *const *api_grant_names(size_t *n)
{
    static const char *names[N_GRANTS];

    for (size_t i = 0; i < N_GRANTS; i++)
        names[i] = grants[i].name;
    *n = N_GRANTS;
    return names;
}

static int grant_one(const char *s, size_t len, unsigned *perms, struct lcw_error *err)
{
    while (len && *s == ' ') {
        s++;
        len--;
    }
    while (len && s[len - 1] == ' ')
        len--;
    for (size_t i = 0; i < N_GRANTS; i++) {
        if (strv_eq_ci((struct strv){s, len}, grants[i].name)) {
            *perms |= grants[i].perms;
            return 0;
        }
    }
    return lcw_error_set(err, LCW_EINVAL,
                         "unknown role or permission '%.*s' (roles: Global Administrator, "
                         "Lifecycle Workflows Administrator, Global Reader; or Graph permission "
                         "names such as LifecycleWorkflows.Read.All)",
                         (int)len, s);
}

int api_grants_parse(const char *role, unsigned *out, struct lcw_error *err)
{
    unsigned perms = 0;
    const char *p = role;

    if (!role || !*role)
        return lcw_error_set(err, LCW_EINVAL, "a role is required");
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int rc = grant_one(p, n, &perms, err);

        if (rc)
            return rc;
        p += n;
        if (*p == ',')
            p++;
    }
    *out = perms;
    return 0;
}

void api_token_hash(const char *token, char out_hex[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out_hex, 65, h, sizeof(h));
}

int api_authenticate(const struct api_ctx *ctx, const char *token, struct api_principal *out,
                     struct lcw_error *err)
{
    char hash[65];
    struct store_token t;
    struct store_tx tx;
    int rc;

    if (!token || !*token || strlen(token) > 512)
        return lcw_error_set(err, LCW_EAUTH, "Access token is missing or malformed");
    api_token_hash(token, hash);
    rc = store_tx_begin(ctx->store, &tx, STORE_TX_READ, err);
    if (rc)
        return rc;
    rc = store_token_find(&tx, hash, &t, err);
    store_tx_rollback(&tx);
    if (rc == LCW_ENOTFOUND)
        return lcw_error_set(err, LCW_EAUTH, "Access token is invalid or has been revoked");
    if (rc)
        return rc;
    rc = api_grants_parse(t.role, &out->perms, err);
    if (rc)
        return lcw_error_set(err, LCW_EAUTH, "Access token carries an unknown role");
    lcw_strlcpy(out->token_id, t.id, sizeof(out->token_id));
    lcw_strlcpy(out->name, t.name, sizeof(out->name));
    lcw_strlcpy(out->role, t.role, sizeof(out->role));
    return 0;
}

#define TOKEN_CLI "lcwd token (command line)"
#define TOKEN_ENV "lcwd (LCW_ADMIN_TOKEN at start-up)" /* the only fixed secret */

/* Token changes are made on the server, not over the API; the audit names how as the actor. */
static int audit_token(struct store_tx *tx, const struct api_ctx *ctx, const char *actor,
                       const char *activity, const char *op, const struct store_token *t,
                       struct lcw_error *err)
{
    struct api_req req = {0};
    json_t *targets;

    req.ctx = ctx;
    req.now_ms = lcw_clock_now(ctx->clock);
    req.request_id = "lcwd-token";
    lcw_strlcpy(req.who.name, actor, sizeof(req.who.name));
    targets = json_pack("[{s:s, s:s, s:s, s:[{s:s, s:n, s:s}]}]", "id", t->id, "displayName",
                        t->name, "type", "Token", "modifiedProperties", "displayName", "role",
                        "oldValue", "newValue", t->role);
    if (!targets)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    return api__audit(tx, &req, "TokenManagement", activity, op, targets, NULL, err);
}

int api_token_restore(const struct api_ctx *ctx, const char *hash_hex, struct store_token *out,
                      struct lcw_error *err)
{
    struct store_tx tx;
    int rc = store_tx_begin(ctx->store, &tx, STORE_TX_WRITE, err);

    if (rc)
        return rc;
    rc = store_token_unrevoke(&tx, hash_hex, err);
    if (!rc)
        rc = store_token_find(&tx, hash_hex, out, err);
    if (!rc)
        rc = audit_token(&tx, ctx, TOKEN_ENV, "Restore token", "Update", out, err);
    if (rc) {
        store_tx_rollback(&tx);
        return rc;
    }
    return store_tx_commit(&tx, err);
}

int api_token_revoke(const struct api_ctx *ctx, const char *name, struct lcw_error *err)
{
    struct store_token t;
    struct store_tx tx;
    int rc = store_tx_begin(ctx->store, &tx, STORE_TX_WRITE, err);

    if (rc)
        return rc;
    rc = store_token_find_by_name(&tx, name, &t, err);
    if (rc == LCW_ENOTFOUND)
        rc = lcw_error_set(err, rc, "no token named '%s'", name);
    if (!rc)
        rc = store_token_revoke(&tx, name, lcw_clock_now(ctx->clock), err);
    if (!rc)
        rc = audit_token(&tx, ctx, TOKEN_CLI, "Revoke token", "Delete", &t, err);
    if (rc) {
        store_tx_rollback(&tx);
        return rc;
    }
    return store_tx_commit(&tx, err);
}

int api_token_create(const struct api_ctx *ctx, const char *name, const char *role,
                     const char *fixed_secret, char **secret_out, struct lcw_error *err)
{
    unsigned char raw[32];
    char b64[64], hash[65];
    struct store_token t = {0};
    struct store_tx tx;
    unsigned perms;
    char *secret;
    int rc;

    *secret_out = NULL;
    if (!name || !*name || strlen(name) >= sizeof(t.name))
        return lcw_error_set(err, LCW_EINVAL, "a token name of 1 to %zu characters is required",
                             sizeof(t.name) - 1);
    if (strlen(role) >= sizeof(t.role))
        return lcw_error_set(err, LCW_EINVAL, "role too long");
    rc = api_grants_parse(role, &perms, err);
    if (rc)
        return rc;
    if (fixed_secret) {
        if (strlen(fixed_secret) < 16)
            return lcw_error_set(err, LCW_EINVAL,
                                 "a fixed token must be at least 16 characters long");
        secret = lcw_strdup(fixed_secret);
    } else {
        lcw_random_bytes(raw, sizeof(raw));
        sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        sodium_memzero(raw, sizeof(raw));
        secret = lcw_malloc(4 + strlen(b64) + 1);
        if (secret) {
            memcpy(secret, "lcw_", 4);
            memcpy(secret + 4, b64, strlen(b64) + 1);
        }
        sodium_memzero(b64, sizeof(b64));
    }
    if (!secret)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    api_token_hash(secret, hash);
    uuid_v4(t.id);
    lcw_strlcpy(t.name, name, sizeof(t.name));
    lcw_strlcpy(t.role, role, sizeof(t.role));
    t.created_at_ms = lcw_clock_now(ctx->clock);
    rc = store_tx_begin(ctx->store, &tx, STORE_TX_WRITE, err);
    if (!rc) {
        rc = store_token_insert(&tx, &t, hash, err);
        if (!rc)
            rc = audit_token(&tx, ctx, fixed_secret ? TOKEN_ENV : TOKEN_CLI, "Create token", "Add",
                             &t, err);
        if (rc)
            store_tx_rollback(&tx);
        else
            rc = store_tx_commit(&tx, err);
    }
    if (rc) {
        sodium_memzero(secret, strlen(secret));
        lcw_free(secret);
        return rc;
    }
    *secret_out = secret;
    return 0;
}

/* GET /lcw/whoami (lcw extension): who the token is and what it may do. */
void api_whoami(struct api_req *req, struct api_resp *resp)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
            {PERM_WF_READBASIC, "LifecycleWorkflows-Workflow.ReadBasic.All"},
            {PERM_WF_READ, "LifecycleWorkflows-Workflow.Read.All"},
            {PERM_WF_WRITE, "LifecycleWorkflows-Workflow.ReadWrite.All"},
            {PERM_WF_ACTIVATE, "LifecycleWorkflows-Workflow.Activate"},
            {PERM_REPORTS_READ, "LifecycleWorkflows-Reports.Read.All"},
            {PERM_EXT_READ, "LifecycleWorkflows-CustomExt.Read.All"},
            {PERM_EXT_WRITE, "LifecycleWorkflows-CustomExt.ReadWrite.All"},
            {PERM_LCW_READ, "LifecycleWorkflows.Read.All"},
            {PERM_LCW_WRITE, "LifecycleWorkflows.ReadWrite.All"},
            {PERM_DIR_READ, "Directory.Read.All"},
            {PERM_DIR_WRITE, "Directory.ReadWrite.All"},
            {PERM_AUDIT_READ, "AuditLog.Read.All"},
    };
    json_t *perms = json_array();

    for (size_t i = 0; perms && i < sizeof(names) / sizeof(names[0]); i++) {
        if ((req->who.perms & names[i].bit) == names[i].bit)
            json_array_append_new(perms, json_string(names[i].name));
    }
    api__json(req, resp, 200,
              json_pack("{s:s, s:s, s:s, s:o}", "id", req->who.token_id, "name", req->who.name,
                        "role", req->who.role, "permissions", perms),
              NULL);
}
