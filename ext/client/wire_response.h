/*
 * response.h: turning DynamoDB's HTTP answers into results and errors
 * (private).  Pure: bytes in, values out, so the decoder is tested and
 * fuzzed without a socket.
 */
#ifndef DYNAMO_FCGI_EXT_RESPONSE_H
#define DYNAMO_FCGI_EXT_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "dynamo_client.h"

/* How the retry policy should treat a failed attempt. */
enum dynamop_retry {
    DYNAMOP_RETRY_NO,        /* final: return the error */
    DYNAMOP_RETRY_THROTTLE,  /* throttling: retry with backoff */
    DYNAMOP_RETRY_TRANSIENT, /* 5xx, reset, timeout, bad CRC: retry with backoff */
};

/* CRC-32 (IEEE 802.3), as DynamoDB's x-amz-crc32 header (crc32.c). */
uint32_t dynamop_crc32(const void *data, size_t len);

/* Parses a 200 answer's body (dynamop_json_parse: strict, duplicate keys
 * refused); an empty body is {}.  New reference, or NULL with
 * DYNAMO_ERR_BAD_RESPONSE ("invalid JSON in response at byte N: ...", or
 * not an object) or DYNAMO_ERR_NOMEM. */
json_t *dynamop_decode_body(const char *body, size_t len, struct dynamo_err *err);

/*
 * Fills ERR from a non-200 answer: code from __type (or from the status when
 * the body is not DynamoDB's error JSON), type, message, status, request id.
 * Returns how the failure should be retried.
 */
enum dynamop_retry dynamop_decode_error(long status, const char *body, size_t len,
                                        const char *request_id, struct dynamo_err *err);

#endif /* DYNAMO_FCGI_EXT_RESPONSE_H */
