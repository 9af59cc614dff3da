/*
 * dynamo.h: the dynamo extension for the dynamo-fcgi framework, what
 * flask-dynamo is to Flask.
 *
 *   struct dynamo *dynamo = dynamo_new(app, &err);          // Dynamo(app)
 *   struct dynamo_table *users = dynamo_table(dynamo, web_req_ctx(req), "users", &err);
 *   WEB_WITH_APP_CONTEXT(app, ctx) { dynamo_create_all(dynamo, ctx, 1, &err); }
 *
 * Tables are declared in the tables file named by DYNAMO_TABLES_FILE
 * (default "dynamo.conf"; see dynamo.conf.example).  Each app context gets
 * its own connection, opened on first use and kept alive, and its own table
 * map; handles are borrowed from the context and valid until it is popped.
 */
#ifndef DYNAMO_FCGI_DYNAMO_H
#define DYNAMO_FCGI_DYNAMO_H

#include "dynamo_client.h"
#include "web.h"

#ifdef __cplusplus
extern "C" {
#endif

struct dynamo;       /* the per-app extension object */
struct dynamo_table; /* a declared table, reached through an app context */

/* An extension object not yet bound to an app (for app factories).
 * New: free with dynamo_free() after the app's contexts are popped. */
DYNAMO_EXPORT struct dynamo *dynamo_create(struct dynamo_err *err) DYNAMO_WUR;
/*
 * Binds D to APP: reads the configuration (DYNAMO_ENABLE_LOCAL with
 * DYNAMO_LOCAL_HOST and DYNAMO_LOCAL_PORT, AWS_* keys, DYNAMO_TABLE_PREFIX,
 * ...), loads and checks the tables file, and registers the extension.  Any
 * mistake fails here (DYNAMO_ERR_CONFIG, or DYNAMO_ERR_TABLES_FILE with
 * FILE:LINE:COL), so an app refuses to start with a bad configuration.
 */
DYNAMO_EXPORT int dynamo_init_app(struct dynamo *d, struct web_app *app,
                                  struct dynamo_err *err);
/* dynamo_create() + dynamo_init_app().  New: free with dynamo_free(). */
DYNAMO_EXPORT struct dynamo *dynamo_new(struct web_app *app,
                                        struct dynamo_err *err) DYNAMO_WUR;
DYNAMO_EXPORT void dynamo_free(struct dynamo *d);

/* The table declared as NAME, in CTX.  Borrowed: valid until CTX is popped.
 * DYNAMO_ERR_UNKNOWN_TABLE when NAME is not declared. */
DYNAMO_EXPORT struct dynamo_table *dynamo_table(struct dynamo *d, struct web_ctx *ctx,
                                                const char *name, struct dynamo_err *err);
/* The table map: how many tables are declared, and the Ith in file order
 * (NULL past the end).  Borrowed as dynamo_table(). */
DYNAMO_EXPORT size_t dynamo_table_count(const struct dynamo *d);
DYNAMO_EXPORT struct dynamo_table *dynamo_table_at(struct dynamo *d, struct web_ctx *ctx,
                                                   size_t i, struct dynamo_err *err);
/* CTX's connection, opened on first use.  Borrowed: valid until the pop. */
DYNAMO_EXPORT struct dynamo_client *
dynamo_connection(struct dynamo *d, struct web_ctx *ctx, struct dynamo_err *err);

/* The declared name ("users"), the name in DynamoDB (with DYNAMO_TABLE_PREFIX:
 * "dev-users"), and the key attribute names (range: NULL when none).
 * Borrowed: valid as the handle. */
DYNAMO_EXPORT const char *dynamo_table_name(const struct dynamo_table *t);
DYNAMO_EXPORT const char *dynamo_table_full_name(const struct dynamo_table *t);
DYNAMO_EXPORT const char *dynamo_table_hash_key(const struct dynamo_table *t);
DYNAMO_EXPORT const char *dynamo_table_range_key(const struct dynamo_table *t);
DYNAMO_EXPORT struct dynamo_client *dynamo_table_client(const struct dynamo_table *t);

/* The item operations of dynamo_client.h on table T. */
DYNAMO_EXPORT int dynamo_table_get(struct dynamo_table *t, const json_t *key,
                                   const struct dynamo_item_opts *opts, json_t **item,
                                   struct dynamo_err *err);
/* dynamo_get_item_text() on table T: the item as plain JSON text (new:
 * free()), NULL when absent. */
DYNAMO_EXPORT int dynamo_table_get_text(struct dynamo_table *t, const json_t *key,
                                        const struct dynamo_item_opts *opts, char **plain,
                                        size_t *len, struct dynamo_err *err);
DYNAMO_EXPORT int dynamo_table_put(struct dynamo_table *t, const json_t *item,
                                   const struct dynamo_item_opts *opts, json_t **old,
                                   struct dynamo_err *err);

/*
 * Creates every declared table that does not exist yet (existing ones are
 * skipped, so it is safe to run again and from several processes), then,
 * when WAIT is non-zero, waits until all are ACTIVE.  TTL settings are
 * applied once their table is ACTIVE (so tables with ttl_attribute are
 * always waited for).  Call inside an app context.
 */
DYNAMO_EXPORT int dynamo_create_all(struct dynamo *d, struct web_ctx *ctx, int wait,
                                    struct dynamo_err *err);
/* Deletes every declared table that exists; WAIT: until they are gone. */
DYNAMO_EXPORT int dynamo_destroy_all(struct dynamo *d, struct web_ctx *ctx, int wait,
                                     struct dynamo_err *err);

/*
 * Drift check: compares every declared table with the live one (key schema,
 * billing mode and capacity, indexes, stream, TTL).  *DIFFERENCES receives an
 * array of strings, "users: hash key: username S declared, live table has id
 * S" (new; empty when all match; a missing table is a difference too).
 */
DYNAMO_EXPORT int dynamo_check_tables(struct dynamo *d, struct web_ctx *ctx,
                                      json_t **differences, struct dynamo_err *err);

#ifdef __cplusplus
}
#endif

#endif /* DYNAMO_FCGI_DYNAMO_H */
