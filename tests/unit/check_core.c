/*
 * check_core.c: the framework core without a socket.  Error names,
 * configuration (precedence with the environment, files with FILE:LINE:COL
 * errors, booleans and integers), app contexts and extension slots,
 * web_app_handle end to end through the router, and a chaos loop that fails
 * every allocation in turn.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/internal.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static struct web_app *
new_app(void)
{
    struct web_err err = {.code = WEB_OK};
    struct web_app *app = web_app_new("test", &err);

    ck_assert_msg(app != NULL, "web_app_new: %s", err.text);
    return app;
}

/* Writes TEXT to a new temporary file; returns its path (static buffer). */
static const char *
temp_file(const char *text)
{
    static char path[64];
    int fd;

    snprintf(path, sizeof(path), "/tmp/check_core.XXXXXX");
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* ---- errors ------------------------------------------------------------------ */

START_TEST(test_error_names)
{
    int i;

    ck_assert_int_eq(N(webp_code_names), WEB_ERR_MAX);
    for (i = 0; i < WEB_ERR_MAX; i++)
        ck_assert_ptr_nonnull(webp_code_names[i]);
    ck_assert_str_eq(web_strerror(WEB_ERR_NOMEM), "out of memory");
    ck_assert_str_eq(web_strerror(WEB_ERR_MAX), "unknown error");
    ck_assert_str_eq(web_strerror((enum web_code) - 1), "unknown error");
}
END_TEST

START_TEST(test_first_error_kept)
{
    struct web_err err = {.code = WEB_OK};

    webp_err_set(&err, WEB_ERR_ROUTE, "first");
    webp_err_set(&err, WEB_ERR_IO, "second");
    ck_assert_int_eq(err.code, WEB_ERR_ROUTE);
    ck_assert_str_eq(err.text, "first");
    webp_err_set(NULL, WEB_ERR_IO, "no crash");
}
END_TEST

/* ---- configuration ------------------------------------------------------------ */

START_TEST(test_config_precedence)
{
    struct web_app *app = new_app();
    struct web_err err = {.code = WEB_OK};

    unsetenv("WEBT_KEY");
    ck_assert_ptr_null(web_config_get(app, "WEBT_KEY"));
    ck_assert_int_eq(web_config_set_default(app, "WEBT_KEY", "default", &err), 0);
    ck_assert_str_eq(web_config_get(app, "WEBT_KEY"), "default");
    ck_assert_int_eq(web_config_set(app, "WEBT_KEY", "set", &err), 0);
    ck_assert_str_eq(web_config_get(app, "WEBT_KEY"), "set");
    /* A later default does not hide a set value. */
    ck_assert_int_eq(web_config_set_default(app, "WEBT_KEY", "default2", &err), 0);
    ck_assert_str_eq(web_config_get(app, "WEBT_KEY"), "set");
    setenv("WEBT_KEY", "env", 1);
    ck_assert_str_eq(web_config_get(app, "WEBT_KEY"), "env");
    setenv("WEBT_KEY", "", 1); /* empty counts as set */
    ck_assert_str_eq(web_config_get(app, "WEBT_KEY"), "");
    unsetenv("WEBT_KEY");
    ck_assert_str_eq(web_config_get(app, "WEBT_KEY"), "set");
    ck_assert_int_eq(err.code, WEB_OK);
    web_app_free(app);
}
END_TEST

START_TEST(test_config_bad_keys)
{
    static const char *const bad[] = {"", "1ABC", "A-B", "A.B", "A B", "A=B"};
    struct web_app *app = new_app();
    int i;

    for (i = 0; i < N(bad); i++) {
        struct web_err err = {.code = WEB_OK};

        ck_assert_int_eq(web_config_set(app, bad[i], "v", &err), -1);
        ck_assert_int_eq(err.code, WEB_ERR_INVALID);
        ck_assert_ptr_null(web_config_get(app, bad[i]));
    }
    web_app_free(app);
}
END_TEST

START_TEST(test_config_file)
{
    const char *path = temp_file("# comment\n"
                                 "\n"
                                 "  WEBT_A = plain value   # trailing comment\n"
                                 "WEBT_B=\"quoted # not a comment \\\" \\\\ \"\r\n"
                                 "WEBT_C =\n"
                                 "WEBT_D = a#b\n"
                                 "WEBT_E = 42");
    struct web_app *app = new_app();
    struct web_err err = {.code = WEB_OK};

    unsetenv("WEBT_A");
    ck_assert_int_eq(web_config_set_default(app, "WEBT_A", "default", &err), 0);
    ck_assert_msg(web_config_load_file(app, path, &err) == 0, "%s", err.text);
    ck_assert_str_eq(web_config_get(app, "WEBT_A"), "plain value");
    ck_assert_str_eq(web_config_get(app, "WEBT_B"), "quoted # not a comment \" \\ ");
    ck_assert_str_eq(web_config_get(app, "WEBT_C"), "");
    ck_assert_str_eq(web_config_get(app, "WEBT_D"), "a#b");
    ck_assert_str_eq(web_config_get(app, "WEBT_E"), "42");
    /* The environment still wins over the file. */
    setenv("WEBT_E", "7", 1);
    ck_assert_str_eq(web_config_get(app, "WEBT_E"), "7");
    unsetenv("WEBT_E");
    /* A later set replaces a file value. */
    ck_assert_int_eq(web_config_set(app, "WEBT_E", "43", &err), 0);
    ck_assert_str_eq(web_config_get(app, "WEBT_E"), "43");
    unlink(path);
    web_app_free(app);
}
END_TEST

static const struct {
    const char *text;
    int line, col;
    const char *msg;
} file_errors[] = {
    {"WEBT_A = 1\nWEBT_B 2\n", 2, 8, "expected '='"},
    {"WEBT_A = 1\n  -X = 2\n", 2, 3, "expected a key"},
    {"WEBT_A = \"open\n", 1, 10, "unterminated"},
    {"WEBT_A = \"x\" y\n", 1, 14, "unexpected text"},
    {"WEBT_A = \"\\q\"\n", 1, 11, "unknown escape"},
    {"WEBT_A = 1\n\nWEBT_A = 2\n", 3, 1, "duplicate key 'WEBT_A' (first set on line 1)"},
    {"\xc3\xa9\xc3\xa9 = 1\n", 1, 1, "expected a key"},
    {"WEBT_\xc3\xa9 = 1\n", 1, 6, "expected '='"}, /* columns count characters */
    {"# \xc3\xa9\n\xc3\xa9=\xc3\xa9 WEBT_A\n", 2, 1, "expected a key"},
    {"WEBT_A = 1\nWEBT_B = x\0y\n", 2, 11, "NUL byte"},
};

START_TEST(test_config_file_errors)
{
    struct web_app *app = new_app();
    struct web_err err = {.code = WEB_OK};
    char path[64], want[300];
    size_t len = strlen(file_errors[_i].text);
    FILE *f;

    /* The NUL case needs the bytes after the NUL too. */
    if (strstr(file_errors[_i].msg, "NUL") != NULL)
        len = strlen(file_errors[_i].text) + 4;
    snprintf(path, sizeof(path), "%s", temp_file(""));
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(file_errors[_i].text, 1, len, f), len);
    fclose(f);
    ck_assert_int_eq(web_config_load_file(app, path, &err), -1);
    ck_assert_int_eq(err.code, WEB_ERR_CONFIG);
    ck_assert_str_eq(err.source, path);
    ck_assert_int_eq(err.line, file_errors[_i].line);
    ck_assert_int_eq(err.col, file_errors[_i].col);
    snprintf(want, sizeof(want), "%s:%d:%d: ", path, file_errors[_i].line,
             file_errors[_i].col);
    ck_assert_msg(strncmp(err.text, want, strlen(want)) == 0, "got '%s'", err.text);
    ck_assert_msg(strstr(err.text, file_errors[_i].msg) != NULL, "got '%s'", err.text);
    /* Nothing of a bad file is applied. */
    ck_assert_ptr_null(web_config_get(app, "WEBT_A"));
    unlink(path);
    web_app_free(app);
}
END_TEST

