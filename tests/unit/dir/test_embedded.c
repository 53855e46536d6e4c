/* SPDX-License-Identifier: MIT */
/*
 * The embedded directory backend (src/dir/) against a real SQLite file:
 * every dir_* operation's success, no-op, not-found and invalid-input
 * paths, the change records each writes, the soft delete, and that the
 * documents stay shaped as api/users.c writes them. Users, groups and the
 * licence catalogue are seeded with store_entity_put / store_kv_put.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lcw/common.h"
#include "lcw/dir.h"
#include "lcw/jsonx.h"
#include "lcw/store.h"

#include "dir_fixture.h"

/* ------------------------------------------------------------- helpers */

/* The stored document of a user (with "#lcw.*"), or NULL. */
static json_t *stored(struct dir_fixture *f, const char *id)
{
    struct lcw_error err = {0};
    struct store_tx tx;
    json_t *doc = NULL;

    assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_READ, &err), 0);
    (void)store_entity_get(&tx, &store_ent_user, id, &doc, &err);
    store_tx_rollback(&tx);
    return doc;
}

static int64_t query_int(struct dir_fixture *f, const char *sql, const char *param)
{
    struct lcw_error err = {0};
    struct store_val p = STORE_V_TEXT(param);
    struct store_tx tx;
    int64_t n = -1;

    assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_READ, &err), 0);
    assert_int_equal(store_query_int(&tx, sql, param ? &p : NULL, param ? 1 : 0, &n, &err), 0);
    store_tx_rollback(&tx);
    return n;
}

static int64_t n_changes(struct dir_fixture *f)
{
    return query_int(f, "SELECT COUNT(*) FROM directory_changes", NULL);
}

/* The changes recorded so far, as "kind|object|attribute|old|new" lines in order. */
struct lines {
    char text[8192];
};

static int change_line(void *ctx, const struct dir_change *c)
{
    struct lines *l = ctx;
    size_t len = strlen(l->text);

    (void)snprintf(l->text + len, sizeof(l->text) - len, "%s|%s|%s|%s|%s\n", c->kind, c->object_id,
                   c->attribute ? c->attribute : "-", c->old_value ? c->old_value : "-",
                   c->new_value ? c->new_value : "-");
    return 0;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every change recorded so far, lines sorted: the records of one call share
 * a millisecond, and their order within it is not meaningful (directory.md).
 */
static void changes(struct dir_fixture *f, struct lines *l)
{
    struct lcw_error err = {0};
    struct lines raw;
    char *line[64];
    size_t n = 0;

    raw.text[0] = '\0';
    assert_int_equal(dir_changes_each(f->d, NULL, 0, INT64_MAX, change_line, &raw, &err), 0);
    for (char *p = raw.text; *p && n < 64; n++) {
        char *nl = strchr(p, '\n');

        line[n] = p;
        *nl = '\0';
        p = nl + 1;
    }
    qsort(line, n, sizeof(line[0]), cmp_line);
    l->text[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(l->text);

        (void)snprintf(l->text + len, sizeof(l->text) - len, "%s\n", line[i]);
    }
}

static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
}

static void assert_json(const json_t *got, const char *want_text)
{
    json_t *want = json_loads(want_text, JSON_DECODE_ANY, NULL);

    assert_non_null(want);
    if (!json_equal(got, want)) {
        char *g = dump(got);

        fail_msg("got %s, want %s", g ? g : "(null)", want_text);
    }
    json_decref(want);
}

/* ---------------------------------------------------------------- reads */

