/*
 * check_serve.c: web_app_serve in a forked child, driven over loopback TCP
 * by the test's own FastCGI client (tests/common/fcgiclient.c).
 *
 *   - SIGTERM while a slow request is in flight: the request finishes with
 *     its whole answer, new connections are refused meanwhile, every
 *     context is torn down and the process exits 0;
 *   - WEB_WORKERS=4 under 200 requests from 8 client threads: all answered,
 *     each worker's app context distinct and reused across its requests;
 *   - connections kept open (FCGI_KEEP_CONN), more than workers: a request
 *     on any of them is answered while the others sit idle, 8 threads on 8
 *     kept connections get every answer, new connections are still served,
 *     connections the client closes are closed, WEB_MAX_CONNECTIONS caps
 *     the kept ones, and SIGTERM with idle kept connections exits 0 at once.
 *
 * The child logs to DIR/server.log and appends a line per context teardown
 * to DIR/teardown.  It dies with the test (PR_SET_PDEATHSIG).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/web.h"
#include "fcgiclient.h"
#include "testutil.h"

#define SLOW_MS 1000
#define CLIENTS 8
#define PER_CLIENT 25
#define WORKERS 4
#define TIMEOUT_MS 20000
#define KEEP_WORKERS 2 /* workers of the kept-connection tests ... */
#define KEPT 8         /* ... fewer than their connections */
#define PER_KEPT 20    /* requests per kept connection from its thread */

/* ---- the server child -------------------------------------------------------- */

/* Set in the child before serving. */
static int started_fd = -1;     /* /slow writes one byte here when it starts */
static char teardown_path[256]; /* the teardown marker file */
static atomic_long next_ctx_id;

/* A test extension: per context, an id and a request count. */
struct counter {
    long id;
    long requests;
};

static void
counter_teardown(struct web_ctx *ctx, void *state, void *self)
{
    struct counter *c = state;
    char line[64];
    int fd = open(teardown_path, O_WRONLY | O_CREAT | O_APPEND, 0600), n;

    (void)ctx;
    (void)self;
    n = c ? snprintf(line, sizeof(line), "teardown ctx=%ld n=%ld\n", c->id, c->requests)
          : snprintf(line, sizeof(line), "teardown unused\n");
    if (fd >= 0) {
        if (write(fd, line, (size_t)n) != n)
            abort();
        close(fd);
    }
    free(c);
}

static void
counter_log(struct web_ctx *ctx, void *state, void *self, char *buf, size_t size)
{
    const struct counter *c = state;

    (void)ctx;
    (void)self;
    if (c != NULL)
        snprintf(buf, size, "counter=%ld/%ld", c->id, c->requests);
}

static struct web_ext counter_ext = {
    .name = "counter",
    .teardown_ctx = counter_teardown,
    .log_request = counter_log,
};

static void
sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};

    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

static int
handle_ping(struct web_req *req, struct web_resp *resp, void *udata)
{
    (void)req;
    (void)udata;
    web_resp_status(resp, 200);
    return web_resp_body(resp, "pong", 4);
}

/* A handler that works for SLOW_MS (the work, not a wait for a server). */
static int
handle_slow(struct web_req *req, struct web_resp *resp, void *udata)
{
    (void)req;
    (void)udata;
    if (write(started_fd, "S", 1) != 1)
        return -1;
    sleep_ms(SLOW_MS);
    web_resp_status(resp, 200);
    return web_resp_body(resp, "slow done", 9);
}

/* "ctx=ID n=N": the context's id and how many requests it has served. */
static int
handle_ctx(struct web_req *req, struct web_resp *resp, void *udata)
{
    void **slot = web_ctx_slot(web_req_ctx(req), &counter_ext);
    struct counter *c;
    char body[64];
    int n;

    (void)udata;
    if (slot == NULL)
        return -1;
    if (*slot == NULL) {
        if ((c = calloc(1, sizeof(*c))) == NULL)
            return -1;
        c->id = atomic_fetch_add(&next_ctx_id, 1) + 1;
        *slot = c;
    }
    c = *slot;
    c->requests++;
    sleep_ms(2); /* keep this worker busy so the others take requests too */
    n = snprintf(body, sizeof(body), "ctx=%ld n=%ld", c->id, c->requests);
    web_resp_status(resp, 200);
    return web_resp_body(resp, body, (size_t)n);
}

