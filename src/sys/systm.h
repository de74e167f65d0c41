/*-
 * Kernel-world basics (sys/systm.h): assertions, panic, logging and the
 * few libkern string functions the kernel uses.
 *
 * memcpy/memset/memmove/memcmp are the only C library symbols the kernel
 * world may reference: the compiler may emit calls to them even in
 * freestanding code, and libkern provides them in FreeBSD.  Copies of
 * payload bytes are counted separately (see m_copydata() and friends).
 */
#ifndef _UK_SYS_SYSTM_H_
#define _UK_SYS_SYSTM_H_

#include "sys/types.h"
#include "sys/khost.h"

void	*memcpy(void *restrict, const void *restrict, size_t);
void	*memmove(void *, const void *, size_t);
void	*memset(void *, int, size_t);
int	 memcmp(const void *, const void *, size_t);

#define	bcopy(src, dst, len)	memmove((dst), (src), (len))
#define	bzero(p, len)		memset((p), 0, (len))
#define	bcmp(a, b, len)		memcmp((a), (b), (len))

/* Scrub key material; the volatile pointer keeps the stores. */
static inline void
explicit_bzero(void *p, size_t len)
{
	volatile unsigned char *vp = p;

	while (len-- > 0)
		*vp++ = 0;
}

void	panic(const char *fmt, ...)
	    __attribute__((__noreturn__, __format__(__printf__, 1, 2)));
void	klog(int level, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 2, 3)));

#define	LOG_ERR		KH_LOG_ERR
#define	LOG_WARNING	KH_LOG_WARNING
#define	LOG_INFO	KH_LOG_INFO
#define	LOG_DEBUG	KH_LOG_DEBUG

#ifdef INVARIANTS
#define	KASSERT(exp, msg) do {						\
	if (__builtin_expect(!(exp), 0))				\
		panic msg;						\
} while (0)
#else
#define	KASSERT(exp, msg) do {						\
} while (0)
#endif

#define	MPASS(ex)	KASSERT((ex), ("Assertion %s failed at %s:%d",	\
			    #ex, __FILE__, __LINE__))

#define	CTASSERT(x)	_Static_assert((x), #x)

#define	__predict_true(exp)	__builtin_expect((exp), 1)
#define	__predict_false(exp)	__builtin_expect((exp), 0)
#define	__unused		__attribute__((__unused__))
#define	__packed		__attribute__((__packed__))
#define	__aligned(x)		__attribute__((__aligned__(x)))
#define	__containerof(p, type, field)					\
	((type *)((char *)(p) - offsetof(type, field)))

#endif /* !_UK_SYS_SYSTM_H_ */
