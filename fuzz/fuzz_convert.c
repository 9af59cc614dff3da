/*
 * fuzz_convert.c: the plain JSON <-> typed item converters
 * (ext/dynamo_client.h).  The input is a request body.  Promises checked:
 * - dynamo_item_from_json_text accepts it, or refuses it with
 *   DYNAMO_ERR_INVALID and a message;
 * - an accepted item goes back to text (dynamo_item_to_json_text) and that
 *   text parses again to the same typed item and prints to the same bytes:
 *   the round trip is stable (numbers keep their exact text, strings and
 *   names holding U+0000 their length);
 * - an accepted item passes dynamo_item_validate, since the parser enforces
 *   DynamoDB's limits as it reads;
 * - the jansson-value converters (dynamo_item_to_plain, then
 *   dynamo_item_from_plain) run on it without crashing; numbers may lose
 *   precision there by design, so only the shape is compared.
 */
#include <string.h>

#include "ext/client/internal.h"
#include "fuzz.h"

static void
check_refusal(const struct dynamo_err *err)
{
    FUZZ_CHECK(err->code == DYNAMO_ERR_INVALID, "code %d: %s", err->code, err->text);
    FUZZ_CHECK(err->text[0] != '\0', "no message");
}

/* 1 when A and B dump to the same bytes: keys compared whole, in order
 * (json_equal looks keys up only up to a NUL). */
static int
same_dump(const json_t *a, const json_t *b)
{
    char *x = json_dumps(a, JSON_COMPACT), *y = json_dumps(b, JSON_COMPACT);
    int same = x != NULL && y != NULL && strcmp(x, y) == 0;

    free(x);
    free(y);
    return same;
}

/* Item -> text -> item -> text: same item, same bytes. */
static void
check_round_trip(const json_t *item)
{
    struct dynamo_err err = {0};
    char *text = dynamo_item_to_json_text(item, &err), *text2;
    json_t *again;

    FUZZ_CHECK(text != NULL, "to text: %s", err.text);
    again = dynamo_item_from_json_text(text, strlen(text), &err);
    FUZZ_CHECK(again != NULL, "own output refused: %s\n%s", err.text, text);
    FUZZ_CHECK(same_dump(item, again), "round trip changed the item:\n%s", text);
    text2 = dynamo_item_to_json_text(again, &err);
    FUZZ_CHECK(text2 != NULL, "to text again: %s", err.text);
    FUZZ_CHECK(strcmp(text, text2) == 0, "text not stable:\n%s\n%s", text, text2);
    free(text);
    free(text2);
    json_decref(again);
}

/* Typed -> plain -> typed: the same attribute names at the top, U+0000 in
 * them kept. */
static void
check_plain(const json_t *item)
{
    struct dynamo_err err = {0};
    json_t *plain = dynamo_item_to_plain(item, &err), *typed;
    void *it;

    FUZZ_CHECK(plain != NULL, "to plain: %s", err.text);
    FUZZ_CHECK(json_object_size(plain) == json_object_size(item), "sizes differ");
    typed = dynamo_item_from_plain(plain, &err);
    if (typed != NULL) {
        FUZZ_CHECK(json_object_size(typed) == json_object_size(item), "sizes differ");
        for (it = json_object_iter(typed); it != NULL;
             it = json_object_iter_next(typed, it))
            FUZZ_CHECK(json_object_getn(item, json_object_iter_key(it),
                                        json_object_iter_key_len(it)) != NULL,
                       "new attribute '%s'", json_object_iter_key(it));
        json_decref(typed);
    }
    json_decref(plain);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dynamo_err err = {0};
    json_t *item = dynamo_item_from_json_text((const char *)data, size, &err);

    if (item == NULL) {
        check_refusal(&err);
        return 0;
    }
    FUZZ_CHECK(json_is_object(item), "item is not an object");
    check_round_trip(item);
    FUZZ_CHECK(dynamo_item_validate(item, &err) == 0, "parsed item invalid: %s",
               err.text);
    check_plain(item);
    json_decref(item);
    return 0;
}
