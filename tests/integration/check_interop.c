/*
 * check_interop.c: items written by this client and read back by another
 * DynamoDB client, boto3, and the other way round, for every attribute
 * type (issue 3), against the DynamoDB Local that scripts/run-tests.sh
 * starts.
 *
 * boto3 runs as tests/integration/interop.py under Debian's python3 with
 * python3-boto3 (scripts/deps.sh installs both); without them the suite
 * fails, it never skips.
 *
 * "Identical" is checked two ways.  Against the item as written, by value:
 * the same attribute names and type tags, strings and binaries byte for
 * byte, sets in any order, numbers as exact decimals, never through a
 * double.  DynamoDB stores a number's value, not its text, and answers in
 * plain decimal notation: "-2.50" comes back "-2.5", "1E+2" "100", "1E-130"
 * as "0.000...01".  And between the two clients, by text: boto3 and this
 * client must read the very same typed item, numbers' text included.
 * Strings and names are compared by their length: they may hold U+0000.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dynamo_client.h"
#include "json_parse.h"
#include "testutil.h"

extern char **environ;

/* Debian's python3, where python3-boto3 installs boto3: not whatever
 * python3 comes first on PATH (pyenv, a virtualenv). */
#define PYTHON "/usr/bin/python3"
#define INTEROP "tests/integration/interop.py"
#define OUTPUT_MAX (4L << 20) /* interop.py prints one item: 400 KB at most */

/* The number every-type item's sort key is written as, and the same value
 * as DynamoDB answers it, which the readers look it up with. */
#define SORT_KEY_WRITTEN "1.2345678901234567890123456789012345678E+37"
#define SORT_KEY_READ "12345678901234567890123456789012345678"

/* ---- the two clients ----------------------------------------------- */

/* This client, with the credentials and region boto3 uses too. */
static struct dynamo_client *
new_client(void)
{
    struct dynamo_client_config cfg = {.region = tu_env("AWS_REGION"),
                                       .access_key_id = tu_env("AWS_ACCESS_KEY_ID"),
                                       .secret_access_key = tu_env("AWS_SECRET_ACCESS_KEY")};

    return tu_local_client(&cfg);
}

/* All of FD up to its end, NUL-terminated (new: free()). */
static char *
read_all(int fd)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    ssize_t n;

    ck_assert_ptr_nonnull(buf);
    while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        ck_assert_msg(len < (size_t)OUTPUT_MAX, "interop.py printed over %ld bytes",
                      OUTPUT_MAX);
        if (cap - len < 2) {
            buf = realloc(buf, cap *= 2);
            ck_assert_ptr_nonnull(buf);
        }
    }
    ck_assert_msg(n == 0, "read from interop.py: %s", strerror(errno));
    buf[len] = '\0';
    return buf;
}

/* Runs `interop.py CMD TABLE ARG`, its stdin IN (-1: this process's), and
 * returns what it printed (new: free()).  Fails the test when it cannot run
 * or exits non-zero; its stderr (a Python traceback, a missing boto3) goes
 * to the suite's log. */
