/*
 * check_credentials_fetch.c: the credentials chain against real HTTP servers
 * (named apart from tests/unit/check_credentials.c: both would build to
 * build/tests/check_credentials).
 *
 * A forked child on 127.0.0.1 plays, from one port, the container
 * credentials endpoint (GET /creds, Authorization checked), EC2 instance
 * metadata with IMDSv2 (PUT /latest/api/token needs the TTL header, every
 * GET needs the session token or gets 401) and DynamoDB (POST /, each
 * SigV4 signature verified with the secret of the key generation it names;
 * generations below a floor get ExpiredTokenException).  Every credentials
 * document it serves is a new generation N: ASIA000N / SECRET000N /
 * TOKEN000N, expiring a set number of seconds after the test's clock.
 * Counters live in memory shared with the test.
 *
 * The test's clock (dynamop_credentials_set_clock) is real time plus an
 * offset the test advances, so expiry and refresh run without sleeping.
 *
 * This program replaces connect() for itself and libcurl: a connection to
 * anything but loopback is refused and recorded, and every test asserts
 * that none was tried, except the two that check where the default
 * endpoints point (the attempt is refused before any packet leaves).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* By path from the root (-I.): core/ has an internal.h of its own. */
#include "auth_credentials.h"
#include "ext/client/internal.h"
#include "sigv4verify.h"
#include "testutil.h"

#define IMDS_TOKEN "imds-session-token-0123456789"
#define ROLE "test-role"
#define REGION "us-west-2"

/* ---- the network guard --------------------------------------------------- */

static atomic_long outside_attempts;
static char outside_last[64];

static int
is_loopback(const struct sockaddr *addr)
{
    if (addr->sa_family == AF_UNIX)
        return 1;
    if (addr->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr) >> 24) == 127;
    if (addr->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)addr)->sin6_addr);
    return 0;
}

/* Replaces libc's connect() for the program and its libraries. */
__attribute__((visibility("default"))) int
connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    static int (*real)(int, const struct sockaddr *, socklen_t);

    if (!is_loopback(addr)) {
        if (addr->sa_family == AF_INET) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
            char ip[INET_ADDRSTRLEN];

            inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
            snprintf(outside_last, sizeof(outside_last), "%s:%d", ip,
                     ntohs(in->sin_port));
        } else {
            snprintf(outside_last, sizeof(outside_last), "family %d", addr->sa_family);
        }
        atomic_fetch_add(&outside_attempts, 1);
        errno = ENETUNREACH;
        return -1;
    }
    if (real == NULL)
        real =
            (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
    return real(fd, addr, len);
}

static void
assert_stayed_local(void)
{
    ck_assert_msg(atomic_load(&outside_attempts) == 0, "connect() to %s", outside_last);
}

/* ---- the server and the test clock ------------------------------------------ */

struct shared {
    atomic_long skew;         /* the test clock's offset from real time */
    atomic_long exp_offset;   /* documents expire this long after the test clock */
    atomic_int fail;          /* 1: credentials requests get 500 */
    atomic_long min_gen;      /* DynamoDB: older generations get ExpiredTokenException */
    atomic_long requests;     /* every request read */
    atomic_long documents;    /* credentials documents served (the generation) */
    atomic_long token_puts;   /* IMDSv2 session tokens handed out */
    atomic_long bad_ttl;      /* token PUTs without the right TTL header */
    atomic_long unauthorized; /* requests refused for a missing or wrong token */
    atomic_long dynamo_ok;    /* DynamoDB requests correctly signed with a live key */
    atomic_long dynamo_bad;   /* DynamoDB requests with a bad signature */
    atomic_long expired;      /* DynamoDB requests refused as expired */
    char container_auth[128]; /* the Authorization the container endpoint wants */
};

static struct shared *shm; /* mapped before each test, shared with its server */

/* A counter's value (keeps assertion messages readable). */
static long
count(atomic_long *counter)
{
    return atomic_load(counter);
}

struct server {
    int port;
    pid_t pid;
    char url[64];
};

static time_t
test_clock(void)
{
    return time(NULL) + atomic_load(&shm->skew);
}

static void
advance(long seconds)
{
    atomic_fetch_add(&shm->skew, seconds);
}

