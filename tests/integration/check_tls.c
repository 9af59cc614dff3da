/*
 * check_tls.c: TLS to DynamoDB is verified, always (issue 6, "Security").
 *
 * scripts/run-tests.sh starts scripts/tls-front.sh: an nginx TLS front on
 * loopback (DYNAMO_TLS_PORT) in front of DynamoDB Local, with a throwaway CA
 * and a certificate for localhost and 127.0.0.1 only, all in DYNAMO_TLS_DIR.
 * The same nginx also listens on 127.0.0.2, a loopback address the
 * certificate does not name.  The client must work when told about the CA
 * (dynamo_client_config.ca_bundle, or AWS_CA_BUNDLE through the extension),
 * and refuse without it, with another CA, or under a name the certificate
 * does not carry: an error naming the TLS failure, no retry, and no request
 * in nginx's access log (the handshake failed before anything was sent).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dynamo.h"
#include "testutil.h"

/* A file in the TLS front's folder, into BUF. */
static const char *
tls_file(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", tu_env("DYNAMO_TLS_DIR"), name);
    return buf;
}

/* https://HOST:PORT of the TLS front, into BUF. */
static const char *
tls_url(const char *host, char *buf, size_t size)
{
    snprintf(buf, size, "https://%s:%s", host, tu_env("DYNAMO_TLS_PORT"));
    return buf;
}

