/*
 * KTLS receive through the socket API: TCP_RXTLS_ENABLE and its checks,
 * records already queued when it is enabled, recvmsg() framing (one
 * record per call, MSG_EOR, TLS_GET_RECORD, MSG_CTRUNC, MSG_TLSAPPDATA,
 * MSG_PEEK), control and empty records with and without a control
 * buffer, blocking and non-blocking reads, the end of the stream,
 * so_error, flow control and statistics.  Plain (non-KTLS) stream reads
 * too.
 *
 * UKTLS_DRAW=1 CK_FORK=no CK_RUN_CASE=draw prints the receive buffer
 * pictures used in docs/receive.md.
 */
#include "ktls_rx_fixture.h"

static int
set_rx(int s, const struct tls_enable *en)
{

	return (uk_setsockopt(s, IPPROTO_TCP, TCP_RXTLS_ENABLE, en,
	    sizeof(*en)));
}

static void
app_bytes(uint8_t *buf, size_t len, uint32_t stream)
{

	uktest_fill(buf, len, stream, 0);
}

/* ---- TCP_RXTLS_ENABLE ------------------------------------------------- */

START_TEST(test_enable_checks)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_ktls_stats st0, st1;
	struct tlsm_state st;
	struct tls_enable en;
	int one = 1, s1, zero = 0;

	kfx_state(s, 200, &st);
	kfx_enable_of(&st, 0, &en);
	s1 = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s1, 0);
	kfx_stats(&st0);
	if (s->version == TLSM_V10) {
		/* ktls_ocf_try(): no TLS 1.0 receive. */
		errno = 0;
		ck_assert_int_eq(set_rx(s1, &en), -1);
		ck_assert_int_eq(errno, EPROTONOSUPPORT);
		/* A bad TLS 1.0 suite is still EINVAL. */
		en.auth_algorithm = CRYPTO_SHA2_256_HMAC;
		errno = 0;
		ck_assert_int_eq(set_rx(s1, &en), -1);
		ck_assert_int_eq(errno, EINVAL);
		kfx_stats(&st1);
		ck_assert_int_eq(st1.active, st0.active);
		ck_assert_int_eq(uk_close(s1), 0);
		return;
	}
	/* Disabled, and CBC disabled. */
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.enable", NULL, &zero), 0);
	errno = 0;
	ck_assert_int_eq(set_rx(s1, &en), -1);
	ck_assert_int_eq(errno, ENOTSUP);
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.enable", NULL, &one), 0);
	if (s->cipher == TLSM_CBC) {
		ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.cbc_enable", NULL,
		    &zero), 0);
		errno = 0;
		ck_assert_int_eq(set_rx(s1, &en), -1);
		ck_assert_int_eq(errno, ENOTSUP);
		ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.cbc_enable", NULL,
		    &one), 0);
	}
	/* Bad parameters. */
	en.flags = 1;
	errno = 0;
	ck_assert_int_eq(set_rx(s1, &en), -1);
	ck_assert_int_eq(errno, EINVAL);
	en.flags = 0;
	en.tls_vmajor = 2;
	errno = 0;
	ck_assert_int_eq(set_rx(s1, &en), -1);
	ck_assert_int_eq(errno, EINVAL);
	en.tls_vmajor = 3;

	ck_assert_int_eq(set_rx(s1, &en), 0);
	kfx_stats(&st1);
	ck_assert_int_eq(st1.active - st0.active, 1);
	ck_assert_int_eq(st1.sw_rx - st0.sw_rx, 1);
	ck_assert_int_eq(st1.rx_gcm - st0.rx_gcm, s->cipher == TLSM_GCM);
	ck_assert_int_eq(st1.rx_cbc - st0.rx_cbc, s->cipher == TLSM_CBC);
	ck_assert_int_eq(st1.rx_chacha - st0.rx_chacha,
	    s->cipher == TLSM_CHACHA);
	/* No rekeying. */
	errno = 0;
	ck_assert_int_eq(set_rx(s1, &en), -1);
	ck_assert_int_eq(errno, EALREADY);
	/* A socket with a session cannot listen. */
	errno = 0;
	ck_assert_int_eq(uk_listen(s1, 5), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(uk_close(s1), 0);
	kfx_stats(&st1);
	ck_assert_int_eq(st1.active, st0.active);
	ck_assert_int_eq(st1.rx_gcm, st0.rx_gcm);
}
END_TEST

