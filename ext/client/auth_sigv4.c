/*
 * sigv4.c: AWS Signature Version 4, header variant (see sigv4.h).
 *
 * Section names in comments refer to the IAM User Guide, "Create a signed
 * AWS API request" (docs.aws.amazon.com/IAM/latest/UserGuide/
 * create-signed-request.html), steps 1-5.  Where the guide is silent (path
 * normalization, folded header values) we follow botocore and the AWS CRT,
 * whose results the vectors in shared/sigv4-test-suite/ record.
 *
 * Signing runs for every DynamoDB request, so the usual call allocates
 * nothing: the canonical request is built in a stack buffer (the heap only
 * past SCRATCH bytes), the string to sign in another, the header written
 * into the caller's buffer.  The signing key is cached per day, as an HMAC
 * context already keyed with it, next to a reused SHA-256 context; the
 * OpenSSL algorithms are fetched once per process (a fetch per call, which
 * SHA256() and HMAC() do in OpenSSL 3, cost more than the hashing).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "internal.h"
#include "auth_sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define AMZ_DATE_LEN 16
/* Headers sorted on the stack up to this count; a DynamoDB request has 5. */
#define STACK_HEADERS 32
/* The string to sign: the fixed text, the date, the scope, the 64-digit hash
 * and the NUL. */
#define STS_MAX (sizeof(ALGORITHM) + AMZ_DATE_LEN + 2 * DYNAMOP_SIGV4_NAME_MAX + 96)
/* Stack room for the canonical request: a DynamoDB one is ~400 bytes, ~2 KiB
 * with an STS session token. */
#define SCRATCH 4096

/* ---- growing string buffer with a cap (conventions 9) ---------------------- */

struct sbuf {
    char *data; /* NUL-terminated whenever len > 0 */
    size_t len;
    size_t cap;
    char *stack; /* the caller's buffer data starts in (never freed), or NULL */
};

/* B starts in the N bytes at BUF, moving to the heap only if it outgrows them. */
static void
sb_init_stack(struct sbuf *b, char *buf, size_t n)
{
    *b = (struct sbuf){buf, 0, n, buf};
    buf[0] = '\0';
}

