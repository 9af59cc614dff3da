/*
 * check_http_parse.c: the plain transport's HTTP/1.1 response parser
 * (ext/http_parse.h) on byte strings: heads (status line, framing, the
 * headers the client keeps, what is refused) and chunked bodies, whole and
 * cut at every byte.  The transport itself, on sockets, is exercised by
 * check_faults (every fault and wire form, on both transports).
 *
 * Inputs are copied to heap buffers of exactly their length, so ASan
 * catches a read past the end.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire_parse.h"
#include "testutil.h"

/* Parses the head TEXT (which must be complete and nothing more).  Returns
 * what dynamop_http_parse_head returns; *WHY on failure. */
static int
parse(const char *text, struct dynamop_http_head *h, const char **why)
{
    size_t len = strlen(text);
    char *buf = tu_copy(text, len);
    int rc;

    ck_assert_uint_eq(dynamop_http_head_len(buf, len), len);
    *why = NULL;
    rc = dynamop_http_parse_head(buf, len, h, why);
    free(buf);
    if (rc != 0)
        ck_assert_msg(*why != NULL && **why != '\0', "no reason for '%s'", text);
    return rc;
}

static struct dynamop_http_head
parse_ok(const char *text)
{
    struct dynamop_http_head h;
    const char *why;

    ck_assert_msg(parse(text, &h, &why) == 0, "'%s': %s", text, why);
    return h;
}

START_TEST(test_head_len)
{
    static const struct {
        const char *text;
        size_t want;
    } cases[] = {
        {"", 0},
        {"HTTP/1.1 200 OK\r\n", 0},
        {"HTTP/1.1 200 OK\r\n\r", 0},
        {"HTTP/1.1 200 OK\r\n\r\n", 19},
        {"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody\r\n\r\n", 25},
        {"\r\n\r\n", 4},
        {"HTTP/1.1 200 OK\n\n", 0}, /* bare LFs never end a head */
        {"\r\r\n\r\n", 5},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = strlen(cases[i].text);
        char *buf = tu_copy(cases[i].text, len);

        ck_assert_msg(dynamop_http_head_len(buf, len) == cases[i].want, "case %zu: %zu", i,
                      dynamop_http_head_len(buf, len));
        free(buf);
    }
}
END_TEST

