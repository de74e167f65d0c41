/*
 * Field bug 13: KTLS silently not engaged.  An unsupported combination
 * (a suite or version the kernel cannot do, KTLS or CBC switched off,
 * TLS 1.0 receive) made stacks fall back to user-space TLS without
 * saying so, and the plaintext still flowed.
 *
 * uktls, as FreeBSD, never falls back inside the kernel: setsockopt()
 * refuses with an errno that says why (EINVAL: the parameters or the
 * socket; ENOTSUP: switched off; EPROTONOSUPPORT: no TLS 1.0 receive;
 * EALREADY: a session is there; ENOTCONN: a listening socket, transmit),
 * and TCP_TXTLS_MODE / TCP_RXTLS_MODE and the statistics report which
 * mode each direction got.  What an application does with a refusal is
 * its own business: after one, the socket is plain TCP, which the
 * scenario shows by sending a byte string in the clear.
 *
 *   fb13_invalid_suites   FreeBSD's eleven invalid combinations, both
 *                         directions: EINVAL, mode NONE, no session,
 *                         the call counted, the data in the clear
 *   fb13_bad_params       each bad field of a good suite: EINVAL
 *   fb13_disabled         kern.ipc.tls.enable / cbc_enable off: ENOTSUP
 *   fb13_tls10_receive    TLS 1.0 transmits (SW) and refuses to receive
 *   fb13_mode_report      every suite: modes and per-mode, per-cipher
 *                         gauges; a switch to ifnet (no NIC) refused
 *                         with the mode unchanged; EALREADY
 *   fb13_listening        listening sockets and sessions
 */
#include "scenario.h"

/* A tls_enable from a model state, then one field changed by the caller. */
static void
fb13_enable_of(const struct tlsm_suite *s, struct tlsm_state *st,
    struct tls_enable *en)
{

	*st = sc_keys(s, 1300);
	kfx_enable_of(st, 0, en);
}

static int
fb13_set(int s, int name, const struct tls_enable *en)
{

	return (uk_setsockopt(s, IPPROTO_TCP, name, en, sizeof(*en)));
}

/* A refused enable left nothing behind: no session, plain TCP. */
static void
fb13_refused(int sv[2], int err, const struct uk_ktls_stats *st0, int counted)
{
	struct uk_ktls_stats st1;
	uint8_t buf[16];

	ck_assert_int_eq(errno, err);
	ck_assert_int_eq(sc_mode(sv[0], TCP_TXTLS_MODE), TCP_TLS_MODE_NONE);
	ck_assert_int_eq(sc_mode(sv[0], TCP_RXTLS_MODE), TCP_TLS_MODE_NONE);
	kfx_stats(&st1);
	ck_assert_int_eq(st1.active, st0->active);
	ck_assert_int_eq(st1.offload_total, st0->offload_total);
	ck_assert_int_eq(st1.enable_calls - st0->enable_calls, counted);
	/* Plain TCP: the bytes go as they are, both ways. */
	ck_assert_int_eq(uk_write(sv[0], "in the clear", 12), 12);
	ck_assert_int_eq(uk_write(sv[1], "in the clear", 12), 12);
	(void)uk_net_run();
	ck_assert_int_eq(uk_read(sv[1], buf, sizeof(buf)), 12);
	ck_assert_int_eq(memcmp(buf, "in the clear", 12), 0);
	ck_assert_int_eq(uk_read(sv[0], buf, sizeof(buf)), 12);
}

/* FreeBSD's ktls_test.c invalid suites: cipher, key, auth, minor. */
static const struct {
	int		 cipher, keylen, auth, authlen, minor;
} fb13_invalid[] = {
	{ CRYPTO_AES_CBC, 16, CRYPTO_SHA2_256_HMAC, 32, TLS_MINOR_VER_ZERO },
	{ CRYPTO_AES_CBC, 16, CRYPTO_SHA2_384_HMAC, 48, TLS_MINOR_VER_ZERO },
	{ CRYPTO_AES_NIST_GCM_16, 16, 0, 0, TLS_MINOR_VER_ZERO },
	{ CRYPTO_AES_NIST_GCM_16, 16, 0, 0, TLS_MINOR_VER_ONE },
	{ CRYPTO_CHACHA20_POLY1305, 32, 0, 0, TLS_MINOR_VER_ZERO },
	{ CRYPTO_CHACHA20_POLY1305, 32, 0, 0, TLS_MINOR_VER_ONE },
	{ CRYPTO_AES_CBC, 16, CRYPTO_SHA2_256_HMAC, 32, TLS_MINOR_VER_ONE },
	{ CRYPTO_AES_CBC, 16, CRYPTO_SHA2_384_HMAC, 48, TLS_MINOR_VER_ONE },
	{ CRYPTO_AES_CBC, 16, CRYPTO_SHA1_HMAC, 20, TLS_MINOR_VER_THREE },
	{ CRYPTO_AES_CBC, 16, CRYPTO_SHA2_256_HMAC, 32, TLS_MINOR_VER_THREE },
	{ CRYPTO_AES_CBC, 16, CRYPTO_SHA2_384_HMAC, 48, TLS_MINOR_VER_THREE },
};
#define	FB13_NINVALID	11

