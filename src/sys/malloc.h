/*-
 * malloc(9) for the kernel world.
 *
 * The names carry a k prefix (kmalloc, kfree) because malloc and free are
 * libc's in the same process.  Each allocation names a malloc type whose
 * live count tests can read, so a leaked KTLS session shows up by name.
 */
#ifndef _UK_SYS_MALLOC_H_
#define _UK_SYS_MALLOC_H_

#include "sys/types.h"

#define	M_NOWAIT	0x0001	/* may fail, returns NULL */
#define	M_WAITOK	0x0002	/* never fails */
#define	M_ZERO		0x0100	/* zero the allocation */

struct malloc_type {
	const char	*ks_shortdesc;
	volatile int64_t ks_live;	/* allocations not yet freed */
	volatile int64_t ks_total;	/* allocations ever made */
};

#define	MALLOC_DEFINE(type, shortdesc, longdesc)			\
	struct malloc_type type[1] = { { .ks_shortdesc = (shortdesc) } }
#define	MALLOC_DECLARE(type)						\
	extern struct malloc_type type[1]

MALLOC_DECLARE(M_TEMP);
MALLOC_DECLARE(M_DEVBUF);

void	*kmalloc(size_t size, struct malloc_type *type, int flags);
void	 kfree(void *addr, struct malloc_type *type);

#endif /* !_UK_SYS_MALLOC_H_ */
