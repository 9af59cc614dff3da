/*
 * util_sched.h: how code under the framework waits without holding its thread.
 * (Not "sched.h": util/ is on the include path, and <pthread.h> includes
 * <sched.h>.)
 *
 * Inside web_app_serve() each worker thread runs one event loop, and each
 * request runs on it as a coroutine with its own stack.  The framework
 * (core/) installs a struct util_sched for the worker thread; code below it
 * (the DynamoDB client, ext/client/) asks util_sched_current() and, when it
 * gets one, registers its descriptors and timers with that loop and
 * suspends the calling coroutine instead of blocking the thread.  Outside
 * serve (a CLI, create_all in a script, the standalone client, tests) there
 * is none, and the same call runs its own wait to completion.
 *
 * This header is the whole contract between the two: the client never
 * includes core/, core never includes ext/.  Every callback of the loop
 * runs on the loop's own stack, never inside a coroutine, and must not
 * suspend; it may resume coroutines (which then run after it returns).
 */
#ifndef DYNAMO_FCGI_UTIL_SCHED_H
#define DYNAMO_FCGI_UTIL_SCHED_H

#include <stdint.h>

/* Events of a watched descriptor (util_sched_ops.watch, util_io_cb). */
#define UTIL_IO_READ 1
#define UTIL_IO_WRITE 2
#define UTIL_IO_ERROR 4 /* reported only: EPOLLERR / EPOLLHUP */

/* FD is ready for EVENTS; ARG is what was given to watch(). */
typedef void (*util_io_cb)(void *arg, int fd, int events);

/* A one-shot timer, owned (embedded) by its user; the loop links it while
 * armed.  Zero it before first use; set CB and ARG; never free or move it
 * while armed. */
struct util_timer {
    void (*cb)(void *arg); /* runs on the loop when the timer fires */
    void *arg;
    /* the loop's own bookkeeping: */
    int64_t due_ms;
    long slot; /* -1 or 0 when not armed */
};

struct util_sched_ops {
    /* Watch FD for EVENTS (UTIL_IO_READ | UTIL_IO_WRITE), replacing what
     * was watched for it before; EVENTS 0 stops watching (call it before
     * closing FD).  CB(ARG, FD, events) runs on the loop.  0, or -1 with
     * errno set. */
    int (*watch)(void *loop, int fd, int events, util_io_cb cb, void *arg);
    /* Arms T to fire once, MS milliseconds from now (0: on the next turn
     * of the loop); re-arming an armed timer moves it.  0, or -1 (out of
     * memory). */
    int (*timer_arm)(void *loop, struct util_timer *t, long ms);
    /* Disarms T; a timer that is not armed is left alone. */
    void (*timer_disarm)(void *loop, struct util_timer *t);
    /* The running coroutine, or NULL when called on the loop's own stack
     * (a callback, or before serve starts one). */
    void *(*self)(void *loop);
    /* Suspends the running coroutine until resume() is called on it.  Only
     * from a coroutine (self() != NULL). */
    void (*suspend)(void *loop);
    /* Makes coroutine CO runnable: it continues after its suspend() once
     * the current callback or coroutine has yielded.  Resuming one that is
     * already runnable does nothing. */
    void (*resume)(void *loop, void *co);
    /* Runs FN(ARG) when the loop ends (after every coroutine finished),
     * on its thread: per-thread state built on the loop is freed there.
     * 0, or -1 (out of memory). */
    int (*at_exit)(void *loop, void (*fn)(void *arg), void *arg);
    /* Milliseconds on the loop's monotonic clock (util_clock_ms()). */
    int64_t (*now_ms)(void *loop);
};

/* A loop: its operations and itself. */
struct util_sched {
    const struct util_sched_ops *ops;
    void *loop;
};

/* The calling thread's loop, or NULL (no loop on this thread).  Borrowed:
 * valid while the loop runs. */
const struct util_sched *util_sched_current(void);
/* Installs S as the calling thread's loop (NULL removes it).  Called by
 * the loop itself as it starts and ends. */
void util_sched_set(const struct util_sched *s);

/* The calling thread's loop when the caller runs in one of its coroutines
 * (so it may suspend), else NULL. */
const struct util_sched *util_sched_coroutine(void);

/* Waits MS milliseconds: suspends the calling coroutine when there is one
 * (util_sched_coroutine()), else sleeps the thread.  Returns at once for
 * MS <= 0. */
void util_sleep_ms(long ms);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t util_clock_ms(void);

#endif /* DYNAMO_FCGI_UTIL_SCHED_H */