/* Logs a warning from inside a request, then answers. */
static int
handle_warn(struct web_req *req, struct web_resp *resp, void *udata)
{
    (void)udata;
    web_log(web_req_app(req), WEB_LOG_WARN, "handler warning");
    web_resp_status(resp, 200);
    return web_resp_body(resp, "warned", 6);
}

static const struct web_route routes[] = {
    {"GET", "/ping", handle_ping},
    {"GET", "/warn", handle_warn},
    {"GET", "/slow", handle_slow},
    {"GET", "/ctx", handle_ctx},
};

/* The child: serves until a signal, exits with 0 only when web_app_serve
 * returned 0 (and, under ASan, nothing leaked). */
static void
run_server(int port, int workers, const char *dir)
{
    struct web_err err = {0};
    struct web_app *app;
    char v[64], path[512];
    int fd, rc = -1;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    snprintf(path, sizeof(path), "%s/server.log", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0 || dup2(fd, 2) < 0)
        _exit(90);
    close(fd);
    snprintf(v, sizeof(v), "127.0.0.1:%d", port);
    setenv("WEB_LISTEN", v, 1);
    snprintf(v, sizeof(v), "%d", workers);
    setenv("WEB_WORKERS", v, 1);
    setenv("WEB_LOG_LEVEL", "info", 1);
    unsetenv("WEB_GRACE_MS");
    app = web_app_new("serve-test", &err);
    if (app != NULL && web_app_register(app, &counter_ext, &err) == 0 &&
        web_app_routes(app, routes, sizeof(routes) / sizeof(routes[0]), NULL, &err) == 0)
        rc = web_app_serve(app, &err);
    if (rc != 0)
        fprintf(stderr, "check_serve: %s\n", err.text);
    web_app_free(app);
    exit(rc == 0 ? 0 : 91);
}

/* ---- the test side --------------------------------------------------------------- */

struct server {
    pid_t pid;
    int port;
    int started_rd; /* read end of the child's STARTED_FD */
    char dir[64];
};

/* A port nothing listens on now (the kernel's pick, released again). */
static int
free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static long
now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

/* The child's exit status once it exits, polled up to TIMEOUT (ms); -1 if
 * it is still running then. */
static int
wait_exit(struct server *s, long timeout)
{
    long end = now_ms() + timeout;
    int status;

    while (now_ms() < end) {
        pid_t r = waitpid(s->pid, &status, WNOHANG);

        if (r == s->pid) {
            s->pid = 0;
            return status;
        }
        sleep_ms(10);
    }
    return -1;
}

/* Polls /ping until the server answers (never a fixed sleep). */
static void
wait_ready(struct server *s)
{
    long end = now_ms() + TIMEOUT_MS;
    struct tu_fcgi_resp r;
    int status;

    for (;;) {
        int ok = tu_fcgi_get(s->port, "/ping", 2000, &r) == 0 && r.status == 200;

        tu_fcgi_resp_free(&r);
        if (ok)
            return;
        ck_assert_msg(waitpid(s->pid, &status, WNOHANG) == 0,
                      "the server exited before answering (see %s/server.log)", s->dir);
        ck_assert_msg(now_ms() < end, "the server does not answer on port %d", s->port);
        sleep_ms(10);
    }
}

