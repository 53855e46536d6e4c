/* SPDX-License-Identifier: MIT */
/*
 * The api layer's common machinery: errors in the Graph envelope, bodies
 * and query options, collection pages with absolute next links, in-memory
 * lists, and the audit writer. Per-request state only; thread-safe.
 */
#include "api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------------- errors */

void api_error(struct api_resp *resp, const struct api_req *req, int status, const char *code,
               const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_decref(resp->body);
    resp->status = status;
    resp->body = jsonx_graph_error(code, msg, req->request_id, req->client_request_id, req->now_ms);
    if (status == 429 || status == 503)
        resp->retry_after_s = resp->retry_after_s ? resp->retry_after_s : 2;
}

/* The single table from lcw error codes to HTTP (STYLE.md B.5). */
static const struct {
    int code;
    int status;
    const char *graph_code;
} error_map[] = {
        {LCW_EINVAL, 400, "BadRequest"},
        {LCW_ENOTFOUND, 404, "ResourceNotFound"},
        {LCW_ECONFLICT, 409, "Conflict"},
        {LCW_ETOOBIG, 413, "RequestEntityTooLarge"},
        {LCW_EAUTH, 401, "InvalidAuthenticationToken"},
        {LCW_EPERM, 403, "Authorization_RequestDenied"},
        {LCW_EBUSY, 503, "ServiceUnavailable"},
        {LCW_EUNAVAIL, 503, "ServiceUnavailable"},
        {LCW_ETIMEOUT, 503, "ServiceUnavailable"},
};

void api_error_from(struct api_resp *resp, const struct api_req *req, const struct lcw_error *err)
{
    for (size_t i = 0; i < sizeof(error_map) / sizeof(error_map[0]); i++) {
        if (error_map[i].code == err->code) {
            api_error(resp, req, error_map[i].status, error_map[i].graph_code, "%s", err->msg);
            return;
        }
    }
    /* Everything else is ours: log the detail, show a generic message. */
    log_error("request_failed", "request_id=%s code=%s detail=\"%s\"", req->request_id,
              lcw_err_name(err->code), err->msg);
    api_error(resp, req, 500, "InternalServerError",
              "The server could not complete the request (request-id %s)", req->request_id);
}

void api_not_found(struct api_resp *resp, const struct api_req *req)
{
    api_error(resp, req, 404, "ResourceNotFound", "Resource not found for the segment in '%s'",
              req->path);
}

const char *api_param(const struct api_req *req, size_t i, char *out, size_t cap)
{
    size_t n;

    if (i >= req->n_params || cap == 0)
        return "";
    n = req->params[i].len < cap - 1 ? req->params[i].len : cap - 1;
    memcpy(out, req->params[i].p, n);
    out[n] = '\0';
    /* lcw's ids are lower-case GUIDs; Graph matches them in any case. */
    if (uuid_valid(out, n)) {
        for (size_t k = 0; k < n; k++)
            out[k] = (char)(out[k] >= 'A' && out[k] <= 'F' ? out[k] + 32 : out[k]);
    }
    return out;
}

/* ---------------------------------------------------------- transactions */

int api__tx_begin(struct api_req *req, struct api_resp *resp, struct store_tx *tx, unsigned flags)
{
    struct lcw_error err = {0};
    int rc = store_tx_begin(req->ctx->store, tx, flags, &err);

    if (rc)
        api_error_from(resp, req, &err);
    return rc;
}

int api__tx_commit(struct api_req *req, struct api_resp *resp, struct store_tx *tx)
{
    struct lcw_error err = {0};
    int rc = store_tx_commit(tx, &err);

    if (rc)
        api_error_from(resp, req, &err);
    return rc;
}

/* ---------------------------------------------------------- input */

int api__body(struct api_req *req, struct api_resp *resp, json_t **out)
{
    struct lcw_error err = {0};
    int rc = jsonx_decode_object(req->body, req->body_len, out, &err);

    if (rc)
        api_error_from(resp, req, &err);
    return rc;
}

int api__no_body(struct api_req *req, struct api_resp *resp)
{
    size_t i = 0;

    /* Clients often send "{}" or nothing; both mean "no parameters". */
    while (i < req->body_len && strchr(" \t\r\n", req->body[i]))
        i++;
    if (i == req->body_len)
        return 0;
    if (req->body_len - i >= 2 && req->body[i] == '{') {
        json_t *v = NULL;
        struct lcw_error err = {0};

        if (jsonx_decode_object(req->body, req->body_len, &v, &err) == 0 &&
            json_object_size(v) == 0) {
            json_decref(v);
            return 0;
        }
        json_decref(v);
    }
    api_error(resp, req, 400, "BadRequest", "This action takes no request body");
    return LCW_EINVAL;
}

