/*
 * Field bug 11: zero-length records.  An empty application-data record
 * is legal (TLS 1.0 CBC stacks send one before each record against
 * BEAST) and must not read as the end of the stream; RFC 5246 6.2.1 and
 * RFC 8446 5.4 forbid empty handshake and alert records.
 *
 * What FreeBSD does (sys/kern/uipc_socket.c sosend_generic(),
 * uipc_ktls.c ktls_decrypt()), and uktls with it:
 *   - transmit: a zero-length send on a KTLS socket is EINVAL, whatever
 *     the record type, except on TLS 1.0 CBC (ktls_permit_empty_frames()),
 *     which sends one empty record of the type asked for;
 *   - receive: the kernel does not judge content: an empty record of any
 *     type that authenticates is delivered as a record of length 0 with
 *     its type (FreeBSD: no data mbuf, only the TLS_GET_RECORD).  Refusing
 *     an empty handshake or alert record is the TLS library's job; it
 *     sees the type and the length 0.
 * uktls's reading rule (docs/differences.md): with a control buffer an
 * empty record is 0 bytes, MSG_EOR and its TLS_GET_RECORD; without one it
 * is skipped, so 0 without MSG_EOR is the end of the stream and nothing
 * else.
 *
 *   fb11_tx_empty           every suite: EINVAL and nothing queued, or
 *                           (TLS 1.0) one empty record, IVs still chained,
 *                           opened by the model
 *   fb11_rx_empty_app       empty application records between and after
 *                           data: recvmsg() sees them, read() skips them,
 *                           neither takes them for the end
 *   fb11_rx_empty_control   empty handshake and alert records: delivered
 *                           with their type and length 0, no error;
 *                           MSG_TLSAPPDATA refuses them
 */
#include "scenario.h"

/* _i: suite.  Empty sends of each type, then data. */
START_TEST(fb11_tx_empty)
{
	static const uint8_t types[] = { TLS_RLTYPE_APP, TLS_RLTYPE_ALERT,
	    TLS_RLTYPE_HANDSHAKE };
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_test_sbinfo a, b;
	struct tlsm_state keys;
	struct kfx_result res;
	struct tfx_sink k;
	uint8_t data[5000];
	size_t i, nempty;
	ssize_t n;
	int sv[2];
	bool tls10;

	tls10 = s->version == TLSM_V10;
	sc_net(11000 + (uint64_t)_i, 1.0, 2.0, 1.0, 40.0, 0);
	tfx_pair(sv);
	keys = sc_keys(s, 1100 + (uint32_t)_i);
	sc_enable(sv[0], TCP_TXTLS_ENABLE, &keys, 50);
	uktest_fill(data, sizeof(data), 1101, 0);
	ck_assert_int_eq(uk_write(sv[0], data, 1000), 1000);
	nempty = 0;
	for (i = 0; i < sizeof(types); i++) {
		ck_assert_int_eq(uk_test_sndbuf_info(sv[0], &a), 0);
		errno = 0;
		if (types[i] == TLS_RLTYPE_APP)
			n = uk_write(sv[0], data, 0);
		else
			n = kfx_send_type(sv[0], data, 0, types[i]);
		ck_assert_int_eq(uk_test_sndbuf_info(sv[0], &b), 0);
		if (tls10) {
			ck_assert_int_eq(n, 0);
			ck_assert_uint_eq(b.tls_seqno, a.tls_seqno + 1);
			nempty++;
		} else {
			ck_assert_int_eq(n, -1);
			ck_assert_int_eq(errno, EINVAL);
			ck_assert_uint_eq(b.tls_seqno, a.tls_seqno);
			ck_assert_uint_eq(b.ccc, a.ccc);
		}
		/* Data after each: the stream goes on. */
		ck_assert_int_eq(uk_write(sv[0], data + 1000 + 1000 * i, 1000),
		    1000);
	}
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	memset(&k, 0, sizeof(k));
	k.fd = sv[1];
	sc_sink_drain(&k);
	/* The model opens all of it; TLS 1.0 IVs chain through the empties. */
	ck_assert_uint_eq(sc_model_expect(s, &keys, 50, k.buf, k.len, data,
	    4000, &res), 4 + nempty);
	if (tls10)
		for (i = 0; i < sizeof(types); i++) {
			ck_assert_uint_eq(res.lens[1 + 2 * i], 0);
			ck_assert_uint_eq(res.types[1 + 2 * i], types[i]);
		}
	kfx_result_free(&res);
	tfx_sink_free(&k);
	tfx_finish(sv, 2);
}
END_TEST