static void
server_start(struct server *s, int workers)
{
    int p[2];

    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "%s/check-serve-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(s->dir));
    s->port = free_port();
    ck_assert_int_eq(pipe(p), 0);
    fflush(NULL); /* nothing buffered is written twice */
    s->pid = fork();
    ck_assert_int_ge(s->pid, 0);
    if (s->pid == 0) {
        close(p[0]);
        started_fd = p[1];
        snprintf(teardown_path, sizeof(teardown_path), "%s/teardown", s->dir);
        run_server(s->port, workers, s->dir);
    }
    close(p[1]);
    s->started_rd = p[0];
    wait_ready(s);
}

/* The contents of DIR/NAME, NUL-terminated (free() it); "" when absent. */
static char *
read_file(const struct server *s, const char *name)
{
    char path[512], *buf;
    FILE *f;
    long n;

    snprintf(path, sizeof(path), "%s/%s", s->dir, name);
    f = fopen(path, "r");
    if (f == NULL)
        return strdup("");
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = calloc(1, (size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

/* Number of lines of TEXT that contain NEEDLE. */
static int
count_lines(const char *text, const char *needle)
{
    int n = 0;

    for (const char *line = text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *hit = strstr(line, needle);

        if (hit != NULL && hit < line + len)
            n++;
        line += len + (end != NULL);
    }
    return n;
}

/* Kills a child still running, removes the files. */
static void
server_cleanup(struct server *s)
{
    static const char *const files[] = {"server.log", "teardown"};
    char path[512];

    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
    }
    close(s->started_rd);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", s->dir, files[i]);
        unlink(path);
    }
    rmdir(s->dir);
}

/* Polls until a connection to PORT is refused: 1, or 0 after TIMEOUT ms. */
static int
refused_within(int port, long timeout)
{
    long end = now_ms() + timeout;

    while (now_ms() < end) {
        int fd = tu_fcgi_connect(port);

        if (fd < 0 && errno == ECONNREFUSED)
            return 1;
        if (fd >= 0)
            close(fd);
        sleep_ms(5);
    }
    return 0;
}

START_TEST(test_sigterm_finishes_slow_request)
{
    struct server s;
    struct tu_fcgi_resp r;
    struct pollfd pfd;
    char c = 0, *log, *marks;
    int fd, status;

    server_start(&s, 2);
    fd = tu_fcgi_connect(s.port);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(tu_fcgi_send(fd, "GET", "/slow"), 0);
    pfd = (struct pollfd){.fd = s.started_rd, .events = POLLIN};
    ck_assert_msg(poll(&pfd, 1, TIMEOUT_MS) == 1 && read(s.started_rd, &c, 1) == 1 &&
                      c == 'S',
                  "the slow handler never started");
    ck_assert_int_eq(kill(s.pid, SIGTERM), 0);

    /* While the handler still works: new connections are refused ... */
    ck_assert_msg(refused_within(s.port, SLOW_MS / 2), "connections still accepted");
    pfd = (struct pollfd){.fd = fd, .events = POLLIN};
    ck_assert_msg(poll(&pfd, 1, 0) == 0, "the slow request ended before the refusal");
    /* ... and the request in flight gets its whole answer. */
    ck_assert_msg(tu_fcgi_recv(fd, TIMEOUT_MS, &r) == 0, "incomplete response: %s",
                  r.body ? r.body : "");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "slow done");
    tu_fcgi_resp_free(&r);
    close(fd);

    status = wait_exit(&s, TIMEOUT_MS);
    log = read_file(&s, "server.log");
    ck_assert_msg(status != -1, "still running after the request finished:\n%s", log);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "exit status 0x%x, server log:\n%s", (unsigned)status, log);
    /* Each of the 2 workers' contexts was torn down. */
    marks = read_file(&s, "teardown");
    ck_assert_msg(count_lines(marks, "teardown") == 2, "teardown marker:\n%s", marks);
    /* The levelled log: start-up, the signal, the access line, the end. */
    ck_assert_int_eq(
        count_lines(log, "info: web: serving \"serve-test\" with 2 worker(s)"), 1);
    ck_assert_int_eq(count_lines(log, "info: web: SIGTERM: finishing requests in flight"),
                     1);
    ck_assert_int_eq(count_lines(log, "info: GET /slow 200 "), 1);
    ck_assert_int_eq(count_lines(log, "info: web: every worker finished"), 1);
    free(log);
    free(marks);
    server_cleanup(&s);
}
END_TEST

