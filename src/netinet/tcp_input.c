/*-
 * TCP input (FreeBSD's tcp_input.c and tcp_reass.c, reduced): checksum,
 * demultiplexing, the handshake, ACK processing, the receive window,
 * reassembly of out-of-order data, FIN and RST, RFC 9293 section 3.10.7
 * in FreeBSD's shape.
 *
 * Design note.  In-order data is appended to so_rcv with
 * sbappendstream(): on a KTLS receive socket that puts it on sb_mtls and
 * may schedule decryption, which is why the window is sbspace(), counting
 * encrypted bytes not yet decrypted.  A segment that arrives ahead of
 * rcv_nxt waits in the reassembly queue (t_segq), trimmed so that queued
 * segments never overlap, and is delivered once the hole before it is
 * filled, FIN included.  Data that arrives for a closed descriptor gets
 * a reset (RFC 1122 section 4.2.2.13).
 *
 * ACKs free what they cover from so_snd (sbdrop()) and wake writers.
 * Three duplicate ACKs retransmit the first unacknowledged segment at
 * once (fast retransmit); until everything sent before it is covered,
 * each partial ACK retransmits the next hole (NewReno, RFC 6582, with no
 * congestion window to halve).  After a retransmission timeout snd_cwnd
 * starts at one segment and grows by one per ACK, so that what the
 * receiver already queued is not sent again wholesale.
 *
 * Delayed ACKs: every second in-order segment is acknowledged at once,
 * the first after TCPTV_DELACK; anything out of order, a FIN, or a
 * duplicate is acknowledged at once.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/malloc.h"
#include "sys/mutex.h"
#include "sys/queue.h"
#include "sys/mbuf.h"
#include "sys/socket.h"
#include "sys/sockbuf.h"
#include "sys/socketvar.h"
#include "netinet/ip.h"
#include "netinet/tcp.h"
#include "netinet/tcp_var.h"

MALLOC_DEFINE(M_TSEGQ, "tseg_qent", "TCP reassembly queue entries");

static volatile u_int	tcps_rcvbadsum;

/* Options of a SYN. */
struct tcpopt {
	u_int	to_mss;		/* 0: none */
	int	to_wscale;	/* -1: none */
};

static void
tcp_dooptions(struct tcpopt *to, const uint8_t *cp, int cnt)
{
	int opt, optlen;

	to->to_mss = 0;
	to->to_wscale = -1;
	for (; cnt > 0; cnt -= optlen, cp += optlen) {
		opt = cp[0];
		if (opt == TCPOPT_EOL)
			break;
		if (opt == TCPOPT_NOP) {
			optlen = 1;
			continue;
		}
		if (cnt < 2)
			break;
		optlen = cp[1];
		if (optlen < 2 || optlen > cnt)
			break;
		switch (opt) {
		case TCPOPT_MAXSEG:
			if (optlen == TCPOLEN_MAXSEG)
				to->to_mss = (u_int)cp[2] << 8 | cp[3];
			break;
		case TCPOPT_WINDOW:
			if (optlen == TCPOLEN_WINDOW)
				to->to_wscale = MIN(cp[2], TCP_MAX_WINSHIFT);
			break;
		}
	}
}

/* ---- reassembly --------------------------------------------------------- */

void
tcp_reass_flush(struct tcpcb *tp)
{
	struct tseg_qent *q;

	while ((q = TAILQ_FIRST(&tp->t_segq)) != NULL) {
		TAILQ_REMOVE(&tp->t_segq, q, tqe_q);
		m_freem(q->tqe_m);
		kfree(q, M_TSEGQ);
	}
	tp->t_segqlen = 0;
}

/* Append in-order data to so_rcv, or drop it if nobody will read it. */
static void
tcp_deliver(struct tcpcb *tp, struct mbuf *m, int len)
{
	struct socket *so;

	so = tp->t_socket;
	tp->t_stat.rcv_pack++;
	tp->t_stat.rcv_byte += (uint64_t)len;
	SOCK_RECVBUF_LOCK(so);
	if ((so->so_rcv.sb_state & SBS_CANTRCVMORE) != 0)
		m_freem(m);
	else
		sbappendstream_locked(&so->so_rcv, m, 0);
#ifdef INVARIANTS
	SBCHECK(&so->so_rcv);
#endif
	sorwakeup_locked(so);
	SOCK_RECVBUF_UNLOCK(so);
}

