/* SPDX-License-Identifier: MIT */
/*
 * A seeded embedded directory for unit tests of dir/ and tasks/: a real
 * SQLite store in a temp dir with users (one soft-deleted), groups (one a
 * Team), memberships and a licence catalogue, shaped as api/users.c writes
 * them, and a fake clock. Use dfx_setup/dfx_teardown as cmocka fixtures.
 */
#ifndef LCW_TEST_DIR_FIXTURE_H
#define LCW_TEST_DIR_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "lcw/common.h"
#include "lcw/dir.h"
#include "lcw/store.h"

#define U_ADELE "11111111-1111-4111-8111-111111111111"
#define U_BOB   "22222222-2222-4222-8222-222222222222"
#define U_GONE  "33333333-3333-4333-8333-333333333333" /* soft-deleted */
#define U_CARA  "44444444-4444-4444-8444-444444444444"
#define U_NONE  "99999999-9999-4999-8999-999999999999" /* never existed */
#define G_SALES "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define G_ALL   "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define G_TEAM  "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
#define G_NONE  "dddddddd-dddd-4ddd-8ddd-dddddddddddd"
#define SKU_E3  "6fd2c87f-b296-42f0-b197-1e91e994b900"
#define SKU_EMS "efccb6f7-5641-4e0e-bd10-b4976e1bf68e"
#define SKU_PBI "f8a1db68-be16-40ed-86d5-cb42ce701560"
#define NOW_MS  1767225600000LL /* 2026-01-01T00:00:00Z */

struct dir_fixture {
    char dir[64];
    char url[128];
    struct store *store;
    struct dir *d;
};

extern int64_t dfx_clock_ms;
extern const struct lcw_clock dfx_fake_clock;

int64_t dfx_fake_now(void *ctx);
json_t *dfx_user_doc(const char *id, const char *upn, const char *name);
json_t *dfx_group_doc(const char *id, const char *name, bool is_team);
json_t *dfx_sku(const char *id, const char *part, int units);
void dfx_put_user(struct store_tx *tx, json_t *doc);
void dfx_member(struct store_tx *tx, const char *g, const char *u);
void dfx_seed(struct store *s);
int dfx_setup(void **state);
int dfx_teardown(void **state);

#endif /* LCW_TEST_DIR_FIXTURE_H */
