/*
 * check_credentials.c: the credentials chain without a socket.
 *
 * The shared-file parser on byte strings (profiles, "[profile x]" in config
 * against "[x]" in credentials, comments, whitespace, errors with their
 * line and column), the pure parsers of the metadata answers, the
 * FULL_URI check, region resolution and the chain's precedence driven by a
 * fake environment and files in a mkdtemp folder.  Container and
 * instance-metadata providers are built but never asked for credentials
 * here (that is tests/integration/check_credentials.c), so nothing connects.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

/* By path from the root (-I.): core/ has an internal.h of its own. */
#include "auth_credentials.h"
#include "ext/extension.h"
#include "ext/internal.h"
#include "testutil.h"
#include "web.h"

/* Unit suites open no socket: this connect() replaces libc's for the whole
 * program (libcurl included), so any attempt fails the test that made it. */
__attribute__((visibility("default"))) int
connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    (void)fd;
    (void)addr;
    (void)len;
    ck_abort_msg("a unit test called connect()");
    return -1;
}

/* ---- a fake environment ----------------------------------------------- */

static struct dynamo_credentials_options
opts_for(struct tu_fake_env *e)
{
    struct dynamo_credentials_options o = {0};

    o.lookup = tu_fake_env_lookup;
    o.lookup_arg = e;
    return o;
}

/* A mkdtemp folder, and files written into it. */
static char tmpdir[64];

