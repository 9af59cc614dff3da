/*
 * http_parse.c: HTTP/1.1 response heads and chunked bodies (RFC 9112),
 * strict where a lenient reading could let a body be framed two ways
 * (request smuggling's mirror image: a response read with the wrong length
 * would hand the next call someone else's bytes).
 */
#include <string.h>
#include <strings.h>

#include "wire_parse.h"
#include "internal.h"

/* A Content-Length past this is not an answer DynamoDB gives; refusing it
 * here keeps the arithmetic below far from overflow. */
#define MAX_LENGTH 1000000000000000ULL

size_t
dynamop_http_head_len(const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;

    while (len >= 4 && (p = memchr(p, '\r', (size_t)(end - p))) != NULL) {
        if (end - p < 4)
            return 0;
        if (p[1] == '\n' && p[2] == '\r' && p[3] == '\n')
            return (size_t)(p + 4 - buf);
        p++;
    }
    return 0;
}

static int
is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* "HTTP/1.x SSS[ reason]" (LEN bytes, no CRLF).  Sets HEAD's status and,
 * for HTTP/1.0, close.  Returns 0 or -1. */
static int
status_line(const char *s, size_t len, struct dynamop_http_head *head)
{
    if (len < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') ||
        s[8] != ' ' || !is_digit(s[9]) || !is_digit(s[10]) || !is_digit(s[11]) ||
        s[9] == '0' || (len > 12 && s[12] != ' '))
        return -1;
    head->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    /* HTTP/1.0 closes unless it says keep-alive (RFC 9112 section 9.3). */
    head->close = s[7] == '0';
    return 0;
}

/* What the Connection header's comma-separated list V (LEN bytes) says,
 * tokens in any case: CONN_CLOSE when it holds "close" (which wins),
 * CONN_KEEP_ALIVE for "keep-alive", else 0.  One pass for both. */
enum { CONN_KEEP_ALIVE = 1, CONN_CLOSE = 2 };

static int
connection_option(const char *v, size_t len)
{
    size_t i = 0;
    int found = 0;

    while (i < len) {
        size_t start, stop;

        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        start = i;
        while (i < len && v[i] != ',')
            i++;
        stop = i;
        while (stop > start && (v[stop - 1] == ' ' || v[stop - 1] == '\t'))
            stop--;
        if (stop - start == 5 && strncasecmp(v + start, "close", 5) == 0)
            return CONN_CLOSE;
        if (stop - start == 10 && strncasecmp(v + start, "keep-alive", 10) == 0)
            found = CONN_KEEP_ALIVE;
    }
    return found;
}

/* Is the last transfer coding of V "chunked"?  Returns 1, 0 when V names
 * no coding at all (empty), or -1 when it ends with another coding, which
 * this client never asked for and cannot frame. */
static int
chunked_last(const char *v, size_t len)
{
    size_t stop = len, start;

    while (stop > 0 && (v[stop - 1] == ' ' || v[stop - 1] == '\t' || v[stop - 1] == ','))
        stop--;
    if (stop == 0)
        return 0;
    start = stop;
    while (start > 0 && v[start - 1] != ',' && v[start - 1] != ' ' &&
           v[start - 1] != '\t')
        start--;
    return stop - start == 7 && strncasecmp(v + start, "chunked", 7) == 0 ? 1 : -1;
}

static void
copy_value(const char *v, size_t len, char *out, size_t outsz)
{
    if (len >= outsz)
        len = outsz - 1;
    memcpy(out, v, len);
    out[len] = '\0';
}

/* Decimal digits only, at most MAX_LENGTH.  Returns 0 or -1. */
static int
parse_length(const char *v, size_t len, unsigned long long *out)
{
    unsigned long long n = 0;

    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(v[i]) || n > MAX_LENGTH / 10)
            return -1;
        n = n * 10 + (unsigned)(v[i] - '0');
    }
    if (n > MAX_LENGTH)
        return -1;
    *out = n;
    return 0;
}

/* What the head's framing headers said so far. */
struct framing {
    int has_length;
    unsigned long long length;
    int chunked; /* 1: chunked last; -1: another coding */
    int keep_alive;
};

