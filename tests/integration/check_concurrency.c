/*
 * check_concurrency.c: no update is lost when threads write one item at once
 * (issue 6, "Memory and concurrency"), against DynamoDB Local.
 *
 * Each thread has its own client, as each worker of an app has its own
 * connection.  Two patterns:
 *   - atomic counters: UpdateItem "ADD #c :one" with ReturnValues
 *     UPDATED_NEW; the final value is exactly THREADS * ROUNDS, and the
 *     values handed back are 1 .. THREADS * ROUNDS, each exactly once;
 *   - optimistic locking: read the item (ConsistentRead), then PutItem it
 *     with "#v = :old" and the version and a running total both one higher,
 *     retrying on DYNAMO_ERR_CONDITION_FAILED; every version 1 .. N is
 *     written exactly once and the total equals the version.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynamo.h"
#include "testutil.h"

#define THREADS 8
#define ROUNDS 40
#define TOTAL (THREADS * ROUNDS)

static char endpoint[256];

static struct dynamo_client *
new_client(struct dynamo_err *err)
{
    struct dynamo_client_config cfg = {0};

    cfg.endpoint = endpoint;
    cfg.access_key_id = "AKIDCONCURRENCY";
    cfg.secret_access_key = "concurrency-secret";
    return dynamo_client_new(&cfg, err);
}

/* A table NAME with a string hash key "id", ready. */
static void
make_table(const char *name)
{
    struct dynamo_err err = {0};
    struct dynamo_client *c;
    json_t *req = json_pack("{s:s, s:[{s:s, s:s}], s:[{s:s, s:s}], s:s}", "TableName",
                            name, "AttributeDefinitions", "AttributeName", "id",
                            "AttributeType", "S", "KeySchema", "AttributeName", "id",
                            "KeyType", "HASH", "BillingMode", "PAY_PER_REQUEST");

    snprintf(endpoint, sizeof(endpoint), "http://%s:%s", tu_env("DYNAMO_LOCAL_HOST"),
             tu_env("DYNAMO_LOCAL_PORT"));
    c = new_client(&err);
    ck_assert_msg(c != NULL, "dynamo_client_new: %s", err.text);
    ck_assert_msg(dynamo_create_table(c, req, &err) == 0, "CreateTable: %s", err.text);
    ck_assert_msg(dynamo_wait_table(c, name, 1, 30000, &err) == 0, "wait: %s", err.text);
    json_decref(req);
    dynamo_client_free(c);
}

static void
drop_table(const char *name)
{
    struct dynamo_err err = {0};
    struct dynamo_client *c = new_client(&err);

    ck_assert_ptr_nonnull(c);
    ck_assert_msg(dynamo_delete_table(c, name, &err) == 0, "DeleteTable: %s", err.text);
    dynamo_client_free(c);
}

/* The integer in the N attribute NAME of ITEM, or -1. */
static long
number_attr(const json_t *item, const char *name)
{
    const char *n = json_string_value(json_object_get(json_object_get(item, name), "N"));

    return n != NULL ? strtol(n, NULL, 10) : -1;
}

/* One worker thread: its table, what it saw, and its first error. */
struct worker {
    pthread_t thread;
    const char *table;
    long seen[ROUNDS]; /* values its writes produced */
    int conflicts;     /* optimistic writes that lost a race and retried */
    char error[300];   /* "" when every call worked */
};

static void
note_error(struct worker *w, const char *what, const struct dynamo_err *err)
{
    if (w->error[0] == '\0')
        snprintf(w->error, sizeof(w->error), "%s: %s", what, err->text);
}

static void *
add_worker(void *arg)
{
    struct worker *w = arg;
    struct dynamo_err err = {0};
    struct dynamo_client *c = new_client(&err);
    json_t *key = json_pack("{s:{s:s}}", "id", "S", "counter");
    json_t *names = json_pack("{s:s}", "#c", "counter");
    json_t *values = json_pack("{s:{s:s}}", ":one", "N", "1");
    struct dynamo_item_opts opts = {
        .names = names, .values = values, .return_values = "UPDATED_NEW"};

    if (c == NULL)
        note_error(w, "dynamo_client_new", &err);
    for (int i = 0; c != NULL && i < ROUNDS && w->error[0] == '\0'; i++) {
        json_t *attrs = NULL;

        if (dynamo_update_item(c, w->table, key, "ADD #c :one", &opts, &attrs, &err) != 0)
            note_error(w, "UpdateItem", &err);
        w->seen[i] = number_attr(attrs, "counter");
        json_decref(attrs);
    }
    json_decref(values);
    json_decref(names);
    json_decref(key);
    dynamo_client_free(c);
    return NULL;
}

/* Reads the item; *VERSION and *TOTAL get its attributes (0 when absent). */
static int
read_versioned(struct dynamo_client *c, const char *table, const json_t *key,
               long *version, long *total, struct dynamo_err *err)
{
    struct dynamo_item_opts read = {.consistent_read = 1};
    json_t *item = NULL;

    if (dynamo_get_item(c, table, key, &read, &item, err) != 0)
        return -1;
    *version = item != NULL ? number_attr(item, "v") : 0;
    *total = item != NULL ? number_attr(item, "total") : 0;
    json_decref(item);
    return 0;
}

/* Writes version OLD + 1 (and TOTAL + 1) if the item is still at OLD.
 * Returns 0, or -1 with ERR (DYNAMO_ERR_CONDITION_FAILED: someone was first). */
