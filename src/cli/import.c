/* SPDX-License-Identifier: MIT */
/*
 * `lcw users import FILE.csv`: create or update directory users from a CSV
 * file with a header row, then set their managers and add their group
 * memberships. Pass 1 creates or updates every user (matched on
 * userPrincipalName, ignoring case), so that pass 2 can name managers that
 * appear later in the file. A bad row is recorded with its line number and
 * never stops the others; only a connection or authentication failure ends
 * the import early. Single-threaded.
 */
#include "cli_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lcw/jsonx.h"

#define MAX_CSV_BYTES ((size_t)64 << 20)
#define MAX_COLUMNS   200

enum row_outcome { ROW_PENDING, ROW_CREATED, ROW_UPDATED, ROW_UNCHANGED };

struct row {
    long line;
    json_t *cells;                      /* owned: the record's strings */
    const char *upn;                    /* borrowed from cells */
    char id[UUID_STR_LEN];              /* the user's id once known */
    char current_manager[UUID_STR_LEN]; /* before the import, or "" */
    enum row_outcome outcome;
    bool is_failed;
    char error[1024];
};

struct import {
    struct cli *c;
    json_t *header; /* owned: column names */
    long col_upn, col_manager, col_groups;
    struct row *rows; /* owned */
    size_t n_rows;
    json_t *ids_by_upn; /* owned: lower-case UPN -> user id, for managers */
    json_t *group_ids;  /* owned: group argument -> id */
};

static void row_fail(struct row *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void row_fail(struct row *r, const char *fmt, ...)
{
    va_list ap;
    size_t n = strlen(r->error);

    if (n && n + 2 < sizeof(r->error)) {
        memcpy(r->error + n, "; ", 3);
        n += 2;
    }
    va_start(ap, fmt);
    (void)vsnprintf(r->error + n, sizeof(r->error) - n, fmt, ap);
    va_end(ap);
    r->is_failed = true;
}

static void lower(char *s)
{
    for (; *s; s++) {
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
    }
}

static const char *cell(const struct row *r, long col)
{
    return col < 0 ? "" : json_string_value(json_array_get(r->cells, (size_t)col));
}

/* ------------------------------------------------------------ properties */

static bool parse_bool(const char *s, bool *out)
{
    if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 || strcmp(s, "1") == 0)
        *out = true;
    else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 || strcmp(s, "0") == 0)
        *out = false;
    else
        return false;
    return true;
}

/* A ';'-separated cell as a list of trimmed, non-empty strings. */
static json_t *split_list(const char *s)
{
    json_t *out = json_array();

    while (out && *s) {
        const char *semi = strchr(s, ';'), *end = semi ? semi : s + strlen(s);

        while (s < end && *s == ' ')
            s++;
        while (end > s && end[-1] == ' ')
            end--;
        if (end > s && json_array_append_new(out, json_stringn(s, (size_t)(end - s)))) {
            json_decref(out);
            return NULL;
        }
        s = semi ? semi + 1 : s + strlen(s);
    }
    return out;
}

/* The user properties of a row (not the manager and groups columns); NULL and an error on failure.
 */
static json_t *row_props(struct import *im, struct row *r)
{
    json_t *props = json_object(), *name_j;
    size_t i;

    json_array_foreach (im->header, i, name_j) {
        const char *name = json_string_value(name_j), *v = cell(r, (long)i), *slash;
        json_t *value;
        bool b;

        if ((long)i == im->col_manager || (long)i == im->col_groups || !*v)
            continue; /* empty cells leave the property as it is */
        if (strcmp(name, "accountEnabled") == 0) {
            if (!parse_bool(v, &b)) {
                row_fail(r, "accountEnabled: '%s' is not true or false", v);
                goto fail;
            }
            value = json_boolean(b);
        } else if (strcmp(name, "otherMails") == 0 || strcmp(name, "businessPhones") == 0) {
            value = split_list(v);
        } else {
            value = json_string(v);
        }
        if (!value) {
            row_fail(r, "%s: not valid UTF-8", name);
            goto fail;
        }
        slash = strchr(name, '/');
        if (slash) {
            /* employeeOrgData/costCenter -> {"employeeOrgData": {"costCenter": ...}} */
            char parent[128];
            size_t n = (size_t)(slash - name);
            json_t *obj;

            if (n >= sizeof(parent)) {
                json_decref(value);
                row_fail(r, "%s: column name too long", name);
                goto fail;
            }
            memcpy(parent, name, n);
            parent[n] = '\0';
            obj = json_object_get(props, parent);
            if (!obj) {
                obj = json_object();
                (void)json_object_set_new(props, parent, obj);
            }
            if (json_object_set_new(obj, slash + 1, value))
                goto oom;
        } else if (json_object_set_new(props, name, value)) {
            goto oom;
        }
    }
    return props;
oom:
    row_fail(r, "out of memory");
fail:
    json_decref(props);
    return NULL;
}

