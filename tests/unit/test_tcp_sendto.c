/*
 * sendto() (uk_sendto, uk_sendmsg with msg_name) over the TCP shim, and
 * KTLS sessions set on a socket before it connects or listens.
 *
 * On a socket not connected yet TCP checks the destination as FreeBSD's
 * tcp_usr_send() does (EINVAL listening, EAFNOSUPPORT multicast, EACCES
 * broadcast) and has no implied connect (ENOTCONN); a connected socket
 * ignores the destination.  With a transmit session the data has been
 * framed into records before TCP refuses it: the error path frees them
 * (and their session references) once.
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
#include <uktls/stats.h>
#include <uktls/testing.h>
#include <uktls/uktls.h>

#include "ktls_fixture.h"
#include "tcp_fixture.h"
#include "uktest.h"

static struct sockaddr_in
ts_dst(in_addr_t a, uint16_t port)
{
	struct sockaddr_in sin;

	sin = tfx_sin(port);
	sin.sin_addr.s_addr = htonl(a);
	return (sin);
}

static ssize_t
ts_sendto(int s, const void *buf, size_t len, in_addr_t a)
{
	struct sockaddr_in dst;

	dst = ts_dst(a, 12345);
	return (uk_sendto(s, buf, len, 0, (struct sockaddr *)&dst,
	    sizeof(dst)));
}

static void
ts_enable(int s, int name, const struct tlsm_suite *su, uint32_t stream,
    struct tlsm_state *st)
{
	struct tls_enable en;

	kfx_state(su, stream, st);
	kfx_enable_of(st, 5, &en);
	ck_assert_msg(uk_setsockopt(s, IPPROTO_TCP, name, &en,
	    sizeof(en)) == 0, "%s", strerror(errno));
}

/* A socket that is a TCP endpoint (not a sink) in the given state. */
static void
ts_assert_tcp(int s, int state)
{
	struct uk_net_stats st;

	ck_assert_msg(uk_net_stats(s, &st) == 0, "not TCP: %s",
	    strerror(errno));
	ck_assert_int_eq(st.state, state);
}

/*
 * ktls_test's sendto_baddst: a new socket with a transmit session, a
 * send to the broadcast address.  Every suite, short and long (several
 * records framed before TCP refuses them).
 */
