/*
 * check_dynamo.c: the client and the extension against a real DynamoDB Local
 * (started by scripts/run-tests.sh; DYNAMO_LOCAL_HOST / _PORT say where).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dynamo.h"
#include "testutil.h"

static struct dynamo_client *
new_client(void)
{
    struct dynamo_client_config cfg = {.access_key_id = "AKIDINTEGRATION",
                                       .secret_access_key = "integration-secret"};

    return tu_local_client(&cfg);
}

/* Creates a table NAME with a string hash key "id" and waits for it. */
static void
make_table(struct dynamo_client *c, const char *name)
{
    struct dynamo_err err = {0};
    json_t *req = json_pack("{s:s, s:[{s:s, s:s}], s:[{s:s, s:s}], s:s}", "TableName",
                            name, "AttributeDefinitions", "AttributeName", "id",
                            "AttributeType", "S", "KeySchema", "AttributeName", "id",
                            "KeyType", "HASH", "BillingMode", "PAY_PER_REQUEST");

    ck_assert_msg(dynamo_create_table(c, req, &err) == 0, "CreateTable: %s", err.text);
    json_decref(req);
    ck_assert_msg(dynamo_wait_table(c, name, 1, 30000, &err) == 0, "wait: %s", err.text);
}

START_TEST(test_client_item_round_trip)
{
    struct dynamo_client *c = new_client();
    struct dynamo_err err = {0};
    char name[64];
    const char *text =
        "{\"id\":\"alice\",\"n\":12345678901234567890123456789012345678,"
        "\"r\":-1.50E-7,\"ok\":true,\"none\":null,\"l\":[\"x\",{\"y\":[]}],"
        "\"s\":\"tab\\t \\\"q\\\" \\\\ \\/ caf\\u00e9 \\ud83d\\ude00 \\u0001\"}";
    json_t *item = dynamo_item_from_json_text(text, strlen(text), &err), *got = NULL;
    json_t *key = json_pack("{s:{s:s}}", "id", "S", "alice");
    char *back, *plain = NULL;
    size_t plain_len = 0;

    ck_assert_msg(item != NULL, "%s", err.text);
    tu_unique("it-items", name, sizeof(name));
    make_table(c, name);
    ck_assert_msg(dynamo_put_item(c, name, item, NULL, NULL, &err) == 0, "put: %s",
                  err.text);
    ck_assert_msg(dynamo_get_item(c, name, key, NULL, &got, &err) == 0, "get: %s",
                  err.text);
    ck_assert_ptr_nonnull(got);
    /* DynamoDB stores numbers by value and answers in plain decimal
     * ("-1.50E-7" comes back as "-0.00000015"); every digit must survive. */
    json_object_set_new(json_object_get(item, "r"), "N", json_string("-0.00000015"));
    back = dynamo_item_to_json_text(got, &err);
    ck_assert_msg(json_equal(item, got), "item changed on the way: %s", back);
    ck_assert_ptr_nonnull(back);
    ck_assert_ptr_nonnull(strstr(back, "12345678901234567890123456789012345678"));
    ck_assert_ptr_nonnull(strstr(back, "-0.00000015"));
    /* The text path gives the same bytes straight from the answer. */
    ck_assert_msg(dynamo_get_item_text(c, name, key, NULL, &plain, &plain_len, &err) == 0,
                  "get text: %s", err.text);
    ck_assert_ptr_nonnull(plain);
    ck_assert_str_eq(plain, back);
    ck_assert_uint_eq(plain_len, strlen(back));
    free(plain);
    free(back);
    json_decref(got);
    /* An absent item is success with NULL, not an error. */
    json_decref(key);
    key = json_pack("{s:{s:s}}", "id", "S", "nobody");
    ck_assert_int_eq(dynamo_get_item(c, name, key, NULL, &got, &err), 0);
    ck_assert_ptr_null(got);
    plain = (char *)"unset";
    ck_assert_int_eq(dynamo_get_item_text(c, name, key, NULL, &plain, NULL, &err), 0);
    ck_assert_ptr_null(plain);
    /* One keep-alive connection carried every call. */
    ck_assert_int_eq(dynamo_client_connections(c), 1);
    ck_assert_int_eq(dynamo_delete_table(c, name, &err), 0);
    ck_assert_int_eq(dynamo_wait_table(c, name, 0, 30000, &err), 0);
    json_decref(key);
    json_decref(item);
    dynamo_client_free(c);
}
END_TEST

