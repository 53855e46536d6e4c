/* SPDX-License-Identifier: MIT */
/*
 * lcwd: wiring. Config -> logger -> store (migrations) -> admin token ->
 * demo seed -> HTTP -> maintenance thread; then wait for SIGTERM/SIGINT on
 * the main thread (signals are blocked in every other thread) and shut down
 * in order: stop accepting, drain requests, stop maintenance, close the
 * store. Also the `lcwd token ...` administration commands, which work on
 * the data directory directly. lcwd never writes to stdout except for the
 * token commands' output, which scripts read.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "lcw/api.h"
#include "lcw/common.h"
#include "lcw/config.h"
#include "lcw/dir.h"
#include "lcw/engine.h"
#include "lcw/http.h"
#include "lcw/jsonx.h"
#include "lcw/store.h"

extern char **environ;

#define MAINTENANCE_INTERVAL_S 60
#define DRAIN_MS               10000

static void usage(FILE *out)
{
    (void)fprintf(out, "usage: lcwd [options]                 run the daemon\n"
                       "       lcwd token create --role ROLE --name NAME [options]\n"
                       "       lcwd token list [options]\n"
                       "       lcwd token revoke NAME [options]\n"
                       "       lcwd --version | --help\n\n"
                       "ROLE is 'Global Administrator', 'Lifecycle Workflows Administrator',\n"
                       "'Global Reader', or a comma-separated list of Graph permissions.\n\n"
                       "options (each also an LCW_* variable and a key in the --config file):\n");
    config_print_help(out);
}

/* mkdir -p with mode 0700 for the parts it creates. */
static int make_dirs(const char *path, struct lcw_error *err)
{
    char tmp[4096];
    size_t n = lcw_strlcpy(tmp, path, sizeof(tmp));

    if (n >= sizeof(tmp))
        return lcw_error_set(err, LCW_EINVAL, "data directory path too long");
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return lcw_error_set(err, LCW_EIO, "cannot create directory '%s'", tmp);
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return lcw_error_set(err, LCW_EIO, "cannot create data directory '%s'", tmp);
    return 0;
}

static int open_store(const struct lcw_config *cfg, struct store **out, struct lcw_error *err)
{
    char url[4200];
    int rc;

    if (cfg->store_url)
        return store_open(cfg->store_url, out, err);
    rc = make_dirs(cfg->data_dir, err);
    if (rc)
        return rc;
    (void)snprintf(url, sizeof(url), "sqlite://%s/lcw.db", cfg->data_dir);
    return store_open(url, out, err);
}

/*
 * Make sure an administrator can get in: LCW_ADMIN_TOKEN's value always
 * works; without it, the very first start creates a token and shows it once.
 */
static int ensure_admin_token(const struct api_ctx *ctx, struct lcw_error *err)
{
    struct api_principal who;
    struct store_tx tx;
    struct store_token *all = NULL;
    size_t n = 0;
    char *secret = NULL;
    char name[96], hash[65];
    int rc;

    if (ctx->cfg->admin_token) {
        if (api_authenticate(ctx, ctx->cfg->admin_token, &who, err) == 0 &&
            (who.perms & PERM_DIR_WRITE))
            return 0;
        api_token_hash(ctx->cfg->admin_token, hash);
        /* The name records which value it was, without revealing it. */
        (void)snprintf(name, sizeof(name), "admin-env-%.12s", hash);
        {
            /* Revoked earlier but still in LCW_ADMIN_TOKEN: the variable says it
             * must work, so it is made live again (the value is the key). */
            struct store_token t;

            rc = api_token_restore(ctx, hash, &t, err);
            if (rc == 0) {
                log_warn("admin_token_unrevoked", "name=%s source=LCW_ADMIN_TOKEN", t.name);
                return 0;
            }
            if (rc != LCW_ENOTFOUND)
                return rc;
        }
        rc = api_token_create(ctx, name, "Global Administrator", ctx->cfg->admin_token, &secret,
                              err);
        if (secret) {
            sodium_memzero(secret, strlen(secret));
            lcw_free(secret);
        }
        if (!rc)
            log_info("admin_token_ready", "name=%s source=LCW_ADMIN_TOKEN", name);
        return rc;
    }
    rc = store_tx_begin(ctx->store, &tx, STORE_TX_READ, err);
    if (rc)
        return rc;
    rc = store_token_list(&tx, &all, &n, err);
    store_tx_rollback(&tx);
    lcw_free(all);
    if (rc || n > 0)
        return rc;
    rc = api_token_create(ctx, "admin", "Global Administrator", NULL, &secret, err);
    if (rc)
        return rc;
    (void)fprintf(stderr,
                  "\n  First start: a Global Administrator token was created. It is shown only "
                  "once:\n\n      %s\n\n  Create more with 'lcwd token create'.\n\n",
                  secret);
    sodium_memzero(secret, strlen(secret));
    lcw_free(secret);
    return 0;
}