static void test_dir__user_get__live_users_only_without_bookkeeping(void **state)
{
    struct dir_fixture *f = *state;
    struct lcw_error err = {0};
    json_t *u = NULL;

    assert_int_equal(dir_user_get(f->d, NULL, U_BOB, &u, &err), 0);
    assert_string_equal(jsonx_str(u, "displayName"), "Bob Kelly");
    assert_null(json_object_get(u, "#lcw.managerId"));
    assert_non_null(json_object_get(u, "deletedDateTime"));
    json_decref(u);
    /* GUIDs match in any case. */
    assert_int_equal(dir_user_get(f->d, NULL, "22222222-2222-4222-8222-222222222222", &u, &err), 0);
    json_decref(u);
    assert_int_equal(dir_user_get(f->d, NULL, "AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA", &u, &err),
                     LCW_ENOTFOUND);
    assert_null(u);
    assert_int_equal(dir_user_get(f->d, NULL, U_NONE, &u, &err), LCW_ENOTFOUND);
    assert_non_null(strstr(err.msg, U_NONE));
    assert_int_equal(dir_user_get(f->d, NULL, U_GONE, &u, &err), LCW_ENOTFOUND);
    assert_int_equal(dir_user_get(f->d, NULL, "", &u, &err), LCW_EINVAL);
}

static void test_dir__user_manager__found_none_and_deleted(void **state)
{
    struct dir_fixture *f = *state;
    struct lcw_error err = {0};
    json_t *m = NULL;

    assert_int_equal(dir_user_manager(f->d, NULL, U_BOB, &m, &err), 0);
    assert_string_equal(jsonx_str(m, "id"), U_ADELE);
    assert_null(json_object_get(m, "#lcw.managerId"));
    json_decref(m);
    assert_int_equal(dir_user_manager(f->d, NULL, U_ADELE, &m, &err), LCW_ENOTFOUND);
    assert_non_null(strstr(err.msg, "has no manager"));
    /* Cara's manager is soft-deleted: reads as none. */
    assert_int_equal(dir_user_manager(f->d, NULL, U_CARA, &m, &err), LCW_ENOTFOUND);
    assert_int_equal(dir_user_manager(f->d, NULL, U_NONE, &m, &err), LCW_ENOTFOUND);
}

struct collect {
    json_t *ids;
    int stop_after; /* return 7 after this many; 0 = never */
};

static int collect_user(void *ctx, const json_t *user)
{
    struct collect *c = ctx;

    assert_null(json_object_get(user, "#lcw.managerId"));
    json_array_append_new(c->ids, json_string(jsonx_str(user, "id")));
    return c->stop_after && (int)json_array_size(c->ids) >= c->stop_after ? 7 : 0;
}

static void test_dir__users_each__live_users_in_id_order_and_stops(void **state)
{
    struct dir_fixture *f = *state;
    struct lcw_error err = {0};
    struct collect c = {json_array(), 0};

    assert_int_equal(dir_users_each(f->d, NULL, collect_user, &c, &err), 0);
    assert_json(c.ids, "[\"" U_ADELE "\",\"" U_BOB "\",\"" U_CARA "\"]");
    json_array_clear(c.ids);
    c.stop_after = 2;
    assert_int_equal(dir_users_each(f->d, NULL, collect_user, &c, &err), 7);
    assert_int_equal(json_array_size(c.ids), 2);
    json_decref(c.ids);
}

static void test_dir__groups__of_user_members_and_get(void **state)
{
    struct dir_fixture *f = *state;
    struct lcw_error err = {0};
    json_t *v = NULL;

    assert_int_equal(dir_user_groups(f->d, NULL, U_BOB, &v, &err), 0);
    assert_int_equal(json_array_size(v), 3);
    assert_string_equal(jsonx_str(json_array_get(v, 0), "displayName"), "Sales");
    assert_string_equal(jsonx_str(json_array_get(v, 2), "displayName"), "Team Phoenix");
    json_decref(v);
    assert_int_equal(dir_user_groups(f->d, NULL, U_CARA, &v, &err), 0);
    assert_int_equal(json_array_size(v), 0);
    json_decref(v);
    assert_int_equal(dir_group_member_ids(f->d, NULL, G_ALL, &v, &err), 0);
    assert_json(v, "[\"" U_ADELE "\",\"" U_BOB "\"]"); /* the deleted user is not listed */
    json_decref(v);
    assert_int_equal(dir_group_member_ids(f->d, NULL, G_NONE, &v, &err), LCW_ENOTFOUND);
    assert_null(v);
    assert_int_equal(dir_group_get(f->d, NULL, G_TEAM, &v, &err), 0);
    assert_json(json_object_get(v, "resourceProvisioningOptions"), "[\"Team\"]");
    json_decref(v);
    assert_int_equal(dir_group_get(f->d, NULL, "AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA", &v, &err),
                     0);
    assert_string_equal(jsonx_str(v, "displayName"), "Sales");
    json_decref(v);
    assert_int_equal(dir_group_get(f->d, NULL, G_NONE, &v, &err), LCW_ENOTFOUND);
    assert_non_null(strstr(err.msg, "group '" G_NONE "' does not exist"));
}

