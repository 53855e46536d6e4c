/* SPDX-License-Identifier: MIT */
/*
 * run_throughput: how fast does the engine process one big scheduled leaver
 * run over the embedded directory, and how close is that to the SQLite
 * floor (the same rows written directly, in batched transactions)?
 *
 *   run_throughput [--users N] [--runs K] [--workers W] [--batch B]
 *                  [--floor | --engine] [--floor-batch U] [--dir PATH]
 *                  [--keep] [--timeout S] [--floor-cache-mb MB]
 *
 * Without --floor/--engine both are measured, alternately, so that their
 * ratio comes from the same (noisy, shared) machine state. Output: one line
 * per measurement, then the medians and the ratio, in a stable key=value
 * format (bench/README.md):
 *
 *   engine users=10000 workers=4 batch=64 run=1 seconds=... users_per_s=... cpu_s=...
 *   floor users=10000 batch=500 cache_mb=0 run=1 seconds=... users_per_s=... ...
 *   engine users=10000 ... median runs=3 ...
 *   ratio users=10000 engine_over_floor=0.36 cpu_engine_over_floor=0.34 goal=0.50 met=no
 *
 * Every phase (seeding, each engine run, each floor run) is a forked child of
 * a small parent, so that its peak RSS (getrusage ru_maxrss) is its own; each
 * run works on a fresh copy of the seeded database.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "api_int.h"
#include "lcw/config.h"
#include "lcw/dir.h"
#include "lcw/engine.h"
#include "lcw/jsonx.h"
#include "lcw/model.h"
#include "lcw/odata.h"
#include "lcw/store.h"

#define MS_PER_DAY     86400000LL
#define N_GROUPS       50
#define GROUPS_PER_USR 5
#define N_TASKS        5
#define SEED_BATCH     2000
#define POLL_MS        50
#define SPOT_CHECKS    20

static const char *const sku_ids[2] = {"6fd2c87f-b296-42f0-b197-1e91e994b900",
                                       "efccb6f7-5641-4e0e-bd10-b4976e1bf68e"};
static const char *const sku_parts[2] = {"ENTERPRISEPACK", "EMS"};

/* Task definition ids (src/tasks/directory_tasks.c). */
#define TD_DISABLE       "1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950"
#define TD_ALL_GROUPS    "b3a31406-2a15-4c9a-b25b-a658fa5f07fc"
#define TD_ALL_LICENSES  "8fa97d28-3e52-4985-b3a9-a1126f9b8b4e"
#define TD_REVOKE        "509589a4-0466-4471-829e-49c5e502bdee"
#define NEW_DEPARTMENT   "Alumni"
#define ATTRIBUTES_VALUE "{\"department\":\"" NEW_DEPARTMENT "\"}"

enum mode { MODE_BOTH, MODE_ENGINE, MODE_FLOOR };

struct opts {
    long users;
    int runs;
    unsigned workers;
    unsigned batch;   /* engine batch_size (0 = the engine's default) */
    long floor_batch; /* users per floor transaction */
    enum mode mode;
    const char *dir; /* parent of the temp dir */
    bool keep;
    double timeout_s;
    long floor_cache_mb; /* floor only: PRAGMA cache_size (0 = SQLite's default, as the driver) */
};

/* What a child reports to the parent through a pipe. */
struct result {
    int ok;            /* 1 = measured and verified */
    double seconds;    /* run creation -> run final (engine); first -> last commit (floor) */
    double schedule_s; /* engine_schedule_now: evaluation + run creation (engine only) */
    double peak_rss_mb;
    double cpu_s; /* user + system CPU of the child process (all threads) */
    double load1; /* 1-minute load average when the measurement ended */
    long users, tasks;
    double user_doc_b, ur_doc_b, tr_doc_b; /* average stored doc sizes after the run */
    long dir_changes;
    char msg[512];
};

/* ---------------------------------------------------------------- helpers */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)fputs("run_throughput: ", stderr);
    (void)vfprintf(stderr, fmt, ap);
    (void)fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static void check(int rc, const struct lcw_error *err, const char *what)
{
    if (rc)
        die("%s: %s (%s)", what, err->msg, lcw_err_name(rc));
}

static double mono_s(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double peak_rss_mb(void)
{
    struct rusage ru;

    (void)getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* ru_maxrss is in KiB on Linux */
}

/* CPU seconds (user + system, every thread) this process has used so far. */
static double cpu_s(void)
{
    struct rusage ru;

    (void)getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int64_t now_ms(void)
{
    return lcw_clock_now(lcw_clock_system());
}

static void copy_file(const char *from, const char *to)
{
    char buf[1 << 16];
    int in = open(from, O_RDONLY), out;
    ssize_t n;

    if (in < 0) {
        if (errno == ENOENT)
            return;
        die("open %s: %s", from, strerror(errno));
    }
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0)
        die("open %s: %s", to, strerror(errno));
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        if (write(out, buf, (size_t)n) != n)
            die("write %s: %s", to, strerror(errno));
    }
    if (n < 0)
        die("read %s: %s", from, strerror(errno));
    (void)close(in);
    if (close(out))
        die("close %s: %s", to, strerror(errno));
}

static void db_files_remove(const char *path)
{
    char p[4096];

    (void)unlink(path);
    (void)snprintf(p, sizeof(p), "%s-wal", path);
    (void)unlink(p);
    (void)snprintf(p, sizeof(p), "%s-shm", path);
    (void)unlink(p);
}

/* Copy a closed database (and a WAL left behind, should there be one). */
static void db_copy(const char *from, const char *to)
{
    char a[4096], b[4096];

    db_files_remove(to);
    copy_file(from, to);
    (void)snprintf(a, sizeof(a), "%s-wal", from);
    (void)snprintf(b, sizeof(b), "%s-wal", to);
    copy_file(a, b);
}

static void store_url(const char *path, char *out, size_t cap)
{
    (void)snprintf(out, cap, "sqlite://%s", path); /* path is absolute: sqlite:///abs */
}

