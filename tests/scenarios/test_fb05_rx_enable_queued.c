/*
 * Field bug 5: records already in the receive buffer when receive
 * offload is switched on were misparsed or skipped.  An application
 * (OpenSSL) reads the handshake itself, then enables TCP_RXTLS_ENABLE;
 * by then the peer's first application records may have arrived.
 *
 * Scenario, over TCP with faults: the peer (a plain socket carrying
 * records the model sealed) sends a prefix of its stream, the network
 * delivers all of it into the receiver's buffer as plain data, and only
 * then is receive offload enabled.  Prefixes: nothing, 3 bytes (inside
 * the first header), half a record, one record, one record and the next
 * header, two and a half records.  The rest follows in random pieces.
 * Every record must come out once, in order, with its type and
 * plaintext, exactly as the model's stream oracle reads the same bytes.
 *
 *   fb05_rx_enable_with_queued  the prefixes above, every receive suite,
 *                               two fault seeds each
 *   fb05_rx_enable_after_tx     the sender is uktls's own transmit
 *                               session; everything it sent (several
 *                               records and an alert) is queued before
 *                               the receiver enables offload
 */
#include "scenario.h"

/* Where the prefix ends: after `whole` records and `part` of the next. */
struct fb5_prefix {
	int		 whole;
	int		 part;		/* bytes; -1: half of the record */
};

static const struct fb5_prefix fb5_prefixes[] = {
	{ 0, 0 }, { 0, 3 }, { 0, -1 }, { 1, 0 }, { 1, 5 }, { 2, -1 },
};
#define	FB5_NPREFIX	6

/* Record i of the plan: type and length. */
static void
fb5_record(int i, uint8_t *type, size_t *len)
{
	static const size_t lens[] = { 16384, 1000, 2, 5000, 0, 16000, 1,
	    9000 };

	*type = i == 2 ? TLS_RLTYPE_ALERT : i == 6 ? TLS_RLTYPE_HANDSHAKE :
	    TLS_RLTYPE_APP;
	*len = lens[i];
}
#define	FB5_NREC	8

START_TEST(fb05_rx_enable_with_queued)
{
	const struct tlsm_suite *s;
	const struct fb5_prefix *pf;
	struct uk_test_rcvinfo ri;
	struct rfx_conn c;
	struct tlsm_state keys;
	uint8_t buf[16384], type;
	size_t len, ends[FB5_NREC], upto;
	uint64_t x;
	int i, sv[2];

	s = &tlsm_suites[_i / (2 * FB5_NPREFIX)];
	pf = &fb5_prefixes[_i % FB5_NPREFIX];
	if (!rfx_suite_ok(s))
		return;
	sc_net(5000 + (uint64_t)_i, 1.0, 3.0, 1.0, 50.0, 0);
	tfx_pair(sv);
	keys = sc_keys(s, 500 + (uint32_t)_i);
	memset(&c, 0, sizeof(c));
	c.s = sv[1];
	c.suite = s;
	c.keys = c.st = keys;
	c.seq0 = c.seq = 4242 + (uint64_t)_i;
	for (i = 0; i < FB5_NREC; i++) {
		fb5_record(i, &type, &len);
		uktest_fill(buf, len, 501, (uint64_t)i << 16);
		(void)rfx_seal(&c, type, buf, len, NULL);
		ends[i] = c.wire.len;
	}
	upto = pf->whole == 0 ? 0 : ends[pf->whole - 1];
	upto += pf->part >= 0 ? (size_t)pf->part :
	    (ends[pf->whole] - upto) / 2;

	/* The prefix arrives before offload is on: plain bytes, readable. */
	sc_push(&c, sv[0], upto);
	(void)uk_net_run();
	ck_assert_int_eq(uk_test_rcvbuf_info(sv[1], &ri), 0);
	ck_assert_uint_eq(ri.acc, upto);
	ck_assert_int_eq(ri.tls_rx, 0);
	ck_assert_int_eq(sc_readable(sv[1]), upto > 0);

	/* Enabled: the queued bytes are the start of the encrypted stream. */
	sc_enable(sv[1], TCP_RXTLS_ENABLE, &keys, c.seq0);
	ck_assert_int_eq(uk_test_rcvbuf_info(sv[1], &ri), 0);
	ck_assert_int_eq(ri.tls_rx, 1);
	ck_assert_uint_eq(ri.acc, 0);
	ck_assert_uint_eq(ri.tlscc + ri.tlsdcc, upto);

	/* The rest in random pieces, reading as records complete. */
	x = 0x5eed0 + (uint64_t)_i;
	while (c.fed < c.wire.len) {
		len = sc_between(&x, 1, 6000);
		sc_push(&c, sv[0], c.fed + len < c.wire.len ? c.fed + len :
		    c.wire.len);
		sc_rx_read(&c);
	}
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	while (!c.got.eof)
		sc_rx_read(&c);
	ck_assert_uint_eq(c.got.nrec, FB5_NREC);
	rfx_expect(&c, 1);
	sc_rx_end(&c, sv);
}
END_TEST

