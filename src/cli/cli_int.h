/* SPDX-License-Identifier: MIT */
/*
 * lcw, the command-line client: what its files share. The client talks to
 * lcwd over the HTTP API only (libcurl + jansson) and never includes the
 * store, api or engine headers. It is single-threaded; every function here
 * runs on the main thread. docs/internals/cli.md describes the design.
 *
 * Error convention: the functions below return an exit status (enum
 * cli_exit), not an lcw_err code, because the CLI is the boundary where
 * errors are reported. A function that returns non-zero has already printed
 * its message to stderr, unless it filled a caller-provided struct
 * cli_apierr instead (then the caller decides).
 */
#ifndef LCW_CLI_CLI_INT_H
#define LCW_CLI_CLI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "lcw/common.h"
#include "lcw/jsonx.h"

/* Exit statuses (documented in lcw(1) and docs/internals/cli.md). */
enum cli_exit {
    CLI_OK = 0,
    CLI_EUSAGE = 1,  /* bad arguments, unreadable file, local failure */
    CLI_EAPI = 2,    /* the API refused the request (4xx except 401, 5xx) */
    CLI_ECONN = 3,   /* no connection, TLS failure, timeout, no/unknown token (401) */
    CLI_EFAILED = 4, /* the work ran but failed: a --wait run ended badly, import rows failed */
};

/* Every option lcw knows; a command accepts a subset (struct cli_cmd.opts). */
enum cli_opt {
    OPT_URL,
    OPT_TOKEN,
    OPT_INSECURE,
    OPT_CACERT,
    OPT_TIMEOUT,
    OPT_HELP,
    OPT_JSON,
    OPT_CSV,
    OPT_QUIET,
    OPT_NO_PROGRESS,
    OPT_FILE,
    OPT_TEMPLATE,
    OPT_NAME,
    OPT_USER,
    OPT_STATUS,
    OPT_SINCE,
    OPT_RUN,
    OPT_FAILED_USERS,
    OPT_FAILED_TASKS,
    OPT_PLAN,
    OPT_WAIT,
    OPT_CATEGORY,
    OPT_ACTIVITY,
    OPT_COUNT_
};

#define OPTB(o) (1u << (o))
#define OPTS_GLOBAL                                                                                \
    (OPTB(OPT_URL) | OPTB(OPT_TOKEN) | OPTB(OPT_INSECURE) | OPTB(OPT_CACERT) | OPTB(OPT_TIMEOUT) | \
     OPTB(OPT_HELP))
#define OPTS_LIST     (OPTB(OPT_JSON) | OPTB(OPT_CSV) | OPTB(OPT_QUIET))
#define CLI_MAX_USERS 100

/* Parsed options. Strings are borrowed from argv or the environment. */
struct cli_opts {
    const char *url;
    const char *token;
    const char *cacert;
    bool is_insecure;
    long timeout_s; /* per request; 0 = default */
    bool want_help;
    bool want_json;
    bool want_csv;
    bool want_quiet;
    bool no_progress;
    const char *file;
    const char *template_id;
    const char *name;
    const char *users[CLI_MAX_USERS];
    size_t n_users;
    const char *status;
    const char *since;
    const char *run;
    bool failed_users;
    bool failed_tasks;
    bool plan;
    bool wait;
    const char *category;
    const char *activity;
};

struct cli;

typedef int cli__cmd_fn(struct cli *c);

/* One command: `lcw GROUP [VERB] ARGS...`. */
struct cli_cmd {
    const char *group;   /* "workflows" */
    const char *verb;    /* "list", or NULL for one-word commands ("run", "export") */
    const char *args;    /* argument synopsis for usage lines: "ID", "WORKFLOW RUN" */
    const char *summary; /* one line */
    const char *help;    /* longer text with examples; may be NULL */
    unsigned opts;       /* OPTB() bits accepted besides OPTS_GLOBAL */
    int min_args;
    int max_args; /* -1 = no limit */
    bool needs_server;
    cli__cmd_fn *run;
};

/* The command table (main.c) and its length. */
extern const struct cli_cmd cli__cmds[];
extern const size_t cli__n_cmds;