START_TEST(test_client_errors)
{
    struct dynamo_client *c = new_client();
    struct dynamo_err err = {0};
    struct dynamo_item_opts once = {.condition = "attribute_not_exists(id)"};
    json_t *key = json_pack("{s:{s:s}}", "id", "S", "k"), *item = NULL;
    char name[64];

    ck_assert_int_eq(dynamo_get_item(c, "it-no-such-table", key, NULL, &item, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_NOT_FOUND);
    ck_assert_str_eq(err.type, "ResourceNotFoundException");
    ck_assert_int_eq(err.http_status, 400);
    ck_assert_int_eq(err.attempts, 1);
    ck_assert_msg(strstr(err.text, "ResourceNotFoundException") != NULL, "%s", err.text);

    tu_unique("it-cond", name, sizeof(name));
    make_table(c, name);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(dynamo_put_item(c, name, key, &once, NULL, &err), 0);
    ck_assert_int_eq(dynamo_put_item(c, name, key, &once, NULL, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_CONDITION_FAILED);
    ck_assert_str_eq(err.type, "ConditionalCheckFailedException");

    /* A request DynamoDB refuses: a key of the wrong type. */
    memset(&err, 0, sizeof(err));
    json_decref(key);
    key = json_pack("{s:{s:s}}", "id", "N", "1");
    ck_assert_int_eq(dynamo_get_item(c, name, key, NULL, &item, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_VALIDATION);

    /* Requests refused before anything is sent: no table, a key that is
     * not an object, a string that is not UTF-8. */
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(dynamo_get_item(c, NULL, key, NULL, &item, &err), -1);
    ck_assert_str_eq(err.text, "Key needs a table name and an object");
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(dynamo_put_item(c, name, json_null(), NULL, NULL, &err), -1);
    ck_assert_str_eq(err.text, "Item needs a table name and an object");
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(dynamo_get_item_text(c, "t\xff", key, NULL, NULL, NULL, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_str_eq(err.text, "table name is not valid UTF-8");
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(dynamo_update_item(c, name, key, "SET a = \xc3", NULL, NULL, &err),
                     -1);
    ck_assert_str_eq(err.text, "UpdateExpression is not valid UTF-8");
    ck_assert_int_eq(dynamo_delete_table(c, name, NULL), 0);
    json_decref(key);
    dynamo_client_free(c);
}
END_TEST

START_TEST(test_client_update_delete_and_pages)
{
    struct dynamo_client *c = new_client();
    struct dynamo_err err = {0};
    struct dynamo_item_opts add = {.values = NULL, .return_values = "ALL_NEW"};
    json_t *values = json_pack("{s:{s:s}}", ":one", "N", "1"), *attrs = NULL, *old = NULL;
    json_t *key = json_pack("{s:{s:s}}", "id", "S", "counter");
    json_t *scan, *items = NULL, *next = NULL;
    struct dynamo_pager *pager;
    const json_t *item;
    char name[64], id[16];
    int seen = 0, pages = 0;

    tu_unique("it-pages", name, sizeof(name));
    make_table(c, name);
    add.values = values;
    for (int i = 0; i < 3; i++) {
        json_decref(attrs);
        ck_assert_msg(
            dynamo_update_item(c, name, key, "ADD n :one", &add, &attrs, &err) == 0,
            "update: %s", err.text);
    }
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(attrs, "n"), "N")),
                     "3");
    ck_assert_int_eq(
        dynamo_delete_item(c, name, key,
                           &(struct dynamo_item_opts){.return_values = "ALL_OLD"}, &old,
                           &err),
        0);
    ck_assert_ptr_nonnull(old);
    json_decref(old);
    ck_assert_int_eq(dynamo_delete_item(c, name, key, NULL, &old, &err), 0);
    ck_assert_ptr_null(old);

    for (int i = 0; i < 7; i++) {
        json_t *it;

        snprintf(id, sizeof(id), "item-%d", i);
        it = json_pack("{s:{s:s}}", "id", "S", id);
        ck_assert_int_eq(dynamo_put_item(c, name, it, NULL, NULL, &err), 0);
        json_decref(it);
    }
    /* Limit 3 over 7 items: the iterator follows LastEvaluatedKey. */
    scan = json_pack("{s:s, s:i}", "TableName", name, "Limit", 3);
    pager = dynamo_pager_new(c, "Scan", scan, &err);
    ck_assert_ptr_nonnull(pager);
    while ((item = dynamo_pager_next(pager, &err)) != NULL) {
        ck_assert_ptr_nonnull(json_object_get(item, "id"));
        seen++;
    }
    ck_assert_msg(err.code == DYNAMO_OK, "pager: %s", err.text);
    ck_assert_int_eq(seen, 7);
    dynamo_pager_free(pager);
    /* The one-page form hands out the cursor. */
    seen = 0;
    do {
        json_t *start = next;

        ck_assert_int_eq(dynamo_page(c, "Scan", scan, start, &items, &next, &err), 0);
        seen += (int)json_array_size(items);
        pages++;
        json_decref(items);
        json_decref(start);
    } while (next != NULL);
    ck_assert_int_eq(seen, 7);
    ck_assert_int_ge(pages, 3);
    json_decref(scan);
    ck_assert_int_eq(dynamo_delete_table(c, name, &err), 0);
    json_decref(attrs);
    json_decref(values);
    json_decref(key);
    dynamo_client_free(c);
}
END_TEST

/* RequestItems for N items of TABLE: puts ({"PutRequest": ...}), deletes,
 * or keys for a BatchGetItem. */
static json_t *
batch_items(const char *table, int n, const char *kind)
{
    json_t *list = json_array();
    char id[32];

    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "batch-%04d", i);
        if (strcmp(kind, "put") == 0)
            json_array_append_new(list,
                                  json_pack("{s:{s:{s:{s:s}, s:{s:s}}}}", "PutRequest",
                                            "Item", "id", "S", id, "n", "N", "7"));
        else if (strcmp(kind, "delete") == 0)
            json_array_append_new(list, json_pack("{s:{s:{s:{s:s}}}}", "DeleteRequest",
                                                  "Key", "id", "S", id));
        else
            json_array_append_new(list, json_pack("{s:{s:s}}", "id", "S", id));
    }
    if (strcmp(kind, "get") == 0)
        return json_pack("{s:{s:o, s:b}}", table, "Keys", list, "ConsistentRead", 1);
    return json_pack("{s:o}", table, list);
}