START_TEST(test_head_framing)
{
    struct dynamop_http_head h;

    h = parse_ok("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
    ck_assert_int_eq(h.status, 200);
    ck_assert_int_eq(h.framing, DYNAMOP_HTTP_BODY_LENGTH);
    ck_assert_uint_eq(h.length, 5);
    ck_assert_int_eq(h.close, 0);

    h = parse_ok("HTTP/1.1 400\r\ncontent-length:0\r\n\r\n"); /* no reason, no blank */
    ck_assert_int_eq(h.status, 400);
    ck_assert_uint_eq(h.length, 0);

    h = parse_ok("HTTP/1.1 200 OK\r\nContent-Length: 7 \r\nContent-Length: 7\r\n\r\n");
    ck_assert_uint_eq(h.length, 7); /* the same length twice is one length */

    h = parse_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    ck_assert_int_eq(h.framing, DYNAMOP_HTTP_BODY_CHUNKED);
    ck_assert_int_eq(h.close, 0);

    h = parse_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, CHUNKED\r\n\r\n");
    ck_assert_int_eq(h.framing, DYNAMOP_HTTP_BODY_CHUNKED);

    /* Both: chunked wins and the connection is not trusted after. */
    h = parse_ok("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
    ck_assert_int_eq(h.framing, DYNAMOP_HTTP_BODY_CHUNKED);
    ck_assert_int_eq(h.close, 1);

    h = parse_ok("HTTP/1.1 200 OK\r\nX-A: b\r\n\r\n");
    ck_assert_int_eq(h.framing, DYNAMOP_HTTP_BODY_EOF);
    ck_assert_int_eq(h.close, 1);

    for (int i = 0; i < 3; i++) {
        static const char *const none[] = {"HTTP/1.1 204 No Content\r\n\r\n",
                                           "HTTP/1.1 304 Not Modified\r\n\r\n",
                                           "HTTP/1.1 100 Continue\r\n\r\n"};

        h = parse_ok(none[i]);
        ck_assert_int_eq(h.framing, DYNAMOP_HTTP_BODY_NONE);
        ck_assert_int_eq(h.close, 0);
    }
}
END_TEST

START_TEST(test_head_connection)
{
    ck_assert_int_eq(parse_ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").close, 0);
    ck_assert_int_eq(parse_ok("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").close, 1);
    ck_assert_int_eq(
        parse_ok("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n")
            .close,
        0);
    ck_assert_int_eq(
        parse_ok("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").close,
        1);
    ck_assert_int_eq(
        parse_ok("HTTP/1.1 200 OK\r\nconnection: keep-alive, Close\r\nContent-Length: 0\r\n"
                 "\r\n")
            .close,
        1);
    ck_assert_int_eq(
        parse_ok("HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n").close,
        0);
}
END_TEST

START_TEST(test_head_amz)
{
    struct dynamop_http_head h;
    char text[512];

    h = parse_ok("HTTP/1.1 200 OK\r\nx-amzn-RequestId:  ABC-123 \r\nX-Amz-Crc32: 4294967295"
                 "\r\nContent-Length: 2\r\n\r\n");
    ck_assert_str_eq(h.request_id, "ABC-123");
    ck_assert_int_eq(h.has_crc32, 1);
    ck_assert_uint_eq(h.crc32, 4294967295UL);

    h = parse_ok("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
    ck_assert_str_eq(h.request_id, "");
    ck_assert_int_eq(h.has_crc32, 0);

    /* A request id longer than the field is cut, not overrun. */
    snprintf(text, sizeof(text), "HTTP/1.1 200 OK\r\nx-amzn-requestid: %0100d\r\n\r\n", 7);
    h = parse_ok(text);
    ck_assert_uint_eq(strlen(h.request_id), sizeof(h.request_id) - 1);
}
END_TEST

/* Heads refused, each with a reason. */
START_TEST(test_head_refused)
{
    static const char *const bad[] = {
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.2 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2OO OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n",
        "http/1.1 200 OK\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
        "\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\nc\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nx-amz-crc32: 4294967296\r\n\r\n",
        "HTTP/1.1 200 OK\r\nx-amz-crc32: -1\r\n\r\n",
    };
    struct dynamop_http_head h;
    const char *why;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(parse(bad[i], &h, &why) == -1, "accepted: '%s'", bad[i]);
}
END_TEST

/* A NUL inside a header value (strlen-based helpers cannot build it). */
START_TEST(test_head_nul)
{
    static const char text[] = "HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n";
    size_t len = sizeof(text) - 1;
    char *buf = tu_copy(text, len);
    struct dynamop_http_head h;
    const char *why = NULL;

    ck_assert_uint_eq(dynamop_http_head_len(buf, len), len);
    ck_assert_int_eq(dynamop_http_parse_head(buf, len, &h, &why), -1);
    ck_assert_ptr_nonnull(why);
    free(buf);
}
END_TEST

/* ---- chunked ------------------------------------------------------------ */

/* Decodes RAW fed in pieces of STEP bytes (0: all at once).  Returns what
 * the last call returned; the decoded body goes to OUT (size >= raw). */
static int
decode(const char *raw, size_t len, size_t step, size_t max, char *out, size_t *out_len,
       size_t *used)
{
    char *buf = malloc(len ? len : 1);
    struct dynamop_chunked c = {0};
    const char *why = NULL;
    size_t have = 0;
    int rc = 0;

    ck_assert_ptr_nonnull(buf);
    do {
        size_t n = step == 0 || len - have < step ? len - have : step;

        /* Bytes arrive after those already there, as recv() appends. */
        memcpy(buf + have, raw + have, n);
        have += n;
        rc = dynamop_chunked_decode(&c, buf, have, max, &why);
        if (rc < 0)
            ck_assert_msg(why != NULL && *why != '\0', "no reason");
    } while (rc == 0 && have < len);
    memcpy(out, buf, c.out);
    *out_len = c.out;
    *used = c.pos;
    free(buf);
    return rc;
}

START_TEST(test_chunked_good)
{
    static const struct {
        const char *raw;
        const char *body;
        size_t used; /* raw bytes that belong to the body (0: all) */
    } cases[] = {
        {"5\r\nhello\r\n0\r\n\r\n", "hello", 0},
        {"0\r\n\r\n", "", 0},
        {"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n", "abcdefg", 0},
        {"A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij", 0},
        {"5;name=value\r\nhello\r\n0;last\r\n\r\n", "hello", 0},
        {"5 \r\nhello\r\n0\r\n\r\n", "hello", 0},
        {"5\r\nhello\r\n0\r\nx-trailer: 1\r\nx-other: 2\r\n\r\n", "hello", 0},
        {"2\r\n\r\n\r\n0\r\n\r\n", "\r\n", 0},
        {"5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK", "hello", 15},
        {"000005\r\nhello\r\n0\r\n\r\n", "hello", 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = strlen(cases[i].raw), want = strlen(cases[i].body);

        /* Whole, then cut after every byte count: the same body each time. */
        for (size_t step = 0; step <= len; step++) {
            char out[128];
            size_t out_len, used;
            int rc = decode(cases[i].raw, len, step, 1000, out, &out_len, &used);

            ck_assert_msg(rc == 1, "case %zu step %zu: rc %d", i, step, rc);
            ck_assert_msg(out_len == want && memcmp(out, cases[i].body, want) == 0,
                          "case %zu step %zu: '%.*s'", i, step, (int)out_len, out);
            ck_assert_uint_eq(used, cases[i].used ? cases[i].used : len);
        }
    }
}
END_TEST

START_TEST(test_chunked_incomplete)
{
    static const char *const partial[] = {
        "", "5", "5\r", "5\r\nhel", "5\r\nhello", "5\r\nhello\r\n", "5\r\nhello\r\n0\r\n",
        "5\r\nhello\r\n0\r\nx-t: 1\r\n", "5\r\nhello\r\n0\r\n\r",
    };

    for (size_t i = 0; i < sizeof(partial) / sizeof(partial[0]); i++) {
        char out[64];
        size_t out_len, used;

        ck_assert_msg(decode(partial[i], strlen(partial[i]), 0, 1000, out, &out_len,
                             &used) == 0,
                      "'%s' taken as complete", partial[i]);
    }
}
END_TEST

START_TEST(test_chunked_refused)
{
    static const struct {
        const char *raw;
        size_t max;
    } bad[] = {
        {"g\r\n", 1000},
        {"\r\n", 1000},
        {";ext\r\n", 1000},
        {"5\r\nhelloX\r\n", 1000},
        {"5\r\nhello\rX", 1000},
        {"5\nhello\r\n", 1000},
        {"5\r\nhello\n", 1000},
        {"0\r\n\rX", 1000},
        {"1000000000000000\r\n", 1ULL << 40},   /* 16 digits */
        {"b\r\n", 10},                          /* one chunk past the cap */
        {"6\r\nabcdef\r\n6\r\n", 10},           /* the sum past the cap */
        {"fffffffffffffff\r\n", 1ULL << 40},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char out[64];
        size_t out_len, used, len = strlen(bad[i].raw);

        for (size_t step = 0; step <= len; step++)
            ck_assert_msg(decode(bad[i].raw, len, step, bad[i].max, out, &out_len, &used) ==
                              -1,
                          "case %zu step %zu accepted", i, step);
    }
}
END_TEST

static Suite *
http_parse_suite(void)
{
    Suite *s = suite_create("http_parse");
    TCase *head = tcase_create("head");
    TCase *chunked = tcase_create("chunked");

    tcase_add_test(head, test_head_len);
    tcase_add_test(head, test_head_framing);
    tcase_add_test(head, test_head_connection);
    tcase_add_test(head, test_head_amz);
    tcase_add_test(head, test_head_refused);
    tcase_add_test(head, test_head_nul);
    suite_add_tcase(s, head);
    tcase_add_test(chunked, test_chunked_good);
    tcase_add_test(chunked, test_chunked_incomplete);
    tcase_add_test(chunked, test_chunked_refused);
    suite_add_tcase(s, chunked);
    return s;
}

int
main(void)
{
    return tu_run(http_parse_suite());
}
