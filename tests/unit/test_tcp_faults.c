/*
 * The TCP shim under faults (loss, reordering, duplication, segment
 * splitting), in the deterministic mode, with many seeds: the bytes
 * delivered are exactly the bytes sent, both ways, and the statistics
 * show that the faults happened and were repaired (retransmissions,
 * out-of-order and duplicate segments).  The same seed replays the
 * same run.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/uktls.h>

#include "tcp_fixture.h"
#include "uktest.h"

/* One run: a pair under conf, a and b bytes each way, then close. */
static void
faults_run(const struct uk_net_config *conf, size_t a_len, size_t b_len,
    struct uk_net_stats *sa, struct uk_net_stats *sb)
{
	struct tfx_end a, b;
	int sv[2];

	ck_assert_int_eq(uk_net_config(conf, NULL), 0);
	tfx_pair(sv);
	tfx_end_init(&a, sv[0], 31, a_len, 32, b_len);
	tfx_end_init(&b, sv[1], 32, b_len, 31, a_len);
	tfx_pump(&a, &b);
	ck_assert_int_eq(uk_net_stats(sv[0], sa), 0);
	ck_assert_int_eq(uk_net_stats(sv[1], sb), 0);
	tfx_end_free(&a);
	tfx_end_free(&b);
	tfx_finish(sv, 2);
}

/* Every fault at once, twelve seeds, 3 MiB and 1 MiB. */
START_TEST(test_faults_mixed)
{
	struct uk_net_config conf;
	struct uk_net_stats a, b;

	tfx_faults(&conf, 1000 + (uint64_t)_i, 2.0, 3.0, 2.0, 25.0);
	faults_run(&conf, 3 << 20, 1 << 20, &a, &b);
	/* The faults happened, and the senders repaired the losses. */
	ck_assert_uint_gt(a.fault_lost, 0);
	ck_assert_uint_gt(a.fault_reordered, 0);
	ck_assert_uint_gt(a.fault_duplicated, 0);
	ck_assert_uint_gt(a.fault_split, 0);
	ck_assert_uint_gt(a.snd_rexmitpack, 0);
	ck_assert_uint_gt(b.rcv_oopack, 0);
	ck_assert_uint_gt(b.rcv_duppack, 0);
	ck_assert_uint_eq(a.snd_byte, 3 << 20);
	ck_assert_uint_eq(b.rcv_byte, 3 << 20);
	ck_assert_uint_eq(b.snd_byte, 1 << 20);
	ck_assert_uint_eq(a.rcv_byte, 1 << 20);
}
END_TEST

/* Heavy loss: timeouts and fast retransmits both. */
START_TEST(test_faults_loss)
{
	struct uk_net_config conf;
	struct uk_net_stats a, b;

	tfx_faults(&conf, 2000 + (uint64_t)_i, 15.0, 0, 0, 0);
	faults_run(&conf, 1 << 20, 64 << 10, &a, &b);
	ck_assert_uint_gt(a.fault_lost, 50);
	ck_assert_uint_gt(a.snd_rexmitpack, 50);
	ck_assert_uint_gt(a.rexmt_timeouts + a.fast_rexmits, 0);
	ck_assert_uint_gt(a.fast_rexmits, 0);
	ck_assert_uint_gt(b.rcv_dupack + a.rcv_dupack, 0);
}
END_TEST

/* Reordering alone: out-of-order queueing, nothing lost. */
START_TEST(test_faults_reorder)
{
	struct uk_net_config conf;
	struct uk_net_stats a, b;

	tfx_faults(&conf, 3000 + (uint64_t)_i, 0, 30.0, 0, 0);
	faults_run(&conf, 1 << 20, 1 << 20, &a, &b);
	ck_assert_uint_eq(a.fault_lost + b.fault_lost, 0);
	ck_assert_uint_gt(a.fault_reordered, 100);
	ck_assert_uint_gt(b.rcv_oopack, 100);
	ck_assert_uint_gt(a.rcv_oopack, 0);
}
END_TEST

/* Duplication alone: duplicates dropped, never delivered twice. */
START_TEST(test_faults_dup)
{
	struct uk_net_config conf;
	struct uk_net_stats a, b;

	tfx_faults(&conf, 4000 + (uint64_t)_i, 0, 0, 30.0, 0);
	faults_run(&conf, 1 << 20, 256 << 10, &a, &b);
	ck_assert_uint_gt(a.fault_duplicated, 100);
	ck_assert_uint_gt(b.rcv_duppack, 100);
	ck_assert_uint_eq(b.rcv_byte, 1 << 20);
	/*
	 * A duplicated segment is acknowledged at once: a duplicate ACK,
	 * and three of them make a (spurious) fast retransmit, after which
	 * every partial ACK resends the next segment (NewReno without
	 * SACK), as on a real network.  Nothing was lost, so no timer
	 * expired, and every resend came from fast recovery.
	 */
	ck_assert_uint_eq(a.rexmt_timeouts + b.rexmt_timeouts, 0);
	if (a.snd_rexmitpack > 0)
		ck_assert_uint_gt(a.fast_rexmits, 0);
}
END_TEST

/* Every segment cut at a random point. */
START_TEST(test_faults_split)
{
	struct uk_net_config conf;
	struct uk_net_stats a, b;

	tfx_faults(&conf, 5000 + (uint64_t)_i, 0, 0, 0, 100.0);
	faults_run(&conf, 1 << 20, 1 << 20, &a, &b);
	ck_assert_uint_gt(a.fault_split, 500);
	/* Twice as many segments as full ones would need, at least. */
	ck_assert_uint_gt(a.snd_pack, 2 * ((1 << 20) / 1448));
	ck_assert_uint_eq(b.rcv_byte, 1 << 20);
}
END_TEST

