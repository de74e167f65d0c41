/*
 * Field bug 3: a close_notify sent as a control record into a full
 * non-blocking send buffer returned EAGAIN and corrupted the stream (a
 * sequence number used up by a record that was never sent, or part of
 * the record queued).
 *
 * Scenario: a KTLS sender writes until its send buffer and the peer's
 * receive window are both full (the peer does not read).  Then a
 * control record (TLS_SET_RECORD_TYPE: the close_notify alert, and a
 * larger handshake record) must fail with EAGAIN and leave the socket
 * exactly as it was: no byte queued, no sequence number taken.  The
 * peer reads a little at a time; every retry before there is room fails
 * the same way, and the first one that fits goes out whole, as one
 * record.  More data follows.  The model opens what the peer received:
 * every record, sequence numbers contiguous, the control record where
 * it was sent, nothing lost.
 *
 *   fb03_control_into_full_sndbuf   non-blocking, as above, every suite
 *   fb03_control_blocking           a blocking sender waits instead, the
 *                                   peer reading slowly meanwhile
 *   fb03_control_too_large          larger than the buffer can ever
 *                                   hold: EMSGSIZE, nothing queued
 */
#include "scenario.h"

static const uint8_t close_notify[2] = { 1, 0 };

struct fb3_conn {
	int		 sv[2];
	struct tlsm_state keys;
	struct kfx_buf	 want;		/* plaintext accepted, in order */
	uint8_t		*types;		/* record type per accepted call */
	size_t		 ntypes;
};

static void
fb3_open(struct fb3_conn *f, const struct tlsm_suite *s, uint64_t seed)
{

	memset(f, 0, sizeof(*f));
	sc_net(seed, 1.0, 2.0, 1.0, 30.0, 0);
	tfx_pair(f->sv);
	f->keys = sc_keys(s, 300 + (uint32_t)seed);
	sc_enable(f->sv[0], TCP_TXTLS_ENABLE, &f->keys, 1000);
	ck_assert_int_eq(uk_set_nonblock(f->sv[0], 1), 0);
	ck_assert_int_eq(uk_set_nonblock(f->sv[1], 1), 0);
}

/* Write until neither the send buffer nor the peer's window has room. */
static void
fb3_fill(struct fb3_conn *f)
{
	int stuck;

	for (stuck = 0; stuck < 2; ) {
		if (sc_fill(f->sv[0], 301, &f->want) == 0)
			stuck++;
		else
			stuck = 0;
		(void)uk_net_run();
	}
}

/* The socket's send side as far as a failed send may not change it. */
static void
fb3_same(int s, const struct uk_test_sbinfo *a)
{
	struct uk_test_sbinfo b;

	ck_assert_int_eq(uk_test_sndbuf_info(s, &b), 0);
	ck_assert_uint_eq(b.ccc, a->ccc);
	ck_assert_uint_eq(b.mbcnt, a->mbcnt);
	ck_assert_int_eq(b.nmbufs, a->nmbufs);
	ck_assert_uint_eq(b.tls_seqno, a->tls_seqno);
	ck_assert_int_eq(b.so_error, 0);
}

/* Everything the peer got, opened by the model: f->want, in order. */
static void
fb3_check(struct fb3_conn *f, const struct tlsm_suite *s, struct tfx_sink *k,
    uint8_t ctl_type, size_t ctl_off, size_t ctl_len)
{
	struct kfx_result res;
	size_t i, off;
	int found;

	(void)sc_model_expect(s, &f->keys, 1000, k->buf, k->len, f->want.p,
	    f->want.len, &res);
	/* The control record is one record, exactly where it was sent. */
	found = 0;
	for (i = 0, off = 0; i < res.nrec; off += res.lens[i], i++) {
		if (res.types[i] == TLS_RLTYPE_APP)
			continue;
		ck_assert_uint_eq(res.types[i], ctl_type);
		ck_assert_uint_eq(off, ctl_off);
		ck_assert_uint_eq(res.lens[i], ctl_len);
		found++;
	}
	ck_assert_int_eq(found, 1);
	kfx_result_free(&res);
}