static char *
boto3(const char *cmd, const char *table, const char *arg, int in)
{
    /* -B: no __pycache__ left in the source tree. */
    char *const argv[] = {(char *)PYTHON, (char *)"-B", (char *)INTEROP, (char *)cmd,
                          (char *)table,  (char *)arg,  NULL};
    posix_spawn_file_actions_t fa;
    int fds[2], status, rc;
    pid_t pid;
    char *out;

    ck_assert_msg(access(PYTHON, X_OK) == 0,
                  "%s: %s: the interop test needs Debian's python3 and python3-boto3 "
                  "(make deps installs them)",
                  PYTHON, strerror(errno));
    ck_assert_msg(access(INTEROP, R_OK) == 0,
                  "%s: %s: run the suite from the source tree", INTEROP, strerror(errno));
    ck_assert_int_eq(pipe(fds), 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    if (in >= 0)
        posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    rc = posix_spawn(&pid, PYTHON, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    ck_assert_msg(rc == 0, "posix_spawn %s: %s", PYTHON, strerror(rc));
    out = read_all(fds[0]);
    close(fds[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "interop.py %s %s failed (wait status %d; its stderr is above); "
                  "it printed: %.500s",
                  cmd, table, status, out);
    return out;
}

/* Runs `interop.py CMD TABLE -` with LEN bytes of TEXT as its stdin: a
 * temporary file, removed at once, so that nothing is left behind when
 * the test fails and no pipe can fill up. */
static void
boto3_put(const char *cmd, const char *table, const char *text, size_t len)
{
    const char *dir = getenv("TMPDIR");
    char path[512];
    int fd;

    snprintf(path, sizeof(path), "%s/interop-XXXXXX", dir != NULL && *dir ? dir : "/tmp");
    fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp %s: %s", path, strerror(errno));
    unlink(path);
    ck_assert_msg(write(fd, text, len) == (ssize_t)len, "write %s", path);
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    free(boto3(cmd, table, "-", fd));
    close(fd);
}

/* KEY read back through boto3: its typed item (new), or NULL when absent.
 * Its text is read with this library's JSON parser (checked against
 * jansson's in check_json_parse): jansson refuses a key holding "\u0000",
 * and attribute names may. */
static json_t *
boto3_get(const char *table, const json_t *key)
{
    char *key_text = json_dumps(key, JSON_COMPACT), *out;
    struct dynamop_json_error e;
    json_t *item = NULL;

    ck_assert_ptr_nonnull(key_text);
    out = boto3("get", table, key_text, -1);
    if (strcmp(out, "null\n") != 0) {
        item = dynamop_json_parse(out, strlen(out), &e);
        ck_assert_msg(item != NULL, "interop.py get printed no JSON (%s): %.500s", e.text,
                      out);
    }
    free(out);
    free(key_text);
    return item;
}

/* A PAY_PER_REQUEST table NAME keyed on HASH (of type HTYPE) and, when
 * RANGE is not NULL, RANGE (RTYPE); waits until it is ACTIVE. */
static void
make_table(struct dynamo_client *c, const char *name, const char *hash, const char *htype,
           const char *range, const char *rtype)
{
    struct dynamo_err err = {0};
    json_t *defs =
        json_pack("[{s:s, s:s}]", "AttributeName", hash, "AttributeType", htype);
    json_t *keys = json_pack("[{s:s, s:s}]", "AttributeName", hash, "KeyType", "HASH");
    json_t *req;

    if (range != NULL) {
        json_array_append_new(defs, json_pack("{s:s, s:s}", "AttributeName", range,
                                              "AttributeType", rtype));
        json_array_append_new(
            keys, json_pack("{s:s, s:s}", "AttributeName", range, "KeyType", "RANGE"));
    }
    req = json_pack("{s:s, s:o, s:o, s:s}", "TableName", name, "AttributeDefinitions",
                    defs, "KeySchema", keys, "BillingMode", "PAY_PER_REQUEST");
    ck_assert_ptr_nonnull(req);
    ck_assert_msg(dynamo_create_table(c, req, &err) == 0, "CreateTable: %s", err.text);
    json_decref(req);
    ck_assert_msg(dynamo_wait_table(c, name, 1, 30000, &err) == 0, "wait: %s", err.text);
}

static void
drop_table(struct dynamo_client *c, const char *name)
{
    struct dynamo_err err = {0};

    ck_assert_msg(dynamo_delete_table(c, name, &err) == 0, "DeleteTable: %s", err.text);
    ck_assert_msg(dynamo_wait_table(c, name, 0, 30000, &err) == 0, "wait: %s", err.text);
}

/* ---- exact comparison ---------------------------------------------- */

/* A number's value: -1^NEG x 0.DIGITS x 10^EXP, DIGITS without leading or
 * trailing zeros; zero is DIGITS "", NEG 0, EXP 0. */
struct decimal {
    int neg;
    long exp;
    char digits[400]; /* 1E-130 in plain notation has 131 digits */
};

/* Parses S, a number as DynamoDB takes it ([+-]digits[.digits][e[+-]digits],
 * digits on either side of the point), into D.  Returns 0, or -1 when S is
 * not a number or has over 399 digits. */
static int
decimal_parse(const char *s, struct decimal *d)
{
    size_t n = 0, lead;
    long point = -1, e = 0; /* the point stands after POINT digits */
    int eneg = 0;

    memset(d, 0, sizeof(*d));
    if (*s == '-' || *s == '+')
        d->neg = *s++ == '-';
    for (; isdigit((unsigned char)*s) || (*s == '.' && point < 0); s++) {
        if (*s == '.')
            point = (long)n;
        else if (n + 1 < sizeof(d->digits))
            d->digits[n++] = *s;
        else
            return -1;
    }
    if (n == 0)
        return -1;
    if (*s == 'e' || *s == 'E') {
        if (*++s == '-' || *s == '+')
            eneg = *s++ == '-';
        if (!isdigit((unsigned char)*s))
            return -1;
        for (; isdigit((unsigned char)*s) && e < 100000; s++)
            e = e * 10 + (*s - '0');
    }
    if (*s != '\0')
        return -1;
    if (point < 0)
        point = (long)n;
    lead = strspn(d->digits, "0");
    memmove(d->digits, d->digits + lead, n - lead + 1);
    for (n -= lead; n > 0 && d->digits[n - 1] == '0'; n--)
        d->digits[n - 1] = '\0';
    if (n == 0) {
        d->neg = 0; /* -0 is 0 */
        return 0;
    }
    d->exp = point - (long)lead + (eneg ? -e : e);
    return 0;
}

/* 1 when number texts A and B hold the same value. */
static int
same_number(const char *a, const char *b)
{
    struct decimal x, y;

    return decimal_parse(a, &x) == 0 && decimal_parse(b, &y) == 0 && x.neg == y.neg &&
           x.exp == y.exp && strcmp(x.digits, y.digits) == 0;
}

/* Base64 text S (standard alphabet, padded) decoded into a new buffer of
 * *LEN bytes (free()), or NULL when S is not such text. */
static unsigned char *
unbase64(const char *s, size_t *len)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s), i, out = 0;
    unsigned char *buf = malloc(n / 4 * 3 + 1);

    if (buf == NULL || n % 4 != 0)
        return free(buf), NULL;
    for (i = 0; i < n; i += 4) {
        unsigned long v = 0;
        int pad = 0;

        for (int j = 0; j < 4; j++) {
            const char *at = strchr(abc, s[i + j]);

            if (s[i + j] == '=' && i + 4 == n && j >= 2)
                pad++;
            else if (at == NULL || pad > 0) /* s[i + j] is not the NUL: i + j < n */
                return free(buf), NULL;
            v = v << 6 | (at != NULL ? (unsigned long)(at - abc) : 0);
        }
        for (int j = 0; j < 3 - pad; j++)
            buf[out++] = (unsigned char)(v >> (16 - 8 * j));
    }
    *len = out;
    return buf;
}

/* 1 when base64 texts A and B hold the same bytes. */
static int
same_bytes(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    unsigned char *x = unbase64(a, &na), *y = unbase64(b, &nb);
    int same = x != NULL && y != NULL && na == nb && memcmp(x, y, na) == 0;

    free(x);
    free(y);
    return same;
}

/* 1 when A and B, two scalar values of type KIND ('S', 'N' or 'B': a
 * string, a number's text, base64 text), are the same. */
static int
same_scalar(char kind, const json_t *a, const json_t *b)
{
    if (!json_is_string(a) || !json_is_string(b))
        return 0;
    if (kind == 'N')
        return same_number(json_string_value(a), json_string_value(b));
    if (kind == 'B')
        return same_bytes(json_string_value(a), json_string_value(b));
    return json_string_length(a) == json_string_length(b) &&
           memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
}

/* Writes "PATH: what" into WHY (N bytes); returns 0, "not the same". */
static int differ(char *why, size_t n, const char *path, const char *fmt, ...)
    DYNAMO_PRINTF(4, 5);

static int
differ(char *why, size_t n, const char *path, const char *fmt, ...)
{
    va_list ap;
    int used = snprintf(why, n, "%s: ", path);

    va_start(ap, fmt);
    if (used >= 0 && (size_t)used < n)
        vsnprintf(why + used, n - (size_t)used, fmt, ap);
    va_end(ap);
    return 0;
}

/* How many members of SET (of KIND) equal X. */
static size_t
count_in(char kind, const json_t *set, const json_t *x)
{
    size_t i, count = 0;
    json_t *m;

    json_array_foreach(set, i, m)
    {
        count += (size_t)same_scalar(kind, m, x);
    }
    return count;
}

/* 1 when sets A and B (of KIND) have the same members in any order. */
static int
same_set(char kind, const json_t *a, const json_t *b, const char *path, char *why,
         size_t n)
{
    size_t i;
    json_t *x;

    if (!json_is_array(a) || !json_is_array(b) ||
        json_array_size(a) != json_array_size(b))
        return differ(why, n, path, "%zu members, read back with %zu", json_array_size(a),
                      json_array_size(b));
    json_array_foreach(a, i, x)
    {
        if (count_in(kind, a, x) != count_in(kind, b, x))
            return differ(why, n, path, "member %.200s not read back",
                          json_string_value(x));
    }
    return 1;
}

static int same_item(const json_t *a, const json_t *b, const char *path, char *why,
                     size_t n);

/* 1 when typed values A ({"TAG": value}) and B hold the same value, as the
 * file's comment says; else 0 with WHY naming PATH and the difference. */
static int
same_value(const json_t *a, const json_t *b, const char *path, char *why, size_t n)
{
    const char *ta, *tb;
    json_t *va, *vb, *x;
    char sub[1024];
    size_t i;

    if (json_object_size(a) != 1 || json_object_size(b) != 1)
        return differ(why, n, path, "not a typed value");
    ta = json_object_iter_key(json_object_iter((json_t *)a));
    tb = json_object_iter_key(json_object_iter((json_t *)b));
    va = json_object_iter_value(json_object_iter((json_t *)a));
    vb = json_object_iter_value(json_object_iter((json_t *)b));
    /* A tag never holds a NUL: one that does is no tag. */
    if (strlen(ta) != json_object_iter_key_len(json_object_iter((json_t *)a)) ||
        strlen(tb) != json_object_iter_key_len(json_object_iter((json_t *)b)))
        return differ(why, n, path, "a type tag holds a NUL");
    if (strcmp(ta, tb) != 0)
        return differ(why, n, path, "type %s, read back as %s", ta, tb);
    if (strcmp(ta, "S") == 0 || strcmp(ta, "N") == 0 || strcmp(ta, "B") == 0)
        return same_scalar(ta[0], va, vb)
                   ? 1
                   : differ(why, n, path, "%s \"%.200s\", read back as \"%.200s\"", ta,
                            json_string_value(va), json_string_value(vb));
    if (strcmp(ta, "BOOL") == 0 || strcmp(ta, "NULL") == 0)
        return json_is_boolean(va) && json_equal(va, vb)
                   ? 1
                   : differ(why, n, path, "%s changed", ta);
    if (strcmp(ta, "SS") == 0 || strcmp(ta, "NS") == 0 || strcmp(ta, "BS") == 0)
        return same_set(ta[0], va, vb, path, why, n);
    if (strcmp(ta, "M") == 0)
        return same_item(va, vb, path, why, n);
    if (strcmp(ta, "L") != 0 || !json_is_array(va) || !json_is_array(vb))
        return differ(why, n, path, "unknown type %s", ta);
    if (json_array_size(va) != json_array_size(vb))
        return differ(why, n, path, "%zu elements, read back with %zu",
                      json_array_size(va), json_array_size(vb));
    json_array_foreach(va, i, x)
    {
        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        if (!same_value(x, json_array_get(vb, i), sub, why, n))
            return 0;
    }
    return 1;
}

/* PATH.NAME (NAME: LEN bytes, a NUL and other control bytes written \xNN)
 * into OUT (SIZE bytes, cut to fit). */
static void
sub_path(char *out, size_t size, const char *path, const char *name, size_t len)
{
    size_t o = (size_t)snprintf(out, size, "%s.", path);

    for (size_t i = 0; i < len && o + 5 < size; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c < 0x20)
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o < size ? o : size - 1] = '\0';
}