/* _i = invalid suite * 2 + direction. */
START_TEST(fb13_invalid_suites)
{
	uint8_t key[32], iv[16], mac[48];
	struct uk_ktls_stats st0;
	struct tls_enable en;
	int name, sv[2];

	uktest_fill(key, sizeof(key), 1301, 0);
	uktest_fill(iv, sizeof(iv), 1302, 0);
	uktest_fill(mac, sizeof(mac), 1303, 0);
	memset(&en, 0, sizeof(en));
	en.cipher_algorithm = fb13_invalid[_i / 2].cipher;
	en.cipher_key = key;
	en.cipher_key_len = fb13_invalid[_i / 2].keylen;
	en.auth_algorithm = fb13_invalid[_i / 2].auth;
	en.auth_key = mac;
	en.auth_key_len = fb13_invalid[_i / 2].authlen;
	en.iv = iv;
	en.iv_len = en.cipher_algorithm == CRYPTO_AES_NIST_GCM_16 ? 4 :
	    en.cipher_algorithm == CRYPTO_CHACHA20_POLY1305 ? 12 : 16;
	en.tls_vmajor = TLS_MAJOR_VER_ONE;
	en.tls_vminor = (uint8_t)fb13_invalid[_i / 2].minor;
	name = _i % 2 == 0 ? TCP_TXTLS_ENABLE : TCP_RXTLS_ENABLE;
	tfx_pair(sv);
	kfx_stats(&st0);
	errno = 0;
	ck_assert_int_eq(fb13_set(sv[0], name, &en), -1);
	fb13_refused(sv, EINVAL, &st0, 1);
	tfx_finish(sv, 2);
}
END_TEST

/* Each field of a good TLS 1.2 GCM (or CBC) request made wrong. */
START_TEST(fb13_bad_params)
{
	const struct tlsm_suite *s;
	struct uk_ktls_stats st0;
	struct tlsm_state st;
	struct tls_enable en;
	int sv[2];

	s = sc_suite(_i < 8 ? "aes128_gcm_1_2" : "aes128_cbc_1_2_sha256");
	fb13_enable_of(s, &st, &en);
	switch (_i) {
	case 0:
		en.flags = 1;
		break;
	case 1:
		en.tls_vmajor = 2;
		break;
	case 2:
		en.tls_vminor = 5;
		break;
	case 3:
		en.cipher_key_len = 0;
		break;
	case 4:
		en.cipher_key_len = 24;
		break;
	case 5:
		en.iv_len = 8;
		break;
	case 6:
		en.auth_algorithm = CRYPTO_SHA1_HMAC;
		break;
	case 7:
		en.cipher_algorithm = CRYPTO_AES_ICM;
		break;
	case 8:
		en.auth_key_len = 0;
		en.auth_key = NULL;
		break;
	case 9:
		en.auth_algorithm = 0;
		break;
	case 10:
		en.auth_key_len = TLS_MAX_PARAM_SIZE + 1;
		break;
	default:
		en.iv_len = 17;
		break;
	}
	tfx_pair(sv);
	kfx_stats(&st0);
	errno = 0;
	ck_assert_int_eq(fb13_set(sv[0], TCP_TXTLS_ENABLE, &en), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(fb13_set(sv[0], TCP_RXTLS_ENABLE, &en), -1);
	/*
	 * Lengths out of range and no key at all are refused while the
	 * request is copied in, before the enable is counted.
	 */
	fb13_refused(sv, EINVAL, &st0, _i == 3 || _i >= 10 ? 0 : 2);
	tfx_finish(sv, 2);
}
END_TEST

/* _i: suite.  Switched off: ENOTSUP, not counted; CBC alone too. */
START_TEST(fb13_disabled)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_ktls_stats st0;
	struct tlsm_state st;
	struct tls_enable en;
	int off = 0, on = 1, sv[2];

	fb13_enable_of(s, &st, &en);
	tfx_pair(sv);
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.enable", NULL, &off), 0);
	kfx_stats(&st0);
	errno = 0;
	ck_assert_int_eq(fb13_set(sv[0], TCP_TXTLS_ENABLE, &en), -1);
	ck_assert_int_eq(errno, ENOTSUP);
	errno = 0;
	ck_assert_int_eq(fb13_set(sv[0], TCP_RXTLS_ENABLE, &en), -1);
	fb13_refused(sv, ENOTSUP, &st0, 0);
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.enable", NULL, &on), 0);

	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.cbc_enable", NULL, &off),
	    0);
	kfx_stats(&st0);
	errno = 0;
	if (s->cipher == TLSM_CBC) {
		ck_assert_int_eq(fb13_set(sv[0], TCP_TXTLS_ENABLE, &en), -1);
		fb13_refused(sv, ENOTSUP, &st0, 1);
	} else {
		ck_assert_int_eq(fb13_set(sv[0], TCP_TXTLS_ENABLE, &en), 0);
		ck_assert_int_eq(sc_mode(sv[0], TCP_TXTLS_MODE),
		    TCP_TLS_MODE_SW);
	}
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.cbc_enable", NULL, &on),
	    0);
	tfx_finish(sv, 2);
}
END_TEST

