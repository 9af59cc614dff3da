/*
 * internal.h: declarations shared between the files of core/ (prefix webp_).
 * Never installed.  Unit tests include it to reach the pure parsers and the
 * allocation hook; nothing here is exported from the shared library.
 */
#ifndef DYNAMO_FCGI_CORE_INTERNAL_H
#define DYNAMO_FCGI_CORE_INTERNAL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>

#include "util.h"
#include "web.h"

/* ---- limits and defaults ----------------------------------------------
 * Every growing buffer and list has a hard maximum (docs/conventions.md, 9).
 * The WEB_* configuration keys override the first three. */
#define WEBP_DEFAULT_MAX_BODY 1048576L         /* WEB_MAX_BODY: request body bytes */
#define WEBP_DEFAULT_GRACE_MS 10000L           /* WEB_GRACE_MS: shutdown grace period */
#define WEBP_DEFAULT_LISTEN_MODE 0660          /* WEB_LISTEN_MODE: unix socket mode */
#define WEBP_DEFAULT_MAX_CONNECTIONS 1024L     /* WEB_MAX_CONNECTIONS: kept open */
#define WEBP_MAX_URI 8192                      /* longer request targets: 414 */
#define WEBP_MAX_SEGMENTS 128                  /* path segments: 414 past it */
#define WEBP_MAX_QUERY_PARAMS 256              /* query pairs: 400 past it */
#define WEBP_MAX_REQ_HEADERS 128               /* request headers: 431 past it */
#define WEBP_MAX_RESP_HEADERS 64               /* headers a handler may add */
#define WEBP_MAX_HEADER_VALUE 8192             /* bytes in one response header value */
#define WEBP_MAX_RESP_BODY (64L * 1024 * 1024) /* response body bytes */
#define WEBP_MAX_CONFIG_FILE (1024L * 1024)    /* configuration file bytes */
#define WEBP_MAX_KEY 128                       /* configuration key length */
#define WEBP_MAX_METHOD 20                     /* route method length */
#define WEBP_ALLOW_MAX 256                     /* the Allow header of a 405 */

/* ---- errors (err.c) ----------------------------------------------------
 * Each setter keeps the first error: it does nothing when ERR is NULL or
 * already holds a code. */
extern const char *const webp_code_names[WEB_ERR_MAX];
void webp_err_set(struct web_err *err, enum web_code code, const char *fmt, ...)
    WEB_PRINTF(3, 4);
void webp_err_vset(struct web_err *err, enum web_code code, const char *fmt, va_list ap)
    WEB_PRINTF(3, 0);
/* A WEB_ERR_CONFIG error at SOURCE:LINE:COL; the text gets that prefix. */
void webp_err_at(struct web_err *err, const char *source, int line, int col,
                 const char *fmt, ...) WEB_PRINTF(5, 6);
void webp_err_nomem(struct web_err *err);

/* ---- logging (log.c) ----------------------------------------------------- */
extern const char *const webp_log_level_names[WEB_LOG_MAX];
/* Would web_log(APP, LEVEL, ...) write a line? */
int webp_log_enabled(const struct web_app *app, enum web_log_level level);
/* APP's WEB_LOG_LEVEL into *OUT (WEB_LOG_INFO when unset or APP is NULL).
 * 0, or -1 + ERR (WEB_ERR_CONFIG) for an unknown level; *OUT is then info. */
int webp_log_level(const struct web_app *app, enum web_log_level *out,
                   struct web_err *err);
/* An access-log line: web_log at info, except that on a thread with an
 * attached batch it is batched (log.c says when batches are written). */
void webp_log_access(const struct web_app *app, const char *fmt, ...) WEB_PRINTF(2, 3);

/* A thread's batch of access lines.  webp_logbuf_attach makes one the
 * calling thread's (NULL when out of memory: lines are then written one by
 * one); webp_logbuf_detach, on the same thread, writes what is pending and
 * frees it.  webp_logbuf_due: -1 when nothing is pending, else the
 * milliseconds until it must be written (0: now), the timeout for a wait;
 * webp_logbuf_flush writes it.  B may be NULL everywhere. */
#define WEBP_LOG_FLUSH_MS 100
struct webp_logbuf;
struct webp_logbuf *webp_logbuf_attach(void);
void webp_logbuf_detach(struct webp_logbuf *b);
int webp_logbuf_due(const struct webp_logbuf *b);
void webp_logbuf_flush(struct webp_logbuf *b);