/*
 * Queue the segment (seq, len, m, FIN in flags) unless m is NULL, then
 * deliver whatever now follows rcv_nxt.  Returns TH_FIN when a FIN came
 * into sequence.
 */
static int
tcp_reass(struct tcpcb *tp, tcp_seq seq, int len, struct mbuf *m, int flags)
{
	struct tseg_qent *p, *q, *nq, *te;
	int delivered, i;

	TCP_LOCK_ASSERT(tp);
	if (m == NULL)
		goto present;

	/* The first queued segment that starts after this one. */
	p = NULL;
	TAILQ_FOREACH(q, &tp->t_segq, tqe_q) {
		if (SEQ_GT(q->tqe_seq, seq))
			break;
		p = q;
	}
	/* Trim what the one before already holds. */
	if (p != NULL) {
		i = (int)(p->tqe_seq + (tcp_seq)p->tqe_len - seq);
		if (i > 0) {
			if (i >= len) {
				tp->t_stat.rcv_duppack++;
				tp->t_stat.rcv_dupbyte += (uint64_t)len;
				if ((flags & TH_FIN) != 0 && i == len)
					p->tqe_flags |= TH_FIN;
				m_freem(m);
				goto present;
			}
			m_adj(m, i);
			len -= i;
			seq += (tcp_seq)i;
		}
	}
	/* Trim or remove what this one covers of those after it. */
	while (q != NULL && SEQ_GT(seq + (tcp_seq)len, q->tqe_seq)) {
		i = (int)(seq + (tcp_seq)len - q->tqe_seq);
		if (i < q->tqe_len) {
			q->tqe_seq += (tcp_seq)i;
			q->tqe_len -= i;
			tp->t_segqlen -= i;
			m_adj(q->tqe_m, i);
			break;
		}
		nq = TAILQ_NEXT(q, tqe_q);
		if (i == q->tqe_len)
			flags |= q->tqe_flags & TH_FIN;
		TAILQ_REMOVE(&tp->t_segq, q, tqe_q);
		tp->t_segqlen -= q->tqe_len;
		m_freem(q->tqe_m);
		kfree(q, M_TSEGQ);
		q = nq;
	}
	te = kmalloc(sizeof(*te), M_TSEGQ, M_WAITOK | M_ZERO);
	te->tqe_m = m;
	te->tqe_seq = seq;
	te->tqe_len = len;
	te->tqe_flags = flags & TH_FIN;
	tp->t_segqlen += len;
	if (q != NULL)
		TAILQ_INSERT_BEFORE(q, te, tqe_q);
	else
		TAILQ_INSERT_TAIL(&tp->t_segq, te, tqe_q);

present:
	flags = 0;
	delivered = 0;
	while ((q = TAILQ_FIRST(&tp->t_segq)) != NULL &&
	    q->tqe_seq == tp->rcv_nxt) {
		TAILQ_REMOVE(&tp->t_segq, q, tqe_q);
		tp->t_segqlen -= q->tqe_len;
		tp->rcv_nxt += (tcp_seq)q->tqe_len;
		delivered += q->tqe_len;
		if (q->tqe_len > 0)
			tcp_deliver(tp, q->tqe_m, q->tqe_len);
		else
			m_freem(q->tqe_m);
		flags = q->tqe_flags;
		kfree(q, M_TSEGQ);
		if ((flags & TH_FIN) != 0)
			break;
	}
	if (delivered > 0)
		net_kick();
	return (flags & TH_FIN);
}

/* ---- input -------------------------------------------------------------- */

/*
 * A reset for a segment that has no connection (RFC 9293 section
 * 3.10.7.1): seq from its ACK, or an ACK of everything it occupied.
 */