START_TEST(test_client_batches)
{
    struct dynamo_client *c = new_client();
    struct dynamo_err err = {0};
    json_t *items, *resp = NULL, *left = NULL, *count;
    char name[64];

    tu_unique("it-batch", name, sizeof(name));
    make_table(c, name);
    /* 130 writes: six BatchWriteItem calls of at most 25. */
    items = batch_items(name, 130, "put");
    ck_assert_msg(dynamo_batch_write(c, items, &left, &err) == 0, "write: %s", err.text);
    ck_assert_ptr_null(left);
    json_decref(items);
    /* 130 keys: two BatchGetItem calls of at most 100; every item back. */
    items = batch_items(name, 130, "get");
    ck_assert_msg(dynamo_batch_get(c, items, &resp, &left, &err) == 0, "get: %s",
                  err.text);
    ck_assert_int_eq(json_array_size(json_object_get(resp, name)), 130);
    json_decref(resp);
    json_decref(items);
    /* Deletes too, then a count shows the table empty. */
    items = batch_items(name, 130, "delete");
    ck_assert_int_eq(dynamo_batch_write(c, items, NULL, &err), 0);
    json_decref(items);
    items = json_pack("{s:s, s:s, s:b}", "TableName", name, "Select", "COUNT",
                      "ConsistentRead", 1);
    count = dynamo_call(c, "Scan", items, &err);
    ck_assert_ptr_nonnull(count);
    ck_assert_int_eq(json_integer_value(json_object_get(count, "Count")), 0);
    json_decref(count);
    json_decref(items);
    /* A malformed request is refused before anything is sent. */
    items = json_pack("{s:i}", name, 1);
    ck_assert_int_eq(dynamo_batch_write(c, items, &left, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    json_decref(items);
    ck_assert_int_eq(dynamo_delete_table(c, name, NULL), 0);
    dynamo_client_free(c);
}
END_TEST

/* Names and strings holding U+0000 go through the calls that copy the
 * caller's request (batches, the pager) whole: jansson's json_deep_copy
 * would cut "a\0b" to "a".  An error answer echoing them is understood. */
START_TEST(test_client_nul_batches_and_pages)
{
    struct dynamo_client *c = new_client();
    struct dynamo_err err = {0};
    json_t *puts = json_array(), *keys = json_array(), *items, *resp = NULL, *scan, *m;
    struct dynamo_pager *pager;
    const json_t *item, *v;
    char name[64], id[8] = "id\0_";
    int seen = 0;

    tu_unique("it-nul", name, sizeof(name));
    make_table(c, name);
    for (int i = 0; i < 3; i++) {
        json_t *it;

        id[3] = (char)('0' + i);
        m = json_object();
        json_object_setn_new(m, "k\0", 2, json_pack("{s:s%}", "S", "v\0", (size_t)2));
        it = json_pack("{s:{s:s%}, s:{s:o}}", "id", "S", id, (size_t)4, "m", "M", m);
        json_object_setn_new(it, "a\0b", 3, json_pack("{s:s%}", "S", "x\0y", (size_t)3));
        json_array_append_new(puts, json_pack("{s:{s:o}}", "PutRequest", "Item", it));
        json_array_append_new(keys, json_pack("{s:{s:s%}}", "id", "S", id, (size_t)4));
    }
    items = json_pack("{s:o}", name, puts);
    ck_assert_msg(dynamo_batch_write(c, items, NULL, &err) == 0, "write: %s", err.text);
    json_decref(items);
    items = json_pack("{s:{s:o, s:b}}", name, "Keys", keys, "ConsistentRead", 1);
    ck_assert_msg(dynamo_batch_get(c, items, &resp, NULL, &err) == 0, "get: %s",
                  err.text);
    json_decref(items);
    ck_assert_int_eq(json_array_size(json_object_get(resp, name)), 3);
    item = json_array_get(json_object_get(resp, name), 0);
    ck_assert_uint_eq(json_object_size(item), 3);
    v = json_object_get(json_object_getn(item, "a\0b", 3), "S");
    ck_assert_msg(v != NULL && json_string_length(v) == 3 &&
                      memcmp(json_string_value(v), "x\0y", 3) == 0,
                  "attribute 'a\\0b' not read back whole");
    json_decref(resp);
    /* A filter on a map value with a NUL key, one item a page. */
    m = json_object();
    json_object_setn_new(m, "k\0", 2, json_pack("{s:s%}", "S", "v\0", (size_t)2));
    scan = json_pack("{s:s, s:i, s:s, s:{s:{s:o}}}", "TableName", name, "Limit", 1,
                     "FilterExpression", "m = :m", "ExpressionAttributeValues", ":m", "M",
                     m);
    pager = dynamo_pager_new(c, "Scan", scan, &err);
    ck_assert_ptr_nonnull(pager);
    json_decref(scan);
    while ((item = dynamo_pager_next(pager, &err)) != NULL) {
        v = json_object_get(json_object_get(item, "id"), "S");
        ck_assert_uint_eq(json_string_length(v), 4);
        seen++;
    }
    ck_assert_msg(err.code == DYNAMO_OK, "pager: %s", err.text);
    ck_assert_int_eq(seen, 3);
    dynamo_pager_free(pager);
    /* An error answer that echoes such an item keeps its __type. */
    items =
        json_pack("{s:s, s:{s:{s:s%}}, s:s, s:s}", "TableName", name, "Item", "id", "S",
                  id, (size_t)4, "ConditionExpression", "attribute_not_exists(id)",
                  "ReturnValuesOnConditionCheckFailure", "ALL_OLD");
    ck_assert_ptr_null(dynamo_call(c, "PutItem", items, &err));
    ck_assert_msg(err.code == DYNAMO_ERR_CONDITION_FAILED, "%s", err.text);
    ck_assert_str_eq(err.type, "ConditionalCheckFailedException");
    json_decref(items);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(dynamo_delete_table(c, name, &err), 0);
    dynamo_client_free(c);
}
END_TEST

START_TEST(test_client_transactions)
{
    struct dynamo_client *c = new_client();
    struct dynamo_err err = {0};
    json_t *actions, *reasons = NULL, *gets, *items = NULL;
    char name[64], token[64];

    tu_unique("it-txn", name, sizeof(name));
    make_table(c, name);
    actions = json_pack("[{s:{s:s, s:{s:{s:s}}}}, {s:{s:s, s:{s:{s:s}}}}]", "Put",
                        "TableName", name, "Item", "id", "S", "a", "Put", "TableName",
                        name, "Item", "id", "S", "b");
    /* Idempotency tokens live 10 minutes server-side: make this one unique. */
    ck_assert_msg(dynamo_transact_write(c, actions,
                                        tu_unique("token", token, sizeof(token)),
                                        &reasons, &err) == 0,
                  "%s", err.text);
    ck_assert_ptr_null(reasons);
    json_decref(actions);
    /* The first action's condition fails: the whole transaction is
     * cancelled, with one reason per action. */
    actions = json_pack("[{s:{s:s, s:{s:{s:s}}, s:s}}, {s:{s:s, s:{s:{s:s}}}}]",
                        "ConditionCheck", "TableName", name, "Key", "id", "S", "a",
                        "ConditionExpression", "attribute_not_exists(id)", "Put",
                        "TableName", name, "Item", "id", "S", "c");
    ck_assert_int_eq(dynamo_transact_write(c, actions, NULL, &reasons, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_TXN_CANCELLED);
    ck_assert_str_eq(err.type, "TransactionCanceledException");
    ck_assert_int_eq(json_array_size(reasons), 2);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(reasons, 0), "Code")),
        "ConditionalCheckFailed");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(reasons, 1), "Code")), "None");
    json_decref(reasons);
    json_decref(actions);
    memset(&err, 0, sizeof(err));
    gets = json_pack("[{s:{s:s, s:{s:{s:s}}}}, {s:{s:s, s:{s:{s:s}}}}]", "Get",
                     "TableName", name, "Key", "id", "S", "b", "Get", "TableName", name,
                     "Key", "id", "S", "c");
    ck_assert_msg(dynamo_transact_get(c, gets, &items, NULL, &err) == 0, "%s", err.text);
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_array_get(items, 0), "id"), "S")),
                     "b");
    ck_assert(json_is_null(json_array_get(items, 1))); /* "c" was never written */
    json_decref(items);
    json_decref(gets);
    ck_assert_int_eq(dynamo_delete_table(c, name, NULL), 0);
    dynamo_client_free(c);
}
END_TEST

