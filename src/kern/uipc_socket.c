/*-
 * Sockets: creation, references, close, options and sosend()
 * (FreeBSD's sys/kern/uipc_socket.c, reduced to stream sockets).
 *
 * Design note.  A socket is created with one reference (the descriptor's).
 * Anything else that must keep it alive takes one with soref(): sosend()
 * takes one per batch of records it hands to a KTLS worker, sendfile one
 * per batch of pages whose "I/O" is pending.  The last sorele() frees it:
 * the protocol is detached, both socket buffers are flushed and the KTLS
 * sessions hanging off them (sb_tls_info) lose the buffer's reference.  By
 * then no worker holds the socket, so nothing in the buffers is still not
 * ready.
 *
 * sosend_generic() follows FreeBSD's: with a transmit session on so_snd,
 * the data is copied into unmapped mbufs, one per TLS record
 * (m_uiotombuf(M_EXTPG)), bounded by the free space; ktls_frame() gives
 * each its header and trailer; pr_send() appends them (PRUS_NOTREADY in
 * software mode, so they are not sent before they are encrypted) and
 * ktls_enqueue() passes them to a worker.  A TLS_SET_RECORD_TYPE control
 * message sets the record type, is consumed here and makes the send atomic.
 *
 * Waiting for space.  A blocking send that finds too little space sleeps
 * on so_snd_cv until the protocol frees some (sowwakeup_locked()).  That
 * can only happen if something else runs: a worker thread, or a protocol
 * that empties so_snd on its own.  In the deterministic mode (no worker
 * threads) the caller is the only thread, and the loopback sink protocol
 * (PR_NODRAIN) never empties so_snd, so waiting would never end.  There
 * the wait fails at once with EWOULDBLOCK, exactly as a send timeout
 * (SO_SNDTIMEO) would: the caller gets a short count, or EAGAIN if
 * nothing was sent.
 *
 * Locking.  so_lock protects so_state and so_options; so_snd's lock
 * protects so_snd and so_error; so_snd_sx serializes senders (FreeBSD's
 * SOCK_IO_SEND_LOCK).  No two of the first three are held together.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/atomic.h"
#include "sys/malloc.h"
#include "sys/mutex.h"
#include "sys/mbuf.h"
#include "sys/uio.h"
#include "sys/socket.h"
#include "sys/sockbuf.h"
#include "sys/socketvar.h"
#include "sys/sockopt.h"
#include "sys/domain.h"
#include "sys/ktls.h"

MALLOC_DEFINE(M_SOCKET, "socket", "sockets");

/* net.inet.tcp.sendspace / recvspace defaults. */
u_int	so_sendspace = 32768;
u_int	so_recvspace = 65536;

static int	sosend_generic(struct socket *so, struct sockaddr *addr,
		    struct uio *uio, struct mbuf *top, struct mbuf *control,
		    int flags);

int
socreate(int dom, struct socket **aso, int type, int proto)
{
	struct protosw *prp;
	struct socket *so;
	int error;

	prp = pffindproto(dom, type, proto);
	if (prp == NULL) {
		if (dom != AF_INET && dom != AF_INET6)
			return (EAFNOSUPPORT);
		if (proto == 0 && type != 0)
			return (EPROTOTYPE);
		return (EPROTONOSUPPORT);
	}
	if (prp->pr_type != type)
		return (EPROTOTYPE);

	so = kmalloc(sizeof(*so), M_SOCKET, M_WAITOK | M_ZERO);
	mtx_init(&so->so_lock, "so_lock", NULL, MTX_DEF);
	mtx_init(&so->so_snd_mtx, "so_snd", NULL, MTX_DEF);
	mtx_init(&so->so_rcv_mtx, "so_rcv", NULL, MTX_DEF);
	mtx_init(&so->so_snd_sx, "so_snd_sx", NULL, MTX_DEF);
	cv_init(&so->so_snd_cv, "sbwait_snd");
	cv_init(&so->so_rcv_cv, "sbwait_rcv");
	so->so_type = type;
	so->so_proto = prp;
	refcount_init(&so->so_count, 1);
	sbinit(&so->so_snd, &so->so_snd_mtx, so_sendspace);
	sbinit(&so->so_rcv, &so->so_rcv_mtx, so_recvspace);
	/* soreserve(): a send low-water mark of one cluster. */
	SOCK_SENDBUF_LOCK(so);
	so->so_snd.sb_lowat = MIN(MCLBYTES, so->so_snd.sb_hiwat);
	SOCK_SENDBUF_UNLOCK(so);
	SOCK_RECVBUF_LOCK(so);
	so->so_rcv.sb_lowat = 1;
	SOCK_RECVBUF_UNLOCK(so);

	error = prp->pr_attach(so);
	if (error != 0) {
		so->so_state |= SS_NOFDREF;
		sorele(so);
		return (error);
	}
	*aso = so;
	return (0);
}

