/*
 * TCP shim tests: connected pairs, streams of known bytes, a reader for
 * the deterministic mode's idle hook, an event loop on uk_poll(), and
 * the end of a test (close, run the network until every connection is
 * gone).
 *
 * Shared by tests/unit/test_tcp*.c and tests/integration; everything is
 * static so that a file using part of it does not warn.
 *
 *   tfx_pair()        uk_socketpair_tcp() under the current settings
 *   tfx_faults()      settings with loss/reorder/dup/split percentages
 *   tfx_sink          a reader for uk_net_set_idle(): drains a socket
 *   tfx_send_all()    blocking uk_write() of a whole stream
 *   tfx_pump()        both directions at once, non-blocking, on uk_poll()
 *   tfx_end()         close, uk_net_run(), nothing left on the wire
 */
#ifndef UKTEST_TCP_FIXTURE_H
#define UKTEST_TCP_FIXTURE_H

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/uktls.h>

#include "uktest.h"

/* A stream of n known bytes: uktest_fill(stream id, offset). */
struct tfx_stream {
	uint32_t	 id;
	size_t		 len;
	size_t		 done;		/* written or read so far */
	uint8_t		*got;		/* what a reader received */
};

static inline void
tfx_pair(int sv[2])
{

	ck_assert_msg(uk_socketpair_tcp(sv) == 0, "uk_socketpair_tcp: %s",
	    strerror(errno));
}

static inline void
tfx_faults(struct uk_net_config *c, uint64_t seed, double loss,
    double reorder, double dup, double split)
{

	memset(c, 0, sizeof(*c));
	c->seed = seed;
	c->loss_pct = loss;
	c->reorder_pct = reorder;
	c->dup_pct = dup;
	c->split_pct = split;
	c->delay_us = 50;
}

static inline struct sockaddr_in
tfx_sin(uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return (sin);
}

/* A reader for the idle hook: takes at most `step` bytes per turn. */
struct tfx_sink {
	int		 fd;
	size_t		 step;		/* 0: all it can */
	uint8_t		*buf;
	size_t		 len, cap;
	int		 eof;
	int		 calls;
};

static inline int
tfx_sink_turn(void *arg)
{
	struct tfx_sink *k = arg;
	size_t want;
	ssize_t n;
	int did;

	k->calls++;
	did = 0;
	for (;;) {
		want = 65536;
		if (k->step != 0) {
			if (did >= (int)k->step)
				break;
			want = k->step - (size_t)did;
		}
		if (k->len + want > k->cap) {
			k->cap = (k->len + want) * 2;
			k->buf = realloc(k->buf, k->cap);
			ck_assert_ptr_nonnull(k->buf);
		}
		n = uk_recv(k->fd, k->buf + k->len, want, MSG_DONTWAIT);
		if (n == 0)
			k->eof = 1;
		if (n <= 0)
			break;
		k->len += (size_t)n;
		did += (int)n;
	}
	return (did > 0);
}

static inline void
tfx_sink_free(struct tfx_sink *k)
{

	free(k->buf);
	memset(k, 0, sizeof(*k));
}

/* Check that buf holds bytes [off, off + len) of stream id. */
static inline void
tfx_check(const uint8_t *buf, size_t len, uint32_t id, uint64_t off)
{
	uint8_t want[4096];
	size_t i, n;

	for (i = 0; i < len; i += n) {
		n = len - i < sizeof(want) ? len - i : sizeof(want);
		uktest_fill(want, n, id, off + i);
		ck_assert_msg(memcmp(buf + i, want, n) == 0,
		    "stream %u differs in bytes %zu..%zu", id,
		    (size_t)(off + i), (size_t)(off + i + n));
	}
}

/* Blocking writes of the whole stream; short writes are continued. */
static inline void
tfx_send_all(int s, uint32_t id, size_t len, size_t chunk)
{
	uint8_t *buf;
	size_t off, n;
	ssize_t w;

	buf = malloc(chunk);
	ck_assert_ptr_nonnull(buf);
	for (off = 0; off < len; off += (size_t)w) {
		n = len - off < chunk ? len - off : chunk;
		uktest_fill(buf, n, id, off);
		w = uk_write(s, buf, n);
		ck_assert_msg(w > 0, "uk_write at %zu: %s", off,
		    strerror(errno));
	}
	free(buf);
}

/*
 * One direction of a pump: write stream `out` on fd, read stream `in`
 * from fd, everything non-blocking.
 */
struct tfx_end {
	int		 fd;
	struct tfx_stream out, in;
	bool		 shut;		/* sent FIN after out */
	bool		 eof;		/* read the peer's FIN */
	size_t		 chunk;
};

