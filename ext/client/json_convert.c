/*
 * convert.c: what the plain JSON <-> typed converters share (DynamoDB's
 * limits, number scanning, attribute paths for error messages, a capped
 * buffer, the typed-value shape check), and the converters between plain
 * jansson values and the typed form.  The text converters are
 * convert_parse.c and convert_emit.c.
 *
 * The typed form is DynamoDB's AttributeValue JSON (API Reference, "Data
 * Types / AttributeValue"): {"S": "x"}, {"N": "1.5"}, {"B": "base64"},
 * {"BOOL": true}, {"NULL": true}, {"L": [...]}, {"M": {...}}, {"SS": [...]},
 * {"NS": [...]}, {"BS": [...]}.
 */
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_convert.h"

const char *const dynamop_tag_names[DYNAMOP_TAG_MAX] = {
    [DYNAMOP_TAG_S] = "S",       [DYNAMOP_TAG_N] = "N",       [DYNAMOP_TAG_B] = "B",
    [DYNAMOP_TAG_BOOL] = "BOOL", [DYNAMOP_TAG_NULL] = "NULL", [DYNAMOP_TAG_L] = "L",
    [DYNAMOP_TAG_M] = "M",       [DYNAMOP_TAG_SS] = "SS",     [DYNAMOP_TAG_NS] = "NS",
    [DYNAMOP_TAG_BS] = "BS",
};

const char *const dynamop_tag_wants[DYNAMOP_TAG_MAX] = {
    [DYNAMOP_TAG_S] = "a string",        [DYNAMOP_TAG_N] = "a number in a string",
    [DYNAMOP_TAG_B] = "a base64 string", [DYNAMOP_TAG_BOOL] = "true or false",
    [DYNAMOP_TAG_NULL] = "true",         [DYNAMOP_TAG_L] = "an array",
    [DYNAMOP_TAG_M] = "an object",       [DYNAMOP_TAG_SS] = "an array",
    [DYNAMOP_TAG_NS] = "an array",       [DYNAMOP_TAG_BS] = "an array",
};

/* ---- buffer ------------------------------------------------------------ */

enum dynamo_code
dynamop_buf_grow(struct dynamop_buf *b, size_t extra)
{
    enum dynamo_code code = DYNAMO_ERR_INVALID;
    size_t need, cap;
    char *data;

    if (b->len <= b->max && extra <= b->max - b->len) {
        need = b->len + extra;
        cap = b->cap ? b->cap : 256;
        while (cap < need)
            cap = cap > b->max / 2 ? b->max : cap * 2;
        if (cap > b->max)
            cap = b->max;
        data = util_reallocarray(b->data, cap, 1);
        if (data != NULL) {
            b->data = data;
            b->cap = cap;
            return DYNAMO_OK;
        }
        code = DYNAMO_ERR_NOMEM;
    }
    util_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    return code;
}

/* ---- paths ------------------------------------------------------------- */

/* Appends N bytes of S at *O in OUT, escaping control bytes as \xNN, and
 * keeping LIMIT free of them.  Returns 0, or -1 when it did not all fit. */
static int
path_put(char *out, size_t limit, size_t *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int ctl = c < 0x20 || c == 0x7f;

        if (*o + (ctl ? 4 : 1) > limit)
            return -1;
        if (ctl) {
            out[(*o)++] = '\\';
            out[(*o)++] = 'x';
            out[(*o)++] = hex[c >> 4];
            out[(*o)++] = hex[c & 15];
        } else {
            out[(*o)++] = (char)c;
        }
    }
    return 0;
}

