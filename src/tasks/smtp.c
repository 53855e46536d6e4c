/* SPDX-License-Identifier: MIT */
/*
 * The SMTP side of the email tasks: the RFC 5322 / MIME text helpers
 * (date, RFC 2047 words, mailboxes, quoted-printable) and the client, one
 * libcurl easy handle per message,
 * with explicit timeouts, a protocol allow-list (smtp, smtps), optional
 * credentials and required STARTTLS, and a classification of what went wrong
 * (transient or permanent) from curl's result and the server's last reply.
 * It does not build messages (email.c does) and keeps no state: every call
 * is independent, so engine workers call it concurrently. libcurl must have
 * been initialised (curl_global_init) at start-up.
 */
#include "smtp.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

/* What the read callback hands to libcurl, and what the debug callback saw. */
struct smtp_io {
    const char *msg;
    size_t len;
    size_t off;
    char last_reply[256];  /* the server's last reply line */
    char error_reply[256]; /* the server's last 4yz/5yz reply line */
};

static size_t read_cb(char *dst, size_t size, size_t nitems, void *ctx)
{
    struct smtp_io *io = ctx;
    size_t room = size * nitems, n = io->len - io->off;

    if (n > room)
        n = room;
    memcpy(dst, io->msg + io->off, n);
    io->off += n;
    return n;
}

/*
 * libcurl reports the server's SMTP replies as CURLINFO_HEADER_IN, one line
 * at a time. Keep the last 4yz/5yz line (a refusal, in the server's own
 * words; the QUIT reply that follows it must not hide it) and the last line
 * of any kind. Outgoing data (which includes AUTH exchanges) is never looked
 * at.
 */
static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ctx)
{
    struct smtp_io *io = ctx;
    char line[sizeof(io->last_reply)];
    size_t n = 0;

    (void)h;
    if (type != CURLINFO_HEADER_IN || size == 0)
        return 0;
    while (n < size && n + 1 < sizeof(line) && data[n] != '\r' && data[n] != '\n') {
        char ch = data[n];

        line[n] = (ch >= ' ' && ch != 0x7f) ? ch : '?';
        n++;
    }
    line[n] = '\0';
    if (n == 0)
        return 0;
    memcpy(io->last_reply, line, n + 1);
    if (line[0] == '4' || line[0] == '5')
        memcpy(io->error_reply, line, n + 1);
    return 0;
}

static bool is_transient_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_AGAIN:
        return true;
    default:
        return false;
    }
}

int tasks__smtp_send(const struct lcw_config *cfg, const char *from, const char *const *rcpts,
                     size_t n_rcpts, const char *msg, size_t len, struct smtp_status *st,
                     struct lcw_error *err)
{
    struct smtp_io io = {.msg = msg, .len = len};
    struct curl_slist *list = NULL, *next;
    char envelope_from[300], curl_err[CURL_ERROR_SIZE];
    CURL *h = NULL;
    CURLcode rc;
    long code = 0;
    int ret = 0;

    memset(st, 0, sizeof(*st));
    curl_err[0] = '\0';
    if (!cfg->smtp_url || !*cfg->smtp_url)
        return lcw_error_set(err, LCW_EINVAL, "No SMTP server is configured (set LCW_SMTP_URL)");
    (void)snprintf(envelope_from, sizeof(envelope_from), "<%s>", from);
    for (size_t i = 0; i < n_rcpts; i++) {
        if (!(next = curl_slist_append(list, rcpts[i]))) {
            ret = lcw_error_set(err, LCW_ENOMEM, "out of memory");
            goto out;
        }
        list = next;
    }
    if (!(h = curl_easy_init())) {
        ret = lcw_error_set(err, LCW_ENOMEM, "could not create a libcurl handle");
        goto out;
    }
    /*
     * setopt results are checked together: each can only fail on memory or
     * on an option this libcurl lacks, and either way the transfer fails.
     */
    if (curl_easy_setopt(h, CURLOPT_URL, cfg->smtp_url) ||
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps") ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)SMTP_CONNECT_TIMEOUT_MS) ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)SMTP_TOTAL_TIMEOUT_MS) ||
        curl_easy_setopt(h, CURLOPT_MAIL_FROM, envelope_from) ||
        curl_easy_setopt(h, CURLOPT_MAIL_RCPT, list) || curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) ||
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len) ||
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb) ||
        curl_easy_setopt(h, CURLOPT_READDATA, &io) ||
        curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb) ||
        curl_easy_setopt(h, CURLOPT_DEBUGDATA, &io) || curl_easy_setopt(h, CURLOPT_VERBOSE, 1L) ||
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err)) {
        ret = lcw_error_set(err, LCW_EINTERNAL, "could not configure the SMTP transfer");
        goto out;
    }
    if (cfg->smtp_starttls && curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL)) {
        ret = lcw_error_set(err, LCW_EINTERNAL, "this libcurl cannot do STARTTLS");
        goto out;
    }
    if (cfg->smtp_user && *cfg->smtp_user &&
        (curl_easy_setopt(h, CURLOPT_USERNAME, cfg->smtp_user) ||
         curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->smtp_password ? cfg->smtp_password : ""))) {
        ret = lcw_error_set(err, LCW_ENOMEM, "out of memory");
        goto out;
    }

    rc = curl_easy_perform(h);
    (void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    st->reply_code = code;
    if (rc == CURLE_OK) {
        st->result = SMTP_SENT;
        lcw_strlcpy(st->reply, io.last_reply, sizeof(st->reply));
        goto out;
    }
    /*
     * The server's reply code decides when there is one (RFC 5321 4.2.1:
     * 4yz transient, 5yz permanent); without one, curl's error does. The
     * refusal's own line is the best witness of the code.
     */
    if (io.error_reply[0] >= '4' && io.error_reply[0] <= '5' && io.error_reply[1] >= '0' &&
        io.error_reply[1] <= '9' && io.error_reply[2] >= '0' && io.error_reply[2] <= '9')
        code = (io.error_reply[0] - '0') * 100 + (io.error_reply[1] - '0') * 10 +
               (io.error_reply[2] - '0');
    st->reply_code = code;
    if (code >= 400 && code < 500)
        st->result = SMTP_TRANSIENT;
    else if (code >= 500)
        st->result = SMTP_PERMANENT;
    else
        st->result = is_transient_curl(rc) ? SMTP_TRANSIENT : SMTP_PERMANENT;
    if (code >= 400 && io.error_reply[0])
        lcw_strlcpy(st->reply, io.error_reply, sizeof(st->reply));
    else
        (void)snprintf(st->reply, sizeof(st->reply), "%s",
                       curl_err[0] ? curl_err : curl_easy_strerror(rc));
out:
    curl_easy_cleanup(h);
    curl_slist_free_all(list);
    return ret;
}

