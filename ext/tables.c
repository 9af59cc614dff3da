/*
 * tables.c: the tables-file parser, lines and sections (the format:
 * tables.h and dynamo.conf.example; the keys and their values:
 * tables_keys.c).
 *
 * Pure: a buffer in, typed declarations out; dynamop_tables_load is the one
 * function that touches a file.  Line-oriented: each line is checked (length,
 * UTF-8, no control characters), stripped of its comment and surrounding
 * blanks, and is then empty, a section header or a "key = value" assignment.
 * A header first ends the previous section, whose cross-key rules are then
 * checked, so errors come in file order.  An index section comes after its
 * table's, so the table is complete when its indexes are checked.
 *
 * Every error is one dynamop_err_at() call, "SOURCE:LINE:COL: message", and
 * the parse stops there; dynamop_tables_parse frees everything built so far.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "tables.h"
#include "tables_parse.h"

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

struct pos
dynamop_tables_pos(const struct parser *ps, const char *p)
{
    struct pos at = {ps->line, col_of(ps, p)};

    return at;
}

static int vfail(struct parser *ps, struct pos at, const char *fmt, va_list ap)
    DYNAMO_PRINTF(3, 0);

/* Reports the error at AT.  Returns -1. */
static int
vfail(struct parser *ps, struct pos at, const char *fmt, va_list ap)
{
    char msg[sizeof(ps->err->text)];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    dynamop_err_at(ps->err, ps->source, at.line, at.col, "%s", msg);
    return -1;
}

int
dynamop_tables_fail_at(struct parser *ps, struct pos at, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(ps, at, fmt, ap);
    va_end(ap);
    return -1;
}

int
dynamop_tables_fail(struct parser *ps, const char *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(ps, dynamop_tables_pos(ps, p), fmt, ap);
    va_end(ap);
    return -1;
}

int
dynamop_tables_nomem(struct parser *ps)
{
    dynamop_err_nomem(ps->err);
    return -1;
}

/* ---- characters ---------------------------------------------------- */

/* Length of the UTF-8 sequence at S (before END), or 0 if it is not
 * well-formed (RFC 3629, section 4: no overlong forms, no surrogates,
 * nothing past U+10FFFF). */
static size_t
utf8_len(const unsigned char *s, const unsigned char *end)
{
    return s[0] < 0x80 ? 1 : dynamop_utf8_len(s, end);
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
            return dynamop_tables_fail(ps, (const char *)s, "NUL byte");
        if ((*s < 0x20 && *s != '\t') || *s == 0x7F)
            return dynamop_tables_fail(ps, (const char *)s, "control character 0x%02X",
                                       *s);
        if ((n = utf8_len(s, e)) == 0)
            return dynamop_tables_fail(ps, (const char *)s, "invalid UTF-8 (byte 0x%02X)",
                                       *s);
        s += n;
    }
    return 0;
}

/* ---- sections --------------------------------------------------------- */

static struct dynamop_table_decl *
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

