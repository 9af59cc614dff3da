/*
 * dynamo_client.h: a DynamoDB client in C.
 *
 * Usable on its own (it knows nothing of the web framework): one generic
 * call, operation name + JSON request -> JSON response, and typed operations
 * built on it.  Items are jansson values in DynamoDB's typed form
 * ({"name": {"S": "alice"}}), with converters to and from plain JSON that keep
 * numbers' decimal text exactly.
 *
 * Strings may hold U+0000, as DynamoDB's do (S values, SS members,
 * attribute and map names): they are jansson strings with a length.  Where
 * a value or a name may hold one, read it with json_string_length() and
 * json_object_iter_key_len() / json_object_getn(), not with strlen() of
 * json_string_value() or json_object_iter_key(), and make it with
 * json_stringn() / json_object_setn().  Beware jansson's json_deep_copy(),
 * json_copy(), json_object_update() and json_equal(), which take object
 * keys only up to a NUL (jansson 2.14).
 *
 * Conventions: a fallible call returns 0 / -1 or NULL and fills an optional
 * struct dynamo_err (the first error set is kept; zero it before use).
 * Returned json_t pointers are new references unless the comment says
 * "borrowed"; json_t arguments are borrowed unless the comment says "taken".
 */
#ifndef DYNAMO_FCGI_CLIENT_H
#define DYNAMO_FCGI_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#if defined(__GNUC__)
#define DYNAMO_EXPORT __attribute__((visibility("default")))
#define DYNAMO_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define DYNAMO_WUR __attribute__((warn_unused_result))
#else
#define DYNAMO_EXPORT
#define DYNAMO_PRINTF(f, a)
#define DYNAMO_WUR
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes.  Stable: codes are only ever added before DYNAMO_ERR_MAX. */
enum dynamo_code {
    DYNAMO_OK = 0,
    DYNAMO_ERR_NOMEM,            /* an allocation failed */
    DYNAMO_ERR_INVALID,          /* a bad argument or item, refused before sending */
    DYNAMO_ERR_CONFIG,           /* bad configuration (keys, credentials, endpoint) */
    DYNAMO_ERR_TABLES_FILE,      /* the tables file is wrong: source/line/col say where */
    DYNAMO_ERR_IO,               /* a local file could not be read */
    DYNAMO_ERR_NETWORK,          /* connect, send or receive failed */
    DYNAMO_ERR_TIMEOUT,          /* connect or request timeout */
    DYNAMO_ERR_BAD_RESPONSE,     /* the response could not be understood */
    DYNAMO_ERR_AUTH,             /* credentials refused (signature, token, access) */
    DYNAMO_ERR_VALIDATION,       /* ValidationException and other 4xx client errors */
    DYNAMO_ERR_NOT_FOUND,        /* ResourceNotFoundException */
    DYNAMO_ERR_IN_USE,           /* ResourceInUseException */
    DYNAMO_ERR_CONDITION_FAILED, /* ConditionalCheckFailedException */
    DYNAMO_ERR_THROTTLED,        /* throttling, after the retries */
    DYNAMO_ERR_TXN_CANCELLED,    /* TransactionCanceledException */
    DYNAMO_ERR_SERVICE,          /* 5xx from DynamoDB, after the retries */
    DYNAMO_ERR_UNKNOWN_TABLE,    /* a table name not declared in the tables file */
    DYNAMO_ERR_MAX
};

struct dynamo_err {
    enum dynamo_code code;
    char text[256];      /* human message: where and why */
    char type[128];      /* DynamoDB's __type without its namespace, or "" */
    int http_status;     /* 0 when no response arrived */
    char request_id[64]; /* x-amzn-RequestId, or "" */
    int attempts;        /* HTTP attempts made by the failing call */
    char source[256];    /* for DYNAMO_ERR_TABLES_FILE: the file ... */
    int line;            /* ... and the 1-based line and column */
    int col;
};

/* A fixed, human-readable name for CODE; never NULL. */
DYNAMO_EXPORT const char *dynamo_strerror(enum dynamo_code code);

/* ---- credentials and region ---------------------------------------- */

/*
 * A credentials provider: static keys, or the AWS SDKs' default chain.  One
 * provider may be shared by every client of an app, from any number of
 * threads: temporary credentials are refreshed under a lock before they
 * expire, and each client signs with its own copy.
 */
struct dynamo_credentials;

/* How dynamo_credentials_new_chain() and dynamo_region_resolve() look
 * settings up.  Valid when zeroed. */
