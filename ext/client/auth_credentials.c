/*
 * credentials.c: the credentials provider and the default chain.
 *
 * A provider holds one set of credentials and, for temporary ones, how to
 * fetch the next set.  It is shared by every client of an app, so all its
 * state sits behind one mutex, and a caller never gets a pointer into it:
 * dynamop_credentials_get() copies the strings into the caller's own
 * snapshot, and only when the provider's generation moved past the
 * snapshot's.  A refresh runs with the lock released (a fetch may take a
 * second); callers that still hold valid credentials keep signing with them
 * meanwhile, the others wait on a condition variable for its outcome.
 *
 * The chain and its order are those of the AWS SDKs' default provider chain
 * (AWS SDKs and Tools Reference Guide, "Standardized credential providers");
 * see dynamo_credentials_new_chain() in dynamo_client.h.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth_credentials.h"
#include "internal.h"

#define DEFAULT_REGION "us-east-1"
#define DEFAULT_CONNECT_TIMEOUT_MS 1000L
#define DEFAULT_REQUEST_TIMEOUT_MS 3000L
#define REGION_MAX 63

enum kind { KIND_STATIC, KIND_CONTAINER, KIND_IMDS };

struct dynamo_credentials {
    pthread_mutex_t lock;
    pthread_cond_t refreshed; /* signalled when a refresh ends, either way */
    enum kind kind;
    char source[96];
    struct dynamop_fetch fetch; /* KIND_CONTAINER, KIND_IMDS; read-only after creation */
    time_t (*clock)(void);
    /* Under the lock: */
    struct dynamop_creds cur;   /* generation 0: nothing fetched yet */
    int refreshing;             /* a thread is fetching with the lock released */
    unsigned long failures;     /* failed refreshes so far */
    struct dynamo_err last_err; /* the last failure, handed to the threads that waited */
    time_t retry_after;         /* no new attempt before, while cur stays usable */
};

void
dynamop_creds_wipe(struct dynamop_creds *c)
{
    util_free(c->access_key_id);
    util_free_secret(c->secret_access_key);
    util_free_secret(c->session_token);
    memset(c, 0, sizeof(*c));
}

/* ---- the provider ------------------------------------------------------ */

static time_t
system_clock(void)
{
    return time(NULL);
}

/* A provider of KIND named SOURCE, with no credentials yet.  NULL (ERR). */
static struct dynamo_credentials *
provider_new(enum kind kind, const char *source, struct dynamo_err *err)
{
    struct dynamo_credentials *p = util_calloc(1, sizeof(*p));

    if (p == NULL) {
        dynamop_err_nomem(err);
        return NULL;
    }
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        util_free(p);
        dynamop_err_set(err, DYNAMO_ERR_NOMEM, "pthread_mutex_init failed");
        return NULL;
    }
    if (pthread_cond_init(&p->refreshed, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        util_free(p);
        dynamop_err_set(err, DYNAMO_ERR_NOMEM, "pthread_cond_init failed");
        return NULL;
    }
    p->kind = kind;
    p->clock = system_clock;
    snprintf(p->source, sizeof(p->source), "%s", source);
    return p;
}

void
dynamo_credentials_free(struct dynamo_credentials *p)
{
    if (p == NULL)
        return;
    dynamop_creds_wipe(&p->cur);
    dynamop_fetch_release(&p->fetch);
    pthread_cond_destroy(&p->refreshed);
    pthread_mutex_destroy(&p->lock);
    util_free(p);
}

const char *
dynamo_credentials_source(const struct dynamo_credentials *p)
{
    return p->source;
}

void
dynamop_credentials_set_clock(struct dynamo_credentials *p, time_t (*clock)(void))
{
    p->clock = clock != NULL ? clock : system_clock;
}

/* A static provider named SOURCE. */
static struct dynamo_credentials *
static_new(const char *source, const char *id, const char *secret, const char *token,
           struct dynamo_err *err)
{
    struct dynamo_credentials *p;

