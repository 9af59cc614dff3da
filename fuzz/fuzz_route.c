/*
 * fuzz_route.c: the router, percent-decoding and query parsing of core/
 * (core/internal.h), then one whole request through web_app_handle.
 *
 * The input is lines: a route pattern, a method, a request target
 * ("/path?query"), header lines ("Name: value") up to an empty line, then
 * the body.  Promises checked:
 * - a pattern compiles or is refused with WEB_ERR_ROUTE naming it;
 * - webp_pct_decode accepts exactly the strings whose every '%' starts a
 *   two-digit hex escape other than %00 and that hold no NUL byte, and the
 *   result is NUL-terminated with the expected length;
 * - a parsed path has 1 to WEBP_MAX_SEGMENTS segments; the route found
 *   matches it segment for segment and its parameters are non-empty;
 * - the query parser stops at its maximum (WEBP_LIMIT), never past it;
 * - web_app_handle answers every request with a status in 100-599, and
 *   every 4xx/5xx body the framework writes is {"error": "..."} JSON.
 */
#include <string.h>

#include "core/internal.h"
#include "fuzz.h"

#define MAX_LINES 40

/* ---- the app behind web_app_handle ------------------------------------ */

/* Echoes what the framework decoded: path, parameters, a query value and a
 * header, so the decoded strings flow into JSON output. */
static int
echo(struct web_req *req, struct web_resp *resp, void *udata)
{
    json_t *o = json_object();
    const char *names[] = {"username", "x", "a", "b"};

    (void)udata;
    json_object_set_new(o, "path", json_string(web_req_path(req)));
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (web_req_param(req, names[i]) != NULL)
            json_object_set_new(o, names[i], json_string(web_req_param(req, names[i])));
    if (web_req_query(req, "cursor") != NULL)
        json_object_set_new(o, "cursor", json_string(web_req_query(req, "cursor")));
    if (web_req_header(req, "Content-Type") != NULL)
        json_object_set_new(o, "ct", json_string(web_req_header(req, "Content-Type")));
    return web_resp_json(resp, 200, o);
}

/* A JSON body handler, as the example app's PUT. */
static int
put_json(struct web_req *req, struct web_resp *resp, void *udata)
{
    json_t *body = web_req_json(req, resp);

    (void)udata;
    if (body == NULL)
        return 0; /* web_req_json answered 400 */
    if (!json_is_object(body)) {
        json_decref(body);
        return web_resp_error(resp, 400, "the body must be a JSON object");
    }
    return web_resp_json(resp, 201, body);
}

static const struct web_route routes[] = {
    {"GET", "/users/<username>", echo},
    {"PUT", "/users/<username>", put_json},
    {"DELETE", "/users/<username>", echo},
    {"GET", "/users/me", echo},
    {"GET", "/groups", echo},
    {"POST", "/a/<x>/c", echo},
    {"GET", "/files/<a>/<b>", echo},
    {"GET", "/healthz", echo},
    {"GET", "/", echo},
};

static struct web_app *app;

static void
setup(void)
{
    struct web_err err = {0};

    if (app != NULL)
        return;
    app = web_app_new("fuzz", &err);
    FUZZ_CHECK(app != NULL, "web_app_new: %s", err.text);
    FUZZ_CHECK(
        web_app_routes(app, routes, sizeof(routes) / sizeof(routes[0]), NULL, &err) == 0,
        "routes: %s", err.text);
}

/* ---- the input, cut into lines ----------------------------------------- */

struct input {
    char *copy; /* the input with each '\n' turned into NUL */
    const char *line[MAX_LINES];
    size_t len[MAX_LINES];
    size_t nlines;
    const char *body;
    size_t body_len;
};

/* Lines 0-2, then headers up to an empty line, then the body. */
static void
cut(struct input *in, const uint8_t *data, size_t size)
{
    size_t i, start = 0;

    memset(in, 0, sizeof(*in));
    in->copy = malloc(size + 1);
    FUZZ_CHECK(in->copy != NULL, "malloc");
    memcpy(in->copy, data, size);
    in->copy[size] = '\0';
    in->body = "";
    for (i = 0; i <= size && in->nlines < MAX_LINES; i++) {
        if (i < size && in->copy[i] != '\n')
            continue;
        in->copy[i] = '\0';
        in->line[in->nlines] = in->copy + start;
        in->len[in->nlines++] = i - start;
        start = i + 1;
        if (in->nlines > 3 && in->len[in->nlines - 1] == 0)
            break; /* the empty line after the headers */
    }
    if (start < size) {
        in->body = in->copy + start;
        in->body_len = size - start;
    }
}

static const char *
line_or(const struct input *in, size_t i, const char *dflt)
{
    return i < in->nlines ? in->line[i] : dflt;
}

/* ---- the checks ---------------------------------------------------------- */

/* Length S[0..LEN) decodes to, or -1 when webp_pct_decode must refuse it. */
static long
decoded_len(const char *s, size_t len)
{
    long n = 0;

    for (size_t i = 0; i < len; i++, n++) {
        if (s[i] == '\0')
            return -1;
        if (s[i] != '%')
            continue;
        if (i + 2 >= len || !strchr("0123456789abcdefABCDEF", s[i + 1]) || !s[i + 1] ||
            !strchr("0123456789abcdefABCDEF", s[i + 2]) || !s[i + 2] ||
            (s[i + 1] == '0' && s[i + 2] == '0'))
            return -1;
        i += 2;
    }
    return n;
}

