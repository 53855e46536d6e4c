/* SPDX-License-Identifier: MIT */
/*
 * lcw's HTTP client: one libcurl easy handle per invocation (so requests
 * reuse the connection), the connection settings (flags, then LCW_URL and
 * LCW_TOKEN, then the config file), Graph error bodies turned into exit
 * statuses, @odata.nextLink paging and streamed exports. Every transfer has
 * a connect timeout and a total (or, for exports, a low-speed) timeout, TLS
 * is verified unless --insecure, and redirects are never followed, so the
 * token is only ever sent to the configured server. Single-threaded.
 */
#include "cli_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CONNECT_TIMEOUT_MS 10000L
#define REQUEST_TIMEOUT_S  60L
#define STREAM_IDLE_S      60L
#define MAX_BODY_BYTES     ((size_t)256 << 20)
#define MAX_PAGES          1000000
#define PREFER_HEADER      "Prefer: include-unknown-enum-members, return=representation"

static bool has_prefix_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int set_owned(char **dst, const char *src)
{
    lcw_free(*dst);
    *dst = src ? lcw_strdup(src) : NULL;
    return (src && !*dst) ? CLI_EUSAGE : CLI_OK;
}

int cli__connect(struct cli *c)
{
    char *cfg_url = NULL, *cfg_token = NULL, *cfg_cacert = NULL;
    bool cfg_insecure = false;
    const char *url, *token;
    size_t n;
    int rc;

    rc = cli__config_read(&cfg_url, &cfg_token, &cfg_cacert, &cfg_insecure);
    if (rc)
        goto out;
    url = c->o.url ? c->o.url : getenv("LCW_URL");
    if (!url || !*url)
        url = cfg_url;
    token = c->o.token ? c->o.token : getenv("LCW_TOKEN");
    if (!token || !*token)
        token = cfg_token;
    if (!url || !*url) {
        rc = cli__fail(c, CLI_ECONN,
                       "no server configured: pass --url, set LCW_URL, or run 'lcw login --url URL "
                       "--token TOKEN'");
        goto out;
    }
    if (!has_prefix_ci(url, "http://") && !has_prefix_ci(url, "https://")) {
        rc = cli__fail(c, CLI_EUSAGE,
                       "the server URL must start with http:// or https:// (got '%s')", url);
        goto out;
    }
    if (!token || !*token) {
        rc = cli__fail(c, CLI_ECONN,
                       "no token configured: pass --token, set LCW_TOKEN, or run 'lcw login'");
        goto out;
    }
    if (set_owned(&c->base_url, url) || set_owned(&c->token, token) ||
        set_owned(&c->cacert, c->o.cacert ? c->o.cacert : cfg_cacert)) {
        rc = cli__fail(c, CLI_EUSAGE, "out of memory");
        goto out;
    }
    n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/')
        c->base_url[--n] = '\0';
    c->is_insecure = c->o.is_insecure || cfg_insecure;
    c->curl = curl_easy_init();
    if (!c->curl)
        rc = cli__fail(c, CLI_EUSAGE, "could not initialise libcurl");
out:
    lcw_free(cfg_url);
    if (cfg_token) {
        explicit_bzero(cfg_token, strlen(cfg_token));
        lcw_free(cfg_token);
    }
    lcw_free(cfg_cacert);
    return rc;
}

void cli__disconnect(struct cli *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    c->curl = NULL;
    if (c->token) {
        explicit_bzero(c->token, strlen(c->token));
        lcw_free(c->token);
    }
    c->token = NULL;
    lcw_free(c->base_url);
    c->base_url = NULL;
    lcw_free(c->cacert);
    c->cacert = NULL;
}

/* ------------------------------------------------------------ encoding */

int cli__urlenc(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            rc = buf_putc(b, (char)*p);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

            rc = buf_append(b, esc, sizeof(esc));
        }
    }
    return rc;
}

int cli__query_add(struct buf *b, const char *name, const char *value)
{
    int rc = buf_putc(b, strchr(buf_cstr(b), '?') ? '&' : '?');

    if (!rc)
        rc = buf_puts(b, name);
    if (!rc)
        rc = buf_putc(b, '=');
    if (!rc)
        rc = cli__urlenc(b, value);
    return rc;
}