int api__query(struct api_req *req, struct api_resp *resp, unsigned allowed, struct odata_query *q)
{
    struct lcw_error err = {0};
    int rc = odata_query_parse(req->query, req->n_query, allowed, q, &err);

    if (rc)
        api_error_from(resp, req, &err);
    return rc;
}

const char *api__query_param(const struct api_req *req, const char *key)
{
    for (size_t i = 0; i < req->n_query; i++) {
        if (lcw_str_eq_ci(req->query[i].key, key))
            return req->query[i].value ? req->query[i].value : "";
    }
    return NULL;
}

/* ---------------------------------------------------------- output */

char *api__context_url(const struct api_req *req, const char *fragment)
{
    struct buf b;

    buf_init(&b, 4096);
    if (buf_printf(&b, "%s/%s/$metadata#%s", req->base_url, req->version, fragment)) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b);
}

/* A copy of `obj` with "id" (then the other members, in order) after any
 * @odata annotations, the order Graph writes; readers scan for the id. */
static json_t *id_first(json_t *obj)
{
    json_t *out = json_object(), *id = json_object_get(obj, "id");
    const char *k;
    json_t *v;

    if (!out)
        return NULL;
    json_object_foreach (obj, k, v) {
        if (strncmp(k, "@odata.", 7) == 0 && json_object_set(out, k, v))
            goto fail;
    }
    if (id && json_object_set(out, "id", id))
        goto fail;
    json_object_foreach (obj, k, v) {
        if (strncmp(k, "@odata.", 7) != 0 && strcmp(k, "id") != 0 && json_object_set(out, k, v))
            goto fail;
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* Which enum each output property holds (the ones with evolvable members). */
static const struct {
    const char *key;
    enum model_enum which;
} enum_props[] = {
        {"category", MODEL_ENUM_TASK_CATEGORY},
        {"workflowCategory", MODEL_ENUM_WORKFLOW_CATEGORY},
        {"workflowExecutionType", MODEL_ENUM_EXECUTION_TYPE},
        {"timeBasedAttribute", MODEL_ENUM_TIME_BASED_ATTRIBUTE},
        {"targetSubjectType", MODEL_ENUM_SUBJECT_TYPE},
        {"subjectType", MODEL_ENUM_SUBJECT_TYPE},
};

/*
 * Graph returns members after unknownFutureValue (mover, activatedWithScope,
 * createdDateTime, ...) only to clients that send `Prefer:
 * include-unknown-enum-members`; everyone else reads unknownFutureValue
 * (spec section 2). Values that are not members (audit categories) pass.
 */
static void mask_evolvable(json_t *v)
{
    const char *k;
    json_t *m;
    size_t i;

    if (json_is_array(v)) {
        json_array_foreach (v, i, m) {
            mask_evolvable(m);
        }
        return;
    }
    if (!json_is_object(v))
        return;
    json_object_foreach (v, k, m) {
        if (json_is_string(m)) {
            for (i = 0; i < sizeof(enum_props) / sizeof(enum_props[0]); i++) {
                const char *in, *out;

                if (strcmp(k, enum_props[i].key) != 0)
                    continue;
                in = json_string_value(m);
                out = model_enum_output(enum_props[i].which, in, false);
                if (out != in)
                    json_string_set(m, out);
            }
        } else {
            mask_evolvable(m);
        }
    }
}

static bool wants_unknown_enums(const struct api_req *req)
{
    return req->prefer && strcasestr(req->prefer, "include-unknown-enum-members");
}

void api__json(struct api_req *req, struct api_resp *resp, int status, json_t *body,
               const char *context)
{
    if (!body) {
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        return;
    }
    if (context) {
        char *url = api__context_url(req, context);

        /* @odata.context goes first, as Graph writes it. */
        json_t *out = json_object();

        if (!url || !out) {
            lcw_free(url);
            json_decref(out);
            json_decref(body);
            api_error(resp, req, 500, "InternalServerError", "out of memory");
            return;
        }
        json_object_set_new(out, "@odata.context", json_string(url));
        json_object_update(out, body);
        json_decref(body);
        body = out;
        lcw_free(url);
    }
    if (!wants_unknown_enums(req))
        mask_evolvable(body);
    if (json_object_get(body, "id")) {
        json_t *ordered = id_first(body);

        json_decref(body);
        body = ordered;
        if (!body) {
            api_error(resp, req, 500, "InternalServerError", "out of memory");
            return;
        }
    }
    json_decref(resp->body);
    resp->status = status;
    resp->body = body;
}

void api__no_content(struct api_resp *resp)
{
    json_decref(resp->body);
    resp->body = NULL;
    resp->status = 204;
}

bool api__expanded(const struct odata_query *q, const char *name)
{
    for (size_t i = 0; i < q->n_expand; i++) {
        if (lcw_str_eq_ci(q->expand[i], name) || strcmp(q->expand[i], "*") == 0)
            return true;
    }
    return false;
}

int api__select(json_t *item, const struct odata_query *q)
{
    const char *names[80];
    size_t n = 0;

    if (q->n_select == 0)
        return 0;
    for (size_t i = 0; i < q->n_select && n < 78; i++)
        names[n++] = q->select[i];
    /* The key always comes back, as in Graph. */
    names[n++] = "id";
    for (size_t i = 0; i < q->n_expand && n < 80; i++)
        names[n++] = q->expand[i];
    return jsonx_select(item, names, n);
}

/* Percent-encode a query value for a link. */
static int url_encode(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;

    for (; *s && !rc; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~$,:'()/", c)) {
            rc = buf_putc(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};

            rc = buf_append(b, e, 3);
        }
    }
    return rc;
}

/* The absolute link to the next page: this request with $skiptoken replaced. */
static char *next_link(const struct api_req *req, const char *token)
{
    struct buf b;
    int rc;
    char sep = '?';

    buf_init(&b, 16384);
    rc = buf_printf(&b, "%s/%s", req->base_url, req->version);
    if (!rc)
        rc = url_encode(&b, req->path);
    for (size_t i = 0; !rc && i < req->n_query; i++) {
        if (lcw_str_eq_ci(req->query[i].key, "$skiptoken") ||
            lcw_str_eq_ci(req->query[i].key, "$skip"))
            continue;
        rc = buf_putc(&b, sep);
        sep = '&';
        if (!rc)
            rc = url_encode(&b, req->query[i].key);
        if (!rc)
            rc = buf_putc(&b, '=');
        if (!rc)
            rc = url_encode(&b, req->query[i].value ? req->query[i].value : "");
    }
    if (!rc)
        rc = buf_printf(&b, "%c$skiptoken=", sep);
    if (!rc)
        rc = url_encode(&b, token);
    if (rc) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b);
}

