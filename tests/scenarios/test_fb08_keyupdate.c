/*
 * Field bug 8: a TLS 1.3 KeyUpdate arriving under receive offload gave
 * an opaque EBADMSG.
 *
 * What FreeBSD does, and uktls with it: a receive session has one set
 * of keys and cannot be given another (a second TCP_RXTLS_ENABLE is
 * EALREADY).  The KeyUpdate message itself travels under the old keys,
 * so it decrypts and is delivered intact as a handshake record (inner
 * type 22 in TLS_GET_RECORD).  The records after it are under the next
 * traffic secret (RFC 8446 7.2: HKDF-Expand-Label(secret, "traffic upd",
 * "", Hash.length), sequence numbers from 0): each fails authentication
 * and is dropped with EBADMSG, the connection stays up.
 *
 * The failure is clean and explainable: the KeyUpdate record reaches
 * the application, with its type, before any EBADMSG does; a reader
 * asking for application data only (MSG_TLSAPPDATA) stops at it with
 * ENXIO and never sees EBADMSG first; nothing crashes or leaks; no
 * garbage plaintext comes out.  docs/scenarios.md says what an
 * application must do (stop, close) and what rekeying would need.
 *
 *   fb08_keyupdate_rx          records, KeyUpdate, records under the new
 *                              keys, against the model's stream oracle;
 *                              the KeyUpdate precedes the first error
 *   fb08_keyupdate_tlsappdata  MSG_TLSAPPDATA stops at the KeyUpdate;
 *                              rekeying is refused (EALREADY); close
 *   fb08_keyupdate_tx          a KeyUpdate sent through a transmit
 *                              session goes out under the old keys, and
 *                              that session cannot rekey either
 */
#include "scenario.h"

/* KeyUpdate (RFC 8446 4.6.3): msg_type 24, length 1, update_not_requested. */
static const uint8_t key_update[5] = { 24, 0, 0, 1, 0 };

static const char *const fb8_suites[] = { "aes128_gcm_1_3",
    "aes256_gcm_1_3", "chacha20_poly1305_1_3" };

/* The traffic secret's keys and the next generation's. */
static void
fb8_keys(const struct tlsm_suite *s, uint32_t stream, struct tlsm_state *k0,
    struct tlsm_state *k1)
{
	uint8_t secret0[48], secret1[48];
	size_t hlen;

	hlen = strcmp(s->kdf_digest, "SHA384") == 0 ? 48 : 32;
	uktest_fill(secret0, hlen, stream, 0);
	ck_assert_int_eq(tlsm_tls13_state(s, secret0, hlen, k0), 0);
	ck_assert_int_eq(tlsm_hkdf_expand_label(s->kdf_digest, secret0, hlen,
	    "traffic upd", NULL, 0, secret1, hlen), 0);
	ck_assert_int_eq(tlsm_tls13_state(s, secret1, hlen, k1), 0);
}

/*
 * The peer's stream: three records, the KeyUpdate, then (new keys,
 * sequence numbers from 0) three records and a close_notify.
 */
static void
fb8_stream(struct rfx_conn *c, const struct tlsm_state *k1)
{
	static const size_t before[] = { 1000, 16384, 50 };
	static const size_t after[] = { 200, 16384, 7 };
	static const uint8_t close_notify[2] = { 1, 0 };
	uint8_t buf[16384];
	size_t i;

	for (i = 0; i < 3; i++) {
		uktest_fill(buf, before[i], 801, i << 16);
		rfx_app(c, buf, before[i]);
	}
	(void)rfx_seal(c, TLS_RLTYPE_HANDSHAKE, key_update,
	    sizeof(key_update), NULL);
	c->st = *k1;
	c->seq = 0;
	for (i = 0; i < 3; i++) {
		uktest_fill(buf, after[i], 802, i << 16);
		rfx_app(c, buf, after[i]);
	}
	(void)rfx_seal(c, TLS_RLTYPE_ALERT, close_notify,
	    sizeof(close_notify), NULL);
}

static void
fb8_open(struct rfx_conn *c, int sv[2], int i, uint64_t seed,
    struct tlsm_state *k1)
{
	const struct tlsm_suite *s;
	struct tlsm_state k0;

