/*
 * ctx.c: app contexts.  Each thread keeps its own stack of pushed contexts
 * (a thread-local pointer to the innermost, each context linking to the one
 * below), so a worker's context never leaks into another thread.  A context
 * holds one state slot per extension registered on its app; popping it runs
 * every extension's teardown_ctx in reverse registration order (the last one
 * set up is the first one torn down, as with atexit).
 */
#include <string.h>

#include "internal.h"

struct web_ctx {
    struct web_app *app;
    struct web_ctx *below; /* the next context down this thread's stack */
    void **slots;          /* one per extension of APP when pushed */
    size_t nslots;
};

static _Thread_local struct web_ctx *current;

struct web_ctx *
web_ctx_push(struct web_app *app, struct web_err *err)
{
    struct web_ctx *ctx;

    if (app == NULL) {
        webp_err_set(err, WEB_ERR_INVALID, "web_ctx_push: APP is NULL");
        return NULL;
    }
    ctx = util_calloc(1, sizeof(*ctx));
    if (ctx == NULL) {
        webp_err_nomem(err);
        return NULL;
    }
    ctx->nslots = app->next;
    if (ctx->nslots > 0 &&
        (ctx->slots = util_calloc(ctx->nslots, sizeof(void *))) == NULL) {
        util_free(ctx);
        webp_err_nomem(err);
        return NULL;
    }
    ctx->app = app;
    ctx->below = current;
    current = ctx;
    atomic_fetch_add(&app->live_ctx, 1);
    return ctx;
}

/* Takes CTX off this thread's stack.  Popping out of order is a bug in the
 * caller; it is repaired (CTX is unlinked wherever it is) and reported. */
static void
unlink_ctx(struct web_ctx *ctx)
{
    struct web_ctx **pp = &current;

    if (current == ctx) {
        current = ctx->below;
        return;
    }
    while (*pp != NULL && *pp != ctx)
        pp = &(*pp)->below;
    if (*pp == ctx)
        *pp = ctx->below;
    web_log(ctx->app, WEB_LOG_ERROR,
            "web: app context of \"%s\" popped out of order or on another thread",
            ctx->app->name);
}

void
web_ctx_pop(struct web_ctx *ctx)
{
    size_t i;

    if (ctx == NULL)
        return;
    /* Teardowns run while CTX is still current, so code they call sees the
     * context being torn down (as flask's teardown_appcontext). */
    for (i = ctx->nslots; i-- > 0;) {
        const struct web_ext *ext = ctx->app->exts[i];

        if (ext->teardown_ctx != NULL)
            ext->teardown_ctx(ctx, ctx->slots[i], ext->self);
        ctx->slots[i] = NULL;
    }
    unlink_ctx(ctx);
    atomic_fetch_sub(&ctx->app->live_ctx, 1);
    util_free(ctx->slots);
    util_free(ctx);
}

struct web_ctx *
web_ctx_current(void)
{
    return current;
}

struct web_app *
web_ctx_app(const struct web_ctx *ctx)
{
    return ctx ? ctx->app : NULL;
}

void **
web_ctx_slot(struct web_ctx *ctx, const struct web_ext *ext)
{
    long i;

    if (ctx == NULL || ext == NULL)
        return NULL;
    i = webp_app_ext_index(ctx->app, ext);
    if (i < 0 || (size_t)i >= ctx->nslots)
        return NULL;
    return &ctx->slots[i];
}

void
webp_ctx_log_request(struct web_ctx *ctx, char *buf, size_t size)
{
    size_t len = 0, i;

    if (size > 0)
        buf[0] = '\0';
    for (i = 0; ctx != NULL && i < ctx->nslots; i++) {
        const struct web_ext *ext = ctx->app->exts[i];
        char part[256];
        size_t n;

        if (ext->log_request == NULL)
            continue;
        if (size == 0) { /* no access line: the hook only moves its marks */
            ext->log_request(ctx, ctx->slots[i], ext->self, NULL, 0);
            continue;
        }
        part[0] = '\0';
        ext->log_request(ctx, ctx->slots[i], ext->self, part, sizeof(part));
        part[sizeof(part) - 1] = '\0';
        n = strlen(part);
        if (n == 0 || len + 1 + n >= size)
            continue;
        buf[len++] = ' ';
        memcpy(buf + len, part, n + 1);
        len += n;
    }
}
