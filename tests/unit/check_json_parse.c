/*
 * check_json_parse.c: the fast JSON readers of ext/json_parse.h against
 * jansson, their reference.
 *
 * - dynamop_json_parse against json_loadb(JSON_REJECT_DUPLICATES |
 *   JSON_ALLOW_NUL): the same values (equal, and the same bytes once
 *   dumped: same key order, same reals, "\u0000" kept) on every input
 *   jansson accepts, a refusal on every input it refuses, but for the
 *   documented differences (integers too big for a json_int_t are reals
 *   here; keys holding "\u0000" are kept, checked against jansson's value
 *   for the text with "\uE000" in their place).  The corpus: every file
 *   under tests/data and fuzz/corpus, DynamoDB answers of every operation's
 *   shape, tricky strings and numbers, nesting at jansson's limit.
 * - error positions: the byte of what broke the grammar, line and column.
 * - dynamop_answer_item_text against dynamop_decode_body() +
 *   dynamo_item_to_json_text(): the same bytes, or the same error code.
 * - allocation failures: every failure is a clean NOMEM and frees all.
 *
 * Inputs are copied to heap buffers of exactly their length, so ASan
 * catches a read past LEN.
 */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "json_parse.h"
#include "wire_response.h"
#include "nulswap.h"
#include "testutil.h"

/* jansson's blocks not yet freed (tu_json_count_allocs). */
#define live_blocks tu_json_live()

static json_t *
ours(const char *s, size_t len, struct dynamop_json_error *e)
{
    char *c = tu_copy(s, len);
    json_t *v = dynamop_json_parse(c, len, e);

    free(c);
    return v;
}

/* Frees P, from jansson (json_dumps), as jansson would: counted. */
static void
jansson_free(void *p)
{
    json_free_t f;

    json_get_alloc_funcs(NULL, &f);
    f(p);
}

/* json_dumps of V, any value (jansson_free()). */
static char *
dump(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

    ck_assert_ptr_nonnull(s);
    return s;
}

/* 1 when jansson refused S only for an integer too big for a json_int_t:
 * the documented difference. */
static int
too_big_integer(const json_error_t *jerr)
{
    return json_error_code(jerr) == json_error_numeric_overflow &&
           strncmp(jerr->text, "too big", 7) == 0;
}

/* 1 when ours refused S (LEN bytes) at a NUL byte that jansson skipped:
 * the other documented difference (one right after a number or a
 * literal, which jansson's stream takes for an empty push-back buffer). */
static int
skipped_nul(const char *s, size_t len, const struct dynamop_json_error *e)
{
    return e->position < len && s[e->position] == '\0';
}

#define LOAD_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)
/* json_dumps of V with every U+E000 written as \u0000 (free()). */
static char *
dump_nul_back(const json_t *v)
{
    char *d = dump(v), *out = nulswap_out(d);

    ck_assert_ptr_nonnull(out);
    jansson_free(d);
    return out;
}

/* Parses S (LEN bytes) with both and checks they agree; NAME says which
 * input failed.  Returns 1 when jansson accepted it (or its copy with
 * "\uE000" for "\u0000", for keys holding U+0000). */
static int
compare(const char *s, size_t len, const char *name)
{
    struct dynamop_json_error e;
    json_error_t jerr;
    json_t *want = json_loadb(s, len, LOAD_FLAGS, &jerr);
    json_t *got = ours(s, len, &e);
    int swapped = 0;

    if (want == NULL && json_error_code(&jerr) == json_error_null_byte_in_key) {
        char *copy = nulswap_in(s, len);

        ck_assert_msg(copy != NULL, "%s: a NUL key and U+E000: no reference", name);
        want = json_loadb(copy, len, LOAD_FLAGS, &jerr);
        free(copy);
        swapped = 1;
    }
    if (want != NULL && got == NULL && skipped_nul(s, len, &e)) {
        json_decref(want);
        return 1;
    }
    if (want != NULL) {
        char *a, *b;

        ck_assert_msg(got != NULL, "%s: refused at byte %zu (%s), jansson accepts", name,
                      e.position, e.text);
        /* The copy's value holds U+E000 where ours holds U+0000. */
        ck_assert_msg(swapped || tu_json_equal(got, want), "%s: values differ", name);
        a = dump(got);
        b = swapped ? dump_nul_back(want) : dump(want);
        ck_assert_msg(strcmp(a, b) == 0, "%s: dumps differ:\n%s\n%s", name, a, b);
        jansson_free(a);
        if (swapped)
            free(b);
        else
            jansson_free(b);
    } else if (!too_big_integer(&jerr)) {
        ck_assert_msg(got == NULL, "%s: accepted, jansson refuses: %s", name, jerr.text);
        ck_assert_msg(e.position <= len && e.line >= 1 && e.col >= 1 && e.text[0] != '\0',
                      "%s: error without a place: %zu %d:%d '%s'", name, e.position,
                      e.line, e.col, e.text);
        /* jansson reports where its lexer stood: at or after the fault. */
        ck_assert_msg(e.position <= (size_t)jerr.position,
                      "%s: error at byte %zu (%s), jansson's at %d (%s)", name,
                      e.position, e.text, jerr.position, jerr.text);
        ck_assert_int_eq(e.nomem, 0);
    }
    json_decref(got);
    json_decref(want);
    return want != NULL;
}

