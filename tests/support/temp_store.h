/* SPDX-License-Identifier: MIT */
/*
 * A real SQLite store in a fresh temporary directory, for unit tests that
 * need one: open it in a fixture's setup, close it and remove the directory
 * in its teardown.
 */
#ifndef LCW_TEST_TEMP_STORE_H
#define LCW_TEST_TEMP_STORE_H

#include "lcw/store.h"

#define TEMP_STORE_DIR_LEN 64
#define TEMP_STORE_URL_LEN 128

/* Make /tmp/lcw-<tag>-XXXXXX in `dir`, its store URL in `url`, and open it. */
int temp_store_open(const char *tag, char dir[TEMP_STORE_DIR_LEN], char url[TEMP_STORE_URL_LEN],
                    struct store **out, struct lcw_error *err);

/* Remove the store's files (database, WAL, shared memory) and `dir`. Close the store first. */
void temp_store_remove(const char *dir);

#endif /* LCW_TEST_TEMP_STORE_H */
