/*
 * json_emit.c: jansson values -> compact JSON text, for request bodies.
 *
 * Writes what json_dumps(v, JSON_COMPACT) writes (members in insertion
 * order, no blanks), but about ten times cheaper on a request's few small
 * objects: jansson's dumper guards against cycles by formatting every
 * container's address with snprintf into a hashtable of the open ones, and
 * grows its output a few bytes at a time.  Here a depth cap stands for the
 * cycle check and the output goes to a struct dynamop_buf the caller keeps.
 * Strings are escaped as convert_emit.c escapes them (dynamop_json_escape_
 * char: '"', '\\' and control characters, \u00xx in lowercase where jansson
 * writes uppercase); reals, which no DynamoDB request needs, are left to
 * jansson so they read back exactly as before.
 */
#include <stdlib.h>
#include <string.h>

#include "json_convert.h"

struct dumper {
    struct dynamop_buf *out;
    struct dynamo_err *err;
};

/* 0 for DYNAMO_OK, else -1 with ERR set from CODE (the buffer is gone). */
static int
check(struct dumper *D, enum dynamo_code code)
{
    if (code == DYNAMO_OK)
        return 0;
    if (code == DYNAMO_ERR_NOMEM)
        dynamop_err_nomem(D->err);
    else
        dynamop_err_set(D->err, code, "request body would be larger than %zu bytes",
                        D->out->max);
    return -1;
}

static int
put(struct dumper *D, const char *s, size_t n)
{
    return check(D, dynamop_buf_put(D->out, s, n));
}

/* Whether byte C must be written as an escape inside a JSON string. */
static int
needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

/* S (N bytes, the first escape at FIRST) quoted: runs between escapes are
 * copied whole. */
static enum dynamo_code
put_escaped(struct dynamop_buf *b, const char *s, size_t n, size_t first)
{
    enum dynamo_code code = dynamop_buf_put(b, "\"", 1);
    size_t i, k, run = 0;
    char e[6];

    for (i = first; i < n && code == DYNAMO_OK; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!needs_escape(c))
            continue;
        k = dynamop_json_escape_char(c, e);
        code = dynamop_buf_put(b, s + run, i - run);
        if (code == DYNAMO_OK)
            code = dynamop_buf_put(b, e, k);
        run = i + 1;
    }
    if (code == DYNAMO_OK)
        code = dynamop_buf_put(b, s + run, n - run);
    return code == DYNAMO_OK ? dynamop_buf_put(b, "\"", 1) : code;
}

enum dynamo_code
dynamop_json_put_string(struct dynamop_buf *b, const char *s, size_t n)
{
    enum dynamo_code code;
    size_t i = 0;
    char *w;

    while (i < n && !needs_escape((unsigned char)s[i]))
        i++;
    if (i < n)
        return put_escaped(b, s, n, i);
    /* The usual string has no escape: one room check, one copy. */
    if (b->cap - b->len < n + 2 && (code = dynamop_buf_grow(b, n + 2)) != DYNAMO_OK)
        return code;
    w = b->data + b->len;
    w[0] = '"';
    memcpy(w + 1, s, n);
    w[n + 1] = '"';
    b->len += n + 2;
    return DYNAMO_OK;
}

static int
put_string(struct dumper *D, const char *s, size_t n)
{
    return check(D, dynamop_json_put_string(D->out, s, n));
}

/* An integer as jansson writes it ("%" JSON_INTEGER_FORMAT). */
static int
put_integer(struct dumper *D, json_int_t v)
{
    char text[24], *p = text + sizeof(text);
    /* Negated as unsigned: the most negative value has no positive twin. */
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--p = '-';
    return put(D, p, (size_t)(text + sizeof(text) - p));
}

