/*
 * check_routes.c: the pure route code of core/route.c driven by tables:
 * pattern compilation, matching (specificity, 404, 405 + Allow, HEAD),
 * percent-decoding, path splitting and query-string parsing.  No socket.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static int
dummy(struct web_req *req, struct web_resp *resp, void *udata)
{
    (void)req;
    (void)resp;
    (void)udata;
    return 0;
}

/* ---- pattern compilation --------------------------------------------------- */

static const struct {
    const char *method;
    const char *pattern;
    const char *error; /* a substring of the error text, NULL when valid */
} compile_cases[] = {
    {"GET", "/", NULL},
    {"GET", "/users", NULL},
    {"GET", "/users/", NULL},
    {"GET", "/users/<username>", NULL},
    {"GET", "/a/<x>/b/<y_2>", NULL},
    {"GET", "/caf\xc3\xa9/<_n>", NULL},
    {"M-SEARCH", "/x", NULL},
    {"GET", "users", "starts with '/'"},
    {"GET", "", "starts with '/'"},
    {"GET", "//x", "empty segment"},
    {"GET", "/a//b", "empty segment"},
    {"GET", "/a/<>", "expected <name>"},
    {"GET", "/a/<1x>", "expected <name>"},
    {"GET", "/a/<x", "expected <name>"},
    {"GET", "/a/<x-y>", "expected <name>"},
    {"GET", "/a/<x>y", "whole segment"},
    {"GET", "/a/x<y>", "not allowed"},
    {"GET", "/a b", "not allowed"},
    {"GET", "/a%20b", "not allowed"},
    {"GET", "/a?b", "not allowed"},
    {"GET", "/<x>/<x>", "used twice"},
    {"get", "/x", "method"},
    {"", "/x", "method"},
    {"GE T", "/x", "method"},
};

START_TEST(test_compile)
{
    const struct web_route def = {compile_cases[_i].method, compile_cases[_i].pattern,
                                  dummy};
    struct web_err err = {.code = WEB_OK};
    struct webp_route r;
    int rc = webp_route_compile(&def, NULL, &r, &err);

    if (compile_cases[_i].error == NULL) {
        ck_assert_msg(rc == 0, "'%s %s': %s", def.method, def.pattern, err.text);
        webp_route_free(&r);
        return;
    }
    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(err.code, WEB_ERR_ROUTE);
    ck_assert_msg(strstr(err.text, compile_cases[_i].error) != NULL, "'%s %s': got '%s'",
                  def.method, def.pattern, err.text);
    ck_assert_ptr_null(r.segs);
}
END_TEST

START_TEST(test_duplicate_all_or_none)
{
    static const struct web_route first[] = {{"GET", "/users/<name>", dummy}};
    static const struct web_route second[] = {
        {"PUT", "/users/<name>", dummy},
        {"GET", "/users/<other>", dummy}, /* same shape as first[0] */
    };
    struct webp_router r = {0};
    struct web_err err = {.code = WEB_OK};

    ck_assert_int_eq(webp_router_add(&r, first, 1, NULL, &err), 0);
    ck_assert_int_eq(webp_router_add(&r, second, 2, NULL, &err), -1);
    ck_assert_int_eq(err.code, WEB_ERR_ROUTE);
    ck_assert_ptr_nonnull(strstr(err.text, "duplicates"));
    ck_assert_uint_eq(r.n, 1); /* the PUT was not kept either */
    webp_router_free(&r);
}
END_TEST

/* ---- matching ---------------------------------------------------------------- */

static const struct web_route table[] = {
    {"GET", "/", dummy},                                /* 0 */
    {"GET", "/users", dummy},                           /* 1 */
    {"GET", "/users/<username>", dummy},                /* 2 */
    {"PUT", "/users/<username>", dummy},                /* 3 */
    {"DELETE", "/users/<username>", dummy},             /* 4 */
    {"GET", "/users/me", dummy},                        /* 5 */
    {"GET", "/users/<username>/groups/<group>", dummy}, /* 6 */
    {"POST", "/users/", dummy},                         /* 7 */
    {"HEAD", "/probe", dummy},                          /* 8 */
    {"GET", "/<a>/x", dummy},                           /* 9 */
    {"GET", "/x/<b>", dummy},                           /* 10 */
};

