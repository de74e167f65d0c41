/*-
 * TCP user requests (FreeBSD's tcp_usrreq.c): the protocol switch of the
 * TCP shim, the IPPROTO_TCP socket options (tcp_default_ctloutput(), the
 * KTLS part), and the loopback "sink".
 *
 * Two protocols.  A stream socket starts on the sink: connected from
 * birth, with no peer.  Its pr_send appends to so_snd (not ready with
 * PRUS_NOTREADY, as tcp_usr_send() does), its pr_ready marks data ready
 * with sbready(), and nothing is ever transmitted: what tcp_output would
 * send is the ready part of so_snd, and the transmit path's unit tests
 * take it out with kern_test_sndbuf_take(), which plays the wire and the
 * peer's ACK at once.  Since nothing else empties so_snd the sink is
 * PR_NODRAIN: a send that needs space does not wait (uipc_socket.c).
 *
 * connect, listen and bind promote a sink that was never used (nothing
 * sent, no KTLS session) to real TCP (tcp_sink_promote()): the socket
 * switches to tcp_protosw and gets a TCP control block.  The TCP user
 * requests below run with the connection's lock (t_mtx, the inpcb lock)
 * and call into tcp_output(); tcp_var.h has the rules.
 *
 * A dropped connection (ktls_drop() on a crypto failure, pr_abort, a
 * reset) is remembered (TF_DROPPED, or the sink's flag).  Data still in
 * a worker's hands then comes back through pr_ready and is freed there
 * (mb_free_notready()), as tcp_usr_ready() does for an INP_DROPPED
 * connection.
 *
 * Waiting (pr_wait).  In the deterministic mode a caller that must wait
 * for TCP (a send into a full buffer, a read of an empty one) runs the
 * network itself, one net_step() at a time (netinet/if_loop.c): a
 * blocking write of many megabytes completes as long as the peer's
 * reader gets to run, from the application's idle hook
 * (uk_net_set_idle()).  With worker threads it sleeps as before.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/malloc.h"
#include "sys/mutex.h"
#include "sys/mbuf.h"
#include "sys/socket.h"
#include "sys/sockbuf.h"
#include "sys/socketvar.h"
#include "sys/sockopt.h"
#include "sys/domain.h"
#include "sys/ktls.h"
#include "sys/syscallsubr.h"
#include "sys/testhooks.h"
#include "netinet/ip.h"
#include "netinet/tcp.h"
#include "netinet/tcp_var.h"

#ifndef __DECONST
#define	__DECONST(type, var)	((type)(uintptr_t)(const void *)(var))
#endif

MALLOC_DEFINE(M_PCB, "pcb", "protocol control block");

/* net.inet.tcp: somaxconn */
#define	TCP_SOMAXCONN	128

struct tcp_sink_pcb {
	bool	dropped;	/* under so_snd's lock */
	bool	used;		/* something was sent: no promotion */
};

static int	tcp_sink_attach(struct socket *so);
static void	tcp_sink_detach(struct socket *so);
static int	tcp_sink_send(struct socket *so, int flags, struct mbuf *m,
		    struct sockaddr *addr, struct mbuf *control);
static int	tcp_sink_ready(struct socket *so, struct mbuf *m, int count);
static void	tcp_sink_abort(struct socket *so);
static int	tcp_sink_listen(struct socket *so, int backlog);
static int	tcp_ctloutput(struct socket *so, struct sockopt *sopt);

static int	tcp_usr_attach(struct socket *so);
static void	tcp_usr_detach(struct socket *so);
static int	tcp_usr_send(struct socket *so, int flags, struct mbuf *m,
		    struct sockaddr *addr, struct mbuf *control);
static int	tcp_usr_ready(struct socket *so, struct mbuf *m, int count);
static int	tcp_usr_rcvd(struct socket *so, int flags);
static int	tcp_usr_shutdown(struct socket *so);
static void	tcp_usr_abort(struct socket *so);
static int	tcp_usr_listen(struct socket *so, int backlog);
static int	tcp_usr_bind(struct socket *so, struct sockaddr *nam);
static int	tcp_usr_connect(struct socket *so, struct sockaddr *nam);
static int	tcp_usr_accept(struct socket *so, struct socket **nso);
static void	tcp_usr_close(struct socket *so);
static int	tcp_usr_sockaddr(struct socket *so, struct sockaddr *nam);
static int	tcp_usr_peeraddr(struct socket *so, struct sockaddr *nam);
static int	tcp_usr_wait(struct socket *so, struct sockbuf *sb);