/* ---- the answer -> plain text transform ------------------------------- */

/* Checks dynamop_answer_item_text on ANSWER against the slow path. */
static void
compare_text(const char *answer, size_t len, const char *name)
{
    struct dynamo_err want_err = {0}, got_err = {0};
    json_t *resp = dynamop_decode_body(answer, len, &want_err);
    const json_t *item = resp != NULL ? json_object_get(resp, "Item") : NULL;
    char *want = item != NULL ? dynamo_item_to_json_text(item, &want_err) : NULL;
    char *c = tu_copy(answer, len), *got = (char *)"unset";
    size_t got_len = 0;
    int rc = dynamop_answer_item_text(c, len, "Item", &got, &got_len, &got_err);

    free(c);
    if (want_err.code != DYNAMO_OK) {
        ck_assert_msg(rc != 0 && got == NULL, "%s: accepted, slow path says %s", name,
                      want_err.text);
        ck_assert_msg(got_err.code == want_err.code,
                      "%s: code %d (%s), slow path %d (%s)", name, got_err.code,
                      got_err.text, want_err.code, want_err.text);
    } else {
        ck_assert_msg(rc == 0, "%s: refused (%s)", name, got_err.text);
        ck_assert_int_eq(got_err.code, DYNAMO_OK);
        if (want == NULL) {
            ck_assert_msg(got == NULL, "%s: item where there is none", name);
        } else {
            ck_assert_msg(got != NULL, "%s: no item", name);
            ck_assert_msg(strcmp(got, want) == 0, "%s:\n got %s\nwant %s", name, got,
                          want);
            ck_assert_uint_eq(got_len, strlen(want));
        }
    }
    free(got);
    free(want);
    json_decref(resp);
}

/* ---- a corpus of files ------------------------------------------------- */

/* Every regular file under DIR, recursively: FN(contents, length, path). */
static int
walk(const char *dir, void (*fn)(const char *, size_t, const char *))
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    ck_assert_msg(d != NULL, "cannot open %s (run from the top of the tree)", dir);
    while ((de = readdir(d)) != NULL) {
        char path[1024];
        struct stat st;
        FILE *f;
        char *buf;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        ck_assert_int_eq(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            n += walk(path, fn);
            continue;
        }
        buf = malloc((size_t)st.st_size + 1);
        f = fopen(path, "rb");
        ck_assert_msg(buf != NULL && f != NULL, "cannot read %s", path);
        ck_assert_uint_eq(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
        fclose(f);
        fn(buf, (size_t)st.st_size, path);
        free(buf);
        n++;
    }
    closedir(d);
    return n;
}

static int accepted_files;

static void
file_case(const char *s, size_t len, const char *path)
{
    char *wrapped = malloc(len + 16);

    accepted_files += compare(s, len, path);
    compare_text(s, len, path);
    /* The file as GetItem's Item, too. */
    ck_assert_ptr_nonnull(wrapped);
    memcpy(wrapped, "{\"Item\":", 8);
    memcpy(wrapped + 8, s, len);
    wrapped[8 + len] = '}';
    compare_text(wrapped, len + 9, path);
    free(wrapped);
}

