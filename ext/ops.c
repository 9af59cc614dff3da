/*
 * ops.c: typed operations on top of dynamo_call().  Each builds the request
 * DynamoDB's API reference describes and picks the answer's useful part.
 */
#include <string.h>
#include <time.h>

#include "internal.h"
#include "json_parse.h"

/* Adds the optional parts of OPTS to REQ.  Returns 0 or -1 (no memory). */
static int
add_opts(json_t *req, const struct dynamo_item_opts *opts)
{
    int rc = 0;

    if (opts == NULL)
        return 0;
    if (opts->condition != NULL)
        rc |=
            json_object_set_new(req, "ConditionExpression", json_string(opts->condition));
    if (opts->names != NULL)
        rc |= json_object_set(req, "ExpressionAttributeNames", (json_t *)opts->names);
    if (opts->values != NULL)
        rc |= json_object_set(req, "ExpressionAttributeValues", (json_t *)opts->values);
    if (opts->return_values != NULL)
        rc |= json_object_set_new(req, "ReturnValues", json_string(opts->return_values));
    if (opts->projection != NULL)
        rc |= json_object_set_new(req, "ProjectionExpression",
                                  json_string(opts->projection));
    if (opts->consistent_read)
        rc |= json_object_set_new(req, "ConsistentRead", json_true());
    return rc == 0 ? 0 : -1;
}

/* {"TableName": TABLE, NAME: VALUE} plus OPTS; NULL with ERR on failure. */
static json_t *
item_request(const char *table, const char *name, const json_t *value,
             const struct dynamo_item_opts *opts, struct dynamo_err *err)
{
    json_t *req;

    if (table == NULL || !json_is_object(value)) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "%s needs a table name and an object",
                        name);
        return NULL;
    }
    if (dynamo_item_validate(value, err) != 0)
        return NULL;
    req = json_pack("{s:s, s:O}", "TableName", table, name, value);
    if (req == NULL || add_opts(req, opts) != 0) {
        json_decref(req);
        dynamop_err_nomem(err);
        return NULL;
    }
    return req;
}

/* Calls OPERATION with REQ (taken) and moves the answer's FIELD to *OUT
 * (NULL when absent) if OUT is not NULL. */
static int
call_and_take(struct dynamo_client *c, const char *operation, json_t *req,
              const char *field, json_t **out, struct dynamo_err *err)
{
    json_t *resp;

    if (out != NULL)
        *out = NULL;
    if (req == NULL)
        return -1;
    resp = dynamo_call(c, operation, req, err);
    json_decref(req);
    if (resp == NULL)
        return -1;
    if (out != NULL && field != NULL) {
        *out = json_object_get(resp, field);
        json_incref(*out);
    }
    json_decref(resp);
    return 0;
}

int
dynamo_get_item(struct dynamo_client *c, const char *table, const json_t *key,
                const struct dynamo_item_opts *opts, json_t **item,
                struct dynamo_err *err)
{
    return call_and_take(c, "GetItem", item_request(table, "Key", key, opts, err), "Item",
                         item, err);
}

/* Where dynamo_get_item_text's decoder puts the item's text. */
struct item_text {
    char *plain;
    size_t len;
};

/* A dynamop_decode_fn: the answer's Item as plain text into OUT, a struct
 * item_text. */
static int
decode_item_text(const char *body, size_t len, void *out, struct dynamo_err *err)
{
    struct item_text *t = out;

    return dynamop_answer_item_text(body, len, "Item", &t->plain, &t->len, err);
}

int
dynamo_get_item_text(struct dynamo_client *c, const char *table, const json_t *key,
                     const struct dynamo_item_opts *opts, char **plain, size_t *len,
                     struct dynamo_err *err)
{
    json_t *req = item_request(table, "Key", key, opts, err);
    struct item_text t = {NULL, 0};
    int rc = -1;

    if (req != NULL)
        rc = dynamop_call_raw(c, "GetItem", req, decode_item_text, &t, err);
    json_decref(req);
    if (plain != NULL)
        *plain = t.plain;
    else
        dynamop_free(t.plain);
    if (len != NULL)
        *len = t.len;
    return rc;
}

int
dynamo_put_item(struct dynamo_client *c, const char *table, const json_t *item,
                const struct dynamo_item_opts *opts, json_t **old, struct dynamo_err *err)
{
    return call_and_take(c, "PutItem", item_request(table, "Item", item, opts, err),
                         "Attributes", old, err);
}

int
dynamo_create_table(struct dynamo_client *c, const json_t *request,
                    struct dynamo_err *err)
{
    json_t *resp = dynamo_call(c, "CreateTable", request, err);

    json_decref(resp);
    return resp != NULL ? 0 : -1;
}

/* {"TableName": TABLE}, or NULL with ERR. */
static json_t *
name_request(const char *table, struct dynamo_err *err)
{
    json_t *req;

    if (table == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "no table name");
        return NULL;
    }
    req = json_pack("{s:s}", "TableName", table);
    if (req == NULL)
        dynamop_err_nomem(err);
    return req;
}

int
dynamo_delete_table(struct dynamo_client *c, const char *table, struct dynamo_err *err)
{
    return call_and_take(c, "DeleteTable", name_request(table, err), NULL, NULL, err);
}

