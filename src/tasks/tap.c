/* SPDX-License-Identifier: MIT */
/*
 * "Generate TAP and send email": creates a Temporary Access Pass for the
 * user, keeps only its salted hash (kv document "tap:<userId>", shape in
 * docs/internals/tasks.md), and mails the pass through the email pipeline
 * (smtp.h). The pass exists in clear only in this call's memory, which is
 * wiped, and in the message; it is never logged or stored. A remote
 * executor: no transaction is given, it opens its own for the kv write.
 */
#include "smtp.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "lcw/jsonx.h"
#include "lcw/model.h"
#include "lcw/store.h"

#include "tasks_int.h"

#define TAP_CHARS           12
#define TAP_MIN_MINUTES     10
#define TAP_MAX_MINUTES     43200
#define TAP_DEFAULT_MINUTES 60
#define TAP_SALT_BYTES      16
#define TAP_KEY_PREFIX      "tap:"

/* No 0/O/o, 1/I/l: the pass is read off a mail and typed by a person. */
static const char tap_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

static const struct mail_template tap_template = {
        MODEL_TASKDEF_GENERATE_TAP, "Manager", "Temporary Access Pass for {{userDisplayName}}",
        "<p>Hello,</p>\n"
        "<p>A Temporary Access Pass has been created for <b>{{userDisplayName}}</b> "
        "({{userPrincipalName}}):</p>\n"
        "<p style=\"font-family: Consolas, Menlo, monospace; font-size: 150%\">"
        "<b>{{temporaryAccessPass}}</b></p>\n"
        "<ul>\n<li>Valid from: {{temporaryAccessPassStartDateTime}}</li>\n"
        "<li>Valid for: {{temporaryAccessPassLifetimeInMinutes}} minutes</li>\n"
        "<li>Usable once: {{temporaryAccessPassIsUsableOnce}}</li>\n</ul>\n"
        "<p>{{userDisplayName}} uses it to sign in for the first time and to register their own "
        "sign-in methods. If you are not {{userDisplayName}}, please hand the pass over in a "
        "secure way, and do not forward this message.</p>"};

/* A pass of TAP_CHARS characters, uniformly drawn from tap_alphabet. */
static void tap_generate(char out[TAP_CHARS + 1])
{
    for (size_t i = 0; i < TAP_CHARS; i++)
        out[i] = tap_alphabet[randombytes_uniform((uint32_t)(sizeof(tap_alphabet) - 1))];
    out[TAP_CHARS] = '\0';
}

/*
 * "sha256:<salt hex>:<hex of SHA-256(salt || pass)>". The pass carries about
 * 70 bits of entropy and lives at most 30 days, so a salted fast hash is
 * enough; the salt keeps equal passes from having equal hashes.
 */
static void tap_hash(const char *pass, char *out, size_t cap)
{
    unsigned char salt[TAP_SALT_BYTES], digest[crypto_hash_sha256_BYTES];
    char salt_hex[2 * TAP_SALT_BYTES + 1], digest_hex[2 * crypto_hash_sha256_BYTES + 1];
    crypto_hash_sha256_state st;

    randombytes_buf(salt, sizeof(salt));
    (void)crypto_hash_sha256_init(&st);
    (void)crypto_hash_sha256_update(&st, salt, sizeof(salt));
    (void)crypto_hash_sha256_update(&st, (const unsigned char *)pass, strlen(pass));
    (void)crypto_hash_sha256_final(&st, digest);
    sodium_memzero(&st, sizeof(st));
    (void)sodium_bin2hex(salt_hex, sizeof(salt_hex), salt, sizeof(salt));
    (void)sodium_bin2hex(digest_hex, sizeof(digest_hex), digest, sizeof(digest));
    (void)snprintf(out, cap, "sha256:%s:%s", salt_hex, digest_hex);
}

/* Does `s` mention {{temporaryAccessPass}} (any case, spaces inside the braces allowed)? */
static bool mentions_pass(const char *s)
{
    for (const char *p = strstr(s, "{{"); p; p = strstr(p + 2, "{{")) {
        const char *q = p + 2;

        while (*q == ' ')
            q++;
        if (strv_starts_with_ci(strv_from(q), "temporaryAccessPass")) {
            q += strlen("temporaryAccessPass");
            while (*q == ' ')
                q++;
            if (q[0] == '}' && q[1] == '}')
                return true;
        }
    }
    return false;
}

