/*
 * err.c: filling struct dynamo_err, and the fixed names of the codes.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* What a redacted secret becomes.  Never longer than what it replaces. */
#define REDACTED "***"
#define REDACTED_LEN (sizeof(REDACTED) - 1)

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
dynamop_err_vset(struct dynamo_err *err, enum dynamo_code code, const char *fmt,
                 va_list ap)
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
    snprintf(err->text, sizeof(err->text), "%.100s:%d:%d: %.120s", source, line, col,
             msg);
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

/* Replaces in S every occurrence of SECRET by REDACTED, and a tail of S that
 * starts SECRET (a text cut short inside it).  A SECRET under 4 characters
 * is left alone: it would mangle the text and hides nothing. */
static void
redact_in(char *s, const char *secret)
{
    size_t n = secret != NULL ? strlen(secret) : 0, len;
    char *p;

    if (n < 4)
        return;
    for (p = strstr(s, secret); p != NULL; p = strstr(p + REDACTED_LEN, secret)) {
        memmove(p + REDACTED_LEN, p + n, strlen(p + n) + 1);
        memcpy(p, REDACTED, REDACTED_LEN);
    }
    len = strlen(s);
    for (size_t k = len < n - 1 ? len : n - 1; k >= 4; k--)
        if (memcmp(s + len - k, secret, k) == 0) {
            memcpy(s + len - k, REDACTED, REDACTED_LEN + 1);
            break;
        }
}

/* Replaces the hex digits after each "Signature=" (an echoed Authorization
 * header or presigned URL) by REDACTED. */
static void
redact_signatures(char *s)
{
    for (char *p = strstr(s, "Signature="); p != NULL; p = strstr(p, "Signature=")) {
        char *end = p += 10;

        while (isxdigit((unsigned char)*end))
            end++;
        if ((size_t)(end - p) > REDACTED_LEN) {
            memmove(p + REDACTED_LEN, end, strlen(end) + 1);
            memcpy(p, REDACTED, REDACTED_LEN);
        }
    }
}

void
dynamop_err_redact(struct dynamo_err *err, const char *const *secrets, size_t n)
{
    char *fields[] = {err->text, err->type, err->request_id};

    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
        for (size_t i = 0; i < n; i++)
            redact_in(fields[f], secrets[i]);
        redact_signatures(fields[f]);
    }
}