struct dynamo_credentials_options {
    /* The value of NAME (AWS_PROFILE, AWS_CONFIG_FILE, HOME, ...) or NULL;
     * an empty value counts as unset.  Called only during the two functions
     * above (values are copied).  NULL: the process environment. */
    const char *(*lookup)(void *arg, const char *name);
    void *lookup_arg;
    int no_network;          /* 1: environment and shared files only */
    long connect_timeout_ms; /* container and instance metadata; 0: 1000 */
    long request_timeout_ms; /* 0: 3000 */
};

/* A provider that always hands out these keys (TOKEN may be NULL).  Strings
 * are copied.  New: free with dynamo_credentials_free(). */
DYNAMO_EXPORT struct dynamo_credentials *
dynamo_credentials_new_static(const char *access_key_id, const char *secret_access_key,
                              const char *session_token,
                              struct dynamo_err *err) DYNAMO_WUR;
/*
 * The default chain, first source with credentials wins:
 *   1. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (both or neither),
 *      AWS_SESSION_TOKEN;
 *   2. profile AWS_PROFILE (default "default") in AWS_SHARED_CREDENTIALS_FILE
 *      (~/.aws/credentials, "[NAME]") over AWS_CONFIG_FILE (~/.aws/config,
 *      "[profile NAME]" or "[default]"): aws_access_key_id,
 *      aws_secret_access_key, aws_session_token;
 *   3. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on
 *      169.254.170.2) or _FULL_URI (https, or http to a loopback host), with
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN;
 *   4. EC2 instance metadata, IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT,
 *      default http://169.254.169.254), unless AWS_EC2_METADATA_DISABLED=true.
 * Steps 1-2 are read here; 3-4 are only contacted on first use (no network
 * I/O here), then refreshed before they expire.  A profile that needs
 * role_arn, SSO, web identity or credential_process fails here with
 * DYNAMO_ERR_CONFIG ("not supported"); so do a half-set pair, a named
 * profile that does not exist, a bad file (FILE:LINE:COL) and a refused
 * FULL_URI.  NULL OPTS: all defaults.  New: free with dynamo_credentials_free().
 */
DYNAMO_EXPORT struct dynamo_credentials *
dynamo_credentials_new_chain(const struct dynamo_credentials_options *opts,
                             struct dynamo_err *err) DYNAMO_WUR;
/* Frees P; NULL does nothing.  Every client using P must be freed first. */
DYNAMO_EXPORT void dynamo_credentials_free(struct dynamo_credentials *p);
/* Where P's credentials come from: "static", "environment", "profile NAME",
 * "container" or "instance metadata".  Borrowed: valid as P. */
DYNAMO_EXPORT const char *dynamo_credentials_source(const struct dynamo_credentials *p);

/* The region: AWS_REGION, AWS_DEFAULT_REGION, the profile's "region" (files
 * as above), else "us-east-1", into OUT (SIZE bytes).  Returns 0, or -1 with
 * DYNAMO_ERR_CONFIG (a bad file, a region that is not [A-Za-z0-9-]). */
DYNAMO_EXPORT int dynamo_region_resolve(const struct dynamo_credentials_options *opts,
                                        char *out, size_t size, struct dynamo_err *err);

/* ---- the client ----------------------------------------------------- */

/* How calls travel (DYNAMO_HTTP_TRANSPORT: "auto" or "curl"). */
enum dynamo_transport {
    /* http:// endpoints without a proxy in the environment (http_proxy,
     * all_proxy, ALL_PROXY): the client's own HTTP/1.1, a third of
     * libcurl's CPU per call; https:// and proxies: libcurl. */
    DYNAMO_TRANSPORT_AUTO,
    DYNAMO_TRANSPORT_CURL, /* libcurl for every endpoint */
    DYNAMO_TRANSPORT_MAX
};

/* Options; every field may be left zero / NULL.  Strings are copied. */
struct dynamo_client_config {
    const char *region;            /* NULL: "us-east-1" */
    const char *endpoint;          /* NULL: https://dynamodb.REGION.amazonaws.com */
    const char *access_key_id;     /* static keys, or NULL to use credentials */
    const char *secret_access_key; /* required with access_key_id */
    const char *session_token;     /* NULL: none */
    /* Borrowed, must outlive the client; used when access_key_id is NULL. */
    struct dynamo_credentials *credentials;
    const char *ca_bundle;           /* extra CA file for TLS, NULL: system CAs */
    long connect_timeout_ms;         /* 0: 3000 */
    long request_timeout_ms;         /* 0: 10000 */
    int max_attempts;                /* 0: 3 (first try included) */
    enum dynamo_transport transport; /* 0: DYNAMO_TRANSPORT_AUTO */
};

