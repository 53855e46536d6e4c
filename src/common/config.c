/* SPDX-License-Identifier: MIT */
/*
 * Configuration loading. Every option is described once in `options[]`,
 * which drives the INI reader (libinih), the LCW_* environment reader and
 * the flag parser, so the three can never disagree. Start-up only.
 */
#include "lcw/config.h"

#include <stddef.h>
#include <string.h>

#include <ini.h>
#include <sodium.h>

enum opt_type { OPT_STR, OPT_INT, OPT_BOOL };

struct opt_def {
    struct config_option pub;
    enum opt_type type;
    size_t offset;
    int64_t min, max;
};

#define STR_OPT(flag, env, sec, key, field, help)                                            \
    {                                                                                        \
        {flag, env, sec, key, help, true}, OPT_STR, offsetof(struct lcw_config, field), 0, 0 \
    }
#define INT_OPT(flag, env, sec, key, field, lo, hi, help)                                      \
    {                                                                                          \
        {flag, env, sec, key, help, true}, OPT_INT, offsetof(struct lcw_config, field), lo, hi \
    }
#define BOOL_OPT(flag, env, sec, key, field, help)                                             \
    {                                                                                          \
        {flag, env, sec, key, help, false}, OPT_BOOL, offsetof(struct lcw_config, field), 0, 1 \
    }

static const struct opt_def options[] = {
        STR_OPT("--data-dir", "LCW_DATA_DIR", "server", "data_dir", data_dir,
                "directory for the SQLite database and state (default ./var)"),
        STR_OPT("--listen", "LCW_LISTEN", "server", "listen", listen,
                "HOST:PORT to serve on (default 127.0.0.1:8080; port 0 picks a free port)"),
        STR_OPT("--config", "LCW_CONFIG", "server", "config", config_file,
                "INI configuration file"),
        STR_OPT("--store", "LCW_STORE", "store", "url", store_url,
                "store URL (default sqlite://DATA_DIR/lcw.db)"),
        STR_OPT("--tls-cert", "LCW_TLS_CERT", "tls", "cert", tls_cert,
                "PEM certificate chain; enables HTTPS with --tls-key"),
        STR_OPT("--tls-key", "LCW_TLS_KEY", "tls", "key", tls_key, "PEM private key"),
        STR_OPT("--admin-token", "LCW_ADMIN_TOKEN", "auth", "admin_token", admin_token,
                "ensure a Global Administrator token with exactly this value exists"),
        STR_OPT("--public-url", "LCW_PUBLIC_URL", "server", "public_url", public_url,
                "scheme://host[:port] used in absolute links (default: from the request)"),
        STR_OPT("--web-dir", "LCW_WEB_DIR", "server", "web_dir", web_dir,
                "directory of the admin UI files"),
        STR_OPT("--log-level", "LCW_LOG_LEVEL", "log", "level", log_level,
                "debug, info, warn or error (default info)"),
        STR_OPT("--log-format", "LCW_LOG_FORMAT", "log", "format", log_format,
                "logfmt or json (default logfmt)"),
        STR_OPT("--smtp-url", "LCW_SMTP_URL", "smtp", "url", smtp_url,
                "SMTP server for email tasks: smtp://HOST:PORT or smtps://HOST:PORT"),
        STR_OPT("--smtp-from", "LCW_SMTP_FROM", "smtp", "from", smtp_from,
                "sender address of email tasks"),
        STR_OPT("--smtp-user", "LCW_SMTP_USER", "smtp", "user", smtp_user, "SMTP user name"),
        STR_OPT("--smtp-password", "LCW_SMTP_PASSWORD", "smtp", "password", smtp_password,
                "SMTP password"),
        BOOL_OPT("--smtp-starttls", "LCW_SMTP_STARTTLS", "smtp", "starttls", smtp_starttls,
                 "require STARTTLS on smtp:// connections"),
        BOOL_OPT("--demo", "LCW_DEMO", "server", "demo", demo,
                 "seed a demo directory and workflows when the store is empty"),
        INT_OPT("--http-threads", "LCW_HTTP_THREADS", "http", "threads", http_threads, 1, 256,
                "HTTP worker threads (default 4)"),
        INT_OPT("--max-body-bytes", "LCW_MAX_BODY_BYTES", "http", "max_body_bytes", max_body_bytes,
                1024, 1073741824, "largest request body (default 1048576)"),
        INT_OPT("--rate-limit", "LCW_RATE_LIMIT", "http", "rate_limit", rate_limit, 0, 1000000,
                "requests per second per token before 429 (burst twice that; 0 = off; "
                "default 200)"),
        INT_OPT("--page-size", "LCW_PAGE_SIZE", "http", "page_size", page_size, 1, 999,
                "default page size of collections (default 100)"),
        INT_OPT("--max-workflows", "LCW_MAX_WORKFLOWS", "limits", "workflows", max_workflows, 1,
                1000000, "workflows per tenant (default 100)"),
        INT_OPT("--max-tasks", "LCW_MAX_TASKS", "limits", "tasks_per_workflow", max_tasks, 1, 1000,
                "tasks per workflow (default 25)"),
        INT_OPT("--max-extensions", "LCW_MAX_EXTENSIONS", "limits", "custom_task_extensions",
                max_extensions, 1, 1000000, "custom task extensions per tenant (default 100)"),
        INT_OPT("--max-activation-users", "LCW_MAX_ACTIVATION_USERS", "limits", "activation_users",
                max_activation_users, 1, 1000000,
                "users per on-demand activation or reprocess selection (default 10)"),
        INT_OPT("--deleted-retention-days", "LCW_DELETED_RETENTION_DAYS", "limits",
                "deleted_retention_days", deleted_retention_days, 1, 3650,
                "days a deleted workflow can be restored (default 30)"),
        INT_OPT("--schedule-interval-seconds", "LCW_SCHEDULE_INTERVAL_SECONDS", "scheduler",
                "interval_seconds", schedule_interval_seconds, 0, 86400,
                "override the schedule interval (0 = the settings' hours)"),
        INT_OPT("--workers", "LCW_WORKERS", "engine", "workers", workers, 1, 256,
                "task worker threads (default 4)"),
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

size_t config_option_count(void)
{
    return N_OPTIONS;
}

const struct config_option *config_option_at(size_t i)
{
    return i < N_OPTIONS ? &options[i].pub : NULL;
}

void config_print_help(FILE *out)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct config_option *o = &options[i].pub;

        (void)fprintf(out, "  %s%s\n      %s (env %s, [%s] %s)\n", o->flag,
                      o->takes_value ? " VALUE" : "", o->help, o->env, o->section, o->key);
    }
}

