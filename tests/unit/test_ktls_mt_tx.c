/*
 * KTLS transmit with real worker threads (uk_set_workers(3)): several
 * application threads, each with its own socket and suite, write random
 * sizes, send control records and sendfile ranges (whose simulated I/O
 * completes in reverse, one record per I/O) while the workers encrypt
 * and the threads drain their send buffers.  Afterwards every byte is
 * checked with the model.  Built for ThreadSanitizer (the _mt_ label).
 */
#include <pthread.h>
#include <stdio.h>

#include "ktls_fixture.h"

#define	NTHREADS	4
#define	PER_THREAD	(768 * 1024)
#define	FILESZ		(256 * 1024)

static uint8_t filedata[FILESZ];

struct tctx {
	int		 s;
	int		 fd;		/* the shared page-cache file */
	int		 idx;
	struct kfx_buf	 want;		/* plaintext, in order */
	struct kfx_buf	 wire;		/* records taken out */
	int		 err;		/* errno of the first failure */
	const char	*what;
};

static uint64_t
rnd(uint64_t *x)
{

	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return (*x * 0x2545F4914F6CDD1DULL);
}

/* Wait for the workers, then take what is ready.  0 or an errno. */
static int
drain(struct tctx *t)
{
	uint8_t buf[32768];
	ssize_t n;

	if (uk_test_sndbuf_wait(t->s) != 0)
		return (errno);
	while ((n = uk_test_sndbuf_take(t->s, buf, sizeof(buf))) > 0)
		kfx_buf_add(&t->wire, buf, (size_t)n);
	return (n == 0 ? 0 : errno);
}

#define	FAIL(t, w, e) do {						\
	(t)->what = (w);						\
	(t)->err = (e);							\
	return (NULL);							\
} while (0)

static void *
writer(void *arg)
{
	struct tctx *t = arg;
	uint8_t *buf;
	uint64_t x;
	size_t len, off, sent;
	off_t foff, sbytes;
	ssize_t n;
	int e, op;

	buf = malloc(40000);
	if (buf == NULL)
		FAIL(t, "malloc", ENOMEM);
	x = 0x7a11ULL + (uint64_t)t->idx * 7919;
	sent = 0;
	while (sent < PER_THREAD) {
		op = (int)(rnd(&x) % 10);
		if (op < 7) {
			/* A write of 1..40000 bytes, through short writes. */
			len = 1 + rnd(&x) % 40000;
			uktest_fill(buf, len, (uint32_t)(t->idx * 1000), sent);
			for (off = 0; off < len;) {
				n = uk_write(t->s, buf + off, len - off);
				if (n < 0 && errno != EAGAIN)
					FAIL(t, "uk_write", errno);
				if (n > 0)
					off += (size_t)n;
				if (off < len && (e = drain(t)) != 0)
					FAIL(t, "drain", e);
			}
			kfx_buf_add(&t->want, buf, len);
		} else if (op < 8) {
			/* A handshake record, all at once. */
			len = 1 + rnd(&x) % 2000;
			uktest_fill(buf, len, 77, sent);
			while (kfx_send_type(t->s, buf, len,
			    TLS_RLTYPE_HANDSHAKE) < 0) {
				if (errno != EAGAIN)
					FAIL(t, "sendmsg", errno);
				if ((e = drain(t)) != 0)
					FAIL(t, "drain", e);
			}
			kfx_buf_add(&t->want, buf, len);
		} else {
			/* A range of the file. */
			foff = (off_t)(rnd(&x) % (FILESZ - 1));
			len = 1 + rnd(&x) % (FILESZ - (size_t)foff);
			if (len > 60000)
				len = 60000;
			for (off = 0; off < len;) {
				if (uk_sendfile(t->fd, t->s, foff + (off_t)off,
				    len - off, NULL, &sbytes, 0) != 0 &&
				    errno != EAGAIN)
					FAIL(t, "uk_sendfile", errno);
				off += (size_t)sbytes;
				if (off < len && (e = drain(t)) != 0)
					FAIL(t, "drain", e);
			}
			kfx_buf_add(&t->want, filedata + foff, len);
		}
		sent += len;
		if (rnd(&x) % 4 == 0 && (e = drain(t)) != 0)
			FAIL(t, "drain", e);
	}
	if ((e = drain(t)) != 0)
		FAIL(t, "drain", e);
	free(buf);
	return (NULL);
}

