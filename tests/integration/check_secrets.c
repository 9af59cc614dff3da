/*
 * check_secrets.c: no secret access key, session token or signature ever
 * shows in what the client and the example app print (issue 6, "Secrets";
 * docs/conventions.md, convention 16).
 *
 * Everything runs with a recognisable secret key and session token through
 * the failure paths: endpoints that are wrong or refuse, DynamoDB Local's own
 * errors, configurations the app refuses, and a fake DynamoDB (a forked
 * child on loopback) answering 403 InvalidSignatureException,
 * ExpiredTokenException and the like.  The fake echoes what it was sent
 * where AWS would, and a little more: InvalidSignatureException carries the
 * canonical request (with the X-Amz-Security-Token header's value), as AWS's
 * does; IncompleteSignatureException carries the Authorization header; a
 * proxy's HTML error page carries every header.  tests/common/faultsrv.c
 * cannot echo a request, hence the small server here.
 *
 * "Shows" is strict: no 12 consecutive characters of the secret or the
 * token (a "near '...'" quote of a config line is a leak too), no
 * "Signature=" followed by a hex digit, and no run of 64 hex digits (a bare
 * signature).  Checked: every error text, type and request id the client
 * returns, the test's own stderr while the client runs, the app's stdout
 * and stderr for its commands and its FastCGI server (WEB_LOG_LEVEL=debug),
 * and the bodies the app answered through nginx.
 */
#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dynamo.h"
#include "testutil.h"

#define AKID "AKIDSECRETSPROBE"
#define SECRET "Zq8SeCrEtKeY/dynamoFcgi+LeakProbe/01234xy"
#define TOKEN                                                                            \
    "IQoJSeSsIoNtOkEn//////////dynamoFcgiLeakProbe+wEaCXVzLWVhc3QtMSJHMEUCIQDxyzAbc"     \
    "/DEFghiJKLmnoPQRstuVWXyz0123456789+abcdefTOKENEND=="

/* ---- what counts as a leak -------------------------------------------- */

/* 1 when TEXT holds 12 consecutive characters of SECRET. */
static int
shows_part(const char *text, const char *secret)
{
    char window[13];

    for (size_t i = 0; i + 12 <= strlen(secret); i++) {
        memcpy(window, secret + i, 12);
        window[12] = '\0';
        if (strstr(text, window) != NULL)
            return 1;
    }
    return 0;
}

/* What of the secrets TEXT shows, or NULL. */
static const char *
leak_in(const char *text)
{
    size_t hex = 0;

    if (shows_part(text, SECRET))
        return "the secret access key";
    if (shows_part(text, TOKEN))
        return "the session token";
    for (const char *p = text; (p = strstr(p, "Signature=")) != NULL; p += 10)
        if (isxdigit((unsigned char)p[10]))
            return "a Signature= value";
    for (const char *p = text; *p != '\0'; p++) {
        hex = isxdigit((unsigned char)*p) ? hex + 1 : 0;
        if (hex >= 64)
            return "64 hex digits (a signature)";
    }
    return NULL;
}

static void
assert_clean(const char *text, const char *what)
{
    const char *leak = leak_in(text);

    ck_assert_msg(leak == NULL, "%s shows %s:\n%s", what, leak, text);
}

static void
assert_err_clean(const struct dynamo_err *err, const char *what)
{
    ck_assert_msg(err->code != DYNAMO_OK, "%s: no error", what);
    assert_clean(err->text, what);
    assert_clean(err->type, what);
    assert_clean(err->request_id, what);
}

/* The whole of file PATH (new: free()), "" when absent. */
static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];

    while (f != NULL && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            text = realloc(text, cap);
            ck_assert_ptr_nonnull(text);
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    if (f != NULL)
        fclose(f);
    if (text == NULL)
        return strdup("");
    text[len] = '\0';
    return text;
}

static void
assert_file_clean(const char *path, const char *what)
{
    char *text = slurp(path);

    assert_clean(text, what);
    free(text);
}

/* ---- a fake DynamoDB that echoes the request -------------------------- */

/* The answers, in turn, one per request (the Nth request gets answer N mod
 * count).  In MESSAGE, {auth}, {token}, {date}, {host} and {target} are
 * the request's headers of those names. */
