/*
 * sendfile(2) from the page cache, with and without KTLS: odd offsets
 * and lengths across page and mbuf boundaries, records cut where FreeBSD
 * cuts them, no CPU copy and one crypto pass per byte, the file left
 * untouched, headers and trailers, and simulated I/O completing out of
 * order (TLS 1.0 records must still encrypt in sequence).
 */
#include <stdio.h>

#include "ktls_fixture.h"

#define	PG	4096
#define	FILESZ	(1024 * 1024 + 123)

static uint8_t *filedata;

/* A page-cache file of FILESZ pattern bytes. */
static int
make_file(void)
{
	int fd;

	if (filedata == NULL) {
		filedata = malloc(FILESZ);
		ck_assert_ptr_nonnull(filedata);
		uktest_fill(filedata, FILESZ, 42, 0);
	}
	fd = uk_file_create(filedata, FILESZ);
	ck_assert_int_ge(fd, 0);
	return (fd);
}

static void
set_tunable(const char *name, int v)
{

	ck_assert_int_eq(uk_sysctl_int(name, NULL, &v), 0);
}

/* Send all of [off, off + len) of fd, draining whenever it is short. */
static void
sendfile_all(struct kfx_conn *c, int fd, off_t off, size_t len)
{
	off_t sbytes;
	size_t done;
	int calls, rv;

	done = 0;
	calls = 0;
	while (done < len) {
		sbytes = -1;
		rv = uk_sendfile(fd, c->s, off + (off_t)done, len - done, NULL,
		    &sbytes, 0);
		ck_assert_int_ge(sbytes, 0);
		if (rv != 0)
			ck_assert_msg(errno == EAGAIN, "uk_sendfile: %s",
			    strerror(errno));
		done += (size_t)sbytes;
		kfx_drain(c);
		ck_assert_int_lt(++calls, 10000);
	}
	ck_assert_uint_eq(done, len);
}

static const struct {
	off_t	off;
	size_t	len;
} ranges[] = {
	{ 0, FILESZ },			/* all of it */
	{ 1, PG - 1 },			/* the rest of page 0 */
	{ PG - 1, 2 },			/* across one page boundary */
	{ PG + 1, 5 * PG + 3 },		/* across 5-page boundaries */
	{ 123, 16384 },			/* one record's worth, misaligned */
	{ 100, 3 * 16384 + 7 },
	{ 4 * PG - 5, 10 },		/* across a record boundary */
	{ 3, 1024 * 1024 },		/* 1 MiB at an odd offset */
	{ FILESZ - 77, 77 },		/* the tail */
};

/*
 * Every suite, every range: the plaintext is the file's bytes, no record
 * holds more than 2^14 bytes, and records after the first end on page
 * boundaries of the file (FreeBSD cuts sendfile mbufs at pages).
 */
START_TEST(test_sf_ranges)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct kfx_result r;
	struct kfx_conn c;
	size_t i, j, end;
	int fd;

	fd = make_file();
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		kfx_open(&c, s, 20, 500 + i);
		sendfile_all(&c, fd, ranges[i].off, ranges[i].len);
		kfx_expect(&c, filedata + ranges[i].off, ranges[i].len, &r);
		end = (size_t)ranges[i].off;
		for (j = 0; j < r.nrec; j++) {
			ck_assert_uint_le(r.lens[j], KFX_MAXREC);
			ck_assert_uint_eq(r.types[j], TLS_RLTYPE_APP);
			end += r.lens[j];
			if (j + 1 < r.nrec)
				ck_assert_msg(end % PG == 0, "%s: range %zu: "
				    "record %zu ends at %zu", s->name, i, j,
				    end);
		}
		kfx_result_free(&r);
		kfx_close(&c);
	}
	ck_assert_int_eq(uk_file_destroy(fd), 0);
}
END_TEST

/*
 * Zero copy: a KTLS sendfile copies no payload byte and passes each
 * through the cipher once, into new pages (separate output); the file's
 * pages keep their plaintext, so a second sendfile sends it again.
 */