static void
sb_drop(struct sbuf *b)
{
    if (b->data != b->stack)
        util_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* sb_reserve() when B must grow: the same contract. */
static int
sb_grow(struct sbuf *b, size_t extra, struct dynamo_err *err)
{
    size_t cap = b->cap ? b->cap : 256;
    char *p;

    if (extra > DYNAMOP_SIGV4_MAX - b->len) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID,
                        "sigv4: canonical request longer than %d bytes",
                        DYNAMOP_SIGV4_MAX);
        sb_drop(b);
        return -1;
    }
    while (cap < b->len + extra + 1)
        cap *= 2;
    if (cap > DYNAMOP_SIGV4_MAX + 1)
        cap = DYNAMOP_SIGV4_MAX + 1;
    if (b->data != NULL && b->data == b->stack)
        p = util_malloc(cap);
    else
        p = util_reallocarray(b->data, cap, 1);
    if (p == NULL) {
        dynamop_err_nomem(err);
        sb_drop(b);
        return -1;
    }
    if (b->data != NULL && b->data == b->stack) {
        memcpy(p, b->data, b->len);
        p[b->len] = '\0';
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

/* Makes room for EXTRA more bytes and the NUL.  A failure frees the buffer.
 * Returns 0, or -1: DYNAMO_ERR_INVALID past DYNAMOP_SIGV4_MAX, or NOMEM.
 * The check that usually succeeds stays small enough to inline: the
 * canonical request makes some twenty appends. */
static inline int
sb_reserve(struct sbuf *b, size_t extra, struct dynamo_err *err)
{
    /* B->cap never passes DYNAMOP_SIGV4_MAX + 1, so fitting in it is being
     * under the cap as well. */
    if (extra < b->cap - b->len)
        return 0;
    return sb_grow(b, extra, err);
}

static int
sb_add(struct sbuf *b, const void *p, size_t n, struct dynamo_err *err)
{
    if (sb_reserve(b, n, err) < 0)
        return -1;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static int
sb_addc(struct sbuf *b, char c, struct dynamo_err *err)
{
    if (sb_reserve(b, 1, err) < 0)
        return -1;
    b->data[b->len] = c;
    b->data[++b->len] = '\0';
    return 0;
}

static int
sb_adds(struct sbuf *b, const char *s, struct dynamo_err *err)
{
    return sb_add(b, s, strlen(s), err);
}

/* ---- characters --------------------------------------------------------
 * All classes are ASCII and locale-free on purpose: <ctype.h> would change
 * the signature under a non-C locale. */

static int
is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* RFC 3986, 2.3: the only bytes SigV4 leaves unencoded. */
static int
is_unreserved(unsigned char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Blanks of a header value, including the CR LF of an obs-fold. */
static int
is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static unsigned char
lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static int
hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* The two hex digits of every byte, 00 to ff, by string concatenation. */
/* clang-format off */
#define HEX_ROW(h) h "0" h "1" h "2" h "3" h "4" h "5" h "6" h "7" \
                   h "8" h "9" h "a" h "b" h "c" h "d" h "e" h "f"
/* clang-format on */

/* Lowercase hex of N bytes at P, NUL-terminated.  A byte's two digits are
 * one table entry: a signature hexes three hashes, and digit by digit that
 * cost twice as much. */
static void
to_hex(const unsigned char *p, size_t n, char *out)
{
    /* clang-format off */
    static const char pairs[] =
        HEX_ROW("0") HEX_ROW("1") HEX_ROW("2") HEX_ROW("3")
        HEX_ROW("4") HEX_ROW("5") HEX_ROW("6") HEX_ROW("7")
        HEX_ROW("8") HEX_ROW("9") HEX_ROW("a") HEX_ROW("b")
        HEX_ROW("c") HEX_ROW("d") HEX_ROW("e") HEX_ROW("f");
    /* clang-format on */
    size_t i;

    for (i = 0; i < n; i++)
        memcpy(out + 2 * i, pairs + 2 * p[i], 2);
    out[2 * n] = '\0';
}

/* ---- percent-encoding (step 1: URI-encode each component) ------------- */

/* Next byte of S (length N) at *I; with DECODE, a valid %XX counts as the
 * byte it stands for, so an already-encoded query is not encoded twice. */
static unsigned char
next_byte(const char *s, size_t n, size_t *i, int decode)
{
    unsigned char c = (unsigned char)s[*i];
    int hi, lo;

    *i += 1;
    if (!decode || c != '%' || *i + 2 > n)
        return c;
    hi = hex_value((unsigned char)s[*i]);
    lo = hex_value((unsigned char)s[*i + 1]);
    if (hi < 0 || lo < 0)
        return c;
    *i += 2;
    return (unsigned char)(hi << 4 | lo);
}

static size_t
encoded_len(const char *s, size_t n, int decode)
{
    size_t i = 0, len = 0;

    while (i < n)
        len += is_unreserved(next_byte(s, n, &i, decode)) ? 1 : 3;
    return len;
}

/* Writes S (length N) with every byte outside the unreserved set as %XX
 * (uppercase, per byte of UTF-8); OUT has room for encoded_len() bytes.
 * Returns the bytes written. */
static size_t
encode_to(char *out, const char *s, size_t n, int decode)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t i = 0, len = 0;
    unsigned char c;

    while (i < n) {
        c = next_byte(s, n, &i, decode);
        if (is_unreserved(c)) {
            out[len++] = (char)c;
            continue;
        }
        out[len++] = '%';
        out[len++] = digits[c >> 4];
        out[len++] = digits[c & 15];
    }
    return len;
}

static int
sb_add_encoded(struct sbuf *b, const char *s, size_t n, int decode,
               struct dynamo_err *err)
{
    size_t len = encoded_len(s, n, decode);

    if (sb_reserve(b, len, err) < 0)
        return -1;
    b->len += encode_to(b->data + b->len, s, n, decode);
    b->data[b->len] = '\0';
    return 0;
}

/* ---- canonical URI ------------------------------------------------------ */

/* Drops the last segment written after BASE (a ".." segment). */
static void
pop_segment(struct sbuf *b, size_t base)
{
    while (b->len > base && b->data[b->len - 1] != '/')
        b->len--;
    if (b->len > base)
        b->len--;
    b->data[b->len] = '\0';
}

/* Removes "." and ".." segments and empty ones (repeated '/'), keeps a
 * trailing '/', as botocore's and the CRT's normalization do; each kept
 * segment is encoded.  PATH is decoded, so one encoding pass gives what AWS
 * calls double encoding of the wire path (suite README, item 2). */
static int
add_normalized_path(struct sbuf *b, const char *path, struct dynamo_err *err)
{
    size_t base = b->len, n, plen = strlen(path);
    const char *seg = path, *end = path + plen;

    for (; seg < end; seg += n + 1) {
        n = strcspn(seg, "/");
        if (n == 0 || (n == 1 && seg[0] == '.'))
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.')
            pop_segment(b, base);
        else if (sb_addc(b, '/', err) < 0 || sb_add_encoded(b, seg, n, 0, err) < 0)
            return -1;
    }
    if (b->len == base || (plen > 0 && path[plen - 1] == '/'))
        return sb_addc(b, '/', err);
    return 0;
}

/* Unnormalized (S3): the path as given, encoded segment by segment. */
static int
add_plain_path(struct sbuf *b, const char *path, struct dynamo_err *err)
{
    size_t n;

    if (path[0] != '/' && sb_addc(b, '/', err) < 0)
        return -1;
    for (;;) {
        n = strcspn(path, "/");
        if (sb_add_encoded(b, path, n, 0, err) < 0)
            return -1;
        if (path[n] == '\0')
            return 0;
        if (sb_addc(b, '/', err) < 0)
            return -1;
        path += n + 1;
    }
}

/* ---- canonical query string -------------------------------------------- */

struct qpair {
    const char *key, *value; /* encoded, in the scratch buffer */
    size_t klen, vlen;
};

static int
bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);

    if (c != 0)
        return c;
    return (alen > blen) - (alen < blen);
}

/* Sorted by encoded key, then value: "Param" before "Param-3" (step 1). */
static int
qpair_cmp(const void *pa, const void *pb)
{
    const struct qpair *a = pa, *b = pb;
    int c = bytes_cmp(a->key, a->klen, b->key, b->klen);

    return c != 0 ? c : bytes_cmp(a->value, a->vlen, b->value, b->vlen);
}