void
dynamop_path_format(const struct dynamop_path *path, const char *keys, char *out,
                    size_t size)
{
    size_t o = 0, limit = size - 4; /* room for "..." and the NUL */
    char index[32];
    int i, r = 0;

    for (i = 0; i < path->n && r == 0; i++) {
        const struct dynamop_frame *f = &path->f[i];

        if (f->kind == DYNAMOP_FRAME_INDEX) {
            snprintf(index, sizeof(index), "[%zu]", f->index);
            r = path_put(out, limit, &o, index, strlen(index));
            continue;
        }
        if (i > 0)
            r = path_put(out, limit, &o, ".", 1);
        if (r == 0)
            r = path_put(out, limit, &o,
                         f->kind == DYNAMOP_FRAME_KEY ? f->key : keys + f->off, f->len);
    }
    if (r != 0) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

void
dynamop_path_err(struct dynamo_err *err, enum dynamo_code code,
                 const struct dynamop_path *path, const char *keys, const char *fmt, ...)
{
    char where[160], msg[sizeof(err->text)];
    va_list ap;

    if (err == NULL || err->code != DYNAMO_OK)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (path->n == 0) {
        dynamop_err_set(err, code, "%s", msg);
        return;
    }
    dynamop_path_format(path, keys, where, sizeof(where));
    dynamop_err_set(err, code, "attribute '%s': %s", where, msg);
}

/* ---- numbers ----------------------------------------------------------- */

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

/* Digits of S from *I on; records the positions (counted over integer and
 * fraction digits together from *POS) of the first and last nonzero ones. */
static void
scan_digits(const char *s, size_t len, size_t *i, size_t *pos, size_t *first,
            size_t *last)
{
    for (; *i < len && IS_DIGIT(s[*i]); (*i)++, (*pos)++) {
        if (s[*i] == '0')
            continue;
        if (*first == SIZE_MAX)
            *first = *pos;
        *last = *pos;
    }
}

const char *
dynamop_num_scan(const char *s, size_t len, struct dynamop_num *num, size_t *bad)
{
    size_t i = 0, pos = 0, int_digits, int_end, first = SIZE_MAX, last = 0;
    long long e = 0;
    int neg_exp = 0;

    if (i < len && s[i] == '-')
        i++;
    if (i >= len || !IS_DIGIT(s[i]))
        return *bad = i, "expected a digit";
    if (s[i] == '0' && i + 1 < len && IS_DIGIT(s[i + 1]))
        return *bad = i, "leading zeros are not allowed";
    scan_digits(s, len, &i, &pos, &first, &last);
    int_digits = pos;
    int_end = i;
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !IS_DIGIT(s[i]))
            return *bad = i, "expected a digit after '.'";
        scan_digits(s, len, &i, &pos, &first, &last);
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            neg_exp = s[i++] == '-';
        if (i >= len || !IS_DIGIT(s[i]))
            return *bad = i, "expected a digit in the exponent";
        for (; i < len && IS_DIGIT(s[i]); i++)
            if (e < 1000000000000LL) /* saturate: far past any limit */
                e = e * 10 + (s[i] - '0');
    }
    num->len = i;
    num->integer = i == int_end;
    num->digits = first == SIZE_MAX ? 0 : last - first + 1;
    num->exp = first == SIZE_MAX
                   ? 0
                   : (neg_exp ? -e : e) + (long long)int_digits - 1 - (long long)first;
    return NULL;
}

const char *
dynamop_num_limits(const struct dynamop_num *num)
{
    if (num->digits == 0)
        return NULL;
    if (num->digits > DYNAMOP_MAX_DIGITS)
        return "number has more than 38 significant digits";
    if (num->exp > DYNAMOP_MAX_EXP)
        return "number magnitude is larger than "
               "9.9999999999999999999999999999999999999E+125";
    if (num->exp < DYNAMOP_MIN_EXP)
        return "number magnitude is smaller than 1E-130";
    return NULL;
}

/* The integer text S (LEN bytes, valid) into *OUT.  Returns 0, or -1 when
 * it does not fit a json_int_t. */