START_TEST(test_sf_counters)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_test_mdesc d[64];
	struct uk_counters k0, k1;
	struct uk_ktls_stats t0, t1;
	struct kfx_result r;
	struct kfx_conn c;
	off_t sbytes;
	size_t len = 300000;
	int fd, i, n, round;

	fd = make_file();
	for (round = 0; round < 2; round++) {
		kfx_open(&c, s, 21, 0);
		kfx_set_sndbuf(c.s, 512 * 1024);
		kfx_counters(&k0);
		kfx_stats(&t0);
		ck_assert_int_eq(uk_sendfile(fd, c.s, 5, len, NULL, &sbytes,
		    0), 0);
		ck_assert_int_eq(sbytes, (off_t)len);
		/* File pages, framed, waiting for their "I/O". */
		n = uk_test_sndbuf_describe(c.s, d, 64);
		ck_assert_int_gt(n, 0);
		for (i = 0; i < n; i++) {
			ck_assert(d[i].notready && !d[i].anon && d[i].has_tls);
			ck_assert_int_le(d[i].npgs, 4);
		}
		ck_assert_int_eq(d[0].first_off, 5);
		ck_assert_int_eq(uk_test_sndbuf_wait(c.s), 0);
		kfx_counters(&k1);
		kfx_stats(&t1);
		ck_assert_int_eq(k1.copied_bytes - k0.copied_bytes, 0);
		ck_assert_int_eq(k1.crypto_bytes - k0.crypto_bytes,
		    (int64_t)len);
		ck_assert_int_eq(t1.separate_output - t0.separate_output, n);
		ck_assert_int_eq(t1.inplace - t0.inplace, 0);
		/* Encrypted into new, anonymous pages. */
		ck_assert_int_eq(uk_test_sndbuf_describe(c.s, d, 64), n);
		for (i = 0; i < n; i++)
			ck_assert(!d[i].notready && d[i].anon && !d[i].has_tls);
		kfx_drain(&c);
		kfx_expect(&c, filedata + 5, len, &r);
		kfx_result_free(&r);
		kfx_close(&c);
	}
	ck_assert_int_eq(uk_file_destroy(fd), 0);
}
END_TEST

/*
 * Without KTLS: unmapped mbufs of at most 5 file pages, no copy and no
 * crypto, the bytes exactly the file's.
 */
START_TEST(test_sf_plain)
{
	struct uk_test_mdesc d[64];
	struct uk_counters k0, k1;
	struct kfx_buf got;
	uint8_t buf[65536];
	off_t sbytes, off;
	size_t len, i;
	ssize_t n;
	int fd, nm, s;

	fd = make_file();
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		off = ranges[i].off;
		len = ranges[i].len;
		memset(&got, 0, sizeof(got));
		s = uk_socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_ge(s, 0);
		kfx_set_sndbuf(s, 1536 * 1024);
		kfx_counters(&k0);
		ck_assert_int_eq(uk_sendfile(fd, s, off, len, NULL, &sbytes,
		    0), 0);
		ck_assert_int_eq(sbytes, (off_t)len);
		nm = uk_test_sndbuf_describe(s, d, 64);
		ck_assert_int_gt(nm, 0);
		for (int j = 0; j < nm && j < 64; j++) {
			ck_assert(d[j].extpg && d[j].notready);
			ck_assert_int_le(d[j].npgs, 5);
			ck_assert_int_eq(d[j].hdrlen, 0);
			if (j > 0)
				ck_assert_int_eq(d[j].first_off, 0);
		}
		ck_assert_int_eq(d[0].first_off, (int)(off % PG));
		/* Nothing is sendable before the "I/O" completes. */
		ck_assert_int_eq(uk_test_sndbuf_take(s, buf, 1), 0);
		ck_assert_int_eq(uk_test_sndbuf_wait(s), 0);
		while ((n = uk_test_sndbuf_take(s, buf, sizeof(buf))) > 0)
			kfx_buf_add(&got, buf, (size_t)n);
		kfx_counters(&k1);
		ck_assert_int_eq(k1.copied_bytes - k0.copied_bytes, 0);
		ck_assert_int_eq(k1.crypto_bytes - k0.crypto_bytes, 0);
		ck_assert_uint_eq(got.len, len);
		ck_assert_mem_eq(got.p, filedata + off, len);
		kfx_buf_free(&got);
		ck_assert_int_eq(uk_close(s), 0);
	}
	ck_assert_int_eq(uk_file_destroy(fd), 0);
}
END_TEST