/* Parallel scan segments cover every item exactly once; TTL on and off. */
START_TEST(test_client_segments_and_ttl)
{
    struct dynamo_client *c = new_client();
    struct dynamo_err err = {0};
    json_t *items, *seen = json_object(), *ttl = NULL;
    char name[64];

    tu_unique("it-seg", name, sizeof(name));
    make_table(c, name);
    items = batch_items(name, 40, "put");
    ck_assert_int_eq(dynamo_batch_write(c, items, NULL, &err), 0);
    json_decref(items);
    for (int seg = 0; seg < 3; seg++) {
        json_t *scan = json_pack("{s:s, s:i, s:i, s:i}", "TableName", name, "Segment",
                                 seg, "TotalSegments", 3, "Limit", 7);
        struct dynamo_pager *p = dynamo_pager_new(c, "Scan", scan, &err);
        const json_t *item;

        while ((item = dynamo_pager_next(p, &err)) != NULL) {
            const char *id =
                json_string_value(json_object_get(json_object_get(item, "id"), "S"));

            ck_assert_msg(json_object_get(seen, id) == NULL, "%s seen twice", id);
            json_object_set_new(seen, id, json_true());
        }
        ck_assert_int_eq(err.code, DYNAMO_OK);
        dynamo_pager_free(p);
        json_decref(scan);
    }
    ck_assert_int_eq(json_object_size(seen), 40);
    json_decref(seen);

    ck_assert_msg(dynamo_update_ttl(c, name, "expires_at", 1, &err) == 0, "%s", err.text);
    ck_assert_int_eq(dynamo_describe_ttl(c, name, &ttl, &err), 0);
    ck_assert_str_eq(json_string_value(json_object_get(ttl, "AttributeName")),
                     "expires_at");
    json_decref(ttl);
    ck_assert_int_eq(dynamo_delete_table(c, name, NULL), 0);
    dynamo_client_free(c);
}
END_TEST

