/*
 * check_tables.c: the tables-file parser and the CreateTable requests built
 * from it.
 *
 * Data-driven, as jansson's test suites: tests/data/tables (or $TABLES_DATA)
 * holds good/<case>/{input,expected.json}, the CreateTable requests the file
 * must produce (a JSON array, one per table in file order), and
 * bad/<case>/{input,expected}, the one error the file must give, as
 * "LINE:COL: message".  Run from the top of the tree (dynamo.conf.example is
 * loaded from there, or from $DYNAMO_CONF_EXAMPLE).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

/* ext/internal.h, not core/internal.h (both directories are on the include
 * path, core first). */
#include "ext/internal.h"
#include "tables.h"

/* Leaks must fail the test: in Check's fork mode LeakSanitizer's report at
 * the child's exit would only be printed, so each case asks for a check
 * itself (see leak_teardown). */
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#ifdef HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

static const char *
data_dir(void)
{
    const char *dir = getenv("TABLES_DATA");

    return dir != NULL && *dir != '\0' ? dir : "tests/data/tables";
}

static const char *
example_path(void)
{
    const char *path = getenv("DYNAMO_CONF_EXAMPLE");

    return path != NULL && *path != '\0' ? path : "dynamo.conf.example";
}

/* The whole file at PATH, NUL-terminated, *LEN its length; NULL if
 * unreadable.  free() the result. */
