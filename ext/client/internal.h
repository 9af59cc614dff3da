/*
 * internal.h: declarations shared between the files of the DynamoDB client,
 * ext/client/ (prefix dynamop_).  Never installed.  Each pure module keeps
 * its own private header (auth_sigv4.h, wire_response.h, json_convert.h).
 */
#ifndef DYNAMO_FCGI_CLIENT_INTERNAL_H
#define DYNAMO_FCGI_CLIENT_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "dynamo_client.h"
#include "util.h"
#include "auth_sigv4.h"

/* ---- libcurl (http_curl.c) ----------------------------------------------
 * curl_global_init, once per process for every handle the library makes
 * (older libcurls' is not thread-safe, so one pthread_once guards it). */
void dynamop_curl_global_init(void);

/* ---- characters ---------------------------------------------------------
 * ASCII and locale-free on purpose: <ctype.h> follows the locale. */

/* RFC 9110 section 5.6.2: tchar, the bytes of a method, header name or
 * token.  A bit per ASCII byte (alphanumerics and !#$%&'*+-.^_`|~): header
 * names are checked on every call, and strchr() over the symbols cost a
 * call for each '-' in them. */
static inline int
dynamop_is_tchar(unsigned char c)
{
    /* Eight words, the last four zero: no separate test for bytes >= 128. */
    static const uint32_t bits[8] = {0x00000000, 0x03ff6cfa, 0xc7fffffe, 0x57ffffff};

    return bits[c >> 5] >> (c & 31) & 1;
}

/* ---- UTF-8 -------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at S, a byte >= 0x80 (RFC 3629
 * section 4: no overlongs, surrogates or code points past U+10FFFF), or 0.
 * The same check as jansson's utf8_check_full. */
