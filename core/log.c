/*
 * log.c: levelled logging to stderr.  One line per event, "LEVEL: message",
 * filtered by the app's WEB_LOG_LEVEL; the access log (fcgi_io.c) and the
 * server's own messages (fcgi.c) go through it.
 *
 * Access lines are batched.  Written one by one they were a seventh system
 * call on a request path of six, and cost the app 6-10 us of CPU per request
 * under load; batched, the access log costs no more than running without
 * it, within the noise.  A worker thread attaches a buffer
 * (webp_logbuf_attach) and its access lines collect there: whole lines, at
 * most PIPE_BUF bytes, so the one write of a batch is atomic on a pipe and
 * never interleaves with another thread's.  A batch is written when the
 * next line would not fit, when its first line is WEBP_LOG_FLUSH_MS old,
 * when the worker finds nothing to do within that time (webp_logbuf_due is
 * its epoll timeout), when the thread logs any other line (a thread's lines
 * keep their order) and when the worker detaches it.  Under load that is
 * one write per ~70 requests.  A line waits at most WEBP_LOG_FLUSH_MS, or
 * until the request its worker is serving then ends.  A crash loses the
 * pending batch, as with nginx's "access_log ... buffer=".
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Room for the formatted message and for the line it becomes (each byte may
 * grow to four when escaped: a longer message is cut with "..."). */
#define MSG_MAX 2048
#define LINE_MAX_BYTES 4096

const char *const webp_log_level_names[WEB_LOG_MAX] = {
    [WEB_LOG_ERROR] = "error",
    [WEB_LOG_WARN] = "warn",
    [WEB_LOG_INFO] = "info",
    [WEB_LOG_DEBUG] = "debug",
};

int
webp_log_level(const struct web_app *app, enum web_log_level *out, struct web_err *err)
{
    const char *s = app != NULL ? web_config_get(app, "WEB_LOG_LEVEL") : NULL;
    char shown[64];
    int i;

    *out = WEB_LOG_INFO;
    if (s == NULL)
        return 0;
    for (i = 0; i < WEB_LOG_MAX; i++) {
        if (webp_strcasecmp(s, webp_log_level_names[i]) == 0) {
            *out = (enum web_log_level)i;
            return 0;
        }
    }
    webp_escape(shown, sizeof(shown), s, strlen(s));
    webp_err_set(err, WEB_ERR_CONFIG,
                 "WEB_LOG_LEVEL: expected error, warn, info or debug, got \"%s\"", shown);
    return -1;
}

/* Appends MSG to LINE (LEN bytes used of LINE_MAX_BYTES) with every byte
 * outside printable ASCII as \xHH, then "...\n" when cut (or CUT is set),
 * else "\n".  Not webp_escape(): that one also escapes spaces and quotes,
 * which a log line keeps, and a backslash is left alone so text escaped
 * before (the access log's path) is not escaped twice.  Returns the new
 * length. */
static size_t
append_escaped(char *line, size_t len, const char *msg, int cut)
{
    static const char hex[] = "0123456789abcdef";
    const size_t room = LINE_MAX_BYTES - 5; /* "...\n" and the NUL */

    for (; *msg != '\0'; msg++) {
        unsigned char c = (unsigned char)*msg;
        int plain = c >= 0x20 && c < 0x7f;

        if (len + (plain ? 1 : 4) > room) {
            cut = 1;
            break;
        }
        if (plain) {
            line[len++] = (char)c;
        } else {
            line[len++] = '\\';
            line[len++] = 'x';
            line[len++] = hex[c >> 4];
            line[len++] = hex[c & 15];
        }
    }
    if (cut) {
        memcpy(line + len, "...", 3);
        len += 3;
    }
    line[len++] = '\n';
    line[len] = '\0';
    return len;
}

/* ---- batched access lines ---------------------------------------------- */

struct webp_logbuf {
    size_t len;       /* bytes pending in DATA: whole lines */
    long long due_ms; /* when they must be written (monotonic ms) */
    char data[PIPE_BUF];
};

_Static_assert(LINE_MAX_BYTES <= PIPE_BUF, "a line must fit in an empty batch");

