/*
 * credentials_http.c: temporary credentials from the container agent and
 * from EC2 instance metadata, and the pure parsers of their answers.
 *
 * Each fetch uses its own short-lived libcurl easy handle: fetches are rare
 * (once an hour or so) and run under the provider's refresh, never on a
 * client's DynamoDB connection.  Proxies are off (a metadata address must
 * never be reached through a proxy, nor the authorization token handed to
 * one), redirects are not followed, answers are capped, and every buffer
 * that held a secret is wiped before it is freed.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "auth_credentials.h"
#include "internal.h"

/* A response body, grown up to DYNAMOP_CREDS_MAX_ANSWER. */
struct answer {
    char *buf; /* DYNAMOP_CREDS_MAX_ANSWER bytes once anything arrived */
    size_t len;
    int overflow; /* the answer passed the maximum */
    int nomem;
};

static void
answer_wipe(struct answer *a)
{
    if (a->buf != NULL) {
        explicit_bzero(a->buf, DYNAMOP_CREDS_MAX_ANSWER);
        util_free(a->buf);
    }
    memset(a, 0, sizeof(*a));
}

/* Appends body bytes; returning less than given aborts the transfer.  The
 * buffer is allocated at its maximum at once (answers are small and rare),
 * so it is never reallocated and no stray copy of a secret is left. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *udata)
{
    struct answer *a = udata;
    size_t n = size * nmemb;

    if (a->len + n + 1 > DYNAMOP_CREDS_MAX_ANSWER) {
        a->overflow = 1;
        return 0;
    }
    if (a->buf == NULL && (a->buf = util_malloc(DYNAMOP_CREDS_MAX_ANSWER)) == NULL) {
        a->nomem = 1;
        return 0;
    }
    memcpy(a->buf + a->len, data, n);
    a->len += n;
    a->buf[a->len] = '\0';
    return n;
}

static int
configure(CURL *c, const struct dynamop_fetch *f, struct answer *a, char *errbuf)
{
    int rc = 0;

    rc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(c, CURLOPT_PROXY, "");
    rc |= curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    rc |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    rc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, f->connect_timeout_ms);
    rc |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, f->request_timeout_ms);
    rc |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    rc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    rc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    return rc == 0 ? 0 : -1;
}

/* Maps a non-200 STATUS of WHAT to an error.  Always -1. */
static int
status_error(long status, const char *what, struct dynamo_err *err)
{
    enum dynamo_code code = status == 401 || status == 403 ? DYNAMO_ERR_AUTH
                            : status >= 500                ? DYNAMO_ERR_SERVICE
                                                           : DYNAMO_ERR_BAD_RESPONSE;

    dynamop_err_set(err, code, "%s: HTTP %ld", what, status);
    return -1;
}

/*
 * One request: METHOD ("GET" or "PUT") to URL with HEADERS (NULL-terminated
 * "Name: value" strings, may hold secrets).  WHAT names the step in errors.
 * Returns 0 with a 200 answer in A, or -1 with ERR (A wiped).
 */
