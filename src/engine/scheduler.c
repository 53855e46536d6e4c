/* SPDX-License-Identifier: MIT */
/*
 * The scheduler: evaluates the execution conditions of every enabled,
 * scheduled workflow when its interval is due (change-triggered workflows
 * also whenever the directory changed), and turns the users it finds into
 * one scheduled run. Time-based triggers process a user once per qualifying
 * value (trigger_marks) within a 3-day catch-up window; quarantine
 * thresholds are checked before a run is created. One scheduler thread per
 * process; a later PostgreSQL issue elects one per cluster.
 */
#include "engine_int.h"

#include <stdio.h>
#include <string.h>

#include "lcw/jsonx.h"
#include "lcw/odata.h"

#define MS_PER_DAY    86400000LL
#define CATCH_UP_DAYS 3

/* What one workflow's evaluation needs, parsed once. */
struct conditions {
    const json_t *scope;   /* borrowed */
    const json_t *trigger; /* borrowed */
    const char *trigger_type;
    struct odata_expr *rule; /* owned */
    json_t *scope_members;   /* group scope: set of user ids (object) */
};

static const char *short_type(const json_t *o)
{
    const char *t = jsonx_str(o, "@odata.type");
    const char *dot;

    if (!t)
        return "";
    dot = strrchr(t, '.');
    return dot ? dot + 1 : t;
}

static void conditions_release(struct conditions *c)
{
    odata_expr_free(c->rule);
    json_decref(c->scope_members);
    memset(c, 0, sizeof(*c));
}

static int conditions_load(struct store_tx *tx, struct engine *e, const json_t *wf,
                           struct conditions *c, struct lcw_error *err)
{
    const json_t *ec = json_object_get(wf, "executionConditions");
    const char *rule;
    size_t i;
    json_t *g;
    int rc = 0;

    memset(c, 0, sizeof(*c));
    c->scope = json_object_get(ec, "scope");
    c->trigger = json_object_get(ec, "trigger");
    c->trigger_type = short_type(c->trigger);
    rule = jsonx_str(c->scope, "rule");
    if (rule)
        rc = odata_filter_parse(rule, strlen(rule), &c->rule, err);
    if (!rc && json_object_get(c->scope, "groups")) {
        c->scope_members = json_object();
        json_array_foreach (json_object_get(c->scope, "groups"), i, g) {
            json_t *ids = NULL;
            size_t k;
            json_t *id;

            if (dir_group_member_ids(e->opts.dir, tx, jsonx_str(g, "id"), &ids, err) == 0) {
                json_array_foreach (ids, k, id) {
                    json_object_set_new(c->scope_members, json_string_value(id), json_true());
                }
            }
            json_decref(ids);
        }
    }
    return rc;
}

static bool in_scope(const struct conditions *c, const json_t *user)
{
    bool ok = false;

    if (c->rule) {
        struct lcw_error err = {0};

        /* Scope rules are case-sensitive (issue 3). */
        return odata_eval(c->rule, user, 0, &ok, &err) == 0 && ok;
    }
    if (c->scope_members)
        return json_object_get(c->scope_members, jsonx_str(user, "id")) != NULL;
    return false;
}

/*
 * A time-based trigger's qualifying value: the attribute's value when
 * value + offset has been reached within the catch-up window.
 */
static const char *time_trigger_value(const struct conditions *c, const json_t *user, int64_t now)
{
    const char *attr = jsonx_str(c->trigger, "timeBasedAttribute");
    const char *v = attr ? jsonx_str(user, attr) : NULL;
    int64_t t;
    int64_t due;

    if (!v || timefmt_parse(v, strlen(v), &t))
        return NULL;
    due = t + jsonx_int(c->trigger, "offsetInDays", 0) * MS_PER_DAY;
    if (due > now || due <= now - CATCH_UP_DAYS * MS_PER_DAY)
        return NULL;
    return v;
}

int engine__still_qualifies(struct engine *e, struct store_tx *tx, const json_t *workflow,
                            const json_t *user, bool *qualifies, char *reason, size_t cap,
                            struct lcw_error *err)
{
    struct conditions c;
    int64_t now = lcw_clock_now(e->opts.clock);
    int rc = conditions_load(tx, e, workflow, &c, err);

