/*-
 * The socket system calls, kernel side (FreeBSD's uipc_syscalls.c and
 * sys_socket.c): descriptor in, socket operation, FreeBSD errno out.
 * The host's uk_* functions call these after translating their
 * arguments (src/host/uk_socket.c).
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/mbuf.h"
#include "sys/uio.h"
#include "sys/socket.h"
#include "sys/sockbuf.h"
#include "sys/socketvar.h"
#include "sys/sockopt.h"
#include "sys/ktls.h"
#include "sys/domain.h"
#include "sys/syscallsubr.h"
#include "netinet/ip.h"
#include "dev/ktls_nic.h"

extern u_int so_sendspace, so_recvspace;
extern int sendfile_reverse_io, sendfile_io_mbufs;

int
kern_socket(int domain, int type, int protocol, int *fdp)
{
	struct socket *so;
	int error;

	error = socreate(domain, &so, type, protocol);
	if (error != 0)
		return (error);
	error = falloc_socket(so, fdp);
	if (error != 0)
		(void)soclose(so);
	return (error);
}

int
kern_close(int fd)
{
	struct socket *so;
	int error;

	error = fdclose_socket(fd, &so);
	if (error != 0)
		return (error);
	return (soclose(so));
}

int
kern_listen(int fd, int backlog)
{
	struct socket *so;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	/* uktls: a sink never used becomes a TCP endpoint (sys/domain.h). */
	(void)tcp_sink_promote(so);
	error = solisten(so, backlog);
	sorele(so);
	return (error);
}

static int
sendit(int fd, struct sockaddr *to, struct uio *uio, struct mbuf *control,
    int flags, kssize_t *sent)
{
	struct socket *so;
	kssize_t len;
	int error;

	*sent = 0;
	error = fget_socket(fd, &so);
	if (error != 0) {
		m_freem(control);
		return (error);
	}
	/* uktls: a sink never used becomes a TCP endpoint (sys/domain.h). */
	if (to != NULL)
		(void)tcp_sink_promote(so);
	len = uio->uio_resid;
	error = sosend(so, to, uio, NULL, control, flags);
	/*
	 * sousrsend(): a stream send that made progress before it had to
	 * stop reports the progress, not the error.
	 */
	if (error != 0 && uio->uio_resid != len &&
	    (error == ERESTART || error == EINTR || error == EWOULDBLOCK))
		error = 0;
	*sent = len - uio->uio_resid;
	sorele(so);
	return (error);
}

int
kern_sendit(int fd, struct uio *uio, struct mbuf *control, int flags,
    kssize_t *sent)
{

	return (sendit(fd, NULL, uio, control, flags, sent));
}

int
kern_sendto(int fd, uint32_t addr, uint16_t port, struct uio *uio,
    struct mbuf *control, int flags, kssize_t *sent)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_len = sizeof(sin);
	sin.sin_family = AF_INET;
	sin.sin_port = port;
	sin.sin_addr.s_addr = addr;
	return (sendit(fd, (struct sockaddr *)&sin, uio, control, flags,
	    sent));
}

int
kern_recvit(int fd, struct uio *uio, struct mbuf **controlp, int *flagsp,
    kssize_t *got)
{
	struct socket *so;
	kssize_t len;
	int error;

	*got = 0;
	if (controlp != NULL)
		*controlp = NULL;
	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	len = uio->uio_resid;
	error = soreceive(so, uio, controlp, flagsp);
	/* As kern_recvit(): progress before a wait ended reports progress. */
	if (error != 0 && uio->uio_resid != len &&
	    (error == ERESTART || error == EINTR || error == EWOULDBLOCK))
		error = 0;
	*got = len - uio->uio_resid;
	if (error != 0 && controlp != NULL) {
		m_freem(*controlp);
		*controlp = NULL;
	}
	sorele(so);
	return (error);
}

int
kern_shutdown(int fd, int how)
{
	struct socket *so;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	error = soshutdown(so, how);
	sorele(so);
	return (error);
}

int
kern_setsockopt(int fd, int level, int name, void *val, size_t valsize)
{
	struct sockopt sopt;
	struct socket *so;
	int error;

	if (val == NULL && valsize != 0)
		return (EFAULT);
	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	sopt.sopt_dir = SOPT_SET;
	sopt.sopt_level = level;
	sopt.sopt_name = name;
	sopt.sopt_val = val;
	sopt.sopt_valsize = valsize;
	error = sosetopt(so, &sopt);
	sorele(so);
	return (error);
}

int
kern_getsockopt(int fd, int level, int name, void *val, size_t *valsize)
{
	struct sockopt sopt;
	struct socket *so;
	int error;

	if (val == NULL)
		*valsize = 0;
	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	sopt.sopt_dir = SOPT_GET;
	sopt.sopt_level = level;
	sopt.sopt_name = name;
	sopt.sopt_val = val;
	sopt.sopt_valsize = *valsize;
	error = sogetopt(so, &sopt);
	if (error == 0)
		*valsize = sopt.sopt_valsize;
	sorele(so);
	return (error);
}

int
kern_fionbio(int fd, int set, int *onp)
{
	struct socket *so;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	SOCK_LOCK(so);
	if (set >= 0) {
		if (set)
			so->so_state |= SS_NBIO;
		else
			so->so_state &= ~SS_NBIO;
	}
	if (onp != NULL)
		*onp = (so->so_state & SS_NBIO) != 0;
	SOCK_UNLOCK(so);
	sorele(so);
	return (0);
}

/* ---- integer tunables ------------------------------------------------- */

static const struct {
	const char	*name;
	int		*ptr;
} kern_tunables[] = {
	{ "kern.ipc.tls.enable", &ktls_enable },
	{ "kern.ipc.tls.cbc_enable", &ktls_cbc_enable },
	{ "kern.ipc.tls.ifnet.permitted", &ktls_ifnet_permitted },
	/* uktls: lo0's TLS transmit offload (ifconfig lo0 txtls). */
	{ "net.link.lo.txtls", &ktls_nic_txtls },
	/* uktls: complete a sendfile call's simulated I/O in reverse. */
	{ "kern.ipc.sendfile.reverse_io", &sendfile_reverse_io },
	/* uktls: mbufs per simulated sendfile I/O (0: one per fill). */
	{ "kern.ipc.sendfile.io_mbufs", &sendfile_io_mbufs },
	{ "net.inet.tcp.sendspace", (int *)&so_sendspace },
	{ "net.inet.tcp.recvspace", (int *)&so_recvspace },
};

static bool
kstreq(const char *a, const char *b)
{

	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (*a == *b);
}

int
kern_sysctl_int(const char *name, int *oldp, const int *newp)
{
	size_t i;

	for (i = 0; i < nitems(kern_tunables); i++) {
		if (!kstreq(name, kern_tunables[i].name))
			continue;
		if (oldp != NULL)
			*oldp = __atomic_load_n(kern_tunables[i].ptr,
			    __ATOMIC_SEQ_CST);
		if (newp != NULL)
			__atomic_store_n(kern_tunables[i].ptr, *newp,
			    __ATOMIC_SEQ_CST);
		return (0);
	}
	return (ENOENT);
}
