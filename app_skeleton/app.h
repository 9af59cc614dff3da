/*
 * app.h: the example app's pieces shared by main.c (commands) and
 * routes.c (HTTP handlers).
 */
#ifndef APP_SKELETON_APP_H
#define APP_SKELETON_APP_H

#include "dynamo.h"
#include "web.h"

/* Adds the app's routes; handlers reach DynamoDB through DYNAMO. */
int app_add_routes(struct web_app *app, struct dynamo *dynamo, struct web_err *err);

#endif /* APP_SKELETON_APP_H */
