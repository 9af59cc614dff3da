/*
 * json_parse.c: JSON text -> jansson values, fast and strict (RFC 8259).
 *
 * DynamoDB answers are parsed here instead of by jansson's json_loadb,
 * which reads a byte at a time through a stream with a UTF-8 check and a
 * saved-text buffer per byte: about 230 instructions a byte of a GetItem
 * answer, half of a whole client call.  This recursive-descent parser
 * builds the same values from spans of the input (a string without escapes
 * is copied once, straight into jansson), in about a tenth of that.
 *
 * What it accepts is what json_loadb(text, len, JSON_REJECT_DUPLICATES |
 * JSON_ALLOW_NUL) accepts, value for value (the same bytes once dumped),
 * and tests/unit/check_json_parse.c and fuzz/fuzz_json_parse.c hold it to
 * that:
 * - an object or an array at the top, and nothing after it but whitespace;
 * - nesting: a value deeper than JSON_PARSER_MAX_DEPTH (2048) is refused;
 * - strings: well-formed UTF-8, no raw control characters, escapes as
 *   section 7 lists them, surrogates only in pairs; "\u0000" is a NUL
 *   byte inside the string, which keeps its length (json_string_length):
 *   DynamoDB stores strings holding U+0000 and answers them escaped so;
 * - numbers: section 6's grammar; integers as json_integer, the rest as
 *   json_real through strtod, a real past a double's range refused;
 * - duplicate keys refused (checked before the value is read, as there).
 * Three deliberate differences:
 * - an integer that does not fit a json_int_t becomes a json_real; jansson
 *   refuses it ("too big integer");
 * - a key holding "\u0000" is kept, with its length (json_object_setn, read
 *   back with json_object_iter_key_len / json_object_getn); jansson refuses
 *   it even with JSON_ALLOW_NUL ("NUL byte in object key not supported"),
 *   but DynamoDB takes such attribute names;
 * - a NUL byte right after a number or a literal ("[1\0]") is refused;
 *   jansson skips it (its stream takes the pushed-back NUL for an empty
 *   buffer and reads on).
 * Errors give the byte offset of what broke the grammar (jansson's give
 * where its lexer stood, at or after it), line, column and a reason.
 *
 * The lexing helpers (json_parse.h) serve convert_parse.c and
 * convert_answer.c too.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json_parse.h"

/* ---- lexing helpers ---------------------------------------------------- */

/* Printable ASCII (and DEL) but '"' (0x22) and '\\' (0x5C); a row per 16. */
/* clang-format off */
const unsigned char dynamop_json_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
/* clang-format on */

void
dynamop_json_position(const char *base, const char *at, int *line, int *col)
{
    const char *q;

    *line = *col = 1;
    for (q = base; q < at; q++) {
        if (*q == '\n') {
            *line += *line < INT_MAX;
            *col = 1;
        } else if ((*q & 0xC0) != 0x80) {
            *col += *col < INT_MAX;
        }
    }
}

static void fault(struct dynamop_json_fault *f, const char *at, const char *fmt, ...)
    DYNAMO_PRINTF(3, 4);

static void
fault(struct dynamop_json_fault *f, const char *at, const char *fmt, ...)
{
    va_list ap;

    f->kind = DYNAMOP_JSON_SYNTAX;
    f->at = at;
    va_start(ap, fmt);
    vsnprintf(f->text, sizeof(f->text), fmt, ap);
    va_end(ap);
}

void
dynamop_json_string_fault(const char *q, const char *end, struct dynamop_json_fault *f)
{
    unsigned char c = q < end ? (unsigned char)*q : 0;

    if (q >= end)
        fault(f, q, "unexpected end of input in a string");
    else if (c < 0x20)
        fault(f, q, "control character U+%04X in a string must be escaped", c);
    else
        fault(f, q, "invalid UTF-8 in a string");
}

