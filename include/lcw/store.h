/* SPDX-License-Identifier: MIT */
/*
 * store: persistence behind one interface. A driver (`struct store_ops`,
 * store/sqlite/ now, store/postgres/ later) runs parameterised SQL written
 * once in the subset both databases accept; `?` placeholders are rewritten
 * by drivers that need another form. Above the drivers sit schema
 * migrations and the entity layer: each Graph resource kept as a row
 * (pk, parent, <filterable columns>, doc) where `doc` is the resource's JSON
 * and the columns are derived from it by the same property map that the
 * odata SQL compiler reads.
 *
 * Threads: `struct store` is shared and thread-safe (a mutex guards its pool
 * of connections and is never held while SQL runs). A `struct store_tx`
 * holds one connection and belongs to one thread until commit or rollback.
 */
#ifndef LCW_STORE_H
#define LCW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lcw/common.h"
#include "lcw/odata.h"

/* ------------------------------------------------------------- driver API */

enum store_val_kind { STORE_NULL, STORE_INT, STORE_TEXT };

/* A parameter or column value. Text is borrowed for the duration of a call. */
struct store_val {
    enum store_val_kind kind;
    int64_t i;
    const char *s;
};

#define STORE_V_NULL   ((struct store_val){STORE_NULL, 0, NULL})
#define STORE_V_INT(v) ((struct store_val){STORE_INT, (v), NULL})

/* Text, or SQL NULL when `s` is NULL. */
static inline struct store_val store_v_text(const char *s)
{
    return (struct store_val){s ? STORE_TEXT : STORE_NULL, 0, s};
}
#define STORE_V_TEXT(v) store_v_text(v)

/* Called once per result row; a non-zero return stops the query and is returned. */
typedef int store_row_fn(void *ctx, const struct store_val *cols, size_t n_cols);

struct store_conn; /* opaque, driver-defined */

struct store_ops {
    const char *name; /* "sqlite" */
    int (*open)(const char *url, struct store_conn **out, struct lcw_error *err);
    void (*close)(struct store_conn *c);
    /* BEGIN; `write` asks for a transaction that will write (SQLite: IMMEDIATE). */
    int (*begin)(struct store_conn *c, bool write, struct lcw_error *err);
    int (*commit)(struct store_conn *c, struct lcw_error *err);
    int (*rollback)(struct store_conn *c);
    /* Run one statement with `?` parameters; rows go to `fn` (may be NULL). */
    int (*exec)(struct store_conn *c, const char *sql, const struct store_val *params,
                size_t n_params, store_row_fn *fn, void *ctx, int64_t *changes,
                struct lcw_error *err);
    /* Run a script of several statements without parameters (migrations). */
    int (*exec_script)(struct store_conn *c, const char *sql, struct lcw_error *err);
    /* Refresh the planner's statistics (cheap when nothing changed); may be NULL. */
    int (*optimize)(struct store_conn *c, struct lcw_error *err);
};

extern const struct store_ops store_sqlite_ops;

/* ------------------------------------------------------- handle and txs */

struct store;

/*
 * Open a store by URL: "sqlite:///abs/path/lcw.db", "sqlite://relative.db",
 * "sqlite::memory:" (one shared in-memory database, for tests). Applies
 * pending migrations. LCW_EINVAL for an unknown scheme, LCW_EIO when the
 * database cannot be opened.
 */
int store_open(const char *url, struct store **out, struct lcw_error *err);
/* Close every pooled connection. NULL-safe. No transaction may be open. */
void store_close(struct store *s);
/* The driver name ("sqlite"). */
const char *store_driver_name(const struct store *s);
/*
 * Let the database refresh its query-planner statistics. Called at start-up
 * and by the maintenance pass; without statistics SQLite can pick an index
 * that scans a whole workflow's history for one run.
 */
int store_optimize(struct store *s, struct lcw_error *err);

/* Highest applied migration number. */
int store_schema_version(struct store *s, int *out, struct lcw_error *err);

struct store_tx {
    struct store *store;     /* borrowed */
    struct store_conn *conn; /* borrowed from the pool until the tx ends */
    bool is_write;
    json_t *user_cache; /* owned: user docs read or written in this tx, by pk */
};

enum store_tx_flags { STORE_TX_READ = 0, STORE_TX_WRITE = 1u << 0 };