static void
make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/dynamo-creds-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* Removes DIR and everything under it (a test's own files only). */
static void
remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[512];
    struct stat st;

    while (d != NULL && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
}

/* Checked fixture: runs in the test's own process after it. */
static void
teardown_tmpdir(void)
{
    if (tmpdir[0] != '\0')
        remove_tree(tmpdir);
    tmpdir[0] = '\0';
}

/* Writes TEXT to tmpdir/NAME; the path goes to PATH. */
static const char *
write_file(const char *name, const char *text, char *path, size_t size)
{
    FILE *f;

    snprintf(path, size, "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    fclose(f);
    return path;
}

/* Parses TEXT as a file of KIND for profile NAME into PROF; returns rc. */
static int
parse(const char *text, enum dynamop_ini_kind kind, const char *name,
      struct dynamop_profile *prof, struct dynamo_err *err)
{
    return dynamop_profile_parse(text, strlen(text), "FILE", kind, name, prof, err);
}

/* ---- the shared-file parser ------------------------------------------- */

START_TEST(test_parse_credentials_file)
{
    static const char text[] = "# a comment\n"
                               "; another comment\n"
                               "[default]\n"
                               "aws_access_key_id = AKIDDEFAULT\n"
                               "aws_secret_access_key=secret/default+key\n"
                               "\n"
                               "[dev]  \r\n"
                               "aws_access_key_id\t=\tAKIDDEV   \r\n"
                               "aws_secret_access_key = dev+secret/==\r\n"
                               "aws_session_token = FQoGZXIvYXdzEXAMPLE==\r\n"
                               "[prod]\n"
                               "aws_access_key_id = AKIDPROD\n";
    struct dynamop_profile prof = {0};
    struct dynamo_err err = {0};

    ck_assert_int_eq(parse(text, DYNAMOP_INI_CREDENTIALS, "dev", &prof, &err), 0);
    ck_assert_int_eq(prof.found, 1);
    ck_assert_str_eq(prof.access_key_id, "AKIDDEV");
    ck_assert_str_eq(prof.secret_access_key, "dev+secret/==");
    ck_assert_str_eq(prof.session_token, "FQoGZXIvYXdzEXAMPLE==");
    ck_assert_ptr_null(prof.region);
    dynamop_profile_release(&prof);

    ck_assert_int_eq(parse(text, DYNAMOP_INI_CREDENTIALS, "default", &prof, &err), 0);
    ck_assert_str_eq(prof.access_key_id, "AKIDDEFAULT");
    ck_assert_str_eq(prof.secret_access_key, "secret/default+key");
    ck_assert_ptr_null(prof.session_token);
    dynamop_profile_release(&prof);

    ck_assert_int_eq(parse(text, DYNAMOP_INI_CREDENTIALS, "nope", &prof, &err), 0);
    ck_assert_int_eq(prof.found, 0);
    ck_assert_ptr_null(prof.access_key_id);
    ck_assert_int_eq(err.code, DYNAMO_OK);
}
END_TEST

/* "[profile x]" names x in the config file only; "[x]" in the credentials
 * file only; "[default]" in both, "[profile default]" too in config. */
START_TEST(test_parse_profile_prefix)
{
    static const char text[] = "[dev]\n"
                               "region = wrong-1\n"
                               "[profile   dev ]\n"
                               "region = eu-west-1\n"
                               "[sso-session dev]\n"
                               "region = wrong-2\n"
                               "[default]\n"
                               "region = us-west-2\n";
    struct dynamop_profile prof = {0};
    struct dynamo_err err = {0};

    ck_assert_int_eq(parse(text, DYNAMOP_INI_CONFIG, "dev", &prof, &err), 0);
    ck_assert_str_eq(prof.region, "eu-west-1");
    dynamop_profile_release(&prof);
    ck_assert_int_eq(parse(text, DYNAMOP_INI_CREDENTIALS, "dev", &prof, &err), 0);
    ck_assert_str_eq(prof.region, "wrong-1");
    dynamop_profile_release(&prof);
    ck_assert_int_eq(
        parse("[profile dev]\nregion = x\n", DYNAMOP_INI_CREDENTIALS, "dev", &prof, &err),
        0);
    ck_assert_int_eq(prof.found, 0);
    ck_assert_int_eq(parse(text, DYNAMOP_INI_CONFIG, "default", &prof, &err), 0);
    ck_assert_str_eq(prof.region, "us-west-2");
    dynamop_profile_release(&prof);
    ck_assert_int_eq(parse("[profile default]\nregion = ap-south-1\n", DYNAMOP_INI_CONFIG,
                           "default", &prof, &err),
                     0);
    ck_assert_str_eq(prof.region, "ap-south-1");
    dynamop_profile_release(&prof);
    ck_assert_int_eq(err.code, DYNAMO_OK);
}
END_TEST

START_TEST(test_parse_comments_case_and_subproperties)
{
    static const char text[] = "[default] # trailing comment\n"
                               "AWS_Access_Key_ID = AKID   # inline comment\n"
                               "aws_secret_access_key = se#cr;et ; inline comment\n"
                               "s3 =\n"
                               "    max_concurrent_requests = 20\n"
                               "    # an indented comment\n"
                               "region=eu-north-1\n"
                               "aws_session_token =\n";
    struct dynamop_profile prof = {0};
    struct dynamo_err err = {0};

    ck_assert_msg(parse(text, DYNAMOP_INI_CREDENTIALS, "default", &prof, &err) == 0, "%s",
                  err.text);
    ck_assert_str_eq(prof.access_key_id, "AKID");
    ck_assert_str_eq(prof.secret_access_key, "se#cr;et");
    ck_assert_str_eq(prof.region, "eu-north-1");
    ck_assert_ptr_null(prof.session_token); /* empty counts as unset */
    dynamop_profile_release(&prof);
}
END_TEST

/* A section or key seen again: the later value wins, within a file and
 * across the files parsed into one profile. */
START_TEST(test_parse_later_wins)
{
    struct dynamop_profile prof = {0};
    struct dynamo_err err = {0};

    ck_assert_int_eq(parse("[a]\nregion = r1\n[b]\nregion = x\n[a]\nregion = r2\n"
                           "aws_access_key_id = K1\naws_access_key_id = K2\n",
                           DYNAMOP_INI_CREDENTIALS, "a", &prof, &err),
                     0);
    ck_assert_str_eq(prof.region, "r2");
    ck_assert_str_eq(prof.access_key_id, "K2");
    ck_assert_int_eq(
        parse("[a]\nregion = r3\n", DYNAMOP_INI_CREDENTIALS, "a", &prof, &err), 0);
    ck_assert_str_eq(prof.region, "r3");
    ck_assert_str_eq(prof.access_key_id, "K2"); /* untouched by the second file */
    dynamop_profile_release(&prof);
}
END_TEST

START_TEST(test_parse_unsupported_keys)
{
    struct dynamop_profile prof = {0};
    struct dynamo_err err = {0};

    ck_assert_int_eq(parse("[default]\ncredential_process = /bin/creds\n",
                           DYNAMOP_INI_CREDENTIALS, "default", &prof, &err),
                     0);
    ck_assert_str_eq(prof.unsupported, "credential_process");
    ck_assert_str_eq(prof.unsupported_source, "FILE");
    ck_assert_int_eq(prof.unsupported_ranks_first, 0);
    /* role_arn outranks credential_process once seen. */
    ck_assert_int_eq(parse("[profile default]\nrole_arn = arn:aws:iam::1:role/r\n"
                           "source_profile = base\n",
                           DYNAMOP_INI_CONFIG, "default", &prof, &err),
                     0);
    ck_assert_str_eq(prof.unsupported, "role_arn");
    ck_assert_int_eq(prof.unsupported_ranks_first, 1);
    dynamop_profile_release(&prof);
    /* Another profile's keys do not count. */
    ck_assert_int_eq(parse("[other]\nsso_session = s\n[default]\nregion = r\n",
                           DYNAMOP_INI_CREDENTIALS, "default", &prof, &err),
                     0);
    ck_assert_str_eq(prof.unsupported, "");
    dynamop_profile_release(&prof);
}
END_TEST

static const struct {
    const char *text;
    int line, col;
    const char *message;
} bad_files[] = {
    {"[default\naws_access_key_id = x\n", 1, 9, "missing ']'"},
    {"[default]\nthis line has no equals sign\n", 2, 1, "expected 'key = value'"},
    {"[default]\n= value\n", 2, 1, "missing key"},
    {"region = us-east-1\n[default]\n", 1, 1, "outside of any [section]"},
    {"# c\n[]\n", 2, 2, "empty section name"},
    {"[default] junk\n", 1, 11, "unexpected text after ']'"},
    {"  indented = first\n[default]\n", 1, 1, "must continue"},
    {"[default]\naws_secret_access_key = abc\n  def\n", 3, 1, "cannot span"},
    {"[default]\r\nok = 1\r\n[x\r\n", 3, 3, "missing ']'"},
};

START_TEST(test_parse_errors)
{
    struct dynamop_profile prof = {0};
    struct dynamo_err err = {0};
    char prefix[64];

    ck_assert_int_eq(
        parse(bad_files[_i].text, DYNAMOP_INI_CREDENTIALS, "default", &prof, &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);
    ck_assert_msg(err.line == bad_files[_i].line && err.col == bad_files[_i].col,
                  "case %d: got %d:%d (%s)", _i, err.line, err.col, err.text);
    ck_assert_str_eq(err.source, "FILE");
    snprintf(prefix, sizeof(prefix), "FILE:%d:%d: ", bad_files[_i].line,
             bad_files[_i].col);
    ck_assert_msg(strncmp(err.text, prefix, strlen(prefix)) == 0, "%s", err.text);
    ck_assert_msg(strstr(err.text, bad_files[_i].message) != NULL, "%s", err.text);
    dynamop_profile_release(&prof);
}
END_TEST

/* Errors name positions and keys, never the values (secrets). */
START_TEST(test_parse_errors_hide_values)
{
    static const char text[] = "[default]\naws_secret_access_key SECRETVALUE\n";
    static const char text2[] =
        "[default]\naws_secret_access_key = SECRETVALUE\n  MORE\n";
    static const char text3[] = "[default]\naws_session_token = A\0B\n";
    struct dynamop_profile prof = {0};
    struct dynamo_err err = {0};

    ck_assert_int_eq(parse(text, DYNAMOP_INI_CREDENTIALS, "default", &prof, &err), -1);
    ck_assert_ptr_null(strstr(err.text, "SECRETVALUE"));
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(parse(text2, DYNAMOP_INI_CREDENTIALS, "default", &prof, &err), -1);
    ck_assert_ptr_null(strstr(err.text, "SECRETVALUE"));
    ck_assert_ptr_null(strstr(err.text, "MORE"));
    ck_assert_msg(strstr(err.text, "aws_secret_access_key") != NULL, "%s", err.text);
    dynamop_profile_release(&prof);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(dynamop_profile_parse(text3, sizeof(text3) - 1, "F",
                                           DYNAMOP_INI_CONFIG, "default", &prof, &err),
                     -1);
    ck_assert_int_eq(err.line, 2);
    dynamop_profile_release(&prof);
}
END_TEST

/* ---- metadata answers ---------------------------------------------------- */

START_TEST(test_iso8601)
{
    time_t t = 0;

    ck_assert_int_eq(dynamop_parse_iso8601("1970-01-01T00:00:00Z", &t), 0);
    ck_assert_int_eq((long)t, 0);
    ck_assert_int_eq(dynamop_parse_iso8601("2030-01-02T03:04:05Z", &t), 0);
    ck_assert_int_eq((long)t, 1893553445L);
    ck_assert_int_eq(dynamop_parse_iso8601("2030-01-02T03:04:05.123Z", &t), 0);
    ck_assert_int_eq((long)t, 1893553445L);
    ck_assert_int_eq(dynamop_parse_iso8601("2030-01-02T05:04:05+02:00", &t), 0);
    ck_assert_int_eq((long)t, 1893553445L);
    ck_assert_int_eq(dynamop_parse_iso8601("2030-01-02T02:34:05-0030", &t), 0);
    ck_assert_int_eq((long)t, 1893553445L);
    ck_assert_int_eq(dynamop_parse_iso8601("2024-02-29T12:00:00Z", &t), 0);
    ck_assert_int_eq((long)t, 1709208000L);
    ck_assert_int_eq(dynamop_parse_iso8601("2030-01-02 03:04:05Z", &t), -1);
    ck_assert_int_eq(dynamop_parse_iso8601("2030-01-02T03:04:05", &t), -1);
    ck_assert_int_eq(dynamop_parse_iso8601("2030-13-02T03:04:05Z", &t), -1);
    ck_assert_int_eq(dynamop_parse_iso8601("2030-01-02T24:04:05Z", &t), -1);
    ck_assert_int_eq(dynamop_parse_iso8601("2030-01-02T03:04:05Zjunk", &t), -1);
    ck_assert_int_eq(dynamop_parse_iso8601("2030-01-02T03:04:05.Z", &t), -1);
    ck_assert_int_eq(dynamop_parse_iso8601("2030", &t), -1);
    ck_assert_int_eq(dynamop_parse_iso8601("", &t), -1);
}
END_TEST

START_TEST(test_creds_json)
{
    static const char good[] =
        "{\"RoleArn\":\"arn:aws:iam::1:role/r\",\"AccessKeyId\":\"ASIAEXAMPLE\","
        "\"SecretAccessKey\":\"SECRETVALUE\",\"Token\":\"TOKENVALUE\","
        "\"Expiration\":\"2030-01-02T03:04:05Z\"}";
    struct dynamop_creds c = {0};
    struct dynamo_err err = {0};

    ck_assert_int_eq(dynamop_creds_from_json(good, strlen(good), "what", &c, &err), 0);
    ck_assert_str_eq(c.access_key_id, "ASIAEXAMPLE");
    ck_assert_str_eq(c.secret_access_key, "SECRETVALUE");
    ck_assert_str_eq(c.session_token, "TOKENVALUE");
    ck_assert_int_eq((long)c.expiration, 1893553445L);
    dynamop_creds_wipe(&c);
    ck_assert_ptr_null(c.access_key_id);
}
END_TEST

static const struct {
    const char *body;
    const char *message;
} bad_answers[] = {
    {"not json SECRETVALUE", "not a JSON object"},
    {"[\"SECRETVALUE\"]", "not a JSON object"},
    {"{\"SecretAccessKey\":\"SECRETVALUE\"}", "no AccessKeyId"},
    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"\"}", "no SecretAccessKey"},
    {"{\"Code\":\"Failure\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRETVALUE\"}",
     "Code is 'Failure'"},
    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRETVALUE\",\"Expiration\":"
     "\"soon\"}",
     "Expiration"},
    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRETVALUE\",\"Token\":\"a\\r\\nX: "
     "b\"}",
     "not allowed in a header"},
};

