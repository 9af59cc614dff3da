/*
 * fuzz_http.c: the plain transport's HTTP/1.1 response parser
 * (ext/http_parse.h).  The input is what a server sent.  Promises checked:
 * a head is parsed or refused with a reason; a parsed head has a status in
 * 100-999, a framing from the enum, terminated strings; a chunked body
 * decodes to the same bytes and the same verdict whether it arrives at once
 * or one byte at a time (the transport sees any split recv() makes), never
 * past the cap, never using more raw bytes than it was given.
 */
#include <string.h>

#include "wire_parse.h"
#include "fuzz.h"

/* A small cap, so that the fuzzer reaches it. */
#define CAP 4096

/* Decodes RAW (LEN bytes) fed STEP bytes at a time into a private buffer.
 * Returns the verdict; the body goes to OUT (LEN bytes of room). */
static int
decode(const uint8_t *raw, size_t len, size_t step, char *out, struct dynamop_chunked *c)
{
    char *buf = malloc(len ? len : 1);
    const char *why = NULL;
    size_t have = 0;
    int rc;

    *c = (struct dynamop_chunked){0};
    do {
        size_t n = len - have < step ? len - have : step;

        memcpy(buf + have, raw + have, n);
        have += n;
        rc = dynamop_chunked_decode(c, buf, have, CAP, &why);
        FUZZ_CHECK(rc >= -1 && rc <= 1, "verdict %d", rc);
        FUZZ_CHECK(rc != -1 || (why != NULL && *why != '\0'), "refused without a reason");
        FUZZ_CHECK(c->out <= c->pos && c->pos <= have, "out %zu pos %zu have %zu", c->out,
                   c->pos, have);
        FUZZ_CHECK(c->out <= CAP, "body of %zu past the cap", c->out);
    } while (rc == 0 && have < len);
    memcpy(out, buf, c->out);
    free(buf);
    return rc;
}

static void
check_chunked(const uint8_t *data, size_t size)
{
    char *whole = malloc(size ? size : 1), *bytewise = malloc(size ? size : 1);
    struct dynamop_chunked a, b;
    int ra = decode(data, size, size ? size : 1, whole, &a);
    int rb = decode(data, size, 1, bytewise, &b);

    FUZZ_CHECK(ra == rb, "verdict %d at once, %d byte by byte", ra, rb);
    if (ra == 1) {
        FUZZ_CHECK(a.out == b.out && a.pos == b.pos, "lengths differ");
        FUZZ_CHECK(memcmp(whole, bytewise, a.out) == 0, "bodies differ");
    }
    free(whole);
    free(bytewise);
}

static void
check_head(const uint8_t *data, size_t size)
{
    size_t len = dynamop_http_head_len((const char *)data, size);
    struct dynamop_http_head h;
    const char *why = NULL;

    FUZZ_CHECK(len <= size, "head of %zu in %zu bytes", len, size);
    if (len == 0)
        return;
    FUZZ_CHECK(len >= 4 && memcmp(data + len - 4, "\r\n\r\n", 4) == 0, "head end");
    if (dynamop_http_parse_head((const char *)data, len, &h, &why) != 0) {
        FUZZ_CHECK(why != NULL && *why != '\0', "refused without a reason");
        return;
    }
    FUZZ_CHECK(h.status >= 100 && h.status <= 999, "status %ld", h.status);
    FUZZ_CHECK(h.framing <= DYNAMOP_HTTP_BODY_EOF, "framing %d", (int)h.framing);
    FUZZ_CHECK(h.close == 0 || h.close == 1, "close %d", h.close);
    FUZZ_CHECK(memchr(h.request_id, '\0', sizeof(h.request_id)) != NULL, "id unterminated");
    FUZZ_CHECK(h.framing != DYNAMOP_HTTP_BODY_EOF || h.close, "EOF body on a kept connection");
    if (h.framing == DYNAMOP_HTTP_BODY_CHUNKED || h.framing == DYNAMOP_HTTP_BODY_EOF)
        check_chunked(data + len, size - len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Copies of exactly SIZE bytes, so ASan sees a read past the end. */
    uint8_t *copy = malloc(size ? size : 1);

    memcpy(copy, data, size);
    check_head(copy, size);
    check_chunked(copy, size);
    free(copy);
    return 0;
}
