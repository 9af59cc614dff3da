/*
 * http_plain.c: POST over one plain-TCP HTTP/1.1 keep-alive connection, for
 * http:// endpoints (DynamoDB Local, a proxy inside the VPC).
 *
 * Why not libcurl here too: a DynamoDB call is one small POST and one
 * answer, and libcurl spends about 90,000 instructions on each (formatting
 * the request head byte by byte, its state machine, a 16 KiB buffer per
 * transfer), three times what signing, encoding and decoding cost together
 * (README, "Performance").  This file does the same exchange in two system
 * calls on a kept connection: one sendmsg, one recv.  https:// endpoints and
 * proxies stay on libcurl (http_curl.c): TLS and proxy handling are where
 * libcurl earns its cost.
 *
 * Timeouts are SO_SNDTIMEO / SO_RCVTIMEO on a blocking socket, so a call
 * needs no poll(): the timeout armed is at least the time left (a wait that
 * ends early just re-arms and goes on), and is re-armed only when it would
 * overshoot the call's deadline by more than ARM_SLACK_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "wire_http.h"
#include "wire_parse.h"
#include "internal.h"

/* The read buffer's first size: a GetItem answer and its head fit. */
#define FIRST_BUF_BYTES (16u * 1024u)
/* A read buffer grown past this is freed before the next call. */
#define KEEP_BUF_BYTES (1024u * 1024u)
/* How far past the deadline an armed socket timeout may reach. */
#define ARM_SLACK_MS 20

struct dynamop_plain {
    long connect_timeout_ms;
    long request_timeout_ms;
    char *url;  /* the URL the three fields below come from */
    char *host; /* for getaddrinfo: no brackets */
    char port[8];
    char *path; /* "/" when the URL has none */
    size_t path_len;
    int fd;        /* -1: no connection */
    long armed_ms; /* the socket's SO_RCVTIMEO / SO_SNDTIMEO, 0: unset */
    char *out;     /* the request head being sent */
    size_t out_cap;
    char *in; /* the answer as received: head, then body */
    size_t in_len;
    size_t in_cap;
    size_t body_at; /* where the answer's body starts in IN */
    struct dynamop_http_head head;
    long connections;
};

/* How one exchange ended, when it did not end well. */
enum outcome {
    OK,
    FAIL, /* ERR and *FAIL are set */
    DEAD, /* a reused connection closed or reset before any byte came back */
};

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct dynamop_plain *
dynamop_plain_new(const struct dynamop_http_opts *opts, struct dynamo_err *err)
{
    struct dynamop_plain *p = util_calloc(1, sizeof(*p));

    if (p == NULL) {
        dynamop_err_nomem(err);
        return NULL;
    }
    p->connect_timeout_ms = opts->connect_timeout_ms;
    p->request_timeout_ms = opts->request_timeout_ms;
    p->fd = -1;
    return p;
}

static void
disconnect(struct dynamop_plain *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    p->armed_ms = 0;
}

void
dynamop_plain_free(struct dynamop_plain *p)
{
    if (p == NULL)
        return;
    disconnect(p);
    util_free(p->url);
    util_free(p->host);
    util_free(p->path);
    util_free(p->out);
    util_free(p->in);
    util_free(p);
}

long
dynamop_plain_connections(const struct dynamop_plain *p)
{
    return p->connections;
}

/* ---- the URL ----------------------------------------------------------- */

/* Takes "http://HOST[:PORT][/PATH]" apart (HOST may be "[v6]").  The client
 * built URL from an endpoint libcurl's URL parser accepted, so this only
 * needs to split, not to validate every corner.  Returns 0, or -1 with ERR
 * (DYNAMO_ERR_CONFIG, or _NOMEM). */