/* 1 when items (or M values) A and B have the same attribute names, byte
 * for byte, and values; else 0 with WHY. */
static int
same_item(const json_t *a, const json_t *b, const char *path, char *why, size_t n)
{
    char sub[1024];
    void *it;

    if (!json_is_object(a) || !json_is_object(b))
        return differ(why, n, path, "not an object");
    for (it = json_object_iter((json_t *)a); it != NULL;
         it = json_object_iter_next((json_t *)a, it)) {
        const char *name = json_object_iter_key(it);
        size_t len = json_object_iter_key_len(it);
        const json_t *vb = json_object_getn(b, name, len);

        sub_path(sub, sizeof(sub), path, name, len);
        if (vb == NULL)
            return differ(why, n, sub, "not read back");
        if (!same_value(json_object_iter_value(it), vb, sub, why, n))
            return 0;
    }
    for (it = json_object_iter((json_t *)b); it != NULL;
         it = json_object_iter_next((json_t *)b, it)) {
        const char *name = json_object_iter_key(it);
        size_t len = json_object_iter_key_len(it);

        sub_path(sub, sizeof(sub), path, name, len);
        if (json_object_getn(a, name, len) == NULL)
            return differ(why, n, sub, "read back, never written");
    }
    return 1;
}

/* ---- the items ------------------------------------------------------ */