static int
write_versioned(struct dynamo_client *c, const char *table, long old, long total,
                struct dynamo_err *err)
{
    char v[24], t[24], o[24];
    json_t *names = json_pack("{s:s}", "#v", "v");
    json_t *values, *item;
    struct dynamo_item_opts opts = {.names = names};
    int rc;

    snprintf(v, sizeof(v), "%ld", old + 1);
    snprintf(t, sizeof(t), "%ld", total + 1);
    snprintf(o, sizeof(o), "%ld", old);
    item = json_pack("{s:{s:s}, s:{s:s}, s:{s:s}}", "id", "S", "versioned", "v", "N", v,
                     "total", "N", t);
    values = json_pack("{s:{s:s}}", ":old", "N", o);
    if (old == 0) {
        opts.condition = "attribute_not_exists(#v)";
    } else {
        opts.condition = "#v = :old";
        opts.values = values;
    }
    rc = dynamo_put_item(c, table, item, &opts, NULL, err);
    json_decref(values);
    json_decref(item);
    json_decref(names);
    return rc;
}

static void *
versioned_worker(void *arg)
{
    struct worker *w = arg;
    struct dynamo_err err = {0};
    struct dynamo_client *c = new_client(&err);
    json_t *key = json_pack("{s:{s:s}}", "id", "S", "versioned");

    if (c == NULL)
        note_error(w, "dynamo_client_new", &err);
    for (int i = 0; c != NULL && i < ROUNDS && w->error[0] == '\0';) {
        long version, total;

        memset(&err, 0, sizeof(err));
        if (read_versioned(c, w->table, key, &version, &total, &err) != 0) {
            note_error(w, "GetItem", &err);
        } else if (write_versioned(c, w->table, version, total, &err) == 0) {
            w->seen[i++] = version + 1;
        } else if (err.code == DYNAMO_ERR_CONDITION_FAILED) {
            w->conflicts++; /* another thread wrote first: read again */
        } else {
            note_error(w, "PutItem", &err);
        }
    }
    json_decref(key);
    dynamo_client_free(c);
    return NULL;
}

/* Runs THREADS copies of FN on TABLE, then checks that each thread worked
 * and that the values they produced are 1 .. TOTAL, each exactly once.
 * Returns the conflicts counted. */
static int
run_workers(void *(*fn)(void *), const char *table)
{
    static struct worker workers[THREADS];
    static int hits[TOTAL + 1];
    int conflicts = 0;

    memset(workers, 0, sizeof(workers));
    memset(hits, 0, sizeof(hits));
    for (int i = 0; i < THREADS; i++) {
        workers[i].table = table;
        ck_assert_int_eq(pthread_create(&workers[i].thread, NULL, fn, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_join(workers[i].thread, NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_msg(workers[i].error[0] == '\0', "thread %d: %s", i, workers[i].error);
        conflicts += workers[i].conflicts;
        for (int r = 0; r < ROUNDS; r++) {
            long v = workers[i].seen[r];

            ck_assert_msg(v >= 1 && v <= TOTAL, "thread %d round %d: value %ld", i, r, v);
            hits[v]++;
        }
    }
    for (int v = 1; v <= TOTAL; v++)
        ck_assert_msg(hits[v] == 1, "value %d produced %d times", v, hits[v]);
    return conflicts;
}

/* The item KEY_ID of TABLE, read consistently (new). */
static json_t *
final_item(const char *table, const char *key_id)
{
    struct dynamo_item_opts read = {.consistent_read = 1};
    struct dynamo_err err = {0};
    struct dynamo_client *c = new_client(&err);
    json_t *key = json_pack("{s:{s:s}}", "id", "S", key_id), *item = NULL;

    ck_assert_ptr_nonnull(c);
    ck_assert_msg(dynamo_get_item(c, table, key, &read, &item, &err) == 0, "%s",
                  err.text);
    ck_assert_ptr_nonnull(item);
    json_decref(key);
    dynamo_client_free(c);
    return item;
}

START_TEST(test_atomic_counter)
{
    char table[64];
    json_t *item;

    tu_unique("it-counter", table, sizeof(table));
    make_table(table);
    run_workers(add_worker, table);
    item = final_item(table, "counter");
    ck_assert_int_eq(number_attr(item, "counter"), TOTAL);
    json_decref(item);
    drop_table(table);
}
END_TEST

START_TEST(test_optimistic_locking)
{
    char table[64];
    json_t *item;
    int conflicts;

    tu_unique("it-versioned", table, sizeof(table));
    make_table(table);
    conflicts = run_workers(versioned_worker, table);
    item = final_item(table, "versioned");
    ck_assert_int_eq(number_attr(item, "v"), TOTAL);
    ck_assert_int_eq(number_attr(item, "total"), TOTAL);
    json_decref(item);
    /* The races happened: otherwise this proved nothing about conditions. */
    ck_assert_msg(conflicts > 0, "no write ever lost a race: threads did not overlap");
    fprintf(stderr, "optimistic locking: %d writes, %d conflicts retried\n", TOTAL,
            conflicts);
    drop_table(table);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("concurrency");
    TCase *tc = tcase_create("threads");

    tcase_add_checked_fixture(tc, NULL, tu_leak_check);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_atomic_counter);
    tcase_add_test(tc, test_optimistic_locking);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