/* More data after the control record; the peer reads when it must. */
static void
fb3_more(struct fb3_conn *f, struct tfx_sink *k, size_t len)
{
	uint8_t buf[4000];
	size_t n;
	ssize_t w;
	int tries;

	for (tries = 0; len > 0; ) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		uktest_fill(buf, n, 302, f->want.len);
		w = uk_write(f->sv[0], buf, n);
		if (w < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			(void)tfx_sink_turn(k);
			(void)uk_net_run();
			ck_assert_int_lt(++tries, 1000);
			continue;
		}
		kfx_buf_add(&f->want, buf, (size_t)w);
		len -= (size_t)w;
	}
}

/*
 * The end: a FIN, the peer reads everything, the model checks it, and
 * the connection goes away.
 */
static void
fb3_end(struct fb3_conn *f, const struct tlsm_suite *s, struct tfx_sink *k,
    uint8_t ctl_type, size_t ctl_off, size_t ctl_len)
{

	uk_net_set_idle(NULL, NULL);
	ck_assert_int_eq(uk_shutdown(f->sv[0], SHUT_WR), 0);
	sc_sink_drain(k);
	fb3_check(f, s, k, ctl_type, ctl_off, ctl_len);
	tfx_sink_free(k);
	kfx_buf_free(&f->want);
	tfx_finish(f->sv, 2);
}

/*
 * A blocking close_notify into whatever room there is: the call waits
 * while the idle hook reads the peer.  Returns where it went.
 */
static size_t
fb3_close_notify_blocking(struct fb3_conn *f, struct tfx_sink *k)
{
	size_t off;

	ck_assert_int_eq(uk_set_nonblock(f->sv[0], 0), 0);
	memset(k, 0, sizeof(*k));
	k->fd = f->sv[1];
	k->step = 500;
	uk_net_set_idle(tfx_sink_turn, k);
	ck_assert_int_eq(kfx_send_type(f->sv[0], close_notify,
	    sizeof(close_notify), TLS_RLTYPE_ALERT),
	    (ssize_t)sizeof(close_notify));
	off = f->want.len;
	kfx_buf_add(&f->want, close_notify, sizeof(close_notify));
	return (off);
}

/*
 * _i: suite; the control record is the close_notify (even) or a 3000
 * byte handshake record (odd, so it needs more room than one read
 * frees).
 */
