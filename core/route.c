/*
 * route.c: route patterns, request paths and query strings.  Pure: buffers
 * in, values out, no I/O, so the unit tests and fuzzers drive it directly.
 *
 * A pattern is '/' followed by segments separated by '/'.  A segment is a
 * literal or a whole "<name>" that matches one non-empty path segment.  The
 * path is split at '/' first and each segment percent-decoded after, so
 * "%2F" stays inside its segment ("/users/a%2Fb" gives username "a/b").
 * Matching is exact: "/users" and "/users/" are different paths.
 */
#include <string.h>

#include "internal.h"

/* ---- compiling patterns ------------------------------------------------ */

static int
is_name_char(char c, int first)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (!first && c >= '0' && c <= '9');
}

/* A literal pattern byte: printable ASCII or UTF-8, but none of the bytes
 * that would be ambiguous against a decoded path ('%', '?', '#', '<', '>'). */
static int
is_literal_char(unsigned char c)
{
    if (c >= 0x80)
        return 1;
    return c > 0x20 && c < 0x7f && c != '%' && c != '?' && c != '#' && c != '<' &&
           c != '>' && c != '/';
}

static int
method_ok(const char *m)
{
    size_t i;

    if (m == NULL || m[0] == '\0')
        return 0;
    for (i = 0; m[i] != '\0'; i++)
        if (i >= WEBP_MAX_METHOD ||
            !((m[i] >= 'A' && m[i] <= 'Z') || m[i] == '-' || m[i] == '_'))
            return 0;
    return 1;
}

static int
route_error(struct web_err *err, const struct web_route *def, size_t at, const char *why)
{
    webp_err_set(err, WEB_ERR_ROUTE, "route '%s %s': %s at column %zu", def->method,
                 def->pattern, why, at + 1);
    return -1;
}

/* Reads the segment of PAT starting at *I into SEG; moves *I to the '/' or
 * NUL after it.  0, or -1 + ERR (bad character, bad <name>, out of memory). */
static int
compile_seg(const struct web_route *def, size_t *i, struct webp_seg *seg,
            struct web_err *err)
{
    const char *pat = def->pattern;
    size_t start = *i, j = start;

    if (pat[j] == '<') {
        for (j++; is_name_char(pat[j], j == start + 1); j++)
            ;
        if (j == start + 1 || pat[j] != '>')
            return route_error(err, def, j, "expected <name> ([A-Za-z_][A-Za-z0-9_]*)");
        if (pat[j + 1] != '/' && pat[j + 1] != '\0')
            return route_error(err, def, j + 1, "a <name> must be a whole segment");
        seg->param = 1;
        seg->text = util_strndup(pat + start + 1, j - start - 1);
        j++;
    } else {
        for (; pat[j] != '/' && pat[j] != '\0'; j++)
            if (!is_literal_char((unsigned char)pat[j]))
                return route_error(err, def, j, "character not allowed in a pattern");
        seg->param = 0;
        seg->text = util_strndup(pat + start, j - start);
    }
    if (seg->text == NULL) {
        webp_err_nomem(err);
        return -1;
    }
    *i = j;
    return 0;
}

/* 1 if SEGS[0..N) already has a parameter named NAME. */
static int
has_param(const struct webp_seg *segs, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (segs[i].param && strcmp(segs[i].text, name) == 0)
            return 1;
    return 0;
}

/* Splits and checks the pattern of DEF into OUT->segs.  0 or -1 + ERR. */
static int
compile_segs(const struct web_route *def, struct webp_route *out, struct web_err *err)
{
    const char *pat = def->pattern;
    size_t i = 1, n = 1, k;

    for (k = 0; pat[k] != '\0'; k++)
        n += pat[k] == '/';
    n--;
    if (n > WEBP_MAX_SEGMENTS)
        return route_error(err, def, 0, "too many segments");
    out->segs = util_calloc(n, sizeof(*out->segs));
    if (out->segs == NULL) {
        webp_err_nomem(err);
        return -1;
    }
    for (k = 0; k < n; k++, i++) {
        struct webp_seg *seg = &out->segs[k];

        if (pat[i] == '/' || (pat[i] == '\0' && k + 1 < n))
            return route_error(err, def, i, "empty segment");
        if (compile_seg(def, &i, seg, err) != 0)
            return -1;
        out->nseg = k + 1;
        if (seg->param && has_param(out->segs, k, seg->text))
            return route_error(err, def, i - 1, "parameter name used twice");
    }
    return 0;
}

int
webp_route_compile(const struct web_route *def, void *udata, struct webp_route *out,
                   struct web_err *err)
{
    memset(out, 0, sizeof(*out));
    if (def == NULL || def->pattern == NULL || def->handler == NULL ||
        def->method == NULL) {
        webp_err_set(err, WEB_ERR_ROUTE, "route with a NULL method, pattern or handler");
        return -1;
    }
    if (!method_ok(def->method)) {
        webp_err_set(err, WEB_ERR_ROUTE, "route '%s %s': method must be 1-%d of A-Z - _",
                     def->method, def->pattern, WEBP_MAX_METHOD);
        return -1;
    }
    if (def->pattern[0] != '/')
        return route_error(err, def, 0, "a pattern starts with '/'");
    out->method = def->method;
    out->pattern = def->pattern;
    out->handler = def->handler;
    out->udata = udata;
    if (compile_segs(def, out, err) != 0) {
        webp_route_free(out);
        return -1;
    }
    return 0;
}

