/*
 * routes.c: the example app's HTTP API, JSON over HTTP.
 *
 *   PUT /users/<username>     body: a JSON object -> 201 created, 200 replaced
 *   GET /users/<username>     -> 200 the stored object, 404 when absent
 *   DELETE /users/<username>  -> 204, 404 when absent
 *   GET /users?limit=N&cursor=C -> 200 {"items": [...], "cursor": C or null}
 *   the same for /groups/<name>;  GET /healthz -> 200, or 503
 *
 * Attribute values round-trip exactly: the body is parsed straight into
 * DynamoDB's typed form, numbers keeping their decimal text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

/* DynamoDB's limit on a partition key value (bytes). */
#define MAX_KEY_BYTES 2048
/* Page sizes for the list routes. */
#define DEFAULT_PAGE 25
#define MAX_PAGE 1000

/* One resource: a table and the path parameter that is its hash key. */
struct resource {
    const char *table;
    const char *param;
};

static const struct resource users = {"users", "username"};
static const struct resource groups = {"groups", "name"};

/* Answers for a DynamoDB failure: unavailable or misbehaving backends are
 * 503 (the client already retried), requests DynamoDB refuses are 400, the
 * rest 500. */
static int
reply_dynamo_error(struct web_resp *resp, const struct dynamo_err *err)
{
    switch (err->code) {
    case DYNAMO_ERR_NETWORK:
    case DYNAMO_ERR_TIMEOUT:
    case DYNAMO_ERR_THROTTLED:
    case DYNAMO_ERR_SERVICE:
    case DYNAMO_ERR_BAD_RESPONSE: /* a garbled answer: bad CRC, not JSON, too big */
    case DYNAMO_ERR_NOT_FOUND:    /* the table is missing: run create-all */
        return web_resp_error(resp, 503, "DynamoDB unavailable: %s", err->text);
    case DYNAMO_ERR_INVALID:
    case DYNAMO_ERR_VALIDATION:
        return web_resp_error(resp, 400, "%s", err->text);
    default:
        return web_resp_error(resp, 500, "%s", err->text);
    }
}

/* The table of RES in the request's app context, or NULL after replying. */
static struct dynamo_table *
table_for(struct web_req *req, struct web_resp *resp, struct dynamo *d,
          const struct resource *res)
{
    struct dynamo_err err = {0};
    struct dynamo_table *t = dynamo_table(d, web_req_ctx(req), res->table, &err);

    if (t == NULL)
        reply_dynamo_error(resp, &err);
    return t;
}

/* 1 when S is valid UTF-8, as a DynamoDB string must be (a decoded path or
 * query value may hold any byte: %FF, overlong forms, surrogates). */
static int
utf8_ok(const char *s)
{
    json_t *j = json_string(s);

    json_decref(j);
    return j != NULL;
}

/* The key value from the path, checked against DynamoDB's limits; NULL
 * after replying 400. */
static const char *
key_value(struct web_req *req, struct web_resp *resp, const struct resource *res)
{
    const char *v = web_req_param(req, res->param);

    if (v == NULL || *v == '\0' || strlen(v) > MAX_KEY_BYTES || !utf8_ok(v)) {
        web_resp_error(resp, 400, "%s must be 1 to %d bytes of UTF-8", res->param,
                       MAX_KEY_BYTES);
        return NULL;
    }
    return v;
}

/* {HASH_KEY: {"S": KEY}}, the key of T's item KEY (checked by key_value());
 * new, or NULL out of memory.  Built directly: json_pack() parses its format
 * string on every call, which cost as much as the rest of a GET's route. */
static json_t *
key_of(struct dynamo_table *t, const char *key)
{
    json_t *typed = json_object(), *k = json_object();
    /* json_object_set_new() takes its value even when it fails: nothing
     * leaks whichever step fails. */
    int rc = json_object_set_new(typed, "S", json_string(key));

    rc |= json_object_set_new(k, dynamo_table_hash_key(t), typed);
    if (rc != 0) {
        json_decref(k);
        return NULL;
    }
    return k;
}

/* Replies STATUS with TEXT (LEN bytes of plain JSON). */
static int
reply_text(struct web_resp *resp, int status, const char *text, size_t len)
{
    int rc;

    web_resp_status(resp, status);
    rc = web_resp_header(resp, "Content-Type", "application/json");
    rc |= web_resp_body(resp, text, len);
    return rc;
}

/* Replies STATUS with ITEM (typed) as plain JSON. */
static int
reply_item(struct web_resp *resp, int status, const json_t *item)
{
    struct dynamo_err err = {0};
    char *text = dynamo_item_to_json_text(item, &err);
    int rc;

    if (text == NULL)
        return reply_dynamo_error(resp, &err);
    rc = reply_text(resp, status, text, strlen(text));
    free(text);
    return rc;
}

/* The body as a typed item whose key attribute, if present, matches KEY;
 * NULL after replying 400. */
