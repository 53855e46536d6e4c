/* SPDX-License-Identifier: MIT */
/*
 * The store against a real SQLite file: migrations, transactions (commit and
 * rollback), the entity layer (put/get/delete/list with filters and keyset
 * paging), tokens, key/value documents and memberships.
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
#include "lcw/jsonx.h"
#include "lcw/store.h"

#include "temp_store.h"

struct fixture {
    char dir[64];
    char url[128];
    struct store *store;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct lcw_error err = {0};

    lcw_crypto_init();
    assert_int_equal(temp_store_open("store", f->dir, f->url, &f->store, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    store_close(f->store);
    temp_store_remove(f->dir);
    free(f);
    return 0;
}

static json_t *workflow(const char *id, const char *name, const char *category, bool enabled,
                        const char *created)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:b, s:i, s:s, s:s, s:n}", "id", id, "displayName", name,
                     "category", category, "isEnabled", enabled, "isSchedulingEnabled", 0,
                     "version", 1, "createdDateTime", created, "lastModifiedDateTime", created,
                     "deletedDateTime");
}

static void put(struct store *s, json_t *doc)
{
    struct store_tx tx;
    struct lcw_error err = {0};

    assert_int_equal(store_tx_begin(s, &tx, STORE_TX_WRITE, &err), 0);
    assert_int_equal(
            store_entity_put(&tx, &store_ent_workflow, jsonx_str(doc, "id"), NULL, doc, &err), 0);
    assert_int_equal(store_tx_commit(&tx, &err), 0);
    json_decref(doc);
}

static void test_store__migrations__applied_once_and_reopen_keeps_data(void **state)
{
    struct fixture *f = *state;
    struct lcw_error err = {0};
    struct store_tx tx;
    json_t *doc = NULL;
    int v = 0;

    assert_int_equal(store_schema_version(f->store, &v, &err), 0);
    assert_true(v >= 1);
    put(f->store, workflow("11111111-1111-4111-8111-111111111111", "A", "joiner", true,
                           "2024-01-01T00:00:00Z"));
    store_close(f->store);
    assert_int_equal(store_open(f->url, &f->store, &err), 0);
    assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_READ, &err), 0);
    assert_int_equal(store_entity_get(&tx, &store_ent_workflow,
                                      "11111111-1111-4111-8111-111111111111", &doc, &err),
                     0);
    store_tx_rollback(&tx);
    assert_string_equal(jsonx_str(doc, "displayName"), "A");
    json_decref(doc);
}

static void test_store__rollback__changes_nothing(void **state)
{
    struct fixture *f = *state;
    struct lcw_error err = {0};
    struct store_tx tx;
    json_t *doc = workflow("22222222-2222-4222-8222-222222222222", "B", "leaver", true,
                           "2024-01-01T00:00:00Z");
    json_t *got = NULL;

    assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_WRITE, &err), 0);
    assert_int_equal(
            store_entity_put(&tx, &store_ent_workflow, jsonx_str(doc, "id"), NULL, doc, &err), 0);
    store_tx_rollback(&tx);
    json_decref(doc);
    assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_READ, &err), 0);
    assert_int_equal(store_entity_get(&tx, &store_ent_workflow,
                                      "22222222-2222-4222-8222-222222222222", &got, &err),
                     LCW_ENOTFOUND);
    assert_int_equal(store_entity_delete(&tx, &store_ent_workflow,
                                         "22222222-2222-4222-8222-222222222222", &err),
                     LCW_ENOTFOUND);
    store_tx_rollback(&tx);
}

static int row_name(void *ctx, const struct store_val *cols, size_t n)
{
    json_t *names = ctx;

    assert_int_equal(n, 2); /* only the columns asked for, not the sort key */
    assert_int_equal(cols[0].kind, STORE_TEXT);
    return json_array_append_new(names, json_string(cols[1].s)) ? LCW_ENOMEM : 0;
}

/*
 * Every page of `filter`/`orderby` with page size `top`, as [[names...],
 * next token or null] per page: from the documents (store_entity_list) or
 * from the columns (store_entity_scan).
 */