/* Every type DynamoDB has, at the edges of what it takes.  Binaries, as
 * bytes: b 00 FF 80 C3 28 FE 01 7F (no UTF-8), l's 00, m's FF, bs 00 /
 * FF FE / 00 FF 00 / 80 80 80. */
static const char every_type_text[] =
    "{\"s\": {\"S\": \"hello\"},"
    " \"s_utf8\": {\"S\": \"café ☕ 日本語 עברית 😀\"},"
    " \"s_empty\": {\"S\": \"\"},"
    " \"n_38\": {\"N\": \"12345678901234567890123456789012345678\"},"
    " \"n_neg_38\": {\"N\": \"-98765432109876543210987654321098765432\"},"
    " \"n_frac_38\": {\"N\": \"-0.12345678901234567890123456789012345678\"},"
    " \"n_max\": {\"N\": \"9.9999999999999999999999999999999999999E+125\"},"
    " \"n_min\": {\"N\": \"-9.9999999999999999999999999999999999999E+125\"},"
    " \"n_big\": {\"N\": \"1E+125\"},"
    " \"n_tiny\": {\"N\": \"1E-130\"},"
    " \"n_neg_tiny\": {\"N\": \"-1E-130\"},"
    " \"n_zero\": {\"N\": \"0\"},"
    " \"n_neg_dec\": {\"N\": \"-2.50\"},"
    " \"n_exp\": {\"N\": \"1.5E-7\"},"
    " \"n_hundred\": {\"N\": \"1E+2\"},"
    " \"b\": {\"B\": \"AP+Awyj+AX8=\"},"
    " \"b_empty\": {\"B\": \"\"},"
    " \"t\": {\"BOOL\": true}, \"f\": {\"BOOL\": false}, \"nul\": {\"NULL\": true},"
    " \"l\": {\"L\": [{\"S\": \"x\"}, {\"N\": \"-1.5E+3\"}, {\"BOOL\": false},"
    "   {\"NULL\": true}, {\"B\": \"AA==\"}, {\"L\": []}, {\"M\": {}}, {\"SS\": [\"a\"]},"
    "   {\"L\": [{\"L\": [{\"N\": \"12345678901234567890123456789012345678\"}]}]}]},"
    " \"m\": {\"M\": {\"d1\": {\"M\": {\"d2\": {\"M\": {\"d3\": {\"M\": {\"d4\": {\"M\":"
    "   {\"d5\": {\"L\": [{\"M\": {\"n\": {\"N\": "
    "\"-0.00000000000000000000000000000000000001\"},"
    "   \"b\": {\"B\": \"/w==\"}, \"ns\": {\"NS\": [\"1\", \"2\"]}}}]}}}}}}}}},"
    "   \"ü\": {\"S\": \"sibling\"}}},"
    " \"m_empty\": {\"M\": {}}, \"l_empty\": {\"L\": []},"
    " \"ss\": {\"SS\": [\"b\", \"a\", \"café\", \"😀\", \" \"]},"
    " \"ns\": {\"NS\": [\"1\", \"-1\", \"12345678901234567890123456789012345678\","
    "   \"-9.9999999999999999999999999999999999999E+125\", \"1E-130\", \"0.5\", \"0\"]},"
    " \"bs\": {\"BS\": [\"AA==\", \"//4=\", \"AP8A\", \"gICA\"]},"
    " \"ünïcødé name, with spaces.and.dots\": {\"S\": \"names too\"}}";

