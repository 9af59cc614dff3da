/*
 * web.h: the dynamo-fcgi framework core.
 *
 * A small FastCGI web framework: an application with configuration, a route
 * table, request and response objects, app contexts that carry per-context
 * extension state, and the FastCGI request loop.  It knows nothing about
 * DynamoDB; extensions (ext/dynamo.h) plug into it through struct web_ext.
 *
 * Conventions (docs/conventions.md): a fallible call returns 0 / -1 or NULL and fills
 * an optional struct web_err (the first error is kept).  Pointers returned are
 * either "new" (the caller frees them with the named function) or "borrowed"
 * (valid for as long as the comment says).
 */
#ifndef DYNAMO_FCGI_WEB_H
#define DYNAMO_FCGI_WEB_H

#include <stddef.h>

#include <jansson.h>

#if defined(__GNUC__)
#define WEB_EXPORT __attribute__((visibility("default")))
#define WEB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define WEB_WUR __attribute__((warn_unused_result))
#else
#define WEB_EXPORT
#define WEB_PRINTF(f, a)
#define WEB_WUR
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define WEB_VERSION_MAJOR 0
#define WEB_VERSION_MINOR 1
#define WEB_VERSION_PATCH 0
#define WEB_VERSION "0.1.0"

/* Error codes.  Stable: codes are only ever added before WEB_ERR_MAX. */
enum web_code {
    WEB_OK = 0,
    WEB_ERR_NOMEM,   /* an allocation failed */
    WEB_ERR_INVALID, /* a bad argument from the caller */
    WEB_ERR_CONFIG,  /* a bad configuration value or file */
    WEB_ERR_IO,      /* a file or socket call failed */
    WEB_ERR_ROUTE,   /* a bad route pattern or a duplicate route */
    WEB_ERR_EXT,     /* an extension refused to initialise */
    WEB_ERR_LISTEN,  /* the listening socket could not be opened */
    WEB_ERR_MAX
};

/* Filled by fallible calls.  The first error set is kept; zero it before use.
 * For configuration files source/line/col say where (1-based). */
struct web_err {
    enum web_code code;
    char text[256];
    char source[256];
    int line;
    int col;
};

/* A fixed, human-readable name for CODE; never NULL. */
WEB_EXPORT const char *web_strerror(enum web_code code);

struct web_app;  /* an application: config, routes, extensions */
struct web_ctx;  /* an app context: per-context extension state */
struct web_req;  /* a request: owned by the framework during a handler */
struct web_resp; /* a response: owned by the framework during a handler */

/* ---- application and configuration ---------------------------------- */

/* New application named NAME.  New: free with web_app_free(). */
WEB_EXPORT struct web_app *web_app_new(const char *name, struct web_err *err) WEB_WUR;
/* Frees APP and everything it owns; NULL does nothing.  Call after every
 * context of APP has been popped. */
WEB_EXPORT void web_app_free(struct web_app *app);
/* Borrowed: valid until web_app_free(). */
WEB_EXPORT const char *web_app_name(const struct web_app *app);

/*
 * Configuration: string keys and values.  Lookup order, highest first:
 * the process environment, values set by web_config_set() or loaded from a
 * file, then defaults from web_config_set_default().
 */
WEB_EXPORT int web_config_set_default(struct web_app *app, const char *key,
                                      const char *value, struct web_err *err);
WEB_EXPORT int web_config_set(struct web_app *app, const char *key, const char *value,
                              struct web_err *err);
/* Loads KEY = VALUE lines ('#' comments, blank lines allowed) from PATH.
 * Errors name PATH:LINE:COL. */
WEB_EXPORT int web_config_load_file(struct web_app *app, const char *path,
                                    struct web_err *err);
/* Borrowed: valid until the key is set again or the app is freed.  NULL when
 * the key is unset everywhere.  An empty environment variable counts as set. */
WEB_EXPORT const char *web_config_get(const struct web_app *app, const char *key);
/* KEY read as a boolean (1/0, true/false, yes/no, on/off, any case).
 * Returns DFLT when unset; -1 and fills ERR when set to anything else. */
WEB_EXPORT int web_config_bool(const struct web_app *app, const char *key, int dflt,
                               struct web_err *err);
/* KEY read as one of the N words CHOICES (any case): returns its index, DFLT
 * when unset; -1 and fills ERR (the file's LINE:COL when it came from a
 * file) when set to anything else. */
