/*
 * ops.c: typed operations on top of dynamo_call().  Each builds the request
 * DynamoDB's API reference describes and picks the answer's useful part.
 */
#include <string.h>
#include <time.h>

#include "internal.h"
#include "json_parse.h"

/* An item operation's request: {"TableName": TABLE, NAME: VALUE}, the
 * parts OPTS has, and "UpdateExpression": UPDATE when it is not NULL.  It
 * is written straight as text (write_item_request): building it as a
 * jansson object first cost more than the text itself. */
struct item_req {
    const char *table;
    const char *name; /* "Key" or "Item" */
    const json_t *value;
    const struct dynamo_item_opts *opts; /* NULL: none */
    const char *update;
};

/* Is the string S well-formed UTF-8 (as a request must be)? */
static int
is_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    size_t n;

    for (; p < end; p += n)
        if ((n = *p < 0x80 ? 1 : dynamop_utf8_len(p, end)) == 0)
            return 0;
    return 1;
}

/* Checks R before it is written.  Returns 0, or -1 with ERR:
 * DYNAMO_ERR_INVALID for a missing table or value, a string that is not
 * UTF-8, or what dynamo_item_validate() refuses. */
static int
check_item_request(const struct item_req *r, struct dynamo_err *err)
{
    static const struct dynamo_item_opts none;
    const struct dynamo_item_opts *o = r->opts != NULL ? r->opts : &none;
    const char *what = NULL;

    if (r->table == NULL || !json_is_object(r->value)) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "%s needs a table name and an object",
                        r->name);
        return -1;
    }
    if (dynamo_item_validate(r->value, err) != 0)
        return -1;
    if (!is_utf8(r->table))
        what = "table name";
    else if (o->condition != NULL && !is_utf8(o->condition))
        what = "ConditionExpression";
    else if (o->return_values != NULL && !is_utf8(o->return_values))
        what = "ReturnValues";
    else if (o->projection != NULL && !is_utf8(o->projection))
        what = "ProjectionExpression";
    else if (r->update != NULL && !is_utf8(r->update))
        what = "UpdateExpression";
    if (what != NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "%s is not valid UTF-8", what);
        return -1;
    }
    return 0;
}

/* A dynamop_write_fn for a struct item_req, checked: its members in the
 * order the request always had. */
static int
write_item_request(struct dynamop_buf *out, const void *arg, struct dynamo_err *err)
{
    const struct item_req *r = arg;
    const struct dynamo_item_opts *o = r->opts;
    struct dynamop_json_obj obj = {out, err, 0, 0};

    dynamop_json_obj_string(&obj, "TableName", r->table);
    dynamop_json_obj_value(&obj, r->name, r->value);
    if (o != NULL && o->condition != NULL)
        dynamop_json_obj_string(&obj, "ConditionExpression", o->condition);
    if (o != NULL && o->names != NULL)
        dynamop_json_obj_value(&obj, "ExpressionAttributeNames", o->names);
    if (o != NULL && o->values != NULL)
        dynamop_json_obj_value(&obj, "ExpressionAttributeValues", o->values);
    if (o != NULL && o->return_values != NULL)
        dynamop_json_obj_string(&obj, "ReturnValues", o->return_values);
    if (o != NULL && o->projection != NULL)
        dynamop_json_obj_string(&obj, "ProjectionExpression", o->projection);
    if (o != NULL && o->consistent_read)
        dynamop_json_obj_value(&obj, "ConsistentRead", json_true());
    if (r->update != NULL)
        dynamop_json_obj_string(&obj, "UpdateExpression", r->update);
    return dynamop_json_obj_end(&obj);
}

/* Moves RESP's FIELD (NULL when absent) to *OUT, if both are not NULL, and
 * releases RESP. */
static void
take_field(json_t *resp, const char *field, json_t **out)
{
    if (out != NULL && field != NULL) {
        *out = json_object_get(resp, field);
        json_incref(*out);
    }
    json_decref(resp);
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
    take_field(resp, field, out);
    return 0;
}

/* call_and_take() for the item request R. */
static int
call_item(struct dynamo_client *c, const char *operation, const struct item_req *r,
          const char *field, json_t **out, struct dynamo_err *err)
{
    json_t *resp = NULL;

    if (out != NULL)
        *out = NULL;
    if (check_item_request(r, err) != 0 ||
        dynamop_call_write(c, operation, write_item_request, r, dynamop_decode_json,
                           &resp, err) != 0)
        return -1;
    take_field(resp, field, out);
    return 0;
}

int
dynamo_get_item(struct dynamo_client *c, const char *table, const json_t *key,
                const struct dynamo_item_opts *opts, json_t **item,
                struct dynamo_err *err)
{
    struct item_req r = {table, "Key", key, opts, NULL};

    return call_item(c, "GetItem", &r, "Item", item, err);
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
    struct item_req r = {table, "Key", key, opts, NULL};
    struct item_text t = {NULL, 0};
    int rc = -1;

    if (check_item_request(&r, err) == 0)
        rc = dynamop_call_write(c, "GetItem", write_item_request, &r, decode_item_text,
                                &t, err);
    if (plain != NULL)
        *plain = t.plain;
    else
        util_free(t.plain);
    if (len != NULL)
        *len = t.len;
    return rc;
}

int
dynamo_put_item(struct dynamo_client *c, const char *table, const json_t *item,
                const struct dynamo_item_opts *opts, json_t **old, struct dynamo_err *err)
{
    struct item_req r = {table, "Item", item, opts, NULL};

    return call_item(c, "PutItem", &r, "Attributes", old, err);
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
    struct item_req r = {table, "Key", key, opts, NULL};

    return call_item(c, "DeleteItem", &r, "Attributes", old, err);
}

int
dynamo_update_item(struct dynamo_client *c, const char *table, const json_t *key,
                   const char *update, const struct dynamo_item_opts *opts,
                   json_t **attrs, struct dynamo_err *err)
{
    struct item_req r = {table, "Key", key, opts, update};

    return call_item(c, "UpdateItem", &r, "Attributes", attrs, err);
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
