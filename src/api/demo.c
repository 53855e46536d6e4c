/* SPDX-License-Identifier: MIT */
/*
 * The demo seed (`lcwd --demo`): a small, fixed company in the embedded
 * directory (users with managers, groups and Teams, licences) and one
 * workflow per category built from the built-in templates, written in one
 * transaction with audit events, and only into a store that has neither
 * users nor workflows. Dates are relative to the injected clock; only ids
 * are random. Runs once at start-up, on the main thread.
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

#define MS_PER_DAY 86400000LL
#define DOMAIN     "contoso.example"
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define NO_LEAVE   9999 /* leave_days value meaning "no leave date" */

/* ------------------------------------------------------------------ data */

struct demo_site {
    const char *city, *state, *country, *usage, *postal, *office, *language;
};

static const struct demo_site sites[] = {
        {"Seattle", "WA", "United States", "US", "98101", "Seattle HQ", "en-US"},
        {"London", NULL, "United Kingdom", "GB", "EC2A 4NE", "London Office", "en-GB"},
        {"Berlin", NULL, "Germany", "DE", "10115", "Berlin Office", "de-DE"},
        {"Paris", NULL, "France", "FR", "75002", "Paris Office", "fr-FR"},
        {"Toronto", "ON", "Canada", "CA", "M5V 2T6", "Toronto Office", "en-CA"},
        {"Sydney", "NSW", "Australia", "AU", "2000", "Sydney Office", "en-AU"},
        {"Dublin", NULL, "Ireland", "IE", "D02 X285", "Dublin Office", "en-IE"},
};
enum { SEA, LON, BER, PAR, TOR, SYD, DUB };

/* Department, its division and cost centre. */
struct demo_dept {
    const char *name, *division, *cost_center;
};

static const struct demo_dept depts[] = {
        {"Executive", "Corporate", "CC-1000"},  {"Sales", "Commercial", "CC-2000"},
        {"Marketing", "Commercial", "CC-3000"}, {"Engineering", "Product", "CC-4000"},
        {"Finance", "Corporate", "CC-5000"},    {"HR", "Corporate", "CC-6000"},
        {"Support", "Product", "CC-7000"},
};
enum { EXE, SAL, MKT, ENG, FIN, HRD, SUP };

/* Licence bits, in the order of `skus`. */
enum { L_E3 = 1u << 0, L_EMS = 1u << 1, L_PBI = 1u << 2 };
#define L_STD (L_E3 | L_EMS)

static const struct {
    const char *sku_id, *part_number;
    int units;
} skus[] = {
        {"6fd2c87f-b296-42f0-b197-1e91e994b900", "ENTERPRISEPACK", 50}, /* Office 365 E3 */
        {"efccb6f7-5641-4e0e-bd10-b4976e1bf68e", "EMS", 50},            /* EMS E3 */
        {"f8a1db68-be16-40ed-86d5-cb42ce701560", "POWER_BI_PRO", 15},   /* Power BI Pro */
};

struct demo_user {
    const char *given, *surname, *title, *type;
    int dept, site;
    int manager;    /* index in `people`, -1 for none */
    int hire_days;  /* employeeHireDate = today (00:00 UTC) + hire_days */
    int leave_days; /* employeeLeaveDateTime = today + leave_days, or NO_LEAVE */
    unsigned licenses;
    const char *other_mail; /* personal address, or NULL */
};

/*
 * The company: a CEO, six department heads reporting to her, and their
 * teams. Pre-hires (hire date ahead) are disabled and unlicensed; a few
 * people leave in the next days and one left yesterday.
 */