/* ---- results of the pure helpers below --------------------------------- */
enum webp_rc {
    WEBP_OK = 0,
    WEBP_NOMEM = -1, /* an allocation failed */
    WEBP_BAD = -2,   /* malformed input (a 400 when it came from a client) */
    WEBP_LIMIT = -3  /* input past a hard maximum */
};

/* ---- bounded buffers and text helpers (buf.c) ---------------------------- */

/* A growing byte buffer with a hard maximum.  DATA is NUL-terminated when
 * not NULL (the terminator is not counted in LEN).  Zeroed + max = empty. */
struct webp_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};
void webp_buf_init(struct webp_buf *b, size_t max);
/* Returns WEBP_OK, WEBP_NOMEM or WEBP_LIMIT (past MAX); on failure the
 * buffer is freed and left empty, as docs/conventions.md (9) asks. */
int webp_buf_append(struct webp_buf *b, const void *data, size_t n);
int webp_buf_appendf(struct webp_buf *b, const char *fmt, ...) WEB_PRINTF(2, 3);
void webp_buf_free(struct webp_buf *b);

/* Writes S[0..LEN) into DST (size DSTSZ, always NUL-terminated) with
 * backslash, space, quote and non-printable bytes as \xHH, for log lines and
 * error texts; a cut output ends in "...".  Returns DST. */
char *webp_escape(char *dst, size_t dstsz, const char *s, size_t len);
/* Replaces every byte of S that is not part of valid UTF-8 with '?', so the
 * text can go into a JSON string. */
void webp_utf8_sanitize(char *s);
/* 1-based column of P in the line starting at LINE, counted in characters
 * (UTF-8 continuation bytes do not count). */
int webp_utf8_col(const char *line, const char *p);
/* Case-insensitive ASCII comparison of NUL-terminated strings. */
int webp_strcasecmp(const char *a, const char *b);

/* ---- name/value lists (buf.c) ----------------------------------------- */
struct webp_kv {
    char *name;
    char *value;
};
/* A list with a maximum length (0: no entries allowed). */
struct webp_kvlist {
    struct webp_kv *items;
    size_t n;
    size_t cap;
    size_t max;
};
void webp_kvlist_init(struct webp_kvlist *l, size_t max);
/* Appends copies.  WEBP_OK, WEBP_NOMEM or WEBP_LIMIT; the list is intact on
 * failure. */
int webp_kvlist_add(struct webp_kvlist *l, const char *name, size_t nlen,
                    const char *value, size_t vlen);
/* Appends NAME and VALUE, taking both over even on failure. */
int webp_kvlist_take(struct webp_kvlist *l, char *name, char *value);
/* Borrowed: the first value named NAME (ICASE: ASCII case-insensitive). */
const char *webp_kvlist_get(const struct webp_kvlist *l, const char *name, int icase);
/* Removes every entry named NAME (case-insensitive). */
void webp_kvlist_remove(struct webp_kvlist *l, const char *name);
void webp_kvlist_free(struct webp_kvlist *l);

/* ---- configuration (config.c) ------------------------------------------ */
struct webp_conf_entry {
    char *key;
    char *value; /* set by web_config_set() or a file; NULL if not */
    char *dflt;  /* from web_config_set_default(); NULL if none */
    char *src;   /* the file VALUE came from, or NULL */
    int line;    /* where in SRC */
    int col;
};
struct webp_config {
    struct webp_conf_entry *items;
    size_t n;
    size_t cap;
};
/* Called by webp_config_parse for each KEY = VALUE; LINE and COL (1-based)
 * locate the key.  Returns 0, or -1 after filling ERR to stop the parse. */
typedef int (*webp_config_fn)(void *arg, const char *key, const char *value, int line,
                              int col, struct web_err *err);
/* Pure parser of the configuration file syntax (see config.c): TEXT[0..LEN)
 * named SOURCE in errors.  Returns 0, or -1 and fills ERR (WEB_ERR_CONFIG
 * with SOURCE:LINE:COL, or WEB_ERR_NOMEM). */
int webp_config_parse(const char *text, size_t len, const char *source, webp_config_fn fn,
                      void *arg, struct web_err *err);
/* 1 if KEY is a valid configuration key (an environment variable name). */
int webp_config_key_ok(const char *key);
void webp_config_free(struct webp_config *c);

