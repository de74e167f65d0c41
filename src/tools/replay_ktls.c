/*
 * uktls replay: the uktls datapath as a checker of captured records.
 *
 * Transmit (--mode sw).  What a TLS library does with KTLS: put the keys
 * of a direction into a socket with TCP_TXTLS_ENABLE, at the sequence
 * number of the next record, then write each record's content with one
 * sendmsg() whose TLS_SET_RECORD_TYPE control message gives the content
 * type.  The kernel frames and encrypts it; what it would put on the wire
 * is taken from the send buffer and must be the captured record, byte for
 * byte.  The random parts of a record (the GCM 1.2 explicit nonce, the
 * CBC 1.1+ explicit IV) are taken from the captured record and queued
 * with uk_test_ktls_push_explicit(), so only the datapath's own work is
 * compared.  A session is opened lazily and kept while records follow in
 * sequence; when the sequence jumps (a record in between was not
 * something KTLS sends) a new one starts at the new record with the keys
 * as they stand before it (for TLS 1.0 CBC, the IV chained from the
 * previous record).
 *
 * Receive.  What the kernel does with the bytes TCP hands it: a socket
 * gets the direction's keys with TCP_RXTLS_ENABLE at the first record's
 * sequence number, and the captured bytes from the hand-off on go into
 * its receive buffer one captured segment per uk_test_rcvbuf_inject()
 * (tcp_input's sbappendstream()), as the reassembler delivered them.
 * Segments are queued as they come and injected only as far as the
 * record being checked needs (whole segments, so a record still arrives
 * in the pieces it was captured in), then the workers run and the
 * record is read back with recvmsg() and its TLS_GET_RECORD message: one
 * whole record (MSG_EOR), type and version as on the wire, length and
 * plaintext as the model decrypted them.  Injecting no further than
 * needed is what an application reading each record as soon as it is
 * whole would see; it also keeps at most a segment's worth of records
 * decrypted ahead.
 *
 * Which record the kernel dropped.  A record that fails to decrypt is
 * dropped with EBADMSG or EMSGSIZE in so_error, and so_error is reported
 * only once nothing is readable, so reads alone cannot say which record
 * failed when several were decrypted in one run.  The worker's test hook
 * (uk_test_ktls_rx_hook()) is called with each record's sequence number
 * before it is decrypted; whether the record before it reached sb_mb is
 * then plain from the receive buffer's record count, and its errno from
 * so_error.  That gives one outcome per sequence number, matched to the
 * records in order.  A header the kernel cannot frame drops the
 * connection (FreeBSD's ktls_drop()); that is the outcome of the record
 * at the socket's next sequence number.
 *
 * New receive sessions.  Records the kernel could not have taken but
 * whose bytes were given (a TLS 1.3 ChangeCipherSpec after the hand-off),
 * a dropped connection, and a socket closed to bound how many are open
 * all end a socket; the next record then starts a new one at its own
 * sequence number and stream offset, fed from the queued segments (the
 * first one cut at the record's start).  The queue holds captured bytes
 * from the next record to check on, so a direction never holds more
 * than what is in flight.
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uktls/ktls.h>
#include <uktls/socket.h>
#include <uktls/suites.h>
#include <uktls/testing.h>
#include <uktls/uktls.h>

#include "replay.h"

#define	SW_TXOPEN	32		/* transmit sockets open at once */
#define	SW_RXOPEN	64		/* receive sockets open at once */
#define	SW_SNDBUF	(256 << 10)
#define	SW_RCVBUF	(256 << 10)
#define	SW_MAXOUT	(TLSM_HDR_LEN + TLSM_MAX_PLAINTEXT + 2048 + 512)
#define	RX_QMAX		(8u << 20)	/* captured bytes held per direction */
#define	RX_MAXOUTCOMES	(1u << 16)

/* Open sockets, least recently used closed first. */
struct sw_slot {
	int		 s;		/* or -1 */
	uint64_t	 used;
	struct sw_slot	*prev, *next;
};

