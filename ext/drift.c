/*
 * drift.c: comparing the declared tables with the live ones.
 *
 * dynamop_table_drift() is pure: a declaration and DescribeTable /
 * DescribeTimeToLive answers in, a list of human-readable differences out.
 * dynamo_check_tables() fetches the answers for every declared table.
 * Compared: key schema and attribute types, billing mode and capacity,
 * indexes (kind, keys, projection), stream, TTL, deletion protection, and
 * SSE (except on DynamoDB Local, which ignores it).  Not tags: reading them
 * is another call per table (ListTagsOfResource), which DynamoDB Local
 * refuses ("Tagging is not currently supported").
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "extension.h"
#include "internal.h"

static int add(json_t *out, const char *table, const char *fmt, ...) DYNAMO_PRINTF(3, 4);

/* Appends "TABLE: message" to OUT.  Returns 0 or -1 (no memory). */
static int
add(json_t *out, const char *table, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = snprintf(msg, sizeof(msg), "%s: ", table);
    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    return json_array_append_new(out, json_string(msg));
}

/* 1 if V is the string S.  A field missing from an answer (or of the
 * wrong type) matches nothing, rather than reaching strcmp as NULL. */
static int
str_is(const json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* The live type ('S', 'N', 'B' or '?') of attribute NAME. */
static char
live_type(const json_t *desc, const char *name)
{
    const char *type;
    size_t i;
    json_t *def;

    json_array_foreach (json_object_get(desc, "AttributeDefinitions"), i, def) {
        if (str_is(json_object_get(def, "AttributeName"), name)) {
            type = json_string_value(json_object_get(def, "AttributeType"));
            return type != NULL && type[0] != '\0' ? type[0] : '?';
        }
    }
    return '?';
}

/* The live key attribute of KIND ("HASH" / "RANGE") in KEY_SCHEMA, or NULL. */
static const char *
live_key(const json_t *key_schema, const char *kind)
{
    size_t i;
    json_t *k;

    json_array_foreach (key_schema, i, k) {
        if (str_is(json_object_get(k, "KeyType"), kind))
            return json_string_value(json_object_get(k, "AttributeName"));
    }
    return NULL;
}

/* Compares one declared key with the live key of KIND. */
static int
key_drift(json_t *out, const char *where, const struct dynamop_key *decl,
          const json_t *desc, const json_t *key_schema, const char *kind)
{
    const char *live = live_key(key_schema, kind);
    const char *what = strcmp(kind, "HASH") == 0 ? "hash key" : "range key";

    if (decl->name == NULL && live == NULL)
        return 0;
    if (decl->name == NULL)
        return add(out, where, "%s: none declared, live table has %s", what, live);
    if (live == NULL)
        return add(out, where, "%s: %s %c declared, live table has none", what,
                   decl->name, decl->type);
    if (strcmp(decl->name, live) != 0 || live_type(desc, live) != decl->type)
        return add(out, where, "%s: %s %c declared, live table has %s %c", what,
                   decl->name, decl->type, live, live_type(desc, live));
    return 0;
}

static int
keys_drift(json_t *out, const char *where, const struct dynamop_key *hash,
           const struct dynamop_key *range, const json_t *desc, const json_t *schema)
{
    return key_drift(out, where, hash, desc, schema, "HASH") |
           key_drift(out, where, range, desc, schema, "RANGE");
}

static int
billing_drift(json_t *out, const struct dynamop_table_decl *t, const json_t *desc)
{
    const char *live = json_string_value(
        json_object_get(json_object_get(desc, "BillingModeSummary"), "BillingMode"));
    const char *want = dynamop_billing_names[t->billing];
    json_t *pt = json_object_get(desc, "ProvisionedThroughput");
    long r = (long)json_integer_value(json_object_get(pt, "ReadCapacityUnits"));
    long w = (long)json_integer_value(json_object_get(pt, "WriteCapacityUnits"));

    /* No BillingModeSummary: the table was made PROVISIONED (API reference). */
    live = live != NULL ? live : "PROVISIONED";
    if (strcmp(live, want) != 0)
        return add(out, t->name, "billing mode: %s declared, live table is %s", want,
                   live);
    if (t->billing == DYNAMOP_PROVISIONED &&
        (r != t->read_capacity || w != t->write_capacity))
        return add(out, t->name, "capacity: %ld/%ld declared, live table has %ld/%ld",
                   t->read_capacity, t->write_capacity, r, w);
    return 0;
}

/* The live index named NAME among the table's global and local ones. */
static const json_t *
live_index(const json_t *desc, const char *name, int *local)
{
    static const char *const lists[] = {"GlobalSecondaryIndexes",
                                        "LocalSecondaryIndexes"};
    size_t i;
    json_t *ix;

    for (int l = 0; l < 2; l++) {
        json_array_foreach (json_object_get(desc, lists[l]), i, ix) {
            if (str_is(json_object_get(ix, "IndexName"), name)) {
                *local = l;
                return ix;
            }
        }
    }
    return NULL;
}

static int
index_drift(json_t *out, const struct dynamop_table_decl *t,
            const struct dynamop_index_decl *x, const json_t *desc)
{
    char where[600];
    int local = 0;
    const json_t *ix = live_index(desc, x->name, &local);
    const char *proj;

    snprintf(where, sizeof(where), "%s: index %s", t->name, x->name);
    if (ix == NULL)
        return add(out, t->name, "index %s: declared, missing from the live table",
                   x->name);
    if (local != x->local)
        return add(out, t->name, "index %s: declared %s, live index is %s", x->name,
                   x->local ? "local" : "global", local ? "local" : "global");
    proj = json_string_value(
        json_object_get(json_object_get(ix, "Projection"), "ProjectionType"));
    if (proj != NULL && strcmp(proj, dynamop_projection_names[x->projection]) != 0 &&
        add(out, where, "projection: %s declared, live index has %s",
            dynamop_projection_names[x->projection], proj) != 0)
        return -1;
    return keys_drift(out, where, &x->hash, &x->range, desc,
                      json_object_get(ix, "KeySchema"));
}

/* Live indexes the file does not declare. */
static int
extra_indexes(json_t *out, const struct dynamop_table_decl *t, const json_t *desc)
{
    static const char *const lists[] = {"GlobalSecondaryIndexes",
                                        "LocalSecondaryIndexes"};
    size_t i;
    json_t *ix;
    int rc = 0;

    for (int l = 0; l < 2; l++) {
        json_array_foreach (json_object_get(desc, lists[l]), i, ix) {
            const char *name = json_string_value(json_object_get(ix, "IndexName"));

            if (name != NULL && dynamop_table_find_index(t, name) == NULL)
                rc |=
                    add(out, t->name, "index %s: on the live table, not declared", name);
        }
    }
    return rc;
}

static int
stream_drift(json_t *out, const struct dynamop_table_decl *t, const json_t *desc)
{
    const json_t *spec = json_object_get(desc, "StreamSpecification");
    const char *live = json_is_true(json_object_get(spec, "StreamEnabled"))
                           ? json_string_value(json_object_get(spec, "StreamViewType"))
                           : NULL;

    if ((live == NULL) != (t->stream == NULL) ||
        (live != NULL && strcmp(live, t->stream) != 0))
        return add(out, t->name, "stream: %s declared, live table has %s",
                   t->stream ? t->stream : "none", live ? live : "none");
    return 0;
}

static int
ttl_drift(json_t *out, const struct dynamop_table_decl *t, const json_t *ttl)
{
    const json_t *status = json_object_get(ttl, "TimeToLiveStatus");
    const char *attr = json_string_value(json_object_get(ttl, "AttributeName"));
    int on = str_is(status, "ENABLED") || str_is(status, "ENABLING");

    if (ttl == NULL)
        return 0; /* not fetched */
    if (!on && t->ttl_attribute == NULL)
        return 0;
    if (!on || t->ttl_attribute == NULL || attr == NULL ||
        strcmp(attr, t->ttl_attribute) != 0)
        return add(out, t->name, "ttl: %s declared, live table has %s",
                   t->ttl_attribute ? t->ttl_attribute : "none",
                   on && attr ? attr : "none");
    return 0;
}

/* 1 if DESC is DynamoDB Local's: its table ARNs name the region "ddblocal"
 * (arn:aws:dynamodb:ddblocal:000000000000:table/NAME), whatever region the
 * client signs for. */
static int
is_local(const json_t *desc)
{
    const char *arn = json_string_value(json_object_get(desc, "TableArn"));

    return arn != NULL && strstr(arn, ":ddblocal:") != NULL;
}

/* sse = true asks for a KMS key; false (DynamoDB's default, an AWS owned
 * key) shows as no SSEDescription, or one being turned off.  DynamoDB Local
 * accepts SSESpecification and ignores it: never compared there, where
 * every sse = true table would otherwise differ. */
static int
sse_drift(json_t *out, const struct dynamop_table_decl *t, const json_t *desc)
{
    const json_t *status =
        json_object_get(json_object_get(desc, "SSEDescription"), "Status");
    int on = str_is(status, "ENABLED") || str_is(status, "ENABLING") ||
             str_is(status, "UPDATING");

    if (t->sse == -1 || is_local(desc) || on == t->sse)
        return 0;
    return add(out, t->name, "sse: %s declared, live table %s", t->sse ? "true" : "false",
               on ? "uses a KMS key" : "uses DynamoDB's default (AWS owned) key");
}

/* DeletionProtectionEnabled is absent from tables that never had it. */
static int
deletion_protection_drift(json_t *out, const struct dynamop_table_decl *t,
                          const json_t *desc)
{
    int on = json_is_true(json_object_get(desc, "DeletionProtectionEnabled"));

    if (t->deletion_protection == -1 || on == t->deletion_protection)
        return 0;
    return add(out, t->name, "deletion protection: %s declared, live table has it %s",
               t->deletion_protection ? "true" : "false", on ? "on" : "off");
}

int
dynamop_table_key_drift(const struct dynamop_table_decl *t, const json_t *desc,
                        json_t *out)
{
    return keys_drift(out, t->name, &t->hash, &t->range, desc,
                      json_object_get(desc, "KeySchema"))
               ? -1
               : 0;
}

int
dynamop_table_drift(const struct dynamop_table_decl *t, const json_t *desc,
                    const json_t *ttl, json_t *out)
{
    int rc = dynamop_table_key_drift(t, desc, out);

    rc |= billing_drift(out, t, desc);
    for (size_t i = 0; i < t->nindexes; i++)
        rc |= index_drift(out, t, &t->indexes[i], desc);
    rc |= extra_indexes(out, t, desc);
    rc |= stream_drift(out, t, desc);
    rc |= ttl_drift(out, t, ttl);
    rc |= sse_drift(out, t, desc);
    rc |= deletion_protection_drift(out, t, desc);
    return rc ? -1 : 0;
}

/* Adds the differences of table I to OUT. */
static int
check_one(struct dynamo *d, struct web_ctx *ctx, size_t i, json_t *out,
          struct dynamo_err *err)
{
    struct dynamo_table *t = dynamo_table_at(d, ctx, i, err);
    struct dynamo_err e = {0};
    json_t *desc = NULL, *ttl = NULL;
    int rc;

    if (t == NULL)
        return -1;
    if (dynamo_describe_table(t->client, t->full_name, &desc, &e) != 0) {
        if (e.code == DYNAMO_ERR_NOT_FOUND)
            return add(out, t->decl->name, "declared, no live table %s", t->full_name);
        dynamop_err_copy(err, &e);
        return -1;
    }
    rc = dynamo_describe_ttl(t->client, t->full_name, &ttl, err);
    if (rc == 0 && dynamop_table_drift(t->decl, desc, ttl, out) != 0) {
        dynamop_err_nomem(err);
        rc = -1;
    }
    json_decref(ttl);
    json_decref(desc);
    return rc;
}

int
dynamo_check_tables(struct dynamo *d, struct web_ctx *ctx, json_t **differences,
                    struct dynamo_err *err)
{
    json_t *out = json_array();

    *differences = NULL;
    if (out == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    for (size_t i = 0; i < dynamo_table_count(d); i++)
        if (check_one(d, ctx, i, out, err) != 0) {
            json_decref(out);
            return -1;
        }
    *differences = out;
    return 0;
}