/* One header line NAME: VALUE (VALUE without surrounding blanks).  Returns
 * 0, or -1 with *WHY. */
static int
header(const char *name, size_t nlen, const char *v, size_t vlen,
       struct dynamop_http_head *head, struct framing *f, const char **why)
{
#define IS(lit) (nlen == sizeof(lit) - 1 && strncasecmp(name, lit, nlen) == 0)
    if (IS("content-length")) {
        unsigned long long n;

        /* Two lengths that differ leave the body's end ambiguous. */
        if (parse_length(v, vlen, &n) != 0 || (f->has_length && n != f->length)) {
            *why = "bad Content-Length";
            return -1;
        }
        f->has_length = 1;
        f->length = n;
    } else if (IS("transfer-encoding")) {
        int last = chunked_last(v, vlen);

        if (last != 0)
            f->chunked = last;
    } else if (IS("connection")) {
        int option = connection_option(v, vlen);

        if (option == CONN_CLOSE)
            head->close = 2; /* wins over keep-alive */
        else if (option == CONN_KEEP_ALIVE)
            f->keep_alive = 1;
    } else if (IS("x-amzn-requestid")) {
        copy_value(v, vlen, head->request_id, sizeof(head->request_id));
    } else if (IS("x-amz-crc32")) {
        unsigned long long n;

        if (parse_length(v, vlen, &n) != 0 || n > 0xFFFFFFFFULL) {
            *why = "bad x-amz-crc32";
            return -1;
        }
        head->has_crc32 = 1;
        head->crc32 = (unsigned long)n;
    }
    return 0;
#undef IS
}

/* Settles the body's framing from F (RFC 9112 section 6.3).  Returns 0, or
 * -1 with *WHY. */
static int
settle_framing(struct dynamop_http_head *head, const struct framing *f, const char **why)
{
    if (head->close == 1 && f->keep_alive)
        head->close = 0; /* HTTP/1.0 with keep-alive */
    head->close = head->close != 0;
    if (head->status < 200 || head->status == 204 || head->status == 304) {
        head->framing = DYNAMOP_HTTP_BODY_NONE;
    } else if (f->chunked < 0) {
        *why = "unsupported Transfer-Encoding";
        return -1;
    } else if (f->chunked > 0) {
        /* Chunked wins over a Content-Length, and the connection cannot be
         * trusted after such a message (section 6.3, point 3). */
        head->framing = DYNAMOP_HTTP_BODY_CHUNKED;
        if (f->has_length)
            head->close = 1;
    } else if (f->has_length) {
        head->framing = DYNAMOP_HTTP_BODY_LENGTH;
        head->length = f->length;
    } else {
        head->framing = DYNAMOP_HTTP_BODY_EOF;
        head->close = 1;
    }
    return 0;
}

int
dynamop_http_parse_head(const char *buf, size_t head_len, struct dynamop_http_head *head,
                        const char **why)
{
    const char *p = buf, *end = buf, *eol = NULL;
    struct framing f = {0};

    *head = (struct dynamop_http_head){0};
    if (head_len >= 4) {
        end = buf + head_len - 2; /* the blank line's CR LF */
        eol = memchr(p, '\r', (size_t)(end - p));
    }
    if (eol == NULL || status_line(p, (size_t)(eol - p), head) != 0) {
        *why = "bad status line";
        return -1;
    }
    for (p = eol + 2; p < end; p = eol + 2) {
        const char *colon, *v, *vend;

        eol = memchr(p, '\r', (size_t)(end - p));
        if (eol == NULL || eol[1] != '\n') {
            *why = "bare CR in the head";
            return -1;
        }
        for (colon = p; colon < eol && dynamop_is_tchar((unsigned char)*colon); colon++)
            ;
        /* No blank before the colon, no folded lines (section 5.1, 5.2). */
        if (colon == p || colon == eol || *colon != ':') {
            *why = "bad header line";
            return -1;
        }
        for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
            ;
        for (vend = eol; vend > v && (vend[-1] == ' ' || vend[-1] == '\t'); vend--)
            ;
        /* memchr: a byte loop testing both cost a third of the parse. */
        if (memchr(v, '\0', (size_t)(vend - v)) != NULL ||
            memchr(v, '\n', (size_t)(vend - v)) != NULL) {
            *why = "bad header value";
            return -1;
        }
        if (header(p, (size_t)(colon - p), v, (size_t)(vend - v), head, &f, why) != 0)
            return -1;
    }
    return settle_framing(head, &f, why);
}