/* What one client thread saw. */
struct client {
    pthread_t tid;
    int port;
    int answered;        /* complete 200 responses */
    long id[PER_CLIENT]; /* the context id of each answer */
    long n[PER_CLIENT];  /* and its request count there */
};

static void *
client_main(void *arg)
{
    struct client *cl = arg;

    for (int i = 0; i < PER_CLIENT; i++) {
        struct tu_fcgi_resp r;

        if (tu_fcgi_get(cl->port, "/ctx", TIMEOUT_MS, &r) == 0 && r.status == 200 &&
            sscanf(r.body, "ctx=%ld n=%ld", &cl->id[i], &cl->n[i]) == 2)
            cl->answered++;
        tu_fcgi_resp_free(&r);
    }
    return NULL;
}

/* Every context id in CL is in 1..WORKERS; each context's counts seen are
 * exactly 1..k (so it served k requests, one after another).  Returns the
 * number of distinct contexts. */
static int
check_contexts(const struct client *cl, size_t ncl)
{
    static unsigned char seen[WORKERS + 1][CLIENTS * PER_CLIENT + 1];
    long count[WORKERS + 1] = {0}, total = 0;
    int distinct = 0;

    memset(seen, 0, sizeof(seen));
    for (size_t c = 0; c < ncl; c++) {
        for (int i = 0; i < PER_CLIENT; i++) {
            long id = cl[c].id[i], n = cl[c].n[i];

            ck_assert_msg(id >= 1 && id <= WORKERS,
                          "context id %ld: more than %d contexts", id, WORKERS);
            ck_assert(n >= 1 && n <= CLIENTS * PER_CLIENT);
            ck_assert_msg(!seen[id][n], "context %ld answered n=%ld twice", id, n);
            seen[id][n] = 1;
            count[id]++;
        }
    }
    for (long id = 1; id <= WORKERS; id++) {
        for (long n = 1; n <= count[id]; n++)
            ck_assert_msg(seen[id][n], "context %ld: count %ld missing", id, n);
        /* Reused: no context served a single request only. */
        ck_assert_msg(count[id] == 0 || count[id] >= 2,
                      "context %ld served %ld request(s)", id, count[id]);
        distinct += count[id] > 0;
        total += count[id];
    }
    ck_assert_int_eq(total, CLIENTS * PER_CLIENT);
    return distinct;
}

START_TEST(test_workers_reuse_contexts)
{
    struct server s;
    static struct client cl[CLIENTS];
    char *log, *marks;
    int answered = 0, distinct, status;

    server_start(&s, WORKERS);
    memset(cl, 0, sizeof(cl));
    for (int i = 0; i < CLIENTS; i++) {
        cl[i].port = s.port;
        ck_assert_int_eq(pthread_create(&cl[i].tid, NULL, client_main, &cl[i]), 0);
    }
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(cl[i].tid, NULL);
        answered += cl[i].answered;
    }
    ck_assert_int_eq(answered, CLIENTS * PER_CLIENT);
    distinct = check_contexts(cl, CLIENTS);
    ck_assert_int_ge(distinct, 1);
    ck_assert_int_le(distinct, WORKERS);

    ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
    status = wait_exit(&s, TIMEOUT_MS);
    log = read_file(&s, "server.log");
    ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "exit status 0x%x, server log:\n%s", (unsigned)status, log);
    /* One teardown per worker; the contexts that served /ctx had state. */
    marks = read_file(&s, "teardown");
    ck_assert_msg(count_lines(marks, "teardown") == WORKERS, "teardown marker:\n%s",
                  marks);
    ck_assert_int_eq(count_lines(marks, "teardown ctx="), distinct);
    /* Every request has its access line, with the extension's part. */
    ck_assert_int_eq(count_lines(log, "info: GET /ctx 200 "), CLIENTS * PER_CLIENT);
    ck_assert_int_eq(count_lines(log, " counter="), CLIENTS * PER_CLIENT);
    free(log);
    free(marks);
    server_cleanup(&s);
}
END_TEST