/* Requests nginx has received so far (lines of its access log). */
static long
front_requests(void)
{
    char path[512];
    FILE *f = fopen(tls_file("access.log", path, sizeof(path)), "r");
    long n = 0;
    int c;

    ck_assert_msg(f != NULL, "cannot open %s", path);
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* Polls until nginx has logged more than BEFORE requests (it writes the
 * line once the answer is sent, so maybe just after the client read it);
 * 1 when it did within 2 s. */
static int
front_logged_more(long before)
{
    for (int i = 0; i < 200; i++) {
        if (front_requests() > before)
            return 1;
        usleep(10000);
    }
    return 0;
}

/* A client for ENDPOINT trusting CA_BUNDLE (NULL: the system CAs). */
static struct dynamo_client *
new_client(const char *endpoint, const char *ca_bundle)
{
    struct dynamo_client_config cfg = {0};
    struct dynamo_err err = {0};
    struct dynamo_client *c;

    cfg.endpoint = endpoint;
    cfg.ca_bundle = ca_bundle;
    cfg.access_key_id = "AKIDTLSTEST";
    cfg.secret_access_key = "tls-test-secret";
    cfg.max_attempts = 3; /* a TLS failure must not use the retries */
    c = dynamo_client_new(&cfg, &err);
    ck_assert_msg(c != NULL, "dynamo_client_new: %s", err.text);
    return c;
}

/* ListTables through C works, and reached DynamoDB through nginx. */
static void
assert_works(struct dynamo_client *c, const char *what)
{
    struct dynamo_err err = {0};
    json_t *names = NULL;
    long before = front_requests();

    ck_assert_msg(dynamo_list_tables(c, &names, &err) == 0, "%s: %s", what, err.text);
    ck_assert_msg(json_is_array(names), "%s: no TableNames", what);
    json_decref(names);
    ck_assert_msg(front_logged_more(before), "%s: nginx saw no request", what);
}

/* ListTables through C fails on TLS: WANT in the text (case-insensitive
 * words curl uses), one attempt, nothing reached nginx's HTTP layer. */
static void
assert_refused(struct dynamo_client *c, enum dynamo_code code, const char *want,
               const char *what)
{
    struct dynamo_err err = {0};
    json_t *names = NULL;
    long before = front_requests();

    ck_assert_msg(dynamo_list_tables(c, &names, &err) == -1, "%s: TLS was not verified",
                  what);
    ck_assert_ptr_null(names);
    ck_assert_msg(err.code == code, "%s: code %s, want %s: %s", what,
                  dynamo_strerror(err.code), dynamo_strerror(code), err.text);
    ck_assert_msg(strstr(err.text, want) != NULL, "%s: '%s' not in: %s", what, want,
                  err.text);
    ck_assert_msg(err.attempts == 1, "%s: %d attempts: a TLS failure is not retried",
                  what, err.attempts);
    ck_assert_int_eq(err.http_status, 0);
    ck_assert_msg(front_requests() == before, "%s: a request reached DynamoDB", what);
}

START_TEST(test_client_with_ca_bundle)
{
    char url[128], ca[512];
    struct dynamo_client *c;

    tls_file("ca.pem", ca, sizeof(ca));
    c = new_client(tls_url("localhost", url, sizeof(url)), ca);
    assert_works(c, "https://localhost");
    assert_works(c, "again, on the kept connection");
    ck_assert_int_eq(dynamo_client_connections(c), 1);
    dynamo_client_free(c);
    /* The certificate's IP address entry matches too. */
    c = new_client(tls_url("127.0.0.1", url, sizeof(url)), ca);
    assert_works(c, "https://127.0.0.1");
    dynamo_client_free(c);
}
END_TEST

START_TEST(test_client_refuses_unknown_ca)
{
    char url[128], ca[512];
    struct dynamo_client *c;

    tls_url("localhost", url, sizeof(url));
    c = new_client(url, NULL);
    assert_refused(c, DYNAMO_ERR_NETWORK, "certificate", "system CAs only");
    /* The next call refuses again: nothing was cached from the failure. */
    assert_refused(c, DYNAMO_ERR_NETWORK, "TLS", "system CAs, second call");
    dynamo_client_free(c);
    c = new_client(url, tls_file("other-ca.pem", ca, sizeof(ca)));
    assert_refused(c, DYNAMO_ERR_NETWORK, "certificate", "another CA");
    dynamo_client_free(c);
}
END_TEST

START_TEST(test_client_refuses_wrong_host)
{
    char url[128], ca[512];
    struct dynamo_client *c;

    /* The right CA, the right server, a name the certificate does not carry. */
    c = new_client(tls_url("127.0.0.2", url, sizeof(url)),
                   tls_file("ca.pem", ca, sizeof(ca)));
    assert_refused(c, DYNAMO_ERR_NETWORK, "127.0.0.2", "wrong host name");
    dynamo_client_free(c);
}
END_TEST

START_TEST(test_client_missing_bundle)
{
    char url[128];
    struct dynamo_client *c;

    c = new_client(tls_url("localhost", url, sizeof(url)), "/nonexistent/ca.pem");
    assert_refused(c, DYNAMO_ERR_CONFIG, "/nonexistent/ca.pem",
                   "a CA file that is not there");
    dynamo_client_free(c);
}
END_TEST

/* ListTables through the extension configured from the environment. */
static int
extension_list_tables(struct dynamo_err *err)
{
    struct web_err werr = {0};
    struct web_app *app = web_app_new("tls", &werr);
    struct dynamo *d;
    json_t *names = NULL;
    int rc = -1;

    ck_assert_ptr_nonnull(app);
    d = dynamo_new(app, err);
    ck_assert_msg(d != NULL, "dynamo_new: %s", err->text);
    WEB_WITH_APP_CONTEXT(app, ctx)
    {
        struct dynamo_client *c = dynamo_connection(d, ctx, err);

        ck_assert_ptr_nonnull(c);
        rc = dynamo_list_tables(c, &names, err);
    }
    json_decref(names);
    web_app_free(app);
    dynamo_free(d);
    return rc;
}

START_TEST(test_extension_aws_ca_bundle)
{
    char url[128], ca[512];
    struct dynamo_err err = {0};
    long before;

    /* A real endpoint over https, not DynamoDB Local's http shortcut. */
    setenv("DYNAMO_TABLES_FILE", "app_skeleton/dynamo.conf", 1);
    unsetenv("DYNAMO_ENABLE_LOCAL");
    setenv("AWS_ENDPOINT_URL_DYNAMODB", tls_url("localhost", url, sizeof(url)), 1);
    setenv("AWS_CA_BUNDLE", tls_file("ca.pem", ca, sizeof(ca)), 1);
    before = front_requests();
    ck_assert_msg(extension_list_tables(&err) == 0, "with AWS_CA_BUNDLE: %s", err.text);
    ck_assert(front_logged_more(before));

    unsetenv("AWS_CA_BUNDLE");
    memset(&err, 0, sizeof(err));
    before = front_requests();
    ck_assert_int_eq(extension_list_tables(&err), -1);
    ck_assert_msg(err.code == DYNAMO_ERR_NETWORK && strstr(err.text, "TLS") != NULL,
                  "without AWS_CA_BUNDLE: %s", err.text);
    ck_assert_int_eq(front_requests(), before);

    setenv("AWS_CA_BUNDLE", ca, 1);
    setenv("AWS_ENDPOINT_URL_DYNAMODB", tls_url("127.0.0.2", url, sizeof(url)), 1);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(extension_list_tables(&err), -1);
    ck_assert_msg(err.code == DYNAMO_ERR_NETWORK && strstr(err.text, "127.0.0.2") != NULL,
                  "wrong host name: %s", err.text);
    ck_assert_int_eq(front_requests(), before);
}
END_TEST

/* Appends to BAD each line of PATH that sets a verification option of
 * libcurl to anything but on (VERIFYPEER 1L, VERIFYHOST 2L), or names an
 * option that weakens it; counts the lines that set them as they should. */
static void
scan_file(const char *path, char *bad, size_t size, int *peer, int *host)
{
    static const char *const weak[] = {
        "CURLSSLOPT_NO_REVOKE", "CURLOPT_SSL_VERIFYSTATUS, 0", "CURLOPT_PROXY_SSL_VERIFY",
        "CURLOPT_PINNEDPUBLICKEY", "CURLOPT_SSL_CTX_FUNCTION"};
    FILE *f = fopen(path, "r");
    char line[1024];
    int no = 0;

    ck_assert_msg(f != NULL, "cannot open %s", path);
    while (fgets(line, sizeof(line), f) != NULL) {
        int wrong = 0;

        no++;
        if (strstr(line, "SSL_VERIFYPEER") != NULL) {
            wrong = strstr(line, "CURLOPT_SSL_VERIFYPEER, 1L)") == NULL;
            *peer += !wrong;
        }
        if (strstr(line, "SSL_VERIFYHOST") != NULL) {
            wrong = strstr(line, "CURLOPT_SSL_VERIFYHOST, 2L)") == NULL;
            *host += !wrong;
        }
        for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++)
            wrong |= strstr(line, weak[i]) != NULL;
        if (wrong && strlen(bad) + strlen(path) + strlen(line) + 16 < size)
            snprintf(bad + strlen(bad), size - strlen(bad), "%s:%d: %s", path, no, line);
    }
    fclose(f);
}