static struct protosw tcp_sink_protosw = {
	.pr_name =	"tcp-sink",
	.pr_type =	SOCK_STREAM,
	.pr_protocol =	IPPROTO_TCP,
	.pr_flags =	PR_CONNREQUIRED | PR_NODRAIN,
	.pr_attach =	tcp_sink_attach,
	.pr_detach =	tcp_sink_detach,
	.pr_send =	tcp_sink_send,
	.pr_ready =	tcp_sink_ready,
	.pr_ctloutput =	tcp_ctloutput,
	.pr_abort =	tcp_sink_abort,
	.pr_listen =	tcp_sink_listen,
};

struct protosw tcp_protosw = {
	.pr_name =	"tcp",
	.pr_type =	SOCK_STREAM,
	.pr_protocol =	IPPROTO_TCP,
	.pr_flags =	PR_CONNREQUIRED | PR_IMPLOPCL,
	.pr_attach =	tcp_usr_attach,
	.pr_detach =	tcp_usr_detach,
	.pr_send =	tcp_usr_send,
	.pr_ready =	tcp_usr_ready,
	.pr_rcvd =	tcp_usr_rcvd,
	.pr_ctloutput =	tcp_ctloutput,
	.pr_shutdown =	tcp_usr_shutdown,
	.pr_abort =	tcp_usr_abort,
	.pr_listen =	tcp_usr_listen,
	.pr_bind =	tcp_usr_bind,
	.pr_connect =	tcp_usr_connect,
	.pr_accept =	tcp_usr_accept,
	.pr_close =	tcp_usr_close,
	.pr_sockaddr =	tcp_usr_sockaddr,
	.pr_peeraddr =	tcp_usr_peeraddr,
	.pr_wait =	tcp_usr_wait,
};

struct protosw *
pffindproto(int family, int type, int protocol)
{

	if (family != AF_INET && family != AF_INET6)
		return (NULL);
	if (type != SOCK_STREAM)
		return (NULL);
	if (protocol != 0 && protocol != IPPROTO_TCP)
		return (NULL);
	return (&tcp_sink_protosw);
}

static int
tcp_sink_attach(struct socket *so)
{

	so->so_pcb = kmalloc(sizeof(struct tcp_sink_pcb), M_PCB,
	    M_WAITOK | M_ZERO);
	SOCK_LOCK(so);
	so->so_state |= SS_ISCONNECTED;
	SOCK_UNLOCK(so);
	return (0);
}

static void
tcp_sink_detach(struct socket *so)
{

	kfree(so->so_pcb, M_PCB);
	so->so_pcb = NULL;
}

/* TCP carries no control messages: an empty one is ignored. */
static int
tcp_usr_control(struct mbuf *control)
{
	int error;

	if (control == NULL)
		return (0);
	error = control->m_len > 0 ? EINVAL : 0;
	m_freem(control);
	return (error);
}

/*
 * tcp_usr_send(): TCP carries no control messages.  On an error, data
 * sent not ready stays the caller's (it frees it); other data is freed.
 */
static int
tcp_sink_send(struct socket *so, int flags, struct mbuf *m,
    struct sockaddr *addr __unused, struct mbuf *control)
{
	struct tcp_sink_pcb *pcb;
	int error;

	error = tcp_usr_control(control);
	if (error != 0)
		goto out;
	pcb = so->so_pcb;
	SOCK_SENDBUF_LOCK(so);
	if (pcb->dropped) {
		SOCK_SENDBUF_UNLOCK(so);
		error = ECONNRESET;
		goto out;
	}
	pcb->used = true;
	sbappendstream_locked(&so->so_snd, m, flags);
	m = NULL;
#ifdef INVARIANTS
	SBCHECK(&so->so_snd);
#endif
	SOCK_SENDBUF_UNLOCK(so);
out:
	if (m != NULL && (flags & PRUS_NOTREADY) == 0)
		m_freem(m);
	return (error);
}

/* tcp_usr_ready(): data became ready; "send" it (it stays in so_snd). */
static int
tcp_sink_ready(struct socket *so, struct mbuf *m, int count)
{
	struct tcp_sink_pcb *pcb;
	int error;

	pcb = so->so_pcb;
	SOCK_SENDBUF_LOCK(so);
	if (pcb->dropped) {
		SOCK_SENDBUF_UNLOCK(so);
		mb_free_notready(m, count);
		return (ECONNRESET);
	}
	error = sbready(&so->so_snd, m, count);
#ifdef INVARIANTS
	SBCHECK(&so->so_snd);
#endif
	/* Whoever waits for ready data (a test draining) looks again. */
	sowwakeup_locked(so);
	SOCK_SENDBUF_UNLOCK(so);
	return (error);
}

