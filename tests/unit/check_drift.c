/*
 * check_drift.c: dynamop_table_drift, the declared table against
 * DescribeTable / DescribeTimeToLive answers.  Pure: no server.  Each case
 * starts from a description that matches the declaration (no differences),
 * changes one thing the way DynamoDB would show it, and expects exactly the
 * one message that names it.  Answers missing fields, or holding the wrong
 * types, must give differences, never a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

/* ext/internal.h, not core/internal.h (both directories are on the include
 * path, core first). */
#include "ext/internal.h"
#include "extension.h"
#include "tables.h"
#include "testutil.h"

static const char decl_text[] = "[table events]\n"
                                "hash_key            = id S\n"
                                "range_key           = ts N\n"
                                "billing_mode        = PROVISIONED\n"
                                "read_capacity       = 5\n"
                                "write_capacity      = 3\n"
                                "stream              = NEW_IMAGE\n"
                                "ttl_attribute       = expires\n"
                                "sse                 = true\n"
                                "deletion_protection = true\n"
                                "\n"
                                "[index events.by_kind]\n"
                                "hash_key   = kind S\n"
                                "projection = KEYS_ONLY\n"
                                "read_capacity  = 1\n"
                                "write_capacity = 1\n";

/* What DynamoDB describes for the table above, as it is on AWS. */
static const char desc_text[] =
    "{\"TableName\": \"events\","
    " \"TableArn\": \"arn:aws:dynamodb:eu-west-1:123456789012:table/events\","
    " \"AttributeDefinitions\": [{\"AttributeName\": \"id\", \"AttributeType\": \"S\"},"
    "  {\"AttributeName\": \"ts\", \"AttributeType\": \"N\"},"
    "  {\"AttributeName\": \"kind\", \"AttributeType\": \"S\"}],"
    " \"KeySchema\": [{\"AttributeName\": \"id\", \"KeyType\": \"HASH\"},"
    "  {\"AttributeName\": \"ts\", \"KeyType\": \"RANGE\"}],"
    " \"ProvisionedThroughput\": {\"ReadCapacityUnits\": 5, \"WriteCapacityUnits\": 3},"
    " \"GlobalSecondaryIndexes\": [{\"IndexName\": \"by_kind\","
    "  \"KeySchema\": [{\"AttributeName\": \"kind\", \"KeyType\": \"HASH\"}],"
    "  \"Projection\": {\"ProjectionType\": \"KEYS_ONLY\"}}],"
    " \"StreamSpecification\": {\"StreamEnabled\": true, \"StreamViewType\": "
    "\"NEW_IMAGE\"},"
    " \"SSEDescription\": {\"Status\": \"ENABLED\", \"SSEType\": \"KMS\"},"
    " \"DeletionProtectionEnabled\": true}";

static const char ttl_text[] =
    "{\"TimeToLiveStatus\": \"ENABLED\", \"AttributeName\": \"expires\"}";

static struct dynamop_tables *decls;
static json_t *desc, *ttl;

static json_t *
load(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);

    ck_assert_msg(v != NULL, "fixture: %s", e.text);
    return v;
}

static void
setup(void)
{
    struct dynamo_err err = {0};

    decls = dynamop_tables_parse(decl_text, sizeof(decl_text) - 1, "drift.conf", &err);
    ck_assert_msg(decls != NULL, "%s", err.text);
    desc = load(desc_text);
    ttl = load(ttl_text);
}

static void
teardown(void)
{
    dynamop_tables_free(decls);
    json_decref(desc);
    json_decref(ttl);
}

/* The differences between the declaration and DESC / TTL, as one string
 * (lines joined by '\n'), "" for none.  free() it. */
static char *
drift(void)
{
    json_t *out = json_array();
    size_t i, n = 0;
    json_t *line;
    char *text;

    ck_assert_int_eq(dynamop_table_drift(&decls->tables[0], desc, ttl, out), 0);
    json_array_foreach (out, i, line)
        n += strlen(json_string_value(line)) + 1;
    text = calloc(1, n + 1);
    ck_assert_ptr_nonnull(text);
    n = 0;
    json_array_foreach (out, i, line) {
        size_t len = strlen(json_string_value(line));

        if (n > 0)
            text[n++] = '\n';
        memcpy(text + n, json_string_value(line), len);
        n += len;
    }
    json_decref(out);
    return text;
}

#define ASSERT_DRIFT(want)                                                               \
    do {                                                                                 \
        char *got_ = drift();                                                            \
        ck_assert_msg(strcmp(got_, (want)) == 0, "drift:\n%s\nwanted:\n%s", got_,        \
                      (want));                                                           \
        free(got_);                                                                      \
    } while (0)

START_TEST(test_matching)
{
    ASSERT_DRIFT("");
}
END_TEST

START_TEST(test_key_type)
{
    json_t *def = json_array_get(json_object_get(desc, "AttributeDefinitions"), 1);

    json_object_set_new(def, "AttributeType", json_string("S"));
    ASSERT_DRIFT("events: range key: ts N declared, live table has ts S");
}
END_TEST

START_TEST(test_capacity)
{
    json_object_set_new(json_object_get(desc, "ProvisionedThroughput"),
                        "ReadCapacityUnits", json_integer(50));
    ASSERT_DRIFT("events: capacity: 5/3 declared, live table has 50/3");
}
END_TEST