/*
 * The peer's stream for the receive cases: the model seals it, a plain
 * socket sends it.  types[i] / lens[i]; data lengths are nonzero.
 */
static void
fb11_stream(struct rfx_conn *c, const uint8_t *types, const size_t *lens,
    size_t n)
{
	uint8_t buf[3000];
	size_t i;

	for (i = 0; i < n; i++) {
		uktest_fill(buf, lens[i], 1102, i << 12);
		(void)rfx_seal(c, types[i], buf, lens[i], NULL);
	}
}

/*
 * _i = suite * 2 + reader: recvmsg() with a control buffer (0) or
 * read() (1).  The stream ends with an empty record, then (later) the
 * FIN.
 */
START_TEST(fb11_rx_empty_app)
{
	static const uint8_t types[] = { 23, 23, 23, 23, 23, 23 };
	static const size_t lens[] = { 0, 100, 0, 0, 2000, 0 };
	const struct tlsm_suite *s = &tlsm_suites[_i / 2];
	struct tls_get_record tgr;
	struct tlsm_state keys;
	struct rfx_conn c;
	uint8_t buf[4000], want[3000];
	size_t clen, i;
	ssize_t n;
	int flags, sv[2];

	if (!rfx_suite_ok(s))
		return;
	sc_net(11100 + (uint64_t)_i, 1.0, 2.0, 1.0, 60.0, 0);
	keys = sc_keys(s, 1110 + (uint32_t)_i);
	sc_rx_open(&c, sv, s, &keys, 3);
	fb11_stream(&c, types, lens, sizeof(lens) / sizeof(lens[0]));
	sc_push(&c, sv[0], c.wire.len);
	(void)uk_net_run();
	if (_i % 2 == 0) {
		/* Every record, the empty ones too: 0 bytes and MSG_EOR. */
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			n = rfx_recvmsg(sv[1], buf, sizeof(buf), MSG_DONTWAIT,
			    CMSG_SPACE(sizeof(tgr)), &tgr, &flags, &clen);
			ck_assert_int_eq(n, (ssize_t)lens[i]);
			ck_assert_uint_eq(clen, CMSG_SPACE(sizeof(tgr)));
			ck_assert_uint_eq(tgr.tls_type, TLS_RLTYPE_APP);
			ck_assert_uint_eq(ntohs(tgr.tls_length), lens[i]);
			ck_assert_int_eq(flags & MSG_EOR, MSG_EOR);
			uktest_fill(want, lens[i], 1102, i << 12);
			ck_assert_int_eq(memcmp(buf, want, lens[i]), 0);
		}
	} else {
		/*
		 * read(): the data records only.  A peek without a control
		 * buffer looks past empty records too: 0 only at the end.
		 */
		ck_assert_int_eq(uk_recv(sv[1], buf, sizeof(buf), MSG_PEEK),
		    100);
		ck_assert_int_eq(uk_read(sv[1], buf, sizeof(buf)), 100);
		ck_assert_int_eq(uk_recv(sv[1], buf, sizeof(buf), MSG_PEEK),
		    2000);
		ck_assert_int_eq(uk_read(sv[1], buf, sizeof(buf)), 2000);
		uktest_fill(want, 2000, 1102, 4 << 12);
		ck_assert_int_eq(memcmp(buf, want, 2000), 0);
		/* Only the last, empty record is queued. */
		errno = 0;
		ck_assert_int_eq(uk_recv(sv[1], buf, sizeof(buf), MSG_PEEK |
		    MSG_DONTWAIT), -1);
		ck_assert_int_eq(errno, EAGAIN);
	}
	/* Nothing queued now but maybe an empty record: not the end. */
	errno = 0;
	ck_assert_int_eq(uk_recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert(!sc_readable(sv[1]));
	/* The real end: 0, no MSG_EOR, no control message. */
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	(void)uk_net_run();
	n = rfx_recvmsg(sv[1], buf, sizeof(buf), 0, CMSG_SPACE(sizeof(tgr)),
	    &tgr, &flags, &clen);
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(clen, 0);
	ck_assert_int_eq(flags & MSG_EOR, 0);
	ck_assert_int_eq(uk_read(sv[1], buf, sizeof(buf)), 0);
	sc_rx_end(&c, sv);
}
END_TEST

