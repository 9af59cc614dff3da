/*
 * tables.h: the declarative tables file (dynamo.conf), private to ext/.
 *
 * The file declares the application's tables and their indexes, one
 * section each:
 *
 *     [table events]                  [index events.by_type]
 *     hash_key  = user_id S           type      = global
 *     range_key = ts N                hash_key  = type S
 *
 * dynamo.conf.example at the top of the tree documents every key.  The parser
 * is pure (buffer in, typed declarations out; only dynamop_tables_load reads
 * a file) and validates everything DynamoDB would refuse at CreateTable, so
 * a bad file stops the application at start-up with one error,
 * "FILE:LINE:COL: message" (DYNAMO_ERR_TABLES_FILE, columns in characters),
 * instead of failing later against the service.
 *
 * Decisions the format makes (also written in dynamo.conf.example):
 * - An index section is named TABLE.INDEX and split at the LAST '.': table
 *   names may contain '.', index names declared here may not.
 * - An index section comes after its table's section.
 * - '#' starts a comment anywhere on a line, so no value contains '#'.
 * - A file that declares no table (empty, or only comments) is an error,
 *   "no table declared", at 1:1: an application without tables is almost
 *   surely reading the wrong file.
 */
#ifndef DYNAMO_FCGI_EXT_TABLES_H
#define DYNAMO_FCGI_EXT_TABLES_H

#include <stddef.h>

#include <jansson.h>

#include "dynamo_client.h"

/* Limits of the file itself (a larger one is refused with a clear error). */
#define DYNAMOP_TABLES_MAX_FILE (1024L * 1024L) /* bytes */
#define DYNAMOP_TABLES_MAX_LINE 4096            /* bytes, without the line end */

/* DynamoDB's limits, checked by the parser (CreateTable API reference and
 * "Service, account, and table quotas in Amazon DynamoDB"). */
#define DYNAMOP_NAME_MIN 3        /* table and index names: 3-255 characters */
#define DYNAMOP_NAME_MAX 255      /*   of A-Z a-z 0-9 _ . - */
#define DYNAMOP_KEY_NAME_MAX 255  /* key attribute names, in bytes */
#define DYNAMOP_MAX_GSI 20        /* global secondary indexes per table */
#define DYNAMOP_MAX_LSI 5         /* local secondary indexes per table */
#define DYNAMOP_MAX_PROJECTED 100 /* NonKeyAttributes summed over a table's indexes */
#define DYNAMOP_MAX_TAGS 50       /* tags per resource */
#define DYNAMOP_TAG_KEY_MAX 128   /* characters */
#define DYNAMOP_TAG_VALUE_MAX 256 /* characters */

/* A key attribute: NAME TYPE in the file. */
struct dynamop_key {
    char *name; /* NULL when absent */
    char type;  /* 'S', 'N' or 'B' */
};

enum dynamop_billing {
    DYNAMOP_PAY_PER_REQUEST,
    DYNAMOP_PROVISIONED,
    DYNAMOP_BILLING_MAX
};
enum dynamop_projection {
    DYNAMOP_PROJ_ALL,
    DYNAMOP_PROJ_KEYS_ONLY,
    DYNAMOP_PROJ_INCLUDE,
    DYNAMOP_PROJ_MAX
};
/* DynamoDB's spelling of each value ("PAY_PER_REQUEST", "KEYS_ONLY", ...). */
extern const char *const dynamop_billing_names[DYNAMOP_BILLING_MAX];
extern const char *const dynamop_projection_names[DYNAMOP_PROJ_MAX];

struct dynamop_tag {
    char *key;
    char *value; /* may be "" */
};

struct dynamop_index_decl {
    char *name;                         /* the INDEX part of [index TABLE.INDEX] */
    int local;                          /* 0 global (the default), 1 local */
    struct dynamop_key hash, range;     /* hash always set; range may be absent */
    enum dynamop_projection projection; /* default DYNAMOP_PROJ_ALL */
    char **project;                     /* NonKeyAttributes, with INCLUDE only */
    size_t nproject;
    long read_capacity, write_capacity; /* 0 unless a global index of a
                                           PROVISIONED table (then >= 1) */
    int line;                           /* of the section header */
};

