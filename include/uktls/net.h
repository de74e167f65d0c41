/*
 * uktls: the simulated TCP network.
 *
 * Two endpoints in one process talk through a simulated TCP on loopback
 * addresses (127.0.0.0/8): three-way handshake, sequence numbers, MSS,
 * receive windows, retransmission, FIN and RST, in the POSIX shape with
 * a uk_ prefix.  A socket from uk_socket() starts as the loopback sink
 * of <uktls/socket.h>; uk_bind(), uk_connect() or uk_listen() on a
 * socket that has not been used turns it into a TCP endpoint.
 * uk_socketpair_tcp() makes a connected pair in one call.
 *
 * Who makes the network move.  Packets and timers are deferred work
 * (see <uktls/uktls.h>) on a simulated clock.
 *
 *   - Deterministic mode (no worker threads, the default).  Nothing
 *     happens until somebody runs the network: uk_net_run() runs it
 *     until it is quiet, moving the clock from timer to timer.  A call
 *     that has to wait (uk_write() into a full buffer, uk_read() of an
 *     empty one, uk_connect(), uk_accept(), uk_poll()) runs the network
 *     itself, step by step, until it can go on.  When the network has
 *     nothing left to do and the call still cannot go on, the idle hook
 *     (uk_net_set_idle()) gets a turn, as another thread would: a
 *     single-threaded program reads the other end of a connection there,
 *     so that a blocking write of many megabytes completes.  If the hook
 *     does nothing either, the call ends as if its timeout had expired:
 *     a short count, or EAGAIN; uk_connect() EINPROGRESS; uk_poll() 0.
 *   - Worker threads (uk_set_workers()).  Calls block on condition
 *     variables as usual, and time passes by itself whenever the wire
 *     is quiet, so retransmissions happen without help.
 *
 * Faults.  Each endpoint's transmissions may be dropped, reordered,
 * duplicated or split at a random point, with probabilities set by
 * uk_net_config() (new connections) or uk_net_conn_config() (one
 * endpoint), drawn from a generator seeded with the configured seed and
 * the connection's ports.  Whatever the faults, the bytes delivered are
 * exactly the bytes sent.
 *
 * Functions return -1 and set errno (host values) on failure.
 */
#ifndef UKTLS_NET_H
#define UKTLS_NET_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * bind(2), connect(2), accept(2), accept4(2) (SOCK_NONBLOCK,
 * SOCK_CLOEXEC), getsockname(2), getpeername(2) for struct
 * sockaddr_in.  Only loopback addresses (and INADDR_ANY for bind) exist:
 * ENETUNREACH (connect) or EADDRNOTAVAIL (bind) otherwise; EAFNOSUPPORT
 * for another family.  Port 0 binds an ephemeral port (49152-65535,
 * random).  uk_connect() to a port nobody listens on fails with
 * ECONNREFUSED (the peer's reset).  uk_accept() gives the new socket the
 * listener's non-blocking mode, as FreeBSD does; uk_accept4() sets it
 * from its flags.
 */
int	uk_bind(int s, const struct sockaddr *addr, socklen_t len);
int	uk_connect(int s, const struct sockaddr *addr, socklen_t len);
int	uk_accept(int s, struct sockaddr *addr, socklen_t *len);
int	uk_accept4(int s, struct sockaddr *addr, socklen_t *len, int flags);
int	uk_getsockname(int s, struct sockaddr *addr, socklen_t *len);
int	uk_getpeername(int s, struct sockaddr *addr, socklen_t *len);

/*
 * Two connected TCP sockets on 127.0.0.1: a listener on an ephemeral
 * port, a connect, an accept, the listener closed.  sv[0] is the
 * connecting end ("client"), sv[1] the accepted one ("server").  The
 * handshake is real (it shows in the capture).
 */
int	uk_socketpair_tcp(int sv[2]);

/*
 * poll(2) over uk_ sockets: POLLIN (data, end of stream, a connection
 * to accept), POLLOUT (room to write), POLLERR (a pending error),
 * POLLHUP (both directions closed), POLLNVAL.  timeout_ms is simulated
 * time: 0 only looks, -1 waits for an event.
 */
int	uk_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms);

/* Settings of the simulated network for one endpoint's transmissions. */
struct uk_net_config {
	unsigned int	mss;		/* MSS offered; 0: 1448 */
	double		loss_pct;	/* % of segments dropped */
	double		reorder_pct;	/* % held back behind later ones */
	double		dup_pct;	/* % delivered twice */
	double		split_pct;	/* % cut at a random point */
	uint64_t	delay_us;	/* one-way delay; 0: none */
	uint64_t	seed;		/* of the fault generator */
};

/*
 * The settings connections made from now on start with; either pointer
 * may be NULL.  uk_reset() restores the defaults (no faults, MSS 1448).
 * EINVAL for a percentage outside 0..100 or an MSS outside 64..65495.
 */
int	uk_net_config(const struct uk_net_config *set,
	    struct uk_net_config *old);
/*
 * One TCP endpoint's settings from now on (the MSS only before its
 * handshake).  A listener passes its settings to the connections it
 * accepts.  ENOTCONN for a socket that is not a TCP endpoint.
 */