/*
 * _i: suite.  Empty handshake and alert records (for TLS 1.3: an inner
 * type with no content) between data records.
 */
START_TEST(fb11_rx_empty_control)
{
	static const uint8_t types[] = { TLS_RLTYPE_APP, TLS_RLTYPE_HANDSHAKE,
	    TLS_RLTYPE_ALERT, TLS_RLTYPE_APP, TLS_RLTYPE_ALERT };
	static const size_t lens[] = { 10, 0, 0, 20, 0 };
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_ktls_stats st0;
	struct tls_get_record tgr;
	struct tlsm_state keys;
	struct rfx_conn c;
	uint8_t buf[100];
	size_t clen, i;
	ssize_t n;
	int flags, sv[2];

	if (!rfx_suite_ok(s))
		return;
	sc_net(11200 + (uint64_t)_i, 1.0, 2.0, 1.0, 60.0, 0);
	keys = sc_keys(s, 1120 + (uint32_t)_i);
	sc_rx_open(&c, sv, s, &keys, 7);
	kfx_stats(&st0);
	fb11_stream(&c, types, lens, sizeof(lens) / sizeof(lens[0]));
	/* Twice: once for recvmsg(), once for MSG_TLSAPPDATA and read(). */
	fb11_stream(&c, types, lens, sizeof(lens) / sizeof(lens[0]));
	sc_push(&c, sv[0], c.wire.len);
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	(void)uk_net_run();
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		n = rfx_recvmsg(sv[1], buf, sizeof(buf), MSG_DONTWAIT,
		    CMSG_SPACE(sizeof(tgr)), &tgr, &flags, &clen);
		ck_assert_int_eq(n, (ssize_t)lens[i]);
		ck_assert_uint_eq(clen, CMSG_SPACE(sizeof(tgr)));
		ck_assert_uint_eq(tgr.tls_type, types[i]);
		ck_assert_uint_eq(ntohs(tgr.tls_length), lens[i]);
		ck_assert_int_eq(flags & (MSG_EOR | MSG_CTRUNC), MSG_EOR);
	}
	/* MSG_TLSAPPDATA: the data, then ENXIO at the empty handshake. */
	ck_assert_int_eq(uk_recv(sv[1], buf, sizeof(buf), MSG_TLSAPPDATA), 10);
	errno = 0;
	ck_assert_int_eq(uk_recv(sv[1], buf, sizeof(buf), MSG_TLSAPPDATA), -1);
	ck_assert_int_eq(errno, ENXIO);
	/* read() skips the empty records whatever their type. */
	ck_assert_int_eq(uk_read(sv[1], buf, sizeof(buf)), 20);
	ck_assert_int_eq(uk_read(sv[1], buf, sizeof(buf)), 0);
	sc_assert_clean_stats(&st0);
	sc_rx_end(&c, sv);
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb11_zero_length");
	SC_ADD(s, fb11_tx_empty, TLSM_NSUITES);
	SC_ADD(s, fb11_rx_empty_app, 2 * TLSM_NSUITES);
	SC_ADD(s, fb11_rx_empty_control, TLSM_NSUITES);
	return (uktest_run(s));
}