/* _i: TLS 1.0 suite.  Transmit in software; receive refused. */
START_TEST(fb13_tls10_receive)
{
	const struct tlsm_suite *s = sc_suite(_i == 0 ? "aes128_cbc_1_0_sha1" :
	    "aes256_cbc_1_0_sha1");
	struct uk_ktls_stats st0, st1;
	struct tlsm_state st;
	struct tls_enable en;
	int sv[2];

	fb13_enable_of(s, &st, &en);
	tfx_pair(sv);
	kfx_stats(&st0);
	errno = 0;
	ck_assert_int_eq(fb13_set(sv[1], TCP_RXTLS_ENABLE, &en), -1);
	ck_assert_int_eq(errno, EPROTONOSUPPORT);
	ck_assert_int_eq(sc_mode(sv[1], TCP_RXTLS_MODE), TCP_TLS_MODE_NONE);
	ck_assert_int_eq(fb13_set(sv[0], TCP_TXTLS_ENABLE, &en), 0);
	ck_assert_int_eq(sc_mode(sv[0], TCP_TXTLS_MODE), TCP_TLS_MODE_SW);
	ck_assert_int_eq(sc_mode(sv[0], TCP_RXTLS_MODE), TCP_TLS_MODE_NONE);
	kfx_stats(&st1);
	ck_assert_int_eq(st1.sw_tx - st0.sw_tx, 1);
	ck_assert_int_eq(st1.sw_rx - st0.sw_rx, 0);
	ck_assert_int_eq(st1.tx_cbc - st0.tx_cbc, 1);
	ck_assert_int_eq(st1.enable_calls - st0.enable_calls, 2);
	ck_assert_int_eq(st1.offload_total - st0.offload_total, 1);
	tfx_finish(sv, 2);
}
END_TEST

/* The live sessions of a cipher, transmit (rx 0) or receive. */
static int64_t
fb13_gauge(const struct uk_ktls_stats *st, enum tlsm_cipher c, int rx)
{

	switch (c) {
	case TLSM_GCM:
		return (rx ? st->rx_gcm : st->tx_gcm);
	case TLSM_CBC:
		return (rx ? st->rx_cbc : st->tx_cbc);
	default:
		return (rx ? st->rx_chacha : st->tx_chacha);
	}
}