/* The eleven combinations FreeBSD refuses, and a listening socket. */
START_TEST(test_enable_invalid)
{
	static const struct {
		int cipher, auth, minor, klen;
	} bad[] = {
		{ CRYPTO_AES_CBC, CRYPTO_SHA2_256_HMAC, 1, 16 },
		{ CRYPTO_AES_CBC, CRYPTO_SHA2_384_HMAC, 1, 16 },
		{ CRYPTO_AES_NIST_GCM_16, 0, 1, 16 },
		{ CRYPTO_AES_NIST_GCM_16, 0, 2, 16 },
		{ CRYPTO_CHACHA20_POLY1305, 0, 1, 32 },
		{ CRYPTO_CHACHA20_POLY1305, 0, 2, 32 },
		{ CRYPTO_AES_CBC, CRYPTO_SHA2_256_HMAC, 2, 16 },
		{ CRYPTO_AES_CBC, CRYPTO_SHA2_384_HMAC, 2, 16 },
		{ CRYPTO_AES_CBC, CRYPTO_SHA1_HMAC, 4, 16 },
		{ CRYPTO_AES_CBC, CRYPTO_SHA2_256_HMAC, 4, 16 },
		{ CRYPTO_AES_CBC, CRYPTO_SHA2_384_HMAC, 4, 16 },
	};
	struct tlsm_state st;
	struct tls_enable en;
	uint8_t key[32], iv[16], mac[48];
	size_t i;
	int ls, s1;

	memset(key, 1, sizeof(key));
	memset(iv, 2, sizeof(iv));
	memset(mac, 3, sizeof(mac));
	s1 = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s1, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&en, 0, sizeof(en));
		en.cipher_algorithm = bad[i].cipher;
		en.auth_algorithm = bad[i].auth;
		en.cipher_key = key;
		en.cipher_key_len = bad[i].klen;
		en.iv = iv;
		en.iv_len = bad[i].cipher == CRYPTO_AES_NIST_GCM_16 ? 4 :
		    bad[i].cipher == CRYPTO_CHACHA20_POLY1305 ? 12 : 16;
		if (bad[i].auth != 0) {
			en.auth_key = mac;
			en.auth_key_len = bad[i].auth == CRYPTO_SHA1_HMAC ?
			    20 : bad[i].auth == CRYPTO_SHA2_256_HMAC ? 32 : 48;
		}
		en.tls_vmajor = 3;
		en.tls_vminor = (uint8_t)bad[i].minor;
		errno = 0;
		ck_assert_msg(set_rx(s1, &en) == -1 && errno == EINVAL,
		    "combination %zu: %s", i, strerror(errno));
	}
	ck_assert_int_eq(uk_close(s1), 0);

	/* A listening socket takes no receive session. */
	ls = uk_test_socket_listening();
	ck_assert_int_ge(ls, 0);
	kfx_state(&tlsm_suites[2], 201, &st);
	kfx_enable_of(&st, 0, &en);
	errno = 0;
	ck_assert_int_eq(set_rx(ls, &en), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(uk_close(ls), 0);
}
END_TEST

/*
 * rec_seq is the sequence number of the first record: records sealed
 * from 2^40 + 5 open, the same record expected at another number fails.
 */
START_TEST(test_enable_seq)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_test_rcvinfo ri;
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t buf[50];

	if (!rfx_suite_ok(s))
		return;
	app_bytes(buf, sizeof(buf), 202);
	rfx_open(&c, s, 203, (1ULL << 40) + 5);
	rfx_app(&c, buf, sizeof(buf));
	rfx_app(&c, buf, sizeof(buf));
	g = rfx_seg(RFX_WHOLE, 0, 0);
	rfx_finish(&c, &g, 0);
	rfx_expect(&c, 0);
	ck_assert_uint_eq(c.got.nrec, 2);
	ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
	ck_assert_uint_eq(ri.tls_seqno, (1ULL << 40) + 7);
	rfx_close(&c);

	/* Off by one: the receiver expects the record after. */
	rfx_open(&c, s, 203, 6);
	c.seq = 5;
	rfx_app(&c, buf, sizeof(buf));
	rfx_finish(&c, &g, 0);
	ck_assert_uint_eq(c.got.nrec, 0);
	ck_assert_int_eq(c.got.nerrors, 1);
	ck_assert_int_eq(c.got.errors[0], EBADMSG);
	rfx_close(&c);
}
END_TEST

/*
 * Records already queued when receive is switched on (field bug 5): 0.5,
 * 1 and 2.5 records arrive as plain TCP data, then TCP_RXTLS_ENABLE, then
 * the rest.  Every record comes out right.
 */