static json_t *
body_item(struct web_req *req, struct web_resp *resp, const char *attr, const char *key)
{
    struct dynamo_err err = {0};
    size_t len;
    const char *body = web_req_body(req, &len);
    json_t *item = dynamo_item_from_json_text(body, len, &err);
    json_t *keyval = json_pack("{s:s}", "S", key), *given;

    if (item == NULL || keyval == NULL) {
        json_decref(keyval);
        web_resp_error(resp, 400, "bad JSON body: %s", err.text);
        return NULL;
    }
    given = json_object_get(item, attr);
    if (given != NULL && !json_equal(given, keyval)) {
        json_decref(item);
        json_decref(keyval);
        web_resp_error(resp, 400, "attribute '%s' in the body differs from the path",
                       attr);
        return NULL;
    }
    if (json_object_set_new(item, attr, keyval) != 0) {
        json_decref(item);
        web_resp_error(resp, 500, "out of memory");
        return NULL;
    }
    return item;
}

static int
put_resource(struct web_req *req, struct web_resp *resp, struct dynamo *d,
             const struct resource *res)
{
    struct dynamo_item_opts opts = {.return_values = "ALL_OLD"};
    struct dynamo_err err = {0};
    struct dynamo_table *t = table_for(req, resp, d, res);
    const char *key = t ? key_value(req, resp, res) : NULL;
    json_t *item = key ? body_item(req, resp, dynamo_table_hash_key(t), key) : NULL;
    json_t *old = NULL;
    int rc;

    if (item == NULL)
        return 0;
    if (dynamo_table_put(t, item, &opts, &old, &err) != 0)
        rc = reply_dynamo_error(resp, &err);
    else
        rc = reply_item(resp, old != NULL ? 200 : 201, item);
    json_decref(old);
    json_decref(item);
    return rc;
}

/* The item comes as plain JSON text straight from DynamoDB's answer: no
 * jansson value is built for it (dynamo_table_get_text). */
static int
get_resource(struct web_req *req, struct web_resp *resp, struct dynamo *d,
             const struct resource *res)
{
    struct dynamo_err err = {0};
    struct dynamo_table *t = table_for(req, resp, d, res);
    const char *key = t ? key_value(req, resp, res) : NULL;
    char *text = NULL;
    size_t len = 0;
    json_t *k;
    int rc;

    if (key == NULL)
        return 0;
    k = key_of(t, key);
    if (dynamo_table_get_text(t, k, NULL, &text, &len, &err) != 0)
        rc = reply_dynamo_error(resp, &err);
    else if (text == NULL)
        rc = web_resp_error(resp, 404, "%s '%s' not found", res->param, key);
    else
        rc = reply_text(resp, 200, text, len);
    free(text);
    json_decref(k);
    return rc;
}

static int
delete_resource(struct web_req *req, struct web_resp *resp, struct dynamo *d,
                const struct resource *res)
{
    struct dynamo_item_opts opts = {.return_values = "ALL_OLD"};
    struct dynamo_err err = {0};
    struct dynamo_table *t = table_for(req, resp, d, res);
    const char *key = t ? key_value(req, resp, res) : NULL;
    json_t *k, *old = NULL;
    int rc;

    if (key == NULL)
        return 0;
    k = key_of(t, key);
    if (dynamo_delete_item(dynamo_table_client(t), dynamo_table_full_name(t), k, &opts,
                           &old, &err) != 0)
        rc = reply_dynamo_error(resp, &err);
    else if (old == NULL)
        rc = web_resp_error(resp, 404, "%s '%s' not found", res->param, key);
    else {
        web_resp_status(resp, 204);
        rc = 0;
    }
    json_decref(old);
    json_decref(k);
    return rc;
}

/* The ?limit= parameter: 1..MAX_PAGE, DEFAULT_PAGE when absent; -1 after
 * replying 400. */
static long
page_limit(struct web_req *req, struct web_resp *resp)
{
    const char *v = web_req_query(req, "limit");
    char *end;
    long n;

    if (v == NULL)
        return DEFAULT_PAGE;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < 1 || n > MAX_PAGE) {
        web_resp_error(resp, 400, "limit must be a whole number from 1 to %d", MAX_PAGE);
        return -1;
    }
    return n;
}

