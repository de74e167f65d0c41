/*
 * When things go wrong: an encryption that fails drops the connection
 * with EIO and frees every record, whichever batch it was in and whether
 * later batches were queued, parked (TLS 1.0) or still waiting for their
 * sendfile I/O; and a socket closed with records in flight stays alive
 * until they are done.  The fixture checks that nothing leaks.
 */
#include "ktls_fixture.h"

static int
so_error(int s)
{
	socklen_t len;
	int v;

	len = sizeof(v);
	ck_assert_int_eq(uk_getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len), 0);
	return (v);
}

static void
set_tunable(const char *name, int v)
{

	ck_assert_int_eq(uk_sysctl_int(name, NULL, &v), 0);
}

/* After a failure: dropped, empty, EPIPE on write, EIO pending once. */
static void
expect_dropped(int s)
{
	struct uk_test_sbinfo info;
	uint8_t buf[16];

	ck_assert_int_eq(uk_test_sndbuf_info(s, &info), 0);
	ck_assert_int_eq(info.connected, 0);
	ck_assert_uint_eq(info.ccc, 0);
	ck_assert_uint_eq(info.mbcnt, 0);
	ck_assert_int_eq(info.so_error, EIO);
	ck_assert_int_eq(uk_test_sndbuf_take(s, buf, sizeof(buf)), 0);
	errno = 0;
	ck_assert_int_eq(uk_write(s, "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(so_error(s), EIO);
	ck_assert_int_eq(so_error(s), 0);
}

/* The second record of a three-record batch fails. */
START_TEST(test_fail_in_batch)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_ktls_stats t0, t1;
	struct kfx_conn c;
	uint8_t buf[40000];

	uktest_fill(buf, sizeof(buf), 50, 0);
	kfx_open(&c, s, 50, 0);
	kfx_set_sndbuf(c.s, 65536);
	kfx_stats(&t0);
	uk_test_ktls_fail_encrypt(2);
	ck_assert_int_eq(uk_write(c.s, buf, sizeof(buf)), sizeof(buf));
	uk_run();
	kfx_stats(&t1);
	ck_assert_int_eq(t1.failed_crypto - t0.failed_crypto, 1);
	ck_assert_int_eq(t1.encrypt_records - t0.encrypt_records, 1);
	expect_dropped(c.s);
	kfx_close(&c);
}
END_TEST

/*
 * The first of three batches fails; the two queued behind it are
 * encrypted, find the connection gone and are freed.
 */
START_TEST(test_fail_first_of_batches)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_ktls_stats t0, t1;
	struct kfx_conn c;
	uint8_t buf[3000];

	uktest_fill(buf, sizeof(buf), 51, 0);
	kfx_open(&c, s, 51, 9);
	kfx_stats(&t0);
	uk_test_ktls_fail_encrypt(1);
	ck_assert_int_eq(uk_write(c.s, buf, 1000), 1000);
	ck_assert_int_eq(uk_write(c.s, buf, 2000), 2000);
	ck_assert_int_eq(uk_write(c.s, buf, 3000), 3000);
	uk_run();
	kfx_stats(&t1);
	ck_assert_int_eq(t1.failed_crypto - t0.failed_crypto, 1);
	ck_assert_int_eq(t1.encrypt_records - t0.encrypt_records, 2);
	expect_dropped(c.s);
	kfx_close(&c);
}
END_TEST

/*
 * sendfile: the failing record was being encrypted into new pages (which
 * must be given back); the file's pages are untouched and can be sent
 * again on another connection.
 */
START_TEST(test_fail_sendfile)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct kfx_result r;
	struct kfx_conn c;
	uint8_t *buf;
	off_t sbytes;
	int fd;

	buf = malloc(100000);
	ck_assert_ptr_nonnull(buf);
	uktest_fill(buf, 100000, 52, 0);
	fd = uk_file_create(buf, 100000);
	ck_assert_int_ge(fd, 0);
	set_tunable("kern.ipc.sendfile.io_mbufs", 2);
	kfx_open(&c, s, 52, 0);
	kfx_set_sndbuf(c.s, 256 * 1024);
	uk_test_ktls_fail_encrypt(3);
	ck_assert_int_eq(uk_sendfile(fd, c.s, 11, 90000, NULL, &sbytes, 0), 0);
	ck_assert_int_eq(sbytes, 90000);
	uk_run();
	expect_dropped(c.s);
	kfx_close(&c);

	kfx_open(&c, s, 52, 0);
	kfx_set_sndbuf(c.s, 256 * 1024);
	ck_assert_int_eq(uk_sendfile(fd, c.s, 11, 90000, NULL, &sbytes, 0), 0);
	kfx_drain(&c);
	kfx_expect(&c, buf + 11, 90000, &r);
	kfx_result_free(&r);
	kfx_close(&c);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
	free(buf);
}
END_TEST