static int
request(const struct dynamop_fetch *f, const char *method, const char *url,
        const char *const *headers, const char *what, struct answer *a,
        struct dynamo_err *err)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *list = NULL, *next;
    long status = 0;
    CURLcode rc;
    CURL *c;

    dynamop_curl_global_init();
    if ((c = curl_easy_init()) == NULL || configure(c, f, a, errbuf) != 0 ||
        (list = curl_slist_append(NULL, "Accept:")) == NULL) {
        curl_easy_cleanup(c);
        dynamop_err_set(err, DYNAMO_ERR_NOMEM,
                        "%s: curl_easy_init: cannot set up a handle", what);
        return -1;
    }
    next = list;
    for (size_t i = 0; next != NULL && headers != NULL && headers[i] != NULL; i++)
        next = curl_slist_append(list, headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    if (strcmp(method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
    }
    rc = next != NULL ? curl_easy_perform(c) : CURLE_OUT_OF_MEMORY;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(list); /* curl copied nothing; the secrets are the caller's */
    if (rc != CURLE_OK) {
        enum dynamo_code code = rc == CURLE_OPERATION_TIMEDOUT ? DYNAMO_ERR_TIMEOUT
                                : a->overflow                  ? DYNAMO_ERR_BAD_RESPONSE
                                : rc == CURLE_OUT_OF_MEMORY || a->nomem
                                    ? DYNAMO_ERR_NOMEM
                                    : DYNAMO_ERR_NETWORK;

        answer_wipe(a);
        dynamop_err_set(err, code, "%s: curl_easy_perform: %s", what,
                        code == DYNAMO_ERR_BAD_RESPONSE ? "answer too large"
                        : errbuf[0]                     ? errbuf
                                                        : curl_easy_strerror(rc));
        return -1;
    }
    if (status != 200) {
        answer_wipe(a);
        return status_error(status, what, err);
    }
    if (a->buf == NULL &&
        (a->buf = util_calloc(1, DYNAMOP_CREDS_MAX_ANSWER)) == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    return 0;
}

/* ---- pure parsers ------------------------------------------------------ */

/* Days from 1970-01-01 to Y-M-D (proleptic Gregorian; H. Hinnant's
 * days_from_civil). */
static long
days_from_civil(long y, long m, long d)
{
    long era, yoe, doy;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* N decimal digits at *S into *OUT, advancing *S.  0 or -1. */
static int
digits(const char **s, int n, long *out)
{
    *out = 0;
    for (int i = 0; i < n; i++, (*s)++) {
        if (!isdigit((unsigned char)**s))
            return -1;
        *out = *out * 10 + (**s - '0');
    }
    return 0;
}

int
dynamop_parse_iso8601(const char *s, time_t *out)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    long y, mo, d, h, mi, sec, oh = 0, om = 0;
    int sign = 0;

    /* Each test stops at the first mismatch, before reading past it. */
    if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) || *s++ != '-' ||
        digits(&s, 2, &d) || (*s != 'T' && *s != 't'))
        return -1;
    s++;
    if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) || *s++ != ':' ||
        digits(&s, 2, &sec))
        return -1;
    if (*s == '.' || *s == ',') {
        if (!isdigit((unsigned char)s[1]))
            return -1;
        for (s++; isdigit((unsigned char)*s); s++)
            ;
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s++ == '-' ? -1 : 1;
        if (digits(&s, 2, &oh))
            return -1;
        if (*s == ':')
            s++;
        if (digits(&s, 2, &om))
            return -1;
    } else {
        return -1;
    }
    if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
        mi > 59 || sec > 60 || oh > 23 || om > 59)
        return -1;
    *out = (time_t)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
                    sign * (oh * 3600 + om * 60));
    return 0;
}

/* 1 when S is safe in an HTTP header and a SigV4 credential: printable
 * ASCII, no CR / LF / control characters, not empty. */
static int
header_safe(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

/* FIELD of OBJ as a string: required or not; "" and missing are the same. */
static const char *
field(const json_t *obj, const char *name)
{
    const char *v = json_string_value(json_object_get(obj, name));

    return v != NULL && *v != '\0' ? v : NULL;
}

static int
fill_creds(const json_t *obj, const char *what, struct dynamop_creds *out,
           struct dynamo_err *err)
{
    const char *id = field(obj, "AccessKeyId"), *secret = field(obj, "SecretAccessKey");
    const char *token = field(obj, "Token"), *exp = field(obj, "Expiration");
    const char *missing = id == NULL       ? "AccessKeyId"
                          : secret == NULL ? "SecretAccessKey"
                                           : NULL;

    if (missing != NULL) {
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE, "%s: no %s in the answer", what,
                        missing);
        return -1;
    }
    if (!header_safe(id) || !header_safe(secret) ||
        (token != NULL && !header_safe(token))) {
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE,
                        "%s: a credential holds characters not allowed in a header",
                        what);
        return -1;
    }
    memset(out, 0, sizeof(*out));
    if (exp != NULL && dynamop_parse_iso8601(exp, &out->expiration) != 0) {
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE,
                        "%s: Expiration is not an ISO 8601 time", what);
        return -1;
    }
    out->access_key_id = util_strdup(id);
    out->secret_access_key = util_strdup(secret);
    out->session_token = token != NULL ? util_strdup(token) : NULL;
    if (out->access_key_id == NULL || out->secret_access_key == NULL ||
        (token != NULL && out->session_token == NULL)) {
        dynamop_creds_wipe(out);
        dynamop_err_nomem(err);
        return -1;
    }
    return 0;
}

int
dynamop_creds_from_json(const char *body, size_t len, const char *what,
                        struct dynamop_creds *out, struct dynamo_err *err)
{
    json_error_t jerr;
    json_t *obj = json_loadb(body, len, 0, &jerr);
    const char *code;
    int rc = -1;

