/*
 * convert_parse.c: plain JSON text -> DynamoDB typed item, in one pass.
 *
 * A strict RFC 8259 recursive-descent parser that builds the typed jansson
 * values directly.  jansson's own loader is not used: it turns numbers into
 * doubles or long longs and loses their text, while N must keep the digits
 * exactly as written.
 *
 * Decisions:
 * - "\u0000" is a NUL byte, in a value or an attribute name, as DynamoDB
 *   stores it: strings and names are built with their length (json_stringn,
 *   json_object_setn), so nothing downstream that keeps lengths cuts them
 *   (dynamo_client.h says so to the caller).
 * - Syntax errors read "line L, column C: reason" and fill err->line and
 *   err->col (1-based; columns count UTF-8 characters).  Errors about a
 *   value (DynamoDB's limits) read "attribute 'a.b[2]': reason"; they fill
 *   err->line and err->col too, with the position of the value.
 * - The item size is estimated as "Item sizes and formats" describes it
 *   (names and values in UTF-8 bytes, numbers 1 byte per two significant
 *   digits plus 1, BOOL and NULL 1, L and M 3 plus 1 per element) and
 *   checked as the parse goes, so an oversized body stops early.
 *
 * Never reads past LEN; the text need not be NUL-terminated.  Strings
 * without escapes (the common case) go from the input to jansson with one
 * copy; escaped ones are decoded into a buffer that also keeps the escaped
 * keys of the open levels, for the error paths.  The lexing (strings,
 * escapes, UTF-8, whitespace) is json_parse.h's, shared with the parser of
 * DynamoDB's answers.
 */
#include <stdio.h>
#include <string.h>

#include "json_parse.h"

struct parser {
    const char *base; /* the whole text, for line and column */
    const char *p;    /* the next byte */
    const char *end;
    struct dynamo_err *err;
    size_t size; /* item size so far */
    struct dynamop_buf
        buf; /* escaped keys of open levels, then the string being decoded */
    struct dynamop_path path;
};

static json_t *parse_value(struct parser *P, int depth);

/* ---- errors ------------------------------------------------------------ */

static void syntax_error(struct parser *P, const char *at, const char *fmt, ...)
    DYNAMO_PRINTF(3, 4);

static void
syntax_error(struct parser *P, const char *at, const char *fmt, ...)
{
    char msg[sizeof(P->err->text)];
    int line, col;
    va_list ap;

    if (P->err == NULL || P->err->code != DYNAMO_OK)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dynamop_json_position(P->base, at, &line, &col);
    P->err->line = line;
    P->err->col = col;
    dynamop_err_set(P->err, DYNAMO_ERR_INVALID, "line %d, column %d: %s", line, col, msg);
}

/* An error about the value at AT, named by the current path. */
static void
value_error(struct parser *P, const char *at, const char *msg)
{
    if (P->err == NULL || P->err->code != DYNAMO_OK)
        return;
    dynamop_json_position(P->base, at, &P->err->line, &P->err->col);
    dynamop_path_err(P->err, DYNAMO_ERR_INVALID, &P->path, P->buf.data, "%s", msg);
}

/* "expected WHAT" at P->p, saying so when the input ended.  Returns -1. */
static int
expected(struct parser *P, const char *what)
{
    if (P->p >= P->end)
        syntax_error(P, P->p, "unexpected end of input, expected %s", what);
    else
        syntax_error(P, P->p, "expected %s", what);
    return -1;
}

/* Adds N bytes at AT to the item size.  Returns 0, or -1 past 400 KB. */
static int
add_size(struct parser *P, size_t n, const char *at)
{
    P->size += n < DYNAMOP_MAX_ITEM_SIZE ? n : DYNAMOP_MAX_ITEM_SIZE + 1;
    if (P->size <= DYNAMOP_MAX_ITEM_SIZE)
        return 0;
    value_error(P, at, "item is larger than 400 KB");
    return -1;
}

/* {TAG: V}, V taken; NULL with ERR set (V NULL means an error is set). */
static json_t *
typed(struct parser *P, const char *tag, json_t *v)
{
    json_t *t = v != NULL ? dynamop_typed_new(tag, v) : NULL;

    if (t == NULL)
        dynamop_err_nomem(P->err); /* kept only when nothing came first */
    return t;
}

