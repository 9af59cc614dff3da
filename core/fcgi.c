/*
 * fcgi.c: web_app_serve.  The worker threads, the FastCGI connections they
 * share, and a clean shutdown on SIGTERM / SIGINT.  The listening socket is
 * opened in fcgi_listen.c; one request is read and answered in fcgi_io.c.
 *
 * Connections.  nginx with `fastcgi_keep_conn on` sends request after
 * request on one connection (FCGI_KEEP_CONN) and opens as many connections
 * as it has requests in flight, however many workers there are.  So a
 * connection belongs to no worker: each open connection has its own libfcgi
 * request state (struct conn around an FCGX_Request; FCGX_Accept_r on a
 * request whose descriptor is still open reads the next request from it),
 * and between requests an idle kept connection waits in one epoll set with
 * the listening socket.  Every worker waits on that set for one event;
 * EPOLLONESHOT hands each event to exactly one worker, which takes the
 * connection (a new one from the listening socket: accept; an idle one:
 * read its next request), serves the request and puts a kept connection
 * back in the set.  No worker waits on one connection while another has a
 * request ready, so nothing starves; the kernel is the dispatcher, with no
 * hand-off between threads and no scan of every idle connection per
 * request, which a poll() loop would cost.
 *
 * Shutdown: SIGTERM and SIGINT are blocked in every thread of the server and
 * taken by one signal thread with sigwait().  It writes a byte to a wake pipe
 * that is never read, so the pipe stays readable for good; it sits in the
 * epoll set level-triggered, so every worker waiting there sees it.  Workers
 * finish the request in hand (then close its connection), pop their context
 * (running the extensions' teardowns) and exit; the main thread waits for
 * them up to WEB_GRACE_MS, then closes the idle connections.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define MAX_WORKERS 1024
#define MAX_CONNECTIONS 1000000L
/* Descriptors left to everything but FastCGI connections (the workers'
 * DynamoDB connections, logs, files handlers open) under the open-file
 * limit, besides one per worker. */
#define FD_RESERVE 64

/* After a shortage (descriptors, memory) the listening socket is watched
 * again this much later. */
static const struct timespec retry_pause = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};

/* One open FastCGI connection.  FR is libfcgi's state for it; after a
 * request with FCGI_KEEP_CONN, FR.ipcFd stays open and FCGX_Accept_r(&FR)
 * reads the next request from it. */
struct conn {
    FCGX_Request fr;
    int kept;                 /* kept after a request: counted in server.nkept */
    int in_set;               /* added to the epoll set (later arming: MOD) */
    struct conn *prev, *next; /* server.conns */
};

struct server {
    struct web_app *app;
    struct webp_listener listener;
    int wake[2]; /* the self-pipe: readable once a stop is requested */
    int ep;      /* epoll set: wake pipe, listening socket, idle connections */
    size_t max_body;
    long grace_ms;
    long nworkers;
    long max_kept; /* WEB_MAX_CONNECTIONS, fitted to the open-file limit */
    sigset_t sigs; /* SIGTERM, SIGINT */
    int cond_ok;   /* COND below was initialised */

    pthread_mutex_t mu;  /* guards the fields below */
    pthread_cond_t cond; /* signalled on a stop request, a worker exit */
    int stop;
    enum web_code failed; /* a fatal error in a worker: WEB_OK if none */
    char failure[200];    /* ... what it was */
    long running;         /* workers started and not finished */
    struct conn *conns;   /* every open connection, idle or being served */
    long nkept;           /* of them, kept open after a request */
    int cap_logged;       /* the WEB_MAX_CONNECTIONS warning was given */
    atomic_int sig_quit;  /* tells the signal thread to return */
};

/* ---- stopping -------------------------------------------------------------- */