/* The state of one invocation. */
struct cli {
    struct cli_opts o;
    const struct cli_cmd *cmd;
    char **args; /* positionals after the command words; borrowed from argv */
    size_t n_args;
    char *base_url; /* owned: server URL without a trailing slash */
    char *token;    /* owned; wiped before it is freed */
    char *cacert;   /* owned copy from the config file, or NULL */
    bool is_insecure;
    CURL *curl;
    bool is_stdout_tty;
    bool is_stderr_tty;
    char location[2048]; /* Location header of the last response, or "" */
    bool progress_shown; /* a progress line is on stderr and needs a newline */
};

/* An API error, for callers that handle it themselves. */
struct cli_apierr {
    int exit; /* CLI_EAPI, CLI_ECONN or CLI_EUSAGE */
    long status;
    char code[96];
    char message[768];
};

/* ------------------------------------------------------------- http.c */

/* Create the libcurl handle and the connection settings from options, env and config. */
int cli__connect(struct cli *c);
/* Release everything cli__connect made. NULL-safe members. */
void cli__disconnect(struct cli *c);

/*
 * Call the API. `path` starts with "/v1.0/" (appended to the server URL)
 * or is an absolute URL from the server (nextLink, Location), which is
 * rebased onto the configured server URL. `body` may be NULL. On a 2xx, a
 * JSON body is returned in *out (new reference; NULL for 204), and the
 * Location header is in c->location. On failure returns CLI_EAPI or
 * CLI_ECONN; the error goes to `e` when it is non-NULL, else to stderr.
 */
int cli__api(struct cli *c, const char *method, const char *path, const json_t *body, json_t **out,
             struct cli_apierr *e);

/* GET `path` and every @odata.nextLink after it; *items is a new array of every value item. */
int cli__api_all(struct cli *c, const char *path, json_t **items);

/*
 * GET `path` with `Accept: accept` and write the body to `fp` as it
 * arrives (exports). When `skip_header` is true, the first line is dropped
 * (for concatenating CSV documents). Bounded by a low-speed timeout rather
 * than a total one, so that large exports can finish.
 */
int cli__api_stream(struct cli *c, const char *path, const char *accept, bool skip_header,
                    FILE *fp);

/* Print an API error as "lcw: CODE: message" and return its exit status. */
int cli__apierr_print(const struct cli_apierr *e);

/* Append `s` percent-encoded (everything but unreserved characters). */
int cli__urlenc(struct buf *b, const char *s);
/* Append "?name=value" or "&name=value" (value percent-encoded). */
int cli__query_add(struct buf *b, const char *name, const char *value);
/* Append an OData string literal: 'value' with quotes doubled. */
int cli__odata_str(struct buf *b, const char *value);

/* --------------------------------------------------------- config.c */

/* $XDG_CONFIG_HOME/lcw/config (or ~/.config/lcw/config) into `out`. */
int cli__config_path(char *out, size_t size);
/*
 * Read the config file (INI or key=value; keys url, token, cacert,
 * insecure). Missing file: 0 with nothing set. Values are owned by the caller.
 */
int cli__config_read(char **url, char **token, char **cacert, bool *is_insecure);
/* Write url and token (and cacert/insecure when set) with mode 0600. */
int cli__config_write(const char *url, const char *token, const char *cacert, bool is_insecure);

/* --------------------------------------------------------- output.c */

/* One column of a table: header and a '/'-separated JSON path ("subject/id"). */
struct cli_col {
    const char *header;
    const char *path;
};

/* The value at `path` in `obj` as text into `b` ("" for null or absent). */
int cli__cell(struct buf *b, const json_t *obj, const char *path);

/*
 * Print a list in the chosen format: --json (the items as one array),
 * --csv (header + rows), -q (first column only), an aligned table on a
 * terminal, or tab-separated rows without a header otherwise.
 */
int cli__print_list(struct cli *c, const json_t *items, const struct cli_col *cols, size_t n_cols);

/*
 * Print one object: --json (the object, without @odata.context), --csv
 * (one row), -q (its first field) or "Field: value" lines.
 */
int cli__print_object(struct cli *c, const json_t *obj, const struct cli_col *cols, size_t n_cols);

/* An aligned table (or tab-separated rows) regardless of --json/--csv, for sections of a show. */
int cli__print_table(struct cli *c, const json_t *items, const struct cli_col *cols, size_t n_cols);