static const struct demo_user people[] = {
        /* 0..6: the CEO and the department heads */
        {"Adele", "Vance", "Chief Executive Officer", "Employee", EXE, SEA, -1, -4015, NO_LEAVE,
         L_STD | L_PBI, NULL},
        {"Alex", "Wilber", "VP Sales", "Employee", SAL, SEA, 0, -3190, NO_LEAVE, L_STD | L_PBI,
         NULL},
        {"Isaiah", "Langer", "VP Marketing", "Employee", MKT, LON, 0, -2870, NO_LEAVE,
         L_STD | L_PBI, NULL},
        {"Nestor", "Wilke", "VP Engineering", "Employee", ENG, SEA, 0, -3600, NO_LEAVE, L_STD,
         NULL},
        {"Lynne", "Robbins", "Chief Financial Officer", "Employee", FIN, SEA, 0, -2450, NO_LEAVE,
         L_STD | L_PBI, NULL},
        {"Diego", "Siciliani", "HR Director", "Employee", HRD, LON, 0, -2100, NO_LEAVE, L_STD,
         NULL},
        {"Pradeep", "Gupta", "Director of Customer Support", "Employee", SUP, TOR, 0, -1980,
         NO_LEAVE, L_STD, NULL},
        /* 7..12: Sales */
        {"Grady", "Archie", "Sales Manager EMEA", "Employee", SAL, LON, 1, -2010, NO_LEAVE,
         L_STD | L_PBI, NULL},
        {"Johanna", "Lorenz", "Account Executive", "Employee", SAL, BER, 7, -905, NO_LEAVE, L_STD,
         NULL},
        {"Lee", "Gu", "Account Executive", "Employee", SAL, SYD, 1, -1530, NO_LEAVE, L_STD, NULL},
        {"Joni", "Sherman", "Account Executive", "Employee", SAL, PAR, 7, -1210, 3, L_STD, NULL},
        {"Miriam", "Graham", "Sales Development Representative", "Employee", SAL, SEA, 1, -3,
         NO_LEAVE, L_STD, "miriam.graham@outlook.example"},
        {"Henrietta", "Mueller", "Sales Development Representative", "Employee", SAL, BER, 7, 5,
         NO_LEAVE, 0, "henrietta.mueller@mail.example"},
        /* 13..17: Marketing */
        {"Christie", "Cline", "Marketing Manager", "Employee", MKT, LON, 2, -1240, NO_LEAVE,
         L_STD | L_PBI, NULL},
        {"Patti", "Fernandez", "Content Strategist", "Employee", MKT, SEA, 13, -610, NO_LEAVE,
         L_STD, NULL},
        {"Irvin", "Sayers", "Product Marketing Manager", "Employee", MKT, PAR, 2, -5, NO_LEAVE,
         L_STD, "irvin.sayers@mail.example"},
        {"Enrico", "Cattaneo", "Events Coordinator", "Contractor", MKT, BER, 13, -730, -1, L_STD,
         NULL},
        {"Allan", "Deyoung", "Marketing Analyst", "Employee", MKT, TOR, 13, 2, NO_LEAVE, 0,
         "allan.deyoung@outlook.example"},
        /* 18..27: Engineering */
        {"Lidia", "Holloway", "Engineering Manager", "Employee", ENG, SEA, 3, -2520, NO_LEAVE,
         L_STD, NULL},
        {"Ben", "Walters", "Senior Software Engineer", "Employee", ENG, SEA, 18, -1105, NO_LEAVE,
         L_STD, NULL},
        {"Cameron", "White", "Software Engineer", "Employee", ENG, TOR, 18, -700, NO_LEAVE, L_STD,
         NULL},
        {"Debra", "Berger", "Site Reliability Engineer", "Employee", ENG, BER, 18, -415, NO_LEAVE,
         L_STD, NULL},
        {"Emily", "Braun", "Software Engineer", "Employee", ENG, LON, 18, -1, NO_LEAVE, L_STD,
         "emily.braun@mail.example"},
        {"Raul", "Razo", "QA Engineer", "Employee", ENG, SYD, 18, -2230, 6, L_STD, NULL},
        {"Zrinka", "Makovac", "Software Engineer", "Contractor", ENG, BER, 18, 7, NO_LEAVE, 0,
         "zrinka.makovac@mail.example"},
        {"Tomas", "Rivera", "Data Engineer", "Employee", ENG, TOR, 3, -300, NO_LEAVE, L_STD | L_PBI,
         NULL},
        {"Aiko", "Tanaka", "Security Engineer", "Employee", ENG, SYD, 3, -1810, NO_LEAVE, L_STD,
         NULL},
        {"Ravi", "Kumar", "Engineering Intern", "Intern", ENG, SEA, 18, -2, NO_LEAVE, L_E3,
         "ravi.kumar@university.example"},
        /* 28..31: Finance */
        {"Sara", "Davis", "Financial Analyst", "Employee", FIN, SEA, 4, -1620, NO_LEAVE,
         L_STD | L_PBI, NULL},
        {"Olivia", "Brown", "Accountant", "Employee", FIN, LON, 4, -505, NO_LEAVE, L_STD | L_PBI,
         NULL},
        {"Hugo", "Martin", "Financial Controller", "Employee", FIN, PAR, 4, -2700, NO_LEAVE,
         L_STD | L_PBI, NULL},
        {"Nina", "Petrova", "Payroll Specialist", "Employee", FIN, BER, 4, 4, NO_LEAVE, 0,
         "nina.petrova@mail.example"},
        /* 32..34: HR */
        {"Grace", "Kim", "HR Business Partner", "Employee", HRD, SEA, 5, -1330, NO_LEAVE, L_STD,
         NULL},
        {"Omar", "Haddad", "Recruiter", "Contractor", HRD, LON, 5, -200, NO_LEAVE, L_STD, NULL},
        {"Lucia", "Alvarez", "HR Generalist", "Employee", HRD, TOR, 5, -6, NO_LEAVE, L_STD,
         "lucia.alvarez@outlook.example"},
        /* 35..39: Support */
        {"Jack", "Thompson", "Support Team Lead", "Employee", SUP, SYD, 6, -1900, NO_LEAVE, L_STD,
         NULL},
        {"Kevin", "Murphy", "Support Engineer", "Employee", SUP, TOR, 6, -1000, NO_LEAVE, L_STD,
         NULL},
        {"Chloe", "Dubois", "Support Engineer", "Employee", SUP, PAR, 35, -850, 2, L_STD, NULL},
        {"Fatima", "Zahra", "Support Engineer", "Employee", SUP, LON, 35, -4, NO_LEAVE, L_STD,
         "fatima.zahra@mail.example"},
        {"Sean", "Walsh", "Support Engineer", "Employee", SUP, DUB, 35, 1, NO_LEAVE, 0,
         "sean.walsh@mail.example"},
};

