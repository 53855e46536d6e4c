/* SPDX-License-Identifier: MIT */
/*
 * History export (src/api/export.c, included so that a test can reach its
 * state): the column path writes the same bytes as the document path, CSV
 * and NDJSON, over more than one chunk of each, for display names that need
 * quoting and escaping, null times, subjects without a user or a name, and
 * with $filter, $orderby, $select and a `where`; and the column path is
 * taken exactly when every column is a table column.
 */
#include "api/export.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "temp_store.h"

#define N_RESULTS 5300 /* more than one column chunk (5,000) and ten document chunks (500) */
#define N_USERS   9

struct fixture {
    char dir[64];
    char url[128];
    struct store *store;
    struct api_ctx ctx;
};

/* Display names that CSV must quote and JSON must escape. */
static const char *const names[N_USERS] = {
        "Doe, Jane \"J\"",
        "Line\nbreak and\r\nCRLF",
        "Tab\there, back\\slash/slash",
        "Controls \x01\x08\x0c\x1f\x7f"
        " end",
        "\xc3\x9c"
        "n"
        "\xc3\xaf"
        "c"
        "\xc3\xb8"
        "d"
        "\xc3\xa9"
        " \xe2\x9c\x93 \xf0\x9f\x98\x80",
        "Plain",
        "",   /* empty: an empty CSV field, "" in JSON */
        NULL, /* no displayName */
        "not UTF-8 (set below)",
};

static void user_id(size_t i, char out[UUID_STR_LEN])
{
    (void)snprintf(out, UUID_STR_LEN, "00000000-0000-4000-8000-%012zu", i);
}

static void put_users(struct store_tx *tx)
{
    struct lcw_error err = {0};

    for (size_t i = 0; i < N_USERS; i++) {
        char id[UUID_STR_LEN], upn[64];
        json_t *doc;

        user_id(i, id);
        (void)snprintf(upn, sizeof(upn), "u%zu@example.com", i);
        doc = json_pack("{s:s, s:s, s:s?}", "id", id, "userPrincipalName", upn, "displayName",
                        names[i]);
        assert_non_null(doc);
        assert_int_equal(store_entity_put(tx, &store_ent_user, id, NULL, doc, &err), 0);
        json_decref(doc);
    }
    {
        /* A name that is not UTF-8 (written around the API): null on both paths. */
        char id[UUID_STR_LEN];
        struct store_val p[2] = {STORE_V_TEXT("bad \xff\xfe name"), STORE_V_NULL};

        user_id(N_USERS - 1, id);
        p[1] = STORE_V_TEXT(id);
        assert_int_equal(store_exec(tx, "UPDATE users SET display_name = ? WHERE pk = ?", p, 2,
                                    NULL, NULL, NULL, &err),
                         0);
    }
}

/* A user result as the engine writes it; subjects cycle over the users and one unknown id. */
static void put_result(struct store_tx *tx, const char *wf, size_t i)
{
    static const char *const statuses[] = {"completed",  "failed", "completedWithErrors",
                                           "inProgress", "queued", "canceled"};
    const char *status = statuses[i % 6];
    int64_t at = 1764201600000 + (int64_t)(i / 40) * 3600000; /* a run every 40 results */
    char id[40], run[40], subject[UUID_STR_LEN], sched[TIMEFMT_LEN], started[TIMEFMT_LEN],
            done[TIMEFMT_LEN];
    bool is_started = strcmp(status, "queued") != 0;
    bool is_done = is_started && strcmp(status, "inProgress") != 0;
    struct lcw_error err = {0};
    json_t *doc;

    (void)snprintf(id, sizeof(id), "ur-%s-%06zu", wf, i);
    (void)snprintf(run, sizeof(run), "run-%zu", i / 40);
    user_id(i % (N_USERS + 1), subject); /* N_USERS: a subject that was deleted */
    timefmt_format_ms(at, sched);
    timefmt_format_ms(at + (int64_t)(i % 7) * 1000 + 3, started); /* ms not zero */
    timefmt_format_ms(at + 60000, done);                          /* ms zero: ".000" */
    doc = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:I, s:i, s:i, s:i, s:{s:s}, s:s, s:[]}",
                    "id", id, "processingStatus", status, "workflowExecutionType",
                    i % 3 ? "onDemand" : "scheduled", "scheduledDateTime", sched, "startedDateTime",
                    is_started ? started : NULL, "completedDateTime", is_done ? done : NULL,
                    "workflowVersion", (json_int_t)(1 + i % 2), "totalTasksCount", 5,
                    "failedTasksCount", (int)(i % 3), "totalUnprocessedTasksCount",
                    is_done ? 0 : 5 - (int)(i % 5), "subject", "id", subject, "#lcw.runId", run,
                    "#lcw.tasks");
    assert_non_null(doc);
    assert_int_equal(store_entity_put(tx, &store_ent_user_result, id, wf, doc, &err), 0);
    json_decref(doc);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct lcw_error err = {0};
    struct store_tx tx;

    lcw_crypto_init();
    assert_int_equal(temp_store_open("export", f->dir, f->url, &f->store, &err), 0);
    assert_int_equal(store_tx_begin(f->store, &tx, STORE_TX_WRITE, &err), 0);
    put_users(&tx);
    for (size_t i = 0; i < N_RESULTS; i++)
        put_result(&tx, "wf1", i);
    for (size_t i = 0; i < 30; i++)
        put_result(&tx, "wf2", i); /* another workflow: never exported below */
    assert_int_equal(store_tx_commit(&tx, &err), 0);
    f->ctx.store = f->store;
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