/*
 * Out-of-order completion without KTLS: the last batch completes first
 * and becomes ready, but stays behind the not-ready ones (nothing is
 * sendable) until they complete.
 */
START_TEST(test_sf_reverse_plain)
{
	struct uk_test_mdesc d[16];
	struct uk_test_sbinfo info;
	uint8_t buf[65536];
	off_t sbytes;
	ssize_t n;
	int fd, nm, s;

	fd = make_file();
	set_tunable("kern.ipc.sendfile.io_mbufs", 1);
	set_tunable("kern.ipc.sendfile.reverse_io", 1);
	s = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	kfx_set_sndbuf(s, 65536);
	ck_assert_int_eq(uk_sendfile(fd, s, 10, 3 * 5 * PG, NULL, &sbytes, 0),
	    0);
	ck_assert_int_eq(sbytes, 3 * 5 * PG);
	ck_assert_int_eq(uk_test_sndbuf_describe(s, d, 16), 4);
	ck_assert_int_eq(uk_run_one(), 1);
	nm = uk_test_sndbuf_describe(s, d, 16);
	ck_assert_int_eq(nm, 4);
	ck_assert(d[0].notready && d[1].notready && d[2].notready);
	ck_assert(!d[3].notready && d[3].blocked);
	ck_assert_int_eq(uk_test_sndbuf_info(s, &info), 0);
	ck_assert_uint_eq(info.acc, 0);
	ck_assert_int_eq(uk_test_sndbuf_take(s, buf, sizeof(buf)), 0);
	ck_assert_int_eq(uk_run(), 3);
	ck_assert_int_eq(uk_test_sndbuf_info(s, &info), 0);
	ck_assert_uint_eq(info.acc, 3 * 5 * PG);
	n = uk_test_sndbuf_take(s, buf, sizeof(buf));
	ck_assert_int_eq(n, 3 * 5 * PG);
	ck_assert_mem_eq(buf, filedata + 10, (size_t)n);
	ck_assert_int_eq(uk_close(s), 0);
	set_tunable("kern.ipc.sendfile.io_mbufs", 0);
	set_tunable("kern.ipc.sendfile.reverse_io", 0);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
}
END_TEST

/*
 * KTLS with I/O completing last first, one record per I/O: every suite's
 * records still decrypt in order; TLS 1.0's chained IVs prove they were
 * encrypted in sequence (early batches wait in pending_records).
 */
START_TEST(test_sf_reverse_ktls)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_ktls_stats t;
	struct kfx_result r;
	struct kfx_conn c;
	off_t sbytes;
	size_t len = 200000;
	int fd;

	fd = make_file();
	set_tunable("kern.ipc.sendfile.io_mbufs", 1);
	set_tunable("kern.ipc.sendfile.reverse_io", 1);
	kfx_open(&c, s, 22, 1234);
	kfx_set_sndbuf(c.s, 512 * 1024);
	ck_assert_int_eq(uk_sendfile(fd, c.s, 4095, len, NULL, &sbytes, 0), 0);
	ck_assert_int_eq(sbytes, (off_t)len);
	/* The last record's I/O completes first. */
	ck_assert_int_eq(uk_run_one(), 1);
	kfx_stats(&t);
	if (s->cipher == TLSM_CBC && s->version == TLSM_V10) {
		ck_assert_int_eq(t.sw_tx_pending, 1);
		ck_assert_int_eq(t.sw_tx_inqueue, 0);
	} else {
		ck_assert_int_eq(t.sw_tx_pending, 0);
		ck_assert_int_eq(t.sw_tx_inqueue, 1);
	}
	kfx_drain(&c);
	kfx_stats(&t);
	ck_assert_int_eq(t.sw_tx_pending, 0);
	ck_assert_int_eq(t.sw_tx_inqueue, 0);
	kfx_expect(&c, filedata + 4095, len, &r);
	/*
	 * The first record holds four pages from offset 4095 of the first
	 * (12289 bytes), the others whole records.
	 */
	ck_assert_uint_eq(r.lens[0], 4 * PG - 4095);
	ck_assert_uint_eq(r.nrec, 1 + (len - r.lens[0] + KFX_MAXREC - 1) /
	    KFX_MAXREC);
	kfx_result_free(&r);
	kfx_close(&c);
	set_tunable("kern.ipc.sendfile.io_mbufs", 0);
	set_tunable("kern.ipc.sendfile.reverse_io", 0);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
}
END_TEST

