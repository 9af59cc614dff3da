/*
 * credentials.h: the AWS credentials provider and region chain (private).
 *
 * Three files, one job each:
 *   credentials.c        the provider: sources, the chain, the cached
 *                        credentials and their refresh under a mutex
 *   credentials_files.c  the shared config / credentials files: a pure INI
 *                        parser (buffer in, values out) and the file reads
 *   credentials_http.c   container and EC2 instance-metadata fetches over a
 *                        short-lived libcurl handle, and the pure parsers of
 *                        their answers (JSON, ISO 8601 times, URLs)
 *
 * The order followed is the AWS SDKs' default chain ("Standardized
 * credential providers", AWS SDKs and Tools Reference Guide): environment,
 * shared files, container, instance metadata.  Secrets are copied only into
 * memory freed with util_free_secret() and never appear in error text.
 */
#ifndef DYNAMO_FCGI_EXT_CREDENTIALS_H
#define DYNAMO_FCGI_EXT_CREDENTIALS_H

#include <stddef.h>
#include <time.h>

#include "dynamo_client.h"

/* Refresh temporary credentials when fewer than this many seconds remain
 * (the AWS SDK for Java's prefetch time). */
#define DYNAMOP_CREDS_REFRESH_WINDOW 300
/* Credentials this close to their expiration are no longer used for signing
 * (a request signed now must still be valid when it arrives). */
#define DYNAMOP_CREDS_EXPIRY_SKEW 10
/* After a failed refresh while the old credentials stay valid, the next
 * attempt waits this long, so an outage does not cost every call a timeout. */
#define DYNAMOP_CREDS_RETRY_AFTER 10
/* Largest shared file, metadata answer and token file read. */
#define DYNAMOP_CREDS_MAX_FILE (1024 * 1024)
#define DYNAMOP_CREDS_MAX_ANSWER (64 * 1024)
#define DYNAMOP_CREDS_MAX_TOKEN (16 * 1024)
/* Default metadata endpoints (ECS task role, EC2 instance metadata). */
#define DYNAMOP_ECS_HOST "http://169.254.170.2"
#define DYNAMOP_IMDS_ENDPOINT "http://169.254.169.254"
#define DYNAMOP_IMDS_ENDPOINT_V6 "http://[fd00:ec2::254]"
/* IMDSv2 session token lifetime asked for, seconds (the SDKs' value). */
#define DYNAMOP_IMDS_TOKEN_TTL "21600"

/*
 * One set of credentials.  Every string is owned (secrets: wipe with
 * dynamop_creds_wipe()).  A snapshot is valid when zeroed; the provider
 * refreshes it only when its generation is behind.
 */
struct dynamop_creds {
    char *access_key_id;
    char *secret_access_key;
    char *session_token;      /* NULL: none */
    time_t expiration;        /* 0: never expires */
    unsigned long generation; /* 0: empty; set by the provider */
};

/* Frees the strings of C (secrets overwritten) and zeroes it. */
void dynamop_creds_wipe(struct dynamop_creds *c);

/* ---- the provider (credentials.c) --------------------------------------- */

/* Flags of dynamop_credentials_get(). */
#define DYNAMOP_CREDS_FORCE 1 /* refetch now: the service said the token expired */

/*
 * Brings SNAP up to date with P's current credentials, refreshing them first
 * when they expire within DYNAMOP_CREDS_REFRESH_WINDOW, or when FLAGS has
 * DYNAMOP_CREDS_FORCE and SNAP already holds the current ones (the service
 * refused them; a caller whose copy is behind just takes the newer ones).
 * SNAP is the caller's own copy: strings are copied under P's lock only
 * when its generation is behind, so a refresh never frees what a caller is
 * signing with.  While a refresh runs, callers with usable credentials keep
 * them and the others wait for its outcome.  A failed refresh keeps the old
 * credentials while they are usable and is not retried for
 * DYNAMOP_CREDS_RETRY_AFTER seconds.  Safe from any number of threads.
 * Returns 0, or -1 with ERR (DYNAMO_ERR_NETWORK, _TIMEOUT, _AUTH,
 * _BAD_RESPONSE, _SERVICE, _CONFIG, _IO, _NOMEM); SNAP is then left as it was.
 */
int dynamop_credentials_get(struct dynamo_credentials *p, int flags,
                            struct dynamop_creds *snap, struct dynamo_err *err);

/* The chain of dynamo_credentials_new_chain(); *NONE is set to 1 when it
 * fails only because no source has credentials (settings.c then falls back
 * to DynamoDB Local's fixed keys), 0 otherwise. */
struct dynamo_credentials *
dynamop_credentials_chain(const struct dynamo_credentials_options *o, int *none,
                          struct dynamo_err *err);

/* Test hook: the clock P reads (NULL: time()).  Set before any other use. */
void dynamop_credentials_set_clock(struct dynamo_credentials *p, time_t (*clock)(void));

/* ---- the shared files (credentials_files.c) ----------------------------- */