/* The calling thread's batch, if it attached one. */
static _Thread_local struct webp_logbuf *thread_batch;

static long long
now_ms(void)
{
    struct timespec ts;

    /* Coarse: a tick (1-4 ms) of slack is nothing against the flush delay,
     * and it is read on every access line. */
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
webp_logbuf_flush(struct webp_logbuf *b)
{
    if (b == NULL || b->len == 0)
        return;
    /* stderr is unbuffered: one fwrite is one write(2) of whole lines. */
    fwrite(b->data, 1, b->len, stderr);
    b->len = 0;
}

/* Adds LINE (LEN bytes, one whole line) to B, writing B first when LINE
 * would not fit, and after when it is due. */
static void
batch_add(struct webp_logbuf *b, const char *line, size_t len)
{
    long long now = now_ms();

    if (b->len + len > sizeof(b->data))
        webp_logbuf_flush(b);
    if (b->len == 0)
        b->due_ms = now + WEBP_LOG_FLUSH_MS;
    memcpy(b->data + b->len, line, len);
    b->len += len;
    if (now >= b->due_ms)
        webp_logbuf_flush(b);
}

struct webp_logbuf *
webp_logbuf_attach(void)
{
    struct webp_logbuf *b = util_malloc(sizeof(*b));

    if (b != NULL) {
        b->len = 0;
        thread_batch = b;
    }
    return b;
}

void
webp_logbuf_detach(struct webp_logbuf *b)
{
    if (b == NULL)
        return;
    webp_logbuf_flush(b);
    if (thread_batch == b)
        thread_batch = NULL;
    util_free(b);
}

int
webp_logbuf_due(const struct webp_logbuf *b)
{
    long long left;

    if (b == NULL || b->len == 0)
        return -1;
    left = b->due_ms - now_ms();
    return left <= 0 ? 0 : (int)left;
}

/* ---- lines ---------------------------------------------------------------- */

int
webp_log_enabled(const struct web_app *app, enum web_log_level level)
{
    int max = app != NULL ? atomic_load(&app->log_max) : -1;

    if (max < 0) {
        enum web_log_level m;

        /* An unknown WEB_LOG_LEVEL logs at info: web_app_serve refuses to
         * start with one, so it only reaches here from other callers. */
        webp_log_level(app, &m, NULL);
        max = (int)m;
    }
    return (int)level <= max;
}

/* Formats LEVEL and FMT/AP into LINE (LINE_MAX_BYTES) as one escaped line.
 * Returns its length, or 0 when there is nothing to write. */
static size_t
format_line(char *line, enum web_log_level level, const char *fmt, va_list ap)
{
    char msg[MSG_MAX];
    size_t len;
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);

    if (n < 0)
        return 0;
    len = strlen(webp_log_level_names[level]);
    memcpy(line, webp_log_level_names[level], len);
    memcpy(line + len, ": ", 2);
    return append_escaped(line, len + 2, msg, (size_t)n >= sizeof(msg));
}

/* Formats and writes one line at LEVEL; BATCHED (an access line) goes to
 * the thread's batch when it has one, any other line out at once, after
 * the thread's pending access lines. */
static void
log_line(const struct web_app *app, enum web_log_level level, int batched,
         const char *fmt, va_list ap)
{
    char line[LINE_MAX_BYTES];
    size_t len;

    if ((int)level < 0 || level >= WEB_LOG_MAX)
        level = WEB_LOG_ERROR;
    if (!webp_log_enabled(app, level) || fmt == NULL)
        return;
    len = format_line(line, level, fmt, ap);
    if (len == 0)
        return;
    if (batched && thread_batch != NULL) {
        batch_add(thread_batch, line, len);
        return;
    }
    /* This thread's access lines came first: they go out first. */
    webp_logbuf_flush(thread_batch);
    /* stderr is unbuffered: one fwrite is one write(2) of the whole line. */
    fwrite(line, 1, len, stderr);
}

void
web_log(const struct web_app *app, enum web_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_line(app, level, 0, fmt, ap);
    va_end(ap);
}

void
webp_log_access(const struct web_app *app, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_line(app, WEB_LOG_INFO, 1, fmt, ap);
    va_end(ap);
}
