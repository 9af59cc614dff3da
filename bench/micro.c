/*
 * micro.c: micro benchmarks of the DynamoDB client, for `make bench`.
 *
 *   micro pure                  sigv4, encode, decode and decode-text (below)
 *   micro sigv4|encode|decode|decode-text   one of them (for a profiler)
 *   micro getitem PORT          full dynamo_get_item calls against a stub on
 *                               127.0.0.1:PORT, on one keep-alive connection
 *   micro getitem-text PORT     the same with dynamo_get_item_text (the item
 *                               as plain JSON text, what GET /users/<name>
 *                               sends)
 *   micro raw PORT              the machine's floor for any client: the bytes
 *                               of one signed GetItem request written again
 *                               and again on one connection with write(2),
 *                               each answer read with read(2) up to its
 *                               Content-Length; no signing, no encoding, no
 *                               decoding
 *   micro answer                prints the GetItem answer the stub returns
 *   micro item                  prints the fixture item as plain JSON
 *
 * Prints "key value" lines that scripts/bench.sh collects.  Costs are CPU
 * time of this process (CLOCK_PROCESS_CPUTIME_ID, getrusage for the
 * user/system split), so a busy neighbour on a shared machine slows the wall
 * clock more than the figures.  It still inflates them (shared caches and
 * cores), never deflates them: each figure is the fastest of TRIALS runs of
 * at least MIN_TRIAL_NS of CPU each, as bench/boto3_getitem.py does.
 *
 * Links the static library, so it reaches the private signer and decoders
 * (ext/sigv4.h, ext/response.h, ext/json_parse.h) exactly as the client
 * calls them.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dynamo_client.h"
#include "json_parse.h"
#include "wire_response.h"
#include "auth_sigv4.h"

#include "fixture.h"

#define TRIALS 7
#define MIN_TRIAL_NS 300e6 /* 0.3 s of CPU per trial */

typedef int (*bench_fn)(void *arg);

static double
now_ns(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double
rusage_ns(int which_user)
{
    struct rusage ru;
    struct timeval *tv = which_user ? &ru.ru_utime : &ru.ru_stime;

    getrusage(RUSAGE_SELF, &ru);
    return tv->tv_sec * 1e9 + tv->tv_usec * 1e3;
}

/* What one measurement found, per call. */
struct result {
    double cpu_ns;
    double user_ns;
    double sys_ns;
    double wall_ns;
};

/*
 * Calls FN(ARG) in batches of BATCH until MIN_TRIAL_NS of CPU passed, TRIALS
 * times; fills *R with the per-call costs of the trial with the least CPU
 * time.  Returns 0, or -1 as soon as FN fails.
 */
static int
measure(bench_fn fn, void *arg, long batch, struct result *r)
{
    struct result t;

    for (int k = 0; k < TRIALS; k++) {
        double c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID), w0 = now_ns(CLOCK_MONOTONIC);
        double u0 = rusage_ns(1), s0 = rusage_ns(0), c1;
        long n = 0;

        do {
            for (long i = 0; i < batch; i++)
                if (fn(arg) != 0)
                    return -1;
            n += batch;
        } while ((c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID)) - c0 < MIN_TRIAL_NS);
        t.cpu_ns = (c1 - c0) / n;
        t.wall_ns = (now_ns(CLOCK_MONOTONIC) - w0) / n;
        t.user_ns = (rusage_ns(1) - u0) / n;
        t.sys_ns = (rusage_ns(0) - s0) / n;
        if (k == 0 || t.cpu_ns < r->cpu_ns)
            *r = t;
    }
    return 0;
}

/* ---- SigV4 ------------------------------------------------------------ */

/* A GetItem request signed as client.c signs it: the same four headers. */
struct sigv4_case {
    struct dynamop_header hdrs[4];
    struct dynamop_sigv4_request req;
    struct dynamop_sigv4_creds creds;
    struct dynamop_sigv4_cache cache;
};

