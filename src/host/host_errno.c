/*
 * errno translation at the boundary between the worlds.  The kernel world
 * returns FreeBSD's values (EMSGSIZE is 40 there, 90 on Linux); the socket
 * API hands the host's values to applications so that errno == EMSGSIZE
 * and strerror() work as they would on FreeBSD.
 */
#include <errno.h>
#include <stddef.h>

#include "host.h"

static const struct {
	int	kern;
	int	host;
} errmap[] = {
	{ 1, EPERM }, { 2, ENOENT }, { 3, ESRCH }, { 4, EINTR },
	{ 5, EIO }, { 6, ENXIO }, { 7, E2BIG }, { 9, EBADF },
	{ 12, ENOMEM }, { 13, EACCES }, { 14, EFAULT }, { 16, EBUSY },
	{ 17, EEXIST }, { 22, EINVAL }, { 24, EMFILE }, { 25, ENOTTY },
	{ 27, EFBIG },
	{ 28, ENOSPC }, { 32, EPIPE }, { 34, ERANGE }, { 35, EAGAIN },
	{ 36, EINPROGRESS }, { 37, EALREADY }, { 38, ENOTSOCK },
	{ 39, EDESTADDRREQ }, { 40, EMSGSIZE }, { 41, EPROTOTYPE },
	{ 42, ENOPROTOOPT }, { 43, EPROTONOSUPPORT }, { 45, EOPNOTSUPP },
	{ 47, EAFNOSUPPORT }, { 48, EADDRINUSE }, { 49, EADDRNOTAVAIL },
	{ 50, ENETDOWN }, { 51, ENETUNREACH }, { 53, ECONNABORTED },
	{ 54, ECONNRESET }, { 55, ENOBUFS }, { 56, EISCONN },
	{ 57, ENOTCONN }, { 58, ESHUTDOWN }, { 60, ETIMEDOUT },
	{ 61, ECONNREFUSED }, { 65, EHOSTUNREACH }, { 84, EOVERFLOW },
	{ 85, ECANCELED }, { 89, EBADMSG }, { 92, EPROTO },
};

int
uk_errno_host(int kerrno)
{
	size_t i;

	if (kerrno == 0)
		return (0);
	for (i = 0; i < sizeof(errmap) / sizeof(errmap[0]); i++)
		if (errmap[i].kern == kerrno)
			return (errmap[i].host);
	return (EIO);
}

int
uk_errno_kern(int herrno)
{
	size_t i;

	for (i = 0; i < sizeof(errmap) / sizeof(errmap[0]); i++)
		if (errmap[i].host == herrno)
			return (errmap[i].kern);
	return (0);
}