struct dynamo_client;

/* New client.  Opens no connection: the first call does, and keeps it alive.
 * One client must not be used by two threads at once.
 * New: free with dynamo_client_free(). */
DYNAMO_EXPORT struct dynamo_client *
dynamo_client_new(const struct dynamo_client_config *cfg,
                  struct dynamo_err *err) DYNAMO_WUR;
DYNAMO_EXPORT void dynamo_client_free(struct dynamo_client *client);
/* Borrowed: valid until dynamo_client_free(). */
DYNAMO_EXPORT const char *dynamo_client_endpoint(const struct dynamo_client *client);
/* Number of TCP connections the client has opened so far. */
DYNAMO_EXPORT long dynamo_client_connections(const struct dynamo_client *client);

/* What a client has done since dynamo_client_new(); counters only grow, so
 * the difference of two snapshots is the work done in between. */
struct dynamo_client_stats {
    long calls;        /* dynamo_call()s, typed operations included (one each
                        * page or chunk), failed ones too */
    long retries;      /* HTTP attempts beyond each call's first */
    long long call_us; /* microseconds spent inside calls, backoff included */
    long connections;  /* TCP connections opened (dynamo_client_connections) */
};

/* Fills *OUT with CLIENT's counters. */
DYNAMO_EXPORT void dynamo_client_stats(const struct dynamo_client *client,
                                       struct dynamo_client_stats *out);

/*
 * The generic call: OPERATION ("GetItem", "ListTables", ...) with REQUEST as
 * its JSON body.  Returns the response body (a new reference; {} when
 * DynamoDB sends an empty object), or NULL with ERR filled, DynamoDB's
 * __type, message, status and request id included.
 */
DYNAMO_EXPORT json_t *dynamo_call(struct dynamo_client *client, const char *operation,
                                  const json_t *request, struct dynamo_err *err);

/* ---- items ---------------------------------------------------------- */

/* Optional parts of an item operation; zero means "absent". */
struct dynamo_item_opts {
    const char *condition;     /* ConditionExpression */
    const json_t *names;       /* ExpressionAttributeNames, borrowed */
    const json_t *values;      /* ExpressionAttributeValues (typed), borrowed */
    const char *return_values; /* ReturnValues: "ALL_OLD", ... */
    const char *projection;    /* GetItem ProjectionExpression */
    int consistent_read;       /* GetItem ConsistentRead */
};

/* GetItem.  *ITEM receives the typed item (new) or NULL when absent. */
DYNAMO_EXPORT int dynamo_get_item(struct dynamo_client *client, const char *table,
                                  const json_t *key, const struct dynamo_item_opts *opts,
                                  json_t **item, struct dynamo_err *err);
/*
 * GetItem for an item that goes on as plain JSON: *PLAIN receives the text
 * dynamo_item_to_json_text() would make of dynamo_get_item()'s item (new:
 * free(); NUL-terminated, *LEN bytes when LEN is not NULL), or NULL when
 * the item is absent.  No jansson value is built: the answer's text is
 * turned into the plain text in one pass, about 10x cheaper.  An answer
 * that is not a typed item is DYNAMO_ERR_BAD_RESPONSE.
 */
DYNAMO_EXPORT int dynamo_get_item_text(struct dynamo_client *client, const char *table,
                                       const json_t *key,
                                       const struct dynamo_item_opts *opts, char **plain,
                                       size_t *len, struct dynamo_err *err);
/* PutItem.  When OLD is not NULL, *OLD receives the returned Attributes (new)
 * or NULL (ask for them with opts->return_values = "ALL_OLD"). */
DYNAMO_EXPORT int dynamo_put_item(struct dynamo_client *client, const char *table,
                                  const json_t *item, const struct dynamo_item_opts *opts,
                                  json_t **old, struct dynamo_err *err);

/* DeleteItem.  *OLD as dynamo_put_item(). */
DYNAMO_EXPORT int dynamo_delete_item(struct dynamo_client *client, const char *table,
                                     const json_t *key,
                                     const struct dynamo_item_opts *opts, json_t **old,
                                     struct dynamo_err *err);
/* UpdateItem with UPDATE as its UpdateExpression ("SET #n = :v"); names and
 * values come in OPTS.  *ATTRS receives the returned Attributes (new) or NULL
 * (ask for them with opts->return_values, e.g. "ALL_NEW"). */
