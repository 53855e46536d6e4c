/* SPDX-License-Identifier: MIT */
/*
 * The local task executors (src/tasks/directory_tasks.c) and the registry
 * against the embedded directory on a real SQLite file: a scenario table
 * runs each executor's success, no-op and failure paths in order on one
 * seeded directory, asserting the outcome, a message substring, and that a
 * failed task changed nothing (no directory change record, no membership).
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
#include "lcw/model.h"
#include "lcw/store.h"
#include "lcw/tasks.h"

#include "dir_fixture.h"

static int64_t query_int(struct dir_fixture *f, const char *sql)
{
    struct lcw_error err = {0};
    struct store_tx tx;
    int64_t n = -1;

    assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_READ, &err), 0);
    assert_int_equal(store_query_int(&tx, sql, NULL, 0, &n, &err), 0);
    store_tx_rollback(&tx);
    return n;
}

/* Everything a failed task must leave alone. */
struct snapshot {
    int64_t n_changes;
    int64_t n_members;
    char *users; /* every stored user doc, concatenated */
};

static int concat_row(void *ctx, const struct store_val *cols, size_t n)
{
    struct buf *b = ctx;

    assert_true(n == 1 && cols[0].kind == STORE_TEXT);
    return buf_puts(b, cols[0].s);
}

static void snap(struct dir_fixture *f, struct snapshot *s)
{
    struct lcw_error err = {0};
    struct store_tx tx;
    struct buf b;

    buf_init(&b, 1 << 20);
    s->n_changes = query_int(f, "SELECT COUNT(*) FROM directory_changes");
    s->n_members = query_int(f, "SELECT COUNT(*) FROM group_members");
    assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_READ, &err), 0);
    assert_int_equal(store_exec(&tx, "SELECT doc FROM users ORDER BY pk", NULL, 0, concat_row, &b,
                                NULL, &err),
                     0);
    store_tx_rollback(&tx);
    s->users = buf_detach(&b);
}

/* Run one task for `user_id` in a write transaction, as the engine does, and commit. */
static int run_task(struct dir_fixture *f, const char *def_id, const char *args_json,
                    const char *user_id, struct task_report *r, struct lcw_error *err)
{
    const struct task_executor *x = tasks_find(def_id);
    struct task_env env = {f->d, f->store, &dfx_fake_clock, NULL};
    json_t *task = json_pack("{s:s, s:s, s:s, s:o}", "id", "task-1", "displayName", "t",
                             "taskDefinitionId", def_id, "arguments",
                             args_json ? json_loads(args_json, 0, NULL) : json_array());
    json_t *user = json_pack("{s:s}", "id", user_id);
    struct task_call call = {0};
    struct store_tx tx;
    int rc;

    assert_non_null(x);
    assert_false(x->is_remote);
    assert_non_null(task);
    call.env = &env;
    call.tx = &tx;
    call.task = task;
    call.user = user;
    call.now_ms = dfx_clock_ms;
    call.attempt = 1;
    memset(r, 0, sizeof(*r));
    assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_WRITE, err), 0);
    rc = x->run(&call, r, err);
    if (rc)
        store_tx_rollback(&tx);
    else
        assert_int_equal(store_tx_commit(&tx, err), 0);
    json_decref(task);
    json_decref(user);
    return rc;
}