/* ---- kept connections (FCGI_KEEP_CONN) ------------------------------------------ */

/* GET URI with FCGI_KEEP_CONN on FD.  0 for a complete 200 answer, whose
 * body goes to R (free it). */
static int
kept_get(int fd, const char *uri, struct tu_fcgi_resp *r)
{
    memset(r, 0, sizeof(*r));
    if (tu_fcgi_send_keep(fd, "GET", uri) != 0)
        return -1;
    return tu_fcgi_recv(fd, TIMEOUT_MS, r) == 0 && r->status == 200 ? 0 : -1;
}

/* 1 if the server closed FD within TIMEOUT ms (EOF or reset), 0 if it is
 * still open then. */
static int
closed_within(int fd, int timeout)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char b;

    return poll(&p, 1, timeout) == 1 && read(fd, &b, 1) <= 0;
}

/* The number of descriptors PID has open. */
static int
open_fds(pid_t pid)
{
    char path[64];
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    d = opendir(path);
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Polls until PID has at most N descriptors open: 1, or 0 after TIMEOUT ms. */
static int
fds_drop_to(pid_t pid, int n, long timeout)
{
    long end = now_ms() + timeout;

    while (open_fds(pid) > n) {
        if (now_ms() >= end)
            return 0;
        sleep_ms(10);
    }
    return 1;
}

/* KEPT connections, each with one request answered and left open. */
static void
open_kept(const struct server *s, int *fds, int n)
{
    struct tu_fcgi_resp r;

    for (int i = 0; i < n; i++) {
        fds[i] = tu_fcgi_connect(s->port);
        ck_assert_int_ge(fds[i], 0);
        ck_assert_msg(kept_get(fds[i], "/ping", &r) == 0, "connection %d: no answer", i);
        ck_assert_str_eq(r.body, "pong");
        tu_fcgi_resp_free(&r);
    }
    for (int i = 0; i < n; i++)
        ck_assert_msg(!closed_within(fds[i], 0), "kept connection %d was closed", i);
}

/* One thread's kept connection and what it got on it. */
struct kept_client {
    pthread_t tid;
    int fd;
    int answered;      /* complete 200 answers */
    long id[PER_KEPT]; /* the context id of each */
};

static void *
kept_client_main(void *arg)
{
    struct kept_client *cl = arg;

    for (int i = 0; i < PER_KEPT; i++) {
        struct tu_fcgi_resp r;
        long n;

        if (kept_get(cl->fd, "/ctx", &r) == 0 &&
            sscanf(r.body, "ctx=%ld n=%ld", &cl->id[i], &n) == 2)
            cl->answered++;
        tu_fcgi_resp_free(&r);
    }
    return NULL;
}

/* Each of KEPT threads sends PER_KEPT requests on its own kept connection
 * at once: every one is answered, by one of the workers' contexts. */
static void
load_kept(const int *fds)
{
    static struct kept_client cl[KEPT];
    int answered = 0;

    memset(cl, 0, sizeof(cl));
    for (int i = 0; i < KEPT; i++) {
        cl[i].fd = fds[i];
        ck_assert_int_eq(pthread_create(&cl[i].tid, NULL, kept_client_main, &cl[i]), 0);
    }
    for (int i = 0; i < KEPT; i++) {
        pthread_join(cl[i].tid, NULL);
        answered += cl[i].answered;
        for (int j = 0; j < cl[i].answered; j++)
            ck_assert_msg(cl[i].id[j] >= 1 && cl[i].id[j] <= KEEP_WORKERS,
                          "context %ld: more contexts than workers", cl[i].id[j]);
    }
    ck_assert_int_eq(answered, KEPT * PER_KEPT);
}

/* A worker never waits on one kept connection while another has a request:
 * with the other KEPT - 1 idle, a request on the last one is answered, and
 * so on in any order. */
START_TEST(test_keep_conn_no_starvation)
{
    struct server s;
    struct tu_fcgi_resp r;
    char *log;
    int fds[KEPT], open, status;

    server_start(&s, KEEP_WORKERS);
    open_kept(&s, fds, KEPT);
    for (int i = KEPT - 1; i >= 0; i -= 3) {
        long t0 = now_ms();

        ck_assert_msg(kept_get(fds[i], "/ping", &r) == 0, "connection %d starved", i);
        ck_assert_msg(now_ms() - t0 < TIMEOUT_MS / 4, "connection %d waited %ld ms", i,
                      now_ms() - t0);
        tu_fcgi_resp_free(&r);
    }
    load_kept(fds);
    /* New connections (one request each) are served beside the kept ones. */
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(tu_fcgi_get(s.port, "/ping", TIMEOUT_MS, &r), 0);
        ck_assert_int_eq(r.status, 200);
        tu_fcgi_resp_free(&r);
    }
    /* Connections the client closes are closed by the server too. */
    open = open_fds(s.pid);
    for (int i = 0; i < KEPT; i++)
        close(fds[i]);
    ck_assert_msg(fds_drop_to(s.pid, open - KEPT, TIMEOUT_MS),
                  "%d descriptors open, %d with the kept connections", open_fds(s.pid),
                  open);

    ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
    status = wait_exit(&s, TIMEOUT_MS);
    log = read_file(&s, "server.log");
    ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "exit status 0x%x, server log:\n%s", (unsigned)status, log);
    ck_assert_int_eq(count_lines(log, "info: GET /ctx 200 "), KEPT * PER_KEPT);
    free(log);
    server_cleanup(&s);
}
END_TEST