static int
set_url(struct dynamop_plain *p, const char *url, struct dynamo_err *err)
{
    const char *auth = url + 7, *slash, *colon = NULL, *hend;
    char *host, *path, *copy;
    size_t plen;

    if (p->url != NULL && strcmp(p->url, url) == 0)
        return 0;
    if (strncmp(url, "http://", 7) != 0) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG, "endpoint '%s': not an http:// URL", url);
        return -1;
    }
    slash = strchr(auth, '/');
    if (slash == NULL)
        slash = auth + strlen(auth);
    if (*auth == '[') {
        hend = memchr(auth, ']', (size_t)(slash - auth));
        if (hend != NULL && hend + 1 < slash)
            colon = hend + 1;
        auth++;
    } else {
        colon = memchr(auth, ':', (size_t)(slash - auth));
        hend = colon != NULL ? colon : slash;
    }
    plen = colon != NULL ? (size_t)(slash - colon - 1) : 2;
    if (hend == NULL || hend == auth ||
        (colon != NULL && (*colon != ':' || plen == 0 || plen >= sizeof(p->port) ||
                           strspn(colon + 1, "0123456789") < plen)) ||
        memchr(auth, '@', (size_t)(slash - auth)) != NULL) {
        dynamop_err_set(err, DYNAMO_ERR_CONFIG,
                        "endpoint '%s': not an http://host[:port] URL", url);
        return -1;
    }
    host = util_strndup(auth, (size_t)(hend - auth));
    path = util_strdup(*slash ? slash : "/");
    copy = util_strdup(url);
    if (host == NULL || path == NULL || copy == NULL) {
        util_free(host);
        util_free(path);
        util_free(copy);
        dynamop_err_nomem(err);
        return -1;
    }
    disconnect(p); /* another server */
    util_free(p->url);
    util_free(p->host);
    util_free(p->path);
    p->url = copy;
    p->host = host;
    p->path = path;
    p->path_len = strlen(path);
    if (colon == NULL) {
        memcpy(p->port, "80", 3);
    } else {
        memcpy(p->port, colon + 1, plen);
        p->port[plen] = '\0';
    }
    return 0;
}

/* ---- connecting -------------------------------------------------------- */

/* Sets the socket's send and receive timeouts to MS (>= 1).  Returns 0 or
 * -1 (errno). */
static int
arm(struct dynamop_plain *p, long ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

    if (setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
        return -1;
    p->armed_ms = ms;
    return 0;
}

/* Milliseconds left before DEADLINE (0: none), re-arming the socket when
 * its timeout would overshoot it. */
static long
time_left(struct dynamop_plain *p, long long deadline)
{
    long long left = deadline - now_ms();

    if (left <= 0)
        return 0;
    if (p->armed_ms == 0 || p->armed_ms > left + ARM_SLACK_MS)
        arm(p, (long)left); /* on failure the old, longer timeout stays */
    return (long)left;
}

/* Connects the nonblocking socket FD to AI within MS.  Returns 0, or an
 * errno (ETIMEDOUT when MS passed). */
static int
connect_one(int fd, const struct addrinfo *ai, long ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int e = 0, n;
    socklen_t elen = sizeof(e);

    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return errno;
    do
        n = poll(&pfd, 1, (int)ms);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return ETIMEDOUT;
    if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0)
        return errno;
    return e;
}

/* A connected, blocking socket with TCP_NODELAY and keep-alive probes. */
static int
open_socket(const struct addrinfo *ai, long ms, int *e)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
    int one = 1;

    if (fd < 0) {
        *e = errno;
        return -1;
    }
    if ((*e = connect_one(fd, ai, ms)) != 0 ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
        if (*e == 0)
            *e = errno;
        close(fd);
        return -1;
    }
    /* Failing either only costs speed; the connection still works. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    return fd;
}

/* Opens a connection to the URL's server, trying each address in turn,
 * within the connect timeout and before DEADLINE.  Returns 0, or -1 with
 * ERR and *FAIL. */
