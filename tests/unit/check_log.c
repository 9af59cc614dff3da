/*
 * check_log.c: levelled logging (core/log.c) and the extensions' access-log
 * parts (webp_ctx_log_request).  No socket: stderr is captured in a file.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/internal.h"
#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- capturing stderr ------------------------------------------------------- */

struct capture {
    FILE *file;
    int saved;
};

static void
capture_start(struct capture *c)
{
    fflush(stderr);
    c->file = tmpfile();
    ck_assert_ptr_nonnull(c->file);
    c->saved = dup(2);
    ck_assert_int_ge(c->saved, 0);
    ck_assert_int_eq(dup2(fileno(c->file), 2), 2);
}

/* What was written since capture_start (free() it). */
static char *
capture_end(struct capture *c)
{
    long n;
    char *text;

    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    n = ftell(c->file);
    rewind(c->file);
    text = calloc(1, (size_t)n + 1);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(fread(text, 1, (size_t)n, c->file), (size_t)n);
    fclose(c->file);
    return text;
}

static struct web_app *
new_app(const char *level)
{
    struct web_app *app = web_app_new("logtest", NULL);

    ck_assert_ptr_nonnull(app);
    unsetenv("WEB_LOG_LEVEL"); /* the environment would win over the app */
    if (level != NULL)
        ck_assert_int_eq(web_config_set(app, "WEB_LOG_LEVEL", level, NULL), 0);
    return app;
}

/* ---- levels ---------------------------------------------------------------------- */

START_TEST(test_level_names)
{
    ck_assert_int_eq(N(webp_log_level_names), WEB_LOG_MAX);
    for (int i = 0; i < WEB_LOG_MAX; i++) {
        ck_assert_ptr_nonnull(webp_log_level_names[i]);
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(webp_log_level_names[i], webp_log_level_names[j]);
    }
}
END_TEST

START_TEST(test_level_config)
{
    static const struct {
        const char *value;
        enum web_log_level want;
    } cases[] = {{NULL, WEB_LOG_INFO}, {"error", WEB_LOG_ERROR}, {"WARN", WEB_LOG_WARN},
                 {"Info", WEB_LOG_INFO}, {"debug", WEB_LOG_DEBUG}};
    struct web_err err = {0};
    enum web_log_level level;

    for (size_t i = 0; i < N(cases); i++) {
        struct web_app *app = new_app(cases[i].value);

        ck_assert_int_eq(webp_log_level(app, &level, NULL), 0);
        ck_assert_int_eq(level, cases[i].want);
        web_app_free(app);
    }
    ck_assert_int_eq(webp_log_level(NULL, &level, NULL), 0);
    ck_assert_int_eq(level, WEB_LOG_INFO);

    struct web_app *app = new_app("loud");

    ck_assert_int_eq(webp_log_level(app, &level, &err), -1);
    ck_assert_int_eq(level, WEB_LOG_INFO);
    ck_assert_int_eq(err.code, WEB_ERR_CONFIG);
    ck_assert_msg(strstr(err.text, "WEB_LOG_LEVEL") && strstr(err.text, "\"loud\""), "%s",
                  err.text);
    web_app_free(app);
}
END_TEST

/* web_app_serve checks WEB_LOG_LEVEL before it opens any socket. */
START_TEST(test_serve_refuses_bad_level)
{
    struct web_app *app = new_app("verbose");
    struct web_err err = {0};

    ck_assert_int_eq(web_config_set(app, "WEB_LISTEN", "127.0.0.1:1", NULL), 0);
    ck_assert_int_eq(web_app_serve(app, &err), -1);
    ck_assert_int_eq(err.code, WEB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.text, "WEB_LOG_LEVEL"));
    web_app_free(app);
}
END_TEST

/* ---- lines ----------------------------------------------------------------------- */

START_TEST(test_filter_and_prefix)
{
    struct web_app *app = new_app("warn");
    struct capture c;
    char *out;

    capture_start(&c);
    web_log(app, WEB_LOG_ERROR, "e%d", 1);
    web_log(app, WEB_LOG_WARN, "w%s", "1");
    web_log(app, WEB_LOG_INFO, "not shown");
    web_log(app, WEB_LOG_DEBUG, "not shown");
    web_log(NULL, WEB_LOG_INFO, "no app: info");
    web_log(NULL, WEB_LOG_DEBUG, "no app: not shown");
    out = capture_end(&c);
    ck_assert_str_eq(out, "error: e1\nwarn: w1\ninfo: no app: info\n");
    free(out);
    web_app_free(app);
}
END_TEST

