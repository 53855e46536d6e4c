/* SPDX-License-Identifier: MIT */
/*
 * The email executors and "Generate TAP and send email" against a real SMTP
 * server (aiosmtpd on 127.0.0.1, started and stopped by pid) and the
 * embedded directory over a temporary SQLite store: headers, recipients,
 * placeholders, encodings, the Message-ID in processingInfo, every
 * missing-recipient reason, configuration failures, transient and permanent
 * SMTP failures, and the TAP's stored hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <sodium.h>

#include "lcw/common.h"
#include "lcw/config.h"
#include "lcw/dir.h"
#include "lcw/jsonx.h"
#include "lcw/model.h"
#include "lcw/store.h"
#include "lcw/tasks.h"
#include "peers.h"
#include "tasks/tasks_int.h"

#define U_ADA       "a0000000-0000-4000-8000-000000000001"
#define U_GRACE     "a0000000-0000-4000-8000-000000000002"
#define U_NOMAIL    "a0000000-0000-4000-8000-000000000003"
#define U_NOMAILMGR "a0000000-0000-4000-8000-000000000004"
#define U_PAT       "a0000000-0000-4000-8000-000000000005"
#define U_LONE      "a0000000-0000-4000-8000-000000000006"
#define U_CHARLES   "a0000000-0000-4000-8000-000000000007"
#define U_ZOE       "a0000000-0000-4000-8000-000000000008"
#define U_BADDOMAIN "a0000000-0000-4000-8000-000000000009"
#define U_MISSING   "a0000000-0000-4000-8000-000000000099"
#define WF_ID       "b0000000-0000-4000-8000-000000000001"
#define TASK_ID     "c0000000-0000-4000-8000-000000000001"
#define RESULT_ID   "d0000000-0000-4000-8000-000000000001"

#define DEF_WELCOME   "70b29d51-b59a-4773-9280-8841dfd3f2ea"
#define DEF_REMINDER  "3C860712-2D37-42A4-928F-5C93935D26A1"
#define DEF_BEFORE    "52853a3e-f4e5-4eb8-bb24-1ac09a1da935"
#define DEF_ON        "9c0a1eaf-5bda-4392-9d9e-6e155bb57411"
#define DEF_AFTER     "6f22ddd4-b3a5-47a4-a846-0d7c201a49ce"
#define DEF_MOVE      "aab41899-9972-422a-9d97-f626014578b7"
#define NOW_TEXT      "2026-03-01T09:00:00Z"
#define ADA_HIRE_TEXT "2026-03-10T00:00:00Z"

static struct {
    char dir[64];
    struct store *store;
    struct dir *dir_handle;
    struct lcw_config cfg;
    struct task_env env;
    struct peer smtp;
    int64_t now_ms;
} g;

/* ------------------------------------------------------------ fixture */

static json_t *user_doc(const char *id, const char *name, const char *given, const char *surname,
                        const char *mail, const char *manager_id)
{
    char upn[128];
    json_t *u;

    (void)snprintf(upn, sizeof(upn), "%s@contoso.example", given);
    for (char *p = upn; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    u = json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:s?, s:[], s:b, s:s, s:n, s:n, s:n, s:n, s:n, s:n,"
                  " s:n, s:{}, s:[], s:s, s:n}",
                  "id", id, "displayName", name, "givenName", given, "surname", surname,
                  "userPrincipalName", upn, "mail", mail, "otherMails", "accountEnabled", 1,
                  "userType", "Member", "department", "jobTitle", "officeLocation",
                  "employeeHireDate", "employeeLeaveDateTime", "employeeOrgData", "deletedDateTime",
                  "onPremisesExtensionAttributes", "assignedLicenses", "createdDateTime",
                  "2020-01-01T00:00:00Z", "employeeType");
    assert_non_null(u);
    if (manager_id)
        assert_int_equal(json_object_set_new(u, "#lcw.managerId", json_string(manager_id)), 0);
    return u;
}

static void put_user(struct store_tx *tx, json_t *u)
{
    struct lcw_error err = {0};

    assert_int_equal(store_entity_put(tx, &store_ent_user, jsonx_str(u, "id"), NULL, u, &err), 0);
    json_decref(u);
}