void
webp_route_free(struct webp_route *r)
{
    size_t i;

    for (i = 0; r->segs != NULL && i < r->nseg; i++)
        util_free(r->segs[i].text);
    util_free(r->segs);
    r->segs = NULL;
    r->nseg = 0;
}

void
webp_router_free(struct webp_router *r)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        webp_route_free(&r->routes[i]);
    util_free(r->routes);
    memset(r, 0, sizeof(*r));
}

/* 1 if A and B have the same method and match exactly the same paths. */
static int
same_route(const struct webp_route *a, const struct webp_route *b)
{
    size_t i;

    if (strcmp(a->method, b->method) != 0 || a->nseg != b->nseg)
        return 0;
    for (i = 0; i < a->nseg; i++) {
        if (a->segs[i].param != b->segs[i].param)
            return 0;
        if (!a->segs[i].param && strcmp(a->segs[i].text, b->segs[i].text) != 0)
            return 0;
    }
    return 1;
}

/* Rejects R if it duplicates one of ROUTES[0..N).  0 or -1 + ERR. */
static int
check_duplicate(const struct webp_route *routes, size_t n, const struct webp_route *r,
                struct web_err *err)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (same_route(&routes[i], r)) {
            webp_err_set(err, WEB_ERR_ROUTE, "route '%s %s' duplicates '%s %s'",
                         r->method, r->pattern, routes[i].method, routes[i].pattern);
            return -1;
        }
    return 0;
}

int
webp_router_add(struct webp_router *r, const struct web_route *defs, size_t n,
                void *udata, struct web_err *err)
{
    size_t i, base = r->n;
    struct webp_route *routes;

    if (n == 0)
        return 0;
    if (n > ((size_t)-1) / 2 - base) {
        webp_err_set(err, WEB_ERR_ROUTE, "too many routes");
        return -1;
    }
    if (base + n > r->cap) {
        routes = util_reallocarray(r->routes, base + n, sizeof(*routes));
        if (routes == NULL) {
            webp_err_nomem(err);
            return -1;
        }
        r->routes = routes;
        r->cap = base + n;
    }
    for (i = 0; i < n; i++) {
        if (webp_route_compile(&defs[i], udata, &r->routes[base + i], err) != 0 ||
            check_duplicate(r->routes, base + i, &r->routes[base + i], err) != 0) {
            /* All or none: drop what this call compiled. */
            r->n = base + i + 1;
            while (r->n > base)
                webp_route_free(&r->routes[--r->n]);
            return -1;
        }
    }
    r->n = base + n;
    return 0;
}