struct sw_pool {
	struct sw_slot	*head;
	int		 n, max;
};

/* A captured segment not yet behind the records checked. */
struct rx_seg {
	struct rx_seg	*next;
	uint64_t	 off;		/* stream offset of data[0] */
	size_t		 len;
	uint8_t		 data[];
};

/* What the kernel did with one record. */
struct rx_outcome {
	uint64_t	 seq;
	int		 error;		/* 0: on sb_mb; else the errno */
	int		 dropped;	/* the connection was dropped at it */
};

struct sw_dir {
	/* transmit */
	struct sw_slot	 tx;
	uint64_t	 next_seq;	/* the session's next record */
	unsigned	 epoch;
	/* receive */
	int		 rx;		/* records of this direction come */
	struct sw_slot	 rxs;
	uint64_t	 rx_next_off;	/* where the socket's next record is */
	uint64_t	 rx_next_seq;
	uint64_t	 rx_inj;	/* stream offset injected up to */
	uint64_t	 rx_fed;	/* stream offset given up to */
	struct rx_seg	*q, *qtail;
	size_t		 qbytes;
	int		 qoverflow;
	int		 err_pending;	/* so_error from a failure, unread */
	int		 dropped;	/* the socket's stream is lost */
	uint64_t	 drop_seq;
	struct rx_outcome *out;		/* outcomes not yet matched */
	size_t		 nout, outcap;
	int		 out_lost;
	/* the record in the worker (the hook's state) */
	int		 inflight;
	uint64_t	 inflight_seq;
	int		 inflight_nrec;
};

static struct sw_pool sw_txpool = { NULL, 0, SW_TXOPEN };
static struct sw_pool sw_rxpool = { NULL, 0, SW_RXOPEN };
static uint64_t sw_clock;
static uint8_t sw_out[SW_MAXOUT];
static uint8_t rx_buf[SW_MAXOUT];

static void	rx_reset(struct sw_dir *);

/* ---- socket pools ------------------------------------------------------- */

static struct sw_dir *
rx_dir_of(struct sw_slot *sl)
{

	return ((struct sw_dir *)(void *)((char *)sl -
	    offsetof(struct sw_dir, rxs)));
}

static void
slot_close(struct sw_pool *p, struct sw_slot *sl)
{

	if (sl->s < 0)
		return;
	uk_close(sl->s);
	uk_run();
	sl->s = -1;
	if (sl->prev != NULL)
		sl->prev->next = sl->next;
	else
		p->head = sl->next;
	if (sl->next != NULL)
		sl->next->prev = sl->prev;
	sl->prev = sl->next = NULL;
	p->n--;
	if (p == &sw_rxpool)
		rx_reset(rx_dir_of(sl));
}

/* Make room for one more socket in p. */
static void
slot_room(struct sw_pool *p)
{
	struct sw_slot *o, *lru;

	if (p->n < p->max)
		return;
	lru = p->head;
	for (o = p->head; o != NULL; o = o->next)
		if (o->used < lru->used)
			lru = o;
	slot_close(p, lru);
}

static void
slot_add(struct sw_pool *p, struct sw_slot *sl, int s)
{

	sl->s = s;
	sl->used = ++sw_clock;
	sl->prev = NULL;
	sl->next = p->head;
	if (p->head != NULL)
		p->head->prev = sl;
	p->head = sl;
	p->n++;
}