/* Run `fn` in a child; its result comes back through a pipe. */
static struct result in_child(void (*fn)(const struct opts *, const char *, struct result *),
                              const struct opts *o, const char *db)
{
    struct result r;
    int fd[2];
    pid_t pid;
    int status = 0;
    ssize_t n;

    memset(&r, 0, sizeof(r));
    if (pipe(fd))
        die("pipe: %s", strerror(errno));
    (void)fflush(stdout);
    (void)fflush(stderr);
    pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        (void)close(fd[0]);
        fn(o, db, &r);
        if (write(fd[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
            _exit(3);
        _exit(0);
    }
    (void)close(fd[1]);
    n = read(fd[0], &r, sizeof(r));
    (void)close(fd[0]);
    (void)waitpid(pid, &status, 0);
    if (n != (ssize_t)sizeof(r) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        memset(&r, 0, sizeof(r));
        (void)snprintf(r.msg, sizeof(r.msg), "child failed (status %d)", status);
    }
    return r;
}

/* ---------------------------------------------------------------- seeding */

static const char *const departments[] = {"Sales", "Marketing", "Engineering", "Finance",
                                          "HR",    "Support",   "Operations",  "Legal"};
static const char *const cities[] = {"Seattle", "London", "Berlin", "Paris", "Toronto", "Sydney"};
static const char *const countries[] = {"United States", "United Kingdom", "Germany",
                                        "France",        "Canada",         "Australia"};
static const char *const usage_locs[] = {"US", "GB", "DE", "FR", "CA", "AU"};

static json_t *user_body(long i, int64_t today_ms)
{
    char upn[128], display[128], emp_id[24], hire[TIMEFMT_LEN], leave[TIMEFMT_LEN], cc[24];
    const char *dept = departments[i % 8];
    int site = (int)(i % 6);

    (void)snprintf(upn, sizeof(upn), "user%07ld@bench.example", i);
    (void)snprintf(display, sizeof(display), "Bench User %07ld", i);
    (void)snprintf(emp_id, sizeof(emp_id), "E%07d", (int)(i % 10000000));
    (void)snprintf(cc, sizeof(cc), "CC-%d000", (int)(i % 8) + 1);
    timefmt_format(today_ms - (365 + i % 2000) * MS_PER_DAY, hire);
    timefmt_format(today_ms - MS_PER_DAY, leave); /* yesterday: everyone qualifies now */
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
                     "s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s}}",
                     "displayName", display, "givenName", "Bench", "surname", display + 6,
                     "userPrincipalName", upn, "mail", upn, "accountEnabled", 1, "department", dept,
                     "jobTitle", "Engineer", "companyName", "Contoso", "employeeId", emp_id,
                     "employeeType", "Employee", "city", cities[site], "country", countries[site],
                     "usageLocation", usage_locs[site], "preferredLanguage", "en-US",
                     "employeeHireDate", hire, "employeeLeaveDateTime", leave, "employeeOrgData",
                     "division", "Product", "costCenter", cc, "onPremisesExtensionAttributes",
                     "extensionAttribute1", cc);
}

static json_t *task_json(const char *name, const char *def, const char *arg_name,
                         const char *arg_value)
{
    json_t *t = json_pack("{s:s, s:s, s:b, s:b}", "displayName", name, "taskDefinitionId", def,
                          "isEnabled", 1, "continueOnError", 0);

    if (t && arg_name)
        json_object_set_new(t, "arguments",
                            json_pack("[{s:s, s:s}]", "name", arg_name, "value", arg_value));
    return t;
}

/* The leaver workflow, validated and stored as POST /workflows stores it. */
static void seed_workflow(struct store_tx *tx, int64_t now)
{
    struct lcw_error err = {0};
    const char *rule = "userType eq 'Member'";
    struct odata_expr *e = NULL;
    char id[UUID_STR_LEN], ts[TIMEFMT_LEN];
    json_t *body, *wf = NULL, *ident;
    int rc;

    body = json_pack(
            "{s:s, s:s, s:s, s:b, s:b, s:{s:s, s:{s:s, s:s}, s:{s:s, s:s, s:i}}, s:[o, o, o, o, "
            "o]}",
            "category", "leaver", "displayName", "Bench leaver", "description",
            "run_throughput: everyone leaves at once", "isEnabled", 1, "isSchedulingEnabled", 1,
            "executionConditions", "@odata.type",
            "#microsoft.graph.identityGovernance.triggerAndScopeBasedConditions", "scope",
            "@odata.type", "#microsoft.graph.identityGovernance.ruleBasedSubjectSet", "rule", rule,
            "trigger", "@odata.type",
            "#microsoft.graph.identityGovernance.timeBasedAttributeTrigger", "timeBasedAttribute",
            "employeeLeaveDateTime", "offsetInDays", 0, "tasks",
            task_json("Disable user account", TD_DISABLE, NULL, NULL),
            task_json("Remove user from all groups", TD_ALL_GROUPS, NULL, NULL),
            task_json("Remove all licenses for user", TD_ALL_LICENSES, NULL, NULL),
            task_json("Revoke all refresh tokens for user", TD_REVOKE, NULL, NULL),
            task_json("Update user attributes", MODEL_TASKDEF_UPDATE_ATTRS, "attributes",
                      ATTRIBUTES_VALUE));
    if (!body)
        die("out of memory");
    rc = odata_filter_parse(rule, strlen(rule), &e, &err);
    if (!rc)
        rc = odata_expr_check(e, &api_user_rule_entity, &err);
    odata_expr_free(e);
    check(rc, &err, "scope rule");
    rc = model_workflow_from_create(body, NULL, &wf, &err);
    check(rc, &err, "model_workflow_from_create");
    uuid_v4(id);
    timefmt_format(now, ts);
    ident = json_pack("{s:s, s:s}", "id", "00000000-0000-0000-0000-000000000000", "displayName",
                      "run_throughput");
    json_object_set_new(wf, "id", json_string(id));
    json_object_set_new(wf, "createdDateTime", json_string(ts));
    json_object_set_new(wf, "lastModifiedDateTime", json_string(ts));
    json_object_set_new(wf, "deletedDateTime", json_null());
    json_object_set_new(wf, "nextScheduleRunDateTime", json_null());
    json_object_set_new(wf, "version", json_integer(1));
    json_object_set(wf, "createdBy", ident);
    json_object_set(wf, "lastModifiedBy", ident);
    rc = store_entity_put(tx, &store_ent_workflow, id, NULL, wf, &err);
    if (!rc)
        rc = api__workflow_put_version(tx, wf, &err);
    check(rc, &err, "store the workflow");
    json_decref(ident);
    json_decref(wf);
    json_decref(body);
}

static void seed_child(const struct opts *o, const char *db, struct result *r)
{
    struct lcw_error err = {0};
    struct store *s = NULL;
    struct store_tx tx;
    char url[4200], group_ids[N_GROUPS][UUID_STR_LEN];
    int64_t now = now_ms(), today = now - now % MS_PER_DAY;
    double t0 = mono_s();
    json_t *skus = json_array();
    int rc;

    store_url(db, url, sizeof(url));
    check(store_open(url, &s, &err), &err, "store_open");
    check(store_tx_begin(s, &tx, STORE_TX_WRITE, &err), &err, "begin");
    for (int k = 0; k < 2; k++)
        json_array_append_new(
                skus, json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:I, s:i, s:i, s:i}, s:[]}", "id",
                                sku_ids[k], "skuId", sku_ids[k], "skuPartNumber", sku_parts[k],
                                "capabilityStatus", "Enabled", "appliesTo", "User", "prepaidUnits",
                                "enabled", (json_int_t)(o->users * 2), "suspended", 0, "warning", 0,
                                "lockedOut", 0, "servicePlans"));
    rc = store_kv_put(&tx, "subscribedSkus", skus, &err);
    check(rc, &err, "subscribedSkus");
    json_decref(skus);
    for (int g = 0; g < N_GROUPS; g++) {
        char name[64], nick[64];
        json_t *body, *doc = NULL;

        uuid_v4(group_ids[g]);
        (void)snprintf(name, sizeof(name), "Bench group %02d", g);
        (void)snprintf(nick, sizeof(nick), "benchgroup%02d", g);
        body = json_pack("{s:s, s:s, s:s}", "displayName", name, "mailNickname", nick,
                         "description", "run_throughput seed group");
        rc = api__group_build(body, group_ids[g], now, &doc, &err);
        if (!rc)
            rc = store_entity_put(&tx, &store_ent_group, group_ids[g], NULL, doc, &err);
        check(rc, &err, "seed group");
        json_decref(doc);
        json_decref(body);
    }
    seed_workflow(&tx, now);
    check(store_tx_commit(&tx, &err), &err, "commit");
    for (long i = 0; i < o->users; i++) {
        char id[UUID_STR_LEN];
        json_t *body, *doc = NULL, *lic;

        if (i % SEED_BATCH == 0)
            check(store_tx_begin(s, &tx, STORE_TX_WRITE, &err), &err, "begin");
        uuid_v4(id);
        body = user_body(i, today);
        rc = body ? api__user_build(body, id, now, &doc, &err) : LCW_ENOMEM;
        check(rc, &err, "api__user_build");
        lic = json_pack("[{s:s, s:[]}, {s:s, s:[]}]", "skuId", sku_ids[0], "disabledPlans", "skuId",
                        sku_ids[1], "disabledPlans");
        json_object_set_new(doc, "assignedLicenses", lic);
        rc = store_entity_put(&tx, &store_ent_user, id, NULL, doc, &err);
        check(rc, &err, "seed user");
        /* Five distinct groups, spread evenly: i, i+10, ..., i+40 (mod 50). */
        for (int k = 0; k < GROUPS_PER_USR; k++) {
            bool added = false;

            rc = store_member_add(&tx, group_ids[(i + k * 10) % N_GROUPS], id, now, &added, &err);
            check(rc, &err, "seed membership");
        }
        json_decref(doc);
        json_decref(body);
        if (i % SEED_BATCH == SEED_BATCH - 1 || i == o->users - 1)
            check(store_tx_commit(&tx, &err), &err, "commit");
    }
    store_close(s);
    r->ok = 1;
    r->users = o->users;
    r->seconds = mono_s() - t0;
    r->peak_rss_mb = peak_rss_mb();
}

