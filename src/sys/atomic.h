/*-
 * atomic(9) subset on the compiler's __atomic builtins.
 */
#ifndef _UK_SYS_ATOMIC_H_
#define _UK_SYS_ATOMIC_H_

#include "sys/types.h"

#define	atomic_add_int(p, v)	__atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define	atomic_subtract_int(p, v)					\
	__atomic_fetch_sub((p), (v), __ATOMIC_SEQ_CST)
#define	atomic_fetchadd_int(p, v)					\
	__atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define	atomic_add_64(p, v)	__atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define	atomic_subtract_64(p, v)					\
	__atomic_fetch_sub((p), (v), __ATOMIC_SEQ_CST)
#define	atomic_fetchadd_64(p, v)					\
	__atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define	atomic_load_int(p)	__atomic_load_n((p), __ATOMIC_SEQ_CST)
#define	atomic_load_64(p)	__atomic_load_n((p), __ATOMIC_SEQ_CST)
#define	atomic_store_int(p, v)	__atomic_store_n((p), (v), __ATOMIC_SEQ_CST)

/* Returns true when this call dropped the last reference. */
static inline bool
refcount_release(volatile u_int *count)
{

	return (__atomic_sub_fetch(count, 1, __ATOMIC_ACQ_REL) == 0);
}

static inline void
refcount_acquire(volatile u_int *count)
{

	__atomic_add_fetch(count, 1, __ATOMIC_ACQ_REL);
}

static inline void
refcount_init(volatile u_int *count, u_int v)
{

	__atomic_store_n(count, v, __ATOMIC_RELEASE);
}

#endif /* !_UK_SYS_ATOMIC_H_ */
