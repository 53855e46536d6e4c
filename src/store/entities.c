/* SPDX-License-Identifier: MIT */
/*
 * The entity layer: resources kept as JSON documents with their filterable
 * properties copied into columns, so that OData $filter/$orderby compile to
 * SQL over indexed columns while the document stays the single source of the
 * resource's shape. The property tables below are both the column map for
 * writes and the odata entity for reads, so the two cannot drift apart.
 */
#include "lcw/store.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lcw/jsonx.h"

#include "store_int.h"

#define EQ  ODATA_OP_EQ
#define ORD ODATA_OP_ORDER
#define IN  ODATA_OP_IN
#define SW  ODATA_OP_STARTSWITH
#define HAS ODATA_OP_HAS
#define CMP (EQ | ORD | IN)
#define STR (EQ | IN | SW)

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct odata_property workflow_props[] = {
        {"id", "pk", ODATA_T_GUID, EQ | IN, true},
        {"displayName", "display_name", ODATA_T_STRING, STR, true},
        {"category", "category", ODATA_T_ENUM, EQ | IN, true},
        {"isEnabled", "is_enabled", ODATA_T_BOOL, EQ, true},
        {"isSchedulingEnabled", "is_scheduling_enabled", ODATA_T_BOOL, EQ, true},
        {"version", "version", ODATA_T_INT, CMP, true},
        {"createdDateTime", "created_at_ms", ODATA_T_DATETIME, CMP, true},
        {"lastModifiedDateTime", "last_modified_at_ms", ODATA_T_DATETIME, CMP, true},
        {"deletedDateTime", "deleted_at_ms", ODATA_T_DATETIME, CMP, true},
        {"nextScheduleRunDateTime", "next_schedule_run_at_ms", ODATA_T_DATETIME, CMP, true},
};

const struct store_entity store_ent_workflow = {
        "workflows", {"workflow", "pk", workflow_props, N(workflow_props)}, "id", false};

static const struct odata_property version_props[] = {
        {"versionNumber", "version_number", ODATA_T_INT, CMP, true},
        {"displayName", "display_name", ODATA_T_STRING, STR, true},
        {"category", "category", ODATA_T_ENUM, EQ | IN, true},
        {"isEnabled", "is_enabled", ODATA_T_BOOL, EQ, true},
        {"isSchedulingEnabled", "is_scheduling_enabled", ODATA_T_BOOL, EQ, true},
        {"createdDateTime", "created_at_ms", ODATA_T_DATETIME, CMP, true},
        {"lastModifiedDateTime", "last_modified_at_ms", ODATA_T_DATETIME, CMP, true},
};

const struct store_entity store_ent_workflow_version = {
        "workflow_versions",
        {"workflowVersion", "pk", version_props, N(version_props)},
        NULL,
        false};

static const struct odata_property extension_props[] = {
        {"id", "pk", ODATA_T_GUID, EQ | IN, true},
        {"displayName", "display_name", ODATA_T_STRING, STR, true},
        {"createdDateTime", "created_at_ms", ODATA_T_DATETIME, CMP, true},
        {"lastModifiedDateTime", "last_modified_at_ms", ODATA_T_DATETIME, CMP, true},
};

const struct store_entity store_ent_extension = {
        "custom_task_extensions",
        {"customTaskExtension", "pk", extension_props, N(extension_props)},
        "id",
        false};

static const struct odata_property audit_props[] = {
        {"id", "pk", ODATA_T_STRING, EQ | IN, true},
        {"activityDateTime", "activity_at_ms", ODATA_T_DATETIME, CMP, true},
        {"category", "category", ODATA_T_STRING, EQ | IN, true},
        {"activityDisplayName", "activity", ODATA_T_STRING, STR, true},
        {"result", "result", ODATA_T_STRING, EQ | IN, true},
        {"loggedByService", "logged_by_service", ODATA_T_STRING, EQ | IN, true},
        {"correlationId", "correlation_id", ODATA_T_STRING, EQ, false},
        {"initiatedBy/user/id", "initiated_by_id", ODATA_T_STRING, EQ | IN, false},
        {"initiatedBy/user/displayName", "initiated_by_name", ODATA_T_STRING, STR, true},
};

const struct store_entity store_ent_audit = {
        "audit_events", {"directoryAudit", "pk", audit_props, N(audit_props)}, "id", false};

