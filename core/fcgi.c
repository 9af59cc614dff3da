/*
 * fcgi.c: web_app_serve.  The listening socket, the worker threads, and a
 * clean shutdown on SIGTERM / SIGINT.
 *
 * Shutdown: SIGTERM and SIGINT are blocked in every thread of the server and
 * taken by one signal thread with sigwait().  It writes a byte to a wake pipe
 * that is never read, so the pipe stays readable for good.  A worker waits
 * for work with poll() on the listening socket (or its kept-alive
 * connection) and the wake pipe, and calls FCGX_Accept_r only when a
 * connection or a request is there: no worker is ever stuck in accept().
 * The listening socket is non-blocking too, so a connection another worker
 * or process took first gives EAGAIN instead of a wait.  Workers finish the
 * request in hand, pop their context (running the extensions' teardowns)
 * and exit; the main thread waits for them up to WEB_GRACE_MS.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define BACKLOG 128
#define MAX_WORKERS 1024
#define KEPT_IDLE_MS 100

struct server {
    struct web_app *app;
    int listen_fd;
    int own_listener; /* LISTEN_FD was opened here from WEB_LISTEN */
    char *unix_path;  /* the socket file we created, removed on exit */
    int wake[2];      /* the self-pipe: readable once a stop is requested */
    size_t max_body;
    long grace_ms;
    long nworkers;
    sigset_t sigs; /* SIGTERM, SIGINT */
    int cond_ok;   /* COND below was initialised */

    pthread_mutex_t accept_mu; /* one worker polls and accepts at a time */
    pthread_mutex_t mu;        /* guards the fields below */
    pthread_cond_t cond;       /* signalled on a stop request, a worker exit */
    int stop;
    enum web_code failed; /* a fatal error in a worker: WEB_OK if none */
    char failure[200];    /* ... what it was */
    long running;         /* workers started and not finished */
    atomic_int sig_quit;  /* tells the signal thread to return */
};

/* ---- stopping -------------------------------------------------------------- */

/* Makes a socket opened from WEB_LISTEN stop listening, so a connection
 * after the stop is refused at once (the web server can try another
 * upstream) rather than queued until the exit resets it.  shutdown(), not
 * close(): workers may still be polling the descriptor; the wake pipe tells
 * them to stop.  An inherited fd 0 belongs to systemd or spawn-fcgi too and
 * is left listening: connections queue there for the next instance. */
static void
stop_listening(struct server *srv)
{
    if (srv->own_listener && shutdown(srv->listen_fd, SHUT_RDWR) != 0 &&
        errno != ENOTCONN)
        web_log(srv->app, WEB_LOG_WARN, "web: shutdown of the listening socket: %s",
                strerror(errno));
}

/* 1 once a stop has been requested. */
static int
stopping(struct server *srv)
{
    int stop;

    pthread_mutex_lock(&srv->mu);
    stop = srv->stop;
    pthread_mutex_unlock(&srv->mu);
    return stop;
}

/* Asks everything to stop.  CODE other than WEB_OK, with the text FAILURE,
 * makes web_app_serve fail once the workers are gone. */
static void
request_stop(struct server *srv, enum web_code code, const char *failure)
{
    pthread_mutex_lock(&srv->mu);
    if (code != WEB_OK && srv->failed == WEB_OK) {
        srv->failed = code;
        snprintf(srv->failure, sizeof(srv->failure), "%s", failure);
        web_log(srv->app, WEB_LOG_ERROR, "web: %s: stopping", failure);
    }
    if (!srv->stop) {
        srv->stop = 1;
        /* Never read: every later poll() sees it.  A full pipe is fine. */
        if (write(srv->wake[1], "x", 1) < 0 && errno != EAGAIN)
            web_log(srv->app, WEB_LOG_ERROR, "web: wake pipe: %s", strerror(errno));
        stop_listening(srv);
    }
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->mu);
}

static void *
signal_main(void *arg)
{
    struct server *srv = arg;
    int sig;

    for (;;) {
        if (sigwait(&srv->sigs, &sig) != 0)
            continue;
        if (atomic_load(&srv->sig_quit))
            return NULL;
        web_log(srv->app, WEB_LOG_INFO,
                "web: %s: finishing requests in flight (up to %ld ms), then exiting",
                sig == SIGINT ? "SIGINT" : "SIGTERM", srv->grace_ms);
        request_stop(srv, WEB_OK, NULL);
    }
}

/* ---- workers ---------------------------------------------------------------- */

/* Waits until FD is readable or a stop is requested, at most TIMEOUT_MS
 * (-1: no limit).  1 readable, 0 stop, 2 timed out, -1 poll failed. */
