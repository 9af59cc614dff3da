/*
 * check_signature.c: every request the client sends carries a SigV4
 * signature that an independent verifier accepts.
 *
 * A forked child on loopback plays DynamoDB: it reads the raw HTTP request,
 * recomputes the signature with its own few lines of SigV4 (OpenSSL HMAC,
 * not ext/sigv4.c), answers 200 when it matches and 403 when not, and exits
 * with the count of bad signatures.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dynamo_client.h"
#include "sigv4verify.h"
#include "testutil.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

/* 1 when the request (HEAD + BODY) is correctly signed with SECRET for
 * DynamoDB in us-west-2. */
static int
verify(const char *head, const char *body, size_t blen)
{
    char scope[128];

    return tu_sigv4_verify(head, body, blen, SECRET, scope, sizeof(scope)) &&
           strstr(scope, "/us-west-2/dynamodb/") != NULL;
}

/* Serves N requests on LISTEN_FD; exits with the count of bad signatures. */
static void
serve(int listen_fd, int n)
{
    int bad = 0, conn = -1;
    static char buf[1 << 16];

    for (int i = 0; i < n; i++) {
        size_t len = 0, blen;
        char *end = NULL, cl[32];
        const char *reply;
        char out[256];

        if (conn < 0)
            conn = accept(listen_fd, NULL, NULL);
        while (end == NULL || len < (size_t)(end - buf) + 4 + blen) {
            ssize_t r = read(conn, buf + len, sizeof(buf) - len - 1);

            if (r <= 0)
                _exit(100);
            len += (size_t)r;
            buf[len] = '\0';
            end = strstr(buf, "\r\n\r\n");
            blen = end && tu_head_value(buf, "Content-Length", cl, sizeof(cl)) == 0
                       ? strtoul(cl, NULL, 10)
                       : 0;
        }
        end[2] = '\0';
        if (verify(buf, end + 4, blen)) {
            reply = "{\"TableNames\":[]}";
        } else {
            bad++;
            reply = "{\"__type\":\"#InvalidSignatureException\",\"message\":\"bad\"}";
        }
        snprintf(out, sizeof(out), "HTTP/1.1 %s\r\nContent-Length: %zu\r\n\r\n%s",
                 strstr(reply, "Invalid") ? "403 Forbidden" : "200 OK", strlen(reply), reply);
        if (write(conn, out, strlen(out)) < 0)
            _exit(101);
    }
    _exit(bad);
}

/* Every operation the client sends, with non-ASCII names and values: the
 * body is what is hashed, so each shape gets signed and checked. */