/* Counts the non-empty '&'-separated pairs of Q, and sets *BYTES to an upper
 * bound of their keys and values encoded (each '=' counts as "%3D"). */
static size_t
count_pairs(const char *q, size_t *bytes)
{
    size_t n = 0, len;

    *bytes = 0;
    for (; *q != '\0'; q += len + (q[len] != '\0')) {
        len = strcspn(q, "&");
        if (len == 0)
            continue;
        n++;
        *bytes += encoded_len(q, len, 1);
    }
    return n;
}

/* Fills PAIRS from Q, encoding each key and value into SCRATCH (sized by
 * count_pairs, so it never moves).  A pair without '=' gets an empty value. */
static void
split_pairs(const char *q, struct qpair *pairs, char *scratch)
{
    size_t len, klen;
    struct qpair *p = pairs;

    for (; *q != '\0'; q += len + (q[len] != '\0')) {
        len = strcspn(q, "&");
        if (len == 0)
            continue;
        klen = strcspn(q, "=");
        klen = klen < len ? klen : len;
        p->key = scratch;
        p->klen = encode_to(scratch, q, klen, 1);
        scratch += p->klen;
        p->value = scratch;
        p->vlen = klen < len ? encode_to(scratch, q + klen + 1, len - klen - 1, 1) : 0;
        scratch += p->vlen;
        p++;
    }
}

static int
add_pairs(struct sbuf *b, const struct qpair *pairs, size_t n, struct dynamo_err *err)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if ((i > 0 && sb_addc(b, '&', err) < 0) ||
            sb_add(b, pairs[i].key, pairs[i].klen, err) < 0 || sb_addc(b, '=', err) < 0 ||
            sb_add(b, pairs[i].value, pairs[i].vlen, err) < 0)
            return -1;
    }
    return 0;
}

/* The query parameters, each part decoded then re-encoded with the
 * unreserved set, sorted; nothing for a NULL or empty QUERY. */
static int
add_query(struct sbuf *b, const char *query, struct dynamo_err *err)
{
    struct qpair *pairs;
    char *scratch;
    size_t n, bytes;
    int rc;

    if (query == NULL || (n = count_pairs(query, &bytes)) == 0)
        return 0;
    pairs = util_reallocarray(NULL, n, sizeof(*pairs));
    scratch = pairs != NULL ? util_malloc(bytes) : NULL;
    if (scratch == NULL) {
        util_free(pairs);
        dynamop_err_nomem(err);
        return -1;
    }
    split_pairs(query, pairs, scratch);
    qsort(pairs, n, sizeof(*pairs), qpair_cmp);
    rc = add_pairs(b, pairs, n, err);
    util_free(scratch);
    util_free(pairs);
    return rc;
}

/* ---- canonical headers and signed headers ------------------------------ */

static int
name_cmp(const char *a, const char *b)
{
    while (*a != '\0' && lower((unsigned char)*a) == lower((unsigned char)*b)) {
        a++;
        b++;
    }
    return (int)lower((unsigned char)*a) - (int)lower((unsigned char)*b);
}

/* By lowercase name; equal names keep their order in the request, since the
 * values of a repeated header are joined unsorted (step 1). */
static int
header_cmp(const void *pa, const void *pb)
{
    const struct dynamop_header *a = *(const struct dynamop_header *const *)pa;
    const struct dynamop_header *b = *(const struct dynamop_header *const *)pb;
    int c = name_cmp(a->name, b->name);

    return c != 0 ? c : (a > b) - (a < b);
}

/* Sorts H (N headers, in request order) as header_cmp() does.  Up to
 * STACK_HEADERS, by insertion: stable, so equal names keep request order as
 * header_cmp's tie-break does, and a list already in order (the client
 * gives its headers sorted) costs one compare per header, not qsort's
 * dozen calls. */
