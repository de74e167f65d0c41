/*
 * KTLS receive with real worker threads (the _mt_ label: ThreadSanitizer).
 *
 *   receive   several sockets, each with a feeder thread handing records
 *             to its receive buffer in random pieces (a bad record among
 *             them) and a reader thread in blocking recvmsg(); every
 *             record must come out as the model opens it.
 *   teardown  feeders and workers busy while another thread shuts the
 *             socket down, flushes its buffer or closes it, at random.
 *   pause     the worker stopped at the hook (on its own thread) while
 *             the test thread flushes, cuts, shuts down or closes, then
 *             let go: the sb_tlsdcc rule across threads.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "ktls_rx_fixture.h"

#define	NSOCK		4
#define	STREAM_LEN	(192 * 1024)

static uint64_t
rnd(uint64_t *x)
{

	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return (*x * 0x2545F4914F6CDD1DULL);
}

static void
nap(void)
{
	struct timespec ts = { 0, 20000 };

	nanosleep(&ts, NULL);
}

/* The i-th suite that receives. */
static const struct tlsm_suite *
rx_suite(int i)
{
	int k, n;

	for (k = 0, n = 0; k < TLSM_NSUITES; k++) {
		if (!rfx_suite_ok(&tlsm_suites[k]))
			continue;
		if (n++ == i % 14)
			return (&tlsm_suites[k]);
	}
	return (&tlsm_suites[2]);
}

struct tctx {
	struct rfx_conn	 c;
	uint64_t	 rng;
	int		 err;		/* errno of a failure, 0 */
	const char	*what;
	int		 stop;		/* atomic: the socket is closing */
};

static int
stopping(struct tctx *t)
{

	return (__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE));
}

#define	FAIL(t, w, e) do {						\
	(t)->what = (w);						\
	(t)->err = (e);							\
	return (NULL);							\
} while (0)

/* Hand the wire to the socket in random pieces, waiting for window. */
static void *
feeder(void *arg)
{
	struct tctx *t = arg;
	size_t n, piece;
	ssize_t k;

	while (t->c.fed < t->c.wire.len && !stopping(t)) {
		piece = 1 + rnd(&t->rng) % 3000;
		if (piece > t->c.wire.len - t->c.fed)
			piece = t->c.wire.len - t->c.fed;
		for (n = 0; n < piece; n += (size_t)k) {
			k = uk_test_rcvbuf_inject(t->c.s, t->c.wire.p +
			    t->c.fed + n, piece - n);
			if (k < 0) {
				if (errno == EBADF && stopping(t))
					return (NULL);
				FAIL(t, "inject", errno);
			}
			if (k == 0)
				nap();
		}
		t->c.fed += piece;
	}
	if (uk_test_rcv_eof(t->c.s) != 0 && !(errno == EBADF && stopping(t)))
		FAIL(t, "eof", errno);
	return (NULL);
}

/* Blocking recvmsg() until the end; records and errors into got. */
static void *
reader(void *arg)
{
	static __thread uint8_t buf[RFX_RECBUF];
	struct tctx *t = arg;
	struct tls_get_record tgr;
	struct rfx_got *g = &t->c.got;
	size_t ctllen;
	ssize_t n;
	int flags;

	for (;;) {
		n = rfx_recvmsg(t->c.s, buf, sizeof(buf), 0,
		    CMSG_SPACE(sizeof(tgr)), &tgr, &flags, &ctllen);
		if (n < 0) {
			if (g->nerrors == 16)
				FAIL(t, "too many errors", errno);
			g->errors[g->nerrors++] = errno;
			continue;
		}
		if (n == 0 && ctllen == 0) {
			g->eof = 1;
			return (NULL);
		}
		if (ctllen != CMSG_SPACE(sizeof(tgr)) ||
		    (flags & MSG_EOR) == 0 || ntohs(tgr.tls_length) != n)
			FAIL(t, "framing", EPROTO);
		if (g->nrec == g->cap) {
			g->cap = g->cap == 0 ? 64 : g->cap * 2;
			g->recs = realloc(g->recs, g->cap * sizeof(*g->recs));
			if (g->recs == NULL)
				FAIL(t, "realloc", ENOMEM);
		}
		g->recs[g->nrec].type = tgr.tls_type;
		g->recs[g->nrec].vmajor = tgr.tls_vmajor;
		g->recs[g->nrec].vminor = tgr.tls_vminor;
		g->recs[g->nrec].off = g->plain.len;
		g->recs[g->nrec].len = (size_t)n;
		if (g->plain.len + (size_t)n > g->plain.cap) {
			g->plain.cap = (g->plain.len + (size_t)n) * 2;
			g->plain.p = realloc(g->plain.p, g->plain.cap);
			if (g->plain.p == NULL)
				FAIL(t, "realloc", ENOMEM);
		}
		memcpy(g->plain.p + g->plain.len, buf, (size_t)n);
		g->plain.len += (size_t)n;
		g->nrec++;
	}
}