/* struct tls_enable from the model's key state, at seq. */
static void
sw_enable_of(const struct tlsm_state *st, uint64_t seq, struct tls_enable *en)
{
	int i;

	memset(en, 0, sizeof(*en));
	en->cipher_algorithm = st->cipher == TLSM_GCM ? CRYPTO_AES_NIST_GCM_16 :
	    st->cipher == TLSM_CHACHA ? CRYPTO_CHACHA20_POLY1305 :
	    CRYPTO_AES_CBC;
	en->auth_algorithm = st->mac == TLSM_MAC_SHA1 ? CRYPTO_SHA1_HMAC :
	    st->mac == TLSM_MAC_SHA256 ? CRYPTO_SHA2_256_HMAC :
	    st->mac == TLSM_MAC_SHA384 ? CRYPTO_SHA2_384_HMAC : 0;
	en->cipher_key = st->key;
	en->cipher_key_len = (int)st->key_len;
	en->iv = st->iv_len != 0 ? st->iv : NULL;
	en->iv_len = (int)st->iv_len;
	en->auth_key = st->mac_key_len != 0 ? st->mac_key : NULL;
	en->auth_key_len = (int)st->mac_key_len;
	en->tls_vmajor = TLS_MAJOR_VER_ONE;
	en->tls_vminor = (uint8_t)(st->version & 0xff);
	for (i = 0; i < 8; i++)
		en->rec_seq[i] = (uint8_t)(seq >> (56 - 8 * i));
}

/*
 * A socket with a KTLS session for direction opt (TCP_TXTLS_ENABLE or
 * TCP_RXTLS_ENABLE) at record r; -1 with a message.
 */
static int
sw_socket(const struct rp_rec *r, int opt, char *msg, size_t msglen)
{
	struct tls_enable en;
	socklen_t optlen;
	int s, size, mode, bufopt;

	s = uk_socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0) {
		snprintf(msg, msglen, "uk_socket: %s", strerror(errno));
		return (-1);
	}
	bufopt = opt == TCP_TXTLS_ENABLE ? SO_SNDBUF : SO_RCVBUF;
	size = opt == TCP_TXTLS_ENABLE ? SW_SNDBUF : SW_RCVBUF;
	if (uk_setsockopt(s, SOL_SOCKET, bufopt, &size, sizeof(size)) != 0) {
		snprintf(msg, msglen, "%s: %s", bufopt == SO_SNDBUF ?
		    "SO_SNDBUF" : "SO_RCVBUF", strerror(errno));
		uk_close(s);
		return (-1);
	}
	sw_enable_of(r->st, r->seq, &en);
	if (uk_setsockopt(s, IPPROTO_TCP, opt, &en, sizeof(en)) != 0) {
		snprintf(msg, msglen, "%s (%s, seq %llu): %s",
		    opt == TCP_TXTLS_ENABLE ? "TCP_TXTLS_ENABLE" :
		    "TCP_RXTLS_ENABLE", r->suite != NULL ? r->suite->name : "?",
		    (unsigned long long)r->seq, strerror(errno));
		uk_close(s);
		return (-1);
	}
	optlen = sizeof(mode);
	opt = opt == TCP_TXTLS_ENABLE ? TCP_TXTLS_MODE : TCP_RXTLS_MODE;
	if (uk_getsockopt(s, IPPROTO_TCP, opt, &mode, &optlen) != 0 ||
	    mode != TCP_TLS_MODE_SW) {
		snprintf(msg, msglen, "%s is not sw", opt == TCP_TXTLS_MODE ?
		    "TCP_TXTLS_MODE" : "TCP_RXTLS_MODE");
		uk_close(s);
		return (-1);
	}
	return (s);
}

static void *
sw_dir_open(const struct rp_handoff *h)
{
	struct sw_dir *d;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return (NULL);
	d->tx.s = d->rxs.s = -1;
	d->rx = h->rx;
	d->rx_next_off = d->rx_inj = d->rx_fed = h->off;
	d->rx_next_seq = h->seq;
	return (d);
}

static void
rx_queue_trim(struct sw_dir *d, uint64_t upto)
{
	struct rx_seg *g;

	while ((g = d->q) != NULL && g->off + g->len <= upto) {
		d->q = g->next;
		d->qbytes -= g->len;
		free(g);
	}
	if (d->q == NULL)
		d->qtail = NULL;
}

static void
sw_dir_close(void *dctx)
{
	struct sw_dir *d = dctx;

	slot_close(&sw_txpool, &d->tx);
	slot_close(&sw_rxpool, &d->rxs);
	rx_queue_trim(d, UINT64_MAX);
	free(d->out);
	free(d);
}

/* ---- transmit --------------------------------------------------------- */