struct answer {
    int status;
    const char *type; /* NULL: the body is MESSAGE as it is, not JSON */
    const char *message;
};

static const struct answer answers[] = {
    {403, "com.amazon.coral.service#InvalidSignatureException",
     "The request signature we calculated does not match the signature you provided. "
     "Check your AWS Secret Access Key and signing method. Consult the service "
     "documentation for details.\n\nThe Canonical String for this request should have "
     "been\n'POST\n/\n\ncontent-type:application/x-amz-json-1.0\nhost:{host}\n"
     "x-amz-date:{date}\nx-amz-security-token:{token}\nx-amz-target:{target}\n\n"
     "content-type;host;x-amz-date;x-amz-security-token;x-amz-target\n"
     "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'\n\n"
     "The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n{date}\n'"},
    {400, "com.amazon.coral.service#IncompleteSignatureException",
     "Authorization header requires 'Credential' parameter. Authorization={auth}"},
    {400, "com.amazon.coral.service#ExpiredTokenException",
     "The security token included in the request is expired"},
    {400, "com.amazon.coral.service#UnrecognizedClientException",
     "The security token included in the request is invalid."},
    {400, "com.amazon.coral.validate#ValidationException",
     "1 validation error detected: Value '{token}' at 'securityToken' failed to satisfy "
     "constraint"},
    {403, "com.amazon.coral.service#AccessDeniedException",
     "{token} is not authorized to perform: dynamodb:{target} (signed {auth})"},
    {502, NULL,
     "<html><body><h1>502 Bad Gateway</h1><pre>Authorization: {auth}\n"
     "X-Amz-Security-Token: {token}</pre></body></html>"},
    {503, "com.amazonaws.dynamodb.v20120810#ServiceUnavailable", "{auth} {token}"},
};
#define NANSWERS (sizeof(answers) / sizeof(answers[0]))

struct fake {
    int port;
    pid_t pid;
    atomic_long *requests; /* shared with the child */
};

/* The value of header NAME in the request head HEAD, into OUT. */
static void
header_value(const char *head, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);

    out[0] = '\0';
    for (const char *l = head; l != NULL; l = strstr(l, "\r\n")) {
        l += l[0] == '\r' ? 2 : 0;
        if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
            const char *v = l + n + 1 + strspn(l + n + 1, " ");

            snprintf(out, size, "%.*s", (int)strcspn(v, "\r\n"), v);
            return;
        }
    }
}

/* MESSAGE with the placeholders filled in from HEAD (new: free()). */
static char *
fill(const char *message, const char *head)
{
    static const char *const keys[][2] = {{"{auth}", "Authorization"},
                                          {"{token}", "X-Amz-Security-Token"},
                                          {"{date}", "X-Amz-Date"},
                                          {"{host}", "Host"},
                                          {"{target}", "X-Amz-Target"}};
    char *out = calloc(1, 16384), value[4096];
    size_t len = 0;

    for (const char *p = message; out != NULL && *p != '\0';) {
        size_t k = 0;

        while (k < 5 && strncmp(p, keys[k][0], strlen(keys[k][0])) != 0)
            k++;
        if (k < 5) {
            header_value(head, keys[k][1], value, sizeof(value));
            p += strlen(keys[k][0]);
        } else {
            snprintf(value, sizeof(value), "%c", *p++);
        }
        len += (size_t)snprintf(out + len, 16384 - len, "%s", value);
        if (len >= 16384 - 1)
            break;
    }
    return out;
}

/* Reads from FD into BUF (SIZE bytes, *LEN used) until it holds a whole
 * request: the head, then Content-Length bytes of body (RFC 9112, section
 * 6.3).  Returns the request's length, or 0 when the client closed. */
static size_t
read_request(int fd, char *buf, size_t size, size_t *len)
{
    for (;;) {
        char *end = strstr(buf, "\r\n\r\n"), cl[32];
        ssize_t n;

        if (end != NULL) {
            size_t need;

            *end = '\0';
            header_value(buf, "Content-Length", cl, sizeof(cl));
            *end = '\r';
            need = (size_t)(end + 4 - buf) + strtoul(cl, NULL, 10);
            if (*len >= need)
                return need;
        }
        if (*len + 1 >= size || (n = read(fd, buf + *len, size - *len - 1)) <= 0)
            return 0;
        *len += (size_t)n;
        buf[*len] = '\0';
    }
}