void api__page(struct api_req *req, struct api_resp *resp, struct store_page *page,
               const struct odata_query *q, const char *context_fragment)
{
    json_t *body = json_object();
    size_t i;
    json_t *item;

    if (!body) {
        store_page_release(page);
        api_error(resp, req, 500, "InternalServerError", "out of memory");
        return;
    }
    json_array_foreach (page->items, i, item) {
        json_t *ordered = api__select(item, q) ? NULL : id_first(item);

        if (ordered)
            json_array_set_new(page->items, i, ordered);
        if (!ordered) {
            json_decref(body);
            store_page_release(page);
            api_error(resp, req, 500, "InternalServerError", "out of memory");
            return;
        }
    }
    if (q->count && page->count >= 0)
        json_object_set_new(body, "@odata.count", json_integer(page->count));
    json_object_set(body, "value", page->items);
    if (page->next_token) {
        char *link = next_link(req, page->next_token);

        if (link)
            json_object_set_new(body, "@odata.nextLink", json_string(link));
        lcw_free(link);
    }
    store_page_release(page);
    api__json(req, resp, 200, body, context_fragment);
}

int api__page_map(struct store_page *page, api_output_fn *fn, const struct odata_query *q)
{
    size_t i;
    json_t *item;

    json_array_foreach (page->items, i, item) {
        json_t *o = fn(item, q);

        if (!o)
            return LCW_ENOMEM;
        json_array_set_new(page->items, i, o);
    }
    return 0;
}

/* ------------------------------------------------------ in-memory lists */

static _Thread_local const struct odata_query *sort_query;

static int json_cmp(const json_t *a, const json_t *b)
{
    if (!a || json_is_null(a))
        return (!b || json_is_null(b)) ? 0 : 1; /* nulls last */
    if (!b || json_is_null(b))
        return -1;
    if (json_is_string(a) && json_is_string(b))
        return strcmp(json_string_value(a), json_string_value(b));
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);

        return x < y ? -1 : x > y;
    }
    if (json_is_boolean(a) && json_is_boolean(b))
        return (int)json_is_true(a) - (int)json_is_true(b);
    return 0;
}

static int item_cmp(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;

    for (size_t i = 0; i < sort_query->n_orderby; i++) {
        const char *p = sort_query->orderby[i].property;
        int c = json_cmp(json_object_get(a, p), json_object_get(b, p));

        if (c)
            return sort_query->orderby[i].desc ? -c : c;
    }
    return 0;
}