/* The TAP arguments; false with `report` filled when one is unusable. */
static bool tap_args(const json_t *task, int64_t *minutes, bool *is_usable_once,
                     struct task_report *report)
{
    const char *lt = tasks__mail_arg(task, "tapLifetimeMinutes");
    const char *once = tasks__mail_arg(task, "tapIsUsableOnce");
    const char *body = tasks__mail_arg(task, "customBody");

    *minutes = TAP_DEFAULT_MINUTES;
    *is_usable_once = false;
    if (lt && (str_to_i64(lt, strlen(lt), minutes) || *minutes < TAP_MIN_MINUTES ||
               *minutes > TAP_MAX_MINUTES)) {
        tasks__remote_report(
                report, TASK_FAILED,
                "'tapLifetimeMinutes' must be a whole number of minutes between %d and %d (got '%.40s')",
                TAP_MIN_MINUTES, TAP_MAX_MINUTES, lt);
        return false;
    }
    if (once && !lcw_str_eq_ci(once, "true") && !lcw_str_eq_ci(once, "false")) {
        tasks__remote_report(report, TASK_FAILED,
                             "'tapIsUsableOnce' must be true or false (got '%.40s')", once);
        return false;
    }
    *is_usable_once = once && lcw_str_eq_ci(once, "true");
    if (body && !mentions_pass(body)) {
        tasks__remote_report(
                report, TASK_FAILED,
                "'customBody' must contain {{temporaryAccessPass}}, or nobody would receive the pass");
        return false;
    }
    return true;
}

/* The method document as /users/{id}/authentication/temporaryAccessPassMethods lists it. */
static json_t *method_doc(const struct task_call *call, int64_t start_ms, int64_t minutes,
                          bool is_usable_once, const char *hash)
{
    char id[UUID_STR_LEN];
    bool is_usable = start_ms <= call->now_ms;
    json_t *m = json_object();

    uuid_v4(id);
    if (!m || jsonx_set_str(m, "id", id) ||
        json_object_set_new(m, "temporaryAccessPass", json_null()) ||
        jsonx_set_time(m, "createdDateTime", call->now_ms, false) ||
        jsonx_set_time(m, "startDateTime", start_ms, false) ||
        json_object_set_new(m, "lifetimeInMinutes", json_integer(minutes)) ||
        json_object_set_new(m, "isUsableOnce", json_boolean(is_usable_once)) ||
        json_object_set_new(m, "isUsable", json_boolean(is_usable)) ||
        jsonx_set_str(m, "methodUsabilityReason", is_usable ? "EnabledByPolicy" : "NotYetValid") ||
        jsonx_set_str(m, "#lcw.hash", hash) ||
        jsonx_set_str(m, "#lcw.workflowId", call->workflow_id) ||
        jsonx_set_str(m, "#lcw.taskProcessingResultId", call->task_result_id)) {
        json_decref(m);
        return NULL;
    }
    return m;
}

/*
 * Replace the user's pass methods with `methods` (an array) in one write
 * transaction. *had_pass tells whether a pass was there before.
 */
static int tap_store(const struct task_call *call, const char *key, json_t *methods, bool *had_pass,
                     struct lcw_error *err)
{
    struct store_tx tx;
    json_t *old = NULL, *doc = NULL;
    int rc;

    if ((rc = store_tx_begin(call->env->store, &tx, STORE_TX_WRITE, err)))
        return rc;
    rc = store_kv_get(&tx, key, &old, err);
    if (rc && rc != LCW_ENOTFOUND)
        goto out;
    if (had_pass)
        *had_pass = json_array_size(json_object_get(old, "temporaryAccessPassMethods")) > 0;
    if (!(doc = json_pack("{s:O}", "temporaryAccessPassMethods", methods))) {
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = store_kv_put(&tx, key, doc, err)))
        goto out;
    rc = store_tx_commit(&tx, err);
out:
    if (rc)
        store_tx_rollback(&tx);
    json_decref(old);
    json_decref(doc);
    return rc;
}

