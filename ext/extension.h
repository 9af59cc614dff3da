/*
 * extension.h: the extension's private state, shared by extension.c
 * (handles, contexts), settings.c (reading the app configuration) and
 * schema.c (create_all / destroy_all).
 */
#ifndef DYNAMO_FCGI_EXT_EXTENSION_H
#define DYNAMO_FCGI_EXT_EXTENSION_H

#include "dynamo.h"
#include "tables.h"

/* The configuration as read from the app; strings owned here.  The
 * credentials live in struct dynamo (one provider per app). */
struct dynamop_config {
    struct dynamo_client_config client; /* points into the strings below */
    char *region;
    char *endpoint;
    char *ca_bundle;
    char *prefix; /* DYNAMO_TABLE_PREFIX, NULL when unset */
};

struct dynamo_table {
    const struct dynamop_table_decl *decl; /* borrowed from the dynamo */
    char *full_name;
    struct dynamo_client *client; /* borrowed from the context state */
};

struct dynamo {
    struct web_ext ext; /* registered on the app; ext.self points back here */
    struct web_app *app;
    struct dynamop_tables *tables;
    struct dynamop_config config;
    /* One provider for the app, shared (thread-safe) by every context's
     * client through config.client.credentials; freed by dynamo_free(). */
    struct dynamo_credentials *credentials;
};

/*
 * Reads every configuration key of the extension from APP (flask-dynamo's
 * keys and the AWS ones; see dynamo.conf.example and the README) into CFG.
 * Returns 0, or -1 with DYNAMO_ERR_CONFIG naming the key and the problem.
 */
int dynamop_config_read(struct dynamop_config *cfg, const struct web_app *app,
                        struct dynamo_err *err);
/* Frees the strings of CFG (secrets overwritten first) and zeroes it. */
void dynamop_config_release(struct dynamop_config *cfg);
/*
 * The app's credentials provider: the default chain read through the app's
 * config (explicit keys, environment, profile, container, instance
 * metadata); with DYNAMO_ENABLE_LOCAL, no metadata source and DynamoDB
 * Local's fixed keys when nothing else is set.  No network I/O here.
 * New: free with dynamo_credentials_free().  NULL with DYNAMO_ERR_CONFIG.
 */
struct dynamo_credentials *dynamop_config_credentials(const struct web_app *app,
                                                      struct dynamo_err *err);

/*
 * Appends to OUT (an array) one string per difference between declaration T
 * and the live table: DESC is DescribeTable's "Table", TTL DescribeTimeToLive's
 * "TimeToLiveDescription" (NULL: not compared).  Pure.  Returns 0, or -1 when
 * out of memory.  _key_drift compares the key schema only.
 */
int dynamop_table_drift(const struct dynamop_table_decl *t, const json_t *desc,
                        const json_t *ttl, json_t *out);
int dynamop_table_key_drift(const struct dynamop_table_decl *t, const json_t *desc,
                            json_t *out);

#endif /* DYNAMO_FCGI_EXT_EXTENSION_H */