int api__array_match(struct api_req *req, struct api_resp *resp, json_t *items,
                     const struct odata_entity *ent, const struct odata_query *q, json_t **out)
{
    struct lcw_error err = {0};
    json_t **matched = NULL, *item, *res = NULL;
    size_t n = 0, i;

    *out = NULL;
    if (q->filter && odata_expr_check(q->filter, ent, &err)) {
        api_error_from(resp, req, &err);
        return LCW_EINVAL;
    }
    for (size_t k = 0; k < q->n_orderby; k++) {
        bool known = false;

        for (size_t p = 0; p < ent->n_props; p++)
            known |= lcw_str_eq_ci(ent->props[p].name, q->orderby[k].property) &&
                     ent->props[p].sortable;
        if (!known) {
            api_error(resp, req, 400, "BadRequest", "$orderby: property '%s' is not sortable on %s",
                      q->orderby[k].property, ent->name);
            return LCW_EINVAL;
        }
    }
    matched = lcw_calloc(json_array_size(items) + 1, sizeof(*matched));
    if (!matched)
        goto oom;
    json_array_foreach (items, i, item) {
        bool keep = true;

        if (q->filter && odata_eval(q->filter, item, ODATA_EVAL_CASE_INSENSITIVE, &keep, &err)) {
            lcw_free(matched);
            api_error_from(resp, req, &err);
            return LCW_EINVAL;
        }
        if (keep)
            matched[n++] = item;
    }
    if (q->n_orderby) {
        sort_query = q;
        qsort(matched, n, sizeof(*matched), item_cmp);
    }
    res = json_array();
    for (i = 0; res && i < n; i++) {
        if (json_array_append(res, matched[i]))
            goto oom;
    }
    if (!res)
        goto oom;
    lcw_free(matched);
    *out = res;
    return 0;
oom:
    lcw_free(matched);
    json_decref(res);
    api_error(resp, req, 500, "InternalServerError", "out of memory");
    return LCW_ENOMEM;
}

void api__list_array(struct api_req *req, struct api_resp *resp, json_t *items,
                     const struct odata_entity *ent, const struct odata_query *q,
                     const char *context_fragment)
{
    struct store_page page = {json_array(), NULL, -1};
    json_t *matched = NULL;
    size_t n, i, start = 0, limit;

    if (!page.items)
        goto oom;
    if (api__array_match(req, resp, items, ent, q, &matched))
        goto out;
    n = json_array_size(matched);
    if (q->skiptoken) {
        int64_t v;

        if (str_to_i64(q->skiptoken, strlen(q->skiptoken), &v) || v < 0) {
            api_error(resp, req, 400, "BadRequest", "The $skiptoken is not valid for this query");
            goto out;
        }
        start = (size_t)v;
    }
    start += (size_t)q->skip;
    limit = q->top > 0 ? (size_t)q->top : (size_t)req->ctx->cfg->page_size;
    for (i = start; i < n && i < start + limit; i++) {
        json_t *copy = json_deep_copy(json_array_get(matched, i));

        if (!copy || json_array_append_new(page.items, copy))
            goto oom;
    }
    if (start + limit < n) {
        char tok[32];

        (void)snprintf(tok, sizeof(tok), "%zu", start + limit);
        page.next_token = lcw_strdup(tok);
        if (!page.next_token)
            goto oom;
    }
    page.count = (int64_t)n;
    json_decref(matched);
    api__page(req, resp, &page, q, context_fragment);
    return;
oom:
    api_error(resp, req, 500, "InternalServerError", "out of memory");
out:
    json_decref(matched);
    store_page_release(&page);
}

/* ---------------------------------------------------------------- audit */

json_t *api__identity(const struct api_req *req)
{
    return json_pack("{s:s, s:s}", "id", req->who.token_id, "displayName", req->who.name);
}

json_t *api__target(const char *id, const char *display_name, const char *type)
{
    return json_pack("{s:s?, s:s?, s:s, s:[]}", "id", id, "displayName", display_name, "type", type,
                     "modifiedProperties");
}

int api__target_modified(json_t *target, const char *name, const json_t *old_value,
                         const json_t *new_value)
{
    char *o = old_value ? jsonx_dump(old_value) : NULL;
    char *n = new_value ? jsonx_dump(new_value) : NULL;
    json_t *mp = json_pack("{s:s, s:s?, s:s?}", "displayName", name, "oldValue", o, "newValue", n);
    int rc = mp ? json_array_append_new(json_object_get(target, "modifiedProperties"), mp) : -1;

    lcw_free(o);
    lcw_free(n);
    return rc ? LCW_ENOMEM : 0;
}

int api__audit(struct store_tx *tx, const struct api_req *req, const char *category,
               const char *activity, const char *operation, json_t *targets, json_t *details,
               struct lcw_error *err)
{
    json_t *who = json_pack("{s:{s:s, s:s, s:n, s:n}, s:n}", "user", "id", req->who.token_id,
                            "displayName", req->who.name, "userPrincipalName", "ipAddress", "app");

    return store_audit_add(tx, req->now_ms, req->request_id, category, activity, operation,
                           "success", NULL, who, targets, details, err);
}
