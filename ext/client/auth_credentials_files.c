/*
 * credentials_files.c: the shared AWS config and credentials files.
 *
 * A pure INI parser (buffer in, one profile's values out) and the file read
 * in front of it.  The format follows the AWS SDKs and Tools Reference Guide,
 * "Shared config and credentials files": in ~/.aws/credentials a profile is
 * "[NAME]", in ~/.aws/config it is "[profile NAME]" (or "[default]"), and
 * other config sections ("[sso-session x]", "[services x]") are skipped.
 * Only the keys a static-key profile needs are read; the keys of sources
 * this library does not implement are remembered so the chain can refuse
 * them by name instead of silently falling through.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth_credentials.h"
#include "internal.h"

/* Keys naming a source dynamo-fcgi does not implement.  ranks_first: the SDKs
 * try it before a profile's static keys (so silently using the keys would
 * pick another identity); credential_process comes after them. */
static const struct {
    const char *key;
    int ranks_first;
} unsupported_keys[] = {
    {"role_arn", 1},           {"web_identity_token_file", 1}, {"sso_session", 1},
    {"sso_start_url", 1},      {"sso_account_id", 1},          {"sso_role_name", 1},
    {"credential_process", 0},
};

struct parser {
    const char *source;
    enum dynamop_ini_kind kind;
    const char *name; /* the wanted profile */
    struct dynamop_profile *prof;
    struct dynamo_err *err;
    int line;
    int in_section;    /* a section header has been seen */
    int in_profile;    /* ... and it is the wanted profile's */
    int have_property; /* a property line in this section: indented lines continue it */
    const char *last_key; /* the last property's key when read here, else NULL */
};

static int fail(struct parser *p, int col, const char *fmt, ...) DYNAMO_PRINTF(3, 4);

/* A DYNAMO_ERR_CONFIG at the parser's line and COL.  Always returns -1. */
static int
fail(struct parser *p, int col, const char *fmt, ...)
{
    struct dynamo_err *err = p->err;
    char msg[160];
    va_list ap;

    if (err == NULL || err->code != DYNAMO_OK)
        return -1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dynamop_err_set(err, DYNAMO_ERR_CONFIG, "%.100s:%d:%d: %s", p->source, p->line, col,
                    msg);
    snprintf(err->source, sizeof(err->source), "%s", p->source);
    err->line = p->line;
    err->col = col;
    return -1;
}

static int
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Trims blanks around [*S, *S + *N). */
static void
trim(const char **s, size_t *n)
{
    while (*n > 0 && is_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_blank((*s)[*n - 1]))
        (*n)--;
}

/* 1 when the N bytes at S equal the string WORD, ignoring case. */
static int
word_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* Whether section NAME (N bytes, trimmed) is the wanted profile's. */
static int
section_matches(const struct parser *p, const char *s, size_t n)
{
    if (p->kind == DYNAMOP_INI_CREDENTIALS)
        return strlen(p->name) == n && memcmp(s, p->name, n) == 0;
    if (n == 7 && memcmp(s, "default", 7) == 0)
        return strcmp(p->name, "default") == 0;
    if (n > 8 && memcmp(s, "profile", 7) == 0 && is_blank(s[7])) {
        s += 8;
        n -= 8;
        trim(&s, &n);
        return strlen(p->name) == n && memcmp(s, p->name, n) == 0;
    }
    return 0; /* "[NAME]" in config, "[sso-session x]", "[services x]", ... */
}

/* "[section]", with an optional comment after the ']'.  0 or -1. */
static int
section_line(struct parser *p, const char *s, size_t n)
{
    const char *close = memchr(s, ']', n);
    const char *name = s + 1, *rest;
    size_t namelen, restlen;

    if (close == NULL)
        return fail(p, (int)n + 1, "missing ']' after the section name");
    rest = close + 1;
    restlen = n - (size_t)(rest - s);
    trim(&rest, &restlen);
    if (restlen > 0 && *rest != '#' && *rest != ';')
        return fail(p, (int)(rest - s) + 1, "unexpected text after ']'");
    namelen = (size_t)(close - name);
    trim(&name, &namelen);
    if (namelen == 0)
        return fail(p, 2, "empty section name");
    p->in_section = 1;
    p->in_profile = section_matches(p, name, namelen);
    p->have_property = 0;
    p->last_key = NULL;
    if (p->in_profile)
        p->prof->found = 1;
    return 0;
}

/* *DST = the N bytes at S (NULL when N is 0), replacing the old value. */
static int
store(struct parser *p, char **dst, const char *s, size_t n)
{
    char *copy = NULL;

    if (n > 0 && (copy = util_strndup(s, n)) == NULL) {
        dynamop_err_nomem(p->err);
        return -1;
    }
    util_free_secret(*dst);
    *dst = copy;
    return 0;
}

static void
note_unsupported(struct parser *p, const char *key, int ranks_first)
{
    struct dynamop_profile *prof = p->prof;

    if (prof->unsupported[0] != '\0' && (prof->unsupported_ranks_first || !ranks_first))
        return;
    snprintf(prof->unsupported, sizeof(prof->unsupported), "%s", key);
    snprintf(prof->unsupported_source, sizeof(prof->unsupported_source), "%s", p->source);
    prof->unsupported_ranks_first = ranks_first;
}