void config_defaults(struct lcw_config *c)
{
    memset(c, 0, sizeof(*c));
    c->data_dir = lcw_xstrdup("./var");
    c->listen = lcw_xstrdup("127.0.0.1:8080");
    c->log_level = lcw_xstrdup("info");
    c->log_format = lcw_xstrdup("logfmt");
    c->http_threads = 4;
    c->max_body_bytes = 1048576;
    c->rate_limit = 200;
    c->page_size = 100;
    c->max_workflows = 100;
    c->max_tasks = 25;
    c->max_extensions = 100;
    c->max_activation_users = 10;
    c->deleted_retention_days = 30;
    c->workers = 4;
}

static void free_secret(char *s)
{
    if (s) {
        sodium_memzero(s, strlen(s));
        lcw_free(s);
    }
}

void config_release(struct lcw_config *c)
{
    char **strs[] = {&c->data_dir, &c->listen,     &c->config_file, &c->store_url, &c->tls_cert,
                     &c->tls_key,  &c->public_url, &c->web_dir,     &c->log_level, &c->log_format,
                     &c->smtp_url, &c->smtp_from,  &c->smtp_user};

    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        lcw_free(*strs[i]);
        *strs[i] = NULL;
    }
    free_secret(c->admin_token);
    c->admin_token = NULL;
    free_secret(c->smtp_password);
    c->smtp_password = NULL;
}

static int bool_parse(const char *v, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off", ""};

    for (size_t i = 0; i < 4; i++) {
        if (lcw_str_eq_ci(v, yes[i])) {
            *out = true;
            return 0;
        }
    }
    for (size_t i = 0; i < 5; i++) {
        if (lcw_str_eq_ci(v, no[i])) {
            *out = false;
            return 0;
        }
    }
    return LCW_EINVAL;
}