START_TEST(test_sendto_broadcast_ktls)
{
	const struct tlsm_suite *su = &tlsm_suites[_i / 2];
	struct uk_test_sbinfo info;
	struct uk_ktls_stats st0, st1;
	struct tlsm_state st;
	uint8_t *buf;
	size_t len;
	int s;

	len = _i % 2 == 0 ? 32 : 20000;
	buf = calloc(1, len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(uk_ktls_stats(&st0), 0);
	s = uk_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	ck_assert_int_ge(s, 0);
	ts_enable(s, TCP_TXTLS_ENABLE, su, 40 + (uint32_t)_i, &st);
	errno = 0;
	ck_assert_int_eq(ts_sendto(s, buf, len, INADDR_BROADCAST), -1);
	ck_assert_int_eq(errno, EACCES);
	/* Nothing stayed queued, nothing was encrypted. */
	ck_assert_int_eq(uk_test_sndbuf_info(s, &info), 0);
	ck_assert_uint_eq(info.ccc, 0);
	ck_assert_int_eq(info.nmbufs, 0);
	ck_assert_int_eq(uk_run(), 0);
	ck_assert_int_eq(uk_ktls_stats(&st1), 0);
	ck_assert_int_eq(st1.encrypt_records, st0.encrypt_records);
	ts_assert_tcp(s, UK_TCPS_CLOSED);
	/* Again: the socket is still usable and still refuses. */
	errno = 0;
	ck_assert_int_eq(ts_sendto(s, buf, len, INADDR_BROADCAST), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(uk_close(s), 0);
	free(buf);
	tfx_finish(NULL, 0);
}
END_TEST

/* FreeBSD's destination checks, in order, on an unconnected socket. */
START_TEST(test_sendto_checks)
{
	struct sockaddr_in dst;
	struct msghdr msg;
	struct iovec iov;
	char buf[8] = "abcdefg";
	int l, s;

	s = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	errno = 0;
	ck_assert_int_eq(ts_sendto(s, buf, sizeof(buf), 0xe0000001), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	ts_assert_tcp(s, UK_TCPS_CLOSED);
	errno = 0;
	ck_assert_int_eq(ts_sendto(s, buf, sizeof(buf), INADDR_BROADCAST),
	    -1);
	ck_assert_int_eq(errno, EACCES);
	/* A good destination: no implied connect. */
	errno = 0;
	ck_assert_int_eq(ts_sendto(s, buf, sizeof(buf), INADDR_LOOPBACK), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	/* No destination at all. */
	errno = 0;
	ck_assert_int_eq(uk_write(s, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ENOTCONN);

	/* Shapes the API refuses: short, another family. */
	dst = ts_dst(INADDR_BROADCAST, 1);
	errno = 0;
	ck_assert_int_eq(uk_sendto(s, buf, sizeof(buf), 0,
	    (struct sockaddr *)&dst, sizeof(dst) - 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	dst.sin_family = AF_INET6;
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &dst;
	msg.msg_namelen = sizeof(dst);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	errno = 0;
	ck_assert_int_eq(uk_sendmsg(s, &msg, 0), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	ck_assert_int_eq(uk_close(s), 0);

	/* A listener: EINVAL. */
	l = uk_socket(AF_INET, SOCK_STREAM, 0);
	dst = ts_dst(INADDR_LOOPBACK, 0);
	ck_assert_int_eq(uk_bind(l, (struct sockaddr *)&dst, sizeof(dst)), 0);
	ck_assert_int_eq(uk_listen(l, 1), 0);
	errno = 0;
	ck_assert_int_eq(ts_sendto(l, buf, sizeof(buf), INADDR_BROADCAST), -1);
	ck_assert_int_eq(errno, EINVAL);
	tfx_finish(&l, 1);
}
END_TEST

/* Connected sockets ignore the destination; so does a used sink. */
START_TEST(test_sendto_connected)
{
	char buf[16], got[16];
	int k, sv[2];

	memset(buf, 'x', sizeof(buf));
	tfx_pair(sv);
	ck_assert_int_eq(ts_sendto(sv[0], buf, sizeof(buf), INADDR_BROADCAST),
	    (ssize_t)sizeof(buf));
	ck_assert_int_eq(uk_read(sv[1], got, sizeof(got)),
	    (ssize_t)sizeof(got));
	ck_assert(memcmp(buf, got, sizeof(got)) == 0);
	tfx_finish(sv, 2);

	k = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(uk_write(k, buf, 1), 1);
	ck_assert_int_eq(ts_sendto(k, buf + 1, sizeof(buf) - 1,
	    INADDR_BROADCAST), (ssize_t)sizeof(buf) - 1);
	ck_assert_int_eq(uk_test_sndbuf_take(k, got, sizeof(got)),
	    (ssize_t)sizeof(got));
	ck_assert(memcmp(buf, got, sizeof(got)) == 0);
	ck_assert_int_eq(uk_close(k), 0);
}
END_TEST

/*
 * A transmit session set before connect(): the socket still connects,
 * and its records (sequence numbers from the session's start) open.
 */
START_TEST(test_ktls_before_connect)
{
	const struct tlsm_suite *su = &tlsm_suites[_i];
	struct sockaddr_in sin;
	struct kfx_result r;
	struct tfx_sink k;
	struct kfx_conn c;
	socklen_t len;
	uint8_t data[40000];
	int fds[3], l, s;

	l = uk_socket(AF_INET, SOCK_STREAM, 0);
	sin = ts_dst(INADDR_LOOPBACK, 0);
	ck_assert_int_eq(uk_bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(uk_listen(l, 1), 0);
	len = sizeof(sin);
	ck_assert_int_eq(uk_getsockname(l, (struct sockaddr *)&sin, &len), 0);

	memset(&c, 0, sizeof(c));
	c.s = uk_socket(AF_INET, SOCK_STREAM, 0);
	c.suite = su;
	c.seq0 = 5;
	ts_enable(c.s, TCP_TXTLS_ENABLE, su, 60 + (uint32_t)_i, &c.st);
	ck_assert_int_eq(uk_connect(c.s, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	ts_assert_tcp(c.s, UK_TCPS_ESTABLISHED);
	s = uk_accept(l, NULL, NULL);
	ck_assert_int_ge(s, 0);

	uktest_fill(data, sizeof(data), 61, 0);
	memset(&k, 0, sizeof(k));
	k.fd = s;
	uk_net_set_idle(tfx_sink_turn, &k);
	ck_assert_int_eq(uk_write(c.s, data, sizeof(data)),
	    (ssize_t)sizeof(data));
	ck_assert_int_eq(uk_shutdown(c.s, SHUT_WR), 0);
	while (!k.eof) {
		(void)uk_net_run();
		(void)tfx_sink_turn(&k);
	}
	kfx_buf_add(&c.wire, k.buf, k.len);
	kfx_expect(&c, data, sizeof(data), &r);
	ck_assert_uint_ge(r.nrec, 3);
	kfx_result_free(&r);
	kfx_buf_free(&c.wire);
	tfx_sink_free(&k);
	fds[0] = c.s;
	fds[1] = s;
	fds[2] = l;
	tfx_finish(fds, 3);
}
END_TEST

/*
 * ktls_test's listening_socket on sockets that become TCP: a session
 * either way keeps listen() from working (EINVAL) although the socket
 * is a TCP endpoint; the same socket without one listens.
 */
START_TEST(test_ktls_then_listen)
{
	static const int opts[] = { TCP_TXTLS_ENABLE, TCP_RXTLS_ENABLE };
	struct tlsm_state st;
	size_t i;
	int s;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		s = uk_socket(AF_INET, SOCK_STREAM, 0);
		ts_enable(s, opts[i], &tlsm_suites[2], 70 + (uint32_t)i, &st);
		errno = 0;
		ck_assert_int_eq(uk_listen(s, 1), -1);
		ck_assert_int_eq(errno, EINVAL);
		ts_assert_tcp(s, UK_TCPS_CLOSED);
		ck_assert_int_eq(uk_close(s), 0);
	}

	s = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(uk_listen(s, 1), 0);
	ts_assert_tcp(s, UK_TCPS_LISTEN);
	tfx_finish(&s, 1);
}
END_TEST

static Suite *
tcp_sendto_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("tcp_sendto");
	tc = kfx_tcase("sendto");
	tcase_add_loop_test(tc, test_sendto_broadcast_ktls, 0,
	    2 * TLSM_NSUITES);
	tcase_add_test(tc, test_sendto_checks);
	tcase_add_test(tc, test_sendto_connected);
	tcase_add_loop_test(tc, test_ktls_before_connect, 0, TLSM_NSUITES);
	tcase_add_test(tc, test_ktls_then_listen);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(tcp_sendto_suite()));
}
