/*
 * KTLS receive tests: a socket with a receive session, TLS records made
 * by the model (or by libssl) fed into its receive buffer the way TCP
 * would hand them over, in pieces of chosen sizes, and everything read
 * back with recvmsg(): one record per call, MSG_EOR, TLS_GET_RECORD.
 *
 *   rfx_open()      socket + TCP_RXTLS_ENABLE from a model state
 *   rfx_seal()      one record onto the wire (not fed yet)
 *   rfx_app()       application data as records of at most 2^14 bytes
 *   rfx_feed()      feed the wire up to an offset, in pieces; when the
 *                   receive window is full, run the workers and read
 *   rfx_read()      run the workers, read every record that is ready
 *   rfx_expect()    compare what was read with model/tls_stream's
 *                   verdict on the same wire bytes
 *
 * Everything is static inline so that a file using part of it does not
 * warn.
 */
#ifndef UKTEST_KTLS_RX_FIXTURE_H
#define UKTEST_KTLS_RX_FIXTURE_H

#include <errno.h>
#include <stdio.h>

#include "ktls_fixture.h"
#include "tls_stream.h"

#define	RFX_RECBUF	(TLS_MAX_MSG_SIZE_V10_2 + 1024)
#define	RFX_MSS		1448

/* The fourteen suites FreeBSD receives: all but TLS 1.0. */
static inline bool
rfx_suite_ok(const struct tlsm_suite *s)
{

	return (s->version != TLSM_V10);
}

/* One record as recvmsg() returned it. */
struct rfx_rec {
	uint8_t		type, vmajor, vminor;
	size_t		off, len;	/* in rfx_got.plain */
};

/* Everything read from a socket. */
struct rfx_got {
	struct kfx_buf	 plain;
	struct rfx_rec	*recs;
	size_t		 nrec, cap;
	int		 errors[16];	/* errno of failed reads, in order */
	int		 nerrors;
	int		 eof;
};

struct rfx_conn {
	int		 s;
	const struct tlsm_suite *suite;
	struct tlsm_state keys;		/* as enabled */
	struct tlsm_state st;		/* the sender's */
	uint64_t	 seq0, seq;	/* first, next record to seal */
	struct kfx_buf	 wire;		/* every record sealed */
	size_t		 fed;		/* bytes of wire fed */
	struct rfx_got	 got;
};

/* How to cut the wire into pieces. */
enum rfx_cut {
	RFX_WHOLE,		/* all at once */
	RFX_BYTES,		/* 1 byte per piece */
	RFX_PIECES,		/* pieces of `size` bytes (MSS) */
	RFX_RANDOM,		/* 1..size bytes, from seed */
};

struct rfx_seg {
	enum rfx_cut	 cut;
	size_t		 size;
	uint64_t	 rng;
};

static inline struct rfx_seg
rfx_seg(enum rfx_cut cut, size_t size, uint64_t seed)
{
	struct rfx_seg g;

	g.cut = cut;
	g.size = size;
	g.rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	return (g);
}

static inline size_t
rfx_next_piece(struct rfx_seg *g, size_t remain)
{
	size_t n;

	switch (g->cut) {
	case RFX_BYTES:
		n = 1;
		break;
	case RFX_PIECES:
		n = g->size;
		break;
	case RFX_RANDOM:
		g->rng ^= g->rng << 13;
		g->rng ^= g->rng >> 7;
		g->rng ^= g->rng << 17;
		n = 1 + (size_t)(g->rng % g->size);
		break;
	default:
		n = remain;
		break;
	}
	return (n < remain ? n : remain);
}

static inline void
rfx_open_state(struct rfx_conn *c, const struct tlsm_suite *s,
    const struct tlsm_state *st, uint64_t seq)
{
	struct tls_enable en;
	socklen_t len;
	int mode;

	memset(c, 0, sizeof(*c));
	c->suite = s;
	c->keys = *st;
	c->st = *st;
	c->seq0 = c->seq = seq;
	c->s = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(c->s, 0);
	kfx_enable_of(&c->keys, seq, &en);
	ck_assert_msg(uk_setsockopt(c->s, IPPROTO_TCP, TCP_RXTLS_ENABLE, &en,
	    sizeof(en)) == 0, "%s: TCP_RXTLS_ENABLE: %s", s->name,
	    strerror(errno));
	len = sizeof(mode);
	ck_assert_int_eq(uk_getsockopt(c->s, IPPROTO_TCP, TCP_RXTLS_MODE,
	    &mode, &len), 0);
	ck_assert_int_eq(mode, TCP_TLS_MODE_SW);
}

static inline void
rfx_open(struct rfx_conn *c, const struct tlsm_suite *s, uint32_t stream,
    uint64_t seq)
{
	struct tlsm_state st;

	kfx_state(s, stream, &st);
	rfx_open_state(c, s, &st, seq);
}

static inline void
rfx_got_free(struct rfx_got *g)
{

	kfx_buf_free(&g->plain);
	free(g->recs);
	memset(g, 0, sizeof(*g));
}

