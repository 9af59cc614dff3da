/*
 * check_validate.c: dynamo_item_validate refuses what DynamoDB would, with
 * the attribute's path, before anything is sent.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynamo_client.h"
#include "testutil.h"

/* Validates the typed item in TEXT; returns the error text ("" when valid). */
static const char *
verdict(const char *text)
{
    static struct dynamo_err err;
    json_error_t jerr;
    json_t *item = json_loads(text, JSON_ALLOW_NUL, &jerr);
    int rc;

    ck_assert_msg(item != NULL, "bad test JSON %s: %s", text, jerr.text);
    memset(&err, 0, sizeof(err));
    rc = dynamo_item_validate(item, &err);
    json_decref(item);
    ck_assert_int_eq(rc == 0, err.code == DYNAMO_OK);
    if (rc != 0)
        ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    return err.text;
}

START_TEST(test_valid)
{
    ck_assert_str_eq(verdict("{\"id\":{\"S\":\"a\"},\"n\":{\"N\":\"-1.5E+10\"},"
                             "\"b\":{\"B\":\"AAEC\"},\"ok\":{\"BOOL\":true},"
                             "\"z\":{\"NULL\":true},\"l\":{\"L\":[{\"S\":\"x\"},"
                             "{\"M\":{\"k\":{\"N\":\"0\"}}}]},\"ss\":{\"SS\":[\"a\",\"b\"]},"
                             "\"ns\":{\"NS\":[\"1\",\"2\"]},\"bs\":{\"BS\":[\"AA==\"]}}"),
                     "");
    /* U+0000 is a character like any other; set members differ by length. */
    ck_assert_str_eq(verdict("{\"s\":{\"S\":\"\\u0000\"},\"ss\":{\"SS\":[\"a\\u0000b\","
                             "\"a\\u0000c\",\"a\",\"a\\u0000\",\"\\u0000\"]}}"),
                     "");
}
END_TEST

/* Names are 1 to 65535 bytes of anything, U+0000 included, at any depth. */
START_TEST(test_names)
{
    struct dynamo_err err = {0};
    json_t *item = json_object(), *m = json_object();
    char *name = malloc(65536);

    ck_assert_ptr_nonnull(name);
    memset(name, 'n', 65536);
    name[1] = '\0';
    json_object_setn_new(item, "\0", 1, json_pack("{s:s}", "S", "x"));
    json_object_setn_new(item, name, 65535, json_pack("{s:b}", "BOOL", 1));
    json_object_setn_new(m, "k\0", 2, json_pack("{s:[s,s%]}", "SS", "a", "a\0", (size_t)2));
    json_object_setn_new(item, "m\0", 2, json_pack("{s:o}", "M", m));
    ck_assert_msg(dynamo_item_validate(item, &err) == 0, "%s", err.text);
    /* A duplicate deep down is named with the NUL escaped. */
    json_array_append_new(json_object_get(json_object_getn(m, "k\0", 2), "SS"),
                          json_stringn("a\0", 2));
    ck_assert_int_eq(dynamo_item_validate(item, &err), -1);
    ck_assert_str_eq(err.text,
                     "attribute 'm\\x00.k\\x00': a set cannot hold the same value twice");
    json_decref(item);

    item = json_object();
    json_object_setn_new(item, name, 65536, json_pack("{s:b}", "BOOL", 1));
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(dynamo_item_validate(item, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.text, "attribute name longer than 65535 bytes"));
    json_decref(item);
    free(name);
}
END_TEST

/* Each invalid item and a fragment its message must contain. */
static const struct {
    const char *item;
    const char *message;
} invalid[] = {
    {"{\"a\":{\"X\":\"1\"}}", "unknown type tag"},
    {"{\"a\":{\"S\":1}}", "'S' needs a string"},
    {"{\"a\":{\"S\":\"x\",\"N\":\"1\"}}", "one type tag"},
    {"{\"a\":{\"N\":\"1x\"}}", "'N' needs a number"},
    {"{\"a\":{\"N\":\"123456789012345678901234567890123456789\"}}", "38 significant"},
    {"{\"a\":{\"N\":\"1E+126\"}}", "larger than"},
    {"{\"a\":{\"N\":\"1E-131\"}}", "smaller than"},
    {"{\"a\":{\"SS\":[]}}", "set cannot be empty"},
    {"{\"a\":{\"NS\":[\"1\",\"1\"]}}", "same value twice"},
    {"{\"a\":{\"SS\":[\"a\\u0000b\",\"a\\u0000c\",\"a\\u0000b\"]}}", "same value twice"},
    {"{\"a\":{\"BS\":[\"!!\"]}}", "not base64"},
    {"{\"a\":{\"B\":\"abc\"}}", "not base64"},
    {"{\"\":{\"S\":\"x\"}}", "name is empty"},
    {"{\"a\":{\"M\":{\"b\":{\"L\":[{\"N\":\"1\"},{\"SS\":[]}]}}}}", "a.b[1]"},
};

START_TEST(test_invalid)
{
    const char *text = verdict(invalid[_i].item);

    ck_assert_msg(strstr(text, invalid[_i].message) != NULL, "%s: got '%s'",
                  invalid[_i].item, text);
}
END_TEST

START_TEST(test_depth_and_size)
{
    char *deep = malloc(64 * 12 + 64), *big;
    size_t n = 0;

    for (int i = 0; i < 33; i++)
        n += (size_t)sprintf(deep + n, "{\"L\":[");
    n += (size_t)sprintf(deep + n, "{\"S\":\"x\"}");
    for (int i = 0; i < 33; i++)
        n += (size_t)sprintf(deep + n, "]}");
    big = malloc(n + 16);
    sprintf(big, "{\"a\":%s}", deep);
    ck_assert_ptr_nonnull(strstr(verdict(big), "deeper than 32"));
    free(big);
    free(deep);

    big = malloc(420 * 1024);
    memset(big, 'x', 420 * 1024);
    memcpy(big, "{\"a\":{\"S\":\"", 11);
    memcpy(big + 420 * 1024 - 5, "\"}}", 4);
    ck_assert_ptr_nonnull(strstr(verdict(big), "larger than 400 KB"));
    free(big);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("items");

    tcase_add_checked_fixture(tc, NULL, tu_leak_check);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_valid);
    tcase_add_test(tc, test_names);
    tcase_add_loop_test(tc, test_invalid, 0, sizeof(invalid) / sizeof(invalid[0]));
    tcase_add_test(tc, test_depth_and_size);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
