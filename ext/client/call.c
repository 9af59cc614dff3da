/*
 * client.c: the generic DynamoDB call: sign, POST, decode, retry.
 *
 * DynamoDB speaks JSON 1.0 over HTTP POST to "/", the operation named by
 * X-Amz-Target: DynamoDB_20120810.<Operation>, signed with SigV4 for the
 * service "dynamodb" (DynamoDB developer guide, "Low-level API").
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "json_convert.h"
#include "auth_credentials.h"
#include "wire_http.h"
#include "json_parse.h"
#include "internal.h"
#include "wire_response.h"
#include "auth_sigv4.h"

#define DEFAULT_REGION "us-east-1"
#define DEFAULT_CONNECT_TIMEOUT_MS 3000L
#define DEFAULT_REQUEST_TIMEOUT_MS 10000L
#define DEFAULT_MAX_ATTEMPTS 3
#define MAX_ATTEMPTS_LIMIT 20

/* Retry quota and backoff, as the AWS SDKs' standard mode: a bucket of 500
 * tokens, 5 per retry (10 after a timeout), refunded on success; delays with
 * full jitter, base 25 ms (the AWS SDK for Java's DynamoDB base delay: a web
 * request cannot afford the 1 s generic base), capped at 20 s. */
#define RETRY_QUOTA 500
#define RETRY_COST 5
#define RETRY_TIMEOUT_COST 10
#define BACKOFF_BASE_MS 25L
#define BACKOFF_CAP_MS 20000L

/* Request text: DynamoDB refuses requests past 16 MB (BatchWriteItem's
 * limit), so twice that is past anything it would take.  A buffer grown
 * past KEEP_REQUEST_BYTES is freed after its call. */
#define MAX_REQUEST_BYTES (32u << 20)
#define KEEP_REQUEST_BYTES (64u << 10)

/* The signed headers' names as sent, each with its ": ". */
#define DATE_NAME "X-Amz-Date: "
#define TARGET_NAME "X-Amz-Target: "
#define TARGET_PREFIX TARGET_NAME "DynamoDB_20120810."
#define TOKEN_NAME "X-Amz-Security-Token: "
#define AUTHZ_NAME "Authorization: "

struct dynamo_client {
    char *region;
    char *url;      /* scheme://host[:port]/ */
    char *host_hdr; /* "Host: host[:port]", signed as sent */
    /* The provider signed with (borrowed, or own_credentials: made from the
     * config's static keys) and this client's own copy of its credentials. */
    struct dynamo_credentials *credentials;
    struct dynamo_credentials *own_credentials;
    struct dynamop_creds creds;
    int max_attempts;
    int retry_tokens;
    struct dynamop_sigv4_cache sigcache;
    struct dynamop_buf body; /* the request's text, reused between calls */
    /* "X-Amz-Date: YYYYMMDDTHHMMSSZ" for the second date_time, remade when the
     * clock moves on. */
    time_t date_time;
    char date_hdr[sizeof(DATE_NAME) - 1 + 17];
    /* "X-Amz-Security-Token: TOKEN" for the session token in creds (a
     * secret: wiped when replaced and on free), remade only when the token
     * changes, in a buffer that grows only for a longer one. */
    char *token_hdr;
    size_t token_cap;
    struct dynamop_http *http;
    long calls; /* dynamo_client_stats() */
    long retries;
    long long call_us;
};

/* Splits ENDPOINT into the URL to post to and the Host header value.
 * Returns 0, or -1 with DYNAMO_ERR_CONFIG. */
static int
parse_endpoint(struct dynamo_client *c, const char *endpoint, struct dynamo_err *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    char buf[512];
    int rc = -1;

    if (u == NULL || curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG, "endpoint '%s' is not a URL", endpoint);
        goto out;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                        "endpoint '%s': scheme must be http or https", endpoint);
        goto out;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0); /* absent: default port, no ":N" */
    snprintf(buf, sizeof(buf), "%s%s%s", host, port ? ":" : "", port ? port : "");
    c->host_hdr = util_malloc(strlen(buf) + 7);
    c->url = util_malloc(strlen(scheme) + strlen(buf) + 5);
    if (c->host_hdr == NULL || c->url == NULL) {
        dynamop_err_nomem(err);
        goto out;
    }
    snprintf(c->host_hdr, strlen(buf) + 7, "Host: %s", buf);
    snprintf(c->url, strlen(scheme) + strlen(buf) + 5, "%s://%s/", scheme, buf);
    rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