START_TEST(test_enable_with_queued)
{
	static const int halves[] = { 0, 1, 2, 5 };	/* in half records */
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_test_rcvinfo ri;
	struct tls_enable en;
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t buf[3000];
	size_t i, k, pre, reclen;

	if (!rfx_suite_ok(s))
		return;
	for (i = 0; i < sizeof(halves) / sizeof(halves[0]); i++) {
		/* A sealer with the keys, and a socket still without them. */
		memset(&c, 0, sizeof(c));
		c.suite = s;
		kfx_state(s, 204, &c.keys);
		c.st = c.keys;
		c.seq0 = c.seq = 17;
		for (k = 0; k < 4; k++) {
			app_bytes(buf, sizeof(buf), 205 + (uint32_t)k);
			reclen = rfx_seal(&c, TLS_RLTYPE_APP, buf, sizeof(buf),
			    NULL);
		}
		pre = reclen * (size_t)halves[i] / 2;
		c.s = uk_socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_ge(c.s, 0);
		g = rfx_seg(RFX_PIECES, 700, 0);
		rfx_feed(&c, &g, pre);
		ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
		ck_assert_uint_eq(ri.acc, pre);
		ck_assert_int_eq(ri.tls_rx, 0);

		kfx_enable_of(&c.keys, 17, &en);
		ck_assert_int_eq(set_rx(c.s, &en), 0);
		/* Everything queued is now encrypted stream, not ready. */
		ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
		ck_assert_uint_eq(ri.acc, 0);
		ck_assert_uint_eq(ri.tlscc, pre);
		ck_assert_uint_eq(ri.ccc, pre);
		ck_assert_int_eq(ri.running, halves[i] >= 2);
		rfx_read(&c);
		ck_assert_uint_eq(c.got.nrec, (size_t)halves[i] / 2);
		rfx_finish(&c, &g, 1);
		rfx_expect(&c, 1);
		ck_assert_uint_eq(c.got.nrec, 4);
		rfx_assert_empty(&c);
		rfx_close(&c);
	}
}
END_TEST

/* ---- recvmsg() framing ------------------------------------------------- */

/* One suite for the API cases: AES-128-GCM TLS 1.2, and TLS 1.3. */
static const struct tlsm_suite *
api_suite(int tls13)
{
	const struct tlsm_suite *s;
	int i;

	for (i = 0; i < TLSM_NSUITES; i++) {
		s = &tlsm_suites[i];
		if (s->cipher == TLSM_GCM && s->key_len == 16 &&
		    s->version == (tls13 ? TLSM_V13 : TLSM_V12))
			return (s);
	}
	ck_abort_msg("no such suite");
	return (NULL);
}

/* Seal records and feed them all, without running the workers. */
static void
api_open(struct rfx_conn *c, int tls13)
{

	rfx_open(c, api_suite(tls13), 210, 3);
}

static void
api_feed(struct rfx_conn *c)
{
	struct rfx_seg g;

	g = rfx_seg(RFX_WHOLE, 0, 0);
	rfx_feed(c, &g, c->wire.len);
	(void)uk_run();
}

/* A control buffer too small: MSG_CTRUNC, the data still comes. */
START_TEST(test_ctrunc)
{
	struct tls_get_record tgr;
	struct rfx_conn c;
	uint8_t buf[100], got[100];
	size_t clen;
	ssize_t n;
	int flags;

	api_open(&c, _i);
	app_bytes(buf, sizeof(buf), 211);
	rfx_app(&c, buf, 40);
	rfx_app(&c, buf, 41);
	rfx_app(&c, buf, 42);
	api_feed(&c);
	/* Room for the header only. */
	n = rfx_recvmsg(c.s, got, sizeof(got), 0, sizeof(struct cmsghdr), &tgr,
	    &flags, &clen);
	ck_assert_int_eq(n, 40);
	ck_assert_int_eq(flags & (MSG_CTRUNC | MSG_EOR), MSG_CTRUNC | MSG_EOR);
	ck_assert_uint_eq(clen, sizeof(struct cmsghdr));
	ck_assert_mem_eq(got, buf, 40);
	/* Not even a header. */
	n = rfx_recvmsg(c.s, got, sizeof(got), 0, 8, &tgr, &flags, &clen);
	ck_assert_int_eq(n, 41);
	ck_assert_int_eq(flags & (MSG_CTRUNC | MSG_EOR), MSG_CTRUNC | MSG_EOR);
	ck_assert_uint_eq(clen, 0);
	/* Enough: no MSG_CTRUNC, the whole message. */
	n = rfx_recvmsg(c.s, got, sizeof(got), 0, CMSG_SPACE(sizeof(tgr)),
	    &tgr, &flags, &clen);
	ck_assert_int_eq(n, 42);
	ck_assert_int_eq(flags & (MSG_CTRUNC | MSG_EOR), MSG_EOR);
	ck_assert_uint_eq(clen, CMSG_SPACE(sizeof(tgr)));
	ck_assert_uint_eq(tgr.tls_type, TLS_RLTYPE_APP);
	ck_assert_uint_eq(tgr.tls_vmajor, 3);
	ck_assert_uint_eq(tgr.tls_vminor, 3);
	ck_assert_uint_eq(ntohs(tgr.tls_length), 42);
	rfx_close(&c);
}
END_TEST

