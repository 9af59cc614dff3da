/*
 * testutil.c: helpers for the test programs.
 */
#include <errno.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "testutil.h"

#include "ext/client/internal.h"

#include <check.h>

static long json_live; /* jansson blocks not yet freed */

static void *
counting_malloc(size_t n)
{
    void *p = util_malloc(n);

    if (p != NULL)
        json_live++;
    return p;
}

static void
counting_free(void *p)
{
    if (p != NULL)
        json_live--;
    free(p);
}

void
tu_json_count_allocs(void)
{
    json_set_alloc_funcs(counting_malloc, counting_free);
}

long
tu_json_live(void)
{
    return json_live;
}

int
tu_json_equal(const json_t *a, const json_t *b)
{
    size_t i;
    void *it;

    if (a == NULL || b == NULL || json_typeof(a) != json_typeof(b))
        return a == b;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (i = 0; i < json_array_size(a); i++)
            if (!tu_json_equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    if (!json_is_object(a))
        return json_equal(a, b); /* strings by length */
    if (json_object_size(a) != json_object_size(b))
        return 0;
    for (it = json_object_iter((json_t *)a); it != NULL;
         it = json_object_iter_next((json_t *)a, it))
        if (!tu_json_equal(json_object_iter_value(it),
                           json_object_getn(b, json_object_iter_key(it),
                                            json_object_iter_key_len(it))))
            return 0;
    return 1;
}

int
tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>

void
tu_leak_check(void)
{
    ck_assert_msg(__lsan_do_recoverable_leak_check() == 0, "memory leaked (report above)");
}
#else
void
tu_leak_check(void)
{
}
#endif

const char *
tu_env(const char *name)
{
    const char *v = getenv(name);

    if (v == NULL || *v == '\0') {
        fprintf(stderr, "test: %s is not set: run the suites with `make test`\n", name);
        exit(2);
    }
    return v;
}

int
tu_write_all(int fd, const void *data, size_t n)
{
    const char *p = data;

    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

void
tu_fake_env_set(struct tu_fake_env *e, const char *name, const char *value)
{
    ck_assert_int_lt(e->n, TU_FAKE_ENV_MAX);
    ck_assert_uint_lt(strlen(value), sizeof(e->value[0]));
    e->name[e->n] = name;
    snprintf(e->value[e->n], sizeof(e->value[e->n]), "%s", value);
    e->n++;
}

const char *
tu_fake_env_lookup(void *arg, const char *name)
{
    const struct tu_fake_env *e = arg;

    for (int i = e->n - 1; i >= 0; i--)
        if (strcmp(e->name[i], name) == 0)
            return e->value[i];
    return NULL;
}

char *
tu_copy(const char *s, size_t len)
{
    char *c = malloc(len ? len : 1);

    ck_assert_ptr_nonnull(c);
    memcpy(c, s, len);
    return c;
}

struct dynamo_client *
tu_local_client(const struct dynamo_client_config *base)
{
    static char endpoint[256];
    struct dynamo_client_config cfg = {0};
    struct dynamo_err err = {0};
    struct dynamo_client *c;

    if (base != NULL)
        cfg = *base;
    snprintf(endpoint, sizeof(endpoint), "http://%s:%s", tu_env("DYNAMO_LOCAL_HOST"),
             tu_env("DYNAMO_LOCAL_PORT"));
    cfg.endpoint = endpoint; /* the client copies it */
    c = dynamo_client_new(&cfg, &err);
    ck_assert_msg(c != NULL, "dynamo_client_new: %s", err.text);
    return c;
}

const char *
tu_unique(const char *prefix, char *buf, size_t size)
{
    static int counter;

    snprintf(buf, size, "%s-%ld-%d", prefix, (long)getpid(), ++counter);
    return buf;
}

struct sink {
    char *data;
    size_t len;
};

static size_t
on_data(char *data, size_t size, size_t nmemb, void *udata)
{
    struct sink *s = udata;
    size_t n = size * nmemb;
    char *grown = realloc(s->data, s->len + n + 1);

    if (grown == NULL)
        return 0;
    memcpy(grown + s->len, data, n);
    s->data = grown;
    s->len += n;
    s->data[s->len] = '\0';
    return n;
}

int
tu_http(const char *method, const char *url, const char *body, size_t len,
        struct tu_http *out)
{
    struct sink b = {0}, h = {0};
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    CURLcode rc;

    memset(out, 0, sizeof(*out));
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    out->body = b.data ? b.data : strdup("");
    out->body_len = b.len;
    out->headers = h.data ? h.data : strdup("");
    return rc == CURLE_OK ? 0 : -1;
}

void
tu_http_free(struct tu_http *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof(*r));
}

const char *
tu_http_header(const struct tu_http *r, const char *name, char *buf, size_t size)
{
    size_t n = strlen(name);

    for (const char *line = r->headers; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            size_t len = strcspn(v, "\r\n");

            while (*v == ' ' && len > 0) {
                v++;
                len--;
            }
            snprintf(buf, size, "%.*s", (int)len, v);
            return buf;
        }
    }
    return NULL;
}