static void
tcp_dropwithreset(in_addr_t src, in_addr_t dst, in_port_t sport,
    in_port_t dport, int thflags, tcp_seq seq, tcp_seq ack, int tlen)
{

	if ((thflags & TH_RST) != 0)
		return;
	if ((thflags & TH_ACK) != 0)
		tcp_respond(dst, src, dport, sport, ack, 0, TH_RST, NULL);
	else {
		if ((thflags & TH_SYN) != 0)
			tlen++;
		if ((thflags & TH_FIN) != 0)
			tlen++;
		tcp_respond(dst, src, dport, sport, 0, seq + (tcp_seq)tlen,
		    TH_RST | TH_ACK, NULL);
	}
}

/* A SYN for listener tp: a new socket and connection in SYN_RECEIVED. */
static void
tcp_input_listen(struct tcpcb *tp, struct ip *ip, struct tcphdr *th,
    const struct tcpopt *to)
{
	struct socket *nso;
	struct tcpcb *ntp;
	uint32_t iss;
	int full;

	mtx_lock(&tcp_acceptmtx);
	full = tp->t_qlen >= tp->t_qlimit;
	mtx_unlock(&tcp_acceptmtx);
	/* A full queue drops the SYN; the peer will try again. */
	if (full)
		return;
	nso = tcp_newconn(tp);
	if (nso == NULL)
		return;
	ntp = intotcpcb(nso);
	TCP_LOCK(ntp);
	ntp->t_laddr = ip->ip_dst.s_addr;
	ntp->t_lport = th->th_dport;
	ntp->t_faddr = ip->ip_src.s_addr;
	ntp->t_fport = th->th_sport;
	(void)tcp_list_insert(ntp);
	tcp_seed_faults(ntp);
	khost_arc4rand(&iss, sizeof(iss));
	ntp->iss = iss;
	ntp->snd_una = ntp->snd_nxt = ntp->snd_max = ntp->snd_recover = iss;
	ntp->irs = ntohl(th->th_seq);
	ntp->rcv_nxt = ntp->rcv_adv = ntp->irs + 1;
	ntp->snd_wnd = ntohs(th->th_win);
	ntp->max_sndwnd = ntp->snd_wnd;
	ntp->snd_wl1 = ntp->irs;
	ntp->snd_wl2 = iss;
	tcp_mss(ntp, to->to_mss);
	if (to->to_wscale >= 0) {
		ntp->t_flags |= TF_RCVD_SCALE;
		ntp->requested_s_scale = (u_char)to->to_wscale;
	} else
		ntp->t_flags &= ~TF_REQ_SCALE;
	ntp->t_flags |= TF_PROTOREF;
	soref(nso);
	mtx_lock(&tcp_acceptmtx);
	ntp->t_head = tp;
	ntp->t_qstate = TQ_INCOMP;
	TAILQ_INSERT_TAIL(&tp->t_incomp, ntp, t_qe);
	tp->t_qlen++;
	mtx_unlock(&tcp_acceptmtx);
	tcp_state_change(ntp, TCPS_SYN_RECEIVED);
	ntp->t_stat.rcv_total++;
	tcp_timer_activate(ntp, TT_REXMT, TCPTV_RTOBASE);
	(void)tcp_output(ntp);
	tcp_unlock(ntp);
}

/* A child of a listener completed its handshake: ready for accept(). */
static void
tcp_input_complete(struct tcpcb *tp)
{
	struct tcpcb *head;
	struct socket *hso;

	mtx_lock(&tcp_acceptmtx);
	head = tp->t_head;
	if (head != NULL && tp->t_qstate == TQ_INCOMP) {
		TAILQ_REMOVE(&head->t_incomp, tp, t_qe);
		TAILQ_INSERT_TAIL(&head->t_comp, tp, t_qe);
		tp->t_qstate = TQ_COMP;
		hso = head->t_socket;
		SOCK_RECVBUF_LOCK(hso);
		sorwakeup_locked(hso);
		SOCK_RECVBUF_UNLOCK(hso);
	}
	mtx_unlock(&tcp_acceptmtx);
}

