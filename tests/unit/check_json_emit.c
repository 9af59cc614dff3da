/*
 * check_json_emit.c: dynamop_json_dump writes request bodies as jansson's
 * json_dumps(JSON_COMPACT) would, refuses what it cannot write, and cleans
 * up after a failed allocation; dynamop_json_deep_copy copies request
 * values with their keys whole.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_convert.h"
#include "ext/client/internal.h"
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
        util_free(b.data);
        return NULL;
    }
    ck_assert_uint_lt(b.len, sizeof(text));
    memcpy(text, b.data, b.len);
    text[b.len] = '\0';
    util_free(b.data);
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

/* U+0000 in keys and values, nested, as an item with such names goes in a
 * request: written by length, as jansson writes it. */
START_TEST(test_nul)
{
    struct dynamo_err err = {0};
    json_t *m = json_object(), *v = json_object();
    char *want;

    json_object_setn_new(m, "k\0", 2, json_pack("{s:[o,s]}", "SS", json_stringn("\0b", 2), "b"));
    json_object_setn_new(m, "k", 1, json_pack("{s:o}", "S", json_stringn("x\0", 2)));
    json_object_set_new(v, "Item", m);
    want = json_dumps(v, JSON_COMPACT);
    ck_assert_str_eq(want, "{\"Item\":{\"k\\u0000\":{\"SS\":[\"\\u0000b\",\"b\"]},"
                           "\"k\":{\"S\":\"x\\u0000\"}}}");
    ck_assert_str_eq(dump(v, 1 << 20, &err), want);
    free(want);
    json_decref(v);
}
END_TEST

/* dynamop_json_deep_copy keeps keys whole (json_deep_copy cuts them at a
 * NUL), copies every level, and refuses a cycle. */
START_TEST(test_deep_copy)
{
    struct dynamo_err err = {0};
    json_t *v = json_object(), *inner = json_array(), *c, *deep = json_array(), *x;
    void *it;

    json_object_setn_new(v, "a\0b", 3, json_pack("{s:o}", "S", json_stringn("x\0y", 3)));
    json_object_setn_new(v, "a", 1, inner);
    json_array_append_new(inner, json_pack("{s:b, s:n, s:i, s:f}", "t", 1, "z", "i", 7,
                                           "r", 1.5));
    c = dynamop_json_deep_copy(v, &err);
    ck_assert_msg(c != NULL, "%s", err.text);
    ck_assert(tu_json_equal(c, v));
    it = json_object_iter(c);
    ck_assert_uint_eq(json_object_iter_key_len(it), 3);
    ck_assert_ptr_ne(json_object_get(c, "a"), inner); /* a copy, not shared */
    json_decref(c);
    json_decref(v);

    for (int i = 0; i < 200; i++) {
        x = json_array();
        json_array_append_new(x, deep);
        deep = x;
    }
    ck_assert_ptr_null(dynamop_json_deep_copy(deep, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.text, "nested deeper than 128"));
    json_decref(deep);
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(dynamop_json_deep_copy(NULL, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
}
END_TEST

/* Allocation N of a deep copy fails, for every N: NOMEM, nothing leaked. */
START_TEST(test_deep_copy_chaos)
{
    json_t *v = json_loads(same[6], 0, NULL), *c;
    struct dynamo_err err;
    long n, base;

    ck_assert_ptr_nonnull(v);
    json_object_setn_new(v, "k\0", 2, json_stringn("\0", 1));
    base = tu_json_live();
    for (n = 1;; n++) {
        memset(&err, 0, sizeof(err));
        util_alloc_fail_at(n);
        c = dynamop_json_deep_copy(v, &err);
        util_alloc_fail_at(0);
        if (c != NULL)
            break;
        ck_assert_int_eq(err.code, DYNAMO_ERR_NOMEM);
        ck_assert_int_eq(tu_json_live(), base);
        ck_assert_int_lt(n, 1000);
    }
    ck_assert_int_gt(n, 10);
    ck_assert(tu_json_equal(c, v));
    json_decref(c);
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

/* Each object of same[] written member by member (strings as strings)
 * must give what dumping it gives. */
START_TEST(test_members)
{
    struct dynamo_err err = {0};
    json_t *v = json_loads(same[_i], 0, NULL);
    struct dynamop_buf b = {.max = 1 << 20};
    struct dynamop_json_obj obj = {&b, &err, 0, 0};
    const char *key, *want;
    json_t *m;

    ck_assert_ptr_nonnull(v);
    if (!json_is_object(v)) {
        json_decref(v);
        return;
    }
    json_object_foreach(v, key, m)
    {
        if (json_is_string(m))
            dynamop_json_obj_string(&obj, key, json_string_value(m));
        else
            dynamop_json_obj_value(&obj, key, m);
    }
    ck_assert_int_eq(dynamop_json_obj_end(&obj), 0);
    want = dump(v, 1 << 20, &err);
    ck_assert_uint_eq(b.len, strlen(want));
    ck_assert(memcmp(b.data, want, b.len) == 0);
    util_free(b.data);
    json_decref(v);
}
END_TEST

/* The first failure sticks: later members write nothing, the end fails. */
START_TEST(test_members_refused)
{
    struct dynamo_err err = {0};
    struct dynamop_buf b = {.max = 16};
    struct dynamop_json_obj obj = {&b, &err, 0, 0};

    dynamop_json_obj_string(&obj, "TableName", "a-table-name-too-long");
    ck_assert_int_eq(obj.failed, 1);
    dynamop_json_obj_value(&obj, "ConsistentRead", json_true());
    ck_assert_int_eq(dynamop_json_obj_end(&obj), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.text, "larger than 16 bytes"));
    util_free(b.data);
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
        util_alloc_fail_at(n);
        rc = dynamop_json_dump(v, &b, &err);
        util_alloc_fail_at(0);
        util_free(b.data);
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

    tu_json_count_allocs(); /* jansson's allocations fail in the chaos cases too */
    tcase_add_checked_fixture(tc, NULL, tu_leak_check);
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_same_as_jansson, 0, sizeof(same) / sizeof(same[0]));
    tcase_add_test(tc, test_escapes);
    tcase_add_test(tc, test_nul);
    tcase_add_test(tc, test_deep_copy);
    tcase_add_test(tc, test_deep_copy_chaos);
    tcase_add_test(tc, test_refused);
    tcase_add_loop_test(tc, test_members, 0, sizeof(same) / sizeof(same[0]));
    tcase_add_test(tc, test_members_refused);
    tcase_add_test(tc, test_chaos);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