static int
wait_readable(struct server *srv, int fd, int timeout_ms)
{
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
                          {.fd = srv->wake[0], .events = POLLIN}};
    int n;

    for (;;) {
        n = poll(p, 2, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 2;
        if (p[1].revents != 0)
            return 0;
        if (p[0].revents != 0)
            return 1;
    }
}

/* 1 if a new connection is waiting to be accepted. */
static int
connection_pending(const struct server *srv)
{
    struct pollfd p = {.fd = srv->listen_fd, .events = POLLIN};

    return poll(&p, 1, 0) == 1;
}

/* Closes the idle kept connection of FR.  The shutdown first makes
 * libfcgi's lingering close (it reads until the peer closes, up to 2 s)
 * return at once: there is nothing left to read on an idle connection. */
static void
close_kept(FCGX_Request *fr)
{
    shutdown(fr->ipcFd, SHUT_RDWR);
    FCGX_Free(fr, 1);
}

/* Waits for the next request on the kept connection of FR.  A worker idle
 * there for KEPT_IDLE_MS while new connections wait gives the kept one up
 * (the web server opens another when it needs one): otherwise more kept
 * connections than workers would starve new ones.  As wait_readable, plus
 * 2 when the connection was given up. */
static int
wait_kept(struct server *srv, FCGX_Request *fr)
{
    int rc;

    while ((rc = wait_readable(srv, fr->ipcFd, KEPT_IDLE_MS)) == 2) {
        if (connection_pending(srv)) {
            web_log(srv->app, WEB_LOG_DEBUG,
                    "web: giving up an idle kept connection: new ones are waiting");
            close_kept(fr);
            return 2;
        }
    }
    return rc;
}

/* 1 if FCGX_Accept_r's RC (a negative errno) just means "nothing there now":
 * another worker took the connection, the peer went away, or a kept
 * connection was closed by the web server. */
static int
accept_retry(int rc)
{
    return rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR || rc == -ECONNABORTED ||
           rc == -ECONNRESET || rc == -EPROTO;
}

/* 1 if RC is a shortage that passes (descriptors, buffers): wait a bit. */
static int
accept_transient(int rc)
{
    return rc == -EMFILE || rc == -ENFILE || rc == -ENOBUFS || rc == -ENOMEM;
}

/* Waits for the next request on FR.  1 got one, 0 stop requested, -1 fatal
 * (after request_stop with the reason). */
static int
next_request(struct server *srv, FCGX_Request *fr)
{
    const struct timespec pause = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
    char why[160];

    for (;;) {
        /* ipcFd >= 0 after FCGX_Finish_r: the web server asked to keep the
         * connection (FCGI_KEEP_CONN) and sends its next request on it.
         * Waiting there needs no accept lock. */
        int kept = fr->ipcFd >= 0, rc, arc = 0;

        if (!kept)
            pthread_mutex_lock(&srv->accept_mu);
        rc = kept ? wait_kept(srv, fr) : wait_readable(srv, srv->listen_fd, -1);
        if (rc == 1)
            arc = FCGX_Accept_r(fr);
        if (!kept)
            pthread_mutex_unlock(&srv->accept_mu);
        if (rc == 2)
            continue;
        if (rc <= 0) {
            if (rc < 0) {
                snprintf(why, sizeof(why), "poll: %s", strerror(errno));
                request_stop(srv, WEB_ERR_IO, why);
            }
            return rc;
        }
        if (arc == 0)
            return 1;
        /* After the stop the listening socket is shut: accept() fails, and
         * the next wait sees the wake pipe. */
        if (accept_retry(arc) || stopping(srv))
            continue;
        if (accept_transient(arc)) {
            web_log(srv->app, WEB_LOG_WARN, "web: FCGX_Accept_r: %s; retrying",
                    strerror(-arc));
            nanosleep(&pause, NULL);
            continue;
        }
        snprintf(why, sizeof(why), "FCGX_Accept_r: %s",
                 arc > -4096 ? strerror(-arc) : "libfcgi error");
        request_stop(srv, WEB_ERR_IO, why);
        return -1;
    }
}

static void
worker_done(struct server *srv)
{
    pthread_mutex_lock(&srv->mu);
    srv->running--;
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->mu);
}

/* Serves requests on FR until a stop, inside CTX. */
static void
worker_loop(struct server *srv, struct web_ctx *ctx, FCGX_Request *fr)
{
    FCGX_InitRequest(fr, srv->listen_fd, 0);
    while (next_request(srv, fr) == 1) {
        int close_conn = webp_fcgi_serve_one(srv->app, ctx, srv->max_body, fr);

        FCGX_Finish_r(fr);
        if (close_conn && fr->ipcFd >= 0)
            FCGX_Free(fr, 1);
    }
    /* A kept-alive connection: close it, the web server opens a new one. */
    if (fr->ipcFd >= 0)
        close_kept(fr);
}

