/*
 * extension.c: the glue between the framework core and the DynamoDB client,
 * the one file of ext/ that knows both (with schema.c).
 *
 * Per app: the configuration and the parsed tables file, read once at
 * dynamo_init_app().  Per app context: a client (one keep-alive connection)
 * and the table handles, made on first use and freed by the context's
 * teardown, so each worker thread has its own connection.  The one thing
 * shared between threads is the app's credentials provider, which locks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynamo.h"
#include "extension.h"
#include "internal.h"
#include "tables.h"

/* What an app context holds for the extension. */
struct ctx_state {
    struct dynamo_client *client;
    struct dynamo_table *tables;       /* one per declaration, in file order */
    struct dynamo_client_stats logged; /* CLIENT's counters at the last log line */
};

static void
teardown_ctx(struct web_ctx *ctx, void *state, void *self)
{
    struct ctx_state *st = state;
    struct dynamo *d = self;

    (void)ctx;
    if (st == NULL)
        return;
    for (size_t i = 0; st->tables != NULL && i < d->tables->ntables; i++)
        util_free(st->tables[i].full_name);
    util_free(st->tables);
    dynamo_client_free(st->client);
    util_free(st);
}

/* The access-log part of one request: the calls made since the previous
 * request of CTX, their time, retries and the connections opened, as
 * "dynamo=2call/700us retry=1 conn=0".  Nothing for a request that did not
 * touch DynamoDB. */
static void
log_request(struct web_ctx *ctx, void *state, void *self, char *buf, size_t size)
{
    struct ctx_state *st = state;
    struct dynamo_client_stats now;
    char retries[32] = "";

    (void)ctx;
    (void)self;
    if (st == NULL || st->client == NULL)
        return;
    dynamo_client_stats(st->client, &now);
    if (size == 0) { /* no line this time: only the marks move */
        st->logged = now;
        return;
    }
    if (now.calls == st->logged.calls && now.connections == st->logged.connections)
        return;
    if (now.retries > st->logged.retries)
        snprintf(retries, sizeof(retries), " retry=%ld",
                 now.retries - st->logged.retries);
    snprintf(buf, size, "dynamo=%ldcall/%lldus%s conn=%ld", now.calls - st->logged.calls,
             now.call_us - st->logged.call_us, retries,
             now.connections - st->logged.connections);
    st->logged = now;
}

struct dynamo *
dynamo_create(struct dynamo_err *err)
{
    struct dynamo *d = util_calloc(1, sizeof(*d));

    if (d == NULL) {
        dynamop_err_nomem(err);
        return NULL;
    }
    d->ext.name = "dynamo";
    d->ext.teardown_ctx = teardown_ctx;
    d->ext.log_request = log_request;
    d->ext.self = d;
    return d;
}

void
dynamo_free(struct dynamo *d)
{
    if (d == NULL)
        return;
    dynamop_tables_free(d->tables);
    dynamop_config_release(&d->config);
    dynamo_credentials_free(d->credentials);
    util_free(d);
}

int
dynamo_init_app(struct dynamo *d, struct web_app *app, struct dynamo_err *err)
{
    struct web_err werr = {0};
    const char *path;

    if (d == NULL || app == NULL || d->app != NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID,
                        "dynamo_init_app: needs an unbound extension and an app");
        return -1;
    }
    if (dynamop_config_read(&d->config, app, err) != 0)
        return -1;
    if ((d->credentials = dynamop_config_credentials(app, err)) == NULL)
        return -1;
    d->config.client.credentials = d->credentials;
    path = web_config_get(app, "DYNAMO_TABLES_FILE");
    d->tables = dynamop_tables_load(path != NULL ? path : "dynamo.conf", err);
    if (d->tables == NULL)
        return -1;
    if (web_app_register(app, &d->ext, &werr) != 0) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG, "registering the extension: %s",
                        werr.text);
        return -1;
    }
    d->app = app;
    return 0;
}

struct dynamo *
dynamo_new(struct web_app *app, struct dynamo_err *err)
{
    struct dynamo *d = dynamo_create(err);

    if (d != NULL && dynamo_init_app(d, app, err) != 0) {
        dynamo_free(d);
        return NULL;
    }
    return d;
}