static void seed(void)
{
    struct store_tx tx;
    struct lcw_error err = {0};
    json_t *u;

    assert_int_equal(store_tx_begin(g.store, &tx, STORE_TX_WRITE, &err), 0);
    u = user_doc(U_ADA, "Ada Lovelace", "Ada", "Lovelace", "ada@contoso.example", U_GRACE);
    json_object_set_new(u, "department", json_string("R&D <Labs>"));
    json_object_set_new(u, "jobTitle", json_string("Analyst"));
    json_object_set_new(u, "employeeHireDate", json_string(ADA_HIRE_TEXT));
    json_object_set_new(u, "employeeLeaveDateTime", json_string("2026-06-30T17:30:00Z"));
    json_object_set_new(u, "employeeOrgData",
                        json_pack("{s:s, s:n}", "costCenter", "CC-42", "division"));
    json_object_set_new(u, "onPremisesExtensionAttributes",
                        json_pack("{s:s}", "extensionAttribute1", "EA1-value"));
    put_user(&tx, u);
    put_user(&tx,
             user_doc(U_GRACE, "Grace Hopper", "Grace", "Hopper", "grace@contoso.example", NULL));
    put_user(&tx, user_doc(U_NOMAIL, "Nobody Mail", "Nobody", "Mail", NULL, U_NOMAILMGR));
    put_user(&tx, user_doc(U_NOMAILMGR, "Mute Manager", "Mute", "Manager", NULL, NULL));
    u = user_doc(U_PAT, "Pat Prehire", "Pat", "Prehire", NULL, U_GRACE);
    json_object_set_new(u, "otherMails", json_pack("[s]", "pat.personal@example.net"));
    json_object_set_new(u, "employeeHireDate", json_string("2026-02-01T00:00:00Z"));
    put_user(&tx, u);
    put_user(&tx, user_doc(U_LONE, "Lone Wolf", "Lone", "Wolf", "lone@contoso.example", NULL));
    put_user(&tx, user_doc(U_CHARLES, "Charles Babbage", "Charles", "Babbage",
                           "charles@contoso.example", NULL));
    put_user(&tx,
             user_doc(U_ZOE, "Zoë Ångström", "Zoe", "Angstrom", "zoe@contoso.example", U_GRACE));
    /* aiosmtpd refuses this domain with 553: a real permanent failure. */
    put_user(&tx,
             user_doc(U_BADDOMAIN, "Bad Domain", "Bad", "Domain", "bad@contoso..example", NULL));
    assert_int_equal(store_tx_commit(&tx, &err), 0);
}

static int group_setup(void **state)
{
    struct lcw_error err = {0};
    char url[128];

    (void)state;
    assert_int_equal(lcw_crypto_init(), 0);
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
    lcw_strlcpy(g.dir, "/tmp/lcw-tasks-email-XXXXXX", sizeof(g.dir));
    assert_non_null(mkdtemp(g.dir));
    (void)snprintf(url, sizeof(url), "sqlite://%s/lcw.db", g.dir);
    assert_int_equal(store_open(url, &g.store, &err), 0);
    assert_int_equal(dir_open_embedded(g.store, lcw_clock_system(), &g.dir_handle, &err), 0);
    seed();
    assert_int_equal(peers_smtp_start(&g.smtp), 0);
    config_defaults(&g.cfg);
    (void)snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", g.smtp.port);
    g.cfg.smtp_url = lcw_strdup(url);
    g.cfg.smtp_from = lcw_strdup("Lifecycle Workflows <lcw@contoso.example>");
    g.env = (struct task_env){g.dir_handle, g.store, lcw_clock_system(), &g.cfg};
    assert_int_equal(timefmt_parse(NOW_TEXT, strlen(NOW_TEXT), &g.now_ms), 0);
    return 0;
}

static int group_teardown(void **state)
{
    char path[128];

    (void)state;
    peers_stop(&g.smtp);
    config_release(&g.cfg);
    dir_close(g.dir_handle);
    store_close(g.store);
    for (int i = 0; i < 3; i++) {
        static const char *const suffix[] = {"", "-wal", "-shm"};

        (void)snprintf(path, sizeof(path), "%s/lcw.db%s", g.dir, suffix[i]);
        (void)unlink(path);
    }
    (void)rmdir(g.dir);
    curl_global_cleanup();
    return 0;
}

/* Every test starts with an empty mailbox. */
static int test_setup(void **state)
{
    char *msgs[16];
    size_t n = peers_smtp_take(&g.smtp, msgs, 16);

    (void)state;
    for (size_t i = 0; i < n; i++)
        free(msgs[i]);
    return 0;
}

/* ---------------------------------------------------------- the call */

struct run {
    json_t *task, *workflow, *user;
    struct task_call call;
    struct task_report report;
    int rc;
};

static json_t *get_user(const char *id)
{
    struct lcw_error err = {0};
    json_t *u = NULL;

    assert_int_equal(dir_user_get(g.dir_handle, NULL, id, &u, &err), 0);
    return u;
}

/* Run `exec` for `user_id` with arguments given as a JSON array text. */
static void run_task(struct run *r, const struct task_executor *exec, const char *user_id,
                     const char *args_json, int attempt)
{
    struct lcw_error err = {0};
    json_t *args = json_loads(args_json ? args_json : "[]", 0, NULL);

    assert_non_null(args);
    memset(r, 0, sizeof(*r));
    r->task = json_pack("{s:s, s:s, s:s, s:o}", "id", TASK_ID, "displayName", "Send the mail",
                        "taskDefinitionId", exec->definition_id, "arguments", args);
    r->workflow = json_pack("{s:s, s:s, s:i}", "id", WF_ID, "displayName", "Onboard \"new\" hires",
                            "version", 3);
    r->user = get_user(user_id);
    r->call = (struct task_call){.env = &g.env,
                                 .tx = NULL,
                                 .workflow = r->workflow,
                                 .task = r->task,
                                 .user = r->user,
                                 .workflow_id = WF_ID,
                                 .run_id = "run-1",
                                 .user_result_id = "ur-1",
                                 .task_result_id = RESULT_ID,
                                 .now_ms = g.now_ms,
                                 .attempt = attempt};
    assert_true(exec->is_remote);
    r->rc = exec->run(&r->call, &r->report, &err);
    if (r->rc)
        fprintf(stderr, "executor error: %s\n", err.msg);
}