static int
run_sigv4(void *arg)
{
    struct sigv4_case *c = arg;
    struct dynamo_err err = {0};
    char authz[DYNAMOP_SIGV4_AUTHZ_MAX];

    if (dynamop_sigv4_authorization_buf(&c->req, &c->creds, "us-east-1", "dynamodb",
                                        "20240601T083000Z", &c->cache, authz,
                                        sizeof(authz), &err) != 0) {
        fprintf(stderr, "micro: sigv4: %s\n", err.text);
        return -1;
    }
    return 0;
}

static int
bench_sigv4(void)
{
    static const char body[] = BENCH_GETITEM_BODY;
    struct sigv4_case c = {
        .hdrs = {{"Content-Type", "application/x-amz-json-1.0"},
                 {"Host", "dynamodb.us-east-1.amazonaws.com"},
                 {"X-Amz-Date", "20240601T083000Z"},
                 {"X-Amz-Target", "DynamoDB_20120810.GetItem"}},
        .creds = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                  NULL},
    };
    struct result r;
    int rc;

    c.req = (struct dynamop_sigv4_request){"POST",           "/", NULL, c.hdrs, 4, body,
                                           sizeof(body) - 1, 1};
    rc = run_sigv4(&c) == 0 && measure(run_sigv4, &c, 1000, &r) == 0 ? 0 : -1;
    dynamop_sigv4_cache_wipe(&c.cache);
    if (rc == 0)
        printf("sigv4_ns %.0f\n", r.cpu_ns);
    return rc;
}

/* ---- encoding: plain JSON text -> typed item -> PutItem body ----------- */

static int
run_encode(void *arg)
{
    static const char text[] = BENCH_ITEM_JSON;
    struct dynamo_err err = {0};
    json_t *item = dynamo_item_from_json_text(text, sizeof(text) - 1, &err), *req;
    char *body;

    (void)arg;
    if (item == NULL) {
        fprintf(stderr, "micro: encode: %s\n", err.text);
        return -1;
    }
    /* As ops.c builds it: {"TableName": T, "Item": item}, then dumped. */
    req = json_pack("{s:s, s:o}", "TableName", BENCH_TABLE, "Item", item);
    body = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (body == NULL) {
        fprintf(stderr, "micro: encode: out of memory\n");
        return -1;
    }
    free(body);
    return 0;
}

static int
bench_encode(void)
{
    struct result r;

    if (run_encode(NULL) != 0 || measure(run_encode, NULL, 100, &r) != 0)
        return -1;
    printf("encode_ns %.0f\n", r.cpu_ns);
    return 0;
}

/* ---- decoding: GetItem answer -> typed item -> plain JSON text --------- */

/* The stub's answer, {"Item": typed item}, compact.  New: free(). */
static char *
getitem_answer(void)
{
    static const char text[] = BENCH_ITEM_JSON;
    struct dynamo_err err = {0};
    json_t *item = dynamo_item_from_json_text(text, sizeof(text) - 1, &err);
    json_t *answer = item != NULL ? json_pack("{s:o}", "Item", item) : NULL;
    char *out = answer != NULL ? json_dumps(answer, JSON_COMPACT) : NULL;

    if (out == NULL)
        fprintf(stderr, "micro: cannot build the answer: %s\n", err.text);
    json_decref(answer);
    return out;
}

static int
run_decode(void *arg)
{
    const char *answer = arg;
    struct dynamo_err err = {0};
    json_t *resp = dynamop_decode_body(answer, strlen(answer), &err);
    char *text = resp != NULL
                     ? dynamo_item_to_json_text(json_object_get(resp, "Item"), &err)
                     : NULL;

    json_decref(resp);
    if (text == NULL) {
        fprintf(stderr, "micro: decode: %s\n", err.text);
        return -1;
    }
    free(text);
    return 0;
}

