/* SPDX-License-Identifier: MIT */
/*
 * http: the HTTP server (libmicrohttpd; the only module that includes
 * microhttpd.h). Routing by the api route table, body limits, bearer-token
 * extraction, request ids, Graph error envelopes for everything the api
 * layer never sees (401, 403, 404, 405, 413), access logs, /healthz and
 * /metrics.
 *
 * Threads: MHD runs its own pool of worker threads; each request is
 * handled entirely on one of them. http_start/http_stop are called from the
 * daemon's main thread only.
 */
#ifndef LCW_HTTP_H
#define LCW_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "lcw/api.h"
#include "lcw/common.h"

struct http_server;

struct http_options {
    const char *listen;     /* "HOST:PORT"; port 0 picks a free one */
    const char *tls_cert;   /* PEM file or NULL */
    const char *tls_key;    /* PEM file or NULL */
    const char *public_url; /* base for links, or NULL to use the request's Host */
    const char *web_dir;    /* admin UI files, or NULL to look beside the binary */
    unsigned threads;
    size_t max_body_bytes;
    unsigned rate_limit; /* requests per second per token; 0 = off */
};

/* Start serving. LCW_EINVAL for a bad listen address, LCW_EIO when binding fails. */
int http_start(const struct api_ctx *ctx, const struct http_options *opts, struct http_server **out,
               struct lcw_error *err);

/* The port actually bound. */
unsigned http_port(const struct http_server *s);

/* "http://127.0.0.1:8080" (or https), for logs and the startup banner. */
const char *http_url(const struct http_server *s);

/*
 * Stop accepting new connections, wait up to `drain_ms` for requests in
 * flight to finish, then stop the worker threads and free the server.
 * NULL-safe.
 */
void http_stop(struct http_server *s, int drain_ms);

/* Routing, exposed for unit tests. */
struct http_match {
    const struct api_route *route; /* NULL when nothing matched */
    struct strv params[API_MAX_PARAMS];
    size_t n_params;
    bool is_path_known; /* some route has this path (so a miss is 405, not 404) */
    char allow[128];    /* methods the path accepts, for the Allow header */
};

/* Match `method` and `path` (below the version prefix) against api_routes. */
void http_route_match(const char *method, const char *path, struct http_match *out);

#endif /* LCW_HTTP_H */
