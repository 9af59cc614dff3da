/*
 * check_faults.c: the client's retry rules and robustness against a scripted
 * fault server (tests/common/faultsrv.c), then the example app on top.
 *
 * What is retried follows the AWS SDKs' standard retry mode (AWS SDKs and
 * Tools reference guide, "Retry behavior"): throttling errors, HTTP 500,
 * 502, 503 and 504, connection errors (refused, reset, cut short),
 * timeouts and x-amz-crc32 mismatches; nothing else.  Retries back off with
 * full jitter from a 25 ms base and are bounded by a quota of 500 tokens,
 * 5 per retry (10 after a timeout), refunded by successes.
 *
 * Each case asserts the error code, err.attempts, the number of requests the
 * server read, what of the response reached err (status, __type, request
 * id), and that the next call on the same client works, on the same
 * connection when the server kept it open.  ASan's leak checker runs at the
 * end of every case (Check forks one process per case).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dynamo.h"
#include "faultsrv.h"

/* The example app's routes, compiled into this test (its statics stay
 * private to this file). */
#include "app_skeleton/routes.c"

#define STALL_TIMEOUT_MS 300L
/* An answer for both GetItem and DescribeTable (/healthz). */
#define ITEM_BODY                                                                        \
    "{\"Item\":{\"username\":{\"S\":\"x\"},\"n\":{\"N\":\"1.50\"}},"                     \
    "\"Table\":{\"TableStatus\":\"ACTIVE\"}}"

/* ---- helpers ---------------------------------------------------------- */

static long
elapsed_ms(const struct timespec *since)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000L +
           (now.tv_nsec - since->tv_nsec) / 1000000L;
}

static void
start_server(struct faultsrv *s)
{
    memset(s, 0, sizeof(*s));
    ck_assert_msg(faultsrv_start(s) == 0, "fault server: %s", strerror(errno));
}

static void
stop_server(struct faultsrv *s)
{
    ck_assert_msg(faultsrv_stop(s) == 0, "the fault server died during the test");
}

/* Scripts one step: ACTION for TIMES requests, then success. */
static void
script1(struct faultsrv *s, enum faultsrv_action action, int times)
{
    struct faultsrv_step st = {.action = action, .times = times};

    faultsrv_script(s, &st, 1);
}

/* Scripts an error answer: STATUS with __type TYPE (NULL: not JSON). */
static void
script_error(struct faultsrv *s, int status, const char *type, int times)
{
    struct faultsrv_step st = {FAULTSRV_ERROR, times, status, type, NULL};

    faultsrv_script(s, &st, 1);
}

/* The transport the client cases run on: each case runs twice, on the
 * client's own HTTP/1.1 (the default for http://) and on libcurl. */
static enum dynamo_transport transport = DYNAMO_TRANSPORT_AUTO;

static void
use_curl(void)
{
    transport = DYNAMO_TRANSPORT_CURL;
}

static struct dynamo_client *
client_timeout(const struct faultsrv *s, int max_attempts, long timeout_ms)
{
    struct dynamo_client_config cfg = {0};
    struct dynamo_err err = {0};
    struct dynamo_client *c;

    cfg.endpoint = s->url;
    cfg.access_key_id = "AKIDFAULTS";
    cfg.secret_access_key = "fault-secret";
    cfg.max_attempts = max_attempts;
    cfg.request_timeout_ms = timeout_ms;
    cfg.connect_timeout_ms = 1000;
    cfg.transport = transport;
    c = dynamo_client_new(&cfg, &err);
    ck_assert_msg(c != NULL, "dynamo_client_new: %s", err.text);
    return c;
}

/* A client of S with short timeouts, so that stalls end soon. */
static struct dynamo_client *
client_for(const struct faultsrv *s, int max_attempts)
{
    return client_timeout(s, max_attempts, STALL_TIMEOUT_MS);
}

/* 1: call() goes through dynamo_get_item_text, whose answer skips the
 * JSON parser (dynamop_call_raw) but must share its retries and errors. */
static int via_text;

/* One GetItem through dynamo_get_item_text.  Returns 0 or -1 with ERR. */
static int
call_text(struct dynamo_client *c, struct dynamo_err *err)
{
    json_t *key = json_pack("{s:{s:s}}", "id", "S", "x");
    char *text = NULL;
    int rc = dynamo_get_item_text(c, "t", key, NULL, &text, NULL, err);

    ck_assert(rc == 0 || text == NULL);
    free(text);
    json_decref(key);
    return rc;
}

/* One GetItem through the generic call.  Returns 0 or -1 with ERR (zeroed
 * here first). */
static int
call(struct dynamo_client *c, struct dynamo_err *err)
{
    json_t *req =
        json_pack("{s:s, s:{s:{s:s}}}", "TableName", "t", "Key", "id", "S", "x");
    json_t *resp;

    memset(err, 0, sizeof(*err));
    if (via_text) {
        json_decref(req);
        return call_text(c, err);
    }
    resp = dynamo_call(c, "GetItem", req, err);
    json_decref(req);
    if (resp == NULL)
        return -1;
    ck_assert(json_is_object(resp));
    json_decref(resp);
    return 0;
}

