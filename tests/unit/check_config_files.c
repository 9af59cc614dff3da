/*
 * check_config_files.c: broken application configuration files
 * (web_config_load_file, the WEB_CONFIG_FILE of the example app), each of
 * which must give one precise "FILE:LINE:COL: message".
 *
 * Data-driven, as check_tables.c: tests/data/config (or $CONFIG_DATA) holds
 * - bad/<case>/{input,expected}: a file the parser refuses; expected is
 *   "LINE:COL: message";
 * - bad_value/<case>/{input,expected}: a file that parses but sets a key to
 *   a value its reader refuses at start-up (the framework's WEB_* keys, the
 *   extension's DYNAMO_* / AWS_* keys); the error still points into the
 *   file.  Start-up is replayed as the example app does it: WEB_MAX_BODY,
 *   then web_app_serve's options, then dynamo_new.  web_app_serve never
 *   gets to listen: WEB_LISTEN defaults to "unix:", refused before any
 *   socket is made (libfcgi's FCGX_OpenSocket exit()s the process when
 *   bind fails, so a bad path would end the test program).
 * Unit suite: no socket is opened and nothing is contacted
 * (DYNAMO_ENABLE_LOCAL defaults to 1, so no credentials are fetched).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/internal.h"
#include "dynamo.h"
#include "testutil.h"

/* Keys the cases set: the environment would win over the file. */
static const char *const keys[] = {
    "WEB_MAX_BODY",
    "WEB_WORKERS",
    "WEB_GRACE_MS",
    "WEB_LISTEN",
    "WEB_LISTEN_MODE",
    "DYNAMO_ENABLE_LOCAL",
    "DYNAMO_LOCAL_HOST",
    "DYNAMO_LOCAL_PORT",
    "DYNAMO_TABLES_FILE",
    "AWS_MAX_ATTEMPTS",
    "DYNAMO_CONNECT_TIMEOUT_MS",
    "DYNAMO_REQUEST_TIMEOUT_MS",
    "DYNAMO_HTTP_TRANSPORT",
};

static const char *
data_dir(void)
{
    const char *dir = getenv("CONFIG_DATA");

    return dir != NULL && *dir != '\0' ? dir : "tests/data/config";
}

/* PATH's text without trailing blanks and line ends, into BUF. */
static int
read_expected(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL)
        return -1;
    n = fread(buf, 1, size - 1, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    return 0;
}

/* A fresh app with the defaults that keep start-up offline. */
static struct web_app *
new_app(void)
{
    struct web_err err = {0};
    struct web_app *app = web_app_new("config-files", &err);

    ck_assert_msg(app != NULL, "web_app_new: %s", err.text);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        unsetenv(keys[i]);
    ck_assert(web_config_set_default(app, "WEB_LISTEN", "unix:", &err) == 0 &&
              web_config_set_default(app, "DYNAMO_ENABLE_LOCAL", "1", &err) == 0 &&
              web_config_set_default(app, "DYNAMO_LOCAL_HOST", "127.0.0.1", &err) == 0 &&
              web_config_set_default(app, "DYNAMO_LOCAL_PORT", "9", &err) == 0 &&
              web_config_set_default(app, "AWS_REGION", "us-east-1", &err) == 0 &&
              web_config_set_default(app, "DYNAMO_TABLES_FILE",
                                     "tests/data/tables/good/minimal/input", &err) == 0);
    return app;
}

/* Replays the example app's start-up after the file is loaded.  Returns 0
 * when every value was accepted, else -1 with the first error in TEXT. */
static int
start_up(struct web_app *app, struct dynamo **d, char *text, size_t size)
{
    struct web_err werr = {0};
    struct dynamo_err derr = {0};
    size_t max_body;

    *d = NULL;
    if (webp_max_body(app, &max_body, &werr) != 0 ||
        (web_app_serve(app, &werr) != 0 && strncmp(werr.text, "WEB_LISTEN: ", 12) != 0)) {
        snprintf(text, size, "%s", werr.text);
        return -1;
    }
    if ((*d = dynamo_new(app, &derr)) == NULL) {
        snprintf(text, size, "%s", derr.text);
        return -1;
    }
    return 0;
}