/* Static keys in CFG make the client its own provider; without them it
 * borrows CFG's.  Returns 0, or -1 with DYNAMO_ERR_CONFIG / _NOMEM. */
static int
copy_credentials(struct dynamo_client *c, const struct dynamo_client_config *cfg,
                 struct dynamo_err *err)
{
    int id = cfg->access_key_id != NULL && *cfg->access_key_id != '\0';
    int secret = cfg->secret_access_key != NULL && *cfg->secret_access_key != '\0';

    if (id != secret || (!id && cfg->credentials == NULL)) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                        "no AWS credentials: set AWS_ACCESS_KEY_ID and "
                        "AWS_SECRET_ACCESS_KEY");
        return -1;
    }
    if (!id) {
        c->credentials = cfg->credentials;
        return 0;
    }
    c->own_credentials = dynamo_credentials_new_static(
        cfg->access_key_id, cfg->secret_access_key, cfg->session_token, err);
    c->credentials = c->own_credentials;
    return c->credentials != NULL ? 0 : -1;
}

static int
copy_config(struct dynamo_client *c, const struct dynamo_client_config *cfg,
            struct dynamo_err *err)
{
    char endpoint[300];
    const char *region = cfg->region && *cfg->region ? cfg->region : DEFAULT_REGION;

    if (copy_credentials(c, cfg, err) != 0)
        return -1;
    c->region = util_strdup(region);
    if (c->region == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    if (cfg->endpoint == NULL || *cfg->endpoint == '\0') {
        snprintf(endpoint, sizeof(endpoint), "https://dynamodb.%s.amazonaws.com", region);
        return parse_endpoint(c, endpoint, err);
    }
    return parse_endpoint(c, cfg->endpoint, err);
}

struct dynamo_client *
dynamo_client_new(const struct dynamo_client_config *cfg, struct dynamo_err *err)
{
    static const struct dynamo_client_config none;
    struct dynamop_http_opts hopts;
    struct dynamo_client *c;

    cfg = cfg != NULL ? cfg : &none;
    if (cfg->max_attempts < 0 || cfg->max_attempts > MAX_ATTEMPTS_LIMIT) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG, "max attempts %d is not between 1 and %d",
                        cfg->max_attempts, MAX_ATTEMPTS_LIMIT);
        return NULL;
    }
    if ((unsigned)cfg->transport >= DYNAMO_TRANSPORT_MAX) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG, "transport %d is not a dynamo_transport",
                        (int)cfg->transport);
        return NULL;
    }
    c = util_calloc(1, sizeof(*c));
    if (c == NULL) {
        dynamop_err_nomem(err);
        return NULL;
    }
    c->max_attempts = cfg->max_attempts ? cfg->max_attempts : DEFAULT_MAX_ATTEMPTS;
    c->body.max = MAX_REQUEST_BYTES;
    c->retry_tokens = RETRY_QUOTA;
    hopts.transport = cfg->transport;
    hopts.ca_bundle = cfg->ca_bundle;
    hopts.connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
                                                           : DEFAULT_CONNECT_TIMEOUT_MS;
    hopts.request_timeout_ms = cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms
                                                           : DEFAULT_REQUEST_TIMEOUT_MS;
    if (copy_config(c, cfg, err) != 0 ||
        (c->http = dynamop_http_new(&hopts, err)) == NULL) {
        dynamo_client_free(c);
        return NULL;
    }
    return c;
}

void
dynamo_client_free(struct dynamo_client *c)
{
    if (c == NULL)
        return;
    dynamop_http_free(c->http);
    util_free(c->region);
    util_free(c->url);
    util_free(c->host_hdr);
    dynamop_creds_wipe(&c->creds);
    dynamo_credentials_free(c->own_credentials);
    dynamop_sigv4_cache_wipe(&c->sigcache);
    util_free_secret(c->token_hdr);
    util_free(c->body.data);
    util_free(c);
}

