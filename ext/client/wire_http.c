/*
 * http.c: the transport a client's call takes.  http:// endpoints go
 * through the own HTTP/1.1 transport (http_plain.c), https:// ones through
 * libcurl (http_curl.c); so does everything when DYNAMO_TRANSPORT_CURL is
 * asked for, or when the environment names a proxy libcurl would use for
 * http:// (the plain transport speaks to the endpoint directly, never to a
 * proxy).  Each is created at its first use.
 */
#include <stdlib.h>
#include <string.h>

#include "wire_http.h"
#include "internal.h"

struct dynamop_http {
    struct dynamop_http_opts opts;
    char *ca_bundle;   /* opts.ca_bundle's copy */
    int plain_allowed; /* may http:// URLs take the plain transport? */
    struct dynamop_plain *plain;
    struct dynamop_curl *curl;
};

/* Would libcurl send an http:// request through a proxy?  It reads these
 * three (not HTTP_PROXY, which a CGI request can set). */
static int
proxy_configured(void)
{
    static const char *const names[] = {"http_proxy", "all_proxy", "ALL_PROXY"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = getenv(names[i]);

        if (v != NULL && *v != '\0')
            return 1;
    }
    return 0;
}

struct dynamop_http *
dynamop_http_new(const struct dynamop_http_opts *opts, struct dynamo_err *err)
{
    struct dynamop_http *h = util_calloc(1, sizeof(*h));

    if (h == NULL || (opts->ca_bundle != NULL &&
                      (h->ca_bundle = util_strdup(opts->ca_bundle)) == NULL)) {
        util_free(h);
        dynamop_err_nomem(err);
        return NULL;
    }
    h->opts = *opts;
    h->opts.ca_bundle = h->ca_bundle;
    h->plain_allowed = opts->transport == DYNAMO_TRANSPORT_AUTO && !proxy_configured();
    return h;
}

void
dynamop_http_free(struct dynamop_http *h)
{
    if (h == NULL)
        return;
    dynamop_plain_free(h->plain);
    dynamop_curl_free(h->curl);
    util_free(h->ca_bundle);
    util_free(h);
}

long
dynamop_http_connections(const struct dynamop_http *h)
{
    return (h->plain != NULL ? dynamop_plain_connections(h->plain) : 0) +
           (h->curl != NULL ? dynamop_curl_connections(h->curl) : 0);
}

int
dynamop_http_post(struct dynamop_http *h, const char *url, const char *const *headers,
                  size_t nheaders, const char *body, size_t body_len,
                  struct dynamop_http_resp *resp, enum dynamop_http_fail *fail,
                  struct dynamo_err *err)
{
    *fail = DYNAMOP_HTTP_FAIL_FATAL;
    *resp = (struct dynamop_http_resp){.body = "", .request_id = ""};
    if (nheaders > DYNAMOP_HTTP_MAX_HEADERS) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID,
                        "dynamop_http_post: %zu headers, at most %d", nheaders,
                        DYNAMOP_HTTP_MAX_HEADERS);
        return -1;
    }
    if (h->plain_allowed && strncmp(url, "http://", 7) == 0) {
        if (h->plain == NULL && (h->plain = dynamop_plain_new(&h->opts, err)) == NULL)
            return -1;
        return dynamop_plain_post(h->plain, url, headers, nheaders, body, body_len, resp,
                                  fail, err);
    }
    if (h->curl == NULL && (h->curl = dynamop_curl_new(&h->opts, err)) == NULL)
        return -1;
    return dynamop_curl_post(h->curl, url, headers, nheaders, body, body_len, resp, fail,
                             err);
}