/* A stream of random-sized records, one of them with a bad tag/MAC. */
static void
make_stream(struct tctx *t, int idx, int bad)
{
	uint8_t *buf;
	size_t len, sealed, start, reclen;
	int n;

	buf = malloc(16384);
	ck_assert_ptr_nonnull(buf);
	rfx_open(&t->c, rx_suite(idx), 400 + (uint32_t)idx, 50);
	t->rng = 0x5eedULL + (uint64_t)idx * 104729;
	for (sealed = 0, n = 0; sealed < STREAM_LEN; n++) {
		len = rnd(&t->rng) % 16385;
		uktest_fill(buf, len, 401 + (uint32_t)idx, sealed);
		start = t->c.wire.len;
		reclen = rfx_seal(&t->c, n % 7 == 3 ? TLS_RLTYPE_HANDSHAKE :
		    TLS_RLTYPE_APP, buf, len, NULL);
		if (bad && n == 5)
			t->c.wire.p[start + reclen - 1] ^= 0x20;
		sealed += len;
	}
	free(buf);
}

START_TEST(test_mt_receive)
{
	static struct tctx t[NSOCK];
	pthread_t fth[NSOCK], rth[NSOCK];
	int i;

	ck_assert_int_eq(uk_set_workers(3), 0);
	for (i = 0; i < NSOCK; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		make_stream(&t[i], i + 4 * _i, i % 2);
	}
	for (i = 0; i < NSOCK; i++) {
		ck_assert_int_eq(pthread_create(&rth[i], NULL, reader, &t[i]),
		    0);
		ck_assert_int_eq(pthread_create(&fth[i], NULL, feeder, &t[i]),
		    0);
	}
	for (i = 0; i < NSOCK; i++) {
		ck_assert_int_eq(pthread_join(fth[i], NULL), 0);
		ck_assert_int_eq(pthread_join(rth[i], NULL), 0);
	}
	for (i = 0; i < NSOCK; i++) {
		ck_assert_msg(t[i].err == 0, "socket %d: %s: %s", i,
		    t[i].what, strerror(t[i].err));
		rfx_expect(&t[i].c, 1);
		rfx_assert_empty(&t[i].c);
		rfx_close(&t[i].c);
	}
	(void)uk_run();
	ck_assert_int_eq(uk_set_workers(0), 0);
}
END_TEST

/* Shut down, flush or close at a random moment, while all else runs. */
struct killer {
	struct tctx	*t;
	int		 how;
	int		 err;
	uint64_t	 rng;
};

static void *
killer(void *arg)
{
	struct killer *k = arg;
	int i, n;

	n = (int)(rnd(&k->rng) % 200);
	for (i = 0; i < n; i++)
		nap();
	switch (k->how) {
	case 0:
		if (uk_shutdown(k->t->c.s, SHUT_RD) != 0)
			k->err = errno;
		break;
	case 1:
		if (uk_test_rcvbuf_flush(k->t->c.s) != 0)
			k->err = errno;
		break;
	default:
		__atomic_store_n(&k->t->stop, 1, __ATOMIC_RELEASE);
		if (uk_close(k->t->c.s) != 0)
			k->err = errno;
		break;
	}
	return (NULL);
}

START_TEST(test_mt_teardown)
{
	static struct tctx t[NSOCK];
	struct killer k[NSOCK];
	pthread_t fth[NSOCK], kth[NSOCK], rth[NSOCK];
	int i;

	ck_assert_int_eq(uk_set_workers(2), 0);
	for (i = 0; i < NSOCK; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		make_stream(&t[i], i + 8 * _i, 0);
		k[i].t = &t[i];
		k[i].how = (i + _i) % 3;
		k[i].err = 0;
		k[i].rng = 0xdeadULL + (uint64_t)(i + 8 * _i) * 7919;
	}
	for (i = 0; i < NSOCK; i++) {
		/* No reader on a socket being closed: its fd goes away. */
		if (k[i].how != 2)
			ck_assert_int_eq(pthread_create(&rth[i], NULL, reader,
			    &t[i]), 0);
		ck_assert_int_eq(pthread_create(&fth[i], NULL, feeder, &t[i]),
		    0);
		ck_assert_int_eq(pthread_create(&kth[i], NULL, killer, &k[i]),
		    0);
	}
	for (i = 0; i < NSOCK; i++) {
		ck_assert_int_eq(pthread_join(kth[i], NULL), 0);
		ck_assert_int_eq(pthread_join(fth[i], NULL), 0);
		if (k[i].how == 1) {
			/* A flush does not end the stream: end it now. */
			if (t[i].c.fed < t[i].c.wire.len)
				ck_assert_int_eq(uk_test_rcv_eof(t[i].c.s), 0);
		}
		if (k[i].how != 2)
			ck_assert_int_eq(pthread_join(rth[i], NULL), 0);
		ck_assert_msg(k[i].err == 0, "socket %d: %s", i,
		    strerror(k[i].err));
		ck_assert_msg(t[i].err == 0, "socket %d: %s: %s", i,
		    t[i].what, strerror(t[i].err));
		if (k[i].how != 2) {
			ck_assert(t[i].c.got.eof);
			rfx_close(&t[i].c);
		} else {
			kfx_buf_free(&t[i].c.wire);
			rfx_got_free(&t[i].c.got);
		}
	}
	(void)uk_run();
	ck_assert_int_eq(uk_set_workers(0), 0);
}
END_TEST