/* Measures FN on the stub's answer; prints FIGURE (ns per call). */
static int
bench_answer(bench_fn fn, const char *figure)
{
    char *answer = getitem_answer();
    struct result r;
    int rc = -1;

    if (answer != NULL && fn(answer) == 0 && measure(fn, answer, 100, &r) == 0) {
        printf("%s %.0f\n", figure, r.cpu_ns);
        rc = 0;
    }
    free(answer);
    return rc;
}

/* The same answer straight to plain text, as dynamo_get_item_text does. */
static int
run_decode_text(void *arg)
{
    const char *answer = arg;
    struct dynamo_err err = {0};
    size_t len = strlen(answer);
    char *text = NULL;

    if (dynamop_answer_item_text(answer, len, "Item", &text, &len, &err) != 0 || !text) {
        fprintf(stderr, "micro: decode-text: %s\n", err.code ? err.text : "no Item");
        return -1;
    }
    free(text);
    return 0;
}

/* ---- a full GetItem call against the stub ------------------------------ */

struct getitem_case {
    struct dynamo_client *client;
    json_t *key;
    int text; /* dynamo_get_item_text rather than dynamo_get_item */
};

static int
run_getitem(void *arg)
{
    struct getitem_case *c = arg;
    struct dynamo_err err = {0};
    json_t *item = NULL;
    char *text = NULL;
    int rc;

    if (c->text)
        rc =
            dynamo_get_item_text(c->client, BENCH_TABLE, c->key, NULL, &text, NULL, &err);
    else
        rc = dynamo_get_item(c->client, BENCH_TABLE, c->key, NULL, &item, &err);
    if (rc == 0 && item == NULL && text == NULL)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "micro: GetItem: %s\n",
                err.code ? err.text : "no Item in the answer");
    json_decref(item);
    free(text);
    return rc;
}

/* Full GetItem calls on the stub at PORT; TEXT: dynamo_get_item_text, its
 * figures named getitem_text_*. */
static int
bench_getitem(const char *port, int text)
{
    char endpoint[64];
    struct dynamo_client_config cfg = {
        .endpoint = endpoint,
        .access_key_id = "AKIDBENCHMARK",
        .secret_access_key = "bench-secret-key",
        .max_attempts = 1, /* a failure must show, not be retried away */
    };
    struct dynamo_err err = {0};
    struct getitem_case c = {.text = text};
    const char *name = text ? "getitem_text" : "getitem";
    struct result r;
    int rc = -1;

    snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%s", port);
    c.client = dynamo_client_new(&cfg, &err);
    c.key = json_pack("{s:{s:s}}", "username", "S", BENCH_USER);
    if (c.client == NULL || c.key == NULL) {
        fprintf(stderr, "micro: client: %s\n", err.text);
        goto out;
    }
    for (int i = 0; i < 1000; i++) /* warm-up: connection, caches, allocator */
        if (run_getitem(&c) != 0)
            goto out;
    if (measure(run_getitem, &c, 100, &r) != 0)
        goto out;
    printf("%s_cpu_us %.2f\n", name, r.cpu_ns / 1e3);
    printf("%s_user_us %.2f\n", name, r.user_ns / 1e3);
    printf("%s_sys_us %.2f\n", name, r.sys_ns / 1e3);
    printf("%s_wall_us %.2f\n", name, r.wall_ns / 1e3);
    printf("%s_connections %ld\n", name, dynamo_client_connections(c.client));
    rc = 0;
out:
    json_decref(c.key);
    dynamo_client_free(c.client);
    return rc;
}

/* ---- the raw round trip ------------------------------------------------- */

struct raw_case {
    int fd;
    char req[2048];
    size_t len;
    char buf[16384];
};

static int
run_raw(void *arg)
{
    struct raw_case *c = arg;
    size_t got = 0, want = 0;

    if (write(c->fd, c->req, c->len) != (ssize_t)c->len)
        return -1;
    while (want == 0 || got < want) {
        ssize_t n = read(c->fd, c->buf + got, sizeof(c->buf) - 1 - got);
        const char *end, *cl;

        if (n <= 0)
            return -1;
        got += (size_t)n;
        c->buf[got] = '\0';
        if (want == 0 && (end = strstr(c->buf, "\r\n\r\n")) != NULL) {
            if ((cl = strstr(c->buf, "Content-Length: ")) == NULL)
                return -1;
            want = (size_t)(end + 4 - c->buf) + strtoul(cl + 16, NULL, 10);
        }
    }
    return 0;
}