/* -------------------------------------------------------------- account */

static void test_dir__set_enabled__changes_records_and_keeps_the_doc(void **state)
{
    struct dir_fixture *f = *state;
    struct lcw_error err = {0};
    json_t *before = stored(f, U_BOB), *after;
    bool changed = true;
    struct lines l;
    char *want, *got;

    assert_int_equal(dir_user_set_enabled(f->d, NULL, U_BOB, true, &changed, &err), 0);
    assert_false(changed);
    assert_int_equal(n_changes(f), 0);
    assert_int_equal(dir_user_set_enabled(f->d, NULL, U_BOB, false, &changed, &err), 0);
    assert_true(changed);
    changes(f, &l);
    assert_string_equal(l.text, "attribute|" U_BOB "|accountEnabled|true|false\n");
    /* Byte for byte what users.c would store: same order, "#lcw.managerId" kept. */
    after = stored(f, U_BOB);
    json_object_set_new(before, "accountEnabled", json_false());
    want = jsonx_dump(before);
    got = jsonx_dump(after);
    assert_string_equal(got, want);
    lcw_free(want);
    lcw_free(got);
    assert_int_equal(query_int(f, "SELECT account_enabled FROM users WHERE pk = ?", U_BOB), 0);
    assert_int_equal(dir_user_set_enabled(f->d, NULL, U_NONE, true, &changed, &err), LCW_ENOTFOUND);
    assert_int_equal(dir_user_set_enabled(f->d, NULL, U_GONE, true, &changed, &err), LCW_ENOTFOUND);
    json_decref(before);
    json_decref(after);
}

static void test_dir__caller_tx__is_used_and_rolls_back(void **state)
{
    struct dir_fixture *f = *state;
    struct lcw_error err = {0};
    struct store_tx tx;
    bool changed = false;
    json_t *doc;

    assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_WRITE, &err), 0);
    assert_int_equal(dir_user_set_enabled(f->d, &tx, U_CARA, true, &changed, &err), 0);
    assert_true(changed);
    assert_int_equal(dir_member_add(f->d, &tx, G_SALES, U_CARA, &changed, &err), 0);
    assert_true(changed);
    store_tx_rollback(&tx);
    doc = stored(f, U_CARA);
    assert_true(json_is_false(json_object_get(doc, "accountEnabled")));
    json_decref(doc);
    assert_int_equal(n_changes(f), 0);
    assert_int_equal(query_int(f, "SELECT COUNT(*) FROM group_members WHERE user_id = ?", U_CARA),
                     0);
}

static void test_dir__revoke_sessions__sets_the_time(void **state)
{
    struct dir_fixture *f = *state;
    struct lcw_error err = {0};
    struct lines l;
    json_t *doc;

    assert_int_equal(dir_user_revoke_sessions(f->d, NULL, U_ADELE, NOW_MS + 1500, &err), 0);
    doc = stored(f, U_ADELE);
    assert_string_equal(jsonx_str(doc, "signInSessionsValidFromDateTime"),
                        "2026-01-01T00:00:01.500Z");
    json_decref(doc);
    changes(f, &l);
    assert_string_equal(l.text, "attribute|" U_ADELE
                                "|signInSessionsValidFromDateTime|\"2025-01-01T00:00:00Z\"|"
                                "\"2026-01-01T00:00:01.500Z\"\n");
    /* The same instant again changes and records nothing. */
    assert_int_equal(dir_user_revoke_sessions(f->d, NULL, U_ADELE, NOW_MS + 1500, &err), 0);
    assert_int_equal(n_changes(f), 1);
    assert_int_equal(dir_user_revoke_sessions(f->d, NULL, U_GONE, NOW_MS, &err), LCW_ENOTFOUND);
}