/*
 * MSG_TLSAPPDATA: a record that is not application data gives ENXIO and
 * stays queued (field bug 9); a read without the flag then gets it,
 * with its type in the control message.
 */
START_TEST(test_tlsappdata)
{
	static const uint8_t alert[2] = { 1, 0 };
	struct tls_get_record tgr;
	struct rfx_conn c;
	uint8_t buf[64], got[100];
	size_t clen;
	ssize_t n;
	int flags, i;

	api_open(&c, _i);
	app_bytes(buf, sizeof(buf), 212);
	rfx_app(&c, buf, 10);
	rfx_seal(&c, TLS_RLTYPE_HANDSHAKE, buf, 20, NULL);
	rfx_seal(&c, TLS_RLTYPE_ALERT, alert, sizeof(alert), NULL);
	rfx_app(&c, buf, 11);
	api_feed(&c);

	n = rfx_recvmsg(c.s, got, sizeof(got), MSG_TLSAPPDATA, 64, &tgr,
	    &flags, &clen);
	ck_assert_int_eq(n, 10);
	ck_assert_uint_eq(tgr.tls_type, TLS_RLTYPE_APP);
	for (i = 0; i < 3; i++) {
		errno = 0;
		n = rfx_recvmsg(c.s, got, sizeof(got), MSG_TLSAPPDATA, 64,
		    &tgr, &flags, &clen);
		ck_assert_int_eq(n, -1);
		ck_assert_int_eq(errno, ENXIO);
	}
	n = rfx_recvmsg(c.s, got, sizeof(got), 0, 64, &tgr, &flags, &clen);
	ck_assert_int_eq(n, 20);
	ck_assert_uint_eq(tgr.tls_type, TLS_RLTYPE_HANDSHAKE);
	ck_assert_mem_eq(got, buf, 20);
	errno = 0;
	ck_assert_int_eq(uk_recv(c.s, got, sizeof(got), MSG_TLSAPPDATA), -1);
	ck_assert_int_eq(errno, ENXIO);
	n = rfx_recvmsg(c.s, got, sizeof(got), 0, 64, &tgr, &flags, &clen);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(tgr.tls_type, TLS_RLTYPE_ALERT);
	ck_assert_int_eq(flags & MSG_EOR, MSG_EOR);
	ck_assert_int_eq(uk_recv(c.s, got, sizeof(got), MSG_TLSAPPDATA), 11);
	rfx_close(&c);
}
END_TEST

/*
 * Control records without a control buffer: read() returns their bytes
 * (the type is not reported), one record per call, no error (FreeBSD
 * discards the control message).
 */
START_TEST(test_control_without_cmsg)
{
	static const uint8_t alert[2] = { 1, 0 };
	struct rfx_conn c;
	uint8_t buf[64], got[100];

	api_open(&c, _i);
	app_bytes(buf, sizeof(buf), 213);
	rfx_app(&c, buf, 30);
	rfx_seal(&c, TLS_RLTYPE_ALERT, alert, sizeof(alert), NULL);
	rfx_app(&c, buf + 30, 30);
	api_feed(&c);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 30);
	ck_assert_mem_eq(got, buf, 30);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 2);
	ck_assert_mem_eq(got, alert, 2);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 30);
	ck_assert_mem_eq(got, buf + 30, 30);
	errno = 0;
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	rfx_close(&c);
}
END_TEST

/*
 * Empty application records (field bug 11) never read as the end of the
 * stream: recvmsg() with a control buffer returns 0 bytes, MSG_EOR and
 * the TLS_GET_RECORD of length 0; read() skips them.
 */
