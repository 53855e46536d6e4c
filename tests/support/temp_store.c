/* SPDX-License-Identifier: MIT */
#include "temp_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int temp_store_open(const char *tag, char dir[TEMP_STORE_DIR_LEN], char url[TEMP_STORE_URL_LEN],
                    struct store **out, struct lcw_error *err)
{
    (void)snprintf(dir, TEMP_STORE_DIR_LEN, "/tmp/lcw-%s-XXXXXX", tag);
    if (!mkdtemp(dir))
        return lcw_error_set(err, LCW_EIO, "cannot make a temporary directory for %s", tag);
    (void)snprintf(url, TEMP_STORE_URL_LEN, "sqlite://%s/lcw.db", dir);
    return store_open(url, out, err);
}

void temp_store_remove(const char *dir)
{
    static const char *const files[] = {"lcw.db", "lcw.db-wal", "lcw.db-shm"};
    char path[TEMP_STORE_DIR_LEN + 16];

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        (void)snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        (void)unlink(path);
    }
    (void)rmdir(dir);
}
