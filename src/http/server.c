/* SPDX-License-Identifier: MIT */
/*
 * The libmicrohttpd server. Per NOTES.md, a request's context is allocated
 * on the first call of the access handler and the response is queued only
 * on a later call (queueing on the first call makes MHD close keep-alive
 * connections). The body is accumulated into a capped buffer; a body over
 * the limit is answered 413 without being read further. Everything a route
 * needs is resolved here (version prefix, route, token, permission, base
 * URL) before the api handler runs.
 */
#include "lcw/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "lcw/jsonx.h"

/*
 * Per-token rate limiting: a token bucket per token id (refilled at
 * rate_limit per second, holding at most twice that), in a small table
 * where a new token takes over the least recently used slot.
 */
#define RATE_BUCKETS 256

struct rate_bucket {
    char token_id[UUID_STR_LEN];
    double tokens;
    int64_t updated_ms;
};

struct http_server {
    struct MHD_Daemon *mhd;
    const struct api_ctx *ctx; /* borrowed */
    struct http_options opts;  /* strings borrowed from the config */
    bool is_tls;
    unsigned port;
    char url[256];
    char *cert_pem; /* owned */
    char *key_pem;  /* owned; wiped on free */
    atomic_ulong n_requests;
    atomic_ulong n_by_class[6]; /* 1xx..5xx */
    atomic_ulong n_in_flight;
    char web_dir[PATH_MAX];    /* admin UI files; "" when there are none */
    pthread_mutex_t rate_lock; /* guards `buckets` only, never held across I/O */
    struct rate_bucket buckets[RATE_BUCKETS];
};

/* Per-request state, from the first handler call to the completion callback. */
struct req_ctx {
    struct buf body;
    bool is_too_big;
    int64_t started_ms;
    char request_id[UUID_STR_LEN];
};

struct query_collect {
    struct api_req *req;
    bool is_overflow;
};

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct query_collect *qc = cls;

    (void)kind;
    if (qc->req->n_query == API_MAX_QUERY) {
        qc->is_overflow = true;
        return MHD_NO;
    }
    qc->req->query[qc->req->n_query].key = key;
    qc->req->query[qc->req->n_query].value = value;
    qc->req->n_query++;
    return MHD_YES;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static void add_common_headers(struct MHD_Response *r, const struct api_req *req)
{
    (void)MHD_add_response_header(r, "request-id", req->request_id);
    if (req->client_request_id)
        (void)MHD_add_response_header(r, "client-request-id", req->client_request_id);
    (void)MHD_add_response_header(r, "Cache-Control", "no-store");
}

/* Queue `resp` (JSON or empty) on the connection. */
/* A streamed body: chunks from the api layer's producer, sent chunked. */
struct stream_ctx {
    struct api_stream stream;
    struct buf pending;
    size_t offset; /* bytes of `pending` already sent */
    bool is_done;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct stream_ctx *sc = cls;
    size_t n;