static int
connect_server(struct dynamop_plain *p, long long deadline, enum dynamop_http_fail *fail,
               struct dynamo_err *err)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    struct addrinfo *res, *ai;
    int rc, e = 0;

    if ((rc = getaddrinfo(p->host, p->port, &hints, &res)) != 0) {
        *fail = DYNAMOP_HTTP_FAIL_CONNECT;
        dynamop_err_set(err, DYNAMO_ERR_NETWORK, "cannot resolve host '%s': %s", p->host,
                        rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL && p->fd < 0; ai = ai->ai_next) {
        long long left = deadline - now_ms();
        long ms = left < p->connect_timeout_ms ? (long)left : p->connect_timeout_ms;

        if (ms <= 0) {
            e = ETIMEDOUT;
            break;
        }
        p->fd = open_socket(ai, ms, &e);
    }
    freeaddrinfo(res);
    if (p->fd < 0) {
        *fail = e == ETIMEDOUT ? DYNAMOP_HTTP_FAIL_TIMEOUT : DYNAMOP_HTTP_FAIL_CONNECT;
        dynamop_err_set(err, e == ETIMEDOUT ? DYNAMO_ERR_TIMEOUT : DYNAMO_ERR_NETWORK,
                        "connect to %s port %s: %s", p->host, p->port, strerror(e));
        return -1;
    }
    p->connections++;
    return 0;
}

/* ---- one exchange ------------------------------------------------------ */

/* Makes room for SIZE bytes in the read buffer.  Returns 0 or -1. */
static int
reserve_in(struct dynamop_plain *p, size_t size)
{
    char *grown;

    if (size <= p->in_cap)
        return 0;
    grown = util_reallocarray(p->in, size, 1);
    if (grown == NULL)
        return -1;
    p->in = grown;
    p->in_cap = size;
    return 0;
}

/* Copies the N bytes at S to W and returns the byte after them. */
static char *
put(char *w, const char *s, size_t n)
{
    memcpy(w, s, n);
    return w + n;
}

#define PUT_LIT(w, lit) put((w), (lit), sizeof(lit) - 1)

/* Writes the request head for HEADERS into p->out.  Returns its length, or
 * 0 out of memory.  Built with memcpy alone: it runs on every call, and
 * two snprintf calls cost more than the rest of the head together. */
static size_t
format_head(struct dynamop_plain *p, const char *const *headers, size_t nheaders,
            size_t body_len)
{
    static const char method[] = "POST ", version[] = " HTTP/1.1\r\n",
                      clen[] = "Content-Length: ", end[] = "\r\n\r\n";
    size_t lens[DYNAMOP_HTTP_MAX_HEADERS], need;
    char digits[24], *d = digits + sizeof(digits), *w;

    do
        *--d = (char)('0' + body_len % 10);
    while ((body_len /= 10) != 0);
    need = sizeof(method) + p->path_len + sizeof(version) + sizeof(clen) +
           (size_t)(digits + sizeof(digits) - d) + sizeof(end);
    for (size_t i = 0; i < nheaders; i++)
        need += (lens[i] = strlen(headers[i])) + 2;
    if (need > p->out_cap) {
        char *grown = util_reallocarray(p->out, need, 1);

        if (grown == NULL)
            return 0;
        p->out = grown;
        p->out_cap = need;
    }
    w = PUT_LIT(p->out, method);
    w = put(w, p->path, p->path_len);
    w = PUT_LIT(w, version);
    for (size_t i = 0; i < nheaders; i++) {
        w = put(w, headers[i], lens[i]);
        w = PUT_LIT(w, "\r\n");
    }
    w = PUT_LIT(w, clen);
    w = put(w, d, (size_t)(digits + sizeof(digits) - d));
    w = PUT_LIT(w, end);
    return (size_t)(w - p->out);
}

/* Sets ERR and *FAIL for errno E met while sending or receiving. */
static enum outcome
io_failure(int e, const char *what, enum dynamop_http_fail *fail, struct dynamo_err *err)
{
    if (e == EAGAIN || e == EWOULDBLOCK || e == ETIMEDOUT) {
        *fail = DYNAMOP_HTTP_FAIL_TIMEOUT;
        dynamop_err_set(err, DYNAMO_ERR_TIMEOUT,
                        "%s: no progress before the request timeout", what);
    } else {
        *fail = DYNAMOP_HTTP_FAIL_IO;
        dynamop_err_set(err, DYNAMO_ERR_NETWORK, "%s: %s", what, strerror(e));
    }
    return FAIL;
}