/* Writes {"items": [ITEMS as plain JSON], "cursor": NEXT's key or null}. */
static int
reply_page(struct web_resp *resp, const json_t *items, const json_t *next,
           const char *attr)
{
    struct dynamo_err err = {0};
    const json_t *key = json_object_get(json_object_get(next, attr), "S");
    /* By length: a key written by another client may hold U+0000. */
    json_t *cur =
        key ? json_stringn(json_string_value(key), json_string_length(key)) : json_null();
    char *tail = json_dumps(cur, JSON_ENCODE_ANY);
    size_t cap = 64 + (tail ? strlen(tail) : 0), len = 0, i;
    char *out = malloc(cap);
    json_t *item;
    int rc = -1;

    json_decref(cur);
    if (out == NULL || tail == NULL)
        goto out;
    len = (size_t)snprintf(out, cap, "{\"items\":[");
    json_array_foreach (items, i, item) {
        char *text = dynamo_item_to_json_text(item, &err), *grown;
        size_t n = text ? strlen(text) : 0;

        if (text == NULL || (grown = realloc(out, cap += n + 1)) == NULL) {
            free(text);
            goto out;
        }
        out = grown;
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "," : "", text);
        free(text);
    }
    snprintf(out + len, cap - len, "],\"cursor\":%s}", tail);
    web_resp_status(resp, 200);
    rc = web_resp_header(resp, "Content-Type", "application/json");
    rc |= web_resp_body(resp, out, strlen(out));
out:
    free(tail);
    free(out);
    return rc != 0 && err.code ? reply_dynamo_error(resp, &err) : rc;
}

/* One Scan page.  The cursor is the last item's key value: these tables
 * have a hash key only, so it is the whole LastEvaluatedKey. */
static int
list_resource(struct web_req *req, struct web_resp *resp, struct dynamo *d,
              const struct resource *res)
{
    struct dynamo_err err = {0};
    struct dynamo_table *t = table_for(req, resp, d, res);
    long limit = t ? page_limit(req, resp) : -1;
    const char *cursor = web_req_query(req, "cursor");
    json_t *scan, *start = NULL, *items = NULL, *next = NULL;
    int rc;

    if (limit < 0)
        return 0;
    if (cursor != NULL &&
        (*cursor == '\0' || strlen(cursor) > MAX_KEY_BYTES || !utf8_ok(cursor)))
        return web_resp_error(resp, 400, "cursor must be 1 to %d bytes of UTF-8",
                              MAX_KEY_BYTES);
    scan = json_pack("{s:s, s:i}", "TableName", dynamo_table_full_name(t), "Limit",
                     (int)limit);
    if (cursor != NULL)
        start = key_of(t, cursor);
    if (dynamo_page(dynamo_table_client(t), "Scan", scan, start, &items, &next, &err) !=
        0)
        rc = reply_dynamo_error(resp, &err);
    else
        rc = reply_page(resp, items, next, dynamo_table_hash_key(t));
    json_decref(items);
    json_decref(next);
    json_decref(start);
    json_decref(scan);
    return rc;
}

static int
put_user(struct web_req *req, struct web_resp *resp, void *d)
{
    return put_resource(req, resp, d, &users);
}

static int
get_user(struct web_req *req, struct web_resp *resp, void *d)
{
    return get_resource(req, resp, d, &users);
}

static int
put_group(struct web_req *req, struct web_resp *resp, void *d)
{
    return put_resource(req, resp, d, &groups);
}

static int
get_group(struct web_req *req, struct web_resp *resp, void *d)
{
    return get_resource(req, resp, d, &groups);
}

static int
delete_user(struct web_req *req, struct web_resp *resp, void *d)
{
    return delete_resource(req, resp, d, &users);
}

static int
list_users(struct web_req *req, struct web_resp *resp, void *d)
{
    return list_resource(req, resp, d, &users);
}

static int
delete_group(struct web_req *req, struct web_resp *resp, void *d)
{
    return delete_resource(req, resp, d, &groups);
}

static int
list_groups(struct web_req *req, struct web_resp *resp, void *d)
{
    return list_resource(req, resp, d, &groups);
}

/* 200 when DynamoDB answers a DescribeTable of the users table. */
static int
healthz(struct web_req *req, struct web_resp *resp, void *d)
{
    struct dynamo_err err = {0};
    struct dynamo_table *t = table_for(req, resp, d, &users);
    json_t *desc = NULL;

    if (t == NULL)
        return 0;
    if (dynamo_describe_table(dynamo_table_client(t), dynamo_table_full_name(t), &desc,
                              &err) != 0)
        return web_resp_error(resp, 503, "DynamoDB unavailable: %s", err.text);
    json_decref(desc);
    return web_resp_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

/* One route a line: clang-format would pack the table into columns. */
/* clang-format off */
static const struct web_route routes[] = {
    {"PUT", "/users/<username>", put_user},
    {"GET", "/users/<username>", get_user},
    {"DELETE", "/users/<username>", delete_user},
    {"GET", "/users", list_users},
    {"PUT", "/groups/<name>", put_group},
    {"GET", "/groups/<name>", get_group},
    {"DELETE", "/groups/<name>", delete_group},
    {"GET", "/groups", list_groups},
    {"GET", "/healthz", healthz},
};
/* clang-format on */

int
app_add_routes(struct web_app *app, struct dynamo *dynamo, struct web_err *err)
{
    return web_app_routes(app, routes, sizeof(routes) / sizeof(routes[0]), dynamo, err);
}
