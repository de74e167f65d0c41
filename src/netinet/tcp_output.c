/*-
 * TCP output (FreeBSD's tcp_output.c, without congestion control, SACK,
 * timestamps or TSO).
 *
 * Design note.  What may be sent is sbavail(&so->so_snd): the bytes
 * before the first not-ready mbuf (sb_fnrdy).  A KTLS record still being
 * encrypted, a sendfile page still being "read", and everything behind
 * them, are never sent, however much room the window has; pr_ready()
 * calls tcp_output() again when they become ready.  A FIN goes out only
 * after every byte of the buffer, ready or not (sbused()).
 *
 * A segment's payload is m_copym() of the send buffer from the offset
 * sbsndptr_noadv() finds: clusters and unmapped pages are shared with
 * the buffer, never copied here; the checksum reads them.  The wire
 * (looutput()) takes its copy and the buffer keeps the data until the
 * peer acknowledges it (tcp_input(), sbdrop()).
 *
 * The window: the sender sends up to min(snd_wnd, snd_cwnd) past
 * snd_una, where snd_cwnd is unlimited except after a retransmission
 * timeout (one segment, growing by one per ACK).  There is no Nagle
 * algorithm (TCP_NODELAY, as TLS servers set it): a short segment goes
 * when it empties what is ready.  The receiver offers sbspace() of its
 * receive buffer, which on a KTLS receive socket counts the records not
 * yet decrypted, never shrinks an offered window, and sends a window
 * update when the reader freed two segments or half the buffer.
 *
 * Segment splitting (the "split" fault) cuts a segment at a random
 * point before it is built, so that TLS records cross segments at every
 * offset, headers included.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/mutex.h"
#include "sys/mbuf.h"
#include "sys/socket.h"
#include "sys/sockbuf.h"
#include "sys/socketvar.h"
#include "netinet/ip.h"
#include "netinet/tcp.h"
#include "netinet/tcp_var.h"

/* Flags a segment carries in each state (FreeBSD's tcp_outflags[]). */
static const u_char tcp_outflags[TCP_NSTATES] = {
	[TCPS_CLOSED] = TH_RST | TH_ACK,
	[TCPS_LISTEN] = 0,
	[TCPS_SYN_SENT] = TH_SYN,
	[TCPS_SYN_RECEIVED] = TH_SYN | TH_ACK,
	[TCPS_ESTABLISHED] = TH_ACK,
	[TCPS_CLOSE_WAIT] = TH_ACK,
	[TCPS_FIN_WAIT_1] = TH_FIN | TH_ACK,
	[TCPS_CLOSING] = TH_FIN | TH_ACK,
	[TCPS_LAST_ACK] = TH_FIN | TH_ACK,
	[TCPS_FIN_WAIT_2] = TH_ACK,
	[TCPS_TIME_WAIT] = TH_ACK,
};

int
tcp_maxseg(struct tcpcb *tp)
{

	return ((int)tp->t_maxseg);
}

/* Arm the persist timer with the backed-off RTO (tcp_setpersist()). */
void
tcp_setpersist(struct tcpcb *tp)
{
	uint64_t tt;

	tt = tcp_rexmtval(tp) * (uint64_t)tcp_backoff[tp->t_rxtshift];
	tt = MIN(MAX(tt, TCPTV_PERSMIN), TCPTV_PERSMAX);
	tcp_timer_activate(tp, TT_PERSIST, tt);
	if (tp->t_rxtshift < TCP_MAXRXTSHIFT)
		tp->t_rxtshift++;
}

/* A segment-splitting fault for this segment? */
static int
tcp_split_chance(struct tcpcb *tp)
{

	if (tp->t_conf.split == 0)
		return (0);
	return (tcp_random(tp) % 1000000 < tp->t_conf.split);
}

/*
 * The receive window to offer now, unscaled, and the receive buffer's
 * size; so_rcv unlocked.
 */
