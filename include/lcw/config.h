/* SPDX-License-Identifier: MIT */
/*
 * config (part of common): lcwd's settings, from defaults < lcw.conf (INI) <
 * LCW_* environment < command-line flags. One table describes every option
 * once; docs/OPERATIONS.md lists the same table. Not thread-safe: build the
 * config at start-up, then treat it as read-only.
 */
#ifndef LCW_CONFIG_H
#define LCW_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lcw/common.h"

struct lcw_config {
    char *data_dir;       /* owned; default "./var" */
    char *listen;         /* owned; "HOST:PORT", default "127.0.0.1:8080" */
    char *config_file;    /* owned or NULL */
    char *store_url;      /* owned or NULL = sqlite in data_dir */
    char *tls_cert;       /* owned or NULL: PEM file */
    char *tls_key;        /* owned or NULL: PEM file */
    char *admin_token;    /* owned or NULL; wiped on release */
    char *public_url;     /* owned or NULL: base for absolute links */
    char *web_dir;        /* owned or NULL: admin UI files */
    char *log_level;      /* owned; "info" */
    char *log_format;     /* owned; "logfmt" */
    char *smtp_url;       /* owned or NULL: smtp://host:port or smtps://host:port */
    char *smtp_from;      /* owned or NULL: envelope and From: address */
    char *smtp_user;      /* owned or NULL */
    char *smtp_password;  /* owned or NULL; wiped on release */
    bool smtp_starttls;   /* require STARTTLS on smtp:// */
    bool demo;            /* seed a demo directory when the store is empty */
    int64_t http_threads; /* MHD thread pool size */
    int64_t max_body_bytes;
    int64_t rate_limit;           /* requests per second per token (burst: twice that); 0 = off */
    int64_t page_size;            /* default page size of collections */
    int64_t max_workflows;        /* per tenant */
    int64_t max_tasks;            /* per workflow */
    int64_t max_extensions;       /* custom task extensions per tenant */
    int64_t max_activation_users; /* users per on-demand activation */
    int64_t deleted_retention_days;
    int64_t schedule_interval_seconds; /* 0 = use the settings' hours */
    int64_t workers;
};

/* One option; exported so that `lcwd --help` and the docs can list them. */
struct config_option {
    const char *flag;    /* "--data-dir" */
    const char *env;     /* "LCW_DATA_DIR" */
    const char *section; /* INI section */
    const char *key;     /* INI key */
    const char *help;
    bool takes_value;
};

void config_defaults(struct lcw_config *c);
void config_release(struct lcw_config *c);

/* Apply an INI file. LCW_EIO when unreadable, LCW_EINVAL naming the line. */
int config_load_file(struct lcw_config *c, const char *path, struct lcw_error *err);

/* Apply LCW_* variables from `envp` (NULL-terminated, like environ). */
int config_load_env(struct lcw_config *c, char *const *envp, struct lcw_error *err);

/*
 * Apply flags from argv[*argi...]; stops at the first argument that is not
 * an option and leaves *argi there. "--flag value" and "--flag=value".
 */
int config_parse_args(struct lcw_config *c, int argc, char *const *argv, int *argi,
                      struct lcw_error *err);

/*
 * The whole chain: defaults, then the file named by --config or LCW_CONFIG
 * (if any), then the environment, then the flags.
 */
int config_load(struct lcw_config *c, int argc, char *const *argv, int *argi, char *const *envp,
                struct lcw_error *err);

/* The option table, for help output and tests: count, then each by index. */
size_t config_option_count(void);
const struct config_option *config_option_at(size_t i);

/* Print the options as help text. */
void config_print_help(FILE *out);

#endif /* LCW_CONFIG_H */