WEB_EXPORT int web_config_choice(const struct web_app *app, const char *key,
                                 const char *const *choices, size_t n, int dflt,
                                 struct web_err *err);
/* KEY read as a decimal integer in [MIN, MAX] into *OUT (DFLT when unset).
 * Returns 0, or -1 and fills ERR. */
WEB_EXPORT int web_config_long(const struct web_app *app, const char *key, long dflt,
                               long min, long max, long *out, struct web_err *err);

/* ---- routes -------------------------------------------------------- */

/* A handler fills RESP.  Returning -1 (or leaving the response empty) turns
 * into a JSON 500; the process never dies because a handler failed. */
typedef int (*web_handler_fn)(struct web_req *req, struct web_resp *resp, void *udata);

/* One route: METHOD ("GET", "PUT", ...), PATTERN ("/users/<username>": each
 * <name> segment matches one non-empty path segment, percent-decoded). */
struct web_route {
    const char *method;
    const char *pattern;
    web_handler_fn handler;
};

/* Adds N routes from a table the caller keeps alive as long as APP (usually
 * a static const array).  UDATA is passed to every handler. */
WEB_EXPORT int web_app_routes(struct web_app *app, const struct web_route *routes,
                              size_t n, void *udata, struct web_err *err);

/* ---- extensions and app contexts ------------------------------------ */

/*
 * An extension.  The struct is owned by the extension and must outlive the
 * app.  init_app runs from web_app_register(); teardown_ctx runs when a
 * context is popped, with the state the extension stored in its slot (it
 * frees that state).  SELF is passed back to every hook.  Fill it with
 * designated initializers (.name = ...): hooks are only added at the end and
 * the ones left out stay NULL.
 */
struct web_ext {
    const char *name;
    int (*init_app)(struct web_app *app, void *self, struct web_err *err);
    void (*teardown_ctx)(struct web_ctx *ctx, void *state, void *self);
    void *self;
    /* Optional (NULL: nothing).  Called on the worker's thread after each
     * request served over FastCGI in CTX, with the extension's STATE (NULL
     * when it never stored one): writes a short NUL-terminated text, e.g.
     * "dynamo=1call/350us conn=0", into BUF (SIZE bytes) to be appended to
     * the request's access-log line; an empty text adds nothing.  When the
     * access log is off (WEB_LOG_LEVEL below info), BUF is NULL and SIZE 0:
     * the hook only notes that a request ended. */
    void (*log_request)(struct web_ctx *ctx, void *state, void *self, char *buf,
                        size_t size);
};

WEB_EXPORT int web_app_register(struct web_app *app, const struct web_ext *ext,
                                struct web_err *err);
/* The extension registered under NAME, or NULL.  Borrowed. */
WEB_EXPORT const struct web_ext *web_app_ext(const struct web_app *app, const char *name);

/* Pushes a new app context for APP on the calling thread.  New: pop it with
 * web_ctx_pop(), which runs every extension's teardown_ctx and frees it. */
WEB_EXPORT struct web_ctx *web_ctx_push(struct web_app *app, struct web_err *err) WEB_WUR;
WEB_EXPORT void web_ctx_pop(struct web_ctx *ctx);
/* The innermost context pushed on this thread, or NULL.  Borrowed. */
WEB_EXPORT struct web_ctx *web_ctx_current(void);
WEB_EXPORT struct web_app *web_ctx_app(const struct web_ctx *ctx);
/* EXT's state slot in CTX (initially NULL).  Returns NULL when EXT is not
 * registered on the context's app.  Borrowed: valid until the pop. */
WEB_EXPORT void **web_ctx_slot(struct web_ctx *ctx, const struct web_ext *ext);

/*
 * WEB_WITH_APP_CONTEXT(app, ctx) { ... }: runs the block inside a freshly
 * pushed app context named CTX and pops it afterwards.  If the push fails the
 * block is skipped.  Leave the block normally: a break or return inside it
 * skips the pop.
 */
#define WEB_WITH_APP_CONTEXT(app, ctx)                                                   \
    for (struct web_ctx *ctx = web_ctx_push((app), NULL); ctx != NULL;                   \
         web_ctx_pop(ctx), ctx = NULL)

/* ---- requests ------------------------------------------------------- */

