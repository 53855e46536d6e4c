/* SPDX-License-Identifier: MIT */
/* The seeded directory fixture shared by the dir/ and tasks/ unit tests. */
#include "dir_fixture.h"

#include "temp_store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lcw/jsonx.h"

int64_t dfx_clock_ms = NOW_MS;

int64_t dfx_fake_now(void *ctx)
{
    return *(int64_t *)ctx;
}

const struct lcw_clock dfx_fake_clock = {dfx_fake_now, &dfx_clock_ms};

/* ------------------------------------------------------------- seeding */

/* A user document with every property, as api__user_build writes it. */
json_t *dfx_user_doc(const char *id, const char *upn, const char *name)
{
    static const char *const props[] = {"id",
                                        "displayName",
                                        "givenName",
                                        "surname",
                                        "userPrincipalName",
                                        "mail",
                                        "mailNickname",
                                        "otherMails",
                                        "accountEnabled",
                                        "userType",
                                        "department",
                                        "jobTitle",
                                        "companyName",
                                        "employeeId",
                                        "employeeType",
                                        "employeeHireDate",
                                        "employeeLeaveDateTime",
                                        "employeeOrgData",
                                        "officeLocation",
                                        "streetAddress",
                                        "city",
                                        "state",
                                        "postalCode",
                                        "country",
                                        "usageLocation",
                                        "preferredLanguage",
                                        "businessPhones",
                                        "mobilePhone",
                                        "faxNumber",
                                        "onPremisesExtensionAttributes",
                                        "assignedLicenses",
                                        "createdDateTime",
                                        "signInSessionsValidFromDateTime",
                                        "deletedDateTime",
                                        NULL};
    json_t *doc = json_object(), *ext = json_object();
    char nick[64];
    char key[32];

    for (int i = 1; i <= 15; i++) {
        (void)snprintf(key, sizeof(key), "extensionAttribute%d", i);
        json_object_set_new(ext, key, json_null());
    }
    for (size_t i = 0; props[i]; i++) {
        const char *p = props[i];
        json_t *v;

        if (!strcmp(p, "otherMails") || !strcmp(p, "businessPhones") ||
            !strcmp(p, "assignedLicenses"))
            v = json_array();
        else if (!strcmp(p, "accountEnabled"))
            v = json_true();
        else if (!strcmp(p, "onPremisesExtensionAttributes"))
            v = json_incref(ext);
        else
            v = json_null();
        json_object_set_new(doc, p, v);
    }
    json_decref(ext);
    lcw_strlcpy(nick, upn, (size_t)(strchr(upn, '@') - upn) + 1);
    json_object_set_new(doc, "id", json_string(id));
    json_object_set_new(doc, "displayName", json_string(name));
    json_object_set_new(doc, "userPrincipalName", json_string(upn));
    json_object_set_new(doc, "mailNickname", json_string(nick));
    json_object_set_new(doc, "userType", json_string("Member"));
    json_object_set_new(doc, "createdDateTime", json_string("2025-01-01T00:00:00Z"));
    json_object_set_new(doc, "signInSessionsValidFromDateTime",
                        json_string("2025-01-01T00:00:00Z"));
    return doc;
}

json_t *dfx_group_doc(const char *id, const char *name, bool is_team)
{
    return json_pack("{s:s, s:s, s:n, s:n, s:n, s:b, s:b, s:[], s:o, s:n, s:s, s:n}", "id", id,
                     "displayName", name, "description", "mailNickname", "mail", "mailEnabled", 0,
                     "securityEnabled", 1, "groupTypes", "resourceProvisioningOptions",
                     is_team ? json_pack("[s]", "Team") : json_array(), "visibility",
                     "createdDateTime", "2025-01-01T00:00:00Z", "deletedDateTime");
}

json_t *dfx_sku(const char *id, const char *part, int units)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:i, s:i, s:i, s:i}, s:[]}", "id", id, "skuId",
                     id, "skuPartNumber", part, "capabilityStatus", "Enabled", "appliesTo", "User",
                     "prepaidUnits", "enabled", units, "suspended", 0, "warning", 0, "lockedOut", 0,
                     "servicePlans");
}

void dfx_put_user(struct store_tx *tx, json_t *doc)
{
    struct lcw_error err = {0};

    assert_int_equal(store_entity_put(tx, &store_ent_user, jsonx_str(doc, "id"), NULL, doc, &err),
                     0);
    json_decref(doc);
}

