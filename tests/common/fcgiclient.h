/*
 * fcgiclient.h: a minimal FastCGI client for tests, playing the web server
 * (FastCGI 1.0 specification, sections 3 to 6): role RESPONDER, an empty
 * body; one request per connection, or several one after another on a
 * connection kept open with FCGI_KEEP_CONN (tu_fcgi_send_keep).
 */
#ifndef DYNAMO_FCGI_FCGICLIENT_H
#define DYNAMO_FCGI_FCGICLIENT_H

#include <stddef.h>

/* A response: the CGI output split at its blank line.  Free with
 * tu_fcgi_resp_free(). */
struct tu_fcgi_resp {
    int status;    /* from "Status: NNN", 200 when absent (RFC 3875, 6.3.3) */
    char *head;    /* the header block, NUL-terminated */
    char *body;    /* NUL-terminated */
    size_t body_len;
    int complete;  /* FCGI_END_REQUEST arrived */
};

/* Connects to 127.0.0.1:PORT.  Returns the socket, or -1 with errno
 * (ECONNREFUSED when nothing listens). */
int tu_fcgi_connect(int port);
/* Sends a whole request for METHOD and URI ("/path?query") on FD.  0, or -1
 * when a write failed. */
int tu_fcgi_send(int fd, const char *method, const char *uri);
/* As tu_fcgi_send, with FCGI_KEEP_CONN (section 5.1): the server leaves the
 * connection open after its answer, for the next request on FD. */
int tu_fcgi_send_keep(int fd, const char *method, const char *uri);
/* Reads records until FCGI_END_REQUEST, EOF or TIMEOUT_MS without data.
 * Returns 0 when the response is complete, -1 otherwise (OUT then holds what
 * arrived). */
int tu_fcgi_recv(int fd, int timeout_ms, struct tu_fcgi_resp *out);
/* connect + send + recv + close: 0 for a complete response, -1 otherwise. */
int tu_fcgi_get(int port, const char *uri, int timeout_ms, struct tu_fcgi_resp *out);
void tu_fcgi_resp_free(struct tu_fcgi_resp *r);

#endif /* DYNAMO_FCGI_FCGICLIENT_H */