#define ENABLE  "6fc52c9d-398b-4305-9763-15f42c1676fc"
#define DISABLE "1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950"
#define DELETE  "8d18588d-9ad3-4c0f-99d0-ec215f0e3dff"
#define ADD_G   "22085229-5809-45e8-97fd-270d28d66910"
#define REM_G   "1953a66c-751c-45e5-8bfe-01462c70da3c"
#define REM_AG  "b3a31406-2a15-4c9a-b25b-a658fa5f07fc"
#define ADD_T   "e440ed8d-25a1-4618-84ce-091ed5be5594"
#define REM_T   "06aa7acb-01af-4824-8899-b14e5ed788d6"
#define REM_AT  "81f7b200-2816-4b3b-8c5d-dc556f07b024"
#define ASSIGN  "683c87a4-2ad4-420b-97d4-220d90afcd24"
#define REM_L   "5fc402a8-daaf-4b7b-9203-da868b05fc5f"
#define REM_AL  "8fa97d28-3e52-4985-b3a9-a1126f9b8b4e"
#define REVOKE  "509589a4-0466-4471-829e-49c5e502bdee"
#define ATTRS   MODEL_TASKDEF_UPDATE_ATTRS
#define AP_REQ  "c1ec1e76-f374-4375-aaa6-0bb6bd4c60be"
#define AP_REM  "4a0b64f2-c7ec-46ba-b117-18f262946c50"
#define AP_ALL  "42ae2956-193d-4f39-be06-691b8ac4fa1d"
#define AP_CAN  "498770d9-bab7-4e4c-b73d-5ded82a1d0b3"

#define ARG(n, v) "[{\"name\":\"" n "\",\"value\":\"" v "\"}]"

struct step {
    const char *def;
    const char *user;
    const char *args; /* JSON array of {name, value}, or NULL */
    enum task_outcome outcome;
    const char *msg;   /* '=' + the whole message, '^' + its start, or a substring */
    bool is_unchanged; /* nothing in the directory may change */
};