enum dynamop_ini_kind {
    DYNAMOP_INI_CONFIG,      /* ~/.aws/config: [default], [profile NAME] */
    DYNAMOP_INI_CREDENTIALS, /* ~/.aws/credentials: [NAME] */
};

/* What a profile says, merged over the files read into it.  Owned strings
 * (secrets wiped by dynamop_profile_release()); valid when zeroed. */
struct dynamop_profile {
    char *access_key_id;
    char *secret_access_key;
    char *session_token;
    char *region;
    /* The first key of a source dynamo-fcgi does not implement ("role_arn",
     * "sso_session", ...) and the file it is in; "" when none.  role_arn, SSO
     * and web identity outrank static keys in the SDKs, credential_process
     * does not: ranks_first says which kind it is. */
    char unsupported[32];
    char unsupported_source[256];
    int unsupported_ranks_first;
    int found; /* the profile's section appears in a file read */
};

/*
 * Parses TEXT (LEN bytes, the contents of SOURCE, a file of KIND) and merges
 * the settings of profile NAME into PROF: a key found here replaces the
 * value already there.  Pure: no file, no environment.
 *
 * Syntax (AWS SDKs and Tools Reference Guide, "Shared config and credentials
 * files"): "[section]" lines, "key = value" lines, full-line comments
 * starting with '#' or ';', and a '#' or ';' after whitespace ending a line
 * early.  An indented line continues the property above it (sub-properties
 * such as "s3 =\n  max_concurrent_requests = 10"): ignored, except under a
 * key read here.  Keys are matched case-insensitively.
 *
 * Returns 0, or -1 with DYNAMO_ERR_CONFIG at SOURCE:LINE:COL (err->source,
 * err->line, err->col filled too) or DYNAMO_ERR_NOMEM.  Error text names
 * keys and positions, never values.
 */
int dynamop_profile_parse(const char *text, size_t len, const char *source,
                          enum dynamop_ini_kind kind, const char *name,
                          struct dynamop_profile *prof, struct dynamo_err *err);
/* Reads PATH (at most DYNAMOP_CREDS_MAX_FILE bytes) and parses it into PROF
 * as dynamop_profile_parse().  A missing file is not an error: returns 0
 * and leaves PROF alone.  -1 with DYNAMO_ERR_IO when it cannot be read. */
int dynamop_profile_read(const char *path, enum dynamop_ini_kind kind, const char *name,
                         struct dynamop_profile *prof, struct dynamo_err *err);
void dynamop_profile_release(struct dynamop_profile *prof);

/* ---- container and instance metadata (credentials_http.c) -------------- */

/* Where and how one metadata source is fetched from.  Owned strings. */
struct dynamop_fetch {
    char *url;             /* container: the full URL; IMDS: the base endpoint */
    char *auth_token;      /* container: AWS_CONTAINER_AUTHORIZATION_TOKEN (secret) */
    char *auth_token_file; /* container: read at every fetch, outranks the token */
    long connect_timeout_ms;
    long request_timeout_ms;
};

/* GETs container credentials (ECS task roles, EKS Pod Identity): FETCH's URL
 * with its authorization token.  Returns 0 with OUT filled (generation 0),
 * or -1 with ERR. */
int dynamop_fetch_container(const struct dynamop_fetch *fetch, struct dynamop_creds *out,
                            struct dynamo_err *err);
/* The IMDSv2 dance (EC2 User Guide, "Use the Instance Metadata Service to
 * access instance metadata"): PUT /latest/api/token, then the role name and
 * the role's credentials with the session token.  No IMDSv1 fallback. */
int dynamop_fetch_imds(const struct dynamop_fetch *fetch, struct dynamop_creds *out,
                       struct dynamo_err *err);
void dynamop_fetch_release(struct dynamop_fetch *fetch);

/* Pure helpers of the fetches, unit-tested on their own. */

/* Parses a metadata answer {"AccessKeyId", "SecretAccessKey", "Token",
 * "Expiration", and for IMDS "Code": "Success"} into OUT.  WHAT names the
 * source in errors ("container credentials").  Returns 0, or -1 with
 * DYNAMO_ERR_BAD_RESPONSE naming the missing or bad field. */
int dynamop_creds_from_json(const char *body, size_t len, const char *what,
                            struct dynamop_creds *out, struct dynamo_err *err);
/* "2030-01-02T03:04:05Z" (optional fraction; "Z" or "+hh:mm"/"-hh:mm") into
 * seconds since the epoch.  Returns 0, or -1 when S is not such a time. */
int dynamop_parse_iso8601(const char *s, time_t *out);
/* Checks AWS_CONTAINER_CREDENTIALS_FULL_URI as the SDKs do: https to any
 * host, http only to a loopback host (127.0.0.0/8, ::1, localhost) or the
 * ECS / EKS agent addresses.  Returns 0, or -1 with DYNAMO_ERR_CONFIG. */
int dynamop_check_container_url(const char *url, struct dynamo_err *err);

#endif /* DYNAMO_FCGI_EXT_CREDENTIALS_H */
