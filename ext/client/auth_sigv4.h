/*
 * sigv4.h: AWS Signature Version 4 (header variant), as pure functions.
 *
 * Follows "Create a signed AWS API request" in the IAM User Guide
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html)
 * and is checked byte for byte against AWS's test vectors
 * (shared/sigv4-test-suite/).  Nothing here reads the clock, opens a socket or
 * touches curl: the time arrives as an X-Amz-Date string, so the vectors are
 * reproducible and a fuzzer can drive every function directly.
 *
 * Errors: -1 with ERR filled; DYNAMO_ERR_INVALID for a bad argument (the text
 * says which), DYNAMO_ERR_NOMEM when an allocation or OpenSSL fails.  Nothing
 * is leaked on failure.
 */
#ifndef DYNAMO_FCGI_EXT_SIGV4_H
#define DYNAMO_FCGI_EXT_SIGV4_H

#include <stddef.h>
#include <time.h>

#include <openssl/types.h>

#include "dynamo_client.h"

/* Hard cap on the canonical request (conventions 9).  A DynamoDB one is ~400 bytes,
 * ~2 KiB with an STS session token. */
#define DYNAMOP_SIGV4_MAX (256 * 1024)
/* Longest region, service and access key id, and longest secret key. */
#define DYNAMOP_SIGV4_NAME_MAX 63
#define DYNAMOP_SIGV4_SECRET_MAX 128

struct dynamop_header {
    const char *name;
    const char *value;
};

/* The request to sign.  Every pointer is borrowed for the call only. */
struct dynamop_sigv4_request {
    const char *method; /* "POST" */
    /* Encoded here once, segment by segment: give the decoded path for S3
     * (and the vectors), the path as sent for other services, which AWS
     * wants encoded twice.  DynamoDB's is always "/". */
    const char *path;
    const char *query; /* raw query after '?', or NULL */
    /* Every header to sign, host and x-amz-date included, and
     * x-amz-security-token when the token is signed.  Names are matched
     * case-insensitively; a repeated name keeps its values in this order. */
    const struct dynamop_header *headers;
    size_t nheaders;
    const void *body; /* may be NULL when body_len is 0 */
    size_t body_len;
    int normalize; /* 1: remove dot segments, collapse '/' (every service but S3) */
};

struct dynamop_sigv4_creds {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* not read here: sign it as a header */
    /* 0, or the provider's generation of these credentials: one provider
     * never gives two secrets the same number, so a cache that derived its
     * key under this number skips hashing the secret to compare it. */
    unsigned long generation;
};

/*
 * The derived signing key, kept between calls: valid when zeroed, re-derived
 * only when the date (YYYYMMDD), region, service or secret change.  The secret
 * is compared through its SHA-256 so the cache never holds it, or, when the
 * credentials carry a generation, through that number (so the credentials
 * signed with through one cache must all come from one provider).
 * Caller-owned, one per client, not thread-safe by design (a client is used
 * by one thread).  It owns OpenSSL contexts: release it with
 * dynamop_sigv4_cache_wipe().
 */
struct dynamop_sigv4_cache {
    int valid;
    char date[9];
    char region[DYNAMOP_SIGV4_NAME_MAX + 1];
    char service[DYNAMOP_SIGV4_NAME_MAX + 1];
    unsigned char secret_sha256[32];
    unsigned long generation; /* the credentials' generation, 0: none */
    /* HMAC-SHA256 keyed with the signing key (NULL until derived): each
     * signature reinitialises it, which copies the keyed state instead of
     * hashing the key again.  The key itself is kept nowhere else. */
    EVP_MAC_CTX *mac;
    EVP_MD_CTX *md; /* SHA-256, reused for every hash (NULL until needed) */
};

/* Longest Authorization value dynamop_sigv4_authorization_buf() writes for
 * a request signing at most 256 bytes of header names, NUL included. */
#define DYNAMOP_SIGV4_AUTHZ_MAX                                                          \
    (sizeof(                                                                             \
         "AWS4-HMAC-SHA256 Credential=////aws4_request, SignedHeaders=, Signature=") +   \
     3 * DYNAMOP_SIGV4_NAME_MAX + 8 + 256 + 64)

/* T as "YYYYMMDDTHHMMSSZ" (UTC); "" when T is outside years 0-9999. */
void dynamop_sigv4_amz_date(time_t t, char out[17]);
/* Lowercase hex SHA-256 of LEN bytes at DATA; "" if OpenSSL fails. */
void dynamop_sha256_hex(const void *data, size_t len, char out[65]);

/* The canonical request (AWS "Create a canonical request"), without a
 * trailing newline.  New: free with util_free. */
int dynamop_sigv4_canonical_request(const struct dynamop_sigv4_request *req, char **out,
                                    struct dynamo_err *err);
/* "AWS4-HMAC-SHA256\n" AMZ_DATE "\n" scope "\n" hex(SHA-256(canonical)).
 * AMZ_DATE is "YYYYMMDDTHHMMSSZ".  New: free with util_free. */
int dynamop_sigv4_string_to_sign(const char *amz_date, const char *region,
                                 const char *service, const char *canonical_request,
                                 char **out, struct dynamo_err *err);
/* Hex HMAC-SHA256 of STRING_TO_SIGN under the derived signing key, into OUT.
 * CACHE may be NULL (derive every time). */
int dynamop_sigv4_signature(const struct dynamop_sigv4_creds *creds, const char *region,
                            const char *service, const char *amz_date,
                            const char *string_to_sign, struct dynamop_sigv4_cache *cache,
                            char out[65], struct dynamo_err *err);
/* The whole Authorization header value: "AWS4-HMAC-SHA256 Credential=AKID/
 * 20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date,
 * Signature=<hex>".  CACHE may be NULL.  New: free with util_free. */
int dynamop_sigv4_authorization(const struct dynamop_sigv4_request *req,
                                const struct dynamop_sigv4_creds *creds,
                                const char *region, const char *service,
                                const char *amz_date, struct dynamop_sigv4_cache *cache,
                                char **out, struct dynamo_err *err);
/* As dynamop_sigv4_authorization(), written into OUT (OUTSZ bytes, NUL
 * included); DYNAMO_ERR_INVALID when it does not fit.  With a CACHE, a
 * request whose canonical form is under 4 KiB allocates nothing. */
int dynamop_sigv4_authorization_buf(const struct dynamop_sigv4_request *req,
                                    const struct dynamop_sigv4_creds *creds,
                                    const char *region, const char *service,
                                    const char *amz_date,
                                    struct dynamop_sigv4_cache *cache, char *out,
                                    size_t outsz, struct dynamo_err *err);
/* Frees what CACHE holds and zeroes it with a wipe the compiler cannot drop
 * (the key is a secret); CACHE is then valid and empty.  NULL does nothing. */
void dynamop_sigv4_cache_wipe(struct dynamop_sigv4_cache *cache);

#endif /* DYNAMO_FCGI_EXT_SIGV4_H */
