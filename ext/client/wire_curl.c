/*
 * http_curl.c: POST over one libcurl easy handle with keep-alive, for
 * https:// endpoints and whenever a proxy is configured (http.c chooses).
 *
 * The handle is created once and reused, which keeps the TCP (and TLS)
 * connection open between calls.  TLS verification is always on: there is no
 * option to turn it off.  CURLOPT_NOSIGNAL because workers are threads.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pthread.h>

#include <curl/curl.h>

#include "wire_http.h"
#include "internal.h"

/* A body buffer larger than this is freed before the next transfer. */
#define KEEP_BODY_BYTES (1024u * 1024u)

struct dynamop_curl {
    CURL *curl;
    /* The URL posted to, parsed once (CURLOPT_CURLU): given as a string,
     * curl parses it again at every transfer, a tenth of the transfer's
     * CPU. */
    CURLU *url;
    char *url_text;
    char errbuf[CURL_ERROR_SIZE];
    char *body; /* response body, grown up to DYNAMOP_HTTP_MAX_BODY */
    size_t len;
    size_t cap;
    int overflow; /* the body passed the maximum: the transfer was aborted */
    char request_id[64];
    int has_crc32;
    unsigned long crc32;
    long connections;
};

static void
global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
dynamop_curl_global_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, global_init);
}

/* Appends response bytes.  Returns the count taken; anything else makes curl
 * abort with CURLE_WRITE_ERROR, which is how the maximum is enforced. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *udata)
{
    struct dynamop_curl *h = udata;
    size_t n = size * nmemb;

    if (h->len + n + 1 > h->cap) {
        size_t cap = h->cap ? h->cap : 4096;
        char *grown;

        while (cap < h->len + n + 1)
            cap *= 2;
        if (h->len + n + 1 > DYNAMOP_HTTP_MAX_BODY + 1) {
            h->overflow = 1;
            return 0;
        }
        if (cap > DYNAMOP_HTTP_MAX_BODY + 1)
            cap = DYNAMOP_HTTP_MAX_BODY + 1; /* never twice the cap for a body at it */
        grown = util_reallocarray(h->body, cap, 1);
        if (grown == NULL)
            return 0;
        h->body = grown;
        h->cap = cap;
    }
    memcpy(h->body + h->len, data, n);
    h->len += n;
    h->body[h->len] = '\0';
    return n;
}

/* Copies VALUE (LEN bytes, trailing CR/LF/space dropped) into OUT. */
static void
copy_header_value(const char *value, size_t len, char *out, size_t outsz)
{
    while (len > 0 && isspace((unsigned char)value[len - 1]))
        len--;
    while (len > 0 && isspace((unsigned char)*value)) {
        value++;
        len--;
    }
    if (len >= outsz)
        len = outsz - 1;
    memcpy(out, value, len);
    out[len] = '\0';
}

/* Picks the two response headers the client needs. */
static size_t
on_header(char *line, size_t size, size_t nmemb, void *udata)
{
    struct dynamop_curl *h = udata;
    size_t n = size * nmemb;
    char crc[32];

    if (n > 17 && strncasecmp(line, "x-amzn-requestid:", 17) == 0) {
        copy_header_value(line + 17, n - 17, h->request_id, sizeof(h->request_id));
    } else if (n > 13 && strncasecmp(line, "x-amz-crc32:", 12) == 0) {
        copy_header_value(line + 12, n - 12, crc, sizeof(crc));
        h->crc32 = strtoul(crc, NULL, 10);
        h->has_crc32 = 1;
    }
    return n;
}

static int
configure(struct dynamop_curl *h, const struct dynamop_http_opts *opts)
{
    CURL *c = h->curl;
    int rc = 0;

    rc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    rc |= curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    rc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, opts->connect_timeout_ms);
    rc |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, opts->request_timeout_ms);
    rc |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    rc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    rc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    rc |= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    rc |= curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    rc |= curl_easy_setopt(c, CURLOPT_POST, 1L);
    if (opts->ca_bundle != NULL)
        rc |= curl_easy_setopt(c, CURLOPT_CAINFO, opts->ca_bundle);
    return rc == 0 ? 0 : -1;
}