/* A string of LEN bytes: ASCII, 2-, 3- and 4-byte UTF-8 in turn. */
static json_t *
long_string(size_t len)
{
    static const char unit[] = "ab é € 😀 ";
    char *s = malloc(len + 1);
    json_t *v;
    size_t n = 0;

    ck_assert_ptr_nonnull(s);
    while (n + sizeof(unit) - 1 <= len) {
        memcpy(s + n, unit, sizeof(unit) - 1);
        n += sizeof(unit) - 1;
    }
    v = json_stringn(s, n);
    free(s);
    return v;
}

/* The every-type item, its partition key (a binary) PK in base64 and its
 * sort key SORT_KEY_WRITTEN; new. */
static json_t *
every_type_item(const char *pk)
{
    json_error_t jerr;
    json_t *item = json_loads(every_type_text, 0, &jerr);

    ck_assert_msg(item != NULL, "every_type_text: %s at %d", jerr.text, jerr.position);
    json_object_set_new(item, "pk", json_pack("{s:s}", "B", pk));
    json_object_set_new(item, "sk", json_pack("{s:s}", "N", SORT_KEY_WRITTEN));
    /* Every escape JSON has, control characters, DEL, U+2028 (JavaScript's
     * line separator). */
    json_object_set_new(item, "s_escapes",
                        json_pack("{s:s}", "S",
                                  "tab\t nl\n cr\r quote\" backslash\\ slash/ \x01 \x1f "
                                  "\x7f \xe2\x80\xa8 end"));
    json_object_set_new(item, "s_long", json_pack("{s:o}", "S", long_string(100000)));
    return item;
}

/* The every-type item's key for PK, its sort key as DynamoDB answers it. */
static json_t *
every_type_key(const char *pk)
{
    return json_pack("{s:{s:s}, s:{s:s}}", "pk", "B", pk, "sk", "N", SORT_KEY_READ);
}

/* Fails the test with both texts when items A and B differ in any byte
 * (keys compared whole: json_equal stops them at a NUL). */
static void
assert_same_text(const json_t *a, const json_t *b, const char *what)
{
    char *x, *y;

    if (tu_json_equal(a, b))
        return;
    x = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    y = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
    ck_abort_msg("%s:\n%.2000s\n%.2000s", what, x, y);
}

/* Reads KEY of TABLE back through boto3 and through this client (the typed
 * and the plain text GetItem), and checks that both hold WRITTEN's values
 * and read the very same typed item. */
static void
check_read_back(struct dynamo_client *c, const char *table, const json_t *key,
                const json_t *written)
{
    struct dynamo_item_opts strong = {.consistent_read = 1};
    struct dynamo_err err = {0};
    json_t *theirs = boto3_get(table, key), *ours = NULL;
    char why[1024], *plain = NULL, *want;

    ck_assert_msg(theirs != NULL, "boto3 read no item");
    ck_assert_msg(same_item(written, theirs, "item", why, sizeof(why)),
                  "boto3 read back another item: %s", why);
    ck_assert_msg(dynamo_get_item(c, table, key, &strong, &ours, &err) == 0, "get: %s",
                  err.text);
    ck_assert_msg(ours != NULL, "this client read no item");
    ck_assert_msg(same_item(written, ours, "item", why, sizeof(why)),
                  "this client read back another item: %s", why);
    assert_same_text(theirs, ours, "boto3 and this client read different items");
    /* The one-pass plain text GetItem agrees with the jansson converter. */
    ck_assert_msg(dynamo_get_item_text(c, table, key, &strong, &plain, NULL, &err) == 0,
                  "get text: %s", err.text);
    want = dynamo_item_to_json_text(ours, &err);
    ck_assert_msg(plain != NULL && want != NULL, "%s", err.text);
    ck_assert_str_eq(plain, want);
    free(plain);
    free(want);
    json_decref(ours);
    json_decref(theirs);
}

