/*
 * Field bug 16: memory-safety bugs on the disconnect and async-crypto
 * paths (Linux CVE-2024-26582..26585, CVE-2025-37756, CVE-2025-38616):
 * a socket closed, shut down or flushed while a worker was still
 * encrypting or decrypting one of its records.
 *
 * Scenario, with KTLS worker threads (uk_set_workers()): a connection
 * with KTLS both ways; on each end a writer thread sends records (one
 * per call, each carrying its index and a pattern keyed by it) and a
 * reader thread reads them; the network loses, reorders and splits.
 * After a random real-time delay a third thread does one of: shutdown
 * (SHUT_RD, SHUT_WR, SHUT_RDWR), close, or an sbflush of the receive
 * buffer (three times), to either end, while records are in flight in
 * the workers.  Whatever happens, nothing may crash, leak (the fixture
 * counts every mbuf, page, session and allocation; ASan) or race (TSan:
 * the file name has _mt_), and a reader never sees a broken record:
 * each one it gets is whole, in order, with the right bytes; records
 * may only be missing (thrown away by the flush or shutdown), and the
 * calls fail only with the errors a torn-down connection gives.
 *
 *   fb16_mt_close_race   seven actions, several rounds, two seeds
 */
#include <pthread.h>
#include <time.h>

#include "scenario.h"

#define	FB16_NREC	150
#define	FB16_ROUNDS	2
#define	FB16_NACTIONS	7

static size_t
fb16_len(int dir, uint32_t idx)
{

	return (64 + ((size_t)idx * 997 + (size_t)dir * 131) % 3000);
}

struct fb16_end {
	int		 fd;
	int		 dir;		/* the direction it sends */
	pthread_t	 w, r;
	/* writer */
	uint32_t	 sent;
	int		 werr;
	/* reader */
	uint32_t	 got, last;
	int		 rerr;		/* errno that ended reading, or 0 */
	int		 eof;
	char		 bad[160];	/* a broken record */
};

static void *
fb16_writer(void *arg)
{
	struct fb16_end *e = arg;
	uint8_t buf[3100];
	size_t len;
	ssize_t n;
	uint32_t i;

	for (i = 1; i <= FB16_NREC; i++) {
		len = fb16_len(e->dir, i);
		uktest_fill(buf, len, 1600 + (uint32_t)e->dir,
		    (uint64_t)i << 16);
		buf[0] = (uint8_t)(i >> 24);
		buf[1] = (uint8_t)(i >> 16);
		buf[2] = (uint8_t)(i >> 8);
		buf[3] = (uint8_t)i;
		n = kfx_send_type(e->fd, buf, len, TLS_RLTYPE_APP);
		if (n != (ssize_t)len) {
			e->werr = n < 0 ? errno : EMSGSIZE;
			break;
		}
		e->sent = i;
	}
	(void)uk_shutdown(e->fd, SHUT_WR);
	return (NULL);
}

/* Check one record from the peer (direction 1 - e->dir). */
static void
fb16_check(struct fb16_end *e, const uint8_t *p, size_t n,
    const struct tls_get_record *tgr, int flags)
{
	uint8_t want[3100];
	uint32_t idx;

	if (n < 4 || (flags & (MSG_EOR | MSG_CTRUNC)) != MSG_EOR ||
	    tgr->tls_type != TLS_RLTYPE_APP ||
	    ntohs(tgr->tls_length) != n) {
		snprintf(e->bad, sizeof(e->bad), "framing: %zu bytes, flags "
		    "%#x, type %u", n, flags, tgr->tls_type);
		return;
	}
	idx = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	if (idx <= e->last || idx > FB16_NREC ||
	    n != fb16_len(1 - e->dir, idx)) {
		snprintf(e->bad, sizeof(e->bad), "record %u (%zu bytes) after "
		    "%u", idx, n, e->last);
		return;
	}
	uktest_fill(want, n, 1600 + (uint32_t)(1 - e->dir),
	    (uint64_t)idx << 16);
	if (memcmp(want + 4, p + 4, n - 4) != 0) {
		snprintf(e->bad, sizeof(e->bad), "record %u: bytes differ",
		    idx);
		return;
	}
	e->last = idx;
	e->got++;
}

static void *
fb16_reader(void *arg)
{
	struct fb16_end *e = arg;
	struct tls_get_record tgr;
	uint8_t *buf;
	size_t clen;
	ssize_t n;
	int flags;

	buf = malloc(RFX_RECBUF);
	if (buf == NULL)
		return (NULL);
	for (;;) {
		n = rfx_recvmsg(e->fd, buf, RFX_RECBUF, 0,
		    CMSG_SPACE(sizeof(tgr)), &tgr, &flags, &clen);
		if (n < 0) {
			e->rerr = errno;
			break;
		}
		if (n == 0 && clen == 0) {
			e->eof = 1;
			break;
		}
		if (e->bad[0] == '\0')
			fb16_check(e, buf, (size_t)n, &tgr, flags);
	}
	free(buf);
	return (NULL);
}

struct fb16_kill {
	struct fb16_end	*e;		/* the two ends */
	int		 action;
	unsigned int	 delay_us;
	int		 closed[2];	/* the action closed it */
	int		 error;		/* a call of the action that failed */
};

static void
fb16_nap(unsigned int us)
{
	struct timespec ts;

	ts.tv_sec = 0;
	ts.tv_nsec = (long)us * 1000;
	(void)nanosleep(&ts, NULL);
}