/* Makes a socket opened from WEB_LISTEN stop listening, so a connection
 * after the stop is refused at once (the web server can try another
 * upstream) rather than queued until the exit resets it.  shutdown(), not
 * close(): it is still in the epoll set; the wake pipe tells the workers to
 * stop.  An inherited fd 0 belongs to systemd or spawn-fcgi too and is left
 * listening: connections queue there for the next instance. */
static void
stop_listening(struct server *srv)
{
    if (srv->listener.own && shutdown(srv->listener.fd, SHUT_RDWR) != 0 &&
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
        /* Never read: every later epoll_wait sees it.  A full pipe is fine. */
        if (write(srv->wake[1], "x", 1) < 0 && errno != EAGAIN)
            web_log(srv->app, WEB_LOG_ERROR, "web: wake pipe: %s", strerror(errno));
        stop_listening(srv);
    }
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->mu);
}

/* request_stop for a failed system call CALL (errno). */
static void
stop_on_error(struct server *srv, const char *call)
{
    char why[160];

    snprintf(why, sizeof(why), "%s: %s", call, strerror(errno));
    request_stop(srv, WEB_ERR_IO, why);
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

/* ---- connections ------------------------------------------------------------ */

static void
conn_add(struct server *srv, struct conn *c)
{
    pthread_mutex_lock(&srv->mu);
    c->prev = NULL;
    c->next = srv->conns;
    if (c->next != NULL)
        c->next->prev = c;
    srv->conns = c;
    pthread_mutex_unlock(&srv->mu);
}

/* Forgets C, whose descriptor libfcgi has closed, and frees it. */
static void
conn_free(struct server *srv, struct conn *c)
{
    pthread_mutex_lock(&srv->mu);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    srv->nkept -= c->kept;
    pthread_mutex_unlock(&srv->mu);
    util_free(c);
}

/* Closes the idle connection C and frees it.  The shutdown first makes
 * libfcgi's lingering close (it reads until the peer closes, up to 2 s)
 * return at once: an idle connection has nothing left to read.  Closing
 * the descriptor takes it out of the epoll set, where it is disarmed
 * anyway (EPOLLONESHOT) while a worker or the main thread holds it. */
static void
conn_close(struct server *srv, struct conn *c)
{
    if (c->fr.ipcFd >= 0)
        shutdown(c->fr.ipcFd, SHUT_RDWR);
    FCGX_Free(&c->fr, 1);
    conn_free(srv, c);
}

/* Puts the kept connection C in the epoll set for one event: its next
 * request, or the web server closing it.  From the call on, C may be
 * another worker's.  0, or -1 (C is still this worker's, to close). */
static int
conn_arm(struct server *srv, struct conn *c)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT,
                             .data.ptr = c};
    int op = c->in_set ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

    c->in_set = 1;
    if (epoll_ctl(srv->ep, op, c->fr.ipcFd, &ev) == 0)
        return 0;
    web_log(srv->app, WEB_LOG_WARN, "web: epoll_ctl on a kept connection: %s; closing it",
            strerror(errno));
    return -1;
}

/* 1 if C, which the web server asked to keep, may stay open: no stop
 * requested, and C already kept or fewer than WEB_MAX_CONNECTIONS kept (C
 * then counts).  Past the cap a connection is closed after its request
 * (the web server opens a new one when it needs one), so idle connections
 * cannot take every descriptor. */
static int
may_keep(struct server *srv, struct conn *c)
{
    int over, warn, stop;

    pthread_mutex_lock(&srv->mu);
    stop = srv->stop;
    over = !c->kept && srv->nkept >= srv->max_kept;
    if (!stop && !over && !c->kept) {
        c->kept = 1;
        srv->nkept++;
    }
    warn = over && !srv->cap_logged;
    srv->cap_logged |= over;
    pthread_mutex_unlock(&srv->mu);
    if (warn)
        web_log(srv->app, WEB_LOG_WARN,
                "web: %ld FastCGI connections kept open (WEB_MAX_CONNECTIONS): closing "
                "others after their request; lower the web server's keepalive "
                "(logged once)",
                srv->max_kept);
    return !stop && !over;
}