static void
sort_headers(const struct dynamop_header **h, size_t n)
{
    if (n > STACK_HEADERS) {
        qsort(h, n, sizeof(*h), header_cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        const struct dynamop_header *x = h[i];
        size_t j = i;

        for (; j > 0 && name_cmp(h[j - 1]->name, x->name) > 0; j--)
            h[j] = h[j - 1];
        h[j] = x;
    }
}

/* Index of the first header after I with another name. */
static size_t
next_name(const struct dynamop_header *const *h, size_t n, size_t i)
{
    size_t j = i + 1;

    while (j < n && name_cmp(h[j]->name, h[i]->name) == 0)
        j++;
    return j;
}

/* Both writers below go through a local pointer: stores through B->data
 * could alias B->len, which would then be reloaded for every byte. */
static int
add_lower(struct sbuf *b, const char *s, struct dynamo_err *err)
{
    size_t i, n = strlen(s);
    char *w;

    if (sb_reserve(b, n, err) < 0)
        return -1;
    w = b->data + b->len;
    for (i = 0; i < n; i++)
        w[i] = (char)lower((unsigned char)s[i]);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* The value trimmed, with each run of blanks (folds included) as one space:
 * "Trimall" in step 1. */
static int
add_trimmed(struct sbuf *b, const char *v, struct dynamo_err *err)
{
    char *start, *w;

    if (sb_reserve(b, strlen(v), err) < 0)
        return -1;
    start = w = b->data + b->len;
    for (;;) {
        /* Bytes above ' ' are neither blank nor the NUL: copied with one
         * test each, the usual value's whole length. */
        while ((unsigned char)*v > ' ')
            *w++ = *v++;
        if (*v == '\0')
            break;
        if (!is_blank((unsigned char)*v)) {
            *w++ = *v++; /* another control byte (check_value refuses them) */
            continue;
        }
        while (is_blank((unsigned char)*v))
            v++;
        if (*v != '\0' && w > start)
            *w++ = ' ';
    }
    *w = '\0';
    b->len = (size_t)(w - b->data);
    return 0;
}

/* "name:value1,value2\n" per distinct name, then the blank line. */
static int
add_canonical_headers(struct sbuf *b, const struct dynamop_header *const *h, size_t n,
                      struct dynamo_err *err)
{
    size_t i, j, end;

    for (i = 0; i < n; i = end) {
        end = next_name(h, n, i);
        if (add_lower(b, h[i]->name, err) < 0 || sb_addc(b, ':', err) < 0)
            return -1;
        for (j = i; j < end; j++) {
            if ((j > i && sb_addc(b, ',', err) < 0) ||
                add_trimmed(b, h[j]->value, err) < 0)
                return -1;
        }
        if (sb_addc(b, '\n', err) < 0)
            return -1;
    }
    return sb_addc(b, '\n', err);
}

/* "name1;name2" (distinct, sorted); *OFF and *LEN locate it in B for the
 * Authorization header. */
static int
add_signed_headers(struct sbuf *b, const struct dynamop_header *const *h, size_t n,
                   size_t *off, size_t *len, struct dynamo_err *err)
{
    size_t i;

    *off = b->len;
    for (i = 0; i < n; i = next_name(h, n, i)) {
        if ((i > 0 && sb_addc(b, ';', err) < 0) || add_lower(b, h[i]->name, err) < 0)
            return -1;
    }
    *len = b->len - *off;
    return 0;
}

/* Both header blocks of the canonical request, from the headers sorted in
 * a stack array (or a heap one past STACK_HEADERS). */
static int
add_headers(struct sbuf *b, const struct dynamop_sigv4_request *req, size_t *off,
            size_t *len, struct dynamo_err *err)
{
    const struct dynamop_header *stack[STACK_HEADERS];
    const struct dynamop_header **h = stack;
    size_t i;
    int rc;

    if (req->nheaders > STACK_HEADERS &&
        (h = util_reallocarray(NULL, req->nheaders, sizeof(*h))) == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    for (i = 0; i < req->nheaders; i++)
        h[i] = &req->headers[i];
    sort_headers(h, req->nheaders);
    rc = add_canonical_headers(b, h, req->nheaders, err);
    if (rc == 0)
        rc = add_signed_headers(b, h, req->nheaders, off, len, err);
    if (h != stack)
        util_free(h);
    return rc;
}

/* ---- the canonical request (step 1) ------------------------------------ */

static int
check_token(const char *s, size_t max)
{
    const char *p = s;

    /* NUL is no tchar: one test per byte finds both the end and a bad byte. */
    while (dynamop_is_tchar((unsigned char)*p))
        p++;
    return *p == '\0' && p > s && (size_t)(p - s) <= max ? 0 : -1;
}

/* Control bytes other than blanks would be smuggled into the header block. */
static int
check_value(const char *v)
{
    for (;; v++) {
        unsigned char c = (unsigned char)*v;

        if (c >= 0x20 && c != 0x7f) /* the usual byte: two tests */
            continue;
        if (c == '\0')
            return 0;
        if (!is_blank(c))
            return -1;
    }
}

static int
check_headers(const struct dynamop_sigv4_request *req, struct dynamo_err *err)
{
    const struct dynamop_header *h;
    size_t i;

    if (req->nheaders > 0 && req->headers == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "sigv4: %zu headers but no array",
                        req->nheaders);
        return -1;
    }
    for (i = 0; i < req->nheaders; i++) {
        h = &req->headers[i];
        if (h->name == NULL || check_token(h->name, DYNAMOP_SIGV4_MAX) < 0) {
            dynamop_err_set(err, DYNAMO_ERR_INVALID, "sigv4: header %zu: invalid name",
                            i);
            return -1;
        }
        if (h->value == NULL || check_value(h->value) < 0) {
            dynamop_err_set(err, DYNAMO_ERR_INVALID,
                            "sigv4: header %zu (%.40s): invalid value", i, h->name);
            return -1;
        }
    }
    return 0;
}

static int
check_request(const struct dynamop_sigv4_request *req, struct dynamo_err *err)
{
    const char *what = NULL;

    if (req == NULL)
        what = "no request";
    else if (req->method == NULL || check_token(req->method, 32) < 0)
        what = "invalid method";
    else if (req->path == NULL)
        what = "no path";
    else if (req->body == NULL && req->body_len > 0)
        what = "body_len without a body";
    if (what != NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "sigv4: %s", what);
        return -1;
    }
    return check_headers(req, err);
}

static size_t
add_capped(size_t total, size_t n)
{
    return n > DYNAMOP_SIGV4_MAX - total ? DYNAMOP_SIGV4_MAX : total + n;
}

/* An upper bound of the canonical request's size (capped), so the usual
 * request is built in one allocation. */
static size_t
estimate(const struct dynamop_sigv4_request *req)
{
    size_t i, total = strlen(req->method) + 3 * strlen(req->path) + 64 + 8;

    if (req->query != NULL)
        total = add_capped(total, 3 * strlen(req->query));
    for (i = 0; i < req->nheaders; i++) {
        total = add_capped(total, 2 * strlen(req->headers[i].name) + 3);
        total = add_capped(total, strlen(req->headers[i].value));
    }
    return total;
}

/* ---- OpenSSL: SHA-256 and HMAC-SHA256 ---------------------------------- */

static EVP_MD *sha256_md;
static EVP_MAC *hmac_mac;

static void
fetch_algorithms(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* Fetches SHA-256 and HMAC once per process (they are immutable and shared
 * between threads).  Returns 0, or -1 with ERR when OpenSSL has neither. */
static int
algorithms(struct dynamo_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, fetch_algorithms);
    if (sha256_md == NULL || hmac_mac == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_NOMEM, "sigv4: OpenSSL has no SHA256 or HMAC");
        return -1;
    }
    return 0;
}