/* ----------------------------------------------------------- verification */

static sqlite3 *raw_open(const char *db)
{
    sqlite3 *h = NULL;

    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        die("sqlite3_open %s: %s", db, h ? sqlite3_errmsg(h) : "?");
    sqlite3_busy_timeout(h, 10000);
    if (sqlite3_exec(h,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                     NULL, NULL, NULL) != SQLITE_OK)
        die("pragmas: %s", sqlite3_errmsg(h));
    return h;
}

static sqlite3_stmt *prep(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        die("prepare \"%s\": %s", sql, sqlite3_errmsg(h));
    return st;
}

static void step_done(sqlite3 *h, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    if (rc != SQLITE_DONE)
        die("step: %s", sqlite3_errmsg(h));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static void exec_sql(sqlite3 *h, const char *sql)
{
    if (sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK)
        die("%s: %s", sql, sqlite3_errmsg(h));
}

/* One number (or text when `text` is non-NULL) from a query with an optional text parameter. */
static double q_num(sqlite3 *h, const char *sql, const char *param)
{
    sqlite3_stmt *st = prep(h, sql);
    double v = -1;

    if (param)
        sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void q_text(sqlite3 *h, const char *sql, const char *param, char *out, size_t cap)
{
    sqlite3_stmt *st = prep(h, sql);

    out[0] = '\0';
    if (param)
        sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        lcw_strlcpy(out, (const char *)sqlite3_column_text(st, 0), cap);
    sqlite3_finalize(st);
}

static int fail(struct result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct result *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
    va_end(ap);
    r->ok = 0;
    return -1;
}

/*
 * The run is completed, every user result is completed, there are 5 x N
 * completed task results, and the directory really changed (every user,
 * by columns; SPOT_CHECKS users by their whole doc).
 */
static int verify(const char *db, const char *run_id, long n, int64_t started_ms, struct result *r)
{
    sqlite3 *h = NULL;
    char status[64];
    double v;
    sqlite3_stmt *st;
    int checked = 0, rc = 0;

    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(h);
        return fail(r, "cannot open %s to verify (was the directory removed?)", db);
    }
    sqlite3_busy_timeout(h, 10000);
    q_text(h, "SELECT processing_status FROM runs WHERE pk = ?", run_id, status, sizeof(status));
    if (strcmp(status, "completed") != 0)
        rc = fail(r, "run status is '%s', not completed", status);
    if (!rc && (v = q_num(h, "SELECT COUNT(*) FROM user_results WHERE run_id = ?", run_id)) != n)
        rc = fail(r, "%.0f user results, expected %ld", v, n);
    if (!rc && (v = q_num(h,
                          "SELECT COUNT(*) FROM user_results WHERE run_id = ? AND"
                          " processing_status = 'completed'",
                          run_id)) != n)
        rc = fail(r, "%.0f completed user results, expected %ld", v, n);
    if (!rc && (v = q_num(h, "SELECT COUNT(*) FROM task_results WHERE run_id = ?", run_id)) !=
                       (double)n * N_TASKS)
        rc = fail(r, "%.0f task results, expected %ld", v, n * N_TASKS);
    if (!rc && (v = q_num(h,
                          "SELECT COUNT(*) FROM task_results WHERE run_id = ? AND"
                          " processing_status = 'completed'",
                          run_id)) != (double)n * N_TASKS)
        rc = fail(r, "%.0f completed task results, expected %ld", v, n * N_TASKS);
    if (!rc && (v = q_num(h, "SELECT COUNT(*) FROM group_members", NULL)) != 0)
        rc = fail(r, "%.0f group memberships left", v);
    if (!rc && (v = q_num(h, "SELECT COUNT(*) FROM work_items", NULL)) != 0)
        rc = fail(r, "%.0f work items left", v);
    if (!rc && (v = q_num(h,
                          "SELECT COUNT(*) FROM users WHERE account_enabled <> 0 OR"
                          " department IS NOT 'Alumni'",
                          NULL)) != 0)
        rc = fail(r, "%.0f users still enabled or not in department Alumni", v);
    st = prep(h, "SELECT doc FROM users ORDER BY random() LIMIT ?");
    sqlite3_bind_int(st, 1, SPOT_CHECKS);
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        json_t *u = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
        const char *since = jsonx_str(u, "signInSessionsValidFromDateTime");
        int64_t since_ms = 0;

        if (since)
            (void)timefmt_parse(since, strlen(since), &since_ms);
        if (!u || jsonx_bool(u, "accountEnabled", true) ||
            json_array_size(json_object_get(u, "assignedLicenses")) != 0 ||
            strcmp(jsonx_str(u, "department") ? jsonx_str(u, "department") : "", NEW_DEPARTMENT) !=
                    0 ||
            since_ms < started_ms - 1000)
            rc = fail(r, "user %s was not changed as the leaver tasks say",
                      u ? jsonx_str(u, "id") : "?");
        checked++;
        json_decref(u);
    }
    sqlite3_finalize(st);
    if (!rc && checked == 0 && n > 0)
        rc = fail(r, "no users to spot-check");
    r->user_doc_b = q_num(h, "SELECT AVG(LENGTH(doc)) FROM users", NULL);
    r->ur_doc_b = q_num(h, "SELECT AVG(LENGTH(doc)) FROM user_results WHERE run_id = ?", run_id);
    r->tr_doc_b = q_num(h, "SELECT AVG(LENGTH(doc)) FROM task_results WHERE run_id = ?", run_id);
    r->dir_changes = (long)q_num(h, "SELECT COUNT(*) FROM directory_changes", NULL);
    sqlite3_close(h);
    if (!rc)
        r->ok = 1;
    return rc;
}