int cli__odata_str(struct buf *b, const char *value)
{
    int rc = buf_putc(b, '\'');

    for (const char *p = value; *p && !rc; p++)
        rc = *p == '\'' ? buf_puts(b, "''") : buf_putc(b, *p);
    if (!rc)
        rc = buf_putc(b, '\'');
    return rc;
}

/*
 * The URL for `path`: the server URL + path, or an absolute URL from the
 * server rebased onto the server URL (the part from "/v1.0/" or "/beta/"
 * on), so that the token never leaves for a host the user did not name.
 */
static int full_url(const struct cli *c, const char *path, struct buf *url)
{
    const char *rest = path;

    if (has_prefix_ci(path, "http://") || has_prefix_ci(path, "https://")) {
        size_t n = strlen(c->base_url);

        if (strncmp(path, c->base_url, n) == 0 && (path[n] == '/' || path[n] == '\0')) {
            rest = path + n;
        } else {
            const char *v = strstr(path, "/v1.0/");

            if (!v)
                v = strstr(path, "/beta/");
            if (!v)
                return LCW_EINVAL;
            rest = v;
        }
    }
    if (buf_puts(url, c->base_url) || buf_puts(url, rest))
        return LCW_ENOMEM;
    return 0;
}

/* --------------------------------------------------------- transfers */