/* CACHE's SHA-256 context, made on first use; NULL without a cache (or
 * memory), and then digest() makes a context per call. */
static EVP_MD_CTX *
cache_md(struct dynamop_sigv4_cache *cache)
{
    if (cache != NULL && cache->md == NULL)
        cache->md = EVP_MD_CTX_new();
    return cache != NULL ? cache->md : NULL;
}

/* SHA-256 of N bytes at P into MD, on CTX (reused) or, when CTX is NULL, a
 * context of its own.  Returns 0, or -1 with ERR if OpenSSL fails (it can
 * only run out of memory for a built-in digest). */
static int
digest(EVP_MD_CTX *ctx, const void *p, size_t n, unsigned char md[32],
       struct dynamo_err *err)
{
    unsigned int len = 0;
    int ok;

    if (algorithms(err) < 0)
        return -1;
    if (ctx != NULL)
        ok = EVP_DigestInit_ex(ctx, sha256_md, NULL) && EVP_DigestUpdate(ctx, p, n) &&
             EVP_DigestFinal_ex(ctx, md, &len);
    else
        ok = EVP_Digest(p, n, md, &len, sha256_md, NULL);
    if (!ok || len != 32) {
        dynamop_err_set(err, DYNAMO_ERR_NOMEM, "sigv4: SHA256 failed (OpenSSL)");
        return -1;
    }
    return 0;
}

/* Hex SHA-256 of N bytes, into OUT, as digest(). */
static int
sha256_hex(EVP_MD_CTX *ctx, const void *p, size_t n, char out[65], struct dynamo_err *err)
{
    unsigned char md[32];

    if (digest(ctx, p, n, md, err) < 0)
        return -1;
    to_hex(md, sizeof(md), out);
    return 0;
}

/* A new HMAC-SHA256 context keyed with the KLEN bytes of KEY.  New: free with
 * EVP_MAC_CTX_free; NULL with ERR. */
static EVP_MAC_CTX *
hmac_new(const void *key, size_t klen, struct dynamo_err *err)
{
    static char digest_name[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_MAC_CTX *ctx;

    if (algorithms(err) < 0)
        return NULL;
    ctx = EVP_MAC_CTX_new(hmac_mac);
    if (ctx == NULL || !EVP_MAC_init(ctx, key, klen, params)) {
        EVP_MAC_CTX_free(ctx);
        dynamop_err_set(err, DYNAMO_ERR_NOMEM, "sigv4: HMAC-SHA256 failed (OpenSSL)");
        return NULL;
    }
    return ctx;
}

/* HMAC of N bytes at MSG into OUT on CTX, keyed anew with KEY (KLEN bytes),
 * or with its current key when KEY is NULL (the keyed state is copied, not
 * recomputed).  Returns 0, or -1 with ERR. */
static int
hmac_run(EVP_MAC_CTX *ctx, const void *key, size_t klen, const void *msg, size_t n,
         unsigned char out[32], struct dynamo_err *err)
{
    size_t len = 0;

    if (!EVP_MAC_init(ctx, key, klen, NULL) || !EVP_MAC_update(ctx, msg, n) ||
        !EVP_MAC_final(ctx, out, &len, 32) || len != 32) {
        dynamop_err_set(err, DYNAMO_ERR_NOMEM, "sigv4: HMAC-SHA256 failed (OpenSSL)");
        return -1;
    }
    return 0;
}

/* Builds the canonical request into B; *SH_OFF and *SH_LEN locate the signed
 * headers.  MD (may be NULL) hashes the body.  On failure B may still hold
 * memory: the caller frees it. */
static int
canonical_into(const struct dynamop_sigv4_request *req, struct sbuf *b, EVP_MD_CTX *md,
               size_t *sh_off, size_t *sh_len, struct dynamo_err *err)
{
    char hash[65];
    int rc;

    if (check_request(req, err) < 0 ||
        sha256_hex(md, req->body ? req->body : "", req->body_len, hash, err) < 0 ||
        sb_reserve(b, estimate(req), err) < 0)
        return -1;
    if (sb_adds(b, req->method, err) < 0 || sb_addc(b, '\n', err) < 0)
        return -1;
    rc = req->normalize ? add_normalized_path(b, req->path, err)
                        : add_plain_path(b, req->path, err);
    if (rc < 0 || sb_addc(b, '\n', err) < 0 || add_query(b, req->query, err) < 0 ||
        sb_addc(b, '\n', err) < 0 || add_headers(b, req, sh_off, sh_len, err) < 0 ||
        sb_addc(b, '\n', err) < 0)
        return -1;
    return sb_add(b, hash, 64, err);
}

int
dynamop_sigv4_canonical_request(const struct dynamop_sigv4_request *req, char **out,
                                struct dynamo_err *err)
{
    struct sbuf b = {0};
    size_t off, len;

    if (out == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "sigv4: no output pointer");
        return -1;
    }
    *out = NULL;
    if (canonical_into(req, &b, NULL, &off, &len, err) < 0) {
        sb_drop(&b);
        return -1;
    }
    *out = b.data;
    return 0;
}

