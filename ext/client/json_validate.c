/*
 * validate.c: checking a typed item before it is sent.
 *
 * DynamoDB refuses, with a ValidationException after a round trip, what can
 * be seen locally: a malformed typed value, a number outside its range or
 * precision, an empty set or one with duplicates, an attribute name empty
 * or over 65535 bytes, nesting deeper than 32 levels, an item over 400 KB
 * ("Item sizes and formats" and "Supported data types" in the DynamoDB
 * developer guide).  Refusing them here costs no request and names the
 * attribute's path.  Strings and names are read by their length: they may
 * hold U+0000, which DynamoDB stores like any other character.
 */
#include <string.h>

#include "json_convert.h"

#define ITEM_MAX_BYTES (400u * 1024u)

struct check {
    struct dynamo_err *err;
    struct dynamop_path path;
    size_t size; /* item size so far, as "Item sizes and formats" counts it */
};

static int check_value(struct check *c, const json_t *typed, int depth);

static int
fail(struct check *c, const char *why)
{
    dynamop_path_err(c->err, DYNAMO_ERR_INVALID, &c->path, NULL, "%s", why);
    return -1;
}

static int
add_size(struct check *c, size_t n)
{
    c->size += n;
    return c->size > ITEM_MAX_BYTES ? fail(c, "item is larger than 400 KB") : 0;
}

static int
check_number(struct check *c, const char *s, size_t len)
{
    struct dynamop_num num;
    size_t bad;
    const char *why = dynamop_num_scan(s, len, &num, &bad);

    if (why == NULL)
        why = dynamop_num_limits(&num);
    return why != NULL ? fail(c, why) : add_size(c, dynamop_num_size(&num));
}

/* 1 when S (LEN bytes) is canonical base64 (RFC 4648 section 4). */
static int
is_base64(const char *s, size_t len)
{
    size_t i, pad = 0;

    if (len % 4 != 0)
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch == '=' && i >= len - 2)
            pad++;
        else if (pad > 0 || !((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                              (ch >= '0' && ch <= '9') || ch == '+' || ch == '/'))
            return 0;
    }
    return 1;
}

/* 1 when strings A and B hold the same bytes: compared by length, since
 * they may hold U+0000 ("a\0b" and "a\0c" differ). */
static int
same_string(const json_t *a, const json_t *b)
{
    size_t len = json_string_length(a);

    return len == json_string_length(b) &&
           memcmp(json_string_value(a), json_string_value(b), len) == 0;
}

/* A set: not empty, no duplicates, each element valid for its type. */
static int
check_set(struct check *c, const json_t *set, enum dynamop_type_tag tag)
{
    size_t n = json_array_size(set);

    if (n == 0)
        return fail(c, "a set cannot be empty");
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(set, i);
        const char *s = json_string_value(e);
        size_t len = json_string_length(e);

        for (size_t j = 0; j < i; j++)
            if (same_string(e, json_array_get(set, j)))
                return fail(c, "a set cannot hold the same value twice");
        if (tag == DYNAMOP_TAG_NS && check_number(c, s, len) != 0)
            return -1;
        if (tag == DYNAMOP_TAG_BS && !is_base64(s, len))
            return fail(c, "binary set element is not base64");
        if (tag != DYNAMOP_TAG_NS &&
            add_size(c, tag == DYNAMOP_TAG_BS ? len / 4 * 3 : len))
            return -1;
    }
    return 0;
}

/* The members of an item or map. */
static int
check_members(struct check *c, const json_t *obj, int depth)
{
    for (void *it = dynamop_iter(obj); it != NULL;
         it = json_object_iter_next((json_t *)obj, it)) {
        size_t klen = json_object_iter_key_len(it);
        int rc;

        dynamop_path_key(&c->path, json_object_iter_key(it), klen);
        /* Any bytes, U+0000 included, 1 to 65535 of them. */
        rc = klen == 0                 ? fail(c, "attribute name is empty")
             : klen > DYNAMOP_MAX_NAME ? fail(c, "attribute name longer than 65535 bytes")
                                       : add_size(c, klen + (depth > 0 ? 1 : 0));
        if (rc == 0)
            rc = check_value(c, json_object_iter_value(it), depth);
        c->path.n--;
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int
check_list(struct check *c, const json_t *list, int depth)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        int rc;

        dynamop_path_index(&c->path, i);
        rc = add_size(c, 1);
        if (rc == 0)
            rc = check_value(c, json_array_get(list, i), depth);
        c->path.n--;
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int
check_value(struct check *c, const json_t *typed, int depth)
{
    struct dynamo_err shape = {0};
    enum dynamop_type_tag tag;
    const json_t *v;

    /* The splitter reports a bad shape as a bad response (it also reads
     * answers); coming from the caller, it is an invalid argument. */
    if (dynamop_typed_split(typed, &tag, &v, &c->path, &shape) != 0) {
        shape.code = DYNAMO_ERR_INVALID;
        dynamop_err_copy(c->err, &shape);
        return -1;
    }
    switch (tag) {
    case DYNAMOP_TAG_S:
        return add_size(c, json_string_length(v));
    case DYNAMOP_TAG_B:
        return is_base64(json_string_value(v), json_string_length(v))
                   ? add_size(c, json_string_length(v) / 4 * 3)
                   : fail(c, "binary value is not base64");
    case DYNAMOP_TAG_N:
        return check_number(c, json_string_value(v), json_string_length(v));
    case DYNAMOP_TAG_BOOL:
    case DYNAMOP_TAG_NULL:
        return add_size(c, 1);
    case DYNAMOP_TAG_L:
    case DYNAMOP_TAG_M:
        if (depth >= DYNAMOP_MAX_DEPTH)
            return fail(c, "nested deeper than 32 levels");
        if (add_size(c, 3) != 0)
            return -1;
        return tag == DYNAMOP_TAG_L ? check_list(c, v, depth + 1)
                                    : check_members(c, v, depth + 1);
    default:
        return check_set(c, v, tag);
    }
}

int
dynamo_item_validate(const json_t *item, struct dynamo_err *err)
{
    struct check c = {.err = err};

    if (!json_is_object(item)) {
        dynamop_err_set(err, DYNAMO_ERR_INVALID, "an item must be a JSON object");
        return -1;
    }
    return check_members(&c, item, 0);
}