void
soref(struct socket *so)
{

	KASSERT(atomic_load_int(&so->so_count) > 0,
	    ("%s: socket %p already freed", __func__, so));
	refcount_acquire(&so->so_count);
}

/* The last reference is gone: detach, flush, free. */
static void
sofree(struct socket *so)
{

	if (so->so_pcb != NULL && so->so_proto->pr_detach != NULL)
		so->so_proto->pr_detach(so);
	KASSERT(so->so_snd.sb_fnrdy == NULL,
	    ("%s: socket %p freed with not-ready data", __func__, so));
	/* Also drops the buffers' KTLS session references. */
	sbdestroy(&so->so_snd);
	sbdestroy(&so->so_rcv);
	cv_destroy(&so->so_snd_cv);
	cv_destroy(&so->so_rcv_cv);
	mtx_destroy(&so->so_snd_sx);
	mtx_destroy(&so->so_rcv_mtx);
	mtx_destroy(&so->so_snd_mtx);
	mtx_destroy(&so->so_lock);
	explicit_bzero(so, sizeof(*so));
	kfree(so, M_SOCKET);
}

void
sorele(struct socket *so)
{

	KASSERT(atomic_load_int(&so->so_count) > 0,
	    ("%s: socket %p has no references", __func__, so));
	if (refcount_release(&so->so_count))
		sofree(so);
}

/*
 * Close on the last descriptor reference.  Records still being encrypted
 * keep the socket (their worker's reference) until they are done.
 */
int
soclose(struct socket *so)
{

	SOCK_LOCK(so);
	KASSERT((so->so_state & SS_NOFDREF) == 0,
	    ("%s: socket %p closed twice", __func__, so));
	so->so_state |= SS_NOFDREF;
	SOCK_UNLOCK(so);
	sorele(so);
	return (0);
}

/*
 * listen(2).  As FreeBSD's solisten_proto_check(): a connected socket, or
 * one with a KTLS session in either direction, cannot listen.
 */
int
solisten(struct socket *so, int backlog __unused)
{
	bool busy;
	int error;

	SOCK_LOCK(so);
	busy = (so->so_state & (SS_ISCONNECTED | SS_ISCONNECTING |
	    SS_ISDISCONNECTING)) != 0;
	SOCK_UNLOCK(so);
	if (busy)
		return (EINVAL);
	SOCK_SENDBUF_LOCK(so);
	busy = so->so_snd.sb_tls_info != NULL;
	SOCK_SENDBUF_UNLOCK(so);
	SOCK_RECVBUF_LOCK(so);
	busy = busy || so->so_rcv.sb_tls_info != NULL;
	SOCK_RECVBUF_UNLOCK(so);
	if (busy)
		return (EINVAL);
	if (so->so_proto->pr_listen == NULL)
		return (EOPNOTSUPP);
	error = so->so_proto->pr_listen(so, backlog);
	if (error != 0)
		return (error);
	SOCK_LOCK(so);
	so->so_options |= SO_ACCEPTCONN;
	SOCK_UNLOCK(so);
	return (0);
}

/* The connection is gone: no more sending, and wake everyone up. */
void
soisdisconnected(struct socket *so)
{

	SOCK_LOCK(so);
	so->so_state &= ~(SS_ISCONNECTING | SS_ISCONNECTED |
	    SS_ISDISCONNECTING);
	so->so_state |= SS_ISDISCONNECTED;
	SOCK_UNLOCK(so);

	SOCK_RECVBUF_LOCK(so);
	so->so_rcv.sb_state |= SBS_CANTRCVMORE;
	cv_broadcast(&so->so_rcv_cv);
	SOCK_RECVBUF_UNLOCK(so);

	SOCK_SENDBUF_LOCK(so);
	so->so_snd.sb_state |= SBS_CANTSENDMORE;
	/* Not-ready records are unlinked; their workers free them. */
	sbflush_locked(&so->so_snd);
	sowwakeup_locked(so);
	SOCK_SENDBUF_UNLOCK(so);
}