/* Sends answer number I (from 0) to the request whose head is HEAD.
 * Returns 0, or -1 when the client went away. */
static int
send_answer(int fd, const char *head, long i)
{
    const struct answer *a = &answers[i % (long)NANSWERS];
    char *msg = fill(a->message, head), *body = msg, status[256];
    int rc;

    if (a->type != NULL) {
        json_t *j = json_pack("{s:s, s:s}", "__type", a->type, "message", msg);

        body = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        free(msg);
    }
    snprintf(status, sizeof(status),
             "HTTP/1.1 %d Error\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
             "x-amzn-RequestId: FAKE-%ld\r\n\r\n",
             a->status, a->type ? "application/x-amz-json-1.0" : "text/html",
             strlen(body), i + 1);
    rc = write(fd, status, strlen(status)) < 0 || write(fd, body, strlen(body)) < 0 ? -1
                                                                                    : 0;
    free(body);
    return rc;
}

/* Serves one connection: each request gets the next answer, until the
 * client closes. */
static void
serve_connection(int fd, atomic_long *requests)
{
    static char buf[256 * 1024];
    size_t len = 0, need;

    buf[0] = '\0';
    while ((need = read_request(fd, buf, sizeof(buf), &len)) > 0) {
        *strstr(buf, "\r\n\r\n") = '\0'; /* the head alone */
        if (send_answer(fd, buf, atomic_fetch_add(requests, 1)) != 0)
            return;
        memmove(buf, buf + need, len - need);
        len -= need;
        buf[len] = '\0';
    }
}

/* Starts the fake on a loopback port the kernel picks; ready on return. */
static void
fake_start(struct fake *f)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    ck_assert_int_ge(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 16), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    f->port = ntohs(a.sin_port);
    f->requests = mmap(NULL, sizeof(*f->requests), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert(f->requests != MAP_FAILED);
    atomic_store(f->requests, 0);
    f->pid = fork();
    ck_assert_int_ge(f->pid, 0);
    if (f->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGCHLD, SIG_IGN); /* connection children reap themselves */
        for (;;) {
            int c = accept(fd, NULL, NULL);

            if (c < 0)
                continue;
            if (fork() == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                close(fd);
                serve_connection(c, f->requests);
                _exit(0);
            }
            close(c);
        }
    }
    close(fd);
}

static void
fake_stop(struct fake *f)
{
    kill(f->pid, SIGKILL);
    waitpid(f->pid, NULL, 0);
    munmap(f->requests, sizeof(*f->requests));
}

/* ---- the client ------------------------------------------------------- */

/* A client for ENDPOINT with the probe's keys, one attempt per call. */
static struct dynamo_client *
probe_client(const char *endpoint, struct dynamo_err *err)
{
    struct dynamo_client_config cfg = {0};

    cfg.endpoint = endpoint;
    cfg.access_key_id = AKID;
    cfg.secret_access_key = SECRET;
    cfg.session_token = TOKEN;
    cfg.max_attempts = 1;
    cfg.request_timeout_ms = 5000;
    return dynamo_client_new(&cfg, err);
}

/* Sends this process's stderr to a file in /tmp until stderr_restore(),
 * which checks what was written there. */
struct captured {
    char path[64];
    int saved;
};

static void
stderr_capture(struct captured *c)
{
    int fd;

    snprintf(c->path, sizeof(c->path), "/tmp/dynamo-fcgi-secrets-XXXXXX");
    fd = mkstemp(c->path);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    c->saved = dup(2);
    dup2(fd, 2);
    close(fd);
}

static void
stderr_restore(struct captured *c, const char *what)
{
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    assert_file_clean(c->path, what);
    unlink(c->path);
}

