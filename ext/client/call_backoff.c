/*
 * backoff.c: exponential backoff with full jitter ("Exponential Backoff And
 * Jitter", AWS Architecture Blog; the AWS SDKs' standard retry mode): sleep
 * a uniformly random time in [0, min(cap, base * 2^attempt)).
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

long
dynamop_backoff_ms(int attempt, long base_ms, long cap_ms)
{
    long limit = base_ms << (attempt < 16 ? (attempt > 0 ? attempt : 0) : 16);

    if (limit > cap_ms || limit <= 0)
        limit = cap_ms;
    /* arc4random: no seeding, no shared state between threads. */
    return (long)arc4random_uniform((uint32_t)limit);
}

void
dynamop_backoff_sleep(int attempt, long base_ms, long cap_ms)
{
    long ms = dynamop_backoff_ms(attempt, base_ms, cap_ms);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}
