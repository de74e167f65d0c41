/*-
 * Connection state of sockets and the network system calls (FreeBSD's
 * uipc_socket2.c soisconnecting() and friends, and the kern_bind(),
 * kern_connectat(), kern_accept4(), kern_getsockname() and kern_poll()
 * parts of uipc_syscalls.c and sys_generic.c) for the TCP shim.
 *
 * Waiting.  connect, accept and poll wait for the network.  In the
 * deterministic mode (no worker threads) the caller drives it,
 * net_step() by net_step(), and gives up with EWOULDBLOCK (connect:
 * EINPROGRESS, poll: a timeout) when nothing can move any more.  With
 * worker threads it sleeps until net_progress() changes: every TCP event
 * that could end such a wait (a state change, a connection queued for
 * accept, data or an ACK) bumps it.  A poller of a KTLS receive socket
 * whose records are being decrypted sleeps on that socket instead, as
 * the decryption worker wakes only the socket's readers.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/malloc.h"
#include "sys/mutex.h"
#include "sys/callout.h"
#include "sys/mbuf.h"
#include "sys/socket.h"
#include "sys/sockbuf.h"
#include "sys/socketvar.h"
#include "sys/domain.h"
#include "sys/syscallsubr.h"
#include "sys/netsubr.h"
#include "netinet/ip.h"
#include "netinet/tcp_var.h"

MALLOC_DEFINE(M_POLL, "poll", "poll(2) descriptors");

#define	POLL_MAXFDS	1024

/* ---- connection state -------------------------------------------------- */

static void
sowakeup_both(struct socket *so)
{

	SOCK_RECVBUF_LOCK(so);
	sorwakeup_locked(so);
	SOCK_RECVBUF_UNLOCK(so);
	SOCK_SENDBUF_LOCK(so);
	sowwakeup_locked(so);
	SOCK_SENDBUF_UNLOCK(so);
}

void
soisconnecting(struct socket *so)
{

	SOCK_LOCK(so);
	so->so_state &= ~(SS_ISCONNECTED | SS_ISDISCONNECTING);
	so->so_state |= SS_ISCONNECTING;
	SOCK_UNLOCK(so);
}

void
soisconnected(struct socket *so)
{

	SOCK_LOCK(so);
	so->so_state &= ~(SS_ISCONNECTING | SS_ISDISCONNECTING);
	so->so_state |= SS_ISCONNECTED;
	SOCK_UNLOCK(so);
	sowakeup_both(so);
}

void
socantsendmore(struct socket *so)
{

	SOCK_SENDBUF_LOCK(so);
	so->so_snd.sb_state |= SBS_CANTSENDMORE;
	sowwakeup_locked(so);
	SOCK_SENDBUF_UNLOCK(so);
}

/* The descriptor is gone and the connection is closing. */
void
soisdisconnecting(struct socket *so)
{

	SOCK_LOCK(so);
	so->so_state &= ~SS_ISCONNECTING;
	so->so_state |= SS_ISDISCONNECTING;
	SOCK_UNLOCK(so);
	socantrcvmore(so);
	socantsendmore(so);
}

int
sobind(struct socket *so, struct sockaddr *nam)
{
	int error;

	error = tcp_sink_promote(so);
	if (error != 0)
		return (error == EISCONN ? EINVAL : error);
	if (so->so_proto->pr_bind == NULL)
		return (EOPNOTSUPP);
	return (so->so_proto->pr_bind(so, nam));
}

int
soconnect(struct socket *so, struct sockaddr *nam)
{
	int error;

	if (SOLISTENING(so))
		return (EOPNOTSUPP);
	error = tcp_sink_promote(so);
	if (error != 0)
		return (error);
	if (so->so_proto->pr_connect == NULL)
		return (EOPNOTSUPP);
	return (so->so_proto->pr_connect(so, nam));
}

/* ---- system calls (sys/netsubr.h) -------------------------------------- */

static void
sin_fill(struct sockaddr_in *sin, uint32_t addr, uint16_t port)
{

	memset(sin, 0, sizeof(*sin));
	sin->sin_len = sizeof(*sin);
	sin->sin_family = AF_INET;
	sin->sin_port = port;
	sin->sin_addr.s_addr = addr;
}

int
kern_bind(int fd, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin;
	struct socket *so;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	sin_fill(&sin, addr, port);
	error = sobind(so, (struct sockaddr *)&sin);
	sorele(so);
	return (error);
}

static int
so_state(struct socket *so)
{
	int state;

	SOCK_LOCK(so);
	state = so->so_state;
	SOCK_UNLOCK(so);
	return (state);
}

