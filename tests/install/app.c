/*
 * app.c: a minimal app that test_install.sh builds against an installed copy
 * of dynamo-fcgi, with nothing but `pkg-config --cflags --libs dynamo-fcgi`.
 *
 *   app URI...   loads the configuration and the tables file (as any app
 *                does at start-up), then runs each URI through the route
 *                inside one app context and prints "STATUS BODY" per URI.
 *
 * It opens no socket: the route only reads the table map.  Exits 1 with the
 * error (FILE:LINE:COL for the tables file) when the app refuses to start.
 */
#include <stdio.h>
#include <stdlib.h>

#include "dynamo.h"

/* GET /tables/<name>: the declared table's names and hash key. */
static int
table_info(struct web_req *req, struct web_resp *resp, void *udata)
{
    struct dynamo *dynamo = udata;
    struct dynamo_err err = {0};
    struct dynamo_table *t =
        dynamo_table(dynamo, web_req_ctx(req), web_req_param(req, "name"), &err);

    if (t == NULL)
        return web_resp_error(resp, 404, "%s", err.text);
    return web_resp_json(resp, 200,
                         json_pack("{s:s, s:s, s:s}", "name", dynamo_table_name(t),
                                   "full_name", dynamo_table_full_name(t), "hash_key",
                                   dynamo_table_hash_key(t)));
}

static const struct web_route routes[] = {
    {"GET", "/tables/<name>", table_info},
};

int
main(int argc, char **argv)
{
    struct web_err werr = {0};
    struct dynamo_err derr = {0};
    struct web_app *app = web_app_new("install-test", &werr);
    struct dynamo *dynamo = NULL;
    int rc = 1;

    if (app == NULL) {
        fprintf(stderr, "app: %s\n", werr.text);
        return 1;
    }
    dynamo = dynamo_new(app, &derr);
    if (dynamo == NULL)
        fprintf(stderr, "app: %s\n", derr.text);
    else if (web_app_routes(app, routes, sizeof(routes) / sizeof(routes[0]), dynamo,
                            &werr) != 0)
        fprintf(stderr, "app: %s\n", werr.text);
    else
        rc = 0;
    WEB_WITH_APP_CONTEXT(app, ctx)
    {
        for (int i = 1; rc == 0 && i < argc; i++) {
            int status = 0;
            char *body = NULL;

            if (web_app_handle(app, ctx, "GET", argv[i], NULL, 0, NULL, 0, &status, &body,
                               &werr) != 0) {
                fprintf(stderr, "app: %s: %s\n", argv[i], werr.text);
                rc = 1;
            } else {
                printf("%d %s\n", status, body);
            }
            free(body);
        }
    }
    if (rc == 0)
        printf("dynamo-fcgi %s: %zu tables\n", WEB_VERSION, dynamo_table_count(dynamo));
    web_app_free(app);
    dynamo_free(dynamo);
    return rc;
}
