/*
 * err.c: filling struct web_err, and the fixed names of the codes.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Indexed by enum web_code; a unit test checks the size matches. */
const char *const webp_code_names[WEB_ERR_MAX] = {
    [WEB_OK] = "success",
    [WEB_ERR_NOMEM] = "out of memory",
    [WEB_ERR_INVALID] = "invalid argument",
    [WEB_ERR_CONFIG] = "configuration error",
    [WEB_ERR_IO] = "i/o error",
    [WEB_ERR_ROUTE] = "bad route",
    [WEB_ERR_EXT] = "extension error",
    [WEB_ERR_LISTEN] = "cannot listen",
};

const char *
web_strerror(enum web_code code)
{
    if ((int)code < 0 || code >= WEB_ERR_MAX || webp_code_names[code] == NULL)
        return "unknown error";
    return webp_code_names[code];
}

void
webp_err_vset(struct web_err *err, enum web_code code, const char *fmt, va_list ap)
{
    if (err == NULL || err->code != WEB_OK)
        return;
    err->code = code;
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
}

void
webp_err_set(struct web_err *err, enum web_code code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    webp_err_vset(err, code, fmt, ap);
    va_end(ap);
}

void
webp_err_at(struct web_err *err, const char *source, int line, int col, const char *fmt,
            ...)
{
    char msg[sizeof(err->text)];
    va_list ap;

    if (err == NULL || err->code != WEB_OK)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    err->code = WEB_ERR_CONFIG;
    snprintf(err->source, sizeof(err->source), "%s", source);
    err->line = line;
    err->col = col;
    /* The location goes first so a cut text still says where. */
    if (snprintf(err->text, sizeof(err->text), "%s:%d:%d: %s", source, line, col, msg) >=
        (int)sizeof(err->text))
        memcpy(err->text + sizeof(err->text) - 4, "...", 4);
}

void
webp_err_nomem(struct web_err *err)
{
    webp_err_set(err, WEB_ERR_NOMEM, "out of memory");
}