static json_t *list_pages(struct store *s, const char *filter, const char *orderby, int top,
                          bool by_columns)
{
    static const char *const columns[] = {"pk", "display_name"};
    json_t *pages = json_array();
    char *token = NULL;
    char topv[16];

    (void)snprintf(topv, sizeof(topv), "%d", top);
    for (int guard = 0; guard < 100; guard++) {
        struct odata_kv kv[4];
        size_t n = 0;
        struct odata_query q;
        struct store_page page = {0};
        struct lcw_error err = {0};
        struct store_tx tx;
        json_t *names = json_array();
        char *next = NULL;
        size_t i;
        json_t *item;

        kv[n++] = (struct odata_kv){"$top", topv};
        if (filter)
            kv[n++] = (struct odata_kv){"$filter", filter};
        if (orderby)
            kv[n++] = (struct odata_kv){"$orderby", orderby};
        if (token)
            kv[n++] = (struct odata_kv){"$skiptoken", token};
        assert_int_equal(odata_query_parse(kv, n, ~0u, &q, &err), 0);
        assert_int_equal(store_tx_begin(s, &tx, STORE_TX_READ, &err), 0);
        if (by_columns) {
            assert_int_equal(store_entity_scan(&tx, &store_ent_workflow, &q, NULL, NULL, NULL, 0,
                                               columns, 2, 100, row_name, names, &next, &err),
                             0);
        } else {
            assert_int_equal(store_entity_list(&tx, &store_ent_workflow, &q, NULL, NULL, NULL, 0,
                                               100, &page, &err),
                             0);
            json_array_foreach (page.items, i, item) {
                json_array_append_new(names, json_string(jsonx_str(item, "displayName")));
            }
            next = page.next_token;
            page.next_token = NULL;
        }
        store_tx_rollback(&tx);
        json_array_append_new(pages, json_pack("[o, s?]", names, next));
        free(token);
        token = next ? strdup(next) : NULL;
        lcw_free(next);
        store_page_release(&page);
        odata_query_release(&q);
        if (!token)
            break;
    }
    free(token);
    return pages;
}

/*
 * List every page of `filter`/`orderby` with page size `top`; return the ids
 * in order. Reading the columns gives the same pages and tokens as reading
 * the documents.
 */
static json_t *list_all(struct store *s, const char *filter, const char *orderby, int top)
{
    json_t *by_docs = list_pages(s, filter, orderby, top, false);
    json_t *by_columns = list_pages(s, filter, orderby, top, true);
    json_t *ids = json_array(), *page;
    size_t i;

    assert_true(json_equal(by_docs, by_columns));
    json_array_foreach (by_docs, i, page) {
        json_array_extend(ids, json_array_get(page, 0));
    }
    json_decref(by_docs);
    json_decref(by_columns);
    return ids;
}

static char *ids_text(json_t *ids)
{
    char *s = json_dumps(ids, JSON_COMPACT);

    json_decref(ids);
    return s;
}

static void test_store__list__filters_and_pages_in_order(void **state)
{
    struct fixture *f = *state;
    static const char *const names[] = {"e", "c", "a", "d", "b", "f", "g"};
    char *s;

    for (size_t i = 0; i < 7; i++) {
        char id[UUID_STR_LEN];

        uuid_v4(id);
        put(f->store, workflow(id, names[i], i % 2 ? "leaver" : "joiner", i != 3,
                               i < 4 ? "2024-01-01T00:00:00Z" : "2025-06-01T00:00:00Z"));
    }
    s = ids_text(list_all(f->store, NULL, "displayName", 2));
    assert_string_equal(s, "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\"]");
    free(s);
    s = ids_text(list_all(f->store, NULL, "displayName desc", 3));
    assert_string_equal(s, "[\"g\",\"f\",\"e\",\"d\",\"c\",\"b\",\"a\"]");
    free(s);
    s = ids_text(list_all(f->store, "category eq 'leaver'", "displayName", 1));
    assert_string_equal(s, "[\"c\",\"d\",\"f\"]");
    free(s);
    s = ids_text(list_all(f->store, "isEnabled eq false", NULL, 5));
    assert_string_equal(s, "[\"d\"]");
    free(s);
    s = ids_text(list_all(f->store, "createdDateTime ge 2025-01-01T00:00:00Z", "displayName", 2));
    assert_string_equal(s, "[\"b\",\"f\",\"g\"]");
    free(s);
    /* Ties on the sort key are broken by id, so paging neither skips nor repeats. */
    s = ids_text(list_all(f->store, NULL, "category,displayName", 2));
    assert_string_equal(s, "[\"a\",\"b\",\"e\",\"g\",\"c\",\"d\",\"f\"]");
    free(s);
}