/* The four hex digits at S, or -1. */
static long
hex4(const char *s, const char *end)
{
    long v = 0;
    int i;

    if (end - s < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        char c = s[i];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* Code point CP (at most U+10FFFF, no surrogate) as UTF-8 into OUT;
 * returns the length. */
static size_t
utf8_put(long cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The \uXXXX escape at AT (a surrogate pair takes two) into OUT.  Returns
 * the byte after it, or NULL with F set. */
static const char *
unicode_escape(const char *at, const char *end, char out[4], size_t *n,
               struct dynamop_json_fault *f)
{
    long cp = hex4(at + 2, end), lo;
    const char *q = at + 6;

    if (cp < 0)
        return fault(f, at, "expected four hex digits after \\u"), NULL;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fault(f, at, "lone low surrogate \\u%04lX", cp), NULL;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (end - q < 2 || q[0] != '\\' || q[1] != 'u' ||
            (lo = hex4(q + 2, end)) < 0xDC00 || lo > 0xDFFF)
            return fault(f, at, "lone high surrogate \\u%04lX", cp), NULL;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        q += 6;
    }
    *n = utf8_put(cp, out);
    return q;
}

const char *
dynamop_json_span_utf8(const char *q, const char *end)
{
    size_t n;

    for (;;) {
        n = dynamop_utf8_len((const unsigned char *)q, (const unsigned char *)end);
        if (n == 0)
            return q;
        q = dynamop_json_plain_run(q + n, end);
        if (q >= end || (unsigned char)*q < 0x80)
            return q;
    }
}

const char *
dynamop_json_escape(const char *q, const char *end, char out[4], size_t *n,
                    struct dynamop_json_fault *f)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit;
    unsigned char c;

    if (end - q < 2)
        return fault(f, end, "unexpected end of input in a string"), NULL;
    if (q[1] == 'u')
        return unicode_escape(q, end, out, n, f);
    hit = q[1] != '\0' ? strchr(from, q[1]) : NULL;
    if (hit != NULL) {
        out[0] = to[hit - from];
        *n = 1;
        return q + 2;
    }
    c = (unsigned char)q[1];
    if (c >= 0x20 && c < 0x7f)
        fault(f, q, "invalid escape '\\%c'", c);
    else
        fault(f, q, "invalid escape: byte 0x%02X after '\\'", c);
    return NULL;
}

/* Appends N bytes at S to BUF, for the string that starts at AT.  Returns
 * 0, or -1 with F set (FULL: past BUF->max; NOMEM). */
static int
put(struct dynamop_buf *buf, const char *at, const char *s, size_t n,
    struct dynamop_json_fault *f)
{
    if (n > buf->max - buf->len) {
        f->kind = DYNAMOP_JSON_FULL;
        f->at = at;
        return -1;
    }
    if (dynamop_buf_put(buf, s, n) != DYNAMO_OK) {
        f->kind = DYNAMOP_JSON_NOMEM;
        f->at = at;
        return -1;
    }
    return 0;
}

/* A string with escapes, its content from START, decoded into BUF from Q
 * (its first '\\') on.  Returns its closing quote, or NULL with F set. */
static const char *
decode_rest(const char *q, const char *end, const char *start, struct dynamop_buf *buf,
            struct dynamop_json_fault *f)
{
    const char *run = start;
    char out[4];
    size_t n;

    while (q < end && *q == '\\') {
        if (put(buf, start, run, (size_t)(q - run), f) != 0 ||
            (q = dynamop_json_escape(q, end, out, &n, f)) == NULL ||
            put(buf, start, out, n, f) != 0)
            return NULL;
        run = q;
        q = dynamop_json_span(q, end);
    }
    if (q >= end || *q != '"')
        return dynamop_json_string_fault(q, end, f), NULL;
    return put(buf, start, run, (size_t)(q - run), f) == 0 ? q : NULL;
}

int
dynamop_json_string(const char **pp, const char *end, struct dynamop_buf *buf,
                    struct dynamop_json_str *s, struct dynamop_json_fault *f)
{
    const char *start = *pp + 1, *q = dynamop_json_span(start, end);

    s->ptr = start;
    s->off = buf->len;
    s->in_buf = q < end && *q == '\\';
    if (s->in_buf) {
        if ((q = decode_rest(q, end, start, buf, f)) == NULL)
            return -1;
        s->len = buf->len - s->off;
    } else if (q >= end || *q != '"') {
        dynamop_json_string_fault(q, end, f);
        return -1;
    } else {
        s->len = (size_t)(q - start);
    }
    *pp = q + 1;
    return 0;
}

/* ---- the parser -------------------------------------------------------- */

struct parser {
    const char *base; /* the whole text, for positions */
    const char *p;    /* the next byte */
    const char *end;
    struct dynamop_buf buf; /* decoded keys of the open levels, then a string */
    struct dynamop_json_error *error;
    int failed;
};

static json_t *parse_value(struct parser *P, size_t depth);

static void syntax_error(struct parser *P, const char *at, const char *fmt, ...)
    DYNAMO_PRINTF(3, 4);

/* Records the first error, at AT. */
static void
syntax_error(struct parser *P, const char *at, const char *fmt, ...)
{
    struct dynamop_json_error *e = P->error;
    va_list ap;

    if (P->failed++ || e == NULL)
        return;
    e->position = (size_t)(at - P->base);
    dynamop_json_position(P->base, at, &e->line, &e->col);
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof(e->text), fmt, ap);
    va_end(ap);
}

