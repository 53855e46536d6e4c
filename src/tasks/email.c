/* SPDX-License-Identifier: MIT */
/*
 * The email tasks (welcome, onboarding reminder, before/on/after the last
 * day, manager notification of a move) and the mail pipeline they share with
 * "Generate TAP and send email": recipients from the `to` and `cc`
 * arguments, placeholders, the RFC 5322 message (UTF-8 HTML,
 * quoted-printable, RFC 2047 subject), delivery through smtp.c and the task
 * report. Remote executors: they run outside any transaction and read the
 * directory with tx == NULL. Stateless; safe on concurrent workers.
 */
#include "smtp.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "lcw/dir.h"
#include "lcw/jsonx.h"

#include "tasks_int.h"

#define MAIL_MAX_RCPTS       50
#define MAIL_MAX_MSG_BYTES   (1024 * 1024)
#define MAIL_MAX_PART_BYTES  (512 * 1024)
#define MAIL_MAX_SUBJECT     500 /* bytes of the rendered subject */
#define MAIL_MAX_PLACEHOLDER 200 /* bytes between the braces */

/* Task definition ids (spec section 8), as the catalogue spells them. */
#define DEF_WELCOME         "70b29d51-b59a-4773-9280-8841dfd3f2ea"
#define DEF_REMINDER        "3C860712-2D37-42A4-928F-5C93935D26A1"
#define DEF_BEFORE_LAST_DAY "52853a3e-f4e5-4eb8-bb24-1ac09a1da935"
#define DEF_ON_LAST_DAY     "9c0a1eaf-5bda-4392-9d9e-6e155bb57411"
#define DEF_AFTER_LAST_DAY  "6f22ddd4-b3a5-47a4-a846-0d7c201a49ce"
#define DEF_MANAGER_MOVE    "aab41899-9972-422a-9d97-f626014578b7"

void tasks__remote_report(struct task_report *report, enum task_outcome outcome, const char *fmt,
                          ...)
{
    va_list ap;

    report->outcome = outcome;
    va_start(ap, fmt);
    (void)vsnprintf(report->message, sizeof(report->message), fmt, ap);
    va_end(ap);
}

bool tasks__mail_configured(const struct lcw_config *cfg, char *reason, size_t cap)
{
    if (!cfg || !cfg->smtp_url || !*cfg->smtp_url) {
        (void)snprintf(reason, cap, "No SMTP server is configured (set LCW_SMTP_URL)");
        return false;
    }
    if (!cfg->smtp_from || !*cfg->smtp_from) {
        (void)snprintf(reason, cap, "No sender address is configured (set LCW_SMTP_FROM)");
        return false;
    }
    return true;
}

const char *tasks__mail_arg(const json_t *task, const char *name)
{
    const json_t *args = json_object_get(task, "arguments"), *a;
    size_t i;

    json_array_foreach (args, i, a) {
        const char *n = jsonx_str(a, "name"), *v = jsonx_str(a, "value");

        if (n && lcw_str_eq_ci(n, name))
            return v && *v ? v : NULL;
    }
    return NULL;
}

/* ------------------------------------------------------------ addresses */

/*
 * A bare address lcw will put in an SMTP envelope and a header: printable
 * ASCII without specials or spaces, one '@' with text on both sides. This is
 * narrower than RFC 5322 on purpose: nothing that could break out of a
 * header or an SMTP command gets through.
 */
static bool addr_ok(const char *s)
{
    const char *at = strchr(s, '@');
    size_t n = strlen(s);

    if (n < 3 || n > 254 || !at || at == s || !at[1] || strchr(at + 1, '@'))
        return false;
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;

        if (ch <= ' ' || ch >= 0x7f || strchr("<>()[]\\,;:\"", ch))
            return false;
    }
    return true;
}

/*
 * smtp_from may be "addr" or "Name <addr>" (the name optionally quoted):
 * split it into the bare address and the display name. Control characters
 * anywhere make it unusable, so that nothing can be smuggled into a header.
 */
