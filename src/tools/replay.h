/*
 * uktls replay: internal interfaces.
 *
 *   replay_pcap.c   capture file -> TCP segments (libpcap; link, IP, TCP)
 *   replay_tcp.c    TCP segments -> connections, one reassembled byte
 *                   stream per direction (retransmissions, overlaps,
 *                   reordering, gaps), memory bounded
 *   replay_tls.c    byte streams -> TLS records: handshake, keys, the
 *                   hand-off point, and every record after it checked
 *                   with the model and handed to a backend
 *   replay_ktls.c   backends: the uktls datapath that re-produces the
 *                   records (transmit) and reads them (receive)
 *   replay.c        the command: options, output, JSON, exit status
 *
 * Everything is streamed: a connection's memory is freed when it closes,
 * reordering buffers are capped, and no record is kept after its check.
 */
#ifndef UKTLS_REPLAY_H
#define UKTLS_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tls_record.h"

struct uk_suite;

/* ---- replay_pcap.c ------------------------------------------------------ */

struct rp_endpoint {
	uint8_t		family;		/* 4 or 6 */
	uint8_t		addr[16];	/* IPv4 in the first 4 bytes */
	uint16_t	port;
};

/* "192.0.2.1:443" or "[2001:db8::1]:443" (at most RP_EPSTRLEN bytes). */
#define	RP_EPSTRLEN	64
void	rp_endpoint_str(const struct rp_endpoint *ep, char *buf, size_t len);
int	rp_endpoint_eq(const struct rp_endpoint *a, const struct rp_endpoint *b);

#define	RP_TH_FIN	0x01
#define	RP_TH_SYN	0x02
#define	RP_TH_RST	0x04
#define	RP_TH_ACK	0x10

/* One TCP segment of the capture. */
struct rp_segment {
	uint64_t	 frame;		/* 1-based frame number */
	uint64_t	 ts_usec;
	struct rp_endpoint src, dst;
	uint32_t	 seq;
	uint8_t		 flags;		/* RP_TH_* */
	const uint8_t	*payload;
	size_t		 len;		/* payload bytes captured */
	size_t		 wire_len;	/* payload bytes sent (> len: snapped) */
};

/* Why a frame gave no segment. */
enum rp_skip {
	RP_SKIP_NONE,
	RP_SKIP_LINK,		/* not IP, or a link header we can't read */
	RP_SKIP_NOT_TCP,
	RP_SKIP_FRAGMENT,	/* an IP fragment (not reassembled) */
	RP_SKIP_MALFORMED,	/* a header cut short or inconsistent */
	RP_SKIP_NSKIP
};

/*
 * Decode one frame of link type dlt (DLT_EN10MB, DLT_LINUX_SLL,
 * DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP, DLT_RAW, DLT_IPV4, DLT_IPV6) into
 * *seg (payload points into pkt).  Returns RP_SKIP_NONE or the reason
 * the frame holds no TCP segment.
 */
enum rp_skip rp_decode(int dlt, const uint8_t *pkt, size_t caplen,
	    size_t wirelen, struct rp_segment *seg);
/* Whether rp_decode() reads link type dlt. */
int	rp_dlt_supported(int dlt);

struct rp_pcap;

struct rp_pcap_stats {
	uint64_t	frames;
	uint64_t	segments;
	uint64_t	skipped[RP_SKIP_NSKIP];
};

/* Open a pcap or pcapng file.  0, or -1 with a message in err. */
int	rp_pcap_open(const char *path, struct rp_pcap **pp, char *err,
	    size_t errlen);
/*
 * The next TCP segment: 1 (in *seg, valid until the next call), 0 at the
 * end of the file, -1 when the file cannot be read further (truncated or
 * corrupt; message in err).
 */
int	rp_pcap_next(struct rp_pcap *p, struct rp_segment *seg, char *err,
	    size_t errlen);
const char *rp_pcap_linktype(const struct rp_pcap *p);
const char *rp_pcap_format(const struct rp_pcap *p);	/* pcap, pcapng */
void	rp_pcap_stats(const struct rp_pcap *p, struct rp_pcap_stats *st);
/* Bytes read so far and the file size (0 if unknown), for progress. */
void	rp_pcap_progress(const struct rp_pcap *p, uint64_t *pos,
	    uint64_t *size);
void	rp_pcap_close(struct rp_pcap *p);

/* ---- replay_tcp.c: one direction's reassembler -------------------------- */

/*
 * Callbacks of a reassembler.  Offsets count bytes of the direction's
 * stream from its first byte (the one after the SYN, or the first byte
 * captured when there was no SYN).
 */
