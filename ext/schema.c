/*
 * schema.c: create_all and destroy_all, as flask-dynamo's.
 *
 * create_all sends every missing table's CreateTable before waiting for any,
 * so DynamoDB builds them concurrently.  A table that appears between our
 * ListTables and our CreateTable (another process running create_all) shows
 * as ResourceInUseException and counts as existing, which makes running it
 * from several processes at once safe.
 */
#include <string.h>

#include "extension.h"
#include "internal.h"

/* How long create_all / destroy_all wait for a table: DynamoDB documents
 * minutes for tables with indexes; Local takes milliseconds. */
#define WAIT_TIMEOUT_MS (10L * 60L * 1000L)

static int
name_listed(const json_t *names, const char *name)
{
    size_t i;
    json_t *v;

    json_array_foreach (names, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
            return 1;
    }
    return 0;
}

/* 0 when the live table T has the declared keys; else -1 with
 * DYNAMO_ERR_CONFIG listing the differences (or the DescribeTable error). */
static int
same_keys(struct dynamo_table *t, struct dynamo_err *err)
{
    json_t *desc = NULL, *diff = json_array();
    int rc = -1;

    if (diff == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    if (dynamo_describe_table(t->client, t->full_name, &desc, err) != 0)
        goto out;
    if (dynamop_table_key_drift(t->decl, desc, diff) != 0) {
        dynamop_err_nomem(err);
        goto out;
    }
    if (json_array_size(diff) > 0) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                        "table %s exists with other keys than "
                        "declared (%s); not using it",
                        t->full_name, json_string_value(json_array_get(diff, 0)));
        goto out;
    }
    rc = 0;
out:
    json_decref(desc);
    json_decref(diff);
    return rc;
}

/* Sends CreateTable for table I unless it exists; *CREATED says whether it
 * was created by us.  Returns 0 or -1 (ERR). */
static int
create_one(struct dynamo *d, struct dynamo_table *t, const json_t *existing, int *created,
           struct dynamo_err *err)
{
    struct dynamo_err e = {0};
    json_t *req;
    int rc;

    *created = 0;
    if (name_listed(existing, dynamo_table_full_name(t)))
        return same_keys(t, err);
    req = dynamop_table_create_request(t->decl, d->config.prefix, err);
    if (req == NULL)
        return -1;
    rc = dynamo_create_table(dynamo_table_client(t), req, &e);
    json_decref(req);
    if (rc != 0 && e.code != DYNAMO_ERR_IN_USE) {
        dynamop_err_copy(err, &e);
        return -1;
    }
    *created = rc == 0;
    return 0;
}

/* Waits for table T to be ACTIVE and applies its TTL setting. */
static int
settle(struct dynamo_table *t, const char *prefix, int wait, struct dynamo_err *err)
{
    json_t *req, *resp;

    if (!wait && t->decl->ttl_attribute == NULL)
        return 0;
    if (dynamo_wait_table(t->client, t->full_name, 1, WAIT_TIMEOUT_MS, err) != 0)
        return -1;
    if (t->decl->ttl_attribute == NULL)
        return 0;
    req = dynamop_table_ttl_request(t->decl, prefix, err);
    if (req == NULL)
        return -1;
    resp = dynamo_call(t->client, "UpdateTimeToLive", req, err);
    json_decref(req);
    json_decref(resp);
    return resp != NULL ? 0 : -1;
}

int
dynamo_create_all(struct dynamo *d, struct web_ctx *ctx, int wait, struct dynamo_err *err)
{
    size_t n = dynamo_table_count(d);
    struct dynamo_client *c = dynamo_connection(d, ctx, err);
    json_t *existing = NULL;
    int rc = -1;
    char *created = util_calloc(n, 1);

    if (created == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    if (c == NULL || dynamo_list_tables(c, &existing, err) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        struct dynamo_table *t = dynamo_table_at(d, ctx, i, err);
        int made;

        if (t == NULL || create_one(d, t, existing, &made, err) != 0)
            goto out;
        created[i] = (char)made;
    }
    for (size_t i = 0; i < n; i++)
        if (created[i] &&
            settle(dynamo_table_at(d, ctx, i, err), d->config.prefix, wait, err) != 0)
            goto out;
    rc = 0;
out:
    json_decref(existing);
    util_free(created);
    return rc;
}

int
dynamo_destroy_all(struct dynamo *d, struct web_ctx *ctx, int wait,
                   struct dynamo_err *err)
{
    size_t n = dynamo_table_count(d);

    for (size_t i = 0; i < n; i++) {
        struct dynamo_table *t = dynamo_table_at(d, ctx, i, err);
        struct dynamo_err e = {0};

        if (t == NULL)
            return -1;
        if (dynamo_delete_table(t->client, t->full_name, &e) != 0 &&
            e.code != DYNAMO_ERR_NOT_FOUND) {
            dynamop_err_copy(err, &e);
            return -1;
        }
    }
    for (size_t i = 0; wait && i < n; i++) {
        struct dynamo_table *t = dynamo_table_at(d, ctx, i, err);

        if (dynamo_wait_table(t->client, t->full_name, 0, WAIT_TIMEOUT_MS, err) != 0)
            return -1;
    }
    return 0;
}