static bool from_address(const char *cfg_from, char *addr, size_t addr_cap, char *name,
                         size_t name_cap)
{
    const char *lt = strchr(cfg_from, '<'), *gt, *start = cfg_from, *end;
    size_t n;

    name[0] = '\0';
    for (const char *p = cfg_from; *p; p++) {
        if ((unsigned char)*p < ' ' || *p == 0x7f)
            return false;
    }
    if (!lt) {
        if (lcw_strlcpy(addr, cfg_from, addr_cap) >= addr_cap)
            return false;
        return addr_ok(addr);
    }
    gt = strchr(lt, '>');
    if (!gt || gt[1] || (n = (size_t)(gt - lt - 1)) >= addr_cap)
        return false;
    memcpy(addr, lt + 1, n);
    addr[n] = '\0';
    end = lt;
    while (start < end && (*start == ' ' || *start == '"'))
        start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '"'))
        end--;
    if ((size_t)(end - start) >= name_cap)
        return false;
    memcpy(name, start, (size_t)(end - start));
    name[end - start] = '\0';
    return addr_ok(addr);
}

/* Case-insensitive member lookup (Graph property names are case-insensitive). */
static const json_t *member_ci(const json_t *obj, const char *name, size_t len)
{
    const char *key;
    const json_t *v;

    if (!json_is_object(obj))
        return NULL;
    json_object_foreach (JSONX_MUT(obj), key, v) {
        if (strlen(key) == len && strv_eq_ci((struct strv){key, len}, name))
            return v;
    }
    return NULL;
}

/* Walk a "a/b/c" property path of `obj`; NULL when some step is missing. */
static const json_t *path_get(const json_t *obj, const char *path, size_t len)
{
    const json_t *cur = obj;

    while (cur && len) {
        const char *slash = memchr(path, '/', len);
        size_t n = slash ? (size_t)(slash - path) : len;
        char name[128];

        if (n == 0 || n >= sizeof(name))
            return NULL;
        memcpy(name, path, n);
        name[n] = '\0';
        cur = member_ci(cur, name, n);
        if (!slash)
            return cur;
        path += n + 1;
        len -= n + 1;
    }
    return NULL;
}

/* The address of a user: `mail`, else the first of `otherMails`. */
static const char *user_address(const json_t *u)
{
    const char *mail = jsonx_str(u, "mail");

    if (mail && *mail)
        return mail;
    mail = json_string_value(json_array_get(json_object_get(u, "otherMails"), 0));
    return mail && *mail ? mail : NULL;
}

/* --------------------------------------------------------- recipients */

/* Add a recipient once (addresses compared case-insensitively; To wins over Cc). */
static int rcpt_add(struct mail *m, const char *address, const char *name, bool is_cc)
{
    struct mail_rcpt *r;

    for (size_t i = 0; i < m->n_rcpts; i++) {
        if (lcw_str_eq_ci(m->rcpts[i].address, address)) {
            m->rcpts[i].is_cc = m->rcpts[i].is_cc && is_cc;
            return 0;
        }
    }
    if (m->n_rcpts == MAIL_MAX_RCPTS)
        return LCW_ETOOBIG;
    r = lcw_realloc(m->rcpts, (m->n_rcpts + 1) * sizeof(*r));
    if (!r)
        return LCW_ENOMEM;
    m->rcpts = r;
    r = &m->rcpts[m->n_rcpts];
    r->address = lcw_strdup(address);
    r->name = name && *name ? lcw_strdup(name) : NULL;
    r->is_cc = is_cc;
    if (!r->address || (name && *name && !r->name)) {
        lcw_free(r->address);
        lcw_free(r->name);
        return LCW_ENOMEM;
    }
    m->n_rcpts++;
    return 0;
}

/*
 * Directory reads outside a transaction can fail for reasons that pass
 * (a busy database): those become TASK_RETRY. Returns 0 when `report` was
 * filled, else the error to return.
 */
static int dir_failure(int rc, const struct lcw_error *derr, struct task_report *report,
                       struct lcw_error *err)
{
    if (rc == LCW_EBUSY || rc == LCW_EIO || rc == LCW_EUNAVAIL || rc == LCW_ETIMEOUT) {
        tasks__remote_report(report, TASK_RETRY, "The directory could not be read: %s",
                             derr->msg[0] ? derr->msg : lcw_err_name(rc));
        report->retry_after_ms = SMTP_RETRY_FIRST_MS;
        return 0;
    }
    return lcw_error_set(err, rc, "%s", derr->msg[0] ? derr->msg : lcw_err_name(rc));
}

/*
 * Resolve one recipient token. When it cannot be, fill `report` (FAILED)
 * and set *is_ready false; returns non-zero only for internal failures.
 */
