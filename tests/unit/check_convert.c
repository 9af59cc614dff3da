/*
 * check_convert.c: the plain JSON <-> typed form converters (ext/convert*.c).
 *
 * jansson's allocator is pointed at util_malloc() through a counter, so
 * the chaos case fails jansson's allocations as well as ours and checks
 * that every failure frees every block.  Parser input is always copied to
 * a buffer of exactly its length, so ASan catches a read past LEN.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_convert.h"
#include "testutil.h"

/* jansson's blocks not yet freed (tu_json_count_allocs). */
#define live_blocks tu_json_live()

/* Parses LEN bytes of S from an exactly sized heap copy. */
static json_t *
parse_n(const char *s, size_t len, struct dynamo_err *err)
{
    char *copy = malloc(len ? len : 1);
    json_t *item;

    ck_assert_ptr_nonnull(copy);
    memcpy(copy, s, len);
    item = dynamo_item_from_json_text(copy, len, err);
    free(copy);
    return item;
}

static json_t *
parse(const char *s, struct dynamo_err *err)
{
    return parse_n(s, strlen(s), err);
}

static json_t *
load(const char *s)
{
    json_error_t jerr;
    json_t *v = json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

    ck_assert_msg(v != NULL, "test JSON %s: %s", s, jerr.text);
    return v;
}

/* Text of N repetitions of S between PRE and POST (malloc'd). */
static char *
repeat(const char *pre, const char *s, size_t n, const char *post)
{
    size_t lp = strlen(pre), ls = strlen(s), lq = strlen(post), i;
    char *out = malloc(lp + ls * n + lq + 1), *p = out;

    ck_assert_ptr_nonnull(out);
    memcpy(p, pre, lp);
    p += lp;
    for (i = 0; i < n; i++, p += ls)
        memcpy(p, s, ls);
    memcpy(p, post, lq + 1);
    return out;
}

/* ---- text -> typed -> text --------------------------------------------- */

static const char *const corpus[] = {
    "{}",
    "{\"a\":\"hello\"}",
    "{\"s\":\"q\\\" b\\\\ /\\b\\f\\n\\r\\t\\u0001\\u001f\x7f end\"}",
    "{\"u\":\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\xef\xbf\xbf\",\"k\xc3\xa9y\":\"\"}",
    "{\"n\":12345678901234567890123456789012345678,\"e\":1.5E+10,\"z\":-0.000e-5,"
    "\"neg\":-42,\"f\":0.1,\"zero\":0,\"mz\":-0}",
    "{\"max\":9.9999999999999999999999999999999999999E+125,\"min\":1E-130,"
    "\"nmin\":-1E-130,\"nmax\":-9.9999999999999999999999999999999999999E+125,"
    "\"x\":1e5,\"y\":2E-3,\"w\":100000000000000000000000000000000000000000000}",
    "{\"l\":[1,[2,[3,[]]],{\"m\":{}}],\"t\":true,\"f\":false,\"z\":null}",
    "{\"a\":{\"b\":{\"c\":[true,false,null,\"x\",-1.0e-3,{\"d\":[]}]}},\"b\":[[],{}]}",
    "{\"key\\nwith\\tescapes\":{\"\\\"q\\\"\":\"v\"}}",
    /* U+0000 in values and names, "n" and "n\0m" two names. */
    "{\"s\":\"a\\u0000b\",\"z\":\"\\u0000\",\"n\\u0000m\":{\"k\\u0000\":[\"\\u0000\\u0000\","
    "{\"\\u0000\":null}]},\"n\":\"x\\u0000\"}",
};

