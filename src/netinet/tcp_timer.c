/*-
 * TCP timers (FreeBSD's tcp_timer.c): retransmission, persist (zero
 * window probes), delayed ACK and 2MSL, on callouts of the simulated
 * clock (sys/callout.h).
 *
 * An armed timer holds a reference on the connection's socket, so the
 * control block cannot be freed under a timer about to fire; the timer
 * function inherits the reference and drops it when done (tcp_unlock()).
 * tt_due says what the timer is for: a function that finds it zero
 * (stopped meanwhile) or in the future (re-armed meanwhile) does
 * nothing.
 *
 * Retransmission timeouts follow RFC 6298 with FreeBSD's constants: an
 * initial RTO of 1 s, at least 30 ms (rexmit_min) plus a 200 ms slop
 * (rexmit_slop) so that a delayed ACK (40 ms) never looks like a loss,
 * doubled per retransmission up to 64 s, and the connection dropped
 * after 12 retransmissions (ETIMEDOUT).
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/mutex.h"
#include "sys/callout.h"
#include "sys/mbuf.h"
#include "sys/socket.h"
#include "sys/sockbuf.h"
#include "sys/socketvar.h"
#include "netinet/ip.h"
#include "netinet/tcp.h"
#include "netinet/tcp_var.h"

#define	TCP_REXMIT_SLOP		(200 * TCP_MS)	/* net.inet.tcp.rexmit_slop */
#define	TCP_RTT_GRANULARITY	(1 * TCP_MS)	/* G of RFC 6298 */

const int tcp_backoff[TCP_MAXRXTSHIFT + 1] =
    { 1, 2, 4, 8, 16, 32, 64, 64, 64, 64, 64, 64, 64 };

static const int tcp_timer_class[TT_N] = {
	[TT_REXMT] = CALLOUT_ACTIVE,
	[TT_PERSIST] = CALLOUT_PERSIST,
	[TT_DELACK] = CALLOUT_ACTIVE,
	[TT_2MSL] = CALLOUT_IDLE,
};

static void	tcp_timer_fire(void *arg);

void
tcp_timer_init(struct tcpcb *tp)
{
	struct tcp_timer *tt;
	int i;

	for (i = 0; i < TT_N; i++) {
		tt = &tp->t_timers[i];
		callout_init(&tt->tt_callout, tcp_timer_class[i]);
		tt->tt_due = 0;
		tt->tt_tp = tp;
		tt->tt_which = i;
	}
}

/* Arm timer which to fire delay from now; a delay of 0 stops it. */
void
tcp_timer_activate(struct tcpcb *tp, int which, uint64_t delay)
{
	struct tcp_timer *tt;

	TCP_LOCK_ASSERT(tp);
	KASSERT(which >= 0 && which < TT_N, ("%s: timer %d", __func__,
	    which));
	tt = &tp->t_timers[which];
	if (delay == 0) {
		tt->tt_due = 0;
		if (callout_stop(&tt->tt_callout))
			tp->t_rele++;
		return;
	}
	tt->tt_due = khost_nanotime() + delay;
	if (!callout_reset(&tt->tt_callout, delay, tcp_timer_fire, tt))
		soref(tp->t_socket);
	net_clock_poke();
}

int
tcp_timer_active(struct tcpcb *tp, int which)
{

	TCP_LOCK_ASSERT(tp);
	return (tp->t_timers[which].tt_due != 0);
}

void
tcp_timer_stop_all(struct tcpcb *tp)
{
	int i;

	for (i = 0; i < TT_N; i++)
		tcp_timer_activate(tp, i, 0);
}

/* The RTO without backoff: srtt + max(G, 4 rttvar) + slop, bounded. */
uint64_t
tcp_rexmtval(struct tcpcb *tp)
{
	uint64_t rto;

	if (tp->t_srtt == 0)
		return (TCPTV_RTOBASE);
	rto = tp->t_srtt + MAX(TCP_RTT_GRANULARITY, 4 * tp->t_rttvar) +
	    TCP_REXMIT_SLOP;
	return (MIN(MAX(rto, TCPTV_MIN), TCPTV_REXMTMAX));
}

