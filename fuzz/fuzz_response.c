/*
 * fuzz_response.c: the DynamoDB answer decoder (ext/response.h).  The first
 * two bytes of the input give the HTTP status (100-599), the next byte the
 * length of an x-amzn-RequestId (at most 80 bytes, cut from what follows),
 * the rest is the body.  The body goes to dynamop_decode_body (as a 200
 * would) and to dynamop_decode_error with the status.  Promises checked: a
 * 200 body is a JSON object or a DYNAMO_ERR_BAD_RESPONSE; an error answer
 * always fills ERR (a code, a text, the status, the request id, cut to fit)
 * and a known retry class; throttling and 5xx statuses are retried, and the
 * decoder never turns an error answer into success.
 */
#include <string.h>

#include "ext/client/internal.h"
#include "wire_response.h"
#include "fuzz.h"

static void
check_body(const char *body, size_t len)
{
    struct dynamo_err err = {0};
    json_t *j = dynamop_decode_body(body, len, &err);

    if (j != NULL) {
        FUZZ_CHECK(json_is_object(j), "not an object");
        FUZZ_CHECK(err.code == DYNAMO_OK, "error set on success: %s", err.text);
        json_decref(j);
        return;
    }
    FUZZ_CHECK(err.code == DYNAMO_ERR_BAD_RESPONSE, "code %d: %s", err.code, err.text);
    FUZZ_CHECK(err.text[0] != '\0', "no text");
}

static void
check_error(long status, const char *rid, const char *body, size_t len)
{
    struct dynamo_err err = {0};
    enum dynamop_retry retry = dynamop_decode_error(status, body, len, rid, &err);
    char want_rid[sizeof(err.request_id)];

    FUZZ_CHECK(retry == DYNAMOP_RETRY_NO || retry == DYNAMOP_RETRY_THROTTLE ||
                   retry == DYNAMOP_RETRY_TRANSIENT,
               "retry %d", (int)retry);
    FUZZ_CHECK(err.code != DYNAMO_OK && err.code < DYNAMO_ERR_MAX, "code %d", err.code);
    FUZZ_CHECK(err.text[0] != '\0', "no text");
    FUZZ_CHECK(memchr(err.text, '\0', sizeof(err.text)) != NULL, "text not terminated");
    FUZZ_CHECK(memchr(err.type, '\0', sizeof(err.type)) != NULL, "type not terminated");
    FUZZ_CHECK(err.http_status == status, "status %d, sent %ld", err.http_status, status);
    snprintf(want_rid, sizeof(want_rid), "%s", rid);
    FUZZ_CHECK(strcmp(err.request_id, want_rid) == 0, "request id '%s'", err.request_id);
    if (status == 429 || status == 500 || status == 502 || status == 503 || status == 504)
        FUZZ_CHECK(retry != DYNAMOP_RETRY_NO, "status %ld not retried", status);
    /* A second call keeps the first error (docs/conventions.md, convention 5). */
    {
        struct dynamo_err again = err;

        dynamop_decode_error(500, "{}", 2, "other", &again);
        FUZZ_CHECK(memcmp(&again, &err, sizeof(err)) == 0, "first error not kept");
    }
    /* ERR may be NULL. */
    FUZZ_CHECK(dynamop_decode_error(status, body, len, NULL, NULL) == retry,
               "retry class depends on ERR");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char rid[81];
    size_t rlen;
    long status;

    if (size < 3)
        return 0;
    status = 100 + (long)(((unsigned)data[0] << 8 | data[1]) % 500);
    rlen = data[2] % sizeof(rid);
    data += 3, size -= 3;
    if (rlen > size)
        rlen = size;
    memcpy(rid, data, rlen);
    rid[rlen] = '\0'; /* an embedded NUL just makes it shorter */
    data += rlen, size -= rlen;
    check_body((const char *)data, size);
    check_error(status, rid, (const char *)data, size);
    dynamop_crc32(data, size);
    return 0;
}
