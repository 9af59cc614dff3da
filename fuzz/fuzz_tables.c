/*
 * fuzz_tables.c: the tables-file parser (dynamop_tables_parse).  The input
 * is the file.  Promises checked: a refused file gives exactly one
 * DYNAMO_ERR_TABLES_FILE error "fuzz.conf:LINE:COL: message" whose LINE and
 * COL match err->line / err->col and lie inside the file; an accepted file
 * declares at least one table, each with a hash key, and turns into a
 * CreateTable request (and a TTL request when it has a ttl_attribute)
 * without error, since the parser claims to check everything CreateTable
 * would refuse; with a table prefix, only a name the prefix makes too long
 * is refused (DYNAMO_ERR_CONFIG).
 */
#include <string.h>

#include "ext/internal.h"
#include "fuzz.h"

/* Lines in DATA (a last line without '\n' counts). */
static int
count_lines(const uint8_t *data, size_t size)
{
    int n = 1;

    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n;
}

static void
check_error(const struct dynamo_err *err, const uint8_t *data, size_t size)
{
    char prefix[64];

    FUZZ_CHECK(err->code == DYNAMO_ERR_TABLES_FILE, "code %d: %s", err->code, err->text);
    FUZZ_CHECK(strcmp(err->source, "fuzz.conf") == 0, "source '%s'", err->source);
    FUZZ_CHECK(err->line >= 1 && err->line <= count_lines(data, size), "line %d: %s",
               err->line, err->text);
    /* A column is at most one past the last character of a line. */
    FUZZ_CHECK(err->col >= 1 && (size_t)err->col <= size + 1, "col %d: %s", err->col,
               err->text);
    snprintf(prefix, sizeof(prefix), "fuzz.conf:%d:%d: ", err->line, err->col);
    FUZZ_CHECK(strncmp(err->text, prefix, strlen(prefix)) == 0, "text '%s'", err->text);
    FUZZ_CHECK(strlen(err->text) > strlen(prefix), "no message: '%s'", err->text);
}

static void
check_tables(const struct dynamop_tables *t)
{
    FUZZ_CHECK(t->ntables >= 1, "no table");
    for (size_t i = 0; i < t->ntables; i++) {
        const struct dynamop_table_decl *d = &t->tables[i];
        struct dynamo_err err = {0};
        json_t *req;

        FUZZ_CHECK(d->name != NULL && d->hash.name != NULL, "table %zu incomplete", i);
        FUZZ_CHECK(dynamop_tables_find(t, d->name) == d, "table '%s' not found", d->name);
        req = dynamop_table_create_request(d, NULL, &err);
        FUZZ_CHECK(req != NULL, "table '%s': CreateTable request: %s", d->name, err.text);
        json_decref(req);
        if (d->ttl_attribute != NULL) {
            req = dynamop_table_ttl_request(d, NULL, &err);
            FUZZ_CHECK(req != NULL, "table '%s': TTL request: %s", d->name, err.text);
            json_decref(req);
        }
        /* A prefix may push the name past 255 characters: a config error. */
        req = dynamop_table_create_request(d, "fz-", &err);
        FUZZ_CHECK(req != NULL ||
                       (err.code == DYNAMO_ERR_CONFIG && strlen(d->name) > 252),
                   "table '%s' with a prefix: %s", d->name, err.text);
        json_decref(req);
        for (size_t k = 0; k < d->nindexes; k++)
            FUZZ_CHECK(dynamop_table_find_index(d, d->indexes[k].name) == &d->indexes[k],
                       "index '%s' not found", d->indexes[k].name);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dynamo_err err = {0};
    struct dynamop_tables *t;

    t = dynamop_tables_parse((const char *)data, size, "fuzz.conf", &err);
    if (t == NULL)
        check_error(&err, data, size);
    else
        check_tables(t);
    dynamop_tables_free(t);
    return 0;
}
