/* SPDX-License-Identifier: MIT */
/*
 * common: the base every other module stands on. Error codes and the error
 * detail struct, checked allocation, capped growable buffers, string views and
 * checked integer parsing, RFC 3339 time, UUIDs, an injectable clock and the
 * logger. Everything here is thread-safe unless a comment says otherwise; the
 * only global state is the logger's configuration and the allocation-failure
 * hook used by tests.
 */
#ifndef LCW_COMMON_H
#define LCW_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- errors */

/*
 * Fallible functions return 0 on success or one of these negative codes.
 * The api layer maps them to HTTP statuses in one table (api_error_from in
 * src/api/api.c).
 */
enum lcw_err {
    LCW_OK = 0,
    LCW_ENOMEM = -1,     /* allocation failed */
    LCW_EINVAL = -2,     /* bad input from outside; never an assertion */
    LCW_ENOTFOUND = -3,  /* no such object */
    LCW_ECONFLICT = -4,  /* state conflict: duplicate name, busy run */
    LCW_ETOOBIG = -5,    /* a cap was reached */
    LCW_EAUTH = -6,      /* no or unknown credentials */
    LCW_EPERM = -7,      /* credentials lack the permission */
    LCW_EBUSY = -8,      /* try again later */
    LCW_ETIMEOUT = -9,   /* a bounded wait ran out */
    LCW_EIO = -10,       /* the store, a file or the network failed */
    LCW_EUNAVAIL = -11,  /* a component is not available */
    LCW_EINTERNAL = -12, /* a bug: logged with detail, never shown */
};

/*
 * Error detail for callers that need more than a code. `msg` is a sentence a
 * person can act on and is safe to show to API clients (never put secrets or
 * internal paths in it). `target` optionally names the offending property.
 */
struct lcw_error {
    int code;
    char target[64];
    char msg[256];
};

/*
 * Fill `err` (which may be NULL) with `code` and a printf-style message, and
 * return `code`, so that `return lcw_error_set(err, LCW_EINVAL, "...");` is
 * one line.
 */