const char *
dynamo_client_endpoint(const struct dynamo_client *c)
{
    return c->url;
}

const char *
dynamop_client_region(const struct dynamo_client *c)
{
    return c->region;
}

long
dynamo_client_connections(const struct dynamo_client *c)
{
    return dynamop_http_connections(c->http);
}

void
dynamo_client_stats(const struct dynamo_client *c, struct dynamo_client_stats *out)
{
    *out = (struct dynamo_client_stats){c->calls, c->retries, c->call_us,
                                        dynamop_http_connections(c->http)};
}

static long long
now_us(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* Operation names are CamelCase words; anything else would corrupt the header. */
static int
valid_operation(const char *op)
{
    size_t n = 0;

    for (; op[n] != '\0'; n++)
        if (!isalpha((unsigned char)op[n]))
            return 0;
    return n > 0 && n < 64;
}

/* The signed headers of one attempt.  Strings live in the struct or, for
 * the date and token, in the client (valid until its next attempt). */
struct signed_headers {
    const char *date; /* "YYYYMMDDTHHMMSSZ" */
    char target_hdr[sizeof(TARGET_PREFIX) + 64];
    char authz_hdr[sizeof(AUTHZ_NAME) - 1 + DYNAMOP_SIGV4_AUTHZ_MAX];
    const char *token_hdr; /* NULL: no session token */
    const char *list[6];
    size_t n;
};

/* The X-Amz-Date header for the current second, remade only when the clock
 * moved on.  Borrowed from C. */
static const char *
date_header(struct dynamo_client *c)
{
    time_t now = time(NULL);

    if (now != c->date_time || c->date_hdr[0] == '\0') {
        memcpy(c->date_hdr, DATE_NAME, sizeof(DATE_NAME) - 1);
        dynamop_sigv4_amz_date(now, c->date_hdr + sizeof(DATE_NAME) - 1);
        c->date_time = now;
    }
    return c->date_hdr;
}

/* The X-Amz-Security-Token header for TOKEN, remade only when the token
 * changed.  Borrowed from C; NULL with ERR when out of memory. */
static const char *
token_header(struct dynamo_client *c, const char *token, struct dynamo_err *err)
{
    const size_t name = sizeof(TOKEN_NAME) - 1;
    size_t n = strlen(token);

    if (c->token_hdr != NULL && strlen(c->token_hdr + name) == n &&
        memcmp(c->token_hdr + name, token, n) == 0)
        return c->token_hdr;
    /* The old token goes, all of it: what is left past a shorter new one
     * would outlive util_free_secret(), which wipes up to the NUL. */
    for (volatile char *p = c->token_hdr; p != NULL && p < c->token_hdr + c->token_cap;
         p++)
        *p = '\0';
    if (name + n + 1 > c->token_cap) {
        util_free_secret(c->token_hdr);
        c->token_cap = 0;
        if ((c->token_hdr = util_malloc(name + n + 1)) == NULL) {
            dynamop_err_nomem(err);
            return NULL;
        }
        c->token_cap = name + n + 1;
    }
    memcpy(c->token_hdr, TOKEN_NAME, name);
    memcpy(c->token_hdr + name, token, n + 1);
    return c->token_hdr;
}

/* Signs BODY for OPERATION at the current time with the provider's current
 * credentials.  Returns 0 or -1 (ERR). */
static int
sign(struct dynamo_client *c, const char *operation, const char *body, size_t len,
     struct signed_headers *sh, struct dynamo_err *err)
{
    static const char content_type[] = "Content-Type: application/x-amz-json-1.0";
    const size_t op_len = strlen(operation), authz = sizeof(AUTHZ_NAME) - 1;
    struct dynamop_header hdrs[5];
    struct dynamop_sigv4_request req = {"POST", "/", NULL, hdrs, 0, body, len, 1};
    struct dynamop_sigv4_creds creds;
    const char *token;

    /* This attempt's credentials: a copy, refreshed by the provider when they
     * are about to expire, so a refresh in another thread never frees them. */
    if (dynamop_credentials_get(c->credentials, 0, &c->creds, err) != 0)
        return -1;
    creds.access_key_id = c->creds.access_key_id;
    creds.secret_access_key = c->creds.secret_access_key;
    creds.session_token = c->creds.session_token;
    creds.generation = c->creds.generation;
    token = c->creds.session_token;
    if (token == NULL && c->token_hdr != NULL) {
        /* Credentials without a token now: the old one goes. */
        util_free_secret(c->token_hdr);
        c->token_hdr = NULL;
        c->token_cap = 0;
    }
    if (token != NULL && (sh->token_hdr = token_header(c, token, err)) == NULL)
        return -1;
    sh->date = date_header(c) + sizeof(DATE_NAME) - 1;
    /* valid_operation() checked the name: letters, under 64. */
    memcpy(sh->target_hdr, TARGET_PREFIX, sizeof(TARGET_PREFIX) - 1);
    memcpy(sh->target_hdr + sizeof(TARGET_PREFIX) - 1, operation, op_len + 1);
    hdrs[req.nheaders++] = (struct dynamop_header){"Content-Type", content_type + 14};
    hdrs[req.nheaders++] = (struct dynamop_header){"Host", c->host_hdr + 6};
    hdrs[req.nheaders++] = (struct dynamop_header){"X-Amz-Date", sh->date};
    hdrs[req.nheaders++] =
        (struct dynamop_header){"X-Amz-Target", sh->target_hdr + sizeof(TARGET_NAME) - 1};
    if (token != NULL)
        hdrs[req.nheaders++] = (struct dynamop_header){
            "X-Amz-Security-Token", sh->token_hdr + sizeof(TOKEN_NAME) - 1};
    memcpy(sh->authz_hdr, AUTHZ_NAME, authz);
    if (dynamop_sigv4_authorization_buf(&req, &creds, c->region, "dynamodb", sh->date,
                                        &c->sigcache, sh->authz_hdr + authz,
                                        sizeof(sh->authz_hdr) - authz, err) != 0) {
        sh->authz_hdr[0] = '\0';
        return -1;
    }
    sh->list[sh->n++] = content_type;
    sh->list[sh->n++] = c->host_hdr;
    sh->list[sh->n++] = c->date_hdr;
    sh->list[sh->n++] = sh->target_hdr;
    sh->list[sh->n++] = sh->authz_hdr;
    if (token != NULL)
        sh->list[sh->n++] = sh->token_hdr;
    return 0;
}

/* After an ExpiredTokenException, forces the provider to refetch (once: a
 * client whose copy is already behind just takes the newer credentials).
 * Returns 1 when the next attempt would sign with other credentials. */
static int
credentials_renewed(struct dynamo_client *c, const struct dynamo_err *e)
{
    struct dynamo_err ignored = {0};
    unsigned long gen = c->creds.generation;
    int rc;

    if (strcmp(e->type, "ExpiredTokenException") != 0 &&
        strcmp(e->type, "ExpiredToken") != 0)
        return 0;
    rc =
        dynamop_credentials_get(c->credentials, DYNAMOP_CREDS_FORCE, &c->creds, &ignored);
    return rc == 0 && c->creds.generation != gen;
}

/* Scrubs from ERR what the server may have echoed of this attempt's
 * secrets: the session token and signature sent, and the secret key.  AWS's
 * InvalidSignatureException quotes the canonical request (token included),
 * IncompleteSignatureException the Authorization header; error texts end up
 * in logs and answers (docs/conventions.md, 16). */
static void
redact(const struct dynamo_client *c, const struct signed_headers *sh,
       struct dynamo_err *err)
{
    const char *sig = strstr(sh->authz_hdr, "Signature=");
    const char *secrets[] = {
        sh->token_hdr != NULL ? sh->token_hdr + sizeof(TOKEN_NAME) - 1 : NULL,
        sig != NULL ? sig + 10 : NULL,
        c->creds.secret_access_key,
        c->creds.session_token,
    };

    dynamop_err_redact(err, secrets, sizeof(secrets) / sizeof(secrets[0]));
}

/* One HTTP attempt.  Returns 0 with a 200 answer's body decoded by DECODE
 * into OUT, or -1 with ERR filled and *RETRY saying whether the failure may
 * be retried; an error answer's JSON goes to *ERROR_BODY when that is not
 * NULL. */
static int
attempt_once(struct dynamo_client *c, const char *operation, const char *body, size_t len,
             enum dynamop_retry *retry, json_t **error_body, dynamop_decode_fn decode,
             void *out, struct dynamo_err *err)
{
    struct signed_headers sh;
    struct dynamop_http_resp resp;
    enum dynamop_http_fail fail;
    int rc = -1;

    /* Only what sign() may leave unset is cleared: zeroing the whole struct
     * (a kilobyte) cost more than filling it. */
    sh.token_hdr = NULL;
    sh.authz_hdr[0] = '\0';
    sh.n = 0;
    *retry = DYNAMOP_RETRY_NO;
    if (sign(c, operation, body, len, &sh, err) != 0)
        return -1;
    if (dynamop_http_post(c->http, c->url, sh.list, sh.n, body, len, &resp, &fail, err) !=
        0) {
        /* A transfer cut short (or past the body cap) may still have
         * brought a status and request id: they reach ERR below. */
        if (fail == DYNAMOP_HTTP_FAIL_CONNECT || fail == DYNAMOP_HTTP_FAIL_IO ||
            fail == DYNAMOP_HTTP_FAIL_TIMEOUT)
            *retry = DYNAMOP_RETRY_TRANSIENT;
    } else if (resp.has_crc32 && dynamop_crc32(resp.body, resp.body_len) != resp.crc32) {
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE,
                        "response body fails its x-amz-crc32 check");
        *retry = DYNAMOP_RETRY_TRANSIENT;
    } else if (resp.status != 200) {
        *retry = dynamop_decode_error(resp.status, resp.body, resp.body_len,
                                      resp.request_id, err);
        if (*retry == DYNAMOP_RETRY_NO && err != NULL && credentials_renewed(c, err))
            *retry =
                DYNAMOP_RETRY_TRANSIENT; /* signed again with the fresh credentials */
        if (error_body != NULL)
            *error_body = dynamop_json_parse(resp.body, resp.body_len, NULL);
    } else {
        rc = decode(resp.body, resp.body_len, out, err);
    }
    if (rc != 0 && err != NULL) {
        err->http_status = (int)resp.status;
        snprintf(err->request_id, sizeof(err->request_id), "%s", resp.request_id);
        redact(c, &sh, err);
    }
    return rc;
}

