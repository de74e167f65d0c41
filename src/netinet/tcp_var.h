/*-
 * The TCP control block and the shim's internal interfaces (FreeBSD's
 * tcp_var.h, tcp_fsm.h, tcp_seq.h and tcp_timer.h in one header).
 *
 * Design note.  A connection is a struct tcpcb hanging off its socket
 * (so_pcb).  Its mutex, t_mtx, plays the inpcb lock: every field below is
 * protected by it, and it is taken before the socket buffer locks.
 *
 * Lifetime.  The tcpcb is freed only with its socket (pr_detach, from
 * sofree()), so anything holding a socket reference may look at it.  The
 * connection holds a socket reference of its own from the moment it
 * leaves CLOSED until it returns there (TF_PROTOREF), so a socket whose
 * descriptor is closed lives on while TCP still has data to deliver or a
 * FIN to exchange, as FreeBSD's SS_PROTOREF does; every armed timer holds
 * one more, which the timer function inherits when it fires.
 *
 * Lookup.  Every bound tcpcb is on one list (tcbinfo), which input
 * searches by address and port.  A tcpcb is on the list only while its
 * socket has a reference that only this connection's end can drop (the
 * protocol's for a connection, the descriptor's for a listener), so the
 * finder may soref() the socket under the list lock.
 *
 * Lock order: t_mtx of a connection, then (never both) a listener's
 * accept queue lock or the tcbinfo lock; the socket buffer locks; the
 * network's lock (if_loop.c) and the callout lock are leaves.
 */
#ifndef _UK_NETINET_TCP_VAR_H_
#define _UK_NETINET_TCP_VAR_H_

#include "sys/types.h"
#include "sys/mutex.h"
#include "sys/queue.h"
#include "sys/callout.h"
#include "sys/netsubr.h"
#include "netinet/ip.h"
#include "netinet/tcp.h"

struct mbuf;
struct socket;
struct sockaddr;

/* ---- tcp_fsm.h -------------------------------------------------------- */

#define	TCPS_CLOSED		0	/* closed */
#define	TCPS_LISTEN		1	/* listening for connection */
#define	TCPS_SYN_SENT		2	/* active, have sent syn */
#define	TCPS_SYN_RECEIVED	3	/* have sent and received syn */
#define	TCPS_ESTABLISHED	4	/* established */
#define	TCPS_CLOSE_WAIT		5	/* rcvd fin, waiting for close */
#define	TCPS_FIN_WAIT_1		6	/* have closed, sent fin */
#define	TCPS_CLOSING		7	/* closed xchd FIN; await FIN ACK */
#define	TCPS_LAST_ACK		8	/* had fin and close; await FIN ACK */
#define	TCPS_FIN_WAIT_2		9	/* have closed, fin is acked */
#define	TCPS_TIME_WAIT		10	/* in 2*msl quiet wait after close */
#define	TCP_NSTATES		11

#define	TCPS_HAVERCVDSYN(s)	((s) >= TCPS_SYN_RECEIVED)
#define	TCPS_HAVEESTABLISHED(s)	((s) >= TCPS_ESTABLISHED)
#define	TCPS_HAVERCVDFIN(s)						\
	((s) == TCPS_CLOSE_WAIT ||					\
	    ((s) >= TCPS_CLOSING && (s) != TCPS_FIN_WAIT_2))

/* ---- tcp_seq.h -------------------------------------------------------- */

#define	SEQ_LT(a, b)	((int32_t)((a) - (b)) < 0)
#define	SEQ_LEQ(a, b)	((int32_t)((a) - (b)) <= 0)
#define	SEQ_GT(a, b)	((int32_t)((a) - (b)) > 0)
#define	SEQ_GEQ(a, b)	((int32_t)((a) - (b)) >= 0)
#define	SEQ_MIN(a, b)	(SEQ_LT(a, b) ? (a) : (b))
#define	SEQ_MAX(a, b)	(SEQ_GT(a, b) ? (a) : (b))
/* What is left of the window offered, never negative. */
#define	TCP_ADVLEFT(tp)							\
	(SEQ_GT((tp)->rcv_adv, (tp)->rcv_nxt) ?				\
	    (long)((tp)->rcv_adv - (tp)->rcv_nxt) : 0L)

/* ---- tcp_timer.h (times in nanoseconds of the simulated clock) ------- */

#define	TT_REXMT	0	/* retransmission */
#define	TT_PERSIST	1	/* zero-window probe */
#define	TT_DELACK	2	/* delayed ACK */
#define	TT_2MSL		3	/* TIME_WAIT, and FIN_WAIT_2 once closed */
#define	TT_N		4