/* Every answer of the fake, through dynamo_call and the typed operations. */
START_TEST(test_client_auth_errors)
{
    struct fake f;
    struct captured cap;
    char url[64];
    struct dynamo_client *c;
    struct dynamo_err err = {0};
    json_t *req = json_object(), *key = json_pack("{s:{s:s}}", "id", "S", "k"),
           *item = NULL;

    fake_start(&f);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", f.port);
    stderr_capture(&cap);
    c = probe_client(url, &err);
    ck_assert_msg(c != NULL, "%s", err.text);
    for (size_t i = 0; i < 2 * NANSWERS; i++) {
        long before = atomic_load(f.requests);

        memset(&err, 0, sizeof(err));
        if (i % 2 == 0)
            ck_assert_ptr_null(dynamo_call(c, "ListTables", req, &err));
        else
            ck_assert_int_eq(dynamo_get_item(c, "users", key, NULL, &item, &err), -1);
        ck_assert_msg(atomic_load(f.requests) > before, "answer %zu: no request", i);
        assert_err_clean(&err, answers[i % NANSWERS].type ? answers[i % NANSWERS].type
                                                          : "non-JSON 502");
        if (i < 4)
            ck_assert_msg(err.code == DYNAMO_ERR_AUTH, "answer %zu: %s", i, err.text);
        /* The rest of the message survives, the secret replaced by "***". */
        if (i % NANSWERS == 4)
            ck_assert_msg(strstr(err.text, "Value '***' at 'securityToken'") != NULL,
                          "%s", err.text);
        if (i % NANSWERS == 5)
            ck_assert_msg(
                strstr(err.text, "AccessDeniedException: *** is not authorized") != NULL,
                "%s", err.text);
    }
    dynamo_client_free(c);
    stderr_restore(&cap, "stderr while the client ran");
    json_decref(key);
    json_decref(req);
    fake_stop(&f);
}
END_TEST

/* Endpoints that are not URLs, refuse, or do not speak TLS. */
START_TEST(test_client_bad_endpoints)
{
    char tls_to_plain[64];
    const char *endpoints[] = {"not a url", "ftp://127.0.0.1:21", "http://127.0.0.1:1",
                               tls_to_plain};
    struct captured cap;
    json_t *names = NULL;

    /* https to DynamoDB Local, which speaks plain HTTP: a failed handshake. */
    snprintf(tls_to_plain, sizeof(tls_to_plain), "https://%s:%s",
             tu_env("DYNAMO_LOCAL_HOST"), tu_env("DYNAMO_LOCAL_PORT"));
    stderr_capture(&cap);
    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
        struct dynamo_err err = {0};
        struct dynamo_client *c = probe_client(endpoints[i], &err);

        if (c != NULL)
            ck_assert_int_eq(dynamo_list_tables(c, &names, &err), -1);
        assert_err_clean(&err, endpoints[i]);
        dynamo_client_free(c);
    }
    stderr_restore(&cap, "stderr while the client ran");
}
END_TEST

