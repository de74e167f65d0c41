/*
 * Host-world internals shared by src/host, src/crypto and src/tools.
 * Not part of the public API (include/uktls) and never seen by the kernel
 * world, which talks to the host only through sys/khost.h.
 */
#ifndef UK_HOST_H
#define UK_HOST_H

#include "sys/khost.h"

/* FreeBSD errno value (kernel world) to the host's errno value. */
int	uk_errno_host(int kerrno);
/* The host's errno value to FreeBSD's (0 when there is no equivalent). */
int	uk_errno_kern(int herrno);

#endif /* UK_HOST_H */
