/*
 * check_e2e.c: the example app end to end: HTTP -> nginx -> FastCGI ->
 * build/app_skeleton -> DynamoDB Local, all started by scripts/run-tests.sh
 * (E2E_BASE_URL says where nginx listens).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "testutil.h"

static struct tu_http
request(const char *method, const char *path, const char *body)
{
    char url[1024];
    struct tu_http r;

    snprintf(url, sizeof(url), "%s%s", tu_env("E2E_BASE_URL"), path);
    ck_assert_msg(tu_http(method, url, body, body ? strlen(body) : 0, &r) == 0,
                  "%s %s: no answer", method, path);
    return r;
}

/* The response body as JSON (numbers as reals, to compare shapes). */
static json_t *
body_json(const struct tu_http *r)
{
    json_error_t jerr;
    json_t *j = json_loads(r->body, JSON_DECODE_INT_AS_REAL, &jerr);

    ck_assert_msg(j != NULL, "not JSON (%s): %s", jerr.text, r->body);
    return j;
}

static void
assert_json_error(const struct tu_http *r, long status)
{
    char ct[128];
    json_t *j;

    ck_assert_msg(r->status == status, "status %ld, wanted %ld: %s", r->status, status,
                  r->body);
    ck_assert_ptr_nonnull(tu_http_header(r, "Content-Type", ct, sizeof(ct)));
    ck_assert_ptr_nonnull(strstr(ct, "application/json"));
    j = body_json(r);
    ck_assert_msg(json_is_string(json_object_get(j, "error")), "no error: %s", r->body);
    json_decref(j);
}

START_TEST(test_put_get_round_trip)
{
    const char *doc = "{\"email\":\"a@example.com\",\"age\":42,\"tags\":[\"x\"],"
                      "\"score\":2.50,\"big\":12345678901234567890123456789012345678,"
                      "\"ok\":true,\"none\":null,\"nested\":{\"l\":[1,{\"u\":\"\\u00e9\"}]}}";
    struct tu_http r = request("PUT", "/users/alice", doc);
    json_t *sent, *got;

    ck_assert_msg(r.status == 201 || r.status == 200, "PUT: %ld %s", r.status, r.body);
    tu_http_free(&r);
    r = request("PUT", "/users/alice", doc);
    ck_assert_msg(r.status == 200, "second PUT replaces: %ld %s", r.status, r.body);
    tu_http_free(&r);

    r = request("GET", "/users/alice", NULL);
    ck_assert_msg(r.status == 200, "GET: %ld %s", r.status, r.body);
    /* Every digit survives the round trip (DynamoDB answers numbers in
     * plain decimal: 2.50 comes back as 2.5). */
    ck_assert_msg(strstr(r.body, "12345678901234567890123456789012345678") != NULL, "%s",
                  r.body);
    sent = json_loads(doc, JSON_DECODE_INT_AS_REAL, NULL);
    json_object_set_new(sent, "username", json_string("alice"));
    got = body_json(&r);
    ck_assert_msg(json_equal(sent, got), "GET returned %s", r.body);
    json_decref(sent);
    json_decref(got);
    tu_http_free(&r);
}
END_TEST

START_TEST(test_not_found_and_errors)
{
    struct tu_http r = request("GET", "/users/nobody-here", NULL);

    assert_json_error(&r, 404);
    tu_http_free(&r);
    r = request("PUT", "/users/bad", "{\"a\": ");
    assert_json_error(&r, 400);
    tu_http_free(&r);
    r = request("PUT", "/users/bad", "[1, 2]");
    assert_json_error(&r, 400);
    tu_http_free(&r);
    r = request("PUT", "/users/bad", "{\"username\": \"other\"}");
    assert_json_error(&r, 400);
    tu_http_free(&r);
    r = request("GET", "/no/such/route", NULL);
    assert_json_error(&r, 404);
    tu_http_free(&r);
    r = request("POST", "/users/alice", "{}");
    assert_json_error(&r, 405);
    tu_http_free(&r);
    r = request("PATCH", "/users", "{}");
    assert_json_error(&r, 405);
    tu_http_free(&r);
}
END_TEST

