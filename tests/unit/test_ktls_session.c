/*
 * KTLS sessions through setsockopt(TCP_TXTLS_ENABLE): FreeBSD's
 * validation (the 16 suites, the 11 invalid combinations, every other
 * EINVAL), EALREADY, ENOTSUP when disabled, the listening-socket rules,
 * TCP_TXTLS_MODE, the statistics, and sockets themselves.
 */
#include "ktls_fixture.h"

static int
enable(int s, const struct tls_enable *en)
{

	return (uk_setsockopt(s, IPPROTO_TCP, TCP_TXTLS_ENABLE, en,
	    sizeof(*en)));
}

static int
new_socket(void)
{
	int s;

	s = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	return (s);
}

static int
get_mode(int s, int name, int *mode)
{
	socklen_t len;

	len = sizeof(*mode);
	return (uk_getsockopt(s, IPPROTO_TCP, name, mode, &len));
}

/* Expect setsockopt to fail with err and leave the socket without TLS. */
static void
expect_enable_error(const struct tls_enable *en, int err, const char *what)
{
	int mode, s;

	s = new_socket();
	errno = 0;
	ck_assert_msg(enable(s, en) == -1 && errno == err,
	    "%s: errno %d (%s), wanted %d", what, errno, strerror(errno), err);
	ck_assert_int_eq(get_mode(s, TCP_TXTLS_MODE, &mode), 0);
	ck_assert_int_eq(mode, TCP_TLS_MODE_NONE);
	ck_assert_int_eq(uk_close(s), 0);
}

/* Each of the 16 suites is accepted, in software mode. */
START_TEST(test_session_valid_suites)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_ktls_stats t0, t1, t2;
	struct uk_counters k;
	struct kfx_conn c;

	kfx_stats(&t0);
	kfx_open(&c, s, 40, 0);		/* asserts TCP_TLS_MODE_SW */
	kfx_stats(&t1);
	ck_assert_int_eq(t1.active - t0.active, 1);
	ck_assert_int_eq(t1.sw_tx - t0.sw_tx, 1);
	ck_assert_int_eq(t1.enable_calls - t0.enable_calls, 1);
	ck_assert_int_eq(t1.offload_total - t0.offload_total, 1);
	switch (s->cipher) {
	case TLSM_GCM:
		ck_assert_int_eq(t1.tx_gcm - t0.tx_gcm, 1);
		break;
	case TLSM_CBC:
		ck_assert_int_eq(t1.tx_cbc - t0.tx_cbc, 1);
		break;
	case TLSM_CHACHA:
		ck_assert_int_eq(t1.tx_chacha - t0.tx_chacha, 1);
		break;
	}
	uk_counters(&k);
	ck_assert_int_eq(k.sessions, 1);
	kfx_close(&c);
	uk_run();
	kfx_stats(&t2);
	ck_assert_int_eq(t2.active, t0.active);
	ck_assert_int_eq(t2.sw_tx, t0.sw_tx);
	ck_assert_int_eq(t2.tx_gcm + t2.tx_cbc + t2.tx_chacha,
	    t0.tx_gcm + t0.tx_cbc + t0.tx_chacha);
	uk_counters(&k);
	ck_assert_int_eq(k.sessions, 0);
}
END_TEST