struct dynamop_curl *
dynamop_curl_new(const struct dynamop_http_opts *opts, struct dynamo_err *err)
{
    struct dynamop_curl *h;

    dynamop_curl_global_init();
    h = util_calloc(1, sizeof(*h));
    if (h == NULL) {
        dynamop_err_nomem(err);
        return NULL;
    }
    h->curl = curl_easy_init();
    if (h->curl == NULL || configure(h, opts) != 0) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG, "curl_easy_init: cannot set up a handle");
        dynamop_curl_free(h);
        return NULL;
    }
    return h;
}

void
dynamop_curl_free(struct dynamop_curl *h)
{
    if (h == NULL)
        return;
    if (h->curl != NULL)
        curl_easy_cleanup(h->curl);
    curl_url_cleanup(h->url);
    util_free(h->url_text);
    util_free(h->body);
    util_free(h);
}

long
dynamop_curl_connections(const struct dynamop_curl *h)
{
    return h->connections;
}

/* Sorts a curl failure into a retry class. */
static enum dynamop_http_fail
classify(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        return DYNAMOP_HTTP_FAIL_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return DYNAMOP_HTTP_FAIL_TIMEOUT;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2_STREAM:
        return DYNAMOP_HTTP_FAIL_IO;
    default:
        return DYNAMOP_HTTP_FAIL_FATAL;
    }
}

/* What a TLS failure means, or NULL for other failures.  None is retried
 * (classify() calls them fatal): a certificate that does not verify will not
 * verify on the next attempt either. */
static const char *
tls_failure(CURLcode rc)
{
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
        return "TLS certificate verification failed";
    case CURLE_SSL_CONNECT_ERROR:
        return "TLS handshake failed";
    case CURLE_SSL_CACERT_BADFILE:
        return "TLS CA bundle cannot be used";
    default:
        return NULL;
    }
}

static void
report_failure(struct dynamop_curl *h, CURLcode rc, enum dynamop_http_fail fail,
               struct dynamo_err *err)
{
    const char *detail = h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);
    const char *tls = tls_failure(rc);

    if (h->overflow) {
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE,
                        "response body larger than %u bytes", DYNAMOP_HTTP_MAX_BODY);
    } else if (fail == DYNAMOP_HTTP_FAIL_TIMEOUT) {
        dynamop_err_set(err, DYNAMO_ERR_TIMEOUT, "curl_easy_perform: %s", detail);
    } else if (rc == CURLE_WEIRD_SERVER_REPLY || rc == CURLE_UNSUPPORTED_PROTOCOL) {
        /* The URL's scheme was checked when the client was made: this is
         * an answer that is not HTTP/1.x ("Unsupported response code"). */
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE,
                        "curl_easy_perform: malformed HTTP answer: %s", detail);
    } else if (rc == CURLE_WRITE_ERROR) {
        dynamop_err_nomem(err);
    } else if (tls != NULL) {
        /* A CA bundle that cannot be read is the configuration's mistake. */
        dynamop_err_set(
            err, rc == CURLE_SSL_CACERT_BADFILE ? DYNAMO_ERR_CONFIG : DYNAMO_ERR_NETWORK,
            "curl_easy_perform: %s: %s", tls, detail);
    } else {
        dynamop_err_set(err, DYNAMO_ERR_NETWORK, "curl_easy_perform: %s", detail);
    }
}

/* Links NODES (room for N + 2) into the header list for HEADERS: curl only
 * reads a struct curl_slist (it copies nothing and frees nothing it did not
 * make), so nodes on the caller's stack pointing at the caller's strings
 * spare the 2N allocations of curl_slist_append.  They must outlive the
 * transfer. */