/* SIGTERM with idle kept connections: they are closed, the contexts torn
 * down, and the process exits 0 at once, not after WEB_GRACE_MS. */
START_TEST(test_keep_conn_sigterm_idle)
{
    struct server s;
    char *log, *marks;
    int fds[KEPT], status;
    long t0;

    server_start(&s, KEEP_WORKERS);
    open_kept(&s, fds, KEPT);
    t0 = now_ms();
    ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
    status = wait_exit(&s, TIMEOUT_MS);
    log = read_file(&s, "server.log");
    ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "exit status 0x%x, server log:\n%s", (unsigned)status, log);
    /* Well within the 10 s grace period: nothing waited for it. */
    ck_assert_msg(now_ms() - t0 < 5000, "exited %ld ms after SIGTERM", now_ms() - t0);
    for (int i = 0; i < KEPT; i++) {
        ck_assert_msg(closed_within(fds[i], TIMEOUT_MS), "connection %d left open", i);
        close(fds[i]);
    }
    marks = read_file(&s, "teardown");
    ck_assert_msg(count_lines(marks, "teardown") == KEEP_WORKERS, "teardown marker:\n%s",
                  marks);
    ck_assert_int_eq(count_lines(log, "info: web: every worker finished"), 1);
    free(log);
    free(marks);
    server_cleanup(&s);
}
END_TEST

/* WEB_MAX_CONNECTIONS=2: a third connection is answered, then closed even
 * though the client asked to keep it; the first two stay usable. */
/* Polls DIR/server.log until it has at least N lines holding NEEDLE, up to
 * TIMEOUT_MS while the server runs.  Returns the log (free() it). */
static char *
wait_log_lines(struct server *s, const char *needle, int n)
{
    long end = now_ms() + TIMEOUT_MS;
    char *log;

    for (;;) {
        log = read_file(s, "server.log");
        if (count_lines(log, needle) >= n || now_ms() >= end)
            return log;
        free(log);
        sleep_ms(10);
    }
}