/* ----------------------------------------------------------------- engine */

static void engine_child(const struct opts *o, const char *db, struct result *r)
{
    struct lcw_error err = {0};
    struct lcw_config cfg;
    struct store *s = NULL;
    struct dir *d = NULL;
    struct engine *e = NULL;
    struct engine_options eo = {0};
    struct store_tx tx;
    char url[4200], run_id[UUID_STR_LEN] = "", status[64] = "";
    double t0, t1, t2, c1;
    int64_t started_ms;
    json_t *run = NULL;

    log_setup(LOG_LEVEL_WARN, LOG_FORMAT_LOGFMT);
    config_defaults(&cfg);
    store_url(db, url, sizeof(url));
    check(store_open(url, &s, &err), &err, "store_open");
    check(dir_open_embedded(s, lcw_clock_system(), &d, &err), &err, "dir_open_embedded");
    eo.store = s;
    eo.dir = d;
    eo.clock = lcw_clock_system();
    eo.cfg = &cfg;
    eo.workers = o->workers;
    eo.batch_size = o->batch;
    eo.is_scheduler_enabled = false;
    check(engine_start(&eo, &e, &err), &err, "engine_start");
    started_ms = now_ms();
    t0 = mono_s();
    check(engine_schedule_now(e, &err), &err, "engine_schedule_now");
    t1 = mono_s(); /* the run and its work items are committed */
    c1 = cpu_s();
    {
        sqlite3 *h = raw_open(db);

        q_text(h, "SELECT pk FROM runs LIMIT 1", NULL, run_id, sizeof(run_id));
        sqlite3_close(h);
    }
    if (!run_id[0]) {
        fail(r, "engine_schedule_now created no run");
        engine_stop(e);
        return;
    }
    for (;;) {
        struct timespec ts = {0, POLL_MS * 1000000L};
        int rc;

        rc = store_tx_begin(s, &tx, STORE_TX_READ, &err);
        if (!rc) {
            rc = store_entity_get(&tx, &store_ent_run, run_id, &run, &err);
            store_tx_rollback(&tx);
        }
        check(rc, &err, "poll the run");
        lcw_strlcpy(status, jsonx_str(run, "processingStatus"), sizeof(status));
        json_decref(run);
        run = NULL;
        if (strcmp(status, "completed") == 0 || strcmp(status, "completedWithErrors") == 0 ||
            strcmp(status, "failed") == 0 || strcmp(status, "canceled") == 0)
            break;
        if (mono_s() - t1 > o->timeout_s)
            break;
        (void)nanosleep(&ts, NULL);
    }
    t2 = mono_s();
    r->cpu_s = cpu_s() - c1;
    r->peak_rss_mb = peak_rss_mb();
    (void)getloadavg(&r->load1, 1);
    engine_stop(e);
    dir_close(d);
    store_close(s);
    config_release(&cfg);
    r->users = o->users;
    r->tasks = o->users * N_TASKS;
    r->seconds = t2 - t1;
    r->schedule_s = t1 - t0;
    if (mono_s() - t1 > o->timeout_s && strcmp(status, "completed") != 0) {
        fail(r, "timed out after %.0f s with the run %s", o->timeout_s, status);
        return;
    }
    (void)verify(db, run_id, o->users, started_ms, r);
}

/* ------------------------------------------------------------------ floor */

/*
 * The floor: the rows a leaver run must leave behind, written directly with
 * prepared statements, `floor_batch` users per transaction. Per user: read
 * the user result and the user, update the user row (accountEnabled false,
 * licences cleared, sessions revoked, department changed: one write of the
 * final doc), read and delete the memberships, write the directory change
 * records the dir contract requires (1 + groups + 1 + 1 + 1), insert the 5
 * completed task results (the engine's doc shape: task snapshot, subject,
 * times, processingInfo), update the user result to completed and delete
 * the work item. Then the run is marked completed. The run and its queued
 * user results are created with engine_run_create before timing starts.
 */
struct floor_stmts {
    sqlite3_stmt *claim, *get_ur, *get_user, *get_groups, *del_groups, *change, *put_user, *put_tr,
            *put_ur, *del_item;
    bool has_tdef;
};

