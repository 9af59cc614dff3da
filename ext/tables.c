/*
 * tables.c: the tables-file parser (the format: tables.h and
 * dynamo.conf.example).
 *
 * Pure: a buffer in, typed declarations out; dynamop_tables_load is the one
 * function that touches a file.  Line-oriented: each line is checked (length,
 * UTF-8, no control characters), stripped of its comment and surrounding
 * blanks, and is then empty, a section header or a "key = value"
 * assignment.  A value is checked and typed when it is read.  Rules that
 * tie several keys together (billing mode and capacity, projection and
 * project, a local index and its table's keys) are checked when the section
 * ends, so keys may come in any order; the position of every key and value
 * of the section is kept so those errors still point at the right token.
 * An index section comes after its table's, so the table is complete when
 * its indexes are checked.
 *
 * Every error is one dynamop_err_at() call, "SOURCE:LINE:COL: message", and
 * the parse stops there; everything built so far is freed by the caller of
 * parse_lines() through dynamop_tables_free().
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "tables.h"

const char *const dynamop_billing_names[DYNAMOP_BILLING_MAX] = {
    [DYNAMOP_PAY_PER_REQUEST] = "PAY_PER_REQUEST",
    [DYNAMOP_PROVISIONED] = "PROVISIONED",
};

const char *const dynamop_projection_names[DYNAMOP_PROJ_MAX] = {
    [DYNAMOP_PROJ_ALL] = "ALL",
    [DYNAMOP_PROJ_KEYS_ONLY] = "KEYS_ONLY",
    [DYNAMOP_PROJ_INCLUDE] = "INCLUDE",
};

/* StreamSpecification.StreamViewType values (CreateTable API reference). */
static const char *const stream_types[] = {"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE",
                                           "NEW_AND_OLD_IMAGES"};
static const char *const index_types[] = {"global", "local"};
static const char *const booleans[] = {"false", "true"};

#define NCHOICES(a) (sizeof(a) / sizeof((a)[0]))

/* Tokens are quoted in messages up to this many bytes (err->text is short). */
#define SHOWN_MAX 40

/* A piece of the current line; not NUL-terminated. */
struct span {
    const char *p;
    size_t n;
};

/* A position in the file, 1-based; line 0 means "not seen". */
struct pos {
    int line;
    int col;
};

enum section { SEC_NONE, SEC_TABLE, SEC_INDEX };

enum key_id {
    K_TYPE,
    K_HASH_KEY,
    K_RANGE_KEY,
    K_BILLING_MODE,
    K_READ_CAPACITY,
    K_WRITE_CAPACITY,
    K_TTL_ATTRIBUTE,
    K_STREAM,
    K_SSE,
    K_DELETION_PROTECTION,
    K_TAGS,
    K_PROJECTION,
    K_PROJECT,
    K_MAX
};

struct parser {
    const char *source;
    struct dynamo_err *err;
    struct dynamop_tables *out;
    const char *line_start; /* of the current line, for columns */
    int line;               /* current line, 1-based */
    enum section section;
    size_t table;               /* the current table, or the current index's */
    struct pos header;          /* the name in the current section's header */
    struct pos key_at[K_MAX];   /* where each key was set in this section */
    struct pos value_at[K_MAX]; /* and where its value starts */
};

/* ---- positions and errors ------------------------------------------- */

/* Column of P on the current line: 1 + the characters before it. */
static int
col_of(const struct parser *ps, const char *p)
{
    int col = 1;

    for (const char *q = ps->line_start; q < p; q++)
        if (((unsigned char)*q & 0xC0) != 0x80)
            col++;
    return col;
}

static struct pos
pos_of(const struct parser *ps, const char *p)
{
    struct pos at = {ps->line, col_of(ps, p)};

    return at;
}

static int fail_pos(struct parser *ps, struct pos at, const char *fmt, ...) DYNAMO_PRINTF(3, 4);
static int fail_here(struct parser *ps, const char *p, const char *fmt, ...)
    DYNAMO_PRINTF(3, 4);

static int
vfail(struct parser *ps, struct pos at, const char *fmt, va_list ap) DYNAMO_PRINTF(3, 0);

/* Reports the error at AT.  Returns -1, for "return fail...". */
static int
vfail(struct parser *ps, struct pos at, const char *fmt, va_list ap)
{
    char msg[sizeof(ps->err->text)];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    dynamop_err_at(ps->err, ps->source, at.line, at.col, "%s", msg);
    return -1;
}

static int
fail_pos(struct parser *ps, struct pos at, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(ps, at, fmt, ap);
    va_end(ap);
    return -1;
}

/* Reports the error at P on the current line.  Returns -1. */
static int
fail_here(struct parser *ps, const char *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(ps, pos_of(ps, p), fmt, ap);
    va_end(ap);
    return -1;
}

static int
nomem(struct parser *ps)
{
    dynamop_err_nomem(ps->err);
    return -1;
}

/* How many bytes of S to quote in a message: at most SHOWN_MAX, cut at a
 * character boundary. */
static int
shown(struct span s)
{
    size_t n = s.n;

    if (n > SHOWN_MAX) {
        n = SHOWN_MAX;
        while (n > 0 && ((unsigned char)s.p[n] & 0xC0) == 0x80)
            n--;
    }
    return (int)n;
}

/* For "'%.*s'" in messages. */
#define TOK(s) shown(s), (s).p

/* ---- characters and tokens ------------------------------------------ */

/* Length of the UTF-8 sequence at S (before END), or 0 if it is not
 * well-formed (RFC 3629, section 4: no overlong forms, no surrogates,
 * nothing past U+10FFFF). */
static size_t
utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4;
    else
        return 0;
    if (s[0] == 0xE0)
        lo = 0xA0;
    else if (s[0] == 0xED)
        hi = 0x9F;
    else if (s[0] == 0xF0)
        lo = 0x90;
    else if (s[0] == 0xF4)
        hi = 0x8F;
    if ((size_t)(end - s) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (s[i] < lo || s[i] > hi)
            return 0;
        lo = 0x80;
        hi = 0xBF;
    }
    return n;
}

