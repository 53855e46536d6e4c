/* SPDX-License-Identifier: MIT */
/* Route matching: case-insensitive segments, qualified actions, parameters, 404 vs 405. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "lcw/http.h"

#define LW "/identityGovernance/lifecycleWorkflows"

static void test_router__table__matches_expected_routes(void **state)
{
    static const struct {
        const char *method, *path;
        const char *pattern; /* NULL = no route */
        bool is_path_known;
        size_t n_params;
    } rows[] = {
            {"GET", LW "/workflows", LW "/workflows", true, 0},
            {"GET", "/IDENTITYGOVERNANCE/lifecycleworkflows/Workflows", LW "/workflows", true, 0},
            {"GET", LW "/workflows/", LW "/workflows", true, 0},
            {"GET", LW "/workflows/abc", LW "/workflows/{}", true, 1},
            {"POST", LW "/workflows/abc/createNewVersion", LW "/workflows/{}/!createNewVersion",
             true, 1},
            {"POST", LW "/workflows/abc/microsoft.graph.identityGovernance.createNewVersion",
             LW "/workflows/{}/!createNewVersion", true, 1},
            {"POST", LW "/workflows/abc/Microsoft.Graph.IdentityGovernance.CREATENEWVERSION",
             LW "/workflows/{}/!createNewVersion", true, 1},
            {"POST", LW "/workflows/abc/microsoft.graph.other.createNewVersion", NULL, false, 0},
            {"GET", LW "/workflows/abc/versions/2/tasks/t1",
             LW "/workflows/{}/versions/{}/tasks/{}", true, 3},
            {"PUT", LW "/workflows", NULL, true, 0},
            {"GET", LW "/nothing", NULL, false, 0},
            {"GET", "/", NULL, false, 0},
            {"DELETE", "/groups/g/members/u/$ref", "/groups/{}/members/{}/$ref", true, 2},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct http_match m;

        http_route_match(rows[i].method, rows[i].path, &m);
        if (rows[i].pattern) {
            assert_non_null(m.route);
            assert_string_equal(m.route->pattern, rows[i].pattern);
            assert_string_equal(m.route->method, rows[i].method);
            assert_int_equal(m.n_params, rows[i].n_params);
        } else {
            assert_null(m.route);
        }
        assert_int_equal(m.is_path_known, rows[i].is_path_known);
    }
}

static void test_router__params__are_views_into_the_path(void **state)
{
    struct http_match m;
    const char *path = LW "/workflows/W-1/tasks/T-2";

    (void)state;
    http_route_match("PATCH", path, &m);
    assert_non_null(m.route);
    assert_int_equal(m.n_params, 2);
    assert_true(strv_eq(m.params[0], "W-1"));
    assert_true(strv_eq(m.params[1], "T-2"));
    http_route_match("PUT", LW "/workflows", &m);
    assert_non_null(strstr(m.allow, "GET"));
    assert_non_null(strstr(m.allow, "POST"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_router__table__matches_expected_routes),
            cmocka_unit_test(test_router__params__are_views_into_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