/* A call that must succeed. */
static void
call_ok(struct dynamo_client *c, const char *when)
{
    struct dynamo_err err;

    ck_assert_msg(call(c, &err) == 0, "%s: %s (%s)", when, err.text,
                  dynamo_strerror(err.code));
}

/* A call that must fail with CODE after ATTEMPTS attempts; returns the
 * number of requests the server read for it.  LINE: the caller's, for the
 * message. */
static long
call_fails_at(struct dynamo_client *c, const struct faultsrv *s, enum dynamo_code code,
              int attempts, struct dynamo_err *err, int line)
{
    long before = faultsrv_requests(s);

    ck_assert_msg(call(c, err) == -1, "line %d: the call succeeded", line);
    ck_assert_msg(err->code == code, "line %d: code %s, want %s: %s", line,
                  dynamo_strerror(err->code), dynamo_strerror(code), err->text);
    ck_assert_msg(err->attempts == attempts, "line %d: attempts %d, want %d: %s", line,
                  err->attempts, attempts, err->text);
    ck_assert_msg(err->text[0] != '\0', "an error without a text");
    return faultsrv_requests(s) - before;
}

#define call_fails(c, s, code, attempts, err)                                            \
    call_fails_at((c), (s), (code), (attempts), (err), __LINE__)

/* ---- one fault at a time ---------------------------------------------- */

/* A fault, its expected outcome with max_attempts 3, and what survives. */
struct fault {
    const char *name;
    struct faultsrv_step step; /* repeated for every request */
    enum dynamo_code code;
    int retried;    /* standard mode retries it */
    int keeps_conn; /* the server keeps the connection open after it */
    int status;     /* the HTTP status that must reach err (0: none) */
    const char *type;
};

/* clang-format off */
#define ERROR_STEP(status, type) {FAULTSRV_ERROR, 0, (status), (type), NULL}
#define STEP(action) {(action), 0, 0, NULL, NULL}
/* clang-format on */

static const struct fault faults[] = {
    {"throttling", ERROR_STEP(400, "ThrottlingException"), DYNAMO_ERR_THROTTLED, 1, 1,
     400, "ThrottlingException"},
    {"provisioned throughput", ERROR_STEP(400, "ProvisionedThroughputExceededException"),
     DYNAMO_ERR_THROTTLED, 1, 1, 400, "ProvisionedThroughputExceededException"},
    {"request limit", ERROR_STEP(400, "RequestLimitExceeded"), DYNAMO_ERR_THROTTLED, 1, 1,
     400, "RequestLimitExceeded"},
    {"429 without a body", ERROR_STEP(429, NULL), DYNAMO_ERR_THROTTLED, 1, 1, 429, ""},
    {"500 InternalServerError", ERROR_STEP(500, "InternalServerError"),
     DYNAMO_ERR_SERVICE, 1, 1, 500, "InternalServerError"},
    {"500 without a body", ERROR_STEP(500, NULL), DYNAMO_ERR_SERVICE, 1, 1, 500, ""},
    {"502 from a proxy", ERROR_STEP(502, NULL), DYNAMO_ERR_SERVICE, 1, 1, 502, ""},
    {"503 ServiceUnavailable", ERROR_STEP(503, "ServiceUnavailable"), DYNAMO_ERR_SERVICE,
     1, 1, 503, "ServiceUnavailable"},
    {"504 from a proxy", ERROR_STEP(504, NULL), DYNAMO_ERR_SERVICE, 1, 1, 504, ""},
    {"501 is not retried", ERROR_STEP(501, NULL), DYNAMO_ERR_SERVICE, 0, 1, 501, ""},
    {"ValidationException", ERROR_STEP(400, "ValidationException"), DYNAMO_ERR_VALIDATION,
     0, 1, 400, "ValidationException"},
    {"ConditionalCheckFailedException",
     ERROR_STEP(400, "ConditionalCheckFailedException"), DYNAMO_ERR_CONDITION_FAILED, 0,
     1, 400, "ConditionalCheckFailedException"},
    {"ResourceNotFoundException", ERROR_STEP(400, "ResourceNotFoundException"),
     DYNAMO_ERR_NOT_FOUND, 0, 1, 400, "ResourceNotFoundException"},
    {"AccessDeniedException", ERROR_STEP(400, "AccessDeniedException"), DYNAMO_ERR_AUTH,
     0, 1, 400, "AccessDeniedException"},
    {"TransactionCanceledException", ERROR_STEP(400, "TransactionCanceledException"),
     DYNAMO_ERR_TXN_CANCELLED, 0, 1, 400, "TransactionCanceledException"},
    {"reset before the answer", STEP(FAULTSRV_RESET), DYNAMO_ERR_NETWORK, 1, 0, 0, ""},
    {"reset in the body", STEP(FAULTSRV_RESET_MID), DYNAMO_ERR_NETWORK, 1, 0, -1, ""},
    {"truncated body", STEP(FAULTSRV_TRUNCATED), DYNAMO_ERR_NETWORK, 1, 0, 200, ""},
    {"x-amz-crc32 mismatch", STEP(FAULTSRV_BAD_CRC), DYNAMO_ERR_BAD_RESPONSE, 1, 1, 200,
     ""},
    {"invalid JSON with 200", STEP(FAULTSRV_BAD_JSON), DYNAMO_ERR_BAD_RESPONSE, 0, 1, 200,
     ""},
    {"stall past the timeout", STEP(FAULTSRV_STALL), DYNAMO_ERR_TIMEOUT, 1, 0, 0, ""},
    {"body past the 32 MiB cap", STEP(FAULTSRV_HUGE), DYNAMO_ERR_BAD_RESPONSE, 0, 0, 200,
     ""},
    {"status line not HTTP", STEP(FAULTSRV_BAD_HEAD), DYNAMO_ERR_BAD_RESPONSE, 0, 0, 0,
     ""},
    /* Every read makes progress: only a deadline for the whole request
     * (not a timeout per read) ends it. */
    {"body dripping past the timeout", STEP(FAULTSRV_DRIP), DYNAMO_ERR_TIMEOUT, 1, 0, 200,
     ""},
};