/*
 * TLS 1.0 with sendfile I/O completing last first: later batches are
 * parked in pending_records when the first one fails.
 */
START_TEST(test_fail_tls10_pending)
{
	struct uk_ktls_stats t, t0;
	struct kfx_conn c;
	uint8_t *buf;
	off_t sbytes;
	int fd, i;

	buf = malloc(100000);
	ck_assert_ptr_nonnull(buf);
	uktest_fill(buf, 100000, 53, 0);
	fd = uk_file_create(buf, 100000);
	ck_assert_int_ge(fd, 0);
	set_tunable("kern.ipc.sendfile.io_mbufs", 1);
	set_tunable("kern.ipc.sendfile.reverse_io", 1);
	kfx_open(&c, &tlsm_suites[7], 53, 100);	/* aes256 CBC TLS 1.0 */
	kfx_set_sndbuf(c.s, 256 * 1024);
	kfx_stats(&t0);
	uk_test_ktls_fail_encrypt(1);
	ck_assert_int_eq(uk_sendfile(fd, c.s, 0, 100000, NULL, &sbytes, 0), 0);
	/* All I/O completes, the first batch last; all but it wait. */
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(uk_run_one(), 1);
	kfx_stats(&t);
	ck_assert_int_eq(t.sw_tx_pending, 6);
	uk_run();
	kfx_stats(&t);
	ck_assert_int_eq(t.sw_tx_pending, 0);
	ck_assert_int_eq(t.failed_crypto - t0.failed_crypto, 1);
	expect_dropped(c.s);
	kfx_close(&c);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
	free(buf);
}
END_TEST

/*
 * Closing with records still to be encrypted (written, parked, or
 * waiting for sendfile I/O): the workers' references keep the socket
 * until they are done, then everything goes, the session last.
 */
START_TEST(test_fail_close_in_flight)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_counters k;
	struct kfx_conn c;
	uint8_t *buf;
	off_t sbytes;
	int fd;

	buf = malloc(100000);
	ck_assert_ptr_nonnull(buf);
	uktest_fill(buf, 100000, 54, 0);
	fd = uk_file_create(buf, 100000);
	ck_assert_int_ge(fd, 0);
	set_tunable("kern.ipc.sendfile.io_mbufs", 1);
	set_tunable("kern.ipc.sendfile.reverse_io", 1);
	kfx_open(&c, s, 54, 0);
	kfx_set_sndbuf(c.s, 256 * 1024);
	ck_assert_int_eq(uk_write(c.s, buf, 30000), 30000);
	ck_assert_int_eq(uk_sendfile(fd, c.s, 3, 60000, NULL, &sbytes, 0), 0);
	ck_assert_int_eq(uk_run_one(), 1);	/* one I/O completes early */
	kfx_close(&c);
	uk_counters(&k);
	ck_assert_int_eq(k.sessions, 1);
	ck_assert_int_gt(k.extpg, 0);
	uk_run();
	uk_counters(&k);
	ck_assert_int_eq(k.sessions, 0);
	ck_assert_int_eq(k.extpg, 0);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
	free(buf);
}
END_TEST

/* A dropped connection refuses sendfile too, with nothing queued. */
START_TEST(test_fail_sendfile_after_drop)
{
	struct kfx_conn c;
	off_t sbytes;
	int fd;

	fd = uk_file_create(NULL, 10000);
	ck_assert_int_ge(fd, 0);
	kfx_open(&c, &tlsm_suites[0], 55, 0);
	uk_test_ktls_fail_encrypt(1);
	ck_assert_int_eq(uk_write(c.s, "abc", 3), 3);
	uk_run();
	errno = 0;
	sbytes = -1;
	ck_assert_int_eq(uk_sendfile(fd, c.s, 0, 100, NULL, &sbytes, 0), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(sbytes, 0);
	ck_assert_int_eq(so_error(c.s), EIO);
	kfx_close(&c);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
}
END_TEST

static Suite *
ktls_fail_suite(void)
{
	Suite *su;
	TCase *tc;

	su = suite_create("ktls_fail");
	tc = kfx_tcase("fail");
	tcase_add_loop_test(tc, test_fail_in_batch, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_fail_first_of_batches, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_fail_sendfile, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_fail_close_in_flight, 0, TLSM_NSUITES);
	tcase_add_test(tc, test_fail_tls10_pending);
	tcase_add_test(tc, test_fail_sendfile_after_drop);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{

	return (uktest_run(ktls_fail_suite()));
}