/* Our SYN, or SYN-ACK, was acknowledged: the connection is open. */
static void
tcp_established(struct tcpcb *tp, u_long tiwin)
{

	if ((tp->t_flags & (TF_REQ_SCALE | TF_RCVD_SCALE)) ==
	    (TF_REQ_SCALE | TF_RCVD_SCALE)) {
		tp->snd_scale = tp->requested_s_scale;
		tp->rcv_scale = tp->request_r_scale;
	} else
		tp->t_flags &= ~TF_REQ_SCALE;
	(void)tiwin;
	tcp_state_change(tp, TCPS_ESTABLISHED);
	soisconnected(tp->t_socket);
	tcp_input_complete(tp);
	/* Closed (or shut down) during the handshake: the FIN goes now. */
	if ((tp->t_flags & TF_NEEDFIN) != 0) {
		tp->t_flags &= ~TF_NEEDFIN;
		tcp_state_change(tp, TCPS_FIN_WAIT_1);
	}
	net_kick();
}

/* Our FIN is acknowledged in CLOSING or FIN_WAIT_2: quiet time. */
static void
tcp_twstart(struct tcpcb *tp)
{

	tcp_timer_activate(tp, TT_REXMT, 0);
	tcp_timer_activate(tp, TT_PERSIST, 0);
	tcp_timer_activate(tp, TT_DELACK, 0);
	tcp_state_change(tp, TCPS_TIME_WAIT);
	tcp_timer_activate(tp, TT_2MSL, 2 * TCPTV_MSL);
	soisdisconnected(tp->t_socket);
}

/*
 * The segment (seq, tlen payload bytes in m, flags, tiwin as sent) for
 * the connection tp, locked, in a state other than LISTEN and CLOSED.
 * Consumes m.
 */