START_TEST(test_roundtrip)
{
    struct dynamo_err err = {0};
    json_t *item = parse(corpus[_i], &err);
    char *text;

    ck_assert_msg(item != NULL, "%s: %s", corpus[_i], err.text);
    text = dynamo_item_to_json_text(item, &err);
    ck_assert_msg(text != NULL, "%s: %s", corpus[_i], err.text);
    ck_assert_str_eq(text, corpus[_i]);
    free(text);
    json_decref(item);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

START_TEST(test_typed_form)
{
    static const char text[] =
        " \t\r\n{ \"name\" : \"alice\", "
        "\"age\":42,\"score\":1.50,\"ok\":true,\"no\":false,"
        "\"nil\":null,\"tags\":[ \"a\" , 1 ],\"addr\":{\"city\":\"Paris\"},"
        "\"esc\":\"\\u00e9\\ud83d\\ude00\\/\\u0041\"}\n";
    static const char expect[] =
        "{\"name\":{\"S\":\"alice\"},\"age\":{\"N\":\"42\"},\"score\":{\"N\":\"1.50\"},"
        "\"ok\":{\"BOOL\":true},\"no\":{\"BOOL\":false},\"nil\":{\"NULL\":true},"
        "\"tags\":{\"L\":[{\"S\":\"a\"},{\"N\":\"1\"}]},"
        "\"addr\":{\"M\":{\"city\":{\"S\":\"Paris\"}}},"
        "\"esc\":{\"S\":\"\xc3\xa9\xf0\x9f\x98\x80/A\"}}";
    struct dynamo_err err = {0};
    json_t *item = parse(text, &err), *want = load(expect);

    ck_assert_msg(item != NULL, "%s", err.text);
    ck_assert_msg(json_equal(item, want), "typed form differs");
    json_decref(want);
    json_decref(item);

    /* LEN bounds the text: what follows is never read. */
    item = dynamo_item_from_json_text("{\"a\":1}garbage", 7, &err);
    ck_assert_msg(item != NULL, "%s", err.text);
    json_decref(item);
    /* A NULL ERR is allowed. */
    ck_assert_ptr_null(parse("{\"a\":}", NULL));
    ck_assert_ptr_null(dynamo_item_from_json_text(NULL, 0, NULL));
    ck_assert_ptr_null(dynamo_item_from_json_text(NULL, 3, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* ---- syntax errors ----------------------------------------------------- */

static const struct syntax_case {
    const char *text;
    int line, col;
    const char *msg;
} syntax_cases[] = {
    {"", 1, 1, "expected a JSON object"},
    {"[1]", 1, 1, "expected a JSON object"},
    {"  \n 42", 2, 2, "expected a JSON object"},
    {"{", 1, 2, "unexpected end of input, expected an attribute name in double quotes"},
    {"{\"a\" 1}", 1, 6, "expected ':'"},
    {"{\"a\":1 \"b\":2}", 1, 8, "expected ',' or '}'"},
    {"{\"a\":1", 1, 7, "unexpected end of input, expected ',' or '}'"},
    {"{\"a\":[1 2]}", 1, 9, "expected ',' or ']'"},
    {"{\"a\":1,}", 1, 8, "expected an attribute name in double quotes"},
    {"{1:2}", 1, 2, "expected an attribute name in double quotes"},
    {"{\"a\":[1,]}", 1, 9, "expected a value"},
    {"{\"a\":}", 1, 6, "expected a value"},
    {"{\"a\":+1}", 1, 6, "expected a value"},
    {"{\"a\":.5}", 1, 6, "expected a value"},
    {"{\"a\":tru}", 1, 6, "invalid literal, expected 'true'"},
    {"{\"a\":nul", 1, 6, "invalid literal, expected 'null'"},
    {"{\"a\":falsey}", 1, 11, "expected ',' or '}'"},
    {"{\"a\":01}", 1, 6, "invalid number: leading zeros are not allowed"},
    {"{\"a\":-}", 1, 7, "invalid number: expected a digit"},
    {"{\"a\":1.}", 1, 8, "invalid number: expected a digit after '.'"},
    {"{\"a\":1e+}", 1, 9, "invalid number: expected a digit in the exponent"},
    {"{\"a\":1.5.3}", 1, 9, "expected ',' or '}'"},
    {"{\"a\":\"x}", 1, 9, "unexpected end of input in a string"},
    {"{\"a\":\"x\\", 1, 9, "unexpected end of input in a string"},
    {"{\"a\":\"\x01\"}", 1, 7, "control character U+0001 in a string must be escaped"},
    {"{\"a\":\"tab\there\"}", 1, 10,
     "control character U+0009 in a string must be escaped"},
    {"{\"a\":\"\\q\"}", 1, 7, "invalid escape '\\q'"},
    {"{\"a\":\"\\u12\"}", 1, 7, "expected four hex digits after \\u"},
    {"{\"a\":\"\\u12", 1, 7, "expected four hex digits after \\u"},
    {"{\"a\":\"\\ud800\"}", 1, 7, "lone high surrogate \\uD800"},
    {"{\"a\":\"\\ud800\\u0041\"}", 1, 7, "lone high surrogate \\uD800"},
    {"{\"a\":\"x\\udc00\"}", 1, 8, "lone low surrogate \\uDC00"},
    {"{\"a\":\"\\u0000\\ud800\"}", 1, 13, "lone high surrogate \\uD800"},
    {"{\"a\":\"\xc3\x28\"}", 1, 7, "invalid UTF-8 in a string"},
    {"{\"a\":\"\xc0\xaf\"}", 1, 7, "invalid UTF-8 in a string"},     /* overlong */
    {"{\"a\":\"\xed\xa0\x80\"}", 1, 7, "invalid UTF-8 in a string"}, /* surrogate */
    {"{\"a\":\"\xf4\x90\x80\x80\"}", 1, 7, "invalid UTF-8 in a string"},
    {"{\"a\":\"\xe2\x82\"}", 1, 7, "invalid UTF-8 in a string"}, /* truncated */
    {"{\"\xff\":1}", 1, 3, "invalid UTF-8 in a string"},
    {"{\"\xc3\xa9\":1 x}", 1, 8, "expected ',' or '}'"}, /* columns count characters */
    {"{\n  \"\xc3\xa9\": 1,\n  \"b\" 2}", 3, 7, "expected ':'"},
    {"{\"a\":1} x", 1, 9, "unexpected text after the object"},
    {"{\"a\":1}{}", 1, 8, "unexpected text after the object"},
    {"{\"a\":1,\"a\":2}", 1, 8, "duplicate attribute 'a'"},
    {"{\"m\":{\"k\":1,\n\"k\":2}}", 2, 1, "duplicate attribute 'm.k'"},
    {"{\"\\u0061\":1,\"a\":2}", 1, 13, "duplicate attribute 'a'"},
    {"{\"a\\u0000\":1,\"a\\u0000\":2}", 1, 14, "duplicate attribute 'a\\x00'"},
    {"{\"m\":{\"\\u0000\":1,\"\\u0000\":2}}", 1, 18, "duplicate attribute 'm.\\x00'"},
    {"{\"\":1}", 1, 2, "empty attribute name"},
    {"{\"a\":{\"\":1}}", 1, 7, "empty attribute name"},
};

START_TEST(test_syntax_error)
{
    const struct syntax_case *c = &syntax_cases[_i];
    struct dynamo_err err = {0};
    char want[300];

    ck_assert_ptr_null(parse(c->text, &err));
    snprintf(want, sizeof(want), "line %d, column %d: %s", c->line, c->col, c->msg);
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_msg(strncmp(err.text, want, strlen(want)) == 0,
                  "case %d: got \"%s\", want \"%s\"", _i, err.text, want);
    ck_assert_int_eq(err.line, c->line);
    ck_assert_int_eq(err.col, c->col);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* ---- DynamoDB's limits ------------------------------------------------- */

/* Parses S and expects success (WANT NULL) or exactly the error WANT. */
static void
expect_text(const char *s, size_t len, const char *want)
{
    struct dynamo_err err = {0};
    json_t *item = parse_n(s, len, &err);

    if (want == NULL) {
        ck_assert_msg(item != NULL, "%.60s...: %s", s, err.text);
        json_decref(item);
    } else {
        ck_assert_msg(item == NULL, "%.60s... was accepted", s);
        ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
        ck_assert_str_eq(err.text, want);
    }
    ck_assert_int_eq(live_blocks, 0);
}

#define EXPECT(s, want) expect_text((s), strlen(s), (want))

START_TEST(test_number_limits)
{
    EXPECT("{\"n\":12345678901234567890123456789012345678}", NULL);
    EXPECT("{\"n\":-0.00000012345678901234567890123456789012345678000}", NULL);
    EXPECT("{\"n\":123456789012345678901234567890123456789}",
           "attribute 'n': number has more than 38 significant digits");
    EXPECT("{\"a\":{\"b\":[1,2,1.23456789012345678901234567890123456789]}}",
           "attribute 'a.b[2]': number has more than 38 significant digits");
    EXPECT("{\"n\":1000000000000000000000000000000000000000000000000}", NULL);
    EXPECT("{\"n\":1E-130}", NULL);
    EXPECT("{\"n\":0.1E-129}", NULL);
    EXPECT("{\"n\":-1E-130}", NULL);
    EXPECT("{\"n\":0.00001E-126}",
           "attribute 'n': number magnitude is smaller than 1E-130");
    EXPECT("{\"n\":1E-131}", "attribute 'n': number magnitude is smaller than 1E-130");
    EXPECT("{\"n\":9.9999999999999999999999999999999999999E+125}", NULL);
    EXPECT("{\"n\":99999999999999999999999999999999999999E+88}", NULL);
    EXPECT("{\"n\":1E+126}", "attribute 'n': number magnitude is larger than "
                             "9.9999999999999999999999999999999999999E+125");
    EXPECT("{\"l\":[{\"x\":-10E+125}]}",
           "attribute 'l[0].x': number magnitude is larger "
           "than 9.9999999999999999999999999999999999999E+125");
    EXPECT("{\"n\":1e99999999999999999999999999}",
           "attribute 'n': number magnitude is larger than "
           "9.9999999999999999999999999999999999999E+125");
    EXPECT("{\"n\":0E+99999999999999999999}", NULL);
    EXPECT("{\"n\":-0.000e-5}", NULL);
    /* An escaped key, control byte included, in the path. */
    EXPECT("{\"a\\nb\":{\"\\u00e9\":1E+200}}",
           "attribute 'a\\x0ab.\xc3\xa9': number magnitude is larger than "
           "9.9999999999999999999999999999999999999E+125");
}
END_TEST

/* dynamop_num_is_text (the grammar alone, for N values and NS elements)
 * says yes exactly where dynamop_num_scan reads the whole string: every
 * string of up to 5 bytes over the bytes that matter to the grammar. */
START_TEST(test_number_text)
{
    static const char bytes[] = "019-+.eEa";
    const size_t nb = sizeof(bytes) - 1;
    struct dynamop_num num;
    char s[5];
    size_t len, i, k, total, bad, accepted = 0;

    for (len = 0; len <= sizeof(s); len++) {
        for (total = 1, i = 0; i < len; i++)
            total *= nb;
        for (k = 0; k < total; k++) {
            size_t x = k;
            int want;

            for (i = 0; i < len; i++, x /= nb)
                s[i] = bytes[x % nb];
            want = dynamop_num_scan(s, len, &num, &bad) == NULL && num.len == len;
            ck_assert_msg(dynamop_num_is_text(s, len) == want, "'%.*s': want %d", (int)len,
                          s, want);
            accepted += (size_t)want;
        }
    }
    ck_assert_uint_gt(accepted, 1000);
}
END_TEST

/* PRE, K times OPEN, K times CLOSE, then "}" (malloc'd). */
static char *
nest(const char *pre, const char *open, const char *close, size_t k)
{
    char *head = repeat(pre, open, k, ""), *tail = repeat("", close, k, "}");
    char *out = malloc(strlen(head) + strlen(tail) + 1);

    ck_assert_ptr_nonnull(out);
    memcpy(out, head, strlen(head));
    memcpy(out + strlen(head), tail, strlen(tail) + 1);
    free(head);
    free(tail);
    return out;
}

START_TEST(test_depth_limit)
{
    struct dynamo_err err = {0};
    char *s;

    s = nest("{\"a\":", "[", "]", 32);
    EXPECT(s, NULL);
    free(s);
    s = nest("{\"a\":", "[", "]", 33);
    ck_assert_ptr_null(parse(s, &err));
    free(s);
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_msg(strncmp(err.text, "attribute 'a[0][0][0]", 21) == 0, "%s", err.text);
    ck_assert_msg(strstr(err.text, "[0]': nested deeper than 32 levels") != NULL, "%s",
                  err.text);
    ck_assert_int_eq(err.line, 1);
    ck_assert_int_eq(err.col, 6 + 32);

    s = nest("{", "\"m\":{", "}", 32);
    EXPECT(s, NULL);
    free(s);
    s = nest("{", "\"m\":{", "}", 33);
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(parse(s, &err));
    free(s);
    ck_assert_msg(strstr(err.text, "m.m.m': nested deeper than 32 levels") != NULL, "%s",
                  err.text);
}
END_TEST

START_TEST(test_size_limit)
{
    char *s;

    /* "a" + 409599 bytes = 409600: the limit itself is allowed. */
    s = repeat("{\"a\":\"", "x", 409599, "\"}");
    EXPECT(s, NULL);
    free(s);
    s = repeat("{\"a\":\"", "x", 409600, "\"}");
    EXPECT(s, "attribute 'a': item is larger than 400 KB");
    free(s);
    /* Escapes count decoded. */
    s = repeat("{\"a\":\"", "\\n", 409599, "\"}");
    EXPECT(s, NULL);
    free(s);
    s = repeat("{\"a\":\"", "\\n", 409600, "\"}");
    EXPECT(s, "attribute 'a': item is larger than 400 KB");
    free(s);
    /* L: 1 (name) + 3 + 2 per NULL element. */
    s = repeat("{\"l\":[null", ",null", 204797, "]}");
    EXPECT(s, NULL);
    free(s);
    s = repeat("{\"l\":[null", ",null", 204798, "]}");
    EXPECT(s, "attribute 'l[204798]': item is larger than 400 KB");
    free(s);
    /* Numbers: 1 byte per two significant digits plus 1; here 2 + 1 each. */
    s = repeat("{\"l\":[1", ",10", 136531, "]}");
    EXPECT(s, NULL);
    free(s);
    s = repeat("{\"l\":[1", ",10", 136532, "]}");
    EXPECT(s, "attribute 'l[136532]': item is larger than 400 KB");
    free(s);
}
END_TEST

START_TEST(test_name_limit)
{
    struct dynamo_err err = {0};
    char *s = repeat("{\"", "k", 65535, "\":1}");

    EXPECT(s, NULL);
    free(s);
    s = repeat("{\"", "k", 65536, "\":1}");
    ck_assert_ptr_null(parse(s, &err));
    ck_assert_str_eq(err.text,
                     "line 1, column 2: attribute name longer than 65535 bytes");
    free(s);
}
END_TEST

/* ---- typed -> text ----------------------------------------------------- */

START_TEST(test_emit_types)
{
    json_t *item =
        load("{\"b\":{\"B\":\"AAEC\"},\"ss\":{\"SS\":[\"a\",\"b\\\"c\"]},"
             "\"ns\":{\"NS\":[\"1\",\"-2.5E3\"]},\"bs\":{\"BS\":[\"AA==\",\"AQ==\"]},"
             "\"l\":{\"L\":[{\"NS\":[\"7\"]},{\"M\":{\"x\":{\"NULL\":true}}}]},"
             "\"e\":{\"SS\":[]}}");
    struct dynamo_err err = {0};
    char *text = dynamo_item_to_json_text(item, &err);

    ck_assert_msg(text != NULL, "%s", err.text);
    ck_assert_str_eq(text,
                     "{\"b\":\"AAEC\",\"ss\":[\"a\",\"b\\\"c\"],\"ns\":[1,-2.5E3],"
                     "\"bs\":[\"AA==\",\"AQ==\"],\"l\":[[7],{\"x\":null}],\"e\":[]}");
    free(text);
    json_decref(item);

    /* A NUL inside a jansson string comes out escaped. */
    item = json_pack("{s:{s:s%}}", "a", "S", "x\0y", (size_t)3);
    text = dynamo_item_to_json_text(item, &err);
    ck_assert_str_eq(text, "{\"a\":\"x\\u0000y\"}");
    free(text);
    json_decref(item);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

static const struct bad_typed {
    const char *typed;
    const char *msg;
} bad_typed[] = {
    {"{\"a\":{\"X\":\"1\"}}", "attribute 'a': unknown type tag 'X'"},
    {"{\"a\":{\"S\":1}}", "attribute 'a': 'S' needs a string"},
    {"{\"a\":{\"N\":\"1.2.3\"}}", "attribute 'a': 'N' needs a number in a string"},
    {"{\"a\":{\"N\":\" 1\"}}", "attribute 'a': 'N' needs a number in a string"},
    {"{\"a\":{\"N\":1}}", "attribute 'a': 'N' needs a number in a string"},
    {"{\"a\":{\"B\":null}}", "attribute 'a': 'B' needs a base64 string"},
    {"{\"a\":{\"BOOL\":\"true\"}}", "attribute 'a': 'BOOL' needs true or false"},
    {"{\"a\":{\"NULL\":false}}", "attribute 'a': 'NULL' needs true"},
    {"{\"a\":{\"L\":{}}}", "attribute 'a': 'L' needs an array"},
    {"{\"a\":{\"M\":[]}}", "attribute 'a': 'M' needs an object"},
    {"{\"a\":{\"SS\":[\"x\",1]}}", "attribute 'a': 'SS' element 1 is not a string"},
    {"{\"a\":{\"NS\":[\"1\",\"x\"]}}",
     "attribute 'a': 'NS' element 1 is not a number in a string"},
    {"{\"a\":{\"S\":\"x\",\"N\":\"1\"}}",
     "attribute 'a': expected a typed value (an object with one type tag)"},
    {"{\"a\":{}}", "attribute 'a': expected a typed value (an object with one type tag)"},
    {"{\"a\":\"plain\"}",
     "attribute 'a': expected a typed value (an object with one type tag)"},
    {"{\"a\":{\"M\":{\"b\":{\"L\":[{\"S\":\"x\"},{\"Q\":1}]}}}}",
     "attribute 'a.b[1]': unknown type tag 'Q'"},
    {"[]", "expected a typed item (an object)"},
};

START_TEST(test_emit_bad_typed)
{
    const struct bad_typed *c = &bad_typed[_i];
    json_t *item = load(c->typed);
    struct dynamo_err err = {0};

    ck_assert_ptr_null(dynamo_item_to_json_text(item, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_BAD_RESPONSE);
    ck_assert_str_eq(err.text, c->msg);
    /* The jansson-value converter walks the same way. */
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(dynamo_item_to_plain(item, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_BAD_RESPONSE);
    ck_assert_str_eq(err.text, c->msg);
    json_decref(item);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

START_TEST(test_emit_limits)
{
    struct dynamo_err err = {0};
    size_t n = 3u << 20; /* 3 MiB of control bytes -> 18 MiB of \u00xx */
    char *s = malloc(n);
    json_t *item, *deep;
    int i;

    memset(s, 1, n);
    item = json_pack("{s:{s:s%}}", "a", "S", s, n);
    free(s);
    ck_assert_ptr_null(dynamo_item_to_json_text(item, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_str_eq(err.text,
                     "attribute 'a': plain JSON text would be larger than 16 MiB");
    json_decref(item);

    ck_assert_ptr_null(dynamo_item_to_json_text(NULL, &err));
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(dynamo_item_to_json_text(NULL, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);

    /* 33 levels of L are refused (a stack guard as much as a limit). */
    deep = json_pack("{s:s}", "S", "x");
    for (i = 0; i < 33; i++)
        deep = json_pack("{s:[o]}", "L", deep);
    item = json_pack("{s:o}", "a", deep);
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(dynamo_item_to_json_text(item, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_BAD_RESPONSE);
    ck_assert_msg(strstr(err.text, "nested deeper than 32 levels") != NULL, "%s",
                  err.text);
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(dynamo_item_to_plain(item, &err));
    ck_assert_msg(strstr(err.text, "nested deeper than 32 levels") != NULL, "%s",
                  err.text);
    json_decref(item);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* ---- plain jansson values ---------------------------------------------- */

/* dynamo_value_from_plain(PLAIN) (taken) must equal the typed JSON WANT. */
static void
expect_value(json_t *plain, const char *want)
{
    struct dynamo_err err = {0};
    json_t *typed = dynamo_value_from_plain(plain, &err), *w = load(want);

    ck_assert_msg(typed != NULL, "%s: %s", want, err.text);
    ck_assert_msg(tu_json_equal(typed, w), "%s: got %s", want,
                  json_dumps(typed, JSON_ENCODE_ANY));
    json_decref(w);
    json_decref(typed);
    json_decref(plain);
}

/* dynamo_value_from_plain(PLAIN) (taken) must fail with exactly WANT. */
static void
expect_value_error(json_t *plain, const char *want)
{
    struct dynamo_err err = {0};

    ck_assert_ptr_null(dynamo_value_from_plain(plain, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_str_eq(err.text, want);
    json_decref(plain);
}

START_TEST(test_from_plain)
{
    struct dynamo_err err = {0};
    json_t *plain, *typed, *want, *back;
    char *s;

    expect_value(json_integer(-42), "{\"N\":\"-42\"}");
    expect_value(json_integer(INT64_MIN), "{\"N\":\"-9223372036854775808\"}");
    expect_value(json_real(1.5), "{\"N\":\"1.5\"}");
    expect_value(json_real(0.1), "{\"N\":\"0.10000000000000001\"}");
    expect_value(json_real(-2e100), "{\"N\":\"-2e+100\"}");
    expect_value(json_string("h\xc3\xa9"), "{\"S\":\"h\xc3\xa9\"}");
    expect_value(json_true(), "{\"BOOL\":true}");
    expect_value(json_false(), "{\"BOOL\":false}");
    expect_value(json_null(), "{\"NULL\":true}");
    expect_value(load("[1,\"a\",[],{}]"),
                 "{\"L\":[{\"N\":\"1\"},{\"S\":\"a\"},{\"L\":[]},{\"M\":{}}]}");
    expect_value(load("{\"k\":{\"j\":[null]}}"),
                 "{\"M\":{\"k\":{\"M\":{\"j\":{\"L\":[{\"NULL\":true}]}}}}}");

    expect_value_error(json_real(1e300), "number magnitude is larger than "
                                         "9.9999999999999999999999999999999999999E+125");
    expect_value_error(load("{\"a\":[1e-200]}"),
                       "attribute 'a[0]': number magnitude is smaller than 1E-130");
    expect_value_error(json_pack("{s:i}", "", 1), "empty attribute name");
    s = malloc(409601);
    memset(s, 'x', 409600);
    s[409600] = '\0';
    expect_value_error(json_pack("[s]", s),
                       "attribute '[0]': item is larger than 400 KB");
    free(s);
    plain = json_pack("{s:s}", "a", "x");
    for (int i = 0; i < 33; i++)
        plain = json_pack("[o]", plain);
    expect_value_error(plain,
                       "attribute '[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
                       "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]': nested deeper "
                       "than 32 levels");
    ck_assert_ptr_null(dynamo_value_from_plain(NULL, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);

    /* A whole item, and back. */
    plain = load("{\"id\":7,\"name\":\"x\",\"ok\":true,\"none\":null,\"r\":2.25,"
                 "\"l\":[1,{\"m\":\"n\"}],\"big\":-9223372036854775807}");
    want = load("{\"id\":{\"N\":\"7\"},\"name\":{\"S\":\"x\"},\"ok\":{\"BOOL\":true},"
                "\"none\":{\"NULL\":true},\"r\":{\"N\":\"2.25\"},"
                "\"l\":{\"L\":[{\"N\":\"1\"},{\"M\":{\"m\":{\"S\":\"n\"}}}]},"
                "\"big\":{\"N\":\"-9223372036854775807\"}}");
    memset(&err, 0, sizeof(err));
    typed = dynamo_item_from_plain(plain, &err);
    ck_assert_msg(typed != NULL, "%s", err.text);
    ck_assert(json_equal(typed, want));
    back = dynamo_item_to_plain(typed, &err);
    ck_assert_msg(back != NULL, "%s", err.text);
    ck_assert(json_equal(back, plain));
    json_decref(back);
    json_decref(typed);
    json_decref(want);
    json_decref(plain);

    plain = json_array();
    ck_assert_ptr_null(dynamo_item_from_plain(plain, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_str_eq(err.text, "expected a JSON object");
    json_decref(plain);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

START_TEST(test_to_plain)
{
    json_t *typed =
        load("{\"i\":{\"N\":\"42\"},\"r\":{\"N\":\"1.5\"},\"e\":{\"N\":\"1E+3\"},"
             "\"min\":{\"N\":\"-9223372036854775808\"},\"over\":{\"N\":"
             "\"9223372036854775808\"},"
             "\"s\":{\"S\":\"x\"},\"b\":{\"B\":\"AAEC\"},\"t\":{\"BOOL\":true},\"n\":{"
             "\"NULL\":true},"
             "\"ss\":{\"SS\":[\"a\"]},\"ns\":{\"NS\":[\"1\",\"0.5\"]},\"bs\":{\"BS\":["
             "\"AA==\"]},"
             "\"l\":{\"L\":[{\"M\":{\"k\":{\"BOOL\":false}}}]}}");
    struct dynamo_err err = {0};
    json_t *plain = dynamo_item_to_plain(typed, &err), *want;

    ck_assert_msg(plain != NULL, "%s", err.text);
    ck_assert(json_is_integer(json_object_get(plain, "i")));
    ck_assert(json_is_real(json_object_get(plain, "e")));
    ck_assert(json_integer_value(json_object_get(plain, "min")) == INT64_MIN);
    ck_assert(json_is_real(json_object_get(plain, "over")));
    want = load("{\"i\":42,\"r\":1.5,\"e\":1000.0,\"min\":-9223372036854775808,"
                "\"over\":9223372036854775808.0,\"s\":\"x\",\"b\":\"AAEC\",\"t\":true,"
                "\"n\":null,\"ss\":[\"a\"],\"ns\":[1,0.5],\"bs\":[\"AA==\"],"
                "\"l\":[{\"k\":false}]}");
    ck_assert_msg(json_equal(plain, want), "got %s", json_dumps(plain, 0));
    json_decref(want);
    json_decref(plain);
    json_decref(typed);

    typed = load("{\"a\":{\"L\":[{\"N\":\"1e400\"}]}}");
    ck_assert_ptr_null(dynamo_item_to_plain(typed, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_BAD_RESPONSE);
    ck_assert_str_eq(err.text, "attribute 'a[0]': number 1e400 does not fit a double");
    json_decref(typed);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* ---- U+0000 ------------------------------------------------------------ */

/* {TAG: V} as a new typed value (V taken). */
static json_t *
typed_of(const char *tag, json_t *v)
{
    json_t *t = json_object();

    ck_assert_int_eq(json_object_set_new(t, tag, v), 0);
    return t;
}

/* U+0000 in S, SS members, names and map keys, nested: kept by length
 * through every converter, and written back as \u0000. */
START_TEST(test_nul)
{
    static const char text[] = "{\"a\\u0000b\":\"x\\u0000y\",\"a\":{\"\\u0000\":[\"\\u0000\"]}}";
    struct dynamo_err err = {0};
    json_t *item = parse(text, &err), *want, *m, *plain, *back, *set;
    const json_t *v;
    char *out;

    ck_assert_msg(item != NULL, "%s", err.text);
    ck_assert_uint_eq(json_object_size(item), 2);
    v = json_object_get(json_object_getn(item, "a\0b", 3), "S");
    ck_assert_uint_eq(json_string_length(v), 3);
    ck_assert_mem_eq(json_string_value(v), "x\0y", 3);
    /* The same item built by hand, with lengths. */
    want = json_object();
    json_object_setn_new(want, "a\0b", 3, typed_of("S", json_stringn("x\0y", 3)));
    m = json_object();
    json_object_setn_new(m, "\0", 1,
                         typed_of("L", json_pack("[o]", typed_of("S", json_stringn("\0", 1)))));
    json_object_set_new(want, "a", typed_of("M", m));
    ck_assert(tu_json_equal(item, want));
    ck_assert_int_eq(dynamo_item_validate(item, &err), 0);
    /* typed -> plain -> typed, and typed -> text. */
    plain = dynamo_item_to_plain(item, &err);
    ck_assert_msg(plain != NULL, "%s", err.text);
    ck_assert_uint_eq(json_string_length(json_object_getn(plain, "a\0b", 3)), 3);
    back = dynamo_item_from_plain(plain, &err);
    ck_assert_msg(back != NULL && tu_json_equal(back, item), "%s", err.text);
    out = dynamo_item_to_json_text(item, &err);
    ck_assert_str_eq(out, text);
    free(out);
    json_decref(back);
    json_decref(plain);
    json_decref(want);
    json_decref(item);

    /* One plain value, and an SS with members that differ after the NUL. */
    expect_value(json_stringn("a\0b", 3), "{\"S\":\"a\\u0000b\"}");
    set = json_pack("[oo]", json_stringn("a\0b", 3), json_stringn("a\0c", 3));
    item = json_object();
    json_object_setn_new(item, "s\0", 2, typed_of("SS", set));
    out = dynamo_item_to_json_text(item, &err);
    ck_assert_str_eq(out, "{\"s\\u0000\":[\"a\\u0000b\",\"a\\u0000c\"]}");
    free(out);
    ck_assert_int_eq(dynamo_item_validate(item, &err), 0);
    json_decref(item);

    /* A tag is compared by length: "S\0" is no S. */
    item = json_pack("{s:o}", "a", json_object());
    json_object_setn_new(json_object_get(item, "a"), "S\0", 2, json_string("x"));
    ck_assert_ptr_null(dynamo_item_to_json_text(item, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_BAD_RESPONSE);
    ck_assert_str_eq(err.text, "attribute 'a': unknown type tag 'S'");
    json_decref(item);

    /* The NUL counts in the size; a raw NUL byte is still no JSON. */
    {
        char *big = repeat("{\"a\":\"", "\\u0000", 409599, "\"}");

        EXPECT(big, NULL); /* 1 + 409599 bytes: 400 KB */
        free(big);
        big = repeat("{\"a\":\"", "\\u0000", 409600, "\"}");
        EXPECT(big, "attribute 'a': item is larger than 400 KB");
        free(big);
    }
    expect_text("{\"a\":\"x\0y\"}", 11,
                "line 1, column 8: control character U+0000 in a string must be escaped");
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* ---- allocation failures ----------------------------------------------- */

enum chaos_op { FROM_TEXT, TO_TEXT, FROM_PLAIN, ITEM_FROM_PLAIN, TO_PLAIN, CHAOS_MAX };

static const char chaos_text[] = "{\"k\\u00e9y\\u0000\":\"v\\nal\\u0000\\ud83d\\ude00\",\"n\":[1.5E+10,"
                                 "-0,{\"\\\"m\\\"\":{\"x\":true}}],"
                                 "\"plain\":\"abc\",\"z\":null,\"e\\t\":[[],{}]}";

/* Runs OP once.  Returns its result, new (for TO_TEXT: {"text": *TEXT}, made
 * by the caller once failures are off). */
static json_t *
chaos_run(enum chaos_op op, const json_t *typed, const json_t *plain, char **text,
          struct dynamo_err *err)
{
    switch (op) {
    case FROM_TEXT:
        return dynamo_item_from_json_text(chaos_text, strlen(chaos_text), err);
    case TO_TEXT:
        return (*text = dynamo_item_to_json_text(typed, err)) ? json_null() : NULL;
    case FROM_PLAIN:
        return dynamo_value_from_plain(plain, err);
    case ITEM_FROM_PLAIN:
        return dynamo_item_from_plain(plain, err);
    default:
        return dynamo_item_to_plain(typed, err);
    }
}

/* Wraps a TO_TEXT result so results compare with json_equal. */
static json_t *
chaos_result(json_t *got, char *text)
{
    if (text == NULL)
        return got;
    json_decref(got);
    got = json_string(text);
    free(text);
    ck_assert_ptr_nonnull(got);
    return got;
}

START_TEST(test_chaos)
{
    struct dynamo_err err = {0};
    json_t *typed = parse(chaos_text, &err), *plain, *want, *got;
    char *text = NULL;
    long n, base;

    ck_assert_msg(typed != NULL, "%s", err.text);
    plain = dynamo_item_to_plain(typed, &err);
    ck_assert_ptr_nonnull(plain);
    want = chaos_run((enum chaos_op)_i, typed, plain, &text, &err);
    want = chaos_result(want, text);
    ck_assert_msg(want != NULL, "%s", err.text);
    base = live_blocks;
    for (n = 1; n < 100000; n++) {
        memset(&err, 0, sizeof(err));
        util_alloc_fail_at(n);
        text = NULL;
        got = chaos_run((enum chaos_op)_i, typed, plain, &text, &err);
        util_alloc_fail_at(0);
        got = chaos_result(got, text);
        if (got != NULL) {
            ck_assert_int_eq(err.code, DYNAMO_OK);
            ck_assert(tu_json_equal(got, want));
            json_decref(got);
            break;
        }
        ck_assert_msg(err.code == DYNAMO_ERR_NOMEM, "n=%ld: %d %s", n, err.code,
                      err.text);
        ck_assert_msg(live_blocks == base, "n=%ld: %ld blocks leaked", n,
                      live_blocks - base);
    }
    ck_assert_msg(n > 1, "no allocation was failed");
    json_decref(want);
    json_decref(plain);
    json_decref(typed);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

static Suite *
convert_suite(void)
{
    Suite *s = suite_create("convert");
    TCase *tc;

    tc = tcase_create("roundtrip");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_roundtrip, 0, (int)(sizeof(corpus) / sizeof(corpus[0])));
    tcase_add_test(tc, test_typed_form);
    suite_add_tcase(s, tc);

    tc = tcase_create("syntax");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_syntax_error, 0,
                        (int)(sizeof(syntax_cases) / sizeof(syntax_cases[0])));
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_number_limits);
    tcase_add_test(tc, test_number_text);
    tcase_add_test(tc, test_depth_limit);
    tcase_add_test(tc, test_size_limit);
    tcase_add_test(tc, test_name_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("emit");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_emit_types);
    tcase_add_loop_test(tc, test_emit_bad_typed, 0,
                        (int)(sizeof(bad_typed) / sizeof(bad_typed[0])));
    tcase_add_test(tc, test_emit_limits);
    suite_add_tcase(s, tc);

    tc = tcase_create("plain");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_from_plain);
    tcase_add_test(tc, test_to_plain);
    tcase_add_test(tc, test_nul);
    suite_add_tcase(s, tc);

    tc = tcase_create("chaos");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_chaos, 0, CHAOS_MAX);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    tu_json_count_allocs();
    sr = srunner_create(convert_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