/* tcp_drop(): the connection is gone with an error. */
static void
tcp_sink_drop(struct socket *so, int error)
{
	struct tcp_sink_pcb *pcb;

	pcb = so->so_pcb;
	SOCK_SENDBUF_LOCK(so);
	pcb->dropped = true;
	so->so_error = error;
	SOCK_SENDBUF_UNLOCK(so);
	soisdisconnected(so);
}

static void
tcp_sink_abort(struct socket *so)
{

	tcp_sink_drop(so, ECONNABORTED);
}

/* Only a socket that was never connected may listen. */
static int
tcp_sink_listen(struct socket *so __unused, int backlog __unused)
{

	return (0);
}

/* ---- promotion of a sink to TCP ------------------------------------------ */

int
tcp_sink_promote(struct socket *so)
{
	struct tcp_sink_pcb *pcb;
	bool pristine;

	if (so->so_proto == &tcp_protosw)
		return (0);
	KASSERT(so->so_proto == &tcp_sink_protosw,
	    ("%s: socket %p of protocol %s", __func__, so,
	    so->so_proto->pr_name));
	pcb = so->so_pcb;
	SOCK_SENDBUF_LOCK(so);
	/*
	 * A KTLS session does not make a socket used: FreeBSD enables one
	 * on a socket before it connects (or listens, or sends to).
	 */
	pristine = !pcb->used && !pcb->dropped && so->so_snd.sb_mb == NULL;
	SOCK_SENDBUF_UNLOCK(so);
	SOCK_RECVBUF_LOCK(so);
	pristine = pristine && so->so_rcv.sb_mb == NULL &&
	    so->so_rcv.sb_mtls == NULL;
	SOCK_RECVBUF_UNLOCK(so);
	if (!pristine || SOLISTENING(so))
		return (EISCONN);
	if (so->so_type != SOCK_STREAM)
		return (EOPNOTSUPP);
	tcp_sink_detach(so);
	SOCK_LOCK(so);
	so->so_state &= ~(SS_ISCONNECTED | SS_ISCONNECTING |
	    SS_ISDISCONNECTING | SS_ISDISCONNECTED);
	SOCK_UNLOCK(so);
	so->so_proto = &tcp_protosw;
	return (tcp_usr_attach(so));
}

/* ---- TCP user requests --------------------------------------------- */

static int
tcp_usr_attach(struct socket *so)
{

	so->so_pcb = tcp_newtcpcb(so);
	return (0);
}

/* sofree(): nothing holds the socket any more, so nothing runs on tp. */
static void
tcp_usr_detach(struct socket *so)
{
	struct tcpcb *tp;

	tp = intotcpcb(so);
	so->so_pcb = NULL;
	tcp_discardcb(tp);
}

/* The SYN states and after: the connection (tcp_usrclosed()). */
static void
tcp_usrclosed(struct tcpcb *tp)
{

	TCP_LOCK_ASSERT(tp);
	switch (tp->t_state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
	case TCPS_SYN_SENT:
		(void)tcp_close(tp);
		break;
	case TCPS_SYN_RECEIVED:
		tp->t_flags |= TF_NEEDFIN;
		break;
	case TCPS_ESTABLISHED:
		tcp_state_change(tp, TCPS_FIN_WAIT_1);
		break;
	case TCPS_CLOSE_WAIT:
		tcp_state_change(tp, TCPS_LAST_ACK);
		break;
	}
}

/*
 * sendto() on a socket that is not connected yet: FreeBSD's checks of
 * the destination, in its order.  An address that passes them would be
 * connected to implicitly; the shim has no implied connect (ENOTCONN,
 * docs/differences.md).
 */
static int
tcp_send_addr_check(struct tcpcb *tp, struct sockaddr *addr)
{
	struct sockaddr_in *sin;
	in_addr_t a;

	if (tp->t_state == TCPS_LISTEN)
		return (EINVAL);
	sin = (struct sockaddr_in *)addr;
	if (sin->sin_family != AF_INET)
		return (EAFNOSUPPORT);
	if (sin->sin_len != sizeof(*sin))
		return (EINVAL);
	a = ntohl(sin->sin_addr.s_addr);
	if (IN_MULTICAST(a))
		return (EAFNOSUPPORT);
	if (a == INADDR_BROADCAST)
		return (EACCES);
	return (ENOTCONN);
}

/*
 * tcp_usr_send(): TCP carries no control messages.  On an error, data
 * sent not ready stays the caller's (it frees it); other data is freed.
 * A destination (sendto()) counts only before the connection exists.
 */
static int
tcp_usr_send(struct socket *so, int flags, struct mbuf *m,
    struct sockaddr *addr, struct mbuf *control)
{
	struct tcpcb *tp;
	int error;