/* ---- chunked bodies (RFC 9112 section 7.1) ------------------------------ */

enum {
    CH_SIZE,    /* hex digits of a chunk size */
    CH_EXT,     /* after the size: extensions up to CR LF */
    CH_SIZE_LF, /* the LF closing a size line */
    CH_DATA,    /* LEFT bytes of data */
    CH_DATA_CR, /* the CR LF after the data */
    CH_DATA_LF,
    CH_TRAILER,    /* the start of a trailer line, or the final CR LF */
    CH_TRAILER_IN, /* inside a trailer line */
    CH_TRAILER_LF, /* the LF of a trailer line */
    CH_END_LF,     /* the final LF */
    CH_DONE,
};

static int
hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* One byte of framing (not chunk data).  Returns 0, or -1 with *WHY. */
static int
framing_byte(struct dynamop_chunked *c, char ch, size_t max_body, const char **why)
{
    int h;

    switch (c->state) {
    case CH_SIZE:
        if ((h = hex_value(ch)) >= 0) {
            /* 16 digits would overflow; the body cap is far lower anyway. */
            if (++c->digits > 15) {
                *why = "chunk size too long";
                return -1;
            }
            c->left = c->left * 16 + (unsigned)h;
            return 0;
        }
        if (c->digits == 0) {
            *why = "bad chunk size";
            return -1;
        }
        if (c->left > max_body || c->out + c->left > max_body) {
            *why = "chunked body past the cap";
            return -1;
        }
        if (ch == '\r') {
            c->state = CH_SIZE_LF;
            return 0;
        }
        if (ch == ';' || ch == ' ' || ch == '\t') {
            c->state = CH_EXT;
            return 0;
        }
        *why = "bad chunk size";
        return -1;
    case CH_EXT:
        if (ch == '\r')
            c->state = CH_SIZE_LF;
        else if (ch == '\n')
            break;
        return 0;
    case CH_SIZE_LF:
        if (ch != '\n')
            break;
        c->state = c->left > 0 ? CH_DATA : CH_TRAILER;
        return 0;
    case CH_DATA_CR:
        if (ch != '\r')
            break;
        c->state = CH_DATA_LF;
        return 0;
    case CH_DATA_LF:
        if (ch != '\n')
            break;
        c->state = CH_SIZE;
        c->digits = 0;
        c->left = 0;
        return 0;
    case CH_TRAILER:
        c->state = ch == '\r' ? CH_END_LF : CH_TRAILER_IN;
        return 0;
    case CH_TRAILER_IN:
        if (ch == '\r')
            c->state = CH_TRAILER_LF;
        return 0;
    case CH_TRAILER_LF:
        if (ch != '\n')
            break;
        c->state = CH_TRAILER;
        return 0;
    case CH_END_LF:
        if (ch != '\n')
            break;
        c->state = CH_DONE;
        return 0;
    }
    *why = "bad chunk framing";
    return -1;
}

int
dynamop_chunked_decode(struct dynamop_chunked *c, char *buf, size_t len, size_t max_body,
                       const char **why)
{
    while (c->pos < len && c->state != CH_DONE) {
        if (c->state == CH_DATA) {
            size_t n = len - c->pos;

            if (n > c->left)
                n = (size_t)c->left;
            memmove(buf + c->out, buf + c->pos, n);
            c->out += n;
            c->pos += n;
            c->left -= n;
            if (c->left == 0)
                c->state = CH_DATA_CR;
            continue;
        }
        if (framing_byte(c, buf[c->pos], max_body, why) != 0)
            return -1;
        c->pos++;
    }
    return c->state == CH_DONE;
}