static void
check_decode(const char *s, size_t len)
{
    long want = decoded_len(s, len);

    for (int plus = 0; plus <= 1; plus++) {
        char *out = NULL;
        int rc = webp_pct_decode(s, len, plus, &out);

        if (want < 0) {
            FUZZ_CHECK(rc == WEBP_BAD && out == NULL, "accepted a bad escape (rc %d)",
                       rc);
            continue;
        }
        FUZZ_CHECK(rc == WEBP_OK && out != NULL, "refused a good string (rc %d)", rc);
        FUZZ_CHECK(strlen(out) == (size_t)want, "decoded %zu bytes, want %ld",
                   strlen(out), want);
        if (plus)
            FUZZ_CHECK(strchr(out, '+') == NULL || memchr(s, '%', len) != NULL,
                       "'+' kept with plus_space");
        util_free(out);
    }
}

/* Compiles PATTERN for METHOD alone, then as part of a router with the
 * fixed routes, and looks PATH up there. */
static void
check_router(const char *method, const char *pattern, const struct webp_path *path)
{
    struct web_route def = {method, pattern, echo};
    struct web_err err = {0};
    struct webp_router r = {0};
    struct webp_route one;
    struct webp_match m;

    if (webp_route_compile(&def, NULL, &one, &err) == 0) {
        FUZZ_CHECK(one.nseg >= 1 && one.nseg <= WEBP_MAX_SEGMENTS, "%zu segments",
                   one.nseg);
        webp_route_free(&one);
    } else {
        FUZZ_CHECK(err.code == WEB_ERR_ROUTE, "code %d: %s", err.code, err.text);
    }
    FUZZ_CHECK(
        webp_router_add(&r, routes, sizeof(routes) / sizeof(routes[0]), NULL, &err) == 0,
        "fixed routes: %s", err.text);
    memset(&err, 0, sizeof(err));
    if (webp_router_add(&r, &def, 1, NULL, &err) != 0)
        FUZZ_CHECK(r.n == sizeof(routes) / sizeof(routes[0]), "a refused route was kept");
    if (path != NULL) {
        webp_router_find(&r, method, path, &m);
        FUZZ_CHECK(m.route == NULL || m.path_found, "route without path_found");
        FUZZ_CHECK(memchr(m.allow, '\0', sizeof(m.allow)) != NULL, "allow overflow");
        if (m.route != NULL) {
            struct webp_kvlist params;

            FUZZ_CHECK(m.route->nseg == path->nseg, "segment counts differ");
            for (size_t i = 0; i < path->nseg; i++)
                FUZZ_CHECK(m.route->segs[i].param
                               ? path->segs[i][0] != '\0'
                               : strcmp(m.route->segs[i].text, path->segs[i]) == 0,
                           "segment %zu does not match", i);
            webp_kvlist_init(&params, WEBP_MAX_SEGMENTS);
            FUZZ_CHECK(webp_route_params(m.route, path, &params) == WEBP_OK, "params");
            webp_kvlist_free(&params);
        }
    }
    webp_router_free(&r);
}

static void
check_target(const char *method, const char *pattern, const char *uri, size_t len)
{
    const char *q = memchr(uri, '?', len);
    size_t plen = q != NULL ? (size_t)(q - uri) : len;
    struct webp_path path;
    struct webp_kvlist query;
    int rc;

    rc = webp_path_parse(uri, plen, &path);
    if (rc == WEBP_OK) {
        FUZZ_CHECK(path.nseg >= 1 && path.nseg <= WEBP_MAX_SEGMENTS, "%zu segments",
                   path.nseg);
        FUZZ_CHECK(path.decoded != NULL, "no decoded path");
    } else {
        FUZZ_CHECK(rc == WEBP_BAD || rc == WEBP_LIMIT, "path rc %d", rc);
    }
    check_router(method, pattern, rc == WEBP_OK ? &path : NULL);
    webp_path_free(&path);
    if (q != NULL) {
        webp_kvlist_init(&query, 8);
        rc = webp_query_parse(q + 1, len - plen - 1, &query);
        FUZZ_CHECK(rc == WEBP_OK || rc == WEBP_BAD || rc == WEBP_LIMIT, "query rc %d",
                   rc);
        FUZZ_CHECK(query.n <= 8, "%zu pairs past the maximum", query.n);
        webp_kvlist_free(&query);
    }
}

/* Every framework error is {"error": "..."}; handler bodies are JSON too. */
static void
check_handle(const struct input *in)
{
    const char *method = line_or(in, 1, "GET"), *uri = line_or(in, 2, "/");
    const char *headers[MAX_LINES];
    struct web_err err = {0};
    size_t nh = 0;
    char *body = NULL;
    int status = 0;

    for (size_t i = 3; i < in->nlines && in->len[i] > 0; i++)
        headers[nh++] = in->line[i];
    if (web_app_handle(app, NULL, method, uri, headers, nh, in->body, in->body_len,
                       &status, &body, &err) != 0) {
        /* Only a header line without a colon is refused before dispatch. */
        FUZZ_CHECK(err.code == WEB_ERR_INVALID, "code %d: %s", err.code, err.text);
        return;
    }
    FUZZ_CHECK(status >= 100 && status <= 599, "status %d", status);
    if (status >= 400 && strcmp(method, "HEAD") != 0) {
        json_t *j = json_loads(body, 0, NULL);

        FUZZ_CHECK(json_is_string(json_object_get(j, "error")), "%d body: %s", status,
                   body);
        json_decref(j);
    }
    free(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in;

    setup();
    check_decode((const char *)data, size);
    cut(&in, data, size);
    check_target(line_or(&in, 1, "GET"), line_or(&in, 0, "/"), line_or(&in, 2, "/"),
                 in.nlines > 2 ? in.len[2] : 1);
    check_handle(&in);
    free(in.copy);
    return 0;
}
