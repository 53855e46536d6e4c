/* SPDX-License-Identifier: MIT */
/*
 * lcw's output: aligned tables on a terminal, tab-separated rows when
 * stdout is a pipe (no header, like gh), --json (the API's objects as one
 * JSON document), --csv (RFC 4180) and -q (ids only); plus the progress
 * line on stderr. Data goes to stdout, everything else to stderr.
 * Single-threaded.
 */
#include "cli_int.h"

#include <stdio.h>
#include <string.h>

#include "lcw/jsonx.h"

#define CELL_MAX_BYTES ((size_t)1 << 20)

/* Resolve "a/b/c" inside `obj` (numbers index lists); NULL when a step is missing. */
static const json_t *at_path(const json_t *obj, const char *path)
{
    char key[128];

    while (obj && *path) {
        const char *slash = strchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : strlen(path);

        if (n >= sizeof(key))
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        if (json_is_array(obj)) {
            int64_t idx;

            /* "targetResources/0/displayName": a number indexes a list. */
            obj = str_to_i64(key, n, &idx) == 0 && idx >= 0 ? json_array_get(obj, (size_t)idx)
                                                            : NULL;
        } else {
            obj = json_object_get(obj, key);
        }
        path = slash ? slash + 1 : path + n;
    }
    return obj;
}

static int scalar_text(struct buf *b, const json_t *v)
{
    char *dump;
    int rc;

    switch (json_typeof(v)) {
    case JSON_STRING:
        return buf_append(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return buf_printf(b, "%lld", (long long)json_integer_value(v));
    case JSON_REAL:
        return buf_printf(b, "%g", json_real_value(v));
    case JSON_TRUE:
        return buf_puts(b, "true");
    case JSON_FALSE:
        return buf_puts(b, "false");
    case JSON_NULL:
        return 0;
    case JSON_ARRAY:
    case JSON_OBJECT:
        break;
    }
    dump = json_dumps(v, JSON_COMPACT);
    if (!dump)
        return LCW_ENOMEM;
    rc = buf_puts(b, dump);
    lcw_free(dump);
    return rc;
}

int cli__cell(struct buf *b, const json_t *obj, const char *path)
{
    const json_t *v = at_path(obj, path);
    size_t i;
    json_t *item;
    int rc = 0;

    if (!v)
        return 0;
    if (!json_is_array(v))
        return scalar_text(b, v);
    /* A list of scalars reads best as "a,b,c". */
    json_array_foreach (v, i, item) {
        if (json_is_object(item) || json_is_array(item))
            return scalar_text(b, v);
    }
    json_array_foreach (v, i, item) {
        if (!rc && i > 0)
            rc = buf_putc(b, ',');
        if (!rc)
            rc = scalar_text(b, item);
    }
    return rc;
}

/* Display width of UTF-8 text: one column per code point (good enough for names). */
static size_t text_width(const char *s)
{
    size_t w = 0;

    for (; *s; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    }
    return w;
}

/* A cell for a table: control characters (tabs, newlines) become spaces. */
static char *table_cell(const json_t *obj, const char *path)
{
    struct buf b;

    buf_init(&b, CELL_MAX_BYTES);
    if (cli__cell(&b, obj, path)) {
        buf_release(&b);
        return NULL;
    }
    if (!b.data)
        return lcw_strdup("");
    for (size_t i = 0; i < b.len; i++) {
        if ((unsigned char)b.data[i] < 0x20)
            b.data[i] = ' ';
    }
    return buf_detach(&b);
}

void cli__csv_field(FILE *fp, const char *s)
{
    bool needs_quotes =
            s[0] == ' ' || strpbrk(s, ",\"\r\n") != NULL || (s[0] && s[strlen(s) - 1] == ' ');

    if (!needs_quotes) {
        (void)fputs(s, fp);
        return;
    }
    (void)fputc('"', fp);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            (void)fputc('"', fp);
        (void)fputc(*p, fp);
    }
    (void)fputc('"', fp);
}

static int print_csv(const json_t *items, const struct cli_col *cols, size_t n_cols)
{
    struct buf b;
    size_t i;
    json_t *item;

    buf_init(&b, CELL_MAX_BYTES);
    for (size_t k = 0; k < n_cols; k++) {
        if (k)
            (void)fputc(',', stdout);
        cli__csv_field(stdout, cols[k].header);
    }
    (void)fputs("\r\n", stdout);
    json_array_foreach (items, i, item) {
        for (size_t k = 0; k < n_cols; k++) {
            buf_reset(&b);
            if (cli__cell(&b, item, cols[k].path)) {
                buf_release(&b);
                return CLI_EUSAGE;
            }
            if (k)
                (void)fputc(',', stdout);
            cli__csv_field(stdout, buf_cstr(&b));
        }
        (void)fputs("\r\n", stdout);
    }
    buf_release(&b);
    return CLI_OK;
}

