/* SPDX-License-Identifier: MIT */
/*
 * Keyset pages of store_entity_list (src/store/list.c) over user results in
 * a scheduledDateTime window: every page size gives the rows of the window
 * in id order, once each, whether a page is settled by walking the rows
 * after the skiptoken or by the full query, with ids that follow the
 * scheduled time (as UUIDv7 ids made at the row's time do) and ids that do
 * not (imports, reprocess), and while rows are inserted between pages.
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

#define WF     "wf-1"
#define OTHER  "wf-2"
#define T0     1700000000000LL /* scheduled time of row 0 */
#define MIN    60000LL
#define N_ROWS 600
/* The window: rows 150..449 by time, minus the gap below, plus imports. */
#define WIN_START (T0 + 150 * MIN)
#define WIN_END   (T0 + 450 * MIN)

struct fixture {
    char dir[64];
    char url[128];
    struct store *store;
    json_t *rows;  /* every stored row: [id, parent, scheduled ms (-1: null), run, status] */
    int seq;       /* makes the ids of rows added between pages unique */
    int n_between; /* rows added after the cursor during one walk */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct lcw_error err = {0};

    lcw_crypto_init();
    assert_int_equal(temp_store_open("list", f->dir, f->url, &f->store, &err), 0);
    f->rows = json_array();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    store_close(f->store);
    temp_store_remove(f->dir);
    json_decref(f->rows);
    free(f);
    return 0;
}

/* Store one user result; `ms` < 0 leaves scheduledDateTime null. */
static void put_row(struct fixture *f, const char *id, const char *parent, int64_t ms,
                    const char *run, const char *status)
{
    char when[TIMEFMT_LEN];
    struct lcw_error err = {0};
    struct store_tx tx;
    json_t *doc =
            json_pack("{s:s, s:s, s:s}", "id", id, "processingStatus", status, "#lcw.runId", run);

    json_object_set_new(doc, "scheduledDateTime",
                        ms < 0 ? json_null() : json_string(timefmt_format_ms(ms, when)));
    assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_WRITE, &err), 0);
    assert_int_equal(store_entity_put(&tx, &store_ent_user_result, id, parent, doc, &err), 0);
    assert_int_equal(store_tx_commit(&tx, &err), 0);
    json_array_append_new(f->rows,
                          json_pack("[s, s, I, s, s]", id, parent, (json_int_t)ms, run, status));
    json_decref(doc);
}

/*
 * Rows "u0000".."u0599" of WF, ids in the order of their scheduled time
 * (a minute apart), except: every 17th row was imported, its time unrelated
 * to its id; ids u0290..u0349 have times far outside the window (a gap
 * longer than a walk of a small page); every 23rd row has no time; and OTHER
 * has a row between each two of WF's in id order. Runs of 40 rows.
 */
static void fill(struct fixture *f)
{
    uint32_t seed = 12345;

    for (int i = 0; i < N_ROWS; i++) {
        char id[16], other[16], run[16];
        int64_t ms = T0 + i * MIN;

        seed = seed * 1103515245u + 12345u;
        if (i % 17 == 0)
            ms = T0 + (int64_t)(seed % (N_ROWS * 60)) * (MIN / 60);
        if (i >= 290 && i < 350)
            ms = T0 + (1000 + i) * MIN;
        if (i % 23 == 0)
            ms = -1;
        (void)snprintf(id, sizeof(id), "u%04d", i);
        (void)snprintf(other, sizeof(other), "u%04da", i);
        (void)snprintf(run, sizeof(run), "run%02d", i / 40);
        put_row(f, id, WF, ms, run, i % 5 == 0 ? "failed" : "completed");
        put_row(f, other, OTHER, T0 + i * MIN, run, "completed");
    }
}

