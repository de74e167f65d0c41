/*
 * Software KTLS transmit over the TCP shim.  One end has a transmit
 * session; the other is a plain socket whose bytes the model
 * (model/tls_record.h) opens record by record, so nothing here depends
 * on the receive path.  Every suite, with faults that cut records across
 * segments; sendfile; and the rule that TCP never sends data that is not
 * ready: records still being encrypted, and everything behind them,
 * stay in the send buffer however open the window is.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <uktls/ktls.h>
#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/testing.h>
#include <uktls/uktls.h>

#include "ktls_fixture.h"
#include "tcp_fixture.h"
#include "uktest.h"

/* A TCP pair whose sv[0] has a transmit session for suite s at seq. */
static void
tk_open(struct kfx_conn *c, int sv[2], const struct tlsm_suite *s,
    uint32_t stream, uint64_t seq)
{
	struct tls_enable en;

	memset(c, 0, sizeof(*c));
	tfx_pair(sv);
	c->s = sv[0];
	c->suite = s;
	c->seq0 = seq;
	kfx_state(s, stream, &c->st);
	kfx_enable_of(&c->st, seq, &en);
	ck_assert_msg(uk_setsockopt(sv[0], IPPROTO_TCP, TCP_TXTLS_ENABLE, &en,
	    sizeof(en)) == 0, "%s: TCP_TXTLS_ENABLE: %s", s->name,
	    strerror(errno));
}

/* End of stream on sv[0]; everything sv[1] then reads goes to c->wire. */
static void
tk_drain(struct kfx_conn *c, int sv[2], struct tfx_sink *k)
{

	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	k->step = 0;
	while (!k->eof) {
		(void)uk_net_run();
		(void)tfx_sink_turn(k);
	}
	kfx_buf_add(&c->wire, k->buf, k->len);
}

/*
 * Every suite: 100000 bytes of writes and an alert record over a link
 * that loses, reorders and splits; the peer's bytes open as records.
 */
START_TEST(test_tcp_ktls_suites)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_net_config conf;
	struct kfx_result r;
	struct tfx_sink k;
	struct kfx_conn c;
	uint8_t *data, alert[2] = { 1, 0 };
	size_t len;
	int sv[2];

	len = 100000;
	tfx_faults(&conf, 700 + (uint64_t)_i, 2.0, 3.0, 1.0, 40.0);
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	tk_open(&c, sv, s, 60 + (uint32_t)_i, 9);
	data = malloc(len + sizeof(alert));
	uktest_fill(data, len, 61, 0);
	memcpy(data + len, alert, sizeof(alert));

	memset(&k, 0, sizeof(k));
	k.fd = sv[1];
	k.step = 5000;
	uk_net_set_idle(tfx_sink_turn, &k);
	tfx_send_all(sv[0], 61, len, 30000);
	ck_assert_int_eq(kfx_send_type(sv[0], alert, sizeof(alert),
	    TLS_RLTYPE_ALERT), (ssize_t)sizeof(alert));
	tk_drain(&c, sv, &k);

	kfx_expect(&c, data, len + sizeof(alert), &r);
	ck_assert_uint_ge(r.nrec, (len + 16383) / 16384 + 1);
	ck_assert_uint_eq(r.types[r.nrec - 1], TLS_RLTYPE_ALERT);
	ck_assert_uint_eq(r.lens[r.nrec - 1], sizeof(alert));
	kfx_result_free(&r);
	kfx_buf_free(&c.wire);
	tfx_sink_free(&k);
	free(data);
	tfx_finish(sv, 2);
}
END_TEST

/*
 * Nothing past sb_fnrdy: in the deterministic mode encryption runs only
 * when the queue runs, so after the writes nothing may have been sent,
 * and after each step of the queue no more than what was ready.
 */