START_TEST(test_files)
{
    int n = walk("tests/data", file_case) + walk("fuzz/corpus", file_case);

    ck_assert_int_gt(n, 300);
    ck_assert_int_gt(accepted_files, 20);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* ---- valid inputs: answers and tricky values --------------------------- */

static const char *const valid[] = {
    /* Answers of each operation's shape. */
    "{}",
    "{\"Item\":{\"username\":{\"S\":\"alice\"},\"age\":{\"N\":\"42\"},\"ok\":{\"BOOL\":"
    "true},\"nick\":{\"NULL\":true},\"tags\":{\"SS\":[\"a\",\"b\"]},\"n\":{\"NS\":[\"1\","
    "\"2.5\"]},\"bin\":{\"B\":\"AAEC\"},\"bs\":{\"BS\":[\"AA==\"]},\"l\":{\"L\":[{\"S\":"
    "\"x\"},{\"M\":{\"k\":{\"N\":\"-1E+10\"}}}]}}}",
    "{\"Attributes\":{\"id\":{\"S\":\"1\"}},\"ConsumedCapacity\":{\"TableName\":"
    "\"users\","
    "\"CapacityUnits\":1.0,\"WriteCapacityUnits\":1.0}}",
    "{\"Count\":2,\"Items\":[{\"id\":{\"S\":\"a\"}},{\"id\":{\"S\":\"b\"}}],"
    "\"LastEvaluatedKey\":{\"id\":{\"S\":\"b\"}},\"ScannedCount\":2}",
    "{\"Responses\":{\"users\":[{\"id\":{\"S\":\"a\"}}]},\"UnprocessedKeys\":{}}",
    "{\"UnprocessedItems\":{\"users\":[{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"a\"}}}}"
    "]}}",
    "{\"Responses\":[{\"Item\":{\"id\":{\"S\":\"a\"}}},{}]}",
    "{\"Table\":{\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":"
    "\"S\"}],\"TableName\":\"users\",\"KeySchema\":[{\"AttributeName\":\"id\","
    "\"KeyType\":"
    "\"HASH\"}],\"TableStatus\":\"ACTIVE\",\"CreationDateTime\":1.7167344E9,"
    "\"ProvisionedThroughput\":{\"LastIncreaseDateTime\":0.000,"
    "\"NumberOfDecreasesToday\":0,"
    "\"ReadCapacityUnits\":0,\"WriteCapacityUnits\":0},\"TableSizeBytes\":0,"
    "\"ItemCount\":0,"
    "\"TableArn\":\"arn:aws:dynamodb:ddblocal:000000000000:table/users\","
    "\"BillingModeSummary\":{\"BillingMode\":\"PAY_PER_REQUEST\","
    "\"LastUpdateToPayPerRequestDateTime\":1.716734412345E9},"
    "\"DeletionProtectionEnabled\":"
    "false}}",
    "{\"TableNames\":[\"groups\",\"users\"],\"LastEvaluatedTableName\":\"users\"}",
    "{\"TimeToLiveDescription\":{\"TimeToLiveStatus\":\"DISABLED\"}}",
    "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\","
    "\"message\":\"The conditional request failed\"}",
    "{\"__type\":\"com.amazonaws.dynamodb.v20120810#TransactionCanceledException\","
    "\"CancellationReasons\":[{\"Code\":\"None\"},{\"Code\":\"ConditionalCheckFailed\","
    "\"Message\":\"The conditional request failed\"}],\"Message\":\"Transaction "
    "cancelled\"}",
    /* Whitespace, every kind, everywhere. */
    " \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" :\n{ } } \n",
    "[]",
    "[[],{},[[]],{\"\":{}}]",
    /* Strings. */
    "[\"\",\"plain\",\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",
    "[\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\\uD83D\\uDE00\"]",
    "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xef\xbf\xbf\"]",
    "[\"\x7f\",\"\\u007f\",\"\\u0001\\u001f\"]",
    "{\"k\\u00e9y\":1,\"k\xc3\xa9y2\":2,\"k\\u00E9y\\n\":3}",
    "{\"a\":1,\"A\":2,\"a \":3,\"\\u0061b\":4}",
    /* U+0000: a byte of the string, which keeps its length; in keys too
     * ("k" and "k\0" are two keys), at every depth. */
    "[\"\\u0000\",\"a\\u0000b\",\"\\u0000\\u0000\",\"\\u0000\\u00e9\\ud83d\\ude00\"]",
    "{\"k\\u0000\":{\"\\u0000\":[\"x\\u0000\"]},\"k\":1,\"k\\u0000\\u0000\":2}",
    "{\"Item\":{\"s\":{\"S\":\"a\\u0000b\"},\"ss\":{\"SS\":[\"a\\u0000b\",\"a\\u0000c\"]},"
    "\"n\\u0000m\":{\"M\":{\"k\\u0000\":{\"L\":[{\"S\":\"\\u0000\"}]}}}}}",
    /* Numbers. */
    "[0,-0,1,-1,9223372036854775807,-9223372036854775808]",
    "[0.0,-0.0,1.5,-1.5,1e0,1E0,1e+2,1E-2,0.1e-400,1e308,1.7976931348623157e308]",
    "[123456789012345678901234567890.5,0.00000000000000000000000000001]",
    "[4.9e-324,2.2250738585072014e-308,1e-400]",
    /* Literals. */
    "[true,false,null]",
    "{\"t\":true,\"f\":false,\"n\":null}",
};

