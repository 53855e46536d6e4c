/* SPDX-License-Identifier: MIT */
/*
 * api: the Graph resources. Each handler turns one HTTP request (already
 * routed and authenticated by the http module) into model and store calls
 * and fills a response; handlers never see libmicrohttpd and never build
 * SQL. Authorisation is declared per route (`perm`) and checked before the
 * handler runs; every change writes an audit event in the same transaction.
 *
 * Threads: handlers run on the HTTP worker threads. `struct api_ctx` is
 * read-only after start-up; everything else is per request.
 */
#ifndef LCW_API_H
#define LCW_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lcw/common.h"
#include "lcw/config.h"
#include "lcw/engine.h"
#include "lcw/model.h"
#include "lcw/odata.h"
#include "lcw/store.h"

/* -------------------------------------------------------------- context */

struct api_ctx {
    struct store *store;           /* borrowed */
    const struct lcw_config *cfg;  /* borrowed */
    const struct lcw_clock *clock; /* borrowed */
    struct engine *engine;         /* borrowed; NULL in tools that run no engine */
    struct dir *dir;               /* borrowed */
    struct model_limits limits;
};

/* ---------------------------------------------------------- permissions */

/*
 * Permission bits. A token carries a role (Global Administrator, Lifecycle
 * Workflows Administrator, Global Reader) or a list of Graph application
 * permissions; both expand to these bits (api_grants_parse), following the
 * hierarchy of spec section 10 (ReadWrite implies Read, ...).
 */
enum api_perm {
    PERM_NONE = 0,
    PERM_WF_READBASIC = 1u << 0, /* LifecycleWorkflows-Workflow.ReadBasic.All */
    PERM_WF_READ = 1u << 1,      /* LifecycleWorkflows-Workflow.Read.All */
    PERM_WF_WRITE = 1u << 2,     /* LifecycleWorkflows-Workflow.ReadWrite.All */
    PERM_WF_ACTIVATE = 1u << 3,  /* LifecycleWorkflows-Workflow.Activate */
    PERM_REPORTS_READ = 1u << 4, /* LifecycleWorkflows-Reports.Read.All */
    PERM_EXT_READ = 1u << 5,     /* LifecycleWorkflows-CustomExt.Read.All */
    PERM_EXT_WRITE = 1u << 6,    /* LifecycleWorkflows-CustomExt.ReadWrite.All */
    PERM_LCW_READ = 1u << 7,     /* LifecycleWorkflows.Read.All (settings, catalogues) */
    PERM_LCW_WRITE = 1u << 8,    /* LifecycleWorkflows.ReadWrite.All (settings) */
    PERM_DIR_READ = 1u << 9,     /* User.Read.All / Group.Read.All / Directory.Read.All */
    PERM_DIR_WRITE = 1u << 10,   /* User.ReadWrite.All / Group.ReadWrite.All */
    PERM_AUDIT_READ = 1u << 11,  /* AuditLog.Read.All */
    /*
     * Not a permission: the route authenticates the caller itself (the
     * resume callback accepts a custom task extension's own credential). The
     * http layer passes the bearer through without rejecting unknown tokens.
     */
    PERM_CALLBACK = 1u << 30,
};

/*
 * Expand a token's role string into permission bits: a role name, or a
 * comma-separated list of permission names. LCW_EINVAL names the unknown
 * entry.
 */
int api_grants_parse(const char *role, unsigned *out, struct lcw_error *err);

/* Every role and permission name api_grants_parse accepts (for help text). */
const char *const *api_grant_names(size_t *n);

/* Who is calling. */
struct api_principal {
    char token_id[UUID_STR_LEN];
    char name[128];
    char role[512];
    unsigned perms;
};

/* Look up a bearer token by hash. LCW_EAUTH when unknown or revoked. */
int api_authenticate(const struct api_ctx *ctx, const char *token, struct api_principal *out,
                     struct lcw_error *err);

/* Hex SHA-256 of a token secret (what the store keeps). */
void api_token_hash(const char *token, char out_hex[65]);

/*
 * Create a token for `role` named `name`; *secret_out (owned, wipe after
 * use) is the only copy of the secret. When `fixed_secret` is not NULL, it
 * is used as the secret. LCW_ECONFLICT when the name is taken.
 */
