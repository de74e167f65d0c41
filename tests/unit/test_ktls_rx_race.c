/*
 * The race the talk names (field bug 16): sbcut, sbdrop and sbflush
 * (a reader, shutdown(SHUT_RD), close) while a record is being
 * decrypted.  The worker is paused deterministically with the receive
 * hook (uk_test_ktls_rx_hook()) right after it detached record 2 (its
 * bytes counted in sb_tlsdcc, the lock dropped) or right after it
 * decrypted it, and the test acts then.  The record's mbufs must not be
 * freed under the worker (ASan would see it), a discarded record's
 * result is thrown away (the sb_tlsdcc rule), what was not discarded
 * still comes out, and nothing leaks.
 *
 * Six records of 3000 bytes, sequence numbers 0..5, fed in MSS pieces.
 */
#include "ktls_rx_fixture.h"

#define	NREC	6
#define	RLEN	3000
#define	TARGET	2

enum race_action {
	R_FLUSH,	/* sbflush(): everything */
	R_DROP_FLIGHT,	/* sbdrop(sb_mb + the record in flight) */
	R_CUT_FLIGHT,	/* the same with sbcut() */
	R_DROP_MB,	/* sbdrop(sb_mb): the record in flight stays */
	R_DROP_INTO,	/* sbdrop() 3 bytes into sb_mtls: out of step */
	R_SHUT_RD,	/* shutdown(SHUT_RD) */
	R_CLOSE,	/* close() */
	R_NACTIONS
};

static const char *const action_names[] = { "flush", "drop_flight",
    "cut_flight", "drop_mb", "drop_into", "shut_rd", "close" };

struct race {
	int		 s;
	int		 phase;
	enum race_action action;
	int		 fired;
	struct uk_test_rcvinfo in;	/* what the hook saw */
	size_t		 reclen;
};

static void
race_hook(void *arg, int phase, uint64_t seqno)
{
	struct race *r = arg;
	struct uk_test_rcvinfo *ri = &r->in;
	size_t mb;

	if (phase != r->phase || seqno != TARGET || r->fired)
		return;
	r->fired = 1;
	/* The record is off sb_mtls and counted in sb_tlsdcc. */
	if (uk_test_rcvbuf_info(r->s, ri) != 0 || ri->tlsdcc != r->reclen ||
	    ri->ccc != ri->acc + ri->tlsdcc + ri->tlscc || !ri->running ||
	    ri->tls_seqno != TARGET + 1)
		ck_abort_msg("in flight: tlsdcc %u (record %zu), ccc %u, acc "
		    "%u, tlscc %u, seqno %ju", ri->tlsdcc, r->reclen, ri->ccc,
		    ri->acc, ri->tlscc, (uintmax_t)ri->tls_seqno);
	mb = ri->ccc - ri->tlsdcc - ri->tlscc;
	switch (r->action) {
	case R_FLUSH:
		ck_assert_int_eq(uk_test_rcvbuf_flush(r->s), 0);
		break;
	case R_DROP_FLIGHT:
		ck_assert_int_eq(uk_test_rcvbuf_drop(r->s, mb + ri->tlsdcc),
		    0);
		break;
	case R_CUT_FLIGHT:
		ck_assert_int_eq(uk_test_rcvbuf_cut(r->s, mb + ri->tlsdcc), 0);
		break;
	case R_DROP_MB:
		ck_assert_int_eq(uk_test_rcvbuf_drop(r->s, mb), 0);
		break;
	case R_DROP_INTO:
		ck_assert_int_eq(uk_test_rcvbuf_drop(r->s,
		    mb + ri->tlsdcc + 3), 0);
		break;
	case R_SHUT_RD:
		ck_assert_int_eq(uk_shutdown(r->s, SHUT_RD), 0);
		break;
	case R_CLOSE:
		ck_assert_int_eq(uk_close(r->s), 0);
		break;
	default:
		break;
	}
}

/*
 * _i: suite * 2 * R_NACTIONS + phase * R_NACTIONS + action, over the
 * suites that receive.
 */