static long
tcp_recwin(struct tcpcb *tp, struct socket *so, long *hiwatp)
{
	long recwin, adv;

	SOCK_RECVBUF_LOCK(so);
	*hiwatp = (long)so->so_rcv.sb_hiwat;
	recwin = sbspace(&so->so_rcv);
	/* Receiver silly window avoidance: no sliver of a window. */
	if (recwin < (long)(so->so_rcv.sb_hiwat / 4) &&
	    recwin < (long)tp->t_maxseg)
		recwin = 0;
	SOCK_RECVBUF_UNLOCK(so);
	recwin = MIN(recwin, (long)TCP_MAXWIN << tp->rcv_scale);
	/* Never take back what was offered. */
	adv = TCP_ADVLEFT(tp);
	if (TCPS_HAVERCVDSYN(tp->t_state) && adv > recwin)
		recwin = adv;
	return (recwin);
}

/* Build the MSS and window scale options of a SYN; their length. */
static int
tcp_synopts(struct tcpcb *tp, uint8_t *opt)
{
	int optlen;

	optlen = 0;
	opt[optlen++] = TCPOPT_MAXSEG;
	opt[optlen++] = TCPOLEN_MAXSEG;
	opt[optlen++] = (uint8_t)(tp->t_mssoffer >> 8);
	opt[optlen++] = (uint8_t)tp->t_mssoffer;
	if ((tp->t_flags & TF_REQ_SCALE) != 0 &&
	    (tp->t_state == TCPS_SYN_SENT ||
	    (tp->t_flags & TF_RCVD_SCALE) != 0)) {
		opt[optlen++] = TCPOPT_NOP;
		opt[optlen++] = TCPOPT_WINDOW;
		opt[optlen++] = TCPOLEN_WINDOW;
		opt[optlen++] = tp->request_r_scale;
	}
	return (optlen);
}