/* Equal for the directory: same text, the same instant for times, any case for usageLocation. */
static bool same_value(const char *key, const json_t *want, const json_t *have)
{
    int64_t a, b;

    if (json_equal(JSONX_MUT(want), JSONX_MUT(have)))
        return true;
    if (!json_is_string(want) || !json_is_string(have))
        return false;
    if (strcmp(key, "usageLocation") == 0 &&
        lcw_str_eq_ci(json_string_value(want), json_string_value(have)))
        return true;
    return timefmt_parse(json_string_value(want), json_string_length(want), &a) == 0 &&
           timefmt_parse(json_string_value(have), json_string_length(have), &b) == 0 && a == b;
}

/* True when every property in `props` already has that value in `user`. */
static bool is_unchanged(const json_t *props, const json_t *user)
{
    const char *key;
    json_t *v;

    json_object_foreach (JSONX_MUT(props), key, v) {
        const json_t *have = json_object_get(user, key);

        if (json_is_object(v)) {
            const char *k2;
            json_t *v2;

            json_object_foreach (v, k2, v2) {
                if (!same_value(k2, v2, json_object_get(have, k2)))
                    return false;
            }
        } else if (!same_value(key, v, have)) {
            return false;
        }
    }
    return true;
}

/* -------------------------------------------------------------- passes */

/*
 * Record an API failure on the row. Returns the exit status that must end
 * the import (connection or authentication problems), or CLI_OK.
 */
static int api_fail(struct row *r, const struct cli_apierr *e, const char *what)
{
    if (e->exit == CLI_ECONN)
        return cli__apierr_print(e);
    if (!e->exit) {
        /* A local failure, already reported on stderr. */
        row_fail(r, "%s%sthe value could not be used", what, *what ? ": " : "");
        return CLI_OK;
    }
    row_fail(r, "%s%s%s: %s", what, *what ? ": " : "", e->code, e->message);
    return CLI_OK;
}

/* Pass 1 for one row: create the user, or update it when a property differs. */
static int upsert(struct import *im, struct row *r)
{
    struct cli *c = im->c;
    struct cli_apierr e = {0};
    struct buf path;
    json_t *props = NULL, *user = NULL, *created = NULL;
    char key[512];
    int rc = CLI_OK;

    buf_init(&path, 4096);
    if (!*r->upn) {
        row_fail(r, "userPrincipalName is empty");
        goto out;
    }
    lcw_strlcpy(key, r->upn, sizeof(key));
    lower(key);
    if (json_object_get(im->ids_by_upn, key)) {
        row_fail(r, "userPrincipalName '%s' appears on an earlier line too", r->upn);
        goto out;
    }
    props = row_props(im, r);
    if (!props)
        goto out;
    if (buf_puts(&path, "/v1.0/users/") || cli__urlenc(&path, r->upn) ||
        buf_puts(&path, "?$expand=manager")) {
        row_fail(r, "userPrincipalName too long");
        goto out;
    }
    rc = cli__api(c, "GET", buf_cstr(&path), NULL, &user, &e);
    if (rc == CLI_EAPI && e.status == 404) {
        (void)json_object_set_new(props, "userPrincipalName", json_string(r->upn));
        rc = cli__api(c, "POST", "/v1.0/users", props, &created, &e);
        if (rc) {
            rc = api_fail(r, &e, "");
            goto out;
        }
        lcw_strlcpy(r->id, jsonx_str(created, "id") ? jsonx_str(created, "id") : "", UUID_STR_LEN);
        r->outcome = ROW_CREATED;
    } else if (rc) {
        rc = api_fail(r, &e, "");
        goto out;
    } else {
        lcw_strlcpy(r->id, jsonx_str(user, "id") ? jsonx_str(user, "id") : "", UUID_STR_LEN);
        if (jsonx_str(json_object_get(user, "manager"), "id"))
            lcw_strlcpy(r->current_manager, jsonx_str(json_object_get(user, "manager"), "id"),
                        UUID_STR_LEN);
        (void)json_object_del(props, "userPrincipalName"); /* matched on it: never changed */
        if (is_unchanged(props, user)) {
            r->outcome = ROW_UNCHANGED;
        } else {
            buf_reset(&path);
            (void)buf_printf(&path, "/v1.0/users/%s", r->id);
            rc = cli__api(c, "PATCH", buf_cstr(&path), props, NULL, &e);
            if (rc) {
                rc = api_fail(r, &e, "");
                goto out;
            }
            r->outcome = ROW_UPDATED;
        }
    }
    (void)json_object_set_new(im->ids_by_upn, key, json_string(r->id));
out:
    json_decref(props);
    json_decref(user);
    json_decref(created);
    buf_release(&path);
    return rc;
}

