/* SPDX-License-Identifier: MIT */
/* Configuration precedence: defaults < INI file < environment < flags; and its errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lcw/config.h"

static void test_config__precedence__flags_beat_env_beat_file(void **state)
{
    char path[] = "/tmp/lcw-conf-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    struct lcw_config c;
    struct lcw_error err = {0};
    char e0[] = "LCW_LISTEN=127.0.0.1:9000", e1[] = "LCW_PAGE_SIZE=7", e2[] = "UNRELATED=1";
    char a0[] = "lcwd", a1[] = "--config", a3[] = "--listen=127.0.0.1:9100", a4[] = "--demo";
    char *env[] = {e0, e1, e2, NULL};
    char *argv[] = {a0, a1, path, a3, a4, NULL};
    int argi = 1;

    (void)state;
    assert_non_null(f);
    (void)fprintf(f, "[server]\ndata_dir = /srv/lcw\nlisten = 0.0.0.0:1\n[http]\npage_size = 3\n"
                     "max_body_bytes = 2048\n");
    (void)fclose(f);
    config_defaults(&c);
    assert_int_equal(config_load(&c, 5, argv, &argi, env, &err), 0);
    assert_int_equal(argi, 5);
    assert_string_equal(c.data_dir, "/srv/lcw");     /* file */
    assert_int_equal(c.max_body_bytes, 2048);        /* file */
    assert_int_equal(c.page_size, 7);                /* env beats file */
    assert_string_equal(c.listen, "127.0.0.1:9100"); /* flag beats env */
    assert_true(c.demo);                             /* flag */
    assert_int_equal(c.max_workflows, 100);          /* default */
    config_release(&c);
    (void)unlink(path);
}

static void test_config__errors__name_the_option(void **state)
{
    static const struct {
        const char *arg;
        const char *needle;
    } rows[] = {
            {"--page-size=0", "--page-size must be a whole number from 1 to 999"},
            {"--page-size=abc", "--page-size"},
            {"--nope", "unknown option '--nope'"},
            {"--demo=maybe", "--demo must be true or false"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lcw_config c;
        struct lcw_error err = {0};
        char a0[] = "lcwd", a1[64];
        char *argv[] = {a0, a1, NULL};
        int argi = 1;

        lcw_strlcpy(a1, rows[i].arg, sizeof(a1));
        config_defaults(&c);
        assert_int_equal(config_parse_args(&c, 2, argv, &argi, &err), LCW_EINVAL);
        assert_non_null(strstr(err.msg, rows[i].needle));
        config_release(&c);
    }
}

static void test_config__missing_file__eio(void **state)
{
    struct lcw_config c;
    struct lcw_error err = {0};

    (void)state;
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, "/nonexistent/lcw.conf", &err), LCW_EIO);
    config_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_config__precedence__flags_beat_env_beat_file),
            cmocka_unit_test(test_config__errors__name_the_option),
            cmocka_unit_test(test_config__missing_file__eio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
