/*
 * batch.c: BatchGetItem and BatchWriteItem for any number of keys or
 * writes.
 *
 * DynamoDB takes at most 100 keys per BatchGetItem and 25 writes per
 * BatchWriteItem, and may hand part of a batch back as UnprocessedKeys /
 * UnprocessedItems when it throttles; the API reference asks callers to
 * retry those "with exponential backoff".  Both calls keep a pending set in
 * DynamoDB's own RequestItems shape, cut chunks off it, send them, and merge
 * what comes back unprocessed into it again.
 */
#include <string.h>

#include "internal.h"

/* Rounds of unprocessed-item retries before giving up, and their backoff
 * (full jitter, 50 ms doubling to 2 s: about 7 s in the worst case). */
#define BATCH_MAX_ROUNDS 8
#define BATCH_BACKOFF_BASE_MS 50L
#define BATCH_BACKOFF_CAP_MS 2000L

struct batch_kind {
    const char *operation;
    size_t limit;
    const char *unprocessed; /* the answer's field for what was not done */
    int keyed;               /* 1: a table's entries are {"Keys": [...], ...} */
};

static const struct batch_kind batch_get = {"BatchGetItem", 100, "UnprocessedKeys", 1};
static const struct batch_kind batch_write = {"BatchWriteItem", 25, "UnprocessedItems",
                                              0};

/* The entry array of a table's value in RequestItems.  Borrowed. */
static json_t *
entries(const struct batch_kind *k, json_t *table_value)
{
    return k->keyed ? json_object_get(table_value, "Keys") : table_value;
}

/* A table value holding ENTRIES (taken), with the other fields of TEMPLATE
 * for keyed kinds (ProjectionExpression, ConsistentRead, ...). */