START_TEST(test_mt_writers)
{
	static const int suites[NTHREADS] = { 0, 5, 6, 12 };
	struct tctx t[NTHREADS];
	struct kfx_conn c[NTHREADS];
	struct kfx_result r;
	pthread_t th[NTHREADS];
	int fd, i, one = 1;

	uktest_fill(filedata, FILESZ, 90, 0);
	fd = uk_file_create(filedata, FILESZ);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.sendfile.io_mbufs", NULL,
	    &one), 0);
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.sendfile.reverse_io", NULL,
	    &one), 0);
	ck_assert_int_eq(uk_set_workers(3), 0);

	for (i = 0; i < NTHREADS; i++) {
		kfx_open(&c[i], &tlsm_suites[suites[i]], 91 + (uint32_t)i,
		    (uint64_t)i << 20);
		kfx_set_sndbuf(c[i].s, 128 * 1024);
		memset(&t[i], 0, sizeof(t[i]));
		t[i].s = c[i].s;
		t[i].fd = fd;
		t[i].idx = i;
	}
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, writer, &t[i]),
		    0);
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	uk_run();

	for (i = 0; i < NTHREADS; i++) {
		ck_assert_msg(t[i].err == 0, "thread %d: %s: %s", i,
		    t[i].what, strerror(t[i].err));
		ck_assert_uint_ge(t[i].want.len, PER_THREAD);
		c[i].wire = t[i].wire;
		kfx_expect(&c[i], t[i].want.p, t[i].want.len, &r);
		kfx_result_free(&r);
		kfx_buf_free(&t[i].want);
		kfx_close(&c[i]);
	}
	uk_run();
	ck_assert_int_eq(uk_set_workers(0), 0);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
}
END_TEST

/*
 * Sockets closed while their records are still in the workers' hands,
 * from several threads at once.
 */
static void *
closer(void *arg)
{
	struct tctx *t = arg;
	uint8_t buf[50000];
	int i, s;

	uktest_fill(buf, sizeof(buf), 5, 0);
	for (i = 0; i < 50; i++) {
		struct kfx_conn c;

		s = uk_socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0)
			FAIL(t, "uk_socket", errno);
		memset(&c, 0, sizeof(c));
		kfx_state(&tlsm_suites[(t->idx * 3 + i) % TLSM_NSUITES], 3,
		    &c.st);
		{
			struct tls_enable en;
			int big = 128 * 1024;

			kfx_enable_of(&c.st, 0, &en);
			if (uk_setsockopt(s, IPPROTO_TCP, TCP_TXTLS_ENABLE,
			    &en, sizeof(en)) != 0)
				FAIL(t, "TCP_TXTLS_ENABLE", errno);
			if (uk_setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big,
			    sizeof(big)) != 0)
				FAIL(t, "SO_SNDBUF", errno);
		}
		if (uk_write(s, buf, sizeof(buf)) != sizeof(buf))
			FAIL(t, "uk_write", errno);
		if (uk_close(s) != 0)
			FAIL(t, "uk_close", errno);
	}
	return (NULL);
}

START_TEST(test_mt_close_in_flight)
{
	struct tctx t[NTHREADS];
	pthread_t th[NTHREADS];
	struct uk_counters k;
	int i;

	ck_assert_int_eq(uk_set_workers(3), 0);
	for (i = 0; i < NTHREADS; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].idx = i;
		ck_assert_int_eq(pthread_create(&th[i], NULL, closer, &t[i]),
		    0);
	}
	for (i = 0; i < NTHREADS; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_msg(t[i].err == 0, "thread %d: %s: %s", i,
		    t[i].what, strerror(t[i].err));
	}
	uk_run();
	uk_counters(&k);
	ck_assert_int_eq(k.sessions, 0);
	ck_assert_int_eq(uk_set_workers(0), 0);
}
END_TEST

static Suite *
ktls_mt_suite(void)
{
	Suite *su;
	TCase *tc;

	su = suite_create("ktls_mt_tx");
	tc = kfx_tcase("threads");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_mt_writers);
	tcase_add_test(tc, test_mt_close_in_flight);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{

	return (uktest_run(ktls_mt_suite()));
}
