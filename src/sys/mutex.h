/*-
 * mutex(9) and condvar(9) on the host's locks.
 */
#ifndef _UK_SYS_MUTEX_H_
#define _UK_SYS_MUTEX_H_

#include "sys/types.h"
#include "sys/khost.h"

struct mtx {
	struct khost_mtx	*mtx_host;
	const char		*mtx_name;
};

struct cv {
	struct khost_cv		*cv_host;
	const char		*cv_name;
};

#define	MTX_DEF		0x0000

#define	MA_OWNED	0x01
#define	MA_NOTOWNED	0x02

void	mtx_init(struct mtx *m, const char *name, const char *type, int opts);
void	mtx_destroy(struct mtx *m);
void	mtx_lock(struct mtx *m);
void	mtx_unlock(struct mtx *m);
int	mtx_owned(struct mtx *m);

#ifdef INVARIANTS
#define	mtx_assert(m, what) do {					\
	if ((what) == MA_OWNED)						\
		KASSERT(mtx_owned(m), ("mutex %s not owned at %s:%d",	\
		    (m)->mtx_name, __FILE__, __LINE__));		\
	else								\
		KASSERT(!mtx_owned(m), ("mutex %s owned at %s:%d",	\
		    (m)->mtx_name, __FILE__, __LINE__));		\
} while (0)
#else
#define	mtx_assert(m, what) do {					\
} while (0)
#endif

void	cv_init(struct cv *cv, const char *desc);
void	cv_destroy(struct cv *cv);
void	cv_wait(struct cv *cv, struct mtx *m);
void	cv_signal(struct cv *cv);
void	cv_broadcast(struct cv *cv);

#endif /* !_UK_SYS_MUTEX_H_ */
