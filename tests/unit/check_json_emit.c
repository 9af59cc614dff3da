/*
 * check_json_emit.c: dynamop_json_dump writes request bodies as jansson's
 * json_dumps(JSON_COMPACT) would, refuses what it cannot write, and cleans
 * up after a failed allocation.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ext/convert.h"
#include "../../ext/internal.h"
#include "testutil.h"

/* V dumped into a fresh buffer capped at MAX; the text (NUL-terminated, a
 * static copy) or NULL with *ERR filled. */
static const char *
dump(const json_t *v, size_t max, struct dynamo_err *err)
{
    static char text[4096];
    struct dynamop_buf b = {.max = max};
    int rc = dynamop_json_dump(v, &b, err);

    if (rc != 0) {
        dynamop_free(b.data);
        return NULL;
    }
    ck_assert_uint_lt(b.len, sizeof(text));
    memcpy(text, b.data, b.len);
    text[b.len] = '\0';
    dynamop_free(b.data);
    return text;
}

/* The text json_dumps(JSON_COMPACT) gives for TEXT, and ours, must match. */
static const char *const same[] = {
    "{}",
    "[]",
    "{\"TableName\":\"users\",\"Key\":{\"username\":{\"S\":\"alice\"}}}",
    "{\"a\":[1,-2,0,9223372036854775807,-9223372036854775808],\"b\":[true,false,null]}",
    "{\"s\":\"quote \\\" back \\\\ slash / tab \\t nl \\n cr \\r bs \\b ff \\f\"}",
    "{\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"k\\\"ey\":\"v\"}",
    "{\"nested\":{\"L\":[{\"M\":{\"x\":{\"N\":\"1\"}}},[],{}]},\"z\":[[[]]]}",
    "{\"real\":1.5,\"whole\":2.0,\"tiny\":1e-300,\"order\":{\"b\":1,\"a\":2}}",
};

START_TEST(test_same_as_jansson)
{
    struct dynamo_err err = {0};
    json_error_t jerr;
    json_t *v = json_loads(same[_i], 0, &jerr);
    char *want;
    const char *got;

    ck_assert_msg(v != NULL, "bad test JSON %s: %s", same[_i], jerr.text);
    want = json_dumps(v, JSON_COMPACT);
    got = dump(v, 1 << 20, &err);
    ck_assert_msg(got != NULL, "%s: %s", same[_i], err.text);
    ck_assert_str_eq(got, want);
    free(want);
    json_decref(v);
}
END_TEST

START_TEST(test_escapes)
{
    struct dynamo_err err = {0};
    json_t *v = json_pack("{s:s%}", "c", "a\0b\x1f", (size_t)4);

    /* Control bytes other than the short forms as \u00xx (lowercase, as
     * convert_emit.c writes them); a NUL inside a string survives. */
    ck_assert_str_eq(dump(v, 1 << 20, &err), "{\"c\":\"a\\u0000b\\u001f\"}");
    json_decref(v);
}
END_TEST

START_TEST(test_refused)
{
    struct dynamo_err err = {0};
    json_t *deep = json_array(), *v;
    int i;

    /* 200 nested arrays: past the cap, as a cycle would be. */
    for (i = 0; i < 200; i++) {
        v = json_array();
        json_array_append_new(v, deep);
        deep = v;
    }
    ck_assert_ptr_null(dump(deep, 1 << 20, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.text, "nested deeper than 128"));
    json_decref(deep);

    memset(&err, 0, sizeof(err));
    v = json_pack("{s:s}", "k", "0123456789012345678901234567890123456789");
    ck_assert_ptr_null(dump(v, 32, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.text, "larger than 32 bytes"));
    json_decref(v);

    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(dump(NULL, 32, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
}
END_TEST

/* Allocation N fails, for every N: a clean NOMEM each time, no leak. */
START_TEST(test_chaos)
{
    json_t *v = json_loads(same[3], 0, NULL);
    struct dynamo_err err;
    struct dynamop_buf b;
    long n;
    int rc;

    ck_assert_ptr_nonnull(v);
    for (n = 1;; n++) {
        memset(&err, 0, sizeof(err));
        b = (struct dynamop_buf){.max = 1 << 20};
        b.cap = 0;
        dynamop_alloc_fail_at(n);
        rc = dynamop_json_dump(v, &b, &err);
        dynamop_alloc_fail_at(0);
        dynamop_free(b.data);
        if (rc == 0)
            break;
        ck_assert_int_eq(err.code, DYNAMO_ERR_NOMEM);
        ck_assert_int_lt(n, 100);
    }
    ck_assert_int_gt(n, 1);
    json_decref(v);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("json_emit");
    TCase *tc = tcase_create("dump");

    tcase_add_checked_fixture(tc, NULL, tu_leak_check);
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_same_as_jansson, 0, sizeof(same) / sizeof(same[0]));
    tcase_add_test(tc, test_escapes);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_chaos);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