static int set_manager(struct import *im, struct row *r, const char *manager)
{
    char key[512], mid[UUID_STR_LEN], path[128];
    struct cli_apierr e = {0};
    const char *known;
    json_t *body;
    int rc;

    lcw_strlcpy(key, manager, sizeof(key));
    lower(key);
    known = jsonx_str(im->ids_by_upn, key);
    if (known) {
        lcw_strlcpy(mid, known, sizeof(mid));
    } else {
        rc = cli__user_id(im->c, manager, mid, &e);
        if (rc == CLI_EAPI && e.status == 404) {
            row_fail(r, "manager: no user '%s'", manager);
            return CLI_OK;
        }
        if (rc)
            return api_fail(r, &e, "manager");
    }
    if (strcmp(mid, r->id) == 0) {
        row_fail(r, "manager: a user cannot be their own manager");
        return CLI_OK;
    }
    if (strcmp(mid, r->current_manager) == 0)
        return CLI_OK;
    body = json_pack("{s:o}", "@odata.id", json_sprintf("%s/v1.0/users/%s", im->c->base_url, mid));
    (void)snprintf(path, sizeof(path), "/v1.0/users/%s/manager/$ref", r->id);
    rc = cli__api(im->c, "PUT", path, body, NULL, &e);
    json_decref(body);
    if (rc)
        return api_fail(r, &e, "manager");
    if (r->outcome == ROW_UNCHANGED)
        r->outcome = ROW_UPDATED;
    return CLI_OK;
}

/* The id of a group given by id or displayName (cached); "" with a row error when unknown. */
static int resolve_group(struct import *im, struct row *r, const char *name, char out[UUID_STR_LEN])
{
    struct cli_apierr e = {0};
    struct buf path, lit;
    json_t *page = NULL;
    const json_t *items;
    int rc = CLI_OK;

    out[0] = '\0';
    if (uuid_valid(name, strlen(name))) {
        lcw_strlcpy(out, name, UUID_STR_LEN);
        return CLI_OK;
    }
    if (jsonx_str(im->group_ids, name)) {
        lcw_strlcpy(out, jsonx_str(im->group_ids, name), UUID_STR_LEN);
        return CLI_OK;
    }
    buf_init(&path, 8192);
    buf_init(&lit, 4096);
    if (buf_puts(&lit, "displayName eq ") || cli__odata_str(&lit, name) ||
        buf_puts(&path, "/v1.0/groups?$select=id,displayName&$top=2") ||
        cli__query_add(&path, "$filter", buf_cstr(&lit))) {
        row_fail(r, "groups: name too long");
        goto out;
    }
    rc = cli__api(im->c, "GET", buf_cstr(&path), NULL, &page, &e);
    if (rc) {
        rc = api_fail(r, &e, "groups");
        goto out;
    }
    items = json_object_get(page, "value");
    if (json_array_size(items) != 1) {
        row_fail(r, "groups: %s group is named '%s'",
                 json_array_size(items) ? "more than one" : "no", name);
        goto out;
    }
    lcw_strlcpy(out, jsonx_str(json_array_get(items, 0), "id"), UUID_STR_LEN);
    (void)json_object_set_new(im->group_ids, name, json_string(out));
out:
    json_decref(page);
    buf_release(&lit);
    buf_release(&path);
    return rc;
}

