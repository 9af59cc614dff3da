/*
 * nulswap.h: how the JSON parser's tests and fuzz target compare keys that
 * hold U+0000 with jansson, which refuses "\u0000" in a key even with
 * JSON_ALLOW_NUL: the input goes to jansson with every "\u0000" escape
 * written "\uE000" (same length, so error positions hold), and jansson's
 * value, dumped, gets each U+E000 written back as \u0000.  Header-only, as
 * the fuzz target links no test helpers.
 */
#ifndef DYNAMO_FCGI_NULSWAP_H
#define DYNAMO_FCGI_NULSWAP_H

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NULSWAP_U_E000 "\xee\x80\x80" /* U+E000 in UTF-8 */

/* S (LEN bytes) with every "\u0000" escape written "\uE000" (new: free()),
 * or NULL when S holds U+E000 itself, raw or escaped (no reference then),
 * or out of memory. */
static inline char *
nulswap_in(const char *s, size_t len)
{
    char *c;
    size_t i;

    for (i = 0; i + 3 <= len; i++)
        if (memcmp(s + i, NULSWAP_U_E000, 3) == 0)
            return NULL;
    if ((c = malloc(len ? len : 1)) == NULL)
        return NULL;
    memcpy(c, s, len);
    for (i = 0; i + 1 < len; i += s[i] == '\\' ? 2 : 1) {
        if (s[i] != '\\' || s[i + 1] != 'u' || len - i < 6)
            continue;
        if (strncasecmp(s + i + 2, "e000", 4) == 0) {
            free(c);
            return NULL;
        }
        if (memcmp(s + i + 2, "0000", 4) == 0)
            memcpy(c + i + 2, "E000", 4);
    }
    return c;
}

/* The JSON text D with every U+E000 written as \u0000 (new: free()); NULL
 * out of memory. */
static inline char *
nulswap_out(const char *d)
{
    char *out = malloc(2 * strlen(d) + 1), *o = out;

    if (out == NULL)
        return NULL;
    while (*d != '\0') {
        if (strncmp(d, NULSWAP_U_E000, 3) == 0) {
            memcpy(o, "\\u0000", 6);
            o += 6;
            d += 3;
        } else {
            *o++ = *d++;
        }
    }
    *o = '\0';
    return out;
}

#endif /* DYNAMO_FCGI_NULSWAP_H */