#define NFAULTS ((int)(sizeof(faults) / sizeof(faults[0])))

/* What of the last answer reached ERR: its status (-1: may or may not, as
 * when a reset races the head), __type and request id. */
static void
assert_response_fields(const struct fault *f, const struct dynamo_err *err, long last)
{
    char want_id[32];

    if (f->status < 0)
        return;
    snprintf(want_id, sizeof(want_id), "FAULT-%ld", last);
    ck_assert_msg(err->http_status == f->status, "%s: http_status %d, want %d", f->name,
                  err->http_status, f->status);
    ck_assert_msg(strcmp(err->type, f->type) == 0, "%s: type '%s', want '%s'", f->name,
                  err->type, f->type);
    ck_assert_msg(strcmp(err->request_id, f->status ? want_id : "") == 0,
                  "%s: request id '%s', want '%s'", f->name, err->request_id,
                  f->status ? want_id : "");
}

/* Fault I, then recovery, through call(). */
static void
run_fault(int i)
{
    const struct fault *f = &faults[i];
    int attempts = f->retried ? 3 : 1;
    struct faultsrv s;
    struct dynamo_client *c;
    struct dynamo_err err;
    long conns;

    start_server(&s);
    faultsrv_script(&s, &f->step, 1);
    /* 32 MiB take a while under ASan on a busy machine: a timeout there
     * would be retried and blur what the cap does. */
    c = client_timeout(&s, 3, f->step.action == FAULTSRV_HUGE ? 8000 : STALL_TIMEOUT_MS);
    ck_assert_int_eq(call_fails(c, &s, f->code, attempts, &err), attempts);
    assert_response_fields(f, &err, faultsrv_requests(&s));
    conns = faultsrv_connections(&s);
    ck_assert_msg(conns == (f->keeps_conn ? 1 : attempts), "%s: %ld connections", f->name,
                  conns);

    /* The same client recovers as soon as the server does. */
    script1(&s, FAULTSRV_OK, 0);
    call_ok(c, f->name);
    ck_assert_int_eq(faultsrv_requests(&s), attempts + 1);
    ck_assert_msg(faultsrv_connections(&s) == conns + !f->keeps_conn,
                  "%s: %ld connections after the next call", f->name,
                  faultsrv_connections(&s));
    call_ok(c, f->name);
    ck_assert_int_eq(faultsrv_connections(&s), conns + !f->keeps_conn);
    /* The client counts the connections it opened as the server does. */
    ck_assert_int_eq(dynamo_client_connections(c), faultsrv_connections(&s));
    dynamo_client_free(c);
    stop_server(&s);
}

START_TEST(test_fault)
{
    run_fault(_i);
}
END_TEST

/* The same through dynamo_get_item_text: its raw-body call shares the
 * retry loop, the CRC check and the error decoding. */
START_TEST(test_fault_text)
{
    via_text = 1;
    run_fault(_i);
}
END_TEST

/* ---- faults that end before the attempts do -------------------------- */

static const struct faultsrv_step passing[] = {
    {FAULTSRV_ERROR, 2, 400, "ThrottlingException", NULL},
    {FAULTSRV_ERROR, 2, 503, "ServiceUnavailable", NULL},
    {FAULTSRV_ERROR, 2, 500, NULL, NULL},
    {FAULTSRV_RESET, 2, 0, NULL, NULL},
    {FAULTSRV_TRUNCATED, 2, 0, NULL, NULL},
    {FAULTSRV_BAD_CRC, 2, 0, NULL, NULL},
    {FAULTSRV_STALL, 2, 0, NULL, NULL},
};

