/*
 * util_sched.c: the calling thread's event loop (util_sched.h), and the waits that
 * use it when there is one.
 */
#include <errno.h>
#include <time.h>

#include "util_sched.h"

/* One loop per worker thread at most; set and cleared by the loop. */
static _Thread_local const struct util_sched *current;

const struct util_sched *
util_sched_current(void)
{
    return current;
}

void
util_sched_set(const struct util_sched *s)
{
    current = s;
}

const struct util_sched *
util_sched_coroutine(void)
{
    const struct util_sched *s = current;

    return s != NULL && s->ops->self(s->loop) != NULL ? s : NULL;
}

/* Resumes the coroutine that armed the timer (sleep_timer below). */
static void
wake(void *co)
{
    const struct util_sched *s = current;

    if (s != NULL)
        s->ops->resume(s->loop, co);
}

void
util_sleep_ms(long ms)
{
    const struct util_sched *s = util_sched_coroutine();
    struct timespec ts;

    if (ms <= 0)
        return;
    if (s != NULL) {
        struct util_timer t = {.cb = wake, .arg = s->ops->self(s->loop)};

        /* Out of memory for the timer: sleep the thread rather than spin. */
        if (s->ops->timer_arm(s->loop, &t, ms) == 0) {
            s->ops->suspend(s->loop);
            s->ops->timer_disarm(s->loop, &t);
            return;
        }
    }
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int64_t
util_clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