START_TEST(test_creds_json_errors)
{
    struct dynamop_creds c = {0};
    struct dynamo_err err = {0};

    ck_assert_int_eq(dynamop_creds_from_json(bad_answers[_i].body,
                                             strlen(bad_answers[_i].body),
                                             "container credentials", &c, &err),
                     -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_BAD_RESPONSE);
    ck_assert_msg(strstr(err.text, bad_answers[_i].message) != NULL, "%s", err.text);
    ck_assert_msg(strncmp(err.text, "container credentials: ", 23) == 0, "%s", err.text);
    ck_assert_ptr_null(strstr(err.text, "SECRETVALUE"));
    ck_assert_ptr_null(c.access_key_id);
}
END_TEST

START_TEST(test_container_url_check)
{
    static const char *const allowed[] = {
        "http://127.0.0.1/creds",
        "http://127.1.2.3:8080/v1/credentials",
        "http://localhost:9911/x",
        "http://[::1]:80/x",
        "https://creds.example.com/x",
        "http://169.254.170.2/v2/credentials/abc",
        "http://169.254.170.23/v1/credentials",
        "http://[fd00:ec2::23]/v1/credentials",
    };
    static const char *const refused[] = {
        "http://10.0.0.1/creds",
        "http://169.254.169.254/latest",
        "http://example.com/x",
        "http://127.0.0.1.evil.com/x",
        "http://user@evil.com/x",
        "ftp://127.0.0.1/x",
        "not a url",
        "http://[::2]/x",
    };
    struct dynamo_err err = {0};

    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
        ck_assert_msg(dynamop_check_container_url(allowed[i], &err) == 0, "%s: %s",
                      allowed[i], err.text);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        memset(&err, 0, sizeof(err));
        ck_assert_msg(dynamop_check_container_url(refused[i], &err) == -1, "%s",
                      refused[i]);
        ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);
    }
}
END_TEST

