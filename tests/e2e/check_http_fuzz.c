/*
 * check_http_fuzz.c: random HTTP requests through nginx to the example app
 * (E2E_BASE_URL), as a client on the internet could send them: any method,
 * paths with stray bytes and percent-escapes, odd headers, JSON bodies that
 * are valid, nearly valid or not JSON at all.  Every answer must be a
 * complete HTTP answer below 500 (nginx's own 4xx included): a 500 is a
 * handler that failed on input, a 502/504 an app that died, closed the
 * connection or hung.  The app must still be the same process at the end
 * and answer /healthz.
 *
 * Deterministic per seed, so make test is reproducible: E2E_FUZZ_SEED
 * (default 20261125; "time" for a new one each run), printed in every
 * failure so a run can be replayed.  E2E_FUZZ_REQUESTS: how many (1500).
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define MAX_REQUEST (64 * 1024)

static uint64_t seed;
static uint64_t rng_state;

static uint64_t
rnd(void)
{
    /* xorshift64*: small, deterministic, good enough to pick shapes. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static size_t
pick(size_t n)
{
    return (size_t)(rnd() % n);
}

/* A growing request text. */
struct text {
    char buf[MAX_REQUEST];
    size_t len;
};

static void
put(struct text *t, const char *s, size_t n)
{
    if (t->len + n >= sizeof(t->buf))
        n = sizeof(t->buf) - 1 - t->len;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void
puts_(struct text *t, const char *s)
{
    put(t, s, strlen(s));
}

static void
putf(struct text *t, const char *fmt, long v)
{
    char tmp[64];
    int n = snprintf(tmp, sizeof(tmp), fmt, v);

    put(t, tmp, (size_t)n);
}

/* A path segment: names, escapes of any byte, UTF-8, dots and slashes. */
static void
segment(struct text *t)
{
    static const char *const parts[] = {
        "alice", "bob", "a", "x_y-z.1", "%00", "%2F", "%25", "%FF", "%C3%A9", "%e2%82%ac",
        "%", "%G1", "..", ".", "caf\xc3\xa9", "~", "+", "%20", "A%3Fb", "%0d%0a",
    };
    size_t n = 1 + pick(4);

    for (size_t i = 0; i < n; i++) {
        if (pick(8) == 0) {
            char esc[4];

            snprintf(esc, sizeof(esc), "%%%02X", (unsigned)pick(256));
            puts_(t, esc);
        } else {
            puts_(t, parts[pick(sizeof(parts) / sizeof(parts[0]))]);
        }
    }
}

static void
path(struct text *t)
{
    static const char *const roots[] = {"/users/", "/groups/", "/users", "/groups",
                                        "/healthz", "/", "/users/a/b", "//users/"};
    const char *root = roots[pick(sizeof(roots) / sizeof(roots[0]))];

    puts_(t, root);
    if (root[strlen(root) - 1] == '/' && pick(6) != 0)
        segment(t);
    if (pick(4) == 0) {
        puts_(t, "?limit=");
        putf(t, "%ld", (long)pick(300) - 50);
        if (pick(2)) {
            puts_(t, "&cursor=");
            segment(t);
        }
        if (pick(4) == 0)
            puts_(t, "&&=&limit");
    }
}

/* A JSON value, sometimes broken on purpose by the caller. */
static void
json_value(struct text *t, int depth)
{
    static const char *const scalars[] = {
        "0", "-0", "1.5", "-2.50", "1E+125", "1e-130", "123456789012345678901234567890123456789",
        "1e400", "true", "false", "null", "\"\"", "\"x\"", "\"caf\\u00e9\"", "\"\\u0000\"",
        "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"tab\\there\"", "\"\xc3\xa9\"", "\"\xff\"",
    };
    size_t k = depth < 4 ? pick(8) : 0;

    if (k == 1 || k == 2) {
        size_t n = pick(4);

        puts_(t, "[");
        for (size_t i = 0; i < n; i++) {
            if (i)
                puts_(t, ",");
            json_value(t, depth + 1);
        }
        puts_(t, "]");
    } else if (k == 3) {
        size_t n = pick(4);

        puts_(t, "{");
        for (size_t i = 0; i < n; i++) {
            if (i)
                puts_(t, ",");
            puts_(t, "\"k");
            putf(t, "%ld", (long)pick(3));
            puts_(t, "\":");
            json_value(t, depth + 1);
        }
        puts_(t, "}");
    } else {
        puts_(t, scalars[pick(sizeof(scalars) / sizeof(scalars[0]))]);
    }
}

/* A body: an object of attributes, mostly; then broken one way or another. */
static void
body(struct text *t)
{
    size_t start = t->len, n = pick(6);

    if (pick(10) == 0) { /* bytes */
        size_t len = pick(200);

        for (size_t i = 0; i < len; i++) {
            char c = (char)pick(256);

            put(t, &c, 1);
        }
        return;
    }
    puts_(t, "{");
    for (size_t i = 0; i < n; i++) {
        static const char *const names[] = {"\"email\"", "\"age\"", "\"tags\"",
                                            "\"username\"", "\"\"", "\"n\\u0000\"",
                                            "\"\xc3\xa9\"", "\"a.b\""};

        if (i)
            puts_(t, ",");
        puts_(t, names[pick(sizeof(names) / sizeof(names[0]))]);
        puts_(t, ":");
        json_value(t, 1);
    }
    puts_(t, "}");
    switch (pick(8)) {
    case 0: /* cut short */
        if (t->len > start + 1)
            t->len = start + 1 + pick(t->len - start - 1);
        t->buf[t->len] = '\0';
        break;
    case 1: /* one byte changed */
        t->buf[start + pick(t->len - start)] = (char)pick(256);
        break;
    case 2:
        puts_(t, " trailing");
        break;
    default:
        break;
    }
}

/* One random request into T. */
static void
request(struct text *t)
{
    static const char *const methods[] = {"GET", "GET", "PUT", "PUT", "DELETE", "HEAD",
                                          "POST", "PATCH", "OPTIONS", "BREW", "get"};
    static const char *const ctypes[] = {"application/json", "text/plain", "",
                                         "application/json; charset=utf-8", "\x01"};
    struct text b = {.len = 0};
    const char *method = methods[pick(sizeof(methods) / sizeof(methods[0]))];
    int with_body = strcmp(method, "PUT") == 0 || pick(6) == 0;

    t->len = 0;
    puts_(t, method);
    puts_(t, " ");
    path(t);
    puts_(t, " HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n");
    if (pick(3) == 0) {
        puts_(t, "Content-Type: ");
        puts_(t, ctypes[pick(sizeof(ctypes) / sizeof(ctypes[0]))]);
        puts_(t, "\r\n");
    }
    if (pick(5) == 0) {
        puts_(t, "X-Fuzz-");
        putf(t, "%ld", (long)pick(1000));
        puts_(t, ": ");
        segment(t);
        puts_(t, "\r\n");
    }
    if (with_body)
        body(&b);
    /* The length always matches: nginx would wait for a body announced and
     * not sent, which tests its timeout, not the app. */
    if (with_body || pick(2)) {
        puts_(t, "Content-Length: ");
        putf(t, "%ld", (long)b.len);
        puts_(t, "\r\n");
    }
    puts_(t, "\r\n");
    put(t, b.buf, b.len);
}

/* The printable form of S (LEN bytes, at most 600 shown) for a message. */
static const char *
shown(const char *s, size_t len)
{
    static char out[2600];
    size_t o = 0;

    for (size_t i = 0; i < len && i < 600 && o + 5 < sizeof(out); i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x20 && c < 0x7f)
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", c);
    }
    out[o] = '\0';
    return out;
}