static void *
fb16_killer(void *arg)
{
	struct fb16_kill *k = arg;
	int i, r;

	fb16_nap(k->delay_us);
	r = 0;
	switch (k->action) {
	case 0:
		r = uk_shutdown(k->e[1].fd, SHUT_RD);
		break;
	case 1:
		for (i = 0; i < 3 && r == 0; i++) {
			r = uk_test_rcvbuf_flush(k->e[1].fd);
			fb16_nap(k->delay_us / 4 + 1);
		}
		break;
	case 2:
		r = uk_close(k->e[1].fd);
		k->closed[1] = 1;
		break;
	case 3:
		r = uk_shutdown(k->e[0].fd, SHUT_WR);
		break;
	case 4:
		r = uk_close(k->e[0].fd);
		k->closed[0] = 1;
		break;
	case 5:
		r = uk_shutdown(k->e[1].fd, SHUT_RDWR);
		break;
	default:
		r = uk_test_rcvbuf_flush(k->e[0].fd);
		if (r == 0)
			r = uk_close(k->e[1].fd);
		k->closed[1] = 1;
		break;
	}
	/* A shutdown may find the connection already reset: ENOTCONN. */
	if (r != 0 && errno != ENOTCONN)
		k->error = errno;
	return (NULL);
}

/*
 * Errors a reader or writer may see when its connection is torn down:
 * the reset or the closed descriptor, and EMSGSIZE when the end came in
 * the middle of a record (FreeBSD's ktls_check_rx() at the end of the
 * stream).  A flush of the receive buffer also throws away part of a
 * record, so what follows no longer frames: the receive path then
 * reports what a broken stream gives (EINVAL for a header, EBADMSG for
 * a record), through so_error, which a send returns too.
 */
static bool
fb16_teardown_errno(int e, bool flushed)
{

	if (flushed && (e == EINVAL || e == EBADMSG))
		return (true);
	return (e == 0 || e == EPIPE || e == ECONNRESET || e == EBADF ||
	    e == ENOTCONN || e == ECONNABORTED || e == EMSGSIZE);
}

static void
fb16_round(int action, uint64_t seed)
{
	struct fb16_end e[2];
	struct fb16_kill k;
	struct tlsm_state keys[2];
	const struct tlsm_suite *s;
	pthread_t kt;
	uint64_t x;
	int fds[2], i, sv[2];
	bool flushed;

	x = seed * 0x9E3779B97F4A7C15ULL + (uint64_t)action;
	do
		s = &tlsm_suites[sc_rand(&x) % TLSM_NSUITES];
	while (!rfx_suite_ok(s));
	sc_net(seed, 1.0, 2.0, 1.0, 30.0, 0);
	tfx_pair(sv);
	memset(e, 0, sizeof(e));
	keys[0] = sc_keys(s, 1601 + (uint32_t)seed);
	keys[1] = sc_keys(s, 1602 + (uint32_t)seed);
	for (i = 0; i < 2; i++) {
		e[i].fd = sv[i];
		e[i].dir = i;
		sc_enable(sv[i], TCP_TXTLS_ENABLE, &keys[i], 1);
		sc_enable(sv[i], TCP_RXTLS_ENABLE, &keys[1 - i], 1);
	}
	memset(&k, 0, sizeof(k));
	k.e = e;
	k.action = action;
	k.delay_us = (unsigned int)(sc_rand(&x) % 3000);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_create(&e[i].r, NULL, fb16_reader,
		    &e[i]), 0);
		ck_assert_int_eq(pthread_create(&e[i].w, NULL, fb16_writer,
		    &e[i]), 0);
	}
	ck_assert_int_eq(pthread_create(&kt, NULL, fb16_killer, &k), 0);
	ck_assert_int_eq(pthread_join(kt, NULL), 0);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_join(e[i].w, NULL), 0);
		ck_assert_int_eq(pthread_join(e[i].r, NULL), 0);
	}
	ck_assert_msg(k.error == 0, "action %d: %s", action,
	    strerror(k.error));
	flushed = action == 1 || action == 6;
	for (i = 0; i < 2; i++) {
		ck_assert_msg(e[i].bad[0] == '\0', "%s, action %d, end %d: %s",
		    s->name, action, i, e[i].bad);
		ck_assert_msg(fb16_teardown_errno(e[i].werr, flushed),
		    "action %d, "
		    "end %d: write: %s", action, i, strerror(e[i].werr));
		ck_assert_msg(fb16_teardown_errno(e[i].rerr, flushed),
		    "action %d, "
		    "end %d: read: %s", action, i, strerror(e[i].rerr));
		ck_assert_uint_le(e[i].got, FB16_NREC);
	}
	for (i = 0; i < 2; i++)
		fds[i] = k.closed[i] ? -1 : sv[i];
	tfx_finish(fds, 2);
}

START_TEST(fb16_mt_close_race)
{
	int action, round;

	ck_assert_int_eq(uk_set_workers(2), 0);
	for (round = 0; round < FB16_ROUNDS; round++)
		for (action = 0; action < FB16_NACTIONS; action++)
			fb16_round(action, 16000 + (uint64_t)_i * 100 +
			    (uint64_t)round * FB16_NACTIONS + (uint64_t)action);
	ck_assert_int_eq(uk_set_workers(0), 0);
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb16_mt_close_race");
	SC_ADD(s, fb16_mt_close_race, 2);
	return (uktest_run(s));
}
