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

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "dynamo_client.h"
#include "testutil.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static void
hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static void
hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int len = 32;

    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len);
}

/* The value of header NAME in the request head HEAD, copied to OUT. */
static int
header(const char *head, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);

    for (const char *l = strstr(head, "\r\n"); l != NULL; l = strstr(l + 2, "\r\n")) {
        const char *p = l + 2;

        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            p += n + 1;
            while (*p == ' ')
                p++;
            snprintf(out, size, "%.*s", (int)strcspn(p, "\r"), p);
            return 0;
        }
    }
    return -1;
}

/* 1 when the request (HEAD + BODY) is correctly signed with SECRET. */
static int
verify(const char *head, const char *body, size_t blen)
{
    char auth[1024], signed_hdrs[512], date[32], scope[128], canon[8192], sts[1024];
    char value[2048], name[64], list[512], body_hash[65], canon_hash[65], want[65];
    unsigned char h[32], k[32];
    char *sig, *cred, *sh, *save = NULL;
    size_t off;

    if (header(head, "Authorization", auth, sizeof(auth)) != 0 ||
        header(head, "X-Amz-Date", date, sizeof(date)) != 0)
        return 0;
    cred = strstr(auth, "Credential=");
    sh = strstr(auth, "SignedHeaders=");
    sig = strstr(auth, "Signature=");
    if (cred == NULL || sh == NULL || sig == NULL)
        return 0;
    snprintf(scope, sizeof(scope), "%.*s", (int)strcspn(strchr(cred, '/') + 1, ","),
             strchr(cred, '/') + 1);
    snprintf(signed_hdrs, sizeof(signed_hdrs), "%.*s", (int)strcspn(sh + 14, ","), sh + 14);
    SHA256((const unsigned char *)body, blen, h);
    hex(h, 32, body_hash);
    off = (size_t)snprintf(canon, sizeof(canon), "POST\n/\n\n");
    snprintf(list, sizeof(list), "%s", signed_hdrs);
    for (char *n = strtok_r(list, ";", &save); n != NULL; n = strtok_r(NULL, ";", &save)) {
        if (header(head, n, value, sizeof(value)) != 0)
            return 0;
        off += (size_t)snprintf(canon + off, sizeof(canon) - off, "%s:%s\n", n, value);
    }
    snprintf(canon + off, sizeof(canon) - off, "\n%s\n%s", signed_hdrs, body_hash);
    SHA256((const unsigned char *)canon, strlen(canon), h);
    hex(h, 32, canon_hash);
    snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s\n%s", date, scope, canon_hash);
    snprintf(value, sizeof(value), "AWS4%s", SECRET);
    snprintf(name, sizeof(name), "%.8s", date);
    hmac(value, strlen(value), name, k);
    hmac(k, 32, "us-west-2", k);
    hmac(k, 32, "dynamodb", k);
    hmac(k, 32, "aws4_request", k);
    hmac(k, 32, sts, h);
    hex(h, 32, want);
    return strncmp(sig + 10, want, 64) == 0 && strstr(scope, "us-west-2/dynamodb") != NULL;
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
            blen = end && header(buf, "Content-Length", cl, sizeof(cl)) == 0
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

/* Runs N calls with TOKEN against a verifying child; returns
 * the child's count of bad signatures. */
static int
run(const char *token, int n)
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
    cfg.secret_access_key = SECRET;
    cfg.session_token = token;
    cfg.max_attempts = 1;
    c = dynamo_client_new(&cfg, &err);
    ck_assert_ptr_nonnull(c);
    for (int i = 0; i < n; i++) {
        const char *op = operations[i % NOPS].op, *text = operations[i % NOPS].body;
        json_t *req = json_loads(text, 0, NULL), *resp;

        ck_assert_msg(req != NULL, "bad test body %s", text);
        resp = dynamo_call(c, op, req, &err);
        ck_assert_msg(resp != NULL, "%s: %s", op, err.text);
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
    ck_assert_int_eq(run(NULL, NOPS), 0);
}
END_TEST

START_TEST(test_signatures_verify_with_session_token)
{
    ck_assert_int_eq(run("FQoGZXIvYXdzEXAMPLE/token+with=chars", NOPS), 0);
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
    suite_add_tcase(s, tc);
    return tu_run(s);
}
