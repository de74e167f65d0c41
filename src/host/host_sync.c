/*
 * Locks for the kernel world: mutex(9) and condvar(9) on pthreads.
 *
 * mtx_assert(MA_OWNED) needs to know who holds a mutex, which pthreads
 * does not say, so each mutex records its owner.  The owner is the
 * address of a thread-local byte: unique among live threads, and a plain
 * integer that can be stored atomically (a reader on another thread only
 * ever compares it with its own, so it never sees a torn value).  The
 * mutexes are PTHREAD_MUTEX_ERRORCHECK: recursion and unlocking a mutex
 * one does not hold are reported by pthreads at no extra cost, and panic.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

struct khost_mtx {
	pthread_mutex_t		 m_mtx;
	_Atomic uintptr_t	 m_owner;	/* 0 when unowned */
	const char		*m_name;
};

struct khost_cv {
	pthread_cond_t		 c_cv;
	const char		*c_name;
};

static _Thread_local char sync_self_byte;

static uintptr_t
sync_self(void)
{

	return ((uintptr_t)&sync_self_byte);
}

static const char *
sync_name(const char *name)
{

	return (name != NULL ? name : "(unnamed)");
}

struct khost_mtx *
khost_mtx_create(const char *name)
{
	pthread_mutexattr_t attr;
	struct khost_mtx *m;
	int error;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		uk_host_panic("mtx_init %s: out of memory", sync_name(name));
	m->m_name = name;
	atomic_init(&m->m_owner, 0);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	error = pthread_mutex_init(&m->m_mtx, &attr);
	pthread_mutexattr_destroy(&attr);
	if (error != 0)
		uk_host_panic("mtx_init %s: %s", sync_name(name),
		    strerror(error));
	return (m);
}

void
khost_mtx_destroy(struct khost_mtx *m)
{
	int error;

	if (m == NULL)
		return;
	if (atomic_load(&m->m_owner) != 0)
		uk_host_panic("mtx_destroy: mutex %s is held",
		    sync_name(m->m_name));
	error = pthread_mutex_destroy(&m->m_mtx);
	if (error != 0)
		uk_host_panic("mtx_destroy %s: %s", sync_name(m->m_name),
		    strerror(error));
	free(m);
}

void
khost_mtx_lock(struct khost_mtx *m)
{
	int error;

	error = pthread_mutex_lock(&m->m_mtx);
	if (error == EDEADLK)
		uk_host_panic("mtx_lock: recursed on non-recursive mutex %s",
		    sync_name(m->m_name));
	if (error != 0)
		uk_host_panic("mtx_lock %s: %s", sync_name(m->m_name),
		    strerror(error));
	atomic_store(&m->m_owner, sync_self());
}

void
khost_mtx_unlock(struct khost_mtx *m)
{
	int error;

	if (atomic_load(&m->m_owner) != sync_self())
		uk_host_panic("mtx_unlock: mutex %s not owned",
		    sync_name(m->m_name));
	atomic_store(&m->m_owner, 0);
	error = pthread_mutex_unlock(&m->m_mtx);
	if (error != 0)
		uk_host_panic("mtx_unlock %s: %s", sync_name(m->m_name),
		    strerror(error));
}

int
khost_mtx_owned(struct khost_mtx *m)
{

	return (atomic_load(&m->m_owner) == sync_self());
}

struct khost_cv *
khost_cv_create(const char *name)
{
	struct khost_cv *cv;
	int error;

	cv = calloc(1, sizeof(*cv));
	if (cv == NULL)
		uk_host_panic("cv_init %s: out of memory", sync_name(name));
	cv->c_name = name;
	error = pthread_cond_init(&cv->c_cv, NULL);
	if (error != 0)
		uk_host_panic("cv_init %s: %s", sync_name(name),
		    strerror(error));
	return (cv);
}

void
khost_cv_destroy(struct khost_cv *cv)
{
	int error;

	if (cv == NULL)
		return;
	error = pthread_cond_destroy(&cv->c_cv);
	if (error != 0)
		uk_host_panic("cv_destroy %s: %s", sync_name(cv->c_name),
		    strerror(error));
	free(cv);
}

void
khost_cv_wait(struct khost_cv *cv, struct khost_mtx *m)
{
	int error;

	if (atomic_load(&m->m_owner) != sync_self())
		uk_host_panic("cv_wait %s: mutex %s not owned",
		    sync_name(cv->c_name), sync_name(m->m_name));
	/* The mutex is released while we sleep: nobody owns it then. */
	atomic_store(&m->m_owner, 0);
	error = pthread_cond_wait(&cv->c_cv, &m->m_mtx);
	if (error != 0)
		uk_host_panic("cv_wait %s: %s", sync_name(cv->c_name),
		    strerror(error));
	atomic_store(&m->m_owner, sync_self());
}

void
khost_cv_signal(struct khost_cv *cv)
{

	pthread_cond_signal(&cv->c_cv);
}

void
khost_cv_broadcast(struct khost_cv *cv)
{

	pthread_cond_broadcast(&cv->c_cv);
}