START_TEST(test_config_file_missing)
{
    struct web_app *app = new_app();
    struct web_err err = {.code = WEB_OK};

    ck_assert_int_eq(web_config_load_file(app, "/nonexistent/web.conf", &err), -1);
    ck_assert_int_eq(err.code, WEB_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.text, "/nonexistent/web.conf: open: "));
    web_app_free(app);
}
END_TEST

static const struct {
    const char *value; /* NULL: unset */
    int expect;        /* with default 7 */
} bool_cases[] = {
    {NULL, 7}, {"1", 1},   {"0", 0}, {"true", 1}, {"FALSE", 0},  {"Yes", 1},  {"no", 0},
    {"ON", 1}, {"off", 0}, {"", -1}, {"2", -1},   {"truee", -1}, {" on", -1},
};

START_TEST(test_config_bool)
{
    struct web_app *app = new_app();
    struct web_err err = {.code = WEB_OK};

    if (bool_cases[_i].value != NULL)
        ck_assert_int_eq(web_config_set(app, "WEBT_BOOL", bool_cases[_i].value, &err), 0);
    ck_assert_int_eq(web_config_bool(app, "WEBT_BOOL", 7, &err), bool_cases[_i].expect);
    if (bool_cases[_i].expect == -1) {
        ck_assert_int_eq(err.code, WEB_ERR_CONFIG);
        ck_assert_ptr_nonnull(strstr(err.text, "WEBT_BOOL: expected a boolean"));
    }
    web_app_free(app);
}
END_TEST