START_TEST(test_billing_mode)
{
    json_object_set_new(desc, "BillingModeSummary",
                        json_pack("{s:s}", "BillingMode", "PAY_PER_REQUEST"));
    ASSERT_DRIFT(
        "events: billing mode: PROVISIONED declared, live table is PAY_PER_REQUEST");
}
END_TEST

START_TEST(test_index_missing_and_extra)
{
    json_t *ix = json_array_get(json_object_get(desc, "GlobalSecondaryIndexes"), 0);

    json_object_set_new(ix, "IndexName", json_string("by_other"));
    ASSERT_DRIFT("events: index by_kind: declared, missing from the live table\n"
                 "events: index by_other: on the live table, not declared");
}
END_TEST

START_TEST(test_index_projection)
{
    json_t *ix = json_array_get(json_object_get(desc, "GlobalSecondaryIndexes"), 0);

    json_object_set_new(json_object_get(ix, "Projection"), "ProjectionType",
                        json_string("ALL"));
    ASSERT_DRIFT(
        "events: index by_kind: projection: KEYS_ONLY declared, live index has ALL");
}
END_TEST

START_TEST(test_stream_off)
{
    json_object_del(desc, "StreamSpecification");
    ASSERT_DRIFT("events: stream: NEW_IMAGE declared, live table has none");
}
END_TEST

START_TEST(test_ttl_other_attribute)
{
    json_object_set_new(ttl, "AttributeName", json_string("gone_at"));
    ASSERT_DRIFT("events: ttl: expires declared, live table has gone_at");
}
END_TEST

START_TEST(test_sse_off)
{
    json_object_del(desc, "SSEDescription");
    ASSERT_DRIFT(
        "events: sse: true declared, live table uses DynamoDB's default (AWS owned) key");
}
END_TEST

/* sse = false against a KMS table; and, with sse left out, nothing. */
START_TEST(test_sse_false_declared)
{
    decls->tables[0].sse = 0;
    json_object_set_new(json_object_get(desc, "SSEDescription"), "Status",
                        json_string("UPDATING"));
    ASSERT_DRIFT("events: sse: false declared, live table uses a KMS key");
    decls->tables[0].sse = -1;
    ASSERT_DRIFT("");
}
END_TEST

/* DynamoDB Local ignores SSESpecification: never a difference there. */
START_TEST(test_sse_not_compared_on_local)
{
    json_object_del(desc, "SSEDescription");
    json_object_set_new(
        desc, "TableArn",
        json_string("arn:aws:dynamodb:ddblocal:000000000000:table/events"));
    ASSERT_DRIFT("");
}
END_TEST

START_TEST(test_deletion_protection)
{
    json_object_del(desc, "DeletionProtectionEnabled");
    ASSERT_DRIFT("events: deletion protection: true declared, live table has it off");
    decls->tables[0].deletion_protection = 0;
    ASSERT_DRIFT("");
    json_object_set_new(desc, "DeletionProtectionEnabled", json_true());
    ASSERT_DRIFT("events: deletion protection: false declared, live table has it on");
}
END_TEST

/* Fields missing or of the wrong type: differences, no crash. */
START_TEST(test_malformed_answers)
{
    json_t *def = json_array_get(json_object_get(desc, "AttributeDefinitions"), 0);
    json_t *key = json_array_get(json_object_get(desc, "KeySchema"), 1);
    json_t *ix = json_array_get(json_object_get(desc, "GlobalSecondaryIndexes"), 0);
    char *got;

    json_object_del(def, "AttributeName");
    json_object_set_new(key, "KeyType", json_integer(7));
    json_object_set_new(ix, "IndexName", json_null());
    json_object_set_new(desc, "SSEDescription", json_string("on"));
    got = drift();
    ck_assert_msg(strstr(got, "events: hash key: id S declared, live table has id ?") !=
                      NULL,
                  "%s", got);
    ck_assert_msg(strstr(got, "events: range key: ts N declared, live table has none") !=
                      NULL,
                  "%s", got);
    ck_assert_msg(
        strstr(got, "events: index by_kind: declared, missing from the live table"), "%s",
        got);
    ck_assert_msg(strstr(got, "events: sse: true declared") != NULL, "%s", got);
    free(got);

    /* Nothing at all where an answer should be. */
    json_decref(desc);
    desc = json_object();
    got = drift();
    ck_assert_msg(strstr(got, "events: hash key: id S declared, live table has none") !=
                      NULL,
                  "%s", got);
    free(got);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("drift");
    TCase *tc = tcase_create("drift");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_checked_fixture(tc, NULL, tu_leak_check);
    tcase_add_test(tc, test_matching);
    tcase_add_test(tc, test_key_type);
    tcase_add_test(tc, test_capacity);
    tcase_add_test(tc, test_billing_mode);
    tcase_add_test(tc, test_index_missing_and_extra);
    tcase_add_test(tc, test_index_projection);
    tcase_add_test(tc, test_stream_off);
    tcase_add_test(tc, test_ttl_other_attribute);
    tcase_add_test(tc, test_sse_off);
    tcase_add_test(tc, test_sse_false_declared);
    tcase_add_test(tc, test_sse_not_compared_on_local);
    tcase_add_test(tc, test_deletion_protection);
    tcase_add_test(tc, test_malformed_answers);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
