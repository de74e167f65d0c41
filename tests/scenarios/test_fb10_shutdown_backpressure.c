/*
 * Field bug 10: read errors instead of an orderly end of stream when the
 * close_notify reply met a full send buffer.
 *
 * Scenario: two KTLS endpoints (transmit and receive sessions each way)
 * write to each other until both send buffers and both receive windows
 * are full; nobody reads.  Then:
 *
 *   fb10_close_notify_reply  A sends close_notify: EAGAIN, the buffer is
 *                            full; B reads, A's close_notify goes in, A
 *                            shuts down.  B reads everything, the
 *                            close_notify, the end.  B replies with its
 *                            own close_notify into its still full buffer:
 *                            EAGAIN; A reads, B's reply goes in, B shuts
 *                            down; A reads everything, the close_notify,
 *                            the end.
 *   fb10_simultaneous_close  both send close_notify at once into full
 *                            buffers and read while they retry
 *
 * Each side must read every byte the other sent, then the close_notify
 * as the last record (type 21), then 0: the end of the stream, never an
 * error, and SO_ERROR 0.  Every receive suite, faults on the wire.
 */
#include "scenario.h"

static const uint8_t close_notify[2] = { 1, 0 };

struct fb10_end {
	int		 fd;
	struct kfx_buf	 sent;		/* application data sent */
	struct sc_reader *rd;
	int		 cn_tries;	/* close_notify attempts that failed */
	bool		 cn_sent;
	bool		 shut;
};

static void
fb10_open(struct fb10_end e[2], int sv[2], const struct tlsm_suite *s,
    uint64_t seed)
{
	struct tlsm_state ka, kb;
	int i;

	memset(e, 0, 2 * sizeof(*e));
	sc_net(seed, 1.0, 2.0, 1.0, 30.0, 0);
	tfx_pair(sv);
	ka = sc_keys(s, 1000 + (uint32_t)seed);
	kb = sc_keys(s, 1001 + (uint32_t)seed);
	sc_enable(sv[0], TCP_TXTLS_ENABLE, &ka, 1);
	sc_enable(sv[1], TCP_RXTLS_ENABLE, &ka, 1);
	sc_enable(sv[1], TCP_TXTLS_ENABLE, &kb, 2);
	sc_enable(sv[0], TCP_RXTLS_ENABLE, &kb, 2);
	for (i = 0; i < 2; i++) {
		e[i].fd = sv[i];
		e[i].rd = sc_reader_new(sv[i]);
		ck_assert_int_eq(uk_set_nonblock(sv[i], 1), 0);
	}
}

/*
 * The ends marked in who[] write until nothing more goes in, while the
 * network runs: their buffers and the peers' windows are full.
 */
static void
fb10_fill(struct fb10_end e[2], const bool who[2])
{
	struct uk_net_stats ns;
	size_t n;
	int i, stuck;

	for (stuck = 0; stuck < 2; ) {
		for (i = 0, n = 0; i < 2; i++)
			if (who[i])
				n += sc_fill(e[i].fd, 1010 + (uint32_t)i,
				    &e[i].sent);
		stuck = n == 0 ? stuck + 1 : 0;
		(void)uk_net_run();
	}
	for (i = 0; i < 2; i++) {
		if (!who[i])
			continue;
		ck_assert_int_eq(uk_net_stats(e[1 - i].fd, &ns), 0);
		ck_assert_uint_eq(ns.rcv_wnd, 0);
	}
}

/* Try the close_notify; once it is in, shut down. */
static void
fb10_try_close(struct fb10_end *e)
{
	ssize_t n;

	if (e->cn_sent)
		return;
	errno = 0;
	n = kfx_send_type(e->fd, close_notify, sizeof(close_notify),
	    TLS_RLTYPE_ALERT);
	if (n < 0) {
		ck_assert_msg(errno == EAGAIN, "close_notify: %s",
		    strerror(errno));
		e->cn_tries++;
		return;
	}
	ck_assert_int_eq(n, (ssize_t)sizeof(close_notify));
	e->cn_sent = true;
	ck_assert_int_eq(uk_shutdown(e->fd, SHUT_WR), 0);
	e->shut = true;
}

/* Has e read the peer's close_notify (the last record so far)? */
static bool
fb10_got_close(const struct fb10_end *e)
{
	const struct rfx_got *g = &e->rd->got;

	return (g->nrec > 0 && g->recs[g->nrec - 1].type == TLS_RLTYPE_ALERT);
}

/*
 * Run until the ends marked in readers[] have read to the end; only they
 * read.  Pending close_notifies (closing[i]) are retried whenever
 * anything moved.
 */