/* ---- typed items, both ways ---------------------------------------- */

START_TEST(test_this_client_writes_boto3_reads)
{
    struct dynamo_client *c = new_client();
    struct dynamo_err err = {0};
    const char *pk = "AP9j"; /* 00 FF 'c' */
    json_t *item = every_type_item(pk), *key = every_type_key(pk);
    char table[64];

    tu_unique("it-interop", table, sizeof(table));
    make_table(c, table, "pk", "B", "sk", "N");
    ck_assert_msg(dynamo_put_item(c, table, item, NULL, NULL, &err) == 0, "put: %s",
                  err.text);
    check_read_back(c, table, key, item);
    drop_table(c, table);
    json_decref(key);
    json_decref(item);
    dynamo_client_free(c);
}
END_TEST

START_TEST(test_boto3_writes_this_client_reads)
{
    struct dynamo_client *c = new_client();
    const char *pk = "AP9w"; /* 00 FF 'p' */
    json_t *item = every_type_item(pk), *key = every_type_key(pk);
    char *text = json_dumps(item, JSON_COMPACT), table[64];

    ck_assert_ptr_nonnull(text);
    tu_unique("it-interop", table, sizeof(table));
    make_table(c, table, "pk", "B", "sk", "N");
    boto3_put("put", table, text, strlen(text));
    check_read_back(c, table, key, item);
    drop_table(c, table);
    free(text);
    json_decref(key);
    json_decref(item);
    dynamo_client_free(c);
}
END_TEST

/* ---- strings holding U+0000, both ways ------------------------------ */

/* {"S": the LEN bytes at S}, new. */
static json_t *
nul_s(const char *s, size_t len)
{
    return json_pack("{s:s%}", "S", s, len);
}

/* An item whose strings and names hold U+0000, which DynamoDB stores: in
 * its key (ID, LEN bytes), an S, an S of NULs only, SS members that differ
 * only after a NUL (and one that is their prefix), names "n" and "n\0" side
 * by side, a name that is a NUL, map keys, nested in L and M.  New. */
static json_t *
nul_item(const char *id, size_t len)
{
    json_t *item = json_object(), *m = json_object(), *deep = json_object();

    json_object_set_new(item, "id", nul_s(id, len));
    json_object_set_new(item, "s", nul_s("a\0b", 3));
    json_object_set_new(item, "zeros", nul_s("\0\0", 2));
    json_object_set_new(item, "ss", json_pack("{s:[s%,s%,s,s%]}", "SS", "a\0b", (size_t)3,
                                              "a\0c", (size_t)3, "a", "\0", (size_t)1));
    json_object_set_new(item, "n", nul_s("plain name", 10));
    json_object_setn_new(item, "n\0", 2, nul_s("a name with a NUL", 17));
    json_object_setn_new(item, "\0", 1, json_pack("{s:s}", "N", "1"));
    json_object_setn_new(deep, "\0\0", 2, nul_s("x\0", 2));
    json_object_setn_new(m, "k\0", 2,
                         json_pack("{s:[o,{s:o}]}", "L", nul_s("\0", 1), "M", deep));
    json_object_set_new(item, "m", json_pack("{s:o}", "M", m));
    return item;
}

/* Reads the NUL item of TABLE back (check_read_back), and checks that the
 * plain text writes each NUL as \u0000. */
static void
check_nul_read_back(struct dynamo_client *c, const char *table, const char *id, size_t len)
{
    struct dynamo_item_opts strong = {.consistent_read = 1};
    struct dynamo_err err = {0};
    json_t *item = nul_item(id, len), *key = json_pack("{s:o}", "id", nul_s(id, len));
    char *plain = NULL;

    check_read_back(c, table, key, item);
    ck_assert_msg(dynamo_get_item_text(c, table, key, &strong, &plain, NULL, &err) == 0,
                  "get text: %s", err.text);
    ck_assert_ptr_nonnull(plain);
    ck_assert_msg(strstr(plain, "\"s\":\"a\\u0000b\"") != NULL &&
                      strstr(plain, "\"n\\u0000\":\"a name with a NUL\"") != NULL &&
                      strstr(plain, "\"k\\u0000\":[\"\\u0000\",{\"\\u0000\\u0000\":\"x\\u0000\"}]") !=
                          NULL,
                  "%s", plain);
    free(plain);
    json_decref(key);
    json_decref(item);
}

START_TEST(test_nul_this_client_writes_boto3_reads)
{
    struct dynamo_client *c = new_client();
    struct dynamo_err err = {0};
    json_t *item = nul_item("c\0key", 5);
    char table[64];

    tu_unique("it-interop", table, sizeof(table));
    make_table(c, table, "id", "S", NULL, NULL);
    ck_assert_msg(dynamo_put_item(c, table, item, NULL, NULL, &err) == 0, "put: %s",
                  err.text);
    check_nul_read_back(c, table, "c\0key", 5);
    drop_table(c, table);
    json_decref(item);
    dynamo_client_free(c);
}
END_TEST

