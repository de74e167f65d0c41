/*-
 * mutex(9) and condvar(9) on the host's locks.
 */
#include "sys/types.h"
#include "sys/systm.h"
#include "sys/mutex.h"

void
mtx_init(struct mtx *m, const char *name, const char *type __unused,
    int opts __unused)
{

	m->mtx_name = name;
	m->mtx_host = khost_mtx_create(name);
}

void
mtx_destroy(struct mtx *m)
{

	khost_mtx_destroy(m->mtx_host);
	m->mtx_host = NULL;
}

void
mtx_lock(struct mtx *m)
{

	khost_mtx_lock(m->mtx_host);
}

void
mtx_unlock(struct mtx *m)
{

	khost_mtx_unlock(m->mtx_host);
}

int
mtx_owned(struct mtx *m)
{

	return (khost_mtx_owned(m->mtx_host));
}

void
cv_init(struct cv *cv, const char *desc)
{

	cv->cv_name = desc;
	cv->cv_host = khost_cv_create(desc);
}

void
cv_destroy(struct cv *cv)
{

	khost_cv_destroy(cv->cv_host);
	cv->cv_host = NULL;
}

void
cv_wait(struct cv *cv, struct mtx *m)
{

	khost_cv_wait(cv->cv_host, m->mtx_host);
}

void
cv_signal(struct cv *cv)
{

	khost_cv_signal(cv->cv_host);
}

void
cv_broadcast(struct cv *cv)
{

	khost_cv_broadcast(cv->cv_host);
}