static struct curl_slist *
header_list(struct curl_slist *nodes, const char *const *headers, size_t n)
{
    /* curl adds these by default; DynamoDB needs neither. */
    static const char *const fixed[] = {"Expect:", "Accept:"};
    const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);

    for (size_t i = 0; i < nfixed + n; i++) {
        /* curl_slist's data is not const, but curl never writes through it. */
        nodes[i].data = (char *)(i < nfixed ? fixed[i] : headers[i - nfixed]);
        nodes[i].next = i + 1 < nfixed + n ? &nodes[i + 1] : NULL;
    }
    return nodes;
}

/* Points the handle at URL, parsed only when it is not the last one.
 * Returns 0, or -1 with ERR (DYNAMO_ERR_CONFIG, or _NOMEM). */
static int
set_url(struct dynamop_curl *h, const char *url, struct dynamo_err *err)
{
    CURLU *u;
    CURLUcode uc;
    char *text;

    if (h->url_text != NULL && strcmp(h->url_text, url) == 0)
        return 0;
    u = curl_url();
    text = util_strdup(url);
    if (u == NULL || text == NULL) {
        curl_url_cleanup(u);
        util_free(text);
        dynamop_err_nomem(err);
        return -1;
    }
    if ((uc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK ||
        curl_easy_setopt(h->curl, CURLOPT_CURLU, u) != CURLE_OK) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG, "curl_url_set: '%s': %s", url,
                        uc != CURLUE_OK ? curl_url_strerror(uc)
                                        : "not taken by the handle");
        curl_url_cleanup(u);
        util_free(text);
        return -1;
    }
    curl_url_cleanup(h->url); /* the handle now reads U only */
    util_free(h->url_text);
    h->url = u;
    h->url_text = text;
    return 0;
}

static void
reset_response(struct dynamop_curl *h)
{
    if (h->cap > KEEP_BODY_BYTES) {
        /* One big answer must not pin megabytes for the client's lifetime. */
        util_free(h->body);
        h->body = NULL;
        h->cap = 0;
    }
    h->len = 0;
    if (h->body != NULL)
        h->body[0] = '\0';
    h->overflow = 0;
    h->request_id[0] = '\0';
    h->has_crc32 = 0;
    h->crc32 = 0;
    h->errbuf[0] = '\0';
}

int
dynamop_curl_post(struct dynamop_curl *h, const char *url, const char *const *headers,
                  size_t nheaders, const char *body, size_t body_len,
                  struct dynamop_http_resp *resp, enum dynamop_http_fail *fail,
                  struct dynamo_err *err)
{
    struct curl_slist nodes[DYNAMOP_HTTP_MAX_HEADERS + 2];
    long connects = 0;
    CURLcode rc;

    *fail = DYNAMOP_HTTP_FAIL_FATAL;
    *resp = (struct dynamop_http_resp){.body = "", .request_id = ""};
    if (nheaders > DYNAMOP_HTTP_MAX_HEADERS) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID,
                        "dynamop_curl_post: %zu headers, at most %d", nheaders,
                        DYNAMOP_HTTP_MAX_HEADERS);
        return -1;
    }
    if (set_url(h, url, err) != 0)
        return -1;
    reset_response(h);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, header_list(nodes, headers, nheaders));
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    rc = curl_easy_perform(h->curl);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
    if (curl_easy_getinfo(h->curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK)
        h->connections += connects;
    /* Even a failed transfer may have brought the answer's head (a body cut
     * short or past the cap): its status and request id help whoever reads
     * the error.  curl resets the status to 0 at each transfer's start. */
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->request_id = h->request_id;
    if (rc != CURLE_OK) {
        *fail = classify(rc);
        report_failure(h, rc, *fail, err);
        return -1;
    }
    *fail = DYNAMOP_HTTP_FAIL_NONE;
    resp->body = h->body != NULL ? h->body : "";
    resp->body_len = h->len;
    resp->has_crc32 = h->has_crc32;
    resp->crc32 = h->crc32;
    return 0;
}
