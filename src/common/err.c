/* SPDX-License-Identifier: MIT */
/*
 * Error detail filling and the assertion failure path. No state; safe from
 * any thread.
 */
#include "lcw/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((format(printf, 4, 0))) static void
error_vset(struct lcw_error *err, int code, const char *target, const char *fmt, va_list ap)
{
    err->code = code;
    lcw_strlcpy(err->target, target ? target : "", sizeof(err->target));
    /* vsnprintf truncates; a cut message is still better than none. */
    (void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int lcw_error_set(struct lcw_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    va_start(ap, fmt);
    error_vset(err, code, NULL, fmt, ap);
    va_end(ap);
    return code;
}

int lcw_error_set_target(struct lcw_error *err, int code, const char *target, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    va_start(ap, fmt);
    error_vset(err, code, target, fmt, ap);
    va_end(ap);
    return code;
}

const char *lcw_err_name(int code)
{
    switch (code) {
    case LCW_OK:
        return "LCW_OK";
    case LCW_ENOMEM:
        return "LCW_ENOMEM";
    case LCW_EINVAL:
        return "LCW_EINVAL";
    case LCW_ENOTFOUND:
        return "LCW_ENOTFOUND";
    case LCW_ECONFLICT:
        return "LCW_ECONFLICT";
    case LCW_ETOOBIG:
        return "LCW_ETOOBIG";
    case LCW_EAUTH:
        return "LCW_EAUTH";
    case LCW_EPERM:
        return "LCW_EPERM";
    case LCW_EBUSY:
        return "LCW_EBUSY";
    case LCW_ETIMEOUT:
        return "LCW_ETIMEOUT";
    case LCW_EIO:
        return "LCW_EIO";
    case LCW_EUNAVAIL:
        return "LCW_EUNAVAIL";
    case LCW_EINTERNAL:
        return "LCW_EINTERNAL";
    default:
        return "LCW_E?";
    }
}

_Noreturn void lcw_assert_fail(const char *expr, const char *file, int line)
{
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "level=error msg=assertion_failed expr=\"%s\" at=%s:%d\n",
                     expr, file, line);

    if (n > 0)
        (void)!write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
    abort();
}