static void test_dir__delete__soft_delete_with_records(void **state)
{
    struct dir_fixture *f = *state;
    struct lcw_error err = {0};
    bool changed = false;
    json_t *doc, *v = NULL;
    struct lines l;

    assert_int_equal(dir_user_delete(f->d, NULL, U_BOB, NOW_MS, &changed, &err), 0);
    assert_true(changed);
    doc = stored(f, U_BOB);
    assert_string_equal(jsonx_str(doc, "deletedDateTime"), "2026-01-01T00:00:00Z");
    assert_string_equal(jsonx_str(doc, "#lcw.managerId"), U_ADELE); /* kept for a restore */
    assert_int_equal(json_array_size(json_object_get(doc, "assignedLicenses")), 2);
    json_decref(doc);
    assert_int_equal(query_int(f, "SELECT deleted_at_ms FROM users WHERE pk = ?", U_BOB), NOW_MS);
    assert_int_equal(query_int(f, "SELECT COUNT(*) FROM group_members WHERE user_id = ?", U_BOB),
                     0);
    changes(f, &l);
    assert_string_equal(l.text, "deleted|" U_BOB "|-|bob@contoso.example|-\n"
                                "memberRemoved|" U_BOB "|" G_SALES "|" U_BOB "|-\n"
                                "memberRemoved|" U_BOB "|" G_ALL "|" U_BOB "|-\n"
                                "memberRemoved|" U_BOB "|" G_TEAM "|" U_BOB "|-\n");
    assert_int_equal(dir_user_get(f->d, NULL, U_BOB, &v, &err), LCW_ENOTFOUND);
    /* Bob held the only EMS unit: it is free again. */
    assert_int_equal(query_int(f,
                               "SELECT COUNT(*) FROM users WHERE deleted_at_ms IS NULL AND doc "
                               "LIKE ?",
                               "%\"skuId\":\"" SKU_EMS "\"%"),
                     0);
    assert_int_equal(dir_user_delete(f->d, NULL, U_BOB, NOW_MS + 5, &changed, &err), 0);
    assert_false(changed);
    assert_int_equal(n_changes(f), 4);
    assert_int_equal(dir_user_delete(f->d, NULL, U_NONE, NOW_MS, &changed, &err), LCW_ENOTFOUND);
}

/* ----------------------------------------------------------- memberships */

static void test_dir__member_add_remove__records_and_no_ops(void **state)
{
    struct dir_fixture *f = *state;
    struct lcw_error err = {0};
    bool changed = false;
    struct lines l;

    assert_int_equal(dir_member_add(f->d, NULL, G_SALES, U_CARA, &changed, &err), 0);
    assert_true(changed);
    assert_int_equal(dir_member_add(f->d, NULL, G_SALES, U_CARA, &changed, &err), 0);
    assert_false(changed);
    assert_int_equal(dir_member_remove(f->d, NULL, G_SALES, U_CARA, &changed, &err), 0);
    assert_true(changed);
    assert_int_equal(dir_member_remove(f->d, NULL, G_SALES, U_CARA, &changed, &err), 0);
    assert_false(changed);
    changes(f, &l);
    assert_string_equal(l.text, "memberAdded|" U_CARA "|" G_SALES "|-|" U_CARA "\n"
                                "memberRemoved|" U_CARA "|" G_SALES "|" U_CARA "|-\n");

    assert_int_equal(dir_member_add(f->d, NULL, G_NONE, U_CARA, &changed, &err), LCW_ENOTFOUND);
    assert_non_null(strstr(err.msg, "group '" G_NONE "'"));
    assert_int_equal(dir_member_add(f->d, NULL, G_SALES, U_NONE, &changed, &err), LCW_ENOTFOUND);
    assert_non_null(strstr(err.msg, "user '" U_NONE "'"));
    assert_int_equal(dir_member_add(f->d, NULL, G_SALES, U_GONE, &changed, &err), LCW_ENOTFOUND);
    assert_int_equal(dir_member_remove(f->d, NULL, G_NONE, U_CARA, &changed, &err), LCW_ENOTFOUND);
    assert_non_null(strstr(err.msg, "group '" G_NONE "'"));
    assert_int_equal(dir_member_remove(f->d, NULL, G_SALES, U_NONE, &changed, &err), LCW_ENOTFOUND);
    assert_int_equal(dir_member_add(f->d, NULL, "", U_CARA, &changed, &err), LCW_EINVAL);
    assert_int_equal(n_changes(f), 2);
}