static int token_command(struct api_ctx *ctx, int argc, char **argv, int argi,
                         struct lcw_error *err)
{
    const char *sub = argv[argi];
    const char *role = NULL, *name = NULL;
    int rc;

    /* Sub-command arguments: --role, --name, or a positional name for revoke. */
    for (int i = argi + 1; i < argc; i++) {
        if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            role = argv[++i];
        else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
            name = argv[++i];
        else if (argv[i][0] != '-' && !name)
            name = argv[i];
        else
            return lcw_error_set(err, LCW_EINVAL, "unexpected argument '%s'", argv[i]);
    }
    if (strcmp(sub, "create") == 0) {
        char *secret = NULL;

        if (!role || !name)
            return lcw_error_set(err, LCW_EINVAL, "token create needs --role ROLE and --name NAME");
        rc = api_token_create(ctx, name, role, NULL, &secret, err);
        if (rc)
            return rc;
        (void)printf("%s\n", secret);
        sodium_memzero(secret, strlen(secret));
        lcw_free(secret);
        return 0;
    }
    if (strcmp(sub, "list") == 0) {
        struct store_tx tx;
        struct store_token *all = NULL;
        size_t n = 0;

        rc = store_tx_begin(ctx->store, &tx, STORE_TX_READ, err);
        if (rc)
            return rc;
        rc = store_token_list(&tx, &all, &n, err);
        store_tx_rollback(&tx);
        if (rc)
            return rc;
        (void)printf("%-24s %-36s %-24s %s\n", "NAME", "ROLE", "CREATED", "STATE");
        for (size_t i = 0; i < n; i++) {
            char ts[TIMEFMT_LEN];

            (void)printf("%-24s %-36s %-24s %s\n", all[i].name, all[i].role,
                         timefmt_format(all[i].created_at_ms, ts),
                         all[i].is_revoked ? "revoked" : "active");
        }
        lcw_free(all);
        return 0;
    }
    if (strcmp(sub, "revoke") == 0) {
        if (!name)
            return lcw_error_set(err, LCW_EINVAL, "token revoke needs the token's NAME");
        return api_token_revoke(ctx, name, err);
    }
    return lcw_error_set(err, LCW_EINVAL, "unknown token command '%s' (create, list, revoke)", sub);
}

/* The maintenance thread: purge expired deleted workflows once a minute. */
static pthread_mutex_t maint_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t maint_wake = PTHREAD_COND_INITIALIZER;
static bool maint_stop;

static void *maintenance_main(void *arg)
{
    const struct api_ctx *ctx = arg;

    for (;;) {
        struct lcw_error err = {0};
        struct timespec until;

        if (api_maintenance(ctx, &err))
            log_warn("maintenance_failed", "detail=\"%s\"", err.msg);
        (void)clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += MAINTENANCE_INTERVAL_S;
        pthread_mutex_lock(&maint_lock);
        while (!maint_stop && pthread_cond_timedwait(&maint_wake, &maint_lock, &until) != ETIMEDOUT)
            ;
        if (maint_stop) {
            pthread_mutex_unlock(&maint_lock);
            return NULL;
        }
        pthread_mutex_unlock(&maint_lock);
    }
}