START_TEST(test_valid)
{
    const char *s = valid[_i];

    ck_assert_msg(compare(s, strlen(s), s) == 1, "jansson refuses %s", s);
    compare_text(s, strlen(s), s);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* ---- invalid inputs, with where ours says the fault is ------------------ */

static const struct {
    const char *text;
    size_t position;
    int line, col;
    const char *msg;
} invalid[] = {
    {"", 0, 1, 1, "unexpected end of input, expected '{' or '['"},
    {"  ", 2, 1, 3, "unexpected end of input, expected '{' or '['"},
    {"42", 0, 1, 1, "expected '{' or '['"},
    {"\"s\"", 0, 1, 1, "expected '{' or '['"},
    {"null", 0, 1, 1, "expected '{' or '['"},
    {"{", 1, 1, 2, "unexpected end of input, expected a string (an object key)"},
    {"[", 1, 1, 2, "unexpected end of input, expected a value"},
    {"[1", 2, 1, 3, "unexpected end of input, expected ',' or ']'"},
    {"[1,]", 3, 1, 4, "expected a value"},
    {"[1 2]", 3, 1, 4, "expected ',' or ']'"},
    {"{\"a\" 1}", 5, 1, 6, "expected ':'"},
    {"{\"a\":1,}", 7, 1, 8, "expected a string (an object key)"},
    {"{\"a\":1 \"b\":2}", 7, 1, 8, "expected ',' or '}'"},
    {"{1:2}", 1, 1, 2, "expected a string (an object key)"},
    {"{\"a\":1}x", 7, 1, 8, "unexpected text after the value"},
    {"{\"a\":1}{}", 7, 1, 8, "unexpected text after the value"},
    {"[]\n\n  ]", 6, 3, 3, "unexpected text after the value"},
    {"{\"a\":1,\"a\":2}", 7, 1, 8, "duplicate object key"},
    {"{\"a\":1,\"\\u0061\":2}", 7, 1, 8, "duplicate object key"},
    {"[{\"x\":[],\n\"x\":{}}]", 10, 2, 1, "duplicate object key"},
    {"[tru]", 1, 1, 2, "invalid literal, expected 'true'"},
    {"[nul", 1, 1, 2, "invalid literal, expected 'null'"},
    {"[True]", 1, 1, 2, "expected a value"},
    {"[falsey]", 6, 1, 7, "expected ',' or ']'"},
    {"[NaN]", 1, 1, 2, "expected a value"},
    {"[+1]", 1, 1, 2, "expected a value"},
    {"[.5]", 1, 1, 2, "expected a value"},
    {"[01]", 1, 1, 2, "invalid number: leading zeros are not allowed"},
    {"[-]", 2, 1, 3, "invalid number: expected a digit"},
    {"[1.]", 3, 1, 4, "invalid number: expected a digit after '.'"},
    {"[1e+]", 4, 1, 5, "invalid number: expected a digit in the exponent"},
    {"[1.5.3]", 4, 1, 5, "expected ',' or ']'"},
    {"[0x10]", 2, 1, 3, "expected ',' or ']'"},
    {"[1e309]", 1, 1, 2, "number out of range of a double"},
    {"[-1e400]", 1, 1, 2, "number out of range of a double"},
    {"[\"x]", 4, 1, 5, "unexpected end of input in a string"},
    {"[\"x\\", 4, 1, 5, "unexpected end of input in a string"},
    {"[\"\x01\"]", 2, 1, 3, "control character U+0001 in a string must be escaped"},
    {"[\"a\nb\"]", 3, 1, 4, "control character U+000A in a string must be escaped"},
    {"[\"\\q\"]", 2, 1, 3, "invalid escape '\\q'"},
    {"[\"\\u12\"]", 2, 1, 3, "expected four hex digits after \\u"},
    {"[\"\\ud800\"]", 2, 1, 3, "lone high surrogate \\uD800"},
    {"[\"\\ud800\\u0041\"]", 2, 1, 3, "lone high surrogate \\uD800"},
    {"[\"x\\udc00\"]", 3, 1, 4, "lone low surrogate \\uDC00"},
    {"{\"a\\u0000\":1,\"a\\u0000\":2}", 13, 1, 14, "duplicate object key"},
    {"[{\"\\u0000\":1,\"\\u0000\":2}]", 13, 1, 14, "duplicate object key"},
    {"[\"\\u0000\\ud800\"]", 8, 1, 9, "lone high surrogate \\uD800"},
    {"[\"\xc3\x28\"]", 2, 1, 3, "invalid UTF-8 in a string"},
    {"[\"\xc0\xaf\"]", 2, 1, 3, "invalid UTF-8 in a string"},         /* overlong */
    {"[\"\xed\xa0\x80\"]", 2, 1, 3, "invalid UTF-8 in a string"},     /* surrogate */
    {"[\"\xf4\x90\x80\x80\"]", 2, 1, 3, "invalid UTF-8 in a string"}, /* > U+10FFFF */
    {"[\"\xe2\x82\"]", 2, 1, 3, "invalid UTF-8 in a string"},         /* truncated */
    {"[\"\xc3\xa9\",\xff]", 6, 1, 6, "expected a value"}, /* columns count characters */
    {"[\"\xc3\xa9\" 1]", 6, 1, 6, "expected ',' or ']'"},
    {"\xef\xbb\xbf{}", 0, 1, 1, "expected '{' or '['"}, /* a BOM is not JSON */
};

START_TEST(test_invalid)
{
    const char *s = invalid[_i].text;
    struct dynamop_json_error e;
    json_t *v;

    ck_assert_int_eq(compare(s, strlen(s), s), 0);
    v = ours(s, strlen(s), &e);
    ck_assert_ptr_null(v);
    ck_assert_msg(strncmp(e.text, invalid[_i].msg, strlen(invalid[_i].msg)) == 0,
                  "case %d: got \"%s\", want \"%s\"", _i, e.text, invalid[_i].msg);
    ck_assert_uint_eq(e.position, invalid[_i].position);
    ck_assert_int_eq(e.line, invalid[_i].line);
    ck_assert_int_eq(e.col, invalid[_i].col);
    compare_text(s, strlen(s), s);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* The decoder's error says where, with jansson's old wording. */
START_TEST(test_decode_body_error)
{
    struct dynamo_err err = {0};

    ck_assert_ptr_null(dynamop_decode_body("{\"a\":1,}", 8, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_BAD_RESPONSE);
    ck_assert_str_eq(err.text,
                     "invalid JSON in response at byte 7: expected a string (an "
                     "object key)");
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(dynamop_decode_body("[1]", 3, &err));
    ck_assert_str_eq(err.text, "response is not a JSON object");
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* An error answer echoing a string with U+0000 (as DynamoDB's duplicate-set
 * message does) keeps its __type, and its message shows the NUL. */
START_TEST(test_decode_error_nul)
{
    static const char body[] =
        "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ValidationException\",\"message\":"
        "\"Input collection [a\\u0000b, a\\u0000b] contains duplicates\",\"Item\":{\"k\\u0000\":"
        "{\"S\":\"\\u0000\"}}}";
    struct dynamo_err err = {0};

    ck_assert_int_eq(dynamop_decode_error(400, body, strlen(body), "RID", &err),
                     DYNAMOP_RETRY_NO);
    ck_assert_int_eq(err.code, DYNAMO_ERR_VALIDATION);
    ck_assert_str_eq(err.type, "ValidationException");
    ck_assert_str_eq(err.text, "ValidationException: Input collection [a\\u0000b, a\\u0000b] "
                               "contains duplicates (HTTP 400)");
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* ---- numbers: the documented difference and the edges ------------------ */

START_TEST(test_numbers)
{
    static const char text[] = "[9223372036854775808,-9223372036854775809,"
                               "-9223372036854775808,100000000000000000000000]";
    struct dynamop_json_error e;
    json_t *v = ours(text, sizeof(text) - 1, &e);

    ck_assert_msg(v != NULL, "%s", e.text);
    /* jansson refuses these ("too big integer"); here they are reals. */
    ck_assert(json_is_real(json_array_get(v, 0)));
    ck_assert(json_real_value(json_array_get(v, 0)) == 9223372036854775808.0);
    ck_assert(json_real_value(json_array_get(v, 1)) == -9223372036854775808.0);
    ck_assert(json_is_integer(json_array_get(v, 2)));
    ck_assert(json_integer_value(json_array_get(v, 2)) == INT64_MIN);
    ck_assert(json_real_value(json_array_get(v, 3)) == 1e23);
    json_decref(v);
    ck_assert_int_eq(compare("[9223372036854775808]", 21, "too big"), 0);
    /* jansson skips one NUL byte after a number or a literal; not here. */
    ck_assert_ptr_nonnull(v = json_loadb("[1\0,true\0]", 10, 0, NULL));
    json_decref(v);
    ck_assert_ptr_null(ours("[1\0,true\0]", 10, &e));
    ck_assert_uint_eq(e.position, 2);
    /* A number at the very end of the buffer: strtod must not read on. */
    ck_assert_int_eq(compare("[1.5]", 4, "cut"), 0);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* ---- nesting at jansson's limit ------------------------------------------ */

/* N '[' then INNER then N ']' (free()). */
static char *
nested(int n, const char *inner)
{
    size_t li = strlen(inner);
    char *s = malloc(2 * (size_t)n + li + 1);

    ck_assert_ptr_nonnull(s);
    memset(s, '[', (size_t)n);
    memcpy(s + n, inner, li);
    memset(s + n + li, ']', (size_t)n);
    s[2 * n + li] = '\0';
    return s;
}

START_TEST(test_depth)
{
    static const struct {
        int n;
        const char *inner;
        int ok;
    } cases[] = {
        {JSON_PARSER_MAX_DEPTH - 1, "1", 1}, {JSON_PARSER_MAX_DEPTH, "", 1},
        {JSON_PARSER_MAX_DEPTH, "1", 0},     {JSON_PARSER_MAX_DEPTH, "{}", 0},
        {JSON_PARSER_MAX_DEPTH + 1, "", 0},  {JSON_PARSER_MAX_DEPTH * 4, "", 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = nested(cases[i].n, cases[i].inner), *a;

        ck_assert_int_eq(compare(s, strlen(s), "nested"), cases[i].ok);
        /* The same depth below an answer's member, outside the item. */
        a = malloc(strlen(s) + 8);
        ck_assert_ptr_nonnull(a);
        snprintf(a, strlen(s) + 8, "{\"x\":%s}", s);
        compare_text(a, strlen(a), "nested member");
        free(a);
        free(s);
    }
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* ---- answers: typed item -> plain text ------------------------------------ */

static const char *const answers[] = {
    "",
    "{}",
    "  {\"ConsumedCapacity\":{\"CapacityUnits\":0.5}}  ",
    "{\"Item\":{}}",
    "{\"\":1,\"x\":{\"\":[]},\"Item\":{\"\":{\"S\":\"\"}}}",
    "{\"\":1,\"\":2}",
    "{\"Item\":{\"a\":{\"S\":\"x\"}},\"ConsumedCapacity\":{\"CapacityUnits\":0.5}}",
    "{\"ConsumedCapacity\":{\"CapacityUnits\":0.5},\"Item\":{\"a\":{\"S\":\"x\"}}}",
    /* Every type, with whitespace. */
    "{ \"Item\" : { \"s\" : { \"S\" : \"x\" } , \"n\" : { \"N\" : \"-1.50E+10\" } ,"
    " \"b\" : { \"B\" : \"AAEC\" } , \"t\" : { \"BOOL\" : true } , \"f\" : { \"BOOL\" :"
    " false } , \"z\" : { \"NULL\" : true } , \"l\" : { \"L\" : [ { \"S\" : \"y\" } , {"
    " \"N\" : \"0\" } ] } , \"m\" : { \"M\" : { \"k\" : { \"L\" : [ ] } , \"e\" : { \"M\""
    " : { } } } } , \"ss\" : { \"SS\" : [ \"a\" , \"b\" ] } , \"ns\" : { \"NS\" : [ \"1\""
    " , \"2.5\" ] } , \"bs\" : { \"BS\" : [ \"AA==\" ] } } }",
    /* Escapes: decoded, then written the emitter's way. */
    "{\"Item\":{\"k\\u00e9y\\\"\":{\"S\":\"\\u0041\\/"
    "\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001F"
    "\\u007f\\ud83d\\ude00\"},\"raw\":{\"S\":\"caf\xc3\xa9\x7f\"}}}",
    "{\"Item\":{\"n\":{\"N\":\"\\u0031\\u0032\"},\"ns\":{\"NS\":[\"\\u002d1\"]},"
    "\"ss\":{\"SS\":[\"\\u000a\"]},\"\\u0053\":{\"\\u0053\":\"tag spelt with an "
    "escape\"}}}",
    /* Nesting: 32 levels of L / M are allowed, 33 are not. */
    "{\"Item\":{\"a\":{\"L\":[{\"L\":[{\"M\":{\"b\":{\"L\":[]}}}]}]}}}",
    /* Errors in the item, each a DYNAMO_ERR_BAD_RESPONSE. */
    "{\"Item\":[]}",
    "{\"Item\":null}",
    "{\"Item\":\"x\"}",
    "{\"Item\":{\"a\":1}}",
    "{\"Item\":{\"a\":{}}}",
    "{\"Item\":{\"a\":{\"S\":\"x\",\"N\":\"1\"}}}",
    "{\"Item\":{\"a\":{\"S\":\"x\",\"S\":\"y\"}}}",
    "{\"Item\":{\"a\":{\"X\":\"x\"}}}",
    "{\"Item\":{\"a\":{\"S\":1}}}",
    "{\"Item\":{\"a\":{\"N\":\"1x\"}}}",
    "{\"Item\":{\"a\":{\"N\":\"01\"}}}",
    "{\"Item\":{\"a\":{\"N\":1}}}",
    "{\"Item\":{\"a\":{\"BOOL\":\"true\"}}}",
    "{\"Item\":{\"a\":{\"BOOL\":null}}}",
    "{\"Item\":{\"a\":{\"NULL\":false}}}",
    "{\"Item\":{\"a\":{\"L\":{}}}}",
    "{\"Item\":{\"a\":{\"L\":[1]}}}",
    "{\"Item\":{\"a\":{\"M\":[]}}}",
    "{\"Item\":{\"a\":{\"SS\":[1]}}}",
    "{\"Item\":{\"a\":{\"NS\":[\"x\"]}}}",
    "{\"Item\":{\"a\":{\"BS\":\"AA==\"}}}",
    /* JSON errors inside and outside the item. */
    "{\"Item\":{\"a\":{\"S\":\"x\"},\"a\":{\"S\":\"y\"}}}",
    "{\"Item\":{\"m\":{\"M\":{\"k\":{\"S\":\"x\"},\"\\u006b\":{\"S\":\"y\"}}}}}",
    "{\"Item\":{},\"Item\":{}}",
    "{\"Item\":{\"a\":{\"S\":\"x\"}},\"C\":{\"u\":1,\"u\":2}}",
    "{\"C\":{\"u\":[1,{\"v\":1,\"v\":1}]},\"Item\":{}}",
    "{\"Item\":{\"a\":{\"S\":\"x\"}},\"C\":1e999}",
    "{\"Item\":{\"a\":{\"S\":\"x\"}},\"C\":123456789012345678901234567890}",
    "{\"Item\":{\"a\":{\"S\":\"x\"}}} x",
    "{\"Item\":{\"a\":{\"S\":\"x\"}}",
    /* U+0000 in S, SS, names, map keys, a tag, a number. */
    "{\"Item\":{\"a\":{\"S\":\"x\\u0000\"}}}",
    "{\"Item\":{\"a\\u0000\":{\"SS\":[\"\\u0000\",\"a\\u0000b\",\"a\\u0000c\"]},\"a\":{\"M\":"
    "{\"\\u0000\":{\"L\":[{\"S\":\"\\u0000\\u0000\"},{\"M\":{\"k\\u0000\":{\"NULL\":true}}}]}}}}}",
    "{\"Item\":{\"a\\u0000\":{\"S\":\"x\"},\"a\\u0000\":{\"S\":\"y\"}}}",
    "{\"Item\":{\"a\":{\"S\\u0000\":\"x\"}}}",
    "{\"Item\":{\"a\":{\"N\":\"1\\u0000\"}}}",
    "{\"Item\":{\"a\":{\"NS\":[\"\\u0000\"]}}}",
    "{\"\\u0000\":{\"\\u0000\":[\"\\u0000\"]},\"Item\":{\"\\u0000\":{\"B\":\"AA==\"}}}",
    "{\"Item\":{\"a\":{\"S\":\"x\xff\"}}}",
    "{\"Item\":{\"a\":{\"BOOL\":tru}}}",
    "[{\"Item\":{}}]",
    "{\"item\":{\"a\":{\"S\":\"not the field: names are case-sensitive\"}}}",
};

START_TEST(test_answers)
{
    compare_text(answers[_i], strlen(answers[_i]), answers[_i]);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* The typed-item errors name the attribute, as the emitter does. */
START_TEST(test_answer_errors)
{
    static const struct {
        const char *answer, *text;
    } cases[] = {
        {"{\"Item\":[]}", "expected a typed item (an object)"},
        {"{\"Item\":{\"a\":{\"M\":{\"b\":{\"L\":[{\"S\":1}]}}}}}",
         "attribute 'a.b[0]': 'S' needs a string"},
        {"{\"Item\":{\"a\":{\"NS\":[\"1\",\"x\"]}}}",
         "attribute 'a': 'NS' element 1 is not a number in a string"},
        {"{\"Item\":{\"a\":{\"Q\":1}}}", "attribute 'a': unknown type tag 'Q'"},
        {"{\"Item\":{\"a\":{\"S\":\"x\"},}}",
         "invalid JSON in response at byte 23: expected a string (an object key)"},
        /* Where the compact fast paths hand over to the general reader. */
        {"{\"Item\":{\"a\":{\"N\":\"1x\"}}}",
         "attribute 'a': 'N' needs a number in a string"},
        {"{\"Item\":{\"a\":{\"S\":\"x\"} ,\"b\":{\"N\":\"01\"}}}",
         "attribute 'b': 'N' needs a number in a string"},
        {"{\"Item\":{\"a\":{\"S\":\"x\"},\"a\":{\"S\":\"y\"}}}",
         "invalid JSON in response at byte 23: duplicate object key"},
        {"{\"Item\":{\"m\":{\"M\":{\"k\":{\"S\":\"x\"},\"k\":{\"N\":\"1\"}}}}}",
         "invalid JSON in response at byte 33: duplicate object key"},
        {"{\"C\":{\"k\":1,\"k\":2},\"Item\":{}}",
         "invalid JSON in response at byte 12: duplicate object key"},
        {"{\"C\":{\"k\":1,\"\\u006b\":2},\"Item\":{}}",
         "invalid JSON in response at byte 12: duplicate object key"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct dynamo_err err = {0};
        char *plain = NULL;
        size_t len;

        ck_assert_int_eq(dynamop_answer_item_text(cases[i].answer,
                                                  strlen(cases[i].answer), "Item", &plain,
                                                  &len, &err),
                         -1);
        ck_assert_ptr_null(plain);
        ck_assert_int_eq(err.code, DYNAMO_ERR_BAD_RESPONSE);
        ck_assert_str_eq(err.text, cases[i].text);
    }
}
END_TEST

/* U+0000 in S, SS members and names comes out as \u0000, by length, the
 * bytes the emitter writes; a raw NUL byte stays refused. */
START_TEST(test_answer_nul)
{
    static const char answer[] =
        "{\"Item\":{\"s\":{\"S\":\"a\\u0000b\"},\"n\\u0000m\":{\"SS\":[\"\\u0000\","
        "\"a\\u0000\"]},\"m\":{\"M\":{\"\\u0000\":{\"S\":\"\\u0000\"}}}}}";
    static const char want[] = "{\"s\":\"a\\u0000b\",\"n\\u0000m\":[\"\\u0000\",\"a\\u0000\"],"
                               "\"m\":{\"\\u0000\":\"\\u0000\"}}";
    struct dynamo_err err = {0};
    struct dynamop_json_error e;
    const json_t *item, *ss;
    json_t *resp;
    char *plain = NULL;
    size_t len = 0;

    ck_assert_int_eq(
        dynamop_answer_item_text(answer, strlen(answer), "Item", &plain, &len, &err), 0);
    ck_assert_str_eq(plain, want);
    ck_assert_uint_eq(len, strlen(want));
    free(plain);
    compare_text(answer, strlen(answer), "nul");
    /* The parsed values keep their lengths. */
    resp = ours(answer, strlen(answer), &e);
    ck_assert_ptr_nonnull(resp);
    item = json_object_get(resp, "Item");
    ck_assert_uint_eq(json_object_size(item), 3);
    ck_assert_uint_eq(json_string_length(json_object_get(json_object_get(item, "s"), "S")),
                      3);
    ss = json_object_get(json_object_getn(item, "n\0m", 3), "SS");
    ck_assert_uint_eq(json_array_size(ss), 2);
    ck_assert_mem_eq(json_string_value(json_array_get(ss, 1)), "a\0", 3);
    ck_assert_uint_eq(json_string_length(json_array_get(ss, 1)), 2);
    ck_assert_ptr_nonnull(
        json_object_getn(json_object_get(json_object_get(item, "m"), "M"), "\0", 1));
    json_decref(resp);
    /* A raw NUL byte in a string is a control character, in both readers. */
    ck_assert_ptr_null(ours("{\"a\":\"x\0y\"}", 11, &e));
    ck_assert_uint_eq(e.position, 7);
    ck_assert_str_eq(e.text, "control character U+0000 in a string must be escaped");
    compare_text("{\"Item\":{\"a\":{\"S\":\"x\0\"}}}", 25, "raw NUL");
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* Depth limit of the item: 32 levels of L / M, as the emitter. */
START_TEST(test_answer_depth)
{
    char buf[2048];

    for (int levels = 31; levels <= 34; levels++) {
        size_t n = (size_t)snprintf(buf, sizeof(buf), "{\"Item\":{\"a\":");

        for (int i = 0; i < levels; i++)
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"L\":[");
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"S\":\"x\"}");
        for (int i = 0; i < levels; i++)
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "]}");
        snprintf(buf + n, sizeof(buf) - n, "}}");
        compare_text(buf, strlen(buf), "deep");
    }
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* The item of every accepted plain body in fuzz/corpus/fuzz_convert, typed
 * and dumped the ways jansson can (escaped to ASCII, '/' escaped, indented),
 * comes out as the emitter writes it. */
static void
typed_case(const char *s, size_t len, const char *path)
{
    static const size_t flags[] = {JSON_COMPACT, JSON_ENSURE_ASCII,
                                   JSON_ESCAPE_SLASH | JSON_INDENT(2), JSON_INDENT(1)};
    struct dynamo_err err = {0};
    json_t *item = dynamo_item_from_json_text(s, len, &err), *answer;

    if (item == NULL)
        return;
    answer = json_pack("{s:o,s:{s:f}}", "Item", item, "ConsumedCapacity", "CapacityUnits",
                       0.5);
    ck_assert_ptr_nonnull(answer);
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        char *text = json_dumps(answer, flags[i]);

        ck_assert_ptr_nonnull(text);
        compare_text(text, strlen(text), path);
        jansson_free(text);
    }
    json_decref(answer);
}

START_TEST(test_typed_items)
{
    ck_assert_int_gt(walk("fuzz/corpus/fuzz_convert", typed_case), 10);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

/* ---- allocation failures ------------------------------------------------- */

static const char chaos_answer[] =
    "{\"Item\":{\"k\\u00e9y\\u0000\":{\"S\":\"v\\nal\\u0000\\ud83d\\ude00\"},\"n\":{\"L\":[{\"N\":"
    "\"1.5E+10\"},{\"M\":{\"\\\"m\\\"\":{\"BOOL\":true}}}]},\"ss\":{\"SS\":[\"a\",\"b\"]}"
    "},"
    "\"ConsumedCapacity\":{\"TableName\":\"t\",\"CapacityUnits\":0.5,\"x\":[1,-2,\"\\t\"]"
    "}}";

START_TEST(test_chaos_parse)
{
    json_t *want = ours(chaos_answer, strlen(chaos_answer), NULL), *got;
    struct dynamop_json_error e;
    long n, base = live_blocks;

    ck_assert_ptr_nonnull(want);
    for (n = 1; n < 100000; n++) {
        util_alloc_fail_at(n);
        got = dynamop_json_parse(chaos_answer, strlen(chaos_answer), &e);
        util_alloc_fail_at(0);
        if (got != NULL) {
            ck_assert(tu_json_equal(got, want));
            json_decref(got);
            break;
        }
        ck_assert_msg(e.nomem == 1, "n=%ld: %s", n, e.text);
        ck_assert_msg(live_blocks == base, "n=%ld: %ld blocks leaked", n,
                      live_blocks - base);
    }
    ck_assert_msg(n > 10, "only %ld allocations", n);
    json_decref(want);
    ck_assert_int_eq(live_blocks, 0);
}
END_TEST

START_TEST(test_chaos_text)
{
    /* Many keys outside the item, so the key table grows too. */
    char answer[8192], *want = NULL, *got;
    struct dynamo_err err = {0};
    size_t n = 0, len;
    long k;

    n += (size_t)snprintf(answer, sizeof(answer), "{\"C\":{");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(answer + n, sizeof(answer) - n, "%s\"k%d\":%d",
                              i ? "," : "", i, i);
    snprintf(answer + n, sizeof(answer) - n, "},\"I\":%s", chaos_answer + 8);
    ck_assert_int_eq(
        dynamop_answer_item_text(answer, strlen(answer), "I", &want, &len, &err), 0);
    ck_assert_ptr_nonnull(want);
    for (k = 1; k < 100000; k++) {
        memset(&err, 0, sizeof(err));
        util_alloc_fail_at(k);
        got = NULL;
        n = dynamop_answer_item_text(answer, strlen(answer), "I", &got, &len, &err) == 0;
        util_alloc_fail_at(0);
        if (n) {
            ck_assert_str_eq(got, want);
            free(got);
            break;
        }
        ck_assert_ptr_null(got);
        ck_assert_msg(err.code == DYNAMO_ERR_NOMEM, "k=%ld: %s", k, err.text);
    }
    ck_assert_msg(k > 3, "only %ld allocations", k);
    free(want);
}
END_TEST

/* A test case NAME in S, with a timeout and the leak check. */
static TCase *
add_case(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, tu_leak_check);
    suite_add_tcase(s, tc);
    return tc;
}

static Suite *
json_parse_suite(void)
{
    Suite *s = suite_create("json_parse");
    TCase *tc = add_case(s, "jansson");

    tcase_add_test(tc, test_files);
    tcase_add_loop_test(tc, test_valid, 0, (int)(sizeof(valid) / sizeof(valid[0])));
    tcase_add_loop_test(tc, test_invalid, 0, (int)(sizeof(invalid) / sizeof(invalid[0])));
    tcase_add_test(tc, test_decode_body_error);
    tcase_add_test(tc, test_decode_error_nul);
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_depth);
    tc = add_case(s, "answer_text");
    tcase_add_loop_test(tc, test_answers, 0, (int)(sizeof(answers) / sizeof(answers[0])));
    tcase_add_test(tc, test_answer_errors);
    tcase_add_test(tc, test_answer_nul);
    tcase_add_test(tc, test_answer_depth);
    tcase_add_test(tc, test_typed_items);
    tc = add_case(s, "chaos");
    tcase_add_test(tc, test_chaos_parse);
    tcase_add_test(tc, test_chaos_text);
    return s;
}

int
main(void)
{
    tu_json_count_allocs();
    return tu_run(json_parse_suite());
}
