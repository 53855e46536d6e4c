/* SPDX-License-Identifier: MIT */
/*
 * The SQLite driver: one sqlite3 handle per store connection, WAL mode,
 * foreign keys on, a busy timeout so that concurrent writers queue instead
 * of failing, and a small cache of prepared statements per connection
 * (preparing dominated the engine's per-task cost). The only file that
 * includes sqlite3.h. A connection is used by one thread at a time (the pool
 * in store.c guarantees it).
 */
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "lcw/store.h"

#define STMT_CACHE_SIZE 64

/* A prepared statement kept for reuse, keyed by its SQL text. */
struct cached_stmt {
    uint64_t hash;
    char *sql; /* owned */
    sqlite3_stmt *st;
    bool is_busy; /* in use by a call up the stack (a row callback re-entered) */
};

struct store_conn {
    sqlite3 *db;
    struct cached_stmt cache[STMT_CACHE_SIZE];
    unsigned next_evict; /* round-robin replacement */
};

static uint64_t sql_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static void cache_clear(struct store_conn *c)
{
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
        sqlite3_finalize(c->cache[i].st);
        lcw_free(c->cache[i].sql);
        memset(&c->cache[i], 0, sizeof(c->cache[i]));
    }
}

/*
 * A ready statement for `sql`: from the cache when there, else prepared and
 * cached. *slot is the cache entry (NULL when the statement is not cached
 * and the caller must finalize it).
 */
static int stmt_get(struct store_conn *c, const char *sql, sqlite3_stmt **out,
                    struct cached_stmt **slot)
{
    uint64_t h = sql_hash(sql);
    struct cached_stmt *victim;
    int rc;

    *slot = NULL;
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
        struct cached_stmt *e = &c->cache[i];

        if (e->st && e->hash == h && !e->is_busy && strcmp(e->sql, sql) == 0) {
            e->is_busy = true;
            *slot = e;
            *out = e->st;
            return SQLITE_OK;
        }
    }
    rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
    if (rc != SQLITE_OK)
        return rc;
    victim = &c->cache[c->next_evict++ % STMT_CACHE_SIZE];
    if (victim->is_busy)
        return SQLITE_OK; /* not cached: the caller finalizes it */
    sqlite3_finalize(victim->st);
    lcw_free(victim->sql);
    victim->sql = lcw_strdup(sql);
    if (!victim->sql) {
        victim->st = NULL;
        return SQLITE_OK;
    }
    victim->st = *out;
    victim->hash = h;
    victim->is_busy = true;
    *slot = victim;
    return SQLITE_OK;
}

#define SQLITE_BUSY_TIMEOUT_MS 10000

static int map_rc(sqlite3 *db, int rc, struct lcw_error *err)
{
    int primary = rc & 0xff;

    if (primary == SQLITE_CONSTRAINT)
        return lcw_error_set(err, LCW_ECONFLICT, "constraint violated: %s", sqlite3_errmsg(db));
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        return lcw_error_set(err, LCW_EBUSY, "database is busy");
    if (primary == SQLITE_NOMEM)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    return lcw_error_set(err, LCW_EIO, "sqlite: %s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* Accepted forms: sqlite:///abs/path, sqlite://rel/path, sqlite::memory:, sqlite:path. */
static int sqlite_open(const char *url, struct store_conn **out, struct lcw_error *err)
{
    const char *path;
    struct store_conn *c;
    int rc, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                    SQLITE_OPEN_URI;

    if (strncmp(url, "sqlite://", 9) == 0)
        path = url + 9;
    else if (strncmp(url, "sqlite:", 7) == 0)
        path = url + 7;
    else
        return lcw_error_set(err, LCW_EINVAL, "not a sqlite URL: %s", url);
    if (strcmp(path, ":memory:") == 0) {
        /* One shared in-memory database for every pooled connection. */
        path = "file:lcw_memdb?mode=memory&cache=shared";
    }
    c = lcw_calloc(1, sizeof(*c));
    if (!c)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    rc = sqlite3_open_v2(path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        int code = lcw_error_set(err, LCW_EIO, "cannot open database '%s': %s", path,
                                 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));

        sqlite3_close(c->db);
        lcw_free(c);
        return code;
    }
    sqlite3_busy_timeout(c->db, SQLITE_BUSY_TIMEOUT_MS);
    rc = sqlite3_exec(c->db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                      "PRAGMA foreign_keys=ON;",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        int code = map_rc(c->db, rc, err);

        sqlite3_close(c->db);
        lcw_free(c);
        return code;
    }
    *out = c;
    return 0;
}

static void sqlite_close(struct store_conn *c)
{
    if (!c)
        return;
    cache_clear(c);
    sqlite3_close(c->db);
    lcw_free(c);
}

static int sqlite_simple(struct store_conn *c, const char *sql, struct lcw_error *err)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? 0 : map_rc(c->db, rc, err);
}

