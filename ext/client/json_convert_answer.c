/*
 * convert_answer.c: a DynamoDB answer's typed item -> plain JSON text, in
 * one pass over the answer's text.
 *
 * A web handler that reads an item to send it on as plain JSON would parse
 * the whole answer into jansson values (several allocations per string, a
 * hash table per object), walk the item to print it and free it all: the
 * bulk of a GET's CPU.  Here the answer is read once and the plain text
 * written as it goes, into an output buffer sized once (it cannot outgrow
 * the answer) plus a small one for keys with escapes outside the item.
 * Compact text (no whitespace, no escapes: what DynamoDB sends) takes
 * fast paths that read a whole key or a whole {"S": ...} / {"N": ...}
 * value at once; anything else falls back, at the same byte, to the
 * general reader, which makes the errors.
 *
 * The bytes written are those dynamo_item_to_json_text() makes of the item
 * dynamop_decode_body() parses (tests/unit/check_json_parse.c and
 * fuzz/fuzz_json_parse.c compare the two):
 * - the whole answer is checked as dynamop_json_parse() checks it: strict
 *   JSON, duplicate keys refused at every level (keys are compared in the
 *   canonical escaped form below, one-to-one with their decoded bytes),
 *   nesting, reals past a double's range;
 * - string content without escapes is copied as it is: it cannot hold a
 *   byte the emitter escapes; escapes are decoded and written again the
 *   emitter's way (dynamop_json_escape_char), so "\u0000" (U+0000, which
 *   S values, set members and attribute names may hold) stays "\u0000";
 * - N and NS elements are their decoded strings, checked against the number
 *   grammar; BOOL and NULL their literals; L and M recurse (32 levels at
 *   most, as in the emitter); SS and BS are arrays of strings.
 * Errors: DYNAMO_ERR_BAD_RESPONSE with the slow path's messages ("invalid
 * JSON in response at byte N: ...", "attribute 'a.b': 'S' needs a
 * string"); when an answer has two faults, the one reported may differ
 * (the slow path parses everything before it looks at the item).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json_parse.h"

/* A key of an object read so far: its canonical text at OFF in the
 * buffer of its object (the output for the item's, KEYS for the others),
 * or in the answer's text (OFF | KEY_IN_TEXT) when the key had no escapes
 * and its object writes no output.  32 bits are enough: answers longer
 * than MAX_ANSWER are refused. */
struct key_slot {
    uint32_t object; /* which object (numbered from 1) */
    uint32_t off;
    uint32_t len;
    uint32_t hash;
};

/* Open addressing over every key read.  Which slots are taken is a bitmap,
 * so that a new table (on the stack for each call) needs 16 bytes zeroed,
 * not 2 KiB. */
struct key_table {
    struct key_slot *slots;
    uint64_t *used; /* bit I of word I / 64: slot I is taken */
    size_t nslots;  /* a power of two, from INLINE_SLOTS */
    size_t nkeys;
};

#define MAX_ANSWER (UINT32_MAX / 2)   /* far past DYNAMOP_HTTP_MAX_BODY */
#define KEY_IN_TEXT ((size_t)1 << 31) /* past any offset below MAX_ANSWER */
#define INLINE_SLOTS 128              /* a power of two: a GetItem answer's keys fit */

struct answer {
    const char *base; /* the whole text, for positions */
    const char *p;    /* the next byte */
    const char *end;
    struct dynamo_err *err;
    struct dynamop_buf out;  /* the plain item text */
    struct dynamop_buf keys; /* keys of the objects outside the item */
    struct key_table table;
    uint32_t objects; /* objects opened so far */
    struct dynamop_path path;
    struct key_slot inline_slots[INLINE_SLOTS];
    uint64_t inline_used[INLINE_SLOTS / 64];
};

/* How read_string writes a string's content (never its quotes). */
enum str_mode {
    STR_SKIP,  /* not at all: only checked */
    STR_RAW,   /* decoded */
    STR_CANON, /* as the emitter writes it: escaped again, minimally */
};

static int typed_value(struct answer *A, int depth);
static int skip_value(struct answer *A, size_t depth);

/* ---- errors ------------------------------------------------------------ */

static int json_error(struct answer *A, const char *at, const char *fmt, ...)
    DYNAMO_PRINTF(3, 4);
static int typed_error(struct answer *A, const char *fmt, ...) DYNAMO_PRINTF(2, 3);

