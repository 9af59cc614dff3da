/*
 * tables_json.c: requests built from a parsed table declaration: the
 * CreateTable body and the UpdateTimeToLive body (DynamoDB API reference,
 * "CreateTable" and "UpdateTimeToLive": field names are spelt as there).
 *
 * The declaration comes from the parser, which has already checked
 * everything DynamoDB checks (names, types, capacity, index limits), so the
 * only failures left here are a bad table prefix and allocation.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "tables.h"

/* ---- jansson helpers ---------------------------------------------------
 * Each takes VALUE over, as json_object_set_new does, even when VALUE is
 * NULL (a failed constructor) or the call fails.  Return 0 or -1. */

static int
set_new(json_t *obj, const char *key, json_t *value)
{
    if (value == NULL)
        return -1;
    return json_object_set_new(obj, key, value);
}

static int
append_new(json_t *array, json_t *value)
{
    if (value == NULL)
        return -1;
    return json_array_append_new(array, value);
}

/* ---- parts of the request ---------------------------------------------- */

/* KeySchema: [{AttributeName, KeyType: HASH}, {..., RANGE}].  New or NULL. */
static json_t *
key_schema(const struct dynamop_key *hash, const struct dynamop_key *range)
{
    json_t *ks = json_array();

    if (ks == NULL ||
        append_new(ks, json_pack("{s:s, s:s}", "AttributeName", hash->name, "KeyType",
                                 "HASH")) != 0 ||
        (range->name != NULL &&
         append_new(ks, json_pack("{s:s, s:s}", "AttributeName", range->name, "KeyType",
                                  "RANGE")) != 0)) {
        json_decref(ks);
        return NULL;
    }
    return ks;
}

/* Appends KEY to DEFS unless absent or already there (the parser has
 * checked that one attribute has one type).  Returns 0 or -1. */
static int
add_definition(json_t *defs, const struct dynamop_key *key)
{
    char type[2] = {key->type, '\0'};
    size_t i;
    json_t *def;

    if (key->name == NULL)
        return 0;
    json_array_foreach (defs, i, def) {
        const char *name = json_string_value(json_object_get(def, "AttributeName"));

        if (name != NULL && strcmp(name, key->name) == 0)
            return 0;
    }
    return append_new(
        defs, json_pack("{s:s, s:s}", "AttributeName", key->name, "AttributeType", type));
}

/* AttributeDefinitions: every key attribute of T and its indexes, once, in
 * order of first use.  Returns 0 or -1. */
static int
add_definitions(json_t *req, const struct dynamop_table_decl *t)
{
    json_t *defs = json_array();

    if (defs == NULL || add_definition(defs, &t->hash) != 0 ||
        add_definition(defs, &t->range) != 0)
        goto fail;
    for (size_t i = 0; i < t->nindexes; i++)
        if (add_definition(defs, &t->indexes[i].hash) != 0 ||
            add_definition(defs, &t->indexes[i].range) != 0)
            goto fail;
    return set_new(req, "AttributeDefinitions", defs);
fail:
    json_decref(defs);
    return -1;
}

/* ProvisionedThroughput.  New or NULL. */
static json_t *
throughput(long read, long write)
{
    return json_pack("{s:I, s:I}", "ReadCapacityUnits", (json_int_t)read,
                     "WriteCapacityUnits", (json_int_t)write);
}

/* Projection: {ProjectionType, NonKeyAttributes with INCLUDE}.  New or NULL. */
static json_t *
projection(const struct dynamop_index_decl *ix)
{
    json_t *proj =
        json_pack("{s:s}", "ProjectionType", dynamop_projection_names[ix->projection]);
    json_t *attrs;

    if (proj == NULL || ix->projection != DYNAMOP_PROJ_INCLUDE)
        return proj;
    if ((attrs = json_array()) == NULL)
        goto fail;
    for (size_t i = 0; i < ix->nproject; i++) {
        if (append_new(attrs, json_string(ix->project[i])) != 0) {
            json_decref(attrs);
            goto fail;
        }
    }
    if (set_new(proj, "NonKeyAttributes", attrs) != 0)
        goto fail;
    return proj;
fail:
    json_decref(proj);
    return NULL;
}

/* One element of GlobalSecondaryIndexes or LocalSecondaryIndexes; a global
 * index of a PROVISIONED table carries its ProvisionedThroughput.  New or
 * NULL. */
static json_t *
index_request(const struct dynamop_table_decl *t, const struct dynamop_index_decl *ix)
{
    json_t *obj = json_object();

    if (obj == NULL || set_new(obj, "IndexName", json_string(ix->name)) != 0 ||
        set_new(obj, "KeySchema", key_schema(&ix->hash, &ix->range)) != 0 ||
        set_new(obj, "Projection", projection(ix)) != 0)
        goto fail;
    if (!ix->local && t->billing == DYNAMOP_PROVISIONED &&
        set_new(obj, "ProvisionedThroughput",
                throughput(ix->read_capacity, ix->write_capacity)) != 0)
        goto fail;
    return obj;
fail:
    json_decref(obj);
    return NULL;
}

/* The local (LOCAL != 0) or global indexes of T, in file order, under their
 * key; nothing when there is none.  Returns 0 or -1. */