static void
tcp_do_segment(struct tcpcb *tp, struct ip *ip, struct tcphdr *th,
    const struct tcpopt *to, struct mbuf *m, int tlen)
{
	struct socket *so;
	tcp_seq ack, onxt, seq;
	u_long saved_cwnd, tiwin;
	long rcvwin;
	int acked, needoutput, ourfinisacked, thflags, todrop, wasrecv;

	so = tp->t_socket;
	thflags = th->th_flags;
	seq = ntohl(th->th_seq);
	ack = ntohl(th->th_ack);
	tiwin = ntohs(th->th_win);
	if ((thflags & TH_SYN) == 0)
		tiwin <<= tp->snd_scale;
	needoutput = 0;

	if (tp->t_state == TCPS_SYN_SENT) {
		if ((thflags & TH_ACK) != 0 &&
		    (SEQ_LEQ(ack, tp->iss) || SEQ_GT(ack, tp->snd_max))) {
			tcp_dropwithreset(ip->ip_src.s_addr, ip->ip_dst.s_addr,
			    th->th_sport, th->th_dport, thflags, seq, ack,
			    tlen);
			goto drop;
		}
		if ((thflags & TH_RST) != 0) {
			if ((thflags & TH_ACK) != 0)
				(void)tcp_drop(tp, ECONNREFUSED);
			goto drop;
		}
		if ((thflags & (TH_SYN | TH_ACK)) != (TH_SYN | TH_ACK))
			goto drop;	/* no simultaneous open */
		tp->irs = seq;
		tp->rcv_nxt = tp->rcv_adv = seq + 1;
		tcp_mss(tp, to->to_mss);
		if (to->to_wscale >= 0) {
			tp->t_flags |= TF_RCVD_SCALE;
			tp->requested_s_scale = (u_char)to->to_wscale;
		}
		tp->snd_una = ack;
		if (SEQ_LT(tp->snd_nxt, tp->snd_una))
			tp->snd_nxt = tp->snd_una;
		tp->snd_wnd = tiwin;
		tp->max_sndwnd = tiwin;
		tp->snd_wl1 = seq;
		tp->snd_wl2 = ack;
		tcp_timer_activate(tp, TT_REXMT, 0);
		if (tp->t_rtttime != 0 && SEQ_GT(ack, tp->t_rtseq))
			tcp_xmit_timer(tp, khost_nanotime() - tp->t_rtttime);
		tp->t_rtttime = 0;
		tp->t_rxtshift = 0;
		tcp_established(tp, tiwin);
		tp->t_flags |= TF_ACKNOW;
		(void)tcp_output(tp);
		goto drop;
	}

	/* A reset in the window ends the connection. */
	if ((thflags & TH_RST) != 0) {
		if (SEQ_GEQ(seq, tp->rcv_nxt) &&
		    SEQ_LEQ(seq, tp->rcv_nxt + (tcp_seq)MAX(tp->rcv_wnd, 1))) {
			SOCK_SENDBUF_LOCK(so);
			switch (tp->t_state) {
			case TCPS_SYN_RECEIVED:
				so->so_error = ECONNREFUSED;
				break;
			case TCPS_ESTABLISHED:
			case TCPS_FIN_WAIT_1:
			case TCPS_FIN_WAIT_2:
			case TCPS_CLOSE_WAIT:
				so->so_error = ECONNRESET;
				break;
			}
			SOCK_SENDBUF_UNLOCK(so);
			(void)tcp_close(tp);
		}
		goto drop;
	}

	/*
	 * A SYN now is a retransmission (our SYN-ACK, or the ACK of it, was
	 * lost): answer with what we would have sent.
	 */
	if ((thflags & TH_SYN) != 0) {
		if (tp->t_state == TCPS_SYN_RECEIVED && seq == tp->irs)
			tp->snd_nxt = tp->snd_una;
		else
			tp->t_flags |= TF_ACKNOW;
		(void)tcp_output(tp);
		goto drop;
	}

	/* Drop what precedes rcv_nxt: already received. */
	todrop = (int)(tp->rcv_nxt - seq);
	if (todrop > 0) {
		if (todrop > tlen ||
		    (todrop == tlen && (thflags & TH_FIN) == 0)) {
			/* All of it is old: acknowledge, so the peer knows. */
			tp->t_stat.rcv_duppack++;
			tp->t_stat.rcv_dupbyte += (uint64_t)tlen;
			tp->t_flags |= TF_ACKNOW;
			todrop = tlen;
			thflags &= ~TH_FIN;
		} else {
			tp->t_stat.rcv_dupbyte += (uint64_t)todrop;
		}
		m_adj(m, todrop);
		seq += (tcp_seq)todrop;
		tlen -= todrop;
	}

	/* New data for a descriptor that is gone: reset. */
	if ((tp->t_flags & TF_SOCLOSED) != 0 &&
	    tp->t_state > TCPS_CLOSE_WAIT && tlen > 0) {
		tcp_respond(tp->t_laddr, tp->t_faddr, tp->t_lport,
		    tp->t_fport, tp->snd_max, 0, TH_RST, tp);
		(void)tcp_close(tp);
		goto drop;
	}

	/* Drop what is beyond the window. */
	SOCK_RECVBUF_LOCK(so);
	rcvwin = sbspace(&so->so_rcv);
	SOCK_RECVBUF_UNLOCK(so);
	rcvwin = MAX(rcvwin, TCP_ADVLEFT(tp));
	todrop = (int)(seq + (tcp_seq)tlen - (tp->rcv_nxt + (tcp_seq)rcvwin));
	if (todrop > 0) {
		tp->t_stat.rcv_afterwin += (uint64_t)MIN(todrop, tlen);
		if (todrop >= tlen) {
			/*
			 * A probe of a shut window is answered with its
			 * state; anything else beyond it is just acked.
			 */
			tp->t_flags |= TF_ACKNOW;
			if (!(rcvwin == 0 && seq == tp->rcv_nxt)) {
				m_freem(m);
				m = NULL;
				goto dropafterack;
			}
		}
		m_adj(m, -todrop);
		tlen -= todrop;
		thflags &= ~(TH_PUSH | TH_FIN);
	}

	if ((thflags & TH_ACK) == 0)
		goto drop;

	wasrecv = tp->t_state == TCPS_SYN_RECEIVED;
	if (wasrecv) {
		if (SEQ_GT(tp->snd_una, ack) || SEQ_GT(ack, tp->snd_max)) {
			tcp_dropwithreset(ip->ip_src.s_addr, ip->ip_dst.s_addr,
			    th->th_sport, th->th_dport, thflags, seq, ack,
			    tlen);
			goto drop;
		}
		tcp_established(tp, tiwin);
		tiwin = (u_long)ntohs(th->th_win) << tp->snd_scale;
		tp->snd_wl1 = seq - 1;
	}

	/* ACK processing. */
	ourfinisacked = 0;
	if (SEQ_LEQ(ack, tp->snd_una)) {
		if (tlen == 0 && tiwin == tp->snd_wnd &&
		    (thflags & TH_FIN) == 0 && ack == tp->snd_una &&
		    tp->snd_max != tp->snd_una &&
		    tcp_timer_active(tp, TT_REXMT)) {
			tp->t_stat.rcv_dupack++;
			if (++tp->t_dupacks == 3 &&
			    ((tp->t_flags & TF_FASTRECOVERY) == 0 ||
			    SEQ_GEQ(ack, tp->snd_recover))) {
				/* Fast retransmit the first hole. */
				tp->t_flags |= TF_FASTRECOVERY;
				tp->snd_recover = tp->snd_max;
				tp->t_rtttime = 0;
				tp->t_stat.fast_rexmits++;
				onxt = tp->snd_nxt;
				saved_cwnd = tp->snd_cwnd;
				tp->snd_nxt = ack;
				tp->snd_cwnd = tp->t_maxseg;
				(void)tcp_output(tp);
				tp->snd_cwnd = saved_cwnd;
				if (SEQ_GT(onxt, tp->snd_nxt))
					tp->snd_nxt = onxt;
				goto drop;
			}
		} else
			tp->t_dupacks = 0;
		goto step6;
	}
	if (SEQ_GT(ack, tp->snd_max)) {
		/* An ACK for what was never sent. */
		goto dropafterack;
	}

	acked = (int)(ack - tp->snd_una);
	if (wasrecv)
		acked--;	/* our SYN */
	tp->t_dupacks = 0;
	if (tp->t_rtttime != 0 && SEQ_GT(ack, tp->t_rtseq)) {
		tcp_xmit_timer(tp, khost_nanotime() - tp->t_rtttime);
		tp->t_rtttime = 0;
	} else {
		tp->t_rxtshift = 0;
		tp->t_rxtcur = tcp_rexmtval(tp);
	}
	if (ack == tp->snd_max) {
		tcp_timer_activate(tp, TT_REXMT, 0);
		needoutput = 1;
	} else if (!tcp_timer_active(tp, TT_PERSIST))
		tcp_timer_activate(tp, TT_REXMT, tp->t_rxtcur);
	/* One segment more per ACK after a timeout, up to no limit. */
	if (tp->snd_cwnd < ((u_long)TCP_MAXWIN << TCP_MAX_WINSHIFT))
		tp->snd_cwnd += tp->t_maxseg;

	SOCK_SENDBUF_LOCK(so);
	if (acked > (int)sbavail(&so->so_snd)) {
		KASSERT((tp->t_flags & TF_SENTFIN) != 0 &&
		    acked == (int)sbavail(&so->so_snd) + 1,
		    ("%s: %d acked of %u ready", __func__, acked,
		    sbavail(&so->so_snd)));
		sbdrop_locked(&so->so_snd, (int)sbavail(&so->so_snd));
		ourfinisacked = 1;
	} else if (acked > 0)
		sbdrop_locked(&so->so_snd, acked);
#ifdef INVARIANTS
	SBCHECK(&so->so_snd);
#endif
	sowwakeup_locked(so);
	SOCK_SENDBUF_UNLOCK(so);
	tp->snd_una = ack;
	if (SEQ_LT(tp->snd_nxt, tp->snd_una))
		tp->snd_nxt = tp->snd_una;
	if (acked > 0 || ourfinisacked)
		net_kick();

	if ((tp->t_flags & TF_FASTRECOVERY) != 0) {
		if (SEQ_LT(ack, tp->snd_recover)) {
			/* A partial ACK: the next hole goes now. */
			onxt = tp->snd_nxt;
			saved_cwnd = tp->snd_cwnd;
			tp->snd_nxt = ack;
			tp->snd_cwnd = tp->t_maxseg;
			tcp_timer_activate(tp, TT_REXMT, tp->t_rxtcur);
			(void)tcp_output(tp);
			tp->snd_cwnd = saved_cwnd;
			if (SEQ_GT(onxt, tp->snd_nxt))
				tp->snd_nxt = onxt;
		} else
			tp->t_flags &= ~TF_FASTRECOVERY;
	}

	switch (tp->t_state) {
	case TCPS_FIN_WAIT_1:
		if (ourfinisacked) {
			tcp_state_change(tp, TCPS_FIN_WAIT_2);
			/* Nobody will read: do not wait for ever. */
			if ((tp->t_flags & TF_SOCLOSED) != 0)
				tcp_timer_activate(tp, TT_2MSL,
				    TCPTV_FINWAIT2);
		}
		break;
	case TCPS_CLOSING:
		if (ourfinisacked) {
			tcp_twstart(tp);
			goto drop;
		}
		break;
	case TCPS_LAST_ACK:
		if (ourfinisacked) {
			(void)tcp_close(tp);
			goto drop;
		}
		break;
	}

step6:
	/* The peer's window (RFC 9293: only from the newest segment). */
	if (SEQ_LT(tp->snd_wl1, seq) || (tp->snd_wl1 == seq &&
	    (SEQ_LT(tp->snd_wl2, ack) ||
	    (tp->snd_wl2 == ack && tiwin > tp->snd_wnd)))) {
		if (tiwin > tp->snd_wnd)
			net_kick();
		tp->snd_wnd = tiwin;
		tp->snd_wl1 = seq;
		tp->snd_wl2 = ack;
		if (tp->snd_wnd > tp->max_sndwnd)
			tp->max_sndwnd = tp->snd_wnd;
		needoutput = 1;
	}

	/* Data, and a FIN. */
	if ((tlen > 0 || (thflags & TH_FIN) != 0) &&
	    !TCPS_HAVERCVDFIN(tp->t_state)) {
		if (seq == tp->rcv_nxt && TAILQ_EMPTY(&tp->t_segq)) {
			if (tlen > 0) {
				tp->rcv_nxt += (tcp_seq)tlen;
				tcp_deliver(tp, m, tlen);
				net_kick();
				if (++tp->t_rcvsegs >= 2)
					tp->t_flags |= TF_ACKNOW;
				else
					tp->t_flags |= TF_DELACK;
			} else
				m_freem(m);
		} else {
			if (tlen > 0 || (thflags & TH_FIN) != 0) {
				tp->t_stat.rcv_oopack++;
				tp->t_stat.rcv_oobyte += (uint64_t)tlen;
			}
			thflags = tcp_reass(tp, seq, tlen, m,
			    thflags & TH_FIN);
			tp->t_flags |= TF_ACKNOW;
		}
		m = NULL;
	} else {
		m_freem(m);
		m = NULL;
		thflags &= ~TH_FIN;
	}

	if ((thflags & TH_FIN) != 0) {
		if (!TCPS_HAVERCVDFIN(tp->t_state)) {
			socantrcvmore(so);
			tp->rcv_nxt++;
			net_kick();
		}
		tp->t_flags |= TF_ACKNOW;
		switch (tp->t_state) {
		case TCPS_SYN_RECEIVED:
		case TCPS_ESTABLISHED:
			tcp_state_change(tp, TCPS_CLOSE_WAIT);
			break;
		case TCPS_FIN_WAIT_1:
			tcp_state_change(tp, TCPS_CLOSING);
			break;
		case TCPS_FIN_WAIT_2:
			tcp_twstart(tp);
			break;
		case TCPS_TIME_WAIT:
			tcp_timer_activate(tp, TT_2MSL, 2 * TCPTV_MSL);
			break;
		}
	}

	if (needoutput || (tp->t_flags & TF_ACKNOW) != 0)
		(void)tcp_output(tp);
	if ((tp->t_flags & TF_DELACK) != 0 &&
	    !tcp_timer_active(tp, TT_DELACK))
		tcp_timer_activate(tp, TT_DELACK, TCPTV_DELACK);
	return;

dropafterack:
	tp->t_flags |= TF_ACKNOW;
	(void)tcp_output(tp);
drop:
	m_freem(m);
}