START_TEST(test_nul_boto3_writes_this_client_reads)
{
    struct dynamo_client *c = new_client();
    json_t *item = nul_item("p\0key", 5);
    char *text = json_dumps(item, JSON_COMPACT), table[64];

    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "\"n\\u0000\""));
    tu_unique("it-interop", table, sizeof(table));
    make_table(c, table, "id", "S", NULL, NULL);
    boto3_put("put", table, text, strlen(text));
    check_nul_read_back(c, table, "p\0key", 5);
    drop_table(c, table);
    free(text);
    json_decref(item);
    dynamo_client_free(c);
}
END_TEST

/* ---- plain JSON, both ways ----------------------------------------- */

/* A plain JSON object as an application holds one: 38-digit and extreme
 * numbers, in every notation JSON has. */
static const char plain_fmt[] =
    "{\"id\":\"%s\",\"n38\":12345678901234567890123456789012345678,"
    "\"n38neg\":-0.12345678901234567890123456789012345678,"
    "\"max\":9.9999999999999999999999999999999999999E+125,\"tiny\":-1E-130,"
    "\"dec\":-2.50,\"exp\":1.5e-7,\"hundred\":1E2,\"zero\":0,"
    "\"s\":\"café ☕ 😀\",\"empty\":\"\",\"esc\":\"tab\\t \\\"q\\\" \\\\ \\u0001\","
    "\"t\":true,\"f\":false,\"nul\":null,\"l\":[1,\"x\",[],{},[null,[true]]],"
    "\"m\":{\"a\":{\"b\":{\"c\":[12345678901234567890123456789012345678]}}},"
    "\"s0\":\"a\\u0000b\",\"s0\\u0000\":{\"\\u0000\":[\"\\u0000\\u0000\"]}}";

/* Reads item ID of TABLE back as plain JSON through boto3's resource-layer
 * types (Decimal numbers) and through this client's plain text GetItem,
 * and checks both against TEXT, the plain item written, by value. */
static void
check_plain_read_back(struct dynamo_client *c, const char *table, const char *id,
                      const char *text)
{
    struct dynamo_item_opts strong = {.consistent_read = 1};
    struct dynamo_err err = {0};
    json_t *key = json_pack("{s:{s:s}}", "id", "S", id), *written, *theirs, *ours;
    char *key_text = json_dumps(key, JSON_COMPACT), *out, *plain = NULL, why[1024];

    written = dynamo_item_from_json_text(text, strlen(text), &err);
    ck_assert_msg(written != NULL, "%s", err.text);
    out = boto3("get-plain", table, key_text, -1);
    theirs = dynamo_item_from_json_text(out, strlen(out), &err);
    ck_assert_msg(theirs != NULL, "boto3's plain item: %s: %.500s", err.text, out);
    ck_assert_msg(same_item(written, theirs, "item", why, sizeof(why)),
                  "boto3 read back another item: %s", why);
    ck_assert_msg(dynamo_get_item_text(c, table, key, &strong, &plain, NULL, &err) == 0,
                  "get text: %s", err.text);
    ck_assert_msg(plain != NULL, "this client read no item");
    ours = dynamo_item_from_json_text(plain, strlen(plain), &err);
    ck_assert_msg(ours != NULL, "%s", err.text);
    ck_assert_msg(same_item(written, ours, "item", why, sizeof(why)),
                  "this client read back another item: %s", why);
    json_decref(ours);
    json_decref(theirs);
    json_decref(written);
    json_decref(key);
    free(plain);
    free(out);
    free(key_text);
}

START_TEST(test_plain_this_client_writes_boto3_reads)
{
    struct dynamo_client *c = new_client();
    struct dynamo_err err = {0};
    char table[64], text[2048];
    json_t *item;

    snprintf(text, sizeof(text), plain_fmt, "from-c");
    item = dynamo_item_from_json_text(text, strlen(text), &err);
    ck_assert_msg(item != NULL, "%s", err.text);
    tu_unique("it-interop", table, sizeof(table));
    make_table(c, table, "id", "S", NULL, NULL);
    ck_assert_msg(dynamo_put_item(c, table, item, NULL, NULL, &err) == 0, "put: %s",
                  err.text);
    check_plain_read_back(c, table, "from-c", text);
    drop_table(c, table);
    json_decref(item);
    dynamo_client_free(c);
}
END_TEST

START_TEST(test_plain_boto3_writes_this_client_reads)
{
    struct dynamo_client *c = new_client();
    char table[64], text[2048];

    snprintf(text, sizeof(text), plain_fmt, "from-boto3");
    tu_unique("it-interop", table, sizeof(table));
    make_table(c, table, "id", "S", NULL, NULL);
    boto3_put("put-plain", table, text, strlen(text));
    check_plain_read_back(c, table, "from-boto3", text);
    drop_table(c, table);
    dynamo_client_free(c);
}
END_TEST