/* PATH/input must fail with "PATH/input:" + PATH/expected: at load when
 * AT_LOAD, else at start-up.  Returns 1 on success, 0 after printing why. */
static int
run_case(const char *path, int at_load)
{
    char input[1500], want[2000], expected[400], got[600] = "";
    struct web_err err = {0};
    struct web_app *app = new_app();
    struct dynamo *d = NULL;
    int ok = 0, loaded;

    snprintf(input, sizeof(input), "%s/input", path);
    snprintf(want, sizeof(want), "%s/expected", path);
    if (read_expected(want, expected, sizeof(expected)) != 0) {
        fprintf(stderr, "%s: cannot read\n", want);
        web_app_free(app);
        return 0;
    }
    snprintf(want, sizeof(want), "%s:%s", input, expected);
    loaded = web_config_load_file(app, input, &err) == 0;
    if (!loaded && at_load)
        ok = err.code == WEB_ERR_CONFIG && strcmp(err.text, want) == 0 &&
             strcmp(err.source, input) == 0;
    if (!loaded)
        snprintf(got, sizeof(got), "%s (at load)", err.text);
    else if (at_load)
        snprintf(got, sizeof(got), "loaded");
    else if (start_up(app, &d, got, sizeof(got)) == 0)
        snprintf(got, sizeof(got), "accepted at start-up");
    else
        ok = strcmp(got, want) == 0;
    if (!ok)
        fprintf(stderr, "%s:\n  expected: %s\n  got:      %s\n", input, want, got);
    web_app_free(app);
    dynamo_free(d); /* after the app, whose contexts it serves */
    return ok;
}

static void
run_cases(const char *kind, int at_load, int minimum)
{
    struct dirent **names;
    char dir[1024], path[1400];
    int n, cases = 0, failed = 0;

    snprintf(dir, sizeof(dir), "%s/%s", data_dir(), kind);
    n = scandir(dir, &names, NULL, alphasort);
    ck_assert_msg(
        n >= 0, "cannot read %s (set CONFIG_DATA or run from the top of the tree)", dir);
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') {
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
            cases++;
            failed += !run_case(path, at_load);
        }
        free(names[i]);
    }
    free(names);
    ck_assert_msg(cases >= minimum, "%s: %d cases, expected at least %d", kind, cases,
                  minimum);
    ck_assert_msg(failed == 0, "%s: %d of %d cases failed (see stderr)", kind, failed,
                  cases);
}

START_TEST(test_bad_files)
{
    run_cases("bad", 1, 10);
}
END_TEST

START_TEST(test_bad_values)
{
    run_cases("bad_value", 0, 10);
}
END_TEST

/* The start-up replay accepts a good file: the bad cases fail for their own
 * reason, not for the harness's. */
START_TEST(test_good_file_starts)
{
    char path[] = "/tmp/check_config_files.XXXXXX", got[600] = "";
    static const char text[] = "# every key the cases break, with a good value\n"
                               "WEB_MAX_BODY = 1048576\nWEB_WORKERS = 2\n"
                               "WEB_GRACE_MS = 5000\nDYNAMO_ENABLE_LOCAL = yes\n"
                               "AWS_MAX_ATTEMPTS = 3   # retries\n"
                               "DYNAMO_CONNECT_TIMEOUT_MS = \"1000\"\n"
                               "DYNAMO_REQUEST_TIMEOUT_MS = 20000\n"
                               "DYNAMO_HTTP_TRANSPORT = curl\n";
    struct web_app *app = new_app();
    struct web_err err = {0};
    struct dynamo *d = NULL;
    FILE *f;
    int fd = mkstemp(path);

    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_msg(web_config_load_file(app, path, &err) == 0, "%s", err.text);
    ck_assert_msg(start_up(app, &d, got, sizeof(got)) == 0, "%s", got);
    web_app_free(app);
    dynamo_free(d);
    unlink(path);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("config_files");
    TCase *tc = tcase_create("data");

    tcase_add_checked_fixture(tc, NULL, tu_leak_check);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bad_files);
    tcase_add_test(tc, test_bad_values);
    tcase_add_test(tc, test_good_file_starts);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
