/*-
 * panic(9) and log(9): formatting is the host's job.
 */
#include "sys/types.h"
#include "sys/systm.h"

void
panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	khost_vpanic(fmt, ap);
	/* NOTREACHED */
}

void
klog(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	khost_vlog(level, fmt, ap);
	va_end(ap);
}