START_TEST(test_fault_then_success)
{
    struct faultsrv s;
    struct dynamo_client *c;
    struct timespec t0;

    start_server(&s);
    faultsrv_script(&s, &passing[_i], 1);
    c = client_for(&s, 3);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    call_ok(c, "two faults then success");
    ck_assert_int_eq(faultsrv_requests(&s), 3);
    /* Two backoffs of at most 25 and 50 ms (plus two timeouts of 300 ms
     * for the stall): well under a second, with room for a busy machine. */
    ck_assert_msg(elapsed_ms(&t0) < (passing[_i].action == FAULTSRV_STALL ? 2000 : 1000),
                  "took %ld ms", elapsed_ms(&t0));
    dynamo_client_free(c);
    stop_server(&s);
}
END_TEST

/* ---- HTTP/1.1 forms a proxy may use ------------------------------------ */

/* A well-formed answer in each form, and whether the connection stays. */
static const struct {
    enum faultsrv_action action;
    int keeps_conn;
} forms[] = {
    {FAULTSRV_CHUNKED, 1},
    {FAULTSRV_CONTINUE, 1},
    {FAULTSRV_UNTIL_CLOSE, 0},
};

/* Each form delivers the whole item, twice in a row on the same client. */
START_TEST(test_wire_forms)
{
    /* Long enough for a dozen chunks, with escapes and non-ASCII text. */
    static const char item[] =
        "{\"Item\":{\"id\":{\"S\":\"x\"},\"bio\":{\"S\":\"caf\u00e9 \\\"quoted\\\" "
        "and a line\\nbreak, then more text to cut\"},\"n\":{\"N\":"
        "\"12345678901234567890123456789012345678\"}}}";
    struct faultsrv_step step = {forms[_i].action, 0, 0, NULL, item};
    struct faultsrv s;
    struct dynamo_client *c;

    start_server(&s);
    faultsrv_script(&s, &step, 1);
    c = client_for(&s, 1);
    for (int i = 0; i < 2; i++) {
        struct dynamo_err err = {0};
        json_t *key = json_pack("{s:{s:s}}", "id", "S", "x");
        json_t *got = NULL;
        char *text;

        ck_assert_msg(dynamo_get_item(c, "t", key, NULL, &got, &err) == 0, "form %d: %s",
                      _i, err.text);
        json_decref(key);
        text = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
        ck_assert_str_eq(text,
                         "{\"bio\":{\"S\":\"caf\\u00E9 \\\"quoted\\\" and a line\\n"
                         "break, then more text to cut\"},\"id\":{\"S\":\"x\"},"
                         "\"n\":{\"N\":\"12345678901234567890123456789012345678\"}}");
        free(text);
        json_decref(got);
    }
    ck_assert_int_eq(faultsrv_requests(&s), 2);
    ck_assert_int_eq(faultsrv_connections(&s), forms[_i].keeps_conn ? 1 : 2);
    ck_assert_int_eq(dynamo_client_connections(c), faultsrv_connections(&s));
    dynamo_client_free(c);
    stop_server(&s);
}
END_TEST

/* ---- how the endpoint is reached ---------------------------------------- */

/* "localhost" resolves, and a refused address (::1, where the server does
 * not listen) gives way to the next (127.0.0.1). */
START_TEST(test_host_name)
{
    struct faultsrv s;
    struct dynamo_client_config cfg = {.access_key_id = "AKIDFAULTS",
                                       .secret_access_key = "fault-secret",
                                       .transport = transport};
    struct dynamo_err err = {0};
    struct dynamo_client *c;
    char url[64];

    start_server(&s);
    snprintf(url, sizeof(url), "http://localhost:%d", s.port);
    cfg.endpoint = url;
    c = dynamo_client_new(&cfg, &err);
    ck_assert_msg(c != NULL, "%s", err.text);
    call_ok(c, "through localhost");
    ck_assert_int_eq(faultsrv_requests(&s), 1);
    dynamo_client_free(c);
    stop_server(&s);
}
END_TEST

/* An IPv6 literal: "http://[::1]:PORT" is dialled over IPv6, on one kept
 * connection, and the Host header (signed) keeps the brackets. */
START_TEST(test_ipv6_literal)
{
    struct faultsrv s = {.ipv6 = 1};
    char host[128], want[64];
    struct dynamo_client_config cfg = {.access_key_id = "AKIDFAULTS",
                                       .secret_access_key = "fault-secret",
                                       .transport = transport};
    struct dynamo_err err = {0};
    struct dynamo_client *c;

    ck_assert_msg(faultsrv_start(&s) == 0, "fault server on ::1: %s", strerror(errno));
    cfg.endpoint = s.url;
    c = dynamo_client_new(&cfg, &err);
    ck_assert_msg(c != NULL, "%s", err.text);
    call_ok(c, "over IPv6");
    call_ok(c, "over IPv6, kept connection");
    ck_assert_int_eq(faultsrv_requests(&s), 2);
    ck_assert_int_eq(faultsrv_connections(&s), 1);
    snprintf(want, sizeof(want), "[::1]:%d", s.port);
    ck_assert_str_eq(faultsrv_last_host(&s, host, sizeof(host)), want);
    dynamo_client_free(c);
    stop_server(&s);
}
END_TEST