static void test_store__tokens__hash_lookup_and_revoke(void **state)
{
    struct fixture *f = *state;
    struct lcw_error err = {0};
    struct store_token t = {0}, got;
    struct store_tx tx;

    uuid_v4(t.id);
    lcw_strlcpy(t.name, "ci", sizeof(t.name));
    lcw_strlcpy(t.role, "Global Reader", sizeof(t.role));
    t.created_at_ms = 1000;
    assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_WRITE, &err), 0);
    assert_int_equal(store_token_insert(&tx, &t, "abc123", &err), 0);
    assert_int_equal(store_token_insert(&tx, &t, "def456", &err), LCW_ECONFLICT);
    assert_int_equal(store_token_find(&tx, "abc123", &got, &err), 0);
    assert_string_equal(got.role, "Global Reader");
    assert_int_equal(got.last_used_at_ms, -1);
    assert_int_equal(store_token_revoke(&tx, "ci", 2000, &err), 0);
    assert_int_equal(store_token_find(&tx, "abc123", &got, &err), LCW_ENOTFOUND);
    assert_int_equal(store_token_revoke(&tx, "ci", 3000, &err), LCW_ENOTFOUND);
    assert_int_equal(store_tx_commit(&tx, &err), 0);
}

static void test_store__members_and_kv__round_trip(void **state)
{
    struct fixture *f = *state;
    struct lcw_error err = {0};
    struct store_tx tx;
    json_t *ids = NULL, *doc = NULL, *in = json_pack("{s:i}", "workflowScheduleIntervalInHours", 5);
    bool changed = false;

    assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_WRITE, &err), 0);
    assert_int_equal(store_member_add(&tx, "g1", "u1", 1, &changed, &err), 0);
    assert_true(changed);
    assert_int_equal(store_member_add(&tx, "g1", "u1", 1, &changed, &err), 0);
    assert_false(changed);
    assert_int_equal(store_member_add(&tx, "g2", "u1", 1, &changed, &err), 0);
    assert_int_equal(store_member_ids(&tx, "u1", true, &ids, &err), 0);
    assert_int_equal(json_array_size(ids), 2);
    json_decref(ids);
    assert_int_equal(store_member_remove(&tx, "g1", "u1", &changed, &err), 0);
    assert_true(changed);
    assert_int_equal(store_member_remove(&tx, "g1", "u1", &changed, &err), 0);
    assert_false(changed);
    assert_int_equal(store_kv_get(&tx, "settings", &doc, &err), LCW_ENOTFOUND);
    assert_int_equal(store_kv_put(&tx, "settings", in, &err), 0);
    assert_int_equal(store_kv_get(&tx, "settings", &doc, &err), 0);
    assert_true(json_equal(doc, in));
    assert_int_equal(store_tx_commit(&tx, &err), 0);
    json_decref(doc);
    json_decref(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(
                    test_store__migrations__applied_once_and_reopen_keeps_data, setup, teardown),
            cmocka_unit_test_setup_teardown(test_store__rollback__changes_nothing, setup, teardown),
            cmocka_unit_test_setup_teardown(test_store__list__filters_and_pages_in_order, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_store__tokens__hash_lookup_and_revoke, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_store__members_and_kv__round_trip, setup,
                                            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
