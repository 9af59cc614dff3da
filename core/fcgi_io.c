/*
 * fcgi_io.c: one FastCGI request: FastCGI params and stdin into a web_req,
 * the dispatched web_resp out as a CGI response (RFC 3875, section 6), and
 * the access-log line.  The worker threads and signals are in fcgi.c.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Past WEB_MAX_BODY the rest of the body is read and dropped (the web server
 * is still sending it) up to this much; beyond, the connection is closed. */
#define DRAIN_MAX (16L * 1024 * 1024)
#define HEAD_MAX (1024L * 1024) /* status line and headers */

/* ---- the CGI variables -------------------------------------------------------- */

/* The FastCGI params a request is built from (NULL: absent). */
struct cgi_vars {
    const char *method, *content_length, *query, *script, *info, *doc, *ruri;
};

/* Finds the variables of interest in ENVP in one pass ("NAME=value"; the
 * first of a name wins, as with FCGX_GetParam, which would scan ENVP once
 * per name). */
static void
scan_vars(FCGX_ParamArray envp, struct cgi_vars *v)
{
    const struct {
        const char *name;
        const char **slot;
    } known[] = {
        {"REQUEST_METHOD", &v->method}, {"CONTENT_LENGTH", &v->content_length},
        {"QUERY_STRING", &v->query},    {"SCRIPT_NAME", &v->script},
        {"PATH_INFO", &v->info},        {"DOCUMENT_URI", &v->doc},
        {"REQUEST_URI", &v->ruri},
    };
    size_t i, k;

    memset(v, 0, sizeof(*v));
    for (i = 0; envp != NULL && envp[i] != NULL; i++) {
        const char *p = envp[i];

        /* Headers (HTTP_*) are most of the params and none of these. */
        if (p[0] == 'H')
            continue;
        for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
            size_t len = strlen(known[k].name);

            /* strncmp first: it stops at P's end, so P[len] is then in P. */
            if (strncmp(p, known[k].name, len) == 0 && p[len] == '=') {
                if (*known[k].slot == NULL)
                    *known[k].slot = p + len + 1;
                break;
            }
        }
    }
}

/* ---- the request target --------------------------------------------------- */

/* Appends S to B percent-encoding what a decoded path (SCRIPT_NAME, PATH_INFO,
 * DOCUMENT_URI) may hold that the router would otherwise decode again or
 * misread.  WEBP_OK, WEBP_NOMEM or WEBP_LIMIT. */
static int
append_encoded(struct webp_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = WEBP_OK;

    for (; *s != '\0' && rc == WEBP_OK; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};

        if (c <= 0x20 || c >= 0x7f || c == '%' || c == '?' || c == '#')
            rc = webp_buf_append(b, esc, 3);
        else
            rc = webp_buf_append(b, s, 1);
    }
    return rc;
}

/* SCRIPT_NAME then PATH_INFO (CGI, RFC 3875, section 4.1), re-encoded. */
static int
append_fallback(struct webp_buf *b, const char *script, const char *info)
{
    int rc = append_encoded(b, script ? script : "");

    return rc == WEBP_OK ? append_encoded(b, info ? info : "") : rc;
}

/* The raw path of REQUEST_URI: origin-form ("/a?b") or absolute-form
 * ("http://host/a?b", RFC 9112, section 3.2.2) reduced to its path.  NULL if
 * unusable. */
static const char *
request_uri_path(const char *ruri, size_t *len)
{
    const char *p = ruri, *scheme;

    if (p == NULL)
        return NULL;
    scheme = strstr(p, "://");
    if (p[0] != '/' && scheme != NULL && strcspn(p, "/?") > (size_t)(scheme - p)) {
        p = strchr(scheme + 3, '/');
        if (p == NULL)
            return NULL;
    }
    if (p[0] != '/')
        return NULL;
    *len = strcspn(p, "?");
    return p;
}

/* Builds the request target "path[?query]" from the FastCGI params into B.
 * The path comes raw from REQUEST_URI when possible, so "%2F" survives into
 * path parameters; the query from QUERY_STRING (it reflects web-server
 * rewrites), else from REQUEST_URI.  WEBP_OK, WEBP_NOMEM or WEBP_LIMIT. */
static int
build_target(const struct cgi_vars *v, struct webp_buf *b)
{
    const char *qs = v->query, *script = v->script, *info = v->info, *doc = v->doc;
    size_t plen = 0;
    const char *path = request_uri_path(v->ruri, &plen);
    int rc = WEBP_OK;

    if (path != NULL)
        rc = webp_buf_append(b, path, plen);
    else if ((script && *script) || (info && *info))
        rc = append_fallback(b, script, info);
    else if (doc != NULL)
        rc = append_encoded(b, doc);
    if (qs == NULL && path != NULL && path[plen] == '?')
        qs = path + plen + 1;
    if (rc == WEBP_OK && qs != NULL && *qs != '\0')
        rc = webp_buf_appendf(b, "?%s", qs);
    return rc;
}

/* ---- headers and body ------------------------------------------------------ */