START_TEST(test_empty_records)
{
	struct tls_get_record tgr;
	struct rfx_conn c;
	uint8_t buf[64], got[100];
	size_t clen;
	ssize_t n;
	int flags;

	api_open(&c, _i);
	app_bytes(buf, sizeof(buf), 214);
	rfx_app(&c, buf, 0);
	rfx_app(&c, buf, 5);
	rfx_app(&c, buf, 0);
	rfx_app(&c, buf, 0);
	rfx_app(&c, buf + 5, 6);
	rfx_app(&c, buf, 0);
	api_feed(&c);

	n = rfx_recvmsg(c.s, got, sizeof(got), 0, 64, &tgr, &flags, &clen);
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(clen, CMSG_SPACE(sizeof(tgr)));
	ck_assert_uint_eq(tgr.tls_type, TLS_RLTYPE_APP);
	ck_assert_uint_eq(ntohs(tgr.tls_length), 0);
	ck_assert_int_eq(flags & MSG_EOR, MSG_EOR);
	/* read(): the empty records between are skipped. */
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 5);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 6);
	ck_assert_mem_eq(got, buf + 5, 6);
	/* An empty record last: not the end, just nothing yet. */
	errno = 0;
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* Now the real end. */
	ck_assert_int_eq(uk_test_rcv_eof(c.s), 0);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 0);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 0);
	rfx_close(&c);
}
END_TEST

/*
 * A record longer than the buffer: read in parts; the control message
 * comes with the first part, MSG_EOR with the last; a read never runs
 * into the next record.  MSG_PEEK leaves everything where it was.
 */
START_TEST(test_partial_and_peek)
{
	struct tls_get_record tgr;
	struct rfx_conn c;
	uint8_t buf[1000], got[1000];
	size_t clen;
	ssize_t n;
	int flags;

	api_open(&c, _i);
	app_bytes(buf, sizeof(buf), 215);
	rfx_app(&c, buf, 1000);
	rfx_app(&c, buf, 7);
	api_feed(&c);

	n = rfx_recvmsg(c.s, got, 300, MSG_PEEK, 64, &tgr, &flags, &clen);
	ck_assert_int_eq(n, 300);
	ck_assert_uint_eq(ntohs(tgr.tls_length), 1000);
	ck_assert_int_eq(flags & MSG_EOR, 0);
	n = rfx_recvmsg(c.s, got, 300, 0, 64, &tgr, &flags, &clen);
	ck_assert_int_eq(n, 300);
	ck_assert_uint_eq(ntohs(tgr.tls_length), 1000);
	ck_assert_int_eq(flags & MSG_EOR, 0);
	ck_assert_mem_eq(got, buf, 300);
	n = rfx_recvmsg(c.s, got, 300, 0, 64, &tgr, &flags, &clen);
	ck_assert_int_eq(n, 300);
	ck_assert_uint_eq(clen, 0);
	ck_assert_int_eq(flags & MSG_EOR, 0);
	ck_assert_mem_eq(got, buf + 300, 300);
	/* 400 left; a big buffer still stops at the record's end. */
	n = rfx_recvmsg(c.s, got, sizeof(got), 0, 64, &tgr, &flags, &clen);
	ck_assert_int_eq(n, 400);
	ck_assert_uint_eq(clen, 0);
	ck_assert_int_eq(flags & MSG_EOR, MSG_EOR);
	ck_assert_mem_eq(got, buf + 600, 400);
	n = rfx_recvmsg(c.s, got, sizeof(got), MSG_PEEK, 64, &tgr, &flags,
	    &clen);
	ck_assert_int_eq(n, 7);
	ck_assert_uint_eq(ntohs(tgr.tls_length), 7);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 7);
	rfx_close(&c);
}
END_TEST

/*
 * Blocking and non-blocking: nothing ready is EAGAIN with MSG_DONTWAIT,
 * on a non-blocking socket, and (deterministic mode) on a blocking one.
 * The end of the stream comes only after every record: with records
 * still waiting for a worker a read does not return 0.
 */
START_TEST(test_eof_after_pending)
{
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t buf[64], got[100];

	api_open(&c, _i);
	app_bytes(buf, sizeof(buf), 216);
	errno = 0;
	ck_assert_int_eq(uk_recv(c.s, got, sizeof(got), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	errno = 0;
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(uk_set_nonblock(c.s, 1), 0);
	errno = 0;
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(uk_set_nonblock(c.s, 0), 0);

	rfx_app(&c, buf, 10);
	rfx_app(&c, buf, 20);
	g = rfx_seg(RFX_WHOLE, 0, 0);
	rfx_feed(&c, &g, c.wire.len);
	ck_assert_int_eq(uk_test_rcv_eof(c.s), 0);
	/* The FIN is in, the records are not decrypted yet: not the end. */
	errno = 0;
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_gt(uk_run(), 0);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 10);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 20);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 0);
	rfx_close(&c);
}
END_TEST

/*
 * so_error: a record that failed is reported once the records before it
 * are read, and SO_ERROR reads (and clears) it.
 */