#define N_PEOPLE N_ELEMS(people)

/* Who belongs to a group: by department, all current staff, or the leaders. */
enum demo_members { M_DEPT, M_DEPT2, M_ALL, M_LEADERS };

static const struct {
    const char *name, *nickname, *description;
    bool is_team;
    enum demo_members members;
    int dept, dept2;
} groups[] = {
        {"All employees", "allemployees", "Everyone who works at Contoso.", false, M_ALL, 0, 0},
        {"Sales", "sales", "The Sales department.", false, M_DEPT, SAL, SAL},
        {"Marketing", "marketing", "The Marketing department.", false, M_DEPT, MKT, MKT},
        {"Engineering", "engineering", "The Engineering department.", false, M_DEPT, ENG, ENG},
        {"Support", "support", "The Customer Support department.", false, M_DEPT, SUP, SUP},
        {"Leadership", "leadership", "The CEO and the department heads.", false, M_LEADERS, 0, 0},
        {"Engineering Team", "engineeringteam", "Microsoft Teams team for Engineering.", true,
         M_DEPT, ENG, ENG},
        {"Sales and Marketing Team", "salesmarketingteam",
         "Microsoft Teams team for Sales and Marketing.", true, M_DEPT2, SAL, MKT},
};

enum { G_ALL = 0, G_ENG = 3 };

