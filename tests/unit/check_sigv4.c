/*
 * check_sigv4.c: the SigV4 signer against AWS's test vectors, plus the key
 * cache, the date format, bad input and a chaos run of allocation failures.
 *
 * The vectors live in $SIGV4_SUITE (default ../shared/sigv4-test-suite, from
 * the repository root).  Every case folder is a loop iteration; a missing
 * folder or fewer than 38 cases is a failure, never a skip.  The byte format
 * of the folders is described in that folder's README.md.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <check.h>
#include <jansson.h>
#include <openssl/evp.h>

/* By path: -Icore comes first and core/ has an internal.h of its own. */
#include "ext/client/internal.h"
#include "auth_sigv4.h"

#define SUITE_DEFAULT "../shared/sigv4-test-suite"
#define CASES_EXPECTED 38
#define MAX_CASES 128
#define MAX_HEADERS 40
/* More headers than sigv4.c sorts on the stack, so the heap path runs. */
#define STACK_HEADERS_TEST 40

static char suite_dir[PATH_MAX];
static char case_names[MAX_CASES][256];
static int ncases;
static int too_many_cases;

/* ---- the suite folder ---------------------------------------------------- */

static int
name_order(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Lists every case folder into case_names (sorted); runs before the suite,
 * so the loop test knows how many iterations to add. */
static void
load_case_names(void)
{
    const char *env = getenv("SIGV4_SUITE");
    char path[PATH_MAX + 256];
    struct dirent *de;
    struct stat st;
    DIR *dir;

    snprintf(suite_dir, sizeof(suite_dir), "%s", env && *env ? env : SUITE_DEFAULT);
    if ((dir = opendir(suite_dir)) == NULL)
        return;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", suite_dir, de->d_name);
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (ncases == MAX_CASES) {
            too_many_cases = 1;
            break;
        }
        snprintf(case_names[ncases++], sizeof(case_names[0]), "%s", de->d_name);
    }
    closedir(dir);
    qsort(case_names, (size_t)ncases, sizeof(case_names[0]), name_order);
}

/* Whole file, NUL-terminated (malloc'd), or NULL. */
static char *
slurp(const char *name, const char *file, size_t *len)
{
    char path[PATH_MAX + 512];
    char *buf = NULL;
    long size;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s/%s", suite_dir, name, file);
    if ((fp = fopen(path, "rb")) == NULL)
        return NULL;
    if (fseek(fp, 0, SEEK_END) == 0 && (size = ftell(fp)) >= 0 &&
        fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) != NULL) {
        if (fread(buf, 1, (size_t)size, fp) != (size_t)size) {
            free(buf);
            buf = NULL;
        } else {
            buf[size] = '\0';
            if (len != NULL)
                *len = (size_t)size;
        }
    }
    fclose(fp);
    return buf;
}

/* ---- one vector ------------------------------------------------------------ */

struct vector {
    const char *name;
    char *raw; /* request.txt, cut in place */
    json_t *ctx;
    struct dynamop_header headers[MAX_HEADERS];
    struct dynamop_sigv4_request req;
    struct dynamop_sigv4_creds creds;
    const char *region, *service;
    char amz_date[17];
    char body_hash[65];
};

static void
add_header(struct vector *v, const char *name, const char *value)
{
    ck_assert_msg(v->req.nheaders < MAX_HEADERS, "%s: too many headers", v->name);
    v->headers[v->req.nheaders].name = name;
    v->headers[v->req.nheaders++].value = value;
}

/* "METHOD SP target SP HTTP/1.1": the target may hold spaces (get-space-*),
 * so it ends at the last space.  Returns the first header line. */
static char *
parse_request_line(struct vector *v, char *text)
{
    char *eol = strchr(text, '\n'), *sp1, *sp2, *q;

    ck_assert_msg(eol != NULL, "%s: request.txt has no request line", v->name);
    *eol = '\0';
    sp1 = strchr(text, ' ');
    sp2 = strrchr(text, ' ');
    ck_assert_msg(sp1 != NULL && sp1 < sp2, "%s: bad request line", v->name);
    *sp1 = *sp2 = '\0';
    v->req.method = text;
    v->req.path = sp1 + 1;
    if ((q = strchr(sp1 + 1, '?')) != NULL) {
        *q = '\0';
        v->req.query = q + 1;
    }
    return eol + 1;
}

