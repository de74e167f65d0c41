/*-
 * The kernel side of the network calls: what the host's uk_bind,
 * uk_connect, uk_accept, uk_shutdown, uk_poll and uk_net_* functions
 * (src/host/uk_net.c) call once they have translated their arguments.
 * Addresses and ports are IPv4, in network byte order.  Every function
 * returns 0 or a FreeBSD errno value.
 *
 * Included by both worlds: plain types only.
 */
#ifndef _UK_SYS_NETSUBR_H_
#define _UK_SYS_NETSUBR_H_

#include "sys/types.h"

/*
 * Settings of the simulated network for one endpoint's transmissions.
 * Probabilities are per million segments.  The fault decisions of an
 * endpoint come from its own generator, seeded from seed and the
 * connection's ports, so a run is reproducible connection by
 * connection.
 */
struct knet_conf {
	uint32_t	mss;		/* MSS offered; 0: 1448 */
	uint32_t	loss;		/* segment dropped */
	uint32_t	reorder;	/* segment held back behind others */
	uint32_t	dup;		/* segment delivered twice */
	uint32_t	split;		/* segment cut at a random point */
	uint64_t	delay_ns;	/* one-way delay; 0: none */
	uint64_t	seed;
};

/* The statistics of one connection (one endpoint). */
struct knet_stats {
	int		state;		/* TCPS_* */
	uint32_t	maxseg;		/* payload bytes per segment */
	uint64_t	snd_total;	/* segments sent */
	uint64_t	snd_pack;	/* data segments (first sending) */
	uint64_t	snd_byte;	/* data bytes (first sending) */
	uint64_t	snd_rexmitpack;	/* segments retransmitted */
	uint64_t	snd_rexmitbyte;	/* data bytes retransmitted */
	uint64_t	snd_acks;	/* pure ACKs */
	uint64_t	snd_winup;	/* window updates */
	uint64_t	snd_probe;	/* zero-window probes */
	uint64_t	snd_ctrl;	/* SYN, FIN, RST without data */
	uint64_t	rcv_total;	/* segments received */
	uint64_t	rcv_pack;	/* in-order data segments */
	uint64_t	rcv_byte;	/* in-order data bytes */
	uint64_t	rcv_duppack;	/* segments wholly duplicate */
	uint64_t	rcv_dupbyte;
	uint64_t	rcv_oopack;	/* segments out of order (queued) */
	uint64_t	rcv_oobyte;
	uint64_t	rcv_afterwin;	/* bytes beyond the window, dropped */
	uint64_t	rcv_dupack;	/* duplicate ACKs */
	uint64_t	rexmt_timeouts;	/* retransmission timer expiries */
	uint64_t	fast_rexmits;	/* on three duplicate ACKs */
	uint64_t	fault_lost;	/* sent segments the network dropped */
	uint64_t	fault_reordered;
	uint64_t	fault_duplicated;
	uint64_t	fault_split;
	uint64_t	srtt_ns;	/* smoothed round-trip time */
	uint64_t	rto_ns;		/* current retransmission timeout */
	uint32_t	snd_wnd;	/* peer's window */
	uint32_t	rcv_wnd;	/* window advertised last */
};

/* poll(2) events: the same values on FreeBSD and Linux. */
#define	KPOLLIN		0x0001
#define	KPOLLPRI	0x0002
#define	KPOLLOUT	0x0004
#define	KPOLLERR	0x0008
#define	KPOLLHUP	0x0010
#define	KPOLLNVAL	0x0020

struct kpollfd {
	int		fd;
	short		events;
	short		revents;
};

/* Socket calls (uipc_socket2.c). */
int	kern_bind(int fd, uint32_t addr, uint16_t port);
/* Blocking unless the socket is non-blocking (then EINPROGRESS). */
int	kern_connect(int fd, uint32_t addr, uint16_t port);
/* *nfd is the accepted socket; *addr, *port its peer. */
int	kern_accept(int fd, int nonblock, int *nfd, uint32_t *addr,
	    uint16_t *port);
int	kern_getsockname(int fd, int peer, uint32_t *addr, uint16_t *port);
/*
 * poll(2): timeout_ns < 0 waits for an event, 0 only looks, > 0 waits at
 * most that long in simulated time.  *nready as poll() returns it.
 */
int	kern_poll(struct kpollfd *fds, int nfds, int64_t timeout_ns,
	    int *nready);

/* The simulated network (if_loop.c, tcp_subr.c). */
/* Defaults for connections made from now on; either pointer may be NULL. */
int	kern_net_conf(const struct knet_conf *set, struct knet_conf *old);
/* One endpoint's settings, from now on. */
int	kern_net_conn_conf(int fd, const struct knet_conf *set,
	    struct knet_conf *old);
int	kern_net_stats(int fd, struct knet_stats *st);
/*
 * Drive the clock: run the callouts due at the earliest one of the
 * classes in mask (sys/callout.h); how many ran.  With persist set, a
 * zero-window probe may be fired too, once per unit of progress.
 */
int	kern_net_fire(int mask, int persist);
/* Packets on the wire and TCP connections alive (for tests, the CLI). */
void	kern_net_counts(int *packets, int *conns);
/* uk_reset(): default settings again. */
void	kern_net_reset(void);

#endif /* !_UK_SYS_NETSUBR_H_ */