    if (id == NULL || *id == '\0' || secret == NULL || *secret == '\0') {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                        "no AWS credentials: an access key id and a "
                        "secret access key are both needed");
        return NULL;
    }
    if ((p = provider_new(KIND_STATIC, source, err)) == NULL)
        return NULL;
    p->cur.access_key_id = util_strdup(id);
    p->cur.secret_access_key = util_strdup(secret);
    p->cur.session_token = token != NULL && *token != '\0' ? util_strdup(token) : NULL;
    p->cur.generation = 1;
    if (p->cur.access_key_id == NULL || p->cur.secret_access_key == NULL ||
        (token != NULL && *token != '\0' && p->cur.session_token == NULL)) {
        dynamop_err_nomem(err);
        dynamo_credentials_free(p);
        return NULL;
    }
    return p;
}

struct dynamo_credentials *
dynamo_credentials_new_static(const char *access_key_id, const char *secret_access_key,
                              const char *session_token, struct dynamo_err *err)
{
    return static_new("static", access_key_id, secret_access_key, session_token, err);
}

/* Copies P's current credentials into SNAP unless it already holds them.
 * Called with the lock held.  0, or -1 (no memory; SNAP untouched). */
static int
copy_out(const struct dynamo_credentials *p, struct dynamop_creds *snap,
         struct dynamo_err *err)
{
    struct dynamop_creds c = {0};

    if (snap->generation == p->cur.generation)
        return 0;
    c.access_key_id = util_strdup(p->cur.access_key_id);
    c.secret_access_key = util_strdup(p->cur.secret_access_key);
    c.session_token = p->cur.session_token ? util_strdup(p->cur.session_token) : NULL;
    if (c.access_key_id == NULL || c.secret_access_key == NULL ||
        (p->cur.session_token != NULL && c.session_token == NULL)) {
        dynamop_creds_wipe(&c);
        dynamop_err_nomem(err);
        return -1;
    }
    c.expiration = p->cur.expiration;
    c.generation = p->cur.generation;
    dynamop_creds_wipe(snap);
    *snap = c;
    return 0;
}

/* Whether P's current credentials may still sign at NOW. */
static int
usable(const struct dynamo_credentials *p, time_t now)
{
    return p->cur.generation != 0 &&
           (p->cur.expiration == 0 ||
            now + DYNAMOP_CREDS_EXPIRY_SKEW < p->cur.expiration);
}

/* Fetches new credentials with the lock released, then installs them or
 * records the failure.  Called and returns with the lock held.  0 or -1. */
static int
refresh(struct dynamo_credentials *p, struct dynamo_err *e)
{
    struct dynamop_creds fresh = {0};
    int rc;

    p->refreshing = 1;
    pthread_mutex_unlock(&p->lock);
    rc = p->kind == KIND_CONTAINER ? dynamop_fetch_container(&p->fetch, &fresh, e)
                                   : dynamop_fetch_imds(&p->fetch, &fresh, e);
    pthread_mutex_lock(&p->lock);
    p->refreshing = 0;
    if (rc == 0) {
        time_t now = p->clock();

        fresh.generation = p->cur.generation + 1;
        dynamop_creds_wipe(&p->cur);
        p->cur = fresh;
        /* Handed credentials already inside the refresh window (the source
         * has not rotated yet): ask again later, not on every call. */
        p->retry_after =
            fresh.expiration != 0 && fresh.expiration - now < DYNAMOP_CREDS_REFRESH_WINDOW
                ? now + DYNAMOP_CREDS_RETRY_AFTER
                : 0;
    } else {
        p->failures++;
        p->last_err = *e;
        p->retry_after = p->clock() + DYNAMOP_CREDS_RETRY_AFTER;
    }
    pthread_cond_broadcast(&p->refreshed);
    return rc;
}

/* Waits for the refresh under way.  Returns 1 when it brought new
 * credentials (taken even if they are already in the refresh window: the
 * waiter does not start another fetch), 0 when it failed (*E filled). */
static int
wait_refresh(struct dynamo_credentials *p, struct dynamo_err *e)
{
    unsigned long gen = p->cur.generation, failures = p->failures;

    while (p->refreshing)
        pthread_cond_wait(&p->refreshed, &p->lock);
    if (p->cur.generation != gen)
        return 1;
    if (p->failures != failures)
        *e = p->last_err;
    return 0;
}

