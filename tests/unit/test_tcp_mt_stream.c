/*
 * The TCP shim with worker threads (run under ThreadSanitizer too):
 * blocking writers and readers on their own threads, both directions,
 * several connections at once, faults that only time can repair (the
 * clock moves by itself when the wire is quiet), KTLS transmit, and a
 * poll loop.  Byte-exact every time.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <uktls/ktls.h>
#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/uktls.h>

#include "ktls_fixture.h"
#include "tcp_fixture.h"
#include "uktest.h"

/*
 * A thread's job: write stream id of len bytes to fd and shut down, or
 * read len bytes of stream id from fd and see the end of the stream.
 * Errors are kept for the main thread (Check asserts only there).
 */
struct mt_job {
	pthread_t	 thr;
	int		 fd;
	int		 writer;
	uint32_t	 id;
	size_t		 len;
	size_t		 chunk;
	uint8_t		*got;		/* reader: what came */
	size_t		 done;
	int		 error;		/* errno of a failed call */
	int		 eof;
};

static void *
mt_run(void *arg)
{
	struct mt_job *j = arg;
	uint8_t *buf;
	size_t n;
	ssize_t r;

	buf = malloc(j->chunk);
	if (buf == NULL) {
		j->error = ENOMEM;
		return (NULL);
	}
	if (j->writer) {
		while (j->done < j->len) {
			n = j->len - j->done < j->chunk ? j->len - j->done :
			    j->chunk;
			uktest_fill(buf, n, j->id, j->done);
			r = uk_write(j->fd, buf, n);
			if (r <= 0) {
				j->error = r < 0 ? errno : EIO;
				break;
			}
			j->done += (size_t)r;
		}
		if (j->error == 0 && uk_shutdown(j->fd, SHUT_WR) != 0)
			j->error = errno;
	} else {
		for (;;) {
			r = uk_read(j->fd, buf, j->chunk);
			if (r < 0) {
				j->error = errno;
				break;
			}
			if (r == 0) {
				j->eof = 1;
				break;
			}
			if (j->done + (size_t)r > j->len) {
				j->error = EOVERFLOW;
				break;
			}
			memcpy(j->got + j->done, buf, (size_t)r);
			j->done += (size_t)r;
		}
	}
	free(buf);
	return (NULL);
}

static void
mt_start(struct mt_job *j, int fd, int writer, uint32_t id, size_t len)
{

	memset(j, 0, sizeof(*j));
	j->fd = fd;
	j->writer = writer;
	j->id = id;
	j->len = len;
	j->chunk = writer ? 100000 : 30000;
	if (!writer) {
		j->got = malloc(len);
		ck_assert_ptr_nonnull(j->got);
	}
	ck_assert_int_eq(pthread_create(&j->thr, NULL, mt_run, j), 0);
}

static void
mt_join(struct mt_job *j)
{

	ck_assert_int_eq(pthread_join(j->thr, NULL), 0);
	ck_assert_msg(j->error == 0, "%s of stream %u: %s at %zu",
	    j->writer ? "write" : "read", j->id, strerror(j->error), j->done);
	ck_assert_uint_eq(j->done, j->len);
	if (!j->writer) {
		ck_assert_int_eq(j->eof, 1);
		tfx_check(j->got, j->len, j->id, 0);
		free(j->got);
	}
}

static void
mt_end(const int *fds, int n)
{

	tfx_finish(fds, n);
	ck_assert_int_eq(uk_set_workers(0), 0);
}

/* Both directions, four threads, faults repaired by time alone. */
START_TEST(test_mt_bidir)
{
	struct uk_net_config conf;
	struct uk_net_stats a, b;
	struct mt_job j[4];
	int i, sv[2];

	tfx_faults(&conf, 800 + (uint64_t)_i, 2.0, 2.0, 1.0, 20.0);
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	ck_assert_int_eq(uk_set_workers(2), 0);
	tfx_pair(sv);
	mt_start(&j[0], sv[0], 1, 81, 3 << 20);
	mt_start(&j[1], sv[1], 0, 81, 3 << 20);
	mt_start(&j[2], sv[1], 1, 82, 1 << 20);
	mt_start(&j[3], sv[0], 0, 82, 1 << 20);
	for (i = 0; i < 4; i++)
		mt_join(&j[i]);
	ck_assert_int_eq(uk_net_stats(sv[0], &a), 0);
	ck_assert_int_eq(uk_net_stats(sv[1], &b), 0);
	ck_assert_uint_gt(a.fault_lost + b.fault_lost, 0);
	ck_assert_uint_gt(a.snd_rexmitpack + b.snd_rexmitpack, 0);
	mt_end(sv, 2);
}
END_TEST