/* One export request: the route's options, entity and `where`. */
struct request {
    const char *accept;
    const char *filter, *orderby, *select; /* NULL when not given */
    const struct store_entity *e;
    const char *where, *arg;
};

/* Start the export of `r` (as runs.c does) and return its state. */
static struct export_state *start(struct fixture *f, const struct request *r, struct api_resp *resp)
{
    struct api_req req = {0};
    struct odata_query q;
    struct lcw_error err = {0};

    req.ctx = &f->ctx;
    req.accept = r->accept;
    if (r->filter)
        req.query[req.n_query++] = (struct odata_kv){"$filter", r->filter};
    if (r->orderby)
        req.query[req.n_query++] = (struct odata_kv){"$orderby", r->orderby};
    if (r->select)
        req.query[req.n_query++] = (struct odata_kv){"$select", r->select};
    assert_int_equal(odata_query_parse(req.query, req.n_query, ~0u, &q, &err), 0);
    memset(resp, 0, sizeof(*resp));
    api__export(&req, resp, r->e, &q, "wf1", r->where, r->where ? &r->arg : NULL, r->where ? 1 : 0);
    odata_query_release(&q);
    assert_int_equal(resp->status, 200);
    assert_ptr_equal(resp->stream.next, next_chunk);
    return resp->stream.state;
}

/* Drop the column path: the export then reads the documents, as it did before there was one. */
static void force_documents(struct export_state *s)
{
    for (size_t i = 0; i < s->n_cells; i++)
        lcw_free(s->ndjson_keys[i]);
    lcw_free(s->ndjson_keys);
    lcw_free(s->cells);
    lcw_free(s->cell_sql);
    s->ndjson_keys = NULL;
    s->cells = NULL;
    s->cell_sql = NULL;
    s->n_cells = 0;
}