/* ---- the comparison itself ----------------------------------------- */

/* The comparison must tell apart what it should, or every check above
 * passes for nothing. */
START_TEST(test_comparison_tells_apart)
{
    static const char *const same[][2] = {
        {"2.50", "2.5"},
        {"1E+2", "100"},
        {"-0", "0"},
        {"0.0", "0E+10"},
        {"1.5E-7", "0.00000015"},
        {"1E+125", "1"
                   "0000000000000000000000000000000000000000"
                   "0000000000000000000000000000000000000000"
                   "000000000000000000000000000000000000000000000"},
        {"-0.012", "-1.2e-2"},
        {"000123", "123"},
    };
    static const char *const apart[][2] = {
        {"1", "-1"},
        {"1", "10"},
        {"0.1", "1"},
        {"12345678901234567890123456789012345678",
         "12345678901234567890123456789012345679"},
        {"1E-130", "0"},
        {"1", "x"},
        {"1e", "1"},
    };
    json_error_t jerr;
    json_t *a = json_loads(every_type_text, 0, &jerr), *b;
    char why[1024];

    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        ck_assert_msg(same_number(same[i][0], same[i][1]), "%s != %s", same[i][0],
                      same[i][1]);
    for (size_t i = 0; i < sizeof(apart) / sizeof(apart[0]); i++)
        ck_assert_msg(!same_number(apart[i][0], apart[i][1]), "%s == %s", apart[i][0],
                      apart[i][1]);
    ck_assert(same_bytes("AP+Awyj+AX8=", "AP+Awyj+AX8="));
    ck_assert(!same_bytes("AA==", "AAA="));
    ck_assert(!same_bytes("AA==", "A==="));
    ck_assert_ptr_nonnull(a);
    b = json_deep_copy(a);
    ck_assert(same_item(a, b, "item", why, sizeof(why)));
    /* A set in another order is the same set. */
    json_array_insert_new(json_object_get(json_object_get(b, "ss"), "SS"), 0,
                          json_string(" "));
    json_array_remove(json_object_get(json_object_get(b, "ss"), "SS"), 5);
    ck_assert_msg(same_item(a, b, "item", why, sizeof(why)), "%s", why);
    /* One byte deep down is not. */
    json_object_set_new(json_object_get(json_object_get(b, "m"), "M"), "ü",
                        json_pack("{s:s}", "S", "siblinG"));
    ck_assert(!same_item(a, b, "item", why, sizeof(why)));
    ck_assert_msg(strstr(why, "item.m.ü") != NULL, "%s", why);
    json_decref(b);
    /* Nor is a string read back as a number, or a missing attribute. */
    b = json_deep_copy(a);
    json_object_set_new(b, "n_zero", json_pack("{s:s}", "S", "0"));
    ck_assert(!same_item(a, b, "item", why, sizeof(why)));
    json_object_del(b, "n_zero");
    ck_assert(!same_item(a, b, "item", why, sizeof(why)));
    json_decref(b);
    json_decref(a);

    /* Strings and names are compared whole, past a NUL. */
    a = nul_item("k", 1);
    b = nul_item("k", 1);
    ck_assert_msg(same_item(a, b, "item", why, sizeof(why)), "%s", why);
    json_object_set_new(b, "s", nul_s("a\0c", 3));
    ck_assert(!same_item(a, b, "item", why, sizeof(why)));
    json_object_set_new(b, "s", nul_s("a", 1));
    ck_assert(!same_item(a, b, "item", why, sizeof(why)));
    json_decref(b);
    b = nul_item("k", 1);
    json_object_setn_new(b, "n\0x", 3, json_incref(json_object_getn(b, "n\0", 2)));
    json_object_deln(b, "n\0", 2);
    ck_assert(!same_item(a, b, "item", why, sizeof(why)));
    ck_assert_msg(strstr(why, "item.n\\x00") != NULL, "%s", why);
    json_decref(b);
    b = nul_item("k", 1);
    json_array_set_new(json_object_get(json_object_get(b, "ss"), "SS"), 0,
                       json_stringn("a\0d", 3));
    ck_assert(!same_item(a, b, "item", why, sizeof(why)));
    json_decref(b);
    json_decref(a);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("interop");
    TCase *tc = tcase_create("boto3");

    tcase_add_checked_fixture(tc, NULL, tu_leak_check);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_comparison_tells_apart);
    tcase_add_test(tc, test_this_client_writes_boto3_reads);
    tcase_add_test(tc, test_boto3_writes_this_client_reads);
    tcase_add_test(tc, test_nul_this_client_writes_boto3_reads);
    tcase_add_test(tc, test_nul_boto3_writes_this_client_reads);
    tcase_add_test(tc, test_plain_this_client_writes_boto3_reads);
    tcase_add_test(tc, test_plain_boto3_writes_this_client_reads);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