static int
int_value(const char *s, size_t len, json_int_t *out)
{
    int neg = s[0] == '-';
    unsigned long long v = 0, max = (unsigned long long)LLONG_MAX + (unsigned)neg;
    size_t i;

    for (i = (size_t)neg; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');

        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    /* -(v - 1) - 1: LLONG_MIN has no positive counterpart to negate. */
    *out = neg && v != 0 ? -(json_int_t)(v - 1) - 1 : (json_int_t)v;
    return 0;
}

/* strtod of the valid number text S (LEN bytes, not NUL-terminated),
 * whatever LC_NUMERIC says: '.' becomes the locale's decimal point, as in
 * jansson's loader.  DYNAMO_OK, DYNAMO_ERR_INVALID when it overflows a
 * double (an underflow is 0 or subnormal, as there), or _NOMEM. */
static enum dynamo_code
num_double(const char *s, size_t len, double *d)
{
    char local[64], *copy = len < sizeof(local) ? local : util_malloc(len + 1), *dot;
    enum dynamo_code code = DYNAMO_OK;

    if (copy == NULL)
        return DYNAMO_ERR_NOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    if ((dot = memchr(copy, '.', len)) != NULL)
        *dot = localeconv()->decimal_point[0];
    errno = 0;
    *d = strtod(copy, NULL);
    if ((*d == HUGE_VAL || *d == -HUGE_VAL) && errno == ERANGE)
        code = DYNAMO_ERR_INVALID;
    if (copy != local)
        util_free(copy);
    return code;
}

enum dynamo_code
dynamop_num_value(const char *s, const struct dynamop_num *num, int *is_int,
                  json_int_t *i, double *d)
{
    *is_int = num->integer && int_value(s, num->len, i) == 0;
    return *is_int ? DYNAMO_OK : num_double(s, num->len, d);
}

json_t *
dynamop_num_json(const char *s, const struct dynamop_num *num, enum dynamo_code *code)
{
    json_int_t i = 0;
    double d = 0;
    json_t *v;
    int is_int;

    if ((*code = dynamop_num_value(s, num, &is_int, &i, &d)) != DYNAMO_OK)
        return NULL;
    if ((v = is_int ? json_integer(i) : json_real(d)) == NULL)
        *code = DYNAMO_ERR_NOMEM;
    return v;
}

/* The digits from S on, before END. */
static const char *
skip_digits(const char *s, const char *end)
{
    while (s < end && IS_DIGIT(*s))
        s++;
    return s;
}

int
dynamop_num_is_text(const char *s, size_t len)
{
    const char *end = s + len;

    if (s < end && *s == '-')
        s++;
    if (s >= end || !IS_DIGIT(*s))
        return 0;
    s = *s == '0' ? s + 1 : skip_digits(s, end); /* a digit after a 0: s != end */
    if (s < end && *s == '.') {
        if (++s >= end || !IS_DIGIT(*s))
            return 0;
        s = skip_digits(s, end);
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        if (++s < end && (*s == '+' || *s == '-'))
            s++;
        if (s >= end || !IS_DIGIT(*s))
            return 0;
        s = skip_digits(s, end);
    }
    return s == end;
}

/* ---- the typed form ---------------------------------------------------- */

json_t *
dynamop_typed_new(const char *tag, json_t *v)
{
    json_t *typed = json_object();

    /* jansson drops V when TYPED is NULL or the insertion fails. */
    if (json_object_set_new_nocheck(typed, tag, v) != 0) {
        json_decref(typed);
        return NULL;
    }
    return typed;
}

/* Checks the elements of a set (array of strings, numbers when NUMBERS).
 * Returns 0, or -1 with ERR set. */
static int
check_set(const json_t *set, int numbers, const char *tag,
          const struct dynamop_path *path, struct dynamo_err *err)
{
    size_t i;

    for (i = 0; i < json_array_size(set); i++) {
        const json_t *e = json_array_get(set, i);

        if (!json_is_string(e) ||
            (numbers &&
             !dynamop_num_is_text(json_string_value(e), json_string_length(e)))) {
            dynamop_path_err(err, DYNAMO_ERR_BAD_RESPONSE, path, NULL,
                             "'%s' element %zu is not %s", tag, i,
                             numbers ? "a number in a string" : "a string");
            return -1;
        }
    }
    return 0;
}

int
dynamop_typed_split(const json_t *typed, enum dynamop_type_tag *tag, const json_t **value,
                    const struct dynamop_path *path, struct dynamo_err *err)
{
    const json_t *v;
    const char *key;
    size_t klen;
    int t, ok;

    if (!json_is_object(typed) || json_object_size(typed) != 1) {
        dynamop_path_err(err, DYNAMO_ERR_BAD_RESPONSE, path, NULL,
                         "expected a typed value (an object with one type tag)");
        return -1;
    }
    key = json_object_iter_key(dynamop_iter(typed));
    klen = json_object_iter_key_len(dynamop_iter(typed));
    *value = v = json_object_iter_value(dynamop_iter(typed));
    /* By length: a key may hold a NUL, and "S\u0000x" is no tag. */
    for (t = 0; t < DYNAMOP_TAG_MAX && (strlen(dynamop_tag_names[t]) != klen ||
                                        memcmp(key, dynamop_tag_names[t], klen) != 0);
         t++)
        continue;
    if (t == DYNAMOP_TAG_MAX) {
        dynamop_path_err(err, DYNAMO_ERR_BAD_RESPONSE, path, NULL,
                         "unknown type tag '%.32s'", key);
        return -1;
    }
    *tag = (enum dynamop_type_tag)t;
    switch (*tag) {
    case DYNAMOP_TAG_S:
    case DYNAMOP_TAG_B:
        ok = json_is_string(v);
        break;
    case DYNAMOP_TAG_N:
        ok = json_is_string(v) &&
             dynamop_num_is_text(json_string_value(v), json_string_length(v));
        break;
    case DYNAMOP_TAG_BOOL:
        ok = json_is_boolean(v);
        break;
    case DYNAMOP_TAG_NULL:
        ok = json_is_true(v);
        break;
    case DYNAMOP_TAG_M:
        ok = json_is_object(v);
        break;
    default:
        ok = json_is_array(v);
        break;
    }
    if (!ok) {
        dynamop_path_err(err, DYNAMO_ERR_BAD_RESPONSE, path, NULL, "'%s' needs %s", key,
                         dynamop_tag_wants[t]);
        return -1;
    }
    if (*tag == DYNAMOP_TAG_SS || *tag == DYNAMOP_TAG_NS || *tag == DYNAMOP_TAG_BS)
        return check_set(v, *tag == DYNAMOP_TAG_NS, key, path, err);
    return 0;
}

/* ---- plain jansson values -> typed ------------------------------------- */

struct plain_walk {
    struct dynamo_err *err;
    struct dynamop_path path;
    size_t size; /* item size so far, as "Item sizes and formats" counts it */
};

static json_t *plain_value(struct plain_walk *w, const json_t *v, int depth);

/* Adds N bytes to the item size.  Returns 0, or -1 past 400 KB. */
static int
plain_size(struct plain_walk *w, size_t n)
{
    w->size += n < DYNAMOP_MAX_ITEM_SIZE ? n : DYNAMOP_MAX_ITEM_SIZE + 1;
    if (w->size <= DYNAMOP_MAX_ITEM_SIZE)
        return 0;
    dynamop_path_err(w->err, DYNAMO_ERR_INVALID, &w->path, NULL,
                     "item is larger than 400 KB");
    return -1;
}

/* Sets ERR to out-of-memory (unless it holds an error already); NULL. */
static json_t *
nomem(struct dynamo_err *err)
{
    dynamop_err_nomem(err);
    return NULL;
}

/* The members of object V, typed, into a new object: the item itself
 * (NESTED 0) or the inside of an M (NESTED 1, one byte per element). */
static json_t *
plain_members(struct plain_walk *w, const json_t *v, int depth, int nested)
{
    json_t *out = json_object(), *tv;
    void *it;

    if (out == NULL)
        return nomem(w->err);
    for (it = dynamop_iter(v); it != NULL; it = json_object_iter_next((json_t *)v, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        const char *why = klen == 0 ? "empty attribute name"
                          : klen > DYNAMOP_MAX_NAME
                              ? "attribute name longer than 65535 bytes"
                              : NULL;

        if (why != NULL) { /* named by the enclosing path */
            dynamop_path_err(w->err, DYNAMO_ERR_INVALID, &w->path, NULL, "%s", why);
            json_decref(out);
            return NULL;
        }
        dynamop_path_key(&w->path, key, klen);
        tv = plain_size(w, klen + (size_t)nested) == 0
                 ? plain_value(w, json_object_iter_value(it), depth)
                 : NULL;
        w->path.n--;
        if (tv == NULL || json_object_setn_new_nocheck(out, key, klen, tv) != 0) {
            json_decref(out);
            return nomem(w->err);
        }
    }
    return out;
}

static json_t *
plain_array(struct plain_walk *w, const json_t *v, int depth)
{
    json_t *out = json_array(), *tv;
    size_t i;

    if (out == NULL)
        return nomem(w->err);
    for (i = 0; i < json_array_size(v); i++) {
        dynamop_path_index(&w->path, i);
        tv = plain_size(w, 1) == 0 ? plain_value(w, json_array_get(v, i), depth) : NULL;
        w->path.n--;
        if (json_array_append_new(out, tv) != 0) {
            json_decref(out);
            return nomem(w->err);
        }
    }
    return out;
}

/* A json_integer or json_real as N text; reals with %.17g, which is enough
 * to give back the same double. */
static json_t *
plain_number(struct plain_walk *w, const json_t *v)
{
    struct dynamop_num num;
    const char *why;
    char text[48], *c;
    size_t bad;

    if (json_is_integer(v)) {
        snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else {
        snprintf(text, sizeof(text), "%.17g", json_real_value(v));
        for (c = text; *c != '\0'; c++) /* a locale's decimal comma */
            if (!IS_DIGIT(*c) && *c != '-' && *c != '+' && *c != 'e')
                *c = '.';
    }
    why = dynamop_num_scan(text, strlen(text), &num, &bad);
    if (!isfinite(json_real_value(v)) || (why == NULL && num.len != strlen(text)))
        why = "not a finite number";
    if (why != NULL || (why = dynamop_num_limits(&num)) != NULL) {
        dynamop_path_err(w->err, DYNAMO_ERR_INVALID, &w->path, NULL, "%s", why);
        return NULL;
    }
    if (plain_size(w, dynamop_num_size(&num)) != 0)
        return NULL;
    return dynamop_typed_new("N", json_stringn_nocheck(text, num.len));
}

static json_t *
plain_string(struct plain_walk *w, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v); /* S may hold U+0000 */

    if (plain_size(w, len) != 0)
        return NULL;
    return dynamop_typed_new("S", json_stringn_nocheck(s, len));
}

/* V typed; DEPTH counts the L / M levels around V.  NULL with ERR set. */
static json_t *
plain_value(struct plain_walk *w, const json_t *v, int depth)
{
    int container = json_is_object(v) || json_is_array(v);
    json_t *typed;

    if (container && depth >= DYNAMOP_MAX_DEPTH) {
        dynamop_path_err(w->err, DYNAMO_ERR_INVALID, &w->path, NULL,
                         "nested deeper than 32 levels");
        return NULL;
    }
    if (container && plain_size(w, 3) != 0)
        return NULL;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        typed = dynamop_typed_new("M", plain_members(w, v, depth + 1, 1));
        break;
    case JSON_ARRAY:
        typed = dynamop_typed_new("L", plain_array(w, v, depth + 1));
        break;
    case JSON_STRING:
        typed = plain_string(w, v);
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        typed = plain_number(w, v);
        break;
    case JSON_NULL:
        typed = plain_size(w, 1) == 0 ? dynamop_typed_new("NULL", json_true()) : NULL;
        break;
    default:
        typed = plain_size(w, 1) == 0
                    ? dynamop_typed_new("BOOL", json_boolean(json_is_true(v)))
                    : NULL;
        break;
    }
    return typed != NULL ? typed : nomem(w->err);
}

json_t *
dynamo_value_from_plain(const json_t *plain, struct dynamo_err *err)
{
    struct plain_walk w = {.err = err};

    if (plain == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "value is NULL");
        return NULL;
    }
    return plain_value(&w, plain, 0);
}