/* -------------------------------------------------------------- licences */

static void test_dir__licenses_assign__names_capacity_and_records(void **state)
{
    struct dir_fixture *f = *state;
    struct lcw_error err = {0};
    const char *e3[] = {"enterprisepack"};
    const char *both[] = {"POWER_BI_PRO", SKU_E3};
    const char *bad[] = {SKU_E3, "NOPE"};
    const char *ems[] = {"ems"};
    json_t *changed = NULL, *doc;
    struct lines l;

    assert_int_equal(dir_licenses_assign(f->d, NULL, U_CARA, e3, 1, &changed, &err), 0);
    assert_json(changed, "[\"" SKU_E3 "\"]");
    json_decref(changed);
    doc = stored(f, U_CARA);
    assert_json(json_object_get(doc, "assignedLicenses"),
                "[{\"skuId\":\"" SKU_E3 "\",\"disabledPlans\":[]}]");
    json_decref(doc);
    changes(f, &l);
    assert_string_equal(l.text, "attribute|" U_CARA "|assignedLicenses|[]|[{\"skuId\":\"" SKU_E3
                                "\",\"disabledPlans\":[]}]\n");
    /* Already assigned: nothing changes. */
    assert_int_equal(dir_licenses_assign(f->d, NULL, U_CARA, e3, 1, &changed, &err), 0);
    assert_int_equal(json_array_size(changed), 0);
    json_decref(changed);
    /* No units left: EMS (1 unit, Bob's), Power BI (0 units). */
    assert_int_equal(dir_licenses_assign(f->d, NULL, U_CARA, ems, 1, &changed, &err), LCW_EINVAL);
    assert_non_null(strstr(err.msg, "no available units: 1 of 1 in use"));
    assert_null(changed);
    assert_int_equal(dir_licenses_assign(f->d, NULL, U_CARA, both, 2, &changed, &err), LCW_EINVAL);
    assert_non_null(strstr(err.msg, "'POWER_BI_PRO'"));
    /* An unknown name changes nothing, even after a valid one. */
    assert_int_equal(dir_licenses_assign(f->d, NULL, U_ADELE, bad, 2, &changed, &err), LCW_EINVAL);
    assert_string_equal(err.msg, "license 'NOPE' is not one of the tenant's subscribed SKUs");
    assert_int_equal(n_changes(f), 1);
    assert_int_equal(dir_licenses_assign(f->d, NULL, U_NONE, e3, 1, &changed, &err), LCW_ENOTFOUND);
    assert_int_equal(dir_licenses_assign(f->d, NULL, U_CARA, NULL, 1, &changed, &err), LCW_EINVAL);
}

static void test_dir__licenses_remove__selected_and_all(void **state)
{
    struct dir_fixture *f = *state;
    struct lcw_error err = {0};
    const char *ems[] = {"EMS"};
    const char *pbi[] = {SKU_PBI};
    const char *bad[] = {"NOPE"};
    json_t *changed = NULL, *doc;

    assert_int_equal(dir_licenses_remove(f->d, NULL, U_BOB, ems, 1, &changed, &err), 0);
    assert_json(changed, "[\"" SKU_EMS "\"]");
    json_decref(changed);
    assert_int_equal(dir_licenses_remove(f->d, NULL, U_BOB, pbi, 1, &changed, &err), 0);
    assert_int_equal(json_array_size(changed), 0); /* not assigned */
    json_decref(changed);
    assert_int_equal(dir_licenses_remove(f->d, NULL, U_BOB, bad, 1, &changed, &err), LCW_EINVAL);
    assert_int_equal(dir_licenses_remove(f->d, NULL, U_BOB, NULL, 0, &changed, &err), 0);
    assert_json(changed, "[\"" SKU_E3 "\"]");
    json_decref(changed);
    doc = stored(f, U_BOB);
    assert_json(json_object_get(doc, "assignedLicenses"), "[]");
    json_decref(doc);
    assert_int_equal(dir_licenses_remove(f->d, NULL, U_BOB, NULL, 0, &changed, &err), 0);
    assert_int_equal(json_array_size(changed), 0);
    json_decref(changed);
    assert_int_equal(n_changes(f), 2);
    /* changed_out may be NULL. */
    assert_int_equal(dir_licenses_remove(f->d, NULL, U_ADELE, NULL, 0, NULL, &err), 0);
    assert_int_equal(n_changes(f), 3);
}

