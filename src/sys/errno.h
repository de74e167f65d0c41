/*-
 * FreeBSD's errno values.  The kernel world returns these; the host-world
 * socket API translates them to the host's values at the boundary (see
 * docs/differences.md).  Host code must not include this header together
 * with <errno.h>; tests that need both use the KE_ names below.
 */
#ifndef _UK_SYS_ERRNO_H_
#define _UK_SYS_ERRNO_H_

#define	KE_EPERM		1
#define	KE_ENOENT		2
#define	KE_ESRCH		3
#define	KE_EINTR		4
#define	KE_EIO			5
#define	KE_ENXIO		6
#define	KE_E2BIG		7
#define	KE_EBADF		9
#define	KE_ENOMEM		12
#define	KE_EACCES		13
#define	KE_EFAULT		14
#define	KE_EBUSY		16
#define	KE_EEXIST		17
#define	KE_EINVAL		22
#define	KE_EMFILE		24
#define	KE_ENOTTY		25
#define	KE_EFBIG		27
#define	KE_ENOSPC		28
#define	KE_EPIPE		32
#define	KE_ERANGE		34
#define	KE_EAGAIN		35
#define	KE_EINPROGRESS		36
#define	KE_EALREADY		37
#define	KE_ENOTSOCK		38
#define	KE_EDESTADDRREQ		39
#define	KE_EMSGSIZE		40
#define	KE_EPROTOTYPE		41
#define	KE_ENOPROTOOPT		42
#define	KE_EPROTONOSUPPORT	43
#define	KE_EOPNOTSUPP		45
#define	KE_EAFNOSUPPORT		47
#define	KE_EADDRINUSE		48
#define	KE_EADDRNOTAVAIL	49
#define	KE_ENETDOWN		50
#define	KE_ENETUNREACH		51
#define	KE_ECONNABORTED		53
#define	KE_ECONNRESET		54
#define	KE_ENOBUFS		55
#define	KE_EISCONN		56
#define	KE_ENOTCONN		57
#define	KE_ESHUTDOWN		58
#define	KE_ETIMEDOUT		60
#define	KE_ECONNREFUSED		61
#define	KE_EHOSTUNREACH		65
#define	KE_EOVERFLOW		84
#define	KE_ECANCELED		85
#define	KE_EBADMSG		89
#define	KE_EPROTO		92

/* Kernel-internal pseudo errors. */
#define	KE_ERESTART		(-1)
#define	KE_EJUSTRETURN		(-2)

#ifndef _UK_HOST_SIDE
/* In the kernel world the FreeBSD names mean the FreeBSD values. */
#define	EPERM		KE_EPERM
#define	ENOENT		KE_ENOENT
#define	ESRCH		KE_ESRCH
#define	EINTR		KE_EINTR
#define	EIO		KE_EIO
#define	ENXIO		KE_ENXIO
#define	E2BIG		KE_E2BIG
#define	EBADF		KE_EBADF
#define	ENOMEM		KE_ENOMEM
#define	EACCES		KE_EACCES
#define	EFAULT		KE_EFAULT
#define	EBUSY		KE_EBUSY
#define	EEXIST		KE_EEXIST
#define	EINVAL		KE_EINVAL
#define	EMFILE		KE_EMFILE
#define	ENOTTY		KE_ENOTTY
#define	EFBIG		KE_EFBIG
#define	ENOSPC		KE_ENOSPC
#define	EPIPE		KE_EPIPE
#define	ERANGE		KE_ERANGE
#define	EAGAIN		KE_EAGAIN
#define	EWOULDBLOCK	KE_EAGAIN
#define	EINPROGRESS	KE_EINPROGRESS
#define	EALREADY	KE_EALREADY
#define	ENOTSOCK	KE_ENOTSOCK
#define	EDESTADDRREQ	KE_EDESTADDRREQ
#define	EMSGSIZE	KE_EMSGSIZE
#define	EPROTOTYPE	KE_EPROTOTYPE
#define	ENOPROTOOPT	KE_ENOPROTOOPT
#define	EPROTONOSUPPORT	KE_EPROTONOSUPPORT
#define	EOPNOTSUPP	KE_EOPNOTSUPP
#define	ENOTSUP		KE_EOPNOTSUPP
#define	EAFNOSUPPORT	KE_EAFNOSUPPORT
#define	EADDRINUSE	KE_EADDRINUSE
#define	EADDRNOTAVAIL	KE_EADDRNOTAVAIL
#define	ENETDOWN	KE_ENETDOWN
#define	ENETUNREACH	KE_ENETUNREACH
#define	ECONNABORTED	KE_ECONNABORTED
#define	ECONNRESET	KE_ECONNRESET
#define	ENOBUFS		KE_ENOBUFS
#define	EISCONN		KE_EISCONN
#define	ENOTCONN	KE_ENOTCONN
#define	ESHUTDOWN	KE_ESHUTDOWN
#define	ETIMEDOUT	KE_ETIMEDOUT
#define	ECONNREFUSED	KE_ECONNREFUSED
#define	EHOSTUNREACH	KE_EHOSTUNREACH
#define	EOVERFLOW	KE_EOVERFLOW
#define	ECANCELED	KE_ECANCELED
#define	EBADMSG		KE_EBADMSG
#define	EPROTO		KE_EPROTO
#define	ERESTART	KE_ERESTART
#define	EJUSTRETURN	KE_EJUSTRETURN
#endif

#endif /* !_UK_SYS_ERRNO_H_ */