/* Rows run in order on one seeded directory; each sees the ones before. */
static const struct step steps[] = {
        /* Accounts. */
        {ENABLE, U_CARA, NULL, TASK_COMPLETED, "=Enabled the user account", false},
        {ENABLE, U_CARA, NULL, TASK_COMPLETED, "=User account was already enabled", true},
        {ENABLE, U_CARA, ARG("enableOnPremisesAccount", "true"), TASK_COMPLETED,
         "=User account was already enabled. 'enableOnPremisesAccount' changed nothing: the "
         "embedded directory has no on-premises accounts",
         true},
        {DISABLE, U_CARA, ARG("disableOnPremisesAccount", "True"), TASK_COMPLETED,
         "^Disabled the user account. 'disableOnPremisesAccount' changed nothing", false},
        {DISABLE, U_CARA, ARG("disableOnPremisesAccount", "false"), TASK_COMPLETED,
         "=User account was already disabled", true},
        {DISABLE, U_NONE, NULL, TASK_FAILED, "=user '" U_NONE "' no longer exists", true},
        {ENABLE, U_GONE, NULL, TASK_FAILED, "=user '" U_GONE "' no longer exists", true},
        /* Selected groups. */
        {ADD_G, U_CARA, ARG("groupID", G_SALES " , " G_ALL ","), TASK_COMPLETED,
         "=Added to 2 groups: Sales, All employees", false},
        {ADD_G, U_CARA, ARG("groupID", G_SALES), TASK_COMPLETED,
         "=User was already a member of group 'Sales' (" G_SALES ")", true},
        {ADD_G, U_CARA, ARG("groupID", G_SALES "," G_ALL), TASK_COMPLETED,
         "=User was already a member of 2 groups: Sales, All employees", true},
        {ADD_G, U_CARA, ARG("groupID", G_NONE), TASK_FAILED, "=group '" G_NONE "' does not exist",
         true},
        {ADD_G, U_CARA, ARG("groupID", " , "), TASK_FAILED,
         "=The 'groupID' argument names no group", true},
        {ADD_G, U_CARA, NULL, TASK_FAILED, "names no group", true},
        {ADD_G, U_NONE, ARG("groupID", G_SALES), TASK_FAILED, "no longer exists", true},
        /* Partial: the good group is processed, the task fails naming the bad one. */
        {ADD_G, U_ADELE, ARG("groupID", G_NONE "," G_SALES "," G_ALL), TASK_FAILED,
         "=group '" G_NONE "' does not exist. Added to 1 group: Sales. User was already a member "
         "of group 'All employees' (" G_ALL ")",
         false},
        {REM_G, U_CARA, ARG("groupID", G_SALES), TASK_COMPLETED, "=Removed from 1 group: Sales",
         false},
        {REM_G, U_CARA, ARG("groupID", G_SALES), TASK_COMPLETED,
         "=User was not a member of group 'Sales' (" G_SALES ")", true},
        {REM_G, U_CARA, ARG("groupID", G_NONE), TASK_FAILED, "=group '" G_NONE "' does not exist",
         true},
        /* Teams. */
        {ADD_T, U_CARA, ARG("teamID", G_TEAM), TASK_COMPLETED, "=Added to 1 Team: Team Phoenix",
         false},
        {ADD_T, U_CARA, ARG("teamID", G_TEAM), TASK_COMPLETED,
         "=User was already a member of Team 'Team Phoenix' (" G_TEAM ")", true},
        {ADD_T, U_CARA, ARG("teamID", G_SALES), TASK_FAILED, "=group '" G_SALES "' is not a Team",
         true},
        {REM_T, U_CARA, ARG("teamID", G_ALL), TASK_FAILED, "=group '" G_ALL "' is not a Team",
         true},
        {REM_T, U_CARA, ARG("teamID", G_TEAM), TASK_COMPLETED, "=Removed from 1 Team: Team Phoenix",
         false},
        {REM_T, U_CARA, ARG("teamID", G_TEAM), TASK_COMPLETED,
         "=User was not a member of Team 'Team Phoenix' (" G_TEAM ")", true},
        {ADD_T, U_CARA, ARG("teamID", ""), TASK_FAILED, "=The 'teamID' argument names no Team",
         true},
        /* All Teams, then all groups (Bob: Sales, All employees, Team Phoenix). */
        {REM_AT, U_BOB, NULL, TASK_COMPLETED, "=Removed from 1 Team: Team Phoenix", false},
        {REM_AT, U_BOB, NULL, TASK_COMPLETED, "=User was not a member of any Team", true},
        {REM_AG, U_BOB, NULL, TASK_COMPLETED, "=Removed from 2 groups: Sales, All employees",
         false},
        {REM_AG, U_BOB, NULL, TASK_COMPLETED, "=User was not a member of any group", true},
        {REM_AG, U_NONE, NULL, TASK_FAILED, "no longer exists", true},
        /* Licences. */
        {ASSIGN, U_CARA, ARG("licenses", "enterprisepack"), TASK_COMPLETED,
         "=Assigned 1 license: enterprisepack", false},
        {ASSIGN, U_CARA, ARG("licenses", SKU_E3), TASK_COMPLETED,
         "=User already had license '" SKU_E3 "'", true},
        {ASSIGN, U_CARA, ARG("licenses", "NOPE"), TASK_FAILED,
         "=license 'NOPE' is not one of the tenant's subscribed SKUs", true},
        {ASSIGN, U_CARA, ARG("licenses", "EMS"), TASK_FAILED, "no available units", true},
        {ASSIGN, U_CARA, ARG("licenses", ""), TASK_FAILED,
         "=The 'licenses' argument names no license", true},
        {ASSIGN, U_NONE, ARG("licenses", "EMS"), TASK_FAILED, "no longer exists", true},
        {REM_L, U_CARA, ARG("licenses", "EMS,ENTERPRISEPACK"), TASK_COMPLETED,
         "=Removed 1 license: ENTERPRISEPACK. User did not have license 'EMS'", false},
        {REM_L, U_CARA, ARG("licenses", "NOPE"), TASK_FAILED, "'NOPE' is not one of", true},
        {REM_AL, U_BOB, NULL, TASK_COMPLETED, "=Removed 2 licenses (skuId " SKU_E3 ", " SKU_EMS ")",
         false},
        {REM_AL, U_BOB, NULL, TASK_COMPLETED, "=User had no licenses", true},
        {REM_AL, U_GONE, NULL, TASK_FAILED, "no longer exists", true},
        /* Refresh tokens. */
        {REVOKE, U_ADELE, NULL, TASK_COMPLETED,
         "=Revoked all refresh tokens and sign-in sessions: sign-ins before 2026-01-01T00:00:00Z "
         "are no longer valid",
         false},
        {REVOKE, U_NONE, NULL, TASK_FAILED, "no longer exists", true},
        /* Attributes. */
        {ATTRS, U_CARA,
         ARG("attributes", "{\\\"department\\\":\\\"Sales\\\",\\\"employeeOrgData/"
                           "costCenter\\\":\\\"CC1\\\"}"),
         TASK_COMPLETED, "=Updated 2 attributes: department, employeeOrgData/costCenter", false},
        {ATTRS, U_CARA, ARG("attributes", "{\\\"department\\\":\\\"Sales\\\"}"), TASK_COMPLETED,
         "=User attributes already had the requested values (department)", true},
        {ATTRS, U_CARA,
         ARG("attributes", "{\\\"jobTitle\\\":\\\"Lead\\\",\\\"assignedLicenses\\\":null}"),
         TASK_FAILED, "'assignedLicenses' is not a writable user property", true},
        {ATTRS, U_CARA,
         ARG("attributes", "{\\\"userPrincipalName\\\":\\\"bob@contoso.example\\\"}"), TASK_FAILED,
         "already used by another user", true},
        {ATTRS, U_CARA, ARG("attributes", "not json"), TASK_FAILED,
         "'attributes' argument must be a JSON object", true},
        {ATTRS, U_CARA, ARG("attributes", "{}"), TASK_FAILED, "must be a JSON object", true},
        {ATTRS, U_CARA, NULL, TASK_FAILED, "must be a JSON object", true},
        {ATTRS, U_NONE, ARG("attributes", "{\\\"department\\\":null}"), TASK_FAILED,
         "no longer exists", true},
        /* Access packages. */
        {AP_REQ, U_CARA, NULL, TASK_FAILED,
         "=Access packages are not supported by the embedded directory", true},
        {AP_REM, U_CARA, NULL, TASK_FAILED, "not supported", true},
        {AP_ALL, U_CARA, NULL, TASK_FAILED, "not supported", true},
        {AP_CAN, U_CARA, NULL, TASK_FAILED, "not supported", true},
        /* Delete last: a soft delete, then a no-op. */
        {DELETE, U_ADELE, ARG("deleteOnPremisesAccount", "true"), TASK_COMPLETED,
         "^Deleted the user account and removed its group memberships; it can be restored for 30 "
         "days. 'deleteOnPremisesAccount' changed nothing",
         false},
        {DELETE, U_ADELE, NULL, TASK_COMPLETED, "=User account was already deleted", true},
        {DELETE, U_NONE, NULL, TASK_FAILED, "=user '" U_NONE "' no longer exists", true},
};