static int
so_error_take(struct socket *so)
{
	int error;

	SOCK_SENDBUF_LOCK(so);
	error = so->so_error;
	so->so_error = 0;
	SOCK_SENDBUF_UNLOCK(so);
	return (error);
}

/*
 * connect(2): start the handshake; a blocking socket waits for its end.
 * EINPROGRESS when non-blocking, or when nothing could finish it in the
 * deterministic mode (the handshake goes on).  The error of a failed
 * handshake (ECONNREFUSED, ETIMEDOUT) is returned and consumed.
 */
int
kern_connect(int fd, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin;
	struct socket *so;
	uint64_t seen;
	int error, state;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	sin_fill(&sin, addr, port);
	error = soconnect(so, (struct sockaddr *)&sin);
	if (error != 0)
		goto out;
	if ((so_state(so) & SS_NBIO) != 0) {
		error = EINPROGRESS;
		goto out;
	}
	for (;;) {
		seen = net_progress();
		state = so_state(so);
		if ((state & SS_ISCONNECTING) == 0)
			break;
		if (khost_workers() == 0) {
			if (net_step() != 0) {
				error = EINPROGRESS;
				goto out;
			}
		} else
			(void)net_wait_gen(&seen);
	}
	if ((state & SS_ISCONNECTED) == 0) {
		error = so_error_take(so);
		if (error == 0)
			error = ECONNREFUSED;
	}
out:
	sorele(so);
	return (error);
}

/*
 * accept(2): the first completed connection of listening socket fd, as
 * a new descriptor.  nonblock < 0: the new socket inherits the
 * listener's non-blocking mode (FreeBSD's accept()); else it is set to
 * nonblock (accept4(SOCK_NONBLOCK)).  EINVAL (not listening),
 * EWOULDBLOCK (none, non-blocking, or none can come in the
 * deterministic mode), EMFILE.
 */
int
kern_accept(int fd, int nonblock, int *nfd, uint32_t *addr, uint16_t *port)
{
	struct sockaddr_in sin;
	struct socket *head, *so;
	uint64_t seen;
	int error, hstate;

	error = fget_socket(fd, &head);
	if (error != 0)
		return (error);
	so = NULL;
	if (!SOLISTENING(head) || head->so_proto->pr_accept == NULL) {
		error = EINVAL;
		goto out;
	}
	hstate = so_state(head);
	for (;;) {
		seen = net_progress();
		error = head->so_proto->pr_accept(head, &so);
		if (error != EWOULDBLOCK || (hstate & SS_NBIO) != 0)
			break;
		if (khost_workers() == 0) {
			if (net_step() != 0)
				break;
		} else
			(void)net_wait_gen(&seen);
	}
	if (error != 0)
		goto out;
	if (nonblock < 0 ? (hstate & SS_NBIO) != 0 : nonblock != 0) {
		SOCK_LOCK(so);
		so->so_state |= SS_NBIO;
		SOCK_UNLOCK(so);
	}
	memset(&sin, 0, sizeof(sin));
	if (so->so_proto->pr_peeraddr != NULL)
		(void)so->so_proto->pr_peeraddr(so, (struct sockaddr *)&sin);
	error = falloc_socket(so, nfd);
	if (error != 0) {
		(void)soclose(so);
		goto out;
	}
	if (addr != NULL)
		*addr = sin.sin_addr.s_addr;
	if (port != NULL)
		*port = sin.sin_port;
out:
	sorele(head);
	return (error);
}

int
kern_getsockname(int fd, int peer, uint32_t *addr, uint16_t *port)
{
	struct sockaddr_in sin;
	struct socket *so;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	memset(&sin, 0, sizeof(sin));
	if (peer)
		error = so->so_proto->pr_peeraddr != NULL ?
		    so->so_proto->pr_peeraddr(so, (struct sockaddr *)&sin) :
		    ENOTCONN;
	else
		error = so->so_proto->pr_sockaddr != NULL ?
		    so->so_proto->pr_sockaddr(so, (struct sockaddr *)&sin) :
		    EOPNOTSUPP;
	if (error == 0) {
		*addr = sin.sin_addr.s_addr;
		*port = sin.sin_port;
	}
	sorele(so);
	return (error);
}

/* ---- poll --------------------------------------------------------------- */