/* ---- string to sign (step 2) ------------------------------------------- */

/* Alphanumerics and "-_.", a bit per ASCII byte (as dynamop_is_tchar). */
static int
is_name_char(unsigned char c)
{
    static const uint32_t bits[8] = {0x00000000, 0x03ff6000, 0x87fffffe, 0x07fffffe};

    return bits[c >> 5] >> (c & 31) & 1;
}

/* Region, service or key id: the credential scope is '/'-separated and the
 * Authorization header ','-separated, so neither may appear. */
static int
check_name(const char *s)
{
    size_t n = 0;

    if (s == NULL)
        return -1;
    while (is_name_char((unsigned char)s[n])) /* NUL is none either */
        n++;
    return s[n] == '\0' && n > 0 && n <= DYNAMOP_SIGV4_NAME_MAX ? 0 : -1;
}

/* AMZ_DATE must be "YYYYMMDDTHHMMSSZ", REGION and SERVICE valid names. */
static int
check_scope(const char *amz_date, const char *region, const char *service,
            struct dynamo_err *err)
{
    size_t i;
    int ok = amz_date != NULL && strlen(amz_date) == AMZ_DATE_LEN && amz_date[8] == 'T' &&
             amz_date[15] == 'Z';

    for (i = 0; ok && i < 15; i++)
        ok = i == 8 || (amz_date[i] >= '0' && amz_date[i] <= '9');
    if (!ok) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "sigv4: amz_date not YYYYMMDDTHHMMSSZ");
        return -1;
    }
    if (check_name(region) < 0 || check_name(service) < 0) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "sigv4: invalid %s",
                        check_name(region) < 0 ? "region" : "service");
        return -1;
    }
    return 0;
}

/* Copies the N bytes at S to *P and moves *P past them. */
static void
put(char **p, const char *s, size_t n)
{
    memcpy(*p, s, n);
    *p += n;
}

#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

/* Writes the string to sign for a canonical request hashing to HASH (64 hex
 * digits) into OUT (STS_MAX bytes), NUL-terminated; returns its length.
 * Scope checked by the caller. */
static size_t
string_to_sign(char out[STS_MAX], const char *amz_date, const char *region,
               const char *service, const char hash[64])
{
    char *p = out;

    PUT_LIT(&p, ALGORITHM "\n");
    put(&p, amz_date, AMZ_DATE_LEN);
    *p++ = '\n';
    put(&p, amz_date, 8);
    *p++ = '/';
    put(&p, region, strlen(region));
    *p++ = '/';
    put(&p, service, strlen(service));
    PUT_LIT(&p, "/aws4_request\n");
    put(&p, hash, 64);
    *p = '\0';
    return (size_t)(p - out);
}

int
dynamop_sigv4_string_to_sign(const char *amz_date, const char *region,
                             const char *service, const char *canonical_request,
                             char **out, struct dynamo_err *err)
{
    char hash[65], sts[STS_MAX];
    size_t n;

    if (out == NULL || canonical_request == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "sigv4: no %s",
                        out == NULL ? "output pointer" : "canonical request");
        return -1;
    }
    *out = NULL;
    if (check_scope(amz_date, region, service, err) < 0 ||
        sha256_hex(NULL, canonical_request, strlen(canonical_request), hash, err) < 0)
        return -1;
    n = string_to_sign(sts, amz_date, region, service, hash);
    if ((*out = util_strndup(sts, n)) == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    return 0;
}

/* ---- signing key and signature (steps 3 and 4) ------------------------- */

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request") ("Derive a signing key").  Returns an HMAC context keyed
 * with it (new: free with EVP_MAC_CTX_free), or NULL with ERR.
 * Intermediates are wiped. */
static EVP_MAC_CTX *
derive_mac(const char *secret, const char *date8, const char *region, const char *service,
           struct dynamo_err *err)
{
    unsigned char ksecret[4 + DYNAMOP_SIGV4_SECRET_MAX], k1[32], k2[32];
    size_t n = strlen(secret);
    EVP_MAC_CTX *ctx;
    int rc = -1;