static int rcpt_token(struct mail *m, const char *tok, size_t len, bool is_cc, bool *is_ready,
                      struct task_report *report, struct lcw_error *err)
{
    struct strv t = {tok, len};
    const char *addr = NULL, *name = NULL;
    struct lcw_error derr = {0};
    json_t *other = NULL;
    int rc = 0;

    if (strv_eq_ci(t, "User")) {
        if (!(addr = user_address(m->user))) {
            tasks__remote_report(report, TASK_FAILED,
                                 "Cannot send: the user has no email address (mail or otherMails)");
            goto fail;
        }
        name = jsonx_str(m->user, "displayName");
    } else if (strv_eq_ci(t, "Manager")) {
        if (!m->manager) {
            tasks__remote_report(report, TASK_FAILED, "Cannot send: the user has no manager");
            goto fail;
        }
        addr = jsonx_str(m->manager, "mail");
        if (!addr || !*addr) {
            tasks__remote_report(report, TASK_FAILED,
                                 "Cannot send: the user's manager has no email address");
            goto fail;
        }
        name = jsonx_str(m->manager, "displayName");
    } else if (strv_eq_ci(t, "Sponsors")) {
        tasks__remote_report(report, TASK_FAILED, "Cannot send: the user has no sponsors");
        goto fail;
    } else if (uuid_valid(tok, len)) {
        char id[UUID_STR_LEN];

        memcpy(id, tok, len);
        id[len] = '\0';
        rc = dir_user_get(m->call->env->dir, NULL, id, &other, &derr);
        if (rc == LCW_ENOTFOUND) {
            tasks__remote_report(report, TASK_FAILED, "Cannot send: the %s user %s does not exist",
                                 is_cc ? "cc" : "to", id);
            rc = 0;
            goto fail;
        }
        if (rc) {
            rc = dir_failure(rc, &derr, report, err);
            goto fail;
        }
        if (!(addr = user_address(other))) {
            tasks__remote_report(
                    report, TASK_FAILED, "Cannot send: the %s user %s (%s) has no email address",
                    is_cc ? "cc" : "to", id,
                    jsonx_str(other, "displayName") ? jsonx_str(other, "displayName") : "no name");
            goto fail;
        }
        name = jsonx_str(other, "displayName");
    } else if (len > 5 && strv_starts_with_ci(t, "User/")) {
        /* TAP forms: User/otherMails, User/<attribute path> holding an address. */
        const json_t *v = path_get(m->user, tok + 5, len - 5);

        if (json_is_array(v))
            v = json_array_get(v, 0);
        addr = json_string_value(v);
        if (!addr || !*addr) {
            tasks__remote_report(report, TASK_FAILED, "Cannot send: the user's %.*s is empty",
                                 (int)(len - 5), tok + 5);
            goto fail;
        }
        name = jsonx_str(m->user, "displayName");
    } else {
        tasks__remote_report(report, TASK_FAILED, "Cannot send: unknown recipient '%.*s' in 'to'",
                             (int)(len > 64 ? 64 : len), tok);
        goto fail;
    }
    if (!addr_ok(addr)) {
        tasks__remote_report(report, TASK_FAILED,
                             "Cannot send: '%.100s' is not a usable email address", addr);
        goto fail;
    }
    rc = rcpt_add(m, addr, name, is_cc);
    if (rc == LCW_ETOOBIG) {
        tasks__remote_report(report, TASK_FAILED, "Cannot send: more than %d recipients",
                             MAIL_MAX_RCPTS);
        rc = 0;
        goto fail;
    }
    json_decref(other);
    return rc ? lcw_error_set(err, rc, "out of memory") : 0;
fail:
    *is_ready = false;
    json_decref(other);
    return rc;
}

/* Resolve a comma-separated list; stops at the first recipient that fails. */
static int rcpt_list(struct mail *m, const char *list, bool is_cc, bool *is_ready,
                     struct task_report *report, struct lcw_error *err)
{
    const char *p = list;

    while (*is_ready) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *tok = p;
        int rc;

        while (len && (*tok == ' ' || *tok == '\t')) {
            tok++;
            len--;
        }
        while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
            len--;
        if (len && (rc = rcpt_token(m, tok, len, is_cc, is_ready, report, err)))
            return rc;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

int tasks__mail_prepare(struct mail *m, const struct task_call *call,
                        const struct mail_template *tpl, bool *is_ready, struct task_report *report,
                        struct lcw_error *err)
{
    const char *to, *cc, *uid;
    struct lcw_error derr = {0};
    char reason[256];
    int rc;