/* Take a connection from the pool and BEGIN. */
int store_tx_begin(struct store *s, struct store_tx *tx, unsigned flags, struct lcw_error *err);
/* COMMIT and return the connection. On failure the tx is rolled back and ended. */
int store_tx_commit(struct store_tx *tx, struct lcw_error *err);
/* ROLLBACK and return the connection. Safe on an ended tx. */
void store_tx_rollback(struct store_tx *tx);

/* Run one statement inside `tx` (see store_ops.exec). */
int store_exec(struct store_tx *tx, const char *sql, const struct store_val *params,
               size_t n_params, store_row_fn *fn, void *ctx, int64_t *changes,
               struct lcw_error *err);

/* Run a query returning one integer (COUNT(*), ...); `*out` = 0 when no row. */
int store_query_int(struct store_tx *tx, const char *sql, const struct store_val *params,
                    size_t n_params, int64_t *out, struct lcw_error *err);

/* ------------------------------------------------------------- entities */

/*
 * An entity table. `od.props` name the JSON properties copied into columns
 * (a property whose `column` is NULL stays only in the doc); `od.id_column`
 * is "pk". Rows belong to an optional parent (a workflow for versions, ...).
 */
struct store_entity {
    const char *table;
    struct odata_entity od;
    const char *pk_property;  /* JSON property that is the key ("id"), or NULL when computed */
    bool has_parent_pk_index; /* an index (parent, pk) walks a parent's rows in id order */
};

/* The entity tables lcw keeps (schema in store/migrations.c). */
extern const struct store_entity store_ent_workflow;
extern const struct store_entity store_ent_workflow_version;
extern const struct store_entity store_ent_extension;
extern const struct store_entity store_ent_audit;
extern const struct store_entity store_ent_user;
extern const struct store_entity store_ent_group;
/* Run history; every row's parent is its workflow's id. Members named "#lcw.*" are bookkeeping. */
extern const struct store_entity store_ent_run;
extern const struct store_entity store_ent_user_result;
extern const struct store_entity store_ent_task_result;

/*
 * Insert or replace the row `pk` with `doc` (the columns are derived from
 * it). `parent` may be NULL.
 */
int store_entity_put(struct store_tx *tx, const struct store_entity *e, const char *pk,
                     const char *parent, const json_t *doc, struct lcw_error *err);

/* Load the doc of row `pk`; LCW_ENOTFOUND when absent. `*out` is a new reference. */
int store_entity_get(struct store_tx *tx, const struct store_entity *e, const char *pk,
                     json_t **out, struct lcw_error *err);

/* Delete row `pk`; LCW_ENOTFOUND when absent. */
int store_entity_delete(struct store_tx *tx, const struct store_entity *e, const char *pk,
                        struct lcw_error *err);

/*
 * A page of a list: the query's $filter, $orderby, $top (or `page_size`) and
 * $skiptoken, within `parent` (NULL = any) and an optional extra condition
 * `where` (static SQL over the entity's columns with `?` for `params`).
 * `items` receives new references to the docs; `next_token` an owned
 * skiptoken when more rows follow, else NULL. `count` (when non-NULL and
 * q->count) receives the total matching rows ignoring paging.
 */
struct store_page {
    json_t *items;    /* array, owned */
    char *next_token; /* owned or NULL */
    int64_t count;    /* -1 when not asked */
};

int store_entity_list(struct store_tx *tx, const struct store_entity *e,
                      const struct odata_query *q, const char *parent, const char *where,
                      const struct store_val *params, size_t n_params, long page_size,
                      struct store_page *page, struct lcw_error *err);
void store_page_release(struct store_page *page);

/*
 * A page of a list as columns instead of documents, for callers that write
 * rows without parsing them (exports): the rows, order and skiptoken of
 * store_entity_list with the same arguments, but no document is read. Each
 * row's `columns` (n_columns static SQL expressions over e's table, such as
 * "pk" or "scheduled_at_ms") are passed to `fn`, in order; the values are
 * borrowed for the call. Runs inside `tx`, so `fn` may query through `tx`
 * too. `*next_token` receives an owned skiptoken when more rows follow, else
 * NULL. A non-zero return from `fn` stops the scan and is returned as is
 * (`err` untouched); other errors as store_entity_list.
 */