/* The decision of dynamop_credentials_get(), with the lock held.  0 or -1. */
static int
get_locked(struct dynamo_credentials *p, int flags, struct dynamop_creds *snap,
           struct dynamo_err *err)
{
    for (;;) {
        struct dynamo_err e = {0};
        time_t now = p->clock();
        int have = p->cur.generation != 0;
        int forced = (flags & DYNAMOP_CREDS_FORCE) && have &&
                     snap->generation == p->cur.generation;
        int stale = !have || (p->cur.expiration != 0 &&
                              p->cur.expiration - now < DYNAMOP_CREDS_REFRESH_WINDOW);

        if (p->kind == KIND_STATIC || (!stale && !forced) ||
            (usable(p, now) && !forced && (p->refreshing || now < p->retry_after)))
            return copy_out(p, snap, err);
        if (p->refreshing) {
            if (wait_refresh(p, &e))
                return copy_out(p, snap, err);
            if (e.code == DYNAMO_OK)
                continue; /* cannot happen: a refresh ends one way or the other */
        } else if (refresh(p, &e) == 0) {
            return copy_out(p, snap, err);
        }
        /* The refresh failed: the old credentials do while they last. */
        if (usable(p, p->clock()))
            return copy_out(p, snap, err);
        dynamop_err_copy(err, &e);
        return -1;
    }
}

int
dynamop_credentials_get(struct dynamo_credentials *p, int flags,
                        struct dynamop_creds *snap, struct dynamo_err *err)
{
    int rc;

    pthread_mutex_lock(&p->lock);
    rc = get_locked(p, flags, snap, err);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

/* ---- the chain --------------------------------------------------------- */

/* NAME's value through the options' lookup; "" counts as unset. */
static const char *
env(const struct dynamo_credentials_options *o, const char *name)
{
    const char *v = o->lookup != NULL ? o->lookup(o->lookup_arg, name) : getenv(name);

    return v != NULL && *v != '\0' ? v : NULL;
}

/* The path in variable VAR, or ~/.aws/FILE; "~/" expanded with HOME.  "" when
 * there is none (no HOME). */
static void
shared_path(const struct dynamo_credentials_options *o, const char *var, const char *file,
            char *out, size_t size)
{
    const char *path = env(o, var), *home = env(o, "HOME");

    out[0] = '\0';
    if (path != NULL && strncmp(path, "~/", 2) != 0)
        snprintf(out, size, "%s", path);
    else if (home != NULL && path != NULL)
        snprintf(out, size, "%s%s", home, path + 1);
    else if (home != NULL)
        snprintf(out, size, "%s/.aws/%s", home, file);
}

/* The profile to use and whether it was named explicitly. */
static const char *
profile_name(const struct dynamo_credentials_options *o, int *named)
{
    const char *name = env(o, "AWS_PROFILE");

    *named = name != NULL;
    return name != NULL ? name : "default";
}

/* Reads profile NAME from the config file, then the credentials file over
 * it (the SDKs' precedence).  The paths go to CONFIG and CREDS.  0 or -1. */
static int
load_profile(const struct dynamo_credentials_options *o, const char *name,
             struct dynamop_profile *prof, char config[512], char creds[512],
             struct dynamo_err *err)
{
    shared_path(o, "AWS_CONFIG_FILE", "config", config, 512);
    shared_path(o, "AWS_SHARED_CREDENTIALS_FILE", "credentials", creds, 512);
    if (config[0] != '\0' &&
        dynamop_profile_read(config, DYNAMOP_INI_CONFIG, name, prof, err) != 0)
        return -1;
    if (creds[0] != '\0' &&
        dynamop_profile_read(creds, DYNAMOP_INI_CREDENTIALS, name, prof, err) != 0)
        return -1;
    return 0;
}

/* Each step: 1 with *OUT set, 0 when it has nothing, -1 with ERR. */

static int
from_environment(const struct dynamo_credentials_options *o,
                 struct dynamo_credentials **out, struct dynamo_err *err)
{
    const char *id = env(o, "AWS_ACCESS_KEY_ID"),
               *secret = env(o, "AWS_SECRET_ACCESS_KEY");