/* Print `v` as indented JSON on stdout. */
int cli__print_json(const json_t *v);

/* Write one CSV field (RFC 4180 quoting when needed). */
void cli__csv_field(FILE *fp, const char *s);

/* A progress line on stderr (terminal only, not with --no-progress). */
void cli__progress(struct cli *c, const char *what, long done, long total, long failed);
/* End the progress line, if one is shown. */
void cli__progress_end(struct cli *c);

/* ----------------------------------------------------------- csv.c */

/* A reader of RFC 4180 CSV text held in memory (borrowed). */
struct cli_csv {
    const char *p;
    const char *end;
    long line; /* physical line of p, from 1 */
};

void cli__csv_init(struct cli_csv *r, const char *data, size_t len);
/*
 * Read the next record into *record (a new array of strings) and the line
 * it starts on into *line. Returns 1 for a record, 0 at the end, -2 with a
 * message in `err` for a bad record that was skipped (reading may go on at
 * the next line), or -1 with a message when nothing more can be read (a
 * quoted field that never ends, out of memory).
 */
int cli__csv_next(struct cli_csv *r, json_t **record, long *line, char *err, size_t err_size);

/* Read a whole file (or stdin for "-") into an owned buffer, capped at `max` bytes. */
int cli__read_file(const char *path, size_t max, char **out, size_t *len);

/* ---------------------------------------------------------- util (main.c) */

/* Print "lcw: message" to stderr, ending any progress line first; returns `code`. */
int cli__fail(struct cli *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * A time for filters: "7d", "12h", "30m", "2w" before now, or an RFC 3339
 * time or date. Writes RFC 3339 UTC into `out`; CLI_EUSAGE when invalid.
 */
int cli__since(struct cli *c, const char *spec, char out[TIMEFMT_LEN]);

/*
 * Resolve a workflow argument (an id, or the displayName of exactly one
 * workflow; of a deleted one when `is_deleted`) to its id in lower case.
 */
int cli__workflow_id(struct cli *c, const char *arg, bool is_deleted, char out[UUID_STR_LEN]);

/* Resolve a user argument (id or userPrincipalName) to its id. */
int cli__user_id(struct cli *c, const char *arg, char out[UUID_STR_LEN], struct cli_apierr *e);

/* The OData literal validation of a status name; false for unknown names. */
bool cli__is_status(const char *s);

/* --------------------------------------------------------- commands */

int cli__cmd_workflows_list(struct cli *c);
int cli__cmd_workflows_show(struct cli *c);
int cli__cmd_workflows_create(struct cli *c);
int cli__cmd_workflows_enable(struct cli *c);
int cli__cmd_workflows_disable(struct cli *c);
int cli__cmd_workflows_delete(struct cli *c);
int cli__cmd_workflows_restore(struct cli *c);
int cli__cmd_workflows_versions(struct cli *c);
int cli__cmd_workflows_new_version(struct cli *c);
int cli__cmd_workflows_tasks(struct cli *c);
int cli__cmd_task_definitions_list(struct cli *c);
int cli__cmd_templates_list(struct cli *c);
int cli__cmd_templates_show(struct cli *c);

int cli__cmd_run(struct cli *c);
int cli__cmd_runs_list(struct cli *c);
int cli__cmd_runs_show(struct cli *c);
int cli__cmd_runs_summary(struct cli *c);
int cli__cmd_runs_cancel(struct cli *c);
int cli__cmd_results_list(struct cli *c);
int cli__cmd_results_show(struct cli *c);
int cli__cmd_reprocess_run(struct cli *c);
int cli__cmd_reprocess_users(struct cli *c);
int cli__cmd_reprocess_failed(struct cli *c);
int cli__cmd_export(struct cli *c);

int cli__cmd_users_list(struct cli *c);
int cli__cmd_users_show(struct cli *c);
int cli__cmd_users_import(struct cli *c);
int cli__cmd_groups_list(struct cli *c);
int cli__cmd_groups_show(struct cli *c);
int cli__cmd_audit_list(struct cli *c);
int cli__cmd_settings_show(struct cli *c);
int cli__cmd_settings_set(struct cli *c);
int cli__cmd_login(struct cli *c);

#endif /* LCW_CLI_CLI_INT_H */