/* Out of memory at P->p; NULL. */
static json_t *
nomem(struct parser *P)
{
    if (P->failed == 0 && P->error != NULL)
        P->error->nomem = 1;
    syntax_error(P, P->p, "out of memory");
    return NULL;
}

/* "expected WHAT" at P->p, saying so when the input ended; NULL. */
static json_t *
expected(struct parser *P, const char *what)
{
    if (P->p >= P->end)
        syntax_error(P, P->p, "unexpected end of input, expected %s", what);
    else
        syntax_error(P, P->p, "expected %s", what);
    return NULL;
}

/* Reads the string at P->p into S.  Returns 0, or -1 with the error set. */
static int
read_string(struct parser *P, struct dynamop_json_str *s)
{
    struct dynamop_json_fault f;

    if (dynamop_json_string(&P->p, P->end, &P->buf, s, &f) == 0)
        return 0;
    if (f.kind == DYNAMOP_JSON_SYNTAX)
        syntax_error(P, f.at, "%s", f.text);
    else
        nomem(P); /* the buffer has no maximum but memory */
    return -1;
}

static json_t *
parse_string(struct parser *P)
{
    struct dynamop_json_str s;
    json_t *v;

    if (read_string(P, &s) != 0)
        return NULL;
    v = json_stringn_nocheck(s.in_buf ? P->buf.data + s.off : s.ptr, s.len);
    P->buf.len = s.off;
    return v != NULL ? v : nomem(P);
}

static json_t *
parse_number(struct parser *P)
{
    const char *at = P->p, *why;
    struct dynamop_num num;
    enum dynamo_code code;
    json_t *v;
    size_t bad;

    why = dynamop_num_scan(at, (size_t)(P->end - at), &num, &bad);
    if (why != NULL)
        return syntax_error(P, at + bad, "invalid number: %s", why), NULL;
    if ((v = dynamop_num_json(at, &num, &code)) == NULL) {
        if (code == DYNAMO_ERR_NOMEM)
            return nomem(P);
        return syntax_error(P, at, "number out of range of a double"), NULL;
    }
    P->p += num.len;
    return v;
}

/* true, false or null: WORD (N bytes) as V. */
static json_t *
parse_literal(struct parser *P, const char *word, size_t n, json_t *v)
{
    if ((size_t)(P->end - P->p) < n || memcmp(P->p, word, n) != 0)
        return syntax_error(P, P->p, "invalid literal, expected '%s'", word), NULL;
    P->p += n;
    return v;
}

/* After an element or a member: 1 past CLOSE, 0 past ',', -1 with the
 * error set (WHAT was expected). */
static int
next_or_close(struct parser *P, char close, const char *what)
{
    int r = dynamop_json_next(&P->p, P->end, close);

    if (r < 0)
        expected(P, what);
    return r;
}

/* The array at P->p ('['); its elements are at DEPTH + 1. */
static json_t *
parse_array(struct parser *P, size_t depth)
{
    json_t *arr = json_array(), *v;
    int r = 0;

    if (arr == NULL)
        return nomem(P);
    if (dynamop_json_open(&P->p, P->end, ']'))
        return arr;
    while (r == 0) {
        v = parse_value(P, depth + 1);
        if (v == NULL || json_array_append_new(arr, v) != 0) {
            if (v != NULL)
                nomem(P);
            break;
        }
        r = next_or_close(P, ']', "',' or ']'");
    }
    if (r > 0)
        return arr;
    json_decref(arr);
    return NULL;
}