static int sqlite_begin(struct store_conn *c, bool write, struct lcw_error *err)
{
    return sqlite_simple(c, write ? "BEGIN IMMEDIATE" : "BEGIN", err);
}

static int sqlite_commit(struct store_conn *c, struct lcw_error *err)
{
    return sqlite_simple(c, "COMMIT", err);
}

static int sqlite_rollback(struct store_conn *c)
{
    return sqlite_simple(c, "ROLLBACK", NULL);
}

#define MAX_COLS 64

static int sqlite_exec(struct store_conn *c, const char *sql, const struct store_val *params,
                       size_t n_params, store_row_fn *fn, void *ctx, int64_t *changes,
                       struct lcw_error *err)
{
    sqlite3_stmt *st = NULL;
    struct cached_stmt *slot = NULL;
    struct store_val cols[MAX_COLS];
    int rc, ret = 0;

    rc = stmt_get(c, sql, &st, &slot);
    if (rc != SQLITE_OK)
        return map_rc(c->db, rc, err);
    for (size_t i = 0; i < n_params; i++) {
        int idx = (int)i + 1;

        switch (params[i].kind) {
        case STORE_NULL:
            rc = sqlite3_bind_null(st, idx);
            break;
        case STORE_INT:
            rc = sqlite3_bind_int64(st, idx, params[i].i);
            break;
        case STORE_TEXT:
            rc = sqlite3_bind_text(st, idx, params[i].s, -1, SQLITE_STATIC);
            break;
        }
        if (rc != SQLITE_OK) {
            ret = map_rc(c->db, rc, err);
            goto out;
        }
    }
    for (;;) {
        int n;

        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            ret = map_rc(c->db, rc, err);
            goto out;
        }
        if (!fn)
            continue;
        n = sqlite3_column_count(st);
        if (n > MAX_COLS)
            n = MAX_COLS;
        for (int i = 0; i < n; i++) {
            switch (sqlite3_column_type(st, i)) {
            case SQLITE_NULL:
                cols[i] = STORE_V_NULL;
                break;
            case SQLITE_INTEGER:
                cols[i] = STORE_V_INT(sqlite3_column_int64(st, i));
                break;
            default:
                cols[i] =
                        (struct store_val){STORE_TEXT, 0, (const char *)sqlite3_column_text(st, i)};
                if (!cols[i].s) {
                    ret = lcw_error_set(err, LCW_ENOMEM, "out of memory");
                    goto out;
                }
                break;
            }
        }
        ret = fn(ctx, cols, (size_t)n);
        if (ret)
            goto out;
    }
    if (changes)
        *changes = sqlite3_changes64(c->db);
out:
    if (slot) {
        (void)sqlite3_reset(st);
        (void)sqlite3_clear_bindings(st);
        slot->is_busy = false;
    } else {
        sqlite3_finalize(st);
    }
    return ret;
}

static int sqlite_exec_script(struct store_conn *c, const char *sql, struct lcw_error *err)
{
    return sqlite_simple(c, sql, err);
}

static int sqlite_optimize(struct store_conn *c, struct lcw_error *err)
{
    /* analysis_limit samples at most ~1000 rows per index, so this stays
     * cheap on a large history (PRAGMA optimize in SQLite 3.40 only looks at
     * tables the connection has queried, which a fresh one has not). */
    return sqlite_simple(c, "PRAGMA analysis_limit=1000; ANALYZE;", err);
}

const struct store_ops store_sqlite_ops = {
        .name = "sqlite",
        .open = sqlite_open,
        .close = sqlite_close,
        .begin = sqlite_begin,
        .commit = sqlite_commit,
        .rollback = sqlite_rollback,
        .exec = sqlite_exec,
        .exec_script = sqlite_exec_script,
        .optimize = sqlite_optimize,
};