/* A real as jansson writes it (its shortest exact form, ".0" added). */
static int
put_real(struct dumper *D, const json_t *v)
{
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    int rc;

    if (text == NULL) {
        /* jansson refuses NaN and infinities (RFC 8259 has no text for them). */
        dynamop_err_set(D->err, DYNAMO_ERR_INVALID,
                        "request holds a number JSON cannot "
                        "write");
        return -1;
    }
    rc = put(D, text, strlen(text));
    free(text);
    return rc;
}

static int dump_value(struct dumper *D, const json_t *v, int depth);

static int
dump_object(struct dumper *D, const json_t *v, int depth)
{
    const char *sep = "{";

    for (void *it = dynamop_iter(v); it != NULL;
         it = json_object_iter_next((json_t *)v, it), sep = ",") {
        if (put(D, sep, 1) != 0 ||
            put_string(D, json_object_iter_key(it), json_object_iter_key_len(it)) != 0 ||
            put(D, ":", 1) != 0 || dump_value(D, json_object_iter_value(it), depth) != 0)
            return -1;
    }
    return *sep == '{' ? put(D, "{}", 2) : put(D, "}", 1);
}

static int
dump_array(struct dumper *D, const json_t *v, int depth)
{
    size_t i, n = json_array_size(v);

    if (put(D, "[", 1) != 0)
        return -1;
    for (i = 0; i < n; i++) {
        if ((i > 0 && put(D, ",", 1) != 0) ||
            dump_value(D, json_array_get(v, i), depth) != 0)
            return -1;
    }
    return put(D, "]", 1);
}

static int
dump_value(struct dumper *D, const json_t *v, int depth)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        if (depth >= DYNAMOP_MAX_NESTING) {
            dynamop_err_set(D->err, DYNAMO_ERR_INVALID,
                            "request nested deeper than %d levels (or circular)",
                            DYNAMOP_MAX_NESTING);
            return -1;
        }
        return json_is_object(v) ? dump_object(D, v, depth + 1)
                                 : dump_array(D, v, depth + 1);
    case JSON_STRING:
        return put_string(D, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return put_integer(D, json_integer_value(v));
    case JSON_REAL:
        return put_real(D, v);
    case JSON_TRUE:
        return put(D, "true", 4);
    case JSON_FALSE:
        return put(D, "false", 5);
    default:
        return put(D, "null", 4);
    }
}

/* ---- an object member by member ---------------------------------------- */

/* The separator and NAME of the next member of O, or -1 (O failed). */
static int
obj_name(struct dynamop_json_obj *o, struct dumper *D, const char *name)
{
    if (o->failed || put(D, o->members++ == 0 ? "{" : ",", 1) != 0 ||
        put_string(D, name, strlen(name)) != 0 || put(D, ":", 1) != 0) {
        o->failed = 1;
        return -1;
    }
    return 0;
}

void
dynamop_json_obj_value(struct dynamop_json_obj *o, const char *name, const json_t *v)
{
    struct dumper D = {o->out, o->err};

    /* Depth 1: where the value sits in the object dynamop_json_dump would
     * have written, so the nesting cap counts the same. */
    if (obj_name(o, &D, name) == 0 && dump_value(&D, v, 1) != 0)
        o->failed = 1;
}

void
dynamop_json_obj_string(struct dynamop_json_obj *o, const char *name, const char *s)
{
    struct dumper D = {o->out, o->err};

    if (obj_name(o, &D, name) == 0 && put_string(&D, s, strlen(s)) != 0)
        o->failed = 1;
}

int
dynamop_json_obj_end(struct dynamop_json_obj *o)
{
    struct dumper D = {o->out, o->err};

    if (o->failed)
        return -1;
    return o->members == 0 ? put(&D, "{}", 2) : put(&D, "}", 1);
}

int
dynamop_json_dump(const json_t *v, struct dynamop_buf *out, struct dynamo_err *err)
{
    struct dumper D = {out, err};

    if (v == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "no JSON value to write");
        return -1;
    }
    return dump_value(&D, v, 0);
}