int cli__print_table(struct cli *c, const json_t *items, const struct cli_col *cols, size_t n_cols)
{
    size_t rows = json_array_size(items), n_cells, *width = NULL;
    char **cell = NULL;
    int rc = CLI_OK;

    if (!lcw_size_mul(rows, n_cols, &n_cells) || n_cols == 0)
        return cli__fail(c, CLI_EUSAGE, "table too large");
    cell = lcw_calloc(n_cells ? n_cells : 1, sizeof(*cell));
    width = lcw_calloc(n_cols, sizeof(*width));
    if (!cell || !width) {
        rc = cli__fail(c, CLI_EUSAGE, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < n_cols; k++)
        width[k] = text_width(cols[k].header);
    for (size_t r = 0; r < rows; r++) {
        for (size_t k = 0; k < n_cols; k++) {
            char *s = table_cell(json_array_get(items, r), cols[k].path);

            if (!s) {
                rc = cli__fail(c, CLI_EUSAGE, "out of memory");
                goto out;
            }
            cell[r * n_cols + k] = s;
            if (text_width(s) > width[k])
                width[k] = text_width(s);
        }
    }
    if (c->is_stdout_tty) {
        for (size_t k = 0; k < n_cols; k++)
            (void)printf("%s%s%*s", cols[k].header, k + 1 < n_cols ? "  " : "\n",
                         k + 1 < n_cols ? (int)(width[k] - text_width(cols[k].header)) : 0, "");
    }
    for (size_t r = 0; r < rows; r++) {
        for (size_t k = 0; k < n_cols; k++) {
            const char *s = cell[r * n_cols + k];

            if (!c->is_stdout_tty)
                (void)printf("%s%s", s, k + 1 < n_cols ? "\t" : "\n");
            else if (k + 1 < n_cols)
                (void)printf("%s%*s  ", s, (int)(width[k] - text_width(s)), "");
            else
                (void)printf("%s\n", s);
        }
    }
out:
    for (size_t i = 0; cell && i < n_cells; i++)
        lcw_free(cell[i]);
    lcw_free(cell);
    lcw_free(width);
    return rc;
}

int cli__print_json(const json_t *v)
{
    if (json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
        return CLI_EUSAGE;
    (void)fputc('\n', stdout);
    return CLI_OK;
}

int cli__print_list(struct cli *c, const json_t *items, const struct cli_col *cols, size_t n_cols)
{
    struct buf b;
    size_t i;
    json_t *item;

    if (c->o.want_json)
        return cli__print_json(items);
    if (c->o.want_csv)
        return print_csv(items, cols, n_cols);
    if (c->o.want_quiet) {
        buf_init(&b, CELL_MAX_BYTES);
        json_array_foreach (items, i, item) {
            buf_reset(&b);
            if (cli__cell(&b, item, cols[0].path)) {
                buf_release(&b);
                return cli__fail(c, CLI_EUSAGE, "out of memory");
            }
            (void)printf("%s\n", buf_cstr(&b));
        }
        buf_release(&b);
        return CLI_OK;
    }
    return cli__print_table(c, items, cols, n_cols);
}

int cli__print_object(struct cli *c, const json_t *obj, const struct cli_col *cols, size_t n_cols)
{
    size_t w = 0;
    struct buf b;
    int rc = CLI_OK;

    if (c->o.want_json) {
        json_t *copy = json_copy(JSONX_MUT(obj));

        if (!copy)
            return cli__fail(c, CLI_EUSAGE, "out of memory");
        (void)json_object_del(copy, "@odata.context");
        rc = cli__print_json(copy);
        json_decref(copy);
        return rc;
    }
    if (c->o.want_csv || c->o.want_quiet) {
        json_t *one = json_pack("[O]", obj);

        if (!one)
            return cli__fail(c, CLI_EUSAGE, "out of memory");
        rc = cli__print_list(c, one, cols, n_cols);
        json_decref(one);
        return rc;
    }
    for (size_t k = 0; k < n_cols; k++) {
        if (text_width(cols[k].header) > w)
            w = text_width(cols[k].header);
    }
    buf_init(&b, CELL_MAX_BYTES);
    for (size_t k = 0; k < n_cols && !rc; k++) {
        buf_reset(&b);
        if (cli__cell(&b, obj, cols[k].path))
            rc = cli__fail(c, CLI_EUSAGE, "out of memory");
        else
            (void)printf("%s:%*s %s\n", cols[k].header, (int)(w - text_width(cols[k].header)), "",
                         buf_cstr(&b));
    }
    buf_release(&b);
    return rc;
}

void cli__progress(struct cli *c, const char *what, long done, long total, long failed)
{
    enum { BAR = 30 };
    char bar[BAR + 1];
    long filled = total > 0 ? (done * BAR) / total : 0;

    if (!c->is_stderr_tty || c->o.no_progress)
        return;
    if (filled > BAR)
        filled = BAR;
    for (long i = 0; i < BAR; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR] = '\0';
    (void)fprintf(stderr, "\r\033[K%s [%s] %ld/%ld", what, bar, done, total);
    if (failed > 0)
        (void)fprintf(stderr, ", %ld failed", failed);
    (void)fflush(stderr);
    c->progress_shown = true;
}

void cli__progress_end(struct cli *c)
{
    if (!c->progress_shown)
        return;
    (void)fputc('\n', stderr);
    c->progress_shown = false;
}