/* CTX's state for D, made on first use.  NULL with ERR on failure. */
static struct ctx_state *
ctx_state(struct dynamo *d, struct web_ctx *ctx, struct dynamo_err *err)
{
    void **slot = ctx != NULL && d != NULL ? web_ctx_slot(ctx, &d->ext) : NULL;
    struct ctx_state *st;

    if (slot == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID,
                        "no app context of an app this extension is bound to");
        return NULL;
    }
    if (*slot != NULL)
        return *slot;
    st = util_calloc(1, sizeof(*st));
    if (st == NULL) {
        dynamop_err_nomem(err);
        return NULL;
    }
    *slot = st;
    return st;
}

struct dynamo_client *
dynamo_connection(struct dynamo *d, struct web_ctx *ctx, struct dynamo_err *err)
{
    struct ctx_state *st = ctx_state(d, ctx, err);

    if (st == NULL)
        return NULL;
    if (st->client == NULL)
        st->client = dynamo_client_new(&d->config.client, err);
    return st->client;
}

/* Makes the handles of every declared table for CTX. */
static int
make_handles(struct dynamo *d, struct ctx_state *st, struct dynamo_err *err)
{
    struct dynamo_table *tables = util_calloc(d->tables->ntables, sizeof(*tables));

    if (tables == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    for (size_t i = 0; i < d->tables->ntables; i++) {
        tables[i].decl = &d->tables->tables[i];
        tables[i].client = st->client;
        tables[i].full_name =
            dynamop_table_full_name(d->config.prefix, tables[i].decl->name, err);
        if (tables[i].full_name == NULL) {
            for (size_t j = 0; j < i; j++)
                util_free(tables[j].full_name);
            util_free(tables);
            return -1;
        }
    }
    st->tables = tables;
    return 0;
}

struct dynamo_table *
dynamo_table_at(struct dynamo *d, struct web_ctx *ctx, size_t i, struct dynamo_err *err)
{
    struct ctx_state *st;

    if (d == NULL || d->tables == NULL || i >= d->tables->ntables) {
        dynamop_err_set(err, DYNAMO_ERR_UNKNOWN_TABLE, "no table number %zu", i);
        return NULL;
    }
    if (dynamo_connection(d, ctx, err) == NULL)
        return NULL;
    st = ctx_state(d, ctx, err);
    if (st->tables == NULL && make_handles(d, st, err) != 0)
        return NULL;
    return &st->tables[i];
}

struct dynamo_table *
dynamo_table(struct dynamo *d, struct web_ctx *ctx, const char *name,
             struct dynamo_err *err)
{
    for (size_t i = 0;
         d != NULL && d->tables != NULL && name != NULL && i < d->tables->ntables; i++)
        if (strcmp(d->tables->tables[i].name, name) == 0)
            return dynamo_table_at(d, ctx, i, err);
    dynamop_err_set(err, DYNAMO_ERR_UNKNOWN_TABLE,
                    "table '%s' is not declared in the "
                    "tables file",
                    name ? name : "(null)");
    return NULL;
}

size_t
dynamo_table_count(const struct dynamo *d)
{
    return d != NULL && d->tables != NULL ? d->tables->ntables : 0;
}

const char *
dynamo_table_name(const struct dynamo_table *t)
{
    return t->decl->name;
}

const char *
dynamo_table_full_name(const struct dynamo_table *t)
{
    return t->full_name;
}

const char *
dynamo_table_hash_key(const struct dynamo_table *t)
{
    return t->decl->hash.name;
}

const char *
dynamo_table_range_key(const struct dynamo_table *t)
{
    return t->decl->range.name;
}

struct dynamo_client *
dynamo_table_client(const struct dynamo_table *t)
{
    return t->client;
}

int
dynamo_table_get(struct dynamo_table *t, const json_t *key,
                 const struct dynamo_item_opts *opts, json_t **item,
                 struct dynamo_err *err)
{
    return dynamo_get_item(t->client, t->full_name, key, opts, item, err);
}

int
dynamo_table_get_text(struct dynamo_table *t, const json_t *key,
                      const struct dynamo_item_opts *opts, char **plain, size_t *len,
                      struct dynamo_err *err)
{
    return dynamo_get_item_text(t->client, t->full_name, key, opts, plain, len, err);
}

int
dynamo_table_put(struct dynamo_table *t, const json_t *item,
                 const struct dynamo_item_opts *opts, json_t **old,
                 struct dynamo_err *err)
{
    return dynamo_put_item(t->client, t->full_name, item, opts, old, err);
}
