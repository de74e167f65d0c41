/*
 * ifnet TLS with worker threads (run under ThreadSanitizer too): a
 * writer thread streams through a KTLS transmit session while the main
 * thread switches it between software and the NIC over and over, and a
 * reader thread takes the raw bytes.  Records of both modes are in
 * flight at every switch, under loss and reordering; every record must
 * open in order with the model, and the plaintext be the stream.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <uktls/ktls.h>
#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/stats.h>
#include <uktls/uktls.h>

#include "ktls_fixture.h"
#include "tcp_fixture.h"
#include "uktest.h"

#define	SW_LEN		(1 << 20)
#define	SW_CAP		(SW_LEN + SW_LEN / 2)

/* One thread's side; errors go back to the main thread. */
struct sw_job {
	pthread_t	 thr;
	int		 fd;
	uint8_t		*buf;		/* writer: the stream; reader: got */
	size_t		 len;		/* writer: to send; reader: room */
	size_t		 done;
	int		 error;
	volatile int	 finished;
};

static void *
sw_writer(void *arg)
{
	struct sw_job *j = arg;
	size_t n;
	ssize_t r;

	while (j->done < j->len) {
		n = j->len - j->done < 20000 ? j->len - j->done : 20000;
		r = uk_write(j->fd, j->buf + j->done, n);
		if (r <= 0) {
			j->error = r < 0 ? errno : EIO;
			break;
		}
		j->done += (size_t)r;
	}
	if (j->error == 0 && uk_shutdown(j->fd, SHUT_WR) != 0)
		j->error = errno;
	__atomic_store_n(&j->finished, 1, __ATOMIC_RELEASE);
	return (NULL);
}

static void *
sw_reader(void *arg)
{
	struct sw_job *j = arg;
	ssize_t r;

	for (;;) {
		if (j->done == j->len) {
			j->error = EOVERFLOW;
			break;
		}
		r = uk_read(j->fd, j->buf + j->done, j->len - j->done);
		if (r < 0) {
			j->error = errno;
			break;
		}
		if (r == 0)
			break;
		j->done += (size_t)r;
	}
	return (NULL);
}

START_TEST(test_ifnet_mt_switch)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct timespec pause = { 0, 200000 };
	struct uk_ktls_stats st0, st1;
	struct uk_net_config conf;
	struct sw_job w, rd;
	struct tls_enable en;
	struct kfx_result r;
	struct kfx_conn c;
	int mode, nswitch, sv[2];

	ck_assert_int_eq(uk_sysctl_int("net.link.lo.txtls", NULL, &(int){ 1 }),
	    0);
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.ifnet.permitted", NULL,
	    &(int){ 1 }), 0);
	tfx_faults(&conf, 1300 + (uint64_t)_i, 1.0, 1.0, 0.0, 20.0);
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	ck_assert_int_eq(uk_set_workers(2), 0);
	tfx_pair(sv);
	memset(&c, 0, sizeof(c));
	c.s = sv[0];
	c.suite = s;
	kfx_state(s, 130, &c.st);
	kfx_enable_of(&c.st, 0, &en);
	ck_assert_int_eq(uk_setsockopt(sv[0], IPPROTO_TCP, TCP_TXTLS_ENABLE,
	    &en, sizeof(en)), 0);
	kfx_stats(&st0);

	memset(&w, 0, sizeof(w));
	w.fd = sv[0];
	w.len = SW_LEN;
	w.buf = malloc(SW_LEN);
	ck_assert_ptr_nonnull(w.buf);
	uktest_fill(w.buf, SW_LEN, 131, 0);
	memset(&rd, 0, sizeof(rd));
	rd.fd = sv[1];
	rd.len = SW_CAP;
	rd.buf = malloc(SW_CAP);
	ck_assert_ptr_nonnull(rd.buf);
	ck_assert_int_eq(pthread_create(&rd.thr, NULL, sw_reader, &rd), 0);
	ck_assert_int_eq(pthread_create(&w.thr, NULL, sw_writer, &w), 0);

	/* Switch for as long as the writer writes, at least a few times. */
	mode = -1;
	ck_assert_int_eq(uk_getsockopt(sv[0], IPPROTO_TCP, TCP_TXTLS_MODE,
	    &mode, &(socklen_t){ sizeof(mode) }), 0);
	/* permitted and txtls: the enable chose the NIC. */
	ck_assert_int_eq(mode, TCP_TLS_MODE_IFNET);
	for (nswitch = 0; nswitch < 4 ||
	    !__atomic_load_n(&w.finished, __ATOMIC_ACQUIRE); nswitch++) {
		mode = mode == TCP_TLS_MODE_SW ? TCP_TLS_MODE_IFNET :
		    TCP_TLS_MODE_SW;
		ck_assert_int_eq(uk_setsockopt(sv[0], IPPROTO_TCP,
		    TCP_TXTLS_MODE, &mode, sizeof(mode)), 0);
		nanosleep(&pause, NULL);
	}
	ck_assert_int_eq(pthread_join(w.thr, NULL), 0);
	ck_assert_int_eq(pthread_join(rd.thr, NULL), 0);
	ck_assert_int_eq(w.error, 0);
	ck_assert_uint_eq(w.done, SW_LEN);
	ck_assert_int_eq(rd.error, 0);
	kfx_stats(&st1);
	ck_assert_int_eq(st1.switch_to_ifnet - st0.switch_to_ifnet +
	    st1.switch_to_sw - st0.switch_to_sw, nswitch);
	ck_assert_int_eq(st1.switch_failed, st0.switch_failed);

	kfx_buf_add(&c.wire, rd.buf, rd.done);
	kfx_expect(&c, w.buf, SW_LEN, &r);
	kfx_result_free(&r);
	kfx_buf_free(&c.wire);
	free(rd.buf);
	free(w.buf);
	tfx_finish(sv, 2);
	ck_assert_int_eq(uk_set_workers(0), 0);
	ck_assert_int_eq(uk_sysctl_int("net.link.lo.txtls", NULL, &(int){ 0 }),
	    0);
}
END_TEST

static Suite *
ktls_ifnet_mt_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("ktls_ifnet_mt");
	tc = kfx_tcase("switch");
	/* AES-128-GCM 1.2 and AES-256-GCM 1.3. */
	tcase_add_loop_test(tc, test_ifnet_mt_switch, 0, 1);
	tcase_add_loop_test(tc, test_ifnet_mt_switch, 3, 4);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(ktls_ifnet_mt_suite()));
}