/* A GUID lower-cased into `out` (UUID_STR_LEN), as the store's GUID columns hold them. */
static const char *guid_lower(char *out, const char *s)
{
    size_t i = 0;

    for (; s && s[i] && i < UUID_STR_LEN - 1; i++)
        out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    out[i] = '\0';
    return out;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void change_add(sqlite3 *h, struct floor_stmts *fs, int64_t now, const char *kind,
                       const char *uid, const char *attr, const char *old_v, const char *new_v)
{
    char id[UUID_STR_LEN];

    uuid_v7(now, id);
    bind_text(fs->change, 1, id);
    sqlite3_bind_int64(fs->change, 2, now);
    bind_text(fs->change, 3, kind);
    bind_text(fs->change, 4, uid);
    bind_text(fs->change, 5, attr);
    bind_text(fs->change, 6, old_v);
    bind_text(fs->change, 7, new_v);
    step_done(h, fs->change);
}

/* old/new as JSON text, as dir__emb_record_attr writes them. */
static void change_attr(sqlite3 *h, struct floor_stmts *fs, int64_t now, const char *uid,
                        const char *attr, const json_t *old_v, const json_t *new_v)
{
    char *o = jsonx_dump(old_v ? old_v : json_null());
    char *n = jsonx_dump(new_v ? new_v : json_null());

    change_add(h, fs, now, "attribute", uid, attr, o, n);
    lcw_free(o);
    lcw_free(n);
}

static const json_t *version_task(const json_t *version, const char *task_id)
{
    size_t i;
    json_t *t;

    json_array_foreach (json_object_get(version, "tasks"), i, t) {
        if (lcw_str_eq_ci(jsonx_str(t, "id"), task_id))
            return t;
    }
    return NULL;
}

static void floor_user(sqlite3 *h, struct floor_stmts *fs, const json_t *version,
                       const json_t *group_names, const char *wf_id, const char *ur_id, int64_t now)
{
    json_t *ur, *user, *groups = json_array(), *old, *nv;
    char ts[TIMEFMT_LEN], info[N_TASKS][1024], *text;
    const char *uid;
    size_t i;
    json_t *g;

    timefmt_format(now, ts);
    bind_text(fs->get_ur, 1, ur_id);
    if (sqlite3_step(fs->get_ur) != SQLITE_ROW)
        die("floor: user result %s: %s", ur_id, sqlite3_errmsg(h));
    ur = json_loads((const char *)sqlite3_column_text(fs->get_ur, 0), 0, NULL);
    sqlite3_reset(fs->get_ur);
    uid = jsonx_str(json_object_get(ur, "subject"), "id");
    bind_text(fs->get_user, 1, uid);
    if (sqlite3_step(fs->get_user) != SQLITE_ROW)
        die("floor: user %s: %s", uid, sqlite3_errmsg(h));
    user = json_loads((const char *)sqlite3_column_text(fs->get_user, 0), 0, NULL);
    sqlite3_reset(fs->get_user);
    if (!ur || !user || !groups)
        die("floor: bad docs");

    /* 1. Disable user account. */
    old = json_incref(json_object_get(user, "accountEnabled"));
    json_object_set_new(user, "accountEnabled", json_false());
    change_attr(h, fs, now, uid, "accountEnabled", old, json_object_get(user, "accountEnabled"));
    json_decref(old);
    (void)snprintf(info[0], sizeof(info[0]), "Disabled the user account");

    /* 2. Remove user from all groups. */
    bind_text(fs->get_groups, 1, uid);
    while (sqlite3_step(fs->get_groups) == SQLITE_ROW)
        json_array_append_new(groups,
                              json_string((const char *)sqlite3_column_text(fs->get_groups, 0)));
    sqlite3_reset(fs->get_groups);
    bind_text(fs->del_groups, 1, uid);
    step_done(h, fs->del_groups);
    (void)snprintf(info[1], sizeof(info[1]), "Removed from %zu groups: ", json_array_size(groups));
    json_array_foreach (groups, i, g) {
        const char *gid = json_string_value(g);
        size_t len = strlen(info[1]);

        change_add(h, fs, now, "memberRemoved", uid, gid, uid, NULL);
        (void)snprintf(info[1] + len, sizeof(info[1]) - len, "%s%s", i ? ", " : "",
                       jsonx_str(group_names, gid) ? jsonx_str(group_names, gid) : gid);
    }

    /* 3. Remove all licenses for user. */
    old = json_incref(json_object_get(user, "assignedLicenses"));
    nv = json_array();
    change_attr(h, fs, now, uid, "assignedLicenses", old, nv);
    (void)snprintf(info[2], sizeof(info[2]), "Removed %zu licenses (skuId ", json_array_size(old));
    json_array_foreach (old, i, g) {
        size_t len = strlen(info[2]);

        (void)snprintf(info[2] + len, sizeof(info[2]) - len, "%s%s", i ? ", " : "",
                       jsonx_str(g, "skuId"));
    }
    {
        size_t len = strlen(info[2]);

        (void)snprintf(info[2] + len, sizeof(info[2]) - len, ")");
    }
    json_object_set_new(user, "assignedLicenses", nv);
    json_decref(old);

    /* 4. Revoke all refresh tokens for user. */
    old = json_incref(json_object_get(user, "signInSessionsValidFromDateTime"));
    nv = json_string(ts);
    change_attr(h, fs, now, uid, "signInSessionsValidFromDateTime", old, nv);
    json_object_set_new(user, "signInSessionsValidFromDateTime", nv);
    json_decref(old);
    (void)snprintf(info[3], sizeof(info[3]),
                   "Revoked all refresh tokens and sign-in sessions: sign-ins before %s are no "
                   "longer valid",
                   ts);

    /* 5. Update user attributes. */
    old = json_incref(json_object_get(user, "department"));
    nv = json_string(NEW_DEPARTMENT);
    change_attr(h, fs, now, uid, "department", old, nv);
    json_object_set_new(user, "department", nv);
    json_decref(old);
    (void)snprintf(info[4], sizeof(info[4]), "Updated 1 attribute: department");

    /* The user row, once, with its final doc. */
    text = jsonx_dump(user);
    sqlite3_bind_text(fs->put_user, 1, NEW_DEPARTMENT, -1, SQLITE_STATIC);
    bind_text(fs->put_user, 2, text);
    bind_text(fs->put_user, 3, uid);
    step_done(h, fs->put_user);
    lcw_free(text);

    /* The five task results, in the engine's doc shape. */
    for (int k = 0; k < N_TASKS; k++) {
        const char *task_id =
                json_string_value(json_array_get(json_object_get(ur, "#lcw.tasks"), (size_t)k));
        const json_t *task = version_task(version, task_id);
        char tr_id[UUID_STR_LEN];
        json_t *tr;

        uuid_v7(now, tr_id);
        tr = json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:s, s:{s:s}, s:O, s:s, s:s}", "id", tr_id,
                       "processingStatus", "completed", "createdDateTime", ts, "startedDateTime",
                       ts, "completedDateTime", ts, "failureReason", "processingInfo", info[k],
                       "subject", "id", uid, "task", task, "#lcw.runId",
                       jsonx_str(ur, "#lcw.runId"), "#lcw.userResultId", ur_id);
        if (!tr)
            die("floor: task result doc");
        text = jsonx_dump(tr);
        bind_text(fs->put_tr, 1, tr_id);
        bind_text(fs->put_tr, 2, wf_id);
        bind_text(fs->put_tr, 3, jsonx_str(ur, "#lcw.runId"));
        bind_text(fs->put_tr, 4, ur_id);
        bind_text(fs->put_tr, 5, task_id);
        bind_text(fs->put_tr, 6, uid);
        sqlite3_bind_int64(fs->put_tr, 7, now);
        sqlite3_bind_int64(fs->put_tr, 8, now);
        sqlite3_bind_int64(fs->put_tr, 9, now);
        bind_text(fs->put_tr, 10, text);
        if (fs->has_tdef) {
            char tdef[UUID_STR_LEN];

            /* The column holds the GUID lower-cased, as store_entity_put writes it. */
            (void)guid_lower(tdef, jsonx_str(task, "taskDefinitionId"));
            bind_text(fs->put_tr, 11, tdef);
        }
        step_done(h, fs->put_tr);
        lcw_free(text);
        json_decref(tr);
    }

    /* The user result, completed; then the work item goes. */
    json_object_set_new(ur, "processingStatus", json_string("completed"));
    json_object_set_new(ur, "startedDateTime", json_string(ts));
    json_object_set_new(ur, "completedDateTime", json_string(ts));
    json_object_set_new(ur, "totalUnprocessedTasksCount", json_integer(0));
    json_object_set_new(ur, "#lcw.next", json_integer(N_TASKS));
    text = jsonx_dump(ur);
    sqlite3_bind_int64(fs->put_ur, 1, now);
    sqlite3_bind_int64(fs->put_ur, 2, now);
    bind_text(fs->put_ur, 3, text);
    bind_text(fs->put_ur, 4, ur_id);
    step_done(h, fs->put_ur);
    lcw_free(text);
    bind_text(fs->del_item, 1, ur_id);
    step_done(h, fs->del_item);

    json_decref(groups);
    json_decref(user);
    json_decref(ur);
}