static int add_groups(struct import *im, struct row *r, const char *groups_cell)
{
    json_t *names = split_list(groups_cell), *member_of = NULL, *name;
    char path[160], gid[UUID_STR_LEN];
    size_t i;
    int rc = CLI_OK;

    if (!names) {
        row_fail(r, "groups: out of memory");
        return CLI_OK;
    }
    (void)snprintf(path, sizeof(path), "/v1.0/users/%s/memberOf?$select=id", r->id);
    if (json_array_size(names) > 0) {
        rc = cli__api_all(im->c, path, &member_of);
        if (rc == CLI_ECONN)
            goto out;
        if (rc) {
            row_fail(r, "groups: could not read the user's groups");
            rc = CLI_OK;
            goto out;
        }
    }
    json_array_foreach (names, i, name) {
        struct cli_apierr e = {0};
        bool is_member = false;
        json_t *body, *g;
        size_t k;

        rc = resolve_group(im, r, json_string_value(name), gid);
        if (rc)
            goto out;
        if (!gid[0])
            continue;
        json_array_foreach (member_of, k, g) {
            if (jsonx_str(g, "id") && lcw_str_eq_ci(jsonx_str(g, "id"), gid))
                is_member = true;
        }
        if (is_member)
            continue; /* memberships are only added, and never twice */
        body = json_pack("{s:o}", "@odata.id",
                         json_sprintf("%s/v1.0/directoryObjects/%s", im->c->base_url, r->id));
        (void)snprintf(path, sizeof(path), "/v1.0/groups/%s/members/$ref", gid);
        rc = cli__api(im->c, "POST", path, body, NULL, &e);
        json_decref(body);
        if (rc) {
            char what[300];

            (void)snprintf(what, sizeof(what), "groups: '%s'", json_string_value(name));
            rc = api_fail(r, &e, what);
            if (rc)
                goto out;
            continue;
        }
        /* The same group may be named twice (by name and by id): add it once. */
        (void)json_array_append_new(member_of, json_pack("{s:s}", "id", gid));
        if (r->outcome == ROW_UNCHANGED)
            r->outcome = ROW_UPDATED;
    }
out:
    json_decref(names);
    json_decref(member_of);
    return rc;
}

/* ---------------------------------------------------------------- driver */

static int read_rows(struct import *im, const char *file)
{
    struct cli *c = im->c;
    struct cli_csv r;
    char *text = NULL, err[256];
    size_t len = 0, cap = 0;
    json_t *rec = NULL;
    long line = 0;
    size_t i;
    json_t *h;
    int rc = cli__read_file(file, MAX_CSV_BYTES, &text, &len), got;

    if (rc)
        return rc;
    cli__csv_init(&r, text, len);
    got = cli__csv_next(&r, &im->header, &line, err, sizeof(err));
    if (got != 1) {
        rc = cli__fail(c, CLI_EUSAGE, "%s: %s", file, got == 0 ? "the file is empty" : err);
        goto out;
    }
    if (json_array_size(im->header) > MAX_COLUMNS) {
        rc = cli__fail(c, CLI_EUSAGE, "%s: more than %d columns", file, MAX_COLUMNS);
        goto out;
    }
    im->col_upn = im->col_manager = im->col_groups = -1;
    json_array_foreach (im->header, i, h) {
        const char *name = json_string_value(h);

        for (size_t k = 0; k < i; k++) {
            if (strcmp(json_string_value(json_array_get(im->header, k)), name) == 0) {
                rc = cli__fail(c, CLI_EUSAGE, "%s: column '%s' appears twice", file, name);
                goto out;
            }
        }
        if (!*name ||
            strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_/") !=
                    strlen(name)) {
            rc = cli__fail(c, CLI_EUSAGE, "%s: '%s' is not a user property name", file, name);
            goto out;
        }
        if (strcasecmp(name, "userPrincipalName") == 0)
            im->col_upn = (long)i;
        else if (strcmp(name, "manager") == 0)
            im->col_manager = (long)i;
        else if (strcmp(name, "groups") == 0)
            im->col_groups = (long)i;
    }
    if (im->col_upn < 0) {
        rc = cli__fail(c, CLI_EUSAGE, "%s: the header row has no 'userPrincipalName' column", file);
        goto out;
    }
    for (;;) {
        struct row *row;

        got = cli__csv_next(&r, &rec, &line, err, sizeof(err));
        if (got == 0)
            break;
        if (im->n_rows == cap) {
            struct row *grown;

            cap = cap ? cap * 2 : 64;
            grown = lcw_realloc(im->rows, cap * sizeof(*grown));
            if (!grown) {
                rc = cli__fail(c, CLI_EUSAGE, "out of memory");
                goto out;
            }
            im->rows = grown;
        }
        row = &im->rows[im->n_rows++];
        memset(row, 0, sizeof(*row));
        row->line = line;
        row->upn = "";
        if (got < 0) {
            row_fail(row, "%s", err);
            if (got == -1)
                break; /* nothing after this can be read */
            continue;
        }
        row->cells = rec;
        rec = NULL;
        if (json_array_size(row->cells) != json_array_size(im->header)) {
            row_fail(row, "%zu fields, but the header has %zu", json_array_size(row->cells),
                     json_array_size(im->header));
            continue;
        }
        row->upn = cell(row, im->col_upn);
    }
out:
    json_decref(rec);
    lcw_free(text);
    return rc;
}