static const uint8_t key32[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t iv16[16] = "fedcba9876543210";
static const uint8_t mac48[48] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV";

static void
base_enable(struct tls_enable *en, int cipher, int keylen, int auth,
    int authlen, int ivlen, int vminor)
{

	memset(en, 0, sizeof(*en));
	en->cipher_algorithm = cipher;
	en->cipher_key = key32;
	en->cipher_key_len = keylen;
	en->auth_algorithm = auth;
	en->auth_key = authlen != 0 ? mac48 : NULL;
	en->auth_key_len = authlen;
	en->iv = ivlen != 0 ? iv16 : NULL;
	en->iv_len = ivlen;
	en->tls_vmajor = TLS_MAJOR_VER_ONE;
	en->tls_vminor = (uint8_t)vminor;
}

/* The 11 combinations FreeBSD's ktls_test.c checks as invalid. */
START_TEST(test_session_invalid_suites)
{
	static const struct {
		const char *name;
		int cipher, keylen, auth, authlen, ivlen, vminor;
	} bad[] = {
		{ "aes128-cbc-1.0-sha256", CRYPTO_AES_CBC, 16,
		    CRYPTO_SHA2_256_HMAC, 32, 16, TLS_MINOR_VER_ZERO },
		{ "aes128-cbc-1.0-sha384", CRYPTO_AES_CBC, 16,
		    CRYPTO_SHA2_384_HMAC, 48, 16, TLS_MINOR_VER_ZERO },
		{ "aes128-gcm-1.0", CRYPTO_AES_NIST_GCM_16, 16, 0, 0, 4,
		    TLS_MINOR_VER_ZERO },
		{ "aes128-gcm-1.1", CRYPTO_AES_NIST_GCM_16, 16, 0, 0, 4,
		    TLS_MINOR_VER_ONE },
		{ "chacha20-1.0", CRYPTO_CHACHA20_POLY1305, 32, 0, 0, 12,
		    TLS_MINOR_VER_ZERO },
		{ "chacha20-1.1", CRYPTO_CHACHA20_POLY1305, 32, 0, 0, 12,
		    TLS_MINOR_VER_ONE },
		{ "aes128-cbc-1.1-sha256", CRYPTO_AES_CBC, 16,
		    CRYPTO_SHA2_256_HMAC, 32, 0, TLS_MINOR_VER_ONE },
		{ "aes128-cbc-1.1-sha384", CRYPTO_AES_CBC, 16,
		    CRYPTO_SHA2_384_HMAC, 48, 0, TLS_MINOR_VER_ONE },
		{ "aes128-cbc-1.3-sha1", CRYPTO_AES_CBC, 16,
		    CRYPTO_SHA1_HMAC, 20, 0, TLS_MINOR_VER_THREE },
		{ "aes128-cbc-1.3-sha256", CRYPTO_AES_CBC, 16,
		    CRYPTO_SHA2_256_HMAC, 32, 0, TLS_MINOR_VER_THREE },
		{ "aes128-cbc-1.3-sha384", CRYPTO_AES_CBC, 16,
		    CRYPTO_SHA2_384_HMAC, 48, 0, TLS_MINOR_VER_THREE },
	};
	struct tls_enable en;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		base_enable(&en, bad[i].cipher, bad[i].keylen, bad[i].auth,
		    bad[i].authlen, bad[i].ivlen, bad[i].vminor);
		expect_enable_error(&en, EINVAL, bad[i].name);
	}
}
END_TEST