/* Run the export to its end; the whole body (owned by the caller). */
static char *body(struct api_resp *resp)
{
    struct buf out, chunk;
    bool done = false;

    buf_init(&out, 64 * 1024 * 1024);
    buf_init(&chunk, 16 * 1024 * 1024);
    for (int guard = 0; !done; guard++) {
        assert_true(guard < 1000);
        buf_reset(&chunk);
        assert_int_equal(resp->stream.next(resp->stream.state, &chunk, &done), 0);
        assert_int_equal(buf_append(&out, chunk.data ? chunk.data : "", chunk.len), 0);
    }
    buf_release(&chunk);
    resp->stream.free(resp->stream.state);
    return buf_detach(&out);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Export `r` by columns and by documents, and require the same bytes; returns the body. */
static char *same_both_ways(struct fixture *f, const struct request *r)
{
    struct api_resp resp;
    struct export_state *s = start(f, r, &resp);
    char *by_columns, *by_docs;

    assert_non_null(s->cells); /* the column path is taken */
    by_columns = body(&resp);
    s = start(f, r, &resp);
    force_documents(s);
    by_docs = body(&resp);
    if (strcmp(by_columns, by_docs) != 0) {
        size_t i = 0;

        while (by_columns[i] == by_docs[i])
            i++;
        print_error("%s %s: first difference at byte %zu:\ncolumns: %.200s\ndocuments: %.200s\n",
                    r->accept, r->filter ? r->filter : "", i, &by_columns[i > 80 ? i - 80 : 0],
                    &by_docs[i > 80 ? i - 80 : 0]);
        fail();
    }
    lcw_free(by_docs);
    return by_columns;
}

static void test_export__column_path__same_bytes_as_documents(void **state)
{
    struct fixture *f = *state;
    static const char *const accepts[] = {"text/csv", "application/x-ndjson"};
    const struct request cases[] = {
            {.e = &store_ent_user_result},
            {.filter = "processingStatus eq 'failed'", .e = &store_ent_user_result},
            {.filter = "processingStatus in ('inProgress', 'queued')", .e = &store_ent_user_result},
            {.orderby = "completedDateTime desc", .e = &store_ent_user_result},
            {.select = "id,subject,completedDateTime", .e = &store_ent_user_result},
            {.select = "subject.displayName,startedDateTime,totalUnprocessedTasksCount",
             .orderby = "startedDateTime",
             .e = &store_ent_user_result},
            {.e = &store_ent_user_result, .where = "run_id = ?", .arg = "run-3"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (size_t k = 0; k < 2; k++) {
            struct request r = cases[i];
            char *out;

            r.accept = accepts[k];
            out = same_both_ways(f, &r);
            if (i == 0 && k == 1)
                assert_int_equal(count_lines(out), N_RESULTS); /* one line per row */
            lcw_free(out);
        }
    }
}

static void test_export__column_path__quotes_escapes_and_nulls(void **state)
{
    struct fixture *f = *state;
    struct request r = {.accept = "text/csv",
                        .e = &store_ent_user_result,
                        .where = "run_id = ?",
                        .arg = "run-0"};
    char *csv = same_both_ways(f, &r), *nd;

    assert_non_null(strstr(csv, "id,subject.id,subject.displayName,processingStatus,"
                                "workflowExecutionType,workflowVersion,scheduledDateTime,"
                                "startedDateTime,completedDateTime,totalTasksCount,"
                                "failedTasksCount,totalUnprocessedTasksCount\r\n"));
    assert_non_null(strstr(csv, ",\"Doe, Jane \"\"J\"\"\","));
    assert_non_null(strstr(csv, ",\"Line\nbreak and\r\nCRLF\","));
    /* ur-wf1-000028: queued (both times empty; milliseconds always written), no name. */
    assert_non_null(strstr(csv, "ur-wf1-000028,00000000-0000-4000-8000-000000000008,,queued,"
                                "onDemand,1,2025-11-27T00:00:00.000Z,,,5,1,2\r\n"));
    assert_non_null(strstr(csv, "ur-wf1-000001,00000000-0000-4000-8000-000000000001,\"Line"));
    assert_non_null(strstr(csv, ",2025-11-27T00:00:01.003Z,"));
    lcw_free(csv);
    r.accept = "application/x-ndjson";
    nd = same_both_ways(f, &r);
    assert_non_null(strstr(nd, "\"subject.displayName\":\"Controls \\u0001\\b\\f\\u001F\x7f"
                               " end\""));
    assert_non_null(strstr(nd, "\"subject.displayName\":\"Tab\\there, back\\\\slash/slash\""));
    /* No name (7), a name that is not UTF-8 (8), a deleted subject (9). */
    assert_non_null(strstr(nd, "{\"id\":\"ur-wf1-000007\",\"subject.id\":\"00000000-0000-4000-"
                               "8000-000000000007\",\"subject.displayName\":null,"));
    assert_non_null(strstr(nd, "\"subject.id\":\"00000000-0000-4000-8000-000000000008\","
                               "\"subject.displayName\":null,"));
    assert_non_null(strstr(nd, "\"subject.id\":\"00000000-0000-4000-8000-000000000009\","
                               "\"subject.displayName\":null,"));
    assert_non_null(strstr(nd, "\"startedDateTime\":null,\"completedDateTime\":null,"));
    assert_non_null(strstr(nd, "\"subject.displayName\":\"\","));
    lcw_free(nd);
}

static void test_export__plan__documents_unless_every_column_is_a_column(void **state)
{
    struct fixture *f = *state;
    const struct {
        struct request r;
        bool is_columns;
    } cases[] = {
            {{.select = "id,processingStatus"}, true},
            {{.select = "subject"}, true},
            {{.select = "id,lastUpdatedDateTime"}, false}, /* not a column */
            {{.select = "id,ProcessingStatus"}, false},    /* names match exactly */
            {{.select = "id,subject,subject.id"}, false},  /* a column twice */
            {{.e = &store_ent_task_result}, false},        /* task.displayName, failureReason */
            {{.e = &store_ent_task_result, .select = "id"}, false},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct request r = cases[i].r;
        struct api_resp resp;
        struct export_state *s;

        r.accept = "text/csv";
        if (!r.e)
            r.e = &store_ent_user_result;
        s = start(f, &r, &resp);
        assert_int_equal(s->cells != NULL, cases[i].is_columns);
        resp.stream.free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_export__column_path__same_bytes_as_documents),
            cmocka_unit_test(test_export__column_path__quotes_escapes_and_nulls),
            cmocka_unit_test(test_export__plan__documents_unless_every_column_is_a_column),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
