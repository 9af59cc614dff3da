/*
 * testutil.h: small helpers shared by the test programs (never by the
 * library): environment, files, HTTP requests through libcurl.
 */
#ifndef DYNAMO_FCGI_TESTUTIL_H
#define DYNAMO_FCGI_TESTUTIL_H

#include <stddef.h>

#include <jansson.h>

/* The environment variable NAME; aborts the test program when unset, so a
 * suite that needs a server fails rather than skips without it. */
const char *tu_env(const char *name);

/* Sends all N bytes of P on the socket FD (no SIGPIPE).  Returns 0, or -1
 * when the peer is gone. */
int tu_write_all(int fd, const void *p, size_t n);

/* A fake environment for the credentials chain's lookup hook: later
 * settings of a name win; values are copied. */
#define TU_FAKE_ENV_MAX 24
struct tu_fake_env {
    const char *name[TU_FAKE_ENV_MAX];
    char value[TU_FAKE_ENV_MAX][1024];
    int n;
};
/* Sets NAME (borrowed: a literal) to a copy of VALUE; fails the test when
 * full. */
void tu_fake_env_set(struct tu_fake_env *e, const char *name, const char *value);
/* The lookup hook: ARG is a struct tu_fake_env. */
const char *tu_fake_env_lookup(void *arg, const char *name);

/* An exactly sized heap copy of LEN bytes of S (free()), so that ASan
 * catches a read past the end of a parser's input. */
char *tu_copy(const char *s, size_t len);

/* A client of the DynamoDB Local the runner started (DYNAMO_LOCAL_HOST,
 * DYNAMO_LOCAL_PORT) with BASE's other settings (NULL: none); fails the
 * test when it cannot be made.  New: dynamo_client_free(). */
struct dynamo_client_config;
struct dynamo_client *tu_local_client(const struct dynamo_client_config *base);

/* A name unique to this process and call ("it-12345-3"), for tables. */
const char *tu_unique(const char *prefix, char *buf, size_t size);

/* One HTTP exchange.  Body and headers are NUL-terminated; free with
 * tu_http_free(). */
struct tu_http {
    long status;
    char *body;
    size_t body_len;
    char *headers; /* the raw response header block */
};

/* METHOD URL with BODY (NULL: none; LEN bytes).  Returns 0, or -1 when no
 * HTTP answer arrived. */
int tu_http(const char *method, const char *url, const char *body, size_t len,
            struct tu_http *out);
void tu_http_free(struct tu_http *r);
/* The value of response header NAME (case-insensitive) in R, copied into
 * BUF; NULL when absent. */
const char *tu_http_header(const struct tu_http *r, const char *name, char *buf,
                           size_t size);

/* Points jansson's allocator at the library's util_malloc() through a
 * counter: a chaos test (util_alloc_fail_at) then fails jansson's
 * allocations as well as the library's, and tu_json_live() says how many
 * of jansson's blocks are not freed.  Call before any value is made. */
void tu_json_count_allocs(void);
long tu_json_live(void);

/* json_equal(A, B), but with object keys compared by their length: jansson
 * 2.14's json_equal looks keys up only up to a NUL, so it tells
 * {"a\u0000b": 1} and {"a": 1} alike and two equal objects with a key
 * "a\u0000" apart.  1 when equal (two NULLs are). */
int tu_json_equal(const json_t *a, const json_t *b);

/* Runs every test of S in Check's fork mode, frees it, and returns the
 * process exit code: 0 when all passed. */
struct Suite;
int tu_run(struct Suite *s);

/* A checked-fixture teardown that fails the test when LeakSanitizer finds
 * a leak.  Needed because in Check's fork mode the report LeakSanitizer
 * prints when the child exits does not fail the test.  A no-op without ASan. */
void tu_leak_check(void);

#endif /* DYNAMO_FCGI_TESTUTIL_H */