/* A worker: one app context for its whole life (so each worker has, e.g.,
 * its own DynamoDB connection), popped on the way out. */
static void *
worker_main(void *arg)
{
    struct server *srv = arg;
    struct web_err err = {.code = WEB_OK};
    struct web_ctx *ctx = web_ctx_push(srv->app, &err);
    FCGX_Request fr;
    char why[300];

    if (ctx == NULL) {
        snprintf(why, sizeof(why), "web_ctx_push: %s", err.text);
        request_stop(srv, err.code, why);
    } else {
        worker_loop(srv, ctx, &fr);
        web_ctx_pop(ctx);
    }
    worker_done(srv);
    return NULL;
}

/* Waits for a stop request, then for the workers to finish, at most
 * WEB_GRACE_MS.  Past it the process exits with status 1: returning would
 * free what busy workers still use, and waiting longer is not bounded. */
static void
wait_for_workers(struct server *srv)
{
    struct timespec deadline;

    pthread_mutex_lock(&srv->mu);
    while (!srv->stop)
        pthread_cond_wait(&srv->cond, &srv->mu);
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += srv->grace_ms / 1000;
    deadline.tv_nsec += (srv->grace_ms % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    while (srv->running > 0) {
        if (pthread_cond_timedwait(&srv->cond, &srv->mu, &deadline) == ETIMEDOUT &&
            srv->running > 0) {
            web_log(srv->app, WEB_LOG_ERROR,
                    "web: %ld worker(s) still busy %ld ms after the stop "
                    "(WEB_GRACE_MS); exiting without them",
                    srv->running, srv->grace_ms);
            if (srv->unix_path != NULL)
                unlink(srv->unix_path);
            _exit(1);
        }
    }
    pthread_mutex_unlock(&srv->mu);
}

/* ---- the listening socket -------------------------------------------------- */

static int
listen_mode(const struct web_app *app, mode_t *mode, struct web_err *err)
{
    const char *s = web_config_get(app, "WEB_LISTEN_MODE");
    char shown[40];
    mode_t m = 0;
    size_t i;

    *mode = WEBP_DEFAULT_LISTEN_MODE;
    if (s == NULL)
        return 0;
    for (i = 0; s[i] >= '0' && s[i] <= '7' && i < 4; i++)
        m = (mode_t)(m * 8 + (mode_t)(s[i] - '0'));
    if (i == 0 || s[i] != '\0' || m > 0777) {
        webp_escape(shown, sizeof(shown), s, strlen(s));
        webp_err_set(err, WEB_ERR_CONFIG,
                     "WEB_LISTEN_MODE: expected an octal mode such as 0660, got \"%s\"",
                     shown);
        return -1;
    }
    *mode = m;
    return 0;
}

/* Removes PATH if it is a unix socket nobody listens on (left by a crash).
 * 0, or -1 + ERR when PATH is something else or in use. */
static int
remove_stale_socket(const char *path, struct web_err *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    int fd, rc;

    if (lstat(path, &st) != 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        webp_err_set(err, WEB_ERR_LISTEN, "%s exists and is not a socket", path);
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    rc = fd >= 0 ? connect(fd, (struct sockaddr *)&sa, sizeof(sa)) : -1;
    if (fd >= 0)
        close(fd);
    if (rc == 0) {
        webp_err_set(err, WEB_ERR_LISTEN, "%s: another server is listening there", path);
        return -1;
    }
    unlink(path);
    return 0;
}

static int
open_unix(struct server *srv, const char *path, struct web_err *err)
{
    struct sockaddr_un sa;
    mode_t mode;

    if (path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path)) {
        webp_err_set(err, WEB_ERR_CONFIG,
                     "WEB_LISTEN: unix socket path empty or over %zu bytes",
                     sizeof(sa.sun_path) - 1);
        return -1;
    }
    if (listen_mode(srv->app, &mode, err) != 0 || remove_stale_socket(path, err) != 0)
        return -1;
    srv->listen_fd = FCGX_OpenSocket(path, BACKLOG);
    if (srv->listen_fd < 0) {
        webp_err_set(err, WEB_ERR_LISTEN, "FCGX_OpenSocket(%s): %s", path,
                     strerror(errno));
        return -1;
    }
    srv->unix_path = webp_strdup(path);
    if (srv->unix_path == NULL) {
        unlink(path);
        webp_err_nomem(err);
        return -1;
    }
    if (chmod(path, mode) != 0) {
        webp_err_set(err, WEB_ERR_LISTEN, "chmod(%s, %04o): %s", path, (unsigned)mode,
                     strerror(errno));
        return -1;
    }
    return 0;
}

/* "HOST:PORT", ":PORT" or "*:PORT" (every IPv4 address). */
static int
open_tcp(struct server *srv, const char *addr, struct web_err *err)
{
    const char *colon = strrchr(addr, ':');
    size_t hlen = colon ? (size_t)(colon - addr) : 0;
    char where[300];
    long port = 0;
    const char *p;

    for (p = colon ? colon + 1 : ""; *p >= '0' && *p <= '9' && port <= 65535; p++)
        port = port * 10 + (*p - '0');
    if (colon == NULL || p == colon + 1 || *p != '\0' || port < 1 || port > 65535 ||
        hlen >= 256) {
        webp_escape(where, sizeof(where), addr, strlen(addr));
        webp_err_set(err, WEB_ERR_CONFIG,
                     "WEB_LISTEN: expected HOST:PORT or unix:PATH, got \"%s\"", where);
        return -1;
    }
    if (hlen == 0 || (hlen == 1 && addr[0] == '*'))
        snprintf(where, sizeof(where), ":%ld", port);
    else
        snprintf(where, sizeof(where), "%.*s:%ld", (int)hlen, addr, port);
    srv->listen_fd = FCGX_OpenSocket(where, BACKLOG);
    if (srv->listen_fd < 0) {
        webp_err_set(err, WEB_ERR_LISTEN, "FCGX_OpenSocket(%s): %s", where,
                     strerror(errno));
        return -1;
    }
    return 0;
}

/* The socket inherited from spawn-fcgi or systemd. */
static int
use_fd0(struct server *srv, struct web_err *err)
{
    int on = 0;
    socklen_t len = sizeof(on);

    if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) != 0 || !on) {
        webp_err_set(
            err, WEB_ERR_LISTEN,
            "WEB_LISTEN is unset and fd 0 is not a listening "
            "socket: set WEB_LISTEN=HOST:PORT or unix:PATH, or start under spawn-fcgi");
        return -1;
    }
    srv->listen_fd = 0;
    return 0;
}

