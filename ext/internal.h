/*
 * internal.h: declarations shared between the files of the extension, ext/
 * (prefix dynamop_): the tables file's model and the extension's state.
 * Never installed.
 */
#ifndef DYNAMO_FCGI_EXT_INTERNAL_H
#define DYNAMO_FCGI_EXT_INTERNAL_H

#include "client/internal.h"
#include "tables.h"

#endif /* DYNAMO_FCGI_EXT_INTERNAL_H */