static int
add_indexes(json_t *req, const struct dynamop_table_decl *t, int local)
{
    json_t *list = NULL;

    for (size_t i = 0; i < t->nindexes; i++) {
        if (t->indexes[i].local != local)
            continue;
        if (list == NULL && (list = json_array()) == NULL)
            return -1;
        if (append_new(list, index_request(t, &t->indexes[i])) != 0) {
            json_decref(list);
            return -1;
        }
    }
    if (list == NULL)
        return 0;
    return set_new(req, local ? "LocalSecondaryIndexes" : "GlobalSecondaryIndexes", list);
}

/* Tags: [{Key, Value}], nothing when T has none.  Returns 0 or -1. */
static int
add_tags(json_t *req, const struct dynamop_table_decl *t)
{
    json_t *tags;

    if (t->ntags == 0)
        return 0;
    if ((tags = json_array()) == NULL)
        return -1;
    for (size_t i = 0; i < t->ntags; i++) {
        if (append_new(tags, json_pack("{s:s, s:s}", "Key", t->tags[i].key, "Value",
                                       t->tags[i].value)) != 0) {
            json_decref(tags);
            return -1;
        }
    }
    return set_new(req, "Tags", tags);
}

/* The optional table settings.  Returns 0 or -1. */
static int
add_options(json_t *req, const struct dynamop_table_decl *t)
{
    if (t->billing == DYNAMOP_PROVISIONED &&
        set_new(req, "ProvisionedThroughput",
                throughput(t->read_capacity, t->write_capacity)) != 0)
        return -1;
    if (t->stream != NULL && set_new(req, "StreamSpecification",
                                     json_pack("{s:b, s:s}", "StreamEnabled", 1,
                                               "StreamViewType", t->stream)) != 0)
        return -1;
    /* sse = false is DynamoDB's default (an AWS owned key): nothing to send. */
    if (t->sse == 1 &&
        set_new(req, "SSESpecification", json_pack("{s:b}", "Enabled", 1)) != 0)
        return -1;
    if (t->deletion_protection != -1 &&
        set_new(req, "DeletionProtectionEnabled", json_boolean(t->deletion_protection)) !=
            0)
        return -1;
    return add_tags(req, t);
}

/* ---- the API ---------------------------------------------------------- */

char *
dynamop_table_full_name(const char *prefix, const char *name, struct dynamo_err *err)
{
    size_t plen = prefix != NULL ? strlen(prefix) : 0, nlen;
    char *full;

    if (name == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "table name: NULL");
        return NULL;
    }
    nlen = strlen(name);
    for (size_t i = 0; i < plen; i++) {
        unsigned char c = (unsigned char)prefix[i];

        if (!dynamop_name_char(c)) {
            dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                            "table prefix '%s': byte 0x%02X not allowed "
                            "(A-Z a-z 0-9 _ . -)",
                            prefix, c);
            return NULL;
        }
    }
    if (plen + nlen < DYNAMOP_NAME_MIN || plen + nlen > DYNAMOP_NAME_MAX) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                        "table name '%s%s' is not %d to %d characters",
                        plen ? prefix : "", name, DYNAMOP_NAME_MIN, DYNAMOP_NAME_MAX);
        return NULL;
    }
    if ((full = util_malloc(plen + nlen + 1)) == NULL) {
        dynamop_err_nomem(err);
        return NULL;
    }
    memcpy(full, plen ? prefix : "", plen);
    memcpy(full + plen, name, nlen + 1);
    return full;
}

json_t *
dynamop_table_create_request(const struct dynamop_table_decl *t, const char *prefix,
                             struct dynamo_err *err)
{
    json_t *req;
    char *name;

    if (t == NULL || t->name == NULL || t->hash.name == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "CreateTable: no table declaration");
        return NULL;
    }
    if ((name = dynamop_table_full_name(prefix, t->name, err)) == NULL)
        return NULL;
    req = json_object();
    if (req == NULL || set_new(req, "TableName", json_string(name)) != 0 ||
        add_definitions(req, t) != 0 ||
        set_new(req, "KeySchema", key_schema(&t->hash, &t->range)) != 0 ||
        set_new(req, "BillingMode", json_string(dynamop_billing_names[t->billing])) !=
            0 ||
        add_indexes(req, t, 0) != 0 || add_indexes(req, t, 1) != 0 ||
        add_options(req, t) != 0) {
        json_decref(req);
        req = NULL;
        dynamop_err_nomem(err);
    }
    util_free(name);
    return req;
}

json_t *
dynamop_table_ttl_request(const struct dynamop_table_decl *t, const char *prefix,
                          struct dynamo_err *err)
{
    json_t *req;
    char *name;

    if (t == NULL || t->name == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID,
                        "UpdateTimeToLive: no table declaration");
        return NULL;
    }
    if (t->ttl_attribute == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "table '%s' declares no ttl_attribute",
                        t->name);
        return NULL;
    }
    if ((name = dynamop_table_full_name(prefix, t->name, err)) == NULL)
        return NULL;
    req = json_pack("{s:s, s:{s:s, s:b}}", "TableName", name, "TimeToLiveSpecification",
                    "AttributeName", t->ttl_attribute, "Enabled", 1);
    if (req == NULL)
        dynamop_err_nomem(err);
    util_free(name);
    return req;
}