/* Takes KEY = VALUE for the wanted profile.  0 or -1. */
static int
take(struct parser *p, const char *key, size_t keylen, const char *value, size_t vlen)
{
    static const char *const names[] = {"aws_access_key_id", "aws_secret_access_key",
                                        "aws_session_token", "region"};
    char **dst[] = {&p->prof->access_key_id, &p->prof->secret_access_key,
                    &p->prof->session_token, &p->prof->region};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (word_is(key, keylen, names[i])) {
            p->last_key = names[i];
            return store(p, dst[i], value, vlen);
        }
    }
    for (size_t i = 0; i < sizeof(unsupported_keys) / sizeof(unsupported_keys[0]); i++)
        if (word_is(key, keylen, unsupported_keys[i].key) && vlen > 0)
            note_unsupported(p, unsupported_keys[i].key, unsupported_keys[i].ranks_first);
    return 0;
}

/* "key = value", a '#' or ';' after a blank ending the value.  0 or -1. */
static int
property_line(struct parser *p, const char *s, size_t n)
{
    const char *eq = memchr(s, '=', n), *key = s, *value;
    size_t keylen, vlen;

    if (eq == NULL)
        return fail(p, 1, "expected 'key = value', '[section]' or a comment");
    keylen = (size_t)(eq - s);
    trim(&key, &keylen);
    if (keylen == 0)
        return fail(p, (int)(eq - s) + 1, "missing key before '='");
    if (!p->in_section)
        return fail(p, 1, "setting outside of any [section]");
    value = eq + 1;
    vlen = n - (size_t)(value - s);
    for (size_t i = 1; i < vlen; i++) {
        if ((value[i] == '#' || value[i] == ';') && is_blank(value[i - 1])) {
            vlen = i;
            break;
        }
    }
    trim(&value, &vlen);
    p->have_property = 1;
    p->last_key = NULL;
    return p->in_profile ? take(p, key, keylen, value, vlen) : 0;
}

/* An indented line: a sub-property or continuation of the property above. */
static int
continuation_line(struct parser *p)
{
    if (!p->have_property)
        return fail(p, 1, "an indented line must continue a 'key =' line");
    if (p->last_key != NULL)
        return fail(p, 1, "'%s' cannot span several lines", p->last_key);
    return 0;
}

/* One line of N bytes (no newline).  0 or -1. */
static int
parse_line(struct parser *p, const char *s, size_t n)
{
    const char *t = s;
    size_t tn;

    if (n > 0 && s[n - 1] == '\r')
        n--;
    tn = n;
    trim(&t, &tn);
    if (tn == 0 || *t == '#' || *t == ';')
        return 0;
    if (is_blank(*s))
        return continuation_line(p);
    if (*s == '[')
        return section_line(p, s, n);
    return property_line(p, s, n);
}

int
dynamop_profile_parse(const char *text, size_t len, const char *source,
                      enum dynamop_ini_kind kind, const char *name,
                      struct dynamop_profile *prof, struct dynamo_err *err)
{
    struct parser p = {source, kind, name, prof, err, 0, 0, 0, 0, NULL};
    size_t off = 0;

    while (off < len) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;

        p.line++;
        if (memchr(text + off, '\0', n) != NULL)
            return fail(&p, 1, "NUL byte in the file");
        if (parse_line(&p, text + off, n) != 0)
            return -1;
        off += n + (nl != NULL);
    }
    return 0;
}

/* Reads all of FD (at most DYNAMOP_CREDS_MAX_FILE bytes) into *OUT (new,
 * NUL-terminated; secrets inside: wipe OUTLEN bytes before freeing).  0, or
 * -1 with ERR. */
static int
read_all(int fd, const char *path, char **out, size_t *outlen, struct dynamo_err *err)
{
    struct stat st;
    size_t len = 0;
    char *buf;

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        dynamop_err_set(err, DYNAMO_ERR_IO, "%.200s: not a regular file", path);
        return -1;
    }
    if (st.st_size > DYNAMOP_CREDS_MAX_FILE) {
        dynamop_err_set(err, DYNAMO_ERR_IO, "%.200s: larger than %d bytes", path,
                        DYNAMOP_CREDS_MAX_FILE);
        return -1;
    }
    if ((buf = util_malloc((size_t)st.st_size + 1)) == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    while (len < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return 0;
}

int
dynamop_profile_read(const char *path, enum dynamop_ini_kind kind, const char *name,
                     struct dynamop_profile *prof, struct dynamo_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        dynamop_err_set(err, DYNAMO_ERR_IO, "open %.200s: %s", path, strerror(errno));
        return -1;
    }
    rc = read_all(fd, path, &text, &len, err);
    close(fd);
    if (rc != 0)
        return -1;
    rc = dynamop_profile_parse(text, len, path, kind, name, prof, err);
    explicit_bzero(text, len); /* by length: a stray NUL must not stop the wipe */
    util_free(text);
    return rc;
}

void
dynamop_profile_release(struct dynamop_profile *prof)
{
    util_free(prof->access_key_id);
    util_free_secret(prof->secret_access_key);
    util_free_secret(prof->session_token);
    util_free(prof->region);
    memset(prof, 0, sizeof(*prof));
}