static void
reply(int conn, const char *status, const char *body)
{
    char out[4096];
    int n = snprintf(out, sizeof(out),
                     "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     status, strlen(body), body);

    if (write(conn, out, (size_t)n) < 0)
        _exit(101);
}

/* A new credentials document (the next generation). */
static void
serve_document(int conn)
{
    long n = atomic_fetch_add(&shm->documents, 1) + 1;
    time_t exp = time(NULL) + atomic_load(&shm->skew) + atomic_load(&shm->exp_offset);
    char when[32], body[512];
    struct tm tm;

    gmtime_r(&exp, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(body, sizeof(body),
             "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIA%04ld\","
             "\"SecretAccessKey\":\"SECRET%04ld\",\"Token\":\"TOKEN%04ld\","
             "\"Expiration\":\"%s\"}",
             n, n, n, when);
    reply(conn, "200 OK", body);
}

/* The generation a request is signed with (from Credential=ASIANNNN), after
 * checking its signature with SECRETNNNN and its token TOKENNNNN; 0 when
 * anything is wrong. */
static long
verify(const char *head, const char *body, size_t blen)
{
    char auth[1024], value[2048], token[64], secret[64], scope[128];
    const char *cred;
    long gen;

    if (tu_head_value(head, "Authorization", auth, sizeof(auth)) != 0 ||
        (cred = strstr(auth, "Credential=ASIA")) == NULL)
        return 0;
    gen = strtol(cred + 15, NULL, 10);
    snprintf(token, sizeof(token), "TOKEN%04ld", gen);
    snprintf(secret, sizeof(secret), "SECRET%04ld", gen);
    if (tu_head_value(head, "X-Amz-Security-Token", value, sizeof(value)) != 0 ||
        strcmp(value, token) != 0 ||
        !tu_sigv4_verify(head, body, blen, secret, scope, sizeof(scope)) ||
        strstr(scope, "/" REGION "/dynamodb/") == NULL)
        return 0;
    return gen;
}

static void
serve_dynamo(int conn, const char *head, const char *body, size_t blen)
{
    long gen = verify(head, body, blen);

    if (gen == 0) {
        atomic_fetch_add(&shm->dynamo_bad, 1);
        reply(conn, "403 Forbidden",
              "{\"__type\":\"com.amazon.coral.service#InvalidSignatureException\"}");
    } else if (gen < atomic_load(&shm->min_gen)) {
        atomic_fetch_add(&shm->expired, 1);
        reply(conn, "400 Bad Request",
              "{\"__type\":\"com.amazon.coral.service#ExpiredTokenException\","
              "\"message\":\"The security token included in the request is expired\"}");
    } else {
        atomic_fetch_add(&shm->dynamo_ok, 1);
        reply(conn, "200 OK", "{\"TableNames\":[]}");
    }
}

/* 1 when the request carries the IMDSv2 session token, else answers 401. */
static int
imds_token_ok(int conn, const char *head)
{
    char v[128];

    if (tu_head_value(head, "X-aws-ec2-metadata-token", v, sizeof(v)) == 0 &&
        strcmp(v, IMDS_TOKEN) == 0)
        return 1;
    atomic_fetch_add(&shm->unauthorized, 1);
    reply(conn, "401 Unauthorized", "");
    return 0;
}

static void
route(int conn, const char *method, const char *path, const char *head, const char *body,
      size_t blen)
{
    char v[256];

    if (strcmp(method, "PUT") == 0 && strcmp(path, "/latest/api/token") == 0) {
        if (tu_head_value(head, "X-aws-ec2-metadata-token-ttl-seconds", v, sizeof(v)) != 0 ||
            strcmp(v, "21600") != 0) {
            atomic_fetch_add(&shm->bad_ttl, 1);
            reply(conn, "400 Bad Request", "");
            return;
        }
        atomic_fetch_add(&shm->token_puts, 1);
        reply(conn, "200 OK", IMDS_TOKEN);
    } else if (strcmp(path, "/latest/meta-data/iam/security-credentials/") == 0) {
        if (imds_token_ok(conn, head))
            reply(conn, "200 OK", ROLE "\n");
    } else if (strcmp(path, "/latest/meta-data/iam/security-credentials/" ROLE) == 0) {
        if (!imds_token_ok(conn, head))
            return;
        if (atomic_load(&shm->fail))
            reply(conn, "500 Internal Server Error", "");
        else
            serve_document(conn);
    } else if (strcmp(path, "/creds") == 0) {
        if (shm->container_auth[0] != '\0' &&
            (tu_head_value(head, "Authorization", v, sizeof(v)) != 0 ||
             strcmp(v, shm->container_auth) != 0)) {
            atomic_fetch_add(&shm->unauthorized, 1);
            reply(conn, "401 Unauthorized", "");
        } else if (atomic_load(&shm->fail)) {
            reply(conn, "500 Internal Server Error", "");
        } else {
            serve_document(conn);
        }
    } else if (strcmp(method, "POST") == 0 && strcmp(path, "/") == 0) {
        serve_dynamo(conn, head, body, blen);
    } else {
        reply(conn, "404 Not Found", "");
    }
}

/* Reads one request from CONN and answers it.  -1 when the peer left. */
static int
serve_one(int conn)
{
    static char buf[1 << 16];
    char method[16], path[256], cl[32];
    size_t len = 0, blen = 0;
    char *end = NULL;

    while (end == NULL || len < (size_t)(end - buf) + 4 + blen) {
        ssize_t r = read(conn, buf + len, sizeof(buf) - len - 1);

        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
        blen = end && tu_head_value(buf, "Content-Length", cl, sizeof(cl)) == 0
                   ? strtoul(cl, NULL, 10)
                   : 0;
    }
    end[2] = '\0';
    atomic_fetch_add(&shm->requests, 1);
    if (sscanf(buf, "%15s %255s", method, path) != 2)
        return -1;
    route(conn, method, path, buf, end + 4, blen);
    return 0;
}

static void
serve(int fd)
{
    /* Check's SIGTERM handler, inherited through the fork, would signal the
     * whole process group: the server dies the plain way. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (;;) {
        int conn = accept(fd, NULL, NULL);

        if (conn < 0)
            continue;
        serve_one(conn); /* Connection: close, one request per connection */
        close(conn);
    }
}

static void
start(struct server *s)
{
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(listen(fd, 64), 0);
    getsockname(fd, (struct sockaddr *)&addr, &alen);
    s->port = ntohs(addr.sin_port);
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
    s->pid = fork();
    ck_assert_int_ge(s->pid, 0);
    if (s->pid == 0)
        serve(fd);
    close(fd);
}

/* Checked fixture, in each test's own process: the shared counters. */
static void
setup_shared(void)
{
    shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
               0);
    ck_assert_ptr_ne(shm, MAP_FAILED);
    memset(shm, 0, sizeof(*shm));
    atomic_store(&shm->exp_offset, 3600);
}