/* One record through sendmsg(TLS_SET_RECORD_TYPE); compare the output. */
static enum rp_verdict
sw_tx_record(void *dctx, const struct rp_rec *r, char *msg, size_t msglen)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(1)];
	} cm;
	struct sw_dir *d = dctx;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *c;
	size_t got, i;
	ssize_t n;
	int s;

	if (d->tx.s < 0 || d->next_seq != r->seq || d->epoch != r->epoch) {
		slot_close(&sw_txpool, &d->tx);
		slot_room(&sw_txpool);
		s = sw_socket(r, TCP_TXTLS_ENABLE, msg, msglen);
		if (s < 0)
			return (RP_FAIL);
		slot_add(&sw_txpool, &d->tx, s);
		d->next_seq = r->seq;
		d->epoch = r->epoch;
	}
	d->tx.used = ++sw_clock;
	uk_test_ktls_reset();
	if (r->explicit_len != 0 &&
	    uk_test_ktls_push_explicit(r->explicit_iv, r->explicit_len) != 0) {
		snprintf(msg, msglen, "uk_test_ktls_push_explicit: %s",
		    strerror(errno));
		slot_close(&sw_txpool, &d->tx);
		return (RP_FAIL);
	}
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = (void *)(uintptr_t)r->plain;
	iov.iov_len = r->plain_len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_TCP;
	c->cmsg_type = TLS_SET_RECORD_TYPE;
	c->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(c) = r->type;
	n = uk_sendmsg(d->tx.s, &mh, 0);
	if (n != (ssize_t)r->plain_len) {
		snprintf(msg, msglen, "uk_sendmsg of %zu bytes, type %u: %s",
		    r->plain_len, r->type, n < 0 ? strerror(errno) :
		    "short count");
		slot_close(&sw_txpool, &d->tx);
		return (RP_FAIL);
	}
	d->next_seq = r->seq + 1;
	if (uk_test_sndbuf_wait(d->tx.s) != 0) {
		snprintf(msg, msglen, "the record was not encrypted: %s",
		    strerror(errno));
		slot_close(&sw_txpool, &d->tx);
		return (RP_FAIL);
	}
	got = 0;
	while (got < sizeof(sw_out) &&
	    (n = uk_test_sndbuf_take(d->tx.s, sw_out + got,
	    sizeof(sw_out) - got)) > 0)
		got += (size_t)n;
	uk_test_ktls_reset();
	if (got != r->wire_len || memcmp(sw_out, r->wire, got) != 0) {
		for (i = 0; i < got && i < r->wire_len &&
		    sw_out[i] == r->wire[i]; i++)
			;
		snprintf(msg, msglen, "%zu bytes out for a %zu-byte record, "
		    "different from byte %zu", got, r->wire_len, i);
		return (RP_FAIL);
	}
	return (RP_PASS);
}

/* ---- receive ---------------------------------------------------------- */

/* Forget the socket's state (it was closed). */
static void
rx_reset(struct sw_dir *d)
{

	d->nout = 0;
	d->out_lost = 0;
	d->err_pending = 0;
	d->dropped = 0;
	d->inflight = 0;
}

/* A captured segment: queue it until a record needs it. */
static void
sw_rx_segment(void *dctx, const uint8_t *p, size_t len, uint64_t frame)
{
	struct sw_dir *d = dctx;
	struct rx_seg *g;

	(void)frame;
	if (!d->rx || d->qoverflow || len == 0)
		return;
	if (d->qbytes + len > RX_QMAX ||
	    (g = malloc(sizeof(*g) + len)) == NULL) {
		/* Nothing checks records any more: let go of the bytes. */
		d->qoverflow = 1;
		rx_queue_trim(d, UINT64_MAX);
		return;
	}
	g->next = NULL;
	g->off = d->rx_fed;
	g->len = len;
	memcpy(g->data, p, len);
	if (d->qtail != NULL)
		d->qtail->next = g;
	else
		d->q = g;
	d->qtail = g;
	d->qbytes += len;
	d->rx_fed += len;
}