DYNAMO_EXPORT int dynamo_update_item(struct dynamo_client *client, const char *table,
                                     const json_t *key, const char *update,
                                     const struct dynamo_item_opts *opts, json_t **attrs,
                                     struct dynamo_err *err);

/* ---- queries and scans ---------------------------------------------- */

/*
 * One page of a Query or Scan (OPERATION "Query" or "Scan") with REQUEST as
 * its body (TableName, KeyConditionExpression, Limit, IndexName, ...), from
 * START (an ExclusiveStartKey, NULL for the first page).  *ITEMS receives the
 * page's items (a new array), *NEXT the LastEvaluatedKey (new) or NULL on the
 * last page: the cursor a web API hands back to its client.
 */
DYNAMO_EXPORT int dynamo_page(struct dynamo_client *client, const char *operation,
                              const json_t *request, const json_t *start, json_t **items,
                              json_t **next, struct dynamo_err *err);

/* An iterator over every item of a Query or Scan, following
 * LastEvaluatedKey page after page. */
struct dynamo_pager;
/* New: free with dynamo_pager_free().  REQUEST is copied. */
DYNAMO_EXPORT struct dynamo_pager *dynamo_pager_new(struct dynamo_client *client,
                                                    const char *operation,
                                                    const json_t *request,
                                                    struct dynamo_err *err) DYNAMO_WUR;
/* The next item, borrowed: valid until the next call or the free.  NULL at
 * the end (ERR untouched) or on error (ERR filled). */
DYNAMO_EXPORT const json_t *dynamo_pager_next(struct dynamo_pager *p,
                                              struct dynamo_err *err);
DYNAMO_EXPORT void dynamo_pager_free(struct dynamo_pager *p);

/* ---- batches -------------------------------------------------------- */

/*
 * BatchGetItem for any number of keys.  REQUEST_ITEMS has the shape of the
 * API's RequestItems ({"users": {"Keys": [...], "ProjectionExpression": ...}})
 * with no limit on the keys: they are sent 100 at a time and UnprocessedKeys
 * are retried with backoff.  *RESPONSES receives {"users": [items]} (new;
 * items in no particular order).  On failure (DYNAMO_ERR_THROTTLED when keys
 * stay unprocessed after 8 rounds, or the error of a failed call) returns -1
 * and, when UNPROCESSED is not NULL, *UNPROCESSED receives every key not
 * read, in RequestItems shape (new).
 */
DYNAMO_EXPORT int dynamo_batch_get(struct dynamo_client *client,
                                   const json_t *request_items, json_t **responses,
                                   json_t **unprocessed, struct dynamo_err *err);
/* BatchWriteItem for any number of writes ({"users": [{"PutRequest": {"Item":
 * ...}}, {"DeleteRequest": {"Key": ...}}]}), 25 at a time, UnprocessedItems
 * retried as above; *UNPROCESSED as above. */
DYNAMO_EXPORT int dynamo_batch_write(struct dynamo_client *client,
                                     const json_t *request_items, json_t **unprocessed,
                                     struct dynamo_err *err);

/* ---- transactions --------------------------------------------------- */

/*
 * TransactWriteItems with ACTIONS (the TransactItems array, 1 to 100 of
 * {"Put" | "Update" | "Delete" | "ConditionCheck": {...}}) and an optional
 * idempotency TOKEN (ClientRequestToken, NULL: none).  On cancellation:
 * -1 with DYNAMO_ERR_TXN_CANCELLED and, when REASONS is not NULL, *REASONS
 * receives the CancellationReasons array (new): one {"Code", "Message"} per
 * action, in order, Code "None" for the actions that did not fail.
 */
DYNAMO_EXPORT int dynamo_transact_write(struct dynamo_client *client,
                                        const json_t *actions, const char *token,
                                        json_t **reasons, struct dynamo_err *err);
/* TransactGetItems with GETS ([{"Get": {"TableName", "Key", ...}}, ...]).
 * *ITEMS receives one typed item per Get, in order, null when absent (new).
 * REASONS as dynamo_transact_write(). */
DYNAMO_EXPORT int dynamo_transact_get(struct dynamo_client *client, const json_t *gets,
                                      json_t **items, json_t **reasons,
                                      struct dynamo_err *err);

/* ---- tables --------------------------------------------------------- */

/* CreateTable with REQUEST as its body (TableName included). */
DYNAMO_EXPORT int dynamo_create_table(struct dynamo_client *client, const json_t *request,
                                      struct dynamo_err *err);
