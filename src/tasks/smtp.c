/* SPDX-License-Identifier: MIT */
/*
 * The SMTP client of the email tasks: one libcurl easy handle per message,
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

/* What the read callback hands to libcurl, and what the debug callback saw. */
struct smtp_io {
    const char *msg;
    size_t len;
    size_t off;
    char last_reply[256]; /* the server's last reply line */
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
 * libcurl reports the server's SMTP replies as CURLINFO_HEADER_IN. Keep the
 * last line, so that a refusal can be reported in the server's own words.
 * Outgoing data (which includes AUTH exchanges) is never looked at.
 */
static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ctx)
{
    struct smtp_io *io = ctx;
    size_t n = 0;

    (void)h;
    if (type != CURLINFO_HEADER_IN || size == 0)
        return 0;
    /* A multi-line reply arrives line by line; keep the last non-empty one. */
    while (n < size && n + 1 < sizeof(io->last_reply) && data[n] != '\r' && data[n] != '\n') {
        char ch = data[n];

        io->last_reply[n] = (ch >= ' ' && ch != 0x7f) ? ch : '?';
        n++;
    }
    if (n)
        io->last_reply[n] = '\0';
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
        curl_easy_setopt(h, CURLOPT_MAIL_RCPT, list) ||
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) ||
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len) ||
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb) ||
        curl_easy_setopt(h, CURLOPT_READDATA, &io) ||
        curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb) ||
        curl_easy_setopt(h, CURLOPT_DEBUGDATA, &io) ||
        curl_easy_setopt(h, CURLOPT_VERBOSE, 1L) ||
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
         curl_easy_setopt(h, CURLOPT_PASSWORD,
                          cfg->smtp_password ? cfg->smtp_password : ""))) {
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
     * 4yz transient, 5yz permanent); without one, curl's error does.
     */
    if (code >= 400 && code < 500)
        st->result = SMTP_TRANSIENT;
    else if (code >= 500)
        st->result = SMTP_PERMANENT;
    else
        st->result = is_transient_curl(rc) ? SMTP_TRANSIENT : SMTP_PERMANENT;
    if (code >= 400 && io.last_reply[0])
        lcw_strlcpy(st->reply, io.last_reply, sizeof(st->reply));
    else
        (void)snprintf(st->reply, sizeof(st->reply), "%s", curl_err[0] ? curl_err
                                                                      : curl_easy_strerror(rc));
out:
    curl_easy_cleanup(h);
    curl_slist_free_all(list);
    return ret;
}
