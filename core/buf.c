/*
 * buf.c: bounded byte buffers, name/value lists and small text helpers
 * shared by the parsers, the request and the response.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

void
webp_buf_init(struct webp_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void
webp_buf_free(struct webp_buf *b)
{
    util_free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

/* Makes room for NEED more bytes plus the terminator.  WEBP_OK, WEBP_NOMEM
 * or WEBP_LIMIT. */
static int
buf_reserve(struct webp_buf *b, size_t need)
{
    size_t want, cap;
    char *p;

    if (need > b->max || b->len > b->max - need)
        return WEBP_LIMIT;
    want = b->len + need + 1;
    if (want <= b->cap)
        return WEBP_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < want)
        cap = cap > ((size_t)-1) / 2 ? want : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    p = util_reallocarray(b->data, cap, 1);
    if (p == NULL)
        return WEBP_NOMEM;
    b->data = p;
    b->cap = cap;
    return WEBP_OK;
}

int
webp_buf_append(struct webp_buf *b, const void *data, size_t n)
{
    int rc = buf_reserve(b, n);

    if (rc != WEBP_OK) {
        webp_buf_free(b);
        return rc;
    }
    if (n > 0)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return WEBP_OK;
}

int
webp_buf_appendf(struct webp_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n, rc;
    char *big;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        webp_buf_free(b);
        return WEBP_BAD;
    }
    if ((size_t)n < sizeof(small))
        return webp_buf_append(b, small, (size_t)n);
    /* Rare: format into a heap copy of the exact size. */
    big = util_malloc((size_t)n + 1);
    if (big == NULL) {
        webp_buf_free(b);
        return WEBP_NOMEM;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    rc = webp_buf_append(b, big, (size_t)n);
    util_free(big);
    return rc;
}

char *
webp_escape(char *dst, size_t dstsz, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i;

    if (dstsz < 8) {
        if (dstsz > 0)
            dst[0] = '\0';
        return dst;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int plain = c > 0x20 && c < 0x7f && c != '\\' && c != '"';

        if (o + (plain ? 1 : 4) + 4 > dstsz) {
            /* Keep room for "..." and the NUL. */
            memcpy(dst + o, "...", 3);
            o += 3;
            break;
        }
        if (plain) {
            dst[o++] = (char)c;
            continue;
        }
        dst[o++] = '\\';
        dst[o++] = 'x';
        dst[o++] = hex[c >> 4];
        dst[o++] = hex[c & 15];
    }
    dst[o] = '\0';
    return dst;
}

/* Length of the valid UTF-8 sequence at S (RFC 3629, section 4), or 0. */
static size_t
utf8_seq(const unsigned char *s)
{
    size_t n, i;
    unsigned long cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void
webp_utf8_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;

    while (*p != '\0') {
        size_t n = utf8_seq(p);

        if (n == 0) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

int
webp_utf8_col(const char *line, const char *p)
{
    int col = 1;

    for (; line < p; line++)
        if (((unsigned char)*line & 0xc0) != 0x80)
            col++;
    return col;
}

int
webp_strcasecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = (unsigned char)*a, cb = (unsigned char)*b;

        if (ca >= 'A' && ca <= 'Z')
            ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z')
            cb += 'a' - 'A';
        if (ca != cb || ca == 0)
            return ca - cb;
    }
}

void
webp_kvlist_init(struct webp_kvlist *l, size_t max)
{
    memset(l, 0, sizeof(*l));
    l->max = max;
}

void
webp_kvlist_free(struct webp_kvlist *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        util_free(l->items[i].name);
        util_free(l->items[i].value);
    }
    util_free(l->items);
    l->items = NULL;
    l->n = 0;
    l->cap = 0;
}

int
webp_kvlist_take(struct webp_kvlist *l, char *name, char *value)
{
    if (name == NULL || value == NULL) {
        util_free(name);
        util_free(value);
        return WEBP_NOMEM;
    }
    if (l->n >= l->max) {
        util_free(name);
        util_free(value);
        return WEBP_LIMIT;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct webp_kv *items;

        if (cap > l->max)
            cap = l->max;
        items = util_reallocarray(l->items, cap, sizeof(*items));
        if (items == NULL) {
            util_free(name);
            util_free(value);
            return WEBP_NOMEM;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n].name = name;
    l->items[l->n].value = value;
    l->n++;
    return WEBP_OK;
}

int
webp_kvlist_add(struct webp_kvlist *l, const char *name, size_t nlen, const char *value,
                size_t vlen)
{
    if (l->n >= l->max)
        return WEBP_LIMIT;
    return webp_kvlist_take(l, util_strndup(name, nlen), util_strndup(value, vlen));
}

const char *
webp_kvlist_get(const struct webp_kvlist *l, const char *name, int icase)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        const char *n = l->items[i].name;

        if (icase ? webp_strcasecmp(n, name) == 0 : strcmp(n, name) == 0)
            return l->items[i].value;
    }
    return NULL;
}

void
webp_kvlist_remove(struct webp_kvlist *l, const char *name)
{
    size_t i, o = 0;

    for (i = 0; i < l->n; i++) {
        if (webp_strcasecmp(l->items[i].name, name) == 0) {
            util_free(l->items[i].name);
            util_free(l->items[i].value);
            continue;
        }
        l->items[o++] = l->items[i];
    }
    l->n = o;
}