static void
rx_outcome_add(struct sw_dir *d, uint64_t seq, int error, int dropped)
{
	struct rx_outcome *n;
	size_t ncap;

	if (d->nout == d->outcap) {
		ncap = d->outcap == 0 ? 16 : d->outcap * 2;
		n = ncap <= RX_MAXOUTCOMES ?
		    realloc(d->out, ncap * sizeof(*n)) : NULL;
		if (n == NULL) {
			d->out_lost = 1;
			return;
		}
		d->out = n;
		d->outcap = ncap;
	}
	d->out[d->nout].seq = seq;
	d->out[d->nout].error = error;
	d->out[d->nout].dropped = dropped;
	d->nout++;
}

/*
 * The record in the worker is done (the next one is starting, or the
 * worker has finished): it reached sb_mb, or it failed with so_error.
 */
static void
rx_settle(struct sw_dir *d)
{
	struct uk_test_rcvinfo ri;

	if (!d->inflight)
		return;
	d->inflight = 0;
	if (uk_test_rcvbuf_info(d->rxs.s, &ri) != 0)
		return;
	if (ri.nrecords > d->inflight_nrec)
		rx_outcome_add(d, d->inflight_seq, 0, 0);
	else
		rx_outcome_add(d, d->inflight_seq, ri.so_error != 0 ?
		    ri.so_error : EBADMSG, 0);
}

static void
rx_hook(void *arg, int phase, uint64_t seqno)
{
	struct sw_dir *d = arg;
	struct uk_test_rcvinfo ri;

	if (phase != UK_TEST_RX_DETACHED)
		return;
	rx_settle(d);
	if (uk_test_rcvbuf_info(d->rxs.s, &ri) != 0)
		return;
	d->inflight = 1;
	d->inflight_seq = seqno;
	d->inflight_nrec = ri.nrecords;
}

/* Run the receive workers on what was injected; note what they did. */
static void
rx_run(struct sw_dir *d)
{
	struct uk_test_rcvinfo ri;

	uk_test_ktls_rx_hook(rx_hook, d);
	uk_run();
	uk_test_ktls_rx_hook(NULL, NULL);
	rx_settle(d);
	if (!d->dropped && uk_test_rcvbuf_info(d->rxs.s, &ri) == 0 &&
	    ri.cantrcvmore) {
		/* A header that cannot be framed: the stream is lost there. */
		d->dropped = 1;
		d->drop_seq = ri.tls_seqno;
		rx_outcome_add(d, ri.tls_seqno, ri.so_error != 0 ?
		    ri.so_error : EINVAL, 1);
	}
}

/* A new receive session for record r, fed from its first byte. */
static int
rx_open(struct sw_dir *d, const struct rp_rec *r, char *msg, size_t msglen)
{
	int s;

	slot_close(&sw_rxpool, &d->rxs);
	slot_room(&sw_rxpool);
	s = sw_socket(r, TCP_RXTLS_ENABLE, msg, msglen);
	if (s < 0)
		return (-1);
	slot_add(&sw_rxpool, &d->rxs, s);
	rx_reset(d);
	d->rx_next_off = d->rx_inj = r->off;
	d->rx_next_seq = r->seq;
	return (0);
}

/* What the socket holds, for a message. */
static void
rx_state(const struct sw_dir *d, char *buf, size_t len)
{
	struct uk_test_rcvinfo ri;

	if (uk_test_rcvbuf_info(d->rxs.s, &ri) != 0) {
		snprintf(buf, len, "no socket");
		return;
	}
	snprintf(buf, len, "receive buffer: %u bytes encrypted, %d records "
	    "readable, next seq %llu%s", ri.tlscc + ri.tlsdcc, ri.nrecords,
	    (unsigned long long)ri.tls_seqno, ri.cantrcvmore ?
	    ", stream ended" : "");
}

/*
 * Inject the queued segments (from rx_inj) up to stream offset end, each
 * as far as it goes, and run the workers.
 */