void
sowwakeup_locked(struct socket *so)
{

	SOCKBUF_LOCK_ASSERT(&so->so_snd);
	so->so_snd.sb_flags &= ~SB_WAIT;
	cv_broadcast(&so->so_snd_cv);
}

/*
 * Wait for space in so_snd (sbwait()).  Returns with the lock held; 0
 * when woken, EWOULDBLOCK when nothing could ever wake us (see the note
 * at the top).
 */
int
sbwait_snd(struct socket *so)
{

	SOCKBUF_LOCK_ASSERT(&so->so_snd);
	if ((so->so_proto->pr_flags & PR_NODRAIN) != 0 ||
	    khost_workers() == 0)
		return (EWOULDBLOCK);
	so->so_snd.sb_flags |= SB_WAIT;
	cv_wait(&so->so_snd_cv, &so->so_snd_mtx);
	return (0);
}

int
sosend(struct socket *so, struct sockaddr *addr, struct uio *uio,
    struct mbuf *top, struct mbuf *control, int flags)
{

	return (sosend_generic(so, addr, uio, top, control, flags));
}

/*
 * Send on a stream socket.  Data comes from uio, or ready-made from top
 * (which must then fit at once).  Data and control are always consumed.
 *
 * Errors: EINVAL (negative resid, MSG_EOR on a stream, an empty write on
 * a KTLS session that does not permit empty records, a short
 * TLS_SET_RECORD_TYPE message), EPIPE (can't send more), so_error,
 * ENOTCONN, EMSGSIZE (an atomic send larger than the buffer), EWOULDBLOCK
 * (no space and non-blocking, or waiting would never end), EFAULT, and
 * whatever the protocol's pr_send returns.
 */
static int
sosend_generic(struct socket *so, struct sockaddr *addr, struct uio *uio,
    struct mbuf *top, struct mbuf *control, int flags)
{
	struct ktls_session *tls;
	struct cmsghdr *cm;
	long space;
	kssize_t resid;
	int atomic, clen, error, pr_send_flag, state, tls_enq_cnt;
	int tls_send_flag;
	uint8_t tls_rtype;

	tls = NULL;
	tls_rtype = TLS_RLTYPE_APP;
	tls_enq_cnt = 0;
	clen = 0;
	atomic = top != NULL;
	if (uio != NULL)
		resid = uio->uio_resid;
	else
		resid = m_length(top, NULL);
	if (resid < 0 || (so->so_type == SOCK_STREAM &&
	    (flags & MSG_EOR) != 0)) {
		error = EINVAL;
		goto out;
	}
	if (control != NULL)
		clen = control->m_len;

	mtx_lock(&so->so_snd_sx);

