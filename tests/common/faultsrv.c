/*
 * faultsrv.c: the scripted fault server (see faultsrv.h).
 *
 * The child is one poll() loop over the listening socket and up to
 * MAX_CONNS connections, each with its own request buffer, so it copes with
 * a client that opens a new connection while an old one is still open (after
 * a timeout, say).  A request is complete when its head ("\r\n\r\n") and
 * Content-Length bytes of body have arrived (RFC 9112, section 6.3); then
 * the current script step decides the answer.  Writes block: the client is
 * on loopback and reads what it is sent, and SO_SNDTIMEO bounds the rest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "faultsrv.h"
#include "testutil.h"

#define MAX_STEPS 16
#define MAX_TEXT 1024
#define MAX_CONNS 16
#define MAX_REQUEST (256 * 1024)
#define STALL_MS 5000L
#define HUGE_BYTES (40L * 1024 * 1024)

struct shared_step {
    enum faultsrv_action action;
    int times;
    int status;
    int has_type;
    char type[MAX_TEXT];
    int has_body;
    char body[MAX_TEXT];
};

/* Written by the parent between requests (script, generation), by the
 * child otherwise (counters, position, target). */
struct faultsrv_shared {
    atomic_long requests;
    atomic_long connections;
    atomic_long generation; /* bumped by each faultsrv_script() */
    size_t nsteps;
    struct shared_step steps[MAX_STEPS];
    size_t pos; /* the child's place in the script ... */
    int used;   /* ... and how many requests the step has answered */
    char target[128];
    char host[128];
};

struct conn {
    int fd; /* -1: free slot */
    char *buf;
    size_t len;
    long stall_until; /* ms on the monotonic clock; 0: not stalled */
};

/* ---- the parent's side ------------------------------------------------ */

int
faultsrv_bind(struct faultsrv *s)
{
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
                              .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    struct sockaddr_in a4 = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr *addr = s->ipv6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4;
    socklen_t alen = s->ipv6 ? sizeof(a6) : sizeof(a4);

    s->shared = mmap(NULL, sizeof(*s->shared), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s->shared == MAP_FAILED) {
        s->shared = NULL;
        return -1;
    }
    memset(s->shared, 0, sizeof(*s->shared));
    s->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0 || bind(s->fd, addr, alen) != 0 || getsockname(s->fd, addr, &alen) != 0)
        return -1;
    s->port = ntohs(s->ipv6 ? a6.sin6_port : a4.sin_port);
    snprintf(s->port_text, sizeof(s->port_text), "%d", s->port);
    snprintf(s->url, sizeof(s->url), s->ipv6 ? "http://[::1]:%d" : "http://127.0.0.1:%d",
             s->port);
    return 0;
}

static void serve(int listen_fd, struct faultsrv_shared *sh, pid_t parent);

int
faultsrv_start(struct faultsrv *s)
{
    pid_t parent = getpid();

    if (s->shared == NULL && faultsrv_bind(s) != 0)
        return -1;
    if (listen(s->fd, 16) != 0)
        return -1;
    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0)
        serve(s->fd, s->shared, parent);
    close(s->fd);
    s->fd = -1;
    return 0;
}

static void
copy_text(char *dst, int *has, const char *src)
{
    *has = src != NULL;
    snprintf(dst, MAX_TEXT, "%s", src ? src : "");
}

void
faultsrv_script(struct faultsrv *s, const struct faultsrv_step *steps, size_t n)
{
    struct faultsrv_shared *sh = s->shared;

    sh->nsteps = n < MAX_STEPS ? n : MAX_STEPS;
    for (size_t i = 0; i < sh->nsteps; i++) {
        struct shared_step *d = &sh->steps[i];

        d->action = steps[i].action;
        d->times = steps[i].times;
        d->status = steps[i].status;
        copy_text(d->type, &d->has_type, steps[i].type);
        copy_text(d->body, &d->has_body, steps[i].body);
    }
    atomic_fetch_add(&sh->generation, 1); /* the child restarts the script */
}

long
faultsrv_requests(const struct faultsrv *s)
{
    return atomic_load(&s->shared->requests);
}

long
faultsrv_connections(const struct faultsrv *s)
{
    return atomic_load(&s->shared->connections);
}

const char *
faultsrv_last_target(const struct faultsrv *s, char *buf, size_t size)
{
    atomic_thread_fence(memory_order_acquire);
    snprintf(buf, size, "%s", s->shared->target);
    return buf;
}

const char *
faultsrv_last_host(const struct faultsrv *s, char *buf, size_t size)
{
    atomic_thread_fence(memory_order_acquire);
    snprintf(buf, size, "%s", s->shared->host);
    return buf;
}