static const struct odata_property user_props[] = {
        {"id", "pk", ODATA_T_GUID, EQ | IN, true},
        {"userPrincipalName", "user_principal_name", ODATA_T_STRING, STR, true},
        {"displayName", "display_name", ODATA_T_STRING, STR, true},
        {"givenName", "given_name", ODATA_T_STRING, STR, true},
        {"surname", "surname", ODATA_T_STRING, STR, true},
        {"mail", "mail", ODATA_T_STRING, STR, true},
        {"mailNickname", "mail_nickname", ODATA_T_STRING, STR, true},
        {"department", "department", ODATA_T_STRING, STR, true},
        {"jobTitle", "job_title", ODATA_T_STRING, STR, true},
        {"companyName", "company_name", ODATA_T_STRING, STR, true},
        {"country", "country", ODATA_T_STRING, STR, true},
        {"city", "city", ODATA_T_STRING, STR, true},
        {"state", "state", ODATA_T_STRING, STR, true},
        {"postalCode", "postal_code", ODATA_T_STRING, STR, true},
        {"officeLocation", "office_location", ODATA_T_STRING, STR, true},
        {"employeeId", "employee_id", ODATA_T_STRING, STR, true},
        {"employeeType", "employee_type", ODATA_T_STRING, STR, true},
        {"accountEnabled", "account_enabled", ODATA_T_BOOL, EQ, true},
        {"employeeHireDate", "employee_hire_at_ms", ODATA_T_DATETIME, CMP, true},
        {"employeeLeaveDateTime", "employee_leave_at_ms", ODATA_T_DATETIME, CMP, true},
        {"createdDateTime", "created_at_ms", ODATA_T_DATETIME, CMP, true},
        {"userType", "user_type", ODATA_T_STRING, EQ | IN, true},
        {"usageLocation", "usage_location", ODATA_T_STRING, STR, true},
        {"preferredLanguage", "preferred_language", ODATA_T_STRING, STR, true},
        {"employeeOrgData/costCenter", "cost_center", ODATA_T_STRING, STR, true},
        {"employeeOrgData/division", "division", ODATA_T_STRING, STR, true},
        {"deletedDateTime", "deleted_at_ms", ODATA_T_DATETIME, CMP, true},
};

const struct store_entity store_ent_user = {
        "users", {"user", "pk", user_props, N(user_props)}, "id", false};

static const struct odata_property group_props[] = {
        {"id", "pk", ODATA_T_GUID, EQ | IN, true},
        {"displayName", "display_name", ODATA_T_STRING, STR, true},
        {"mailNickname", "mail_nickname", ODATA_T_STRING, STR, true},
        {"description", "description", ODATA_T_STRING, STR, true},
        {"mail", "mail", ODATA_T_STRING, STR, true},
        {"securityEnabled", "security_enabled", ODATA_T_BOOL, EQ, true},
        {"mailEnabled", "mail_enabled", ODATA_T_BOOL, EQ, true},
        {"createdDateTime", "created_at_ms", ODATA_T_DATETIME, CMP, true},
};

const struct store_entity store_ent_group = {
        "groups", {"group", "pk", group_props, N(group_props)}, "id", false};

static const struct odata_property run_props[] = {
        {"id", "pk", ODATA_T_STRING, EQ | IN, true},
        {"processingStatus", "processing_status", ODATA_T_ENUM, EQ | IN, true},
        {"workflowExecutionType", "execution_type", ODATA_T_ENUM, EQ | IN, true},
        {"scheduledDateTime", "scheduled_at_ms", ODATA_T_DATETIME, CMP, true},
        {"startedDateTime", "started_at_ms", ODATA_T_DATETIME, CMP, true},
        {"completedDateTime", "completed_at_ms", ODATA_T_DATETIME, CMP, true},
        {"lastUpdatedDateTime", "last_updated_at_ms", ODATA_T_DATETIME, CMP, true},
        {"#lcw.workflowVersion", "workflow_version", ODATA_T_INT, 0, false},
};

const struct store_entity store_ent_run = {
        "runs", {"run", "pk", run_props, N(run_props)}, "id", false};

static const struct odata_property user_result_props[] = {
        {"id", "pk", ODATA_T_STRING, EQ | IN, true},
        {"processingStatus", "processing_status", ODATA_T_ENUM, EQ | IN, true},
        {"workflowExecutionType", "execution_type", ODATA_T_ENUM, CMP, true},
        {"scheduledDateTime", "scheduled_at_ms", ODATA_T_DATETIME, CMP, true},
        {"startedDateTime", "started_at_ms", ODATA_T_DATETIME, CMP, true},
        {"completedDateTime", "completed_at_ms", ODATA_T_DATETIME, CMP, true},
        {"workflowVersion", "workflow_version", ODATA_T_INT, CMP, true},
        {"totalTasksCount", "total_tasks", ODATA_T_INT, CMP, true},
        {"failedTasksCount", "failed_tasks", ODATA_T_INT, CMP, true},
        {"totalUnprocessedTasksCount", "unprocessed_tasks", ODATA_T_INT, CMP, true},
        {"subject/id", "subject_id", ODATA_T_GUID, EQ | IN, true},
        {"#lcw.runId", "run_id", ODATA_T_STRING, 0, false},
};