/* Converts the CGI name of a header ("HTTP_X_API_KEY" without the prefix)
 * into its HTTP form ("X-Api-Key") in OUT.  Returns the length. */
static size_t
header_name(const char *cgi, size_t len, char *out)
{
    size_t i;
    int word_start = 1;

    for (i = 0; i < len; i++) {
        char c = cgi[i];

        if (c == '_') {
            out[i] = '-';
            word_start = 1;
            continue;
        }
        if (word_start && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        else if (!word_start && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[i] = c;
        word_start = 0;
    }
    return len;
}

/* Adds the HTTP_* params, CONTENT_TYPE and CONTENT_LENGTH as headers.
 * WEBP_OK or WEBP_NOMEM. */
static int
add_headers(struct web_req *req, FCGX_ParamArray envp)
{
    char name[256];
    size_t i;

    for (i = 0; envp != NULL && envp[i] != NULL; i++) {
        const char *p = envp[i], *eq = strchr(p, '=');
        size_t nlen;
        int rc;

        if (eq == NULL)
            continue;
        if (strncmp(p, "HTTP_", 5) == 0)
            p += 5;
        else if (strncmp(p, "CONTENT_TYPE=", 13) != 0 &&
                 strncmp(p, "CONTENT_LENGTH=", 15) != 0)
            continue;
        nlen = (size_t)(eq - p);
        if (nlen == 0 || nlen >= sizeof(name))
            continue;
        rc = webp_req_add_header(req, name, header_name(p, nlen, name), eq + 1,
                                 strlen(eq + 1));
        if (rc != WEBP_OK)
            return rc;
    }
    return WEBP_OK;
}

/* CONTENT_LENGTH as a number: 0 when absent, -1 when malformed. */
static long long
content_length(const char *s)
{
    long long n = 0;

    if (s == NULL || *s == '\0')
        return 0;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || n > (1LL << 52))
            return -1;
        n = n * 10 + (*s - '0');
    }
    return n;
}

/* Reads stdin into REQ's body; past the maximum the rest is read and dropped
 * (up to DRAIN_MAX) so the connection stays in step.  Returns 0, 1 when the
 * connection must be closed (body not drained), or WEBP_NOMEM. */
static int
read_body(struct web_req *req, FCGX_Stream *in, long long declared)
{
    char chunk[8192];
    long long seen = 0;
    int n, rc;

    if (declared > (long long)req->body.max)
        webp_req_reject(req, 413, "request body too large");
    while ((n = FCGX_GetStr(chunk, (int)sizeof(chunk), in)) > 0) {
        seen += n;
        rc = webp_req_add_body(req, chunk, (size_t)n);
        if (rc != WEBP_OK)
            return rc;
        if (req->reject_status == 413 && seen > (long long)req->body.max + DRAIN_MAX)
            return 1;
        if (n < (int)sizeof(chunk))
            break;
    }
    return 0;
}

/* Fills REQ from the FastCGI request FR.  0, 1 (close the connection after
 * answering), or -1 when out of memory. */
static int
read_request(struct web_req *req, FCGX_Request *fr)
{
    struct cgi_vars v;
    struct webp_buf target;
    const char *method;
    long long declared;
    int rc;

    scan_vars(fr->envp, &v);
    method = v.method;
    declared = content_length(v.content_length);

    webp_buf_init(&target, WEBP_MAX_URI + 1);
    rc = build_target(&v, &target);
    if (rc == WEBP_LIMIT) {
        webp_req_reject(req, 414, "request target too long");
        rc = WEBP_OK;
    }
    if (rc == WEBP_OK)
        rc = webp_req_set_target(req, method ? method : "",
                                 target.data ? target.data : "");
    webp_buf_free(&target);
    if (rc == WEBP_OK)
        rc = add_headers(req, fr->envp);
    if (rc != WEBP_OK)
        return -1;
    if (declared < 0)
        webp_req_reject(req, 400, "malformed Content-Length");
    rc = read_body(req, fr->in, declared);
    return rc == WEBP_NOMEM ? -1 : rc;
}

/* ---- the response ------------------------------------------------------------ */

/* RFC 9110, sections 6.4.1 and 15: no content with 1xx, 204 or 304. */
static int
status_has_body(int status)
{
    return status >= 200 && status != 204 && status != 304;
}

/* Appends the NUL-terminated S, then the NUL-terminated T (may be NULL), to
 * B.  WEBP_OK, WEBP_NOMEM or WEBP_LIMIT. */
static int
append2(struct webp_buf *b, const char *s, const char *t)
{
    int rc = webp_buf_append(b, s, strlen(s));

    return rc == WEBP_OK && t != NULL ? webp_buf_append(b, t, strlen(t)) : rc;
}

/* Appends V in decimal to B. */
static int
append_uint(struct webp_buf *b, size_t v)
{
    char digits[24], *p = digits + sizeof(digits);

    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return webp_buf_append(b, p, (size_t)(digits + sizeof(digits) - p));
}