/* The raw floor on the stub at PORT: the request is a copy of what the
 * client sends for the same GetItem (its signature is not checked by the
 * stub), so the bytes on the wire match the getitem figures. */
static int
bench_raw(const char *port)
{
    static const char body[] = "{\"TableName\":\"" BENCH_TABLE "\",\"Key\":{\"username\":"
                               "{\"S\":\"" BENCH_USER "\"}}}";
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
    struct raw_case *c = calloc(1, sizeof(*c));
    int one = 1, rc = -1, n;
    struct result r;

    if (c == NULL)
        return -1;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    n = snprintf(c->req, sizeof(c->req),
                 "POST / HTTP/1.1\r\nContent-Type: application/x-amz-json-1.0\r\n"
                 "Host: 127.0.0.1:%s\r\nX-Amz-Date: 20240601T083000Z\r\n"
                 "X-Amz-Target: DynamoDB_20120810.GetItem\r\nAuthorization: AWS4-HMAC-SHA256 "
                 "Credential=AKIDBENCHMARK/20240601/us-east-1/dynamodb/aws4_request, "
                 "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="
                 "0000000000000000000000000000000000000000000000000000000000000000\r\n"
                 "Content-Length: %zu\r\n\r\n%s",
                 port, sizeof(body) - 1, body);
    c->len = (size_t)n;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0 || setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("micro: raw: connect");
        goto out;
    }
    for (int i = 0; i < 1000; i++)
        if (run_raw(c) != 0)
            goto out;
    if (measure(run_raw, c, 100, &r) != 0)
        goto out;
    printf("raw_cpu_us %.2f\nraw_user_us %.2f\nraw_sys_us %.2f\nraw_wall_us %.2f\n",
           r.cpu_ns / 1e3, r.user_ns / 1e3, r.sys_ns / 1e3, r.wall_ns / 1e3);
    rc = 0;
out:
    if (rc != 0)
        fputs("micro: raw round trip failed\n", stderr);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
    return rc;
}

int
main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    char *answer;
    int rc;

    if (strcmp(mode, "pure") == 0) {
        rc = bench_sigv4();
        rc |= bench_encode();
        rc |= bench_answer(run_decode, "decode_ns");
        rc |= bench_answer(run_decode_text, "decode_text_ns");
    } else if (strcmp(mode, "sigv4") == 0) {
        rc = bench_sigv4();
    } else if (strcmp(mode, "encode") == 0) {
        rc = bench_encode();
    } else if (strcmp(mode, "decode") == 0) {
        rc = bench_answer(run_decode, "decode_ns");
    } else if (strcmp(mode, "decode-text") == 0) {
        rc = bench_answer(run_decode_text, "decode_text_ns");
    } else if (strcmp(mode, "getitem") == 0 && argc > 2) {
        rc = bench_getitem(argv[2], 0);
    } else if (strcmp(mode, "getitem-text") == 0 && argc > 2) {
        rc = bench_getitem(argv[2], 1);
    } else if (strcmp(mode, "raw") == 0 && argc > 2) {
        rc = bench_raw(argv[2]);
    } else if (strcmp(mode, "answer") == 0) {
        if ((answer = getitem_answer()) == NULL)
            return 1;
        puts(answer);
        free(answer);
        rc = 0;
    } else if (strcmp(mode, "item") == 0) {
        puts(BENCH_ITEM_JSON);
        rc = 0;
    } else {
        fputs(
            "usage: micro pure | sigv4 | encode | decode | decode-text | getitem PORT | "
            "getitem-text PORT | raw PORT | answer | item\n",
            stderr);
        return 2;
    }
    return rc == 0 ? 0 : 1;
}