/* Takes retry tokens for a retry after a failure of kind E; 0 when the
 * quota is spent (then the error is returned as it is). */
static int
take_retry_tokens(struct dynamo_client *c, const struct dynamo_err *e)
{
    int cost = e->code == DYNAMO_ERR_TIMEOUT ? RETRY_TIMEOUT_COST : RETRY_COST;

    if (c->retry_tokens < cost)
        return 0;
    c->retry_tokens -= cost;
    return cost;
}

/* Attempts the call until it succeeds, fails for good or runs out of
 * attempts or retry tokens.  Returns 0 with OUT filled by DECODE, or -1. */
static int
call_text(struct dynamo_client *c, const char *operation, const char *body, size_t len,
          json_t **error_body, dynamop_decode_fn decode, void *out,
          struct dynamo_err *err)
{
    struct dynamo_err e;
    enum dynamop_retry retry;
    int spent = 0;

    for (int attempt = 1;; attempt++) {
        memset(&e, 0, sizeof(e));
        if (error_body != NULL) {
            json_decref(*error_body);
            *error_body = NULL;
        }
        if (attempt_once(c, operation, body, len, &retry, error_body, decode, out, &e) ==
            0) {
            c->retry_tokens += spent ? spent : 1;
            if (c->retry_tokens > RETRY_QUOTA)
                c->retry_tokens = RETRY_QUOTA;
            return 0;
        }
        if (retry == DYNAMOP_RETRY_NO || attempt >= c->max_attempts ||
            (spent = take_retry_tokens(c, &e)) == 0) {
            e.attempts = attempt;
            dynamop_err_copy(err, &e);
            return -1;
        }
        /* Retry ATTEMPT waits up to BASE * 2^(ATTEMPT-1): the first retry at
         * most the base delay, as in the SDKs' standard mode. */
        dynamop_backoff_sleep(attempt - 1, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
        c->retries++;
    }
}

json_t *
dynamo_call(struct dynamo_client *c, const char *operation, const json_t *request,
            struct dynamo_err *err)
{
    return dynamop_call_detail(c, operation, request, NULL, err);
}

/* OPERATION with the body WRITE makes of ARG, the answer decoded by DECODE
 * into OUT.  Returns 0, or -1 with ERR filled. */
static int
call_request(struct dynamo_client *c, const char *operation, dynamop_write_fn write,
             const void *arg, json_t **error_body, dynamop_decode_fn decode, void *out,
             struct dynamo_err *err)
{
    struct dynamop_buf *body = &c->body;
    long long start;
    int rc;

