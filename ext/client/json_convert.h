/*
 * convert.h: private declarations shared by the plain JSON <-> typed form
 * converters: convert.c (limits, numbers, paths, buffers, the jansson-value
 * converters), convert_parse.c (text -> typed) and convert_emit.c
 * (typed -> text).  Never installed.
 */
#ifndef DYNAMO_FCGI_EXT_CONVERT_H
#define DYNAMO_FCGI_EXT_CONVERT_H

#include <string.h>

#include "internal.h"

/*
 * DynamoDB's limits, from the Developer Guide: "Service, account, and table
 * quotas" (item size, nesting, attribute names) and "Supported data types"
 * (numbers: 38 digits of precision, positive 1E-130 .. 9.99..9E+125,
 * negative the same, and zero).
 */
#define DYNAMOP_MAX_DEPTH 32         /* nested L / M levels below the item */
#define DYNAMOP_MAX_ITEM_SIZE 409600 /* 400 KB, "Item sizes and formats" */
#define DYNAMOP_MAX_NAME 65535       /* bytes in an attribute name */
#define DYNAMOP_MAX_DIGITS 38        /* significant digits in a number */
#define DYNAMOP_MIN_EXP (-130)       /* smallest nonzero magnitude 1E-130 */
#define DYNAMOP_MAX_EXP 125          /* largest 9.99..9E+125 (38 digits) */
#define DYNAMOP_MAX_TEXT (16u << 20) /* 16 MiB cap on emitted JSON text */

/* ---- growable buffer with a hard maximum (convert.c) ------------------- */

struct dynamop_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* LEN never passes it */
};

/* Makes room for EXTRA more bytes (doubling).  Returns DYNAMO_OK, or
 * DYNAMO_ERR_NOMEM / DYNAMO_ERR_INVALID (past MAX) after freeing the buffer
 * (conventions 9: a failed append frees the buffer). */
enum dynamo_code dynamop_buf_grow(struct dynamop_buf *b, size_t extra);

static inline enum dynamo_code
dynamop_buf_put(struct dynamop_buf *b, const void *p, size_t n)
{
    enum dynamo_code code;

    if (n == 0)
        return DYNAMO_OK;
    if (b->cap - b->len < n && (code = dynamop_buf_grow(b, n)) != DYNAMO_OK)
        return code;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return DYNAMO_OK;
}

/* ---- string escapes (convert_emit.c) ---------------------------------- */

/* The escape the emitter writes for byte C in a JSON string (RFC 8259
 * section 7, minimal: '"', '\\' and control characters, the short forms
 * where there is one, else \u00xx) into OUT; returns its length, or 0 when
 * C goes as it is. */
size_t dynamop_json_escape_char(unsigned char c, char out[6]);

/* ---- jansson values -> compact JSON text (json_emit.c) ----------------- */

/* Appends S (N bytes) to B as a JSON string, escaped as above.  Returns
 * DYNAMO_OK, or a dynamop_buf_put() code (the buffer is then gone). */
enum dynamo_code dynamop_json_put_string(struct dynamop_buf *b, const char *s, size_t n);
/* Appends V to OUT as json_dumps(V, JSON_COMPACT) writes it (string escapes
 * as above).  Returns 0, or -1 with ERR: DYNAMO_ERR_NOMEM, or _INVALID past
 * OUT's maximum, for containers nested past 128 levels (a cycle) or a NaN;
 * OUT is then freed (conventions 9), or holds what was written. */
int dynamop_json_dump(const json_t *v, struct dynamop_buf *out, struct dynamo_err *err);

/* ---- attribute paths for error messages (convert.c) ------------------- */

enum dynamop_frame_kind {
    DYNAMOP_FRAME_INDEX,   /* a list element: INDEX */
    DYNAMOP_FRAME_KEY,     /* a map key: KEY, LEN bytes */
    DYNAMOP_FRAME_KEY_OFF, /* a map key stored at OFF in a buffer that may move */
};

struct dynamop_frame {
    enum dynamop_frame_kind kind;
    const char *key;
    size_t off;
    size_t len;
    size_t index;
};

/* Where a walk is: one frame per open level.  Callers refuse a container
 * deeper than DYNAMOP_MAX_DEPTH before pushing, so N never passes the
 * array. */
struct dynamop_path {
    int n;
    struct dynamop_frame f[DYNAMOP_MAX_DEPTH + 2];
};

static inline void
dynamop_path_key(struct dynamop_path *path, const char *key, size_t len)
{
    path->f[path->n++] =
        (struct dynamop_frame){.kind = DYNAMOP_FRAME_KEY, .key = key, .len = len};
}

static inline void
dynamop_path_index(struct dynamop_path *path, size_t index)
{
    path->f[path->n++] =
        (struct dynamop_frame){.kind = DYNAMOP_FRAME_INDEX, .index = index};
}

