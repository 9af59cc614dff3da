/*
 * txn.c: TransactWriteItems and TransactGetItems.
 *
 * A cancelled transaction answers TransactionCanceledException with a
 * CancellationReasons array, one entry per action in order ("None" for the
 * actions that did not fail: DynamoDB API reference, TransactWriteItems).
 * Those reasons are what a caller needs to tell which condition failed, so
 * they are handed back alongside the error.
 */
#include <string.h>

#include "internal.h"

/* DynamoDB's limit on actions per transaction. */
#define TXN_MAX_ACTIONS 100

static int
valid_actions(const char *op, const json_t *actions, struct dynamo_err *err)
{
    size_t n = json_array_size(actions);

    if (json_is_array(actions) && n > 0 && n <= TXN_MAX_ACTIONS)
        return 1;
    dynamop_err_set(err, DYNAMO_ERR_INVALID, "%s takes 1 to %d actions, not %zu", op,
                    TXN_MAX_ACTIONS, n);
    return 0;
}

/* Calls OP with REQ (taken); on cancellation moves the reasons to *REASONS. */
static json_t *
call_txn(struct dynamo_client *c, const char *op, json_t *req, json_t **reasons,
         struct dynamo_err *err)
{
    json_t *error_body = NULL, *resp;

    if (reasons != NULL)
        *reasons = NULL;
    if (req == NULL) {
        dynamop_err_nomem(err);
        return NULL;
    }
    resp = dynamop_call_detail(c, op, req, &error_body, err);
    json_decref(req);
    if (resp == NULL && reasons != NULL)
        *reasons = json_incref(json_object_get(error_body, "CancellationReasons"));
    json_decref(error_body);
    return resp;
}

int
dynamo_transact_write(struct dynamo_client *c, const json_t *actions, const char *token,
                      json_t **reasons, struct dynamo_err *err)
{
    json_t *req, *resp;

    if (reasons != NULL)
        *reasons = NULL;
    if (!valid_actions("TransactWriteItems", actions, err))
        return -1;
    req = json_pack("{s:O}", "TransactItems", actions);
    if (req != NULL && token != NULL &&
        json_object_set_new(req, "ClientRequestToken", json_string(token)) != 0) {
        json_decref(req);
        req = NULL;
    }
    resp = call_txn(c, "TransactWriteItems", req, reasons, err);
    json_decref(resp);
    return resp != NULL ? 0 : -1;
}

/* The items of a TransactGetItems answer: one per Get, null when absent. */
static json_t *
get_items(json_t *resp)
{
    json_t *out = json_array(), *r;
    size_t i;

    json_array_foreach (json_object_get(resp, "Responses"), i, r) {
        json_t *item = json_object_get(r, "Item");

        if (out == NULL || json_array_append(out, item ? item : json_null()) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

int
dynamo_transact_get(struct dynamo_client *c, const json_t *gets, json_t **items,
                    json_t **reasons, struct dynamo_err *err)
{
    json_t *resp;

    *items = NULL;
    if (reasons != NULL)
        *reasons = NULL;
    if (!valid_actions("TransactGetItems", gets, err))
        return -1;
    resp = call_txn(c, "TransactGetItems", json_pack("{s:O}", "TransactItems", gets),
                    reasons, err);
    if (resp == NULL)
        return -1;
    *items = get_items(resp);
    json_decref(resp);
    if (*items == NULL) {
        dynamop_err_nomem(err);
        return -1;
    }
    return 0;
}