START_TEST(test_client_unreachable)
{
    struct dynamo_client_config cfg = {0};
    struct dynamo_err err = {0};
    struct dynamo_client *c;
    json_t *names = NULL;

    /* Port 1 on loopback: nothing listens, connect is refused at once. */
    cfg.endpoint = "http://127.0.0.1:1";
    cfg.access_key_id = "AKID";
    cfg.secret_access_key = "secret";
    cfg.max_attempts = 2;
    c = dynamo_client_new(&cfg, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(dynamo_list_tables(c, &names, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_NETWORK);
    ck_assert_int_eq(err.attempts, 2);
    ck_assert_msg(strstr(err.text, "127.0.0.1 port 1") != NULL, "%s", err.text);
    dynamo_client_free(c);
}
END_TEST

/* An app with the dynamo extension, configured from the environment plus
 * the given tables file and prefix. */
static struct web_app *
new_app(const char *tables_file, const char *prefix, struct dynamo **d)
{
    struct web_err werr = {0};
    struct dynamo_err err = {0};
    struct web_app *app = web_app_new("integration", &werr);

    ck_assert_ptr_nonnull(app);
    ck_assert_int_eq(web_config_set(app, "DYNAMO_TABLES_FILE", tables_file, &werr), 0);
    ck_assert_int_eq(web_config_set(app, "DYNAMO_TABLE_PREFIX", prefix, &werr), 0);
    *d = dynamo_new(app, &err);
    ck_assert_msg(*d != NULL, "dynamo_new: %s", err.text);
    return app;
}

static const char tables_text[] =
    "[table users]\nhash_key = username S\n\n"
    "[table events]\nhash_key = user_id S\nrange_key = ts N\n"
    "ttl_attribute = expires_at\n";

START_TEST(test_extension_create_all)
{
    char path[] = "/tmp/dynamo-fcgi-tables-XXXXXX", prefix[64];
    int fd = mkstemp(path);
    struct dynamo *d;
    struct web_app *app;
    struct dynamo_err err = {0};
    int ran = 0;

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, tables_text, sizeof(tables_text) - 1),
                     (long)sizeof(tables_text) - 1);
    close(fd);
    snprintf(prefix, sizeof(prefix), "it-%ld-", (long)getpid());
    app = new_app(path, prefix, &d);
    ck_assert_int_eq(dynamo_table_count(d), 2);
    WEB_WITH_APP_CONTEXT(app, ctx)
    {
        struct dynamo_table *users, *events;
        json_t *desc = NULL, *item, *got = NULL;

        ck_assert_msg(dynamo_create_all(d, ctx, 1, &err) == 0, "create_all: %s",
                      err.text);
        /* Again: existing tables are skipped. */
        ck_assert_msg(dynamo_create_all(d, ctx, 1, &err) == 0, "create_all: %s",
                      err.text);
        users = dynamo_table(d, ctx, "users", &err);
        events = dynamo_table_at(d, ctx, 1, &err);
        ck_assert_ptr_nonnull(users);
        ck_assert_str_eq(dynamo_table_name(events), "events");
        ck_assert_str_eq(dynamo_table_range_key(events), "ts");
        ck_assert_ptr_eq(dynamo_table(d, ctx, "nope", &err), NULL);
        ck_assert_int_eq(err.code, DYNAMO_ERR_UNKNOWN_TABLE);
        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(dynamo_describe_table(dynamo_table_client(events),
                                               dynamo_table_full_name(events), &desc,
                                               &err),
                         0);
        ck_assert_str_eq(json_string_value(json_object_get(desc, "TableStatus")),
                         "ACTIVE");
        ck_assert_int_eq(json_array_size(json_object_get(desc, "KeySchema")), 2);
        json_decref(desc);
        item =
            json_pack("{s:{s:s}, s:{s:s}}", "username", "S", "bob", "email", "S", "b@x");
        ck_assert_int_eq(dynamo_table_put(users, item, NULL, NULL, &err), 0);
        json_object_del(item, "email");
        ck_assert_int_eq(dynamo_table_get(users, item, NULL, &got, &err), 0);
        ck_assert_str_eq(
            json_string_value(json_object_get(json_object_get(got, "email"), "S")),
            "b@x");
        json_decref(got);
        json_decref(item);
        /* Both tables share the context's one connection. */
        ck_assert_ptr_eq(dynamo_table_client(users), dynamo_table_client(events));
        ck_assert_int_eq(dynamo_client_connections(dynamo_connection(d, ctx, &err)), 1);
        ck_assert_msg(dynamo_destroy_all(d, ctx, 1, &err) == 0, "destroy: %s", err.text);
        ck_assert_int_eq(dynamo_describe_table(dynamo_table_client(users),
                                               dynamo_table_full_name(users), &desc,
                                               &err),
                         -1);
        ck_assert_int_eq(err.code, DYNAMO_ERR_NOT_FOUND);
        ran = 1;
    }
    ck_assert_int_eq(ran, 1);
    web_app_free(app);
    dynamo_free(d);
    unlink(path);
}
END_TEST

