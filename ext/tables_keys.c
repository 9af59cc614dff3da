/*
 * tables_keys.c: the keys of the tables file and their values (the lines
 * and sections around them: tables.c).
 *
 * A value is checked and typed as it is read, by its key's setter.  Rules
 * that tie several keys together (billing mode and capacity, projection and
 * project, a local index and its table's keys, index counts) are checked
 * when the section ends, so keys may come in any order; the position of
 * every key and value of the section is kept, so those errors still point
 * at the right token.  The limits are DynamoDB's (tables.h).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "tables.h"
#include "tables_parse.h"

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

/* ---- characters ---------------------------------------------------- */

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

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
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
        return dynamop_tables_fail(ps, extra.p,
                                   "unexpected '%.*s' after the value of '%s'",
                                   TOK(extra), keys[k].name);
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
                                 i == 0       ? ""
                                 : i + 1 == n ? " or "
                                              : ", ",
                                 choices[i]);
    return dynamop_tables_fail(ps, tok.p, "bad %s '%.*s' (expected %s)", keys[k].name,
                               TOK(tok), expected);
}

/* An attribute name: 1 to DYNAMOP_KEY_NAME_MAX bytes.  Returns 0 or -1. */
static int
check_attribute(struct parser *ps, struct span name)
{
    if (name.n > DYNAMOP_KEY_NAME_MAX)
        return dynamop_tables_fail(ps, name.p, "attribute name longer than %d bytes",
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
    if ((t->stream = util_strdup(stream_types[which])) == NULL)
        return dynamop_tables_nomem(ps);
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
    if ((t->ttl_attribute = util_strndup(tok.p, tok.n)) == NULL)
        return dynamop_tables_nomem(ps);
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
        return dynamop_tables_fail(ps, tok.p, "%s '%.*s' is not a whole number",
                                   keys[k].name, TOK(tok));
    for (size_t i = (size_t)negative; i < tok.n; i++)
        if (tok.p[i] < '0' || tok.p[i] > '9')
            return dynamop_tables_fail(ps, tok.p, "%s '%.*s' is not a whole number",
                                       keys[k].name, TOK(tok));
    if (negative)
        return dynamop_tables_fail(ps, tok.p, "%s must be at least 1, not '%.*s'",
                                   keys[k].name, TOK(tok));
    for (size_t i = 0; i < tok.n; i++) {
        int d = tok.p[i] - '0';

        if (v > (LONG_MAX - d) / 10)
            return dynamop_tables_fail(ps, tok.p, "%s '%.*s' is too large", keys[k].name,
                                       TOK(tok));
        v = v * 10 + d;
    }
    if (v < 1)
        return dynamop_tables_fail(ps, tok.p, "%s must be at least 1, not '%.*s'",
                                   keys[k].name, TOK(tok));
    *n = v;
    return 0;
}

/* read_capacity and write_capacity, of a table or an index; whether they
 * are allowed there is checked when the section ends. */
static int
set_capacity(struct parser *ps, enum key_id k, struct span value)
{
    struct span tok;
    long *read, *write, n = 0; /* set by parse_capacity; 0 quiets -O2 */

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
        return dynamop_tables_fail(
            ps, at, "attribute '%.*s' has type %c here but %c in table '%s'", TOK(name),
            type, prev->type, t->name);
    for (size_t i = 0; i + 1 < t->nindexes; i++) {
        ix = &t->indexes[i];
        if ((prev = conflicting(&ix->hash, &ix->range, name, type)) != NULL)
            return dynamop_tables_fail(
                ps, at, "attribute '%.*s' has type %c here but %c in index '%s'",
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
        return dynamop_tables_fail(
            ps, name.p + name.n,
            "missing attribute type after '%.*s' (expected NAME TYPE, "
            "TYPE one of S N B)",
            TOK(name));
    if (type.n != 1 || (type.p[0] != 'S' && type.p[0] != 'N' && type.p[0] != 'B'))
        return dynamop_tables_fail(
            ps, type.p, "bad attribute type '%.*s' (expected S, N or B)", TOK(type));
    if (next_token(&q, end, &extra))
        return dynamop_tables_fail(
            ps, extra.p, "unexpected '%.*s' after the attribute type", TOK(extra));
    if (check_attribute(ps, name) != 0)
        return -1;
    hash = ps->section == SEC_TABLE ? &cur_table(ps)->hash : &cur_index(ps)->hash;
    range = ps->section == SEC_TABLE ? &cur_table(ps)->range : &cur_index(ps)->range;
    key = k == K_HASH_KEY ? hash : range;
    other = k == K_HASH_KEY ? range : hash;
    if (other->name != NULL && span_is(name, other->name))
        return dynamop_tables_fail(ps, name.p, "attribute '%.*s' is already the %s key",
                                   TOK(name), k == K_HASH_KEY ? "range" : "hash");
    if (ps->section == SEC_INDEX && check_type(ps, name, type.p[0], type.p) != 0)
        return -1;
    if ((key->name = util_strndup(name.p, name.n)) == NULL)
        return dynamop_tables_nomem(ps);
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
            return dynamop_tables_fail(
                ps, s.p + i,
                "character '%c' not allowed in a tag %s (letters, digits and "
                "_ . : / = + - @)",
                c, what);
    }
    if (char_count(s) > max)
        return dynamop_tables_fail(ps, s.p, "tag %s longer than %zu characters", what,
                                   max);
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
        return dynamop_tables_fail(ps, tok.p, "tag '%.*s' is not KEY=VALUE", TOK(tok));
    key.p = tok.p, key.n = (size_t)(eq - tok.p);
    val.p = eq + 1, val.n = tok.n - key.n - 1;
    if (key.n == 0)
        return dynamop_tables_fail(ps, tok.p, "tag '%.*s' has an empty key", TOK(tok));
    if (check_tag_text(ps, key, "key", DYNAMOP_TAG_KEY_MAX) != 0 ||
        check_tag_text(ps, val, "value", DYNAMOP_TAG_VALUE_MAX) != 0)
        return -1;
    if (key.n >= 4 && lower(key.p[0]) == 'a' && lower(key.p[1]) == 'w' &&
        lower(key.p[2]) == 's' && key.p[3] == ':')
        return dynamop_tables_fail(ps, tok.p,
                                   "tag keys starting with 'aws:' are reserved");
    for (size_t i = 0; i < t->ntags; i++)
        if (span_is(key, t->tags[i].key))
            return dynamop_tables_fail(ps, tok.p, "duplicate tag key '%.*s'", TOK(key));
    if (t->ntags == DYNAMOP_MAX_TAGS)
        return dynamop_tables_fail(ps, tok.p, "more than %d tags", DYNAMOP_MAX_TAGS);
    if ((grown = util_reallocarray(t->tags, t->ntags + 1, sizeof(*grown))) == NULL)
        return dynamop_tables_nomem(ps);
    t->tags = grown;
    tag = &t->tags[t->ntags];
    tag->key = util_strndup(key.p, key.n);
    tag->value = util_strndup(val.p, val.n);
    if (tag->key == NULL || tag->value == NULL) {
        util_free(tag->key);
        util_free(tag->value);
        return dynamop_tables_nomem(ps);
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
                return dynamop_tables_fail(ps, tok.p, "attribute '%.*s' listed twice",
                                           TOK(tok));
        grown = util_reallocarray(ix->project, ix->nproject + 1, sizeof(*grown));
        if (grown == NULL)
            return dynamop_tables_nomem(ps);
        ix->project = grown;
        if ((ix->project[ix->nproject] = util_strndup(tok.p, tok.n)) == NULL)
            return dynamop_tables_nomem(ps);
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
        return dynamop_tables_fail(
            ps, key.p, "'%s' is not allowed in %s section (only in [%s ...])",
            keys[k].name, kind, here == IN_TABLE ? "index" : "table");
    }
    for (int k = 0; k < K_MAX; k++) {
        size_t d =
            (keys[k].sections & here) ? edit_distance(key, keys[k].name) : SIZE_MAX;

        if (d < best_d)
            best = keys[k].name, best_d = d;
    }
    /* Close enough: one edit for short keys, two for most, three for long. */
    if (best != NULL && best_d <= (strlen(best) <= 4 ? 1 : strlen(best) <= 10 ? 2 : 3))
        return dynamop_tables_fail(ps, key.p, "unknown key '%.*s' (did you mean '%s'?)",
                                   TOK(key), best);
    return dynamop_tables_fail(ps, key.p, "unknown key '%.*s' in %s section", TOK(key),
                               kind);
}

/* "KEY = VALUE" in [P, END) (trimmed, comment removed).  Returns 0, or -1:
 * no key, outside a section, unknown key, no '=', no value, duplicate key,
 * or the value's own errors. */
int
dynamop_tables_assign(struct parser *ps, const char *p, const char *end)
{
    const char *q = p;
    struct span key, value, near;
    int k;

    while (q < end && !is_blank(*q) && *q != '=')
        q++;
    key.p = p, key.n = (size_t)(q - p);
    if (key.n == 0)
        return dynamop_tables_fail(ps, p, "missing key before '='");
    if (ps->section == SEC_NONE)
        return dynamop_tables_fail(
            ps, p, "'%.*s' outside any section (start one with [table NAME])", TOK(key));
    if ((k = lookup_key(ps, key)) < 0)
        return -1;
    q = skip_blank(q, end);
    if (q == end)
        return dynamop_tables_fail(ps, q, "expected '=' after '%.*s'", TOK(key));
    if (*q != '=') {
        next_token(&q, end, &near);
        return dynamop_tables_fail(ps, near.p, "expected '=' near '%.*s'", TOK(near));
    }
    q = skip_blank(q + 1, end);
    if (q == end)
        return dynamop_tables_fail(ps, q, "missing value for '%s'", keys[k].name);
    if (ps->key_at[k].line != 0)
        return dynamop_tables_fail(ps, p, "duplicate key '%s' (first set at line %d)",
                                   keys[k].name, ps->key_at[k].line);
    ps->key_at[k] = dynamop_tables_pos(ps, p);
    ps->value_at[k] = dynamop_tables_pos(ps, q);
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
    if (pb->line == 0 || pa->line < pb->line ||
        (pa->line == pb->line && pa->col < pb->col))
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
        return dynamop_tables_fail_at(ps, ps->header, "table '%s' has no hash_key",
                                      t->name);
    if (t->billing == DYNAMOP_PAY_PER_REQUEST && cap >= 0)
        return dynamop_tables_fail_at(
            ps, ps->key_at[cap],
            "%s needs billing_mode = PROVISIONED (table '%s' is PAY_PER_REQUEST)",
            keys[cap].name, t->name);
    if (t->billing == DYNAMOP_PROVISIONED && t->read_capacity == 0)
        return dynamop_tables_fail_at(ps, ps->value_at[K_BILLING_MODE],
                                      "billing_mode = PROVISIONED needs read_capacity");
    if (t->billing == DYNAMOP_PROVISIONED && t->write_capacity == 0)
        return dynamop_tables_fail_at(ps, ps->value_at[K_BILLING_MODE],
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
        return dynamop_tables_fail_at(
            ps, ps->value_at[K_TYPE],
            "a local index needs a table with a range key, and table '%s' has "
            "none",
            t->name);
    if (strcmp(ix->hash.name, t->hash.name) != 0)
        return dynamop_tables_fail_at(
            ps, ps->value_at[K_HASH_KEY],
            "the hash key of a local index must be the table's ('%s')", t->hash.name);
    if (ix->range.name == NULL)
        return dynamop_tables_fail_at(ps, ps->header, "local index '%s' has no range_key",
                                      ix->name);
    if (cap >= 0)
        return dynamop_tables_fail_at(
            ps, ps->key_at[cap], "%s on a local index (it shares the table's capacity)",
            keys[cap].name);
    if (count_indexes(t, 1) > DYNAMOP_MAX_LSI)
        return dynamop_tables_fail_at(ps, ps->header,
                                      "table '%s' has more than %d local indexes",
                                      t->name, DYNAMOP_MAX_LSI);
    return 0;
}

/* A global index: capacity exactly when the table is PROVISIONED, at most
 * DYNAMOP_MAX_GSI per table.  Returns 0 or -1. */
static int
check_global(struct parser *ps, const struct dynamop_table_decl *t,
             const struct dynamop_index_decl *ix, int cap)
{
    if (t->billing == DYNAMOP_PAY_PER_REQUEST && cap >= 0)
        return dynamop_tables_fail_at(
            ps, ps->key_at[cap],
            "%s on an index of PAY_PER_REQUEST table '%s' (only PROVISIONED "
            "tables take capacity)",
            keys[cap].name, t->name);
    if (t->billing == DYNAMOP_PROVISIONED && ix->read_capacity == 0)
        return dynamop_tables_fail_at(
            ps, ps->header,
            "global index '%s' of PROVISIONED table '%s' needs read_capacity", ix->name,
            t->name);
    if (t->billing == DYNAMOP_PROVISIONED && ix->write_capacity == 0)
        return dynamop_tables_fail_at(
            ps, ps->header,
            "global index '%s' of PROVISIONED table '%s' needs write_capacity", ix->name,
            t->name);
    if (count_indexes(t, 0) > DYNAMOP_MAX_GSI)
        return dynamop_tables_fail_at(ps, ps->header,
                                      "table '%s' has more than %d global indexes",
                                      t->name, DYNAMOP_MAX_GSI);
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
        return dynamop_tables_fail_at(
            ps, ps->value_at[K_PROJECTION],
            "projection INCLUDE needs 'project = ATTRIBUTE ...'");
    if (ix->projection != DYNAMOP_PROJ_INCLUDE && ix->nproject > 0)
        return dynamop_tables_fail_at(ps, ps->key_at[K_PROJECT],
                                      "'project' needs projection = INCLUDE");
    for (size_t i = 0; i < t->nindexes; i++)
        total += t->indexes[i].nproject;
    if (total > DYNAMOP_MAX_PROJECTED)
        return dynamop_tables_fail_at(
            ps, ps->value_at[K_PROJECT],
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
        return dynamop_tables_fail_at(ps, ps->header, "index '%s' has no hash_key",
                                      ix->name);
    if ((ix->local ? check_local(ps, t, ix, cap) : check_global(ps, t, ix, cap)) != 0)
        return -1;
    return check_projection(ps, t, ix);
}

/* Checks the section that ends here, if any.  Returns 0 or -1. */
int
dynamop_tables_end_section(struct parser *ps)
{
    enum section ended = ps->section;

    ps->section = SEC_NONE;
    if (ended == SEC_TABLE)
        return end_table(ps);
    if (ended == SEC_INDEX)
        return end_index(ps);
    return 0;
}