/* ---- region ------------------------------------------------------------- */

START_TEST(test_region_precedence)
{
    struct tu_fake_env e = {0};
    struct dynamo_credentials_options o = opts_for(&e);
    struct dynamo_err err = {0};
    char path[256], region[64];

    make_tmpdir();
    ck_assert_int_eq(dynamo_region_resolve(&o, region, sizeof(region), &err), 0);
    ck_assert_str_eq(region, "us-east-1"); /* no HOME, no file, nothing set */
    tu_fake_env_set(&e, "AWS_CONFIG_FILE",
         write_file("config",
                    "[default]\nregion = eu-west-3\n[profile dev]\nregion = "
                    "ap-northeast-1\n",
                    path, sizeof(path)));
    ck_assert_int_eq(dynamo_region_resolve(&o, region, sizeof(region), &err), 0);
    ck_assert_str_eq(region, "eu-west-3");
    tu_fake_env_set(&e, "AWS_PROFILE", "dev");
    ck_assert_int_eq(dynamo_region_resolve(&o, region, sizeof(region), &err), 0);
    ck_assert_str_eq(region, "ap-northeast-1");
    tu_fake_env_set(&e, "AWS_DEFAULT_REGION", "ca-central-1");
    ck_assert_int_eq(dynamo_region_resolve(&o, region, sizeof(region), &err), 0);
    ck_assert_str_eq(region, "ca-central-1");
    tu_fake_env_set(&e, "AWS_REGION", "sa-east-1");
    ck_assert_int_eq(dynamo_region_resolve(&o, region, sizeof(region), &err), 0);
    ck_assert_str_eq(region, "sa-east-1");
    tu_fake_env_set(&e, "AWS_REGION", "us-east-1/../evil");
    ck_assert_int_eq(dynamo_region_resolve(&o, region, sizeof(region), &err), -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);
    ck_assert_msg(strstr(err.text, "AWS_REGION") != NULL, "%s", err.text);
    /* A profile that is not there just has no region. */
    tu_fake_env_set(&e, "AWS_REGION", "");
    tu_fake_env_set(&e, "AWS_DEFAULT_REGION", "");
    tu_fake_env_set(&e, "AWS_PROFILE", "missing");
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(dynamo_region_resolve(&o, region, sizeof(region), &err), 0);
    ck_assert_str_eq(region, "us-east-1");
    /* A broken file is an error with its position. */
    write_file("config", "[default]\nregion\n", path, sizeof(path));
    ck_assert_int_eq(dynamo_region_resolve(&o, region, sizeof(region), &err), -1);
    ck_assert_int_eq(err.line, 2);
}
END_TEST

/* ---- the chain ------------------------------------------------------------ */

/* The chain for E; the source of its provider, or NULL (ERR, *NONE). */
static struct dynamo_credentials *
chain(struct tu_fake_env *e, int no_network, int *none, struct dynamo_err *err)
{
    struct dynamo_credentials_options o = opts_for(e);

    o.no_network = no_network;
    memset(err, 0, sizeof(*err));
    return dynamop_credentials_chain(&o, none, err);
}

/* The keys P hands out (P must be static: no fetch here). */
static void
assert_keys(struct dynamo_credentials *p, const char *id, const char *secret,
            const char *token)
{
    struct dynamop_creds snap = {0};
    struct dynamo_err err = {0};

    ck_assert_int_eq(dynamop_credentials_get(p, 0, &snap, &err), 0);
    ck_assert_str_eq(snap.access_key_id, id);
    ck_assert_str_eq(snap.secret_access_key, secret);
    if (token == NULL)
        ck_assert_ptr_null(snap.session_token);
    else
        ck_assert_str_eq(snap.session_token, token);
    ck_assert_int_eq((long)snap.expiration, 0);
    dynamop_creds_wipe(&snap);
}