/* Writes TEXT to a new temporary file; its path goes to PATH (size 64). */
static void
temp_file(const char *text, char *path)
{
    int fd;

    snprintf(path, 64, "/tmp/dynamo-fcgi-tables-XXXXXX");
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (long)strlen(text));
    close(fd);
}

static const char full_text[] =
    "[table events]\nhash_key = user_id S\nrange_key = ts N\n"
    "ttl_attribute = expires_at\nstream = NEW_AND_OLD_IMAGES\n"
    "sse = true\ndeletion_protection = false\n"
    "[index events.by_type]\ntype = global\nhash_key = type S\nrange_key = ts N\n"
    "[index events.by_title]\nhash_key = title S\nprojection = KEYS_ONLY\n"
    "[index events.by_kind]\ntype = local\nhash_key = user_id S\nrange_key = kind S\n"
    "projection = INCLUDE\nproject = title body\n";

/* Sets the live table T's DeletionProtectionEnabled to ON, behind the
 * app's back. */
static void
set_deletion_protection(struct dynamo_table *t, int on)
{
    struct dynamo_err err = {0};
    json_t *req = json_pack("{s:s, s:b}", "TableName", dynamo_table_full_name(t),
                            "DeletionProtectionEnabled", on);
    json_t *resp = dynamo_call(dynamo_table_client(t), "UpdateTable", req, &err);

    ck_assert_msg(resp != NULL, "UpdateTable: %s", err.text);
    json_decref(resp);
    json_decref(req);
    ck_assert_int_eq(dynamo_wait_table(dynamo_table_client(t), dynamo_table_full_name(t),
                                       1, 30000, &err),
                     0);
}