static const struct {
    const char *value;
    int rc;
    long out; /* range [-5, 1000], default 99 */
} long_cases[] = {
    {NULL, 0, 99},     {"0", 0, 0},
    {"1000", 0, 1000}, {"-5", 0, -5},
    {"+12", 0, 12},    {"1001", -1, 0},
    {"-6", -1, 0},     {"", -1, 0},
    {"12a", -1, 0},    {" 12", -1, 0},
    {"0x10", -1, 0},   {"1e3", -1, 0},
    {"-", -1, 0},      {"99999999999999999999", -1, 0},
};

START_TEST(test_config_long)
{
    struct web_app *app = new_app();
    struct web_err err = {.code = WEB_OK};
    long out = 12345;

    if (long_cases[_i].value != NULL)
        ck_assert_int_eq(web_config_set(app, "WEBT_LONG", long_cases[_i].value, &err), 0);
    ck_assert_int_eq(web_config_long(app, "WEBT_LONG", 99, -5, 1000, &out, &err),
                     long_cases[_i].rc);
    if (long_cases[_i].rc == 0) {
        ck_assert_int_eq(out, long_cases[_i].out);
    } else {
        ck_assert_int_eq(out, 12345); /* untouched on error */
        ck_assert_int_eq(err.code, WEB_ERR_CONFIG);
        ck_assert_ptr_nonnull(
            strstr(err.text, "WEBT_LONG: expected an integer in [-5, 1000]"));
    }
    web_app_free(app);
}
END_TEST

START_TEST(test_config_choice)
{
    static const char *const words[] = {"auto", "curl", "plain"};
    struct web_app *app = new_app();
    struct web_err err = {.code = WEB_OK};

    ck_assert_int_eq(web_config_choice(app, "WEBT_WORD", words, 3, 1, &err),
                     1); /* unset */
    ck_assert_int_eq(web_config_set(app, "WEBT_WORD", "PLAIN", &err), 0);
    ck_assert_int_eq(web_config_choice(app, "WEBT_WORD", words, 3, 1, &err), 2);
    ck_assert_int_eq(web_config_set(app, "WEBT_WORD", "fast", &err), 0);
    ck_assert_int_eq(web_config_choice(app, "WEBT_WORD", words, 3, 0, &err), -1);
    ck_assert_int_eq(err.code, WEB_ERR_CONFIG);
    ck_assert_msg(
        strstr(err.text, "WEBT_WORD: expected one of auto, curl, plain, got \"fast\"") !=
            NULL,
        "%s", err.text);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(web_config_set(app, "WEBT_WORD", "", &err), 0);
    ck_assert_int_eq(web_config_choice(app, "WEBT_WORD", words, 3, 0, &err), -1);
    web_app_free(app);
}
END_TEST

START_TEST(test_config_value_origin)
{
    const char *path = temp_file("\n  WEBT_N = many\n");
    struct web_app *app = new_app();
    struct web_err err = {.code = WEB_OK};
    long n;

    ck_assert_int_eq(web_config_load_file(app, path, &err), 0);
    ck_assert_int_eq(web_config_long(app, "WEBT_N", 1, 1, 9, &n, &err), -1);
    /* A bad value from a file points at its line. */
    ck_assert_int_eq(err.line, 2);
    ck_assert_int_eq(err.col, 3);
    ck_assert_str_eq(err.source, path);
    memset(&err, 0, sizeof(err));
    setenv("WEBT_N", "lots\n", 1);
    ck_assert_int_eq(web_config_long(app, "WEBT_N", 1, 1, 9, &n, &err), -1);
    ck_assert_msg(strstr(err.text, "WEBT_N (environment)") != NULL, "%s", err.text);
    ck_assert_msg(strstr(err.text, "lots\\x0a") != NULL, "escaped: %s", err.text);
    unsetenv("WEBT_N");
    unlink(path);
    web_app_free(app);
}
END_TEST