/* Four connections at once, each with its writer and reader. */
START_TEST(test_mt_many)
{
	struct uk_net_config conf;
	struct mt_job j[8];
	int i, fds[8];

	tfx_faults(&conf, 900, 1.0, 1.0, 0.5, 10.0);
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	ck_assert_int_eq(uk_set_workers(3), 0);
	for (i = 0; i < 4; i++)
		tfx_pair(fds + 2 * i);
	for (i = 0; i < 4; i++) {
		mt_start(&j[2 * i], fds[2 * i], 1, 90 + (uint32_t)i, 1 << 20);
		mt_start(&j[2 * i + 1], fds[2 * i + 1], 0, 90 + (uint32_t)i,
		    1 << 20);
	}
	for (i = 0; i < 8; i++)
		mt_join(&j[i]);
	mt_end(fds, 8);
}
END_TEST

/* KTLS transmit from a writer thread; the reader takes raw records. */
START_TEST(test_mt_ktls)
{
	const struct tlsm_suite *s = &tlsm_suites[_i * 7];
	struct uk_net_config conf;
	struct tls_enable en;
	struct kfx_result r;
	struct kfx_conn c;
	struct mt_job w, rd;
	uint8_t *want;
	int sv[2];

	tfx_faults(&conf, 1100 + (uint64_t)_i, 1.0, 1.0, 1.0, 30.0);
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.cbc_enable", NULL,
	    &(int){ 1 }), 0);
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	ck_assert_int_eq(uk_set_workers(2), 0);
	tfx_pair(sv);
	memset(&c, 0, sizeof(c));
	c.s = sv[0];
	c.suite = s;
	kfx_state(s, 110, &c.st);
	kfx_enable_of(&c.st, 0, &en);
	ck_assert_int_eq(uk_setsockopt(sv[0], IPPROTO_TCP, TCP_TXTLS_ENABLE,
	    &en, sizeof(en)), 0);
	/* The reader gets records: more bytes than the plaintext. */
	mt_start(&w, sv[0], 1, 111, 2 << 20);
	memset(&rd, 0, sizeof(rd));
	rd.fd = sv[1];
	rd.id = 111;
	rd.len = 3 << 20;
	rd.chunk = 30000;
	rd.got = malloc(rd.len);
	ck_assert_int_eq(pthread_create(&rd.thr, NULL, mt_run, &rd), 0);
	ck_assert_int_eq(pthread_join(w.thr, NULL), 0);
	ck_assert_int_eq(w.error, 0);
	ck_assert_int_eq(pthread_join(rd.thr, NULL), 0);
	ck_assert_int_eq(rd.error, 0);
	ck_assert_int_eq(rd.eof, 1);
	kfx_buf_add(&c.wire, rd.got, rd.done);
	free(rd.got);
	want = malloc(2 << 20);
	uktest_fill(want, 2 << 20, 111, 0);
	kfx_expect(&c, want, 2 << 20, &r);
	kfx_result_free(&r);
	kfx_buf_free(&c.wire);
	free(want);
	mt_end(sv, 2);
}
END_TEST

/* A single-threaded poll loop while workers carry the network. */
START_TEST(test_mt_poll)
{
	struct uk_net_config conf;
	struct tfx_end a, b;
	int sv[2];

	tfx_faults(&conf, 1200, 2.0, 2.0, 1.0, 20.0);
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	ck_assert_int_eq(uk_set_workers(2), 0);
	tfx_pair(sv);
	tfx_end_init(&a, sv[0], 121, 1 << 20, 122, 512 << 10);
	tfx_end_init(&b, sv[1], 122, 512 << 10, 121, 1 << 20);
	tfx_pump(&a, &b);
	tfx_end_free(&a);
	tfx_end_free(&b);
	mt_end(sv, 2);
}
END_TEST

static Suite *
mt_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("tcp_mt_stream");
	tc = uktest_tcase("threads");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_mt_bidir, 0, 3);
	tcase_add_test(tc, test_mt_many);
	tcase_add_loop_test(tc, test_mt_ktls, 0, 3);
	tcase_add_test(tc, test_mt_poll);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(mt_suite()));
}