int
faultsrv_stop(struct faultsrv *s)
{
    int status = 0, rc = 0;

    if (s->pid > 0) {
        /* A child that already exited is a zombie: waitpid(WNOHANG) says so. */
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            rc = -1;
        } else {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
        }
    }
    if (s->shared != NULL && s->fd >= 0)
        close(s->fd);
    if (s->shared != NULL)
        munmap(s->shared, sizeof(*s->shared));
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    return rc;
}

/* ---- the child -------------------------------------------------------- */

static long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* CRC-32 (IEEE 802.3), bit by bit: independent of the client's table. */
static uint32_t
crc32_ieee(const char *p, size_t n)
{
    uint32_t crc = 0xffffffffu;

    for (size_t i = 0; i < n; i++) {
        crc ^= (unsigned char)p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static const char *
reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Status";
    }
}

/* Formats the head of answer N into OUT: CONTENT_LENGTH announced, the
 * CRC of BODY (LEN bytes) plus CRC_DELTA (non-zero spoils it).  Returns
 * the head's length. */
static int
head_text(char *out, size_t size, long n, int status, const char *ctype, const char *body,
          size_t len, size_t content_length, uint32_t crc_delta)
{
    int hlen = snprintf(out, size,
                        "HTTP/1.1 %d %s\r\nx-amzn-RequestId: FAULT-%ld\r\n"
                        "x-amz-crc32: %lu\r\nContent-Type: %s\r\n"
                        "Content-Length: %zu\r\n\r\n",
                        status, reason(status), n,
                        (unsigned long)(uint32_t)(crc32_ieee(body, len) + crc_delta),
                        ctype, content_length);

    return hlen < (int)size ? hlen : (int)size - 1;
}

static int
write_head(int fd, long n, int status, const char *ctype, const char *body, size_t len,
           size_t content_length, uint32_t crc_delta)
{
    char head[512];
    int hlen = head_text(head, sizeof(head), n, status, ctype, body, len, content_length,
                         crc_delta);

    return tu_write_all(fd, head, (size_t)hlen);
}

/* A string literal, its NUL left out. */
#define write_lit(fd, lit) tu_write_all((fd), (lit), sizeof(lit) - 1)

/* A whole answer, head and BODY in one write.  Returns 0 or -1. */
static int
answer(int fd, long n, int status, const char *ctype, const char *body,
       uint32_t crc_delta)
{
    char out[4 * MAX_TEXT];
    size_t len = strlen(body);
    int hlen = head_text(out, sizeof(out), n, status, ctype, body, len, len, crc_delta);

    snprintf(out + hlen, sizeof(out) - (size_t)hlen, "%s", body);
    return tu_write_all(fd, out, strlen(out));
}