/* One "key": value of an object into OBJ, the value at DEPTH.  Returns 0,
 * or -1 with the error set. */
static int
parse_member(struct parser *P, json_t *obj, size_t depth)
{
    const char *at = P->p;
    struct dynamop_json_str k;
    json_t *v = NULL;
    int rc = -1;

    if (P->p >= P->end || *P->p != '"')
        return expected(P, "a string (an object key)"), -1;
    if (read_string(P, &k) != 0)
        return -1;
    /* The first key needs no look-up; later ones are checked before their
     * value is read, so that the error is the first in reading order. */
    if (json_object_size(obj) > 0 &&
        json_object_getn(obj, k.in_buf ? P->buf.data + k.off : k.ptr, k.len) != NULL) {
        syntax_error(P, at, "duplicate object key");
        goto out;
    }
    P->p = dynamop_json_ws(P->p, P->end);
    if (P->p >= P->end || *P->p != ':') {
        expected(P, "':'");
        goto out;
    }
    P->p = dynamop_json_ws(P->p + 1, P->end);
    if ((v = parse_value(P, depth)) == NULL)
        goto out;
    /* The key's bytes may have moved with the buffer: read them now. */
    if (json_object_setn_new_nocheck(obj, k.in_buf ? P->buf.data + k.off : k.ptr, k.len,
                                     v) != 0) {
        nomem(P);
        goto out;
    }
    rc = 0;
out:
    P->buf.len = k.off;
    return rc;
}

/* The object at P->p ('{'); its values are at DEPTH + 1. */
static json_t *
parse_object(struct parser *P, size_t depth)
{
    json_t *obj = json_object();
    int r = 0;

    if (obj == NULL)
        return nomem(P);
    if (dynamop_json_open(&P->p, P->end, '}'))
        return obj;
    while (r == 0 && parse_member(P, obj, depth + 1) == 0)
        r = next_or_close(P, '}', "',' or '}'");
    if (r > 0)
        return obj;
    json_decref(obj);
    return NULL;
}

/* The value at P->p (whitespace skipped), at DEPTH (the top value is 1). */
static json_t *
parse_value(struct parser *P, size_t depth)
{
    if (P->p >= P->end)
        return expected(P, "a value");
    if (depth > JSON_PARSER_MAX_DEPTH)
        return syntax_error(P, P->p, "nested deeper than %d levels",
                            JSON_PARSER_MAX_DEPTH),
               NULL;
    switch (*P->p) {
    case '{':
        return parse_object(P, depth);
    case '[':
        return parse_array(P, depth);
    case '"':
        return parse_string(P);
    case 't':
        return parse_literal(P, "true", 4, json_true());
    case 'f':
        return parse_literal(P, "false", 5, json_false());
    case 'n':
        return parse_literal(P, "null", 4, json_null());
    default:
        if (*P->p == '-' || (*P->p >= '0' && *P->p <= '9'))
            return parse_number(P);
        return expected(P, "a value");
    }
}

json_t *
dynamop_json_parse(const char *text, size_t len, struct dynamop_json_error *error)
{
    struct parser P = {.error = error, .buf = {.max = SIZE_MAX}};
    json_t *v = NULL;

    if (error != NULL)
        memset(error, 0, sizeof(*error));
    P.base = text != NULL ? text : "";
    P.end = P.base + (text != NULL ? len : 0);
    P.p = dynamop_json_ws(P.base, P.end);
    if (P.p >= P.end || (*P.p != '{' && *P.p != '['))
        expected(&P, "'{' or '['");
    else if ((v = parse_value(&P, 1)) != NULL &&
             (P.p = dynamop_json_ws(P.p, P.end)) < P.end) {
        syntax_error(&P, P.p, "unexpected text after the value");
        json_decref(v);
        v = NULL;
    }
    util_free(P.buf.data);
    return v;
}