/* 1 if the peer sent something on FD, 0 if it closed the connection (or it
 * failed, or there is nothing after all). */
static int
data_waiting(int fd)
{
    char b;
    ssize_t n;

    do
        n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    return n > 0;
}

/* Makes the listening socket report its next connection (to one worker). */
static void
listener_arm(struct server *srv)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT,
                             .data.ptr = &srv->listener};

    if (epoll_ctl(srv->ep, EPOLL_CTL_MOD, srv->listener.fd, &ev) != 0)
        stop_on_error(srv, "epoll_ctl on the listening socket");
}

/* ---- accepting ---------------------------------------------------------------- */

/* 1 if FCGX_Accept_r's RC (a negative errno) just means "nothing there now":
 * another worker or process took the connection, or the peer went away. */
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

/* Deals with FCGX_Accept_r's error RC on the listening socket.  0 to go on,
 * -1 when it is fatal (after request_stop with the reason). */
static int
accept_failed(struct server *srv, int rc)
{
    char why[160];

    /* After the stop the listening socket is shut: accept() fails. */
    if (accept_retry(rc) || stopping(srv))
        return 0;
    if (accept_transient(rc)) {
        web_log(srv->app, WEB_LOG_WARN, "web: FCGX_Accept_r: %s; retrying",
                strerror(-rc));
        nanosleep(&retry_pause, NULL);
        return 0;
    }
    snprintf(why, sizeof(why), "FCGX_Accept_r: %s",
             rc > -4096 ? strerror(-rc) : "libfcgi error");
    request_stop(srv, WEB_ERR_IO, why);
    return -1;
}

/* Accepts a new connection and reads its first request, the listening
 * socket having been reported readable (and disarmed until this returns,
 * so workers do not race for one connection).  Returns the connection, or
 * NULL: none there after all, a stop, a fatal error. */
static struct conn *
accept_conn(struct server *srv)
{
    struct conn *c;
    int rc;

    if (stopping(srv))
        return NULL;
    c = util_calloc(1, sizeof(*c));
    if (c == NULL) {
        web_log(srv->app, WEB_LOG_WARN, "web: no memory for a new connection; retrying");
        nanosleep(&retry_pause, NULL);
        listener_arm(srv);
        return NULL;
    }
    FCGX_InitRequest(&c->fr, srv->listener.fd, 0);
    rc = FCGX_Accept_r(&c->fr);
    if (rc == 0) {
        /* From now on FR reads its own connection only.  When reading a
         * later request fails, FCGX_Accept_r closes the connection and
         * accepts another in its place, bypassing the epoll hand-out; with
         * no listening socket that accept fails (EBADF) instead. */
        c->fr.listen_sock = -1;
        conn_add(srv, c);
    } else {
        util_free(c);
        c = NULL;
        if (accept_failed(srv, rc) != 0)
            return NULL;
    }
    listener_arm(srv);
    return c;
}

/* Reads the next request on the kept connection C, which epoll reported
 * (EVENTS) and disarmed.  Returns C, or NULL when the connection is gone:
 * the web server closed it, it sent garbage, or a stop was requested (a
 * request arriving after the stop is not started, as a new connection
 * would be refused). */
