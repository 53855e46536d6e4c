/* SPDX-License-Identifier: MIT */
/* Shared between the files of the store module; not for other modules. */
#ifndef LCW_STORE_INT_H
#define LCW_STORE_INT_H

#include "lcw/store.h"

struct store_migration {
    int number;
    const char *what;
    const char *sql;
};

extern const struct store_migration store_migrations[];
extern const size_t store_n_migrations;

#endif /* LCW_STORE_INT_H */
