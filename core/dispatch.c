/*
 * dispatch.c: one request through the router, shared by the FastCGI loop
 * (fcgi.c) and web_app_handle().  Everything the client got wrong becomes a
 * JSON 4xx; everything a handler got wrong becomes a JSON 500.  A handler can
 * only fail through return codes: the process never dies because of one.
 */
#include <limits.h>
#include <string.h>

#include "internal.h"

int
webp_max_body(const struct web_app *app, size_t *out, struct web_err *err)
{
    long n;

    if (web_config_long(app, "WEB_MAX_BODY", WEBP_DEFAULT_MAX_BODY, 0, LONG_MAX, &n,
                        err) != 0)
        return -1;
    *out = (size_t)n;
    return 0;
}

/* Replaces whatever RESP holds with a JSON error.  0, or -1 when out of
 * memory (RESP then holds STATUS and no body). */
static int
fail_with(struct web_resp *resp, int status, const char *msg)
{
    webp_resp_reset(resp);
    if (web_resp_error(resp, status, "%s", msg) == 0)
        return 0;
    webp_resp_reset(resp);
    resp->status = status;
    return -1;
}

/* Parses REQ's target into its path and query.  0, or an HTTP status with
 * *MSG set (400, 414), or -1 when out of memory. */
static int
parse_target(struct web_req *req, const char **msg)
{
    const char *uri = req->uri, *q;
    size_t len = strlen(uri), plen;
    int rc;

    if (len > WEBP_MAX_URI) {
        *msg = "request target too long";
        return 414;
    }
    q = memchr(uri, '?', len);
    plen = q ? (size_t)(q - uri) : len;
    rc = webp_path_parse(uri, plen, &req->path);
    if (rc == WEBP_LIMIT)
        *msg = "too many path segments";
    else if (rc == WEBP_BAD)
        *msg = "malformed path (it must start with '/'; no bad escapes, no %00)";
    if (rc == WEBP_OK && q != NULL) {
        rc = webp_query_parse(q + 1, len - plen - 1, &req->query);
        *msg = rc == WEBP_LIMIT ? "too many query parameters"
                                : "malformed query string (bad escape or %00)";
    }
    if (rc == WEBP_NOMEM)
        return -1;
    if (rc == WEBP_LIMIT && req->path.decoded == NULL)
        return 414;
    return rc == WEBP_OK ? 0 : 400;
}

/* Turns a finished handler run into the response that goes out: a handler
 * error, an unset status or a failed setter become a 500. */
static int
check_handler_result(int rc, struct web_resp *resp)
{
    if (rc == 0 && resp->status != 0 && !resp->failed)
        return 0;
    return fail_with(resp, 500, "internal server error");
}

/* Runs the handler of the route matched for REQ.  0 or -1 (out of memory). */
static int
run_route(struct web_req *req, struct web_resp *resp)
{
    struct webp_match m;
    int rc;

    webp_router_find(&req->app->router, req->method, &req->path, &m);
    if (m.route == NULL && !m.path_found)
        return fail_with(resp, 404, "not found");
    if (m.route == NULL) {
        /* RFC 9110, section 15.5.6: a 405 lists the allowed methods. */
        if (fail_with(resp, 405, "method not allowed") != 0)
            return -1;
        if (web_resp_header(resp, "Allow", m.allow) != 0)
            return fail_with(resp, 500, "internal server error");
        return 0;
    }
    rc = webp_route_params(m.route, &req->path, &req->params);
    if (rc == WEBP_NOMEM)
        return fail_with(resp, 500, "internal server error") == 0 ? 0 : -1;
    webp_resp_reset(resp);
    rc = m.route->handler(req, resp, m.route->udata);
    return check_handler_result(rc, resp);
}

int
webp_dispatch(struct web_app *app, struct web_req *req, struct web_resp *resp)
{
    const char *msg = NULL;
    int status;

    req->app = app;
    webp_resp_reset(resp);
    if (req->method == NULL || req->method[0] == '\0' || req->uri == NULL)
        return fail_with(resp, 400, "missing request method or target");
    status = parse_target(req, &msg);
    if (status < 0)
        return -1;
    if (status > 0)
        return fail_with(resp, status, msg);
    /* Problems found while reading the request (body past WEB_MAX_BODY, too
     * many headers) are answered before any handler runs. */
    if (req->reject_status != 0)
        return fail_with(resp, req->reject_status, req->reject_msg);
    return run_route(req, resp);
}