struct rp_reasm_cb {
	/* In order, each piece once, with the frame it came in. */
	void	(*deliver)(void *arg, uint64_t off, const uint8_t *p,
		    size_t len, uint64_t frame);
	/* Bytes [off, off + len) were never captured (TCP seq given). */
	void	(*gap)(void *arg, uint64_t off, uint64_t len, uint32_t seq);
	/* A later copy of bytes at off differs from the first (kept). */
	void	(*conflict)(void *arg, uint64_t off, size_t len,
		    uint64_t frame);
	/* The reordering buffer overflowed: a gap is declared early. */
	void	(*overflow)(void *arg, uint64_t off, size_t buffered);
};

struct rp_reasm_stats {
	uint64_t	segments;	/* with payload */
	uint64_t	bytes;		/* delivered */
	uint64_t	dup_segments;	/* nothing new in them */
	uint64_t	dup_bytes;	/* bytes seen twice or more */
	uint64_t	ooo_segments;	/* arrived ahead of a hole */
	uint64_t	conflicts;
	uint64_t	conflict_bytes;
	uint64_t	uncompared_bytes; /* old copies too old to compare */
	uint64_t	gaps;
	uint64_t	gap_bytes;
	uint64_t	overflows;
	uint64_t	before_start;	/* bytes before the stream's start */
	uint64_t	after_fin;	/* bytes past the FIN */
	size_t		ooo_peak;	/* most bytes buffered at once */
};

struct rp_chunk;

struct rp_reasm {
	const struct rp_reasm_cb *cb;
	void		*arg;
	int		 started;	/* base known */
	int		 syn;		/* base from a SYN */
	uint32_t	 base;		/* TCP seq of offset 0 */
	uint64_t	 next;		/* next offset to deliver */
	int		 fin;
	uint64_t	 fin_off;
	struct rp_chunk	*ooo;		/* sorted, disjoint, all > next */
	size_t		 ooo_bytes, ooo_cap;
	uint8_t		*hist;		/* ring of the last bytes delivered */
	size_t		 hist_cap, hist_max;
	uint64_t	 hist_from;	/* no valid bytes before (a gap) */
	struct rp_reasm_stats st;
};

#define	RP_OOO_CAP	(4u << 20)	/* default reordering buffer */
#define	RP_HIST_MAX	(256u << 10)	/* bytes kept to compare copies */

void	rp_reasm_init(struct rp_reasm *r, const struct rp_reasm_cb *cb,
	    void *arg, size_t ooo_cap, size_t hist_max);
/* A SYN with sequence number isn: data starts at isn + 1. */
void	rp_reasm_syn(struct rp_reasm *r, uint32_t isn);
/* A segment (and a FIN at its end if fin). */
void	rp_reasm_segment(struct rp_reasm *r, uint32_t seq, const uint8_t *p,
	    size_t len, int fin, uint64_t frame);
/* No more segments: report holes as gaps and deliver what follows. */
void	rp_reasm_flush(struct rp_reasm *r);
/* All data up to the FIN delivered. */
int	rp_reasm_done(const struct rp_reasm *r);
uint32_t rp_reasm_seq(const struct rp_reasm *r, uint64_t off);
void	rp_reasm_free(struct rp_reasm *r);

/* ---- replay_tcp.c: connections ------------------------------------------ */

struct rp_conn;

/* What the TCP layer tells its consumer (the TLS layer). */
struct rp_tcp_cb {
	void	(*open)(void *arg, struct rp_conn *c);
	void	(*deliver)(void *arg, struct rp_conn *c, int side,
		    uint64_t off, const uint8_t *p, size_t len, uint64_t frame);
	void	(*gap)(void *arg, struct rp_conn *c, int side, uint64_t off,
		    uint64_t len, uint32_t seq);
	void	(*conflict)(void *arg, struct rp_conn *c, int side,
		    uint64_t off, size_t len, uint64_t frame);
	void	(*overflow)(void *arg, struct rp_conn *c, int side,
		    uint64_t off, size_t buffered);
	/* The connection ends (FINs, RST, evicted or end of capture). */
	void	(*close)(void *arg, struct rp_conn *c, const char *why);
};

/*
 * A TCP connection.  Side 0 is the source of the first segment seen,
 * side 1 the other end; client is the side that sent the SYN (-1 when
 * no SYN was seen).
 */
struct rp_conn {
	uint64_t	 index;		/* 1-based, in order of appearance */
	struct rp_endpoint ep[2];
	int		 client;
	uint32_t	 isn[2];
	int		 has_isn[2];
	struct rp_reasm	 dir[2];
	int		 rst;
	uint64_t	 first_frame, last_frame;
	void		*app;		/* the consumer's state */
	struct rp_side {		/* what a reassembler calls back with */
		struct rp_tcp	*t;
		struct rp_conn	*c;
		int		 side;
	} sarg[2];
	struct rp_conn	*hnext;
	struct rp_conn	*prev, *next;	/* live list */
};

