/*
 * Field-bug scenarios (docs/scenarios.md): what tests/scenarios/test_fb*.c
 * share.  Every scenario runs end to end over the loopback TCP shim: a
 * connected pair (uk_socketpair_tcp()), KTLS switched on with
 * setsockopt(), data through uk_write()/uk_sendfile()/uk_sendmsg() and
 * out through uk_recvmsg().  Where one side must be independent of
 * src/, it is the model (model/tls_record.h, model/tls_stream.h): a
 * plain TCP socket carries records the model sealed, or hands the raw
 * records uktls sent to the model to open.
 *
 *   sc_net()         fault settings for the connections made next
 *   sc_enable()      TCP_TXTLS_ENABLE / TCP_RXTLS_ENABLE from model keys
 *   sc_mode()        TCP_TXTLS_MODE / TCP_RXTLS_MODE
 *   sc_rx_open()     a pair: sv[0] plain (the model's sender), sv[1] with
 *                    a receive session; an rfx_conn to seal records into
 *   sc_push()        write the sealed records up to a wire offset
 *   sc_rx_read()     run the network, read every record that is ready
 *   sc_readable()    is anything readable (poll, recvmsg, the buffer)?
 *   sc_model_expect() the model opens the raw records a plain peer got
 *   sc_fill()        write (non-blocking) until not one more byte fits
 *
 * It builds on the unit fixtures (ktls_fixture.h: model keys and record
 * opening; ktls_rx_fixture.h: record collection and the stream oracle;
 * tcp_fixture.h: pairs, sinks, the end of a test).
 */
#ifndef UKTEST_SCENARIO_H
#define UKTEST_SCENARIO_H

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <uktls/ktls.h>
#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/stats.h>
#include <uktls/testing.h>
#include <uktls/uktls.h>

#include "../unit/ktls_rx_fixture.h"
#include "../unit/tcp_fixture.h"
#include "tls_keys.h"
#include "uktest.h"

/* The suite FreeBSD's ktls_test.c calls name. */
static inline const struct tlsm_suite *
sc_suite(const char *name)
{
	const struct tlsm_suite *s;

	s = tlsm_suite_find(name);
	ck_assert_msg(s != NULL, "no suite %s", name);
	return (s);
}

/* Faults (percentages) for the connections made from now on. */
static inline void
sc_net(uint64_t seed, double loss, double reorder, double dup, double split,
    unsigned int mss)
{
	struct uk_net_config conf;

	tfx_faults(&conf, seed, loss, reorder, dup, split);
	conf.mss = mss;
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
}

static inline int
sc_enable_try(int s, int name, const struct tlsm_state *st, uint64_t seq)
{
	struct tls_enable en;

	kfx_enable_of(st, seq, &en);
	return (uk_setsockopt(s, IPPROTO_TCP, name, &en, sizeof(en)));
}

static inline void
sc_enable(int s, int name, const struct tlsm_state *st, uint64_t seq)
{

	ck_assert_msg(sc_enable_try(s, name, st, seq) == 0, "%s: %s",
	    name == TCP_TXTLS_ENABLE ? "TCP_TXTLS_ENABLE" : "TCP_RXTLS_ENABLE",
	    strerror(errno));
}

/* TCP_TXTLS_MODE or TCP_RXTLS_MODE. */
static inline int
sc_mode(int s, int name)
{
	socklen_t len;
	int mode;

	len = sizeof(mode);
	mode = -1;
	ck_assert_int_eq(uk_getsockopt(s, IPPROTO_TCP, name, &mode, &len), 0);
	ck_assert_uint_eq(len, sizeof(mode));
	return (mode);
}

/* kfx_tcase() with a longer timeout for the slower builds. */
static inline TCase *
sc_tcase(const char *name)
{
	TCase *tc;

	tc = kfx_tcase(name);
	tcase_set_timeout(tc, 300);
	return (tc);
}

/* A test case named after test t, running it for _i in [0, n). */
static inline void
sc_add(Suite *s, const char *name, const TTest *t, int n)
{
	TCase *tc;

	tc = sc_tcase(name);
	tcase_add_loop_test(tc, t, 0, n);
	suite_add_tcase(s, tc);
}
#define	SC_ADD(s, t, n)	sc_add((s), #t, (t), (n))

/*
 * A pair whose sv[1] receives with suite s from sequence number seq, and
 * whose sv[0] is a plain TCP socket: the model seals records into c
 * (rfx_seal(), rfx_app()), sc_push() sends them raw.  c->s is sv[1].
 */