/* The answer is not JSON: what broke at AT.  Returns -1. */
static int
json_error(struct answer *A, const char *at, const char *fmt, ...)
{
    char msg[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dynamop_err_set(A->err, DYNAMO_ERR_BAD_RESPONSE,
                    "invalid JSON in response at byte %zu: %s", (size_t)(at - A->base),
                    msg);
    return -1;
}

/* "expected WHAT" at A->p.  Returns -1. */
static int
expected(struct answer *A, const char *what)
{
    if (A->p >= A->end)
        return json_error(A, A->p, "unexpected end of input, expected %s", what);
    return json_error(A, A->p, "expected %s", what);
}

/* The item is not a typed item: what is wrong at the current path.
 * Returns -1. */
static int
typed_error(struct answer *A, const char *fmt, ...)
{
    char msg[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dynamop_path_err(A->err, DYNAMO_ERR_BAD_RESPONSE, &A->path, A->out.data, "%s", msg);
    return -1;
}

/* put() when B must grow, or N is 0. */
static int
put_slow(struct answer *A, struct dynamop_buf *b, const char *s, size_t n)
{
    enum dynamo_code code = dynamop_buf_put(b, s, n);

    if (code == DYNAMO_OK)
        return 0;
    if (code == DYNAMO_ERR_NOMEM)
        dynamop_err_nomem(A->err);
    else
        dynamop_err_set(A->err, code, "plain JSON text would be larger than 16 MiB");
    return -1;
}

/* Appends N bytes at S to B.  Returns 0, or -1 with ERR set (B is freed:
 * the error names no path, whose keys were in it).  Inline: the item's
 * buffer is sized once, so its puts never grow it.  N - 1 < room is
 * 1 <= N <= room in one test (N == 0 wraps round). */
static inline int
put(struct answer *A, struct dynamop_buf *b, const char *s, size_t n)
{
    if (n - 1 < b->cap - b->len) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
        return 0;
    }
    return put_slow(A, b, s, n);
}

/* put() of N bytes at S in the answer's text.  A short run moves as one
 * 16-byte block where the text and B both have the room, rather than
 * through a memcpy call: the bytes past N land in B's spare capacity,
 * to be written over. */
static inline int
put_text(struct answer *A, struct dynamop_buf *b, const char *s, size_t n)
{
    if (n <= 16 && A->end - s >= 16 && b->cap - b->len >= 16) {
        memcpy(b->data + b->len, s, 16);
        b->len += n;
        return 0;
    }
    return put(A, b, s, n);
}

/* Appends the byte C to B. */
static inline int
put1(struct answer *A, struct dynamop_buf *b, char c)
{
    if (b->len < b->cap) {
        b->data[b->len++] = c;
        return 0;
    }
    return put_slow(A, b, &c, 1);
}

/* colon() past whitespace. */
static int
colon_ws(struct answer *A)
{
    A->p = dynamop_json_ws(A->p, A->end);
    if (A->p >= A->end || *A->p != ':')
        return expected(A, "':'");
    A->p = dynamop_json_ws(A->p + 1, A->end);
    return 0;
}

/* Past the ':' after a key, and the whitespace around it.  Returns 0, or
 * -1 with ERR set.  Compact text (a ':', then no whitespace) in a test. */
static inline int
colon(struct answer *A)
{
    if (A->end - A->p >= 2 && A->p[0] == ':' && (unsigned char)A->p[1] > ' ') {
        A->p++;
        return 0;
    }
    return colon_ws(A);
}

/* ---- keys, for duplicates ------------------------------------------------ */

/* The LEN (< 8) bytes at S as a word, the rest of it zero.  Where LIMIT
 * leaves a whole word readable, on a little-endian machine, one load and a
 * mask rather than a memcpy call of a variable length. */
static inline uint64_t
tail_word(const char *s, size_t len, const char *limit)
{
    uint64_t w = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (limit - s >= 8) {
        memcpy(&w, s, 8);
        return w & ~(~(uint64_t)0 << (8 * len));
    }
#else
    (void)limit;
#endif
    memcpy(&w, s, len);
    return w;
}

/* A hash of the LEN bytes at S (readable up to LIMIT), seeded with OBJECT:
 * eight bytes a step, each mixed in with a multiply and a shift. */
static inline uint32_t
key_hash(uint32_t object, const char *s, size_t len, const char *limit)
{
    const uint64_t k = 0x9E3779B97F4A7C15u;
    uint64_t h = (object + len) * k, w;

    for (; len >= 8; s += 8, len -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * k;
        h ^= h >> 32;
    }
    h = (h ^ tail_word(s, len, limit)) * k;
    return (uint32_t)(h ^ h >> 29);
}

static inline int
slot_used(const struct key_table *t, size_t i)
{
    return (int)(t->used[i / 64] >> (i % 64) & 1);
}

/* Takes slot I of T for S. */
static inline void
slot_take(struct key_table *t, size_t i, const struct key_slot *s)
{
    t->used[i / 64] |= (uint64_t)1 << (i % 64);
    t->slots[i] = *s;
}

/* Doubles the slot table: one block, the slots then their bitmap.
 * Returns 0, or -1 out of memory. */
static int
grow_slots(struct answer *A)
{
    struct key_table *t = &A->table, n = {.nslots = t->nslots * 2, .nkeys = t->nkeys};
    size_t i, j, mask = n.nslots - 1;

    n.slots =
        util_calloc(n.nslots / 64, 64 * sizeof(struct key_slot) + sizeof(uint64_t));
    if (n.slots == NULL)
        return -1;
    n.used = (uint64_t *)(n.slots + n.nslots);
    for (i = 0; i < t->nslots; i++) {
        if (!slot_used(t, i))
            continue;
        for (j = t->slots[i].hash & mask; slot_used(&n, j); j = (j + 1) & mask)
            continue;
        slot_take(&n, j, &t->slots[i]);
    }
    if (t->slots != A->inline_slots)
        util_free(t->slots);
    *t = n;
    return 0;
}

/* The key at OFF (as in a key_slot), in the answer's text or in B. */
static inline const char *
key_at(const struct answer *A, const struct dynamop_buf *b, size_t off)
{
    return off & KEY_IN_TEXT ? A->base + (off & ~KEY_IN_TEXT) : b->data + off;
}

/* Adds the key at OFF (LEN bytes) in B to those of OBJECT; KEY holds the
 * same bytes, readable up to LIMIT (in the answer's text when they had no
 * escapes).  Returns 0, 1 when OBJECT has it already, or -1 out of
 * memory. */
static int
key_add(struct answer *A, const struct dynamop_buf *b, uint32_t object, size_t off,
        size_t len, const char *key, const char *limit)
{
    struct key_table *t = &A->table;
    uint32_t h = key_hash(object, key, len, limit);
    struct key_slot *s;
    size_t mask, i;

    if (2 * (t->nkeys + 1) > t->nslots && grow_slots(A) != 0)
        return -1;
    mask = t->nslots - 1;
    for (i = h & mask; slot_used(t, i); i = (i + 1) & mask) {
        s = &t->slots[i];
        if (s->object == object && s->hash == h && s->len == len &&
            (len == 0 || memcmp(key_at(A, b, s->off), key, len) == 0))
            return 1;
    }
    t->used[i / 64] |= (uint64_t)1 << (i % 64);
    s = &t->slots[i];
    s->object = object;
    s->off = (uint32_t)off;
    s->len = (uint32_t)len;
    s->hash = h;
    t->nkeys++;
    return 0;
}

/* key_add() with its errors: a duplicate is one at AT, the key's place in
 * the text.  Returns 0, or -1 with ERR set. */
static int
new_key(struct answer *A, const struct dynamop_buf *b, uint32_t object, size_t off,
        size_t len, const char *key, const char *limit, const char *at)
{
    int seen = key_add(A, b, object, off, len, key, limit);

    if (seen < 0)
        return dynamop_err_nomem(A->err), -1;
    return seen > 0 ? json_error(A, at, "duplicate object key") : 0;
}

/* ---- lexical pieces ------------------------------------------------------ */

/* Reads the string at A->p (on its opening quote), writing its content to
 * B as MODE says, and moves past it; Q: where dynamop_json_span stopped
 * from its first byte.  Returns 0, or -1 with ERR set. */
static int
read_spanned(struct answer *A, struct dynamop_buf *b, enum str_mode mode, const char *q)
{
    const char *run = A->p + 1;
    struct dynamop_json_fault f;
    char dec[4], esc[6];
    size_t n, k;

    while (q < A->end && *q == '\\') {
        if (mode != STR_SKIP && put_text(A, b, run, (size_t)(q - run)) != 0)
            return -1;
        if ((q = dynamop_json_escape(q, A->end, dec, &n, &f)) == NULL)
            return json_error(A, f.at, "%s", f.text);
        k = mode == STR_CANON && n == 1
                ? dynamop_json_escape_char((unsigned char)dec[0], esc)
                : 0;
        if (mode != STR_SKIP && put(A, b, k > 0 ? esc : dec, k > 0 ? k : n) != 0)
            return -1;
        run = q;
        q = dynamop_json_span(q, A->end);
    }
    if (q >= A->end || *q != '"') {
        dynamop_json_string_fault(q, A->end, &f);
        return json_error(A, f.at, "%s", f.text);
    }
    if (mode != STR_SKIP && put_text(A, b, run, (size_t)(q - run)) != 0)
        return -1;
    A->p = q + 1;
    return 0;
}

static int
read_string(struct answer *A, struct dynamop_buf *b, enum str_mode mode)
{
    return read_spanned(A, b, mode, dynamop_json_span(A->p + 1, A->end));
}

/* The string at A->p as a JSON string in the emitter's form, into B.
 * Without escapes (the common case) that is the input's bytes, quotes
 * included, in one copy. */
static int
quoted_string(struct answer *A, struct dynamop_buf *b)
{
    const char *q = dynamop_json_span(A->p + 1, A->end);

    if (q < A->end && *q == '"') {
        if (put_text(A, b, A->p, (size_t)(q + 1 - A->p)) != 0)
            return -1;
        A->p = q + 1;
        return 0;
    }
    return put1(A, b, '"') != 0 || read_spanned(A, b, STR_CANON, q) != 0 ||
                   put1(A, b, '"') != 0
               ? -1
               : 0;
}

/* Reads the key at A->p into B (between quotes when QUOTED), canonical,
 * and checks that OBJECT has no such key yet; then the ':' and the
 * whitespace around it.  *OFF and *LEN: where the key's content is in B,
 * or (not QUOTED: nothing is written) in the text when it had no escapes
 * (key_at).  Returns 0, or -1 with ERR set. */
static int
read_key(struct answer *A, struct dynamop_buf *b, uint32_t object, int quoted,
         size_t *off, size_t *len)
{
    const char *at = A->p, *q, *key, *limit;

    if (A->p >= A->end || *A->p != '"')
        return expected(A, "a string (an object key)");
    *off = b->len + (size_t)quoted;
    q = dynamop_json_span(A->p + 1, A->end);
    if (q < A->end && *q == '"') { /* no escapes: the text is canonical */
        key = A->p + 1;
        limit = A->end;
        if (!quoted)
            *off = (size_t)(key - A->base) | KEY_IN_TEXT;
        else if (put_text(A, b, A->p, (size_t)(q + 1 - A->p)) != 0)
            return -1;
        *len = (size_t)(q - key);
        A->p = q + 1;
    } else {
        if (quoted ? put1(A, b, '"') != 0 || read_spanned(A, b, STR_CANON, q) != 0 ||
                         put1(A, b, '"') != 0
                   : read_spanned(A, b, STR_CANON, q) != 0)
            return -1;
        key = b->len > *off ? b->data + *off : ""; /* B may have no data yet */
        limit = b->data + b->len;
        *len = b->len - (size_t)quoted - *off;
    }
    return new_key(A, b, object, *off, *len, key, limit, at) != 0 ? -1 : colon(A);
}

/* read_key() for a member of the item or of an M (into the output, its
 * place in F), then the ':' written.  Compact text ("key": without
 * escapes, no whitespace) in line. */
static inline int
item_key(struct answer *A, uint32_t object, struct dynamop_frame *f)
{
    const char *p = A->p, *q;

    if (p < A->end && *p == '"') {
        q = dynamop_json_span(p + 1, A->end);
        if (A->end - q >= 3 && q[0] == '"' && q[1] == ':' && (unsigned char)q[2] > ' ') {
            f->off = A->out.len + 1;
            f->len = (size_t)(q - (p + 1));
            if (put_text(A, &A->out, p, f->len + 2) != 0 ||
                new_key(A, &A->out, object, f->off, f->len, p + 1, A->end, p) != 0)
                return -1;
            A->p = q + 2;
            return put1(A, &A->out, ':');
        }
    }
    if (read_key(A, &A->out, object, 1, &f->off, &f->len) != 0)
        return -1;
    return put1(A, &A->out, ':');
}

/* WORD (N bytes) at A->p: 1 and moves past it, or 0. */
static int
literal(struct answer *A, const char *word, size_t n)
{
    if ((size_t)(A->end - A->p) < n || memcmp(A->p, word, n) != 0)
        return 0;
    A->p += n;
    return 1;
}

/* After an element or a member: as dynamop_json_next, with the error set
 * when neither ',' nor CLOSE follows. */
static int
next_or_close(struct answer *A, char close)
{
    int r = dynamop_json_next(&A->p, A->end, close);

    if (r < 0)
        expected(A, close == ']' ? "',' or ']'" : "',' or '}'");
    return r;
}

/* Writes OPEN for the array or object at A->p and enters it: 1 when it is
 * empty (CLOSE written too), 0 when a value follows, -1 with ERR set. */
static int
open_out(struct answer *A, char open, char close)
{
    if (put1(A, &A->out, open) != 0)
        return -1;
    if (!dynamop_json_open(&A->p, A->end, close))
        return 0;
    return put1(A, &A->out, close) != 0 ? -1 : 1;
}

/* After a value: as next_or_close, writing the ',' or CLOSE passed.
 * Compact text (a ',' and no whitespace, or CLOSE) in a test or two. */
static inline int
next_out(struct answer *A, char close)
{
    const char *p = A->p;
    int r;

    if (A->end - p >= 2 &&
        (p[0] == close || (p[0] == ',' && (unsigned char)p[1] > ' '))) {
        A->p = p + 1;
        return put1(A, &A->out, p[0]) != 0 ? -1 : p[0] == close;
    }
    r = next_or_close(A, close);

    if (r >= 0 && put1(A, &A->out, r == 0 ? ',' : close) != 0)
        return -1;
    return r;
}

/* ---- values outside the item: checked, not written ---------------------- */

static int
skip_number(struct answer *A)
{
    const char *at = A->p, *why;
    struct dynamop_num num;
    json_int_t i;
    double d;
    size_t bad;
    int is_int;

    if ((why = dynamop_num_scan(at, (size_t)(A->end - at), &num, &bad)) != NULL)
        return json_error(A, at + bad, "invalid number: %s", why);
    switch (dynamop_num_value(at, &num, &is_int, &i, &d)) {
    case DYNAMO_OK:
        A->p += num.len;
        return 0;
    case DYNAMO_ERR_INVALID:
        return json_error(A, at, "number out of range of a double");
    default:
        return dynamop_err_nomem(A->err), -1;
    }
}

/* The array or object at A->p, its contents at DEPTH + 1. */
static int
skip_container(struct answer *A, size_t depth)
{
    char close = *A->p == '[' ? ']' : '}';
    uint32_t object = close == '}' ? ++A->objects : 0;
    size_t off, len;
    int r;

    if (dynamop_json_open(&A->p, A->end, close))
        return 0;
    do {
        if ((object != 0 && read_key(A, &A->keys, object, 0, &off, &len) != 0) ||
            skip_value(A, depth + 1) != 0)
            return -1;
    } while ((r = next_or_close(A, close)) == 0);
    return r > 0 ? 0 : -1;
}

/* The value at A->p, at DEPTH (the answer itself is 1), as
 * dynamop_json_parse would read it. */
static int
skip_value(struct answer *A, size_t depth)
{
    if (A->p >= A->end)
        return expected(A, "a value");
    if (depth > JSON_PARSER_MAX_DEPTH)
        return json_error(A, A->p, "nested deeper than %d levels", JSON_PARSER_MAX_DEPTH);
    switch (*A->p) {
    case '{':
    case '[':
        return skip_container(A, depth);
    case '"':
        return read_string(A, NULL, STR_SKIP);
    case 't':
        return literal(A, "true", 4) ? 0 : json_error(A, A->p, "invalid literal");
    case 'f':
        return literal(A, "false", 5) ? 0 : json_error(A, A->p, "invalid literal");
    case 'n':
        return literal(A, "null", 4) ? 0 : json_error(A, A->p, "invalid literal");
    default:
        if (*A->p == '-' || (*A->p >= '0' && *A->p <= '9'))
            return skip_number(A);
        return expected(A, "a value");
    }
}

/* ---- the item: typed in, plain out ---------------------------------------- */

/* The string at A->p as a number: its decoded text written as it is.
 * Returns 0, 1 when it is not a number (nothing set), or -1 with ERR set. */
static int
number_string(struct answer *A)
{
    size_t off = A->out.len;
    const char *q = dynamop_json_span(A->p + 1, A->end);

    if (read_spanned(A, &A->out, STR_RAW, q) != 0)
        return -1;
    return dynamop_num_is_text(A->out.data + off, A->out.len - off) ? 0 : 1;
}

/* The typed value at A->p ({TAG: value}) as plain JSON when it is a
 * compact S or N, most of an item's: {"S":"text"} without escapes is its
 * text's bytes, quotes included, {"N":"12"} its number's, each in one
 * copy.  Returns 0, 1 when it is no such value (nothing read: a number
 * that is not one too), or -1 with ERR set. */
static inline int
compact_value(struct answer *A)
{
    const char *p = A->p, *s = p + 6, *q;
    size_t quotes;

    if (A->end - p >= 8 && p[0] == '{' && p[1] == '"' && (p[2] == 'S' || p[2] == 'N') &&
        memcmp(p + 3, "\":\"", 3) == 0) {
        q = dynamop_json_span(s, A->end);
        if (A->end - q >= 2 && q[0] == '"' && q[1] == '}' &&
            (p[2] == 'S' || dynamop_num_is_text(s, (size_t)(q - s)))) {
            quotes = p[2] == 'S'; /* a string keeps them, a number not */
            A->p = q + 2;
            return put_text(A, &A->out, s - quotes, (size_t)(q - s) + 2 * quotes);
        }
    }
    return 1;
}

/* The members of the typed object at A->p ('{': the item, or an M's
 * inside) as a plain object; their values at DEPTH L / M levels.  One
 * path frame for them all, rewritten for each key: only the values'
 * errors name a path, and after an error the path is not used again. */
static int
item_members(struct answer *A, int depth)
{
    uint32_t object = ++A->objects;
    struct dynamop_frame *f = &A->path.f[A->path.n++];
    int r = open_out(A, '{', '}');

    f->kind = DYNAMOP_FRAME_KEY_OFF;
    while (r == 0) {
        if (item_key(A, object, f) != 0)
            return -1;
        if ((r = compact_value(A)) > 0) /* not in line: see typed_value */
            r = typed_value(A, depth);
        if (r != 0 || (r = next_out(A, '}')) < 0)
            return -1;
    }
    A->path.n--;
    return r > 0 ? 0 : -1;
}

/* The elements of the L at A->p ('[') as a plain array; their values at
 * DEPTH. */
static int
list(struct answer *A, int depth)
{
    struct dynamop_frame *f = &A->path.f[A->path.n++];
    int r = open_out(A, '[', ']');

    f->kind = DYNAMOP_FRAME_INDEX;
    for (f->index = 0; r == 0; f->index++) {
        if ((r = compact_value(A)) > 0)
            r = typed_value(A, depth);
        if (r != 0 || (r = next_out(A, ']')) < 0)
            return -1;
    }
    A->path.n--;
    return r > 0 ? 0 : -1;
}

/* The elements of the SS, NS or BS at A->p ('[') as a plain array. */
static int
set(struct answer *A, enum dynamop_type_tag tag)
{
    int numbers = tag == DYNAMOP_TAG_NS, r = open_out(A, '[', ']'), rc;
    size_t i = 0;

    for (; r == 0; i++) {
        rc = A->p < A->end && *A->p == '"'
                 ? numbers ? number_string(A) : quoted_string(A, &A->out)
                 : 1;
        if (rc > 0)
            return typed_error(A, "'%s' element %zu is not %s", dynamop_tag_names[tag], i,
                               numbers ? "a number in a string" : "a string");
        if (rc < 0 || (r = next_out(A, ']')) < 0)
            return -1;
    }
    return r > 0 ? 0 : -1;
}

/* The value of a TAG at A->p, plain; DEPTH counts the L / M levels around
 * it.  Returns 0, or -1 with ERR set. */
static int
tag_value(struct answer *A, enum dynamop_type_tag tag, int depth)
{
    char c = A->p < A->end ? *A->p : '\0';
    int container = tag == DYNAMOP_TAG_L || tag == DYNAMOP_TAG_M, rc = 1;

    if (container && c == (tag == DYNAMOP_TAG_L ? '[' : '{') &&
        depth >= DYNAMOP_MAX_DEPTH)
        return typed_error(A, "nested deeper than 32 levels");
    switch (tag) {
    case DYNAMOP_TAG_S:
    case DYNAMOP_TAG_B:
        rc = c == '"' ? quoted_string(A, &A->out) : 1;
        break;
    case DYNAMOP_TAG_N:
        rc = c == '"' ? number_string(A) : 1;
        break;
    case DYNAMOP_TAG_BOOL:
        if (literal(A, "true", 4))
            rc = put(A, &A->out, "true", 4);
        else if (literal(A, "false", 5))
            rc = put(A, &A->out, "false", 5);
        break;
    case DYNAMOP_TAG_NULL:
        rc = literal(A, "true", 4) ? put(A, &A->out, "null", 4) : 1;
        break;
    case DYNAMOP_TAG_L:
        rc = c == '[' ? list(A, depth + 1) : 1;
        break;
    case DYNAMOP_TAG_M:
        rc = c == '{' ? item_members(A, depth + 1) : 1;
        break;
    default:
        rc = c == '[' ? set(A, tag) : 1;
        break;
    }
    if (rc > 0)
        return typed_error(A, "'%s' needs %s", dynamop_tag_names[tag],
                           dynamop_tag_wants[tag]);
    return rc;
}

/* The tag spelt by the LEN bytes at S, or DYNAMOP_TAG_MAX: by length and
 * letters, dynamop_tag_names without a compare per name. */
static inline int
tag_named(const char *s, size_t len)
{
    switch (len) {
    case 1:
        switch (s[0]) {
        case 'S':
            return DYNAMOP_TAG_S;
        case 'N':
            return DYNAMOP_TAG_N;
        case 'B':
            return DYNAMOP_TAG_B;
        case 'L':
            return DYNAMOP_TAG_L;
        case 'M':
            return DYNAMOP_TAG_M;
        }
        break;
    case 2:
        if (s[1] != 'S')
            break;
        switch (s[0]) {
        case 'S':
            return DYNAMOP_TAG_SS;
        case 'N':
            return DYNAMOP_TAG_NS;
        case 'B':
            return DYNAMOP_TAG_BS;
        }
        break;
    case 4:
        if (memcmp(s, "BOOL", 4) == 0)
            return DYNAMOP_TAG_BOOL;
        if (memcmp(s, "NULL", 4) == 0)
            return DYNAMOP_TAG_NULL;
        break;
    }
    return DYNAMOP_TAG_MAX;
}

/* The tag at P, on its opening quote, when it is spelt there without
 * escapes: the closing quote is where its length puts it, and tag_named
 * takes only letters.  DYNAMOP_TAG_MAX otherwise; *N: its bytes with the
 * quotes. */
static inline int
quick_tag(const char *p, const char *end, size_t *n)
{
    size_t left = (size_t)(end - p), len;

    if (left >= 3 && p[2] == '"')
        len = 1;
    else if (left >= 4 && p[3] == '"')
        len = 2;
    else if (left >= 6 && p[5] == '"')
        len = 4;
    else
        return DYNAMOP_TAG_MAX;
    *n = len + 2;
    return tag_named(p + 1, len);
}

/* The type tag at A->p (a key) into *TAG, then the ':'.  Returns 0, or -1
 * with ERR set. */
static int
read_tag(struct answer *A, enum dynamop_type_tag *tag)
{
    const char *name = A->p + 1, *q;
    size_t off = A->keys.len, len;
    int t;

    if (A->p >= A->end || *A->p != '"')
        return A->p < A->end && *A->p == '}'
                   ? typed_error(A,
                                 "expected a typed value (an object with one type tag)")
                   : expected(A, "a string (an object key)");
    if ((t = quick_tag(A->p, A->end, &len)) != DYNAMOP_TAG_MAX) {
        *tag = (enum dynamop_type_tag)t;
        A->p += len;
        return colon(A);
    }
    q = dynamop_json_span(name, A->end);
    if (q < A->end && *q == '"') { /* no escapes: the name is in the text */
        len = (size_t)(q - name);
        A->p = q + 1;
    } else {
        if (read_spanned(A, &A->keys, STR_RAW, q) != 0)
            return -1;
        name = A->keys.data + off;
        len = A->keys.len - off;
        A->keys.len = off;
    }
    if ((t = tag_named(name, len)) == DYNAMOP_TAG_MAX)
        return typed_error(A, "unknown type tag '%.*s'", (int)(len < 32 ? len : 32),
                           name);
    *tag = (enum dynamop_type_tag)t;
    return colon(A);
}

/* The typed value at A->p ({TAG: value}) as plain JSON; DEPTH counts the
 * L / M levels around it.  Returns 0, or -1 with ERR set.  Its callers
 * try compact_value() first, each in line: called from one place, this
 * would be merged into that, and its long prologue paid for every value. */
static int
typed_value(struct answer *A, int depth)
{
    enum dynamop_type_tag tag = DYNAMOP_TAG_S; /* set by read_tag */

    if (A->p >= A->end)
        return expected(A, "a value");
    if (*A->p != '{')
        return typed_error(A, "expected a typed value (an object with one type tag)");
    A->p = dynamop_json_ws(A->p + 1, A->end);
    if (read_tag(A, &tag) != 0 || tag_value(A, tag, depth) != 0)
        return -1;
    A->p = dynamop_json_ws(A->p, A->end);
    if (A->p < A->end && *A->p == '}') {
        A->p++;
        return 0;
    }
    if (A->p < A->end && *A->p == ',')
        return typed_error(A, "expected a typed value (an object with one type tag)");
    return expected(A, "'}'");
}

/* ---- the answer -------------------------------------------------------- */

/* The item at A->p, the value of FIELD, into A->out (NUL-terminated).  At
 * most the rest of the answer is written, so the buffer is sized once. */
static int
item(struct answer *A)
{
    size_t rest = (size_t)(A->end - A->p) + 1;
    enum dynamo_code code;

    if (A->p >= A->end || *A->p != '{')
        return typed_error(A, "expected a typed item (an object)");
    code = dynamop_buf_grow(&A->out, rest < A->out.max ? rest : A->out.max);
    if (code != DYNAMO_OK)
        return dynamop_err_nomem(A->err), -1;
    return item_members(A, 0) != 0 || put1(A, &A->out, '\0') != 0 ? -1 : 0;
}

/* The members of the answer (at A->p, '{'): FIELD's value written, the
 * others checked.  *FOUND: 1 when FIELD was there. */
static int
answer_members(struct answer *A, const char *field, int *found)
{
    uint32_t object = ++A->objects;
    size_t flen = strlen(field), off, len;
    int r;

    if (dynamop_json_open(&A->p, A->end, '}'))
        return 0;
    do {
        if (read_key(A, &A->keys, object, 0, &off, &len) != 0)
            return -1;
        if (len == flen && memcmp(key_at(A, &A->keys, off), field, flen) == 0) {
            if (item(A) != 0)
                return -1;
            *found = 1;
        } else if (skip_value(A, 2) != 0) {
            return -1;
        }
    } while ((r = next_or_close(A, '}')) == 0);
    return r > 0 ? 0 : -1;
}

int
dynamop_answer_item_text(const char *body, size_t len, const char *field, char **plain,
                         size_t *plain_len, struct dynamo_err *err)
{
    struct answer A; /* not zeroed whole: its slots and path are written before read */
    int found = 0, rc = -1;

    *plain = NULL;
    A.err = err;
    A.out = (struct dynamop_buf){.max = DYNAMOP_MAX_TEXT};
    A.keys = (struct dynamop_buf){.max = len + 1};
    memset(A.inline_used, 0, sizeof(A.inline_used));
    A.table = (struct key_table){A.inline_slots, A.inline_used, INLINE_SLOTS, 0};
    A.objects = 0;
    A.path.n = 0;
    A.base = body != NULL ? body : "";
    A.end = A.base + (body != NULL ? len : 0);
    A.p = dynamop_json_ws(A.base, A.end);
    if (len == 0) {
        rc = 0; /* an empty answer is {} */
    } else if (len > MAX_ANSWER) {
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE,
                        "response of %zu bytes is too large", len);
    } else if (A.p < A.end && *A.p == '[') {
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE, "response is not a JSON object");
    } else if (A.p >= A.end || *A.p != '{') {
        expected(&A, "'{' or '['");
    } else if (answer_members(&A, field, &found) == 0) {
        A.p = dynamop_json_ws(A.p, A.end);
        rc = A.p < A.end ? json_error(&A, A.p, "unexpected text after the value") : 0;
    }
    if (rc == 0 && found) {
        *plain = A.out.data;
        if (plain_len != NULL)
            *plain_len = A.out.len - 1;
    } else {
        util_free(A.out.data);
    }
    if (A.table.slots != A.inline_slots)
        util_free(A.table.slots);
    util_free(A.keys.data);
    return rc;
}
