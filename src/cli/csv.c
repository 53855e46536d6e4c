/* SPDX-License-Identifier: MIT */
/*
 * RFC 4180 CSV reading for `lcw users import`: comma-separated fields,
 * records ended by CRLF or LF, fields in double quotes may hold commas,
 * line breaks and doubled quotes. A UTF-8 byte-order mark is skipped and
 * blank lines are ignored. The reader works on a file read whole into
 * memory (capped), and reports the physical line each record starts on.
 * Single-threaded.
 */
#include "cli_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void cli__csv_init(struct cli_csv *r, const char *data, size_t len)
{
    r->p = data;
    r->end = data + len;
    r->line = 1;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        r->p += 3;
}

static int push_field(json_t *record, struct buf *field)
{
    json_t *s = json_stringn(buf_cstr(field), field->len);

    buf_reset(field);
    if (!s)
        return LCW_EINVAL; /* not UTF-8 (or out of memory) */
    return json_array_append_new(record, s) ? LCW_ENOMEM : 0;
}

int cli__csv_next(struct cli_csv *r, json_t **record, long *line, char *err, size_t err_size)
{
    struct buf field;
    json_t *rec = NULL;
    int rc = -1;

    *record = NULL;
    /* Blank lines between records are not records. */
    while (r->p < r->end && (*r->p == '\n' || *r->p == '\r')) {
        if (*r->p == '\n')
            r->line++;
        r->p++;
    }
    if (r->p >= r->end)
        return 0;
    *line = r->line;
    buf_init(&field, (size_t)1 << 20);
    rec = json_array();
    if (!rec) {
        (void)snprintf(err, err_size, "out of memory");
        goto out;
    }
    for (;;) {
        if (r->p < r->end && *r->p == '"') {
            /* A quoted field: up to the closing quote, "" is a quote. */
            long opened = r->line;

            r->p++;
            for (;;) {
                if (r->p >= r->end) {
                    (void)snprintf(err, err_size, "the quoted field opened on line %ld never ends",
                                   opened);
                    goto out;
                }
                if (*r->p == '"') {
                    if (r->p + 1 < r->end && r->p[1] == '"') {
                        if (buf_putc(&field, '"'))
                            goto too_big;
                        r->p += 2;
                        continue;
                    }
                    r->p++;
                    break;
                }
                if (*r->p == '\n')
                    r->line++;
                if (buf_putc(&field, *r->p))
                    goto too_big;
                r->p++;
            }
            if (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
                (void)snprintf(err, err_size,
                               "line %ld: unexpected text after a closing quote (write \"\" for "
                               "a quote inside a quoted field)",
                               r->line);
                goto skip_record;
            }
        } else {
            while (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
                if (buf_putc(&field, *r->p))
                    goto too_big;
                r->p++;
            }
        }
        if (push_field(rec, &field)) {
            (void)snprintf(err, err_size, "line %ld: a field is not valid UTF-8", *line);
            goto skip_record;
        }
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        /* End of record: CRLF, LF, a lone CR, or the end of the data. */
        if (r->p < r->end && *r->p == '\r')
            r->p++;
        if (r->p < r->end && *r->p == '\n') {
            r->p++;
            r->line++;
        }
        break;
    }
    *record = rec;
    rec = NULL;
    rc = 1;
    goto out;
too_big:
    (void)snprintf(err, err_size, "line %ld: a field is larger than 1 MiB", *line);
skip_record:
    /* Resynchronise at the next line break so that later records still import. */
    while (r->p < r->end && *r->p != '\n')
        r->p++;
    if (r->p < r->end) {
        r->p++;
        r->line++;
    }
    rc = -2;
out:
    json_decref(rec);
    buf_release(&field);
    return rc;
}

int cli__read_file(const char *path, size_t max, char **out, size_t *len)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    struct buf b;
    char chunk[65536], msg[128];
    int rc = CLI_OK;

    *out = NULL;
    *len = 0;
    if (!fp) {
        (void)fprintf(stderr, "lcw: cannot open %s: %s\n", path,
                      strerror_r(errno, msg, sizeof(msg)));
        return CLI_EUSAGE;
    }
    buf_init(&b, max);
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), fp);

        if (n > 0 && buf_append(&b, chunk, n)) {
            (void)fprintf(stderr, "lcw: %s is larger than %zu bytes\n", path, max);
            rc = CLI_EUSAGE;
            break;
        }
        if (n < sizeof(chunk)) {
            if (ferror(fp)) {
                (void)fprintf(stderr, "lcw: cannot read %s\n", path);
                rc = CLI_EUSAGE;
            }
            break;
        }
    }
    if (fp != stdin)
        (void)fclose(fp); /* read-only: nothing to lose */
    if (rc) {
        buf_release(&b);
        return rc;
    }
    *len = b.len;
    *out = b.data ? buf_detach(&b) : lcw_strdup("");
    return *out ? CLI_OK : CLI_EUSAGE;
}