/* ---- routes (route.c): pure, no I/O ----------------------------------- */
struct webp_seg {
    char *text; /* the literal, or the parameter name */
    int param;  /* 1 for a <name> segment */
};
struct webp_route {
    const char *method;  /* borrowed from the caller's table */
    const char *pattern; /* borrowed */
    web_handler_fn handler;
    void *udata;
    struct webp_seg *segs;
    size_t nseg;
};
struct webp_router {
    struct webp_route *routes;
    size_t n;
    size_t cap;
};
/* A request path split at '/' into percent-decoded segments.  "/" is one
 * empty segment; a trailing slash gives a trailing empty segment. */
struct webp_path {
    char **segs;
    size_t nseg;
    char *decoded; /* the whole path, decoded */
};
/* Result of a lookup: the route to run (NULL for none), whether any route
 * matches the path at all, and the methods that do (for a 405's Allow). */
struct webp_match {
    const struct webp_route *route;
    int path_found;
    char allow[WEBP_ALLOW_MAX];
};

/* Compiles DEF into OUT.  0, or -1 and fills ERR (WEB_ERR_ROUTE naming the
 * pattern and the column, or WEB_ERR_NOMEM). */
int webp_route_compile(const struct web_route *def, void *udata, struct webp_route *out,
                       struct web_err *err);
void webp_route_free(struct webp_route *r);
/* Adds N routes, all or none: a bad pattern or a route that duplicates an
 * existing one (same method, same shape) adds nothing. */
int webp_router_add(struct webp_router *r, const struct web_route *defs, size_t n,
                    void *udata, struct web_err *err);
void webp_router_free(struct webp_router *r);
/* Percent-decodes S[0..LEN) (RFC 3986, section 2.1), '+' as a space when
 * PLUS_SPACE (HTML form encoding).  *OUT is new (util_free).  WEBP_OK,
 * WEBP_NOMEM, or WEBP_BAD for a bad escape or an encoded NUL (%00). */
int webp_pct_decode(const char *s, size_t len, int plus_space, char **out);
/* Splits and decodes RAW[0..LEN), which must start with '/'.  WEBP_OK,
 * WEBP_NOMEM, WEBP_BAD (no leading '/', bad escape, %00) or WEBP_LIMIT
 * (more than WEBP_MAX_SEGMENTS segments). */
int webp_path_parse(const char *raw, size_t len, struct webp_path *out);
void webp_path_free(struct webp_path *p);
/* Parses a query string ("a=1&b=x+y") into OUT (names and values decoded,
 * '+' as space, first occurrence wins on lookup).  WEBP_OK, WEBP_NOMEM,
 * WEBP_BAD, or WEBP_LIMIT past OUT's maximum. */
int webp_query_parse(const char *qs, size_t len, struct webp_kvlist *out);
/* Finds the route for METHOD and PATH: the most specific one (a literal
 * segment beats a parameter); HEAD falls back to GET. */
void webp_router_find(const struct webp_router *r, const char *method,
                      const struct webp_path *path, struct webp_match *m);
/* Fills PARAMS with ROUTE's <name> segments taken from PATH. */
int webp_route_params(const struct webp_route *route, const struct webp_path *path,
                      struct webp_kvlist *params);

/* ---- the application (app.c) -------------------------------------------- */
struct web_app {
    char *name;
    struct webp_config config;
    struct webp_router router;
    const struct web_ext **exts; /* registration order */
    size_t next;
    size_t ext_cap;
    atomic_int live_ctx; /* contexts pushed and not popped yet */
    atomic_int serving;  /* web_app_serve is running */
    /* WEB_LOG_LEVEL as read when serving started, or -1: read it at each
     * web_log (outside web_app_serve, where the config may still change).
     * Saves a config lookup and, past it, the access line's formatting on
     * every request. */
    atomic_int log_max;
};
/* Index of EXT in APP's registry, or -1. */
long webp_app_ext_index(const struct web_app *app, const struct web_ext *ext);

/* ---- app contexts (ctx.c) ------------------------------------------------ */
/* Fills BUF (SIZE bytes, NUL-terminated) with what the log_request hooks of
 * CTX's extensions add to an access-log line, in registration order, each
 * part preceded by a space; "" when none adds anything.  A part that does
 * not fit is dropped whole.  SIZE 0 (BUF may be NULL): no line is written,
 * the hooks are called with NULL, 0. */