/* ------------------------------------------------------------ attributes */

struct update_case {
    const char *user;
    const char *attrs;   /* JSON object */
    int rc;              /* expected */
    const char *changed; /* JSON array of changed names (rc == 0) */
    const char *msg;     /* substring of err.msg (rc != 0) */
    const char *check;   /* "property=JSON" of the stored doc afterwards, or NULL */
};

/* Rows run in order on one directory; each sees the ones before. */
static const struct update_case update_cases[] = {
        {U_CARA, "{\"department\":\"Sales\"}", 0, "[\"department\"]", NULL, "department=\"Sales\""},
        {U_CARA, "{\"Department\":\"Sales\"}", 0, "[]", NULL, NULL},
        {U_CARA, "{\"department\":\"\"}", 0, "[\"department\"]", NULL, "department=null"},
        {U_CARA, "{\"employeeOrgData\":{\"costCenter\":\"CC1\"}}", 0,
         "[\"employeeOrgData/costCenter\"]", NULL,
         "employeeOrgData={\"division\":null,\"costCenter\":\"CC1\"}"},
        {U_CARA, "{\"employeeOrgData/division\":\"North\"}", 0, "[\"employeeOrgData/division\"]",
         NULL, "employeeOrgData={\"division\":\"North\",\"costCenter\":\"CC1\"}"},
        {U_CARA, "{\"employeeOrgData/division\":null,\"employeeOrgData/costCenter\":null}", 0,
         "[\"employeeOrgData/division\",\"employeeOrgData/costCenter\"]", NULL,
         "employeeOrgData=null"},
        {U_CARA, "{\"onPremisesExtensionAttributes/extensionattribute3\":\"x\"}", 0,
         "[\"onPremisesExtensionAttributes/extensionAttribute3\"]", NULL, NULL},
        {U_CARA, "{\"onPremisesExtensionAttributes\":null}", 0,
         "[\"onPremisesExtensionAttributes/extensionAttribute3\"]", NULL, NULL},
        {U_CARA, "{\"employeeHireDate\":\"2026-03-01\",\"usageLocation\":\"de\"}", 0,
         "[\"employeeHireDate\",\"usageLocation\"]", NULL,
         "employeeHireDate=\"2026-03-01T00:00:00Z\""},
        {U_CARA, "{\"employeeLeaveDateTime\":\"2026-03-01T10:00:00+02:00\"}", 0,
         "[\"employeeLeaveDateTime\"]", NULL, "employeeLeaveDateTime=\"2026-03-01T08:00:00Z\""},
        {U_CARA, "{\"userType\":\"guest\"}", 0, "[\"userType\"]", NULL, "userType=\"Guest\""},
        {U_CARA, "{\"otherMails\":\"c@home.example\"}", 0, "[\"otherMails\"]", NULL,
         "otherMails=[\"c@home.example\"]"},
        {U_CARA, "{\"businessPhones\":[\"+1 555\"]}", 0, "[\"businessPhones\"]", NULL, NULL},
        {U_CARA, "{\"userPrincipalName\":\"cara.c@contoso.example\"}", 0, "[\"userPrincipalName\"]",
         NULL, "userPrincipalName=\"cara.c@contoso.example\""},
        /* Refused, and nothing of the body is applied. */
        {U_CARA, "{\"jobTitle\":\"Boss\",\"foo\":\"x\"}", LCW_EINVAL, NULL,
         "'foo' is not a writable user property", "jobTitle=null"},
        {U_CARA, "{\"accountEnabled\":\"true\"}", LCW_EINVAL, NULL,
         "use the Enable or Disable user account task", NULL},
        {U_CARA, "{\"assignedLicenses\":null}", LCW_EINVAL, NULL, "use the license tasks", NULL},
        {U_CARA, "{\"createdDateTime\":\"2020-01-01\"}", LCW_EINVAL, NULL, "createdDateTime", NULL},
        {U_CARA, "{\"signInSessionsValidFromDateTime\":null}", LCW_EINVAL, NULL,
         "Revoke all refresh tokens", NULL},
        {U_CARA, "{\"#lcw.managerId\":null}", LCW_EINVAL, NULL, "not a writable", NULL},
        {U_CARA, "{\"displayName\":null}", LCW_EINVAL, NULL, "required", NULL},
        {U_CARA, "{\"department\":5}", LCW_EINVAL, NULL, "expected a string", NULL},
        {U_CARA, "{\"employeeHireDate\":\"soon\"}", LCW_EINVAL, NULL, "RFC 3339", NULL},
        {U_CARA, "{\"mail\":\"nope\"}", LCW_EINVAL, NULL, "alias@domain", NULL},
        {U_CARA, "{\"usageLocation\":\"USA\"}", LCW_EINVAL, NULL, "usageLocation", NULL},
        {U_CARA, "{\"employeeOrgData\":{\"floor\":\"1\"}}", LCW_EINVAL, NULL,
         "'floor' does not exist", NULL},
        {U_CARA, "{\"employeeOrgData\":\"x\"}", LCW_EINVAL, NULL, "expected an object", NULL},
        {U_CARA, "{\"department/x\":\"y\"}", LCW_EINVAL, NULL, "has no members", NULL},
        {U_CARA, "{\"businessPhones\":[\"1\",\"2\"]}", LCW_EINVAL, NULL, "at most 1 value", NULL},
        {U_CARA,
         "{\"givenName\":\"0123456789012345678901234567890123456789012345678901234567890"
         "123456789\"}",
         LCW_EINVAL, NULL, "longer than 64", NULL},
        {U_CARA, "{\"userPrincipalName\":\"ADELE@contoso.example\"}", LCW_ECONFLICT, NULL,
         "already used by another user", NULL},
        {U_CARA, "{\"userPrincipalName\":\"gone@contoso.example\"}", LCW_ECONFLICT, NULL,
         "already used", NULL},
        {U_GONE, "{\"department\":\"x\"}", LCW_ENOTFOUND, NULL, "does not exist", NULL},
        {U_NONE, "{\"department\":\"x\"}", LCW_ENOTFOUND, NULL, "does not exist", NULL},
};