static void run_release(struct run *r)
{
    json_decref(r->task);
    json_decref(r->workflow);
    json_decref(r->user);
}

/* --------------------------------------------------- message parsing */

/* The unfolded value of header `name` of `msg` (into out), or false. */
static bool header(const char *msg, const char *name, char *out, size_t cap)
{
    const char *p = msg;
    size_t n = strlen(name), o = 0;

    while (*p && *p != '\n' && !(*p == '\r' && p[1] == '\n')) {
        const char *eol = strchr(p, '\n');

        if (!eol)
            return false;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;

            for (;;) {
                while (*v == ' ' || *v == '\t')
                    v++;
                for (; v < eol && *v != '\r' && o + 1 < cap; v++)
                    out[o++] = *v;
                if (eol[1] != ' ' && eol[1] != '\t')
                    break;
                if (o + 1 < cap)
                    out[o++] = ' ';
                v = eol + 1;
                eol = strchr(v, '\n');
                if (!eol)
                    break;
            }
            out[o] = '\0';
            return true;
        }
        p = eol + 1;
    }
    return false;
}

/* The body, quoted-printable decoded (malloc'd). */
static char *body_of(const char *msg)
{
    const char *b = strstr(msg, "\n\n");
    const char *crlf = strstr(msg, "\r\n\r\n");
    char *out, *o;

    if (crlf && (!b || crlf < b))
        b = crlf + 4;
    else if (b)
        b += 2;
    assert_non_null(b);
    if (!b) /* for the compiler: assert_non_null does not return then */
        b = "";
    out = o = malloc(strlen(b) + 1);
    assert_non_null(out);
    while (*b) {
        if (b[0] == '=' && b[1] == '\r' && b[2] == '\n') {
            b += 3;
        } else if (b[0] == '=' && b[1] == '\n') {
            b += 2;
        } else if (b[0] == '=' && b[1] && b[2]) {
            char hex[3] = {b[1], b[2], 0};

            *o++ = (char)strtol(hex, NULL, 16);
            b += 3;
        } else if (b[0] == '\r') {
            b++;
        } else {
            *o++ = *b++;
        }
    }
    *o = '\0';
    return out;
}

/* Decode a header made of RFC 2047 UTF-8 B words separated by whitespace. */
static void decode_words(const char *in, char *out, size_t cap)
{
    size_t o = 0;

    while (*in) {
        const char *start = strstr(in, "=?UTF-8?B?"), *end;
        unsigned char bin[256];
        size_t n = 0;

        assert_non_null(start);
        start += strlen("=?UTF-8?B?");
        end = strstr(start, "?=");
        assert_non_null(end);
        assert_int_equal(sodium_base642bin(bin, sizeof(bin), start, (size_t)(end - start), NULL, &n,
                                           NULL, sodium_base64_VARIANT_ORIGINAL),
                         0);
        assert_true(o + n < cap);
        memcpy(out + o, bin, n);
        o += n;
        in = end + 2;
        while (*in == ' ' || *in == '\t')
            in++;
    }
    out[o] = '\0';
}

/* The one message the last task sent. */
static char *one_message(void)
{
    char *msgs[4] = {NULL};
    size_t n = peers_smtp_take(&g.smtp, msgs, 4);

    assert_int_equal(n, 1);
    return msgs[0];
}

static void assert_no_message(void)
{
    char *msgs[4] = {NULL};
    size_t n = peers_smtp_take(&g.smtp, msgs, 4);

    for (size_t i = 0; i < n; i++)
        free(msgs[i]);
    assert_int_equal(n, 0);
}

/* ------------------------------------------------------------- email */