	s = sc_suite(fb8_suites[i]);
	fb8_keys(s, 800 + (uint32_t)seed, &k0, k1);
	sc_net(seed, 1.0, 2.0, 1.0, 40.0, 0);
	sc_rx_open(c, sv, s, &k0, 17 + seed);
	fb8_stream(c, k1);
}

/* _i = suite * 2 + seed. */
START_TEST(fb08_keyupdate_rx)
{
	static uint8_t buf[RFX_RECBUF];
	struct uk_ktls_stats st0, st1;
	struct tls_get_record tgr;
	struct uk_net_stats ns;
	struct tlsm_state k1;
	struct rfx_conn c;
	size_t clen, ku;
	ssize_t n;
	socklen_t len;
	int err, first_error, flags, sv[2];

	fb8_open(&c, sv, _i / 2, 8000 + (uint64_t)_i, &k1);
	kfx_stats(&st0);
	sc_push(&c, sv[0], c.wire.len);
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	(void)uk_net_run();

	/* Read in order, noting where the first error comes. */
	first_error = -1;
	ku = SIZE_MAX;
	for (;;) {
		n = rfx_recvmsg(sv[1], buf, sizeof(buf), MSG_DONTWAIT,
		    CMSG_SPACE(sizeof(tgr)), &tgr, &flags, &clen);
		if (n < 0) {
			ck_assert_msg(errno == EBADMSG, "read: %s",
			    strerror(errno));
			if (first_error < 0)
				first_error = (int)c.got.nrec;
			ck_assert_int_lt(c.got.nerrors, 16);
			c.got.errors[c.got.nerrors++] = errno;
			continue;
		}
		if (n == 0 && clen == 0) {
			c.got.eof = 1;
			break;
		}
		ck_assert_int_eq(flags & (MSG_EOR | MSG_CTRUNC), MSG_EOR);
		if (tgr.tls_type == TLS_RLTYPE_HANDSHAKE)
			ku = c.got.nrec;
		rfx_got_add(&c.got, &tgr, buf, (size_t)n);
	}
	/* The three records and the KeyUpdate, whole; then the error. */
	ck_assert_uint_eq(c.got.nrec, 4);
	ck_assert_uint_eq(ku, 3);
	ck_assert_uint_eq(c.got.recs[3].len, sizeof(key_update));
	ck_assert_int_eq(memcmp(c.got.plain.p + c.got.recs[3].off, key_update,
	    sizeof(key_update)), 0);
	ck_assert_int_eq(first_error, 4);
	rfx_expect(&c, 1);

	/* Each record under the new keys failed; the stream stayed. */
	kfx_stats(&st1);
	ck_assert_int_eq(st1.failed_crypto - st0.failed_crypto, 4);
	ck_assert_int_eq(st1.corrupted_records, st0.corrupted_records);
	ck_assert_int_eq(uk_net_stats(sv[1], &ns), 0);
	ck_assert_int_eq(ns.state, UK_TCPS_CLOSE_WAIT);
	len = sizeof(err);
	ck_assert_int_eq(uk_getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &err,
	    &len), 0);
	ck_assert_int_eq(err, 0);
	/* No rekeying: one receive session per socket. */
	errno = 0;
	ck_assert_int_eq(sc_enable_try(sv[1], TCP_RXTLS_ENABLE, &k1, 0), -1);
	ck_assert_int_eq(errno, EALREADY);
	sc_rx_end(&c, sv);
}
END_TEST

/*
 * An application that reads application data only: ENXIO at the
 * KeyUpdate, which stays queued until read with its type; rekeying is
 * refused; the application closes.
 */