/* Store `value` into the option's field; `from` names the source for errors. */
static int opt_set(struct lcw_config *c, const struct opt_def *o, const char *value,
                   const char *from, struct lcw_error *err)
{
    char *base = (char *)c;

    switch (o->type) {
    case OPT_STR: {
        char **field = (char **)(void *)(base + o->offset);
        char *copy = lcw_strdup(value);

        if (!copy)
            return lcw_error_set(err, LCW_ENOMEM, "out of memory");
        if (field == &c->admin_token || field == &c->smtp_password)
            free_secret(*field);
        else
            lcw_free(*field);
        *field = copy;
        return 0;
    }
    case OPT_INT: {
        int64_t v;

        if (str_to_i64(value, strlen(value), &v) || v < o->min || v > o->max)
            return lcw_error_set(err, LCW_EINVAL,
                                 "%s: %s must be a whole number from %lld to %lld (got '%s')", from,
                                 o->pub.flag, (long long)o->min, (long long)o->max, value);
        *(int64_t *)(void *)(base + o->offset) = v;
        return 0;
    }
    case OPT_BOOL:
        if (bool_parse(value, (bool *)(void *)(base + o->offset)))
            return lcw_error_set(err, LCW_EINVAL, "%s: %s must be true or false (got '%s')", from,
                                 o->pub.flag, value);
        return 0;
    }
    return LCW_EINTERNAL;
}

struct ini_ctx {
    struct lcw_config *c;
    struct lcw_error *err;
    const char *path;
    int rc;
};

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
    struct ini_ctx *ctx = user;
    char from[300];

    (void)snprintf(from, sizeof(from), "%s [%s] %s", ctx->path, section, name);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if (lcw_str_eq_ci(section, options[i].pub.section) &&
            lcw_str_eq_ci(name, options[i].pub.key)) {
            ctx->rc = opt_set(ctx->c, &options[i], value, from, ctx->err);
            return ctx->rc == 0;
        }
    }
    ctx->rc = lcw_error_set(ctx->err, LCW_EINVAL, "%s: unknown option '%s' in section [%s]", from,
                            name, section);
    return 0;
}

int config_load_file(struct lcw_config *c, const char *path, struct lcw_error *err)
{
    struct ini_ctx ctx = {c, err, path, 0};
    int rc = ini_parse(path, on_ini_entry, &ctx);

    if (rc == -1)
        return lcw_error_set(err, LCW_EIO, "cannot read config file '%s'", path);
    if (ctx.rc)
        return ctx.rc;
    if (rc != 0)
        return lcw_error_set(err, LCW_EINVAL, "%s:%d: syntax error", path, rc);
    return 0;
}

int config_load_env(struct lcw_config *c, char *const *envp, struct lcw_error *err)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        size_t n = strlen(options[i].pub.env);

        for (char *const *e = envp; e && *e; e++) {
            if (strncmp(*e, options[i].pub.env, n) == 0 && (*e)[n] == '=') {
                int rc = opt_set(c, &options[i], *e + n + 1, options[i].pub.env, err);

                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

int config_parse_args(struct lcw_config *c, int argc, char *const *argv, int *argi,
                      struct lcw_error *err)
{
    while (*argi < argc) {
        const char *a = argv[*argi], *eq, *value;
        const struct opt_def *o = NULL;
        size_t n;

        if (strncmp(a, "--", 2) != 0 || strcmp(a, "--help") == 0)
            return 0;
        eq = strchr(a, '=');
        n = eq ? (size_t)(eq - a) : strlen(a);
        for (size_t i = 0; i < N_OPTIONS; i++) {
            if (strlen(options[i].pub.flag) == n && strncmp(options[i].pub.flag, a, n) == 0)
                o = &options[i];
        }
        if (!o)
            return lcw_error_set(err, LCW_EINVAL, "unknown option '%.*s' (see --help)", (int)n, a);
        if (o->type == OPT_BOOL && !eq) {
            value = "true";
        } else if (eq) {
            value = eq + 1;
        } else if (*argi + 1 < argc) {
            value = argv[++*argi];
        } else {
            return lcw_error_set(err, LCW_EINVAL, "option '%s' needs a value", o->pub.flag);
        }
        (*argi)++;
        {
            int rc = opt_set(c, o, value, "command line", err);

            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Find --config/LCW_CONFIG before anything else, since the file is the lowest layer. */
static const char *find_config_path(int argc, char *const *argv, int argi, char *const *envp)
{
    const char *path = NULL;

    for (char *const *e = envp; e && *e; e++) {
        if (strncmp(*e, "LCW_CONFIG=", 11) == 0)
            path = *e + 11;
    }
    for (int i = argi; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
    }
    return path;
}

int config_load(struct lcw_config *c, int argc, char *const *argv, int *argi, char *const *envp,
                struct lcw_error *err)
{
    const char *path = find_config_path(argc, argv, *argi, envp);
    int rc;

    if (path) {
        rc = config_load_file(c, path, err);
        if (rc)
            return rc;
    }
    rc = config_load_env(c, envp, err);
    if (rc)
        return rc;
    return config_parse_args(c, argc, argv, argi, err);
}