/* ---- contexts and extensions ---------------------------------------------------- */

static char teardown_log[64];

static int
ext_init(struct web_app *app, void *self, struct web_err *err)
{
    (void)err;
    /* Registered before init_app runs: it can find itself. */
    ck_assert_ptr_eq(web_app_ext(app, ((const struct web_ext *)self)->name), self);
    return 0;
}

static void
ext_teardown(struct web_ctx *ctx, void *state, void *self)
{
    const struct web_ext *ext = self;
    size_t len = strlen(teardown_log);

    /* The context is still current while it is torn down. */
    ck_assert_ptr_eq(web_ctx_current(), ctx);
    snprintf(teardown_log + len, sizeof(teardown_log) - len, "%s%s:%s", len ? " " : "",
             ext->name, state ? (const char *)state : "-");
}

static struct web_ext ext_a = {"a", ext_init, ext_teardown, &ext_a, NULL};
static struct web_ext ext_b = {"b", ext_init, ext_teardown, &ext_b, NULL};
static struct web_ext ext_c = {"c", NULL, ext_teardown, &ext_c, NULL};

static int
failing_init(struct web_app *app, void *self, struct web_err *err)
{
    (void)app;
    (void)self;
    (void)err;
    return -1;
}

static struct web_ext ext_bad = {"bad", failing_init, NULL, NULL, NULL};

static struct web_app *
app_with_exts(void)
{
    struct web_app *app = new_app();
    struct web_err err = {.code = WEB_OK};

    ck_assert_int_eq(web_app_register(app, &ext_a, &err), 0);
    ck_assert_int_eq(web_app_register(app, &ext_b, &err), 0);
    ck_assert_int_eq(web_app_register(app, &ext_c, &err), 0);
    return app;
}

START_TEST(test_ctx_slots_and_teardown_order)
{
    struct web_app *app = app_with_exts();
    struct web_ctx *ctx;
    static const struct web_ext stranger = {"stranger", NULL, NULL, NULL, NULL};

    ck_assert_ptr_eq(web_app_ext(app, "b"), &ext_b);
    ck_assert_ptr_null(web_app_ext(app, "zz"));
    ck_assert_ptr_null(web_ctx_current());
    ctx = web_ctx_push(app, NULL);
    ck_assert_ptr_nonnull(ctx);
    ck_assert_ptr_eq(web_ctx_current(), ctx);
    ck_assert_ptr_eq(web_ctx_app(ctx), app);
    ck_assert_ptr_null(*web_ctx_slot(ctx, &ext_a));
    *web_ctx_slot(ctx, &ext_a) = (void *)"sa";
    *web_ctx_slot(ctx, &ext_c) = (void *)"sc";
    ck_assert_ptr_null(web_ctx_slot(ctx, &stranger));
    teardown_log[0] = '\0';
    web_ctx_pop(ctx);
    /* Reverse registration order; every extension, state or not. */
    ck_assert_str_eq(teardown_log, "c:sc b:- a:sa");
    ck_assert_ptr_null(web_ctx_current());
    web_ctx_pop(NULL);
    web_app_free(app);
}
END_TEST

START_TEST(test_ctx_nesting)
{
    struct web_app *app = app_with_exts();
    struct web_ctx *outer = web_ctx_push(app, NULL), *inner;

    inner = web_ctx_push(app, NULL);
    ck_assert_ptr_ne(inner, outer);
    ck_assert_ptr_eq(web_ctx_current(), inner);
    /* Each context has its own slots. */
    *web_ctx_slot(inner, &ext_b) = (void *)"inner";
    ck_assert_ptr_null(*web_ctx_slot(outer, &ext_b));
    teardown_log[0] = '\0';
    web_ctx_pop(inner);
    ck_assert_str_eq(teardown_log, "c:- b:inner a:-");
    ck_assert_ptr_eq(web_ctx_current(), outer);
    web_ctx_pop(outer);
    ck_assert_ptr_null(web_ctx_current());
    web_app_free(app);
}
END_TEST

static void *
other_thread(void *arg)
{
    (void)arg;
    return web_ctx_current();
}