    /* jerr.text may quote the body (a secret): report the position only. */
    if (!json_is_object(obj)) {
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE,
                        "%s: the answer is not a JSON object%s", what,
                        obj == NULL ? " (invalid JSON)" : "");
    } else if ((code = json_string_value(json_object_get(obj, "Code"))) != NULL &&
               strcmp(code, "Success") != 0) {
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE,
                        "%s: Code is '%.40s', not 'Success'", what, code);
    } else {
        rc = fill_creds(obj, what, out, err);
    }
    json_decref(
        obj); /* jansson frees without wiping; nothing else to do short of a hook */
    return rc;
}

/* 1 when HOST (as curl gives it: IPv6 in brackets) may be reached over
 * plain http: loopback, or the ECS (169.254.170.2) and EKS Pod Identity
 * (169.254.170.23, fd00:ec2::23) agents, as the AWS SDKs allow. */
static int
host_allowed_plain(const char *host)
{
    unsigned char a4[4], a6[16], eks6[16];
    char v6[64];
    size_t n = strlen(host);

    if (strcasecmp(host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, host, a4) == 1)
        return a4[0] == 127 || strcmp(host, "169.254.170.2") == 0 ||
               strcmp(host, "169.254.170.23") == 0;
    if (n < 3 || n - 2 >= sizeof(v6) || host[0] != '[' || host[n - 1] != ']')
        return 0;
    snprintf(v6, sizeof(v6), "%.*s", (int)(n - 2), host + 1);
    if (inet_pton(AF_INET6, v6, a6) != 1 ||
        inet_pton(AF_INET6, "fd00:ec2::23", eks6) != 1)
        return 0;
    return IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a6) || memcmp(a6, eks6, 16) == 0;
}

int
dynamop_check_container_url(const char *url, struct dynamo_err *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = -1;

    if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL");
    } else if (strcmp(scheme, "https") == 0 ||
               (strcmp(scheme, "http") == 0 && host_allowed_plain(host))) {
        rc = 0;
    } else if (strcmp(scheme, "http") == 0) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI: http is only allowed to a "
                        "loopback host or the ECS/EKS agent, not '%.100s' (use https)",
                        host);
    } else {
        dynamop_err_set(
            err, DYNAMO_ERR_CONFIG,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI: scheme must be http or https");
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

/* ---- the fetches ------------------------------------------------------- */

/* The token file's contents, trailing whitespace dropped, into *OUT (new,
 * a secret).  0, or -1 with ERR. */
static int
read_token_file(const char *path, char **out, struct dynamo_err *err)
{
    char buf[DYNAMOP_CREDS_MAX_TOKEN + 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t len = 0;
    ssize_t r = 0;

    if (fd < 0) {
        dynamop_err_set(err, DYNAMO_ERR_IO,
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: open "
                        "%.160s: %s",
                        path, strerror(errno));
        return -1;
    }
    while (len < sizeof(buf) && ((r = read(fd, buf + len, sizeof(buf) - len)) > 0 ||
                                 (r < 0 && errno == EINTR)))
        len += r > 0 ? (size_t)r : 0;
    close(fd);
    if (len == sizeof(buf) || r < 0) {
        explicit_bzero(buf, sizeof(buf));
        dynamop_err_set(err, DYNAMO_ERR_IO,
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %.160s: %s", path,
                        r < 0 ? "read failed" : "larger than 16 KiB");
        return -1;
    }
    while (len > 0 && isspace((unsigned char)buf[len - 1]))
        len--;
    buf[len] = '\0';
    *out = util_strdup(buf);
    explicit_bzero(buf, sizeof(buf));
    if (*out == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    return 0;
}

/* "Authorization: TOKEN" for a container fetch into *OUT (new, a secret; NULL
 * when there is no token).  0, or -1 with ERR. */
static int
container_auth(const struct dynamop_fetch *f, char **out, struct dynamo_err *err)
{
    char *token = NULL;
    size_t n;

    *out = NULL;
    if (f->auth_token_file != NULL &&
        read_token_file(f->auth_token_file, &token, err) != 0)
        return -1;
    if (token == NULL && f->auth_token == NULL)
        return 0;
    if (!header_safe(token != NULL ? token : f->auth_token)) {
        util_free_secret(token);
        dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                        "the container authorization token is empty "
                        "or holds a line break or control character");
        return -1;
    }
    n = strlen(token != NULL ? token : f->auth_token) + 16;
    if ((*out = util_malloc(n)) != NULL)
        snprintf(*out, n, "Authorization: %s", token != NULL ? token : f->auth_token);
    util_free_secret(token);
    if (*out == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    return 0;
}

int
dynamop_fetch_container(const struct dynamop_fetch *f, struct dynamop_creds *out,
                        struct dynamo_err *err)
{
    static const char what[] = "container credentials";
    struct answer a = {0};
    char *auth = NULL;
    const char *headers[2] = {NULL, NULL};
    int rc;

    if (container_auth(f, &auth, err) != 0)
        return -1;
    headers[0] = auth;
    rc = request(f, "GET", f->url, headers, what, &a, err);
    util_free_secret(auth);
    if (rc == 0)
        rc = dynamop_creds_from_json(a.buf, a.len, what, out, err);
    answer_wipe(&a);
    return rc;
}

/* The first line of A, trimmed, if it is an IAM role name ([\w+=,.@-],
 * 1-64 characters), into OUT.  0 or -1 with ERR. */
static int
role_name(const struct answer *a, char out[65], struct dynamo_err *err)
{
    size_t n = strcspn(a->buf, "\r\n");

    while (n > 0 && isspace((unsigned char)a->buf[n - 1]))
        n--;
    if (n == 0 || n > 64) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                        "instance metadata: no IAM role is attached "
                        "to this instance");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)a->buf[i]) && strchr("_+=,.@-", a->buf[i]) == NULL) {
            dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE,
                            "instance metadata: the role name "
                            "holds a character IAM does not allow");
            return -1;
        }
    }
    memcpy(out, a->buf, n);
    out[n] = '\0';
    return 0;
}

