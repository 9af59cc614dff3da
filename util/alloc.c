/*
 * alloc.c: the one allocation path of the library.  Overflow-checked, with a failure
 * hook for the chaos tests (docs/conventions.md, convention 8).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Allocation counter and the index that must fail (0: none).  Atomic because
 * workers allocate concurrently; the hook is only armed by single-threaded
 * tests, so relaxed ordering is enough. */
static atomic_long alloc_count;
static atomic_long alloc_fail;

static int
should_fail(void)
{
    long fail = atomic_load_explicit(&alloc_fail, memory_order_relaxed);
    long n = atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed) + 1;

    return fail != 0 && n == fail;
}

long
util_alloc_fail_at(long n)
{
    long made = atomic_exchange(&alloc_count, 0);

    atomic_store(&alloc_fail, n);
    return made;
}

void *
util_malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *
util_calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *
util_reallocarray(void *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    if (should_fail())
        return NULL;
    return realloc(p, n * size != 0 ? n * size : 1);
}

char *
util_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *copy = util_malloc(len + 1);

    if (copy != NULL) {
        memcpy(copy, s, len);
        copy[len] = '\0';
    }
    return copy;
}

char *
util_strdup(const char *s)
{
    return util_strndup(s, SIZE_MAX);
}

void
util_free(void *p)
{
    free(p);
}

void
util_free_secret(char *s)
{
    if (s != NULL) {
        volatile char *p = s;

        /* volatile: the stores must not be optimised away as dead. */
        while (*p != '\0')
            *p++ = '\0';
        free(s);
    }
}
