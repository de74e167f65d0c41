/*
 * Field bug 6: records split across TCP segments, including inside the
 * 5-byte header, were mis-framed, or the socket reported readable before
 * the record was complete.
 *
 * Scenario: the peer (a plain socket carrying records the model sealed)
 * sends a record in two writes, so it arrives in two segments, cut at
 * every offset from 1 to its length - 1: inside the header, inside the
 * explicit nonce or IV, in the payload, in the tag or MAC.  After the
 * first part the receiver must have nothing readable (poll, recv and the
 * buffer's counts agree); after the second, exactly that record.  Then
 * the same byte by byte, one segment per byte, and with the network
 * cutting every segment at random (smallest MSS, reordering,
 * duplication, loss) for a stream of records of every size and type.
 *
 *   fb06_every_split_offset  a small record at every offset, and a full
 *                            16 KiB record at the interesting ones
 *   fb06_byte_by_byte        records of 1, 100 and 1500 bytes, a byte
 *                            per segment, no readiness before the last
 *   fb06_split_faults        random cuts by the network, three seeds,
 *                            against the model's stream oracle
 */
#include "scenario.h"

/* Open a pair with a receive session on sv[1]; c seals for sv[0]. */
static void
fb6_open(struct rfx_conn *c, int sv[2], const struct tlsm_suite *s,
    uint32_t stream)
{
	struct tlsm_state keys;

	keys = sc_keys(s, stream);
	sc_rx_open(c, sv, s, &keys, 600 + stream);
}

/* Nothing readable now, and nothing framed yet. */
static void
fb6_not_ready(struct rfx_conn *c, size_t at)
{
	struct uk_test_rcvinfo ri;

	ck_assert_msg(!sc_readable(c->s), "%s: readable with %zu bytes of a "
	    "record", c->suite->name, at);
	ck_assert_int_eq(uk_test_rcvbuf_info(c->s, &ri), 0);
	ck_assert_int_eq(ri.nrecords, 0);
	ck_assert_uint_eq(ri.acc, 0);
}

/* Send the record sealed last in two parts, cut k bytes in. */
static void
fb6_split(struct rfx_conn *c, int sender, size_t k)
{
	size_t start, nrec;

	start = c->fed;
	ck_assert_uint_lt(start + k, c->wire.len);
	nrec = c->got.nrec;
	sc_push(c, sender, start + k);
	sc_rx_read(c);
	ck_assert_uint_eq(c->got.nrec, nrec);
	fb6_not_ready(c, k);
	sc_push(c, sender, c->wire.len);
	(void)uk_net_run();
	ck_assert_msg(sc_readable(c->s), "%s: cut at %zu: not readable",
	    c->suite->name, k);
	rfx_read(c);
	ck_assert_msg(c->got.nrec == nrec + 1, "%s: cut at %zu: %zu records",
	    c->suite->name, k, c->got.nrec - nrec);
}

static void
fb6_end(struct rfx_conn *c, int sv[2])
{

	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	while (!c->got.eof)
		sc_rx_read(c);
	rfx_expect(c, 1);
	ck_assert_int_eq(c->got.nerrors, 0);
	sc_rx_end(c, sv);
}

START_TEST(fb06_every_split_offset)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	static const size_t cuts[] = { 1, 2, 3, 4, 5, 6, 12, 13, 14, 20, 21,
	    22, 100, 1448, 8192 };
	struct rfx_conn c;
	uint8_t buf[16384];
	size_t i, k, reclen;
	int sv[2];

	if (!rfx_suite_ok(s))
		return;
	fb6_open(&c, sv, s, 61 + (uint32_t)_i);
	uktest_fill(buf, sizeof(buf), 601, 0);
	/* Every offset of a 40-byte record (the sealed length varies). */
	reclen = tlsm_sealed_len(&c.st, 40, NULL);
	for (k = 1; k < reclen; k++) {
		(void)rfx_seal(&c, k % 7 == 0 ? TLS_RLTYPE_ALERT :
		    TLS_RLTYPE_APP, buf + k, 40, NULL);
		fb6_split(&c, sv[0], k);
	}
	/* A full record: the header, nonce/IV, the middle, the tail. */
	reclen = tlsm_sealed_len(&c.st, sizeof(buf), NULL);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]) + 3; i++) {
		k = i < sizeof(cuts) / sizeof(cuts[0]) ? cuts[i] :
		    reclen - (i - sizeof(cuts) / sizeof(cuts[0]) + 1);
		rfx_app(&c, buf, sizeof(buf));
		fb6_split(&c, sv[0], k);
	}
	fb6_end(&c, sv);
}
END_TEST