/* ------------------------------------------------------------- builders */

/* Current staff: hired already (pre-hires join groups through the joiner workflow). */
static bool is_current(const struct demo_user *u)
{
    return u->hire_days <= 0;
}

/* "first.last" lower-cased into `out`. */
static void alias_of(const struct demo_user *u, char *out, size_t cap)
{
    (void)snprintf(out, cap, "%s.%s", u->given, u->surname);
    for (char *c = out; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
}

static int audit_one(struct store_tx *tx, const struct api_req *req, const char *category,
                     const char *activity, json_t *target, struct lcw_error *err)
{
    json_t *targets = json_array();

    if (!targets || !target || json_array_append_new(targets, target)) {
        json_decref(targets);
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    }
    return api__audit(tx, req, category, activity, "Add", targets, NULL, err);
}

static int seed_skus(struct store_tx *tx, const struct api_req *req, struct lcw_error *err)
{
    json_t *arr = json_array();
    int rc = arr ? 0 : LCW_ENOMEM;

    for (size_t i = 0; !rc && i < N_ELEMS(skus); i++) {
        json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:i, s:i, s:i, s:i}, s:[]}", "id",
                              skus[i].sku_id, "skuId", skus[i].sku_id, "skuPartNumber",
                              skus[i].part_number, "capabilityStatus", "Enabled", "appliesTo",
                              "User", "prepaidUnits", "enabled", skus[i].units, "suspended", 0,
                              "warning", 0, "lockedOut", 0, "servicePlans");

        if (!s || json_array_append_new(arr, s))
            rc = LCW_ENOMEM;
        if (!rc)
            rc = audit_one(tx, req, "DirectoryManagement", "Add subscribed SKU",
                           api__target(skus[i].sku_id, skus[i].part_number, "SubscribedSku"), err);
    }
    if (rc == LCW_ENOMEM)
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
    if (!rc)
        rc = store_kv_put(tx, "subscribedSkus", arr, err);
    json_decref(arr);
    return rc;
}

/* The creation body of person `i` (Graph's POST /users shape). */
static json_t *user_body(size_t i, int64_t today_ms)
{
    const struct demo_user *u = &people[i];
    const struct demo_site *s = &sites[u->site];
    const struct demo_dept *d = &depts[u->dept];
    char alias[64], upn[128], display[128], emp_id[16], hire[TIMEFMT_LEN], leave[TIMEFMT_LEN];
    json_t *b;

    alias_of(u, alias, sizeof(alias));
    (void)snprintf(upn, sizeof(upn), "%s@" DOMAIN, alias);
    (void)snprintf(display, sizeof(display), "%s %s", u->given, u->surname);
    (void)snprintf(emp_id, sizeof(emp_id), "E%05zu", 10001 + i * 7);
    timefmt_format(today_ms + u->hire_days * MS_PER_DAY, hire);
    timefmt_format(today_ms + u->leave_days * MS_PER_DAY, leave);
    b = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, "
                  "s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s}}",
                  "displayName", display, "givenName", u->given, "surname", u->surname,
                  "userPrincipalName", upn, "mail", upn, "mailNickname", alias, "accountEnabled",
                  is_current(u), "department", d->name, "jobTitle", u->title, "companyName",
                  "Contoso", "employeeId", emp_id, "employeeType", u->type, "city", s->city,
                  "state", s->state, "country", s->country, "postalCode", s->postal,
                  "officeLocation", s->office, "usageLocation", s->usage, "preferredLanguage",
                  s->language, "employeeHireDate", hire, "employeeOrgData", "division", d->division,
                  "costCenter", d->cost_center, "onPremisesExtensionAttributes",
                  "extensionAttribute1", d->cost_center);
    if (b && u->leave_days != NO_LEAVE &&
        json_object_set_new(b, "employeeLeaveDateTime", json_string(leave))) {
        json_decref(b);
        return NULL;
    }
    if (b && u->other_mail &&
        json_object_set_new(b, "otherMails", json_pack("[s]", u->other_mail))) {
        json_decref(b);
        return NULL;
    }
    return b;
}