static void test_tasks__local_executors__scenario(void **state)
{
    struct dir_fixture *f = *state;

    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        const struct step *s = &steps[i];
        struct lcw_error err = {0};
        struct task_report r;
        struct snapshot before, after;
        bool is_match;

        snap(f, &before);
        assert_int_equal(run_task(f, s->def, s->args, s->user, &r, &err), 0);
        snap(f, &after);
        if (s->msg[0] == '=')
            is_match = strcmp(r.message, s->msg + 1) == 0;
        else if (s->msg[0] == '^')
            is_match = strncmp(r.message, s->msg + 1, strlen(s->msg + 1)) == 0;
        else
            is_match = strstr(r.message, s->msg) != NULL;
        if (r.outcome != s->outcome || !is_match)
            fail_msg("step %zu (%s): outcome %d message \"%s\"; want %d \"%s\"", i, s->def,
                     r.outcome, r.message, s->outcome, s->msg);
        if (s->is_unchanged) {
            if (after.n_changes != before.n_changes || after.n_members != before.n_members ||
                strcmp(after.users, before.users) != 0)
                fail_msg("step %zu (%s): the directory changed", i, s->def);
        } else if (after.n_changes == before.n_changes) {
            fail_msg("step %zu (%s): nothing was recorded", i, s->def);
        }
        lcw_free(before.users);
        lcw_free(after.users);
    }
}