    *qualifies = true;
    if (rc)
        return rc;
    if (strcmp(c.trigger_type, "membershipChangeTrigger") == 0 &&
        strcmp(jsonx_str(c.trigger, "changeType") ? jsonx_str(c.trigger, "changeType") : "",
               "remove") == 0) {
        /* A removed member is by definition no longer in the group scope. */
    } else if ((c.rule || c.scope_members) && !in_scope(&c, user)) {
        *qualifies = false;
        (void)snprintf(reason, cap,
                       "The user no longer meets the workflow's scope; it changed before the "
                       "user was processed");
    }
    if (*qualifies && strcmp(c.trigger_type, "timeBasedAttributeTrigger") == 0 &&
        !time_trigger_value(&c, user, now)) {
        *qualifies = false;
        (void)snprintf(reason, cap,
                       "The user's %s no longer meets the workflow's trigger; it changed before "
                       "the user was processed",
                       jsonx_str(c.trigger, "timeBasedAttribute"));
    }
    conditions_release(&c);
    return 0;
}

struct eval {
    struct engine *e;
    struct store_tx *tx;
    struct conditions *c;
    const char *wf_id;
    int64_t now;
    json_t *users;      /* qualifying: user id -> value key (or true) */
    int64_t n_in_scope; /* population for percentage thresholds */
    json_t *changed;    /* change triggers: user ids with a matching change */
};

static int row_marked(void *ctx, const struct store_val *c, size_t n)
{
    bool *marked = ctx;

    (void)c;
    (void)n;
    *marked = true;
    return 0;
}

static int on_user(void *ctx, const json_t *user)
{
    struct eval *ev = ctx;
    const char *id = jsonx_str(user, "id");
    const char *t = ev->c->trigger_type;

    if (!in_scope(ev->c, user))
        return 0;
    ev->n_in_scope++;
    if (strcmp(t, "timeBasedAttributeTrigger") == 0) {
        const char *v = time_trigger_value(ev->c, user, ev->now);
        char key[160];
        struct store_val p[3];
        bool marked = false;
        struct lcw_error err = {0};

        if (!v)
            return 0;
        (void)snprintf(key, sizeof(key), "%s=%s", jsonx_str(ev->c->trigger, "timeBasedAttribute"),
                       v);
        p[0] = STORE_V_TEXT(ev->wf_id);
        p[1] = STORE_V_TEXT(id);
        p[2] = STORE_V_TEXT(key);
        if (store_exec(ev->tx,
                       "SELECT 1 FROM trigger_marks WHERE workflow_id = ? AND user_id = ? AND"
                       " value_key = ?",
                       p, 3, row_marked, &marked, NULL, &err))
            return LCW_EIO;
        if (!marked)
            json_object_set_new(ev->users, id, json_string(key));
    } else if (strcmp(t, "attributeChangeTrigger") == 0) {
        if (json_object_get(ev->changed, id))
            json_object_set_new(ev->users, id, json_true());
    }
    return 0;
}

/* Which attribute names does an attributeChangeTrigger watch? */
static bool watches(const json_t *trigger, const char *attribute)
{
    size_t i, n = strcspn(attribute, "/");
    json_t *a;

    json_array_foreach (json_object_get(trigger, "triggerAttributes"), i, a) {
        const char *name = jsonx_str(a, "name");

        if (name && (lcw_str_eq_ci(name, attribute) ||
                     (strlen(name) == n && strncasecmp(name, attribute, n) == 0)))
            return true;
    }
    return false;
}

static int on_change(void *ctx, const struct dir_change *ch)
{
    struct eval *ev = ctx;
    const char *t = ev->c->trigger_type;

    if (strcmp(t, "attributeChangeTrigger") == 0) {
        if (strcmp(ch->kind, "attribute") == 0 && ch->attribute &&
            watches(ev->c->trigger, ch->attribute))
            json_object_set_new(ev->changed, ch->object_id, json_true());
    } else if (strcmp(t, "membershipChangeTrigger") == 0) {
        const char *want = jsonx_str(ev->c->trigger, "changeType");
        const char *kind = want && strcmp(want, "remove") == 0 ? "memberRemoved" : "memberAdded";
        size_t i;
        json_t *g;

        if (strcmp(ch->kind, kind) != 0 || !ch->attribute)
            return 0;
        json_array_foreach (json_object_get(ev->c->scope, "groups"), i, g) {
            if (lcw_str_eq_ci(jsonx_str(g, "id") ? jsonx_str(g, "id") : "", ch->attribute))
                json_object_set_new(ev->users, ch->object_id, json_true());
        }
    }
    return 0;
}

