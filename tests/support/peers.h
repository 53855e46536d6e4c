/* SPDX-License-Identifier: MIT */
/*
 * Real network peers for tests, on 127.0.0.1 only: an SMTP server (aiosmtpd
 * with its Mailbox handler) and an HTTP receiver (http_receiver.py) that
 * records requests and answers as told. Each peer is a child process started
 * with posix_spawn and stopped by its pid, with a private temporary
 * directory that is removed on stop. A peer also exits by itself when the
 * test process is gone (its stdin reaches EOF). Not thread-safe; call from the test's
 * main thread.
 */
#ifndef LCW_TESTS_PEERS_H
#define LCW_TESTS_PEERS_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

struct peer {
    pid_t pid;   /* 0 when not running */
    int life_fd; /* write end of the child's stdin: the child exits on EOF, so a
                    test process that dies cannot leave its peers behind */
    int port;
    char dir[256]; /* the peer's temporary directory */
};

/*
 * Start aiosmtpd on a free loopback port, storing messages under
 * p->dir/mail/new/. Waits (at most 15 s) until it accepts connections.
 * Returns 0, or -1 with a message on stderr.
 */
int peers_smtp_start(struct peer *p);

/*
 * Start the HTTP receiver; it records requests in p->dir and answers per
 * p->dir/config.json (see http_receiver.py). Waits until it listens.
 */
int peers_http_start(struct peer *p);

/* SIGTERM (SIGKILL after 5 s), reap, and remove the directory. Safe on a stopped peer. */
void peers_stop(struct peer *p);

/* A loopback TCP port that nothing listens on right now (bound, then released). */
int peers_free_port(void);

/* Write the receiver's config.json atomically. Returns 0 or -1. */
int peers_http_config(const struct peer *p, const char *json);

/* Recorded requests so far, and request i (0-based) as JSON (new reference or NULL). */
size_t peers_http_count(const struct peer *p);
json_t *peers_http_request(const struct peer *p, size_t i);
/* Forget every recorded request (their files are removed). */
void peers_http_clear(const struct peer *p);

/*
 * Take the messages the SMTP peer has stored: up to `max` of them, each a
 * malloc'd NUL-terminated string in msgs[] (free with free()), in delivery
 * order; their files are removed. Returns how many.
 */
size_t peers_smtp_take(const struct peer *p, char **msgs, size_t max);

#endif /* LCW_TESTS_PEERS_H */
