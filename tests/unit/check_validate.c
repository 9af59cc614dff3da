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
    json_t *item = json_loads(text, 0, &jerr);
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
    tcase_add_loop_test(tc, test_invalid, 0, sizeof(invalid) / sizeof(invalid[0]));
    tcase_add_test(tc, test_depth_and_size);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