static void test_tasks__outcomes__land_in_the_directory(void **state)
{
    struct dir_fixture *f = *state;
    struct lcw_error err = {0};
    struct task_report r;
    json_t *u = NULL, *groups = NULL;

    assert_int_equal(run_task(f, DISABLE, NULL, U_BOB, &r, &err), 0);
    assert_int_equal(run_task(f, REM_AG, NULL, U_BOB, &r, &err), 0);
    assert_int_equal(run_task(f, REM_AL, NULL, U_BOB, &r, &err), 0);
    assert_int_equal(run_task(f, REVOKE, NULL, U_BOB, &r, &err), 0);
    assert_int_equal(run_task(f, ATTRS, ARG("attributes", "{\\\"jobTitle\\\":\\\"Alumnus\\\"}"),
                              U_BOB, &r, &err),
                     0);
    assert_int_equal(dir_user_get(f->d, NULL, U_BOB, &u, &err), 0);
    assert_true(json_is_false(json_object_get(u, "accountEnabled")));
    assert_int_equal(json_array_size(json_object_get(u, "assignedLicenses")), 0);
    assert_string_equal(jsonx_str(u, "jobTitle"), "Alumnus");
    assert_string_equal(jsonx_str(u, "signInSessionsValidFromDateTime"), "2026-01-01T00:00:00Z");
    json_decref(u);
    assert_int_equal(dir_user_groups(f->d, NULL, U_BOB, &groups, &err), 0);
    assert_int_equal(json_array_size(groups), 0);
    json_decref(groups);
    /* One record per change: account, 3 memberships, licences, sessions, jobTitle. */
    assert_int_equal(query_int(f, "SELECT COUNT(*) FROM directory_changes"), 7);
}

static void test_tasks__registry__find_and_arguments(void **state)
{
    static const char *const local[] = {ENABLE, DISABLE, DELETE, ADD_G,  REM_G,  REM_AG,
                                        ADD_T,  REM_T,   REM_AT, ASSIGN, REM_L,  REM_AL,
                                        REVOKE, ATTRS,   AP_REQ, AP_REM, AP_ALL, AP_CAN};
    json_t *task = json_pack("{s:[{s:s, s:s}, {s:s, s:n}]}", "arguments", "name", "groupID",
                             "value", "g1", "name", "other", "value");

    (void)state;
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
        const struct task_executor *x = tasks_find(local[i]);

        assert_non_null(x);
        assert_false(x->is_remote);
        assert_non_null(model_task_definition_find(local[i]));
        assert_true(lcw_str_eq_ci(x->definition_id, local[i]));
    }
    assert_ptr_equal(tasks_find("6FC52C9D-398B-4305-9763-15F42C1676FC"), tasks_find(ENABLE));
    assert_null(tasks_find("00000000-0000-4000-8000-000000000000"));
    assert_null(tasks_find(NULL));
    assert_string_equal(tasks_arg(task, "GROUPID"), "g1");
    assert_null(tasks_arg(task, "other")); /* not a string */
    assert_null(tasks_arg(task, "missing"));
    assert_null(tasks_arg(NULL, "groupID"));
    json_decref(task);
}

static void test_tasks__can_run__only_access_packages_refuse(void **state)
{
    static const char *const ap[] = {AP_REQ, AP_REM, AP_ALL, AP_CAN};
    char reason[128];

    (void)state;
    for (size_t i = 0; i < 4; i++) {
        const struct task_executor *x = tasks_find(ap[i]);

        reason[0] = '\0';
        assert_non_null(x->can_run);
        assert_false(x->can_run(NULL, NULL, reason, sizeof(reason)));
        assert_string_equal(reason, "Access packages are not supported by the embedded directory");
    }
    assert_null(tasks_find(ENABLE)->can_run);
    assert_null(tasks_find(REM_AG)->can_run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_tasks__local_executors__scenario, dfx_setup,
                                            dfx_teardown),
            cmocka_unit_test_setup_teardown(test_tasks__outcomes__land_in_the_directory, dfx_setup,
                                            dfx_teardown),
            cmocka_unit_test(test_tasks__registry__find_and_arguments),
            cmocka_unit_test(test_tasks__can_run__only_access_packages_refuse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
