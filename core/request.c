/*
 * request.c: the request and response objects handlers see.  The framework
 * owns both structs; the request owns copies of all its strings, so nothing
 * a handler reads points into libfcgi's buffers.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* ---- building a request (framework side) ------------------------------- */

void
webp_req_init(struct web_req *req, struct web_app *app, struct web_ctx *ctx,
              size_t max_body)
{
    memset(req, 0, sizeof(*req));
    req->app = app;
    req->ctx = ctx;
    webp_kvlist_init(&req->params, WEBP_MAX_SEGMENTS);
    webp_kvlist_init(&req->query, WEBP_MAX_QUERY_PARAMS);
    webp_kvlist_init(&req->headers, WEBP_MAX_REQ_HEADERS);
    webp_buf_init(&req->body, max_body);
}

void
webp_req_free(struct web_req *req)
{
    util_free(req->method);
    util_free(req->uri);
    webp_path_free(&req->path);
    webp_kvlist_free(&req->params);
    webp_kvlist_free(&req->query);
    webp_kvlist_free(&req->headers);
    webp_buf_free(&req->body);
    req->method = NULL;
    req->uri = NULL;
}

int
webp_req_set_target(struct web_req *req, const char *method, const char *uri)
{
    util_free(req->method);
    util_free(req->uri);
    req->method = util_strdup(method);
    req->uri = util_strdup(uri);
    return req->method && req->uri ? WEBP_OK : WEBP_NOMEM;
}

void
webp_req_reject(struct web_req *req, int status, const char *msg)
{
    /* The first problem found is the one reported. */
    if (req->reject_status == 0) {
        req->reject_status = status;
        req->reject_msg = msg;
    }
}

int
webp_req_add_header(struct web_req *req, const char *name, size_t nlen, const char *value,
                    size_t vlen)
{
    int rc = webp_kvlist_add(&req->headers, name, nlen, value, vlen);

    if (rc == WEBP_LIMIT) {
        webp_req_reject(req, 431, "too many request headers");
        return WEBP_OK;
    }
    return rc;
}

int
webp_req_add_body(struct web_req *req, const void *data, size_t len)
{
    int rc;

    if (req->reject_status == 413)
        return WEBP_OK;
    rc = webp_buf_append(&req->body, data, len);
    if (rc == WEBP_LIMIT) {
        webp_req_reject(req, 413, "request body too large");
        return WEBP_OK;
    }
    return rc;
}

/* ---- request accessors --------------------------------------------------- */

const char *
web_req_method(const struct web_req *req)
{
    return req ? req->method : NULL;
}

const char *
web_req_path(const struct web_req *req)
{
    return req ? req->path.decoded : NULL;
}

const char *
web_req_param(const struct web_req *req, const char *name)
{
    return req && name ? webp_kvlist_get(&req->params, name, 0) : NULL;
}

const char *
web_req_query(const struct web_req *req, const char *name)
{
    return req && name ? webp_kvlist_get(&req->query, name, 0) : NULL;
}

const char *
web_req_header(const struct web_req *req, const char *name)
{
    return req && name ? webp_kvlist_get(&req->headers, name, 1) : NULL;
}

const char *
web_req_body(const struct web_req *req, size_t *len)
{
    if (len != NULL)
        *len = req ? req->body.len : 0;
    return req && req->body.data ? req->body.data : "";
}

json_t *
web_req_json(const struct web_req *req, struct web_resp *resp)
{
    json_error_t jerr;
    json_t *json;

    if (req == NULL)
        return NULL;
    json = json_loadb(req->body.data ? req->body.data : "", req->body.len,
                      JSON_REJECT_DUPLICATES, &jerr);
    if (json == NULL && resp != NULL)
        web_resp_error(resp, 400,
                       "invalid JSON body: line %d, column %d (position %d): %s",
                       jerr.line, jerr.column, jerr.position, jerr.text);
    return json;
}

struct web_ctx *
web_req_ctx(const struct web_req *req)
{
    return req ? req->ctx : NULL;
}

struct web_app *
web_req_app(const struct web_req *req)
{
    return req ? req->app : NULL;
}

/* ---- responses ----------------------------------------------------------- */