/* ---- decoding paths and query strings ---------------------------------- */

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
webp_pct_decode(const char *s, size_t len, int plus_space, char **out)
{
    char *d = util_malloc(len + 1);
    size_t i, o = 0;

    *out = NULL;
    if (d == NULL)
        return WEBP_NOMEM;
    for (i = 0; i < len; i++) {
        char c = s[i];

        if (c == '%') {
            int hi = i + 2 < len ? hex_value(s[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;

            /* A bad escape or an encoded NUL would make C strings lie. */
            if (lo < 0 || (hi == 0 && lo == 0)) {
                util_free(d);
                return WEBP_BAD;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        } else if (c == '\0') {
            util_free(d);
            return WEBP_BAD;
        }
        d[o++] = c;
    }
    d[o] = '\0';
    *out = d;
    return WEBP_OK;
}

void
webp_path_free(struct webp_path *p)
{
    size_t i;

    for (i = 0; p->segs != NULL && i < p->nseg; i++)
        util_free(p->segs[i]);
    util_free(p->segs);
    util_free(p->decoded);
    memset(p, 0, sizeof(*p));
}

int
webp_path_parse(const char *raw, size_t len, struct webp_path *out)
{
    size_t i, n = 0, start = 1;
    int rc;

    memset(out, 0, sizeof(*out));
    if (len == 0 || raw[0] != '/')
        return WEBP_BAD;
    for (i = 0; i < len; i++)
        n += raw[i] == '/';
    if (n > WEBP_MAX_SEGMENTS)
        return WEBP_LIMIT;
    out->segs = util_calloc(n, sizeof(char *));
    if (out->segs == NULL)
        return WEBP_NOMEM;
    for (i = 1; i <= len; i++) {
        if (i < len && raw[i] != '/')
            continue;
        rc = webp_pct_decode(raw + start, i - start, 0, &out->segs[out->nseg]);
        if (rc != WEBP_OK) {
            webp_path_free(out);
            return rc;
        }
        out->nseg++;
        start = i + 1;
    }
    rc = webp_pct_decode(raw, len, 0, &out->decoded);
    if (rc != WEBP_OK)
        webp_path_free(out);
    return rc;
}

/* Adds the pair S[0..LEN) ("name=value" or "name") to OUT.  Empty names are
 * skipped.  WEBP_OK, WEBP_NOMEM, WEBP_BAD or WEBP_LIMIT. */
static int
query_pair(const char *s, size_t len, struct webp_kvlist *out)
{
    const char *eq = memchr(s, '=', len);
    size_t nlen = eq ? (size_t)(eq - s) : len;
    char *name, *value;
    int rc;

    if (nlen == 0)
        return WEBP_OK;
    if (out->n >= out->max)
        return WEBP_LIMIT;
    rc = webp_pct_decode(s, nlen, 1, &name);
    if (rc != WEBP_OK)
        return rc;
    rc = eq ? webp_pct_decode(eq + 1, len - nlen - 1, 1, &value)
            : webp_pct_decode("", 0, 1, &value);
    if (rc != WEBP_OK) {
        util_free(name);
        return rc;
    }
    return webp_kvlist_take(out, name, value);
}

int
webp_query_parse(const char *qs, size_t len, struct webp_kvlist *out)
{
    size_t i, start = 0;
    int rc;

    for (i = 0; i <= len; i++) {
        if (i < len && qs[i] != '&')
            continue;
        rc = query_pair(qs + start, i - start, out);
        if (rc != WEBP_OK)
            return rc;
        start = i + 1;
    }
    return WEBP_OK;
}

/* ---- matching ------------------------------------------------------------ */

/* 1 if ROUTE's pattern matches PATH (any method). */
static int
route_matches(const struct webp_route *route, const struct webp_path *path)
{
    size_t i;

    if (route->nseg != path->nseg)
        return 0;
    for (i = 0; i < route->nseg; i++) {
        const struct webp_seg *seg = &route->segs[i];

        if (seg->param ? path->segs[i][0] == '\0' : strcmp(seg->text, path->segs[i]) != 0)
            return 0;
    }
    return 1;
}

/* 1 if A is more specific than B: at the first segment where they differ in
 * kind, A has the literal. */
static int
more_specific(const struct webp_route *a, const struct webp_route *b)
{
    size_t i;

    for (i = 0; i < a->nseg && i < b->nseg; i++)
        if (a->segs[i].param != b->segs[i].param)
            return !a->segs[i].param;
    return 0;
}

/* Appends METHOD to the comma-separated ALLOW unless already there. */
static void
allow_add(char *allow, const char *method)
{
    size_t len = strlen(allow), mlen = strlen(method);
    const char *p = allow;

    while ((p = strstr(p, method)) != NULL) {
        if ((p == allow || p[-1] == ' ') && (p[mlen] == ',' || p[mlen] == '\0'))
            return;
        p += mlen;
    }
    if (len + mlen + 3 > WEBP_ALLOW_MAX)
        return;
    if (len > 0)
        memcpy(allow + len, ", ", 2), len += 2;
    memcpy(allow + len, method, mlen + 1);
}

/* The best route for exactly METHOD, or NULL. */
static const struct webp_route *
best_route(const struct webp_router *r, const char *method, const struct webp_path *path)
{
    const struct webp_route *best = NULL;
    size_t i;

    for (i = 0; i < r->n; i++) {
        const struct webp_route *route = &r->routes[i];

        if (strcmp(route->method, method) != 0 || !route_matches(route, path))
            continue;
        if (best == NULL || more_specific(route, best))
            best = route;
    }
    return best;
}

void
webp_router_find(const struct webp_router *r, const char *method,
                 const struct webp_path *path, struct webp_match *m)
{
    size_t i;

    memset(m, 0, sizeof(*m));
    for (i = 0; i < r->n; i++) {
        if (!route_matches(&r->routes[i], path))
            continue;
        m->path_found = 1;
        allow_add(m->allow, r->routes[i].method);
        /* HEAD is allowed wherever GET is (RFC 9110, section 9.3.2). */
        if (strcmp(r->routes[i].method, "GET") == 0)
            allow_add(m->allow, "HEAD");
    }
    if (!m->path_found)
        return;
    m->route = best_route(r, method, path);
    if (m->route == NULL && strcmp(method, "HEAD") == 0)
        m->route = best_route(r, "GET", path);
}

int
webp_route_params(const struct webp_route *route, const struct webp_path *path,
                  struct webp_kvlist *params)
{
    size_t i;
    int rc;

    for (i = 0; i < route->nseg && i < path->nseg; i++) {
        if (!route->segs[i].param)
            continue;
        rc = webp_kvlist_add(params, route->segs[i].text, strlen(route->segs[i].text),
                             path->segs[i], strlen(path->segs[i]));
        if (rc != WEBP_OK)
            return rc;
    }
    return WEBP_OK;
}
