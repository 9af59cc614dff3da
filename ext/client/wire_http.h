/*
 * http.h: the client's HTTP transport (private).  One keep-alive connection
 * per client, reused across calls; the client is used by one thread at a
 * time, so nothing here locks.  http.c picks the way per URL: the own
 * HTTP/1.1 transport (http_plain.c) for http:// without a proxy, libcurl
 * (http_curl.c) for https:// and proxies.
 */
#ifndef DYNAMO_FCGI_EXT_HTTP_H
#define DYNAMO_FCGI_EXT_HTTP_H

#include <stddef.h>

#include "dynamo_client.h"

/* Largest response body accepted: DynamoDB's biggest answers (BatchGetItem,
 * Query pages) are bounded by 16 MB of items plus their JSON framing. */
#define DYNAMOP_HTTP_MAX_BODY (32u * 1024u * 1024u)
/* Most headers one dynamop_http_post() sends (the client signs 5 or 6). */
#define DYNAMOP_HTTP_MAX_HEADERS 16

struct dynamop_http_opts {
    enum dynamo_transport transport;
    const char *ca_bundle;   /* NULL: the system CAs */
    long connect_timeout_ms; /* > 0 */
    long request_timeout_ms; /* > 0 */
};

/* What came back.  Body and strings are borrowed from the transport: valid
 * until the next dynamop_http_post() or dynamop_http_free(). */
struct dynamop_http_resp {
    long status;
    const char *body; /* NUL-terminated */
    size_t body_len;
    const char *request_id; /* x-amzn-RequestId, "" when absent */
    int has_crc32;          /* an x-amz-crc32 header was present ... */
    unsigned long crc32;    /* ... with this value */
};

/* How a transfer failed, for the retry policy. */
enum dynamop_http_fail {
    DYNAMOP_HTTP_FAIL_NONE,
    DYNAMOP_HTTP_FAIL_CONNECT, /* never reached the server: safe to retry */
    DYNAMOP_HTTP_FAIL_TIMEOUT,
    DYNAMOP_HTTP_FAIL_IO,    /* reset or truncated mid-transfer */
    DYNAMOP_HTTP_FAIL_FATAL, /* TLS verification, bad URL, out of memory */
};

struct dynamop_http;

/* New transport.  New: free with dynamop_http_free(). */
struct dynamop_http *dynamop_http_new(const struct dynamop_http_opts *opts,
                                      struct dynamo_err *err);
void dynamop_http_free(struct dynamop_http *h);

/*
 * POSTs BODY to URL with HEADERS ("Name: value", NHEADERS of them, at most
 * DYNAMOP_HTTP_MAX_HEADERS; borrowed for the call only).  Returns
 * 0 with RESP filled whatever the HTTP status, or -1 with ERR filled
 * (DYNAMO_ERR_NETWORK / _TIMEOUT / _BAD_RESPONSE / _CONFIG) and *FAIL saying
 * how it failed; RESP's status and request_id then tell what of the
 * answer's head arrived (0 and "" when none), its body is empty.
 */
int dynamop_http_post(struct dynamop_http *h, const char *url, const char *const *headers,
                      size_t nheaders, const char *body, size_t body_len,
                      struct dynamop_http_resp *resp, enum dynamop_http_fail *fail,
                      struct dynamo_err *err);

/* TCP connections opened so far (a reused connection does not count). */
long dynamop_http_connections(const struct dynamop_http *h);

/* The two transports behind it, with the same contracts (the plain one
 * takes http:// URLs only). */
struct dynamop_curl;
struct dynamop_curl *dynamop_curl_new(const struct dynamop_http_opts *opts,
                                      struct dynamo_err *err);
void dynamop_curl_free(struct dynamop_curl *h);
int dynamop_curl_post(struct dynamop_curl *h, const char *url, const char *const *headers,
                      size_t nheaders, const char *body, size_t body_len,
                      struct dynamop_http_resp *resp, enum dynamop_http_fail *fail,
                      struct dynamo_err *err);
long dynamop_curl_connections(const struct dynamop_curl *h);

struct dynamop_plain;
struct dynamop_plain *dynamop_plain_new(const struct dynamop_http_opts *opts,
                                        struct dynamo_err *err);
void dynamop_plain_free(struct dynamop_plain *p);
int dynamop_plain_post(struct dynamop_plain *p, const char *url,
                       const char *const *headers, size_t nheaders, const char *body,
                       size_t body_len, struct dynamop_http_resp *resp,
                       enum dynamop_http_fail *fail, struct dynamo_err *err);
long dynamop_plain_connections(const struct dynamop_plain *p);

#endif /* DYNAMO_FCGI_EXT_HTTP_H */