/* Writes PATH as "a.b[2]" into OUT (SIZE bytes, always terminated, cut with
 * "..." when too long); KEYS resolves DYNAMOP_FRAME_KEY_OFF frames. */
void dynamop_path_format(const struct dynamop_path *path, const char *keys, char *out,
                         size_t size);
/* Sets ERR to CODE with the text "attribute 'PATH': MESSAGE", or just MESSAGE
 * when PATH is empty. */
void dynamop_path_err(struct dynamo_err *err, enum dynamo_code code,
                      const struct dynamop_path *path, const char *keys, const char *fmt,
                      ...) DYNAMO_PRINTF(5, 6);

/* ---- numbers (convert.c) ----------------------------------------------- */

/* What dynamop_num_scan learnt of a number: its text length, its
 * significant digits (leading and trailing zeros trimmed; 0 for zero) and
 * the decimal exponent of its first significant digit (d.ddd x 10^EXP). */
struct dynamop_num {
    size_t len;
    size_t digits;
    long long exp;
    int integer; /* 1: written without a fraction or an exponent */
};

/* Scans the RFC 8259 section 6 number at S (at most LEN bytes; it ends
 * where the grammar does, the caller checks what follows).  Returns NULL
 * with NUM filled, or the reason with *BAD set to the offending offset. */
const char *dynamop_num_scan(const char *s, size_t len, struct dynamop_num *num,
                             size_t *bad);
/*
 * The value of the valid number text S (NUM->len bytes, as dynamop_num_scan
 * read it into NUM) the way jansson's loader reads it, but for integers that do not
 * fit a json_int_t (reals here, an error there): DYNAMO_OK with *I set
 * (*IS_INT 1) or *D set (*IS_INT 0); DYNAMO_ERR_INVALID when a real
 * overflows a double; DYNAMO_ERR_NOMEM.
 */
enum dynamo_code dynamop_num_value(const char *s, const struct dynamop_num *num,
                                   int *is_int, json_int_t *i, double *d);
/* The same as a new json_integer or json_real; NULL with *CODE set
 * (DYNAMO_ERR_INVALID: past a double's range; DYNAMO_ERR_NOMEM). */
json_t *dynamop_num_json(const char *s, const struct dynamop_num *num,
                         enum dynamo_code *code);
/* 1 when the LEN bytes at S are exactly one RFC 8259 number: what
 * dynamop_num_scan accepts whole, checked without counting digits (N
 * values and NS elements are checked on every read). */
int dynamop_num_is_text(const char *s, size_t len);
/* NULL when NUM is within DynamoDB's limits, else the reason. */
const char *dynamop_num_limits(const struct dynamop_num *num);

/* Storage estimate, "Item sizes and formats": 1 byte per two significant
 * digits, plus 1. */
static inline size_t
dynamop_num_size(const struct dynamop_num *num)
{
    return (num->digits + 1) / 2 + 1;
}

/* ---- the typed form (convert.c) ---------------------------------------- */

enum dynamop_type_tag {
    DYNAMOP_TAG_S,
    DYNAMOP_TAG_N,
    DYNAMOP_TAG_B,
    DYNAMOP_TAG_BOOL,
    DYNAMOP_TAG_NULL,
    DYNAMOP_TAG_L,
    DYNAMOP_TAG_M,
    DYNAMOP_TAG_SS,
    DYNAMOP_TAG_NS,
    DYNAMOP_TAG_BS,
    DYNAMOP_TAG_MAX
};

extern const char *const dynamop_tag_names[DYNAMOP_TAG_MAX];
/* What each tag's value must be, for error messages ("'S' needs a string"). */
extern const char *const dynamop_tag_wants[DYNAMOP_TAG_MAX];

/* {TAG: V}.  V is taken, even on failure; NULL when out of memory (or V is
 * NULL). */
json_t *dynamop_typed_new(const char *tag, json_t *v);

/* Splits TYPED ({"S": "x"}) into its tag and its value (borrowed), checking
 * the shape: S and B strings, N a valid number, BOOL a boolean, NULL true,
 * L an array, M an object, SS / BS arrays of strings, NS an array of
 * numbers.  L and M contents are the caller's to walk.  Returns 0, or -1
 * with ERR set to DYNAMO_ERR_BAD_RESPONSE naming PATH. */
int dynamop_typed_split(const json_t *typed, enum dynamop_type_tag *tag,
                        const json_t **value, const struct dynamop_path *path,
                        struct dynamo_err *err);

/* Iteration over a const jansson object: jansson's iterators take a
 * non-const json_t although they do not modify it. */
static inline void *
dynamop_iter(const json_t *object)
{
    return json_object_iter((json_t *)object);
}

#endif /* DYNAMO_FCGI_EXT_CONVERT_H */
