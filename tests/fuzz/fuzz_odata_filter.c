/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the odata module: parse the input as a $filter; when
 * it parses, evaluate it against a fixed object (both case modes), check it,
 * compile it to SQL, and check that the canonical dump parses back to the
 * same dump. The input is also tried as $orderby/$select/$expand values and
 * as a $skiptoken. Everything is freed; ASan/LSan report any leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lcw/common.h"
#include "lcw/odata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STR                                                                                    \
    (ODATA_OP_EQ | ODATA_OP_IN | ODATA_OP_STARTSWITH | ODATA_OP_ENDSWITH | ODATA_OP_CONTAINS | \
     ODATA_OP_ORDER)

static const struct odata_property props[] = {
        {"id", "id", ODATA_T_GUID, ODATA_OP_EQ | ODATA_OP_IN, true},
        {"a", "a", ODATA_T_STRING, STR, true},
        {"b", "b", ODATA_T_INT, ODATA_OP_EQ | ODATA_OP_IN | ODATA_OP_ORDER, true},
        {"c", "c", ODATA_T_BOOL, ODATA_OP_EQ, true},
        {"d", "d", ODATA_T_DATETIME, ODATA_OP_EQ | ODATA_OP_ORDER | ODATA_OP_IN, true},
        {"displayName", "display_name", ODATA_T_STRING, STR, true},
        {"category", "category", ODATA_T_FLAGS, ODATA_OP_HAS | ODATA_OP_EQ, false},
        {"tags", "tags", ODATA_T_FLAGS, ODATA_OP_ANY | ODATA_OP_ALL | ODATA_OP_EQ | ODATA_OP_IN,
         false},
        {"otherMails", NULL, ODATA_T_STRING, ODATA_OP_ANY | ODATA_OP_ALL | STR, false},
        {"lic", NULL, ODATA_T_STRING, ODATA_OP_ANY | ODATA_OP_ALL, false},
        {"lic/skuId", NULL, ODATA_T_GUID, ODATA_OP_EQ | ODATA_OP_IN, false},
        {"org/costCenter", "cost_center", ODATA_T_ENUM, ODATA_OP_EQ | ODATA_OP_IN, true},
};

static const struct odata_entity ent = {"thing", "id", props, sizeof(props) / sizeof(props[0])};

static const char object_json[] =
        "{\"id\":\"6fd2c87f-b296-42f0-b197-1e91e994b900\",\"a\":\"Adele\",\"b\":41,\"c\":true,"
        "\"d\":\"2024-03-01T08:00:00Z\",\"displayName\":\"Adele Vance\",\"category\":"
        "\"joiner,mover\",\"tags\":[\"x\",\"y\"],\"otherMails\":[\"Av@x.com\",\"b@y.com\"],"
        "\"lic\":[{\"skuId\":\"6FD2C87F-B296-42F0-B197-1E91E994B900\"},{}],\"org\":{\"costCenter\":"
        "\"100\"},\"n\":null}";

static void try_filter(const char *s, size_t n, const json_t *obj)
{
    struct odata_expr *e = NULL, *again = NULL;
    struct lcw_error err = {0};
    struct odata_sql sql;
    struct buf d1, d2;
    bool out;

    if (odata_filter_parse(s, n, &e, &err) != 0)
        return;
    (void)odata_eval(e, obj, 0, &out, &err);
    (void)odata_eval(e, obj, ODATA_EVAL_CASE_INSENSITIVE, &out, &err);
    (void)odata_expr_check(e, &ent, &err);
    (void)odata_filter_to_sql(e, &ent, &sql, &err);
    odata_sql_release(&sql);

    buf_init(&d1, 1 << 20);
    buf_init(&d2, 1 << 20);
    if (odata_expr_dump(e, &d1) == 0 && d1.len <= ODATA_FILTER_MAX_LEN) {
        /* The canonical form must parse back to itself. */
        if (odata_filter_parse(d1.data, d1.len, &again, &err) != 0)
            abort();
        if (odata_expr_dump(again, &d2) != 0 || strcmp(buf_cstr(&d1), buf_cstr(&d2)) != 0)
            abort();
    }
    buf_release(&d1);
    buf_release(&d2);
    odata_expr_free(again);
    odata_expr_free(e);
}

static void try_options(const char *s)
{
    static const char *const keys[] = {"$orderby", "$select", "$expand", "$search", "$top"};
    struct lcw_error err = {0};

    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        struct odata_kv kv[2] = {{keys[k], s}, {"$skiptoken", s}};
        struct odata_query q;
        struct odata_sql sql;
        struct buf order;
        const char **cols = NULL;
        size_t n_cols = 0;
        if (odata_query_parse(kv, 1 + (k == 0), 0x1ffu, &q, &err) != 0)
            continue;
        buf_init(&order, 4096);
        if (odata_filter_to_sql(NULL, &ent, &sql, &err) == 0 &&
            odata_sql_order_and_page(&q, &ent, &sql, &order, &cols, &n_cols, &err) == 0)
            lcw_free(cols);
        odata_sql_release(&sql);
        buf_release(&order);
        odata_query_release(&q);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *obj;
    char *s;

    if (!obj)
        obj = json_loads(object_json, 0, NULL);
    try_filter((const char *)data, size, obj);
    s = lcw_strndup((const char *)data, size); /* options are NUL-terminated strings */
    if (s && strlen(s) == size)
        try_options(s);
    lcw_free(s);
    return 0;
}