    memset(m, 0, sizeof(*m));
    m->call = call;
    m->user = call->user;
    buf_init(&m->msg, MAIL_MAX_MSG_BYTES);
    *is_ready = false;
    if (!tasks__mail_configured(call->env->cfg, reason, sizeof(reason))) {
        tasks__remote_report(report, TASK_FAILED, "%s", reason);
        return 0;
    }
    if (!from_address(call->env->cfg->smtp_from, m->from, sizeof(m->from), m->from_name,
                      sizeof(m->from_name))) {
        tasks__remote_report(
                report, TASK_FAILED,
                "The configured sender address (LCW_SMTP_FROM) is not a usable email address");
        return 0;
    }
    if (!json_is_object(m->user) || !(uid = jsonx_str(m->user, "id")))
        return lcw_error_set(err, LCW_EINVAL, "the task call has no subject user");
    rc = dir_user_manager(call->env->dir, NULL, uid, &m->manager, &derr);
    if (rc == LCW_ENOTFOUND) {
        m->manager = NULL;
    } else if (rc) {
        return dir_failure(rc, &derr, report, err);
    }
    *is_ready = true;
    to = tasks__mail_arg(call->task, "to");
    cc = tasks__mail_arg(call->task, "cc");
    if ((rc = rcpt_list(m, to ? to : tpl->default_to, false, is_ready, report, err)))
        return rc;
    if (*is_ready && cc && (rc = rcpt_list(m, cc, true, is_ready, report, err)))
        return rc;
    for (size_t i = 0; *is_ready && i < m->n_rcpts; i++) {
        if (!m->rcpts[i].is_cc)
            return 0;
    }
    if (*is_ready) {
        /* A 'to' of only commas and spaces. Cc alone is legal SMTP but reads as a mistake. */
        tasks__remote_report(report, TASK_FAILED, "Cannot send: no recipient in 'to'");
        *is_ready = false;
    }
    return 0;
}

void tasks__mail_release(struct mail *m)
{
    for (size_t i = 0; i < m->n_rcpts; i++) {
        lcw_free(m->rcpts[i].address);
        lcw_free(m->rcpts[i].name);
    }
    lcw_free(m->rcpts);
    m->rcpts = NULL;
    m->n_rcpts = 0;
    json_decref(m->manager);
    m->manager = NULL;
    if (m->msg.data)
        sodium_memzero(m->msg.data, m->msg.cap);
    buf_release(&m->msg);
}

/* ------------------------------------------------------- placeholders */

static const char *const month_names[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};

int tasks__mail_human_date(struct buf *out, const char *rfc3339)
{
    int64_t ms, days, rem, y;
    unsigned mo, d;

    if (timefmt_parse(rfc3339, strlen(rfc3339), &ms))
        return buf_puts(out, rfc3339);
    days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    rem = ms - days * 86400000;
    timefmt_civil_from_days(days, &y, &mo, &d);
    if (rem / 60000 == 0)
        return buf_printf(out, "%u %s %lld", d, month_names[mo - 1], (long long)y);
    return buf_printf(out, "%u %s %lld %02u:%02u UTC", d, month_names[mo - 1], (long long)y,
                      (unsigned)(rem / 3600000), (unsigned)(rem / 60000 % 60));
}

/* Text of a JSON value: scalars as text, arrays of scalars joined by ", ". */
static int value_text(struct buf *out, const json_t *v, bool *is_known)
{
    char num[64];
    size_t i;
    const json_t *e;
    bool first = true;

    *is_known = true;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return buf_append(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        (void)snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        return buf_puts(out, num);
    case JSON_REAL:
        (void)snprintf(num, sizeof(num), "%g", json_real_value(v));
        return buf_puts(out, num);
    case JSON_TRUE:
        return buf_puts(out, "true");
    case JSON_FALSE:
        return buf_puts(out, "false");
    case JSON_NULL:
        return 0;
    case JSON_ARRAY:
        json_array_foreach (v, i, e) {
            bool k;
            int rc;

            if (json_is_object(e) || json_is_array(e))
                continue;
            if ((!first && (rc = buf_puts(out, ", "))) || (rc = value_text(out, e, &k)))
                return rc;
            first = false;
        }
        return 0;
    default:
        *is_known = false; /* an object has no single text */
        return 0;
    }
}

/*
 * Append the value of placeholder `name` to `val`. *is_known is false when
 * lcw does not know the name (the caller then keeps the text as written).
 */
static int resolve(const struct mail *m, const char *name, size_t len, struct buf *val,
                   bool *is_known)
{
    static const struct {
        const char *name;
        bool is_manager;
        const char *property;
        bool is_date;
    } fixed[] = {
            {"userDisplayName", false, "displayName", false},
            {"userGivenName", false, "givenName", false},
            {"userSurname", false, "surname", false},
            {"userPrincipalName", false, "userPrincipalName", false},
            {"userEmail", false, "mail", false},
            {"userEmployeeHireDate", false, "employeeHireDate", true},
            {"userEmployeeLeaveDateTime", false, "employeeLeaveDateTime", true},
            {"managerDisplayName", true, "displayName", false},
            {"managerEmail", true, "mail", false},
    };
    struct strv n = {name, len};

    *is_known = false;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        const json_t *owner, *v;

        if (strlen(fixed[i].name) != len || !strv_eq_ci(n, fixed[i].name))
            continue;
        *is_known = true;
        owner = fixed[i].is_manager ? m->manager : m->user;
        v = json_object_get(owner, fixed[i].property);
        if (!json_is_string(v))
            return 0; /* unset (or no manager): empty */
        return fixed[i].is_date ? tasks__mail_human_date(val, json_string_value(v))
                                : buf_puts(val, json_string_value(v));
    }
    for (size_t i = 0; i < m->n_vars; i++) {
        if (strlen(m->vars[i].name) == len && strv_eq_ci(n, m->vars[i].name)) {
            *is_known = true;
            return buf_puts(val, m->vars[i].value ? m->vars[i].value : "");
        }
    }
    if (len > 5 && strv_starts_with_ci(n, "user.")) {
        const json_t *v = path_get(m->user, name + 5, len - 5);

        if (v)
            return value_text(val, v, is_known);
    }
    return 0;
}