int	uk_net_conn_config(int s, const struct uk_net_config *set,
	    struct uk_net_config *old);

/* One endpoint's statistics. */
struct uk_net_stats {
	int		state;		/* TCP state, RFC 9293 numbering */
	unsigned int	maxseg;		/* payload bytes per segment */
	uint64_t	snd_total;	/* segments sent */
	uint64_t	snd_pack;	/* data segments, first sending */
	uint64_t	snd_byte;	/* data bytes, first sending */
	uint64_t	snd_rexmitpack;	/* segments retransmitted */
	uint64_t	snd_rexmitbyte;	/* data bytes retransmitted */
	uint64_t	snd_acks;	/* pure ACKs */
	uint64_t	snd_winup;	/* window updates */
	uint64_t	snd_probe;	/* zero-window probes */
	uint64_t	snd_ctrl;	/* SYN, FIN, RST */
	uint64_t	rcv_total;	/* segments received */
	uint64_t	rcv_pack;	/* in-order data segments */
	uint64_t	rcv_byte;	/* in-order data bytes */
	uint64_t	rcv_duppack;	/* wholly duplicate segments */
	uint64_t	rcv_dupbyte;
	uint64_t	rcv_oopack;	/* out-of-order segments */
	uint64_t	rcv_oobyte;
	uint64_t	rcv_afterwin;	/* bytes beyond the window */
	uint64_t	rcv_dupack;	/* duplicate ACKs */
	uint64_t	rexmt_timeouts;	/* retransmission timer expiries */
	uint64_t	fast_rexmits;	/* on three duplicate ACKs */
	uint64_t	fault_lost;	/* our segments the network dropped */
	uint64_t	fault_reordered;
	uint64_t	fault_duplicated;
	uint64_t	fault_split;
	uint64_t	srtt_ns;	/* smoothed round-trip time */
	uint64_t	rto_ns;		/* retransmission timeout */
	uint32_t	snd_wnd;	/* the peer's window */
	uint32_t	rcv_wnd;	/* our window, as last offered */
};

/* The TCP states uk_net_stats() reports. */
#define	UK_TCPS_CLOSED		0
#define	UK_TCPS_LISTEN		1
#define	UK_TCPS_SYN_SENT	2
#define	UK_TCPS_SYN_RECEIVED	3
#define	UK_TCPS_ESTABLISHED	4
#define	UK_TCPS_CLOSE_WAIT	5
#define	UK_TCPS_FIN_WAIT_1	6
#define	UK_TCPS_CLOSING		7
#define	UK_TCPS_LAST_ACK	8
#define	UK_TCPS_FIN_WAIT_2	9
#define	UK_TCPS_TIME_WAIT	10

int	uk_net_stats(int s, struct uk_net_stats *st);

/*
 * Run the network until it is quiet: queued work, packets on the wire,
 * and every timer (retransmissions, delayed ACKs, TIME_WAIT), the clock
 * moving to each in turn.  Zero-window probes are fired only while they
 * change something.  Returns how many work items and timers ran.  With
 * worker threads it waits for them.  Closed connections are gone when
 * it returns.
 */
long	uk_net_run(void);

/*
 * The deterministic mode's idle hook: called when a waiting call finds
 * nothing left to run.  It should do what another thread would (read
 * with MSG_DONTWAIT from sockets, write to them) and return nonzero if
 * it did anything, 0 if not.  It must not use the socket whose call is
 * waiting, and is not called again while it runs.  NULL removes it.
 */
void	uk_net_set_idle(int (*fn)(void *), void *arg);

/* Packets on the wire (queued or delayed) and TCP control blocks alive. */
void	uk_net_counts(int *packets, int *conns);

/*
 * A pcap capture of every segment every endpoint transmits, as
 * Ethernet/IPv4/TCP frames with correct checksums and the simulated
 * clock's time (nanosecond pcap), the way tcpdump on the sending side
 * sees them: a segment the network then drops is in the capture, and
 * its retransmission too.  One capture at a time; opening another
 * closes the first.  The file is complete once uk_net_pcap_close()
 * returns.  errno from opening the file.
 */
int	uk_net_pcap_open(const char *path);
int	uk_net_pcap_close(void);
/* Frames written to the open capture (0 if none is open). */
uint64_t uk_net_pcap_frames(void);

/*
 * A key log in the NSS format (SSLKEYLOGFILE) that Wireshark and tshark
 * read, for the TLS sessions in a capture.  uk_keylog_line() takes a
 * line as OpenSSL's keylog callback hands it over ("LABEL <client random
 * hex> <secret hex>", no newline) and checks its shape (EINVAL);
 * uk_keylog_secret() formats one.  Lines are written at once.
 */
int	uk_keylog_open(const char *path);
int	uk_keylog_line(const char *line);
int	uk_keylog_secret(const char *label, const uint8_t *client_random,
	    size_t crlen, const uint8_t *secret, size_t len);
int	uk_keylog_close(void);

#ifdef __cplusplus
}
#endif

#endif /* UKTLS_NET_H */