static void
fb10_run(struct fb10_end e[2], const bool readers[2], const bool closing[2])
{
	int i, idle, moved;

	for (idle = 0; (readers[0] && !e[0].rd->got.eof) ||
	    (readers[1] && !e[1].rd->got.eof); ) {
		moved = 0;
		for (i = 0; i < 2; i++)
			if (readers[i])
				moved |= sc_reader_turn(e[i].rd);
		if (uk_net_run() != 0)
			moved = 1;
		if (moved == 0)
			ck_assert_msg(++idle < 3, "no end of stream: %d %d",
			    e[0].rd->got.eof, e[1].rd->got.eof);
		else
			idle = 0;
		for (i = 0; i < 2; i++)
			if (closing[i])
				fb10_try_close(&e[i]);
	}
}

/* What e read: every byte the peer sent, the close_notify, the end. */
static void
fb10_check(struct fb10_end *e, const struct fb10_end *peer)
{
	struct rfx_got *g = &e->rd->got;
	size_t i;
	socklen_t len;
	int err;

	ck_assert_int_eq(e->rd->bad, 0);
	ck_assert_msg(g->nerrors == 0, "a read failed: %s",
	    strerror(g->errors[0]));
	ck_assert_int_eq(g->eof, 1);
	ck_assert(fb10_got_close(e));
	ck_assert_uint_eq(g->plain.len, peer->sent.len + sizeof(close_notify));
	ck_assert_int_eq(memcmp(g->plain.p, peer->sent.p, peer->sent.len), 0);
	ck_assert_int_eq(memcmp(g->plain.p + peer->sent.len, close_notify,
	    sizeof(close_notify)), 0);
	for (i = 0; i + 1 < g->nrec; i++)
		ck_assert_uint_eq(g->recs[i].type, TLS_RLTYPE_APP);
	len = sizeof(err);
	ck_assert_int_eq(uk_getsockopt(e->fd, SOL_SOCKET, SO_ERROR, &err,
	    &len), 0);
	ck_assert_int_eq(err, 0);
}

static void
fb10_end_all(struct fb10_end e[2], int sv[2])
{
	int i;

	fb10_check(&e[0], &e[1]);
	fb10_check(&e[1], &e[0]);
	for (i = 0; i < 2; i++) {
		sc_reader_free(e[i].rd);
		kfx_buf_free(&e[i].sent);
	}
	tfx_finish(sv, 2);
}

START_TEST(fb10_close_notify_reply)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	static const bool a[2] = { true, false }, b[2] = { false, true };
	static const bool both[2] = { true, true };
	struct fb10_end e[2];
	int sv[2];

	if (!rfx_suite_ok(s))
		return;
	fb10_open(e, sv, s, 10000 + (uint64_t)_i);
	fb10_fill(e, both);

	/* A's close_notify meets a full buffer. */
	fb10_try_close(&e[0]);
	ck_assert_int_eq(e[0].cn_tries, 1);
	/* B reads (only B) to A's end; A's close_notify gets in. */
	fb10_run(e, b, a);
	ck_assert(e[0].cn_sent);
	ck_assert_int_ge(e[0].cn_tries, 1);
	ck_assert(fb10_got_close(&e[1]));

	/*
	 * B's reply meets its own full buffer: A has read nothing, and B
	 * wrote up to the last byte that fitted.
	 */
	fb10_fill(e, b);
	fb10_try_close(&e[1]);
	ck_assert_int_eq(e[1].cn_tries, 1);
	ck_assert(!e[1].cn_sent);
	fb10_run(e, a, both);
	ck_assert(e[1].cn_sent);
	ck_assert_int_ge(e[1].cn_tries, 1);
	fb10_end_all(e, sv);
}
END_TEST

START_TEST(fb10_simultaneous_close)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	static const bool both[2] = { true, true };
	struct fb10_end e[2];
	int sv[2];

	if (!rfx_suite_ok(s))
		return;
	fb10_open(e, sv, s, 10100 + (uint64_t)_i);
	fb10_fill(e, both);
	fb10_try_close(&e[0]);
	fb10_try_close(&e[1]);
	ck_assert_int_eq(e[0].cn_tries + e[1].cn_tries, 2);
	/* Each end reads while both retry. */
	fb10_run(e, both, both);
	ck_assert(e[0].cn_sent && e[1].cn_sent);
	fb10_end_all(e, sv);
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb10_shutdown_backpressure");
	SC_ADD(s, fb10_close_notify_reply, TLSM_NSUITES);
	SC_ADD(s, fb10_simultaneous_close, TLSM_NSUITES);
	return (uktest_run(s));
}
