/* SPDX-License-Identifier: MIT */
/*
 * lcw's configuration file: $XDG_CONFIG_HOME/lcw/config (default
 * ~/.config/lcw/config), key=value lines, optionally under INI section
 * headers, read with inih. `lcw login` writes it atomically with mode 0600
 * in a 0700 directory, because it holds a bearer token. Single-threaded.
 */
#include "cli_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

int cli__config_path(char *out, size_t size)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;

    if (xdg && xdg[0] == '/')
        n = snprintf(out, size, "%s/lcw/config", xdg);
    else if (home && *home)
        n = snprintf(out, size, "%s/.config/lcw/config", home);
    else
        return CLI_EUSAGE;
    return (n < 0 || (size_t)n >= size) ? CLI_EUSAGE : CLI_OK;
}

struct cfg_read {
    char **url;
    char **token;
    char **cacert;
    bool *is_insecure;
    bool is_oom;
};

static int on_pair(void *ctx, const char *section, const char *name, const char *value)
{
    struct cfg_read *r = ctx;
    char **slot = NULL;

    (void)section; /* sections are allowed and ignored: one server per file */
    if (strcmp(name, "url") == 0)
        slot = r->url;
    else if (strcmp(name, "token") == 0)
        slot = r->token;
    else if (strcmp(name, "cacert") == 0)
        slot = r->cacert;
    else if (strcmp(name, "insecure") == 0)
        *r->is_insecure =
                strcmp(value, "true") == 0 || strcmp(value, "1") == 0 || strcmp(value, "yes") == 0;
    if (slot) {
        lcw_free(*slot);
        *slot = lcw_strdup(value);
        if (!*slot)
            r->is_oom = true;
    }
    return 1; /* unknown keys are ignored, so newer files work with older clients */
}

int cli__config_read(char **url, char **token, char **cacert, bool *is_insecure)
{
    struct cfg_read r = {url, token, cacert, is_insecure, false};
    char path[4096];
    struct stat st;
    int rc;

    if (cli__config_path(path, sizeof(path)) || stat(path, &st) != 0)
        return CLI_OK; /* no config file: flags and environment only */
    if ((st.st_mode & 077) != 0)
        (void)fprintf(stderr,
                      "lcw: warning: %s is readable by other users; it holds a token (chmod 600 "
                      "it)\n",
                      path);
    rc = ini_parse(path, on_pair, &r);
    if (rc < 0) {
        (void)fprintf(stderr, "lcw: cannot read %s\n", path);
        return CLI_EUSAGE;
    }
    if (rc > 0) {
        (void)fprintf(stderr, "lcw: %s: line %d is not 'key = value'\n", path, rc);
        return CLI_EUSAGE;
    }
    if (r.is_oom) {
        (void)fprintf(stderr, "lcw: out of memory\n");
        return CLI_EUSAGE;
    }
    return CLI_OK;
}

/* mkdir -p of the directory part of `path`, each new level with mode 0700. */
static int make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            *p = '/';
            return -1;
        }
        *p = '/';
    }
    return 0;
}

static bool is_config_safe(const char *s)
{
    return s && !strpbrk(s, "\r\n");
}

int cli__config_write(const char *url, const char *token, const char *cacert, bool is_insecure)
{
    char path[4096], tmp[4200], err[128];
    struct buf text;
    int fd = -1, rc = CLI_EUSAGE;

    buf_init(&text, 64 * 1024);
    if (cli__config_path(path, sizeof(path))) {
        (void)fprintf(stderr, "lcw: neither XDG_CONFIG_HOME nor HOME is set\n");
        goto out;
    }
    if (!is_config_safe(url) || !is_config_safe(token) || (cacert && !is_config_safe(cacert))) {
        (void)fprintf(stderr, "lcw: values must not contain line breaks\n");
        goto out;
    }
    if (buf_printf(&text,
                   "# lcw client configuration, written by 'lcw login'.\n[lcw]\nurl = %s\n"
                   "token = %s\n",
                   url, token) ||
        (cacert && buf_printf(&text, "cacert = %s\n", cacert)) ||
        (is_insecure && buf_puts(&text, "insecure = true\n"))) {
        (void)fprintf(stderr, "lcw: out of memory\n");
        goto out;
    }
    (void)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    if (make_parents(path) != 0)
        goto io_error;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0)
        goto io_error;
    for (size_t off = 0; off < text.len;) {
        ssize_t w = write(fd, text.data + off, text.len - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto io_error;
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        goto io_error;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto io_error;
    rc = CLI_OK;
    goto out;
io_error:
    /* GNU strerror_r: the message is the return value, not necessarily `err`. */
    (void)fprintf(stderr, "lcw: cannot write %s: %s\n", path, strerror_r(errno, err, sizeof(err)));
    if (fd >= 0)
        (void)close(fd);
    (void)unlink(tmp); /* best effort: the temporary file may not exist */
out:
    if (text.data)
        explicit_bzero(text.data, text.len);
    buf_release(&text);
    return rc;
}
