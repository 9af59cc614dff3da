/*
 * fuzz_sigv4.c: SigV4 canonicalization and signing (ext/sigv4.h).
 *
 * The input is one flags byte (bit 0: normalize the path) and then a request
 * in the test suite's request.txt form: "METHOD TARGET HTTP/1.1", header
 * lines "Name:value" (a line starting with a blank continues the previous
 * value), an empty line, the body.  TARGET is cut at its first '?' into the
 * path and the raw query.  Promises checked:
 * - dynamop_sigv4_canonical_request refuses with DYNAMO_ERR_INVALID or
 *   returns a request that starts with the method and a newline and ends in
 *   the hex SHA-256 of the body, the same bytes on a second call;
 * - an accepted request signs: string to sign, signature with and without
 *   the key cache (equal), and the Authorization header naming them.
 */
#include <string.h>

#include "ext/client/internal.h"
#include "fuzz.h"

#define MAX_HEADERS 64

struct request {
    char *copy; /* the input after the flags byte, cut in place */
    struct dynamop_header headers[MAX_HEADERS];
    struct dynamop_sigv4_request req;
};

/* The request line: METHOD, then the target up to the last space (targets
 * may hold spaces, as in get-space-*).  Returns the first header line. */
static char *
cut_request_line(struct request *r, char *p)
{
    char *eol = strchr(p, '\n'), *sp1, *sp2, *q;

    if (eol != NULL)
        *eol = '\0';
    r->req.method = p;
    r->req.path = "/";
    if ((sp1 = strchr(p, ' ')) != NULL) {
        *sp1 = '\0';
        r->req.path = sp1 + 1;
        if ((sp2 = strrchr(sp1 + 1, ' ')) != NULL)
            *sp2 = '\0';
        if ((q = strchr(sp1 + 1, '?')) != NULL) {
            *q = '\0';
            r->req.query = q + 1;
        }
    }
    return eol != NULL ? eol + 1 : NULL;
}

/* Header lines up to an empty one; a folded value keeps its raw "\n  ".
 * Returns the body, or NULL when there is none. */
static char *
cut_headers(struct request *r, char *p)
{
    char *colon, *e;

    while (p != NULL && *p != '\n' && *p != '\0' && r->req.nheaders < MAX_HEADERS) {
        e = strchr(p, '\n');
        while (e != NULL && (e[1] == ' ' || e[1] == '\t'))
            e = strchr(e + 1, '\n');
        if (e != NULL)
            *e = '\0';
        colon = strchr(p, ':');
        if (colon != NULL)
            *colon = '\0';
        r->headers[r->req.nheaders].name = p;
        r->headers[r->req.nheaders++].value = colon != NULL ? colon + 1 : "";
        p = e != NULL ? e + 1 : NULL;
    }
    return p != NULL && *p == '\n' ? p + 1 : NULL;
}

static void
check_signing(const struct dynamop_sigv4_request *req, const char *canon)
{
    static const struct dynamop_sigv4_creds creds = {
        "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, 0};
    struct dynamop_sigv4_cache cache = {0};
    struct dynamo_err err = {0};
    char *sts = NULL, *auth = NULL, sig[65], sig2[65];
    const char *date = "20150830T123600Z";

    FUZZ_CHECK(dynamop_sigv4_string_to_sign(date, "us-east-1", "dynamodb", canon, &sts,
                                            &err) == 0,
               "string to sign: %s", err.text);
    FUZZ_CHECK(dynamop_sigv4_signature(&creds, "us-east-1", "dynamodb", date, sts, &cache,
                                       sig, &err) == 0,
               "signature: %s", err.text);
    FUZZ_CHECK(dynamop_sigv4_signature(&creds, "us-east-1", "dynamodb", date, sts, NULL,
                                       sig2, &err) == 0,
               "signature without cache: %s", err.text);
    FUZZ_CHECK(strcmp(sig, sig2) == 0 && strlen(sig) == 64, "signatures differ");
    FUZZ_CHECK(dynamop_sigv4_authorization(req, &creds, "us-east-1", "dynamodb", date,
                                           &cache, &auth, &err) == 0,
               "authorization: %s", err.text);
    FUZZ_CHECK(strstr(auth, sig) != NULL, "Authorization without the signature: %s",
               auth);
    dynamop_sigv4_cache_wipe(&cache);
    util_free(sts);
    util_free(auth);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct request r;
    struct dynamo_err err = {0};
    char *canon = NULL, *again = NULL, *body, hash[65];
    size_t n;

    if (size < 1)
        return 0;
    memset(&r, 0, sizeof(r));
    r.req.normalize = data[0] & 1;
    r.copy = malloc(size);
    FUZZ_CHECK(r.copy != NULL, "malloc");
    memcpy(r.copy, data + 1, size - 1);
    r.copy[size - 1] = '\0'; /* the C strings end at the first NUL of the input */
    r.req.headers = r.headers;
    body = cut_headers(&r, cut_request_line(&r, r.copy));
    if (body != NULL) { /* every byte after the empty line, NULs included */
        r.req.body = body;
        r.req.body_len = size - 1 - (size_t)(body - r.copy);
    }
    if (dynamop_sigv4_canonical_request(&r.req, &canon, &err) != 0) {
        FUZZ_CHECK(err.code == DYNAMO_ERR_INVALID, "code %d: %s", err.code, err.text);
        FUZZ_CHECK(canon == NULL, "output on failure");
        free(r.copy);
        return 0;
    }
    n = strlen(canon);
    dynamop_sha256_hex(r.req.body != NULL ? r.req.body : "", r.req.body_len, hash);
    FUZZ_CHECK(strncmp(canon, r.req.method, strlen(r.req.method)) == 0 &&
                   canon[strlen(r.req.method)] == '\n',
               "does not start with the method:\n%s", canon);
    FUZZ_CHECK(n >= 64 && strcmp(canon + n - 64, hash) == 0, "no body hash:\n%s", canon);
    FUZZ_CHECK(dynamop_sigv4_canonical_request(&r.req, &again, &err) == 0 &&
                   strcmp(canon, again) == 0,
               "second call differs");
    check_signing(&r.req, canon);
    util_free(canon);
    util_free(again);
    free(r.copy);
    return 0;
}
