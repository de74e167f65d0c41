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
 * Receiving.  soreceive() is FreeBSD's soreceive_generic() for a stream:
 * it copies what is ready on so_rcv, or waits (sbwait_rcv(), which like
 * sbwait_snd() fails at once when no thread could deliver anything).  A
 * KTLS receive buffer (SB_TLS_RX) holds one record per decrypted TLS
 * record: a TLS_GET_RECORD control mbuf, then the plaintext with M_EOR on
 * its last mbuf.  A read then returns at most one record, with MSG_EOR
 * when it reaches the record's end, and the control message if asked for
 * it.  MSG_TLSAPPDATA refuses a record that is not application data
 * (ENXIO) and leaves it queued.  End of file comes only when nothing is
 * left that could still become a record: no record being decrypted, and
 * no whole record waiting on sb_mtls.
 *
 * Locking.  so_lock protects so_state and so_options; so_snd's lock
 * protects so_snd and so_error; so_snd_sx serializes senders and
 * so_rcv_sx readers (FreeBSD's SOCK_IO_SEND_LOCK / SOCK_IO_RECV_LOCK).
 * The receive side holds so_rcv's lock when it reads or sets so_error, so
 * it takes so_snd's inside it (FreeBSD's order); nothing takes them the
 * other way round, and so_lock is never held with either.
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
#include "sys/syscallsubr.h"
#include "sys/testhooks.h"

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
	mtx_init(&so->so_rcv_sx, "so_rcv_sx", NULL, MTX_DEF);
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
	mtx_destroy(&so->so_rcv_sx);
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
	/* The protocol first: TCP resets a peer whose data goes unread. */
	if (so->so_proto->pr_close != NULL)
		so->so_proto->pr_close(so);
	/*
	 * Nobody can read any more: drop what was received now.  A record
	 * being decrypted is discarded with it (its worker holds the socket
	 * and throws the result away).
	 */
	sorflush(so);
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

	socantrcvmore(so);

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
	/* TCP: the network moves while we wait (netinet/tcp_usrreq.c). */
	if (so->so_proto->pr_wait != NULL)
		return (so->so_proto->pr_wait(so, &so->so_snd));
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
			/*
			 * sendto() on a protocol with an implied open goes
			 * to the protocol, which checks the address.
			 */
			if ((so->so_proto->pr_flags & PR_CONNREQUIRED) != 0 &&
			    (so->so_proto->pr_flags & PR_IMPLOPCL) == 0) {
				if (!(resid == 0 && clen != 0)) {
					SOCK_SENDBUF_UNLOCK(so);
					error = ENOTCONN;
					goto release;
				}
			} else if (addr == NULL) {
				SOCK_SENDBUF_UNLOCK(so);
				error = (so->so_proto->pr_flags &
				    PR_CONNREQUIRED) != 0 ? ENOTCONN :
				    EDESTADDRREQ;
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

/* ---- receiving ---------------------------------------------------------- */

void
sorwakeup_locked(struct socket *so)
{

	SOCKBUF_LOCK_ASSERT(&so->so_rcv);
	so->so_rcv.sb_flags &= ~SB_WAIT;
	cv_broadcast(&so->so_rcv_cv);
}

/*
 * Wait for data (sbwait()).  Returns with the lock held; 0 when woken,
 * EWOULDBLOCK when no worker thread exists: the caller is the only
 * thread, and whatever could deliver data (the run loop, a test feeding
 * the buffer) cannot run while it sleeps.
 */
int
sbwait_rcv(struct socket *so)
{

	SOCKBUF_LOCK_ASSERT(&so->so_rcv);
	if (so->so_proto->pr_wait != NULL)
		return (so->so_proto->pr_wait(so, &so->so_rcv));
	if (khost_workers() == 0)
		return (EWOULDBLOCK);
	so->so_rcv.sb_flags |= SB_WAIT;
	cv_wait(&so->so_rcv_cv, &so->so_rcv_mtx);
	return (0);
}

void
socantrcvmore_locked(struct socket *so)
{

	SOCKBUF_LOCK_ASSERT(&so->so_rcv);
	so->so_rcv.sb_state |= SBS_CANTRCVMORE;
	/* Part of a record still on sb_mtls will never complete now. */
	if ((so->so_rcv.sb_flags & SB_TLS_RX) != 0 &&
	    so->so_rcv.sb_tls_info != NULL)
		ktls_check_rx(&so->so_rcv);
	sorwakeup_locked(so);
}

void
socantrcvmore(struct socket *so)
{

	SOCK_RECVBUF_LOCK(so);
	socantrcvmore_locked(so);
	SOCK_RECVBUF_UNLOCK(so);
}

/*
 * Throw away everything received: readers are woken first (they see
 * CANTRCVMORE and leave), then, with the reader lock, the buffer is
 * flushed: sb_mb, the record being decrypted (sb_tlsdcc) and sb_mtls.
 */
void
sorflush(struct socket *so)
{

	socantrcvmore(so);
	mtx_lock(&so->so_rcv_sx);
	SOCK_RECVBUF_LOCK(so);
	sbflush_locked(&so->so_rcv);
	SOCK_RECVBUF_UNLOCK(so);
	mtx_unlock(&so->so_rcv_sx);
}

/* so_error (so_snd's lock guards it) from the receive side. */
static int
so_error_take(struct socket *so, bool clear)
{
	int error;

	SOCKBUF_LOCK_ASSERT(&so->so_rcv);
	SOCK_SENDBUF_LOCK(so);
	error = so->so_error;
	if (clear)
		so->so_error = 0;
	SOCK_SENDBUF_UNLOCK(so);
	return (error);
}

/*
 * After the first mbuf of the first record was replaced or removed: put
 * the link to the next record back and fix the tail pointers.
 */
static void
sockbuf_pushsync(struct sockbuf *sb, struct mbuf *nextrecord)
{

	SOCKBUF_LOCK_ASSERT(sb);
	if (sb->sb_mb != NULL)
		sb->sb_mb->m_nextpkt = nextrecord;
	else
		sb->sb_mb = nextrecord;
	if (sb->sb_mb == NULL) {
		sb->sb_mbtail = NULL;
		sb->sb_lastrecord = NULL;
	} else if (sb->sb_mb->m_nextpkt == NULL)
		sb->sb_lastrecord = sb->sb_mb;
}

/*
 * KTLS: could anything still on the buffer become a record?  Only a
 * record being decrypted or one queued for a worker (ktls_check_rx()
 * queues every whole record).  What is left on sb_mtls besides is part
 * of a record that the peer will never finish.
 */
static bool
soreceive_tls_pending(struct sockbuf *sb)
{

	return ((sb->sb_flags & SB_TLS_RX) != 0 && (sb->sb_tlsdcc != 0 ||
	    (sb->sb_flags & SB_TLS_RX_RUNNING) != 0));
}

/* Is control mbuf m the TLS_GET_RECORD of a record not application data? */
static bool
soreceive_tls_nonapp(struct mbuf *m)
{
	struct tls_get_record tgr;
	struct cmsghdr *cmsg;

	if (m->m_len < (int)CMSG_LEN(sizeof(tgr)))
		return (false);
	cmsg = mtod(m, struct cmsghdr *);
	if (cmsg->cmsg_type != TLS_GET_RECORD ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(tgr)))
		return (false);
	memcpy(&tgr, CMSG_DATA(cmsg), sizeof(tgr));
	return (tgr.tls_type != TLS_RLTYPE_APP);
}

