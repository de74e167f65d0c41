/*-
 * Kernel-world constants and helper macros (sys/param.h).
 */
#ifndef _UK_SYS_PARAM_H_
#define _UK_SYS_PARAM_H_

#include "sys/types.h"

#define	PAGE_SHIFT	12
#define	PAGE_SIZE	(1 << PAGE_SHIFT)
#define	PAGE_MASK	(PAGE_SIZE - 1)

#define	MSIZE		256		/* size of an mbuf */
#define	MCLSHIFT	11
#define	MCLBYTES	(1 << MCLSHIFT)	/* size of a cluster */

#ifndef MIN
#define	MIN(a, b)	(((a) < (b)) ? (a) : (b))
#endif
#ifndef MAX
#define	MAX(a, b)	(((a) > (b)) ? (a) : (b))
#endif
#ifndef howmany
#define	howmany(x, y)	(((x) + ((y) - 1)) / (y))
#endif
#ifndef roundup
#define	roundup(x, y)	((((x) + ((y) - 1)) / (y)) * (y))
#endif
#ifndef rounddown
#define	rounddown(x, y)	(((x) / (y)) * (y))
#endif
#ifndef nitems
#define	nitems(x)	(sizeof((x)) / sizeof((x)[0]))
#endif

#define	trunc_page(x)	((x) & ~(vm_offset_t)PAGE_MASK)
#define	round_page(x)	(((x) + PAGE_MASK) & ~(vm_offset_t)PAGE_MASK)

#endif /* !_UK_SYS_PARAM_H_ */
