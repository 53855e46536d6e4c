/* SPDX-License-Identifier: MIT */
/*
 * The one place that calls malloc and free. Request-path allocation returns
 * NULL on failure; start-up allocation aborts. A test-only countdown makes
 * the Nth allocation fail so that every error path can be exercised (curl's
 * torture mode). The countdown is atomic, so threads may allocate freely.
 */
#include "lcw/common.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#undef malloc
#undef free

static atomic_long fail_countdown;

void lcw_alloc_fail_at(long n)
{
    atomic_store(&fail_countdown, n);
}

/* True when this allocation must fail because a test asked for it. */
static bool should_fail(void)
{
    long n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);

    if (n <= 0)
        return false;
    n = atomic_fetch_sub(&fail_countdown, 1);
    return n == 1;
}

void *lcw_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *lcw_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *lcw_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

char *lcw_strndup(const char *s, size_t n)
{
    char *p;

    if (should_fail())
        return NULL;
    p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *lcw_strdup(const char *s)
{
    return lcw_strndup(s, strlen(s));
}

void lcw_free(void *p)
{
    free(p);
}

void *lcw_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p) {
        (void)fprintf(stderr, "level=error msg=out_of_memory bytes=%zu\n", n);
        abort();
    }
    return p;
}

char *lcw_xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = lcw_xmalloc(n + 1);

    memcpy(p, s, n + 1);
    return p;
}

bool lcw_size_add(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

bool lcw_size_mul(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

void lcw_alloc_install_jansson(void)
{
    json_set_alloc_funcs(lcw_malloc, lcw_free);
}