void webp_ctx_log_request(struct web_ctx *ctx, char *buf, size_t size);

/* ---- requests and responses (request.c) -------------------------------- */
struct web_req {
    struct web_app *app;
    struct web_ctx *ctx;
    char *method;
    char *uri; /* the raw request target: path and query */
    struct webp_path path;
    struct webp_kvlist params;
    struct webp_kvlist query;
    struct webp_kvlist headers;
    struct webp_buf body;
    /* When not 0, the framework answers with this status and message instead
     * of routing (a body past the maximum, too many headers, ...). */
    int reject_status;
    const char *reject_msg;
};
struct web_resp {
    int status;
    /* A setter failed (out of memory, past a maximum, bad header): the
     * response is replaced by a 500 so a half-built one never goes out. */
    int failed;
    struct webp_kvlist headers;
    struct webp_buf body;
};
/* Zeroes REQ and sets its limits.  APP and CTX are borrowed. */
void webp_req_init(struct web_req *req, struct web_app *app, struct web_ctx *ctx,
                   size_t max_body);
void webp_req_free(struct web_req *req);
/* Copies METHOD and URI into REQ.  WEBP_OK or WEBP_NOMEM. */
int webp_req_set_target(struct web_req *req, const char *method, const char *uri);
/* Adds a header; past WEBP_MAX_REQ_HEADERS it sets a 431 rejection instead.
 * WEBP_OK or WEBP_NOMEM. */
int webp_req_add_header(struct web_req *req, const char *name, size_t nlen,
                        const char *value, size_t vlen);
/* Appends body bytes; past the maximum it sets a 413 rejection.  WEBP_OK or
 * WEBP_NOMEM. */
int webp_req_add_body(struct web_req *req, const void *data, size_t len);
void webp_req_reject(struct web_req *req, int status, const char *msg);

void webp_resp_init(struct web_resp *resp);
/* Frees the headers and the body and zeroes RESP. */
void webp_resp_reset(struct web_resp *resp);
/* Borrowed: a response header by case-insensitive name, or NULL. */
const char *webp_resp_header_get(const struct web_resp *resp, const char *name);
/* The reason phrase of STATUS ("Not Found"); "Unknown" if none. */
const char *webp_status_reason(int status);

/* ---- dispatch (dispatch.c) ----------------------------------------------- */
/* Routes REQ and runs its handler into RESP; framework errors (400, 404, 405,
 * 413, 414, 431) and handler failures (500) become JSON responses.  Returns
 * 0, or -1 when even the error response could not be built (out of memory):
 * RESP then holds status 500 and no body. */
int webp_dispatch(struct web_app *app, struct web_req *req, struct web_resp *resp);
/* Reads WEB_MAX_BODY (default WEBP_DEFAULT_MAX_BODY).  0 or -1 + ERR. */
int webp_max_body(const struct web_app *app, size_t *out, struct web_err *err);

/* ---- FastCGI (fcgi_io.c, fcgi_listen.c, fcgi.c) ---------------------------- */
struct FCGX_Request;

/* The listening socket of web_app_serve. */
struct webp_listener {
    int fd;
    int own;         /* opened from WEB_LISTEN (0: the inherited fd 0) */
    char *unix_path; /* the socket file created, removed on close; or NULL */
};
/* Opens WEB_LISTEN (HOST:PORT, unix:PATH with WEB_LISTEN_MODE), or takes the
 * listening socket inherited as fd 0 when it is unset; non-blocking either
 * way.  0, or -1 + ERR (WEB_ERR_CONFIG, WEB_ERR_LISTEN, WEB_ERR_NOMEM); L is
 * then still to be closed. */
int webp_listener_open(struct webp_listener *l, const struct web_app *app,
                       struct web_err *err);
/* Closes L (fd 0 excepted: it is its owner's) and removes its socket file. */
void webp_listener_close(struct webp_listener *l);

/* Reads, dispatches and answers one accepted FastCGI request inside CTX and
 * logs it.  Returns 1 when the connection must be closed afterwards (a body
 * too large to drain), else 0.  Never fails: errors become 4xx/5xx. */
int webp_fcgi_serve_one(struct web_app *app, struct web_ctx *ctx, size_t max_body,
                        struct FCGX_Request *fr);

#endif /* DYNAMO_FCGI_CORE_INTERNAL_H */