static void test_email__welcome__sent_to_user_with_headers(void **state)
{
    char v[1024], mid[128];
    struct run r;
    char *msg, *body;

    (void)state;
    run_task(&r, &task_exec_welcome_email, U_ADA, NULL, 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.report.outcome, TASK_COMPLETED);
    assert_non_null(strstr(r.report.message, "Email sent to ada@contoso.example (Message-ID <"));
    msg = one_message();
    assert_true(header(msg, "Message-ID", mid, sizeof(mid)));
    assert_non_null(strstr(r.report.message, mid));
    assert_int_equal(strlen(mid), 1 + 36 + 5); /* <uuid@lcw> */
    assert_string_equal(mid + 37, "@lcw>");
    assert_true(header(msg, "From", v, sizeof(v)));
    assert_string_equal(v, "\"Lifecycle Workflows\" <lcw@contoso.example>");
    assert_true(header(msg, "To", v, sizeof(v)));
    assert_string_equal(v, "\"Ada Lovelace\" <ada@contoso.example>");
    assert_false(header(msg, "Cc", v, sizeof(v)));
    assert_true(header(msg, "Subject", v, sizeof(v)));
    assert_string_equal(v, "Welcome, Ada Lovelace");
    assert_true(header(msg, "Date", v, sizeof(v)));
    assert_string_equal(v, "Sun, 01 Mar 2026 09:00:00 +0000");
    assert_true(header(msg, "MIME-Version", v, sizeof(v)));
    assert_string_equal(v, "1.0");
    assert_true(header(msg, "Content-Type", v, sizeof(v)));
    assert_string_equal(v, "text/html; charset=utf-8");
    assert_true(header(msg, "Content-Transfer-Encoding", v, sizeof(v)));
    assert_string_equal(v, "quoted-printable");
    /* aiosmtpd's Mailbox records the envelope. */
    assert_true(header(msg, "X-MailFrom", v, sizeof(v)));
    assert_string_equal(v, "lcw@contoso.example");
    assert_true(header(msg, "X-RcptTo", v, sizeof(v)));
    assert_string_equal(v, "ada@contoso.example");
    body = body_of(msg);
    assert_non_null(strstr(body, "<p>Hello Ada Lovelace,</p>"));
    assert_non_null(strstr(body, "<b>ada@contoso.example</b>"));
    assert_non_null(strstr(body, "lifecycle workflow \u201cOnboard &quot;new&quot; hires\u201d."));
    free(body);
    free(msg);
    run_release(&r);
}

static void test_email__custom_subject_body__placeholders_substituted_and_escaped(void **state)
{
    static const char args[] =
            "[{\"name\":\"to\",\"value\":\"Manager, User\"},"
            "{\"name\":\"cc\",\"value\":\"" U_CHARLES "\"},"
            "{\"name\":\"customSubject\",\"value\":\"Hi {{userGivenName}} / {{ managerDisplayName }}\"},"
            "{\"name\":\"customBody\",\"value\":\"Dept: {{user.department}}\\n"
            "Cost: {{user.employeeOrgData/costCenter}}\\n"
            "EA1: {{USER.onPremisesExtensionAttributes/extensionAttribute1}}\\n"
            "Mgr: {{managerEmail}} {{userSurname}} {{userPrincipalName}}\\n"
            "Hire: {{userEmployeeHireDate}} Leave: {{userEmployeeLeaveDateTime}}\\n"
            "Raw: {{user.employeeHireDate}} Enabled: {{user.accountEnabled}}\\n"
            "Unknown: {{noSuchThing}} {{user.noSuchProperty}} {{user.jobTitle\\n"
            "<script>x</script> & done\"},"
            "{\"name\":\"locale\",\"value\":\"en-GB\"}]";
    char v[1024];
    struct run r;
    char *msg, *body;

    (void)state;
    run_task(&r, &task_exec_manager_move_email, U_ADA, args, 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.report.outcome, TASK_COMPLETED);
    assert_non_null(strstr(r.report.message,
                           "Email sent to grace@contoso.example, ada@contoso.example; cc "
                           "charles@contoso.example (Message-ID <"));
    msg = one_message();
    assert_true(header(msg, "Subject", v, sizeof(v)));
    assert_string_equal(v, "Hi Ada / Grace Hopper");
    assert_true(header(msg, "To", v, sizeof(v)));
    assert_string_equal(v, "\"Grace Hopper\" <grace@contoso.example>, \"Ada Lovelace\" "
                           "<ada@contoso.example>");
    assert_true(header(msg, "Cc", v, sizeof(v)));
    assert_string_equal(v, "\"Charles Babbage\" <charles@contoso.example>");
    assert_true(header(msg, "X-RcptTo", v, sizeof(v)));
    assert_string_equal(v, "grace@contoso.example, ada@contoso.example, charles@contoso.example");
    body = body_of(msg);
    assert_non_null(strstr(body, "Dept: R&amp;D &lt;Labs&gt;<br>\n"));
    assert_non_null(strstr(body, "Cost: CC-42<br>\n"));
    assert_non_null(strstr(body, "EA1: EA1-value<br>\n"));
    assert_non_null(strstr(body, "Mgr: grace@contoso.example Lovelace ada@contoso.example<br>\n"));
    assert_non_null(strstr(body, "Hire: 10 March 2026 Leave: 30 June 2026 17:30 UTC<br>\n"));
    assert_non_null(strstr(body, "Raw: 2026-03-10T00:00:00Z Enabled: true<br>\n"));
    /* Unknown placeholders stay as written so that a typo shows. */
    assert_non_null(strstr(body, "Unknown: {{noSuchThing}} {{user.noSuchProperty}} "
                                 "{{user.jobTitle<br>\n"));
    assert_non_null(strstr(body, "&lt;script&gt;x&lt;/script&gt; &amp; done"));
    assert_null(strstr(body, "<script>"));
    free(body);
    free(msg);
    run_release(&r);
}

