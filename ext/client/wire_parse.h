/*
 * http_parse.h: the HTTP/1.1 response parser of the plain-HTTP transport
 * (private).  No I/O: it reads bytes the caller received, so the unit tests
 * and the fuzzer feed it byte strings (as hiredis's read.c is apart from
 * net.c).  RFC 9112 sections cited where a choice is made.
 */
#ifndef DYNAMO_FCGI_EXT_HTTP_PARSE_H
#define DYNAMO_FCGI_EXT_HTTP_PARSE_H

#include <stddef.h>

/* Longest response head accepted (status line and headers). */
#define DYNAMOP_HTTP_MAX_HEAD (64u * 1024u)

/* How the body of a response is delimited (RFC 9112 section 6.3). */
enum dynamop_http_framing {
    DYNAMOP_HTTP_BODY_NONE,    /* 1xx, 204, 304: no body */
    DYNAMOP_HTTP_BODY_LENGTH,  /* Content-Length bytes */
    DYNAMOP_HTTP_BODY_CHUNKED, /* Transfer-Encoding: chunked */
    DYNAMOP_HTTP_BODY_EOF,     /* until the server closes the connection */
};

/* What a response head says. */
struct dynamop_http_head {
    long status; /* 100-999 */
    enum dynamop_http_framing framing;
    unsigned long long length; /* DYNAMOP_HTTP_BODY_LENGTH: the byte count */
    int close;                 /* the connection ends with this response */
    char request_id[64];       /* x-amzn-RequestId, "" when absent */
    int has_crc32;             /* an x-amz-crc32 header was present ... */
    unsigned long crc32;       /* ... with this value */
};

/* Length of the head at the start of BUF (LEN bytes), its closing blank line
 * included, or 0 when BUF holds no complete head yet. */
size_t dynamop_http_head_len(const char *buf, size_t len);

/* Parses the head BUF (HEAD_LEN bytes, from dynamop_http_head_len) into
 * HEAD.  Returns 0, or -1 with *WHY (a static string) saying what is wrong. */
int dynamop_http_parse_head(const char *buf, size_t head_len,
                            struct dynamop_http_head *head, const char **why);

/* A chunked body being decoded in place: raw bytes are read into a buffer
 * and the data of each chunk is moved down to OUT, so the decoded body ends
 * up contiguous at the start of the region.  Zeroed: at a body's start. */
struct dynamop_chunked {
    int state;
    unsigned long long left; /* data bytes left in the current chunk */
    size_t out;              /* decoded bytes so far (at the region's start) */
    size_t pos;              /* raw bytes consumed so far */
    int digits;              /* hex digits of the current size line */
};

/* Decodes the raw bytes BUF[C->pos .. LEN) (BUF is the region: offset 0 is
 * where the body started).  Returns 1 when the last chunk and trailers are
 * complete (C->out bytes of data at BUF, C->pos raw bytes used), 0 when more
 * bytes are needed, or -1 with *WHY on malformed framing.  A chunk larger
 * than MAX_BODY in all is refused (-1) before its data arrives. */
int dynamop_chunked_decode(struct dynamop_chunked *c, char *buf, size_t len,
                           size_t max_body, const char **why);

#endif /* DYNAMO_FCGI_EXT_HTTP_PARSE_H */
