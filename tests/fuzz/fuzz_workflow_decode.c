/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as a POST /workflows body (and as a
 * createNewVersion wrapper and a PATCH) through the model validators. Any
 * crash, leak or sanitizer report is a bug; rejections are expected.
 */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lcw/common.h"
#include "lcw/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool installed;
    struct lcw_error err;
    json_t *body, *out = NULL, *wrapped, *patched = NULL;

    if (!installed) {
        lcw_alloc_install_jansson();
        installed = true;
    }
    body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!body)
        return 0;
    if (model_workflow_from_create(body, NULL, &out, &err) == 0) {
        /* A normalised document is itself a valid body once read-only noise is absent. */
        json_t *again = NULL;

        if (model_workflow_from_create(out, NULL, &again, &err) != 0)
            __builtin_trap();
        json_decref(again);
        (void)model_workflow_patch(out, body, &patched, &err);
        json_decref(patched);
    }
    json_decref(out);
    out = NULL;
    wrapped = json_pack("{sO}", "workflow", body);
    if (wrapped) {
        (void)model_workflow_from_new_version(wrapped, NULL, &out, &err);
        json_decref(out);
        json_decref(wrapped);
    }
    json_decref(body);
    return 0;
}