static const struct {
    const char *method;
    const char *path;
    int route;         /* index in table, -1: none */
    int path_found;    /* 0 -> 404, 1 with route -1 -> 405 */
    const char *allow; /* expected Allow when path_found */
    const char *param; /* "name=value" expected, or NULL */
} match_cases[] = {
    {"GET", "/", 0, 1, "GET, HEAD", NULL},
    {"GET", "/users", 1, 1, "GET, HEAD", NULL},
    {"GET", "/users/bob", 2, 1, "GET, HEAD, PUT, DELETE", "username=bob"},
    {"PUT", "/users/bob", 3, 1, "GET, HEAD, PUT, DELETE", "username=bob"},
    {"PATCH", "/users/bob", -1, 1, "GET, HEAD, PUT, DELETE", NULL},
    {"HEAD", "/users/bob", 2, 1, "GET, HEAD, PUT, DELETE", "username=bob"},
    {"GET", "/users/me", 5, 1, "GET, HEAD, PUT, DELETE", NULL}, /* literal wins */
    {"PUT", "/users/me", 3, 1, "GET, HEAD, PUT, DELETE", "username=me"},
    {"GET", "/users/a%2Fb", 2, 1, NULL, "username=a/b"}, /* %2F stays in */
    {"GET", "/users/%C3%A9t%C3%A9", 2, 1, NULL, "username=\xc3\xa9t\xc3\xa9"},
    {"GET", "/users/a+b", 2, 1, NULL, "username=a+b"}, /* '+' is literal */
    {"GET", "/users/bob/groups/dev", 6, 1, "GET, HEAD", "group=dev"},
    {"POST", "/users/", 7, 1, "POST", NULL},
    {"GET", "/users/", -1, 1, "POST", NULL}, /* trailing slash is distinct */
    {"GET", "/users//", -1, 0, NULL, NULL},  /* an empty <name> never matches */
    {"GET", "/nope", -1, 0, NULL, NULL},
    {"GET", "/users/bob/groups", -1, 0, NULL, NULL},
    {"HEAD", "/probe", 8, 1, "HEAD", NULL},
    {"GET", "/probe", -1, 1, "HEAD", NULL},
    {"GET", "/x/x", 10, 1, "GET, HEAD", "b=x"}, /* first literal decides */
    {"GET", "/y/x", 9, 1, "GET, HEAD", "a=y"},
    {"get", "/users", -1, 1, "GET, HEAD", NULL}, /* methods are case-sensitive */
};

START_TEST(test_match)
{
    struct webp_router r = {0};
    struct web_err err = {.code = WEB_OK};
    struct webp_path path;
    struct webp_match m;
    struct webp_kvlist params;
    const char *p = match_cases[_i].path;

    ck_assert_int_eq(
        webp_router_add(&r, table, sizeof(table) / sizeof(table[0]), NULL, &err), 0);
    ck_assert_int_eq(webp_path_parse(p, strlen(p), &path), WEBP_OK);
    webp_router_find(&r, match_cases[_i].method, &path, &m);
    ck_assert_int_eq(m.path_found, match_cases[_i].path_found);
    if (match_cases[_i].route < 0)
        ck_assert_ptr_null(m.route);
    else
        ck_assert_msg(m.route == &r.routes[match_cases[_i].route], "%s %s: wrong route",
                      match_cases[_i].method, p);
    if (match_cases[_i].allow != NULL)
        ck_assert_str_eq(m.allow, match_cases[_i].allow);
    if (match_cases[_i].param != NULL) {
        const char *eq = strchr(match_cases[_i].param, '=');
        char name[32];

        memcpy(name, match_cases[_i].param, (size_t)(eq - match_cases[_i].param));
        name[eq - match_cases[_i].param] = '\0';
        webp_kvlist_init(&params, 16);
        ck_assert_int_eq(webp_route_params(m.route, &path, &params), WEBP_OK);
        ck_assert_pstr_eq(webp_kvlist_get(&params, name, 0), eq + 1);
        webp_kvlist_free(&params);
    }
    webp_path_free(&path);
    webp_router_free(&r);
}
END_TEST