/* Two GSIs, an LSI, TTL and a stream are created as declared; drift shows
 * once the live table is changed behind the app's back. */
START_TEST(test_extension_full_table_and_drift)
{
    char path[64], prefix[64];
    struct dynamo *d;
    struct web_app *app;
    struct dynamo_err err = {0};
    int ran = 0;

    temp_file(full_text, path);
    snprintf(prefix, sizeof(prefix), "it-full-%ld-", (long)getpid());
    app = new_app(path, prefix, &d);
    WEB_WITH_APP_CONTEXT(app, ctx)
    {
        struct dynamo_table *t;
        json_t *desc = NULL, *diff = NULL, *req, *resp;

        ck_assert_msg(dynamo_create_all(d, ctx, 1, &err) == 0, "create_all: %s",
                      err.text);
        t = dynamo_table(d, ctx, "events", &err);
        ck_assert_int_eq(dynamo_describe_table(dynamo_table_client(t),
                                               dynamo_table_full_name(t), &desc, &err),
                         0);
        ck_assert_int_eq(json_array_size(json_object_get(desc, "GlobalSecondaryIndexes")),
                         2);
        ck_assert_int_eq(json_array_size(json_object_get(desc, "LocalSecondaryIndexes")),
                         1);
        ck_assert_str_eq(
            json_string_value(json_object_get(
                json_object_get(desc, "StreamSpecification"), "StreamViewType")),
            "NEW_AND_OLD_IMAGES");
        json_decref(desc);
        ck_assert_msg(dynamo_check_tables(d, ctx, &diff, &err) == 0, "%s", err.text);
        ck_assert_msg(json_array_size(diff) == 0, "unexpected drift: %s",
                      json_string_value(json_array_get(diff, 0)));
        json_decref(diff);

        /* Behind the app's back: the stream turned off. */
        req = json_pack("{s:s, s:{s:b}}", "TableName", dynamo_table_full_name(t),
                        "StreamSpecification", "StreamEnabled", 0);
        resp = dynamo_call(dynamo_table_client(t), "UpdateTable", req, &err);
        ck_assert_msg(resp != NULL, "UpdateTable: %s", err.text);
        json_decref(resp);
        json_decref(req);
        ck_assert_int_eq(dynamo_wait_table(dynamo_table_client(t),
                                           dynamo_table_full_name(t), 1, 30000, &err),
                         0);
        ck_assert_int_eq(dynamo_check_tables(d, ctx, &diff, &err), 0);
        ck_assert_int_eq(json_array_size(diff), 1);
        ck_assert_msg(strstr(json_string_value(json_array_get(diff, 0)), "stream") !=
                          NULL,
                      "%s", json_string_value(json_array_get(diff, 0)));
        json_decref(diff);

        /* Deletion protection turned on (DynamoDB Local reports it; SSE,
         * which it ignores, is not compared there). */
        set_deletion_protection(t, 1);
        ck_assert_int_eq(dynamo_check_tables(d, ctx, &diff, &err), 0);
        ck_assert_int_eq(json_array_size(diff), 2);
        ck_assert_str_eq(
            json_string_value(json_array_get(diff, 1)),
            "events: deletion protection: false declared, live table has it on");
        json_decref(diff);
        set_deletion_protection(t, 0);
        ck_assert_int_eq(dynamo_destroy_all(d, ctx, 1, &err), 0);
        ran = 1;
    }
    ck_assert_int_eq(ran, 1);
    web_app_free(app);
    dynamo_free(d);
    unlink(path);
}
END_TEST