enum render_mode {
    RENDER_SUBJECT,      /* plain text for a header: control characters become spaces */
    RENDER_HTML,         /* trusted HTML template: only values are escaped */
    RENDER_TEXT_AS_HTML, /* plain text (customBody): all of it escaped, newlines -> <br> */
};

static int put_escaped(struct buf *out, const char *s, size_t n, enum render_mode mode,
                       bool is_value)
{
    int rc = 0;

    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (mode == RENDER_SUBJECT) {
            rc = buf_putc(out, (char)((ch < ' ' || ch == 0x7f) ? ' ' : ch));
            continue;
        }
        if (mode == RENDER_HTML && !is_value) {
            rc = buf_putc(out, (char)ch);
            continue;
        }
        switch (ch) {
        case '&':
            rc = buf_puts(out, "&amp;");
            break;
        case '<':
            rc = buf_puts(out, "&lt;");
            break;
        case '>':
            rc = buf_puts(out, "&gt;");
            break;
        case '"':
            rc = buf_puts(out, "&quot;");
            break;
        case '\'':
            rc = buf_puts(out, "&#39;");
            break;
        case '\r':
            break;
        case '\n':
            rc = buf_puts(out, mode == RENDER_TEXT_AS_HTML && !is_value ? "<br>\n" : "\n");
            break;
        default:
            rc = buf_putc(out, (char)ch);
        }
    }
    return rc;
}

/* Substitute every {{placeholder}} of `tpl` into `out`. */
static int render(const struct mail *m, struct buf *out, const char *tpl, enum render_mode mode,
                  struct lcw_error *err)
{
    struct buf val;
    const char *p = tpl;
    int rc = 0;

    buf_init(&val, MAIL_MAX_PART_BYTES);
    while (*p && !rc) {
        const char *open = strstr(p, "{{"), *close, *name;
        size_t len;
        bool is_known = false;

        if (!open) {
            rc = put_escaped(out, p, strlen(p), mode, false);
            break;
        }
        if ((rc = put_escaped(out, p, (size_t)(open - p), mode, false)))
            break;
        close = strstr(open + 2, "}}");
        if (!close || close - open - 2 > MAIL_MAX_PLACEHOLDER) {
            /* Not a placeholder: keep the braces as text and go on after them. */
            rc = put_escaped(out, open, 2, mode, false);
            p = open + 2;
            continue;
        }
        name = open + 2;
        len = (size_t)(close - name);
        while (len && *name == ' ') {
            name++;
            len--;
        }
        while (len && name[len - 1] == ' ')
            len--;
        buf_reset(&val);
        if ((rc = resolve(m, name, len, &val, &is_known)))
            break;
        if (is_known)
            rc = put_escaped(out, buf_cstr(&val), val.len, mode, true);
        else
            rc = put_escaped(out, open, (size_t)(close + 2 - open), mode, false);
        p = close + 2;
    }
    if (val.data)
        sodium_memzero(val.data, val.cap);
    buf_release(&val);
    if (rc)
        return lcw_error_set(err, rc, "the email is too large to build");
    return 0;
}