static int
rx_inject(struct sw_dir *d, uint64_t end, char *msg, size_t msglen)
{
	struct rx_seg *g;
	const uint8_t *p;
	size_t n;
	ssize_t k;
	int stuck;

	for (g = d->q; g != NULL && d->rx_inj < end; g = g->next) {
		if (g->off + g->len <= d->rx_inj)
			continue;
		p = g->data + (d->rx_inj - g->off);
		n = (size_t)(g->off + g->len - d->rx_inj);
		stuck = 0;
		while (n > 0) {
			k = uk_test_rcvbuf_inject(d->rxs.s, p, n);
			if (k < 0) {
				snprintf(msg, msglen, "uk_test_rcvbuf_inject: "
				    "%s", strerror(errno));
				return (-1);
			}
			rx_run(d);
			if (k == 0 && ++stuck > 1) {
				/* Nothing read since: it will not open. */
				snprintf(msg, msglen, "the receive window "
				    "stays shut with %zu bytes to go", n);
				return (-1);
			}
			p += k;
			n -= (size_t)k;
			d->rx_inj += (size_t)k;
		}
	}
	if (d->rx_inj < end) {
		snprintf(msg, msglen, "the segments held end at stream offset "
		    "%llu, before the record's end (%llu)",
		    (unsigned long long)d->rx_inj, (unsigned long long)end);
		return (-1);
	}
	return (0);
}

/*
 * One recvmsg() with room for a TLS_GET_RECORD message.  Returns its
 * result; *tgr is filled in when the message came.
 */
static ssize_t
rx_recv(int s, struct tls_get_record *tgr, int *has_tgr, int *flags,
    socklen_t *ctllen)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(sizeof(struct tls_get_record))];
	} cm;
	struct cmsghdr *c;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	memset(tgr, 0, sizeof(*tgr));
	*has_tgr = 0;
	iov.iov_base = rx_buf;
	iov.iov_len = sizeof(rx_buf);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	n = uk_recvmsg(s, &mh, MSG_DONTWAIT);
	*flags = mh.msg_flags;
	*ctllen = (socklen_t)mh.msg_controllen;
	if (n < 0 || mh.msg_controllen == 0)
		return (n);
	c = CMSG_FIRSTHDR(&mh);
	if (c != NULL && c->cmsg_level == IPPROTO_TCP &&
	    c->cmsg_type == TLS_GET_RECORD &&
	    c->cmsg_len == CMSG_LEN(sizeof(*tgr))) {
		memcpy(tgr, CMSG_DATA(c), sizeof(*tgr));
		*has_tgr = 1;
	}
	return (n);
}

/*
 * Read the record the kernel put on sb_mb for r; fill in *got.  An error
 * a failed record before it left in so_error may come first (when its
 * record was the last readable one): it is taken and the read repeated.
 */
static int
rx_read(struct sw_dir *d, struct rp_rx_got *got, char *msg, size_t msglen)
{
	struct tls_get_record tgr;
	socklen_t ctllen;
	ssize_t n;
	int has, flags, tries;

	for (tries = 0;; tries++) {
		n = rx_recv(d->rxs.s, &tgr, &has, &flags, &ctllen);
		if (n >= 0)
			break;
		if (tries == 0 && d->err_pending &&
		    (errno == EBADMSG || errno == EMSGSIZE)) {
			d->err_pending = 0;
			continue;
		}
		got->error = errno;
		snprintf(msg, msglen, "recvmsg: %s", strerror(errno));
		return (-1);
	}
	if (n == 0 && ctllen == 0) {
		snprintf(msg, msglen, "recvmsg: end of stream");
		return (-1);
	}
	got->record = 1;
	got->type = tgr.tls_type;
	got->vmajor = tgr.tls_vmajor;
	got->vminor = tgr.tls_vminor;
	got->plain = rx_buf;
	got->plain_len = (size_t)n;
	if (!has) {
		snprintf(msg, msglen, "recvmsg: no TLS_GET_RECORD message "
		    "(%zd bytes, control length %u)", n, (unsigned)ctllen);
		return (-1);
	}
	if ((flags & (MSG_EOR | MSG_CTRUNC)) != MSG_EOR) {
		snprintf(msg, msglen, "recvmsg: flags %#x: not one whole "
		    "record", (unsigned)flags);
		return (-1);
	}
	if (ntohs(tgr.tls_length) != (size_t)n) {
		snprintf(msg, msglen, "TLS_GET_RECORD says %u bytes, %zd "
		    "came", ntohs(tgr.tls_length), n);
		return (-1);
	}
	return (0);
}