START_TEST(test_ctx_thread_local)
{
    struct web_app *app = new_app();
    struct web_ctx *ctx = web_ctx_push(app, NULL);
    pthread_t t;
    void *seen = (void *)1;

    ck_assert_int_eq(pthread_create(&t, NULL, other_thread, NULL), 0);
    pthread_join(t, &seen);
    ck_assert_ptr_null(seen);
    ck_assert_ptr_eq(web_ctx_current(), ctx);
    web_ctx_pop(ctx);
    web_app_free(app);
}
END_TEST

START_TEST(test_with_app_context)
{
    struct web_app *app = app_with_exts();
    int ran = 0;

    teardown_log[0] = '\0';
    WEB_WITH_APP_CONTEXT(app, ctx)
    {
        ck_assert_ptr_eq(web_ctx_current(), ctx);
        *web_ctx_slot(ctx, &ext_a) = (void *)"with";
        ran++;
    }
    ck_assert_int_eq(ran, 1);
    ck_assert_str_eq(teardown_log, "c:- b:- a:with");
    ck_assert_ptr_null(web_ctx_current());
    web_app_free(app);
}
END_TEST

START_TEST(test_register_errors)
{
    struct web_app *app = app_with_exts();
    struct web_err err = {.code = WEB_OK};
    struct web_ext dup = {"a", NULL, NULL, NULL, NULL};
    struct web_ext late = {"late", NULL, NULL, NULL, NULL};
    struct web_ctx *ctx;

    ck_assert_int_eq(web_app_register(app, &dup, &err), -1);
    ck_assert_int_eq(err.code, WEB_ERR_EXT);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(web_app_register(app, &ext_bad, &err), -1);
    ck_assert_int_eq(err.code, WEB_ERR_EXT);
    ck_assert_ptr_null(web_app_ext(app, "bad"));
    memset(&err, 0, sizeof(err));
    ctx = web_ctx_push(app, &err);
    ck_assert_int_eq(web_app_register(app, &late, &err), -1);
    ck_assert_int_eq(err.code, WEB_ERR_INVALID);
    web_ctx_pop(ctx);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(web_app_register(app, &late, &err), 0);
    web_app_free(app);
}
END_TEST

/* ---- web_app_handle ---------------------------------------------------------------- */

static int udata_marker; /* its address is the routes' udata */

static int
h_user(struct web_req *req, struct web_resp *resp, void *udata)
{
    const char *v = web_req_query(req, "v");

    ck_assert_ptr_eq(udata, (void *)&udata_marker);
    ck_assert_ptr_eq(web_req_ctx(req), web_ctx_current());
    return web_resp_json(
        resp, 200,
        json_pack("{s:s, s:s, s:s?, s:s?, s:s}", "user", web_req_param(req, "username"),
                  "method", web_req_method(req), "v", v, "h",
                  web_req_header(req, "x-test-header"), "path", web_req_path(req)));
}

static int
h_echo(struct web_req *req, struct web_resp *resp, void *udata)
{
    json_t *body = web_req_json(req, resp);

    (void)udata;
    if (body == NULL)
        return 0; /* web_req_json answered 400 */
    return web_resp_json(resp, 201, body);
}

static int
h_fail(struct web_req *req, struct web_resp *resp, void *udata)
{
    (void)req;
    (void)udata;
    web_resp_status(resp, 200);
    web_resp_header(resp, "X-Half", "built");
    return -1;
}

static int
h_nostatus(struct web_req *req, struct web_resp *resp, void *udata)
{
    (void)req;
    (void)udata;
    return web_resp_body(resp, "x", 1);
}

static int
h_badheader(struct web_req *req, struct web_resp *resp, void *udata)
{
    (void)req;
    (void)udata;
    web_resp_status(resp, 200);
    web_resp_header(resp, "X-Evil", "a\r\nSet-Cookie: x=1");
    return 0;
}

static int
h_text(struct web_req *req, struct web_resp *resp, void *udata)
{
    size_t len;
    const char *body = web_req_body(req, &len);

    (void)udata;
    web_resp_status(resp, 200);
    if (web_resp_header(resp, "Content-Type", "text/plain") != 0 ||
        web_resp_header(resp, "Content-Type", "text/x-test") != 0)
        return -1;
    return web_resp_body(resp, body, len);
}

static int
h_error(struct web_req *req, struct web_resp *resp, void *udata)
{
    (void)req;
    (void)udata;
    return web_resp_error(resp, 409, "conflict on %s: \xff", "bob");
}

static const struct web_route handle_routes[] = {
    {"GET", "/users/<username>", h_user},
    {"PUT", "/users/<username>", h_user},
    {"POST", "/echo", h_echo},
    {"GET", "/fail", h_fail},
    {"GET", "/nostatus", h_nostatus},
    {"GET", "/badheader", h_badheader},
    {"POST", "/text", h_text},
    {"GET", "/error", h_error},
};