/* Cut `s` (NUL-terminated, in `b`) to at most `max` bytes on a UTF-8 boundary. */
static void cut_utf8(struct buf *b, size_t max)
{
    size_t n = b->len;

    if (n <= max)
        return;
    n = max;
    while (n > 0 && ((unsigned char)b->data[n] & 0xc0) == 0x80)
        n--;
    b->len = n;
    b->data[n] = '\0';
}

int tasks__mail_render(struct mail *m, const struct mail_template *tpl, const struct mail_var *vars,
                       size_t n_vars, struct lcw_error *err)
{
    const struct task_call *call = m->call;
    const char *custom_subject = tasks__mail_arg(call->task, "customSubject");
    const char *custom_body = tasks__mail_arg(call->task, "customBody");
    const char *wf_name = jsonx_str(call->workflow, "displayName");
    const struct mail_rcpt sender = {m->from, m->from_name[0] ? m->from_name : NULL, false};
    struct buf subject, body;
    char uuid[UUID_STR_LEN], date[64];
    int rc;

    m->vars = vars;
    m->n_vars = n_vars;
    buf_init(&subject, MAIL_MAX_PART_BYTES);
    buf_init(&body, MAIL_MAX_PART_BYTES);
    buf_reset(&m->msg);
    uuid_v4(uuid);
    (void)snprintf(m->message_id, sizeof(m->message_id), "<%s@lcw>", uuid);
    tasks__smtp_date(call->now_ms, date, sizeof(date));

    if ((rc = render(m, &subject, custom_subject ? custom_subject : tpl->subject, RENDER_SUBJECT,
                     err)))
        goto out;
    cut_utf8(&subject, MAIL_MAX_SUBJECT);
    rc = buf_puts(&body, "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"></head>\n"
                         "<body style=\"font-family: Segoe UI, Helvetica, Arial, sans-serif\">\n");
    if (rc)
        goto toobig;
    if ((rc = render(m, &body, custom_body ? custom_body : tpl->body_html,
                     custom_body ? RENDER_TEXT_AS_HTML : RENDER_HTML, err)))
        goto out;
    if ((rc = buf_puts(&body, "\n<hr>\n<p style=\"color:#666666;font-size:small\">"
                              "This message was sent automatically by the lifecycle workflow ")) ||
        (rc = buf_puts(&body, "\u201c")) ||
        (rc = put_escaped(&body, wf_name ? wf_name : "", wf_name ? strlen(wf_name) : 0,
                          RENDER_TEXT_AS_HTML, true)) ||
        (rc = buf_puts(&body, "\u201d.</p>\n</body>\n</html>\n")))
        goto toobig;

    if ((rc = buf_printf(&m->msg, "Date: %s\r\nFrom: ", date)) ||
        (rc = tasks__smtp_put_mailbox(&m->msg, &sender)) || (rc = buf_puts(&m->msg, "\r\n")) ||
        (rc = tasks__smtp_put_address_header(&m->msg, "To: ", m->rcpts, m->n_rcpts, false)) ||
        (rc = tasks__smtp_put_address_header(&m->msg, "Cc: ", m->rcpts, m->n_rcpts, true)) ||
        (rc = buf_puts(&m->msg, "Subject: ")))
        goto toobig;
    rc = tasks__smtp_is_ascii(buf_cstr(&subject))
                 ? buf_puts(&m->msg, buf_cstr(&subject))
                 : tasks__smtp_put_encoded_words(&m->msg, buf_cstr(&subject));
    if (rc ||
        (rc = buf_printf(&m->msg,
                         "\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n"
                         "Content-Type: text/html; charset=utf-8\r\n"
                         "Content-Transfer-Encoding: quoted-printable\r\n"
                         "Auto-Submitted: auto-generated\r\n"
                         "X-Lcw-Workflow-Id: %s\r\nX-Lcw-Task-Processing-Result-Id: %s\r\n\r\n",
                         m->message_id, call->workflow_id ? call->workflow_id : "",
                         call->task_result_id ? call->task_result_id : "")) ||
        (rc = tasks__smtp_put_quoted_printable(&m->msg, body.data, body.len)) ||
        (rc = buf_puts(&m->msg, "\r\n")))
        goto toobig;
    goto out;
toobig:
    rc = lcw_error_set(err, rc, "the email is too large to build");
out:
    if (subject.data)
        sodium_memzero(subject.data, subject.cap);
    if (body.data)
        sodium_memzero(body.data, body.cap);
    buf_release(&subject);
    buf_release(&body);
    return rc;
}