/* ---- percent-decoding ----------------------------------------------------------- */

static const struct {
    const char *in;
    int plus_space;
    const char *out; /* NULL: WEBP_BAD */
} decode_cases[] = {
    {"", 0, ""},
    {"abc", 0, "abc"},
    {"a%20b", 0, "a b"},
    {"%41%62%7a%7A", 0, "Abzz"},
    {"a+b", 0, "a+b"},
    {"a+b", 1, "a b"},
    {"%2B", 1, "+"},
    {"%25", 0, "%"},
    {"%2525", 0, "%25"}, /* decoded once only */
    {"%e2%82%ac", 0, "\xe2\x82\xac"},
    {"%", 0, NULL},
    {"%4", 0, NULL},
    {"a%4", 0, NULL},
    {"%zz", 0, NULL},
    {"%4g", 0, NULL},
    {"%g4", 0, NULL},
    {"%00", 0, NULL},
    {"x%00y", 1, NULL},
    {"%%41", 0, NULL},
};

START_TEST(test_decode)
{
    const char *in = decode_cases[_i].in;
    char *out = (char *)"untouched";
    int rc = webp_pct_decode(in, strlen(in), decode_cases[_i].plus_space, &out);

    if (decode_cases[_i].out == NULL) {
        ck_assert_msg(rc == WEBP_BAD, "'%s': rc %d", in, rc);
        ck_assert_ptr_null(out);
        return;
    }
    ck_assert_msg(rc == WEBP_OK, "'%s': rc %d", in, rc);
    ck_assert_str_eq(out, decode_cases[_i].out);
    util_free(out);
}
END_TEST

/* ---- path splitting ------------------------------------------------------------ */

static const struct {
    const char *raw;
    int rc;
    size_t nseg;
    const char *last;    /* the last segment */
    const char *decoded; /* the whole decoded path */
} path_cases[] = {
    {"/", WEBP_OK, 1, "", "/"},         {"/a", WEBP_OK, 1, "a", "/a"},
    {"/a/b/", WEBP_OK, 3, "", "/a/b/"}, {"/a%2Fb", WEBP_OK, 1, "a/b", "/a/b"},
    {"/%20", WEBP_OK, 1, " ", "/ "},    {"//", WEBP_OK, 2, "", "//"},
    {"", WEBP_BAD, 0, NULL, NULL},      {"a/b", WEBP_BAD, 0, NULL, NULL},
    {"*", WEBP_BAD, 0, NULL, NULL},     {"/a/%00", WEBP_BAD, 0, NULL, NULL},
    {"/a/%0", WEBP_BAD, 0, NULL, NULL}, {"/%zz/b", WEBP_BAD, 0, NULL, NULL},
};

START_TEST(test_path)
{
    struct webp_path p;
    const char *raw = path_cases[_i].raw;
    int rc = webp_path_parse(raw, strlen(raw), &p);

    ck_assert_msg(rc == path_cases[_i].rc, "'%s': rc %d", raw, rc);
    if (rc != WEBP_OK) {
        ck_assert_ptr_null(p.segs);
        ck_assert_ptr_null(p.decoded);
        return;
    }
    ck_assert_uint_eq(p.nseg, path_cases[_i].nseg);
    ck_assert_str_eq(p.segs[p.nseg - 1], path_cases[_i].last);
    ck_assert_str_eq(p.decoded, path_cases[_i].decoded);
    webp_path_free(&p);
}
END_TEST