static int seed_users(struct store_tx *tx, const struct api_req *req, int64_t today_ms,
                      char ids[][UUID_STR_LEN], struct lcw_error *err)
{
    int rc = 0;

    for (size_t i = 0; i < N_PEOPLE; i++)
        uuid_v4(ids[i]);
    for (size_t i = 0; !rc && i < N_PEOPLE; i++) {
        const struct demo_user *u = &people[i];
        json_t *body = user_body(i, today_ms), *doc = NULL, *lic = json_array();
        char created[TIMEFMT_LEN];
        /* Accounts exist from the hire date, pre-hires' from a few days ago. */
        int64_t created_ms = today_ms + (is_current(u) ? u->hire_days : -3) * MS_PER_DAY;

        rc = body && lic ? api__user_build(body, ids[i], req->now_ms, &doc, err)
                         : lcw_error_set(err, LCW_ENOMEM, "out of memory");
        for (size_t k = 0; !rc && k < N_ELEMS(skus); k++) {
            if ((u->licenses & (1u << k)) &&
                json_array_append_new(
                        lic, json_pack("{s:s, s:[]}", "skuId", skus[k].sku_id, "disabledPlans")))
                rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        }
        timefmt_format(created_ms, created);
        if (!rc &&
            (json_object_set(doc, "assignedLicenses", lic) ||
             json_object_set_new(doc, "createdDateTime", json_string(created)) ||
             json_object_set_new(doc, "signInSessionsValidFromDateTime", json_string(created)) ||
             api__user_manager_set(doc, u->manager >= 0 ? ids[u->manager] : NULL)))
            rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        if (!rc)
            rc = store_entity_put(tx, &store_ent_user, ids[i], NULL, doc, err);
        if (!rc)
            rc = audit_one(tx, req, "UserManagement", "Add user",
                           api__target(ids[i], jsonx_str(doc, "userPrincipalName"), "User"), err);
        json_decref(lic);
        json_decref(doc);
        json_decref(body);
    }
    return rc;
}

static bool is_member(size_t g, size_t i)
{
    const struct demo_user *u = &people[i];

    if (!is_current(u))
        return false;
    switch (groups[g].members) {
    case M_ALL:
        return true;
    case M_LEADERS:
        return u->manager <= 0;
    case M_DEPT:
        return u->dept == groups[g].dept;
    case M_DEPT2:
        return u->dept == groups[g].dept || u->dept == groups[g].dept2;
    }
    return false;
}

static int seed_groups(struct store_tx *tx, const struct api_req *req,
                       char user_ids[][UUID_STR_LEN], char ids[][UUID_STR_LEN],
                       struct lcw_error *err)
{
    int rc = 0;

    for (size_t g = 0; !rc && g < N_ELEMS(groups); g++) {
        char mail[128];
        json_t *body, *doc = NULL;
        size_t n = 0;

        uuid_v4(ids[g]);
        (void)snprintf(mail, sizeof(mail), "%s@" DOMAIN, groups[g].nickname);
        body = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "displayName", groups[g].name,
                         "description", groups[g].description, "mailNickname", groups[g].nickname,
                         "mail", mail, "mailEnabled", groups[g].is_team, "securityEnabled",
                         !groups[g].is_team);
        if (body && groups[g].is_team &&
            (json_object_set_new(body, "groupTypes", json_pack("[s]", "Unified")) ||
             json_object_set_new(body, "resourceProvisioningOptions", json_pack("[s]", "Team")) ||
             json_object_set_new(body, "visibility", json_string("Private"))))
            rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        if (!rc)
            rc = body ? api__group_build(body, ids[g], req->now_ms, &doc, err)
                      : lcw_error_set(err, LCW_ENOMEM, "out of memory");
        if (!rc)
            rc = store_entity_put(tx, &store_ent_group, ids[g], NULL, doc, err);
        for (size_t i = 0; !rc && i < N_PEOPLE; i++) {
            bool added = false;

            if (is_member(g, i)) {
                rc = store_member_add(tx, ids[g], user_ids[i], req->now_ms, &added, err);
                n += added;
            }
        }
        if (!rc) {
            json_t *target = api__target(ids[g], groups[g].name, "Group");
            json_t *count = json_integer((json_int_t)n);

            if (target && count && api__target_modified(target, "members", NULL, count))
                rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
            json_decref(count);
            if (!rc) {
                rc = audit_one(tx, req, "GroupManagement", "Add group", target, err);
                target = NULL;
            }
            json_decref(target);
        }
        json_decref(doc);
        json_decref(body);
    }
    return rc;
}