START_TEST(test_so_error)
{
	struct rfx_conn c;
	uint8_t buf[64], got[100];
	socklen_t len;
	size_t off;
	int err;

	api_open(&c, _i);
	app_bytes(buf, sizeof(buf), 217);
	rfx_app(&c, buf, 10);
	off = c.wire.len;
	rfx_app(&c, buf, 20);
	c.wire.p[c.wire.len - 1] ^= 1;		/* the tag */
	(void)off;
	api_feed(&c);
	len = sizeof(err);
	ck_assert_int_eq(uk_getsockopt(c.s, SOL_SOCKET, SO_ERROR, &err, &len),
	    0);
	ck_assert_int_eq(err, EBADMSG);
	ck_assert_int_eq(uk_getsockopt(c.s, SOL_SOCKET, SO_ERROR, &err, &len),
	    0);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 10);
	errno = 0;
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	rfx_close(&c);
}
END_TEST

/*
 * Flow control: bytes not yet decrypted count against the receive
 * window (sbspace()), and so do decrypted ones not yet read.
 */
START_TEST(test_flow_control)
{
	struct uk_test_rcvinfo ri;
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t *buf;
	size_t fed, total;
	ssize_t n;

	api_open(&c, _i);
	buf = malloc(16384);
	ck_assert_ptr_nonnull(buf);
	app_bytes(buf, 16384, 218);
	while (c.wire.len < 100000)
		rfx_app(&c, buf, 16384);
	total = c.wire.len;
	/* Feed without running the workers until the window shuts. */
	for (fed = 0; fed < total; fed += (size_t)n) {
		n = uk_test_rcvbuf_inject(c.s, c.wire.p + fed, total - fed);
		ck_assert_int_ge(n, 0);
		if (n == 0)
			break;
	}
	ck_assert_uint_lt(fed, total);
	ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
	ck_assert_int_eq(ri.space, 0);
	ck_assert_uint_eq(ri.ccc, ri.hiwat);
	ck_assert_uint_eq(ri.tlscc, ri.hiwat);
	ck_assert_uint_eq(ri.acc, 0);
	/*
	 * Decrypted but unread still counts: the window opens only by the
	 * headers and tags the workers cut off (less the control
	 * messages), not by what was decrypted.
	 */
	(void)uk_run();
	ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
	ck_assert_uint_gt(ri.acc, 0);
	ck_assert_uint_eq(ri.ccc, ri.acc + ri.tlscc);
	ck_assert_int_lt(ri.space, 64);
	/* Reading opens it. */
	c.fed = fed;
	rfx_read(&c);
	ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
	ck_assert_int_gt(ri.space, 0);
	g = rfx_seg(RFX_PIECES, 5000, 0);
	rfx_finish(&c, &g, 1);
	rfx_expect(&c, 1);
	rfx_assert_empty(&c);
	rfx_close(&c);
	free(buf);
}
END_TEST

/* Statistics: records decrypted, sockets queued, corrupted records. */
START_TEST(test_stats)
{
	struct uk_ktls_stats st0, st1;
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t buf[64];

	kfx_stats(&st0);
	api_open(&c, _i);
	app_bytes(buf, sizeof(buf), 219);
	rfx_app(&c, buf, 10);
	rfx_app(&c, buf, 20);
	rfx_app(&c, buf, 30);
	g = rfx_seg(RFX_WHOLE, 0, 0);
	rfx_feed(&c, &g, c.wire.len);
	kfx_stats(&st1);
	ck_assert_int_eq(st1.sw_rx_inqueue - st0.sw_rx_inqueue, 1);
	rfx_read(&c);
	kfx_stats(&st1);
	ck_assert_int_eq(st1.sw_rx_inqueue, st0.sw_rx_inqueue);
	ck_assert_int_eq(st1.decrypt_records - st0.decrypt_records, 3);
	ck_assert_int_eq(st1.failed_crypto, st0.failed_crypto);
	ck_assert_int_eq(st1.corrupted_records, st0.corrupted_records);
	rfx_close(&c);
}
END_TEST

/*
 * No payload copies while decrypting: with MSS-sized segments in
 * clusters (no coalescing) the workers decrypt in place and copy nothing;
 * a record that ends inside a segment shares the cluster with the next.
 */
START_TEST(test_zero_copy_decrypt)
{
	struct uk_counters k0, k1;
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t *buf;
	size_t i, plain;

	api_open(&c, _i);
	buf = malloc(10000);
	ck_assert_ptr_nonnull(buf);
	app_bytes(buf, 10000, 220);
	plain = 0;
	for (i = 1; i <= 5; i++) {
		rfx_app(&c, buf, 1000 * i + 7);
		plain += 1000 * i + 7;
	}
	g = rfx_seg(RFX_PIECES, RFX_MSS, 0);
	rfx_feed(&c, &g, c.wire.len);
	uk_counters(&k0);
	ck_assert_int_gt(uk_run(), 0);
	uk_counters(&k1);
	ck_assert_int_eq(k1.copied_bytes - k0.copied_bytes, 0);
	ck_assert_int_eq(k1.crypto_bytes - k0.crypto_bytes, (int64_t)plain);
	rfx_read(&c);
	ck_assert_uint_eq(c.got.plain.len, plain);
	rfx_close(&c);
	free(buf);
}
END_TEST