/* ------------------------------------------------------- message text */

/* RFC 5322 date: "Thu, 01 May 2024 08:30:00 +0000". */
void tasks__smtp_date(int64_t ms, char *out, size_t cap)
{
    static const char *const wdays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400), rem = secs - days * 86400;
    int64_t y, wd = days % 7;
    unsigned mo, d;

    if (wd < 0)
        wd += 7;
    timefmt_civil_from_days(days, &y, &mo, &d);
    (void)snprintf(out, cap, "%s, %02u %s %04lld %02u:%02u:%02u +0000", wdays[wd], d,
                   months[mo - 1], (long long)y, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
                   (unsigned)(rem % 60));
}

bool tasks__smtp_is_ascii(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < ' ' || (unsigned char)*s >= 0x7f)
            return false;
    }
    return true;
}

/*
 * RFC 2047 "B" encoded words for non-ASCII header text, each at most 45
 * input bytes (75 characters encoded), never splitting a UTF-8 sequence,
 * joined by folding whitespace.
 */
int tasks__smtp_put_encoded_words(struct buf *out, const char *s)
{
    size_t n = strlen(s), off = 0;
    char b64[128];
    int rc = 0;

    while (off < n && !rc) {
        size_t take = n - off > 45 ? 45 : n - off;

        while (take < n - off && take > 0 && ((unsigned char)s[off + take] & 0xc0) == 0x80)
            take--;
        if (take == 0)
            take = n - off > 45 ? 45 : n - off; /* not UTF-8: split anywhere */
        sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s + off, take,
                          sodium_base64_VARIANT_ORIGINAL);
        rc = buf_printf(out, "%s=?UTF-8?B?%s?=", off ? "\r\n " : "", b64);
        off += take;
    }
    return rc;
}

/* A mailbox for To/Cc: `"Name" <addr>` (or an encoded word for the name). */
int tasks__smtp_put_mailbox(struct buf *out, const struct mail_rcpt *r)
{
    int rc = 0;

    if (!r->name)
        return buf_printf(out, "<%s>", r->address);
    if (tasks__smtp_is_ascii(r->name)) {
        rc = buf_putc(out, '"');
        for (const char *p = r->name; *p && !rc; p++) {
            if (*p == '"' || *p == '\\')
                rc = buf_putc(out, '\\');
            if (!rc)
                rc = buf_putc(out, *p);
        }
        if (!rc)
            rc = buf_putc(out, '"');
    } else {
        char clean[256];
        size_t i = 0;

        /* Control characters would be legal inside the encoding but useless. */
        for (const char *p = r->name; *p && i + 1 < sizeof(clean); p++)
            clean[i++] = (char)((unsigned char)*p < ' ' ? ' ' : *p);
        clean[i] = '\0';
        rc = tasks__smtp_put_encoded_words(out, clean);
    }
    return rc ? rc : buf_printf(out, " <%s>", r->address);
}

int tasks__smtp_put_address_header(struct buf *out, const char *field,
                                   const struct mail_rcpt *rcpts, size_t n_rcpts, bool cc)
{
    bool first = true;
    int rc = 0;

    for (size_t i = 0; i < n_rcpts && !rc; i++) {
        if (rcpts[i].is_cc != cc)
            continue;
        rc = buf_puts(out, first ? field : ",\r\n ");
        if (!rc)
            rc = tasks__smtp_put_mailbox(out, &rcpts[i]);
        first = false;
    }
    return rc ? rc : (first ? 0 : buf_puts(out, "\r\n"));
}

/* Quoted-printable (RFC 2045 6.7) with CRLF hard breaks and 76-column soft breaks. */
int tasks__smtp_put_quoted_printable(struct buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    int rc = 0;

    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char ch = (unsigned char)s[i];
        bool at_eol, literal;
        char tok[3];
        size_t tok_len;

        if (ch == '\r' && i + 1 < n && s[i + 1] == '\n')
            continue;
        if (ch == '\n') {
            rc = buf_puts(out, "\r\n");
            col = 0;
            continue;
        }
        at_eol = i + 1 == n || s[i + 1] == '\n' ||
                 (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n');
        literal = (ch >= 33 && ch <= 126 && ch != '=') || ((ch == ' ' || ch == '\t') && !at_eol);
        if (literal) {
            tok[0] = (char)ch;
            tok_len = 1;
        } else {
            tok[0] = '=';
            tok[1] = hex[ch >> 4];
            tok[2] = hex[ch & 15];
            tok_len = 3;
        }
        if (col + tok_len > 75) {
            rc = buf_puts(out, "=\r\n");
            col = 0;
        }
        if (!rc)
            rc = buf_append(out, tok, tok_len);
        col += tok_len;
    }
    return rc;
}