START_TEST(fb06_byte_by_byte)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	static const size_t lens[] = { 1, 100, 1500 };
	struct rfx_conn c;
	uint8_t buf[1500];
	size_t i, nrec;
	int sv[2];

	if (!rfx_suite_ok(s))
		return;
	fb6_open(&c, sv, s, 62 + (uint32_t)_i);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uktest_fill(buf, lens[i], 602, i << 12);
		(void)rfx_seal(&c, i == 1 ? TLS_RLTYPE_HANDSHAKE :
		    TLS_RLTYPE_APP, buf, lens[i], NULL);
		nrec = c.got.nrec;
		while (c.fed + 1 < c.wire.len) {
			sc_push(&c, sv[0], c.fed + 1);
			(void)uk_net_run();
			fb6_not_ready(&c, c.fed);
		}
		sc_push(&c, sv[0], c.wire.len);
		(void)uk_net_run();
		ck_assert(sc_readable(c.s));
		rfx_read(&c);
		ck_assert_uint_eq(c.got.nrec, nrec + 1);
	}
	fb6_end(&c, sv);
}
END_TEST

/*
 * _i = suite * 3 + seed: the network cuts, reorders, repeats, loses.
 * The reader runs as the idle hook, so that sends never wait for ever.
 */
START_TEST(fb06_split_faults)
{
	const struct tlsm_suite *s = &tlsm_suites[_i / 3];
	struct sc_reader *rd;
	struct rfx_conn c;
	uint8_t buf[16384], type;
	size_t len;
	uint64_t x;
	int i, sv[2];

	if (!rfx_suite_ok(s))
		return;
	sc_net(6000 + (uint64_t)_i, 2.0, 10.0, 5.0, 100.0, _i % 3 == 0 ? 64 :
	    _i % 3 == 1 ? 300 : 0);
	fb6_open(&c, sv, s, 63 + (uint32_t)_i);
	rd = sc_reader_new(sv[1]);
	uk_net_set_idle(sc_reader_turn, rd);
	x = 0x6006 + (uint64_t)_i;
	for (i = 0; i < 60; i++) {
		len = sc_rand(&x) % 4 == 0 ? sc_between(&x, 0, 16384) :
		    sc_between(&x, 0, 300);
		type = sc_rand(&x) % 5 == 0 ? TLS_RLTYPE_HANDSHAKE :
		    TLS_RLTYPE_APP;
		uktest_fill(buf, len, 603, (uint64_t)i << 16);
		(void)rfx_seal(&c, type, buf, len, NULL);
		if (sc_rand(&x) % 3 == 0)
			sc_push(&c, sv[0], c.wire.len);
	}
	sc_push(&c, sv[0], c.wire.len);
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	sc_reader_finish(rd, &c.got);
	ck_assert_uint_eq(c.got.nrec, 60);
	rfx_expect(&c, 1);
	sc_rx_end(&c, sv);
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb06_split_offsets");
	SC_ADD(s, fb06_every_split_offset, TLSM_NSUITES);
	SC_ADD(s, fb06_byte_by_byte, TLSM_NSUITES);
	SC_ADD(s, fb06_split_faults, 3 * TLSM_NSUITES);
	return (uktest_run(s));
}