    if (id == NULL && secret == NULL)
        return 0;
    if (id == NULL || secret == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                        "%s is set but %s is not: set both or neither",
                        id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                        id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        return -1;
    }
    *out = static_new("environment", id, secret, env(o, "AWS_SESSION_TOKEN"), err);
    return *out != NULL ? 1 : -1;
}

/* A profile that names a source this library lacks.  Always -1. */
static int
unsupported(const struct dynamop_profile *prof, const char *name, struct dynamo_err *err)
{
    dynamop_err_set(
        err, DYNAMO_ERR_CONFIG,
        "profile '%.64s' (%.100s) uses %s: assume-role, SSO, web identity and "
        "credential_process are not supported; give the profile static keys",
        name, prof->unsupported_source, prof->unsupported);
    return -1;
}

/* What the profile decides, once read.  As the steps. */
static int
profile_decide(struct dynamop_profile *prof, const char *name, int named,
               const char *config, const char *creds, struct dynamo_credentials **out,
               struct dynamo_err *err)
{
    char source[96];

    if (prof->unsupported[0] != '\0' && prof->unsupported_ranks_first)
        return unsupported(prof, name, err);
    if (prof->access_key_id != NULL && prof->secret_access_key != NULL) {
        snprintf(source, sizeof(source), "profile %.80s", name);
        *out = static_new(source, prof->access_key_id, prof->secret_access_key,
                          prof->session_token, err);
        return *out != NULL ? 1 : -1;
    }
    if (prof->access_key_id != NULL || prof->secret_access_key != NULL) {
        dynamop_err_set(
            err, DYNAMO_ERR_CONFIG, "profile '%.64s': %s is set but %s is not", name,
            prof->access_key_id ? "aws_access_key_id" : "aws_secret_access_key",
            prof->access_key_id ? "aws_secret_access_key" : "aws_access_key_id");
        return -1;
    }
    if (prof->unsupported[0] != '\0')
        return unsupported(prof, name, err);
    if (named && !prof->found) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                        "AWS_PROFILE: profile '%.64s' is in neither "
                        "%.80s nor %.80s",
                        name, config[0] ? config : "(no config file)",
                        creds[0] ? creds : "(no credentials file)");
        return -1;
    }
    return 0;
}

static int
from_profile(const struct dynamo_credentials_options *o, struct dynamo_credentials **out,
             struct dynamo_err *err)
{
    struct dynamop_profile prof = {0};
    char config[512], creds[512];
    int named, rc;
    const char *name = profile_name(o, &named);

    rc = load_profile(o, name, &prof, config, creds, err);
    if (rc == 0)
        rc = profile_decide(&prof, name, named, config, creds, out, err);
    dynamop_profile_release(&prof);
    return rc;
}

