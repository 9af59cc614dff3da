/*
 * config.c: the application's configuration.  String keys and values looked
 * up as environment > web_config_set() or file > web_config_set_default(),
 * typed readers (bool, long) that check a value once at the edge, and the
 * pure parser of configuration files.
 *
 * File syntax, one setting per line:
 *
 *     # a comment line
 *     KEY = value            # unquoted: trimmed, " #" starts a comment
 *     KEY = "a # b \" \\"    # quoted: verbatim, with \" \\ \n \t escapes
 *     KEY =                  # an empty value
 *
 * Keys are environment-variable names ([A-Za-z_][A-Za-z0-9_]*), so that any
 * setting can be overridden from the environment.  A key set twice in one
 * file is an error: the second line is almost always a mistake.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int
webp_config_key_ok(const char *key)
{
    size_t i;

    if (key == NULL || key[0] == '\0' || (key[0] >= '0' && key[0] <= '9'))
        return 0;
    for (i = 0; key[i] != '\0'; i++) {
        char c = key[i];

        if (i >= WEBP_MAX_KEY)
            return 0;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

void
webp_config_free(struct webp_config *c)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        util_free(c->items[i].key);
        util_free(c->items[i].value);
        util_free(c->items[i].dflt);
        util_free(c->items[i].src);
    }
    util_free(c->items);
    memset(c, 0, sizeof(*c));
}

static struct webp_conf_entry *
conf_find(const struct webp_config *c, const char *key)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        if (strcmp(c->items[i].key, key) == 0)
            return &c->items[i];
    return NULL;
}

/* The entry for KEY, created empty if missing; NULL when out of memory. */
static struct webp_conf_entry *
conf_entry(struct webp_config *c, const char *key)
{
    struct webp_conf_entry *e = conf_find(c, key);

    if (e != NULL)
        return e;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct webp_conf_entry *items = util_reallocarray(c->items, cap, sizeof(*items));

        if (items == NULL)
            return NULL;
        c->items = items;
        c->cap = cap;
    }
    e = &c->items[c->n];
    memset(e, 0, sizeof(*e));
    e->key = util_strdup(key);
    if (e->key == NULL)
        return NULL;
    c->n++;
    return e;
}

/* Stores VALUE for KEY (as the default when DFLT), remembering SRC:LINE:COL
 * for file values.  0, or -1 and fills ERR. */
static int
conf_store(struct web_app *app, const char *key, const char *value, int dflt,
           const char *src, int line, int col, struct web_err *err)
{
    struct webp_conf_entry *e;
    char *copy, *srccopy = NULL;

    if (app == NULL || value == NULL || !webp_config_key_ok(key)) {
        webp_err_set(err, WEB_ERR_INVALID, "bad configuration key or value (key '%s')",
                     key ? key : "(null)");
        return -1;
    }
    copy = util_strdup(value);
    if (src != NULL)
        srccopy = util_strdup(src);
    e = copy && (src == NULL || srccopy) ? conf_entry(&app->config, key) : NULL;
    if (e == NULL) {
        util_free(copy);
        util_free(srccopy);
        webp_err_nomem(err);
        return -1;
    }
    if (dflt) {
        util_free(e->dflt);
        e->dflt = copy;
        util_free(srccopy);
        return 0;
    }
    util_free(e->value);
    util_free(e->src);
    e->value = copy;
    e->src = srccopy;
    e->line = line;
    e->col = col;
    return 0;
}

int
web_config_set_default(struct web_app *app, const char *key, const char *value,
                       struct web_err *err)
{
    return conf_store(app, key, value, 1, NULL, 0, 0, err);
}

int
web_config_set(struct web_app *app, const char *key, const char *value,
               struct web_err *err)
{
    return conf_store(app, key, value, 0, NULL, 0, 0, err);
}

/* Where a value came from, for error messages. */
enum origin { FROM_NONE, FROM_ENV, FROM_SET, FROM_FILE, FROM_DEFAULT };