/* Parses "Name: value" into REQ's headers.  0, or -1 + ERR. */
static int
add_header_line(struct web_req *req, const char *line, struct web_err *err)
{
    const char *colon = line ? strchr(line, ':') : NULL;
    const char *v, *end;

    if (colon == NULL || colon == line) {
        webp_err_set(err, WEB_ERR_INVALID, "header '%s' is not \"Name: value\"",
                     line ? line : "(null)");
        return -1;
    }
    /* Optional whitespace around the value (RFC 9110, section 5.5). */
    for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
        ;
    for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t'); end--)
        ;
    if (webp_req_add_header(req, line, (size_t)(colon - line), v, (size_t)(end - v)) !=
        WEBP_OK) {
        webp_err_nomem(err);
        return -1;
    }
    return 0;
}

/* Builds REQ from web_app_handle's arguments.  0, or -1 + ERR. */
static int
build_request(struct web_req *req, const char *method, const char *uri,
              const char *const *headers, size_t nheaders, const void *body,
              size_t body_len, struct web_err *err)
{
    size_t i;

    if (webp_req_set_target(req, method, uri) != WEBP_OK) {
        webp_err_nomem(err);
        return -1;
    }
    for (i = 0; i < nheaders; i++)
        if (add_header_line(req, headers[i], err) != 0)
            return -1;
    if (webp_req_add_body(req, body, body_len) != WEBP_OK) {
        webp_err_nomem(err);
        return -1;
    }
    return 0;
}

/* Copies RESP's body for the caller (free() it); empty for HEAD. */
static int
copy_body(const struct web_req *req, const struct web_resp *resp, char **out,
          struct web_err *err)
{
    int head = strcmp(req->method, "HEAD") == 0;
    size_t len = head ? 0 : resp->body.len;

    *out = util_malloc(len + 1);
    if (*out == NULL) {
        webp_err_nomem(err);
        return -1;
    }
    if (len > 0)
        memcpy(*out, resp->body.data, len);
    (*out)[len] = '\0';
    return 0;
}

/* Checks web_app_handle's arguments.  0, or -1 + ERR. */
static int
handle_args_ok(struct web_app *app, struct web_ctx *ctx, const char *method,
               const char *uri, const char *const *headers, size_t nheaders,
               const void *body, size_t body_len, struct web_err *err)
{
    if (app == NULL || method == NULL || uri == NULL ||
        (headers == NULL && nheaders > 0) || (body == NULL && body_len > 0)) {
        webp_err_set(err, WEB_ERR_INVALID, "web_app_handle: a required argument is NULL");
        return -1;
    }
    if (ctx != NULL && web_ctx_app(ctx) != app) {
        webp_err_set(err, WEB_ERR_INVALID, "web_app_handle: CTX belongs to another app");
        return -1;
    }
    return 0;
}

int
web_app_handle(struct web_app *app, struct web_ctx *ctx, const char *method,
               const char *uri, const char *const *headers, size_t nheaders,
               const void *body, size_t body_len, int *status, char **resp_body,
               struct web_err *err)
{
    struct web_req req;
    struct web_resp resp;
    size_t max_body;
    int rc = -1;

    if (resp_body != NULL)
        *resp_body = NULL;
    if (handle_args_ok(app, ctx, method, uri, headers, nheaders, body, body_len, err) !=
            0 ||
        webp_max_body(app, &max_body, err) != 0)
        return -1;
    if (ctx == NULL && web_ctx_app(web_ctx_current()) == app)
        ctx = web_ctx_current();
    webp_req_init(&req, app, ctx, max_body);
    webp_resp_init(&resp);
    if (build_request(&req, method, uri, headers, nheaders, body, body_len, err) != 0)
        goto out;
    if (webp_dispatch(app, &req, &resp) != 0) {
        webp_err_nomem(err);
        goto out;
    }
    if (resp_body != NULL && copy_body(&req, &resp, resp_body, err) != 0)
        goto out;
    if (status != NULL)
        *status = resp.status;
    rc = 0;
out:
    webp_req_free(&req);
    webp_resp_reset(&resp);
    return rc;
}
