/*
 * floor_app.c: the example app plus one route that never touches DynamoDB,
 * for `make bench`:
 *
 *   GET /bench/floor   -> 200 with the fixture item as plain JSON, the very
 *                         bytes GET /users/alice answers on the stub
 *
 * Everything else is app_skeleton's: its routes (routes.c is linked in), the
 * dynamo extension registered from the same environment, the same workers.
 * So nginx -> FastCGI -> this handler -> reply is the framework's floor, and
 * the GetItem route's distance from it is what DynamoDB access costs.
 *
 *   floor_app serve    (WEB_LISTEN, DYNAMO_*, AWS_* as for app_skeleton)
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "fixture.h"

static int
floor_route(struct web_req *req, struct web_resp *resp, void *udata)
{
    static const char body[] = BENCH_ITEM_JSON;

    (void)req;
    (void)udata;
    web_resp_status(resp, 200);
    if (web_resp_header(resp, "Content-Type", "application/json") != 0)
        return -1;
    return web_resp_body(resp, body, sizeof(body) - 1);
}

static const struct web_route floor_routes[] = {
    {"GET", "/bench/floor", floor_route},
};

int
main(int argc, char **argv)
{
    struct web_err werr = {0};
    struct dynamo_err derr = {0};
    struct web_app *app;
    struct dynamo *dynamo = NULL;
    int rc = 1;

    if (argc != 2 || strcmp(argv[1], "serve") != 0) {
        fputs("usage: floor_app serve\n", stderr);
        return 2;
    }
    app = web_app_new("floor_app", &werr);
    if (app == NULL)
        goto out;
    dynamo = dynamo_new(app, &derr);
    if (dynamo == NULL) {
        fprintf(stderr, "floor_app: %s\n", derr.text);
        goto out;
    }
    if (app_add_routes(app, dynamo, &werr) == 0 &&
        web_app_routes(app, floor_routes, 1, NULL, &werr) == 0 &&
        web_app_serve(app, &werr) == 0)
        rc = 0;
out:
    if (rc != 0 && werr.code != WEB_OK)
        fprintf(stderr, "floor_app: %s\n", werr.text);
    web_app_free(app);
    dynamo_free(dynamo);
    return rc;
}