/* ---- strings (RFC 8259 section 7) -------------------------------------- */

static void
skip_ws(struct parser *P)
{
    P->p = dynamop_json_ws(P->p, P->end);
}

/* Reads the string at P->p (on its opening quote) into S, escapes decoded
 * into P->buf (whose cap is the item limit: the decoded keys of the open
 * levels and the current string all count in the item size), and moves
 * past its closing quote.  Returns 0, or -1 with ERR set. */
static int
scan_string(struct parser *P, struct dynamop_json_str *s)
{
    struct dynamop_json_fault f;

    if (dynamop_json_string(&P->p, P->end, &P->buf, s, &f) == 0)
        return 0;
    if (f.kind == DYNAMOP_JSON_SYNTAX)
        syntax_error(P, f.at, "%s", f.text);
    else if (f.kind == DYNAMOP_JSON_FULL)
        value_error(P, f.at, "item is larger than 400 KB");
    else
        dynamop_err_nomem(P->err);
    return -1;
}

/* ---- values (RFC 8259 sections 3-6) ------------------------------------ */

static json_t *
parse_string_value(struct parser *P)
{
    const char *at = P->p;
    json_t *v = NULL;
    struct dynamop_json_str s;

    if (scan_string(P, &s) != 0)
        return NULL;
    if (add_size(P, s.len, at) == 0)
        v = json_stringn_nocheck(s.in_buf ? P->buf.data + s.off : s.ptr, s.len);
    P->buf.len = s.off;
    return typed(P, "S", v);
}

static json_t *
parse_number(struct parser *P)
{
    const char *at = P->p, *why;
    struct dynamop_num num;
    size_t bad;

    why = dynamop_num_scan(at, (size_t)(P->end - at), &num, &bad);
    if (why != NULL)
        return syntax_error(P, at + bad, "invalid number: %s", why), NULL;
    if ((why = dynamop_num_limits(&num)) != NULL)
        return value_error(P, at, why), NULL;
    if (add_size(P, dynamop_num_size(&num), at) != 0)
        return NULL;
    P->p += num.len;
    return typed(P, "N", json_stringn_nocheck(at, num.len));
}

/* true, false or null: WORD (N bytes) as {TAG: V}. */
static json_t *
parse_literal(struct parser *P, const char *word, size_t n, const char *tag, json_t *v)
{
    if ((size_t)(P->end - P->p) < n || memcmp(P->p, word, n) != 0)
        return syntax_error(P, P->p, "invalid literal, expected '%s'", word), NULL;
    if (add_size(P, 1, P->p) != 0)
        return NULL;
    P->p += n;
    return typed(P, tag, v);
}

/* The array at P->p ('[') as a plain array of typed values. */
static json_t *
parse_elements(struct parser *P, int depth)
{
    json_t *arr = json_array(), *v;
    size_t i;

    if (arr == NULL) {
        dynamop_err_nomem(P->err);
        return NULL;
    }
    P->p++;
    skip_ws(P);
    if (P->p < P->end && *P->p == ']') {
        P->p++;
        return arr;
    }
    for (i = 0;; i++) {
        dynamop_path_index(&P->path, i);
        v = add_size(P, 1, P->p) == 0 ? parse_value(P, depth) : NULL;
        P->path.n--;
        if (json_array_append_new(arr, v) != 0) {
            dynamop_err_nomem(P->err);
            break;
        }
        skip_ws(P);
        if (P->p < P->end && *P->p == ',') {
            P->p++;
        } else if (P->p < P->end && *P->p == ']') {
            P->p++;
            return arr;
        } else {
            expected(P, "',' or ']'");
            break;
        }
    }
    json_decref(arr);
    return NULL;
}

/* One "name": value of an object into OBJ.  Returns 0, or -1 with ERR
 * set. */