static struct conn *
read_kept(struct server *srv, struct conn *c, uint32_t events)
{
    /* Closed by the peer, unless a request came before its FIN. */
    int closed =
        (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0 && !data_waiting(c->fr.ipcFd);

    if (closed || stopping(srv)) {
        conn_close(srv, c);
        return NULL;
    }
    /* On failure libfcgi has closed the descriptor. */
    if (FCGX_Accept_r(&c->fr) != 0) {
        conn_close(srv, c);
        return NULL;
    }
    return c;
}

/* ---- workers ---------------------------------------------------------------- */

/* Waits for the next request.  Returns its connection, now this worker's
 * alone; NULL once a stop is requested (or after a fatal error). */
static struct conn *
next_request(struct server *srv, struct webp_logbuf *batch)
{
    struct epoll_event ev;
    struct conn *c = NULL;
    int n;

    while (c == NULL) {
        /* Pending access lines bound the wait: they are written when it
         * times out, and not at all while requests keep coming. */
        n = epoll_wait(srv->ep, &ev, 1, webp_logbuf_due(batch));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            stop_on_error(srv, "epoll_wait");
            return NULL;
        }
        if (n == 0) {
            webp_logbuf_flush(batch);
            continue;
        }
        if (ev.data.ptr == &srv->wake[0])
            return NULL;
        if (ev.data.ptr == &srv->listener)
            c = accept_conn(srv);
        else
            c = read_kept(srv, ev.data.ptr, ev.events);
    }
    return c;
}

/* Ends the request on C: libfcgi sends the rest of the answer and closes the
 * connection unless the web server asked to keep it; a kept one goes back
 * to the epoll set.  CLOSE_CONN: close it anyway (a body not drained). */
static void
finish_request(struct server *srv, struct conn *c, int close_conn)
{
    FCGX_Finish_r(&c->fr);
    if (c->fr.ipcFd < 0) {
        conn_free(srv, c);
    } else if (close_conn) {
        /* libfcgi's lingering close reads what the web server still sends,
         * so that it gets the answer rather than a reset. */
        FCGX_Free(&c->fr, 1);
        conn_free(srv, c);
    } else if (!may_keep(srv, c) || conn_arm(srv, c) != 0) {
        conn_close(srv, c);
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

/* A worker: one app context for its whole life (so each worker has, e.g.,
 * its own DynamoDB connection), whichever connections its requests come
 * on; popped on the way out. */
static void *
worker_main(void *arg)
{
    struct server *srv = arg;
    struct web_err err = {.code = WEB_OK};
    struct web_ctx *ctx = web_ctx_push(srv->app, &err);
    struct webp_logbuf *batch = webp_logbuf_attach();
    struct conn *c;
    char why[300];

    if (ctx == NULL) {
        snprintf(why, sizeof(why), "web_ctx_push: %s", err.text);
        request_stop(srv, err.code, why);
    } else {
        while ((c = next_request(srv, batch)) != NULL)
            finish_request(srv, c,
                           webp_fcgi_serve_one(srv->app, ctx, srv->max_body, &c->fr));
        web_ctx_pop(ctx);
    }
    webp_logbuf_detach(batch);
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
            if (srv->listener.unix_path != NULL)
                unlink(srv->listener.unix_path);
            _exit(1);
        }
    }
    pthread_mutex_unlock(&srv->mu);
}

/* With the workers gone: closes the connections still open, all idle. */
static void
close_idle(struct server *srv)
{
    long n = srv->nkept;

    while (srv->conns != NULL)
        conn_close(srv, srv->conns);
    if (n > 0)
        web_log(srv->app, WEB_LOG_DEBUG, "web: closed %ld idle kept connection(s)", n);
}

/* ---- web_app_serve ---------------------------------------------------------- */

/* Keeps MAX_KEPT under the open-file limit, less FD_RESERVE and one
 * descriptor per worker: past it idle kept connections would hold every
 * descriptor and accept() would fail (EMFILE).  Said when WEB_MAX_CONNECTIONS
 * was set; a default that does not fit is lowered quietly. */