const struct store_entity store_ent_user_result = {
        "user_results",
        {"userProcessingResult", "pk", user_result_props, N(user_result_props)},
        "id",
        true};

static const struct odata_property task_result_props[] = {
        {"id", "pk", ODATA_T_STRING, EQ | IN, true},
        {"processingStatus", "processing_status", ODATA_T_ENUM, EQ | IN, true},
        {"createdDateTime", "created_at_ms", ODATA_T_DATETIME, CMP, true},
        {"startedDateTime", "started_at_ms", ODATA_T_DATETIME, CMP, true},
        {"completedDateTime", "completed_at_ms", ODATA_T_DATETIME, CMP, true},
        {"subject/id", "subject_id", ODATA_T_GUID, EQ | IN, true},
        {"task/id", "task_id", ODATA_T_GUID, EQ | IN, true},
        {"task/taskDefinitionId", "task_definition_id", ODATA_T_GUID, EQ | IN, false},
        {"#lcw.runId", "run_id", ODATA_T_STRING, 0, false},
        {"#lcw.userResultId", "user_result_id", ODATA_T_STRING, 0, false},
};

const struct store_entity store_ent_task_result = {
        "task_results",
        {"taskProcessingResult", "pk", task_result_props, N(task_result_props)},
        "id",
        true};

/* Resolve "a/b/c" inside `doc`; NULL when any step is missing. */
static const json_t *doc_path(const json_t *doc, const char *path)
{
    char key[128];
    const char *p = path;

    while (doc && *p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);

        if (n >= sizeof(key))
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        doc = json_object_get(doc, key);
        p = slash ? slash + 1 : p + n;
    }
    return doc;
}