/*
 * A peek without a control buffer that finds an empty TLS record: the
 * first data of a later record, skipping empty records as a read would,
 * or NULL when only empty records are queued.  *refuse: MSG_TLSAPPDATA
 * met a record that is not application data first.
 */
static struct mbuf *
soreceive_peek_data(struct mbuf *rec, int flags, bool *refuse)
{
	struct mbuf *m;

	*refuse = false;
	for (; rec != NULL; rec = rec->m_nextpkt) {
		if ((flags & MSG_TLSAPPDATA) != 0 &&
		    rec->m_type == MT_CONTROL && soreceive_tls_nonapp(rec)) {
			*refuse = true;
			return (NULL);
		}
		for (m = rec; m != NULL && m->m_type == MT_CONTROL;
		    m = m->m_next)
			;
		if (m != NULL)
			return (m);
	}
	return (NULL);
}

/*
 * Receive on a stream socket (FreeBSD's soreceive_generic(), without
 * addresses, out-of-band data or atomic protocols).
 *
 * Blocks (see sbwait_rcv()) until there is data, an error, or the end of
 * the stream, unless non-blocking (EWOULDBLOCK).  A pending so_error is
 * returned (and cleared) only when nothing is left to read before it.
 * Then copies data until uio is full or the record ends: a KTLS buffer
 * returns at most one record per call, with MSG_EOR when its last byte
 * is read.  Control mbufs at the head of the record go to *controlp (or
 * are freed when controlp is NULL).
 *
 * Where it differs from FreeBSD (docs/differences.md): a record with no
 * data (an empty TLS record) returns 0 bytes with MSG_EOR when the caller
 * takes control messages, and is skipped when it does not (a peek looks
 * past it), so that an empty record never reads as the end of the
 * stream; MSG_TLSAPPDATA
 * refuses every record that is not application data, not only alerts.
 */
