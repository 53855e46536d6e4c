/* SPDX-License-Identifier: MIT */
/*
 * Engine lifecycle: start the worker threads and the scheduler thread,
 * wake them when work arrives, stop them in order. The one mutex guards
 * only `wake_seq` and `is_stopping`; nobody holds it while calling the
 * store, an executor or the logger.
 */
#include "engine_int.h"

#include <errno.h>
#include <string.h>
#include <time.h>

bool engine__wait(struct engine *e, unsigned *seen_seq, int64_t timeout_ms)
{
    struct timespec until;
    bool is_running;

    (void)clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&e->lock);
    while (!e->is_stopping && e->wake_seq == *seen_seq) {
        if (pthread_cond_timedwait(&e->wake, &e->lock, &until) == ETIMEDOUT)
            break;
    }
    *seen_seq = e->wake_seq;
    is_running = !e->is_stopping;
    pthread_mutex_unlock(&e->lock);
    return is_running;
}

void engine_wake(struct engine *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->lock);
    e->wake_seq++;
    pthread_cond_broadcast(&e->wake);
    pthread_mutex_unlock(&e->lock);
}

/*
 * A SQLite database belongs to one lcwd process, so leases found at start
 * belong to a process that is gone: release them now instead of waiting for
 * them to expire. (With PostgreSQL other nodes may hold live leases; there
 * expiry is the only safe rule.)
 */
static int release_stale_leases(struct store *store, struct lcw_error *err)
{
    struct store_tx tx;
    int64_t n = 0;
    int rc;

    if (strcmp(store_driver_name(store), "sqlite") != 0)
        return 0;
    rc = store_tx_begin(store, &tx, STORE_TX_WRITE, err);
    if (rc)
        return rc;
    rc = store_exec(&tx,
                    "UPDATE work_items SET lease_owner = NULL, lease_expires_at_ms = NULL"
                    " WHERE lease_owner IS NOT NULL",
                    NULL, 0, NULL, NULL, &n, err);
    if (rc) {
        store_tx_rollback(&tx);
        return rc;
    }
    rc = store_tx_commit(&tx, err);
    if (!rc && n)
        log_info("leases_released", "count=%lld reason=\"previous process ended\"", (long long)n);
    return rc;
}

int engine_start(const struct engine_options *opts, struct engine **out, struct lcw_error *err)
{
    struct engine *e;
    int rc;

    *out = NULL;
    rc = release_stale_leases(opts->store, err);
    if (rc)
        return rc;
    e = lcw_calloc(1, sizeof(*e));
    if (!e)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    e->opts = *opts;
    if (!e->opts.workers)
        e->opts.workers = 4;
    if (e->opts.lease_ms <= 0)
        e->opts.lease_ms = 60000;
    if (!e->opts.batch_size || e->opts.batch_size > 256)
        e->opts.batch_size = 64;
    e->env.dir = opts->dir;
    e->env.store = opts->store;
    e->env.clock = opts->clock;
    e->env.cfg = opts->cfg;
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->wake, NULL);
    e->workers = lcw_calloc(e->opts.workers, sizeof(*e->workers));
    if (!e->workers) {
        lcw_free(e);
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    }
    for (unsigned i = 0; i < e->opts.workers; i++) {
        if (pthread_create(&e->workers[i], NULL, engine__worker_main, e) != 0) {
            engine_stop(e);
            return lcw_error_set(err, LCW_EINTERNAL, "cannot start worker threads");
        }
        e->n_workers++;
    }
    if (opts->is_scheduler_enabled) {
        if (pthread_create(&e->scheduler, NULL, engine__scheduler_main, e) != 0) {
            engine_stop(e);
            return lcw_error_set(err, LCW_EINTERNAL, "cannot start the scheduler thread");
        }
        e->has_scheduler = true;
    }
    *out = e;
    return 0;
}

void engine_stop(struct engine *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->lock);
    e->is_stopping = true;
    pthread_cond_broadcast(&e->wake);
    pthread_mutex_unlock(&e->lock);
    if (e->has_scheduler)
        (void)pthread_join(e->scheduler, NULL);
    for (unsigned i = 0; i < e->n_workers; i++)
        (void)pthread_join(e->workers[i], NULL);
    pthread_mutex_destroy(&e->lock);
    pthread_cond_destroy(&e->wake);
    lcw_free(e->workers);
    lcw_free(e);
}
