/*
 * tables_parse.h: the tables-file parser's internals, shared by its two
 * halves and included by them only:
 *   tables.c       lines, section headers, names, the API (parse, load, free)
 *   tables_keys.c  the keys, their values, and the rules between keys that
 *                  are checked when a section ends
 */
#ifndef DYNAMO_FCGI_EXT_TABLES_PARSE_H
#define DYNAMO_FCGI_EXT_TABLES_PARSE_H

#include <stddef.h>
#include <string.h>

#include "dynamo_client.h"
#include "tables.h"

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

/* The keys of both kinds of section (the table of them: tables_keys.c). */
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
    struct dynamop_tables *out; /* freed by dynamop_tables_parse on error */
    const char *line_start;     /* of the current line, for columns */
    int line;                   /* current line, 1-based */
    enum section section;
    size_t table;               /* the current table, or the current index's */
    struct pos header;          /* the name in the current section's header */
    struct pos key_at[K_MAX];   /* where each key was set in this section */
    struct pos value_at[K_MAX]; /* and where its value starts */
};

/* ---- tables.c ------------------------------------------------------------ */

/* The position of P on the current line (columns count characters). */
struct pos dynamop_tables_pos(const struct parser *ps, const char *p);
/* Report an error at P on the current line, or at AT; both return -1, for
 * "return dynamop_tables_fail(...)".  Only the first error is kept. */
int dynamop_tables_fail(struct parser *ps, const char *p, const char *fmt, ...)
    DYNAMO_PRINTF(3, 4);
int dynamop_tables_fail_at(struct parser *ps, struct pos at, const char *fmt, ...)
    DYNAMO_PRINTF(3, 4);
/* DYNAMO_ERR_NOMEM; returns -1. */
int dynamop_tables_nomem(struct parser *ps);

/* ---- tables_keys.c -------------------------------------------------------- */

/* "KEY = VALUE" in [P, END) (trimmed, comment removed) in the current
 * section.  Returns 0 or -1 (the error set). */
int dynamop_tables_assign(struct parser *ps, const char *p, const char *end);
/* Checks the section that ends here, if any, and leaves it.  Returns 0 or
 * -1. */
int dynamop_tables_end_section(struct parser *ps);

/* ---- tokens ---------------------------------------------------------------- */

/* Tokens are quoted in messages up to this many bytes (err->text is short). */
#define SHOWN_MAX 40

/* How many bytes of S to quote in a message: at most SHOWN_MAX, cut at a
 * character boundary. */
static inline int
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

static inline int
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static inline const char *
skip_blank(const char *p, const char *end)
{
    while (p < end && is_blank(*p))
        p++;
    return p;
}

/* The next blank-separated token of [*P, END) into TOK; *P moves past it.
 * Returns 1, or 0 when only blanks are left. */
static inline int
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

static inline int
span_is(struct span s, const char *word)
{
    return strlen(word) == s.n && memcmp(s.p, word, s.n) == 0;
}

static inline struct dynamop_table_decl *
cur_table(const struct parser *ps)
{
    return &ps->out->tables[ps->table];
}

/* The index of the current [index] section: its table's last. */
static inline struct dynamop_index_decl *
cur_index(const struct parser *ps)
{
    struct dynamop_table_decl *t = cur_table(ps);

    return &t->indexes[t->nindexes - 1];
}

#endif /* DYNAMO_FCGI_EXT_TABLES_PARSE_H */
