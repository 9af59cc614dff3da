/*
 * log.c: levelled logging to stderr.  One line per event, "LEVEL: message",
 * filtered by the app's WEB_LOG_LEVEL; the access log (fcgi_io.c) and the
 * server's own messages (fcgi.c) go through it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

void
web_log(const struct web_app *app, enum web_log_level level, const char *fmt, ...)
{
    char msg[MSG_MAX], line[LINE_MAX_BYTES];
    va_list ap;
    size_t len;
    int n;

    if ((int)level < 0 || level >= WEB_LOG_MAX)
        level = WEB_LOG_ERROR;
    if (!webp_log_enabled(app, level) || fmt == NULL)
        return;
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    len = (size_t)snprintf(line, sizeof(line), "%s: ", webp_log_level_names[level]);
    len = append_escaped(line, len, msg, (size_t)n >= sizeof(msg));
    /* stderr is unbuffered: one fwrite is one write(2) of the whole line. */
    fwrite(line, 1, len, stderr);
}