/* What a socket is ready for (sopoll_generic()). */
static short
sopoll(struct socket *so, short events)
{
	struct sockbuf *sb;
	short revents;
	int state;
	bool err, hup, pending, readable, writable;

	state = so_state(so);
	readable = writable = err = hup = pending = false;
	if (SOLISTENING(so)) {
		readable = so->so_proto->pr_accept != NULL &&
		    so->so_proto->pr_accept(so, NULL) == 0;
	} else {
		/*
		 * As soreceive() sees it: the end of the stream is there only
		 * once no KTLS record is still being decrypted.
		 */
		sb = &so->so_rcv;
		SOCK_RECVBUF_LOCK(so);
		pending = (sb->sb_flags & SB_TLS_RX) != 0 &&
		    (sb->sb_tlsdcc != 0 ||
		    (sb->sb_flags & SB_TLS_RX_RUNNING) != 0);
		hup = (sb->sb_state & SBS_CANTRCVMORE) != 0 && !pending;
		readable = sb->sb_mb != NULL || hup;
		SOCK_RECVBUF_UNLOCK(so);
		sb = &so->so_snd;
		SOCK_SENDBUF_LOCK(so);
		err = so->so_error != 0;
		writable = (sb->sb_state & SBS_CANTSENDMORE) != 0 ||
		    ((state & SS_ISCONNECTED) != 0 &&
		    sbspace(sb) >= (long)MAX(sb->sb_lowat, 1));
		hup = hup && (sb->sb_state & SBS_CANTSENDMORE) != 0;
		SOCK_SENDBUF_UNLOCK(so);
		hup = hup || ((state & SS_ISDISCONNECTED) != 0 && !pending);
	}
	revents = 0;
	if (readable)
		revents |= events & (KPOLLIN | KPOLLPRI);
	if (writable && !hup)
		revents |= events & KPOLLOUT;
	if (err)
		revents |= KPOLLERR;
	if (hup)
		revents |= KPOLLHUP;
	return (revents);
}

/* KTLS records being decrypted for a reader: sleep until they are. */
static bool
sopoll_wait_decrypt(struct socket *so)
{
	struct sockbuf *sb;
	bool waited;

	sb = &so->so_rcv;
	waited = false;
	SOCK_RECVBUF_LOCK(so);
	if ((sb->sb_flags & SB_TLS_RX_RUNNING) != 0 && sb->sb_mb == NULL) {
		sb->sb_flags |= SB_WAIT;
		cv_wait(&so->so_rcv_cv, &so->so_rcv_mtx);
		waited = true;
	}
	SOCK_RECVBUF_UNLOCK(so);
	return (waited);
}

static void
poll_timeout(void *arg __unused)
{

	net_kick();
}

int
kern_poll(struct kpollfd *fds, int nfds, int64_t timeout_ns, int *nready)
{
	struct callout timer;
	struct socket **sos;
	uint64_t deadline, seen;
	int error, i, n;
	bool waited;

	*nready = 0;
	if (nfds < 0 || nfds > POLL_MAXFDS || (nfds > 0 && fds == NULL))
		return (EINVAL);
	sos = kmalloc(sizeof(*sos) * (size_t)MAX(nfds, 1), M_POLL,
	    M_WAITOK | M_ZERO);
	for (i = 0; i < nfds; i++) {
		fds[i].revents = 0;
		if (fds[i].fd >= 0 && fget_socket(fds[i].fd, &sos[i]) != 0) {
			sos[i] = NULL;
			fds[i].revents = KPOLLNVAL;
		}
	}
	callout_init(&timer, CALLOUT_ACTIVE);
	deadline = 0;
	if (timeout_ns > 0) {
		deadline = khost_nanotime() + (uint64_t)timeout_ns;
		(void)callout_reset(&timer, (uint64_t)timeout_ns, poll_timeout,
		    NULL);
		net_clock_poke();
	}
	error = 0;
	for (;;) {
		seen = net_progress();
		n = 0;
		for (i = 0; i < nfds; i++) {
			if (sos[i] != NULL)
				fds[i].revents = sopoll(sos[i], fds[i].events);
			if (fds[i].revents != 0)
				n++;
		}
		if (n > 0 || timeout_ns == 0)
			break;
		if (timeout_ns > 0 && khost_nanotime() >= deadline)
			break;
		if (khost_workers() == 0) {
			if (net_step() != 0)
				break;
			continue;
		}
		waited = false;
		for (i = 0; i < nfds && !waited; i++)
			if (sos[i] != NULL)
				waited = sopoll_wait_decrypt(sos[i]);
		if (!waited)
			(void)net_wait_gen(&seen);
	}
	(void)callout_stop(&timer);
	for (i = 0; i < nfds; i++)
		if (sos[i] != NULL)
			sorele(sos[i]);
	kfree(sos, M_POLL);
	*nready = n;
	return (error);
}