static int run_daemon(struct api_ctx *ctx, struct lcw_error *err)
{
    struct http_options ho = {0};
    struct http_server *http = NULL;
    struct engine_options eo = {0};
    struct engine *engine = NULL;
    pthread_t maint;
    sigset_t set;
    int sig = 0, rc;

    rc = ensure_admin_token(ctx, err);
    if (rc)
        return rc;
    if (ctx->cfg->demo) {
        rc = api_demo_seed(ctx, err);
        if (rc)
            return rc;
    }
    ho.listen = ctx->cfg->listen;
    ho.tls_cert = ctx->cfg->tls_cert;
    ho.tls_key = ctx->cfg->tls_key;
    ho.public_url = ctx->cfg->public_url;
    ho.web_dir = ctx->cfg->web_dir;
    ho.threads = (unsigned)ctx->cfg->http_threads;
    ho.max_body_bytes = (size_t)ctx->cfg->max_body_bytes;
    ho.rate_limit = (unsigned)ctx->cfg->rate_limit;
    eo.store = ctx->store;
    eo.dir = ctx->dir;
    eo.clock = ctx->clock;
    eo.cfg = ctx->cfg;
    eo.workers = (unsigned)ctx->cfg->workers;
    eo.is_scheduler_enabled = true;
    rc = engine_start(&eo, &engine, err);
    if (rc)
        return rc;
    ctx->engine = engine;
    rc = http_start(ctx, &ho, &http, err);
    if (rc) {
        engine_stop(engine);
        return rc;
    }
    if (pthread_create(&maint, NULL, maintenance_main, ctx) != 0) {
        http_stop(http, 0);
        return lcw_error_set(err, LCW_EINTERNAL, "cannot start the maintenance thread");
    }
    log_info("listening", "url=%s data_dir=%s store=%s version=%s", http_url(http),
             ctx->cfg->data_dir, store_driver_name(ctx->store), LCW_VERSION);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    (void)sigwait(&set, &sig);
    log_info("shutting_down", "signal=%s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    http_stop(http, DRAIN_MS);
    pthread_mutex_lock(&maint_lock);
    maint_stop = true;
    pthread_cond_signal(&maint_wake);
    pthread_mutex_unlock(&maint_lock);
    (void)pthread_join(maint, NULL);
    engine_stop(engine);
    ctx->engine = NULL;
    log_info("stopped", "%s", "");
    return 0;
}

int main(int argc, char **argv)
{
    struct lcw_config cfg;
    struct lcw_error err = {0};
    struct api_ctx ctx = {0};
    struct store *store = NULL;
    struct dir *dir = NULL;
    enum log_level level;
    enum log_format format;
    bool is_token_cmd = false;
    sigset_t set;
    int argi = 1, rc;

    /* Block the shutdown signals before any thread exists, so all inherit it. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    (void)pthread_sigmask(SIG_BLOCK, &set, NULL);
    (void)signal(SIGPIPE, SIG_IGN);

    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        (void)printf("lcwd %s\n", LCW_VERSION);
        return 0;
    }
    if (lcw_crypto_init()) {
        (void)fprintf(stderr, "lcwd: libsodium failed to initialise\n");
        return 1;
    }
    lcw_alloc_install_jansson();
    /* libcurl's global state (email and extension tasks) before any thread. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        (void)fprintf(stderr, "lcwd: libcurl failed to initialise\n");
        return 1;
    }
    config_defaults(&cfg);
    if (argc > 2 && strcmp(argv[1], "token") == 0) {
        /* `lcwd token SUB ...`: options may come anywhere; pull them out first. */
        char **rest = lcw_xmalloc(sizeof(char *) * (size_t)(argc + 1));
        char **opts = lcw_xmalloc(sizeof(char *) * (size_t)(argc + 1));
        int n_rest = 0, n_opts = 1, oi = 1;

        opts[0] = argv[0];
        for (int i = 2; i < argc; i++) {
            bool is_cfg = false;

            for (size_t k = 0; k < config_option_count(); k++) {
                const struct config_option *o = config_option_at(k);
                size_t fl = strlen(o->flag);

                if (strncmp(argv[i], o->flag, fl) == 0 &&
                    (argv[i][fl] == '\0' || argv[i][fl] == '=')) {
                    is_cfg = true;
                    opts[n_opts++] = argv[i];
                    if (argv[i][fl] == '\0' && o->takes_value && i + 1 < argc)
                        opts[n_opts++] = argv[++i];
                }
            }
            if (!is_cfg)
                rest[n_rest++] = argv[i];
        }
        rest[n_rest] = NULL;
        opts[n_opts] = NULL;
        rc = config_load(&cfg, n_opts, opts, &oi, environ, &err);
        is_token_cmd = true;
        if (!rc) {
            /* Reassemble: argv = [lcwd, SUB, args...] for token_command. */
            argv[1] = rest[0];
            for (int i = 1; i <= n_rest; i++)
                argv[i + 1] = rest[i];
            argc = n_rest + 1;
            argi = 1;
        }
        lcw_free(rest);
        lcw_free(opts);
    } else {
        rc = config_load(&cfg, argc, argv, &argi, environ, &err);
        if (!rc && argi < argc) {
            rc = lcw_error_set(&err, LCW_EINVAL, "unexpected argument '%s' (see --help)",
                               argv[argi]);
        }
    }
    if (rc)
        goto out;
    if (log_level_parse(cfg.log_level, &level) || log_format_parse(cfg.log_format, &format)) {
        rc = lcw_error_set(&err, LCW_EINVAL, "bad --log-level or --log-format");
        goto out;
    }
    log_setup(level, format);
    rc = open_store(&cfg, &store, &err);
    if (rc)
        goto out;
    ctx.store = store;
    ctx.cfg = &cfg;
    rc = dir_open_embedded(store, lcw_clock_system(), &dir, &err);
    if (rc)
        goto out;
    ctx.dir = dir;
    ctx.clock = lcw_clock_system();
    model_limits_default(&ctx.limits);
    ctx.limits.max_tasks = (int)cfg.max_tasks;
    if (is_token_cmd)
        rc = token_command(&ctx, argc, argv, argi, &err);
    else
        rc = run_daemon(&ctx, &err);
out:
    if (rc)
        (void)fprintf(stderr, "lcwd: %s\n", err.msg[0] ? err.msg : lcw_err_name(rc));
    dir_close(dir);
    store_close(store);
    config_release(&cfg);
    curl_global_cleanup();
    return rc ? (rc == LCW_EINVAL ? 2 : 1) : 0;
}