/* There is no switch: every curl handle in the library sets verification on, none
 * sets it off, and no option, config key or header field could. */
START_TEST(test_verification_cannot_be_disabled)
{
    FILE *ls = popen("ls util/*.[ch] ext/*.[ch] ext/client/*.[ch] 2>/dev/null", "r");
    char path[256], bad[4096] = "";
    int peer = 0, host = 0, handles = 0, files = 0;

    ck_assert_ptr_nonnull(ls);
    while (fgets(path, sizeof(path), ls) != NULL) {
        char cmd[512], count[32] = "";
        FILE *p;

        path[strcspn(path, "\n")] = '\0';
        scan_file(path, bad, sizeof(bad), &peer, &host);
        files++;
        /* Files that make a curl handle. */
        snprintf(cmd, sizeof(cmd), "grep -c 'curl_easy_init()' %s", path);
        p = popen(cmd, "r");
        if (p != NULL && fgets(count, sizeof(count), p) != NULL)
            handles += strtol(count, NULL, 10) > 0;
        if (p != NULL)
            pclose(p);
    }
    pclose(ls);
    ck_assert_int_gt(files, 10);
    ck_assert_msg(bad[0] == '\0', "TLS verification weakened:\n%s", bad);
    ck_assert_msg(peer >= handles && host >= handles,
                  "%d files make curl handles, %d set VERIFYPEER and %d VERIFYHOST",
                  handles, peer, host);
    ck_assert_int_gt(handles, 0);
    /* Nothing in the public headers or settings could turn it off. */
    ck_assert_msg(system("! grep -niE 'insecure|no_?verify|verify_?(peer|host|ssl|tls)|"
                         "skip_?verify|SSL_VERIFY' ext/dynamo.h ext/client/dynamo_client.h "
                         "ext/settings.c dynamo.conf.example >&2") == 0,
                  "an option to turn TLS verification off (above)");
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("tls");
    TCase *client = tcase_create("client"), *ext = tcase_create("extension"),
          *source = tcase_create("source");
    TCase *all[] = {client, ext, source};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        tcase_add_checked_fixture(all[i], NULL, tu_leak_check);
        tcase_set_timeout(all[i], 30);
        suite_add_tcase(s, all[i]);
    }
    tcase_add_test(client, test_client_with_ca_bundle);
    tcase_add_test(client, test_client_refuses_unknown_ca);
    tcase_add_test(client, test_client_refuses_wrong_host);
    tcase_add_test(client, test_client_missing_bundle);
    tcase_add_test(ext, test_extension_aws_ca_bundle);
    tcase_add_test(source, test_verification_cannot_be_disabled);
    return tu_run(s);
}