START_TEST(test_chain_environment_first)
{
    struct tu_fake_env e = {0};
    struct dynamo_err err;
    struct dynamo_credentials *p;
    char path[256];
    int none;

    make_tmpdir();
    tu_fake_env_set(&e, "AWS_SHARED_CREDENTIALS_FILE",
         write_file("credentials",
                    "[default]\naws_access_key_id = FILEKEY\n"
                    "aws_secret_access_key = FILESECRET\n",
                    path, sizeof(path)));
    tu_fake_env_set(&e, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds");
    tu_fake_env_set(&e, "AWS_ACCESS_KEY_ID", "ENVKEY");
    tu_fake_env_set(&e, "AWS_SECRET_ACCESS_KEY", "ENVSECRET");
    tu_fake_env_set(&e, "AWS_SESSION_TOKEN", "ENVTOKEN");
    p = chain(&e, 0, &none, &err);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(dynamo_credentials_source(p), "environment");
    assert_keys(p, "ENVKEY", "ENVSECRET", "ENVTOKEN");
    dynamo_credentials_free(p);

    /* Only one of the pair: flask-dynamo's error, not a fall-through. */
    tu_fake_env_set(&e, "AWS_SECRET_ACCESS_KEY", "");
    ck_assert_ptr_null(chain(&e, 0, &none, &err));
    ck_assert_int_eq(none, 0);
    ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);
    ck_assert_str_eq(err.text,
                     "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: "
                     "set both or neither");

    /* Neither: the profile. */
    tu_fake_env_set(&e, "AWS_ACCESS_KEY_ID", "");
    p = chain(&e, 0, &none, &err);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(dynamo_credentials_source(p), "profile default");
    assert_keys(p, "FILEKEY", "FILESECRET", NULL);
    dynamo_credentials_free(p);
}
END_TEST

/* The credentials file outranks the config file; HOME's ~/.aws is the
 * default place; "~/" in a path is expanded. */
START_TEST(test_chain_profile_files)
{
    struct tu_fake_env e = {0};
    struct dynamo_err err;
    struct dynamo_credentials *p;
    char path[256], awsdir[128];
    int none;

    make_tmpdir();
    snprintf(awsdir, sizeof(awsdir), "%s/.aws", tmpdir);
    ck_assert_int_eq(mkdir(awsdir, 0700), 0);
    write_file(".aws/config",
               "[profile dev]\naws_access_key_id = CONFIGKEY\n"
               "aws_secret_access_key = CONFIGSECRET\nregion = eu-west-1\n"
               "[profile cfgonly]\naws_access_key_id = ONLYKEY\n"
               "aws_secret_access_key = ONLYSECRET\n",
               path, sizeof(path));
    write_file(".aws/credentials",
               "[dev]\naws_secret_access_key = CREDSECRET\n"
               "aws_session_token = CREDTOKEN\n",
               path, sizeof(path));
    tu_fake_env_set(&e, "HOME", tmpdir);
    tu_fake_env_set(&e, "AWS_PROFILE", "dev");
    p = chain(&e, 0, &none, &err);
    ck_assert_msg(p != NULL, "%s", err.text);
    ck_assert_str_eq(dynamo_credentials_source(p), "profile dev");
    assert_keys(p, "CONFIGKEY", "CREDSECRET", "CREDTOKEN");
    dynamo_credentials_free(p);

    tu_fake_env_set(&e, "AWS_PROFILE", "cfgonly");
    p = chain(&e, 0, &none, &err);
    ck_assert_msg(p != NULL, "%s", err.text);
    assert_keys(p, "ONLYKEY", "ONLYSECRET", NULL);
    dynamo_credentials_free(p);

    /* The same files through the variables, with "~/". */
    tu_fake_env_set(&e, "AWS_CONFIG_FILE", "~/.aws/config");
    tu_fake_env_set(&e, "AWS_SHARED_CREDENTIALS_FILE", "~/nowhere/credentials");
    tu_fake_env_set(&e, "AWS_PROFILE", "dev");
    p = chain(&e, 0, &none, &err);
    ck_assert_msg(p != NULL, "%s", err.text);
    assert_keys(p, "CONFIGKEY", "CONFIGSECRET", NULL);
    dynamo_credentials_free(p);
}
END_TEST