static int row_subject(void *ctx, const struct store_val *c, size_t n)
{
    json_t *arr = ctx;

    if (n < 1 || c[0].kind != STORE_TEXT)
        return LCW_EINTERNAL;
    return json_array_append_new(arr, json_string(c[0].s)) ? LCW_ENOMEM : 0;
}

/* Create the run as the scheduler would (not timed); returns its id in run_id. */
static void floor_setup(const char *db, char run_id[UUID_STR_LEN], char wf_id[UUID_STR_LEN])
{
    struct lcw_error err = {0};
    struct store *s = NULL;
    struct store_tx tx;
    char url[4200], wfid[UUID_STR_LEN] = "";
    json_t *ids = json_array(), *wf = NULL;
    struct engine_subject *subjects;
    size_t n;
    sqlite3 *h = raw_open(db);

    q_text(h, "SELECT pk FROM workflows LIMIT 1", NULL, wfid, sizeof(wfid));
    sqlite3_close(h);
    store_url(db, url, sizeof(url));
    check(store_open(url, &s, &err), &err, "store_open");
    check(store_tx_begin(s, &tx, STORE_TX_WRITE, &err), &err, "begin");
    check(store_entity_get(&tx, &store_ent_workflow, wfid, &wf, &err), &err, "workflow");
    check(store_exec(&tx, "SELECT pk FROM users WHERE deleted_at_ms IS NULL ORDER BY pk", NULL, 0,
                     row_subject, ids, NULL, &err),
          &err, "users");
    n = json_array_size(ids);
    subjects = calloc(n ? n : 1, sizeof(*subjects));
    if (!subjects)
        die("out of memory");
    for (size_t i = 0; i < n; i++)
        subjects[i].user_id = json_string_value(json_array_get(ids, i));
    {
        struct engine_run_spec spec = {wf, 1, "scheduled", NULL, subjects, n, NULL, now_ms()};

        check(engine_run_create(&tx, &spec, run_id, &err), &err, "engine_run_create");
    }
    check(store_tx_commit(&tx, &err), &err, "commit");
    store_close(s);
    lcw_strlcpy(wf_id, wfid, UUID_STR_LEN);
    free(subjects);
    json_decref(wf);
    json_decref(ids);
}