/* Headers and trailers around the file, as records of the same stream. */
START_TEST(test_sf_hdtr)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct kfx_buf want;
	struct kfx_result r;
	struct kfx_conn c;
	struct sf_hdtr hdtr;
	struct iovec hv[2], tv[1];
	uint8_t h1[100], h2[20000], t1[50];
	off_t sbytes;
	int fd;

	fd = make_file();
	uktest_fill(h1, sizeof(h1), 30, 0);
	uktest_fill(h2, sizeof(h2), 31, 0);
	uktest_fill(t1, sizeof(t1), 32, 0);
	hv[0].iov_base = h1;
	hv[0].iov_len = sizeof(h1);
	hv[1].iov_base = h2;
	hv[1].iov_len = sizeof(h2);
	tv[0].iov_base = t1;
	tv[0].iov_len = sizeof(t1);
	hdtr.headers = hv;
	hdtr.hdr_cnt = 2;
	hdtr.trailers = tv;
	hdtr.trl_cnt = 1;
	memset(&want, 0, sizeof(want));
	kfx_buf_add(&want, h1, sizeof(h1));
	kfx_buf_add(&want, h2, sizeof(h2));
	kfx_buf_add(&want, filedata + 7, 30000);
	kfx_buf_add(&want, t1, sizeof(t1));

	kfx_open(&c, s, 23, 0);
	kfx_set_sndbuf(c.s, 256 * 1024);
	ck_assert_int_eq(uk_sendfile(fd, c.s, 7, 30000, &hdtr, &sbytes, 0), 0);
	ck_assert_int_eq(sbytes, (off_t)want.len);
	kfx_drain(&c);
	kfx_expect(&c, want.p, want.len, &r);
	kfx_result_free(&r);
	kfx_close(&c);
	kfx_buf_free(&want);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
}
END_TEST