static const char *outcome_name(const struct row *r)
{
    static const char *const names[] = {"pending", "created", "updated", "unchanged"};

    return r->is_failed ? "failed" : names[r->outcome];
}

static int report(struct import *im, const char *file)
{
    static const struct cli_col cols[] = {{"ID", "id"},
                                          {"LINE", "line"},
                                          {"USER", "userPrincipalName"},
                                          {"RESULT", "result"},
                                          {"ERROR", "error"}};
    struct cli *c = im->c;
    long counts[5] = {0};
    json_t *rows = json_array();
    int rc = CLI_OK;

    for (size_t i = 0; i < im->n_rows; i++) {
        const struct row *r = &im->rows[i];

        counts[r->is_failed ? 4 : r->outcome]++;
        if (rows && json_array_append_new(rows, json_pack("{s:I, s:s, s:s, s:s?, s:s?}", "line",
                                                          (json_int_t)r->line, "userPrincipalName",
                                                          r->upn, "result", outcome_name(r), "id",
                                                          r->id[0] ? r->id : NULL, "error",
                                                          r->is_failed ? r->error : NULL))) {
            json_decref(rows);
            rows = NULL;
        }
    }
    if (!rows)
        return cli__fail(c, CLI_EUSAGE, "out of memory");
    cli__progress_end(c);
    (void)fprintf(stderr, "Imported %s: %ld created, %ld updated, %ld unchanged, %ld failed\n",
                  strcmp(file, "-") == 0 ? "stdin" : file, counts[ROW_CREATED], counts[ROW_UPDATED],
                  counts[ROW_UNCHANGED], counts[4]);
    for (size_t i = 0; i < im->n_rows; i++) {
        const struct row *r = &im->rows[i];

        if (r->is_failed)
            (void)fprintf(stderr, "  line %ld%s%s%s: %s%s\n", r->line, *r->upn ? " (" : "", r->upn,
                          *r->upn ? ")" : "", r->error,
                          r->outcome == ROW_CREATED   ? " (the user was created)"
                          : r->outcome == ROW_UPDATED ? " (the user's properties were updated)"
                                                      : "");
    }
    if (c->o.want_json) {
        json_t *doc = json_pack(
                "{s:I, s:I, s:I, s:I, s:o}", "created", (json_int_t)counts[ROW_CREATED], "updated",
                (json_int_t)counts[ROW_UPDATED], "unchanged", (json_int_t)counts[ROW_UNCHANGED],
                "failed", (json_int_t)counts[4], "rows", rows);

        rows = NULL;
        rc = doc ? cli__print_json(doc) : cli__fail(c, CLI_EUSAGE, "out of memory");
        json_decref(doc);
    } else if (c->o.want_csv || c->o.want_quiet) {
        rc = cli__print_list(c, rows, cols, sizeof(cols) / sizeof(cols[0]));
    }
    json_decref(rows);
    if (!rc && counts[4] > 0)
        rc = CLI_EFAILED;
    return rc;
}

int cli__cmd_users_import(struct cli *c)
{
    struct import im = {.c = c};
    long failed = 0;
    int rc;

    im.ids_by_upn = json_object();
    im.group_ids = json_object();
    if (!im.ids_by_upn || !im.group_ids) {
        rc = cli__fail(c, CLI_EUSAGE, "out of memory");
        goto out;
    }
    rc = read_rows(&im, c->args[0]);
    if (rc)
        goto out;
    for (size_t i = 0; i < im.n_rows && !rc; i++) {
        if (!im.rows[i].is_failed)
            rc = upsert(&im, &im.rows[i]);
        failed += im.rows[i].is_failed;
        cli__progress(c, "users", (long)i + 1, (long)im.n_rows, failed);
    }
    for (size_t i = 0; i < im.n_rows && !rc; i++) {
        struct row *r = &im.rows[i];
        const char *manager = cell(r, im.col_manager), *groups = cell(r, im.col_groups);
        bool was_failed = r->is_failed;

        if (!r->is_failed && manager && *manager)
            rc = set_manager(&im, r, manager);
        if (!rc && !r->is_failed && groups && *groups)
            rc = add_groups(&im, r, groups);
        failed += r->is_failed && !was_failed;
        cli__progress(c, "managers and groups", (long)i + 1, (long)im.n_rows, failed);
    }
    if (!rc)
        rc = report(&im, c->args[0]);
out:
    for (size_t i = 0; i < im.n_rows; i++)
        json_decref(im.rows[i].cells);
    lcw_free(im.rows);
    json_decref(im.header);
    json_decref(im.ids_by_upn);
    json_decref(im.group_ids);
    return rc;
}