/* Closes FD with a reset (SO_LINGER 0) rather than a FIN. */
static void
reset(int fd)
{
    struct linger lg = {1, 0};

    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

/* A 40 MiB DynamoDB-looking body, streamed.  The client gives up at its
 * cap and closes, so the writes end in EPIPE; that is the point. */
static void
send_huge(int fd, long n)
{
    static const char start[] = "{\"Item\":{\"x\":{\"S\":\"";
    char chunk[65536];

    memset(chunk, 'x', sizeof(chunk));
    if (write_head(fd, n, 200, "application/x-amz-json-1.0", "", 0, (size_t)HUGE_BYTES,
                   0) != 0 ||
        tu_write_all(fd, start, sizeof(start) - 1) != 0)
        return;
    for (long sent = sizeof(start) - 1; sent < HUGE_BYTES; sent += (long)sizeof(chunk))
        if (tu_write_all(fd, chunk, sizeof(chunk)) != 0)
            return;
}

/* BODY as a chunked answer N, in 7-byte chunks written one by one with a
 * pause between, so the client sees the framing cut at every place. */
static int
send_chunked(int fd, long n, const char *body)
{
    size_t len = strlen(body);
    char out[64];
    int olen = snprintf(out, sizeof(out),
                        "HTTP/1.1 200 OK\r\nx-amzn-RequestId: FAULT-%ld\r\n", n);
    struct timespec pause = {0, 200000};

    if (tu_write_all(fd, out, (size_t)olen) != 0 ||
        write_lit(fd, "Transfer-Encoding: chunked\r\n\r\n") != 0)
        return -1;
    for (size_t i = 0; i < len; i += 7) {
        size_t k = len - i < 7 ? len - i : 7;

        olen = snprintf(out, sizeof(out), "%zx%s\r\n", k, i == 0 ? ";ext=1" : "");
        nanosleep(&pause, NULL);
        if (tu_write_all(fd, out, (size_t)olen) != 0 ||
            tu_write_all(fd, body + i, k) != 0 || write_lit(fd, "\r\n") != 0)
            return -1;
    }
    return write_lit(fd, "0\r\nx-trailer: yes\r\n\r\n");
}

/* A 40-byte answer N, its body a byte at a time 50 ms apart; stops when
 * the client has gone. */
static void
send_drip(int fd, long n)
{
    static const char body[] = "{\"Item\":{\"x\":{\"S\":\"drip-drip\"}}}    ";
    struct timespec pause = {0, 50 * 1000 * 1000};

    if (write_head(fd, n, 200, "application/x-amz-json-1.0", body, sizeof(body) - 1,
                   sizeof(body) - 1, 0) != 0)
        return;
    for (size_t i = 0; i < sizeof(body) - 1; i++) {
        nanosleep(&pause, NULL);
        if (tu_write_all(fd, body + i, 1) != 0)
            return;
    }
}

/* The step for the next request, advancing the script.  GEN is the child's
 * copy of the generation it last saw. */
static const struct shared_step *
next_step(struct faultsrv_shared *sh, long *gen)
{
    static const struct shared_step ok = {.action = FAULTSRV_OK};
    long g = atomic_load(&sh->generation);

    if (g != *gen) {
        *gen = g;
        sh->pos = 0;
        sh->used = 0;
    }
    while (sh->pos < sh->nsteps) {
        struct shared_step *st = &sh->steps[sh->pos];

        if (st->times == 0 || sh->used < st->times) {
            sh->used++;
            return st;
        }
        sh->pos++;
        sh->used = 0;
    }
    return &ok;
}

/* Acts on request number N per step ST.  Returns 1 when C stays open. */
static int
act(struct conn *c, long n, const struct shared_step *st)
{
    static const char json[] = "application/x-amz-json-1.0";
    const char *body = st->has_body ? st->body : "{}";
    char buf[2 * MAX_TEXT + 128];
    size_t len;

    switch (st->action) {
    case FAULTSRV_OK:
        return answer(c->fd, n, 200, json, body, 0) == 0;
    case FAULTSRV_OK_CLOSE:
        answer(c->fd, n, 200, json, body, 0);
        return 0;
    case FAULTSRV_ERROR:
        if (!st->has_type)
            return answer(c->fd, n, st->status, "text/html",
                          "<html><body>upstream trouble</body></html>", 0) == 0;
        snprintf(buf, sizeof(buf),
                 "{\"__type\":\"com.amazonaws.dynamodb.v20120810#%s\","
                 "\"message\":\"scripted %s\"}",
                 st->type, st->type);
        return answer(c->fd, n, st->status, json, buf, 0) == 0;
    case FAULTSRV_RESET:
        reset(c->fd);
        c->fd = -1;
        return 0;
    case FAULTSRV_RESET_MID:
    case FAULTSRV_TRUNCATED:
        snprintf(buf, sizeof(buf), "{\"Item\":{\"username\":{\"S\":\"%0200d\"}}}", 0);
        len = strlen(buf);
        if (write_head(c->fd, n, 200, json, buf, len, len, 0) == 0)
            tu_write_all(c->fd, buf, len / 2);
        if (st->action == FAULTSRV_RESET_MID) {
            reset(c->fd);
            c->fd = -1;
        }
        return 0;
    case FAULTSRV_BAD_CRC:
        return answer(c->fd, n, 200, json, body, 1) == 0;
    case FAULTSRV_BAD_JSON:
        return answer(c->fd, n, 200, json, "{\"Item\": {\"username\": ", 0) == 0;
    case FAULTSRV_STALL:
        c->stall_until = now_ms() + STALL_MS;
        return 1;
    case FAULTSRV_HUGE:
        send_huge(c->fd, n);
        return 0;
    case FAULTSRV_CHUNKED:
        return send_chunked(c->fd, n, body) == 0;
    case FAULTSRV_CONTINUE:
        return write_lit(c->fd, "HTTP/1.1 100 Continue\r\n\r\n") == 0 &&
               answer(c->fd, n, 200, json, body, 0) == 0;
    case FAULTSRV_UNTIL_CLOSE:
        snprintf(buf, sizeof(buf),
                 "HTTP/1.0 200 OK\r\nx-amzn-RequestId: FAULT-%ld\r\n\r\n%s", n, body);
        tu_write_all(c->fd, buf, strlen(buf));
        return 0;
    case FAULTSRV_DRIP:
        send_drip(c->fd, n);
        return 0;
    case FAULTSRV_BAD_HEAD:
        write_lit(c->fd, "HTTP/1.1 2OO OK\r\n\r\n");
        return 0;
    default:
        return 0;
    }
}

/* The value of header NAME in the request head HEAD (NUL-terminated), into
 * OUT; "" when absent. */
static void
header_value(const char *head, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);

    out[0] = '\0';
    for (const char *l = strstr(head, "\r\n"); l != NULL; l = strstr(l + 2, "\r\n")) {
        const char *p = l + 2;

        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            p += n + 1;
            while (*p == ' ')
                p++;
            snprintf(out, size, "%.*s", (int)strcspn(p, "\r\n"), p);
            return;
        }
    }
}