START_TEST(test_path_limit)
{
    char raw[2 * (WEBP_MAX_SEGMENTS + 1) + 1];
    struct webp_path p;
    size_t i;

    for (i = 0; i < WEBP_MAX_SEGMENTS; i++)
        memcpy(raw + 2 * i, "/a", 2);
    raw[2 * i] = '\0';
    ck_assert_int_eq(webp_path_parse(raw, strlen(raw), &p), WEBP_OK);
    webp_path_free(&p);
    memcpy(raw + 2 * i, "/a", 3);
    ck_assert_int_eq(webp_path_parse(raw, strlen(raw), &p), WEBP_LIMIT);
}
END_TEST

/* ---- query strings ------------------------------------------------------------- */

static const struct {
    const char *qs;
    int rc;
    const char *expect; /* "name=value|name=value" after decoding */
} query_cases[] = {
    {"", WEBP_OK, ""},
    {"a=1", WEBP_OK, "a=1"},
    {"a=1&b=2", WEBP_OK, "a=1|b=2"},
    {"a=x+y%2Bz", WEBP_OK, "a=x y+z"},
    {"a=&b", WEBP_OK, "a=|b="},
    {"&&a=1&&", WEBP_OK, "a=1"},
    {"=x&a=1", WEBP_OK, "a=1"}, /* empty names are dropped */
    {"a=1&a=2", WEBP_OK, "a=1|a=2"},
    {"a=b=c", WEBP_OK, "a=b=c"},
    {"na%6De=v", WEBP_OK, "name=v"},
    {"a;b=1", WEBP_OK, "a;b=1"}, /* only '&' separates */
    {"a=%", WEBP_BAD, NULL},
    {"a=%0", WEBP_BAD, NULL},
    {"a=%00", WEBP_BAD, NULL},
    {"%zz=1", WEBP_BAD, NULL},
};

START_TEST(test_query)
{
    struct webp_kvlist l;
    char got[256] = "";
    const char *qs = query_cases[_i].qs;
    size_t i;
    int rc;

    webp_kvlist_init(&l, 16);
    rc = webp_query_parse(qs, strlen(qs), &l);
    ck_assert_msg(rc == query_cases[_i].rc, "'%s': rc %d", qs, rc);
    if (rc == WEBP_OK) {
        for (i = 0; i < l.n; i++) {
            size_t len = strlen(got);

            snprintf(got + len, sizeof(got) - len, "%s%s=%s", i ? "|" : "",
                     l.items[i].name, l.items[i].value);
        }
        ck_assert_str_eq(got, query_cases[_i].expect);
    }
    webp_kvlist_free(&l);
}
END_TEST

START_TEST(test_query_limit)
{
    struct webp_kvlist l;

    webp_kvlist_init(&l, 2);
    ck_assert_int_eq(webp_query_parse("a=1&b=2", 7, &l), WEBP_OK);
    ck_assert_int_eq(webp_query_parse("c=3", 3, &l), WEBP_LIMIT);
    ck_assert_str_eq(webp_kvlist_get(&l, "a", 0), "1");
    webp_kvlist_free(&l);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
routes_suite(void)
{
    Suite *s = suite_create("routes");
    TCase *tc = tcase_create("compile");

    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_compile, 0, N(compile_cases));
    tcase_add_test(tc, test_duplicate_all_or_none);
    suite_add_tcase(s, tc);
    tc = tcase_create("match");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_match, 0, N(match_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("decode");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_decode, 0, N(decode_cases));
    tcase_add_loop_test(tc, test_path, 0, N(path_cases));
    tcase_add_test(tc, test_path_limit);
    suite_add_tcase(s, tc);
    tc = tcase_create("query");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_query, 0, N(query_cases));
    tcase_add_test(tc, test_query_limit);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(routes_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