void
webp_resp_init(struct web_resp *resp)
{
    memset(resp, 0, sizeof(*resp));
    webp_kvlist_init(&resp->headers, WEBP_MAX_RESP_HEADERS);
    webp_buf_init(&resp->body, WEBP_MAX_RESP_BODY);
}

void
webp_resp_reset(struct web_resp *resp)
{
    webp_kvlist_free(&resp->headers);
    webp_buf_free(&resp->body);
    webp_resp_init(resp);
}

const char *
webp_resp_header_get(const struct web_resp *resp, const char *name)
{
    return webp_kvlist_get(&resp->headers, name, 1);
}

void
web_resp_status(struct web_resp *resp, int status)
{
    if (resp == NULL)
        return;
    if (status < 100 || status > 599)
        resp->failed = 1;
    resp->status = status;
}

/* RFC 9110, section 5.6.2: a token. */
static int
is_token(const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";

    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++) {
        char c = *s;

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || strchr(extra, c) != NULL))
            return 0;
    }
    return 1;
}

/* RFC 9110, section 5.5: no CR, LF, NUL or other control bytes but HTAB, so a
 * value cannot smuggle a second header in. */
static int
value_ok(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++, n++)
        if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
            return 0;
    return n <= WEBP_MAX_HEADER_VALUE;
}

int
web_resp_header(struct web_resp *resp, const char *name, const char *value)
{
    if (resp == NULL)
        return -1;
    /* "Status" is how a FastCGI app sets the status line: not a header. */
    if (name == NULL || value == NULL || !is_token(name) || !value_ok(value) ||
        webp_strcasecmp(name, "Status") == 0) {
        resp->failed = 1;
        return -1;
    }
    if (webp_strcasecmp(name, "Content-Type") == 0 ||
        webp_strcasecmp(name, "Content-Length") == 0)
        webp_kvlist_remove(&resp->headers, name);
    if (webp_kvlist_add(&resp->headers, name, strlen(name), value, strlen(value)) !=
        WEBP_OK) {
        resp->failed = 1;
        return -1;
    }
    return 0;
}

int
web_resp_body(struct web_resp *resp, const void *data, size_t len)
{
    if (resp == NULL)
        return -1;
    webp_buf_free(&resp->body);
    if ((data == NULL && len > 0) || webp_buf_append(&resp->body, data, len) != WEBP_OK) {
        resp->failed = 1;
        return -1;
    }
    return 0;
}

/* json_dump_callback sink: appends to the response body. */
static int
dump_to_buf(const char *data, size_t size, void *arg)
{
    return webp_buf_append(arg, data, size) == WEBP_OK ? 0 : -1;
}

int
web_resp_json(struct web_resp *resp, int status, json_t *json)
{
    int rc = -1;

    if (resp != NULL && json != NULL) {
        webp_buf_free(&resp->body);
        rc = json_dump_callback(json, dump_to_buf, &resp->body,
                                JSON_COMPACT | JSON_ENCODE_ANY);
    }
    json_decref(json);
    if (resp == NULL)
        return -1;
    web_resp_status(resp, status);
    if (rc != 0 || web_resp_header(resp, "Content-Type", "application/json") != 0) {
        resp->failed = 1;
        return -1;
    }
    return 0;
}

int
web_resp_error(struct web_resp *resp, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (resp == NULL || fmt == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* jansson only takes UTF-8; a message quoting client bytes may not be. */
    webp_utf8_sanitize(msg);
    return web_resp_json(resp, status, json_pack("{s:s}", "error", msg));
}

const char *
webp_status_reason(int status)
{
    static const struct {
        int status;
        const char *reason;
    } reasons[] = {
        {100, "Continue"},
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {206, "Partial Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {406, "Not Acceptable"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {410, "Gone"},
        {411, "Length Required"},
        {412, "Precondition Failed"},
        {413, "Content Too Large"},
        {414, "URI Too Long"},
        {415, "Unsupported Media Type"},
        {416, "Range Not Satisfiable"},
        {422, "Unprocessable Content"},
        {428, "Precondition Required"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };
    size_t i;

    for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].status == status)
            return reasons[i].reason;
    return "Unknown";
}