START_TEST(test_tcp_ktls_fnrdy)
{
	struct uk_test_sbinfo info;
	struct uk_net_stats st;
	struct kfx_result r;
	struct tfx_sink k;
	struct kfx_conn c;
	uint64_t total;
	uint8_t *data;
	int sndbuf, steps, sv[2];

	tk_open(&c, sv, &tlsm_suites[0], 70, 0);
	sndbuf = 256 << 10;
	ck_assert_int_eq(uk_setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)), 0);
	data = malloc(120000);
	uktest_fill(data, 120000, 71, 0);
	/* Three writes, three batches for the workers. */
	ck_assert_int_eq(uk_write(sv[0], data, 40000), 40000);
	ck_assert_int_eq(uk_write(sv[0], data + 40000, 40000), 40000);
	ck_assert_int_eq(uk_write(sv[0], data + 80000, 40000), 40000);
	ck_assert_int_eq(uk_test_sndbuf_info(sv[0], &info), 0);
	ck_assert_uint_eq(info.acc, 0);
	ck_assert_int_gt(info.nnotready, 0);
	total = info.ccc;
	ck_assert_int_eq(uk_net_stats(sv[0], &st), 0);
	ck_assert_uint_eq(st.snd_byte, 0);
	ck_assert_uint_eq(st.snd_pack, 0);

	/* One work item at a time: sent <= acknowledged + ready. */
	for (steps = 0; uk_run_one(); steps++) {
		ck_assert_int_eq(uk_test_sndbuf_info(sv[0], &info), 0);
		ck_assert_int_eq(uk_net_stats(sv[0], &st), 0);
		ck_assert_msg(st.snd_byte <= (total - info.ccc) + info.acc,
		    "step %d: %ju bytes sent, %ju acknowledged, %u ready",
		    steps, (uintmax_t)st.snd_byte,
		    (uintmax_t)(total - info.ccc), info.acc);
		if (info.acc == 0)
			ck_assert_uint_eq(st.snd_byte, 0);
	}
	ck_assert_int_ge(steps, 2);

	memset(&k, 0, sizeof(k));
	k.fd = sv[1];
	tk_drain(&c, sv, &k);
	kfx_expect(&c, data, 120000, &r);
	/*
	 * Every record byte went out once at least; a zero-window probe
	 * (the reader was not reading) makes the segment after it count
	 * as a resend.
	 */
	ck_assert_int_eq(uk_net_stats(sv[0], &st), 0);
	ck_assert_uint_le(st.snd_byte, total);
	ck_assert_uint_ge(st.snd_byte + st.snd_rexmitbyte + st.snd_probe,
	    total);
	kfx_result_free(&r);
	kfx_buf_free(&c.wire);
	tfx_sink_free(&k);
	free(data);
	tfx_finish(sv, 2);
}
END_TEST

/*
 * sendfile whose simulated I/O completes last batch first: the batches
 * that finish early are blocked behind the first, and nothing is sent
 * until it is ready.
 */
START_TEST(test_tcp_ktls_sendfile_reverse)
{
	struct uk_test_sbinfo info;
	struct uk_net_stats st;
	struct kfx_result r;
	struct tfx_sink k;
	struct kfx_conn c;
	uint8_t *data;
	off_t sent;
	int fd, one, sndbuf, sv[2];

	one = 1;
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.sendfile.reverse_io", NULL,
	    &one), 0);
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.sendfile.io_mbufs", NULL,
	    &one), 0);
	data = malloc(70000);
	uktest_fill(data, 70000, 72, 0);
	fd = uk_file_create(data, 70000);
	ck_assert_int_ge(fd, 0);
	tk_open(&c, sv, &tlsm_suites[3], 73, 100);
	sndbuf = 256 << 10;
	ck_assert_int_eq(uk_setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)), 0);
	ck_assert_int_eq(uk_sendfile(fd, sv[0], 1000, 65000, NULL, &sent, 0),
	    0);
	ck_assert_int_eq(sent, 65000);
	while (uk_run_one()) {
		ck_assert_int_eq(uk_test_sndbuf_info(sv[0], &info), 0);
		ck_assert_int_eq(uk_net_stats(sv[0], &st), 0);
		if (info.acc == 0)
			ck_assert_uint_eq(st.snd_byte, 0);
	}
	memset(&k, 0, sizeof(k));
	k.fd = sv[1];
	tk_drain(&c, sv, &k);
	kfx_expect(&c, data + 1000, 65000, &r);
	kfx_result_free(&r);
	kfx_buf_free(&c.wire);
	tfx_sink_free(&k);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
	free(data);
	tfx_finish(sv, 2);
}
END_TEST

/*
 * Plain sendfile with one simulated I/O per mbuf, each completing as its
 * own work item: forward, only the mbufs whose I/O is done may go out;
 * in reverse, nothing goes out until the first one is done.
 */