	tls_send_flag = 0;
	SOCK_SENDBUF_LOCK(so);
	tls = ktls_hold(so->so_snd.sb_tls_info);
	SOCK_SENDBUF_UNLOCK(so);
	if (tls != NULL) {
		if (tls->mode == TCP_TLS_MODE_SW)
			tls_send_flag = PRUS_NOTREADY;

		/*
		 * TLS_SET_RECORD_TYPE: the data goes out as one record of
		 * the given type.  FreeBSD looks only at cmsg_type; the
		 * level is checked too here (see docs/differences.md).
		 */
		if (control != NULL) {
			cm = mtod(control, struct cmsghdr *);
			if ((size_t)clen >= sizeof(*cm) &&
			    cm->cmsg_level == IPPROTO_TCP &&
			    cm->cmsg_type == TLS_SET_RECORD_TYPE) {
				if (cm->cmsg_len < CMSG_LEN(1) ||
				    (size_t)clen < CMSG_LEN(1)) {
					error = EINVAL;
					goto release;
				}
				tls_rtype = *(uint8_t *)CMSG_DATA(cm);
				clen = 0;
				m_freem(control);
				control = NULL;
				atomic = 1;
			}
		}

		/* Only TLS 1.0 CBC may send an empty record. */
		if (resid == 0 && !ktls_permit_empty_frames(tls)) {
			error = EINVAL;
			goto release;
		}
	}

restart:
	do {
		SOCK_LOCK(so);
		state = so->so_state;
		SOCK_UNLOCK(so);

		SOCK_SENDBUF_LOCK(so);
		if ((so->so_snd.sb_state & SBS_CANTSENDMORE) != 0) {
			SOCK_SENDBUF_UNLOCK(so);
			error = EPIPE;
			goto release;
		}
		if (so->so_error != 0) {
			error = so->so_error;
			so->so_error = 0;
			SOCK_SENDBUF_UNLOCK(so);
			goto release;
		}
		if ((state & SS_ISCONNECTED) == 0) {
			if ((so->so_proto->pr_flags & PR_CONNREQUIRED) != 0) {
				if (!(resid == 0 && clen != 0)) {
					SOCK_SENDBUF_UNLOCK(so);
					error = ENOTCONN;
					goto release;
				}
			} else if (addr == NULL) {
				SOCK_SENDBUF_UNLOCK(so);
				error = EDESTADDRREQ;
				goto release;
			}
		}
		space = sbspace(&so->so_snd);
		if ((atomic && resid > so->so_snd.sb_hiwat) ||
		    (u_int)clen > so->so_snd.sb_hiwat) {
			SOCK_SENDBUF_UNLOCK(so);
			error = EMSGSIZE;
			goto release;
		}
		/*
		 * Not enough room.  (space <= 0 too: m_uiotombuf() takes a
		 * length of 0 to mean "everything".)
		 */
		if (space < resid + clen && (atomic || space <= 0 ||
		    space < so->so_snd.sb_lowat || space < clen)) {
			if ((state & SS_NBIO) != 0 ||
			    (flags & (MSG_NBIO | MSG_DONTWAIT)) != 0) {
				SOCK_SENDBUF_UNLOCK(so);
				error = EWOULDBLOCK;
				goto release;
			}
			error = sbwait_snd(so);
			SOCK_SENDBUF_UNLOCK(so);
			if (error != 0)
				goto release;
			goto restart;
		}
		SOCK_SENDBUF_UNLOCK(so);
		space -= clen;
		do {
			if (uio == NULL) {
				resid = 0;
				if (tls != NULL) {
					ktls_frame(top, tls, &tls_enq_cnt,
					    tls_rtype);
					tls_rtype = TLS_RLTYPE_APP;
				}
			} else {
				/*
				 * One unmapped mbuf per record of at most
				 * max_frame_len bytes, no more than fits.
				 */
				if (tls != NULL) {
					top = m_uiotombuf(uio, M_WAITOK, space,
					    tls->params.max_frame_len, M_EXTPG);
					if (top != NULL)
						ktls_frame(top, tls,
						    &tls_enq_cnt, tls_rtype);
					tls_rtype = TLS_RLTYPE_APP;
				} else
					top = m_uiotombuf(uio, M_WAITOK, space,
					    0, 0);
				if (top == NULL) {
					error = EFAULT;
					goto release;
				}
				space -= resid - uio->uio_resid;
				resid = uio->uio_resid;
			}

			pr_send_flag = (flags & MSG_OOB) != 0 ? PRUS_OOB :
			    ((flags & MSG_MORETOCOME) != 0 ||
			    (resid > 0 && space > 0)) ? PRUS_MORETOCOME : 0;
			pr_send_flag |= tls_send_flag;

			error = so->so_proto->pr_send(so, pr_send_flag, top,
			    addr, control);

			/*
			 * A protocol keeps not-ready data it refused; the
			 * records go back here.  Accepted ones go to a
			 * worker, which holds the socket until it is done.
			 */
			if (tls != NULL && tls->mode == TCP_TLS_MODE_SW) {
				if (error != 0)
					m_freem(top);
				else {
					soref(so);
					ktls_enqueue(top, so, tls_enq_cnt);
				}
			}
			clen = 0;
			control = NULL;
			top = NULL;
			if (error != 0)
				goto release;
		} while (resid != 0 && space > 0);
	} while (resid != 0);

release:
	mtx_unlock(&so->so_snd_sx);
out:
	if (tls != NULL)
		ktls_free(tls);
	if (top != NULL)
		m_freem(top);
	if (control != NULL)
		m_freem(control);
	return (error);
}