static void
stop(struct server *s)
{
    int status;

    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    assert_stayed_local();
}

/* ---- a fake environment --------------------------------------------------- */

/* The chain over E, on the test clock.  Its source must be SOURCE. */
static struct dynamo_credentials *
provider(struct tu_fake_env *e, const char *source)
{
    struct dynamo_credentials_options o = {0};
    struct dynamo_err err = {0};
    struct dynamo_credentials *p;

    o.lookup = tu_fake_env_lookup;
    o.lookup_arg = e;
    p = dynamo_credentials_new_chain(&o, &err);
    ck_assert_msg(p != NULL, "chain: %s", err.text);
    ck_assert_str_eq(dynamo_credentials_source(p), source);
    dynamop_credentials_set_clock(p, test_clock);
    return p;
}

/* A get that must succeed; returns the snapshot's generation number (N of
 * ASIA000N) after checking the three strings belong together. */
static long
get_ok(struct dynamo_credentials *p, int flags, struct dynamop_creds *snap)
{
    struct dynamo_err err = {0};
    char want[32];
    long n;

    ck_assert_msg(dynamop_credentials_get(p, flags, snap, &err) == 0, "get: %s",
                  err.text);
    n = strtol(snap->access_key_id + 4, NULL, 10);
    snprintf(want, sizeof(want), "SECRET%04ld", n);
    ck_assert_str_eq(snap->secret_access_key, want);
    snprintf(want, sizeof(want), "TOKEN%04ld", n);
    ck_assert_str_eq(snap->session_token, want);
    return n;
}