START_TEST(test_race)
{
	const struct tlsm_suite *s = &tlsm_suites[_i / (2 * R_NACTIONS)];
	struct uk_ktls_stats st0, st1;
	struct uk_test_rcvinfo ri;
	struct race r;
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t buf[RLEN];
	const char *what;
	size_t i, first;
	int corrupt;

	if (!rfx_suite_ok(s))
		return;
	memset(&r, 0, sizeof(r));
	r.phase = (_i / R_NACTIONS) % 2 == 0 ? UK_TEST_RX_DETACHED :
	    UK_TEST_RX_DECRYPTED;
	r.action = (enum race_action)(_i % R_NACTIONS);
	what = action_names[r.action];
	rfx_open(&c, s, 300, 0);
	for (i = 0; i < NREC; i++) {
		uktest_fill(buf, sizeof(buf), 301, i);
		r.reclen = rfx_seal(&c, TLS_RLTYPE_APP, buf, sizeof(buf),
		    NULL);
	}
	r.s = c.s;
	g = rfx_seg(RFX_PIECES, RFX_MSS, 0);
	rfx_feed(&c, &g, c.wire.len);
	kfx_stats(&st0);
	uk_test_ktls_rx_hook(race_hook, &r);
	(void)uk_run();
	uk_test_ktls_rx_hook(NULL, NULL);
	kfx_stats(&st1);
	ck_assert_msg(r.fired, "%s %s: the hook did not run", s->name, what);
	/* Records 0 and 1 went to sb_mb before the hook. */
	ck_assert_uint_eq(r.in.nrecords, TARGET);

	if (r.action == R_CLOSE) {
		/* The worker's reference kept the socket; now it is gone. */
		ck_assert_int_eq(st1.decrypt_records - st0.decrypt_records,
		    TARGET);
		kfx_buf_free(&c.wire);
		rfx_got_free(&c.got);
		return;
	}
	rfx_read(&c);
	ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
	ck_assert_uint_eq(ri.tlsdcc, 0);
	ck_assert_int_eq(ri.running, 0);
	/* Record TARGET never comes out, whatever the phase. */
	first = 0;
	corrupt = 0;
	switch (r.action) {
	case R_FLUSH:
	case R_SHUT_RD:
		ck_assert_uint_eq(c.got.nrec, 0);
		ck_assert_int_eq(c.got.nerrors, 0);
		ck_assert_int_eq(c.got.eof, r.action == R_SHUT_RD);
		ck_assert_uint_eq(ri.ccc, 0);
		ck_assert_int_eq(st1.decrypt_records - st0.decrypt_records,
		    TARGET);
		break;
	case R_DROP_FLIGHT:
	case R_CUT_FLIGHT:
		/* The worker throws record 2 away and goes on with 3. */
		first = TARGET + 1;
		break;
	case R_DROP_MB:
		/* Only 0 and 1 are cut: 2 comes out after all. */
		first = TARGET;
		break;
	case R_DROP_INTO:
		/* Out of step: the next header is garbage. */
		corrupt = 1;
		ck_assert_uint_eq(c.got.nrec, 0);
		ck_assert_int_eq(c.got.nerrors, 1);
		ck_assert(c.got.errors[0] == EINVAL ||
		    c.got.errors[0] == EMSGSIZE);
		ck_assert(c.got.eof);
		break;
	default:
		break;
	}
	if (first != 0) {
		ck_assert_msg(c.got.nrec == NREC - first, "%s %s: %zu records",
		    s->name, what, c.got.nrec);
		for (i = first; i < NREC; i++) {
			uktest_fill(buf, sizeof(buf), 301, i);
			ck_assert_uint_eq(c.got.recs[i - first].len, RLEN);
			ck_assert_mem_eq(c.got.plain.p +
			    c.got.recs[i - first].off, buf, RLEN);
		}
		ck_assert_int_eq(c.got.nerrors, 0);
		ck_assert_uint_eq(ri.tls_seqno, NREC);
		ck_assert_int_eq(st1.decrypt_records - st0.decrypt_records,
		    NREC - (r.action == R_DROP_MB ? 0 : 1));
		rfx_assert_empty(&c);
	}
	(void)corrupt;
	rfx_close(&c);
}
END_TEST

/*
 * A record that fails authentication and is discarded while in flight:
 * its error is thrown away with it (no so_error).
 */
