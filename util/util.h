/*
 * util.h: the utility layer under the framework (core/) and the DynamoDB
 * client (ext/client/), prefix util_.  Never installed, never exported:
 * each library links its own hidden copy.  It knows neither layer above
 * it: nothing here includes web.h or dynamo_client.h.
 */
#ifndef DYNAMO_FCGI_UTIL_H
#define DYNAMO_FCGI_UTIL_H

#include <stddef.h>

/* ---- allocation (alloc.c) ---------------------------------------------
 * Every allocation of the library goes through these, so a test can make
 * the Nth one fail (util_alloc_fail_at) and check that the error path is
 * clean.  They sit on malloc/free: memory given to callers may be free()d. */
void *util_malloc(size_t size);
void *util_calloc(size_t n, size_t size);
/* realloc of N * SIZE bytes, NULL on overflow; P is kept on failure. */
void *util_reallocarray(void *p, size_t n, size_t size);
char *util_strdup(const char *s);
char *util_strndup(const char *s, size_t n);
void util_free(void *p);
/* Overwrites the string S (a secret) before freeing it; NULL does nothing. */
void util_free_secret(char *s);
/* Test hook: make allocation number N (1-based, counted from this call)
 * fail; 0 turns failures off.  Returns the number of allocations made since
 * the previous call. */
long util_alloc_fail_at(long n);

#endif /* DYNAMO_FCGI_UTIL_H */