void dfx_member(struct store_tx *tx, const char *g, const char *u)
{
    struct lcw_error err = {0};
    bool added = false;

    assert_int_equal(store_member_add(tx, g, u, NOW_MS - 1000, &added, &err), 0);
    assert_true(added);
}

/*
 * Adele (E3, enabled), Bob (manager Adele; Sales, All employees, Team
 * Phoenix; E3 and EMS), Cara (disabled, no groups), a soft-deleted user who
 * still has a stale membership row, three groups and three SKUs (EMS has
 * one unit, held by Bob; Power BI none).
 */
void dfx_seed(struct store *s)
{
    struct lcw_error err = {0};
    struct store_tx tx;
    json_t *doc, *skus;

    assert_int_equal(store_tx_begin(s, &tx, STORE_TX_WRITE, &err), 0);
    doc = dfx_user_doc(U_ADELE, "adele@contoso.example", "Adele Vance");
    json_object_set_new(doc, "assignedLicenses",
                        json_pack("[{s:s, s:[]}]", "skuId", SKU_E3, "disabledPlans"));
    dfx_put_user(&tx, doc);
    doc = dfx_user_doc(U_BOB, "bob@contoso.example", "Bob Kelly");
    json_object_set_new(doc, "#lcw.managerId", json_string(U_ADELE));
    json_object_set_new(doc, "department", json_string("Sales"));
    json_object_set_new(doc, "assignedLicenses",
                        json_pack("[{s:s, s:[]}, {s:s, s:[]}]", "skuId", SKU_E3, "disabledPlans",
                                  "skuId", SKU_EMS, "disabledPlans"));
    dfx_put_user(&tx, doc);
    doc = dfx_user_doc(U_CARA, "cara@contoso.example", "Cara Coleman");
    json_object_set_new(doc, "accountEnabled", json_false());
    json_object_set_new(doc, "#lcw.managerId", json_string(U_GONE));
    dfx_put_user(&tx, doc);
    doc = dfx_user_doc(U_GONE, "gone@contoso.example", "Gone User");
    json_object_set_new(doc, "deletedDateTime", json_string("2025-12-01T00:00:00Z"));
    dfx_put_user(&tx, doc);
    doc = dfx_group_doc(G_SALES, "Sales", false);
    assert_int_equal(store_entity_put(&tx, &store_ent_group, G_SALES, NULL, doc, &err), 0);
    json_decref(doc);
    doc = dfx_group_doc(G_ALL, "All employees", false);
    assert_int_equal(store_entity_put(&tx, &store_ent_group, G_ALL, NULL, doc, &err), 0);
    json_decref(doc);
    doc = dfx_group_doc(G_TEAM, "Team Phoenix", true);
    assert_int_equal(store_entity_put(&tx, &store_ent_group, G_TEAM, NULL, doc, &err), 0);
    json_decref(doc);
    dfx_member(&tx, G_SALES, U_BOB);
    dfx_member(&tx, G_ALL, U_BOB);
    dfx_member(&tx, G_TEAM, U_BOB);
    dfx_member(&tx, G_ALL, U_ADELE);
    dfx_member(&tx, G_ALL, U_GONE);
    skus = json_pack("[o, o, o]", dfx_sku(SKU_E3, "ENTERPRISEPACK", 50), dfx_sku(SKU_EMS, "EMS", 1),
                     dfx_sku(SKU_PBI, "POWER_BI_PRO", 0));
    assert_int_equal(store_kv_put(&tx, "subscribedSkus", skus, &err), 0);
    json_decref(skus);
    assert_int_equal(store_tx_commit(&tx, &err), 0);
}

int dfx_setup(void **state)
{
    struct dir_fixture *f = calloc(1, sizeof(*f));
    struct lcw_error err = {0};

    lcw_alloc_install_jansson();
    assert_int_equal(lcw_crypto_init(), 0);
    dfx_clock_ms = NOW_MS;
    assert_int_equal(temp_store_open("dirfx", f->dir, f->url, &f->store, &err), 0);
    assert_int_equal(dir_open_embedded(f->store, &dfx_fake_clock, &f->d, &err), 0);
    dfx_seed(f->store);
    *state = f;
    return 0;
}

int dfx_teardown(void **state)
{
    struct dir_fixture *f = *state;

    dir_close(f->d);
    store_close(f->store);
    temp_store_remove(f->dir);
    free(f);
    return 0;
}