int lcw_error_set(struct lcw_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* As lcw_error_set, also recording the property the error is about. */
int lcw_error_set_target(struct lcw_error *err, int code, const char *target, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* The symbolic name of a code ("LCW_ENOTFOUND"); never NULL. */
const char *lcw_err_name(int code);

/* Print file, line and the expression, then abort. Always compiled in. */
_Noreturn void lcw_assert_fail(const char *expr, const char *file, int line);

#define LCW_ASSERT(cond)                                \
    do {                                                \
        if (!(cond))                                    \
            lcw_assert_fail(#cond, __FILE__, __LINE__); \
    } while (0)
#define LCW_BUG(what) lcw_assert_fail("BUG: " what, __FILE__, __LINE__)

/* ------------------------------------------------------------ allocation */

/*
 * Request-path allocation: returns NULL on failure, callers propagate
 * LCW_ENOMEM. lcw_free is NULL-safe. Jansson uses the same allocator.
 */
void *lcw_malloc(size_t n);
void *lcw_calloc(size_t count, size_t size);
void *lcw_realloc(void *p, size_t n);
char *lcw_strdup(const char *s);
char *lcw_strndup(const char *s, size_t n);
void lcw_free(void *p);

/* Start-up-only allocation: aborts with a message on failure. */
void *lcw_xmalloc(size_t n);
char *lcw_xstrdup(const char *s);

/* Checked size arithmetic: return false (and leave *out unspecified) on overflow. */
bool lcw_size_add(size_t a, size_t b, size_t *out);
bool lcw_size_mul(size_t a, size_t b, size_t *out);

/*
 * Test hook: make the Nth allocation from now fail (1 = the next one), or 0 to
 * turn failure injection off. Counts every lcw_malloc/calloc/realloc/strdup.
 */
void lcw_alloc_fail_at(long n);

/* Point jansson at lcw_malloc/lcw_free. Call once at start-up. */
void lcw_alloc_install_jansson(void);

/* ---------------------------------------------------------------- buffers */

/*
 * A growable byte buffer with a hard cap (curl's dynbuf). `data` is always
 * NUL-terminated when non-NULL. Growth past `max` returns LCW_ETOOBIG and
 * leaves the buffer as it was.
 */
struct buf {
    char *data; /* owned; NULL until the first append */
    size_t len; /* bytes used, excluding the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* the cap on len */
};

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b); /* frees data; the buffer may be reused after buf_init */
void buf_reset(struct buf *b);   /* len = 0, keeps memory */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Never NULL: "" for an empty buffer. Borrowed. */
const char *buf_cstr(const struct buf *b);
/* Hand the data to the caller (who frees it with lcw_free) and re-init the buffer. */
char *buf_detach(struct buf *b);

/* Text writers for exports (CSV and NDJSON); each returns buf_append's result. */
/* `s` as an RFC 4180 field: quoted when it holds a comma, a quote or a line break; quotes doubled.
 */
int buf_put_csv(struct buf *b, const char *s);
/*
 * `s` (valid UTF-8) as a JSON string, exactly as jansson's compact dump
 * writes it: UTF-8 kept as is, `"` and `\` escaped, the short escapes for
 * \b \f \n \r \t, and "\u00XX" (upper-case hex) for the other control
 * characters.
 */
int buf_put_json_string(struct buf *b, const char *s);
/* `v` in decimal, as "%lld" would write it (without snprintf's cost). */
int buf_put_i64(struct buf *b, int64_t v);

/* --------------------------------------------------------------- strings */

/* A borrowed (pointer, length) view; not NUL-terminated in general. */
struct strv {
    const char *p;
    size_t len;
};

#define STRV_LIT(s) ((struct strv){(s), sizeof(s) - 1})
struct strv strv_from(const char *s);
bool strv_eq(struct strv a, const char *b);
bool strv_eq_ci(struct strv a, const char *b); /* ASCII case-insensitive */
bool strv_starts_with_ci(struct strv a, const char *prefix);

/* ASCII case-insensitive equality of NUL-terminated strings. */
bool lcw_str_eq_ci(const char *a, const char *b);

/*
 * Parse a whole decimal integer (optional sign, no spaces, no trailing bytes)
 * into *out. LCW_EINVAL on syntax or range error.
 */
int str_to_i64(const char *s, size_t len, int64_t *out);

/* Copy at most size-1 bytes and NUL-terminate; returns strlen(src). */
size_t lcw_strlcpy(char *dst, const char *src, size_t size);

/* Constant-time comparison of two equal-length byte strings. */
bool lcw_mem_eq_ct(const void *a, const void *b, size_t n);

/* ------------------------------------------------------------------ time */

/* Length of a formatted RFC 3339 timestamp including the NUL. */
#define TIMEFMT_LEN 32

/*
 * Format milliseconds since the epoch as RFC 3339 UTC: "2024-05-01T08:30:00Z",
 * or "...:00.123Z" when the milliseconds are not zero. Returns `out`.
 */
char *timefmt_format(int64_t ms, char out[TIMEFMT_LEN]);

/*
 * As timefmt_format, but always with milliseconds ("...:00.000Z"), so that
 * the timestamps of one property sort as strings in time order. Used for
 * the times lcw records (history, audit, created/modified).
 */
char *timefmt_format_ms(int64_t ms, char out[TIMEFMT_LEN]);

/*
 * Parse RFC 3339 ("2024-05-01T08:30:00Z", fractional seconds of any length,
 * "+02:00" offsets, 't'/'z' accepted) into milliseconds since the epoch (UTC).
 * A date alone ("2024-05-01") means midnight UTC. LCW_EINVAL otherwise.
 */
int timefmt_parse(const char *s, size_t len, int64_t *out_ms);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t timefmt_days_from_civil(int64_t y, unsigned m, unsigned d);
void timefmt_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* An injectable clock: engine and api code never read the wall clock directly. */
struct lcw_clock {
    int64_t (*now_ms)(void *ctx);
    void *ctx;
};

/* The system clock (CLOCK_REALTIME). */
const struct lcw_clock *lcw_clock_system(void);
int64_t lcw_clock_now(const struct lcw_clock *c);
/* Monotonic milliseconds, for measuring durations only. */
int64_t lcw_monotonic_ms(void);

/* ----------------------------------------------------------------- UUIDs */

#define UUID_STR_LEN 37 /* 36 characters + NUL */

/* Random UUID v4, lower case. */
void uuid_v4(char out[UUID_STR_LEN]);
/* Time-ordered UUID v7 for `ms`, lower case. */
void uuid_v7(int64_t ms, char out[UUID_STR_LEN]);
/* True for the 8-4-4-4-12 hex form, either case. */
bool uuid_valid(const char *s, size_t len);
/* Fill `out` with `n` random bytes from libsodium. */
void lcw_random_bytes(void *out, size_t n);
/* Initialise libsodium; call once at start-up. */
int lcw_crypto_init(void);

/* ---------------------------------------------------------------- logging */

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };
enum log_format { LOG_FORMAT_LOGFMT, LOG_FORMAT_JSON };

/* Configure the logger (default: info, logfmt). Not thread-safe; call at start-up. */
void log_setup(enum log_level level, enum log_format format);
int log_level_parse(const char *s, enum log_level *out);
int log_format_parse(const char *s, enum log_format *out);

/*
 * Write one line to stderr: time, level, `event`, then `fields`, a logfmt
 * fragment built from `fmt` (`"run=%s users=%d"`). Values with spaces must be
 * quoted by the caller (`detail=\"%s\"`). One write(2) per line, so lines from
 * threads never interleave.
 */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define log_debug(ev, ...) log_event(LOG_LEVEL_DEBUG, ev, __VA_ARGS__)
#define log_info(ev, ...)  log_event(LOG_LEVEL_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...)  log_event(LOG_LEVEL_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_event(LOG_LEVEL_ERROR, ev, __VA_ARGS__)

#endif /* LCW_COMMON_H */