	error = tcp_usr_control(control);
	if (error != 0)
		goto out;
	tp = intotcpcb(so);
	TCP_LOCK(tp);
	if (addr != NULL && (tp->t_flags & TF_DROPPED) == 0 &&
	    tp->t_state < TCPS_SYN_SENT) {
		error = tcp_send_addr_check(tp, addr);
		tcp_unlock(tp);
		goto out;
	}
	if ((tp->t_flags & TF_DROPPED) != 0 ||
	    !TCPS_HAVEESTABLISHED(tp->t_state)) {
		error = (tp->t_flags & TF_DROPPED) != 0 ? ECONNRESET :
		    ENOTCONN;
		tcp_unlock(tp);
		goto out;
	}
	SOCK_SENDBUF_LOCK(so);
	/*
	 * sosend() checked SBS_CANTSENDMORE before it copied the data in;
	 * a shutdown or close since then has queued the FIN, and nothing
	 * may follow it (the peer would acknowledge none of it).  Checked
	 * here under the connection's lock, which the shutdown holds too.
	 */
	if ((so->so_snd.sb_state & SBS_CANTSENDMORE) != 0 ||
	    tp->t_state > TCPS_CLOSE_WAIT) {
		SOCK_SENDBUF_UNLOCK(so);
		tcp_unlock(tp);
		error = EPIPE;
		goto out;
	}
	sbappendstream_locked(&so->so_snd, m, flags);
	m = NULL;
#ifdef INVARIANTS
	SBCHECK(&so->so_snd);
#endif
	SOCK_SENDBUF_UNLOCK(so);
	if ((flags & PRUS_NOTREADY) == 0)
		(void)tcp_output(tp);
	tcp_unlock(tp);
out:
	if (m != NULL && (flags & PRUS_NOTREADY) == 0)
		m_freem(m);
	return (error);
}

/* tcp_usr_ready(): data became ready (encrypted, read from disk): send. */
static int
tcp_usr_ready(struct socket *so, struct mbuf *m, int count)
{
	struct tcpcb *tp;
	int error;

	tp = intotcpcb(so);
	TCP_LOCK(tp);
	if ((tp->t_flags & TF_DROPPED) != 0) {
		tcp_unlock(tp);
		mb_free_notready(m, count);
		return (ECONNRESET);
	}
	SOCK_SENDBUF_LOCK(so);
	error = sbready(&so->so_snd, m, count);
#ifdef INVARIANTS
	SBCHECK(&so->so_snd);
#endif
	SOCK_SENDBUF_UNLOCK(so);
	if (error == 0)
		(void)tcp_output(tp);
	tcp_unlock(tp);
	net_kick();
	return (error);
}

/* The reader took data: maybe a window update. */
static int
tcp_usr_rcvd(struct socket *so, int flags __unused)
{
	struct tcpcb *tp;

	tp = intotcpcb(so);
	TCP_LOCK(tp);
	if (TCPS_HAVEESTABLISHED(tp->t_state) &&
	    tp->t_state != TCPS_TIME_WAIT)
		(void)tcp_output(tp);
	tcp_unlock(tp);
	net_kick();
	return (0);
}

/* shutdown(SHUT_WR): a FIN after the data. */
static int
tcp_usr_shutdown(struct socket *so)
{
	struct tcpcb *tp;

	tp = intotcpcb(so);
	TCP_LOCK(tp);
	socantsendmore(so);
	if ((tp->t_flags & TF_DROPPED) == 0) {
		tcp_usrclosed(tp);
		if (tp->t_state != TCPS_CLOSED)
			(void)tcp_output(tp);
	}
	tcp_unlock(tp);
	net_kick();
	return (0);
}

static void
tcp_usr_abort(struct socket *so)
{
	struct tcpcb *tp;

	tp = intotcpcb(so);
	TCP_LOCK(tp);
	if (tp->t_state != TCPS_CLOSED && tp->t_state != TCPS_LISTEN)
		(void)tcp_drop(tp, ECONNABORTED);
	tcp_unlock(tp);
}

static int
tcp_usr_listen(struct socket *so, int backlog)
{
	struct tcpcb *tp;
	int error;

	tp = intotcpcb(so);
	TCP_LOCK(tp);
	error = 0;
	if (tp->t_state != TCPS_CLOSED && tp->t_state != TCPS_LISTEN)
		error = EINVAL;
	else if ((tp->t_flags & TF_DROPPED) != 0)
		error = EINVAL;
	else if (tp->t_lport == 0)
		error = tcp_bind(tp, htonl(INADDR_ANY), 0);
	if (error == 0) {
		if (backlog < 0 || backlog > TCP_SOMAXCONN)
			backlog = TCP_SOMAXCONN;
		mtx_lock(&tcp_acceptmtx);
		tp->t_qlimit = MAX(backlog, 1);
		mtx_unlock(&tcp_acceptmtx);
		if (tp->t_state != TCPS_LISTEN)
			tcp_state_change(tp, TCPS_LISTEN);
	}
	tcp_unlock(tp);
	return (error);
}