/*
 * The worker stopped at the hook on its own thread; the test thread acts
 * and lets it go.
 */
struct gate {
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	int		 arrived, go;
	uint64_t	 target;
	int		 phase;
};

static void
gate_hook(void *arg, int phase, uint64_t seqno)
{
	struct gate *g = arg;

	if (phase != g->phase || seqno != g->target)
		return;
	pthread_mutex_lock(&g->mtx);
	g->arrived = 1;
	pthread_cond_broadcast(&g->cv);
	while (!g->go)
		pthread_cond_wait(&g->cv, &g->mtx);
	pthread_mutex_unlock(&g->mtx);
}

START_TEST(test_mt_pause)
{
	struct uk_test_rcvinfo ri;
	struct rfx_conn c;
	struct rfx_seg sg;
	struct gate g;
	uint8_t buf[2000];
	int action, i;

	action = _i % 4;
	ck_assert_int_eq(uk_set_workers(2), 0);
	memset(&g, 0, sizeof(g));
	pthread_mutex_init(&g.mtx, NULL);
	pthread_cond_init(&g.cv, NULL);
	g.target = 3;
	g.phase = _i < 4 ? UK_TEST_RX_DETACHED : UK_TEST_RX_DECRYPTED;
	uk_test_ktls_rx_hook(gate_hook, &g);
	rfx_open(&c, rx_suite(_i), 410, 0);
	for (i = 0; i < 6; i++) {
		uktest_fill(buf, sizeof(buf), 411, (uint64_t)i);
		rfx_seal(&c, TLS_RLTYPE_APP, buf, sizeof(buf), NULL);
	}
	sg = rfx_seg(RFX_PIECES, RFX_MSS, 0);
	rfx_feed(&c, &sg, c.wire.len);

	pthread_mutex_lock(&g.mtx);
	while (!g.arrived)
		pthread_cond_wait(&g.cv, &g.mtx);
	pthread_mutex_unlock(&g.mtx);
	ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
	ck_assert_uint_gt(ri.tlsdcc, 0);
	switch (action) {
	case 0:
		ck_assert_int_eq(uk_test_rcvbuf_flush(c.s), 0);
		break;
	case 1:
		ck_assert_int_eq(uk_test_rcvbuf_cut(c.s, ri.ccc - ri.tlscc),
		    0);
		break;
	case 2:
		ck_assert_int_eq(uk_shutdown(c.s, SHUT_RD), 0);
		break;
	default:
		ck_assert_int_eq(uk_close(c.s), 0);
		break;
	}
	pthread_mutex_lock(&g.mtx);
	g.go = 1;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mtx);
	(void)uk_run();
	uk_test_ktls_rx_hook(NULL, NULL);
	if (action == 3) {
		kfx_buf_free(&c.wire);
		rfx_got_free(&c.got);
	} else {
		rfx_read(&c);
		ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
		ck_assert_uint_eq(ri.tlsdcc, 0);
		/* The cut kept records 4 and 5: they come out. */
		ck_assert_uint_eq(c.got.nrec, action == 1 ? 2u : 0u);
		ck_assert_int_eq(c.got.nerrors, 0);
		rfx_close(&c);
	}
	(void)uk_run();
	ck_assert_int_eq(uk_set_workers(0), 0);
	pthread_cond_destroy(&g.cv);
	pthread_mutex_destroy(&g.mtx);
}
END_TEST

static Suite *
ktls_rx_mt_suite(void)
{
	Suite *su;
	TCase *tc;

	su = suite_create("ktls_rx_mt");
	tc = kfx_tcase("threads");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_mt_receive, 0, 4);
	tcase_add_loop_test(tc, test_mt_teardown, 0, 6);
	tcase_add_loop_test(tc, test_mt_pause, 0, 8);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{

	return (uktest_run(ktls_rx_mt_suite()));
}
