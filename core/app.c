/*
 * app.c: the application object, its route table and its extension registry.
 * Configuration lives in config.c, contexts in ctx.c.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

struct web_app *
web_app_new(const char *name, struct web_err *err)
{
    struct web_app *app;

    if (name == NULL) {
        webp_err_set(err, WEB_ERR_INVALID, "web_app_new: NAME is NULL");
        return NULL;
    }
    app = util_calloc(1, sizeof(*app));
    if (app == NULL || (app->name = util_strdup(name)) == NULL) {
        util_free(app);
        webp_err_nomem(err);
        return NULL;
    }
    atomic_init(&app->live_ctx, 0);
    atomic_init(&app->serving, 0);
    atomic_init(&app->log_max, -1);
    return app;
}

void
web_app_free(struct web_app *app)
{
    int live;

    if (app == NULL)
        return;
    live = atomic_load(&app->live_ctx);
    if (live != 0)
        /* A context still points here; say so instead of failing silently. */
        web_log(app, WEB_LOG_WARN,
                "web: web_app_free(\"%s\") with %d app context(s) still pushed",
                app->name, live);
    webp_config_free(&app->config);
    webp_router_free(&app->router);
    util_free(app->exts);
    util_free(app->name);
    util_free(app);
}

const char *
web_app_name(const struct web_app *app)
{
    return app ? app->name : NULL;
}

int
web_app_routes(struct web_app *app, const struct web_route *routes, size_t n, void *udata,
               struct web_err *err)
{
    if (app == NULL || (routes == NULL && n > 0)) {
        webp_err_set(err, WEB_ERR_INVALID, "web_app_routes: APP or ROUTES is NULL");
        return -1;
    }
    /* Workers read the table without a lock, so it is frozen while serving. */
    if (atomic_load(&app->serving)) {
        webp_err_set(err, WEB_ERR_INVALID, "web_app_routes: the app is being served");
        return -1;
    }
    return webp_router_add(&app->router, routes, n, udata, err);
}

long
webp_app_ext_index(const struct web_app *app, const struct web_ext *ext)
{
    size_t i;

    for (i = 0; app != NULL && i < app->next; i++)
        if (app->exts[i] == ext)
            return (long)i;
    return -1;
}

const struct web_ext *
web_app_ext(const struct web_app *app, const char *name)
{
    size_t i;

    for (i = 0; app != NULL && name != NULL && i < app->next; i++)
        if (strcmp(app->exts[i]->name, name) == 0)
            return app->exts[i];
    return NULL;
}

/* Checks that EXT may be registered on APP now.  0, or -1 + ERR. */
static int
ext_check(const struct web_app *app, const struct web_ext *ext, struct web_err *err)
{
    int live;

    if (app == NULL || ext == NULL || ext->name == NULL || ext->name[0] == '\0') {
        webp_err_set(err, WEB_ERR_INVALID,
                     "web_app_register: APP, EXT or its name missing");
        return -1;
    }
    if (web_app_ext(app, ext->name) != NULL) {
        webp_err_set(err, WEB_ERR_EXT, "extension '%s' is already registered", ext->name);
        return -1;
    }
    /* Contexts size their slot arrays when pushed: a later extension would
     * have no slot in them. */
    live = atomic_load(&app->live_ctx);
    if (live != 0) {
        webp_err_set(err, WEB_ERR_INVALID,
                     "extension '%s' registered while %d app context(s) are pushed",
                     ext->name, live);
        return -1;
    }
    return 0;
}

int
web_app_register(struct web_app *app, const struct web_ext *ext, struct web_err *err)
{
    if (ext_check(app, ext, err) != 0)
        return -1;
    if (app->next == app->ext_cap) {
        size_t cap = app->ext_cap ? app->ext_cap * 2 : 4;
        const struct web_ext **exts = util_reallocarray(app->exts, cap, sizeof(*exts));

        if (exts == NULL) {
            webp_err_nomem(err);
            return -1;
        }
        app->exts = exts;
        app->ext_cap = cap;
    }
    /* Registered before init_app runs, so init_app can find itself with
     * web_app_ext() (as flask's app.extensions). */
    app->exts[app->next++] = ext;
    if (ext->init_app != NULL && ext->init_app(app, ext->self, err) != 0) {
        app->next--;
        webp_err_set(err, WEB_ERR_EXT, "extension '%s' failed to initialise", ext->name);
        return -1;
    }
    return 0;
}