/* A loopback address, or any. */
static int
tcp_sin_check(struct sockaddr *nam, bool any_ok)
{
	struct sockaddr_in *sin;
	in_addr_t a;

	sin = (struct sockaddr_in *)nam;
	if (sin->sin_family != AF_INET)
		return (EAFNOSUPPORT);
	a = ntohl(sin->sin_addr.s_addr);
	if (a == INADDR_ANY && any_ok)
		return (0);
	if (!IN_LOOPBACK(a))
		return (any_ok ? EADDRNOTAVAIL : ENETUNREACH);
	return (0);
}

static int
tcp_usr_bind(struct socket *so, struct sockaddr *nam)
{
	struct sockaddr_in *sin;
	struct tcpcb *tp;
	int error;

	error = tcp_sin_check(nam, true);
	if (error != 0)
		return (error);
	sin = (struct sockaddr_in *)nam;
	tp = intotcpcb(so);
	TCP_LOCK(tp);
	if (tp->t_state != TCPS_CLOSED || (tp->t_flags & TF_DROPPED) != 0)
		error = EINVAL;
	else
		error = tcp_bind(tp, sin->sin_addr.s_addr, sin->sin_port);
	tcp_unlock(tp);
	return (error);
}

/* connect(2): send a SYN; the caller waits for the handshake. */
static int
tcp_usr_connect(struct socket *so, struct sockaddr *nam)
{
	struct sockaddr_in *sin;
	struct tcpcb *tp;
	uint32_t iss;
	int error;

	error = tcp_sin_check(nam, false);
	if (error != 0)
		return (error);
	sin = (struct sockaddr_in *)nam;
	if (sin->sin_port == 0)
		return (EADDRNOTAVAIL);
	tp = intotcpcb(so);
	TCP_LOCK(tp);
	if (tp->t_state == TCPS_SYN_SENT)
		error = EALREADY;
	else if (tp->t_state == TCPS_LISTEN)
		error = EOPNOTSUPP;
	else if (tp->t_state != TCPS_CLOSED)
		error = EISCONN;
	else if ((tp->t_flags & TF_DROPPED) != 0)
		error = EINVAL;
	else
		error = tcp_connect(tp, sin->sin_addr.s_addr, sin->sin_port);
	if (error != 0) {
		tcp_unlock(tp);
		return (error);
	}
	khost_arc4rand(&iss, sizeof(iss));
	tp->iss = iss;
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->snd_recover = iss;
	tp->t_flags |= TF_PROTOREF;
	soref(so);
	soisconnecting(so);
	tcp_state_change(tp, TCPS_SYN_SENT);
	tp->t_rxtcur = TCPTV_RTOBASE;
	tcp_timer_activate(tp, TT_REXMT, tp->t_rxtcur);
	(void)tcp_output(tp);
	tcp_unlock(tp);
	return (0);
}

/*
 * Take the first completed connection off listener so; with nso NULL,
 * only say whether there is one.  0, EWOULDBLOCK, EINVAL (not listening).
 */
static int
tcp_usr_accept(struct socket *so, struct socket **nso)
{
	struct tcpcb *tp, *ntp;
	int error;

	tp = intotcpcb(so);
	TCP_LOCK(tp);
	if (tp->t_state != TCPS_LISTEN) {
		tcp_unlock(tp);
		return (EINVAL);
	}
	mtx_lock(&tcp_acceptmtx);
	ntp = TAILQ_FIRST(&tp->t_comp);
	error = ntp != NULL ? 0 : EWOULDBLOCK;
	if (ntp != NULL && nso != NULL) {
		TAILQ_REMOVE(&tp->t_comp, ntp, t_qe);
		tp->t_qlen--;
		ntp->t_head = NULL;
		ntp->t_qstate = TQ_NONE;
		*nso = ntp->t_socket;
	}
	mtx_unlock(&tcp_acceptmtx);
	tcp_unlock(tp);
	return (error);
}

/*
 * A listener closes: every connection not yet accepted is reset and
 * loses the reference its descriptor would have held.
 */