static void floor_child(const struct opts *o, const char *db, struct result *r)
{
    char run_id[UUID_STR_LEN], wf_id[UUID_STR_LEN], ts[TIMEFMT_LEN];
    struct floor_stmts fs;
    json_t *version, *names = json_object(), *run;
    sqlite3_stmt *st;
    sqlite3 *h;
    double t1, t2, c1;
    int64_t started_ms;
    long done = 0;

    log_setup(LOG_LEVEL_WARN, LOG_FORMAT_LOGFMT);
    floor_setup(db, run_id, wf_id);
    h = raw_open(db);
    if (o->floor_cache_mb > 0) {
        char pragma[64];

        (void)snprintf(pragma, sizeof(pragma), "PRAGMA cache_size=-%ld", o->floor_cache_mb * 1024);
        exec_sql(h, pragma);
    }
    started_ms = now_ms();
    t1 = mono_s();
    c1 = cpu_s();
    /* What the engine caches or reads per batch: the version, the group names. */
    st = prep(h, "SELECT doc FROM workflow_versions WHERE parent = ?");
    bind_text(st, 1, wf_id);
    if (sqlite3_step(st) != SQLITE_ROW)
        die("floor: no version");
    version = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
    sqlite3_finalize(st);
    st = prep(h, "SELECT pk, display_name FROM groups");
    while (sqlite3_step(st) == SQLITE_ROW)
        json_object_set_new(names, (const char *)sqlite3_column_text(st, 0),
                            json_string((const char *)sqlite3_column_text(st, 1)));
    sqlite3_finalize(st);
    fs.claim = prep(h, "SELECT id FROM work_items WHERE run_id = ?"
                       " ORDER BY available_at_ms, id LIMIT ?");
    fs.get_ur = prep(h, "SELECT doc FROM user_results WHERE pk = ?");
    fs.get_user = prep(h, "SELECT doc FROM users WHERE pk = ?");
    fs.get_groups =
            prep(h, "SELECT group_id FROM group_members WHERE user_id = ? ORDER BY group_id");
    fs.del_groups = prep(h, "DELETE FROM group_members WHERE user_id = ?");
    fs.change = prep(h, "INSERT INTO directory_changes (id, changed_at_ms, kind, object_id,"
                        " attribute, old_value, new_value) VALUES (?, ?, ?, ?, ?, ?, ?)");
    fs.put_user = prep(h, "UPDATE users SET account_enabled = 0, department = ?, doc = ?"
                          " WHERE pk = ?");
    /* Newer schemas copy task/taskDefinitionId into a column (migration 4). */
    fs.has_tdef = q_num(h,
                        "SELECT COUNT(*) FROM pragma_table_info('task_results')"
                        " WHERE name = 'task_definition_id'",
                        NULL) > 0;
    fs.put_tr =
            prep(h, fs.has_tdef ? "INSERT INTO task_results (pk, parent, run_id, user_result_id,"
                                  " task_id, subject_id, processing_status, created_at_ms,"
                                  " started_at_ms, completed_at_ms, doc, task_definition_id)"
                                  " VALUES (?, ?, ?, ?, ?, ?, 'completed', ?, ?, ?, ?, ?)"
                                : "INSERT INTO task_results (pk, parent, run_id, user_result_id,"
                                  " task_id, subject_id, processing_status, created_at_ms,"
                                  " started_at_ms, completed_at_ms, doc)"
                                  " VALUES (?, ?, ?, ?, ?, ?, 'completed', ?, ?, ?, ?)");
    fs.put_ur = prep(h, "UPDATE user_results SET processing_status = 'completed',"
                        " started_at_ms = ?, completed_at_ms = ?, unprocessed_tasks = 0, doc = ?"
                        " WHERE pk = ?");
    fs.del_item = prep(h, "DELETE FROM work_items WHERE id = ?");
    for (;;) {
        json_t *batch = json_array();
        int64_t now = now_ms();
        size_t i;
        json_t *id;

        exec_sql(h, "BEGIN IMMEDIATE");
        bind_text(fs.claim, 1, run_id);
        sqlite3_bind_int64(fs.claim, 2, o->floor_batch);
        while (sqlite3_step(fs.claim) == SQLITE_ROW)
            json_array_append_new(batch,
                                  json_string((const char *)sqlite3_column_text(fs.claim, 0)));
        sqlite3_reset(fs.claim);
        json_array_foreach (batch, i, id) {
            floor_user(h, &fs, version, names, wf_id, json_string_value(id), now);
        }
        done += (long)json_array_size(batch);
        if (json_array_size(batch) == 0) {
            /* The run, completed. */
            st = prep(h, "SELECT doc FROM runs WHERE pk = ?");
            bind_text(st, 1, run_id);
            if (sqlite3_step(st) != SQLITE_ROW)
                die("floor: no run");
            run = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
            sqlite3_finalize(st);
            timefmt_format(now, ts);
            json_object_set_new(run, "processingStatus", json_string("completed"));
            json_object_set_new(run, "startedDateTime", json_string(ts));
            json_object_set_new(run, "completedDateTime", json_string(ts));
            json_object_set_new(run, "lastUpdatedDateTime", json_string(ts));
            {
                char *text = jsonx_dump(run);

                st = prep(h, "UPDATE runs SET processing_status = 'completed', started_at_ms = ?,"
                             " completed_at_ms = ?, last_updated_at_ms = ?, doc = ? WHERE pk = ?");
                sqlite3_bind_int64(st, 1, now);
                sqlite3_bind_int64(st, 2, now);
                sqlite3_bind_int64(st, 3, now);
                bind_text(st, 4, text);
                bind_text(st, 5, run_id);
                step_done(h, st);
                sqlite3_finalize(st);
                lcw_free(text);
            }
            json_decref(run);
        }
        exec_sql(h, "COMMIT");
        if (json_array_size(batch) == 0) {
            json_decref(batch);
            break;
        }
        json_decref(batch);
    }
    t2 = mono_s();
    r->cpu_s = cpu_s() - c1;
    r->peak_rss_mb = peak_rss_mb();
    (void)getloadavg(&r->load1, 1);
    sqlite3_finalize(fs.claim);
    sqlite3_finalize(fs.get_ur);
    sqlite3_finalize(fs.get_user);
    sqlite3_finalize(fs.get_groups);
    sqlite3_finalize(fs.del_groups);
    sqlite3_finalize(fs.change);
    sqlite3_finalize(fs.put_user);
    sqlite3_finalize(fs.put_tr);
    sqlite3_finalize(fs.put_ur);
    sqlite3_finalize(fs.del_item);
    sqlite3_close(h);
    json_decref(version);
    json_decref(names);
    r->users = done;
    r->tasks = done * N_TASKS;
    r->seconds = t2 - t1;
    (void)verify(db, run_id, o->users, started_ms, r);
}

/* ------------------------------------------------------------------ main */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_result(const char *what, const struct opts *o, const char *tag,
                         const struct result *r)
{
    double ups = r->seconds > 0 ? (double)r->users / r->seconds : 0;
    double tps = r->seconds > 0 ? (double)r->tasks / r->seconds : 0;

    if (strcmp(what, "engine") == 0)
        printf("engine users=%ld workers=%u batch=%u %s seconds=%.3f users_per_s=%.0f"
               " tasks_per_s=%.0f schedule_s=%.3f total_s=%.3f cpu_s=%.3f peak_rss_mb=%.1f",
               o->users, o->workers, o->batch ? o->batch : 64, tag, r->seconds, ups, tps,
               r->schedule_s, r->seconds + r->schedule_s, r->cpu_s, r->peak_rss_mb);
    else
        printf("floor users=%ld batch=%ld cache_mb=%ld %s seconds=%.3f users_per_s=%.0f tasks_per_s=%.0f"
               " cpu_s=%.3f peak_rss_mb=%.1f",
               o->users, o->floor_batch, o->floor_cache_mb, tag, r->seconds, ups, tps, r->cpu_s,
               r->peak_rss_mb);
    if (strncmp(tag, "run=", 4) == 0)
        printf(" verified=%s user_doc_b=%.0f ur_doc_b=%.0f tr_doc_b=%.0f dir_changes=%ld load1=%.2f",
               r->ok ? "yes" : "no", r->user_doc_b, r->ur_doc_b, r->tr_doc_b, r->dir_changes,
               r->load1);
    printf("\n");
    if (!r->ok && strncmp(tag, "run=", 4) == 0)
        printf("error %s: %s\n", what, r->msg);
    (void)fflush(stdout);
}

