/* SPDX-License-Identifier: MIT */
/* Shared between the files of the store module; not for other modules. */
#ifndef LCW_STORE_INT_H
#define LCW_STORE_INT_H

#include "lcw/store.h"

struct store_migration {
    int number;
    const char *what;
    const char *sql;
    /* Data work the SQL cannot do portably (JSON), run in the same transaction; or NULL. */
    int (*after)(struct store_tx *tx, struct lcw_error *err);
};

/* Rebuild a user's rows in user_licenses from its document (entities.c). */
int store__user_licenses_sync(struct store_tx *tx, const char *user_id, const json_t *doc,
                              struct lcw_error *err);

extern const struct store_migration store_migrations[];
extern const size_t store_n_migrations;

#endif /* LCW_STORE_INT_H */