static inline void
sc_rx_open(struct rfx_conn *c, int sv[2], const struct tlsm_suite *s,
    const struct tlsm_state *st, uint64_t seq)
{

	memset(c, 0, sizeof(*c));
	tfx_pair(sv);
	c->s = sv[1];
	c->suite = s;
	c->keys = *st;
	c->st = *st;
	c->seq0 = c->seq = seq;
	sc_enable(sv[1], TCP_RXTLS_ENABLE, st, seq);
	ck_assert_int_eq(sc_mode(sv[1], TCP_RXTLS_MODE), TCP_TLS_MODE_SW);
}

/* Send the sealed wire bytes [c->fed, upto) on fd, as one write. */
static inline void
sc_push(struct rfx_conn *c, int fd, size_t upto)
{
	size_t off;
	ssize_t n;

	ck_assert_uint_le(upto, c->wire.len);
	for (off = c->fed; off < upto; off += (size_t)n) {
		n = uk_write(fd, c->wire.p + off, upto - off);
		ck_assert_msg(n > 0, "%s: uk_write of wire bytes %zu..%zu: %s",
		    c->suite->name, off, upto, n < 0 ? strerror(errno) : "0");
	}
	c->fed = upto;
}

/* Run the network until it is quiet, then read every ready record. */
static inline void
sc_rx_read(struct rfx_conn *c)
{

	(void)uk_net_run();
	rfx_read(c);
}

/*
 * Anything to read on s?  Asks poll(), recvmsg(MSG_PEEK | MSG_DONTWAIT)
 * and the buffer's counts, which must agree.  Returns 1 or 0.
 */
static inline int
sc_readable(int s)
{
	struct uk_test_rcvinfo ri;
	struct pollfd pfd;
	uint8_t b[1];
	ssize_t n;
	int p;

	pfd.fd = s;
	pfd.events = POLLIN;
	pfd.revents = 0;
	p = uk_poll(&pfd, 1, 0);
	ck_assert_int_ge(p, 0);
	ck_assert_int_eq(uk_test_rcvbuf_info(s, &ri), 0);
	errno = 0;
	n = uk_recv(s, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		ck_assert_msg(errno == EAGAIN, "peek: %s", strerror(errno));
	if (p == 0) {
		ck_assert_msg(n < 0, "poll says nothing, recv got %zd", n);
		ck_assert_uint_eq(ri.acc, 0);
		return (0);
	}
	ck_assert_msg((pfd.revents & POLLIN) != 0, "revents %#x",
	    pfd.revents);
	return (1);
}

/*
 * A KTLS reader for the idle hook (uk_net_set_idle()) or a poll loop:
 * every record that is ready, with recvmsg() and room for its
 * TLS_GET_RECORD.  Framing that breaks the rules (no MSG_EOR, a
 * truncated or missing control message, a length that disagrees) is
 * counted in bad; errors other than EAGAIN go to got.errors.
 */
struct sc_reader {
	int		 fd;
	int		 flags;		/* extra recv flags */
	struct rfx_got	 got;
	int		 bad;
	uint8_t		 buf[RFX_RECBUF];
};

static inline int
sc_reader_turn(void *arg)
{
	struct sc_reader *r = arg;
	struct tls_get_record tgr;
	size_t ctllen;
	ssize_t n;
	int did, flags;

	did = 0;
	while (!r->got.eof) {
		n = rfx_recvmsg(r->fd, r->buf, sizeof(r->buf),
		    MSG_DONTWAIT | r->flags, CMSG_SPACE(sizeof(tgr)), &tgr,
		    &flags, &ctllen);
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			if (r->got.nerrors < 16)
				r->got.errors[r->got.nerrors] = errno;
			r->got.nerrors++;
			did = 1;
			continue;
		}
		did = 1;
		if (n == 0 && ctllen == 0) {
			r->got.eof = 1;
			break;
		}
		if ((flags & (MSG_EOR | MSG_CTRUNC)) != MSG_EOR ||
		    ctllen != CMSG_SPACE(sizeof(tgr)) ||
		    ntohs(tgr.tls_length) != (size_t)n)
			r->bad++;
		rfx_got_add(&r->got, &tgr, r->buf, (size_t)n);
	}
	return (did);
}

static inline struct sc_reader *
sc_reader_new(int fd)
{
	struct sc_reader *r;

	r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	r->fd = fd;
	return (r);
}