static int
open_listener(struct server *srv, struct web_err *err)
{
    const char *addr = web_config_get(srv->app, "WEB_LISTEN");
    int rc, flags;

    if (addr == NULL)
        rc = use_fd0(srv, err);
    else if (strncmp(addr, "unix:", 5) == 0)
        rc = open_unix(srv, addr + 5, err);
    else
        rc = open_tcp(srv, addr, err);
    if (rc != 0)
        return -1;
    srv->own_listener = addr != NULL;
    /* Non-blocking: see the top of the file. */
    flags = fcntl(srv->listen_fd, F_GETFL);
    if (flags < 0 || fcntl(srv->listen_fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        webp_err_set(err, WEB_ERR_LISTEN, "fcntl(O_NONBLOCK): %s", strerror(errno));
        return -1;
    }
    if (srv->listen_fd != 0)
        fcntl(srv->listen_fd, F_SETFD, FD_CLOEXEC);
    return 0;
}

/* ---- web_app_serve ---------------------------------------------------------- */

static int
read_options(struct server *srv, struct web_err *err)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    enum web_log_level level;

    if (cores < 1)
        cores = 1;
    if (cores > MAX_WORKERS)
        cores = MAX_WORKERS;
    if (webp_log_level(srv->app, &level, err) != 0 ||
        webp_max_body(srv->app, &srv->max_body, err) != 0 ||
        web_config_long(srv->app, "WEB_WORKERS", cores, 1, MAX_WORKERS, &srv->nworkers,
                        err) != 0 ||
        web_config_long(srv->app, "WEB_GRACE_MS", WEBP_DEFAULT_GRACE_MS, 0,
                        24L * 3600 * 1000, &srv->grace_ms, err) != 0)
        return -1;
    return 0;
}

static int
open_wake_pipe(struct server *srv, struct web_err *err)
{
    int i;

    if (pipe(srv->wake) != 0) {
        srv->wake[0] = srv->wake[1] = -1;
        webp_err_set(err, WEB_ERR_IO, "pipe: %s", strerror(errno));
        return -1;
    }
    for (i = 0; i < 2; i++)
        fcntl(srv->wake[i], F_SETFD, FD_CLOEXEC);
    fcntl(srv->wake[1], F_SETFL, O_NONBLOCK);
    return 0;
}