static const char *
conf_lookup(const struct web_app *app, const char *key, enum origin *from,
            const struct webp_conf_entry **entry)
{
    const struct webp_conf_entry *e;
    const char *env;

    *entry = NULL;
    *from = FROM_NONE;
    if (app == NULL || !webp_config_key_ok(key))
        return NULL;
    env = getenv(key);
    if (env != NULL) {
        *from = FROM_ENV;
        return env;
    }
    e = conf_find(&app->config, key);
    *entry = e;
    if (e != NULL && e->value != NULL) {
        *from = e->src ? FROM_FILE : FROM_SET;
        return e->value;
    }
    if (e != NULL && e->dflt != NULL) {
        *from = FROM_DEFAULT;
        return e->dflt;
    }
    return NULL;
}

const char *
web_config_get(const struct web_app *app, const char *key)
{
    const struct webp_conf_entry *e;
    enum origin from;

    return conf_lookup(app, key, &from, &e);
}

/* Fills ERR for KEY's bad VALUE, saying where the value came from. */
static void
conf_bad_value(struct web_err *err, const char *key, const char *value, enum origin from,
               const struct webp_conf_entry *e, const char *expected)
{
    char shown[64];

    webp_escape(shown, sizeof(shown), value, strlen(value));
    if (from == FROM_FILE) {
        webp_err_at(err, e->src, e->line, e->col, "%s: expected %s, got \"%s\"", key,
                    expected, shown);
        return;
    }
    webp_err_set(err, WEB_ERR_CONFIG, "%s%s: expected %s, got \"%s\"", key,
                 from == FROM_ENV ? " (environment)" : "", expected, shown);
}

int
web_config_bool(const struct web_app *app, const char *key, int dflt, struct web_err *err)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    const struct webp_conf_entry *e;
    enum origin from;
    const char *v = conf_lookup(app, key, &from, &e);
    size_t i;

    if (v == NULL)
        return dflt;
    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (webp_strcasecmp(v, yes[i]) == 0)
            return 1;
        if (webp_strcasecmp(v, no[i]) == 0)
            return 0;
    }
    conf_bad_value(err, key, v, from, e, "a boolean (1/0, true/false, yes/no, on/off)");
    return -1;
}

int
web_config_choice(const struct web_app *app, const char *key, const char *const *choices,
                  size_t n, int dflt, struct web_err *err)
{
    const struct webp_conf_entry *e;
    enum origin from;
    const char *v = conf_lookup(app, key, &from, &e);
    char expected[200] = "one of";
    size_t i, len = strlen(expected);

    if (v == NULL)
        return dflt;
    for (i = 0; i < n; i++)
        if (webp_strcasecmp(v, choices[i]) == 0)
            return (int)i;
    for (i = 0; i < n && len < sizeof(expected); i++)
        len += (size_t)snprintf(expected + len, sizeof(expected) - len, "%s %s",
                                i ? "," : "", choices[i]);
    conf_bad_value(err, key, v, from, e, expected);
    return -1;
}

/* Parses an optionally signed decimal integer that fills all of S.  0 or -1
 * (empty, stray characters, out of long's range). */