/* A container or IMDS provider fetching from URL.  As the steps. */
static int
fetching(const struct dynamo_credentials_options *o, enum kind kind, const char *source,
         const char *url, struct dynamo_credentials **out, struct dynamo_err *err)
{
    const char *token =
        kind == KIND_CONTAINER ? env(o, "AWS_CONTAINER_AUTHORIZATION_TOKEN") : NULL;
    const char *file =
        kind == KIND_CONTAINER ? env(o, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") : NULL;
    struct dynamo_credentials *p = provider_new(kind, source, err);

    if (p == NULL)
        return -1;
    p->fetch.connect_timeout_ms =
        o->connect_timeout_ms > 0 ? o->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    p->fetch.request_timeout_ms =
        o->request_timeout_ms > 0 ? o->request_timeout_ms : DEFAULT_REQUEST_TIMEOUT_MS;
    p->fetch.url = util_strdup(url);
    p->fetch.auth_token = token != NULL ? util_strdup(token) : NULL;
    p->fetch.auth_token_file = file != NULL ? util_strdup(file) : NULL;
    if (p->fetch.url == NULL || (token != NULL && p->fetch.auth_token == NULL) ||
        (file != NULL && p->fetch.auth_token_file == NULL)) {
        dynamo_credentials_free(p);
        dynamop_err_nomem(err);
        return -1;
    }
    *out = p;
    return 1;
}

static int
from_container(const struct dynamo_credentials_options *o,
               struct dynamo_credentials **out, struct dynamo_err *err)
{
    const char *rel = env(o, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env(o, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    char url[1024];

    if (rel != NULL) {
        if (*rel != '/' || strlen(rel) > 900) {
            dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI "
                            "must be a path starting with '/'");
            return -1;
        }
        snprintf(url, sizeof(url), "%s%s", DYNAMOP_ECS_HOST, rel);
        return fetching(o, KIND_CONTAINER, "container", url, out, err);
    }
    if (full == NULL)
        return 0;
    if (dynamop_check_container_url(full, err) != 0)
        return -1;
    return fetching(o, KIND_CONTAINER, "container", full, out, err);
}

static int
from_imds(const struct dynamo_credentials_options *o, struct dynamo_credentials **out,
          struct dynamo_err *err)
{
    const char *disabled = env(o, "AWS_EC2_METADATA_DISABLED");
    const char *endpoint = env(o, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *mode = env(o, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    char url[512];
    size_t n;

    if (disabled != NULL && strcasecmp(disabled, "true") == 0)
        return 0;
    if (endpoint == NULL)
        endpoint = mode != NULL && strcasecmp(mode, "IPv6") == 0
                       ? DYNAMOP_IMDS_ENDPOINT_V6
                       : DYNAMOP_IMDS_ENDPOINT;
    if ((strncasecmp(endpoint, "http://", 7) != 0 &&
         strncasecmp(endpoint, "https://", 8) != 0) ||
        strlen(endpoint) >= 400) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                        "AWS_EC2_METADATA_SERVICE_ENDPOINT must be an "
                        "http:// or https:// URL");
        return -1;
    }
    n = strlen(endpoint);
    while (n > 0 && endpoint[n - 1] == '/')
        n--;
    snprintf(url, sizeof(url), "%.*s", (int)n, endpoint);
    return fetching(o, KIND_IMDS, "instance metadata", url, out, err);
}

struct dynamo_credentials *
dynamop_credentials_chain(const struct dynamo_credentials_options *o, int *none,
                          struct dynamo_err *err)
{
    static const struct dynamo_credentials_options defaults;
    struct dynamo_credentials *p = NULL;
    int rc;

    o = o != NULL ? o : &defaults;
    *none = 0;
    if ((rc = from_environment(o, &p, err)) == 0 &&
        (rc = from_profile(o, &p, err)) == 0 && !o->no_network &&
        (rc = from_container(o, &p, err)) == 0)
        rc = from_imds(o, &p, err);
    if (rc > 0)
        return p;
    if (rc == 0) {
        *none = 1;
        dynamop_err_set(
            err, DYNAMO_ERR_CONFIG,
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "or a profile in ~/.aws/credentials (AWS_PROFILE)%s",
            o->no_network ? "" : ", or run with container or instance credentials");
    }
    return NULL;
}

struct dynamo_credentials *
dynamo_credentials_new_chain(const struct dynamo_credentials_options *opts,
                             struct dynamo_err *err)
{
    int none;

    return dynamop_credentials_chain(opts, &none, err);
}

/* ---- the region -------------------------------------------------------- */

static int
region_ok(const char *r)
{
    size_t n = strlen(r);

    if (n == 0 || n > REGION_MAX)
        return 0;
    for (; *r != '\0'; r++)
        if (!isalnum((unsigned char)*r) && *r != '-')
            return 0;
    return 1;
}

int
dynamo_region_resolve(const struct dynamo_credentials_options *o, char *out, size_t size,
                      struct dynamo_err *err)
{
    static const struct dynamo_credentials_options defaults;
    struct dynamop_profile prof = {0};
    char config[512], creds[512];
    const char *region, *from = "AWS_REGION";
    int named, rc = 0;

    o = o != NULL ? o : &defaults;
    region = env(o, "AWS_REGION");
    if (region == NULL && (region = env(o, "AWS_DEFAULT_REGION")) != NULL)
        from = "AWS_DEFAULT_REGION";
    if (region == NULL) {
        if (load_profile(o, profile_name(o, &named), &prof, config, creds, err) != 0) {
            dynamop_profile_release(&prof);
            return -1;
        }
        region = prof.region != NULL ? prof.region : DEFAULT_REGION;
        from = "the profile's region";
    }
    if (!region_ok(region) || strlen(region) >= size) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG, "%s: '%.64s' is not a region name", from,
                        region);
        rc = -1;
    } else {
        snprintf(out, size, "%s", region);
    }
    dynamop_profile_release(&prof);
    return rc;
}