/* With http_proxy set, libcurl carries http:// calls through the proxy
 * (here the fault server, answering as any server would); the endpoint
 * itself, where nothing listens, is never dialled.  The own transport
 * speaks to endpoints directly, so the client must not take it then. */
START_TEST(test_proxy_from_environment)
{
    struct faultsrv s;
    struct dynamo_client_config cfg = {.endpoint = "http://127.0.0.1:1",
                                       .access_key_id = "AKIDFAULTS",
                                       .secret_access_key = "fault-secret",
                                       .max_attempts = 1,
                                       .transport = transport};
    struct dynamo_err err = {0};
    struct dynamo_client *c;

    start_server(&s);
    setenv("http_proxy", s.url, 1); /* this forked test's own environment */
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    c = dynamo_client_new(&cfg, &err);
    ck_assert_msg(c != NULL, "%s", err.text);
    call_ok(c, "through the proxy");
    ck_assert_int_eq(faultsrv_requests(&s), 1);
    unsetenv("http_proxy");
    dynamo_client_free(c);
    stop_server(&s);
}
END_TEST

/* max_attempts N: exactly N requests, the first included. */
START_TEST(test_max_attempts)
{
    static const int limits[] = {1, 2, 5};
    struct faultsrv s;
    struct dynamo_err err;

    start_server(&s);
    script_error(&s, 503, "ServiceUnavailable", 0);
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        struct dynamo_client *c = client_for(&s, limits[i]);

        ck_assert_int_eq(call_fails(c, &s, DYNAMO_ERR_SERVICE, limits[i], &err),
                         limits[i]);
        dynamo_client_free(c);
    }
    /* Exactly as many faults as attempts: the next call needs no retry. */
    {
        struct dynamo_client *c = client_for(&s, 3);

        script_error(&s, 503, "ServiceUnavailable", 3);
        call_fails(c, &s, DYNAMO_ERR_SERVICE, 3, &err);
        call_ok(c, "the fourth request");
        ck_assert_int_eq(faultsrv_requests(&s), 1 + 2 + 5 + 4);
        dynamo_client_free(c);
    }
    stop_server(&s);
}
END_TEST

/* ---- connections ------------------------------------------------------ */

/* Nothing listening: DYNAMO_ERR_NETWORK after max_attempts, no response;
 * once the server listens the same client gets through. */
START_TEST(test_connect_refused)
{
    struct faultsrv s = {0};
    struct dynamo_client *c;
    struct dynamo_err err;

    ck_assert_int_eq(faultsrv_bind(&s), 0);
    c = client_for(&s, 3);
    ck_assert_msg(call(c, &err) == -1, "a call to a closed port succeeded");
    ck_assert_msg(err.code == DYNAMO_ERR_NETWORK, "%s: %s", dynamo_strerror(err.code),
                  err.text);
    ck_assert_int_eq(err.attempts, 3);
    ck_assert_int_eq(err.http_status, 0);
    ck_assert_str_eq(err.request_id, "");
    ck_assert_msg(strstr(err.text, "127.0.0.1") != NULL, "%s", err.text);
    ck_assert_int_eq(faultsrv_start(&s), 0);
    call_ok(c, "after the server started");
    ck_assert_int_eq(faultsrv_requests(&s), 1);
    ck_assert_int_eq(faultsrv_connections(&s), 1);
    ck_assert_int_eq(dynamo_client_connections(c), 1); /* refused ones do not count */
    dynamo_client_free(c);
    stop_server(&s);
}
END_TEST

/* Many calls share one connection. */
START_TEST(test_keep_alive)
{
    struct faultsrv s;
    struct dynamo_client *c;
    char target[64];

    start_server(&s);
    c = client_for(&s, 3);
    for (int i = 0; i < 20; i++)
        call_ok(c, "keep-alive");
    ck_assert_int_eq(faultsrv_requests(&s), 20);
    ck_assert_int_eq(faultsrv_connections(&s), 1);
    ck_assert_int_eq(dynamo_client_connections(c), 1);
    ck_assert_str_eq(faultsrv_last_target(&s, target, sizeof(target)),
                     "DynamoDB_20120810.GetItem");
    dynamo_client_free(c);
    stop_server(&s);
}
END_TEST

/* The server closes an idle keep-alive connection between two calls (an
 * idle timeout): the next call opens a new one and costs no attempt. */
START_TEST(test_idle_connection_closed)
{
    struct faultsrv s;
    struct dynamo_client *c;

    start_server(&s);
    script1(&s, FAULTSRV_OK_CLOSE, 0);
    c = client_for(&s, 1);
    for (int i = 0; i < 3; i++)
        call_ok(c, "after the server closed the idle connection");
    ck_assert_int_eq(faultsrv_requests(&s), 3);
    ck_assert_int_eq(faultsrv_connections(&s), 3);
    ck_assert_int_eq(dynamo_client_connections(c), 3);
    dynamo_client_free(c);
    stop_server(&s);
}
END_TEST