static int
parse_long(const char *s, long *out)
{
    const char *p = s;
    char *end;

    if (*p == '+' || *p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return -1;
    errno = 0;
    *out = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    return 0;
}

int
web_config_long(const struct web_app *app, const char *key, long dflt, long min, long max,
                long *out, struct web_err *err)
{
    const struct webp_conf_entry *e;
    enum origin from;
    const char *v = conf_lookup(app, key, &from, &e);
    char expected[96];
    long n;

    if (out == NULL) {
        webp_err_set(err, WEB_ERR_INVALID, "web_config_long: OUT is NULL");
        return -1;
    }
    if (v == NULL) {
        *out = dflt;
        return 0;
    }
    if (parse_long(v, &n) == 0 && n >= min && n <= max) {
        *out = n;
        return 0;
    }
    snprintf(expected, sizeof(expected), "an integer in [%ld, %ld]", min, max);
    conf_bad_value(err, key, v, from, e, expected);
    return -1;
}

/* ---- the file parser -------------------------------------------------- */

/* One line being parsed: its text and where it is. */
struct line {
    const char *start;
    const char *end; /* the '\n', a '\r' before it, or the end of the text */
    int no;
    const char *source;
};

static int
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static const char *
skip_blanks(const char *p, const char *end)
{
    while (p < end && is_blank(*p))
        p++;
    return p;
}

/* Fills ERR for a problem at P, quoting the text there as "near". */
static int
syntax_error(const struct line *l, const char *p, struct web_err *err, const char *what)
{
    char near[40];

    if (p >= l->end) {
        webp_err_at(err, l->source, l->no, webp_utf8_col(l->start, p),
                    "%s near end of line", what);
        return -1;
    }
    webp_escape(near, sizeof(near), p,
                (size_t)(l->end - p) < 16 ? (size_t)(l->end - p) : 16);
    webp_err_at(err, l->source, l->no, webp_utf8_col(l->start, p), "%s near '%s'", what,
                near);
    return -1;
}

/* Fills ERR for a problem at P inside a value, which is never quoted: the
 * value may be a secret (AWS_SECRET_ACCESS_KEY), and the error goes to a
 * log.  The column says where. */
static int
value_error(const struct line *l, const char *p, struct web_err *err, const char *what)
{
    webp_err_at(err, l->source, l->no, webp_utf8_col(l->start, p), "%s", what);
    return -1;
}

/* Reads a double-quoted value starting at *P (on the quote) into OUT; moves
 * *P past the closing quote.  0, or -1 and fills ERR. */
static int
quoted_value(const struct line *l, const char **pp, struct webp_buf *out,
             struct web_err *err)
{
    const char *open = *pp, *p = *pp + 1;

    for (; p < l->end && *p != '"'; p++) {
        char c = *p;

        if (c == '\\') {
            if (p + 1 >= l->end)
                break;
            c = *++p;
            if (c == 'n')
                c = '\n';
            else if (c == 't')
                c = '\t';
            else if (c != '"' && c != '\\')
                return value_error(l, p - 1, err,
                                   "unknown escape (use \\\" \\\\ \\n \\t)");
        }
        if (webp_buf_append(out, &c, 1) != WEBP_OK) {
            webp_err_nomem(err);
            return -1;
        }
    }
    /* The loop also stops on a '\\' that ends the line: unterminated too. */
    if (p >= l->end || *p != '"')
        return value_error(l, open, err, "unterminated quoted value");
    *pp = p + 1;
    return 0;
}

/* Reads the value at P to the end of the line into OUT.  0, or -1 + ERR. */
static int
line_value(const struct line *l, const char *p, struct webp_buf *out, struct web_err *err)
{
    const char *v = p, *e;

    if (p < l->end && *p == '"') {
        if (quoted_value(l, &p, out, err) != 0)
            return -1;
        p = skip_blanks(p, l->end);
        if (p < l->end && *p != '#')
            return value_error(l, p, err, "unexpected text after the quoted value");
        return 0;
    }
    for (e = v; e < l->end; e++)
        if (*e == '#' && e > v && is_blank(e[-1]))
            break;
    while (e > v && is_blank(e[-1]))
        e--;
    if (webp_buf_append(out, v, (size_t)(e - v)) != WEBP_OK) {
        webp_err_nomem(err);
        return -1;
    }
    return 0;
}

/* Parses one line, calling FN for a setting.  0, or -1 + ERR. */
static int
parse_line(const struct line *l, webp_config_fn fn, void *arg, struct web_err *err)
{
    const char *p = skip_blanks(l->start, l->end), *key;
    struct webp_buf value;
    char name[WEBP_MAX_KEY + 1];
    int rc;

    if (p == l->end || *p == '#')
        return 0;
    key = p;
    while (p < l->end &&
           (*p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (p > key && *p >= '0' && *p <= '9')))
        p++;
    if (p == key)
        return syntax_error(l, p, err, "expected a key (letters, digits, '_')");
    if ((size_t)(p - key) > WEBP_MAX_KEY)
        return syntax_error(l, key, err, "key too long");
    memcpy(name, key, (size_t)(p - key));
    name[p - key] = '\0';
    p = skip_blanks(p, l->end);
    if (p >= l->end || *p != '=') {
        /* What follows may be the value itself: name the key instead. */
        webp_err_at(err, l->source, l->no, webp_utf8_col(l->start, p),
                    "expected '=' after '%s'", name);
        return -1;
    }
    p = skip_blanks(p + 1, l->end);
    webp_buf_init(&value, WEBP_MAX_CONFIG_FILE);
    if (line_value(l, p, &value, err) != 0) {
        webp_buf_free(&value);
        return -1;
    }
    rc = fn(arg, name, value.data ? value.data : "", l->no, webp_utf8_col(l->start, key),
            err);
    webp_buf_free(&value);
    return rc;
}

int
webp_config_parse(const char *text, size_t len, const char *source, webp_config_fn fn,
                  void *arg, struct web_err *err)
{
    const char *p = text, *end = text + len;
    struct line l = {.no = 0, .source = source};

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *nul;

        l.start = p;
        l.end = nl ? nl : end;
        l.no++;
        nul = memchr(p, '\0', (size_t)(l.end - p));
        if (nul != NULL) {
            webp_err_at(err, source, l.no, webp_utf8_col(p, nul), "NUL byte in the file");
            return -1;
        }
        if (l.end > l.start && l.end[-1] == '\r')
            l.end--;
        if (parse_line(&l, fn, arg, err) != 0)
            return -1;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* ---- loading a file ------------------------------------------------------ */

/* Settings collected from one file before any is applied, so a bad file
 * changes nothing. */
struct collect {
    struct webp_kvlist kv;
    int *lines; /* line and column of each key, two per entry */
    const char *source;
};

static int
collect_one(void *arg, const char *key, const char *value, int line, int col,
            struct web_err *err)
{
    struct collect *c = arg;
    size_t i, n = c->kv.n;
    int *lines;

    for (i = 0; i < n; i++)
        if (strcmp(c->kv.items[i].name, key) == 0) {
            webp_err_at(err, c->source, line, col,
                        "duplicate key '%s' (first set on line %d)", key,
                        c->lines[2 * i]);
            return -1;
        }
    lines = util_reallocarray(c->lines, 2 * (n + 1), sizeof(int));
    if (lines == NULL) {
        webp_err_nomem(err);
        return -1;
    }
    c->lines = lines;
    if (webp_kvlist_add(&c->kv, key, strlen(key), value, strlen(value)) != WEBP_OK) {
        webp_err_nomem(err);
        return -1;
    }
    lines[2 * n] = line;
    lines[2 * n + 1] = col;
    return 0;
}

/* Reads all of PATH into OUT (at most WEBP_MAX_CONFIG_FILE bytes).  0 or -1
 * and fills ERR. */
static int
read_file(const char *path, struct webp_buf *out, struct web_err *err)
{
    char chunk[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    int rc = 0;

    if (fd < 0) {
        webp_err_set(err, WEB_ERR_IO, "%s: open: %s", path, strerror(errno));
        return -1;
    }
    webp_buf_init(out, WEBP_MAX_CONFIG_FILE);
    while (rc == 0 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            webp_err_set(err, WEB_ERR_IO, "%s: read: %s", path, strerror(errno));
            rc = -1;
        } else if ((rc = webp_buf_append(out, chunk, (size_t)n)) != WEBP_OK) {
            if (rc == WEBP_LIMIT)
                webp_err_set(err, WEB_ERR_CONFIG, "%s: larger than %ld bytes", path,
                             (long)WEBP_MAX_CONFIG_FILE);
            else
                webp_err_nomem(err);
            rc = -1;
        }
    }
    close(fd);
    if (rc != 0)
        webp_buf_free(out);
    return rc;
}

int
web_config_load_file(struct web_app *app, const char *path, struct web_err *err)
{
    struct collect c = {.lines = NULL, .source = path};
    struct webp_buf text;
    size_t i;
    int rc;

    if (app == NULL || path == NULL) {
        webp_err_set(err, WEB_ERR_INVALID, "web_config_load_file: APP or PATH is NULL");
        return -1;
    }
    if (read_file(path, &text, err) != 0) {
        if (err != NULL && err->source[0] == '\0')
            snprintf(err->source, sizeof(err->source), "%s", path);
        return -1;
    }
    webp_kvlist_init(&c.kv, (size_t)-1);
    rc = webp_config_parse(text.data ? text.data : "", text.len, path, collect_one, &c,
                           err);
    for (i = 0; rc == 0 && i < c.kv.n; i++)
        rc = conf_store(app, c.kv.items[i].name, c.kv.items[i].value, 0, path,
                        c.lines[2 * i], c.lines[2 * i + 1], err);
    webp_kvlist_free(&c.kv);
    util_free(c.lines);
    webp_buf_free(&text);
    return rc;
}