/* Number of characters in S (valid UTF-8). */
static size_t
char_count(struct span s)
{
    size_t n = 0;

    for (size_t i = 0; i < s.n; i++)
        if (((unsigned char)s.p[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* Checks that the line [P, END) is UTF-8 without NUL or other control
 * characters (tab is a blank).  Returns 0, or -1 at the offending
 * character. */
static int
check_text(struct parser *ps, const char *p, const char *end)
{
    const unsigned char *s = (const unsigned char *)p, *e = (const unsigned char *)end;
    size_t n;

    while (s < e) {
        if (*s == '\0')
            return fail_here(ps, (const char *)s, "NUL byte");
        if ((*s < 0x20 && *s != '\t') || *s == 0x7F)
            return fail_here(ps, (const char *)s, "control character 0x%02X", *s);
        if ((n = utf8_len(s, e)) == 0)
            return fail_here(ps, (const char *)s, "invalid UTF-8 (byte 0x%02X)", *s);
        s += n;
    }
    return 0;
}

static int
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static const char *
skip_blank(const char *p, const char *end)
{
    while (p < end && is_blank(*p))
        p++;
    return p;
}

/* The next blank-separated token of [*P, END) into TOK; *P moves past it.
 * Returns 1, or 0 when only blanks are left. */
static int
next_token(const char **p, const char *end, struct span *tok)
{
    const char *q = skip_blank(*p, end);

    tok->p = q;
    while (q < end && !is_blank(*q))
        q++;
    tok->n = (size_t)(q - tok->p);
    *p = q;
    return tok->n > 0;
}

static int
span_is(struct span s, const char *word)
{
    return strlen(word) == s.n && memcmp(s.p, word, s.n) == 0;
}

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ---- declarations ----------------------------------------------------- */

static const struct dynamop_table_decl *
find_table(const struct dynamop_tables *t, struct span name)
{
    for (size_t i = 0; i < t->ntables; i++)
        if (span_is(name, t->tables[i].name))
            return &t->tables[i];
    return NULL;
}

static const struct dynamop_index_decl *
find_index(const struct dynamop_table_decl *t, struct span name)
{
    for (size_t i = 0; i < t->nindexes; i++)
        if (span_is(name, t->indexes[i].name))
            return &t->indexes[i];
    return NULL;
}

static struct dynamop_table_decl *
cur_table(const struct parser *ps)
{
    return &ps->out->tables[ps->table];
}

/* The index of the current [index] section: its table's last. */
static struct dynamop_index_decl *
cur_index(const struct parser *ps)
{
    struct dynamop_table_decl *t = cur_table(ps);

    return &t->indexes[t->nindexes - 1];
}

/* ---- values ------------------------------------------------------------ */

/* The keys, their sections and setters, defined after the setters. */
#define IN_TABLE 1u
#define IN_INDEX 2u
struct keydef {
    const char *name;
    unsigned sections;
    /* Checks VALUE (non-empty, trimmed) and stores it.  Returns 0 or -1. */
    int (*set)(struct parser *ps, enum key_id k, struct span value);
};
static const struct keydef keys[K_MAX];

/* VALUE as one token into TOK.  Returns 0, or -1 when another follows. */
static int
one_token(struct parser *ps, enum key_id k, struct span value, struct span *tok)
{
    const char *q = value.p, *end = value.p + value.n;
    struct span extra;

    next_token(&q, end, tok);
    if (next_token(&q, end, &extra))
        return fail_here(ps, extra.p, "unexpected '%.*s' after the value of '%s'", TOK(extra),
                         keys[k].name);
    return 0;
}

/* VALUE as one of the N words of CHOICES: *WHICH gets its position.
 * Returns 0, or -1 with the allowed words listed. */
static int
choose(struct parser *ps, enum key_id k, struct span value, const char *const *choices,
       size_t n, int *which)
{
    char expected[160] = "";
    size_t used = 0;
    struct span tok;

    if (one_token(ps, k, value, &tok) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (span_is(tok, choices[i])) {
            *which = (int)i;
            return 0;
        }
    }
    for (size_t i = 0; i < n && used < sizeof(expected); i++)
        used += (size_t)snprintf(expected + used, sizeof(expected) - used, "%s%s",
                                 i == 0 ? "" : i + 1 == n ? " or " : ", ", choices[i]);
    return fail_here(ps, tok.p, "bad %s '%.*s' (expected %s)", keys[k].name, TOK(tok),
                     expected);
}

/* An attribute name: 1 to DYNAMOP_KEY_NAME_MAX bytes.  Returns 0 or -1. */
static int
check_attribute(struct parser *ps, struct span name)
{
    if (name.n > DYNAMOP_KEY_NAME_MAX)
        return fail_here(ps, name.p, "attribute name longer than %d bytes",
                         DYNAMOP_KEY_NAME_MAX);
    return 0;
}

static int
set_type(struct parser *ps, enum key_id k, struct span value)
{
    int which;

    if (choose(ps, k, value, index_types, NCHOICES(index_types), &which) != 0)
        return -1;
    cur_index(ps)->local = which;
    return 0;
}

static int
set_billing(struct parser *ps, enum key_id k, struct span value)
{
    int which;

    if (choose(ps, k, value, dynamop_billing_names, DYNAMOP_BILLING_MAX, &which) != 0)
        return -1;
    cur_table(ps)->billing = (enum dynamop_billing)which;
    return 0;
}

static int
set_projection(struct parser *ps, enum key_id k, struct span value)
{
    int which;

    if (choose(ps, k, value, dynamop_projection_names, DYNAMOP_PROJ_MAX, &which) != 0)
        return -1;
    cur_index(ps)->projection = (enum dynamop_projection)which;
    return 0;
}

static int
set_stream(struct parser *ps, enum key_id k, struct span value)
{
    struct dynamop_table_decl *t = cur_table(ps);
    int which;

    if (choose(ps, k, value, stream_types, NCHOICES(stream_types), &which) != 0)
        return -1;
    if ((t->stream = dynamop_strdup(stream_types[which])) == NULL)
        return nomem(ps);
    return 0;
}

/* sse and deletion_protection. */
static int
set_bool(struct parser *ps, enum key_id k, struct span value)
{
    struct dynamop_table_decl *t = cur_table(ps);
    int which;

    if (choose(ps, k, value, booleans, NCHOICES(booleans), &which) != 0)
        return -1;
    if (k == K_SSE)
        t->sse = which;
    else
        t->deletion_protection = which;
    return 0;
}

static int
set_ttl(struct parser *ps, enum key_id k, struct span value)
{
    struct dynamop_table_decl *t = cur_table(ps);
    struct span tok;

    if (one_token(ps, k, value, &tok) != 0 || check_attribute(ps, tok) != 0)
        return -1;
    if ((t->ttl_attribute = dynamop_strndup(tok.p, tok.n)) == NULL)
        return nomem(ps);
    return 0;
}

/* TOK as a whole number >= 1 into *N.  Returns 0, or -1: not digits (an
 * optional '-' aside), below 1, or past LONG_MAX. */
static int
parse_capacity(struct parser *ps, enum key_id k, struct span tok, long *n)
{
    int negative = tok.p[0] == '-';
    long v = 0;

    if (tok.n == (size_t)negative)
        return fail_here(ps, tok.p, "%s '%.*s' is not a whole number", keys[k].name, TOK(tok));
    for (size_t i = (size_t)negative; i < tok.n; i++)
        if (tok.p[i] < '0' || tok.p[i] > '9')
            return fail_here(ps, tok.p, "%s '%.*s' is not a whole number", keys[k].name,
                             TOK(tok));
    if (negative)
        return fail_here(ps, tok.p, "%s must be at least 1, not '%.*s'", keys[k].name,
                         TOK(tok));
    for (size_t i = 0; i < tok.n; i++) {
        int d = tok.p[i] - '0';

        if (v > (LONG_MAX - d) / 10)
            return fail_here(ps, tok.p, "%s '%.*s' is too large", keys[k].name, TOK(tok));
        v = v * 10 + d;
    }
    if (v < 1)
        return fail_here(ps, tok.p, "%s must be at least 1, not '%.*s'", keys[k].name,
                         TOK(tok));
    *n = v;
    return 0;
}

/* read_capacity and write_capacity, of a table or an index; whether they
 * are allowed there is checked when the section ends. */
static int
set_capacity(struct parser *ps, enum key_id k, struct span value)
{
    struct span tok;
    long *read, *write, n;

    if (one_token(ps, k, value, &tok) != 0 || parse_capacity(ps, k, tok, &n) != 0)
        return -1;
    if (ps->section == SEC_TABLE) {
        read = &cur_table(ps)->read_capacity;
        write = &cur_table(ps)->write_capacity;
    } else {
        read = &cur_index(ps)->read_capacity;
        write = &cur_index(ps)->write_capacity;
    }
    *(k == K_READ_CAPACITY ? read : write) = n;
    return 0;
}

/* The key of A and B that names NAME with a type other than TYPE, or NULL. */
static const struct dynamop_key *
conflicting(const struct dynamop_key *a, const struct dynamop_key *b, struct span name,
            char type)
{
    if (a->name != NULL && span_is(name, a->name) && a->type != type)
        return a;
    if (b->name != NULL && span_is(name, b->name) && b->type != type)
        return b;
    return NULL;
}

/* In an index section: the attribute NAME must have the same TYPE wherever
 * the table or its other indexes use it as a key, since AttributeDefinitions
 * lists it once.  Returns 0, or -1 at AT (the type). */
static int
check_type(struct parser *ps, struct span name, char type, const char *at)
{
    const struct dynamop_table_decl *t = cur_table(ps);
    const struct dynamop_index_decl *ix;
    const struct dynamop_key *prev;

    if ((prev = conflicting(&t->hash, &t->range, name, type)) != NULL)
        return fail_here(ps, at, "attribute '%.*s' has type %c here but %c in table '%s'",
                         TOK(name), type, prev->type, t->name);
    for (size_t i = 0; i + 1 < t->nindexes; i++) {
        ix = &t->indexes[i];
        if ((prev = conflicting(&ix->hash, &ix->range, name, type)) != NULL)
            return fail_here(ps, at, "attribute '%.*s' has type %c here but %c in index '%s'",
                             TOK(name), type, prev->type, ix->name);
    }
    return 0;
}

/* hash_key and range_key, "NAME TYPE", of a table or an index.  Returns 0,
 * or -1: no type, bad type, extra token, long name, the other key's
 * attribute, a type that conflicts with another key, no memory. */
static int
set_key(struct parser *ps, enum key_id k, struct span value)
{
    const char *q = value.p, *end = value.p + value.n;
    struct dynamop_key *hash, *range, *key, *other;
    struct span name, type, extra;

    next_token(&q, end, &name);
    if (!next_token(&q, end, &type))
        return fail_here(ps, name.p + name.n,
                         "missing attribute type after '%.*s' (expected NAME TYPE, "
                         "TYPE one of S N B)",
                         TOK(name));
    if (type.n != 1 || (type.p[0] != 'S' && type.p[0] != 'N' && type.p[0] != 'B'))
        return fail_here(ps, type.p, "bad attribute type '%.*s' (expected S, N or B)",
                         TOK(type));
    if (next_token(&q, end, &extra))
        return fail_here(ps, extra.p, "unexpected '%.*s' after the attribute type",
                         TOK(extra));
    if (check_attribute(ps, name) != 0)
        return -1;
    hash = ps->section == SEC_TABLE ? &cur_table(ps)->hash : &cur_index(ps)->hash;
    range = ps->section == SEC_TABLE ? &cur_table(ps)->range : &cur_index(ps)->range;
    key = k == K_HASH_KEY ? hash : range;
    other = k == K_HASH_KEY ? range : hash;
    if (other->name != NULL && span_is(name, other->name))
        return fail_here(ps, name.p, "attribute '%.*s' is already the %s key", TOK(name),
                         k == K_HASH_KEY ? "range" : "hash");
    if (ps->section == SEC_INDEX && check_type(ps, name, type.p[0], type.p) != 0)
        return -1;
    if ((key->name = dynamop_strndup(name.p, name.n)) == NULL)
        return nomem(ps);
    key->type = type.p[0];
    return 0;
}

/* A tag key or value, WHAT: at most MAX characters, each a letter, a digit
 * or one of _ . : / = + - @ (AWS tagging rules; any non-ASCII character is
 * taken as a letter).  Returns 0 or -1. */
static int
check_tag_text(struct parser *ps, struct span s, const char *what, size_t max)
{
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];

        if (c < 0x80 && !dynamop_name_char(c) && strchr(":/=+@", c) == NULL)
            return fail_here(ps, s.p + i,
                             "character '%c' not allowed in a tag %s (letters, digits and "
                             "_ . : / = + - @)",
                             c, what);
    }
    if (char_count(s) > max)
        return fail_here(ps, s.p, "tag %s longer than %zu characters", what, max);
    return 0;
}

/* One KEY=VALUE token of tags.  Returns 0, or -1: no '=', empty, reserved
 * or duplicate key, bad character, too long, too many tags, no memory. */
static int
add_tag(struct parser *ps, struct dynamop_table_decl *t, struct span tok)
{
    const char *eq = memchr(tok.p, '=', tok.n);
    struct span key, val;
    struct dynamop_tag *grown, *tag;

    if (eq == NULL)
        return fail_here(ps, tok.p, "tag '%.*s' is not KEY=VALUE", TOK(tok));
    key.p = tok.p, key.n = (size_t)(eq - tok.p);
    val.p = eq + 1, val.n = tok.n - key.n - 1;
    if (key.n == 0)
        return fail_here(ps, tok.p, "tag '%.*s' has an empty key", TOK(tok));
    if (check_tag_text(ps, key, "key", DYNAMOP_TAG_KEY_MAX) != 0 ||
        check_tag_text(ps, val, "value", DYNAMOP_TAG_VALUE_MAX) != 0)
        return -1;
    if (key.n >= 4 && lower(key.p[0]) == 'a' && lower(key.p[1]) == 'w' &&
        lower(key.p[2]) == 's' && key.p[3] == ':')
        return fail_here(ps, tok.p, "tag keys starting with 'aws:' are reserved");
    for (size_t i = 0; i < t->ntags; i++)
        if (span_is(key, t->tags[i].key))
            return fail_here(ps, tok.p, "duplicate tag key '%.*s'", TOK(key));
    if (t->ntags == DYNAMOP_MAX_TAGS)
        return fail_here(ps, tok.p, "more than %d tags", DYNAMOP_MAX_TAGS);
    if ((grown = dynamop_reallocarray(t->tags, t->ntags + 1, sizeof(*grown))) == NULL)
        return nomem(ps);
    t->tags = grown;
    tag = &t->tags[t->ntags];
    tag->key = dynamop_strndup(key.p, key.n);
    tag->value = dynamop_strndup(val.p, val.n);
    if (tag->key == NULL || tag->value == NULL) {
        dynamop_free(tag->key);
        dynamop_free(tag->value);
        return nomem(ps);
    }
    t->ntags++;
    return 0;
}

static int
set_tags(struct parser *ps, enum key_id k, struct span value)
{
    const char *q = value.p, *end = value.p + value.n;
    struct span tok;

    (void)k;
    while (next_token(&q, end, &tok))
        if (add_tag(ps, cur_table(ps), tok) != 0)
            return -1;
    return 0;
}

/* project: the NonKeyAttributes of an INCLUDE projection.  Returns 0, or
 * -1: a long name, a name listed twice, no memory. */
static int
set_project(struct parser *ps, enum key_id k, struct span value)
{
    struct dynamop_index_decl *ix = cur_index(ps);
    const char *q = value.p, *end = value.p + value.n;
    struct span tok;
    char **grown;

    (void)k;
    while (next_token(&q, end, &tok)) {
        if (check_attribute(ps, tok) != 0)
            return -1;
        for (size_t i = 0; i < ix->nproject; i++)
            if (span_is(tok, ix->project[i]))
                return fail_here(ps, tok.p, "attribute '%.*s' listed twice", TOK(tok));
        grown = dynamop_reallocarray(ix->project, ix->nproject + 1, sizeof(*grown));
        if (grown == NULL)
            return nomem(ps);
        ix->project = grown;
        if ((ix->project[ix->nproject] = dynamop_strndup(tok.p, tok.n)) == NULL)
            return nomem(ps);
        ix->nproject++;
    }
    return 0;
}

static const struct keydef keys[K_MAX] = {
    [K_TYPE] = {"type", IN_INDEX, set_type},
    [K_HASH_KEY] = {"hash_key", IN_TABLE | IN_INDEX, set_key},
    [K_RANGE_KEY] = {"range_key", IN_TABLE | IN_INDEX, set_key},
    [K_BILLING_MODE] = {"billing_mode", IN_TABLE, set_billing},
    [K_READ_CAPACITY] = {"read_capacity", IN_TABLE | IN_INDEX, set_capacity},
    [K_WRITE_CAPACITY] = {"write_capacity", IN_TABLE | IN_INDEX, set_capacity},
    [K_TTL_ATTRIBUTE] = {"ttl_attribute", IN_TABLE, set_ttl},
    [K_STREAM] = {"stream", IN_TABLE, set_stream},
    [K_SSE] = {"sse", IN_TABLE, set_bool},
    [K_DELETION_PROTECTION] = {"deletion_protection", IN_TABLE, set_bool},
    [K_TAGS] = {"tags", IN_TABLE, set_tags},
    [K_PROJECTION] = {"projection", IN_INDEX, set_projection},
    [K_PROJECT] = {"project", IN_INDEX, set_project},
};

/* ---- keys ------------------------------------------------------------- */

#define SUGGEST_LEN 32 /* longer keys get no suggestion */

/* Optimal-string-alignment distance between A and B, letters compared
 * without case: insertions, deletions, substitutions and swaps of two
 * neighbours cost 1.  SIZE_MAX when either is longer than SUGGEST_LEN. */
static size_t
edit_distance(struct span a, const char *b)
{
    size_t m = a.n, n = strlen(b), d[SUGGEST_LEN + 1][SUGGEST_LEN + 1];

    if (m > SUGGEST_LEN || n > SUGGEST_LEN)
        return SIZE_MAX;
    for (size_t i = 0; i <= m; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= n; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= m; i++) {
        for (size_t j = 1; j <= n; j++) {
            size_t cost = lower(a.p[i - 1]) != lower(b[j - 1]);
            size_t best = d[i - 1][j - 1] + cost;

            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && lower(a.p[i - 1]) == lower(b[j - 2]) &&
                lower(a.p[i - 2]) == lower(b[j - 1]) && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[m][n];
}

/* The id of KEY in the current section.  Returns it, or -1: a key of the
 * other kind of section, or an unknown key (the closest known one of this
 * section suggested when close enough). */
static int
lookup_key(struct parser *ps, struct span key)
{
    unsigned here = ps->section == SEC_TABLE ? IN_TABLE : IN_INDEX;
    const char *kind = here == IN_TABLE ? "a table" : "an index";
    const char *best = NULL;
    size_t best_d = SIZE_MAX;

    for (int k = 0; k < K_MAX; k++) {
        if (!span_is(key, keys[k].name))
            continue;
        if (keys[k].sections & here)
            return k;
        return fail_here(ps, key.p, "'%s' is not allowed in %s section (only in [%s ...])",
                         keys[k].name, kind, here == IN_TABLE ? "index" : "table");
    }
    for (int k = 0; k < K_MAX; k++) {
        size_t d = (keys[k].sections & here) ? edit_distance(key, keys[k].name) : SIZE_MAX;

        if (d < best_d)
            best = keys[k].name, best_d = d;
    }
    /* Close enough: one edit for short keys, two for most, three for long. */
    if (best != NULL && best_d <= (strlen(best) <= 4 ? 1 : strlen(best) <= 10 ? 2 : 3))
        return fail_here(ps, key.p, "unknown key '%.*s' (did you mean '%s'?)", TOK(key),
                         best);
    return fail_here(ps, key.p, "unknown key '%.*s' in %s section", TOK(key), kind);
}

/* "KEY = VALUE" in [P, END) (trimmed, comment removed).  Returns 0, or -1:
 * no key, outside a section, unknown key, no '=', no value, duplicate key,
 * or the value's own errors. */
static int
parse_assignment(struct parser *ps, const char *p, const char *end)
{
    const char *q = p;
    struct span key, value, near;
    int k;

    while (q < end && !is_blank(*q) && *q != '=')
        q++;
    key.p = p, key.n = (size_t)(q - p);
    if (key.n == 0)
        return fail_here(ps, p, "missing key before '='");
    if (ps->section == SEC_NONE)
        return fail_here(ps, p, "'%.*s' outside any section (start one with [table NAME])",
                         TOK(key));
    if ((k = lookup_key(ps, key)) < 0)
        return -1;
    q = skip_blank(q, end);
    if (q == end)
        return fail_here(ps, q, "expected '=' after '%.*s'", TOK(key));
    if (*q != '=') {
        next_token(&q, end, &near);
        return fail_here(ps, near.p, "expected '=' near '%.*s'", TOK(near));
    }
    q = skip_blank(q + 1, end);
    if (q == end)
        return fail_here(ps, q, "missing value for '%s'", keys[k].name);
    if (ps->key_at[k].line != 0)
        return fail_here(ps, p, "duplicate key '%s' (first set at line %d)", keys[k].name,
                         ps->key_at[k].line);
    ps->key_at[k] = pos_of(ps, p);
    ps->value_at[k] = pos_of(ps, q);
    value.p = q, value.n = (size_t)(end - q);
    return keys[k].set(ps, (enum key_id)k, value);
}

/* ---- sections --------------------------------------------------------- */

/* Which of keys A and B was set first in this section, or -1 if neither. */
static int
first_set(const struct parser *ps, enum key_id a, enum key_id b)
{
    const struct pos *pa = &ps->key_at[a], *pb = &ps->key_at[b];

    if (pa->line == 0)
        return pb->line == 0 ? -1 : (int)b;
    if (pb->line == 0 || pa->line < pb->line || (pa->line == pb->line && pa->col < pb->col))
        return (int)a;
    return (int)b;
}

/* End of a [table] section.  Returns 0, or -1: no hash key, capacity on a
 * PAY_PER_REQUEST table, PROVISIONED without both capacities. */
static int
end_table(struct parser *ps)
{
    const struct dynamop_table_decl *t = cur_table(ps);
    int cap = first_set(ps, K_READ_CAPACITY, K_WRITE_CAPACITY);

    if (t->hash.name == NULL)
        return fail_pos(ps, ps->header, "table '%s' has no hash_key", t->name);
    if (t->billing == DYNAMOP_PAY_PER_REQUEST && cap >= 0)
        return fail_pos(ps, ps->key_at[cap],
                        "%s needs billing_mode = PROVISIONED (table '%s' is PAY_PER_REQUEST)",
                        keys[cap].name, t->name);
    if (t->billing == DYNAMOP_PROVISIONED && t->read_capacity == 0)
        return fail_pos(ps, ps->value_at[K_BILLING_MODE],
                        "billing_mode = PROVISIONED needs read_capacity");
    if (t->billing == DYNAMOP_PROVISIONED && t->write_capacity == 0)
        return fail_pos(ps, ps->value_at[K_BILLING_MODE],
                        "billing_mode = PROVISIONED needs write_capacity");
    return 0;
}

static size_t
count_indexes(const struct dynamop_table_decl *t, int local)
{
    size_t n = 0;

    for (size_t i = 0; i < t->nindexes; i++)
        n += t->indexes[i].local == local;
    return n;
}

/* A local index: the table has a range key, the index repeats the table's
 * hash key and has its own range key, no capacity, at most
 * DYNAMOP_MAX_LSI per table.  Returns 0 or -1. */
static int
check_local(struct parser *ps, const struct dynamop_table_decl *t,
            const struct dynamop_index_decl *ix, int cap)
{
    if (t->range.name == NULL)
        return fail_pos(ps, ps->value_at[K_TYPE],
                        "a local index needs a table with a range key, and table '%s' has "
                        "none",
                        t->name);
    if (strcmp(ix->hash.name, t->hash.name) != 0)
        return fail_pos(ps, ps->value_at[K_HASH_KEY],
                        "the hash key of a local index must be the table's ('%s')",
                        t->hash.name);
    if (ix->range.name == NULL)
        return fail_pos(ps, ps->header, "local index '%s' has no range_key", ix->name);
    if (cap >= 0)
        return fail_pos(ps, ps->key_at[cap],
                        "%s on a local index (it shares the table's capacity)",
                        keys[cap].name);
    if (count_indexes(t, 1) > DYNAMOP_MAX_LSI)
        return fail_pos(ps, ps->header, "table '%s' has more than %d local indexes", t->name,
                        DYNAMOP_MAX_LSI);
    return 0;
}

/* A global index: capacity exactly when the table is PROVISIONED, at most
 * DYNAMOP_MAX_GSI per table.  Returns 0 or -1. */
static int
check_global(struct parser *ps, const struct dynamop_table_decl *t,
             const struct dynamop_index_decl *ix, int cap)
{
    if (t->billing == DYNAMOP_PAY_PER_REQUEST && cap >= 0)
        return fail_pos(ps, ps->key_at[cap],
                        "%s on an index of PAY_PER_REQUEST table '%s' (only PROVISIONED "
                        "tables take capacity)",
                        keys[cap].name, t->name);
    if (t->billing == DYNAMOP_PROVISIONED && ix->read_capacity == 0)
        return fail_pos(ps, ps->header,
                        "global index '%s' of PROVISIONED table '%s' needs read_capacity",
                        ix->name, t->name);
    if (t->billing == DYNAMOP_PROVISIONED && ix->write_capacity == 0)
        return fail_pos(ps, ps->header,
                        "global index '%s' of PROVISIONED table '%s' needs write_capacity",
                        ix->name, t->name);
    if (count_indexes(t, 0) > DYNAMOP_MAX_GSI)
        return fail_pos(ps, ps->header, "table '%s' has more than %d global indexes", t->name,
                        DYNAMOP_MAX_GSI);
    return 0;
}

/* project exactly with INCLUDE; at most DYNAMOP_MAX_PROJECTED attributes
 * over all the table's indexes (CreateTable: Projection.NonKeyAttributes).
 * Returns 0 or -1. */
static int
check_projection(struct parser *ps, const struct dynamop_table_decl *t,
                 const struct dynamop_index_decl *ix)
{
    size_t total = 0;

    if (ix->projection == DYNAMOP_PROJ_INCLUDE && ix->nproject == 0)
        return fail_pos(ps, ps->value_at[K_PROJECTION],
                        "projection INCLUDE needs 'project = ATTRIBUTE ...'");
    if (ix->projection != DYNAMOP_PROJ_INCLUDE && ix->nproject > 0)
        return fail_pos(ps, ps->key_at[K_PROJECT], "'project' needs projection = INCLUDE");
    for (size_t i = 0; i < t->nindexes; i++)
        total += t->indexes[i].nproject;
    if (total > DYNAMOP_MAX_PROJECTED)
        return fail_pos(ps, ps->value_at[K_PROJECT],
                        "more than %d projected attributes over the indexes of table '%s'",
                        DYNAMOP_MAX_PROJECTED, t->name);
    return 0;
}

/* End of an [index] section.  Returns 0 or -1 (see the checks above). */
static int
end_index(struct parser *ps)
{
    const struct dynamop_table_decl *t = cur_table(ps);
    const struct dynamop_index_decl *ix = cur_index(ps);
    int cap = first_set(ps, K_READ_CAPACITY, K_WRITE_CAPACITY);

    if (ix->hash.name == NULL)
        return fail_pos(ps, ps->header, "index '%s' has no hash_key", ix->name);
    if ((ix->local ? check_local(ps, t, ix, cap) : check_global(ps, t, ix, cap)) != 0)
        return -1;
    return check_projection(ps, t, ix);
}

/* Checks the section that ends here, if any.  Returns 0 or -1. */
static int
end_section(struct parser *ps)
{
    enum section ended = ps->section;

    ps->section = SEC_NONE;
    if (ended == SEC_TABLE)
        return end_table(ps);
    if (ended == SEC_INDEX)
        return end_index(ps);
    return 0;
}

static void
open_section(struct parser *ps, enum section s, size_t table, const char *name)
{
    ps->section = s;
    ps->table = table;
    ps->header = pos_of(ps, name);
    memset(ps->key_at, 0, sizeof(ps->key_at));
    memset(ps->value_at, 0, sizeof(ps->value_at));
}

/* NAME of a table or an index (WHAT): 3 to 255 characters of
 * A-Z a-z 0-9 _ . - (CreateTable: TableName, IndexName).  Returns 0 or -1. */
static int
check_name(struct parser *ps, struct span name, const char *what)
{
    for (size_t i = 0; i < name.n; i++) {
        if (!dynamop_name_char((unsigned char)name.p[i])) {
            struct span c = {name.p + i,
                             utf8_len((const unsigned char *)name.p + i,
                                      (const unsigned char *)name.p + name.n)};

            return fail_here(ps, c.p, "character '%.*s' not allowed in %s name (A-Z a-z 0-9 _ . -)",
                             TOK(c), what);
        }
    }
    if (name.n < DYNAMOP_NAME_MIN)
        return fail_here(ps, name.p, "%s name '%.*s' is shorter than %d characters", what,
                         TOK(name), DYNAMOP_NAME_MIN);
    if (name.n > DYNAMOP_NAME_MAX)
        return fail_here(ps, name.p, "%s name is longer than %d characters", what,
                         DYNAMOP_NAME_MAX);
    return 0;
}

/* [table NAME].  Returns 0, or -1: bad name, duplicate, no memory. */
static int
begin_table(struct parser *ps, struct span name)
{
    struct dynamop_tables *out = ps->out;
    const struct dynamop_table_decl *prev;
    struct dynamop_table_decl *grown, *t;

    if (check_name(ps, name, "table") != 0)
        return -1;
    if ((prev = find_table(out, name)) != NULL)
        return fail_here(ps, name.p, "duplicate table '%s' (first declared at line %d)",
                         prev->name, prev->line);
    if ((grown = dynamop_reallocarray(out->tables, out->ntables + 1, sizeof(*grown))) == NULL)
        return nomem(ps);
    out->tables = grown;
    t = &out->tables[out->ntables];
    memset(t, 0, sizeof(*t));
    if ((t->name = dynamop_strndup(name.p, name.n)) == NULL)
        return nomem(ps);
    t->billing = DYNAMOP_PAY_PER_REQUEST;
    t->sse = -1;
    t->deletion_protection = -1;
    t->line = ps->line;
    out->ntables++;
    open_section(ps, SEC_TABLE, out->ntables - 1, name.p);
    return 0;
}

/* [index TABLE.INDEX], split at the last '.'.  Returns 0, or -1: no '.',
 * bad names, undeclared table, duplicate index, no memory. */
static int
begin_index(struct parser *ps, struct span name)
{
    const char *dot = NULL;
    struct span tname, iname;
    const struct dynamop_table_decl *t;
    const struct dynamop_index_decl *prev;
    struct dynamop_index_decl *grown, *ix;
    struct dynamop_table_decl *owner;

    for (size_t i = 0; i < name.n; i++)
        if (name.p[i] == '.')
            dot = name.p + i;
    if (dot == NULL)
        return fail_here(ps, name.p, "index section name '%.*s' is not TABLE.INDEX",
                         TOK(name));
    tname.p = name.p, tname.n = (size_t)(dot - name.p);
    iname.p = dot + 1, iname.n = name.n - tname.n - 1;
    if (check_name(ps, tname, "table") != 0 || check_name(ps, iname, "index") != 0)
        return -1;
    if ((t = find_table(ps->out, tname)) == NULL)
        return fail_here(ps, name.p,
                         "index for undeclared table '%.*s' (declare [table %.*s] above it)",
                         TOK(tname), TOK(tname));
    if ((prev = find_index(t, iname)) != NULL)
        return fail_here(ps, iname.p, "duplicate index '%s' on table '%s' (first declared "
                         "at line %d)", prev->name, t->name, prev->line);
    owner = &ps->out->tables[t - ps->out->tables];
    grown = dynamop_reallocarray(owner->indexes, owner->nindexes + 1, sizeof(*grown));
    if (grown == NULL)
        return nomem(ps);
    owner->indexes = grown;
    ix = &owner->indexes[owner->nindexes];
    memset(ix, 0, sizeof(*ix));
    if ((ix->name = dynamop_strndup(iname.p, iname.n)) == NULL)
        return nomem(ps);
    ix->projection = DYNAMOP_PROJ_ALL;
    ix->line = ps->line;
    owner->nindexes++;
    open_section(ps, SEC_INDEX, (size_t)(owner - ps->out->tables), name.p);
    return 0;
}

/* A section header in [P, END) (P at '[', END after the last non-blank).
 * The previous section ends first, so its errors come first.  Returns 0, or
 * -1: no ']', text after it, empty, unknown kind, no name, extra token, or
 * the errors of begin_table / begin_index. */
static int
parse_header(struct parser *ps, const char *p, const char *end)
{
    const char *close, *q = p + 1;
    struct span kind, name, extra;

    if (end_section(ps) != 0)
        return -1;
    if ((close = memchr(p, ']', (size_t)(end - p))) == NULL)
        return fail_here(ps, end, "malformed section header: missing ']'");
    if (close + 1 != end) {
        const char *after = close + 1;

        next_token(&after, end, &extra);
        return fail_here(ps, extra.p, "unexpected '%.*s' after the section header",
                         TOK(extra));
    }
    if (!next_token(&q, close, &kind))
        return fail_here(ps, p, "empty section header (expected [table NAME] or "
                         "[index TABLE.INDEX])");
    if (!span_is(kind, "table") && !span_is(kind, "index"))
        return fail_here(ps, kind.p, "unknown section kind '%.*s' (expected 'table' or "
                         "'index')", TOK(kind));
    if (!next_token(&q, close, &name))
        return fail_here(ps, close, "missing %s name in the section header",
                         span_is(kind, "table") ? "table" : "index");
    if (next_token(&q, close, &extra))
        return fail_here(ps, extra.p, "unexpected '%.*s' in the section header", TOK(extra));
    return span_is(kind, "table") ? begin_table(ps, name) : begin_index(ps, name);
}

/* ---- lines ------------------------------------------------------------ */

/* One line [P, END), without its line end.  Returns 0, or -1: too long,
 * bad bytes, or the errors of the header or assignment it holds. */
static int
parse_line(struct parser *ps, const char *p, const char *end)
{
    const char *hash;

    if (end - p > DYNAMOP_TABLES_MAX_LINE)
        return fail_here(ps, p + DYNAMOP_TABLES_MAX_LINE, "line longer than %d bytes",
                         DYNAMOP_TABLES_MAX_LINE);
    if (check_text(ps, p, end) != 0)
        return -1;
    if ((hash = memchr(p, '#', (size_t)(end - p))) != NULL)
        end = hash;
    p = skip_blank(p, end);
    while (end > p && is_blank(end[-1]))
        end--;
    if (p == end)
        return 0;
    if (*p == '[')
        return parse_header(ps, p, end);
    if (end[-1] == ']' && memchr(p, '=', (size_t)(end - p)) == NULL)
        return fail_here(ps, p, "malformed section header: missing '['");
    return parse_assignment(ps, p, end);
}

/* Every line of TEXT, then the end of the last section.  Lines end in LF or
 * CRLF; a UTF-8 byte order mark at the start is skipped.  Returns 0 or -1. */
static int
parse_lines(struct parser *ps, const char *text, size_t len)
{
    const char *p = text, *end = text + len, *nl, *eol;

    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        eol = nl != NULL ? nl : end;
        ps->line++;
        ps->line_start = p;
        if (eol > p && eol[-1] == '\r')
            eol--;
        if (parse_line(ps, p, eol) != 0)
            return -1;
        p = nl != NULL ? nl + 1 : end;
    }
    if (end_section(ps) != 0)
        return -1;
    if (ps->out->ntables == 0) {
        struct pos start = {1, 1};

        return fail_pos(ps, start, "no table declared");
    }
    return 0;
}

/* ---- the API ---------------------------------------------------------- */

struct dynamop_tables *
dynamop_tables_parse(const char *text, size_t len, const char *source, struct dynamo_err *err)
{
    struct parser ps;

    memset(&ps, 0, sizeof(ps));
    ps.source = source != NULL ? source : "tables file";
    ps.err = err;
    if (text == NULL)
        text = "", len = 0;
    if (len > (size_t)DYNAMOP_TABLES_MAX_FILE) {
        dynamop_err_at(err, ps.source, 1, 1, "file larger than %ld bytes",
                       DYNAMOP_TABLES_MAX_FILE);
        return NULL;
    }
    if ((ps.out = dynamop_calloc(1, sizeof(*ps.out))) == NULL) {
        dynamop_err_nomem(err);
        return NULL;
    }
    if (parse_lines(&ps, text, len) != 0) {
        dynamop_tables_free(ps.out);
        return NULL;
    }
    return ps.out;
}

struct dynamop_tables *
dynamop_tables_load(const char *path, struct dynamo_err *err)
{
    struct dynamop_tables *t;
    char *buf, why[128];
    size_t len;
    FILE *f;
    int e;

    if (path == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "tables file: no path given");
        return NULL;
    }
    if ((f = fopen(path, "rb")) == NULL)
        goto io;
    /* One byte more than allowed, so the parser sees a file too large. */
    if ((buf = dynamop_malloc((size_t)DYNAMOP_TABLES_MAX_FILE + 1)) == NULL) {
        fclose(f);
        dynamop_err_nomem(err);
        return NULL;
    }
    len = fread(buf, 1, (size_t)DYNAMOP_TABLES_MAX_FILE + 1, f);
    if (ferror(f)) {
        e = errno;
        dynamop_free(buf);
        fclose(f);
        errno = e;
        goto io;
    }
    fclose(f);
    t = dynamop_tables_parse(buf, len, path, err);
    dynamop_free(buf);
    return t;
io:
    e = errno;
    if (strerror_r(e, why, sizeof(why)) != 0)
        snprintf(why, sizeof(why), "error %d", e);
    dynamop_err_set(err, DYNAMO_ERR_IO, "%s: %s", path, why);
    return NULL;
}

static void
free_index(struct dynamop_index_decl *ix)
{
    dynamop_free(ix->name);
    dynamop_free(ix->hash.name);
    dynamop_free(ix->range.name);
    for (size_t i = 0; i < ix->nproject; i++)
        dynamop_free(ix->project[i]);
    dynamop_free(ix->project);
}

static void
free_table(struct dynamop_table_decl *t)
{
    dynamop_free(t->name);
    dynamop_free(t->hash.name);
    dynamop_free(t->range.name);
    dynamop_free(t->ttl_attribute);
    dynamop_free(t->stream);
    for (size_t i = 0; i < t->ntags; i++) {
        dynamop_free(t->tags[i].key);
        dynamop_free(t->tags[i].value);
    }
    dynamop_free(t->tags);
    for (size_t i = 0; i < t->nindexes; i++)
        free_index(&t->indexes[i]);
    dynamop_free(t->indexes);
}

void
dynamop_tables_free(struct dynamop_tables *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->ntables; i++)
        free_table(&t->tables[i]);
    dynamop_free(t->tables);
    dynamop_free(t);
}

const struct dynamop_table_decl *
dynamop_tables_find(const struct dynamop_tables *t, const char *name)
{
    if (t == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < t->ntables; i++)
        if (strcmp(t->tables[i].name, name) == 0)
            return &t->tables[i];
    return NULL;
}

const struct dynamop_index_decl *
dynamop_table_find_index(const struct dynamop_table_decl *t, const char *name)
{
    if (t == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < t->nindexes; i++)
        if (strcmp(t->indexes[i].name, name) == 0)
            return &t->indexes[i];
    return NULL;
}