static struct web_app *
routed_app(void)
{
    struct web_app *app = new_app();
    struct web_err err = {.code = WEB_OK};

    ck_assert_int_eq(
        web_app_routes(app, handle_routes, N(handle_routes), &udata_marker, &err), 0);
    return app;
}

/* Runs one request; returns the body (free()) and fills *STATUS. */
static char *
run(struct web_app *app, const char *method, const char *uri, const char *body,
    int *status)
{
    static const char *const headers[] = {"X-Test-Header:  hello  ", "Content-Type: x"};
    struct web_err err = {.code = WEB_OK};
    char *out = NULL;
    struct web_ctx *ctx = web_ctx_push(app, NULL);

    ck_assert_msg(web_app_handle(app, ctx, method, uri, headers, 2, body,
                                 body ? strlen(body) : 0, status, &out, &err) == 0,
                  "web_app_handle: %s", err.text);
    web_ctx_pop(ctx);
    return out;
}

static const struct {
    const char *method;
    const char *uri;
    const char *body;
    int status;
    const char *expect; /* exact body, or a substring when starting with '~' */
} handle_cases[] = {
    {"GET", "/users/bob?v=x+y%21", NULL, 200,
     "{\"user\":\"bob\",\"method\":\"GET\",\"v\":\"x "
     "y!\",\"h\":\"hello\",\"path\":\"/users/bob\"}"},
    {"GET", "/users/a%2Fb", NULL, 200, "~\"user\":\"a/b\""},
    {"GET", "/users/bob?v=1&v=2", NULL, 200, "~\"v\":\"1\""},
    {"HEAD", "/users/bob", NULL, 200, ""},
    {"GET", "/nope", NULL, 404, "{\"error\":\"not found\"}"},
    {"DELETE", "/users/bob", NULL, 405, "{\"error\":\"method not allowed\"}"},
    {"GET", "/users/%zz", NULL, 400, "~malformed path"},
    {"GET", "/users/a%00b", NULL, 400, "~malformed path"},
    {"GET", "/users/bob?v=%", NULL, 400, "~malformed query"},
    {"GET", "users/bob", NULL, 400, "~malformed path"},
    {"", "/users/bob", NULL, 400, "~missing request method"},
    {"POST", "/echo", "{\"a\": [1, 2.50, \"\xc3\xa9\"]}", 201,
     "{\"a\":[1,2.5,\"\xc3\xa9\"]}"},
    {"POST", "/echo", "{\"a\": 1,\n \"b\": }", 400,
     "~invalid JSON body: line 2, column 7 (position 16)"},
    {"POST", "/echo", "", 400, "~invalid JSON body: line 1"},
    {"POST", "/echo", "{\"a\":1,\"a\":2}", 400, "~duplicate"},
    {"GET", "/fail", NULL, 500, "{\"error\":\"internal server error\"}"},
    {"GET", "/nostatus", NULL, 500, "{\"error\":\"internal server error\"}"},
    {"GET", "/badheader", NULL, 500, "{\"error\":\"internal server error\"}"},
    {"POST", "/text", "raw \x01 bytes", 200, "raw \x01 bytes"},
    {"GET", "/error", NULL, 409, "{\"error\":\"conflict on bob: ?\"}"},
};

START_TEST(test_handle)
{
    struct web_app *app = routed_app();
    int status = 0;
    char *body = run(app, handle_cases[_i].method, handle_cases[_i].uri,
                     handle_cases[_i].body, &status);
    const char *expect = handle_cases[_i].expect;

    ck_assert_msg(status == handle_cases[_i].status, "%s %s: status %d, body %s",
                  handle_cases[_i].method, handle_cases[_i].uri, status, body);
    ck_assert_ptr_nonnull(body);
    if (expect[0] == '~')
        ck_assert_msg(strstr(body, expect + 1) != NULL, "body %s", body);
    else
        ck_assert_str_eq(body, expect);
    free(body);
    web_app_free(app);
}
END_TEST

/* Dispatches through the internal API to look at response headers. */
static void
dispatch(struct web_app *app, const char *method, const char *uri, struct web_req *req,
         struct web_resp *resp)
{
    webp_req_init(req, app, NULL, 1024);
    webp_resp_init(resp);
    ck_assert_int_eq(webp_req_set_target(req, method, uri), WEBP_OK);
    ck_assert_int_eq(webp_dispatch(app, req, resp), 0);
}