/* All strings below are borrowed: valid until the handler returns. */
WEB_EXPORT const char *web_req_method(const struct web_req *req);
/* The percent-decoded path, without the query string. */
WEB_EXPORT const char *web_req_path(const struct web_req *req);
/* A <name> segment of the matched route, percent-decoded; NULL if absent. */
WEB_EXPORT const char *web_req_param(const struct web_req *req, const char *name);
/* A query-string parameter (first occurrence), decoded; NULL if absent. */
WEB_EXPORT const char *web_req_query(const struct web_req *req, const char *name);
/* A request header by case-insensitive name ("Content-Type"); NULL if absent. */
WEB_EXPORT const char *web_req_header(const struct web_req *req, const char *name);
/* The body (NUL-terminated for convenience) and its length. */
WEB_EXPORT const char *web_req_body(const struct web_req *req, size_t *len);
/* The body parsed as JSON.  New reference: json_decref() it.  On bad JSON
 * returns NULL and fills RESP with a 400 naming the line, column and reason;
 * the handler then just returns 0. */
WEB_EXPORT json_t *web_req_json(const struct web_req *req, struct web_resp *resp);
/* The app context the request is served in.  Borrowed. */
WEB_EXPORT struct web_ctx *web_req_ctx(const struct web_req *req);
WEB_EXPORT struct web_app *web_req_app(const struct web_req *req);

/* ---- responses ------------------------------------------------------ */

WEB_EXPORT void web_resp_status(struct web_resp *resp, int status);
/* Adds a header (copied).  Content-Type and Content-Length replace. */
WEB_EXPORT int web_resp_header(struct web_resp *resp, const char *name,
                               const char *value);
/* Sets the body (copied). */
WEB_EXPORT int web_resp_body(struct web_resp *resp, const void *data, size_t len);
/* STATUS with JSON serialised compactly, Content-Type application/json.
 * Takes over the reference to JSON, even on failure (as jansson's _new). */
WEB_EXPORT int web_resp_json(struct web_resp *resp, int status, json_t *json);
/* STATUS with {"error": "<message>"} as JSON. */
WEB_EXPORT int web_resp_error(struct web_resp *resp, int status, const char *fmt, ...)
    WEB_PRINTF(3, 4);

/* ---- logging -------------------------------------------------------- */

/* Log levels, most severe first.  WEB_LOG_LEVEL (error, warn, info, debug;
 * default info) keeps the lines at or above its level. */
enum web_log_level {
    WEB_LOG_ERROR = 0,
    WEB_LOG_WARN,
    WEB_LOG_INFO, /* access log, start-up and shutdown */
    WEB_LOG_DEBUG,
    WEB_LOG_MAX
};

/* Writes one line "LEVEL: message" to stderr when LEVEL passes APP's
 * WEB_LOG_LEVEL (APP may be NULL: info).  Bytes outside printable ASCII
 * are written as \xHH, so a line is always one line; long messages are cut
 * with "...".  One write per line: lines of different threads never mix. */
WEB_EXPORT void web_log(const struct web_app *app, enum web_log_level level,
                        const char *fmt, ...) WEB_PRINTF(3, 4);

/* ---- serving -------------------------------------------------------- */

/*
 * Serves APP over FastCGI until SIGTERM or SIGINT.  Listens on WEB_LISTEN
 * ("HOST:PORT" or "unix:PATH"), or on the inherited socket (fd 0) when unset.
 * Each worker pushes one app context for its lifetime.  Connections the web
 * server keeps open (FCGI_KEEP_CONN) belong to no worker: the next request
 * on any of them goes to the next free worker; at most WEB_MAX_CONNECTIONS
 * are kept.  On a signal: stops accepting (a socket opened from WEB_LISTEN
 * stops listening, so new connections are refused; an inherited fd 0 is
 * left to its owner), finishes the requests in flight, closes the idle
 * connections, pops the contexts (running the extensions' teardowns) and
 * returns 0.  WEB_LOG_LEVEL is checked before serving.
 */
WEB_EXPORT int web_app_serve(struct web_app *app, struct web_err *err);

/*
 * Runs one request through APP's router inside CTX without FastCGI: for
 * tests, benchmarks and CLIs.  HEADERS are "Name: value" strings (may be
 * NULL when NHEADERS is 0).  Fills *STATUS and, when BODY is not NULL, a new
 * NUL-terminated copy of the response body (free() it).
 */
WEB_EXPORT int web_app_handle(struct web_app *app, struct web_ctx *ctx,
                              const char *method, const char *uri,
                              const char *const *headers, size_t nheaders,
                              const void *body, size_t body_len, int *status,
                              char **resp_body, struct web_err *err);

#ifdef __cplusplus
}
#endif

#endif /* DYNAMO_FCGI_WEB_H */
