/*
 * settings.c: the extension's configuration keys, read from the app's config
 * (defaults < config file < environment, as core resolves them).
 *
 * flask-dynamo's keys and errors first: DYNAMO_ENABLE_LOCAL needs both
 * DYNAMO_LOCAL_HOST and DYNAMO_LOCAL_PORT; AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY come together or not at all; AWS_REGION defaults to
 * us-east-1.  Then the AWS SDKs' own: AWS_DEFAULT_REGION,
 * AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, AWS_CA_BUNDLE, AWS_MAX_ATTEMPTS.
 */
#include <stdio.h>
#include <string.h>

#include "extension.h"
#include "internal.h"

/* Credentials used against DynamoDB Local when none are configured: Local
 * checks only their shape, and one fixed key keeps every process of the app
 * in the same Local database. */
#define LOCAL_ACCESS_KEY "dynamofcgilocal"
#define LOCAL_SECRET_KEY "dynamofcgilocal"

/* The value of KEY when set and not empty, else NULL.  Borrowed. */
static const char *
get(const struct web_app *app, const char *key)
{
    const char *v = web_config_get(app, key);

    return v != NULL && *v != '\0' ? v : NULL;
}

/* *DST = a copy of SRC (NULL stays NULL).  Returns 0, or -1 (no memory). */
static int
dup_into(char **dst, const char *src, struct dynamo_err *err)
{
    *dst = NULL;
    if (src == NULL)
        return 0;
    *dst = dynamop_strdup(src);
    if (*dst == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    return 0;
}

static int
read_endpoint(struct dynamop_config *cfg, const struct web_app *app, struct dynamo_err *err)
{
    struct web_err werr = {0};
    int local = web_config_bool(app, "DYNAMO_ENABLE_LOCAL", 0, &werr);
    const char *host = get(app, "DYNAMO_LOCAL_HOST"), *port = get(app, "DYNAMO_LOCAL_PORT");
    const char *url;
    char buf[512];

    if (local < 0) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG, "%s", werr.text);
        return -1;
    }
    if (local) {
        if (host == NULL || port == NULL) {
            dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                            "DYNAMO_ENABLE_LOCAL is set: DYNAMO_LOCAL_HOST and "
                            "DYNAMO_LOCAL_PORT must both be set too");
            return -1;
        }
        snprintf(buf, sizeof(buf), "http://%s:%s", host, port);
        return dup_into(&cfg->endpoint, buf, err);
    }
    url = get(app, "AWS_ENDPOINT_URL_DYNAMODB");
    return dup_into(&cfg->endpoint, url ? url : get(app, "AWS_ENDPOINT_URL"), err);
}

static int
read_credentials(struct dynamop_config *cfg, const struct web_app *app, int local,
                 struct dynamo_err *err)
{
    const char *id = get(app, "AWS_ACCESS_KEY_ID"), *secret = get(app, "AWS_SECRET_ACCESS_KEY");

    if ((id == NULL) != (secret == NULL)) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG, "%s is set but %s is not: set both or "
                        "neither", id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                        id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        return -1;
    }
    if (id == NULL && local) {
        id = LOCAL_ACCESS_KEY;
        secret = LOCAL_SECRET_KEY;
    } else if (id == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG, "no AWS credentials: set AWS_ACCESS_KEY_ID "
                        "and AWS_SECRET_ACCESS_KEY (or DYNAMO_ENABLE_LOCAL)");
        return -1;
    }
    if (dup_into(&cfg->access_key_id, id, err) != 0 ||
        dup_into(&cfg->secret_access_key, secret, err) != 0 ||
        dup_into(&cfg->session_token, get(app, "AWS_SESSION_TOKEN"), err) != 0)
        return -1;
    return 0;
}

/* A KEY in [MIN, MAX] into *OUT (0 when unset). */
static int
read_long(const struct web_app *app, const char *key, long min, long max, long *out,
          struct dynamo_err *err)
{
    struct web_err werr = {0};

    if (web_config_long(app, key, 0, min, max, out, &werr) != 0) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG, "%s", werr.text);
        return -1;
    }
    return 0;
}

static int
read_limits(struct dynamop_config *cfg, const struct web_app *app, struct dynamo_err *err)
{
    long attempts = 0;

    if (read_long(app, "AWS_MAX_ATTEMPTS", 1, 20, &attempts, err) != 0 ||
        read_long(app, "DYNAMO_CONNECT_TIMEOUT_MS", 1, 600000,
                  &cfg->client.connect_timeout_ms, err) != 0 ||
        read_long(app, "DYNAMO_REQUEST_TIMEOUT_MS", 1, 3600000,
                  &cfg->client.request_timeout_ms, err) != 0)
        return -1;
    cfg->client.max_attempts = (int)attempts;
    return 0;
}

int
dynamop_config_read(struct dynamop_config *cfg, const struct web_app *app,
                    struct dynamo_err *err)
{
    const char *region = get(app, "AWS_REGION");

    memset(cfg, 0, sizeof(*cfg));
    region = region ? region : get(app, "AWS_DEFAULT_REGION");
    if (read_endpoint(cfg, app, err) != 0 ||
        read_credentials(cfg, app, web_config_bool(app, "DYNAMO_ENABLE_LOCAL", 0, NULL) > 0,
                         err) != 0 ||
        dup_into(&cfg->region, region ? region : "us-east-1", err) != 0 ||
        dup_into(&cfg->ca_bundle, get(app, "AWS_CA_BUNDLE"), err) != 0 ||
        dup_into(&cfg->prefix, get(app, "DYNAMO_TABLE_PREFIX"), err) != 0 ||
        read_limits(cfg, app, err) != 0) {
        dynamop_config_release(cfg);
        return -1;
    }
    cfg->client.region = cfg->region;
    cfg->client.endpoint = cfg->endpoint;
    cfg->client.access_key_id = cfg->access_key_id;
    cfg->client.secret_access_key = cfg->secret_access_key;
    cfg->client.session_token = cfg->session_token;
    cfg->client.ca_bundle = cfg->ca_bundle;
    return 0;
}

void
dynamop_config_release(struct dynamop_config *cfg)
{
    dynamop_free(cfg->region);
    dynamop_free(cfg->endpoint);
    dynamop_free(cfg->access_key_id);
    dynamop_free_secret(cfg->secret_access_key);
    dynamop_free_secret(cfg->session_token);
    dynamop_free(cfg->ca_bundle);
    dynamop_free(cfg->prefix);
    memset(cfg, 0, sizeof(*cfg));
}