/* Does the run exceed the workflow's (or tenant's) quarantine thresholds? */
static bool over_threshold(const json_t *qc, int64_t n_users, int64_t population, char *reason,
                           size_t cap, const char **type)
{
    bool any = !qc || !jsonx_str(qc, "matchMode") || strcmp(jsonx_str(qc, "matchMode"), "all");
    int hits = 0, n_conditions = 0;
    size_t i;
    json_t *cond;

    json_array_foreach (json_object_get(qc, "conditions"), i, cond) {
        const char *t = short_type(cond);

        n_conditions++;
        if (strcmp(t, "countBasedQuarantineCondition") == 0 &&
            n_users > jsonx_int(cond, "threshold", INT64_MAX)) {
            hits++;
            *type = "countBasedThresholdExceeded";
            (void)snprintf(reason, cap,
                           "The run would process %lld users, more than the limit "
                           "of %lld",
                           (long long)n_users, (long long)jsonx_int(cond, "threshold", 0));
        } else if (strcmp(t, "percentageBasedQuarantineCondition") == 0 && population > 0 &&
                   n_users * 100 > jsonx_int(cond, "percentage", 100) * population) {
            hits++;
            *type = "percentageBasedThresholdExceeded";
            (void)snprintf(reason, cap,
                           "The run would process %lld of %lld users in scope, more than %lld%%",
                           (long long)n_users, (long long)population,
                           (long long)jsonx_int(cond, "percentage", 0));
        }
    }
    if (hits > 1)
        *type = "multipleConditionsExceeded";
    return n_conditions > 0 && (any ? hits > 0 : hits == n_conditions);
}

static int64_t interval_ms(struct engine *e, const json_t *settings)
{
    if (e->opts.cfg->schedule_interval_seconds > 0)
        return e->opts.cfg->schedule_interval_seconds * 1000;
    return jsonx_int(settings, "workflowScheduleIntervalInHours", 3) * 3600 * 1000;
}