/* If an error is left in so_error and nothing is readable, take it. */
static void
rx_take_error(struct sw_dir *d)
{
	struct uk_test_rcvinfo ri;
	struct tls_get_record tgr;
	socklen_t ctllen;
	int has, flags;

	if (!d->err_pending || uk_test_rcvbuf_info(d->rxs.s, &ri) != 0 ||
	    ri.nrecords != 0)
		return;
	if (ri.so_error != 0)
		(void)rx_recv(d->rxs.s, &tgr, &has, &flags, &ctllen);
	d->err_pending = 0;
}

static const char *
rx_errname(int error)
{

	switch (error) {
	case EBADMSG:
		return ("EBADMSG");
	case EMSGSIZE:
		return ("EMSGSIZE");
	case EINVAL:
		return ("EINVAL");
	default:
		return (strerror(error));
	}
}

/*
 * Record r through the receive path: every byte up to its end injected
 * as captured, the workers run, then what the kernel did with it must be
 * what the model did: the same record out (type, version, length,
 * plaintext), or, for a record the model rejects, no record out.
 */
static enum rp_verdict
sw_rx_record(void *dctx, const struct rp_rec *r, struct rp_rx_got *got,
    char *msg, size_t msglen)
{
	struct sw_dir *d = dctx;
	struct rx_outcome o;
	char st[128], why[160];
	uint64_t end, held;
	size_t i, k;
	int found;

	memset(got, 0, sizeof(*got));
	memset(&o, 0, sizeof(o));
	if (!d->rx) {
		snprintf(msg, msglen, "no receive session for this direction");
		return (RP_FAIL);
	}
	if (d->qoverflow) {
		snprintf(msg, msglen, "more than %u bytes waited for the "
		    "receive check: the direction is no longer fed",
		    (unsigned)RX_QMAX);
		return (RP_FAIL);
	}
	end = r->off + r->wire_len;
	held = d->q != NULL ? d->q->off : d->rx_fed;
	if (r->off < held || end > d->rx_fed) {
		snprintf(msg, msglen, "the record's bytes (stream offset "
		    "%llu-%llu) were not all given to the receive path "
		    "(%llu-%llu held)", (unsigned long long)r->off,
		    (unsigned long long)end, (unsigned long long)held,
		    (unsigned long long)d->rx_fed);
		return (RP_FAIL);
	}
	/* A new session where the socket's stream does not go on to r. */
	if (d->rxs.s < 0 || r->off != d->rx_next_off ||
	    r->seq != d->rx_next_seq || (d->dropped && r->seq > d->drop_seq)) {
		if (rx_open(d, r, msg, msglen) != 0)
			return (RP_FAIL);
		got->new_session = 1;
	}
	d->rxs.used = ++sw_clock;
	rx_take_error(d);
	if (rx_inject(d, end, msg, msglen) != 0) {
		slot_close(&sw_rxpool, &d->rxs);
		return (RP_FAIL);
	}
	d->rx_next_off = end;
	d->rx_next_seq = r->seq + 1;
	got->held = d->qbytes;
	rx_queue_trim(d, end);

	/* The kernel's outcome for r's sequence number. */
	found = 0;
	for (i = 0; i < d->nout && d->out[i].seq <= r->seq; i++)
		if (d->out[i].seq == r->seq) {
			o = d->out[i];
			found = 1;
		}
	for (k = 0; i < d->nout; i++, k++)
		d->out[k] = d->out[i];
	d->nout = k;
	if (!found) {
		rx_state(d, st, sizeof(st));
		snprintf(msg, msglen, "%s: no record came out (%s)",
		    d->out_lost ? "too many records in flight" :
		    "the receive path did not decrypt it", st);
		slot_close(&sw_rxpool, &d->rxs);
		return (RP_FAIL);
	}
	if (o.error != 0) {
		got->error = o.error;
		if (!o.dropped)
			d->err_pending = 1;
		rx_take_error(d);
		snprintf(why, sizeof(why), "%s (%s)", o.dropped ?
		    "dropped the connection at its header" :
		    "rejected it", rx_errname(o.error));
		if (r->plain == NULL)
			snprintf(msg, msglen, "%s, as the model did", why);
		else
			snprintf(msg, msglen, "%s; the model opens it", why);
		return (RP_FAIL);
	}
	if (rx_read(d, got, msg, msglen) != 0) {
		slot_close(&sw_rxpool, &d->rxs);
		return (RP_FAIL);
	}
	rx_take_error(d);
	if (r->plain == NULL) {
		snprintf(msg, msglen, "decrypted a record the model rejects "
		    "(type %u, %zu bytes)", got->type, got->plain_len);
		return (RP_FAIL);
	}
	if (got->type != r->type) {
		snprintf(msg, msglen, "record type %u, the model %u",
		    got->type, r->type);
		return (RP_FAIL);
	}
	if (got->vmajor != r->wire[1] || got->vminor != r->wire[2]) {
		snprintf(msg, msglen, "version %u.%u, the wire %u.%u",
		    got->vmajor, got->vminor, r->wire[1], r->wire[2]);
		return (RP_FAIL);
	}
	if (got->plain_len != r->plain_len) {
		snprintf(msg, msglen, "%zu bytes of plaintext, the model %zu",
		    got->plain_len, r->plain_len);
		return (RP_FAIL);
	}
	if (memcmp(got->plain, r->plain, r->plain_len) != 0) {
		for (i = 0; got->plain[i] == r->plain[i]; i++)
			;
		snprintf(msg, msglen, "plaintext differs from the model's "
		    "from byte %zu", i);
		return (RP_FAIL);
	}
	return (RP_PASS);
}