/* Sends the head and BODY, resuming after partial writes and timeouts that
 * came before DEADLINE. */
static enum outcome
send_request(struct dynamop_plain *p, size_t head_len, const char *body, size_t body_len,
             long long deadline, int reused, enum dynamop_http_fail *fail,
             struct dynamo_err *err)
{
    struct iovec iov[2] = {{p->out, head_len}, {(void *)body, body_len}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = body_len > 0 ? 2 : 1};
    size_t left = head_len + body_len;

    while (left > 0) {
        ssize_t n;

        if (time_left(p, deadline) == 0)
            return io_failure(ETIMEDOUT, "send", fail, err);
        n = sendmsg(p->fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR ||
                ((errno == EAGAIN || errno == EWOULDBLOCK) && now_ms() < deadline))
                continue;
            if (reused && (errno == EPIPE || errno == ECONNRESET))
                return DEAD;
            return io_failure(errno, "send", fail, err);
        }
        left -= (size_t)n;
        while (msg.msg_iovlen > 0 && (size_t)n >= msg.msg_iov[0].iov_len) {
            n -= (ssize_t)msg.msg_iov[0].iov_len;
            msg.msg_iov++;
            msg.msg_iovlen--;
        }
        if (msg.msg_iovlen > 0) {
            msg.msg_iov[0].iov_base = (char *)msg.msg_iov[0].iov_base + n;
            msg.msg_iov[0].iov_len -= (size_t)n;
        }
    }
    return OK;
}

/* Receives into p->in after its IN_LEN bytes, at most up to LIMIT bytes in
 * all (the buffer must hold LIMIT + 1).  Returns the count (0: the server
 * closed), or -1 with errno; waits across early timeouts up to DEADLINE. */
