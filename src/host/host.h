/*
 * Host-world internals shared by src/host, src/crypto and src/tools.
 * Not part of the public API (include/uktls) and never seen by the kernel
 * world, which talks to the host only through sys/khost.h.
 */
#ifndef UK_HOST_H
#define UK_HOST_H

#include <stdint.h>

#include "sys/khost.h"

/* FreeBSD errno value (kernel world) to the host's errno value. */
int	uk_errno_host(int kerrno);
/* The host's errno value to FreeBSD's (0 when there is no equivalent). */
int	uk_errno_kern(int herrno);

/*
 * The failure hook shared by every KH_NOWAIT allocator (khost_malloc,
 * khost_page_alloc): counts one M_NOWAIT allocation and says whether it
 * must fail (uk_fail_nth_alloc()).
 */
int	uk_host_nowait_fails(void);

/* Host-side panic and log, with the same output as the kernel's. */
void	uk_host_panic(const char *fmt, ...)
	    __attribute__((__noreturn__, __format__(__printf__, 1, 2)));
void	uk_host_log(int level, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 2, 3)));

/* The epoch uk_reset() sets the clock to: 2026-01-01T00:00:00Z. */
#define	UK_CLOCK_EPOCH_NS	(1767225600ULL * 1000000000ULL)

/* Pieces of uk_reset(), one per module. */
void	uk_host_mem_reset(void);
void	uk_host_clock_reset(void);
void	uk_host_counter_reset_totals(void);
void	uk_host_wq_reset(void);
void	uk_host_net_reset(void);

#endif /* UK_HOST_H */