static void
tcp_listen_close(struct tcpcb *tp)
{
	TAILQ_HEAD(, tcpcb) q;
	struct tcpcb *ntp;
	struct socket *nso;

	TAILQ_INIT(&q);
	mtx_lock(&tcp_acceptmtx);
	while ((ntp = TAILQ_FIRST(&tp->t_comp)) != NULL) {
		TAILQ_REMOVE(&tp->t_comp, ntp, t_qe);
		TAILQ_INSERT_TAIL(&q, ntp, t_qe);
	}
	while ((ntp = TAILQ_FIRST(&tp->t_incomp)) != NULL) {
		TAILQ_REMOVE(&tp->t_incomp, ntp, t_qe);
		TAILQ_INSERT_TAIL(&q, ntp, t_qe);
	}
	TAILQ_FOREACH(ntp, &q, t_qe) {
		ntp->t_head = NULL;
		ntp->t_qstate = TQ_NONE;
	}
	tp->t_qlen = 0;
	mtx_unlock(&tcp_acceptmtx);
	tcp_list_remove(tp);
	tcp_state_change(tp, TCPS_CLOSED);
	tp->t_flags |= TF_DROPPED;
	tcp_unlock(tp);

	while ((ntp = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, ntp, t_qe);
		nso = ntp->t_socket;
		TCP_LOCK(ntp);
		if (ntp->t_state != TCPS_CLOSED)
			(void)tcp_drop(ntp, ECONNABORTED);
		tcp_unlock(ntp);
		(void)soclose(nso);
	}
	TCP_LOCK(tp);
}

/*
 * The descriptor is being closed (soclose()).  Unread data is lost, so
 * the peer gets a reset (RFC 1122 section 4.2.2.13); otherwise the
 * connection is closed the orderly way, with a FIN after the data still
 * in the send buffer, and lives on without its descriptor until that is
 * done (TF_PROTOREF).
 */
static void
tcp_usr_close(struct socket *so)
{
	struct tcpcb *tp;
	bool unread;

	tp = intotcpcb(so);
	TCP_LOCK(tp);
	tp->t_flags |= TF_SOCLOSED;
	if (tp->t_state == TCPS_LISTEN) {
		tcp_listen_close(tp);
		tcp_unlock(tp);
		net_kick();
		return;
	}
	if (tp->t_state == TCPS_CLOSED) {
		tcp_list_remove(tp);
		tcp_unlock(tp);
		return;
	}
	SOCK_RECVBUF_LOCK(so);
	unread = sbused(&so->so_rcv) > 0;
	SOCK_RECVBUF_UNLOCK(so);
	if (unread && TCPS_HAVERCVDSYN(tp->t_state))
		(void)tcp_drop(tp, ECONNABORTED);
	else {
		soisdisconnecting(so);
		tcp_usrclosed(tp);
		if (tp->t_state != TCPS_CLOSED) {
			(void)tcp_output(tp);
			if (tp->t_state == TCPS_FIN_WAIT_2)
				tcp_timer_activate(tp, TT_2MSL,
				    TCPTV_FINWAIT2);
		}
	}
	tcp_unlock(tp);
	net_kick();
}

static int
tcp_usr_addr(struct socket *so, struct sockaddr *nam, int peer)
{
	struct sockaddr_in *sin;
	struct tcpcb *tp;
	int error;

	sin = (struct sockaddr_in *)nam;
	memset(sin, 0, sizeof(*sin));
	sin->sin_len = sizeof(*sin);
	sin->sin_family = AF_INET;
	tp = intotcpcb(so);
	TCP_LOCK(tp);
	error = 0;
	if (peer) {
		if (tp->t_fport == 0)
			error = ENOTCONN;
		sin->sin_addr.s_addr = tp->t_faddr;
		sin->sin_port = tp->t_fport;
	} else {
		sin->sin_addr.s_addr = tp->t_laddr;
		sin->sin_port = tp->t_lport;
	}
	tcp_unlock(tp);
	return (error);
}

static int
tcp_usr_sockaddr(struct socket *so, struct sockaddr *nam)
{

	return (tcp_usr_addr(so, nam, 0));
}

static int
tcp_usr_peeraddr(struct socket *so, struct sockaddr *nam)
{

	return (tcp_usr_addr(so, nam, 1));
}

/*
 * A sender or reader must wait for sb (locked).  Deterministic: one step
 * of the network, then look again (EWOULDBLOCK when nothing can move).
 * With worker threads: sleep on the buffer's condition variable.
 */
static int
tcp_usr_wait(struct socket *so, struct sockbuf *sb)
{
	int error;

	SOCKBUF_LOCK_ASSERT(sb);
	if (khost_workers() == 0) {
		SOCKBUF_UNLOCK(sb);
		error = net_step();
		SOCKBUF_LOCK(sb);
		return (error);
	}
	sb->sb_flags |= SB_WAIT;
	if (sb == &so->so_snd)
		cv_wait(&so->so_snd_cv, &so->so_snd_mtx);
	else
		cv_wait(&so->so_rcv_cv, &so->so_rcv_mtx);
	return (0);
}

