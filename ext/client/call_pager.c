/*
 * pager.c: Query and Scan, one page at a time or as an iterator that
 * follows LastEvaluatedKey (DynamoDB API reference, Query: "If
 * LastEvaluatedKey is present in the response, ... there is more data").
 */
#include <string.h>

#include "internal.h"

struct dynamo_pager {
    struct dynamo_client *client;
    char operation[8]; /* "Query" or "Scan" */
    json_t *request;   /* owned copy; ExclusiveStartKey updated per page */
    json_t *items;     /* the current page */
    size_t pos;
    int last_page; /* the current page had no LastEvaluatedKey */
};

static int
valid_operation(const char *op, struct dynamo_err *err)
{
    if (op != NULL && (strcmp(op, "Query") == 0 || strcmp(op, "Scan") == 0))
        return 1;
    dynamop_err_set(err, DYNAMO_ERR_INVALID,
                    "paging works on \"Query\" or \"Scan\", not "
                    "\"%s\"",
                    op ? op : "(null)");
    return 0;
}

int
dynamo_page(struct dynamo_client *c, const char *operation, const json_t *request,
            const json_t *start, json_t **items, json_t **next, struct dynamo_err *err)
{
    json_t *req, *resp = NULL;

    *items = NULL;
    *next = NULL;
    if (!valid_operation(operation, err) || !json_is_object(request))
        return -1;
    /* Shallow: json_copy inserts keys by strlen, which is right for the
     * request's member names; the values below (keys, expression values,
     * whose names may hold U+0000) are shared as they are. */
    req = json_copy((json_t *)request);
    if (req == NULL || (start != NULL && json_object_set(req, "ExclusiveStartKey",
                                                         (json_t *)start) != 0)) {
        json_decref(req);
        dynamop_err_nomem(err);
        return -1;
    }
    resp = dynamo_call(c, operation, req, err);
    json_decref(req);
    if (resp == NULL)
        return -1;
    *items = json_incref(json_object_get(resp, "Items"));
    *next = json_incref(json_object_get(resp, "LastEvaluatedKey"));
    json_decref(resp);
    if (!json_is_array(*items)) {
        json_decref(*items);
        json_decref(*next);
        *items = *next = NULL;
        dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE, "%s answer has no Items",
                        operation);
        return -1;
    }
    return 0;
}

struct dynamo_pager *
dynamo_pager_new(struct dynamo_client *c, const char *operation, const json_t *request,
                 struct dynamo_err *err)
{
    struct dynamo_pager *p;

    if (!valid_operation(operation, err) || !json_is_object(request))
        return NULL;
    p = util_calloc(1, sizeof(*p));
    if (p == NULL) {
        dynamop_err_nomem(err);
        return NULL;
    }
    /* Keys kept whole: the names in ExclusiveStartKey and in expression
     * values may hold U+0000. */
    if ((p->request = dynamop_json_deep_copy(request, err)) == NULL) {
        util_free(p);
        return NULL;
    }
    p->client = c;
    memcpy(p->operation, operation, strlen(operation) + 1);
    return p;
}

/* Fetches the next page into P.  Returns 0 or -1 (ERR). */
static int
fetch(struct dynamo_pager *p, struct dynamo_err *err)
{
    json_t *items, *next;

    /* The request carries the ExclusiveStartKey of the previous page. */
    if (dynamo_page(p->client, p->operation, p->request, NULL, &items, &next, err) != 0)
        return -1;
    json_decref(p->items);
    p->items = items;
    p->pos = 0;
    p->last_page = next == NULL;
    if (next != NULL && json_object_set_new(p->request, "ExclusiveStartKey", next) != 0) {
        dynamop_err_nomem(err);
        return -1;
    }
    return 0;
}

const json_t *
dynamo_pager_next(struct dynamo_pager *p, struct dynamo_err *err)
{
    /* A page may be empty and still not the last (a filter dropped every
     * item of it): keep fetching until an item or the end. */
    while (p->items == NULL || p->pos >= json_array_size(p->items)) {
        if (p->items != NULL && p->last_page)
            return NULL;
        if (fetch(p, err) != 0)
            return NULL;
    }
    return json_array_get(p->items, p->pos++);
}

void
dynamo_pager_free(struct dynamo_pager *p)
{
    if (p == NULL)
        return;
    json_decref(p->request);
    json_decref(p->items);
    util_free(p);
}
