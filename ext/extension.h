/*
 * extension.h: the extension's private state, shared by extension.c
 * (handles, contexts), settings.c (reading the app configuration) and
 * schema.c (create_all / destroy_all).
 */
#ifndef DYNAMO_FCGI_EXT_EXTENSION_H
#define DYNAMO_FCGI_EXT_EXTENSION_H

#include "dynamo.h"
#include "tables.h"

/* The configuration as read from the app; strings owned here. */
struct dynamop_config {
    struct dynamo_client_config client; /* points into the strings below */
    char *region;
    char *endpoint;
    char *access_key_id;
    char *secret_access_key;
    char *session_token;
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

#endif /* DYNAMO_FCGI_EXT_EXTENSION_H */