/* ---- socket options --------------------------------------------------- */

/*
 * Copy in a struct tls_enable and the keys it points to (FreeBSD's
 * copyin_tls_enable()).  Lengths are checked before anything is copied.
 */
static int
copyin_tls_enable(struct sockopt *sopt, struct tls_enable *tls)
{
	uint8_t *cipher_key, *iv, *auth_key;
	int error;

	error = sooptcopyin(sopt, tls, sizeof(*tls), sizeof(*tls));
	if (error != 0)
		return (error);
	if (tls->cipher_key_len < 0 ||
	    tls->cipher_key_len > TLS_MAX_PARAM_SIZE)
		return (EINVAL);
	if (tls->iv_len < 0 || tls->iv_len > TLS_CBC_IMPLICIT_IV_LEN)
		return (EINVAL);
	if (tls->auth_key_len < 0 || tls->auth_key_len > TLS_MAX_PARAM_SIZE)
		return (EINVAL);
	/* Every supported suite has a cipher key. */
	if (tls->cipher_key_len == 0)
		return (EINVAL);
	/* Reading through a NULL user pointer faults. */
	if (tls->cipher_key == NULL ||
	    (tls->iv_len != 0 && tls->iv == NULL) ||
	    (tls->auth_key_len != 0 && tls->auth_key == NULL))
		return (EFAULT);

	cipher_key = kmalloc(tls->cipher_key_len, M_TEMP, M_WAITOK);
	memcpy(cipher_key, tls->cipher_key, tls->cipher_key_len);
	iv = NULL;
	if (tls->iv_len != 0) {
		iv = kmalloc(tls->iv_len, M_TEMP, M_WAITOK);
		memcpy(iv, tls->iv, tls->iv_len);
	}
	auth_key = NULL;
	if (tls->auth_key_len != 0) {
		auth_key = kmalloc(tls->auth_key_len, M_TEMP, M_WAITOK);
		memcpy(auth_key, tls->auth_key, tls->auth_key_len);
	}
	tls->cipher_key = cipher_key;
	tls->iv = iv;
	tls->auth_key = auth_key;
	return (0);
}

static void
cleanup_tls_enable(struct tls_enable *tls)
{

	explicit_bzero(__DECONST(uint8_t *, tls->cipher_key),
	    tls->cipher_key_len);
	kfree(__DECONST(uint8_t *, tls->cipher_key), M_TEMP);
	if (tls->iv != NULL) {
		explicit_bzero(__DECONST(uint8_t *, tls->iv), tls->iv_len);
		kfree(__DECONST(uint8_t *, tls->iv), M_TEMP);
	}
	if (tls->auth_key != NULL) {
		explicit_bzero(__DECONST(uint8_t *, tls->auth_key),
		    tls->auth_key_len);
		kfree(__DECONST(uint8_t *, tls->auth_key), M_TEMP);
	}
}

/*
 * IPPROTO_TCP options.  Only the KTLS ones exist so far; anything else
 * is ENOPROTOOPT, as for an option TCP does not know.
 */
static int
tcp_ctloutput(struct socket *so, struct sockopt *sopt)
{
	struct tls_enable tls;
	int error, optval;

	if (sopt->sopt_level != IPPROTO_TCP)
		return (ENOPROTOOPT);

	if (sopt->sopt_dir == SOPT_SET) {
		switch (sopt->sopt_name) {
		case TCP_TXTLS_ENABLE:
			error = copyin_tls_enable(sopt, &tls);
			if (error != 0)
				return (error);
			error = ktls_enable_tx(so, &tls);
			cleanup_tls_enable(&tls);
			return (error);
		case TCP_TXTLS_MODE:
			error = sooptcopyin(sopt, &optval, sizeof(optval),
			    sizeof(optval));
			if (error != 0)
				return (error);
			return (ktls_set_tx_mode(so, optval));
		case TCP_RXTLS_ENABLE:
			error = copyin_tls_enable(sopt, &tls);
			if (error != 0)
				return (error);
			error = ktls_enable_rx(so, &tls);
			cleanup_tls_enable(&tls);
			return (error);
		default:
			return (ENOPROTOOPT);
		}
	}

	switch (sopt->sopt_name) {
	case TCP_TXTLS_MODE:
		error = ktls_get_tx_mode(so, &optval);
		break;
	case TCP_RXTLS_MODE:
		error = ktls_get_rx_mode(so, &optval);
		break;
	default:
		return (ENOPROTOOPT);
	}
	if (error != 0)
		return (error);
	return (sooptcopyout(sopt, &optval, sizeof(optval)));
}