static void
open_section(struct parser *ps, enum section s, size_t table, const char *name)
{
    ps->section = s;
    ps->table = table;
    ps->header = dynamop_tables_pos(ps, name);
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

            return dynamop_tables_fail(
                ps, c.p, "character '%.*s' not allowed in %s name (A-Z a-z 0-9 _ . -)",
                TOK(c), what);
        }
    }
    if (name.n < DYNAMOP_NAME_MIN)
        return dynamop_tables_fail(ps, name.p,
                                   "%s name '%.*s' is shorter than %d characters", what,
                                   TOK(name), DYNAMOP_NAME_MIN);
    if (name.n > DYNAMOP_NAME_MAX)
        return dynamop_tables_fail(ps, name.p, "%s name is longer than %d characters",
                                   what, DYNAMOP_NAME_MAX);
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
        return dynamop_tables_fail(ps, name.p,
                                   "duplicate table '%s' (first declared at line %d)",
                                   prev->name, prev->line);
    if ((grown = util_reallocarray(out->tables, out->ntables + 1, sizeof(*grown))) ==
        NULL)
        return dynamop_tables_nomem(ps);
    out->tables = grown;
    t = &out->tables[out->ntables];
    memset(t, 0, sizeof(*t));
    if ((t->name = util_strndup(name.p, name.n)) == NULL)
        return dynamop_tables_nomem(ps);
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
    struct dynamop_table_decl *t;
    const struct dynamop_index_decl *prev;
    struct dynamop_index_decl *grown, *ix;

    for (size_t i = 0; i < name.n; i++)
        if (name.p[i] == '.')
            dot = name.p + i;
    if (dot == NULL)
        return dynamop_tables_fail(
            ps, name.p, "index section name '%.*s' is not TABLE.INDEX", TOK(name));
    tname.p = name.p, tname.n = (size_t)(dot - name.p);
    iname.p = dot + 1, iname.n = name.n - tname.n - 1;
    if (check_name(ps, tname, "table") != 0 || check_name(ps, iname, "index") != 0)
        return -1;
    if ((t = find_table(ps->out, tname)) == NULL)
        return dynamop_tables_fail(
            ps, name.p,
            "index for undeclared table '%.*s' (declare [table %.*s] above it)",
            TOK(tname), TOK(tname));
    if ((prev = find_index(t, iname)) != NULL)
        return dynamop_tables_fail(ps, iname.p,
                                   "duplicate index '%s' on table '%s' (first declared "
                                   "at line %d)",
                                   prev->name, t->name, prev->line);
    grown = util_reallocarray(t->indexes, t->nindexes + 1, sizeof(*grown));
    if (grown == NULL)
        return dynamop_tables_nomem(ps);
    t->indexes = grown;
    ix = &t->indexes[t->nindexes];
    memset(ix, 0, sizeof(*ix));
    if ((ix->name = util_strndup(iname.p, iname.n)) == NULL)
        return dynamop_tables_nomem(ps);
    ix->projection = DYNAMOP_PROJ_ALL;
    ix->line = ps->line;
    t->nindexes++;
    open_section(ps, SEC_INDEX, (size_t)(t - ps->out->tables), name.p);
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

    if (dynamop_tables_end_section(ps) != 0)
        return -1;
    if ((close = memchr(p, ']', (size_t)(end - p))) == NULL)
        return dynamop_tables_fail(ps, end, "malformed section header: missing ']'");
    if (close + 1 != end) {
        const char *after = close + 1;

        next_token(&after, end, &extra);
        return dynamop_tables_fail(
            ps, extra.p, "unexpected '%.*s' after the section header", TOK(extra));
    }
    if (!next_token(&q, close, &kind))
        return dynamop_tables_fail(ps, p,
                                   "empty section header (expected [table NAME] or "
                                   "[index TABLE.INDEX])");
    if (!span_is(kind, "table") && !span_is(kind, "index"))
        return dynamop_tables_fail(ps, kind.p,
                                   "unknown section kind '%.*s' (expected 'table' or "
                                   "'index')",
                                   TOK(kind));
    if (!next_token(&q, close, &name))
        return dynamop_tables_fail(ps, close, "missing %s name in the section header",
                                   span_is(kind, "table") ? "table" : "index");
    if (next_token(&q, close, &extra))
        return dynamop_tables_fail(ps, extra.p, "unexpected '%.*s' in the section header",
                                   TOK(extra));
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
        return dynamop_tables_fail(ps, p + DYNAMOP_TABLES_MAX_LINE,
                                   "line longer than %d bytes", DYNAMOP_TABLES_MAX_LINE);
    if (check_text(ps, p, end) != 0)
        return -1;
    /* Two files pasted together: the second one's BOM would otherwise end
     * up, invisible, inside an "unknown key" message. */
    if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        return dynamop_tables_fail(ps, p,
                                   "byte order mark (U+FEFF) after the start of "
                                   "the file");
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
        return dynamop_tables_fail(ps, p, "malformed section header: missing '['");
    return dynamop_tables_assign(ps, p, end);
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
    if (dynamop_tables_end_section(ps) != 0)
        return -1;
    if (ps->out->ntables == 0) {
        struct pos start = {1, 1};

        return dynamop_tables_fail_at(ps, start, "no table declared");
    }
    return 0;
}

/* ---- the API ---------------------------------------------------------- */

struct dynamop_tables *
dynamop_tables_parse(const char *text, size_t len, const char *source,
                     struct dynamo_err *err)
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
    if ((ps.out = util_calloc(1, sizeof(*ps.out))) == NULL) {
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
    if ((buf = util_malloc((size_t)DYNAMOP_TABLES_MAX_FILE + 1)) == NULL) {
        fclose(f);
        dynamop_err_nomem(err);
        return NULL;
    }
    len = fread(buf, 1, (size_t)DYNAMOP_TABLES_MAX_FILE + 1, f);
    if (ferror(f)) {
        e = errno;
        util_free(buf);
        fclose(f);
        errno = e;
        goto io;
    }
    fclose(f);
    t = dynamop_tables_parse(buf, len, path, err);
    util_free(buf);
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
    util_free(ix->name);
    util_free(ix->hash.name);
    util_free(ix->range.name);
    for (size_t i = 0; i < ix->nproject; i++)
        util_free(ix->project[i]);
    util_free(ix->project);
}

static void
free_table(struct dynamop_table_decl *t)
{
    util_free(t->name);
    util_free(t->hash.name);
    util_free(t->range.name);
    util_free(t->ttl_attribute);
    util_free(t->stream);
    for (size_t i = 0; i < t->ntags; i++) {
        util_free(t->tags[i].key);
        util_free(t->tags[i].value);
    }
    util_free(t->tags);
    for (size_t i = 0; i < t->nindexes; i++)
        free_index(&t->indexes[i]);
    util_free(t->indexes);
}

void
dynamop_tables_free(struct dynamop_tables *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->ntables; i++)
        free_table(&t->tables[i]);
    util_free(t->tables);
    util_free(t);
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