/* DynamoDB Local's own errors, with a session token. */
START_TEST(test_client_dynamodb_errors)
{
    char url[256];
    struct dynamo_err err = {0};
    struct dynamo_client *c;
    struct captured cap;
    json_t *key = json_pack("{s:{s:s}}", "id", "S", "k"), *item = NULL, *bad, *out;

    snprintf(url, sizeof(url), "http://%s:%s", tu_env("DYNAMO_LOCAL_HOST"),
             tu_env("DYNAMO_LOCAL_PORT"));
    stderr_capture(&cap);
    c = probe_client(url, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(dynamo_get_item(c, "no-such-table-secrets", key, NULL, &item, &err),
                     -1);
    ck_assert_int_eq(err.code, DYNAMO_ERR_NOT_FOUND);
    assert_err_clean(&err, "ResourceNotFoundException");
    memset(&err, 0, sizeof(err));
    bad = json_pack("{s:s}", "TableName", "x");
    ck_assert_int_eq(dynamo_create_table(c, bad, &err), -1);
    assert_err_clean(&err, "CreateTable without keys");
    memset(&err, 0, sizeof(err));
    out = dynamo_call(c, "NoSuchOperation", bad, &err);
    ck_assert_ptr_null(out);
    assert_err_clean(&err, "an unknown operation");
    json_decref(bad);
    json_decref(key);
    dynamo_client_free(c);
    stderr_restore(&cap, "stderr while the client ran");
}
END_TEST

/* ---- the example app -------------------------------------------------- */

/* A loopback port nothing listens on (the kernel's pick, released). */
static int
free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* Polls until 127.0.0.1:PORT accepts, for at most 20 s while PID lives.
 * Returns 0, or -1 with *STATUS the child's wait status (-1: still running). */
static int
wait_listening(int port, pid_t pid, int *status)
{
    *status = -1;
    for (int i = 0; i < 2000; i++) {
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons(port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

        ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        close(fd);
        if (ok)
            return 0;
        if (waitpid(pid, status, WNOHANG) == pid)
            return -1;
        usleep(10000);
    }
    return -1;
}

/* The app's environment: nothing inherited but PATH; HOME is DIR (no
 * ~/.aws); logging at its most talkative; then EXTRA ("NAME=value", NULL
 * terminated). */
struct app_env {
    char *vars[32];
    char store[32][512];
    int n;
};

static void
env_add(struct app_env *e, const char *fmt, const char *value)
{
    ck_assert_int_lt(e->n, 31);
    snprintf(e->store[e->n], sizeof(e->store[0]), fmt, value);
    e->vars[e->n] = e->store[e->n];
    e->vars[++e->n] = NULL;
}

static void
env_init(struct app_env *e, const char *dir, const char *const *extra)
{
    const char *path = getenv("PATH");

    e->n = 0;
    env_add(e, "PATH=%s", path ? path : "/usr/bin:/bin");
    env_add(e, "HOME=%s", dir);
    env_add(e, "%s", "WEB_LOG_LEVEL=debug");
    env_add(e, "%s", "AWS_MAX_ATTEMPTS=1");
    env_add(e, "%s", "DYNAMO_TABLES_FILE=app_skeleton/dynamo.conf");
    env_add(e, "%s", "AWS_REGION=us-east-1");
    for (; extra != NULL && *extra != NULL; extra++)
        env_add(e, "%s", *extra);
}

/* The usual keys, as the environment gives them. */
#define PROBE_KEYS                                                                       \
    "AWS_ACCESS_KEY_ID=" AKID, "AWS_SECRET_ACCESS_KEY=" SECRET, "AWS_SESSION_TOKEN=" TOKEN

/* Starts build/app_skeleton with ARGS and environment E, its stdout and
 * stderr appended to LOG. */
static pid_t
app_spawn(const char *const *args, struct app_env *e, const char *log)
{
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        char prog[] = "build/app_skeleton", *argv[8] = {prog};

        for (int i = 0; args[i] != NULL && i < 6; i++)
            argv[i + 1] = (char *)(uintptr_t)args[i]; /* execve's old prototype */
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        execve(argv[0], argv, e->vars);
        dprintf(2, "execve %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

/* Runs an app command to its end (30 s at most); returns its exit status. */
static int
app_run(const char *const *args, struct app_env *e, const char *log)
{
    pid_t pid = app_spawn(args, e, log);
    int status = 0;

    for (int i = 0; i < 3000; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    ck_abort_msg("app_skeleton %s did not finish in 30 s", args[0]);
    return -1;
}

/* A private folder for one case's files (PATH, size 64). */
static void
make_dir(char *path)
{
    snprintf(path, 64, "/tmp/dynamo-fcgi-secrets-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(path));
}

static void
remove_dir(const char *dir)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* `check` and `create-all` against the fake: every answer reaches the app. */
START_TEST(test_app_commands_auth_errors)
{
    static const char *const check[] = {"check", NULL}, *const create[] = {"create-all",
                                                                           NULL};
    struct fake f;
    struct app_env e;
    char dir[64], log[128], port[64];
    const char *extra[] = {"DYNAMO_ENABLE_LOCAL=1", "DYNAMO_LOCAL_HOST=127.0.0.1", port,
                           PROBE_KEYS, NULL};

    fake_start(&f);
    make_dir(dir);
    snprintf(log, sizeof(log), "%s/app.log", dir);
    snprintf(port, sizeof(port), "DYNAMO_LOCAL_PORT=%d", f.port);
    env_init(&e, dir, extra);
    for (size_t i = 0; i < NANSWERS; i++) {
        ck_assert_int_ne(app_run(check, &e, log), 0);
        ck_assert_int_ne(app_run(create, &e, log), 0);
    }
    ck_assert_int_ge(atomic_load(f.requests), (long)NANSWERS);
    assert_file_clean(log, "app_skeleton check / create-all output");
    fake_stop(&f);
    remove_dir(dir);
}
END_TEST

/* Requests through nginx to the app's FastCGI server backed by UPSTREAM
 * (host:port, DynamoDB Local or the fake): every answer body and the app's
 * log are clean. */
static void
serve_and_check(const char *upstream_port, int rounds)
{
    static const char *const serve[] = {"serve", NULL};
    static const char *const reqs[][2] = {
        {"GET", "/users/alice"}, {"PUT", "/users/alice"}, {"DELETE", "/users/alice"},
        {"GET", "/users"},       {"GET", "/groups/g"},    {"GET", "/healthz"}};
    struct app_env e;
    char dir[64], log[128], port[64], listen[64], cmd[512], url[128];
    const char *extra[] = {
        "DYNAMO_ENABLE_LOCAL=1", "DYNAMO_LOCAL_HOST=127.0.0.1",       port,       listen,
        "WEB_WORKERS=1",         "DYNAMO_TABLE_PREFIX=secrets-none-", PROBE_KEYS, NULL};
    int fcgi = free_port(), http = free_port(), status;
    pid_t pid;

    while (http == fcgi) /* the kernel may hand the same port out twice */
        http = free_port();
    make_dir(dir);
    snprintf(log, sizeof(log), "%s/app.log", dir);
    snprintf(port, sizeof(port), "DYNAMO_LOCAL_PORT=%s", upstream_port);
    snprintf(listen, sizeof(listen), "WEB_LISTEN=127.0.0.1:%d", fcgi);
    env_init(&e, dir, extra);
    pid = app_spawn(serve, &e, log);
    ck_assert_msg(wait_listening(fcgi, pid, &status) == 0,
                  "the app did not listen on %d (wait status %d):\n%s", fcgi, status,
                  slurp(log));
    snprintf(cmd, sizeof(cmd), "scripts/nginx.sh start %s 127.0.0.1:%d 127.0.0.1:%d", dir,
             http, fcgi);
    ck_assert_int_eq(system(cmd), 0);
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
            struct tu_http resp;
            const char *body = strcmp(reqs[i][0], "PUT") == 0 ? "{\"a\":1}" : NULL;

            snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", http, reqs[i][1]);
            ck_assert_int_eq(tu_http(reqs[i][0], url, body, body ? 7 : 0, &resp), 0);
            ck_assert_msg(resp.status >= 400, "%s %s: %ld", reqs[i][0], reqs[i][1],
                          resp.status);
            assert_clean(resp.body, "an answer's body");
            assert_clean(resp.headers, "an answer's headers");
            tu_http_free(&resp);
        }
    snprintf(cmd, sizeof(cmd), "scripts/nginx.sh stop %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    assert_file_clean(log, "app_skeleton serve output");
    remove_dir(dir);
}

START_TEST(test_app_serve_auth_errors)
{
    struct fake f;
    char port[16];

    fake_start(&f);
    snprintf(port, sizeof(port), "%d", f.port);
    serve_and_check(port, (int)NANSWERS);
    ck_assert_int_ge(atomic_load(f.requests), (long)NANSWERS);
    fake_stop(&f);
}
END_TEST

/* DynamoDB Local without the app's tables: ResourceNotFoundException. */
START_TEST(test_app_serve_dynamodb_errors)
{
    serve_and_check(tu_env("DYNAMO_LOCAL_PORT"), 2);
}
END_TEST

/* Endpoints and configurations the app refuses, secrets in every place. */
START_TEST(test_app_bad_config)
{
    static const char *const check[] = {"check", NULL};
    static const char *const files[] = {
        /* A config file whose secret lines are broken in each way. */
        "AWS_SECRET_ACCESS_KEY = \"" SECRET "\n",
        "AWS_SECRET_ACCESS_KEY " SECRET "\n",
        "AWS_SECRET_ACCESS_KEY: " SECRET "\n",
        "AWS_SESSION_TOKEN = \"" TOKEN "\" " TOKEN "\n",
        "AWS_SESSION_TOKEN = \"" TOKEN "\\q\"\n",
        "AWS_SECRET_ACCESS_KEY = " SECRET "\nAWS_SECRET_ACCESS_KEY = " SECRET "\n",
        "AWS_SECRET_ACCESS_KEY = " SECRET "\nDYNAMO_ENABLE_LOCAL = maybe\n",
    };
    static const char *const creds[] = {
        /* ~/.aws/credentials, broken around the secret. */
        "[default]\naws_access_key_id = " AKID "\naws_secret_access_key " SECRET "\n",
        "[default]\naws_secret_access_key = " SECRET "\n",
        "aws_secret_access_key = " SECRET "\n[default]\n",
        "[default\naws_secret_access_key = " SECRET "\n",
        "[default]\naws_secret_access_key = " SECRET "\n  " TOKEN "\n",
    };
    static const char *const envs[][4] = {
        {"AWS_SECRET_ACCESS_KEY=" SECRET, "AWS_SESSION_TOKEN=" TOKEN, NULL},
        {"AWS_ACCESS_KEY_ID=" AKID, "AWS_SESSION_TOKEN=" TOKEN, NULL},
        {"AWS_ENDPOINT_URL_DYNAMODB=not a url", PROBE_KEYS},
        {"AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:1", PROBE_KEYS},
        {"AWS_ENDPOINT_URL_DYNAMODB=https://127.0.0.1:1", PROBE_KEYS},
    };
    struct app_env e;
    char dir[64], log[128], file[128], setting[160];
    const char *extra[8];
    FILE *f;

    make_dir(dir);
    snprintf(log, sizeof(log), "%s/app.log", dir);
    snprintf(file, sizeof(file), "%s/app.conf", dir);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        f = fopen(file, "w");
        ck_assert_ptr_nonnull(f);
        fputs(files[i], f);
        fclose(f);
        snprintf(setting, sizeof(setting), "WEB_CONFIG_FILE=%s", file);
        extra[0] = setting;
        extra[1] = "DYNAMO_ENABLE_LOCAL=1";
        extra[2] = "DYNAMO_LOCAL_HOST=127.0.0.1";
        extra[3] = "DYNAMO_LOCAL_PORT=1";
        extra[4] = NULL;
        env_init(&e, dir, extra);
        ck_assert_int_ne(app_run(check, &e, log), 0);
    }
    snprintf(file, sizeof(file), "%s/credentials", dir);
    for (size_t i = 0; i < sizeof(creds) / sizeof(creds[0]); i++) {
        f = fopen(file, "w");
        ck_assert_ptr_nonnull(f);
        fputs(creds[i], f);
        fclose(f);
        snprintf(setting, sizeof(setting), "AWS_SHARED_CREDENTIALS_FILE=%s", file);
        extra[0] = setting;
        extra[1] = "AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:1";
        extra[2] = "AWS_EC2_METADATA_DISABLED=true";
        extra[3] = NULL;
        env_init(&e, dir, extra);
        ck_assert_int_ne(app_run(check, &e, log), 0);
    }
    for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
        size_t n = 0;

        for (; n < 4 && envs[i][n] != NULL; n++)
            extra[n] = envs[i][n];
        extra[n++] = "AWS_EC2_METADATA_DISABLED=true";
        extra[n] = NULL;
        env_init(&e, dir, extra);
        ck_assert_int_ne(app_run(check, &e, log), 0);
    }
    assert_file_clean(log, "app_skeleton output for bad configurations");
    remove_dir(dir);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("secrets");
    TCase *client = tcase_create("client"), *app = tcase_create("app");

    tcase_add_checked_fixture(client, NULL, tu_leak_check);
    tcase_set_timeout(client, 60);
    tcase_add_checked_fixture(app, NULL, tu_leak_check);
    tcase_set_timeout(app, 120);
    tcase_add_test(client, test_client_auth_errors);
    tcase_add_test(client, test_client_bad_endpoints);
    tcase_add_test(client, test_client_dynamodb_errors);
    tcase_add_test(app, test_app_commands_auth_errors);
    tcase_add_test(app, test_app_serve_auth_errors);
    tcase_add_test(app, test_app_serve_dynamodb_errors);
    tcase_add_test(app, test_app_bad_config);
    suite_add_tcase(s, client);
    suite_add_tcase(s, app);
    return tu_run(s);
}
