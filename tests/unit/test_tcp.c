/*
 * The loopback TCP shim through the socket API, in the deterministic
 * mode: the handshake and the calls around it, data both ways, the MSS,
 * the receive window (a slow reader stalls the writer, which resumes),
 * blocking writes of megabytes with the idle hook, FIN and end of
 * stream, resets on close with unread data and on data for a closed
 * socket, uk_poll(), and what stays of a sink.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/testing.h>
#include <uktls/uktls.h>

#include "tcp_fixture.h"
#include "uktest.h"

static int
tcp_state(int s)
{
	struct uk_net_stats st;

	ck_assert_int_eq(uk_net_stats(s, &st), 0);
	return (st.state);
}

/* listen, connect, accept: addresses, states, and the errors around. */
START_TEST(test_tcp_handshake)
{
	struct sockaddr_in sin, name, peer;
	struct uk_net_stats st;
	socklen_t len;
	int c, l, l2, s, v;

	l = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(l, 0);
	sin = tfx_sin(5000);
	ck_assert_int_eq(uk_bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(uk_listen(l, 4), 0);
	ck_assert_int_eq(tcp_state(l), UK_TCPS_LISTEN);

	/* The port is taken; another listener cannot have it. */
	l2 = uk_socket(AF_INET, SOCK_STREAM, 0);
	errno = 0;
	ck_assert_int_eq(uk_bind(l2, (struct sockaddr *)&sin, sizeof(sin)),
	    -1);
	ck_assert_int_eq(errno, EADDRINUSE);
	ck_assert_int_eq(uk_close(l2), 0);

	/* Nothing to accept yet, and nothing can come. */
	errno = 0;
	ck_assert_int_eq(uk_accept4(l, NULL, NULL, SOCK_NONBLOCK), -1);
	ck_assert_int_eq(errno, EAGAIN);
	errno = 0;
	ck_assert_int_eq(uk_accept(l, NULL, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);

	c = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(uk_connect(c, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	ck_assert_int_eq(tcp_state(c), UK_TCPS_ESTABLISHED);
	len = sizeof(peer);
	s = uk_accept(l, (struct sockaddr *)&peer, &len);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(len, sizeof(peer));
	ck_assert_int_eq(tcp_state(s), UK_TCPS_ESTABLISHED);
	/* Blocking, as its listener. */
	ck_assert_int_eq(uk_fcntl(s, F_GETFL) & O_NONBLOCK, 0);

	len = sizeof(name);
	ck_assert_int_eq(uk_getsockname(c, (struct sockaddr *)&name, &len),
	    0);
	ck_assert_int_eq(name.sin_family, AF_INET);
	ck_assert_uint_eq(ntohl(name.sin_addr.s_addr), INADDR_LOOPBACK);
	ck_assert_uint_ge(ntohs(name.sin_port), 49152);
	ck_assert_uint_eq(peer.sin_port, name.sin_port);
	ck_assert_uint_eq(peer.sin_addr.s_addr, name.sin_addr.s_addr);
	len = sizeof(name);
	ck_assert_int_eq(uk_getpeername(c, (struct sockaddr *)&name, &len),
	    0);
	ck_assert_uint_eq(ntohs(name.sin_port), 5000);
	len = sizeof(name);
	ck_assert_int_eq(uk_getsockname(s, (struct sockaddr *)&name, &len),
	    0);
	ck_assert_uint_eq(ntohs(name.sin_port), 5000);

	/* SYN, SYN-ACK, ACK: one control segment and one ACK each way. */
	ck_assert_int_eq(uk_net_stats(c, &st), 0);
	ck_assert_uint_eq(st.snd_ctrl, 1);
	ck_assert_uint_ge(st.snd_total, 2);
	ck_assert_uint_eq(st.maxseg, 1448);
	ck_assert_int_eq(uk_net_stats(s, &st), 0);
	ck_assert_uint_eq(st.snd_ctrl, 1);
	ck_assert_uint_eq(st.rcv_total, 2);
	ck_assert_uint_eq(st.rexmt_timeouts, 0);

	/* connect again: EISCONN; on a listener: EOPNOTSUPP. */
	errno = 0;
	ck_assert_int_eq(uk_connect(c, (struct sockaddr *)&sin, sizeof(sin)),
	    -1);
	ck_assert_int_eq(errno, EISCONN);
	errno = 0;
	ck_assert_int_eq(uk_connect(l, (struct sockaddr *)&sin, sizeof(sin)),
	    -1);
	ck_assert_int_eq(errno, EOPNOTSUPP);
	errno = 0;
	ck_assert_int_eq(uk_accept(c, NULL, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	len = sizeof(v);
	ck_assert_int_eq(uk_getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &len), 0);
	ck_assert_int_eq(v, 0);

	{
		int fds[] = { c, s, l };

		tfx_finish(fds, 3);
	}
}
END_TEST

/* Refused, unreachable, wrong family; a listener without bind. */
START_TEST(test_tcp_connect_errors)
{
	struct sockaddr_in sin, name;
	struct sockaddr sa;
	socklen_t len;
	int c, l, s;

	c = uk_socket(AF_INET, SOCK_STREAM, 0);
	sin = tfx_sin(4444);
	errno = 0;
	ck_assert_int_eq(uk_connect(c, (struct sockaddr *)&sin, sizeof(sin)),
	    -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_int_eq(tcp_state(c), UK_TCPS_CLOSED);
	ck_assert_int_eq(uk_close(c), 0);

	c = uk_socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(0x0a000001);
	errno = 0;
	ck_assert_int_eq(uk_connect(c, (struct sockaddr *)&sin, sizeof(sin)),
	    -1);
	ck_assert_int_eq(errno, ENETUNREACH);
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	errno = 0;
	ck_assert_int_eq(uk_connect(c, &sa, sizeof(sin)), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	errno = 0;
	ck_assert_int_eq(uk_connect(c, (struct sockaddr *)&sin, 3), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(uk_close(c), 0);

	/* listen() without bind(): an ephemeral port on any address. */
	l = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(uk_listen(l, 0), 0);
	len = sizeof(name);
	ck_assert_int_eq(uk_getsockname(l, (struct sockaddr *)&name, &len),
	    0);
	ck_assert_uint_eq(name.sin_addr.s_addr, htonl(INADDR_ANY));
	ck_assert_uint_ge(ntohs(name.sin_port), 49152);
	/* A non-blocking connect: EINPROGRESS, then writable. */
	c = uk_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sin = tfx_sin(ntohs(name.sin_port));
	errno = 0;
	ck_assert_int_eq(uk_connect(c, (struct sockaddr *)&sin, sizeof(sin)),
	    -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	ck_assert_int_eq(tcp_state(c), UK_TCPS_SYN_SENT);
	errno = 0;
	ck_assert_int_eq(uk_connect(c, (struct sockaddr *)&sin, sizeof(sin)),
	    -1);
	ck_assert_int_eq(errno, EALREADY);
	(void)uk_net_run();
	ck_assert_int_eq(tcp_state(c), UK_TCPS_ESTABLISHED);
	s = uk_accept(l, NULL, NULL);
	ck_assert_int_ge(s, 0);

	{
		int fds[] = { c, s, l };

		tfx_finish(fds, 3);
	}
}
END_TEST

/*
 * A socket used as a sink stays one; an unused one becomes TCP.  A
 * listener closed with connections in its queue resets them.
 */
START_TEST(test_tcp_sink_and_queue)
{
	struct sockaddr_in sin, name;
	socklen_t len;
	char buf[8];
	int c, c2, l, s;

	s = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(uk_write(s, "x", 1), 1);
	sin = tfx_sin(5001);
	errno = 0;
	ck_assert_int_eq(uk_connect(s, (struct sockaddr *)&sin, sizeof(sin)),
	    -1);
	ck_assert_int_eq(errno, EISCONN);
	errno = 0;
	ck_assert_int_eq(uk_listen(s, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(uk_net_stats(s, &(struct uk_net_stats){ 0 }), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(uk_test_sndbuf_take(s, buf, sizeof(buf)), 1);
	ck_assert_int_eq(uk_close(s), 0);

	l = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(uk_bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(uk_listen(l, 1), 0);
	c = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(uk_connect(c, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	ck_assert_int_eq(uk_write(c, "hello", 5), 5);
	(void)uk_net_run();
	/* The queue of one is full: the next SYN is dropped, then retried. */
	c2 = uk_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	errno = 0;
	ck_assert_int_eq(uk_connect(c2, (struct sockaddr *)&sin,
	    sizeof(sin)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	len = sizeof(name);
	ck_assert_int_eq(uk_getsockname(c2, (struct sockaddr *)&name, &len),
	    0);
	/* Closing the listener resets the connection nobody accepted. */
	ck_assert_int_eq(uk_close(l), 0);
	errno = 0;
	ck_assert_int_eq(uk_read(c, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	/* The second one gets a reset when its SYN is retransmitted. */
	(void)uk_net_run();
	ck_assert_int_eq(tcp_state(c2), UK_TCPS_CLOSED);
	len = sizeof(int);
	{
		int v;

		ck_assert_int_eq(uk_getsockopt(c2, SOL_SOCKET, SO_ERROR, &v,
		    &len), 0);
		ck_assert_int_eq(v, ECONNREFUSED);
	}
	{
		int fds[] = { c, c2 };

		tfx_finish(fds, 2);
	}
}
END_TEST

/* Messages both ways, and the byte counts. */
START_TEST(test_tcp_data_both_ways)
{
	struct uk_net_stats a, b;
	char buf[256];
	int i, sv[2];

	tfx_pair(sv);
	for (i = 0; i < 20; i++) {
		snprintf(buf, sizeof(buf), "ping %d", i);
		ck_assert_int_eq(uk_write(sv[0], buf, strlen(buf)),
		    (ssize_t)strlen(buf));
		memset(buf, 0, sizeof(buf));
		ck_assert_int_eq(uk_read(sv[1], buf, sizeof(buf)),
		    (ssize_t)strlen(buf));
		ck_assert_int_eq(atoi(buf + 5), i);
		snprintf(buf, sizeof(buf), "pong %d!", i);
		ck_assert_int_eq(uk_write(sv[1], buf, strlen(buf)),
		    (ssize_t)strlen(buf));
		memset(buf, 0, sizeof(buf));
		ck_assert_int_eq(uk_read(sv[0], buf, sizeof(buf)),
		    (ssize_t)strlen(buf));
		ck_assert_int_eq(atoi(buf + 5), i);
	}
	ck_assert_int_eq(uk_net_stats(sv[0], &a), 0);
	ck_assert_int_eq(uk_net_stats(sv[1], &b), 0);
	ck_assert_uint_eq(a.snd_byte, b.rcv_byte);
	ck_assert_uint_eq(b.snd_byte, a.rcv_byte);
	ck_assert_uint_eq(a.snd_pack, 20);
	ck_assert_uint_eq(b.snd_pack, 20);
	ck_assert_uint_eq(a.snd_rexmitpack + b.snd_rexmitpack, 0);
	ck_assert_uint_gt(a.srtt_ns, 0);
	tfx_finish(sv, 2);
}
END_TEST

/* The smaller MSS of the two ends is used; segments never exceed it. */
START_TEST(test_tcp_mss)
{
	struct uk_net_config conf;
	struct uk_net_stats a, b;
	struct sockaddr_in sin;
	socklen_t len;
	int c, l, s;

	l = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(uk_listen(l, 1), 0);
	memset(&conf, 0, sizeof(conf));
	conf.mss = 536;
	ck_assert_int_eq(uk_net_conn_config(l, &conf, NULL), 0);
	len = sizeof(sin);
	ck_assert_int_eq(uk_getsockname(l, (struct sockaddr *)&sin, &len), 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(uk_connect(c, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	s = uk_accept(l, NULL, NULL);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(uk_net_stats(c, &a), 0);
	ck_assert_int_eq(uk_net_stats(s, &b), 0);
	ck_assert_uint_eq(a.maxseg, 536);
	ck_assert_uint_eq(b.maxseg, 536);

	/* 100000 bytes in segments of at most 536. */
	{
		struct tfx_sink k = { .fd = s };

		uk_net_set_idle(tfx_sink_turn, &k);
		tfx_send_all(c, 7, 100000, 100000);
		(void)uk_net_run();
		(void)tfx_sink_turn(&k);
		ck_assert_uint_eq(k.len, 100000);
		tfx_check(k.buf, k.len, 7, 0);
		tfx_sink_free(&k);
	}
	ck_assert_int_eq(uk_net_stats(c, &a), 0);
	ck_assert_uint_eq(a.snd_byte, 100000);
	ck_assert_uint_ge(a.snd_pack, (100000 + 535) / 536);
	ck_assert_int_eq(uk_net_stats(s, &b), 0);
	ck_assert_uint_eq(b.rcv_byte, 100000);

	/* Bad settings. */
	conf.mss = 10;
	errno = 0;
	ck_assert_int_eq(uk_net_config(&conf, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	memset(&conf, 0, sizeof(conf));
	conf.loss_pct = 101;
	errno = 0;
	ck_assert_int_eq(uk_net_config(&conf, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	{
		int fds[] = { c, s, l };

		tfx_finish(fds, 3);
	}
}
END_TEST

/*
 * A slow reader: the receive window shuts, the writer stalls (EAGAIN)
 * with the peer's window at zero, zero-window probes go out, and the
 * writer resumes once the reader made room.
 */
START_TEST(test_tcp_window)
{
	struct uk_net_stats a, b;
	struct sockaddr_in sin;
	socklen_t len;
	uint8_t buf[65536], *got;
	uint64_t rcvd, winup;
	size_t total, rd;
	ssize_t n;
	int l, rcvbuf, sv[2];

	/*
	 * The reader's buffer is set on the listener, which passes it on:
	 * a window once offered is never taken back, so it must be small
	 * from the handshake on.
	 */
	rcvbuf = 16384;
	l = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(uk_setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)), 0);
	ck_assert_int_eq(uk_listen(l, 1), 0);
	len = sizeof(sin);
	ck_assert_int_eq(uk_getsockname(l, (struct sockaddr *)&sin, &len), 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv[0] = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(uk_connect(sv[0], (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	sv[1] = uk_accept(l, NULL, NULL);
	ck_assert_int_ge(sv[1], 0);
	ck_assert_int_eq(uk_close(l), 0);
	ck_assert_int_eq(uk_set_nonblock(sv[0], 1), 0);
	got = malloc(1 << 20);
	total = rd = 0;
	/* Write until even running the network does not help. */
	for (;;) {
		uktest_fill(buf, sizeof(buf), 3, total);
		n = uk_write(sv[0], buf, sizeof(buf));
		if (n > 0) {
			total += (size_t)n;
			continue;
		}
		ck_assert_int_eq(errno, EAGAIN);
		if (uk_net_run() == 0)
			break;
		n = uk_write(sv[0], buf, sizeof(buf));
		if (n < 0)
			break;
		total += (size_t)n;
	}
	ck_assert_int_eq(uk_net_stats(sv[0], &a), 0);
	ck_assert_int_eq(uk_net_stats(sv[1], &b), 0);
	/* The writer sees a shut window; the reader's buffer is full. */
	ck_assert_uint_eq(a.snd_wnd, 0);
	ck_assert_uint_ge(b.rcv_byte, 16384 - 1448);
	ck_assert_uint_le(b.rcv_byte, 16384);
	ck_assert_uint_le(total, 16384 + 32768);
	ck_assert_uint_gt(a.snd_probe, 0);

	/* A little reading (under two segments) opens nothing yet. */
	n = uk_read(sv[1], got, 1000);
	ck_assert_int_eq(n, 1000);
	rd = 1000;
	(void)uk_net_run();
	ck_assert_int_eq(uk_net_stats(sv[0], &a), 0);
	errno = 0;
	ck_assert_int_eq(uk_write(sv[0], buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);

	/*
	 * Reading more: a window update, the writer fills the window again
	 * and its buffer has room.
	 */
	ck_assert_int_eq(uk_net_stats(sv[1], &b), 0);
	rcvd = b.rcv_byte;
	ck_assert_int_eq(uk_net_stats(sv[0], &a), 0);
	winup = a.rcv_total;
	n = uk_read(sv[1], got + rd, 8000);
	ck_assert_int_eq(n, 8000);
	rd += 8000;
	(void)uk_net_run();
	ck_assert_int_eq(uk_net_stats(sv[1], &b), 0);
	ck_assert_uint_ge(b.rcv_byte, rcvd + 8000);
	ck_assert_uint_gt(b.snd_winup, 0);
	ck_assert_int_eq(uk_net_stats(sv[0], &a), 0);
	ck_assert_uint_gt(a.rcv_total, winup);
	uktest_fill(buf, sizeof(buf), 3, total);
	n = uk_write(sv[0], buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	total += (size_t)n;

	/* Everything arrives, in order. */
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	while (rd < total) {
		n = uk_read(sv[1], got + rd, total - rd);
		ck_assert_int_gt(n, 0);
		rd += (size_t)n;
	}
	ck_assert_int_eq(uk_read(sv[1], buf, 1), 0);
	tfx_check(got, total, 3, 0);
	free(got);
	tfx_finish(sv, 2);
}
END_TEST

/*
 * The deterministic mode's rule: a blocking write of megabytes runs the
 * network and lets the idle hook read the other end; without a hook it
 * returns a short count.
 */
START_TEST(test_tcp_blocking_big)
{
	struct tfx_sink k;
	uint8_t *buf;
	size_t len;
	ssize_t n;
	int sv[2];

	len = 4 << 20;
	tfx_pair(sv);
	buf = malloc(len);
	uktest_fill(buf, len, 11, 0);

	/* No hook: as far as the buffers and the window go, then short. */
	n = uk_write(sv[0], buf, len);
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, (ssize_t)len);

	memset(&k, 0, sizeof(k));
	k.fd = sv[1];
	uk_net_set_idle(tfx_sink_turn, &k);
	ck_assert_int_eq(uk_write(sv[0], buf + n, len - (size_t)n),
	    (ssize_t)(len - (size_t)n));
	ck_assert_int_gt(k.calls, 0);
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	while (!k.eof) {
		(void)uk_net_run();
		(void)tfx_sink_turn(&k);
	}
	ck_assert_uint_eq(k.len, len);
	tfx_check(k.buf, k.len, 11, 0);
	tfx_sink_free(&k);
	free(buf);
	tfx_finish(sv, 2);
}
END_TEST

/* shutdown: end of stream one way, the other still open; EPIPE. */
START_TEST(test_tcp_fin_eof)
{
	char buf[64];
	int sv[2];

	tfx_pair(sv);
	ck_assert_int_eq(uk_write(sv[0], "last words", 10), 10);
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	ck_assert_int_eq(uk_read(sv[1], buf, sizeof(buf)), 10);
	ck_assert_int_eq(uk_read(sv[1], buf, sizeof(buf)), 0);
	ck_assert_int_eq(uk_read(sv[1], buf, sizeof(buf)), 0);
	ck_assert_int_eq(tcp_state(sv[0]), UK_TCPS_FIN_WAIT_2);
	ck_assert_int_eq(tcp_state(sv[1]), UK_TCPS_CLOSE_WAIT);
	errno = 0;
	ck_assert_int_eq(uk_write(sv[0], "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);

	/* The other way still works. */
	ck_assert_int_eq(uk_write(sv[1], "reply", 5), 5);
	ck_assert_int_eq(uk_read(sv[0], buf, sizeof(buf)), 5);
	ck_assert_int_eq(memcmp(buf, "reply", 5), 0);
	ck_assert_int_eq(uk_close(sv[1]), 0);
	ck_assert_int_eq(uk_read(sv[0], buf, sizeof(buf)), 0);
	ck_assert_int_eq(tcp_state(sv[0]), UK_TCPS_TIME_WAIT);
	sv[1] = -1;
	tfx_finish(sv, 2);
}
END_TEST

/* Closing with unread data resets the peer (RFC 1122 4.2.2.13). */
START_TEST(test_tcp_rst_unread)
{
	struct uk_net_stats st;
	char buf[64];
	int sv[2], v;
	socklen_t len;

	tfx_pair(sv);
	ck_assert_int_eq(uk_write(sv[0], "unread", 6), 6);
	(void)uk_net_run();
	ck_assert_int_eq(uk_close(sv[1]), 0);
	sv[1] = -1;
	(void)uk_net_run();
	ck_assert_int_eq(tcp_state(sv[0]), UK_TCPS_CLOSED);
	errno = 0;
	ck_assert_int_eq(uk_read(sv[0], buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	errno = 0;
	ck_assert_int_eq(uk_write(sv[0], "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	len = sizeof(v);
	ck_assert_int_eq(uk_getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &len),
	    0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(uk_net_stats(sv[0], &st), 0);
	ck_assert_uint_eq(st.rcv_total, 3);
	tfx_finish(sv, 2);
}
END_TEST

/* Data for a socket whose descriptor is closed gets a reset. */
START_TEST(test_tcp_rst_after_close)
{
	char buf[64];
	int sv[2];

	tfx_pair(sv);
	ck_assert_int_eq(uk_close(sv[1]), 0);
	sv[1] = -1;
	/* The FIN arrives: end of stream, but writing is still allowed. */
	ck_assert_int_eq(uk_read(sv[0], buf, sizeof(buf)), 0);
	ck_assert_int_eq(tcp_state(sv[0]), UK_TCPS_CLOSE_WAIT);
	ck_assert_int_eq(uk_write(sv[0], "anyone?", 7), 7);
	(void)uk_net_run();
	ck_assert_int_eq(tcp_state(sv[0]), UK_TCPS_CLOSED);
	errno = 0;
	ck_assert_int_eq(uk_write(sv[0], "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	tfx_finish(sv, 2);
}
END_TEST

/* uk_poll(): readiness, a listener, simulated time, end of stream. */
START_TEST(test_tcp_poll)
{
	struct pollfd pfd[3];
	struct sockaddr_in sin;
	socklen_t len;
	uint64_t t0;
	char buf[16];
	int c, l, s, sv[2];

	tfx_pair(sv);
	pfd[0].fd = sv[0];
	pfd[1].fd = sv[1];
	pfd[0].events = pfd[1].events = POLLIN | POLLOUT;
	ck_assert_int_eq(uk_poll(pfd, 2, 0), 2);
	ck_assert_int_eq(pfd[0].revents, POLLOUT);
	ck_assert_int_eq(pfd[1].revents, POLLOUT);

	/* Nothing comes: a timeout of 250 ms of simulated time. */
	pfd[0].events = pfd[1].events = POLLIN;
	t0 = uk_clock_ns();
	ck_assert_int_eq(uk_poll(pfd, 2, 250), 0);
	ck_assert_uint_ge(uk_clock_ns() - t0, 250000000ULL);
	/* And with -1, nothing can come: the deterministic rule. */
	ck_assert_int_eq(uk_poll(pfd, 2, -1), 0);

	ck_assert_int_eq(uk_write(sv[0], "abc", 3), 3);
	ck_assert_int_eq(uk_poll(pfd, 2, -1), 1);
	ck_assert_int_eq(pfd[0].revents, 0);
	ck_assert_int_eq(pfd[1].revents, POLLIN);
	ck_assert_int_eq(uk_read(sv[1], buf, sizeof(buf)), 3);

	/* A listener is readable with a connection to accept. */
	l = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(uk_listen(l, 2), 0);
	len = sizeof(sin);
	ck_assert_int_eq(uk_getsockname(l, (struct sockaddr *)&sin, &len), 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c = uk_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(uk_connect(c, (struct sockaddr *)&sin, sizeof(sin)),
	    -1);
	pfd[0].fd = l;
	pfd[0].events = POLLIN;
	pfd[1].fd = c;
	pfd[1].events = POLLOUT;
	ck_assert_int_eq(uk_poll(pfd, 2, -1), 2);
	ck_assert_int_eq(pfd[0].revents, POLLIN);
	ck_assert_int_eq(pfd[1].revents, POLLOUT);
	/* Not a socket: POLLNVAL, at once. */
	pfd[2].fd = 999;
	pfd[2].events = POLLIN;
	ck_assert_int_eq(uk_poll(pfd + 2, 1, -1), 1);
	ck_assert_int_eq(pfd[2].revents, POLLNVAL);
	s = uk_accept(l, NULL, NULL);
	ck_assert_int_ge(s, 0);

	/* Both directions closed: POLLHUP, and POLLIN for the read of 0. */
	ck_assert_int_eq(uk_shutdown(s, SHUT_WR), 0);
	ck_assert_int_eq(uk_shutdown(c, SHUT_WR), 0);
	(void)uk_net_run();
	pfd[0].fd = c;
	pfd[0].events = POLLIN | POLLOUT;
	ck_assert_int_eq(uk_poll(pfd, 1, 0), 1);
	ck_assert_int_eq(pfd[0].revents, POLLIN | POLLHUP);
	{
		int fds[] = { c, s, l, sv[0], sv[1] };

		tfx_finish(fds, 5);
	}
}
END_TEST

/* Both directions at once on uk_poll(), a megabyte each. */
START_TEST(test_tcp_pump)
{
	struct tfx_end a, b;
	int sv[2];

	tfx_pair(sv);
	tfx_end_init(&a, sv[0], 21, 1 << 20, 22, 3 << 19);
	tfx_end_init(&b, sv[1], 22, 3 << 19, 21, 1 << 20);
	tfx_pump(&a, &b);
	tfx_end_free(&a);
	tfx_end_free(&b);
	tfx_finish(sv, 2);
}
END_TEST

static Suite *
tcp_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("tcp");
	tc = uktest_tcase("handshake");
	tcase_add_test(tc, test_tcp_handshake);
	tcase_add_test(tc, test_tcp_connect_errors);
	tcase_add_test(tc, test_tcp_sink_and_queue);
	suite_add_tcase(s, tc);
	tc = uktest_tcase("data");
	tcase_add_test(tc, test_tcp_data_both_ways);
	tcase_add_test(tc, test_tcp_mss);
	tcase_add_test(tc, test_tcp_window);
	tcase_add_test(tc, test_tcp_blocking_big);
	tcase_add_test(tc, test_tcp_pump);
	suite_add_tcase(s, tc);
	tc = uktest_tcase("close");
	tcase_add_test(tc, test_tcp_fin_eof);
	tcase_add_test(tc, test_tcp_rst_unread);
	tcase_add_test(tc, test_tcp_rst_after_close);
	suite_add_tcase(s, tc);
	tc = uktest_tcase("poll");
	tcase_add_test(tc, test_tcp_poll);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(tcp_suite()));
}