/* ---- the backends ------------------------------------------------------- */

/* After every connection: the datapath must hold nothing any more. */
static int
sw_finish(char *msg, size_t msglen)
{
	struct uk_counters cnt;

	while (sw_txpool.head != NULL)
		slot_close(&sw_txpool, sw_txpool.head);
	while (sw_rxpool.head != NULL)
		slot_close(&sw_rxpool, sw_rxpool.head);
	uk_run();
	uk_counters(&cnt);
	if (cnt.mbufs != 0 || cnt.clusters != 0 || cnt.pages != 0 ||
	    cnt.sessions != 0) {
		snprintf(msg, msglen, "left behind %lld mbufs, %lld clusters, "
		    "%lld pages, %lld sessions", (long long)cnt.mbufs,
		    (long long)cnt.clusters, (long long)cnt.pages,
		    (long long)cnt.sessions);
		return (1);
	}
	return (0);
}

static const struct replay_backend sw_backend = {
	.name = "sw",
	.rx_missing = NULL,
	.tx_missing = NULL,
	.dir_open = sw_dir_open,
	.dir_close = sw_dir_close,
	.rx_segment = sw_rx_segment,
	.rx_record = sw_rx_record,
	.tx_record = sw_tx_record,
	.finish = sw_finish,
};

const struct replay_backend *
replay_backend_find(const char *mode, const char **why)
{

	*why = NULL;
	if (strcmp(mode, "sw") == 0)
		return (&sw_backend);
	if (strcmp(mode, "ifnet") == 0)
		*why = "not available: no simulated ifnet TLS device in this "
		    "build (only sw)";
	else if (strcmp(mode, "toe") == 0)
		*why = "not available: no simulated TOE device in this build "
		    "(only sw)";
	else
		*why = "unknown mode (sw, ifnet, toe)";
	return (NULL);
}
