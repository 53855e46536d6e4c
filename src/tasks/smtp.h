/* SPDX-License-Identifier: MIT */
/*
 * Private to the remote task executors (email.c, smtp.c, tap.c,
 * extension.c): the SMTP client over libcurl, and the mail pipeline the
 * email tasks and "Generate TAP and send email" share (recipients,
 * placeholders, the RFC 5322 message, sending, reporting). Nothing here
 * logs or keeps state between calls; everything is safe to call from
 * several engine workers at once.
 */
#ifndef LCW_TASKS_SMTP_H
#define LCW_TASKS_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lcw/common.h"
#include "lcw/config.h"
#include "lcw/tasks.h"

/* ------------------------------------------------------------------ SMTP */

/* One recipient of a mail. */
struct mail_rcpt {
    char *address; /* owned, a checked bare address */
    char *name;    /* owned or NULL: display name */
    bool is_cc;
};

/* Connect and whole-transfer bounds of one SMTP delivery. */
#define SMTP_CONNECT_TIMEOUT_MS 10000
#define SMTP_TOTAL_TIMEOUT_MS   30000
/* The first retry of a transient SMTP failure; doubled per attempt, capped. */
#define SMTP_RETRY_FIRST_MS 30000
#define SMTP_RETRY_MAX_MS   (30 * 60 * 1000)

enum smtp_result {
    SMTP_SENT,      /* the server accepted the message (250 after DATA) */
    SMTP_TRANSIENT, /* try again later: no connection, timeout, 4xx reply */
    SMTP_PERMANENT, /* will not succeed as is: 5xx reply, TLS or login refused */
};

struct smtp_status {
    enum smtp_result result;
    long reply_code; /* last SMTP reply code, 0 when none was read */
    char reply[256]; /* the server's last reply line, or curl's description */
};

/*
 * Deliver `msg` (an RFC 5322 message with CRLF line ends, `len` bytes) from
 * the envelope sender `from` (a bare address) to the `n_rcpts` bare
 * addresses, through the server `cfg` names (smtp_url, smtp_user,
 * smtp_password, smtp_starttls). The outcome is in `st`; the return value is
 * 0, or LCW_ENOMEM / LCW_EINVAL (no smtp_url) for failures that are not the
 * server's.
 */
int tasks__smtp_send(const struct lcw_config *cfg, const char *from, const char *const *rcpts,
                     size_t n_rcpts, const char *msg, size_t len, struct smtp_status *st,
                     struct lcw_error *err);

/* RFC 5322 date of `ms`: "Sun, 01 Mar 2026 09:00:00 +0000". */
void tasks__smtp_date(int64_t ms, char *out, size_t cap);

/* True when `s` is printable ASCII only (no control characters). */
bool tasks__smtp_is_ascii(const char *s);

/*
 * Append `s` (UTF-8) as RFC 2047 "B" encoded words of at most 75
 * characters, never splitting a UTF-8 sequence, folded with CRLF SP.
 */
int tasks__smtp_put_encoded_words(struct buf *out, const char *s);

/* Append `"Name" <addr>`, an encoded word for a non-ASCII name, or `<addr>`. */
int tasks__smtp_put_mailbox(struct buf *out, const struct mail_rcpt *r);

/*
 * Append the header `field` ("To: ") listing the recipients whose is_cc
 * equals `cc`, folded after each comma, with its CRLF; nothing when there
 * is none.
 */
int tasks__smtp_put_address_header(struct buf *out, const char *field,
                                   const struct mail_rcpt *rcpts, size_t n_rcpts, bool cc);

/*
 * Append `s` as quoted-printable (RFC 2045 6.7): LF or CRLF become CRLF hard
 * breaks, lines are soft-broken before 76 characters.
 */
int tasks__smtp_put_quoted_printable(struct buf *out, const char *s, size_t n);

/* ------------------------------------------------------------ the mail */

/* One email task's defaults. */
struct mail_template {
    const char *definition_id;
    const char *default_to; /* "User" or "Manager" */
    const char *subject;    /* plain text with placeholders */
    const char *body_html;  /* trusted HTML fragment with placeholders */
};

/* An extra placeholder (the TAP task's {{temporaryAccessPass}} and friends). */
struct mail_var {
    const char *name;  /* without braces */
    const char *value; /* borrowed; inserted HTML-escaped into the body */
};

/* A prepared mail: who, about whom, and (after rendering) the message. */
struct mail {
    const struct task_call *call; /* borrowed */
    const json_t *user;           /* borrowed: call->user */
    json_t *manager;              /* owned or NULL */
    struct mail_rcpt *rcpts;      /* owned, n_rcpts entries */
    size_t n_rcpts;
    char from[256];              /* envelope sender (bare address) */
    char from_name[128];         /* the sender's display name, or "" */
    char message_id[64];         /* "<uuid@lcw>" once rendered */
    struct buf msg;              /* the rendered message; wiped on release */
    const struct mail_var *vars; /* borrowed, n_vars extra placeholders */
    size_t n_vars;
};

/*
 * Is email possible in this deployment at all? False with a reason when no
 * SMTP server or no sender address is configured.
 */
bool tasks__mail_configured(const struct lcw_config *cfg, char *reason, size_t cap);

/*
 * The value of argument `name` of the task, or NULL when absent or empty
 * (an empty argument means "use the default"). Borrowed from the task.
 */
const char *tasks__mail_arg(const json_t *task, const char *name);

/*
 * Set up `m` for `call`: check the configuration, load the manager, and
 * resolve the `to` (default `tpl->default_to`) and `cc` arguments into
 * addresses. When the task cannot be sent (nothing configured, a recipient
 * without an address, ...) *is_ready is false and `report` holds the
 * TASK_FAILED reason. Returns 0 or a negative lcw_err for internal
 * failures. Release `m` with tasks__mail_release in every case.
 */
int tasks__mail_prepare(struct mail *m, const struct task_call *call,
                        const struct mail_template *tpl, bool *is_ready, struct task_report *report,
                        struct lcw_error *err);

/*
 * Render the message: subject and body from the customSubject/customBody
 * arguments or `tpl`, placeholders substituted (with `vars` as extra ones),
 * headers, quoted-printable body. Fills m->msg and m->message_id.
 */
int tasks__mail_render(struct mail *m, const struct mail_template *tpl, const struct mail_var *vars,
                       size_t n_vars, struct lcw_error *err);

/*
 * Send the rendered message and fill `report`: TASK_COMPLETED with
 * "<what> sent to a@x (Message-ID <...>)" (`what` e.g. "Email"), TASK_RETRY
 * on a transient failure, TASK_FAILED on a permanent one.
 */
int tasks__mail_send(struct mail *m, const char *what, struct task_report *report,
                     struct lcw_error *err);

/*
 * Append an RFC 3339 time as English text for a mail: "28 November 2026",
 * or "28 November 2026 17:30 UTC" when the time is not midnight. Text that
 * does not parse is appended as is.
 */
int tasks__mail_human_date(struct buf *out, const char *rfc3339);

/* Free everything `m` owns and wipe the rendered message. */
void tasks__mail_release(struct mail *m);

/* Fill `report` (printf-style message, truncated to fit). */
void tasks__remote_report(struct task_report *report, enum task_outcome outcome, const char *fmt,
                          ...) __attribute__((format(printf, 3, 4)));

#endif /* LCW_TASKS_SMTP_H */
