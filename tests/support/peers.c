/* SPDX-License-Identifier: MIT */
/*
 * Test peers (peers.h): aiosmtpd and http_receiver.py as child processes on
 * loopback ports, each with a private temporary directory. Linked into every
 * unit test binary, so it is self-contained and has no main(). Bounded
 * waits only; processes are stopped by their pid, never by name.
 */
#include "peers.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define PEERS_PYTHON     "/usr/bin/python3"
#define PEERS_START_MS   15000
#define PEERS_STOP_MS    5000
#define PEERS_POLL_MS    20
#define PEERS_MAX_RECORD (1024 * 1024)

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int peers_free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (fd < 0)
        return -1;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    (void)close(fd);
    return port;
}

static bool port_open(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok;

    if (fd < 0)
        return false;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    (void)close(fd);
    return ok;
}

static char *read_file(const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    char *data;
    size_t n;

    if (!f)
        return NULL;
    data = malloc(max + 1);
    if (!data) {
        (void)fclose(f);
        return NULL;
    }
    n = fread(data, 1, max, f);
    data[n] = '\0';
    (void)fclose(f);
    return data;
}

static int make_dir(struct peer *p, const char *kind)
{
    memset(p, 0, sizeof(*p));
    p->life_fd = -1;
    (void)snprintf(p->dir, sizeof(p->dir), "/tmp/lcw-%s-XXXXXX", kind);
    if (!mkdtemp(p->dir)) {
        fprintf(stderr, "peers: mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * Spawn argv with stdin on a pipe whose write end only this process holds
 * (close-on-exec), stdout on /dev/null and stderr in dir/stderr.log.
 */
static int spawn(struct peer *p, char *const argv[])
{
    posix_spawn_file_actions_t fa;
    char log[300];
    int fds[2], rc;

    (void)snprintf(log, sizeof(log), "%s/stderr.log", p->dir);
    if (pipe2(fds, O_CLOEXEC))
        return -1;
    if (posix_spawn_file_actions_init(&fa)) {
        (void)close(fds[0]);
        (void)close(fds[1]);
        return -1;
    }
    rc = posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    rc = rc ? rc : posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    rc = rc ? rc
            : posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    rc = rc ? rc : posix_spawn(&p->pid, argv[0], &fa, NULL, argv, environ);
    (void)posix_spawn_file_actions_destroy(&fa);
    (void)close(fds[0]);
    if (rc) {
        fprintf(stderr, "peers: cannot start %s: %s\n", argv[0], strerror(rc));
        (void)close(fds[1]);
        p->pid = 0;
        return -1;
    }
    p->life_fd = fds[1];
    return 0;
}

/* Print the peer's stderr log to help with a failed start. */
static void dump_log(const struct peer *p)
{
    char path[300];
    char *text;

    (void)snprintf(path, sizeof(path), "%s/stderr.log", p->dir);
    if ((text = read_file(path, 4096))) {
        fprintf(stderr, "peers: %s\n", text);
        free(text);
    }
}

/* Wait until the port accepts connections, or the child dies, or time runs out. */
static int wait_ready(struct peer *p)
{
    int64_t deadline = mono_ms() + PEERS_START_MS;

    while (mono_ms() < deadline) {
        int status;

        if (p->port > 0 && port_open(p->port))
            return 0;
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            fprintf(stderr, "peers: the peer exited during start-up\n");
            dump_log(p);
            p->pid = 0;
            return -1;
        }
        if (p->port <= 0) { /* the HTTP receiver reports its own port */
            char path[300];
            char *text;

            (void)snprintf(path, sizeof(path), "%s/port", p->dir);
            if ((text = read_file(path, 16))) {
                p->port = (int)strtol(text, NULL, 10);
                free(text);
            }
        }
        nap_ms(PEERS_POLL_MS);
    }
    fprintf(stderr, "peers: the peer did not start within %d ms\n", PEERS_START_MS);
    dump_log(p);
    peers_stop(p);
    return -1;
}

int peers_smtp_start(struct peer *p)
{
    char listen[64], mail[300];

    if (make_dir(p, "smtp"))
        return -1;
    (void)snprintf(mail, sizeof(mail), "%s/mail", p->dir);
    if ((p->port = peers_free_port()) <= 0)
        return -1;
    (void)snprintf(listen, sizeof(listen), "127.0.0.1:%d", p->port);
    {
        /*
         * `python3 -m aiosmtpd -n -l ADDR -c aiosmtpd.handlers.Mailbox DIR`,
         * run through runpy behind a thread that exits when stdin closes.
         * posix_spawn takes char *const argv[]: give it writable copies.
         */
        char py[] = PEERS_PYTHON, nobc[] = "-B", dash_c[] = "-c",
             launcher[] = "import os, runpy, sys, threading\n"
                          "def watch():\n"
                          "    sys.stdin.buffer.read()\n"
                          "    os._exit(0)\n"
                          "threading.Thread(target=watch, daemon=True).start()\n"
                          "sys.argv = ['aiosmtpd'] + sys.argv[1:]\n"
                          "runpy.run_module('aiosmtpd', run_name='__main__', alter_sys=True)\n",
             no_setuid[] = "-n", dash_l[] = "-l", handler_opt[] = "-c",
             handler[] = "aiosmtpd.handlers.Mailbox";
        char *const argv[] = {py,     nobc,        dash_c,  launcher, no_setuid, dash_l,
                              listen, handler_opt, handler, mail,     NULL};

        if (spawn(p, argv))
            return -1;
    }
    return wait_ready(p);
}

/* http_receiver.py sits next to this file; CMake compiles it by absolute path. */
static void receiver_path(char *out, size_t cap)
{
    const char *src = getenv("LCW_SOURCE_DIR");
    const char *slash = strrchr(__FILE__, '/');

    if (src && *src)
        (void)snprintf(out, cap, "%s/tests/support/http_receiver.py", src);
    else if (slash)
        (void)snprintf(out, cap, "%.*s/http_receiver.py", (int)(slash - __FILE__), __FILE__);
    else
        (void)snprintf(out, cap, "tests/support/http_receiver.py");
}

int peers_http_start(struct peer *p)
{
    char script[512];

    if (make_dir(p, "http"))
        return -1;
    receiver_path(script, sizeof(script));
    {
        char py[] = PEERS_PYTHON, nobc[] = "-B";
        char *const argv[] = {py, nobc, script, p->dir, NULL};

        if (spawn(p, argv))
            return -1;
    }
    return wait_ready(p);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    (void)remove(path); /* best effort: a leftover temp file is not a test failure */
    return 0;
}

void peers_stop(struct peer *p)
{
    if (p->pid > 0) {
        int64_t deadline = mono_ms() + PEERS_STOP_MS;
        int status;
        bool reaped = false;

        (void)kill(p->pid, SIGTERM);
        while (!reaped && mono_ms() < deadline) {
            if (waitpid(p->pid, &status, WNOHANG) == p->pid)
                reaped = true;
            else
                nap_ms(PEERS_POLL_MS);
        }
        if (!reaped) {
            (void)kill(p->pid, SIGKILL);
            (void)waitpid(p->pid, &status, 0);
        }
        p->pid = 0;
    }
    if (p->life_fd >= 0) {
        (void)close(p->life_fd);
        p->life_fd = -1;
    }
    if (p->dir[0]) {
        (void)nftw(p->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        p->dir[0] = '\0';
    }
}

int peers_http_config(const struct peer *p, const char *json)
{
    char path[300], tmp[310];
    FILE *f;

    (void)snprintf(path, sizeof(path), "%s/config.json", p->dir);
    (void)snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (!(f = fopen(tmp, "w")))
        return -1;
    if (fputs(json, f) < 0) {
        (void)fclose(f);
        return -1;
    }
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path) == 0 ? 0 : -1;
}

static int is_request(const struct dirent *e)
{
    size_t n = strlen(e->d_name);

    return strncmp(e->d_name, "req-", 4) == 0 && n > 5 && strcmp(e->d_name + n - 5, ".json") == 0;
}

size_t peers_http_count(const struct peer *p)
{
    struct dirent **list = NULL;
    int n = scandir(p->dir, &list, is_request, alphasort);

    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    return n > 0 ? (size_t)n : 0;
}

json_t *peers_http_request(const struct peer *p, size_t i)
{
    struct dirent **list = NULL;
    int n = scandir(p->dir, &list, is_request, alphasort);
    json_t *doc = NULL;

    if (n > 0 && i < (size_t)n) {
        char path[600];
        char *text;

        (void)snprintf(path, sizeof(path), "%s/%s", p->dir, list[i]->d_name);
        if ((text = read_file(path, PEERS_MAX_RECORD))) {
            doc = json_loads(text, 0, NULL);
            free(text);
        }
    }
    for (int k = 0; k < n; k++)
        free(list[k]);
    free(list);
    return doc;
}

void peers_http_clear(const struct peer *p)
{
    struct dirent **list = NULL;
    int n = scandir(p->dir, &list, is_request, alphasort);

    for (int i = 0; i < n; i++) {
        char path[600];

        (void)snprintf(path, sizeof(path), "%s/%s", p->dir, list[i]->d_name);
        (void)unlink(path);
        free(list[i]);
    }
    free(list);
}

static int is_message(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

size_t peers_smtp_take(const struct peer *p, char **msgs, size_t max)
{
    struct dirent **list = NULL;
    char dir[300];
    size_t taken = 0;
    int n;

    (void)snprintf(dir, sizeof(dir), "%s/mail/new", p->dir);
    n = scandir(dir, &list, is_message, alphasort);
    for (int i = 0; i < n; i++) {
        char path[600];

        (void)snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
        if (taken < max && (msgs[taken] = read_file(path, PEERS_MAX_RECORD))) {
            taken++;
            (void)unlink(path);
        }
        free(list[i]);
    }
    free(list);
    return taken;
}