int
dynamo_describe_table(struct dynamo_client *c, const char *table, json_t **desc,
                      struct dynamo_err *err)
{
    if (call_and_take(c, "DescribeTable", name_request(table, err), "Table", desc, err) !=
        0)
        return -1;
    if (desc != NULL && !json_is_object(*desc)) {
        json_decref(*desc);
        *desc = NULL;
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE,
                        "DescribeTable answer has no Table");
        return -1;
    }
    return 0;
}

/* Appends one ListTables page's names to NAMES and sets *NEXT (borrowed from
 * RESP) to LastEvaluatedTableName or NULL. */
static int
collect_page(json_t *names, json_t *resp, const char **next, struct dynamo_err *err)
{
    json_t *page = json_object_get(resp, "TableNames");

    if (!json_is_array(page) || json_array_extend(names, page) != 0) {
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE,
                        "ListTables answer has no TableNames");
        return -1;
    }
    *next = json_string_value(json_object_get(resp, "LastEvaluatedTableName"));
    return 0;
}

int
dynamo_list_tables(struct dynamo_client *c, json_t **names, struct dynamo_err *err)
{
    json_t *all = json_array(), *req = json_object(), *resp = NULL;
    const char *next = NULL;
    int rc = -1;

    *names = NULL;
    if (all == NULL || req == NULL) {
        dynamop_err_nomem(err);
        goto out;
    }
    do {
        if (next != NULL &&
            json_object_set_new(req, "ExclusiveStartTableName", json_string(next)) != 0) {
            dynamop_err_nomem(err);
            goto out;
        }
        json_decref(resp);
        resp = dynamo_call(c, "ListTables", req, err);
        if (resp == NULL || collect_page(all, resp, &next, err) != 0)
            goto out;
    } while (next != NULL);
    *names = json_incref(all);
    rc = 0;
out:
    json_decref(resp);
    json_decref(req);
    json_decref(all);
    return rc;
}

static long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* 1 when TABLE has reached the state asked for, 0 when not yet, -1 on error. */
static int
table_settled(struct dynamo_client *c, const char *table, int exists,
              struct dynamo_err *err)
{
    struct dynamo_err e = {0};
    json_t *desc = NULL;
    const char *status;
    int done;

    if (dynamo_describe_table(c, table, &desc, &e) != 0) {
        if (e.code == DYNAMO_ERR_NOT_FOUND)
            return !exists;
        dynamop_err_copy(err, &e);
        return -1;
    }
    status = json_string_value(json_object_get(desc, "TableStatus"));
    done = exists && status != NULL && strcmp(status, "ACTIVE") == 0;
    json_decref(desc);
    return done;
}

int
dynamo_wait_table(struct dynamo_client *c, const char *table, int exists, long timeout_ms,
                  struct dynamo_err *err)
{
    long deadline = now_ms() + timeout_ms, delay = 20;

    for (;;) {
        int settled = table_settled(c, table, exists, err);

        if (settled != 0)
            return settled > 0 ? 0 : -1;
        if (now_ms() + delay > deadline) {
            dynamop_err_set(err, DYNAMO_ERR_TIMEOUT,
                            "table '%s' did not %s within %ld ms", table,
                            exists ? "become ACTIVE" : "disappear", timeout_ms);
            return -1;
        }
        nanosleep(&(struct timespec){delay / 1000, (delay % 1000) * 1000000L}, NULL);
        delay = delay < 1000 ? delay * 2 : 1000;
    }
}

int
dynamo_delete_item(struct dynamo_client *c, const char *table, const json_t *key,
                   const struct dynamo_item_opts *opts, json_t **old,
                   struct dynamo_err *err)
{
    return call_and_take(c, "DeleteItem", item_request(table, "Key", key, opts, err),
                         "Attributes", old, err);
}

int
dynamo_update_item(struct dynamo_client *c, const char *table, const json_t *key,
                   const char *update, const struct dynamo_item_opts *opts,
                   json_t **attrs, struct dynamo_err *err)
{
    json_t *req = item_request(table, "Key", key, opts, err);

    if (req != NULL && update != NULL &&
        json_object_set_new(req, "UpdateExpression", json_string(update)) != 0) {
        json_decref(req);
        dynamop_err_nomem(err);
        req = NULL;
    }
    return call_and_take(c, "UpdateItem", req, "Attributes", attrs, err);
}

int
dynamo_update_table(struct dynamo_client *c, const json_t *request, json_t **desc,
                    struct dynamo_err *err)
{
    return call_and_take(c, "UpdateTable", json_deep_copy(request), "TableDescription",
                         desc, err);
}

int
dynamo_update_ttl(struct dynamo_client *c, const char *table, const char *attribute,
                  int enabled, struct dynamo_err *err)
{
    json_t *req = NULL;

    if (table == NULL || attribute == NULL)
        dynamop_err_set(err, DYNAMO_ERR_INVALID,
                        "UpdateTimeToLive needs a table and an "
                        "attribute");
    else if ((req = json_pack("{s:s, s:{s:s, s:b}}", "TableName", table,
                              "TimeToLiveSpecification", "AttributeName", attribute,
                              "Enabled", enabled)) == NULL)
        dynamop_err_nomem(err);
    return call_and_take(c, "UpdateTimeToLive", req, NULL, NULL, err);
}

int
dynamo_describe_ttl(struct dynamo_client *c, const char *table, json_t **desc,
                    struct dynamo_err *err)
{
    return call_and_take(c, "DescribeTimeToLive", name_request(table, err),
                         "TimeToLiveDescription", desc, err);
}