    /* The text goes into the client's buffer, kept for the next call; NUL
     * terminated for whoever reads it as a string. */
    body->len = 0;
    if (write(body, arg, err) != 0 || dynamop_buf_put(body, "", 1) != DYNAMO_OK) {
        dynamop_err_nomem(err); /* kept only when the writer set nothing */
        return -1;
    }
    start = now_us();
    rc = call_text(c, operation, body->data, body->len - 1, error_body, decode, out, err);
    c->calls++;
    c->call_us += now_us() - start;
    if (body->cap > KEEP_REQUEST_BYTES) {
        util_free(body->data);
        *body = (struct dynamop_buf){.max = MAX_REQUEST_BYTES};
    }
    return rc;
}

/* Whether a call may go: a client and an operation name, and REQUEST (when
 * the caller has one as a json_t) an object.  Returns 0, or -1 with ERR. */
static int
check_call(const struct dynamo_client *c, const char *operation, int has_request,
           const json_t *request, struct dynamo_err *err)
{
    if (c == NULL || operation == NULL || !valid_operation(operation) ||
        (has_request && !json_is_object(request))) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID,
                        "dynamo_call: needs a client, an operation "
                        "name and a JSON object");
        return -1;
    }
    return 0;
}

/* A dynamop_write_fn: the json_t ARG as compact text. */
static int
write_json(struct dynamop_buf *out, const void *arg, struct dynamo_err *err)
{
    return dynamop_json_dump(arg, out, err);
}