START_TEST(fb03_control_into_full_sndbuf)
{
	const struct tlsm_suite *s = &tlsm_suites[_i % TLSM_NSUITES];
	struct uk_test_sbinfo before, after;
	struct uk_net_stats ns;
	struct fb3_conn f;
	struct tfx_sink k;
	const uint8_t *ctl;
	uint8_t hs[3000], ctype;
	size_t clen, coff;
	ssize_t n;
	int eagain;

	fb3_open(&f, s, 3000 + (uint64_t)_i);
	if (_i < TLSM_NSUITES) {
		ctl = close_notify;
		clen = sizeof(close_notify);
		ctype = TLS_RLTYPE_ALERT;
	} else {
		uktest_fill(hs, sizeof(hs), 303, 0);
		hs[0] = 4;	/* new_session_ticket */
		ctl = hs;
		clen = sizeof(hs);
		ctype = TLS_RLTYPE_HANDSHAKE;
	}
	fb3_fill(&f);
	ck_assert_int_eq(uk_net_stats(f.sv[1], &ns), 0);
	ck_assert_uint_eq(ns.rcv_wnd, 0);

	/* Full: EAGAIN, and nothing changed, however often it is tried. */
	ck_assert_int_eq(uk_test_sndbuf_info(f.sv[0], &before), 0);
	for (eagain = 0; eagain < 3; eagain++) {
		errno = 0;
		ck_assert_int_eq(kfx_send_type(f.sv[0], ctl, clen, ctype), -1);
		ck_assert_int_eq(errno, EAGAIN);
		fb3_same(f.sv[0], &before);
	}
	(void)uk_net_run();
	ck_assert_int_eq(uk_test_sndbuf_info(f.sv[0], &before), 0);

	/* The peer reads a little at a time; retry until it fits. */
	memset(&k, 0, sizeof(k));
	k.fd = f.sv[1];
	k.step = 700;
	for (;;) {
		errno = 0;
		n = kfx_send_type(f.sv[0], ctl, clen, ctype);
		if (n >= 0)
			break;
		ck_assert_int_eq(errno, EAGAIN);
		fb3_same(f.sv[0], &before);
		eagain++;
		ck_assert_int_lt(eagain, 10000);
		(void)tfx_sink_turn(&k);
		(void)uk_net_run();
		ck_assert_int_eq(uk_test_sndbuf_info(f.sv[0], &before), 0);
	}
	ck_assert_int_eq(n, (ssize_t)clen);
	ck_assert_int_gt(eagain, 3);
	/* One record, one sequence number, all of it queued. */
	ck_assert_int_eq(uk_test_sndbuf_info(f.sv[0], &after), 0);
	ck_assert_uint_eq(after.tls_seqno, before.tls_seqno + 1);
	ck_assert_uint_eq(after.ccc, before.ccc + tlsm_sealed_len(&f.keys,
	    clen, NULL));
	coff = f.want.len;
	kfx_buf_add(&f.want, ctl, clen);

	fb3_more(&f, &k, 50000);
	fb3_end(&f, s, &k, ctype, coff, clen);
}
END_TEST

/* Blocking: the call waits (the idle hook reads) and sends it whole. */
START_TEST(fb03_control_blocking)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct fb3_conn f;
	struct tfx_sink k;
	size_t coff;

	fb3_open(&f, s, 3100 + (uint64_t)_i);
	fb3_fill(&f);
	coff = fb3_close_notify_blocking(&f, &k);
	fb3_more(&f, &k, 30000);
	fb3_end(&f, s, &k, TLS_RLTYPE_ALERT, coff, sizeof(close_notify));
}
END_TEST

/* Larger than the send buffer: EMSGSIZE at once, full or not. */
START_TEST(fb03_control_too_large)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_test_sbinfo before;
	struct fb3_conn f;
	struct tfx_sink k;
	uint8_t *big;
	size_t blen, coff;

	fb3_open(&f, s, 3200 + (uint64_t)_i);
	ck_assert_int_eq(uk_test_sndbuf_info(f.sv[0], &before), 0);
	blen = before.hiwat + 1;
	big = calloc(1, blen);
	ck_assert_ptr_nonnull(big);
	errno = 0;
	ck_assert_int_eq(kfx_send_type(f.sv[0], big, blen,
	    TLS_RLTYPE_HANDSHAKE), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	fb3_same(f.sv[0], &before);
	fb3_fill(&f);
	ck_assert_int_eq(uk_test_sndbuf_info(f.sv[0], &before), 0);
	errno = 0;
	ck_assert_int_eq(kfx_send_type(f.sv[0], big, blen,
	    TLS_RLTYPE_HANDSHAKE), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	fb3_same(f.sv[0], &before);
	free(big);
	/* The stream is intact: the close_notify still goes out. */
	coff = fb3_close_notify_blocking(&f, &k);
	fb3_end(&f, s, &k, TLS_RLTYPE_ALERT, coff, sizeof(close_notify));
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb03_control_full_sndbuf");
	SC_ADD(s, fb03_control_into_full_sndbuf, 2 * TLSM_NSUITES);
	SC_ADD(s, fb03_control_blocking, TLSM_NSUITES);
	SC_ADD(s, fb03_control_too_large, TLSM_NSUITES);
	return (uktest_run(s));
}