START_TEST(test_handle_headers)
{
    struct web_app *app = routed_app();
    struct web_req req;
    struct web_resp resp;

    dispatch(app, "PATCH", "/users/bob", &req, &resp);
    ck_assert_int_eq(resp.status, 405);
    ck_assert_pstr_eq(webp_resp_header_get(&resp, "allow"), "GET, HEAD, PUT");
    ck_assert_pstr_eq(webp_resp_header_get(&resp, "Content-Type"), "application/json");
    webp_req_free(&req);
    webp_resp_reset(&resp);

    dispatch(app, "GET", "/fail", &req, &resp);
    ck_assert_int_eq(resp.status, 500);
    ck_assert_ptr_null(webp_resp_header_get(&resp, "X-Half")); /* dropped */
    webp_req_free(&req);
    webp_resp_reset(&resp);

    dispatch(app, "HEAD", "/users/bob", &req, &resp);
    /* The GET handler ran: the body is there, the writer drops it. */
    ck_assert_int_eq(resp.status, 200);
    ck_assert_uint_gt(resp.body.len, 0);
    webp_req_free(&req);
    webp_resp_reset(&resp);

    dispatch(app, "POST", "/text", &req, &resp);
    ck_assert_pstr_eq(webp_resp_header_get(&resp, "content-type"), "text/x-test");
    ck_assert_uint_eq(resp.headers.n, 1); /* Content-Type replaced, not added */
    webp_req_free(&req);
    webp_resp_reset(&resp);
    web_app_free(app);
}
END_TEST

START_TEST(test_handle_413)
{
    struct web_app *app = routed_app();
    struct web_err err = {.code = WEB_OK};
    char big[102];
    int status = 0;
    char *body;

    memset(big, 'x', sizeof(big) - 1);
    big[101] = '\0';
    ck_assert_int_eq(web_config_set(app, "WEB_MAX_BODY", "100", &err), 0);
    body = run(app, "POST", "/text", big, &status);
    ck_assert_int_eq(status, 413);
    ck_assert_str_eq(body, "{\"error\":\"request body too large\"}");
    free(body);
    big[100] = '\0'; /* exactly at the maximum is fine */
    body = run(app, "POST", "/text", big, &status);
    ck_assert_int_eq(status, 200);
    free(body);
    /* The default is 1 MiB. */
    ck_assert_int_eq(web_config_set(app, "WEB_MAX_BODY", "oops", &err), 0);
    ck_assert_int_eq(
        web_app_handle(app, NULL, "GET", "/", NULL, 0, NULL, 0, &status, &body, &err),
        -1);
    ck_assert_int_eq(err.code, WEB_ERR_CONFIG);
    web_app_free(app);
}
END_TEST

START_TEST(test_handle_limits)
{
    struct web_app *app = routed_app();
    char uri[WEBP_MAX_URI + 16];
    int status = 0;
    char *body;

    memset(uri, 'a', sizeof(uri) - 1);
    uri[0] = '/';
    uri[sizeof(uri) - 1] = '\0';
    body = run(app, "GET", uri, NULL, &status);
    ck_assert_int_eq(status, 414);
    free(body);
    web_app_free(app);
}
END_TEST

START_TEST(test_handle_args)
{
    struct web_app *app = routed_app(), *other = new_app();
    struct web_ctx *ctx = web_ctx_push(other, NULL);
    struct web_err err = {.code = WEB_OK};
    static const char *const bad_header[] = {"no colon"};
    int status;
    char *body = (char *)"x";

    ck_assert_int_eq(
        web_app_handle(app, ctx, "GET", "/", NULL, 0, NULL, 0, &status, &body, &err), -1);
    ck_assert_int_eq(err.code, WEB_ERR_INVALID);
    ck_assert_ptr_null(body);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(web_app_handle(app, NULL, "GET", "/", bad_header, 1, NULL, 0,
                                    &status, NULL, &err),
                     -1);
    ck_assert_int_eq(err.code, WEB_ERR_INVALID);
    web_ctx_pop(ctx);
    web_app_free(other);
    web_app_free(app);
}
END_TEST