int
dynamop_decode_json(const char *body, size_t len, void *out, struct dynamo_err *err)
{
    json_t **json = out;

    *json = dynamop_decode_body(body, len, err);
    return *json != NULL ? 0 : -1;
}

json_t *
dynamop_call_detail(struct dynamo_client *c, const char *operation, const json_t *request,
                    json_t **error_body, struct dynamo_err *err)
{
    json_t *out = NULL;

    if (error_body != NULL)
        *error_body = NULL;
    if (check_call(c, operation, 1, request, err) != 0 ||
        call_request(c, operation, write_json, request, error_body, dynamop_decode_json,
                     &out, err) != 0)
        return NULL;
    return out;
}

int
dynamop_call_raw(struct dynamo_client *c, const char *operation, const json_t *request,
                 dynamop_decode_fn decode, void *out, struct dynamo_err *err)
{
    if (check_call(c, operation, 1, request, err) != 0)
        return -1;
    return call_request(c, operation, write_json, request, NULL, decode, out, err);
}

int
dynamop_call_write(struct dynamo_client *c, const char *operation, dynamop_write_fn write,
                   const void *arg, dynamop_decode_fn decode, void *out,
                   struct dynamo_err *err)
{
    if (check_call(c, operation, 0, NULL, err) != 0)
        return -1;
    return call_request(c, operation, write, arg, NULL, decode, out, err);
}