/* Evaluate one workflow; create its run and marks in `tx`. */
static int evaluate(struct engine *e, struct store_tx *tx, json_t *wf, const json_t *settings,
                    int64_t now, bool *created, struct lcw_error *err)
{
    struct conditions c;
    struct eval ev = {0};
    char key[80], run_id[UUID_STR_LEN], reason[256] = "";
    const char *wf_id = jsonx_str(wf, "id"), *qtype = NULL;
    json_t *state = NULL, *subjects_ids = NULL;
    struct engine_subject *subjects = NULL;
    int64_t since;
    size_t n = 0;
    const char *uid;
    json_t *val;
    int rc;

    *created = false;
    (void)snprintf(key, sizeof(key), "scheduler:%s", wf_id);
    if (store_kv_get(tx, key, &state, err) != 0)
        state = json_object();
    since = jsonx_int(state, "changesSeenUntil", now);
    rc = conditions_load(tx, e, wf, &c, err);
    if (rc)
        goto out;
    ev.e = e;
    ev.tx = tx;
    ev.c = &c;
    ev.wf_id = wf_id;
    ev.now = now;
    ev.users = json_object();
    ev.changed = json_object();
    if (strcmp(c.trigger_type, "attributeChangeTrigger") == 0 ||
        strcmp(c.trigger_type, "membershipChangeTrigger") == 0)
        rc = dir_changes_each(e->opts.dir, tx, since, now, on_change, &ev, err);
    if (!rc && strcmp(c.trigger_type, "membershipChangeTrigger") != 0)
        rc = dir_users_each(e->opts.dir, tx, on_user, &ev, err);
    if (rc)
        goto out;
    n = json_object_size(ev.users);
    if (n > 0) {
        const json_t *qc =
                json_object_get(json_object_get(wf, "settings"), "quarantineConfiguration");

        if (!qc || json_is_null(qc))
            qc = json_object_get(settings, "quarantineConfiguration");
        /* An approval (clearQuarantine) lets exactly the next evaluation run. */
        if (jsonx_bool(state, "quarantineApproved", false)) {
            qc = NULL;
            json_object_del(state, "quarantineApproved");
        }
        if (qc && !json_is_null(qc) &&
            over_threshold(qc, (int64_t)n, ev.n_in_scope, reason, sizeof(reason), &qtype)) {
            char ts[TIMEFMT_LEN];

            json_object_set_new(wf, "quarantineDetails",
                                json_pack("{s:s, s:s, s:s}", "quarantinedDateTime",
                                          timefmt_format_ms(now, ts), "quarantineReason", reason,
                                          "quarantineType", qtype));
            log_warn("workflow_quarantined", "workflow=%s reason=\"%s\"", wf_id, reason);
            n = 0;
        }
    }
    if (n > 0) {
        size_t i = 0;

        subjects = lcw_calloc(n, sizeof(*subjects));
        if (!subjects) {
            rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
            goto out;
        }
        json_object_foreach (ev.users, uid, val) {
            subjects[i++].user_id = uid;
        }
        {
            struct engine_run_spec spec = {
                    wf, jsonx_int(wf, "version", 1), "scheduled", NULL, subjects, n, NULL, now};

            rc = engine_run_create(tx, &spec, run_id, err);
        }
        json_object_foreach (ev.users, uid, val) {
            struct store_val p[5] = {STORE_V_TEXT(wf_id), STORE_V_TEXT(uid),
                                     STORE_V_TEXT(json_string_value(val)), STORE_V_TEXT(run_id),
                                     STORE_V_INT(now)};

            if (rc || !json_is_string(val))
                continue;
            rc = store_exec(tx,
                            "INSERT INTO trigger_marks (workflow_id, user_id, value_key, run_id,"
                            " marked_at_ms) VALUES (?, ?, ?, ?, ?)",
                            p, 5, NULL, NULL, NULL, err);
        }
        if (!rc) {
            *created = true;
            log_info("run_scheduled", "workflow=%s run=%s users=%zu", wf_id, run_id, n);
        }
    }
    if (rc)
        goto out;
    json_object_set_new(state, "lastEvaluatedAt", json_integer(now));
    json_object_set_new(state, "changesSeenUntil", json_integer(now));
    rc = store_kv_put(tx, key, state, err);
    if (!rc) {
        char ts[TIMEFMT_LEN];

        json_object_set_new(wf, "nextScheduleRunDateTime",
                            json_string(timefmt_format_ms(now + interval_ms(e, settings), ts)));
        rc = store_entity_put(tx, &store_ent_workflow, wf_id, NULL, wf, err);
    }
out:
    lcw_free(subjects);
    json_decref(subjects_ids);
    json_decref(ev.users);
    json_decref(ev.changed);
    json_decref(state);
    conditions_release(&c);
    return rc;
}

struct scope_walk {
    struct conditions *c;
    int64_t now;
    json_t *out;
};

static int on_scope_user(void *ctx, const json_t *user)
{
    struct scope_walk *w = ctx;

    if (!in_scope(w->c, user))
        return 0;
    if (strcmp(w->c->trigger_type, "timeBasedAttributeTrigger") == 0 &&
        !time_trigger_value(w->c, user, w->now))
        return 0;
    return json_array_append(w->out, JSONX_MUT(user)) ? LCW_ENOMEM : 0;
}

int engine_scope_users(struct engine *e, struct store_tx *tx, const json_t *workflow, json_t **out,
                       struct lcw_error *err)
{
    struct conditions c;
    struct scope_walk w;
    int rc;

    *out = json_array();
    if (!*out)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    if (strcmp(short_type(json_object_get(workflow, "executionConditions")),
               "triggerAndScopeBasedConditions") != 0)
        return 0;
    rc = conditions_load(tx, e, workflow, &c, err);
    if (rc)
        return rc;
    w.c = &c;
    w.now = lcw_clock_now(e->opts.clock);
    w.out = *out;
    rc = dir_users_each(e->opts.dir, tx, on_scope_user, &w, err);
    conditions_release(&c);
    return rc;
}