int
soreceive(struct socket *so, struct uio *uio, struct mbuf **controlp,
    int *flagsp)
{
	struct sockbuf *sb;
	struct mbuf *cm, **cme, **ctlp, *m, *nextrecord;
	kssize_t len, orig_resid;
	int error, flags, moff, soerr, state;
	bool consumed, refuse;

	sb = &so->so_rcv;
	flags = flagsp != NULL ? *flagsp & ~MSG_EOR : 0;
	if (controlp != NULL)
		*controlp = NULL;
	/* TCP keeps no out-of-band data here (tcp_usr_rcvoob()). */
	if ((flags & MSG_OOB) != 0)
		return (EINVAL);
	ctlp = controlp;
	error = 0;
	consumed = false;
	mtx_lock(&so->so_rcv_sx);

restart:
	orig_resid = uio->uio_resid;
	SOCK_LOCK(so);
	state = so->so_state;
	SOCK_UNLOCK(so);
	SOCK_RECVBUF_LOCK(so);
	m = sb->sb_mb;
	if (m == NULL || ((flags & MSG_DONTWAIT) == 0 &&
	    sbavail(sb) < uio->uio_resid && sbavail(sb) < sb->sb_lowat &&
	    m->m_nextpkt == NULL)) {
		soerr = so_error_take(so, m == NULL &&
		    (flags & MSG_PEEK) == 0);
		if (soerr != 0) {
			if (m != NULL)
				goto dontblock;
			error = soerr;
			SOCK_RECVBUF_UNLOCK(so);
			goto release;
		}
		if ((sb->sb_state & SBS_CANTRCVMORE) != 0) {
			if (m != NULL)
				goto dontblock;
			if (!soreceive_tls_pending(sb)) {
				/* The end of the stream. */
				SOCK_RECVBUF_UNLOCK(so);
				goto release;
			}
		}
		for (; m != NULL; m = m->m_next)
			if ((m->m_flags & M_EOR) != 0) {
				m = sb->sb_mb;
				goto dontblock;
			}
		if ((state & (SS_ISCONNECTED | SS_ISCONNECTING |
		    SS_ISDISCONNECTING | SS_ISDISCONNECTED)) == 0 &&
		    (so->so_proto->pr_flags & PR_CONNREQUIRED) != 0) {
			SOCK_RECVBUF_UNLOCK(so);
			error = ENOTCONN;
			goto release;
		}
		if (uio->uio_resid == 0) {
			SOCK_RECVBUF_UNLOCK(so);
			goto release;
		}
		if ((state & SS_NBIO) != 0 ||
		    (flags & (MSG_DONTWAIT | MSG_NBIO)) != 0) {
			SOCK_RECVBUF_UNLOCK(so);
			error = EWOULDBLOCK;
			goto release;
		}
		error = sbwait_rcv(so);
		SOCK_RECVBUF_UNLOCK(so);
		if (error != 0)
			goto release;
		goto restart;
	}

dontblock:
	SOCKBUF_LOCK_ASSERT(sb);
	KASSERT(m == sb->sb_mb, ("%s: m %p is not sb_mb %p", __func__, m,
	    sb->sb_mb));
	nextrecord = m->m_nextpkt;

	if (m->m_type == MT_CONTROL) {
		/* Leave a record that is not application data queued. */
		if ((flags & MSG_TLSAPPDATA) != 0 && soreceive_tls_nonapp(m)) {
			SOCK_RECVBUF_UNLOCK(so);
			error = ENXIO;
			goto release;
		}
		cm = NULL;
		cme = &cm;
		do {
			if ((flags & MSG_PEEK) != 0) {
				if (ctlp != NULL) {
					*ctlp = m_copym(m, 0, m->m_len,
					    M_NOWAIT);
					if (*ctlp != NULL)
						ctlp = &(*ctlp)->m_next;
				}
				m = m->m_next;
			} else {
				sbfree(sb, m);
				sb->sb_mb = m->m_next;
				m->m_next = NULL;
				*cme = m;
				cme = &m->m_next;
				m = sb->sb_mb;
			}
		} while (m != NULL && m->m_type == MT_CONTROL);
		if ((flags & MSG_PEEK) == 0) {
			sockbuf_pushsync(sb, nextrecord);
			consumed = true;
			if (ctlp != NULL) {
				*ctlp = cm;
				while (*ctlp != NULL)
					ctlp = &(*ctlp)->m_next;
			} else
				m_freem(cm);
			nextrecord = m != NULL ? sb->sb_mb->m_nextpkt :
			    sb->sb_mb;
		}
		orig_resid = 0;
		if (m == NULL) {
			/*
			 * A record of control only: an empty TLS record.
			 * Reported as a whole record to whoever takes the
			 * control message; skipped otherwise, so that a
			 * read() does not return 0 before the end.
			 */
			if (controlp == NULL && (flags & MSG_PEEK) == 0) {
				SOCK_RECVBUF_UNLOCK(so);
				goto restart;
			}
			if (controlp != NULL)
				flags |= MSG_EOR;
			else {
				/*
				 * A peek without a control buffer looks past
				 * it the same way, taking nothing: 0 is still
				 * only the end.
				 */
				m = soreceive_peek_data(nextrecord, flags,
				    &refuse);
				if (refuse)
					error = ENXIO;
				else if (m == NULL)
					error = so_error_take(so, false);
				if (error == 0 && m == NULL &&
				    ((sb->sb_state & SBS_CANTRCVMORE) == 0 ||
				    soreceive_tls_pending(sb))) {
					if ((state & SS_NBIO) != 0 ||
					    (flags & (MSG_DONTWAIT |
					    MSG_NBIO)) != 0)
						error = EWOULDBLOCK;
					else {
						error = sbwait_rcv(so);
						SOCK_RECVBUF_UNLOCK(so);
						if (error != 0)
							goto release;
						goto restart;
					}
				}
				if (m == NULL) {
					SOCK_RECVBUF_UNLOCK(so);
					goto release;
				}
			}
		}
	}

	moff = 0;
	while (m != NULL && (m->m_flags & M_NOTAVAIL) == 0 &&
	    uio->uio_resid > 0 && error == 0) {
		/* The next record's control message ends this read. */
		if (m->m_type == MT_CONTROL)
			break;
		KASSERT((m->m_flags & M_EXTPG) == 0,
		    ("%s: unmapped mbuf %p on so_rcv", __func__, m));
		len = uio->uio_resid;
		if (len > m->m_len - moff)
			len = m->m_len - moff;
		/*
		 * Copy without the buffer lock; the reader lock keeps
		 * anyone else from taking these mbufs meanwhile.
		 */
		SOCK_RECVBUF_UNLOCK(so);
		error = uiomove(mtod(m, char *) + moff, (int)len, uio);
		SOCK_RECVBUF_LOCK(so);
		if (error != 0)
			break;
		if (len == m->m_len - moff) {
			if ((m->m_flags & M_EOR) != 0)
				flags |= MSG_EOR;
			if ((flags & MSG_PEEK) != 0) {
				m = m->m_next;
				moff = 0;
			} else {
				nextrecord = m->m_nextpkt;
				sbfree(sb, m);
				sb->sb_mb = m_free(m);
				m = sb->sb_mb;
				sockbuf_pushsync(sb, nextrecord);
				consumed = true;
			}
		} else {
			if ((flags & MSG_PEEK) != 0)
				moff += len;
			else {
				(void)sbcut_locked(sb, (int)len);
				consumed = true;
			}
		}
		if ((flags & MSG_EOR) != 0)
			break;
		/*
		 * MSG_WAITALL on a stream: wait for the rest unless an
		 * error or the end of the stream comes first.
		 */
		while ((flags & MSG_WAITALL) != 0 && m == NULL &&
		    uio->uio_resid > 0 && nextrecord == NULL &&
		    (sb->sb_flags & SB_TLS_RX) == 0) {
			if ((sb->sb_state & SBS_CANTRCVMORE) != 0 ||
			    so_error_take(so, false) != 0)
				break;
			error = sbwait_rcv(so);
			if (error != 0)
				break;
			m = sb->sb_mb;
			if (m != NULL)
				nextrecord = m->m_nextpkt;
		}
	}

	if ((flags & MSG_PEEK) == 0 && m == NULL) {
		sb->sb_mb = nextrecord;
		if (sb->sb_mb == NULL) {
			sb->sb_mbtail = NULL;
			sb->sb_lastrecord = NULL;
		} else if (nextrecord->m_nextpkt == NULL)
			sb->sb_lastrecord = nextrecord;
	}
#ifdef INVARIANTS
	SBCHECK(sb);
#endif
	if (error == 0 && orig_resid == uio->uio_resid && orig_resid != 0 &&
	    (flags & MSG_EOR) == 0 &&
	    (sb->sb_state & SBS_CANTRCVMORE) == 0) {
		SOCK_RECVBUF_UNLOCK(so);
		goto restart;
	}
	SOCK_RECVBUF_UNLOCK(so);
	if (flagsp != NULL)
		*flagsp |= flags;

release:
	/* Tell the protocol that space opened up (a window update). */
	if (consumed && so->so_proto->pr_rcvd != NULL)
		(void)so->so_proto->pr_rcvd(so, flags);
	mtx_unlock(&so->so_rcv_sx);
	return (error);
}

