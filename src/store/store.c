/* SPDX-License-Identifier: MIT */
/*
 * The store handle: driver choice by URL scheme, a pool of connections,
 * explicit transactions and the migration runner. The pool's mutex is held
 * only to take or return a connection, never while SQL runs.
 */
#include "lcw/store.h"

#include <pthread.h>
#include <string.h>

#include "store_int.h"

#define STORE_POOL_MAX 16

struct store {
    const struct store_ops *ops;
    char *url; /* owned */
    pthread_mutex_t lock;
    pthread_cond_t returned;
    struct store_conn *idle[STORE_POOL_MAX]; /* connections ready for use */
    size_t n_idle;
    size_t n_open; /* idle + in use */
    size_t max_open;
};

static int pool_take(struct store *s, struct store_conn **out, struct lcw_error *err)
{
    int rc = 0;

    pthread_mutex_lock(&s->lock);
    while (s->n_idle == 0 && s->n_open >= s->max_open)
        pthread_cond_wait(&s->returned, &s->lock);
    if (s->n_idle > 0) {
        *out = s->idle[--s->n_idle];
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    s->n_open++;
    pthread_mutex_unlock(&s->lock);
    /* Open outside the lock: opening touches the disk. */
    rc = s->ops->open(s->url, out, err);
    if (rc) {
        pthread_mutex_lock(&s->lock);
        s->n_open--;
        pthread_cond_signal(&s->returned);
        pthread_mutex_unlock(&s->lock);
    }
    return rc;
}

static void pool_return(struct store *s, struct store_conn *c, bool is_broken)
{
    pthread_mutex_lock(&s->lock);
    if (is_broken || s->n_idle == STORE_POOL_MAX) {
        s->n_open--;
        pthread_mutex_unlock(&s->lock);
        s->ops->close(c);
        pthread_mutex_lock(&s->lock);
    } else {
        s->idle[s->n_idle++] = c;
    }
    pthread_cond_signal(&s->returned);
    pthread_mutex_unlock(&s->lock);
}

int store_tx_begin(struct store *s, struct store_tx *tx, unsigned flags, struct lcw_error *err)
{
    int rc;

    tx->store = s;
    tx->conn = NULL;
    tx->is_write = flags & STORE_TX_WRITE;
    tx->user_cache = NULL;
    rc = pool_take(s, &tx->conn, err);
    if (rc)
        return rc;
    rc = s->ops->begin(tx->conn, tx->is_write, err);
    if (rc) {
        pool_return(s, tx->conn, true);
        tx->conn = NULL;
    }
    return rc;
}

int store_tx_commit(struct store_tx *tx, struct lcw_error *err)
{
    int rc;

    if (!tx->conn)
        return lcw_error_set(err, LCW_EINTERNAL, "commit of an ended transaction");
    rc = tx->store->ops->commit(tx->conn, err);
    if (rc)
        (void)tx->store->ops->rollback(tx->conn);
    pool_return(tx->store, tx->conn, false);
    tx->conn = NULL;
    json_decref(tx->user_cache);
    tx->user_cache = NULL;
    return rc;
}

void store_tx_rollback(struct store_tx *tx)
{
    bool is_broken;

    if (!tx || !tx->conn)
        return;
    is_broken = tx->store->ops->rollback(tx->conn) != 0;
    pool_return(tx->store, tx->conn, is_broken);
    tx->conn = NULL;
    json_decref(tx->user_cache);
    tx->user_cache = NULL;
}

int store_exec(struct store_tx *tx, const char *sql, const struct store_val *params,
               size_t n_params, store_row_fn *fn, void *ctx, int64_t *changes,
               struct lcw_error *err)
{
    LCW_ASSERT(tx->conn);
    return tx->store->ops->exec(tx->conn, sql, params, n_params, fn, ctx, changes, err);
}

static int row_int(void *ctx, const struct store_val *cols, size_t n)
{
    int64_t *out = ctx;

    if (n > 0 && cols[0].kind == STORE_INT)
        *out = cols[0].i;
    return 0;
}

int store_query_int(struct store_tx *tx, const char *sql, const struct store_val *params,
                    size_t n_params, int64_t *out, struct lcw_error *err)
{
    *out = 0;
    return store_exec(tx, sql, params, n_params, row_int, out, NULL, err);
}

static int migrate(struct store *s, struct lcw_error *err)
{
    struct store_tx tx;
    int64_t applied = 0;
    int rc;

    rc = store_tx_begin(s, &tx, STORE_TX_WRITE, err);
    if (rc)
        return rc;
    rc = tx.store->ops->exec_script(tx.conn,
                                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                    " version BIGINT PRIMARY KEY, what TEXT NOT NULL)",
                                    err);
    if (rc)
        goto fail;
    rc = store_query_int(&tx, "SELECT MAX(version) FROM schema_migrations", NULL, 0, &applied, err);
    if (rc)
        goto fail;
    for (size_t i = 0; i < store_n_migrations; i++) {
        const struct store_migration *m = &store_migrations[i];
        struct store_val p[2] = {STORE_V_INT(m->number), STORE_V_TEXT(m->what)};

        if (m->number <= applied)
            continue;
        rc = tx.store->ops->exec_script(tx.conn, m->sql, err);
        if (!rc && m->after)
            rc = m->after(&tx, err);
        if (rc)
            goto fail;
        rc = store_exec(&tx, "INSERT INTO schema_migrations (version, what) VALUES (?, ?)", p, 2,
                        NULL, NULL, NULL, err);
        if (rc)
            goto fail;
        log_info("store_migrated", "version=%d", m->number);
    }
    return store_tx_commit(&tx, err);
fail:
    store_tx_rollback(&tx);
    return rc;
}

int store_open(const char *url, struct store **out, struct lcw_error *err)
{
    struct store *s;
    int rc;

    *out = NULL;
    s = lcw_calloc(1, sizeof(*s));
    if (!s)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    if (strncmp(url, "sqlite:", 7) == 0) {
        s->ops = &store_sqlite_ops;
        /* A shared-cache in-memory database locks whole tables; one
         * connection avoids SQLITE_LOCKED between pooled connections. */
        s->max_open = strstr(url, ":memory:") ? 1 : STORE_POOL_MAX;
    } else {
        lcw_free(s);
        return lcw_error_set(err, LCW_EINVAL, "unsupported store URL '%s' (expected sqlite://PATH)",
                             url);
    }
    s->url = lcw_strdup(url);
    if (!s->url) {
        lcw_free(s);
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->returned, NULL);
    rc = migrate(s, err);
    if (!rc)
        rc = store_optimize(s, err);
    if (rc) {
        store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_idle; i++)
        s->ops->close(s->idle[i]);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->returned);
    lcw_free(s->url);
    lcw_free(s);
}

int store_optimize(struct store *s, struct lcw_error *err)
{
    struct store_conn *c = NULL;
    int rc;

    if (!s->ops->optimize)
        return 0;
    rc = pool_take(s, &c, err);
    if (rc)
        return rc;
    rc = s->ops->optimize(c, err);
    pool_return(s, c, rc != 0);
    return rc;
}

const char *store_driver_name(const struct store *s)
{
    return s->ops->name;
}

int store_schema_version(struct store *s, int *out, struct lcw_error *err)
{
    struct store_tx tx;
    int64_t v = 0;
    int rc = store_tx_begin(s, &tx, STORE_TX_READ, err);

    if (rc)
        return rc;
    rc = store_query_int(&tx, "SELECT MAX(version) FROM schema_migrations", NULL, 0, &v, err);
    store_tx_rollback(&tx);
    *out = (int)v;
    return rc;
}