/* Sends REQ to nginx, reads the whole answer (Connection: close); returns
 * its status, 0 when none came. */
static int
exchange(const struct sockaddr_in *addr, const struct text *req)
{
    struct timeval tv = {.tv_sec = 10};
    char buf[8192];
    size_t got = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0), status = 0;
    ssize_t n;

    ck_assert_int_ge(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    ck_assert_int_eq(connect(fd, (const struct sockaddr *)addr, sizeof(*addr)), 0);
    if (send(fd, req->buf, req->len, MSG_NOSIGNAL) == (ssize_t)req->len) {
        while ((n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0) {
            got += (size_t)n;
            if (got == sizeof(buf) - 1)
                got = 16; /* keep the status line; the rest is not looked at */
        }
        buf[got] = '\0';
        if (got >= 12 && strncmp(buf, "HTTP/1.", 7) == 0)
            status = atoi(buf + 9);
    }
    close(fd);
    return status;
}

START_TEST(test_random_requests)
{
    const char *base = tu_env("E2E_BASE_URL"), *env = getenv("E2E_FUZZ_REQUESTS");
    long pid = strtol(tu_env("E2E_APP_PID"), NULL, 10), count = env ? atol(env) : 1500;
    struct sockaddr_in addr = {.sin_family = AF_INET};
    static struct text req;
    long by_class[6] = {0};
    struct tu_http r;
    char url[256];

    ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr), 1);
    ck_assert_ptr_nonnull(strstr(base, "127.0.0.1:"));
    addr.sin_port = htons((uint16_t)atoi(strstr(base, "127.0.0.1:") + 10));
    for (long i = 0; i < count; i++) {
        int status;

        request(&req);
        status = exchange(&addr, &req);
        ck_assert_msg(status >= 100 && status < 500,
                      "seed %llu, request %ld: status %d for: %s", (unsigned long long)seed, i,
                      status, shown(req.buf, req.len));
        by_class[status / 100]++;
    }
    ck_assert_msg(pid > 0 && kill((pid_t)pid, 0) == 0, "seed %llu: app %ld is gone",
                  (unsigned long long)seed, pid);
    snprintf(url, sizeof(url), "%s/healthz", base);
    ck_assert_int_eq(tu_http("GET", url, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    tu_http_free(&r);
    /* Both kinds were reached: the generator is not all noise. */
    ck_assert_msg(by_class[2] > count / 20 && by_class[4] > count / 20,
                  "seed %llu: 2xx %ld, 4xx %ld of %ld", (unsigned long long)seed, by_class[2],
                  by_class[4], count);
    printf("http fuzz: seed %llu, %ld requests: 2xx %ld, 3xx %ld, 4xx %ld\n",
           (unsigned long long)seed, count, by_class[2], by_class[3], by_class[4]);
}
END_TEST

int
main(void)
{
    const char *s = getenv("E2E_FUZZ_SEED");
    Suite *suite = suite_create("http_fuzz");
    TCase *tc = tcase_create("through nginx");

    if (s == NULL || *s == '\0')
        seed = 20261125;
    else if (strcmp(s, "time") == 0)
        seed = (uint64_t)time(NULL);
    else
        seed = strtoull(s, NULL, 10);
    rng_state = seed ? seed : 1;
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_random_requests);
    suite_add_tcase(suite, tc);
    return tu_run(suite);
}