START_TEST(test_response_setters)
{
    struct web_resp resp;

    webp_resp_init(&resp);
    ck_assert_int_eq(web_resp_header(&resp, "X-Ok", "fine\tvalue"), 0);
    ck_assert_int_eq(resp.failed, 0);
    ck_assert_int_eq(web_resp_header(&resp, "Bad Name", "v"), -1);
    ck_assert_int_eq(web_resp_header(&resp, "Status", "200"), -1);
    ck_assert_int_eq(web_resp_header(&resp, "X-Nl", "a\nb"), -1);
    ck_assert_int_eq(resp.failed, 1);
    webp_resp_reset(&resp);
    web_resp_status(&resp, 99);
    ck_assert_int_eq(resp.failed, 1);
    webp_resp_reset(&resp);
    ck_assert_int_eq(web_resp_json(&resp, 200, NULL), -1); /* as jansson's _new */
    ck_assert_int_eq(resp.failed, 1);
    webp_resp_reset(&resp);
}
END_TEST

/* ---- allocation failure -------------------------------------------------------- */

/* One full run: app, routes, config, a context, requests.  Returns 0 when
 * everything worked; otherwise the failure must be a clean NOMEM or a 500. */
static int
chaos_once(void)
{
    static const char *const hdr[] = {"X-Test-Header: v"};
    struct web_err err = {.code = WEB_OK};
    struct web_app *app = web_app_new("chaos", &err);
    struct web_ctx *ctx = NULL;
    char *body = NULL;
    int status = 0, ok = -1;

    if (app == NULL)
        goto out;
    if (web_config_set(app, "WEBT_CHAOS", "1", &err) != 0 ||
        web_app_register(app, &ext_a, &err) != 0 ||
        web_app_routes(app, handle_routes, N(handle_routes), &udata_marker, &err) != 0 ||
        (ctx = web_ctx_push(app, &err)) == NULL)
        goto out;
    if (web_app_handle(app, ctx, "GET", "/users/b%20b?v=1&w=2", hdr, 1, NULL, 0, &status,
                       &body, &err) != 0)
        goto out;
    ck_assert_msg(status == 200 || status == 500, "status %d", status);
    free(body);
    body = NULL;
    if (status != 200 || web_app_handle(app, ctx, "POST", "/echo", NULL, 0, "{\"k\":[1]}",
                                        9, &status, &body, &err) != 0)
        goto out;
    ck_assert_msg(status == 201 || status == 500, "status %d", status);
    ok = status == 201 ? 0 : -1;
out:
    if (ok != 0 && status != 500)
        ck_assert_msg(err.code == WEB_ERR_NOMEM || err.code == WEB_ERR_EXT,
                      "unclean failure: %d %s", err.code, err.text);
    free(body);
    web_ctx_pop(ctx);
    web_app_free(app);
    return ok;
}

START_TEST(test_chaos)
{
    long n, made;

    ck_assert_int_eq(chaos_once(), 0);
    for (n = 1;; n++) {
        teardown_log[0] = '\0';
        util_alloc_fail_at(n);
        chaos_once();
        made = util_alloc_fail_at(0);
        if (made < n)
            break; /* the failure point was never reached: all covered */
        ck_assert_msg(n < 100000, "runaway");
    }
    ck_assert_int_gt(n, 10);
    ck_assert_int_eq(chaos_once(), 0);
}
END_TEST

static Suite *
core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("errors");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_error_names);
    tcase_add_test(tc, test_first_error_kept);
    suite_add_tcase(s, tc);

    tc = tcase_create("config");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_config_precedence);
    tcase_add_test(tc, test_config_bad_keys);
    tcase_add_test(tc, test_config_file);
    tcase_add_loop_test(tc, test_config_file_errors, 0, N(file_errors));
    tcase_add_test(tc, test_config_file_missing);
    tcase_add_loop_test(tc, test_config_bool, 0, N(bool_cases));
    tcase_add_loop_test(tc, test_config_long, 0, N(long_cases));
    tcase_add_test(tc, test_config_value_origin);
    tcase_add_test(tc, test_config_choice);
    suite_add_tcase(s, tc);

    tc = tcase_create("contexts");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_ctx_slots_and_teardown_order);
    tcase_add_test(tc, test_ctx_nesting);
    tcase_add_test(tc, test_ctx_thread_local);
    tcase_add_test(tc, test_with_app_context);
    tcase_add_test(tc, test_register_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("handle");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_handle, 0, N(handle_cases));
    tcase_add_test(tc, test_handle_headers);
    tcase_add_test(tc, test_handle_413);
    tcase_add_test(tc, test_handle_limits);
    tcase_add_test(tc, test_handle_args);
    tcase_add_test(tc, test_response_setters);
    suite_add_tcase(s, tc);

    tc = tcase_create("chaos");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_chaos);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(core_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