    memcpy(ksecret, "AWS4", 4);
    memcpy(ksecret + 4, secret, n);
    ctx = hmac_new(ksecret, 4 + n, err);
    if (ctx != NULL && hmac_run(ctx, NULL, 0, date8, 8, k1, err) == 0 &&
        hmac_run(ctx, k1, 32, region, strlen(region), k2, err) == 0 &&
        hmac_run(ctx, k2, 32, service, strlen(service), k1, err) == 0 &&
        hmac_run(ctx, k1, 32, "aws4_request", 12, k2, err) == 0) {
        if (EVP_MAC_init(ctx, k2, 32, NULL))
            rc = 0;
        else
            dynamop_err_set(err, DYNAMO_ERR_NOMEM, "sigv4: HMAC-SHA256 failed (OpenSSL)");
    }
    OPENSSL_cleanse(ksecret, sizeof(ksecret));
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    if (rc < 0) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* SHA is the secret's hash, or NULL when the generation showed the secret
 * to be the cached one. */
static int
cache_hit(const struct dynamop_sigv4_cache *c, const unsigned char *sha,
          const char *date8, const char *region, const char *service)
{
    return c->valid && c->mac != NULL && memcmp(c->date, date8, 8) == 0 &&
           strcmp(c->region, region) == 0 && strcmp(c->service, service) == 0 &&
           (sha == NULL || CRYPTO_memcmp(c->secret_sha256, sha, 32) == 0);
}

/* The HMAC keyed with the signing key for DATE8/REGION/SERVICE, from CACHE
 * when it holds it, else derived into CACHE.  The secret is hashed only
 * when GENERATION (0: unknown) does not vouch for it being the cached one:
 * that hash is a whole SHA-256 run, a tenth of a call's signing cost.
 * Borrowed: valid until CACHE changes; NULL with ERR. */
static EVP_MAC_CTX *
cached_mac(const char *secret, unsigned long generation, const char *date8,
           const char *region, const char *service, struct dynamop_sigv4_cache *cache,
           struct dynamo_err *err)
{
    unsigned char sha[32];
    int known = generation != 0 && cache->valid && cache->generation == generation;

    if (known)
        memcpy(sha, cache->secret_sha256, sizeof(sha));
    else if (digest(cache_md(cache), secret, strlen(secret), sha, err) < 0)
        return NULL;
    if (cache_hit(cache, known ? NULL : sha, date8, region, service))
        return cache->mac;
    cache->valid = 0;
    EVP_MAC_CTX_free(cache->mac);
    cache->mac = derive_mac(secret, date8, region, service, err);
    if (cache->mac == NULL)
        return NULL;
    memcpy(cache->date, date8, 8);
    memcpy(cache->region, region, strlen(region) + 1);
    memcpy(cache->service, service, strlen(service) + 1);
    memcpy(cache->secret_sha256, sha, 32);
    cache->generation = generation;
    cache->valid = 1;
    return cache->mac;
}

static int
check_creds(const struct dynamop_sigv4_creds *creds, struct dynamo_err *err)
{
    const char *what = NULL;

    if (creds == NULL)
        what = "no credentials";
    else if (check_name(creds->access_key_id) < 0)
        what = "invalid access key id";
    else if (creds->secret_access_key == NULL ||
             strlen(creds->secret_access_key) > DYNAMOP_SIGV4_SECRET_MAX)
        what = "invalid secret access key";
    if (what != NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "sigv4: %s", what);
        return -1;
    }
    return 0;
}

/* Step 4 on N bytes of STS, arguments already checked. */
static int
sign(const struct dynamop_sigv4_creds *creds, const char *region, const char *service,
     const char *amz_date, const char *sts, size_t n, struct dynamop_sigv4_cache *cache,
     char out[65], struct dynamo_err *err)
{
    const char *secret = creds->secret_access_key;
    EVP_MAC_CTX *mac = cache != NULL ? cached_mac(secret, creds->generation, amz_date,
                                                  region, service, cache, err)
                                     : derive_mac(secret, amz_date, region, service, err);
    unsigned char sig[32];
    int rc;

    if (mac == NULL)
        return -1;
    rc = hmac_run(mac, NULL, 0, sts, n, sig, err);
    if (cache == NULL)
        EVP_MAC_CTX_free(mac);
    if (rc == 0)
        to_hex(sig, sizeof(sig), out);
    return rc;
}

int
dynamop_sigv4_signature(const struct dynamop_sigv4_creds *creds, const char *region,
                        const char *service, const char *amz_date,
                        const char *string_to_sign, struct dynamop_sigv4_cache *cache,
                        char out[65], struct dynamo_err *err)
{
    if (out == NULL || string_to_sign == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "sigv4: no %s",
                        out == NULL ? "output buffer" : "string to sign");
        return -1;
    }
    out[0] = '\0';
    if (check_creds(creds, err) < 0 || check_scope(amz_date, region, service, err) < 0)
        return -1;
    return sign(creds, region, service, amz_date, string_to_sign, strlen(string_to_sign),
                cache, out, err);
}

/* ---- the Authorization header (step 5) --------------------------------- */

#define CREDENTIAL ALGORITHM " Credential="
#define SCOPE_END "/aws4_request, SignedHeaders="
#define SIGNATURE ", Signature="

/* Steps 1 to 4: the canonical request into B (the signed headers stay there,
 * at *SH_OFF for *SH_LEN bytes, for step 5) and the signature into SIG.  On
 * failure B may still hold memory: the caller frees it. */