static int
server_init(struct server *srv, struct web_app *app, struct web_err *err)
{
    pthread_condattr_t ca;

    memset(srv, 0, sizeof(*srv));
    srv->app = app;
    srv->listen_fd = -1;
    srv->wake[0] = srv->wake[1] = -1;
    atomic_init(&srv->sig_quit, 0);
    sigemptyset(&srv->sigs);
    sigaddset(&srv->sigs, SIGTERM);
    sigaddset(&srv->sigs, SIGINT);
    pthread_mutex_init(&srv->accept_mu, NULL);
    pthread_mutex_init(&srv->mu, NULL);
    /* A monotonic clock, so a clock change cannot stretch the grace period. */
    if (pthread_condattr_init(&ca) != 0 ||
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&srv->cond, &ca) != 0) {
        webp_err_set(err, WEB_ERR_IO, "pthread_cond_init failed");
        return -1;
    }
    pthread_condattr_destroy(&ca);
    srv->cond_ok = 1;
    return 0;
}

static void
server_close(struct server *srv)
{
    if (srv->listen_fd > 0)
        close(srv->listen_fd);
    if (srv->unix_path != NULL)
        unlink(srv->unix_path);
    webp_free(srv->unix_path);
    if (srv->wake[0] >= 0)
        close(srv->wake[0]);
    if (srv->wake[1] >= 0)
        close(srv->wake[1]);
    pthread_mutex_destroy(&srv->accept_mu);
    pthread_mutex_destroy(&srv->mu);
    if (srv->cond_ok)
        pthread_cond_destroy(&srv->cond);
}

/* Starts up to NWORKERS workers into TIDS.  Returns how many started. */
static long
start_workers(struct server *srv, pthread_t *tids)
{
    long i;
    int rc;

    for (i = 0; i < srv->nworkers; i++) {
        pthread_mutex_lock(&srv->mu);
        srv->running++;
        pthread_mutex_unlock(&srv->mu);
        rc = pthread_create(&tids[i], NULL, worker_main, srv);
        if (rc != 0) {
            worker_done(srv);
            request_stop(srv, WEB_ERR_IO, "pthread_create failed");
            break;
        }
    }
    return i;
}

/* Runs the workers until a stop.  0, or -1 + ERR. */
static int
run(struct server *srv, struct web_err *err)
{
    struct sigaction ign = {.sa_handler = SIG_IGN};
    pthread_t sig_tid, *tids = webp_calloc((size_t)srv->nworkers, sizeof(pthread_t));
    sigset_t old;
    long started, i;

    if (tids == NULL) {
        webp_err_nomem(err);
        return -1;
    }
    /* A client gone mid-response must be a failed write, not a dead process. */
    sigaction(SIGPIPE, &ign, NULL);
    pthread_sigmask(SIG_BLOCK, &srv->sigs, &old);
    if (pthread_create(&sig_tid, NULL, signal_main, srv) != 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        webp_free(tids);
        webp_err_set(err, WEB_ERR_IO, "pthread_create failed");
        return -1;
    }
    started = start_workers(srv, tids);
    web_log(srv->app, WEB_LOG_INFO, "web: serving \"%s\" with %ld worker(s)",
            srv->app->name, started);
    wait_for_workers(srv);
    for (i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    web_log(srv->app, WEB_LOG_INFO, "web: every worker finished; \"%s\" stopped",
            srv->app->name);
    atomic_store(&srv->sig_quit, 1);
    pthread_kill(sig_tid, SIGTERM);
    pthread_join(sig_tid, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    webp_free(tids);
    if (srv->failed != WEB_OK) {
        webp_err_set(err, srv->failed, "%s", srv->failure);
        return -1;
    }
    return 0;
}

int
web_app_serve(struct web_app *app, struct web_err *err)
{
    struct server srv;
    int rc = -1;

    if (app == NULL) {
        webp_err_set(err, WEB_ERR_INVALID, "web_app_serve: APP is NULL");
        return -1;
    }
    if (atomic_exchange(&app->serving, 1)) {
        webp_err_set(err, WEB_ERR_INVALID,
                     "web_app_serve: \"%s\" is already being served", app->name);
        return -1;
    }
    if (server_init(&srv, app, err) == 0 && read_options(&srv, err) == 0) {
        if (FCGX_Init() != 0)
            webp_err_set(err, WEB_ERR_LISTEN, "FCGX_Init failed");
        else if (open_listener(&srv, err) == 0 && open_wake_pipe(&srv, err) == 0)
            rc = run(&srv, err);
    }
    server_close(&srv);
    atomic_store(&app->serving, 0);
    return rc;
}