static inline size_t
dynamop_utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n, i;

    if (s[0] < 0xC2 || s[0] > 0xF4)
        return 0;
    n = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
    if (s[0] == 0xE0)
        lo = 0xA0;
    else if (s[0] == 0xED)
        hi = 0x9F;
    else if (s[0] == 0xF0)
        lo = 0x90;
    else if (s[0] == 0xF4)
        hi = 0x8F;
    if ((size_t)(end - s) < n || s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* ---- errors (err.c) ----------------------------------------------------
 * Each setter keeps the first error: it does nothing when ERR is NULL or
 * already holds a code. */
void dynamop_err_set(struct dynamo_err *err, enum dynamo_code code, const char *fmt, ...)
    DYNAMO_PRINTF(3, 4);
void dynamop_err_vset(struct dynamo_err *err, enum dynamo_code code, const char *fmt,
                      va_list ap) DYNAMO_PRINTF(3, 0);
/* A DYNAMO_ERR_TABLES_FILE error at SOURCE:LINE:COL; text gets the prefix. */
void dynamop_err_at(struct dynamo_err *err, const char *source, int line, int col,
                    const char *fmt, ...) DYNAMO_PRINTF(5, 6);
void dynamop_err_nomem(struct dynamo_err *err);
/* Copies SRC (a local error) into DST, unless DST is NULL or already set. */
void dynamop_err_copy(struct dynamo_err *dst, const struct dynamo_err *src);
/* Scrubs ERR's text, type and request id (server-supplied, maybe echoing
 * the request) of the N strings SECRETS (NULL ones skipped) and of every
 * "Signature=" value: each becomes "***".  ERR must not be NULL. */
void dynamop_err_redact(struct dynamo_err *err, const char *const *secrets, size_t n);

/* ---- request values (json_copy.c, json_emit.c) ------------------------- */
/* Containers nested deeper than this in a request are refused: DynamoDB's
 * 32 levels of L / M are 64 JSON levels, plus a transaction's framing.  It
 * also stands for a cycle check. */
#define DYNAMOP_MAX_NESTING 128

/* A deep copy of V that keeps every object key whole, U+0000 and all
 * (json_deep_copy cuts keys at a NUL).  New, or NULL with ERR set:
 * DYNAMO_ERR_NOMEM, or _INVALID past DYNAMOP_MAX_NESTING levels. */
json_t *dynamop_json_deep_copy(const json_t *v, struct dynamo_err *err);

struct dynamop_buf; /* convert.h */

/* An object written member by member: the text dynamop_json_dump() writes
 * for a json_t object holding the same members in the same order, without
 * building that object (for a request made of a few known parts).  Start it
 * as {OUT, ERR} (the rest zero).  The first failure sticks: later calls do
 * nothing, dynamop_json_obj_end() returns -1 and ERR says why, as for
 * dynamop_json_dump() (OUT may then be freed). */
struct dynamop_json_obj {
    struct dynamop_buf *out;
    struct dynamo_err *err;
    size_t members;
    int failed;
};
/* Member NAME with the value V (borrowed), or the string S. */
void dynamop_json_obj_value(struct dynamop_json_obj *o, const char *name,
                            const json_t *v);
void dynamop_json_obj_string(struct dynamop_json_obj *o, const char *name, const char *s);
/* Closes the object.  Returns 0, or -1 when a member failed. */
int dynamop_json_obj_end(struct dynamop_json_obj *o);

/* ---- backoff (backoff.c) ---------------------------------------------- */
/* A full-jitter delay for retry ATTEMPT (1 = first retry): uniform in
 * [0, min(CAP_MS, BASE_MS * 2^ATTEMPT)). */
long dynamop_backoff_ms(int attempt, long base_ms, long cap_ms);
/* Sleeps dynamop_backoff_ms(ATTEMPT, BASE_MS, CAP_MS). */
void dynamop_backoff_sleep(int attempt, long base_ms, long cap_ms);

/* ---- the client (client.c) --------------------------------------------- */
/* dynamo_call(), and when DynamoDB answers with an error, *ERROR_BODY
 * receives its JSON body (new; NULL otherwise) for fields beyond __type and
 * message, such as TransactionCanceledException's CancellationReasons. */
json_t *dynamop_call_detail(struct dynamo_client *c, const char *operation,
                            const json_t *request, json_t **error_body,
                            struct dynamo_err *err);
/* What a call makes of a 200 answer: BODY (LEN bytes, borrowed for the
 * call) into OUT.  Returns 0, or -1 with ERR set (a bad answer: the call
 * fails, without a retry). */
typedef int (*dynamop_decode_fn)(const char *body, size_t len, void *out,
                                 struct dynamo_err *err);
/* dynamo_call() with the answer's body text handed to DECODE instead of
 * parsed: same signing, retries and errors.  Returns 0 with OUT filled by
 * DECODE, or -1 with ERR filled. */
int dynamop_call_raw(struct dynamo_client *c, const char *operation,
                     const json_t *request, dynamop_decode_fn decode, void *out,
                     struct dynamo_err *err);
/* A dynamop_decode_fn: the answer parsed into *(json_t **)OUT (new). */
int dynamop_decode_json(const char *body, size_t len, void *out, struct dynamo_err *err);
/* Appends a request's JSON text, made from ARG, to OUT.  Returns 0, or -1
 * with ERR set. */
typedef int (*dynamop_write_fn)(struct dynamop_buf *out, const void *arg,
                                struct dynamo_err *err);
/* dynamop_call_raw() with the request's text written by WRITE from ARG,
 * for requests not held as a json_t.  Returns as dynamop_call_raw(). */
int dynamop_call_write(struct dynamo_client *c, const char *operation,
                       dynamop_write_fn write, const void *arg, dynamop_decode_fn decode,
                       void *out, struct dynamo_err *err);
/* Borrowed: valid until dynamo_client_free(). */
const char *dynamop_client_region(const struct dynamo_client *c);

#endif /* DYNAMO_FCGI_CLIENT_INTERNAL_H */
