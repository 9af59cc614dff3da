/*
 * json_parse.h: strict RFC 8259 JSON text, read fast (private).
 *
 * One lexer for the three readers of JSON text in ext/: the parser into
 * plain jansson values that decodes DynamoDB's answers (json_parse.c), the
 * plain JSON -> typed item parser (convert_parse.c) and the GetItem answer
 * -> plain item text transform (convert_answer.c).  Pure: bytes in, values
 * out; the text need not be NUL-terminated and nothing reads past its end.
 */
#ifndef DYNAMO_FCGI_EXT_JSON_PARSE_H
#define DYNAMO_FCGI_EXT_JSON_PARSE_H

#include <stdint.h>

#include "json_convert.h"

/* ---- lexing helpers (json_parse.c) -------------------------------------- */

/* 1 for the bytes a JSON string may hold unescaped that are one character
 * by themselves: printable ASCII but '"' and '\\' (RFC 8259 section 7). */
extern const unsigned char dynamop_json_plain[256];

/* The first byte from P on that is not JSON whitespace, or END. */
static inline const char *
dynamop_json_ws(const char *p, const char *end)
{
    /* Compact text has none: one test for the common case. */
    while (p < end && (unsigned char)*p <= ' ' &&
           (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* Enters the array or object at *PP (on its '[' or '{'), moving past it
 * and the whitespace after.  Returns 1 when it is empty (*PP past CLOSE),
 * else 0. */
static inline int
dynamop_json_open(const char **pp, const char *end, char close)
{
    const char *p = dynamop_json_ws(*pp + 1, end);
    int empty = p < end && *p == close;

    *pp = p + empty;
    return empty;
}

/* After a value inside an array or an object, at *PP: 0 past a ',' and the
 * whitespace after it, 1 past CLOSE (']' or '}'), or -1 with *PP on what
 * stands there instead (the caller reports it). */
static inline int
dynamop_json_next(const char **pp, const char *end, char close)
{
    const char *p = dynamop_json_ws(*pp, end);

    if (p < end && *p == ',') {
        *pp = dynamop_json_ws(p + 1, end);
        return 0;
    }
    *pp = p < end && *p == close ? p + 1 : p;
    return p < end && *p == close ? 1 : -1;
}

/* The first byte from Q on that is not plain (dynamop_json_plain), or
 * END.  Eight bytes a step: in a word of them, the lowest byte below 0x20,
 * '"' or '\\' sets its top bit in the "has a byte less than" and "has a
 * zero byte" tests (bytes above it may be flagged too), a byte above 0x7F
 * has its own.  Those tests usually mask with ~w, ~x and ~y to drop bytes
 * above 0x7F; here such a byte is a hit anyway (w's top bit is or-ed in),
 * and x and y share w's top bit, so the masks would change nothing. */
static inline const char *
dynamop_json_plain_run(const char *q, const char *end)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t w, x, y, m;

    while (end - q >= 8) {
        memcpy(&w, q, 8);
        x = w ^ (ones * '"');
        y = w ^ (ones * '\\');
        m = ((w - ones * 0x20) | (x - ones) | (y - ones) | w) & highs;
        if (m != 0) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return q + (__builtin_ctzll(m) >> 3);
#else
            break;
#endif
        }
        q += 8;
    }
    while (q < end && dynamop_json_plain[(unsigned char)*q])
        q++;
    return q;
}

/* dynamop_json_span from Q, on a byte above 0x7F (json_parse.c): out of
 * line, so that the ASCII case stays small where the span is inlined. */
const char *dynamop_json_span_utf8(const char *q, const char *end);

/* Skips string content that needs no decoding from Q.  Returns where a '"',
 * a '\\' or END is, or a byte no string may hold raw: a control character
 * or the start of invalid UTF-8 (dynamop_json_string_fault says which). */
static inline const char *
dynamop_json_span(const char *q, const char *end)
{
    q = dynamop_json_plain_run(q, end);
    if (q >= end || (unsigned char)*q < 0x80)
        return q;
    return dynamop_json_span_utf8(q, end);
}

/* Why a string could not be read: where, and a message. */
struct dynamop_json_fault {
    enum {
        DYNAMOP_JSON_SYNTAX, /* the text is not JSON: TEXT says why */
        DYNAMOP_JSON_FULL,   /* decoding would pass the buffer's maximum */
        DYNAMOP_JSON_NOMEM,
    } kind;
    const char *at;
    char text[96];
};

/* 1-based line and column (in UTF-8 characters) of AT in the text from
 * BASE.  Runs only on an error, so the hot paths keep no counters. */
void dynamop_json_position(const char *base, const char *at, int *line, int *col);

/* F for the string content at Q (below END) where dynamop_json_span
 * stopped on neither '"' nor '\\'; Q == END: the input ended. */
void dynamop_json_string_fault(const char *q, const char *end,
                               struct dynamop_json_fault *f);

/*
 * Decodes the escape at Q (on its '\\'; RFC 8259 section 7) into OUT as
 * UTF-8, *N bytes; a surrogate pair is one code point, "\u0000" a NUL byte
 * (callers keep lengths).  Returns the byte after the escape, or NULL with
 * F set.
 */
const char *dynamop_json_escape(const char *q, const char *end, char out[4], size_t *n,
                                struct dynamop_json_fault *f);

/* A string as read: LEN bytes at PTR in the text, or at OFF in the buffer
 * when IN_BUF (it had escapes, decoded there). */
struct dynamop_json_str {
    const char *ptr;
    size_t off;
    size_t len;
    int in_buf;
};

/*
 * Reads the string at *PP (on its opening quote) into S, decoding escapes
 * into BUF (appended; never past BUF->max), and moves *PP past the closing
 * quote.  Returns 0, or -1 with F set.
 */
int dynamop_json_string(const char **pp, const char *end, struct dynamop_buf *buf,
                        struct dynamop_json_str *s, struct dynamop_json_fault *f);

/* ---- the parser (json_parse.c) ------------------------------------------ */

/* Where and why dynamop_json_parse failed. */
struct dynamop_json_error {
    size_t position; /* byte offset of what broke the grammar */
    int line;        /* 1-based, the column in UTF-8 characters */
    int col;
    int nomem; /* 1: out of memory, not the text's fault */
    char text[128];
};

/*
 * Parses LEN bytes of JSON text as json_loadb(TEXT, LEN,
 * JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, ...) does, about ten times
 * faster: an object or an array at the top, nesting at most
 * JSON_PARSER_MAX_DEPTH, strings checked (UTF-8, escapes; "\u0000" kept as
 * a NUL byte, strings and keys carry their length), integers as
 * json_integer, other numbers as json_real, duplicate keys refused.
 * Deliberate differences (json_parse.c): an integer too big for a
 * json_int_t is a json_real here (jansson refuses it); a key holding
 * "\u0000" is kept (jansson refuses it); a NUL byte after a number or a
 * literal is refused (jansson skips it).  New reference, or NULL with
 * *ERROR set (ERROR may be NULL).
 */
json_t *dynamop_json_parse(const char *text, size_t len,
                           struct dynamop_json_error *error);

/* ---- GetItem answer -> plain item text (convert_answer.c) --------------- */

/*
 * The member FIELD of the answer BODY (LEN bytes: a DynamoDB answer such as
 * {"Item": {...}}), a typed item, as compact plain JSON text: the bytes
 * dynamo_item_to_json_text() makes of json_object_get(dynamop_decode_body(
 * BODY), FIELD), made in one pass over the text without jansson values.
 * The whole answer is checked as dynamop_decode_body checks it.  *PLAIN:
 * new (free()), NUL-terminated, *PLAIN_LEN bytes; NULL when FIELD is
 * absent.  Returns 0, or -1 with ERR set: DYNAMO_ERR_BAD_RESPONSE (not JSON,
 * not an object, not a typed item), DYNAMO_ERR_NOMEM, DYNAMO_ERR_INVALID
 * (text past 16 MiB, as dynamo_item_to_json_text).
 */
int dynamop_answer_item_text(const char *body, size_t len, const char *field,
                             char **plain, size_t *plain_len, struct dynamo_err *err);

#endif /* DYNAMO_FCGI_EXT_JSON_PARSE_H */