/* _i: suite.  Which mode, in the options and in the gauges. */
START_TEST(fb13_mode_report)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_ktls_stats st0, st1, st2;
	struct tlsm_state st;
	struct tls_enable en;
	int mode, rxok, sv[2];

	fb13_enable_of(s, &st, &en);
	rxok = rfx_suite_ok(s);
	tfx_pair(sv);
	/* No session: NONE, and asking for a mode changes nothing. */
	ck_assert_int_eq(sc_mode(sv[0], TCP_TXTLS_MODE), TCP_TLS_MODE_NONE);
	mode = TCP_TLS_MODE_IFNET;
	ck_assert_int_eq(uk_setsockopt(sv[0], IPPROTO_TCP, TCP_TXTLS_MODE,
	    &mode, sizeof(mode)), 0);
	ck_assert_int_eq(sc_mode(sv[0], TCP_TXTLS_MODE), TCP_TLS_MODE_NONE);

	kfx_stats(&st0);
	ck_assert_int_eq(fb13_set(sv[0], TCP_TXTLS_ENABLE, &en), 0);
	if (rxok)
		ck_assert_int_eq(fb13_set(sv[1], TCP_RXTLS_ENABLE, &en), 0);
	ck_assert_int_eq(sc_mode(sv[0], TCP_TXTLS_MODE), TCP_TLS_MODE_SW);
	ck_assert_int_eq(sc_mode(sv[1], TCP_RXTLS_MODE), rxok ?
	    TCP_TLS_MODE_SW : TCP_TLS_MODE_NONE);
	ck_assert_int_eq(sc_mode(sv[0], TCP_RXTLS_MODE), TCP_TLS_MODE_NONE);
	ck_assert_int_eq(sc_mode(sv[1], TCP_TXTLS_MODE), TCP_TLS_MODE_NONE);
	kfx_stats(&st1);
	ck_assert_int_eq(st1.active - st0.active, 1 + rxok);
	ck_assert_int_eq(st1.sw_tx - st0.sw_tx, 1);
	ck_assert_int_eq(st1.sw_rx - st0.sw_rx, rxok);
	ck_assert_int_eq(st1.ifnet_tx - st0.ifnet_tx, 0);
	ck_assert_int_eq(st1.toe_tx - st0.toe_tx, 0);
	ck_assert_int_eq(st1.toe_rx - st0.toe_rx, 0);
	ck_assert_int_eq(st1.tx_gcm + st1.tx_cbc + st1.tx_chacha -
	    (st0.tx_gcm + st0.tx_cbc + st0.tx_chacha), 1);
	ck_assert_int_eq(fb13_gauge(&st1, s->cipher, 0) -
	    fb13_gauge(&st0, s->cipher, 0), 1);
	ck_assert_int_eq(fb13_gauge(&st1, s->cipher, 1) -
	    fb13_gauge(&st0, s->cipher, 1), rxok);

	/* Software to ifnet: no NIC, refused, still software. */
	mode = TCP_TLS_MODE_IFNET;
	errno = 0;
	ck_assert_int_eq(uk_setsockopt(sv[0], IPPROTO_TCP, TCP_TXTLS_MODE,
	    &mode, sizeof(mode)), -1);
	ck_assert_int_eq(errno, EOPNOTSUPP);
	ck_assert_int_eq(sc_mode(sv[0], TCP_TXTLS_MODE), TCP_TLS_MODE_SW);
	mode = TCP_TLS_MODE_TOE;
	errno = 0;
	ck_assert_int_eq(uk_setsockopt(sv[0], IPPROTO_TCP, TCP_TXTLS_MODE,
	    &mode, sizeof(mode)), -1);
	ck_assert_int_eq(errno, EINVAL);
	mode = TCP_TLS_MODE_SW;
	ck_assert_int_eq(uk_setsockopt(sv[0], IPPROTO_TCP, TCP_TXTLS_MODE,
	    &mode, sizeof(mode)), 0);
	/* One session per direction. */
	errno = 0;
	ck_assert_int_eq(fb13_set(sv[0], TCP_TXTLS_ENABLE, &en), -1);
	ck_assert_int_eq(errno, EALREADY);
	ck_assert_int_eq(sc_mode(sv[0], TCP_TXTLS_MODE), TCP_TLS_MODE_SW);
	tfx_finish(sv, 2);
	/* Closed: the gauges come back down. */
	kfx_stats(&st2);
	ck_assert_int_eq(st2.active, st0.active);
	ck_assert_int_eq(st2.sw_tx, st0.sw_tx);
	ck_assert_int_eq(st2.sw_rx, st0.sw_rx);
}
END_TEST

/* Listening sockets: transmit ENOTCONN, receive EINVAL; no listen(). */
START_TEST(fb13_listening)
{
	const struct tlsm_suite *s = sc_suite("aes256_gcm_1_3");
	struct sockaddr_in sin;
	struct tlsm_state st;
	struct tls_enable en;
	int l, sv[2];

	fb13_enable_of(s, &st, &en);
	l = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(l, 0);
	sin = tfx_sin(0);
	ck_assert_int_eq(uk_bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(uk_listen(l, 4), 0);
	errno = 0;
	ck_assert_int_eq(fb13_set(l, TCP_TXTLS_ENABLE, &en), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	errno = 0;
	ck_assert_int_eq(fb13_set(l, TCP_RXTLS_ENABLE, &en), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(uk_close(l), 0);
	/* A socket with a session cannot listen. */
	tfx_pair(sv);
	ck_assert_int_eq(fb13_set(sv[0], TCP_TXTLS_ENABLE, &en), 0);
	errno = 0;
	ck_assert_int_eq(uk_listen(sv[0], 4), -1);
	ck_assert_int_eq(errno, EINVAL);
	tfx_finish(sv, 2);
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb13_not_engaged");
	SC_ADD(s, fb13_invalid_suites, 2 * FB13_NINVALID);
	SC_ADD(s, fb13_bad_params, 12);
	SC_ADD(s, fb13_disabled, TLSM_NSUITES);
	SC_ADD(s, fb13_tls10_receive, 2);
	SC_ADD(s, fb13_mode_report, TLSM_NSUITES);
	SC_ADD(s, fb13_listening, 1);
	return (uktest_run(s));
}