/* ------------------------------------------------------------ sending */

/* 30 s, doubled per further attempt, at most 30 minutes. */
static int64_t retry_delay_ms(int attempt)
{
    int64_t ms = SMTP_RETRY_FIRST_MS;

    for (int i = 1; i < attempt && ms < SMTP_RETRY_MAX_MS; i++)
        ms *= 2;
    return ms > SMTP_RETRY_MAX_MS ? SMTP_RETRY_MAX_MS : ms;
}

/* "a@x, b@y; cc c@z", shortened with ", ..." to fit `cap`. */
static void rcpt_summary(const struct mail *m, char *out, size_t cap)
{
    size_t used = 0;

    out[0] = '\0';
    for (int pass = 0; pass < 2; pass++) {
        bool first = true;

        for (size_t i = 0; i < m->n_rcpts; i++) {
            const char *sep;
            int k;

            if (m->rcpts[i].is_cc != (pass == 1))
                continue;
            sep = first ? (pass == 1 ? (used ? "; cc " : "cc ") : "") : ", ";
            k = snprintf(out + used, cap - used, "%s%s", sep, m->rcpts[i].address);
            if (k < 0 || (size_t)k >= cap - used - 5) {
                out[used] = '\0';
                (void)snprintf(out + used, cap - used, ", ...");
                return;
            }
            used += (size_t)k;
            first = false;
        }
    }
}

int tasks__mail_send(struct mail *m, const char *what, struct task_report *report,
                     struct lcw_error *err)
{
    const char *addrs[MAIL_MAX_RCPTS];
    struct smtp_status st;
    char who[256];
    int rc;

    for (size_t i = 0; i < m->n_rcpts; i++)
        addrs[i] = m->rcpts[i].address;
    if ((rc = tasks__smtp_send(m->call->env->cfg, m->from, addrs, m->n_rcpts, m->msg.data,
                               m->msg.len, &st, err)))
        return rc;
    switch (st.result) {
    case SMTP_SENT:
        rcpt_summary(m, who, sizeof(who));
        tasks__remote_report(report, TASK_COMPLETED, "%s sent to %s (Message-ID %s)", what, who,
                             m->message_id);
        break;
    case SMTP_TRANSIENT:
        tasks__remote_report(report, TASK_RETRY,
                             "The SMTP server could not take the message for now: %s", st.reply);
        report->retry_after_ms = retry_delay_ms(m->call->attempt);
        break;
    default:
        if (st.reply_code >= 500)
            tasks__remote_report(report, TASK_FAILED, "The SMTP server refused the message: %s",
                                 st.reply);
        else
            tasks__remote_report(report, TASK_FAILED, "The email could not be sent: %s", st.reply);
        break;
    }
    return 0;
}

/* --------------------------------------------------------- executors */