#define	TCP_MS		1000000ULL
#define	TCPTV_RTOBASE	(1000 * TCP_MS)		/* initial RTO (RFC 6298) */
#define	TCPTV_MIN	(30 * TCP_MS)		/* net.inet.tcp.rexmit_min */
#define	TCPTV_REXMTMAX	(64000 * TCP_MS)	/* largest RTO */
#define	TCPTV_PERSMIN	(5000 * TCP_MS)
#define	TCPTV_PERSMAX	(60000 * TCP_MS)
#define	TCPTV_DELACK	(40 * TCP_MS)		/* net.inet.tcp.delacktime */
#define	TCPTV_MSL	(30000 * TCP_MS)	/* net.inet.tcp.msl */
/* net.inet.tcp.fin_wait_2_timeout */
#define	TCPTV_FINWAIT2	(60000 * TCP_MS)
#define	TCP_MAXRXTSHIFT	12			/* retransmissions, then drop */

/* ---- the control block ------------------------------------------------ */

/* A segment that arrived ahead of rcv_nxt (tcp_reass()). */
struct tseg_qent {
	TAILQ_ENTRY(tseg_qent) tqe_q;
	struct mbuf	*tqe_m;		/* payload only */
	tcp_seq		 tqe_seq;
	int		 tqe_len;
	int		 tqe_flags;	/* TH_FIN */
};
TAILQ_HEAD(tsegqe_head, tseg_qent);

struct tcpcb;

struct tcp_timer {
	struct callout	 tt_callout;
	uint64_t	 tt_due;	/* 0: stopped; else when it is for */
	struct tcpcb	*tt_tp;
	int		 tt_which;
};

struct tcpcb {
	struct mtx	 t_mtx;		/* the connection's lock */
	struct socket	*t_socket;
	TAILQ_ENTRY(tcpcb) t_list;	/* tcbinfo */
	int		 t_inlist;
	int		 t_state;	/* TCPS_* */
	u_int		 t_flags;	/* TF_* */
	int		 t_softerror;	/* error to report on a drop */
	int		 t_rele;	/* socket refs to drop on unlock */

	/* Addresses and ports, network order (the inpcb's). */
	in_addr_t	 t_laddr, t_faddr;
	in_port_t	 t_lport, t_fport;

	/* Send sequence space. */
	tcp_seq		 iss;		/* initial send sequence number */
	tcp_seq		 snd_una;	/* oldest unacknowledged */
	tcp_seq		 snd_nxt;	/* next to send */
	tcp_seq		 snd_max;	/* highest sent + 1 */
	tcp_seq		 snd_wl1;	/* seq of the last window update */
	tcp_seq		 snd_wl2;	/* ack of the last window update */
	tcp_seq		 snd_recover;	/* fast recovery / RTO point */
	u_long		 snd_wnd;	/* peer's receive window */
	u_long		 max_sndwnd;	/* largest window the peer offered */
	u_long		 snd_cwnd;	/* one segment after a timeout */

	/* Receive sequence space. */
	tcp_seq		 irs;		/* initial receive sequence number */
	tcp_seq		 rcv_nxt;	/* next expected */
	tcp_seq		 rcv_adv;	/* right edge of the window offered */
	u_long		 rcv_wnd;	/* window last advertised */
	int		 t_rcvsegs;	/* in-order segments not ACKed yet */

	/* Options. */
	u_int		 t_maxseg;	/* payload bytes per segment */
	u_int		 t_mssoffer;	/* MSS we offered */
	u_char		 snd_scale;	/* peer's window shift */
	u_char		 rcv_scale;	/* our window shift */
	u_char		 request_r_scale; /* the shift we asked for */
	u_char		 requested_s_scale; /* the shift the peer asked for */

	/* Retransmission. */
	int		 t_dupacks;
	int		 t_rxtshift;	/* backoff index */
	uint64_t	 t_rxtcur;	/* current RTO */
	uint64_t	 t_srtt;	/* smoothed RTT, 0: no sample yet */
	uint64_t	 t_rttvar;
	uint64_t	 t_rtttime;	/* timed segment sent; 0: none */
	tcp_seq		 t_rtseq;	/* the timed segment */
	struct tcp_timer t_timers[TT_N];

	/* Reassembly queue. */
	struct tsegqe_head t_segq;
	int		 t_segqlen;	/* bytes queued */

	/* Listening: connections not yet accepted (under tcp_acceptmtx). */
	struct tcpcb	*t_head;	/* our listener, until accepted */
	TAILQ_HEAD(, tcpcb) t_comp;	/* listener: established */
	TAILQ_HEAD(, tcpcb) t_incomp;	/* listener: handshake under way */
	TAILQ_ENTRY(tcpcb) t_qe;	/* on the listener's t_comp/t_incomp */
	int		 t_qstate;	/* TQ_* */
	int		 t_qlen, t_qlimit;

	/* The simulated network for what this endpoint sends. */
	struct knet_conf t_conf;
	uint64_t	 t_rng;		/* fault decisions */
	struct knet_stats t_stat;
};