static void test_email__non_ascii__subject_and_names_rfc2047(void **state)
{
    static const char args[] =
            "[{\"name\":\"to\",\"value\":\"User\"},"
            "{\"name\":\"customSubject\",\"value\":\"Välkommen {{userDisplayName}} — "
            "a long subject line that needs more than one encoded word\"}]";
    char v[1024], dec[1024];
    struct run r;
    char *msg, *body;

    (void)state;
    run_task(&r, &task_exec_welcome_email, U_ZOE, args, 1);
    assert_int_equal(r.report.outcome, TASK_COMPLETED);
    msg = one_message();
    assert_true(header(msg, "Subject", v, sizeof(v)));
    assert_non_null(strstr(v, "=?UTF-8?B?"));
    decode_words(v, dec, sizeof(dec));
    assert_string_equal(dec, "Välkommen Zoë Ångström — a long subject line that needs more than "
                             "one encoded word");
    assert_true(header(msg, "To", v, sizeof(v)));
    assert_non_null(strstr(v, "<zoe@contoso.example>"));
    *strstr(v, " <zoe@") = '\0';
    decode_words(v, dec, sizeof(dec));
    assert_string_equal(dec, "Zoë Ångström");
    body = body_of(msg);
    assert_non_null(strstr(body, "Hello Zoë Ångström,"));
    free(body);
    free(msg);
    run_release(&r);
}

static void test_email__default_recipients__per_task(void **state)
{
    static const struct {
        const struct task_executor *exec;
        const char *rcpt;
        const char *subject;
    } rows[] = {
            {&task_exec_welcome_email, "ada@contoso.example", "Welcome, Ada Lovelace"},
            {&task_exec_onboarding_reminder_email, "grace@contoso.example",
             "Reminder: Ada Lovelace joins your team on 10 March 2026"},
            {&task_exec_before_last_day_email, "grace@contoso.example",
             "Ada Lovelace's last day is coming up"},
            {&task_exec_on_last_day_email, "grace@contoso.example",
             "Today is Ada Lovelace's last day"},
            {&task_exec_after_last_day_email, "grace@contoso.example",
             "Ada Lovelace has left the organisation"},
            {&task_exec_manager_move_email, "grace@contoso.example",
             "Ada Lovelace's job profile has changed"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char v[512];
        struct run r;
        char *msg, *body;

        run_task(&r, rows[i].exec, U_ADA, NULL, 1);
        assert_int_equal(r.report.outcome, TASK_COMPLETED);
        msg = one_message();
        assert_true(header(msg, "X-RcptTo", v, sizeof(v)));
        assert_string_equal(v, rows[i].rcpt);
        assert_true(header(msg, "Subject", v, sizeof(v)));
        assert_string_equal(v, rows[i].subject);
        body = body_of(msg);
        assert_null(strstr(body, "{{")); /* every default placeholder is known */
        free(body);
        free(msg);
        run_release(&r);
    }
}

static void test_email__other_mails__used_when_no_mail(void **state)
{
    char v[256];
    struct run r;
    char *msg;

    (void)state;
    run_task(&r, &task_exec_welcome_email, U_PAT, NULL, 1);
    assert_int_equal(r.report.outcome, TASK_COMPLETED);
    assert_non_null(strstr(r.report.message, "Email sent to pat.personal@example.net "));
    msg = one_message();
    assert_true(header(msg, "X-RcptTo", v, sizeof(v)));
    assert_string_equal(v, "pat.personal@example.net");
    free(msg);
    run_release(&r);
}

static void test_email__missing_recipient__fails_with_reason(void **state)
{
    static const struct {
        const struct task_executor *exec;
        const char *user;
        const char *args;
        const char *reason;
    } rows[] = {
            {&task_exec_welcome_email, U_NOMAIL, NULL,
             "Cannot send: the user has no email address (mail or otherMails)"},
            {&task_exec_onboarding_reminder_email, U_NOMAIL, NULL,
             "Cannot send: the user's manager has no email address"},
            {&task_exec_before_last_day_email, U_LONE, NULL,
             "Cannot send: the user has no manager"},
            {&task_exec_welcome_email, U_ADA, "[{\"name\":\"to\",\"value\":\"Sponsors\"}]",
             "Cannot send: the user has no sponsors"},
            {&task_exec_welcome_email, U_ADA, "[{\"name\":\"to\",\"value\":\"" U_MISSING "\"}]",
             "Cannot send: the to user " U_MISSING " does not exist"},
            {&task_exec_welcome_email, U_ADA, "[{\"name\":\"to\",\"value\":\"" U_NOMAILMGR "\"}]",
             "Cannot send: the to user " U_NOMAILMGR " (Mute Manager) has no email address"},
            {&task_exec_welcome_email, U_ADA, "[{\"name\":\"cc\",\"value\":\"" U_MISSING "\"}]",
             "Cannot send: the cc user " U_MISSING " does not exist"},
            /* Every recipient must resolve: one bad entry fails the task. */
            {&task_exec_welcome_email, U_LONE, "[{\"name\":\"to\",\"value\":\"User,Manager\"}]",
             "Cannot send: the user has no manager"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct run r;

        run_task(&r, rows[i].exec, rows[i].user, rows[i].args, 1);
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.report.outcome, TASK_FAILED);
        assert_string_equal(r.report.message, rows[i].reason);
        run_release(&r);
    }
    assert_no_message();
}

static void test_email__no_smtp_configured__fails_and_cannot_run(void **state)
{
    char *saved = g.cfg.smtp_url, reason[256] = "";
    struct run r;

    (void)state;
    g.cfg.smtp_url = NULL;
    assert_false(task_exec_welcome_email.can_run(&g.env, NULL, reason, sizeof(reason)));
    assert_string_equal(reason, "No SMTP server is configured (set LCW_SMTP_URL)");
    assert_false(task_exec_generate_tap.can_run(&g.env, NULL, reason, sizeof(reason)));
    assert_string_equal(reason, "No SMTP server is configured (set LCW_SMTP_URL)");
    run_task(&r, &task_exec_welcome_email, U_ADA, NULL, 1);
    assert_int_equal(r.report.outcome, TASK_FAILED);
    assert_string_equal(r.report.message, "No SMTP server is configured (set LCW_SMTP_URL)");
    run_release(&r);
    g.cfg.smtp_url = saved;
    assert_true(task_exec_welcome_email.can_run(&g.env, NULL, reason, sizeof(reason)));

    saved = g.cfg.smtp_from;
    g.cfg.smtp_from = NULL;
    assert_false(task_exec_welcome_email.can_run(&g.env, NULL, reason, sizeof(reason)));
    assert_string_equal(reason, "No sender address is configured (set LCW_SMTP_FROM)");
    g.cfg.smtp_from = saved;
    assert_no_message();
}

static void test_email__server_down__retry_with_backoff(void **state)
{
    char *saved = g.cfg.smtp_url, url[64];
    struct run r;

    (void)state;
    (void)snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", peers_free_port());
    g.cfg.smtp_url = url;
    run_task(&r, &task_exec_welcome_email, U_ADA, NULL, 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.report.outcome, TASK_RETRY);
    assert_int_equal(r.report.retry_after_ms, 30000);
    assert_non_null(
            strstr(r.report.message, "The SMTP server could not take the message for now: "));
    run_release(&r);
    run_task(&r, &task_exec_welcome_email, U_ADA, NULL, 3);
    assert_int_equal(r.report.outcome, TASK_RETRY);
    assert_int_equal(r.report.retry_after_ms, 120000);
    run_release(&r);
    run_task(&r, &task_exec_welcome_email, U_ADA, NULL, 20);
    assert_int_equal(r.report.retry_after_ms, 30 * 60 * 1000);
    run_release(&r);
    g.cfg.smtp_url = saved;
}

static void test_email__recipient_refused_5xx__permanent_failure(void **state)
{
    struct run r;

    (void)state;
    run_task(&r, &task_exec_welcome_email, U_BADDOMAIN, NULL, 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.report.outcome, TASK_FAILED);
    assert_non_null(strstr(r.report.message, "The SMTP server refused the message: 553 "));
    run_release(&r);
    assert_no_message();
}

static void test_email__starttls_refused__permanent_failure(void **state)
{
    struct run r;

    (void)state;
    g.cfg.smtp_starttls = true; /* aiosmtpd here offers no STARTTLS */
    run_task(&r, &task_exec_welcome_email, U_ADA, NULL, 1);
    g.cfg.smtp_starttls = false;
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.report.outcome, TASK_FAILED);
    assert_non_null(strstr(r.report.message, "The email could not be sent: "));
    assert_non_null(strstr(r.report.message, "STARTTLS"));
    run_release(&r);
    assert_no_message();
}

