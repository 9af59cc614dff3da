/*
 * err.c: filling struct dynamo_err, and the fixed names of the codes.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Indexed by enum dynamo_code; a unit test checks the size matches. */
const char *const dynamop_code_names[DYNAMO_ERR_MAX] = {
    [DYNAMO_OK] = "success",
    [DYNAMO_ERR_NOMEM] = "out of memory",
    [DYNAMO_ERR_INVALID] = "invalid argument",
    [DYNAMO_ERR_CONFIG] = "configuration error",
    [DYNAMO_ERR_TABLES_FILE] = "tables file error",
    [DYNAMO_ERR_IO] = "i/o error",
    [DYNAMO_ERR_NETWORK] = "network error",
    [DYNAMO_ERR_TIMEOUT] = "timeout",
    [DYNAMO_ERR_BAD_RESPONSE] = "bad response from DynamoDB",
    [DYNAMO_ERR_AUTH] = "authentication failed",
    [DYNAMO_ERR_VALIDATION] = "request rejected by DynamoDB",
    [DYNAMO_ERR_NOT_FOUND] = "resource not found",
    [DYNAMO_ERR_IN_USE] = "resource in use",
    [DYNAMO_ERR_CONDITION_FAILED] = "condition check failed",
    [DYNAMO_ERR_THROTTLED] = "throttled",
    [DYNAMO_ERR_TXN_CANCELLED] = "transaction cancelled",
    [DYNAMO_ERR_SERVICE] = "DynamoDB service error",
    [DYNAMO_ERR_UNKNOWN_TABLE] = "unknown table",
};

const char *
dynamo_strerror(enum dynamo_code code)
{
    if ((int)code < 0 || code >= DYNAMO_ERR_MAX || dynamop_code_names[code] == NULL)
        return "unknown error";
    return dynamop_code_names[code];
}

void
dynamop_err_vset(struct dynamo_err *err, enum dynamo_code code, const char *fmt, va_list ap)
{
    if (err == NULL || err->code != DYNAMO_OK)
        return;
    err->code = code;
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
}

void
dynamop_err_set(struct dynamo_err *err, enum dynamo_code code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    dynamop_err_vset(err, code, fmt, ap);
    va_end(ap);
}

void
dynamop_err_at(struct dynamo_err *err, const char *source, int line, int col,
               const char *fmt, ...)
{
    char msg[sizeof(err->text)];
    va_list ap;

    if (err == NULL || err->code != DYNAMO_OK)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    err->code = DYNAMO_ERR_TABLES_FILE;
    snprintf(err->source, sizeof(err->source), "%s", source);
    err->line = line;
    err->col = col;
    /* Bounded so the whole line fits: a long path must not push out the message. */
    snprintf(err->text, sizeof(err->text), "%.100s:%d:%d: %.120s", source, line, col, msg);
}

void
dynamop_err_nomem(struct dynamo_err *err)
{
    dynamop_err_set(err, DYNAMO_ERR_NOMEM, "out of memory");
}

void
dynamop_err_copy(struct dynamo_err *dst, const struct dynamo_err *src)
{
    if (dst != NULL && dst->code == DYNAMO_OK)
        *dst = *src;
}