/* A fake environment pointing the container source at S. */
static void
container_env(struct tu_fake_env *e, const struct server *s)
{
    char url[128];

    snprintf(url, sizeof(url), "%s/creds", s->url);
    tu_fake_env_set(e, "AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
    tu_fake_env_set(e, "AWS_EC2_METADATA_SERVICE_ENDPOINT",
         s->url); /* never reached: belt and braces */
}

/* ---- container -------------------------------------------------------------- */

START_TEST(test_container_full_uri)
{
    struct server s;
    struct tu_fake_env e = {0};
    struct dynamop_creds snap = {0};
    struct dynamo_credentials *p;
    struct dynamo_err err = {0};

    start(&s);
    snprintf(shm->container_auth, sizeof(shm->container_auth), "Bearer c0nt41ner");
    container_env(&e, &s);
    tu_fake_env_set(&e, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer c0nt41ner");
    p = provider(&e, "container");
    ck_assert_int_eq(count(&shm->requests), 0); /* nothing fetched until asked */
    ck_assert_int_eq(get_ok(p, 0, &snap), 1);
    ck_assert_int_ge((long)(snap.expiration - test_clock()), 3590);
    ck_assert_int_le((long)(snap.expiration - test_clock()), 3600);
    ck_assert_int_eq(get_ok(p, 0, &snap), 1); /* an hour left: no new fetch */
    ck_assert_int_eq(count(&shm->requests), 1);
    ck_assert_int_eq(count(&shm->unauthorized), 0);
    dynamop_creds_wipe(&snap);
    dynamo_credentials_free(p);

    /* A wrong token: the endpoint says 401, the error names no secret. */
    e.n = 0;
    container_env(&e, &s);
    tu_fake_env_set(&e, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer WRONGTOKEN");
    p = provider(&e, "container");
    ck_assert_int_eq(dynamop_credentials_get(p, 0, &snap, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_AUTH);
    ck_assert_msg(strstr(err.text, "HTTP 401") != NULL, "%s", err.text);
    ck_assert_ptr_null(strstr(err.text, "WRONGTOKEN"));
    ck_assert_ptr_null(snap.access_key_id);
    ck_assert_int_eq(count(&shm->unauthorized), 1);
    dynamo_credentials_free(p);
    stop(&s);
}
END_TEST

/* The token file is read again at every fetch (EKS rotates it). */
START_TEST(test_container_token_file)
{
    struct server s;
    struct tu_fake_env e = {0};
    struct dynamop_creds snap = {0};
    struct dynamo_credentials *p;
    char path[] = "/tmp/dynamo-token-XXXXXX";
    int fd = mkstemp(path);
    FILE *f;

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "file-token-1\n", 13), 13);
    close(fd);
    start(&s);
    snprintf(shm->container_auth, sizeof(shm->container_auth), "file-token-1");
    container_env(&e, &s);
    tu_fake_env_set(&e, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "outranked-by-the-file");
    tu_fake_env_set(&e, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path);
    p = provider(&e, "container");
    ck_assert_int_eq(get_ok(p, 0, &snap), 1);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("file-token-2", f);
    fclose(f);
    snprintf(shm->container_auth, sizeof(shm->container_auth), "file-token-2");
    ck_assert_int_eq(get_ok(p, DYNAMOP_CREDS_FORCE, &snap), 2);
    ck_assert_int_eq(count(&shm->unauthorized), 0);
    dynamop_creds_wipe(&snap);
    dynamo_credentials_free(p);
    unlink(path);
    stop(&s);
}
END_TEST

/* The default endpoints point where the SDKs' do, and a machine without
 * them fails fast.  The guard refuses the connection: nothing leaves. */
START_TEST(test_default_endpoints)
{
    struct tu_fake_env e = {0};
    struct dynamop_creds snap = {0};
    struct dynamo_credentials *p;
    struct dynamo_err err = {0};
    time_t t0 = time(NULL);

    tu_fake_env_set(&e, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
    p = provider(&e, "container");
    ck_assert_int_eq(dynamop_credentials_get(p, 0, &snap, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_NETWORK);
    ck_assert_int_eq(count(&outside_attempts), 1);
    ck_assert_str_eq(outside_last, "169.254.170.2:80");
    dynamo_credentials_free(p);

    e.n = 0;
    memset(&err, 0, sizeof(err));
    p = provider(&e, "instance metadata");
    ck_assert_int_eq(dynamop_credentials_get(p, 0, &snap, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_NETWORK);
    ck_assert_msg(strstr(err.text, "PUT /latest/api/token") != NULL, "%s", err.text);
    ck_assert_int_eq(count(&outside_attempts), 2);
    ck_assert_str_eq(outside_last, "169.254.169.254:80");
    ck_assert_int_le((long)(time(NULL) - t0), 2);
    dynamo_credentials_free(p);
}
END_TEST

/* ---- instance metadata ------------------------------------------------------ */

START_TEST(test_imds_v2)
{
    struct server s;
    struct tu_fake_env e = {0};
    struct dynamop_creds snap = {0};
    struct dynamo_credentials *p;
    struct tu_http r;
    char url[160];

    start(&s);
    tu_fake_env_set(&e, "AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url);
    p = provider(&e, "instance metadata");
    ck_assert_int_eq(get_ok(p, 0, &snap), 1);
    ck_assert_int_eq(count(&shm->token_puts), 1);
    ck_assert_int_eq(count(&shm->bad_ttl), 0);
    ck_assert_int_eq(count(&shm->unauthorized), 0);
    ck_assert_int_eq(count(&shm->requests), 3); /* PUT token, GET role, GET creds */
    dynamop_creds_wipe(&snap);
    dynamo_credentials_free(p);

    /* The server does enforce IMDSv2: a GET without the token gets 401. */
    snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/" ROLE,
             s.url);
    ck_assert_int_eq(tu_http("GET", url, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 401);
    tu_http_free(&r);
    ck_assert_int_eq(count(&shm->unauthorized), 1);

    /* A trailing '/' on the endpoint is fine. */
    e.n = 0;
    snprintf(url, sizeof(url), "%s/", s.url);
    tu_fake_env_set(&e, "AWS_EC2_METADATA_SERVICE_ENDPOINT", url);
    p = provider(&e, "instance metadata");
    ck_assert_int_eq(get_ok(p, 0, &snap), 2);
    dynamop_creds_wipe(&snap);
    dynamo_credentials_free(p);
    stop(&s);
}
END_TEST

START_TEST(test_imds_unreachable_fails_fast)
{
    struct tu_fake_env e = {0};
    struct dynamop_creds snap = {0};
    struct dynamo_credentials *p;
    struct dynamo_err err = {0};
    struct server s;
    time_t t0 = time(NULL);

    start(&s);
    stop(&s); /* a port nobody listens on any more */
    tu_fake_env_set(&e, "AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url);
    p = provider(&e, "instance metadata");
    ck_assert_int_eq(dynamop_credentials_get(p, 0, &snap, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_NETWORK);
    ck_assert_int_le((long)(time(NULL) - t0), 2);
    dynamo_credentials_free(p);
    assert_stayed_local();
}
END_TEST

/* ---- expiry and refresh ------------------------------------------------------ */

START_TEST(test_refresh_before_expiry)
{
    struct server s;
    struct tu_fake_env e = {0};
    struct dynamop_creds snap = {0};
    struct dynamo_credentials *p;

    start(&s);
    container_env(&e, &s);
    p = provider(&e, "container");
    ck_assert_int_eq(get_ok(p, 0, &snap), 1); /* expires in an hour */
    advance(3000);
    ck_assert_int_eq(get_ok(p, 0, &snap), 1); /* 600 s left: still outside the window */
    ck_assert_int_eq(count(&shm->documents), 1);

    /* 200 s left: inside the 5-minute window, refreshed.  The new document
     * expires in 120 s (inside the window already): asked again only after
     * DYNAMOP_CREDS_RETRY_AFTER, not on every call. */
    atomic_store(&shm->exp_offset, 120);
    advance(400);
    ck_assert_int_eq(get_ok(p, 0, &snap), 2);
    ck_assert_int_eq(get_ok(p, 0, &snap), 2);
    ck_assert_int_eq(count(&shm->documents), 2);
    advance(DYNAMOP_CREDS_RETRY_AFTER + 1);
    ck_assert_int_eq(get_ok(p, 0, &snap), 3);

    /* Credentials expiring in a few seconds are not used for signing: the
     * next call fetches again whatever the retry delay. */
    atomic_store(&shm->exp_offset, 3);
    advance(DYNAMOP_CREDS_RETRY_AFTER + 1);
    ck_assert_int_eq(get_ok(p, 0, &snap), 4); /* the fetcher takes what it got */
    ck_assert_int_eq(get_ok(p, 0, &snap), 5);
    atomic_store(&shm->exp_offset, 3600);
    ck_assert_int_eq(get_ok(p, 0, &snap), 6);
    ck_assert_int_eq(get_ok(p, 0, &snap), 6);
    ck_assert_int_eq(count(&shm->requests), 6);
    dynamop_creds_wipe(&snap);
    dynamo_credentials_free(p);
    stop(&s);
}
END_TEST

START_TEST(test_refresh_failure_keeps_valid)
{
    struct server s;
    struct tu_fake_env e = {0};
    struct dynamop_creds snap = {0};
    struct dynamo_credentials *p;
    struct dynamo_err err = {0};

    start(&s);
    tu_fake_env_set(&e, "AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url);
    p = provider(&e, "instance metadata");
    atomic_store(&shm->exp_offset, 400);
    ck_assert_int_eq(get_ok(p, 0, &snap), 1);
    atomic_store(&shm->fail, 1);
    advance(200); /* 200 s left: a refresh is due, and fails */
    ck_assert_int_eq(get_ok(p, 0, &snap), 1);
    ck_assert_int_eq(count(&shm->requests), 6); /* 3 + 3: it was tried */
    ck_assert_int_eq(get_ok(p, 0, &snap), 1);
    ck_assert_int_eq(count(&shm->requests), 6); /* not again right away */
    advance(DYNAMOP_CREDS_RETRY_AFTER + 1);
    ck_assert_int_eq(get_ok(p, 0, &snap), 1);
    ck_assert_int_eq(count(&shm->requests), 9);

    /* Past the expiration the failure is the caller's. */
    advance(200);
    ck_assert_int_eq(dynamop_credentials_get(p, 0, &snap, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_SERVICE);
    ck_assert_msg(strstr(err.text, "HTTP 500") != NULL, "%s", err.text);
    ck_assert_str_eq(snap.access_key_id, "ASIA0001"); /* the caller's copy is untouched */

    /* And the next call after the recovery works at once. */
    atomic_store(&shm->fail, 0);
    atomic_store(&shm->exp_offset, 3600);
    ck_assert_int_eq(get_ok(p, 0, &snap), 2);
    dynamop_creds_wipe(&snap);
    dynamo_credentials_free(p);
    stop(&s);
}
END_TEST

/* ---- one provider, several threads ------------------------------------------- */

#define THREADS 4
#define GETS 200

struct worker {
    struct dynamo_credentials *p;
    long errors;
    long max_gen;
    char failure[256];
};

static void *
work(void *arg)
{
    struct worker *w = arg;
    struct dynamop_creds snap = {0};
    char want[32];

    for (int i = 0; i < GETS; i++) {
        struct dynamo_err err = {0};
        long n;

        advance(3); /* the clock runs: documents last 200 s, so ~1 in 16 calls is due */
        if (dynamop_credentials_get(w->p, 0, &snap, &err) != 0) {
            w->errors++;
            snprintf(w->failure, sizeof(w->failure), "get: %.200s", err.text);
            continue;
        }
        n = strtol(snap.access_key_id + 4, NULL, 10);
        snprintf(want, sizeof(want), "SECRET%04ld", n);
        if (strcmp(snap.secret_access_key, want) != 0 || snap.session_token == NULL ||
            strncmp(snap.session_token, "TOKEN", 5) != 0 ||
            strtol(snap.session_token + 5, NULL, 10) != n || n < w->max_gen ||
            (long)snap.generation != n) {
            w->errors++;
            snprintf(w->failure, sizeof(w->failure), "inconsistent: %s gen %lu after %ld",
                     snap.access_key_id, snap.generation, w->max_gen);
        }
        w->max_gen = n;
    }
    dynamop_creds_wipe(&snap);
    return NULL;
}

/* _i == 0: documents always inside the refresh window (refreshes while
 * others keep signing with the old keys); _i == 1: documents already too
 * close to their expiration to sign with (every caller fetches or waits
 * for the fetch under way). */
START_TEST(test_threads_share_one_provider)
{
    struct server s;
    struct tu_fake_env e = {0};
    struct worker w[THREADS];
    pthread_t t[THREADS];
    struct dynamo_credentials *p;

    start(&s);
    container_env(&e, &s);
    atomic_store(&shm->exp_offset, _i == 0 ? 200 : 5);
    p = provider(&e, "container");
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){p, 0, 0, ""};
        ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(w[i].errors == 0, "thread %d: %ld errors, last: %s", i, w[i].errors,
                      w[i].failure);
    }
    /* 2400 s of test time in 3-second steps: rotated many times, but never
     * more than once per call. */
    ck_assert_int_gt(count(&shm->documents), 10);
    ck_assert_int_le(count(&shm->documents), THREADS * GETS);
    if (_i == 0)
        ck_assert_int_lt(count(&shm->documents), THREADS * GETS / 2);
    ck_assert_int_eq(count(&shm->requests), count(&shm->documents));
    dynamo_credentials_free(p);
    stop(&s);
}
END_TEST

/* ---- the client ---------------------------------------------------------------- */

static struct dynamo_client *
client_for(const struct server *s, struct dynamo_credentials *p)
{
    struct dynamo_client_config cfg = {0};
    struct dynamo_err err = {0};
    struct dynamo_client *c;

    cfg.endpoint = s->url;
    cfg.region = REGION;
    cfg.credentials = p;
    c = dynamo_client_new(&cfg, &err);
    ck_assert_msg(c != NULL, "client: %s", err.text);
    return c;
}

static void
list_tables_ok(struct dynamo_client *c)
{
    struct dynamo_err err = {0};
    json_t *names = NULL;

    ck_assert_msg(dynamo_list_tables(c, &names, &err) == 0, "ListTables: %s", err.text);
    json_decref(names);
}

START_TEST(test_client_signs_with_fetched_keys)
{
    struct server s;
    struct tu_fake_env e = {0};
    struct dynamo_credentials *p;
    struct dynamo_client *c1, *c2;

    start(&s);
    tu_fake_env_set(&e, "AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url);
    p = provider(&e, "instance metadata");
    c1 = client_for(&s, p);
    c2 = client_for(&s, p);
    list_tables_ok(c1);
    list_tables_ok(c2);
    list_tables_ok(c1);
    ck_assert_int_eq(count(&shm->documents), 1); /* one fetch for both clients */
    ck_assert_int_eq(count(&shm->dynamo_ok), 3);

    /* Rotation: both clients move to the new keys on their next call. */
    advance(3500);
    list_tables_ok(c2);
    list_tables_ok(c1);
    ck_assert_int_eq(count(&shm->documents), 2);
    ck_assert_int_eq(count(&shm->dynamo_ok), 5);
    ck_assert_int_eq(count(&shm->dynamo_bad), 0);
    dynamo_client_free(c1);
    dynamo_client_free(c2);
    dynamo_credentials_free(p);
    stop(&s);
}
END_TEST

/* DynamoDB says the token expired before its time: one forced refresh and
 * the call succeeds with the new keys. */
START_TEST(test_client_expired_token_refreshes)
{
    struct server s;
    struct tu_fake_env e = {0};
    struct dynamo_credentials *p;
    struct dynamo_client *c;
    struct dynamo_err err = {0};
    json_t *names = NULL;

    start(&s);
    container_env(&e, &s);
    p = provider(&e, "container");
    c = client_for(&s, p);
    list_tables_ok(c); /* generation 1 */
    atomic_store(&shm->min_gen, 2);
    list_tables_ok(c); /* 1 refused as expired, refetched, 2 accepted */
    ck_assert_int_eq(count(&shm->expired), 1);
    ck_assert_int_eq(count(&shm->documents), 2);
    ck_assert_int_eq(count(&shm->dynamo_ok), 2);

    /* A source that keeps handing out refused keys: bounded by max_attempts. */
    atomic_store(&shm->min_gen, 1000);
    ck_assert_int_eq(dynamo_list_tables(c, &names, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_AUTH);
    ck_assert_str_eq(err.type, "ExpiredTokenException");
    ck_assert_int_eq(err.attempts, 3);
    ck_assert_int_eq(count(&shm->dynamo_bad), 0);
    dynamo_client_free(c);
    dynamo_credentials_free(p);
    stop(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("credentials");
    TCase *tc = tcase_create("metadata servers");
    TCase *client = tcase_create("client");

    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup_shared, NULL);
    tcase_add_test(tc, test_container_full_uri);
    tcase_add_test(tc, test_container_token_file);
    tcase_add_test(tc, test_default_endpoints);
    tcase_add_test(tc, test_imds_v2);
    tcase_add_test(tc, test_imds_unreachable_fails_fast);
    tcase_add_test(tc, test_refresh_before_expiry);
    tcase_add_test(tc, test_refresh_failure_keeps_valid);
    tcase_add_loop_test(tc, test_threads_share_one_provider, 0, 2);
    suite_add_tcase(s, tc);
    tcase_set_timeout(client, 30);
    tcase_add_checked_fixture(client, setup_shared, NULL);
    tcase_add_test(client, test_client_signs_with_fetched_keys);
    tcase_add_test(client, test_client_expired_token_refreshes);
    suite_add_tcase(s, client);
    return tu_run(s);
}
