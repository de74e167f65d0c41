/*
 * The work queue behind khost_work_enqueue(): where KTLS's deferred work
 * (ktls_enqueue's encryption, the receive worker) runs.
 *
 * One FIFO of caller-owned items, linked through kw_next, under one mutex.
 *
 * Deterministic mode (0 workers, the default): nothing runs until the
 * application calls uk_run() or uk_run_one(), and then items run on the
 * caller's thread in the order they were queued.  Work queued by a running
 * item is queued behind the others and uk_run() runs it too before it
 * returns, so one uk_run() leaves the queue empty.  The same input then
 * gives the same interleaving, hence the same bytes, on every run.
 *
 * Threaded mode (uk_set_workers(n), n > 0): n pthreads take items from
 * the queue as they come.  uk_run() waits until the queue is empty and no
 * item is running, and reports how many items ran since the previous
 * uk_run().  uk_run_one() does nothing in this mode: the workers own the
 * queue.
 *
 * Stopping the workers (uk_set_workers(0), uk_reset()) lets each finish
 * the item it is running; items still queued then stay queued and run at
 * the next uk_run().  uk_set_workers() refuses (EBUSY) while items are
 * queued, so that changing mode never strands or reorders work a test
 * expects to run in a given mode.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <uktls/uktls.h>

#include "host.h"

#define	WQ_MAX_WORKERS	64

/* Everything below is protected by wq_lock unless said otherwise. */
static pthread_mutex_t wq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wq_work_cv = PTHREAD_COND_INITIALIZER;	/* workers */
static pthread_cond_t wq_idle_cv = PTHREAD_COND_INITIALIZER;	/* uk_run */
static struct khost_work *wq_head, *wq_tail;
static long wq_npending;	/* queued, not started */
static long wq_nrunning;	/* started, not finished */
static long wq_nran;		/* finished since the last uk_run() */
static int wq_stopping;		/* workers: exit after the current item */
static atomic_int wq_nworkers;	/* written under wq_ctl_lock as well */

/* Serializes changes of mode (uk_set_workers, uk_reset). */
static pthread_mutex_t wq_ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t *wq_threads;	/* under wq_ctl_lock */

/* Set on worker threads: they must not wait for the queue to drain. */
static _Thread_local int wq_on_worker;

static void
wq_mtx_lock(pthread_mutex_t *m)
{
	int error;

	error = pthread_mutex_lock(m);
	if (error != 0)
		uk_host_panic("work queue lock: %s", strerror(error));
}

static void
wq_mtx_unlock(pthread_mutex_t *m)
{

	pthread_mutex_unlock(m);
}

/* Take the first item; the caller runs it.  Lock held. */
static struct khost_work *
wq_dequeue(void)
{
	struct khost_work *w;

	w = wq_head;
	wq_head = w->kw_next;
	if (wq_head == NULL)
		wq_tail = NULL;
	w->kw_next = NULL;
	wq_npending--;
	wq_nrunning++;
	return (w);
}

/* An item has finished.  Lock held. */
static void
wq_done(int count)
{

	wq_nrunning--;
	if (count)
		wq_nran++;
	if (wq_npending == 0 && wq_nrunning == 0)
		pthread_cond_broadcast(&wq_idle_cv);
}

void
khost_work_enqueue(struct khost_work *w)
{

	if (w == NULL || w->kw_fn == NULL)
		uk_host_panic("khost_work_enqueue: item %p without a function",
		    (void *)w);
	wq_mtx_lock(&wq_lock);
	/* Cheap half of "not enqueued twice": it is not the last one. */
	if (w == wq_tail)
		uk_host_panic("khost_work_enqueue: item %p already queued",
		    (void *)w);
	w->kw_next = NULL;
	if (wq_tail == NULL)
		wq_head = w;
	else
		wq_tail->kw_next = w;
	wq_tail = w;
	wq_npending++;
	if (atomic_load(&wq_nworkers) > 0)
		pthread_cond_signal(&wq_work_cv);
	wq_mtx_unlock(&wq_lock);
}

int
khost_workers(void)
{

	return (atomic_load(&wq_nworkers));
}

int
uk_workers(void)
{

	return (atomic_load(&wq_nworkers));
}

long
uk_pending(void)
{
	long n;

	wq_mtx_lock(&wq_lock);
	n = wq_npending;
	wq_mtx_unlock(&wq_lock);
	return (n);
}