static const struct mail_template templates[] = {
        {DEF_WELCOME, "User", "Welcome, {{userDisplayName}}",
         "<p>Hello {{userDisplayName}},</p>\n"
         "<p>Welcome aboard! We are glad to have you with us.</p>\n"
         "<p>Your account is <b>{{userPrincipalName}}</b>. On your first day, your manager and "
         "your colleagues will help you get settled and set up.</p>\n"
         "<p>We look forward to working with you.</p>"},
        {DEF_REMINDER, "Manager",
         "Reminder: {{userDisplayName}} joins your team on {{userEmployeeHireDate}}",
         "<p>Hello {{managerDisplayName}},</p>\n"
         "<p>This is a reminder that <b>{{userDisplayName}}</b> ({{userPrincipalName}}) joins "
         "your team on <b>{{userEmployeeHireDate}}</b>.</p>\n"
         "<p>Please make sure that their equipment, access and first-week plan are ready, and "
         "consider scheduling a welcome meeting.</p>"},
        {DEF_BEFORE_LAST_DAY, "Manager", "{{userDisplayName}}'s last day is coming up",
         "<p>Hello {{managerDisplayName}},</p>\n"
         "<p><b>{{userDisplayName}}</b> ({{userPrincipalName}}) leaves the organisation on "
         "<b>{{userEmployeeLeaveDateTime}}</b>.</p>\n"
         "<p>Please plan the handover of their work, files and responsibilities, and make sure "
         "that company equipment is returned.</p>"},
        {DEF_ON_LAST_DAY, "Manager", "Today is {{userDisplayName}}'s last day",
         "<p>Hello {{managerDisplayName}},</p>\n"
         "<p>Today is the last day of <b>{{userDisplayName}}</b> ({{userPrincipalName}}).</p>\n"
         "<p>Please make sure that the handover is complete and that company equipment has "
         "been returned. Their access will be removed as planned.</p>"},
        {DEF_AFTER_LAST_DAY, "Manager", "{{userDisplayName}} has left the organisation",
         "<p>Hello {{managerDisplayName}},</p>\n"
         "<p><b>{{userDisplayName}}</b> ({{userPrincipalName}}) left the organisation on "
         "{{userEmployeeLeaveDateTime}}, and their account is being removed.</p>\n"
         "<p>If you still need any of their files, mail or shared resources, please arrange "
         "for them to be transferred soon.</p>"},
        {DEF_MANAGER_MOVE, "Manager", "{{userDisplayName}}'s job profile has changed",
         "<p>Hello {{managerDisplayName}},</p>\n"
         "<p>The job profile of <b>{{userDisplayName}}</b> ({{userPrincipalName}}) has "
         "changed. Their profile now reads:</p>\n"
         "<ul>\n<li>Job title: {{user.jobTitle}}</li>\n<li>Department: {{user.department}}</li>\n"
         "<li>Office: {{user.officeLocation}}</li>\n</ul>\n"
         "<p>Please review their access and responsibilities for the new role.</p>"},
};

static const struct mail_template *template_for(const struct task_call *call)
{
    const char *def = jsonx_str(call->task, "taskDefinitionId");

    for (size_t i = 0; def && i < sizeof(templates) / sizeof(templates[0]); i++) {
        if (lcw_str_eq_ci(templates[i].definition_id, def))
            return &templates[i];
    }
    return NULL;
}

static int email_run(const struct task_call *call, struct task_report *report,
                     struct lcw_error *err)
{
    const struct mail_template *tpl = template_for(call);
    struct mail m;
    bool is_ready = false;
    int rc;

    memset(report, 0, sizeof(*report));
    if (!tpl)
        return lcw_error_set(err, LCW_EINTERNAL, "no email template for task definition %s",
                             jsonx_str(call->task, "taskDefinitionId")
                                     ? jsonx_str(call->task, "taskDefinitionId")
                                     : "(none)");
    rc = tasks__mail_prepare(&m, call, tpl, &is_ready, report, err);
    if (!rc && is_ready && !(rc = tasks__mail_render(&m, tpl, NULL, 0, err)))
        rc = tasks__mail_send(&m, "Email", report, err);
    tasks__mail_release(&m);
    return rc;
}

static bool email_can_run(const struct task_env *env, const json_t *task, char *reason, size_t cap)
{
    (void)task;
    return tasks__mail_configured(env->cfg, reason, cap);
}

#define EMAIL_EXECUTOR(var, id)        \
    const struct task_executor var = { \
            .definition_id = id, .is_remote = true, .run = email_run, .can_run = email_can_run}

EMAIL_EXECUTOR(task_exec_welcome_email, DEF_WELCOME);
EMAIL_EXECUTOR(task_exec_onboarding_reminder_email, DEF_REMINDER);
EMAIL_EXECUTOR(task_exec_before_last_day_email, DEF_BEFORE_LAST_DAY);
EMAIL_EXECUTOR(task_exec_on_last_day_email, DEF_ON_LAST_DAY);
EMAIL_EXECUTOR(task_exec_after_last_day_email, DEF_AFTER_LAST_DAY);
EMAIL_EXECUTOR(task_exec_manager_move_email, DEF_MANAGER_MOVE);