/* The column value of property `p` in `doc`. `scratch` holds lower-cased GUIDs. */
static struct store_val column_value(const struct odata_property *p, const json_t *doc,
                                     char scratch[UUID_STR_LEN])
{
    const json_t *v = doc_path(doc, p->name);
    const char *s;
    int64_t ms;

    if (!v || json_is_null(v))
        return STORE_V_NULL;
    switch (p->type) {
    case ODATA_T_INT:
        return json_is_integer(v) ? STORE_V_INT(json_integer_value(v)) : STORE_V_NULL;
    case ODATA_T_BOOL:
        return json_is_boolean(v) ? STORE_V_INT(json_is_true(v) ? 1 : 0) : STORE_V_NULL;
    case ODATA_T_DATETIME:
        s = json_string_value(v);
        if (s && timefmt_parse(s, strlen(s), &ms) == 0)
            return STORE_V_INT(ms);
        return STORE_V_NULL;
    case ODATA_T_GUID:
        s = json_string_value(v);
        if (!s || strlen(s) >= UUID_STR_LEN)
            return STORE_V_TEXT(s);
        for (size_t i = 0;; i++) {
            char c = s[i];

            scratch[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            if (!c)
                break;
        }
        return STORE_V_TEXT(scratch);
    default:
        return STORE_V_TEXT(json_string_value(v));
    }
}

#define MAX_ENTITY_COLS 40

static void user_cache_set(struct store_tx *tx, const char *pk, const json_t *doc);

/*
 * The upsert statement of an entity, built once: it depends only on the
 * entity's column list, and rebuilding it for every write was a measurable
 * part of the engine's per-task cost. Cached per entity behind a mutex
 * held only for the build.
 */
static const char *upsert_sql(const struct store_entity *e)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static struct {
        const struct store_entity *e;
        char *sql;
    } cache[16];
    const char *out = NULL;
    struct buf sql;
    int rc;

    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < sizeof(cache) / sizeof(cache[0]); i++) {
        if (cache[i].e == e) {
            out = cache[i].sql;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    if (out)
        return out;
    buf_init(&sql, 8192);
    rc = buf_printf(&sql, "INSERT INTO %s (pk, parent", e->table);
    for (size_t i = 0; !rc && i < e->od.n_props; i++) {
        const struct odata_property *p = &e->od.props[i];

        if (p->column && strcmp(p->column, "pk") != 0)
            rc = buf_printf(&sql, ", %s", p->column);
    }
    if (!rc)
        rc = buf_puts(&sql, ", doc) VALUES (?, ?");
    for (size_t i = 0; !rc && i < e->od.n_props; i++) {
        const struct odata_property *p = &e->od.props[i];

        if (p->column && strcmp(p->column, "pk") != 0)
            rc = buf_puts(&sql, ", ?");
    }
    if (!rc)
        rc = buf_puts(&sql, ", ?) ON CONFLICT (pk) DO UPDATE SET parent = excluded.parent");
    for (size_t i = 0; !rc && i < e->od.n_props; i++) {
        const struct odata_property *p = &e->od.props[i];

        if (p->column && strcmp(p->column, "pk") != 0)
            rc = buf_printf(&sql, ", %s = excluded.%s", p->column, p->column);
    }
    if (!rc)
        rc = buf_puts(&sql, ", doc = excluded.doc");
    if (rc) {
        buf_release(&sql);
        return NULL;
    }
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < sizeof(cache) / sizeof(cache[0]); i++) {
        if (cache[i].e == e) {
            out = cache[i].sql; /* another thread built it meanwhile */
            break;
        }
        if (!cache[i].e) {
            cache[i].e = e;
            cache[i].sql = buf_detach(&sql);
            out = cache[i].sql;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    buf_release(&sql);
    LCW_ASSERT(out);
    return out;
}

int store_entity_put(struct store_tx *tx, const struct store_entity *e, const char *pk,
                     const char *parent, const json_t *doc, struct lcw_error *err)
{
    struct store_val vals[MAX_ENTITY_COLS];
    const char *columns[MAX_ENTITY_COLS] = {"pk", "parent"}; /* of vals, for the counters */
    char guids[MAX_ENTITY_COLS][UUID_STR_LEN];
    const char *sql = upsert_sql(e);
    char *text = NULL;
    size_t n = 0;
    int rc;

    if (!sql)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    text = jsonx_dump(doc);
    if (!text)
        return lcw_error_set(err, LCW_ENOMEM, "out of memory");
    vals[n++] = STORE_V_TEXT(pk);
    vals[n++] = STORE_V_TEXT(parent);
    for (size_t i = 0; i < e->od.n_props; i++) {
        const struct odata_property *p = &e->od.props[i];

        if (!p->column || strcmp(p->column, "pk") == 0)
            continue;
        LCW_ASSERT(n < MAX_ENTITY_COLS - 1);
        columns[n] = p->column;
        vals[n] = column_value(p, doc, guids[n]);
        n++;
    }
    vals[n++] = STORE_V_TEXT(text);
    if (store__stats_kept(e)) {
        struct store__contrib before, after;

        rc = store__stats_read(tx, e, pk, &before, err);
        if (!rc)
            rc = store_exec(tx, sql, vals, n, NULL, NULL, NULL, err);
        if (!rc)
            rc = store__stats_of_values(e, columns, vals, n - 1, &after);
        if (!rc)
            rc = store__stats_update(tx, e, &before, &after, err);
    } else {
        rc = store_exec(tx, sql, vals, n, NULL, NULL, NULL, err);
    }
    if (!rc && e == &store_ent_user) {
        rc = store__user_licenses_sync(tx, pk, doc, err);
        if (!rc)
            user_cache_set(tx, pk, doc);
    }
    lcw_free(text);
    return rc;
}

int store__user_licenses_sync(struct store_tx *tx, const char *user_id, const json_t *doc,
                              struct lcw_error *err)
{
    struct store_val p[2] = {STORE_V_TEXT(user_id), STORE_V_NULL};
    const json_t *deleted = json_object_get(doc, "deletedDateTime");
    size_t i;
    json_t *lic;
    int rc = store_exec(tx, "DELETE FROM user_licenses WHERE user_id = ?", p, 1, NULL, NULL, NULL,
                        err);

    /* A deleted user holds no units. */
    if (rc || (deleted && !json_is_null(deleted)))
        return rc;
    json_array_foreach (json_object_get(doc, "assignedLicenses"), i, lic) {
        char sku[UUID_STR_LEN];
        const char *id = jsonx_str(lic, "skuId");

        if (!id || strlen(id) >= sizeof(sku))
            continue;
        for (size_t k = 0;; k++) {
            sku[k] = (char)(id[k] >= 'A' && id[k] <= 'Z' ? id[k] + 32 : id[k]);
            if (!id[k])
                break;
        }
        p[1] = STORE_V_TEXT(sku);
        rc = store_exec(tx,
                        "INSERT INTO user_licenses (user_id, sku_id) VALUES (?, ?)"
                        " ON CONFLICT (user_id, sku_id) DO NOTHING",
                        p, 2, NULL, NULL, NULL, err);
        if (rc)
            return rc;
    }
    return 0;
}

int store_sku_consumed(struct store_tx *tx, const char *sku_id, int64_t *out, struct lcw_error *err)
{
    char sku[UUID_STR_LEN];
    struct store_val p;

    if (strlen(sku_id) >= sizeof(sku))
        return lcw_error_set(err, LCW_EINVAL, "not a SKU id: '%s'", sku_id);
    for (size_t k = 0;; k++) {
        sku[k] = (char)(sku_id[k] >= 'A' && sku_id[k] <= 'Z' ? sku_id[k] + 32 : sku_id[k]);
        if (!sku_id[k])
            break;
    }
    p = STORE_V_TEXT(sku);
    return store_query_int(tx, "SELECT COUNT(*) FROM user_licenses WHERE sku_id = ?", &p, 1, out,
                           err);
}

static int row_doc(void *ctx, const struct store_val *cols, size_t n)
{
    json_t **out = ctx;
    json_error_t jerr;

    if (n < 1 || cols[0].kind != STORE_TEXT)
        return LCW_EINTERNAL;
    json_decref(*out);
    *out = json_loads(cols[0].s, 0, &jerr);
    return *out ? 0 : LCW_EINTERNAL;
}

static int entity_load(struct store_tx *tx, const struct store_entity *e, const char *pk,
                       json_t **out, struct lcw_error *err);

/*
 * Users are read and rewritten by every directory task of a run, often
 * several times per user in one transaction; parsing the stored text each
 * time dominated the engine's cost. A transaction keeps the docs it read or
 * wrote (copies: callers modify what they get), and drops them at its end.
 */
static void user_cache_set(struct store_tx *tx, const char *pk, const json_t *doc)
{
    json_t *copy;

    if (!tx->user_cache)
        tx->user_cache = json_object();
    copy = tx->user_cache ? json_deep_copy(doc) : NULL;
    if (!copy || json_object_set_new(tx->user_cache, pk, copy)) {
        /* Out of memory: forget the cache rather than keep a stale entry. */
        json_decref(tx->user_cache);
        tx->user_cache = NULL;
    }
}

int store_entity_get(struct store_tx *tx, const struct store_entity *e, const char *pk,
                     json_t **out, struct lcw_error *err)
{
    if (e == &store_ent_user && tx->user_cache) {
        const json_t *hit = json_object_get(tx->user_cache, pk);

        if (hit) {
            *out = json_deep_copy(hit);
            return *out ? 0 : lcw_error_set(err, LCW_ENOMEM, "out of memory");
        }
    }
    return entity_load(tx, e, pk, out, err);
}

static int entity_load(struct store_tx *tx, const struct store_entity *e, const char *pk,
                       json_t **out, struct lcw_error *err)
{
    char sql[256];
    struct store_val p = STORE_V_TEXT(pk);
    int rc;

    *out = NULL;
    (void)snprintf(sql, sizeof(sql), "SELECT doc FROM %s WHERE pk = ?", e->table);
    rc = store_exec(tx, sql, &p, 1, row_doc, out, NULL, err);
    if (rc == LCW_EINTERNAL)
        return lcw_error_set(err, rc, "stored %s '%s' is not valid JSON", e->od.name, pk);
    if (rc)
        return rc;
    if (!*out)
        return lcw_error_set(err, LCW_ENOTFOUND, "%s '%s' does not exist", e->od.name, pk);
    if (e == &store_ent_user)
        user_cache_set(tx, pk, *out);
    return 0;
}

int store_entity_delete(struct store_tx *tx, const struct store_entity *e, const char *pk,
                        struct lcw_error *err)
{
    char sql[256];
    struct store_val p = STORE_V_TEXT(pk);
    struct store__contrib before, after = {0};
    int64_t changes = 0;
    int rc = 0;

    (void)snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE pk = ?", e->table);
    if (store__stats_kept(e))
        rc = store__stats_read(tx, e, pk, &before, err);
    if (!rc)
        rc = store_exec(tx, sql, &p, 1, NULL, NULL, &changes, err);
    if (!rc && store__stats_kept(e) && before.is_found)
        rc = store__stats_update(tx, e, &before, &after, err);
    if (!rc && e == &store_ent_user) {
        rc = store_exec(tx, "DELETE FROM user_licenses WHERE user_id = ?", &p, 1, NULL, NULL, NULL,
                        err);
        if (tx->user_cache)
            json_object_del(tx->user_cache, pk);
    }
    if (rc)
        return rc;
    if (changes == 0)
        return lcw_error_set(err, LCW_ENOTFOUND, "%s '%s' does not exist", e->od.name, pk);
    return 0;
}