/* Access lines are batched per worker (log.c), yet each shows up while the
 * server runs, soon after its request, and another line the worker logs
 * keeps its place among them. */
START_TEST(test_access_log_batched)
{
    struct tu_fcgi_resp r;
    struct server s;
    const char *warn, *ping, *after;
    char *log;
    int status, pings;

    server_start(&s, 1);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(tu_fcgi_get(s.port, "/ping", 2000, &r), 0);
        ck_assert_int_eq(r.status, 200);
        tu_fcgi_resp_free(&r);
    }
    /* wait_ready's pings plus these 3; nothing stops the server first. */
    log = wait_log_lines(&s, "info: GET /ping 200 ", 4);
    pings = count_lines(log, "info: GET /ping 200 ");
    ck_assert_msg(pings >= 4, "access lines not written while serving:\n%s", log);
    free(log);

    ck_assert_int_eq(tu_fcgi_get(s.port, "/ping", 2000, &r), 0);
    tu_fcgi_resp_free(&r);
    ck_assert_int_eq(tu_fcgi_get(s.port, "/warn", 2000, &r), 0);
    ck_assert_int_eq(r.status, 200);
    tu_fcgi_resp_free(&r);
    log = wait_log_lines(&s, "info: GET /warn 200 ", 1);
    /* Every /ping line, the one just before /warn included, precedes the
     * handler's warning; /warn's own access line follows it. */
    warn = strstr(log, "warn: handler warning\n");
    ck_assert_msg(warn != NULL, "no warning line:\n%s", log);
    ck_assert_int_eq(count_lines(warn, "info: GET /ping 200 "), 0);
    ping = log;
    for (int i = 0; i <= pings; i++) {
        ping = strstr(ping, "info: GET /ping 200 ");
        ck_assert_msg(ping != NULL && ping < warn, "ping line %d after the warning:\n%s",
                      i, log);
        ping++;
    }
    after = strstr(warn, "info: GET /warn 200 ");
    ck_assert_msg(after != NULL, "/warn's access line not after its warning:\n%s", log);
    free(log);

    ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
    status = wait_exit(&s, TIMEOUT_MS);
    ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "exit status 0x%x", (unsigned)status);
    server_cleanup(&s);
}
END_TEST

START_TEST(test_keep_conn_cap)
{
    struct server s;
    struct tu_fcgi_resp r;
    char *log;
    int fds[3];

    setenv("WEB_MAX_CONNECTIONS", "2", 1);
    server_start(&s, KEEP_WORKERS);
    for (int i = 0; i < 3; i++) {
        fds[i] = tu_fcgi_connect(s.port);
        ck_assert_int_ge(fds[i], 0);
        ck_assert_int_eq(kept_get(fds[i], "/ping", &r), 0);
        tu_fcgi_resp_free(&r);
    }
    ck_assert_msg(closed_within(fds[2], TIMEOUT_MS),
                  "the connection past the cap is open");
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(!closed_within(fds[i], 50), "connection %d was closed", i);
        ck_assert_int_eq(kept_get(fds[i], "/ping", &r), 0);
        tu_fcgi_resp_free(&r);
    }
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    log = read_file(&s, "server.log");
    ck_assert_int_eq(count_lines(log, "warn: web: 2 FastCGI connections kept open"), 1);
    free(log);
    ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
    ck_assert_int_eq(wait_exit(&s, TIMEOUT_MS), 0);
    server_cleanup(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("serve");
    TCase *tc = tcase_create("serve");

    tcase_add_checked_fixture(tc, NULL, tu_leak_check);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sigterm_finishes_slow_request);
    tcase_add_test(tc, test_workers_reuse_contexts);
    tcase_add_test(tc, test_keep_conn_no_starvation);
    tcase_add_test(tc, test_keep_conn_sigterm_idle);
    tcase_add_test(tc, test_keep_conn_cap);
    tcase_add_test(tc, test_access_log_batched);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