int api_token_create(const struct api_ctx *ctx, const char *name, const char *role,
                     const char *fixed_secret, char **secret_out, struct lcw_error *err);

/* ------------------------------------------------------ request/response */

#define API_MAX_PARAMS 6
#define API_MAX_QUERY  32

struct api_req {
    const struct api_ctx *ctx;
    const char *method;                 /* "GET", ... */
    const char *path;                   /* below the version, "/identityGovernance/..." */
    const char *version;                /* "v1.0" or "beta" */
    struct strv params[API_MAX_PARAMS]; /* route parameters in pattern order */
    size_t n_params;
    struct odata_kv query[API_MAX_QUERY];
    size_t n_query;
    const char *body; /* request body, not NUL-terminated; may be NULL */
    size_t body_len;
    const char *request_id;        /* generated per request */
    const char *client_request_id; /* from the client, or NULL */
    const char *base_url;          /* "http://127.0.0.1:8080", for absolute links */
    const char *prefer;            /* Prefer header or NULL */
    const char *bearer;            /* the bearer token as sent (PERM_CALLBACK routes), or NULL */
    const char *accept;            /* Accept header or NULL */
    struct api_principal who;
    int64_t now_ms;
};

/*
 * A streamed body (exports): `next` appends the next chunk to `out` and sets
 * *done after the last one; it runs on the HTTP thread after the handler
 * returned, so `state` owns everything it needs. `free` releases it.
 */
struct api_stream {
    int (*next)(void *state, struct buf *out, bool *done);
    void (*free)(void *state);
    void *state;
    const char *content_type;
};

struct api_resp {
    int status;
    json_t *body; /* owned; NULL = no body */
    char location[512];
    unsigned retry_after_s;
    struct api_stream stream; /* when `next` is set, the body is streamed instead */
};

typedef void api_handler_fn(struct api_req *req, struct api_resp *resp);

/*
 * A route. `pattern` is relative to the version root; segments match
 * case-insensitively; "{}" captures one segment into req->params; a segment
 * written "!name" is an action and also matches
 * "microsoft.graph.identityGovernance.name" (and "microsoft.graph.name");
 * "!name()" is a function called as "name(a=1,b=2)", its argument text
 * captured as a parameter.
 * `perm` is the permission the caller needs (PERM_NONE: any valid token).
 */
struct api_route {
    const char *method;
    const char *pattern;
    unsigned perm;
    api_handler_fn *fn;
};

extern const struct api_route api_routes[];
extern const size_t api_n_routes;

/* A copy of route parameter `i` as a NUL-terminated string in `out`. */
const char *api_param(const struct api_req *req, size_t i, char *out, size_t cap);

/*
 * Fill `resp` with the Graph error envelope. `code` is the Graph error code
 * ("BadRequest", "ResourceNotFound", ...).
 */
void api_error(struct api_resp *resp, const struct api_req *req, int status, const char *code,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Map an lcw error (code and message) to the matching HTTP status and envelope. */
void api_error_from(struct api_resp *resp, const struct api_req *req, const struct lcw_error *err);

/* The 404 for a path no route knows. */
void api_not_found(struct api_resp *resp, const struct api_req *req);

/* GET /healthz: 200 while the store answers, 503 otherwise. Needs no token. */
void api_healthz(struct api_req *req, struct api_resp *resp);

/*
 * Make the revoked token whose secret hashes to `hash_hex` live again, as
 * LCW_ADMIN_TOKEN demands at start-up (audited "Restore token"); *out is the
 * token. LCW_ENOTFOUND when no revoked token has that hash.
 */
int api_token_restore(const struct api_ctx *ctx, const char *hash_hex, struct store_token *out,
                      struct lcw_error *err);

/* Revoke the token named `name` (audited). LCW_ENOTFOUND when no live token has it. */
int api_token_revoke(const struct api_ctx *ctx, const char *name, struct lcw_error *err);

/* Daily/background upkeep: purge deleted workflows past the restore window. */
int api_maintenance(const struct api_ctx *ctx, struct lcw_error *err);

/* Seed the demo directory and workflows when the store holds none. */
int api_demo_seed(const struct api_ctx *ctx, struct lcw_error *err);

#endif /* LCW_API_H */