int store_entity_scan(struct store_tx *tx, const struct store_entity *e,
                      const struct odata_query *q, const char *parent, const char *where,
                      const struct store_val *params, size_t n_params, const char *const *columns,
                      size_t n_columns, long page_size, store_row_fn *fn, void *ctx,
                      char **next_token, struct lcw_error *err);

/* COUNT(*) of rows matching `where` (may be NULL) within `parent` (may be NULL). */
int store_entity_count(struct store_tx *tx, const struct store_entity *e, const char *parent,
                       const char *where, const struct store_val *params, size_t n_params,
                       int64_t *out, struct lcw_error *err);

/* ---------------------------------------------------------------- tokens */

struct store_token {
    char id[UUID_STR_LEN];
    char name[128];
    char role[512]; /* a role, or a comma-separated list of permissions */
    int64_t created_at_ms;
    int64_t last_used_at_ms; /* -1 when never */
    bool is_revoked;
};

/* Save a token by the hex hash of its secret. LCW_ECONFLICT when the name is taken. */
int store_token_insert(struct store_tx *tx, const struct store_token *t, const char *hash_hex,
                       struct lcw_error *err);
/* Find a live (not revoked) token by hash. LCW_ENOTFOUND otherwise. */
int store_token_find(struct store_tx *tx, const char *hash_hex, struct store_token *out,
                     struct lcw_error *err);
int store_token_find_by_name(struct store_tx *tx, const char *name, struct store_token *out,
                             struct lcw_error *err);
/* Every token (revoked ones too), ordered by creation. */
int store_token_list(struct store_tx *tx, struct store_token **out, size_t *n,
                     struct lcw_error *err);
int store_token_revoke(struct store_tx *tx, const char *name, int64_t now_ms,
                       struct lcw_error *err);
int store_token_touch(struct store_tx *tx, const char *id, int64_t now_ms, struct lcw_error *err);
/* Make a revoked token with this hash live again. LCW_ENOTFOUND when there is none. */
int store_token_unrevoke(struct store_tx *tx, const char *hash_hex, struct lcw_error *err);

/* ------------------------------------------------------ key/value state */

/* Small named documents: tenant settings and the like. */
int store_kv_get(struct store_tx *tx, const char *key, json_t **out, struct lcw_error *err);
int store_kv_put(struct store_tx *tx, const char *key, const json_t *doc, struct lcw_error *err);

/* ----------------------------------------------------------------- audit */

/*
 * Write one audit event in Graph's directoryAudit shape (loggedByService
 * "Lifecycle Workflows"). `initiated_by`, `targets` and `details` are taken
 * (each may be NULL). `result` is "success" or "failure"; `reason` may be
 * NULL. Used by the api layer (requests) and the engine (run start and end).
 */
int store_audit_add(struct store_tx *tx, int64_t now_ms, const char *correlation_id,
                    const char *category, const char *activity, const char *operation,
                    const char *result, const char *reason, json_t *initiated_by, json_t *targets,
                    json_t *details, struct lcw_error *err);

/* ---------------------------------------------------------- directory */

/*
 * Units of SKU `sku_id` (any case) held by live users, from an index kept in
 * step with every user document store_entity_put writes.
 */
int store_sku_consumed(struct store_tx *tx, const char *sku_id, int64_t *out,
                       struct lcw_error *err);

int store_member_add(struct store_tx *tx, const char *group_id, const char *user_id, int64_t now_ms,
                     bool *added, struct lcw_error *err);
int store_member_remove(struct store_tx *tx, const char *group_id, const char *user_id,
                        bool *removed, struct lcw_error *err);
/* Ids of members of a group, or of groups of a user (`by_user`), in id order. */
int store_member_ids(struct store_tx *tx, const char *id, bool by_user, json_t **out_ids,
                     struct lcw_error *err);
int store_member_delete_all(struct store_tx *tx, const char *id, bool by_user,
                            struct lcw_error *err);

/*
 * Record a directory change for the engine's change triggers. `kind` is
 * "attribute", "memberAdded", "memberRemoved", "created" or "deleted".
 */
int store_dir_change_add(struct store_tx *tx, int64_t now_ms, const char *kind,
                         const char *object_id, const char *attribute, const char *old_value,
                         const char *new_value, struct lcw_error *err);

#endif /* LCW_STORE_H */