/* A round-trip time sample (RFC 6298 section 2). */
void
tcp_xmit_timer(struct tcpcb *tp, uint64_t rtt)
{
	uint64_t delta;

	if (rtt == 0)
		rtt = 1;
	if (tp->t_srtt == 0) {
		tp->t_srtt = rtt;
		tp->t_rttvar = rtt / 2;
	} else {
		delta = tp->t_srtt > rtt ? tp->t_srtt - rtt : rtt - tp->t_srtt;
		tp->t_rttvar = (3 * tp->t_rttvar + delta) / 4;
		tp->t_srtt = (7 * tp->t_srtt + rtt) / 8;
		if (tp->t_srtt == 0)
			tp->t_srtt = 1;
	}
	tp->t_rxtshift = 0;
	tp->t_rxtcur = tcp_rexmtval(tp);
}

/*
 * The retransmission timer: go back to the oldest unacknowledged byte
 * (or SYN, or FIN) and send one segment; the ACK for it lets the rest
 * follow (snd_cwnd, tcp_input()).
 */
static void
tcp_timer_rexmt(struct tcpcb *tp)
{
	uint64_t rexmt;

	if (tp->t_state == TCPS_CLOSED || tp->t_state == TCPS_LISTEN ||
	    tp->snd_una == tp->snd_max)
		return;
	if (++tp->t_rxtshift > TCP_MAXRXTSHIFT) {
		tp->t_rxtshift = TCP_MAXRXTSHIFT;
		(void)tcp_drop(tp, ETIMEDOUT);
		return;
	}
	tp->t_stat.rexmt_timeouts++;
	if (tp->t_state == TCPS_SYN_SENT || tp->t_state == TCPS_SYN_RECEIVED)
		rexmt = TCPTV_RTOBASE;
	else
		rexmt = tcp_rexmtval(tp);
	rexmt *= (uint64_t)tcp_backoff[tp->t_rxtshift];
	tp->t_rxtcur = MIN(rexmt, TCPTV_REXMTMAX);
	/* Karn: no RTT sample from a segment that was sent twice. */
	tp->t_rtttime = 0;
	tp->snd_nxt = tp->snd_una;
	tp->snd_recover = tp->snd_max;
	tp->t_flags &= ~TF_FASTRECOVERY;
	tp->t_dupacks = 0;
	tp->snd_cwnd = tp->t_maxseg;
	(void)tcp_output(tp);
}

/* Zero window: probe it with one byte, and back off. */
static void
tcp_timer_persist(struct tcpcb *tp)
{

	if (!TCPS_HAVEESTABLISHED(tp->t_state) ||
	    tp->t_state == TCPS_TIME_WAIT)
		return;
	tcp_setpersist(tp);
	tp->t_flags |= TF_FORCEDATA;
	(void)tcp_output(tp);
	tp->t_flags &= ~TF_FORCEDATA;
}

static void
tcp_timer_delack(struct tcpcb *tp)
{

	if ((tp->t_flags & TF_DELACK) == 0 || tp->t_state == TCPS_CLOSED)
		return;
	tp->t_flags &= ~TF_DELACK;
	tp->t_flags |= TF_ACKNOW;
	(void)tcp_output(tp);
}

/* TIME_WAIT is over, or FIN_WAIT_2 of a closed socket lasted too long. */
static void
tcp_timer_2msl(struct tcpcb *tp)
{

	if (tp->t_state == TCPS_TIME_WAIT ||
	    (tp->t_state == TCPS_FIN_WAIT_2 &&
	    (tp->t_flags & TF_SOCLOSED) != 0))
		(void)tcp_close(tp);
}

static void
tcp_timer_fire(void *arg)
{
	struct tcp_timer *tt = arg;
	struct tcpcb *tp;

	tp = tt->tt_tp;
	TCP_LOCK(tp);
	if (tt->tt_due != 0 && tt->tt_due <= khost_nanotime() &&
	    !callout_pending(&tt->tt_callout)) {
		tt->tt_due = 0;
		switch (tt->tt_which) {
		case TT_REXMT:
			tcp_timer_rexmt(tp);
			break;
		case TT_PERSIST:
			tcp_timer_persist(tp);
			break;
		case TT_DELACK:
			tcp_timer_delack(tp);
			break;
		case TT_2MSL:
			tcp_timer_2msl(tp);
			break;
		}
	}
	/* The reference the armed timer held. */
	tp->t_rele++;
	tcp_unlock(tp);
}
