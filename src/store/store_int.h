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

/*
 * History counters (stats.c). A write of a user or task processing result
 * reads the row's contribution before the write, takes it from the written
 * values after, and store__stats_update adds the difference to run_stats /
 * run_task_stats.
 */
#define STORE__N_COUNTS 6

struct store__contrib {
    bool is_found;
    char run_id[64];
    char workflow_id[64];
    char task_id[64];
    char task_def[64];
    int64_t n[STORE__N_COUNTS];
    int64_t started, completed, last; /* ms, -1 when unknown */
};

bool store__stats_kept(const struct store_entity *e);
int store__stats_read(struct store_tx *tx, const struct store_entity *e, const char *pk,
                      struct store__contrib *out, struct lcw_error *err);
/* The contribution of the row being written: `vals[i]` goes to column `columns[i]`. */
int store__stats_of_values(const struct store_entity *e, const char *const *columns,
                           const struct store_val *vals, size_t n, struct store__contrib *out);
int store__stats_update(struct store_tx *tx, const struct store_entity *e,
                        const struct store__contrib *before, const struct store__contrib *after,
                        struct lcw_error *err);

extern const struct store_migration store_migrations[];
extern const size_t store_n_migrations;

#endif /* LCW_STORE_INT_H */