static void usage(void)
{
    (void)fputs("usage: run_throughput [--users N] [--runs K] [--workers W] [--batch B]\n"
                "                      [--floor | --engine] [--floor-batch U] [--dir PATH]\n"
                "                      [--keep] [--timeout SECONDS] [--floor-cache-mb MB]\n",
                stderr);
    exit(2);
}

static long num_arg(int argc, char **argv, int *i)
{
    char *end;
    long v;

    if (*i + 1 >= argc)
        usage();
    v = strtol(argv[++*i], &end, 10);
    if (*end || v < 0)
        usage();
    return v;
}

int main(int argc, char **argv)
{
    struct opts o = {10000, 1, 4, 0, 500, MODE_BOTH, NULL, false, 600, 0};
    char base[4096], tmpl[4200], work[4200];
    double e_s[64], e_sched[64], e_rss[64], e_cpu[64], f_s[64], f_rss[64], f_cpu[64];
    int n_e = 0, n_f = 0, bad = 0;
    struct result seed;
    const char *env;

    log_setup(LOG_LEVEL_WARN, LOG_FORMAT_LOGFMT);
    env = getenv("LCW_WORKERS");
    if (env && strtol(env, NULL, 10) > 0)
        o.workers = (unsigned)strtol(env, NULL, 10);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--users") == 0)
            o.users = num_arg(argc, argv, &i);
        else if (strcmp(argv[i], "--runs") == 0)
            o.runs = (int)num_arg(argc, argv, &i);
        else if (strcmp(argv[i], "--workers") == 0)
            o.workers = (unsigned)num_arg(argc, argv, &i);
        else if (strcmp(argv[i], "--batch") == 0)
            o.batch = (unsigned)num_arg(argc, argv, &i);
        else if (strcmp(argv[i], "--floor-batch") == 0)
            o.floor_batch = num_arg(argc, argv, &i);
        else if (strcmp(argv[i], "--floor-cache-mb") == 0)
            o.floor_cache_mb = num_arg(argc, argv, &i);
        else if (strcmp(argv[i], "--timeout") == 0)
            o.timeout_s = (double)num_arg(argc, argv, &i);
        else if (strcmp(argv[i], "--floor") == 0)
            o.mode = MODE_FLOOR;
        else if (strcmp(argv[i], "--engine") == 0)
            o.mode = MODE_ENGINE;
        else if (strcmp(argv[i], "--keep") == 0)
            o.keep = true;
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            o.dir = argv[++i];
        else
            usage();
    }
    if (o.users < 1 || o.runs < 1 || o.runs > 64 || o.workers < 1 || o.floor_batch < 1 ||
        o.batch > 256)
        usage();
    if (!o.dir)
        o.dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    (void)snprintf(base, sizeof(base), "%s/run_throughput-XXXXXX", o.dir);
    if (!mkdtemp(base))
        die("mkdtemp %s: %s", base, strerror(errno));
    if (base[0] != '/')
        die("--dir must be an absolute path");
    (void)snprintf(tmpl, sizeof(tmpl), "%s/seed.db", base);
    (void)snprintf(work, sizeof(work), "%s/run.db", base);

    seed = in_child(seed_child, &o, tmpl);
    if (!seed.ok)
        die("seeding failed: %s", seed.msg);
    printf("seed users=%ld groups=%d groups_per_user=%d licenses_per_user=2 seconds=%.3f dir=%s\n",
           o.users, N_GROUPS, GROUPS_PER_USR, seed.seconds, base);
    (void)fflush(stdout);

    for (int k = 0; k < o.runs; k++) {
        char tag[32];

        (void)snprintf(tag, sizeof(tag), "run=%d", k + 1);
        if (o.mode != MODE_FLOOR) {
            struct result r;

            db_copy(tmpl, work);
            r = in_child(engine_child, &o, work);
            print_result("engine", &o, tag, &r);
            bad |= !r.ok;
            if (r.ok) { /* medians are over verified measurements only */
                e_s[n_e] = r.seconds;
                e_cpu[n_e] = r.cpu_s;
                e_sched[n_e] = r.schedule_s;
                e_rss[n_e++] = r.peak_rss_mb;
            }
        }
        if (o.mode != MODE_ENGINE) {
            struct result r;

            db_copy(tmpl, work);
            r = in_child(floor_child, &o, work);
            print_result("floor", &o, tag, &r);
            bad |= !r.ok;
            if (r.ok) {
                f_s[n_f] = r.seconds;
                f_cpu[n_f] = r.cpu_s;
                f_rss[n_f++] = r.peak_rss_mb;
            }
        }
    }
    {
        char tag[32];
        struct result m = {0};
        double em = 0, fm = 0, ec = 0, fc = 0;

        m.users = o.users;
        m.tasks = o.users * N_TASKS;
        if (n_e) {
            m.seconds = em = median(e_s, n_e);
            m.schedule_s = median(e_sched, n_e);
            m.peak_rss_mb = median(e_rss, n_e);
            m.cpu_s = ec = median(e_cpu, n_e);
            (void)snprintf(tag, sizeof(tag), "median runs=%d", n_e);
            print_result("engine", &o, tag, &m);
        }
        if (n_f) {
            m.seconds = fm = median(f_s, n_f);
            m.schedule_s = 0;
            m.peak_rss_mb = median(f_rss, n_f);
            m.cpu_s = fc = median(f_cpu, n_f);
            (void)snprintf(tag, sizeof(tag), "median runs=%d", n_f);
            print_result("floor", &o, tag, &m);
        }
        if (n_e && n_f && em > 0)
            printf("ratio users=%ld engine_over_floor=%.3f cpu_engine_over_floor=%.3f goal=0.50"
                   " met=%s\n",
                   o.users, fm / em, ec > 0 ? fc / ec : 0, fm / em >= 0.5 ? "yes" : "no");
        if (n_e && o.users >= 100000) {
            double total = em + median(e_sched, n_e);

            printf("goal100k users=%ld seconds=%.3f total_s=%.3f limit=30 met=%s"
                   " met_with_schedule=%s\n",
                   o.users, em, total, em < 30 ? "yes" : "no", total < 30 ? "yes" : "no");
        }
    }
    if (!o.keep) {
        db_files_remove(tmpl);
        db_files_remove(work);
        (void)rmdir(base);
    }
    return bad ? 1 : 0;
}