int
tcp_output(struct tcpcb *tp)
{
	struct socket *so;
	struct sockbuf *sb;
	struct mbuf *m, *mb;
	struct ip *ip;
	struct tcphdr *th;
	uint8_t opt[TCP_MAXOLEN];
	long adv, avail, hiwat, len, recwin, sendwin, used;
	tcp_seq startseq;
	u_int moff, win;
	int flags, hdrlen, off, optlen, rexmit, sendalot, tlen;

	TCP_LOCK_ASSERT(tp);
	so = tp->t_socket;
	sb = &so->so_snd;
	if (tp->t_state == TCPS_CLOSED || tp->t_state == TCPS_LISTEN)
		return (0);
again:
	sendalot = 0;
	flags = tcp_outflags[tp->t_state];
	off = (int)(tp->snd_nxt - tp->snd_una);
	recwin = tcp_recwin(tp, so, &hiwat);
	len = 0;
	avail = used = 0;

	if ((flags & TH_SYN) != 0) {
		/* Only the SYN until the handshake is over. */
		if (off == 0)
			goto send;
		return (0);
	}

	SOCKBUF_LOCK(sb);
	avail = sbavail(sb);
	used = sbused(sb);
	sendwin = (long)MIN(tp->snd_wnd, tp->snd_cwnd);
	if ((tp->t_flags & TF_FORCEDATA) != 0) {
		if (sendwin == 0)
			sendwin = 1;
		else {
			/* The window opened: no probe, just send. */
			tcp_timer_activate(tp, TT_PERSIST, 0);
			tp->t_rxtshift = 0;
		}
	}
	len = MIN(avail, sendwin) - off;
	if (len < 0) {
		/*
		 * The window shrank past what was sent, or the FIN is out:
		 * with a closed window, go back and wait for it to open.
		 */
		len = 0;
		if (sendwin == 0) {
			tcp_timer_activate(tp, TT_REXMT, 0);
			tp->t_rxtshift = 0;
			tp->snd_nxt = tp->snd_una;
			if (!tcp_timer_active(tp, TT_PERSIST))
				tcp_setpersist(tp);
		}
	}
	if (len > (long)tp->t_maxseg) {
		len = tp->t_maxseg;
		sendalot = 1;
	}
	/* A FIN rides only on the segment that ends the data. */
	if ((long)(tp->snd_nxt + (tcp_seq)len - tp->snd_una) != used)
		flags &= ~TH_FIN;

	if (len > 0) {
		if (len == (long)tp->t_maxseg)
			goto send_locked;
		if (off + len >= avail)
			goto send_locked;
		if ((tp->t_flags & TF_FORCEDATA) != 0)
			goto send_locked;
		if (tp->max_sndwnd > 0 && len >= (long)tp->max_sndwnd / 2)
			goto send_locked;
		if (SEQ_LT(tp->snd_nxt, tp->snd_max))
			goto send_locked;
	}
	SOCKBUF_UNLOCK(sb);

	/*
	 * A window update when the reader made room; none once the peer
	 * has sent its FIN, as it will send nothing more.
	 */
	if (recwin > 0 && !TCPS_HAVERCVDFIN(tp->t_state)) {
		adv = recwin - TCP_ADVLEFT(tp);
		if (adv >= 2 * (long)tp->t_maxseg)
			goto send;
		if (2 * adv >= hiwat)
			goto send;
	}
	if ((tp->t_flags & TF_ACKNOW) != 0)
		goto send;
	if ((flags & TH_FIN) != 0)
		goto send;

	/*
	 * Nothing to send.  Data waiting for a shut window: make sure a
	 * timer will look again.
	 */
	if (avail > off && !tcp_timer_active(tp, TT_REXMT) &&
	    !tcp_timer_active(tp, TT_PERSIST)) {
		tp->t_rxtshift = 0;
		tcp_setpersist(tp);
	}
	return (0);

send_locked:
	SOCKBUF_UNLOCK(sb);
send:
	if (len > 1 && tcp_split_chance(tp)) {
		len = 1 + (long)(tcp_random(tp) % (uint64_t)(len - 1));
		flags &= ~TH_FIN;
		sendalot = 1;
		tp->t_stat.fault_split++;
	}
	optlen = (flags & TH_SYN) != 0 ? tcp_synopts(tp, opt) : 0;
	hdrlen = (int)(sizeof(struct ip) + sizeof(struct tcphdr)) + optlen;
	m = m_gethdr(M_WAITOK, MT_DATA);
	KASSERT(hdrlen <= MHLEN, ("%s: headers of %d bytes", __func__,
	    hdrlen));
	m->m_len = hdrlen;
	memset(mtod(m, void *), 0, (size_t)hdrlen);
	rexmit = SEQ_LT(tp->snd_nxt, tp->snd_max);
	if (len > 0) {
		SOCKBUF_LOCK(sb);
		KASSERT(off + len <= (long)sbavail(sb),
		    ("%s: %ld bytes at %d past the %u ready", __func__, len,
		    off, sbavail(sb)));
		mb = sbsndptr_noadv(sb, (u_int)off, &moff);
		m->m_next = m_copym(mb, (int)moff, (int)len, M_WAITOK);
		sbsndptr_adv(sb, mb, (u_int)len);
		SOCKBUF_UNLOCK(sb);
		if ((tp->t_flags & TF_FORCEDATA) != 0 && tp->snd_wnd == 0)
			tp->t_stat.snd_probe++;
		else if (rexmit) {
			tp->t_stat.snd_rexmitpack++;
			tp->t_stat.snd_rexmitbyte += (uint64_t)len;
		} else {
			tp->t_stat.snd_pack++;
			tp->t_stat.snd_byte += (uint64_t)len;
		}
	} else if ((flags & (TH_SYN | TH_FIN | TH_RST)) != 0) {
		if (rexmit)
			tp->t_stat.snd_rexmitpack++;
		else
			tp->t_stat.snd_ctrl++;
	} else if ((tp->t_flags & TF_ACKNOW) != 0 ||
	    (flags & TH_ACK) == 0)
		tp->t_stat.snd_acks++;
	else
		tp->t_stat.snd_winup++;
	tp->t_stat.snd_total++;
	m->m_pkthdr.len = hdrlen + (int)len;

	ip = mtod(m, struct ip *);
	ip->ip_src.s_addr = tp->t_laddr;
	ip->ip_dst.s_addr = tp->t_faddr;
	ip->ip_p = IPPROTO_TCP;
	th = (struct tcphdr *)(ip + 1);
	th->th_sport = tp->t_lport;
	th->th_dport = tp->t_fport;
	/*
	 * A pure ACK carries the next new sequence number, not that of a
	 * retransmission under way; a probe carries its own.
	 */
	if (len > 0 || (flags & (TH_SYN | TH_FIN)) != 0 ||
	    tcp_timer_active(tp, TT_PERSIST))
		th->th_seq = htonl(tp->snd_nxt);
	else
		th->th_seq = htonl(tp->snd_max);
	if ((flags & TH_ACK) != 0)
		th->th_ack = htonl(tp->rcv_nxt);
	th->th_off = (sizeof(struct tcphdr) + (u_int)optlen) >> 2;
	th->th_flags = (u_char)flags;
	if (optlen > 0)
		memcpy(th + 1, opt, (size_t)optlen);
	/* The window of a SYN is never scaled (RFC 7323 section 2.2). */
	if ((flags & TH_SYN) != 0)
		win = (u_int)MIN(recwin, TCP_MAXWIN);
	else
		win = (u_int)MIN(recwin >> tp->rcv_scale, TCP_MAXWIN);
	th->th_win = htons((uint16_t)win);
	tlen = (int)sizeof(struct tcphdr) + optlen + (int)len;
	th->th_sum = in_cksum_add(in_pseudo(tp->t_laddr, tp->t_faddr,
	    IPPROTO_TCP + (uint32_t)tlen), m, sizeof(struct ip), tlen);

	/* Advance: the persist probe leaves snd_nxt where it is. */
	startseq = tp->snd_nxt;
	if ((tp->t_flags & TF_FORCEDATA) == 0 ||
	    !tcp_timer_active(tp, TT_PERSIST)) {
		if ((flags & TH_SYN) != 0)
			tp->snd_nxt++;
		tp->snd_nxt += (tcp_seq)len;
		if ((flags & TH_FIN) != 0) {
			tp->snd_nxt++;
			tp->t_flags |= TF_SENTFIN;
		}
		if (SEQ_GT(tp->snd_nxt, tp->snd_max)) {
			tp->snd_max = tp->snd_nxt;
			/* Time one segment per round trip (not a resend). */
			if (tp->t_rtttime == 0) {
				tp->t_rtttime = khost_nanotime();
				tp->t_rtseq = startseq;
			}
		}
		if (!tcp_timer_active(tp, TT_REXMT) &&
		    tp->snd_nxt != tp->snd_una) {
			if (tcp_timer_active(tp, TT_PERSIST)) {
				tcp_timer_activate(tp, TT_PERSIST, 0);
				tp->t_rxtshift = 0;
			}
			tcp_timer_activate(tp, TT_REXMT, tp->t_rxtcur);
		}
	} else if (SEQ_GT(tp->snd_nxt + (tcp_seq)len, tp->snd_max))
		tp->snd_max = tp->snd_nxt + (tcp_seq)len;

	/* What we offered. */
	if ((flags & TH_SYN) == 0)
		recwin = (long)win << tp->rcv_scale;
	else
		recwin = (long)win;
	if (recwin > 0 && SEQ_GT(tp->rcv_nxt + (tcp_seq)recwin, tp->rcv_adv))
		tp->rcv_adv = tp->rcv_nxt + (tcp_seq)recwin;
	tp->rcv_wnd = (u_long)recwin;
	if ((flags & TH_ACK) != 0) {
		tp->t_flags &= ~(TF_ACKNOW | TF_DELACK);
		tp->t_rcvsegs = 0;
		if (tcp_timer_active(tp, TT_DELACK))
			tcp_timer_activate(tp, TT_DELACK, 0);
	}
	(void)ip_output(tp, m);
	if (sendalot)
		goto again;
	return (0);
}