static inline void
rfx_close(struct rfx_conn *c)
{

	ck_assert_int_eq(uk_close(c->s), 0);
	kfx_buf_free(&c->wire);
	rfx_got_free(&c->got);
}

/* Seal one record onto the wire (not fed). */
static inline size_t
rfx_seal(struct rfx_conn *c, uint8_t type, const void *p, size_t len,
    const struct tlsm_seal_opts *opts)
{
	static uint8_t out[2 * TLS_MAX_MSG_SIZE_V10_2 + 1024];
	size_t outlen;

	ck_assert_int_eq(tlsm_seal(&c->st, c->seq++, type, p, len, opts, out,
	    sizeof(out), &outlen), 0);
	kfx_buf_add(&c->wire, out, outlen);
	return (outlen);
}

/* Application data as records of at most 2^14 bytes (0: one empty). */
static inline void
rfx_app(struct rfx_conn *c, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t n, off;

	off = 0;
	do {
		n = len - off > KFX_MAXREC ? KFX_MAXREC : len - off;
		rfx_seal(c, TLS_RLTYPE_APP, b + off, n, NULL);
		off += n;
	} while (off < len);
}

static inline void
rfx_got_add(struct rfx_got *g, const struct tls_get_record *tgr,
    const void *p, size_t len)
{

	if (g->nrec == g->cap) {
		g->cap = g->cap == 0 ? 64 : g->cap * 2;
		g->recs = realloc(g->recs, g->cap * sizeof(*g->recs));
		ck_assert_ptr_nonnull(g->recs);
	}
	g->recs[g->nrec].type = tgr->tls_type;
	g->recs[g->nrec].vmajor = tgr->tls_vmajor;
	g->recs[g->nrec].vminor = tgr->tls_vminor;
	g->recs[g->nrec].off = g->plain.len;
	g->recs[g->nrec].len = len;
	kfx_buf_add(&g->plain, p, len);
	g->nrec++;
}

/*
 * One recvmsg() with a control buffer of ctllen bytes.  Returns its
 * result; the record type etc. go to *tgr (zeroed if none came).
 */
static inline ssize_t
rfx_recvmsg(int s, void *buf, size_t len, int flags, size_t ctllen,
    struct tls_get_record *tgr, int *msg_flags, size_t *controllen)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[256];
	} cbuf;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;

	memset(&cbuf, 0, sizeof(cbuf));
	memset(&msg, 0, sizeof(msg));
	memset(tgr, 0, sizeof(*tgr));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctllen != 0 ? cbuf.buf : NULL;
	msg.msg_controllen = ctllen;
	n = uk_recvmsg(s, &msg, flags);
	if (msg_flags != NULL)
		*msg_flags = msg.msg_flags;
	if (controllen != NULL)
		*controllen = msg.msg_controllen;
	if (n < 0 || msg.msg_controllen == 0)
		return (n);
	cm = CMSG_FIRSTHDR(&msg);
	if (cm != NULL && cm->cmsg_level == IPPROTO_TCP &&
	    cm->cmsg_type == TLS_GET_RECORD &&
	    cm->cmsg_len == CMSG_LEN(sizeof(*tgr)))
		memcpy(tgr, CMSG_DATA(cm), sizeof(*tgr));
	return (n);
}

/*
 * Run the workers, then read every record that is ready: each read must
 * be exactly one whole record with MSG_EOR and a TLS_GET_RECORD that
 * tells its length.  Stops at EAGAIN or the end of the stream; errors
 * are recorded and reading goes on.
 */
static inline void
rfx_read(struct rfx_conn *c)
{
	static uint8_t buf[RFX_RECBUF];
	struct tls_get_record tgr;
	size_t ctllen;
	ssize_t n;
	int flags;

	(void)uk_run();
	for (;;) {
		n = rfx_recvmsg(c->s, buf, sizeof(buf), MSG_DONTWAIT,
		    CMSG_SPACE(sizeof(tgr)), &tgr, &flags, &ctllen);
		if (n < 0) {
			if (errno == EAGAIN)
				return;
			ck_assert_int_lt(c->got.nerrors, 16);
			c->got.errors[c->got.nerrors++] = errno;
			continue;
		}
		if (n == 0 && ctllen == 0) {
			c->got.eof = 1;
			return;
		}
		ck_assert_msg(ctllen == CMSG_SPACE(sizeof(tgr)),
		    "%s: record %zu: control length %zu", c->suite->name,
		    c->got.nrec, ctllen);
		ck_assert_msg((flags & (MSG_EOR | MSG_CTRUNC)) == MSG_EOR,
		    "%s: record %zu: flags %#x", c->suite->name, c->got.nrec,
		    flags);
		ck_assert_uint_eq(ntohs(tgr.tls_length), (size_t)n);
		rfx_got_add(&c->got, &tgr, buf, (size_t)n);
	}
}

