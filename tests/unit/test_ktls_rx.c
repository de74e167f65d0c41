/*
 * KTLS receive: records sealed by the model for each of the fourteen
 * suites FreeBSD receives, of 0, 1, 64, 16384 bytes, 64 KiB and 1 MiB,
 * fed to the receive buffer whole, a byte at a time, in MSS-sized pieces
 * and in random pieces under a fixed seed, and cut at every offset of a
 * record; every record must come out of recvmsg() as the model opens it.
 * Then the same for records libssl wrote (tests/lib/sslpair).
 */
#include "ktls_rx_fixture.h"
#include "sslpair.h"

static const size_t rx_sizes[] = { 0, 1, 64, 16384, 65536, 1048576 };

/* A stream of application data of every size, then an alert. */
static void
seal_sizes(struct rfx_conn *c, size_t maxsize)
{
	static const uint8_t alert[2] = { 1, 0 };	/* close_notify */
	uint8_t *buf;
	size_t i;

	buf = malloc(1048576);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < sizeof(rx_sizes) / sizeof(rx_sizes[0]); i++) {
		if (rx_sizes[i] > maxsize)
			continue;
		uktest_fill(buf, rx_sizes[i], 700 + (uint32_t)i, 0);
		rfx_app(c, buf, rx_sizes[i]);
	}
	rfx_seal(c, TLS_RLTYPE_ALERT, alert, sizeof(alert), NULL);
	free(buf);
}

static void
run_sizes(int suite, enum rfx_cut cut, size_t size, size_t maxsize)
{
	const struct tlsm_suite *s = &tlsm_suites[suite];
	struct uk_counters k0, k1;
	struct rfx_conn c;
	struct rfx_seg g;

	if (!rfx_suite_ok(s))
		return;
	rfx_open(&c, s, 70 + (uint32_t)suite, 1000 * (uint64_t)suite);
	seal_sizes(&c, maxsize);
	g = rfx_seg(cut, size, 71 + (uint64_t)suite);
	uk_counters(&k0);
	rfx_finish(&c, &g, 1);
	uk_counters(&k1);
	rfx_expect(&c, 1);
	rfx_assert_empty(&c);
	/* Every record decrypted once, in place. */
	ck_assert_int_ge(k1.crypto_bytes - k0.crypto_bytes,
	    (int64_t)c.got.plain.len);
	rfx_close(&c);
}

START_TEST(test_rx_whole)
{

	run_sizes(_i, RFX_WHOLE, 0, SIZE_MAX);
}
END_TEST

START_TEST(test_rx_mss)
{

	run_sizes(_i, RFX_PIECES, RFX_MSS, SIZE_MAX);
}
END_TEST

START_TEST(test_rx_random)
{

	run_sizes(_i, RFX_RANDOM, 3000, SIZE_MAX);
}
END_TEST

START_TEST(test_rx_bytes)
{

	run_sizes(_i, RFX_BYTES, 1, SIZE_MAX);
}
END_TEST

/*
 * Every split offset: each record fed as two pieces cut at k, for every k
 * from 1 to its length - 1 (inside the 5-byte header, inside the explicit
 * nonce or IV, in the ciphertext, in the tag).  After the first piece
 * nothing may be readable and no worker may hold the socket; after the
 * second, exactly that record.  16 KiB records are cut at the first and
 * last 64 offsets and every 997th.
 */
START_TEST(test_rx_every_split)
{
	static const size_t lens[] = { 0, 1, 64, 16384 };
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_test_rcvinfo ri;
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t *buf;
	size_t i, k, reclen, start, nrec;

	if (!rfx_suite_ok(s))
		return;
	buf = malloc(16384);
	ck_assert_ptr_nonnull(buf);
	rfx_open(&c, s, 80 + (uint32_t)_i, 5);
	g = rfx_seg(RFX_WHOLE, 0, 0);
	nrec = 0;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uktest_fill(buf, lens[i], 81 + (uint32_t)i, 0);
		start = c.wire.len;
		reclen = rfx_seal(&c, TLS_RLTYPE_APP, buf, lens[i], NULL);
		/* A sealed copy per offset: seal once more for each k. */
		for (k = 1; k < reclen; k++) {
			if (lens[i] == 16384 && k > 64 && k < reclen - 64 &&
			    k % 997 != 0)
				continue;
			if (k > 1) {
				start = c.wire.len;
				ck_assert_uint_eq(rfx_seal(&c, TLS_RLTYPE_APP,
				    buf, lens[i], NULL), reclen);
			}
			rfx_feed(&c, &g, start + k);
			rfx_read(&c);
			ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
			if (c.got.nrec != nrec || ri.nrecords != 0 ||
			    ri.running || ri.tlscc != k)
				ck_abort_msg("%s: %zu-byte record cut at %zu: "
				    "%zu records read, %d queued, running %d, "
				    "tlscc %u", s->name, reclen, k, c.got.nrec,
				    ri.nrecords, ri.running, ri.tlscc);
			rfx_feed(&c, &g, start + reclen);
			rfx_read(&c);
			if (c.got.nrec != nrec + 1 ||
			    c.got.recs[nrec].len != lens[i] ||
			    (lens[i] != 0 && memcmp(c.got.plain.p +
			    c.got.recs[nrec].off, buf, lens[i]) != 0))
				ck_abort_msg("%s: %zu-byte record cut at %zu "
				    "did not come out whole", s->name, reclen,
				    k);
			nrec++;
		}
	}
	rfx_finish(&c, &g, 1);
	rfx_expect(&c, 1);
	rfx_assert_empty(&c);
	rfx_close(&c);
	free(buf);
}
END_TEST