static int tap_run(const struct task_call *call, struct task_report *report, struct lcw_error *err)
{
    char pass[TAP_CHARS + 1] = {0}, hash[128], key[64], minutes_text[24], start_text[TIMEFMT_LEN];
    char what[200];
    const char *uid = jsonx_str(call->user, "id"),
               *hire = jsonx_str(call->user, "employeeHireDate");
    struct buf start_human;
    json_t *methods = NULL, *empty = NULL;
    int64_t minutes, hire_ms, start_ms = call->now_ms;
    bool is_usable_once, is_ready = false, had_pass = false;
    struct mail m;
    int rc;

    memset(report, 0, sizeof(*report));
    buf_init(&start_human, 128);
    rc = tasks__mail_prepare(&m, call, &tap_template, &is_ready, report, err);
    if (rc || !is_ready || !tap_args(call->task, &minutes, &is_usable_once, report))
        goto out;
    if (!uid || strlen(uid) >= sizeof(key) - strlen(TAP_KEY_PREFIX)) {
        rc = lcw_error_set(err, LCW_EINVAL, "the task call has no usable subject id");
        goto out;
    }
    (void)snprintf(key, sizeof(key), TAP_KEY_PREFIX "%s", uid);
    for (char *p = key; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    /* The pass starts at the hire date, or now when that has passed (product A.4). */
    if (hire && !timefmt_parse(hire, strlen(hire), &hire_ms) && hire_ms > call->now_ms)
        start_ms = hire_ms;
    (void)timefmt_format(start_ms, start_text);
    (void)snprintf(minutes_text, sizeof(minutes_text), "%lld", (long long)minutes);
    if ((rc = tasks__mail_human_date(&start_human, start_text))) {
        rc = lcw_error_set(err, rc, "out of memory");
        goto out;
    }

    tap_generate(pass);
    tap_hash(pass, hash, sizeof(hash));
    {
        const struct mail_var vars[] = {
                {"temporaryAccessPass", pass},
                {"temporaryAccessPassStartDateTime", buf_cstr(&start_human)},
                {"temporaryAccessPassLifetimeInMinutes", minutes_text},
                {"temporaryAccessPassIsUsableOnce", is_usable_once ? "yes" : "no"},
        };

        if ((rc = tasks__mail_render(&m, &tap_template, vars, sizeof(vars) / sizeof(vars[0]), err)))
            goto out;
    }
    methods = json_array();
    if (!methods ||
        json_array_append_new(methods, method_doc(call, start_ms, minutes, is_usable_once, hash))) {
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        goto out;
    }
    /*
     * Store before sending: a mailed pass must exist. A new pass replaces the
     * user's previous one (Entra allows one per user), so a retried task
     * leaves exactly one.
     */
    if ((rc = tap_store(call, key, methods, &had_pass, err))) {
        if (rc == LCW_EBUSY) {
            tasks__remote_report(report, TASK_RETRY, "The store is busy; the pass was not created");
            report->retry_after_ms = SMTP_RETRY_FIRST_MS;
            rc = 0;
        }
        goto out;
    }
    (void)snprintf(what, sizeof(what), "Temporary Access Pass (valid from %s for %s minutes%s%s)",
                   start_text, minutes_text, is_usable_once ? ", usable once" : "",
                   had_pass ? ", replacing the previous one" : "");
    if ((rc = tasks__mail_send(&m, what, report, err)) || report->outcome != TASK_COMPLETED) {
        /*
         * Nobody received this pass: withdraw it. If that fails too, the
         * stored hash matches a pass no one knows, which is harmless; the
         * send failure is what the task reports.
         */
        struct lcw_error ignored = {0};

        if ((empty = json_array()))
            (void)tap_store(call, key, empty, NULL, &ignored);
    }
out:
    sodium_memzero(pass, sizeof(pass));
    sodium_memzero(hash, sizeof(hash));
    json_decref(methods);
    json_decref(empty);
    buf_release(&start_human);
    tasks__mail_release(&m);
    return rc;
}

static bool tap_can_run(const struct task_env *env, const json_t *task, char *reason, size_t cap)
{
    (void)task;
    return tasks__mail_configured(env->cfg, reason, cap);
}

const struct task_executor task_exec_generate_tap = {
        .definition_id = MODEL_TASKDEF_GENERATE_TAP,
        .is_remote = true,
        .run = tap_run,
        .can_run = tap_can_run,
};