/*
 * Feed the wire up to byte `upto` in pieces.  A piece the receive window
 * cannot take whole is finished after the workers ran and the reader
 * read (the peer's TCP would wait for the window to open).
 */
static inline void
rfx_feed(struct rfx_conn *c, struct rfx_seg *g, size_t upto)
{
	size_t n, piece;
	ssize_t k;
	int stuck;

	ck_assert_uint_le(upto, c->wire.len);
	stuck = 0;
	while (c->fed < upto) {
		piece = rfx_next_piece(g, upto - c->fed);
		for (n = 0; n < piece; n += (size_t)k) {
			/* (Check's asserts are slow: test, then fail.) */
			k = uk_test_rcvbuf_inject(c->s, c->wire.p + c->fed + n,
			    piece - n);
			if (k < 0)
				ck_abort_msg("%s: inject: %s", c->suite->name,
				    strerror(errno));
			if (k == 0) {
				rfx_read(c);
				if (++stuck >= 1000)
					ck_abort_msg("%s: the receive window "
					    "stays shut", c->suite->name);
			} else
				stuck = 0;
		}
		c->fed += piece;
	}
}

/* Feed everything left, then (if eof) the FIN, then read. */
static inline void
rfx_finish(struct rfx_conn *c, struct rfx_seg *g, int eof)
{

	rfx_feed(c, g, c->wire.len);
	if (eof)
		ck_assert_int_eq(uk_test_rcv_eof(c->s), 0);
	rfx_read(c);
}

/*
 * What was read must be what the model says a reader gets from the same
 * bytes: the same records (type, version, plaintext) in order, the last
 * error reported equal to the model's last, every error reported one the
 * model has, and the end of the stream seen iff eof.
 */
static inline void
rfx_expect(struct rfx_conn *c, int eof)
{
	struct tlsm_rx rx;
	const struct tlsm_rx_rec *r;
	const struct rfx_rec *g;
	size_t i, k;
	int e, found;

	memset(&rx, 0, sizeof(rx));
	ck_assert_int_eq(tlsm_rx_parse(&c->keys, c->seq0, c->wire.p,
	    c->wire.len, eof, &rx), 0);
	for (i = 0, k = 0; i < rx.nrecs; i++) {
		r = &rx.recs[i];
		if (r->error != 0)
			continue;
		ck_assert_msg(k < c->got.nrec, "%s: record %zu (seq %ju) "
		    "missing; %zu read", c->suite->name, i,
		    (uintmax_t)r->seq, c->got.nrec);
		g = &c->got.recs[k];
		ck_assert_msg(g->type == r->type && g->vmajor == r->vmajor &&
		    g->vminor == r->vminor && g->len == r->len,
		    "%s: record %zu: type %u %u.%u len %zu, model %u %u.%u "
		    "%zu", c->suite->name, k, g->type, g->vmajor, g->vminor,
		    g->len, r->type, r->vmajor, r->vminor, r->len);
		ck_assert_msg(r->len == 0 || memcmp(c->got.plain.p + g->off,
		    tlsm_rx_data(&rx, i), r->len) == 0,
		    "%s: record %zu: plaintext differs", c->suite->name, k);
		k++;
	}
	ck_assert_msg(k == c->got.nrec, "%s: %zu records read, model %zu",
	    c->suite->name, c->got.nrec, k);
	for (e = 0; e < c->got.nerrors; e++) {
		found = c->got.errors[e] == rx.fatal;
		for (i = 0; i < rx.nrecs && !found; i++)
			found = rx.recs[i].error == c->got.errors[e];
		ck_assert_msg(found, "%s: error %s is none the model has",
		    c->suite->name, strerror(c->got.errors[e]));
	}
	if (rx.last_error != 0)
		ck_assert_msg(c->got.nerrors > 0 &&
		    c->got.errors[c->got.nerrors - 1] == rx.last_error,
		    "%s: last error %s, model %s", c->suite->name,
		    c->got.nerrors > 0 ? strerror(c->got.errors[c->got.nerrors -
		    1]) : "none", strerror(rx.last_error));
	else
		ck_assert_int_eq(c->got.nerrors, 0);
	ck_assert_int_eq(c->got.eof, eof || rx.fatal != 0);
	tlsm_rx_free(&rx);
}

/* The counts once everything was read: nothing left anywhere. */
static inline void
rfx_assert_empty(struct rfx_conn *c)
{
	struct uk_test_rcvinfo ri;

	ck_assert_int_eq(uk_test_rcvbuf_info(c->s, &ri), 0);
	ck_assert_uint_eq(ri.ccc, 0);
	ck_assert_uint_eq(ri.acc, 0);
	ck_assert_uint_eq(ri.tlscc, 0);
	ck_assert_uint_eq(ri.tlsdcc, 0);
	ck_assert_uint_eq(ri.mbcnt, 0);
	ck_assert_int_eq(ri.running, 0);
}

#endif /* UKTEST_KTLS_RX_FIXTURE_H */