/*
 * An allocation that may fail fails (uk_fail_nth_alloc()): splitting a
 * record out of a segment falls back to an allocation that waits, so
 * every record still comes out, whichever allocation it was.
 */
START_TEST(test_alloc_failure)
{
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t buf[4000];
	uint64_t n;
	int fired, i;

	app_bytes(buf, sizeof(buf), 224);
	for (n = 1;; n++) {
		api_open(&c, _i);
		for (i = 0; i < 6; i++)
			rfx_app(&c, buf, 1000 + 500 * (size_t)i);
		g = rfx_seg(RFX_PIECES, RFX_MSS, 0);
		uk_fail_nth_alloc(n);
		rfx_finish(&c, &g, 1);
		fired = uk_fail_fired();
		uk_fail_nth_alloc(0);
		rfx_expect(&c, 1);
		ck_assert_uint_eq(c.got.nrec, 6);
		rfx_assert_empty(&c);
		rfx_close(&c);
		uktest_assert_no_leaks();
		if (!fired)
			break;
		ck_assert_uint_lt(n, 1000);
	}
	/* Some allocations could fail, and did. */
	ck_assert_uint_gt(n, 1);
}
END_TEST

/* ---- plain stream reads (no KTLS) ------------------------------------- */

START_TEST(test_plain_stream)
{
	struct tls_get_record tgr;
	uint8_t buf[5000], got[5000];
	size_t clen;
	ssize_t n;
	int flags, s1;

	s1 = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s1, 0);
	app_bytes(buf, sizeof(buf), 221);
	ck_assert_int_eq(uk_test_rcvbuf_inject(s1, buf, 1000), 1000);
	ck_assert_int_eq(uk_test_rcvbuf_inject(s1, buf + 1000, 3000), 3000);
	/* A stream: the two segments read as one, no control, no EOR. */
	n = rfx_recvmsg(s1, got, sizeof(got), 0, 64, &tgr, &flags, &clen);
	ck_assert_int_eq(n, 4000);
	ck_assert_uint_eq(clen, 0);
	ck_assert_int_eq(flags & MSG_EOR, 0);
	ck_assert_mem_eq(got, buf, 4000);
	ck_assert_int_eq(uk_test_rcvbuf_inject(s1, buf + 4000, 1000), 1000);
	ck_assert_int_eq(uk_recv(s1, got, 10, MSG_PEEK), 10);
	ck_assert_int_eq(uk_read(s1, got, 600), 600);
	ck_assert_mem_eq(got, buf + 4000, 600);
	errno = 0;
	ck_assert_int_eq(uk_recv(s1, got, sizeof(got), MSG_OOB), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* MSG_WAITALL gets what there is when nothing else can come. */
	ck_assert_int_eq(uk_recv(s1, got, sizeof(got), MSG_WAITALL), 400);
	ck_assert_mem_eq(got, buf + 4600, 400);
	ck_assert_int_eq(uk_test_rcv_eof(s1), 0);
	ck_assert_int_eq(uk_read(s1, got, sizeof(got)), 0);
	/* After the end, data is dropped as TCP would. */
	ck_assert_int_eq(uk_test_rcvbuf_inject(s1, buf, 10), 10);
	ck_assert_int_eq(uk_read(s1, got, sizeof(got)), 0);
	ck_assert_int_eq(uk_close(s1), 0);
}
END_TEST