/* --------------------------------------------------------------- TAP */

static json_t *tap_doc(const char *user_id)
{
    struct store_tx tx;
    struct lcw_error err = {0};
    char key[64];
    json_t *doc = NULL;
    int rc;

    (void)snprintf(key, sizeof(key), "tap:%s", user_id);
    assert_int_equal(store_tx_begin(g.store, &tx, STORE_TX_READ, &err), 0);
    rc = store_kv_get(&tx, key, &doc, &err);
    store_tx_rollback(&tx);
    return rc ? NULL : doc;
}

/* The pass in a default TAP mail body. */
static void pass_of(const char *body, char out[13])
{
    const char *p = strstr(body, "150%\"><b>");

    assert_non_null(p);
    p += strlen("150%\"><b>");
    assert_non_null(strstr(p, "</b>"));
    assert_int_equal(strstr(p, "</b>") - p, 12);
    memcpy(out, p, 12);
    out[12] = '\0';
    for (int i = 0; i < 12; i++)
        assert_non_null(strchr("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789", out[i]));
}

/* "sha256:<salt>:<digest>" must match the pass. */
static void assert_hash_matches(const char *stored, const char *pass)
{
    unsigned char salt[16], want[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    crypto_hash_sha256_state st;
    size_t n = 0;

    assert_int_equal(strncmp(stored, "sha256:", 7), 0);
    assert_int_equal(sodium_hex2bin(salt, sizeof(salt), stored + 7, 32, NULL, &n, NULL), 0);
    assert_int_equal(n, 16);
    assert_int_equal(stored[7 + 32], ':');
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, salt, sizeof(salt));
    crypto_hash_sha256_update(&st, (const unsigned char *)pass, strlen(pass));
    crypto_hash_sha256_final(&st, want);
    sodium_bin2hex(hex, sizeof(hex), want, sizeof(want));
    assert_string_equal(stored + 7 + 33, hex);
}