START_TEST(test_percent_decoded_key_and_groups)
{
    struct tu_http r = request("PUT", "/groups/team%20one", "{\"size\":3}");
    json_t *j;

    ck_assert_msg(r.status == 201 || r.status == 200, "%ld %s", r.status, r.body);
    tu_http_free(&r);
    r = request("GET", "/groups/team%20one", NULL);
    ck_assert_int_eq(r.status, 200);
    j = body_json(&r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "name")), "team one");
    json_decref(j);
    tu_http_free(&r);
}
END_TEST

START_TEST(test_delete)
{
    struct tu_http r = request("PUT", "/users/to-delete", "{\"a\":1}");

    ck_assert_msg(r.status == 201 || r.status == 200, "%ld %s", r.status, r.body);
    tu_http_free(&r);
    r = request("DELETE", "/users/to-delete", NULL);
    ck_assert_msg(r.status == 204, "%ld %s", r.status, r.body);
    ck_assert_uint_eq(r.body_len, 0);
    tu_http_free(&r);
    r = request("GET", "/users/to-delete", NULL);
    assert_json_error(&r, 404);
    tu_http_free(&r);
    r = request("DELETE", "/users/to-delete", NULL);
    assert_json_error(&r, 404);
    tu_http_free(&r);
}
END_TEST

/* Lists groups page by page with the cursor until it is null. */
START_TEST(test_list_pages)
{
    char path[128];
    struct tu_http r;
    json_t *seen = json_object(), *page;
    const char *cursor = NULL;
    char cur[256] = "";
    int pages = 0;

    for (int i = 0; i < 7; i++) {
        snprintf(path, sizeof(path), "/groups/page-%d", i);
        r = request("PUT", path, "{\"n\":1}");
        ck_assert_msg(r.status == 201 || r.status == 200, "%ld %s", r.status, r.body);
        tu_http_free(&r);
    }
    do {
        size_t i;
        json_t *item;

        snprintf(path, sizeof(path), "/groups?limit=3%s%s", cursor ? "&cursor=" : "",
                 cursor ? cur : "");
        r = request("GET", path, NULL);
        ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
        page = body_json(&r);
        ck_assert_int_le(json_array_size(json_object_get(page, "items")), 3);
        json_array_foreach(json_object_get(page, "items"), i, item)
            json_object_set(seen, json_string_value(json_object_get(item, "name")), item);
        cursor = json_string_value(json_object_get(page, "cursor"));
        ck_assert(cursor != NULL || json_is_null(json_object_get(page, "cursor")));
        if (cursor != NULL) {
            /* A cursor goes back percent-encoded: it is a key value. */
            char *esc = curl_easy_escape(NULL, cursor, 0);

            snprintf(cur, sizeof(cur), "%s", esc);
            curl_free(esc);
        }
        json_decref(page);
        tu_http_free(&r);
        ck_assert_int_lt(++pages, 50);
    } while (cursor != NULL);
    for (int i = 0; i < 7; i++) {
        snprintf(path, sizeof(path), "page-%d", i);
        ck_assert_msg(json_object_get(seen, path) != NULL, "%s not listed", path);
    }
    ck_assert_int_ge(pages, 3);
    json_decref(seen);
    r = request("GET", "/groups?limit=0", NULL);
    assert_json_error(&r, 400);
    tu_http_free(&r);
    r = request("GET", "/groups?limit=abc", NULL);
    assert_json_error(&r, 400);
    tu_http_free(&r);
}
END_TEST

START_TEST(test_healthz)
{
    struct tu_http r = request("GET", "/healthz", NULL);

    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    tu_http_free(&r);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("e2e");
    TCase *tc = tcase_create("app_skeleton");

    tcase_add_checked_fixture(tc, NULL, tu_leak_check);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_put_get_round_trip);
    tcase_add_test(tc, test_not_found_and_errors);
    tcase_add_test(tc, test_percent_decoded_key_and_groups);
    tcase_add_test(tc, test_delete);
    tcase_add_test(tc, test_list_pages);
    tcase_add_test(tc, test_healthz);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