/* Run the network and read until the end of the stream. */
static inline void
sc_reader_drain(struct sc_reader *r)
{
	int idle;

	for (idle = 0; !r->got.eof; ) {
		if (uk_net_run() == 0 && !sc_reader_turn(r))
			ck_assert_msg(++idle < 3, "no end of stream: %zu "
			    "records, %zu bytes", r->got.nrec,
			    r->got.plain.len);
		else
			idle = 0;
	}
}

static inline void
sc_reader_free(struct sc_reader *r)
{

	rfx_got_free(&r->got);
	free(r);
}

/*
 * The end of a reader: no idle hook, read to the end of the stream, no
 * framing broken; what it got moves to *got, and the reader is freed.
 */
static inline void
sc_reader_finish(struct sc_reader *r, struct rfx_got *got)
{

	uk_net_set_idle(NULL, NULL);
	sc_reader_drain(r);
	ck_assert_int_eq(r->bad, 0);
	*got = r->got;
	memset(&r->got, 0, sizeof(r->got));
	sc_reader_free(r);
}

/* The end of an rfx_conn scenario: its buffers, then the connection. */
static inline void
sc_rx_end(struct rfx_conn *c, int sv[2])
{

	kfx_buf_free(&c->wire);
	rfx_got_free(&c->got);
	tfx_finish(sv, 2);
}

/* The same for a plain reader (tcp_fixture.h's sink). */
static inline void
sc_sink_drain(struct tfx_sink *k)
{
	int idle;

	k->step = 0;
	for (idle = 0; !k->eof; ) {
		if (uk_net_run() == 0 && !tfx_sink_turn(k))
			ck_assert_msg(++idle < 3, "no end of stream: %zu bytes",
			    k->len);
		else
			idle = 0;
	}
}

/*
 * The model opens the raw records a plain peer received, with sequence
 * numbers seq0, seq0 + 1, ... (kfx_verify(): headers, exact lengths),
 * and their plaintext must be want[0..len).  The records' types and
 * lengths go to *res if it is not NULL (kfx_result_free() it).
 */
static inline size_t
sc_model_expect(const struct tlsm_suite *s, const struct tlsm_state *keys,
    uint64_t seq0, const void *wire, size_t wirelen, const void *want,
    size_t len, struct kfx_result *res)
{
	struct kfx_result r;
	struct kfx_conn c;
	size_t nrec;

	memset(&c, 0, sizeof(c));
	c.suite = s;
	c.st = *keys;
	c.seq0 = seq0;
	kfx_buf_add(&c.wire, wire, wirelen);
	kfx_expect(&c, want, len, &r);
	kfx_buf_free(&c.wire);
	nrec = r.nrec;
	if (res != NULL)
		*res = r;
	else
		kfx_result_free(&r);
	return (nrec);
}

/*
 * Write stream `id` to non-blocking socket fd until not even one more
 * byte fits: a write takes what the free space allows, and once less
 * than the low-water mark is left only a write that fits whole goes in,
 * so the writes get smaller until one byte fails.  What was accepted is
 * appended to sent.  Returns the bytes written.
 */
static inline size_t
sc_fill(int fd, uint32_t id, struct kfx_buf *sent)
{
	uint8_t buf[16384];
	size_t chunk, total;
	ssize_t n;

	for (total = 0, chunk = sizeof(buf); chunk > 0; ) {
		uktest_fill(buf, chunk, id, sent->len);
		n = uk_write(fd, buf, chunk);
		if (n < 0) {
			ck_assert_msg(errno == EAGAIN, "uk_write: %s",
			    strerror(errno));
			chunk /= 2;
			continue;
		}
		kfx_buf_add(sent, buf, (size_t)n);
		total += (size_t)n;
	}
	return (total);
}

/* Model keys for suite s from pattern `stream`, as the unit tests do. */
static inline struct tlsm_state
sc_keys(const struct tlsm_suite *s, uint32_t stream)
{
	struct tlsm_state st;

	kfx_state(s, stream, &st);
	return (st);
}

/* A small xorshift generator for sizes and choices. */
static inline uint64_t
sc_rand(uint64_t *x)
{

	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (*x);
}

static inline size_t
sc_between(uint64_t *x, size_t lo, size_t hi)
{

	return (lo + (size_t)(sc_rand(x) % (hi - lo + 1)));
}

/* No record was lost to a bad header or failed to open. */
static inline void
sc_assert_clean_stats(const struct uk_ktls_stats *st0)
{
	struct uk_ktls_stats st;

	kfx_stats(&st);
	ck_assert_int_eq(st.corrupted_records, st0->corrupted_records);
	ck_assert_int_eq(st.failed_crypto, st0->failed_crypto);
}

#endif /* UKTEST_SCENARIO_H */