START_TEST(test_tcp_sendfile_ready)
{
	struct uk_test_sbinfo info;
	struct uk_net_stats st;
	struct tfx_sink k;
	uint64_t total;
	uint8_t *data;
	off_t sent;
	int fd, one, rev, sndbuf, steps, sv[2];

	one = 1;
	rev = _i;
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.sendfile.reverse_io", NULL,
	    &rev), 0);
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.sendfile.io_mbufs", NULL,
	    &one), 0);
	data = malloc(100000);
	uktest_fill(data, 100000, 77, 0);
	fd = uk_file_create(data, 100000);
	ck_assert_int_ge(fd, 0);
	tfx_pair(sv);
	sndbuf = 256 << 10;
	ck_assert_int_eq(uk_setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)), 0);
	ck_assert_int_eq(uk_sendfile(fd, sv[0], 10, 90000, NULL, &sent, 0), 0);
	ck_assert_int_eq(sent, 90000);
	ck_assert_int_eq(uk_test_sndbuf_info(sv[0], &info), 0);
	ck_assert_int_ge(info.nnotready, 4);
	total = info.ccc;
	for (steps = 0; uk_run_one(); steps++) {
		ck_assert_int_eq(uk_test_sndbuf_info(sv[0], &info), 0);
		ck_assert_int_eq(uk_net_stats(sv[0], &st), 0);
		ck_assert_msg(st.snd_byte <= (total - info.ccc) + info.acc,
		    "step %d: %ju bytes sent, %ju acknowledged, %u ready",
		    steps, (uintmax_t)st.snd_byte,
		    (uintmax_t)(total - info.ccc), info.acc);
		if (rev && info.nnotready > 0)
			ck_assert_uint_eq(st.snd_byte, 0);
		/* Forward, after the first I/O: part sent, part held. */
		if (!rev && steps == 0) {
			ck_assert_uint_gt(st.snd_byte, 0);
			ck_assert_uint_le(st.snd_byte, 20470);
			ck_assert_int_gt(info.nnotready, 0);
		}
	}
	ck_assert_int_ge(steps, 5);
	memset(&k, 0, sizeof(k));
	k.fd = sv[1];
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	while (!k.eof) {
		(void)uk_net_run();
		(void)tfx_sink_turn(&k);
	}
	ck_assert_uint_eq(k.len, 90000);
	ck_assert_int_eq(memcmp(k.buf, data + 10, 90000), 0);
	tfx_sink_free(&k);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
	free(data);
	tfx_finish(sv, 2);
}
END_TEST

/* Large sendfile and writes mixed, blocking, under faults. */
START_TEST(test_tcp_ktls_sendfile)
{
	struct uk_net_config conf;
	struct kfx_result r;
	struct tfx_sink k;
	struct kfx_conn c;
	uint8_t *data, *want;
	off_t sent;
	size_t flen;
	int fd, sv[2];

	flen = 1 << 20;
	data = malloc(flen);
	uktest_fill(data, flen, 74, 0);
	fd = uk_file_create(data, flen);
	ck_assert_int_ge(fd, 0);
	tfx_faults(&conf, 75, 1.0, 2.0, 1.0, 20.0);
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	tk_open(&c, sv, &tlsm_suites[_i * 5], 76, 0);
	memset(&k, 0, sizeof(k));
	k.fd = sv[1];
	k.step = 20000;
	uk_net_set_idle(tfx_sink_turn, &k);
	ck_assert_int_eq(uk_write(sv[0], "HTTP/1.1 200 OK\r\n\r\n", 19), 19);
	ck_assert_int_eq(uk_sendfile(fd, sv[0], 333, 0, NULL, &sent, 0), 0);
	ck_assert_int_eq(sent, (off_t)(flen - 333));
	tk_drain(&c, sv, &k);
	want = malloc(flen);
	memcpy(want, "HTTP/1.1 200 OK\r\n\r\n", 19);
	memcpy(want + 19, data + 333, flen - 333);
	kfx_expect(&c, want, 19 + flen - 333, &r);
	kfx_result_free(&r);
	kfx_buf_free(&c.wire);
	tfx_sink_free(&k);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
	free(want);
	free(data);
	tfx_finish(sv, 2);
}
END_TEST

static Suite *
tcp_ktls_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("tcp_ktls");
	tc = kfx_tcase("suites");
	tcase_add_loop_test(tc, test_tcp_ktls_suites, 0, TLSM_NSUITES);
	suite_add_tcase(s, tc);
	tc = kfx_tcase("ready");
	tcase_add_test(tc, test_tcp_ktls_fnrdy);
	tcase_add_test(tc, test_tcp_ktls_sendfile_reverse);
	tcase_add_loop_test(tc, test_tcp_sendfile_ready, 0, 2);
	tcase_add_loop_test(tc, test_tcp_ktls_sendfile, 0, 3);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(tcp_ktls_suite()));
}