static void test_dir__user_update__table(void **state)
{
    struct dir_fixture *f = *state;

    for (size_t i = 0; i < sizeof(update_cases) / sizeof(update_cases[0]); i++) {
        const struct update_case *c = &update_cases[i];
        struct lcw_error err = {0};
        json_t *attrs = json_loads(c->attrs, 0, NULL), *changed = NULL;
        int64_t before = n_changes(f);
        int rc;

        print_message("case %zu: %s\n", i, c->attrs);
        assert_non_null(attrs);
        rc = dir_user_update(f->d, NULL, c->user, attrs, &changed, &err);
        if (rc != c->rc)
            fail_msg("case %zu: rc %s (%s), want %s", i, lcw_err_name(rc), err.msg,
                     lcw_err_name(c->rc));
        if (rc == 0) {
            assert_json(changed, c->changed);
            assert_int_equal(n_changes(f), before + (int64_t)json_array_size(changed));
        } else {
            assert_null(changed);
            if (!strstr(err.msg, c->msg))
                fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, c->msg);
            assert_int_equal(n_changes(f), before);
        }
        if (c->check) {
            const char *eq = strchr(c->check, '=');
            char prop[64];
            json_t *doc = stored(f, c->user);

            lcw_strlcpy(prop, c->check, (size_t)(eq - c->check) + 1);
            assert_json(json_object_get(doc, prop), eq + 1);
            json_decref(doc);
        }
        json_decref(changed);
        json_decref(attrs);
    }
}