    (void)pos;
    while (sc->offset == sc->pending.len) {
        if (sc->is_done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        buf_reset(&sc->pending);
        sc->offset = 0;
        if (sc->stream.next(sc->stream.state, &sc->pending, &sc->is_done)) {
            log_warn("export_failed", "bytes_sent=%llu", (unsigned long long)pos);
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    n = sc->pending.len - sc->offset;
    if (n > max)
        n = max;
    memcpy(out, sc->pending.data + sc->offset, n);
    sc->offset += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream_ctx *sc = cls;

    if (sc->stream.free)
        sc->stream.free(sc->stream.state);
    buf_release(&sc->pending);
    lcw_free(sc);
}

static enum MHD_Result send_stream(struct MHD_Connection *c, const struct api_req *req,
                                   struct api_resp *resp)
{
    struct stream_ctx *sc = lcw_calloc(1, sizeof(*sc));
    struct MHD_Response *r;
    enum MHD_Result ok;

    if (!sc) {
        if (resp->stream.free)
            resp->stream.free(resp->stream.state);
        return MHD_NO;
    }
    sc->stream = resp->stream;
    buf_init(&sc->pending, 16 * 1024 * 1024);
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, sc,
                                          stream_free);
    if (!r) {
        stream_free(sc);
        return MHD_NO;
    }
    (void)MHD_add_response_header(r, "Content-Type", resp->stream.content_type);
    add_common_headers(r, req);
    ok = MHD_queue_response(c, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_resp(struct MHD_Connection *c, const struct api_req *req,
                                 struct api_resp *resp, const char *allow)
{
    struct MHD_Response *r;
    enum MHD_Result ok;
    char *text = NULL;

    if (resp->stream.next && !resp->body)
        return send_stream(c, req, resp);
    if (resp->stream.free) {
        /* An error replaced the stream: release its state. */
        resp->stream.free(resp->stream.state);
        resp->stream.free = NULL;
    }
    if (resp->body) {
        text = jsonx_dump(resp->body);
        if (!text) {
            resp->status = 500;
            text = lcw_strdup("{\"error\":{\"code\":\"InternalServerError\",\"message\":\"out "
                              "of memory\"}}");
        }
    }
    if (text) {
        r = MHD_create_response_from_buffer_with_free_callback(strlen(text), text, lcw_free);
        if (r)
            (void)MHD_add_response_header(r, "Content-Type", "application/json");
        else
            lcw_free(text);
    } else {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    if (!r)
        return MHD_NO;
    add_common_headers(r, req);
    if (resp->location[0])
        (void)MHD_add_response_header(r, "Location", resp->location);
    if (resp->retry_after_s) {
        char ra[16];

        (void)snprintf(ra, sizeof(ra), "%u", resp->retry_after_s);
        (void)MHD_add_response_header(r, "Retry-After", ra);
    }
    if (allow)
        (void)MHD_add_response_header(r, "Allow", allow);
    ok = MHD_queue_response(c, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ok;
}

/* Strip "/v1.0" or "/beta" (case-insensitively); NULL when the path has neither. */
static const char *strip_version(const char *url, const char **version)
{
    static const char *const versions[] = {"v1.0", "beta"};

    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(versions[i]);

        if (url[0] == '/' && strncasecmp(url + 1, versions[i], n) == 0 &&
            (url[1 + n] == '/' || url[1 + n] == '\0')) {
            *version = versions[i];
            return url[1 + n] ? url + 1 + n : "/";
        }
    }
    return NULL;
}

/* scheme://host for absolute links: config, then X-Forwarded-*, then Host. */
static void base_url(struct http_server *s, struct MHD_Connection *c, char *out, size_t cap)
{
    const char *proto = header(c, "X-Forwarded-Proto");
    const char *host = header(c, "X-Forwarded-Host");

    if (s->opts.public_url) {
        (void)snprintf(out, cap, "%s", s->opts.public_url);
        return;
    }
    if (!proto || (strcmp(proto, "http") != 0 && strcmp(proto, "https") != 0))
        proto = s->is_tls ? "https" : "http";
    if (!host)
        host = header(c, "Host");
    if (!host || !*host || strpbrk(host, " /\\\"<>"))
        (void)snprintf(out, cap, "%s", s->url);
    else
        (void)snprintf(out, cap, "%s://%s", proto, host);
}

static void metrics_text(struct http_server *s, struct buf *b)
{
    (void)buf_printf(b, "# HELP lcw_http_requests_total HTTP requests served, by status class.\n"
                        "# TYPE lcw_http_requests_total counter\n");
    for (int i = 1; i <= 5; i++)
        (void)buf_printf(b, "lcw_http_requests_total{code=\"%dxx\"} %lu\n", i,
                         atomic_load(&s->n_by_class[i]));
    (void)buf_printf(b,
                     "# HELP lcw_http_requests_in_flight Requests being handled now.\n"
                     "# TYPE lcw_http_requests_in_flight gauge\n"
                     "lcw_http_requests_in_flight %lu\n"
                     "# HELP lcw_up 1 while lcwd serves.\n# TYPE lcw_up gauge\nlcw_up 1\n",
                     atomic_load(&s->n_in_flight));
}

static enum MHD_Result send_text(struct MHD_Connection *c, const struct api_req *req, int status,
                                 const char *ctype, struct buf *b)
{
    size_t len = b->len;
    char *text = buf_detach(b);
    struct MHD_Response *r;
    enum MHD_Result ok;

    if (!text)
        return MHD_NO;
    r = MHD_create_response_from_buffer_with_free_callback(len, text, lcw_free);
    if (!r) {
        lcw_free(text);
        return MHD_NO;
    }
    (void)MHD_add_response_header(r, "Content-Type", ctype);
    add_common_headers(r, req);
    ok = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

static const char *content_type_for(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"},
                 {".js", "text/javascript; charset=utf-8"},
                 {".mjs", "text/javascript; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},
                 {".json", "application/json"},
                 {".svg", "image/svg+xml"},
                 {".png", "image/png"},
                 {".ico", "image/x-icon"},
                 {".woff2", "font/woff2"},
                 {".txt", "text/plain; charset=utf-8"}};
    const char *dot = strrchr(path, '.');

    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++) {
        if (lcw_str_eq_ci(dot, types[i].ext))
            return types[i].type;
    }
    return "application/octet-stream";
}

/*
 * The admin UI's files (GET and HEAD, no token: the UI signs in through the
 * API). "/" serves index.html, and so do browser navigations (Accept:
 * text/html) to paths without an extension, so that the UI's own routes
 * survive a reload. Paths with ".." or backslashes are
 * refused; only regular files under web_dir are served.
 */
static enum MHD_Result send_static(struct http_server *s, struct MHD_Connection *c,
                                   const struct api_req *req, const char *url, int *status)
{
    char path[PATH_MAX + 64];
    const char *rel = url;
    const char *last = strrchr(url, '/');
    struct MHD_Response *r;
    struct stat st;
    enum MHD_Result ok;
    int fd;

    if (strstr(url, "..") || strchr(url, '\\'))
        return MHD_NO;
    if (strcmp(url, "/") == 0)
        rel = "/index.html";
    else if (!strchr(last ? last : url, '.')) {
        /* A reload of one of the UI's own pages: only for browsers, so that
         * API clients still get the Graph 404 for an unknown path. */
        const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");

        if (!accept || !strstr(accept, "text/html"))
            return MHD_NO;
        rel = "/index.html";
    }
    (void)snprintf(path, sizeof(path), "%s%s", s->web_dir, rel);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            (void)close(fd);
        return MHD_NO;
    }
    r = MHD_create_response_from_fd((size_t)st.st_size, fd);
    if (!r) {
        (void)close(fd);
        return MHD_NO;
    }
    (void)MHD_add_response_header(r, "Content-Type", content_type_for(path));
    (void)MHD_add_response_header(r, "Cache-Control", "no-cache");
    (void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    (void)MHD_add_response_header(r, "Content-Security-Policy",
                                  "default-src 'self'; img-src 'self' data:; style-src 'self' "
                                  "'unsafe-inline'");
    (void)MHD_add_response_header(r, "request-id", req->request_id);
    *status = 200;
    ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

/*
 * Take one request from the token's bucket. False when it is empty, with
 * *retry_s the whole seconds until a request is allowed again.
 */
static bool rate_allow(struct http_server *s, const char *token_id, unsigned *retry_s)
{
    double cap = 2.0 * s->opts.rate_limit;
    int64_t now = lcw_monotonic_ms();
    struct rate_bucket *b = NULL, *oldest = &s->buckets[0];
    bool ok;

    if (!s->opts.rate_limit)
        return true;
    pthread_mutex_lock(&s->rate_lock);
    for (size_t i = 0; i < RATE_BUCKETS; i++) {
        if (strcmp(s->buckets[i].token_id, token_id) == 0) {
            b = &s->buckets[i];
            break;
        }
        if (s->buckets[i].updated_ms < oldest->updated_ms)
            oldest = &s->buckets[i];
    }
    if (!b) {
        b = oldest;
        lcw_strlcpy(b->token_id, token_id, sizeof(b->token_id));
        b->tokens = cap;
        b->updated_ms = now;
    }
    b->tokens += (double)(now - b->updated_ms) * s->opts.rate_limit / 1000.0;
    if (b->tokens > cap)
        b->tokens = cap;
    b->updated_ms = now;
    ok = b->tokens >= 1.0;
    if (ok)
        b->tokens -= 1.0;
    else
        *retry_s = (unsigned)((1.0 - b->tokens) / s->opts.rate_limit) + 1;
    pthread_mutex_unlock(&s->rate_lock);
    return ok;
}

/* Run the request once the body is complete. */
static enum MHD_Result dispatch(struct http_server *s, struct MHD_Connection *c, struct req_ctx *rc,
                                const char *url, const char *method, int *status_out)
{
    struct api_req req = {0};
    struct api_resp resp = {0};
    struct http_match m;
    struct query_collect qc = {&req, false};
    struct lcw_error err = {0};
    char base[256];
    const char *auth, *path;
    enum MHD_Result ok;

    req.ctx = s->ctx;
    req.method = method;
    req.request_id = rc->request_id;
    req.client_request_id = header(c, "client-request-id");
    req.now_ms = lcw_clock_now(s->ctx->clock);
    req.prefer = header(c, "Prefer");
    req.accept = header(c, "Accept");
    req.body = rc->body.data;
    req.body_len = rc->body.len;
    req.path = url;
    req.version = "v1.0";
    base_url(s, c, base, sizeof(base));
    req.base_url = base;

    if (strcmp(url, "/healthz") == 0 && strcmp(method, "GET") == 0) {
        api_healthz(&req, &resp);
        goto send;
    }
    if (strcmp(url, "/metrics") == 0 && strcmp(method, "GET") == 0) {
        struct buf b;

        buf_init(&b, 64 * 1024);
        metrics_text(s, &b);
        *status_out = 200;
        ok = send_text(c, &req, 200, "text/plain; version=0.0.4", &b);
        buf_release(&b);
        return ok;
    }
    if (rc->is_too_big) {
        api_error(&resp, &req, 413, "RequestEntityTooLarge",
                  "The request body is larger than the limit of %zu bytes", s->opts.max_body_bytes);
        goto send;
    }
    path = strip_version(url, &req.version);
    if (!path && s->web_dir[0] && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
        ok = send_static(s, c, &req, url, status_out);
        if (ok == MHD_YES)
            return ok;
    }
    if (!path) {
        api_error(&resp, &req, 404, "ResourceNotFound",
                  "Resource not found: '%s' (the API is served under /v1.0/ and /beta/)", url);
        goto send;
    }
    req.path = path;
    (void)MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_query, &qc);
    if (qc.is_overflow) {
        api_error(&resp, &req, 400, "BadRequest", "Too many query parameters (at most %d)",
                  API_MAX_QUERY);
        goto send;
    }
    http_route_match(method, path, &m);
    if (!m.route) {
        if (m.is_path_known) {
            api_error(&resp, &req, 405, "MethodNotAllowed",
                      "Method %s is not allowed on '%s' (allowed: %s)", method, path, m.allow);
            *status_out = resp.status;
            ok = send_resp(c, &req, &resp, m.allow);
            json_decref(resp.body);
            return ok;
        }
        api_not_found(&resp, &req);
        goto send;
    }
    auth = header(c, "Authorization");
    if (m.route->perm == PERM_CALLBACK && auth && strncasecmp(auth, "Bearer ", 7) == 0) {
        /* The handler decides; a valid lcw token still identifies the caller. */
        req.bearer = auth + 7;
        if (api_authenticate(s->ctx, auth + 7, &req.who, &err))
            memset(&req.who, 0, sizeof(req.who));
        goto run;
    }
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0) {
        api_error(&resp, &req, 401, "InvalidAuthenticationToken",
                  "Access token is empty; send 'Authorization: Bearer <token>'");
        goto send;
    }
    if (api_authenticate(s->ctx, auth + 7, &req.who, &err)) {
        if (err.code == LCW_EAUTH)
            api_error(&resp, &req, 401, "InvalidAuthenticationToken", "%s", err.msg);
        else
            api_error_from(&resp, &req, &err);
        goto send;
    }
    {
        unsigned retry_s = 1;

        if (!rate_allow(s, req.who.token_id, &retry_s)) {
            resp.retry_after_s = retry_s;
            api_error(&resp, &req, 429, "TooManyRequests",
                      "Too many requests for this token (limit %u per second); retry after %u s",
                      s->opts.rate_limit, retry_s);
            goto send;
        }
    }
    if ((req.who.perms & m.route->perm) != m.route->perm) {
        api_error(&resp, &req, 403, "Authorization_RequestDenied",
                  "Insufficient privileges to complete the operation: '%s' (%s) may not %s %s",
                  req.who.name, req.who.role, method, path);
        goto send;
    }
run:
    memcpy(req.params, m.params, sizeof(m.params));
    req.n_params = m.n_params;
    m.route->fn(&req, &resp);
    if (!resp.status)
        api_error(&resp, &req, 500, "InternalServerError", "The handler produced no response");
send:
    *status_out = resp.status;
    ok = send_resp(c, &req, &resp, NULL);
    json_decref(resp.body);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct http_server *s = cls;
    struct req_ctx *rc = *con_cls;
    int status = 0;
    enum MHD_Result ok;

    (void)version;
    if (!rc) {
        const char *cl = header(c, "Content-Length");
        int64_t n;

        rc = lcw_calloc(1, sizeof(*rc));
        if (!rc)
            return MHD_NO;
        buf_init(&rc->body, s->opts.max_body_bytes);
        rc->started_ms = lcw_monotonic_ms();
        uuid_v4(rc->request_id);
        if (cl && str_to_i64(cl, strlen(cl), &n) == 0 && n > (int64_t)s->opts.max_body_bytes)
            rc->is_too_big = true;
        *con_cls = rc;
        atomic_fetch_add(&s->n_in_flight, 1);
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!rc->is_too_big) {
            int brc = buf_append(&rc->body, upload_data, *upload_data_size);

            if (brc == LCW_ETOOBIG)
                rc->is_too_big = true;
            else if (brc)
                return MHD_NO;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    ok = dispatch(s, c, rc, url, method, &status);
    atomic_fetch_add(&s->n_requests, 1);
    if (status >= 100 && status < 600)
        atomic_fetch_add(&s->n_by_class[status / 100], 1);
    log_info("http_request", "method=%s path=\"%s\" status=%d duration_ms=%lld request_id=%s",
             method, url, status, (long long)(lcw_monotonic_ms() - rc->started_ms), rc->request_id);
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct req_ctx *rc = *con_cls;

    (void)c;
    (void)toe;
    if (!rc)
        return;
    atomic_fetch_sub(&s->n_in_flight, 1);
    buf_release(&rc->body);
    lcw_free(rc);
    *con_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    (void)cls;
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '"'))
        msg[--n] = '\0';
    log_warn("http_server", "detail=\"%s\"", msg);
}

static int read_file(const char *path, char **out, struct lcw_error *err)
{
    FILE *f = fopen(path, "rb");
    struct buf b;
    char chunk[4096];
    size_t n;
    int rc = 0;

    if (!f)
        return lcw_error_set(err, LCW_EIO, "cannot read '%s'", path);
    buf_init(&b, 1024 * 1024);
    while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = buf_append(&b, chunk, n);
    (void)fclose(f);
    if (rc) {
        buf_release(&b);
        return lcw_error_set(err, rc, "'%s' is too large", path);
    }
    *out = buf_detach(&b);
    return 0;
}

/*
 * Where the admin UI lives: the configured directory, else web/ beside the
 * source tree the binary was built in (build/lcwd -> ../web), else the
 * installed copy. "" when none has an index.html.
 */
static void find_web_dir(const char *configured, char *out, size_t cap)
{
    char exe[PATH_MAX], cand[PATH_MAX + 32];
    const char *candidates[3] = {configured, NULL, "/usr/local/share/lcw/web"};
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    out[0] = '\0';
    if (n > 0) {
        char *slash;

        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            (void)snprintf(cand, sizeof(cand), "%s/../web", exe);
            candidates[1] = cand;
        }
    }
    for (size_t i = 0; i < 3; i++) {
        char index[PATH_MAX + 64];
        struct stat st;

        if (!candidates[i])
            continue;
        (void)snprintf(index, sizeof(index), "%s/index.html", candidates[i]);
        if (stat(index, &st) == 0 && S_ISREG(st.st_mode) && realpath(candidates[i], exe)) {
            lcw_strlcpy(out, exe, cap);
            return;
        }
    }
}

/* Parse "HOST:PORT" or "[V6]:PORT" into a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, char *host_out, size_t cap,
                        struct lcw_error *err)
{
    const char *colon = strrchr(listen, ':');
    char host[128];
    int64_t port;
    size_t hl;

    if (!colon || str_to_i64(colon + 1, strlen(colon + 1), &port) || port < 0 || port > 65535)
        return lcw_error_set(err, LCW_EINVAL, "listen address '%s' is not HOST:PORT", listen);
    hl = (size_t)(colon - listen);
    if (hl >= sizeof(host))
        return lcw_error_set(err, LCW_EINVAL, "listen host too long");
    memcpy(host, listen, hl);
    host[hl] = '\0';
    memset(ss, 0, sizeof(*ss));
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

        host[hl - 1] = '\0';
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return lcw_error_set(err, LCW_EINVAL, "'%s' is not an IPv6 address", host + 1);
        (void)snprintf(host_out, cap, "[%s]", host + 1);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

        if (strcmp(host, "localhost") == 0)
            lcw_strlcpy(host, "127.0.0.1", sizeof(host));
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
            return lcw_error_set(err, LCW_EINVAL, "'%s' is not an IPv4 address", host);
        lcw_strlcpy(host_out, host, cap);
    }
    return 0;
}

static void server_free(struct http_server *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->rate_lock);
    lcw_free(s->cert_pem);
    if (s->key_pem) {
        memset(s->key_pem, 0, strlen(s->key_pem));
        lcw_free(s->key_pem);
    }
    lcw_free(s);
}

int http_start(const struct api_ctx *ctx, const struct http_options *opts, struct http_server **out,
               struct lcw_error *err)
{
    struct sockaddr_storage ss;
    struct http_server *s;
    const union MHD_DaemonInfo *info;
    /* ITC lets http_stop quiesce the daemon (stop accepting) before stopping it. */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    char host[136];
    int rc;

    *out = NULL;
    s = lcw_calloc(1, sizeof(*s));
    if (!s)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    s->ctx = ctx;
    s->opts = *opts;
    pthread_mutex_init(&s->rate_lock, NULL);
    rc = parse_listen(opts->listen, &ss, host, sizeof(host), err);
    if (rc)
        goto fail;
    find_web_dir(opts->web_dir, s->web_dir, sizeof(s->web_dir));
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (opts->tls_cert || opts->tls_key) {
        if (!opts->tls_cert || !opts->tls_key) {
            rc = lcw_error_set(err, LCW_EINVAL, "TLS needs both --tls-cert and --tls-key");
            goto fail;
        }
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            rc = lcw_error_set(err, LCW_EUNAVAIL, "this libmicrohttpd was built without TLS");
            goto fail;
        }
        rc = read_file(opts->tls_cert, &s->cert_pem, err);
        if (!rc)
            rc = read_file(opts->tls_key, &s->key_pem, err);
        if (rc)
            goto fail;
        flags |= MHD_USE_TLS;
        s->is_tls = true;
    }
    s->mhd = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
            (unsigned)(opts->threads ? opts->threads : 4), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            (size_t)32 * 1024, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
            /* Without TLS the option list ends here; the two below are never read. */
            s->is_tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->cert_pem,
            MHD_OPTION_HTTPS_MEM_KEY, s->key_pem, MHD_OPTION_END);
    if (!s->mhd) {
        rc = lcw_error_set(err, LCW_EIO, "cannot listen on %s (address in use or bad TLS files?)",
                           opts->listen);
        goto fail;
    }
    info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    (void)snprintf(s->url, sizeof(s->url), "%s://%s:%u", s->is_tls ? "https" : "http", host,
                   s->port);
    *out = s;
    return 0;
fail:
    server_free(s);
    return rc;
}

unsigned http_port(const struct http_server *s)
{
    return s->port;
}

const char *http_url(const struct http_server *s)
{
    return s->url;
}

void http_stop(struct http_server *s, int drain_ms)
{
    int64_t deadline;
    MHD_socket fd;

    if (!s)
        return;
    /* Stop accepting, let requests in flight finish, then stop the threads. */
    fd = MHD_quiesce_daemon(s->mhd);
    if (fd != MHD_INVALID_SOCKET)
        (void)close(fd);
    deadline = lcw_monotonic_ms() + drain_ms;
    while (atomic_load(&s->n_in_flight) > 0 && lcw_monotonic_ms() < deadline) {
        struct timespec ts = {0, 20 * 1000 * 1000};

        (void)nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->mhd);
    server_free(s);
}