/* ---- socket options ----------------------------------------------------- */

int
sooptcopyin(struct sockopt *sopt, void *buf, size_t len, size_t minlen)
{
	size_t valsize;

	if (sopt->sopt_valsize < minlen)
		return (EINVAL);
	valsize = MIN(sopt->sopt_valsize, len);
	if (valsize != 0 && sopt->sopt_val == NULL)
		return (EFAULT);
	if (valsize != 0)
		memcpy(buf, sopt->sopt_val, valsize);
	return (0);
}

int
sooptcopyout(struct sockopt *sopt, const void *buf, size_t len)
{
	size_t valsize;

	valsize = MIN(len, sopt->sopt_valsize);
	sopt->sopt_valsize = valsize;
	if (valsize != 0) {
		if (sopt->sopt_val == NULL)
			return (EFAULT);
		memcpy(sopt->sopt_val, buf, valsize);
	}
	return (0);
}

/* SO_SNDBUF, SO_RCVBUF, SO_SNDLOWAT (FreeBSD's sbsetopt()). */
static int
sbsetopt(struct socket *so, int name, u_int cc)
{
	struct sockbuf *sb;
	int error;

	sb = name == SO_RCVBUF ? &so->so_rcv : &so->so_snd;
	error = 0;
	SOCKBUF_LOCK(sb);
	switch (name) {
	case SO_SNDBUF:
	case SO_RCVBUF:
		if (!sbreserve_locked(sb, cc))
			error = ENOBUFS;
		else
			sb->sb_flags &= ~SB_AUTOSIZE;
		break;
	case SO_SNDLOWAT:
		sb->sb_lowat = MIN(cc, sb->sb_hiwat);
		break;
	}
	SOCKBUF_UNLOCK(sb);
	return (error);
}

int
sosetopt(struct socket *so, struct sockopt *sopt)
{
	int error, optval;

	if (sopt->sopt_level != SOL_SOCKET) {
		if (so->so_proto->pr_ctloutput != NULL)
			return (so->so_proto->pr_ctloutput(so, sopt));
		return (ENOPROTOOPT);
	}
	switch (sopt->sopt_name) {
	case SO_SNDBUF:
	case SO_RCVBUF:
	case SO_SNDLOWAT:
		error = sooptcopyin(sopt, &optval, sizeof(optval),
		    sizeof(optval));
		if (error != 0)
			return (error);
		if (optval < 1)
			return (EINVAL);
		return (sbsetopt(so, sopt->sopt_name, (u_int)optval));
	default:
		return (ENOPROTOOPT);
	}
}

int
sogetopt(struct socket *so, struct sockopt *sopt)
{
	int optval;

	if (sopt->sopt_level != SOL_SOCKET) {
		if (so->so_proto->pr_ctloutput != NULL)
			return (so->so_proto->pr_ctloutput(so, sopt));
		return (ENOPROTOOPT);
	}
	switch (sopt->sopt_name) {
	case SO_SNDBUF:
		SOCK_SENDBUF_LOCK(so);
		optval = (int)so->so_snd.sb_hiwat;
		SOCK_SENDBUF_UNLOCK(so);
		break;
	case SO_RCVBUF:
		SOCK_RECVBUF_LOCK(so);
		optval = (int)so->so_rcv.sb_hiwat;
		SOCK_RECVBUF_UNLOCK(so);
		break;
	case SO_SNDLOWAT:
		SOCK_SENDBUF_LOCK(so);
		optval = (int)so->so_snd.sb_lowat;
		SOCK_SENDBUF_UNLOCK(so);
		break;
	case SO_ERROR:
		SOCK_SENDBUF_LOCK(so);
		optval = so->so_error;
		so->so_error = 0;
		SOCK_SENDBUF_UNLOCK(so);
		break;
	case SO_TYPE:
		optval = so->so_type;
		break;
	default:
		return (ENOPROTOOPT);
	}
	return (sooptcopyout(sopt, &optval, sizeof(optval)));
}