/*
 * Records libssl wrote (application data of 1, 64, 16384 bytes, 64 KiB
 * and 1 MiB, then close_notify), received through uktls with the
 * client's keys: the plaintext libssl was given, in order, and the alert.
 */
static const size_t ssl_sizes[] = { 1, 64, 16384, 65536, 1048576 };

static void
run_openssl(int suite, enum rfx_cut cut, size_t size)
{
	const struct tlsm_suite *s = &tlsm_suites[suite];
	struct sslpair_dir c2s, s2c;
	struct kfx_buf sent;
	struct rfx_conn c;
	struct rfx_seg g;
	struct sslpair p;
	uint8_t *buf, *ossl;
	size_t i, olen;
	const struct rfx_rec *last;

	if (!rfx_suite_ok(s) || sslpair_cipher_name(s) == NULL)
		return;
	ck_assert_int_eq(sslpair_init(&p, s), 0);
	ck_assert_int_eq(sslpair_handshake(&p), 0);
	ck_assert_int_eq(sslpair_keys(&p, &c2s, &s2c), 0);
	buf = malloc(1048576);
	ck_assert_ptr_nonnull(buf);
	memset(&sent, 0, sizeof(sent));
	for (i = 0; i < sizeof(ssl_sizes) / sizeof(ssl_sizes[0]); i++) {
		uktest_fill(buf, ssl_sizes[i], 90 + (uint32_t)i, 0);
		ck_assert_int_eq(sslpair_write(&p, SSLPAIR_CLIENT, buf,
		    ssl_sizes[i]), 0);
		kfx_buf_add(&sent, buf, ssl_sizes[i]);
	}
	ck_assert_int_ge(SSL_shutdown(p.ssl[SSLPAIR_CLIENT]), 0);
	ossl = sslpair_take(&p, SSLPAIR_CLIENT, &olen);
	ck_assert_ptr_nonnull(ossl);

	rfx_open_state(&c, s, &c2s.st, c2s.seq);
	kfx_buf_add(&c.wire, ossl, olen);
	g = rfx_seg(cut, size, 91 + (uint64_t)suite);
	rfx_finish(&c, &g, 1);
	rfx_expect(&c, 1);
	rfx_assert_empty(&c);
	/* libssl's plaintext, then its close_notify. */
	ck_assert_uint_ge(c.got.nrec, 2);
	last = &c.got.recs[c.got.nrec - 1];
	ck_assert_uint_eq(last->type, TLS_RLTYPE_ALERT);
	ck_assert_uint_eq(last->len, 2);
	ck_assert_uint_eq(c.got.plain.p[last->off + 1], 0);	/* close */
	ck_assert_uint_eq(last->off, sent.len);
	ck_assert_mem_eq(c.got.plain.p, sent.p, sent.len);
	for (i = 0; i + 1 < c.got.nrec; i++) {
		ck_assert_uint_eq(c.got.recs[i].type, TLS_RLTYPE_APP);
		ck_assert_uint_eq(c.got.recs[i].vmajor, 3);
		ck_assert_uint_eq(c.got.recs[i].vminor,
		    s->version == TLSM_V13 ? 3 : (s->version & 0xff));
	}
	rfx_close(&c);
	free(ossl);
	free(buf);
	kfx_buf_free(&sent);
	sslpair_free(&p);
}

START_TEST(test_rx_openssl_mss)
{

	run_openssl(_i, RFX_PIECES, RFX_MSS);
}
END_TEST

START_TEST(test_rx_openssl_random)
{

	run_openssl(_i, RFX_RANDOM, 5000);
}
END_TEST

START_TEST(test_rx_openssl_bytes)
{

	run_openssl(_i, RFX_BYTES, 1);
}
END_TEST

static Suite *
ktls_rx_suite(void)
{
	Suite *su;
	TCase *tc;

	su = suite_create("ktls_rx");
	tc = kfx_tcase("sizes");
	tcase_add_loop_test(tc, test_rx_whole, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_rx_mss, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_rx_random, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_rx_bytes, 0, TLSM_NSUITES);
	suite_add_tcase(su, tc);
	tc = kfx_tcase("splits");
	tcase_add_loop_test(tc, test_rx_every_split, 0, TLSM_NSUITES);
	suite_add_tcase(su, tc);
	tc = kfx_tcase("openssl");
	tcase_add_loop_test(tc, test_rx_openssl_mss, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_rx_openssl_random, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_rx_openssl_bytes, 0, TLSM_NSUITES);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{
	int rv;

	if (sslpair_global_init() != 0)
		return (EXIT_FAILURE);
	rv = uktest_run(ktls_rx_suite());
	sslpair_global_free();
	return (rv);
}