/* t_flags */
#define	TF_ACKNOW	0x00000001	/* ACK immediately */
#define	TF_DELACK	0x00000002	/* ACK, but try to delay it */
#define	TF_SENTFIN	0x00000004	/* have sent FIN */
#define	TF_REQ_SCALE	0x00000008	/* have/will request window scaling */
#define	TF_RCVD_SCALE	0x00000010	/* other side has requested scaling */
#define	TF_FASTRECOVERY	0x00000020	/* in fast recovery (NewReno) */
#define	TF_FORCEDATA	0x00000040	/* force one byte out (probe) */
#define	TF_PROTOREF	0x00000080	/* holds a socket reference */
#define	TF_DROPPED	0x00000100	/* gone: pr_ready frees what comes */
#define	TF_SOCLOSED	0x00000200	/* descriptor closed (pr_close) */
#define	TF_NEEDFIN	0x00000400	/* send a FIN once all data is out */

/* t_qstate */
#define	TQ_NONE		0
#define	TQ_INCOMP	1
#define	TQ_COMP		2

#define	TCP_LOCK(tp)		mtx_lock(&(tp)->t_mtx)
#define	TCP_UNLOCK(tp)		mtx_unlock(&(tp)->t_mtx)
#define	TCP_LOCK_ASSERT(tp)	mtx_assert(&(tp)->t_mtx, MA_OWNED)

#define	intotcpcb(so)		((struct tcpcb *)(so)->so_pcb)

/* ---- interfaces ------------------------------------------------------- */

/* tcp_subr.c */
void	tcp_init(void);
struct tcpcb *tcp_newtcpcb(struct socket *so);
struct socket *tcp_newconn(struct tcpcb *head);
void	tcp_discardcb(struct tcpcb *tp);
void	tcp_unlock(struct tcpcb *tp);
int	tcp_bind(struct tcpcb *tp, in_addr_t laddr, in_port_t lport);
int	tcp_connect(struct tcpcb *tp, in_addr_t faddr, in_port_t fport);
struct tcpcb *tcp_lookup(in_addr_t laddr, in_port_t lport, in_addr_t faddr,
	    in_port_t fport, int listen_ok);
void	tcp_list_remove(struct tcpcb *tp);
int	tcp_list_insert(struct tcpcb *tp);
struct socket *tcp_close(struct tcpcb *tp);
struct socket *tcp_drop(struct tcpcb *tp, int error);
void	tcp_state_change(struct tcpcb *tp, int newstate);
void	tcp_respond(in_addr_t src, in_addr_t dst, in_port_t sport,
	    in_port_t dport, tcp_seq seq, tcp_seq ack, int flags,
	    struct tcpcb *tp);
void	tcp_mss(struct tcpcb *tp, u_int offer);
uint64_t tcp_random(struct tcpcb *tp);
void	tcp_seed_faults(struct tcpcb *tp);
void	tcp_get_conf(struct knet_conf *conf);
extern struct mtx tcp_acceptmtx;

/* tcp_input.c */
void	tcp_input(struct mbuf *m, int off0);
void	tcp_reass_flush(struct tcpcb *tp);

/* tcp_output.c */
int	tcp_output(struct tcpcb *tp);
void	tcp_setpersist(struct tcpcb *tp);
int	tcp_maxseg(struct tcpcb *tp);

/* tcp_timer.c */
void	tcp_timer_init(struct tcpcb *tp);
void	tcp_timer_activate(struct tcpcb *tp, int which, uint64_t delay);
int	tcp_timer_active(struct tcpcb *tp, int which);
void	tcp_timer_stop_all(struct tcpcb *tp);
uint64_t tcp_rexmtval(struct tcpcb *tp);
void	tcp_xmit_timer(struct tcpcb *tp, uint64_t rtt);
extern const int tcp_backoff[TCP_MAXRXTSHIFT + 1];

/* ip_output.c: add the IP header, checksums, and put it on the wire. */
int	ip_output(struct tcpcb *tp, struct mbuf *m);
void	ip_input(struct mbuf *m);

/* if_loop.c: the simulated wire and who makes the network move. */
void	loop_init(void);
void	looutput(struct tcpcb *tp, struct mbuf *m);
/*
 * Progress: something changed that a waiter might be waiting for (data
 * appended or acknowledged, a window opened, a state change).
 */
void	net_kick(void);
uint64_t net_progress(void);
/* A callout was armed: with worker threads, time may have to pass. */
void	net_clock_poke(void);
/*
 * The deterministic mode: take one step of the network for a caller
 * that would block (no lock held).  0 after a step (look again), or
 * EWOULDBLOCK when nothing can move.
 */
int	net_step(void);
/* With worker threads: sleep until net_progress() is not *seenp. */
int	net_wait_gen(uint64_t *seenp);
int	tcp_nconns(void);

/* tcp_usrreq.c */
int	tcp_sink_promote(struct socket *so);
extern struct protosw tcp_protosw;

#endif /* !_UK_NETINET_TCP_VAR_H_ */
