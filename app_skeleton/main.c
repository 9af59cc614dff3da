/*
 * main.c: the example app's commands.
 *
 *   app_skeleton serve              serve the API over FastCGI (WEB_LISTEN)
 *   app_skeleton create-all [--wait]
 *   app_skeleton destroy-all --yes [--wait]
 *   app_skeleton check              validate the configuration and tables file, and
 *                                   compare the declared tables with the live ones
 *
 * Configuration comes from the environment (and WEB_CONFIG_FILE, a KEY = VALUE
 * file, when set): DYNAMO_TABLES_FILE, DYNAMO_ENABLE_LOCAL, AWS_*, WEB_*.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

static void
usage(void)
{
    fputs("usage: app_skeleton serve\n"
          "       app_skeleton create-all [--wait]\n"
          "       app_skeleton destroy-all --yes [--wait]\n"
          "       app_skeleton check\n",
          stderr);
}

/* 1 when FLAG is among the arguments ARGV[2..]. */
static int
has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return 1;
    return 0;
}

/* The app, its configuration file and the dynamo extension: the start-up
 * every command shares.  Returns 0, or 1 after printing the error. */
static int
setup(struct web_app **app, struct dynamo **dynamo)
{
    struct web_err werr = {0};
    struct dynamo_err derr = {0};
    const char *file = getenv("WEB_CONFIG_FILE");

    *dynamo = NULL;
    *app = web_app_new("app_skeleton", &werr);
    if (*app == NULL || (file != NULL && web_config_load_file(*app, file, &werr) != 0)) {
        fprintf(stderr, "app_skeleton: %s\n", werr.text);
        return 1;
    }
    *dynamo = dynamo_new(*app, &derr);
    if (*dynamo == NULL) {
        fprintf(stderr, "app_skeleton: %s\n", derr.text);
        return 1;
    }
    if (app_add_routes(*app, *dynamo, &werr) != 0) {
        fprintf(stderr, "app_skeleton: %s\n", werr.text);
        return 1;
    }
    return 0;
}

static int
cmd_serve(struct web_app *app)
{
    struct web_err err = {0};

    if (web_app_serve(app, &err) != 0) {
        fprintf(stderr, "app_skeleton: %s\n", err.text);
        return 1;
    }
    return 0;
}

/* create-all or destroy-all inside an app-context block. */
static int
cmd_schema(struct web_app *app, struct dynamo *dynamo, int create, int wait)
{
    struct dynamo_err err = {0};
    int rc = -1;

    WEB_WITH_APP_CONTEXT(app, ctx)
    {
        rc = create ? dynamo_create_all(dynamo, ctx, wait, &err)
                    : dynamo_destroy_all(dynamo, ctx, wait, &err);
    }
    if (rc != 0) {
        fprintf(stderr, "app_skeleton: %s: %s\n", create ? "create-all" : "destroy-all",
                err.code ? err.text : "cannot push an app context");
        return 1;
    }
    fprintf(stderr, "app_skeleton: %s: %zu tables done\n",
            create ? "create-all" : "destroy-all", dynamo_table_count(dynamo));
    return 0;
}

/* Drift check: prints each difference; 0 only when there is none. */
static int
cmd_check(struct web_app *app, struct dynamo *dynamo)
{
    struct dynamo_err err = {0};
    json_t *diff = NULL, *line;
    size_t i;
    int rc = -1;

    WEB_WITH_APP_CONTEXT(app, ctx)
    {
        rc = dynamo_check_tables(dynamo, ctx, &diff, &err);
    }
    if (rc != 0) {
        fprintf(stderr, "app_skeleton: check: %s\n",
                err.code ? err.text : "no app context");
        return 1;
    }
    json_array_foreach (diff, i, line)
        fprintf(stderr, "app_skeleton: drift: %s\n", json_string_value(line));
    rc = json_array_size(diff) > 0;
    fprintf(stderr, "app_skeleton: check: %zu tables declared, %zu differences\n",
            dynamo_table_count(dynamo), json_array_size(diff));
    json_decref(diff);
    return rc;
}

int
main(int argc, char **argv)
{
    struct web_app *app = NULL;
    struct dynamo *dynamo = NULL;
    const char *cmd = argc > 1 ? argv[1] : "";
    int rc;

    if (strcmp(cmd, "serve") && strcmp(cmd, "create-all") && strcmp(cmd, "destroy-all") &&
        strcmp(cmd, "check")) {
        usage();
        return 2;
    }
    if (strcmp(cmd, "destroy-all") == 0 && !has_flag(argc, argv, "--yes")) {
        fputs("app_skeleton: destroy-all deletes every declared table and its data; "
              "add --yes to confirm\n",
              stderr);
        return 2;
    }
    rc = setup(&app, &dynamo);
    if (rc == 0 && strcmp(cmd, "serve") == 0)
        rc = cmd_serve(app);
    else if (rc == 0 && strcmp(cmd, "check") == 0)
        rc = cmd_check(app, dynamo);
    else if (rc == 0)
        rc = cmd_schema(app, dynamo, strcmp(cmd, "create-all") == 0,
                        has_flag(argc, argv, "--wait"));
    web_app_free(app);
    dynamo_free(dynamo);
    return rc;
}