static void
fit_fd_limit(struct server *srv)
{
    struct rlimit rl;
    long room;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur > (rlim_t)MAX_CONNECTIONS * 2)
        return;
    room = (long)rl.rlim_cur - FD_RESERVE - srv->nworkers;
    if (room < 1)
        room = 1;
    if (srv->max_kept <= room)
        return;
    if (web_config_get(srv->app, "WEB_MAX_CONNECTIONS") != NULL)
        web_log(srv->app, WEB_LOG_WARN,
                "web: WEB_MAX_CONNECTIONS %ld does not fit the open-file limit (%ld): "
                "keeping at most %ld FastCGI connections open",
                srv->max_kept, (long)rl.rlim_cur, room);
    srv->max_kept = room;
}

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
        (atomic_store(&srv->app->log_max, (int)level), 0) ||
        webp_max_body(srv->app, &srv->max_body, err) != 0 ||
        web_config_long(srv->app, "WEB_WORKERS", cores, 1, MAX_WORKERS, &srv->nworkers,
                        err) != 0 ||
        web_config_long(srv->app, "WEB_GRACE_MS", WEBP_DEFAULT_GRACE_MS, 0,
                        24L * 3600 * 1000, &srv->grace_ms, err) != 0 ||
        web_config_long(srv->app, "WEB_MAX_CONNECTIONS", WEBP_DEFAULT_MAX_CONNECTIONS, 1,
                        MAX_CONNECTIONS, &srv->max_kept, err) != 0)
        return -1;
    fit_fd_limit(srv);
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

/* The epoll set the workers wait on: the wake pipe (level-triggered, so
 * that every worker sees a stop) and the listening socket (one worker per
 * readiness).  Kept connections join it as they go idle. */
static int
open_epoll(struct server *srv, struct web_err *err)
{
    struct epoll_event wake = {.events = EPOLLIN, .data.ptr = &srv->wake[0]};
    struct epoll_event lsn = {.events = EPOLLIN | EPOLLONESHOT,
                              .data.ptr = &srv->listener};

    srv->ep = epoll_create1(EPOLL_CLOEXEC);
    if (srv->ep < 0 || epoll_ctl(srv->ep, EPOLL_CTL_ADD, srv->wake[0], &wake) != 0 ||
        epoll_ctl(srv->ep, EPOLL_CTL_ADD, srv->listener.fd, &lsn) != 0) {
        webp_err_set(err, WEB_ERR_IO, "epoll: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int
server_init(struct server *srv, struct web_app *app, struct web_err *err)
{
    pthread_condattr_t ca;

    memset(srv, 0, sizeof(*srv));
    srv->app = app;
    srv->listener.fd = -1;
    srv->wake[0] = srv->wake[1] = -1;
    srv->ep = -1;
    atomic_init(&srv->sig_quit, 0);
    sigemptyset(&srv->sigs);
    sigaddset(&srv->sigs, SIGTERM);
    sigaddset(&srv->sigs, SIGINT);
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
    webp_listener_close(&srv->listener);
    if (srv->ep >= 0)
        close(srv->ep);
    if (srv->wake[0] >= 0)
        close(srv->wake[0]);
    if (srv->wake[1] >= 0)
        close(srv->wake[1]);
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
    pthread_t sig_tid, *tids = util_calloc((size_t)srv->nworkers, sizeof(pthread_t));
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
        util_free(tids);
        webp_err_set(err, WEB_ERR_IO, "pthread_create failed");
        return -1;
    }
    started = start_workers(srv, tids);
    web_log(srv->app, WEB_LOG_INFO, "web: serving \"%s\" with %ld worker(s)",
            srv->app->name, started);
    wait_for_workers(srv);
    for (i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    close_idle(srv);
    web_log(srv->app, WEB_LOG_INFO, "web: every worker finished; \"%s\" stopped",
            srv->app->name);
    atomic_store(&srv->sig_quit, 1);
    pthread_kill(sig_tid, SIGTERM);
    pthread_join(sig_tid, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    util_free(tids);
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
        else if (webp_listener_open(&srv.listener, app, err) == 0 &&
                 open_wake_pipe(&srv, err) == 0 && open_epoll(&srv, err) == 0)
            rc = run(&srv, err);
    }
    server_close(&srv);
    atomic_store(&app->log_max, -1);
    atomic_store(&app->serving, 0);
    return rc;
}
