/*
 * response.c: DynamoDB's error JSON and the retry classification.
 *
 * An error answer is {"__type": "com.amazonaws.dynamodb.v20120810#Name",
 * "message": "..."} (some services spell it "Message").  The retryable names
 * are those of the AWS SDKs' "standard" retry mode (throttling and transient
 * errors; see the AWS SDKs and Tools reference guide, "Retry behavior").
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "json_parse.h"
#include "wire_response.h"

static const char *const throttling_types[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "EC2ThrottledException",
};

static const char *const transient_types[] = {
    "RequestTimeout",      "RequestTimeoutException", "PriorRequestNotComplete",
    "InternalServerError", "InternalFailure",         "ServiceUnavailable",
};

static const struct {
    const char *type;
    enum dynamo_code code;
} type_codes[] = {
    {"ConditionalCheckFailedException", DYNAMO_ERR_CONDITION_FAILED},
    {"ResourceNotFoundException", DYNAMO_ERR_NOT_FOUND},
    {"ResourceInUseException", DYNAMO_ERR_IN_USE},
    {"TransactionCanceledException", DYNAMO_ERR_TXN_CANCELLED},
    {"ValidationException", DYNAMO_ERR_VALIDATION},
    {"SerializationException", DYNAMO_ERR_VALIDATION},
    {"UnrecognizedClientException", DYNAMO_ERR_AUTH},
    {"MissingAuthenticationTokenException", DYNAMO_ERR_AUTH},
    {"InvalidSignatureException", DYNAMO_ERR_AUTH},
    {"IncompleteSignatureException", DYNAMO_ERR_AUTH},
    {"AccessDeniedException", DYNAMO_ERR_AUTH},
    {"ExpiredTokenException", DYNAMO_ERR_AUTH},
    {"InvalidClientTokenId", DYNAMO_ERR_AUTH},
};

static int
in_list(const char *type, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(type, list[i]) == 0)
            return 1;
    return 0;
}

#define IN_LIST(type, list) in_list((type), (list), sizeof(list) / sizeof((list)[0]))

json_t *
dynamop_decode_body(const char *body, size_t len, struct dynamo_err *err)
{
    struct dynamop_json_error jerr;
    json_t *json;

    if (len == 0)
        return json_object();
    json = dynamop_json_parse(body, len, &jerr);
    if (json == NULL) {
        if (jerr.nomem)
            dynamop_err_nomem(err);
        else
            dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE,
                            "invalid JSON in response at byte %zu: %s", jerr.position,
                            jerr.text);
        return NULL;
    }
    if (!json_is_object(json)) {
        json_decref(json);
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE, "response is not a JSON object");
        return NULL;
    }
    return json;
}

/* The short name of __type: the part after '#', if any. */
static const char *
short_type(const char *type)
{
    const char *hash = strrchr(type, '#');

    return hash != NULL ? hash + 1 : type;
}

static enum dynamo_code
code_for(const char *type, long status)
{
    for (size_t i = 0; i < sizeof(type_codes) / sizeof(type_codes[0]); i++)
        if (strcmp(type, type_codes[i].type) == 0)
            return type_codes[i].code;
    if (IN_LIST(type, throttling_types) || status == 429)
        return DYNAMO_ERR_THROTTLED;
    if (status >= 500 || IN_LIST(type, transient_types))
        return DYNAMO_ERR_SERVICE;
    if (status == 401 || status == 403)
        return DYNAMO_ERR_AUTH;
    return DYNAMO_ERR_VALIDATION;
}

static enum dynamop_retry
retry_for(const char *type, long status)
{
    if (IN_LIST(type, throttling_types) || status == 429)
        return DYNAMOP_RETRY_THROTTLE;
    if (IN_LIST(type, transient_types) || status == 500 || status == 502 ||
        status == 503 || status == 504)
        return DYNAMOP_RETRY_TRANSIENT;
    return DYNAMOP_RETRY_NO;
}

/* The string M as text into BUF (SIZE bytes, cut to fit), each NUL written
 * \u0000: a message may echo an item's strings, which may hold U+0000. */
static const char *
message_text(const json_t *m, char *buf, size_t size)
{
    const char *s = json_string_value(m);
    size_t len = json_string_length(m), o = 0;

    for (size_t i = 0; i < len; i++) {
        size_t n = s[i] == '\0' ? 6 : 1;

        if (o + n >= size)
            break;
        memcpy(buf + o, s[i] == '\0' ? "\\u0000" : s + i, n);
        o += n;
    }
    buf[o] = '\0';
    return buf;
}

enum dynamop_retry
dynamop_decode_error(long status, const char *body, size_t len, const char *request_id,
                     struct dynamo_err *err)
{
    /* The answers' own parser: it takes the U+0000 an echoed item may hold,
     * in its strings and its names, so __type is never lost for one. */
    json_t *json = len > 0 ? dynamop_json_parse(body, len, NULL) : NULL;
    const char *type = "", *message = NULL;
    char text[sizeof(err->text)];
    enum dynamop_retry retry;

    if (json_is_object(json)) {
        const char *t = json_string_value(json_object_get(json, "__type"));
        const json_t *m = json_object_get(json, "message");

        type = t != NULL ? short_type(t) : "";
        if (!json_is_string(m))
            m = json_object_get(json, "Message");
        message = json_is_string(m) ? message_text(m, text, sizeof(text)) : NULL;
    }
    retry = retry_for(type, status);
    if (err != NULL && err->code == DYNAMO_OK) {
        snprintf(err->type, sizeof(err->type), "%s", type);
        err->http_status = (int)status;
        snprintf(err->request_id, sizeof(err->request_id), "%s",
                 request_id ? request_id : "");
        if (*type == '\0' && message == NULL)
            dynamop_err_set(err, code_for(type, status),
                            "HTTP %ld without a DynamoDB error", status);
        else
            dynamop_err_set(err, code_for(type, status), "%s%s%s (HTTP %ld)", type,
                            *type && message ? ": " : "", message ? message : "", status);
    }
    json_decref(json);
    return retry;
}
