/*
 * sigv4verify.c: see sigv4verify.h.  Test code: fixed buffers, and a request
 * that does not fit them simply fails to verify.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "sigv4verify.h"

int
tu_head_value(const char *head, const char *name, char *out, size_t size)
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

static void
hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static void
hmac(const void *key, size_t klen, const char *msg, size_t mlen, unsigned char out[32])
{
    unsigned int len = 32;

    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, mlen, out, &len);
}

/* The canonical request's hash (hex) for HEAD + BODY signed over the
 * headers SIGNED ("a;b;c").  Returns 0, or -1 when a signed header is
 * missing. */
static int
canonical_hash(const char *head, const char *body, size_t blen, const char *signed_hdrs,
               char out[65])
{
    char canon[8192], list[512], value[2048], body_hash[65];
    unsigned char h[32];
    char *save = NULL;
    size_t off;

    SHA256((const unsigned char *)body, blen, h);
    hex(h, 32, body_hash);
    off = (size_t)snprintf(canon, sizeof(canon), "POST\n/\n\n");
    snprintf(list, sizeof(list), "%s", signed_hdrs);
    for (char *n = strtok_r(list, ";", &save); n != NULL; n = strtok_r(NULL, ";", &save)) {
        if (tu_head_value(head, n, value, sizeof(value)) != 0 || off >= sizeof(canon))
            return -1;
        off += (size_t)snprintf(canon + off, sizeof(canon) - off, "%s:%s\n", n, value);
    }
    if (off >= sizeof(canon))
        return -1;
    snprintf(canon + off, sizeof(canon) - off, "\n%s\n%s", signed_hdrs, body_hash);
    SHA256((const unsigned char *)canon, strlen(canon), h);
    hex(h, 32, out);
    return 0;
}

int
tu_sigv4_verify(const char *head, const char *body, size_t blen, const char *secret,
                char *scope, size_t size)
{
    char auth[1024], date[32], signed_hdrs[512], canon_hash[65], sts[1024], key[256];
    char part[4][64], want[65];
    const char *cred, *sh, *sig, *p;
    unsigned char k[32];

    if (size > 0)
        scope[0] = '\0';
    if (tu_head_value(head, "Authorization", auth, sizeof(auth)) != 0 ||
        tu_head_value(head, "X-Amz-Date", date, sizeof(date)) != 0 ||
        strncmp(auth, "AWS4-HMAC-SHA256 ", 17) != 0 ||
        (cred = strstr(auth, "Credential=")) == NULL ||
        (sh = strstr(auth, "SignedHeaders=")) == NULL ||
        (sig = strstr(auth, "Signature=")) == NULL || (p = strchr(cred, '/')) == NULL)
        return 0;
    snprintf(scope, size, "%.*s", (int)strcspn(p + 1, ","), p + 1);
    snprintf(signed_hdrs, sizeof(signed_hdrs), "%.*s", (int)strcspn(sh + 14, ","), sh + 14);
    /* The scope's four parts: date, region, service, "aws4_request". */
    if (sscanf(scope, "%63[^/]/%63[^/]/%63[^/]/%63s", part[0], part[1], part[2], part[3]) != 4 ||
        strcmp(part[3], "aws4_request") != 0 || strncmp(part[0], date, 8) != 0 ||
        canonical_hash(head, body, blen, signed_hdrs, canon_hash) != 0)
        return 0;
    snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s\n%s", date, scope, canon_hash);
    snprintf(key, sizeof(key), "AWS4%s", secret);
    hmac(key, strlen(key), part[0], strlen(part[0]), k);
    for (int i = 1; i < 4; i++)
        hmac(k, 32, part[i], strlen(part[i]), k);
    hmac(k, 32, sts, strlen(sts), k);
    hex(k, 32, want);
    return strncmp(sig + 10, want, 64) == 0 && strlen(sig + 10) >= 64;
}