START_TEST(fb08_keyupdate_tlsappdata)
{
	static uint8_t buf[RFX_RECBUF];
	struct tls_get_record tgr;
	struct uk_test_rcvinfo ri;
	struct tlsm_state k1;
	struct rfx_conn c;
	size_t clen, got;
	ssize_t n;
	int flags, i, sv[2];

	fb8_open(&c, sv, _i, 8100 + (uint64_t)_i, &k1);
	sc_push(&c, sv[0], c.wire.len);
	(void)uk_net_run();

	for (got = 0; got < 3; got++) {
		n = uk_recv(sv[1], buf, sizeof(buf), MSG_TLSAPPDATA |
		    MSG_DONTWAIT);
		ck_assert_int_gt(n, 0);
	}
	/* Not EBADMSG: ENXIO, as often as asked, the record kept. */
	for (i = 0; i < 3; i++) {
		errno = 0;
		ck_assert_int_eq(uk_recv(sv[1], buf, sizeof(buf),
		    MSG_TLSAPPDATA | MSG_DONTWAIT), -1);
		ck_assert_int_eq(errno, ENXIO);
		ck_assert_int_eq(uk_test_rcvbuf_info(sv[1], &ri), 0);
		ck_assert_int_eq(ri.nrecords, 1);
	}
	n = rfx_recvmsg(sv[1], buf, sizeof(buf), MSG_DONTWAIT,
	    CMSG_SPACE(sizeof(tgr)), &tgr, &flags, &clen);
	ck_assert_int_eq(n, (ssize_t)sizeof(key_update));
	ck_assert_uint_eq(tgr.tls_type, TLS_RLTYPE_HANDSHAKE);
	ck_assert_int_eq(flags & MSG_EOR, MSG_EOR);
	ck_assert_int_eq(memcmp(buf, key_update, sizeof(key_update)), 0);
	/* The application sees msg_type 24; the socket cannot follow. */
	errno = 0;
	ck_assert_int_eq(sc_enable_try(sv[1], TCP_RXTLS_ENABLE, &k1, 0), -1);
	ck_assert_int_eq(errno, EALREADY);
	ck_assert_int_eq(sc_mode(sv[1], TCP_RXTLS_MODE), TCP_TLS_MODE_SW);
	/* What came after the KeyUpdate was dropped, not delivered. */
	errno = 0;
	ck_assert_int_eq(uk_recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_int_eq(uk_test_rcvbuf_info(sv[1], &ri), 0);
	ck_assert_int_eq(ri.nrecords, 0);
	ck_assert_uint_eq(ri.acc, 0);
	sc_rx_end(&c, sv);
}
END_TEST

/* A transmit session sends a KeyUpdate under its keys; no TX rekey. */
START_TEST(fb08_keyupdate_tx)
{
	const struct tlsm_suite *s = sc_suite(fb8_suites[_i]);
	struct kfx_result res;
	struct tlsm_state k0, k1;
	struct tfx_sink k;
	uint8_t data[3000], want[3000 + sizeof(key_update) + 100];
	int sv[2];

	fb8_keys(s, 810 + (uint32_t)_i, &k0, &k1);
	sc_net(8200 + (uint64_t)_i, 1.0, 2.0, 1.0, 40.0, 0);
	tfx_pair(sv);
	sc_enable(sv[0], TCP_TXTLS_ENABLE, &k0, 5);
	uktest_fill(data, sizeof(data), 803, 0);
	ck_assert_int_eq(uk_write(sv[0], data, sizeof(data)),
	    (ssize_t)sizeof(data));
	ck_assert_int_eq(kfx_send_type(sv[0], key_update, sizeof(key_update),
	    TLS_RLTYPE_HANDSHAKE), (ssize_t)sizeof(key_update));
	errno = 0;
	ck_assert_int_eq(sc_enable_try(sv[0], TCP_TXTLS_ENABLE, &k1, 0), -1);
	ck_assert_int_eq(errno, EALREADY);
	/* The old session goes on, with the next sequence number. */
	ck_assert_int_eq(uk_write(sv[0], data, 100), 100);
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	memset(&k, 0, sizeof(k));
	k.fd = sv[1];
	sc_sink_drain(&k);
	memcpy(want, data, sizeof(data));
	memcpy(want + sizeof(data), key_update, sizeof(key_update));
	memcpy(want + sizeof(data) + sizeof(key_update), data, 100);
	ck_assert_uint_eq(sc_model_expect(s, &k0, 5, k.buf, k.len, want,
	    sizeof(want), &res), 3);
	ck_assert_uint_eq(res.types[1], TLS_RLTYPE_HANDSHAKE);
	ck_assert_uint_eq(k.buf[0], TLS_RLTYPE_APP);
	kfx_result_free(&res);
	tfx_sink_free(&k);
	tfx_finish(sv, 2);
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb08_keyupdate");
	SC_ADD(s, fb08_keyupdate_rx, 6);
	SC_ADD(s, fb08_keyupdate_tlsappdata, 3);
	SC_ADD(s, fb08_keyupdate_tx, 3);
	return (uktest_run(s));
}