/*
 * A reset on a reused connection before any byte of the answer: libcurl
 * itself retries such a request once on a fresh connection ("Connection
 * died, retrying a fresh connect"), as a keep-alive connection the server
 * closed just as the request left is no fault of the request.  That retry
 * is not an attempt: err.attempts stays max_attempts, the server reads one
 * request (and accepts one connection) more.
 */
START_TEST(test_reset_on_reused_connection)
{
    struct faultsrv s;
    struct dynamo_client *c;
    struct dynamo_err err;

    start_server(&s);
    c = client_for(&s, 2);
    call_ok(c, "opening the connection");
    script1(&s, FAULTSRV_RESET, 0);
    ck_assert_int_eq(call_fails(c, &s, DYNAMO_ERR_NETWORK, 2, &err), 3);
    ck_assert_int_eq(faultsrv_connections(&s), 3);
    ck_assert_int_eq(dynamo_client_connections(c), 3);
    ck_assert_int_eq(err.http_status, 0); /* not the previous call's 200 */
    ck_assert_str_eq(err.request_id, "");
    script1(&s, FAULTSRV_RESET, 1);
    call_ok(c, "a reset, then an answer");
    dynamo_client_free(c);
    stop_server(&s);
}
END_TEST

/* ---- retry quota and backoff ------------------------------------------ */

/* Fails NCALLS calls on C against a 500-answering S, each after ATTEMPTS
 * attempts (LINE: the caller's). */
static void
fail_calls_at(struct dynamo_client *c, struct faultsrv *s, int ncalls, int attempts,
              int line)
{
    struct dynamo_err err;

    script_error(s, 500, "InternalServerError", 0);
    for (int i = 0; i < ncalls; i++) {
        long n = call_fails_at(c, s, DYNAMO_ERR_SERVICE, attempts, &err, line);

        ck_assert_msg(n == attempts, "line %d, call %d: %ld requests", line, i, n);
    }
}

#define fail_calls(c, s, ncalls, attempts)                                               \
    fail_calls_at((c), (s), (ncalls), (attempts), __LINE__)

static void
succeed_calls(struct dynamo_client *c, struct faultsrv *s, int ncalls)
{
    script1(s, FAULTSRV_OK, 0);
    for (int i = 0; i < ncalls; i++)
        call_ok(c, "refilling the quota");
}

/*
 * The quota: 500 tokens, 5 per retry.  With max_attempts 2 every failing
 * call takes one retry, so 100 calls empty the bucket and the 101st is not
 * retried.  A success refunds 1 token (no retry before it): 5 successes buy
 * exactly one retry again.  A success after a retry refunds that retry.
 */
START_TEST(test_retry_quota)
{
    struct faultsrv s;
    struct dynamo_client *c;
    struct dynamo_err err;

    start_server(&s);
    c = client_for(&s, 2);
    fail_calls(c, &s, 100, 2);
    fail_calls(c, &s, 3, 1);
    succeed_calls(c, &s, 4);
    fail_calls(c, &s, 1, 1); /* 4 tokens: still not enough */
    succeed_calls(c, &s, 1);
    fail_calls(c, &s, 1, 2); /* 5 tokens: one retry, then empty */
    fail_calls(c, &s, 1, 1);

    /* A retried success gives its retry's 5 tokens back (a refund of 1
     * would leave 1 token, not enough for the retry below). */
    succeed_calls(c, &s, 5);
    script_error(&s, 503, "ServiceUnavailable", 1);
    call_ok(c, "a retried success");
    fail_calls(c, &s, 1, 2);
    fail_calls(c, &s, 1, 1);

    /* Non-retryable failures cost nothing. */
    succeed_calls(c, &s, 5);
    script_error(&s, 400, "ValidationException", 0);
    for (int i = 0; i < 5; i++)
        call_fails(c, &s, DYNAMO_ERR_VALIDATION, 1, &err);
    fail_calls(c, &s, 1, 2);
    dynamo_client_free(c);
    stop_server(&s);
}
END_TEST

/* A retry after a timeout costs 10 tokens, not 5. */
START_TEST(test_retry_quota_timeout_cost)
{
    struct faultsrv s;
    struct dynamo_client *c;
    struct dynamo_err err;

    start_server(&s);
    c = client_for(&s, 2);
    fail_calls(c, &s, 100, 2);
    succeed_calls(c, &s, 9);
    script1(&s, FAULTSRV_STALL, 0);
    call_fails(c, &s, DYNAMO_ERR_TIMEOUT, 1, &err); /* 9 < 10 */
    fail_calls(c, &s, 1, 2);                        /* 9 >= 5: 4 left */
    succeed_calls(c, &s, 6);
    script1(&s, FAULTSRV_STALL, 0);
    call_fails(c, &s, DYNAMO_ERR_TIMEOUT, 2, &err); /* 10: empty */
    fail_calls(c, &s, 1, 1);
    dynamo_client_free(c);
    stop_server(&s);
}
END_TEST