void
tcp_input(struct mbuf *m, int off0)
{
	struct tcpopt to;
	struct ip *ip;
	struct tcphdr *th;
	struct tcpcb *tp;
	struct socket *so;
	in_addr_t src, dst;
	in_port_t sport, dport;
	int hlen, tlen, thflags;

	ip = mtod(m, struct ip *);
	tlen = ntohs(ip->ip_len) - off0;
	if (tlen < (int)sizeof(struct tcphdr))
		goto drop;
	if (m->m_len < off0 + (int)sizeof(struct tcphdr) &&
	    (m = m_pullup(m, off0 + (int)sizeof(struct tcphdr))) == NULL)
		return;
	ip = mtod(m, struct ip *);
	src = ip->ip_src.s_addr;
	dst = ip->ip_dst.s_addr;
	if (in_cksum_add(in_pseudo(src, dst, IPPROTO_TCP + (uint32_t)tlen),
	    m, off0, tlen) != 0) {
		__atomic_add_fetch(&tcps_rcvbadsum, 1, __ATOMIC_RELAXED);
		goto drop;
	}
	th = (struct tcphdr *)((uint8_t *)ip + off0);
	hlen = th->th_off << 2;
	if (hlen < (int)sizeof(struct tcphdr) || hlen > tlen)
		goto drop;
	if (m->m_len < off0 + hlen) {
		if ((m = m_pullup(m, off0 + hlen)) == NULL)
			return;
		ip = mtod(m, struct ip *);
		th = (struct tcphdr *)((uint8_t *)ip + off0);
	}
	thflags = th->th_flags;
	to.to_mss = 0;
	to.to_wscale = -1;
	if ((thflags & TH_SYN) != 0)
		tcp_dooptions(&to, (const uint8_t *)(th + 1),
		    hlen - (int)sizeof(struct tcphdr));
	sport = th->th_sport;
	dport = th->th_dport;
	tlen -= hlen;

	tp = tcp_lookup(dst, dport, src, sport, 1);
	if (tp == NULL) {
		tcp_dropwithreset(src, dst, sport, dport, thflags,
		    ntohl(th->th_seq), ntohl(th->th_ack), tlen);
		goto drop;
	}
	so = tp->t_socket;
	TCP_LOCK(tp);
	if (tp->t_state == TCPS_CLOSED) {
		/* Closed while we looked it up: as if it were not there. */
		tcp_dropwithreset(src, dst, sport, dport, thflags,
		    ntohl(th->th_seq), ntohl(th->th_ack), tlen);
	} else if (tp->t_state == TCPS_LISTEN) {
		if ((thflags & (TH_RST | TH_ACK | TH_SYN)) == TH_SYN)
			tcp_input_listen(tp, ip, th, &to);
		else if ((thflags & TH_ACK) != 0)
			tcp_dropwithreset(src, dst, sport, dport, thflags,
			    ntohl(th->th_seq), ntohl(th->th_ack), tlen);
	} else {
		tp->t_stat.rcv_total++;
		/* The segment's payload alone (headers stay readable). */
		m_adj(m, off0 + hlen);
		tcp_do_segment(tp, ip, th, &to, m, tlen);
		m = NULL;
	}
	tcp_unlock(tp);
	sorele(so);
drop:
	m_freem(m);
}