json_t *
dynamo_item_from_plain(const json_t *plain, struct dynamo_err *err)
{
    struct plain_walk w = {.err = err};

    if (!json_is_object(plain)) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "expected a JSON object");
        return NULL;
    }
    return plain_members(&w, plain, 0, 0);
}

/* ---- typed -> plain jansson values ------------------------------------- */

struct typed_walk {
    struct dynamo_err *err;
    struct dynamop_path path;
};

static json_t *typed_value(struct typed_walk *w, const json_t *typed, int depth);

/* N text (already checked by dynamop_typed_split) as a json_integer when it
 * is written as an integer that fits json_int_t, else a json_real. */
static json_t *
typed_number(struct typed_walk *w, const json_t *v)
{
    const char *s = json_string_value(v);
    struct dynamop_num num;
    enum dynamo_code code;
    json_t *out;
    size_t bad;

    dynamop_num_scan(s, json_string_length(v), &num, &bad);
    if ((out = dynamop_num_json(s, &num, &code)) != NULL || code == DYNAMO_ERR_NOMEM)
        return out != NULL ? out : nomem(w->err);
    dynamop_path_err(w->err, DYNAMO_ERR_BAD_RESPONSE, &w->path, NULL,
                     "number %.40s does not fit a double", s);
    return NULL;
}

