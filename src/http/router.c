/* SPDX-License-Identifier: MIT */
/*
 * Route matching: split the path into segments and compare them with each
 * route pattern, case-insensitively (Graph path segments are), capturing
 * "{}" segments and accepting actions both short and namespace-qualified.
 * The table is small (tens of routes), so a linear scan is simplest and fast
 * enough; it touches no shared state.
 */
#include "lcw/http.h"

#include <string.h>

#define MAX_SEGMENTS 16

struct segs {
    struct strv s[MAX_SEGMENTS];
    size_t n;
};

/* Split on '/', ignoring empty segments (so "//" and a trailing '/' are tolerated). */
static bool split(const char *path, struct segs *out)
{
    const char *p = path;

    out->n = 0;
    while (*p) {
        const char *q;

        while (*p == '/')
            p++;
        if (!*p)
            break;
        q = p;
        while (*q && *q != '/')
            q++;
        if (out->n == MAX_SEGMENTS)
            return false;
        out->s[out->n++] = (struct strv){p, (size_t)(q - p)};
        p = q;
    }
    return true;
}

/* An action segment matches "name", "microsoft.graph.identityGovernance.name" or
 * "microsoft.graph.name". */
static bool action_matches(struct strv seg, struct strv name)
{
    static const char *const prefixes[] = {"", "microsoft.graph.identityGovernance.",
                                           "microsoft.graph."};

    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t pl = strlen(prefixes[i]);

        if (seg.len == pl + name.len && strv_starts_with_ci(seg, prefixes[i]) &&
            strncasecmp(seg.p + pl, name.p, name.len) == 0)
            return true;
    }
    return false;
}

static bool pattern_matches(const struct segs *path, const struct segs *pat, struct http_match *m)
{
    if (path->n != pat->n)
        return false;
    m->n_params = 0;
    for (size_t i = 0; i < pat->n; i++) {
        struct strv ps = pat->s[i];

        if (ps.len == 2 && ps.p[0] == '{' && ps.p[1] == '}') {
            if (m->n_params == API_MAX_PARAMS)
                return false;
            m->params[m->n_params++] = path->s[i];
        } else if (ps.len > 3 && ps.p[0] == '!' && ps.p[ps.len - 2] == '(' &&
                   ps.p[ps.len - 1] == ')') {
            /* A function: "name(args)"; the args are captured as a parameter. */
            struct strv seg = path->s[i];
            const char *open = memchr(seg.p, '(', seg.len);

            if (!open || seg.p[seg.len - 1] != ')' || m->n_params == API_MAX_PARAMS ||
                !action_matches((struct strv){seg.p, (size_t)(open - seg.p)},
                                (struct strv){ps.p + 1, ps.len - 3}))
                return false;
            m->params[m->n_params++] =
                    (struct strv){open + 1, (size_t)(seg.p + seg.len - 1 - (open + 1))};
        } else if (ps.len > 1 && ps.p[0] == '!') {
            if (!action_matches(path->s[i], (struct strv){ps.p + 1, ps.len - 1}))
                return false;
        } else if (path->s[i].len != ps.len || strncasecmp(path->s[i].p, ps.p, ps.len) != 0) {
            return false;
        }
    }
    return true;
}

void http_route_match(const char *method, const char *path, struct http_match *out)
{
    struct segs ps, pat;
    struct http_match m;

    memset(out, 0, sizeof(*out));
    if (!split(path, &ps))
        return;
    for (size_t i = 0; i < api_n_routes; i++) {
        const struct api_route *r = &api_routes[i];

        memset(&m, 0, sizeof(m));
        if (!split(r->pattern, &pat) || !pattern_matches(&ps, &pat, &m))
            continue;
        out->is_path_known = true;
        if (!strstr(out->allow, r->method)) {
            size_t n = strlen(out->allow);

            if (n + strlen(r->method) + 3 < sizeof(out->allow)) {
                if (n)
                    lcw_strlcpy(out->allow + n, ", ", sizeof(out->allow) - n);
                lcw_strlcpy(out->allow + strlen(out->allow), r->method,
                            sizeof(out->allow) - strlen(out->allow));
            }
        }
        if (!out->route && strcmp(r->method, method) == 0) {
            out->route = r;
            memcpy(out->params, m.params, sizeof(m.params));
            out->n_params = m.n_params;
        }
    }
}