/* GET BASE PATH with the IMDSv2 token header TOKEN_HDR into A. */
static int
imds_get(const struct dynamop_fetch *f, const char *path, const char *token_hdr,
         struct answer *a, struct dynamo_err *err)
{
    const char *headers[] = {token_hdr, NULL};
    char url[512], what[128];

    snprintf(url, sizeof(url), "%s%s", f->url, path);
    snprintf(what, sizeof(what), "instance metadata: GET %.80s", path);
    return request(f, "GET", url, headers, what, a, err);
}

int
dynamop_fetch_imds(const struct dynamop_fetch *f, struct dynamop_creds *out,
                   struct dynamo_err *err)
{
    static const char creds_path[] = "/latest/meta-data/iam/security-credentials/";
    const char *put_headers[] = {
        "X-aws-ec2-metadata-token-ttl-seconds: " DYNAMOP_IMDS_TOKEN_TTL, NULL};
    char url[512], path[sizeof(creds_path) + 64], role[65], *token_hdr;
    struct answer a = {0};
    size_t n;
    int rc = -1;

    snprintf(url, sizeof(url), "%s/latest/api/token", f->url);
    if (request(f, "PUT", url, put_headers, "instance metadata: PUT /latest/api/token",
                &a, err) != 0)
        return -1;
    while (a.len > 0 && isspace((unsigned char)a.buf[a.len - 1]))
        a.buf[--a.len] = '\0';
    if (!header_safe(a.buf)) {
        answer_wipe(&a);
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE,
                        "instance metadata: PUT "
                        "/latest/api/token: the session token is empty or not printable");
        return -1;
    }
    n = a.len + 32;
    if ((token_hdr = util_malloc(n)) != NULL)
        snprintf(token_hdr, n, "X-aws-ec2-metadata-token: %s", a.buf);
    answer_wipe(&a);
    if (token_hdr == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    if (imds_get(f, creds_path, token_hdr, &a, err) == 0 &&
        role_name(&a, role, err) == 0) {
        answer_wipe(&a);
        snprintf(path, sizeof(path), "%s%s", creds_path, role);
        if (imds_get(f, path, token_hdr, &a, err) == 0)
            rc = dynamop_creds_from_json(a.buf, a.len, "instance metadata credentials",
                                         out, err);
    }
    answer_wipe(&a);
    util_free_secret(token_hdr);
    return rc;
}

void
dynamop_fetch_release(struct dynamop_fetch *f)
{
    util_free(f->url);
    util_free_secret(f->auth_token);
    util_free(f->auth_token_file);
    memset(f, 0, sizeof(*f));
}