/* ------------------------------------------------------------ workflows */

/*
 * Turn a template into a create body: drop the template's id and its task
 * ids (so that every workflow gets fresh ones), then apply the demo's scope
 * and task arguments.
 */
static json_t *template_body(const char *template_id, const char *rule, const char *scope_group,
                             const char *add_group_task_group)
{
    size_t idx, i;
    json_t *t, *task;

    if (model_template_find(template_id, &idx) != 0)
        return NULL;
    t = model_template_to_json(idx);
    if (!t)
        return NULL;
    json_object_del(t, "id");
    json_array_foreach (json_object_get(t, "tasks"), i, task) {
        json_object_del(task, "id");
        if (add_group_task_group &&
            lcw_str_eq_ci(jsonx_str(task, "taskDefinitionId") ? jsonx_str(task, "taskDefinitionId")
                                                              : "",
                          "22085229-5809-45e8-97fd-270d28d66910") &&
            (json_object_set_new(task, "isEnabled", json_true()) ||
             json_object_set_new(
                     task, "arguments",
                     json_pack("[{s:s, s:s}]", "name", "groupID", "value", add_group_task_group))))
            goto fail;
    }
    {
        json_t *scope = json_object_get(json_object_get(t, "executionConditions"), "scope");

        if (rule && json_is_object(scope) && json_object_set_new(scope, "rule", json_string(rule)))
            goto fail;
        if (scope_group && json_is_object(scope) &&
            json_object_set_new(scope, "groups", json_pack("[{s:s}]", "id", scope_group)))
            goto fail;
    }
    return t;
fail:
    json_decref(t);
    return NULL;
}

/* Validate and store one workflow exactly as POST /workflows does. */
static int seed_workflow(struct store_tx *tx, const struct api_req *req, json_t *body,
                         struct lcw_error *err)
{
    const char *rule = jsonx_str(
            json_object_get(json_object_get(body, "executionConditions"), "scope"), "rule");
    json_t *wf = NULL, *ident = api__identity(req);
    char id[UUID_STR_LEN], ts[TIMEFMT_LEN];
    int rc;

    if (!body || !ident) {
        json_decref(ident);
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    }
    if (rule) {
        struct odata_expr *e = NULL;

        rc = odata_filter_parse(rule, strlen(rule), &e, err);
        if (!rc)
            rc = odata_expr_check(e, &api_user_rule_entity, err);
        odata_expr_free(e);
        if (rc)
            goto out;
    }
    rc = model_workflow_from_create(body, &req->ctx->limits, &wf, err);
    if (rc)
        goto out;
    uuid_v4(id);
    timefmt_format_ms(req->now_ms, ts);
    if (json_object_set_new(wf, "id", json_string(id)) ||
        json_object_set_new(wf, "createdDateTime", json_string(ts)) ||
        json_object_set_new(wf, "lastModifiedDateTime", json_string(ts)) ||
        json_object_set_new(wf, "deletedDateTime", json_null()) ||
        json_object_set_new(wf, "nextScheduleRunDateTime", json_null()) ||
        json_object_set_new(wf, "version", json_integer(1)) ||
        json_object_set(wf, "createdBy", ident) || json_object_set(wf, "lastModifiedBy", ident)) {
        rc = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        goto out;
    }
    rc = store_entity_put(tx, &store_ent_workflow, id, NULL, wf, err);
    if (!rc)
        rc = api__workflow_put_version(tx, wf, err);
    if (!rc)
        rc = audit_one(tx, req, "WorkflowManagement", "Create workflow",
                       api__target(id, jsonx_str(wf, "displayName"), "Workflow"), err);
out:
    json_decref(wf);
    json_decref(ident);
    return rc;
}

