/*
 * json_copy.c: deep copies of request values that keep object keys whole.
 *
 * jansson's json_deep_copy (like json_copy and json_object_update) inserts
 * each key again with json_object_set, which measures it with strlen: an
 * attribute name holding U+0000, which DynamoDB takes ("a\u0000b"), comes
 * out of the copy cut to "a" (jansson 2.14).  The calls that keep a private
 * copy of a caller's request (batch.c, pager.c), items and keys inside,
 * copy it here instead, key lengths and all.
 */
#include "internal.h"

/* V copied at DEPTH (the top value is 0).  NULL with ERR set. */
static json_t *
copy_value(const json_t *v, int depth, struct dynamo_err *err)
{
    json_t *out;
    void *it;
    size_t i;

    if ((json_is_object(v) || json_is_array(v)) && depth >= DYNAMOP_MAX_NESTING) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID,
                        "request nested deeper than %d levels (or circular)",
                        DYNAMOP_MAX_NESTING);
        return NULL;
    }
    if (json_is_object(v)) {
        out = json_object();
        for (it = json_object_iter((json_t *)v); out != NULL && it != NULL;
             it = json_object_iter_next((json_t *)v, it)) {
            json_t *e = copy_value(json_object_iter_value(it), depth + 1, err);

            /* On failure jansson frees E itself. */
            if (e == NULL ||
                json_object_setn_new_nocheck(out, json_object_iter_key(it),
                                             json_object_iter_key_len(it), e) != 0) {
                json_decref(out);
                out = NULL;
            }
        }
    } else if (json_is_array(v)) {
        out = json_array();
        for (i = 0; out != NULL && i < json_array_size(v); i++) {
            json_t *e = copy_value(json_array_get(v, i), depth + 1, err);

            if (e == NULL || json_array_append_new(out, e) != 0) {
                json_decref(out);
                out = NULL;
            }
        }
    } else {
        out = json_deep_copy(v); /* a scalar: strings keep their length */
    }
    if (out == NULL)
        dynamop_err_nomem(err); /* kept only when nothing came first */
    return out;
}

json_t *
dynamop_json_deep_copy(const json_t *v, struct dynamo_err *err)
{
    if (v == NULL) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "no JSON value to copy");
        return NULL;
    }
    return copy_value(v, 0, err);
}