/* Past the end: nothing; a length past the end: up to the end. */
START_TEST(test_sf_edges)
{
	struct kfx_result r;
	struct kfx_conn c;
	off_t sbytes;
	int fd;

	fd = make_file();
	kfx_open(&c, &tlsm_suites[2], 24, 0);
	ck_assert_int_eq(uk_sendfile(fd, c.s, FILESZ, 100, NULL, &sbytes, 0),
	    0);
	ck_assert_int_eq(sbytes, 0);
	ck_assert_int_eq(uk_sendfile(fd, c.s, FILESZ + 5000, 0, NULL, &sbytes,
	    0), 0);
	ck_assert_int_eq(sbytes, 0);
	ck_assert_int_eq(uk_sendfile(fd, c.s, FILESZ - 10, 1000, NULL,
	    &sbytes, 0), 0);
	ck_assert_int_eq(sbytes, 10);
	errno = 0;
	ck_assert_int_eq(uk_sendfile(fd, c.s, -1, 10, NULL, &sbytes, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(uk_sendfile(fd, 9999, 0, 10, NULL, &sbytes, 0), -1);
	ck_assert_int_eq(errno, EBADF);
	kfx_drain(&c);
	kfx_expect(&c, filedata + FILESZ - 10, 10, &r);
	kfx_result_free(&r);
	/* Non-blocking and full: EAGAIN with what was queued in sbytes. */
	ck_assert_int_eq(uk_set_nonblock(c.s, 1), 0);
	errno = 0;
	ck_assert_int_eq(uk_sendfile(fd, c.s, 0, 100000, NULL, &sbytes, 0),
	    -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(sbytes, 32768);
	kfx_close(&c);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
}
END_TEST

/* The file may go away while its pages are in flight. */
START_TEST(test_sf_file_destroyed)
{
	struct kfx_result r;
	struct kfx_conn c;
	off_t sbytes;
	int fd;

	fd = make_file();
	kfx_open(&c, &tlsm_suites[8], 25, 0);
	ck_assert_int_eq(uk_sendfile(fd, c.s, 1, 20000, NULL, &sbytes, 0), 0);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
	kfx_drain(&c);
	kfx_expect(&c, filedata + 1, 20000, &r);
	kfx_result_free(&r);
	kfx_close(&c);
}
END_TEST

/*
 * For the documentation (printed when UKTLS_DRAW is set): a KTLS
 * sendfile before and after encryption, and plain sendfile I/O
 * completing out of order.
 */
START_TEST(test_sf_draw)
{
	char a[4096], b[4096], c3[4096];
	struct kfx_conn c;
	off_t sbytes;
	int fd, s;

	fd = make_file();
	kfx_open(&c, &tlsm_suites[0], 26, 0);
	kfx_set_sndbuf(c.s, 256 * 1024);
	ck_assert_int_eq(uk_sendfile(fd, c.s, 1000, 40000, NULL, &sbytes, 0),
	    0);
	ck_assert_int_gt(uk_test_sndbuf_draw(c.s, a, sizeof(a)), 0);
	ck_assert_ptr_nonnull(strstr(a, "off 1000"));
	ck_assert_ptr_nonnull(strstr(a, "file plaintext"));
	ck_assert_int_eq(uk_test_sndbuf_wait(c.s), 0);
	ck_assert_int_gt(uk_test_sndbuf_draw(c.s, b, sizeof(b)), 0);
	ck_assert_ptr_null(strstr(b, "file"));
	ck_assert_ptr_nonnull(strstr(b, "anon encrypted"));
	if (getenv("UKTLS_DRAW") != NULL)
		printf("KTLS sendfile(offset 1000, 40000 bytes), I/O pending:\n"
		    "%s\nafter the workers:\n%s\n", a, b);
	kfx_close(&c);

	set_tunable("kern.ipc.sendfile.io_mbufs", 1);
	set_tunable("kern.ipc.sendfile.reverse_io", 1);
	s = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	kfx_set_sndbuf(s, 256 * 1024);
	ck_assert_int_eq(uk_sendfile(fd, s, 10, 3 * 5 * PG, NULL, &sbytes, 0),
	    0);
	ck_assert_int_gt(uk_test_sndbuf_draw(s, a, sizeof(a)), 0);
	ck_assert_int_eq(uk_run_one(), 1);
	ck_assert_int_gt(uk_test_sndbuf_draw(s, b, sizeof(b)), 0);
	ck_assert_ptr_nonnull(strstr(b, "BLOCKED"));
	uk_run();
	ck_assert_int_gt(uk_test_sndbuf_draw(s, c3, sizeof(c3)), 0);
	ck_assert_ptr_null(strstr(c3, "NOTREADY"));
	if (getenv("UKTLS_DRAW") != NULL)
		printf("plain sendfile(offset 10, 61440 bytes), one I/O per "
		    "mbuf, last first:\n%s\nafter the last I/O completed:\n"
		    "%s\nafter all of them:\n%s", a, b, c3);
	ck_assert_int_eq(uk_close(s), 0);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
}
END_TEST

static Suite *
ktls_sendfile_suite(void)
{
	Suite *su;
	TCase *tc;

	su = suite_create("ktls_sendfile");
	tc = kfx_tcase("sendfile");
	tcase_add_loop_test(tc, test_sf_ranges, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_sf_counters, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_sf_reverse_ktls, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_sf_hdtr, 0, TLSM_NSUITES);
	tcase_add_test(tc, test_sf_plain);
	tcase_add_test(tc, test_sf_reverse_plain);
	tcase_add_test(tc, test_sf_edges);
	tcase_add_test(tc, test_sf_file_destroyed);
	tcase_add_test(tc, test_sf_draw);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{

	return (uktest_run(ktls_sendfile_suite()));
}