START_TEST(test_race_bad_record)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_test_rcvinfo ri;
	struct race r;
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t buf[RLEN];
	size_t i, start;

	if (!rfx_suite_ok(s))
		return;
	memset(&r, 0, sizeof(r));
	r.phase = UK_TEST_RX_DECRYPTED;
	r.action = R_DROP_FLIGHT;
	rfx_open(&c, s, 302, 0);
	for (i = 0; i < NREC; i++) {
		uktest_fill(buf, sizeof(buf), 303, i);
		start = c.wire.len;
		r.reclen = rfx_seal(&c, TLS_RLTYPE_APP, buf, sizeof(buf),
		    NULL);
		if (i == TARGET)
			c.wire.p[start + r.reclen - 1] ^= 0x80;
	}
	r.s = c.s;
	g = rfx_seg(RFX_RANDOM, 4000, 304);
	rfx_feed(&c, &g, c.wire.len);
	uk_test_ktls_rx_hook(race_hook, &r);
	(void)uk_run();
	uk_test_ktls_rx_hook(NULL, NULL);
	ck_assert(r.fired);
	ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
	ck_assert_int_eq(ri.so_error, 0);
	rfx_read(&c);
	ck_assert_uint_eq(c.got.nrec, NREC - TARGET - 1);
	ck_assert_int_eq(c.got.nerrors, 0);
	rfx_close(&c);
}
END_TEST

/*
 * Data arriving while a record is in flight after a flush: the new bytes
 * are not the discarded record's; the worker discards only its own
 * result and the new records are decrypted with the next sequence
 * numbers.
 */
struct refill {
	struct race	 r;
	struct rfx_conn	*c;
	size_t		 more;		/* wire offset of the new records */
};

static void
refill_hook(void *arg, int phase, uint64_t seqno)
{
	struct refill *f = arg;
	struct rfx_seg g;

	if (phase != UK_TEST_RX_DECRYPTED || seqno != TARGET || f->r.fired)
		return;
	f->r.fired = 1;
	ck_assert_int_eq(uk_test_rcvbuf_flush(f->r.s), 0);
	g = rfx_seg(RFX_PIECES, RFX_MSS, 0);
	f->c->fed = f->more;
	rfx_feed(f->c, &g, f->c->wire.len);
}

START_TEST(test_race_refill)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct refill f;
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t buf[RLEN];
	size_t i;

	if (!rfx_suite_ok(s))
		return;
	memset(&f, 0, sizeof(f));
	rfx_open(&c, s, 305, 0);
	for (i = 0; i < NREC; i++) {
		uktest_fill(buf, sizeof(buf), 306, i);
		rfx_seal(&c, TLS_RLTYPE_APP, buf, sizeof(buf), NULL);
	}
	/* What the peer sends after the flush: numbered from 3 on. */
	f.more = c.wire.len;
	c.seq = TARGET + 1;
	for (i = 0; i < 2; i++) {
		uktest_fill(buf, sizeof(buf), 307, i);
		rfx_seal(&c, TLS_RLTYPE_APP, buf, sizeof(buf), NULL);
	}
	f.c = &c;
	f.r.s = c.s;
	g = rfx_seg(RFX_PIECES, RFX_MSS, 0);
	rfx_feed(&c, &g, f.more);
	uk_test_ktls_rx_hook(refill_hook, &f);
	(void)uk_run();
	uk_test_ktls_rx_hook(NULL, NULL);
	ck_assert(f.r.fired);
	rfx_read(&c);
	ck_assert_uint_eq(c.got.nrec, 2);
	for (i = 0; i < 2; i++) {
		uktest_fill(buf, sizeof(buf), 307, i);
		ck_assert_mem_eq(c.got.plain.p + c.got.recs[i].off, buf, RLEN);
	}
	ck_assert_int_eq(c.got.nerrors, 0);
	rfx_assert_empty(&c);
	rfx_close(&c);
}
END_TEST

static Suite *
ktls_rx_race_suite(void)
{
	Suite *su;
	TCase *tc;

	su = suite_create("ktls_rx_race");
	tc = kfx_tcase("race");
	tcase_add_loop_test(tc, test_race, 0, TLSM_NSUITES * 2 * R_NACTIONS);
	tcase_add_loop_test(tc, test_race_bad_record, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_race_refill, 0, TLSM_NSUITES);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{

	return (uktest_run(ktls_rx_race_suite()));
}