static ssize_t
receive(struct dynamop_plain *p, size_t limit, long long deadline)
{
    for (;;) {
        ssize_t n;

        if (time_left(p, deadline) == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        n = recv(p->fd, p->in + p->in_len, limit - p->in_len, 0);
        if (n >= 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
            return n;
    }
}

static enum outcome
bad_response(const char *why, enum dynamop_http_fail *fail, struct dynamo_err *err)
{
    *fail = DYNAMOP_HTTP_FAIL_FATAL;
    dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE, "malformed HTTP answer: %s", why);
    return FAIL;
}

static enum outcome
too_big(enum dynamop_http_fail *fail, struct dynamo_err *err)
{
    *fail = DYNAMOP_HTTP_FAIL_FATAL;
    dynamop_err_set(err, DYNAMO_ERR_BAD_RESPONSE, "response body larger than %u bytes",
                    DYNAMOP_HTTP_MAX_BODY);
    return FAIL;
}

static enum outcome
no_memory(enum dynamop_http_fail *fail, struct dynamo_err *err)
{
    *fail = DYNAMOP_HTTP_FAIL_FATAL;
    dynamop_err_nomem(err);
    return FAIL;
}

/* Reads until a complete final (non-1xx) head is in p->in; *HEAD_LEN gets
 * its length.  Interim 1xx answers are dropped. */
static enum outcome
read_head(struct dynamop_plain *p, long long deadline, int reused, size_t *head_len,
          enum dynamop_http_fail *fail, struct dynamo_err *err)
{
    const char *why;

    for (;;) {
        size_t len = dynamop_http_head_len(p->in, p->in_len);
        ssize_t n;

        if (len > 0) {
            if (dynamop_http_parse_head(p->in, len, &p->head, &why) != 0)
                return bad_response(why, fail, err);
            if (p->head.status >= 200) {
                *head_len = len;
                return OK;
            }
            memmove(p->in, p->in + len, p->in_len - len);
            p->in_len -= len;
            continue;
        }
        if (p->in_len >= DYNAMOP_HTTP_MAX_HEAD)
            return bad_response("head too long", fail, err);
        if (p->in_len + 1 >= p->in_cap &&
            reserve_in(p, p->in_cap ? p->in_cap * 2 : FIRST_BUF_BYTES) != 0)
            return no_memory(fail, err);
        if ((n = receive(p, p->in_cap - 1, deadline)) <= 0) {
            if (reused && p->in_len == 0 && (n == 0 || errno == ECONNRESET))
                return DEAD;
            if (n == 0) {
                *fail = DYNAMOP_HTTP_FAIL_IO;
                dynamop_err_set(err, DYNAMO_ERR_NETWORK,
                                p->in_len ? "the server closed the connection in the "
                                            "answer's head"
                                          : "the server closed the connection without "
                                            "answering");
                return FAIL;
            }
            return io_failure(errno, "recv", fail, err);
        }
        p->in_len += (size_t)n;
    }
}

/* Reads a Content-Length body after the head (HEAD_LEN bytes). */
static enum outcome
read_length_body(struct dynamop_plain *p, size_t head_len, long long deadline,
                 enum dynamop_http_fail *fail, struct dynamo_err *err)
{
    size_t end;

    if (p->head.length > DYNAMOP_HTTP_MAX_BODY)
        return too_big(fail, err);
    end = head_len + (size_t)p->head.length;
    if (reserve_in(p, end + 1) != 0)
        return no_memory(fail, err);
    if (p->in_len > end)
        p->head.close = 1; /* bytes past the answer: nothing to trust after */
    while (p->in_len < end) {
        ssize_t n = receive(p, end, deadline);

        if (n == 0) {
            *fail = DYNAMOP_HTTP_FAIL_IO;
            dynamop_err_set(
                err, DYNAMO_ERR_NETWORK,
                "the server closed the connection after %zu of %llu body bytes",
                p->in_len - head_len, p->head.length);
            return FAIL;
        }
        if (n < 0)
            return io_failure(errno, "recv", fail, err);
        p->in_len += (size_t)n;
    }
    p->in_len = end;
    return OK;
}

/* Reads a chunked body, or one that ends when the connection does, after
 * the head (HEAD_LEN bytes), leaving the decoded body at p->in + HEAD_LEN.
 * Chunk data is compacted as it is decoded, so the buffer never holds much
 * more than the body's cap. */
static enum outcome
read_open_body(struct dynamop_plain *p, size_t head_len, long long deadline,
               enum dynamop_http_fail *fail, struct dynamo_err *err)
{
    /* One byte past the cap shows a body over it; one more for the NUL. */
    const size_t limit = head_len + DYNAMOP_HTTP_MAX_BODY + 2;
    int chunked = p->head.framing == DYNAMOP_HTTP_BODY_CHUNKED;
    struct dynamop_chunked ch = {0};
    const char *why;

    for (;;) {
        ssize_t n;

        if (chunked) {
            char *region = p->in + head_len;
            size_t raw = p->in_len - head_len;
            int done =
                dynamop_chunked_decode(&ch, region, raw, DYNAMOP_HTTP_MAX_BODY, &why);

            if (done < 0)
                return strstr(why, "cap") != NULL ? too_big(fail, err)
                                                  : bad_response(why, fail, err);
            if (done && ch.pos < raw)
                p->head.close = 1; /* bytes past the answer */
            /* Drop the framing already decoded: raw bytes left follow the data. */
            memmove(region + ch.out, region + ch.pos, raw - ch.pos);
            p->in_len = head_len + ch.out + (raw - ch.pos);
            ch.pos = ch.out;
            if (done) {
                p->in_len = head_len + ch.out;
                return OK;
            }
        } else if (p->in_len - head_len > DYNAMOP_HTTP_MAX_BODY) {
            return too_big(fail, err);
        }
        if (p->in_len + 1 >= p->in_cap) {
            size_t cap = p->in_cap * 2 < limit ? p->in_cap * 2 : limit;

            if (p->in_cap >= cap)
                return too_big(fail, err);
            if (reserve_in(p, cap) != 0)
                return no_memory(fail, err);
        }
        n = receive(p, p->in_cap - 1, deadline);
        if (n == 0 && !chunked)
            return OK;
        if (n == 0) {
            *fail = DYNAMOP_HTTP_FAIL_IO;
            dynamop_err_set(err, DYNAMO_ERR_NETWORK,
                            "the server closed the connection in a chunked body");
            return FAIL;
        }
        if (n < 0)
            return io_failure(errno, "recv", fail, err);
        p->in_len += (size_t)n;
    }
}

/* One request and its answer on the open connection. */
static enum outcome
exchange(struct dynamop_plain *p, size_t head_len, const char *body, size_t body_len,
         long long deadline, int reused, enum dynamop_http_fail *fail,
         struct dynamo_err *err)
{
    size_t resp_head = 0;
    enum outcome o;

    p->in_len = 0;
    p->head = (struct dynamop_http_head){0};
    if ((o = send_request(p, head_len, body, body_len, deadline, reused, fail, err)) !=
            OK ||
        (o = read_head(p, deadline, reused, &resp_head, fail, err)) != OK)
        return o;
    switch (p->head.framing) {
    case DYNAMOP_HTTP_BODY_NONE:
        if (p->in_len > resp_head)
            p->head.close = 1;
        p->in_len = resp_head;
        break;
    case DYNAMOP_HTTP_BODY_LENGTH:
        o = read_length_body(p, resp_head, deadline, fail, err);
        break;
    default:
        o = read_open_body(p, resp_head, deadline, fail, err);
        break;
    }
    if (o == OK)
        p->in[p->in_len] = '\0';
    p->body_at = resp_head;
    return o;
}

int
dynamop_plain_post(struct dynamop_plain *p, const char *url, const char *const *headers,
                   size_t nheaders, const char *body, size_t body_len,
                   struct dynamop_http_resp *resp, enum dynamop_http_fail *fail,
                   struct dynamo_err *err)
{
    long long deadline = now_ms() + p->request_timeout_ms;
    size_t head_len;
    enum outcome o;
    int reused;

    *fail = DYNAMOP_HTTP_FAIL_FATAL;
    *resp = (struct dynamop_http_resp){.body = "", .request_id = ""};
    if (set_url(p, url, err) != 0)
        return -1;
    if (p->in_cap > KEEP_BUF_BYTES) {
        /* One big answer must not pin megabytes for the client's lifetime. */
        util_free(p->in);
        p->in = NULL;
        p->in_cap = p->in_len = 0;
    }
    if ((head_len = format_head(p, headers, nheaders, body_len)) == 0) {
        dynamop_err_nomem(err);
        return -1;
    }
    /* A kept connection the server closed while it was idle fails before any
     * byte of the answer: that is no fault of the request, which goes once
     * more on a new connection (as libcurl does) without costing an attempt. */
    for (int tries = 0;; tries++) {
        reused = p->fd >= 0 && tries == 0;
        if (p->fd < 0 && connect_server(p, deadline, fail, err) != 0)
            return -1;
        o = exchange(p, head_len, body, body_len, deadline, reused, fail, err);
        if (o != DEAD)
            break;
        disconnect(p);
    }
    /* What of the answer's head arrived reaches the caller even on failure. */
    resp->status = p->head.status;
    resp->request_id = p->head.request_id;
    if (o != OK || p->head.close)
        disconnect(p);
    if (o != OK)
        return -1;
    *fail = DYNAMOP_HTTP_FAIL_NONE;
    resp->body = p->in + p->body_at;
    resp->body_len = p->in_len - p->body_at;
    resp->has_crc32 = p->head.has_crc32;
    resp->crc32 = p->head.crc32;
    return 0;
}