static int by_id(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Ids of WF's rows in [lo, hi) (and of `run` when non-NULL), ascending. */
static json_t *expected(const struct fixture *f, int64_t lo, int64_t hi, const char *run)
{
    const char **sorted = calloc(json_array_size(f->rows) + 1, sizeof(*sorted));
    json_t *ids = json_array(), *row;
    size_t i, n = 0;

    json_array_foreach (f->rows, i, row) {
        int64_t ms = json_integer_value(json_array_get(row, 2));

        if (strcmp(json_string_value(json_array_get(row, 1)), WF) == 0 && ms >= lo && ms < hi &&
            (!run || strcmp(json_string_value(json_array_get(row, 3)), run) == 0))
            sorted[n++] = json_string_value(json_array_get(row, 0));
    }
    qsort(sorted, n, sizeof(*sorted), by_id);
    for (i = 0; i < n; i++)
        json_array_append_new(ids, json_string(sorted[i]));
    free(sorted);
    return ids;
}

static char *window_filter(int64_t lo, int64_t hi)
{
    char a[TIMEFMT_LEN], b[TIMEFMT_LEN], *s = malloc(128);

    (void)snprintf(s, 128, "scheduledDateTime ge %s and scheduledDateTime lt %s",
                   timefmt_format_ms(lo, a), timefmt_format_ms(hi, b));
    return s;
}

/* Called between pages. */
typedef void between_fn(struct fixture *f);

/*
 * Every page of WF's user results for `filter`/`orderby`, `top` rows a page,
 * within `run` when non-NULL; ids in the order returned.
 */
static json_t *walk(struct fixture *f, const char *filter, const char *orderby, int top,
                    const char *run, between_fn *between)
{
    json_t *ids = json_array();
    char *token = NULL;
    char topv[16];

    (void)snprintf(topv, sizeof(topv), "%d", top);
    for (int page_no = 1;; page_no++) {
        struct odata_kv kv[4];
        size_t n = 0, i;
        struct odata_query q;
        struct store_page page = {0};
        struct store_val p = STORE_V_TEXT(run);
        struct lcw_error err = {0};
        struct store_tx tx;
        json_t *item;

        assert_true(page_no <= 2 * N_ROWS);
        kv[n++] = (struct odata_kv){"$top", topv};
        if (filter)
            kv[n++] = (struct odata_kv){"$filter", filter};
        if (orderby)
            kv[n++] = (struct odata_kv){"$orderby", orderby};
        if (token)
            kv[n++] = (struct odata_kv){"$skiptoken", token};
        assert_int_equal(odata_query_parse(kv, n, ~0u, &q, &err), 0);
        assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_READ, &err), 0);
        assert_int_equal(store_entity_list(&tx, &store_ent_user_result, &q, WF,
                                           run ? "run_id = ?" : NULL, run ? &p : NULL, run ? 1 : 0,
                                           100, &page, &err),
                         0);
        store_tx_rollback(&tx);
        assert_true(json_array_size(page.items) <= (size_t)top);
        json_array_foreach (page.items, i, item) {
            json_array_append_new(ids, json_string(jsonx_str(item, "id")));
        }
        free(token);
        token = page.next_token ? strdup(page.next_token) : NULL;
        store_page_release(&page);
        odata_query_release(&q);
        if (!token)
            break;
        if (between)
            between(f);
    }
    return ids;
}

static void assert_ids_equal(json_t *got, json_t *want, const char *what, int top)
{
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT), *w = json_dumps(want, JSON_COMPACT);

        print_error("%s, $top=%d:\n got  %s\n want %s\n", what, top, g, w);
        free(g);
        free(w);
        fail();
    }
}

static void test_list__window__every_page_size_gives_the_window_in_id_order(void **state)
{
    struct fixture *f = *state;
    static const int tops[] = {1, 2, 3, 5, 8, 13, 21, 100, 999};
    char *filter = window_filter(WIN_START, WIN_END);
    json_t *want;

    fill(f);
    want = expected(f, WIN_START, WIN_END, NULL);
    assert_true(json_array_size(want) > 200);
    for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
        json_t *got = walk(f, filter, NULL, tops[i], NULL, NULL);

        assert_ids_equal(got, want, "window, default order", tops[i]);
        json_decref(got);
    }
    json_decref(want);
    free(filter);
}

static void test_list__window_and_run__route_condition_applies_to_every_page(void **state)
{
    struct fixture *f = *state;
    static const int tops[] = {1, 4, 7, 100};
    char *filter = window_filter(WIN_START, WIN_END);

    fill(f);
    for (size_t r = 0; r < 2; r++) {
        const char *run = r ? "run05" : "run08"; /* rows 200..239 (window), 320..359 (gap) */
        json_t *want = expected(f, WIN_START, WIN_END, run);

        for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
            json_t *got = walk(f, filter, NULL, tops[i], run, NULL);

            assert_ids_equal(got, want, run, tops[i]);
            json_decref(got);
        }
        json_decref(want);
    }
    free(filter);
}

static void test_list__window_id_desc__pages_walk_down(void **state)
{
    struct fixture *f = *state;
    static const int tops[] = {1, 3, 10, 100};
    char *filter = window_filter(WIN_START, WIN_END);
    json_t *want, *down = json_array();
    size_t n;

    fill(f);
    want = expected(f, WIN_START, WIN_END, NULL);
    n = json_array_size(want);
    for (size_t i = 0; i < n; i++)
        json_array_append(down, json_array_get(want, n - 1 - i));
    for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
        json_t *got = walk(f, filter, "id desc", tops[i], NULL, NULL);

        assert_ids_equal(got, down, "window, id desc", tops[i]);
        json_decref(got);
    }
    json_decref(want);
    json_decref(down);
    free(filter);
}