/* ---- test accessors (sys/testhooks.h) --------------------------------- */

static int
kt_copy_piece(void *arg, void *p, u_int len)
{
	uint8_t **dst = arg;

	/* The wire, not the datapath: not counted as a payload copy. */
	memcpy(*dst, p, len);
	*dst += len;
	return (0);
}

int
kern_test_sndbuf_take(int fd, void *buf, size_t len, size_t *got)
{
	struct socket *so;
	struct mbuf *mfree;
	uint8_t *dst;
	size_t n;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	SOCK_SENDBUF_LOCK(so);
	n = MIN(len, sbavail(&so->so_snd));
	mfree = NULL;
	if (n > 0) {
		dst = buf;
		(void)m_apply(so->so_snd.sb_mb, 0, (int)n, kt_copy_piece,
		    &dst);
		mfree = sbcut_locked(&so->so_snd, (int)n);
#ifdef INVARIANTS
		SBCHECK(&so->so_snd);
#endif
		sowwakeup_locked(so);
	}
	SOCK_SENDBUF_UNLOCK(so);
	m_freem(mfree);
	*got = n;
	sorele(so);
	return (0);
}

int
kern_test_sndbuf_wait(int fd)
{
	struct socket *so;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	SOCK_SENDBUF_LOCK(so);
	while (so->so_snd.sb_fnrdy != NULL &&
	    (so->so_snd.sb_state & SBS_CANTSENDMORE) == 0) {
		if (khost_workers() == 0) {
			error = EWOULDBLOCK;
			break;
		}
		cv_wait(&so->so_snd_cv, &so->so_snd_mtx);
	}
	SOCK_SENDBUF_UNLOCK(so);
	sorele(so);
	return (error);
}

int
kern_test_sndbuf_info(int fd, struct kt_sbinfo *info)
{
	struct socket *so;
	struct mbuf *m;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	memset(info, 0, sizeof(*info));
	SOCK_LOCK(so);
	info->connected = (so->so_state & SS_ISCONNECTED) != 0;
	SOCK_UNLOCK(so);
	SOCK_SENDBUF_LOCK(so);
	info->acc = so->so_snd.sb_acc;
	info->ccc = so->so_snd.sb_ccc;
	info->hiwat = so->so_snd.sb_hiwat;
	info->mbcnt = so->so_snd.sb_mbcnt;
	info->mbmax = so->so_snd.sb_mbmax;
	info->tls_seqno = so->so_snd.sb_tls_seqno;
	info->so_error = so->so_error;
	for (m = so->so_snd.sb_mb; m != NULL; m = m->m_next) {
		info->nmbufs++;
		if ((m->m_flags & M_NOTREADY) != 0)
			info->nnotready++;
	}
	SOCK_SENDBUF_UNLOCK(so);
	sorele(so);
	return (0);
}

int
kern_test_sndbuf_describe(int fd, struct kt_mdesc *d, int max, int *n)
{
	struct socket *so;
	struct mbuf *m;
	int error, i;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	SOCK_SENDBUF_LOCK(so);
	for (i = 0, m = so->so_snd.sb_mb; m != NULL; m = m->m_next, i++) {
		if (i >= max)
			continue;
		memset(&d[i], 0, sizeof(d[i]));
		d[i].len = m->m_len;
		d[i].flags = m->m_flags;
		if ((m->m_flags & M_EXTPG) == 0)
			continue;
		d[i].extpg = 1;
		d[i].hdrlen = m->m_epg_hdrlen;
		d[i].trllen = m->m_epg_trllen;
		d[i].npgs = m->m_epg_npgs;
		d[i].nrdy = m->m_epg_nrdy;
		d[i].first_off = m->m_epg_1st_off;
		d[i].last_len = m->m_epg_last_len;
		d[i].epg_flags = m->m_epg_flags;
		d[i].has_tls = m->m_epg_tls != NULL;
		d[i].record_type = m->m_epg_record_type;
		d[i].seqno = m->m_epg_seqno;
	}
	SOCK_SENDBUF_UNLOCK(so);
	*n = i;
	sorele(so);
	return (0);
}

int
kern_test_socket_listening(int *fdp)
{
	struct socket *so;
	int error;

	error = socreate(AF_INET, &so, SOCK_STREAM, IPPROTO_TCP);
	if (error != 0)
		return (error);
	/* As if it had never been connected. */
	SOCK_LOCK(so);
	so->so_state &= ~SS_ISCONNECTED;
	SOCK_UNLOCK(so);
	error = solisten(so, 1);
	if (error == 0)
		error = falloc_socket(so, fdp);
	if (error != 0)
		soclose(so);
	return (error);
}
