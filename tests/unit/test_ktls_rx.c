/*
 * KTLS receive: records sealed by the model for each of the fourteen
 * suites FreeBSD receives, of 0, 1, 64, 16384 bytes, 64 KiB and 1 MiB,
 * fed to the receive buffer whole, a byte at a time, in MSS-sized pieces
 * and in random pieces under a fixed seed, and cut at every offset of a
 * record; every record must come out of recvmsg() as the model opens it.
 */
#include "ktls_rx_fixture.h"

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
	return (su);
}

int
main(void)
{

	return (uktest_run(ktls_rx_suite()));
}