DYNAMO_EXPORT int dynamo_delete_table(struct dynamo_client *client, const char *table,
                                      struct dynamo_err *err);
/* DescribeTable: *DESC receives the "Table" object (new). */
DYNAMO_EXPORT int dynamo_describe_table(struct dynamo_client *client, const char *table,
                                        json_t **desc, struct dynamo_err *err);
/* ListTables, every page: *NAMES receives an array of strings (new). */
DYNAMO_EXPORT int dynamo_list_tables(struct dynamo_client *client, json_t **names,
                                     struct dynamo_err *err);
/* UpdateTable with REQUEST as its body; *DESC (may be NULL) receives the
 * TableDescription (new). */
DYNAMO_EXPORT int dynamo_update_table(struct dynamo_client *client, const json_t *request,
                                      json_t **desc, struct dynamo_err *err);
/* UpdateTimeToLive: turns TTL on ATTRIBUTE of TABLE on (ENABLED) or off. */
DYNAMO_EXPORT int dynamo_update_ttl(struct dynamo_client *client, const char *table,
                                    const char *attribute, int enabled,
                                    struct dynamo_err *err);
/* DescribeTimeToLive: *DESC receives the TimeToLiveDescription (new). */
DYNAMO_EXPORT int dynamo_describe_ttl(struct dynamo_client *client, const char *table,
                                      json_t **desc, struct dynamo_err *err);
/* Waits until TABLE is ACTIVE (EXISTS != 0) or gone (EXISTS == 0), polling
 * DescribeTable, for at most TIMEOUT_MS; DYNAMO_ERR_TIMEOUT past it. */
DYNAMO_EXPORT int dynamo_wait_table(struct dynamo_client *client, const char *table,
                                    int exists, long timeout_ms, struct dynamo_err *err);

/* Checks a typed item (or key) as DynamoDB would, before sending it: type
 * tags and their values, numbers (38 digits, magnitude 1E-130 to 1E+126),
 * sets (not empty, no duplicates), base64 binaries, attribute names (1 to
 * 65535 bytes), nesting (32 levels), size (400 KB).  Returns 0, or -1 with
 * DYNAMO_ERR_INVALID naming the attribute's path.  The item operations call it
 * themselves. */
DYNAMO_EXPORT int dynamo_item_validate(const json_t *item, struct dynamo_err *err);

/* ---- plain JSON <-> typed form -------------------------------------- */

/*
 * Parses TEXT (LEN bytes), a plain JSON object, straight into a typed item:
 * strings -> S, numbers -> N (their exact text), true/false -> BOOL,
 * null -> NULL, arrays -> L, objects -> M.  Numbers are never rounded: the
 * text is kept as written; "\u0000" is a NUL byte in the string or name,
 * kept with its length.  Returns a new reference, or NULL with ERR
 * (DYNAMO_ERR_INVALID) naming the line, column and reason.
 */
DYNAMO_EXPORT json_t *dynamo_item_from_json_text(const char *text, size_t len,
                                                 struct dynamo_err *err);
/* The reverse: a typed item (M form) as plain JSON text, compact, with N
 * emitted as its exact text, B as its base64 string, sets as arrays; a NUL
 * in a string or name is written \u0000, so the text's only NUL byte is
 * its terminator.  New: free() the result. */
DYNAMO_EXPORT char *dynamo_item_to_json_text(const json_t *item, struct dynamo_err *err);
/* One plain jansson value -> typed ({"S": ...}); integers and reals become N
 * (reals with 17 significant digits: use the text form for exact decimals). */
DYNAMO_EXPORT json_t *dynamo_value_from_plain(const json_t *plain,
                                              struct dynamo_err *err);
/* A plain jansson object -> typed item (M form, without the "M" wrapper). */
DYNAMO_EXPORT json_t *dynamo_item_from_plain(const json_t *plain, struct dynamo_err *err);
/* The reverse: a typed item -> a plain jansson object.  N becomes a
 * json_integer when written as an integer that fits json_int_t, else a
 * json_real (nearest double: precision may be lost, use
 * dynamo_item_to_json_text() for exact decimals); B stays its base64 string;
 * sets become arrays.  New reference, or NULL with ERR
 * (DYNAMO_ERR_BAD_RESPONSE naming the attribute path). */
DYNAMO_EXPORT json_t *dynamo_item_to_plain(const json_t *item, struct dynamo_err *err);

#ifdef __cplusplus
}
#endif

#endif /* DYNAMO_FCGI_CLIENT_H */