static void *
wq_worker(void *arg)
{
	struct khost_work *w;
	void (*fn)(void *);
	void *fnarg;

	(void)arg;
	wq_on_worker = 1;
	wq_mtx_lock(&wq_lock);
	for (;;) {
		while (wq_head == NULL && !wq_stopping)
			pthread_cond_wait(&wq_work_cv, &wq_lock);
		if (wq_stopping)
			break;
		w = wq_dequeue();
		/* The owner may reuse w as soon as its function starts. */
		fn = w->kw_fn;
		fnarg = w->kw_arg;
		wq_mtx_unlock(&wq_lock);
		fn(fnarg);
		wq_mtx_lock(&wq_lock);
		wq_done(1);
	}
	wq_mtx_unlock(&wq_lock);
	return (NULL);
}

/* Join all workers; queued items stay queued.  wq_ctl_lock held. */
static void
wq_stop_workers(void)
{
	int i, n;

	n = atomic_load(&wq_nworkers);
	if (n == 0)
		return;
	wq_mtx_lock(&wq_lock);
	wq_stopping = 1;
	pthread_cond_broadcast(&wq_work_cv);
	wq_mtx_unlock(&wq_lock);
	for (i = 0; i < n; i++)
		pthread_join(wq_threads[i], NULL);
	free(wq_threads);
	wq_threads = NULL;
	wq_mtx_lock(&wq_lock);
	wq_stopping = 0;
	atomic_store(&wq_nworkers, 0);
	/* A uk_run() waiting for the workers must now drain by itself. */
	pthread_cond_broadcast(&wq_idle_cv);
	wq_mtx_unlock(&wq_lock);
}

/* Start n workers.  wq_ctl_lock held, none running.  0 or an errno. */
static int
wq_start_workers(int n)
{
	int error, i;

	wq_threads = calloc((size_t)n, sizeof(*wq_threads));
	if (wq_threads == NULL)
		return (ENOMEM);
	for (i = 0; i < n; i++) {
		error = pthread_create(&wq_threads[i], NULL, wq_worker, NULL);
		if (error != 0) {
			/* Stop the ones that did start. */
			atomic_store(&wq_nworkers, i);
			wq_stop_workers();
			return (error);
		}
		atomic_store(&wq_nworkers, i + 1);
	}
	return (0);
}

int
uk_set_workers(int n)
{
	int error;

	if (n < 0 || n > WQ_MAX_WORKERS) {
		errno = EINVAL;
		return (-1);
	}
	if (wq_on_worker) {
		/* Joining ourselves would never return. */
		errno = EDEADLK;
		return (-1);
	}
	wq_mtx_lock(&wq_ctl_lock);
	wq_mtx_lock(&wq_lock);
	error = wq_npending != 0 ? EBUSY : 0;
	wq_mtx_unlock(&wq_lock);
	if (error == 0 && n != atomic_load(&wq_nworkers)) {
		wq_stop_workers();
		if (n > 0)
			error = wq_start_workers(n);
	}
	wq_mtx_unlock(&wq_ctl_lock);
	if (error != 0) {
		errno = error;
		return (-1);
	}
	return (0);
}

int
uk_run_one(void)
{
	struct khost_work *w;
	void (*fn)(void *);
	void *fnarg;

	wq_mtx_lock(&wq_lock);
	if (wq_head == NULL || atomic_load(&wq_nworkers) > 0) {
		wq_mtx_unlock(&wq_lock);
		return (0);
	}
	w = wq_dequeue();
	fn = w->kw_fn;
	fnarg = w->kw_arg;
	wq_mtx_unlock(&wq_lock);
	fn(fnarg);
	wq_mtx_lock(&wq_lock);
	wq_done(0);
	wq_mtx_unlock(&wq_lock);
	return (1);
}

long
uk_run(void)
{
	long n;

	if (wq_on_worker)
		uk_host_panic("uk_run: called from a work item on a worker "
		    "thread (it would wait for itself)");
	n = 0;
	wq_mtx_lock(&wq_lock);
	for (;;) {
		if (atomic_load(&wq_nworkers) == 0) {
			/* Deterministic: drain on this thread. */
			if (wq_head == NULL)
				break;
			wq_mtx_unlock(&wq_lock);
			while (uk_run_one())
				n++;
			wq_mtx_lock(&wq_lock);
			continue;
		}
		if (wq_npending == 0 && wq_nrunning == 0)
			break;
		pthread_cond_wait(&wq_idle_cv, &wq_lock);
	}
	n += wq_nran;
	wq_nran = 0;
	wq_mtx_unlock(&wq_lock);
	return (n);
}

void
uk_host_wq_reset(void)
{

	if (wq_on_worker)
		uk_host_panic("uk_reset: called from a work item on a worker "
		    "thread");
	wq_mtx_lock(&wq_ctl_lock);
	wq_stop_workers();
	wq_mtx_unlock(&wq_ctl_lock);
	wq_mtx_lock(&wq_lock);
	wq_nran = 0;
	wq_mtx_unlock(&wq_lock);
}
