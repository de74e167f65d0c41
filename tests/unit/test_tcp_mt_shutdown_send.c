/*
 * A send racing with shutdown(SHUT_WR) on another thread.  sosend()
 * checks that the socket can still send before it copies the data in;
 * if the shutdown comes between that check and the protocol's pr_send,
 * the data must not be queued behind the FIN already sent: the peer
 * acknowledges nothing after a FIN, so the sender would retransmit it
 * until the connection timed out, and bytes a write reported as sent
 * would never arrive.  Either a write gets in before the FIN or it fails
 * with EPIPE.  Many rounds with worker threads, plain TCP and KTLS
 * (records make the copy, and so the window, longer); the peer must
 * read every byte the writes reported, then the end.
 */
#include <pthread.h>
#include <time.h>

#include "ktls_rx_fixture.h"
#include "tcp_fixture.h"

#define	SR_ROUNDS	40

struct sr_writer {
	int		 fd;
	size_t		 chunk;
	size_t		 sent;		/* bytes write() reported */
	int		 error;
};

static void *
sr_write(void *arg)
{
	struct sr_writer *w = arg;
	uint8_t buf[20000];
	ssize_t n;

	for (;;) {
		uktest_fill(buf, w->chunk, 1700, w->sent);
		n = uk_write(w->fd, buf, w->chunk);
		if (n < 0) {
			w->error = errno;
			break;
		}
		w->sent += (size_t)n;
	}
	return (NULL);
}

/* _i: 0 plain TCP, 1 KTLS both ways (a receive suite per round). */
START_TEST(test_shutdown_send_race)
{
	static uint8_t buf[65536], want[65536];
	const struct tlsm_suite *s;
	struct uk_net_stats ns;
	struct tlsm_state keys;
	struct tls_enable en;
	struct sr_writer w;
	struct timespec ts;
	size_t got;
	pthread_t t;
	ssize_t n;
	int round, sv[2];

	ck_assert_int_eq(uk_set_workers(2), 0);
	for (round = 0; round < SR_ROUNDS; round++) {
		tfx_pair(sv);
		memset(&w, 0, sizeof(w));
		w.fd = sv[0];
		w.chunk = 1000 + (size_t)round * 331 % 15000;
		if (_i == 1) {
			s = &tlsm_suites[round % TLSM_NSUITES];
			if (!rfx_suite_ok(s))
				s = &tlsm_suites[0];
			kfx_state(s, 1701, &keys);
			kfx_enable_of(&keys, 0, &en);
			ck_assert_int_eq(uk_setsockopt(sv[0], IPPROTO_TCP,
			    TCP_TXTLS_ENABLE, &en, sizeof(en)), 0);
			ck_assert_int_eq(uk_setsockopt(sv[1], IPPROTO_TCP,
			    TCP_RXTLS_ENABLE, &en, sizeof(en)), 0);
		}
		ck_assert_int_eq(pthread_create(&t, NULL, sr_write, &w), 0);
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(round % 5) * 40000;
		(void)nanosleep(&ts, NULL);
		ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
		/* The peer reads to the end: every byte reported sent. */
		for (got = 0;; got += (size_t)n) {
			n = uk_read(sv[1], buf, sizeof(buf));
			ck_assert_msg(n >= 0, "round %d: read: %s", round,
			    strerror(errno));
			if (n == 0)
				break;
			uktest_fill(want, (size_t)n, 1700, got);
			ck_assert_msg(memcmp(buf, want, (size_t)n) == 0,
			    "round %d: bytes %zu.. differ", round, got);
		}
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		ck_assert_int_eq(w.error, EPIPE);
		/*
		 * A write cut short by the shutdown reports EPIPE even for
		 * the part it queued (as FreeBSD's sosend()), so up to one
		 * chunk more may arrive; never less than reported.
		 */
		ck_assert_msg(got >= w.sent && got < w.sent + w.chunk,
		    "round %d: %zu bytes written, %zu arrived", round, w.sent,
		    got);
		/* Nothing left to retransmit after the FIN. */
		(void)uk_net_run();
		ck_assert_int_eq(uk_net_stats(sv[0], &ns), 0);
		ck_assert_msg(ns.state == UK_TCPS_FIN_WAIT_2, "round %d: "
		    "state %d", round, ns.state);
		tfx_finish(sv, 2);
	}
	ck_assert_int_eq(uk_set_workers(0), 0);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("tcp_mt_shutdown_send");
	tc = kfx_tcase("shutdown_send");
	tcase_add_loop_test(tc, test_shutdown_send_race, 0, 2);
	suite_add_tcase(s, tc);
	return (uktest_run(s));
}