/* The elements of L, SS, NS or BS V as a plain array. */
static json_t *
typed_array(struct typed_walk *w, const json_t *v, enum dynamop_type_tag tag, int depth)
{
    json_t *out = json_array(), *e;
    size_t i;

    if (out == NULL)
        return nomem(w->err);
    for (i = 0; i < json_array_size(v); i++) {
        const json_t *t = json_array_get(v, i);

        dynamop_path_index(&w->path, i);
        e = tag == DYNAMOP_TAG_L ? typed_value(w, t, depth)
            : tag == DYNAMOP_TAG_NS
                ? typed_number(w, t)
                : json_stringn_nocheck(json_string_value(t), json_string_length(t));
        w->path.n--;
        if (json_array_append_new(out, e) != 0) {
            json_decref(out);
            return nomem(w->err);
        }
    }
    return out;
}

/* The members of the typed object V (an item or an M's inside), plain. */
static json_t *
typed_members(struct typed_walk *w, const json_t *v, int depth)
{
    json_t *out = json_object(), *pv;
    void *it;

    if (out == NULL)
        return nomem(w->err);
    for (it = dynamop_iter(v); it != NULL; it = json_object_iter_next((json_t *)v, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);

        dynamop_path_key(&w->path, key, klen);
        pv = typed_value(w, json_object_iter_value(it), depth);
        w->path.n--;
        if (pv == NULL || json_object_setn_new_nocheck(out, key, klen, pv) != 0) {
            json_decref(out);
            return nomem(w->err);
        }
    }
    return out;
}