struct dynamop_table_decl {
    char *name;
    struct dynamop_key hash, range;     /* hash always set; range may be absent */
    enum dynamop_billing billing;       /* default DYNAMOP_PAY_PER_REQUEST */
    long read_capacity, write_capacity; /* >= 1 when PROVISIONED, else 0 */
    char *ttl_attribute;                /* NULL: no TTL (applied with UpdateTimeToLive) */
    char *stream;                       /* StreamViewType, NULL: no stream */
    int sse;                            /* -1 unset, 0, 1 */
    int deletion_protection;            /* -1 unset, 0, 1 */
    struct dynamop_tag *tags;
    size_t ntags;
    struct dynamop_index_decl *indexes; /* in file order */
    size_t nindexes;
    int line; /* of the section header */
};

struct dynamop_tables {
    struct dynamop_table_decl *tables; /* in file order, at least one */
    size_t ntables;
};

/*
 * Parses the tables file TEXT (LEN bytes, need not end in NUL); SOURCE (the
 * file name, NULL: "tables file") prefixes error messages.  Returns the
 * declarations, or NULL with ERR: DYNAMO_ERR_TABLES_FILE ("SOURCE:LINE:COL:
 * message", err->source/line/col set) or DYNAMO_ERR_NOMEM.
 * New: free with dynamop_tables_free().
 */
struct dynamop_tables *dynamop_tables_parse(const char *text, size_t len,
                                            const char *source, struct dynamo_err *err);
/* Reads and parses the file at PATH; DYNAMO_ERR_IO ("PATH: strerror") when it
 * cannot be read, else as dynamop_tables_parse.  New: dynamop_tables_free(). */
struct dynamop_tables *dynamop_tables_load(const char *path, struct dynamo_err *err);
/* Frees T and everything in it; NULL does nothing. */
void dynamop_tables_free(struct dynamop_tables *t);
/* The table declared as NAME, or NULL.  Borrowed: valid until
 * dynamop_tables_free(T). */
const struct dynamop_table_decl *dynamop_tables_find(const struct dynamop_tables *t,
                                                     const char *name);
/* The index NAME of table T, or NULL.  Borrowed, as T. */
const struct dynamop_index_decl *
dynamop_table_find_index(const struct dynamop_table_decl *t, const char *name);

/* 1 when C may appear in a table or index name (A-Z a-z 0-9 _ . -). */
static inline int
dynamop_name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
}

/*
 * PREFIX + NAME (PREFIX may be NULL or ""), the name the table has in
 * DynamoDB, checked against DynamoDB's naming rules: NULL with
 * DYNAMO_ERR_CONFIG when the prefix makes it invalid, DYNAMO_ERR_NOMEM.
 * New: free with util_free().
 */
char *dynamop_table_full_name(const char *prefix, const char *name,
                              struct dynamo_err *err);

/*
 * The CreateTable request body for T, TableName = PREFIX + name:
 * AttributeDefinitions (each key attribute of the table and its indexes
 * once, in order of first use), KeySchema, BillingMode,
 * ProvisionedThroughput (PROVISIONED), GlobalSecondaryIndexes and
 * LocalSecondaryIndexes (IndexName, KeySchema, Projection, and
 * ProvisionedThroughput for global indexes of PROVISIONED tables),
 * StreamSpecification, SSESpecification (sse = true only: false is
 * DynamoDB's default, an AWS owned key), Tags, DeletionProtectionEnabled
 * (when set).  Field names as in the DynamoDB API reference, CreateTable.
 * TTL is not part of CreateTable: see dynamop_table_ttl_request().
 * New reference; NULL with DYNAMO_ERR_CONFIG (bad prefix), DYNAMO_ERR_INVALID
 * (T NULL) or DYNAMO_ERR_NOMEM.
 */
json_t *dynamop_table_create_request(const struct dynamop_table_decl *t,
                                     const char *prefix, struct dynamo_err *err);
/*
 * The UpdateTimeToLive request body enabling TTL on T's ttl_attribute:
 * {"TableName", "TimeToLiveSpecification": {"AttributeName", "Enabled": true}}.
 * New reference; NULL with DYNAMO_ERR_INVALID when T declares no
 * ttl_attribute, else as dynamop_table_create_request.
 */
json_t *dynamop_table_ttl_request(const struct dynamop_table_decl *t, const char *prefix,
                                  struct dynamo_err *err);

#endif /* DYNAMO_FCGI_EXT_TABLES_H */