/* The same seed gives the same run, packet for packet. */
START_TEST(test_faults_replay)
{
	struct uk_net_config conf;
	struct uk_net_stats a1, b1, a2, b2;
	uint64_t t1, t2;

	tfx_faults(&conf, 77, 5.0, 5.0, 5.0, 30.0);
	faults_run(&conf, 512 << 10, 256 << 10, &a1, &b1);
	t1 = uk_clock_ns();
	uk_reset(UKTEST_SEED);
	faults_run(&conf, 512 << 10, 256 << 10, &a2, &b2);
	t2 = uk_clock_ns();
	ck_assert_uint_eq(t1, t2);
	ck_assert_int_eq(memcmp(&a1, &a2, sizeof(a1)), 0);
	ck_assert_int_eq(memcmp(&b1, &b2, sizeof(b1)), 0);
	/* Another seed, another run. */
	uk_reset(UKTEST_SEED);
	conf.seed = 78;
	faults_run(&conf, 512 << 10, 256 << 10, &a2, &b2);
	ck_assert(a1.fault_lost != a2.fault_lost ||
	    a1.snd_total != a2.snd_total || a1.fault_split != a2.fault_split);
}
END_TEST

/*
 * Blocking writes of megabytes under faults, the idle hook reading the
 * other end.
 */
START_TEST(test_faults_blocking)
{
	struct uk_net_config conf;
	struct tfx_sink k;
	int sv[2];

	tfx_faults(&conf, 6000 + (uint64_t)_i, 3.0, 3.0, 3.0, 30.0);
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	tfx_pair(sv);
	memset(&k, 0, sizeof(k));
	k.fd = sv[1];
	k.step = 3000;
	uk_net_set_idle(tfx_sink_turn, &k);
	tfx_send_all(sv[0], 41, 5 << 20, 1 << 20);
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	k.step = 0;
	while (!k.eof) {
		(void)uk_net_run();
		(void)tfx_sink_turn(&k);
	}
	ck_assert_uint_eq(k.len, 5 << 20);
	tfx_check(k.buf, k.len, 41, 0);
	tfx_sink_free(&k);
	tfx_finish(sv, 2);
}
END_TEST

/*
 * The handshake under loss: SYN and SYN-ACK are retransmitted.  With
 * every segment lost, connect gives up with ETIMEDOUT after twelve
 * retransmissions.
 */
START_TEST(test_faults_handshake)
{
	struct uk_net_config conf;
	struct sockaddr_in sin;
	struct uk_net_stats st;
	socklen_t len;
	uint64_t t0;
	int c, l, s;

	l = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(uk_listen(l, 1), 0);
	len = sizeof(sin);
	ck_assert_int_eq(uk_getsockname(l, (struct sockaddr *)&sin, &len), 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	tfx_faults(&conf, 9, 100.0, 0, 0, 0);
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	c = uk_socket(AF_INET, SOCK_STREAM, 0);
	t0 = uk_clock_ns();
	errno = 0;
	ck_assert_int_eq(uk_connect(c, (struct sockaddr *)&sin, sizeof(sin)),
	    -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_int_eq(uk_net_stats(c, &st), 0);
	ck_assert_uint_eq(st.rexmt_timeouts, 12);
	ck_assert_uint_eq(st.snd_rexmitpack, 12);
	/* 1 + 2 + 4 + 8 + 16 + 32 + 64 * 7 s of backoff, at least. */
	ck_assert_uint_ge(uk_clock_ns() - t0, 511ULL * 1000000000ULL);
	ck_assert_int_eq(uk_close(c), 0);

	/* Half of them lost: it takes retransmissions, and it works. */
	tfx_faults(&conf, 10, 50.0, 0, 0, 0);
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	ck_assert_int_eq(uk_net_conn_config(l, &conf, NULL), 0);
	c = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(uk_connect(c, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	s = uk_accept(l, NULL, NULL);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(uk_write(c, "through", 7), 7);
	{
		char buf[8];

		ck_assert_int_eq(uk_read(s, buf, sizeof(buf)), 7);
		ck_assert_int_eq(memcmp(buf, "through", 7), 0);
	}
	{
		struct uk_net_stats sc, ss;

		ck_assert_int_eq(uk_net_stats(c, &sc), 0);
		ck_assert_int_eq(uk_net_stats(s, &ss), 0);
		ck_assert_uint_gt(sc.fault_lost + ss.fault_lost, 0);
		ck_assert_uint_gt(sc.snd_rexmitpack + ss.snd_rexmitpack, 0);
	}
	{
		int fds[] = { c, s, l };

		tfx_finish(fds, 3);
	}
}
END_TEST

static Suite *
faults_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("tcp_faults");
	tc = uktest_tcase("mixed");
	tcase_add_loop_test(tc, test_faults_mixed, 0, 12);
	tcase_add_test(tc, test_faults_replay);
	suite_add_tcase(s, tc);
	tc = uktest_tcase("each");
	tcase_add_loop_test(tc, test_faults_loss, 0, 4);
	tcase_add_loop_test(tc, test_faults_reorder, 0, 4);
	tcase_add_loop_test(tc, test_faults_dup, 0, 4);
	tcase_add_loop_test(tc, test_faults_split, 0, 4);
	suite_add_tcase(s, tc);
	tc = uktest_tcase("blocking");
	tcase_add_loop_test(tc, test_faults_blocking, 0, 4);
	tcase_add_test(tc, test_faults_handshake);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(faults_suite()));
}
