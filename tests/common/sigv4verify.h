/*
 * sigv4verify.h: an independent SigV4 verifier for the loopback servers the
 * tests run in place of DynamoDB: a few lines of the algorithm on OpenSSL's
 * HMAC and SHA-256, sharing nothing with ext/sigv4.c, so a signer bug cannot
 * hide behind the same bug in its checker.
 */
#ifndef DYNAMO_FCGI_SIGV4VERIFY_H
#define DYNAMO_FCGI_SIGV4VERIFY_H

#include <stddef.h>

/* The value of header NAME (any case) in the raw request head HEAD (lines
 * ending "\r\n", the request line first), leading blanks dropped, into OUT.
 * Returns 0, or -1 when absent. */
int tu_head_value(const char *head, const char *name, char *out, size_t size);

/* 1 when the request HEAD + BODY (BLEN bytes), a POST to "/" with no query,
 * is signed (AWS4-HMAC-SHA256, the headers its SignedHeaders names) with
 * SECRET for the scope its Credential names; 0 otherwise.  That scope
 * ("YYYYMMDD/REGION/SERVICE/aws4_request") goes to SCOPE (SIZE bytes) for
 * the caller to check. */
int tu_sigv4_verify(const char *head, const char *body, size_t blen, const char *secret,
                    char *scope, size_t size);

#endif /* DYNAMO_FCGI_SIGV4VERIFY_H */