static void test_list__sparse_filter__pages_that_the_walk_cannot_settle(void **state)
{
    struct fixture *f = *state;
    static const int tops[] = {1, 2, 6, 100};
    json_t *want = json_array(), *row;
    size_t k;

    fill(f);
    json_array_foreach (f->rows, k, row) {
        if (strcmp(json_string_value(json_array_get(row, 1)), WF) == 0 &&
            strcmp(json_string_value(json_array_get(row, 4)), "failed") == 0)
            json_array_append(want, json_array_get(row, 0));
    }
    for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
        json_t *got = walk(f, "processingStatus eq 'failed'", NULL, tops[i], NULL, NULL);

        assert_ids_equal(got, want, "failed", tops[i]);
        json_decref(got);
    }
    json_decref(want);
}

/*
 * Between pages: a window row whose id is after every other (so after the
 * cursor: it must be listed), one whose id is early (it may or may not be,
 * by where the cursor is), one outside the window and one of OTHER; after
 * the first 12 pages of a walk, nothing.
 */
static void insert_between(struct fixture *f)
{
    char id[32];
    int k;

    /* Each page would otherwise add a row ahead of the cursor for ever. */
    if (f->n_between == 12)
        return;
    k = ++f->seq;

    (void)snprintf(id, sizeof(id), "v%05d", k);
    put_row(f, id, WF, WIN_START + k, "run99", "completed");
    f->n_between++;
    (void)snprintf(id, sizeof(id), "u0150b%05d", k);
    put_row(f, id, WF, WIN_START + 1, "run99", "completed");
    (void)snprintf(id, sizeof(id), "u0400c%05d", k);
    put_row(f, id, WF, WIN_END + k, "run99", "completed");
    (void)snprintf(id, sizeof(id), "u0400d%05d", k);
    put_row(f, id, OTHER, WIN_START + k, "run99", "completed");
}

static void test_list__window_with_inserts__no_row_lost_or_repeated(void **state)
{
    struct fixture *f = *state;
    static const int tops[] = {1, 3, 7, 40};
    char *filter = window_filter(WIN_START, WIN_END);

    fill(f);
    for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
        json_t *before = expected(f, WIN_START, WIN_END, NULL), *got, *after;
        size_t n_got, b = 0, n_v = 0, n_v_before = 0;

        json_array_foreach (before, b, got) {
            n_v_before += json_string_value(got)[0] == 'v';
        }
        b = 0;
        f->n_between = 0;
        got = walk(f, filter, NULL, tops[i], NULL, insert_between);
        after = expected(f, WIN_START, WIN_END, NULL);
        n_got = json_array_size(got);

        /* Strictly ascending ids: nothing repeated, and keyset order kept. */
        for (size_t k = 1; k < n_got; k++)
            assert_true(strcmp(json_string_value(json_array_get(got, k - 1)),
                               json_string_value(json_array_get(got, k))) < 0);
        /* Every row listed is in the window now, and every row there before is listed. */
        for (size_t k = 0; k < n_got; k++) {
            const char *id = json_string_value(json_array_get(got, k));
            bool is_in = false;
            size_t j;
            json_t *x;

            json_array_foreach (after, j, x) {
                is_in |= strcmp(json_string_value(x), id) == 0;
            }
            assert_true(is_in);
            if (b < json_array_size(before) &&
                strcmp(json_string_value(json_array_get(before, b)), id) == 0)
                b++;
            n_v += id[0] == 'v';
        }
        assert_int_equal(b, json_array_size(before));
        /* Every row added after the cursor is listed. */
        assert_true(f->n_between > 0);
        assert_int_equal(n_v, n_v_before + (size_t)f->n_between);
        json_decref(before);
        json_decref(after);
        json_decref(got);
    }
    free(filter);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(
                    test_list__window__every_page_size_gives_the_window_in_id_order, setup,
                    teardown),
            cmocka_unit_test_setup_teardown(
                    test_list__window_and_run__route_condition_applies_to_every_page, setup,
                    teardown),
            cmocka_unit_test_setup_teardown(test_list__window_id_desc__pages_walk_down, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(
                    test_list__sparse_filter__pages_that_the_walk_cannot_settle, setup, teardown),
            cmocka_unit_test_setup_teardown(test_list__window_with_inserts__no_row_lost_or_repeated,
                                            setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