struct xfer {
    struct cli *c;
    struct buf body;
    FILE *stream;     /* exports: successful bodies go here */
    bool skip_header; /* drop the first line of a streamed body */
    bool is_error;    /* status >= 400: keep the body for the message */
    bool checked_status;
    bool is_too_big;
};

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct xfer *x = ctx;
    size_t len = size * n, k = strlen("location:");

    if (len > k && strncasecmp(data, "location:", k) == 0) {
        const char *v = data + k;
        size_t vl = len - k;

        while (vl > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        if (vl < sizeof(x->c->location)) {
            memcpy(x->c->location, v, vl);
            x->c->location[vl] = '\0';
        }
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct xfer *x = ctx;
    size_t len = size * n;

    if (x->stream && !x->checked_status) {
        long status = 0;

        (void)curl_easy_getinfo(x->c->curl, CURLINFO_RESPONSE_CODE, &status);
        x->is_error = status >= 300;
        x->checked_status = true;
    }
    if (x->stream && !x->is_error) {
        const char *p = data;
        size_t left = len;

        if (x->skip_header) {
            const char *nl = memchr(p, '\n', left);

            if (!nl)
                return len;
            left -= (size_t)(nl + 1 - p);
            p = nl + 1;
            x->skip_header = false;
        }
        return fwrite(p, 1, left, x->stream) == left ? len : 0;
    }
    if (buf_append(&x->body, data, len)) {
        x->is_too_big = true;
        return 0;
    }
    return len;
}

/* Fill `e` from a non-2xx response body (Graph's error envelope when it is one). */
static void parse_error(long status, const struct buf *body, struct cli_apierr *e)
{
    json_t *doc = json_loads(buf_cstr(body), 0, NULL);
    const json_t *err = json_object_get(doc, "error");
    const char *code = jsonx_str(err, "code"), *msg = jsonx_str(err, "message");

    e->status = status;
    e->exit = status == 401 ? CLI_ECONN : CLI_EAPI;
    (void)snprintf(e->code, sizeof(e->code), "%s", code ? code : "HTTP");
    if (msg)
        (void)snprintf(e->message, sizeof(e->message), "%s", msg);
    else
        (void)snprintf(e->message, sizeof(e->message), "the server answered HTTP %ld%s%.200s",
                       status, body->len ? ": " : "", buf_cstr(body));
    json_decref(doc);
}

static void conn_error(struct cli_apierr *e, const char *url, CURLcode cc, const char *detail)
{
    e->status = 0;
    e->exit = CLI_ECONN;
    (void)snprintf(e->code, sizeof(e->code), "%s",
                   cc == CURLE_OPERATION_TIMEDOUT ? "Timeout" : "ConnectionFailed");
    (void)snprintf(e->message, sizeof(e->message), "%s: %s", url,
                   detail && *detail ? detail : curl_easy_strerror(cc));
}

/*
 * One transfer. `body_text` may be NULL. Fills *status and x->body (or
 * streams). Returns CLI_OK when the server answered (any status).
 */
static int perform(struct cli *c, const char *method, const char *path, const char *body_text,
                   const char *accept, struct xfer *x, long *status, struct cli_apierr *e)
{
    struct curl_slist *hdrs = NULL, *more;
    char errbuf[CURL_ERROR_SIZE] = "";
    struct buf url, auth;
    CURLcode cc;
    int rc = CLI_OK;

    buf_init(&url, 16384);
    buf_init(&auth, 8192);
    c->location[0] = '\0';
    if (full_url(c, path, &url)) {
        (void)snprintf(e->code, sizeof(e->code), "BadLink");
        (void)snprintf(e->message, sizeof(e->message),
                       "the server returned a link outside its API: %.300s", path);
        e->exit = CLI_EAPI;
        rc = CLI_EAPI;
        goto out;
    }
    if (buf_printf(&auth, "Authorization: Bearer %s", c->token)) {
        rc = e->exit = CLI_EUSAGE;
        (void)snprintf(e->message, sizeof(e->message), "out of memory");
        goto out;
    }
    hdrs = curl_slist_append(NULL, buf_cstr(&auth));
    more = hdrs ? curl_slist_append(hdrs, PREFER_HEADER) : NULL;
    if (more)
        more = curl_slist_append(hdrs, "User-Agent: lcw/" LCW_VERSION);
    if (more && body_text)
        more = curl_slist_append(hdrs, "Content-Type: application/json");
    if (more) {
        char acc[160];

        (void)snprintf(acc, sizeof(acc), "Accept: %s", accept ? accept : "application/json");
        more = curl_slist_append(hdrs, acc);
    }
    if (!more) {
        rc = e->exit = CLI_EUSAGE;
        (void)snprintf(e->message, sizeof(e->message), "out of memory");
        goto out;
    }
    curl_easy_reset(c->curl);
    (void)curl_easy_setopt(c->curl, CURLOPT_URL, buf_cstr(&url));
    (void)curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    (void)curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
    (void)curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    if (x->stream) {
        (void)curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
        (void)curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME,
                               c->o.timeout_s > 0 ? c->o.timeout_s : STREAM_IDLE_S);
    } else {
        (void)curl_easy_setopt(c->curl, CURLOPT_TIMEOUT,
                               c->o.timeout_s > 0 ? c->o.timeout_s : REQUEST_TIMEOUT_S);
    }
    (void)curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, c->is_insecure ? 0L : 1L);
    (void)curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, c->is_insecure ? 0L : 2L);
    if (c->cacert)
        (void)curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->cacert);
    (void)curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
    (void)curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "GET") != 0) {
        (void)curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body_text ? body_text : "");
        (void)curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE,
                               (long)(body_text ? strlen(body_text) : 0));
    }
    (void)curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    (void)curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, x);
    (void)curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
    (void)curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, x);
    (void)curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
    cc = curl_easy_perform(c->curl);
    (void)curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
    if (cc == CURLE_WRITE_ERROR && x->is_too_big) {
        (void)snprintf(e->code, sizeof(e->code), "ResponseTooLarge");
        (void)snprintf(e->message, sizeof(e->message), "the response is larger than %zu bytes",
                       x->body.max);
        rc = e->exit = CLI_EAPI;
        goto out;
    }
    if (cc != CURLE_OK) {
        conn_error(e, buf_cstr(&url), cc, errbuf);
        rc = CLI_ECONN;
        goto out;
    }
    (void)curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
out:
    curl_slist_free_all(hdrs);
    if (auth.data)
        explicit_bzero(auth.data, auth.len);
    buf_release(&auth);
    buf_release(&url);
    return rc;
}