/* Full jitter from a 25 ms base: the two delays of a 3-attempt call are
 * at most 25 and 50 ms, so it ends well under a second; and they are not
 * all zero. */
START_TEST(test_backoff_bounded)
{
    struct faultsrv s;
    struct dynamo_client *c;
    struct dynamo_err err;
    struct timespec t0, t1;
    long total;

    start_server(&s);
    script_error(&s, 400, "ThrottlingException", 0);
    c = client_for(&s, 3);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 20; i++) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        call_fails(c, &s, DYNAMO_ERR_THROTTLED, 3, &err);
        ck_assert_msg(elapsed_ms(&t1) < 500, "call %d took %ld ms", i, elapsed_ms(&t1));
    }
    total = elapsed_ms(&t0);
    /* 40 delays drawn from [0, 25) and [0, 50): about 750 ms in all (1.5 s
     * if the first retry drew from twice the base). */
    ck_assert_msg(total > 100 && total < 4000, "20 calls took %ld ms", total);
    dynamo_client_free(c);
    stop_server(&s);
}
END_TEST

/* ---- the example app -------------------------------------------------- */

static const char *const env_keys[] = {
    "DYNAMO_ENABLE_LOCAL",
    "DYNAMO_LOCAL_HOST",
    "DYNAMO_LOCAL_PORT",
    "DYNAMO_TABLES_FILE",
    "DYNAMO_TABLE_PREFIX",
    "DYNAMO_REQUEST_TIMEOUT_MS",
    "DYNAMO_CONNECT_TIMEOUT_MS",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_MAX_ATTEMPTS",
    "AWS_CA_BUNDLE",
};

/* The example app with its routes and a dynamo extension pointed at S. */
struct app {
    struct web_app *web;
    struct dynamo *dynamo;
    struct web_ctx *ctx;
};

static void
app_open(struct app *a, const struct faultsrv *s)
{
    static const char *const keys[][2] = {
        {"DYNAMO_ENABLE_LOCAL", "1"},
        {"DYNAMO_LOCAL_HOST", "127.0.0.1"},
        {"DYNAMO_TABLES_FILE", "app_skeleton/dynamo.conf"},
        {"AWS_MAX_ATTEMPTS", "2"},
        {"DYNAMO_REQUEST_TIMEOUT_MS", "300"},
        {"AWS_ACCESS_KEY_ID", "AKIDFAULTS"},
        {"AWS_SECRET_ACCESS_KEY", "fault-secret"},
    };
    struct web_err werr = {0};
    struct dynamo_err derr = {0};

    a->web = web_app_new("faults", &werr);
    ck_assert_msg(a->web != NULL, "%s", werr.text);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        ck_assert_int_eq(web_config_set(a->web, keys[i][0], keys[i][1], &werr), 0);
    ck_assert_int_eq(web_config_set(a->web, "DYNAMO_LOCAL_PORT", s->port_text, &werr), 0);
    a->dynamo = dynamo_new(a->web, &derr);
    ck_assert_msg(a->dynamo != NULL, "dynamo_new: %s", derr.text);
    ck_assert_msg(app_add_routes(a->web, a->dynamo, &werr) == 0, "%s", werr.text);
    a->ctx = web_ctx_push(a->web, &werr);
    ck_assert_msg(a->ctx != NULL, "%s", werr.text);
}

static void
app_close(struct app *a)
{
    web_ctx_pop(a->ctx);
    dynamo_free(a->dynamo);
    web_app_free(a->web);
}

/* GET URI through the app; asserts STATUS and, for errors, a JSON body
 * {"error": "..."}; returns after freeing the body. */
static void
app_get(struct app *a, const char *uri, int status, const char *what)
{
    struct web_err werr = {0};
    char *body = NULL;
    int got = 0;
    json_t *j;

    ck_assert_msg(web_app_handle(a->web, a->ctx, "GET", uri, NULL, 0, NULL, 0, &got,
                                 &body, &werr) == 0,
                  "%s: web_app_handle: %s", what, werr.text);
    ck_assert_msg(got == status, "%s: GET %s answered %d, want %d: %s", what, uri, got,
                  status, body ? body : "");
    j = json_loads(body ? body : "", 0, NULL);
    ck_assert_msg(json_is_object(j), "%s: body is not a JSON object: %s", what, body);
    if (status >= 400)
        ck_assert_msg(json_is_string(json_object_get(j, "error")), "%s: %s", what, body);
    else if (strcmp(uri, "/users/x") == 0)
        ck_assert_msg(strcmp(json_string_value(json_object_get(j, "username")), "x") == 0,
                      "%s: %s", what, body);
    json_decref(j);
    free(body);
}

struct app_fault {
    const char *name;
    struct faultsrv_step step;
    int status;
};