static inline void
tfx_end_init(struct tfx_end *e, int fd, uint32_t out_id, size_t out_len,
    uint32_t in_id, size_t in_len)
{

	memset(e, 0, sizeof(*e));
	e->fd = fd;
	e->out.id = out_id;
	e->out.len = out_len;
	e->in.id = in_id;
	e->in.len = in_len;
	e->in.got = malloc(in_len > 0 ? in_len : 1);
	e->chunk = 20000;
	ck_assert_ptr_nonnull(e->in.got);
	ck_assert_int_eq(uk_set_nonblock(fd, 1), 0);
}

static inline void
tfx_pump_one(struct tfx_end *e, short revents)
{
	uint8_t buf[65536];
	size_t n;
	ssize_t r;

	if ((revents & POLLOUT) != 0 && e->out.done < e->out.len) {
		n = e->out.len - e->out.done;
		if (n > e->chunk)
			n = e->chunk;
		uktest_fill(buf, n, e->out.id, e->out.done);
		r = uk_write(e->fd, buf, n);
		if (r < 0)
			ck_assert_msg(errno == EAGAIN, "uk_write: %s",
			    strerror(errno));
		else
			e->out.done += (size_t)r;
	}
	if (e->out.done == e->out.len && !e->shut) {
		ck_assert_int_eq(uk_shutdown(e->fd, SHUT_WR), 0);
		e->shut = true;
	}
	if ((revents & (POLLIN | POLLHUP)) != 0 && !e->eof) {
		for (;;) {
			r = uk_read(e->fd, buf, sizeof(buf));
			if (r < 0) {
				ck_assert_msg(errno == EAGAIN, "uk_read: %s",
				    strerror(errno));
				break;
			}
			if (r == 0) {
				e->eof = true;
				break;
			}
			ck_assert_msg(e->in.done + (size_t)r <= e->in.len,
			    "%zu bytes past the stream", e->in.done +
			    (size_t)r - e->in.len);
			memcpy(e->in.got + e->in.done, buf, (size_t)r);
			e->in.done += (size_t)r;
		}
	}
}

/*
 * Both ends at once, on uk_poll(), until each has sent its stream, shut
 * down, and read the other's to the end; then check the bytes.
 */
static inline void
tfx_pump(struct tfx_end *a, struct tfx_end *b)
{
	struct pollfd pfd[2];
	int i, n;

	for (i = 0; !(a->eof && b->eof && a->shut && b->shut); i++) {
		/* An end that is done leaves the set (its POLLHUP stays). */
		pfd[0].fd = a->eof && a->shut ? -1 : a->fd;
		pfd[1].fd = b->eof && b->shut ? -1 : b->fd;
		pfd[0].events = a->eof ? 0 : POLLIN;
		pfd[1].events = b->eof ? 0 : POLLIN;
		if (!a->shut)
			pfd[0].events |= POLLOUT;
		if (!b->shut)
			pfd[1].events |= POLLOUT;
		n = uk_poll(pfd, 2, 60000);
		ck_assert_msg(n > 0, "uk_poll: %d (%s) at round %d, %zu/%zu "
		    "and %zu/%zu", n, n < 0 ? strerror(errno) : "timeout", i,
		    a->in.done, a->in.len, b->in.done, b->in.len);
		ck_assert_int_eq((pfd[0].revents | pfd[1].revents) &
		    (POLLERR | POLLNVAL), 0);
		tfx_pump_one(a, pfd[0].revents);
		tfx_pump_one(b, pfd[1].revents);
	}
	ck_assert_uint_eq(a->in.done, a->in.len);
	ck_assert_uint_eq(b->in.done, b->in.len);
	tfx_check(a->in.got, a->in.len, a->in.id, 0);
	tfx_check(b->in.got, b->in.len, b->in.id, 0);
}

static inline void
tfx_end_free(struct tfx_end *e)
{

	free(e->in.got);
	e->in.got = NULL;
}

/* Close what is given, run the network dry: no connection is left. */
static inline void
tfx_finish(const int *fds, int n)
{
	int conns, i, packets;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			ck_assert_msg(uk_close(fds[i]) == 0, "uk_close(%d): %s",
			    fds[i], strerror(errno));
	uk_net_set_idle(NULL, NULL);
	(void)uk_net_run();
	uk_net_counts(&packets, &conns);
	ck_assert_int_eq(packets, 0);
	ck_assert_int_eq(conns, 0);
}

#endif /* UKTEST_TCP_FIXTURE_H */
