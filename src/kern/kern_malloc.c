/*-
 * malloc(9) on the host allocator, with a live count per malloc type.
 */
#include "sys/types.h"
#include "sys/systm.h"
#include "sys/atomic.h"
#include "sys/malloc.h"

MALLOC_DEFINE(M_TEMP, "temp", "misc temporary data buffers");
MALLOC_DEFINE(M_DEVBUF, "devbuf", "device driver memory");

void *
kmalloc(size_t size, struct malloc_type *type, int flags)
{
	void *p;
	int hflags;

	KASSERT((flags & (M_WAITOK | M_NOWAIT)) != 0 &&
	    (flags & (M_WAITOK | M_NOWAIT)) != (M_WAITOK | M_NOWAIT),
	    ("%s: exactly one of M_WAITOK, M_NOWAIT", __func__));
	hflags = 0;
	if ((flags & M_NOWAIT) != 0)
		hflags |= KH_NOWAIT;
	if ((flags & M_ZERO) != 0)
		hflags |= KH_ZERO;
	p = khost_malloc(size, hflags);
	if (p == NULL)
		return (NULL);
	atomic_add_64(&type->ks_live, 1);
	atomic_add_64(&type->ks_total, 1);
	return (p);
}

void
kfree(void *addr, struct malloc_type *type)
{

	if (addr == NULL)
		return;
	KASSERT(atomic_load_64(&type->ks_live) > 0,
	    ("%s: free of %s with none live", __func__, type->ks_shortdesc));
	atomic_subtract_64(&type->ks_live, 1);
	khost_free(addr);
}