/* Everything else struct tls_enable can get wrong. */
START_TEST(test_session_bad_parameters)
{
	struct tls_enable en, good;
	int s;

	base_enable(&good, CRYPTO_AES_NIST_GCM_16, 16, 0, 0, 4,
	    TLS_MINOR_VER_TWO);
	/* The baseline is fine. */
	s = new_socket();
	ck_assert_int_eq(enable(s, &good), 0);
	ck_assert_int_eq(uk_close(s), 0);

	en = good;
	en.flags = 1;
	expect_enable_error(&en, EINVAL, "flags");
	en = good;
	en.tls_vmajor = 2;
	expect_enable_error(&en, EINVAL, "vmajor 2");
	en = good;
	en.tls_vminor = 0;
	expect_enable_error(&en, EINVAL, "vminor 0");
	en = good;
	en.tls_vminor = 5;
	expect_enable_error(&en, EINVAL, "vminor 5");
	en = good;
	en.cipher_key_len = 24;
	expect_enable_error(&en, EINVAL, "AES-192");
	en = good;
	en.cipher_key_len = 0;
	expect_enable_error(&en, EINVAL, "no key");
	en = good;
	en.cipher_key_len = TLS_MAX_PARAM_SIZE + 1;
	expect_enable_error(&en, EINVAL, "key too long");
	en = good;
	en.cipher_key_len = -1;
	expect_enable_error(&en, EINVAL, "negative key length");
	en = good;
	en.iv_len = 17;
	expect_enable_error(&en, EINVAL, "iv 17");
	en = good;
	en.iv_len = 12;
	expect_enable_error(&en, EINVAL, "GCM 1.2 iv 12");
	en = good;
	en.auth_algorithm = CRYPTO_SHA1_HMAC;
	en.auth_key = mac48;
	en.auth_key_len = 20;
	expect_enable_error(&en, EINVAL, "GCM with a MAC");
	en = good;
	en.auth_key_len = TLS_MAX_PARAM_SIZE + 1;
	expect_enable_error(&en, EINVAL, "auth key too long");
	en = good;
	en.cipher_algorithm = CRYPTO_AES_ICM;
	expect_enable_error(&en, EINVAL, "AES-CTR");
	en = good;
	en.cipher_algorithm = 12345;
	expect_enable_error(&en, EINVAL, "unknown cipher");

	base_enable(&en, CRYPTO_AES_CBC, 16, CRYPTO_SHA1_HMAC, 0, 0,
	    TLS_MINOR_VER_TWO);
	expect_enable_error(&en, EINVAL, "CBC without a MAC key");
	base_enable(&en, CRYPTO_AES_CBC, 16, 0, 0, 0, TLS_MINOR_VER_TWO);
	expect_enable_error(&en, EINVAL, "CBC without a MAC");
	base_enable(&en, CRYPTO_AES_CBC, 16, CRYPTO_SHA1_HMAC, 20, 0,
	    TLS_MINOR_VER_ZERO);
	expect_enable_error(&en, EINVAL, "TLS 1.0 CBC without its IV");
	base_enable(&en, CRYPTO_CHACHA20_POLY1305, 16, 0, 0, 12,
	    TLS_MINOR_VER_TWO);
	expect_enable_error(&en, EINVAL, "ChaCha20 with a 16-byte key");
	base_enable(&en, CRYPTO_CHACHA20_POLY1305, 32, 0, 0, 8,
	    TLS_MINOR_VER_THREE);
	expect_enable_error(&en, EINVAL, "ChaCha20 iv 8");
	base_enable(&en, CRYPTO_AES_NIST_GCM_16, 16, 0, 0, 4,
	    TLS_MINOR_VER_THREE);
	expect_enable_error(&en, EINVAL, "GCM 1.3 iv 4");

	/* A key pointer that points nowhere faults. */
	en = good;
	en.cipher_key = NULL;
	expect_enable_error(&en, EFAULT, "NULL key");

	/* A short option value. */
	s = new_socket();
	errno = 0;
	ck_assert_int_eq(uk_setsockopt(s, IPPROTO_TCP, TCP_TXTLS_ENABLE,
	    &good, sizeof(good) - 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(uk_close(s), 0);
}
END_TEST

/* One session per socket for life: a second enable is EALREADY. */
START_TEST(test_session_already)
{
	struct tls_enable en;
	struct kfx_result r;
	struct kfx_conn c;

	kfx_open(&c, &tlsm_suites[0], 41, 3);
	kfx_enable_of(&c.st, 3, &en);
	errno = 0;
	ck_assert_int_eq(enable(c.s, &en), -1);
	ck_assert_int_eq(errno, EALREADY);
	/* Even with parameters that are wrong anyway. */
	en.flags = 1;
	errno = 0;
	ck_assert_int_eq(enable(c.s, &en), -1);
	ck_assert_int_eq(errno, EALREADY);
	/* The first session still works. */
	ck_assert_int_eq(uk_write(c.s, "hello", 5), 5);
	kfx_drain(&c);
	kfx_expect(&c, "hello", 5, &r);
	kfx_result_free(&r);
	kfx_close(&c);
}
END_TEST

/* kern.ipc.tls.enable = 0: ENOTSUP; cbc_enable = 0: ENOTSUP for CBC. */
START_TEST(test_session_disabled)
{
	struct uk_ktls_stats t0, t1;
	struct tlsm_state st;
	struct tls_enable en;
	int off = 0, on = 1, old, s;

	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.enable", &old, &off), 0);
	ck_assert_int_eq(old, 1);
	kfx_state(&tlsm_suites[0], 42, &st);
	kfx_enable_of(&st, 0, &en);
	kfx_stats(&t0);
	expect_enable_error(&en, ENOTSUP, "KTLS disabled");
	kfx_stats(&t1);
	/* Refused before it counts as an enable call, as in FreeBSD. */
	ck_assert_int_eq(t1.enable_calls, t0.enable_calls);
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.enable", NULL, &on), 0);

	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.cbc_enable", NULL, &off),
	    0);
	kfx_state(&tlsm_suites[10], 42, &st);		/* a CBC suite */
	kfx_enable_of(&st, 0, &en);
	expect_enable_error(&en, ENOTSUP, "CBC disabled");
	kfx_state(&tlsm_suites[4], 42, &st);		/* ChaCha is fine */
	kfx_enable_of(&st, 0, &en);
	s = new_socket();
	ck_assert_int_eq(enable(s, &en), 0);
	ck_assert_int_eq(uk_close(s), 0);
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.cbc_enable", &old, &on),
	    0);
	ck_assert_int_eq(old, 0);

	errno = 0;
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.nope", &old, NULL), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/*
 * A listening socket: TX enable is ENOTCONN, the mode options EINVAL;
 * and a socket with a session cannot listen.
 */
START_TEST(test_session_listening)
{
	struct tlsm_state st;
	struct tls_enable en;
	struct kfx_conn c;
	int mode, s;

	kfx_state(&tlsm_suites[0], 43, &st);
	kfx_enable_of(&st, 0, &en);
	s = uk_test_socket_listening();
	ck_assert_int_ge(s, 0);
	errno = 0;
	ck_assert_int_eq(enable(s, &en), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	errno = 0;
	ck_assert_int_eq(get_mode(s, TCP_TXTLS_MODE, &mode), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(get_mode(s, TCP_RXTLS_MODE, &mode), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(uk_write(s, "x", 1), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(uk_close(s), 0);

	kfx_open(&c, &tlsm_suites[0], 43, 0);
	errno = 0;
	ck_assert_int_eq(uk_listen(c.s, 5), -1);
	ck_assert_int_eq(errno, EINVAL);
	kfx_close(&c);
}
END_TEST

/* TCP_TXTLS_MODE and TCP_RXTLS_MODE. */
START_TEST(test_session_modes)
{
	struct tlsm_state st;
	struct tls_enable en;
	socklen_t len;
	int mode, s;

	s = new_socket();
	ck_assert_int_eq(get_mode(s, TCP_TXTLS_MODE, &mode), 0);
	ck_assert_int_eq(mode, TCP_TLS_MODE_NONE);
	ck_assert_int_eq(get_mode(s, TCP_RXTLS_MODE, &mode), 0);
	ck_assert_int_eq(mode, TCP_TLS_MODE_NONE);
	/* No session: asking for a mode changes nothing. */
	mode = TCP_TLS_MODE_SW;
	ck_assert_int_eq(uk_setsockopt(s, IPPROTO_TCP, TCP_TXTLS_MODE, &mode,
	    sizeof(mode)), 0);

	kfx_state(&tlsm_suites[2], 44, &st);
	kfx_enable_of(&st, 0, &en);
	ck_assert_int_eq(enable(s, &en), 0);
	ck_assert_int_eq(get_mode(s, TCP_TXTLS_MODE, &mode), 0);
	ck_assert_int_eq(mode, TCP_TLS_MODE_SW);
	ck_assert_int_eq(get_mode(s, TCP_RXTLS_MODE, &mode), 0);
	ck_assert_int_eq(mode, TCP_TLS_MODE_NONE);
	mode = TCP_TLS_MODE_SW;
	ck_assert_int_eq(uk_setsockopt(s, IPPROTO_TCP, TCP_TXTLS_MODE, &mode,
	    sizeof(mode)), 0);
	/* No TLS NIC: ifnet cannot be had. */
	mode = TCP_TLS_MODE_IFNET;
	errno = 0;
	ck_assert_int_eq(uk_setsockopt(s, IPPROTO_TCP, TCP_TXTLS_MODE, &mode,
	    sizeof(mode)), -1);
	ck_assert_int_eq(errno, EOPNOTSUPP);
	mode = TCP_TLS_MODE_TOE;
	errno = 0;
	ck_assert_int_eq(uk_setsockopt(s, IPPROTO_TCP, TCP_TXTLS_MODE, &mode,
	    sizeof(mode)), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(get_mode(s, TCP_TXTLS_MODE, &mode), 0);
	ck_assert_int_eq(mode, TCP_TLS_MODE_SW);

	/* Receive has a session of its own (tests/unit/test_ktls_rx*.c). */
	ck_assert_int_eq(uk_setsockopt(s, IPPROTO_TCP, TCP_RXTLS_ENABLE, &en,
	    sizeof(en)), 0);
	ck_assert_int_eq(get_mode(s, TCP_RXTLS_MODE, &mode), 0);
	ck_assert_int_eq(mode, TCP_TLS_MODE_SW);
	/* Options that do not exist, or cannot be read or set. */
	len = sizeof(mode);
	errno = 0;
	ck_assert_int_eq(uk_getsockopt(s, IPPROTO_TCP, TCP_TXTLS_ENABLE, &mode,
	    &len), -1);
	ck_assert_int_eq(errno, ENOPROTOOPT);
	errno = 0;
	ck_assert_int_eq(uk_setsockopt(s, IPPROTO_TCP, TCP_RXTLS_MODE, &mode,
	    sizeof(mode)), -1);
	ck_assert_int_eq(errno, ENOPROTOOPT);
	errno = 0;
	ck_assert_int_eq(uk_setsockopt(s, IPPROTO_TCP, 9999, &mode,
	    sizeof(mode)), -1);
	ck_assert_int_eq(errno, ENOPROTOOPT);
	ck_assert_int_eq(uk_close(s), 0);
}
END_TEST

/* Socket creation, descriptors, socket-level options. */
START_TEST(test_session_sockets)
{
	socklen_t len;
	int a, b, b2, v;

	errno = 0;
	ck_assert_int_eq(uk_socket(AF_UNIX, SOCK_STREAM, 0), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	errno = 0;
	ck_assert_int_eq(uk_socket(AF_INET, SOCK_DGRAM, 0), -1);
	ck_assert_int_eq(errno, EPROTOTYPE);
	errno = 0;
	ck_assert_int_eq(uk_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), -1);
	ck_assert_int_eq(errno, EPROTONOSUPPORT);

	a = new_socket();
	b = new_socket();
	ck_assert_int_ne(a, b);
	ck_assert_int_eq(uk_close(a), 0);
	errno = 0;
	ck_assert_int_eq(uk_close(a), -1);
	ck_assert_int_eq(errno, EBADF);
	/* The lowest free descriptor comes back. */
	ck_assert_int_eq(new_socket(), a);
	errno = 0;
	ck_assert_int_eq(uk_write(-1, "x", 1), -1);
	ck_assert_int_eq(errno, EBADF);

	b2 = uk_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(b2, 0);
	ck_assert((uk_fcntl(b2, F_GETFL) & O_NONBLOCK) != 0);
	ck_assert_int_eq(uk_fcntl(a, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(uk_close(b2), 0);

	len = sizeof(v);
	ck_assert_int_eq(uk_getsockopt(a, SOL_SOCKET, SO_SNDBUF, &v, &len), 0);
	ck_assert_int_eq(v, 32768);
	ck_assert_int_eq(uk_getsockopt(a, SOL_SOCKET, SO_TYPE, &v, &len), 0);
	ck_assert_int_eq(v, SOCK_STREAM);
	ck_assert_int_eq(uk_getsockopt(a, SOL_SOCKET, SO_ERROR, &v, &len), 0);
	ck_assert_int_eq(v, 0);
	v = 100000;
	ck_assert_int_eq(uk_setsockopt(a, SOL_SOCKET, SO_SNDBUF, &v,
	    sizeof(v)), 0);
	ck_assert_int_eq(uk_getsockopt(a, SOL_SOCKET, SO_SNDBUF, &v, &len), 0);
	ck_assert_int_eq(v, 100000);
	v = 0;
	errno = 0;
	ck_assert_int_eq(uk_setsockopt(a, SOL_SOCKET, SO_SNDBUF, &v,
	    sizeof(v)), -1);
	ck_assert_int_eq(errno, EINVAL);
	v = 64 * 1024 * 1024;
	errno = 0;
	ck_assert_int_eq(uk_setsockopt(a, SOL_SOCKET, SO_SNDBUF, &v,
	    sizeof(v)), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	errno = 0;
	ck_assert_int_eq(uk_setsockopt(a, SOL_SOCKET, SO_KEEPALIVE, &v,
	    sizeof(v)), -1);
	ck_assert_int_eq(errno, ENOPROTOOPT);
	ck_assert_int_eq(uk_close(a), 0);
	ck_assert_int_eq(uk_close(b), 0);
}
END_TEST

/* The statistics follow records and their encryption. */
START_TEST(test_session_stats)
{
	struct uk_ktls_stats t0, t1;
	struct kfx_conn c;
	uint8_t buf[40000];
	off_t sbytes;
	int fd;

	ck_assert_int_eq(uk_ktls_stats(NULL), -1);
	uktest_fill(buf, sizeof(buf), 45, 0);
	fd = uk_file_create(buf, sizeof(buf));
	ck_assert_int_ge(fd, 0);
	kfx_open(&c, &tlsm_suites[6], 45, 0);	/* TLS 1.0 */
	kfx_set_sndbuf(c.s, 65536);
	kfx_stats(&t0);
	ck_assert_int_eq(uk_write(c.s, buf, 20000), 20000);	/* 2 */
	kfx_stats(&t1);
	ck_assert_int_eq(t1.sw_tx_inqueue - t0.sw_tx_inqueue, 1);
	ck_assert_int_eq(uk_sendfile(fd, c.s, 0, 30000, NULL, &sbytes, 0), 0);
	kfx_drain(&c);
	kfx_stats(&t1);
	ck_assert_int_eq(t1.sw_tx_inqueue, t0.sw_tx_inqueue);
	ck_assert_int_eq(t1.encrypt_records - t0.encrypt_records, 4);
	ck_assert_int_eq(t1.inplace - t0.inplace, 2);
	ck_assert_int_eq(t1.separate_output - t0.separate_output, 2);
	ck_assert_int_eq(t1.failed_crypto, t0.failed_crypto);
	ck_assert_int_eq(t1.decrypt_records, t0.decrypt_records);
	kfx_close(&c);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
}
END_TEST

static Suite *
ktls_session_suite(void)
{
	Suite *su;
	TCase *tc;

	su = suite_create("ktls_session");
	tc = kfx_tcase("session");
	tcase_add_loop_test(tc, test_session_valid_suites, 0, TLSM_NSUITES);
	tcase_add_test(tc, test_session_invalid_suites);
	tcase_add_test(tc, test_session_bad_parameters);
	tcase_add_test(tc, test_session_already);
	tcase_add_test(tc, test_session_disabled);
	tcase_add_test(tc, test_session_listening);
	tcase_add_test(tc, test_session_modes);
	tcase_add_test(tc, test_session_sockets);
	tcase_add_test(tc, test_session_stats);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{

	return (uktest_run(ktls_session_suite()));
}