static json_t *
with_entries(const struct batch_kind *k, json_t *template, json_t *list)
{
    json_t *v;

    if (!k->keyed || list == NULL)
        return list;
    /* Shallow: json_copy inserts keys by strlen, which is right for the
     * top level's member names; the values below are shared as they are. */
    v = json_copy(template);
    if (v == NULL || json_object_set_new(v, "Keys", list) != 0) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* Elements [FROM, TO) of ARR as a new array. */
static json_t *
slice(json_t *arr, size_t from, size_t to)
{
    json_t *out = json_array();

    for (size_t i = from; out != NULL && i < to; i++)
        if (json_array_append(out, json_array_get(arr, i)) != 0) {
            json_decref(out);
            return NULL;
        }
    return out;
}

/* Moves up to K->limit entries from PENDING into a new RequestItems object
 * *CHUNK.  Returns 0 or -1 (no memory). */
static int
take_chunk(const struct batch_kind *k, json_t *pending, json_t **chunk)
{
    size_t taken = 0;
    const char *table;
    json_t *value, *tmp;

    *chunk = json_object();
    if (*chunk == NULL)
        return -1;
    json_object_foreach_safe (pending, tmp, table, value) {
        json_t *list = entries(k, value);
        size_t n = json_array_size(list), m = k->limit - taken < n ? k->limit - taken : n;

        if (m == 0)
            continue;
        if (json_object_set_new(*chunk, table,
                                with_entries(k, value, slice(list, 0, m))) ||
            (m == n ? json_object_del(pending, table)
                    : json_object_set_new(pending, table,
                                          with_entries(k, value, slice(list, m, n)))))
            return -1;
        taken += m;
        if (taken == k->limit)
            break;
    }
    return 0;
}

/* Appends the entries of every table in FROM (RequestItems shape) to INTO. */
static int
merge_items(const struct batch_kind *k, json_t *into, json_t *from)
{
    const char *table;
    json_t *value;

    json_object_foreach (from, table, value) {
        json_t *have = json_object_get(into, table);

        if (have == NULL) {
            if (json_object_set(into, table, value) != 0)
                return -1;
        } else if (json_array_extend(entries(k, have), entries(k, value)) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Collects the items of a BatchGetItem answer into RESPONSES. */
static int
merge_responses(json_t *responses, json_t *answer)
{
    const char *table;
    json_t *items;

    json_object_foreach (json_object_get(answer, "Responses"), table, items) {
        json_t *have = json_object_get(responses, table);

        if (have == NULL ? json_object_set(responses, table, items)
                         : json_array_extend(have, items))
            return -1;
    }
    return 0;
}

/* Sends one chunk; merges its unprocessed part back into PENDING and its
 * items into RESPONSES (when not NULL).  *PARTIAL: something came back. */
static int
send_chunk(struct dynamo_client *c, const struct batch_kind *k, json_t *chunk,
           json_t *pending, json_t *responses, int *partial, struct dynamo_err *err)
{
    json_t *req = json_pack("{s:O}", "RequestItems", chunk), *answer;
    json_t *left;
    int rc = 0;

    if (req == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    answer = dynamo_call(c, k->operation, req, err);
    json_decref(req);
    if (answer == NULL)
        return -1;
    left = json_object_get(answer, k->unprocessed);
    *partial = json_object_size(left) > 0;
    if ((responses != NULL && merge_responses(responses, answer) != 0) ||
        (*partial && merge_items(k, pending, left) != 0)) {
        dynamop_err_nomem(err);
        rc = -1;
    }
    json_decref(answer);
    return rc;
}

/* Checks that REQUEST_ITEMS has RequestItems' shape for K. */
static int
valid_items(const struct batch_kind *k, const json_t *items, struct dynamo_err *err)
{
    const char *table;
    json_t *value;

    if (!json_is_object(items))
        goto bad;
    json_object_foreach ((json_t *)items, table, value) {
        if (!json_is_array(entries(k, value)))
            goto bad;
    }
    return 1;
bad:
    dynamop_err_set(err, DYNAMO_ERR_INVALID,
                    "%s: request items must map each table to %s", k->operation,
                    k->keyed ? "{\"Keys\": [...]}" : "an array of requests");
    return 0;
}

/* The shared loop.  See dynamo_batch_get() for the contract. */
static int
run_batch(struct dynamo_client *c, const struct batch_kind *k,
          const json_t *request_items, json_t *responses, json_t **unprocessed,
          struct dynamo_err *err)
{
    json_t *pending = NULL, *chunk = NULL;
    int rounds = 0, partial = 0, rc = -1;

    if (unprocessed != NULL)
        *unprocessed = NULL;
    if (!valid_items(k, request_items, err))
        return -1;
    /* Keys kept whole: the items' attribute names may hold U+0000. */
    pending = dynamop_json_deep_copy(request_items, err);
    if (pending == NULL)
        return -1;
    while (json_object_size(pending) > 0) {
        if (partial && ++rounds > BATCH_MAX_ROUNDS) {
            dynamop_err_set(err, DYNAMO_ERR_THROTTLED,
                            "%s: items still unprocessed after "
                            "%d rounds",
                            k->operation, BATCH_MAX_ROUNDS);
            goto out;
        }
        if (partial)
            dynamop_backoff_sleep(rounds, BATCH_BACKOFF_BASE_MS, BATCH_BACKOFF_CAP_MS);
        if (take_chunk(k, pending, &chunk) != 0) {
            dynamop_err_nomem(err);
            goto out;
        }
        if (send_chunk(c, k, chunk, pending, responses, &partial, err) != 0)
            goto out;
        json_decref(chunk);
        chunk = NULL;
    }
    rc = 0;
out:
    /* On failure the caller gets back everything not done: what was still
     * pending and the chunk in flight, if any. */
    if (rc != 0 && unprocessed != NULL &&
        (chunk == NULL || merge_items(k, pending, chunk) == 0))
        *unprocessed = json_incref(pending);
    json_decref(chunk);
    json_decref(pending);
    return rc;
}

int
dynamo_batch_get(struct dynamo_client *c, const json_t *request_items, json_t **responses,
                 json_t **unprocessed, struct dynamo_err *err)
{
    json_t *out = json_object();
    int rc;

    *responses = NULL;
    if (out == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    rc = run_batch(c, &batch_get, request_items, out, unprocessed, err);
    if (rc == 0)
        *responses = json_incref(out);
    json_decref(out);
    return rc;
}

int
dynamo_batch_write(struct dynamo_client *c, const json_t *request_items,
                   json_t **unprocessed, struct dynamo_err *err)
{
    return run_batch(c, &batch_write, request_items, NULL, unprocessed, err);
}