/* The length of the first complete request in C's buffer, or 0. */
static size_t
complete_request(struct conn *c, struct faultsrv_shared *sh)
{
    char *end, cl[32];
    size_t head;

    c->buf[c->len] = '\0';
    end = strstr(c->buf, "\r\n\r\n");
    if (end == NULL)
        return 0;
    head = (size_t)(end - c->buf) + 4;
    *end = '\0';
    header_value(c->buf, "Content-Length", cl, sizeof(cl));
    header_value(c->buf, "X-Amz-Target", sh->target, sizeof(sh->target));
    header_value(c->buf, "Host", sh->host, sizeof(sh->host));
    *end = '\r';
    if (c->len < head + strtoul(cl, NULL, 10))
        return 0;
    return head + strtoul(cl, NULL, 10);
}

static void
drop(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->len = 0;
    c->stall_until = 0;
}

/* Reads what C has; answers every complete request in it. */
static void
on_readable(struct conn *c, struct faultsrv_shared *sh, long *gen)
{
    ssize_t r = read(c->fd, c->buf + c->len, MAX_REQUEST - c->len);
    size_t used;

    if (r <= 0) {
        drop(c);
        return;
    }
    if (c->stall_until != 0)
        return; /* a stalled connection ignores what comes next */
    c->len += (size_t)r;
    while (c->fd >= 0 && c->stall_until == 0 && (used = complete_request(c, sh)) > 0) {
        long n = atomic_fetch_add(&sh->requests, 1) + 1;

        memmove(c->buf, c->buf + used, c->len - used);
        c->len -= used;
        if (!act(c, n, next_step(sh, gen)))
            drop(c);
    }
    if (c->fd >= 0 && c->len >= MAX_REQUEST)
        drop(c); /* a request larger than any test sends */
}

static void
on_accept(int listen_fd, struct conn *conns, struct faultsrv_shared *sh)
{
    struct timeval tv = {5, 0};
    int one = 1;
    int fd = accept(listen_fd, NULL, NULL);

    if (fd < 0)
        return;
    atomic_fetch_add(&sh->connections, 1);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].fd < 0) {
            conns[i].fd = fd;
            return;
        }
    close(fd); /* more connections than any test opens */
}

/* Closes stalled connections past their time; returns poll's timeout. */
static int
expire_stalls(struct conn *conns)
{
    long now = now_ms(), next = 1000;

    for (int i = 0; i < MAX_CONNS; i++) {
        if (conns[i].fd < 0 || conns[i].stall_until == 0)
            continue;
        if (conns[i].stall_until <= now)
            drop(&conns[i]);
        else if (conns[i].stall_until - now < next)
            next = conns[i].stall_until - now;
    }
    return (int)next;
}

static void
serve(int listen_fd, struct faultsrv_shared *sh, pid_t parent)
{
    struct conn *conns = calloc(MAX_CONNS, sizeof(*conns));
    struct pollfd pfd[MAX_CONNS + 1];
    long gen = -1;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_IGN);
    if (conns == NULL)
        _exit(3);
    for (int i = 0; i < MAX_CONNS; i++) {
        conns[i].fd = -1;
        if ((conns[i].buf = malloc(MAX_REQUEST + 1)) == NULL)
            _exit(3);
    }
    while (getppid() == parent) {
        int timeout = expire_stalls(conns), slot[MAX_CONNS + 1], n = 1;

        pfd[0] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
        for (int i = 0; i < MAX_CONNS; i++)
            if (conns[i].fd >= 0) {
                slot[n] = i;
                pfd[n++] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
            }
        if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
            _exit(4);
        for (int k = 1; k < n; k++)
            if (pfd[k].revents != 0)
                on_readable(&conns[slot[k]], sh, &gen);
        if (pfd[0].revents & POLLIN)
            on_accept(listen_fd, conns, sh);
    }
    _exit(0);
}