static int seed_workflows(struct store_tx *tx, const struct api_req *req,
                          char group_ids[][UUID_STR_LEN], struct lcw_error *err)
{
    json_t *joiner, *mover, *leaver;
    int rc;

    /* Joiner: enable the account, welcome email, add to "All employees". */
    joiner = template_body("4e06785d-7c1d-4b24-b9e1-bba2b890c58b",
                           "employeeType in ('Employee', 'Contractor', 'Intern')", NULL,
                           group_ids[G_ALL]);
    /* Mover: notify the manager when someone joins Engineering. */
    mover = template_body("56da3093-d105-40d4-9886-fccd074f2f2a", NULL, group_ids[G_ENG], NULL);
    /* Leaver: on the last day, disable and remove from groups and Teams. */
    leaver = template_body("e821c59e-d28c-44d7-902f-5fed05e926f1",
                           "employeeType in ('Employee', 'Contractor', 'Intern')", NULL, NULL);
    rc = seed_workflow(tx, req, joiner, err);
    if (!rc)
        rc = seed_workflow(tx, req, mover, err);
    if (!rc)
        rc = seed_workflow(tx, req, leaver, err);
    json_decref(joiner);
    json_decref(mover);
    json_decref(leaver);
    return rc;
}

/* ------------------------------------------------------------------ entry */

int api_demo_seed(const struct api_ctx *ctx, struct lcw_error *err)
{
    char user_ids[N_PEOPLE][UUID_STR_LEN], group_ids[N_ELEMS(groups)][UUID_STR_LEN];
    struct api_req req = {0};
    struct store_tx tx;
    int64_t n_users = 0, n_workflows = 0, today_ms;
    int rc;

    req.ctx = ctx;
    req.now_ms = lcw_clock_now(ctx->clock);
    req.request_id = "demo";
    lcw_strlcpy(req.who.name, "lcwd demo", sizeof(req.who.name));
    /* Dates fall on midnight UTC, as HR systems usually write them. */
    today_ms = req.now_ms - ((req.now_ms % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
    rc = store_tx_begin(ctx->store, &tx, STORE_TX_WRITE, err);
    if (rc)
        return rc;
    rc = store_entity_count(&tx, &store_ent_user, NULL, NULL, NULL, 0, &n_users, err);
    if (!rc)
        rc = store_entity_count(&tx, &store_ent_workflow, NULL, NULL, NULL, 0, &n_workflows, err);
    if (rc || n_users || n_workflows) {
        store_tx_rollback(&tx);
        if (!rc)
            log_info("demo_skipped", "users=%lld workflows=%lld", (long long)n_users,
                     (long long)n_workflows);
        return rc;
    }
    rc = seed_skus(&tx, &req, err);
    if (!rc)
        rc = seed_users(&tx, &req, today_ms, user_ids, err);
    if (!rc)
        rc = seed_groups(&tx, &req, user_ids, group_ids, err);
    if (!rc)
        rc = seed_workflows(&tx, &req, group_ids, err);
    if (rc) {
        store_tx_rollback(&tx);
        return rc;
    }
    rc = store_tx_commit(&tx, err);
    if (!rc)
        log_info("demo_seeded", "users=%zu groups=%zu skus=%zu workflows=3", N_PEOPLE,
                 N_ELEMS(groups), N_ELEMS(skus));
    return rc;
}