static int row_docs(void *ctx, const struct store_val *c, size_t n)
{
    json_t *arr = ctx, *doc;
    json_error_t jerr;

    if (n < 1 || c[0].kind != STORE_TEXT)
        return LCW_EINTERNAL;
    doc = json_loads(c[0].s, 0, &jerr);
    if (!doc || json_array_append_new(arr, doc))
        return LCW_ENOMEM;
    return 0;
}

static bool is_quarantined(const json_t *wf)
{
    const char *t = jsonx_str(json_object_get(wf, "quarantineDetails"), "quarantineType");

    return t && strcmp(t, "notQuarantined") != 0;
}

int engine_schedule_now(struct engine *e, struct lcw_error *err)
{
    int64_t now = lcw_clock_now(e->opts.clock);
    json_t *wfs = json_array(), *settings = NULL;
    struct store_tx tx;
    bool any = false;
    size_t i;
    json_t *wf;
    int rc;

    if (!wfs)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    rc = store_tx_begin(e->opts.store, &tx, STORE_TX_READ, err);
    if (rc)
        goto out;
    rc = store_exec(&tx,
                    "SELECT doc FROM workflows WHERE deleted_at_ms IS NULL AND is_enabled = 1"
                    " AND is_scheduling_enabled = 1 ORDER BY pk",
                    NULL, 0, row_docs, wfs, NULL, err);
    if (!rc && store_kv_get(&tx, "settings", &settings, err) != 0)
        settings = json_object();
    store_tx_rollback(&tx);
    if (rc)
        goto out;
    json_array_foreach (wfs, i, wf) {
        const char *type = short_type(json_object_get(wf, "executionConditions"));
        const char *trig =
                short_type(json_object_get(json_object_get(wf, "executionConditions"), "trigger"));
        bool is_change = strcmp(trig, "attributeChangeTrigger") == 0 ||
                         strcmp(trig, "membershipChangeTrigger") == 0;
        char key[80];
        json_t *state = NULL, *fresh = NULL;
        bool created = false;

        if (strcmp(type, "triggerAndScopeBasedConditions") != 0 || is_quarantined(wf))
            continue;
        rc = store_tx_begin(e->opts.store, &tx, STORE_TX_WRITE, err);
        if (rc)
            break;
        /* Re-read inside the write transaction: the workflow may have changed. */
        rc = store_entity_get(&tx, &store_ent_workflow, jsonx_str(wf, "id"), &fresh, err);
        (void)snprintf(key, sizeof(key), "scheduler:%s", jsonx_str(wf, "id"));
        if (!rc && store_kv_get(&tx, key, &state, err) != 0)
            state = NULL;
        if (!rc && !is_quarantined(fresh) && jsonx_bool(fresh, "isEnabled", false) &&
            jsonx_bool(fresh, "isSchedulingEnabled", false) &&
            json_is_null(json_object_get(fresh, "deletedDateTime")) &&
            (is_change || !state ||
             jsonx_int(state, "lastEvaluatedAt", 0) + interval_ms(e, settings) <= now))
            rc = evaluate(e, &tx, fresh, settings, now, &created, err);
        json_decref(state);
        json_decref(fresh);
        if (rc) {
            store_tx_rollback(&tx);
            log_warn("schedule_failed", "workflow=%s detail=\"%s\"", jsonx_str(wf, "id"), err->msg);
            rc = 0;
            continue;
        }
        rc = store_tx_commit(&tx, err);
        if (rc)
            break;
        any |= created;
    }
    if (any)
        engine_wake(e);
out:
    json_decref(settings);
    json_decref(wfs);
    return rc;
}

void *engine__scheduler_main(void *arg)
{
    struct engine *e = arg;
    unsigned seen = 0;

    for (;;) {
        struct lcw_error err = {0};
        int64_t tick = e->opts.cfg->schedule_interval_seconds > 0
                               ? e->opts.cfg->schedule_interval_seconds * 1000
                               : 60000;

        if (engine_schedule_now(e, &err))
            log_warn("schedule_failed", "detail=\"%s\"", err.msg);
        if (!engine__wait(e, &seen, tick))
            break;
    }
    return NULL;
}