static int
sign_request(const struct dynamop_sigv4_request *req,
             const struct dynamop_sigv4_creds *creds, const char *region,
             const char *service, const char *amz_date, struct dynamop_sigv4_cache *cache,
             struct sbuf *b, size_t *sh_off, size_t *sh_len, char sig[65],
             struct dynamo_err *err)
{
    EVP_MD_CTX *md = cache_md(cache);
    char hash[65], sts[STS_MAX];
    size_t n;

    if (check_creds(creds, err) < 0 || check_scope(amz_date, region, service, err) < 0 ||
        canonical_into(req, b, md, sh_off, sh_len, err) < 0 ||
        sha256_hex(md, b->data, b->len, hash, err) < 0)
        return -1;
    n = string_to_sign(sts, amz_date, region, service, hash);
    return sign(creds, region, service, amz_date, sts, n, cache, sig, err);
}

/* Length of the Authorization value, NUL excluded. */
static size_t
authorization_len(const char *akid, const char *region, const char *service,
                  size_t sh_len)
{
    return sizeof(CREDENTIAL) - 1 + strlen(akid) + 1 + 8 + 1 + strlen(region) + 1 +
           strlen(service) + sizeof(SCOPE_END) - 1 + sh_len + sizeof(SIGNATURE) - 1 + 64;
}

/* "AWS4-HMAC-SHA256 Credential=KEY/SCOPE, SignedHeaders=..., Signature=..."
 * into OUT, sized by authorization_len() plus the NUL. */
static void
write_authorization(char *out, const char *akid, const char *amz_date, const char *region,
                    const char *service, const char *signed_headers, size_t sh_len,
                    const char sig[65])
{
    char *p = out;

    PUT_LIT(&p, CREDENTIAL);
    put(&p, akid, strlen(akid));
    *p++ = '/';
    put(&p, amz_date, 8);
    *p++ = '/';
    put(&p, region, strlen(region));
    *p++ = '/';
    put(&p, service, strlen(service));
    PUT_LIT(&p, SCOPE_END);
    put(&p, signed_headers, sh_len);
    PUT_LIT(&p, SIGNATURE);
    put(&p, sig, 64);
    *p = '\0';
}

int
dynamop_sigv4_authorization_buf(const struct dynamop_sigv4_request *req,
                                const struct dynamop_sigv4_creds *creds,
                                const char *region, const char *service,
                                const char *amz_date, struct dynamop_sigv4_cache *cache,
                                char *out, size_t outsz, struct dynamo_err *err)
{
    char scratch[SCRATCH], sig[65];
    struct sbuf b;
    size_t sh_off = 0, sh_len = 0;
    int rc = -1;

    if (out == NULL || outsz == 0) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "sigv4: no output buffer");
        return -1;
    }
    out[0] = '\0';
    sb_init_stack(&b, scratch, sizeof(scratch));
    if (sign_request(req, creds, region, service, amz_date, cache, &b, &sh_off, &sh_len,
                     sig, err) < 0)
        goto out;
    if (authorization_len(creds->access_key_id, region, service, sh_len) >= outsz) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID,
                        "sigv4: Authorization header longer than %zu bytes", outsz - 1);
        goto out;
    }
    write_authorization(out, creds->access_key_id, amz_date, region, service,
                        b.data + sh_off, sh_len, sig);
    rc = 0;
out:
    sb_drop(&b);
    return rc;
}

int
dynamop_sigv4_authorization(const struct dynamop_sigv4_request *req,
                            const struct dynamop_sigv4_creds *creds, const char *region,
                            const char *service, const char *amz_date,
                            struct dynamop_sigv4_cache *cache, char **out,
                            struct dynamo_err *err)
{
    char scratch[SCRATCH], sig[65];
    struct sbuf b;
    size_t sh_off = 0, sh_len = 0;

    if (out == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "sigv4: no output pointer");
        return -1;
    }
    *out = NULL;
    sb_init_stack(&b, scratch, sizeof(scratch));
    if (sign_request(req, creds, region, service, amz_date, cache, &b, &sh_off, &sh_len,
                     sig, err) == 0) {
        *out = util_malloc(
            authorization_len(creds->access_key_id, region, service, sh_len) + 1);
        if (*out == NULL)
            dynamop_err_nomem(err);
        else
            write_authorization(*out, creds->access_key_id, amz_date, region, service,
                                b.data + sh_off, sh_len, sig);
    }
    sb_drop(&b);
    return *out != NULL ? 0 : -1;
}

void
dynamop_sigv4_amz_date(time_t t, char out[17])
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 ||
        strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != AMZ_DATE_LEN)
        out[0] = '\0';
}

void
dynamop_sha256_hex(const void *data, size_t len, char out[65])
{
    if (sha256_hex(NULL, data != NULL ? data : "", len, out, NULL) < 0)
        out[0] = '\0';
}

void
dynamop_sigv4_cache_wipe(struct dynamop_sigv4_cache *cache)
{
    if (cache == NULL)
        return;
    EVP_MAC_CTX_free(cache->mac); /* cleanses the keyed state */
    EVP_MD_CTX_free(cache->md);
    OPENSSL_cleanse(cache, sizeof(*cache));
}
