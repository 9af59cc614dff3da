/*
 * faultsrv.h: a scripted fault server for the client's retry tests.
 *
 * A forked child on 127.0.0.1, or ::1 (a port the kernel picks), that speaks enough
 * HTTP/1.1 and DynamoDB JSON 1.0 to answer each request as a script says:
 * succeed, fail with a DynamoDB error or a bare 5xx, reset the connection,
 * cut the body short, stall, send a bad x-amz-crc32, invalid JSON or a body
 * past the client's cap.  Every answer carries x-amzn-RequestId "FAULT-N"
 * (N: the request's number, from 1) and, unless the step says otherwise, a
 * correct x-amz-crc32, as DynamoDB sends them.
 *
 * The child counts the requests it reads and the connections it accepts in
 * memory shared with the test, so a test asserts exact attempt counts.  The
 * listening socket is bound and listening before the fork: the server is
 * ready when faultsrv_start() returns.  The child dies with its parent.
 */
#ifndef DYNAMO_FCGI_FAULTSRV_H
#define DYNAMO_FCGI_FAULTSRV_H

#include <stddef.h>
#include <sys/types.h>

enum faultsrv_action {
    FAULTSRV_OK,        /* 200 with the step's body ("{}" when NULL) */
    FAULTSRV_OK_CLOSE,  /* the same, then close the connection (an idle timeout) */
    FAULTSRV_ERROR,     /* STATUS with {"__type": TYPE}; TYPE NULL: a non-JSON body */
    FAULTSRV_RESET,     /* read the request, then reset the connection (RST) */
    FAULTSRV_RESET_MID, /* headers and half the body, then RST */
    FAULTSRV_TRUNCATED, /* Content-Length larger than the body sent, then close */
    FAULTSRV_BAD_CRC,   /* 200 whose x-amz-crc32 does not match the body */
    FAULTSRV_BAD_JSON,  /* 200 with a body that is not JSON (correct CRC) */
    FAULTSRV_STALL,     /* answer nothing until the client leaves (5 s at most) */
    FAULTSRV_HUGE,      /* 200 with a 40 MiB body, past the client's 32 MiB cap */
    /* Well-formed answers in the HTTP/1.1 forms DynamoDB itself does not
     * use but a proxy in front of it may; each carries the step's body. */
    FAULTSRV_CHUNKED,     /* chunked, in small chunks and separate writes,
                           * with a chunk extension and a trailer */
    FAULTSRV_CONTINUE,    /* an interim 100 Continue, then the answer */
    FAULTSRV_UNTIL_CLOSE, /* HTTP/1.0 without Content-Length: the body ends
                           * when the connection does */
    FAULTSRV_BAD_HEAD,    /* a status line that is not HTTP, then close */
    FAULTSRV_DRIP,        /* 200 whose body comes a byte every 50 ms (2 s in
                           * all): each read makes progress, the whole does
                           * not fit the client's request timeout */
    FAULTSRV_ACTION_MAX
};

/* One step of a script: ACTION for the next TIMES requests (0: for every
 * request left).  After the last step, requests get FAULTSRV_OK with "{}". */
struct faultsrv_step {
    enum faultsrv_action action;
    int times;
    int status;       /* FAULTSRV_ERROR: the HTTP status */
    const char *type; /* FAULTSRV_ERROR: __type's short name, or NULL */
    const char *body; /* FAULTSRV_OK, _OK_CLOSE: the JSON body, or NULL */
};

struct faultsrv_shared; /* the counters and script the child reads */

/* A fault server; zero it (set IPV6 to listen on ::1 rather than
 * 127.0.0.1), then faultsrv_start() (or faultsrv_bind()). */
struct faultsrv {
    int ipv6; /* set by the test before binding */
    int fd;   /* the bound socket until the fork, then -1 */
    int port;
    char port_text[8]; /* "PORT" */
    char url[40];      /* "http://127.0.0.1:PORT" */
    pid_t pid;         /* the child, 0 before the start */
    struct faultsrv_shared *shared;
};

/* Binds a port without listening: connections to it are refused until
 * faultsrv_start().  Returns 0, or -1 with errno. */
int faultsrv_bind(struct faultsrv *s);
/* Binds (unless faultsrv_bind() did), listens and forks the server.
 * Returns 0, or -1 with errno. */
int faultsrv_start(struct faultsrv *s);
/* Replaces the script (copied, at most 16 steps, strings truncated at 1 KiB)
 * and starts it from its first step.  Call between requests only. */
void faultsrv_script(struct faultsrv *s, const struct faultsrv_step *steps, size_t n);
/* Requests read and connections accepted since the start. */
long faultsrv_requests(const struct faultsrv *s);
long faultsrv_connections(const struct faultsrv *s);
/* The X-Amz-Target of the last request read ("" before any). */
const char *faultsrv_last_target(const struct faultsrv *s, char *buf, size_t size);
/* The Host header of the last request (into BUF, SIZE bytes). */
const char *faultsrv_last_host(const struct faultsrv *s, char *buf, size_t size);
/* Stops the child and frees everything.  Returns 0 when the child was still
 * serving (it never exits on its own), -1 when it had died.  A zeroed or
 * already stopped server: 0. */
int faultsrv_stop(struct faultsrv *s);

#endif /* DYNAMO_FCGI_FAULTSRV_H */
