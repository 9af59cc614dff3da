/*
 * settings.c: the extension's configuration keys, read from the app's config
 * (defaults < config file < environment, as core resolves them).
 *
 * flask-dynamo's keys and errors first: DYNAMO_ENABLE_LOCAL needs both
 * DYNAMO_LOCAL_HOST and DYNAMO_LOCAL_PORT; AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY come together or not at all; AWS_REGION defaults to
 * us-east-1.  Then the AWS SDKs' own: AWS_DEFAULT_REGION,
 * AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, AWS_CA_BUNDLE, AWS_MAX_ATTEMPTS,
 * and the rest of the credentials chain (credentials.c): AWS_PROFILE and the
 * shared files, container and instance-metadata credentials.  Every key the
 * chain reads goes through web_config_get(), so the app's config can set
 * AWS_PROFILE as well as the environment.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "auth_credentials.h"
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
    *dst = util_strdup(src);
    if (*dst == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    return 0;
}

static int
read_endpoint(struct dynamop_config *cfg, const struct web_app *app,
              struct dynamo_err *err)
{
    struct web_err werr = {0};
    int local = web_config_bool(app, "DYNAMO_ENABLE_LOCAL", 0, &werr);
    const char *host = get(app, "DYNAMO_LOCAL_HOST"),
               *port = get(app, "DYNAMO_LOCAL_PORT");
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

/* The chain's lookup: the app's config, the environment first. */
static const char *
app_lookup(void *arg, const char *name)
{
    return web_config_get(arg, name);
}

/* The chain options for APP; with DYNAMO_ENABLE_LOCAL no metadata source is
 * ever contacted (a laptop has none, and Local checks only the keys' shape). */
static struct dynamo_credentials_options
app_options(const struct web_app *app)
{
    struct dynamo_credentials_options o = {0};

    o.lookup = app_lookup;
    o.lookup_arg = (void *)(uintptr_t)app; /* only ever read through web_config_get */
    o.no_network = web_config_bool(app, "DYNAMO_ENABLE_LOCAL", 0, NULL) > 0;
    return o;
}

struct dynamo_credentials *
dynamop_config_credentials(const struct web_app *app, struct dynamo_err *err)
{
    struct dynamo_credentials_options o = app_options(app);
    struct dynamo_err e = {0};
    struct dynamo_credentials *p;
    int none;

    /* Explicit keys (config or environment) are the chain's first step, with
     * flask-dynamo's error when only one of the pair is set. */
    p = dynamop_credentials_chain(&o, &none, &e);
    if (p != NULL)
        return p;
    if (none && o.no_network)
        return dynamo_credentials_new_static(LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, NULL,
                                             err);
    if (none)
        dynamop_err_set(err, DYNAMO_ERR_CONFIG, "%.200s (or DYNAMO_ENABLE_LOCAL)",
                        e.text);
    dynamop_err_copy(err, &e);
    return NULL;
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

/* DYNAMO_HTTP_TRANSPORT: "auto" (the default) or "curl", in
 * enum dynamo_transport's order. */
static int
read_transport(struct dynamop_config *cfg, const struct web_app *app,
               struct dynamo_err *err)
{
    static const char *const names[DYNAMO_TRANSPORT_MAX] = {"auto", "curl"};
    struct web_err werr = {0};
    int t = web_config_choice(app, "DYNAMO_HTTP_TRANSPORT", names, DYNAMO_TRANSPORT_MAX,
                              DYNAMO_TRANSPORT_AUTO, &werr);

    if (t < 0) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG, "%s", werr.text);
        return -1;
    }
    cfg->client.transport = (enum dynamo_transport)t;
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
    return read_transport(cfg, app, err);
}

int
dynamop_config_read(struct dynamop_config *cfg, const struct web_app *app,
                    struct dynamo_err *err)
{
    struct dynamo_credentials_options o = app_options(app);
    char region[64];

    memset(cfg, 0, sizeof(*cfg));
    if (read_endpoint(cfg, app, err) != 0 ||
        dynamo_region_resolve(&o, region, sizeof(region), err) != 0 ||
        dup_into(&cfg->region, region, err) != 0 ||
        dup_into(&cfg->ca_bundle, get(app, "AWS_CA_BUNDLE"), err) != 0 ||
        dup_into(&cfg->prefix, get(app, "DYNAMO_TABLE_PREFIX"), err) != 0 ||
        read_limits(cfg, app, err) != 0) {
        dynamop_config_release(cfg);
        return -1;
    }
    cfg->client.region = cfg->region;
    cfg->client.endpoint = cfg->endpoint;
    cfg->client.ca_bundle = cfg->ca_bundle;
    return 0;
}

void
dynamop_config_release(struct dynamop_config *cfg)
{
    util_free(cfg->region);
    util_free(cfg->endpoint);
    util_free(cfg->ca_bundle);
    util_free(cfg->prefix);
    memset(cfg, 0, sizeof(*cfg));
}