struct rp_tcp_limits {
	size_t		ooo_cap;	/* per direction */
	size_t		hist_max;	/* per direction */
	size_t		max_conns;	/* live at once */
};

struct rp_tcp;

struct rp_tcp *rp_tcp_new(const struct rp_tcp_cb *cb, void *arg,
	    const struct rp_tcp_limits *lim);
void	rp_tcp_input(struct rp_tcp *t, const struct rp_segment *seg);
/* End of capture: flush and close every live connection, in order. */
void	rp_tcp_finish(struct rp_tcp *t);
uint64_t rp_tcp_nconns(const struct rp_tcp *t);	/* seen so far */
size_t	rp_tcp_nlive(const struct rp_tcp *t);
void	rp_tcp_free(struct rp_tcp *t);

/* ---- replay_ktls.c: backends ------------------------------------------- */

enum rp_verdict {
	RP_PASS,
	RP_FAIL,
	RP_NOTVER,
};

/* One record from the hand-off on, as a backend sees it. */
struct rp_rec {
	int		 from_client;
	uint64_t	 index;		/* in its direction, from 0 */
	uint64_t	 seq;		/* TLS record sequence number */
	unsigned	 epoch;		/* traffic key generation */
	uint64_t	 frame;		/* frame holding its first byte */
	uint32_t	 tcp_seq;	/* TCP seq of its first byte */
	uint64_t	 off;		/* stream offset of its first byte */
	uint8_t		 type;		/* content type (inner, TLS 1.3) */
	const uint8_t	*wire;		/* the record as captured */
	size_t		 wire_len;
	const uint8_t	*plain;		/* its content */
	size_t		 plain_len;
	const uint8_t	*explicit_iv;	/* GCM 1.2 nonce, CBC 1.1+ IV */
	size_t		 explicit_len;
	const struct tlsm_state *st;	/* keys before it (1.0: chained IV) */
	const struct uk_suite *suite;
};

/* What the receive path gave for a record (rx_record fills it in). */
struct rp_rx_got {
	int		 record;	/* a record came out */
	uint8_t		 type;		/* its TLS_GET_RECORD header */
	uint8_t		 vmajor, vminor;
	const uint8_t	*plain;		/* valid until the next call */
	size_t		 plain_len;
	int		 error;		/* errno the socket reported, or 0 */
	int		 new_session;	/* a receive session began here */
	size_t		 held;		/* captured bytes held for it */
};

/* The keys a TLS library hands to the kernel for one direction. */
struct rp_handoff {
	int		 from_client;
	const struct tlsm_state *st;
	uint64_t	 seq;		/* of the first record after it */
	uint64_t	 off;		/* stream offset of that record */
	const struct uk_suite *suite;
	int		 rx;		/* its bytes go to rx_segment() */
};

/*
 * A way to check records through uktls.  Per direction: dir_open() when
 * the direction reaches its hand-off point, then, in capture order,
 * rx_segment() with the bytes of each captured segment from the hand-off
 * on (contiguous, starting at h->off; only when h->rx, and only while
 * the receive check can still apply: not after a KeyUpdate or a
 * renegotiation) and rx_record() / tx_record() for each record once
 * complete, then dir_close().  rx_record() is called for every record
 * the receive path can take, in order, including those the model
 * rejected (r->plain NULL); records are skipped only where the kernel
 * could not have received them (r->off then jumps ahead).  A NULL
 * rx_record / tx_record means the check does not exist; rx_missing /
 * tx_missing say why.
 */
struct replay_backend {
	const char	*name;
	const char	*rx_missing;
	const char	*tx_missing;
	void		*(*dir_open)(const struct rp_handoff *h);
	void		(*dir_close)(void *dctx);
	void		(*rx_segment)(void *dctx, const uint8_t *p, size_t len,
			    uint64_t frame);
	enum rp_verdict	(*rx_record)(void *dctx, const struct rp_rec *r,
			    struct rp_rx_got *got, char *msg, size_t msglen);
	enum rp_verdict	(*tx_record)(void *dctx, const struct rp_rec *r,
			    char *msg, size_t msglen);
	/* Once, after every connection: nonzero if uktls leaked. */
	int		(*finish)(char *msg, size_t msglen);
};

/* The backend of --mode (sw, ifnet, toe); NULL if not available. */
const struct replay_backend *replay_backend_find(const char *mode,
	    const char **why);

/* ---- replay_tls.c: sessions, checks, results ---------------------------- */

/* The checks a record goes through. */
enum rp_check {
	RP_CHECK_MODEL,		/* decrypt + re-seal with model/ */
	RP_CHECK_TX,		/* uktls transmit path */
	RP_CHECK_RX,		/* uktls receive path */
	RP_NCHECKS
};

