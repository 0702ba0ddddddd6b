/*
 * thread.h -- starting a helper thread that never takes the run's signals.
 */
#ifndef UTIL_THREAD_H
#define UTIL_THREAD_H

#include <pthread.h>

/* pthread_create with every signal blocked in the new thread, so SIGINT and
 * SIGTERM reach the thread that checks for them.  0, or an errno. */
int thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