static void test_dir__user_update__records_old_and_new_json(void **state)
{
    struct dir_fixture *f = *state;
    struct lcw_error err = {0};
    json_t *attrs = json_pack("{s:s, s:{s:s}}", "department", "Marketing", "employeeOrgData",
                              "costCenter", "C9");
    struct lines l;
    json_t *doc;

    assert_int_equal(dir_user_update(f->d, NULL, U_BOB, attrs, NULL, &err), 0);
    json_decref(attrs);
    changes(f, &l);
    assert_string_equal(l.text, "attribute|" U_BOB "|department|\"Sales\"|\"Marketing\"\n"
                                "attribute|" U_BOB "|employeeOrgData/costCenter|null|\"C9\"\n");
    assert_int_equal(query_int(f, "SELECT COUNT(*) FROM users WHERE cost_center = ?", "C9"), 1);
    doc = stored(f, U_BOB);
    assert_string_equal(jsonx_str(doc, "#lcw.managerId"), U_ADELE);
    json_decref(doc);
}

static void test_dir__changes_each__window_and_order(void **state)
{
    struct dir_fixture *f = *state;
    struct lcw_error err = {0};
    bool changed = false;
    struct lines l = {{0}};

    dfx_clock_ms = NOW_MS + 10;
    assert_int_equal(dir_member_add(f->d, NULL, G_SALES, U_CARA, &changed, &err), 0);
    dfx_clock_ms = NOW_MS + 20;
    assert_int_equal(dir_user_set_enabled(f->d, NULL, U_CARA, true, &changed, &err), 0);
    dfx_clock_ms = NOW_MS + 30;
    assert_int_equal(dir_member_remove(f->d, NULL, G_SALES, U_CARA, &changed, &err), 0);
    assert_int_equal(dir_changes_each(f->d, NULL, NOW_MS + 10, NOW_MS + 30, change_line, &l, &err),
                     0);
    assert_string_equal(l.text, "memberAdded|" U_CARA "|" G_SALES "|-|" U_CARA "\n"
                                "attribute|" U_CARA "|accountEnabled|false|true\n");
    l.text[0] = '\0';
    assert_int_equal(dir_changes_each(f->d, NULL, NOW_MS + 30, NOW_MS + 30, change_line, &l, &err),
                     0);
    assert_string_equal(l.text, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_dir__user_get__live_users_only_without_bookkeeping,
                                            dfx_setup, dfx_teardown),
            cmocka_unit_test_setup_teardown(test_dir__user_manager__found_none_and_deleted,
                                            dfx_setup, dfx_teardown),
            cmocka_unit_test_setup_teardown(test_dir__users_each__live_users_in_id_order_and_stops,
                                            dfx_setup, dfx_teardown),
            cmocka_unit_test_setup_teardown(test_dir__groups__of_user_members_and_get, dfx_setup,
                                            dfx_teardown),
            cmocka_unit_test_setup_teardown(
                    test_dir__set_enabled__changes_records_and_keeps_the_doc, dfx_setup,
                    dfx_teardown),
            cmocka_unit_test_setup_teardown(test_dir__caller_tx__is_used_and_rolls_back, dfx_setup,
                                            dfx_teardown),
            cmocka_unit_test_setup_teardown(test_dir__revoke_sessions__sets_the_time, dfx_setup,
                                            dfx_teardown),
            cmocka_unit_test_setup_teardown(test_dir__delete__soft_delete_with_records, dfx_setup,
                                            dfx_teardown),
            cmocka_unit_test_setup_teardown(test_dir__member_add_remove__records_and_no_ops,
                                            dfx_setup, dfx_teardown),
            cmocka_unit_test_setup_teardown(test_dir__licenses_assign__names_capacity_and_records,
                                            dfx_setup, dfx_teardown),
            cmocka_unit_test_setup_teardown(test_dir__licenses_remove__selected_and_all, dfx_setup,
                                            dfx_teardown),
            cmocka_unit_test_setup_teardown(test_dir__user_update__table, dfx_setup, dfx_teardown),
            cmocka_unit_test_setup_teardown(test_dir__user_update__records_old_and_new_json,
                                            dfx_setup, dfx_teardown),
            cmocka_unit_test_setup_teardown(test_dir__changes_each__window_and_order, dfx_setup,
                                            dfx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