static json_t *
typed_value(struct typed_walk *w, const json_t *typed, int depth)
{
    enum dynamop_type_tag tag;
    const json_t *v;
    json_t *out;

    if (dynamop_typed_split(typed, &tag, &v, &w->path, w->err) != 0)
        return NULL;
    if ((tag == DYNAMOP_TAG_L || tag == DYNAMOP_TAG_M) && depth >= DYNAMOP_MAX_DEPTH) {
        dynamop_path_err(w->err, DYNAMO_ERR_BAD_RESPONSE, &w->path, NULL,
                         "nested deeper than 32 levels");
        return NULL;
    }
    switch (tag) {
    case DYNAMOP_TAG_S:
    case DYNAMOP_TAG_B:
        out = json_stringn_nocheck(json_string_value(v), json_string_length(v));
        break;
    case DYNAMOP_TAG_N:
        return typed_number(w, v);
    case DYNAMOP_TAG_BOOL:
        out = json_boolean(json_is_true(v));
        break;
    case DYNAMOP_TAG_NULL:
        out = json_null();
        break;
    case DYNAMOP_TAG_M:
        return typed_members(w, v, depth + 1);
    default:
        return typed_array(w, v, tag, depth + 1);
    }
    return out != NULL ? out : nomem(w->err);
}

json_t *
dynamo_item_to_plain(const json_t *item, struct dynamo_err *err)
{
    struct typed_walk w = {.err = err};

    if (!json_is_object(item)) {
        dynamop_err_set(err, item == NULL ? DYNAMO_ERR_INVALID : DYNAMO_ERR_BAD_RESPONSE,
                        "expected a typed item (an object)");
        return NULL;
    }
    return typed_members(&w, item, 0);
}
