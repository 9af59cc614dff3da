/*
 * fcgi_listen.c: the FastCGI listening socket of web_app_serve: opened from
 * WEB_LISTEN ("HOST:PORT" or "unix:PATH" with WEB_LISTEN_MODE), or the
 * socket inherited as fd 0 from spawn-fcgi or systemd.  Always non-blocking:
 * the workers in fcgi.c accept only when epoll says a connection is there,
 * and one another worker or process took first gives EAGAIN, not a wait.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

#define BACKLOG 128

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

/* socket + bind + listen on SA.  Done here rather than with libfcgi's
 * FCGX_OpenSocket, which calls exit() when bind fails (a busy port would kill
 * the process instead of returning WEB_ERR_LISTEN).  Returns the fd, or -1
 * with ERR naming SHOWN. */
static int
bind_listen(const struct sockaddr *sa, socklen_t len, const char *shown,
            struct web_err *err)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;

    if (fd < 0) {
        webp_err_set(err, WEB_ERR_LISTEN, "socket(%s): %s", shown, strerror(errno));
        return -1;
    }
    if ((sa->sa_family == AF_INET &&
         setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) ||
        bind(fd, sa, len) != 0 || listen(fd, BACKLOG) != 0) {
        webp_err_set(err, WEB_ERR_LISTEN, "listening on %s: %s", shown, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* The IPv4 address of HOST (HLEN bytes; empty: every address) into SIN. */
static int
resolve4(const char *host, size_t hlen, struct sockaddr_in *sin, const char *shown,
         struct web_err *err)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    char name[256];
    int rc;

    if (hlen == 0) {
        sin->sin_addr.s_addr = htonl(INADDR_ANY);
        return 0;
    }
    snprintf(name, sizeof(name), "%.*s", (int)hlen, host);
    rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0) {
        webp_err_set(err, WEB_ERR_LISTEN, "WEB_LISTEN %s: %s", shown, gai_strerror(rc));
        return -1;
    }
    sin->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return 0;
}

static int
open_unix(struct webp_listener *l, const struct web_app *app, const char *path,
          struct web_err *err)
{
    struct sockaddr_un sa;
    mode_t mode;

    if (path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path)) {
        webp_err_set(err, WEB_ERR_CONFIG,
                     "WEB_LISTEN: unix socket path empty or over %zu bytes",
                     sizeof(sa.sun_path) - 1);
        return -1;
    }
    if (listen_mode(app, &mode, err) != 0 || remove_stale_socket(path, err) != 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    l->fd = bind_listen((struct sockaddr *)&sa, sizeof(sa), path, err);
    if (l->fd < 0)
        return -1;
    l->unix_path = util_strdup(path);
    if (l->unix_path == NULL) {
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
open_tcp(struct webp_listener *l, const char *addr, struct web_err *err)
{
    const char *colon = strrchr(addr, ':');
    size_t hlen = colon ? (size_t)(colon - addr) : 0;
    struct sockaddr_in sin = {.sin_family = AF_INET};
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
    if (hlen == 1 && addr[0] == '*')
        hlen = 0;
    webp_escape(where, sizeof(where), addr, strlen(addr));
    if (resolve4(addr, hlen, &sin, where, err) != 0)
        return -1;
    sin.sin_port = htons((uint16_t)port);
    l->fd = bind_listen((struct sockaddr *)&sin, sizeof(sin), where, err);
    return l->fd < 0 ? -1 : 0;
}

/* The socket inherited from spawn-fcgi or systemd. */
static int
use_fd0(struct webp_listener *l, struct web_err *err)
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
    l->fd = 0;
    return 0;
}

int
webp_listener_open(struct webp_listener *l, const struct web_app *app,
                   struct web_err *err)
{
    const char *addr = web_config_get(app, "WEB_LISTEN");
    int rc, flags;

    l->fd = -1;
    l->own = 0;
    l->unix_path = NULL;
    if (addr == NULL)
        rc = use_fd0(l, err);
    else if (strncmp(addr, "unix:", 5) == 0)
        rc = open_unix(l, app, addr + 5, err);
    else
        rc = open_tcp(l, addr, err);
    if (rc != 0)
        return -1;
    l->own = addr != NULL;
    flags = fcntl(l->fd, F_GETFL);
    if (flags < 0 || fcntl(l->fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        webp_err_set(err, WEB_ERR_LISTEN, "fcntl(O_NONBLOCK): %s", strerror(errno));
        return -1;
    }
    if (l->fd != 0)
        fcntl(l->fd, F_SETFD, FD_CLOEXEC);
    return 0;
}

void
webp_listener_close(struct webp_listener *l)
{
    /* fd 0 belongs to spawn-fcgi or systemd as well: left open. */
    if (l->fd > 0)
        close(l->fd);
    if (l->unix_path != NULL)
        unlink(l->unix_path);
    util_free(l->unix_path);
    l->fd = -1;
    l->unix_path = NULL;
}