/*
 * shutdown(2).  SHUT_RD discards what was received (sorflush()); SHUT_WR
 * ends the sending side through the protocol (a FIN), or by itself when
 * the protocol has no pr_shutdown.
 */
int
soshutdown(struct socket *so, int how)
{
	int error, state;

	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return (EINVAL);
	SOCK_LOCK(so);
	state = so->so_state;
	SOCK_UNLOCK(so);
	if ((state & (SS_ISCONNECTED | SS_ISCONNECTING |
	    SS_ISDISCONNECTING)) == 0)
		return (ENOTCONN);
	error = 0;
	if (how != SHUT_WR)
		sorflush(so);
	if (how != SHUT_RD) {
		if (so->so_proto->pr_shutdown != NULL)
			error = so->so_proto->pr_shutdown(so);
		else {
			SOCK_SENDBUF_LOCK(so);
			so->so_snd.sb_state |= SBS_CANTSENDMORE;
			sowwakeup_locked(so);
			SOCK_SENDBUF_UNLOCK(so);
		}
	}
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

/* ---- test accessors for the receive buffer (sys/testhooks.h) ------------ */

/*
 * One received packet as a driver and tcp_input would hand it over: a
 * packet header mbuf, and clusters for what does not fit in it.  The
 * bytes come off the "wire", so the copy is not a payload copy.
 */
static struct mbuf *
kt_rcv_packet(const uint8_t *p, int len)
{
	struct mbuf *m, *top, **mp;
	int n, total;

	top = NULL;
	mp = &top;
	total = len;
	do {
		if (top == NULL)
			m = len > MHLEN ? m_getcl(M_WAITOK, MT_DATA, M_PKTHDR) :
			    m_gethdr(M_WAITOK, MT_DATA);
		else
			m = len > MLEN ? m_getcl(M_WAITOK, MT_DATA, 0) :
			    m_get(M_WAITOK, MT_DATA);
		n = MIN(len, M_TRAILINGSPACE(m));
		if (n > 0)
			memcpy(mtod(m, void *), p, n);
		m->m_len = n;
		p += n;
		len -= n;
		*mp = m;
		mp = &m->m_next;
	} while (len > 0);
	top->m_pkthdr.len = total;
	return (top);
}

int
kern_test_rcvbuf_inject(int fd, const void *buf, size_t len, size_t *taken)
{
	struct socket *so;
	struct mbuf *m;
	size_t n;
	int error;

	*taken = 0;
	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	SOCK_RECVBUF_LOCK(so);
	if ((so->so_rcv.sb_state & SBS_CANTRCVMORE) != 0)
		n = 0;
	else
		n = MIN(len, (size_t)sbspace(&so->so_rcv));
	SOCK_RECVBUF_UNLOCK(so);
	if (n > INT32_MAX / 2)
		n = INT32_MAX / 2;
	m = n > 0 ? kt_rcv_packet(buf, (int)n) : NULL;

	SOCK_RECVBUF_LOCK(so);
	if ((so->so_rcv.sb_state & SBS_CANTRCVMORE) != 0) {
		/* tcp_input drops data the socket can no longer take. */
		SOCK_RECVBUF_UNLOCK(so);
		m_freem(m);
		*taken = len;
		sorele(so);
		return (0);
	}
	if (m != NULL) {
		sbappendstream_locked(&so->so_rcv, m, 0);
#ifdef INVARIANTS
		SBCHECK(&so->so_rcv);
#endif
		sorwakeup_locked(so);
	}
	SOCK_RECVBUF_UNLOCK(so);
	*taken = n;
	sorele(so);
	return (0);
}

int
kern_test_rcv_eof(int fd)
{
	struct socket *so;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	socantrcvmore(so);
	sorele(so);
	return (0);
}

int
kern_test_rcvbuf_cut(int fd, int how, size_t len)
{
	struct socket *so;
	struct mbuf *mfree;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	mtx_lock(&so->so_rcv_sx);
	SOCK_RECVBUF_LOCK(so);
	mfree = NULL;
	if (how != KT_CUT_FLUSH && len > so->so_rcv.sb_ccc)
		error = EINVAL;
	else if (how == KT_CUT_DROP)
		sbdrop_locked(&so->so_rcv, (int)len);
	else if (how == KT_CUT_CUT)
		mfree = sbcut_locked(&so->so_rcv, (int)len);
	else if (how == KT_CUT_FLUSH)
		sbflush_locked(&so->so_rcv);
	else
		error = EINVAL;
#ifdef INVARIANTS
	SBCHECK(&so->so_rcv);
#endif
	SOCK_RECVBUF_UNLOCK(so);
	mtx_unlock(&so->so_rcv_sx);
	m_freem(mfree);
	sorele(so);
	return (error);
}

int
kern_test_rcvbuf_info(int fd, struct kt_rcvinfo *info)
{
	struct socket *so;
	struct sockbuf *sb;
	struct mbuf *m;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	memset(info, 0, sizeof(*info));
	sb = &so->so_rcv;
	SOCK_RECVBUF_LOCK(so);
	info->acc = sb->sb_acc;
	info->ccc = sb->sb_ccc;
	info->ctl = sb->sb_ctl;
	info->mbcnt = sb->sb_mbcnt;
	info->hiwat = sb->sb_hiwat;
	info->mbmax = sb->sb_mbmax;
	info->tlscc = sb->sb_tlscc;
	info->tlsdcc = sb->sb_tlsdcc;
	info->space = sbspace(sb);
	info->tls_seqno = sb->sb_tls_seqno;
	info->sb_flags = (int)sb->sb_flags;
	info->sb_state = (int)sb->sb_state;
	info->so_error = so_error_take(so, false);
	for (m = sb->sb_mb; m != NULL; m = m->m_nextpkt)
		info->nrecords++;
	for (m = sb->sb_mtls; m != NULL; m = m->m_next)
		info->nmtls++;
	SOCK_RECVBUF_UNLOCK(so);
	sorele(so);
	return (0);
}

static void
kt_rdesc_fill(struct kt_rdesc *d, struct mbuf *m, int mtls, int record)
{
	struct tls_get_record tgr;
	struct cmsghdr *cm;

	memset(d, 0, sizeof(*d));
	d->mtls = mtls;
	d->record = record;
	d->len = m->m_len;
	d->flags = m->m_flags;
	d->type = m->m_type;
	if (m->m_type != MT_CONTROL || m->m_len < (int)CMSG_LEN(sizeof(tgr)))
		return;
	cm = mtod(m, struct cmsghdr *);
	if (cm->cmsg_level != IPPROTO_TCP || cm->cmsg_type != TLS_GET_RECORD)
		return;
	memcpy(&tgr, CMSG_DATA(cm), sizeof(tgr));
	d->tgr = 1;
	d->tls_type = tgr.tls_type;
	d->tls_vmajor = tgr.tls_vmajor;
	d->tls_vminor = tgr.tls_vminor;
	d->tls_length = (((const uint8_t *)&tgr.tls_length)[0] << 8) |
	    ((const uint8_t *)&tgr.tls_length)[1];
}

int
kern_test_rcvbuf_describe(int fd, struct kt_rdesc *d, int max, int *n)
{
	struct socket *so;
	struct mbuf *m, *rec;
	int error, i, r;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	i = 0;
	SOCK_RECVBUF_LOCK(so);
	for (rec = so->so_rcv.sb_mb, r = 0; rec != NULL;
	    rec = rec->m_nextpkt, r++)
		for (m = rec; m != NULL; m = m->m_next, i++)
			if (i < max)
				kt_rdesc_fill(&d[i], m, 0, r);
	for (m = so->so_rcv.sb_mtls; m != NULL; m = m->m_next, i++)
		if (i < max)
			kt_rdesc_fill(&d[i], m, 1, -1);
	SOCK_RECVBUF_UNLOCK(so);
	*n = i;
	sorele(so);
	return (0);
}