static void test_tap__default__mailed_to_manager_and_only_hash_stored(void **state)
{
    char v[512], pass[13];
    struct run r;
    json_t *doc, *m;
    char *msg, *body, *dump;

    (void)state;
    run_task(&r, &task_exec_generate_tap, U_ADA, NULL, 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.report.outcome, TASK_COMPLETED);
    assert_non_null(strstr(r.report.message,
                           "Temporary Access Pass (valid from " ADA_HIRE_TEXT
                           " for 60 minutes) sent to grace@contoso.example (Message-ID <"));
    msg = one_message();
    assert_true(header(msg, "X-RcptTo", v, sizeof(v)));
    assert_string_equal(v, "grace@contoso.example");
    assert_true(header(msg, "Subject", v, sizeof(v)));
    assert_string_equal(v, "Temporary Access Pass for Ada Lovelace");
    body = body_of(msg);
    pass_of(body, pass);
    assert_non_null(strstr(body, "Valid from: 10 March 2026</li>"));
    assert_non_null(strstr(body, "Valid for: 60 minutes</li>"));
    assert_non_null(strstr(body, "Usable once: no</li>"));
    assert_null(strstr(r.report.message, pass));

    doc = tap_doc(U_ADA);
    assert_non_null(doc);
    dump = jsonx_dump(doc);
    assert_null(strstr(dump, pass));
    lcw_free(dump);
    assert_int_equal(json_array_size(json_object_get(doc, "temporaryAccessPassMethods")), 1);
    m = json_array_get(json_object_get(doc, "temporaryAccessPassMethods"), 0);
    assert_true(uuid_valid(jsonx_str(m, "id"), 36));
    assert_true(json_is_null(json_object_get(m, "temporaryAccessPass")));
    assert_string_equal(jsonx_str(m, "createdDateTime"), NOW_TEXT);
    assert_string_equal(jsonx_str(m, "startDateTime"), ADA_HIRE_TEXT);
    assert_int_equal(jsonx_int(m, "lifetimeInMinutes", 0), 60);
    assert_false(jsonx_bool(m, "isUsableOnce", true));
    assert_false(jsonx_bool(m, "isUsable", true));
    assert_string_equal(jsonx_str(m, "methodUsabilityReason"), "NotYetValid");
    assert_hash_matches(jsonx_str(m, "#lcw.hash"), pass);
    assert_string_equal(jsonx_str(m, "#lcw.taskProcessingResultId"), RESULT_ID);
    json_decref(doc);
    sodium_memzero(pass, sizeof(pass));
    free(body);
    free(msg);
    run_release(&r);
}

static void test_tap__arguments__lifetime_once_other_mails_and_replace(void **state)
{
    static const char args[] = "[{\"name\":\"tapLifetimeMinutes\",\"value\":\"480\"},"
                               "{\"name\":\"tapIsUsableOnce\",\"value\":\"True\"},"
                               "{\"name\":\"to\",\"value\":\"User/otherMails\"}]";
    char v[256], pass1[13], pass2[13];
    struct run r;
    json_t *doc, *m;
    char *msg, *body;

    (void)state;
    run_task(&r, &task_exec_generate_tap, U_PAT, args, 1);
    assert_int_equal(r.report.outcome, TASK_COMPLETED);
    /* Pat's hire date has passed: the pass starts now. */
    assert_non_null(strstr(r.report.message, "Temporary Access Pass (valid from " NOW_TEXT
                                             " for 480 minutes, usable once) sent to "
                                             "pat.personal@example.net (Message-ID <"));
    run_release(&r);
    msg = one_message();
    assert_true(header(msg, "X-RcptTo", v, sizeof(v)));
    assert_string_equal(v, "pat.personal@example.net");
    body = body_of(msg);
    pass_of(body, pass1);
    assert_non_null(strstr(body, "Usable once: yes</li>"));
    free(body);
    free(msg);

    run_task(&r, &task_exec_generate_tap, U_PAT, args, 1);
    assert_int_equal(r.report.outcome, TASK_COMPLETED);
    assert_non_null(strstr(r.report.message, ", replacing the previous one) sent to "));
    run_release(&r);
    msg = one_message();
    body = body_of(msg);
    pass_of(body, pass2);
    assert_string_not_equal(pass1, pass2);
    free(body);
    free(msg);

    doc = tap_doc(U_PAT);
    assert_int_equal(json_array_size(json_object_get(doc, "temporaryAccessPassMethods")), 1);
    m = json_array_get(json_object_get(doc, "temporaryAccessPassMethods"), 0);
    assert_int_equal(jsonx_int(m, "lifetimeInMinutes", 0), 480);
    assert_true(jsonx_bool(m, "isUsableOnce", false));
    assert_true(jsonx_bool(m, "isUsable", false));
    assert_string_equal(jsonx_str(m, "methodUsabilityReason"), "EnabledByPolicy");
    assert_string_equal(jsonx_str(m, "startDateTime"), NOW_TEXT);
    assert_hash_matches(jsonx_str(m, "#lcw.hash"), pass2);
    json_decref(doc);
}