/* Builds the CGI header block of RESP into HEAD.  Content-Length is always
 * computed from the body, except that a HEAD handler with no body may state
 * the length the GET would have.  Built by appends, not printf: this runs
 * for every response.  WEBP_OK, WEBP_NOMEM or WEBP_LIMIT. */
static int
build_head(const struct web_req *req, const struct web_resp *resp, struct webp_buf *head)
{
    int head_only = strcmp(req->method, "HEAD") == 0;
    const char *stated = webp_resp_header_get(resp, "Content-Length");
    size_t i;
    int rc = append2(head, "Status: ", NULL);

    /* A status out of 100..599 fails the response before it gets here. */
    if (rc == WEBP_OK)
        rc = append_uint(head, (size_t)(resp->status < 0 ? 0 : resp->status));
    if (rc == WEBP_OK)
        rc = append2(head, " ", webp_status_reason(resp->status));
    if (rc == WEBP_OK)
        rc = webp_buf_append(head, "\r\n", 2);
    for (i = 0; rc == WEBP_OK && i < resp->headers.n; i++) {
        const struct webp_kv *h = &resp->headers.items[i];

        if (webp_strcasecmp(h->name, "Content-Length") == 0)
            continue;
        rc = append2(head, h->name, ": ");
        if (rc == WEBP_OK)
            rc = append2(head, h->value, "\r\n");
    }
    if (rc == WEBP_OK && status_has_body(resp->status)) {
        rc = append2(head, "Content-Length: ", NULL);
        if (rc == WEBP_OK && head_only && resp->body.len == 0 && stated != NULL)
            rc = append2(head, stated, NULL);
        else if (rc == WEBP_OK)
            rc = append_uint(head, resp->body.len);
        if (rc == WEBP_OK)
            rc = webp_buf_append(head, "\r\n", 2);
    }
    if (rc == WEBP_OK)
        rc = webp_buf_append(head, "\r\n", 2);
    return rc;
}

/* The response of last resort: built without allocating. */
static void
write_static_500(FCGX_Stream *out)
{
    static const char body[] = "{\"error\":\"internal server error\"}";
    char head[160];
    int n =
        snprintf(head, sizeof(head),
                 "Status: 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\n\r\n",
                 sizeof(body) - 1);

    FCGX_PutStr(head, n, out);
    FCGX_PutStr(body, (int)sizeof(body) - 1, out);
}

/* Writes RESP to OUT.  Returns the status sent. */
static int
write_response(const struct web_req *req, const struct web_resp *resp, FCGX_Stream *out)
{
    struct webp_buf head;

    webp_buf_init(&head, HEAD_MAX);
    if (build_head(req, resp, &head) != WEBP_OK) {
        write_static_500(out);
        return 500;
    }
    FCGX_PutStr(head.data, (int)head.len, out);
    /* RFC 9110, section 9.3.2: HEAD gets the GET's headers, no content. */
    if (strcmp(req->method, "HEAD") != 0 && status_has_body(resp->status) &&
        resp->body.len > 0)
        FCGX_PutStr(resp->body.data, (int)resp->body.len, out);
    webp_buf_free(&head);
    return resp->status;
}

/* ---- access log ---------------------------------------------------------- */

static long long
elapsed_us(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (long long)(t1.tv_sec - t0->tv_sec) * 1000000 +
           (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* One info line per request: method, raw path (never the query string: it
 * may carry secrets), status, microseconds, then what the extensions add
 * (e.g. "dynamo=1call/350us conn=0").  One web_log call, so lines from
 * different workers do not interleave. */
static void
log_access(const struct web_req *req, struct web_ctx *ctx, int status,
           const struct timespec *t0)
{
    char method[48], path[512], extra[512];
    const char *uri = req->uri ? req->uri : "-";
    long long us;

    if (!webp_log_enabled(req->app, WEB_LOG_INFO)) {
        /* The hooks still move their marks (see below), writing nothing. */
        webp_ctx_log_request(ctx, NULL, 0);
        return;
    }
    us = elapsed_us(t0);
    webp_escape(method, sizeof(method), req->method ? req->method : "-",
                req->method ? strlen(req->method) : 1);
    webp_escape(path, sizeof(path), uri, strcspn(uri, "?"));
    /* Always called, even when the line is filtered out: the hooks count
     * "since the previous request". */
    webp_ctx_log_request(ctx, extra, sizeof(extra));
    webp_log_access(req->app, "%s %s %d %lldus%s", method, path, status, us, extra);
}

int
webp_fcgi_serve_one(struct web_app *app, struct web_ctx *ctx, size_t max_body,
                    FCGX_Request *fr)
{
    struct timespec t0;
    struct web_req req;
    struct web_resp resp;
    int status, rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    webp_req_init(&req, app, ctx, max_body);
    webp_resp_init(&resp);
    rc = read_request(&req, fr);
    if (rc >= 0 && webp_dispatch(app, &req, &resp) == 0) {
        status = write_response(&req, &resp, fr->out);
    } else {
        write_static_500(fr->out);
        status = 500;
    }
    log_access(&req, ctx, status, &t0);
    webp_req_free(&req);
    webp_resp_reset(&resp);
    return rc == 1;
}