static const struct {
    const char *op;
    const char *body;
} operations[] = {
    {"ListTables", "{}"},
    {"GetItem", "{\"TableName\":\"users\",\"Key\":{\"n\u00e4me\":{\"S\":\"\u00e9l\u00e8ve \u6771\u4eac\"}}}"},
    {"PutItem", "{\"TableName\":\"users\",\"Item\":{\"k\":{\"S\":\"\U0001F600\"},\"n\":{\"N\":\"-1.5E+10\"}}}"},
    {"UpdateItem", "{\"TableName\":\"t\",\"Key\":{\"k\":{\"S\":\"x\"}},\"UpdateExpression\":\"SET #a = :v\",\"ExpressionAttributeNames\":{\"#a\":\"\u00fcber\"},\"ExpressionAttributeValues\":{\":v\":{\"S\":\"gr\u00fc\u00df\"}}}"},
    {"DeleteItem", "{\"TableName\":\"t\",\"Key\":{\"k\":{\"S\":\"\u00f1\"}}}"},
    {"Query", "{\"TableName\":\"t\",\"KeyConditionExpression\":\"k = :k\",\"ExpressionAttributeValues\":{\":k\":{\"S\":\"\u03b1\u03b2\"}},\"Limit\":3}"},
    {"Scan", "{\"TableName\":\"t\",\"Segment\":0,\"TotalSegments\":2}"},
    {"BatchGetItem", "{\"RequestItems\":{\"t\":{\"Keys\":[{\"k\":{\"S\":\"\u00e5\"}}]}}}"},
    {"BatchWriteItem", "{\"RequestItems\":{\"t\":[{\"PutRequest\":{\"Item\":{\"k\":{\"B\":\"AAE=\"}}}}]}}"},
    {"TransactWriteItems", "{\"TransactItems\":[{\"Put\":{\"TableName\":\"t\",\"Item\":{\"k\":{\"S\":\"\u00e7\"}}}}]}"},
    {"TransactGetItems", "{\"TransactItems\":[{\"Get\":{\"TableName\":\"t\",\"Key\":{\"k\":{\"S\":\"\u00e7\"}}}}]}"},
    {"CreateTable", "{\"TableName\":\"t\",\"BillingMode\":\"PAY_PER_REQUEST\"}"},
    {"DescribeTable", "{\"TableName\":\"t\"}"},
    {"UpdateTable", "{\"TableName\":\"t\",\"BillingMode\":\"PAY_PER_REQUEST\"}"},
    {"DeleteTable", "{\"TableName\":\"t\"}"},
    {"UpdateTimeToLive", "{\"TableName\":\"t\",\"TimeToLiveSpecification\":{\"AttributeName\":\"exp\",\"Enabled\":true}}"},
    {"DescribeTimeToLive", "{\"TableName\":\"t\"}"},
};
#define NOPS ((int)(sizeof(operations) / sizeof(operations[0])))

/* Runs N calls signed with SECRET_KEY and TOKEN against a verifying child
 * (which knows SECRET); returns the child's count of bad signatures. */
static int
run(const char *secret_key, const char *token, int n)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0), status;
    struct dynamo_client_config cfg = {0};
    struct dynamo_err err = {0};
    struct dynamo_client *c;
    char url[64];
    pid_t pid;

    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(listen(fd, 4), 0);
    getsockname(fd, (struct sockaddr *)&addr, &alen);
    pid = fork();
    if (pid == 0)
        serve(fd, n);
    close(fd);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(addr.sin_port));
    cfg.endpoint = url;
    cfg.region = "us-west-2";
    cfg.access_key_id = "AKIDEXAMPLE";
    cfg.secret_access_key = secret_key;
    cfg.session_token = token;
    cfg.max_attempts = 1;
    c = dynamo_client_new(&cfg, &err);
    ck_assert_ptr_nonnull(c);
    for (int i = 0; i < n; i++) {
        const char *op = operations[i % NOPS].op, *text = operations[i % NOPS].body;
        json_t *req = json_loads(text, 0, NULL), *resp;

        ck_assert_msg(req != NULL, "bad test body %s", text);
        resp = dynamo_call(c, op, req, &err);
        if (strcmp(secret_key, SECRET) == 0)
            ck_assert_msg(resp != NULL, "%s: %s", op, err.text);
        else /* refused: InvalidSignatureException */
            ck_assert_msg(resp == NULL && err.code == DYNAMO_ERR_AUTH, "%s: %s", op, err.text);
        json_decref(resp);
        json_decref(req);
    }
    dynamo_client_free(c);
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

START_TEST(test_signatures_verify)
{
    ck_assert_int_eq(run(SECRET, NULL, NOPS), 0);
}
END_TEST

/* The verifier is no rubber stamp: signed with another secret, every
 * request is refused. */
START_TEST(test_wrong_secret_refused)
{
    ck_assert_int_eq(run("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ", NULL, NOPS), NOPS);
}
END_TEST

START_TEST(test_signatures_verify_with_session_token)
{
    ck_assert_int_eq(run(SECRET, "FQoGZXIvYXdzEXAMPLE/token+with=chars", NOPS), 0);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("signature");
    TCase *tc = tcase_create("independent verifier");

    tcase_add_checked_fixture(tc, NULL, tu_leak_check);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_signatures_verify);
    tcase_add_test(tc, test_signatures_verify_with_session_token);
    tcase_add_test(tc, test_wrong_secret_refused);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