/* create_all refuses a live table whose keys differ from the declaration. */
START_TEST(test_extension_refuses_other_keys)
{
    char path[64], prefix[64], name[128];
    struct dynamo *d;
    struct web_app *app;
    struct dynamo_err err = {0};
    struct dynamo_client *c = new_client();
    int ran = 0;

    snprintf(prefix, sizeof(prefix), "it-keys-%ld-", (long)getpid());
    snprintf(name, sizeof(name), "%susers", prefix);
    make_table(c, name); /* hash key "id" */
    temp_file("[table users]\nhash_key = username S\n", path);
    app = new_app(path, prefix, &d);
    WEB_WITH_APP_CONTEXT(app, ctx)
    {
        json_t *diff = NULL;

        ck_assert_int_eq(dynamo_create_all(d, ctx, 1, &err), -1);
        ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);
        ck_assert_msg(strstr(err.text, "hash key") != NULL, "%s", err.text);
        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(dynamo_check_tables(d, ctx, &diff, &err), 0);
        ck_assert_int_eq(json_array_size(diff), 1);
        json_decref(diff);
        ran = 1;
    }
    ck_assert_int_eq(ran, 1);
    ck_assert_int_eq(dynamo_delete_table(c, name, &err), 0);
    dynamo_client_free(c);
    web_app_free(app);
    dynamo_free(d);
    unlink(path);
}
END_TEST

/* Configuration errors refuse to start, as flask-dynamo's. */
START_TEST(test_extension_config_errors)
{
    struct web_err werr = {0};
    struct dynamo_err err = {0};
    struct web_app *app = web_app_new("config", &werr);

    unsetenv("DYNAMO_LOCAL_PORT");
    ck_assert_ptr_null(dynamo_new(app, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);
    ck_assert_msg(strstr(err.text, "DYNAMO_LOCAL_PORT") != NULL, "%s", err.text);
    web_app_free(app);

    setenv("DYNAMO_LOCAL_PORT", "8000", 1);
    unsetenv("AWS_SECRET_ACCESS_KEY");
    app = web_app_new("config", &werr);
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(dynamo_new(app, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);
    ck_assert_msg(strstr(err.text, "AWS_SECRET_ACCESS_KEY") != NULL, "%s", err.text);
    web_app_free(app);

    setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
    app = web_app_new("config", &werr);
    web_config_set(app, "DYNAMO_TABLES_FILE",
                   "tests/data/tables/bad/missing_equals/input", &werr);
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(dynamo_new(app, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_TABLES_FILE);
    ck_assert_int_gt(err.line, 0);
    web_app_free(app);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("integration");
    TCase *client = tcase_create("client"), *ext = tcase_create("extension");

    tcase_add_checked_fixture(client, NULL, tu_leak_check);
    tcase_set_timeout(client, 60);
    tcase_add_checked_fixture(ext, NULL, tu_leak_check);
    tcase_set_timeout(ext, 60);
    tcase_add_test(client, test_client_item_round_trip);
    tcase_add_test(client, test_client_errors);
    tcase_add_test(client, test_client_update_delete_and_pages);
    tcase_add_test(client, test_client_batches);
    tcase_add_test(client, test_client_nul_batches_and_pages);
    tcase_add_test(client, test_client_transactions);
    tcase_add_test(client, test_client_segments_and_ttl);
    tcase_add_test(client, test_client_unreachable);
    tcase_add_test(ext, test_extension_create_all);
    tcase_add_test(ext, test_extension_full_table_and_drift);
    tcase_add_test(ext, test_extension_refuses_other_keys);
    tcase_add_test(ext, test_extension_config_errors);
    suite_add_tcase(s, client);
    suite_add_tcase(s, ext);
    return tu_run(s);
}