/* Headers "Name:value"; a line starting with a blank continues the value
 * (obs-fold), kept as raw "\n  " for the signer to fold.  Then the body. */
static void
parse_request(struct vector *v, size_t len)
{
    char *end = v->raw + len, *p = parse_request_line(v, v->raw), *colon, *e;

    while (p < end && *p != '\n') {
        colon = strchr(p, ':');
        ck_assert_msg(colon != NULL, "%s: header line without ':'", v->name);
        *colon = '\0';
        e = strchr(colon + 1, '\n');
        while (e != NULL && (e[1] == ' ' || e[1] == '\t'))
            e = strchr(e + 1, '\n');
        e = e != NULL ? e : end;
        *e = '\0';
        add_header(v, p, colon + 1);
        p = e < end ? e + 1 : end;
    }
    v->req.body = p < end ? p + 1 : "";
    v->req.body_len = p < end ? (size_t)(end - p - 1) : 0;
}

/* X-Amz-Date from the timestamp, through dynamop_sigv4_amz_date. */
static void
set_date(struct vector *v, const char *timestamp)
{
    struct tm tm = {0};

    ck_assert_msg(sscanf(timestamp, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon,
                         &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6,
                  "%s: bad timestamp %s", v->name, timestamp);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    dynamop_sigv4_amz_date(timegm(&tm), v->amz_date);
    add_header(v, "X-Amz-Date", v->amz_date);
}

/* context.json: credentials, scope, and which headers the signer adds. */
static void
parse_context(struct vector *v)
{
    char path[PATH_MAX + 512];
    const char *timestamp;
    int normalize = 1, sign_body = 0, omit_token = 0;
    json_error_t jerr;

    snprintf(path, sizeof(path), "%s/%s/context.json", suite_dir, v->name);
    v->ctx = json_load_file(path, 0, &jerr);
    ck_assert_msg(v->ctx != NULL, "%s: context.json: %s", v->name, jerr.text);
    ck_assert_msg(json_unpack_ex(v->ctx, &jerr, 0,
                                 "{s:{s:s, s:s, s?:s}, s:s, s:s, s:s, s?:b,"
                                 " s?:b, s?:b}",
                                 "credentials", "access_key_id", &v->creds.access_key_id,
                                 "secret_access_key", &v->creds.secret_access_key,
                                 "token", &v->creds.session_token, "region", &v->region,
                                 "service", &v->service, "timestamp", &timestamp,
                                 "normalize", &normalize, "sign_body", &sign_body,
                                 "omit_session_token", &omit_token) == 0,
                  "%s: context.json: %s", v->name, jerr.text);
    v->req.normalize = normalize;
    set_date(v, timestamp);
    if (v->creds.session_token != NULL && !omit_token)
        add_header(v, "X-Amz-Security-Token", v->creds.session_token);
    if (sign_body) {
        dynamop_sha256_hex(v->req.body, v->req.body_len, v->body_hash);
        add_header(v, "x-amz-content-sha256", v->body_hash);
    }
}

static void
load_vector(struct vector *v, const char *name)
{
    size_t len = 0;

    memset(v, 0, sizeof(*v));
    v->name = name;
    v->raw = slurp(name, "request.txt", &len);
    ck_assert_msg(v->raw != NULL, "%s: cannot read request.txt", name);
    v->req.headers = v->headers;
    parse_request(v, len);
    parse_context(v);
}

static void
free_vector(struct vector *v)
{
    json_decref(v->ctx);
    free(v->raw);
}

/* GOT must equal FILE byte for byte (the files have no trailing newline). */
static void
expect_file(const char *name, const char *file, const char *got)
{
    size_t len = 0;
    char *want = slurp(name, file, &len);

    ck_assert_msg(want != NULL, "%s: cannot read %s", name, file);
    ck_assert_msg(strlen(got) == len && memcmp(got, want, len) == 0,
                  "%s: %s differs\n--- expected\n%s\n--- got\n%s", name, file, want, got);
    free(want);
}

/* The Authorization line of header-signed-request.txt must equal GOT. */
static void
expect_authorization(const char *name, const char *got)
{
    char *signed_req = slurp(name, "header-signed-request.txt", NULL), *line, *eol;

    ck_assert_msg(signed_req != NULL, "%s: cannot read header-signed-request.txt", name);
    line = strstr(signed_req, "\nAuthorization:");
    ck_assert_msg(line != NULL, "%s: no Authorization line", name);
    line += strlen("\nAuthorization:");
    if ((eol = strchr(line, '\n')) != NULL)
        *eol = '\0';
    ck_assert_msg(strcmp(line, got) == 0,
                  "%s: Authorization differs\n--- expected\n%s\n--- got\n%s", name, line,
                  got);
    free(signed_req);
}

START_TEST(test_suite_present)
{
    ck_assert_msg(ncases > 0,
                  "SigV4 suite folder '%s' missing or empty (set SIGV4_SUITE)",
                  suite_dir);
    ck_assert_msg(ncases >= CASES_EXPECTED && !too_many_cases,
                  "%s: %d case folders, want %d (at most %d)", suite_dir, ncases,
                  CASES_EXPECTED, MAX_CASES);
}
END_TEST

START_TEST(test_vector)
{
    struct dynamop_sigv4_cache cache = {0};
    struct dynamo_err err = {0};
    struct vector v;
    char *canon, *sts, *auth, sig[65], buf[DYNAMOP_SIGV4_AUTHZ_MAX];
    const char *name = case_names[_i];

    load_vector(&v, name);
    ck_assert_msg(dynamop_sigv4_canonical_request(&v.req, &canon, &err) == 0,
                  "%s: canonical request: %s", name, err.text);
    expect_file(name, "header-canonical-request.txt", canon);
    ck_assert_msg(dynamop_sigv4_string_to_sign(v.amz_date, v.region, v.service, canon,
                                               &sts, &err) == 0,
                  "%s: string to sign: %s", name, err.text);
    expect_file(name, "header-string-to-sign.txt", sts);
    ck_assert_msg(dynamop_sigv4_signature(&v.creds, v.region, v.service, v.amz_date, sts,
                                          NULL, sig, &err) == 0,
                  "%s: signature: %s", name, err.text);
    expect_file(name, "header-signature.txt", sig);
    ck_assert_msg(dynamop_sigv4_authorization(&v.req, &v.creds, v.region, v.service,
                                              v.amz_date, &cache, &auth, &err) == 0,
                  "%s: authorization: %s", name, err.text);
    expect_authorization(name, auth);
    util_free(auth);
    /* Warm, into a buffer: the same header. */
    ck_assert_msg(dynamop_sigv4_authorization_buf(&v.req, &v.creds, v.region, v.service,
                                                  v.amz_date, &cache, buf, sizeof(buf),
                                                  &err) == 0,
                  "%s: authorization: %s", name, err.text);
    expect_authorization(name, buf);
    dynamop_sigv4_cache_wipe(&cache);
    util_free(sts);
    util_free(canon);
    free_vector(&v);
}
END_TEST

/* ---- the signing-key cache --------------------------------------------- */

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define DATE "20150830T123600Z"
/* get-vanilla's string to sign and signature. */
#define VANILLA_STS                                                                      \
    "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"      \
    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
#define VANILLA_SIG "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

static void
sign_with(const char *secret, const char *date, const char *region,
          struct dynamop_sigv4_cache *cache, char out[65])
{
    struct dynamop_sigv4_creds creds = {AKID, secret, NULL, 0};
    struct dynamo_err err = {0};

    ck_assert_msg(dynamop_sigv4_signature(&creds, region, "service", date, VANILLA_STS,
                                          cache, out, &err) == 0,
                  "signature: %s", err.text);
}

/* Re-keys CACHE's HMAC with a wrong key, as if the cached signing key were
 * corrupted: a call that uses the cache then signs wrongly. */
static void
corrupt_key(struct dynamop_sigv4_cache *cache)
{
    static const unsigned char wrong[32] = {1};

    ck_assert_ptr_nonnull(cache->mac);
    ck_assert(EVP_MAC_init(cache->mac, wrong, sizeof(wrong), NULL));
}

/* Signing with CACHE (whose key is first corrupted, so a stale hit shows)
 * must re-derive and give the uncached signature. */
static void
check_rederives(const char *secret, const char *date, const char *region,
                struct dynamop_sigv4_cache *cache)
{
    char fresh[65], cached[65];

    sign_with(secret, date, region, NULL, fresh);
    corrupt_key(cache);
    sign_with(secret, date, region, cache, cached);
    ck_assert_str_eq(cached, fresh);
    ck_assert(memcmp(cache->date, date, 8) == 0);
    ck_assert_str_eq(cache->region, region);
}

/* Whether the N bytes at P contain the string S. */
static int
holds(const void *p, size_t n, const char *s)
{
    size_t i, len = strlen(s);

    for (i = 0; i + len <= n; i++) {
        if (memcmp((const char *)p + i, s, len) == 0)
            return 1;
    }
    return 0;
}

START_TEST(test_cache)
{
    struct dynamop_sigv4_cache cache = {0}, zero = {0};
    char none[65], cold[65], warm[65], stale[65];

    sign_with(SECRET, DATE, "us-east-1", NULL, none);
    ck_assert_str_eq(none, VANILLA_SIG);
    sign_with(SECRET, DATE, "us-east-1", &cache, cold);
    ck_assert_str_eq(cold, none);
    ck_assert_int_eq(cache.valid, 1);
    sign_with(SECRET, "20150830T235959Z", "us-east-1", &cache, warm);
    sign_with(SECRET, DATE, "us-east-1", &cache, warm);
    ck_assert_str_eq(warm, cold);
    /* A warm call really uses the cached key: corrupt it and see. */
    corrupt_key(&cache);
    sign_with(SECRET, DATE, "us-east-1", &cache, stale);
    ck_assert_str_ne(stale, cold);
    check_rederives(SECRET, "20150831T000000Z", "us-east-1", &cache);
    check_rederives("another/secret+key", "20150831T000000Z", "us-east-1", &cache);
    check_rederives("another/secret+key", "20150831T000000Z", "eu-west-1", &cache);
    ck_assert(!holds(&cache, sizeof(cache), "another/secret+key"));
    dynamop_sigv4_cache_wipe(&cache);
    ck_assert(memcmp(&cache, &zero, sizeof(cache)) == 0);
}
END_TEST

/* With a generation, the cache trusts the number instead of hashing the
 * secret: a new number (a refresh) re-derives, the same one reuses. */
START_TEST(test_cache_generation)
{
    struct dynamop_sigv4_cache cache = {0};
    struct dynamop_sigv4_creds creds = {AKID, SECRET, NULL, 7};
    struct dynamo_err err = {0};
    char fresh[65], out[65];

    ck_assert_int_eq(dynamop_sigv4_signature(&creds, "us-east-1", "service", DATE,
                                             VANILLA_STS, &cache, out, &err),
                     0);
    ck_assert_str_eq(out, VANILLA_SIG);
    ck_assert_uint_eq(cache.generation, 7);
    /* Same generation: the cached key is used (a corrupted one shows). */
    corrupt_key(&cache);
    ck_assert_int_eq(dynamop_sigv4_signature(&creds, "us-east-1", "service", DATE,
                                             VANILLA_STS, &cache, out, &err),
                     0);
    ck_assert_str_ne(out, VANILLA_SIG);
    /* A new generation with a new secret re-derives. */
    creds.secret_access_key = "another/secret+key";
    creds.generation = 8;
    sign_with(creds.secret_access_key, DATE, "us-east-1", NULL, fresh);
    ck_assert_int_eq(dynamop_sigv4_signature(&creds, "us-east-1", "service", DATE,
                                             VANILLA_STS, &cache, out, &err),
                     0);
    ck_assert_str_eq(out, fresh);
    ck_assert_uint_eq(cache.generation, 8);
    /* Generation 0 vouches for nothing: the secret is hashed again. */
    creds.secret_access_key = SECRET;
    creds.generation = 0;
    ck_assert_int_eq(dynamop_sigv4_signature(&creds, "us-east-1", "service", DATE,
                                             VANILLA_STS, &cache, out, &err),
                     0);
    ck_assert_str_eq(out, VANILLA_SIG);
    dynamop_sigv4_cache_wipe(&cache);
}
END_TEST

START_TEST(test_amz_date)
{
    char out[17];

    dynamop_sigv4_amz_date(1440938160, out);
    ck_assert_str_eq(out, "20150830T123600Z");
    dynamop_sigv4_amz_date(0, out);
    ck_assert_str_eq(out, "19700101T000000Z");
    dynamop_sigv4_amz_date(951782400, out);
    ck_assert_str_eq(out, "20000229T000000Z");
    dynamop_sigv4_amz_date(253402300799, out);
    ck_assert_str_eq(out, "99991231T235959Z");
    dynamop_sigv4_amz_date(253402300800, out);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_sha256_hex)
{
    char out[65];

    dynamop_sha256_hex(NULL, 0, out);
    ck_assert_str_eq(out,
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    dynamop_sha256_hex("Param1=value1", 13, out);
    ck_assert_str_eq(out,
                     "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
}
END_TEST

/* ---- canonical forms the vectors do not cover ---------------------------- */

/* The canonical request of a header-less GET of PATH?QUERY, up to the
 * blank line that ends the (empty) header block. */
static void
check_uri(const char *path, const char *query, int normalize, const char *want)
{
    struct dynamop_sigv4_request req = {"GET", path, query, NULL, 0, NULL, 0, normalize};
    struct dynamo_err err = {0};
    char *out;

    ck_assert_msg(dynamop_sigv4_canonical_request(&req, &out, &err) == 0, "%s", err.text);
    ck_assert_msg(strncmp(out, want, strlen(want)) == 0 && out[strlen(want)] == '\n',
                  "path '%s' query '%s': got\n%s", path, query ? query : "(null)", out);
    util_free(out);
}

START_TEST(test_uri_forms)
{
    check_uri("", NULL, 1, "GET\n/\n\n");
    check_uri("", NULL, 0, "GET\n/\n\n");
    check_uri("a/b", NULL, 1, "GET\n/a/b\n\n");
    check_uri("/a/b/..", NULL, 1, "GET\n/a\n\n");
    check_uri("/a/./b/../../c/", NULL, 1, "GET\n/c/\n\n");
    check_uri("/../..", NULL, 1, "GET\n/\n\n");
    check_uri("/a b/%/?", NULL, 1, "GET\n/a%20b/%25/%3F\n\n");
    check_uri("/", "b=2&a=1&a", 1, "GET\n/\na=&a=1&b=2\n");
    check_uri("/", "&&x=%zz&y=+&z=%7e&=v", 1, "GET\n/\n=v&x=%25zz&y=%2B&z=~\n");
    check_uri("/", "", 1, "GET\n/\n\n");
}
END_TEST

START_TEST(test_header_forms)
{
    const struct dynamop_header h[] = {
        {"X-B", "\t two\r\n  lines "}, {"x-a", "v: a, b"}, {"X-A", ""}, {"Host", "h"}};
    struct dynamop_sigv4_request req = {"POST", "/", NULL, h, 4, "{}", 2, 1};
    struct dynamo_err err = {0};
    char *out;

    ck_assert_msg(dynamop_sigv4_canonical_request(&req, &out, &err) == 0, "%s", err.text);
    ck_assert_str_eq(out,
                     "POST\n/\n\nhost:h\nx-a:v: a, b,\nx-b:two lines\n\nhost;x-a;x-b\n"
                     "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    util_free(out);
}
END_TEST

/* ---- a DynamoDB request --------------------------------------------------
 * Expected values computed once with botocore 1.43 (SigV4Auth, service
 * "dynamodb"): a second, independent check with a realistic request. */

#define DDB_BODY "{\"TableName\":\"users\",\"Key\":{\"id\":{\"S\":\"alice\"}}}"
#define DDB_AUTH                                                                         \
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240229/eu-west-1/dynamodb/aws4_request, " \
    "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "     \
    "Signature=3828687058417d8d021ab0307c1248c9c3d818fadbcc1e8c1238ca1bc2790b2b"

START_TEST(test_dynamodb_request)
{
    const struct dynamop_header h[] = {
        {"Content-Type", "application/x-amz-json-1.0"},
        {"X-Amz-Target", "DynamoDB_20120810.GetItem"},
        {"Host", "dynamodb.eu-west-1.amazonaws.com"},
        {"X-Amz-Date", "20240229T235901Z"},
        {"X-Amz-Security-Token", "SESSIONTOKEN123"},
    };
    struct dynamop_sigv4_request req = {"POST",           "/", NULL, h, 5, DDB_BODY,
                                        strlen(DDB_BODY), 1};
    struct dynamop_sigv4_creds creds = {AKID, SECRET, "SESSIONTOKEN123", 0};
    struct dynamop_sigv4_cache cache = {0};
    struct dynamo_err err = {0};
    char *auth, buf[DYNAMOP_SIGV4_AUTHZ_MAX], small[sizeof(DDB_AUTH) - 1];
    int i;

    for (i = 0; i < 2; i++) {
        util_alloc_fail_at(0);
        ck_assert_msg(dynamop_sigv4_authorization(&req, &creds, "eu-west-1", "dynamodb",
                                                  "20240229T235901Z", &cache, &auth,
                                                  &err) == 0,
                      "%s", err.text);
        /* The canonical request is built on the stack: the result, no more. */
        ck_assert_int_eq(util_alloc_fail_at(0), 1);
        ck_assert_str_eq(auth, DDB_AUTH);
        util_free(auth);
        /* The client's hot path allocates nothing. */
        ck_assert_msg(dynamop_sigv4_authorization_buf(
                          &req, &creds, "eu-west-1", "dynamodb", "20240229T235901Z",
                          &cache, buf, sizeof(buf), &err) == 0,
                      "%s", err.text);
        ck_assert_int_eq(util_alloc_fail_at(0), 0);
        ck_assert_str_eq(buf, DDB_AUTH);
    }
    /* One byte short for the NUL: refused, not cut. */
    ck_assert_int_eq(dynamop_sigv4_authorization_buf(&req, &creds, "eu-west-1",
                                                     "dynamodb", "20240229T235901Z",
                                                     &cache, small, sizeof(small), &err),
                     -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_str_eq(small, "");
    dynamop_sigv4_cache_wipe(&cache);
}
END_TEST

/* ---- bad input ----------------------------------------------------------- */

static void
expect_invalid_canonical(const struct dynamop_sigv4_request *req, const char *text)
{
    struct dynamo_err err = {0};
    char *out = (char *)"unchanged";

    ck_assert_int_eq(dynamop_sigv4_canonical_request(req, &out, &err), -1);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_msg(strstr(err.text, text) != NULL, "'%s' lacks '%s'", err.text, text);
}

START_TEST(test_invalid_request)
{
    struct dynamop_header bad_name[] = {{"bad name", "v"}};
    struct dynamop_header bad_value[] = {{"x-a", "v\001"}};
    struct dynamop_header huge[] = {{"x-a", NULL}};
    struct dynamop_sigv4_request req = {"GET", "/", NULL, NULL, 0, NULL, 0, 1};
    char *big = malloc(DYNAMOP_SIGV4_MAX + 1);

    expect_invalid_canonical(NULL, "no request");
    req.method = "G T";
    expect_invalid_canonical(&req, "invalid method");
    req.method = "GET";
    req.body_len = 1;
    expect_invalid_canonical(&req, "body_len");
    req.body_len = 0;
    req.nheaders = 1;
    expect_invalid_canonical(&req, "no array");
    req.headers = bad_name;
    expect_invalid_canonical(&req, "header 0: invalid name");
    req.headers = bad_value;
    expect_invalid_canonical(&req, "invalid value");
    ck_assert_ptr_nonnull(big);
    memset(big, 'a', DYNAMOP_SIGV4_MAX);
    big[DYNAMOP_SIGV4_MAX] = '\0';
    huge[0].value = big;
    req.headers = huge;
    expect_invalid_canonical(&req, "longer than");
    free(big);
}
END_TEST

static void
expect_invalid_auth(const struct dynamop_sigv4_creds *creds, const char *region,
                    const char *date, const char *text)
{
    const struct dynamop_header h[] = {{"Host", "example.amazonaws.com"}};
    struct dynamop_sigv4_request req = {"GET", "/", NULL, h, 1, NULL, 0, 1};
    struct dynamo_err err = {0};
    char *out = (char *)"unchanged", sig[65];

    ck_assert_int_eq(dynamop_sigv4_authorization(&req, creds, region, "service", date,
                                                 NULL, &out, &err),
                     -1);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
    ck_assert_msg(strstr(err.text, text) != NULL, "'%s' lacks '%s'", err.text, text);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(
        dynamop_sigv4_signature(creds, region, "service", date, "sts", NULL, sig, &err),
        -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_INVALID);
}

START_TEST(test_invalid_scope)
{
    struct dynamop_sigv4_creds good = {AKID, SECRET, NULL, 0},
                               slash = {"AK/ID", SECRET, NULL, 0};
    struct dynamop_sigv4_creds nosecret = {AKID, NULL, NULL, 0};
    struct dynamo_err err = {0};
    char *out = (char *)"unchanged";

    expect_invalid_auth(NULL, "us-east-1", DATE, "no credentials");
    expect_invalid_auth(&slash, "us-east-1", DATE, "access key id");
    expect_invalid_auth(&nosecret, "us-east-1", DATE, "secret access key");
    expect_invalid_auth(&good, "us/east", DATE, "invalid region");
    expect_invalid_auth(&good, "", DATE, "invalid region");
    expect_invalid_auth(&good, "us-east-1", "2015-08-30T12:36:00Z", "amz_date");
    expect_invalid_auth(&good, "us-east-1", "20150830X123600Z", "amz_date");
    expect_invalid_auth(&good, "us-east-1", NULL, "amz_date");
    ck_assert_int_eq(
        dynamop_sigv4_string_to_sign(DATE, "us-east-1", "ser vice", "x", &out, &err), -1);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err.text, "sigv4: invalid service");
}
END_TEST

/* ---- chaos: allocation N fails, for every N ------------------------------ */

struct chaos_arg {
    struct dynamop_sigv4_request req;
    struct dynamop_sigv4_creds creds;
    struct dynamop_sigv4_cache cache;
    int op; /* 0 canonical request, 1 string to sign, 2 authorization */
};

static int
chaos_call(struct chaos_arg *a, char **out, struct dynamo_err *err)
{
    if (a->op == 0)
        return dynamop_sigv4_canonical_request(&a->req, out, err);
    if (a->op == 1)
        return dynamop_sigv4_string_to_sign(DATE, "us-east-1", "dynamodb", "GET\n/\n",
                                            out, err);
    return dynamop_sigv4_authorization(&a->req, &a->creds, "us-east-1", "dynamodb", DATE,
                                       &a->cache, out, err);
}

START_TEST(test_chaos)
{
    struct dynamop_header h[STACK_HEADERS_TEST];
    char names[STACK_HEADERS_TEST][16];
    struct chaos_arg a = {
        {"POST", "/a/./b/../c d", "z=1&a=%41&m", h, STACK_HEADERS_TEST, "{}", 2, 1},
        {AKID, SECRET, NULL, 0},
        {0},
        _i};
    struct dynamo_err err;
    char *out;
    long n;
    int rc;

    for (n = 0; n < STACK_HEADERS_TEST; n++) {
        snprintf(names[n], sizeof(names[n]), "X-H%ld", n % 30);
        h[n].name = names[n];
        h[n].value = " v  a ";
    }
    for (n = 1;; n++) {
        memset(&err, 0, sizeof(err));
        out = NULL;
        util_alloc_fail_at(n);
        rc = chaos_call(&a, &out, &err);
        util_alloc_fail_at(0);
        if (rc == 0)
            break;
        ck_assert_int_eq(rc, -1);
        ck_assert_ptr_null(out);
        ck_assert_msg(err.code == DYNAMO_ERR_NOMEM, "op %d, failing allocation %ld: %s",
                      _i, n, err.text);
        ck_assert_int_lt(n, 1000);
    }
    ck_assert_int_gt(n, 1);
    util_free(out);
    dynamop_sigv4_cache_wipe(&a.cache);
}
END_TEST

static Suite *
sigv4_suite(void)
{
    Suite *s = suite_create("sigv4");
    TCase *vectors = tcase_create("vectors"), *units = tcase_create("units");

    tcase_set_timeout(vectors, 60);
    tcase_add_test(vectors, test_suite_present);
    tcase_add_loop_test(vectors, test_vector, 0, ncases);
    suite_add_tcase(s, vectors);
    tcase_set_timeout(units, 60);
    tcase_add_test(units, test_cache);
    tcase_add_test(units, test_cache_generation);
    tcase_add_test(units, test_amz_date);
    tcase_add_test(units, test_sha256_hex);
    tcase_add_test(units, test_uri_forms);
    tcase_add_test(units, test_header_forms);
    tcase_add_test(units, test_dynamodb_request);
    tcase_add_test(units, test_invalid_request);
    tcase_add_test(units, test_invalid_scope);
    tcase_add_loop_test(units, test_chaos, 0, 3);
    suite_add_tcase(s, units);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    load_case_names();
    sr = srunner_create(sigv4_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
