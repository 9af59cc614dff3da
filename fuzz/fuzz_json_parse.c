/*
 * fuzz_json_parse.c: the fast JSON readers (ext/json_parse.h) against
 * their references.  The input is a DynamoDB answer's body.  Promises
 * checked:
 * - dynamop_json_parse accepts exactly what json_loadb(JSON_REJECT_
 *   DUPLICATES | JSON_ALLOW_NUL) accepts, with values that dump to the same
 *   bytes (same key order, same reals, "\u0000" kept); the documented
 *   differences are let through: integers too big for a json_int_t (reals
 *   here, refused there), a NUL byte after a number or a literal (refused
 *   here, skipped there); a key holding "\u0000" (kept here, refused
 *   there) is held to jansson's value for the text with "\uE000" in its
 *   place, dumped with U+E000 written back as \u0000 (inputs holding
 *   U+E000 themselves are not compared);
 *   a refusal says where (at or before the byte where jansson stopped), in
 *   a line and column, and why;
 * - dynamop_answer_item_text gives the bytes dynamo_item_to_json_text
 *   makes of the item dynamop_decode_body parses, or fails with the same
 *   error code; for the input itself and for {"Item": input}, so that the
 *   fuzzer reaches the typed-item paths without having to find the name.
 */
#include <string.h>
#include <strings.h>

#include "json_parse.h"
#include "wire_response.h"
#include "fuzz.h"
#include "tests/common/nulswap.h"

#define LOAD_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)
/* json_dumps of V, with every U+E000 written as \u0000 when SWAPPED
 * (free()); NULL out of memory. */
static char *
dump(const json_t *v, int swapped)
{
    char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), *out;

    if (d == NULL || !swapped)
        return d;
    out = nulswap_out(d);
    free(d);
    return out;
}

static void
check_parse(const char *s, size_t len)
{
    struct dynamop_json_error e;
    json_error_t jerr;
    json_t *want = json_loadb(s, len, LOAD_FLAGS, &jerr);
    json_t *got = dynamop_json_parse(s, len, &e);
    int swapped = 0;

    if (want == NULL && json_error_code(&jerr) == json_error_null_byte_in_key) {
        char *copy = nulswap_in(s, len);

        if (copy == NULL) { /* U+E000 in the input: no reference */
            json_decref(got);
            return;
        }
        want = json_loadb(copy, len, LOAD_FLAGS, &jerr);
        free(copy);
        swapped = 1;
    }
    if (want != NULL && got == NULL && e.position < len && s[e.position] == '\0') {
        json_decref(want); /* the NUL jansson skips */
        return;
    }
    if (want != NULL) {
        char *a, *b;

        FUZZ_CHECK(got != NULL, "refused at byte %zu (%s), jansson accepts", e.position,
                   e.text);
        /* The dumps compare keys whole; json_equal stops them at a NUL. */
        a = dump(got, 0);
        b = dump(want, swapped);
        FUZZ_CHECK(a != NULL && b != NULL && strcmp(a, b) == 0, "dumps differ:\n%s\n%s",
                   a, b);
        free(a);
        free(b);
    } else if (!(json_error_code(&jerr) == json_error_numeric_overflow &&
                 strncmp(jerr.text, "too big", 7) == 0)) {
        FUZZ_CHECK(got == NULL, "accepted, jansson refuses: %s", jerr.text);
        FUZZ_CHECK(e.position <= len && e.line >= 1 && e.col >= 1 && e.text[0] != '\0',
                   "error without a place");
        FUZZ_CHECK(e.position <= (size_t)jerr.position,
                   "error at byte %zu (%s), jansson's at %d (%s)", e.position, e.text,
                   jerr.position, jerr.text);
    }
    json_decref(got);
    json_decref(want);
}

static void
check_text(const char *s, size_t len)
{
    struct dynamo_err want_err = {0}, got_err = {0};
    json_t *resp = dynamop_decode_body(s, len, &want_err);
    const json_t *item = resp != NULL ? json_object_get(resp, "Item") : NULL;
    char *want = item != NULL ? dynamo_item_to_json_text(item, &want_err) : NULL;
    char *got = NULL;
    size_t got_len = 0;
    int rc = dynamop_answer_item_text(s, len, "Item", &got, &got_len, &got_err);

    if (want_err.code != DYNAMO_OK) {
        FUZZ_CHECK(rc != 0 && got == NULL, "accepted, slow path says %s", want_err.text);
        FUZZ_CHECK(got_err.code == want_err.code, "code %d (%s), slow path %d (%s)",
                   got_err.code, got_err.text, want_err.code, want_err.text);
    } else {
        FUZZ_CHECK(rc == 0 && got_err.code == DYNAMO_OK, "refused: %s", got_err.text);
        FUZZ_CHECK((want == NULL) == (got == NULL), "item %s", got ? "invented" : "lost");
        if (want != NULL)
            FUZZ_CHECK(strcmp(got, want) == 0 && got_len == strlen(want),
                       "texts differ:\n%s\n%s", got, want);
    }
    free(got);
    free(want);
    json_decref(resp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char *wrapped = malloc(size + 9);

    check_parse(s, size);
    check_text(s, size);
    if (wrapped == NULL)
        return 0;
    memcpy(wrapped, "{\"Item\":", 8);
    memcpy(wrapped + 8, data, size);
    wrapped[size + 8] = '}';
    check_text(wrapped, size + 9);
    free(wrapped);
    return 0;
}
