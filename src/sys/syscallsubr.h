/*-
 * The kernel side of the socket system calls (sys/syscallsubr.h): what
 * the host's POSIX-shaped API (src/host/uk_socket.c) calls once it has
 * translated its arguments.  Every function returns 0 or a FreeBSD errno
 * value; the host turns that into -1 and its own errno.
 *
 * Included by both worlds: plain types only.
 */
#ifndef _UK_SYS_SYSCALLSUBR_H_
#define _UK_SYS_SYSCALLSUBR_H_

#include "sys/types.h"

struct mbuf;
struct socket;
struct uio;

/* Descriptors (kern_descrip.c). */
int	falloc_socket(struct socket *so, int *fdp);
int	fget_socket(int fd, struct socket **sop);
int	fdclose_socket(int fd, struct socket **sop);

/* Sockets (uipc_syscalls.c). */
int	kern_socket(int domain, int type, int protocol, int *fdp);
int	kern_close(int fd);
int	kern_listen(int fd, int backlog);
/*
 * sendmsg(2) on a connected socket: data from uio, optional control
 * mbufs (consumed in all cases).  *sent is the byte count even when an
 * error is returned.  A blocking send that made progress and then could
 * not go on returns 0 with a short count, as FreeBSD's sousrsend().
 */
int	kern_sendit(int fd, struct uio *uio, struct mbuf *control, int flags,
	    kssize_t *sent);
/*
 * sendto(2): kern_sendit() with a destination (IPv4, network order).  A
 * socket never used becomes a TCP endpoint first, as for bind(2); TCP
 * checks the destination only while not connected (tcp_usr_send()).
 */
int	kern_sendto(int fd, uint32_t addr, uint16_t port, struct uio *uio,
	    struct mbuf *control, int flags, kssize_t *sent);
/*
 * recvmsg(2): at most one KTLS record per call.  *flagsp: MSG_* in
 * (MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT, MSG_TLSAPPDATA), MSG_EOR out.
 * *controlp (if not NULL) gets the control mbufs for the caller to free.
 * *got is the byte count; a wait that ended after progress is not an
 * error.
 */
int	kern_recvit(int fd, struct uio *uio, struct mbuf **controlp,
	    int *flagsp, kssize_t *got);
/* shutdown(2): SHUT_RD, SHUT_WR or SHUT_RDWR (KSHUT_* in sys/socket.h). */
int	kern_shutdown(int fd, int how);
int	kern_setsockopt(int fd, int level, int name, void *val,
	    size_t valsize);
int	kern_getsockopt(int fd, int level, int name, void *val,
	    size_t *valsize);
/* FIONBIO: set or clear non-blocking mode; *onp in, or out if set < 0. */
int	kern_fionbio(int fd, int set, int *onp);

/*
 * sendfile(2) of nbytes (0: to the end) of page-cache file fd from
 * offset, on socket s, with optional headers sent before and trailers
 * after (kern_sendfile.c).  *sbytes is what was queued, also on error.
 */
int	kern_sendfile(int fd, int s, struct uio *hdr_uio, struct uio *trl_uio,
	    kern_off_t offset, size_t nbytes, kern_off_t *sbytes, int flags);

/*
 * sysctlbyname() for the integer tunables (kern.ipc.tls.enable, ...):
 * *oldp gets the old value if oldp is not NULL, then *newp is set if newp
 * is not NULL.  ENOENT for an unknown name.
 */
int	kern_sysctl_int(const char *name, int *oldp, const int *newp);

#endif /* !_UK_SYS_SYSCALLSUBR_H_ */