START_TEST(test_escaped_one_line)
{
    struct capture c;
    char *out;

    capture_start(&c);
    web_log(NULL, WEB_LOG_ERROR, "a\nb\x1b[31m\tc\\d \"\xc3\xa9\x7f");
    out = capture_end(&c);
    /* Spaces, quotes and backslashes stay: only non-printable bytes go. */
    ck_assert_str_eq(out, "error: a\\x0ab\\x1b[31m\\x09c\\d \"\\xc3\\xa9\\x7f\n");
    free(out);
}
END_TEST

START_TEST(test_long_message_cut)
{
    struct capture c;
    char *big = malloc(10001), *out;
    size_t len;

    ck_assert_ptr_nonnull(big);
    memset(big, 'x', 10000);
    big[10000] = '\0';
    capture_start(&c);
    web_log(NULL, WEB_LOG_WARN, "%s", big);
    big[0] = '\x01'; /* escaped bytes take four: cut earlier, still bounded */
    memset(big, '\x01', 3000);
    web_log(NULL, WEB_LOG_WARN, "%s", big);
    out = capture_end(&c);
    len = strlen(out);
    ck_assert_uint_le(len, 2 * 4096);
    ck_assert_int_eq(strncmp(out, "warn: xxx", 9), 0);
    ck_assert_ptr_nonnull(strstr(out, "x...\nwarn: \\x01"));
    ck_assert_int_eq(strcmp(out + len - 4, "...\n"), 0);
    free(out);
    free(big);
}
END_TEST

/* ---- extension parts of the access line ------------------------------------------ */

static void
log_a(struct web_ctx *ctx, void *state, void *self, char *buf, size_t size)
{
    (void)ctx;
    (void)self;
    snprintf(buf, size, "a=%s", state ? (const char *)state : "none");
}

/* Calls of log_empty without a line to write to (BUF NULL, SIZE 0). */
static int empty_unlogged;

static void
log_empty(struct web_ctx *ctx, void *state, void *self, char *buf, size_t size)
{
    (void)ctx;
    (void)state;
    (void)self;
    if (buf == NULL && size == 0)
        empty_unlogged++;
}

static void
log_self(struct web_ctx *ctx, void *state, void *self, char *buf, size_t size)
{
    (void)state;
    ck_assert_ptr_eq(web_ctx_current(), ctx);
    snprintf(buf, size, "%s", (const char *)self);
}

START_TEST(test_ctx_log_parts)
{
    static struct web_ext ea = {.name = "a", .log_request = log_a};
    static struct web_ext eb = {.name = "b", .log_request = log_empty};
    static struct web_ext ec = {.name = "c"};
    static char d_text[] = "d=1", yes[] = "yes";
    static struct web_ext ed = {.name = "d", .log_request = log_self, .self = d_text};
    struct web_app *app = new_app(NULL);
    struct web_ctx *ctx;
    char buf[64];

    ck_assert_int_eq(web_app_register(app, &ea, NULL), 0);
    ck_assert_int_eq(web_app_register(app, &eb, NULL), 0);
    ck_assert_int_eq(web_app_register(app, &ec, NULL), 0);
    ck_assert_int_eq(web_app_register(app, &ed, NULL), 0);
    ctx = web_ctx_push(app, NULL);
    ck_assert_ptr_nonnull(ctx);
    webp_ctx_log_request(ctx, buf, sizeof(buf));
    ck_assert_str_eq(buf, " a=none d=1");
    *web_ctx_slot(ctx, &ea) = yes;
    webp_ctx_log_request(ctx, buf, sizeof(buf));
    ck_assert_str_eq(buf, " a=yes d=1");
    /* A part that does not fit is left out whole. */
    webp_ctx_log_request(ctx, buf, 8);
    ck_assert_str_eq(buf, " a=yes");
    webp_ctx_log_request(ctx, buf, 2);
    ck_assert_str_eq(buf, "");
    /* No line (the access log is off): every hook still hears of the
     * request, with nothing to write to. */
    empty_unlogged = 0;
    webp_ctx_log_request(ctx, NULL, 0);
    ck_assert_int_eq(empty_unlogged, 1);
    *web_ctx_slot(ctx, &ea) = NULL;
    web_ctx_pop(ctx);
    web_app_free(app);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");

    tcase_add_checked_fixture(tc, NULL, tu_leak_check);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_level_names);
    tcase_add_test(tc, test_level_config);
    tcase_add_test(tc, test_serve_refuses_bad_level);
    tcase_add_test(tc, test_filter_and_prefix);
    tcase_add_test(tc, test_escaped_one_line);
    tcase_add_test(tc, test_long_message_cut);
    tcase_add_test(tc, test_ctx_log_parts);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