START_TEST(test_chain_profile_errors)
{
    struct tu_fake_env e = {0};
    struct dynamo_err err;
    struct dynamo_credentials *p;
    char path[256], path2[256];
    int none;

    make_tmpdir();
    tu_fake_env_set(&e, "AWS_SHARED_CREDENTIALS_FILE",
         write_file("credentials",
                    "[half]\naws_access_key_id = HALFKEY\n"
                    "[proc]\ncredential_process = /usr/bin/get-creds\n"
                    "[prockeys]\ncredential_process = /usr/bin/get-creds\n"
                    "aws_access_key_id = PKEY\naws_secret_access_key = PSECRET\n"
                    "[regiononly]\nregion = eu-west-1\n",
                    path, sizeof(path)));
    tu_fake_env_set(&e, "AWS_CONFIG_FILE",
         write_file(
             "config",
             "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n"
             "aws_access_key_id = RKEY\naws_secret_access_key = RSECRET\n"
             "[profile sso]\nsso_session = corp\nsso_account_id = 1\n",
             path2, sizeof(path2)));
    tu_fake_env_set(&e, "AWS_EC2_METADATA_DISABLED", "true");

    tu_fake_env_set(&e, "AWS_PROFILE", "half");
    ck_assert_ptr_null(chain(&e, 0, &none, &err));
    ck_assert_msg(
        strstr(err.text, "aws_access_key_id is set but aws_secret_access_key is not"),
        "%s", err.text);
    ck_assert_ptr_null(strstr(err.text, "HALFKEY"));

    tu_fake_env_set(&e, "AWS_PROFILE", "proc");
    ck_assert_ptr_null(chain(&e, 0, &none, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);
    ck_assert_int_eq(none, 0);
    ck_assert_msg(strstr(err.text, "credential_process") &&
                      strstr(err.text, "not supported"),
                  "%s", err.text);

    /* Static keys come before credential_process in the SDKs... */
    tu_fake_env_set(&e, "AWS_PROFILE", "prockeys");
    p = chain(&e, 0, &none, &err);
    ck_assert_msg(p != NULL, "%s", err.text);
    assert_keys(p, "PKEY", "PSECRET", NULL);
    dynamo_credentials_free(p);

    /* ... but after role_arn and SSO: using the keys would be another identity. */
    tu_fake_env_set(&e, "AWS_PROFILE", "role");
    ck_assert_ptr_null(chain(&e, 0, &none, &err));
    ck_assert_msg(strstr(err.text, "role_arn") && strstr(err.text, "not supported"), "%s",
                  err.text);
    tu_fake_env_set(&e, "AWS_PROFILE", "sso");
    ck_assert_ptr_null(chain(&e, 0, &none, &err));
    ck_assert_msg(strstr(err.text, "sso_session"), "%s", err.text);

    /* A named profile that exists nowhere. */
    tu_fake_env_set(&e, "AWS_PROFILE", "typo");
    ck_assert_ptr_null(chain(&e, 0, &none, &err));
    ck_assert_int_eq(none, 0);
    ck_assert_msg(strstr(err.text, "profile 'typo'"), "%s", err.text);

    /* A profile with no credentials falls through to the next source. */
    tu_fake_env_set(&e, "AWS_PROFILE", "regiononly");
    ck_assert_ptr_null(chain(&e, 0, &none, &err));
    ck_assert_int_eq(none, 1);
    tu_fake_env_set(&e, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x");
    p = chain(&e, 0, &none, &err);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(dynamo_credentials_source(p), "container");
    dynamo_credentials_free(p);

    /* A broken file stops the chain with its position. */
    write_file("config", "[profile x\n", path2, sizeof(path2));
    ck_assert_ptr_null(chain(&e, 0, &none, &err));
    ck_assert_int_eq(err.line, 1);
    ck_assert_msg(strstr(err.text, "config:1:"), "%s", err.text);
}
END_TEST

/* Container before instance metadata; metadata only when allowed. */
START_TEST(test_chain_metadata_sources)
{
    struct tu_fake_env e = {0};
    struct dynamo_err err;
    struct dynamo_credentials *p;
    int none;

    p = chain(&e, 0, &none, &err); /* nothing set: instance metadata, not contacted */
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(dynamo_credentials_source(p), "instance metadata");
    dynamo_credentials_free(p);

    ck_assert_ptr_null(chain(&e, 1, &none, &err)); /* no network: nothing */
    ck_assert_int_eq(none, 1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);

    tu_fake_env_set(&e, "AWS_EC2_METADATA_DISABLED", "TRUE");
    ck_assert_ptr_null(chain(&e, 0, &none, &err));
    ck_assert_int_eq(none, 1);
    ck_assert_msg(strstr(err.text, "no AWS credentials"), "%s", err.text);

    tu_fake_env_set(&e, "AWS_EC2_METADATA_DISABLED", "false");
    tu_fake_env_set(&e, "AWS_EC2_METADATA_SERVICE_ENDPOINT", "file:///etc/passwd");
    ck_assert_ptr_null(chain(&e, 0, &none, &err));
    ck_assert_int_eq(none, 0);
    ck_assert_msg(strstr(err.text, "AWS_EC2_METADATA_SERVICE_ENDPOINT"), "%s", err.text);

    tu_fake_env_set(&e, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.168.1.5/creds");
    ck_assert_ptr_null(chain(&e, 0, &none, &err));
    ck_assert_msg(strstr(err.text, "AWS_CONTAINER_CREDENTIALS_FULL_URI"), "%s", err.text);
    tu_fake_env_set(&e, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds");
    tu_fake_env_set(&e, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abc");
    p = chain(&e, 0, &none, &err);
    ck_assert_msg(p != NULL, "%s", err.text);
    ck_assert_str_eq(dynamo_credentials_source(p), "container");
    dynamo_credentials_free(p);

    /* RELATIVE_URI outranks FULL_URI and must be a path. */
    tu_fake_env_set(&e, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "v2/creds");
    ck_assert_ptr_null(chain(&e, 0, &none, &err));
    ck_assert_msg(strstr(err.text, "RELATIVE_URI"), "%s", err.text);
}
END_TEST

START_TEST(test_static_provider_snapshots)
{
    struct dynamo_err err = {0};
    struct dynamo_credentials *p =
        dynamo_credentials_new_static("AKID", "SECRET", NULL, &err);
    struct dynamop_creds snap = {0};
    const char *first;

    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(dynamo_credentials_source(p), "static");
    ck_assert_int_eq(dynamop_credentials_get(p, 0, &snap, &err), 0);
    first = snap.access_key_id;
    /* Same generation: nothing copied again; FORCE does nothing to static keys. */
    ck_assert_int_eq(dynamop_credentials_get(p, DYNAMOP_CREDS_FORCE, &snap, &err), 0);
    ck_assert_ptr_eq(snap.access_key_id, first);
    ck_assert_str_eq(snap.secret_access_key, "SECRET");
    dynamop_creds_wipe(&snap);
    dynamo_credentials_free(p);
    dynamo_credentials_free(NULL);

    ck_assert_ptr_null(dynamo_credentials_new_static("AKID", "", NULL, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);
}
END_TEST

/* The client takes static keys as before, or borrows a provider. */
START_TEST(test_client_credentials_config)
{
    struct dynamo_err err = {0};
    struct dynamo_credentials *p =
        dynamo_credentials_new_static("AKID", "SECRET", "T", &err);
    struct dynamo_client_config cfg = {0};
    struct dynamo_client *c;

    cfg.endpoint = "http://127.0.0.1:9";
    ck_assert_ptr_null(dynamo_client_new(&cfg, &err)); /* nothing at all */
    ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);
    memset(&err, 0, sizeof(err));
    cfg.access_key_id = "AKID";
    ck_assert_ptr_null(dynamo_client_new(&cfg, &err)); /* half a pair */
    ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);
    memset(&err, 0, sizeof(err));
    cfg.credentials = p;
    ck_assert_ptr_null(dynamo_client_new(&cfg, &err)); /* half a pair beats a provider */
    memset(&err, 0, sizeof(err));
    cfg.access_key_id = NULL;
    c = dynamo_client_new(&cfg, &err);
    ck_assert_msg(c != NULL, "%s", err.text);
    dynamo_client_free(c);
    cfg.access_key_id = "AKID2";
    cfg.secret_access_key = "SECRET2";
    c = dynamo_client_new(&cfg, &err);
    ck_assert_msg(c != NULL, "%s", err.text);
    dynamo_client_free(c);
    dynamo_credentials_free(p);
}
END_TEST

/* ---- the extension: one provider per app, read through the app's config ---- */

/* An app whose config sets the NULL-terminated KEY, VALUE pairs, bound to a
 * dynamo; returns the dynamo or NULL (ERR).  *APP must be freed. */
static struct dynamo *
app_with(struct web_app **app, const char *const *kv, struct dynamo_err *err)
{
    struct web_err werr = {0};
    struct dynamo *d;
    char path[256];

    *app = web_app_new("creds", &werr);
    ck_assert_ptr_nonnull(*app);
    write_file("tables", "[table users]\nhash_key = username S\n", path, sizeof(path));
    ck_assert_int_eq(web_config_set(*app, "DYNAMO_TABLES_FILE", path, &werr), 0);
    for (size_t i = 0; kv[i] != NULL; i += 2)
        ck_assert_int_eq(web_config_set(*app, kv[i], kv[i + 1], &werr), 0);
    memset(err, 0, sizeof(*err));
    d = dynamo_new(*app, err);
    return d;
}

START_TEST(test_extension_chain)
{
    static const char *const vars[] = {"AWS_ACCESS_KEY_ID",
                                       "AWS_SECRET_ACCESS_KEY",
                                       "AWS_SESSION_TOKEN",
                                       "AWS_PROFILE",
                                       "AWS_REGION",
                                       "AWS_DEFAULT_REGION",
                                       "AWS_CONFIG_FILE",
                                       "AWS_SHARED_CREDENTIALS_FILE",
                                       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                                       "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                       "AWS_EC2_METADATA_DISABLED",
                                       "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                                       "DYNAMO_ENABLE_LOCAL",
                                       "DYNAMO_LOCAL_HOST",
                                       "DYNAMO_LOCAL_PORT"};
    char creds[256], config[256];
    struct dynamo_err err;
    struct web_app *app;
    struct dynamo *d;

    /* This test's own process: the environment must not outrank the app. */
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    make_tmpdir();
    setenv("HOME", tmpdir, 1);
    write_file("creds", "[dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = S\n",
               creds, sizeof(creds));
    write_file("config", "[profile dev]\nregion = eu-central-1\n", config,
               sizeof(config));

    /* A profile named in the app's config, its region included. */
    d = app_with(&app,
                 (const char *const[]){"AWS_PROFILE", "dev", "AWS_CONFIG_FILE", config,
                                       "AWS_SHARED_CREDENTIALS_FILE", creds, NULL},
                 &err);
    ck_assert_msg(d != NULL, "%s", err.text);
    ck_assert_str_eq(dynamo_credentials_source(d->credentials), "profile dev");
    ck_assert_ptr_eq(d->config.client.credentials, d->credentials);
    ck_assert_str_eq(d->config.region, "eu-central-1");
    web_app_free(app);
    dynamo_free(d);

    /* Explicit keys outrank the profile. */
    d = app_with(&app,
                 (const char *const[]){"AWS_PROFILE", "dev", "AWS_ACCESS_KEY_ID", "K",
                                       "AWS_SECRET_ACCESS_KEY", "S", NULL},
                 &err);
    ck_assert_msg(d != NULL, "%s", err.text);
    ck_assert_str_eq(dynamo_credentials_source(d->credentials), "environment");
    web_app_free(app);
    dynamo_free(d);

    /* flask-dynamo's error: one of the pair. */
    ck_assert_ptr_null(
        app_with(&app, (const char *const[]){"AWS_ACCESS_KEY_ID", "K", NULL}, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);
    ck_assert_msg(strstr(err.text, "AWS_SECRET_ACCESS_KEY") != NULL, "%s", err.text);
    web_app_free(app);

    /* DynamoDB Local and nothing anywhere: the fixed local keys, no metadata. */
    d = app_with(&app,
                 (const char *const[]){"DYNAMO_ENABLE_LOCAL", "1", "DYNAMO_LOCAL_HOST",
                                       "127.0.0.1", "DYNAMO_LOCAL_PORT", "9", NULL},
                 &err);
    ck_assert_msg(d != NULL, "%s", err.text);
    ck_assert_str_eq(dynamo_credentials_source(d->credentials), "static");
    ck_assert_str_eq(d->config.region, "us-east-1");
    web_app_free(app);
    dynamo_free(d);

    /* Nothing anywhere and no metadata allowed: refused at init. */
    ck_assert_ptr_null(app_with(
        &app, (const char *const[]){"AWS_EC2_METADATA_DISABLED", "true", NULL}, &err));
    ck_assert_int_eq(err.code, DYNAMO_ERR_CONFIG);
    ck_assert_msg(strstr(err.text, "DYNAMO_ENABLE_LOCAL") != NULL, "%s", err.text);
    web_app_free(app);

    /* Nothing anywhere: instance metadata, not contacted at init (the
     * connect() above would fail this test). */
    d = app_with(&app, (const char *const[]){NULL}, &err);
    ck_assert_msg(d != NULL, "%s", err.text);
    ck_assert_str_eq(dynamo_credentials_source(d->credentials), "instance metadata");
    web_app_free(app);
    dynamo_free(d);
}
END_TEST

/* ---- allocation failures -------------------------------------------------- */

/* Runs the chain over a profile file, a static snapshot and a metadata
 * answer with allocation N failing, for every N until one run succeeds:
 * each failure must be a clean DYNAMO_ERR_NOMEM (LeakSanitizer checks that
 * nothing leaks). */
static int
chaos_run(struct tu_fake_env *e, struct dynamo_err *err)
{
    static const char answer[] =
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
        "\"Token\":\"T\",\"Expiration\":\"2030-01-02T03:04:05Z\"}";
    struct dynamo_credentials_options o = opts_for(e);
    struct dynamop_creds snap = {0}, fetched = {0};
    struct dynamo_credentials *p;
    char region[64];
    int none, rc = -1;

    if ((p = dynamop_credentials_chain(&o, &none, err)) == NULL)
        return -1;
    if (dynamop_credentials_get(p, 0, &snap, err) == 0 &&
        dynamo_region_resolve(&o, region, sizeof(region), err) == 0 &&
        dynamop_creds_from_json(answer, strlen(answer), "x", &fetched, err) == 0)
        rc = 0;
    dynamop_creds_wipe(&snap);
    dynamop_creds_wipe(&fetched);
    dynamo_credentials_free(p);
    return rc;
}

START_TEST(test_chaos_allocations)
{
    struct tu_fake_env e = {0};
    char path[256], path2[256];
    long n;

    make_tmpdir();
    tu_fake_env_set(&e, "AWS_SHARED_CREDENTIALS_FILE",
         write_file("credentials",
                    "[default]\naws_access_key_id = K\n"
                    "aws_secret_access_key = S\naws_session_token = T\n",
                    path, sizeof(path)));
    tu_fake_env_set(&e, "AWS_CONFIG_FILE",
         write_file("config", "[default]\nregion = eu-west-1\n", path2, sizeof(path2)));
    tu_fake_env_set(&e, "AWS_EC2_METADATA_DISABLED",
         "true"); /* a unit test never reaches the network */
    for (n = 1; n < 1000; n++) {
        struct dynamo_err err = {0};
        int rc;

        util_alloc_fail_at(n);
        rc = chaos_run(&e, &err);
        util_alloc_fail_at(0);
        if (rc == 0)
            break;
        ck_assert_msg(err.code == DYNAMO_ERR_NOMEM, "allocation %ld: %s", n, err.text);
    }
    ck_assert_int_gt(n, 5);
    ck_assert_int_lt(n, 1000);
}
END_TEST

static Suite *
credentials_suite(void)
{
    Suite *s = suite_create("credentials");
    TCase *files = tcase_create("shared files");
    TCase *answers = tcase_create("metadata answers");
    TCase *chain_tc = tcase_create("chain");

    tcase_set_timeout(files, 30);
    tcase_add_test(files, test_parse_credentials_file);
    tcase_add_test(files, test_parse_profile_prefix);
    tcase_add_test(files, test_parse_comments_case_and_subproperties);
    tcase_add_test(files, test_parse_later_wins);
    tcase_add_test(files, test_parse_unsupported_keys);
    tcase_add_loop_test(files, test_parse_errors, 0,
                        (int)(sizeof(bad_files) / sizeof(bad_files[0])));
    tcase_add_test(files, test_parse_errors_hide_values);
    suite_add_tcase(s, files);

    tcase_set_timeout(answers, 30);
    tcase_add_test(answers, test_iso8601);
    tcase_add_test(answers, test_creds_json);
    tcase_add_loop_test(answers, test_creds_json_errors, 0,
                        (int)(sizeof(bad_answers) / sizeof(bad_answers[0])));
    tcase_add_test(answers, test_container_url_check);
    suite_add_tcase(s, answers);

    tcase_set_timeout(chain_tc, 60);
    tcase_add_checked_fixture(chain_tc, NULL, teardown_tmpdir);
    tcase_add_test(chain_tc, test_region_precedence);
    tcase_add_test(chain_tc, test_chain_environment_first);
    tcase_add_test(chain_tc, test_chain_profile_files);
    tcase_add_test(chain_tc, test_chain_profile_errors);
    tcase_add_test(chain_tc, test_chain_metadata_sources);
    tcase_add_test(chain_tc, test_static_provider_snapshots);
    tcase_add_test(chain_tc, test_client_credentials_config);
    tcase_add_test(chain_tc, test_extension_chain);
    tcase_add_test(chain_tc, test_chaos_allocations);
    suite_add_tcase(s, chain_tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(credentials_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