static void test_tap__preconditions__fail_without_creating_a_pass(void **state)
{
    static const struct {
        const char *user;
        const char *args;
        const char *reason;
    } rows[] = {
            {U_LONE, NULL, "Cannot send: the user has no manager"},
            {U_NOMAIL, NULL, "Cannot send: the user's manager has no email address"},
            {U_LONE,
             "[{\"name\":\"tapLifetimeMinutes\",\"value\":\"5\"},"
             "{\"name\":\"to\",\"value\":\"User\"}]",
             "'tapLifetimeMinutes' must be a whole number of minutes between 10 and 43200 (got '5')"},
            {U_LONE,
             "[{\"name\":\"tapIsUsableOnce\",\"value\":\"maybe\"},"
             "{\"name\":\"to\",\"value\":\"User\"}]",
             "'tapIsUsableOnce' must be true or false (got 'maybe')"},
            {U_LONE,
             "[{\"name\":\"customBody\",\"value\":\"Hello {{userDisplayName}}\"},"
             "{\"name\":\"to\",\"value\":\"User\"}]",
             "'customBody' must contain {{temporaryAccessPass}}, or nobody would receive the pass"},
            {U_LONE,
             "[{\"name\":\"to\",\"value\":\"User/onPremisesExtensionAttributes/extensionAttribute3\"}]",
             "Cannot send: the user's onPremisesExtensionAttributes/extensionAttribute3 is empty"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct run r;
        json_t *doc;

        run_task(&r, &task_exec_generate_tap, rows[i].user, rows[i].args, 1);
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.report.outcome, TASK_FAILED);
        assert_string_equal(r.report.message, rows[i].reason);
        doc = tap_doc(rows[i].user);
        assert_null(doc);
        run_release(&r);
    }
    assert_no_message();
}

static void test_tap__custom_body__pass_inserted(void **state)
{
    static const char args[] =
            "[{\"name\":\"to\",\"value\":\"User\"},"
            "{\"name\":\"customBody\",\"value\":\"Your pass: {{ TemporaryAccessPass }}.\"}]";
    struct run r;
    json_t *doc;
    char *msg, *body, *p;

    (void)state;
    run_task(&r, &task_exec_generate_tap, U_LONE, args, 1);
    assert_int_equal(r.report.outcome, TASK_COMPLETED);
    msg = one_message();
    body = body_of(msg);
    p = strstr(body, "Your pass: ");
    assert_non_null(p);
    p += strlen("Your pass: ");
    assert_int_equal(p[12], '.');
    p[12] = '\0';
    doc = tap_doc(U_LONE);
    assert_hash_matches(
            jsonx_str(json_array_get(json_object_get(doc, "temporaryAccessPassMethods"), 0),
                      "#lcw.hash"),
            p);
    json_decref(doc);
    free(body);
    free(msg);
    run_release(&r);
}

static void test_tap__server_down__retry_and_pass_withdrawn(void **state)
{
    char *saved = g.cfg.smtp_url, url[64];
    struct run r;
    json_t *doc;

    (void)state;
    (void)snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", peers_free_port());
    g.cfg.smtp_url = url;
    run_task(&r, &task_exec_generate_tap, U_CHARLES, "[{\"name\":\"to\",\"value\":\"User\"}]", 1);
    g.cfg.smtp_url = saved;
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.report.outcome, TASK_RETRY);
    assert_int_equal(r.report.retry_after_ms, 30000);
    doc = tap_doc(U_CHARLES);
    assert_non_null(doc);
    assert_int_equal(json_array_size(json_object_get(doc, "temporaryAccessPassMethods")), 0);
    json_decref(doc);
    run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup(test_email__welcome__sent_to_user_with_headers, test_setup),
            cmocka_unit_test_setup(
                    test_email__custom_subject_body__placeholders_substituted_and_escaped,
                    test_setup),
            cmocka_unit_test_setup(test_email__non_ascii__subject_and_names_rfc2047, test_setup),
            cmocka_unit_test_setup(test_email__default_recipients__per_task, test_setup),
            cmocka_unit_test_setup(test_email__other_mails__used_when_no_mail, test_setup),
            cmocka_unit_test_setup(test_email__missing_recipient__fails_with_reason, test_setup),
            cmocka_unit_test_setup(test_email__no_smtp_configured__fails_and_cannot_run,
                                   test_setup),
            cmocka_unit_test_setup(test_email__server_down__retry_with_backoff, test_setup),
            cmocka_unit_test_setup(test_email__recipient_refused_5xx__permanent_failure,
                                   test_setup),
            cmocka_unit_test_setup(test_email__starttls_refused__permanent_failure, test_setup),
            cmocka_unit_test_setup(test_tap__default__mailed_to_manager_and_only_hash_stored,
                                   test_setup),
            cmocka_unit_test_setup(test_tap__arguments__lifetime_once_other_mails_and_replace,
                                   test_setup),
            cmocka_unit_test_setup(test_tap__preconditions__fail_without_creating_a_pass,
                                   test_setup),
            cmocka_unit_test_setup(test_tap__custom_body__pass_inserted, test_setup),
            cmocka_unit_test_setup(test_tap__server_down__retry_and_pass_withdrawn, test_setup),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