static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;

    if (f == NULL)
        return NULL;
    do {
        if (n + 4096 + 1 > cap) {
            char *grown = realloc(buf, cap = n + 65536);

            if (grown == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

/* The case folders under DATA_DIR/KIND, sorted; fails the test if none. */
static int
list_cases(const char *kind, struct dirent ***names)
{
    char dir[1024];
    int n;

    snprintf(dir, sizeof(dir), "%s/%s", data_dir(), kind);
    n = scandir(dir, names, NULL, alphasort);
    ck_assert_msg(
        n >= 0, "cannot read %s (set TABLES_DATA or run from the top of the tree)", dir);
    return n;
}

static void
free_cases(struct dirent **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Compares the requests built from the tables in PATH/input with
 * PATH/expected.json.  Returns 1 on success, 0 after printing why not. */
static int
run_good(const char *path)
{
    char input[1200], expected_path[1200];
    struct dynamo_err err = {0};
    struct dynamop_tables *t;
    json_error_t jerr;
    json_t *expected, *got;
    int ok = 1;

    snprintf(input, sizeof(input), "%s/input", path);
    snprintf(expected_path, sizeof(expected_path), "%s/expected.json", path);
    if ((expected = json_load_file(expected_path, 0, &jerr)) == NULL) {
        fprintf(stderr, "%s: %s\n", expected_path, jerr.text);
        return 0;
    }
    if ((t = dynamop_tables_load(input, &err)) == NULL) {
        fprintf(stderr, "%s: unexpected error: %s\n", input, err.text);
        json_decref(expected);
        return 0;
    }
    got = json_array();
    for (size_t i = 0; i < t->ntables; i++) {
        json_t *req = dynamop_table_create_request(&t->tables[i], NULL, &err);

        if (req == NULL) {
            fprintf(stderr, "%s: table %zu: %s\n", input, i, err.text);
            ok = 0;
            break;
        }
        json_array_append_new(got, req);
    }
    if (ok && !json_equal(got, expected)) {
        char *g = json_dumps(got, JSON_INDENT(2));
        char *e = json_dumps(expected, JSON_INDENT(2));

        fprintf(stderr, "%s: requests differ\n--- expected\n%s\n--- got\n%s\n", path, e,
                g);
        free(g);
        free(e);
        ok = 0;
    }
    json_decref(got);
    json_decref(expected);
    dynamop_tables_free(t);
    return ok;
}

/* Checks that PATH/input fails with "PATH/input:" + PATH/expected.
 * Returns 1 on success, 0 after printing why not. */
static int
run_bad(const char *path)
{
    char input[1200], expected_path[1200], want[1500];
    struct dynamo_err err = {0};
    struct dynamop_tables *t;
    char *expected;
    size_t n;

    snprintf(input, sizeof(input), "%s/input", path);
    snprintf(expected_path, sizeof(expected_path), "%s/expected", path);
    if ((expected = slurp(expected_path, &n)) == NULL) {
        fprintf(stderr, "%s: cannot read\n", expected_path);
        return 0;
    }
    while (n > 0 &&
           (expected[n - 1] == '\n' || expected[n - 1] == '\r' || expected[n - 1] == ' '))
        expected[--n] = '\0';
    snprintf(want, sizeof(want), "%s:%s", input, expected);
    free(expected);
    if ((t = dynamop_tables_load(input, &err)) != NULL) {
        fprintf(stderr, "%s: parsed, expected: %s\n", input, want);
        dynamop_tables_free(t);
        return 0;
    }
    if (err.code != DYNAMO_ERR_TABLES_FILE || strcmp(err.text, want) != 0) {
        fprintf(stderr, "%s:\n  expected: %s\n  got:      %s (%s)\n", input, want,
                err.text, dynamo_strerror(err.code));
        return 0;
    }
    return 1;
}

static void
run_cases(const char *kind, int (*run)(const char *path), int minimum)
{
    struct dirent **names;
    int n = list_cases(kind, &names), cases = 0, failed = 0;
    char path[1100];

    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s/%s", data_dir(), kind, names[i]->d_name);
        cases++;
        failed += !run(path);
    }
    free_cases(names, n);
    ck_assert_msg(cases >= minimum, "%s: %d cases, expected at least %d", kind, cases,
                  minimum);
    ck_assert_msg(failed == 0, "%s: %d of %d cases failed (see stderr)", kind, failed,
                  cases);
}

START_TEST(test_good_cases)
{
    run_cases("good", run_good, 5);
}
END_TEST

START_TEST(test_bad_cases)
{
    run_cases("bad", run_bad, 40);
}
END_TEST

/* The documented example must itself be valid, and every table in it must
 * give a request. */
START_TEST(test_example_parses)
{
    struct dynamo_err err = {0};
    struct dynamop_tables *t = dynamop_tables_load(example_path(), &err);

    ck_assert_msg(t != NULL, "%s", err.text);
    ck_assert_uint_gt(t->ntables, 0);
    for (size_t i = 0; i < t->ntables; i++) {
        json_t *req = dynamop_table_create_request(&t->tables[i], "dev-", &err);

        ck_assert_msg(req != NULL, "%s: %s", t->tables[i].name, err.text);
        json_decref(req);
    }
    dynamop_tables_free(t);
}
END_TEST

static const char small[] = "[table users]\n"
                            "hash_key = username S\n"
                            "ttl_attribute = expires_at\n"
                            "[index users.by_email]\n"
                            "hash_key = email S\n"
                            "[table groups]\n"
                            "hash_key = name S\n";

START_TEST(test_prefix)
{
    struct dynamo_err err = {0};
    struct dynamop_tables *t = dynamop_tables_parse(small, strlen(small), "small", &err);
    json_t *req;

    ck_assert_msg(t != NULL, "%s", err.text);
    req = dynamop_table_create_request(&t->tables[0], "dev-", &err);
    ck_assert_ptr_nonnull(req);
    ck_assert_str_eq(json_string_value(json_object_get(req, "TableName")), "dev-users");
    json_decref(req);
    req = dynamop_table_create_request(&t->tables[0], "", &err);
    ck_assert_str_eq(json_string_value(json_object_get(req, "TableName")), "users");
    json_decref(req);
    req = dynamop_table_create_request(&t->tables[0], NULL, &err);
    ck_assert_str_eq(json_string_value(json_object_get(req, "TableName")), "users");
    json_decref(req);

    /* A prefix that makes the name invalid is a configuration error. */
    ck_assert_ptr_null(dynamop_table_create_request(&t->tables[0], "dev env/", &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);
    dynamop_tables_free(t);
}
END_TEST

START_TEST(test_ttl_request)
{
    struct dynamo_err err = {0};
    struct dynamop_tables *t = dynamop_tables_parse(small, strlen(small), "small", &err);
    json_t *req, *want;

    ck_assert_msg(t != NULL, "%s", err.text);
    req = dynamop_table_ttl_request(dynamop_tables_find(t, "users"), "dev-", &err);
    want =
        json_pack("{s:s, s:{s:s, s:b}}", "TableName", "dev-users",
                  "TimeToLiveSpecification", "AttributeName", "expires_at", "Enabled", 1);
    ck_assert_ptr_nonnull(req);
    ck_assert(json_equal(req, want));
    json_decref(req);
    json_decref(want);
    /* No TTL declared: nothing to apply. */
    ck_assert_ptr_null(
        dynamop_table_ttl_request(dynamop_tables_find(t, "groups"), NULL, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    dynamop_tables_free(t);
}
END_TEST

START_TEST(test_find)
{
    struct dynamo_err err = {0};
    struct dynamop_tables *t = dynamop_tables_parse(small, strlen(small), NULL, &err);
    const struct dynamop_table_decl *users, *groups;

    ck_assert_msg(t != NULL, "%s", err.text);
    ck_assert_uint_eq(t->ntables, 2);
    users = dynamop_tables_find(t, "users");
    groups = dynamop_tables_find(t, "groups");
    ck_assert_ptr_eq(users, &t->tables[0]);
    ck_assert_ptr_eq(groups, &t->tables[1]);
    ck_assert_str_eq(users->hash.name, "username");
    ck_assert_int_eq(users->hash.type, 'S');
    ck_assert_ptr_null(users->range.name);
    ck_assert_int_eq(users->line, 1);
    ck_assert_int_eq(groups->line, 6);
    ck_assert_int_eq(users->sse, -1);
    ck_assert_int_eq(users->deletion_protection, -1);
    ck_assert_ptr_null(dynamop_tables_find(t, "user"));
    ck_assert_ptr_null(dynamop_tables_find(t, NULL));
    ck_assert_ptr_null(dynamop_tables_find(NULL, "users"));
    ck_assert_ptr_nonnull(dynamop_table_find_index(users, "by_email"));
    ck_assert_int_eq(dynamop_table_find_index(users, "by_email")->line, 4);
    ck_assert_ptr_null(dynamop_table_find_index(groups, "by_email"));
    dynamop_tables_free(t);
    dynamop_tables_free(NULL);
}
END_TEST

/* Errors: SOURCE defaults, the first error is kept, ERR may be NULL, and
 * err->source/line/col are filled. */
START_TEST(test_error_fields)
{
    static const char text[] = "[table users]\nhash_key = username S\nsse = yes\n";
    struct dynamo_err err = {0};

    ck_assert_ptr_null(dynamop_tables_parse(text, strlen(text), NULL, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_TABLES_FILE);
    ck_assert_str_eq(err.source, "tables file");
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_eq(err.col, 7);
    ck_assert_str_eq(err.text, "tables file:3:7: bad sse 'yes' (expected false or true)");

    /* The first error set is kept. */
    ck_assert_ptr_null(dynamop_tables_parse("", 0, "other", &err));
    ck_assert_int_eq(err.line, 3);

    ck_assert_ptr_null(dynamop_tables_parse(text, strlen(text), "x", NULL));
    ck_assert_ptr_null(dynamop_tables_parse(NULL, 0, "x", NULL));
}
END_TEST

START_TEST(test_file_too_large)
{
    size_t len = (size_t)DYNAMOP_TABLES_MAX_FILE + 1;
    char *text = malloc(len);
    struct dynamo_err err = {0};

    ck_assert_ptr_nonnull(text);
    memset(text, '#', len);
    ck_assert_ptr_null(dynamop_tables_parse(text, len, "big.conf", &err));
    ck_assert_str_eq(err.text, "big.conf:1:1: file larger than 1048576 bytes");
    free(text);
}
END_TEST

START_TEST(test_load_errors)
{
    struct dynamo_err err = {0};

    ck_assert_ptr_null(dynamop_tables_load("tests/data/tables/no-such-file", &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_IO);
    ck_assert_str_eq(err.text,
                     "tests/data/tables/no-such-file: No such file or directory");
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(dynamop_tables_load(data_dir(), &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_IO);
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(dynamop_tables_load(NULL, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
}
END_TEST

START_TEST(test_name_tables)
{
    ck_assert_uint_eq(sizeof(dynamop_billing_names) / sizeof(dynamop_billing_names[0]),
                      DYNAMOP_BILLING_MAX);
    ck_assert_uint_eq(sizeof(dynamop_projection_names) /
                          sizeof(dynamop_projection_names[0]),
                      DYNAMOP_PROJ_MAX);
    for (int i = 0; i < DYNAMOP_BILLING_MAX; i++)
        ck_assert_ptr_nonnull(dynamop_billing_names[i]);
    for (int i = 0; i < DYNAMOP_PROJ_MAX; i++)
        ck_assert_ptr_nonnull(dynamop_projection_names[i]);
}
END_TEST

/* Fails allocation 1, 2, ... in turn while parsing the full good case,
 * until a parse succeeds: each failure must be a clean DYNAMO_ERR_NOMEM
 * (leaks are ASan's to find). */
START_TEST(test_chaos)
{
    char path[1100];
    size_t len;
    char *text;
    long n;

    snprintf(path, sizeof(path), "%s/good/full/input", data_dir());
    ck_assert_msg((text = slurp(path, &len)) != NULL, "cannot read %s", path);
    for (n = 1; n < 100000; n++) {
        struct dynamo_err err = {0};
        struct dynamop_tables *t;

        util_alloc_fail_at(n);
        t = dynamop_tables_parse(text, len, path, &err);
        util_alloc_fail_at(0);
        if (t != NULL) {
            ck_assert_uint_eq(t->ntables, 2);
            dynamop_tables_free(t);
            break;
        }
        ck_assert_msg(err.code == DYNAMO_ERR_NOMEM, "allocation %ld: %s", n, err.text);
    }
    ck_assert_msg(n > 10, "the parse made only %ld allocations", n - 1);
    ck_assert_msg(n < 100000, "the parse never succeeded");
    free(text);

    /* The same through dynamop_tables_load (its buffer included). */
    for (n = 1; n < 100000; n++) {
        struct dynamo_err err = {0};
        struct dynamop_tables *t;

        util_alloc_fail_at(n);
        t = dynamop_tables_load(path, &err);
        util_alloc_fail_at(0);
        if (t != NULL) {
            dynamop_tables_free(t);
            break;
        }
        ck_assert_msg(err.code == DYNAMO_ERR_NOMEM, "allocation %ld: %s", n, err.text);
    }
    ck_assert_msg(n < 100000, "the load never succeeded");
}
END_TEST

/* Checked teardown: fails the case if it leaked (a no-op without ASan). */
static void
leak_teardown(void)
{
#ifdef HAVE_LSAN
    ck_assert_msg(__lsan_do_recoverable_leak_check() == 0, "memory leaked (see stderr)");
#endif
}

static Suite *
tables_suite(void)
{
    Suite *s = suite_create("tables");
    TCase *data = tcase_create("data");
    TCase *api = tcase_create("api");
    TCase *chaos = tcase_create("chaos");

    tcase_add_test(data, test_good_cases);
    tcase_add_test(data, test_bad_cases);
    tcase_add_test(data, test_example_parses);
    tcase_set_timeout(data, 60);
    tcase_add_test(api, test_prefix);
    tcase_add_test(api, test_ttl_request);
    tcase_add_test(api, test_find);
    tcase_add_test(api, test_error_fields);
    tcase_add_test(api, test_file_too_large);
    tcase_add_test(api, test_load_errors);
    tcase_add_test(api, test_name_tables);
    tcase_set_timeout(api, 30);
    tcase_add_test(chaos, test_chaos);
    tcase_set_timeout(chaos, 120);
    tcase_add_checked_fixture(data, NULL, leak_teardown);
    tcase_add_checked_fixture(api, NULL, leak_teardown);
    tcase_add_checked_fixture(chaos, NULL, leak_teardown);
    suite_add_tcase(s, data);
    suite_add_tcase(s, api);
    suite_add_tcase(s, chaos);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(tables_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