#define	RP_MAXREASONS	12

struct rp_count {
	uint64_t	verified, failed, not_verifiable;
	struct {
		const char	*why;
		uint64_t	 n;
	} reasons[RP_MAXREASONS];
	int		 nreasons;
};

struct rp_dir_result {
	int		 from_client;
	uint64_t	 records;	/* from the hand-off on */
	struct rp_count	 total;
	struct rp_count	 check[RP_NCHECKS];
	uint64_t	 handshake_records;
	uint64_t	 plaintext_bytes;	/* application data */
	uint64_t	 segments;
	uint64_t	 rx_segments;	/* fed to the receive path */
	uint64_t	 rx_sessions;	/* receive sessions (sockets) used */
	uint64_t	 rx_plaintext_bytes; /* application data it gave */
	size_t		 rx_held_peak;	/* most captured bytes held for it */
	uint64_t	 wire_bytes;
	struct rp_reasm_stats tcp;
	int		 handoff;	/* reached */
	uint64_t	 handoff_seq;
};

/* A connection's summary, when it closes. */
struct rp_conn_result {
	uint64_t	 index;
	char		 client[RP_EPSTRLEN], server[RP_EPSTRLEN];
	const char	*client_from;	/* "SYN", "ClientHello", "ports" */
	int		 tls;		/* looks like TLS */
	const char	*version;	/* "1.2", or NULL if unknown */
	char		 suite[64];	/* IANA name, "" if unknown */
	const char	*ktls_suite;	/* uk_suite name or NULL */
	int		 etm, ems, compression, mfl, rsl;
	int		 keys;		/* found in the key log */
	const char	*closed;	/* why the connection ended */
	char		 problem[256];	/* first input problem, or "" */
	struct rp_dir_result dir[2];	/* [0] client, [1] server */
};

/* A record's outcome, for --records and for tests. */
struct rp_rec_result {
	uint64_t	 conn;
	int		 from_client;
	uint64_t	 index;
	uint64_t	 frame;
	uint32_t	 tcp_seq;
	int		 app_phase;	/* after the hand-off */
	int		 encrypted;
	uint64_t	 seq;
	unsigned	 epoch;
	uint8_t		 outer_type, type;
	size_t		 wire_len;
	const uint8_t	*plain;		/* NULL if not decrypted */
	size_t		 plain_len;
	const struct rp_rx_got *rx;	/* the receive check's, or NULL */
	enum rp_verdict	 verdict;
	enum rp_verdict	 check[RP_NCHECKS];
	const char	*why;		/* reason or failure, or NULL */
};

struct replay_opts {
	const char	*keylog;	/* NSS key log file, or NULL */
	const struct replay_backend *backend;
	const char	*dump_dir;	/* --dump-plaintext */
	FILE		*records;	/* --records: one TSV line a record */
	FILE		*msgs;		/* problems, one line each (stderr) */
	int		 progress;	/* progress line on msgs */
	struct rp_tcp_limits lim;
	/* Called for each record and each closed connection (tests). */
	void		(*on_record)(void *arg, const struct rp_rec_result *r);
	void		(*on_conn)(void *arg, const struct rp_conn_result *c);
	void		*arg;
};

struct replay_totals {
	uint64_t	 connections;	/* TCP connections */
	uint64_t	 tls_connections;
	uint64_t	 verified, failed, not_verifiable;
	uint64_t	 check[RP_NCHECKS][3];	/* verified/failed/notver */
	uint64_t	 problems;	/* input problems (exit status 3) */
	int		 unreadable;	/* the file could not be opened */
	int		 truncated;	/* reading stopped early */
	char		 error[512];	/* why, if either */
	char		 linktype[32], format[16];
	struct rp_pcap_stats pcap;
	int		 backend_leak;
};

/* Exit statuses of `uktls replay`. */
#define	RP_EXIT_OK	0
#define	RP_EXIT_FAILED	1	/* a record failed a check */
#define	RP_EXIT_USAGE	2	/* bad usage, unreadable file or key log */
#define	RP_EXIT_INPUT	3	/* input incomplete; nothing failed */

/*
 * Replay the capture at path.  Returns the exit status; *tot holds the
 * counts.  Messages about input problems and failures go to o->msgs.
 */
int	replay_run(const char *path, const struct replay_opts *o,
	    struct replay_totals *tot);

/* Names of the checks, "model", "tx", "rx". */
const char *rp_check_name(enum rp_check c);

/* Add one to the reason why in c (a fixed string). */
void	rp_count_reason(struct rp_count *c, const char *why);

#endif /* UKTLS_REPLAY_H */