static const struct app_fault app_faults[] = {
    {"throttling", ERROR_STEP(400, "ProvisionedThroughputExceededException"), 503},
    {"500", ERROR_STEP(500, "InternalServerError"), 503},
    {"503 from a proxy", ERROR_STEP(503, NULL), 503},
    {"reset", STEP(FAULTSRV_RESET), 503},
    {"reset in the body", STEP(FAULTSRV_RESET_MID), 503},
    {"truncated body", STEP(FAULTSRV_TRUNCATED), 503},
    {"stall", STEP(FAULTSRV_STALL), 503},
    {"crc mismatch", STEP(FAULTSRV_BAD_CRC), 503},
    {"invalid JSON", STEP(FAULTSRV_BAD_JSON), 503},
    {"huge body", STEP(FAULTSRV_HUGE), 503},
    {"missing table", ERROR_STEP(400, "ResourceNotFoundException"), 503},
    {"ValidationException", ERROR_STEP(400, "ValidationException"), 400},
};

/* Every fault in turn on one app context (one client, one connection when
 * the server keeps it): a JSON error, then 200 once the server behaves. */
START_TEST(test_app_faults)
{
    const struct faultsrv_step item = {FAULTSRV_OK, 0, 0, NULL, ITEM_BODY};
    struct faultsrv s;
    struct app a;

    start_server(&s);
    app_open(&a, &s);
    faultsrv_script(&s, &item, 1);
    app_get(&a, "/users/x", 200, "before the faults");
    for (size_t i = 0; i < sizeof(app_faults) / sizeof(app_faults[0]); i++) {
        long before = faultsrv_requests(&s);

        faultsrv_script(&s, &app_faults[i].step, 1);
        app_get(&a, "/users/x", app_faults[i].status, app_faults[i].name);
        ck_assert_msg(faultsrv_requests(&s) > before, "%s: no request",
                      app_faults[i].name);
        app_get(&a, "/healthz", 503, app_faults[i].name);
        faultsrv_script(&s, &item, 1);
        app_get(&a, "/users/x", 200, app_faults[i].name);
        app_get(&a, "/healthz", 200, app_faults[i].name);
    }
    app_close(&a);
    stop_server(&s);
}
END_TEST

/* DynamoDB not listening yet: 503; then 200 from the same context. */
START_TEST(test_app_connect_refused)
{
    const struct faultsrv_step item = {FAULTSRV_OK, 0, 0, NULL, ITEM_BODY};
    struct faultsrv s = {0};
    struct app a;

    ck_assert_int_eq(faultsrv_bind(&s), 0);
    app_open(&a, &s);
    app_get(&a, "/users/x", 503, "nothing listening");
    app_get(&a, "/healthz", 503, "nothing listening");
    ck_assert_int_eq(faultsrv_start(&s), 0);
    faultsrv_script(&s, &item, 1);
    app_get(&a, "/users/x", 200, "after the start");
    app_get(&a, "/healthz", 200, "after the start");
    app_close(&a);
    stop_server(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("faults");
    TCase *client = tcase_create("client retries");
    TCase *client_curl = tcase_create("client retries, libcurl");
    TCase *quota = tcase_create("quota and backoff");
    TCase *app = tcase_create("example app");
    SRunner *sr;
    int failed;

    /* The test's own configuration only, whatever run-tests.sh exported. */
    for (size_t i = 0; i < sizeof(env_keys) / sizeof(env_keys[0]); i++)
        unsetenv(env_keys[i]);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);

    tcase_add_checked_fixture(client_curl, use_curl, NULL);
    for (TCase *tc = client; tc != NULL; tc = tc == client ? client_curl : NULL) {
        tcase_set_timeout(tc, 15);
        tcase_add_loop_test(tc, test_fault, 0, NFAULTS);
        tcase_add_loop_test(tc, test_fault_text, 0, NFAULTS);
        tcase_add_loop_test(tc, test_fault_then_success, 0,
                            (int)(sizeof(passing) / sizeof(passing[0])));
        tcase_add_test(tc, test_max_attempts);
        tcase_add_test(tc, test_connect_refused);
        tcase_add_test(tc, test_keep_alive);
        tcase_add_test(tc, test_idle_connection_closed);
        tcase_add_test(tc, test_reset_on_reused_connection);
        tcase_add_loop_test(tc, test_wire_forms, 0,
                            (int)(sizeof(forms) / sizeof(forms[0])));
        tcase_add_test(tc, test_host_name);
        tcase_add_test(tc, test_ipv6_literal);
        tcase_add_test(tc, test_proxy_from_environment);
        suite_add_tcase(s, tc);
    }

    tcase_set_timeout(quota, 20);
    tcase_add_test(quota, test_retry_quota);
    tcase_add_test(quota, test_retry_quota_timeout_cost);
    tcase_add_test(quota, test_backoff_bounded);
    suite_add_tcase(s, quota);

    tcase_set_timeout(app, 20);
    tcase_add_test(app, test_app_faults);
    tcase_add_test(app, test_app_connect_refused);
    suite_add_tcase(s, app);

    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