/* shutdown(): SHUT_RD drops what was received; bad arguments. */
START_TEST(test_shutdown)
{
	struct uk_test_rcvinfo ri;
	struct rfx_conn c;
	uint8_t buf[64], got[100];

	api_open(&c, _i);
	app_bytes(buf, sizeof(buf), 222);
	rfx_app(&c, buf, 10);
	rfx_app(&c, buf, 20);
	api_feed(&c);
	rfx_app(&c, buf, 30);
	c.wire.len -= 5;
	{
		struct rfx_seg g = rfx_seg(RFX_WHOLE, 0, 0);

		rfx_feed(&c, &g, c.wire.len);
	}
	errno = 0;
	ck_assert_int_eq(uk_shutdown(c.s, 7), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(uk_shutdown(c.s, SHUT_RD), 0);
	ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
	ck_assert_uint_eq(ri.ccc, 0);
	ck_assert_uint_eq(ri.mbcnt, 0);
	ck_assert_int_eq(ri.cantrcvmore, 1);
	/* The part-record was cut off by the shutdown itself. */
	errno = 0;
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 0);
	ck_assert_int_eq(uk_shutdown(c.s, SHUT_WR), 0);
	errno = 0;
	ck_assert_int_eq(uk_write(c.s, buf, 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	errno = 0;
	ck_assert_int_eq(uk_shutdown(999, SHUT_RD), -1);
	ck_assert_int_eq(errno, EBADF);
	rfx_close(&c);
}
END_TEST

/* ---- pictures (docs/receive.md) ---------------------------------------- */

static void
draw(int s, const char *title)
{
	char pic[4096];

	ck_assert_int_lt(uk_test_rcvbuf_draw(s, pic, sizeof(pic)),
	    (int)sizeof(pic));
	if (getenv("UKTLS_DRAW") != NULL)
		printf("%s\n%s\n", title, pic);
}

struct draw_ctx {
	int	s;
	int	done;
};

static void
draw_in_flight(void *arg, int phase, uint64_t seqno)
{
	struct draw_ctx *d = arg;
	struct uk_test_rcvinfo ri;

	if (phase != UK_TEST_RX_DETACHED || seqno != 4 || d->done)
		return;
	d->done = 1;
	ck_assert_int_eq(uk_test_rcvbuf_info(d->s, &ri), 0);
	ck_assert_uint_gt(ri.tlsdcc, 0);
	draw(d->s, "the worker holds record 4 (sb_tlsdcc), unlocked:");
}

START_TEST(test_draw)
{
	struct draw_ctx d;
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t *buf;
	size_t half;

	api_open(&c, 0);
	buf = malloc(16384);
	ck_assert_ptr_nonnull(buf);
	app_bytes(buf, 16384, 223);
	rfx_app(&c, buf, 100);		/* seq 3 */
	rfx_app(&c, buf, 5000);		/* seq 4 */
	rfx_app(&c, buf, 0);		/* seq 5 */
	half = c.wire.len;
	rfx_app(&c, buf, 16384);	/* seq 6 */
	half += (c.wire.len - half) / 2;
	g = rfx_seg(RFX_PIECES, RFX_MSS, 0);
	rfx_feed(&c, &g, half);
	draw(c.s, "2.5 records fed in 1448-byte segments, before the worker:");
	d.s = c.s;
	d.done = 0;
	uk_test_ktls_rx_hook(draw_in_flight, &d);
	(void)uk_run();
	uk_test_ktls_rx_hook(NULL, NULL);
	ck_assert(d.done);
	draw(c.s, "after the worker:");
	rfx_read(&c);
	draw(c.s, "after reading every record:");
	rfx_finish(&c, &g, 1);
	rfx_expect(&c, 1);
	rfx_close(&c);
	free(buf);
}
END_TEST

static Suite *
ktls_rx_api_suite(void)
{
	Suite *su;
	TCase *tc;

	su = suite_create("ktls_rx_api");
	tc = kfx_tcase("enable");
	tcase_add_loop_test(tc, test_enable_checks, 0, TLSM_NSUITES);
	tcase_add_test(tc, test_enable_invalid);
	tcase_add_loop_test(tc, test_enable_seq, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_enable_with_queued, 0, TLSM_NSUITES);
	suite_add_tcase(su, tc);
	tc = kfx_tcase("recvmsg");
	tcase_add_loop_test(tc, test_ctrunc, 0, 2);
	tcase_add_loop_test(tc, test_tlsappdata, 0, 2);
	tcase_add_loop_test(tc, test_control_without_cmsg, 0, 2);
	tcase_add_loop_test(tc, test_empty_records, 0, 2);
	tcase_add_loop_test(tc, test_partial_and_peek, 0, 2);
	tcase_add_loop_test(tc, test_eof_after_pending, 0, 2);
	tcase_add_loop_test(tc, test_so_error, 0, 2);
	tcase_add_loop_test(tc, test_flow_control, 0, 2);
	tcase_add_loop_test(tc, test_stats, 0, 2);
	tcase_add_loop_test(tc, test_zero_copy_decrypt, 0, 2);
	tcase_add_loop_test(tc, test_shutdown, 0, 2);
	tcase_add_test(tc, test_plain_stream);
	suite_add_tcase(su, tc);
	tc = kfx_tcase("faults");
	tcase_add_loop_test(tc, test_alloc_failure, 0, 2);
	suite_add_tcase(su, tc);
	tc = kfx_tcase("draw");
	tcase_add_test(tc, test_draw);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{

	return (uktest_run(ktls_rx_api_suite()));
}