int cli__apierr_print(const struct cli_apierr *e)
{
    if (e->status)
        (void)fprintf(stderr, "lcw: %s (HTTP %ld): %s\n", e->code, e->status, e->message);
    else
        (void)fprintf(stderr, "lcw: %s\n", e->message);
    return e->exit ? e->exit : CLI_EAPI;
}

int cli__api(struct cli *c, const char *method, const char *path, const json_t *body, json_t **out,
             struct cli_apierr *e)
{
    struct cli_apierr local = {0};
    struct cli_apierr *err = e ? e : &local;
    struct xfer x = {.c = c};
    char *text = NULL;
    long status = 0;
    int rc;

    if (out)
        *out = NULL;
    memset(err, 0, sizeof(*err));
    buf_init(&x.body, MAX_BODY_BYTES);
    if (body && !(text = json_dumps(body, JSON_COMPACT))) {
        err->exit = CLI_EUSAGE;
        (void)snprintf(err->message, sizeof(err->message), "out of memory");
        rc = CLI_EUSAGE;
        goto out;
    }
    rc = perform(c, method, path, text, NULL, &x, &status, err);
    if (rc)
        goto out;
    if (status < 200 || status >= 300) {
        parse_error(status, &x.body, err);
        rc = err->exit;
        goto out;
    }
    if (out && x.body.len) {
        json_error_t jerr;

        *out = json_loads(buf_cstr(&x.body), 0, &jerr);
        if (!*out) {
            err->exit = CLI_EAPI;
            err->status = status;
            (void)snprintf(err->code, sizeof(err->code), "BadResponse");
            (void)snprintf(err->message, sizeof(err->message),
                           "the server's answer is not JSON (line %d: %s)", jerr.line, jerr.text);
            rc = CLI_EAPI;
        }
    }
out:
    if (rc && !e) {
        cli__progress_end(c);
        rc = cli__apierr_print(err);
    }
    lcw_free(text);
    buf_release(&x.body);
    return rc;
}

int cli__api_all(struct cli *c, const char *path, json_t **items)
{
    json_t *all = json_array(), *page = NULL;
    char *next = lcw_strdup(path);
    int rc = CLI_OK;

    *items = NULL;
    if (!all || !next) {
        rc = cli__fail(c, CLI_EUSAGE, "out of memory");
        goto out;
    }
    for (long pages = 0; next && pages < MAX_PAGES; pages++) {
        const char *link;
        char *cur = next;

        next = NULL;
        rc = cli__api(c, "GET", cur, NULL, &page, NULL);
        lcw_free(cur);
        if (rc)
            goto out;
        if (!json_is_array(json_object_get(page, "value"))) {
            rc = cli__fail(c, CLI_EAPI, "the server's answer has no 'value' list");
            goto out;
        }
        if (json_array_extend(all, json_object_get(page, "value"))) {
            rc = cli__fail(c, CLI_EUSAGE, "out of memory");
            goto out;
        }
        link = jsonx_str(page, "@odata.nextLink");
        if (link && !(next = lcw_strdup(link))) {
            rc = cli__fail(c, CLI_EUSAGE, "out of memory");
            goto out;
        }
        json_decref(page);
        page = NULL;
    }
    *items = all;
    all = NULL;
out:
    lcw_free(next);
    json_decref(page);
    json_decref(all);
    return rc;
}

int cli__api_stream(struct cli *c, const char *path, const char *accept, bool skip_header, FILE *fp)
{
    struct cli_apierr e = {0};
    struct xfer x = {.c = c, .stream = fp, .skip_header = skip_header};
    long status = 0;
    int rc;

    buf_init(&x.body, 1 << 20);
    rc = perform(c, "GET", path, NULL, accept, &x, &status, &e);
    if (!rc && (status < 200 || status >= 300)) {
        parse_error(status, &x.body, &e);
        rc = e.exit;
    }
    if (!rc && fflush(fp) != 0)
        rc = cli__fail(c, CLI_EUSAGE, "could not write the export");
    else if (rc)
        rc = cli__apierr_print(&e);
    buf_release(&x.body);
    return rc;
}