/* uktls's own transmit session; all of it queued before RX is on. */
START_TEST(fb05_rx_enable_after_tx)
{
	static const uint8_t alert[2] = { 1, 90 };	/* user_canceled */
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_test_rcvinfo ri;
	struct sc_reader *rd;
	struct tlsm_state keys;
	uint8_t *want;
	size_t i, n1, n2;
	int sv[2];

	if (!rfx_suite_ok(s))
		return;
	n1 = 40000;
	n2 = 30000;
	want = malloc(n1 + sizeof(alert) + n2);
	ck_assert_ptr_nonnull(want);
	uktest_fill(want, n1, 502, 0);
	memcpy(want + n1, alert, sizeof(alert));
	uktest_fill(want + n1 + sizeof(alert), n2, 502, n1);

	sc_net(5100 + (uint64_t)_i, 1.0, 2.0, 1.0, 40.0, 0);
	tfx_pair(sv);
	keys = sc_keys(s, 503 + (uint32_t)_i);
	sc_enable(sv[0], TCP_TXTLS_ENABLE, &keys, 9);
	/* Room for each write at once, so the records are as planned. */
	kfx_set_sndbuf(sv[0], 256 << 10);
	ck_assert_int_eq(uk_write(sv[0], want, n1), (ssize_t)n1);
	ck_assert_int_eq(kfx_send_type(sv[0], alert, sizeof(alert),
	    TLS_RLTYPE_ALERT), (ssize_t)sizeof(alert));
	(void)uk_net_run();
	ck_assert_int_eq(uk_test_rcvbuf_info(sv[1], &ri), 0);
	ck_assert_uint_eq(ri.acc, tlsm_sealed_len(&keys, 16384, NULL) * 2 +
	    tlsm_sealed_len(&keys, n1 - 2 * 16384, NULL) +
	    tlsm_sealed_len(&keys, sizeof(alert), NULL));

	sc_enable(sv[1], TCP_RXTLS_ENABLE, &keys, 9);
	rd = sc_reader_new(sv[1]);
	uk_net_set_idle(sc_reader_turn, rd);
	ck_assert_int_eq(uk_write(sv[0], want + n1 + sizeof(alert), n2),
	    (ssize_t)n2);
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	uk_net_set_idle(NULL, NULL);
	sc_reader_drain(rd);
	ck_assert_int_eq(rd->bad, 0);
	ck_assert_int_eq(rd->got.nerrors, 0);
	ck_assert_uint_eq(rd->got.plain.len, n1 + sizeof(alert) + n2);
	ck_assert_int_eq(memcmp(rd->got.plain.p, want, rd->got.plain.len), 0);
	/* 16384, 16384, 7232, the alert, 16384, 13616. */
	ck_assert_uint_eq(rd->got.nrec, 6);
	for (i = 0; i < rd->got.nrec; i++)
		ck_assert_uint_eq(rd->got.recs[i].type, i == 3 ?
		    TLS_RLTYPE_ALERT : TLS_RLTYPE_APP);
	ck_assert_uint_eq(rd->got.recs[3].off, n1);
	sc_reader_free(rd);
	free(want);
	tfx_finish(sv, 2);
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb05_rx_enable_queued");
	SC_ADD(s, fb05_rx_enable_with_queued, TLSM_NSUITES * 2 * FB5_NPREFIX);
	SC_ADD(s, fb05_rx_enable_after_tx, TLSM_NSUITES);
	return (uktest_run(s));
}
