/*
 * convert_emit.c: DynamoDB typed item -> compact plain JSON text.
 *
 * N is written as its exact text (checked against the RFC 8259 number
 * grammar, so the output is always valid JSON), B as its base64 string, SS
 * and BS as arrays of strings, NS as an array of numbers.  Strings and
 * names are written by their length and escaped minimally: '"', '\\' and
 * control characters (\b \f \n \r \t, else \u00xx: a NUL, which S values,
 * set members and attribute names may hold, is \u0000); everything else,
 * UTF-8 included, is copied as is.  Text produced by
 * dynamo_item_from_json_text() in that form comes back byte for byte.
 *
 * The output grows by doubling up to DYNAMOP_MAX_TEXT (16 MiB): a 400 KB
 * item cannot come near it, so reaching it means the input is not an item
 * DynamoDB sent.
 */
#include <string.h>

#include "json_convert.h"

struct emitter {
    struct dynamop_buf out;
    struct dynamo_err *err;
    struct dynamop_path path;
};

static int emit_value(struct emitter *E, const json_t *typed, int depth);

/* Appends N bytes.  Returns 0, or -1 with ERR set (the buffer is gone). */
static int
out(struct emitter *E, const char *s, size_t n)
{
    enum dynamo_code code = dynamop_buf_put(&E->out, s, n);

    if (code == DYNAMO_OK)
        return 0;
    if (code == DYNAMO_ERR_NOMEM)
        dynamop_err_nomem(E->err);
    else
        dynamop_path_err(E->err, code, &E->path, NULL,
                         "plain JSON text would be larger than 16 MiB");
    return -1;
}

size_t
dynamop_json_escape_char(unsigned char c, char out[6])
{
    static const char hex[] = "0123456789abcdef";
    static const char short_forms[] = "\"\\\b\f\n\r\t", letters[] = "\"\\bfnrt";
    const char *hit;

    if (c >= 0x20 && c != '"' && c != '\\')
        return 0;
    out[0] = '\\';
    if (c != '\0' && (hit = strchr(short_forms, c)) != NULL) {
        out[1] = letters[hit - short_forms];
        return 2;
    }
    memcpy(out + 1, "u00", 3);
    out[4] = hex[c >> 4];
    out[5] = hex[c & 15];
    return 6;
}

/* S (N bytes) as a JSON string (RFC 8259 section 7).  Returns 0 or -1. */
static int
emit_string(struct emitter *E, const char *s, size_t n)
{
    char e[6];
    size_t i, k, run = 0;

    if (out(E, "\"", 1) != 0)
        return -1;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        k = dynamop_json_escape_char(c, e);
        if (out(E, s + run, i - run) != 0 || out(E, e, k) != 0)
            return -1;
        run = i + 1;
    }
    return out(E, s + run, n - run) != 0 || out(E, "\"", 1) != 0 ? -1 : 0;
}

static int
emit_json_string(struct emitter *E, const json_t *s)
{
    return emit_string(E, json_string_value(s), json_string_length(s));
}

/* The members of the typed object V (the item, or an M's inside) as a JSON
 * object.  Returns 0 or -1. */
static int
emit_members(struct emitter *E, const json_t *v, int depth)
{
    void *it;
    int rc = 0, first = 1;

    if (out(E, "{", 1) != 0)
        return -1;
    for (it = dynamop_iter(v); it != NULL && rc == 0;
         it = json_object_iter_next((json_t *)v, it), first = 0) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);

        if ((!first && out(E, ",", 1) != 0) || emit_string(E, key, klen) != 0 ||
            out(E, ":", 1) != 0)
            return -1;
        dynamop_path_key(&E->path, key, klen);
        rc = emit_value(E, json_object_iter_value(it), depth);
        E->path.n--;
    }
    return rc == 0 ? out(E, "}", 1) : -1;
}

/* The elements of L, SS, NS or BS V as a JSON array.  Returns 0 or -1. */
static int
emit_array(struct emitter *E, const json_t *v, enum dynamop_type_tag tag, int depth)
{
    size_t i;
    int rc = 0;

    if (out(E, "[", 1) != 0)
        return -1;
    for (i = 0; i < json_array_size(v) && rc == 0; i++) {
        const json_t *e = json_array_get(v, i);

        if (i > 0 && out(E, ",", 1) != 0)
            return -1;
        dynamop_path_index(&E->path, i);
        if (tag == DYNAMOP_TAG_L)
            rc = emit_value(E, e, depth);
        else if (tag == DYNAMOP_TAG_NS)
            rc = out(E, json_string_value(e), json_string_length(e));
        else
            rc = emit_json_string(E, e);
        E->path.n--;
    }
    return rc == 0 ? out(E, "]", 1) : -1;
}

/* One typed value (shape checked by dynamop_typed_split); DEPTH counts the
 * L / M levels around it.  Returns 0, or -1 with ERR set. */
static int
emit_value(struct emitter *E, const json_t *typed, int depth)
{
    enum dynamop_type_tag tag;
    const json_t *v;

    if (dynamop_typed_split(typed, &tag, &v, &E->path, E->err) != 0)
        return -1;
    if ((tag == DYNAMOP_TAG_L || tag == DYNAMOP_TAG_M) && depth >= DYNAMOP_MAX_DEPTH) {
        dynamop_path_err(E->err, DYNAMO_ERR_BAD_RESPONSE, &E->path, NULL,
                         "nested deeper than 32 levels");
        return -1;
    }
    switch (tag) {
    case DYNAMOP_TAG_S:
    case DYNAMOP_TAG_B:
        return emit_json_string(E, v);
    case DYNAMOP_TAG_N:
        return out(E, json_string_value(v), json_string_length(v));
    case DYNAMOP_TAG_BOOL:
        return json_is_true(v) ? out(E, "true", 4) : out(E, "false", 5);
    case DYNAMOP_TAG_NULL:
        return out(E, "null", 4);
    case DYNAMOP_TAG_M:
        return emit_members(E, v, depth + 1);
    default:
        return emit_array(E, v, tag, depth + 1);
    }
}

char *
dynamo_item_to_json_text(const json_t *item, struct dynamo_err *err)
{
    struct emitter E = {.out = {.max = DYNAMOP_MAX_TEXT}, .err = err};

    if (!json_is_object(item)) {
        dynamop_err_set(err, item == NULL ? DYNAMO_ERR_INVALID : DYNAMO_ERR_BAD_RESPONSE,
                        "expected a typed item (an object)");
        return NULL;
    }
    if (emit_members(&E, item, 0) != 0 || out(&E, "", 1) != 0) {
        util_free(E.out.data);
        return NULL;
    }
    return E.out.data;
}
