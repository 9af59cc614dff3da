/*
 * fcgiclient.c: a minimal FastCGI client for tests (see fcgiclient.h).
 * Record layout and types: FastCGI 1.0 specification, sections 3.3 and 8.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fcgiclient.h"
#include "testutil.h"

enum {
    BEGIN_REQUEST = 1,
    END_REQUEST = 3,
    PARAMS = 4,
    STDIN = 5,
    STDOUT = 6,
    ROLE_RESPONDER = 1,
    KEEP_CONN = 1, /* FCGI_KEEP_CONN, in FCGI_BeginRequestBody.flags */
    REQUEST_ID = 1
};

int
tu_fcgi_connect(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), saved;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* One record of TYPE with LEN (< 65536) bytes of DATA, no padding. */
static int
send_record(int fd, int type, const void *data, size_t len)
{
    unsigned char h[8] = {1, (unsigned char)type, 0, REQUEST_ID, (unsigned char)(len >> 8),
                          (unsigned char)(len & 255), 0, 0};

    if (tu_write_all(fd, h, sizeof(h)) != 0)
        return -1;
    return len > 0 ? tu_write_all(fd, data, len) : 0;
}

/* Appends a name-value pair (section 3.4: lengths under 128 in one byte,
 * else four with the top bit set) to OUT at *USED.  -1 when it does not fit. */
static int
put_pair(unsigned char *out, size_t size, size_t *used, const char *name, const char *value)
{
    size_t lens[2] = {strlen(name), strlen(value)}, n = *used;

    for (int i = 0; i < 2; i++) {
        if (n + 4 > size)
            return -1;
        if (lens[i] < 128) {
            out[n++] = (unsigned char)lens[i];
        } else {
            out[n++] = (unsigned char)(0x80 | (lens[i] >> 24));
            out[n++] = (unsigned char)(lens[i] >> 16);
            out[n++] = (unsigned char)(lens[i] >> 8);
            out[n++] = (unsigned char)lens[i];
        }
    }
    if (n + lens[0] + lens[1] > size)
        return -1;
    memcpy(out + n, name, lens[0]);
    memcpy(out + n + lens[0], value, lens[1]);
    *used = n + lens[0] + lens[1];
    return 0;
}

/* A whole request for METHOD and URI on FD, FLAGS in its begin record. */
static int
send_request(int fd, const char *method, const char *uri, unsigned char flags)
{
    const unsigned char begin[8] = {0, ROLE_RESPONDER, flags};
    const char *q = strchr(uri, '?');
    unsigned char params[8192];
    char path[2048];
    size_t n = 0, plen = q ? (size_t)(q - uri) : strlen(uri);

    if (plen >= sizeof(path))
        return -1;
    memcpy(path, uri, plen);
    path[plen] = '\0';
    if (put_pair(params, sizeof(params), &n, "REQUEST_METHOD", method) != 0 ||
        put_pair(params, sizeof(params), &n, "REQUEST_URI", uri) != 0 ||
        put_pair(params, sizeof(params), &n, "SCRIPT_NAME", path) != 0 ||
        put_pair(params, sizeof(params), &n, "QUERY_STRING", q ? q + 1 : "") != 0 ||
        put_pair(params, sizeof(params), &n, "CONTENT_LENGTH", "0") != 0 ||
        put_pair(params, sizeof(params), &n, "SERVER_PROTOCOL", "HTTP/1.1") != 0)
        return -1;
    if (send_record(fd, BEGIN_REQUEST, begin, sizeof(begin)) != 0 ||
        send_record(fd, PARAMS, params, n) != 0 || send_record(fd, PARAMS, NULL, 0) != 0 ||
        send_record(fd, STDIN, NULL, 0) != 0)
        return -1;
    return 0;
}

int
tu_fcgi_send(int fd, const char *method, const char *uri)
{
    return send_request(fd, method, uri, 0);
}

int
tu_fcgi_send_keep(int fd, const char *method, const char *uri)
{
    return send_request(fd, method, uri, KEEP_CONN);
}

/* Reads exactly N bytes, waiting at most TIMEOUT_MS for each chunk.  0, or
 * -1 on EOF, timeout or error. */
static int
read_full(int fd, void *buf, size_t n, int timeout_ms)
{
    char *p = buf;

    while (n > 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t r;

        if (poll(&pfd, 1, timeout_ms) <= 0)
            return -1;
        r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Splits the CGI output RAW (LEN bytes, taken over) into OUT. */
static void
split_output(char *raw, size_t len, struct tu_fcgi_resp *out)
{
    char *sep = raw ? strstr(raw, "\r\n\r\n") : NULL, *status;
    size_t hlen = sep ? (size_t)(sep - raw) : len;

    out->head = calloc(1, hlen + 1);
    out->body_len = sep ? len - hlen - 4 : 0;
    out->body = calloc(1, out->body_len + 1);
    if (out->head == NULL || out->body == NULL)
        abort();
    if (hlen > 0)
        memcpy(out->head, raw, hlen);
    if (out->body_len > 0)
        memcpy(out->body, sep + 4, out->body_len);
    free(raw);
    status = strstr(out->head, "Status: ");
    out->status = status ? (int)strtol(status + 8, NULL, 10) : 200;
}

int
tu_fcgi_recv(int fd, int timeout_ms, struct tu_fcgi_resp *out)
{
    char *raw = NULL;
    size_t len = 0;

    memset(out, 0, sizeof(*out));
    for (;;) {
        unsigned char h[8], content[65535 + 255];
        size_t clen, total;

        if (read_full(fd, h, sizeof(h), timeout_ms) != 0)
            break;
        clen = (size_t)h[4] << 8 | h[5];
        total = clen + h[6];
        if (total > 0 && read_full(fd, content, total, timeout_ms) != 0)
            break;
        if (h[1] == END_REQUEST) {
            out->complete = 1;
            break;
        }
        if (h[1] == STDOUT && clen > 0) {
            char *grown = realloc(raw, len + clen + 1);

            if (grown == NULL)
                abort();
            raw = grown;
            memcpy(raw + len, content, clen);
            len += clen;
            raw[len] = '\0';
        }
    }
    split_output(raw, len, out);
    return out->complete ? 0 : -1;
}

int
tu_fcgi_get(int port, const char *uri, int timeout_ms, struct tu_fcgi_resp *out)
{
    int fd = tu_fcgi_connect(port), rc;

    memset(out, 0, sizeof(*out));
    if (fd < 0)
        return -1;
    rc = tu_fcgi_send(fd, "GET", uri) == 0 ? tu_fcgi_recv(fd, timeout_ms, out) : -1;
    close(fd);
    return rc;
}

void
tu_fcgi_resp_free(struct tu_fcgi_resp *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof(*r));
}