static int
parse_member(struct parser *P, json_t *obj, int depth, int nested)
{
    size_t before = json_object_size(obj);
    const char *at;
    char where[160];
    struct dynamop_json_str k;
    json_t *v;
    int rc = -1;

    skip_ws(P);
    if (P->p >= P->end || *P->p != '"')
        return expected(P, "an attribute name in double quotes");
    at = P->p;
    if (scan_string(P, &k) != 0)
        return -1;
    P->path.f[P->path.n++] = (struct dynamop_frame){
        .kind = k.in_buf ? DYNAMOP_FRAME_KEY_OFF : DYNAMOP_FRAME_KEY,
        .key = k.ptr,
        .off = k.off,
        .len = k.len};
    skip_ws(P);
    if (k.len == 0 || k.len > DYNAMOP_MAX_NAME) {
        syntax_error(P, at,
                     k.len == 0 ? "empty attribute name"
                                : "attribute name longer than 65535 bytes");
        goto out;
    }
    if (P->p >= P->end || *P->p != ':') {
        expected(P, "':'");
        goto out;
    }
    P->p++;
    if (add_size(P, k.len + (size_t)nested, at) != 0 ||
        (v = parse_value(P, depth)) == NULL)
        goto out;
    if (json_object_setn_new_nocheck(obj, k.in_buf ? P->buf.data + k.off : k.ptr, k.len,
                                     v)) {
        dynamop_err_nomem(P->err);
        goto out;
    }
    if (json_object_size(obj) == before) {
        dynamop_path_format(&P->path, P->buf.data, where, sizeof(where));
        syntax_error(P, at, "duplicate attribute '%s'", where);
        goto out;
    }
    rc = 0;
out:
    P->path.n--;
    P->buf.len = k.off;
    return rc;
}

/* The object at P->p ('{') as a plain object of typed values: the item
 * (NESTED 0) or the inside of an M (NESTED 1: a byte more per member). */
static json_t *
parse_members(struct parser *P, int depth, int nested)
{
    json_t *obj = json_object();

    if (obj == NULL) {
        dynamop_err_nomem(P->err);
        return NULL;
    }
    P->p++;
    skip_ws(P);
    if (P->p < P->end && *P->p == '}') {
        P->p++;
        return obj;
    }
    while (parse_member(P, obj, depth, nested) == 0) {
        skip_ws(P);
        if (P->p < P->end && *P->p == ',') {
            P->p++;
            continue;
        }
        if (P->p < P->end && *P->p == '}') {
            P->p++;
            return obj;
        }
        expected(P, "',' or '}'");
        break;
    }
    json_decref(obj);
    return NULL;
}

/* The value at P->p, typed; DEPTH counts the L / M levels around it. */
static json_t *
parse_value(struct parser *P, int depth)
{
    const char *at;

    skip_ws(P);
    if (P->p >= P->end)
        return expected(P, "a value"), NULL;
    at = P->p;
    switch (*at) {
    case '{':
    case '[':
        if (depth >= DYNAMOP_MAX_DEPTH)
            return value_error(P, at, "nested deeper than 32 levels"), NULL;
        if (add_size(P, 3, at) != 0)
            return NULL;
        if (*at == '{')
            return typed(P, "M", parse_members(P, depth + 1, 1));
        return typed(P, "L", parse_elements(P, depth + 1));
    case '"':
        return parse_string_value(P);
    case 't':
        return parse_literal(P, "true", 4, "BOOL", json_true());
    case 'f':
        return parse_literal(P, "false", 5, "BOOL", json_false());
    case 'n':
        return parse_literal(P, "null", 4, "NULL", json_true());
    default:
        if (*at == '-' || (*at >= '0' && *at <= '9'))
            return parse_number(P);
        return expected(P, "a value"), NULL;
    }
}

json_t *
dynamo_item_from_json_text(const char *text, size_t len, struct dynamo_err *err)
{
    struct parser P = {.err = err, .buf = {.max = DYNAMOP_MAX_ITEM_SIZE}};
    json_t *item = NULL;

    if (text == NULL && len != 0) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "text is NULL");
        return NULL;
    }
    P.base = P.p = text != NULL ? text : "";
    P.end = P.base + len;
    skip_ws(&P);
    if (P.p >= P.end || *P.p != '{') {
        syntax_error(&P, P.p, "expected a JSON object");
    } else if ((item = parse_members(&P, 0, 0)) != NULL) {
        skip_ws(&P);
        if (P.p < P.end) {
            syntax_error(&P, P.p, "unexpected text after the object");
            json_decref(item);
            item = NULL;
        }
    }
    util_free(P.buf.data);
    return item;
}
